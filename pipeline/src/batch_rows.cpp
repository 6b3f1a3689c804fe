#include "avpost/pipeline/batch_rows.hpp"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "avpost/core/csv.hpp"
#include "avpost/core/error.hpp"

namespace avpost::pipeline {
namespace fs = std::filesystem;
using nlohmann::json;

std::optional<std::string> BatchRow::value(const std::string& column) const {
    auto it = values.find(column);
    if (it == values.end() || it->second.empty()) return std::nullopt;
    return it->second;
}

bool BatchRows::has_column(const std::string& column) const {
    return std::find(columns.begin(), columns.end(), column) != columns.end();
}

namespace {

std::string trimmed(std::string text) {
    const auto first = text.find_first_not_of(" \t");
    if (first == std::string::npos) return {};
    return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

// A JSON value as template text: strings as they are, anything else as its JSON.
std::string value_text(const json& value) { return value.is_string() ? value.get<std::string>() : value.dump(); }

// One JSON object as a row.
BatchRow row_from_object(const json& object, std::size_t line, std::size_t number, std::vector<std::string>& columns) {
    BatchRow row{line, number, {}, {}};
    if (!object.is_object()) {
        row.problem = "a row is one JSON object, not " + std::string(object.type_name());
        return row;
    }
    for (const auto& [key, item] : object.items()) {
        if (std::find(columns.begin(), columns.end(), key) == columns.end()) columns.push_back(key);
        row.values[key] = value_text(item);
    }
    return row;
}

}  // namespace

BatchRows parse_csv_rows(std::string_view text, const std::string& source) {
    std::vector<csv::Record> records = csv::parse(text, source);
    if (records.empty()) throw_usage(source + ": no header row (the first record names the columns)");
    BatchRows rows{source, {}, {}};
    const csv::Record& header = records.front();
    std::set<std::string> seen;
    for (std::size_t i = 0; i < header.fields.size(); ++i) {
        std::string column = trimmed(header.fields[i]);
        const std::string where = source + ":" + std::to_string(header.line) + ": column " + std::to_string(i + 1);
        if (column.empty()) throw_usage(where + ": has no name");
        if (!seen.insert(column).second) throw_usage(where + ": '" + column + "' names an earlier column too");
        rows.columns.push_back(std::move(column));
    }
    for (std::size_t r = 1; r < records.size(); ++r) {
        const csv::Record& record = records[r];
        BatchRow row{record.line, r, {}, {}};
        if (record.fields.size() > rows.columns.size())
            row.problem = std::to_string(record.fields.size()) + " fields, but the header names " +
                          std::to_string(rows.columns.size()) + " columns (a comma inside a value needs the value in double quotes)";
        for (std::size_t i = 0; i < std::min(record.fields.size(), rows.columns.size()); ++i)
            row.values[rows.columns[i]] = record.fields[i];
        rows.rows.push_back(std::move(row));
    }
    return rows;
}

BatchRows parse_jsonl_rows(std::string_view text, const std::string& source) {
    if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
    BatchRows rows{source, {}, {}};
    std::size_t line = 0;
    for (std::size_t start = 0; start < text.size();) {
        std::size_t end = text.find('\n', start);
        if (end == std::string_view::npos) end = text.size();
        const std::string_view content = text.substr(start, end - start);
        start = end + 1;
        ++line;
        if (content.find_first_not_of(" \t\r") == std::string_view::npos) continue;
        json object = json::parse(content, nullptr, false);
        if (object.is_discarded()) {
            rows.rows.push_back({line, rows.rows.size() + 1, {}, "not a JSON object (each line of a .jsonl file holds one)"});
            continue;
        }
        rows.rows.push_back(row_from_object(object, line, rows.rows.size() + 1, rows.columns));
    }
    return rows;
}

BatchRows rows_from_json(const json& list, const std::string& source) {
    if (!list.is_array()) throw_usage(source + ": the rows are an array of JSON objects");
    BatchRows rows{source, {}, {}};
    for (std::size_t i = 0; i < list.size(); ++i)
        rows.rows.push_back(row_from_object(list[i], i + 1, i + 1, rows.columns));
    return rows;
}

BatchRows read_batch_rows(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw_input(file.string(), "cannot read the rows file");
    std::ostringstream text;
    text << in.rdbuf();
    const std::string extension = file.extension().string();
    if (extension == ".jsonl" || extension == ".ndjson") return parse_jsonl_rows(text.str(), file.string());
    return parse_csv_rows(text.str(), file.string());
}

}  // namespace avpost::pipeline
