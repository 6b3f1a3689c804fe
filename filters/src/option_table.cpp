#include "avpost/filters/option_table.hpp"

#include <cmath>
#include <filesystem>

namespace avpost::filters {
namespace {

std::string first_problem_text(const std::vector<OptionProblem>& problems) {
    if (problems.empty()) return "bad options";
    const OptionProblem& p = problems.front();
    return (p.key.empty() ? "" : p.key + ": ") + p.why;
}

}  // namespace

OptionProblems::OptionProblems(std::vector<OptionProblem> problems)
    : Error(ErrorDomain::usage, first_problem_text(problems), 0, {}), problems_(std::move(problems)) {}

std::string json_type_name(const nlohmann::json& v) {
    if (v.is_number_integer()) return "an integer";
    if (v.is_number()) return "a number";
    if (v.is_string()) return "a string";
    if (v.is_boolean()) return "a boolean";
    if (v.is_null()) return "null";
    if (v.is_array()) return "an array";
    return "an object";
}

std::optional<std::string> option_type_problem(OptionType type, const nlohmann::json& v) {
    auto non_empty_string = [&]() -> std::optional<std::string> {
        if (!v.is_string()) return "must be a string, not " + json_type_name(v);
        if (v.get_ref<const std::string&>().empty()) return std::string("must not be empty");
        return std::nullopt;
    };
    switch (type) {
        case OptionType::text:
        case OptionType::path: return non_empty_string();
        case OptionType::integer:
            if (!v.is_number_integer()) return "must be an integer, not " + json_type_name(v);
            return std::nullopt;
        case OptionType::number:
            if (!v.is_number()) return "must be a number, not " + json_type_name(v);
            return std::nullopt;
        case OptionType::boolean:
            if (!v.is_boolean()) return "must be true or false, not " + json_type_name(v);
            return std::nullopt;
        case OptionType::integer_list:
            if (!v.is_array() || v.empty()) return std::string("must be a non-empty array of integers");
            for (std::size_t i = 0; i < v.size(); ++i)
                if (!v[i].is_number_integer())
                    return "[" + std::to_string(i) + "]: must be an integer, not " + json_type_name(v[i]);
            return std::nullopt;
        case OptionType::text_or_list:
            if (v.is_string()) return non_empty_string();
            if (!v.is_array() || v.empty()) return "must be a non-empty array of strings, not " + json_type_name(v);
            for (std::size_t i = 0; i < v.size(); ++i)
                if (!v[i].is_string()) return "[" + std::to_string(i) + "]: must be a string, not " + json_type_name(v[i]);
            return std::nullopt;
        case OptionType::text_or_object:
            if (v.is_string()) return non_empty_string();
            if (!v.is_object()) return "must be a string or an object, not " + json_type_name(v);
            return std::nullopt;
        case OptionType::object:
            if (!v.is_object()) return "must be an object, not " + json_type_name(v);
            return std::nullopt;
    }
    return std::nullopt;
}

std::string_view default_value_name(OptionType type) {
    switch (type) {
        case OptionType::integer:
        case OptionType::integer_list: return "INT";
        case OptionType::number: return "NUM";
        case OptionType::path: return "FILE";
        default: return "TEXT";
    }
}

std::string number_text(double value) {
    if (value == std::floor(value) && std::abs(value) < 1e15) return std::to_string(static_cast<long long>(value));
    return nlohmann::json(value).dump();
}

double number_in_range(const nlohmann::json& value, double low, double high) {
    const double d = value.get<double>();
    if (d < low || d > high) throw_usage("must be from " + number_text(low) + " to " + number_text(high) + ", not " + value.dump());
    return d;
}

std::string default_text(const nlohmann::json& value) {
    if (value.is_null() || (value.is_boolean() && !value.get<bool>())) return "";
    if (value.is_string()) return value.get<std::string>();
    if (value.is_array()) {
        std::string text;
        for (const auto& item : value) {
            if (!text.empty()) text += ' ';
            text += default_text(item);
        }
        return text;
    }
    return value.dump();
}

namespace detail {

std::string unknown_key_why(std::span<const std::string_view> allowed) {
    std::string list;
    for (std::string_view key : allowed) list += (list.empty() ? "" : ", ") + std::string(key);
    return "unknown key (allowed: " + list + ")";
}

OptionProblem problem_at(std::string_view key, const std::string& why) {
    const auto end = why.find("]: ");
    if (why.starts_with('[') && end != std::string::npos)
        return {std::string(key) + why.substr(0, end + 1), why.substr(end + 3)};
    return {std::string(key), why};
}

std::string resolve_path(const std::string& base, const std::string& text) {
    std::filesystem::path p(text);
    return p.is_absolute() ? text : (std::filesystem::path(base) / p).lexically_normal().string();
}

}  // namespace detail
}  // namespace avpost::filters
