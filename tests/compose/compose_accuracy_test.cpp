// Accuracy of `avpost compose` against a float reference computed here from the decoded inputs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "media_helpers.hpp"

using namespace avpost::testing;

namespace {

double limited_alpha(int mask_luma) { return std::clamp((mask_luma - 16) / 219.0, 0.0, 1.0); }

struct Comparison {
    double psnr_y = 0, psnr_u = 0, psnr_v = 0;
    int worst_transparent = 0, worst_opaque = 0;
    long transparent = 0, opaque = 0;
};

Comparison compare_with_reference(const std::vector<YuvFrame>& out, const std::vector<YuvFrame>& avatar,
                                  const std::vector<YuvFrame>& mask, const YuvFrame& bg) {
    Comparison c;
    std::vector<double> ref_y, ref_u, ref_v;
    std::vector<std::uint8_t> got_y, got_u, got_v;
    for (std::size_t i = 0; i < out.size(); ++i) {
        const YuvFrame &o = out[i], &f = avatar[i], &m = mask[std::min(i, mask.size() - 1)];
        int W = o.width, H = o.height, CW = (W + 1) / 2;
        for (int y = 0; y < H; ++y)
            for (int x = 0; x < W; ++x) {
                int ml = m.Y(x, y);
                double a = limited_alpha(ml);
                ref_y.push_back(a * f.Y(x, y) + (1 - a) * bg.Y(x, y));
                got_y.push_back(o.Y(x, y));
                if (ml <= 16) {
                    ++c.transparent;
                    c.worst_transparent = std::max(c.worst_transparent, std::abs(o.Y(x, y) - bg.Y(x, y)));
                } else if (ml >= 235) {
                    ++c.opaque;
                    c.worst_opaque = std::max(c.worst_opaque, std::abs(o.Y(x, y) - f.Y(x, y)));
                }
            }
        for (int cy = 0; cy < (H + 1) / 2; ++cy)
            for (int cx = 0; cx < CW; ++cx) {
                double a = (limited_alpha(m.Y(2 * cx, 2 * cy)) + limited_alpha(m.Y(2 * cx + 1, 2 * cy)) +
                            limited_alpha(m.Y(2 * cx, 2 * cy + 1)) + limited_alpha(m.Y(2 * cx + 1, 2 * cy + 1))) / 4;
                ref_u.push_back(a * f.U(cx, cy) + (1 - a) * bg.U(cx, cy));
                ref_v.push_back(a * f.V(cx, cy) + (1 - a) * bg.V(cx, cy));
                got_u.push_back(o.U(cx, cy));
                got_v.push_back(o.V(cx, cy));
            }
    }
    c.psnr_y = psnr(ref_y, got_y);
    c.psnr_u = psnr(ref_u, got_u);
    c.psnr_v = psnr(ref_v, got_v);
    return c;
}

}  // namespace

TEST(ComposeAccuracy, LosslessOutputMatchesFloatReference) {
    TempDir dir;
    // The background as the reference sees it: converted by the ffmpeg CLI, BT.601 limited range
    // (the canvas is below HD).
    run_ffmpeg("-i " + quote(media("background.png")) +
               " -vf scale=out_color_matrix=bt601:out_range=tv:flags=bicubic+accurate_rnd,format=yuv420p -c:v ffv1 " +
               quote(dir.file("bg.mkv")));
    std::string out = dir.file("out.mkv");
    CommandResult r = run_avpost("compose --video " + quote(media("avatar.mp4")) + " --mask " +
                                 quote(media("avatar_mask.mp4")) + " --background " + quote(media("background.png")) +
                                 " --vcodec ffv1 -o " + quote(out));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, out + "\n");

    auto output = decode_video(out);
    auto avatar = decode_video(media("avatar.mp4"));
    auto mask = decode_video(media("avatar_mask.mp4"));
    auto bg = decode_video(dir.file("bg.mkv"));
    ASSERT_EQ(output.size(), avatar.size());
    ASSERT_EQ(bg.size(), 1u);
    Comparison c = compare_with_reference(output, avatar, mask, bg[0]);
    RecordProperty("psnr_y", std::to_string(c.psnr_y));
    std::printf("accuracy: PSNR Y %.2f dB, U %.2f dB, V %.2f dB; worst |out-bg| where a=0: %d, |out-avatar| where a=1: %d\n",
                c.psnr_y, c.psnr_u, c.psnr_v, c.worst_transparent, c.worst_opaque);
    EXPECT_GT(c.transparent, 1000);
    EXPECT_GT(c.opaque, 1000);
    EXPECT_LE(c.worst_transparent, 2);
    EXPECT_LE(c.worst_opaque, 2);
    EXPECT_GE(c.psnr_y, 50.0);
    EXPECT_GE(c.psnr_u, 45.0);
    EXPECT_GE(c.psnr_v, 45.0);
}

TEST(ComposeAccuracy, SolidColourBackgroundIsExactInHd) {
    TempDir dir;
    // An HD avatar so the output is BT.709: pure red on the canvas must be Y=63 U=102 V=240.
    run_ffmpeg("-f lavfi -i color=white:s=1280x720:r=25:d=0.4 -c:v libx264 -qp 0 -pix_fmt yuv420p " +
               quote(dir.file("a.mp4")));
    run_ffmpeg("-f lavfi -i color=black:s=1280x720:r=25:d=0.4 -c:v libx264 -qp 0 -pix_fmt yuv420p " +
               quote(dir.file("m.mp4")));
    CommandResult r = run_avpost("compose --video " + quote(dir.file("a.mp4")) + " --mask " + quote(dir.file("m.mp4")) +
                                 " --background '#FF0000' --vcodec ffv1 -o " + quote(dir.file("o.mkv")));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto out = decode_video(dir.file("o.mkv"));
    ASSERT_EQ(out.size(), 10u);
    EXPECT_EQ(out[5].Y(640, 360), 63);
    EXPECT_EQ(out[5].U(320, 180), 102);
    EXPECT_EQ(out[5].V(320, 180), 240);
    CommandResult probe = run_command(quote(FFPROBE_EXECUTABLE) +
                                      " -v error -show_entries stream=color_space,color_primaries,color_transfer,color_range"
                                      " -of compact=p=0:nk=1 " + quote(dir.file("o.mkv")));
    EXPECT_NE(probe.out.find("tv|bt709|bt709|bt709"), std::string::npos) << probe.out;
}

TEST(ComposeAccuracy, AvatarInAnotherMatrixAndRangeIsConvertedExactly) {
    TempDir dir;
    // Pure red as an SD (BT.601, limited) avatar and as a full-range (yuvj420p) one, each placed
    // on an HD canvas: the output must be BT.709 limited-range red, Y=63 U=102 V=240.
    run_ffmpeg("-f lavfi -i color=red:s=320x240:r=25:d=0.2,format=rgb24 -vf scale=out_color_matrix=bt601:out_range=tv,format=yuv420p "
               "-c:v libx264 -qp 0 -color_range tv -colorspace smpte170m " + quote(dir.file("sd.mp4")));
    run_ffmpeg("-f lavfi -i color=red:s=320x240:r=25:d=0.2,format=rgb24 -vf scale=out_color_matrix=bt709:out_range=pc,format=yuvj420p "
               "-c:v libx264 -qp 0 -color_range pc -colorspace bt709 " + quote(dir.file("full.mp4")));
    run_ffmpeg("-f lavfi -i color=white:s=320x240:r=25:d=0.2 -c:v libx264 -qp 0 -pix_fmt yuv420p " +
               quote(dir.file("opaque.mp4")));
    for (const char* avatar : {"sd.mp4", "full.mp4"}) {
        std::string out = dir.file(std::string(avatar) + ".mkv");
        CommandResult r = run_avpost("compose --video " + quote(dir.file(avatar)) + " --mask " + quote(dir.file("opaque.mp4")) +
                                     " --background '#000000' --canvas 1280x720 --fit none --vcodec ffv1 -o " + quote(out));
        ASSERT_EQ(r.exit_code, 0) << r.err;
        auto frames = decode_video(out, 1);
        ASSERT_EQ(frames.size(), 1u);
        const YuvFrame& f = frames[0];
        SCOPED_TRACE(avatar);
        EXPECT_NEAR(f.Y(640, 360), 63, 2);
        EXPECT_NEAR(f.U(320, 180), 102, 2);
        EXPECT_NEAR(f.V(320, 180), 240, 2);
        EXPECT_EQ(f.Y(10, 10), 16);  // the black background, limited range
    }
}
