#include "avpost/filters/backdrop.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

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
    p.typical_ = colour;
    return p;
}

BackdropPlate BackdropPlate::varying(cv::Mat y, cv::Mat u, cv::Mat v) {
    if (y.type() != CV_32F || y.size() != u.size() || y.size() != v.size())
        throw_input("backdrop", "clean plate planes differ");
    BackdropPlate p;
    p.uniform_ = false;
    p.chroma_width_ = y.cols;
    p.chroma_height_ = y.rows;
    auto median = [](const cv::Mat& m) {
        std::vector<float> values(m.begin<float>(), m.end<float>());
        std::nth_element(values.begin(), values.begin() + values.size() / 2, values.end());
        return std::uint8_t(std::clamp(std::lround(values[values.size() / 2]), 0L, 255L));
    };
    p.typical_ = {median(y), median(u), median(v)};
    p.y_ = std::move(y);
    p.u_ = std::move(u);
    p.v_ = std::move(v);
    return p;
}

namespace {

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
