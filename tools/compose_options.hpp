#pragma once
// The placement, matte, timing and input options `compose` and `transcode` share, parsed onto
// filters::ComposeParams.
#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "avpost/filters/compose.hpp"
#include "avpost/pipeline/encoder_preset.hpp"

namespace avpost::tool {

struct ComposeLayoutOptions {
    std::string scene;  // a JSON file: Akool request with elements, or {"canvas", "layers"}
    std::string canvas, position, size, fit, anchor = "center", mask_range = "auto", despill,
                                         bg_end = "loop", key, key_matte_out, fit_to = "frame";
    int choke = 0;
    double feather = 0;
    bool allow_mask_mismatch = false;
    bool allow_short = false;

    void add_to(CLI::App& sub);
    // Throws Error(usage) on a bad value.
    void apply_to(filters::ComposeParams& params) const;
};

// A --background value as compose takes it: an existing file, a URL or "transparent" as given;
// a colour (#RRGGBB, 0xRRGGBB, RRGGBB, a CSS name) as "#RRGGBB". Throws Error(usage) for an empty
// value or one meant as a colour that is none, with the fix (quote the '#').
std::string background_value(const std::string& value, const std::string& option = "--background");

// Shared with job files: the encoder preset check lives in the pipeline library.
using pipeline::check_encoder_preset;

}  // namespace avpost::tool
