#include "avpost/filters/registry.hpp"

#include "avpost/core/error.hpp"
#include "preset_sinks.hpp"

namespace avpost::filters {

std::span<const StageInfo> all_stages() {
    static constexpr StageInfo stages[] = {
        {"convert", "scale, range and matrix conversion to the working format (FrameConverter)",
         "any -> yuv420p 8-bit, limited range", "none"},
        {"matte", "mask luma -> alpha: range expansion, scaling, choke, feather (MatteBuilder)",
         "mask luma 8-bit -> gray 8-bit", "straight, 0..255, full resolution"},
        {"despill", "remove the backdrop colour from the chroma near the matte edge (Despill)",
         "yuv420p 8-bit", "straight, 0..255, full resolution"},
        {"composite", "avatar over background, chroma alpha from the full-resolution alpha (Compositor)",
         "yuv420p 8-bit, same matrix and range on both sides", "straight, 0..255, full resolution"},
        {"layers", "a scene of image, video and colour layers below and above the avatar (LayerStack)",
         "yuv420p 8-bit, limited range, canvas matrix", "straight, 0..255 (image alpha), full resolution"},
        {"alpha-layer", "the avatar alone on transparency for the alpha presets (AlphaLayer)",
         "yuv420p + matte -> yuva420p 8-bit", "straight, 0..255, full resolution"},
        {"burn-captions", "captions drawn with libass at the canvas size inside the safe area, 42 characters "
         "and 2 lines at most (CaptionBurner)", "RGBA overlay -> yuv420p 8-bit, limited range, canvas matrix",
         "premultiplied, 0..255, chroma from the 2x2 average"},
        {"loudness", "audio to a loudness target: one static gain from a BS.1770 measurement, a true-peak "
         "limiter only where that gain passes the ceiling (LoudnessStage, AudioPath)",
         "audio: interleaved float, 1-2 channels, the source's rate", "none (audio)"},
    };
    return stages;
}

namespace {

constexpr SinkInfo sinks[] = {
    {Preset::web, "web", "H.264 MP4 (yuv420p, BT.709, +faststart), AAC; the HLS ladder's top rung when both are made",
     ".mp4", false, false, make_video_file_sink},
    {Preset::hevc, "hevc", "HEVC MP4 tagged hvc1 (Apple players), AAC; the top rung of an HEVC ladder", "-hevc.mp4",
     false, false, make_video_file_sink},
    {Preset::av1, "av1", "AV1 (SVT-AV1) MP4, AAC", "-av1.mp4", false, false, make_video_file_sink},
    {Preset::av1_webm, "av1-webm", "AV1 (SVT-AV1) WebM, Opus", "-av1.webm", false, false,
     make_video_file_sink},
    {Preset::webm_alpha, "webm-alpha", "VP9 WebM with alpha: the avatar alone on transparency, Opus", ".webm", true,
     false, make_video_file_sink},
    {Preset::prores_alpha, "prores-alpha", "ProRes 4444 MOV with alpha: the avatar alone on transparency, AAC", ".mov",
     true, false, make_video_file_sink},
    {Preset::preview, "preview", "animated WebP: the first seconds, small", "-preview.webp", false, false, make_preview_sink},
    {Preset::poster, "poster", "JPEG of a frame chosen not to be blank", "-poster.jpg", false, false,
     make_poster_sink},
    {Preset::hls, "hls",
     "HLS ladder: H.264 (or HEVC)/AAC rungs in fMP4 (or MPEG-TS) segments, a WebVTT subtitle rendition with "
     "captions, a master playlist",
     "-hls", false, true, make_hls_sink},
};

}  // namespace

std::span<const SinkInfo> all_sinks() { return sinks; }

const SinkInfo& sink_info(Preset preset) {
    for (const auto& row : sinks)
        if (row.preset == preset) return row;
    throw_usage("no delivery sink for preset " + std::to_string(int(preset)));
}

const SinkInfo* find_sink(std::string_view name) {
    for (const auto& row : sinks)
        if (row.name == name) return &row;
    return nullptr;
}

std::string sink_names() {
    std::string names;
    for (const auto& row : sinks) names += (names.empty() ? "" : ", ") + std::string(row.name);
    return names;
}

}  // namespace avpost::filters
