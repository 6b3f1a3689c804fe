// The loudness stage without encoders: targets, the gain decision, and the limiter on samples
// whose true peak is known (a sine between samples).
#include "avpost/filters/loudness.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <vector>

#include "avpost/core/error.hpp"
#include "avpost/media/loudness_meter.hpp"

using namespace avpost::filters;
using avpost::media::LoudnessMeter;
using avpost::media::LoudnessReading;

namespace {

constexpr int rate = 48000;

// Interleaved stereo: a quiet 220 Hz tone with, every second, a 3 ms burst of a 11 kHz tone at
// `burst` amplitude, phased so its peaks fall between samples.
std::vector<float> tone_with_bursts(double seconds, double burst) {
    std::vector<float> out;
    const int n = int(seconds * rate);
    for (int i = 0; i < n; ++i) {
        const double t = double(i) / rate;
        double v = 0.05 * std::sin(2 * std::numbers::pi * 220 * t);
        if (std::fmod(t, 1.0) > 0.5 && std::fmod(t, 1.0) < 0.503) v += burst * std::sin(2 * std::numbers::pi * 11025 * t + 0.7);
        out.push_back(float(v));
        out.push_back(float(v));
    }
    return out;
}

LoudnessReading measure(const std::vector<float>& samples) {
    LoudnessMeter meter(2, rate);
    meter.add(samples.data(), samples.size() / 2);
    return meter.reading();
}

// Runs the stage in 1024-frame pieces, as decoded audio arrives.
std::vector<float> run_stage(const LoudnessPlan& plan, const std::vector<float>& in) {
    LoudnessStage stage(plan, 2, rate);
    avpost::media::FramePtr frame = avpost::media::make_frame();
    std::vector<float> out;
    std::int64_t expected_pts = 1000;
    auto take = [&](const AVFrame* f) {
        if (!f) return;
        EXPECT_EQ(f->pts, expected_pts) << "timestamps continue with no gap or delay";
        expected_pts += f->nb_samples;
        const float* s = reinterpret_cast<const float*>(f->data[0]);
        out.insert(out.end(), s, s + 2 * f->nb_samples);
    };
    for (std::size_t at = 0; at < in.size(); at += 2048) {
        const int frames = int(std::min<std::size_t>(2048, in.size() - at) / 2);
        av_frame_unref(frame.get());
        frame->format = AV_SAMPLE_FMT_FLT;
        frame->sample_rate = rate;
        av_channel_layout_default(&frame->ch_layout, 2);
        frame->nb_samples = frames;
        EXPECT_EQ(av_frame_get_buffer(frame.get(), 0), 0);
        std::copy(in.begin() + std::ptrdiff_t(at), in.begin() + std::ptrdiff_t(at + 2 * frames),
                  reinterpret_cast<float*>(frame->data[0]));
        frame->pts = 1000 + std::int64_t(at / 2);
        take(stage.process(frame.get()));
    }
    take(stage.flush());
    return out;
}

}  // namespace

TEST(Loudness, TargetsAreTheNamedStandards) {
    EXPECT_EQ(loudness_goal(parse_loudness_target("web")).integrated_lufs, -14.0);
    EXPECT_EQ(loudness_goal(parse_loudness_target("podcast")).integrated_lufs, -16.0);
    EXPECT_EQ(loudness_goal(parse_loudness_target("broadcast")).integrated_lufs, -23.0);
    EXPECT_EQ(loudness_goal(parse_loudness_target("broadcast")).ceiling_dbtp, -1.0);
    EXPECT_EQ(loudness_goal(parse_loudness_target("us-tv")).integrated_lufs, -24.0);
    EXPECT_EQ(loudness_goal(parse_loudness_target("us-tv")).ceiling_dbtp, -2.0);
    EXPECT_EQ(parse_loudness_target("off"), LoudnessTarget::off);
    EXPECT_THROW(parse_loudness_target("loud"), avpost::Error);
}

TEST(Loudness, OneStaticGainAndTheLimiterOnlyWhenPeaksWouldPassTheCeiling) {
    LoudnessPlan quiet = plan_loudness(LoudnessTarget::web, {-30.0, -27.0});
    EXPECT_NEAR(quiet.gain_db, 16.0, 1e-9);
    EXPECT_FALSE(quiet.limit);  // -11 dBTP after the gain
    EXPECT_TRUE(quiet.applies());
    LoudnessPlan peaky = plan_loudness(LoudnessTarget::web, {-30.0, -12.0});
    EXPECT_TRUE(peaky.limit);  // +4 dBTP after the gain
    LoudnessPlan loud = plan_loudness(LoudnessTarget::broadcast, {-8.0, -1.0});
    EXPECT_NEAR(loud.gain_db, -15.0, 1e-9);
    EXPECT_FALSE(loud.limit);
    LoudnessPlan silent = plan_loudness(LoudnessTarget::web, {-HUGE_VAL, -HUGE_VAL});
    EXPECT_FALSE(silent.applies());  // nothing to bring up: carried as it is
    EXPECT_FALSE(plan_loudness(LoudnessTarget::off, {-30.0, -27.0}).applies());
}

TEST(Loudness, GainAloneIsExactAndKeepsTheTimestamps) {
    const std::vector<float> in = tone_with_bursts(4.0, 0.0);
    const LoudnessReading before = measure(in);
    LoudnessPlan plan = plan_loudness(LoudnessTarget::podcast, before);
    ASSERT_FALSE(plan.limit);
    const std::vector<float> out = run_stage(plan, in);
    ASSERT_EQ(out.size(), in.size());
    EXPECT_NEAR(measure(out).integrated_lufs, -16.0, 0.02);
    const float gain = float(std::pow(10.0, plan.gain_db / 20.0));
    for (std::size_t i = 0; i < in.size(); i += 997) EXPECT_NEAR(out[i], in[i] * gain, 1e-5);
}

TEST(Loudness, LimiterHoldsTruePeaksUnderTheCeilingAndLeavesTheRestAlone) {
    const std::vector<float> in = tone_with_bursts(4.0, 0.6);
    const LoudnessReading before = measure(in);
    LoudnessPlan plan = plan_loudness(LoudnessTarget::web, before);
    ASSERT_TRUE(plan.limit) << "input " << before.integrated_lufs << " LUFS, " << before.true_peak_dbtp << " dBTP";
    const std::vector<float> out = run_stage(plan, in);
    ASSERT_EQ(out.size(), in.size());
    const LoudnessReading after = measure(out);
    // The limiter's threshold is the ceiling less the encoder headroom; libebur128's true peak
    // is the independent check here (4x oversampled with its own filter).
    EXPECT_LE(after.true_peak_dbtp, plan.goal.ceiling_dbtp - encoder_headroom_db + 0.3);
    // Away from the bursts (beyond look-ahead and release) the samples are the plain gain's.
    const float gain = float(std::pow(10.0, plan.gain_db / 20.0));
    for (double t : {0.25, 1.25, 2.2, 3.3}) {
        const std::size_t i = std::size_t(t * rate) * 2;
        EXPECT_NEAR(out[i], in[i] * gain, 2e-3 * std::max(1.0f, std::abs(in[i] * gain))) << "at " << t << " s";
    }
    // No pumping: the gain is back within 0.1 dB 0.3 s after each burst.
    for (int second = 0; second < 4; ++second) {
        const double t = second + 0.85;
        double in_energy = 0, out_energy = 0;
        for (std::size_t i = std::size_t(t * rate) * 2; i < std::size_t((t + 0.1) * rate) * 2; ++i) {
            in_energy += double(in[i]) * in[i] * gain * gain;
            out_energy += double(out[i]) * out[i];
        }
        EXPECT_NEAR(10 * std::log10(out_energy / in_energy), 0.0, 0.1) << "after the burst at " << second + 0.5 << " s";
    }
}
