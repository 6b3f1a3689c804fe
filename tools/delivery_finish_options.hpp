#pragma once
// The finishing options `transcode` and `compose --deliver` share (loudness target, captions),
// parsed onto filters::DeliveryOptions, and how their results read in the text report.
#include <CLI/CLI.hpp>
#include <ostream>
#include <string>

#include "avpost/filters/compose.hpp"

namespace avpost::tool {

struct DeliveryFinishOptions {
    std::string loudness;  // empty: not given (off)
    std::string captions;
    std::string captions_language;  // empty: not given (und)
    bool burn_captions = false;

    void add_to(CLI::App& sub);
    bool given() const { return !loudness.empty() || !captions.empty() || !captions_language.empty() || burn_captions; }
    // Throws Error(usage) on a bad value.
    void apply_to(filters::DeliveryOptions& delivery) const;
};

// "web: out/talk-web.mp4 (1280x720, h264, audio, -14.0 LUFS, -1.6 dBTP, 12 caption cues)" lines and a
// loudness line, for the text report.
void print_deliveries(std::ostream& out, const filters::ComposeReport& report);

}  // namespace avpost::tool
