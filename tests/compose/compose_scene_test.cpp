// A scene of layers in Akool's `elements` shape, recomposed locally: colour and image layers
// below the avatar, a translucent layer above it, each where the scene puts it.
#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "media_helpers.hpp"

using namespace avpost::testing;

namespace {

void write_json(const std::string& path, const nlohmann::json& j) { std::ofstream(path) << j.dump(2); }

}  // namespace

TEST(ComposeScene, AkoolElementsAreRecomposedWithLayersAboveTheAvatar) {
    TempDir dir;
    // A 64x64 PNG, red at half opacity: drawn above the avatar.
    run_ffmpeg("-f lavfi -i color=c=red:s=64x64,format=rgba,colorchannelmixer=aa=0.5 -frames:v 1 " +
               quote(dir.file("veil.png")));
    nlohmann::json scene = {
        {"width", 640},
        {"height", 360},
        {"elements",
         {{{"type", "image"}, {"url", "#203060"}, {"width", 640}, {"height", 360}, {"offset_x", 0}, {"offset_y", 0}},
          {{"type", "avatar"}, {"width", 640}, {"height", 360}, {"scale_x", 0.5}, {"scale_y", 0.5},
           {"offset_x", 320}, {"offset_y", 180}},
          {{"type", "image"}, {"url", "veil.png"}, {"width", 64}, {"height", 64}, {"offset_x", 16}, {"offset_y", 16}},
          {{"type", "audio"}, {"url", "https://example.invalid/voice.mp3"}}}}};
    write_json(dir.file("scene.json"), scene);
    CommandResult r = run_avpost("--json compose --video " + quote(media("avatar.mp4")) + " --mask " +
                                 quote(media("avatar_mask.mp4")) + " --scene " + quote(dir.file("scene.json")) +
                                 " --vcodec ffv1 -o " + quote(dir.file("scene.mkv")));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto report = nlohmann::json::parse(r.out);
    EXPECT_EQ(report["canvas"], "640x360");
    EXPECT_EQ(report["avatar_size"], "320x180");
    EXPECT_EQ(report["avatar_position"], nlohmann::json::array({320, 180}));

    auto frames = decode_video(dir.file("scene.mkv"));
    ASSERT_EQ(frames.size(), 50u);
    const auto& first = frames.front();
    const auto& last = frames.back();
    // The colour layer: #203060 in BT.601 limited range (the canvas is SD).
    const int bg_y = 16 + int(std::lround(219.0 * (0.299 * 0x20 + 0.587 * 0x30 + 0.114 * 0x60) / 255.0));
    EXPECT_NEAR(first.Y(200, 100), bg_y, 1);
    // The translucent veil: red over the colour, the same on the last frame as on the first
    // (drawn once per frame, never blended over itself).
    const int red_y = 16 + int(std::lround(219.0 * 0.299));
    const int veiled = (bg_y + red_y + 1) / 2;
    EXPECT_NEAR(first.Y(48, 48), veiled, 2);
    EXPECT_EQ(first.Y(48, 48), last.Y(48, 48));
    EXPECT_EQ(first.V(24, 24), last.V(24, 24));
    // Outside the veil and the avatar: untouched colour.
    EXPECT_NEAR(last.Y(100, 48), bg_y, 1);
}

TEST(ComposeScene, BadSceneNamesTheElement) {
    TempDir dir;
    write_json(dir.file("scene.json"),
               {{"width", 640}, {"height", 360}, {"elements", {{{"type", "image"}, {"url", "#203060"}, {"offset_x", "left"}}}}});
    CommandResult r = run_avpost("compose --video " + quote(media("avatar.mp4")) + " --mask " +
                                 quote(media("avatar_mask.mp4")) + " --scene " + quote(dir.file("scene.json")) +
                                 " -o " + quote(dir.file("o.mp4")));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("elements[0]"), std::string::npos) << r.err;
    EXPECT_FALSE(std::filesystem::exists(dir.file("o.mp4")));
}
