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

// Changes the matrix of an 8-bit limited-range yuv420p frame in place. Chroma is shared by each
// 2x2 block, so the change is exact per block: Y' depends on the block's chroma, chroma only on
// chroma.
void convert_matrix_yuv420p(AVFrame* frame, AVColorSpace from, AVColorSpace to);

}  // namespace avpost::filters
