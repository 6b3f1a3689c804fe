#include "avpost/core/file_stem.hpp"

#include <cctype>
#include <cstdio>

namespace avpost {
namespace {

// The character at `text[i]` as written: a whole UTF-8 sequence ("ü"), or a control or stray
// byte as \xNN.
std::string character_at(std::string_view text, std::size_t i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    std::size_t length = byte >= 0xF0 && byte < 0xF8 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 1;
    bool sequence = length > 1 && i + length <= text.size();
    for (std::size_t k = 1; sequence && k < length; ++k)
        sequence = (static_cast<unsigned char>(text[i + k]) & 0xC0) == 0x80;
    if (sequence) return std::string(text.substr(i, length));
    if (byte >= 0x20 && byte < 0x7F) return std::string(1, char(byte));
    char hex[8];
    std::snprintf(hex, sizeof hex, "\\x%02X", unsigned(byte));
    return hex;
}

}  // namespace

std::optional<std::string> file_stem_problem(std::string_view name) {
    if (name.empty()) return "it is empty";
    if (name.front() == '.') return std::string("'").append(name).append("' starts with '.'");
    for (std::size_t i = 0; i < name.size(); ++i) {
        const auto c = static_cast<unsigned char>(name[i]);
        if (!(std::isalnum(c) || c == '.' || c == '_' || c == '-'))
            return std::string("'").append(character_at(name, i)).append("' at byte ").append(std::to_string(i + 1))
                .append(" of '").append(name).append("' is not allowed");
    }
    if (name.size() > 100) return "it has " + std::to_string(name.size()) + " characters";
    return std::nullopt;
}

}  // namespace avpost
