#include "avpost/filters/backdrop.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numbers>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "avpost/core/error.hpp"

namespace avpost::filters {

BackdropPlate BackdropPlate::uniform(Yuv8 colour, int chroma_width, int chroma_height) {
    BackdropPlate p;
    p.uniform_ = true;
    p.chroma_width_ = chroma_width;
    p.chroma_height_ = chroma_height;
    p.y_ = cv::Mat(1, chroma_width, CV_32F, cv::Scalar(colour.y));
    p.u_ = cv::Mat(1, chroma_width, CV_32F, cv::Scalar(colour.u));
    p.v_ = cv::Mat(1, chroma_width, CV_32F, cv::Scalar(colour.v));
    p.nominal_ = colour;
    return p;
}

BackdropPlate BackdropPlate::varying(cv::Mat y, cv::Mat u, cv::Mat v, Yuv8 nominal) {
    if (y.type() != CV_32F || y.size() != u.size() || y.size() != v.size())
        throw_input("backdrop", "clean plate planes differ");
    BackdropPlate p;
    p.uniform_ = false;
    p.chroma_width_ = y.cols;
    p.chroma_height_ = y.rows;
    p.nominal_ = nominal;
    p.y_ = std::move(y);
    p.u_ = std::move(u);
    p.v_ = std::move(v);
    return p;
}

namespace {

constexpr float chroma_zero = 128.0f;

float luma_mean(const AVFrame* f, int cx, int cy) {
    const int x0 = 2 * cx, y0 = 2 * cy, x1 = std::min(x0 + 1, f->width - 1), y1 = std::min(y0 + 1, f->height - 1);
    const std::uint8_t* r0 = f->data[0] + std::ptrdiff_t(y0) * f->linesize[0];
    const std::uint8_t* r1 = f->data[0] + std::ptrdiff_t(y1) * f->linesize[0];
    return 0.25f * float(r0[x0] + r0[x1] + r1[x0] + r1[x1]);
}

// The clean plate on a coarse grid: the mean colour per cell of the samples a test accepts.
struct PlateGrid {
    static constexpr int cell = 8;  // chroma samples a side
    cv::Mat y, u, v;                // CV_32F means
    cv::Mat measured;               // CV_8U: enough samples were accepted in the cell
    int measured_cells = 0;
};

template <class Accept>
PlateGrid average_cells(const AVFrame* frame, Accept accept) {
    const int cw = (frame->width + 1) / 2, ch = (frame->height + 1) / 2, cell = PlateGrid::cell;
    const int gw = (cw + cell - 1) / cell, gh = (ch + cell - 1) / cell;
    PlateGrid g{cv::Mat(gh, gw, CV_32F, cv::Scalar(0)), cv::Mat(gh, gw, CV_32F, cv::Scalar(0)),
                cv::Mat(gh, gw, CV_32F, cv::Scalar(0)), cv::Mat(gh, gw, CV_8U, cv::Scalar(0))};
    cv::Mat count(gh, gw, CV_32F, cv::Scalar(0));
    for (int cy = 0; cy < ch; ++cy) {
        const std::uint8_t* u = frame->data[1] + std::ptrdiff_t(cy) * frame->linesize[1];
        const std::uint8_t* v = frame->data[2] + std::ptrdiff_t(cy) * frame->linesize[2];
        for (int cx = 0; cx < cw; ++cx) {
            const float luma = luma_mean(frame, cx, cy);
            if (!accept(cx, cy, luma, float(u[cx]) - chroma_zero, float(v[cx]) - chroma_zero)) continue;
            const int gx = cx / cell, gy = cy / cell;
            g.y.at<float>(gy, gx) += luma;
            g.u.at<float>(gy, gx) += float(u[cx]);
            g.v.at<float>(gy, gx) += float(v[cx]);
            count.at<float>(gy, gx) += 1.0f;
        }
    }
    for (int gy = 0; gy < gh; ++gy)
        for (int gx = 0; gx < gw; ++gx) {
            const float n = count.at<float>(gy, gx);
            if (n > 0) {
                g.y.at<float>(gy, gx) /= n;
                g.u.at<float>(gy, gx) /= n;
                g.v.at<float>(gy, gx) /= n;
            }
            const bool enough = n >= cell * cell / 4;
            g.measured.at<std::uint8_t>(gy, gx) = enough;
            g.measured_cells += enough;
        }
    return g;
}

// Cells the avatar covers take their measured neighbours' colour, ring by ring.
void fill_unmeasured(PlateGrid& g) {
    cv::Mat known = g.measured.clone();
    for (bool changed = true; changed;) {
        changed = false;
        cv::Mat next = known.clone();
        for (int gy = 0; gy < known.rows; ++gy)
            for (int gx = 0; gx < known.cols; ++gx) {
                if (known.at<std::uint8_t>(gy, gx)) continue;
                float y = 0, u = 0, v = 0, n = 0;
                for (int ny = std::max(gy - 1, 0); ny <= std::min(gy + 1, known.rows - 1); ++ny)
                    for (int nx = std::max(gx - 1, 0); nx <= std::min(gx + 1, known.cols - 1); ++nx) {
                        if (!known.at<std::uint8_t>(ny, nx)) continue;
                        y += g.y.at<float>(ny, nx);
                        u += g.u.at<float>(ny, nx);
                        v += g.v.at<float>(ny, nx);
                        n += 1;
                    }
                if (n == 0) continue;
                g.y.at<float>(gy, gx) = y / n;
                g.u.at<float>(gy, gx) = u / n;
                g.v.at<float>(gy, gx) = v / n;
                next.at<std::uint8_t>(gy, gx) = 1;
                changed = true;
            }
        known = next;
    }
}

// The measured cell at the 90th percentile of luma: the backdrop as lit, not a dark corner.
Yuv8 nominal_of(const PlateGrid& g) {
    std::vector<cv::Point> cells;
    for (int gy = 0; gy < g.measured.rows; ++gy)
        for (int gx = 0; gx < g.measured.cols; ++gx)
            if (g.measured.at<std::uint8_t>(gy, gx)) cells.emplace_back(gx, gy);
    const auto bright = cells.begin() + std::ptrdiff_t(cells.size() * 9 / 10);
    std::nth_element(cells.begin(), bright, cells.end(),
                     [&](cv::Point a, cv::Point b) { return g.y.at<float>(a) < g.y.at<float>(b); });
    auto code = [](float value) { return std::uint8_t(std::clamp(std::lround(value), 0L, 255L)); };
    return {code(g.y.at<float>(*bright)), code(g.u.at<float>(*bright)), code(g.v.at<float>(*bright))};
}

std::uint8_t unmix(float observed, float backdrop, float transparency, float inverse_alpha, float low, float high) {
    float v = (observed - transparency * backdrop) * inverse_alpha;
    return std::uint8_t(std::lround(std::clamp(v, low, high)));
}

// True when the 2x2 block of alpha at (2cx, 2cy) is all 0 or all 255: nothing to unmix there.
bool settled(const std::uint8_t* a0, const std::uint8_t* a1, int x, int x1) {
    const std::uint8_t first = a0[x];
    if (first != 0 && first != 255) return false;
    return a0[x1] == first && a1[x] == first && a1[x1] == first;
}

// Eight alpha values all 0 or all 255.
bool uniform_run(const std::uint8_t* a) {
    std::uint64_t word;
    std::memcpy(&word, a, sizeof word);
    return word == 0 || word == ~std::uint64_t(0);
}

}  // namespace

std::optional<BackdropPlate> BackdropPlate::estimate(const AVFrame* frame, float hue_u, float hue_v) {
    const int cw = (frame->width + 1) / 2, ch = (frame->height + 1) / 2;
    const float hue_length = std::hypot(hue_u, hue_v);
    const float cos20 = std::cos(20.0f * std::numbers::pi_v<float> / 180.0f);
    // First: any sample of the backdrop's hue, from a fifth of its strength (a dark corner) to twice.
    PlateGrid first = average_cells(frame, [&](int, int, float, float u, float v) {
        const float length = std::hypot(u, v);
        return length >= 0.2f * hue_length && length <= 2.0f * hue_length &&
               u * hue_u + v * hue_v >= cos20 * length * hue_length;
    });
    if (first.measured_cells == 0) return std::nullopt;
    fill_unmeasured(first);
    // Then, twice, only the samples close to the estimate so far: a mix with dark hair has the
    // backdrop's hue but less of its strength and luma. The second time as close as codec noise.
    PlateGrid plate = std::move(first);
    for (const float tolerance : {0.12f, 0.04f}) {
        cv::Mat y1, u1, v1;
        cv::resize(plate.y, y1, cv::Size(cw, ch), 0, 0, cv::INTER_LINEAR);
        cv::resize(plate.u, u1, cv::Size(cw, ch), 0, 0, cv::INTER_LINEAR);
        cv::resize(plate.v, v1, cv::Size(cw, ch), 0, 0, cv::INTER_LINEAR);
        PlateGrid closer = average_cells(frame, [&](int cx, int cy, float luma, float u, float v) {
            const float pu = u1.at<float>(cy, cx) - chroma_zero, pv = v1.at<float>(cy, cx) - chroma_zero;
            const float py = y1.at<float>(cy, cx);
            return std::hypot(u - pu, v - pv) <= tolerance * std::hypot(pu, pv) + 2.0f &&
                   std::abs(luma - py) <= tolerance * (py - 16.0f) + 2.0f;
        });
        if (closer.measured_cells == 0) break;
        plate = std::move(closer);
        fill_unmeasured(plate);
    }
    const Yuv8 nominal = nominal_of(plate);
    cv::Mat y, u, v;
    cv::resize(plate.y, y, cv::Size(cw, ch), 0, 0, cv::INTER_LINEAR);
    cv::resize(plate.u, u, cv::Size(cw, ch), 0, 0, cv::INTER_LINEAR);
    cv::resize(plate.v, v, cv::Size(cw, ch), 0, 0, cv::INTER_LINEAR);
    return varying(std::move(y), std::move(u), std::move(v), nominal);
}

void remove_backdrop(const AVFrame* in, const cv::Mat& alpha, const BackdropPlate& plate, media::FramePtr& out) {
    if (in->format != AV_PIX_FMT_YUV420P) throw_input("backdrop removal", "expects yuv420p");
    const int w = in->width, h = in->height, cw = (w + 1) / 2, ch = (h + 1) / 2;
    if (alpha.cols != w || alpha.rows != h || alpha.type() != CV_8U)
        throw_input("backdrop removal", "matte and picture differ in size");
    if (plate.chroma_width() != cw || plate.chroma_height() != ch)
        throw_input("backdrop removal", "backdrop and picture differ in size");
    if (!out || out->width != w || out->height != h) out = media::make_video_frame(AV_PIX_FMT_YUV420P, w, h);
    check_av(av_frame_make_writable(out.get()), "av_frame_make_writable (backdrop removal)");
    check_av(av_frame_copy(out.get(), in), "av_frame_copy (backdrop removal)");
    check_av(av_frame_copy_props(out.get(), in), "av_frame_copy_props (backdrop removal)");

    for (int cy = 0; cy < ch; ++cy) {
        const int y0 = 2 * cy, y1 = std::min(y0 + 1, h - 1);
        const std::uint8_t* a0 = alpha.ptr<std::uint8_t>(y0);
        const std::uint8_t* a1 = alpha.ptr<std::uint8_t>(y1);
        const float* ky = plate.y_row(cy);
        const float* ku = plate.u_row(cy);
        const float* kv = plate.v_row(cy);
        const std::uint8_t* in_u = in->data[1] + std::ptrdiff_t(cy) * in->linesize[1];
        const std::uint8_t* in_v = in->data[2] + std::ptrdiff_t(cy) * in->linesize[2];
        std::uint8_t* out_u = out->data[1] + std::ptrdiff_t(cy) * out->linesize[1];
        std::uint8_t* out_v = out->data[2] + std::ptrdiff_t(cy) * out->linesize[2];
        for (int cx = 0; cx < cw; ++cx) {
            const int x0 = 2 * cx, x1 = std::min(x0 + 1, w - 1);
            // Most of a frame is fully opaque or fully transparent: skip 8 pixels (4 samples) at once.
            if ((cx & 3) == 0 && x0 + 8 <= w && uniform_run(a0 + x0) && uniform_run(a1 + x0) && a0[x0] == a1[x0]) {
                cx += 3;
                continue;
            }
            if (settled(a0, a1, x0, x1)) continue;
            int sum = 0, count = 0;
            for (int y = y0; y < std::min(y0 + 2, h); ++y) {
                const std::uint8_t* a_row = alpha.ptr<std::uint8_t>(y);
                const std::uint8_t* in_y = in->data[0] + std::ptrdiff_t(y) * in->linesize[0];
                std::uint8_t* out_y = out->data[0] + std::ptrdiff_t(y) * out->linesize[0];
                for (int x = x0; x < std::min(x0 + 2, w); ++x) {
                    const int a = a_row[x];
                    sum += a;
                    ++count;
                    if (a == 0 || a == 255) continue;
                    const float alpha_f = a / 255.0f;
                    out_y[x] = unmix(in_y[x], ky[cx], 1.0f - alpha_f, 1.0f / alpha_f, 16.0f, 235.0f);
                }
            }
            if (sum == 0 || sum == 255 * count) continue;
            const float alpha_f = float(sum) / (255.0f * float(count));
            out_u[cx] = unmix(in_u[cx], ku[cx], 1.0f - alpha_f, 1.0f / alpha_f, 16.0f, 240.0f);
            out_v[cx] = unmix(in_v[cx], kv[cx], 1.0f - alpha_f, 1.0f / alpha_f, 16.0f, 240.0f);
        }
    }
}

Despill::Despill(Rgb8 backdrop, AVColorSpace matrix, AVColorRange range)
    : backdrop_(rgb_to_yuv(backdrop, matrix, range)) {}

const AVFrame* Despill::apply(const AVFrame* avatar, const cv::Mat& alpha) {
    const int cw = (avatar->width + 1) / 2, ch = (avatar->height + 1) / 2;
    if (plate_.empty() || plate_.chroma_width() != cw || plate_.chroma_height() != ch)
        plate_ = BackdropPlate::uniform(backdrop_, cw, ch);
    remove_backdrop(avatar, alpha, plate_, output_);
    return output_.get();
}

}  // namespace avpost::filters
