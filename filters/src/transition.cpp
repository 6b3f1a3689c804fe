#include "avpost/filters/transition.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>

extern "C" {
#include <libavutil/pixdesc.h>
}

#include "avpost/core/error.hpp"

namespace avpost::filters {

TransitionKind parse_transition_kind(std::string_view text) {
    if (text == "cut") return TransitionKind::cut;
    if (text == "crossfade") return TransitionKind::crossfade;
    if (text == "fade-through") return TransitionKind::fade_through;
    if (text == "wipe-left") return TransitionKind::wipe_left;
    if (text == "wipe-right") return TransitionKind::wipe_right;
    throw_usage("unknown transition '" + std::string(text) + "' (cut, crossfade, fade-through, wipe-left, wipe-right)");
}

std::string to_string(TransitionKind kind) {
    switch (kind) {
        case TransitionKind::cut: return "cut";
        case TransitionKind::crossfade: return "crossfade";
        case TransitionKind::fade_through: return "fade-through";
        case TransitionKind::wipe_left: return "wipe-left";
        case TransitionKind::wipe_right: return "wipe-right";
    }
    return "?";
}

TransitionGains transition_gains(TransitionKind kind, double progress) {
    const double p = std::clamp(progress, 0.0, 1.0);
    switch (kind) {
        case TransitionKind::cut: return {p < 1.0 ? 1.0f : 0.0f, p < 1.0 ? 0.0f : 1.0f};
        case TransitionKind::fade_through:
            return {float(std::max(0.0, 1.0 - 2.0 * p)), float(std::max(0.0, 2.0 * p - 1.0))};
        default: break;
    }
    constexpr double quarter_turn = 1.5707963267948966;
    return {float(std::cos(p * quarter_turn)), float(std::sin(p * quarter_turn))};
}

namespace {

// Weight of `b` in 1/256 steps: blends stay in integers and a half is exact.
int weight_256(double p) { return int(std::lround(std::clamp(p, 0.0, 1.0) * 256.0)); }

void blend_plane(const std::uint8_t* a, int a_stride, const std::uint8_t* b, int b_stride, std::uint8_t* out,
                 int out_stride, int width, int height, int w) {
    for (int y = 0; y < height; ++y) {
        const std::uint8_t* pa = a + std::ptrdiff_t(y) * a_stride;
        const std::uint8_t* pb = b + std::ptrdiff_t(y) * b_stride;
        std::uint8_t* po = out + std::ptrdiff_t(y) * out_stride;
        for (int x = 0; x < width; ++x) po[x] = std::uint8_t((pa[x] * (256 - w) + pb[x] * w + 128) >> 8);
    }
}

void blend_to_value(const std::uint8_t* a, int a_stride, std::uint8_t value, std::uint8_t* out, int out_stride,
                    int width, int height, int w, bool towards_value) {
    // towards_value: a -> value as w grows; else value -> a.
    const int wa = towards_value ? 256 - w : w, wv = 256 - wa;
    for (int y = 0; y < height; ++y) {
        const std::uint8_t* pa = a + std::ptrdiff_t(y) * a_stride;
        std::uint8_t* po = out + std::ptrdiff_t(y) * out_stride;
        for (int x = 0; x < width; ++x) po[x] = std::uint8_t((pa[x] * wa + value * wv + 128) >> 8);
    }
}

// The first `edge` columns from `left`, the rest from `right` (chroma planes take half the edge).
void wipe_plane(const std::uint8_t* left, int l_stride, const std::uint8_t* right, int r_stride, std::uint8_t* out,
                int out_stride, int width, int height, int edge) {
    edge = std::clamp(edge, 0, width);
    for (int y = 0; y < height; ++y) {
        std::uint8_t* po = out + std::ptrdiff_t(y) * out_stride;
        std::copy_n(left + std::ptrdiff_t(y) * l_stride, edge, po);
        std::copy_n(right + std::ptrdiff_t(y) * r_stride + edge, width - edge, po + edge);
    }
}

}  // namespace

void draw_transition(TransitionKind kind, double progress, const AVFrame* from, const AVFrame* to, Yuv8 colour,
                     AVFrame* out) {
    if (from->width != out->width || to->width != out->width || from->height != out->height ||
        to->height != out->height || from->format != out->format || to->format != out->format)
        throw_usage("transition: the two pictures differ in size or format");
    const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(AVPixelFormat(out->format));
    const int planes = out->format == AV_PIX_FMT_YUVA420P ? 4 : 3;
    const double p = std::clamp(progress, 0.0, 1.0);
    for (int plane = 0; plane < planes; ++plane) {
        const bool chroma = plane == 1 || plane == 2;
        const int width = chroma ? AV_CEIL_RSHIFT(out->width, desc->log2_chroma_w) : out->width;
        const int height = chroma ? AV_CEIL_RSHIFT(out->height, desc->log2_chroma_h) : out->height;
        const std::uint8_t* a = from->data[plane];
        const std::uint8_t* b = to->data[plane];
        std::uint8_t* o = out->data[plane];
        const int as = from->linesize[plane], bs = to->linesize[plane], os = out->linesize[plane];
        switch (kind) {
            case TransitionKind::cut:
                blend_plane(a, as, b, bs, o, os, width, height, p < 1.0 ? 0 : 256);
                break;
            case TransitionKind::crossfade: blend_plane(a, as, b, bs, o, os, width, height, weight_256(p)); break;
            case TransitionKind::fade_through: {
                const std::uint8_t value = plane == 0 ? colour.y : plane == 1 ? colour.u : plane == 2 ? colour.v : 255;
                if (p < 0.5) blend_to_value(a, as, value, o, os, width, height, weight_256(2.0 * p), true);
                else blend_to_value(b, bs, value, o, os, width, height, weight_256(2.0 * p - 1.0), false);
                break;
            }
            case TransitionKind::wipe_left: {
                // The edge moves from the right side to the left: the first part keeps the columns
                // left of it.
                const int luma_edge = int(std::lround((1.0 - p) * out->width));
                wipe_plane(a, as, b, bs, o, os, width, height, chroma ? (luma_edge + 1) >> 1 : luma_edge);
                break;
            }
            case TransitionKind::wipe_right: {
                const int luma_edge = int(std::lround(p * out->width));
                wipe_plane(b, bs, a, as, o, os, width, height, chroma ? (luma_edge + 1) >> 1 : luma_edge);
                break;
            }
        }
    }
}

}  // namespace avpost::filters
