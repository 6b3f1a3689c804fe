// `avpost archive ls|verify` through the real binary, over a catalog filled with the library.
#include "archive_test_support.hpp"
#include "avpost/archive/archiver.hpp"
#include "avpost/archive/local_store.hpp"

using namespace avpost;
using namespace avpost::archive;
using namespace avpost::test;

namespace {

const std::string avpost_bin = AVPOST_BINARY;

// An archive with one stored video, one stored small file, and one pending file whose link
// expires in two and a half hours.
struct Filled {
    fs::path root;
    std::int64_t video = 0, note = 0, pending = 0;
    explicit Filled(const fs::path& r) : root(r) {
        SqliteCatalog catalog(Catalog::file_in(root));
        LocalStore store(root);
        std::int64_t job = add_job(catalog, "akool", "JOB-CLI");
        std::int64_t risky = add_job(catalog, "a2v", "JOB-RISK", unix_now() + 2 * 3600 + 1800);
        video = catalog.add_asset(job, "avatar", "avatar.mp4", "https://cdn/a.mp4?sig=secret");
        note = catalog.add_asset(job, "other", "note.txt", "");
        pending = catalog.add_asset(risky, "avatar", "avatar.mp4", "https://cdn/b.mp4?sig=secret");
        write_file(root.parent_path() / (root.filename().string() + "-note.txt"), "hello archive\n");
        for (auto [id, src] : {std::pair{video, sample_video()},
                               std::pair{note, root.parent_path() / (root.filename().string() + "-note.txt")}}) {
            EXPECT_TRUE(catalog.claim(id, "cli-test", std::chrono::seconds(60)));
            archive_claimed_file(catalog, store, catalog.asset(id), "cli-test", src);
        }
    }
};

std::string archive_cmd(const fs::path& root, const std::string& args) {
    return shell_quote(avpost_bin) + " archive --archive " + shell_quote(root.string()) + " " + args;
}

}  // namespace

TEST(ArchiveCli, LsOfAnEmptyArchiveIsEmpty) {
    auto root = make_temp_dir("cli") / "archive";
    CommandResult r = run(archive_cmd(root, "ls --json"));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(nlohmann::json::parse(r.out),
              (nlohmann::json{{"assets", nlohmann::json::array()}, {"unarchived", nlohmann::json::array()}}));
    EXPECT_FALSE(fs::exists(root)) << "ls must not create an archive";
    // A bad --state is refused even with nothing archived, and the error lists the valid ones.
    CommandResult bad = run(archive_cmd(root, "ls --state bogus"));
    EXPECT_EQ(bad.exit_code, 2);
    EXPECT_NE(bad.err.find("unknown asset state 'bogus' (one of: pending, downloading, stored, verified, failed, "
                           "expired-before-archived)"),
              std::string::npos)
        << bad.err;
}

TEST(ArchiveCli, LsListsEverythingAndExpiringShowsWhatIsAtRisk) {
    auto root = make_temp_dir("cli") / "archive";
    Filled f(root);
    CommandResult all = run(archive_cmd(root, "ls --json"));
    ASSERT_EQ(all.exit_code, 0) << all.err;
    nlohmann::json items = nlohmann::json::parse(all.out)["assets"];
    ASSERT_EQ(items.size(), 3u);
    int stored = 0;
    for (const auto& item : items) {
        if (item["state"] == "stored") ++stored;
        EXPECT_EQ(item["source_url"].get<std::string>().find("secret"), std::string::npos);
    }
    EXPECT_EQ(stored, 2);

    CommandResult risky = run(archive_cmd(root, "ls --expiring 24 --json"));
    ASSERT_EQ(risky.exit_code, 0) << risky.err;
    nlohmann::json r = nlohmann::json::parse(risky.out)["assets"];
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0]["id"], f.pending);
    EXPECT_EQ(r[0]["job"]["vendor_job_id"], "JOB-RISK");
    EXPECT_EQ(nlohmann::json::parse(run(archive_cmd(root, "ls --expiring 1 --json")).out)["assets"].size(), 0u);

    CommandResult text = run(archive_cmd(root, "ls --expiring 24"));
    EXPECT_EQ(text.exit_code, 0);
    EXPECT_NE(text.out.find("JOB-RISK"), std::string::npos) << text.out;
    EXPECT_NE(text.out.find("in 2h"), std::string::npos) << text.out;
    EXPECT_NE(text.err.find("expires within"), std::string::npos) << text.err;

    // The archive root can also come from AVPOST_ARCHIVE.
    CommandResult env = run("AVPOST_ARCHIVE=" + shell_quote(root.string()) + " " + shell_quote(avpost_bin) +
                            " archive ls --state stored --json");
    EXPECT_EQ(env.exit_code, 0) << env.err;
    EXPECT_EQ(nlohmann::json::parse(env.out)["assets"].size(), 2u);
    EXPECT_EQ(run(archive_cmd(root, "ls --state nonsense")).exit_code, 2);
}

TEST(ArchiveCli, VerifyPassesThenFailsLoudlyOnAChangedFile) {
    auto root = make_temp_dir("cli") / "archive";
    Filled f(root);
    CommandResult ok = run(archive_cmd(root, "verify --all --json"));
    ASSERT_EQ(ok.exit_code, 0) << ok.err;
    nlohmann::json report = nlohmann::json::parse(ok.out);
    EXPECT_EQ(report["checked"], 2);
    EXPECT_EQ(report["ok"], 2);
    EXPECT_EQ(report["bad"], 0);

    fs::path stored = root / "akool/2026-11/JOB-CLI/note.txt";
    ASSERT_TRUE(fs::exists(stored));
    write_file(stored, "hello archivf\n");
    CommandResult bad = run(archive_cmd(root, "verify"));
    EXPECT_EQ(bad.exit_code, 20) << bad.out << bad.err;
    EXPECT_NE(bad.out.find("MISMATCH"), std::string::npos) << bad.out;
    EXPECT_NE(bad.err.find("VERIFY FAILED"), std::string::npos) << bad.err;
    EXPECT_NE(bad.err.find("note.txt"), std::string::npos) << bad.err;

    // The failure is recorded: the file is no longer counted as verified.
    SqliteCatalog catalog(Catalog::file_in(root));
    EXPECT_EQ(catalog.asset(f.note).state, AssetState::failed);
    EXPECT_EQ(catalog.asset(f.video).state, AssetState::verified);

    // Known damage is checked again, first, on every run, until it is repaired.
    CommandResult sample = run(archive_cmd(root, "verify --sample 1 --json"));
    EXPECT_EQ(sample.exit_code, 20) << sample.err;
    nlohmann::json sampled = nlohmann::json::parse(sample.out);
    EXPECT_EQ(sampled["checked"], 1);
    EXPECT_EQ(sampled["items"][0]["name"], "note.txt");
    EXPECT_EQ(run(archive_cmd(root, "verify --all")).exit_code, 20);
    EXPECT_EQ(run(archive_cmd(root, "verify --sample 1 --all")).exit_code, 2);
    EXPECT_EQ(run(archive_cmd(root, "verify --sample 0")).exit_code, 2);
}
