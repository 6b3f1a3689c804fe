#include "avpost/filters/alpha_layer.hpp"

#include <algorithm>
#include <cstring>

#include "avpost/core/error.hpp"
#include "avpost/filters/colour.hpp"

namespace avpost::filters {
namespace {

// Copies the part of a `width` x `height` plane at (x, y) that lands inside a `canvas_w` x
// `canvas_h` plane.
void copy_clipped(const std::uint8_t* source, int source_stride, int width, int height, std::uint8_t* target,
                  int target_stride, int canvas_w, int canvas_h, int x, int y) {
    const int left = std::max(0, -x), top = std::max(0, -y);
    const int right = std::min(width, canvas_w - x), bottom = std::min(height, canvas_h - y);
    if (right <= left || bottom <= top) return;
    for (int row = top; row < bottom; ++row)
        std::memcpy(target + std::ptrdiff_t(y + row) * target_stride + x + left,
                    source + std::ptrdiff_t(row) * source_stride + left, std::size_t(right - left));
}

int floor_half(int v) { return v >= 0 ? v / 2 : -((-v + 1) / 2); }

}  // namespace

AlphaLayer::AlphaLayer(Size canvas, AVColorSpace matrix) {
    if (canvas.width <= 0 || canvas.height <= 0) throw_usage("transparent canvas is empty");
    frame_ = media::make_video_frame(AV_PIX_FMT_YUVA420P, canvas.width, canvas.height);
    frame_->colorspace = matrix;
    frame_->color_range = AVCOL_RANGE_MPEG;
    frame_->color_primaries = primaries_for(matrix);
    frame_->color_trc = transfer_for(matrix);
    const int chroma_h = (canvas.height + 1) / 2;
    for (int row = 0; row < canvas.height; ++row) {
        std::memset(frame_->data[0] + std::ptrdiff_t(row) * frame_->linesize[0], 16, std::size_t(canvas.width));
        std::memset(frame_->data[3] + std::ptrdiff_t(row) * frame_->linesize[3], 0, std::size_t(canvas.width));
    }
    for (int row = 0; row < chroma_h; ++row)
        for (int p = 1; p <= 2; ++p)
            std::memset(frame_->data[p] + std::ptrdiff_t(row) * frame_->linesize[p], 128,
                        std::size_t((canvas.width + 1) / 2));
}

const AVFrame* AlphaLayer::render(const AVFrame* avatar, const cv::Mat& alpha, Point position) {
    // An encoder may still hold the previous frame; this copies only in that case.
    check_av(av_frame_make_writable(frame_.get()), "av_frame_make_writable (alpha layer)");
    AVFrame* f = frame_.get();
    const int w = avatar->width, h = avatar->height;
    copy_clipped(avatar->data[0], avatar->linesize[0], w, h, f->data[0], f->linesize[0], f->width, f->height,
                 position.x, position.y);
    copy_clipped(alpha.data, int(alpha.step), w, h, f->data[3], f->linesize[3], f->width, f->height, position.x,
                 position.y);
    const int cx = floor_half(position.x), cy = floor_half(position.y);
    for (int p = 1; p <= 2; ++p)
        copy_clipped(avatar->data[p], avatar->linesize[p], (w + 1) / 2, (h + 1) / 2, f->data[p], f->linesize[p],
                     (f->width + 1) / 2, (f->height + 1) / 2, cx, cy);
    f->pts = avatar->pts;
    f->pkt_duration = avatar->pkt_duration;
    return f;
}

}  // namespace avpost::filters
