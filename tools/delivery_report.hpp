#pragma once
// How a compose or transcode's deliveries read in the text report.
#include <ostream>

#include "avpost/filters/compose.hpp"

namespace avpost::tool {

// "web: out/talk-web.mp4 (1280x720, h264, audio, -14.0 LUFS, -1.6 dBTP, 12 caption cues)" lines and a
// loudness line, for the text report.
void print_deliveries(std::ostream& out, const filters::ComposeReport& report);

}  // namespace avpost::tool
