// Damaged inputs as they arrive from cut downloads and bad disks: a file that ends long before its
// header says (exit 3 unless --allow-short), timestamps that repeat (dropped, never an output
// error), and the temporaries a killed run leaves (removed by the next run, never a live one's).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <functional>
#include <iterator>
#include <nlohmann/json.hpp>

#include "avpost/core/atomic_output.hpp"
#include "media_helpers.hpp"

using namespace avpost::testing;

namespace {

// The first `bytes` bytes of `from` (what an interrupted download leaves).
void write_prefix(const std::string& from, const std::string& to, std::size_t bytes) {
    std::ifstream in(from, std::ios::binary);
    std::string data(bytes, '\0');
    in.read(data.data(), std::streamsize(bytes));
    ASSERT_EQ(std::size_t(in.gcount()), bytes);
    std::ofstream(to, std::ios::binary) << data;
}

std::string compose_args(const std::string& video, const std::string& mask, const std::string& out) {
    return "compose --video " + quote(video) + " --mask " + quote(mask) + " --background " +
           quote(media("background.png")) + " -o " + quote(out);
}

double video_duration(const std::string& path) {
    CommandResult r = run_command(quote(FFPROBE_EXECUTABLE) + " -v error -select_streams v -show_entries "
                                  "format=duration -of csv=p=0 " + quote(path));
    return std::stod(r.out);
}

// A child process that makes something (a locked temporary), reports its path and waits; kill
// it with SIGKILL to leave what a crash leaves. `make` runs in the child and calls `ready` with
// the path while what it made is still alive.
struct HeldInChild {
    pid_t pid = -1;
    std::filesystem::path path;
    int release_fd = -1;

    static HeldInChild start(const std::function<void(const std::function<void(const std::string&)>&)>& make) {
        int ready_pipe[2], release[2];
        EXPECT_EQ(::pipe(ready_pipe), 0);
        EXPECT_EQ(::pipe(release), 0);
        HeldInChild h;
        h.pid = ::fork();
        if (h.pid == 0) {
            ::close(ready_pipe[0]);
            ::close(release[1]);
            make([&](const std::string& name) {
                (void)!::write(ready_pipe[1], name.data(), name.size());
                ::close(ready_pipe[1]);
                char byte;
                (void)!::read(release[0], &byte, 1);  // until the parent lets go or kills us
            });
            ::_exit(0);
        }
        ::close(ready_pipe[1]);
        ::close(release[0]);
        std::string name;
        char buffer[4096];
        for (ssize_t n; (n = ::read(ready_pipe[0], buffer, sizeof buffer)) > 0;) name.append(buffer, std::size_t(n));
        ::close(ready_pipe[0]);
        h.path = name;
        h.release_fd = release[1];
        return h;
    }
    void kill_hard() {
        ::kill(pid, SIGKILL);
        EXPECT_EQ(::waitpid(pid, nullptr, 0), pid);
        ::close(release_fd);
    }
};

// A writer holding an AtomicOutput in `directory` (created, locked, 4096 bytes written).
HeldInChild start_writer(const std::filesystem::path& directory) {
    return HeldInChild::start([&](const auto& ready) {
        avpost::AtomicOutput output(directory / "other.mp4");
        std::ofstream(output.temp_path(), std::ios::binary | std::ios::trunc) << std::string(4096, 'x');
        ready(output.temp_path().string());
    });
}

}  // namespace

// The reproduction: 16572 bytes of the 2 s avatar composited "fine" into 0.16 s.
TEST(ComposeInputs, ACutShortAvatarIsUnusableUnlessAllowed) {
    TempDir dir;
    const std::string cut = dir.file("cut.mp4"), out = dir.file("out.mp4");
    write_prefix(media("avatar.mp4"), cut, 16572);
    CommandResult r = run_avpost(compose_args(cut, media("avatar_mask.mp4"), out));
    EXPECT_EQ(r.exit_code, 3) << r.err;
    EXPECT_EQ(r.err, "avpost: error: avatar '" + cut + "' is cut short: it decodes to 0.16 s of the 2.00 s its header "
                     "declares (--allow-short, or allow_short in a job, accepts it)\n");
    EXPECT_EQ(dir.entries().size(), 1u) << "output or temporary left behind";

    r = run_avpost(compose_args(cut, media("avatar_mask.mp4"), out) + " --allow-short");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("warning: avatar '" + cut + "' is cut short"), std::string::npos) << r.err;
    EXPECT_NEAR(video_duration(out), 0.16, 0.05);

    // transcode takes the same flag.
    r = run_avpost("transcode " + quote(cut) + " -o " + quote(dir.file("t")) + " --preset poster");
    EXPECT_EQ(r.exit_code, 3) << r.err;
    EXPECT_NE(r.err.find("is cut short"), std::string::npos) << r.err;
    r = run_avpost("transcode " + quote(cut) + " -o " + quote(dir.file("t")) + " --preset poster --allow-short");
    EXPECT_EQ(r.exit_code, 0) << r.err;
}

// A mask cut short used to be held at its last frame as if it were merely shorter.
TEST(ComposeInputs, ACutShortMaskIsUnusable) {
    TempDir dir;
    // The mask with its index up front, as a download cut mid-way still opens.
    run_ffmpeg("-i " + quote(media("avatar_mask.mp4")) + " -c copy -movflags +faststart " + quote(dir.file("m.mp4")));
    const std::string cut = dir.file("cut-mask.mp4");
    write_prefix(dir.file("m.mp4"), cut, std::filesystem::file_size(dir.file("m.mp4")) / 3);
    CommandResult r = run_avpost(compose_args(media("avatar.mp4"), cut, dir.file("out.mp4")) + " --quiet");
    EXPECT_EQ(r.exit_code, 3) << r.err;
    EXPECT_NE(r.err.find("avpost: error: mask '" + cut + "' is cut short: it decodes to "), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(" of the 2.00 s its header declares"), std::string::npos) << r.err;
    EXPECT_FALSE(std::filesystem::exists(dir.file("out.mp4")));
}

// A damaged index repeating one timestamp (video or audio) reached the muxer, which refused it:
// exit 4 "write packet to '.../.out.partial-PID-N.mp4'", an output error naming a temporary file
// that was already gone. The repeated frame or packet is the input's damage: it is dropped.
TEST(ComposeInputs, RepeatedTimestampsAreDroppedNotAnOutputError) {
    TempDir dir;
    run_ffmpeg("-i " + quote(media("avatar.mp4")) + " -c:v libx264 -bf 0 -c:a copy " + quote(dir.file("plain.mkv")));
    // Matroska keeps milliseconds: the 46th video frame (or 41st audio packet) says 200 (100) ms too early.
    run_ffmpeg("-i " + quote(dir.file("plain.mkv")) +
               " -c copy -bsf:v 'setts=pts=if(eq(N\\,45)\\,PTS-200\\,PTS):dts=if(eq(N\\,45)\\,PTS-200\\,DTS)' " +
               quote(dir.file("video.mkv")));
    run_ffmpeg("-i " + quote(dir.file("plain.mkv")) +
               " -c copy -bsf:a 'setts=pts=if(eq(N\\,40)\\,PTS-100\\,PTS):dts=if(eq(N\\,40)\\,PTS-100\\,DTS)' " +
               quote(dir.file("audio.mkv")));
    for (const char* input : {"video.mkv", "audio.mkv"}) {
        const std::string out = dir.file(std::string("out-") + input + ".mp4");
        CommandResult r = run_avpost(compose_args(dir.file(input), media("avatar_mask.mp4"), out) + " --quiet");
        EXPECT_EQ(r.exit_code, 0) << input << ": " << r.err;
        EXPECT_NEAR(video_duration(out), 2.0, 0.1) << input;
        r = run_avpost("transcode " + quote(dir.file(input)) + " --mask " + quote(media("avatar_mask.mp4")) + " -o " +
                       quote(dir.file("t")) + " --name " + std::string(input).substr(0, 5) + " --preset web,webm-alpha --quiet");
        EXPECT_EQ(r.exit_code, 0) << input << ": " << r.err;
    }
}

// kill -9 during a write left ".NAME.partial-PID-N.EXT" for good. The next write into the
// directory removes what dead processes left, whether they held the lock (a killed writer) or
// not (an older build's file), and keeps what a running writer holds.
TEST(ComposeInputs, TemporariesOfKilledRunsAreRemovedAndALiveWritersAreKept) {
    TempDir dir;
    HeldInChild live = start_writer(dir.path());
    HeldInChild killed = start_writer(dir.path());
    ASSERT_TRUE(std::filesystem::exists(killed.path)) << killed.path;
    killed.kill_hard();
    ASSERT_TRUE(std::filesystem::exists(killed.path)) << "SIGKILL leaves the temporary behind";
    ASSERT_TRUE(std::filesystem::exists(live.path)) << "a new writer removed a live one's temporary";

    pid_t gone = ::fork();
    if (gone == 0) ::_exit(0);
    ASSERT_EQ(::waitpid(gone, nullptr, 0), gone);
    const std::filesystem::path unlocked = dir.path() / (".old.partial-" + std::to_string(gone) + "-7.mp4");
    std::ofstream(unlocked) << "half a file";
    // Named after a running process (ours) and made after it started: maybe mid-creation, kept.
    const std::filesystem::path young = dir.path() / (".young.partial-" + std::to_string(::getpid()) + "-7.mp4");
    std::ofstream(young) << "a writer that has not locked yet";

    const std::string out = dir.file("out.mp4");
    CommandResult r = run_avpost(compose_args(media("avatar.mp4"), media("avatar_mask.mp4"), out) + " --quiet");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_FALSE(std::filesystem::exists(killed.path)) << "a killed writer's temporary survived the next run";
    EXPECT_FALSE(std::filesystem::exists(unlocked)) << "a dead process's temporary survived the next run";
    EXPECT_TRUE(std::filesystem::exists(live.path)) << "removed the temporary of a writer still running";
    EXPECT_TRUE(std::filesystem::exists(young)) << "removed a temporary of a running process";
    EXPECT_EQ(std::filesystem::file_size(live.path), 4096u);

    live.kill_hard();
    r = run_avpost(compose_args(media("avatar.mp4"), media("avatar_mask.mp4"), out) + " --quiet");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_FALSE(std::filesystem::exists(live.path));
    std::filesystem::remove(young);
    EXPECT_EQ(dir.entries(), std::vector<std::string>{"out.mp4"});
}

// The same for an HLS ladder's temporary directory (it had a random name and no lock, so a
// kill -9 left ".NAME-hls.tmp-XXXXXXXX" for good): a killed run's is swept by the next delivery
// into that directory, a running one's is kept.
TEST(ComposeInputs, HlsDirectoriesOfKilledRunsAreRemovedAndALiveOnesAreKept) {
    TempDir dir;
    auto start_hls = [&] {
        return HeldInChild::start([&](const auto& ready) {
            avpost::PartialDirectory partial(dir.path() / "other-hls");
            std::ofstream(partial.path() / "720p_000.ts") << std::string(4096, 'x');
            ready(partial.path().string());
        });
    };
    HeldInChild live = start_hls();
    HeldInChild killed = start_hls();
    killed.kill_hard();
    ASSERT_TRUE(std::filesystem::is_directory(killed.path)) << "SIGKILL leaves the directory behind";

    CommandResult r = run_avpost("transcode " + quote(media("avatar.mp4")) + " -o " + quote(dir.path().string()) +
                                 " --deliver hls --hls-heights 180 --quiet");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_FALSE(std::filesystem::exists(killed.path)) << "a killed run's HLS directory survived the next run";
    EXPECT_TRUE(std::filesystem::exists(live.path / "720p_000.ts")) << "removed a running writer's HLS directory";

    live.kill_hard();
    r = run_avpost("transcode " + quote(media("avatar.mp4")) + " -o " + quote(dir.path().string()) +
                   " --deliver hls --hls-heights 180 --quiet");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(dir.entries(), std::vector<std::string>{"avatar-hls"});
}
