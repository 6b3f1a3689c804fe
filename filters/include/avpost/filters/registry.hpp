#pragma once
// Every frame stage and every delivery sink of avpost, each in one table. Stages: what they do
// and the pixel format and alpha convention they work in. Sinks: the preset name people give,
// the file it writes, whether it needs the avatar's matte, the options that shape it and the
// factory that makes it; parsing preset names, output paths, make_delivery_sink and the
// listings all read this table, so a new preset is a row here (and its sink). Tests loop over
// both; `avpost stages` prints them.
#include <memory>
#include <span>
#include <string_view>

#include "avpost/filters/delivery.hpp"

namespace avpost::filters {

struct StageInfo {
    std::string_view name;
    std::string_view summary;
    std::string_view pixel_format;  // what the stage reads and writes
    std::string_view alpha;         // the alpha convention it assumes
};

std::span<const StageInfo> all_stages();

class DeliverySink;
class EncodedOutput;
struct SinkContext;

// Makes the sink of `preset` (a factory may serve several presets). `hls_top_rung`: for a sink
// made after the others (SinkInfo::after_others), another sink's encode it may take; else null.
using SinkFactory = std::unique_ptr<DeliverySink> (*)(Preset preset, const DeliveryOptions& options,
                                                      const SinkContext& context, EncodedOutput* hls_top_rung);

struct SinkInfo {
    Preset preset;
    std::string_view name;     // as given to --deliver and deliver.presets
    std::string_view summary;  // what it makes
    std::string_view file;     // appended to DeliveryOptions::name (web: after web_suffix)
    bool needs_alpha;          // carries the avatar's matte: needs a mask or a source with alpha
    // Made after every other sink and finished after them: it takes another sink's encode
    // (the HLS ladder's top rung), which flushes its last packets into it when finishing.
    bool after_others;
    SinkFactory make;
};

std::span<const SinkInfo> all_sinks();
// The row of `preset` (every Preset has exactly one).
const SinkInfo& sink_info(Preset preset);
// The row named `name`, or null.
const SinkInfo* find_sink(std::string_view name);
// "web, hevc, ..., hls": every sink's name in table order.
std::string sink_names();

}  // namespace avpost::filters
