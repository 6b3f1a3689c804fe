// AlphaSource: the vendor's matte, a grey video whose luma is the avatar's alpha, paired with the
// avatar frame by time (TimedFrames) and held at its last frame when it ends early.
#include "avpost/core/error.hpp"
#include "avpost/filters/alpha_source.hpp"
#include "avpost/filters/backdrop.hpp"
#include "avpost/filters/matte.hpp"
#include "avpost/filters/timed_frames.hpp"
#include "compose_text.hpp"
#include "cut_short.hpp"

namespace avpost::filters {
namespace {

class MaskAlpha final : public AlphaSource {
public:
    MaskAlpha(const ComposePlan& plan, media::VideoSource& mask, Warn warn)
        : mask_(mask),
          path_(plan.mask->path),
          tolerance_(plan.mask->tolerance_seconds),
          codes_to_compositor_(plan.alpha.codes_to_compositor),
          allow_short_(plan.allow_short),
          warn_(std::move(warn)),
          builder_(plan.alpha.matte, plan.mask->limited, plan.placement->size.width, plan.placement->size.height),
          frames_(mask, StreamEnd::hold) {
        if (plan.alpha.despill) despill_.emplace(*plan.alpha.despill, plan.matrix, AVCOL_RANGE_MPEG);
    }

    const MattedAvatar& matte(const AVFrame* /*decoded*/, const AVFrame* colour, double t) override {
        const AVFrame* mask_frame = frames_.at(t, tolerance_);
        if (!mask_frame) throw_input("mask '" + path_ + "'", "has no decodable frame");
        if (!warned_end_ && frames_.ended_before(t)) {
            check_not_cut_short(mask_, path_, frames_.end_time(), allow_short_, warn_);
            warned_end_ = true;
            warn_("mask ends at " + compose_text::seconds_text(frames_.end_time()) +
                  " but the avatar runs on: holding its last frame");
        }
        // Read by the compositor alone, a vendor matte's codes are taken straight from the decoded
        // frame (MatteBuilder::source): no full-frame alpha pass per frame.
        if (codes_to_compositor_) matted_.alpha = builder_.source(mask_frame);
        else matted_.alpha = CompositeAlpha{builder_.build(mask_frame), false};
        matted_.picture = despill_ ? despill_->apply(colour, matted_.alpha.plane) : colour;
        return matted_;
    }

private:
    media::VideoSource& mask_;
    std::string path_;
    double tolerance_;
    bool codes_to_compositor_;
    bool allow_short_;
    Warn warn_;
    MatteBuilder builder_;
    TimedFrames frames_;
    std::optional<Despill> despill_;
    bool warned_end_ = false;
    MattedAvatar matted_;
};

}  // namespace

std::unique_ptr<AlphaSource> make_mask_alpha(const ComposePlan& plan, media::VideoSource& mask, Warn warn) {
    return std::make_unique<MaskAlpha>(plan, mask, std::move(warn));
}

}  // namespace avpost::filters
