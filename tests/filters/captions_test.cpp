// Caption files: the three formats read to the same cues, bad files named by their line, and
// the delivery layout (42 characters, 2 lines, long cues split in time).
#include "avpost/filters/captions.hpp"

#include <gtest/gtest.h>

#include "avpost/core/error.hpp"

using namespace avpost::filters;

namespace {

std::string error_of(std::string_view text, const char* name) {
    try {
        parse_captions(text, name);
    } catch (const avpost::Error& e) {
        EXPECT_EQ(e.domain(), avpost::ErrorDomain::usage) << e.what();
        return e.what();
    }
    return "no error";
}

}  // namespace

TEST(Captions, SrtWebVttAndAssReadToTheSameCues) {
    const char* srt = "\xEF\xBB\xBF" "1\r\n00:00:01,000 --> 00:00:02,500\r\n<i>Hello</i> there\r\nsecond line\r\n\r\n"
                      "2\r\n00:00:03,250 --> 00:00:04,000\r\n{\\an8}Caf\xC3\xA9 &amp; more\r\n";
    const char* vtt = "WEBVTT - a title\n\nNOTE a comment\nspanning lines\n\nintro\n00:01.000 --> 00:02.500 align:start\n"
                      "<v Ann>Hello</v> there\nsecond line\n\n00:00:03.250 --> 00:00:04.000\nCaf\xC3\xA9 &amp; more\n";
    const char* ass = "[Script Info]\nScriptType: v4.00+\n\n[Events]\n"
                      "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n"
                      "Dialogue: 0,0:00:03.25,0:00:04.00,Default,,0,0,0,,Caf\xC3\xA9 & more\n"
                      "Dialogue: 0,0:00:01.00,0:00:02.50,Default,,0,0,0,,{\\i1}Hello{\\i0} there\\Nsecond line\n";
    for (const auto& [text, name] : {std::pair{srt, "a.srt"}, {vtt, "a.vtt"}, {ass, "a.ass"}}) {
        SCOPED_TRACE(name);
        Captions c = parse_captions(text, name);
        ASSERT_EQ(c.cues.size(), 2u);
        EXPECT_DOUBLE_EQ(c.cues[0].start, 1.0);
        EXPECT_DOUBLE_EQ(c.cues[0].end, 2.5);
        EXPECT_EQ(c.cues[0].text, "Hello there\nsecond line");
        EXPECT_DOUBLE_EQ(c.cues[1].start, 3.25);
        EXPECT_DOUBLE_EQ(c.cues[1].end, 4.0);
        EXPECT_EQ(c.cues[1].text, "Caf\xC3\xA9 & more");
    }
    // Without a known extension the first line tells.
    EXPECT_EQ(parse_captions(vtt, "captions.txt").cues.size(), 2u);
}

TEST(Captions, BadFilesNameTheLine) {
    EXPECT_EQ(error_of("1\n00:00:03,000 --> 00:00:02,000\nbackwards\n", "b.srt"),
              "captions 'b.srt' line 2: the cue ends (00:00:02.000) before it starts (00:00:03.000)");
    EXPECT_EQ(error_of("1\n00:00:01,000 --> 00:00:03,000\none\n\n2\n00:00:02,000 --> 00:00:04,000\ntwo\n", "o.srt"),
              "captions 'o.srt' line 6: the cue starts (00:00:02.000) before the one at line 2 ends (00:00:03.000): "
              "cues must not overlap");
    EXPECT_EQ(error_of("1\n00:00:01,000 --> 00:00:02,000\nok\n\n2\n00:00:03 --> 00:00:04,000\nno millis\n", "t.srt"),
              "captions 't.srt' line 6: bad timing '00:00:03 --> 00:00:04,000' (expected 00:00:01,000 --> 00:00:02,000)");
    EXPECT_EQ(error_of("1\n00:00:01,000 --> 00:01:75,000\nsixty-fifteen\n", "s.srt").substr(0, 35),
              "captions 's.srt' line 2: bad timing");
    EXPECT_EQ(error_of("1\n00:00:01,000 --> 00:00:02,000\nok\n\nnot a number\n", "n.srt"),
              "captions 'n.srt' line 5: expected a cue number or a timing line (00:00:01,000 --> 00:00:02,000), not "
              "'not a number'");
    // Latin-1 saved as such: the line of the first bad byte.
    EXPECT_EQ(error_of("WEBVTT\n\n00:01.000 --> 00:02.000\nfine\n\n00:03.000 --> 00:04.000\nd\xE9j\xE0 vu\n", "l.vtt"),
              "captions 'l.vtt' line 7: not valid UTF-8 (byte 0xE9); save the file as UTF-8");
    EXPECT_EQ(error_of("1\n00:00:01,000 --> 00:00:02,000\n\xC3\n", "cut.srt"),
              "captions 'cut.srt' line 3: not valid UTF-8 (byte 0xC3); save the file as UTF-8");
    EXPECT_EQ(error_of("00:01.000 --> 00:02.000\nno header\n", "h.vtt"),
              "captions 'h.vtt' line 1: a WebVTT file starts with 'WEBVTT'");
    EXPECT_EQ(error_of("1\n00:00:01,000 --> 00:00:01,000\nnothing\n", "z.srt"),
              "captions 'z.srt' line 2: the cue ends (00:00:01.000) when it starts (00:00:01.000)");
    EXPECT_EQ(error_of("\n\n", "e.srt"), "captions 'e.srt': has no cues");
    // ASS events come in any order; overlaps are judged in time order.
    EXPECT_EQ(error_of("[Events]\nFormat: Layer, Start, End, Style, Text\nDialogue: 0,0:00:05.00,0:00:06.00,D,late\n"
                       "Dialogue: 0,0:00:01.00,0:00:05.50,D,early\n",
                       "x.ass"),
              "captions 'x.ass' line 3: the cue starts (00:00:05.000) before the one at line 4 ends (00:00:05.500): "
              "cues must not overlap");
}

TEST(Captions, TouchingCuesAreNotOverlaps) {
    Captions c = parse_captions("1\n00:00:01,000 --> 00:00:02,000\na\n\n2\n00:00:02,000 --> 00:00:03,000\nb\n", "t.srt");
    EXPECT_EQ(c.cues.size(), 2u);
}

TEST(Captions, LinesAreRewrappedToFortyTwoCharactersAndTwoLines) {
    // One line when it fits, whatever the file's own breaks.
    EXPECT_EQ(wrap_caption_text("short\nline"), std::vector<std::string>{"short line"});
    const std::vector<Cue> one = lay_out_captions({{1.0, 3.0, "The quick brown fox jumps over the lazy dog and keeps running", 1}});
    ASSERT_EQ(one.size(), 1u);
    EXPECT_EQ(one[0].text, "The quick brown fox jumps over\nthe lazy dog and keeps running");  // balanced

    // 170 characters: more than two lines of 42, so it is split in time by its text.
    std::string long_text;
    for (int i = 0; i < 17; ++i) {
        if (i > 0) long_text += ' ';
        long_text += "word" + std::to_string(i % 10) + "abcd";
    }
    const std::vector<Cue> split = lay_out_captions({{10.0, 20.0, long_text, 4}});
    ASSERT_GE(split.size(), 2u);
    EXPECT_DOUBLE_EQ(split.front().start, 10.0);
    EXPECT_DOUBLE_EQ(split.back().end, 20.0);
    std::string rejoined;
    for (std::size_t i = 0; i < split.size(); ++i) {
        if (i > 0) {
            EXPECT_DOUBLE_EQ(split[i].start, split[i - 1].end);
        }
        EXPECT_LT(split[i].start, split[i].end);
        EXPECT_EQ(split[i].line, 4);
        std::size_t lines = 1, from = 0;
        for (std::size_t nl; (nl = split[i].text.find('\n', from)) != std::string::npos; from = nl + 1) {
            EXPECT_LE(nl - from, caption_line_chars) << split[i].text;
            ++lines;
        }
        EXPECT_LE(split[i].text.size() - from, caption_line_chars) << split[i].text;
        EXPECT_LE(lines, caption_lines);
        std::string flat = split[i].text;
        std::replace(flat.begin(), flat.end(), '\n', ' ');
        if (!rejoined.empty()) rejoined += ' ';
        rejoined += flat;
    }
    EXPECT_EQ(rejoined, long_text);  // nothing lost or repeated

    // Characters, not bytes: 42 two-byte letters still fit one line; a 50-letter word is broken.
    std::string accents;
    for (int i = 0; i < 42; ++i) accents += "\xC3\xA9";
    EXPECT_EQ(wrap_caption_text(accents).size(), 1u);
    EXPECT_EQ(wrap_caption_text(std::string(50, 'x')), (std::vector<std::string>{std::string(42, 'x'), std::string(8, 'x')}));
}
