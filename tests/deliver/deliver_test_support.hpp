#pragma once
// Shared by the delivery tests: run `avpost transcode --json`, ask ffprobe (the independent
// check), decode alpha with the libvpx decoder, parse HLS playlists.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "media_helpers.hpp"

namespace avpost::testing {

// Runs `avpost --json transcode ARGS`; returns the report's "deliveries" keyed by preset name.
std::map<std::string, nlohmann::json> transcode(const std::string& arguments);

// ffprobe's view: the first video stream, and whether any audio stream exists.
struct FfprobeFacts {
    std::string codec, tag, pix_fmt, alpha_mode, color_space;
    int width = 0, height = 0;
    double duration = 0;
    int frames = 0;
    bool audio = false;
};
FfprobeFacts ffprobe(const std::string& path);

// Every frame's planes, decoded with the named decoder ("libvpx-vp9" reads WebM's alpha; the
// native one ignores it), as 8-bit values (higher bit depths shifted down with rounding).
struct PlanesFrame {
    int width = 0, height = 0;
    std::vector<std::uint8_t> y, alpha;  // alpha empty when the frame has none
};
std::vector<PlanesFrame> decode_planes(const std::string& path, const std::string& decoder = "");

struct HlsVariant {
    std::string uri;
    int width = 0, height = 0;
    std::int64_t bandwidth = 0;
    std::string codecs;
};
std::vector<HlsVariant> parse_master_playlist(const std::string& path);
// Segment file names and their #EXTINF seconds; `ended` is #EXT-X-ENDLIST.
struct HlsMedia {
    std::vector<std::pair<std::string, double>> segments;
    bool ended = false;
    bool vod = false;
};
HlsMedia parse_media_playlist(const std::string& path);

}  // namespace avpost::testing
