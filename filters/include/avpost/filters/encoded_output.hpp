#pragma once
// One encoded output fed from delivery frames: picks the picture or the alpha layer, converts it
// to the encoder's size and pixel format once per frame (or not at all when it already matches),
// encodes, and carries the source's audio. Shared by the file presets and each HLS rendition.
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "avpost/filters/delivery_sink.hpp"
#include "avpost/filters/frame_converter.hpp"
#include "avpost/media/audio_carrier.hpp"
#include "avpost/media/media_writer.hpp"

namespace avpost::filters {

struct EncodedOutputSpec {
    std::filesystem::path path;  // where the bytes go (a temporary name)
    std::string container;       // a file name or libavformat short name picking the muxer
    media::VideoEncodeSettings video;  // width, height, pixel_format, range, codec and options
    // The YCbCr matrix to deliver in (converted exactly when it differs from the canvas's):
    // web players assume BT.709, JPEG and WebP decoders BT.601. Empty: the canvas's.
    std::optional<AVColorSpace> matrix;
    bool use_layer = false;            // encode the alpha layer instead of the picture
    std::string audio_encoder;         // "aac", "libopus"; empty: no audio
    std::map<std::string, std::string> muxer_options;
    // Not encoded here: the video is this other output's packets, muxed as they come (the HLS
    // top rung cut from the web encode). `video` then only names the size; write() does nothing.
    EncodedOutput* video_from = nullptr;
    bool soft_captions = false;        // carry SinkContext::captions as a text track where the container takes one
};

class EncodedOutput {
public:
    EncodedOutput(EncodedOutputSpec spec, const SinkContext& context);
    ~EncodedOutput();
    EncodedOutput(const EncodedOutput&) = delete;
    EncodedOutput& operator=(const EncodedOutput&) = delete;

    void begin();
    // `pts`, when given, replaces the frame's own (in SinkContext::time_base of this output).
    void write(const DeliveryFrame& frame, std::optional<std::int64_t> pts = std::nullopt);
    void push_audio(const AVPacket* packet);
    void push_audio_frame(const AVFrame* frame);
    void finish();

    bool has_audio() const { return writer_->has_audio(); }
    bool has_captions() const { return writer_->has_subtitles(); }
    int caption_cues() const { return has_captions() ? int(next_cue_) : 0; }  // written so far
    std::int64_t frames() const { return writer_->video_frames_written(); }
    const EncodedOutputSpec& spec() const { return spec_; }
    // The video stream as encoded (codec, profile, level, extradata).
    const AVCodecParameters* video_parameters() const { return writer_->video_parameters(); }

private:
    EncodedOutputSpec spec_;
    const SinkContext& context_;
    std::unique_ptr<media::MediaWriter> writer_;
    std::unique_ptr<media::AudioCarrier> audio_;
    std::unique_ptr<FrameConverter> converter_;
    media::FramePtr retimed_;  // a reference to a shared frame, with this output's pts
    void write_cues_until(double seconds);
    std::size_t next_cue_ = 0;
    bool finished_ = false;
};

}  // namespace avpost::filters
