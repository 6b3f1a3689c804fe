#pragma once
// The loudness stage: deliveries brought to a named target (integrated loudness and true-peak
// ceiling) by ONE static gain worked out from a measurement of the whole source, and a true-peak
// limiter only where that gain would push peaks over the ceiling. Never a dynamic mode that
// rides the level (it pumps). Measuring is media/loudness_meter.hpp's; this decides and applies.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "avpost/filters/true_peak_limiter.hpp"
#include "avpost/media/handles.hpp"
#include "avpost/media/loudness_meter.hpp"

namespace avpost::media {
void to_json(nlohmann::json& j, const LoudnessReading& reading);  // rounded to 0.01; -inf as null
}  // namespace avpost::media

namespace avpost::filters {

enum class LoudnessTarget { off, web, podcast, broadcast, us_tv };

// "web|podcast|broadcast|us-tv|off"; throws Error(usage) naming the bad value.
LoudnessTarget parse_loudness_target(std::string_view name);
std::string_view to_string(LoudnessTarget target);

struct LoudnessGoal {
    double integrated_lufs = -14.0;
    double ceiling_dbtp = -1.0;
};
// web -14/-1 (streaming platforms), podcast -16/-1, broadcast -23/-1 (EBU R128), us-tv -24/-2
// (ATSC A/85). Not for `off`.
LoudnessGoal loudness_goal(LoudnessTarget target);

// Peaks are held this far under the ceiling before encoding: lossy encoders (AAC, Opus) add
// overshoot of a few tenths of a dB, and the ceiling is a promise about the encoded file.
inline constexpr double encoder_headroom_db = 1.0;

// What the stage decided from the source's measurement.
struct LoudnessPlan {
    LoudnessTarget target = LoudnessTarget::off;
    LoudnessGoal goal;
    media::LoudnessReading input;
    double gain_db = 0.0;
    bool limit = false;  // the gain alone would put the true peak over the ceiling (less the headroom)
    double limiter_makeup_db = 0.0;  // of gain_db: added back for what the limiter took off (refine_loudness_plan)
    // A gain applies (a silent source or one already on target is carried as it is).
    bool applies() const { return target != LoudnessTarget::off && (limit || gain_db != 0.0); }
};
LoudnessPlan plan_loudness(LoudnessTarget target, const media::LoudnessReading& input);

// The report: target, input reading, gain, and whether the limiter was needed.
void to_json(nlohmann::json& j, const LoudnessPlan& plan);

// Applies a plan to interleaved float audio. Frames in, frames out, with the limiter's
// look-ahead delay taken back out of the timestamps; buffers are reused between frames.
class LoudnessStage {
public:
    LoudnessStage(const LoudnessPlan& plan, int channels, int sample_rate);

    // `in`: AV_SAMPLE_FMT_FLT, `channels`, `sample_rate`; pts in 1/sample_rate (the first frame's
    // pts starts the count). The result is valid until the next call; null when nothing is out yet.
    const AVFrame* process(const AVFrame* in);
    // The samples still held by the look-ahead; null when none.
    const AVFrame* flush();

private:
    const AVFrame* emit(const float* samples, int frames);

    float gain_;
    int channels_;
    int sample_rate_;
    std::optional<TruePeakLimiter> limiter_;
    int to_drop_ = 0;
    std::vector<float> gained_, work_;  // grow only when a longer frame arrives
    media::FramePtr out_;
    int capacity_ = 0;
    std::int64_t next_pts_ = AV_NOPTS_VALUE;
};

}  // namespace avpost::filters
