#pragma once
// JSON from job files, scenes, vendor replies and webhooks may nest arbitrarily deep. nlohmann
// parses and destroys such a document without recursion, but copying it, dumping it and walking
// it recursively (ours or the library's) overflow the stack. Every such document is checked
// with json_nested_too_deep() right after parsing, before anything else touches it.
#include <cstddef>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace avpost {

// Far deeper than any document we read (a job file nests 4 levels, vendor replies 5), far
// shallower than what a default 8 MiB stack survives.
inline constexpr std::size_t max_json_depth = 64;

// When an array or object in `document` sits more than `max_depth` levels deep (the document
// itself is level 1), the JSON path of the first such value, shortened after a few levels
// ("composite.layers[0][0]..."; "(document)" for the document itself); otherwise nullopt.
// Iterative, so safe on any depth.
std::optional<std::string> json_nested_too_deep(const nlohmann::json& document,
                                                std::size_t max_depth = max_json_depth);

}  // namespace avpost
