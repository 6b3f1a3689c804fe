#include "avpost/filters/delivery_sink.hpp"

#include <algorithm>
#include <cmath>

#include "avpost/filters/registry.hpp"

namespace avpost::filters {

Size fit_within(Size source, Size limit) {
    auto even = [](double v) { return std::max(2, int(std::lround(v / 2)) * 2); };
    // Odd sizes lose their last row or column rather than being stretched by one.
    if (source.width <= limit.width && source.height <= limit.height)
        return {std::max(2, source.width & ~1), std::max(2, source.height & ~1)};
    const double scale = std::min(double(limit.width) / source.width, double(limit.height) / source.height);
    return {std::min(even(source.width * scale), limit.width - limit.width % 2),
            std::min(even(source.height * scale), limit.height - limit.height % 2)};
}

Size oriented_limit(Size source, Size limit) {
    const bool portrait = source.height > source.width, limit_portrait = limit.height > limit.width;
    return portrait == limit_portrait ? limit : Size{limit.height, limit.width};
}

int short_side(Size size) { return std::min(size.width, size.height); }

std::unique_ptr<DeliverySink> make_delivery_sink(Preset preset, const DeliveryOptions& options,
                                                 const SinkContext& context, EncodedOutput* hls_top_rung) {
    return sink_info(preset).make(preset, options, context, hls_top_rung);
}

}  // namespace avpost::filters
