// `avpost compose`: maps options onto filters::ComposeParams and runs the compose pipeline.
#include <iostream>
#include <memory>

#include "avpost/core/interrupt.hpp"
#include "avpost/filters/compose.hpp"
#include "command.hpp"
#include "exit_codes.hpp"

namespace avpost::tool {

CommandSpec compose_command() {
    return {"compose", "Put an avatar over a background using its mask as alpha",
            [](CLI::App& sub, const GlobalOptions& global) -> CommandRun {
                struct Options {
                    filters::ComposeParams params;
                    std::string canvas, position, size, fit = "contain", anchor = "center", mask_range = "auto",
                                                         despill, bg_end = "loop";
                    int choke = 0;
                    double feather = 0;
                    int crf = -1;
                };
                auto o = std::make_shared<Options>();
                sub.add_option("--video", o->params.video, "Avatar video")->required();
                sub.add_option("--mask", o->params.mask, "Grayscale mask video (luma = alpha)")->required();
                sub.add_option("--background", o->params.background, "Image, video, or colour #RRGGBB")->required();
                sub.add_option("-o,--output", o->params.output, "Output file, or 'null' to encode nothing")->required();
                sub.add_option("--canvas", o->canvas, "Canvas WxH (default: background size; avatar size for a colour)");
                sub.add_option("--position", o->position, "Top-left of the avatar on the canvas, X,Y pixels");
                sub.add_option("--size", o->size, "Scale the avatar to WxH (-1 keeps the aspect ratio)");
                sub.add_option("--fit", o->fit, "contain|cover|fill|none, when --size is not given")->capture_default_str();
                sub.add_option("--anchor", o->anchor,
                               "center|top|bottom|left|right|top-left|top-right|bottom-left|bottom-right")
                    ->capture_default_str();
                sub.add_option("--mask-range", o->mask_range,
                               "auto|limited|full (auto: the stream's tag; untagged H.264/HEVC is limited)")
                    ->capture_default_str();
                sub.add_option("--choke", o->choke, "Erode the matte by PX pixels (negative dilates)");
                sub.add_option("--feather", o->feather, "Soften the matte edge by PX pixels");
                sub.add_option("--despill", o->despill, "Remove this backdrop colour #RRGGBB from the edge");
                sub.add_option("--bg-end", o->bg_end, "loop|hold|stop when a background video ends")
                    ->capture_default_str();
                sub.add_option("--vcodec", o->params.vcodec, "Any libavcodec video encoder")->capture_default_str();
                sub.add_option("--crf", o->crf, "Encoder quality (passed through)");
                sub.add_option("--preset", o->params.preset, "Encoder preset (passed through)");
                return [o, &global]() -> int {
                    using namespace filters;
                    ComposeParams& p = o->params;
                    if (!o->canvas.empty()) p.canvas = parse_size(o->canvas, false);
                    if (!o->position.empty()) p.position = parse_point(o->position);
                    if (!o->size.empty()) p.size = parse_size(o->size, true);
                    p.fit = parse_fit(o->fit);
                    p.anchor = parse_anchor(o->anchor);
                    p.matte.range = parse_mask_range(o->mask_range);
                    p.matte.choke = o->choke;
                    if (o->feather < 0) throw_usage("--feather must not be negative");
                    p.matte.feather = o->feather;
                    if (!o->despill.empty()) p.despill = parse_hex_colour(o->despill);
                    p.background_end = parse_background_end(o->bg_end);
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
