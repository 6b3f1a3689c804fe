#pragma once
// How compose writes sizes, rates, times and colours in its messages and reports.
#include <cstdio>
#include <string>

extern "C" {
#include <libavutil/rational.h>
}

#include "avpost/filters/colour.hpp"
#include "avpost/filters/placement.hpp"

namespace avpost::filters::compose_text {

inline std::string size_text(Size s) { return std::to_string(s.width) + "x" + std::to_string(s.height); }

inline std::string colour_text(Rgb8 c) {
    char text[8];
    std::snprintf(text, sizeof text, "#%02X%02X%02X", c.r, c.g, c.b);
    return text;
}

inline std::string rate_text(AVRational rate) {
    char text[32];
    std::snprintf(text, sizeof text, "%.3f", av_q2d(rate));
    return text;
}

inline std::string seconds_text(double s) {
    char text[32];
    std::snprintf(text, sizeof text, "%.2f s", s);
    return text;
}

}  // namespace avpost::filters::compose_text
