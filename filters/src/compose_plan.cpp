// plan_compose: every decision a compose makes before its first frame, from its parameters and
// its probed inputs.
#include "avpost/filters/compose_plan.hpp"

#include <cmath>
#include <filesystem>
#include <stdexcept>

#include "avpost/core/error.hpp"
#include "avpost/filters/layer_stack.hpp"
#include "avpost/filters/registry.hpp"
#include "avpost/filters/timed_frames.hpp"
#include "compose_params_facts.hpp"
#include "compose_text.hpp"

namespace avpost::filters {

using compose_text::rate_text;
using compose_text::seconds_text;
using compose_text::size_text;

std::string to_string(AlphaKind kind) {
    switch (kind) {
        case AlphaKind::mask: return "mask";
        case AlphaKind::key: return "key";
        case AlphaKind::source_alpha: return "source_alpha";
        case AlphaKind::none: return "none";
    }
    return "?";
}

std::string to_string(PictureKind kind) {
    switch (kind) {
        case PictureKind::avatar: return "avatar";
        case PictureKind::avatar_on_black: return "avatar_on_black";
        case PictureKind::composite: return "composite";
    }
    return "?";
}

std::string to_string(CompositeKind kind) {
    switch (kind) {
        case CompositeKind::none: return "none";
        case CompositeKind::null: return "null";
        case CompositeKind::encoded: return "encoded";
        case CompositeKind::transparent: return "transparent";
    }
    return "?";
}

namespace {

// "layer 2 (colour)", as errors name a layer.
std::string layer_label(const char* list, std::size_t index, const Layer& layer) {
    return std::string(list) + " " + std::to_string(index) + " (" + to_string(layer.type) + ")";
}

double seconds_per_frame(AVRational rate) { return rate.num > 0 ? 1.0 / av_q2d(rate) : 0.04; }

ComposePlan::Avatar avatar_of(const ComposeParams& params, const ComposeProbe& probe) {
    const media::VideoStreamInfo& info = probe.avatar;
    if (info.still_image) throw_input("avatar '" + params.video + "'", "is a still image, not a video");
    return {params.video, {info.width, info.height}, info.frame_rate, info.time_base, info.duration_seconds,
            info.frame_count, info.has_alpha, probe.avatar_audio, resolve_matrix(info.colorspace, info.height)};
}

std::optional<ComposePlan::Background> background_of(const ComposeParams& params, const ComposeProbe& probe) {
    if (!compose_facts::has_backdrop(params) || !params.layers.empty()) return std::nullopt;
    ComposePlan::Background background;
    background.source = params.background;
    background.end = params.background_end;
    if (params.background.starts_with('#')) return background;  // a colour (Background's own rule)
    if (!probe.background) throw std::invalid_argument("plan_compose: background '" + params.background + "' not probed");
    const media::VideoStreamInfo& info = *probe.background;
    background.kind = info.still_image ? ComposePlan::BackgroundKind::image : ComposePlan::BackgroundKind::video;
    background.size = Size{info.width, info.height};
    if (!info.still_image && info.duration_seconds > 0) background.duration_seconds = info.duration_seconds;
    return background;
}

void plan_inputs(const ComposeParams& params, const ComposeProbe& probe, ComposePlan& plan) {
    plan.avatar = avatar_of(params, probe);
    if (plan.alpha.kind == AlphaKind::mask) {
        if (!probe.mask) throw std::invalid_argument("plan_compose: mask '" + params.mask + "' not probed");
        const media::VideoStreamInfo& info = *probe.mask;
        ComposePlan::Mask mask;
        mask.path = params.mask;
        mask.size = {info.width, info.height};
        mask.frame_rate = info.frame_rate;
        mask.duration_seconds = info.duration_seconds;
        mask.limited = mask_is_limited(params.matte.range, info.range, info.codec_id, info.pixel_format);
        plan.mask = mask;
    }
    plan.background = background_of(params, probe);
    plan.layers = params.layers;
    plan.overlays = params.overlays;
    // Text: its font and every character it needs, before anything is decoded.
    for (std::size_t i = 0; i < plan.layers.size(); ++i)
        if (plan.layers[i].text) check_text(*plan.layers[i].text, layer_label("layer", i, plan.layers[i]));
    for (std::size_t i = 0; i < plan.overlays.size(); ++i) {
        const std::string where = layer_label("overlay", i, plan.overlays[i]);
        if (plan.overlays[i].type == LayerType::avatar) throw_usage(where + ": the avatar is not an overlay");
        if (plan.overlays[i].text) check_text(*plan.overlays[i].text, where);
    }
}

// Timed layers: their spans and fades against the avatar's part of the programme, once the
// programme's frame plan says where that lies.
void check_layer_times(const ComposePlan& plan) {
    const double start = plan.avatar_start_seconds();
    const AvatarPart part{start, plan.avatar.duration_seconds > 0 ? start + plan.avatar.duration_seconds : 0.0,
                          !plan.programme || (!plan.programme->intro && !plan.programme->outro)};
    for (std::size_t i = 0; i < plan.layers.size(); ++i)
        check_layer_timing(plan.layers[i], part, layer_label("layer", i, plan.layers[i]));
    for (std::size_t i = 0; i < plan.overlays.size(); ++i)
        check_layer_timing(plan.overlays[i], part, layer_label("overlay", i, plan.overlays[i]));
}

// Without a background the canvas is the (scaled) avatar's own.
Size canvas_of(const ComposeParams& params, const ComposePlan& plan) {
    const Size avatar = plan.avatar.size;
    if (params.canvas) return *params.canvas;
    if (plan.background) return plan.background->size.value_or(avatar);
    if (!params.size) return avatar;
    return place_avatar({avatar, avatar, plan.fit, plan.anchor, params.size, Point{0, 0}, std::nullopt}).size;
}

// --fit-to visible places the avatar by its matte's bounding box: a matte it can read alone.
void check_fit_to_visible(const ComposePlan& plan) {
    if (!plan.layers.empty())
        throw_usage("--fit-to visible places the avatar by itself; a scene's avatar layer places it there");
    if (plan.alpha.kind == AlphaKind::key) throw_usage("--fit-to visible needs a mask or an avatar with alpha, not --key");
    if (plan.alpha.kind == AlphaKind::none) throw_usage("--fit-to visible needs a mask (--mask) or an avatar with alpha");
}

PictureKind picture_of(const ComposePlan& plan) {
    if (plan.background || !plan.layers.empty()) return PictureKind::composite;
    // Overlays are drawn on a canvas of its own, never on the decoder's frame.
    return plan.placement->position == Point{0, 0} && plan.placement->size == plan.canvas && plan.overlays.empty()
               ? PictureKind::avatar
               : PictureKind::avatar_on_black;
}

void plan_geometry(const ComposeParams& params, ComposePlan& plan) {
    plan.fit = effective_fit(params);
    plan.anchor = params.anchor;
    plan.fit_to = params.fit_to;
    plan.size = params.size;
    plan.position = params.position;
    plan.canvas = canvas_of(params, plan);
    plan.matrix = output_matrix_for(plan.canvas.width, plan.canvas.height);
    // A scene places the avatar itself (its avatar layer's offset and size).
    if (!plan.layers.empty()) plan.placement = scene_avatar_placement(plan.layers, plan.avatar.size);
    if (plan.fit_to == FitTo::visible) {
        check_fit_to_visible(plan);
        return;  // placed after the pass over the matte (place_visible)
    }
    if (!plan.placement)
        plan.placement = place_avatar({plan.canvas, plan.avatar.size, plan.fit, plan.anchor, plan.size, plan.position,
                                       std::nullopt});
    plan.picture = picture_of(plan);
}

// The clock rule (README, compose --help): every input's clock starts at its own first presented
// frame, whatever its container's start offset; the avatar's first frame is the output's 0. At
// the avatar's rate a quarter frame absorbs the rounding of two time bases, so the matte's frame
// N pairs with the avatar's frame N; at another rate the matte is resampled like a background:
// each avatar frame takes the latest mask frame at or before it.
void plan_mask_clock(const ComposePlan::Avatar& avatar, ComposePlan::Mask& mask, double frame_seconds,
                     std::vector<std::string>& warnings) {
    mask.at_avatar_rate = !(avatar.frame_rate.num > 0 && mask.frame_rate.num > 0 &&
                            std::abs(av_q2d(mask.frame_rate) / av_q2d(avatar.frame_rate) - 1.0) > 0.001);
    if (!mask.at_avatar_rate)
        warnings.push_back("mask runs at " + rate_text(mask.frame_rate) + " fps, the avatar at " +
                           rate_text(avatar.frame_rate) +
                           " fps: each avatar frame takes the latest mask frame at or before it");
    mask.tolerance_seconds = mask.at_avatar_rate ? frame_seconds / 4 : same_instant_seconds;
}

// Another render's mask is stretched over this avatar without a word unless told: a shape that
// differs is worth a warning, a length that differs by more than two frames is an error unless
// allowed.
void check_mask_is_this_renders(const ComposeParams& params, ComposePlan& plan) {
    const ComposePlan::Avatar& avatar = plan.avatar;
    const ComposePlan::Mask& mask = *plan.mask;
    const double gap = std::abs(mask.duration_seconds - avatar.duration_seconds);
    if (avatar.duration_seconds > 0 && mask.duration_seconds > 0 && gap > 2 * plan.frame_seconds + 1e-6 &&
        !params.allow_mask_mismatch)
        throw_input("mask '" + params.mask + "' lasts " + seconds_text(mask.duration_seconds) + ", the avatar " +
                        seconds_text(avatar.duration_seconds),
                    "more than two frames apart: is it another render's? (--allow-mask-mismatch uses it anyway)");
    const double aspect_ratio =
        (double(mask.size.width) / mask.size.height) / (double(avatar.size.width) / avatar.size.height);
    if (mask.size.height > 0 && avatar.size.height > 0 && std::abs(aspect_ratio - 1.0) > 0.01)
        plan.warnings.push_back("mask is " + size_text(mask.size) + ", the avatar " + size_text(avatar.size) +
                                ": another aspect ratio, stretched to fit");
}

void plan_alpha(const ComposeParams& params, ComposePlan& plan) {
    ComposePlan::Alpha& alpha = plan.alpha;
    alpha.matte = params.matte;
    if (alpha.kind == AlphaKind::mask || alpha.kind == AlphaKind::source_alpha) alpha.despill = params.despill;
    alpha.key = params.key;
    alpha.key_matte_output = params.key_matte_output;
    // When nothing but the compositor reads a vendor matte, it reads the codes themselves.
    alpha.codes_to_compositor = alpha.kind == AlphaKind::mask && !alpha.despill && !plan.alpha_layer;
}

// The alpha preset's sink that writes a transparent -o, by its extension.
Preset transparent_preset(const std::string& output) {
    const std::string extension = std::filesystem::path(output).extension().string();
    const SinkInfo* sink = nullptr;
    for (const auto& row : all_sinks())
        if (row.needs_alpha && !extension.empty() && row.file.ends_with(extension)) sink = &row;
    if (!sink)
        throw_usage("a transparent background needs a .webm (VP9 with alpha) or .mov (ProRes 4444) output, not '" +
                    output + "'");
    return sink->preset;
}

ComposePlan::Composite composite_of(const ComposeParams& params) {
    ComposePlan::Composite composite;
    if (params.output.empty()) return composite;
    if (params.output == "null") {
        composite.kind = CompositeKind::null;
        return composite;
    }
    composite.path = params.output;
    if (compose_facts::transparent(params)) {
        composite.kind = CompositeKind::transparent;
        composite.alpha_preset = transparent_preset(params.output);
        composite.vcodec = composite.alpha_preset == Preset::webm_alpha ? "libvpx-vp9" : "prores_ks";
        return composite;
    }
    composite.kind = CompositeKind::encoded;
    composite.vcodec = params.vcodec;
    composite.crf = params.crf;
    composite.preset = params.preset;
    return composite;
}

void plan_outputs(const ComposeParams& params, ComposePlan& plan) {
    plan.composite = composite_of(params);
    plan.delivery = params.delivery;
    const bool any_output = plan.composite.kind == CompositeKind::encoded ||
                            plan.composite.kind == CompositeKind::transparent || plan.delivery;
    plan.audio = plan.avatar.audio && any_output;
    // With --bg-end stop the output ends with the background: so does its audio.
    if (plan.background && plan.background->end == BackgroundEnd::stop)
        plan.audio_end_seconds = plan.background->duration_seconds;
    const Size canvas = plan.canvas;
    if (plan.delivery && (canvas.width % 2 || canvas.height % 2))
        plan.warnings.push_back("canvas " + size_text(canvas) + " is odd: 4:2:0 deliveries drop its last " +
                                (canvas.width % 2 && canvas.height % 2 ? "column and row"
                                 : canvas.width % 2                    ? "column"
                                                                       : "row") +
                                " (--canvas sets an even size)");
}

ComposePlan::ProgrammeClip programme_clip(const std::string& path, const media::ProbedMedia& probed, double frame_seconds) {
    ComposePlan::ProgrammeClip clip{path, {probed.width, probed.height}, probed.duration_seconds,
                                    probed.video_start_seconds, probed.has_audio, 0};
    clip.frames = std::max<std::int64_t>(1, std::llround(probed.duration_seconds / frame_seconds));
    return clip;
}

// Intro, segment and outro on the output's frame grid: each transition overlaps the parts it
// joins by the same whole number of frames.
void plan_programme(const ComposeParams& params, const ComposeProbe& probe, ComposePlan& plan) {
    ComposePlan::Programme programme;
    const double fs = plan.frame_seconds;
    if (probe.intro) programme.intro = programme_clip(params.intro, *probe.intro, fs);
    if (probe.outro) programme.outro = programme_clip(params.outro, *probe.outro, fs);
    programme.transition = params.transition;
    programme.music = params.music;
    programme.segment_frames = plan.avatar.duration_seconds > 0 ? std::llround(plan.avatar.duration_seconds / fs)
                                                                 : plan.avatar.frame_count;
    if (programme.segment_frames <= 0) programme.segment_frames = 1;
    const double overlap = params.transition.overlap_seconds();
    programme.overlap_frames = overlap > 0 ? std::max<std::int64_t>(1, std::llround(overlap / fs)) : 0;
    const auto too_long = [&](const char* what, double seconds) {
        throw_usage("transition_seconds: " + seconds_text(overlap) + " (" + std::to_string(programme.overlap_frames) +
                    " frames) is longer than the " + what + " (" + seconds_text(seconds) + ")");
    };
    const std::int64_t joins = (programme.intro ? 1 : 0) + (programme.outro ? 1 : 0);
    if (programme.intro && programme.overlap_frames > programme.intro->frames) too_long("intro", programme.intro->duration_seconds);
    if (programme.outro && programme.overlap_frames > programme.outro->frames) too_long("outro", programme.outro->duration_seconds);
    if (joins * programme.overlap_frames > programme.segment_frames)
        too_long(joins == 2 ? "avatar segment's half (two transitions)" : "avatar segment",
                 plan.avatar.duration_seconds / double(joins));
    programme.segment_start_frame = programme.intro ? programme.intro->frames - programme.overlap_frames : 0;
    const std::int64_t segment_end = programme.segment_start_frame + programme.segment_frames;
    programme.outro_start_frame = programme.outro ? segment_end - programme.overlap_frames : segment_end;
    programme.total_frames =
        programme.outro ? programme.outro_start_frame + programme.outro->frames : segment_end;
    const bool any_output = plan.composite.kind == CompositeKind::encoded || plan.delivery.has_value();
    plan.audio = any_output && (plan.avatar.audio || (programme.intro && programme.intro->audio) ||
                                (programme.outro && programme.outro->audio) || params.music);
    plan.audio_end_seconds.reset();  // the programme's audio is made in step with its pictures
    plan.programme = std::move(programme);
}

}  // namespace

ComposePlan plan_compose(const ComposeParams& params, const ComposeProbe& probe) {
    check_compose_params(params);
    ComposePlan plan;
    plan.alpha.kind = choose_alpha(params, probe.avatar.has_alpha);
    plan.alpha_layer = compose_facts::needs_alpha_layer(params);
    plan_inputs(params, probe, plan);
    plan_geometry(params, plan);
    plan.frame_rate = plan.avatar.frame_rate.num > 0 ? plan.avatar.frame_rate : AVRational{25, 1};
    plan.frame_seconds = seconds_per_frame(plan.avatar.frame_rate);
    if (plan.mask) {
        plan_mask_clock(plan.avatar, *plan.mask, plan.frame_seconds, plan.warnings);
        check_mask_is_this_renders(params, plan);
    }
    plan_alpha(params, plan);
    plan_outputs(params, plan);
    if (probe.intro || probe.outro || params.music) plan_programme(params, probe, plan);
    check_layer_times(plan);
    plan.decoding = plan_decoding(plan.avatar.size, probe.cores);
    plan.allow_short = params.allow_short;
    return plan;
}

void place_visible(ComposePlan& plan, std::optional<Box> visible) {
    plan.visible = visible;
    plan.placement =
        place_avatar({plan.canvas, plan.avatar.size, plan.fit, plan.anchor, plan.size, plan.position, visible});
    plan.picture = picture_of(plan);
}

}  // namespace avpost::filters
