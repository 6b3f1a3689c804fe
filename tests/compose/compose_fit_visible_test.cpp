// --fit-to visible: placement by the matte's bounding box over the clip. A render whose visible
// part sits right of centre, anchored bottom-right, has that part in the canvas's corner.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "media_helpers.hpp"

using namespace avpost::testing;

namespace {

// A green avatar and a matte visible only in 400..559 x 60..299 of 640x360 (lossless, limited range).
struct OffCentre {
    TempDir dir;
    OffCentre() {
        run_ffmpeg("-f lavfi -i color=c=0x00ff00:s=640x360:d=1:r=25 -pix_fmt yuv420p -c:v libx264 -qp 0 " +
                   quote(dir.file("avatar.mp4")));
        run_ffmpeg("-f lavfi -i color=c=black:s=640x360:d=1:r=25,drawbox=x=400:y=60:w=160:h=240:color=white:t=fill "
                   "-pix_fmt yuv420p -c:v libx264 -qp 0 " + quote(dir.file("mask.mp4")));
    }
    CommandResult compose(const std::string& extra, const std::string& out) {
        return run_avpost("--json compose --video " + quote(dir.file("avatar.mp4")) + " --mask " + quote(dir.file("mask.mp4")) +
                          " --background magenta --canvas 1280x720 --anchor bottom-right --size -1x480 --vcodec ffv1 -o " +
                          quote(dir.file(out)) + " " + extra);
    }
};

bool green(const YuvFrame& f, int x, int y) { return f.V(x / 2, y / 2) < 100; }  // magenta's V is high

}  // namespace

TEST(ComposeFitVisible, TheVisiblePartIsAnchoredNotTheFrame) {
    OffCentre media;
    CommandResult r = media.compose("--fit-to visible", "visible.mkv");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto report = nlohmann::json::parse(r.out);
    EXPECT_EQ(report["visible_box"], nlohmann::json({400, 60, 160, 240}));
    EXPECT_EQ(report["avatar_size"], "1280x720");
    EXPECT_EQ(report["avatar_position"], nlohmann::json({160, 120}));
    auto frames = decode_video(media.dir.file("visible.mkv"), 1);
    ASSERT_EQ(frames.size(), 1u);
    // The box, scaled to 320x480, fills the bottom-right corner: (960..1279, 240..719).
    EXPECT_TRUE(green(frames[0], 1276, 716));
    EXPECT_TRUE(green(frames[0], 964, 244));
    EXPECT_FALSE(green(frames[0], 950, 700));
    EXPECT_FALSE(green(frames[0], 1270, 230));

    // By the frame (the default) the transparent margin sits in the corner instead.
    CommandResult framed = media.compose("", "frame.mkv");
    ASSERT_EQ(framed.exit_code, 0) << framed.err;
    EXPECT_TRUE(nlohmann::json::parse(framed.out)["visible_box"].is_null());
    EXPECT_FALSE(green(decode_video(media.dir.file("frame.mkv"), 1)[0], 1276, 716));
}

// An avatar that carries its own alpha as VP9 in WebM: the alpha is beside the picture in the
// stream and only decoded frames (yuva420p) show it. Reported as exit 3 "cannot read the matte
// of pixel format yuv420p".
TEST(ComposeFitVisible, AVp9AvatarWithAlphaIsPlacedByItsOwnAlpha) {
    OffCentre media;
    CommandResult alone = run_avpost("--quiet compose --video " + quote(media.dir.file("avatar.mp4")) + " --mask " +
                                     quote(media.dir.file("mask.mp4")) + " --background transparent -o " +
                                     quote(media.dir.file("alone.webm")));
    ASSERT_EQ(alone.exit_code, 0) << alone.err;
    CommandResult r = run_avpost("--json compose --video " + quote(media.dir.file("alone.webm")) +
                                 " --background magenta --canvas 1280x720 --anchor bottom-right --size -1x480 --fit-to "
                                 "visible --vcodec ffv1 -o " + quote(media.dir.file("visible.mkv")));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto report = nlohmann::json::parse(r.out);
    // VP9's lossy alpha may spill a pixel or two past the drawn box.
    const auto box = report["visible_box"];
    ASSERT_TRUE(box.is_array()) << r.out;
    EXPECT_NEAR(box[0].get<int>(), 400, 2);
    EXPECT_NEAR(box[1].get<int>(), 60, 2);
    EXPECT_NEAR(box[2].get<int>(), 160, 4);
    EXPECT_NEAR(box[3].get<int>(), 240, 4);
    auto frames = decode_video(media.dir.file("visible.mkv"), 1);
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_TRUE(green(frames[0], 1270, 710));
    EXPECT_FALSE(green(frames[0], 940, 700));
}

TEST(ComposeFitVisible, NeedsAMatteAndABadValueIsAUsageError) {
    OffCentre media;
    EXPECT_EQ(media.compose("--fit-to person", "x.mkv").exit_code, 2);
    CommandResult keyed = run_avpost("compose --video " + quote(media.dir.file("avatar.mp4")) +
                                     " --key auto --background magenta --fit-to visible -o " + quote(media.dir.file("k.mp4")));
    EXPECT_EQ(keyed.exit_code, 2) << keyed.err;
    EXPECT_NE(keyed.err.find("--fit-to visible needs a mask"), std::string::npos) << keyed.err;
}
