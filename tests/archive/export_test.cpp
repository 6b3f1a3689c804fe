// `avpost archive export`: a job's stored files copied out of the store, verified by hash, written
// atomically; a stored copy that differs from the catalog is refused and leaves nothing behind.
#include "sync_test_support.hpp"

#include "avpost/archive/archiver.hpp"
#include "avpost/archive/export.hpp"
#include "avpost/archive/local_store.hpp"

using namespace avpost;
using namespace avpost::archive;
using namespace avpost::test;

namespace {

class ArchiveExport : public ::testing::Test {
protected:
    void SetUp() override {
        root = make_temp_dir("export");
        out = root.parent_path() / (root.filename().string() + "-out");
        SqliteCatalog catalog(Catalog::file_in(root));
        LocalStore store(root);
        std::int64_t job = add_job(catalog, "a2v", "vexport1");
        video = catalog.add_asset(job, "avatar", "avatar.mp4", "https://cdn.test/v.mp4?Signature=x");
        mask = catalog.add_asset(job, "mask", "mask.mp4", "https://cdn.test/m.mp4?Signature=x");
        catalog.add_asset(job, "other", "later.txt", "");  // still pending: not exported
        for (std::int64_t id : {video, mask}) {
            ASSERT_TRUE(catalog.claim(id, "export-test", std::chrono::seconds(60)));
            stored[id] = archive_claimed_file(catalog, store, catalog.asset(id), "export-test", sample_video());
        }
    }
    void TearDown() override {
        fs::remove_all(root);
        fs::remove_all(out);
    }
    fs::path root, out;
    std::int64_t video = 0, mask = 0;
    std::map<std::int64_t, StoredFacts> stored;
};

}  // namespace

TEST_F(ArchiveExport, RoundTripThroughTheCommand) {
    auto r = run(avpost_cmd(root, "export vexport1 -o " + shell_quote(out.string())));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find((out / "avatar.mp4").string()), std::string::npos) << r.out;
    EXPECT_NE(r.out.find((out / "mask.mp4").string()), std::string::npos) << r.out;
    std::string original = read_file(sample_video());
    EXPECT_EQ(read_file(out / "avatar.mp4"), original);
    EXPECT_EQ(read_file(out / "mask.mp4"), original);
    EXPECT_FALSE(fs::exists(out / "later.txt"));
    EXPECT_EQ(count_hidden_files(out), 0);

    // Again, as JSON: identical files already there are fine.
    auto again = run(avpost_cmd(root, "export vexport1 -o " + shell_quote(out.string()) + " --json"));
    ASSERT_EQ(again.exit_code, 0) << again.err;
    auto j = nlohmann::json::parse(again.out);
    ASSERT_EQ(j["files"].size(), 2u);
    for (const auto& f : j["files"]) EXPECT_EQ(f["sha256"], sha256_hex(original));
}

TEST_F(ArchiveExport, AStoredCopyThatDiffersIsRefusedAndLeavesNothing) {
    SqliteCatalog catalog(Catalog::file_in(root));
    fs::path kept = root / stored[video].store_key;
    std::string bytes = read_file(kept);
    bytes[bytes.size() / 2] ^= 1;
    write_file(kept, bytes);
    auto r = run(avpost_cmd(root, "export vexport1 -o " + shell_quote(out.string())));
    EXPECT_EQ(r.exit_code, 3) << r.err;
    EXPECT_NE(r.err.find("archive verify"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(out / "avatar.mp4"));
    EXPECT_EQ(count_hidden_files(out), 0) << "a temporary file was left behind";
}

TEST_F(ArchiveExport, ADifferentFileOfTheSameNameIsNotOverwritten) {
    fs::create_directories(out);
    write_file(out / "avatar.mp4", "mine, keep it");
    auto r = run(avpost_cmd(root, "export vexport1 -o " + shell_quote(out.string())));
    EXPECT_EQ(r.exit_code, 3) << r.err;
    EXPECT_EQ(read_file(out / "avatar.mp4"), "mine, keep it");
}

TEST_F(ArchiveExport, UnknownJobsAndJobsWithNothingStoredAreErrors) {
    EXPECT_EQ(run(avpost_cmd(root, "export nosuchjob -o " + shell_quote(out.string()))).exit_code, 3);
    {
        SqliteCatalog catalog(Catalog::file_in(root));
        std::int64_t job = add_job(catalog, "akool", "pendingjob");
        catalog.add_asset(job, "avatar", "avatar.mp4", "");
    }
    auto r = run(avpost_cmd(root, "export pendingjob -o " + shell_quote(out.string())));
    EXPECT_EQ(r.exit_code, 3) << r.err;
    EXPECT_NE(r.err.find("no file of this job is stored"), std::string::npos) << r.err;
}
