#pragma once
// The rule for names that become file stems and catalog keys (a job's name, a delivery's name):
// letters, digits, '.', '_' and '-', at most 100, not starting with '.'.
#include <optional>
#include <string>
#include <string_view>

namespace avpost {

// What is wrong with `name` as a file stem, naming the first character that is not allowed
// ("'ü' at byte 3 of 'grün' is not allowed"); nullopt: it is one.
std::optional<std::string> file_stem_problem(std::string_view name);

}  // namespace avpost
