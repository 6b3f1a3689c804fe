// The poster preset: one JPEG frame, chosen not to be blank. Candidates are sampled twice a
// second and scored by the spread of their luma (a black or flat frame scores near zero); the
// best is kept (a copy per better candidate only) and encoded at the end.
#include <cmath>
#include <filesystem>

#include "avpost/core/atomic_output.hpp"
#include "avpost/core/error.hpp"
#include "avpost/core/log.hpp"
#include "avpost/filters/delivery_check.hpp"
#include "preset_sinks.hpp"

namespace avpost::filters {
namespace {

// Standard deviation of luma on a sparse grid: cheap, and blind only to detail finer than the grid.
double luma_spread(const AVFrame* frame) {
    double sum = 0, squares = 0;
    std::int64_t n = 0;
    const int step = 4;
    for (int y = 0; y < frame->height; y += step) {
        const std::uint8_t* row = frame->data[0] + std::ptrdiff_t(y) * frame->linesize[0];
        for (int x = 0; x < frame->width; x += step) {
            const double v = row[x];
            sum += v;
            squares += v * v;
            ++n;
        }
    }
    if (n == 0) return 0;
    const double mean = sum / double(n);
    return std::sqrt(std::max(0.0, squares / double(n) - mean * mean));
}

class PosterSink final : public DeliverySink {
public:
    PosterSink(const DeliveryOptions& options, const SinkContext& context)
        : context_(context), final_path_(delivery_path(options, Preset::poster)),
          size_(fit_within(context.canvas, oriented_limit(context.canvas, options.max_size))) {
        best_ = media::make_video_frame(AV_PIX_FMT_YUV420P, context.canvas.width, context.canvas.height);
    }

    void begin() override {}

    void write(const DeliveryFrame& frame) override {
        const double t = frame.seconds - context_.start_seconds;
        if (t + 1e-9 < next_sample_) return;
        next_sample_ = t + 0.5;
        const double score = luma_spread(frame.picture);
        // A candidate must beat the best by a margin, so near-equal frames do not cost a copy each.
        if (has_best_ && score < best_score_ + 0.5) return;
        check_av(av_frame_copy(best_.get(), frame.picture), "av_frame_copy (poster)");
        best_->pts = frame.picture->pts;
        best_score_ = score;
        best_seconds_ = t;
        has_best_ = true;
    }

    DeliveredFile finish(double) override {
        if (!has_best_) throw OutputError(ErrorDomain::input, "poster", 0, "no frame to take a poster from");
        if (best_score_ < 2.0) log::warning("poster: every sampled frame is nearly flat; using the best one");
        AtomicOutput atomic(final_path_);
        // JFIF means BT.601 full range; the converter changes matrix and range exactly.
        SinkContext still = context_;
        still.audio = nullptr;
        EncodedOutputSpec spec;
        spec.path = atomic.temp_path();
        spec.container = "mjpeg";
        spec.video.codec = "mjpeg";
        spec.video.width = size_.width;
        spec.video.height = size_.height;
        spec.video.pixel_format = AV_PIX_FMT_YUV420P;
        spec.video.range = AVCOL_RANGE_JPEG;
        spec.matrix = AVCOL_SPC_SMPTE170M;  // JFIF: BT.601, full range
        spec.video.options = {{"flags", "+qscale"}, {"global_quality", std::to_string(2 * FF_QP2LAMBDA)}};
        {
            EncodedOutput output(std::move(spec), still);
            output.begin();
            DeliveryFrame frame;
            frame.picture = best_.get();
            output.write(frame);
            output.finish();
        }
        DeliveryExpectation expected;
        expected.preset = Preset::poster;
        expected.codec = "mjpeg";
        expected.alpha = false;
        expected.width = size_.width;
        expected.height = size_.height;
        expected.shown_as = final_path_;
        media::ProbedMedia probed = check_delivery(atomic.temp_path(), expected);
        atomic.commit();
        DeliveredFile file = delivered_file(Preset::poster, final_path_, probed);
        file.duration_seconds = 0;  // a still
        log::debug("poster: frame at " + std::to_string(best_seconds_) + " s, luma spread " +
                   std::to_string(best_score_));
        return file;
    }

private:
    const SinkContext& context_;
    std::filesystem::path final_path_;
    Size size_;
    media::FramePtr best_;
    bool has_best_ = false;
    double best_score_ = 0;
    double best_seconds_ = 0;
    double next_sample_ = 0;
};

}  // namespace

std::unique_ptr<DeliverySink> make_poster_sink(Preset, const DeliveryOptions& options, const SinkContext& context,
                                               EncodedOutput*) {
    return std::make_unique<PosterSink>(options, context);
}

}  // namespace avpost::filters
