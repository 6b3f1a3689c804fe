#include "avpost/filters/registry.hpp"

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

}  // namespace avpost::filters
