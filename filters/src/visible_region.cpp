#include "avpost/filters/visible_region.hpp"

#include <algorithm>
#include <cmath>

extern "C" {
#include <libavutil/pixdesc.h>
}

#include "avpost/core/error.hpp"
#include "avpost/core/interrupt.hpp"
#include "avpost/media/video_source.hpp"

namespace avpost::filters {

std::optional<Box> visible_region(const VisibleRegionSource& source, Size picture, double threshold, ClipSpan span) {
    media::VideoSource video(source.path, source.alpha_plane ? "avatar" : "mask");
    const auto& info = video.info();
    media::FramePtr frame = media::make_frame();
    if (!video.next(frame.get())) return std::nullopt;
    // The decoded frame's format, not the stream's: VP9 carries its alpha beside the picture, and
    // only the decoder's frames (yuva420p) show it.
    const AVPixelFormat format = AVPixelFormat(frame->format);
    const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(format);
    const int component = source.alpha_plane ? 3 : 0;
    if (!desc || desc->nb_components <= component || (desc->flags & AV_PIX_FMT_FLAG_BITSTREAM))
        throw_input(source.path, std::string("cannot read the matte of pixel format ") +
                                     (desc ? desc->name : "unknown") + " for --fit-to visible");
    const AVComponentDescriptor& c = desc->comp[component];
    const int max_value = (1 << c.depth) - 1;
    const bool limited = !source.alpha_plane && mask_is_limited(source.range, info.range, info.codec_id, format);
    // The lowest code value that counts as visible.
    const double black = limited ? 16.0 * (max_value + 1) / 256 : 0.0;
    const double white = limited ? 235.0 * (max_value + 1) / 256 : max_value;
    const int cut = int(std::floor(black + threshold * (white - black))) + 1;

    int x0 = info.width, y0 = info.height, x1 = -1, y1 = -1;  // inclusive bounds, in the matte's pixels
    const double first_seconds = video.seconds_of(frame.get());
    constexpr double same_instant = 1e-6;
    do {
        throw_if_interrupted();
        const double t = video.seconds_of(frame.get()) - first_seconds;
        if (span.end && t >= *span.end - same_instant) break;
        if (t < span.start - same_instant) continue;
        const int w = frame->width, h = frame->height;
        const std::uint8_t* base = frame->data[c.plane] + c.offset;
        const int stride = frame->linesize[c.plane];
        for (int y = 0; y < h; ++y) {
            const std::uint8_t* row = base + std::ptrdiff_t(y) * stride;
            int first = -1, last = -1;
            for (int x = 0; x < w; ++x) {
                const int v = c.depth > 8 ? int(reinterpret_cast<const std::uint16_t*>(row + x * c.step)[0] >> c.shift)
                                          : int(row[x * c.step]);
                if (v >= cut) {
                    if (first < 0) first = x;
                    last = x;
                }
            }
            if (first < 0) continue;
            x0 = std::min(x0, first);
            x1 = std::max(x1, last);
            y0 = std::min(y0, y);
            y1 = std::max(y1, y);
        }
    } while (video.next(frame.get()));
    if (x1 < 0) return std::nullopt;
    // To the picture's pixels, rounding outwards so nothing visible falls outside.
    const double sx = double(picture.width) / info.width, sy = double(picture.height) / info.height;
    Box box;
    box.x = int(std::floor(x0 * sx));
    box.y = int(std::floor(y0 * sy));
    box.width = std::min(picture.width, int(std::ceil((x1 + 1) * sx))) - box.x;
    box.height = std::min(picture.height, int(std::ceil((y1 + 1) * sy))) - box.y;
    return box;
}

}  // namespace avpost::filters
