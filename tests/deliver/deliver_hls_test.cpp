// The HLS ladder: fMP4 (CMAF) segments with an init segment by default, MPEG-TS on request, HEVC
// rungs on request; read back with ffprobe through the playlists as a player would (every rung
// decodes, durations add up, a keyframe opens every segment). With web (or hevc) in the same run,
// the top rung is that encode's packets, and only the other rungs are encoded.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <set>
#include <sstream>

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
