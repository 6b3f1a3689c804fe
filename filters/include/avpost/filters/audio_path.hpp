#pragma once
// The deliveries' audio when it is processed: the source's audio decoded ONCE, converted to
// interleaved float (at most two channels, the deliveries' layout), run through the loudness
// stage, and each processed frame handed to every sink, which only encodes it.
#include <filesystem>
#include <functional>
#include <optional>

#include "avpost/filters/loudness.hpp"
#include "avpost/media/handles.hpp"

namespace avpost::filters {

class AudioPath {
public:
    using Deliver = std::function<void(const AVFrame*)>;  // frames in 1/sample_rate()

    AudioPath(const AVStream* source, const LoudnessPlan& plan, Deliver deliver);

    int channels() const { return channels_; }
    int sample_rate() const { return sample_rate_; }
    // A packet of `source` (from the decoding thread); not modified.
    void push(const AVPacket* packet);
    // Drains the decoder and the stage's look-ahead.
    void finish();

private:
    void decode(const AVPacket* packet);
    void pass_on(const AVFrame* decoded);

    const AVStream* source_;
    int channels_ = 2;
    int sample_rate_ = 48000;
    Deliver deliver_;
    media::CodecContextPtr decoder_;
    media::SwrContextPtr resampler_;
    media::FramePtr decoded_, converted_;
    int converted_capacity_ = 0;
    struct FrameFormat {
        int format = -1, sample_rate = 0, channels = 0;
        bool operator==(const FrameFormat&) const = default;
    };
    std::optional<FrameFormat> first_format_;
    std::optional<LoudnessStage> stage_;
    bool finished_ = false;
};

// Limiting the peaks takes some loudness off with them (most where the loud passages are the
// peaky ones): the plan's gain corrected for it by running the source's audio through the stage
// and measuring the result, up to `passes` times, until it is within 0.1 LU of the goal. The
// correction is capped at +3 dB (more would only be limited away). Plans without a limiter are
// exact already and come back as they are.
LoudnessPlan refine_loudness_plan(LoudnessPlan plan, const std::filesystem::path& file, int stream_index, int passes = 3);
// The same for audio that is not one stream of a file: `simulate` runs it through a plan's stage
// and measures the result.
LoudnessPlan refine_loudness_plan(LoudnessPlan plan, const std::function<media::LoudnessReading(const LoudnessPlan&)>& simulate,
                                  int passes = 3);

}  // namespace avpost::filters
