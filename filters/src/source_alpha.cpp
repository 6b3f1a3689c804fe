// AlphaSource: an avatar that carries its own alpha (VP9 alpha WebM, ProRes 4444) is its own
// matte: the decoded frame's alpha plane, read in place.
#include <optional>

extern "C" {
#include <libavutil/pixdesc.h>
}

#include "avpost/core/error.hpp"
#include "avpost/filters/alpha_source.hpp"
#include "avpost/filters/backdrop.hpp"
#include "avpost/filters/matte.hpp"

namespace avpost::filters {
namespace {

// The alpha plane of a yuva frame as a grey frame sharing its memory, in `view`.
const AVFrame* alpha_plane_of(const AVFrame* frame, AVFrame* view) {
    const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(AVPixelFormat(frame->format));
    if (!desc || !(desc->flags & AV_PIX_FMT_FLAG_ALPHA) || !frame->data[3])
        throw_input("avatar", "a frame without alpha in a stream with alpha");
    const int depth = desc->comp[3].depth;
    view->format = depth <= 8 ? AV_PIX_FMT_GRAY8 : depth <= 10 ? AV_PIX_FMT_GRAY10LE : depth <= 12 ? AV_PIX_FMT_GRAY12LE
                                                                                                    : AV_PIX_FMT_GRAY16LE;
    view->width = frame->width;
    view->height = frame->height;
    view->data[0] = frame->data[3];
    view->linesize[0] = frame->linesize[3];
    view->color_range = AVCOL_RANGE_JPEG;
    return view;
}

class SourceAlpha final : public AlphaSource {
public:
    explicit SourceAlpha(const ComposePlan& plan)
        : builder_(plan.alpha.matte, false, plan.placement->size.width, plan.placement->size.height) {  // alpha is full range
        if (plan.alpha.despill) despill_.emplace(*plan.alpha.despill, plan.matrix, AVCOL_RANGE_MPEG);
    }

    const MattedAvatar& matte(const AVFrame* decoded, const AVFrame* colour, double /*t*/) override {
        const cv::Mat& alpha = builder_.build(alpha_plane_of(decoded, alpha_view_.get()));
        matted_.alpha = CompositeAlpha{alpha, false};
        matted_.picture = despill_ ? despill_->apply(colour, alpha) : colour;
        return matted_;
    }

private:
    MatteBuilder builder_;
    std::optional<Despill> despill_;
    media::FramePtr alpha_view_ = media::make_frame();  // the decoded alpha plane seen as a grey picture
    MattedAvatar matted_;
};

}  // namespace

std::unique_ptr<AlphaSource> make_source_alpha(const ComposePlan& plan) { return std::make_unique<SourceAlpha>(plan); }

}  // namespace avpost::filters
