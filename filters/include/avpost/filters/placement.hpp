#pragma once
// Where the avatar goes on the canvas and at what size: Shotstack/editly-style fit and anchor,
// or an explicit size and position. Pure geometry, no pixels.
#include <optional>
#include <string>
#include <string_view>

namespace avpost::filters {

// The largest canvas, avatar or layer side avpost accepts (16384, as large as H.264/HEVC levels
// and libvpx go): a mistyped 99999999x99999999 is a usage error, not a failed allocation.
constexpr int max_picture_side = 16384;

struct Size {
    int width = 0;
    int height = 0;
    bool operator==(const Size&) const = default;
};

struct Point {
    int x = 0;
    int y = 0;
    bool operator==(const Point&) const = default;
};

// A rectangle in a picture's own pixels.
struct Box {
    int x = 0, y = 0, width = 0, height = 0;
    bool operator==(const Box&) const = default;
};

enum class Fit { contain, cover, fill, none };
// What fit, size, anchor and position apply to: the whole frame, or the part of it that is
// visible over the clip (the matte's bounding box: renders carry transparent margins).
enum class FitTo { frame, visible };
enum class Anchor { center, top, bottom, left, right, top_left, top_right, bottom_left, bottom_right };

struct PlacementRequest {
    Size canvas;
    Size avatar;                    // the avatar's native size
    Fit fit = Fit::contain;         // ignored when `size` is set
    Anchor anchor = Anchor::center; // ignored when `position` is set
    std::optional<Size> size;       // exact scaled size; a dimension of -1 keeps the aspect ratio
    std::optional<Point> position;  // top-left of the avatar on the canvas
    // When set (in the avatar's native pixels), fit, size, anchor and position place this box;
    // the frame around it follows at the same scale.
    std::optional<Box> visible;
};

struct Placement {
    Size size;       // the scaled avatar
    Point position;  // its top-left on the canvas; may be negative or run past the canvas
};

Placement place_avatar(const PlacementRequest& request);

// "cover" scaling of a background to the canvas, centred: the source crop that fills the canvas
// keeping aspect ratio. Returned as the scaled size and the offset of the canvas inside it.
Placement cover_canvas(Size source, Size canvas);

Fit parse_fit(std::string_view text);
FitTo parse_fit_to(std::string_view text);  // "frame" or "visible"
std::string to_string(FitTo fit_to);
Anchor parse_anchor(std::string_view text);
Size parse_size(std::string_view text, bool allow_keep_aspect);  // "WxH", each side at most max_picture_side
Point parse_point(std::string_view text);                       // "X,Y"
std::string to_string(Fit fit);
std::string to_string(Anchor anchor);

}  // namespace avpost::filters
