// Programmes (issue 22 item 4): an intro and an outro around the composited segment, joined by a
// transition. Whole frames against a float reference built from the parts rendered alone (the
// intro and outro as decoded, the segment as composed without them): every output frame is the
// part the timeline says, and each transition frame the blend its progress says, within 2 levels.
// The avatar's audio keeps its offset from its pictures after an intro (a click track), the audio
// and video of the programme end together, and a loudness target applies to the whole mix.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <regex>

#include <nlohmann/json.hpp>

#include "media_helpers.hpp"

using namespace avpost::testing;

namespace {

constexpr double frame_seconds = 1.0 / 25;

// An intro or outro: a still colour at SIZE, 25 fps, lossless, with a tone when `tone_hz` > 0.
std::string make_clip(const TempDir& dir, const std::string& name, const std::string& colour, const std::string& size,
                      double seconds, int tone_hz) {
    const std::string path = dir.file(name + ".mkv");
    std::string inputs = "-f lavfi -i color=c=" + colour + ":s=" + size + ":r=25:d=" + std::to_string(seconds);
    if (tone_hz > 0)
        inputs += " -f lavfi -i sine=f=" + std::to_string(tone_hz) + ":sample_rate=48000:d=" + std::to_string(seconds);
    run_ffmpeg(inputs + " -pix_fmt yuv420p -c:v ffv1" + (tone_hz > 0 ? " -c:a pcm_s16le" : "") + " " + quote(path));
    return path;
}

CommandResult compose(const std::string& extra, const std::string& output) {
    return run_avpost("--quiet compose --video " + quote(media("avatar.mp4")) + " --mask " + quote(media("avatar_mask.mp4")) +
                      " --background '#203060' --vcodec ffv1 " + extra + " -o " + quote(output));
}

// Blend of two frames' planes with weight p of `b`, as a person would compute it.
double blend(double a, double b, double p) { return a * (1 - p) + b * p; }

// Largest difference between `actual` and the expected value of each sample.
template <class Expected>
int worst_difference(const YuvFrame& actual, Expected expected) {
    int worst = 0;
    const int cw = (actual.width + 1) / 2, ch = (actual.height + 1) / 2;
    for (int y = 0; y < actual.height; ++y)
        for (int x = 0; x < actual.width; ++x)
            worst = std::max(worst, int(std::abs(actual.Y(x, y) - expected(0, x, y))));
    for (int y = 0; y < ch; ++y)
        for (int x = 0; x < cw; ++x) {
            worst = std::max(worst, int(std::abs(actual.U(x, y) - expected(1, x, y))));
            worst = std::max(worst, int(std::abs(actual.V(x, y) - expected(2, x, y))));
        }
    return worst;
}

double sample(const YuvFrame& f, int plane, int x, int y) {
    return plane == 0 ? f.Y(x, y) : plane == 1 ? f.U(x, y) : f.V(x, y);
}

struct StreamDurations {
    double video = 0, audio = 0;
    std::string audio_codec;
};

// Each stream's duration as the container states it (MP4: the stream's; Matroska: its DURATION tag).
StreamDurations durations(const std::string& file) {
    const CommandResult r = run_command("ffprobe -v error -show_entries stream=codec_type,codec_name,duration:stream_tags=DURATION "
                                        "-of json " + quote(file));
    StreamDurations d;
    const nlohmann::json probed = nlohmann::json::parse(r.out);  // kept: a range-for over a temporary's member dangles
    for (const auto& s : probed.at("streams")) {
        double seconds = s.contains("duration") ? std::stod(s.at("duration").get<std::string>()) : 0.0;
        if (s.contains("tags") && s.at("tags").contains("DURATION")) {
            int h = 0, m = 0;
            double sec = 0;
            std::sscanf(s.at("tags").at("DURATION").get<std::string>().c_str(), "%d:%d:%lf", &h, &m, &sec);
            seconds = h * 3600 + m * 60 + sec;
        }
        if (s.at("codec_type") == "video") d.video = seconds;
        if (s.at("codec_type") == "audio") {
            d.audio = seconds;
            d.audio_codec = s.at("codec_name").get<std::string>();
        }
    }
    return d;
}

// Mono float samples of a file's audio at 48 kHz.
std::vector<float> decode_audio(const TempDir& dir, const std::string& file) {
    const std::string raw = dir.file("audio.f32");
    run_ffmpeg("-i " + quote(file) + " -vn -ac 1 -ar 48000 -f f32le " + quote(raw));
    std::ifstream in(raw, std::ios::binary);
    std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<float> samples(bytes.size() / sizeof(float));
    std::memcpy(samples.data(), bytes.data(), samples.size() * sizeof(float));
    return samples;
}

}  // namespace

TEST(ComposeProgramme, IntroCrossfadeSegmentCrossfadeOutroFrameByFrame) {
    TempDir dir;
    // The intro fills the canvas; the outro (4:3) is contained in it between black bars.
    const std::string intro = make_clip(dir, "intro", "0xC03020", "640x360", 1.0, 440);
    const std::string outro = make_clip(dir, "outro", "0x2040C0", "320x240", 0.8, 0);
    const std::string programme = dir.file("programme.mkv"), segment = dir.file("segment.mkv");
    CommandResult r = compose("--intro " + quote(intro) + " --outro " + quote(outro) +
                                  " --transition crossfade --transition-seconds 0.2",
                              programme);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = compose("", segment);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto out = decode_video(programme), seg = decode_video(segment), in = decode_video(intro), end = decode_video(outro);
    ASSERT_EQ(seg.size(), 50u);
    ASSERT_EQ(in.size(), 25u);
    ASSERT_EQ(end.size(), 20u);
    // 25 intro + 50 segment + 20 outro frames, two transitions of 5 frames overlapping.
    ASSERT_EQ(out.size(), 85u);

    // The outro contained: 480x360 at x = 80, black (16, 128, 128) beside it.
    const YuvFrame& o = end.front();
    const double outro_yuv[3] = {double(o.Y(160, 120)), double(o.U(80, 60)), double(o.V(80, 60))};
    const auto outro_at = [&](int plane, int x, int y) {
        (void)y;
        const int luma_x = plane == 0 ? x : 2 * x;
        if (luma_x < 80 || luma_x >= 560) return plane == 0 ? 16.0 : 128.0;
        return outro_yuv[plane];
    };
    for (int k = 0; k < 85; ++k) {
        const double p = k >= 20 && k < 25 ? (k - 20 + 1) / 6.0 : k >= 65 && k < 70 ? (k - 65 + 1) / 6.0 : 0.0;
        int worst = 0;
        if (k < 20) {
            worst = worst_difference(out[k], [&](int pl, int x, int y) { return sample(in[k], pl, x, y); });
        } else if (k < 25) {
            worst = worst_difference(out[k], [&](int pl, int x, int y) {
                return blend(sample(in[k], pl, x, y), sample(seg[k - 20], pl, x, y), p);
            });
        } else if (k < 65) {
            worst = worst_difference(out[k], [&](int pl, int x, int y) { return sample(seg[k - 20], pl, x, y); });
        } else if (k < 70) {
            worst = worst_difference(out[k], [&](int pl, int x, int y) {
                return blend(sample(seg[k - 20], pl, x, y), outro_at(pl, x, y), p);
            });
        } else {
            worst = worst_difference(out[k], outro_at);
        }
        EXPECT_LE(worst, k < 20 || (k >= 25 && k < 65) ? 0 : 2) << "frame " << k << " (progress " << p << ")";
        // On the output's frame grid (Matroska may start the whole file later by the audio
        // encoder's priming, the picture and the sound alike).
        EXPECT_NEAR(out[k].seconds - out[0].seconds, k * frame_seconds, 1e-3) << "frame " << k;
    }
    // The middle of the first crossfade is an even blend.
    EXPECT_NEAR(out[22].Y(10, 10), (in[22].Y(10, 10) + seg[2].Y(10, 10)) / 2.0, 1.0);

    // Sound and picture end together (within one frame).
    const StreamDurations d = durations(programme);
    EXPECT_NEAR(d.video - out[0].seconds, 85 * frame_seconds, 1e-3);  // Matroska's DURATION counts from 0
    EXPECT_NEAR(d.audio, d.video, frame_seconds);
}

TEST(ComposeProgramme, TheAvatarsLipsStayInSyncAfterAnIntro) {
    TempDir dir;
    // A click track: the avatar flashes white and clicks at 0.4 s and 1.2 s (its own offset 0).
    const std::string avatar = dir.file("clicks.mp4"), mask = dir.file("mask.mp4");
    run_ffmpeg("-f lavfi -i \"color=c=black:s=320x240:r=25:d=2,drawbox=c=white:t=fill:enable='between(t,0.39,0.41)+between(t,1.19,1.21)'\" "
               "-f lavfi -i \"aevalsrc='0.8*sin(2*PI*1000*t)*(between(t,0.4,0.41)+between(t,1.2,1.21))':s=48000:d=2\" "
               "-pix_fmt yuv420p -c:v libx264 -bf 2 -c:a aac -shortest " + quote(avatar));
    run_ffmpeg("-f lavfi -i color=c=white:s=320x240:r=25:d=2 -pix_fmt yuv420p -c:v libx264 " + quote(mask));
    const std::string intro = make_clip(dir, "intro", "0x808080", "320x240", 1.04, 0);  // 26 frames, silent
    const std::string output = dir.file("programme.mp4");
    const CommandResult r = run_avpost("--quiet compose --video " + quote(avatar) + " --mask " + quote(mask) +
                                       " --background '#000000' --intro " + quote(intro) + " -o " + quote(output));
    ASSERT_EQ(r.exit_code, 0) << r.err;

    // The flashes: the frames whose centre is white.
    const auto frames = decode_video(output);
    std::vector<double> flashes;
    for (const YuvFrame& f : frames)
        if (f.Y(160, 120) > 200 && (flashes.empty() || f.seconds - flashes.back() > 0.2)) flashes.push_back(f.seconds);
    ASSERT_EQ(flashes.size(), 2u);
    EXPECT_NEAR(flashes[0], 1.04 + 0.4, 1e-3);
    EXPECT_NEAR(flashes[1], 1.04 + 1.2, 1e-3);
    // The clicks: where the audio first rises above half scale.
    const std::vector<float> audio = decode_audio(dir, output);
    std::vector<double> clicks;
    for (std::size_t i = 0; i < audio.size(); ++i)
        if (std::abs(audio[i]) > 0.4f && (clicks.empty() || double(i) / 48000 - clicks.back() > 0.2))
            clicks.push_back(double(i) / 48000);
    ASSERT_EQ(clicks.size(), 2u);
    // Within one AAC frame (1024 samples) of the picture, as in the source.
    for (int i = 0; i < 2; ++i) EXPECT_NEAR(clicks[i], flashes[i], 1024.0 / 48000) << "click " << i;
    const StreamDurations d = durations(output);
    EXPECT_NEAR(d.audio, d.video, frame_seconds);
}

TEST(ComposeProgramme, FadeThroughAndWipesDrawWhatTheyName) {
    TempDir dir;
    const std::string intro = make_clip(dir, "intro", "0xC03020", "640x360", 0.4, 0);  // 10 frames
    const auto in = decode_video(intro);
    const std::string segment = dir.file("segment.mkv");
    ASSERT_EQ(compose("", segment).exit_code, 0);
    const auto seg = decode_video(segment);
    struct Case {
        std::string transition;
        // Expected luma at (x, y) for frame k of the 5-frame overlap (k 0..4), progress p.
        std::function<double(const YuvFrame& a, const YuvFrame& b, int x, int y, double p)> luma;
    };
    const double white_y = 235;
    const std::vector<Case> cases = {
        {"fade-through", [&](const YuvFrame& a, const YuvFrame& b, int x, int y, double p) {
             return p < 0.5 ? blend(a.Y(x, y), white_y, 2 * p) : blend(white_y, b.Y(x, y), 2 * p - 1);
         }},
        {"wipe-left", [&](const YuvFrame& a, const YuvFrame& b, int x, int y, double p) {
             return x < std::lround((1 - p) * 640) ? a.Y(x, y) : b.Y(x, y);
         }},
        {"wipe-right", [&](const YuvFrame& a, const YuvFrame& b, int x, int y, double p) {
             return x < std::lround(p * 640) ? b.Y(x, y) : a.Y(x, y);
         }},
    };
    for (const Case& c : cases) {
        const std::string output = dir.file(c.transition + ".mkv");
        const CommandResult r = compose("--intro " + quote(intro) + " --transition " + c.transition +
                                            " --transition-seconds 0.2 --transition-colour white",
                                        output);
        ASSERT_EQ(r.exit_code, 0) << c.transition << ": " << r.err;
        const auto out = decode_video(output);
        ASSERT_EQ(out.size(), 10u + 50u - 5u) << c.transition;
        for (int k = 0; k < 5; ++k) {
            const double p = (k + 1) / 6.0;
            int worst = 0;
            for (int y = 0; y < 360; ++y)
                for (int x = 0; x < 640; ++x)
                    worst = std::max(worst, int(std::abs(out[5 + k].Y(x, y) - c.luma(in[5 + k], seg[k], x, y, p))));
            EXPECT_LE(worst, 2) << c.transition << " frame " << k;
        }
        EXPECT_EQ(worst_difference(out[20], [&](int pl, int x, int y) { return sample(seg[15], pl, x, y); }), 0)
            << c.transition << ": after the transition, the segment as composed";
    }
}

TEST(ComposeProgramme, ALoudnessTargetAppliesToTheWholeMix) {
    TempDir dir;
    // A loud intro tone and the avatar's quieter voice: the delivery's loudness is the programme's.
    const std::string intro = make_clip(dir, "intro", "0x101010", "640x360", 1.0, 880);
    const CommandResult r = run_avpost("--quiet --json compose --video " + quote(media("avatar.mp4")) + " --mask " +
                                       quote(media("avatar_mask.mp4")) + " --background '#203060' --intro " + quote(intro) +
                                       " --transition crossfade --deliver web --loudness web -o " + quote(dir.file("promo.mkv")));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const nlohmann::json report = nlohmann::json::parse(r.out);
    ASSERT_EQ(report.at("deliveries").size(), 1u) << r.out;
    const std::string web = report.at("deliveries")[0].at("path").get<std::string>();
    EXPECT_EQ(report.at("frames").get<int>(), 25 + 50 - 13);
    const CommandResult meter = run_command("ffmpeg -nostats -hide_banner -i " + quote(web) + " -af ebur128 -f null - 2>&1");
    std::smatch m;
    const std::regex integrated(R"(I:\s+(-?[0-9.]+) LUFS)");
    std::string text = meter.out + meter.err;
    std::string last;
    for (auto it = std::sregex_iterator(text.begin(), text.end(), integrated); it != std::sregex_iterator(); ++it)
        last = (*it)[1];
    ASSERT_FALSE(last.empty()) << text;
    EXPECT_NEAR(std::stod(last), -14.0, 1.0);
    const StreamDurations d = durations(web);
    EXPECT_NEAR(d.audio, d.video, frame_seconds);
    EXPECT_NEAR(d.video, (25 + 50 - 13) * frame_seconds, 1e-3);  // 0.5 s crossfade: 13 frames
}

// Layer times are on the programme's clock (issue 22 item 1): with an intro of 1 s and a 0.2 s
// crossfade the avatar starts at 0.8 s (frame 20), and an overlay timed 1.2-1.6 s covers output
// frames 30-39, not the avatar's frames 30-39 (output 50-59). Every frame of the timed programme
// is, bit for bit, the same programme without the overlay or with it always on.
TEST(ComposeProgramme, LayerTimesCountOnTheProgrammesClock) {
    TempDir dir;
    const std::string intro = make_clip(dir, "intro", "0xC03020", "640x360", 1.0, 0);
    const auto overlays = [&](const std::string& name, const nlohmann::json& timing) {
        nlohmann::json layer = {{"type", "colour"}, {"source", "#FF2040"}, {"offset", {20, 20}}, {"size", {200, 120}}};
        layer.update(timing);
        std::ofstream(dir.file(name + ".json")) << nlohmann::json::array({layer}).dump();
        return " --overlays " + quote(dir.file(name + ".json"));
    };
    const std::string programme = "--intro " + quote(intro) + " --transition crossfade --transition-seconds 0.2";
    const auto render = [&](const std::string& name, const std::string& extra) {
        const CommandResult r = compose(programme + extra, dir.file(name + ".mkv"));
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return decode_video(dir.file(name + ".mkv"));
    };
    const auto timed = render("timed", overlays("timed", {{"start", 1.2}, {"end", 1.6}}));
    const auto without = render("without", "");
    const auto always = render("always", overlays("always", nlohmann::json::object()));
    ASSERT_EQ(timed.size(), 70u);  // 25 intro + 50 avatar frames - 5 overlapping, no outro
    ASSERT_EQ(without.size(), timed.size());
    ASSERT_EQ(always.size(), timed.size());
    for (std::size_t k = 0; k < timed.size(); ++k) {
        const YuvFrame& expected = k >= 30 && k < 40 ? always[k] : without[k];
        EXPECT_EQ(worst_difference(timed[k], [&](int pl, int x, int y) { return sample(expected, pl, x, y); }), 0)
            << "frame " << k << (k >= 30 && k < 40 ? ": the overlay shows" : ": no overlay");
    }
    // The plan says where the avatar, and so layer time 0.8 s, falls.
    const CommandResult plan = run_avpost("--quiet compose --video " + quote(media("avatar.mp4")) + " --mask " +
                                          quote(media("avatar_mask.mp4")) + " --background '#203060' " + programme +
                                          " --dry-run --json -o " + quote(dir.file("plan.mkv")));
    ASSERT_EQ(plan.exit_code, 0) << plan.err;
    EXPECT_NEAR(nlohmann::json::parse(plan.out).at("programme").at("segment_start_seconds").get<double>(), 0.8, 1e-9);
    // A layer wholly inside the intro would never show: refused, naming the avatar's span.
    const std::string output = dir.file("refused.mkv");
    const CommandResult refused = compose(programme + overlays("early", {{"start", 0.1}, {"end", 0.5}}), output);
    EXPECT_EQ(refused.exit_code, 2) << refused.err;
    EXPECT_NE(refused.err.find("overlay 0 (colour): ends at 0.5 s, before the avatar's part of the programme (0.8 s to 2.8 s)"),
              std::string::npos) << refused.err;
    EXPECT_FALSE(std::filesystem::exists(output));
}

TEST(ComposeProgramme, BadProgrammesAreRefusedNamingTheFieldWithNothingWritten) {
    TempDir dir;
    const std::string intro = make_clip(dir, "intro", "0xC03020", "640x360", 0.4, 0);
    const std::string voice = dir.file("voice.wav");
    run_ffmpeg("-f lavfi -i sine=f=300:d=1 " + quote(voice));
    const std::string output = dir.file("out.mkv");
    const struct {
        std::string args, expected;
    } cases[] = {
        {"--intro " + quote(intro) + " --transition dissolve", "transition"},
        {"--intro " + quote(voice), "intro"},
        {"--intro " + quote(intro) + " --transition crossfade --transition-seconds 1", "transition_seconds"},
        {"--transition crossfade", "transition"},
    };
    for (const auto& c : cases) {
        const CommandResult r = compose(c.args, output);
        EXPECT_EQ(r.exit_code, 2) << c.args << "\n" << r.err;
        EXPECT_NE(r.err.find(c.expected), std::string::npos) << r.err;
        EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "one line: " << r.err;
        EXPECT_FALSE(std::filesystem::exists(output)) << c.args;
    }
    const CommandResult transparent =
        run_avpost("--quiet compose --video " + quote(media("avatar.mp4")) + " --mask " + quote(media("avatar_mask.mp4")) +
                   " --background transparent --intro " + quote(intro) + " -o " + quote(dir.file("alpha.webm")));
    EXPECT_EQ(transparent.exit_code, 2) << transparent.err;
}

namespace {

// The level (dB) of a `hz` tone in `samples` [from, to), by Goertzel's single-bin DFT.
double tone_db(const std::vector<float>& samples, double hz, std::size_t from, std::size_t to) {
    const double w = 2 * M_PI * hz / 48000, coefficient = 2 * std::cos(w);
    double s1 = 0, s2 = 0;
    for (std::size_t i = from; i < to && i < samples.size(); ++i) {
        const double s0 = samples[i] + coefficient * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    const double power = s1 * s1 + s2 * s2 - coefficient * s1 * s2;
    const double n = double(to - from);
    return 10 * std::log10(std::max(power, 1e-30) / (n * n / 4));  // 0 dB: a full-scale sine
}

}  // namespace

TEST(ComposeProgramme, MusicIsDuckedUnderTheVoiceAndTheMixMeetsTheLoudnessTarget) {
    TempDir dir;
    // A voice (300 Hz) speaking 0.5-1.5 s and 2.5-3.5 s of a 4 s avatar; the music a steady
    // 1 kHz tone of 2 s, looped.
    const std::string avatar = dir.file("voice.mp4"), mask = dir.file("mask.mp4"), music = dir.file("music.wav");
    run_ffmpeg("-f lavfi -i color=c=gray:s=320x240:r=25:d=4 "
               "-f lavfi -i \"aevalsrc='0.5*sin(2*PI*300*t)*(between(t,0.5,1.5)+between(t,2.5,3.5))':s=48000:d=4\" "
               "-pix_fmt yuv420p -c:v libx264 -c:a aac -b:a 192k -shortest " + quote(avatar));
    run_ffmpeg("-f lavfi -i color=c=white:s=320x240:r=25:d=4 -pix_fmt yuv420p -c:v libx264 " + quote(mask));
    run_ffmpeg("-f lavfi -i sine=f=1000:sample_rate=48000:d=2 " + quote(music));
    const CommandResult r = run_avpost("--quiet --json compose --video " + quote(avatar) + " --mask " + quote(mask) +
                                       " --background '#000000' --music " + quote(music) +
                                       " --music-duck 12 --music-release 0.3 --music-fade-in 0.2 --music-fade-out 0.2"
                                       " --deliver web --loudness web -o " + quote(dir.file("out.mkv")));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const nlohmann::json report = nlohmann::json::parse(r.out);
    ASSERT_TRUE(report.at("music").is_object()) << r.out;
    EXPECT_EQ(report.at("music").at("loops").get<int>(), 1);
    // The report's 400 ms blocks take in the attack and release ramps beside each phrase, so it
    // reads less than the full duck; the mix itself is measured below.
    EXPECT_GE(report.at("music").at("ducking_db").get<double>(), 6.0) << report.at("music").dump();
    EXPECT_LT(report.at("music").at("speech_lufs").get<double>(), report.at("music").at("pause_lufs").get<double>());

    // Measured on the delivered mix, the music's own band: at least 10 dB lower while the voice
    // speaks than in its pauses, and back up within the release after each phrase.
    const std::string web = report.at("deliveries")[0].at("path").get<std::string>();
    const std::vector<float> mix = decode_audio(dir, web);
    ASSERT_GT(mix.size(), 48000u * 39 / 10);
    const auto at = [](double s) { return std::size_t(s * 48000); };
    const double speech = tone_db(mix, 1000, at(0.9), at(1.4)), pause = tone_db(mix, 1000, at(1.9), at(2.4));
    const double speech2 = tone_db(mix, 1000, at(2.9), at(3.4));
    EXPECT_GE(pause - speech, 10.0) << "pause " << pause << " dB, speech " << speech << " dB";
    EXPECT_GE(pause - speech2, 10.0) << "pause " << pause << " dB, speech " << speech2 << " dB";
    // 0.3 s release: from 1.85 s (0.35 s after the phrase) the music is back within 1 dB.
    EXPECT_NEAR(tone_db(mix, 1000, at(1.85), at(2.0)), pause, 1.0);
    // The mix meets the delivery's target.
    const CommandResult meter = run_command("ffmpeg -nostats -hide_banner -i " + quote(web) + " -af ebur128 -f null - 2>&1");
    const std::regex integrated(R"(I:\s+(-?[0-9.]+) LUFS)");
    std::string text = meter.out + meter.err, last;
    for (auto it = std::sregex_iterator(text.begin(), text.end(), integrated); it != std::sregex_iterator(); ++it) last = (*it)[1];
    ASSERT_FALSE(last.empty()) << text;
    EXPECT_NEAR(std::stod(last), -14.0, 1.0);

    // Music without audio is refused naming the field; music options without --music too.
    const CommandResult silent = run_avpost("--quiet compose --video " + quote(avatar) + " --mask " + quote(mask) +
                                            " --background '#000000' --music " + quote(mask) + " -o " + quote(dir.file("x.mkv")));
    EXPECT_EQ(silent.exit_code, 2) << silent.err;
    EXPECT_NE(silent.err.find("music.source"), std::string::npos) << silent.err;
    const CommandResult orphan = run_avpost("--quiet compose --video " + quote(avatar) + " --mask " + quote(mask) +
                                            " --background '#000000' --music-duck 6 -o " + quote(dir.file("x.mkv")));
    EXPECT_EQ(orphan.exit_code, 2) << orphan.err;
    EXPECT_FALSE(std::filesystem::exists(dir.file("x.mkv")));
}
