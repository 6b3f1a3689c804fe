#pragma once
// Stage: the avatar alone on transparency, as one yuva420p canvas-sized frame: its colour where it
// is placed, its matte as the alpha plane, and transparent black elsewhere. Straight (not
// premultiplied) alpha, as VP9-alpha WebM and ProRes 4444 expect. Only the avatar's rectangle
// is rewritten per frame; the rest of the canvas never changes.
#include <opencv2/core.hpp>

#include "avpost/filters/placement.hpp"
#include "avpost/media/handles.hpp"

namespace avpost::filters {

class AlphaLayer {
public:
    // `matrix` tags the frame (the avatar frames passed in already use it, limited range).
    AlphaLayer(Size canvas, AVColorSpace matrix);

    // `avatar` is yuv420p at the placed size, `alpha` the same size (8-bit, 255 opaque). Odd
    // positions place chroma at the even position below them (half a chroma sample off).
    // The frame is valid until the next call.
    const AVFrame* render(const AVFrame* avatar, const cv::Mat& alpha, Point position);

private:
    media::FramePtr frame_;
};

}  // namespace avpost::filters
