#pragma once
// RFC 6381 codec strings for the HLS master playlist's CODECS, read from the stream's own
// parameter sets, so they state what the encoder chose (x264's and x265's levels are automatic
// unless capped, and the web encode shared as the top rung is not capped).
#include <string>

extern "C" {
#include <libavcodec/codec_par.h>
}

namespace avpost::filters {

// "avc1.64001f", "hvc1.1.6.L93.B0", "mp4a.40.2"; throws OutputError when the parameter sets
// are missing or of another codec.
std::string codec_string(const AVCodecParameters& parameters);

}  // namespace avpost::filters
