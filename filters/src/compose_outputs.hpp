#pragma once
// The outputs of a compose, all fed the same frames: the file -o names (an encoded video, or
// the avatar alone with alpha through an alpha preset's sink) and the delivery presets. Each
// writes under a temporary name until finished; the avatar's audio reaches each of them.
#include <memory>
#include <optional>

#include "avpost/core/atomic_output.hpp"
#include "avpost/filters/compose_plan.hpp"
#include "avpost/filters/deliveries.hpp"
#include "avpost/filters/delivery_sink.hpp"
#include "avpost/filters/frame_converter.hpp"
#include "avpost/media/audio_carrier.hpp"
#include "avpost/media/media_writer.hpp"

namespace avpost::filters {

class ComposeOutputs {
public:
    // Opens and begins every output of the plan. Sinks keep references to `context_` and the
    // transparent output's options: a ComposeOutputs stays where it was made.
    ComposeOutputs(const ComposePlan& plan, SinkContext context);
    ComposeOutputs(const ComposeOutputs&) = delete;
    ComposeOutputs& operator=(const ComposeOutputs&) = delete;

    // A packet of the avatar's audio, on the output's clock (from the decoding thread).
    void push_audio(AVPacket* packet);
    // A programme's audio frame (SinkContext::audio_frames), on the output's clock.
    void push_audio_frame(const AVFrame* frame);
    void write(const DeliveryFrame& frame);

    // Finishes and commits the -o file (an encoded one); says its audio in `report`.
    void finish_composite(ComposeReport& report);
    // Finishes, checks and commits the transparent -o file and the deliveries.
    void finish_deliveries(double duration_seconds, ComposeReport& report);

private:
    void open_encoded(const ComposePlan& plan);
    void open_transparent(const ComposePlan& plan);

    SinkContext context_;
    std::optional<double> audio_end_;  // seconds on the audio's own clock
    bool burn_captions_ = false;
    std::optional<AtomicOutput> atomic_;
    std::unique_ptr<media::MediaWriter> writer_;
    std::unique_ptr<media::AudioCarrier> audio_;
    std::unique_ptr<FrameConverter> to_encoder_;
    DeliveryOptions transparent_options_;
    std::unique_ptr<DeliverySink> transparent_;
    std::unique_ptr<Deliveries> deliveries_;
};

}  // namespace avpost::filters
