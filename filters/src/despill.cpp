#include "avpost/filters/despill.hpp"

#include <cmath>
#include <opencv2/imgproc.hpp>

#include "avpost/core/error.hpp"

namespace avpost::filters {

Despill::Despill(Rgb8 backdrop, AVColorSpace matrix, AVColorRange range, int band) : band_(std::max(1, band)) {
    Yuv8 key = rgb_to_yuv(backdrop, matrix, range);
    float u = float(key.u) - 128.0f, v = float(key.v) - 128.0f;
    float length = std::sqrt(u * u + v * v);
    if (length < 1.0f) throw_usage("--despill needs a coloured backdrop, not a grey one");
    key_u_ = u / length;
    key_v_ = v / length;
    kernel_ = cv::getStructuringElement(cv::MORPH_RECT, cv::Size(2 * band_ + 1, 2 * band_ + 1));
    output_ = media::make_frame();
}

const AVFrame* Despill::apply(const AVFrame* avatar, const cv::Mat& alpha) {
    if (avatar->format != AV_PIX_FMT_YUV420P) throw_input("despill", "expects yuv420p");
    const int cw = (avatar->width + 1) / 2, ch = (avatar->height + 1) / 2;
    chroma_u_.create(ch, cw, CV_8U);
    chroma_v_.create(ch, cw, CV_8U);
    // Smallest alpha within the band: below 255 means an edge (or transparency) is near.
    cv::erode(alpha, eroded_, kernel_, cv::Point(-1, -1), 1, cv::BORDER_REPLICATE);
    for (int cy = 0; cy < ch; ++cy) {
        const std::uint8_t* su = avatar->data[1] + std::ptrdiff_t(cy) * avatar->linesize[1];
        const std::uint8_t* sv = avatar->data[2] + std::ptrdiff_t(cy) * avatar->linesize[2];
        const std::uint8_t* near_edge = eroded_.ptr<std::uint8_t>(std::min(2 * cy, avatar->height - 1));
        std::uint8_t* du = chroma_u_.ptr<std::uint8_t>(cy);
        std::uint8_t* dv = chroma_v_.ptr<std::uint8_t>(cy);
        for (int cx = 0; cx < cw; ++cx) {
            float u = float(su[cx]) - 128.0f, v = float(sv[cx]) - 128.0f;
            float towards_key = u * key_u_ + v * key_v_;
            if (towards_key > 0.0f && near_edge[std::min(2 * cx, avatar->width - 1)] < 255) {
                u -= towards_key * key_u_;
                v -= towards_key * key_v_;
            }
            du[cx] = cv::saturate_cast<std::uint8_t>(std::lround(u + 128.0f));
            dv[cx] = cv::saturate_cast<std::uint8_t>(std::lround(v + 128.0f));
        }
    }
    // A frame view: luma borrowed from the avatar, chroma ours.
    av_frame_unref(output_.get());
    check_av(av_frame_copy_props(output_.get(), avatar), "av_frame_copy_props");
    output_->format = avatar->format;
    output_->width = avatar->width;
    output_->height = avatar->height;
    output_->data[0] = avatar->data[0];
    output_->linesize[0] = avatar->linesize[0];
    output_->data[1] = chroma_u_.data;
    output_->linesize[1] = int(chroma_u_.step);
    output_->data[2] = chroma_v_.data;
    output_->linesize[2] = int(chroma_v_.step);
    return output_.get();
}

}  // namespace avpost::filters
