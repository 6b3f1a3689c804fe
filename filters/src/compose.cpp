#include "avpost/filters/compose.hpp"

#include <chrono>
#include <cmath>
#include <map>

#include "avpost/core/error.hpp"
#include "avpost/core/log.hpp"
#include "avpost/filters/alpha_source.hpp"
#include "avpost/filters/audio_shift.hpp"
#include "avpost/filters/compose_plan.hpp"
#include "avpost/filters/visible_region.hpp"
#include "avpost/media/media_probe.hpp"
#include "avatar_colour.hpp"
#include "compose_inputs.hpp"
#include "compose_loop.hpp"
#include "compose_outputs.hpp"
#include "compose_picture.hpp"
#include "compose_text.hpp"
#include "cut_short.hpp"
#include "programme_run.hpp"

namespace avpost::filters {

BackgroundEnd parse_background_end(std::string_view text) {
    if (text == "loop") return BackgroundEnd::loop;
    if (text == "hold") return BackgroundEnd::hold;
    if (text == "stop") return BackgroundEnd::stop;
    throw_usage("unknown background end '" + std::string(text) + "' (loop, hold, stop)");
}

std::string to_string(BackgroundEnd end) {
    switch (end) {
        case BackgroundEnd::loop: return "loop";
        case BackgroundEnd::hold: return "hold";
        case BackgroundEnd::stop: return "stop";
    }
    return "?";
}

Fit effective_fit(const ComposeParams& p) { return p.fit.value_or(p.position ? Fit::none : Fit::contain); }

void to_json(nlohmann::json& j, const ComposeReport& r) {
    const bool written = !r.output.empty() && r.output != "null";
    j = {{"path", written ? nlohmann::json(r.output) : nlohmann::json()},
         {"frames", r.frames},
         {"duration_seconds", r.duration_seconds},
         {"elapsed_seconds", r.elapsed_seconds},
         {"canvas", compose_text::size_text(r.canvas)},
         {"avatar_size", compose_text::size_text(r.placement.size)},
         {"avatar_position", {r.placement.position.x, r.placement.position.y}},
         {"visible_box", r.visible ? nlohmann::json{r.visible->x, r.visible->y, r.visible->width, r.visible->height}
                                   : nlohmann::json()},
         {"vcodec", written ? nlohmann::json(r.vcodec) : nlohmann::json()},
         {"audio", !r.audio_codec.empty()},
         {"audio_codec", r.audio_codec.empty() ? nlohmann::json() : nlohmann::json(r.audio_codec)},
         {"audio_copied", r.audio_copied},
         {"matrix", r.matrix},
         {"key", r.key.empty() ? nlohmann::json() : nlohmann::json(r.key)},
         {"key_matte_path", r.key_matte_output.empty() ? nlohmann::json() : nlohmann::json(r.key_matte_output)},
         {"deliveries", r.deliveries},
         {"warnings", r.warnings}};
    j["loudness"] = r.loudness ? nlohmann::json(*r.loudness) : nlohmann::json();
    j["music"] = r.music ? nlohmann::json(*r.music) : nlohmann::json();
    j["captions"] = r.caption_cues > 0 ? nlohmann::json{{"cues", r.caption_cues}, {"burned", r.captions_burned}}
                                       : nlohmann::json();
}

namespace {

// --fit-to visible: the matte's bounding box over the clip (a first pass over the matte alone)
// places the avatar.
void place_by_visible_region(const ComposeParams& params, ComposePlan& plan, const Warn& warn) {
    const bool source_alpha = plan.alpha.kind == AlphaKind::source_alpha;
    const VisibleRegionSource source{source_alpha ? params.video : params.mask, source_alpha, params.matte.range};
    place_visible(plan, visible_region(source, plan.avatar.size));
    if (!plan.visible) warn("--fit-to visible: the matte is transparent throughout; placing the whole frame");
}

// The avatar's visible part over `span` of the clip on the canvas: its matte's bounding box (for
// the whole clip already read for --fit-to visible, else read now) where the placement puts it;
// nullopt without a matte to read ahead (a key) or when it is transparent throughout the span.
std::optional<Box> visible_avatar_on_canvas(const ComposeParams& params, const ComposePlan& plan, ClipSpan span) {
    const bool whole_clip = span.start <= 0 && !span.end;
    std::optional<Box> box = whole_clip ? plan.visible : std::nullopt;
    if (!box) {
        if (plan.alpha.kind != AlphaKind::mask && plan.alpha.kind != AlphaKind::source_alpha) return std::nullopt;
        const bool source_alpha = plan.alpha.kind == AlphaKind::source_alpha;
        box = visible_region({source_alpha ? params.video : params.mask, source_alpha, params.matte.range}, plan.avatar.size,
                             0.1, span);
        if (!box) return std::nullopt;
    }
    const Placement& at = *plan.placement;
    const double sx = double(at.size.width) / plan.avatar.size.width, sy = double(at.size.height) / plan.avatar.size.height;
    const int x0 = at.position.x + int(std::floor(box->x * sx)), y0 = at.position.y + int(std::floor(box->y * sy));
    const int x1 = at.position.x + int(std::ceil((box->x + box->width) * sx));
    const int y1 = at.position.y + int(std::ceil((box->y + box->height) * sy));
    return Box{x0, y0, x1 - x0, y1 - y0};
}

// The size a layer is drawn at: text rendered, images and videos from their files.
Size drawn_size_of(const Layer& layer, Size canvas, const std::string& where) {
    if (layer.text) {
        media::FramePtr picture = render_text(*layer.text, canvas, where);
        return {picture->width, picture->height};
    }
    const media::ProbedMedia probed = media::probe_media_file(layer.source);
    return scaled_size(layer.size.value_or(Size{probed.width, probed.height}), layer.scale_x, layer.scale_y);
}

// Layers anchored in the safe area get their place now that the avatar's is known; with "avoid"
// each is slid along its anchor's side off the avatar's visible part.
void place_anchored_layers(const ComposeParams& params, ComposePlan& plan, const Warn& warn) {
    // Read once per span asked for: untimed layers share the whole clip's.
    std::map<std::pair<double, double>, std::optional<Box>> avatar_over;
    for (auto* list : {&plan.layers, &plan.overlays})
        for (std::size_t i = 0; i < list->size(); ++i) {
            Layer& layer = (*list)[i];
            if (!layer.anchor) continue;
            const std::string where = std::string(list == &plan.layers ? "layer " : "overlay ") + std::to_string(i) + " (" +
                                      to_string(layer.type) + ")";
            const Size size = drawn_size_of(layer, plan.canvas, where);
            layer.offset = anchored_position(*layer.anchor, size, plan.canvas);
            if (layer.avoid_avatar) {
                // The matte is read on the avatar's clock; the layer's times are the programme's.
                const Layer timing = on_avatar_clock({layer}, plan.avatar_start_seconds()).front();
                const ClipSpan span{timing.start, timing.end};
                const auto key = std::pair{span.start, span.end.value_or(-1.0)};
                auto found = avatar_over.find(key);
                if (found == avatar_over.end())
                    found = avatar_over.emplace(key, visible_avatar_on_canvas(params, plan, span)).first;
                const std::optional<Box>& avatar = found->second;
                const std::optional<Point> clear =
                    avatar ? position_clear_of(*layer.anchor, size, plan.canvas, *avatar) : layer.offset;
                if (!avatar && plan.alpha.kind == AlphaKind::key)
                    warn(where + ": avoid avatar: a keyed matte is not read ahead; placed at its anchor");
                if (clear) {
                    layer.offset = *clear;
                } else if (layer.avoid_required) {
                    throw_input(where, "no place along its anchor's side keeps clear of the avatar (\"avoid\": \"avatar!\")");
                } else {
                    warn(where + ": no place along its anchor's side keeps clear of the avatar; placed at its anchor");
                }
            }
            layer.anchor.reset();  // placed: LayerStack draws it at its offset
        }
}

void report_plan(const ComposePlan& plan, ComposeReport& report) {
    report.canvas = plan.canvas;
    report.placement = *plan.placement;
    report.visible = plan.visible;
    report.matrix = plan.matrix == AVCOL_SPC_BT709 ? "bt709" : "bt601";
    report.vcodec = plan.composite.vcodec.empty() ? "none" : plan.composite.vcodec;
}

SinkContext sink_context_for(const ComposePlan& plan, const media::VideoSource& avatar) {
    SinkContext context;
    context.canvas = plan.canvas;
    context.matrix = plan.matrix;
    context.frame_rate = plan.frame_rate;
    context.time_base = plan.avatar.time_base;
    context.start_seconds = 0.0;  // the avatar's first frame
    context.audio = avatar.audio_stream();
    context.audio_file = plan.avatar.path;
    return context;
}

// A programme's outputs: the avatar's first frame comes after the intro, and the audio is the
// parts' mix, made as frames.
SinkContext programme_sink_context(const ComposePlan& plan, const media::VideoSource& avatar, const ProgrammeAudio* audio,
                                   std::vector<ProgrammeAudioPart> parts) {
    SinkContext context = sink_context_for(plan, avatar);
    context.start_seconds = double(plan.programme->segment_start_frame) * plan.frame_seconds;
    context.programme_seconds = programme_seconds(plan);
    context.audio = audio ? audio->first_stream() : nullptr;
    if (audio) {
        context.audio_frames = SinkContext::AudioFrames{audio->channels(), audio->sample_rate()};
        context.programme_audio = std::move(parts);
        context.programme_music = plan.programme->music;
    }
    return context;
}

// The stages the plan names, from the first frame to the last; fills `report` with what they did.
void run_stages(const ComposeParams& params, const ComposePlan& plan, ComposeInputs& inputs, ComposeReport& report,
                const Warn& warn) {
    media::VideoSource& avatar = inputs.avatar();
    ComposePicture picture(plan, inputs.background());
    const std::unique_ptr<AlphaSource> alpha = make_alpha_source(plan, inputs.mask(), warn);
    AvatarColour colour(plan);
    // A programme's audio is its parts' mix, read from their files in step with the pictures; the
    // avatar's packets are not used.
    std::optional<ProgrammeAudio> programme_audio;
    std::vector<ProgrammeAudioPart> audio_parts;
    if (plan.programme && plan.audio) {
        const double first = double(avatar.first_frame_pts().value_or(0)) * av_q2d(plan.avatar.time_base);
        audio_parts = programme_audio_parts(plan, first);
        programme_audio.emplace(audio_parts, programme_seconds(plan), plan.programme->music);
        if (!programme_audio->has_audio()) programme_audio.reset();
    }
    ProgrammeAudio* mix = programme_audio ? &*programme_audio : nullptr;
    ComposeOutputs outputs(plan, plan.programme ? programme_sink_context(plan, avatar, mix, audio_parts)
                                                : sink_context_for(plan, avatar));
    std::optional<ProgrammeRun> programme;
    if (plan.programme) programme.emplace(plan, outputs, mix);
    // The avatar's first frame is the output's 0; its audio moves with it, keeping its offset from
    // that frame (lip sync). The audio read before the first frame decodes waits for the shift.
    std::optional<AudioShift> audio_shift;
    if (plan.audio && !plan.programme) {
        audio_shift.emplace(avatar.audio_stream()->time_base, [&outputs](AVPacket* packet) { outputs.push_audio(packet); });
        avatar.on_audio_packet([&audio_shift](AVPacket* packet) { audio_shift->take(packet); });
    }
    const std::int64_t avatar_first_pts = avatar.first_frame_pts().value_or(0);
    if (audio_shift) audio_shift->start(avatar_first_pts, plan.avatar.time_base);

    // Each input decodes on its own thread; this thread only composites and encodes. The avatar's
    // worker feeds the audio path, so it must stop before the outputs go, on every exit path.
    struct StopDecoding {
        media::VideoSource& source;
        ~StopDecoding() { source.stop_prefetch(); }
    } stop_avatar_before_outputs{avatar};
    inputs.start_decoding(plan.decoding);
    Progress progress(params.progress_label, plan.programme ? plan.programme->total_frames : plan.avatar.frame_count,
                      params.progress);
    if (programme) programme->write_intro();
    const FrameLoopEnd end = run_frame_loop(
        {avatar, avatar_first_pts, colour, *alpha, picture, outputs, progress, programme ? &*programme : nullptr});

    inputs.check_integrity();
    if (end.frames == 0) throw_input("avatar '" + params.video + "'", "has no video frames");
    const double duration = end.last_time + plan.frame_seconds;
    if (end.avatar_read_to_end) check_not_cut_short(avatar, params.video, duration, plan.allow_short, warn);
    avatar.stop_prefetch();  // no more audio arrives after this
    report.frames = end.frames;
    report.duration_seconds = duration;
    if (programme) {
        programme->finish(duration);
        report.frames = programme->frames();
        report.duration_seconds = programme->duration_seconds();
        if (programme_audio) report.music = programme_audio->music_report();
    }
    outputs.finish_composite(report);
    alpha->finish(report);
    outputs.finish_deliveries(report.duration_seconds, report);
}

}  // namespace

ComposeReport run_compose(const ComposeParams& params) {
    const auto started = std::chrono::steady_clock::now();
    ComposeReport report;
    const Warn warn = [&report](std::string message) {
        log::warning(message);
        report.warnings.push_back(std::move(message));
    };
    // Cheap checks first, so bad options fail before any file is opened.
    check_compose_params(params);
    ComposeInputs inputs(params);
    ComposePlan plan = plan_compose(params, inputs.probe());
    inputs.set_decoder_threads(plan.decoding);
    if (plan.fit_to == FitTo::visible) place_by_visible_region(params, plan, warn);
    place_anchored_layers(params, plan, warn);
    for (const std::string& warning : plan.warnings) warn(warning);
    report_plan(plan, report);
    run_stages(params, plan, inputs, report, warn);
    report.output = plan.composite.kind == CompositeKind::encoded || plan.composite.kind == CompositeKind::transparent
                        ? plan.composite.path
                        : plan.composite.kind == CompositeKind::null ? "null" : "";
    report.elapsed_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return report;
}

}  // namespace avpost::filters
