// Bad input: one clear line on stderr, a non-zero exit, and nothing under the output name.
#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <fstream>
#include <thread>
#include <nlohmann/json.hpp>

#include "background_command.hpp"
#include "media_helpers.hpp"

using namespace avpost::testing;

namespace {

struct Failure {
    int exit_code;
    std::string message;
};

// Runs compose into a fresh directory and checks the shared promises of every failure.
Failure compose_fails(const std::string& video, const std::string& mask, const std::string& background,
                      const std::string& extra = "") {
    TempDir out_dir;
    std::string out = out_dir.file("out.mp4");
    CommandResult r = run_avpost("compose --video " + quote(video) + " --mask " + quote(mask) + " --background " +
                                 quote(background) + " -o " + quote(out) + " " + extra);
    EXPECT_NE(r.exit_code, 0);
    EXPECT_FALSE(std::filesystem::exists(out)) << "output left behind";
    EXPECT_TRUE(out_dir.entries().empty()) << "temporary file left behind: " << out_dir.entries().front();
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_EQ(r.err.rfind("avpost: error: ", 0), 0u) << r.err;
    return {r.exit_code, r.err};
}

}  // namespace

TEST(ComposeErrors, MissingFile) {
    Failure f = compose_fails("/nonexistent/avatar.mp4", media("avatar_mask.mp4"), media("background.png"));
    EXPECT_EQ(f.exit_code, 3);
    EXPECT_NE(f.message.find("cannot open avatar '/nonexistent/avatar.mp4': No such file or directory"), std::string::npos)
        << f.message;
}

TEST(ComposeErrors, UnreadableFile) {
    TempDir dir;
    std::string locked = dir.file("locked.mp4");
    std::filesystem::copy_file(media("avatar_mask.mp4"), locked);
    std::filesystem::permissions(locked, std::filesystem::perms::none);
    if (std::ifstream(locked).good()) {
        // Root reads anything; a directory is unreadable as a video for everyone.
        Failure f = compose_fails(media("avatar.mp4"), dir.path().string(), media("background.png"));
        EXPECT_EQ(f.exit_code, 3);
        EXPECT_NE(f.message.find("cannot open mask '" + dir.path().string() + "'"), std::string::npos) << f.message;
        return;
    }
    Failure f = compose_fails(media("avatar.mp4"), locked, media("background.png"));
    EXPECT_EQ(f.exit_code, 3);
    EXPECT_NE(f.message.find("Permission denied"), std::string::npos) << f.message;
}

TEST(ComposeErrors, UnwritableOutputLeavesNothing) {
    TempDir dir;
    std::filesystem::create_directories(dir.file("sub.mp4"));
    // The output name is an existing directory: the rename into place must fail cleanly.
    CommandResult r = run_avpost("compose --video " + quote(media("avatar.mp4")) + " --mask " +
                                 quote(media("avatar_mask.mp4")) + " --background '#000000' -o " + quote(dir.file("sub.mp4")));
    EXPECT_EQ(r.exit_code, 4) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_TRUE(std::filesystem::is_directory(dir.file("sub.mp4")));
    EXPECT_EQ(dir.entries().size(), 1u) << "temporary file left behind";
}

TEST(ComposeErrors, JsonModeReportsTheErrorAsAnObject) {
    CommandResult r = run_avpost("--json compose --video /nonexistent.mp4 --mask " + quote(media("avatar_mask.mp4")) +
                                 " --background '#000000' -o null");
    EXPECT_EQ(r.exit_code, 3);
    auto report = nlohmann::json::parse(r.out);
    EXPECT_EQ(report["error"]["domain"], "input");
    EXPECT_NE(report["error"]["message"].get<std::string>().find("No such file or directory"), std::string::npos);
}

TEST(ComposeErrors, InterruptRemovesThePartialOutput) {
    TempDir dir;
    // Long enough (a slow preset on HD) that the interrupt lands mid-encode.
    run_ffmpeg("-f lavfi -i testsrc2=s=1280x720:r=25:d=8 -c:v libx264 -preset ultrafast -pix_fmt yuv420p " +
               quote(dir.file("a.mp4")));
    std::string out = dir.file("out.mp4");
    std::filesystem::path work = dir.file("work");
    std::filesystem::create_directory(work);
    avpost::test::BackgroundCommand compose("env CI=true " + quote(AVPOST_BINARY) + " compose --video " +
                                                quote(dir.file("a.mp4")) + " --mask " + quote(dir.file("a.mp4")) +
                                                " --background '#000000' --preset veryslow -o " + quote(out),
                                            work);
    // Ctrl-C once the partial output exists (encoding has begun), not after a fixed delay.
    auto partial_exists = [&] {
        for (const auto& entry : std::filesystem::directory_iterator(dir.path()))
            if (entry.path().filename().string().starts_with(".out.partial-")) return true;
        return false;
    };
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!partial_exists() && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ASSERT_TRUE(partial_exists()) << compose.err();
    ASSERT_TRUE(compose.signal(SIGINT));
    const std::optional<int> status = compose.wait(std::chrono::seconds(60));
    ASSERT_TRUE(status) << "still running a minute after Ctrl-C";
    EXPECT_EQ(*status, 130) << compose.err();
    EXPECT_NE(compose.err().find("interrupted"), std::string::npos) << compose.err();
    EXPECT_FALSE(std::filesystem::exists(out));
    EXPECT_EQ(dir.entries().size(), 2u) << "partial output left behind";  // a.mp4 and work/
}

TEST(ComposeErrors, TextFileIsNotAVideo) {
    TempDir dir;
    std::ofstream(dir.file("notes.mp4")) << "this is not a video\n";
    Failure f = compose_fails(media("avatar.mp4"), dir.file("notes.mp4"), media("background.png"));
    EXPECT_EQ(f.exit_code, 3);
    EXPECT_NE(f.message.find("cannot open mask"), std::string::npos) << f.message;
}

TEST(ComposeErrors, AudioOnlyFileIsNotAVideo) {
    TempDir dir;
    run_ffmpeg("-f lavfi -i sine=d=1 " + quote(dir.file("voice.wav")));
    Failure f = compose_fails(dir.file("voice.wav"), media("avatar_mask.mp4"), media("background.png"));
    EXPECT_EQ(f.exit_code, 3);
    EXPECT_NE(f.message.find("is not a video: it has no video stream"), std::string::npos) << f.message;
}

TEST(ComposeErrors, CorruptStreamFailsWhenMostFramesAreLost) {
    TempDir dir;
    // Keep the container intact (index up front) but overwrite most of the coded pictures.
    std::string corrupt = dir.file("corrupt.mp4");
    std::filesystem::copy_file(media("avatar.mp4"), corrupt);
    auto size = std::filesystem::file_size(corrupt);
    {
        std::fstream f(corrupt, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(std::streamoff(size / 10));
        std::uint32_t state = 12345;
        for (auto i = size / 10; i < size - 64; ++i) {
            state = state * 1103515245u + 12345u;
            f.put(char(state >> 24));
        }
    }
    Failure f = compose_fails(corrupt, media("avatar_mask.mp4"), media("background.png"));
    EXPECT_EQ(f.exit_code, 3);
    EXPECT_NE(f.message.find("avatar '" + corrupt + "' is corrupt"), std::string::npos) << f.message;
}

TEST(ComposeErrors, ZeroSizeCanvas) {
    Failure f = compose_fails(media("avatar.mp4"), media("avatar_mask.mp4"), "#000000", "--canvas 0x0");
    EXPECT_EQ(f.exit_code, 2);
    EXPECT_NE(f.message.find("is empty"), std::string::npos) << f.message;
}

TEST(ComposeErrors, UnknownEncoder) {
    Failure f = compose_fails(media("avatar.mp4"), media("avatar_mask.mp4"), media("background.png"),
                              "--vcodec no_such_encoder");
    EXPECT_EQ(f.exit_code, 2);
    EXPECT_NE(f.message.find("unknown video encoder 'no_such_encoder'"), std::string::npos) << f.message;
}

TEST(ComposeErrors, BadColourAndOptions) {
    Failure colour = compose_fails(media("avatar.mp4"), media("avatar_mask.mp4"), "#12345");
    EXPECT_EQ(colour.exit_code, 2);
    EXPECT_NE(colour.message.find("'#12345' is neither a file nor a colour"), std::string::npos) << colour.message;
    Failure fit = compose_fails(media("avatar.mp4"), media("avatar_mask.mp4"), "#000000", "--fit stretch");
    EXPECT_EQ(fit.exit_code, 2);
    EXPECT_NE(fit.message.find("--fit: unknown fit 'stretch'"), std::string::npos) << fit.message;
}

TEST(ComposeErrors, EncoderThatCannotTakeTheCanvasLeavesNothing) {
    // libx264 needs even dimensions in 4:2:0: the encoder's own refusal, reported in one line.
    Failure f = compose_fails(media("avatar.mp4"), media("avatar_mask.mp4"), "#000000", "--canvas 641x361");
    EXPECT_EQ(f.exit_code, 4);
    EXPECT_NE(f.message.find("cannot open encoder 'libx264' at 641x361"), std::string::npos) << f.message;
}

// A mistyped -o does not quietly make directories: exit 4 naming the missing one, nothing made;
// --json carries the exit code beside the library's own code.
TEST(ComposeErrors, OutputIntoAMissingDirectory) {
    TempDir dir;
    const std::string out = dir.file("missing/sub/out.mp4");
    CommandResult r = run_avpost("--json compose --video " + quote(media("avatar.mp4")) + " --mask " +
                                 quote(media("avatar_mask.mp4")) + " --background '#102030' -o " + quote(out));
    EXPECT_EQ(r.exit_code, 4) << r.err;
    EXPECT_NE(r.err.find("its directory '" + dir.file("missing/sub") + "' does not exist"), std::string::npos) << r.err;
    EXPECT_FALSE(std::filesystem::exists(dir.file("missing")));
    const auto error = nlohmann::json::parse(r.out)["error"];
    EXPECT_EQ(error["exit_code"], 4);
    EXPECT_EQ(error["code"], ENOENT);
}
