#include "avpost/filters/matte.hpp"
#include "avpost/core/error.hpp"

#include <gtest/gtest.h>

#include <opencv2/core.hpp>
#include <algorithm>
#include <cmath>

#include "avpost/media/handles.hpp"

using namespace avpost::filters;
using avpost::media::FramePtr;
using avpost::media::make_video_frame;

namespace {

// A limited-range mask: a filled square of luma 235 on 16, in a yuv420p frame.
FramePtr square_mask(int w, int h, int x0, int y0, int side) {
    FramePtr f = make_video_frame(AV_PIX_FMT_YUV420P, w, h);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            f->data[0][y * f->linesize[0] + x] = (x >= x0 && x < x0 + side && y >= y0 && y < y0 + side) ? 235 : 16;
    for (int y = 0; y < (h + 1) / 2; ++y) {
        std::memset(f->data[1] + y * f->linesize[1], 128, (w + 1) / 2);
        std::memset(f->data[2] + y * f->linesize[2], 128, (w + 1) / 2);
    }
    return f;
}

int count_at_least(const cv::Mat& m, int level) { return cv::countNonZero(m >= level); }

}  // namespace

TEST(Matte, LimitedRangeExpandsToFullAlpha) {
    FramePtr mask = square_mask(32, 32, 8, 8, 16);
    mask->data[0][0] = 126;  // mid grey
    mask->data[0][1] = 5;    // below black: clamps
    MatteBuilder limited({}, true, 32, 32);
    const cv::Mat& a = limited.build(mask.get());
    EXPECT_EQ(a.at<std::uint8_t>(10, 10), 255);
    EXPECT_EQ(a.at<std::uint8_t>(2, 2), 0);
    EXPECT_EQ(a.at<std::uint8_t>(0, 0), 128);
    EXPECT_EQ(a.at<std::uint8_t>(0, 1), 0);
    MatteBuilder full({}, false, 32, 32);
    EXPECT_EQ(full.build(mask.get()).at<std::uint8_t>(10, 10), 235);
}

TEST(Matte, LimitedExpansionIsTheRoundedRealValueForEveryCode) {
    for (int v = 0; v < 256; ++v) {
        double real = std::clamp((v - 16) * 255.0 / 219.0, 0.0, 255.0);
        EXPECT_EQ(expand_limited(std::uint8_t(v)), int(std::floor(real + 0.5))) << v;
    }
}

TEST(Matte, FullRangeMaskIsUsedAsItStandsAndRefinementsNeverTouchIt) {
    FramePtr mask = square_mask(32, 32, 8, 8, 16);
    MatteBuilder plain({}, false, 32, 32);
    const cv::Mat& a = plain.build(mask.get());
    EXPECT_EQ(a.data, mask->data[0]);  // zero copy
    MatteBuilder choked({.choke = 2}, false, 32, 32);
    const cv::Mat& c = choked.build(mask.get());
    EXPECT_NE(c.data, mask->data[0]);
    EXPECT_EQ(mask->data[0][8 * mask->linesize[0] + 8], 235);  // the decoder's frame is untouched
    EXPECT_EQ(c.at<std::uint8_t>(8, 8), 16);
}

TEST(Matte, ScalesToTheAvatarSize) {
    FramePtr mask = square_mask(32, 32, 8, 8, 16);
    MatteBuilder m({}, true, 64, 64);
    const cv::Mat& a = m.build(mask.get());
    ASSERT_EQ(a.cols, 64);
    EXPECT_EQ(a.at<std::uint8_t>(32, 32), 255);
    EXPECT_EQ(a.at<std::uint8_t>(4, 4), 0);
}

TEST(Matte, ChokeErodesAndNegativeChokeDilates) {
    FramePtr mask = square_mask(64, 64, 16, 16, 32);
    MatteBuilder plain({}, true, 64, 64), choked({.choke = 3}, true, 64, 64), grown({.choke = -3}, true, 64, 64);
    int base = count_at_least(plain.build(mask.get()), 255);
    EXPECT_EQ(base, 32 * 32);
    EXPECT_EQ(count_at_least(choked.build(mask.get()), 255), 26 * 26);
    EXPECT_GT(count_at_least(grown.build(mask.get()), 255), base);
}

TEST(Matte, FeatherSoftensTheEdgeOnly) {
    FramePtr mask = square_mask(64, 64, 16, 16, 32);
    MatteBuilder feathered({.feather = 4}, true, 64, 64);
    const cv::Mat& a = feathered.build(mask.get());
    EXPECT_EQ(a.at<std::uint8_t>(32, 32), 255);
    EXPECT_EQ(a.at<std::uint8_t>(2, 2), 0);
    int edge = a.at<std::uint8_t>(32, 16);
    EXPECT_GT(edge, 64);
    EXPECT_LT(edge, 192);
}

TEST(Matte, RangeDecision) {
    EXPECT_TRUE(mask_is_limited(MaskRange::automatic, AVCOL_RANGE_UNSPECIFIED, AV_CODEC_ID_H264, AV_PIX_FMT_YUV420P));
    EXPECT_TRUE(mask_is_limited(MaskRange::automatic, AVCOL_RANGE_UNSPECIFIED, AV_CODEC_ID_HEVC, AV_PIX_FMT_YUV420P));
    EXPECT_FALSE(mask_is_limited(MaskRange::automatic, AVCOL_RANGE_JPEG, AV_CODEC_ID_H264, AV_PIX_FMT_YUV420P));
    EXPECT_FALSE(mask_is_limited(MaskRange::automatic, AVCOL_RANGE_UNSPECIFIED, AV_CODEC_ID_H264, AV_PIX_FMT_YUVJ420P));
    EXPECT_FALSE(mask_is_limited(MaskRange::automatic, AVCOL_RANGE_UNSPECIFIED, AV_CODEC_ID_PNG, AV_PIX_FMT_GRAY8));
    EXPECT_TRUE(mask_is_limited(MaskRange::limited, AVCOL_RANGE_JPEG, AV_CODEC_ID_PNG, AV_PIX_FMT_GRAY8));
    EXPECT_FALSE(mask_is_limited(MaskRange::full, AVCOL_RANGE_MPEG, AV_CODEC_ID_H264, AV_PIX_FMT_YUV420P));
    EXPECT_THROW(parse_mask_range("video"), avpost::Error);
}

TEST(Matte, RgbMaskWhiteIsOpaqueAndBlackTransparent) {
    FramePtr mask = make_video_frame(AV_PIX_FMT_RGB24, 16, 16);
    for (int y = 0; y < 16; ++y)
        for (int x = 0; x < 16; ++x)
            for (int c = 0; c < 3; ++c) mask->data[0][y * mask->linesize[0] + 3 * x + c] = x < 8 ? 255 : 0;
    MatteBuilder m({}, mask_is_limited(MaskRange::automatic, AVCOL_RANGE_UNSPECIFIED, AV_CODEC_ID_PNG, AV_PIX_FMT_RGB24),
                   16, 16);
    const cv::Mat& a = m.build(mask.get());
    EXPECT_EQ(a.at<std::uint8_t>(4, 2), 255);
    EXPECT_EQ(a.at<std::uint8_t>(4, 12), 0);
}

TEST(Matte, CompositorReadsALimitedMaskOfTheRightSizeAsCodesWithoutAPass) {
    FramePtr mask = square_mask(32, 32, 8, 8, 16);
    MatteBuilder limited({}, true, 32, 32);
    CompositeAlpha codes = limited.source(mask.get());
    EXPECT_TRUE(codes.limited_codes);
    EXPECT_EQ(codes.plane.data, mask->data[0]);  // the decoded frame itself
    // Anything needing work first is built: another size, choke or feather, full range.
    MatteBuilder scaled({}, true, 16, 16);
    CompositeAlpha built = scaled.source(mask.get());
    EXPECT_FALSE(built.limited_codes);
    EXPECT_EQ(built.plane.cols, 16);
    EXPECT_EQ(built.plane.at<std::uint8_t>(8, 8), 255);
    MatteParams choked;
    choked.choke = 1;
    EXPECT_FALSE(MatteBuilder(choked, true, 32, 32).source(mask.get()).limited_codes);
    EXPECT_FALSE(MatteBuilder({}, false, 32, 32).source(mask.get()).limited_codes);
}
