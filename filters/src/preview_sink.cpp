// The preview preset: an animated WebP of the first few seconds, small and at a low frame rate,
// for pages and chat apps. FFmpeg 5.1 cannot read animated WebP back, so the check walks the
// file's RIFF chunks itself (canvas size, frame count, frame durations).
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>

#include "avpost/core/atomic_output.hpp"
#include "avpost/core/error.hpp"
#include "avpost/filters/delivery_check.hpp"
#include "preset_sinks.hpp"

namespace avpost::filters {
namespace {

std::uint32_t le24(const unsigned char* p) { return p[0] | (p[1] << 8) | (p[2] << 16); }
std::uint32_t le32(const unsigned char* p) { return le24(p) | (std::uint32_t(p[3]) << 24); }

struct AnimatedWebp {
    int width = 0, height = 0;
    int frames = 0;
    double duration_seconds = 0;
};

AnimatedWebp read_animated_webp(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::vector<unsigned char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto fail = [&](const std::string& why) {
        throw OutputError(ErrorDomain::input, "preview output '" + file.string() + "'", 0, why);
    };
    if (bytes.size() < 12 || std::memcmp(bytes.data(), "RIFF", 4) != 0 || std::memcmp(bytes.data() + 8, "WEBP", 4) != 0)
        fail("is not a WebP file");
    AnimatedWebp webp;
    bool animated = false;
    std::size_t at = 12;
    while (at + 8 <= bytes.size()) {
        const unsigned char* chunk = bytes.data() + at;
        const std::uint32_t size = le32(chunk + 4);
        if (at + 8 + size > bytes.size()) fail("has a truncated chunk");
        if (std::memcmp(chunk, "VP8X", 4) == 0 && size >= 10) {
            animated = (chunk[8] & 0x02) != 0;
            webp.width = int(le24(chunk + 12)) + 1;
            webp.height = int(le24(chunk + 15)) + 1;
        } else if (std::memcmp(chunk, "ANMF", 4) == 0 && size >= 16) {
            ++webp.frames;
            webp.duration_seconds += le24(chunk + 8 + 12) / 1000.0;
        }
        at += 8 + size + (size & 1);
    }
    if (!animated || webp.frames == 0) fail("is not an animated WebP");
    return webp;
}

class PreviewSink final : public DeliverySink {
public:
    PreviewSink(const DeliveryOptions& options, const SinkContext& context)
        : options_(options), context_(context), final_path_(delivery_path(options, Preset::preview)) {
        const int width = std::min(options.preview_width, context.canvas.width);
        size_ = fit_within(context.canvas, {width, context.canvas.height});
        still_context_ = context;
        still_context_.audio = nullptr;
        still_context_.frame_rate = av_d2q(options.preview_fps, 1000);
        still_context_.time_base = AVRational{1, 1000};
        atomic_.emplace(final_path_);
        EncodedOutputSpec spec;
        spec.path = atomic_->temp_path();
        spec.container = "webp";
        spec.video.codec = "libwebp_anim";
        spec.video.width = size_.width;
        spec.video.height = size_.height;
        spec.video.pixel_format = AV_PIX_FMT_YUV420P;
        spec.matrix = AVCOL_SPC_SMPTE170M;  // WebP's lossy coding is BT.601 limited range
        spec.video.options = {{"quality", "70"}, {"compression_level", "4"}};
        spec.muxer_options = {{"loop", "0"}};  // loop for ever
        output_ = std::make_unique<EncodedOutput>(std::move(spec), still_context_);
    }

    void begin() override { output_->begin(); }

    void write(const DeliveryFrame& frame) override {
        const double t = frame.seconds - context_.start_seconds;
        if (t >= options_.preview_seconds - 1e-9 || t + 1e-9 < next_sample_) return;
        // Frames keep their own time (in ms), so the preview plays at the source's speed.
        output_->write(frame, std::llround(t * 1000.0));
        ++frames_;
        next_sample_ += 1.0 / options_.preview_fps;
    }

    DeliveredFile finish(double duration_seconds) override {
        output_->finish();
        AnimatedWebp webp = read_animated_webp(atomic_->temp_path());
        if (webp.width != size_.width || webp.height != size_.height)
            throw OutputError(ErrorDomain::input, "preview output", 0,
                              "is " + std::to_string(webp.width) + "x" + std::to_string(webp.height));
        if (webp.frames != frames_)
            throw OutputError(ErrorDomain::input, "preview output", 0,
                              "holds " + std::to_string(webp.frames) + " frames, not " + std::to_string(frames_));
        (void)duration_seconds;
        atomic_->commit();
        media::ProbedMedia read_back;  // from the RIFF walk: FFmpeg 5.1 cannot open it
        read_back.video_codec = "webp";
        read_back.pixel_format = "yuv420p";
        read_back.width = webp.width;
        read_back.height = webp.height;
        read_back.duration_seconds = webp.duration_seconds;
        return delivered_file(Preset::preview, final_path_, read_back);
    }

private:
    const DeliveryOptions& options_;
    const SinkContext& context_;
    SinkContext still_context_;
    std::filesystem::path final_path_;
    Size size_;
    std::optional<AtomicOutput> atomic_;
    std::unique_ptr<EncodedOutput> output_;
    int frames_ = 0;
    double next_sample_ = 0;
};

}  // namespace

std::unique_ptr<DeliverySink> make_preview_sink(Preset, const DeliveryOptions& options, const SinkContext& context,
                                                EncodedOutput*) {
    return std::make_unique<PreviewSink>(options, context);
}

}  // namespace avpost::filters
