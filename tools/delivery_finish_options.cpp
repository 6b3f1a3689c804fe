#include "delivery_finish_options.hpp"

#include <cmath>
#include <cstdio>

#include "avpost/core/error.hpp"
#include "avpost/filters/webvtt_rendition.hpp"

namespace avpost::tool {

void DeliveryFinishOptions::add_to(CLI::App& sub) {
    sub.add_option("--loudness", loudness,
                   "Bring the deliveries' audio to a loudness target: web (-14 LUFS, -1 dBTP), podcast (-16, -1), "
                   "broadcast (EBU R128: -23, -1), us-tv (ATSC A/85: -24, -2) or off (default: the audio as rendered)");
    sub.add_option("--captions", captions,
                   "Caption file (SRT, WebVTT or ASS): a soft track in MP4 (mov_text), MOV and WebM (WebVTT), and a "
                   "WebVTT subtitle rendition in HLS");
    sub.add_option("--captions-language", captions_language,
                   "Language of the --captions (BCP 47: en, pt-BR; default und), named by the HLS subtitle rendition");
    sub.add_flag("--burn-captions", burn_captions,
                 "Draw the --captions into the picture instead (sized to the output, inside the safe area)");
}

void DeliveryFinishOptions::apply_to(filters::DeliveryOptions& delivery) const {
    if (!loudness.empty()) {
        try {
            delivery.loudness = filters::parse_loudness_target(loudness);
        } catch (const Error& e) {
            throw_usage(std::string("--loudness: ") + e.what());
        }
    }
    if (burn_captions && captions.empty()) throw_usage("--burn-captions needs --captions FILE");
    if (!captions_language.empty()) {
        if (captions.empty()) throw_usage("--captions-language needs --captions FILE");
        try {
            filters::check_language_tag(captions_language);
        } catch (const Error& e) {
            throw_usage(std::string("--captions-language: ") + e.what());
        }
        delivery.captions_language = captions_language;
    }
    delivery.captions = captions;
    delivery.burn_captions = burn_captions;
}

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
