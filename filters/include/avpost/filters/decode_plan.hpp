#pragma once
// How many decoder threads and decoded-ahead frames a compose keeps, by frame size. Every frame
// thread of libavcodec holds frames of its own and every queued frame is a whole picture (12 MB
// at 4K), so at large sizes fewer threads and a shallower queue keep two 4K decoders in about
// 300 MB, while the compose thread and the decoders together still keep every core busy.
#include "avpost/filters/placement.hpp"

namespace avpost::filters {

struct DecodePlan {
    int avatar_threads = 0;  // 0: libavcodec's choice (one frame thread per core, plus one)
    int mask_threads = 0;
    std::size_t prefetch_depth = 2;
};

DecodePlan plan_decoding(Size avatar, int cores);

}  // namespace avpost::filters
