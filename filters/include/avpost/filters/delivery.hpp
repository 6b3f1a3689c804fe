#pragma once
// Delivery presets: what people ship, made from the composited frames of ONE decode. Each preset
// is an output (or, for HLS, a directory of outputs) fed by the compose runner frame by frame.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <optional>

#include <nlohmann/json.hpp>

#include "avpost/filters/loudness.hpp"
#include "avpost/filters/placement.hpp"
#include "avpost/media/loudness_meter.hpp"

extern "C" {
#include <libavutil/rational.h>
}

namespace avpost::filters {

enum class Preset {
    web,           // H.264 MP4, yuv420p, BT.709 tags, +faststart, AAC; capped at max_size
    hevc,          // HEVC MP4 tagged hvc1 (Apple players); capped at max_size
    av1,           // AV1 (SVT-AV1) MP4, AAC; capped at max_size
    av1_webm,      // AV1 (SVT-AV1) WebM, Opus; capped at max_size
    webm_alpha,    // VP9 WebM with alpha: the avatar alone on transparency
    prores_alpha,  // ProRes 4444 .mov with alpha: the avatar alone on transparency
    preview,       // animated WebP: a few seconds, small
    poster,        // JPEG of a frame chosen not to be blank
    hls,           // H.264 (or HEVC)/AAC HLS ladder with a master playlist
};

// The HLS ladder's segments: fMP4 (CMAF, an init segment named by EXT-X-MAP; what current
// players and Apple devices take, and HEVC needs) or the older MPEG-TS.
enum class HlsSegments { fmp4, mpegts };
enum class HlsCodec { h264, hevc };
HlsSegments parse_hls_segments(std::string_view name);  // "fmp4" | "ts"
HlsCodec parse_hls_codec(std::string_view name);        // "h264" | "hevc"
std::string_view to_string(HlsSegments segments);
std::string_view to_string(HlsCodec codec);

// "web,hevc,poster" -> presets, in order, without repeats. Throws Error(usage) naming a bad entry.
std::vector<Preset> parse_preset_list(std::string_view list);
Preset parse_preset(std::string_view name);
std::string_view to_string(Preset preset);
// webm-alpha and prores-alpha carry the avatar's matte and need one (a mask, or a source with alpha).
bool preset_has_alpha(Preset preset);

struct DeliveryOptions {
    std::filesystem::path directory;  // created when missing
    std::string name = "avatar";      // file stem: NAME.mp4, NAME.webm, NAME-poster.jpg, NAME-hls/...
    // Appended to the web preset's stem: `transcode` writes NAME-web.mp4, so it never meets
    // `fetch`'s ID.mp4; jobs keep NAME.mp4 (their fetched files are NAME-avatar/-mask.mp4).
    std::string web_suffix;
    std::vector<Preset> presets;
    Size max_size{1920, 1080};        // web, hevc, poster, hls scaled down (aspect kept) to fit; turned for portrait
    double preview_seconds = 3.0;
    int preview_width = 320;
    double preview_fps = 10.0;
    std::vector<int> hls_heights{1080, 720, 480};  // rungs by short side; larger than the source: dropped
    double hls_segment_seconds = 4.0;
    HlsSegments hls_segments = HlsSegments::fmp4;
    HlsCodec hls_codec = HlsCodec::h264;  // hevc needs fmp4 segments
    // Audio brought to a loudness target (loudness.hpp). Off by default: a delivery's audio is
    // carried as rendered (stream copy) unless a target is asked for.
    LoudnessTarget loudness = LoudnessTarget::off;
    // A caption file (SRT, WebVTT, ASS): a soft track in the outputs whose container takes one
    // (mov_text in MP4 and MOV, WebVTT in WebM); with burn_captions also drawn into the picture.
    std::filesystem::path captions;
    bool burn_captions = false;
    // The captions' language (BCP 47: "en", "pt-BR"), named by the HLS subtitle rendition.
    std::string captions_language = "und";
};

// The file preset whose encode is the HLS ladder's top rung when both are asked (web for an
// H.264 ladder, hevc for an HEVC one): it is then made with keyframes on segment boundaries and
// its packets are cut into the top rung's segments, so that size is encoded once.
std::optional<Preset> hls_shared_preset(const DeliveryOptions& options);
// Frames per segment (and per GOP) of the HLS ladder and of the encode shared with it.
int hls_gop_frames(const DeliveryOptions& options, AVRational frame_rate);

void to_json(nlohmann::json& j, const DeliveryOptions& o);

// Where a preset's output goes: a file, or for hls the directory written whole.
std::filesystem::path delivery_path(const DeliveryOptions& options, Preset preset);
void from_json(const nlohmann::json& j, DeliveryOptions& o);

// One preset's result, checked after writing (opened again, codec, pixel format, alpha,
// duration within one frame, audio where expected).
struct DeliveredFile {
    Preset preset = Preset::web;
    std::filesystem::path path;  // the file; for hls the master playlist
    std::vector<std::filesystem::path> files;  // every file written (hls: playlists and segments)
    std::string codec;           // libavcodec name, e.g. "h264"
    std::string pixel_format;    // e.g. "yuv420p", "yuva420p"
    int width = 0;
    int height = 0;
    double duration_seconds = 0.0;
    bool alpha = false;
    bool audio = false;
    std::string audio_codec;     // libavcodec name when `audio` (not in the JSON: presets fix it)
    std::int64_t bytes = 0;      // all files together
    // With a loudness target: the encoded audio measured again.
    std::optional<media::LoudnessReading> loudness;
    int caption_cues = 0;        // cues in the soft caption track (0: none)
};

void to_json(nlohmann::json& j, const DeliveredFile& f);

}  // namespace avpost::filters
