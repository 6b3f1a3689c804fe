#include "avpost/filters/composite.hpp"
#include "avpost/core/error.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <random>

#include "avpost/media/handles.hpp"

using namespace avpost::filters;
using avpost::media::FramePtr;
using avpost::media::make_video_frame;

namespace {

FramePtr random_frame(int w, int h, std::mt19937& rng) {
    FramePtr f = make_video_frame(AV_PIX_FMT_YUV420P, w, h);
    std::uniform_int_distribution<int> luma(16, 235), chroma(16, 240);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) f->data[0][y * f->linesize[0] + x] = std::uint8_t(luma(rng));
    for (int y = 0; y < (h + 1) / 2; ++y)
        for (int x = 0; x < (w + 1) / 2; ++x) {
            f->data[1][y * f->linesize[1] + x] = std::uint8_t(chroma(rng));
            f->data[2][y * f->linesize[2] + x] = std::uint8_t(chroma(rng));
        }
    return f;
}

cv::Mat random_alpha(int w, int h, std::mt19937& rng) {
    cv::Mat a(h, w, CV_8U);
    std::uniform_int_distribution<int> pick(0, 3);
    std::uniform_int_distribution<int> any(0, 255);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            int k = pick(rng);
            a.at<std::uint8_t>(y, x) = std::uint8_t(k == 0 ? 0 : k == 1 ? 255 : any(rng));
        }
    return a;
}

// Float reference: each canvas sample is the mean over the luma pixels it covers of
// a*fg + (1-a)*bg, pixels outside the avatar having a = 0.
void expect_matches_reference(const AVFrame* bg, const AVFrame* out, const AVFrame* fg, const cv::Mat& alpha, Point pos) {
    int W = bg->width, H = bg->height, max_diff = 0;
    auto alpha_at = [&](int x, int y) -> double {
        int ax = x - pos.x, ay = y - pos.y;
        if (ax < 0 || ay < 0 || ax >= fg->width || ay >= fg->height) return 0.0;
        return alpha.at<std::uint8_t>(ay, ax) / 255.0;
    };
    auto fg_sample = [&](int plane, int x, int y) -> double {
        int ax = x - pos.x, ay = y - pos.y;
        if (ax < 0 || ay < 0 || ax >= fg->width || ay >= fg->height) return 0.0;
        if (plane == 0) return fg->data[0][ay * fg->linesize[0] + ax];
        return fg->data[plane][(ay / 2) * fg->linesize[plane] + ax / 2];
    };
    for (int y = 0; y < H; ++y)
        for (int x = 0; x < W; ++x) {
            double a = alpha_at(x, y), b = bg->data[0][y * bg->linesize[0] + x];
            double expected = a * fg_sample(0, x, y) + (1 - a) * b;
            int got = out->data[0][y * out->linesize[0] + x];
            max_diff = std::max(max_diff, int(std::ceil(std::abs(got - expected) - 0.5)));
        }
    EXPECT_LE(max_diff, 0) << "luma at " << pos.x << "," << pos.y;
    max_diff = 0;
    for (int plane = 1; plane <= 2; ++plane)
        for (int cy = 0; cy < (H + 1) / 2; ++cy)
            for (int cx = 0; cx < (W + 1) / 2; ++cx) {
                double b = bg->data[plane][cy * bg->linesize[plane] + cx], sum = 0;
                int n = 0;
                for (int y = 2 * cy; y < std::min(2 * cy + 2, H); ++y)
                    for (int x = 2 * cx; x < std::min(2 * cx + 2, W); ++x, ++n) {
                        double a = alpha_at(x, y);
                        sum += a * fg_sample(plane, x, y) + (1 - a) * b;
                    }
                double expected = sum / n;
                int got = out->data[plane][cy * out->linesize[plane] + cx];
                max_diff = std::max(max_diff, int(std::ceil(std::abs(got - expected) - 0.5)));
            }
    // Aligned positions round the 2x2 mean alpha once more than the reference.
    EXPECT_LE(max_diff, 1) << "chroma at " << pos.x << "," << pos.y;
}

}  // namespace

TEST(Compositor, OpaqueShowsAvatarAndTransparentShowsBackgroundExactly) {
    std::mt19937 rng(1);
    FramePtr bg = random_frame(64, 48, rng), fg = random_frame(32, 16, rng), out = make_video_frame(AV_PIX_FMT_YUV420P, 64, 48);
    cv::Mat alpha(16, 32, CV_8U, cv::Scalar(255));
    alpha(cv::Rect(16, 0, 16, 16)).setTo(0);
    Compositor c;
    c.over(bg.get(), out.get(), fg.get(), alpha, {8, 4}, true);
    for (int y = 0; y < 16; ++y)
        for (int x = 0; x < 32; ++x) {
            int got = out->data[0][(y + 4) * out->linesize[0] + x + 8];
            int want = x < 16 ? fg->data[0][y * fg->linesize[0] + x] : bg->data[0][(y + 4) * bg->linesize[0] + x + 8];
            ASSERT_EQ(got, want) << x << "," << y;
        }
    for (int cy = 0; cy < 8; ++cy)
        for (int cx = 0; cx < 16; ++cx) {
            int got = out->data[1][(cy + 2) * out->linesize[1] + cx + 4];
            int want = cx < 8 ? fg->data[1][cy * fg->linesize[1] + cx] : bg->data[1][(cy + 2) * bg->linesize[1] + cx + 4];
            ASSERT_EQ(got, want) << cx << "," << cy;
        }
}

TEST(Compositor, MatchesFloatReferenceAtAnyPositionAndSize) {
    std::mt19937 rng(7);
    const Size canvases[] = {{64, 48}, {63, 47}};
    const Size avatars[] = {{20, 14}, {21, 15}, {80, 60}};
    const Point positions[] = {{0, 0}, {2, 4}, {1, 1}, {3, 2}, {-5, -3}, {-4, -6}, {50, 40}, {61, 45}, {200, 0}};
    for (Size canvas : canvases)
        for (Size avatar : avatars)
            for (Point pos : positions) {
                FramePtr bg = random_frame(canvas.width, canvas.height, rng);
                FramePtr fg = random_frame(avatar.width, avatar.height, rng);
                FramePtr out = make_video_frame(AV_PIX_FMT_YUV420P, canvas.width, canvas.height);
                cv::Mat alpha = random_alpha(avatar.width, avatar.height, rng);
                Compositor c;
                c.over(bg.get(), out.get(), fg.get(), alpha, pos, true);
                SCOPED_TRACE(std::to_string(canvas.width) + "x" + std::to_string(canvas.height) + " avatar " +
                             std::to_string(avatar.width) + "x" + std::to_string(avatar.height));
                expect_matches_reference(bg.get(), out.get(), fg.get(), alpha, pos);
            }
}

TEST(Compositor, StaticBackgroundModeLeavesTheRestOfTheCanvasAlone) {
    std::mt19937 rng(3);
    FramePtr bg = random_frame(64, 48, rng), fg = random_frame(16, 16, rng);
    FramePtr out = make_video_frame(AV_PIX_FMT_YUV420P, 64, 48);
    for (int p = 0; p < 3; ++p)
        for (int y = 0; y < (p ? 24 : 48); ++y) std::memset(out->data[p] + y * out->linesize[p], 7, p ? 32 : 64);
    cv::Mat alpha(16, 16, CV_8U, cv::Scalar(255));
    Compositor c;
    c.over(bg.get(), out.get(), fg.get(), alpha, {10, 10}, false);
    EXPECT_EQ(out->data[0][0], 7);
    EXPECT_EQ(out->data[0][47 * out->linesize[0] + 63], 7);
    EXPECT_EQ(out->data[1][0], 7);
    EXPECT_EQ(out->data[0][12 * out->linesize[0] + 12], fg->data[0][2 * fg->linesize[0] + 2]);
}

TEST(Compositor, RejectsMismatchedMatte) {
    std::mt19937 rng(5);
    FramePtr bg = random_frame(32, 32, rng), fg = random_frame(16, 16, rng);
    FramePtr out = make_video_frame(AV_PIX_FMT_YUV420P, 32, 32);
    cv::Mat alpha(8, 8, CV_8U, cv::Scalar(255));
    Compositor c;
    EXPECT_THROW(c.over(bg.get(), out.get(), fg.get(), alpha, {0, 0}, true), avpost::Error);
}
