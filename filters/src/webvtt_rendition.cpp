#include "avpost/filters/webvtt_rendition.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>

#include "avpost/core/atomic_output.hpp"
#include "avpost/core/error.hpp"

namespace avpost::filters {

std::vector<std::vector<std::size_t>> cues_by_segment(const std::vector<Cue>& cues,
                                                      const std::vector<double>& segment_seconds) {
    std::vector<std::vector<std::size_t>> segments(segment_seconds.size());
    double segment_start = 0;
    for (std::size_t s = 0; s < segment_seconds.size(); ++s) {
        const double segment_end = segment_start + segment_seconds[s];
        for (std::size_t c = 0; c < cues.size(); ++c)
            if (cues[c].start < segment_end && cues[c].end > segment_start) segments[s].push_back(c);
        segment_start = segment_end;
    }
    return segments;
}

std::string webvtt_timestamp(double seconds) {
    const std::int64_t ms = std::max<std::int64_t>(0, std::llround(seconds * 1000.0));
    char text[32];
    std::snprintf(text, sizeof text, "%02lld:%02lld:%02lld.%03lld", static_cast<long long>(ms / 3'600'000),
                  static_cast<long long>(ms / 60'000 % 60), static_cast<long long>(ms / 1000 % 60),
                  static_cast<long long>(ms % 1000));
    return text;
}

namespace {

// Cue text as WebVTT payload: markup characters escaped, and no blank line (it would end the cue).
std::string cue_payload(std::string_view text) {
    std::string out;
    bool line_empty = true;
    for (char c : text) {
        if (c == '\n') {
            if (!line_empty) out += '\n';
            line_empty = true;
            continue;
        }
        if (c == '\r') continue;
        if (c == '&') out += "&amp;";
        else if (c == '<') out += "&lt;";
        else if (c == '>') out += "&gt;";
        else out += c;
        line_empty = false;
    }
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
}

}  // namespace

std::string webvtt_segment(const std::vector<Cue>& cues, const std::vector<std::size_t>& indices,
                           std::int64_t first_frame_ticks) {
    std::string out = "WEBVTT\nX-TIMESTAMP-MAP=MPEGTS=" + std::to_string(first_frame_ticks) + ",LOCAL=00:00:00.000\n";
    for (std::size_t i : indices) {
        const Cue& cue = cues[i];
        out += '\n';
        out += webvtt_timestamp(cue.start);
        out += " --> ";
        out += webvtt_timestamp(cue.end);
        out += '\n';
        out += cue_payload(cue.text);
        out += '\n';
    }
    return out;
}

void check_language_tag(std::string_view tag) {
    // Subtags of letters and digits joined by '-', the first 2 or 3 letters (ISO 639) or "und".
    auto bad = [&] {
        throw_usage("captions language '" + std::string(tag) +
                    "': not a language tag like en, pt-BR or und (BCP 47)");
    };
    if (tag.empty() || tag.size() > 35) bad();
    std::size_t start = 0;
    for (int index = 0; start <= tag.size(); ++index) {
        std::size_t end = tag.find('-', start);
        if (end == std::string_view::npos) end = tag.size();
        const std::string_view sub = tag.substr(start, end - start);
        if (sub.empty() || sub.size() > 8) bad();
        for (char c : sub)
            if (!std::isalnum(static_cast<unsigned char>(c)) || (index == 0 && !std::isalpha(static_cast<unsigned char>(c))))
                bad();
        if (index == 0 && (sub.size() < 2 || sub.size() > 3)) bad();
        if (end == tag.size()) break;
        start = end + 1;
    }
}

WebvttRendition write_webvtt_rendition(const std::filesystem::path& directory, const std::string& stem,
                                       const std::vector<Cue>& cues, const std::vector<double>& segment_seconds,
                                       double first_frame_seconds, const std::string& language) {
    check_language_tag(language);
    WebvttRendition rendition;
    rendition.playlist = stem + ".m3u8";
    // MPEG-2 timestamps are 33-bit; the first frame's fits (players unwrap from there).
    const std::int64_t ticks = std::llround(first_frame_seconds * 90000.0) & ((std::int64_t(1) << 33) - 1);
    const auto segments = cues_by_segment(cues, segment_seconds);
    std::vector<bool> written(cues.size(), false);
    for (const auto& segment : segments)
        for (std::size_t c : segment) written[c] = true;
    rendition.cues = int(std::count(written.begin(), written.end(), true));
    double longest = 0;
    for (double s : segment_seconds) longest = std::max(longest, s);
    std::string playlist = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:" +
                           std::to_string(std::max<long>(1, std::lround(std::ceil(longest - 1e-6)))) +
                           "\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-PLAYLIST-TYPE:VOD\n";
    for (std::size_t s = 0; s < segments.size(); ++s) {
        char name[32];
        std::snprintf(name, sizeof name, "_%03zu.vtt", s);
        const std::string file = stem + name;
        write_file_atomically(directory / file, webvtt_segment(cues, segments[s], ticks));
        rendition.files.push_back(file);
        char length[32];
        std::snprintf(length, sizeof length, "%.6f", segment_seconds[s]);
        playlist += "#EXTINF:" + std::string(length) + ",\n" + file + "\n";
    }
    playlist += "#EXT-X-ENDLIST\n";
    write_file_atomically(directory / rendition.playlist, playlist);
    rendition.files.push_back(rendition.playlist);
    // Not DEFAULT: captions stay off until asked for, but AUTOSELECT lets the player turn them on
    // from the viewer's accessibility or language settings.
    const std::string name = language == "und" ? "Captions" : "Captions (" + language + ")";
    rendition.media_tag = "#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID=\"" + std::string(webvtt_group_id) + "\",LANGUAGE=\"" + language +
                          "\",NAME=\"" + name + "\",DEFAULT=NO,AUTOSELECT=YES,URI=\"" + rendition.playlist + "\"";
    return rendition;
}

}  // namespace avpost::filters
