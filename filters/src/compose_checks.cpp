// The compose checks made before any file is opened, and the choice of the avatar's alpha, made
// as soon as the avatar is open: bad options fail before anything decodes.
#include <cerrno>
#include <filesystem>

#include "avpost/core/error.hpp"
#include "avpost/filters/compose_option_tables.hpp"
#include "avpost/filters/compose_plan.hpp"
#include "avpost/media/media_writer.hpp"
#include "compose_params_facts.hpp"
#include "compose_text.hpp"

namespace avpost::filters {
namespace {

// An output's directory must exist: a mistyped -o fails (exit 4) instead of quietly making a
// tree of directories somewhere else.
void require_output_directory(const std::string& path) {
    const std::filesystem::path parent = std::filesystem::path(path).parent_path();
    std::error_code error;
    if (parent.empty() || std::filesystem::is_directory(parent, error)) return;
    throw OutputError(ErrorDomain::system, "cannot write '" + path + "'", ENOENT,
                      "its directory '" + parent.string() + "' does not exist");
}

}  // namespace

void check_compose_params(const ComposeParams& params) {
    using namespace compose_facts;
    using compose_text::size_text;
    const bool file_output = writes_file(params);
    if (params.output.empty() && !params.delivery) throw_usage("no output given (-o FILE, or -o null)");
    if (file_output && !transparent(params) && !media::video_encoder_exists(params.vcodec))
        throw_usage("unknown video encoder '" + params.vcodec + "' (see `ffmpeg -encoders`)");
    if (params.canvas && (params.canvas->width <= 0 || params.canvas->height <= 0))
        throw_usage("canvas size " + size_text(*params.canvas) + " is empty");
    if (params.video.empty()) throw_usage("no avatar video given (--video)");
    const bool scene_given = !params.layers.empty();
    if (scene_given && !params.background.empty())
        throw_usage("give either a background or a scene of layers, not both");
    if (scene_given && !params.canvas) throw_usage("a scene of layers needs a canvas size (e.g. 3840x2160)");
    if (!params.overlays.empty() && compose_facts::transparent(params))
        throw_usage("overlays are drawn over the composite: not with a transparent background");
    if ((!params.intro.empty() || !params.outro.empty()) && compose_facts::transparent(params))
        throw_usage("an intro or outro is shown on the canvas: not with a transparent background (deliver webm-alpha instead)");
    if (params.music && compose_facts::transparent(params))
        throw_usage("music: not with a transparent background (deliver webm-alpha instead)");
    const bool keyed = params.key.has_value();
    if (keyed && !params.mask.empty()) throw_usage("give either a mask (--mask) or a key (--key), not both");
    // What the options say about each other (a key with a despill colour, a key matte file without
    // a key): the compose option table's cross check, which the CLI and job files share.
    if (auto problems = layout_options().cross_check(params); !problems.empty())
        throw_usage(problems.front().key + ": " + problems.front().why);
    if (file_output) require_output_directory(params.output);
    if (!params.key_matte_output.empty()) require_output_directory(params.key_matte_output);
}

AlphaKind choose_alpha(const ComposeParams& params, bool avatar_has_alpha) {
    using namespace compose_facts;
    if (!params.mask.empty()) return AlphaKind::mask;
    if (params.key) return AlphaKind::key;
    // Without a mask, an avatar that carries its own alpha (VP9 alpha WebM, ProRes 4444) is its
    // own matte.
    if (avatar_has_alpha) return AlphaKind::source_alpha;
    if (has_backdrop(params))
        throw_usage("no mask video given (--mask): compositing over a background needs the matte "
                    "(or an avatar with alpha)");
    if (needs_alpha_layer(params))
        throw_usage("no mask video given (--mask): alpha outputs (transparent, webm-alpha, "
                    "prores-alpha) need the matte (or an avatar with alpha)");
    return AlphaKind::none;
}

}  // namespace avpost::filters
