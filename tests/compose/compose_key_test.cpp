// Keying a render made on a colour backdrop, against ground truth: an avatar with a known soft
// matte (soft edges, one- to two-pixel strands, motion blur) blended over the key colour in float,
// encoded H.264 4:2:0 at crf 20 as vendors deliver. The keyed composite over a new background is
// compared with the float composite made from the true matte, over the whole frame and in the
// edge band, and with the best of several ffmpeg chromakey + despill settings in the same run.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "media_helpers.hpp"

using namespace avpost::testing;

namespace {

constexpr int W = 318, H = 238, frames = 16;

struct Rgb {
    double r, g, b;
};

// BT.601 limited range, as the canvas (below HD) is.
std::array<double, 3> yuv_of(Rgb c) {
    double y = 0.299 * c.r + 0.587 * c.g + 0.114 * c.b;
    return {16 + 219 * y / 255, 128 + 224 * (0.564 * (c.b - y)) / 255, 128 + 224 * (0.713 * (c.r - y)) / 255};
}

double clamp01(double v) { return std::clamp(v, 0.0, 1.0); }

double segment_distance(double px, double py, double ax, double ay, double bx, double by) {
    double dx = bx - ax, dy = by - ay;
    double t = std::clamp(((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy), 0.0, 1.0);
    return std::hypot(px - ax - t * dx, py - ay - t * dy);
}

// The true matte of frame n at (x, y): a head (soft disc) moving right with motion blur, a body,
// and hair strands one to two pixels wide at 80% opacity.
double true_alpha(int n, double x, double y) {
    double sum = 0;
    constexpr int steps = 5;
    for (int s = 0; s < steps; ++s) {
        const double cx = 150 + 3.0 * n + 4.0 * s / (steps - 1), cy = 100;  // 4 px of motion per frame
        double head = clamp01((62 - std::hypot(x - cx, y - cy)) / 2.0);
        double body = clamp01(std::min({(x - (cx - 70)) / 2.0, ((cx + 70) - x) / 2.0, (y - 150) / 2.0}));
        double strands = 0;
        for (int k = 0; k < 6; ++k) {
            const double ax = cx - 40 + 16 * k, ay = cy - 50, bx = ax + 6 * std::sin(k + 0.3 * n), by = 12;
            const double width = k % 2 ? 0.6 : 1.0;  // half-widths: strands 1.2 and 2 px across
            strands = std::max(strands, 0.8 * clamp01(width + 0.5 - segment_distance(x, y, ax, ay, bx, by)));
        }
        sum += std::max({head, body, strands});
    }
    return sum / steps;
}

// The avatar's own colour: skin with luma texture, darker hair, a grey shirt with a teal patch
// (close to a green key's hue family, but not it).
Rgb avatar_colour(int n, int x, int y, bool teal_patch) {
    if (teal_patch && y > 190 && x > 170 && x < 200) return {0, 120, 140};
    if (y >= 150) return {118 + 10 * std::sin(x / 5.0), 120, 132};
    if (y < 48) return {70, 48, 36};
    const double texture = 25 * std::sin(x / 3.0 + n * 0.4) * std::cos(y / 4.0);
    return {205 + texture, 150 + texture, 125 + texture};
}

struct Backdrop {
    Rgb colour;
    std::function<double(int, int)> brightness = [](int, int) { return 1.0; };  // a lit backdrop varies
};

struct Media {
    std::string render, background;
    std::vector<std::vector<double>> alpha;  // true alpha per frame, W*H
    std::vector<std::vector<std::array<double, 3>>> avatar;  // true avatar colour (YUV) per pixel
};

Media make_render(const TempDir& dir, const std::string& tag, const Backdrop& backdrop, bool teal_patch) {
    Media m;
    std::string raw = dir.file(tag + ".rgb");
    std::ofstream out(raw, std::ios::binary);
    for (int n = 0; n < frames; ++n) {
        std::vector<double> a(std::size_t(W) * H);
        std::vector<std::array<double, 3>> fg(std::size_t(W) * H);
        for (int y = 0; y < H; ++y)
            for (int x = 0; x < W; ++x) {
                const double alpha = true_alpha(n, x, y);
                const Rgb f = avatar_colour(n, x, y, teal_patch);
                const double k = backdrop.brightness(x, y);
                const Rgb b{backdrop.colour.r * k, backdrop.colour.g * k, backdrop.colour.b * k};
                a[std::size_t(y) * W + x] = alpha;
                fg[std::size_t(y) * W + x] = yuv_of(f);
                const double rgb[3] = {alpha * f.r + (1 - alpha) * b.r, alpha * f.g + (1 - alpha) * b.g,
                                       alpha * f.b + (1 - alpha) * b.b};
                for (double c : rgb) out.put(char(std::lround(std::clamp(c, 0.0, 255.0))));
            }
        m.alpha.push_back(std::move(a));
        m.avatar.push_back(std::move(fg));
    }
    out.close();
    m.render = dir.file(tag + ".mp4");
    run_ffmpeg("-f rawvideo -pix_fmt rgb24 -s " + std::to_string(W) + "x" + std::to_string(H) + " -r 25 -i " + quote(raw) +
               " -vf scale=out_color_matrix=bt601:out_range=tv:flags=bicubic+accurate_rnd,format=yuv420p"
               " -c:v libx264 -crf 20 -colorspace smpte170m -color_range tv " + quote(m.render));
    return m;
}

struct Figures {
    double y = 0, u = 0, v = 0, edge_y = 0;
};

// The composite from the true matte, in float, over the decoded background; compared with `path`.
Figures score(const std::string& path, const Media& m, const YuvFrame& bg) {
    auto out = decode_video(path);
    EXPECT_EQ(out.size(), std::size_t(frames)) << path;
    std::vector<double> ry, ru, rv, re;
    std::vector<std::uint8_t> gy, gu, gv, ge;
    const int CW = (W + 1) / 2, CH = (H + 1) / 2;
    for (std::size_t n = 0; n < out.size() && n < m.alpha.size(); ++n) {
        const auto& a = m.alpha[n];
        const auto& f = m.avatar[n];
        // The edge band: 0 < alpha < 1, dilated by 2 pixels.
        std::vector<char> edge(std::size_t(W) * H, 0);
        for (int y = 0; y < H; ++y)
            for (int x = 0; x < W; ++x) {
                const double v = a[std::size_t(y) * W + x];
                if (v <= 0.002 || v >= 0.998) continue;
                for (int dy = -2; dy <= 2; ++dy)
                    for (int dx = -2; dx <= 2; ++dx) {
                        int yy = y + dy, xx = x + dx;
                        if (yy >= 0 && xx >= 0 && yy < H && xx < W) edge[std::size_t(yy) * W + xx] = 1;
                    }
            }
        for (int y = 0; y < H; ++y)
            for (int x = 0; x < W; ++x) {
                const std::size_t i = std::size_t(y) * W + x;
                const double ref = a[i] * f[i][0] + (1 - a[i]) * bg.Y(x, y);
                ry.push_back(ref);
                gy.push_back(out[n].Y(x, y));
                if (edge[i]) {
                    re.push_back(ref);
                    ge.push_back(out[n].Y(x, y));
                }
            }
        for (int cy = 0; cy < CH; ++cy)
            for (int cx = 0; cx < CW; ++cx) {
                double su = 0, sv = 0, count = 0;
                for (int y = 2 * cy; y < std::min(2 * cy + 2, H); ++y)
                    for (int x = 2 * cx; x < std::min(2 * cx + 2, W); ++x) {
                        const std::size_t i = std::size_t(y) * W + x;
                        su += a[i] * f[i][1] + (1 - a[i]) * bg.U(cx, cy);
                        sv += a[i] * f[i][2] + (1 - a[i]) * bg.V(cx, cy);
                        ++count;
                    }
                ru.push_back(su / count);
                rv.push_back(sv / count);
                gu.push_back(out[n].U(cx, cy));
                gv.push_back(out[n].V(cx, cy));
            }
    }
    return {psnr(ry, gy), psnr(ru, gu), psnr(rv, gv), psnr(re, ge)};
}

class ComposeKey : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        dir_ = new TempDir;
        // The new background, as the canvas sees it (BT.601 limited, converted once by ffmpeg).
        run_ffmpeg("-f lavfi -i testsrc2=size=" + std::to_string(W) + "x" + std::to_string(H) + ":rate=1 -frames:v 1 " +
                   quote(dir_->file("bg.png")));
        run_ffmpeg("-i " + quote(dir_->file("bg.png")) +
                   " -vf scale=out_color_matrix=bt601:out_range=tv:flags=bicubic+accurate_rnd,format=yuv420p -c:v ffv1 " +
                   quote(dir_->file("bg.mkv")));
        background_ = new YuvFrame(decode_video(dir_->file("bg.mkv")).at(0));
        green_ = new Media(make_render(*dir_, "green", {{0, 177, 64}}, true));
    }
    static void TearDownTestSuite() {
        delete green_;
        delete background_;
        delete dir_;
    }
    static std::string compose_keyed(const std::string& render, const std::string& key, const std::string& out,
                                     const std::string& extra = "") {
        CommandResult r = run_avpost("--json compose --video " + quote(render) + " --key " + quote(key) +
                                     " --background " + quote(dir_->file("bg.png")) + " --vcodec ffv1 -o " + quote(out) +
                                     " " + extra);
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return r.out;
    }
    static TempDir* dir_;
    static YuvFrame* background_;
    static Media* green_;
};

TempDir* ComposeKey::dir_ = nullptr;
YuvFrame* ComposeKey::background_ = nullptr;
Media* ComposeKey::green_ = nullptr;

void print(const char* what, const Figures& f) {
    std::printf("key %-34s PSNR Y %.2f U %.2f V %.2f dB, edge band Y %.2f dB\n", what, f.y, f.u, f.v, f.edge_y);
}

}  // namespace

TEST_F(ComposeKey, BeatsFfmpegChromakeyOnEveryFigure) {
    const std::string out = dir_->file("keyed.mkv");
    const auto report = nlohmann::json::parse(compose_keyed(green_->render, "#00B140", out));
    EXPECT_EQ(report["key"], "#00B140");
    const Figures ours = score(out, *green_, *background_);
    print("avpost --key #00B140", ours);

    Figures best;
    std::string best_y_setting;
    for (const char* similarity : {"0.08", "0.12", "0.18"})
        for (const char* blend : {"0.02", "0.06", "0.12"})
            for (bool despill : {false, true}) {
                const std::string ff = dir_->file("ff.mkv");
                const std::string key = std::string("chromakey=color=0x00B140:similarity=") + similarity + ":blend=" + blend;
                const std::string fg = despill ? key + ",format=gbrap,despill=type=green" : key;
                run_ffmpeg("-i " + quote(green_->render) + " -i " + quote(dir_->file("bg.png")) +
                           " -filter_complex \"[1:v]scale=out_color_matrix=bt601:out_range=tv:flags=bicubic+accurate_rnd,"
                           "format=yuv420p[bg];[0:v]" + fg + "[fg];[bg][fg]overlay=format=yuv420,format=yuv420p\" -c:v ffv1 " +
                           quote(ff));
                const Figures f = score(ff, *green_, *background_);
                if (f.y > best.y) best_y_setting = key + (despill ? " + despill" : "");
                best = {std::max(best.y, f.y), std::max(best.u, f.u), std::max(best.v, f.v), std::max(best.edge_y, f.edge_y)};
            }
    print(("best ffmpeg (Y: " + best_y_setting + ")").c_str(), best);
    RecordProperty("psnr_y", std::to_string(ours.y));
    RecordProperty("ffmpeg_best_psnr_y", std::to_string(best.y));
    EXPECT_GE(ours.y, best.y + 3.0);
    EXPECT_GE(ours.u, best.u);
    EXPECT_GE(ours.v, best.v);
    EXPECT_GE(ours.edge_y, best.edge_y);
}

TEST_F(ComposeKey, AutoFindsTheBackdropAndCostumeCloseToTheKeyStaysOpaque) {
    const std::string out = dir_->file("auto.mkv");
    const auto report = nlohmann::json::parse(compose_keyed(green_->render, "auto", out));
    // The backdrop as found on the border, within the codec's error of #00B140.
    int r = 0, g = 0, b = 0;
    ASSERT_EQ(std::sscanf(report["key"].get<std::string>().c_str(), "#%02X%02X%02X", &r, &g, &b), 3) << report;
    EXPECT_NEAR(r, 0, 8);
    EXPECT_NEAR(g, 177, 8);
    EXPECT_NEAR(b, 64, 8);
    const Figures f = score(out, *green_, *background_);
    print("avpost --key auto (green)", f);
    EXPECT_GE(f.y, 38.0);
    // The teal patch on the shirt (x 170..199, y 191..237) is the avatar's own teal, not background.
    auto frames_out = decode_video(out);
    const auto teal = yuv_of({0, 120, 140});
    double worst = 0;
    for (const auto& frame : frames_out)
        for (int y = 194; y < 230; ++y)
            for (int x = 173; x < 197; ++x) worst = std::max(worst, std::abs(frame.Y(x, y) - teal[0]));
    EXPECT_LE(worst, 6.0);
}

TEST_F(ComposeKey, BlueMagentaAndALitGradientBackdrop) {
    struct Case {
        const char* name;
        Backdrop backdrop;
        double min_psnr_y;
    } cases[] = {
        {"blue", {{0, 71, 187}}, 36.0},
        {"magenta", {{255, 0, 255}}, 36.0},
        // Lit in the middle, falling off by 30% to the corners.
        {"gradient", {{0, 177, 64}, [](int x, int y) {
                          return 1.1 - 0.3 * std::hypot((x - W / 2.0) / W, (y - H / 2.0) / H) * 1.6;
                      }},
         36.0},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.name);
        const Media m = make_render(*dir_, c.name, c.backdrop, false);
        const std::string out = dir_->file(std::string(c.name) + ".mkv");
        compose_keyed(m.render, "auto", out);
        const Figures f = score(out, m, *background_);
        print((std::string("avpost --key auto (") + c.name + ")").c_str(), f);
        EXPECT_GE(f.y, c.min_psnr_y);
    }
}

TEST_F(ComposeKey, PulledMatteCanBeWrittenAndUsedAsAMask) {
    const std::string matte = dir_->file("pulled-matte.mkv");
    const auto report = nlohmann::json::parse(
        compose_keyed(green_->render, "#00B140", dir_->file("with-matte.mkv"), "--key-matte-out " + quote(matte)));
    EXPECT_EQ(report["key_matte_path"], matte);
    auto pulled = decode_video(matte);
    ASSERT_EQ(pulled.size(), std::size_t(frames));
    // Limited range like a vendor's matte: compare with the true alpha.
    std::vector<double> truth;
    std::vector<std::uint8_t> got;
    for (int n = 0; n < frames; ++n)
        for (int y = 0; y < H; ++y)
            for (int x = 0; x < W; ++x) {
                truth.push_back(16 + 219 * green_->alpha[n][std::size_t(y) * W + x]);
                got.push_back(pulled[n].Y(x, y));
            }
    const double matte_psnr = psnr(truth, got);
    std::printf("key pulled matte vs the true matte: PSNR %.2f dB\n", matte_psnr);
    EXPECT_GE(matte_psnr, 26.0);
    CommandResult again = run_avpost("compose --video " + quote(green_->render) + " --mask " + quote(matte) +
                                     " --despill '#00B140' --background " + quote(dir_->file("bg.png")) +
                                     " --vcodec ffv1 -o " + quote(dir_->file("from-matte.mkv")));
    EXPECT_EQ(again.exit_code, 0) << again.err;
}

TEST_F(ComposeKey, BadKeysAreOneLineErrorsAndLeaveNoOutput) {
    TempDir dir;
    struct Bad {
        std::string args;
        int exit_code;
        std::string message;
    } bad[] = {
        {"--key '#00B140' --mask " + quote(media("avatar_mask.mp4")), 2, "either a mask (--mask) or a key (--key)"},
        {"--key greenish", 2, "bad key 'greenish'"},
        {"--key '#808080'", 2, "too grey to key"},
        {"--key-matte-out " + quote(dir.file("m.mkv")) + " --mask " + quote(media("avatar_mask.mp4")), 2,
         "--key-matte-out: needs a key"},
        {"--key auto --despill '#00B140'", 2, "--despill: not with a key"},
    };
    for (const Bad& b : bad) {
        CommandResult r = run_avpost("compose --video " + quote(green_->render) + " " + b.args + " --background " +
                                     quote(dir_->file("bg.png")) + " -o " + quote(dir.file("out.mp4")));
        EXPECT_EQ(r.exit_code, b.exit_code) << b.args << ": " << r.err;
        EXPECT_NE(r.err.find(b.message), std::string::npos) << r.err;
        EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    }
    // auto on a render with no uniform border (a test pattern fills the frame).
    run_ffmpeg("-f lavfi -i testsrc2=size=320x240:rate=25:duration=0.4 -c:v libx264 -pix_fmt yuv420p " +
               quote(dir.file("pattern.mp4")));
    CommandResult r = run_avpost("compose --video " + quote(dir.file("pattern.mp4")) + " --key auto --background " +
                                 quote(dir_->file("bg.png")) + " -o " + quote(dir.file("out.mp4")));
    EXPECT_EQ(r.exit_code, 3) << r.err;
    EXPECT_NE(r.err.find("give the key colour with --key #RRGGBB"), std::string::npos) << r.err;
    EXPECT_EQ(dir.entries(), std::vector<std::string>{"pattern.mp4"});
}

// `--despill` with a vendor's matte: the backdrop leaves the edge in proportion to the matte, so a
// light background shows no dark ring (the old chroma-only despill left one about 4 px wide).
TEST_F(ComposeKey, DespillWithAMatteLeavesNoRingOnWhite) {
    TempDir dir;
    std::string raw = dir.file("matte.gray");
    {
        std::ofstream out(raw, std::ios::binary);
        for (const auto& a : green_->alpha)
            for (double v : a) out.put(char(std::lround(255 * v)));
    }
    run_ffmpeg("-f rawvideo -pix_fmt gray -s " + std::to_string(W) + "x" + std::to_string(H) + " -r 25 -i " + quote(raw) +
               " -c:v ffv1 " + quote(dir.file("matte.mkv")));
    YuvFrame white;
    white.width = W;
    white.height = H;
    white.y.assign(std::size_t(W) * H, 235);
    white.u.assign(std::size_t((W + 1) / 2) * ((H + 1) / 2), 128);
    white.v = white.u;
    auto compose = [&](const std::string& extra, const std::string& name) {
        CommandResult r = run_avpost("compose --video " + quote(green_->render) + " --mask " + quote(dir.file("matte.mkv")) +
                                     " --background '#FFFFFF' --vcodec ffv1 -o " + quote(dir.file(name)) + " " + extra);
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return score(dir.file(name), *green_, white);
    };
    const Figures plain = compose("", "plain.mkv");
    const Figures despilled = compose("--despill '#00B140'", "despilled.mkv");
    print("true matte over white", plain);
    print("true matte over white, --despill", despilled);
    EXPECT_GE(despilled.edge_y, plain.edge_y + 6.0);
    EXPECT_GE(despilled.edge_y, 33.0);
    EXPECT_GE(despilled.u, plain.u);
    EXPECT_GE(despilled.v, plain.v);
}

// A green-screen clip lit unevenly (a vignette: the corners at about 40% of the centre) keyed with
// the colour the set was meant to be: the given colour names the backdrop's hue and the clean plate
// gives its brightness everywhere, so the new background shows through clean in the dark corners
// too, not behind a dark veil. `auto` reports the nominal (lit) backdrop, in text mode too; a given
// colour far from the border's is used but warned about, with `--key auto` suggested.
TEST_F(ComposeKey, GivenColourOnAVignettedBackdropLeavesNoVeil) {
    TempDir dir;
    const std::string clip = dir.file("vignette.mp4");
    // #00B140 times (1 - 0.6 r^2), r = 1 in the corners; a skin-coloured head in the middle.
    const std::string k = "(1-0.6*(pow((X-W/2)/(W/2),2)+pow((Y-H/2)/(H/2),2))/2)";
    const std::string head = "clip((75-hypot(X-W/2,Y-H/2))/1.5+0.5,0,1)";
    run_ffmpeg("-f lavfi -i " +
               quote("color=black:size=640x360:rate=25:duration=0.2,format=rgb24,geq=r='" + head + "*205':g='" + head +
                     "*150+(1-" + head + ")*177*" + k + "':b='" + head + "*125+(1-" + head + ")*64*" + k + "'") +
               " -vf scale=out_color_matrix=bt601:out_range=tv,format=yuv420p -c:v libx264 -crf 18 "
               "-colorspace smpte170m -color_range tv " + quote(clip));
    auto border_rgb = [&](const std::string& key, std::string* err) {
        const std::string out = dir.file("keyed.mkv"), rgb = dir.file("keyed.rgb");
        CommandResult r = run_avpost("compose --video " + quote(clip) + " --key " + quote(key) +
                                     " --background '#FF00FF' --vcodec ffv1 -o " + quote(out));
        EXPECT_EQ(r.exit_code, 0) << r.err;
        if (err) *err = r.err;
        run_ffmpeg("-i " + quote(out) + " -frames:v 1 -f rawvideo -pix_fmt rgb24 " + quote(rgb));
        std::ifstream in(rgb, std::ios::binary);
        std::vector<unsigned char> pixels((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        // The worst distance from magenta over the corners, the edges' midpoints and the border.
        int worst = 0;
        for (int y : {1, 4, 50, 180, 310, 355, 358})
            for (int x : {1, 4, 100, 320, 540, 635, 638}) {
                if (y > 50 && y < 310 && x > 100 && x < 540) continue;  // the head's region
                const unsigned char* p = &pixels[(std::size_t(y) * 640 + x) * 3];
                worst = std::max({worst, std::abs(p[0] - 255), std::abs(p[1] - 0), std::abs(p[2] - 255)});
            }
        return worst;
    };
    std::string err;
    EXPECT_LE(border_rgb("#00B140", &err), 6);
    EXPECT_EQ(err.find("warning"), std::string::npos) << err;  // the vignette is not a different colour
    EXPECT_LE(border_rgb("auto", nullptr), 6);
    // A given colour whose hue is not the border's: keyed, but the user hears about it.
    border_rgb("#00FF00", &err);
    EXPECT_NE(err.find("warning"), std::string::npos) << err;
    EXPECT_NE(err.find("--key auto"), std::string::npos) << err;
    // ... and so does a program reading --json.
    CommandResult warned = run_avpost("--json compose --video " + quote(clip) + " --key '#00FF00' --background '#FF00FF' "
                                      "--vcodec ffv1 -o " + quote(dir.file("warned.mkv")));
    ASSERT_EQ(warned.exit_code, 0) << warned.err;
    const auto warnings = nlohmann::json::parse(warned.out)["warnings"];
    ASSERT_EQ(warnings.size(), 1u) << warned.out;
    EXPECT_NE(warnings[0].get<std::string>().find("--key auto"), std::string::npos) << warned.out;

    // `auto` reports the lit backdrop, not a dark corner: in JSON and in text mode.
    const std::string out = dir.file("auto.mkv");
    CommandResult json = run_avpost("--json compose --video " + quote(clip) +
                                    " --key auto --background '#FF00FF' --vcodec ffv1 -o " + quote(out));
    ASSERT_EQ(json.exit_code, 0) << json.err;
    int r = 0, g = 0, b = 0;
    const std::string found = nlohmann::json::parse(json.out)["key"].get<std::string>();
    ASSERT_EQ(std::sscanf(found.c_str(), "#%02X%02X%02X", &r, &g, &b), 3) << found;
    EXPECT_NEAR(r, 0, 10);
    EXPECT_NEAR(g, 177, 12);
    EXPECT_NEAR(b, 64, 10);
    CommandResult text = run_avpost("compose --video " + quote(clip) + " --key auto --background '#FF00FF' --vcodec ffv1 -o " +
                                    quote(out));
    ASSERT_EQ(text.exit_code, 0) << text.err;
    EXPECT_NE(text.out.find("key: " + found), std::string::npos) << text.out;
}


// A hard edge between a red avatar and the green backdrop, on an odd column so one chroma sample
// is half red, half green: no olive fringe with `auto`. Red carries a large negative share of
// green's chroma, so a matte that ignores it calls that sample opaque and shows the olive mix.
TEST_F(ComposeKey, HardRedGreenEdgeHasNoOliveFringe) {
    TempDir dir;
    const std::string clip = dir.file("red.mp4");
    // A red square, its edge half a pixel soft (a real lens), on #00B140.
    const std::string a = "clip(min(min(X-100.5,220.5-X),min(Y-60.5,180.5-Y))+0.5,0,1)";
    run_ffmpeg("-f lavfi -i " +
               quote("color=black:size=320x240:rate=25:duration=0.2,format=rgb24,geq=r='" + a + "*220':g='(1-" + a +
                     ")*177':b='" + a + "*20+(1-" + a + ")*64'") +
               " -vf scale=out_color_matrix=bt601:out_range=tv,format=yuv420p "
               "-c:v libx264 -crf 18 -colorspace smpte170m -color_range tv " + quote(clip));
    const std::string out = dir.file("keyed.mkv"), rgb = dir.file("keyed.rgb");
    CommandResult r = run_avpost("compose --video " + quote(clip) + " --key auto --background '#FFFFFF' --vcodec ffv1 -o " +
                                 quote(out));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    run_ffmpeg("-i " + quote(out) + " -frames:v 1 -f rawvideo -pix_fmt rgb24 " + quote(rgb));
    std::ifstream in(rgb, std::ios::binary);
    std::vector<unsigned char> pixels((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // Across the left, top and right edges no pixel has a green cast (olive: green well above
    // blue; a mix of this red with white has green at most a little below blue). The pixel that
    // shares its chroma sample with white is a darker red in 4:2:0 whatever the keyer does.
    auto green_cast = [&](int x, int y) {
        const unsigned char* p = &pixels[(std::size_t(y) * 320 + x) * 3];
        return int(p[1]) - int(p[2]) + 20 * (255 - p[1]) / 255;
    };
    int worst = 0;
    for (int y = 70; y < 170; ++y)
        for (int x : {96, 97, 98, 99, 100, 101, 102, 103, 104, 216, 217, 218, 219, 220, 221, 222, 223, 224})
            worst = std::max(worst, green_cast(x, y));
    for (int x = 110; x < 210; ++x)
        for (int y = 55; y < 66; ++y) worst = std::max(worst, green_cast(x, y));
    EXPECT_LE(worst, 16);
}
