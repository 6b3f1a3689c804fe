#pragma once
// An Akool talking-avatar request laid out as Akool draws it: the request's elements in order on
// its canvas (width x height), the first at the bottom. A colour element (an image element whose
// url is a hex colour) fills its rectangle; an image element is drawn at its rectangle with its
// alpha; the avatar element says where the talking head goes. Each rectangle is the element's
// top-left offset (offset_x, offset_y) and its size (width, height) times its scale (scale_x,
// scale_y); without width/height a colour and the avatar take the canvas's size and an image its
// own. Audio elements draw nothing. Everything is scaled to the render size, which is the canvas
// scaled down to fit the sandbox's Akool render limit (default 640x360) unless told to render the
// request's own size.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "avpost/net/akool_types.hpp"

namespace avpost::sandbox {

struct RenderSize {
    int width = 0;
    int height = 0;
};

// The canvas scaled down (never up) to fit inside max_width x max_height, keeping its aspect
// ratio, sides even and at least 16; max 0x0: the canvas itself (made even).
RenderSize fit_render_size(int canvas_width, int canvas_height, int max_width, int max_height);

// A picture as RGBA bytes, row after row, no padding.
struct RgbaImage {
    int width = 0;
    int height = 0;
    std::vector<std::uint8_t> pixels;
};

// Decodes png, jpg or webp bytes (`name_hint`'s extension helps the probe). Throws Error(input)
// when the bytes are not a picture.
RgbaImage decode_image(const std::string& bytes, const std::string& name_hint);

// The picture of an image element's url, or nullopt when the sandbox cannot get it; the element
// is then drawn as a grey placeholder (when its size is known) so a render never needs the internet.
using ImageLoader = std::function<std::optional<RgbaImage>(const std::string& url)>;

// A rectangle in render pixels; it may reach past the picture's edges.
struct PixelRect {
    int x = 0;
    int y = 0;
    int width = 0;
    int height = 0;
};

// Limited-range BT.709 YCbCr planes at full resolution (4:4:4), as floats; `a` is empty for an
// opaque picture.
struct ScenePlanes {
    int width = 0;
    int height = 0;
    std::vector<float> y, u, v, a;
};

// The request, ready to have the talking head drawn into it frame after frame.
struct AkoolLayout {
    RenderSize size;
    ScenePlanes below;  // the elements under the avatar (black where none is)
    ScenePlanes above;  // the elements over it, with alpha; empty planes when there are none
    PixelRect avatar;   // where the avatar element puts the talking head
    std::vector<std::string> warnings;  // images drawn as placeholders
};

// Lays the request's elements out at `size`. Expects a request that net::akool::validate accepts.
AkoolLayout layout_akool_request(const net::akool::TalkingAvatarRequest& request, RenderSize size,
                                 const ImageLoader& load_image);

}  // namespace avpost::sandbox
