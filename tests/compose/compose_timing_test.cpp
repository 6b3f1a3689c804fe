// Timing: pairing by timestamp, short masks, looping backgrounds, audio carried in sync.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "media_helpers.hpp"

using namespace avpost::testing;

namespace {

std::string compose_args(const std::string& video, const std::string& mask, const std::string& bg, const std::string& out) {
    return "compose --video " + quote(video) + " --mask " + quote(mask) + " --background " + quote(bg) + " -o " +
           quote(out);
}

nlohmann::json probe(const std::string& path) {
    CommandResult r = run_command(quote(FFPROBE_EXECUTABLE) + " -v error -show_streams -show_format -of json " + quote(path));
    return nlohmann::json::parse(r.out);
}

}  // namespace

TEST(ComposeTiming, MaskIsPairedByTimestampNotByOrder) {
    TempDir dir;
    // A white avatar at 25 fps over black; the mask runs at 50 fps and its frame n has luma 16+4n,
    // so avatar frame i must get mask frame 2i: output luma 16 + 8i.
    run_ffmpeg("-f lavfi -i color=white:s=64x64:r=25:d=1 -c:v libx264 -qp 0 -pix_fmt yuv420p " + quote(dir.file("a.mp4")));
    run_ffmpeg("-f lavfi -i \"color=black:s=64x64:r=50:d=1,format=yuv420p,geq=lum='16+4*N':cb=128:cr=128\" "
               "-c:v libx264 -qp 0 -pix_fmt yuv420p " + quote(dir.file("m.mp4")));
    CommandResult r = run_avpost(compose_args(dir.file("a.mp4"), dir.file("m.mp4"), "#000000", dir.file("o.mkv")) +
                                 " --vcodec ffv1");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto out = decode_video(dir.file("o.mkv"));
    ASSERT_EQ(out.size(), 25u);
    for (int i = 0; i < 25; ++i) EXPECT_NEAR(out[i].Y(32, 32), 16 + 8 * i, 1) << "frame " << i;
}

// The clock rule: a mask's clock starts at its own first frame, so a remux that moves its start
// (here by 10 s, past the avatar's end) changes nothing.
TEST(ComposeTiming, MaskRemuxedWithAStartOffsetIsPairedFromItsFirstFrame) {
    TempDir dir;
    run_ffmpeg("-i " + quote(media("avatar_mask.mp4")) + " -c copy -output_ts_offset 10 " + quote(dir.file("late.mp4")));
    for (const char* mask : {"late", "same"}) {
        const std::string file = std::string(mask) == "late" ? dir.file("late.mp4") : media("avatar_mask.mp4");
        CommandResult r = run_avpost(compose_args(media("avatar.mp4"), file, media("background.png"),
                                                  dir.file(std::string(mask) + ".mkv")) + " --vcodec ffv1");
        ASSERT_EQ(r.exit_code, 0) << r.err;
        EXPECT_EQ(r.err.find("warning"), std::string::npos) << r.err;
    }
    const auto late = decode_video(dir.file("late.mkv")), same = decode_video(dir.file("same.mkv"));
    ASSERT_EQ(late.size(), 50u);
    ASSERT_EQ(late.size(), same.size());
    for (std::size_t i = 0; i < late.size(); ++i) {
        EXPECT_EQ(late[i].y, same[i].y) << "frame " << i;
        EXPECT_EQ(late[i].u, same[i].u) << "frame " << i;
        EXPECT_EQ(late[i].v, same[i].v) << "frame " << i;
    }
}

TEST(ComposeTiming, ShortMaskHoldsItsLastFrameWithAWarning) {
    TempDir dir;
    run_ffmpeg("-i " + quote(media("avatar_mask.mp4")) + " -t 1 -c:v libx264 -qp 0 " + quote(dir.file("short.mp4")));
    // Half the avatar's length: another render's mask unless the user says the mismatch is meant.
    CommandResult r = run_avpost(compose_args(media("avatar.mp4"), dir.file("short.mp4"), "#000000", dir.file("o.mkv")) +
                                 " --vcodec ffv1 --json --allow-mask-mismatch");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("avpost: warning: mask ends at 1.00 s"), std::string::npos) << r.err;
    auto report = nlohmann::json::parse(r.out);
    EXPECT_EQ(report["frames"], 50);
    EXPECT_EQ(report["warnings"].size(), 1u);
    auto out = decode_video(dir.file("o.mkv"));
    ASSERT_EQ(out.size(), 50u);
    // Frames past the mask's end keep its last matte: identical edges to the mask frame at 0.96 s.
    auto mask = decode_video(dir.file("short.mp4"));
    const auto& last = mask.back();
    int mismatched = 0;
    for (int y = 0; y < last.height; y += 4)
        for (int x = 0; x < last.width; x += 4)
            if ((last.Y(x, y) <= 16) != (out[45].Y(x, y) == 16)) ++mismatched;
    EXPECT_LT(mismatched, 40);
}

TEST(ComposeTiming, BackgroundVideoLoopsHoldsOrStops) {
    TempDir dir;
    auto run = [&](const std::string& mode) {
        std::string out = dir.file(mode + ".mkv");
        CommandResult r = run_avpost(compose_args(media("avatar.mp4"), media("avatar_mask.mp4"), media("background.mp4"), out) +
                                     " --vcodec ffv1 --bg-end " + mode);
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return decode_video(out);
    };
    auto bg = decode_video(media("background.mp4"));
    ASSERT_EQ(bg.size(), 25u);
    auto loop = run("loop"), hold = run("hold"), stop = run("stop");
    ASSERT_EQ(loop.size(), 50u);
    ASSERT_EQ(hold.size(), 50u);
    EXPECT_EQ(stop.size(), 25u);
    // The top-left corner is always background (alpha 0).
    auto corner = [](const YuvFrame& f) { return int(f.Y(2, 2)); };
    EXPECT_NEAR(corner(loop[30]), corner(bg[5]), 2);
    EXPECT_NEAR(corner(hold[30]), corner(bg[24]), 2);
    EXPECT_NE(corner(bg[5]), corner(bg[24]));
}

TEST(ComposeTiming, StoppingWithTheBackgroundCutsTheAudioToo) {
    TempDir dir;
    std::string out = dir.file("stop.mp4");
    CommandResult r = run_avpost(compose_args(media("avatar.mp4"), media("avatar_mask.mp4"), media("background.mp4"), out) +
                                 " --bg-end stop");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // background.mp4 lasts 1 s; the avatar and its audio 2 s.
    double video = 0, audio = 0;
    const nlohmann::json probed = probe(out);
    for (const auto& s : probed["streams"]) {
        double d = std::stod(s.value("duration", std::string("0")));
        (s.at("codec_type").get<std::string>() == "audio" ? audio : video) = d;
    }
    EXPECT_NEAR(video, 1.0, 0.041);
    EXPECT_GT(audio, 0.9);
    EXPECT_LT(audio, 1.05) << "audio runs on after the picture stopped";
}

TEST(ComposeTiming, AudioIsCopiedInSyncIntoMp4) {
    TempDir dir;
    std::string out = dir.file("o.mp4");
    CommandResult r = run_avpost(compose_args(media("avatar.mp4"), media("avatar_mask.mp4"), media("background.png"), out));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto info = probe(out);
    auto in = probe(media("avatar.mp4"));
    ASSERT_EQ(info["streams"].size(), 2u);
    const auto& video = info["streams"][0]["codec_type"] == "video" ? info["streams"][0] : info["streams"][1];
    const auto& audio = info["streams"][0]["codec_type"] == "audio" ? info["streams"][0] : info["streams"][1];
    EXPECT_EQ(video["codec_name"], "h264");
    EXPECT_EQ(video["pix_fmt"], "yuv420p");
    EXPECT_EQ(audio["codec_name"], "aac");
    const double frame = 1.0 / 25;
    EXPECT_NEAR(std::stod(audio["start_time"].get<std::string>()), std::stod(video["start_time"].get<std::string>()), frame);
    EXPECT_NEAR(std::stod(audio["duration"].get<std::string>()), std::stod(video["duration"].get<std::string>()), frame);
    EXPECT_NEAR(std::stod(info["format"]["duration"].get<std::string>()),
                std::stod(in["format"]["duration"].get<std::string>()), frame);
    // +faststart: the index (moov) comes before the media data (mdat).
    std::ifstream file(out, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    ASSERT_NE(bytes.find("moov"), std::string::npos);
    EXPECT_LT(bytes.find("moov"), bytes.find("mdat"));
}

TEST(ComposeTiming, AudioIsReencodedWhenTheContainerCannotTakeIt) {
    TempDir dir;
    // PCM audio in MOV: MP4 does not take PCM, so it must become AAC, still in sync.
    run_ffmpeg("-i " + quote(media("avatar.mp4")) + " -c:v copy -c:a pcm_s16le " + quote(dir.file("pcm.mov")));
    std::string out = dir.file("o.mp4");
    CommandResult r = run_avpost(compose_args(dir.file("pcm.mov"), media("avatar_mask.mp4"), "#102030", out) + " --json");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto info = probe(out);
    ASSERT_EQ(info["streams"].size(), 2u);
    for (const auto& s : info["streams"])
        if (s["codec_type"] == "audio") {
            EXPECT_EQ(s["codec_name"], "aac");
            EXPECT_NEAR(std::stod(s["duration"].get<std::string>()), 2.0, 0.05);
            EXPECT_NEAR(std::stod(s["start_time"].get<std::string>()), 0.0, 1.0 / 25);
        }
}

TEST(ComposeTiming, NullOutputCompositesWithoutWriting) {
    CommandResult r = run_avpost(compose_args(media("avatar.mp4"), media("avatar_mask.mp4"), media("background.png"), "null"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "composited 50 frames (no output written)\n");
    EXPECT_FALSE(std::filesystem::exists("null"));
}
