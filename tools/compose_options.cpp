#include "compose_options.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "avpost/core/colour_names.hpp"
#include "avpost/core/error.hpp"
#include "avpost/core/suggest.hpp"
#include "avpost/core/json_depth.hpp"

namespace avpost::tool {

void ComposeLayoutOptions::add_to(CLI::App& sub) {
    sub.add_option("--scene", scene,
                   "Instead of --background: a JSON scene of layers, an Akool talking-avatar request "
                   "(width, height, elements) or {\"canvas\": \"WxH\", \"layers\": [...]}");
    sub.add_option("--canvas", canvas, "Canvas WxH (default: background size; avatar size for a colour)");
    sub.add_option("--position", position, "Top-left of the avatar on the canvas, X,Y pixels");
    sub.add_option("--size", size, "Scale the avatar to WxH (-1 keeps the aspect ratio)");
    sub.add_option("--fit", fit,
                   "contain|cover|fill|none, when --size is not given (default: contain; none with --position)");
    sub.add_option("--anchor", anchor, "center|top|bottom|left|right|top-left|top-right|bottom-left|bottom-right")
        ->capture_default_str();
    sub.add_option("--fit-to", fit_to,
                   "frame|visible: what --fit, --size, --anchor and --position place: the whole frame, or the "
                   "matte's bounding box over the clip (the person, without the render's transparent margins)")
        ->capture_default_str();
    sub.add_option("--mask-range", mask_range, "auto|limited|full (auto: the stream's tag; untagged H.264/HEVC is limited)")
        ->capture_default_str();
    sub.add_option("--choke", choke, "Erode the matte by PX pixels (negative dilates)");
    sub.add_option("--feather", feather, "Soften the matte edge by PX pixels");
    sub.add_option("--despill", despill,
                   "The render's backdrop colour (#RRGGBB, 0xRRGGBB, RRGGBB or a CSS name): removed from the "
                   "avatar's edge in proportion to the matte");
    sub.add_option("--key", key,
                   "Instead of --mask: pull the matte from the render's colour backdrop, 'auto' (found on the "
                   "frame's border) or a colour");
    sub.add_option("--key-matte-out", key_matte_out,
                   "With --key: also write the pulled matte as a grey video FILE (.mkv: FFV1, else H.264)");
    sub.add_flag("--allow-mask-mismatch", allow_mask_mismatch,
                 "Use a mask whose duration differs from the avatar's by more than two frames (another render's)");
    sub.add_option("--bg-end", bg_end, "loop|hold|stop when a background video ends")->capture_default_str();
    sub.add_flag("--allow-short", allow_short,
                 "Use an avatar or mask that ends well before the duration its header declares (a cut file), "
                 "with a warning, instead of failing");
}

std::string background_value(const std::string& value, const std::string& option) {
    const std::string quoting = "an unquoted '#' starts a shell comment, so write " + option + " '#ffffff'";
    if (value.empty())
        throw_usage(option + " is empty: give an image, a video, a colour or transparent (" + quoting + ")");
    std::error_code ignored;
    if (value == "transparent" || value.find("://") != std::string::npos || std::filesystem::exists(value, ignored))
        return value;
    if (auto colour = normalise_colour(value)) return *colour;
    if (looks_like_colour_attempt(value)) {
        auto name = closest_colour_name(value);
        throw_usage(option + " '" + value + "' is neither a file nor a colour" + (name ? " (did you mean " + *name + "?)" : "") +
                    ": a colour is #RRGGBB, 0xRRGGBB, RRGGBB or a CSS name like white; " + quoting);
    }
    return value;  // a missing file: opening it says so (exit 3)
}

void ComposeLayoutOptions::apply_to(filters::ComposeParams& p) const {
    using namespace filters;
    if (!scene.empty()) {
        std::ifstream in(scene);
        if (!in) throw_input("scene '" + scene + "'", "cannot be read");
        nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
        if (j.is_discarded()) throw_input("scene '" + scene + "'", "is not valid JSON");
        if (auto deep = json_nested_too_deep(j))
            throw_usage("scene '" + scene + "': " + *deep + ": nested deeper than " + std::to_string(max_json_depth) +
                        " levels");
        try {
            Scene parsed = scene_from_json(j);
            p.layers = std::move(parsed.layers);
            p.canvas = parsed.canvas;
        } catch (const Error& e) {
            throw_usage("scene '" + scene + "': " + e.what());
        }
        // Relative layer sources are relative to the scene file.
        const std::filesystem::path base = std::filesystem::path(scene).parent_path();
        for (Layer& layer : p.layers)
            if (!layer.source.empty() && layer.source[0] != '#' && std::filesystem::path(layer.source).is_relative())
                layer.source = (base / layer.source).string();
    }
    if (!canvas.empty()) p.canvas = parse_size(canvas, false);
    if (!position.empty()) p.position = parse_point(position);
    if (!size.empty()) p.size = parse_size(size, true);
    if (!fit.empty()) p.fit = parse_fit(fit);
    p.anchor = parse_anchor(anchor);
    p.fit_to = parse_fit_to(fit_to);
    p.matte.range = parse_mask_range(mask_range);
    p.matte.choke = choke;
    if (feather < 0) throw_usage("--feather must not be negative");
    p.matte.feather = feather;
    if (!despill.empty()) {
        try {
            p.despill = parse_colour(despill);
        } catch (const Error& e) {
            throw_usage(std::string("--despill: ") + e.what());
        }
    }
    if (!key.empty()) p.key = parse_key(key);  // 'auto' or a colour written any way parse_colour takes
    p.key_matte_output = key_matte_out;
    p.background_end = parse_background_end(bg_end);
    p.allow_mask_mismatch = allow_mask_mismatch;
    p.allow_short = allow_short;
}

}  // namespace avpost::tool
