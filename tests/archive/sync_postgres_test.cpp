// `avpost archive sync|ls|verify|export` with a PostgreSQL catalog (a throwaway PostgreSQL 15) and
// one shared directory store, against the in-process sandbox: what two machines sharing one
// catalog and one store would do.
#include "sync_test_support.hpp"

#include <set>

#include "avpost/archive/catalog.hpp"
#include "postgres_server.hpp"

using namespace avpost;
using namespace avpost::archive;
using namespace avpost::test;

namespace {

[[maybe_unused]] auto* const postgres = ::testing::AddGlobalTestEnvironment(new PostgresEnvironment);

class ArchiveSyncPostgres : public ::testing::Test {
protected:
    void SetUp() override {
        catalog = fresh_database();  // first: the server's guardian is forked before any thread runs
        server = start_sandbox_for_cli(quick_sandbox());
        base = make_temp_dir("sync-pg");
        store = base / "shared-store";
        fs::create_directories(store);
    }
    void TearDown() override {
        if (server) server->stop();
        fs::remove_all(base);
    }
    // One "machine": its own archive root (staging), the shared catalog and store.
    std::string on_machine(const std::string& machine, const std::string& args) const {
        return shell_quote(AVPOST_BINARY) + " archive --archive " + shell_quote((base / machine).string()) +
               " --catalog " + shell_quote(catalog) + " " + args;
    }
    std::string sync_args(int jobs) const {
        return "sync --vendor a2v --jobs " + std::to_string(jobs) + " --store " + shell_quote(store.string()) + " --json";
    }

    std::unique_ptr<sandbox::SandboxServer> server;
    fs::path base, store;
    std::string catalog;
};

}  // namespace

TEST_F(ArchiveSyncPostgres, SyncArchivesIntoTheSharedStoreAndVerifiesClean) {
    finished_a2v_renders(*server, 2);
    CommandResult r = run(on_machine("a", sync_args(2)));
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
    nlohmann::json out = nlohmann::json::parse(r.out);
    EXPECT_EQ(out["verified"], 4);
    EXPECT_TRUE(out["complete"].get<bool>());
    EXPECT_FALSE(fs::exists(base / "a" / "catalog.db")) << "a SQLite catalog was made beside the PostgreSQL one";

    // The catalog in PostgreSQL holds every file, stored in the shared directory.
    std::unique_ptr<Catalog> c = open_catalog(catalog);
    std::vector<ListRow> rows = c->list();
    ASSERT_EQ(rows.size(), 4u);
    for (const ListRow& row : rows) {
        EXPECT_EQ(row.asset.state, AssetState::verified) << row.asset.name << ": " << row.asset.error;
        ASSERT_TRUE(row.asset.size.has_value());
        EXPECT_EQ(std::int64_t(fs::file_size(store / row.asset.store_key)), *row.asset.size);
        EXPECT_EQ(sha256_hex(read_file(store / row.asset.store_key)), row.asset.sha256);
        EXPECT_EQ(row.asset.source_url.find("Signature"), std::string::npos);
    }

    // Another machine lists and verifies the same archive through the catalog alone.
    CommandResult ls = run(on_machine("b", "ls --json"));
    ASSERT_EQ(ls.exit_code, 0) << ls.err;
    EXPECT_EQ(nlohmann::json::parse(ls.out)["assets"].size(), 4u);
    CommandResult verify = run(on_machine("b", "verify --all --json"));
    ASSERT_EQ(verify.exit_code, 0) << verify.err << verify.out;
    nlohmann::json report = nlohmann::json::parse(verify.out);
    EXPECT_EQ(report["checked"], 4);
    EXPECT_EQ(report["ok"], 4);
    EXPECT_EQ(report["bad"], 0);

    // AVPOST_CATALOG names the catalog when --catalog is not given.
    CommandResult env = run("AVPOST_CATALOG=" + shell_quote(catalog) + " " + shell_quote(AVPOST_BINARY) +
                            " archive --archive " + shell_quote((base / "c").string()) + " ls --state verified --json");
    ASSERT_EQ(env.exit_code, 0) << env.err;
    EXPECT_EQ(nlohmann::json::parse(env.out)["assets"].size(), 4u);

    // A second sync has nothing left to do; export copies a job's files out of the shared store.
    CommandResult again = run(on_machine("b", sync_args(1)));
    ASSERT_EQ(again.exit_code, 0) << again.err;
    EXPECT_TRUE(nlohmann::json::parse(again.out)["items"].empty());
    CommandResult exported = run(on_machine("b", "export " + rows[0].job.vendor_job_id + " -o " +
                                                     shell_quote((base / "exported").string()) + " --json"));
    ASSERT_EQ(exported.exit_code, 0) << exported.err;
    EXPECT_FALSE(nlohmann::json::parse(exported.out)["files"].empty());

    // A changed file is found by a verify run anywhere and recorded in the shared catalog.
    write_file(store / rows[0].asset.store_key, "not the video");
    CommandResult bad = run(on_machine("c", "verify --all"));
    EXPECT_EQ(bad.exit_code, 20) << bad.out << bad.err;
    EXPECT_EQ(c->asset(rows[0].asset.id).state, AssetState::failed);
}

TEST_F(ArchiveSyncPostgres, TwoMachinesSyncingAtOnceArchiveEachFileOnce) {
    finished_a2v_renders(*server, 4);
    // Both start together; each claims with SKIP LOCKED from the shared catalog.
    auto machine = [&](const std::string& name) {
        return "(" + on_machine(name, sync_args(2)) + " > " + shell_quote((base / (name + ".json")).string()) +
               "; echo $? > " + shell_quote((base / (name + ".rc")).string()) + ")";
    };
    CommandResult both = run(machine("a") + " & " + machine("b") + "; wait");
    ASSERT_EQ(both.exit_code, 0) << both.err;
    std::multiset<std::int64_t> archived;
    for (const std::string name : {"a", "b"}) {
        EXPECT_EQ(read_file(base / (name + ".rc")), "0\n") << name << ": " << both.err;
        std::string text = read_file(base / (name + ".json"));
        ASSERT_FALSE(text.empty()) << name << both.err;
        nlohmann::json out = nlohmann::json::parse(text);
        for (const auto& item : out["items"])
            if (item["state"] == "verified") archived.insert(item["asset_id"].get<std::int64_t>());
    }
    EXPECT_EQ(archived.size(), 8u) << "every file archived, and by one machine only";
    EXPECT_EQ(std::set<std::int64_t>(archived.begin(), archived.end()).size(), archived.size());
    std::unique_ptr<Catalog> c = open_catalog(catalog);
    for (const ListRow& row : c->list()) {
        EXPECT_EQ(row.asset.state, AssetState::verified) << row.asset.name;
        EXPECT_EQ(row.asset.attempts, 1) << row.asset.name << " was claimed more than once";
    }
    CommandResult verify = run(on_machine("c", "verify --all --json"));
    EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
}
