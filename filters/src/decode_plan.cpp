#include "avpost/filters/decode_plan.hpp"

#include <algorithm>

namespace avpost::filters {

DecodePlan plan_decoding(Size avatar, int cores) {
    DecodePlan plan;
    // Up to 2560x1440 frames are small enough for libavcodec's defaults.
    if (std::int64_t(avatar.width) * avatar.height <= std::int64_t(2560) * 1440) return plan;
    cores = std::max(cores, 1);
    // The avatar is the costly stream (detail, motion); a matte is flat and decodes several times
    // faster, so it gets half the threads.
    plan.avatar_threads = std::min(cores, 8);
    plan.mask_threads = std::clamp(cores / 2, 1, 4);
    plan.prefetch_depth = 1;
    return plan;
}

}  // namespace avpost::filters
