#pragma once
// A programme's sound (intro, avatar segment, outro): each part's audio decoded from its own file,
// placed on the programme's clock by the rule every input follows (its clock starts at its first
// presented video frame, and its audio keeps its offset from that frame, so the avatar's lips stay
// in sync wherever the segment starts), faded through the transitions and mixed. Produced in step
// with the pictures, as interleaved float frames with pts in 1/sample_rate from the programme's 0.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "avpost/filters/music_bed.hpp"
#include "avpost/filters/transition.hpp"
#include "avpost/media/handles.hpp"
#include "avpost/media/loudness_meter.hpp"

namespace avpost::filters {

struct LoudnessPlan;

struct ProgrammeAudioPart {
    std::filesystem::path file;        // read for its best audio stream; a part without one is silent
    double programme_start = 0.0;      // programme seconds of the part's first video frame
    double first_video_seconds = 0.0;  // that frame's time on the file's own clock
    // The part comes in through `enter` from `enter_at` and leaves through `leave` from `leave_at`
    // (each over its overlap; a cut switches at the instant); outside it is silent.
    Transition enter{};
    double enter_at = 0.0;
    Transition leave{};
    double leave_at = 1e300;  // never, by default
    // The part's gain at programme time t.
    float gain_at(double t) const;
};

class ProgrammeAudio {
public:
    using Deliver = std::function<void(const AVFrame*)>;

    // Opens every part's file; throws Error(input) naming a file that does not open. With
    // `music`, the music bed (decoded now) goes under the first part, the avatar's voice, ducked
    // by it alone: the intro's and outro's own sound neither duck it nor are ducked.
    ProgrammeAudio(std::vector<ProgrammeAudioPart> parts, double programme_seconds,
                   const std::optional<MusicParams>& music = std::nullopt);
    ~ProgrammeAudio();
    ProgrammeAudio(const ProgrammeAudio&) = delete;
    ProgrammeAudio& operator=(const ProgrammeAudio&) = delete;

    bool has_audio() const { return stream_ != nullptr; }  // some part, or the music, has audio
    const AVStream* first_stream() const { return stream_; }  // of the first part with audio (or the music's)
    // What the music bed did so far; nullopt without music.
    std::optional<MusicReport> music_report() const;
    int sample_rate() const { return sample_rate_; }
    int channels() const { return channels_; }

    // Changes a part's timing (the segment ended before its probed end): only parts whose
    // samples have not been produced yet may move.
    ProgrammeAudioPart& part(std::size_t index);
    std::size_t part_count() const { return parts_.size(); }
    void set_programme_seconds(double seconds);

    // Delivers the mix up to `seconds` (programme time, capped at the programme's end).
    void produce_until(double seconds, const Deliver& deliver);
    // Delivers the rest, up to the programme's end.
    void finish(const Deliver& deliver) { produce_until(programme_seconds_, deliver); }

private:
    class Reader;
    std::vector<ProgrammeAudioPart> parts_;
    std::vector<std::unique_ptr<Reader>> readers_;  // one per part; null for a silent part
    const AVStream* stream_ = nullptr;
    media::InputFormatPtr music_input_;  // only to name an audio stream when no part has one
    std::optional<MusicBed> music_;
    double programme_seconds_;
    int sample_rate_ = 48000;
    int channels_ = 2;
    std::int64_t produced_ = 0;  // samples (per channel) delivered
    media::FramePtr out_;
};

// The whole programme's audio from the start, measured (the loudness stage's input); with
// `stage`, measured after that loudness plan's stage.
media::LoudnessReading measure_programme_audio(const std::vector<ProgrammeAudioPart>& parts, double programme_seconds,
                                               const std::optional<MusicParams>& music, const LoudnessPlan* stage = nullptr);

}  // namespace avpost::filters
