// Other encoders and containers: the same picture, the right pixel format, audio carried.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "media_helpers.hpp"

using namespace avpost::testing;

namespace {

nlohmann::json streams_of(const std::string& path) {
    CommandResult r = run_command(quote(FFPROBE_EXECUTABLE) + " -v error -show_streams -of json " + quote(path));
    return nlohmann::json::parse(r.out)["streams"];
}

std::string compose(const TempDir& dir, const std::string& name, const std::string& extra) {
    std::string out = dir.file(name);
    CommandResult r = run_avpost("compose --video " + quote(media("avatar.mp4")) + " --mask " +
                                 quote(media("avatar_mask.mp4")) + " --background " + quote(media("background.png")) +
                                 " -o " + quote(out) + " " + extra);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return out;
}

double luma_psnr(const std::string& a, const std::string& b) {
    auto fa = decode_video(a), fb = decode_video(b);
    EXPECT_EQ(fa.size(), fb.size());
    std::vector<std::uint8_t> ya, yb;
    for (std::size_t i = 0; i < std::min(fa.size(), fb.size()); ++i) {
        ya.insert(ya.end(), fa[i].y.begin(), fa[i].y.end());
        yb.insert(yb.end(), fb[i].y.begin(), fb[i].y.end());
    }
    return psnr(ya, yb);
}

}  // namespace

TEST(ComposeOutputs, ProResAndVp9CarryThePictureAndTheAudio) {
    TempDir dir;
    std::string lossless = compose(dir, "ref.mkv", "--vcodec ffv1");
    std::string prores = compose(dir, "o.mov", "--vcodec prores_ks");
    std::string vp9 = compose(dir, "o.webm", "--vcodec libvpx-vp9 --crf 30");

    auto mov = streams_of(prores);
    ASSERT_EQ(mov.size(), 2u);
    EXPECT_EQ(mov[0]["codec_name"], "prores");
    EXPECT_EQ(mov[0]["pix_fmt"], "yuv422p10le");
    EXPECT_EQ(mov[1]["codec_name"], "aac");  // MOV takes AAC: stream copy

    auto webm = streams_of(vp9);
    ASSERT_EQ(webm.size(), 2u);
    EXPECT_EQ(webm[0]["codec_name"], "vp9");
    EXPECT_EQ(webm[1]["codec_name"], "opus");  // WebM does not take AAC: re-encoded

    EXPECT_GE(luma_psnr(lossless, prores), 45.0);
    EXPECT_GE(luma_psnr(lossless, vp9), 32.0);
}

TEST(ComposeOutputs, ScaledAvatarAtOddPositionAndHalfSizeMask) {
    TempDir dir;
    // A mask at half the avatar's size is scaled up; an odd size and position must not shift it.
    run_ffmpeg("-i " + quote(media("avatar_mask.mp4")) + " -vf scale=320:180 -c:v libx264 -qp 0 " +
               quote(dir.file("half.mp4")));
    std::string full = dir.file("full.mkv"), half = dir.file("half.mkv");
    for (auto [mask, out] : {std::pair{media("avatar_mask.mp4"), full}, std::pair{dir.file("half.mp4"), half}}) {
        CommandResult r = run_avpost("compose --video " + quote(media("avatar.mp4")) + " --mask " + quote(mask) +
                                     " --background '#202020' --canvas 641x361 --size 321x181 --position 101,57"
                                     " --vcodec ffv1 -o " + quote(out));
        ASSERT_EQ(r.exit_code, 0) << r.err;
    }
    auto a = decode_video(full, 1), b = decode_video(half, 1);
    ASSERT_EQ(a[0].width, 641);
    ASSERT_EQ(a[0].height, 361);
    EXPECT_GE(luma_psnr(full, half), 30.0);
    // Outside the avatar's box the canvas is the background colour, exactly.
    EXPECT_EQ(a[0].Y(100, 200), a[0].Y(0, 0));
    EXPECT_EQ(a[0].Y(101 + 321, 200), a[0].Y(0, 0));
    EXPECT_EQ(a[0].Y(300, 56), a[0].Y(0, 0));
    // Inside, at the centre of the ellipse, the avatar (not the background).
    EXPECT_NE(a[0].Y(101 + 160, 57 + 105), a[0].Y(0, 0));
}
