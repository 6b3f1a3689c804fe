#include "avpost/core/csv.hpp"

#include "avpost/core/error.hpp"

namespace avpost::csv {
namespace {

[[noreturn]] void fail(const std::string& source, std::size_t line, const std::string& why) {
    throw_usage(source + ":" + std::to_string(line) + ": " + why);
}

// The quoted field whose opening quote is at `text[at]`: its value (quotes undoubled) appended
// to `value`, `line` advanced past the line breaks inside it. Returns the index after the
// closing quote, which must end the field.
std::size_t read_quoted(std::string_view text, std::size_t at, std::size_t& line, std::string& value,
                        const std::string& source) {
    const std::size_t opened = line;
    std::size_t i = at + 1;
    for (;; ++i) {
        if (i >= text.size()) fail(source, opened, "a quoted field is never closed (a quote inside it is written \"\")");
        if (text[i] == '"') {
            if (i + 1 < text.size() && text[i + 1] == '"') {
                value += '"';
                ++i;
                continue;
            }
            break;
        }
        if (text[i] == '\n') ++line;
        value += text[i];
    }
    ++i;  // the closing quote
    if (i < text.size() && text[i] != ',' && text[i] != '\n' && text[i] != '\r')
        fail(source, line, "text after a closing quote (a quote inside a quoted field is written \"\")");
    return i;
}

}  // namespace

std::vector<Record> parse(std::string_view text, const std::string& source) {
    if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
    std::vector<Record> records;
    Record current;
    std::string value;
    std::size_t line = 1;
    bool field_started = false;  // the current field has a character or a quote (else a quote opens it)
    bool in_record = false;      // something of the current record was read (a blank line is none)
    const auto end_field = [&] {
        current.fields.push_back(std::move(value));
        value.clear();
        field_started = false;
    };
    const auto is_break = [&](std::size_t i) { return text[i] == '\n' || text[i] == '\r'; };
    for (std::size_t i = 0; i < text.size();) {
        const char c = text[i];
        if (!in_record) current.line = line;
        if (c == '"' && !field_started) {
            in_record = field_started = true;
            i = read_quoted(text, i, line, value, source);
            continue;
        }
        if (c == ',') {
            in_record = true;
            end_field();
            ++i;
            continue;
        }
        if (is_break(i)) {
            i += c == '\r' && i + 1 < text.size() && text[i + 1] == '\n' ? 2 : 1;
            if (in_record) {
                end_field();
                records.push_back(std::move(current));
            }
            current = Record{};
            in_record = false;
            ++line;
            continue;
        }
        if (c == '"') fail(source, line, "a quote inside an unquoted field (quote the whole field and write the quote as \"\")");
        in_record = field_started = true;
        value += c;
        ++i;
    }
    if (in_record) {
        end_field();
        records.push_back(std::move(current));
    }
    return records;
}

std::string field(std::string_view value) {
    const bool quote = value.find_first_of(",\"\r\n") != std::string_view::npos ||
                       (!value.empty() && (value.front() == ' ' || value.back() == ' '));
    if (!quote) return std::string(value);
    std::string out = "\"";
    for (char c : value) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

std::string record(const std::vector<std::string>& fields) {
    std::string out;
    for (std::size_t i = 0; i < fields.size(); ++i) {
        if (i) out += ',';
        out += field(fields[i]);
    }
    return out + "\r\n";
}

}  // namespace avpost::csv
