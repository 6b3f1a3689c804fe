#include "avpost/pipeline/encoder_preset.hpp"

#include <algorithm>
#include <vector>

#include "avpost/core/error.hpp"
#include "avpost/core/suggest.hpp"
#include "avpost/filters/delivery.hpp"

namespace avpost::pipeline {

void check_encoder_preset(const std::string& preset, const std::string& vcodec, const std::string& field,
                          const std::string& deliver_hint, const std::string& encoder_field) {
    if (preset.empty()) return;
    const bool delivery_presets = [&] {
        try {
            filters::parse_preset_list(preset);
            return true;
        } catch (const Error&) {
            return false;
        }
    }();
    if (delivery_presets)
        throw_usage(field + ": '" + preset + "' is a delivery preset: " + deliver_hint + " (the encoder's speed preset is " +
                    encoder_field + ", e.g. medium)");
    if (vcodec != "libx264" && vcodec != "libx265") return;
    static const std::vector<std::string> names{"ultrafast", "superfast", "veryfast", "faster", "fast",
                                                "medium",    "slow",      "slower",   "veryslow", "placebo"};
    if (std::find(names.begin(), names.end(), preset) != names.end()) return;
    std::string list;
    for (const std::string& n : names) list += (list.empty() ? "" : ", ") + n;
    auto near = closest_match(preset, names);
    throw_usage(field + ": unknown " + vcodec + " preset '" + preset + "'" + (near ? " (did you mean " + *near + "?)" : "") +
                "; one of " + list);
}

}  // namespace avpost::pipeline
