#pragma once
// Colours as people write them on a command line or in a job file: "#RRGGBB", "0xRRGGBB",
// "RRGGBB" or one of the 148 CSS colour names ("white", "rebeccapurple"), any case.
#include <optional>
#include <string>
#include <string_view>

namespace avpost {

// The colour as "#RRGGBB" (upper case), or nullopt when `text` is none of the forms above.
std::optional<std::string> normalise_colour(std::string_view text);

// Text that is plainly meant as a colour but is not one ("#fffff", "0xggg", "whit"): worth a
// hint instead of "no such file".
bool looks_like_colour_attempt(std::string_view text);

// The CSS colour name closest to `text` by edit distance, when it is close.
std::optional<std::string> closest_colour_name(std::string_view text);

}  // namespace avpost
