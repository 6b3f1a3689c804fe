#include "avpost/filters/keyer.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <numbers>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "avpost/core/error.hpp"
#include "avpost/filters/hot_loop.hpp"

namespace avpost::filters {

KeyParams parse_key(std::string_view text) {
    KeyParams p;
    if (text == "auto") return p;
    try {
        p.colour = parse_colour(text);
    } catch (const Error&) {
        throw_usage("bad key '" + std::string(text) +
                    "': 'auto' or the backdrop colour (#RRGGBB, 0xRRGGBB, RRGGBB or a CSS name)");
    }
    return p;
}

std::string key_colour_text(const KeyParams& params) {
    if (!params.colour) return "auto";
    char text[8];
    std::snprintf(text, sizeof text, "#%02X%02X%02X", params.colour->r, params.colour->g, params.colour->b);
    return text;
}

namespace {

constexpr float chroma_zero = 128.0f;

struct Chroma {
    float u, v;  // centred on 0
    float length() const { return std::hypot(u, v); }
};

// Whether a sample's chroma looks like the backdrop's: about the same hue and strength.
bool like_backdrop(Chroma sample, Chroma backdrop, float backdrop_length, float max_angle, float min_share,
                   float max_share) {
    const float length = sample.length();
    if (length < min_share * backdrop_length || length > max_share * backdrop_length) return false;
    const float cosine = (sample.u * backdrop.u + sample.v * backdrop.v) / (length * backdrop_length);
    return cosine >= std::cos(max_angle * std::numbers::pi_v<float> / 180.0f);
}

float degrees_between(Chroma a, Chroma b) {
    const float cosine = (a.u * b.u + a.v * b.v) / std::max(a.length() * b.length(), 1e-6f);
    return std::acos(std::clamp(cosine, -1.0f, 1.0f)) * 180.0f / std::numbers::pi_v<float>;
}

// The share of the backdrop's chroma k a sample with centred chroma (u, v) carries: its
// projection on k over |k| (1 on the backdrop, 0 for greys, below 0 for colours opposite it).
inline float share_of(float u, float v, float ku, float kv, float inverse_length2) {
    return (u * ku + v * kv) * inverse_length2;
}

// Opacity of a sample against the backdrop k, knowing the share the avatar's own colour nearby
// carries (foreground_share, at most 0). A mix C = a F + (1 - a) k carries 1 - a (1 - share of F):
// skin has about -0.25 of green's share and red -1.3, so 1 - share alone calls a half-skin edge
// 60% opaque and a half-red one fully opaque; dividing by 1 - share of F gives a back.
// Costumes near the backdrop's hue stay opaque: the weight of the share depends on the angle at k
// between C - k and the way to grey, -k. Every mix of k with one colour F lies on the line from k
// to F, so this angle does not change with a (skin 16 degrees, brown hair 8, fair hair 24, any
// grey 0): counted fully within 30 degrees and not at all beyond 50 (teal 54, yellow-green 61). Samples close to k
// (codec noise) or beyond it (a brighter backdrop) are backdrop whatever the angle. Then the clip
// points. No square root or division by the sample's length, so the loop vectorises.
inline float opacity_of(float u, float v, float ku, float kv, float inverse_length2, float foreground_share,
                        float offset, float gain) {
    constexpr float cos30_2 = 0.75f, cos50_2 = 0.64278761f * 0.64278761f;
    const float share = share_of(u, v, ku, kv, inverse_length2);
    const float du = u - ku, dv = v - kv;
    const float departure2 = (du * du + dv * dv) * inverse_length2;  // |C - k|^2 / |k|^2
    const float towards_grey = 1.0f - share;                         // (C - k).(-k) / |k|^2
    const float cosine2 = towards_grey * towards_grey / std::max(departure2, 1e-6f);
    const float by_hue = std::clamp((cosine2 - cos50_2) * (1.0f / (cos30_2 - cos50_2)), 0.0f, 1.0f);
    const float near_backdrop = std::clamp((0.04f - departure2) * (1.0f / 0.03f), 0.0f, 1.0f);
    const float weight = towards_grey <= 0.0f ? 1.0f : std::max(by_hue, near_backdrop);
    const float opacity = (1.0f - weight * share) / (1.0f - weight * foreground_share);
    return std::clamp((opacity - offset) * gain, 0.0f, 1.0f);
}

AVPOST_HOT_LOOP void share_row(const std::uint8_t* __restrict u, const std::uint8_t* __restrict v,
                               const float* __restrict ku, const float* __restrict kv,
                               const float* __restrict inverse_length2, float* __restrict out, int n) {
    for (int i = 0; i < n; ++i)
        out[i] = share_of(float(u[i]) - chroma_zero, float(v[i]) - chroma_zero, ku[i], kv[i], inverse_length2[i]);
}

AVPOST_HOT_LOOP void chroma_matte_row(const std::uint8_t* __restrict u, const std::uint8_t* __restrict v,
                                      const float* __restrict ku, const float* __restrict kv,
                                      const float* __restrict inverse_length2,
                                      const float* __restrict foreground_share, float offset, float gain,
                                      std::uint8_t* __restrict out, int n) {
    for (int i = 0; i < n; ++i) {
        const float opacity = opacity_of(float(u[i]) - chroma_zero, float(v[i]) - chroma_zero, ku[i], kv[i],
                                         inverse_length2[i], foreground_share[i], offset, gain);
        out[i] = std::uint8_t(opacity * 255.0f + 0.5f);
    }
}

bool same_eight(const std::uint8_t* a, const std::uint8_t* b) {
    std::uint64_t x, y;
    std::memcpy(&x, a, sizeof x);
    std::memcpy(&y, b, sizeof y);
    return x == y;
}

// Mean luma of the (up to) four pixels under chroma sample (cx, cy).
float cell_luma(const AVFrame* frame, int cx, int cy) {
    const int x0 = 2 * cx, y0 = 2 * cy, x1 = std::min(x0 + 1, frame->width - 1), y1 = std::min(y0 + 1, frame->height - 1);
    const std::uint8_t* r0 = frame->data[0] + std::ptrdiff_t(y0) * frame->linesize[0];
    const std::uint8_t* r1 = frame->data[0] + std::ptrdiff_t(y1) * frame->linesize[0];
    return 0.25f * float(r0[x0] + r0[x1] + r1[x0] + r1[x1]);
}

// Sets `alpha` (n values in [0, 1]) so their mean is `mean`: values move together, those held at 0
// or 1 drop out (water filling).
void hold_mean(float* alpha, int n, float mean) {
    for (int pass = 0; pass < 4; ++pass) {
        float sum = 0;
        for (int i = 0; i < n; ++i) sum += alpha[i];
        const float residual = mean * float(n) - sum;
        if (std::abs(residual) < 1e-4f) return;
        int free = 0;
        for (int i = 0; i < n; ++i) free += residual > 0 ? alpha[i] < 1.0f : alpha[i] > 0.0f;
        if (free == 0) return;
        const float step = residual / float(free);
        for (int i = 0; i < n; ++i)
            if (residual > 0 ? alpha[i] < 1.0f : alpha[i] > 0.0f) alpha[i] = std::clamp(alpha[i] + step, 0.0f, 1.0f);
    }
}

}  // namespace

Keyer::Keyer(KeyParams params, MatteParams refine, int width, int height, AVColorSpace matrix)
    : params_(params), refine_(refine), width_(width), height_(height), chroma_width_((width + 1) / 2),
      chroma_height_((height + 1) / 2), matrix_(matrix) {
    if (width <= 0 || height <= 0) throw_usage("key: empty picture");
    if (!(params_.clip_black >= 0 && params_.clip_black < params_.clip_white && params_.clip_white <= 1))
        throw_usage("key: clip points need 0 <= clip_black < clip_white <= 1");
    if (!(params_.temporal >= 0 && params_.temporal < 1)) throw_usage("key: temporal must be in [0, 1)");
    clip_offset_ = float(params_.clip_black);
    clip_gain_ = float(1.0 / (params_.clip_white - params_.clip_black));
    // Guided upsampling: a chroma sample whose luma differs from the pixel's by sigma counts 0.6x.
    constexpr float sigma = 10.0f;
    for (int d = 0; d < 256; ++d) similarity_[d] = std::exp(-float(d * d) / (2 * sigma * sigma));
    square_kernel_ = cv::getStructuringElement(cv::MORPH_RECT, cv::Size(3, 3));
    choke_kernel_ = choke_kernel_for(refine_);
    alpha_.create(height, width, CV_8U);
    previous_alpha_.create(height, width, CV_8U);
    chroma_alpha_.create(chroma_height_, chroma_width_, CV_8U);
    shares_.create(chroma_height_, chroma_width_, CV_32F);
    smoothed_shares_.create(chroma_height_, chroma_width_, CV_32F);
    foreground_share_.create(chroma_height_, chroma_width_, CV_32F);
    // The avatar's own colour is looked for within 2 chroma samples (4 pixels) of an edge.
    foreground_kernel_ = cv::getStructuringElement(cv::MORPH_RECT, cv::Size(5, 5));
    if (params_.colour) {
        given_ = rgb_to_yuv(*params_.colour, matrix_, AVCOL_RANGE_MPEG);
        const float u = float(given_.u) - chroma_zero, v = float(given_.v) - chroma_zero;
        if (u * u + v * v < 16.0f * 16.0f)
            throw_usage("key: the backdrop " + key_colour_text(params_) +
                        " is too grey to key (a saturated colour such as green or blue is needed)");
    }
}

Rgb8 Keyer::backdrop_colour() const {
    if (params_.colour) return *params_.colour;
    return yuv_to_rgb(plate_.nominal(), matrix_, AVCOL_RANGE_MPEG);
}

void Keyer::use_plate(BackdropPlate plate) {
    plate_ = std::move(plate);
    const int rows = plate_.is_uniform() ? 1 : chroma_height_;
    backdrop_u_.create(rows, chroma_width_, CV_32F);
    backdrop_v_.create(rows, chroma_width_, CV_32F);
    inverse_length2_.create(rows, chroma_width_, CV_32F);
    for (int cy = 0; cy < rows; ++cy) {
        const float* u = plate_.u_row(cy);
        const float* v = plate_.v_row(cy);
        float* ku = backdrop_u_.ptr<float>(cy);
        float* kv = backdrop_v_.ptr<float>(cy);
        float* inverse = inverse_length2_.ptr<float>(cy);
        for (int cx = 0; cx < chroma_width_; ++cx) {
            ku[cx] = u[cx] - chroma_zero;
            kv[cx] = v[cx] - chroma_zero;
            // A dark corner of a vignette has little chroma; keep the matte's arithmetic sane there.
            inverse[cx] = 1.0f / std::max(ku[cx] * ku[cx] + kv[cx] * kv[cx], 4.0f * 4.0f);
        }
    }
}

void Keyer::find_backdrop(const AVFrame* frame) {
    const int cw = chroma_width_, ch = chroma_height_;
    const int band = std::max(2, std::min(cw, ch) / 40);
    std::vector<float> ys, us, vs;
    for (int cy = 0; cy < ch; ++cy) {
        const bool edge_row = cy < band || cy >= ch - band;
        const std::uint8_t* u = frame->data[1] + std::ptrdiff_t(cy) * frame->linesize[1];
        const std::uint8_t* v = frame->data[2] + std::ptrdiff_t(cy) * frame->linesize[2];
        for (int cx = 0; cx < cw; ++cx) {
            if (!edge_row && cx >= band && cx < cw - band) {
                cx = cw - band - 1;
                continue;
            }
            ys.push_back(float(frame->data[0][std::ptrdiff_t(std::min(2 * cy, height_ - 1)) * frame->linesize[0] +
                                              std::min(2 * cx, width_ - 1)]));
            us.push_back(float(u[cx]) - chroma_zero);
            vs.push_back(float(v[cx]) - chroma_zero);
        }
    }
    auto median = [](std::vector<float> values) {
        std::nth_element(values.begin(), values.begin() + values.size() / 2, values.end());
        return values[values.size() / 2];
    };
    const Chroma border{median(us), median(vs)};
    auto border_share = [&](Chroma hue, float max_angle) {
        // Any brightness of the hue counts: a vignette darkens the border, it does not change it.
        std::size_t matching = 0;
        for (std::size_t i = 0; i < us.size(); ++i)
            if (like_backdrop({us[i], vs[i]}, hue, hue.length(), max_angle, 0.2f, 2.0f)) ++matching;
        return double(matching) / double(us.size());
    };
    Chroma hue = border;
    if (params_.colour) {
        // The given colour names the hue; the clean plate gives its brightness (and exact shade).
        hue = {float(given_.u) - chroma_zero, float(given_.v) - chroma_zero};
        const double share = border_share(hue, 15.0f);
        const float apart = degrees_between(border, hue);
        if (share < 0.6 || apart > 10.0f) {
            auto code = [](float value) { return std::uint8_t(std::clamp(std::lround(value), 0L, 255L)); };
            const Yuv8 seen{code(median(ys)), code(border.u + chroma_zero), code(border.v + chroma_zero)};
            backdrop_warning_ = "key " + key_colour_text(params_) + ": the render's border is mostly " +
                                key_colour_text(KeyParams{yuv_to_rgb(seen, matrix_, AVCOL_RANGE_MPEG)}) + " (hue " +
                                std::to_string(int(std::lround(apart))) + " degrees away; " +
                                std::to_string(int(share * 100)) + "% of it has the given hue): check the key colour, "
                                "or use --key auto to key the backdrop found on the border";
        }
    } else {
        if (border.length() < 16.0f)
            throw_input("key auto",
                        "the render's border is grey, not a colour backdrop: give the key colour with --key #RRGGBB");
        const double share = border_share(border, 25.0f);
        if (share < 0.6)
            throw_input("key auto", "the render's border is not one backdrop colour (" +
                                        std::to_string(int(share * 100)) +
                                        "% of it matches the most common colour): give the key colour with --key #RRGGBB");
    }
    std::optional<BackdropPlate> plate = BackdropPlate::estimate(frame, hue.u, hue.v);
    if (plate) use_plate(std::move(*plate));
    else use_plate(BackdropPlate::uniform(given_, cw, ch));  // no backdrop of the given hue in sight
}

void Keyer::foreground_shares(const AVFrame* frame) {
    for (int cy = 0; cy < chroma_height_; ++cy) {
        const int row = plate_.is_uniform() ? 0 : cy;
        share_row(frame->data[1] + std::ptrdiff_t(cy) * frame->linesize[1],
                  frame->data[2] + std::ptrdiff_t(cy) * frame->linesize[2], backdrop_u_.ptr<float>(row),
                  backdrop_v_.ptr<float>(row), inverse_length2_.ptr<float>(row), shares_.ptr<float>(cy), chroma_width_);
    }
    // The avatar's own colour next to an edge: the lowest share nearby (an opaque sample), or 0
    // (a grey) where nothing nearby is below 0. Smoothed first, so the texture of skin or hair
    // (a share a little below its mean) does not make the inside of the avatar a little
    // transparent.
    cv::blur(shares_, smoothed_shares_, cv::Size(5, 5), cv::Point(-1, -1), cv::BORDER_REPLICATE);
    cv::erode(smoothed_shares_, foreground_share_, foreground_kernel_, cv::Point(-1, -1), 1, cv::BORDER_REPLICATE);
    cv::min(foreground_share_, 0.0, foreground_share_);
}

void Keyer::chroma_matte(const AVFrame* frame) {
    for (int cy = 0; cy < chroma_height_; ++cy) {
        const int row = plate_.is_uniform() ? 0 : cy;
        chroma_matte_row(frame->data[1] + std::ptrdiff_t(cy) * frame->linesize[1],
                         frame->data[2] + std::ptrdiff_t(cy) * frame->linesize[2], backdrop_u_.ptr<float>(row),
                         backdrop_v_.ptr<float>(row), inverse_length2_.ptr<float>(row),
                         foreground_share_.ptr<float>(cy), clip_offset_, clip_gain_,
                         chroma_alpha_.ptr<std::uint8_t>(cy), chroma_width_);
    }
}

void Keyer::refine_edges(const AVFrame* frame) {
    // Where the 3x3 chroma neighbourhood is one value the matte is that value at full resolution.
    cv::erode(chroma_alpha_, chroma_min_, square_kernel_, cv::Point(-1, -1), 1, cv::BORDER_REPLICATE);
    cv::dilate(chroma_alpha_, chroma_max_, square_kernel_, cv::Point(-1, -1), 1, cv::BORDER_REPLICATE);
    cv::resize(chroma_alpha_, alpha_, alpha_.size(), 0, 0, cv::INTER_NEAREST);
    // The mean luma under each chroma sample, for the guided upsampling.
    const cv::Mat luma(height_, width_, CV_8U, frame->data[0], std::size_t(frame->linesize[0]));
    cv::resize(luma, luma_means_, chroma_alpha_.size(), 0, 0, cv::INTER_AREA);

    const int cw = chroma_width_, ch = chroma_height_;
    const float temporal = has_previous_ ? float(params_.temporal) : 0.0f;
    // The chroma samples around one cell: columns cx-1, cx, cx+1 and rows cy-1, cy, cy+1 (clamped).
    // 4:2:0 with MPEG-2/H.264 siting: sample (sx, sy) sits on luma column 2sx, between luma rows
    // 2sy and 2sy+1. So even luma columns take column cx (and a quarter of each neighbour, below),
    // odd ones cx and cx+1 half each; even luma rows take rows cy-1 and cy (1/4, 3/4), odd ones cy
    // and cy+1 (3/4, 1/4).
    struct Sample {
        float u, v, luma;
    };
    for (int cy = 0; cy < ch; ++cy) {
        const std::uint8_t* low = chroma_min_.ptr<std::uint8_t>(cy);
        const std::uint8_t* high = chroma_max_.ptr<std::uint8_t>(cy);
        const int rows[3] = {std::max(cy - 1, 0), cy, std::min(cy + 1, ch - 1)};
        const int plate_row = plate_.is_uniform() ? 0 : cy;
        const float* ku = backdrop_u_.ptr<float>(plate_row);
        const float* kv = backdrop_v_.ptr<float>(plate_row);
        const float* inverse_length2 = inverse_length2_.ptr<float>(plate_row);
        const float* foreground_share = foreground_share_.ptr<float>(cy);
        for (int cx = 0; cx < cw; ++cx) {
            // Edges are few: skip 8 settled samples at a time.
            if ((cx & 7) == 0 && cx + 8 <= cw && same_eight(low + cx, high + cx)) {
                cx += 7;
                continue;
            }
            if (low[cx] == high[cx]) continue;
            const int columns[3] = {std::max(cx - 1, 0), cx, std::min(cx + 1, cw - 1)};
            if (split_by_luma(frame, cx, cy, columns, rows)) continue;
            Sample around[3][3];
            for (int r = 0; r < 3; ++r)
                for (int c = 0; c < 3; ++c) {
                    const int sx = columns[c], sy = rows[r];
                    around[r][c] = {float(frame->data[1][std::ptrdiff_t(sy) * frame->linesize[1] + sx]),
                                    float(frame->data[2][std::ptrdiff_t(sy) * frame->linesize[2] + sx]),
                                    float(luma_means_.at<std::uint8_t>(sy, sx))};
                }
            for (int dy = 0; dy < 2 && 2 * cy + dy < height_; ++dy) {
                const int y = 2 * cy + dy;
                const std::uint8_t* luma = frame->data[0] + std::ptrdiff_t(y) * frame->linesize[0];
                const std::uint8_t* before_row = previous_alpha_.ptr<std::uint8_t>(y);
                std::uint8_t* alpha_row = alpha_.ptr<std::uint8_t>(y);
                // Rows of `around` and their weights for this luma row.
                const int r0 = dy == 0 ? 0 : 1;
                const float wr[2] = {dy == 0 ? 0.25f : 0.75f, dy == 0 ? 0.75f : 0.25f};
                for (int dx = 0; dx < 2 && 2 * cx + dx < width_; ++dx) {
                    const int x = 2 * cx + dx;
                    // An even column sits on sample cx, but a sharp edge can fall on either side of
                    // it: its neighbours count a quarter each, so luma can pick the right side.
                    const float wc[3] = {dx == 0 ? 0.25f : 0.0f, 0.5f, dx == 0 ? 0.25f : 0.5f};
                    const float pixel = float(luma[x]);
                    float weight_sum = 0, u = 0, v = 0;
                    for (int r = 0; r < 2; ++r)
                        for (int c = 0; c < 3; ++c) {
                            const float bilinear = wr[r] * wc[c];
                            if (bilinear == 0.0f) continue;
                            const Sample& s = around[r0 + r][c];
                            const int difference = std::min(int(std::abs(pixel - s.luma) + 0.5f), 255);
                            const float w = bilinear * similarity_[difference];
                            weight_sum += w;
                            u += w * s.u;
                            v += w * s.v;
                        }
                    if (weight_sum > 1e-3f) {
                        u /= weight_sum;
                        v /= weight_sum;
                    } else {  // no sample resembles this pixel: plain bilinear
                        u = v = 0;
                        for (int r = 0; r < 2; ++r)
                            for (int c = 0; c < 3; ++c) {
                                u += wr[r] * wc[c] * around[r0 + r][c].u;
                                v += wr[r] * wc[c] * around[r0 + r][c].v;
                            }
                    }
                    float opacity = 255.0f * opacity_of(u - chroma_zero, v - chroma_zero, ku[cx], kv[cx],
                                                        inverse_length2[cx], foreground_share[cx], clip_offset_,
                                                        clip_gain_);
                    const float before = before_row[x];
                    if (temporal > 0 && std::abs(opacity - before) < 32.0f) opacity += temporal * (before - opacity);
                    alpha_row[x] = std::uint8_t(opacity + 0.5f);
                }
            }
            keep_chroma_alpha(cx, cy);
        }
    }
}

// Within a chroma sample's four pixels the matte follows luma: a pixel Y = a F + (1 - a) k of
// the avatar's luma F over the backdrop's k, with F and k the same across the four, has
// a = mean a + (Y - mean Y) / (F - k). F - k comes from the 3x3 samples around, weighted by
// their alpha (sum of (mean Y - k) over sum of alpha), so thin strands borrow it from their
// neighbours. False when luma tells too little (F close to k, no avatar nearby); those cells
// take the guided upsampling below. Split cells are not smoothed over time: their mean is the
// sample's alpha either way, and luma already gives their shape.
bool Keyer::split_by_luma(const AVFrame* frame, int cx, int cy, const int columns[3], const int rows[3]) {
    float departure = 0, alpha_sum = 0;
    for (int r = 0; r < 3; ++r) {
        const float* plate_y = plate_.y_row(rows[r]);
        const std::uint8_t* chroma_alpha = chroma_alpha_.ptr<std::uint8_t>(rows[r]);
        for (int c = 0; c < 3; ++c) {
            if (r != 1 && rows[r] == rows[1]) continue;
            if (c != 1 && columns[c] == columns[1]) continue;
            departure += cell_luma(frame, columns[c], rows[r]) - plate_y[columns[c]];
            alpha_sum += float(chroma_alpha[columns[c]]) * (1.0f / 255.0f);
        }
    }
    // Less than half a sample of avatar around: F - k is mostly noise. Below 20 levels of
    // contrast, luma's codec noise (2-3 levels) would move alpha by more than 0.1.
    if (alpha_sum < 0.5f) return false;
    const float contrast = departure / alpha_sum;  // F - k
    if (std::abs(contrast) < 20.0f) return false;
    const int x0 = 2 * cx, y0 = 2 * cy, x1 = std::min(x0 + 1, width_ - 1), y1 = std::min(y0 + 1, height_ - 1);
    std::uint8_t* row0 = alpha_.ptr<std::uint8_t>(y0);
    std::uint8_t* row1 = alpha_.ptr<std::uint8_t>(y1);
    const std::uint8_t* luma0 = frame->data[0] + std::ptrdiff_t(y0) * frame->linesize[0];
    const std::uint8_t* luma1 = frame->data[0] + std::ptrdiff_t(y1) * frame->linesize[0];
    const float mean_luma = 0.25f * float(luma0[x0] + luma0[x1] + luma1[x0] + luma1[x1]);
    const float mean = float(chroma_alpha_.ptr<std::uint8_t>(cy)[cx]) * (1.0f / 255.0f);
    const float gain = 1.0f / contrast;
    float a[4] = {std::clamp(mean + (float(luma0[x0]) - mean_luma) * gain, 0.0f, 1.0f),
                  std::clamp(mean + (float(luma0[x1]) - mean_luma) * gain, 0.0f, 1.0f),
                  std::clamp(mean + (float(luma1[x0]) - mean_luma) * gain, 0.0f, 1.0f),
                  std::clamp(mean + (float(luma1[x1]) - mean_luma) * gain, 0.0f, 1.0f)};
    hold_mean(a, 4, mean);
    // Odd sizes: the last column or row repeats a pixel; writing it twice is harmless.
    row1[x1] = std::uint8_t(a[3] * 255.0f + 0.5f);
    row1[x0] = std::uint8_t(a[2] * 255.0f + 0.5f);
    row0[x1] = std::uint8_t(a[1] * 255.0f + 0.5f);
    row0[x0] = std::uint8_t(a[0] * 255.0f + 0.5f);
    return true;
}

// The chroma sample is the encoder's filtered mix of its pixels, so its own alpha (chroma_alpha_)
// is the share of the backdrop it holds; unmixing and compositing its chroma use the mean alpha
// of its four pixels instead. Where the two differ (hair strands thinner than the chroma grid,
// chroma siting), every channel whose backdrop differs much from the avatar (Cr on green) took
// the difference times that gap. So the four pixels are shifted together until their mean is
// the sample's alpha: luma keeps the guided shape, chroma gets the alpha it was mixed with.
void Keyer::keep_chroma_alpha(int cx, int cy) {
    const int x0 = 2 * cx, y0 = 2 * cy, x1 = std::min(x0 + 1, width_ - 1), y1 = std::min(y0 + 1, height_ - 1);
    std::uint8_t* row0 = alpha_.ptr<std::uint8_t>(y0);
    std::uint8_t* row1 = alpha_.ptr<std::uint8_t>(y1);
    const int sum = row0[x0] + row0[x1] + row1[x0] + row1[x1];
    const float shift = float(chroma_alpha_.ptr<std::uint8_t>(cy)[cx]) - 0.25f * float(sum);
    auto shifted = [shift](std::uint8_t a) { return std::uint8_t(std::clamp(float(a) + shift + 0.5f, 0.0f, 255.0f)); };
    row0[x0] = shifted(row0[x0]);
    if (x1 != x0) row0[x1] = shifted(row0[x1]);
    if (y1 != y0) {
        row1[x0] = shifted(row1[x0]);
        if (x1 != x0) row1[x1] = shifted(row1[x1]);
    }
}

Keyer::Keyed Keyer::key(const AVFrame* frame) {
    if (frame->format != AV_PIX_FMT_YUV420P || frame->width != width_ || frame->height != height_)
        throw_input("key", "expects yuv420p frames of the keyed size");
    if (plate_.empty()) find_backdrop(frame);
    // The last frame's matte becomes the previous one; every pixel of alpha_ is written below.
    cv::swap(alpha_, previous_alpha_);
    foreground_shares(frame);
    chroma_matte(frame);
    refine_edges(frame);
    has_previous_ = true;
    remove_backdrop(frame, alpha_, plate_, picture_);
    if (refine_.choke == 0 && refine_.feather <= 0) return {picture_.get(), &alpha_};
    alpha_.copyTo(refined_);
    refine_matte(refine_, choke_kernel_, refined_, scratch_);
    return {picture_.get(), &refined_};
}

}  // namespace avpost::filters
