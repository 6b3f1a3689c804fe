#pragma once
// Tolerant field access for vendor JSON: ids arrive as strings or numbers, fields go missing.
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace avpost::net::detail {

inline std::string text_field(const nlohmann::json& j, const char* key, std::string fallback = {}) {
    if (!j.is_object()) return fallback;
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return fallback;
    if (it->is_string()) return it->get<std::string>();
    if (it->is_number_integer()) return std::to_string(it->get<std::int64_t>());
    if (it->is_number_unsigned()) return std::to_string(it->get<std::uint64_t>());
    if (it->is_number_float()) return std::to_string(it->get<double>());
    if (it->is_boolean()) return it->get<bool>() ? "true" : "false";
    return fallback;
}

inline std::int64_t int_field(const nlohmann::json& j, const char* key, std::int64_t fallback = 0) {
    if (!j.is_object()) return fallback;
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return fallback;
    if (it->is_number_float()) {
        // Converting a double outside the int64 range (1e300, inf) is undefined behaviour.
        const double value = it->get<double>();
        if (!(value >= -0x1p63 && value < 0x1p63)) return fallback;
        return static_cast<std::int64_t>(value);
    }
    if (it->is_number()) return it->get<std::int64_t>();
    if (it->is_string()) {
        try {
            return std::stoll(it->get<std::string>());
        } catch (...) {
            return fallback;
        }
    }
    return fallback;
}

inline double number_field(const nlohmann::json& j, const char* key, double fallback = 0) {
    if (!j.is_object()) return fallback;
    auto it = j.find(key);
    if (it == j.end() || !it->is_number()) return fallback;
    return it->get<double>();
}

}  // namespace avpost::net::detail
