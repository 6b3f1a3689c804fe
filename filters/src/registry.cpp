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
    };
    return stages;
}

}  // namespace avpost::filters
