#include "avatar_colour.hpp"

#include "avpost/core/error.hpp"

namespace avpost::filters {
namespace {

// A yuva420p frame's colour planes as a yuv420p frame sharing its memory, in `view`: the
// converter then passes it through instead of copying it to drop the alpha plane.
const AVFrame* colour_planes_of(const AVFrame* frame, AVFrame* view) {
    av_frame_unref(view);
    check_av(av_frame_ref(view, frame), "av_frame_ref (avatar colour)");
    view->format = AV_PIX_FMT_YUV420P;
    view->data[3] = nullptr;
    view->linesize[3] = 0;
    return view;
}

}  // namespace

AvatarColour::AvatarColour(const ComposePlan& plan)
    : avatar_matrix_(plan.avatar.matrix),
      converter_({plan.placement->size.width, plan.placement->size.height, AV_PIX_FMT_YUV420P, plan.matrix,
                  AVCOL_RANGE_MPEG}) {}

const AVFrame* AvatarColour::convert(const AVFrame* decoded) {
    const AVColorRange range = effective_range(AVPixelFormat(decoded->format), decoded->color_range, AVCOL_RANGE_MPEG);
    const AVFrame* colour = decoded;
    if (decoded->format == AV_PIX_FMT_YUVA420P) colour = colour_planes_of(decoded, colour_view_.get());
    return converter_.convert(colour, avatar_matrix_, range);
}

}  // namespace avpost::filters
