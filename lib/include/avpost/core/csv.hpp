#pragma once
// CSV as RFC 4180 writes it: fields separated by commas, records by CRLF or LF; a field in double
// quotes may hold commas, quotes (doubled: "") and line breaks, so one record can span several
// physical lines. A UTF-8 byte order mark at the start is skipped. Used for batch rows (avpost
// batch) and the manifests it writes.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace avpost::csv {

struct Record {
    std::size_t line = 0;  // the physical line (1-based) on which the record starts
    std::vector<std::string> fields;
};

// Every record of `text`, blank lines left out. Throws Error(usage) "SOURCE:LINE: why" for a
// quote that is never closed or text after a closing quote; `source` names the text in it.
std::vector<Record> parse(std::string_view text, const std::string& source);

// One field as CSV writes it: quoted (quotes doubled) when it holds a comma, quote or line break,
// or starts or ends with a space.
std::string field(std::string_view value);
// One record: its fields, comma-separated, ended by CRLF.
std::string record(const std::vector<std::string>& fields);

}  // namespace avpost::csv
