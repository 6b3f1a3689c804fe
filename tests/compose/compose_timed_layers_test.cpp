// Timed layers (issue 22 item 1): a layer shows from `start` until `end`, fading in and out, on
// the programme's clock. Whole frames against a float reference made from the same scene with
// the layers left out (A) and always on (B): every sample of the timed output is
// A + (B - A) * opacity(t), the opacity quantised as the compositor's alpha; outside its span a
// layer leaves A untouched, bit for bit.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>

#include <nlohmann/json.hpp>

#include "media_helpers.hpp"

using namespace avpost::testing;
using nlohmann::json;

namespace {

constexpr double frame_seconds = 1.0 / 25;  // tests/media/avatar.mp4: 640x360, 25 fps, 2 s

struct Timed {
    double start = 0, end = 2.0, fade_in = 0, fade_out = 0;
};

// The opacity a timed layer has at t, as a person would compute it, quantised to 8-bit alpha.
double expected_alpha(const Timed& l, double t) {
    if (t < l.start || t >= l.end) return 0;
    double a = 1;
    if (l.fade_in > 0) a = std::min(a, (t - l.start) / l.fade_in);
    if (l.fade_out > 0) a = std::min(a, (l.end - t) / l.fade_out);
    return std::round(std::clamp(a, 0.0, 1.0) * 255) / 255;
}

// A colour layer of `size` at `offset`, timed when `timing` is given.
json colour_layer(const std::string& colour, std::array<int, 2> offset, std::array<int, 2> size, const json& timing) {
    json layer = {{"type", "colour"}, {"source", colour}, {"offset", offset}, {"size", size}};
    for (const auto& [key, value] : timing.items()) layer[key] = value;
    return layer;
}

// The scene: a colour backdrop, `below` under the avatar (half size, bottom right), `above` over it.
json scene(const json& below, const json& above) {
    json layers = json::array({colour_layer("#203060", {0, 0}, {640, 360}, json::object())});
    if (!below.is_null()) layers.push_back(below);
    layers.push_back({{"type", "avatar"}, {"offset", {320, 180}}, {"scale", {0.5, 0.5}}});
    if (!above.is_null()) layers.push_back(above);
    return {{"canvas", "640x360"}, {"layers", layers}};
}

std::vector<YuvFrame> compose(const TempDir& dir, const std::string& name, const json& scene_json) {
    std::ofstream(dir.file(name + ".json")) << scene_json.dump(2);
    CommandResult r = run_avpost("--quiet compose --video " + quote(media("avatar.mp4")) + " --mask " +
                                 quote(media("avatar_mask.mp4")) + " --scene " + quote(dir.file(name + ".json")) +
                                 " --vcodec ffv1 -o " + quote(dir.file(name + ".mkv")));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return decode_video(dir.file(name + ".mkv"));
}

}  // namespace

TEST(ComposeTimedLayers, ALayerAppearsFadesAndLeavesOnTheFrameItsTimesSay) {
    TempDir dir;
    // Above the avatar: 0.4-1.2 s, 0.2 s in, 0.3 s out. Below it: from 1.0 s to the programme's
    // end (2 s), fading out over its last 0.4 s.
    const Timed veil{0.4, 1.2, 0.2, 0.3}, panel{1.0, 2.0, 0, 0.4};
    const json veil_timing = {{"start", veil.start}, {"end", veil.end}, {"fade_in", veil.fade_in}, {"fade_out", veil.fade_out}};
    const json panel_timing = {{"start", panel.start}, {"fade_out", panel.fade_out}};
    const auto without = compose(dir, "without", scene(nullptr, nullptr));
    const auto always = compose(dir, "always", scene(colour_layer("#40C040", {400, 20}, {160, 100}, json::object()),
                                                     colour_layer("#FF2040", {20, 20}, {200, 120}, json::object())));
    const auto timed = compose(dir, "timed", scene(colour_layer("#40C040", {400, 20}, {160, 100}, panel_timing),
                                                   colour_layer("#FF2040", {20, 20}, {200, 120}, veil_timing)));
    ASSERT_EQ(timed.size(), 50u);
    ASSERT_EQ(without.size(), timed.size());
    ASSERT_EQ(always.size(), timed.size());

    // Which layer covers a luma sample (x, y): 1 the veil, 2 the panel, 0 none.
    auto layer_at = [](int x, int y) {
        if (x >= 20 && x < 220 && y >= 20 && y < 140) return 1;
        if (x >= 400 && x < 560 && y >= 20 && y < 120) return 2;
        return 0;
    };
    int frames_with_veil = 0, frames_with_panel = 0;
    for (std::size_t i = 0; i < timed.size(); ++i) {
        const double t = double(i) * frame_seconds;
        const double alpha[3] = {0, expected_alpha(veil, t), expected_alpha(panel, t)};
        frames_with_veil += alpha[1] > 0;
        frames_with_panel += alpha[2] > 0;
        int worst = 0, outside_changed = 0;
        auto check_plane = [&](const std::vector<std::uint8_t>& a, const std::vector<std::uint8_t>& b,
                               const std::vector<std::uint8_t>& c, int width, int step) {
            for (std::size_t k = 0; k < c.size(); ++k) {
                const int x = int(k % std::size_t(width)) * step, y = int(k / std::size_t(width)) * step;
                const int layer = layer_at(x, y);
                const double reference = a[k] + (double(b[k]) - a[k]) * alpha[layer];
                const int error = int(std::lround(std::abs(c[k] - reference)));
                worst = std::max(worst, error);
                if (alpha[layer] == 0 && c[k] != a[k]) ++outside_changed;
            }
        };
        check_plane(without[i].y, always[i].y, timed[i].y, 640, 1);
        check_plane(without[i].u, always[i].u, timed[i].u, 320, 2);
        check_plane(without[i].v, always[i].v, timed[i].v, 320, 2);
        EXPECT_LE(worst, 2) << "frame " << i << " (t " << t << ")";
        EXPECT_EQ(outside_changed, 0) << "frame " << i << ": samples changed where no layer shows";
    }
    // 0.4 s in, 0.2 s fading in (the first of those frames fully transparent), gone at 1.2 s.
    EXPECT_EQ(frames_with_veil, int(std::lround((1.2 - 0.4) / frame_seconds)) - 1);
    EXPECT_EQ(frames_with_panel, int(std::lround((2.0 - 1.0) / frame_seconds)));
    // The veil's middle: fully on between the fades, half on in the middle of its fade-in.
    EXPECT_EQ(timed[20].Y(100, 60), always[20].Y(100, 60));
    EXPECT_EQ(timed[9].Y(100, 60), without[9].Y(100, 60));
}

TEST(ComposeTimedLayers, BadTimingIsAOneLineUsageErrorNamingTheLayer) {
    TempDir dir;
    struct Bad {
        json layer;
        std::string message;
    } bad[] = {
        {colour_layer("#FF0000", {0, 0}, {64, 64}, {{"start", 1.0}, {"end", 1.5}, {"fade_in", 0.3}, {"fade_out", 0.3}}),
         "layers[2].fade_out: fade_in + fade_out (0.6 s) are longer than the layer's span (0.5 s)"},
        {colour_layer("#FF0000", {0, 0}, {64, 64}, {{"start", 1.0}, {"end", 0.5}}), "layers[2].end: must be after start"},
        {colour_layer("#FF0000", {0, 0}, {64, 64}, {{"strat", 1.0}}), "layers[2].strat: unknown key"},
        {colour_layer("#FF0000", {0, 0}, {64, 64}, {{"start", -1}}), "layers[2].start: must not be negative"},
        // Without an end a layer lasts to the programme's end (2 s): its fades must fit that.
        {colour_layer("#FF0000", {0, 0}, {64, 64}, {{"start", 1.5}, {"fade_in", 0.4}, {"fade_out", 0.4}}),
         "layer 2 (colour): fade_in + fade_out (0.8 s) are longer than the layer's span (0.5 s to the programme's end)"},
        {colour_layer("#FF0000", {0, 0}, {64, 64}, {{"start", 2.5}}), "layer 2 (colour): starts at 2.5 s, when the programme has ended (2 s)"},
    };
    for (const Bad& b : bad) {
        json s = scene(nullptr, b.layer);
        std::ofstream(dir.file("bad.json")) << s.dump();
        CommandResult r = run_avpost("compose --video " + quote(media("avatar.mp4")) + " --mask " +
                                     quote(media("avatar_mask.mp4")) + " --scene " + quote(dir.file("bad.json")) +
                                     " -o " + quote(dir.file("out.mp4")));
        EXPECT_EQ(r.exit_code, 2) << b.layer.dump() << ": " << r.err;
        EXPECT_NE(r.err.find(b.message), std::string::npos) << r.err;
        EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
        EXPECT_FALSE(std::filesystem::exists(dir.file("out.mp4")));
    }
    // The avatar itself is not timed.
    json s = scene(nullptr, nullptr);
    s["layers"][1]["start"] = 1;
    std::ofstream(dir.file("bad.json")) << s.dump();
    CommandResult r = run_avpost("compose --video " + quote(media("avatar.mp4")) + " --mask " +
                                 quote(media("avatar_mask.mp4")) + " --scene " + quote(dir.file("bad.json")) + " -o " +
                                 quote(dir.file("out.mp4")));
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find("layers[1].start: the avatar layer lasts the whole programme"), std::string::npos) << r.err;
}

// The same on a clock unlike the samples': an NTSC-rate (30000/1001) MPEG-4 Part 2 avatar in AVI
// with B-frames, on an odd canvas (642x362), the layer at odd offsets and sizes. Each frame's time
// is its index / (30000/1001); the reference blend holds on every sample of every frame.
TEST(ComposeTimedLayers, AnNtscRateAviAvatarOnAnOddCanvasFadesOnItsOwnClock) {
    TempDir dir;
    run_ffmpeg("-f lavfi -i testsrc2=size=320x180:rate=30000/1001:duration=1.5 -c:v mpeg4 -q:v 2 -bf 2 " +
               quote(dir.file("avatar.avi")));
    run_ffmpeg("-f lavfi -i color=c=white:s=320x180:rate=30000/1001:d=1.5 -c:v mpeg4 -q:v 2 -bf 2 " +
               quote(dir.file("mask.avi")));
    const Timed veil{0.3, 1.1, 0.25, 0.35};
    auto run = [&](const std::string& name, const json& timing, bool with_layer) {
        json layers = json::array({colour_layer("#304050", {0, 0}, {642, 362}, json::object()),
                                   {{"type", "avatar"}, {"offset", {301, 171}}}});
        if (with_layer) layers.push_back(colour_layer("#E0A010", {21, 19}, {151, 97}, timing));
        std::ofstream(dir.file(name + ".json")) << json{{"canvas", "642x362"}, {"layers", layers}}.dump();
        CommandResult r = run_avpost("--quiet compose --video " + quote(dir.file("avatar.avi")) + " --mask " +
                                     quote(dir.file("mask.avi")) + " --scene " + quote(dir.file(name + ".json")) +
                                     " --vcodec ffv1 -o " + quote(dir.file(name + ".mkv")));
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return decode_video(dir.file(name + ".mkv"));
    };
    const auto without = run("without", json::object(), false);
    const auto always = run("always", json::object(), true);
    const auto timed = run("timed", {{"start", veil.start}, {"end", veil.end}, {"fade_in", veil.fade_in},
                                     {"fade_out", veil.fade_out}},
                           true);
    ASSERT_GE(timed.size(), 44u);
    ASSERT_EQ(without.size(), timed.size());
    ASSERT_EQ(always.size(), timed.size());
    const double fps = 30000.0 / 1001;
    for (std::size_t i = 0; i < timed.size(); ++i) {
        const double alpha = expected_alpha(veil, double(i) / fps);
        int worst = 0;
        auto plane = [&](const std::vector<std::uint8_t>& a, const std::vector<std::uint8_t>& b,
                         const std::vector<std::uint8_t>& c) {
            for (std::size_t k = 0; k < c.size(); ++k) {
                // Only the layer differs between A and B: elsewhere the blend is A itself.
                const double reference = a[k] + (double(b[k]) - a[k]) * alpha;
                worst = std::max(worst, int(std::lround(std::abs(c[k] - reference))));
            }
        };
        plane(without[i].y, always[i].y, timed[i].y);
        plane(without[i].u, always[i].u, timed[i].u);
        plane(without[i].v, always[i].v, timed[i].v);
        EXPECT_LE(worst, 2) << "frame " << i << " (t " << double(i) / fps << ", alpha " << alpha << ")";
    }
}
