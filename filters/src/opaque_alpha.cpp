// AlphaSource: no matte: the avatar is drawn as rendered, fully opaque.
#include "avpost/filters/alpha_source.hpp"

namespace avpost::filters {
namespace {

class OpaqueAlpha final : public AlphaSource {
public:
    explicit OpaqueAlpha(const ComposePlan& plan) {
        // Only what is read gets memory (an opaque 4K matte is 8 MB): an avatar handed on as the
        // picture needs none.
        if (plan.picture == PictureKind::composite || plan.alpha_layer)
            matted_.alpha.plane =
                cv::Mat(plan.placement->size.height, plan.placement->size.width, CV_8UC1, cv::Scalar(255));
    }

    const MattedAvatar& matte(const AVFrame* /*decoded*/, const AVFrame* colour, double /*t*/) override {
        matted_.picture = colour;
        return matted_;
    }

private:
    MattedAvatar matted_;
};

}  // namespace

std::unique_ptr<AlphaSource> make_opaque_alpha(const ComposePlan& plan) { return std::make_unique<OpaqueAlpha>(plan); }

}  // namespace avpost::filters
