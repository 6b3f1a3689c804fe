#pragma once
// CLI options made from a stage's option table (filters/option_table.hpp): one flag per row that
// has one, its --help line (doc, allowed values, default) from the row, its value checked by the
// row's own setter, so a flag and its job-file key can never drift apart.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "avpost/filters/option_table.hpp"

namespace avpost::tool {

// One flag's storage, and the row it was made from (type-erased).
struct FlagSlot {
    FlagSlot(std::string_view key, std::string_view flag, filters::OptionType type) : key(key), flag(flag), type(type) {}
    std::string_view key, flag;
    filters::OptionType type;
    std::string text;                  // one value
    std::vector<std::string> values;   // integer_list
    bool on = false;                   // boolean
    CLI::Option* option = nullptr;
    bool given() const { return option && option->count() > 0; }
};

// Adds `slot`'s flag to `sub` (help: doc, allowed values, default).
void add_flag_slot(CLI::App& sub, FlagSlot& slot, std::string_view value_name, std::string_view doc,
                   std::string_view choices, const std::string& default_text);
// The flag's value as the row's JSON type ("--choke 3" -> 3); throws Error(usage) "--choke: ..." for
// text that is not of the type.
nlohmann::json flag_value(const FlagSlot& slot);
// Throws Error(usage) "--FLAG: why" for the first problem (key: the row's; nested keys as given).
[[noreturn]] void throw_flag_problem(const filters::OptionProblem& problem, std::string_view flag);

template <class Params>
class OptionFlags {
public:
    // Every row with a flag, except the keys in `skip` (a command that sets them itself).
    explicit OptionFlags(const filters::OptionTable<Params>& table, std::vector<std::string_view> skip = {})
        : table_(table) {
        for (const auto& row : table.rows)
            if (!row.flag.empty() && std::find(skip.begin(), skip.end(), row.key) == skip.end())
                slots_.emplace_back(row.key, row.flag, row.type);
    }
    OptionFlags(const OptionFlags&) = delete;  // CLI11 holds pointers into the slots
    OptionFlags& operator=(const OptionFlags&) = delete;

    void add_to(CLI::App& sub) {
        const Params defaults{};
        for (FlagSlot& slot : slots_) {
            const auto& row = *filters::find_option(table_, slot.key);
            std::string_view name = row.value_name.empty() ? filters::default_value_name(row.type) : row.value_name;
            add_flag_slot(sub, slot, name, row.doc, row.choices, filters::default_text(row.get(defaults)));
        }
    }

    // Sets the given flags on `params` in row order, then judges what they say about each other;
    // throws Error(usage) "--flag: why" at the first problem.
    void apply_to(Params& params) const {
        for (const FlagSlot& slot : slots_) {
            if (!slot.given()) continue;
            const nlohmann::json value = flag_value(slot);
            if (auto why = filters::option_type_problem(slot.type, value)) throw_flag_problem({"", *why}, slot.flag);
            try {
                filters::find_option(table_, slot.key)->set(params, value);
            } catch (const filters::OptionProblems& nested) {
                throw_flag_problem(nested.problems().front(), slot.flag);
            } catch (const Error& e) {
                if (e.domain() != ErrorDomain::usage) throw;
                throw_flag_problem({"", e.what()}, slot.flag);
            }
        }
        if (!table_.cross_check) return;
        for (const filters::OptionProblem& p : table_.cross_check(params)) throw_flag_problem({"", p.why}, flag_of(p.key));
    }

    bool any_given() const {
        return std::any_of(slots_.begin(), slots_.end(), [](const FlagSlot& s) { return s.given(); });
    }
    bool given(std::string_view key) const {
        return std::any_of(slots_.begin(), slots_.end(), [&](const FlagSlot& s) { return s.key == key && s.given(); });
    }

private:
    std::string_view flag_of(std::string_view key) const {
        const auto* row = filters::find_option(table_, key);
        return row && !row->flag.empty() ? row->flag : key;
    }

    const filters::OptionTable<Params>& table_;
    std::deque<FlagSlot> slots_;
};

}  // namespace avpost::tool
