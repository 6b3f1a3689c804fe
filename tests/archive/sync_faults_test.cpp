// Downloads that must never count as archived: not a video, cut short every time, error bodies,
// and a local copy that changed between download and store. A throwaway HTTP server plays A2V
// (video.list / video.get) and its CDN, so every byte it serves is under the test's control.
#include "sync_test_support.hpp"

#include <algorithm>
#include <atomic>
#include <regex>
#include <sqlite3.h>
#include <sys/resource.h>

#include "avpost/archive/local_store.hpp"
#include "avpost/archive/staging_cleanup.hpp"
#include "avpost/archive/sync.hpp"

using namespace avpost;
using namespace avpost::archive;
using namespace avpost::test;

namespace {

// A2V with one finished video whose links point at /files/VIDEO and /files/MASK of this server.
class FakeA2v {
public:
    TinyServer http;
    std::map<std::string, std::string> files;  // name -> bytes
    std::atomic<std::int64_t> cut_after{-1};    // every file response closes after this many bytes
    std::atomic<int> error_status{0};            // every file response is this status with an HTML body
    std::atomic<int> file_requests{0};
    std::atomic<int> slow_ms{0};                 // pause per 1 KiB sent
    std::atomic<bool> forgotten{false};          // the vendor no longer knows the job
    std::string video = "good.mp4", mask = "mask.mp4";

    FakeA2v() {
        files["good.mp4"] = read_file(sample_video());
        files["mask.mp4"] = read_file(sample_video());
        std::string html = "<html><body>oops, this is not the file you are looking for</body></html>";
        while (html.size() < 6000) html += html;
        files["notvideo.mp4"] = html;
        auto envelope = [this]() {
            nlohmann::json v = {{"video_id", "vfake1"},
                                {"status", "finished"},
                                {"video_url", http.url("/files/" + video + "?Expires=4102444800&Signature=s3cr3t")},
                                {"mask_video_url", http.url("/files/" + mask + "?Expires=4102444800&Signature=s3cr3t")}};
            return v;
        };
        http.server.Get("/v1/a2v/video.list", [this, envelope](const httplib::Request&, httplib::Response& res) {
            nlohmann::json data = forgotten ? nlohmann::json::array() : nlohmann::json::array({envelope()});
            res.set_content(nlohmann::json{{"code", 0}, {"message", "success"}, {"data", data}}.dump(),
                            "application/json");
        });
        http.server.Get("/v1/a2v/video.get", [this, envelope](const httplib::Request&, httplib::Response& res) {
            if (forgotten) {
                res.status = 404;
                res.set_content(R"({"code": 1004, "message": "video not found", "data": null})", "application/json");
                return;
            }
            res.set_content(nlohmann::json{{"code", 0}, {"message", "success"}, {"data", envelope()}}.dump(),
                            "application/json");
        });
        http.server.Get(R"(/files/([a-z0-9.]+))", [this](const httplib::Request& req, httplib::Response& res) {
            ++file_requests;
            const_cast<httplib::Request&>(req).ranges.clear();  // the whole file, always (200)
            if (error_status > 0) {
                res.status = error_status;
                res.set_content("<html>server trouble, this is not a video</html>", "text/html");
                return;
            }
            auto it = files.find(req.matches[1]);
            if (it == files.end()) {
                res.status = 404;
                return;
            }
            auto bytes = std::make_shared<std::string>(it->second);
            std::int64_t cut = cut_after;
            int slow = slow_ms;
            res.set_header("ETag", "\"" + sha256_hex(*bytes).substr(0, 16) + "\"");
            res.set_content_provider(bytes->size(), "video/mp4",
                                     [bytes, cut, slow](size_t offset, size_t want, httplib::DataSink& sink) {
                                         if (cut >= 0 && std::int64_t(offset) >= cut) return false;
                                         size_t n = std::min<size_t>(want, slow > 0 ? 1024 : 4096);
                                         if (slow > 0) std::this_thread::sleep_for(std::chrono::milliseconds(slow));
                                         if (cut >= 0) n = std::min<size_t>(n, size_t(cut) - offset);
                                         sink.write(bytes->data() + offset, n);
                                         return true;
                                     });
        });
        http.start();
    }
};

// The claim owner of a process on this host that cannot exist (a pid above pid_max).
std::string dead_owner() {
    std::string live = claim_owner("w0");
    return live.substr(0, live.find(':')) + ":4194305:1/w0";
}

class ArchiveSyncFaults : public ::testing::Test {
protected:
    void SetUp() override { root = make_temp_dir("faults"); }
    void TearDown() override { remove_with_siblings(root); }
    SyncOptions options() {
        SyncOptions s;
        s.vendor = net::Vendor::a2v;
        s.archive_root = root;
        fs::path r = root;
        s.open_store = [r] { return std::make_unique<LocalStore>(r); };
        s.http = quick_http(3);  // downloads: 3 attempts
        return s;
    }
    VendorApiFactory api(FakeA2v& fake) {
        net::a2v::ClientOptions o;
        o.base_url = fake.http.url("");
        o.token = "fake-token";
        o.http = quick_http();
        return [o] { return make_vendor_api(o); };
    }
    std::map<std::string, AssetRecord> assets() {
        SqliteCatalog c(Catalog::file_in(root));
        std::map<std::string, AssetRecord> m;
        for (const ListRow& r : c.list()) m[r.asset.name] = r.asset;
        return m;
    }
    fs::path root;
};

}  // namespace

TEST_F(ArchiveSyncFaults, AFileThatIsNotAVideoIsNeverMarkedVerified) {
    FakeA2v fake;
    fake.video = "notvideo.mp4";
    SyncReport r = sync_vendor(options(), api(fake));
    EXPECT_EQ(r.verified, 1) << to_json(r).dump();  // the mask is fine
    EXPECT_EQ(r.failed, 1);
    EXPECT_FALSE(r.complete());
    auto a = assets();
    EXPECT_EQ(a["avatar.mp4"].state, AssetState::failed);
    EXPECT_FALSE(a["avatar.mp4"].error.empty());
    EXPECT_EQ(a["avatar.mp4"].error.find("s3cr3t"), std::string::npos) << a["avatar.mp4"].error;
    EXPECT_TRUE(a["avatar.mp4"].sha256.empty());
    EXPECT_EQ(a["mask.mp4"].state, AssetState::verified);
    EXPECT_EQ(count_files(root / "a2v", "avatar.mp4"), 0) << "an unusable file reached the store";
    EXPECT_EQ(count_files(root / "partial", ".part"), 0);
    EXPECT_EQ(fake.file_requests, 3) << "one fresh download of the unusable file, then it is failed";
}

TEST_F(ArchiveSyncFaults, ADownloadCutShortEveryTimeStaysPendingAndTheNextRunFinishes) {
    FakeA2v fake;
    fake.cut_after = 5000;
    SyncReport r = sync_vendor(options(), api(fake));
    EXPECT_EQ(r.verified, 0) << to_json(r).dump();
    EXPECT_EQ(r.retry_later, 2);
    for (auto& [name, a] : assets()) {
        EXPECT_EQ(a.state, AssetState::pending) << name;
        EXPECT_NE(a.error.find("download"), std::string::npos) << a.error;
    }
    EXPECT_EQ(count_files(root / "a2v", ".mp4"), 0);

    fake.cut_after = -1;  // the network recovers
    SyncReport again = sync_vendor(options(), api(fake));
    EXPECT_EQ(again.verified, 2) << to_json(again).dump();
    std::string expected = sha256_hex(fake.files["good.mp4"]);
    for (auto& [name, a] : assets()) {
        EXPECT_EQ(a.state, AssetState::verified) << name;
        EXPECT_EQ(a.sha256, expected);
    }
}

TEST_F(ArchiveSyncFaults, ErrorBodiesNeverReachTheFile) {
    FakeA2v fake;
    fake.error_status = 503;
    SyncReport r = sync_vendor(options(), api(fake));
    EXPECT_EQ(r.retry_later, 2) << to_json(r).dump();
    if (fs::exists(root / "partial"))
        for (auto& e : fs::recursive_directory_iterator(root / "partial"))
            if (e.is_regular_file()) {
                EXPECT_EQ(read_file(e.path()).find("server trouble"), std::string::npos) << e.path();
            }
    // 404 at the CDN while the vendor still hands out links: failed downloads are no proof the
    // file is gone, so it stays pending.
    fake.error_status = 404;
    SyncReport refused = sync_vendor(options(), api(fake));
    EXPECT_EQ(refused.retry_later, 2) << to_json(refused).dump();
    EXPECT_EQ(refused.expired, 0);
    for (auto& [name, a] : assets()) EXPECT_EQ(a.state, AssetState::pending) << name;
    // The vendor itself no longer knows the job: that answer ends it.
    fake.forgotten = true;
    SyncReport gone = sync_vendor(options(), api(fake));
    EXPECT_EQ(gone.expired, 2) << to_json(gone).dump();
    for (auto& [name, a] : assets()) {
        EXPECT_EQ(a.state, AssetState::expired_before_archived) << name;
        EXPECT_NE(a.error.find("no longer knows"), std::string::npos) << a.error;
    }
    EXPECT_EQ(count_files(root / "partial", ""), 0) << "staging files of a file that is gone";
}

// A file an older run marked expired-before-archived that the vendor offers again with a live link
// is archived: whatever concluded it was gone was wrong.
TEST_F(ArchiveSyncFaults, AFileMarkedExpiredEarlierIsArchivedWhenTheVendorOffersItAgain) {
    FakeA2v fake;
    {
        SqliteCatalog c(Catalog::file_in(root));
        JobRecord job;
        job.vendor = "a2v";
        job.vendor_job_id = "vfake1";
        job.status = "finished";
        std::int64_t id = c.upsert_job(job);
        for (const char* name : {"avatar.mp4", "mask.mp4"}) {
            std::int64_t a = c.add_asset(id, std::string(name) == "mask.mp4" ? "mask" : "avatar", name, "");
            ASSERT_TRUE(c.claim(a, "old-run", std::chrono::seconds(60)));
            c.mark_expired(a, "old-run", "the vendor link expired before the file was archived: HTTP 403");
        }
    }
    SyncReport r = sync_vendor(options(), api(fake));
    EXPECT_EQ(r.verified, 2) << to_json(r).dump();
    EXPECT_TRUE(r.complete());
    for (auto& [name, a] : assets()) EXPECT_EQ(a.state, AssetState::verified) << name;
}

// A run killed at the wrong moment leaves staged copies, partial downloads and their validators,
// and a catalog it was creating. The next run removes what no asset needs any more.
TEST_F(ArchiveSyncFaults, WhatADeadRunLeftBehindIsRemovedByTheNextSync) {
    FakeA2v fake;
    SyncReport first = sync_vendor(options(), api(fake));
    ASSERT_EQ(first.verified, 2) << to_json(first).dump();
    pid_t dead = ::fork();
    ASSERT_GE(dead, 0);
    if (dead == 0) ::_exit(0);
    ASSERT_EQ(::waitpid(dead, nullptr, 0), dead);
    const fs::path staged = root / "partial" / "a2v";
    fs::create_directories(staged);
    std::string video = read_file(sample_video());
    write_file(staged / "vfake1--avatar.mp4", video);                 // stored, then killed before the clean-up
    write_file(staged / "vfake1--avatar.mp4.part.etag", "\"e1\"\n");  // renamed, then killed
    write_file(staged / "vfake1--mask.mp4.part", video.substr(0, 5000));
    write_file(staged / "vfake1--mask.mp4.part.etag", "\"e2\"\n");
    write_file(staged / "vgone--avatar.mp4.part", video.substr(0, 3000));  // a job no catalog knows
    const std::string creating = "catalog.db.new-" + std::to_string(dead) + "-0";
    write_file(root / creating, "");
    write_file(root / (creating + "-wal"), "half a log");
    // And a file stored but not yet verified when its run died, with its staged copy.
    std::int64_t stale = 0;
    {
        SqliteCatalog c(Catalog::file_in(root));
        LocalStore store(root);
        stale = c.add_asset(add_job(c, "a2v", "vold"), "avatar", "avatar.mp4", "");
        ASSERT_TRUE(c.claim(stale, dead_owner(), std::chrono::seconds(60)));
        archive_claimed_file(c, store, c.asset(stale), dead_owner(), sample_video());
    }
    write_file(staged / "vold--avatar.mp4", video);

    ::setenv("AVPOST_A2V_BASE_URL", fake.http.url("").c_str(), 1);
    ::setenv("A2V_TOKEN", "fake-token", 1);
    auto r = run(avpost_cmd(root, "sync --vendor a2v --json"));
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
    EXPECT_EQ(nlohmann::json::parse(r.out)["verified"], 1) << r.out;  // vold
    EXPECT_EQ(count_files(root / "partial", ""), 0) << "leftovers in partial/";
    EXPECT_FALSE(fs::exists(root / creating));
    EXPECT_FALSE(fs::exists(root / (creating + "-wal")));
    SqliteCatalog c(Catalog::file_in(root));
    EXPECT_EQ(c.asset(stale).state, AssetState::verified);
}

// Files in partial/ are kept while they can still be used: a partial download of a file still to
// be archived is resumed by its next claim; the rest goes.
TEST_F(ArchiveSyncFaults, TheCleanUpKeepsPartialDownloadsOfFilesStillToBeArchived) {
    SqliteCatalog c(Catalog::file_in(root));
    std::int64_t job = add_job(c, "a2v", "vwait");
    c.add_asset(job, "avatar", "avatar.mp4", "");
    std::int64_t done = c.add_asset(job, "mask", "mask.mp4", "");
    ASSERT_TRUE(c.claim(done, "w", std::chrono::seconds(60)));
    LocalStore store(root);
    archive_claimed_file(c, store, c.asset(done), "w", sample_video());
    const fs::path staged = root / "partial" / "a2v";
    fs::create_directories(staged);
    for (const char* f : {"vwait--avatar.mp4.part", "vwait--avatar.mp4.part.etag", "vwait--mask.mp4.part",
                          "vwait--mask.mp4.part.etag"})
        write_file(staged / f, "x");
    EXPECT_EQ(clean_staging(c, root / "partial"), 2);
    EXPECT_TRUE(fs::exists(staged / "vwait--avatar.mp4.part"));
    EXPECT_TRUE(fs::exists(staged / "vwait--avatar.mp4.part.etag"));
    EXPECT_FALSE(fs::exists(staged / "vwait--mask.mp4.part"));
}

TEST_F(ArchiveSyncFaults, ALocalCopyChangedAfterDownloadIsNotStoredAndIsFetchedAgain) {
    FakeA2v fake;
    SyncOptions o = options();
    o.fetch.before_store = [](const fs::path& file) {
        std::string bytes = read_file(file);
        bytes[bytes.size() / 2] ^= 0x5a;  // a bit flip on the local disk
        write_file(file, bytes);
    };
    SyncReport r = sync_vendor(o, api(fake));
    EXPECT_EQ(r.verified, 0) << to_json(r).dump();
    for (auto& [name, a] : assets()) {
        EXPECT_EQ(a.state, AssetState::pending) << name;
        EXPECT_NE(a.error.find("local copy changed after it was downloaded"), std::string::npos) << a.error;
    }
    EXPECT_EQ(count_files(root / "a2v", ".mp4"), 0);
    SyncReport again = sync_vendor(options(), api(fake));
    EXPECT_EQ(again.verified, 2) << to_json(again).dump();
}

TEST_F(ArchiveSyncFaults, AStoredCopyThatDiffersIsCaughtByTheReadBack) {
    FakeA2v fake;
    SyncOptions o = options();
    // A store that keeps something else than it was given (a broken disk or bucket).
    struct LyingStore final : ArchiveStore {
        LocalStore inner;
        explicit LyingStore(fs::path r) : inner(std::move(r)) {}
        std::string uri() const override { return inner.uri(); }
        ObjectInfo put(const fs::path& f, const std::string& k, const std::string& h, std::int64_t s) override {
            ObjectInfo i = inner.put(f, k, h, s);
            std::string bytes = read_file(inner.path_of(k));
            bytes.back() ^= 1;
            write_file(inner.path_of(k), bytes);
            return i;
        }
        ObjectInfo replace(const fs::path& f, const std::string& k, const std::string& h, std::int64_t s) override {
            return inner.replace(f, k, h, s);
        }
        std::optional<ObjectInfo> stat(const std::string& k) override { return inner.stat(k); }
        ObjectDigest rehash(const std::string& k) override { return inner.rehash(k); }
        ObjectDigest read(const std::string& k, const std::function<void(const char*, std::size_t)>& s) override {
            return inner.read(k, s);
        }
    };
    fs::path r0 = root;
    o.open_store = [r0] { return std::make_unique<LyingStore>(r0); };
    SyncReport r = sync_vendor(o, api(fake));
    EXPECT_EQ(r.verified, 0) << to_json(r).dump();
    EXPECT_EQ(r.failed, 2);
    for (auto& [name, a] : assets()) {
        EXPECT_EQ(a.state, AssetState::failed) << name;
        EXPECT_NE(a.error.find("verify after store"), std::string::npos) << a.error;
    }
}

TEST_F(ArchiveSyncFaults, SigtermMidDownloadReleasesTheClaimAndTheNextRunFinishes) {
    FakeA2v fake;
    fake.slow_ms = 100;  // about 3 s per file
    ::setenv("AVPOST_A2V_BASE_URL", fake.http.url("").c_str(), 1);
    ::setenv("A2V_TOKEN", "fake-token", 1);
    Background sync({"archive", "--archive", root.string(), "sync", "--vendor", "a2v", "--json"}, root.parent_path(),
                    root.filename().string() + "-term");
    ASSERT_TRUE(eventually([&] { return count_files(root / "partial", ".part") > 0; })) << read_file(sync.err);
    sync.kill(SIGTERM);
    EXPECT_EQ(sync.wait(), 130) << read_file(sync.err);
    for (auto& [name, a] : assets()) {
        EXPECT_EQ(a.state, AssetState::pending) << name << ": the claim was not given back";
        EXPECT_TRUE(a.claim_owner.empty()) << name;
    }
    EXPECT_EQ(count_files(root / "a2v", ".mp4"), 0);
    fake.slow_ms = 0;
    auto r = run(avpost_cmd(root, "sync --vendor a2v --json"));
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
    EXPECT_EQ(nlohmann::json::parse(r.out)["verified"], 2);
}

TEST_F(ArchiveSyncFaults, AFinishedDownloadOfAStoppedRunIsUsedAndAnUnusableOneDiscarded) {
    FakeA2v fake;
    SyncOptions o = options();
    o.fetch.before_store = [](const fs::path&) { throw std::runtime_error("stopped before storing"); };
    SyncReport first = sync_vendor(o, api(fake));
    EXPECT_EQ(first.retry_later, 2) << to_json(first).dump();
    EXPECT_EQ(count_files(root / "partial", ".mp4"), 2);
    // One staged file is damaged meanwhile: it is not used, it is downloaded again.
    for (auto& e : fs::recursive_directory_iterator(root / "partial"))
        if (e.path().filename().string().ends_with("mask.mp4")) write_file(e.path(), "garbage");
    int before = fake.file_requests;
    SyncReport again = sync_vendor(options(), api(fake));
    EXPECT_EQ(again.verified, 2) << to_json(again).dump();
    EXPECT_EQ(fake.file_requests - before, 1) << "only the damaged file is fetched again";
    for (const auto& i : again.items) EXPECT_EQ(i.reused_download, i.name == "avatar.mp4") << i.name;
    EXPECT_EQ(count_files(root / "partial", ".mp4"), 0);
}

TEST_F(ArchiveSyncFaults, ALeaseIsKeptAliveWhileADownloadOutlastsIt) {
    FakeA2v fake;
    fake.slow_ms = 15;  // about 2 s per file, twice the lease
    SyncOptions o = options();
    o.jobs = 2;  // both files claimed at once
    o.fetch.lease = std::chrono::seconds(1);
    SyncReport report;
    std::thread sync([&] { report = sync_vendor(o, api(fake)); });
    ASSERT_TRUE(eventually([&] { return count_files(root / "partial", ".part") == 2; }));
    int taken = 0;
    for (int i = 0; i < 8; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        SqliteCatalog other(Catalog::file_in(root));
        ClaimFilter f;
        f.vendor = "a2v";
        if (auto a = other.claim_next_for("intruder", std::chrono::seconds(60), f)) {
            ++taken;
            other.release(a->id, "intruder", "test", true);
        }
    }
    sync.join();
    EXPECT_EQ(taken, 0) << "a claim being downloaded was taken over after its lease";
    EXPECT_EQ(report.verified, 2) << to_json(report).dump();
}

TEST_F(ArchiveSyncFaults, AFullDiskLeavesCatalogAndStoreConsistentAndTheNextRunFinishes) {
    FakeA2v fake;
    ::setenv("AVPOST_A2V_BASE_URL", fake.http.url("").c_str(), 1);
    ::setenv("A2V_TOKEN", "fake-token", 1);
    ::setenv("AVPOST_HTTP_MAX_ATTEMPTS", "2", 1);
    // No file of the process may grow past the limit, as on a full disk: at 100 KB the catalog's
    // write-ahead log hits it first, at 120 KB the 122 KB downloads do. The catalog is made first,
    // without a limit: its empty schema alone (about 116 KB since the webhook outbox) is more than
    // 100 KB, and a catalog that cannot be made is ASyncThatCannotCreateTheCatalog's case.
    { SqliteCatalog made(Catalog::file_in(root)); }
    for (rlim_t kb : {100, 120}) {
        Background limited({"archive", "--archive", root.string(), "sync", "--vendor", "a2v", "--json"},
                           root.parent_path(), root.filename().string() + "-full" + std::to_string(kb), [kb] {
                               ::signal(SIGXFSZ, SIG_IGN);
                               rlimit limit{kb * 1024, kb * 1024};
                               ::setrlimit(RLIMIT_FSIZE, &limit);
                           });
        int rc = limited.wait();
        std::string err = read_file(limited.err);
        EXPECT_EQ(rc, 4) << kb << " KB: " << err << read_file(limited.out);  // cannot write: documented exit 4
        EXPECT_NE(err.find("full disk"), std::string::npos) << err;
        EXPECT_NE(err.find("File too large"), std::string::npos) << err;
        EXPECT_FALSE(std::regex_search(err, std::regex("SELECT|INSERT|UPDATE|PRAGMA"))) << err;
        for (auto& [name, a] : assets()) EXPECT_NE(a.state, AssetState::verified) << name;
        EXPECT_EQ(count_files(root / "a2v", ".mp4"), 0) << "a partial file reached the store";
    }

    auto r = run(avpost_cmd(root, "sync --vendor a2v --json"));
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
    EXPECT_EQ(nlohmann::json::parse(r.out)["verified"], 2);
    std::string expected = sha256_hex(fake.files["good.mp4"]);
    for (auto& [name, a] : assets()) {
        EXPECT_EQ(a.state, AssetState::verified) << name;
        EXPECT_EQ(a.sha256, expected) << name;
    }
    EXPECT_EQ(count_files(root / "a2v", ".mp4"), 2);
    EXPECT_EQ(count_files(root, ".part"), 0);
}

// A full disk before there is any catalog: one line saying so, exit 4, and no empty catalog.db.
TEST_F(ArchiveSyncFaults, ASyncThatCannotCreateTheCatalogExits4AndLeavesNoEmptyCatalog) {
    FakeA2v fake;
    ::setenv("AVPOST_A2V_BASE_URL", fake.http.url("").c_str(), 1);
    ::setenv("A2V_TOKEN", "fake-token", 1);
    Background full({"archive", "--archive", root.string(), "sync", "--vendor", "a2v"}, root.parent_path(),
                    root.filename().string() + "-nothing", [] {
                        ::signal(SIGXFSZ, SIG_IGN);
                        rlimit room{4096, 4096};  // its messages fit, a catalog (or its WAL index) does not
                        ::setrlimit(RLIMIT_FSIZE, &room);
                    });
    EXPECT_EQ(full.wait(), 4) << read_file(full.err);
    std::string err = read_file(full.err);
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
    EXPECT_NE(err.find("full disk"), std::string::npos) << err;
    EXPECT_NE(err.find("catalog.db"), std::string::npos) << err;
    EXPECT_FALSE(fs::exists(Catalog::file_in(root))) << "a catalog.db of " << fs::file_size(Catalog::file_in(root))
                                                      << " bytes was left";
    EXPECT_TRUE(fs::is_empty(root));
}

// verify reads: it works where nothing can be written, and leaves the catalog as it was.
TEST_F(ArchiveSyncFaults, VerifyWorksOnAFullDiskAndLeavesTheCatalogAsItWas) {
    FakeA2v fake;
    ASSERT_EQ(sync_vendor(options(), api(fake)).verified, 2);
    const std::string before = read_file(Catalog::file_in(root));
    Background verify({"archive", "--archive", root.string(), "verify"}, root.parent_path(),
                      root.filename().string() + "-verify", [] {
                          ::signal(SIGXFSZ, SIG_IGN);
                          rlimit room{4096, 4096};  // its report fits, no catalog write does
                          ::setrlimit(RLIMIT_FSIZE, &room);
                      });
    EXPECT_EQ(verify.wait(), 0) << read_file(verify.err);
    EXPECT_NE(read_file(verify.out).find("2 checked, 2 ok, 0 bad"), std::string::npos) << read_file(verify.out);
    EXPECT_NE(read_file(verify.err).find("not recorded"), std::string::npos) << read_file(verify.err);
    EXPECT_EQ(read_file(Catalog::file_in(root)), before);
    // With room again, verify works as before (and records when it verified).
    auto again = run(avpost_cmd(root, "verify"));
    EXPECT_EQ(again.exit_code, 0) << again.err;
    EXPECT_TRUE(again.err.empty()) << again.err;
}

TEST_F(ArchiveSyncFaults, AStoredButUnverifiedFileIsVerifiedByTheNextSync) {
    FakeA2v fake;
    std::int64_t stale = 0;
    {
        // A run that stopped right after the store confirmed a file, before it was read back.
        SqliteCatalog c(Catalog::file_in(root));
        LocalStore store(root);
        stale = c.add_asset(add_job(c, "a2v", "vold"), "avatar", "avatar.mp4", "");
        ASSERT_TRUE(c.claim(stale, dead_owner(), std::chrono::seconds(60)));
        archive_claimed_file(c, store, c.asset(stale), dead_owner(), sample_video());
        ASSERT_EQ(c.asset(stale).state, AssetState::stored);
    }
    SyncReport r = sync_vendor(options(), api(fake));
    EXPECT_EQ(r.verified, 3) << to_json(r).dump();  // vfake1's two files and the stale one
    SqliteCatalog c(Catalog::file_in(root));
    EXPECT_EQ(c.asset(stale).state, AssetState::verified);
}

// A failure is never final while the vendor offers the file: after the runs that retry at once,
// the file waits for its backoff (kept in the catalog), every run says so and fails, and once the
// backoff has passed a run tries it again.
TEST_F(ArchiveSyncFaults, ATransientFailureIsRetriedAfterABackoffOnceTheImmediateRetriesAreSpent) {
    FakeA2v fake;
    fake.error_status = 503;
    SyncOptions o = options();
    o.fetch.max_claims = 2;
    SyncReport first = sync_vendor(o, api(fake));
    EXPECT_EQ(first.retry_later, 2) << to_json(first).dump();
    SyncReport second = sync_vendor(o, api(fake));
    EXPECT_EQ(second.failed, 2) << to_json(second).dump();
    for (auto& [name, a] : assets()) {
        EXPECT_EQ(a.state, AssetState::failed) << name;
        EXPECT_NE(a.error.find("failed 2 times"), std::string::npos) << a.error;
        ASSERT_TRUE(a.retry_after.has_value()) << name;
        EXPECT_GT(*a.retry_after, unix_now()) << "waits for its backoff";
        EXPECT_EQ(a.retry_backoff, 60);
    }
    fake.error_status = 0;  // the CDN is back, but the backoff has not passed
    SyncReport waiting = sync_vendor(o, api(fake));
    EXPECT_TRUE(waiting.items.empty()) << to_json(waiting).dump();
    EXPECT_FALSE(waiting.complete()) << "files left for a later run are never a success";
    ASSERT_EQ(waiting.unarchived.size(), 2u);
    for (const UnarchivedFile& u : waiting.unarchived) {
        EXPECT_EQ(u.state, AssetState::failed);
        EXPECT_TRUE(u.retry_after.has_value());
        EXPECT_EQ(u.link_expires_at, 4102444800);
        EXPECT_NE(describe(u, unix_now()).find("retried in"), std::string::npos) << describe(u, unix_now());
    }
    {  // the backoff passes (as an hour would)
        SqliteCatalog c(Catalog::file_in(root));
        ASSERT_EQ(sqlite3_exec(c.handle(), "UPDATE assets SET retry_after = 1", nullptr, nullptr, nullptr), SQLITE_OK);
    }
    SyncReport retried = sync_vendor(o, api(fake));
    EXPECT_EQ(retried.verified, 2) << to_json(retried).dump();
    EXPECT_TRUE(retried.complete());
    EXPECT_TRUE(retried.unarchived.empty());
    for (auto& [name, a] : assets()) {
        EXPECT_EQ(a.state, AssetState::verified) << name;
        EXPECT_FALSE(a.retry_after.has_value());
    }
}
