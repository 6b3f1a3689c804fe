#include "avpost/filters/captions.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>

#include "avpost/core/error.hpp"

namespace avpost::filters {

namespace {

enum class Format { srt, vtt, ass };

class Reader {
public:
    Reader(std::string_view text, const std::filesystem::path& file) : file_(file) {
        std::size_t start = 0;
        while (start <= text.size()) {
            std::size_t end = text.find('\n', start);
            if (end == std::string_view::npos) end = text.size();
            std::string_view line = text.substr(start, end - start);
            if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
            lines_.push_back(line);
            if (end == text.size()) break;
            start = end + 1;
        }
    }

    [[noreturn]] void fail(std::size_t index, const std::string& why) const {
        throw_usage("captions '" + file_.string() + "' line " + std::to_string(index + 1) + ": " + why);
    }
    [[noreturn]] void fail_file(const std::string& why) const { throw_usage("captions '" + file_.string() + "': " + why); }

    std::size_t size() const { return lines_.size(); }
    std::string_view operator[](std::size_t i) const { return lines_[i]; }

private:
    const std::filesystem::path& file_;
    std::vector<std::string_view> lines_;
};

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

bool blank(std::string_view s) { return trim(s).empty(); }

// The position of the first byte that is not well-formed UTF-8, if any.
std::optional<std::size_t> invalid_utf8_at(std::string_view text) {
    std::size_t i = 0;
    while (i < text.size()) {
        const auto c = static_cast<unsigned char>(text[i]);
        int extra = c < 0x80 ? 0 : (c >> 5) == 0x6 ? 1 : (c >> 4) == 0xE ? 2 : (c >> 3) == 0x1E ? 3 : -1;
        if (extra < 0 || c == 0xC0 || c == 0xC1 || c > 0xF4) return i;
        for (int k = 1; k <= extra; ++k)
            if (i + k >= text.size() || (static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) return i;
        // Overlong forms and surrogates.
        if (extra == 2) {
            const auto c1 = static_cast<unsigned char>(text[i + 1]);
            if ((c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 >= 0xA0)) return i;
        } else if (extra == 3) {
            const auto c1 = static_cast<unsigned char>(text[i + 1]);
            if ((c == 0xF0 && c1 < 0x90) || (c == 0xF4 && c1 >= 0x90)) return i;
        }
        i += std::size_t(extra) + 1;
    }
    return std::nullopt;
}

std::size_t code_points(std::string_view s) {
    return std::size_t(std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

// "HH:MM:SS,mmm", "MM:SS.mmm", "H:MM:SS.cc": seconds, or empty when it is not a timestamp.
std::optional<double> parse_timestamp(std::string_view s) {
    std::vector<long> fields;
    long fraction = 0;
    int fraction_digits = 0;
    std::size_t i = 0;
    for (;;) {
        long value = 0;
        const auto [end, error] = std::from_chars(s.data() + i, s.data() + s.size(), value);
        if (error != std::errc() || end == s.data() + i || value < 0) return std::nullopt;
        fields.push_back(value);
        i = std::size_t(end - s.data());
        if (i < s.size() && s[i] == ':') {
            ++i;
            continue;
        }
        if (i < s.size() && (s[i] == ',' || s[i] == '.')) {
            ++i;
            const std::size_t begin = i;
            while (i < s.size() && s[i] >= '0' && s[i] <= '9') fraction = fraction * 10 + (s[i++] - '0');
            fraction_digits = int(i - begin);
            if (fraction_digits == 0 || fraction_digits > 3) return std::nullopt;
        }
        break;
    }
    if (i != s.size() || fields.size() < 2 || fields.size() > 3 || fraction_digits == 0) return std::nullopt;
    const long seconds = fields.back(), minutes = fields[fields.size() - 2];
    const long hours = fields.size() == 3 ? fields[0] : 0;
    if (seconds > 59 || minutes > 59) return std::nullopt;
    double scale = 1.0;
    for (int d = 0; d < fraction_digits; ++d) scale *= 10.0;
    return double(hours * 3600 + minutes * 60 + seconds) + double(fraction) / scale;
}

std::string timestamp_text(double seconds) {
    const long ms = long(seconds * 1000.0 + 0.5);
    char text[32];
    std::snprintf(text, sizeof text, "%02ld:%02ld:%02ld.%03ld", ms / 3600000, ms / 60000 % 60, ms / 1000 % 60, ms % 1000);
    return text;
}

// "START --> END [settings]" of SRT and WebVTT.
std::pair<double, double> parse_timing(const Reader& in, std::size_t index, const char* expected) {
    const std::string_view line = in[index];
    const std::size_t arrow = line.find("-->");
    const std::string_view start_text = trim(line.substr(0, arrow));
    std::string_view rest = trim(line.substr(arrow + 3));
    const std::string_view end_text = rest.substr(0, std::min(rest.find(' '), rest.find('\t')));
    auto start = parse_timestamp(start_text);
    auto end = parse_timestamp(end_text);
    if (!start || !end)
        in.fail(index, "bad timing '" + std::string(trim(line)) + "' (expected " + expected + ")");
    return {*start, *end};
}

void append_decoded(std::string& out, std::string_view text, bool ass_overrides) {
    std::size_t i = 0;
    while (i < text.size()) {
        const char c = text[i];
        if (c == '<') {  // <i>, </b>, <font ...>, <c.yellow>, <v Speaker>, <00:00:01.000>
            const std::size_t close = text.find('>', i);
            if (close != std::string_view::npos) {
                i = close + 1;
                continue;
            }
        }
        if (c == '{' && (ass_overrides || (i + 1 < text.size() && text[i + 1] == '\\'))) {  // {\an8}, {\i1}
            const std::size_t close = text.find('}', i);
            if (close != std::string_view::npos) {
                i = close + 1;
                continue;
            }
        }
        if (c == '\\' && i + 1 < text.size() && (text[i + 1] == 'N' || text[i + 1] == 'n')) {
            out += '\n';
            i += 2;
            continue;
        }
        if (c == '\\' && i + 1 < text.size() && text[i + 1] == 'h') {
            out += ' ';
            i += 2;
            continue;
        }
        if (c == '&') {
            static constexpr std::pair<std::string_view, std::string_view> entities[] = {
                {"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&nbsp;", " "}, {"&lrm;", ""}, {"&rlm;", ""}, {"&quot;", "\""}};
            bool matched = false;
            for (const auto& [name, value] : entities)
                if (text.substr(i, name.size()) == name) {
                    out += value;
                    i += name.size();
                    matched = true;
                    break;
                }
            if (matched) continue;
        }
        out += c;
        ++i;
    }
}

void add_cue(std::vector<Cue>& cues, double start, double end, std::string text, std::size_t line) {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    if (trim(text).empty()) return;  // a cue with nothing to show shows nothing
    cues.push_back({start, end, std::move(text), int(line + 1)});
}

// The timing line at `i` and the text lines under it, up to a blank line, as one cue (SRT and
// WebVTT share this shape); `i` ends past the text.
void read_timed_text(const Reader& in, std::size_t& i, const char* example, std::vector<Cue>& cues) {
    const std::size_t timing_line = i;
    auto [start, end] = parse_timing(in, i, example);
    ++i;
    std::string text;
    while (i < in.size() && !blank(in[i])) {
        if (!text.empty()) text += '\n';
        append_decoded(text, trim(in[i]), false);
        ++i;
    }
    add_cue(cues, start, end, std::move(text), timing_line);
}

// SRT: blocks of an optional number, "00:00:01,000 --> 00:00:02,500" and text lines.
std::vector<Cue> parse_srt(const Reader& in) {
    std::vector<Cue> cues;
    std::size_t i = 0;
    while (i < in.size()) {
        if (blank(in[i])) {
            ++i;
            continue;
        }
        const std::size_t block = i;
        if (in[i].find("-->") == std::string_view::npos) {
            const std::string_view number = trim(in[i]);
            if (!std::all_of(number.begin(), number.end(), [](char c) { return c >= '0' && c <= '9'; }))
                in.fail(i, "expected a cue number or a timing line (00:00:01,000 --> 00:00:02,000), not '" +
                               std::string(number.substr(0, 40)) + "'");
            ++i;
            if (i >= in.size() || in[i].find("-->") == std::string_view::npos)
                in.fail(i < in.size() ? i : block, "cue " + std::string(number) + " has no timing line");
        }
        read_timed_text(in, i, "00:00:01,000 --> 00:00:02,000", cues);
    }
    return cues;
}

// WebVTT: "WEBVTT", then blocks; a cue is an optional identifier, a timing line with optional
// settings, and text. NOTE, STYLE and REGION blocks carry nothing shown.
std::vector<Cue> parse_vtt(const Reader& in) {
    std::vector<Cue> cues;
    std::size_t i = 0;
    while (i < in.size() && blank(in[i])) ++i;
    if (i >= in.size() || !in[i].starts_with("WEBVTT")) in.fail(i < in.size() ? i : 0, "a WebVTT file starts with 'WEBVTT'");
    ++i;
    while (i < in.size() && !blank(in[i])) ++i;  // the header's own lines
    while (i < in.size()) {
        if (blank(in[i])) {
            ++i;
            continue;
        }
        const std::string_view first = trim(in[i]);
        if (first.starts_with("NOTE") || first == "STYLE" || first == "REGION") {
            while (i < in.size() && !blank(in[i])) ++i;
            continue;
        }
        if (first.find("-->") == std::string_view::npos) {
            ++i;  // the cue's identifier
            if (i >= in.size() || in[i].find("-->") == std::string_view::npos)
                in.fail(i < in.size() ? i : i - 1, "expected a timing line (00:01.000 --> 00:02.000)");
        }
        read_timed_text(in, i, "00:01.000 --> 00:02.000", cues);
    }
    return cues;
}

// ASS/SSA: the [Events] section's Format line names the fields of each Dialogue line; Text is
// last and may hold commas. Override blocks ({\...}) and drawing are dropped: avpost styles the
// text itself, sized to the output.
std::vector<Cue> parse_ass(const Reader& in) {
    std::vector<Cue> cues;
    bool events = false;
    std::vector<std::string> format;
    for (std::size_t i = 0; i < in.size(); ++i) {
        const std::string_view line = trim(in[i]);
        if (line.starts_with("[")) {
            events = line == "[Events]";
            continue;
        }
        if (!events) continue;
        if (line.starts_with("Format:")) {
            format.clear();
            std::string_view rest = line.substr(7);
            while (!rest.empty()) {
                const std::size_t comma = rest.find(',');
                format.emplace_back(trim(rest.substr(0, comma)));
                if (comma == std::string_view::npos) break;
                rest.remove_prefix(comma + 1);
            }
            continue;
        }
        if (!line.starts_with("Dialogue:")) continue;
        if (format.empty()) in.fail(i, "a Dialogue line before the [Events] section's Format line");
        auto field_index = [&](std::string_view name) {
            auto it = std::find(format.begin(), format.end(), name);
            if (it == format.end()) in.fail(i, "the Format line has no " + std::string(name) + " field");
            return std::size_t(it - format.begin());
        };
        const std::size_t start_at = field_index("Start"), end_at = field_index("End"), text_at = field_index("Text");
        std::vector<std::string_view> fields;
        std::string_view rest = line.substr(9);
        while (fields.size() + 1 < format.size()) {
            const std::size_t comma = rest.find(',');
            if (comma == std::string_view::npos) in.fail(i, "a Dialogue line with fewer fields than its Format line");
            fields.push_back(trim(rest.substr(0, comma)));
            rest.remove_prefix(comma + 1);
        }
        fields.push_back(rest);
        auto start = parse_timestamp(fields[start_at]);
        auto end = parse_timestamp(fields[end_at]);
        if (!start || !end)
            in.fail(i, "bad timing '" + std::string(fields[start_at]) + "," + std::string(fields[end_at]) +
                           "' (expected H:MM:SS.cc)");
        std::string text;
        append_decoded(text, fields[text_at], true);
        add_cue(cues, *start, *end, std::move(text), i);
    }
    if (!events) in.fail_file("an ASS file without an [Events] section");
    // Events are listed in any order; shown in time order.
    std::stable_sort(cues.begin(), cues.end(), [](const Cue& a, const Cue& b) { return a.start < b.start; });
    return cues;
}

Format format_of(const std::filesystem::path& file, const Reader& in) {
    std::string extension = file.extension().string();
    std::transform(extension.begin(), extension.end(), extension.begin(), [](char c) { return char(std::tolower(c)); });
    if (extension == ".srt") return Format::srt;
    if (extension == ".vtt" || extension == ".webvtt") return Format::vtt;
    if (extension == ".ass" || extension == ".ssa") return Format::ass;
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (blank(in[i])) continue;
        if (in[i].starts_with("WEBVTT")) return Format::vtt;
        if (trim(in[i]) == "[Script Info]") return Format::ass;
        return Format::srt;
    }
    return Format::srt;
}

}  // namespace

Captions parse_captions(std::string_view text, const std::filesystem::path& file) {
    if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // a UTF-8 byte order mark
    if (auto bad = invalid_utf8_at(text)) {
        const std::size_t line = std::size_t(std::count(text.begin(), text.begin() + std::ptrdiff_t(*bad), '\n')) + 1;
        char byte[8];
        std::snprintf(byte, sizeof byte, "0x%02X", static_cast<unsigned char>(text[*bad]));
        throw_usage("captions '" + file.string() + "' line " + std::to_string(line) + ": not valid UTF-8 (byte " + byte +
                    "); save the file as UTF-8");
    }
    Reader in(text, file);
    Captions captions;
    captions.file = file;
    switch (format_of(file, in)) {
        case Format::srt: captions.cues = parse_srt(in); break;
        case Format::vtt: captions.cues = parse_vtt(in); break;
        case Format::ass: captions.cues = parse_ass(in); break;
    }
    if (captions.cues.empty()) in.fail_file("has no cues");
    // A millisecond of overlap is rounding between formats, not two cues at once.
    constexpr double rounding = 0.0015;
    for (std::size_t c = 0; c < captions.cues.size(); ++c) {
        const Cue& cue = captions.cues[c];
        if (cue.end <= cue.start)
            in.fail(std::size_t(cue.line - 1), "the cue ends (" + timestamp_text(cue.end) + ") " +
                                                   (cue.end == cue.start ? "when" : "before") + " it starts (" +
                                                   timestamp_text(cue.start) + ")");
        if (c > 0 && cue.start < captions.cues[c - 1].end - rounding) {
            const Cue& before = captions.cues[c - 1];
            in.fail(std::size_t(cue.line - 1), "the cue starts (" + timestamp_text(cue.start) + ") before the one at line " +
                                                   std::to_string(before.line) + " ends (" + timestamp_text(before.end) +
                                                   "): cues must not overlap");
        }
    }
    return captions;
}

Captions read_captions(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw_usage("captions '" + file.string() + "' cannot be read");
    std::stringstream text;
    text << in.rdbuf();
    return parse_captions(text.str(), file);
}

namespace {

std::vector<std::string> words_of(std::string_view text, std::size_t line_chars) {
    std::vector<std::string> words;
    std::size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && (text[i] == ' ' || text[i] == '\n' || text[i] == '\t')) ++i;
        std::size_t end = i;
        while (end < text.size() && text[end] != ' ' && text[end] != '\n' && text[end] != '\t') ++end;
        std::string_view word = text.substr(i, end - i);
        // A word longer than a line is broken at code point boundaries.
        while (code_points(word) > line_chars) {
            std::size_t cut = 0, count = 0;
            while (count < line_chars) {
                ++cut;
                while (cut < word.size() && (static_cast<unsigned char>(word[cut]) & 0xC0) == 0x80) ++cut;
                ++count;
            }
            words.emplace_back(word.substr(0, cut));
            word.remove_prefix(cut);
        }
        if (!word.empty()) words.emplace_back(word);
        i = end;
    }
    return words;
}

std::string join(const std::vector<std::string>& words, std::size_t from, std::size_t to) {
    std::string line;
    for (std::size_t w = from; w < to; ++w) line += (w > from ? " " : "") + words[w];
    return line;
}

// Greedy lines of `words`: [first word, end) per line.
std::vector<std::pair<std::size_t, std::size_t>> greedy_lines(const std::vector<std::string>& words, std::size_t line_chars) {
    std::vector<std::pair<std::size_t, std::size_t>> lines;
    std::size_t from = 0, length = 0;
    for (std::size_t w = 0; w < words.size(); ++w) {
        const std::size_t n = code_points(words[w]);
        if (w > from && length + 1 + n > line_chars) {
            lines.emplace_back(from, w);
            from = w;
            length = n;
        } else {
            length += (w > from ? 1 : 0) + n;
        }
    }
    if (from < words.size()) lines.emplace_back(from, words.size());
    return lines;
}

// Two lines of `words` as even as the limit allows (the shorter line on top is no rule here).
std::vector<std::string> balanced(const std::vector<std::string>& words, std::size_t from, std::size_t to,
                                  std::size_t line_chars) {
    const std::string whole = join(words, from, to);
    if (code_points(whole) <= line_chars || to - from < 2) return {whole};
    std::size_t best = from + 1, best_longest = SIZE_MAX;
    for (std::size_t split = from + 1; split < to; ++split) {
        const std::size_t longest = std::max(code_points(join(words, from, split)), code_points(join(words, split, to)));
        if (longest < best_longest) best_longest = longest, best = split;
    }
    return {join(words, from, best), join(words, best, to)};
}

}  // namespace

std::vector<std::string> wrap_caption_text(std::string_view text, std::size_t line_chars) {
    const std::vector<std::string> words = words_of(text, line_chars);
    std::vector<std::string> lines;
    for (const auto& [from, to] : greedy_lines(words, line_chars)) lines.push_back(join(words, from, to));
    return lines;
}

std::vector<Cue> lay_out_captions(const std::vector<Cue>& cues, std::size_t line_chars, std::size_t lines) {
    std::vector<Cue> out;
    for (const Cue& cue : cues) {
        const std::vector<std::string> words = words_of(cue.text, line_chars);
        const auto wrapped = greedy_lines(words, line_chars);
        // Groups of `lines` lines, each a cue of its own.
        std::vector<std::pair<std::size_t, std::size_t>> groups;
        for (std::size_t l = 0; l < wrapped.size(); l += lines)
            groups.emplace_back(wrapped[l].first, wrapped[std::min(l + lines, wrapped.size()) - 1].second);
        std::size_t total = 0;
        for (const auto& [from, to] : groups) total += code_points(join(words, from, to));
        double start = cue.start;
        std::size_t shown = 0;
        for (std::size_t g = 0; g < groups.size(); ++g) {
            const auto [from, to] = groups[g];
            shown += code_points(join(words, from, to));
            const double end = g + 1 == groups.size() ? cue.end : cue.start + (cue.end - cue.start) * double(shown) / double(total);
            std::vector<std::string> text_lines =
                lines == 2 ? balanced(words, from, to, line_chars) : std::vector<std::string>{};
            if (lines != 2)
                for (std::size_t l = 0; l < wrapped.size(); ++l)
                    if (wrapped[l].first >= from && wrapped[l].second <= to)
                        text_lines.push_back(join(words, wrapped[l].first, wrapped[l].second));
            std::string text;
            for (const std::string& l : text_lines) text += (text.empty() ? "" : "\n") + l;
            out.push_back({start, end, std::move(text), cue.line});
            start = end;
        }
    }
    return out;
}

}  // namespace avpost::filters
