// Music under the voice, measured on the mixed samples themselves: the music is the mix less the
// voice the test fed in (known exactly), its level taken over whole periods of the 440 Hz tone.
#include "avpost/filters/music_bed.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <new>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <iostream>
#include <numeric>
#include <random>
#include <span>
#include <vector>

#include "avpost/core/error.hpp"
#include "avpost/media/loudness_meter.hpp"
#include "media_helpers.hpp"

using namespace avpost::filters;
using avpost::Error;
using avpost::ErrorDomain;
using avpost::testing::quote;
using avpost::testing::run_ffmpeg;
using avpost::testing::TempDir;

// Every allocation of the test binary is counted, to show mix() makes none.
namespace {
std::atomic<long> allocations{0};
}  // namespace
[[gnu::noinline]] void* operator new(std::size_t size) {
    allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(size ? size : 1)) return p;
    throw std::bad_alloc();
}
// Not inlined: gcc would otherwise see free() of operator new's pointer at every call site.
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace {

constexpr int rate = 48000;
constexpr int period_block = 1200;  // 25 ms: exactly 11 periods of 440 Hz at 48 kHz

// A 440 Hz tone file; `amplitude` of full scale, mono unless `channels`.
std::string tone_file(const TempDir& dir, const std::string& name, double seconds, double amplitude = 0.25,
                      const std::string& codec = "pcm_s16le", int sample_rate = rate, int channels = 1) {
    const std::string path = dir.file(name);
    run_ffmpeg("-f lavfi -i \"aevalsrc=" + std::to_string(amplitude) + "*sin(2*PI*440*t):s=" + std::to_string(sample_rate) +
               ":d=" + std::to_string(seconds) + ":c=" + (channels == 2 ? "stereo" : "mono") + "\" -c:a " + codec + " " +
               quote(path));
    return path;
}

// Stereo voice stand-in: white noise at -20 dBFS RMS while `speaking(t)`, digital silence else.
template <class Speaking>
std::vector<float> voice(double seconds, Speaking speaking, int channels = 2) {
    std::minstd_rand noise(7);
    const double a = 0.1 * std::sqrt(3.0);
    std::vector<float> v(std::size_t(seconds * rate) * std::size_t(channels), 0.0f);
    for (std::size_t i = 0; i < v.size() / std::size_t(channels); ++i) {
        const bool on = speaking(double(i) / rate);
        for (int c = 0; c < channels; ++c) {
            const double u = double(noise() - 1) / 2147483645.0 * 2.0 - 1.0;
            v[i * std::size_t(channels) + std::size_t(c)] = on ? float(a * u) : 0.0f;
        }
    }
    return v;
}

std::vector<float> silence(double seconds, int channels = 2) {
    return std::vector<float>(std::size_t(seconds * rate) * std::size_t(channels), 0.0f);
}

struct BedRun {
    std::vector<float> mix, music;  // music: the mix less the voice
    MusicReport report;
};

// The bed over `voice`, fed in blocks cycling through `blocks` (default: AAC-sized 1024).
BedRun run_bed(const MusicParams& p, const std::vector<float>& in, int channels = 2, std::vector<int> blocks = {1024}) {
    const std::int64_t frames = std::int64_t(in.size()) / channels;
    MusicBed bed(p, rate, channels, frames);
    BedRun r;
    r.mix = in;
    std::int64_t at = 0;
    for (std::size_t b = 0; at < frames; ++b) {
        const int n = int(std::min<std::int64_t>(blocks[b % blocks.size()], frames - at));
        bed.mix(r.mix.data() + at * channels, n);
        at += n;
    }
    r.music.resize(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) r.music[i] = r.mix[i] - in[i];
    r.report = bed.report();
    return r;
}

// RMS in dBFS of `s` over frames [from, from + count), all channels.
double level_db(const std::vector<float>& s, int channels, std::int64_t from, std::int64_t count = period_block) {
    double sum = 0;
    for (std::int64_t i = from * channels; i < (from + count) * channels; ++i) sum += double(s[std::size_t(i)]) * s[std::size_t(i)];
    return 10.0 * std::log10(sum / double(count * channels) + 1e-30);
}
std::int64_t at_s(double seconds) { return std::llround(seconds * rate); }

MusicParams steady(const std::string& source) {
    MusicParams p;
    p.source = source;
    p.fade_in_seconds = p.fade_out_seconds = 0;
    return p;
}

// Speech 2-4 s and 6-8 s of a 10 s programme; pauses around.
bool two_sentences(double t) { return (t >= 2 && t < 4) || (t >= 6 && t < 8); }

}  // namespace

TEST(MusicBed, TheVoiceDucksTheToneAndItComesBackWithinTheRelease) {
    TempDir dir;
    MusicParams p = steady(tone_file(dir, "tone.wav", 12));
    const BedRun r = run_bed(p, voice(10, two_sentences));
    const double pause = level_db(r.music, 2, at_s(1.0), at_s(0.9));
    const double speech = level_db(r.music, 2, at_s(3.0), at_s(0.9));
    const double later_pause = level_db(r.music, 2, at_s(5.0), at_s(0.9));
    std::cout << "music in pauses " << pause << " dBFS, in speech " << speech << " dBFS: ducked " << pause - speech
              << " dB\n";
    EXPECT_GE(pause - speech, 10.0);
    EXPECT_NEAR(pause - speech, p.duck_db, 0.2) << "the full duck in the middle of a sentence";
    EXPECT_NEAR(later_pause, pause, 0.05) << "fully back in the next pause";

    // Each 25 ms after the first sentence ends (4 s): still down half way through the release,
    // back within 1 dB by its end (+ the 10 ms the voice's window takes to empty, + the block).
    double recovered_at = -1;
    for (double t = 4.0; t < 5.0 && recovered_at < 0; t += 0.005)
        if (level_db(r.music, 2, at_s(t)) >= pause - 1.0) recovered_at = t - 4.0;
    std::cout << "back within 1 dB " << recovered_at << " s after the voice stopped (release " << p.release_seconds
              << " s)\n";
    EXPECT_LT(level_db(r.music, 2, at_s(4.0 + p.release_seconds / 2)), pause - 3.0) << "a release, not a jump";
    EXPECT_GE(level_db(r.music, 2, at_s(4.0 + p.release_seconds + 0.01)), pause - 1.0);
    EXPECT_GT(recovered_at, p.release_seconds / 2);
    EXPECT_LE(recovered_at, p.release_seconds + 0.01);

    // The attack: well down 50 ms + one window after the voice starts.
    EXPECT_LT(level_db(r.music, 2, at_s(6.0 + p.attack_seconds + 0.015)), pause - p.duck_db + 1.0);

    // The report says the same, on the K-weighted, 400 ms blocks; the pauses near the level asked
    // (the releases after each sentence count as pause, and take some energy off it).
    std::cout << "report: speech " << r.report.speech_lufs << " LUFS, pauses " << r.report.pause_lufs << " LUFS\n";
    EXPECT_GE(r.report.pause_lufs - r.report.speech_lufs, 10.0);
    EXPECT_NEAR(r.report.pause_lufs, p.level_lufs, 1.0);
    EXPECT_NEAR(r.report.speech_seconds, 4.0, 1e-9);
    EXPECT_NEAR(r.report.pause_seconds, 6.0, 1e-9);
    nlohmann::json j = r.report;
    EXPECT_NEAR(j["ducking_db"].get<double>(), r.report.pause_lufs - r.report.speech_lufs, 0.01);
}

TEST(MusicBed, TheGapsBetweenWordsBarelyLiftTheMusic) {
    TempDir dir;
    MusicParams p = steady(tone_file(dir, "tone.wav", 12));
    // Words of 250 ms with 100 ms between them from 2 s to 5 s.
    const BedRun r = run_bed(p, voice(7, [](double t) { return t >= 2 && t < 5 && std::fmod(t - 2, 0.35) < 0.25; }));
    const double pause = level_db(r.music, 2, at_s(1.0), at_s(0.9));
    double loudest = -100;
    for (double t = 2.2; t < 4.9; t += 0.005) loudest = std::max(loudest, level_db(r.music, 2, at_s(t)));
    std::cout << "between words the music rises to " << loudest - pause << " dB (duck " << -p.duck_db << " dB)\n";
    EXPECT_LT(loudest, pause - p.duck_db + 3.0) << "the release is slow enough not to pump between words";
}

TEST(MusicBed, ALongerDuckAndQuickerReleaseAreHonoured) {
    TempDir dir;
    MusicParams p = steady(tone_file(dir, "tone.wav", 12));
    p.duck_db = 20;
    p.release_seconds = 0.2;
    const BedRun r = run_bed(p, voice(10, two_sentences));
    const double pause = level_db(r.music, 2, at_s(1.0), at_s(0.9));
    EXPECT_NEAR(pause - level_db(r.music, 2, at_s(3.0), at_s(0.9)), 20.0, 0.2);
    EXPECT_GE(level_db(r.music, 2, at_s(4.0 + 0.2 + 0.01)), pause - 1.0);
}

TEST(MusicBed, NoDuckLeavesTheMusicSteady) {
    TempDir dir;
    MusicParams p = steady(tone_file(dir, "tone.wav", 12));
    p.duck_db = 0;
    const BedRun r = run_bed(p, voice(10, two_sentences));
    EXPECT_NEAR(level_db(r.music, 2, at_s(1.0), at_s(0.9)), level_db(r.music, 2, at_s(3.0), at_s(0.9)), 0.01);
}

TEST(MusicBed, TheStaticGainBringsTheMusicToItsLevel) {
    TempDir dir;
    for (const auto& [file, level] : {std::pair{tone_file(dir, "loud.wav", 5, 0.9), -26.0},
                                      std::pair{tone_file(dir, "loud.m4a", 5, 0.9, "aac", 44100, 1), -18.0},
                                      std::pair{tone_file(dir, "quiet.wav", 5, 0.01, "pcm_s16le", rate, 2), -30.0}}) {
        SCOPED_TRACE(file);
        MusicParams p = steady(file);
        p.level_lufs = level;
        const BedRun r = run_bed(p, silence(5));
        avpost::media::LoudnessMeter meter(2, rate);
        meter.add(r.mix.data(), r.mix.size() / 2);
        const double measured = meter.reading().integrated_lufs;
        std::cout << file << ": gain " << r.report.gain_db << " dB, mix measured " << measured << " LUFS (asked " << level
                  << ")\n";
        EXPECT_NEAR(measured, level, 0.5);
        EXPECT_NEAR(r.report.pause_lufs, level, 0.5) << "the report's own meter";
        EXPECT_NEAR(r.report.source_lufs + r.report.gain_db, level, 1e-9);
    }
}

TEST(MusicBed, AShortMusicLoopsWithNoGap) {
    TempDir dir;
    for (const std::string& file : {tone_file(dir, "short.wav", 0.5), tone_file(dir, "short.m4a", 0.5, 0.25, "aac")}) {
        SCOPED_TRACE(file);
        MusicParams p = steady(file);
        const BedRun r = run_bed(p, silence(3));
        const double steady_level = level_db(r.music, 2, at_s(0.1));
        for (std::int64_t at = 0; at + period_block <= at_s(3); at += period_block / 4)
            ASSERT_NEAR(level_db(r.music, 2, at), steady_level, 1.0) << "at " << double(at) / rate << " s";
        EXPECT_EQ(r.report.loops, 5);
        if (file.ends_with(".wav")) {
            // Whole periods: the loop is seamless, sample for sample the music again.
            for (std::int64_t i = 0; i < at_s(2.5) * 2; ++i)
                ASSERT_EQ(r.music[std::size_t(i)], r.music[std::size_t(i + at_s(0.5) * 2)]) << i;
        }
    }
}

TEST(MusicBed, WithoutLoopTheMusicEndsInSilence) {
    TempDir dir;
    MusicParams p = steady(tone_file(dir, "short.wav", 0.5));
    p.loop = false;
    const BedRun r = run_bed(p, voice(3, [](double t) { return t > 1.0; }));
    EXPECT_GT(level_db(r.music, 2, at_s(0.2)), -30.0);
    for (std::size_t i = std::size_t(at_s(0.5)) * 2; i < r.music.size(); ++i)
        ASSERT_EQ(r.music[i], 0.0f) << "music after its end at frame " << i / 2;
    EXPECT_EQ(r.report.loops, 0);
}

TEST(MusicBed, FadesStartFromNothingAndEndAtTheProgrammesEnd) {
    TempDir dir;
    MusicParams p;
    p.source = tone_file(dir, "tone.wav", 10);
    const BedRun r = run_bed(p, silence(6));
    EXPECT_EQ(r.music[0], 0.0f);
    EXPECT_EQ(r.music[1], 0.0f);
    const double steady_level = level_db(r.music, 2, at_s(3.0));
    EXPECT_NEAR(level_db(r.music, 2, at_s(p.fade_in_seconds)), steady_level, 0.05) << "full level once faded in";
    EXPECT_NEAR(level_db(r.music, 2, at_s(p.fade_in_seconds / 2) - period_block / 2), steady_level - 6.02, 0.3)
        << "half way: half the amplitude";
    EXPECT_LT(level_db(r.music, 2, 0, 240), steady_level - 40) << "the first 5 ms are near silence";
    EXPECT_NEAR(level_db(r.music, 2, at_s(6 - p.fade_out_seconds) - period_block), steady_level, 0.05);
    EXPECT_LT(level_db(r.music, 2, at_s(6) - 240, 240), steady_level - 40) << "the last 5 ms are near silence";
    EXPECT_LT(std::abs(r.music.back()), 1e-4f);
    EXPECT_NEAR(r.report.source_seconds, 10.0, 0.01) << "cut, its own length still reported";
    EXPECT_EQ(r.report.loops, 0);
    // The report leaves the fades out: what is left is the steady level.
    EXPECT_NEAR(r.report.pause_lufs, p.level_lufs, 0.5);
    EXPECT_NEAR(r.report.pause_seconds, 6.0 - 1.2 - 2.0, 1e-9) << "the blocks from 1.2 s to 4 s";
}

TEST(MusicBed, HowTheProgrammeIsSplitChangesNothing) {
    TempDir dir;
    MusicParams p;
    p.source = tone_file(dir, "short.wav", 0.7);
    p.fade_in_seconds = 0.3;
    p.fade_out_seconds = 0.4;
    const std::vector<float> in = voice(4, [](double t) { return std::fmod(t, 1.0) < 0.45; });
    const BedRun whole = run_bed(p, in, 2, {int(in.size() / 2)});
    const BedRun odd = run_bed(p, in, 2, {1, 7, 1023, 4096});
    ASSERT_EQ(whole.mix.size(), odd.mix.size());
    EXPECT_EQ(std::memcmp(whole.mix.data(), odd.mix.data(), whole.mix.size() * sizeof(float)), 0);
    EXPECT_EQ(nlohmann::json(whole.report), nlohmann::json(odd.report));

    // A second pass after restart() is the first again.
    const std::int64_t frames = std::int64_t(in.size()) / 2;
    MusicBed bed(p, rate, 2, frames);
    std::vector<float> first = in, second = in;
    bed.mix(first.data(), int(frames / 3));
    bed.restart();
    bed.mix(second.data(), int(frames));
    EXPECT_EQ(std::memcmp(whole.mix.data(), second.data(), second.size() * sizeof(float)), 0);
    EXPECT_EQ(nlohmann::json(whole.report), nlohmann::json(bed.report()));
}

TEST(MusicBed, NothingIsAddedPastTheProgrammesEnd) {
    TempDir dir;
    MusicParams p = steady(tone_file(dir, "tone.wav", 3));
    MusicBed bed(p, rate, 2, rate);
    std::vector<float> block(std::size_t(2 * rate) * 2, 0.0f);
    bed.mix(block.data(), 2 * rate);
    EXPECT_GT(level_db(block, 2, at_s(0.5)), -40.0);
    for (std::size_t i = std::size_t(rate) * 2; i < block.size(); ++i) ASSERT_EQ(block[i], 0.0f) << i;
    EXPECT_EQ(bed.position(), 2 * rate);
}

TEST(MusicBed, MixingAllocatesNothing) {
    TempDir dir;
    MusicParams p = steady(tone_file(dir, "short.wav", 0.5));
    std::vector<float> in = voice(3, two_sentences);
    MusicBed bed(p, rate, 2, std::int64_t(in.size()) / 2);
    const long before = allocations.load();
    for (std::size_t at = 0; at < in.size(); at += 2 * 1000) bed.mix(in.data() + at, int(std::min<std::size_t>(2000, in.size() - at) / 2));
    EXPECT_EQ(allocations.load(), before);
    EXPECT_GT(bed.report().pause_seconds, 0.0);
}

TEST(MusicBed, AProgrammeCutShortMovesTheFadeOut) {
    TempDir dir;
    MusicParams p;
    p.source = tone_file(dir, "tone.wav", 10);
    p.fade_in_seconds = 0;
    std::vector<float> in = silence(6);
    MusicBed bed(p, rate, 2, at_s(6));
    bed.mix(in.data(), int(at_s(1)));
    bed.set_programme_frames(at_s(4));  // the segment ended early
    bed.mix(in.data() + at_s(1) * 2, int(at_s(5)));
    const double steady_level = level_db(in, 2, at_s(1.0));
    EXPECT_NEAR(level_db(in, 2, at_s(4 - p.fade_out_seconds) - period_block), steady_level, 0.05);
    EXPECT_LT(level_db(in, 2, at_s(4) - 240, 240), steady_level - 40) << "faded out by the new end";
    for (std::size_t i = std::size_t(at_s(4)) * 2; i < in.size(); ++i) ASSERT_EQ(in[i], 0.0f) << i;
    // Longer again: only as far as the music held (cut to the 6 s first asked for) reaches.
    bed.set_programme_frames(at_s(6));
    EXPECT_THROW(bed.set_programme_frames(at_s(7)), Error);
    // A music held whole (it ends within the programme, and loops) serves any length.
    MusicParams looped = steady(tone_file(dir, "short.wav", 0.5));
    MusicBed short_bed(looped, rate, 2, at_s(2));
    EXPECT_NO_THROW(short_bed.set_programme_frames(at_s(60)));
}

TEST(MusicBed, MonoProgrammesAndStereoMusic) {
    TempDir dir;
    MusicParams p = steady(tone_file(dir, "stereo.wav", 12, 0.25, "pcm_s16le", rate, 2));
    const BedRun r = run_bed(p, voice(10, two_sentences, 1), 1);
    EXPECT_NEAR(level_db(r.music, 1, at_s(1.0), at_s(0.9)) - level_db(r.music, 1, at_s(3.0), at_s(0.9)), p.duck_db, 0.2);
    avpost::media::LoudnessMeter meter(1, rate);
    meter.add(r.music.data() + at_s(4.6), std::size_t(at_s(1.3)));
    EXPECT_NEAR(meter.reading().integrated_lufs, p.level_lufs, 0.5);
}

TEST(MusicBed, AMusicWithoutAudioIsAUsageErrorNamingTheField) {
    TempDir dir;
    const std::string video = dir.file("video.mp4");
    run_ffmpeg("-f lavfi -i testsrc=size=64x64:rate=10:duration=1 -c:v mpeg4 " + quote(video));
    MusicParams p;
    p.source = video;
    try {
        MusicBed bed(p, rate, 2, rate);
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_EQ(e.domain(), ErrorDomain::usage) << e.what();
        EXPECT_EQ(std::string(e.what()), "music.source: '" + video + "' has no audio stream");
    }
}

TEST(MusicBed, AMissingMusicIsAnInputErrorNamingThePath) {
    TempDir dir;
    MusicParams p;
    p.source = dir.file("no such.wav");
    try {
        MusicBed bed(p, rate, 2, rate);
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_EQ(e.domain(), ErrorDomain::input) << e.what();
        EXPECT_NE(std::string(e.what()).find("music.source: cannot open '" + p.source.string() + "'"), std::string::npos)
            << e.what();
    }
}

TEST(MusicBed, ProgrammeShapesItCannotServeAreRefused) {
    MusicParams p;
    p.source = "x.wav";
    EXPECT_THROW(MusicBed(p, rate, 3, 100), Error);
    EXPECT_THROW(MusicBed(p, 0, 2, 100), Error);
    p.source.clear();
    EXPECT_THROW(MusicBed(p, rate, 2, 100), Error);
}
