#include "avpost/filters/frame_converter.hpp"

extern "C" {
#include <libavutil/pixdesc.h>
}

#include "avpost/core/error.hpp"
#include "avpost/filters/colour.hpp"

namespace avpost::filters {
namespace {

// swscale treats the yuvj* formats as their plain counterparts plus full range.
AVPixelFormat plain_format(AVPixelFormat format) {
    switch (format) {
        case AV_PIX_FMT_YUVJ420P: return AV_PIX_FMT_YUV420P;
        case AV_PIX_FMT_YUVJ422P: return AV_PIX_FMT_YUV422P;
        case AV_PIX_FMT_YUVJ444P: return AV_PIX_FMT_YUV444P;
        case AV_PIX_FMT_YUVJ440P: return AV_PIX_FMT_YUV440P;
        default: return format;
    }
}

bool is_rgb(AVPixelFormat format) {
    const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(format);
    return d && (d->flags & AV_PIX_FMT_FLAG_RGB);
}

}  // namespace

AVColorRange effective_range(AVPixelFormat format, AVColorRange tagged, AVColorRange untagged_default) {
    if (is_rgb(format)) return AVCOL_RANGE_JPEG;
    if (format != plain_format(format)) return AVCOL_RANGE_JPEG;
    if (tagged == AVCOL_RANGE_MPEG || tagged == AVCOL_RANGE_JPEG) return tagged;
    return untagged_default;
}

FrameConverter::FrameConverter(ConvertTarget target, int scale_flags) : target_(target), scale_flags_(scale_flags) {
    if (target_.width <= 0 || target_.height <= 0) throw_usage("conversion to an empty size");
}

const AVFrame* FrameConverter::convert(const AVFrame* source, AVColorSpace source_matrix, AVColorRange source_range) {
    const AVPixelFormat source_format = AVPixelFormat(source->format);
    const bool rgb = is_rgb(source_format);
    const bool matrix_change = !rgb && !same_matrix(source_matrix, target_.matrix);
    SourceCrop crop = crop_.value_or(SourceCrop{0, 0, source->width, source->height});
    const bool whole = crop.x == 0 && crop.y == 0 && crop.width == source->width && crop.height == source->height;
    if (whole && source_format == target_.format && source->width == target_.width &&
        source->height == target_.height && source_range == target_.range && !matrix_change)
        return source;

    // Crop by moving plane pointers; chroma planes need even offsets in subsampled formats.
    const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(source_format);
    if (!desc) throw_input("frame conversion", "unknown pixel format");
    int align_x = 1 << desc->log2_chroma_w, align_y = 1 << desc->log2_chroma_h;
    crop.x -= crop.x % align_x;
    crop.y -= crop.y % align_y;
    const std::uint8_t* planes[4] = {};
    int strides[4] = {};
    for (int p = 0; p < 4 && source->data[p]; ++p) {
        bool chroma = (p == 1 || p == 2) && !(desc->flags & AV_PIX_FMT_FLAG_RGB);
        int px = chroma ? crop.x >> desc->log2_chroma_w : crop.x;
        int py = chroma ? crop.y >> desc->log2_chroma_h : crop.y;
        int step = desc->comp[0].step;  // bytes per pixel of packed formats
        for (int c = 0; c < desc->nb_components; ++c)
            if (desc->comp[c].plane == p) step = desc->comp[c].step;
        planes[p] = source->data[p] + std::ptrdiff_t(py) * source->linesize[p] + std::ptrdiff_t(px) * step;
        strides[p] = source->linesize[p];
    }

    scaler_.reset(sws_getCachedContext(scaler_.release(), crop.width, crop.height, plain_format(source_format),
                                       target_.width, target_.height, target_.format, scale_flags_, nullptr, nullptr,
                                       nullptr));
    if (!scaler_) throw_input("frame conversion", std::string("swscale cannot convert from ") +
                                                      (desc->name ? desc->name : "?"));
    // RGB sources are converted by swscale into the target matrix and range. YCbCr sources are
    // only resampled (same tables and range on both sides), then converted exactly below.
    const int* target_coefficients = sws_getCoefficients(target_.matrix);
    const bool source_full = source_range == AVCOL_RANGE_JPEG, target_full = target_.range == AVCOL_RANGE_JPEG;
    sws_setColorspaceDetails(scaler_.get(), target_coefficients, rgb ? 1 : source_full, target_coefficients,
                             rgb ? target_full : source_full, 0, 1 << 16, 1 << 16);

    if (!output_) output_ = media::make_video_frame(target_.format, target_.width, target_.height);
    // A previous frame may still be referenced downstream (e.g. by an encoder).
    check_av(av_frame_make_writable(output_.get()), "av_frame_make_writable (converter)");
    check_av(sws_scale(scaler_.get(), planes, strides, 0, crop.height, output_->data, output_->linesize),
             "sws_scale");
    if (!rgb && (matrix_change || source_range != target_.range)) {
        if (target_.format != AV_PIX_FMT_YUV420P)
            throw_input("frame conversion", "matrix or range changes need a yuv420p target");
        convert_yuv420p(output_.get(), source_matrix, source_range, target_.matrix, target_.range);
    }
    output_->pts = source->pts;
    output_->best_effort_timestamp = source->best_effort_timestamp;
    output_->pkt_duration = source->pkt_duration;
    output_->colorspace = target_.matrix;
    output_->color_range = target_.range;
    return output_.get();
}

}  // namespace avpost::filters
