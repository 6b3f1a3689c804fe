// Backdrop removal: the backdrop is subtracted in proportion to transparency, luma and chroma.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "avpost/core/error.hpp"
#include "avpost/filters/backdrop.hpp"

using namespace avpost::filters;
using avpost::media::FramePtr;
using avpost::media::make_video_frame;

namespace {

void fill(AVFrame* f, int plane, int x0, int x1, int y0, int y1, std::uint8_t value) {
    for (int y = y0; y < y1; ++y) std::memset(f->data[plane] + y * f->linesize[plane] + x0, value, std::size_t(x1 - x0));
}

}  // namespace

TEST(Backdrop, MixedEdgePixelsGetTheAvatarsOwnColourBackAndOpaqueGreenStays) {
    // A light grey avatar (Y 200) rendered on green: the left 16 columns are half avatar, half
    // backdrop; the right half is opaque and legitimately green.
    const Yuv8 green = rgb_to_yuv({0, 177, 64}, AVCOL_SPC_BT709, AVCOL_RANGE_MPEG);
    FramePtr avatar = make_video_frame(AV_PIX_FMT_YUV420P, 64, 32);
    const int mixed_y = int(std::lround(0.5 * 200 + 0.5 * green.y));
    const int mixed_u = int(std::lround(0.5 * 128 + 0.5 * green.u)), mixed_v = int(std::lround(0.5 * 128 + 0.5 * green.v));
    fill(avatar.get(), 0, 0, 16, 0, 32, std::uint8_t(mixed_y));
    fill(avatar.get(), 1, 0, 8, 0, 16, std::uint8_t(mixed_u));
    fill(avatar.get(), 2, 0, 8, 0, 16, std::uint8_t(mixed_v));
    fill(avatar.get(), 0, 16, 64, 0, 32, 120);
    fill(avatar.get(), 1, 8, 32, 0, 16, green.u);
    fill(avatar.get(), 2, 8, 32, 0, 16, green.v);
    cv::Mat alpha(32, 64, CV_8U, cv::Scalar(255));
    alpha(cv::Rect(0, 0, 16, 32)).setTo(128);

    Despill despill({0, 177, 64}, AVCOL_SPC_BT709, AVCOL_RANGE_MPEG);
    const AVFrame* out = despill.apply(avatar.get(), alpha);
    // The mixed edge: the avatar's grey again (luma too: no dark ring), within rounding.
    EXPECT_NEAR(out->data[0][5 * out->linesize[0] + 3], 200, 2);
    EXPECT_NEAR(out->data[1][5 * out->linesize[1] + 3], 128, 2);
    EXPECT_NEAR(out->data[2][5 * out->linesize[2] + 3], 128, 2);
    // Opaque green content is kept exactly; the input frame is untouched.
    EXPECT_EQ(out->data[0][5 * out->linesize[0] + 40], 120);
    EXPECT_EQ(out->data[1][5 * out->linesize[1] + 20], green.u);
    EXPECT_EQ(out->data[2][5 * out->linesize[2] + 20], green.v);
    EXPECT_EQ(avatar->data[0][5 * avatar->linesize[0] + 3], mixed_y);
}

TEST(Backdrop, OddSizesAndAVaryingPlate) {
    // 7x5 (odd both ways) with a plate whose colour differs per chroma sample.
    FramePtr frame = make_video_frame(AV_PIX_FMT_YUV420P, 7, 5);
    fill(frame.get(), 0, 0, 7, 0, 5, 100);
    fill(frame.get(), 1, 0, 4, 0, 3, 100);
    fill(frame.get(), 2, 0, 4, 0, 3, 150);
    cv::Mat y(3, 4, CV_32F, cv::Scalar(60)), u(3, 4, CV_32F, cv::Scalar(72)), v(3, 4, CV_32F, cv::Scalar(172));
    y.at<float>(2, 3) = 80;  // the bottom-right sample's backdrop is brighter
    BackdropPlate plate = BackdropPlate::varying(y, u, v, {60, 72, 172});
    cv::Mat alpha(5, 7, CV_8U, cv::Scalar(51));  // alpha 0.2 everywhere
    FramePtr out;
    remove_backdrop(frame.get(), alpha, plate, out);
    // (100 - 0.8 * 60) / 0.2 = 260 -> clamped to 235; (100 - 0.8 * 80) / 0.2 = 180.
    EXPECT_EQ(out->data[0][0], 235);
    EXPECT_EQ(out->data[0][4 * out->linesize[0] + 6], 180);
    // Chroma: (100 - 0.8 * 72) / 0.2 = 212; (150 - 0.8 * 172) / 0.2 = 62.
    EXPECT_NEAR(out->data[1][2 * out->linesize[1] + 3], 212, 1);
    EXPECT_NEAR(out->data[2][2 * out->linesize[2] + 3], 62, 1);
    cv::Mat wrong(4, 7, CV_8U, cv::Scalar(0));
    EXPECT_THROW(remove_backdrop(frame.get(), wrong, plate, out), avpost::Error);
}
