// The same composite through the ffmpeg CLI's alphamerge + overlay, as an independent oracle.
#include <gtest/gtest.h>

#include "media_helpers.hpp"

using namespace avpost::testing;

TEST(ComposeOracle, MatchesFfmpegAlphamergeOverlay) {
    TempDir dir;
    // ffmpeg's format=gray expands the limited-range mask to full range, as our default does.
    run_ffmpeg("-i " + quote(media("avatar.mp4")) + " -i " + quote(media("avatar_mask.mp4")) + " -i " +
               quote(media("background.png")) +
               " -filter_complex \"[2:v]format=yuv420p,loop=loop=-1:size=1:start=0[bg];[1:v]format=gray[m];"
               "[0:v][m]alphamerge[f];[bg][f]overlay=shortest=1:format=yuv420[o]\" -map \"[o]\" -c:v ffv1 " +
               quote(dir.file("oracle.mkv")));
    CommandResult r = run_avpost("compose --video " + quote(media("avatar.mp4")) + " --mask " +
                                 quote(media("avatar_mask.mp4")) + " --background " + quote(media("background.png")) +
                                 " --vcodec ffv1 -o " + quote(dir.file("ours.mkv")));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto ours = decode_video(dir.file("ours.mkv"));
    auto oracle = decode_video(dir.file("oracle.mkv"));
    ASSERT_EQ(ours.size(), oracle.size());
    std::vector<std::uint8_t> oy, ry, ou, ru;
    for (std::size_t i = 0; i < ours.size(); ++i) {
        oy.insert(oy.end(), ours[i].y.begin(), ours[i].y.end());
        ry.insert(ry.end(), oracle[i].y.begin(), oracle[i].y.end());
        ou.insert(ou.end(), ours[i].u.begin(), ours[i].u.end());
        ru.insert(ru.end(), oracle[i].u.begin(), oracle[i].u.end());
    }
    double py = psnr(oy, ry), pu = psnr(ou, ru);
    std::printf("oracle: PSNR Y %.2f dB, U %.2f dB against ffmpeg alphamerge+overlay\n", py, pu);
    EXPECT_GE(py, 50.0);
    EXPECT_GE(pu, 45.0);
}
