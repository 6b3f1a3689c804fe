// Text layers (issue 22 item 2): shaped by libass (HarfBuzz, fontconfig fallback), placed at
// their anchor inside the safe area, drawn on an optional box, timed like any layer. The box and
// its fade against a float reference; the ink where the anchor puts it; scripts other than Latin
// drawn; a character no font has, or a font that is not installed, refused by name.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <fstream>

#include <nlohmann/json.hpp>

#include "media_helpers.hpp"

using namespace avpost::testing;
using nlohmann::json;

namespace {

// A grey backdrop, the avatar small in the top-right corner, and `text` above it.
json scene_with(const json& text) {
    return {{"canvas", "640x360"},
            {"layers", json::array({{{"type", "colour"}, {"source", "#C0C0C0"}},
                                    {{"type", "avatar"}, {"offset", {540, 4}}, {"scale", {0.15, 0.15}}},
                                    text})}};
}

CommandResult compose(const TempDir& dir, const json& scene, const std::string& out, const std::string& extra = "") {
    std::ofstream(dir.file("scene.json")) << scene.dump(2);
    return run_avpost("--quiet compose --video " + quote(media("avatar.mp4")) + " --mask " +
                      quote(media("avatar_mask.mp4")) + " --scene " + quote(dir.file("scene.json")) +
                      " --vcodec ffv1 -o " + quote(dir.file(out)) + " " + extra);
}

// BT.601 limited-range luma of an sRGB colour (the canvas is SD).
double luma(int r, int g, int b) { return 16 + 219.0 * (0.299 * r + 0.587 * g + 0.114 * b) / 255.0; }

struct Box {
    int x0 = 1 << 30, y0 = 1 << 30, x1 = -1, y1 = -1;  // inclusive
    bool empty() const { return x1 < 0; }
};

// Where the frame differs from the backdrop (left of the avatar's corner).
Box changed_region(const YuvFrame& f, double backdrop_y, int threshold) {
    Box box;
    for (int y = 0; y < f.height; ++y)
        for (int x = 0; x < 520; ++x)
            if (std::abs(f.Y(x, y) - backdrop_y) > threshold) {
                box.x0 = std::min(box.x0, x), box.x1 = std::max(box.x1, x);
                box.y0 = std::min(box.y0, y), box.y1 = std::max(box.y1, y);
            }
    return box;
}

}  // namespace

TEST(ComposeTextLayers, TheInkSitsAtItsAnchorInsideTheSafeArea) {
    TempDir dir;
    const double grey = luma(0xC0, 0xC0, 0xC0);
    for (const auto& [anchor, expect_left, expect_bottom] :
         {std::tuple{"bottom-left", true, true}, std::tuple{"top-left", true, false}}) {
        SCOPED_TRACE(anchor);
        CommandResult r = compose(dir, scene_with({{"type", "text"}, {"text", "HELLO"}, {"size", 40}, {"colour", "black"},
                                                   {"anchor", anchor}}),
                                  "anchored.mkv");
        ASSERT_EQ(r.exit_code, 0) << r.err;
        const auto frames = decode_video(dir.file("anchored.mkv"), 1);
        ASSERT_EQ(frames.size(), 1u);
        const Box ink = changed_region(frames[0], grey, 40);
        ASSERT_FALSE(ink.empty());
        // The safe area: 5% of 640 = 32 from the left, 5% of 360 = 18 from the top and bottom.
        if (expect_left) EXPECT_NEAR(ink.x0, 32, 2);
        if (expect_bottom) EXPECT_NEAR(ink.y1, 360 - 18 - 1, 2);
        else EXPECT_NEAR(ink.y0, 18, 2);
        // Five capitals at 40 px: wider than tall, and nowhere near the right edge.
        EXPECT_GT(ink.x1 - ink.x0, ink.y1 - ink.y0);
        EXPECT_LT(ink.x1, 400);
    }
}

TEST(ComposeTextLayers, ABoxAndItsFadeMatchAFloatReference) {
    TempDir dir;
    // A half-transparent blue box with 20 px of padding, fading in over the first 0.4 s.
    CommandResult r = compose(dir, scene_with({{"type", "text"}, {"text", "Box"}, {"size", 36}, {"box", "#2040C080"},
                                               {"padding", 20}, {"anchor", "center"}, {"fade_in", 0.4}}),
                              "box.mkv");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto frames = decode_video(dir.file("box.mkv"));
    ASSERT_EQ(frames.size(), 50u);
    const double grey = luma(0xC0, 0xC0, 0xC0), blue = luma(0x20, 0x40, 0xC0);
    const Box box = changed_region(frames[20], grey, 3);  // fully faded in
    ASSERT_FALSE(box.empty());
    // Centred in the safe area, the whole box (ink and padding).
    EXPECT_NEAR((box.x0 + box.x1) / 2.0, 320, 2);
    EXPECT_NEAR((box.y0 + box.y1) / 2.0, 180, 2);
    for (std::size_t i = 0; i < frames.size(); ++i) {
        const double t = double(i) / 25;
        const double opacity = std::min(1.0, t / 0.4);
        const double alpha = std::round(128 * opacity) / 255;  // the box's alpha, faded
        const double expected = grey * (1 - alpha) + blue * alpha;
        int worst = 0;
        // The padding above the ink: box only.
        for (int y = box.y0 + 2; y < box.y0 + 16; ++y)
            for (int x = box.x0 + 2; x < box.x1 - 2; ++x)
                worst = std::max(worst, int(std::lround(std::abs(frames[i].Y(x, y) - expected))));
        EXPECT_LE(worst, 2) << "frame " << i;
    }
}

TEST(ComposeTextLayers, OtherScriptsDrawAndACharacterNoFontHasIsNamed) {
    TempDir dir;
    const double grey = luma(0xC0, 0xC0, 0xC0);
    for (const char* text : {"日本語のテキスト", "שלום עולם", "مرحبا بالعالم", "Ünïcödé café"}) {
        SCOPED_TRACE(text);
        CommandResult r = compose(dir, scene_with({{"type", "text"}, {"text", text}, {"size", 40}, {"colour", "black"},
                                                   {"anchor", "center"}}),
                                  "script.mkv");
        ASSERT_EQ(r.exit_code, 0) << r.err;
        const Box ink = changed_region(decode_video(dir.file("script.mkv"), 1)[0], grey, 40);
        ASSERT_FALSE(ink.empty());
        EXPECT_GT(ink.x1 - ink.x0, 60);
    }
    // U+0378 is unassigned: no font has it. Refused before anything is decoded, by name.
    CommandResult r = compose(dir, scene_with({{"type", "text"}, {"text", "ok \xCD\xB8 here"}, {"anchor", "center"}}),
                              "missing.mkv");
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find("layer 2 (text): no installed font has '\xCD\xB8'"), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_FALSE(std::filesystem::exists(dir.file("missing.mkv")));
}

TEST(ComposeTextLayers, AFontThatIsNotThereIsAUsageError) {
    TempDir dir;
    struct Bad {
        json layer;
        std::string message;
    } bad[] = {
        {{{"type", "text"}, {"text", "Hi"}, {"font", "No Such Family 42"}}, "font 'No Such Family 42' is not installed"},
        {{{"type", "text"}, {"text", "Hi"}, {"font", "/nonexistent/brand.ttf"}}, "font file '/nonexistent/brand.ttf' does not exist"},
        {{{"type", "text"}, {"text", ""}}, "layers[2].text: must not be empty"},
        {{{"type", "text"}, {"text", "Hi"}, {"box", "#12345"}}, "layers[2].box:"},
        {{{"type", "text"}, {"text", "Hi"}, {"anchor", "bottom"}, {"position", {1, 2}}}, "give an anchor or a position"},
        {{{"type", "text"}, {"text", "Hi"}, {"source", "x.png"}}, "layers[2].source: unknown key for a text layer"},
    };
    for (const Bad& b : bad) {
        CommandResult r = compose(dir, scene_with(b.layer), "out.mkv");
        EXPECT_EQ(r.exit_code, 2) << b.layer.dump() << ": " << r.err;
        EXPECT_NE(r.err.find(b.message), std::string::npos) << r.err;
        EXPECT_FALSE(std::filesystem::exists(dir.file("out.mkv")));
    }
    // A font file that exists is used (DejaVu, which every machine here has).
    CommandResult ok = compose(dir, scene_with({{"type", "text"}, {"text", "Hi"},
                                                {"font", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"},
                                                {"anchor", "top"}}),
                               "file-font.mkv");
    EXPECT_EQ(ok.exit_code, 0) << ok.err;
}

TEST(ComposeTextLayers, ALowerThirdPutsNameAndTitleOnABoxAtTheBottomLeft) {
    TempDir dir;
    CommandResult r = compose(dir, scene_with({{"type", "text"}, {"style", "lower-third"}, {"name", "Ana Lima"},
                                               {"title", "Head of Sales"}, {"size", 28}}),
                              "lower.mkv");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto frames = decode_video(dir.file("lower.mkv"), 1);
    const Box box = changed_region(frames[0], luma(0xC0, 0xC0, 0xC0), 3);
    ASSERT_FALSE(box.empty());
    // The box's corner at the safe area's: 32 from the left, 18 from the bottom.
    EXPECT_NEAR(box.x0, 32, 2);
    EXPECT_NEAR(box.y1, 360 - 18 - 1, 2);
    // Two lines of 28 px with 14 px of padding above and below: taller than one line and its padding.
    EXPECT_GT(box.y1 - box.y0, 2 * 28);
    // The box is a translucent black: its padding darker than the backdrop, not black.
    const int padding_y = frames[0].Y(box.x0 + 4, box.y0 + 4);
    EXPECT_LT(padding_y, 100);
    EXPECT_GT(padding_y, 20);

    CommandResult both = compose(dir, scene_with({{"type", "text"}, {"style", "lower-third"}, {"text", "x"}}), "bad.mkv");
    EXPECT_EQ(both.exit_code, 2) << both.err;
    EXPECT_NE(both.err.find("layers[2].text: a lower third takes name and title instead"), std::string::npos) << both.err;
}

// Overlays: layers over the composite whatever is under the avatar, here a plain background with
// the avatar placed by --size and --anchor. Before its start the picture is the same as without
// it, bit for bit; while it shows, its box is at the safe area's bottom-left corner.
TEST(ComposeTextLayers, OverlaysDrawATimedLowerThirdOverABackgroundComposite) {
    TempDir dir;
    const json overlays = json::array({{{"type", "text"}, {"style", "lower-third"}, {"name", "Ana Lima"},
                                        {"title", "Head of Sales"}, {"size", 24}, {"start", 0.4}, {"end", 1.6},
                                        {"fade_in", 0.2}, {"fade_out", 0.2}}});
    std::ofstream(dir.file("overlays.json")) << overlays.dump();
    const std::string common = "--quiet compose --video " + quote(media("avatar.mp4")) + " --mask " +
                               quote(media("avatar_mask.mp4")) +
                               " --background '#C0C0C0' --canvas 640x360 --size -1x180 --anchor right --vcodec ffv1 -o ";
    ASSERT_EQ(run_avpost(common + quote(dir.file("plain.mkv"))).exit_code, 0);
    CommandResult r = run_avpost(common + quote(dir.file("titled.mkv")) + " --overlays " + quote(dir.file("overlays.json")));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto plain = decode_video(dir.file("plain.mkv"));
    const auto titled = decode_video(dir.file("titled.mkv"));
    ASSERT_EQ(plain.size(), titled.size());
    for (int i : {0, 5, 9, 41, 49}) {  // before 0.4 s (frame 10 is the first of the fade, at alpha 0) and from 1.6 s
        EXPECT_EQ(titled[i].y, plain[i].y) << "frame " << i;
        EXPECT_EQ(titled[i].u, plain[i].u) << "frame " << i;
    }
    const Box box = changed_region(titled[25], luma(0xC0, 0xC0, 0xC0), 3);
    ASSERT_FALSE(box.empty());
    EXPECT_NEAR(box.x0, 32, 2);
    EXPECT_NEAR(box.y1, 360 - 18 - 1, 2);
    // The avatar (right half) is untouched by it.
    int avatar_changed = 0;
    for (int y = 0; y < 360; ++y)
        for (int x = 400; x < 640; ++x) avatar_changed += titled[25].Y(x, y) != plain[25].Y(x, y);
    EXPECT_EQ(avatar_changed, 0);

    // The avatar is not an overlay.
    std::ofstream(dir.file("bad.json")) << json::array({{{"type", "avatar"}}}).dump();
    CommandResult bad = run_avpost(common + quote(dir.file("bad.mkv")) + " --overlays " + quote(dir.file("bad.json")));
    EXPECT_EQ(bad.exit_code, 2) << bad.err;
    EXPECT_NE(bad.err.find("the avatar is not an overlay"), std::string::npos) << bad.err;
}

// Issue 22 item 3: a title that never covers the speaker. The avatar's matte fills the left half
// of the frame over the clip: a bottom-left title with "avoid": "avatar" moves right, off it; with
// a matte that covers the whole width there is no such place: a warning, or exit 3 with "avatar!".
TEST(ComposeTextLayers, ATitleAvoidingTheAvatarMovesOffItsMatte) {
    TempDir dir;
    run_ffmpeg("-f lavfi -i color=c=0x00ff00:s=640x360:d=1:r=25 -pix_fmt yuv420p -c:v libx264 -qp 0 " +
               quote(dir.file("avatar.mp4")));
    run_ffmpeg("-f lavfi -i color=c=black:s=640x360:d=1:r=25,drawbox=x=0:y=0:w=320:h=360:color=white:t=fill "
               "-pix_fmt yuv420p -c:v libx264 -qp 0 " + quote(dir.file("left.mp4")));
    run_ffmpeg("-f lavfi -i color=c=white:s=640x360:d=1:r=25 -pix_fmt yuv420p -c:v libx264 -qp 0 " +
               quote(dir.file("all.mp4")));
    auto compose_with = [&](const std::string& mask, const json& title, const std::string& out) {
        std::ofstream(dir.file("overlays.json")) << json::array({title}).dump();
        return run_avpost("--json compose --video " + quote(dir.file("avatar.mp4")) + " --mask " + quote(dir.file(mask)) +
                          " --background '#C0C0C0' --overlays " + quote(dir.file("overlays.json")) +
                          " --vcodec ffv1 -o " + quote(dir.file(out)));
    };
    const json title = {{"type", "text"}, {"text", "TITLE"}, {"size", 30}, {"colour", "black"}, {"anchor", "bottom-left"}};
    json avoiding = title;
    avoiding["avoid"] = "avatar";

    // Where the title's ink is: away from the green avatar, in the grey right half.
    auto ink_left = [&](const std::string& file) {
        const YuvFrame f = decode_video(dir.file(file), 1)[0];
        int left = 1 << 30;
        for (int y = 280; y < 342; ++y)
            for (int x = 0; x < 640; ++x)
                if (f.Y(x, y) < 60) left = std::min(left, x);  // black text; green is Y ~ 145, grey ~ 181
        return left;
    };
    CommandResult plain = compose_with("left.mp4", title, "plain.mkv");
    ASSERT_EQ(plain.exit_code, 0) << plain.err;
    EXPECT_NEAR(ink_left("plain.mkv"), 32, 2) << "at its anchor, over the avatar";
    CommandResult moved = compose_with("left.mp4", avoiding, "moved.mkv");
    ASSERT_EQ(moved.exit_code, 0) << moved.err;
    EXPECT_NEAR(ink_left("moved.mkv"), 320, 2) << "slid right, just off the matte";

    // A matte over the whole frame: nowhere to go.
    CommandResult warned = compose_with("all.mp4", avoiding, "warned.mkv");
    ASSERT_EQ(warned.exit_code, 0) << warned.err;
    EXPECT_NE((warned.err + warned.out).find("no place along its anchor's side keeps clear of the avatar"), std::string::npos)
        << warned.err << warned.out;
    avoiding["avoid"] = "avatar!";
    CommandResult refused = compose_with("all.mp4", avoiding, "refused.mkv");
    EXPECT_EQ(refused.exit_code, 3) << refused.err;
    EXPECT_FALSE(std::filesystem::exists(dir.file("refused.mkv")));
}

// The same for a logo (an image layer): anchored top-left in the safe area, slid right off the
// avatar's matte; without "avoid" it stays at its anchor; an anchor with an offset is refused.
TEST(ComposeTextLayers, ALogoAvoidingTheAvatarMovesOffItsMatte) {
    TempDir dir;
    run_ffmpeg("-f lavfi -i color=c=0x00ff00:s=640x360:d=1:r=25 -pix_fmt yuv420p -c:v libx264 -qp 0 " +
               quote(dir.file("avatar.mp4")));
    run_ffmpeg("-f lavfi -i color=c=black:s=640x360:d=1:r=25,drawbox=x=0:y=0:w=320:h=360:color=white:t=fill "
               "-pix_fmt yuv420p -c:v libx264 -qp 0 " + quote(dir.file("left.mp4")));
    run_ffmpeg("-f lavfi -i color=c=red:s=64x48:d=1 -frames:v 1 " + quote(dir.file("logo.png")));
    auto compose_with = [&](const json& logo, const std::string& out) {
        std::ofstream(dir.file("overlays.json")) << json::array({logo}).dump();
        return run_avpost("--json compose --video " + quote(dir.file("avatar.mp4")) + " --mask " + quote(dir.file("left.mp4")) +
                          " --background '#C0C0C0' --overlays " + quote(dir.file("overlays.json")) +
                          " --vcodec ffv1 -o " + quote(dir.file(out)));
    };
    // The logo's box: where Cr is red's (about 240; grey and green are at or under 128).
    auto logo_box = [&](const std::string& file) {
        const YuvFrame f = decode_video(dir.file(file), 1)[0];
        int left = 1 << 30, top = 1 << 30, right = -1, bottom = -1;
        for (int y = 0; y < 180; ++y)
            for (int x = 0; x < 320; ++x)
                if (f.V(x, y) > 200) {
                    left = std::min(left, 2 * x), top = std::min(top, 2 * y);
                    right = std::max(right, 2 * x + 2), bottom = std::max(bottom, 2 * y + 2);
                }
        return std::array<int, 4>{left, top, right - left, bottom - top};
    };
    const json logo = {{"type", "image"}, {"source", dir.file("logo.png")}, {"anchor", "top-left"}};
    CommandResult plain = compose_with(logo, "plain.mkv");
    ASSERT_EQ(plain.exit_code, 0) << plain.err;
    EXPECT_EQ(logo_box("plain.mkv"), (std::array<int, 4>{32, 18, 64, 48})) << "at its anchor: the safe area's corner";
    json avoiding = logo;
    avoiding["avoid"] = "avatar";
    CommandResult moved = compose_with(avoiding, "moved.mkv");
    ASSERT_EQ(moved.exit_code, 0) << moved.err;
    EXPECT_EQ(logo_box("moved.mkv"), (std::array<int, 4>{320, 18, 64, 48})) << "slid right, just off the matte";

    json both = logo;
    both["offset"] = {10, 10};
    CommandResult refused = compose_with(both, "refused.mkv");
    EXPECT_EQ(refused.exit_code, 2) << refused.err;
    EXPECT_NE(refused.err.find("give an anchor or a position"), std::string::npos) << refused.err;
    json colour_anchored = {{"type", "colour"}, {"source", "#FF0000"}, {"anchor", "top"}};
    CommandResult colour = compose_with(colour_anchored, "colour.mkv");
    EXPECT_EQ(colour.exit_code, 2) << colour.err;
    EXPECT_NE(colour.err.find("is for image, video and text layers"), std::string::npos) << colour.err;
}

// "avoid" looks at the avatar over the layer's own span: the matte fills the left half in the
// first second and the right half in the second. A bottom-left title shown in the second second
// stays at its anchor (the left is clear then); one shown in the first moves right.
TEST(ComposeTextLayers, AvoidLooksAtTheAvatarOnlyWhileTheLayerShows) {
    TempDir dir;
    run_ffmpeg("-f lavfi -i color=c=0x00ff00:s=640x360:d=2:r=25 -pix_fmt yuv420p -c:v libx264 -qp 0 " +
               quote(dir.file("avatar.mp4")));
    run_ffmpeg("-f lavfi -i \"color=c=black:s=640x360:d=2:r=25,"
               "drawbox=x=0:y=0:w=320:h=360:color=white:t=fill:enable='lt(t,1)',"
               "drawbox=x=320:y=0:w=320:h=360:color=white:t=fill:enable='gte(t,1)'\" "
               "-pix_fmt yuv420p -c:v libx264 -qp 0 " + quote(dir.file("moving.mp4")));
    auto ink_left = [&](const json& title, int frame) {
        std::ofstream(dir.file("overlays.json")) << json::array({title}).dump();
        const CommandResult r = run_avpost("--quiet compose --video " + quote(dir.file("avatar.mp4")) + " --mask " +
                                           quote(dir.file("moving.mp4")) + " --background '#C0C0C0' --overlays " +
                                           quote(dir.file("overlays.json")) + " --vcodec ffv1 -o " + quote(dir.file("out.mkv")));
        EXPECT_EQ(r.exit_code, 0) << r.err;
        const YuvFrame f = decode_video(dir.file("out.mkv"), frame + 1)[frame];
        int left = 1 << 30;
        for (int y = 280; y < 342; ++y)
            for (int x = 0; x < 640; ++x)
                if (f.Y(x, y) < 60) left = std::min(left, x);
        return left;
    };
    const json title = {{"type", "text"}, {"text", "TITLE"}, {"size", 30}, {"colour", "black"},
                        {"anchor", "bottom-left"}, {"avoid", "avatar"}};
    json late = title, early = title;
    late["start"] = 1.0;
    early["end"] = 1.0;
    EXPECT_NEAR(ink_left(late, 37), 32, 2) << "the left is clear while it shows: at its anchor";
    EXPECT_NEAR(ink_left(early, 12), 320, 2) << "the avatar is on the left while it shows: slid right";
}
