#pragma once
// The delivery stage's option table (option_table.hpp): presets, sizes, preview, HLS, loudness and
// captions. `compose --deliver`, `transcode` and job files' "deliver" all read it;
// docs/job.schema.json lists exactly its keys (tests/filters/option_tables_test.cpp).
#include "avpost/filters/delivery.hpp"
#include "avpost/filters/option_table.hpp"

namespace avpost::filters {

// Presets and their name, sizes, the preview, the HLS ladder, loudness and captions.
const OptionTable<DeliveryOptions>& delivery_options();
// The keys of the options that shape `preset`'s output, in the table's order.
std::vector<std::string_view> options_shaping(Preset preset);

}  // namespace avpost::filters
