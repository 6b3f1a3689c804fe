// `avpost compose`: maps options onto filters::ComposeParams and runs the compose pipeline.
#include <filesystem>
#include <iostream>
#include <memory>

#include "avpost/core/interrupt.hpp"
#include "avpost/filters/compose.hpp"
#include "avpost/pipeline/compose_files.hpp"
#include "command.hpp"
#include "compose_options.hpp"
#include "delivery_finish_options.hpp"
#include "exit_codes.hpp"

namespace avpost::tool {

CommandSpec compose_command() {
    return {"compose", "Put an avatar over a background using its mask as alpha",
            [](CLI::App& sub, const GlobalOptions& global) -> CommandRun {
                struct Options {
                    filters::ComposeParams params;
                    ComposeLayoutOptions layout;
                    DeliveryFinishOptions finish;
                    int crf = -1;
                    std::string deliver, old_preset;
                };
                auto o = std::make_shared<Options>();
                sub.footer(
                    "Timing: every input's clock (avatar, mask, background, video layers) starts at its own first\n"
                    "presented frame, whatever its container's start offset; the output starts at 0, the avatar's\n"
                    "first frame. The mask's frame N goes with the avatar's frame N (at another rate, and for\n"
                    "backgrounds and layers: the latest frame at or before each output frame). The audio keeps its\n"
                    "offset from the avatar's first frame (lip sync).");
                sub.add_option("--video", o->params.video, "Avatar video")->required();
                sub.add_option("--mask", o->params.mask, "Grayscale mask video (luma = alpha); not needed when the avatar has alpha");
                CLI::Option* background = sub.add_option("--background", o->params.background,
                               "Image, video, colour (#RRGGBB, 0xRRGGBB, RRGGBB or a CSS name like white; quote the '#'), "
                               "or 'transparent' (the avatar alone with alpha: -o X.webm for VP9 with alpha, -o X.mov "
                               "for ProRes 4444)");
                sub.add_option("-o,--output", o->params.output, "Output file, or 'null' to encode nothing")->required();
                o->layout.add_to(sub);
                sub.add_option("--vcodec", o->params.vcodec, "Any libavcodec video encoder")->capture_default_str();
                sub.add_option("--crf", o->crf, "Encoder quality (passed through)");
                sub.add_option("--encoder-preset", o->params.preset,
                               "The encoder's speed preset (x264/x265: ultrafast ... medium ... placebo)");
                sub.add_option("--deliver", o->deliver,
                               "Also make these delivery presets beside -o, from the same frames: OUT-web.mp4, "
                               "OUT-hevc.mp4, OUT.webm, ... (see transcode)");
                // The former name of --encoder-preset; a delivery preset given here gets a hint.
                sub.add_option("--preset", o->old_preset)->group("");
                o->finish.add_to(sub);
                return [o, &global, background]() -> int {
                    using namespace filters;
                    ComposeParams& p = o->params;
                    if (!o->old_preset.empty()) {
                        check_encoder_preset(o->old_preset, p.vcodec, "--preset", "use --deliver " + o->old_preset,
                                             "--encoder-preset");
                        if (!p.preset.empty()) throw_usage("give --encoder-preset only (--preset is its former name)");
                        p.preset = o->old_preset;
                    }
                    check_encoder_preset(p.preset, p.vcodec, "--encoder-preset", "use --deliver " + p.preset, "--encoder-preset");
                    if (background->count() > 0) p.background = background_value(p.background);
                    o->layout.apply_to(p);
                    if (p.background.empty() && p.layers.empty()) throw_usage("give --background or --scene");
                    if (o->crf >= 0) p.crf = o->crf;
                    if (!o->deliver.empty()) {
                        if (p.output == "null") throw_usage("--deliver writes beside -o FILE, so it needs one (not -o null)");
                        DeliveryOptions delivery;
                        const std::filesystem::path out(p.output);
                        delivery.directory = out.parent_path().empty() ? std::filesystem::path(".") : out.parent_path();
                        delivery.name = out.stem().string();
                        delivery.web_suffix = "-web";
                        delivery.presets = parse_preset_list(o->deliver);
                        o->finish.apply_to(delivery);
                        p.delivery = delivery;
                    } else if (o->finish.given()) {
                        throw_usage("--loudness and --captions finish the deliveries: give --deliver PRESETS");
                    }
                    pipeline::refuse_overwriting_compose_inputs(p);
                    p.progress = !global.quiet && !global.json;
                    install_interrupt_handlers();
                    ComposeReport report = run_compose(p);
                    if (global.json) {
                        std::cout << nlohmann::json(report).dump() << "\n";
                    } else {
                        if (report.output == "null")
                            std::cout << "composited " << report.frames << " frames (no output written)\n";
                        else
                            std::cout << report.output << "\n";
                        // The backdrop keyed: for `--key auto`, the one found.
                        if (!report.key.empty()) std::cout << "key: " << report.key << "\n";
                        if (report.output != "null") print_deliveries(std::cout, report);
                    }
                    return exit_ok;
                };
            }};
}

}  // namespace avpost::tool
