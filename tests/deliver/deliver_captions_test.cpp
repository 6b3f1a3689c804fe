// --captions: the soft track read back with ffprobe (cue count and times, codec per container),
// burned text found in the pixels at cue times only and inside the safe area, and a bad file
// refused with the line named.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "deliver_test_support.hpp"

using namespace avpost::testing;

namespace {

void write_file(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
}

struct Packet {
    double start = 0, duration = 0;
    int size = 0;
};

std::vector<Packet> packets(const std::string& path, const char* stream) {
    CommandResult r = run_command(quote(FFPROBE_EXECUTABLE) + " -v error -select_streams " + stream +
                                  " -show_entries packet=pts_time,duration_time,size -of json " + quote(path));
    if (r.exit_code != 0) throw std::runtime_error("ffprobe failed on " + path + ": " + r.err);
    std::vector<Packet> out;
    const nlohmann::json probed = nlohmann::json::parse(r.out);
    for (const auto& p : probed["packets"]) {
        Packet packet;
        packet.start = std::stod(p.value("pts_time", "0"));
        const std::string duration = p.value("duration_time", "0");
        packet.duration = duration == "N/A" ? 0 : std::stod(duration);
        packet.size = std::stoi(p.value("size", "0"));
        out.push_back(packet);
    }
    return out;
}

std::string subtitle_codec(const std::string& path) {
    CommandResult r = run_command(quote(FFPROBE_EXECUTABLE) + " -v error -select_streams s -show_entries stream=codec_name "
                                  "-of csv=p=0 " + quote(path));
    std::string codec = r.out;
    while (!codec.empty() && (codec.back() == '\n' || codec.back() == '\r')) codec.pop_back();
    return codec;
}

// Rows of `frame` where luma differs from `reference` by more than 40 (text, not coding noise).
struct Changed {
    int pixels = 0, top = -1, bottom = -1, left = -1, right = -1;
};
Changed changed(const YuvFrame& frame, const YuvFrame& reference) {
    Changed c;
    for (int y = 0; y < frame.height; ++y)
        for (int x = 0; x < frame.width; ++x)
            if (std::abs(int(frame.Y(x, y)) - int(reference.Y(x, y))) > 40) {
                ++c.pixels;
                if (c.top < 0) c.top = y;
                c.bottom = y;
                c.left = c.left < 0 ? x : std::min(c.left, x);
                c.right = std::max(c.right, x);
            }
    return c;
}

const std::string two_cues = "1\n00:00:00,500 --> 00:00:01,500\nFirst caption line\n\n"
                             "2\n00:00:02,500 --> 00:00:03,500\nA second caption that is long enough to need two lines\n";

}  // namespace

TEST(DeliverCaptions, SoftTracksCarryEveryCueWithItsTimes) {
    TempDir dir;
    write_file(dir.file("talk.srt"), "1\n00:00:00,300 --> 00:00:00,900\nHello\n\n2\n00:00:01,100 --> 00:00:01,700\n"
                                     "and a second cue\n");
    CommandResult r = run_avpost("--json transcode " + quote(media("avatar.mp4")) + " --mask " +
                                 quote(media("avatar_mask.mp4")) + " -o " + quote(dir.file("o")) +
                                 " --deliver web,webm-alpha,prores-alpha --captions " + quote(dir.file("talk.srt")));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto report = nlohmann::json::parse(r.out);
    EXPECT_EQ(report["captions"]["cues"], 2);
    EXPECT_FALSE(report["captions"]["burned"].get<bool>());
    const std::map<std::string, std::string> codecs{{"web", "mov_text"}, {"webm-alpha", "webvtt"}, {"prores-alpha", "mov_text"}};
    for (const auto& file : report["deliveries"]) {
        const std::string path = file["path"];
        SCOPED_TRACE(path);
        EXPECT_EQ(file["caption_cues"], 2);
        EXPECT_EQ(subtitle_codec(path), codecs.at(file["preset"]));
        // Times on the video's clock: the muxer may shift the whole file (WebM keeps Opus's
        // pre-roll non-negative), so they are taken from the first frame.
        const std::vector<Packet> video = packets(path, "v");
        ASSERT_FALSE(video.empty());
        const double video_start = video.front().start;
        std::vector<Packet> cues;
        // mov_text fills the gaps between cues with empty samples (2 bytes): not cues.
        for (const Packet& p : packets(path, "s"))
            if (p.size > 2) cues.push_back(p);
        ASSERT_EQ(cues.size(), 2u);
        EXPECT_NEAR(cues[0].start - video_start, 0.3, 0.002);
        EXPECT_NEAR(cues[0].duration, 0.6, 0.002);
        EXPECT_NEAR(cues[1].start - video_start, 1.1, 0.002);
        EXPECT_NEAR(cues[1].duration, 0.6, 0.002);
    }
    // And the text itself, as ffmpeg reads it back.
    CommandResult text = run_command(quote(FFMPEG_EXECUTABLE) + " -v error -i " + quote(dir.file("o/avatar-web.mp4")) +
                                     " -map 0:s -f srt -");
    EXPECT_NE(text.out.find("and a second cue"), std::string::npos) << text.out;
}

// AV1 is checked like the others: its MP4 carries mov_text, its WebM WebVTT, every cue on time.
TEST(DeliverCaptions, Av1FilesCarryTheSoftTrackToo) {
    TempDir dir;
    write_file(dir.file("talk.srt"), "1\n00:00:00,300 --> 00:00:00,900\nHello\n\n2\n00:00:01,100 --> 00:00:01,700\n"
                                     "and a second cue\n");
    CommandResult r = run_avpost("--json transcode " + quote(media("avatar.mp4")) + " -o " + quote(dir.file("o")) +
                                 " --deliver av1,av1-webm --captions " + quote(dir.file("talk.srt")));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::map<std::string, std::string> codecs{{"av1", "mov_text"}, {"av1-webm", "webvtt"}};
    const nlohmann::json report = nlohmann::json::parse(r.out);
    for (const auto& file : report["deliveries"]) {
        const std::string path = file["path"];
        SCOPED_TRACE(path);
        EXPECT_EQ(file["caption_cues"], 2);
        EXPECT_EQ(subtitle_codec(path), codecs.at(file["preset"]));
        const double video_start = packets(path, "v").at(0).start;
        std::vector<Packet> cues;
        for (const Packet& p : packets(path, "s"))
            if (p.size > 2) cues.push_back(p);
        ASSERT_EQ(cues.size(), 2u);
        EXPECT_NEAR(cues[0].start - video_start, 0.3, 0.002);
        EXPECT_NEAR(cues[1].start - video_start, 1.1, 0.002);
        EXPECT_NEAR(cues[1].duration, 0.6, 0.002);
    }
}

TEST(DeliverCaptions, BurnedTextShowsAtCueTimesOnlySizedToTheOutput) {
    TempDir dir;
    run_ffmpeg("-f lavfi -i color=c=0x336699:s=640x360:r=25:d=4 -c:v libx264 -preset ultrafast -pix_fmt yuv420p " +
               quote(dir.file("flat.mp4")));
    write_file(dir.file("two.srt"), two_cues);
    const std::string common = "transcode " + quote(dir.file("flat.mp4")) + " --deliver web --name flat -o ";
    ASSERT_EQ(run_avpost(common + quote(dir.file("plain"))).exit_code, 0);
    CommandResult r = run_avpost(common + quote(dir.file("burned")) + " --captions " + quote(dir.file("two.srt")) +
                                 " --burn-captions");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(subtitle_codec(dir.file("burned/flat-web.mp4")), "") << "burned text is not repeated in a soft track";
    const auto plain = decode_video(dir.file("plain/flat-web.mp4"));
    const auto burned = decode_video(dir.file("burned/flat-web.mp4"));
    ASSERT_EQ(plain.size(), 100u);
    ASSERT_EQ(burned.size(), 100u);
    const int h = 360;
    for (int frame : {5, 45, 95}) EXPECT_EQ(changed(burned[frame], plain[frame]).pixels, 0) << "frame " << frame << " is between cues";
    const Changed one_line = changed(burned[25], plain[25]);
    const Changed two_lines = changed(burned[75], plain[75]);
    EXPECT_GT(one_line.pixels, 300);
    EXPECT_GT(two_lines.pixels, one_line.pixels);
    // Bottom centre, above the bottom margin, inside the sides' 5%.
    EXPECT_LT(one_line.bottom, h - int(0.05 * h));
    EXPECT_GT(one_line.top, h / 2);
    EXPECT_NEAR((one_line.left + one_line.right) / 2.0, 320, 12);
    EXPECT_GT(two_lines.left, int(0.05 * 640) - 4);
    EXPECT_LT(two_lines.right, 640 - int(0.05 * 640) + 4);
    // Sized to the picture: a line about 1/18 of its height (20 px here), two lines twice that.
    const int line_height = one_line.bottom - one_line.top + 1;
    EXPECT_GE(line_height, 14);
    EXPECT_LE(line_height, 34);
    EXPECT_GT(two_lines.bottom - two_lines.top + 1, 1.6 * line_height);
    // Clean edges: the blend is smooth, not a hard key (some pixels between text and backdrop).
    int partial = 0;
    for (int y = one_line.top; y <= one_line.bottom; ++y)
        for (int x = one_line.left; x <= one_line.right; ++x) {
            const int d = std::abs(int(burned[25].Y(x, y)) - int(plain[25].Y(x, y)));
            if (d > 8 && d < 60) ++partial;
        }
    EXPECT_GT(partial, 20);
}

TEST(DeliverCaptions, PortraitCaptionsKeepClearOfThePlatformBands) {
    TempDir dir;
    run_ffmpeg("-f lavfi -i color=c=0x808080:s=360x640:r=25:d=2 -c:v libx264 -preset ultrafast -pix_fmt yuv420p " +
               quote(dir.file("tall.mp4")));
    write_file(dir.file("one.srt"), "1\n00:00:00,200 --> 00:00:01,800\nA caption on a phone, two lines of it when wrapped\n");
    const std::string common = "transcode " + quote(dir.file("tall.mp4")) + " --deliver web --name tall -o ";
    ASSERT_EQ(run_avpost(common + quote(dir.file("plain"))).exit_code, 0);
    ASSERT_EQ(run_avpost(common + quote(dir.file("burned")) + " --captions " + quote(dir.file("one.srt")) + " --burn-captions")
                  .exit_code,
              0);
    const auto plain = decode_video(dir.file("plain/tall-web.mp4"));
    const auto burned = decode_video(dir.file("burned/tall-web.mp4"));
    ASSERT_EQ(burned.size(), plain.size());
    const Changed text = changed(burned[25], plain[25]);
    EXPECT_GT(text.pixels, 200);
    EXPECT_GT(text.top, int(0.15 * 640));
    EXPECT_LT(text.bottom, int(0.85 * 640));
    EXPECT_GE(text.left, 0);
    EXPECT_LT(text.right, 360);
}

TEST(DeliverCaptions, BadCaptionFilesNameTheLineAndLeaveNothing) {
    TempDir dir;
    write_file(dir.file("bad.srt"), "1\n00:00:01,000 --> 00:00:02,000\nfine\n\n2\n00:00:04,000 --> 00:00:03,000\nbackwards\n");
    CommandResult r = run_avpost("transcode " + quote(media("avatar.mp4")) + " -o " + quote(dir.file("o")) +
                                 " --deliver web --captions " + quote(dir.file("bad.srt")));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("bad.srt' line 6: the cue ends (00:00:03.000) before it starts (00:00:04.000)"), std::string::npos)
        << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_FALSE(std::filesystem::exists(dir.file("o")));

    write_file(dir.file("latin1.vtt"), "WEBVTT\n\n00:01.000 --> 00:02.000\ncaf\xE9\n");
    r = run_avpost("transcode " + quote(media("avatar.mp4")) + " -o " + quote(dir.file("o")) + " --deliver web --captions " +
                   quote(dir.file("latin1.vtt")));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("latin1.vtt' line 4: not valid UTF-8"), std::string::npos) << r.err;

    r = run_avpost("transcode " + quote(media("avatar.mp4")) + " -o " + quote(dir.file("o")) + " --deliver web --burn-captions");
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("--burn-captions: needs captions"), std::string::npos) << r.err;
}

// Issue 22: Japanese in an SRT burned as empty boxes with no warning (only DejaVu was there).
// Now fontconfig falls back to Noto CJK (setup installs it), and a character no installed font
// has is refused by name before anything is written.
TEST(DeliverCaptions, BurnedCjkIsDrawnAndACharacterNoFontHasIsNamed) {
    TempDir dir;
    run_ffmpeg("-f lavfi -i color=c=0x336699:s=640x360:r=25:d=2 -c:v libx264 -preset ultrafast -pix_fmt yuv420p " +
               quote(dir.file("flat.mp4")));
    write_file(dir.file("ja.srt"), "1\n00:00:00,500 --> 00:00:01,500\n日本語の字幕です\n");
    const std::string common = "transcode " + quote(dir.file("flat.mp4")) + " --deliver web --name flat -o ";
    ASSERT_EQ(run_avpost(common + quote(dir.file("plain"))).exit_code, 0);
    CommandResult r = run_avpost(common + quote(dir.file("burned")) + " --captions " + quote(dir.file("ja.srt")) +
                                 " --burn-captions");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto plain = decode_video(dir.file("plain/flat-web.mp4"));
    const auto burned = decode_video(dir.file("burned/flat-web.mp4"));
    ASSERT_EQ(burned.size(), plain.size());
    // Eight CJK characters at 20 px (1/18 of 360): about 110 px of ink, outlined.
    const Changed text = changed(burned[25], plain[25]);
    EXPECT_GT(text.right - text.left, 90) << text.pixels;
    EXPECT_GT(text.pixels, 600);

    write_file(dir.file("bad.srt"), "1\n00:00:00,500 --> 00:00:01,500\nok \xCD\xB8 here\n");
    CommandResult bad = run_avpost(common + quote(dir.file("bad")) + " --captions " + quote(dir.file("bad.srt")) +
                                   " --burn-captions");
    EXPECT_EQ(bad.exit_code, 2) << bad.err;
    EXPECT_NE(bad.err.find("captions: cue 1 at 0:00:00.50: no installed font has '\xCD\xB8'"), std::string::npos) << bad.err;
    EXPECT_FALSE(std::filesystem::exists(dir.file("bad/flat-web.mp4")));
}
