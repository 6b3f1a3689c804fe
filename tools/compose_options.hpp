#pragma once
// The placement, matte, timing and input options `compose` and `transcode` share, parsed onto
// filters::ComposeParams.
#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "avpost/filters/compose.hpp"

namespace avpost::tool {

struct ComposeLayoutOptions {
    std::string scene;  // a JSON file: Akool request with elements, or {"canvas", "layers"}
    std::string canvas, position, size, fit = "contain", anchor = "center", mask_range = "auto", despill,
                                         bg_end = "loop";
    int choke = 0;
    double feather = 0;
    bool allow_short = false;

    void add_to(CLI::App& sub);
    // Throws Error(usage) on a bad value.
    void apply_to(filters::ComposeParams& params) const;
};

}  // namespace avpost::tool
