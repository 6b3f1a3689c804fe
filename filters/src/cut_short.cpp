#include "cut_short.hpp"

#include <algorithm>

#include "avpost/core/error.hpp"
#include "compose_text.hpp"

namespace avpost::filters {

void check_not_cut_short(const media::VideoSource& source, const std::string& path, double decoded, bool allow_short,
                         const Warn& warn) {
    using compose_text::seconds_text;
    const auto& info = source.info();
    if (info.declared_duration_seconds <= 0) return;
    const double frame = info.frame_rate.num > 0 ? 1.0 / av_q2d(info.frame_rate) : 0.04;
    if (info.declared_duration_seconds - decoded <= std::max(2 * frame, 0.03 * info.declared_duration_seconds)) return;
    const std::string what = source.label() + " '" + path + "'";
    const std::string detail = "it decodes to " + seconds_text(decoded) + " of the " +
                               seconds_text(info.declared_duration_seconds) + " its header declares";
    if (!allow_short) throw_input(what + " is cut short", detail + " (--allow-short, or allow_short in a job, accepts it)");
    warn(what + " is cut short: " + detail + "; using what there is");
}

}  // namespace avpost::filters
