#include "avpost/filters/composite.hpp"

#include <algorithm>
#include <cstring>

#include "avpost/core/error.hpp"
#include "avpost/filters/hot_loop.hpp"
#include "avpost/filters/limited_alpha.hpp"

namespace avpost::filters {
namespace {

struct Plane {
    std::uint8_t* data;
    std::ptrdiff_t stride;
    std::uint8_t* row(int y) const { return data + y * stride; }
};

Plane plane(const AVFrame* f, int i) { return {f->data[i], f->linesize[i]}; }

// (fg * a + bg * (255 - a)) / 255, rounded; 16-bit lanes throughout so gcc vectorises the loops
// below (v <= 65153 + 254 fits).
[[gnu::always_inline]] inline std::uint8_t blend16(std::uint8_t bg, std::uint8_t fg, std::uint16_t alpha) {
    std::uint16_t v = std::uint16_t(std::uint16_t(fg * alpha) + std::uint16_t(bg * std::uint16_t(255 - alpha)) + 128);
    return std::uint8_t((v + (v >> 8)) >> 8);
}

// Alpha from the value read: itself, or the expansion of a limited-range matte code.
template <bool LimitedCodes>
[[gnu::always_inline]] inline std::uint16_t alpha_of(std::uint8_t value) {
    if constexpr (LimitedCodes) return alpha_of_limited_code(value);
    else return value;
}

// Mattes are mostly fully transparent or fully opaque: a run of 32 pixels whose alpha is all 0
// or all 255 is a copy (exact: the blend gives bg or fg there), and only the edges blend.
constexpr int kRun = 32;

template <bool LimitedCodes>
[[gnu::always_inline]] inline void min_max_of_run(const std::uint8_t* __restrict a, std::uint8_t& lo, std::uint8_t& hi) {
    std::uint8_t l = 255, h = 0;
    for (int k = 0; k < kRun; ++k) {
        l = a[k] < l ? a[k] : l;
        h = a[k] > h ? a[k] : h;
    }
    lo = l;
    hi = h;
}

template <bool LimitedCodes>
constexpr std::uint8_t kTransparent = LimitedCodes ? 16 : 0;  // this value and below: alpha 0
template <bool LimitedCodes>
constexpr std::uint8_t kOpaque = LimitedCodes ? 235 : 255;  // this value and above: alpha 255

template <bool LimitedCodes>
[[gnu::always_inline]] inline void blend_separate(const std::uint8_t* __restrict bg, std::uint8_t* __restrict out,
                                                  const std::uint8_t* __restrict fg,
                                                  const std::uint8_t* __restrict a, int n) {
    int i = 0;
    for (; i + kRun <= n; i += kRun) {
        std::uint8_t lo, hi;
        min_max_of_run<LimitedCodes>(a + i, lo, hi);
        if (hi <= kTransparent<LimitedCodes>) {
            std::memcpy(out + i, bg + i, kRun);
        } else if (lo >= kOpaque<LimitedCodes>) {
            std::memcpy(out + i, fg + i, kRun);
        } else {
            for (int k = i; k < i + kRun; ++k) out[k] = blend16(bg[k], fg[k], alpha_of<LimitedCodes>(a[k]));
        }
    }
    for (; i < n; ++i) out[i] = blend16(bg[i], fg[i], alpha_of<LimitedCodes>(a[i]));
}

// Drawing onto the backdrop itself: `bg` and `out` are the same row, which the restrict-qualified
// loop above must not be given.
template <bool LimitedCodes>
[[gnu::always_inline]] inline void blend_in_place(std::uint8_t* __restrict row, const std::uint8_t* __restrict fg,
                                                  const std::uint8_t* __restrict a, int n) {
    int i = 0;
    for (; i + kRun <= n; i += kRun) {
        std::uint8_t lo, hi;
        min_max_of_run<LimitedCodes>(a + i, lo, hi);
        if (hi <= kTransparent<LimitedCodes>) continue;
        if (lo >= kOpaque<LimitedCodes>) {
            std::memcpy(row + i, fg + i, kRun);
        } else {
            for (int k = i; k < i + kRun; ++k) row[k] = blend16(row[k], fg[k], alpha_of<LimitedCodes>(a[k]));
        }
    }
    for (; i < n; ++i) row[i] = blend16(row[i], fg[i], alpha_of<LimitedCodes>(a[i]));
}

// Mean of the 2x2 luma alphas under each chroma sample.
template <bool LimitedCodes>
[[gnu::always_inline]] inline std::uint8_t mean_alpha(const std::uint8_t* __restrict a0, const std::uint8_t* __restrict a1,
                                                      int i) {
    std::uint16_t s = std::uint16_t(alpha_of<LimitedCodes>(a0[2 * i]) + alpha_of<LimitedCodes>(a0[2 * i + 1]) +
                                    alpha_of<LimitedCodes>(a1[2 * i]) + alpha_of<LimitedCodes>(a1[2 * i + 1]));
    return std::uint8_t((s + 2) >> 2);
}

template <bool LimitedCodes>
[[gnu::always_inline]] inline void chroma_alpha(const std::uint8_t* __restrict a0, const std::uint8_t* __restrict a1,
                                                std::uint8_t* __restrict out, int n) {
    int i = 0;
    // kRun chroma samples cover 2 * kRun alphas in each of the two rows.
    for (; i + kRun <= n; i += kRun) {
        std::uint8_t lo0, hi0, lo1, hi1, lo2, hi2, lo3, hi3;
        min_max_of_run<LimitedCodes>(a0 + 2 * i, lo0, hi0);
        min_max_of_run<LimitedCodes>(a0 + 2 * i + kRun, lo1, hi1);
        min_max_of_run<LimitedCodes>(a1 + 2 * i, lo2, hi2);
        min_max_of_run<LimitedCodes>(a1 + 2 * i + kRun, lo3, hi3);
        const std::uint8_t lo = std::min({lo0, lo1, lo2, lo3}), hi = std::max({hi0, hi1, hi2, hi3});
        if (hi <= kTransparent<LimitedCodes>) {
            std::memset(out + i, 0, kRun);
        } else if (lo >= kOpaque<LimitedCodes>) {
            std::memset(out + i, 255, kRun);
        } else {
            for (int k = i; k < i + kRun; ++k) out[k] = mean_alpha<LimitedCodes>(a0, a1, k);
        }
    }
    for (; i < n; ++i) out[i] = mean_alpha<LimitedCodes>(a0, a1, i);
}

// The row loops, each compiled per target (hot_loop.hpp) for alpha and for matte codes.
AVPOST_HOT_LOOP void blend_row_separate(const std::uint8_t* __restrict bg, std::uint8_t* __restrict out, const std::uint8_t* __restrict fg,
                                        const std::uint8_t* __restrict a, int n) {
    blend_separate<false>(bg, out, fg, a, n);
}
AVPOST_HOT_LOOP void blend_row_separate_codes(const std::uint8_t* __restrict bg, std::uint8_t* __restrict out, const std::uint8_t* __restrict fg,
                                              const std::uint8_t* __restrict a, int n) {
    blend_separate<true>(bg, out, fg, a, n);
}
AVPOST_HOT_LOOP void blend_row_in_place(std::uint8_t* __restrict row, const std::uint8_t* __restrict fg, const std::uint8_t* __restrict a, int n) {
    blend_in_place<false>(row, fg, a, n);
}
AVPOST_HOT_LOOP void blend_row_in_place_codes(std::uint8_t* __restrict row, const std::uint8_t* __restrict fg, const std::uint8_t* __restrict a, int n) {
    blend_in_place<true>(row, fg, a, n);
}
AVPOST_HOT_LOOP void chroma_alpha_row(const std::uint8_t* __restrict a0, const std::uint8_t* __restrict a1, std::uint8_t* __restrict out, int n) {
    chroma_alpha<false>(a0, a1, out, n);
}
AVPOST_HOT_LOOP void chroma_alpha_row_codes(const std::uint8_t* __restrict a0, const std::uint8_t* __restrict a1, std::uint8_t* __restrict out, int n) {
    chroma_alpha<true>(a0, a1, out, n);
}

// Alpha already expanded (chroma alpha rows) or as the source gives it (luma rows).
void blend_row(const std::uint8_t* bg, std::uint8_t* out, const std::uint8_t* fg, const std::uint8_t* a, int n,
               bool limited_codes) {
    if (bg == out) limited_codes ? blend_row_in_place_codes(out, fg, a, n) : blend_row_in_place(out, fg, a, n);
    else limited_codes ? blend_row_separate_codes(bg, out, fg, a, n) : blend_row_separate(bg, out, fg, a, n);
}

// One chroma sample of the canvas, exactly: the mean over the (up to 4) canvas pixels it
// covers of a_p * fg(p) + (1 - a_p) * bg, where pixels outside the avatar have a_p = 0.
struct GeneralCell {
    const AVFrame* canvas_frame;
    const AVFrame* avatar;
    const CompositeAlpha& alpha;
    Point pos;

    void operator()(int cx, int cy, const Plane& bg_u, const Plane& bg_v, const Plane& out_u, const Plane& out_v) const {
        int W = canvas_frame->width, H = canvas_frame->height;
        long n = 0, sum_a = 0, sum_u = 0, sum_v = 0;
        for (int py = 2 * cy; py < std::min(2 * cy + 2, H); ++py) {
            for (int px = 2 * cx; px < std::min(2 * cx + 2, W); ++px) {
                ++n;
                int ax = px - pos.x, ay = py - pos.y;
                if (ax < 0 || ay < 0 || ax >= avatar->width || ay >= avatar->height) continue;
                const std::uint8_t value = alpha.plane.at<std::uint8_t>(ay, ax);
                long a = alpha.limited_codes ? alpha_of_limited_code(value) : value;
                sum_a += a;
                sum_u += a * avatar->data[1][(ay >> 1) * std::ptrdiff_t(avatar->linesize[1]) + (ax >> 1)];
                sum_v += a * avatar->data[2][(ay >> 1) * std::ptrdiff_t(avatar->linesize[2]) + (ax >> 1)];
            }
        }
        auto mix = [&](long bg, long sum_fg) {
            long num = sum_fg - sum_a * bg, den = 255 * n;
            long q = num >= 0 ? (num + den / 2) / den : -((-num + den / 2) / den);
            return std::uint8_t(std::clamp(bg + q, 0L, 255L));
        };
        out_u.row(cy)[cx] = mix(bg_u.row(cy)[cx], sum_u);
        out_v.row(cy)[cx] = mix(bg_v.row(cy)[cx], sum_v);
    }
};

void copy_span(const Plane& from, const Plane& to, int y, int x0, int x1) {
    if (x1 > x0) std::memcpy(to.row(y) + x0, from.row(y) + x0, std::size_t(x1 - x0));
}

// Copies the plane outside the rectangle [x0,x1) x [y0,y1).
void copy_outside(const Plane& from, const Plane& to, int width, int height, int x0, int x1, int y0, int y1) {
    for (int y = 0; y < height; ++y) {
        if (y < y0 || y >= y1) {
            copy_span(from, to, y, 0, width);
        } else {
            copy_span(from, to, y, 0, x0);
            copy_span(from, to, y, x1, width);
        }
    }
}

}  // namespace

void Compositor::over(const AVFrame* background, AVFrame* canvas, const AVFrame* avatar, const cv::Mat& alpha,
                      Point pos, bool copy_background_outside) {
    // A view of the plane: no copy, no allocation.
    over(background, canvas, avatar, CompositeAlpha{alpha, false}, pos, copy_background_outside);
}

void Compositor::over(const AVFrame* background, AVFrame* canvas, const AVFrame* avatar, const CompositeAlpha& source,
                      Point pos, bool copy_background_outside) {
    const cv::Mat& alpha = source.plane;
    const bool codes = source.limited_codes;
    if (background->width != canvas->width || background->height != canvas->height)
        throw_input("composite", "background and canvas differ in size");
    if (alpha.cols != avatar->width || alpha.rows != avatar->height || alpha.type() != CV_8U)
        throw_input("composite", "matte and avatar differ in size");
    const int W = canvas->width, H = canvas->height, CW = (W + 1) / 2, CH = (H + 1) / 2;
    const int w = avatar->width, h = avatar->height;
    // The avatar's visible rectangle on the canvas, in luma pixels...
    const int xa = std::clamp(pos.x, 0, W), xb = std::clamp(pos.x + w, 0, W);
    const int ya = std::clamp(pos.y, 0, H), yb = std::clamp(pos.y + h, 0, H);
    // ...and the chroma samples it touches.
    const bool visible = xa < xb && ya < yb;
    const int cxa = visible ? xa / 2 : 0, cxb = visible ? (xb + 1) / 2 : 0;
    const int cya = visible ? ya / 2 : 0, cyb = visible ? (yb + 1) / 2 : 0;

    Plane bg_y = plane(background, 0), bg_u = plane(background, 1), bg_v = plane(background, 2);
    Plane out_y = plane(canvas, 0), out_u = plane(canvas, 1), out_v = plane(canvas, 2);
    Plane fg_y = plane(avatar, 0), fg_u = plane(avatar, 1), fg_v = plane(avatar, 2);

    if (copy_background_outside) {
        copy_outside(bg_y, out_y, W, H, xa, xb, ya, yb);
        copy_outside(bg_u, out_u, CW, CH, cxa, cxb, cya, cyb);
        copy_outside(bg_v, out_v, CW, CH, cxa, cxb, cya, cyb);
    }
    if (!visible) return;

    for (int y = ya; y < yb; ++y)
        blend_row(bg_y.row(y) + xa, out_y.row(y) + xa, fg_y.row(y - pos.y) + (xa - pos.x),
                  alpha.ptr<std::uint8_t>(y - pos.y) + (xa - pos.x), xb - xa, codes);

    GeneralCell general{canvas, avatar, source, pos};
    const bool aligned = (pos.x % 2 == 0) && (pos.y % 2 == 0);
    // Fast cells: all four luma pixels on the canvas and inside the avatar, one avatar chroma sample.
    int fx0 = cxa, fx1 = cxa, fy0 = cya, fy1 = cya;
    if (aligned) {
        fx0 = (xa + 1) / 2, fx1 = xb / 2;
        fy0 = (ya + 1) / 2, fy1 = yb / 2;
        if (fx1 < fx0) fx1 = fx0;
        if (fy1 < fy0) fy1 = fy0;
    }
    if (int(chroma_alpha_.size()) < CW) chroma_alpha_.resize(std::size_t(CW));
    for (int cy = cya; cy < cyb; ++cy) {
        if (aligned && cy >= fy0 && cy < fy1 && fx1 > fx0) {
            int ay = 2 * cy - pos.y, ax = 2 * fx0 - pos.x, n = fx1 - fx0;
            (codes ? chroma_alpha_row_codes : chroma_alpha_row)(
                alpha.ptr<std::uint8_t>(ay) + ax, alpha.ptr<std::uint8_t>(ay + 1) + ax, chroma_alpha_.data(), n);
            int fcy = ay >> 1, fcx = ax >> 1;
            blend_row(bg_u.row(cy) + fx0, out_u.row(cy) + fx0, fg_u.row(fcy) + fcx, chroma_alpha_.data(), n, false);
            blend_row(bg_v.row(cy) + fx0, out_v.row(cy) + fx0, fg_v.row(fcy) + fcx, chroma_alpha_.data(), n, false);
            for (int cx = cxa; cx < fx0; ++cx) general(cx, cy, bg_u, bg_v, out_u, out_v);
            for (int cx = fx1; cx < cxb; ++cx) general(cx, cy, bg_u, bg_v, out_u, out_v);
        } else {
            for (int cx = cxa; cx < cxb; ++cx) general(cx, cy, bg_u, bg_v, out_u, out_v);
        }
    }
}

}  // namespace avpost::filters
