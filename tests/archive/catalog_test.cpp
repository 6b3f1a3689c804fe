// The SQLite catalog's own behaviour: its file, WAL, schema versions and migrations from older
// avpost versions, read-only opening, a full disk. What every backend does alike is in
// catalog_contract_test.cpp.
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
#include "avpost/archive/sqlite_catalog.hpp"
#include "avpost/core/error.hpp"

using namespace avpost;
using namespace avpost::archive;
using namespace avpost::test;

namespace {

std::string query_text(SqliteCatalog& c, const std::string& sql) {
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
    f.store_key = "k";
    return f;
}

CatalogOptions options_with(const std::vector<Migration>* migrations, std::optional<int> target = std::nullopt) {
    CatalogOptions o;
    o.migrations = migrations;
    o.target_version = target;
    return o;
}


}  // namespace

TEST(ArchiveCatalog, CreatesLatestSchemaInWalWithForeignKeys) {
    auto dir = make_temp_dir("catalog");
    SqliteCatalog c(Catalog::file_in(dir));
    EXPECT_EQ(c.schema_version(), SqliteCatalog::latest_schema_version());
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
        SqliteCatalog v1(Catalog::file_in(dir), options_with(nullptr, 1));
        EXPECT_EQ(v1.schema_version(), 1);
        EXPECT_EQ(query_text(v1, "SELECT name FROM sqlite_master WHERE name = 'jobs_by_link_expiry'"), "");
        asset_id = v1.add_asset(add_job(v1, "akool", "job-1"), "avatar", "avatar.mp4", "https://cdn/x.mp4");
    }
    SqliteCatalog now(Catalog::file_in(dir));
    EXPECT_EQ(now.schema_version(), SqliteCatalog::latest_schema_version());
    EXPECT_EQ(query_text(now, "SELECT name FROM sqlite_master WHERE name = 'jobs_by_link_expiry'"),
              "jobs_by_link_expiry");
    EXPECT_EQ(now.asset(asset_id).name, "avatar.mp4");
    EXPECT_EQ(now.find_job("akool", "job-1")->request["avatar_id"], "demo");
}

TEST(ArchiveCatalog, RefusesACatalogFromANewerAvpost) {
    auto dir = make_temp_dir("catalog");
    { SqliteCatalog c(Catalog::file_in(dir)); }
    {
        sqlite3* db = nullptr;
        ASSERT_EQ(sqlite3_open(Catalog::file_in(dir).c_str(), &db), SQLITE_OK);
        ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr), SQLITE_OK);
        sqlite3_close(db);
    }
    try {
        SqliteCatalog c(Catalog::file_in(dir));
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
    { SqliteCatalog c(Catalog::file_in(dir), options_with(&good)); }
    try {
        SqliteCatalog c(Catalog::file_in(dir), options_with(&bad));
        FAIL() << "a broken migration was applied";
    } catch (const Error& e) {
        EXPECT_EQ(e.domain(), ErrorDomain::sqlite);
        EXPECT_NE(std::string(e.what()).find("version 2"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("no_such_table"), std::string::npos) << e.what();
    }
    SqliteCatalog c(Catalog::file_in(dir), options_with(&good));
    EXPECT_EQ(c.schema_version(), 1);
    EXPECT_EQ(query_text(c, "SELECT count(*) FROM sqlite_master WHERE name = 'u'"), "0");
}

// (That stored URLs are redacted is in the contract suite; here: no secret in the file's bytes.)
TEST(ArchiveCatalog, TheCatalogFileHoldsNoSecrets) {
    auto dir = make_temp_dir("catalog");
    SqliteCatalog c(Catalog::file_in(dir));
    std::int64_t job = add_job(c, "akool", "j");
    std::int64_t id = c.add_asset(job, "avatar", "avatar.mp4",
                                  "https://user:pass@cdn.example.com/v/1.mp4?X-Amz-Signature=deadbeef&token=s3cret#t");
    EXPECT_EQ(c.asset(id).source_url, "https://cdn.example.com/v/1.mp4");
    EXPECT_EQ(redact_url("http://h/p"), "http://h/p");
    EXPECT_EQ(redact_url("http://h?x=1"), "http://h");
    std::string bytes = read_file(Catalog::file_in(dir)) + read_file(fs::path(Catalog::file_in(dir).string() + "-wal"));
    EXPECT_EQ(bytes.find("deadbeef"), std::string::npos);
    EXPECT_EQ(bytes.find("s3cret"), std::string::npos);
    EXPECT_EQ(bytes.find("pass@"), std::string::npos);
}

TEST(ArchiveCatalog, AssetsExpiredFromFailedDownloadsAloneArePendingAgainAfterTheUpgrade) {
    auto dir = make_temp_dir("catalog");
    std::int64_t wrongly = 0, rightly = 0;
    {
        SqliteCatalog v3(Catalog::file_in(dir), options_with(nullptr, 3));
        wrongly = v3.add_asset(add_job(v3, "a2v", "storm"), "avatar", "avatar.mp4", "");
        rightly = v3.add_asset(add_job(v3, "a2v", "gone"), "avatar", "avatar.mp4", "");
        // The rows an older avpost left (written as SQL: today's statements name newer columns).
        const auto expire = [&](std::int64_t id, const std::string& error) {
            query_text(v3, "UPDATE assets SET state = 'expired-before-archived', attempts = 1, error = '" + error +
                               "' WHERE id = " + std::to_string(id));
        };
        expire(wrongly, "the vendor link expired before the file was archived: the link still fails after 2 fresh "
                        "links: download http://cdn/x.mp4: HTTP 403: the signed link has expired or was revoked");
        expire(rightly, "the vendor link expired before the file was archived: the vendor no longer knows job gone");
    }
    SqliteCatalog now(Catalog::file_in(dir));
    EXPECT_EQ(now.asset(wrongly).state, AssetState::pending) << now.asset(wrongly).error;
    EXPECT_TRUE(now.asset(wrongly).claim_owner.empty());
    EXPECT_EQ(now.asset(rightly).state, AssetState::expired_before_archived);
}

// SQLite's own "full" (max_page_count stands in for a full disk): one line that says the disk is
// full, as an output error (exit 4), without the SQL statement.
TEST(ArchiveCatalog, AFullCatalogSaysTheDiskIsFullInOneLineWithoutSql) {
    auto dir = make_temp_dir("catalog");
    SqliteCatalog c(Catalog::file_in(dir));
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
            SqliteCatalog c(Catalog::file_in(dir));
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
    SqliteCatalog c(Catalog::file_in(dir));
    EXPECT_EQ(c.schema_version(), SqliteCatalog::latest_schema_version());
}

TEST(ArchiveCatalog, AReadOnlyCatalogReadsWithoutWritingOrCreatingAnything) {
    auto dir = make_temp_dir("catalog");
    {
        SqliteCatalog c(Catalog::file_in(dir));
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
        SqliteCatalog c(Catalog::file_in(dir), ro);
        EXPECT_EQ(c.list().size(), 1u);
        EXPECT_EQ(c.verify_candidates(std::nullopt).size(), 1u);
        EXPECT_THROW(c.add_asset(add_job(c, "a2v", "no"), "avatar", "a.mp4", ""), Error);
    }
    EXPECT_EQ(listing(), before) << "a read-only open created files";
    EXPECT_EQ(read_file(Catalog::file_in(dir)), bytes);
    EXPECT_EQ(fs::last_write_time(Catalog::file_in(dir)), mtime);
    // And it works where nothing can be written at all.
    EXPECT_EQ(with_no_room([&] {
                  SqliteCatalog c(Catalog::file_in(dir), ro);
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
    SqliteCatalog c(Catalog::file_in(dir));
    EXPECT_FALSE(fs::exists(dir / stem));
    EXPECT_FALSE(fs::exists(dir / (stem + "-wal")));
    EXPECT_TRUE(fs::exists(live)) << "removed what a live process is creating";
}
