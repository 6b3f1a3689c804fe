#include "avpost/filters/compose.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>

extern "C" {
#include <libavutil/cpu.h>
#include <libavutil/pixdesc.h>
}

#include "avpost/core/atomic_output.hpp"
#include "avpost/core/error.hpp"
#include "avpost/core/interrupt.hpp"
#include "avpost/core/log.hpp"
#include "avpost/core/progress.hpp"
#include "avpost/filters/visible_region.hpp"
#include "avpost/filters/alpha_layer.hpp"
#include "avpost/filters/audio_shift.hpp"
#include "avpost/filters/background.hpp"
#include "avpost/filters/deliveries.hpp"
#include "avpost/filters/composite.hpp"
#include "avpost/filters/decode_plan.hpp"
#include "avpost/filters/backdrop.hpp"
#include "avpost/filters/frame_converter.hpp"
#include "avpost/filters/layer_stack.hpp"
#include "avpost/filters/registry.hpp"
#include "avpost/filters/timed_frames.hpp"
#include "avpost/media/audio_carrier.hpp"
#include "avpost/media/media_writer.hpp"
#include "avpost/media/video_source.hpp"

namespace avpost::filters {

BackgroundEnd parse_background_end(std::string_view text) {
    if (text == "loop") return BackgroundEnd::loop;
    if (text == "hold") return BackgroundEnd::hold;
    if (text == "stop") return BackgroundEnd::stop;
    throw_usage("bad --bg-end '" + std::string(text) + "' (loop, hold, stop)");
}

std::string to_string(BackgroundEnd end) {
    switch (end) {
        case BackgroundEnd::loop: return "loop";
        case BackgroundEnd::hold: return "hold";
        case BackgroundEnd::stop: return "stop";
    }
    return "?";
}

namespace {

std::string size_text(Size s) { return std::to_string(s.width) + "x" + std::to_string(s.height); }

std::string colour_text(Rgb8 c) {
    char text[8];
    std::snprintf(text, sizeof text, "#%02X%02X%02X", c.r, c.g, c.b);
    return text;
}

std::string rate_text(AVRational rate) {
    char text[32];
    std::snprintf(text, sizeof text, "%.3f", av_q2d(rate));
    return text;
}

std::string seconds_text(double s) {
    char text[32];
    std::snprintf(text, sizeof text, "%.2f s", s);
    return text;
}

// An output's directory must exist: a mistyped -o fails (exit 4) instead of quietly making a
// tree of directories somewhere else.
void require_output_directory(const std::string& path) {
    const std::filesystem::path parent = std::filesystem::path(path).parent_path();
    std::error_code error;
    if (parent.empty() || std::filesystem::is_directory(parent, error)) return;
    throw OutputError(ErrorDomain::system, "cannot write '" + path + "'", ENOENT,
                      "its directory '" + parent.string() + "' does not exist");
}

// --fit-to visible: the matte's bounding box over the clip (a first pass over the matte alone).
std::optional<Box> visible_region_for(const ComposeParams& params, bool source_alpha, bool keyed, bool scene, Size avatar) {
    if (scene) throw_usage("--fit-to visible places the avatar by itself; a scene's avatar layer places it there");
    if (keyed) throw_usage("--fit-to visible needs a mask or an avatar with alpha, not --key");
    if (params.mask.empty() && !source_alpha) throw_usage("--fit-to visible needs a mask (--mask) or an avatar with alpha");
    VisibleRegionSource source{source_alpha ? params.video : params.mask, source_alpha, params.matte.range};
    return visible_region(source, avatar);
}

}  // namespace

Fit effective_fit(const ComposeParams& p) { return p.fit.value_or(p.position ? Fit::none : Fit::contain); }

void to_json(nlohmann::json& j, const ComposeReport& r) {
    const bool written = !r.output.empty() && r.output != "null";
    j = {{"path", written ? nlohmann::json(r.output) : nlohmann::json()},
         {"frames", r.frames},
         {"duration_seconds", r.duration_seconds},
         {"elapsed_seconds", r.elapsed_seconds},
         {"canvas", size_text(r.canvas)},
         {"avatar_size", size_text(r.placement.size)},
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
    j["captions"] = r.caption_cues > 0 ? nlohmann::json{{"cues", r.caption_cues}, {"burned", r.captions_burned}}
                                       : nlohmann::json();
}

namespace {

// The alpha plane of a yuva frame as a grey frame sharing its memory, in `view`.
const AVFrame* alpha_plane_of(const AVFrame* frame, AVFrame* view) {
    const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(AVPixelFormat(frame->format));
    if (!desc || !(desc->flags & AV_PIX_FMT_FLAG_ALPHA) || !frame->data[3])
        throw_input("avatar", "a frame without alpha in a stream with alpha");
    const int depth = desc->comp[3].depth;
    view->format = depth <= 8 ? AV_PIX_FMT_GRAY8 : depth <= 10 ? AV_PIX_FMT_GRAY10LE : depth <= 12 ? AV_PIX_FMT_GRAY12LE
                                                                                                    : AV_PIX_FMT_GRAY16LE;
    view->width = frame->width;
    view->height = frame->height;
    view->data[0] = frame->data[3];
    view->linesize[0] = frame->linesize[3];
    view->color_range = AVCOL_RANGE_JPEG;
    return view;
}

// A yuva420p frame's colour planes as a yuv420p frame sharing its memory, in `view`: the
// converter then passes it through instead of copying it to drop the alpha plane.
const AVFrame* colour_planes_of(const AVFrame* frame, AVFrame* view) {
    av_frame_unref(view);
    check_av(av_frame_ref(view, frame), "av_frame_ref (avatar colour)");
    view->format = AV_PIX_FMT_YUV420P;
    view->data[3] = nullptr;
    view->linesize[3] = 0;
    return view;
}

// The compose output when the background is "transparent": the alpha presets' sinks, writing
// to the named file.
std::unique_ptr<DeliverySink> transparent_output_sink(const std::string& output, const SinkContext& context,
                                                      DeliveryOptions& options) {
    const std::filesystem::path path(output);
    const std::string extension = path.extension().string();
    const SinkInfo* sink = nullptr;
    for (const auto& row : all_sinks())
        if (row.needs_alpha && !extension.empty() && row.file.ends_with(extension)) sink = &row;
    if (!sink)
        throw_usage("a transparent background needs a .webm (VP9 with alpha) or .mov (ProRes 4444) output, not '" +
                     output + "'");
    options.directory = path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path();
    options.name = path.stem().string();
    options.presets = {sink->preset};
    return make_delivery_sink(sink->preset, options, context);
}

// `--key-matte-out`: the pulled matte as a grey video in limited range, as vendors deliver
// mattes, so it can be looked at or given back as --mask. FFV1 for .mkv, else H.264.
class KeyMatteWriter {
public:
    KeyMatteWriter(const std::string& path, Size size, AVRational frame_rate, AVRational time_base)
        : atomic_(path), frame_(media::make_video_frame(AV_PIX_FMT_YUV420P, size.width, size.height)) {
        writer_ = std::make_unique<media::MediaWriter>(atomic_.temp_path().string(), path);
        media::VideoEncodeSettings video;
        video.codec = std::filesystem::path(path).extension() == ".mkv" ? "ffv1" : "libx264";
        video.width = size.width;
        video.height = size.height;
        video.frame_rate = frame_rate.num > 0 ? frame_rate : AVRational{25, 1};
        video.time_base = time_base;
        video.range = AVCOL_RANGE_MPEG;
        writer_->add_video(video);
        writer_->begin();
        fill_solid(frame_.get(), Yuv8{16, 128, 128});
        for (int a = 0; a < 256; ++a) to_limited_[a] = std::uint8_t(16 + (a * 219 + 127) / 255);
    }

    void write(const cv::Mat& alpha, std::int64_t pts) {
        check_av(av_frame_make_writable(frame_.get()), "av_frame_make_writable (key matte)");
        for (int y = 0; y < alpha.rows; ++y) {
            const std::uint8_t* a = alpha.ptr<std::uint8_t>(y);
            std::uint8_t* out = frame_->data[0] + std::ptrdiff_t(y) * frame_->linesize[0];
            for (int x = 0; x < alpha.cols; ++x) out[x] = to_limited_[a[x]];
        }
        frame_->pts = pts;
        writer_->write_video(frame_.get());
    }

    void finish() {
        writer_->finish();
        atomic_.commit();
    }

private:
    AtomicOutput atomic_;
    std::unique_ptr<media::MediaWriter> writer_;
    media::FramePtr frame_;
    std::uint8_t to_limited_[256];
};

}  // namespace

ComposeReport run_compose(const ComposeParams& params) {
    const auto started = std::chrono::steady_clock::now();
    ComposeReport report;
    auto warn = [&](std::string message) {
        log::warning(message);
        report.warnings.push_back(std::move(message));
    };

    // Cheap checks first, so bad options fail before any decoding.
    const bool transparent = params.background == "transparent";
    const bool has_backdrop = (!params.background.empty() && !transparent) || !params.layers.empty();
    const bool null_output = params.output == "null";
    const bool file_output = !params.output.empty() && !null_output;
    const bool delivering = params.delivery.has_value();
    if (params.output.empty() && !delivering) throw_usage("no output given (-o FILE, or -o null)");
    if (file_output && !transparent && !media::video_encoder_exists(params.vcodec))
        throw_usage("unknown video encoder '" + params.vcodec + "' (see `ffmpeg -encoders`)");
    if (params.canvas && (params.canvas->width <= 0 || params.canvas->height <= 0))
        throw_usage("canvas size " + size_text(*params.canvas) + " is empty");
    if (params.video.empty()) throw_usage("no avatar video given (--video)");
    const bool scene_given = !params.layers.empty();
    if (scene_given && !params.background.empty())
        throw_usage("give either a background or a scene of layers, not both");
    if (scene_given && !params.canvas) throw_usage("a scene of layers needs a canvas size (e.g. 3840x2160)");
    const bool needs_alpha_layer =
        (file_output && transparent) ||
        (delivering && std::any_of(params.delivery->presets.begin(), params.delivery->presets.end(), preset_has_alpha));
    const bool has_mask = !params.mask.empty();
    const bool keyed = params.key.has_value();
    if (keyed && has_mask) throw_usage("give either a mask (--mask) or a key (--key), not both");
    if (keyed && params.despill)
        throw_usage("--key removes the backdrop's spill itself; --despill is for mattes that come with the render");
    if (!params.key_matte_output.empty() && !keyed) throw_usage("--key-matte-out needs --key");
    if (file_output) require_output_directory(params.output);
    if (!params.key_matte_output.empty()) require_output_directory(params.key_matte_output);

    media::VideoSource avatar(params.video, "avatar");
    // Without a mask, an avatar that carries its own alpha (VP9 alpha WebM, ProRes 4444) is its
    // own matte.
    const bool source_alpha = !has_mask && !keyed && avatar.info().has_alpha;
    if (!has_mask && !source_alpha && !keyed && (has_backdrop || needs_alpha_layer))
        throw_usage(has_backdrop ? "no mask video given (--mask): compositing over a background needs the matte "
                                   "(or an avatar with alpha)"
                                 : "no mask video given (--mask): alpha outputs (transparent, webm-alpha, "
                                   "prores-alpha) need the matte (or an avatar with alpha)");
    std::optional<media::VideoSource> mask;
    if (has_mask) mask.emplace(params.mask, "mask");
    const DecodePlan decode_plan = plan_decoding({avatar.info().width, avatar.info().height}, av_cpu_count());
    if (decode_plan.avatar_threads) avatar.set_decoder_threads(decode_plan.avatar_threads);
    // The matte is read for its luma alone.
    if (mask && decode_plan.mask_threads) mask->set_decoder_threads(decode_plan.mask_threads, true);
    std::optional<Background> background;
    if (has_backdrop && !scene_given) background.emplace(params.background);
    const auto& avatar_info = avatar.info();
    if (avatar_info.still_image) throw_input("avatar '" + params.video + "'", "is a still image, not a video");

    // Geometry and colour. Without a background the canvas is the (scaled) avatar's own.
    Size avatar_size{avatar_info.width, avatar_info.height};
    Size canvas = params.canvas.value_or(background ? background->native_size().value_or(avatar_size) : avatar_size);
    if (!background && !params.canvas && params.size) {
        Placement scaled =
            place_avatar({avatar_size, avatar_size, effective_fit(params), params.anchor, params.size, Point{0, 0}, std::nullopt});
        canvas = scaled.size;
    }
    const AVColorSpace matrix = output_matrix_for(canvas.width, canvas.height);
    // A scene places the avatar itself (its avatar layer's offset and size).
    std::optional<LayerStack> scene;
    if (scene_given) scene.emplace(params.layers, canvas, matrix, avatar_size);
    if (params.fit_to == FitTo::visible) {
        report.visible = visible_region_for(params, source_alpha, keyed, scene_given, avatar_size);
        if (!report.visible) warn("--fit-to visible: the matte is transparent throughout; placing the whole frame");
    }
    Placement placement = scene ? scene->avatar_placement()
                                : place_avatar({canvas, avatar_size, effective_fit(params), params.anchor,
                                                params.size, params.position, report.visible});
    report.canvas = canvas;
    report.placement = placement;
    report.matrix = matrix == AVCOL_SPC_BT709 ? "bt709" : "bt601";
    report.vcodec = file_output ? params.vcodec : "none";

    // The clock rule (README, compose --help): every input's clock starts at its own first
    // presented frame, whatever its container's start offset (B-frame delay, MPEG-TS, packed
    // B-frames in AVI, edit lists); the avatar's first frame is the output's 0. So a matte's
    // frame N is paired with the avatar's frame N when their rates agree.
    // At the avatar's rate a quarter frame absorbs the rounding of two time bases, so frame N
    // pairs with frame N; at another rate the matte is resampled like a background: each avatar
    // frame takes the latest mask frame at or before it.
    bool mask_at_avatar_rate = true;
    if (mask) {
        const auto& mask_info = mask->info();
        mask_at_avatar_rate = !(avatar_info.frame_rate.num > 0 && mask_info.frame_rate.num > 0 &&
                                std::abs(av_q2d(mask_info.frame_rate) / av_q2d(avatar_info.frame_rate) - 1.0) > 0.001);
        if (!mask_at_avatar_rate)
            warn("mask runs at " + rate_text(mask_info.frame_rate) + " fps, the avatar at " +
                 rate_text(avatar_info.frame_rate) + " fps: each avatar frame takes the latest mask frame at or before it");
        // Another render's mask is stretched over this avatar without a word unless told: a
        // shape that differs is worth a warning, a length that differs by more than two frames
        // is an error unless allowed.
        const double frame = avatar_info.frame_rate.num > 0 ? 1.0 / av_q2d(avatar_info.frame_rate) : 0.04;
        const double gap = std::abs(mask_info.duration_seconds - avatar_info.duration_seconds);
        if (avatar_info.duration_seconds > 0 && mask_info.duration_seconds > 0 && gap > 2 * frame + 1e-6 &&
            !params.allow_mask_mismatch)
            throw_input("mask '" + params.mask + "' lasts " + seconds_text(mask_info.duration_seconds) + ", the avatar " +
                            seconds_text(avatar_info.duration_seconds),
                        "more than two frames apart: is it another render's? (--allow-mask-mismatch uses it anyway)");
        const double aspect_ratio = (double(mask_info.width) / mask_info.height) / (double(avatar_info.width) / avatar_info.height);
        if (mask_info.height > 0 && avatar_info.height > 0 && std::abs(aspect_ratio - 1.0) > 0.01)
            warn("mask is " + size_text({mask_info.width, mask_info.height}) + ", the avatar " +
                 size_text({avatar_info.width, avatar_info.height}) + ": another aspect ratio, stretched to fit");
    }

    const double frame_seconds = avatar_info.frame_rate.num > 0 ? 1.0 / av_q2d(avatar_info.frame_rate) : 0.04;

    // A file that decodes to well under the duration its header declares was cut short (an
    // interrupted download or copy): unusable input, unless the caller accepts short inputs.
    // `decoded` is the length from the first frame (a start offset is at most a few frames).
    auto check_not_cut_short = [&](const media::VideoSource& source, const std::string& path, double decoded) {
        const auto& info = source.info();
        if (info.declared_duration_seconds <= 0) return;
        const double frame = info.frame_rate.num > 0 ? 1.0 / av_q2d(info.frame_rate) : 0.04;
        if (info.declared_duration_seconds - decoded <= std::max(2 * frame, 0.03 * info.declared_duration_seconds))
            return;
        const std::string what = source.label() + " '" + path + "'";
        const std::string detail = "it decodes to " + seconds_text(decoded) + " of the " +
                                   seconds_text(info.declared_duration_seconds) + " its header declares";
        if (!params.allow_short)
            throw_input(what + " is cut short", detail + " (--allow-short, or allow_short in a job, accepts it)");
        warn(what + " is cut short: " + detail + "; using what there is");
    };
    // Timestamps of two streams at one rate jitter by the rounding of their time bases; a quarter
    // frame absorbs that. At another rate it would pick the mask's next frame early.
    const double mask_tolerance = mask_at_avatar_rate ? frame_seconds / 4 : same_instant_seconds;

    // Stages.
    const AVColorSpace avatar_matrix = resolve_matrix(avatar_info.colorspace, avatar_info.height);
    FrameConverter avatar_converter(
        {placement.size.width, placement.size.height, AV_PIX_FMT_YUV420P, matrix, AVCOL_RANGE_MPEG});
    std::optional<MatteBuilder> matte;
    std::optional<TimedFrames> masks;
    if (mask) {
        const auto& mask_info = mask->info();
        const bool mask_limited =
            mask_is_limited(params.matte.range, mask_info.range, mask_info.codec_id, mask_info.pixel_format);
        matte.emplace(params.matte, mask_limited, placement.size.width, placement.size.height);
        masks.emplace(*mask, StreamEnd::hold);
    } else if (source_alpha) {
        matte.emplace(params.matte, false, placement.size.width, placement.size.height);  // alpha is full range
    }
    // The avatar's alpha plane seen as a grey picture (no copy), and its colour planes seen as
    // yuv420p when that is what it is.
    media::FramePtr alpha_view = media::make_frame();
    media::FramePtr colour_view = media::make_frame();
    std::optional<Despill> despill;
    if (params.despill && matte) despill.emplace(*params.despill, matrix, AVCOL_RANGE_MPEG);
    std::optional<Keyer> keyer;
    if (keyed) keyer.emplace(*params.key, params.matte, placement.size.width, placement.size.height, matrix);
    std::optional<KeyMatteWriter> key_matte_writer;
    if (!params.key_matte_output.empty())
        key_matte_writer.emplace(params.key_matte_output, placement.size, avatar_info.frame_rate, avatar_info.time_base);
    if (background)
        background->prepare(canvas, matrix,
                            params.background_end == BackgroundEnd::loop ? StreamEnd::loop : StreamEnd::hold);
    Compositor compositor;
    std::optional<AlphaLayer> alpha_layer;
    if (needs_alpha_layer) alpha_layer.emplace(canvas, matrix);

    // The opaque picture: the composite, or without a background the avatar itself (on black
    // when it does not fill the canvas).
    const bool avatar_is_picture = !has_backdrop && placement.position == Point{0, 0} && placement.size == canvas;
    // Only what is drawn gets memory (a 4K canvas is 12 MB, an opaque matte 8 MB): a transcode
    // of the avatar as it stands hands its decoded frames on.
    media::FramePtr canvas_frame;
    if (!avatar_is_picture) {
        canvas_frame = media::make_video_frame(AV_PIX_FMT_YUV420P, canvas.width, canvas.height);
        canvas_frame->colorspace = matrix;
        canvas_frame->color_range = AVCOL_RANGE_MPEG;
        canvas_frame->color_primaries = primaries_for(matrix);
        canvas_frame->color_trc = transfer_for(matrix);
    }
    // Without a matte the avatar is drawn as rendered: fully opaque.
    cv::Mat opaque;
    if (!matte && !keyed && (alpha_layer || !avatar_is_picture))
        opaque = cv::Mat(placement.size.height, placement.size.width, CV_8UC1, cv::Scalar(255));
    media::FramePtr black;
    if (!has_backdrop && !avatar_is_picture) {
        black = media::make_video_frame(AV_PIX_FMT_YUV420P, canvas.width, canvas.height);
        fill_solid(black.get(), Yuv8{16, 128, 128});  // limited-range black
        check_av(av_frame_copy(canvas_frame.get(), black.get()), "av_frame_copy (canvas)");
    }
    // With layers above the avatar the whole canvas is redrawn each frame: drawing them over last
    // frame's canvas would blend their translucent pixels twice.
    const bool static_background = background ? background->is_static()
                                   : scene    ? scene->is_static() && !scene->has_layers_above()
                                              : true;
    if (background && static_background)
        check_av(av_frame_copy(canvas_frame.get(), background->at(0)), "av_frame_copy (canvas)");
    if (scene && static_background)
        check_av(av_frame_copy(canvas_frame.get(), scene->below(0)), "av_frame_copy (canvas)");

    SinkContext sink_context;
    sink_context.canvas = canvas;
    sink_context.matrix = matrix;
    sink_context.frame_rate = avatar_info.frame_rate.num > 0 ? avatar_info.frame_rate : AVRational{25, 1};
    sink_context.time_base = avatar_info.time_base;
    sink_context.start_seconds = 0.0;  // the avatar's first frame
    sink_context.audio = avatar.audio_stream();
    sink_context.audio_file = params.video;

    // Outputs: the compose output itself, then the delivery presets, all fed the same frames.
    std::optional<AtomicOutput> atomic;
    std::unique_ptr<media::MediaWriter> writer;
    std::unique_ptr<media::AudioCarrier> audio;
    std::unique_ptr<FrameConverter> to_encoder;
    DeliveryOptions transparent_options;
    std::unique_ptr<DeliverySink> transparent_sink;
    std::unique_ptr<Deliveries> deliveries;
    if (file_output && transparent) {
        transparent_sink = transparent_output_sink(params.output, sink_context, transparent_options);
        report.vcodec = transparent_options.presets.front() == Preset::webm_alpha ? "libvpx-vp9" : "prores_ks";
    } else if (file_output) {
        atomic.emplace(params.output);
        writer = std::make_unique<media::MediaWriter>(atomic->temp_path().string(), params.output);
        media::VideoEncodeSettings video;
        video.codec = params.vcodec;
        video.width = canvas.width;
        video.height = canvas.height;
        video.frame_rate = sink_context.frame_rate;
        video.time_base = avatar_info.time_base;
        video.colorspace = matrix;
        video.primaries = primaries_for(matrix);
        video.transfer = transfer_for(matrix);
        video.range = AVCOL_RANGE_MPEG;
        video.crf = params.crf;
        video.preset = params.preset;
        writer->add_video(video);
        if (const AVStream* source_audio = avatar.audio_stream())
            audio = std::make_unique<media::AudioCarrier>(source_audio, *writer);
        writer->begin();
        if (writer->video_pixel_format() != AV_PIX_FMT_YUV420P)
            to_encoder = std::make_unique<FrameConverter>(ConvertTarget{canvas.width, canvas.height,
                                                                        writer->video_pixel_format(), matrix,
                                                                        AVCOL_RANGE_MPEG});
    }
    if (transparent_sink) transparent_sink->begin();
    if (delivering && (canvas.width % 2 || canvas.height % 2))
        warn("canvas " + size_text(canvas) + " is odd: 4:2:0 deliveries drop its last " +
             (canvas.width % 2 && canvas.height % 2 ? "column and row" : canvas.width % 2 ? "column" : "row") +
             " (--canvas sets an even size)");
    if (delivering) {
        deliveries = std::make_unique<Deliveries>(*params.delivery, sink_context);
        deliveries->begin();
    }
    if (audio) {
        report.audio_codec = audio->codec_name();
        report.audio_copied = audio->copying();
    }
    // With --bg-end stop the output ends with the background: so does its audio.
    std::optional<double> audio_end;
    if (background && params.background_end == BackgroundEnd::stop)
        if (auto length = background->planned_end()) audio_end = *length;
    // The avatar's first frame is the output's 0; its audio moves with it, keeping its offset from
    // that frame (lip sync). The audio read before the first frame decodes waits for the shift.
    std::optional<AudioShift> audio_shift;
    if (sink_context.audio && (audio || transparent_sink || deliveries)) {
        audio_shift.emplace(sink_context.audio->time_base, [&, audio_time_base = av_q2d(sink_context.audio->time_base)](AVPacket* packet) {
            if (audio_end && packet->pts != AV_NOPTS_VALUE && double(packet->pts) * audio_time_base >= *audio_end)
                return;
            if (audio) audio->push(packet);
            if (transparent_sink) transparent_sink->push_audio(packet);
            if (deliveries) deliveries->push_audio(packet);
        });
        avatar.on_audio_packet([&](AVPacket* packet) { audio_shift->take(packet); });
    }
    const std::int64_t avatar_first_pts = avatar.first_frame_pts().value_or(0);
    if (audio_shift) audio_shift->start(avatar_first_pts, avatar_info.time_base);

    // Each input decodes on its own thread; this thread only composites and encodes. The avatar's
    // worker feeds the audio path, so it must stop before the writers go, on every exit path.
    struct StopDecoding {
        media::VideoSource& source;
        ~StopDecoding() { source.stop_prefetch(); }
    } stop_avatar_before_writer{avatar};
    avatar.enable_prefetch(decode_plan.prefetch_depth);
    if (mask) mask->enable_prefetch(decode_plan.prefetch_depth);
    // When nothing but the compositor reads the matte, it reads a vendor matte's codes straight
    // from the decoded frame (AlphaSource): no full-frame alpha pass per frame.
    const bool matte_read_by_compositor_alone = !despill && !alpha_layer;
    AlphaSource composite_alpha;
    Progress progress(params.progress_label, avatar_info.frame_count, params.progress);
    media::FramePtr avatar_frame = media::make_frame();
    bool warned_mask_end = false;
    double last_time = 0;
    bool avatar_read_to_end = true;
    while (avatar.next(avatar_frame.get())) {
        throw_if_interrupted();
        avatar_frame->pts -= avatar_first_pts;  // every output starts at 0
        const double t = avatar.seconds_of(avatar_frame.get());  // also the scene's time: one clock
        if (background && params.background_end == BackgroundEnd::stop && background->ended_before(t)) {
            avatar_read_to_end = false;
            break;
        }

        const cv::Mat* alpha = &opaque;
        composite_alpha.limited_codes = false;
        if (masks) {
            const AVFrame* mask_frame = masks->at(t, mask_tolerance);
            if (!mask_frame) throw_input("mask '" + params.mask + "'", "has no decodable frame");
            if (!warned_mask_end && masks->ended_before(t)) {
                check_not_cut_short(*mask, params.mask, masks->end_time());
                warned_mask_end = true;
                warn("mask ends at " + seconds_text(masks->end_time()) +
                     " but the avatar runs on: holding its last frame");
            }
            if (matte_read_by_compositor_alone) {
                composite_alpha = matte->source(mask_frame);
                alpha = &composite_alpha.plane;
            } else {
                alpha = &matte->build(mask_frame);
            }
        } else if (source_alpha) {
            alpha = &matte->build(alpha_plane_of(avatar_frame.get(), alpha_view.get()));
        }

        AVColorRange avatar_range =
            effective_range(AVPixelFormat(avatar_frame->format), avatar_frame->color_range, AVCOL_RANGE_MPEG);
        const AVFrame* avatar_colour = avatar_frame.get();
        if (avatar_frame->format == AV_PIX_FMT_YUVA420P) avatar_colour = colour_planes_of(avatar_frame.get(), colour_view.get());
        const AVFrame* foreground = avatar_converter.convert(avatar_colour, avatar_matrix, avatar_range);
        if (keyer) {
            const Keyer::Keyed pulled = keyer->key(foreground);
            foreground = pulled.picture;
            alpha = pulled.alpha;
            if (report.key.empty()) {
                report.key = colour_text(keyer->backdrop_colour());
                if (!keyer->backdrop_warning().empty()) warn(keyer->backdrop_warning());
            }
            if (key_matte_writer) key_matte_writer->write(keyer->pulled_matte(), avatar_frame->pts);
        }
        if (despill) foreground = despill->apply(foreground, *alpha);

        DeliveryFrame frame;
        frame.seconds = t;
        if (avatar_is_picture) {
            frame.picture = foreground;
        } else {
            // The encoder may still hold the previous frame; this copies only in that case.
            check_av(av_frame_make_writable(canvas_frame.get()), "av_frame_make_writable (canvas)");
            if (background || scene) {
                const AVFrame* backdrop = background ? background->at(t) : scene->below(t);
                if (!composite_alpha.limited_codes) composite_alpha.plane = *alpha;
                compositor.over(backdrop, canvas_frame.get(), foreground, composite_alpha, placement.position,
                                !static_background);
                if (scene && scene->has_layers_above()) scene->draw_above(t, canvas_frame.get());
            } else {
                compositor.over(black.get(), canvas_frame.get(), foreground, opaque, placement.position, false);
            }
            canvas_frame->pts = avatar_frame->pts;
            canvas_frame->pkt_duration = avatar_frame->pkt_duration;
            frame.picture = canvas_frame.get();
        }
        if (alpha_layer) frame.layer = alpha_layer->render(foreground, *alpha, placement.position);

        if (writer) {
            const AVFrame* encoded = frame.picture;
            if (to_encoder) encoded = to_encoder->convert(encoded, matrix, AVCOL_RANGE_MPEG);
            writer->write_video(encoded);
        }
        if (transparent_sink) transparent_sink->write(frame);
        if (deliveries) deliveries->write(frame);
        ++report.frames;
        last_time = t;
        progress.update(report.frames);
    }
    progress.finish();

    avatar.check_integrity();
    if (mask) mask->check_integrity();
    if (report.frames == 0) throw_input("avatar '" + params.video + "'", "has no video frames");
    if (avatar_read_to_end) check_not_cut_short(avatar, params.video, last_time + frame_seconds);
    avatar.stop_prefetch();  // no more audio arrives after this
    report.duration_seconds = last_time + frame_seconds;
    if (audio) audio->finish();
    if (writer) {
        writer->finish();
        atomic->commit();
    }
    if (key_matte_writer) {
        key_matte_writer->finish();
        report.key_matte_output = params.key_matte_output;
    }
    if (transparent_sink) transparent_sink->finish(report.duration_seconds);
    if (deliveries) {
        report.deliveries = deliveries->finish(report.duration_seconds);
        report.loudness = deliveries->loudness();
        report.caption_cues = int(deliveries->captions().size());
        report.captions_burned = params.delivery->burn_captions && report.caption_cues > 0;
    }
    report.output = file_output ? params.output : (null_output ? "null" : "");
    report.elapsed_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return report;
}

}  // namespace avpost::filters
