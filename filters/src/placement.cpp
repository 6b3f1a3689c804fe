#include "avpost/filters/placement.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "avpost/core/error.hpp"

namespace avpost::filters {
namespace {

int round_positive(double v) { return std::max(1, int(std::lround(v))); }

Point anchored(Size canvas, Size box, Anchor anchor) {
    int free_x = canvas.width - box.width;
    int free_y = canvas.height - box.height;
    // Floor keeps an overflowing (negative) offset centred the same way as a positive one.
    int mid_x = int(std::floor(free_x / 2.0));
    int mid_y = int(std::floor(free_y / 2.0));
    switch (anchor) {
        case Anchor::center: return {mid_x, mid_y};
        case Anchor::top: return {mid_x, 0};
        case Anchor::bottom: return {mid_x, free_y};
        case Anchor::left: return {0, mid_y};
        case Anchor::right: return {free_x, mid_y};
        case Anchor::top_left: return {0, 0};
        case Anchor::top_right: return {free_x, 0};
        case Anchor::bottom_left: return {0, free_y};
        case Anchor::bottom_right: return {free_x, free_y};
    }
    return {mid_x, mid_y};
}

int parse_int(std::string_view text, std::string_view what) {
    int value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty())
        throw_usage("bad " + std::string(what) + " '" + std::string(text) + "'");
    return value;
}

}  // namespace

Placement place_avatar(const PlacementRequest& r) {
    if (r.avatar.width <= 0 || r.avatar.height <= 0) throw_usage("the avatar has no size");
    if (r.visible) {
        // Place the visible box as if it were the avatar, then the frame around it at its scale.
        const Box& box = *r.visible;
        if (box.width <= 0 || box.height <= 0) throw_usage("the avatar's visible region is empty");
        PlacementRequest inner = r;
        inner.avatar = {box.width, box.height};
        inner.visible.reset();
        const Placement boxed = place_avatar(inner);
        const double sx = double(boxed.size.width) / box.width;
        const double sy = double(boxed.size.height) / box.height;
        const Size frame{round_positive(r.avatar.width * sx), round_positive(r.avatar.height * sy)};
        if (frame.width > max_picture_side || frame.height > max_picture_side)
            throw_usage("avatar size " + std::to_string(frame.width) + "x" + std::to_string(frame.height) +
                        " is too large (at most " + std::to_string(max_picture_side) + " on each side)");
        return {frame, {boxed.position.x - int(std::lround(box.x * sx)), boxed.position.y - int(std::lround(box.y * sy))}};
    }
    if (r.canvas.width <= 0 || r.canvas.height <= 0)
        throw_usage("canvas size " + std::to_string(r.canvas.width) + "x" + std::to_string(r.canvas.height) +
                    " is empty");
    Size scaled = r.avatar;
    double aspect = double(r.avatar.width) / r.avatar.height;
    if (r.size) {
        scaled = *r.size;
        if (scaled.width < 0 && scaled.height < 0) throw_usage("--size cannot keep the aspect ratio on both sides");
        if (scaled.width < 0) scaled.width = round_positive(scaled.height * aspect);
        if (scaled.height < 0) scaled.height = round_positive(scaled.width / aspect);
    } else {
        double sx = double(r.canvas.width) / r.avatar.width;
        double sy = double(r.canvas.height) / r.avatar.height;
        switch (r.fit) {
            case Fit::none: break;
            case Fit::fill: scaled = r.canvas; break;
            case Fit::contain: {
                double s = std::min(sx, sy);
                scaled = {round_positive(r.avatar.width * s), round_positive(r.avatar.height * s)};
                break;
            }
            case Fit::cover: {
                double s = std::max(sx, sy);
                scaled = {round_positive(r.avatar.width * s), round_positive(r.avatar.height * s)};
                break;
            }
        }
    }
    if (scaled.width <= 0 || scaled.height <= 0)
        throw_usage("avatar size " + std::to_string(scaled.width) + "x" + std::to_string(scaled.height) + " is empty");
    if (scaled.width > max_picture_side || scaled.height > max_picture_side)
        throw_usage("avatar size " + std::to_string(scaled.width) + "x" + std::to_string(scaled.height) +
                    " is too large (at most " + std::to_string(max_picture_side) + " on each side)");
    Point position = r.position ? *r.position : anchored(r.canvas, scaled, r.anchor);
    return {scaled, position};
}

Placement cover_canvas(Size source, Size canvas) {
    PlacementRequest request{.canvas = canvas, .avatar = source, .fit = Fit::cover};
    Placement p = place_avatar(request);
    return p;
}

FitTo parse_fit_to(std::string_view text) {
    if (text == "frame") return FitTo::frame;
    if (text == "visible") return FitTo::visible;
    throw_usage("unknown fit-to '" + std::string(text) + "' (frame or visible)");
}

std::string to_string(FitTo fit_to) { return fit_to == FitTo::visible ? "visible" : "frame"; }

Fit parse_fit(std::string_view text) {
    if (text == "contain") return Fit::contain;
    if (text == "cover") return Fit::cover;
    if (text == "fill") return Fit::fill;
    if (text == "none") return Fit::none;
    throw_usage("unknown fit '" + std::string(text) + "' (contain, cover, fill, none)");
}

Anchor parse_anchor(std::string_view text) {
    std::string t(text);
    std::replace(t.begin(), t.end(), '_', '-');
    if (t == "center" || t == "centre") return Anchor::center;
    if (t == "top") return Anchor::top;
    if (t == "bottom") return Anchor::bottom;
    if (t == "left") return Anchor::left;
    if (t == "right") return Anchor::right;
    if (t == "top-left") return Anchor::top_left;
    if (t == "top-right") return Anchor::top_right;
    if (t == "bottom-left") return Anchor::bottom_left;
    if (t == "bottom-right") return Anchor::bottom_right;
    throw_usage("unknown anchor '" + std::string(text) +
                "' (center, top, bottom, left, right, top-left, top-right, bottom-left, bottom-right)");
}

std::string to_string(Fit fit) {
    switch (fit) {
        case Fit::contain: return "contain";
        case Fit::cover: return "cover";
        case Fit::fill: return "fill";
        case Fit::none: return "none";
    }
    return "?";
}

std::string to_string(Anchor anchor) {
    switch (anchor) {
        case Anchor::center: return "center";
        case Anchor::top: return "top";
        case Anchor::bottom: return "bottom";
        case Anchor::left: return "left";
        case Anchor::right: return "right";
        case Anchor::top_left: return "top-left";
        case Anchor::top_right: return "top-right";
        case Anchor::bottom_left: return "bottom-left";
        case Anchor::bottom_right: return "bottom-right";
    }
    return "?";
}

Size parse_size(std::string_view text, bool allow_keep_aspect) {
    auto x = text.find('x');
    if (x == std::string_view::npos) throw_usage("bad size '" + std::string(text) + "' (expected WxH)");
    Size size{parse_int(text.substr(0, x), "width"), parse_int(text.substr(x + 1), "height")};
    bool keep = allow_keep_aspect && (size.width == -1 || size.height == -1);
    if ((size.width <= 0 || size.height <= 0) && !keep)
        throw_usage("size " + std::string(text) + " is empty: width and height must be positive");
    if (size.width > max_picture_side || size.height > max_picture_side)
        throw_usage("size " + std::string(text) + " is too large (at most " + std::to_string(max_picture_side) + "x" +
                    std::to_string(max_picture_side) + ")");
    return size;
}

Point parse_point(std::string_view text) {
    auto comma = text.find(',');
    if (comma == std::string_view::npos) throw_usage("bad position '" + std::string(text) + "' (expected X,Y)");
    return {parse_int(text.substr(0, comma), "x position"), parse_int(text.substr(comma + 1), "y position")};
}

}  // namespace avpost::filters
