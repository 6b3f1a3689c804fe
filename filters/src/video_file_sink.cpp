// The single-file video presets: web (H.264 MP4), hevc (HEVC MP4 tagged hvc1), av1 (AV1 MP4),
// av1-webm (AV1 WebM), webm-alpha (VP9 with alpha) and prores-alpha (ProRes 4444 with alpha).
#include "preset_sinks.hpp"

#include <cmath>
#include <filesystem>

#include "avpost/core/atomic_output.hpp"
#include "avpost/core/error.hpp"
#include "avpost/filters/delivery_check.hpp"
#include "avpost/filters/registry.hpp"

namespace avpost::filters {
namespace {

// An encode's settings; the registry's row (registry.cpp) holds the preset's name, file and alpha.
struct VideoPreset {
    Preset preset;
    const char* codec;          // encoder
    const char* probed_codec;   // what the file then holds
    AVPixelFormat pixel_format;
    bool capped;                // scaled down to DeliveryOptions::max_size
    const char* audio_encoder;
    std::map<std::string, std::string> options;
    std::uint32_t codec_tag = 0;
    std::optional<AVColorSpace> matrix{};  // empty: the canvas's
    double keyframe_seconds = 0;         // a keyframe at least this often (0: the encoder's default)
    // The encoder's own parameter string ("x264-params"), where the GOP is pinned to the HLS
    // segments when this encode is the ladder's top rung; empty: never shared with the ladder.
    const char* private_params = "";
};

const std::vector<VideoPreset>& video_presets() {
    static const std::vector<VideoPreset> presets{
        {Preset::web, "libx264", "h264", AV_PIX_FMT_YUV420P, true, "aac",
         {{"crf", "20"}, {"preset", "medium"}, {"profile", "high"}}, 0, AVCOL_SPC_BT709, 0, "x264-params"},
        {Preset::hevc, "libx265", "hevc", AV_PIX_FMT_YUV420P, true, "aac",
         {{"crf", "24"}, {"preset", "fast"}, {"x265-params", "log-level=error"}}, MKTAG('h', 'v', 'c', '1'),
         AVCOL_SPC_BT709, 0, "x265-params"},
        // SVT-AV1 preset 8 at crf 32: fast enough to run beside the other encodes (the slower
        // presets cost several times the time for a few percent of size), at a quality close
        // to web's on talking heads (flat backgrounds, little motion). A keyframe every 5 s
        // bounds seeking. The same frames and settings give the same bytes (tested).
        {Preset::av1, "libsvtav1", "av1", AV_PIX_FMT_YUV420P, true, "aac", {{"crf", "32"}, {"preset", "8"}}, 0,
         AVCOL_SPC_BT709, 5.0},
        {Preset::av1_webm, "libsvtav1", "av1", AV_PIX_FMT_YUV420P, true, "libopus", {{"crf", "32"}, {"preset", "8"}}, 0,
         AVCOL_SPC_BT709, 5.0},
        // VP9 keeps the alpha plane as a second stream the WebM muxer stores beside each frame.
        {Preset::webm_alpha, "libvpx-vp9", "vp9", AV_PIX_FMT_YUVA420P, false, "libopus",
         {{"crf", "30"}, {"b", "0"}, {"deadline", "good"}, {"cpu-used", "4"}, {"row-mt", "1"}}},
        {Preset::prores_alpha, "prores_ks", "prores", AV_PIX_FMT_YUVA444P10LE, false, "aac",
         {{"profile", "4444"}, {"alpha_bits", "16"}, {"vendor", "apl0"}}},
    };
    return presets;
}

const VideoPreset& video_preset(Preset preset) {
    for (const auto& row : video_presets())
        if (row.preset == preset) return row;
    throw_usage("not a single-file video preset: " + std::string(to_string(preset)));
}

// Keyframes exactly on the HLS segment boundaries, and nowhere else, so the ladder can cut its
// top rung's segments from this encode and every rung switches at the same instants.
void add_segment_aligned_gop(std::map<std::string, std::string>& options, const VideoPreset& settings, int gop) {
    options["g"] = std::to_string(gop);
    options["keyint_min"] = std::to_string(gop);
    const std::string key = settings.private_params;
    if (key == "x264-params") options[key] = "scenecut=0:open-gop=0";
    else options[key] = options[key] + ":scenecut=0:open-gop=0:keyint=" + std::to_string(gop) +
                        ":min-keyint=" + std::to_string(gop);
}

class VideoFileSink final : public DeliverySink {
public:
    VideoFileSink(Preset preset, const DeliveryOptions& options, const SinkContext& context)
        : preset_(preset), settings_(video_preset(preset)), context_(context) {
        final_path_ = delivery_path(options, preset);
        atomic_.emplace(final_path_);
        Size size = settings_.capped ? fit_within(context.canvas, oriented_limit(context.canvas, options.max_size))
                                     : context.canvas;
        EncodedOutputSpec spec;
        spec.path = atomic_->temp_path();
        spec.container = final_path_.filename().string();
        spec.video.codec = settings_.codec;
        spec.video.width = size.width;
        spec.video.height = size.height;
        spec.video.pixel_format = settings_.pixel_format;
        spec.video.options = settings_.options;
        if (settings_.keyframe_seconds > 0)
            spec.video.options["g"] =
                std::to_string(std::max(1, int(std::lround(settings_.keyframe_seconds * av_q2d(context.frame_rate)))));
        shared_with_hls_ = hls_shared_preset(options) == preset;
        if (shared_with_hls_) {
            if (!*settings_.private_params)
                throw_usage(std::string(to_string(preset)) + " cannot be the HLS ladder's top rung");
            add_segment_aligned_gop(spec.video.options, settings_, hls_gop_frames(options, context.frame_rate));
        }
        spec.video.codec_tag = settings_.codec_tag;
        spec.matrix = settings_.matrix;
        spec.use_layer = sink_info(preset).needs_alpha;
        spec.audio_encoder = settings_.audio_encoder;
        spec.soft_captions = true;
        output_ = std::make_unique<EncodedOutput>(std::move(spec), context);
    }

    void begin() override { output_->begin(); }
    void write(const DeliveryFrame& frame) override { output_->write(frame); }
    void push_audio(const AVPacket* packet) override { output_->push_audio(packet); }
    void push_audio_frame(const AVFrame* frame) override { output_->push_audio_frame(frame); }

    EncodedOutput* hls_top_rung() override { return shared_with_hls_ ? output_.get() : nullptr; }

    DeliveredFile finish(double duration_seconds) override {
        output_->finish();
        DeliveryExpectation expected;
        expected.preset = preset_;
        expected.codec = settings_.probed_codec;
        expected.alpha = sink_info(preset_).needs_alpha;
        expected.width = output_->spec().video.width;
        expected.height = output_->spec().video.height;
        expected.duration_seconds = duration_seconds;
        expected.frame_seconds = 1.0 / av_q2d(context_.frame_rate);
        expected.audio = output_->has_audio();
        expected.codec_tag = settings_.codec_tag;
        expected.frames = output_->frames();
        expected.shown_as = final_path_;
        media::ProbedMedia probed = check_delivery(atomic_->temp_path(), expected);
        std::optional<media::LoudnessReading> loudness;
        if (context_.measure_loudness && output_->has_audio()) loudness = media::measure_file_loudness(atomic_->temp_path());
        atomic_->commit();

        DeliveredFile file = delivered_file(preset_, final_path_, probed);
        file.loudness = loudness;
        file.caption_cues = output_->caption_cues();
        return file;
    }

private:
    Preset preset_;
    VideoPreset settings_;
    const SinkContext& context_;
    std::filesystem::path final_path_;
    std::optional<AtomicOutput> atomic_;
    std::unique_ptr<EncodedOutput> output_;
    bool shared_with_hls_ = false;
};

}  // namespace

std::unique_ptr<DeliverySink> make_video_file_sink(Preset preset, const DeliveryOptions& options,
                                                   const SinkContext& context, EncodedOutput*) {
    return std::make_unique<VideoFileSink>(preset, options, context);
}

}  // namespace avpost::filters
