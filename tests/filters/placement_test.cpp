#include "avpost/filters/placement.hpp"

#include <gtest/gtest.h>

#include "avpost/core/error.hpp"

using namespace avpost::filters;

TEST(Placement, ContainCentresInsideCanvas) {
    Placement p = place_avatar({.canvas = {1920, 1080}, .avatar = {1080, 1920}});
    EXPECT_EQ(p.size, (Size{608, 1080}));
    EXPECT_EQ(p.position, (Point{656, 0}));
}

TEST(Placement, CoverFillsCanvasAndOverflows) {
    Placement p = place_avatar({.canvas = {1920, 1080}, .avatar = {1080, 1080}, .fit = Fit::cover});
    EXPECT_EQ(p.size, (Size{1920, 1920}));
    EXPECT_EQ(p.position, (Point{0, -420}));
}

TEST(Placement, FillStretchesAndNoneKeepsNativeSize) {
    EXPECT_EQ(place_avatar({.canvas = {640, 360}, .avatar = {100, 100}, .fit = Fit::fill}).size, (Size{640, 360}));
    Placement none = place_avatar({.canvas = {640, 360}, .avatar = {101, 99}, .fit = Fit::none,
                                   .anchor = Anchor::bottom_right});
    EXPECT_EQ(none.size, (Size{101, 99}));
    EXPECT_EQ(none.position, (Point{539, 261}));
}

TEST(Placement, AnchorsPlaceTheBoxOnEachSide) {
    PlacementRequest r{.canvas = {100, 50}, .avatar = {10, 10}, .fit = Fit::none};
    auto at = [&](Anchor a) {
        r.anchor = a;
        return place_avatar(r).position;
    };
    EXPECT_EQ(at(Anchor::top_left), (Point{0, 0}));
    EXPECT_EQ(at(Anchor::top), (Point{45, 0}));
    EXPECT_EQ(at(Anchor::bottom), (Point{45, 40}));
    EXPECT_EQ(at(Anchor::left), (Point{0, 20}));
    EXPECT_EQ(at(Anchor::right), (Point{90, 20}));
    EXPECT_EQ(at(Anchor::bottom_left), (Point{0, 40}));
    EXPECT_EQ(at(Anchor::top_right), (Point{90, 0}));
}

TEST(Placement, ExplicitSizeAndPositionWin) {
    Placement p = place_avatar({.canvas = {1920, 1080}, .avatar = {1280, 720}, .fit = Fit::cover,
                                .size = Size{641, -1}, .position = Point{-3, 7}});
    EXPECT_EQ(p.size, (Size{641, 361}));
    EXPECT_EQ(p.position, (Point{-3, 7}));
}

TEST(Placement, RejectsEmptyCanvasAndBadText) {
    EXPECT_THROW(place_avatar({.canvas = {0, 1080}, .avatar = {10, 10}}), avpost::Error);
    EXPECT_THROW(parse_size("0x100", false), avpost::Error);
    EXPECT_THROW(parse_size("100", false), avpost::Error);
    EXPECT_THROW(parse_size("-1x100", false), avpost::Error);
    EXPECT_EQ(parse_size("-1x100", true), (Size{-1, 100}));
    EXPECT_THROW(parse_point("3;4"), avpost::Error);
    EXPECT_EQ(parse_point("-3,4"), (Point{-3, 4}));
    EXPECT_THROW(parse_fit("stretch"), avpost::Error);
    EXPECT_EQ(parse_anchor("bottom-left"), Anchor::bottom_left);
    EXPECT_THROW(parse_anchor("middle"), avpost::Error);
}
