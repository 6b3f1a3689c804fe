#pragma once
// The fan-out: every composited frame goes to each requested preset's sink, so one decode and
// one composite feed all outputs. With several sinks each encodes on its own thread, all on the
// same frame at once. Audio packets fan out the same way (from the decoding thread).
#include <memory>
#include <vector>

#include "avpost/filters/audio_path.hpp"
#include "avpost/filters/caption_burner.hpp"
#include "avpost/filters/delivery_sink.hpp"
#include "avpost/filters/loudness.hpp"

namespace avpost::filters {

// Before the sinks, two stages of their own: with a loudness target the source's audio is
// measured, then decoded once and brought to the target (AudioPath) for every sink to encode;
// with burned captions every picture gets the text before it fans out (CaptionBurner).
class Deliveries {
public:
    // Reads the captions and measures the audio (Error(usage) for a bad caption file, naming
    // the line), then creates the directory and every sink (all under temporary names).
    Deliveries(DeliveryOptions options, SinkContext context);
    ~Deliveries();

    bool needs_layer() const;  // some preset carries alpha
    void begin();
    void write(const DeliveryFrame& frame);
    void push_audio(const AVPacket* packet);
    // A programme's audio frame (SinkContext::programme_audio), through the loudness stage.
    void push_audio_frame(const AVFrame* frame);
    // Finishes, checks and commits each output in turn.
    std::vector<DeliveredFile> finish(double duration_seconds);

    // What the loudness stage measured and decided; empty with loudness off.
    const std::optional<LoudnessPlan>& loudness() const { return loudness_; }
    // The captions as delivered (re-wrapped and split); empty without a caption file.
    const std::vector<Cue>& captions() const { return cues_; }

private:
    class Worker;
    DeliveryOptions options_;
    SinkContext context_;
    std::vector<Cue> cues_;
    std::unique_ptr<CaptionBurner> burner_;
    std::optional<LoudnessPlan> loudness_;
    std::unique_ptr<AudioPath> audio_path_;
    std::optional<LoudnessStage> programme_stage_;  // a programme's audio to its target
    std::vector<std::unique_ptr<DeliverySink>> sinks_;
    std::vector<std::unique_ptr<Worker>> workers_;
};

}  // namespace avpost::filters
