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

// --fit-to visible: fit, size, anchor and position place the visible box; the frame follows.
TEST(Placement, AVisibleBoxIsPlacedAndTheFrameFollowsAtItsScale) {
    const Box person{400, 60, 160, 240};  // right of centre in a 640x360 render
    Placement corner = place_avatar({.canvas = {1280, 720}, .avatar = {640, 360}, .anchor = Anchor::bottom_right,
                                     .size = Size{-1, 480}, .visible = person});
    EXPECT_EQ(corner.size, (Size{1280, 720}));   // the box 160x240 became 320x480: scale 2
    EXPECT_EQ(corner.position, (Point{160, 120}));  // box at (960, 240): its corner is the canvas's
    Placement contained = place_avatar({.canvas = {1280, 720}, .avatar = {640, 360}, .visible = person});
    EXPECT_EQ(contained.size, (Size{1920, 1080}));  // the box fills the canvas's height
    EXPECT_EQ(contained.position, (Point{1280 / 2 - 240 - 1200, -180}));
    Placement at = place_avatar({.canvas = {1280, 720}, .avatar = {640, 360}, .fit = Fit::none,
                                 .position = Point{10, 20}, .visible = person});
    EXPECT_EQ(at.position, (Point{10 - 400, 20 - 60}));  // the position is the box's top-left
    EXPECT_THROW(place_avatar({.canvas = {64, 64}, .avatar = {640, 360}, .visible = Box{0, 0, 0, 10}}), avpost::Error);
}
