#pragma once
// Stage: turns a decoded mask frame into a full-resolution 8-bit straight alpha plane at the
// avatar's (scaled) size: luma range expansion, scaling, choke (erode/dilate) and feather.
#include <cstdint>
#include <string>

#include <opencv2/core.hpp>
#include <nlohmann/json.hpp>

#include "avpost/filters/composite.hpp"
#include "avpost/media/handles.hpp"

namespace avpost::filters {

enum class MaskRange { automatic, limited, full };

struct MatteParams {
    MaskRange range = MaskRange::automatic;  // auto: the stream's tag; untagged H.264/HEVC is limited
    int choke = 0;                           // pixels: positive erodes the matte, negative dilates
    double feather = 0.0;                    // pixels of edge softening (Gaussian sigma = feather / 2)
};

MaskRange parse_mask_range(std::string_view text);
std::string to_string(MaskRange range);
void to_json(nlohmann::json& j, const MatteParams& p);
void from_json(const nlohmann::json& j, MatteParams& p);

// One limited-range mask code value as alpha: round((v - 16) * 255 / 219), clamped to 0..255.
std::uint8_t expand_limited(std::uint8_t value);

// Decides the range of a mask stream from the user's choice and the stream's facts.
bool mask_is_limited(MaskRange choice, AVColorRange tagged, AVCodecID codec, AVPixelFormat format);

// Choke (erode/dilate by the kernel from choke_kernel_for) and feather, applied to `alpha` in
// place (`scratch` is working memory). Shared by mattes from a mask and from a key.
cv::Mat choke_kernel_for(const MatteParams& params);
void refine_matte(const MatteParams& params, const cv::Mat& choke_kernel, cv::Mat& alpha, cv::Mat& scratch);

class MatteBuilder {
public:
    MatteBuilder(MatteParams params, bool limited_range, int width, int height);

    // Builds the alpha plane from the mask's luma. The result is valid until the next call and,
    // for a full-range mask needing no work, while `mask` is alive (it is then a view of the
    // mask's own luma plane). Rows are `step` bytes apart.
    const cv::Mat& build(const AVFrame* mask);

    // The matte as the compositor can read it without build()'s pass: a limited-range mask at
    // the right size with nothing to refine is given as its own luma plane of codes (a view,
    // valid while `mask` is alive); anything else is build()'s alpha.
    CompositeAlpha source(const AVFrame* mask);

private:
    MatteParams params_;
    bool limited_;
    int width_, height_;
    cv::Mat view_;       // zero-copy alpha: the mask's luma
    cv::Mat expanded_;   // mask size, after the LUT
    cv::Mat alpha_;      // output size
    cv::Mat scratch_;
    cv::Mat choke_kernel_;
    media::SwsContextPtr to_gray_;  // only for masks without an 8-bit luma plane
    media::FramePtr gray_;
};

}  // namespace avpost::filters
