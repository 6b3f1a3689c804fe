#pragma once
// Stage: straight-alpha "over" of a yuv420p avatar onto a yuv420p canvas, in YCbCr (both in the
// same matrix and range, so no RGB round trip). Luma uses the full-resolution alpha; each chroma
// sample uses the mean of the alpha of the luma pixels it covers, so edges do not fringe. Any
// position works, including odd, negative and partly off-canvas ones; even positions take the
// vectorised path.
#include <cstdint>
#include <vector>

#include <opencv2/core.hpp>

#include "avpost/filters/placement.hpp"
#include "avpost/media/handles.hpp"

namespace avpost::filters {

// The avatar's alpha as the compositor reads it: an 8-bit plane at the avatar's size holding
// alpha (0..255), or a vendor matte's limited-range codes (16..235) that the compositor expands
// as it reads them. The matte is then used straight from the decoded frame, with no pass of its
// own over the picture and no alpha plane written and read back (a third of the memory traffic
// of a 4K composite).
struct CompositeAlpha {
    cv::Mat plane;
    bool limited_codes = false;
};

class Compositor {
public:
    // `canvas` and `background` are the same size and may be the same frame (drawing in place:
    // each output sample reads only the background sample at its own position). `alpha` is the
    // avatar's size. When
    // `copy_background_outside` is false, canvas pixels away from the avatar are left untouched
    // (they already hold a static background), which saves a full-frame copy per frame.
    void over(const AVFrame* background, AVFrame* canvas, const AVFrame* avatar, const cv::Mat& alpha,
              Point position, bool copy_background_outside);
    void over(const AVFrame* background, AVFrame* canvas, const AVFrame* avatar, const CompositeAlpha& alpha,
              Point position, bool copy_background_outside);

private:
    std::vector<std::uint8_t> chroma_alpha_;  // one row of chroma alpha, reused
};

// The exact rounding of (fg * a + bg * (255 - a)) / 255 for 8-bit values.
inline std::uint8_t blend_pixel(std::uint8_t bg, std::uint8_t fg, std::uint8_t a) {
    unsigned v = unsigned(fg) * a + unsigned(bg) * (255u - a) + 128u;
    return std::uint8_t((v + (v >> 8)) >> 8);
}

}  // namespace avpost::filters
