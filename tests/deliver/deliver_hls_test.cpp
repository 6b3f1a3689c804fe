// The HLS ladder: fMP4 (CMAF) segments with an init segment by default, MPEG-TS on request, HEVC
// rungs on request; read back with ffprobe through the playlists as a player would (every rung
// decodes, durations add up, a keyframe opens every segment). With web (or hevc) in the same run,
// the top rung is that encode's packets, and only the other rungs are encoded.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <set>
#include <sstream>
#include <tuple>

#include "deliver_test_support.hpp"

using namespace avpost::testing;
namespace fs = std::filesystem;

namespace {

std::string text_of(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

// A 1280x720, 3 s, 25 fps talking-head stand-in with a tone.
std::string make_source(const TempDir& dir, const std::string& size = "1280x720", const std::string& seconds = "3") {
    const std::string source = dir.file("talk-" + size + ".mp4");
    run_ffmpeg("-f lavfi -i testsrc2=s=" + size + ":r=25:d=" + seconds + " -f lavfi -i sine=f=440:d=" + seconds +
               " -c:v libx264 -preset ultrafast -pix_fmt yuv420p -c:a aac -shortest " + quote(source));
    return source;
}

struct VideoPacket {
    double seconds = 0;
    bool key = false;
    std::string size;
};

// The video packets of a file or playlist, in decoding order, as ffprobe reads them.
std::vector<VideoPacket> video_packets(const std::string& path) {
    CommandResult r = run_command(quote(FFPROBE_EXECUTABLE) + " -v error -select_streams v:0 -show_entries "
                                  "packet=pts_time,flags,size -of csv=p=0 " + quote(path));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::vector<VideoPacket> packets;
    std::istringstream in(r.out);
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty()) continue;  // MPEG-TS packets' side data leaves an empty line
        std::istringstream fields(line);
        std::string pts, size, flags;
        std::getline(fields, pts, ',');
        std::getline(fields, size, ',');
        std::getline(fields, flags, ',');
        packets.push_back({std::stod(pts), flags.find('K') != std::string::npos, size});
    }
    return packets;
}

// Each video packet's payload hash (the packets themselves, not the containers around them).
std::vector<std::string> video_packet_hashes(const std::string& path) {
    CommandResult r = run_command(quote(FFMPEG_EXECUTABLE) + " -v error -i " + quote(path) +
                                  " -map 0:v:0 -c copy -f framemd5 -");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::vector<std::string> hashes;
    std::istringstream in(r.out);
    std::string line;
    while (std::getline(in, line))
        if (!line.empty() && line[0] != '#') hashes.push_back(line.substr(line.rfind(',') + 1));
    return hashes;
}

int count_of(const std::string& text, const std::string& what) {
    int n = 0;
    for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
}

// Every rung of `master` read through its playlist: size, frames, duration, audio, and a keyframe
// at the first frame of every segment (and nowhere else: fixed GOPs of one segment).
void expect_ladder_plays(const fs::path& master, const std::vector<int>& heights, int frames, double seconds,
                         const std::string& codec) {
    auto variants = parse_master_playlist(master.string());
    ASSERT_EQ(variants.size(), heights.size());
    for (std::size_t i = 0; i < variants.size(); ++i) {
        const fs::path playlist = master.parent_path() / variants[i].uri;
        SCOPED_TRACE(playlist.string());
        EXPECT_EQ(variants[i].height, heights[i]);
        FfprobeFacts facts = ffprobe(playlist.string());
        EXPECT_EQ(facts.codec, codec);
        EXPECT_EQ(facts.height, heights[i]);
        EXPECT_EQ(facts.frames, frames);
        EXPECT_TRUE(facts.audio);
        HlsMedia media = parse_media_playlist(playlist.string());
        ASSERT_TRUE(media.ended);
        std::vector<double> starts;
        double total = 0;
        for (const auto& [segment, length] : media.segments) starts.push_back(total), total += length;
        EXPECT_NEAR(total, seconds, 0.05);
        auto packets = video_packets(playlist.string());
        ASSERT_EQ(int(packets.size()), frames);
        const double first = packets.front().seconds;
        std::vector<double> keys;
        for (const auto& p : packets)
            if (p.key) keys.push_back(p.seconds - first);
        ASSERT_EQ(keys.size(), starts.size()) << "one keyframe per segment";
        for (std::size_t k = 0; k < keys.size(); ++k) EXPECT_NEAR(keys[k], starts[k], 0.021) << "segment " << k;
    }
    // ffmpeg reads the master playlist itself: one video stream per rung, each decodes.
    CommandResult all = run_command(quote(FFPROBE_EXECUTABLE) + " -v error -show_entries stream=codec_type,height "
                                    "-of csv=p=0 " + quote(master.string()));
    ASSERT_EQ(all.exit_code, 0) << all.err;
    for (int h : heights) EXPECT_NE(all.out.find("video," + std::to_string(h)), std::string::npos) << all.out;
    CommandResult decode = run_command(quote(FFMPEG_EXECUTABLE) + " -v error -xerror -i " + quote(master.string()) +
                                       " -map 0 -f null -");
    EXPECT_EQ(decode.exit_code, 0) << decode.err;
}

}  // namespace

TEST(DeliverHls, WebAndHlsShareTheTopRungInFmp4Segments) {
    TempDir dir;
    const std::string source = make_source(dir);
    CommandResult r = run_avpost("-v --json transcode " + quote(source) + " -o " + quote(dir.file("out")) +
                                 " --deliver web,hls --name talk --hls-heights 480 360 --hls-segment-seconds 1");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const nlohmann::json report = nlohmann::json::parse(r.out);
    std::map<std::string, nlohmann::json> files;
    for (const auto& d : report.at("deliveries")) files[d.at("preset").get<std::string>()] = d;
    const fs::path master = files["hls"]["path"].get<std::string>();

    // Three rungs, three encoders: web's (the top rung too), 480p and 360p; no second 720p encode.
    EXPECT_EQ(count_of(r.err, "video encoder libx264 opened at 1280x720"), 1) << r.err;
    EXPECT_EQ(count_of(r.err, "video encoder libx264 opened"), 3) << r.err;

    const std::string master_text = text_of(master);
    EXPECT_NE(master_text.find("#EXT-X-VERSION:7\n"), std::string::npos) << master_text;
    for (const char* rung : {"720p", "480p", "360p"}) {
        const std::string playlist = text_of(master.parent_path() / (std::string(rung) + ".m3u8"));
        EXPECT_NE(playlist.find("#EXT-X-VERSION:7\n"), std::string::npos) << playlist;
        EXPECT_NE(playlist.find("#EXT-X-MAP:URI=\"" + std::string(rung) + "_init.mp4\""), std::string::npos) << playlist;
        EXPECT_EQ(count_of(playlist, ".m4s\n"), 3) << playlist;
        EXPECT_EQ(playlist.find(".ts\n"), std::string::npos) << playlist;
    }
    expect_ladder_plays(master, {720, 480, 360}, 75, 3.0, "h264");

    // The top rung's video packets are the web file's, one for one.
    auto web = video_packet_hashes(files["web"]["path"]);
    auto top = video_packet_hashes((master.parent_path() / "720p.m3u8").string());
    ASSERT_EQ(web.size(), 75u);
    EXPECT_TRUE(web == top) << "the 720p rung is not the web encode's packets";
    // The web file itself has its keyframes on the segment boundaries.
    std::vector<double> keys;
    for (const auto& p : video_packets(files["web"]["path"]))
        if (p.key) keys.push_back(p.seconds);
    EXPECT_EQ(keys.size(), 3u);
    // CODECS names what the shared encode chose (H.264 High at x264's automatic level).
    auto variants = parse_master_playlist(master.string());
    EXPECT_TRUE(std::regex_match(variants[0].codecs, std::regex("avc1\\.6400[0-9a-f]{2},mp4a\\.40\\.2")))
        << variants[0].codecs;
    // Every file the report lists is there: playlists, init segments, media segments.
    std::set<std::string> listed;
    for (const auto& f : files["hls"]["files"]) listed.insert(fs::path(f.get<std::string>()).filename().string());
    for (const auto& entry : fs::directory_iterator(master.parent_path()))
        EXPECT_TRUE(listed.count(entry.path().filename().string())) << entry.path();
    EXPECT_TRUE(listed.count("480p_init.mp4"));
}

TEST(DeliverHls, HlsAloneEncodesEveryRungAndRerunsBitExact) {
    TempDir dir;
    const std::string source = make_source(dir, "640x360", "2");
    const std::string args = " --deliver hls --name talk --hls-heights 240 --hls-segment-seconds 1";
    CommandResult r = run_avpost("-v --json transcode " + quote(source) + " -o " + quote(dir.file("a")) + args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(count_of(r.err, "video encoder libx264 opened"), 2) << r.err;
    expect_ladder_plays(dir.file("a") + "/talk-hls/master.m3u8", {360, 240}, 50, 2.0, "h264");
    ASSERT_EQ(run_avpost("transcode " + quote(source) + " -o " + quote(dir.file("b")) + args).exit_code, 0);
    int compared = 0;
    for (const auto& entry : fs::directory_iterator(dir.file("a") + "/talk-hls")) {
        const fs::path twin = fs::path(dir.file("b")) / "talk-hls" / entry.path().filename();
        EXPECT_TRUE(text_of(entry.path()) == text_of(twin)) << entry.path().filename() << " differs on a re-run";
        ++compared;
    }
    EXPECT_EQ(compared, 2 * (1 + 1 + 2) + 1);  // per rung: playlist, init, 2 segments; the master
}

TEST(DeliverHls, MpegTsSegmentsOnRequest) {
    TempDir dir;
    const std::string source = make_source(dir, "640x360", "2");
    auto files = transcode(quote(source) + " -o " + quote(dir.file("out")) +
                           " --deliver web,hls --name talk --hls-heights 240 --hls-segment-seconds 1 --hls-segments ts");
    const fs::path master = files["hls"]["path"].get<std::string>();
    EXPECT_NE(text_of(master).find("#EXT-X-VERSION:3\n"), std::string::npos);
    const std::string playlist = text_of(master.parent_path() / "360p.m3u8");
    EXPECT_EQ(playlist.find("#EXT-X-MAP"), std::string::npos) << playlist;
    EXPECT_EQ(count_of(playlist, ".ts\n"), 2) << playlist;
    expect_ladder_plays(master, {360, 240}, 50, 2.0, "h264");
    // Each TS segment plays on its own, starting on a keyframe.
    for (const auto& [segment, seconds] : parse_media_playlist((master.parent_path() / "360p.m3u8").string()).segments) {
        auto packets = video_packets((master.parent_path() / segment).string());
        ASSERT_FALSE(packets.empty());
        EXPECT_TRUE(packets.front().key) << segment;
    }
    // The top rung is still the web encode, remuxed: the same pictures.
    auto web = decode_video(files["web"]["path"]);
    auto top = decode_video((master.parent_path() / "360p.m3u8").string());
    ASSERT_EQ(web.size(), top.size());
    for (std::size_t i = 0; i < web.size(); ++i) EXPECT_TRUE(web[i].y == top[i].y) << "frame " << i;
}

TEST(DeliverHls, HevcRungsShareTheHevcEncode) {
    TempDir dir;
    const std::string source = make_source(dir, "640x360", "2");
    CommandResult r = run_avpost("-v --json transcode " + quote(source) + " -o " + quote(dir.file("out")) +
                                 " --deliver hevc,hls --name talk --hls-heights 240 --hls-segment-seconds 1 --hls-codec hevc");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(count_of(r.err, "video encoder libx265 opened"), 2) << r.err;
    EXPECT_EQ(count_of(r.err, "video encoder libx264 opened"), 0) << r.err;
    const nlohmann::json report = nlohmann::json::parse(r.out);
    std::map<std::string, nlohmann::json> files;
    for (const auto& d : report.at("deliveries")) files[d.at("preset").get<std::string>()] = d;
    const fs::path master = files["hls"]["path"].get<std::string>();
    expect_ladder_plays(master, {360, 240}, 50, 2.0, "hevc");
    for (const auto& v : parse_master_playlist(master.string())) {
        EXPECT_TRUE(std::regex_match(v.codecs, std::regex("hvc1\\.1\\.6\\.L[0-9]+\\.[0-9A-F]{2},mp4a\\.40\\.2"))) << v.codecs;
        EXPECT_EQ(ffprobe((master.parent_path() / v.uri).string()).tag, "hvc1");
    }
    EXPECT_TRUE(video_packet_hashes(files["hevc"]["path"]) == video_packet_hashes((master.parent_path() / "360p.m3u8").string()));
}

TEST(DeliverHls, HevcInMpegTsIsRefused) {
    TempDir dir;
    CommandResult r = run_avpost("transcode " + quote(media("avatar.mp4")) + " -o " + quote(dir.file("out")) +
                                 " --deliver hls --hls-codec hevc --hls-segments ts");
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("fmp4"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(dir.file("out") + "/avatar-hls"));
}

namespace {

struct VttCue {
    double start = 0, end = 0;
    std::string text;
    bool operator<(const VttCue& o) const { return std::tie(start, end, text) < std::tie(o.start, o.end, o.text); }
};

double vtt_seconds(const std::string& t) {  // HH:MM:SS.mmm
    return std::stoi(t.substr(0, 2)) * 3600.0 + std::stoi(t.substr(3, 2)) * 60.0 + std::stod(t.substr(6));
}

struct VttSegment {
    std::int64_t mpegts = -1;
    std::string local;
    std::vector<VttCue> cues;
};

// A WebVTT segment as players read it: the header (with X-TIMESTAMP-MAP), then cue blocks.
VttSegment parse_vtt(const fs::path& path) {
    std::istringstream in(text_of(path));
    std::string line;
    VttSegment segment;
    EXPECT_TRUE(std::getline(in, line) && line == "WEBVTT") << path;
    const std::regex map_line(R"(X-TIMESTAMP-MAP=MPEGTS=([0-9]+),LOCAL=([0-9:.]+))");
    const std::regex timing(R"(([0-9:.]{12}) --> ([0-9:.]{12}))");
    std::smatch m;
    while (std::getline(in, line) && !line.empty())
        if (std::regex_match(line, m, map_line)) segment.mpegts = std::stoll(m[1]), segment.local = m[2];
    while (std::getline(in, line)) {
        if (line.empty()) continue;
        if (!std::regex_match(line, m, timing)) {
            ADD_FAILURE() << path << ": not a cue timing: " << line;
            continue;
        }
        VttCue cue{vtt_seconds(m[1]), vtt_seconds(m[2]), {}};
        while (std::getline(in, line) && !line.empty()) cue.text += (cue.text.empty() ? "" : "\n") + line;
        // The character references a WebVTT cue escapes its text with.
        for (const auto& [reference, character] : {std::pair{"&lt;", "<"}, {"&gt;", ">"}, {"&amp;", "&"}})
            for (std::size_t at = cue.text.find(reference); at != std::string::npos; at = cue.text.find(reference, at + 1))
                cue.text.replace(at, std::strlen(reference), character);
        segment.cues.push_back(cue);
    }
    return segment;
}

// The first presented video frame of a playlist (or segment), in seconds as stored.
double first_video_pts(const std::string& path) {
    double first = 1e9;
    for (const auto& p : video_packets(path)) first = std::min(first, p.seconds);
    return first;
}

// The attribute NAME="value" or NAME=value of an #EXT-X-... line.
std::string attribute(const std::string& line, const std::string& name) {
    std::smatch m;
    if (!std::regex_search(line, m, std::regex("[:,]" + name + "=(\"([^\"]*)\"|[^,]*)"))) return "<none>";
    return m[2].matched ? m[2].str() : m[1].str();
}

void expect_subtitle_rendition(const std::string& segment_format) {
    TempDir dir;
    const std::string source = make_source(dir, "640x360", "3");
    // Cue 2 crosses the 1 s and 2 s boundaries; cue 3 ends on one; cue 4 starts after the video.
    std::ofstream(dir.file("talk.srt")) << "1\n00:00:00,200 --> 00:00:00,700\nHello & welcome\n\n"
                                           "2\n00:00:00,800 --> 00:00:02,400\nThis one spans segments\n\n"
                                           "3\n00:00:02,500 --> 00:00:03,000\nLast words -> here\n\n"
                                           "4\n00:00:03,500 --> 00:00:04,000\nAfter the end\n";
    const std::vector<VttCue> expected{{0.2, 0.7, "Hello & welcome"}, {0.8, 2.4, "This one spans segments"},
                                       {2.5, 3.0, "Last words -> here"}};
    CommandResult r = run_avpost("--json transcode " + quote(source) + " -o " + quote(dir.file("out")) +
                                 " --deliver web,hls --name talk --hls-heights 240 --hls-segment-seconds 1 --hls-segments " +
                                 segment_format + " --captions " + quote(dir.file("talk.srt")) + " --captions-language en");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const nlohmann::json report = nlohmann::json::parse(r.out);
    std::map<std::string, nlohmann::json> files;
    for (const auto& d : report.at("deliveries")) files[d.at("preset").get<std::string>()] = d;
    EXPECT_EQ(files["hls"]["caption_cues"], 3);
    const fs::path master = files["hls"]["path"].get<std::string>();
    const fs::path hls = master.parent_path();

    // The master: one SUBTITLES rendition, before the variants, each variant naming its group.
    std::istringstream lines(text_of(master));
    std::string line, media;
    std::vector<std::string> variants;
    while (std::getline(lines, line)) {
        if (line.rfind("#EXT-X-MEDIA:", 0) == 0) {
            EXPECT_TRUE(media.empty()) << "a second #EXT-X-MEDIA: " << line;
            EXPECT_TRUE(variants.empty()) << "#EXT-X-MEDIA after a variant";
            media = line;
        }
        if (line.rfind("#EXT-X-STREAM-INF:", 0) == 0) variants.push_back(line);
    }
    ASSERT_FALSE(media.empty()) << text_of(master);
    EXPECT_EQ(attribute(media, "TYPE"), "SUBTITLES");
    EXPECT_EQ(attribute(media, "LANGUAGE"), "en");
    EXPECT_EQ(attribute(media, "AUTOSELECT"), "YES");
    EXPECT_NE(attribute(media, "NAME"), "<none>");
    EXPECT_NE(attribute(media, "DEFAULT"), "<none>");
    const std::string group = attribute(media, "GROUP-ID");
    ASSERT_EQ(variants.size(), 2u);
    for (const auto& v : variants) EXPECT_EQ(attribute(v, "SUBTITLES"), group) << v;

    // Its playlist: the video's segments, one for one, with the same lengths.
    const fs::path subtitles = hls / attribute(media, "URI");
    const HlsMedia text_media = parse_media_playlist(subtitles.string());
    const HlsMedia video_media = parse_media_playlist((hls / "360p.m3u8").string());
    EXPECT_TRUE(text_media.ended);
    EXPECT_TRUE(text_media.vod);
    ASSERT_EQ(text_media.segments.size(), video_media.segments.size());
    ASSERT_EQ(text_media.segments.size(), 3u);
    for (std::size_t i = 0; i < text_media.segments.size(); ++i)
        EXPECT_NEAR(text_media.segments[i].second, video_media.segments[i].second, 1e-6) << "segment " << i;

    // The cues: every input cue (that starts before the end) once, with its times, in every
    // segment it overlaps and no other; the time map points at the first video frame.
    const double first_frame = first_video_pts((hls / "360p.m3u8").string());
    if (segment_format == "ts") {
        EXPECT_GT(first_frame, 0.0) << "MPEG-TS starts its clock past 0";
        EXPECT_NEAR(first_video_pts((hls / video_media.segments[0].first).string()), first_frame, 1e-6);
    }
    std::map<VttCue, int> seen;
    double segment_start = 0;
    for (const auto& [file, seconds] : text_media.segments) {
        SCOPED_TRACE(file);
        const VttSegment segment = parse_vtt(hls / file);
        EXPECT_EQ(segment.local, "00:00:00.000");
        EXPECT_NEAR(segment.mpegts / 90000.0, first_frame, 1.0 / 90000 + 1e-9);
        for (const auto& cue : segment.cues) {
            EXPECT_LT(cue.start, segment_start + seconds);
            EXPECT_GT(cue.end, segment_start);
            ++seen[cue];
        }
        segment_start += seconds;
    }
    ASSERT_EQ(seen.size(), expected.size());
    auto it = seen.begin();
    const std::vector<int> segments_each{1, 3, 1};
    for (std::size_t i = 0; i < expected.size(); ++i, ++it) {
        EXPECT_NEAR(it->first.start, expected[i].start, 0.0005);
        EXPECT_NEAR(it->first.end, expected[i].end, 0.0005);
        EXPECT_EQ(it->first.text, expected[i].text);
        EXPECT_EQ(it->second, segments_each[i]) << it->first.text;
    }
    // The escaped markup reads back as text in ffmpeg's WebVTT decoder too.
    CommandResult srt = run_command(quote(FFMPEG_EXECUTABLE) + " -v error -i " + quote((hls / text_media.segments[2].first).string()) +
                                    " -f srt -");
    EXPECT_NE(srt.out.find("Last words -> here"), std::string::npos) << srt.out << srt.err;
    EXPECT_NE(srt.out.find("This one spans segments"), std::string::npos) << srt.out << srt.err;

    // ffmpeg opens the master with the rendition and plays every stream of it. (FFmpeg 5.1's HLS
    // demuxer parses a SUBTITLES rendition but does not read it: it then says so, naming its URI.)
    CommandResult streams = run_command(quote(FFPROBE_EXECUTABLE) + " -v verbose -show_entries stream=codec_type,codec_name "
                                        "-of json " + quote(master.string()));
    ASSERT_EQ(streams.exit_code, 0) << streams.err;
    std::map<std::string, int> types;
    std::string subtitle_codec;
    const nlohmann::json probed = nlohmann::json::parse(streams.out);
    for (const auto& stream : probed.at("streams")) {
        ++types[stream.at("codec_type").get<std::string>()];
        if (stream.at("codec_type") == "subtitle") subtitle_codec = stream.at("codec_name");
    }
    EXPECT_EQ(types["video"], 2) << streams.out;
    EXPECT_EQ(types["audio"], 2) << streams.out;
    if (types["subtitle"] > 0)
        EXPECT_EQ(subtitle_codec, "webvtt");
    else
        EXPECT_NE(streams.err.find("subtitle(uri: " + subtitles.filename().string() + ")"), std::string::npos) << streams.err;
    CommandResult decode = run_command(quote(FFMPEG_EXECUTABLE) + " -v error -xerror -i " + quote(master.string()) +
                                       " -map 0:v -map 0:a -f null -");
    EXPECT_EQ(decode.exit_code, 0) << decode.err;
    // Every file the report lists is there, the WebVTT ones included, and nothing else.
    std::set<std::string> listed;
    for (const auto& f : files["hls"]["files"]) listed.insert(fs::path(f.get<std::string>()).filename().string());
    for (const auto& entry : fs::directory_iterator(hls)) EXPECT_TRUE(listed.count(entry.path().filename().string())) << entry.path();
    EXPECT_TRUE(listed.count(subtitles.filename().string()));
    EXPECT_TRUE(listed.count(text_media.segments[0].first));
}

}  // namespace

TEST(DeliverHls, CaptionsBecomeAWebVttRenditionInFmp4Ladders) { expect_subtitle_rendition("fmp4"); }

TEST(DeliverHls, CaptionsBecomeAWebVttRenditionInMpegTsLadders) { expect_subtitle_rendition("ts"); }

TEST(DeliverHls, NoCaptionsNoRenditionAndBurnedCaptionsNone) {
    TempDir dir;
    const std::string source = make_source(dir, "640x360", "2");
    std::ofstream(dir.file("talk.srt")) << "1\n00:00:00,200 --> 00:00:00,700\nHello\n";
    const std::string base = "transcode " + quote(source) + " --deliver hls --name talk --hls-heights 240 -o ";
    ASSERT_EQ(run_avpost(base + quote(dir.file("plain"))).exit_code, 0);
    ASSERT_EQ(run_avpost(base + quote(dir.file("burned")) + " --captions " + quote(dir.file("talk.srt")) + " --burn-captions")
                  .exit_code,
              0);
    for (const char* run : {"plain", "burned"}) {
        const std::string master = text_of(dir.file(run) + "/talk-hls/master.m3u8");
        EXPECT_EQ(master.find("#EXT-X-MEDIA"), std::string::npos) << run << ": " << master;
        EXPECT_EQ(master.find("SUBTITLES="), std::string::npos) << run << ": " << master;
        EXPECT_FALSE(fs::exists(dir.file(run) + "/talk-hls/captions.m3u8")) << run;
    }
    CommandResult bad = run_avpost(base + quote(dir.file("bad")) + " --captions " + quote(dir.file("talk.srt")) +
                                   " --captions-language english");
    EXPECT_EQ(bad.exit_code, 2);
    EXPECT_NE(bad.err.find("--captions-language: captions language 'english'"), std::string::npos) << bad.err;
    bad = run_avpost(base + quote(dir.file("bad")) + " --captions-language en");
    EXPECT_EQ(bad.exit_code, 2);
    EXPECT_NE(bad.err.find("--captions-language: needs captions"), std::string::npos) << bad.err;
}
