// The Akool webhook receiver: genuine callbacks recorded in the catalog before the 200 and then
// archived; forged, stale and malformed ones rejected with 400 and nothing recorded; a replay
// acknowledged without a second row; `avpost serve` as a process.
#include "sync_test_support.hpp"

#include <regex>
#include <sqlite3.h>

#include "avpost/archive/local_store.hpp"
#include "avpost/archive/webhook_receiver.hpp"
#include "avpost/net/akool_client.hpp"

using namespace avpost;
using namespace avpost::archive;
using namespace avpost::test;

namespace {

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

class ArchiveServe : public ::testing::Test {
protected:
    void SetUp() override {
        server = std::make_unique<sandbox::SandboxServer>(quick_sandbox());
        server->start();
        root = make_temp_dir("serve");
        creds = {server->options().akool_client_id, server->options().akool_client_secret};
        WebhookReceiverOptions o;
        o.credentials = creds;
        o.archive.vendor = net::Vendor::akool;
        o.archive.archive_root = root;
        fs::path r = root;
        o.archive.open_store = [r] { return std::make_unique<LocalStore>(r); };
        o.archive.http = quick_http();
        net::akool::ClientOptions api;
        api.base_url = server->base_url();
        api.credentials.api_key = server->options().akool_client_secret;
        api.http = quick_http();
        o.vendor_api = [api] { return make_vendor_api(api); };
        o.catalog.busy_timeout = std::chrono::milliseconds(200);
        receiver = std::make_unique<WebhookReceiver>(o);
        receiver->install(http.server);
        http.start();
        receiver->start();
    }
    void TearDown() override {
        http.stop();
        receiver.reset();
        server->stop();
        fs::remove_all(root);
    }
    httplib::Result post(const std::string& body) {
        httplib::Client client("127.0.0.1", port());
        return client.Post("/akool/webhook", body, "application/json");
    }
    int port() { return std::stoi(http.url("").substr(std::string("http://127.0.0.1:").size())); }
    std::vector<JobRecord> jobs() {
        SqliteCatalog c(Catalog::file_in(root));
        std::vector<JobRecord> out;
        for (const char* id : {"job-a", "job-b", "job-c"})
            if (auto j = c.find_job("akool", id)) out.push_back(*j);
        return out;
    }
    std::unique_ptr<sandbox::SandboxServer> server;
    std::unique_ptr<WebhookReceiver> receiver;
    TinyServer http;
    fs::path root;
    net::akool::WebhookCredentials creds;
};

}  // namespace

TEST_F(ArchiveServe, AGenuineCallbackIsRecordedBeforeThe200) {
    auto body = net::akool::make_webhook_body({{"_id", "job-a"}, {"status", 2}, {"type", "avatar"}}, creds, now_ms(), "11");
    auto res = post(body.dump());
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
    // Read right after the answer, through another connection: the row is already committed.
    auto all = jobs();
    ASSERT_EQ(all.size(), 1u);
    EXPECT_EQ(all[0].vendor_job_id, "job-a");
    EXPECT_EQ(all[0].status, "2");
    EXPECT_EQ(receiver->counters().accepted, 1);
}

TEST_F(ArchiveServe, ForgedStaleAndMalformedCallbacksAreRejectedAndNotRecorded) {
    auto forged = net::akool::make_webhook_body({{"_id", "job-a"}, {"status", 3}}, creds, now_ms(), "12");
    std::string sig = forged["signature"];
    sig[0] = sig[0] == 'a' ? 'b' : 'a';
    forged["signature"] = sig;
    auto stale = net::akool::make_webhook_body({{"_id", "job-b"}, {"status", 3}}, creds, now_ms() - 3600 * 1000, "13");
    auto other_key = net::akool::make_webhook_body({{"_id", "job-c"}, {"status", 3}},
                                                   {creds.client_id, "ANOTHERkey-24-bytes-long"}, now_ms(), "14");
    for (const std::string& body : {forged.dump(), stale.dump(), other_key.dump(), std::string("{}"),
                                    std::string("not json at all")}) {
        auto res = post(body);
        ASSERT_TRUE(res);
        EXPECT_EQ(res->status, 400) << body;
    }
    EXPECT_TRUE(jobs().empty());
    EXPECT_EQ(receiver->counters().rejected, 5);
    EXPECT_EQ(receiver->counters().accepted, 0);
}

TEST_F(ArchiveServe, AReplayIsAcknowledgedWithoutASecondRowAndOldNewsNeverStepsBack) {
    auto done = net::akool::make_webhook_body({{"_id", "job-a"}, {"status", 4}, {"type", "avatar"}}, creds, now_ms(), "21");
    for (int i = 0; i < 3; ++i) {
        auto res = post(done.dump());
        ASSERT_TRUE(res);
        EXPECT_EQ(res->status, 200);
    }
    // A late "processing" delivered after the final status.
    auto late = net::akool::make_webhook_body({{"_id", "job-a"}, {"status", 2}, {"type", "avatar"}}, creds, now_ms(), "22");
    EXPECT_EQ(post(late.dump())->status, 200);
    SqliteCatalog c(Catalog::file_in(root));
    int rows = 0;
    sqlite3_stmt* raw = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(c.handle(), "SELECT count(*) FROM jobs", -1, &raw, nullptr), SQLITE_OK);
    ASSERT_EQ(sqlite3_step(raw), SQLITE_ROW);
    rows = sqlite3_column_int(raw, 0);
    sqlite3_finalize(raw);
    EXPECT_EQ(rows, 1);
    EXPECT_EQ(c.find_job("akool", "job-a")->status, "4");
    EXPECT_EQ(receiver->counters().accepted, 2);
    EXPECT_EQ(receiver->counters().repeats, 2);
}

TEST_F(ArchiveServe, ACallbackThatCannotBeRecordedGets500AndItsRedeliveryIsRecorded) {
    auto body = net::akool::make_webhook_body({{"_id", "job-b"}, {"status", 2}}, creds, now_ms(), "41");
    {
        // Another process holds the catalog's write lock for longer than the receiver waits.
        SqliteCatalog other(Catalog::file_in(root));
        ASSERT_EQ(sqlite3_exec(other.handle(), "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr), SQLITE_OK);
        auto res = post(body.dump());
        ASSERT_TRUE(res);
        EXPECT_EQ(res->status, 500);
        sqlite3_exec(other.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
    }
    EXPECT_TRUE(jobs().empty());
    // Akool delivers the same callback again: the verifier has seen it, but it was never recorded.
    auto again = post(body.dump());
    ASSERT_TRUE(again);
    EXPECT_EQ(again->status, 200);
    auto all = jobs();
    ASSERT_EQ(all.size(), 1u);
    EXPECT_EQ(all[0].vendor_job_id, "job-b");
    EXPECT_EQ(receiver->counters().errors, 1);
}

TEST_F(ArchiveServe, ACompletedCallbackWithoutItsLinkIsArchivedByTheNextSync) {
    // Create a real job, then tell the receiver it completed but leave the url out.
    net::akool::Client akool(akool_options(*server));
    net::akool::TalkingAvatarRequest req = talking_avatar_request();
    auto created = akool.create_talking_avatar(req);
    auto body = net::akool::make_webhook_body({{"_id", created.id}, {"status", 3}}, creds, now_ms(), "51");
    EXPECT_EQ(post(body.dump())->status, 200);
    net::WaitOptions w;
    w.timeout = std::chrono::seconds(60);
    w.initial_interval = std::chrono::milliseconds(50);
    w.max_interval = std::chrono::milliseconds(200);
    net::wait_for_job([&] { return net::to_job_status(akool.video_info(created.id)); }, w);
    SyncOptions s;
    s.vendor = net::Vendor::akool;
    s.archive_root = root;
    fs::path r = root;
    s.open_store = [r] { return std::make_unique<LocalStore>(r); };
    s.http = quick_http();
    net::akool::ClientOptions api = akool_options(*server);
    SyncReport report = sync_vendor(s, [api] { return make_vendor_api(api); });
    EXPECT_EQ(report.verified, 1) << to_json(report).dump();
}

TEST_F(ArchiveServe, ASandboxRenderIsRecordedAndArchivedFromItsCallbacks) {
    net::akool::Client akool(akool_options(*server));
    net::akool::TalkingAvatarRequest req = talking_avatar_request();
    req.webhook_url = http.url("/akool/webhook");
    auto created = akool.create_talking_avatar(req);
    ASSERT_TRUE(eventually([&] { return receiver->counters().archived == 1; })) << receiver->counters().not_archived;
    SqliteCatalog c(Catalog::file_in(root));
    auto job = c.find_job("akool", created.id);
    ASSERT_TRUE(job);
    EXPECT_EQ(job->status, "3");
    auto rows = c.list();
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].asset.state, AssetState::verified);
    EXPECT_EQ(rows[0].asset.source_url.find("Signature"), std::string::npos);
    EXPECT_TRUE(fs::exists(root / rows[0].asset.store_key));
    EXPECT_GE(server->stats().webhook_delivered, 3);  // queued, processing, completed
}

TEST(ArchiveServeCommand, RecordsSignedCallbacksAndStopsOnSigterm) {
    fs::path root = make_temp_dir("serve-cli");
    net::akool::WebhookCredentials creds{"serve-test-client-id-01", "serve-test-secret-24byte"};
    ::setenv("AKOOL_CLIENT_ID", creds.client_id.c_str(), 1);
    ::setenv("AKOOL_CLIENT_SECRET", creds.client_secret.c_str(), 1);
    ::setenv("AVPOST_AKOOL_BASE_URL", "http://127.0.0.1:9", 1);
    Background serve({"serve", "--port", "0", "--archive", root.string()}, root.parent_path(),
                     root.filename().string() + "-serve");
    std::smatch m;
    std::string out;
    ASSERT_TRUE(eventually([&] {
        out = read_file(serve.out);
        return std::regex_search(out, m, std::regex(R"(listening on http://127\.0\.0\.1:(\d+))"));
    })) << read_file(serve.err);
    httplib::Client client("127.0.0.1", std::stoi(m[1].str()));
    auto body = net::akool::make_webhook_body({{"_id", "job-cli"}, {"status", 1}}, creds, now_ms(), "31");
    auto res = client.Post("/", body.dump(), "application/json");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
    auto forged = body;
    forged["nonce"] = "32";
    EXPECT_EQ(client.Post("/", forged.dump(), "application/json")->status, 400);
    {
        SqliteCatalog c(Catalog::file_in(root));
        ASSERT_TRUE(c.find_job("akool", "job-cli"));
    }
    serve.kill(SIGTERM);
    EXPECT_EQ(serve.wait(), 0) << read_file(serve.err);
    EXPECT_EQ(read_file(serve.err).find(creds.client_secret), std::string::npos);
    fs::remove_all(root);
}

TEST(ArchiveServeCommand, WithoutTheWebhookCredentialsServesTheGalleryAloneAndSaysSo) {
    ::unsetenv("AKOOL_CLIENT_ID");
    ::unsetenv("AKOOL_CLIENT_SECRET");
    fs::path root = make_temp_dir("serve-gallery-only");
    Background serve({"serve", "--port", "0", "--archive", root.string()}, root.parent_path(),
                     root.filename().string() + "-serve");
    std::smatch m;
    std::string out;
    ASSERT_TRUE(eventually([&] {
        out = read_file(serve.out);
        return std::regex_search(out, m, std::regex(R"(listening on http://127\.0\.0\.1:(\d+)/)")) &&
               out.find("akool webhook: off") != std::string::npos;
    })) << out << read_file(serve.err);
    httplib::Client client("127.0.0.1", std::stoi(m[1].str()));
    EXPECT_EQ(client.Get("/api/jobs")->status, 200);  // no token: loopback clients only
    EXPECT_EQ(client.Post("/", "{}", "application/json")->status, 404);
    serve.kill(SIGTERM);
    EXPECT_EQ(serve.wait(), 0) << read_file(serve.err);
    remove_with_siblings(root);
}

TEST(ArchiveServeCommand, ATooShortOrEmptyTokenIsRefused) {
    fs::path root = make_temp_dir("serve-token");
    write_file(root / "token", "\n");
    auto r = run(shell_quote(AVPOST_BINARY) + " serve --port 0 --archive " + shell_quote(root.string()) +
                 " --token-file " + shell_quote((root / "token").string()));
    EXPECT_EQ(r.exit_code, 2) << r.err;
    r = run("AVPOST_GALLERY_TOKEN=short " + shell_quote(AVPOST_BINARY) + " serve --port 0 --archive " +
            shell_quote(root.string()));
    EXPECT_EQ(r.exit_code, 2) << r.err;
    fs::remove_all(root);
}
