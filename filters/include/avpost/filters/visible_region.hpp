#pragma once
// The part of an avatar render that is ever visible: the union, over the whole clip, of each
// frame's bounding box of matte values above a threshold. A first pass over the matte alone
// (the mask video, or the avatar's own alpha plane), so placement can apply to the person
// rather than to a frame with transparent margins (`--fit-to visible`).
#include <optional>
#include <string>

#include "avpost/filters/matte.hpp"
#include "avpost/filters/placement.hpp"

namespace avpost::filters {

struct VisibleRegionSource {
    std::string path;
    bool alpha_plane = false;  // true: the file's own alpha (VP9 alpha, ProRes 4444); false: a mask's luma
    MaskRange range = MaskRange::automatic;  // for a mask's luma
};

// A stretch of the clip, in seconds from its first frame (the matte's clock); no end: to the end.
struct ClipSpan {
    double start = 0.0;
    std::optional<double> end;
};

// In the pixels of the picture `picture` (the avatar: a mask of another size is scaled to it, as
// compositing does). Empty when no frame has a visible pixel. `threshold` is alpha from 0 to 1.
// Only the frames inside `span` count (a title shown for two seconds avoids where the avatar is
// then, not where it ever was).
std::optional<Box> visible_region(const VisibleRegionSource& source, Size picture, double threshold = 0.1,
                                  ClipSpan span = {});

}  // namespace avpost::filters
