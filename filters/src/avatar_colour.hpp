#pragma once
// The avatar's colour in the compositor's working format: yuv420p, limited range, the output's
// matrix, at its placed size. A frame already in that shape passes through untouched.
#include "avpost/filters/compose_plan.hpp"
#include "avpost/filters/frame_converter.hpp"
#include "avpost/media/handles.hpp"

namespace avpost::filters {

class AvatarColour {
public:
    explicit AvatarColour(const ComposePlan& plan);

    // Valid until the next call; may be `decoded` itself.
    const AVFrame* convert(const AVFrame* decoded);

private:
    AVColorSpace avatar_matrix_;
    FrameConverter converter_;
    media::FramePtr colour_view_ = media::make_frame();  // a yuva420p frame's colour planes, seen as yuv420p
};

}  // namespace avpost::filters
