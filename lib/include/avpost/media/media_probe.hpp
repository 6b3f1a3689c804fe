#pragma once
// What a written media file really holds, read back with libavformat/libavcodec: the check every
// delivered output goes through. Demuxes every packet (cheap: no decoding) to measure the video's
// duration and frame count exactly, and decodes the first frame to see whether alpha survives.
#include <cstdint>
#include <filesystem>
#include <string>

struct AVCodec;
struct AVStream;

namespace avpost::media {

struct ProbedMedia {
    std::string container;     // libavformat's name, e.g. "mov,mp4,m4a,3gp,3g2,mj2"
    bool has_video = false;
    std::string video_codec;   // e.g. "h264"
    std::uint32_t codec_tag = 0;
    std::string pixel_format;  // of the first decoded frame, e.g. "yuva420p"
    bool alpha = false;        // the first decoded frame has an alpha plane
    int width = 0;
    int height = 0;
    std::int64_t frames = 0;   // video packets
    double duration_seconds = 0.0;  // first video pts to the end of the last video packet
    double video_start_seconds = 0.0;  // the first video pts (the earliest presented frame's), as stored
    double frame_rate = 0.0;
    std::string color_space;   // e.g. "bt709", "unknown"
    bool has_audio = false;
    std::string audio_codec;
};

// The decoder that reads everything a video stream carries: libvpx for VP9 with an alpha layer
// (FFmpeg's native VP9 decoder ignores WebM's alpha), else libavcodec's default. Null if none.
const AVCodec* best_video_decoder(const AVStream* stream);
// True when frames of `stream`, decoded with best_video_decoder(), carry alpha.
bool stream_has_alpha(const AVStream* stream);

// Throws Error(input) when the file does not open or has no decodable first video frame.
ProbedMedia probe_media_file(const std::filesystem::path& file);

}  // namespace avpost::media
