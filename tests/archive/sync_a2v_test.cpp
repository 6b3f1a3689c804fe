// `avpost archive sync|add` against the in-process sandbox (A2V and Akool) and throwaway servers:
// end to end, resume after a cut, a SIGKILLed run taken over, expired links refreshed or not,
// unusable downloads never verified, two processes at once, and --watch.
#include "sync_test_support.hpp"

#include <regex>
#include <set>

#include "avpost/archive/local_store.hpp"
#include "avpost/archive/sync.hpp"
#include "avpost/net/akool_client.hpp"
#include "avpost/net/downloader.hpp"
#include "avpost/net/http_client.hpp"

using namespace avpost;
using namespace avpost::archive;
using namespace avpost::test;

namespace {

class ArchiveSync : public ::testing::Test {
protected:
    void start(sandbox::SandboxOptions o = quick_sandbox()) {
        server.reset();  // its threads end before the environment changes
        server = start_sandbox_for_cli(o);
        root = make_temp_dir("sync");
    }
    void TearDown() override {
        if (server) server->stop();
        if (!root.empty()) remove_with_siblings(root);
    }
    SyncOptions library_options(int jobs = 1) {
        SyncOptions s;
        s.vendor = net::Vendor::a2v;
        s.archive_root = root;
        fs::path r = root;
        s.open_store = [r] { return std::make_unique<LocalStore>(r); };
        s.jobs = jobs;
        s.http = quick_http(3);  // downloads: 3 attempts
        return s;
    }
    VendorApiFactory a2v_api() {
        auto o = a2v_options(*server);
        return [o] { return make_vendor_api(o); };
    }
    // The bytes the vendor serves for a link (to compare hashes with).
    std::string vendor_bytes(const std::string& url) {
        net::HttpClient http(quick_http());
        fs::path p = root.parent_path() / (root.filename().string() + "-direct.mp4");
        net::Downloader(http).download(url, p);
        std::string bytes = read_file(p);
        fs::remove(p);
        return bytes;
    }
    std::vector<ListRow> rows() {
        SqliteCatalog c(Catalog::file_in(root));
        return c.list();
    }
    std::unique_ptr<sandbox::SandboxServer> server;
    fs::path root;
};

}  // namespace

TEST_F(ArchiveSync, SyncArchivesVideoAndMaskVerifiedWithHashesAndMediaFacts) {
    start();
    auto ids = finished_a2v_renders(*server, 2);
    auto r = run(avpost_cmd(root, "sync --vendor a2v --jobs 2 --json"));
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
    auto out = nlohmann::json::parse(r.out);
    EXPECT_EQ(out["verified"], 4);
    EXPECT_EQ(out["jobs_seen"], 2);
    EXPECT_TRUE(out["complete"].get<bool>());
    EXPECT_EQ(r.out.find("Signature="), std::string::npos) << "a signed query string was printed";

    net::a2v::Client client(a2v_options(*server));
    auto all = rows();
    ASSERT_EQ(all.size(), 4u);
    for (const ListRow& row : all) {
        EXPECT_EQ(row.asset.state, AssetState::verified) << row.asset.name << " " << row.asset.error;
        auto v = client.get(row.job.vendor_job_id);
        std::string bytes = vendor_bytes(row.asset.name == "mask.mp4" ? v.mask_video_url : v.video_url);
        EXPECT_EQ(row.asset.sha256, sha256_hex(bytes)) << row.asset.name;
        ASSERT_TRUE(row.asset.size);
        EXPECT_EQ(*row.asset.size, std::int64_t(bytes.size()));
        EXPECT_EQ(read_file(root / row.asset.store_key), bytes);
        ASSERT_TRUE(row.asset.media) << row.asset.name;
        EXPECT_EQ(row.asset.media->codec, "h264");
        EXPECT_EQ(row.asset.media->width, 160);
        EXPECT_EQ(row.asset.media->height, 96);
        EXPECT_GT(row.asset.media->duration_seconds, 0.5);
        EXPECT_EQ(row.asset.source_url.find("Signature"), std::string::npos);
        EXPECT_TRUE(row.job.link_expires_at.has_value());
    }
    EXPECT_EQ(count_files(root / "partial", ""), 0) << "staging files left behind";

    // The signatures of the vendor's links are nowhere: not in the catalog, not in the output.
    std::string catalog_bytes = read_file(Catalog::file_in(root)) + read_file(root / "catalog.db-wal");
    ASSERT_FALSE(catalog_bytes.empty());
    EXPECT_EQ(catalog_bytes.find("Signature"), std::string::npos);
    std::regex signed_query("Signature=[0-9a-f]{8}");
    EXPECT_FALSE(std::regex_search(r.out, signed_query));
    EXPECT_FALSE(std::regex_search(r.err, signed_query));

    // A second run has nothing to do.
    auto again = run(avpost_cmd(root, "sync --vendor a2v --json"));
    ASSERT_EQ(again.exit_code, 0) << again.err;
    EXPECT_TRUE(nlohmann::json::parse(again.out)["items"].empty());
    // And the archive verifies.
    auto verify = run(avpost_cmd(root, "verify --json"));
    EXPECT_EQ(verify.exit_code, 0) << verify.out;
}

TEST_F(ArchiveSync, ACutConnectionResumesWithRange) {
    start();
    finished_a2v_renders(*server, 1);
    sandbox::Fault cut;
    cut.path_prefix = "/files/";
    cut.drop_after_bytes = 2000;
    cut.count = 1;
    server->add_fault(cut);
    SyncReport report = sync_vendor(library_options(), a2v_api());
    ASSERT_EQ(report.verified, 2) << to_json(report).dump();
    int transfers = 0;
    for (const auto& i : report.items) transfers += i.transfers;
    EXPECT_EQ(transfers, 3) << "one cut transfer, resumed once";
    for (const ListRow& row : rows()) EXPECT_EQ(row.asset.state, AssetState::verified);
}

TEST_F(ArchiveSync, AKilledRunIsTakenOverAndResumedWithoutDuplicates) {
    start();
    auto ids = finished_a2v_renders(*server, 1);
    // The first transfer is cut after 2000 bytes; the retry then hangs until the process is killed.
    sandbox::Fault cut;
    cut.path_prefix = "/files/";
    cut.drop_after_bytes = 2000;
    sandbox::Fault hang;
    hang.path_prefix = "/files/";
    hang.delay_ms = 4000;
    server->add_fault(cut);
    server->add_fault(hang);
    fs::path part;
    {
        Background first({"archive", "--archive", root.string(), "sync", "--vendor", "a2v", "--json"}, root.parent_path(),
                         root.filename().string() + "-first");
        ASSERT_TRUE(eventually([&] {
            if (!fs::exists(root / "partial")) return false;
            for (auto& e : fs::recursive_directory_iterator(root / "partial"))
                if (e.path().extension() == ".part" && fs::file_size(e.path()) >= 2000) {
                    part = e.path();
                    return true;
                }
            return false;
        })) << read_file(first.err);
        first.kill(SIGKILL);
        EXPECT_EQ(first.wait(), -SIGKILL);
    }
    // The killed run left a claim and a partial file.
    int downloading = 0;
    for (const ListRow& row : rows()) downloading += row.asset.state == AssetState::downloading;
    EXPECT_EQ(downloading, 1);
    ASSERT_TRUE(fs::exists(part));

    server->clear_faults();
    auto r = run(avpost_cmd(root, "sync --vendor a2v --json"));
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
    auto out = nlohmann::json::parse(r.out);
    EXPECT_EQ(out["verified"], 2);
    bool resumed = false;
    for (const auto& item : out["items"])
        if (item["resumed_from"].get<std::int64_t>() >= 2000) resumed = true;
    EXPECT_TRUE(resumed) << "the partial download was not resumed: " << r.out;
    auto all = rows();
    ASSERT_EQ(all.size(), 2u);
    for (const ListRow& row : all) EXPECT_EQ(row.asset.state, AssetState::verified);
    EXPECT_EQ(count_files(root / "a2v", ".mp4"), 2);
    EXPECT_EQ(count_files(root, ".part"), 0);
}

TEST_F(ArchiveSync, AnExpiredLinkIsRefreshedThroughTheVendor) {
    start();
    finished_a2v_renders(*server, 1);
    server->reset_stats();
    sandbox::Fault expired;
    expired.path_prefix = "/files/";
    expired.http_status = 403;
    expired.message = "Request has expired";
    server->add_fault(expired);
    SyncReport report = sync_vendor(library_options(), a2v_api());
    ASSERT_EQ(report.verified, 2) << to_json(report).dump();
    int refreshes = 0;
    for (const auto& i : report.items) refreshes += i.link_refreshes;
    EXPECT_EQ(refreshes, 1);
    EXPECT_GE(server->stats().requests["/v1/a2v/video.get"], 1);
}

TEST_F(ArchiveSync, ALinkThatCannotBeRefreshedEndsExpiredBeforeArchived) {
    start(quick_sandbox(/*link_ttl_seconds=*/0));  // every link the vendor hands out is already dead
    finished_a2v_renders(*server, 1);
    auto r = run(avpost_cmd(root, "sync --vendor a2v --json"));
    EXPECT_EQ(r.exit_code, 21) << r.err << r.out;
    auto out = nlohmann::json::parse(r.out);
    EXPECT_EQ(out["expired"], 2);
    for (const ListRow& row : rows()) {
        EXPECT_EQ(row.asset.state, AssetState::expired_before_archived);
        EXPECT_NE(row.asset.error.find("expired"), std::string::npos);
        EXPECT_FALSE(std::regex_search(row.asset.error, std::regex("Signature=[0-9a-f]{8}"))) << row.asset.error;
    }
    EXPECT_EQ(count_files(root / "a2v", ".mp4"), 0);
    auto ls = run(avpost_cmd(root, "ls --state expired-before-archived --json"));
    EXPECT_EQ(nlohmann::json::parse(ls.out)["assets"].size(), 2u);
    // Not retried by the next run: it stays expired (a person decides).
    auto again = run(avpost_cmd(root, "sync --vendor a2v --json"));
    EXPECT_TRUE(nlohmann::json::parse(again.out)["items"].empty()) << again.out;
}

// A storm of 403s on every file link while the vendor keeps handing out fresh links: failed
// downloads alone never make a file "expired-before-archived". Everything stays pending, every
// sync says it is incomplete, and once the CDN serves again a sync archives it all.
TEST_F(ArchiveSync, AForbiddenStormLeavesEverythingPendingAndALaterSyncArchivesIt) {
    start();
    finished_a2v_renders(*server, 3);
    sandbox::Fault storm;
    storm.path_prefix = "/files/";
    storm.http_status = 403;
    storm.count = -1;
    server->add_fault(storm);
    for (int round = 1; round <= 2; ++round) {
        auto r = run(avpost_cmd(root, "sync --vendor a2v --json"));
        EXPECT_EQ(r.exit_code, 21) << "round " << round << ": " << r.err << r.out;
        auto out = nlohmann::json::parse(r.out);
        EXPECT_EQ(out["expired"], 0) << r.out;
        EXPECT_EQ(out["retry_later"], 6) << r.out;
        EXPECT_FALSE(std::regex_search(r.out + r.err, std::regex("Signature=[0-9a-f]{8}")));
        for (const ListRow& row : rows()) {
            EXPECT_EQ(row.asset.state, AssetState::pending) << row.asset.name << ": " << row.asset.error;
            EXPECT_NE(row.asset.error.find("left pending"), std::string::npos) << row.asset.error;
        }
    }
    auto expired = run(avpost_cmd(root, "ls --state expired-before-archived --json"));
    EXPECT_TRUE(nlohmann::json::parse(expired.out)["assets"].empty()) << expired.out;

    server->clear_faults();  // the CDN serves again; the vendor's links are fresh
    auto r = run(avpost_cmd(root, "sync --vendor a2v --json"));
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
    EXPECT_EQ(nlohmann::json::parse(r.out)["verified"], 6);
    auto all = rows();
    EXPECT_EQ(all.size(), 6u);
    for (const ListRow& row : all) EXPECT_EQ(row.asset.state, AssetState::verified) << row.asset.name;
    EXPECT_EQ(count_files(root / "partial", ""), 0);
}

TEST_F(ArchiveSync, TwoProcessesAtOnceArchiveEachFileOnce) {
    start();
    finished_a2v_renders(*server, 3);
    std::vector<std::string> args = {"archive", "--archive", root.string(), "sync", "--vendor", "a2v", "--jobs", "2", "--json"};
    Background a(args, root.parent_path(), root.filename().string() + "-a");
    Background b(args, root.parent_path(), root.filename().string() + "-b");
    int rc_a = a.wait(), rc_b = b.wait();
    EXPECT_EQ(rc_a, 0) << read_file(a.err) << read_file(a.out);
    EXPECT_EQ(rc_b, 0) << read_file(b.err) << read_file(b.out);
    std::multiset<std::int64_t> archived;
    for (const fs::path& p : {a.out, b.out})
        for (const auto& j : json_lines(read_file(p)))
            for (const auto& item : j["items"])
                if (item["state"] == "verified") archived.insert(item["asset_id"].get<std::int64_t>());
    EXPECT_EQ(archived.size(), 6u) << read_file(a.out) << read_file(a.err) << "\n---\n" << read_file(b.out) << read_file(b.err);
    for (auto id : archived) EXPECT_EQ(archived.count(id), 1u) << "asset " << id << " archived twice";
    for (const ListRow& row : rows()) {
        EXPECT_EQ(row.asset.state, AssetState::verified);
        EXPECT_EQ(row.asset.attempts, 1) << "asset " << row.asset.id << " claimed more than once";
    }
}

TEST_F(ArchiveSync, WatchSyncsEveryRoundAndPicksUpNewRenders) {
    start();
    finished_a2v_renders(*server, 1);
    Background watch({"archive", "--archive", root.string(), "sync", "--vendor", "a2v", "--watch", "0.2", "--json"},
                     root.parent_path(), root.filename().string() + "-watch");
    ASSERT_TRUE(eventually([&] { return json_lines(read_file(watch.out)).size() >= 1; })) << read_file(watch.err);
    finished_a2v_renders(*server, 1);  // a render that appears while watching
    ASSERT_TRUE(eventually([&] {
        int verified = 0;
        for (const ListRow& row : rows()) verified += row.asset.state == AssetState::verified;
        return verified == 4;
    })) << read_file(watch.err);
    watch.kill(SIGTERM);
    EXPECT_EQ(watch.wait(), 0) << read_file(watch.err);
}

TEST_F(ArchiveSync, AddRecordsAkoolJobsAndArchivesThem) {
    // The job must still be rendering when `add` asks: 0.3 s of the quick sandbox was not enough
    // on a loaded machine (the add found it finished), so it queues for 5 s here.
    sandbox::SandboxOptions slow = quick_sandbox();
    slow.queue_seconds = 5.0;
    start(slow);
    net::akool::Client akool(akool_options(*server));
    net::akool::TalkingAvatarRequest req = talking_avatar_request();
    auto created = akool.create_talking_avatar(req);

    // Still rendering: recorded, nothing to archive yet, exit 16.
    auto early = run(avpost_cmd(root, "add --vendor akool " + created.id + " --json"));
    EXPECT_EQ(early.exit_code, 16) << early.err << early.out;
    net::WaitOptions w;
    w.timeout = std::chrono::seconds(60);
    w.initial_interval = std::chrono::milliseconds(50);
    w.max_interval = std::chrono::milliseconds(200);
    net::wait_for_job([&] { return net::to_job_status(akool.video_info(created.id)); }, w);

    // The job the catalog knows is picked up by sync (Akool cannot list).
    auto r = run(avpost_cmd(root, "sync --vendor akool --json"));
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
    EXPECT_EQ(nlohmann::json::parse(r.out)["verified"], 1);
    auto all = rows();
    ASSERT_EQ(all.size(), 1u);
    EXPECT_EQ(all[0].job.vendor, "akool");
    EXPECT_EQ(all[0].job.status, "3");
    EXPECT_EQ(all[0].asset.state, AssetState::verified);

    // An unknown id is the caller's mistake.
    auto bad = run(avpost_cmd(root, "add --vendor akool 000000000000000000000000"));
    EXPECT_EQ(bad.exit_code, 11) << bad.err;
}

TEST_F(ArchiveSync, MissingCredentialsFailClearly) {
    start();
    auto r = run("env -u A2V_TOKEN " + avpost_cmd(root, "sync --vendor a2v"));
    EXPECT_EQ(r.exit_code, 10) << r.err;
}

TEST_F(ArchiveSync, WatchPrintsOneJsonObjectPerRoundAndKeepsGoingThroughAnOutage) {
    start();
    finished_a2v_renders(*server, 1);
    sandbox::Fault outage;  // the first round cannot list
    outage.path_prefix = "/v1/a2v/video.list";
    outage.http_status = 503;
    outage.count = 3;  // every attempt of the first round (AVPOST_HTTP_MAX_ATTEMPTS=3)
    server->add_fault(outage);
    auto r = run(avpost_cmd(root, "sync --vendor a2v --watch 0.1 --rounds 3 --json"));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto rounds = json_lines(r.out);
    ASSERT_EQ(rounds.size(), 2u) << r.out;  // the failed round printed an error instead
    EXPECT_NE(r.err.find("round 1"), std::string::npos) << r.err;
    EXPECT_EQ(rounds[0]["verified"], 2);
    EXPECT_TRUE(rounds[1]["items"].empty());
}
