#pragma once
// Stage: a programme's frames around the composited segment. Before the segment it writes the
// intro's own frames; during it each composited frame goes out on the programme's clock, blended
// with the intro's or outro's picture through the transitions; after it, the outro's frames. The
// programme's audio (programme_audio.hpp) is made in step: each frame written brings it up to the
// frame's end.
#include <cstdint>
#include <memory>
#include <optional>

#include "avpost/filters/compose_plan.hpp"
#include "avpost/filters/delivery_sink.hpp"
#include "avpost/filters/layer_stack.hpp"
#include "avpost/filters/programme_audio.hpp"
#include "compose_outputs.hpp"

namespace avpost::filters {

// The parts of a programme's audio: the avatar (its first video frame at `avatar_first_seconds` on
// its file's clock), the intro and the outro, placed and faded as the plan's frames are.
std::vector<ProgrammeAudioPart> programme_audio_parts(const ComposePlan& plan, double avatar_first_seconds);
// The programme's length as planned, in seconds.
double programme_seconds(const ComposePlan& plan);

class ProgrammeRun {
public:
    // `audio` may be null (no part has audio, or no output takes it).
    ProgrammeRun(const ComposePlan& plan, ComposeOutputs& outputs, ProgrammeAudio* audio);
    ~ProgrammeRun();

    // The intro's frames before the segment starts.
    void write_intro();
    // One composited frame at `segment_seconds` from the avatar's first. False once the outro has
    // taken over the picture (the avatar runs longer than probed): read no more of it.
    bool write_segment(const DeliveryFrame& frame, double segment_seconds);
    // After the segment's last frame (the next would have been at `next_segment_seconds`): the
    // outro's frames, then the audio to the programme's end.
    void finish(double next_segment_seconds);

    std::int64_t frames() const { return frames_; }
    double duration_seconds() const { return end_seconds_; }

private:
    class Clip;
    void emit(const DeliveryFrame& frame, double programme_seconds, std::int64_t pts);
    double progress(double programme_seconds, double start) const;
    std::int64_t pts_of(double programme_seconds) const;

    const ComposePlan& plan_;
    ComposeOutputs& outputs_;
    ProgrammeAudio* audio_;
    double frame_seconds_;
    double segment_start_;        // programme seconds
    double overlap_seconds_;      // of each transition
    double outro_start_;          // programme seconds; moved when the segment ends sooner
    std::unique_ptr<Clip> intro_, outro_;
    Yuv8 fade_colour_;
    media::FramePtr mixed_, mixed_layer_;      // transition pictures
    media::FramePtr retimed_, retimed_layer_;  // references to the segment's pictures, with the programme's pts
    std::int64_t frames_ = 0;
    std::int64_t last_pts_ = AV_NOPTS_VALUE;
    double end_seconds_ = 0.0;
};

}  // namespace avpost::filters
