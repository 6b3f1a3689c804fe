// `avpost compose`: maps options onto filters::ComposeParams and runs the compose pipeline (or,
// with --dry-run, prints its plan).
#include <filesystem>
#include <iostream>
#include <memory>

#include "avpost/core/interrupt.hpp"
#include "avpost/filters/compose.hpp"
#include "avpost/filters/compose_plan.hpp"
#include "avpost/pipeline/compose_files.hpp"
#include "command.hpp"
#include "compose_options.hpp"
#include "avpost/filters/delivery_option_table.hpp"
#include "delivery_report.hpp"
#include "exit_codes.hpp"

namespace avpost::tool {
namespace {

struct ComposeCommandOptions {
    filters::ComposeParams params;
    ComposeLayoutOptions layout;
    OptionFlags<filters::ComposeParams> encode{filters::encode_options()};
    // The deliveries are named after -o: no --name.
    OptionFlags<filters::DeliveryOptions> delivery{filters::delivery_options(), {"name"}};
    std::string old_preset;
    bool dry_run = false;
    CLI::Option* background = nullptr;

    void add_to(CLI::App& sub) {
        sub.add_option("--video", params.video, "Avatar video")->required();
        sub.add_option("--mask", params.mask, "Grayscale mask video (luma = alpha); not needed when the avatar has alpha");
        background = sub.add_option("--background", params.background,
                                    "Image, video, colour (#RRGGBB, 0xRRGGBB, RRGGBB or a CSS name like white; quote the "
                                    "'#'), or 'transparent' (the avatar alone with alpha: -o X.webm for VP9 with alpha, "
                                    "-o X.mov for ProRes 4444)")
                         ->type_name("FILE|COLOUR");
        sub.add_option("-o,--output", params.output, "Output file, or 'null' to encode nothing")->required();
        layout.add_to(sub);
        encode.add_to(sub);
        // The former name of --encoder-preset; a delivery preset given here gets a hint.
        sub.add_option("--preset", old_preset)->group("");
        delivery.add_to(sub);
        sub.add_flag("--dry-run", dry_run,
                     "Print the plan (inputs, canvas, placement, alpha source, outputs) after opening the inputs, "
                     "and exit: nothing is decoded or written");
    }

    // The options as compose parameters; throws Error(usage) on a bad value.
    void apply() {
        filters::ComposeParams& p = params;
        encode.apply_to(p);
        if (!old_preset.empty()) {
            check_encoder_preset(old_preset, p.vcodec, "--preset", "use --deliver " + old_preset, "--encoder-preset");
            if (!p.preset.empty()) throw_usage("give --encoder-preset only (--preset is its former name)");
            p.preset = old_preset;
        }
        check_encoder_preset(p.preset, p.vcodec, "--encoder-preset", "use --deliver " + p.preset, "--encoder-preset");
        if (background->count() > 0) p.background = background_value(p.background);
        layout.apply_to(p);
        if (p.background.empty() && p.layers.empty()) throw_usage("give --background or --scene");
        if (delivery.given("presets")) {
            if (p.output == "null") throw_usage("--deliver writes beside -o FILE, so it needs one (not -o null)");
            filters::DeliveryOptions d;
            const std::filesystem::path out(p.output);
            d.directory = out.parent_path().empty() ? std::filesystem::path(".") : out.parent_path();
            d.name = out.stem().string();
            d.web_suffix = "-web";
            delivery.apply_to(d);
            p.delivery = d;
        } else if (delivery.any_given()) {
            throw_usage("the delivery options (--loudness, --captions, --max-size, ...) shape the deliveries: give "
                        "--deliver PRESETS");
        }
    }
};

void print_report(const filters::ComposeReport& report, bool json) {
    if (json) {
        std::cout << nlohmann::json(report).dump() << "\n";
        return;
    }
    if (report.output == "null")
        std::cout << "composited " << report.frames << " frames (no output written)\n";
    else
        std::cout << report.output << "\n";
    // The backdrop keyed: for `--key auto`, the one found.
    if (!report.key.empty()) std::cout << "key: " << report.key << "\n";
    if (report.output != "null") print_deliveries(std::cout, report);
}

}  // namespace

CommandSpec compose_command() {
    return {"compose", "Put an avatar over a background using its mask as alpha",
            [](CLI::App& sub, const GlobalOptions& global) -> CommandRun {
                auto o = std::make_shared<ComposeCommandOptions>();
                sub.footer(
                    "Timing: every input's clock (avatar, mask, background, video layers) starts at its own first\n"
                    "presented frame, whatever its container's start offset; the output starts at 0, the avatar's\n"
                    "first frame. The mask's frame N goes with the avatar's frame N (at another rate, and for\n"
                    "backgrounds and layers: the latest frame at or before each output frame). The audio keeps its\n"
                    "offset from the avatar's first frame (lip sync).");
                o->add_to(sub);
                return [o, &global]() -> int {
                    o->apply();
                    filters::ComposeParams& p = o->params;
                    pipeline::refuse_overwriting_compose_inputs(p);
                    if (o->dry_run) {
                        const filters::ComposePlan plan = filters::plan_compose(p);
                        if (global.json) std::cout << nlohmann::json(plan).dump() << "\n";
                        else std::cout << filters::describe(plan);
                        return exit_ok;
                    }
                    p.progress = !global.quiet && !global.json;
                    install_interrupt_handlers();
                    print_report(filters::run_compose(p), global.json);
                    return exit_ok;
                };
            }};
}

}  // namespace avpost::tool
