// Keying footage like a real green-screen shoot, against ground truth, on every channel: a face
// with textured, noisy skin and hair of fine strands (thin, high-frequency alpha), shot over
// #00B140 lit unevenly (a vignette) with sensor noise, encoded H.264 yuv420p. The ground truth is
// the same foreground composited with the true matte over the new background in float. Each
// keyed composite is scored on Y, U, V and the edge band and compared with the best of ffmpeg's
// chromakey + despill settings in the same run; where the true matte is partial, V must not be
// biased (green's Cr is far from any skin's, so an edge alpha error shows most there).
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "media_helpers.hpp"

using namespace avpost::testing;

namespace {

constexpr int W = 320, H = 240, frames = 8;
constexpr int CW = W / 2, CH = H / 2;

struct Rgb {
    double r, g, b;
};

// BT.601 limited range, as the canvas (below HD) is.
std::array<double, 3> yuv_of(Rgb c) {
    const double y = 0.299 * c.r + 0.587 * c.g + 0.114 * c.b;
    return {16 + 219 * y / 255, 128 + 224 * (0.564 * (c.b - y)) / 255, 128 + 224 * (0.713 * (c.r - y)) / 255};
}

double clamp01(double v) { return std::clamp(v, 0.0, 1.0); }

// Deterministic noise in [-1, 1] per (x, y, n, channel).
double noise(int x, int y, int n, int channel) {
    std::uint32_t h = std::uint32_t(x) * 73856093u ^ std::uint32_t(y) * 19349663u ^ std::uint32_t(n) * 83492791u ^
                      std::uint32_t(channel) * 2654435761u;
    h ^= h >> 13;
    h *= 0x5bd1e995u;
    h ^= h >> 15;
    return double(h & 0xffff) / 32767.5 - 1.0;
}

double segment_distance(double px, double py, double ax, double ay, double bx, double by) {
    const double dx = bx - ax, dy = by - ay;
    const double t = std::clamp(((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy), 0.0, 1.0);
    return std::hypot(px - ax - t * dx, py - ay - t * dy);
}

struct Look {
    Rgb hair, shirt;
};

// One frame's true matte and the foreground's own colour (its texture and noise included).
struct Frame {
    std::vector<double> alpha;
    std::vector<Rgb> colour;
};

// A head (soft edge) with a hairline of about 70 strands 0.8 to 2 px wide that sway, a neck and
// shoulders; skin with shading, pores and noise; hair whose strands differ in brightness.
Frame make_frame(int n, const Look& look) {
    Frame f{std::vector<double>(std::size_t(W) * H, 0.0), std::vector<Rgb>(std::size_t(W) * H)};
    const double cx = 158 + 1.5 * n, cy = 118, rx = 52, ry = 66;
    std::vector<double> hair(std::size_t(W) * H, 0.0);
    constexpr int strands = 70;
    for (int s = 0; s < strands; ++s) {
        // Strands leave the upper half of the head outwards, curling a little, each its own sway.
        const double angle = M_PI * (1.08 + 0.84 * s / (strands - 1)) + 0.03 * noise(s, 0, 0, 7);
        const double length = 10 + 12 * (0.5 + 0.5 * noise(s, 1, 0, 7));
        const double half_width = 0.4 + 0.6 * (0.5 + 0.5 * noise(s, 2, 0, 7));
        const double opacity = 0.55 + 0.45 * (0.5 + 0.5 * noise(s, 3, 0, 7));
        const double curl = 0.35 * noise(s, 4, 0, 7) + 0.12 * std::sin(0.7 * n + s);
        double px = cx + 0.92 * rx * std::cos(angle), py = cy + 0.92 * ry * std::sin(angle);
        double direction = angle;
        for (int piece = 0; piece < 4; ++piece) {
            direction += curl;
            const double qx = px + length / 4 * std::cos(direction), qy = py + length / 4 * std::sin(direction);
            const int x0 = std::max(0, int(std::min(px, qx) - 3)), x1 = std::min(W - 1, int(std::max(px, qx) + 3));
            const int y0 = std::max(0, int(std::min(py, qy) - 3)), y1 = std::min(H - 1, int(std::max(py, qy) + 3));
            for (int y = y0; y <= y1; ++y)
                for (int x = x0; x <= x1; ++x) {
                    const double cover = opacity * clamp01(half_width + 0.5 - segment_distance(x, y, px, py, qx, qy));
                    double& a = hair[std::size_t(y) * W + x];
                    a = std::max(a, cover);
                }
            px = qx;
            py = qy;
        }
    }
    for (int y = 0; y < H; ++y)
        for (int x = 0; x < W; ++x) {
            const std::size_t i = std::size_t(y) * W + x;
            const double dx = (x - cx) / rx, dy = (y - cy) / ry;
            const double radius = std::hypot(dx, dy);
            // The head's outline is not a perfect ellipse; its edge is about 1.5 px soft.
            const double theta = std::atan2(dy, dx);
            const double outline = 1 + 0.025 * std::sin(7 * theta + 0.2 * n);
            const double head = clamp01((outline - radius) * rx / 1.5 + 0.5);
            const double neck = clamp01(std::min({(x - (cx - 20)) + 0.5, ((cx + 20) - x) + 0.5, (y - (cy + 50)) + 0.5}));
            const double shoulder_top = 196 + 0.004 * (x - cx) * (x - cx);
            const double shoulders = clamp01(std::min({y - shoulder_top + 0.5, (x - (cx - 120)) / 1.2 + 0.5,
                                                       ((cx + 120) - x) / 1.2 + 0.5}));
            const double body = std::max(neck, shoulders);
            const double a = std::max({head, body, hair[i]});
            f.alpha[i] = a;
            Rgb c;
            const double grain = 4 * noise(x, y, n, 0);  // sensor noise on the foreground
            if (shoulders >= neck && shoulders > 0 && y > shoulder_top - 2) {
                const double fold = 10 * std::sin(x / 9.0 + y / 13.0);
                c = {look.shirt.r + fold + grain, look.shirt.g + fold + grain, look.shirt.b + fold + grain};
            } else if (hair[i] > head && hair[i] >= neck) {
                const int s = int(std::fmod(std::atan2(y - cy, x - cx) * 40 + 1000, 70));  // strand-wise shade
                const double shade = 18 * noise(s, 5, 0, 7);
                c = {look.hair.r + shade + grain, look.hair.g + shade * 0.8 + grain, look.hair.b + shade * 0.6 + grain};
            } else if (dy < -0.55 + 0.08 * std::sin(9 * dx)) {
                const double shade = 12 * std::sin(x / 2.3 + y / 3.1);  // hair mass over the forehead
                c = {look.hair.r + shade + grain, look.hair.g + shade * 0.8 + grain, look.hair.b + shade * 0.6 + grain};
            } else {
                const double light = 22 * (0.5 - (x - cx) / (2 * rx));  // lit from the left
                const double pores = 6 * noise(x / 2, y / 2, 0, 3) + 3 * std::sin(x / 1.7) * std::cos(y / 2.1);
                c = {205 + light + pores + grain, 148 + 0.8 * light + pores + 0.8 * grain,
                     122 + 0.7 * light + pores + 0.7 * grain};
            }
            f.colour[i] = {std::clamp(c.r, 0.0, 255.0), std::clamp(c.g, 0.0, 255.0), std::clamp(c.b, 0.0, 255.0)};
        }
    return f;
}

struct Render {
    std::string path;
    std::vector<std::vector<double>> alpha;                  // true alpha per frame
    std::vector<std::vector<std::array<double, 3>>> avatar;  // the foreground's YUV per pixel
};

// `look` over #00B140 that falls off by `vignette` towards the corners, with backdrop noise.
Render make_render(const TempDir& dir, const std::string& tag, const Look& look, double vignette) {
    Render r;
    const std::string raw = dir.file(tag + ".rgb");
    std::ofstream out(raw, std::ios::binary);
    for (int n = 0; n < frames; ++n) {
        Frame f = make_frame(n, look);
        std::vector<std::array<double, 3>> yuv(f.colour.size());
        for (int y = 0; y < H; ++y)
            for (int x = 0; x < W; ++x) {
                const std::size_t i = std::size_t(y) * W + x;
                const double r2 = std::pow((x - W / 2.0) / (W / 2.0), 2) + std::pow((y - H / 2.0) / (H / 2.0), 2);
                const double k = (1 - vignette * r2 / 2) * (1 + 0.012 * noise(x, y, n, 9));
                const Rgb b{0, 177 * k, 64 * k};
                const double a = f.alpha[i];
                const Rgb& c = f.colour[i];
                yuv[i] = yuv_of(c);
                const double rgb[3] = {a * c.r + (1 - a) * b.r, a * c.g + (1 - a) * b.g, a * c.b + (1 - a) * b.b};
                for (double v : rgb) out.put(char(std::lround(std::clamp(v, 0.0, 255.0))));
            }
        r.alpha.push_back(std::move(f.alpha));
        r.avatar.push_back(std::move(yuv));
    }
    out.close();
    r.path = dir.file(tag + ".mp4");
    run_ffmpeg("-f rawvideo -pix_fmt rgb24 -s " + std::to_string(W) + "x" + std::to_string(H) + " -r 25 -i " +
               quote(raw) +
               " -vf scale=out_color_matrix=bt601:out_range=tv:flags=bicubic+accurate_rnd,format=yuv420p"
               " -c:v libx264 -crf 18 -colorspace smpte170m -color_range tv " + quote(r.path));
    return r;
}

// Where the true matte is partial (0 < alpha < 1 over a chroma sample): the error of V and U.
struct EdgeChroma {
    double v_bias = 0, v_rms = 0, v_worst = 0, u_bias = 0, u_rms = 0;
    double y_rms_absent = 0, y_rms_partial = 0, y_rms_opaque = 0;  // luma error by the true alpha
    double v_rms_absent = 0, v_rms_opaque = 0;
};

struct Figures {
    double y = 0, u = 0, v = 0, edge_y = 0;
    EdgeChroma edge;
};

// The composite from the true matte in float over `bg`, compared with the video at `path`.
Figures score(const std::string& path, const Render& m, const YuvFrame& bg) {
    const auto out = decode_video(path);
    EXPECT_EQ(out.size(), std::size_t(frames)) << path;
    std::vector<double> ry, ru, rv, re;
    std::vector<std::uint8_t> gy, gu, gv, ge;
    double v_sum = 0, v_square = 0, v_worst = 0, u_sum = 0, u_square = 0, count = 0;
    double y_square[3] = {0, 0, 0}, y_count[3] = {0, 0, 0}, v_square_settled[2] = {0, 0}, v_count_settled[2] = {0, 0};
    for (std::size_t n = 0; n < out.size() && n < m.alpha.size(); ++n) {
        const auto& a = m.alpha[n];
        const auto& f = m.avatar[n];
        std::vector<char> edge(std::size_t(W) * H, 0);  // 0 < alpha < 1, dilated by 2 pixels
        for (int y = 0; y < H; ++y)
            for (int x = 0; x < W; ++x) {
                const double v = a[std::size_t(y) * W + x];
                if (v <= 0.002 || v >= 0.998) continue;
                for (int yy = std::max(0, y - 2); yy <= std::min(H - 1, y + 2); ++yy)
                    for (int xx = std::max(0, x - 2); xx <= std::min(W - 1, x + 2); ++xx) edge[std::size_t(yy) * W + xx] = 1;
            }
        for (int y = 0; y < H; ++y)
            for (int x = 0; x < W; ++x) {
                const std::size_t i = std::size_t(y) * W + x;
                const double ref = a[i] * f[i][0] + (1 - a[i]) * bg.Y(x, y);
                ry.push_back(ref);
                gy.push_back(out[n].Y(x, y));
                const int region = a[i] <= 0.002 ? 0 : a[i] >= 0.998 ? 2 : 1;
                y_square[region] += (out[n].Y(x, y) - ref) * (out[n].Y(x, y) - ref);
                y_count[region] += 1;
                if (edge[i]) {
                    re.push_back(ref);
                    ge.push_back(out[n].Y(x, y));
                }
            }
        for (int cy = 0; cy < CH; ++cy)
            for (int cx = 0; cx < CW; ++cx) {
                double su = 0, sv = 0, sa = 0;
                for (int y = 2 * cy; y < 2 * cy + 2; ++y)
                    for (int x = 2 * cx; x < 2 * cx + 2; ++x) {
                        const std::size_t i = std::size_t(y) * W + x;
                        su += a[i] * f[i][1] + (1 - a[i]) * bg.U(cx, cy);
                        sv += a[i] * f[i][2] + (1 - a[i]) * bg.V(cx, cy);
                        sa += a[i];
                    }
                ru.push_back(su / 4);
                rv.push_back(sv / 4);
                gu.push_back(out[n].U(cx, cy));
                gv.push_back(out[n].V(cx, cy));
                if (sa / 4 <= 0.002 || sa / 4 >= 0.998) {
                    const int k = sa / 4 >= 0.998;
                    v_square_settled[k] += (out[n].V(cx, cy) - sv / 4) * (out[n].V(cx, cy) - sv / 4);
                    v_count_settled[k] += 1;
                }
                if (sa / 4 > 0.002 && sa / 4 < 0.998) {
                    const double dv = out[n].V(cx, cy) - sv / 4, du = out[n].U(cx, cy) - su / 4;
                    v_sum += dv;
                    v_square += dv * dv;
                    v_worst = std::max(v_worst, std::abs(dv));
                    u_sum += du;
                    u_square += du * du;
                    ++count;
                }
            }
    }
    Figures fig{psnr(ry, gy), psnr(ru, gu), psnr(rv, gv), psnr(re, ge), {}};
    if (count > 0)
        fig.edge = {v_sum / count, std::sqrt(v_square / count), v_worst, u_sum / count, std::sqrt(u_square / count),
                    std::sqrt(y_square[0] / std::max(y_count[0], 1.0)), std::sqrt(y_square[1] / std::max(y_count[1], 1.0)),
                    std::sqrt(y_square[2] / std::max(y_count[2], 1.0)),
                    std::sqrt(v_square_settled[0] / std::max(v_count_settled[0], 1.0)),
                    std::sqrt(v_square_settled[1] / std::max(v_count_settled[1], 1.0))};
    return fig;
}

void print(const std::string& what, const Figures& f) {
    std::printf("key %-44s PSNR Y %.2f U %.2f V %.2f dB, edge band Y %.2f dB | partial alpha: V bias %+.2f rms %.2f "
                "worst %.0f, U bias %+.2f rms %.2f | Y rms absent %.2f partial %.2f opaque %.2f | V rms absent %.2f opaque %.2f\n",
                what.c_str(), f.y, f.u, f.v, f.edge_y, f.edge.v_bias, f.edge.v_rms, f.edge.v_worst, f.edge.u_bias,
                f.edge.u_rms, f.edge.y_rms_absent, f.edge.y_rms_partial, f.edge.y_rms_opaque, f.edge.v_rms_absent, f.edge.v_rms_opaque);
}

struct Background {
    std::string name, png;
    YuvFrame yuv;
};

class ComposeKeyFootage : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        dir_ = new TempDir;
        // A dark and a light background, each with a gentle gradient, as the canvas sees them.
        const std::pair<const char*, const char*> looks[] = {
            {"dark", "r='18+22*X/W':g='22+14*Y/H':b='34+10*X/W'"},
            {"light", "r='236-14*Y/H':g='232-6*X/W':b='222'"},
        };
        for (const auto& [name, expression] : looks) {
            const std::string png = dir_->file(std::string(name) + ".png"), mkv = dir_->file(std::string(name) + ".mkv");
            run_ffmpeg("-f lavfi -i " +
                       quote("color=black:size=" + std::to_string(W) + "x" + std::to_string(H) + ",format=rgb24,geq=" +
                             expression) +
                       " -frames:v 1 " + quote(png));
            run_ffmpeg("-i " + quote(png) +
                       " -vf scale=out_color_matrix=bt601:out_range=tv:flags=bicubic+accurate_rnd,format=yuv420p -c:v ffv1 " +
                       quote(mkv));
            backgrounds_.push_back({name, png, decode_video(mkv).at(0)});
        }
        renders_.push_back({"dark hair", make_render(*dir_, "dark-hair", {{58, 40, 30}, {48, 58, 82}}, 0.35)});
        renders_.push_back({"fair hair", make_render(*dir_, "fair-hair", {{214, 178, 118}, {228, 226, 218}}, 0.35)});
    }
    static void TearDownTestSuite() {
        backgrounds_.clear();
        renders_.clear();
        delete dir_;
    }
    static TempDir* dir_;
    static std::vector<Background> backgrounds_;
    static std::vector<std::pair<std::string, Render>> renders_;
};

TempDir* ComposeKeyFootage::dir_ = nullptr;
std::vector<Background> ComposeKeyFootage::backgrounds_;
std::vector<std::pair<std::string, Render>> ComposeKeyFootage::renders_;

// The best of 18 ffmpeg chromakey (+ despill) settings, each figure on its own.
Figures best_ffmpeg(const TempDir& dir, const Render& m, const Background& bg) {
    Figures best;
    for (const char* similarity : {"0.08", "0.12", "0.18"})
        for (const char* blend : {"0.02", "0.06", "0.12"})
            for (bool despill : {false, true}) {
                const std::string ff = dir.file("ff.mkv");
                const std::string key = std::string("chromakey=color=0x00B140:similarity=") + similarity + ":blend=" + blend;
                const std::string fg = despill ? key + ",format=gbrap,despill=type=green" : key;
                run_ffmpeg("-i " + quote(m.path) + " -i " + quote(bg.png) +
                           " -filter_complex \"[1:v]scale=out_color_matrix=bt601:out_range=tv:flags=bicubic+accurate_rnd,"
                           "format=yuv420p[bg];[0:v]" + fg + "[fg];[bg][fg]overlay=format=yuv420,format=yuv420p\" -c:v ffv1 " +
                           quote(ff));
                const Figures f = score(ff, m, bg.yuv);
                if (f.v > best.v) best.edge = f.edge;  // the split printed: the setting best on V
                best.y = std::max(best.y, f.y);
                best.u = std::max(best.u, f.u);
                best.v = std::max(best.v, f.v);
                best.edge_y = std::max(best.edge_y, f.edge_y);
            }
    return best;
}

}  // namespace

TEST_F(ComposeKeyFootage, EveryChannelAtLeastFfmpegsBestOnSkinAndHairOverDarkAndLight) {
    for (const auto& [look, render] : renders_)
        for (const Background& bg : backgrounds_) {
            const std::string what = look + " over " + bg.name;
            SCOPED_TRACE(what);
            const Figures ff = best_ffmpeg(*dir_, render, bg);
            print(what + ", best ffmpeg", ff);
            for (const char* key : {"#00B140", "auto"}) {
                const std::string out = dir_->file("keyed.mkv");
                const CommandResult r = run_avpost("compose --quiet --video " + quote(render.path) + " --key " +
                                                   quote(key) + " --background " + quote(bg.png) +
                                                   " --vcodec ffv1 -o " + quote(out));
                ASSERT_EQ(r.exit_code, 0) << r.err;
                const Figures ours = score(out, render, bg.yuv);
                print(what + ", avpost --key " + key, ours);
                // Every channel at least as good as ffmpeg's best (each ffmpeg figure is the best
                // of 18 settings on its own), with no tolerance: both sides are deterministic.
                EXPECT_GE(ours.y, ff.y) << key;
                EXPECT_GE(ours.u, ff.u) << key;
                EXPECT_GE(ours.v, ff.v) << key;
                EXPECT_GE(ours.edge_y, ff.edge_y) << key;
                // Where the avatar is partly transparent V was biased by -7 levels (hair and skin
                // mixes called too opaque); now within 3, and U within 2.
                EXPECT_LE(std::abs(ours.edge.v_bias), 3.0) << key;
                EXPECT_LE(std::abs(ours.edge.u_bias), 2.0) << key;
            }
        }
}
