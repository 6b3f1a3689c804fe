#pragma once
// Stage: removes the backdrop colour that bleeds into the avatar's edge. Near the matte edge
// (within `band` pixels of any transparency), the part of each chroma sample that points towards
// the backdrop's chroma is taken out; chroma pointing elsewhere and all luma are kept. The
// decoder's frame is never modified: the result shares its luma plane and owns new chroma.
#include <opencv2/core.hpp>

#include "avpost/filters/colour.hpp"
#include "avpost/media/handles.hpp"

namespace avpost::filters {

class Despill {
public:
    Despill(Rgb8 backdrop, AVColorSpace matrix, AVColorRange range, int band = 4);

    // `avatar` is yuv420p; `alpha` its full-resolution matte. The result is valid until the next
    // call and while `avatar` is alive.
    const AVFrame* apply(const AVFrame* avatar, const cv::Mat& alpha);

private:
    float key_u_, key_v_;  // unit vector of the backdrop's chroma
    int band_;
    cv::Mat kernel_;
    cv::Mat eroded_;
    media::FramePtr output_;
    cv::Mat chroma_u_, chroma_v_;
};

}  // namespace avpost::filters
