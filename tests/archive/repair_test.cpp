// Damage found by verify stays found, and `archive repair` restores it (issue 24): verify checks
// damaged files again on every run and fails while any is damaged; repair puts the catalog's
// content back from a local copy (given with --from, or recorded by an `avpost run` job) or from
// the vendor while its link lives, and says what it did per file.
#include "sync_test_support.hpp"

#include "avpost/archive/local_store.hpp"
#include "avpost/archive/repair.hpp"
#include "avpost/archive/sync.hpp"

using namespace avpost;
using namespace avpost::archive;
using namespace avpost::test;

namespace {

class ArchiveRepair : public ::testing::Test {
protected:
    void SetUp() override {
        server = start_sandbox_for_cli(quick_sandbox());
        root = make_temp_dir("repair");
        ids = finished_a2v_renders(*server, 1);
        auto synced = run(avpost_cmd(root, "sync --vendor a2v"));
        ASSERT_EQ(synced.exit_code, 0) << synced.err << synced.out;
        SqliteCatalog c(Catalog::file_in(root));
        for (const ListRow& row : c.list()) stored[row.asset.name] = root / row.asset.store_key;
        ASSERT_EQ(stored.size(), 2u);
    }
    void TearDown() override {
        if (server) server->stop();
        remove_with_siblings(root);
    }
    // Damages both stored files, keeping a good copy of the avatar beside the archive.
    fs::path damage() {
        fs::path good = root.parent_path() / (root.filename().string() + "-good-avatar.mp4");
        fs::copy_file(stored["avatar.mp4"], good, fs::copy_options::overwrite_existing);
        for (auto& [name, path] : stored) {
            std::string bytes = read_file(path);
            bytes[bytes.size() / 2] ^= 0x5a;
            write_file(path, bytes);
        }
        return good;
    }
    std::unique_ptr<sandbox::SandboxServer> server;
    fs::path root;
    std::vector<std::string> ids;
    std::map<std::string, fs::path> stored;
};

}  // namespace

TEST_F(ArchiveRepair, VerifyKeepsFailingWhileDamagedAndRepairRestoresFromALocalCopyAndTheVendor) {
    fs::path good = damage();
    for (int round = 1; round <= 2; ++round) {
        auto verify = run(avpost_cmd(root, "verify --all"));
        EXPECT_EQ(verify.exit_code, 20) << "verify " << round << " passed a damaged archive: " << verify.out;
        EXPECT_NE(verify.out.find("2 checked, 0 ok, 2 bad"), std::string::npos) << round << ": " << verify.out;
        EXPECT_NE(verify.err.find("avpost archive repair"), std::string::npos) << verify.err;
    }
    auto sync = run(avpost_cmd(root, "sync --vendor a2v"));
    EXPECT_EQ(sync.exit_code, 21) << "damage is not archived: " << sync.out;
    EXPECT_NE(sync.out.find("DAMAGED"), std::string::npos) << sync.out;

    auto repair = run(avpost_cmd(root, "repair --from " + shell_quote(good.string()) + " --json"));
    ASSERT_EQ(repair.exit_code, 0) << repair.err << repair.out;
    auto report = nlohmann::json::parse(repair.out);
    EXPECT_EQ(report["checked"], 2);
    EXPECT_EQ(report["repaired"], 2);
    std::map<std::string, nlohmann::json> by_name;
    for (const auto& item : report["items"]) by_name[item["name"]] = item;
    EXPECT_EQ(by_name["avatar.mp4"]["action"], "restored");
    EXPECT_EQ(by_name["avatar.mp4"]["source"], "local copy " + good.string());
    EXPECT_EQ(by_name["mask.mp4"]["action"], "restored");
    EXPECT_EQ(by_name["mask.mp4"]["source"], "vendor link");
    EXPECT_EQ(repair.out.find("Signature="), std::string::npos) << repair.out;

    auto verify = run(avpost_cmd(root, "verify --all"));
    EXPECT_EQ(verify.exit_code, 0) << verify.err << verify.out;
    EXPECT_NE(verify.out.find("2 checked, 2 ok, 0 bad"), std::string::npos) << verify.out;
    auto again = run(avpost_cmd(root, "repair"));
    EXPECT_EQ(again.exit_code, 0) << again.err;
    EXPECT_NE(again.out.find("0 damaged file(s)"), std::string::npos) << again.out;
}

TEST_F(ArchiveRepair, WithoutAGoodCopyRepairSaysWhatItTriedAndExits20) {
    damage();
    ASSERT_EQ(run(avpost_cmd(root, "verify --all")).exit_code, 20);
    auto repair = run(avpost_cmd(root, "repair --no-vendor"));
    EXPECT_EQ(repair.exit_code, 20) << repair.err << repair.out;
    EXPECT_NE(repair.out.find("not-repaired"), std::string::npos) << repair.out;
    EXPECT_NE(repair.out.find("--from FILE"), std::string::npos) << repair.out;
    EXPECT_NE(repair.out.find("2 damaged file(s): 0 repaired, 2 not repaired"), std::string::npos) << repair.out;
    EXPECT_EQ(run(avpost_cmd(root, "verify --all")).exit_code, 20) << "still damaged";
}

// An `avpost run` job's archive stage records the local file each asset was stored from.
TEST_F(ArchiveRepair, ALocalCopyAJobRecordedIsUsed) {
    fs::path good = damage();
    SqliteCatalog c(Catalog::file_in(root));
    ASSERT_EQ(run(avpost_cmd(root, "verify --all")).exit_code, 20);
    std::int64_t avatar = 0;
    for (const ListRow& row : c.list())
        if (row.asset.name == "avatar.mp4") avatar = row.asset.id;
    StageRecord archived;
    archived.job_key = "promo";
    archived.stage = "archive";
    archived.fingerprint = "f";
    archived.result = {{"assets", {{{"asset_id", avatar}, {"name", "avatar.mp4"}, {"path", good.string()}}}}};
    c.record_stage(archived);
    LocalStore store(root);
    StoreOpener open = [&](const std::string&) -> ArchiveStore& { return store; };
    RepairOptions options;
    options.asset_ids = {avatar};
    auto outcomes = repair_assets(c, open, options);
    ASSERT_EQ(outcomes.size(), 1u);
    EXPECT_EQ(outcomes[0].action, "restored") << outcomes[0].detail;
    EXPECT_EQ(outcomes[0].source, "local copy " + good.string());
    EXPECT_EQ(c.asset(avatar).state, AssetState::verified);
}
