#include "avpost/filters/colour.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

#include "avpost/core/error.hpp"
#include "avpost/media/handles.hpp"

using namespace avpost::filters;

TEST(Colour, ParsesHexColours) {
    EXPECT_EQ(parse_hex_colour("#00B140"), (Rgb8{0, 0xB1, 0x40}));
    EXPECT_EQ(parse_hex_colour("ff8000"), (Rgb8{255, 128, 0}));
    EXPECT_THROW(parse_hex_colour("#12345"), avpost::Error);
    EXPECT_THROW(parse_hex_colour("#12345G"), avpost::Error);
    EXPECT_TRUE(looks_like_hex_colour("#ABCDEF"));
    EXPECT_FALSE(looks_like_hex_colour("background.png"));
}

TEST(Colour, RgbToYuvMatchesTheStandards) {
    EXPECT_EQ(rgb_to_yuv({255, 255, 255}, AVCOL_SPC_BT709, AVCOL_RANGE_MPEG), (Yuv8{235, 128, 128}));
    EXPECT_EQ(rgb_to_yuv({0, 0, 0}, AVCOL_SPC_BT709, AVCOL_RANGE_MPEG), (Yuv8{16, 128, 128}));
    // BT.709 and BT.601 red differ: the reason to track the matrix at all.
    EXPECT_EQ(rgb_to_yuv({255, 0, 0}, AVCOL_SPC_BT709, AVCOL_RANGE_MPEG), (Yuv8{63, 102, 240}));
    EXPECT_EQ(rgb_to_yuv({255, 0, 0}, AVCOL_SPC_SMPTE170M, AVCOL_RANGE_MPEG), (Yuv8{81, 90, 240}));
    EXPECT_EQ(rgb_to_yuv({255, 0, 0}, AVCOL_SPC_BT709, AVCOL_RANGE_JPEG).y, 54);
}

TEST(Colour, MatrixDefaultsFollowPictureSize) {
    EXPECT_EQ(resolve_matrix(AVCOL_SPC_UNSPECIFIED, 1080), AVCOL_SPC_BT709);
    EXPECT_EQ(resolve_matrix(AVCOL_SPC_UNSPECIFIED, 480), AVCOL_SPC_SMPTE170M);
    EXPECT_EQ(resolve_matrix(AVCOL_SPC_BT470BG, 1080), AVCOL_SPC_BT470BG);
    EXPECT_TRUE(same_matrix(AVCOL_SPC_BT470BG, AVCOL_SPC_SMPTE170M));
    EXPECT_EQ(output_matrix_for(1920, 1080), AVCOL_SPC_BT709);
    EXPECT_EQ(output_matrix_for(640, 360), AVCOL_SPC_SMPTE170M);
}

TEST(Colour, MatrixConversionMatchesDirectConversion) {
    // Each 2x2 block holds one colour encoded in BT.601; after conversion it must equal the same
    // colour encoded directly in BT.709.
    const Rgb8 colours[] = {{255, 0, 0}, {0, 177, 64}, {30, 58, 138}, {245, 158, 11}, {128, 128, 128}, {10, 240, 250}};
    auto frame = avpost::media::make_video_frame(AV_PIX_FMT_YUV420P, 12, 2);
    for (int i = 0; i < 6; ++i) {
        Yuv8 c = rgb_to_yuv(colours[i], AVCOL_SPC_SMPTE170M, AVCOL_RANGE_MPEG);
        for (int dy = 0; dy < 2; ++dy)
            for (int dx = 0; dx < 2; ++dx) frame->data[0][dy * frame->linesize[0] + 2 * i + dx] = c.y;
        frame->data[1][i] = c.u;
        frame->data[2][i] = c.v;
    }
    convert_yuv420p(frame.get(), AVCOL_SPC_SMPTE170M, AVCOL_RANGE_MPEG, AVCOL_SPC_BT709, AVCOL_RANGE_MPEG);
    for (int i = 0; i < 6; ++i) {
        Yuv8 expected = rgb_to_yuv(colours[i], AVCOL_SPC_BT709, AVCOL_RANGE_MPEG);
        EXPECT_LE(std::abs(frame->data[0][2 * i] - expected.y), 1) << i;
        EXPECT_LE(std::abs(frame->data[0][frame->linesize[0] + 2 * i + 1] - expected.y), 1) << i;
        EXPECT_LE(std::abs(frame->data[1][i] - expected.u), 1) << i;
        EXPECT_LE(std::abs(frame->data[2][i] - expected.v), 1) << i;
    }
}

TEST(Colour, RangeAndMatrixConversionTogether) {
    // Full-range BT.709 in, limited-range BT.601 out, and back: each must equal direct encoding.
    const Rgb8 colours[] = {{255, 0, 0}, {0, 177, 64}, {255, 255, 255}, {0, 0, 0}, {30, 58, 138}, {245, 158, 11}};
    auto frame = avpost::media::make_video_frame(AV_PIX_FMT_YUV420P, 12, 2);
    for (int i = 0; i < 6; ++i) {
        Yuv8 c = rgb_to_yuv(colours[i], AVCOL_SPC_BT709, AVCOL_RANGE_JPEG);
        for (int dy = 0; dy < 2; ++dy)
            for (int dx = 0; dx < 2; ++dx) frame->data[0][dy * frame->linesize[0] + 2 * i + dx] = c.y;
        frame->data[1][i] = c.u;
        frame->data[2][i] = c.v;
    }
    convert_yuv420p(frame.get(), AVCOL_SPC_BT709, AVCOL_RANGE_JPEG, AVCOL_SPC_SMPTE170M, AVCOL_RANGE_MPEG);
    for (int i = 0; i < 6; ++i) {
        Yuv8 expected = rgb_to_yuv(colours[i], AVCOL_SPC_SMPTE170M, AVCOL_RANGE_MPEG);
        EXPECT_LE(std::abs(frame->data[0][2 * i] - expected.y), 1) << i;
        EXPECT_LE(std::abs(frame->data[1][i] - expected.u), 1) << i;
        EXPECT_LE(std::abs(frame->data[2][i] - expected.v), 1) << i;
    }
    EXPECT_EQ(frame->color_range, AVCOL_RANGE_MPEG);
}
