#pragma once
// Demux + threaded decode of one video stream of a file, frame by frame, with timestamps in
// seconds. Packets of the file's first audio stream can be handed to a callback as they are read
// (to carry audio into the output without a second pass over the file).
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "avpost/media/handles.hpp"

namespace avpost::media {

struct VideoStreamInfo {
    int width = 0;
    int height = 0;
    AVPixelFormat pixel_format = AV_PIX_FMT_NONE;
    AVRational time_base{1, 1};
    AVRational frame_rate{0, 1};       // 0/1 when unknown
    double start_seconds = 0.0;        // first timestamp of the stream
    double duration_seconds = 0.0;     // 0 when unknown
    // The video stream's own duration as the file's header states it (the container's when it
    // holds nothing else); 0 when unknown. A file that decodes to far less was cut short.
    double declared_duration_seconds = 0.0;
    std::int64_t frame_count = 0;      // estimate; 0 when unknown
    AVCodecID codec_id = AV_CODEC_ID_NONE;
    AVColorRange range = AVCOL_RANGE_UNSPECIFIED;
    AVColorSpace colorspace = AVCOL_SPC_UNSPECIFIED;
    bool still_image = false;          // a single-picture format (png, jpg, webp)
    bool has_alpha = false;            // decoded frames carry an alpha plane (VP9 alpha, ProRes 4444, PNG)
};

struct DecodeStats {
    std::int64_t packets = 0;
    std::int64_t frames = 0;
    std::int64_t errors = 0;          // packets the decoder rejected
    std::int64_t corrupt_frames = 0;  // frames flagged corrupt by the decoder, or dropped: not after the one before
};

class VideoSource {
public:
    // `label` names the input in errors ("avatar", "mask", "background").
    VideoSource(const std::string& path, std::string label);
    ~VideoSource();
    VideoSource(const VideoSource&) = delete;
    VideoSource& operator=(const VideoSource&) = delete;

    const VideoStreamInfo& info() const;
    const std::string& label() const;
    const DecodeStats& stats() const;  // stable when not prefetching or after check_integrity()

    // The file's first audio stream, if any (for stream copy or re-encode).
    const AVStream* audio_stream() const;
    // Called with every packet of audio_stream() as the file is read.
    void on_audio_packet(std::function<void(AVPacket*)> handler);

    // Decoder threads (0, the default: libavcodec's choice, one per core plus one). Each frame
    // thread keeps frames of its own alive, 12 MB each at 4K: callers bound them for large
    // frames. `luma_only`: the caller reads the luma plane alone (a matte), so a single-threaded
    // H.264/HEVC/VP9 4:2:0 decoder may give every frame one shared scratch chroma area (a third
    // less memory per frame); luma_only() says whether it does. Only before the first frame.
    void set_decoder_threads(int threads, bool luma_only = false);
    bool luma_only() const;

    // Decodes the next frame into `frame` (unref'd first). False at end of stream.
    // `frame->best_effort_timestamp` is set; use seconds_of() for its time.
    bool next(AVFrame* frame);
    double seconds_of(const AVFrame* frame) const;

    // The timestamp of the first frame presented, in the stream's time base (nullopt when no frame
    // decodes). Decodes that frame now, on the caller's thread, and keeps it for the first next():
    // call it before enable_prefetch(). Audio packets read on the way reach the audio handler.
    std::optional<std::int64_t> first_frame_pts();

    // Seeks back to the start (for looping backgrounds).
    void rewind();

    // Decodes up to `depth` frames ahead on a worker thread, so this stream's decoding overlaps
    // the caller's work. The audio handler then runs on that worker thread.
    void enable_prefetch(std::size_t depth);
    // Joins the worker; frames already decoded ahead are dropped.
    void stop_prefetch();

    // Throws when most frames were lost to decode errors (a corrupt stream). Stops prefetching.
    void check_integrity();

private:
    struct State;
    std::unique_ptr<State> state_;
};

}  // namespace avpost::media
