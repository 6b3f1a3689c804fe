#pragma once
// Caption files (SRT, WebVTT, ASS/SSA) read into timed cues of plain text, checked (timing,
// order, overlaps, UTF-8) with errors naming the line, and laid out for delivery: at most 42
// characters a line and two lines a cue, longer cues split in time by their text.
#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace avpost::filters {

struct Cue {
    double start = 0.0;  // seconds from the first frame
    double end = 0.0;
    std::string text;    // UTF-8, lines separated by '\n', markup removed
    int line = 0;        // where the cue starts in its file (1-based)
};

struct Captions {
    std::filesystem::path file;
    std::vector<Cue> cues;  // in time order, none overlapping
};

// Reads and checks a caption file, told apart by its extension (.srt, .vtt, .ass, .ssa) or, failing
// that, its first line. Throws Error(usage) with one line naming the file and line number:
// "captions 'talk.srt' line 7: the cue ends (00:00:01,000) before it starts (00:00:02,000)".
Captions read_captions(const std::filesystem::path& file);
// The same for text already read; `file` only names it in errors.
Captions parse_captions(std::string_view text, const std::filesystem::path& file);

inline constexpr std::size_t caption_line_chars = 42;
inline constexpr std::size_t caption_lines = 2;

// `text` re-wrapped at spaces into lines of at most `line_chars` characters (UTF-8 code points),
// balanced; a word longer than a line is broken. All lines, however many.
std::vector<std::string> wrap_caption_text(std::string_view text, std::size_t line_chars = caption_line_chars);

// The cues as delivered: re-wrapped, and a cue that needs more than `lines` lines split into
// consecutive cues sharing its time in proportion to their text.
std::vector<Cue> lay_out_captions(const std::vector<Cue>& cues, std::size_t line_chars = caption_line_chars,
                                  std::size_t lines = caption_lines);

}  // namespace avpost::filters
