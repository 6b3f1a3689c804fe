#pragma once
// The HLS subtitle rendition: the soft captions as segmented WebVTT beside the ladder. Its
// segments line up with the video's (same count and lengths); a cue is written into every
// segment it overlaps, with its full timing (RFC 8216 3.5 lets a cue span segments this way),
// and each segment's X-TIMESTAMP-MAP ties the cue clock (0 = the first frame) to the video's
// MPEG-2 (90 kHz) timeline, so players place the cues on the picture whatever its first pts.
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "avpost/filters/captions.hpp"

namespace avpost::filters {

// Per segment (lengths in seconds, back to back from 0), the indices of the cues it shows:
// every cue with start < segment end and end > segment start. Cues starting at or after the
// last segment's end are in none.
std::vector<std::vector<std::size_t>> cues_by_segment(const std::vector<Cue>& cues,
                                                      const std::vector<double>& segment_seconds);

// "HH:MM:SS.mmm", as WebVTT writes cue timings.
std::string webvtt_timestamp(double seconds);

// One WebVTT segment: the header with X-TIMESTAMP-MAP=MPEGTS=first_frame_ticks,LOCAL=00:00:00.000
// and the cues named by `indices`, their text escaped (&, <, >).
std::string webvtt_segment(const std::vector<Cue>& cues, const std::vector<std::size_t>& indices,
                           std::int64_t first_frame_ticks);

// A BCP 47 language tag as HLS's LANGUAGE takes it ("en", "pt-BR", "und"): Error(usage) otherwise.
void check_language_tag(std::string_view tag);

// The GROUP-ID of the rendition, which every #EXT-X-STREAM-INF names in SUBTITLES="...".
inline constexpr std::string_view webvtt_group_id = "subs";

struct WebvttRendition {
    std::string playlist;               // the media playlist's file name, e.g. "captions.m3u8"
    std::vector<std::string> files;     // the playlist and every segment, as written
    std::string media_tag;              // the master playlist's #EXT-X-MEDIA line (no newline)
    int cues = 0;                       // distinct cues written (each once, however many segments show it)
};

// Writes the rendition into `directory`: a media playlist named `stem`.m3u8 and its segments
// `stem`_000.vtt..., one per entry of `segment_seconds`. `first_frame_seconds`: the first video
// frame's presentation time in the segments (what X-TIMESTAMP-MAP maps cue time 0 to).
WebvttRendition write_webvtt_rendition(const std::filesystem::path& directory, const std::string& stem,
                                       const std::vector<Cue>& cues, const std::vector<double>& segment_seconds,
                                       double first_frame_seconds, const std::string& language);

}  // namespace avpost::filters
