#pragma once
// Stage: pulls the matte from a render made on a solid colour backdrop (Akool renders with a
// colour element under the avatar; green-screen renders of other tools), so it composites like a
// render that came with a matte.
//
// How (after OBS's chroma key, Keylight-style colour-difference keys and Nuke's IBK):
// - The backdrop's hue is given, or found on the frame's border (`auto`); either way its
//   brightness may vary smoothly (a vignette), so a clean plate is estimated from every pixel
//   of that hue that looks like backdrop (backdrop.hpp).
// - A colour-difference matte at chroma resolution: how much of the backdrop's chroma a sample
//   carries along the backdrop's direction, against how much the avatar's own colour nearby
//   carries (skin, red: less than none), between black and white clip points.
// - Where the matte changes (edges), each sample's four pixels keep the sample's own alpha as
//   their mean (the alpha its chroma was mixed with) and share it as their luma says: a pixel
//   Y = a F + (1 - a) k moves with a by F - k, the avatar's luma nearby against the backdrop's.
//   A strand thinner than the chroma grid so takes the alpha and the backdrop pixel beside it
//   none (sharing it evenly put the backdrop's luma into the new background's place: on a light
//   background that was most of the luma error). Where luma tells too little (F close to k),
//   chroma is brought to full resolution guided by luma instead (joint bilateral upsampling);
//   elsewhere the chroma-resolution matte is exact.
// - Light temporal smoothing of edge pixels that hold still, so edges do not boil.
// - Spill: the backdrop is subtracted from the colour in proportion to 1 - alpha (backdrop.hpp).
// - The matte's choke and feather apply after that.
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include "avpost/filters/backdrop.hpp"
#include "avpost/filters/colour.hpp"
#include "avpost/filters/matte.hpp"
#include "avpost/media/handles.hpp"

namespace avpost::filters {

struct KeyParams {
    // The backdrop colour (its hue picks the backdrop; its brightness comes from the clean plate);
    // empty: `auto`, found on the frame's border.
    std::optional<Rgb8> colour;
    // Opacity measured as 1 - (share of the backdrop's chroma) is mapped from [clip_black,
    // clip_white] to [0, 1]: at or below clip_black fully transparent (backdrop with codec noise),
    // at or above clip_white fully opaque. One code value of chroma is 0.014 of green's opacity
    // scale, so 0.07 is well above codec noise; wider clip points bend every partial alpha (fine
    // hair) towards 0 or 1.
    double clip_black = 0.07;
    double clip_white = 0.93;
    // Weight of the previous frame's matte for edge pixels that moved by less than 1/8 (0: off).
    double temporal = 0.5;
};

// "auto" or a colour ("#RRGGBB"); throws Error(usage) otherwise.
KeyParams parse_key(std::string_view text);
// "auto" or "#RRGGBB".
std::string key_colour_text(const KeyParams& params);
// JSON: "auto" or "#RRGGBB", or {"colour": "auto"|"#RRGGBB", "clip_black", "clip_white", "temporal"}.
void to_json(nlohmann::json& j, const KeyParams& p);
void from_json(const nlohmann::json& j, KeyParams& p);

class Keyer {
public:
    // Frames given to key() are yuv420p, limited range, `width` x `height`, in `matrix`.
    Keyer(KeyParams params, MatteParams refine, int width, int height, AVColorSpace matrix);

    struct Keyed {
        const AVFrame* picture;  // the avatar's colour with the backdrop removed
        const cv::Mat* alpha;    // its matte, after choke and feather
    };
    // Valid until the next call. The first call finds the backdrop: for `auto` it throws
    // Error(input) when the border is not one colour; for a given colour it warns when the
    // border is of another colour.
    Keyed key(const AVFrame* frame);

    // The backdrop colour: the given one, or for `auto` the one found where it is fully lit.
    Rgb8 backdrop_colour() const;
    // After the first key(): why the given colour looks wrong for this render, or empty.
    const std::string& backdrop_warning() const { return backdrop_warning_; }
    // The matte as pulled, before choke and feather.
    const cv::Mat& pulled_matte() const { return alpha_; }

private:
    std::string backdrop_warning_;
    void find_backdrop(const AVFrame* frame);
    void use_plate(BackdropPlate plate);
    void foreground_shares(const AVFrame* frame);
    void chroma_matte(const AVFrame* frame);
    void refine_edges(const AVFrame* frame);
    void keep_chroma_alpha(int cx, int cy);
    // Shares the sample's alpha among its four pixels by their luma; false where luma tells too little.
    bool split_by_luma(const AVFrame* frame, int cx, int cy, const int columns[3], const int rows[3]);

    KeyParams params_;
    MatteParams refine_;
    int width_, height_, chroma_width_, chroma_height_;
    AVColorSpace matrix_;
    Yuv8 given_;  // params_.colour in the frame's code values
    BackdropPlate plate_;
    cv::Mat backdrop_u_, backdrop_v_;  // the plate's chroma centred on 0 (one row when uniform)
    cv::Mat inverse_length2_;          // 1 / |backdrop chroma|^2
    // Per chroma sample: its share of the backdrop's chroma, and the avatar's own share nearby.
    cv::Mat shares_, smoothed_shares_, foreground_share_, foreground_kernel_;
    float clip_offset_ = 0, clip_gain_ = 1;
    float similarity_[256] = {};              // luma-difference weights of the guided upsampling
    cv::Mat chroma_alpha_, chroma_min_, chroma_max_, square_kernel_, luma_means_;
    cv::Mat alpha_, previous_alpha_, refined_, scratch_, choke_kernel_;
    bool has_previous_ = false;
    media::FramePtr picture_;
};

}  // namespace avpost::filters
