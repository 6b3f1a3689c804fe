#pragma once
// A file that decodes to well under the duration its header declares was cut short (an
// interrupted download or copy): unusable input, unless the caller accepts short inputs.
#include <string>

#include "avpost/filters/compose_plan.hpp"
#include "avpost/media/video_source.hpp"

namespace avpost::filters {

// `decoded` is the length from the first frame (a start offset is at most a few frames). Throws
// Error(input) for a cut file, or with `allow_short` warns and returns.
void check_not_cut_short(const media::VideoSource& source, const std::string& path, double decoded, bool allow_short,
                         const Warn& warn);

}  // namespace avpost::filters
