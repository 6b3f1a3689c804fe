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
#include "avpost/filters/delivery_option_table.hpp"
#include "delivery_report.hpp"
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
                    OptionFlags<filters::DeliveryOptions> delivery{filters::delivery_options()};
                    std::string directory, old_presets;
                };
                auto o = std::make_shared<Options>();
                sub.add_option("input", o->params.video, "Source video (a composite, or an avatar with --mask)")
                    ->required();
                sub.add_option("-o,--output", o->directory, "Directory for the outputs")->required();
                // The former name of --deliver, kept for delivery presets; an encoder preset gets a hint.
                sub.add_option("--preset", o->old_presets)->group("");
                sub.add_option("--mask", o->params.mask,
                               "The source's grayscale matte: needed by " + alpha_sink_names() + " and --background");
                CLI::Option* background = sub.add_option("--background", o->params.background,
                               "Composite over this image, video or colour (#RRGGBB, 0xRRGGBB, RRGGBB, a CSS name) first (needs --mask)")
                                                      ->type_name("FILE|COLOUR");
                o->layout.add_to(sub);
                o->delivery.add_to(sub);
                sub.footer("--deliver takes " + filters::sink_names() +
                           " (web writes NAME-web.mp4; `avpost stages` says what each makes); the outputs are named "
                           "after the input unless --name is given.");
                return [o, &global, background]() -> int {
                    using namespace filters;
                    ComposeParams& p = o->params;
                    if (background->count() > 0) p.background = background_value(p.background);
                    o->layout.apply_to(p);
                    DeliveryOptions delivery;
                    delivery.directory = o->directory;
                    // NAME-web.mp4: never `fetch`'s ID.mp4, which is often this very input.
                    delivery.web_suffix = "-web";
                    delivery.name = std::filesystem::path(p.video).stem().string();
                    o->delivery.apply_to(delivery);
                    if (!o->old_presets.empty()) {
                        if (o->delivery.given("presets")) throw_usage("give --deliver only (--preset is its former name)");
                        try {
                            delivery.presets = parse_preset_list(o->old_presets);
                        } catch (const Error& e) {
                            throw_usage("--preset " + o->old_presets + ": transcode makes delivery presets, given with "
                                        "--deliver (" + e.what() + ")");
                        }
                    }
                    if (delivery.presets.empty()) throw_usage("give --deliver PRESETS (" + sink_names() + ")");
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
