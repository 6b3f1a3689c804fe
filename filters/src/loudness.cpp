#include "avpost/filters/loudness.hpp"

#include <array>
#include <cmath>
#include <cstring>

extern "C" {
#include <libavutil/channel_layout.h>
}

#include "avpost/core/error.hpp"

namespace avpost::media {

void to_json(nlohmann::json& j, const LoudnessReading& r) {
    auto number = [](double v) { return std::isfinite(v) ? nlohmann::json(std::round(v * 100.0) / 100.0) : nlohmann::json(); };
    j = {{"integrated_lufs", number(r.integrated_lufs)}, {"true_peak_dbtp", number(r.true_peak_dbtp)}};
}

}  // namespace avpost::media

namespace avpost::filters {

namespace {

constexpr std::array<std::pair<LoudnessTarget, std::string_view>, 5> target_names{{
    {LoudnessTarget::off, "off"},
    {LoudnessTarget::web, "web"},
    {LoudnessTarget::podcast, "podcast"},
    {LoudnessTarget::broadcast, "broadcast"},
    {LoudnessTarget::us_tv, "us-tv"},
}};

double round_to(double value, double step) { return std::round(value / step) * step; }

}  // namespace

LoudnessTarget parse_loudness_target(std::string_view name) {
    for (const auto& [target, known] : target_names)
        if (known == name) return target;
    throw_usage("unknown loudness target '" + std::string(name) +
                "' (web: -14 LUFS, podcast: -16, broadcast: -23, us-tv: -24, off)");
}

std::string_view to_string(LoudnessTarget target) {
    for (const auto& [known, name] : target_names)
        if (known == target) return name;
    return "?";
}

LoudnessGoal loudness_goal(LoudnessTarget target) {
    switch (target) {
        case LoudnessTarget::web: return {-14.0, -1.0};
        case LoudnessTarget::podcast: return {-16.0, -1.0};
        case LoudnessTarget::broadcast: return {-23.0, -1.0};
        case LoudnessTarget::us_tv: return {-24.0, -2.0};
        case LoudnessTarget::off: break;
    }
    throw_usage("loudness 'off' has no target level");
}

LoudnessPlan plan_loudness(LoudnessTarget target, const media::LoudnessReading& input) {
    LoudnessPlan plan;
    plan.target = target;
    plan.input = input;
    if (target == LoudnessTarget::off) return plan;
    plan.goal = loudness_goal(target);
    if (input.silent()) return plan;  // nothing to bring up: carried as it is
    // A hundredth of a dB is below anything audible or measurable after encoding.
    plan.gain_db = round_to(plan.goal.integrated_lufs - input.integrated_lufs, 0.01);
    plan.limit = std::isfinite(input.true_peak_dbtp) &&
                 input.true_peak_dbtp + plan.gain_db > plan.goal.ceiling_dbtp - encoder_headroom_db;
    return plan;
}

void to_json(nlohmann::json& j, const LoudnessPlan& p) {
    j = {{"target", std::string(to_string(p.target))}};
    if (p.target == LoudnessTarget::off) return;
    j["target_lufs"] = p.goal.integrated_lufs;
    j["ceiling_dbtp"] = p.goal.ceiling_dbtp;
    j["input"] = p.input;
    j["gain_db"] = p.gain_db;
    j["limited"] = p.limit;
    if (p.limit) j["limiter_makeup_db"] = p.limiter_makeup_db;
}

LoudnessStage::LoudnessStage(const LoudnessPlan& plan, int channels, int sample_rate)
    : gain_(float(std::pow(10.0, plan.gain_db / 20.0))), channels_(channels), sample_rate_(sample_rate),
      out_(media::make_frame()) {
    if (plan.limit) limiter_.emplace(channels, sample_rate, plan.goal.ceiling_dbtp - encoder_headroom_db);
    to_drop_ = limiter_ ? limiter_->delay() : 0;
}

const AVFrame* LoudnessStage::emit(const float* samples, int frames) {
    // The limiter's first delay() frames are the silence that filled its look-ahead.
    const int dropped = std::min(frames, to_drop_);
    to_drop_ -= dropped;
    frames -= dropped;
    if (frames <= 0) return nullptr;
    AVFrame* out = out_.get();
    if (!out->buf[0] || capacity_ < frames) {
        av_frame_unref(out);
        out->format = AV_SAMPLE_FMT_FLT;
        out->sample_rate = sample_rate_;
        av_channel_layout_default(&out->ch_layout, channels_);
        out->nb_samples = std::max(frames, 4096);
        check_av(av_frame_get_buffer(out, 0), "av_frame_get_buffer (loudness)");
        capacity_ = out->nb_samples;
    }
    check_av(av_frame_make_writable(out), "av_frame_make_writable (loudness)");
    out->nb_samples = frames;
    std::memcpy(out->data[0], samples + std::ptrdiff_t(dropped) * channels_, sizeof(float) * std::size_t(frames) * channels_);
    out->pts = next_pts_;
    next_pts_ += frames;
    return out;
}

const AVFrame* LoudnessStage::process(const AVFrame* in) {
    if (in->format != AV_SAMPLE_FMT_FLT || in->ch_layout.nb_channels != channels_ || in->sample_rate != sample_rate_)
        throw_av("loudness stage: audio frame in an unexpected layout", AVERROR_BUG);
    if (next_pts_ == AV_NOPTS_VALUE) next_pts_ = in->pts == AV_NOPTS_VALUE ? 0 : in->pts;
    const std::size_t count = std::size_t(in->nb_samples) * channels_;
    if (work_.size() < count) work_.resize(std::max(count, std::size_t(4096) * channels_));
    if (gained_.size() < count) gained_.resize(work_.size());
    const float* source = reinterpret_cast<const float*>(in->data[0]);
    for (std::size_t i = 0; i < count; ++i) gained_[i] = source[i] * gain_;
    if (!limiter_) return emit(gained_.data(), in->nb_samples);
    limiter_->process(gained_.data(), work_.data(), in->nb_samples);
    return emit(work_.data(), in->nb_samples);
}

const AVFrame* LoudnessStage::flush() {
    if (!limiter_ || next_pts_ == AV_NOPTS_VALUE) return nullptr;
    const int frames = limiter_->delay();
    const std::size_t count = std::size_t(frames) * channels_;
    if (work_.size() < count) work_.resize(count);
    if (gained_.size() < count) gained_.resize(count);
    std::fill(gained_.begin(), gained_.begin() + std::ptrdiff_t(count), 0.0f);
    limiter_->process(gained_.data(), work_.data(), frames);
    return emit(work_.data(), frames);
}

}  // namespace avpost::filters
