#pragma once
// Factories of the preset sinks (private to the filters library): the registry's rows name them
// (registry.cpp), and make_delivery_sink calls the row's. Each has the SinkFactory signature.
#include <memory>

#include "avpost/filters/delivery_sink.hpp"
#include "avpost/filters/encoded_output.hpp"

namespace avpost::filters {

// web, hevc, av1, av1-webm, webm-alpha, prores-alpha: one encoded file each.
std::unique_ptr<DeliverySink> make_video_file_sink(Preset preset, const DeliveryOptions& options,
                                                   const SinkContext& context, EncodedOutput* hls_top_rung);
// `hls_top_rung`: the encode whose packets make the top rung (its size is the ladder's top), or null.
std::unique_ptr<DeliverySink> make_hls_sink(Preset preset, const DeliveryOptions& options, const SinkContext& context,
                                            EncodedOutput* hls_top_rung);
std::unique_ptr<DeliverySink> make_poster_sink(Preset preset, const DeliveryOptions& options,
                                               const SinkContext& context, EncodedOutput* hls_top_rung);
std::unique_ptr<DeliverySink> make_preview_sink(Preset preset, const DeliveryOptions& options,
                                                const SinkContext& context, EncodedOutput* hls_top_rung);

}  // namespace avpost::filters
