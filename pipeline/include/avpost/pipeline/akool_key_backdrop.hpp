#pragma once
// An Akool render that a job keys (composite.key) needs a plain colour behind the avatar. When the
// create request has no backdrop of its own, avpost adds one at the bottom of the request it
// sends: a full-canvas image element whose url is the key colour (Akool takes a hex colour as an
// image element's url), the default green #00B140 for "auto".
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "avpost/filters/keyer.hpp"

namespace avpost::job {

inline constexpr std::string_view default_key_colour = "#00B140";

// The request's backdrop: the last image element below the avatar whose rectangle (offset, size
// times scale) covers the whole canvas; a colour element without a size is canvas-sized. An
// image without a size is not counted (its size is the picture's, unknown here). nullopt: none.
std::optional<std::size_t> akool_backdrop_element(const nlohmann::json& request);

// When the request has no backdrop, adds the full-canvas key-colour element at the bottom
// (elements[0]) and returns its colour; returns empty when the request has its own backdrop.
// Throws Error(usage) when that backdrop is a colour other than the key colour given (the key
// would pull nothing).
std::string add_key_backdrop(nlohmann::json& request, const filters::KeyParams& key);

}  // namespace avpost::job
