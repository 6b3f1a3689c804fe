#include "avpost/filters/decode_plan.hpp"

#include <gtest/gtest.h>

using namespace avpost::filters;

TEST(DecodePlan, LibavcodecDefaultsUpToQuadHd) {
    for (Size size : {Size{1920, 1080}, Size{2560, 1440}, Size{1080, 1920}}) {
        DecodePlan plan = plan_decoding(size, 2);
        EXPECT_EQ(plan.avatar_threads, 0);
        EXPECT_EQ(plan.mask_threads, 0);
        EXPECT_EQ(plan.prefetch_depth, 2u);
    }
}

TEST(DecodePlan, FourKBoundsThreadsAndQueuedFrames) {
    DecodePlan two = plan_decoding({3840, 2160}, 2);
    EXPECT_EQ(two.avatar_threads, 2);
    EXPECT_EQ(two.mask_threads, 1);  // single-threaded: the matte may then decode luma only
    EXPECT_EQ(two.prefetch_depth, 1u);
    DecodePlan portrait = plan_decoding({2160, 3840}, 2);
    EXPECT_EQ(portrait.avatar_threads, 2);
    DecodePlan many = plan_decoding({3840, 2160}, 32);
    EXPECT_EQ(many.avatar_threads, 8);
    EXPECT_EQ(many.mask_threads, 4);
    DecodePlan one = plan_decoding({3840, 2160}, 1);
    EXPECT_EQ(one.avatar_threads, 1);
    EXPECT_EQ(one.mask_threads, 1);
}
