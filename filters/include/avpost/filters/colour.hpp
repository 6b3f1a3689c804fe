#pragma once
// Colour bookkeeping: which YCbCr matrix and range a frame uses, solid colours in YCbCr, and the
// exact YCbCr-to-YCbCr matrix change (no round trip through 8-bit RGB).
#include <cstdint>
#include <string_view>

extern "C" {
#include <libavutil/frame.h>
#include <libavutil/pixfmt.h>
}

namespace avpost::filters {

struct Rgb8 {
    std::uint8_t r = 0, g = 0, b = 0;
    bool operator==(const Rgb8&) const = default;
};
struct Yuv8 {
    std::uint8_t y = 0, u = 128, v = 128;
    bool operator==(const Yuv8&) const = default;
};

// "#RRGGBB" (or "RRGGBB").
Rgb8 parse_hex_colour(std::string_view text);
// A colour as people write it on a command line or in a job file: "#RRGGBB", "0xRRGGBB", "RRGGBB"
// or a CSS name, any case (normalise_colour, then parse_hex_colour). The one parser of the colours
// avpost takes (every colour option, CLI or job file, and scene keys). Throws
// Error(usage) "'TEXT' is not a colour (#RRGGBB, 0xRRGGBB, RRGGBB or a CSS name)".
Rgb8 parse_colour(std::string_view text);
bool looks_like_hex_colour(std::string_view text);

// Untagged video: BT.709 from 720 lines up, BT.601 below (what players assume).
AVColorSpace resolve_matrix(AVColorSpace tagged, int height);
// Same matrix for our purposes (the BT.601 family shares coefficients).
bool same_matrix(AVColorSpace a, AVColorSpace b);
// The matrix avpost writes for a canvas: BT.709 for HD and larger, BT.601 below.
AVColorSpace output_matrix_for(int width, int height);
AVColorPrimaries primaries_for(AVColorSpace matrix);
AVColorTransferCharacteristic transfer_for(AVColorSpace matrix);

Yuv8 rgb_to_yuv(Rgb8 rgb, AVColorSpace matrix, AVColorRange range);
Rgb8 yuv_to_rgb(Yuv8 yuv, AVColorSpace matrix, AVColorRange range);

// Fills an 8-bit yuv420p frame with one colour.
void fill_solid(AVFrame* frame, Yuv8 colour);

// Changes the matrix and range of an 8-bit yuv420p frame in place, straight from YCbCr to YCbCr.
// Chroma is shared by each 2x2 block, so the change is exact per block: Y' depends on the pixel's
// Y and the block's chroma, chroma only on chroma. (swscale is not trusted with this: for YCbCr
// to YCbCr it skips range changes on some paths and detours through RGB on others.)
void convert_yuv420p(AVFrame* frame, AVColorSpace from, AVColorRange from_range, AVColorSpace to,
                     AVColorRange to_range);

}  // namespace avpost::filters
