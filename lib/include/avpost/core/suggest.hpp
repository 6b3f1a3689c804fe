#pragma once
// "Did you mean ...?": the closest of a set of known words to a mistyped one.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace avpost {

// Levenshtein distance (insertions, deletions, substitutions; an adjacent swap counts once).
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate nearest to `word` when it is near enough to be a typo: at most 2 edits, and
// fewer than half of the word's length (so short words do not match anything).
std::optional<std::string> closest_match(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace avpost
