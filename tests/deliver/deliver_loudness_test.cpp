// --loudness: sources made here at -30, -20 and -8 LUFS come out within 0.5 LU of the target
// after encoding, with the true peak under the ceiling; ffmpeg's ebur128 filter (its own
// BS.1770 meter, true-peak mode) is the independent judge, and avpost's report must agree with it.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <regex>

#include "deliver_test_support.hpp"

using namespace avpost::testing;

namespace {

struct Meter {
    double integrated = NAN, true_peak = NAN;
};

// ffmpeg's ebur128 summary: "I: -14.0 LUFS" under "Integrated loudness", "Peak: -1.2 dBFS" under "True peak".
Meter ffmpeg_ebur128(const std::string& path) {
    CommandResult r = run_command(quote(FFMPEG_EXECUTABLE) + " -nostats -hide_banner -i " + quote(path) +
                                  " -map 0:a:0 -af ebur128=peak=true -f null -");
    if (r.exit_code != 0) throw std::runtime_error("ffmpeg ebur128 failed on " + path + ": " + r.err);
    const std::size_t summary = r.err.rfind("Summary:");
    if (summary == std::string::npos) throw std::runtime_error("no ebur128 summary for " + path);
    const std::string text = r.err.substr(summary);
    Meter m;
    std::smatch match;
    if (std::regex_search(text, match, std::regex(R"(I:\s+(-?[0-9.]+|-inf) LUFS)"))) m.integrated = std::stod(match[1]);
    if (std::regex_search(text, match, std::regex(R"(True peak:\s+Peak:\s+(-?[0-9.]+|-inf) dBFS)")))
        m.true_peak = std::stod(match[1]);
    return m;
}

// A small video with `audio` (a lavfi graph ending in [a]) brought to `lufs` by ffmpeg itself.
std::string source_at(const TempDir& dir, const std::string& name, const std::string& audio, double lufs) {
    const std::string raw = dir.file(name + "-raw.mp4"), out = dir.file(name + ".mp4");
    run_ffmpeg("-f lavfi -i testsrc2=size=160x120:rate=25:duration=6 " + audio +
               " -map 0:v -map '[a]' -c:v libx264 -preset ultrafast -c:a aac -b:a 256k -shortest " + quote(raw));
    const double measured = ffmpeg_ebur128(raw).integrated;
    run_ffmpeg("-i " + quote(raw) + " -map 0 -c:v copy -af volume=" + std::to_string(lufs - measured) +
               "dB -c:a aac -b:a 256k " + quote(out));
    const double level = ffmpeg_ebur128(out).integrated;
    EXPECT_NEAR(level, lufs, 0.3) << "the test's own source";
    return out;
}

struct Target {
    const char* name;
    double lufs, ceiling;
};

void expect_on_target(const std::string& source, const TempDir& dir, Target target, const std::string& presets,
                      bool expect_limited) {
    const std::string out = dir.file("out-" + std::string(target.name));
    CommandResult r = run_avpost("--json transcode " + quote(source) + " -o " + quote(out) + " --deliver " + presets +
                                 " --loudness " + target.name);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto report = nlohmann::json::parse(r.out);
    const auto& plan = report.at("loudness");
    EXPECT_EQ(plan.at("target"), target.name);
    EXPECT_EQ(plan.at("limited").get<bool>(), expect_limited) << plan.dump();
    const Meter input = ffmpeg_ebur128(source);
    EXPECT_NEAR(plan["input"]["integrated_lufs"].get<double>(), input.integrated, 0.3) << "avpost's input reading";
    for (const auto& file : report.at("deliveries")) {
        const std::string path = file.at("path");
        SCOPED_TRACE(path);
        const Meter output = ffmpeg_ebur128(path);
        EXPECT_NEAR(output.integrated, target.lufs, 0.5);
        EXPECT_LT(output.true_peak, target.ceiling);
        // The report measures the encoded file again, and agrees with ffmpeg.
        EXPECT_NEAR(file["loudness"]["integrated_lufs"].get<double>(), output.integrated, 0.3);
        EXPECT_NEAR(file["loudness"]["true_peak_dbtp"].get<double>(), output.true_peak, 0.5);
    }
}

const std::string tone = "-f lavfi -i sine=frequency=440:sample_rate=48000:duration=6 -filter_complex "
                         "[1:a]aformat=channel_layouts=stereo[a]";
const std::string noise = "-f lavfi -i anoisesrc=color=pink:sample_rate=48000:duration=6:seed=3:amplitude=0.2 "
                          "-filter_complex [1:a]aformat=channel_layouts=stereo[a]";
const std::string chord = "-f lavfi -i sine=frequency=220:sample_rate=48000:duration=6 -f lavfi -i "
                          "sine=frequency=330:sample_rate=48000:duration=6 -filter_complex "
                          "[1:a][2:a]amix=inputs=2,aformat=channel_layouts=stereo[a]";

}  // namespace

TEST(DeliverLoudness, QuietSourceComesUpToTheWebTarget) {
    TempDir dir;
    expect_on_target(source_at(dir, "quiet", tone, -30.0), dir, {"web", -14.0, -1.0}, "web,hevc", false);
}

TEST(DeliverLoudness, NormalSourceToPodcast) {
    TempDir dir;
    expect_on_target(source_at(dir, "normal", noise, -20.0), dir, {"podcast", -16.0, -1.0}, "web", false);
}

TEST(DeliverLoudness, HotSourceComesDownToBroadcastAndUsTv) {
    TempDir dir;
    const std::string hot = source_at(dir, "hot", chord, -8.0);
    expect_on_target(hot, dir, {"broadcast", -23.0, -1.0}, "web", false);
    expect_on_target(hot, dir, {"us-tv", -24.0, -2.0}, "web", false);
}

TEST(DeliverLoudness, PeaksTheGainWouldPushOverTheCeilingAreLimited) {
    TempDir dir;
    // Pink noise with a 1 ms click every second: the clicks hardly add loudness but reach far
    // above it, so the +6 dB gain to -14 LUFS would put them over -1 dBTP.
    const std::string peaky = source_at(
        dir, "peaky",
        "-f lavfi -i anoisesrc=color=pink:sample_rate=48000:duration=6:seed=7:amplitude=0.3 -f lavfi -i "
        "'aevalsrc=exprs=if(lt(mod(t\\,1)\\,0.001)\\,0.5*sin(2*PI*1000*t)\\,0):s=48000:d=6:c=stereo' -filter_complex "
        "'[1:a]aformat=channel_layouts=stereo[n];[n][2:a]amix=inputs=2:normalize=0[a]'",
        -20.0);
    ASSERT_GT(ffmpeg_ebur128(peaky).true_peak, -8.0) << "with the +6 dB gain the clicks would pass -2 dBTP";
    expect_on_target(peaky, dir, {"web", -14.0, -1.0}, "web", true);
}

TEST(DeliverLoudness, OpusInWebmIsBroughtToTheTargetToo) {
    TempDir dir;
    CommandResult r = run_avpost("--json transcode " + quote(media("avatar.mp4")) + " --mask " +
                                 quote(media("avatar_mask.mp4")) + " -o " + quote(dir.file("o")) +
                                 " --deliver webm-alpha --loudness broadcast");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto report = nlohmann::json::parse(r.out);
    const std::string webm = report["deliveries"][0]["path"];
    const Meter m = ffmpeg_ebur128(webm);
    EXPECT_NEAR(m.integrated, -23.0, 0.5);
    EXPECT_LT(m.true_peak, -1.0);
}

TEST(DeliverLoudness, OffByDefaultTheAudioIsCarriedAsItIs) {
    TempDir dir;
    CommandResult r = run_avpost("--json transcode " + quote(media("avatar.mp4")) + " -o " + quote(dir.file("o")) +
                                 " --deliver web");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto report = nlohmann::json::parse(r.out);
    EXPECT_TRUE(report["loudness"].is_null());
    EXPECT_FALSE(report["deliveries"][0].contains("loudness"));
    EXPECT_NEAR(ffmpeg_ebur128(report["deliveries"][0]["path"]).integrated, ffmpeg_ebur128(media("avatar.mp4")).integrated,
                0.05);
}

TEST(DeliverLoudness, BadTargetIsAUsageError) {
    TempDir dir;
    CommandResult r = run_avpost("transcode " + quote(media("avatar.mp4")) + " -o " + quote(dir.file("o")) +
                                 " --deliver web --loudness loud");
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("--loudness: unknown loudness target 'loud'"), std::string::npos) << r.err;
}

TEST(DeliverLoudness, HlsRungsCarryTheProcessedAudio) {
    TempDir dir;
    const std::string quiet = source_at(dir, "quiet", tone, -30.0);
    CommandResult r = run_avpost("--json transcode " + quote(quiet) + " -o " + quote(dir.file("o")) +
                                 " --deliver hls --hls-heights 120 --loudness web");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::string master = nlohmann::json::parse(r.out)["deliveries"][0]["path"];
    const Meter m = ffmpeg_ebur128(master);
    EXPECT_NEAR(m.integrated, -14.0, 0.5);
    EXPECT_LT(m.true_peak, -1.0);
}

// The ladder is measured again like the files: its report and --json give the loudness and
// true peak of the encoded HLS audio (read through the playlists), and agree with ffmpeg's meter
// on every rung; web and hls from the same run both report.
TEST(DeliverLoudness, HlsOutputIsMeasuredAgainInTheReport) {
    TempDir dir;
    const std::string hot = source_at(dir, "hot", chord, -8.0);
    expect_on_target(hot, dir, {"podcast", -16.0, -1.0}, "web,hls", false);
    const auto report = nlohmann::json::parse(run_avpost("--json transcode " + quote(hot) + " -o " + quote(dir.file("ts")) +
                                                         " --deliver hls --hls-heights 60 --hls-segments ts --loudness broadcast")
                                                  .out);
    const auto& hls = report["deliveries"][0];
    ASSERT_TRUE(hls.contains("loudness")) << hls.dump();
    const std::filesystem::path ladder = std::filesystem::path(hls["path"].get<std::string>()).parent_path();
    for (const auto& entry : std::filesystem::directory_iterator(ladder)) {
        const std::string name = entry.path().filename().string();
        if (name == "master.m3u8" || entry.path().extension() != ".m3u8") continue;
        SCOPED_TRACE(name);
        const Meter rung = ffmpeg_ebur128(entry.path().string());
        EXPECT_NEAR(rung.integrated, -23.0, 0.5);
        EXPECT_LT(rung.true_peak, -1.0);
        EXPECT_NEAR(hls["loudness"]["integrated_lufs"].get<double>(), rung.integrated, 0.3);
        EXPECT_NEAR(hls["loudness"]["true_peak_dbtp"].get<double>(), rung.true_peak, 0.5);
    }
    // The text report names it on the hls line as on the others.
    CommandResult text = run_avpost("transcode " + quote(hot) + " -o " + quote(dir.file("text")) +
                                    " --deliver hls --hls-heights 60 --loudness broadcast");
    ASSERT_EQ(text.exit_code, 0) << text.err;
    EXPECT_TRUE(std::regex_search(text.out, std::regex(R"(hls: .*master\.m3u8 \(.*, -2[23]\.[0-9] LUFS, -[0-9.]+ dBTP\))")))
        << text.out;
}

TEST(DeliverLoudness, ComposeTakesItOnlyWithDeliveries) {
    TempDir dir;
    CommandResult r = run_avpost("compose --video " + quote(media("avatar.mp4")) + " --mask " + quote(media("avatar_mask.mp4")) +
                                 " --background '#336699' -o " + quote(dir.file("c.mp4")) + " --loudness web");
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("give --deliver PRESETS"), std::string::npos) << r.err;
    r = run_avpost("--json compose --video " + quote(media("avatar.mp4")) + " --mask " + quote(media("avatar_mask.mp4")) +
                   " --background '#336699' -o " + quote(dir.file("c.mp4")) + " --deliver web --loudness podcast");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NEAR(ffmpeg_ebur128(dir.file("c-web.mp4")).integrated, -16.0, 0.5);
    // The composite itself keeps the audio as rendered.
    EXPECT_NEAR(ffmpeg_ebur128(dir.file("c.mp4")).integrated, ffmpeg_ebur128(media("avatar.mp4")).integrated, 0.05);
}
