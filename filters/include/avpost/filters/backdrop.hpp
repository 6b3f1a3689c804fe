#pragma once
// Stage: the backdrop a render was made on, and its removal from the avatar's colour.
//
// A pixel at the edge of a render on a colour backdrop is a mix: observed = a * avatar +
// (1 - a) * backdrop. Knowing the matte a and the backdrop, the avatar's own (straight) colour is
// (observed - (1 - a) * backdrop) / a: the backdrop is subtracted in proportion to the
// transparency, luma and chroma alike. Composited with the same a over a new background this
// gives observed - (1 - a) * (backdrop - background): the spill is gone, hair and soft edges keep
// their colour, and fully opaque pixels are untouched (legitimately green clothes stay green).
#include <optional>

#include <opencv2/core.hpp>

#include "avpost/filters/colour.hpp"
#include "avpost/media/handles.hpp"

namespace avpost::filters {

// The backdrop's colour per 4:2:0 chroma sample, in the frame's YCbCr code values: one colour, or
// a smooth clean plate (a lit backdrop is brighter in the middle than at the corners).
class BackdropPlate {
public:
    BackdropPlate() = default;
    static BackdropPlate uniform(Yuv8 colour, int chroma_width, int chroma_height);
    // Planes of CV_32F at chroma resolution; `nominal` is the backdrop where it is fully lit.
    static BackdropPlate varying(cv::Mat y, cv::Mat u, cv::Mat v, Yuv8 nominal);
    // The clean plate of a yuv420p frame: the backdrop's colour wherever it shows, from the
    // samples within 20 degrees of the hue of `hue_u`, `hue_v` (chroma centred on 0) and of any
    // brightness (a vignette), averaged on a coarse grid, then again from the samples close to
    // that first estimate (so edge mixes of the same hue, dark hair, do not darken it), and
    // filled in under the avatar from its neighbours. Empty when no part of the frame matches.
    static std::optional<BackdropPlate> estimate(const AVFrame* frame, float hue_u, float hue_v);

    bool empty() const { return y_.empty(); }
    bool is_uniform() const { return uniform_; }
    int chroma_width() const { return chroma_width_; }
    int chroma_height() const { return chroma_height_; }
    const float* y_row(int cy) const { return y_.ptr<float>(uniform_ ? 0 : cy); }
    const float* u_row(int cy) const { return u_.ptr<float>(uniform_ ? 0 : cy); }
    const float* v_row(int cy) const { return v_.ptr<float>(uniform_ ? 0 : cy); }
    // The backdrop where the light falls fully (a bright part of the measured plate, not a dark
    // corner): what `--key auto` reports.
    Yuv8 nominal() const { return nominal_; }

private:
    cv::Mat y_, u_, v_;  // a single row when uniform
    bool uniform_ = true;
    int chroma_width_ = 0, chroma_height_ = 0;
    Yuv8 nominal_;
};

// Writes into `out` (yuv420p, the size of `in`; allocated on first use) the avatar's straight
// colour with the backdrop removed in proportion to 1 - alpha. Luma uses each pixel's alpha;
// chroma the mean alpha of the four pixels under the sample, as the compositor does. Samples
// whose alpha is 0 or 255 are copied unchanged. `in` is never modified.
void remove_backdrop(const AVFrame* in, const cv::Mat& alpha, const BackdropPlate& plate, media::FramePtr& out);

// `--despill COLOUR` on a matte from the vendor: the render's backdrop was COLOUR.
class Despill {
public:
    Despill(Rgb8 backdrop, AVColorSpace matrix, AVColorRange range);

    // `avatar` is yuv420p; `alpha` its full-resolution matte. The result is valid until the next
    // call.
    const AVFrame* apply(const AVFrame* avatar, const cv::Mat& alpha);

private:
    Yuv8 backdrop_;
    BackdropPlate plate_;
    media::FramePtr output_;
};

}  // namespace avpost::filters
