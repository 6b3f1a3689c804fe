#include "avpost/filters/delivery.hpp"

#include <algorithm>
#include <array>
#include <cmath>

#include "avpost/core/error.hpp"
#include "avpost/core/suggest.hpp"
#include "avpost/filters/registry.hpp"
#include "avpost/filters/webvtt_rendition.hpp"

namespace avpost::filters {
Preset parse_preset(std::string_view name) {
    if (const SinkInfo* sink = find_sink(name)) return sink->preset;
    std::vector<std::string> known;
    for (const auto& row : all_sinks()) known.emplace_back(row.name);
    auto near = closest_match(name, known);
    throw_usage("unknown preset '" + std::string(name) + "'" + (near ? " (did you mean " + *near + "?)" : "") + " (" +
                sink_names() + ")");
}

std::string_view to_string(Preset preset) { return sink_info(preset).name; }

HlsSegments parse_hls_segments(std::string_view name) {
    if (name == "fmp4") return HlsSegments::fmp4;
    if (name == "ts") return HlsSegments::mpegts;
    throw_usage("unknown HLS segment format '" + std::string(name) + "' (fmp4, ts)");
}

HlsCodec parse_hls_codec(std::string_view name) {
    if (name == "h264") return HlsCodec::h264;
    if (name == "hevc") return HlsCodec::hevc;
    throw_usage("unknown HLS codec '" + std::string(name) + "' (h264, hevc)");
}

std::string_view to_string(HlsSegments segments) { return segments == HlsSegments::fmp4 ? "fmp4" : "ts"; }
std::string_view to_string(HlsCodec codec) { return codec == HlsCodec::h264 ? "h264" : "hevc"; }

std::optional<Preset> hls_shared_preset(const DeliveryOptions& o) {
    auto asked = [&](Preset p) { return std::find(o.presets.begin(), o.presets.end(), p) != o.presets.end(); };
    if (!asked(Preset::hls)) return std::nullopt;
    const Preset top = o.hls_codec == HlsCodec::h264 ? Preset::web : Preset::hevc;
    if (!asked(top)) return std::nullopt;
    return top;
}

int hls_gop_frames(const DeliveryOptions& o, AVRational frame_rate) {
    return std::max(1, int(std::lround(o.hls_segment_seconds * av_q2d(frame_rate))));
}

std::vector<Preset> parse_preset_list(std::string_view list) {
    std::vector<Preset> presets;
    while (!list.empty()) {
        const auto comma = list.find(',');
        std::string_view item = list.substr(0, comma);
        while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
        while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
        if (!item.empty()) {
            Preset preset = parse_preset(item);
            if (std::find(presets.begin(), presets.end(), preset) == presets.end()) presets.push_back(preset);
        }
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
    }
    if (presets.empty()) throw_usage("no preset given (" + sink_names() + ")");
    return presets;
}

bool preset_has_alpha(Preset preset) { return sink_info(preset).needs_alpha; }

std::filesystem::path delivery_path(const DeliveryOptions& o, Preset preset) {
    return o.directory / (o.name + (preset == Preset::web ? o.web_suffix : "") + std::string(sink_info(preset).file));
}

void to_json(nlohmann::json& j, const DeliveredFile& f) {
    nlohmann::json files = nlohmann::json::array();
    for (const auto& p : f.files) files.push_back(p.string());
    j = {{"preset", std::string(to_string(f.preset))},
         {"path", f.path.string()},
         {"files", files},
         {"codec", f.codec},
         {"pixel_format", f.pixel_format},
         {"width", f.width},
         {"height", f.height},
         {"duration_seconds", f.duration_seconds},
         {"alpha", f.alpha},
         {"audio", f.audio},
         {"bytes", f.bytes}};
    if (f.loudness) j["loudness"] = *f.loudness;
    if (f.caption_cues > 0) j["caption_cues"] = f.caption_cues;
}

}  // namespace avpost::filters
