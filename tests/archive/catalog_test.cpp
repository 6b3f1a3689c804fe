// The catalog: schema versioning and migrations, constraints, redaction, claims across processes.
#include <signal.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include "archive_test_support.hpp"
#include "avpost/archive/catalog.hpp"
#include "avpost/core/error.hpp"

using namespace avpost;
using namespace avpost::archive;
using namespace avpost::test;

namespace {

std::string query_text(Catalog& c, const std::string& sql) {
    sqlite3_stmt* s = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(c.handle(), sql.c_str(), -1, &s, nullptr), SQLITE_OK) << sql;
    std::string out;
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
        out = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    return out;
}

StoredFacts stored_facts(char hash_digit) {
    StoredFacts f;
    f.size = 1;
    f.sha256 = std::string(64, hash_digit);
    f.store_uri = "file:///x";
    f.store_key = std::string(1, 'k');  // not = "k": gcc 12 -Wrestrict false positive
    return f;
}

CatalogOptions options_with(const std::vector<Migration>* migrations, std::optional<int> target = std::nullopt) {
    CatalogOptions o;
    o.migrations = migrations;
    o.target_version = target;
    return o;
}

ListQuery query_at(std::int64_t now, std::optional<std::int64_t> expiring = {}, std::optional<AssetState> state = {}) {
    ListQuery q;
    q.now = now;
    q.expiring_within = expiring;
    q.state = state;
    return q;
}

}  // namespace

TEST(ArchiveCatalog, CreatesLatestSchemaInWalWithForeignKeys) {
    auto dir = make_temp_dir("catalog");
    Catalog c(Catalog::file_in(dir));
    EXPECT_EQ(c.schema_version(), Catalog::latest_schema_version());
    EXPECT_EQ(query_text(c, "PRAGMA journal_mode"), "wal");
    EXPECT_EQ(query_text(c, "PRAGMA foreign_keys"), "1");
    EXPECT_TRUE(fs::exists(dir / "catalog.db"));
}

TEST(ArchiveCatalog, MigrationsAreContiguousFromOne) {
    const auto& m = catalog_migrations();
    ASSERT_FALSE(m.empty());
    for (std::size_t i = 0; i < m.size(); ++i) EXPECT_EQ(m[i].version, int(i) + 1);
}

TEST(ArchiveCatalog, UpgradesAnOldCatalogKeepingItsData) {
    auto dir = make_temp_dir("catalog");
    std::int64_t asset_id = 0;
    {
        Catalog v1(Catalog::file_in(dir), options_with(nullptr, 1));
        EXPECT_EQ(v1.schema_version(), 1);
        EXPECT_EQ(query_text(v1, "SELECT name FROM sqlite_master WHERE name = 'jobs_by_link_expiry'"), "");
        asset_id = v1.add_asset(add_job(v1, "akool", "job-1"), "avatar", "avatar.mp4", "https://cdn/x.mp4");
    }
    Catalog now(Catalog::file_in(dir));
    EXPECT_EQ(now.schema_version(), Catalog::latest_schema_version());
    EXPECT_EQ(query_text(now, "SELECT name FROM sqlite_master WHERE name = 'jobs_by_link_expiry'"),
              "jobs_by_link_expiry");
    EXPECT_EQ(now.asset(asset_id).name, "avatar.mp4");
    EXPECT_EQ(now.find_job("akool", "job-1")->request["avatar_id"], "demo");
}

TEST(ArchiveCatalog, RefusesACatalogFromANewerAvpost) {
    auto dir = make_temp_dir("catalog");
    { Catalog c(Catalog::file_in(dir)); }
    {
        sqlite3* db = nullptr;
        ASSERT_EQ(sqlite3_open(Catalog::file_in(dir).c_str(), &db), SQLITE_OK);
        ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr), SQLITE_OK);
        sqlite3_close(db);
    }
    try {
        Catalog c(Catalog::file_in(dir));
        FAIL() << "opened a catalog with schema version 99";
    } catch (const Error& e) {
        EXPECT_EQ(e.domain(), ErrorDomain::sqlite);
        EXPECT_NE(std::string(e.what()).find("99"), std::string::npos) << e.what();
    }
}

TEST(ArchiveCatalog, AFailingMigrationLeavesThePreviousVersionWhole) {
    auto dir = make_temp_dir("catalog");
    std::vector<Migration> good = {{1, "CREATE TABLE t (x INTEGER);"}};
    std::vector<Migration> bad = {{1, "CREATE TABLE t (x INTEGER);"},
                                  {2, "CREATE TABLE u (y INTEGER); INSERT INTO no_such_table VALUES (1);"}};
    { Catalog c(Catalog::file_in(dir), options_with(&good)); }
    try {
        Catalog c(Catalog::file_in(dir), options_with(&bad));
        FAIL() << "a broken migration was applied";
    } catch (const Error& e) {
        EXPECT_EQ(e.domain(), ErrorDomain::sqlite);
        EXPECT_NE(std::string(e.what()).find("version 2"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("no_such_table"), std::string::npos) << e.what();
    }
    Catalog c(Catalog::file_in(dir), options_with(&good));
    EXPECT_EQ(c.schema_version(), 1);
    EXPECT_EQ(query_text(c, "SELECT count(*) FROM sqlite_master WHERE name = 'u'"), "0");
}

TEST(ArchiveCatalog, JobsAreUniquePerVendorAndUpdatedInPlace) {
    auto dir = make_temp_dir("catalog");
    Catalog c(Catalog::file_in(dir));
    std::int64_t a = add_job(c, "akool", "same-id");
    std::int64_t b = add_job(c, "a2v", "same-id");
    EXPECT_NE(a, b);
    JobRecord again = c.job(a);
    again.status = "failed";
    again.link_expires_at = 12345;
    EXPECT_EQ(c.upsert_job(again), a);
    EXPECT_EQ(c.job(a).status, "failed");
    EXPECT_EQ(c.job(a).link_expires_at, 12345);
    EXPECT_FALSE(c.find_job("akool", "other").has_value());
}

TEST(ArchiveCatalog, StoresSourceUrlsWithoutSecrets) {
    auto dir = make_temp_dir("catalog");
    Catalog c(Catalog::file_in(dir));
    std::int64_t job = add_job(c, "akool", "j");
    std::int64_t id = c.add_asset(job, "avatar", "avatar.mp4",
                                  "https://user:pass@cdn.example.com/v/1.mp4?X-Amz-Signature=deadbeef&token=s3cret#t");
    EXPECT_EQ(c.asset(id).source_url, "https://cdn.example.com/v/1.mp4");
    EXPECT_EQ(redact_url("http://h/p"), "http://h/p");
    EXPECT_EQ(redact_url("http://h?x=1"), "http://h");
    // Nothing secret anywhere in the database file either.
    c.handle();
    std::string bytes = read_file(Catalog::file_in(dir)) + read_file(fs::path(Catalog::file_in(dir).string() + "-wal"));
    EXPECT_EQ(bytes.find("deadbeef"), std::string::npos);
    EXPECT_EQ(bytes.find("s3cret"), std::string::npos);
    EXPECT_EQ(bytes.find("pass@"), std::string::npos);
}

TEST(ArchiveCatalog, ConstraintsRejectBadRows) {
    auto dir = make_temp_dir("catalog");
    Catalog c(Catalog::file_in(dir));
    std::int64_t job = add_job(c, "akool", "j");
    EXPECT_THROW(c.add_asset(job, "poster", "x.jpg", ""), Error);       // unknown kind
    EXPECT_THROW(c.add_asset(job, "avatar", "../x.mp4", ""), Error);    // path in a name
    EXPECT_THROW(c.add_asset(job + 100, "avatar", "x.mp4", ""), Error); // no such job (foreign key)
    EXPECT_EQ(c.add_asset(job, "avatar", "x.mp4", ""), c.add_asset(job, "avatar", "x.mp4", ""));
    EXPECT_THROW(asset_state_from_string("done"), Error);
}

TEST(ArchiveCatalog, ClaimsAreExclusiveUntilTheLeaseExpires) {
    auto dir = make_temp_dir("catalog");
    Catalog c(Catalog::file_in(dir));
    std::int64_t id = c.add_asset(add_job(c, "akool", "j"), "avatar", "a.mp4", "");
    const std::int64_t t0 = 2000000000;
    auto first = c.claim_next("worker-a", std::chrono::seconds(60), t0);
    ASSERT_TRUE(first.has_value());
    EXPECT_EQ(first->id, id);
    EXPECT_EQ(first->state, AssetState::downloading);
    EXPECT_EQ(first->claim_owner, "worker-a");
    EXPECT_FALSE(c.claim_next("worker-b", std::chrono::seconds(60), t0 + 30).has_value());
    EXPECT_FALSE(c.claim(id, "worker-b", std::chrono::seconds(60), t0 + 30));

    // A stale lease (its owner died) is taken over; the old owner can then no longer finish.
    auto second = c.claim_next("worker-b", std::chrono::seconds(60), t0 + 61);
    ASSERT_TRUE(second.has_value());
    EXPECT_EQ(second->claim_owner, "worker-b");
    EXPECT_EQ(second->attempts, 2);
    StoredFacts facts = stored_facts('a');
    EXPECT_THROW(c.mark_stored(id, "worker-a", facts), Error);

    c.release(id, "worker-b", "No space left on device", true);
    EXPECT_EQ(c.asset(id).state, AssetState::pending);
    EXPECT_EQ(c.asset(id).error, "No space left on device");
    ASSERT_TRUE(c.claim(id, "worker-c", std::chrono::seconds(60), t0 + 100));
    c.mark_stored(id, "worker-c", facts);
    AssetRecord a = c.asset(id);
    EXPECT_EQ(a.state, AssetState::stored);
    EXPECT_EQ(a.error, "");
    EXPECT_EQ(a.claim_owner, "worker-c") << "held until read back and verified";
    EXPECT_FALSE(c.claim_next("worker-d", std::chrono::seconds(60), t0 + 1000).has_value());
    c.mark_verified(id);
    EXPECT_EQ(c.asset(id).claim_owner, "");
}

TEST(ArchiveCatalog, TwoProcessesNeverClaimTheSameAsset) {
    auto dir = make_temp_dir("catalog");
    const int assets = 60;
    {
        Catalog c(Catalog::file_in(dir));
        std::int64_t job = add_job(c, "akool", "many");
        for (int i = 0; i < assets; ++i) c.add_asset(job, "other", std::string("f").append(std::to_string(i)), "");
    }
    const int workers = 3;
    std::vector<pid_t> pids;
    for (int w = 0; w < workers; ++w) {
        pid_t pid = ::fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
            int rc = 0;
            try {
                // Each process has its own connection, as separate avpost runs would.
                Catalog c(Catalog::file_in(dir));
                std::ofstream log(dir / ("claims-" + std::to_string(w)));
                std::string owner = "worker-" + std::to_string(w);
                while (auto a = c.claim_next(owner, std::chrono::seconds(600))) log << a->id << "\n" << std::flush;
            } catch (const std::exception& e) {
                std::fprintf(stderr, "worker %d: %s\n", w, e.what());
                rc = 1;
            }
            ::_exit(rc);
        }
        pids.push_back(pid);
    }
    for (pid_t pid : pids) {
        int status = 0;
        ASSERT_EQ(::waitpid(pid, &status, 0), pid);
        EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    std::multiset<std::int64_t> claimed;
    Catalog c(Catalog::file_in(dir));
    for (int w = 0; w < workers; ++w) {
        std::ifstream in(dir / ("claims-" + std::to_string(w)));
        std::int64_t id;
        while (in >> id) {
            claimed.insert(id);
            EXPECT_EQ(c.asset(id).claim_owner, "worker-" + std::to_string(w));
        }
    }
    EXPECT_EQ(claimed.size(), std::size_t(assets));
    EXPECT_EQ(std::set<std::int64_t>(claimed.begin(), claimed.end()).size(), std::size_t(assets))
        << "an asset was claimed twice";
}

TEST(ArchiveCatalog, ListsWhatIsAtRiskAndExpiresWhatWasLost) {
    auto dir = make_temp_dir("catalog");
    Catalog c(Catalog::file_in(dir));
    const std::int64_t now = 2000000000;
    std::int64_t soon = c.add_asset(add_job(c, "akool", "soon", now + 2 * 3600), "avatar", "a.mp4", "");
    c.add_asset(add_job(c, "akool", "later", now + 48 * 3600), "avatar", "a.mp4", "");
    c.add_asset(add_job(c, "a2v", "never"), "avatar", "a.mp4", "");
    std::int64_t done = c.add_asset(add_job(c, "akool", "done", now + 3600), "avatar", "a.mp4", "");
    ASSERT_TRUE(c.claim(done, "w", std::chrono::seconds(60), now));
    c.mark_stored(done, "w", stored_facts('b'));

    auto risky = c.list(query_at(now, 24 * 3600));
    ASSERT_EQ(risky.size(), 1u);
    EXPECT_EQ(risky[0].asset.id, soon);
    EXPECT_EQ(risky[0].job.vendor_job_id, "soon");
    EXPECT_EQ(c.list(query_at(now)).size(), 4u);
    EXPECT_EQ(c.list(query_at(now, std::nullopt, AssetState::stored)).size(), 1u);

    EXPECT_EQ(c.expire_unarchived(now + 3 * 3600), 1);
    EXPECT_EQ(c.asset(soon).state, AssetState::expired_before_archived);
    EXPECT_EQ(c.asset(done).state, AssetState::stored);
    nlohmann::json j = to_json(c.asset(soon));
    EXPECT_EQ(j["state"], "expired-before-archived");
}

// An older avpost concluded "expired-before-archived" from failed downloads alone (403s while the
// vendor still handed out links). Upgrading the catalog puts those assets back to pending; what
// the vendor itself said was gone stays expired.
TEST(ArchiveCatalog, AssetsExpiredFromFailedDownloadsAloneArePendingAgainAfterTheUpgrade) {
    auto dir = make_temp_dir("catalog");
    std::int64_t wrongly = 0, rightly = 0;
    {
        Catalog v3(Catalog::file_in(dir), options_with(nullptr, 3));
        wrongly = v3.add_asset(add_job(v3, "a2v", "storm"), "avatar", "avatar.mp4", "");
        rightly = v3.add_asset(add_job(v3, "a2v", "gone"), "avatar", "avatar.mp4", "");
        ASSERT_TRUE(v3.claim(wrongly, "old", std::chrono::seconds(60)));
        v3.mark_expired(wrongly, "old",
                        "the vendor link expired before the file was archived: the link still fails after 2 fresh "
                        "links: download http://cdn/x.mp4: HTTP 403: the signed link has expired or was revoked");
        ASSERT_TRUE(v3.claim(rightly, "old", std::chrono::seconds(60)));
        v3.mark_expired(rightly, "old",
                        "the vendor link expired before the file was archived: the vendor no longer knows job gone");
    }
    Catalog now(Catalog::file_in(dir));
    EXPECT_EQ(now.asset(wrongly).state, AssetState::pending) << now.asset(wrongly).error;
    EXPECT_TRUE(now.asset(wrongly).claim_owner.empty());
    EXPECT_EQ(now.asset(rightly).state, AssetState::expired_before_archived);
}

// SQLite's own "full" (max_page_count stands in for a full disk): one line that says the disk is
// full, as an output error (exit 4), without the SQL statement.
TEST(ArchiveCatalog, AFullCatalogSaysTheDiskIsFullInOneLineWithoutSql) {
    auto dir = make_temp_dir("catalog");
    Catalog c(Catalog::file_in(dir));
    std::int64_t job = add_job(c, "a2v", "many");
    std::string pages = query_text(c, "PRAGMA page_count");
    query_text(c, "PRAGMA max_page_count = " + pages);
    try {
        for (int i = 0; i < 100000; ++i)
            c.add_asset(job, "other", "file-" + std::to_string(i) + std::string(200, 'x'), "");
        FAIL() << "the catalog never filled up";
    } catch (const Error& e) {
        std::string what = e.what();
        EXPECT_NE(dynamic_cast<const OutputError*>(&e), nullptr) << what;
        EXPECT_NE(what.find("disk is full"), std::string::npos) << what;
        EXPECT_NE(what.find("catalog.db"), std::string::npos) << what;
        EXPECT_EQ(what.find("INSERT"), std::string::npos) << what;
        EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    }
}

namespace {
// Runs `body` in a child whose files cannot grow at all (RLIMIT_FSIZE 0, SIGXFSZ ignored: every
// write fails with EFBIG, as on a full disk). Returns the child's exit code.
int with_no_room(const std::function<int()>& body) {
    pid_t pid = ::fork();
    if (pid == 0) {
        ::signal(SIGXFSZ, SIG_IGN);
        rlimit none{0, 0};
        ::setrlimit(RLIMIT_FSIZE, &none);
        int rc = 99;
        try {
            rc = body();
        } catch (...) {
            rc = 98;
        }
        ::_exit(rc);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}
}  // namespace

TEST(ArchiveCatalog, ACatalogThatCannotBeCreatedOnAFullDiskLeavesNoFileBehind) {
    auto dir = make_temp_dir("catalog");
    int rc = with_no_room([&] {
        try {
            Catalog c(Catalog::file_in(dir));
            return 2;
        } catch (const OutputError& e) {
            return std::string(e.what()).find("full disk") != std::string::npos ? 4 : 3;
        } catch (const Error&) {
            return 1;
        }
    });
    EXPECT_EQ(rc, 4) << "expected an output error that says the disk is full";
    std::vector<std::string> left;
    for (auto& e : fs::directory_iterator(dir)) left.push_back(e.path().filename().string());
    EXPECT_TRUE(left.empty()) << "left behind: " << (left.empty() ? "" : left.front());
    // With room again, it is created as usual.
    Catalog c(Catalog::file_in(dir));
    EXPECT_EQ(c.schema_version(), Catalog::latest_schema_version());
}

TEST(ArchiveCatalog, AReadOnlyCatalogReadsWithoutWritingOrCreatingAnything) {
    auto dir = make_temp_dir("catalog");
    {
        Catalog c(Catalog::file_in(dir));
        std::int64_t id = c.add_asset(add_job(c, "a2v", "ro"), "avatar", "avatar.mp4", "");
        ASSERT_TRUE(c.claim(id, "w", std::chrono::seconds(60)));
        c.mark_stored(id, "w", stored_facts('c'));
    }
    auto listing = [&] {
        std::set<std::string> names;
        for (auto& e : fs::directory_iterator(dir)) names.insert(e.path().filename().string());
        return names;
    };
    const auto before = listing();
    const std::string bytes = read_file(Catalog::file_in(dir));
    const auto mtime = fs::last_write_time(Catalog::file_in(dir));
    CatalogOptions ro;
    ro.read_only = true;
    {
        Catalog c(Catalog::file_in(dir), ro);
        EXPECT_EQ(c.list().size(), 1u);
        EXPECT_EQ(c.verify_candidates(std::nullopt).size(), 1u);
        EXPECT_THROW(c.add_asset(add_job(c, "a2v", "no"), "avatar", "a.mp4", ""), Error);
    }
    EXPECT_EQ(listing(), before) << "a read-only open created files";
    EXPECT_EQ(read_file(Catalog::file_in(dir)), bytes);
    EXPECT_EQ(fs::last_write_time(Catalog::file_in(dir)), mtime);
    // And it works where nothing can be written at all.
    EXPECT_EQ(with_no_room([&] {
                  Catalog c(Catalog::file_in(dir), ro);
                  return c.verify_candidates(std::nullopt).size() == 1 ? 0 : 1;
              }),
              0);
}

TEST(ArchiveCatalog, TemporariesOfACatalogCreationADeadProcessLeftAreRemoved) {
    auto dir = make_temp_dir("catalog");
    pid_t dead = ::fork();
    ASSERT_GE(dead, 0);
    if (dead == 0) ::_exit(0);
    ASSERT_EQ(::waitpid(dead, nullptr, 0), dead);
    const std::string stem = "catalog.db.new-" + std::to_string(dead) + "-0";
    write_file(dir / stem, "");
    write_file(dir / (stem + "-wal"), "half a log");
    fs::path live = dir / ("catalog.db.new-" + std::to_string(::getppid()) + "-0");
    write_file(live, "");
    Catalog c(Catalog::file_in(dir));
    EXPECT_FALSE(fs::exists(dir / stem));
    EXPECT_FALSE(fs::exists(dir / (stem + "-wal")));
    EXPECT_TRUE(fs::exists(live)) << "removed what a live process is creating";
}
