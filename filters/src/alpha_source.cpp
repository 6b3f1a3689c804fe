#include "avpost/filters/alpha_source.hpp"

#include <stdexcept>

namespace avpost::filters {

std::unique_ptr<AlphaSource> make_alpha_source(const ComposePlan& plan, media::VideoSource* mask, Warn warn) {
    switch (plan.alpha.kind) {
        case AlphaKind::mask:
            if (!mask) throw std::invalid_argument("make_alpha_source: a mask plan without its mask");
            return make_mask_alpha(plan, *mask, std::move(warn));
        case AlphaKind::key: return make_key_alpha(plan, std::move(warn));
        case AlphaKind::source_alpha: return make_source_alpha(plan);
        case AlphaKind::none: return make_opaque_alpha(plan);
    }
    throw std::invalid_argument("make_alpha_source: unknown alpha kind");
}

}  // namespace avpost::filters
