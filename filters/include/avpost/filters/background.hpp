#pragma once
// The compose background: a solid colour, a still image (converted once) or a video (converted
// per frame, looping or holding at its end), always delivered in the working format at canvas size.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "avpost/filters/colour.hpp"
#include "avpost/filters/frame_converter.hpp"
#include "avpost/filters/placement.hpp"
#include "avpost/filters/timed_frames.hpp"
#include "avpost/media/video_source.hpp"

namespace avpost::filters {

class Background {
public:
    // `spec` is an image or video path, or a colour "#RRGGBB".
    explicit Background(const std::string& spec);

    std::optional<Size> native_size() const;
    // What opening an image or video told (before prepare()); empty for a colour.
    std::optional<media::VideoStreamInfo> stream_info() const;
    bool is_video() const;
    // A static background never changes, so the canvas outside the avatar can be kept.
    bool is_static() const { return !is_video(); }

    // Prepares the canvas-sized picture(s); a background of another size covers the canvas, centred.
    void prepare(Size canvas, AVColorSpace matrix, StreamEnd end);

    // The background at time t (seconds from the avatar's start), in yuv420p limited range with
    // the canvas matrix. A video's clock starts with its first frame: at t it shows its latest
    // frame whose time is <= t, the same frame for the whole canvas (ffmpeg's overlay rule).
    const AVFrame* at(double t);
    // How long a video background runs by its container, when known: where audio is cut (from the
    // avatar's start) when the output stops with the background.
    std::optional<double> planned_end() const;
    // True once a non-looping video background has ended before t (seconds from the avatar's start).
    bool ended_before(double t) const;

private:
    const AVFrame* convert(const AVFrame* frame);
    std::string where() const;

    std::string spec_;
    std::optional<Rgb8> colour_;
    std::optional<Size> native_size_;  // of the image or video, not of a colour
    bool video_ = false;
    std::unique_ptr<media::VideoSource> source_;  // a video's; a still's only until prepare()
    std::unique_ptr<FrameConverter> converter_;
    std::unique_ptr<TimedFrames> timed_;
    media::FramePtr still_;
    AVColorSpace source_matrix_ = AVCOL_SPC_BT709;
    const AVFrame* last_source_ = nullptr;
    std::int64_t last_source_timestamp_ = 0;
    const AVFrame* last_converted_ = nullptr;
};

}  // namespace avpost::filters
