#include "option_flags.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>

namespace avpost::tool {
namespace {

long long whole_number(const std::string& text, std::string_view flag) {
    long long value = 0;
    const char* end = text.data() + text.size();
    auto [at, error] = std::from_chars(text.data(), end, value);
    if (text.empty() || error != std::errc() || at != end)
        throw_usage("--" + std::string(flag) + ": '" + text + "' is not a whole number");
    return value;
}

double decimal_number(const std::string& text, std::string_view flag) {
    char* end = nullptr;
    const double value = std::strtod(text.c_str(), &end);
    if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(value))
        throw_usage("--" + std::string(flag) + ": '" + text + "' is not a number");
    return value;
}

}  // namespace

void add_flag_slot(CLI::App& sub, FlagSlot& slot, std::string_view value_name, std::string_view doc,
                   std::string_view choices, const std::string& default_text) {
    const std::string name = "--" + std::string(slot.flag);
    // The allowed values show as the value name ("--fit {contain,cover,fill,none}").
    std::string help(doc);
    if (!default_text.empty()) help += " (default: " + default_text + ")";
    using filters::OptionType;
    if (slot.type == OptionType::boolean) {
        slot.option = sub.add_flag(name, slot.on, help);
        return;
    }
    if (slot.type == OptionType::integer_list) {
        slot.option = sub.add_option(name, slot.values, help)->delimiter(',');
    } else {
        slot.option = sub.add_option(name, slot.text, help);
    }
    // Completion and the man page read the allowed values from "{a,b}" in the type name.
    slot.option->type_name(choices.empty() ? std::string(value_name) : "{" + std::string(choices) + "}");
}

nlohmann::json flag_value(const FlagSlot& slot) {
    using filters::OptionType;
    switch (slot.type) {
        case OptionType::boolean: return slot.on;
        case OptionType::integer: return whole_number(slot.text, slot.flag);
        case OptionType::number: return decimal_number(slot.text, slot.flag);
        case OptionType::integer_list: {
            nlohmann::json list = nlohmann::json::array();
            for (const std::string& v : slot.values) list.push_back(whole_number(v, slot.flag));
            return list;
        }
        default: return slot.text;
    }
}

void throw_flag_problem(const filters::OptionProblem& problem, std::string_view flag) {
    throw_usage("--" + std::string(flag) + (problem.key.empty() ? "" : " " + problem.key) + ": " + problem.why);
}

}  // namespace avpost::tool
