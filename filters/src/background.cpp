#include "avpost/filters/background.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "avpost/core/error.hpp"

namespace avpost::filters {

Background::Background(const std::string& spec) : spec_(spec) {
    if (spec.starts_with('#')) {
        colour_ = parse_hex_colour(spec);
        return;
    }
    if (spec.empty()) throw_usage("no background given (an image, a video or #RRGGBB)");
    source_ = std::make_unique<media::VideoSource>(spec, "background");
    native_size_ = Size{source_->info().width, source_->info().height};
    video_ = !source_->info().still_image;
}

std::optional<Size> Background::native_size() const { return native_size_; }

std::optional<media::VideoStreamInfo> Background::stream_info() const {
    if (!source_) return std::nullopt;
    return source_->info();
}

bool Background::is_video() const { return video_; }

std::string Background::where() const { return "background '" + spec_ + "'"; }

void Background::prepare(Size canvas, AVColorSpace matrix, StreamEnd end) {
    still_ = media::make_video_frame(AV_PIX_FMT_YUV420P, canvas.width, canvas.height);
    still_->colorspace = matrix;
    still_->color_range = AVCOL_RANGE_MPEG;
    if (colour_) {
        fill_solid(still_.get(), rgb_to_yuv(*colour_, matrix, AVCOL_RANGE_MPEG));
        return;
    }
    converter_ = std::make_unique<FrameConverter>(
        ConvertTarget{canvas.width, canvas.height, AV_PIX_FMT_YUV420P, matrix, AVCOL_RANGE_MPEG});
    const auto& info = source_->info();
    if (info.width != canvas.width || info.height != canvas.height) {
        // Backgrounds fill the canvas ("cover"), centred, like editly and Shotstack.
        Placement cover = cover_canvas({info.width, info.height}, canvas);
        double scale = double(cover.size.width) / info.width;
        SourceCrop crop{int(std::lround(-cover.position.x / scale)), int(std::lround(-cover.position.y / scale)),
                        std::max(1, int(std::lround(canvas.width / scale))),
                        std::max(1, int(std::lround(canvas.height / scale)))};
        crop.width = std::min(crop.width, info.width - crop.x);
        crop.height = std::min(crop.height, info.height - crop.y);
        converter_->set_crop(crop);
    }
    source_matrix_ = resolve_matrix(info.colorspace, info.height);
    if (is_video()) {
        source_->enable_prefetch(3);
        timed_ = std::make_unique<TimedFrames>(*source_, end);
        return;
    }
    media::FramePtr picture = media::make_frame();
    if (!source_->next(picture.get())) throw_input(where(), "has no picture");
    check_av(av_frame_copy(still_.get(), convert(picture.get())), "av_frame_copy (background)");
    // A still is needed once: its decoder's pool (a 4K RGBA picture is 33 MB) and the converter's
    // frame would otherwise stay resident for the whole compose.
    picture.reset();
    converter_.reset();
    source_.reset();
}

const AVFrame* Background::at(double t) {
    if (!is_video()) return still_.get();
    const AVFrame* frame = timed_->at(t, same_instant_seconds);
    if (!frame) throw_input(where(), "has no decodable frame");
    // Converted once per background frame, however many avatar frames use it. TimedFrames swaps
    // two frames, so the pointer alone repeats when a faster background steps twice: the
    // timestamp tells the frames apart.
    if (frame != last_source_ || frame->best_effort_timestamp != last_source_timestamp_) {
        last_source_ = frame;
        last_source_timestamp_ = frame->best_effort_timestamp;
        last_converted_ = convert(frame);
    }
    return last_converted_;
}

std::optional<double> Background::planned_end() const {
    // A still never ends.
    if (!video_ || source_->info().duration_seconds <= 0) return std::nullopt;
    return source_->info().duration_seconds;
}

bool Background::ended_before(double t) const { return timed_ && timed_->ended_before(t); }

const AVFrame* Background::convert(const AVFrame* frame) {
    AVColorRange range = effective_range(AVPixelFormat(frame->format), frame->color_range, AVCOL_RANGE_MPEG);
    return converter_->convert(frame, source_matrix_, range);
}

}  // namespace avpost::filters
