#pragma once
// The rows of a batch (avpost batch, docs/batch.md): one set of template values per job, read from
// a CSV file (RFC 4180, a header row naming the columns), a JSON Lines file (one object per line),
// or JSON objects handed over as they are (an API request). Every value is text: a JSON value that
// is not a string becomes its JSON text (7, true, null, [1,2]).
#include <cstddef>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace avpost::pipeline {

struct BatchRow {
    // Where the row starts: the physical line of a CSV record (records may span lines) or of a
    // JSON Lines object; for rows given as JSON objects, their 1-based index.
    std::size_t line = 0;
    std::size_t number = 0;  // 1-based among the rows (the header is no row)
    std::map<std::string, std::string> values;  // by column; a column the row leaves out is absent
    // Why the row cannot be used (more fields than the header has columns, a line that is no JSON
    // object); empty: none. Kept with the row, so the batch reports it with every other problem.
    std::string problem;

    // The row's value in `column`; nullopt when absent or empty.
    std::optional<std::string> value(const std::string& column) const;
};

struct BatchRows {
    std::string source;                // names the rows in problems: the file as given ("rows.csv")
    std::vector<std::string> columns;  // the CSV header; for JSON, every key some row has, in first-seen order
    std::vector<BatchRow> rows;

    bool has_column(const std::string& column) const;
};

// CSV text: the first record is the header (column names, trimmed of spaces, distinct, not
// empty). A record with more fields than the header is a row with a problem; one with fewer
// leaves the rest absent. Throws Error(usage) "SOURCE:LINE: why" for what makes the file
// unreadable (a quote never closed, a bad header).
BatchRows parse_csv_rows(std::string_view text, const std::string& source);
// JSON Lines: each line that is not blank holds one JSON object; a line that does not is a row
// with a problem.
BatchRows parse_jsonl_rows(std::string_view text, const std::string& source);
// Rows given as JSON objects (an array of them; an item that is no object is a row with a
// problem); throws Error(usage) "SOURCE: why" when `rows` is no array.
BatchRows rows_from_json(const nlohmann::json& rows, const std::string& source);

// A rows file by its extension: .jsonl and .ndjson are JSON Lines, anything else CSV. Throws
// Error(input) when it cannot be read, Error(usage) when it is not valid.
BatchRows read_batch_rows(const std::filesystem::path& file);

}  // namespace avpost::pipeline
