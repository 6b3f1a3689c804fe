#include "delivery_report.hpp"

#include <cmath>
#include <cstdio>


namespace avpost::tool {

namespace {

std::string decibels(double value, const char* unit, bool sign = false) {
    if (!std::isfinite(value)) return std::string("silent");
    char text[48];
    std::snprintf(text, sizeof text, sign ? "%+.1f %s" : "%.1f %s", value, unit);
    return text;
}

}  // namespace

void print_deliveries(std::ostream& out, const filters::ComposeReport& report) {
    for (const auto& file : report.deliveries) {
        out << filters::to_string(file.preset) << ": " << file.path.string() << " (" << file.width << "x" << file.height
            << ", " << file.codec << (file.alpha ? ", alpha" : "") << (file.audio ? ", audio" : "");
        if (file.loudness)
            out << ", " << decibels(file.loudness->integrated_lufs, "LUFS") << ", "
                << decibels(file.loudness->true_peak_dbtp, "dBTP");
        if (file.caption_cues > 0) out << ", " << file.caption_cues << " caption cues";
        out << ")\n";
    }
    if (const auto& plan = report.loudness) {
        out << "loudness: " << filters::to_string(plan->target) << " (" << decibels(plan->goal.integrated_lufs, "LUFS")
            << ", " << decibels(plan->goal.ceiling_dbtp, "dBTP") << "): input "
            << decibels(plan->input.integrated_lufs, "LUFS") << ", " << decibels(plan->input.true_peak_dbtp, "dBTP");
        if (plan->applies())
            out << "; gain " << decibels(plan->gain_db, "dB", true) << (plan->limit ? ", peaks limited" : "") << "\n";
        else
            out << "; audio kept as it was\n";
    }
    if (report.caption_cues > 0)
        out << "captions: " << report.caption_cues << " cues" << (report.captions_burned ? ", burned in" : ", soft track")
            << "\n";
}

}  // namespace avpost::tool
