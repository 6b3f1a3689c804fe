#include "avpost/pipeline/job_template.hpp"

#include <algorithm>

#include "avpost/core/error.hpp"

namespace avpost::pipeline {
using nlohmann::json;

namespace {

// One piece of a template string: literal text, or the column a placeholder names.
struct Piece {
    bool placeholder = false;
    std::string text;  // the literal text, or the column
};

std::string trimmed(const std::string& text) {
    const auto first = text.find_first_not_of(' ');
    if (first == std::string::npos) return {};
    return text.substr(first, text.find_last_not_of(' ') - first + 1);
}

// The pieces of `text`; throws Error(usage) "why" for a malformed placeholder.
std::vector<Piece> pieces_of(const std::string& text) {
    std::vector<Piece> pieces;
    std::string literal;
    for (std::size_t i = 0; i < text.size();) {
        if (text.compare(i, 4, "{{{{") == 0) {
            literal += "{{";
            i += 4;
            continue;
        }
        if (text.compare(i, 2, "{{") != 0) {
            literal += text[i++];
            continue;
        }
        const std::size_t close = text.find("}}", i + 2);
        if (close == std::string::npos) throw_usage("unclosed {{ (write {{{{ for a literal {{)");
        const std::string inner = text.substr(i + 2, close - i - 2);
        const std::string column = trimmed(inner);
        if (column.empty()) throw_usage("'{{" + inner + "}}' names no column (write {{{{ for a literal {{)");
        if (column.find_first_of("{}") != std::string::npos)
            throw_usage("'{{" + inner + "}}' is not a placeholder: a column name has no braces (write {{{{ for a literal {{)");
        if (!literal.empty()) pieces.push_back({false, std::move(literal)});
        literal.clear();
        pieces.push_back({true, column});
        i = close + 2;
    }
    if (!literal.empty()) pieces.push_back({false, std::move(literal)});
    return pieces;
}

// Every string of `value` with its JSON path ("composite.layers[2].text"), in document order.
template <class F>
void each_string(const json& value, const std::string& path, F&& visit) {
    if (value.is_string()) visit(value.get<std::string>(), path);
    if (value.is_object())
        for (const auto& [key, item] : value.items()) each_string(item, path.empty() ? key : path + "." + key, visit);
    if (value.is_array())
        for (std::size_t i = 0; i < value.size(); ++i) each_string(value[i], path + "[" + std::to_string(i) + "]", visit);
}

// The string a template string becomes. The environment expansion that follows reads "${" as a
// reference and "$${" as a literal "${": a "${" that a row's value makes (inside the value, or
// with the template text beside it) gets one more '$', so it stays literal.
std::string fill_text(const std::vector<Piece>& pieces, const std::function<std::string(const std::string&)>& value) {
    std::string text;
    std::vector<bool> from_row;  // per character of `text`
    for (const Piece& piece : pieces) {
        const std::string part = piece.placeholder ? value(piece.text) : piece.text;
        text += part;
        from_row.insert(from_row.end(), part.size(), piece.placeholder);
    }
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '$' && i + 1 < text.size() && text[i + 1] == '{' && (from_row[i] || from_row[i + 1])) out += '$';
        out += text[i];
    }
    return out;
}

json fill_value(const json& value, const std::function<std::string(const std::string&)>& row_value) {
    if (value.is_string()) {
        const std::string& text = value.get_ref<const std::string&>();
        if (text.find("{{") == std::string::npos) return value;
        return fill_text(pieces_of(text), row_value);
    }
    if (value.is_object()) {
        json out = json::object();
        for (const auto& [key, item] : value.items()) out[key] = fill_value(item, row_value);
        return out;
    }
    if (value.is_array()) {
        json out = json::array();
        for (const json& item : value) out.push_back(fill_value(item, row_value));
        return out;
    }
    return value;
}

}  // namespace

TemplatePlaceholders template_placeholders(const json& document) {
    TemplatePlaceholders found;
    each_string(document, "", [&](const std::string& text, const std::string& path) {
        if (text.find("{{") == std::string::npos) return;
        try {
            for (const Piece& piece : pieces_of(text))
                if (piece.placeholder && found.columns.insert(piece.text).second) found.first_use.emplace_back(piece.text, path);
        } catch (const Error& e) {
            found.problems.push_back({path.empty() ? "(document)" : path, e.what()});
        }
    });
    return found;
}

bool has_placeholder(const std::string& text) {
    try {
        const std::vector<Piece> pieces = pieces_of(text);
        return std::any_of(pieces.begin(), pieces.end(), [](const Piece& p) { return p.placeholder; });
    } catch (const Error&) {
        return true;  // a malformed one is still meant as one
    }
}

json fill_template(const json& document, const std::function<std::string(const std::string&)>& value) {
    return fill_value(document, value);
}

}  // namespace avpost::pipeline
