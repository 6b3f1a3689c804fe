// Every delivery preset from one `avpost transcode` run, checked with ffprobe (independently of
// avpost's own check): codec, tag, pixel format, alpha, size, duration within a frame, audio,
// colour tags; and the colours themselves where the preset changes matrix or range.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "deliver_test_support.hpp"

using namespace avpost::testing;

namespace {

constexpr double frame_seconds = 0.04;  // the samples are 25 fps, 2 s

std::string sample_sources() {
    return quote(media("avatar.mp4")) + " --mask " + quote(media("avatar_mask.mp4"));
}

// The RGB of one pixel of a file's first frame, as ffmpeg converts it by the file's own tags.
std::array<int, 3> rgb_at(const std::string& path, int x, int y) {
    TempDir dir;
    run_ffmpeg("-i " + quote(path) + " -frames:v 1 -vf crop=2:2:" + std::to_string(x) + ":" + std::to_string(y) +
               " -f rawvideo -pix_fmt rgb24 " + quote(dir.file("px.rgb")));
    std::ifstream in(dir.file("px.rgb"), std::ios::binary);
    unsigned char px[3] = {};
    in.read(reinterpret_cast<char*>(px), 3);
    return {px[0], px[1], px[2]};
}

void expect_rgb_near(std::array<int, 3> actual, std::array<int, 3> expected, int tolerance, const std::string& what) {
    for (int c = 0; c < 3; ++c) EXPECT_NEAR(actual[c], expected[c], tolerance) << what << " channel " << c;
}

}  // namespace

TEST(DeliverPresets, EveryPresetFromOneRunIsWhatItClaims) {
    TempDir dir;
    // A colour background: its RGB is known exactly, so matrix and range errors show.
    auto files = transcode(sample_sources() + " --background '#3366CC' --canvas 640x360 --size -1x300 --anchor bottom"
                           " -o " + quote(dir.file("out")) +
                           " --preset web,hevc,webm-alpha,prores-alpha,preview,poster,hls --name talk");
    ASSERT_EQ(files.size(), 7u);

    FfprobeFacts web = ffprobe(files["web"]["path"]);
    EXPECT_EQ(web.codec, "h264");
    EXPECT_EQ(web.tag, "avc1");
    EXPECT_EQ(web.pix_fmt, "yuv420p");
    EXPECT_EQ(web.color_space, "bt709");  // web players assume BT.709, even for SD
    EXPECT_EQ(web.width, 640);
    EXPECT_EQ(web.height, 360);
    EXPECT_NEAR(web.duration, 2.0, frame_seconds);
    EXPECT_EQ(web.frames, 50);
    EXPECT_TRUE(web.audio);
    expect_rgb_near(rgb_at(files["web"]["path"], 4, 4), {0x33, 0x66, 0xCC}, 4, "web background");
    {
        std::ifstream in(files["web"]["path"].get<std::string>(), std::ios::binary);
        std::string head(64, '\0');
        in.read(head.data(), 64);
        EXPECT_LT(head.find("moov"), head.find("mdat")) << "+faststart puts the index first";
    }

    FfprobeFacts hevc = ffprobe(files["hevc"]["path"]);
    EXPECT_EQ(hevc.codec, "hevc");
    EXPECT_EQ(hevc.tag, "hvc1");  // Apple players refuse hev1
    EXPECT_EQ(hevc.color_space, "bt709");
    EXPECT_NEAR(hevc.duration, 2.0, frame_seconds);
    EXPECT_TRUE(hevc.audio);

    FfprobeFacts webm = ffprobe(files["webm-alpha"]["path"]);
    EXPECT_EQ(webm.codec, "vp9");
    EXPECT_EQ(webm.alpha_mode, "1");
    EXPECT_EQ(webm.frames, 50);
    EXPECT_NEAR(webm.duration, 2.0, frame_seconds);
    EXPECT_TRUE(webm.audio);
    EXPECT_TRUE(files["webm-alpha"]["alpha"].get<bool>());
    EXPECT_EQ(files["webm-alpha"]["pixel_format"], "yuva420p");

    FfprobeFacts prores = ffprobe(files["prores-alpha"]["path"]);
    EXPECT_EQ(prores.codec, "prores");
    EXPECT_EQ(prores.tag, "ap4h");  // ProRes 4444
    EXPECT_NE(prores.pix_fmt.find("yuva444p"), std::string::npos) << prores.pix_fmt;
    EXPECT_NEAR(prores.duration, 2.0, frame_seconds);
    EXPECT_TRUE(prores.audio);

    // Animated WebP: FFmpeg 5.1 cannot read it back; the RIFF header says what it is.
    {
        std::ifstream in(files["preview"]["path"].get<std::string>(), std::ios::binary);
        std::string head(40, '\0');
        in.read(head.data(), 40);
        EXPECT_EQ(head.substr(0, 4), "RIFF");
        EXPECT_EQ(head.substr(8, 8), "WEBPVP8X");
        EXPECT_TRUE(head[20] & 0x02) << "the animation flag";
        EXPECT_EQ(files["preview"]["width"], 320);
        EXPECT_EQ(files["preview"]["height"], 180);
        EXPECT_NEAR(files["preview"]["duration_seconds"].get<double>(), 2.0, 0.11);  // the whole 2 s sample at 10 fps
        EXPECT_LT(files["preview"]["bytes"].get<int>(), 200000);
    }

    FfprobeFacts poster = ffprobe(files["poster"]["path"]);
    EXPECT_EQ(poster.codec, "mjpeg");
    EXPECT_EQ(poster.width, 640);
    EXPECT_EQ(poster.height, 360);
    expect_rgb_near(rgb_at(files["poster"]["path"], 4, 4), {0x33, 0x66, 0xCC}, 4, "poster background");

    // HLS: the 360-line canvas is the only rung (taller ones would be upscales).
    auto variants = parse_master_playlist(files["hls"]["path"]);
    ASSERT_EQ(variants.size(), 1u);
    EXPECT_EQ(variants[0].height, 360);

    // Nothing half-written or temporary is left beside the outputs.
    for (const auto& entry : std::filesystem::directory_iterator(dir.file("out")))
        EXPECT_NE(entry.path().filename().string()[0], '.') << entry.path();
}

TEST(DeliverPresets, LargeSourceIsCappedAndGetsAnHlsLadder) {
    TempDir dir;
    // 2560x1440, 2.5 s, with a tone: web and the top HLS rung fit 1920x1080.
    const std::string source = dir.file("qhd.mp4");
    run_ffmpeg("-f lavfi -i testsrc2=s=2560x1440:r=25:d=2.5 -f lavfi -i sine=f=440:d=2.5 -c:v libx264 -preset "
               "ultrafast -pix_fmt yuv420p -c:a aac -shortest " + quote(source));
    auto files = transcode(quote(source) + " -o " + quote(dir.file("out")) + " --preset web,hls,poster");
    FfprobeFacts web = ffprobe(files["web"]["path"]);
    EXPECT_EQ(web.width, 1920);
    EXPECT_EQ(web.height, 1080);
    EXPECT_NEAR(web.duration, 2.5, frame_seconds);
    EXPECT_EQ(ffprobe(files["poster"]["path"]).width, 1920);

    const std::filesystem::path master = files["hls"]["path"].get<std::string>();
    auto variants = parse_master_playlist(master.string());
    ASSERT_EQ(variants.size(), 3u);
    const int heights[] = {1080, 720, 480};
    for (std::size_t i = 0; i < variants.size(); ++i) {
        const auto& v = variants[i];
        EXPECT_EQ(v.height, heights[i]);
        EXPECT_EQ(v.width % 2, 0);
        EXPECT_NEAR(double(v.width) / v.height, 16.0 / 9.0, 0.01);
        EXPECT_GT(v.bandwidth, 0);
        EXPECT_NE(v.codecs.find("avc1.64"), std::string::npos) << v.codecs;
        EXPECT_NE(v.codecs.find("mp4a.40.2"), std::string::npos) << v.codecs;
        HlsMedia playlist = parse_media_playlist((master.parent_path() / v.uri).string());
        EXPECT_TRUE(playlist.ended);
        EXPECT_TRUE(playlist.vod);
        ASSERT_FALSE(playlist.segments.empty());
        double total = 0;
        for (const auto& [segment, seconds] : playlist.segments) {
            total += seconds;
            const auto path = master.parent_path() / segment;
            ASSERT_TRUE(std::filesystem::exists(path)) << path;
        }
        // fMP4 segments read with their init segment, through the playlist.
        FfprobeFacts rendition = ffprobe((master.parent_path() / v.uri).string());
        EXPECT_EQ(rendition.codec, "h264");
        EXPECT_EQ(rendition.height, heights[i]);
        EXPECT_EQ(rendition.frames, web.frames);
        EXPECT_TRUE(rendition.audio);
        EXPECT_NEAR(total, 2.5, frame_seconds + 0.01) << v.uri;
        EXPECT_LE(playlist.segments.size(), 2u);  // 4 s segments
    }
}

TEST(DeliverPresets, PosterSkipsABlankOpening) {
    TempDir dir;
    // One second of black, then a picture.
    const std::string source = dir.file("fade.mp4");
    run_ffmpeg("-f lavfi -i color=black:s=320x240:r=25:d=1 -f lavfi -i testsrc2=s=320x240:r=25:d=2 "
               "-filter_complex [0][1]concat=n=2:v=1 -c:v libx264 -preset ultrafast -pix_fmt yuv420p " + quote(source));
    auto files = transcode(quote(source) + " -o " + quote(dir.file("out")) + " --preset poster");
    auto frames = decode_video(files["poster"]["path"]);
    ASSERT_EQ(frames.size(), 1u);
    double sum = 0, squares = 0;
    for (auto v : frames[0].y) sum += v, squares += double(v) * v;
    const double mean = sum / double(frames[0].y.size());
    const double spread = std::sqrt(squares / double(frames[0].y.size()) - mean * mean);
    EXPECT_GT(spread, 30.0) << "the poster is a flat (blank) frame";
}

TEST(DeliverPresets, OddSizedSourceStillEncodes) {
    TempDir dir;
    const std::string source = dir.file("odd.mp4");
    run_ffmpeg("-f lavfi -i testsrc2=s=321x241:r=30:d=1 -c:v libx264 -preset ultrafast -pix_fmt yuv444p " + quote(source));
    auto files = transcode(quote(source) + " -o " + quote(dir.file("out")) + " --preset web,hevc,preview");
    FfprobeFacts web = ffprobe(files["web"]["path"]);
    EXPECT_EQ(web.width % 2, 0);
    EXPECT_EQ(web.height % 2, 0);
    EXPECT_NEAR(web.duration, 1.0, 1.0 / 30);
    EXPECT_FALSE(web.audio);
}

TEST(DeliverPresets, PortraitSourcesAreCappedAndLadderedByTheirShortSide) {
    TempDir dir;
    const std::string source = dir.file("portrait.mp4");
    run_ffmpeg("-f lavfi -i testsrc2=s=360x640:r=25:d=1 -c:v libx264 -preset ultrafast -pix_fmt yuv420p " + quote(source));
    // A 640x360 cap is turned to 360x640 for a portrait source: nothing is scaled down.
    auto files = transcode(quote(source) + " -o " + quote(dir.file("out")) +
                           " --preset web,poster,hls --max-size 640x360 --hls-heights 240");
    FfprobeFacts web = ffprobe(files["web"]["path"]);
    EXPECT_EQ(web.width, 360);
    EXPECT_EQ(web.height, 640);
    EXPECT_EQ(ffprobe(files["poster"]["path"]).height, 640);
    auto variants = parse_master_playlist(files["hls"]["path"]);
    ASSERT_EQ(variants.size(), 2u);
    EXPECT_EQ(variants[0].width, 360);
    EXPECT_EQ(variants[0].height, 640);
    EXPECT_EQ(variants[0].uri, "360p.m3u8");
    EXPECT_EQ(variants[1].width, 240);
    EXPECT_NEAR(variants[1].height, 426, 2);
    EXPECT_EQ(variants[1].uri, "240p.m3u8");
}
