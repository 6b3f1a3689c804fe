#include "avpost/filters/composite.hpp"
#include "avpost/core/error.hpp"
#include "avpost/filters/matte.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
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

// A vendor matte's limited-range codes, read by the compositor itself, give exactly what the
// alpha they expand to gives, at every position (fast and general cells, in place or not).
TEST(Compositor, LimitedMatteCodesCompositeExactlyAsTheirExpandedAlpha) {
    std::mt19937 rng(11);
    std::uniform_int_distribution<int> any_code(0, 255);  // out-of-range codes too: they clamp
    const Point positions[] = {{0, 0}, {2, 4}, {1, 1}, {3, 2}, {-5, -3}, {-4, -6}, {50, 40}, {61, 45}};
    for (Point pos : positions)
        for (bool in_place : {false, true}) {
            FramePtr bg = random_frame(63, 47, rng), fg = random_frame(33, 29, rng);
            cv::Mat codes(29, 33, CV_8U), alpha(29, 33, CV_8U);
            for (int y = 0; y < codes.rows; ++y)
                for (int x = 0; x < codes.cols; ++x) {
                    codes.at<std::uint8_t>(y, x) = std::uint8_t(any_code(rng));
                    alpha.at<std::uint8_t>(y, x) = expand_limited(codes.at<std::uint8_t>(y, x));
                }
            FramePtr from_alpha = make_video_frame(AV_PIX_FMT_YUV420P, 63, 47);
            FramePtr from_codes = make_video_frame(AV_PIX_FMT_YUV420P, 63, 47);
            av_frame_copy(from_alpha.get(), bg.get());
            av_frame_copy(from_codes.get(), bg.get());
            Compositor c;
            c.over(in_place ? from_alpha.get() : bg.get(), from_alpha.get(), fg.get(), alpha, pos, !in_place);
            c.over(in_place ? from_codes.get() : bg.get(), from_codes.get(), fg.get(), CompositeAlpha{codes, true}, pos,
                   !in_place);
            for (int p = 0; p < 3; ++p)
                for (int y = 0; y < (p ? 24 : 47); ++y)
                    ASSERT_EQ(0, std::memcmp(from_alpha->data[p] + y * from_alpha->linesize[p],
                                             from_codes->data[p] + y * from_codes->linesize[p], p ? 32 : 63))
                        << "plane " << p << " row " << y << " at " << pos.x << "," << pos.y;
            expect_matches_reference(bg.get(), from_codes.get(), fg.get(), alpha, pos);
        }
}

// Real mattes are mostly fully transparent or fully opaque, with soft edges between (the runs
// the compositor copies instead of blending): a disc with a soft rim, in alpha and as codes.
TEST(Compositor, MatchesFloatReferenceWithLargeOpaqueAndTransparentAreas) {
    std::mt19937 rng(13);
    const int w = 301, h = 203;
    cv::Mat alpha(h, w, CV_8U), codes(h, w, CV_8U);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            const double r = std::hypot(x - 150.0, y - 101.0);
            const int a = int(std::lround(std::clamp((90.0 - r) / 6.0, 0.0, 1.0) * 255));
            alpha.at<std::uint8_t>(y, x) = std::uint8_t(a);
        }
    // Codes whose expansion is exactly `alpha` where one exists, out-of-range codes in the flats.
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            const int a = alpha.at<std::uint8_t>(y, x);
            int code = a == 0 ? 5 : a == 255 ? 250 : 16 + int(std::lround(a * 219.0 / 255));
            codes.at<std::uint8_t>(y, x) = std::uint8_t(code);
            alpha.at<std::uint8_t>(y, x) = expand_limited(std::uint8_t(code));
        }
    const Point positions[] = {{0, 0}, {2, 4}, {1, 1}, {-33, -7}, {100, 61}, {-65, 20}};
    for (Point pos : positions)
        for (bool as_codes : {false, true}) {
            FramePtr bg = random_frame(320, 240, rng), fg = random_frame(w, h, rng);
            FramePtr out = make_video_frame(AV_PIX_FMT_YUV420P, 320, 240);
            Compositor c;
            c.over(bg.get(), out.get(), fg.get(), CompositeAlpha{as_codes ? codes : alpha, as_codes}, pos, true);
            SCOPED_TRACE(as_codes ? "codes" : "alpha");
            expect_matches_reference(bg.get(), out.get(), fg.get(), alpha, pos);
        }
}
