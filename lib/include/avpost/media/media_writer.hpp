#pragma once
// Encode and mux: one video stream from frames, optionally one audio stream (copied packets or
// encoded frames). Open everything, begin(), write, finish(). Nothing is written to `path`
// except by libavformat; callers that need atomic output pass a temporary path.
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "avpost/media/handles.hpp"

namespace avpost::media {

struct VideoEncodeSettings {
    std::string codec = "libx264";  // any libavcodec encoder name
    int width = 0;
    int height = 0;
    AVRational frame_rate{25, 1};
    AVRational time_base{1, 25};  // of the frames passed to write_video()
    // Empty: yuv420p if the encoder takes it, else the encoder's best match.
    std::optional<AVPixelFormat> pixel_format;
    AVColorSpace colorspace = AVCOL_SPC_BT709;
    AVColorPrimaries primaries = AVCOL_PRI_BT709;
    AVColorTransferCharacteristic transfer = AVCOL_TRC_BT709;
    AVColorRange range = AVCOL_RANGE_MPEG;
    std::optional<int> crf;
    std::string preset;
    std::map<std::string, std::string> options;  // passed to avcodec_open2
    // The container's tag for the stream (e.g. MKTAG('h','v','c','1') so Apple players open
    // HEVC in MP4); 0 lets the muxer choose.
    std::uint32_t codec_tag = 0;
};

struct AudioEncodeSettings {
    std::string codec;  // empty: AAC if the container takes it, else Opus
    int sample_rate = 48000;
    int channels = 2;
    std::int64_t bit_rate = 128000;
};

// Video writes and audio writes may come from two threads (one each); muxing is serialised.
class MediaWriter {
public:
    // `path` is where bytes go; `format_hint` (a file name or format short name) picks the
    // container, so a temporary file name can still produce e.g. MP4.
    MediaWriter(const std::string& path, const std::string& format_hint);
    ~MediaWriter();
    MediaWriter(const MediaWriter&) = delete;
    MediaWriter& operator=(const MediaWriter&) = delete;

    void add_video(const VideoEncodeSettings& settings);
    // A video stream of packets encoded elsewhere (another writer's, see on_video_packet), muxed
    // as they are: `parameters` describe them, their timestamps are in `time_base`. `codec_tag`
    // as in VideoEncodeSettings.
    void add_video_copy(const AVCodecParameters* parameters, AVRational time_base, AVRational frame_rate,
                        std::uint32_t codec_tag = 0);
    // Called with every packet the video encoder makes, before it is muxed here, with the
    // encoder's time base; the packet is not the callee's to keep or modify. Set before begin().
    using VideoPacketObserver = std::function<void(const AVPacket* packet, AVRational time_base)>;
    void on_video_packet(VideoPacketObserver observer);
    // Stream copy when the container accepts the codec; returns false when it does not.
    bool add_audio_copy(const AVStream* source);
    // Re-encode: frames passed to write_audio_frame() may have any layout/rate/format.
    void add_audio_encode(const AudioEncodeSettings& settings);
    // A text subtitle track: mov_text where the container takes it (MP4, MOV), else WebVTT
    // (WebM, Matroska). Returns false when it takes neither. Call before begin().
    bool add_subtitles();
    // Options for the muxer (e.g. hls_time), applied by begin().
    void set_muxer_option(const std::string& key, const std::string& value);
    void begin();

    // The pixel format write_video() expects (the encoder's).
    AVPixelFormat video_pixel_format() const;
    // The video stream as the encoder (or add_video_copy) describes it: codec, size, extradata.
    const AVCodecParameters* video_parameters() const;
    AVRational audio_time_base() const;  // for encoded audio frames

    // Frame pts in VideoEncodeSettings::time_base. The frame is not modified.
    void write_video(const AVFrame* frame);
    // A packet for a stream from add_video_copy(), timestamps in `source_time_base`; not modified.
    void write_video_packet(const AVPacket* packet, AVRational source_time_base);
    // Packet timestamps in `source_time_base`. The packet is not modified (several writers may
    // carry the same packet).
    void write_audio_packet(const AVPacket* packet, AVRational source_time_base);
    // Audio frame pts in `source_time_base`; resampled and re-chunked to the encoder's frame size.
    void write_audio_frame(const AVFrame* frame, AVRational source_time_base);

    // One cue of plain UTF-8 text (lines separated by '\n'), its times in seconds on the video
    // frames' clock. Cues come in time order, from the thread that writes the video.
    void write_subtitle(double start_seconds, double end_seconds, const std::string& text);

    // Flushes encoders and writes the trailer.
    void finish();

    bool has_audio() const;
    std::string audio_codec_name() const;  // the encoder's codec ("aac", "opus"), or the copied one
    bool has_subtitles() const;
    std::int64_t video_frames_written() const;

private:
    struct State;
    std::unique_ptr<State> state_;
};

// True when `name` is a libavcodec encoder for video.
bool video_encoder_exists(const std::string& name);

}  // namespace avpost::media
