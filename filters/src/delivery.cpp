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

void to_json(nlohmann::json& j, const DeliveryOptions& o) {
    nlohmann::json presets = nlohmann::json::array();
    for (Preset p : o.presets) presets.push_back(std::string(to_string(p)));
    j = {{"directory", o.directory.string()},
         {"name", o.name},
         {"presets", presets},
         {"max_size", std::to_string(o.max_size.width) + "x" + std::to_string(o.max_size.height)},
         {"preview_seconds", o.preview_seconds},
         {"preview_width", o.preview_width},
         {"preview_fps", o.preview_fps},
         {"hls_heights", o.hls_heights},
         {"hls_segment_seconds", o.hls_segment_seconds},
         {"hls_segments", std::string(to_string(o.hls_segments))},
         {"hls_codec", std::string(to_string(o.hls_codec))},
         {"loudness", std::string(to_string(o.loudness))},
         {"burn_captions", o.burn_captions},
         {"captions_language", o.captions_language}};
    if (!o.captions.empty()) j["captions"] = o.captions.string();
}

void from_json(const nlohmann::json& j, DeliveryOptions& o) {
    auto field = [&](const char* key) -> const nlohmann::json* {
        auto it = j.find(key);
        return it == j.end() ? nullptr : &*it;
    };
    auto number = [&](const char* key, double low, double high) -> std::optional<double> {
        const nlohmann::json* v = field(key);
        if (!v) return std::nullopt;
        if (!v->is_number()) throw_usage(std::string(key) + ": must be a number");
        double d = v->get<double>();
        if (d < low || d > high)
            throw_usage(std::string(key) + ": must be between " + std::to_string(low) + " and " + std::to_string(high));
        return d;
    };
    if (!j.is_object()) throw_usage("delivery: must be an object");
    for (const auto& [key, value] : j.items()) {
        static const std::array<std::string_view, 15> known{
            "directory",   "name",        "presets",             "max_size",     "preview_seconds", "preview_width",
            "preview_fps", "hls_heights", "hls_segment_seconds", "hls_segments", "hls_codec",       "loudness",
            "captions",    "burn_captions", "captions_language"};
        if (std::find(known.begin(), known.end(), key) == known.end()) throw_usage(key + ": unknown field");
        (void)value;
    }
    if (const auto* v = field("directory")) {
        if (!v->is_string()) throw_usage("directory: must be a string");
        o.directory = v->get<std::string>();
    }
    if (const auto* v = field("name")) {
        if (!v->is_string() || v->get<std::string>().empty() ||
            v->get<std::string>().find('/') != std::string::npos)
            throw_usage("name: must be a non-empty file name without '/'");
        o.name = v->get<std::string>();
    }
    if (const auto* v = field("presets")) {
        o.presets.clear();
        if (v->is_string()) {
            o.presets = parse_preset_list(v->get<std::string>());
        } else if (v->is_array()) {
            for (std::size_t i = 0; i < v->size(); ++i) {
                if (!(*v)[i].is_string()) throw_usage("presets[" + std::to_string(i) + "]: must be a string");
                try {
                    Preset p = parse_preset((*v)[i].get<std::string>());
                    if (std::find(o.presets.begin(), o.presets.end(), p) == o.presets.end()) o.presets.push_back(p);
                } catch (const Error& e) {
                    throw_usage("presets[" + std::to_string(i) + "]: " + e.what());
                }
            }
            if (o.presets.empty()) throw_usage("presets: must name at least one preset");
        } else {
            throw_usage("presets: must be a list of preset names");
        }
    }
    if (const auto* v = field("max_size")) {
        if (!v->is_string()) throw_usage("max_size: must be a string like \"1920x1080\"");
        try {
            o.max_size = parse_size(v->get<std::string>(), false);
        } catch (const Error& e) {
            throw_usage(std::string("max_size: ") + e.what());
        }
    }
    if (auto d = number("preview_seconds", 0.1, 60)) o.preview_seconds = *d;
    if (auto d = number("preview_width", 16, 3840)) o.preview_width = int(*d);
    if (auto d = number("preview_fps", 1, 60)) o.preview_fps = *d;
    if (auto d = number("hls_segment_seconds", 1, 60)) o.hls_segment_seconds = *d;
    if (const auto* v = field("hls_segments")) {
        if (!v->is_string()) throw_usage("hls_segments: must be \"fmp4\" or \"ts\"");
        try {
            o.hls_segments = parse_hls_segments(v->get<std::string>());
        } catch (const Error& e) {
            throw_usage(std::string("hls_segments: ") + e.what());
        }
    }
    if (const auto* v = field("hls_codec")) {
        if (!v->is_string()) throw_usage("hls_codec: must be \"h264\" or \"hevc\"");
        try {
            o.hls_codec = parse_hls_codec(v->get<std::string>());
        } catch (const Error& e) {
            throw_usage(std::string("hls_codec: ") + e.what());
        }
    }
    if (o.hls_codec == HlsCodec::hevc && o.hls_segments == HlsSegments::mpegts)
        throw_usage("hls_codec hevc needs hls_segments fmp4 (HLS carries HEVC only in fMP4)");
    if (const auto* v = field("loudness")) {
        if (!v->is_string()) throw_usage("loudness: must be one of web, podcast, broadcast, us-tv, off");
        try {
            o.loudness = parse_loudness_target(v->get<std::string>());
        } catch (const Error& e) {
            throw_usage(std::string("loudness: ") + e.what());
        }
    }
    if (const auto* v = field("captions")) {
        if (!v->is_string() || v->get<std::string>().empty()) throw_usage("captions: must be the path of a caption file");
        o.captions = v->get<std::string>();
    }
    if (const auto* v = field("burn_captions")) {
        if (!v->is_boolean()) throw_usage("burn_captions: must be true or false");
        o.burn_captions = v->get<bool>();
    }
    if (o.burn_captions && o.captions.empty()) throw_usage("burn_captions: needs captions (a caption file)");
    if (const auto* v = field("captions_language")) {
        if (!v->is_string()) throw_usage("captions_language: must be a language tag like \"en\"");
        try {
            check_language_tag(v->get<std::string>());
        } catch (const Error& e) {
            throw_usage(std::string("captions_language: ") + e.what());
        }
        o.captions_language = v->get<std::string>();
    }
    if (const auto* v = field("hls_heights")) {
        if (!v->is_array() || v->empty()) throw_usage("hls_heights: must be a non-empty list of heights");
        o.hls_heights.clear();
        for (std::size_t i = 0; i < v->size(); ++i) {
            const auto& h = (*v)[i];
            if (!h.is_number_integer() || h.get<int>() < 16 || h.get<int>() > 4320)
                throw_usage("hls_heights[" + std::to_string(i) + "]: must be a whole number from 16 to 4320");
            o.hls_heights.push_back(h.get<int>());
        }
    }
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
