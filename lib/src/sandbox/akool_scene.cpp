#include "avpost/sandbox/akool_scene.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>

#include "avpost/core/error.hpp"
#include "avpost/media/handles.hpp"
#include "avpost/media/video_source.hpp"
#include "avpost/net/crypto.hpp"

namespace avpost::sandbox {
namespace {

namespace fs = std::filesystem;

// Pictures larger than this on a side are not drawn (a scale typo must not exhaust memory).
constexpr int max_element_side = 16384;

struct Yuv {
    float y, u, v;
};

// Limited-range BT.709, the matrix the render is tagged with.
Yuv yuv_of(float r, float g, float b) {
    constexpr float kr = 0.2126f, kb = 0.0722f, kg = 1.0f - kr - kb;
    r /= 255.0f;
    g /= 255.0f;
    b /= 255.0f;
    const float luma = kr * r + kg * g + kb * b;
    return {16.0f + 219.0f * luma, 128.0f + 224.0f * (b - luma) / (2.0f * (1.0f - kb)),
            128.0f + 224.0f * (r - luma) / (2.0f * (1.0f - kr))};
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// "#RRGGBB" or "#RGB" (what Akool's validation takes), else nullopt.
std::optional<Yuv> hex_colour(const std::string& text) {
    if (text.empty() || text[0] != '#' || (text.size() != 7 && text.size() != 4)) return std::nullopt;
    int rgb[3];
    for (int i = 0; i < 3; ++i) {
        int hi = text.size() == 7 ? hex_digit(text[1 + 2 * i]) : hex_digit(text[1 + i]);
        int lo = text.size() == 7 ? hex_digit(text[2 + 2 * i]) : hi;
        if (hi < 0 || lo < 0) return std::nullopt;
        rgb[i] = hi * 16 + lo;
    }
    return yuv_of(float(rgb[0]), float(rgb[1]), float(rgb[2]));
}

ScenePlanes make_planes(RenderSize size, bool with_alpha, Yuv fill) {
    ScenePlanes p;
    p.width = size.width;
    p.height = size.height;
    const std::size_t n = std::size_t(size.width) * std::size_t(size.height);
    p.y.assign(n, fill.y);
    p.u.assign(n, fill.u);
    p.v.assign(n, fill.v);
    if (with_alpha) p.a.assign(n, 0.0f);
    return p;
}

// `colour` with coverage `alpha` over the pixel at `i`.
void blend(ScenePlanes& p, std::size_t i, Yuv colour, float alpha) {
    if (alpha <= 0.0f) return;
    if (p.a.empty()) {
        p.y[i] += (colour.y - p.y[i]) * alpha;
        p.u[i] += (colour.u - p.u[i]) * alpha;
        p.v[i] += (colour.v - p.v[i]) * alpha;
        return;
    }
    const float below = p.a[i] * (1.0f - alpha), out = alpha + below;
    p.y[i] = (colour.y * alpha + p.y[i] * below) / out;
    p.u[i] = (colour.u * alpha + p.u[i] * below) / out;
    p.v[i] = (colour.v * alpha + p.v[i] * below) / out;
    p.a[i] = out;
}

void fill_rect(ScenePlanes& p, PixelRect r, Yuv colour) {
    const int x0 = std::max(0, r.x), x1 = std::min(p.width, r.x + r.width);
    const int y0 = std::max(0, r.y), y1 = std::min(p.height, r.y + r.height);
    for (int y = y0; y < y1; ++y)
        for (int x = x0; x < x1; ++x) blend(p, std::size_t(y) * p.width + x, colour, 1.0f);
}

RgbaImage scaled(const RgbaImage& image, int width, int height) {
    if (image.width == width && image.height == height) return image;
    media::SwsContextPtr sws(sws_getContext(image.width, image.height, AV_PIX_FMT_RGBA, width, height, AV_PIX_FMT_RGBA,
                                            SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT, nullptr, nullptr,
                                            nullptr));
    if (!sws) throw_av("sws_getContext (sandbox image)", AVERROR(EINVAL));
    RgbaImage out;
    out.width = width;
    out.height = height;
    out.pixels.resize(std::size_t(width) * std::size_t(height) * 4);
    const std::uint8_t* src[4] = {image.pixels.data(), nullptr, nullptr, nullptr};
    const int src_stride[4] = {image.width * 4, 0, 0, 0};
    std::uint8_t* dst[4] = {out.pixels.data(), nullptr, nullptr, nullptr};
    const int dst_stride[4] = {width * 4, 0, 0, 0};
    sws_scale(sws.get(), src, src_stride, 0, image.height, dst, dst_stride);
    return out;
}

void draw_image(ScenePlanes& p, PixelRect r, const RgbaImage& image) {
    const RgbaImage picture = scaled(image, r.width, r.height);
    const int x0 = std::max(0, r.x), x1 = std::min(p.width, r.x + r.width);
    const int y0 = std::max(0, r.y), y1 = std::min(p.height, r.y + r.height);
    for (int y = y0; y < y1; ++y)
        for (int x = x0; x < x1; ++x) {
            const std::uint8_t* px = &picture.pixels[(std::size_t(y - r.y) * r.width + (x - r.x)) * 4];
            blend(p, std::size_t(y) * p.width + x, yuv_of(px[0], px[1], px[2]), px[3] / 255.0f);
        }
}

}  // namespace

RenderSize fit_render_size(int canvas_width, int canvas_height, int max_width, int max_height) {
    double factor = 1.0;
    if (max_width > 0 && max_height > 0)
        factor = std::min({1.0, double(max_width) / canvas_width, double(max_height) / canvas_height});
    auto side = [&](int canvas) { return std::max(16, int(std::lround(canvas * factor)) & ~1); };
    return {side(canvas_width), side(canvas_height)};
}

RgbaImage decode_image(const std::string& bytes, const std::string& name_hint) {
    // libavformat reads files: the bytes go through a private temporary file.
    const std::string extension = fs::path(name_hint.substr(0, name_hint.find_first_of("?#"))).extension().string();
    const fs::path file = fs::temp_directory_path() /
                          ("avpost-sandbox-image-" + std::to_string(::getpid()) + "-" + net::crypto::random_hex(6) + extension);
    { std::ofstream(file, std::ios::binary) << bytes; }
    struct Remove {
        fs::path path;
        ~Remove() {
            std::error_code ignored;
            fs::remove(path, ignored);
        }
    } remove{file};
    media::VideoSource source(file.string(), "image");
    media::FramePtr frame = media::make_frame();
    if (!source.next(frame.get())) throw_input("image", "no picture in it");
    RgbaImage image;
    image.width = frame->width;
    image.height = frame->height;
    image.pixels.resize(std::size_t(image.width) * std::size_t(image.height) * 4);
    media::SwsContextPtr sws(sws_getContext(frame->width, frame->height, AVPixelFormat(frame->format), image.width,
                                            image.height, AV_PIX_FMT_RGBA, SWS_BICUBIC | SWS_ACCURATE_RND, nullptr,
                                            nullptr, nullptr));
    if (!sws) throw_input("image", "unsupported pixel format");
    std::uint8_t* dst[4] = {image.pixels.data(), nullptr, nullptr, nullptr};
    const int dst_stride[4] = {image.width * 4, 0, 0, 0};
    sws_scale(sws.get(), frame->data, frame->linesize, 0, frame->height, dst, dst_stride);
    return image;
}

AkoolLayout layout_akool_request(const net::akool::TalkingAvatarRequest& request, RenderSize size,
                                 const ImageLoader& load_image) {
    AkoolLayout layout;
    layout.size = size;
    const Yuv black = yuv_of(0, 0, 0);
    layout.below = make_planes(size, false, black);
    const double sx = double(size.width) / request.width, sy = double(size.height) / request.height;

    // An element's rectangle in render pixels; `own` is its size on the canvas when it gives none.
    auto rect_of = [&](const net::akool::Element& e, double own_width, double own_height) {
        const double w = e.width.value_or(own_width) * e.scale_x.value_or(1.0);
        const double h = e.height.value_or(own_height) * e.scale_y.value_or(1.0);
        return PixelRect{int(std::lround(e.offset_x.value_or(0.0) * sx)), int(std::lround(e.offset_y.value_or(0.0) * sy)),
                         std::max(1, int(std::lround(w * sx))), std::max(1, int(std::lround(h * sy)))};
    };

    bool avatar_seen = false;
    for (std::size_t i = 0; i < request.elements.size(); ++i) {
        const net::akool::Element& e = request.elements[i];
        const std::string where = "elements[" + std::to_string(i) + "]";
        if (e.type == "avatar") {
            layout.avatar = rect_of(e, request.width, request.height);
            avatar_seen = true;
            continue;
        }
        if (e.type != "image" || !e.url) continue;
        ScenePlanes& planes = avatar_seen ? layout.above : layout.below;
        if (avatar_seen && planes.a.empty()) planes = make_planes(size, true, black);
        if (auto colour = hex_colour(*e.url)) {
            fill_rect(planes, rect_of(e, request.width, request.height), *colour);
            continue;
        }
        std::optional<RgbaImage> image = load_image ? load_image(*e.url) : std::nullopt;
        if (!image) {
            if (e.width && e.height) fill_rect(planes, rect_of(e, 0, 0), yuv_of(128, 128, 128));
            layout.warnings.push_back(where + ": image not available to the sandbox, drawn as a grey placeholder");
            continue;
        }
        const PixelRect r = rect_of(e, image->width, image->height);
        if (r.width > max_element_side || r.height > max_element_side) {
            layout.warnings.push_back(where + ": drawn larger than 16384 pixels, left out");
            continue;
        }
        draw_image(planes, r, *image);
    }
    return layout;
}

}  // namespace avpost::sandbox
