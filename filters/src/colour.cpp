#include "avpost/filters/colour.hpp"

#include <cstring>

#include <algorithm>
#include <array>
#include <cmath>
#include <string>

#include "avpost/core/colour_names.hpp"
#include "avpost/core/error.hpp"

namespace avpost::filters {
namespace {

struct LumaWeights {
    double kr, kb;
};

LumaWeights weights(AVColorSpace matrix) {
    switch (matrix) {
        case AVCOL_SPC_BT709: return {0.2126, 0.0722};
        case AVCOL_SPC_BT2020_NCL:
        case AVCOL_SPC_BT2020_CL: return {0.2627, 0.0593};
        case AVCOL_SPC_SMPTE240M: return {0.212, 0.087};
        case AVCOL_SPC_FCC: return {0.30, 0.11};
        default: return {0.299, 0.114};  // BT.601 (BT470BG, SMPTE170M) and anything unknown
    }
}

using Mat3 = std::array<std::array<double, 3>, 3>;

// R'G'B' -> (Y', Pb, Pr), all normalised.
Mat3 rgb_to_ypbpr(LumaWeights w) {
    double kg = 1.0 - w.kr - w.kb;
    return {{{w.kr, kg, w.kb},
             {-w.kr / (2 * (1 - w.kb)), -kg / (2 * (1 - w.kb)), 0.5},
             {0.5, -kg / (2 * (1 - w.kr)), -w.kb / (2 * (1 - w.kr))}}};
}

Mat3 ypbpr_to_rgb(LumaWeights w) {
    double kg = 1.0 - w.kr - w.kb;
    return {{{1.0, 0.0, 2 * (1 - w.kr)},
             {1.0, -2 * (1 - w.kb) * w.kb / kg, -2 * (1 - w.kr) * w.kr / kg},
             {1.0, 2 * (1 - w.kb), 0.0}}};
}

Mat3 multiply(const Mat3& a, const Mat3& b) {
    Mat3 r{};
    for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j)
            for (int k = 0; k < 3; ++k) r[i][j] += a[i][k] * b[k][j];
    return r;
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::uint8_t clamp8(long v) { return std::uint8_t(std::clamp<long>(v, 0, 255)); }

}  // namespace

bool looks_like_hex_colour(std::string_view text) {
    if (text.starts_with('#')) text.remove_prefix(1);
    else return false;
    return text.size() == 6 && std::all_of(text.begin(), text.end(), [](char c) { return hex_digit(c) >= 0; });
}

Rgb8 parse_hex_colour(std::string_view text) {
    std::string_view digits = text.starts_with('#') ? text.substr(1) : text;
    if (digits.size() != 6 || !std::all_of(digits.begin(), digits.end(), [](char c) { return hex_digit(c) >= 0; }))
        throw_usage("bad colour '" + std::string(text) + "' (expected #RRGGBB)");
    auto byte = [&](int i) { return std::uint8_t(hex_digit(digits[i]) * 16 + hex_digit(digits[i + 1])); };
    return {byte(0), byte(2), byte(4)};
}

Rgb8 parse_colour(std::string_view text) {
    auto colour = normalise_colour(text);
    if (!colour) throw_usage("'" + std::string(text) + "' is not a colour (#RRGGBB, 0xRRGGBB, RRGGBB or a CSS name)");
    return parse_hex_colour(*colour);
}

AVColorSpace resolve_matrix(AVColorSpace tagged, int height) {
    if (tagged != AVCOL_SPC_UNSPECIFIED && tagged != AVCOL_SPC_RESERVED) return tagged;
    return height >= 720 ? AVCOL_SPC_BT709 : AVCOL_SPC_SMPTE170M;
}

bool same_matrix(AVColorSpace a, AVColorSpace b) {
    auto w1 = weights(a), w2 = weights(b);
    return w1.kr == w2.kr && w1.kb == w2.kb;
}

AVColorSpace output_matrix_for(int width, int height) {
    return (height >= 720 || width >= 1280) ? AVCOL_SPC_BT709 : AVCOL_SPC_SMPTE170M;
}

AVColorPrimaries primaries_for(AVColorSpace matrix) {
    return matrix == AVCOL_SPC_BT709 ? AVCOL_PRI_BT709 : AVCOL_PRI_SMPTE170M;
}

AVColorTransferCharacteristic transfer_for(AVColorSpace matrix) {
    return matrix == AVCOL_SPC_BT709 ? AVCOL_TRC_BT709 : AVCOL_TRC_SMPTE170M;
}

Yuv8 rgb_to_yuv(Rgb8 rgb, AVColorSpace matrix, AVColorRange range) {
    Mat3 m = rgb_to_ypbpr(weights(matrix));
    double in[3] = {rgb.r / 255.0, rgb.g / 255.0, rgb.b / 255.0};
    double out[3] = {};
    for (int i = 0; i < 3; ++i)
        for (int k = 0; k < 3; ++k) out[i] += m[i][k] * in[k];
    bool full = range == AVCOL_RANGE_JPEG;
    double y_scale = full ? 255.0 : 219.0, y_offset = full ? 0.0 : 16.0, c_scale = full ? 255.0 : 224.0;
    return {clamp8(std::lround(y_offset + y_scale * out[0])), clamp8(std::lround(128 + c_scale * out[1])),
            clamp8(std::lround(128 + c_scale * out[2]))};
}

Rgb8 yuv_to_rgb(Yuv8 yuv, AVColorSpace matrix, AVColorRange range) {
    Mat3 m = ypbpr_to_rgb(weights(matrix));
    bool full = range == AVCOL_RANGE_JPEG;
    double y_scale = full ? 255.0 : 219.0, y_offset = full ? 0.0 : 16.0, c_scale = full ? 255.0 : 224.0;
    double in[3] = {(yuv.y - y_offset) / y_scale, (yuv.u - 128) / c_scale, (yuv.v - 128) / c_scale};
    long out[3] = {};
    for (int i = 0; i < 3; ++i) {
        double v = 0;
        for (int k = 0; k < 3; ++k) v += m[i][k] * in[k];
        out[i] = std::lround(v * 255.0);
    }
    return {clamp8(out[0]), clamp8(out[1]), clamp8(out[2])};
}

void convert_yuv420p(AVFrame* frame, AVColorSpace from, AVColorRange from_range, AVColorSpace to,
                     AVColorRange to_range) {
    if (same_matrix(from, to) && from_range == to_range) return;
    Mat3 m = multiply(rgb_to_ypbpr(weights(to)), ypbpr_to_rgb(weights(from)));
    auto scales = [](AVColorRange range) {
        bool full = range == AVCOL_RANGE_JPEG;
        return std::array<double, 3>{full ? 0.0 : 16.0, full ? 255.0 : 219.0, full ? 255.0 : 224.0};
    };
    const auto [y_off_in, y_scale_in, c_scale_in] = scales(from_range);
    const auto [y_off_out, y_scale_out, c_scale_out] = scales(to_range);
    // In code values: Y' = y_gain * (Y - y_off_in) + y_off_out + a*(U-128) + b*(V-128), and chroma
    // rows have no Y term, so chroma depends on chroma only.
    constexpr double one = 1 << 16;
    const long y_gain = std::lround(y_scale_out / y_scale_in * one);
    const long ya = std::lround(m[0][1] * y_scale_out / c_scale_in * one);
    const long yb = std::lround(m[0][2] * y_scale_out / c_scale_in * one);
    const double c_gain = c_scale_out / c_scale_in;
    const long uu = std::lround(m[1][1] * c_gain * one), uv = std::lround(m[1][2] * c_gain * one);
    const long vu = std::lround(m[2][1] * c_gain * one), vv = std::lround(m[2][2] * c_gain * one);
    const long y_in_offset = std::lround(y_off_in), y_out_offset = std::lround(y_off_out);
    const int chroma_w = (frame->width + 1) / 2, chroma_h = (frame->height + 1) / 2;
    for (int cy = 0; cy < chroma_h; ++cy) {
        std::uint8_t* u_row = frame->data[1] + std::ptrdiff_t(cy) * frame->linesize[1];
        std::uint8_t* v_row = frame->data[2] + std::ptrdiff_t(cy) * frame->linesize[2];
        for (int cx = 0; cx < chroma_w; ++cx) {
            long u = u_row[cx] - 128, v = v_row[cx] - 128;
            long chroma_term = ya * u + yb * v + (1 << 15);
            for (int ly = 2 * cy; ly < std::min(2 * cy + 2, frame->height); ++ly) {
                std::uint8_t* y_row = frame->data[0] + std::ptrdiff_t(ly) * frame->linesize[0];
                for (int lx = 2 * cx; lx < std::min(2 * cx + 2, frame->width); ++lx)
                    y_row[lx] = clamp8(y_out_offset + ((y_gain * (y_row[lx] - y_in_offset) + chroma_term) >> 16));
            }
            u_row[cx] = clamp8(128 + ((uu * u + uv * v + (1 << 15)) >> 16));
            v_row[cx] = clamp8(128 + ((vu * u + vv * v + (1 << 15)) >> 16));
        }
    }
    frame->colorspace = to;
    frame->color_range = to_range;
}

void fill_solid(AVFrame* frame, Yuv8 colour) {
    const int chroma_w = (frame->width + 1) / 2, chroma_h = (frame->height + 1) / 2;
    for (int y = 0; y < frame->height; ++y)
        std::memset(frame->data[0] + std::ptrdiff_t(y) * frame->linesize[0], colour.y, std::size_t(frame->width));
    for (int y = 0; y < chroma_h; ++y) {
        std::memset(frame->data[1] + std::ptrdiff_t(y) * frame->linesize[1], colour.u, std::size_t(chroma_w));
        std::memset(frame->data[2] + std::ptrdiff_t(y) * frame->linesize[2], colour.v, std::size_t(chroma_w));
    }
}

}  // namespace avpost::filters
