#pragma once
// A job template (docs/batch.md): a job file whose string values hold {{COLUMN}} placeholders,
// filled in from one batch row per job. Placeholders are replaced in the parsed document's string
// values (its keys and numbers are never touched), so a value holding quotes, braces or line
// breaks stays one string and cannot change the document's shape. "{{{{" stands for a literal
// "{{". A row's value is inserted as text: a "${" in it stays literally "${" (it is written
// "$${" for the environment expansion that follows), so a row cannot name the environment.
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace avpost::pipeline {

struct TemplateProblem {
    std::string path;  // JSON path of the string ("composite.layers[2].text"); "(document)" for the top level
    std::string message;
};

// The columns the placeholders of `document` name, and what is wrong with any of them (an
// unclosed "{{", "{{}}", a name holding a brace).
struct TemplatePlaceholders {
    std::set<std::string> columns;
    std::vector<TemplateProblem> problems;
    // The path of the first string naming each column (for "names no column" problems).
    std::vector<std::pair<std::string, std::string>> first_use;  // column, path
};
TemplatePlaceholders template_placeholders(const nlohmann::json& document);

// Whether a string holds a placeholder (a "{{" not written "{{{{").
bool has_placeholder(const std::string& text);

// `document` with every placeholder replaced by `value(column)` (which the caller made sure
// exists: template_placeholders first). Throws Error(usage) for a malformed placeholder.
nlohmann::json fill_template(const nlohmann::json& document,
                             const std::function<std::string(const std::string& column)>& value);

}  // namespace avpost::pipeline
