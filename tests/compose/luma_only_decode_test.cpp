// A matte decoded with one shared chroma scratch area (LumaOnlyBuffers) must give exactly the
// luma libavcodec's own buffers give, for every frame, with motion, B-frames and sizes that are
// not multiples of the codec's block size.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "avpost/media/video_source.hpp"
#include "media_helpers.hpp"

using namespace avpost;
using namespace avpost::testing;

namespace {

std::vector<std::vector<std::uint8_t>> decode_luma(const std::string& path, int threads, bool luma_only,
                                                   bool* used_luma_only) {
    media::VideoSource source(path, "mask");
    source.set_decoder_threads(threads, luma_only);
    *used_luma_only = source.luma_only();
    std::vector<std::vector<std::uint8_t>> planes;
    media::FramePtr frame = media::make_frame();
    while (source.next(frame.get())) {
        std::vector<std::uint8_t> plane(std::size_t(frame->width) * frame->height);
        for (int y = 0; y < frame->height; ++y)
            std::memcpy(plane.data() + std::size_t(y) * frame->width, frame->data[0] + y * frame->linesize[0],
                        std::size_t(frame->width));
        planes.push_back(std::move(plane));
    }
    source.check_integrity();
    return planes;
}

}  // namespace

class LumaOnlyDecode : public ::testing::TestWithParam<const char*> {};

TEST_P(LumaOnlyDecode, GivesTheSameLumaAsTheDecodersOwnBuffers) {
    TempDir dir;
    const std::string clip = dir.file("matte.mkv");
    // A moving, detailed picture with moving colour, so that luma prediction has work to do and a
    // luma that leaned on chroma in any way would show.
    run_ffmpeg("-f lavfi -i testsrc2=s=330x186:r=25:d=2 -vf format=yuv420p " + std::string(GetParam()) + " " +
               quote(clip));
    bool normal_luma_only = true, luma_only = false;
    const auto expected = decode_luma(clip, 1, false, &normal_luma_only);
    const auto actual = decode_luma(clip, 1, true, &luma_only);
    EXPECT_FALSE(normal_luma_only);
    EXPECT_TRUE(luma_only);
    ASSERT_EQ(expected.size(), 50u);
    ASSERT_EQ(actual.size(), expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) ASSERT_EQ(actual[i], expected[i]) << "frame " << i;
}

INSTANTIATE_TEST_SUITE_P(Codecs, LumaOnlyDecode,
                         ::testing::Values("-c:v libx264 -bf 3 -refs 4 -g 12",
                                           "-c:v libx265 -preset ultrafast -x265-params log-level=error:bframes=3 -g 12",
                                           "-c:v libvpx-vp9 -deadline realtime -cpu-used 8 -g 12"));

TEST(LumaOnlyDecodeChoice, OnlyForASingleThreadedDecoder) {
    TempDir dir;
    const std::string clip = dir.file("matte.mp4");
    run_ffmpeg("-f lavfi -i testsrc2=s=160x90:r=25:d=0.4 -vf format=yuv420p -c:v libx264 " + quote(clip));
    media::VideoSource threaded(clip, "mask");
    threaded.set_decoder_threads(2, true);
    EXPECT_FALSE(threaded.luma_only());  // two threads must never share the scratch chroma
    media::VideoSource single(clip, "mask");
    single.set_decoder_threads(1, true);
    EXPECT_TRUE(single.luma_only());
}
