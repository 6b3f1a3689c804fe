// Right-to-left text (issue 22's text test): a Hebrew phrase drawn by a text layer puts its words
// where HarfBuzz's own shaping of the same string with the same font puts them: the first word on
// the right, each word's ink at HarfBuzz's offset from the phrase's ink, within 2 px.
#include <gtest/gtest.h>

#include <hb.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "avpost/filters/text_picture.hpp"

using namespace avpost;
using namespace avpost::filters;

namespace {

const char* const dejavu = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

// The alpha plane of a rendered text picture, cropped to its ink; `left` is where the ink starts.
cv::Mat ink_of(const AVFrame* rgba, int& left) {
    cv::Mat alpha(rgba->height, rgba->width, CV_8U);
    for (int y = 0; y < rgba->height; ++y)
        for (int x = 0; x < rgba->width; ++x) alpha.at<std::uint8_t>(y, x) = rgba->data[0][y * rgba->linesize[0] + 4 * x + 3];
    const cv::Rect box = cv::boundingRect(alpha > 16);
    left = box.x;
    return alpha(box).clone();
}

struct HbInk {
    double left = 0, right = 0;  // in font units, visual
};

// HarfBuzz's shaping of `text`: the ink extents of the glyphs of each byte range in `words`, and of
// the whole string, in the font's units.
std::vector<HbInk> harfbuzz_ink(const std::string& text, const std::vector<std::pair<std::size_t, std::size_t>>& words,
                                HbInk& whole) {
    hb_blob_t* blob = hb_blob_create_from_file(dejavu);
    hb_face_t* face = hb_face_create(blob, 0);
    hb_font_t* font = hb_font_create(face);
    hb_buffer_t* buffer = hb_buffer_create();
    hb_buffer_add_utf8(buffer, text.c_str(), int(text.size()), 0, int(text.size()));
    hb_buffer_guess_segment_properties(buffer);
    EXPECT_EQ(hb_buffer_get_direction(buffer), HB_DIRECTION_RTL);
    hb_shape(font, buffer, nullptr, 0);
    unsigned count = 0;
    const hb_glyph_info_t* info = hb_buffer_get_glyph_infos(buffer, &count);
    const hb_glyph_position_t* pos = hb_buffer_get_glyph_positions(buffer, &count);
    std::vector<HbInk> ink(words.size(), HbInk{1e9, -1e9});
    whole = {1e9, -1e9};
    double pen = 0;
    for (unsigned i = 0; i < count; ++i) {  // visual order, left to right
        hb_glyph_extents_t e{};
        if (hb_font_get_glyph_extents(font, info[i].codepoint, &e) && e.width != 0) {
            const double left = pen + pos[i].x_offset + e.x_bearing, right = left + e.width;
            whole.left = std::min(whole.left, left);
            whole.right = std::max(whole.right, right);
            for (std::size_t w = 0; w < words.size(); ++w)
                if (info[i].cluster >= words[w].first && info[i].cluster < words[w].second) {
                    ink[w].left = std::min(ink[w].left, left);
                    ink[w].right = std::max(ink[w].right, right);
                }
        }
        pen += pos[i].x_advance;
    }
    hb_buffer_destroy(buffer);
    hb_font_destroy(font);
    hb_face_destroy(face);
    hb_blob_destroy(blob);
    return ink;
}

// Where `part` (a word drawn alone) sits in `whole`, by the best match of their alpha.
int found_at(const cv::Mat& whole, const cv::Mat& part) {
    cv::Mat score;
    cv::matchTemplate(whole, part, score, cv::TM_CCORR_NORMED);
    cv::Point best;
    cv::minMaxLoc(score, nullptr, nullptr, nullptr, &best);
    return best.x;
}

}  // namespace

TEST(TextRightToLeft, HebrewWordsSitWhereHarfBuzzShapesThem) {
    const std::string first = "שלום", second = "עולם";
    const std::string phrase = first + " " + second;
    TextStyle style;
    style.font = dejavu;
    style.size = 64;
    style.text = phrase;
    int phrase_left = 0, first_left = 0, second_left = 0;
    const cv::Mat whole = ink_of(render_text(style, {1280, 720}, "rtl").get(), phrase_left);
    style.text = first;
    const cv::Mat first_ink = ink_of(render_text(style, {1280, 720}, "rtl").get(), first_left);
    style.text = second;
    const cv::Mat second_ink = ink_of(render_text(style, {1280, 720}, "rtl").get(), second_left);

    HbInk hb_whole;
    const std::vector<HbInk> hb = harfbuzz_ink(phrase, {{0, first.size()}, {first.size() + 1, phrase.size()}}, hb_whole);
    ASSERT_GT(hb[0].left, hb[1].left) << "HarfBuzz puts the first word on the right";
    // libass sizes a font by its ascent + descent, not its em: the scale comes from the ink widths.
    const double scale = double(whole.cols) / (hb_whole.right - hb_whole.left);
    const int first_at = found_at(whole, first_ink), second_at = found_at(whole, second_ink);
    EXPECT_GT(first_at, second_at) << "the first word is drawn on the right";
    EXPECT_NEAR(first_at, (hb[0].left - hb_whole.left) * scale, 2.0);
    EXPECT_NEAR(second_at, (hb[1].left - hb_whole.left) * scale, 2.0);
    EXPECT_NEAR(first_ink.cols, (hb[0].right - hb[0].left) * scale, 2.0);
    EXPECT_NEAR(second_ink.cols, (hb[1].right - hb[1].left) * scale, 2.0);
}
