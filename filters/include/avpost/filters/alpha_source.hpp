#pragma once
// Stage: where each frame's alpha comes from. One implementation per source a compose plan names
// (AlphaKind): the vendor's mask video, a matte keyed from the render's colour backdrop, the
// avatar's own alpha plane, or none (opaque). The frame loop asks it for every frame's avatar
// with its alpha and never asks which one it is.
#include <memory>

#include "avpost/filters/compose_plan.hpp"
#include "avpost/filters/composite.hpp"
#include "avpost/media/video_source.hpp"

namespace avpost::filters {

// One frame's avatar, ready to composite, at its placed size.
struct MattedAvatar {
    // yuv420p, limited range, in the output's matrix: the avatar's colour (a key removes the
    // backdrop from it, the Despill stage its spill).
    const AVFrame* picture = nullptr;
    // As the compositor reads it. Its plane holds alpha (0..255) unless the plan has the
    // compositor read a mask's codes (ComposePlan::Alpha::codes_to_compositor), so despill and the
    // alpha layer can read it too. Empty when nothing reads it (an opaque avatar handed on as is).
    CompositeAlpha alpha;
};

class AlphaSource {
public:
    virtual ~AlphaSource() = default;

    // `decoded` is the avatar's frame as decoded, its pts on the output's clock; `colour` its
    // colour at the placed size (yuv420p, limited range, the output's matrix); `t` its time in
    // seconds. The result is valid until the next call.
    virtual const MattedAvatar& matte(const AVFrame* decoded, const AVFrame* colour, double t) = 0;

    // After the composite is committed: finishes what this source writes itself and says what it
    // found in `report`.
    virtual void finish(ComposeReport& report) { (void)report; }
};

// The plan's source (plan.placement set). `mask` is the opened mask for AlphaKind::mask; its
// decoding is started and checked by its owner. Warnings found on the way go to `warn`.
std::unique_ptr<AlphaSource> make_alpha_source(const ComposePlan& plan, media::VideoSource* mask, Warn warn);

std::unique_ptr<AlphaSource> make_mask_alpha(const ComposePlan& plan, media::VideoSource& mask, Warn warn);
std::unique_ptr<AlphaSource> make_key_alpha(const ComposePlan& plan, Warn warn);
std::unique_ptr<AlphaSource> make_source_alpha(const ComposePlan& plan);
std::unique_ptr<AlphaSource> make_opaque_alpha(const ComposePlan& plan);

}  // namespace avpost::filters
