#pragma once
// Stage: brings any decoded frame to the working format of the compositor: 8-bit yuv420p of a
// given size, range and matrix. Frames that already match pass through untouched (no copy).
// Timestamps are carried over unchanged.
#include <optional>

#include "avpost/media/handles.hpp"

namespace avpost::filters {

struct ConvertTarget {
    int width = 0;
    int height = 0;
    AVPixelFormat format = AV_PIX_FMT_YUV420P;
    AVColorSpace matrix = AVCOL_SPC_BT709;
    AVColorRange range = AVCOL_RANGE_MPEG;
};

// Part of the source to use (for "cover" backgrounds); whole frame when absent.
struct SourceCrop {
    int x = 0, y = 0, width = 0, height = 0;
};

class FrameConverter {
public:
    explicit FrameConverter(ConvertTarget target, int scale_flags = SWS_BICUBIC | SWS_ACCURATE_RND);

    void set_crop(std::optional<SourceCrop> crop) { crop_ = crop; }
    const ConvertTarget& target() const { return target_; }

    // `source_matrix` and `source_range` are the source's resolved colour facts (the frame's own
    // tags may be unspecified). Returns `source` itself when nothing needs doing, else a frame
    // owned by the converter and valid until the next call.
    const AVFrame* convert(const AVFrame* source, AVColorSpace source_matrix, AVColorRange source_range);

private:
    ConvertTarget target_;
    int scale_flags_;
    std::optional<SourceCrop> crop_;
    media::SwsContextPtr scaler_;
    media::FramePtr output_;
};

// The range a frame really uses: yuvj* formats are full range even when untagged.
AVColorRange effective_range(AVPixelFormat format, AVColorRange tagged, AVColorRange untagged_default);

}  // namespace avpost::filters
