// The whole canvas of every output frame against a float reference computed here, over a matrix of
// backgrounds (still, slower, equal, faster, variable frame rate, shorter: loop, hold, stop; H.264
// in MP4/MKV and MPEG-4 Part 2 in AVI), placements (origin, odd, negative, partly off the canvas,
// scaled by --size and --fit), canvases larger and smaller than the background (cover scaling)
// and a scene with a video layer above the avatar.
//
// The timing rule under test (README, compose --help): every input's clock starts at its own first
// presented frame; each output frame shows the latest background (or layer, or mask) frame whose
// time, counted from that file's first frame, is <= the output frame's time counted from the
// avatar's first frame; the same frame everywhere on the canvas. A second matrix gives the avatar
// and its matte start offsets that differ (AVI with packed B-frames, MP4 with B-frames and no edit
// list, MPEG-TS at 1.4 s, VFR, a matte at another rate) and checks the audio's offset as well.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <optional>

#include <nlohmann/json.hpp>

#include "media_helpers.hpp"

using namespace avpost::testing;

namespace {

// Sizes that are not multiples of 16 (or of 2, for the scaled canvas); 23.976 fps avatar.
constexpr int avatar_w = 150, avatar_h = 106;
constexpr int bg_w = 202, bg_h = 154;
const char* const avatar_rate = "2997/125";

// The media every case shares, made once.
class MatrixMedia {
public:
    static MatrixMedia& get() {
        static MatrixMedia media;
        return media;
    }
    std::string path(const std::string& name) const { return dir_.file(name); }

    // A background file, made on first use.
    std::string background(const std::string& kind) {
        const std::string file = background_file(kind);
        if (!made_.count(kind)) {
            made_[kind] = true;
            const std::string src = "testsrc2=size=" + std::to_string(bg_w) + "x" + std::to_string(bg_h);
            if (kind == "png")
                run_ffmpeg("-f lavfi -i " + src + ":rate=1 -frames:v 1 " + quote(file));
            else if (kind == "h264-10")
                run_ffmpeg("-f lavfi -i " + src + ":rate=10:duration=4 -c:v libx264 -pix_fmt yuv420p " + quote(file));
            else if (kind == "mpeg4-10")
                run_ffmpeg("-f lavfi -i " + src + ":rate=10:duration=4 -c:v mpeg4 -q:v 3 " + quote(file));
            else if (kind == "mpeg4-same")
                run_ffmpeg("-f lavfi -i " + src + ":rate=" + avatar_rate + ":duration=4 -c:v mpeg4 -q:v 3 " + quote(file));
            else if (kind == "mpeg4-30")
                run_ffmpeg("-f lavfi -i " + src + ":rate=30:duration=4 -c:v mpeg4 -q:v 3 " + quote(file));
            else if (kind == "vfr")
                // Irregular steps of 100, 140 and 60 ms (a phone's variable frame rate), in Matroska.
                run_ffmpeg("-f lavfi -i " + src + ":rate=10:duration=4 -vf \"setpts='(N*0.1+0.04*mod(N,3))/TB'\" "
                           "-fps_mode passthrough -c:v libx264 -pix_fmt yuv420p " + quote(file));
            else if (kind == "mpeg4-short")
                run_ffmpeg("-f lavfi -i " + src + ":rate=10:duration=1 -c:v mpeg4 -q:v 3 " + quote(file));
            else if (kind == "layer")
                // A small video layer at 12.5 fps, 0.8 s long (it loops).
                run_ffmpeg("-f lavfi -i testsrc=size=40x30:rate=25/2:duration=0.8 -c:v libx264 -pix_fmt yuv420p " +
                           quote(file));
            else
                throw std::runtime_error("unknown background kind " + kind);
        }
        return file;
    }

private:
    MatrixMedia() {
        // The avatar is real-looking lossy H.264; the matte a soft disc that moves every frame, so
        // a matte paired with the wrong avatar frame shows.
        const std::string size = std::to_string(avatar_w) + "x" + std::to_string(avatar_h);
        run_ffmpeg("-f lavfi -i testsrc2=size=" + size + ":rate=" + avatar_rate +
                   ":duration=2.5 -c:v libx264 -pix_fmt yuv420p " + quote(path("avatar.mp4")));
        run_ffmpeg("-f lavfi -i \"color=black:size=" + size + ":rate=" + avatar_rate +
                   ":duration=2.5,format=yuv420p,geq=lum='16+219*clip((44-hypot(X-75-20*sin(N/4),Y-56))/12,0,1)':"
                   "cb=128:cr=128\" -c:v libx264 -pix_fmt yuv420p " + quote(path("mask.mp4")));
    }
    std::string background_file(const std::string& kind) const {
        const std::string ext = kind == "png" ? ".png" : kind == "vfr" ? ".mkv" : kind.starts_with("mpeg4") ? ".avi" : ".mp4";
        return path("bg-" + kind + ext);
    }

    TempDir dir_;
    std::map<std::string, bool> made_;
};

// A picture as float planes (yuv420p).
struct FloatFrame {
    int width = 0, height = 0;
    std::vector<double> y, u, v;
    int cw() const { return (width + 1) / 2; }
    int ch() const { return (height + 1) / 2; }
    static FloatFrame of(const YuvFrame& f) {
        FloatFrame r;
        r.width = f.width;
        r.height = f.height;
        r.y.assign(f.y.begin(), f.y.end());
        r.u.assign(f.u.begin(), f.u.end());
        r.v.assign(f.v.begin(), f.v.end());
        return r;
    }
};

// Alpha in [0,1] of a limited-range matte.
std::vector<double> alpha_of(const YuvFrame& mask) {
    std::vector<double> a(mask.y.size());
    for (std::size_t i = 0; i < a.size(); ++i) a[i] = std::clamp((mask.y[i] - 16) / 219.0, 0.0, 1.0);
    return a;
}

// Resamples an alpha plane the way a float reference would: box average for exact integer
// shrinking, bilinear (pixel centres) otherwise.
std::vector<double> resample(const std::vector<double>& a, int w, int h, int to_w, int to_h) {
    if (w == to_w && h == to_h) return a;
    std::vector<double> out(std::size_t(to_w) * to_h);
    if (w % to_w == 0 && h % to_h == 0) {
        int fx = w / to_w, fy = h / to_h;
        for (int y = 0; y < to_h; ++y)
            for (int x = 0; x < to_w; ++x) {
                double s = 0;
                for (int j = 0; j < fy; ++j)
                    for (int i = 0; i < fx; ++i) s += a[std::size_t(y * fy + j) * w + (x * fx + i)];
                out[std::size_t(y) * to_w + x] = s / (fx * fy);
            }
        return out;
    }
    for (int y = 0; y < to_h; ++y) {
        double sy = std::clamp((y + 0.5) * h / to_h - 0.5, 0.0, h - 1.0);
        int y0 = int(sy), y1 = std::min(y0 + 1, h - 1);
        double wy = sy - y0;
        for (int x = 0; x < to_w; ++x) {
            double sx = std::clamp((x + 0.5) * w / to_w - 0.5, 0.0, w - 1.0);
            int x0 = int(sx), x1 = std::min(x0 + 1, w - 1);
            double wx = sx - x0;
            auto at = [&](int yy, int xx) { return a[std::size_t(yy) * w + xx]; };
            out[std::size_t(y) * to_w + x] = (1 - wy) * ((1 - wx) * at(y0, x0) + wx * at(y0, x1)) +
                                             wy * ((1 - wx) * at(y1, x0) + wx * at(y1, x1));
        }
    }
    return out;
}

// Draws `top` (with per-pixel alpha `alpha`, top's size) over `canvas` at (px, py). Chroma: each
// canvas chroma sample is the mean over the canvas pixels it covers of a_p * top + (1 - a_p) * canvas,
// where top's chroma for pixel p is the sample of top's own 4:2:0 grid that covers p.
void draw_over(FloatFrame& canvas, const FloatFrame& top, const std::vector<double>& alpha, int px, int py) {
    const int W = canvas.width, H = canvas.height;
    auto inside = [&](int x, int y) { return x >= px && y >= py && x < px + top.width && y < py + top.height; };
    for (int cy = 0; cy < canvas.ch(); ++cy)
        for (int cx = 0; cx < canvas.cw(); ++cx) {
            double n = 0, su = 0, sv = 0;
            const std::size_t ci = std::size_t(cy) * canvas.cw() + cx;
            for (int y = 2 * cy; y < std::min(2 * cy + 2, H); ++y)
                for (int x = 2 * cx; x < std::min(2 * cx + 2, W); ++x) {
                    ++n;
                    double a = 0, tu = 0, tv = 0;
                    if (inside(x, y)) {
                        int ax = x - px, ay = y - py;
                        a = alpha[std::size_t(ay) * top.width + ax];
                        std::size_t ti = std::size_t(ay / 2) * top.cw() + ax / 2;
                        tu = top.u[ti];
                        tv = top.v[ti];
                    }
                    su += a * tu + (1 - a) * canvas.u[ci];
                    sv += a * tv + (1 - a) * canvas.v[ci];
                }
            canvas.u[ci] = su / n;
            canvas.v[ci] = sv / n;
        }
    for (int y = std::max(py, 0); y < std::min(py + top.height, H); ++y)
        for (int x = std::max(px, 0); x < std::min(px + top.width, W); ++x) {
            double a = alpha[std::size_t(y - py) * top.width + (x - px)];
            double& c = canvas.y[std::size_t(y) * W + x];
            c = a * top.y[std::size_t(y - py) * top.width + (x - px)] + (1 - a) * c;
        }
}

// Which frame of a stream (times from its first frame) is on screen at `t`: the latest whose
// time is <= t, the first before it; past the end, loop or hold.
std::optional<std::size_t> frame_at(const std::vector<YuvFrame>& frames, double t, const std::string& end,
                                    double frame_seconds) {
    const double first = frames.front().seconds;
    const double period = frames.back().seconds - first + frame_seconds;
    if (t >= period) {
        if (end == "stop") return std::nullopt;
        if (end == "loop") t = std::fmod(t, period);
    }
    std::size_t k = 0;
    for (std::size_t i = 0; i < frames.size(); ++i)
        if (frames[i].seconds - first <= t + 1e-6) k = i;
    return k;
}

struct Figures {
    double psnr_y = 0, psnr_u = 0, psnr_v = 0;
    double worst = 0;  // the largest |output - reference| over every sample of every plane
    std::size_t worst_frame = 0;
    std::size_t frames = 0;
};

struct MatrixCase {
    std::string name;
    std::string background;          // a MatrixMedia kind
    std::string flags;               // placement and canvas flags for compose
    std::string bg_end = "loop";
    double bg_frame_seconds = 0.1;   // the nominal frame time of the background (for loop/stop)
    // The background the reference uses when the canvas is not the background's size: ffmpeg's
    // crop + scale filter chain doing "cover, centred".
    std::string bg_filter;
    bool scene = false;              // a video layer above the avatar (the layer's kind is "layer")
    // Lossless either way; x264 keeps references to frames it has not encoded yet, which the
    // static-background path (only the avatar's rectangle rewritten) must survive.
    std::string encoder = "--vcodec ffv1";
};

std::ostream& operator<<(std::ostream& out, const MatrixCase& c) { return out << c.name; }

class ComposeReferenceMatrix : public ::testing::TestWithParam<MatrixCase> {};

// Decoded frames of `file`, through `filter` (ffmpeg CLI, lossless) when given, with the
// timestamps of the original file.
std::vector<YuvFrame> decoded(const std::string& file, const std::string& filter, const TempDir& dir,
                              const std::string& tag, bool still) {
    std::vector<YuvFrame> frames = decode_video(file);
    if (still || filter.empty()) {
        if (!still) return frames;
        // A still picture is RGB: converted (and scaled) in one step as the canvas does, to BT.601
        // limited range below HD.
        const std::string out = dir.file(tag + "-ref.mkv");
        run_ffmpeg("-i " + quote(file) + " -vf " +
                   (filter.empty() ? "scale=out_color_matrix=bt601:out_range=tv:flags=bicubic+accurate_rnd,format=yuv420p"
                                   : filter) +
                   " -c:v ffv1 " + quote(out));
        return decode_video(out);
    }
    const std::string out = dir.file(tag + "-ref.mkv");
    run_ffmpeg("-i " + quote(file) + " -vf " + filter + " -fps_mode passthrough -c:v ffv1 " + quote(out));
    std::vector<YuvFrame> scaled = decode_video(out);
    if (scaled.size() != frames.size()) throw std::runtime_error("the scaled reference lost frames");
    for (std::size_t i = 0; i < frames.size(); ++i) scaled[i].seconds = frames[i].seconds;
    return scaled;
}

Figures compare(const std::vector<YuvFrame>& output, const std::vector<FloatFrame>& reference) {
    Figures f;
    std::vector<double> ry, ru, rv;
    std::vector<std::uint8_t> gy, gu, gv;
    for (std::size_t i = 0; i < output.size(); ++i) {
        const YuvFrame& o = output[i];
        const FloatFrame& r = reference[i];
        for (std::size_t k = 0; k < r.y.size(); ++k)
            if (std::abs(r.y[k] - o.y[k]) > f.worst) f.worst = std::abs(r.y[k] - o.y[k]), f.worst_frame = i;
        ry.insert(ry.end(), r.y.begin(), r.y.end());
        ru.insert(ru.end(), r.u.begin(), r.u.end());
        rv.insert(rv.end(), r.v.begin(), r.v.end());
        gy.insert(gy.end(), o.y.begin(), o.y.end());
        gu.insert(gu.end(), o.u.begin(), o.u.end());
        gv.insert(gv.end(), o.v.begin(), o.v.end());
    }
    for (std::size_t i = 0; i < ry.size(); ++i) f.worst = std::max(f.worst, std::abs(ry[i] - gy[i]));
    for (std::size_t i = 0; i < ru.size(); ++i) f.worst = std::max(f.worst, std::abs(ru[i] - gu[i]));
    for (std::size_t i = 0; i < rv.size(); ++i) f.worst = std::max(f.worst, std::abs(rv[i] - gv[i]));
    f.psnr_y = psnr(ry, gy);
    f.psnr_u = psnr(ru, gu);
    f.psnr_v = psnr(rv, gv);
    f.frames = output.size();
    return f;
}

}  // namespace

TEST_P(ComposeReferenceMatrix, WholeCanvasMatchesFloatReference) {
    const MatrixCase& c = GetParam();
    MatrixMedia& media = MatrixMedia::get();
    TempDir dir;
    const std::string background = media.background(c.background);
    const std::string out = dir.file("out.mkv");
    std::string scene_args;
    const int layer_x = 181, layer_y = -7;  // the layer above: odd offset, partly off the canvas
    if (c.scene) {
        const std::string layer = media.background("layer");
        nlohmann::json scene = {{"canvas", std::to_string(bg_w) + "x" + std::to_string(bg_h)},
                                {"layers",
                                 {{{"type", "video"}, {"source", background}},
                                  {{"type", "avatar"}, {"offset", {37, 21}}},
                                  {{"type", "video"}, {"source", layer}, {"offset", {layer_x, layer_y}}}}}};
        std::ofstream(dir.file("scene.json")) << scene.dump();
        scene_args = " --scene " + quote(dir.file("scene.json"));
    } else {
        scene_args = " --background " + quote(background) + " --bg-end " + c.bg_end;
    }
    CommandResult r = run_avpost("--json compose --video " + quote(media.path("avatar.mp4")) + " --mask " +
                                 quote(media.path("mask.mp4")) + scene_args + " " + c.flags + " " + c.encoder + " -o " +
                                 quote(out));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto report = nlohmann::json::parse(r.out);
    int canvas_w = 0, canvas_h = 0, sw = 0, sh = 0;
    ASSERT_EQ(std::sscanf(report["canvas"].get<std::string>().c_str(), "%dx%d", &canvas_w, &canvas_h), 2);
    ASSERT_EQ(std::sscanf(report["avatar_size"].get<std::string>().c_str(), "%dx%d", &sw, &sh), 2);
    const int px = report["avatar_position"][0], py = report["avatar_position"][1];

    // The inputs as the reference sees them: the avatar scaled by ffmpeg's bicubic when placed
    // at another size, the matte resampled in float.
    std::vector<YuvFrame> avatar = decode_video(media.path("avatar.mp4"));
    if (sw != avatar_w || sh != avatar_h) {
        run_ffmpeg("-i " + quote(media.path("avatar.mp4")) + " -vf scale=" + std::to_string(sw) + ":" +
                   std::to_string(sh) + ":flags=bicubic+accurate_rnd -c:v ffv1 " + quote(dir.file("avatar-ref.mkv")));
        std::vector<YuvFrame> scaled = decode_video(dir.file("avatar-ref.mkv"));
        ASSERT_EQ(scaled.size(), avatar.size());
        for (std::size_t i = 0; i < scaled.size(); ++i) scaled[i].seconds = avatar[i].seconds;
        avatar = std::move(scaled);
    }
    const std::vector<YuvFrame> mask = decode_video(media.path("mask.mp4"));
    ASSERT_EQ(mask.size(), avatar.size());
    const bool still = c.background == "png";
    const std::vector<YuvFrame> bg = decoded(background, c.bg_filter, dir, "bg", still);
    ASSERT_FALSE(bg.empty());
    ASSERT_EQ(bg.front().width, canvas_w);
    ASSERT_EQ(bg.front().height, canvas_h);
    std::vector<YuvFrame> layer;
    if (c.scene) layer = decode_video(media.background("layer"));

    const std::vector<YuvFrame> output = decode_video(out);
    std::vector<FloatFrame> reference;
    const double avatar_first = avatar.front().seconds;
    for (std::size_t i = 0; i < avatar.size(); ++i) {
        const double t = avatar[i].seconds - avatar_first;
        std::optional<std::size_t> k = still ? std::optional<std::size_t>(0) : frame_at(bg, t, c.bg_end, c.bg_frame_seconds);
        if (!k) break;  // --bg-end stop: the output ends with the background
        FloatFrame frame = FloatFrame::of(bg[*k]);
        FloatFrame top = FloatFrame::of(avatar[i]);
        draw_over(frame, top, resample(alpha_of(mask[i]), avatar_w, avatar_h, sw, sh), px, py);
        if (c.scene) {
            FloatFrame above = FloatFrame::of(layer[*frame_at(layer, t, "loop", 0.08)]);
            draw_over(frame, above, std::vector<double>(std::size_t(above.width) * above.height, 1.0), layer_x, layer_y);
        }
        reference.push_back(std::move(frame));
    }
    ASSERT_EQ(output.size(), reference.size());
    ASSERT_EQ(output.front().width, canvas_w);
    ASSERT_EQ(output.front().height, canvas_h);

    const Figures f = compare(output, reference);
    std::printf("matrix %-22s canvas %dx%d avatar %dx%d at %d,%d: %zu frames, PSNR Y %.2f U %.2f V %.2f dB, worst %.2f\n",
                c.name.c_str(), canvas_w, canvas_h, sw, sh, px, py, f.frames, f.psnr_y, f.psnr_u, f.psnr_v, f.worst);
    RecordProperty("psnr_y", std::to_string(f.psnr_y));
    RecordProperty("worst", std::to_string(f.worst));
    EXPECT_LE(f.worst, 2.0);
    EXPECT_GE(f.psnr_y, 50.0);
    EXPECT_GE(f.psnr_u, 50.0);
    EXPECT_GE(f.psnr_v, 50.0);
}

INSTANTIATE_TEST_SUITE_P(
    Matrix, ComposeReferenceMatrix,
    ::testing::Values(
        MatrixCase{"StillAtOrigin", "png", "--position 0,0"},
        MatrixCase{"H264SlowerOddOffset", "h264-10", "--position 23,47"},
        MatrixCase{"Mpeg4AviSlowerNegative", "mpeg4-10", "--position -31,-17"},
        MatrixCase{"Mpeg4AviSameRateOffCanvas", "mpeg4-same", "--position 101,77", "loop", 125.0 / 2997},
        MatrixCase{"Mpeg4AviFaster", "mpeg4-30", "--position 7,3", "loop", 1.0 / 30},
        MatrixCase{"VariableFrameRate", "vfr", "--position 26,30", "loop", 0.1},
        MatrixCase{"ShortLoops", "mpeg4-short", "--position 10,11", "loop"},
        MatrixCase{"ShortHolds", "mpeg4-short", "--position 10,11", "hold"},
        MatrixCase{"ShortStops", "mpeg4-short", "--position 10,11", "stop"},
        MatrixCase{"ScaledBySize", "h264-10", "--size 75x53 --position 33,21"},
        MatrixCase{"ScaledByFitContain", "h264-10", "--fit contain"},
        MatrixCase{"CanvasLargerOdd", "mpeg4-30", "--canvas 303x231 --position 41,-9", "loop", 1.0 / 30,
                   "scale=303:231:flags=bicubic+accurate_rnd"},
        MatrixCase{"CanvasSmallerOdd", "h264-10", "--canvas 101x77 --position -20,-10", "loop", 0.1,
                   "scale=101:77:flags=bicubic+accurate_rnd"},
        MatrixCase{"CanvasCoverCrop", "mpeg4-10", "--canvas 202x118 --position 5,6", "loop", 0.1,
                   "crop=202:118:0:18"},
        MatrixCase{"StillCoverScaled", "png", "--canvas 303x231 --position 3,5", "loop", 0.1,
                   "scale=303:231:out_color_matrix=bt601:out_range=tv:flags=bicubic+accurate_rnd,format=yuv420p"},
        MatrixCase{"SceneVideoLayerAbove", "mpeg4-10", "--canvas 202x154", "loop", 0.1, "", true},
        MatrixCase{"StillThroughX264", "png", "--position 9,-5", "loop", 0.1, "", false, "--vcodec libx264 --crf 0"},
        MatrixCase{"VideoThroughX264", "h264-10", "--position 9,-5", "loop", 0.1, "", false,
                   "--vcodec libx264 --crf 0"}),
    [](const ::testing::TestParamInfo<MatrixCase>& info) { return info.param.name; });

// The same inputs give the same decoded frames on every run.
TEST(ComposeReferenceMatrixDeterminism, SameInputsSameFrames) {
    MatrixMedia& media = MatrixMedia::get();
    TempDir dir;
    std::vector<std::vector<YuvFrame>> runs;
    for (int run = 0; run < 3; ++run) {
        const std::string out = dir.file("run" + std::to_string(run) + ".mkv");
        CommandResult r = run_avpost("compose --video " + quote(media.path("avatar.mp4")) + " --mask " +
                                     quote(media.path("mask.mp4")) + " --background " + quote(media.background("vfr")) +
                                     " --position 23,47 --vcodec ffv1 -o " + quote(out));
        ASSERT_EQ(r.exit_code, 0) << r.err;
        runs.push_back(decode_video(out));
    }
    for (int run = 1; run < 3; ++run) {
        ASSERT_EQ(runs[run].size(), runs[0].size());
        for (std::size_t i = 0; i < runs[0].size(); ++i) {
            EXPECT_EQ(runs[run][i].y, runs[0][i].y) << "run " << run << " frame " << i;
            EXPECT_EQ(runs[run][i].u, runs[0][i].u) << "run " << run << " frame " << i;
            EXPECT_EQ(runs[run][i].v, runs[0][i].v) << "run " << run << " frame " << i;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Start offsets: the avatar and its matte in containers whose first timestamps differ.

namespace {

// How one input of a start-offset case is made: the container, its codec flags, and a filter
// that sets its timestamps (VFR).
struct OffsetInput {
    std::string ext;         // container, by extension
    std::string codec;       // ffmpeg video codec flags
    std::string audio;       // ffmpeg audio codec flags (the avatar only)
    std::string rate = avatar_rate;
    std::string setpts;      // a setpts expression, for variable frame rates
};

struct OffsetCase {
    std::string name;
    OffsetInput avatar, mask;
    std::string flags = "--position 24,48";
    bool expect_rate_warning = false;
};

std::ostream& operator<<(std::ostream& out, const OffsetCase& c) { return out << c.name; }

// Seconds of a file's first audio packet and its first presented video frame, per ffprobe.
double first_audio_seconds(const std::string& file) {
    CommandResult r = run_command(quote(FFPROBE_EXECUTABLE) + " -v error -select_streams a:0 -show_entries packet=pts_time "
                                  "-read_intervals %+#1 -of csv=p=0 " + quote(file));
    if (r.exit_code != 0 || r.out.empty()) throw std::runtime_error("no audio packet in " + file + ": " + r.err);
    return std::stod(r.out);
}

// Makes one input: the avatar (testsrc2 with a tone) or the matte (the moving soft disc).
void make_offset_input(const OffsetInput& in, bool is_avatar, const std::string& file) {
    const std::string size = std::to_string(avatar_w) + "x" + std::to_string(avatar_h);
    const std::string picture =
        is_avatar ? "testsrc2=size=" + size + ":rate=" + in.rate + ":duration=2.5"
                  : "color=black:size=" + size + ":rate=" + in.rate +
                        ":duration=2.5,format=yuv420p,geq=lum='16+219*clip((44-hypot(X-75-20*sin(N/4),Y-56))/12,0,1)':"
                        "cb=128:cr=128";
    std::string args = "-f lavfi -i \"" + picture + "\"";
    if (is_avatar) args += " -f lavfi -i sine=frequency=440:sample_rate=48000:duration=2.5";
    if (!in.setpts.empty()) args += " -vf \"setpts='" + in.setpts + "'\" -fps_mode passthrough";
    args += " -pix_fmt yuv420p " + in.codec;
    args += is_avatar ? " " + in.audio : " -an";
    run_ffmpeg(args + " " + quote(file));
}

class ComposeStartOffsets : public ::testing::TestWithParam<OffsetCase> {};

}  // namespace

TEST_P(ComposeStartOffsets, MatteAndBackgroundFollowTheAvatarsFirstFrameAndAudioKeepsItsOffset) {
    const OffsetCase& c = GetParam();
    MatrixMedia& media = MatrixMedia::get();
    TempDir dir;
    const std::string avatar_file = dir.file("avatar" + c.avatar.ext), mask_file = dir.file("mask" + c.mask.ext);
    make_offset_input(c.avatar, true, avatar_file);
    make_offset_input(c.mask, false, mask_file);
    const std::string background = media.background("h264-10");
    const std::string out = dir.file("out.mkv");
    CommandResult r = run_avpost("--json compose --video " + quote(avatar_file) + " --mask " + quote(mask_file) +
                                 " --background " + quote(background) + " " + c.flags + " --vcodec ffv1 -o " + quote(out));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto report = nlohmann::json::parse(r.out);
    const bool warned = r.err.find("each avatar frame takes the latest mask frame") != std::string::npos;
    if (c.expect_rate_warning) EXPECT_TRUE(warned) << r.err;
    if (c.avatar.setpts.empty() && !c.expect_rate_warning) EXPECT_FALSE(warned) << r.err;
    const int px = report["avatar_position"][0], py = report["avatar_position"][1];

    const std::vector<YuvFrame> avatar = decode_video(avatar_file);
    const std::vector<YuvFrame> mask = decode_video(mask_file);
    const std::vector<YuvFrame> bg = decode_video(background);
    ASSERT_FALSE(avatar.empty());
    ASSERT_FALSE(mask.empty());
    const double avatar_first = avatar.front().seconds;
    // At one constant rate the mask's frame N goes with the avatar's frame N (their timestamps
    // differ by the rounding of two time bases: MPEG-TS's 90 kHz against MP4's); at another rate,
    // or variable ones, the latest mask frame at or before the avatar's.
    std::vector<FloatFrame> reference;
    for (std::size_t i = 0; i < avatar.size(); ++i) {
        const double t = avatar[i].seconds - avatar_first;
        FloatFrame canvas = FloatFrame::of(bg[*frame_at(bg, t, "loop", 0.1)]);
        const bool by_time = c.expect_rate_warning || !c.avatar.setpts.empty();
        const std::size_t m = by_time ? *frame_at(mask, t, "hold", 0) : std::min(i, mask.size() - 1);
        draw_over(canvas, FloatFrame::of(avatar[i]), alpha_of(mask[m]), px, py);
        reference.push_back(std::move(canvas));
    }
    const std::vector<YuvFrame> output = decode_video(out);
    ASSERT_EQ(output.size(), reference.size());
    const Figures f = compare(output, reference);
    // Lip sync: the audio's offset from the first picture is the avatar's own. The output starts
    // at 0: its picture, or its audio where that starts first (Matroska shifts both so).
    const double source_offset = first_audio_seconds(avatar_file) - avatar_first;
    const double output_audio = first_audio_seconds(out);
    const double output_offset = output_audio - output.front().seconds;
    EXPECT_NEAR(std::min(output.front().seconds, output_audio), 0.0, 1e-3);
    std::printf("offsets %-28s avatar starts %.4f s, mask %.4f s: %zu frames, PSNR Y %.2f U %.2f V %.2f dB, worst %.2f "
                "(Y, frame %zu); audio - video %.4f s in, %.4f s out\n",
                c.name.c_str(), avatar_first, mask.front().seconds, f.frames, f.psnr_y, f.psnr_u, f.psnr_v, f.worst,
                f.worst_frame, source_offset, output_offset);
    EXPECT_LE(f.worst, 2.0);
    EXPECT_GE(f.psnr_y, 50.0);
    EXPECT_GE(f.psnr_u, 50.0);
    EXPECT_GE(f.psnr_v, 50.0);
    EXPECT_NEAR(output_offset, source_offset, 1024.0 / 48000) << "audio moved against the picture";
}

INSTANTIATE_TEST_SUITE_P(
    Offsets, ComposeStartOffsets,
    ::testing::Values(
        // MPEG-4 Part 2 with B-frames in AVI: the first decoded frame comes one frame late.
        OffsetCase{"AviPackedBFramesOverIntraMatte", {".avi", "-c:v mpeg4 -bf 2 -q:v 2", "-c:a pcm_s16le"},
                   {".mp4", "-c:v libx264 -g 1", ""}},
        // H.264 with B-frames in MP4 without an edit list: starts at 2 frame periods.
        OffsetCase{"Mp4BFramesNoEditListOverIntraMatte",
                   {".mp4", "-c:v libx264 -bf 2 -use_editlist 0", "-c:a aac -use_editlist 0"},
                   {".mp4", "-c:v libx264 -g 1", ""}},
        // The matte is the late one.
        OffsetCase{"IntraAvatarOverLateMatte", {".mp4", "-c:v libx264 -g 1", "-c:a aac"},
                   {".mp4", "-c:v libx264 -bf 2 -use_editlist 0", ""}, "--position -13,7"},
        // MPEG-TS starts at 1.4 s (the muxer's default delay).
        OffsetCase{"MpegTsAvatarOverMp4Matte", {".ts", "-c:v libx264 -bf 2", "-c:a mp2"}, {".mp4", "-c:v libx264", ""}},
        OffsetCase{"Mp4AvatarOverMpegTsMatte", {".mp4", "-c:v libx264", "-c:a aac"}, {".ts", "-c:v libx264 -bf 2", ""},
                   "--position 101,77"},
        // Variable frame rate, the avatar starting 0.2 s in, the matte at 0 with the same steps.
        OffsetCase{"VariableFrameRate",
                   {".mkv", "-c:v libx264", "-c:a pcm_s16le", avatar_rate, "(0.2+N*0.1+0.04*mod(N,3))/TB"},
                   {".mkv", "-c:v libx264", "", avatar_rate, "(N*0.1+0.04*mod(N,3))/TB"}},
        // A matte at another rate (25 fps beside 23.976): resampled as documented, with a warning.
        OffsetCase{"MatteAtAnotherRate", {".avi", "-c:v mpeg4 -bf 2 -q:v 2", "-c:a pcm_s16le"},
                   {".mp4", "-c:v libx264", "", "25"}, "--position 24,48", true}),
    [](const ::testing::TestParamInfo<OffsetCase>& info) { return info.param.name; });
