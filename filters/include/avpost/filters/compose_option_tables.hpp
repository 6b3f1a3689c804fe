#pragma once
// The compose stage's option tables (option_table.hpp): placement and matte handling, the matte's
// own options, the keyer's, and the composite's encode. `compose`, `transcode` and job files'
// "composite" all read them; docs/job.schema.json lists exactly their keys (tests/filters/
// option_tables_test.cpp).
#include "avpost/filters/compose.hpp"
#include "avpost/filters/option_table.hpp"

namespace avpost::filters {

// Placement, the matte's handling (its own options, the backdrop colour, a key instead), the
// background's end and what inputs to accept; what they say about each other.
const OptionTable<ComposeParams>& layout_options();
// mask_range, choke, feather (composite.matte; --mask-range, --choke, --feather).
const OptionTable<MatteParams>& matte_options();
// colour, clip_black, clip_white, temporal (composite.key as an object; --key takes the colour).
const OptionTable<KeyParams>& key_options();
// vcodec, crf, encoder_preset: how the composite itself is encoded (`compose -o`, composite.output).
const OptionTable<ComposeParams>& encode_options();

}  // namespace avpost::filters
