// The av1 and av1-webm presets, checked with ffprobe and against the source's pixels: codec and
// container tag, size, every frame, duration, audio codec, colour tags, and re-runs bit-exact.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "deliver_test_support.hpp"

using namespace avpost::testing;

namespace {

std::string audio_codec(const std::string& path) {
    CommandResult r = run_command(quote(FFPROBE_EXECUTABLE) + " -v error -select_streams a:0 -show_entries "
                                  "stream=codec_name -of csv=p=0 " + quote(path));
    return r.out.substr(0, r.out.find_first_of("\r\n"));
}

std::string bytes_of(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

}  // namespace

TEST(DeliverAv1, Mp4AndWebmCarryAv1CloseToTheSourceAndRerunBitExact) {
    TempDir dir;
    const std::string source = dir.file("talk.mp4");
    // Tagged BT.709 like the preset, so its pixels are compared without a matrix conversion.
    run_ffmpeg("-f lavfi -i testsrc2=s=480x270:r=25:d=2 -f lavfi -i sine=f=300:d=2 -c:v libx264 -crf 12 -preset "
               "ultrafast -pix_fmt yuv420p -colorspace bt709 -color_primaries bt709 -color_trc bt709 -c:a aac "
               "-shortest " + quote(source));
    auto files = transcode(quote(source) + " -o " + quote(dir.file("out")) + " --deliver av1,av1-webm --name talk");
    ASSERT_EQ(files.size(), 2u);
    EXPECT_EQ(files["av1"]["path"], dir.file("out") + "/talk-av1.mp4");
    EXPECT_EQ(files["av1-webm"]["path"], dir.file("out") + "/talk-av1.webm");

    const auto reference = decode_video(source);
    ASSERT_EQ(reference.size(), 50u);
    for (const char* preset : {"av1", "av1-webm"}) {
        const std::string path = files[preset]["path"];
        FfprobeFacts facts = ffprobe(path);
        EXPECT_EQ(facts.codec, "av1") << preset;
        EXPECT_EQ(facts.pix_fmt, "yuv420p") << preset;
        EXPECT_EQ(facts.color_space, "bt709") << preset;
        EXPECT_EQ(facts.width, 480) << preset;
        EXPECT_EQ(facts.height, 270) << preset;
        EXPECT_EQ(facts.frames, 50) << preset;
        EXPECT_NEAR(facts.duration, 2.0, 0.04) << preset;
        EXPECT_TRUE(facts.audio) << preset;
        EXPECT_EQ(files[preset]["codec"], "av1");
        // Every frame decodes and looks like the source's (crf 32 on a synthetic pattern).
        const auto frames = decode_video(path);
        ASSERT_EQ(frames.size(), reference.size()) << preset;
        for (std::size_t i = 0; i < frames.size(); i += 7)
            EXPECT_GT(psnr(reference[i].y, frames[i].y), 30.0) << preset << " frame " << i;
    }
    EXPECT_EQ(ffprobe(files["av1"]["path"]).tag, "av01");
    EXPECT_EQ(audio_codec(files["av1"]["path"]), "aac");
    EXPECT_EQ(audio_codec(files["av1-webm"]["path"]), "opus");

    // The same frames and settings make the same files.
    auto again = transcode(quote(source) + " -o " + quote(dir.file("again")) + " --deliver av1,av1-webm --name talk");
    for (const char* preset : {"av1", "av1-webm"})
        EXPECT_TRUE(bytes_of(files[preset]["path"]) == bytes_of(again[preset]["path"])) << preset << " differs on a re-run";
}
