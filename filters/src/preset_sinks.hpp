#pragma once
// Factories of the preset sinks (private to the filters library; make_delivery_sink picks one).
#include <memory>

#include "avpost/filters/delivery_sink.hpp"
#include "avpost/filters/encoded_output.hpp"

namespace avpost::filters {

std::unique_ptr<DeliverySink> make_video_file_sink(Preset preset, const DeliveryOptions& options,
                                                   const SinkContext& context);
// `top_rung`: the encode whose packets make the top rung (its size is the ladder's top), or null.
std::unique_ptr<DeliverySink> make_hls_sink(const DeliveryOptions& options, const SinkContext& context,
                                            EncodedOutput* top_rung);
std::unique_ptr<DeliverySink> make_poster_sink(const DeliveryOptions& options, const SinkContext& context);
std::unique_ptr<DeliverySink> make_preview_sink(const DeliveryOptions& options, const SinkContext& context);

}  // namespace avpost::filters
