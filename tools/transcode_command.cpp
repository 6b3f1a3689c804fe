// `avpost transcode`: delivery presets from one decode (and, with a mask and background, one
// composite) of the source; the frames fan out to every preset's encoder.
#include <filesystem>
#include <iostream>
#include <memory>

#include "avpost/core/interrupt.hpp"
#include "avpost/filters/compose.hpp"
#include "avpost/filters/registry.hpp"
#include "avpost/pipeline/compose_files.hpp"
#include "command.hpp"
#include "compose_options.hpp"
#include "delivery_finish_options.hpp"
#include "exit_codes.hpp"

namespace avpost::tool {

namespace {

// `avpost transcode --json` (docs/json/transcode.schema.json): what each delivery wrote, no
// composite (transcode makes none).
nlohmann::json transcode_json(const filters::ComposeReport& report) {
    // loudness and captions as compose reports them: what was asked of every delivery.
    return {{"deliveries", report.deliveries},
            {"frames", report.frames},
            {"duration_seconds", report.duration_seconds},
            {"elapsed_seconds", report.elapsed_seconds},
            {"loudness", report.loudness ? nlohmann::json(*report.loudness) : nlohmann::json()},
            {"captions", report.caption_cues > 0
                             ? nlohmann::json{{"cues", report.caption_cues}, {"burned", report.captions_burned}}
                             : nlohmann::json()},
            {"warnings", report.warnings}};
}

// "webm-alpha, prores-alpha": the presets that carry the avatar's matte.
std::string alpha_sink_names() {
    std::string names;
    for (const auto& sink : filters::all_sinks())
        if (sink.needs_alpha) names += (names.empty() ? "" : ", ") + std::string(sink.name);
    return names;
}

}  // namespace

CommandSpec transcode_command() {
    return {"transcode", "Make delivery formats (" + filters::sink_names() + ") in one pass",
            [](CLI::App& sub, const GlobalOptions& global) -> CommandRun {
                struct Options {
                    filters::ComposeParams params;
                    ComposeLayoutOptions layout;
                    DeliveryFinishOptions finish;
                    std::string directory, presets, old_presets, name, max_size = "1920x1080";
                    double preview_seconds = 3.0;
                    std::vector<int> hls_heights;
                    std::string hls_segments = "fmp4", hls_codec = "h264";
                    double hls_segment_seconds = 4.0;
                };
                auto o = std::make_shared<Options>();
                sub.add_option("input", o->params.video, "Source video (a composite, or an avatar with --mask)")
                    ->required();
                sub.add_option("-o,--output", o->directory, "Directory for the outputs")->required();
                sub.add_option("--deliver", o->presets,
                               "Delivery presets, comma-separated: " + filters::sink_names() +
                                   " (web writes NAME-web.mp4; `avpost stages` says what each makes)");
                // The former name of --deliver, kept for delivery presets; an encoder preset gets a hint.
                sub.add_option("--preset", o->old_presets)->group("");
                sub.add_option("--name", o->name, "File stem of the outputs (default: the input's)");
                sub.add_option("--mask", o->params.mask,
                               "The source's grayscale matte: needed by " + alpha_sink_names() + " and --background");
                CLI::Option* background = sub.add_option("--background", o->params.background,
                               "Composite over this image, video or colour (#RRGGBB, 0xRRGGBB, RRGGBB, a CSS name) first (needs --mask)");
                o->layout.add_to(sub);
                sub.add_option("--max-size", o->max_size, "web, hevc, hls and poster fit inside WxH (turned for portrait sources)")
                    ->capture_default_str();
                sub.add_option("--preview-seconds", o->preview_seconds, "Length of the preview")->capture_default_str();
                sub.add_option("--hls-heights", o->hls_heights, "HLS rungs by their short side (default 1080 720 480)");
                sub.add_option("--hls-segment-seconds", o->hls_segment_seconds,
                               "HLS segment length (and GOP of the rungs and of the encode shared with them)")
                    ->capture_default_str();
                sub.add_option("--hls-segments", o->hls_segments, "HLS segments: fmp4 (CMAF, EXT-X-MAP) or ts (MPEG-TS)")
                    ->capture_default_str();
                sub.add_option("--hls-codec", o->hls_codec,
                               "HLS rungs: h264 (the top one shared with web) or hevc (needs fmp4; shared with hevc)")
                    ->capture_default_str();
                o->finish.add_to(sub);
                return [o, &global, background]() -> int {
                    using namespace filters;
                    ComposeParams& p = o->params;
                    if (!o->old_presets.empty()) {
                        if (!o->presets.empty()) throw_usage("give --deliver only (--preset is its former name)");
                        try {
                            parse_preset_list(o->old_presets);
                        } catch (const Error& e) {
                            throw_usage("--preset " + o->old_presets + ": transcode makes delivery presets, given with "
                                        "--deliver (" + e.what() + ")");
                        }
                        o->presets = o->old_presets;
                    }
                    if (o->presets.empty())
                        throw_usage("give --deliver PRESETS (" + sink_names() + ")");
                    if (background->count() > 0) p.background = background_value(p.background);
                    o->layout.apply_to(p);
                    DeliveryOptions delivery;
                    delivery.directory = o->directory;
                    // NAME-web.mp4: never `fetch`'s ID.mp4, which is often this very input.
                    delivery.web_suffix = "-web";
                    delivery.presets = parse_preset_list(o->presets);
                    delivery.name = o->name.empty() ? std::filesystem::path(p.video).stem().string() : o->name;
                    delivery.max_size = parse_size(o->max_size, false);
                    if (o->preview_seconds <= 0) throw_usage("--preview-seconds must be positive");
                    delivery.preview_seconds = o->preview_seconds;
                    if (!o->hls_heights.empty()) delivery.hls_heights = o->hls_heights;
                    if (o->hls_segment_seconds < 1 || o->hls_segment_seconds > 60)
                        throw_usage("--hls-segment-seconds must be between 1 and 60");
                    delivery.hls_segment_seconds = o->hls_segment_seconds;
                    delivery.hls_segments = parse_hls_segments(o->hls_segments);
                    delivery.hls_codec = parse_hls_codec(o->hls_codec);
                    if (delivery.hls_codec == HlsCodec::hevc && delivery.hls_segments == HlsSegments::mpegts)
                        throw_usage("--hls-codec hevc needs --hls-segments fmp4 (HLS carries HEVC only in fMP4)");
                    o->finish.apply_to(delivery);
                    p.delivery = delivery;
                    pipeline::refuse_overwriting_compose_inputs(p);
                    p.progress = !global.quiet && !global.json;
                    p.progress_label = "transcode";
                    install_interrupt_handlers();
                    ComposeReport report = run_compose(p);
                    if (global.json) {
                        std::cout << transcode_json(report).dump() << "\n";
                    } else {
                        print_deliveries(std::cout, report);
                    }
                    return exit_ok;
                };
            }};
}

}  // namespace avpost::tool
