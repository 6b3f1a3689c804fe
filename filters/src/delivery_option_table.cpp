#include "avpost/filters/delivery_option_table.hpp"

#include <algorithm>
#include <array>

#include "avpost/core/file_stem.hpp"
#include "avpost/filters/registry.hpp"
#include "avpost/filters/webvtt_rendition.hpp"

namespace avpost::filters {
namespace {

using nlohmann::json;
using Row = OptionRow<DeliveryOptions>;

const std::string& text(const json& v) { return v.get_ref<const std::string&>(); }

// "web,poster" or ["web", "poster"]: the presets in order, without repeats.
std::vector<Preset> read_presets(const json& v) {
    if (v.is_string()) return parse_preset_list(text(v));
    std::vector<Preset> presets;
    for (std::size_t i = 0; i < v.size(); ++i) {
        Preset p;
        try {
            p = parse_preset(text(v[i]));
        } catch (const Error& e) {
            throw_usage("[" + std::to_string(i) + "]: " + e.what());
        }
        if (std::find(presets.begin(), presets.end(), p) == presets.end()) presets.push_back(p);
    }
    return presets;
}

const std::array rows{
    Row{"presets", "deliver", OptionType::text_or_list, "PRESETS", "Delivery presets, comma-separated", "",
        [](DeliveryOptions& o, const json& v) { o.presets = read_presets(v); },
        [](const DeliveryOptions& o) {
            if (o.presets.empty()) return json();
            json list = json::array();
            for (Preset p : o.presets) list.push_back(std::string(to_string(p)));
            return list;
        },
        ""},
    Row{"name", "name", OptionType::text, "", "File stem of the outputs", "",
        [](DeliveryOptions& o, const json& v) {
            if (auto why = file_stem_problem(text(v)))
                throw_usage("must be a file stem of letters, digits, '.', '_' and '-': " + *why);
            o.name = text(v);
        },
        [](const DeliveryOptions& o) { return json(o.name); },
        ""},
    Row{"max_size", "max-size", OptionType::text, "WxH",
        "web, hevc, av1, hls and poster fit inside WxH (turned for portrait sources)", "",
        [](DeliveryOptions& o, const json& v) { o.max_size = parse_size(text(v), false); },
        [](const DeliveryOptions& o) {
            return json(std::to_string(o.max_size.width) + "x" + std::to_string(o.max_size.height));
        },
        "web,hevc,av1,av1-webm,poster,hls"},
    Row{"preview_seconds", "preview-seconds", OptionType::number, "", "Length of the preview (0.1 to 60)", "",
        [](DeliveryOptions& o, const json& v) { o.preview_seconds = number_in_range(v, 0.1, 60); },
        [](const DeliveryOptions& o) { return json(o.preview_seconds); },
        "preview"},
    Row{"preview_width", "preview-width", OptionType::integer, "", "Width of the preview (16 to 3840)", "",
        [](DeliveryOptions& o, const json& v) { o.preview_width = int(number_in_range(v, 16, 3840)); },
        [](const DeliveryOptions& o) { return json(o.preview_width); },
        "preview"},
    Row{"preview_fps", "preview-fps", OptionType::number, "", "Frame rate of the preview (1 to 60)", "",
        [](DeliveryOptions& o, const json& v) { o.preview_fps = number_in_range(v, 1, 60); },
        [](const DeliveryOptions& o) { return json(o.preview_fps); },
        "preview"},
    Row{"hls_heights", "hls-heights", OptionType::integer_list, "",
        "HLS rungs by their short side (16 to 4320; larger than the source: dropped)", "",
        [](DeliveryOptions& o, const json& v) {
            std::vector<int> heights;
            for (std::size_t i = 0; i < v.size(); ++i) {
                const int h = v[i].get<int>();
                if (h < 16 || h > 4320)
                    throw_usage("[" + std::to_string(i) + "]: must be a whole number from 16 to 4320, not " + v[i].dump());
                heights.push_back(h);
            }
            o.hls_heights = heights;
        },
        [](const DeliveryOptions& o) { return json(o.hls_heights); },
        "hls"},
    Row{"hls_segment_seconds", "hls-segment-seconds", OptionType::number, "",
        "HLS segment length (and GOP of the rungs and of the encode shared with them), 1 to 60", "",
        [](DeliveryOptions& o, const json& v) { o.hls_segment_seconds = number_in_range(v, 1, 60); },
        [](const DeliveryOptions& o) { return json(o.hls_segment_seconds); },
        "hls"},
    Row{"hls_segments", "hls-segments", OptionType::text, "", "HLS segments: fmp4 (CMAF, EXT-X-MAP) or ts (MPEG-TS)",
        "fmp4,ts", [](DeliveryOptions& o, const json& v) { o.hls_segments = parse_hls_segments(text(v)); },
        [](const DeliveryOptions& o) { return json(std::string(to_string(o.hls_segments))); },
        "hls"},
    Row{"hls_codec", "hls-codec", OptionType::text, "",
        "HLS rungs: h264 (the top one shared with web) or hevc (needs fmp4; shared with hevc)", "h264,hevc",
        [](DeliveryOptions& o, const json& v) { o.hls_codec = parse_hls_codec(text(v)); },
        [](const DeliveryOptions& o) { return json(std::string(to_string(o.hls_codec))); },
        "hls"},
    Row{"loudness", "loudness", OptionType::text, "",
        "Bring the deliveries' audio to a loudness target: web (-14 LUFS, -1 dBTP), podcast (-16, -1), broadcast (EBU "
        "R128: -23, -1), us-tv (ATSC A/85: -24, -2) or off (the audio as rendered)",
        "web,podcast,broadcast,us-tv,off",
        [](DeliveryOptions& o, const json& v) { o.loudness = parse_loudness_target(text(v)); },
        [](const DeliveryOptions& o) { return json(std::string(to_string(o.loudness))); },
        "web,hevc,av1,av1-webm,webm-alpha,prores-alpha,hls"},
    Row{"captions", "captions", OptionType::path, "",
        "Caption file (SRT, WebVTT or ASS): a soft track in MP4 (mov_text), MOV and WebM (WebVTT), and a WebVTT "
        "subtitle rendition in HLS",
        "", [](DeliveryOptions& o, const json& v) { o.captions = text(v); },
        [](const DeliveryOptions& o) { return o.captions.empty() ? json() : json(o.captions.string()); },
        "web,hevc,av1,av1-webm,webm-alpha,prores-alpha,hls"},
    Row{"burn_captions", "burn-captions", OptionType::boolean, "",
        "Draw the captions into the picture instead (sized to the output, inside the safe area)", "",
        [](DeliveryOptions& o, const json& v) { o.burn_captions = v.get<bool>(); },
        [](const DeliveryOptions& o) { return json(o.burn_captions); },
        "*"},
    Row{"captions_language", "captions-language", OptionType::text, "",
        "Language of the captions (BCP 47: en, pt-BR), named by the HLS subtitle rendition", "",
        [](DeliveryOptions& o, const json& v) {
            check_language_tag(text(v));
            o.captions_language = text(v);
        },
        [](const DeliveryOptions& o) { return json(o.captions_language); },
        "hls"},
};

std::vector<OptionProblem> cross_check(const DeliveryOptions& o) {
    std::vector<OptionProblem> problems;
    if (o.hls_codec == HlsCodec::hevc && o.hls_segments == HlsSegments::mpegts)
        problems.push_back({"hls_codec", "hevc needs fmp4 segments (HLS carries HEVC only in fMP4)"});
    if (o.burn_captions && o.captions.empty()) problems.push_back({"burn_captions", "needs captions (a caption file)"});
    if (o.captions_language != DeliveryOptions{}.captions_language && o.captions.empty())
        problems.push_back({"captions_language", "needs captions (a caption file)"});
    return problems;
}

// Whether the comma-separated sink names in `shapes` take in `name`.
bool names_sink(std::string_view shapes, std::string_view name) {
    if (shapes == "*") return true;
    while (!shapes.empty()) {
        const std::size_t comma = shapes.find(',');
        if (shapes.substr(0, comma) == name) return true;
        if (comma == std::string_view::npos) break;
        shapes.remove_prefix(comma + 1);
    }
    return false;
}

}  // namespace

std::vector<std::string_view> options_shaping(Preset preset) {
    std::vector<std::string_view> keys;
    for (const Row& row : rows)
        if (names_sink(row.shapes, to_string(preset))) keys.push_back(row.key);
    return keys;
}

const OptionTable<DeliveryOptions>& delivery_options() {
    static const OptionTable<DeliveryOptions> table{"delivery", rows, cross_check};
    return table;
}

void to_json(nlohmann::json& j, const DeliveryOptions& o) {
    j = write_options(delivery_options(), o);
    j["directory"] = o.directory.string();
}

void from_json(const nlohmann::json& j, DeliveryOptions& o) {
    DeliveryOptions parsed;
    ReadOptions read;
    read.other_keys = {"directory"};
    auto problems = read_options(delivery_options(), j, parsed, read);
    if (!problems.empty()) throw OptionProblems(std::move(problems));
    if (j.contains("directory")) parsed.directory = j["directory"].get<std::string>();
    o = std::move(parsed);
}

}  // namespace avpost::filters
