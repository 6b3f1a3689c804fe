#pragma once
// How composited frames reach the delivery presets: the compose runner hands every frame, in
// the shapes the presets need, to each preset's sink. A sink writes under temporary names, and
// finish() flushes, checks what was written and only then moves it to its final name.
#include <memory>
#include <optional>
#include <vector>

#include "avpost/filters/captions.hpp"
#include "avpost/filters/delivery.hpp"
#include "avpost/filters/programme_audio.hpp"
#include "avpost/media/handles.hpp"

namespace avpost::filters {

class EncodedOutput;

// One composited frame. Both pictures are canvas-sized, limited range, in `SinkContext::matrix`,
// with the source's pts.
struct DeliveryFrame {
    const AVFrame* picture = nullptr;  // yuv420p, opaque: the composite (or the avatar as rendered)
    const AVFrame* layer = nullptr;    // yuva420p: the avatar alone on transparency; null without a matte
    double seconds = 0.0;              // from the start of the source
};

// What every sink knows before the first frame.
struct SinkContext {
    Size canvas;
    AVColorSpace matrix = AVCOL_SPC_BT709;
    AVRational frame_rate{25, 1};
    AVRational time_base{1, 25};   // of the frames' pts
    double start_seconds = 0.0;    // pts of the first frame, in seconds
    const AVStream* audio = nullptr;  // the source's audio, or null
    std::filesystem::path audio_file;  // the file `audio` is read from (measured before the first frame)
    // Set when the audio is processed (loudness): it then arrives as frames of this layout
    // (interleaved float, pts in 1/sample_rate) through push_audio_frame, never as packets, and
    // every sink encodes it.
    struct AudioFrames {
        int channels = 2;
        int sample_rate = 48000;
    };
    std::optional<AudioFrames> audio_frames;
    // A programme's audio (intro, segment, outro: programme_audio.hpp) arrives as frames
    // (audio_frames is set) made from these parts; a loudness target measures their mix first.
    std::vector<ProgrammeAudioPart> programme_audio;
    std::optional<MusicParams> programme_music;
    double programme_seconds = 0.0;
    // With a loudness target: each sink measures its encoded audio again for the report.
    bool measure_loudness = false;
    // Soft captions (laid out), for the sinks whose container takes a text track; null: none.
    const std::vector<Cue>* captions = nullptr;
    bool progress = false;
};

class DeliverySink {
public:
    virtual ~DeliverySink() = default;
    // Call before the first write (muxer headers).
    virtual void begin() = 0;
    virtual void write(const DeliveryFrame& frame) = 0;
    // A packet of SinkContext::audio, from the decoding thread; not modified.
    virtual void push_audio(const AVPacket* packet) { (void)packet; }
    // A processed audio frame (SinkContext::audio_frames), from the decoding thread; not modified.
    virtual void push_audio_frame(const AVFrame* frame) { (void)frame; }
    // Flushes, checks the output against what was asked (throws OutputError when it differs)
    // and commits it under its final name. `duration_seconds` is what the frames spanned.
    virtual DeliveredFile finish(double duration_seconds) = 0;
    // The encode this sink shares as the HLS ladder's top rung (see hls_shared_preset), or null.
    virtual class EncodedOutput* hls_top_rung() { return nullptr; }
};

// `hls_top_rung`: for the hls preset, the encode it cuts its top rung from (or null: its own).
std::unique_ptr<DeliverySink> make_delivery_sink(Preset preset, const DeliveryOptions& options,
                                                 const SinkContext& context, EncodedOutput* hls_top_rung = nullptr);

// Scaled size fitting inside `limit`, aspect kept, even dimensions (4:2:0 encoders need them).
Size fit_within(Size source, Size limit);
// A delivery size cap turned to the source's orientation: 1920x1080 caps a portrait source at
// 1080x1920, not 608x1080.
Size oriented_limit(Size source, Size limit);
// The short side of a size: what "720p" names, in landscape or portrait.
int short_side(Size size);

}  // namespace avpost::filters
