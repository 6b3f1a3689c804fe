// `avpost compose`: maps options onto filters::ComposeParams and runs the compose pipeline.
#include <iostream>
#include <memory>

#include "avpost/core/interrupt.hpp"
#include "avpost/filters/compose.hpp"
#include "command.hpp"
#include "compose_options.hpp"
#include "exit_codes.hpp"

namespace avpost::tool {

CommandSpec compose_command() {
    return {"compose", "Put an avatar over a background using its mask as alpha",
            [](CLI::App& sub, const GlobalOptions& global) -> CommandRun {
                struct Options {
                    filters::ComposeParams params;
                    ComposeLayoutOptions layout;
                    int crf = -1;
                };
                auto o = std::make_shared<Options>();
                sub.add_option("--video", o->params.video, "Avatar video")->required();
                sub.add_option("--mask", o->params.mask, "Grayscale mask video (luma = alpha); not needed when the avatar has alpha");
                sub.add_option("--background", o->params.background,
                               "Image, video, colour #RRGGBB, or 'transparent' (the avatar alone with alpha: "
                               "-o X.webm for VP9 with alpha, -o X.mov for ProRes 4444)");
                sub.add_option("-o,--output", o->params.output, "Output file, or 'null' to encode nothing")->required();
                o->layout.add_to(sub);
                sub.add_option("--vcodec", o->params.vcodec, "Any libavcodec video encoder")->capture_default_str();
                sub.add_option("--crf", o->crf, "Encoder quality (passed through)");
                sub.add_option("--preset", o->params.preset, "Encoder preset (passed through)");
                return [o, &global]() -> int {
                    using namespace filters;
                    ComposeParams& p = o->params;
                    o->layout.apply_to(p);
                    if (p.background.empty() && p.layers.empty()) throw_usage("give --background or --scene");
                    if (o->crf >= 0) p.crf = o->crf;
                    p.progress = !global.quiet && !global.json;
                    install_interrupt_handlers();
                    ComposeReport report = run_compose(p);
                    if (global.json) {
                        std::cout << nlohmann::json(report).dump() << "\n";
                    } else if (report.output == "null") {
                        std::cout << "composited " << report.frames << " frames (no output written)\n";
                    } else {
                        std::cout << report.output << "\n";
                    }
                    return exit_ok;
                };
            }};
}

}  // namespace avpost::tool
