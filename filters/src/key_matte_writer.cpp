#include "key_matte_writer.hpp"

#include <filesystem>

#include "avpost/core/error.hpp"
#include "avpost/filters/colour.hpp"

namespace avpost::filters {

KeyMatteWriter::KeyMatteWriter(const std::string& path, Size size, AVRational frame_rate, AVRational time_base)
    : atomic_(path), frame_(media::make_video_frame(AV_PIX_FMT_YUV420P, size.width, size.height)) {
    writer_ = std::make_unique<media::MediaWriter>(atomic_.temp_path().string(), path);
    media::VideoEncodeSettings video;
    video.codec = std::filesystem::path(path).extension() == ".mkv" ? "ffv1" : "libx264";
    video.width = size.width;
    video.height = size.height;
    video.frame_rate = frame_rate.num > 0 ? frame_rate : AVRational{25, 1};
    video.time_base = time_base;
    video.range = AVCOL_RANGE_MPEG;
    writer_->add_video(video);
    writer_->begin();
    fill_solid(frame_.get(), Yuv8{16, 128, 128});
    for (int a = 0; a < 256; ++a) to_limited_[a] = std::uint8_t(16 + (a * 219 + 127) / 255);
}

void KeyMatteWriter::write(const cv::Mat& alpha, std::int64_t pts) {
    check_av(av_frame_make_writable(frame_.get()), "av_frame_make_writable (key matte)");
    for (int y = 0; y < alpha.rows; ++y) {
        const std::uint8_t* a = alpha.ptr<std::uint8_t>(y);
        std::uint8_t* out = frame_->data[0] + std::ptrdiff_t(y) * frame_->linesize[0];
        for (int x = 0; x < alpha.cols; ++x) out[x] = to_limited_[a[x]];
    }
    frame_->pts = pts;
    writer_->write_video(frame_.get());
}

void KeyMatteWriter::finish() {
    writer_->finish();
    atomic_.commit();
}

}  // namespace avpost::filters
