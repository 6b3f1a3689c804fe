#pragma once
// The placement, matte and input options `compose` and `transcode` share, made from the compose
// stage's option tables (filters/compose_option_tables.hpp), plus --scene.
#include <CLI/CLI.hpp>
#include <string>

#include "avpost/filters/compose.hpp"
#include "avpost/filters/compose_option_tables.hpp"
#include "avpost/pipeline/encoder_preset.hpp"
#include "option_flags.hpp"

namespace avpost::tool {

struct ComposeLayoutOptions {
    std::string scene;  // a JSON file: Akool request with elements, or {"canvas", "layers"}
    std::string overlays;  // a JSON file: an array of layers drawn over the composite
    OptionFlags<filters::ComposeParams> layout{filters::layout_options()};
    OptionFlags<filters::MatteParams> matte{filters::matte_options()};
    OptionFlags<filters::MusicParams> music{filters::music_options()};

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
