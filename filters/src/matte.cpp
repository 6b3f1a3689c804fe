#include "avpost/filters/matte.hpp"

#include <cmath>
#include <opencv2/imgproc.hpp>

extern "C" {
#include <libavutil/pixdesc.h>
}

#include "avpost/core/error.hpp"
#include "avpost/filters/hot_loop.hpp"
#include "avpost/filters/limited_alpha.hpp"

namespace avpost::filters {
namespace {

// A mask whose first plane is 8-bit luma (YUV or gray) can be read in place.
bool has_8bit_luma_plane(AVPixelFormat format) {
    const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(format);
    return d && !(d->flags & (AV_PIX_FMT_FLAG_RGB | AV_PIX_FMT_FLAG_PAL | AV_PIX_FMT_FLAG_BITSTREAM)) &&
           d->comp[0].plane == 0 && d->comp[0].depth == 8 && d->comp[0].step == 1 && d->comp[0].offset == 0;
}

AVPOST_HOT_LOOP void expand_limited_row(const std::uint8_t* __restrict in, std::uint8_t* __restrict out, int n) {
    for (int i = 0; i < n; ++i) out[i] = std::uint8_t(alpha_of_limited_code(in[i]));
}

}  // namespace

std::uint8_t expand_limited(std::uint8_t value) {
    std::uint8_t out;
    expand_limited_row(&value, &out, 1);
    return out;
}

MaskRange parse_mask_range(std::string_view text) {
    if (text == "auto") return MaskRange::automatic;
    if (text == "limited" || text == "tv" || text == "mpeg") return MaskRange::limited;
    if (text == "full" || text == "pc" || text == "jpeg") return MaskRange::full;
    throw_usage("unknown mask range '" + std::string(text) + "' (auto, limited, full)");
}

std::string to_string(MaskRange range) {
    switch (range) {
        case MaskRange::automatic: return "auto";
        case MaskRange::limited: return "limited";
        case MaskRange::full: return "full";
    }
    return "?";
}

bool mask_is_limited(MaskRange choice, AVColorRange tagged, AVCodecID codec, AVPixelFormat format) {
    switch (choice) {
        case MaskRange::limited: return true;
        case MaskRange::full: return false;
        case MaskRange::automatic: break;
    }
    if (format == AV_PIX_FMT_YUVJ420P || format == AV_PIX_FMT_YUVJ422P || format == AV_PIX_FMT_YUVJ444P)
        return false;
    if (tagged == AVCOL_RANGE_JPEG) return false;
    if (tagged == AVCOL_RANGE_MPEG) return true;
    // Untagged: vendors' H.264/HEVC mattes are limited range; gray images and lossless codecs are not.
    const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(format);
    bool yuv = d && !(d->flags & AV_PIX_FMT_FLAG_RGB) && d->nb_components >= 3;
    return codec == AV_CODEC_ID_H264 || codec == AV_CODEC_ID_HEVC || (yuv && codec != AV_CODEC_ID_PNG);
}

MatteBuilder::MatteBuilder(MatteParams params, bool limited_range, int width, int height)
    : params_(params), limited_(limited_range), width_(width), height_(height) {
    if (width <= 0 || height <= 0) throw_usage("matte of empty size");
    choke_kernel_ = choke_kernel_for(params_);
    alpha_.create(height, width, CV_8U);
}

const cv::Mat& MatteBuilder::build(const AVFrame* mask) {
    const AVFrame* luma_source = mask;
    if (!has_8bit_luma_plane(AVPixelFormat(mask->format))) {
        to_gray_.reset(sws_getCachedContext(to_gray_.release(), mask->width, mask->height, AVPixelFormat(mask->format),
                                            mask->width, mask->height, AV_PIX_FMT_GRAY8, SWS_POINT, nullptr, nullptr,
                                            nullptr));
        if (!to_gray_) throw_input("mask", "cannot read its pixel format as grey");
        // RGB mattes are full range: white must stay 255, not become limited-range 235.
        const int* table = sws_getCoefficients(SWS_CS_DEFAULT);
        sws_setColorspaceDetails(to_gray_.get(), table, 1, table, 1, 0, 1 << 16, 1 << 16);
        if (!gray_ || gray_->width != mask->width || gray_->height != mask->height)
            gray_ = media::make_video_frame(AV_PIX_FMT_GRAY8, mask->width, mask->height);
        check_av(sws_scale(to_gray_.get(), mask->data, mask->linesize, 0, mask->height, gray_->data, gray_->linesize),
                 "sws_scale (mask to grey)");
        luma_source = gray_.get();
    }
    // A view of the decoder's luma plane: no copy.
    cv::Mat luma(luma_source->height, luma_source->width, CV_8U, luma_source->data[0],
                 std::size_t(luma_source->linesize[0]));
    const bool same_size = luma.cols == width_ && luma.rows == height_;
    const bool refine = params_.choke != 0 || params_.feather > 0;
    cv::Mat expanded;
    if (limited_) {
        cv::Mat& target = same_size ? alpha_ : expanded_;
        target.create(luma.rows, luma.cols, CV_8U);
        for (int y = 0; y < luma.rows; ++y) expand_limited_row(luma.ptr<std::uint8_t>(y), target.ptr<std::uint8_t>(y), luma.cols);
        expanded = target;
    } else if (same_size && !refine) {
        // Full range at the right size: the mask's luma is the alpha as it stands.
        view_ = luma;
        return view_;
    } else {
        expanded = luma;
    }
    if (!same_size) {
        int interpolation = (luma.cols > width_ && luma.rows > height_) ? cv::INTER_AREA : cv::INTER_LINEAR;
        cv::resize(expanded, alpha_, cv::Size(width_, height_), 0, 0, interpolation);
    } else if (!limited_) {
        expanded.copyTo(alpha_);  // choke and feather must not write into the decoder's frame
    }
    refine_matte(params_, choke_kernel_, alpha_, scratch_);
    return alpha_;
}

CompositeAlpha MatteBuilder::source(const AVFrame* mask) {
    const bool refine = params_.choke != 0 || params_.feather > 0;
    if (limited_ && !refine && mask->width == width_ && mask->height == height_ &&
        has_8bit_luma_plane(AVPixelFormat(mask->format)))
        return {cv::Mat(mask->height, mask->width, CV_8U, mask->data[0], std::size_t(mask->linesize[0])), true};
    return {build(mask), false};
}

cv::Mat choke_kernel_for(const MatteParams& params) {
    if (params.choke == 0) return {};
    const int r = std::abs(params.choke);
    return cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * r + 1, 2 * r + 1));
}

void refine_matte(const MatteParams& params, const cv::Mat& choke_kernel, cv::Mat& alpha, cv::Mat& scratch) {
    if (params.choke > 0) {
        cv::erode(alpha, scratch, choke_kernel);
        std::swap(alpha, scratch);
    } else if (params.choke < 0) {
        cv::dilate(alpha, scratch, choke_kernel);
        std::swap(alpha, scratch);
    }
    if (params.feather > 0) {
        double sigma = params.feather / 2.0;
        int k = 2 * int(std::ceil(sigma * 3.0)) + 1;
        cv::GaussianBlur(alpha, scratch, cv::Size(k, k), sigma, sigma, cv::BORDER_REPLICATE);
        std::swap(alpha, scratch);
    }
}

}  // namespace avpost::filters
