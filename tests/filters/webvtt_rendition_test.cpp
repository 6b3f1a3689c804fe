// The HLS subtitle rendition's pieces: which segment shows which cue (a cue spanning a boundary
// in both), WebVTT timestamps and escaping, X-TIMESTAMP-MAP, the playlist beside the segments,
// and the language tag HLS takes.
#include "avpost/filters/webvtt_rendition.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include <unistd.h>

#include "avpost/core/error.hpp"
#include "avpost/filters/delivery.hpp"

using namespace avpost::filters;
namespace fs = std::filesystem;

namespace {

std::vector<Cue> sample_cues() {
    return {{0.2, 0.8, "first", 1}, {0.9, 2.3, "spans two boundaries", 5}, {3.5, 3.9, "a & b <c>", 9},
            {4.0, 5.0, "after the end", 13}};
}

std::string text_of(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

}  // namespace

TEST(WebvttRendition, ACueGoesIntoEverySegmentItOverlaps) {
    const auto segments = cues_by_segment(sample_cues(), {1.0, 1.0, 1.0, 1.0});
    ASSERT_EQ(segments.size(), 4u);
    EXPECT_EQ(segments[0], (std::vector<std::size_t>{0, 1}));
    EXPECT_EQ(segments[1], (std::vector<std::size_t>{1}));
    EXPECT_EQ(segments[2], (std::vector<std::size_t>{1}));
    EXPECT_EQ(segments[3], (std::vector<std::size_t>{2}));  // the cue at 4.0 starts when the video has ended
    // Ending exactly on a boundary is not overlapping the next segment; starting on one is.
    const auto edge = cues_by_segment({{0.5, 1.0, "ends on it", 1}, {1.0, 1.5, "starts on it", 2}}, {1.0, 1.0});
    EXPECT_EQ(edge[0], (std::vector<std::size_t>{0}));
    EXPECT_EQ(edge[1], (std::vector<std::size_t>{1}));
    // Uneven segments (the last one short).
    const auto uneven = cues_by_segment(sample_cues(), {2.0, 1.6});
    EXPECT_EQ(uneven[0], (std::vector<std::size_t>{0, 1}));
    EXPECT_EQ(uneven[1], (std::vector<std::size_t>{1, 2}));
}

TEST(WebvttRendition, SegmentsCarryTheTimestampMapAndEscapedCues) {
    EXPECT_EQ(webvtt_timestamp(0), "00:00:00.000");
    EXPECT_EQ(webvtt_timestamp(3723.4567), "01:02:03.457");
    const std::string segment = webvtt_segment(sample_cues(), {1, 2}, 126000);
    EXPECT_EQ(segment,
              "WEBVTT\nX-TIMESTAMP-MAP=MPEGTS=126000,LOCAL=00:00:00.000\n\n"
              "00:00:00.900 --> 00:00:02.300\nspans two boundaries\n\n"
              "00:00:03.500 --> 00:00:03.900\na &amp; b &lt;c&gt;\n");
    // Two lines stay two lines; an empty one would end the cue and is dropped.
    EXPECT_EQ(webvtt_segment({{1, 2, "one\n\ntwo\n", 1}}, {0}, 0),
              "WEBVTT\nX-TIMESTAMP-MAP=MPEGTS=0,LOCAL=00:00:00.000\n\n00:00:01.000 --> 00:00:02.000\none\ntwo\n");
    // An empty segment is still a WebVTT file with its map.
    EXPECT_EQ(webvtt_segment(sample_cues(), {}, 90000), "WEBVTT\nX-TIMESTAMP-MAP=MPEGTS=90000,LOCAL=00:00:00.000\n");
}

TEST(WebvttRendition, WritesAPlaylistAlignedWithTheVideoSegments) {
    const fs::path dir = fs::temp_directory_path() / ("webvtt-rendition-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    const WebvttRendition r = write_webvtt_rendition(dir, "captions", sample_cues(), {2.0, 1.6}, 1.4, "pt-BR");
    EXPECT_EQ(r.playlist, "captions.m3u8");
    EXPECT_EQ(r.files, (std::vector<std::string>{"captions_000.vtt", "captions_001.vtt", "captions.m3u8"}));
    EXPECT_EQ(r.cues, 3);  // the cue after the end is in no segment
    EXPECT_EQ(text_of(dir / "captions.m3u8"),
              "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-PLAYLIST-TYPE:VOD\n"
              "#EXTINF:2.000000,\ncaptions_000.vtt\n#EXTINF:1.600000,\ncaptions_001.vtt\n#EXT-X-ENDLIST\n");
    EXPECT_EQ(text_of(dir / "captions_001.vtt"),
              "WEBVTT\nX-TIMESTAMP-MAP=MPEGTS=126000,LOCAL=00:00:00.000\n\n00:00:00.900 --> 00:00:02.300\n"
              "spans two boundaries\n\n00:00:03.500 --> 00:00:03.900\na &amp; b &lt;c&gt;\n");
    EXPECT_EQ(r.media_tag, "#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID=\"subs\",LANGUAGE=\"pt-BR\",NAME=\"Captions (pt-BR)\","
                           "DEFAULT=NO,AUTOSELECT=YES,URI=\"captions.m3u8\"");
    EXPECT_NE(write_webvtt_rendition(dir, "und", {}, {1.0}, 0, "und").media_tag.find("NAME=\"Captions\""),
              std::string::npos);
    fs::remove_all(dir);
}

TEST(WebvttRendition, LanguageTagsAreChecked) {
    for (const char* good : {"en", "und", "deu", "pt-BR", "zh-Hant-TW", "es-419"}) EXPECT_NO_THROW(check_language_tag(good)) << good;
    for (const char* bad : {"", "e", "english", "en_US", "en-", "-en", "1en", "en\"", "en-toolongsubtag"}) {
        try {
            check_language_tag(bad);
            ADD_FAILURE() << "accepted '" << bad << "'";
        } catch (const avpost::Error& e) {
            EXPECT_EQ(e.domain(), avpost::ErrorDomain::usage);
            EXPECT_NE(std::string(e.what()).find("BCP 47"), std::string::npos) << e.what();
        }
    }
}

TEST(WebvttRendition, TheJobsDeliverTakesTheLanguage) {
    DeliveryOptions options = nlohmann::json{{"presets", {"hls"}}, {"captions", "talk.srt"}, {"captions_language", "pt-BR"}}
                                  .get<DeliveryOptions>();
    EXPECT_EQ(options.captions_language, "pt-BR");
    EXPECT_EQ(nlohmann::json(options)["captions_language"], "pt-BR");
    const nlohmann::json defaults = {{"presets", {"hls"}}};
    EXPECT_EQ(defaults.get<DeliveryOptions>().captions_language, "und");
    try {
        (void)nlohmann::json{{"presets", {"hls"}}, {"captions_language", "english"}}.get<DeliveryOptions>();
        ADD_FAILURE() << "accepted 'english'";
    } catch (const avpost::Error& e) {
        EXPECT_EQ(std::string(e.what()).rfind("captions_language: captions language 'english'", 0), 0u) << e.what();
    }
}
