#pragma once
// One declaration per option of a stage: its job-file key, CLI flag, type, check and one line of
// doc, with the default read from the stage's own parameter struct. The CLI options (tools/
// option_flags.hpp), job-file reading and writing, --help, the man page, completion rows and the
// schema test all come from these rows, so adding an option is one row plus its use
// (docs/architecture.md).
#include <algorithm>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "avpost/core/error.hpp"

namespace avpost::filters {

enum class OptionType {
    text,            // a non-empty string
    path,            // a file path: relative ones resolve against the job file's directory
    integer,
    number,
    boolean,         // on the CLI a flag
    integer_list,    // JSON array of integers; on the CLI one or more values
    text_or_list,    // a string, or an array of strings ("web,poster" or ["web", "poster"])
    text_or_object,  // a string, or an object of the options of another table
    object,          // an object of the options of another table; no CLI flag
};

template <class Params>
struct OptionRow {
    std::string_view key;         // job files: "fit_to"
    std::string_view flag;        // CLI: "fit-to" for --fit-to; empty: job files only
    OptionType type = OptionType::text;
    std::string_view value_name;  // --help: "COLOUR", "WxH"; empty: named by the type
    std::string_view doc;         // one line
    std::string_view choices;     // "contain,cover,fill,none": --help and completion; empty: open
    // Checks and stores the value (of `type`, already checked); throws Error(usage) saying why.
    void (*set)(Params&, const nlohmann::json&) = nullptr;
    // The value as a job file writes it; null when unset (the default of an optional).
    nlohmann::json (*get)(const Params&) = nullptr;
    // Delivery rows: the sinks the option shapes, by preset name ("web,hls"; "*": every one);
    // empty: none in particular (`avpost stages` lists each sink's from here).
    std::string_view shapes;
};

// A problem with one option: its key ("anchor", or "matte.choke" inside a nested table) and why.
struct OptionProblem {
    std::string key;
    std::string why;
};

template <class Params>
struct OptionTable {
    std::string_view name;  // "compose", "matte", "delivery": what the rows set
    std::span<const OptionRow<Params>> rows;
    // What the rows say about each other, judged after all of them are set (hls_codec hevc needs
    // fmp4 segments); each problem names the row it is reported against.
    std::vector<OptionProblem> (*cross_check)(const Params&) = nullptr;
};

// Thrown by a nested table's setter: every problem inside it, keys relative to it.
class OptionProblems : public Error {
public:
    explicit OptionProblems(std::vector<OptionProblem> problems);
    const std::vector<OptionProblem>& problems() const noexcept { return problems_; }

private:
    std::vector<OptionProblem> problems_;
};

// "must be a string, not an integer" when `value` is not of `type`; nullopt when it is.
std::optional<std::string> option_type_problem(OptionType type, const nlohmann::json& value);
// "an integer", "a string", ... as the type problems name JSON values.
std::string json_type_name(const nlohmann::json& value);
// --help's value name of a row without one: "INT", "NUM", "FILE", "TEXT".
std::string_view default_value_name(OptionType type);
// 16 for 16.0, 0.1 for 0.1: a number as a person writes it.
std::string number_text(double value);
// A row's number from `low` to `high`; throws Error(usage) "must be from LOW to HIGH, not V".
double number_in_range(const nlohmann::json& value, double low, double high);
// The default as --help shows it, from a default-constructed Params; empty: none worth showing.
std::string default_text(const nlohmann::json& value);

namespace detail {
std::string unknown_key_why(std::span<const std::string_view> allowed);
std::string resolve_path(const std::string& base, const std::string& text);
// The problem of row `key`; a why that starts with an element's index ("[1]: must be ...") names
// that element ("presets[1]").
OptionProblem problem_at(std::string_view key, const std::string& why);
}  // namespace detail

struct ReadOptions {
    std::string path_base;                   // directory relative paths resolve against; empty: as written
    std::vector<std::string_view> other_keys;  // keys read elsewhere (a scene's layers): not unknown
    bool check_unknown = true;                 // false: another table of the same object judges keys
};

// Sets `params` from the keys of `object` that are rows of `table`: every problem is returned (an
// unknown key, a wrong type, a value its row refuses, what the rows say about each other), each
// bad key left at its default, so one read reports them all.
template <class Params>
std::vector<OptionProblem> read_options(const OptionTable<Params>& table, const nlohmann::json& object, Params& params,
                                        const ReadOptions& options = {}) {
    std::vector<OptionProblem> problems;
    if (!object.is_object()) return {{"", "must be an object, not " + json_type_name(object)}};
    std::vector<std::string_view> allowed;
    for (const auto& row : table.rows) allowed.push_back(row.key);
    allowed.insert(allowed.end(), options.other_keys.begin(), options.other_keys.end());
    for (const auto& [key, value] : object.items())
        if (options.check_unknown && std::find(allowed.begin(), allowed.end(), key) == allowed.end())
            problems.push_back({key, detail::unknown_key_why(allowed)});
    for (const auto& row : table.rows) {
        auto it = object.find(row.key);
        if (it == object.end()) continue;
        if (auto why = option_type_problem(row.type, *it)) {
            problems.push_back(detail::problem_at(row.key, *why));
            continue;
        }
        try {
            if (row.type == OptionType::path && !options.path_base.empty())
                row.set(params, detail::resolve_path(options.path_base, it->template get<std::string>()));
            else
                row.set(params, *it);
        } catch (const OptionProblems& nested) {
            for (const OptionProblem& p : nested.problems())
                problems.push_back({std::string(row.key) + (p.key.empty() ? "" : "." + p.key), p.why});
        } catch (const Error& e) {
            if (e.domain() != ErrorDomain::usage) throw;
            problems.push_back(detail::problem_at(row.key, e.what()));
        }
    }
    if (problems.empty() && table.cross_check) problems = table.cross_check(params);
    return problems;
}

// The same, for a setter of a nested table: throws OptionProblems when there is any.
template <class Params>
void read_nested_options(const OptionTable<Params>& table, const nlohmann::json& object, Params& params) {
    auto problems = read_options(table, object, params);
    if (!problems.empty()) throw OptionProblems(std::move(problems));
}

// The options as a job file writes them: every row whose value is set, in row order.
template <class Params>
nlohmann::json write_options(const OptionTable<Params>& table, const Params& params) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& row : table.rows)
        if (nlohmann::json value = row.get(params); !value.is_null()) out[std::string(row.key)] = std::move(value);
    return out;
}

// The row of `table` with job-file key `key`; nullptr when there is none.
template <class Params>
const OptionRow<Params>* find_option(const OptionTable<Params>& table, std::string_view key) {
    for (const auto& row : table.rows)
        if (row.key == key) return &row;
    return nullptr;
}

}  // namespace avpost::filters
