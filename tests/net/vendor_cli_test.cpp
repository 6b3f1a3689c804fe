// The vendor commands as a user runs them: the avpost binary against an in-process sandbox,
// every command, every documented exit code, and no secret in any output.
#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <regex>
#include <thread>

#include "avpost/sandbox/sandbox_server.hpp"
#include "background_command.hpp"
#include "net_test_support.hpp"
#include "vendor_doc_examples.hpp"

using namespace avpost;
namespace fs = std::filesystem;
using avpost::test::CommandResult;

namespace {

std::string quote(const std::string& s) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

// No credential and no signature value may appear in what the program prints.
void expect_no_secrets(const CommandResult& r, const sandbox::SandboxOptions& o) {
    for (const std::string& secret : {o.akool_client_secret, o.a2v_token}) {
        EXPECT_EQ(r.out.find(secret), std::string::npos) << "stdout leaks a credential";
        EXPECT_EQ(r.err.find(secret), std::string::npos) << "stderr leaks a credential";
    }
    std::regex signature("Signature=[0-9a-f]{16,}");
    EXPECT_FALSE(std::regex_search(r.out, signature)) << r.out;
    EXPECT_FALSE(std::regex_search(r.err, signature)) << r.err;
}

}  // namespace

class NetVendorCli : public ::testing::Test {
protected:
    void SetUp() override { start(avpost::test::fast_sandbox_options()); }
    void start(sandbox::SandboxOptions o) {
        server.reset();
        server = std::make_unique<sandbox::SandboxServer>(o);
        server->start();
        dir = avpost::test::make_temp_dir("cli");
    }
    void TearDown() override { fs::remove_all(dir); }

    std::string env(bool akool_creds = true, bool a2v_creds = true) const {
        const auto& o = server->options();
        std::string e = "env -u AKOOL_API_KEY -u AKOOL_CLIENT_ID -u AKOOL_CLIENT_SECRET -u A2V_TOKEN -u A2V_USERNAME "
                        "-u A2V_PASSWORD AVPOST_ARCHIVE=" + quote((dir / "archive").string()) +
                        " AVPOST_HTTP_MAX_ATTEMPTS=2 AVPOST_AKOOL_BASE_URL=" +
                        server->base_url() + " AVPOST_A2V_BASE_URL=" + server->base_url();
        if (akool_creds) e += " AKOOL_API_KEY=" + quote(o.akool_client_secret);
        if (a2v_creds) e += " A2V_TOKEN=" + quote(o.a2v_token);
        return e;
    }
    CommandResult avpost(const std::string& args, bool akool_creds = true, bool a2v_creds = true) {
        CommandResult r = avpost::test::run(env(akool_creds, a2v_creds) + " " + AVPOST_BINARY + " " + args);
        expect_no_secrets(r, server->options());
        return r;
    }
    static std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }
    static int lines(const std::string& s) { return static_cast<int>(std::count(s.begin(), s.end(), '\n')); }
    std::string render_a2v() {
        auto r = avpost("render --vendor a2v --pose pose-kai-front --audio " + server->base_url() + "/files/none.wav");
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return first_line(r.out);
    }

    std::unique_ptr<sandbox::SandboxServer> server;
    fs::path dir;
};

TEST_F(NetVendorCli, AvatarsOfBothVendors) {
    auto a2v = avpost("avatars --vendor a2v");
    EXPECT_EQ(a2v.exit_code, 0) << a2v.err;
    EXPECT_NE(a2v.out.find("pose-lena-standing"), std::string::npos);
    auto akool = avpost("avatars --vendor akool --json");
    ASSERT_EQ(akool.exit_code, 0) << akool.err;
    auto j = nlohmann::json::parse(akool.out);
    EXPECT_EQ(j["avatars"].size(), 4u);
    auto own = avpost("avatars --vendor akool --from 3");
    EXPECT_EQ(lines(own.out), 1);
}

TEST_F(NetVendorCli, PosesVoicesVideos) {
    auto poses = avpost("poses --vendor a2v --avatar 101 --json");
    ASSERT_EQ(poses.exit_code, 0) << poses.err;
    EXPECT_EQ(nlohmann::json::parse(poses.out)["poses"].size(), 2u);
    auto voices = avpost("voices --vendor akool");
    EXPECT_EQ(voices.exit_code, 0);
    EXPECT_NE(voices.out.find("6889b628662160e2caad5dbc"), std::string::npos);
    std::string id = render_a2v();
    auto videos = avpost("videos --vendor a2v --json");
    ASSERT_EQ(videos.exit_code, 0);
    EXPECT_EQ(nlohmann::json::parse(videos.out)["videos"][0]["id"], id);
    // Wrong vendor for a command is a usage error.
    EXPECT_EQ(avpost("poses --vendor akool --avatar 1").exit_code, 2);
}

TEST_F(NetVendorCli, RenderA2vWaitStatusFetch) {
    auto r = avpost("render --vendor a2v --pose pose-lena-seated --audio https://x.test/a.wav --wait --interval 0.1 --json");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["state"], "finished");
    EXPECT_NE(j["mask_url"].get<std::string>().find("Signature=REDACTED"), std::string::npos);
    std::string id = j["id"];

    auto status = avpost("status --vendor a2v " + id);
    EXPECT_EQ(status.exit_code, 0);
    EXPECT_NE(status.out.find("finished"), std::string::npos);
    EXPECT_NE(status.out.find("mask\t"), std::string::npos);

    auto fetch = avpost("fetch --vendor a2v " + id + " -o " + (dir / "out").string());
    ASSERT_EQ(fetch.exit_code, 0) << fetch.err;
    EXPECT_EQ(lines(fetch.out), 2);
    EXPECT_TRUE(fs::exists(dir / "out" / (id + ".mp4")));
    EXPECT_TRUE(fs::exists(dir / "out" / (id + "-mask.mp4")));
    auto probe = avpost::test::run(std::string(FFPROBE_EXECUTABLE) + " -v error -count_frames -select_streams v -show_entries "
                                   "stream=nb_read_frames -of csv=p=0 " + (dir / "out" / (id + ".mp4")).string());
    EXPECT_EQ(probe.exit_code, 0);
    EXPECT_GT(std::atoi(probe.out.c_str()), 10);
}

// `render --wait` on a terminal (a pty from script(1), CI unset) shows the job id, the vendor's
// state, the time waited and the next poll, one line per state rewritten in place; never with
// --quiet or --json, and never off a terminal.
TEST_F(NetVendorCli, RenderWaitShowsTheJobItsStateTheTimeWaitedAndTheNextPollOnATerminal) {
    auto o = avpost::test::fast_sandbox_options();
    o.queue_seconds = 1.5;  // the first poll finds it queued
    o.process_seconds = 0.5;
    start(o);
    const std::string render = std::string(AVPOST_BINARY) + " render --vendor a2v --pose pose-kai-front --audio " +
                               server->base_url() + "/files/none.wav --wait --no-archive";
    auto on_terminal = [&](const std::string& command) {
        return avpost::test::run("env -u CI " + env() + " script -qec " + quote(command) + " /dev/null");
    };
    auto shown = on_terminal(render);
    ASSERT_EQ(shown.exit_code, 0) << shown.out << shown.err;
    std::smatch m;
    const std::regex waiting("\ra2v job (v[0-9a-f]+): queued \\(pending\\), 0:0[0-9] waited, next poll in [12] s\033\\[K");
    ASSERT_TRUE(std::regex_search(shown.out, m, waiting)) << shown.out;
    const std::string id = m[1];
    EXPECT_TRUE(std::regex_search(shown.out, std::regex("\ra2v job " + id + ": finished \\(finished\\), 0:0[0-9] waited\033\\[K\r?\n")))
        << shown.out;
    EXPECT_NE(shown.out.find(id + "\tfinished"), std::string::npos) << "the result is printed as before";

    for (const char* flag : {" --quiet", " --json"}) {
        auto silent = on_terminal(render + flag);
        ASSERT_EQ(silent.exit_code, 0) << silent.out;
        EXPECT_EQ(silent.out.find("waited"), std::string::npos) << flag << ": " << silent.out;
    }
    auto piped = avpost("render --vendor a2v --pose pose-kai-front --audio " + server->base_url() +
                        "/files/none.wav --wait --no-archive");
    ASSERT_EQ(piped.exit_code, 0) << piped.err;
    EXPECT_EQ(piped.err.find("waited"), std::string::npos) << piped.err;
}

// An Akool request with a webhookUrl: `render --wait` says so; with --webhook-listen it takes the
// callback there (verified with the client id and secret) and polls at once, polls being only the
// fallback (15 s apart), so the callback is what ends the wait.
TEST_F(NetVendorCli, RenderWaitSaysWhenAWebhookIsConfiguredAndUsesItWhenListening) {
    const auto& o = server->options();
    const int port = avpost::test::closed_port();
    auto request = nlohmann::json::parse(avpost::test::docs::kAkoolCreateRequest);
    request["webhookUrl"] = "http://127.0.0.1:" + std::to_string(port) + "/akool?token=hook-secret";
    std::ofstream(dir / "hooked.json") << request.dump();
    const std::string creds = "AKOOL_CLIENT_ID=" + quote(o.akool_client_id) + " AKOOL_CLIENT_SECRET=" + quote(o.akool_client_secret);

    auto told = avpost("-v render --vendor akool --no-archive --wait --request " + (dir / "hooked.json").string());
    ASSERT_EQ(told.exit_code, 0) << told.err;
    EXPECT_NE(told.err.find("Akool will also call the request's webhookUrl http://127.0.0.1:" + std::to_string(port) + "/akool"),
              std::string::npos) << told.err;
    EXPECT_EQ(told.err.find("hook-secret"), std::string::npos) << "the webhook URL's query is redacted";

    auto used = avpost::test::run(env() + " " + creds + " " + AVPOST_BINARY + " -v render --vendor akool --no-archive --wait " +
                                  "--webhook-listen 127.0.0.1:" + std::to_string(port) + " --request " +
                                  (dir / "hooked.json").string());
    ASSERT_EQ(used.exit_code, 0) << used.err;
    EXPECT_NE(used.err.find("listening for its webhook on 127.0.0.1:" + std::to_string(port)), std::string::npos) << used.err;
    EXPECT_TRUE(std::regex_search(used.err, std::regex("the webhook says status 3, polling now"))) << used.err;
    EXPECT_NE(used.out.find("finished (akool status 3)"), std::string::npos) << used.out;

    auto a2v = avpost("render --vendor a2v --pose pose-kai-front --audio https://x.test/a.wav --wait --webhook-listen 1");
    EXPECT_EQ(a2v.exit_code, 2) << a2v.err;
}

TEST_F(NetVendorCli, FetchResumesADownloadCutMidway) {
    std::string id = render_a2v();
    ASSERT_EQ(avpost("wait --vendor a2v " + id + " --interval 0.1").exit_code, 0);
    sandbox::Fault cut;
    cut.path_prefix = "/files/" + id + ".mp4";
    cut.drop_after_bytes = 2000;
    server->add_fault(cut);
    server->reset_stats();
    auto f = avpost("fetch --vendor a2v " + id + " -o " + dir.string() + " --json");
    ASSERT_EQ(f.exit_code, 0) << f.err;
    auto stats = server->stats();
    EXPECT_EQ(stats.requests["/files/" + id + ".mp4"], 2);  // cut, then resumed
    EXPECT_EQ(stats.statuses[206], 1);
    auto j = nlohmann::json::parse(f.out);
    EXPECT_EQ(static_cast<std::uintmax_t>(j["video"]["bytes"].get<std::int64_t>()),
              fs::file_size(j["video"]["path"].get<std::string>()));
}

TEST_F(NetVendorCli, RenderAkoolFromRequestFileThenWaitAndFetch) {
    std::ofstream(dir / "request.json") << avpost::test::docs::kAkoolCreateRequest;
    auto r = avpost("render --vendor akool --request " + (dir / "request.json").string());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::string id = first_line(r.out);
    EXPECT_EQ(id.size(), 24u);
    auto w = avpost("wait --vendor akool " + id + " --interval 0.1 --timeout 60 --json");
    ASSERT_EQ(w.exit_code, 0) << w.err;
    EXPECT_EQ(nlohmann::json::parse(w.out)["vendor_status"], "3");
    auto f = avpost("fetch --vendor akool " + id + " -o " + dir.string() + " --json");
    ASSERT_EQ(f.exit_code, 0) << f.err;
    auto j = nlohmann::json::parse(f.out);
    EXPECT_TRUE(fs::exists(j["video"]["path"].get<std::string>()));
    EXPECT_TRUE(j["mask"].is_null());  // Akool gives no matte
}

TEST_F(NetVendorCli, RenderRecordsTheJobSoArchiveSyncKeepsIt) {
    // Akool has no job list: the archive knows a render only because `render` recorded it.
    std::ofstream(dir / "request.json") << avpost::test::docs::kAkoolCreateRequest;
    auto r = avpost("render --vendor akool --request " + (dir / "request.json").string());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::string id = first_line(r.out);
    ASSERT_EQ(avpost("wait --vendor akool " + id + " --interval 0.1 --timeout 60").exit_code, 0);
    auto sync = avpost("archive sync --vendor akool --json");
    ASSERT_EQ(sync.exit_code, 0) << sync.err;
    auto verified = avpost("archive ls --state verified --json");
    EXPECT_NE(verified.out.find(id), std::string::npos) << verified.out;
    // --no-archive leaves the catalog alone: a later sync never hears of that job.
    auto quiet = avpost("render --vendor akool --no-archive --request " + (dir / "request.json").string());
    ASSERT_EQ(quiet.exit_code, 0) << quiet.err;
    std::string unrecorded = first_line(quiet.out);
    ASSERT_EQ(avpost("wait --vendor akool " + unrecorded + " --interval 0.1 --timeout 60").exit_code, 0);
    ASSERT_EQ(avpost("archive sync --vendor akool").exit_code, 0);
    EXPECT_EQ(avpost("archive ls --json").out.find(unrecorded), std::string::npos);
}

TEST_F(NetVendorCli, CtrlCStopsAStalledFetchAtOnce) {
    auto r = avpost("render --vendor a2v --pose pose-lena-seated --audio https://x.test/a.wav --wait --interval 0.1 --json");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::string id = nlohmann::json::parse(r.out)["id"];
    auto file_requests = [&] {
        int n = 0;
        for (const auto& [path, count] : server->stats().requests)
            if (path.starts_with("/files/")) n += count;
        return n;
    };
    const int before = file_requests();
    sandbox::Fault stall;  // the file host answers nothing for 10 s
    stall.path_prefix = "/files/";
    stall.delay_ms = 10000;
    server->add_fault(stall);
    // Ctrl-C once the download is under way (the sandbox has the request), not at a fixed time: a
    // slow start (a loaded machine, a sanitizer build) must not turn the test into one of startup.
    avpost::test::BackgroundCommand fetch(env() + " " + AVPOST_BINARY + " fetch --vendor a2v " + id + " -o " +
                                              (dir / "out").string(),
                                          dir);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (file_requests() == before && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ASSERT_GT(file_requests(), before) << "the fetch never asked for its file";
    ASSERT_TRUE(fetch.signal(SIGINT));
    // Interrupted, it exits long before the 10 s stall ends (the test waits at most that long).
    const std::optional<int> status = fetch.wait(std::chrono::milliseconds(stall.delay_ms));
    ASSERT_TRUE(status) << "still running when the stall ended";
    EXPECT_EQ(*status, 130) << fetch.err();
    EXPECT_NE(fetch.err().find("interrupted"), std::string::npos) << fetch.err();
    EXPECT_FALSE(fs::exists(dir / "out" / (id + ".mp4")));
}

TEST_F(NetVendorCli, InvalidAkoolRequestIsAUsageErrorAndNothingIsSent) {
    auto j = nlohmann::json::parse(avpost::test::docs::kAkoolCreateRequest);
    j["width"] = 1920;
    std::ofstream(dir / "bad.json") << j.dump();
    auto r = avpost("render --vendor akool --request " + (dir / "bad.json").string());
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("3840x2160"), std::string::npos);
    EXPECT_EQ(server->stats().requests.count("/api/open/v3/talkingavatar/create"), 0u);
}

TEST_F(NetVendorCli, ExitCodeMissingCredentials) {
    for (std::string cmd : std::vector<std::string>{"avatars --vendor akool", "avatars --vendor a2v", "status --vendor a2v x"}) {
        auto r = avpost(cmd, false, false);
        EXPECT_EQ(r.exit_code, 10) << cmd;
        EXPECT_EQ(lines(r.err), 1) << r.err;
        EXPECT_NE(r.err.find("credentials"), std::string::npos);
    }
    EXPECT_TRUE(server->stats().requests.empty());
}

TEST_F(NetVendorCli, ExitCodeUnknownId) {
    for (std::string cmd : std::vector<std::string>{"status --vendor a2v v-nope", "status --vendor akool 000000000000000000000000",
                            "wait --vendor a2v v-nope", "fetch --vendor a2v v-nope -o " + dir.string(),
                            "poses --vendor a2v --avatar 999"}) {
        auto r = avpost(cmd);
        EXPECT_EQ(r.exit_code, 11) << cmd << ": " << r.err;
        EXPECT_EQ(lines(r.err), 1) << r.err;
    }
}

TEST_F(NetVendorCli, ExitCodeRenderFailed) {
    sandbox::Fault f;
    f.path_prefix = "/v1/a2v/video.generate";
    f.fail_render = true;
    server->add_fault(f);
    std::string id = render_a2v();
    auto w = avpost("wait --vendor a2v " + id + " --interval 0.1");
    EXPECT_EQ(w.exit_code, 12) << w.err;
    EXPECT_NE(w.out.find("failed"), std::string::npos);
    EXPECT_EQ(lines(w.err), 1) << w.err;
    EXPECT_EQ(avpost("status --vendor a2v " + id).exit_code, 12);
    EXPECT_EQ(avpost("fetch --vendor a2v " + id + " -o " + dir.string()).exit_code, 12);
}

TEST_F(NetVendorCli, ExitCodeLinkExpired) {
    auto o = avpost::test::fast_sandbox_options();
    o.link_ttl_seconds = 0;  // every link is expired when handed out
    start(o);
    std::string id = render_a2v();
    EXPECT_EQ(avpost("wait --vendor a2v " + id + " --interval 0.1").exit_code, 0);
    auto f = avpost("fetch --vendor a2v " + id + " -o " + dir.string());
    EXPECT_EQ(f.exit_code, 13) << f.err;
    EXPECT_EQ(lines(f.err), 1) << f.err;
    EXPECT_NE(f.err.find("expired"), std::string::npos);
    EXPECT_FALSE(fs::exists(dir / (id + ".mp4")));
}

TEST_F(NetVendorCli, ExitCodeVendorError) {
    sandbox::Fault f;
    f.path_prefix = "/api/open/v3/avatar/list";
    f.vendor_code = 1006;
    f.message = "Your quota is not enough";
    server->add_fault(f);
    auto r = avpost("avatars --vendor akool");
    EXPECT_EQ(r.exit_code, 14);
    EXPECT_NE(r.err.find("1006"), std::string::npos);
    EXPECT_NE(r.err.find("quota"), std::string::npos);
    EXPECT_EQ(lines(r.err), 1);
    // A wrong token: the vendor refuses (HTTP 401), the token is not echoed.
    auto wrong = avpost::test::run(env(true, false) + " A2V_TOKEN=wrong-token-777 " + AVPOST_BINARY + " videos --vendor a2v");
    EXPECT_EQ(wrong.exit_code, 14);
    EXPECT_EQ(wrong.err.find("wrong-token-777"), std::string::npos);
}

TEST_F(NetVendorCli, ExitCodeNetwork) {
    std::string closed = "http://127.0.0.1:" + std::to_string(avpost::test::closed_port());
    auto r = avpost::test::run(env() + " AVPOST_A2V_BASE_URL=" + closed + " " + AVPOST_BINARY + " videos --vendor a2v");
    EXPECT_EQ(r.exit_code, 15) << r.err;
    EXPECT_EQ(lines(r.err), 1);
    sandbox::Fault f;
    f.path_prefix = "/v1/a2v/video.list";
    f.http_status = 503;
    f.count = 5;
    server->add_fault(f);
    auto busy = avpost("videos --vendor a2v");
    EXPECT_EQ(busy.exit_code, 15);
    EXPECT_EQ(server->stats().requests["/v1/a2v/video.list"], 2);  // AVPOST_HTTP_MAX_ATTEMPTS=2
}

// AVPOST_HTTP_MAX_ATTEMPTS bounds downloads as it bounds API calls (it once did not: 8 attempts,
// some 45 s of backoff, whatever it said).
TEST_F(NetVendorCli, FetchMakesAsManyDownloadAttemptsAsAvpostHttpMaxAttemptsSays) {
    std::string id = render_a2v();
    ASSERT_EQ(avpost("wait --vendor a2v " + id + " --interval 0.1").exit_code, 0);
    sandbox::Fault busy;
    busy.path_prefix = "/files/";
    busy.http_status = 503;
    busy.count = -1;
    server->add_fault(busy);
    server->reset_stats();
    auto f = avpost::test::run(env() + " AVPOST_HTTP_MAX_ATTEMPTS=1 " + AVPOST_BINARY + " fetch --vendor a2v " + id +
                               " -o " + dir.string());
    EXPECT_EQ(f.exit_code, 15) << f.err;
    EXPECT_EQ(lines(f.err), 1) << f.err;
    EXPECT_EQ(server->stats().requests["/files/" + id + ".mp4"], 1);
}

TEST_F(NetVendorCli, ExitCodeNotFinished) {
    auto o = avpost::test::fast_sandbox_options();
    o.queue_seconds = 30;
    start(o);
    std::string id = render_a2v();
    auto w = avpost("wait --vendor a2v " + id + " --timeout 0.3 --interval 0.1");
    EXPECT_EQ(w.exit_code, 16) << w.err;
    EXPECT_EQ(avpost("fetch --vendor a2v " + id + " -o " + dir.string()).exit_code, 16);
    EXPECT_EQ(avpost("render --vendor a2v --audio https://x.test/a.wav").exit_code, 2);
}

TEST_F(NetVendorCli, VerboseOutputKeepsSecretsOut) {
    sandbox::Fault f;
    f.path_prefix = "/v1/a2v/video.list";
    f.http_status = 500;
    server->add_fault(f);
    avpost("-v videos --vendor a2v");  // expect_no_secrets runs on every call
    std::string id = render_a2v();
    avpost("-v wait --vendor a2v " + id + " --interval 0.1");
    avpost("-v fetch --vendor a2v " + id + " -o " + dir.string());
    avpost("-v avatars --vendor akool");
}

TEST(NetSandboxCommand, ServesUntilTerminated) {
    auto dir = avpost::test::make_temp_dir("sandbox-cmd");
    std::string out = (dir / "out.txt").string(), pidfile = (dir / "pid").string();
    std::system((std::string(AVPOST_BINARY) + " sandbox --port 0 --json --link-ttl 60 --size 64x48 " +
                 "--fault '{\"path_prefix\":\"/v1/a2v/video.list\",\"http_status\":503}' > " + out + " 2>&1 & echo $! > " +
                 pidfile)
                    .c_str());
    pid_t pid = std::atoi(avpost::test::slurp(pidfile).c_str());
    ASSERT_GT(pid, 0);
    nlohmann::json info;
    for (int i = 0; i < 100 && info.is_null(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        info = nlohmann::json::parse(avpost::test::slurp(out), nullptr, false);
        if (info.is_discarded()) info = nullptr;
    }
    ASSERT_TRUE(info.is_object()) << avpost::test::slurp(out);
    int port = info["port"];
    EXPECT_EQ(info["options"]["render_width"], 64);
    httplib::Client cli("127.0.0.1", port);
    httplib::Headers auth = {{"Authorization", "Bearer sandbox-a2v-token"}};
    EXPECT_EQ(cli.Get("/v1/a2v/video.list", auth)->status, 503);  // the --fault
    EXPECT_EQ(cli.Get("/v1/a2v/video.list", auth)->status, 200);
    ::kill(pid, SIGTERM);
    bool gone = false;
    for (int i = 0; i < 100 && !gone; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        gone = ::kill(pid, 0) != 0;
    }
    EXPECT_TRUE(gone);
    fs::remove_all(dir);
}

// The Akool render size: the canvas scaled to fit --akool-size (default 640x360), or the request's
// own size with 'full'; AVPOST_SANDBOX_AKOOL_SIZE gives the default.
TEST(NetSandboxCommand, AkoolRenderSizeComesFromTheOptionOrTheEnvironment) {
    auto dir = avpost::test::make_temp_dir("sandbox-akool-size");
    int runs = 0;
    auto options_of = [&](const std::string& prefix, const std::string& args) {
        const std::string n = std::to_string(++runs);
        const std::string out = (dir / ("out" + n + ".txt")).string(), pidfile = (dir / ("pid" + n)).string();
        std::system((prefix + " " + std::string(AVPOST_BINARY) + " sandbox --port 0 --json " + args + " > " + out +
                     " 2>&1 & echo $! > " + pidfile)
                        .c_str());
        pid_t pid = std::atoi(avpost::test::slurp(pidfile).c_str());
        nlohmann::json info;
        for (int i = 0; i < 200 && info.is_null(); ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
            info = nlohmann::json::parse(avpost::test::slurp(out), nullptr, false);
            if (info.is_discarded()) info = nullptr;
        }
        if (pid > 0) ::kill(pid, SIGTERM);
        return info.is_object() ? info["options"] : nlohmann::json();
    };
    auto size_of = [](const nlohmann::json& o) {
        return o.is_object() ? std::to_string(o["akool_render_max_width"].get<int>()) + "x" +
                                   std::to_string(o["akool_render_max_height"].get<int>())
                             : std::string("(no options)");
    };
    EXPECT_EQ(size_of(options_of("env -u AVPOST_SANDBOX_AKOOL_SIZE", "")), "640x360");
    EXPECT_EQ(size_of(options_of("AVPOST_SANDBOX_AKOOL_SIZE=full", "")), "0x0");
    EXPECT_EQ(size_of(options_of("AVPOST_SANDBOX_AKOOL_SIZE=full", "--akool-size 1280x720")), "1280x720");
    auto bad = avpost::test::run(std::string(AVPOST_BINARY) + " sandbox --port 0 --akool-size big");
    EXPECT_EQ(bad.exit_code, 2);
    EXPECT_NE(bad.err.find("--akool-size (or AVPOST_SANDBOX_AKOOL_SIZE) must be WxH"), std::string::npos) << bad.err;
    fs::remove_all(dir);
}
