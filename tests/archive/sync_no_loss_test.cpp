// No silent loss (issue 24): a CDN outage longer than the immediate retries never ends a file
// while the vendor still offers it, every sync says what is not archived and exits 21 until it
// is, and a file whose link expired first is reported, by name, every run. Through the avpost
// binary against the in-process sandbox, as a person or a cron job would run it.
#include "sync_test_support.hpp"

#include "avpost/archive/sync.hpp"

using namespace avpost;
using namespace avpost::archive;
using namespace avpost::test;

namespace {

class ArchiveNoLoss : public ::testing::Test {
protected:
    void start(sandbox::SandboxOptions o = quick_sandbox()) {
        server.reset();
        server = start_sandbox_for_cli(o, /*http_attempts=*/1);  // one try per run: no retry pauses
        root = make_temp_dir("noloss");
    }
    void TearDown() override {
        if (server) server->stop();
        if (!root.empty()) remove_with_siblings(root);
    }
    std::unique_ptr<sandbox::SandboxServer> server;
    fs::path root;
};

}  // namespace

// The run: five renders, a fault answering 500 on every file link, 24 hourly syncs (the
// backoff set to 0 stands in for the hours between them), then the links work again.
TEST_F(ArchiveNoLoss, TwentyFourSyncsThroughAnOutageExitNonZeroAndTheNextOneArchivesEverything) {
    start();
    finished_a2v_renders(*server, 5);
    sandbox::Fault outage;
    outage.path_prefix = "/files/";
    outage.count = -1;
    outage.http_status = 500;
    outage.message = "CDN outage";
    server->add_fault(outage);
    const std::string sync = "sync --vendor a2v --retry-backoff 0 --json";
    for (int round = 1; round <= 24; ++round) {
        auto r = run(avpost_cmd(root, sync));
        ASSERT_EQ(r.exit_code, 21) << "sync " << round << " left files unarchived yet succeeded\n" << r.err << r.out;
        auto report = nlohmann::json::parse(r.out);
        EXPECT_FALSE(report["complete"].get<bool>()) << round;
        ASSERT_EQ(report["unarchived"].size(), 10u) << "sync " << round << ": " << r.out;
        for (const auto& u : report["unarchived"]) {
            EXPECT_FALSE(u["lost"].get<bool>()) << "given up while the vendor offers it: " << u.dump();
            EXPECT_TRUE(u["link_expires_at"].is_string()) << u.dump();
        }
        EXPECT_NE(r.err.find("10 file(s) not archived: 10 left for a later run (the first link expires in"),
                  std::string::npos)
            << "sync " << round << ": " << r.err;
        EXPECT_EQ(r.err.find("Signature="), std::string::npos) << r.err;
        if (round == 20) {  // the immediate retries are spent: failed, waiting for a backoff
            EXPECT_EQ(report["failed"], 10) << r.out;
            EXPECT_EQ(report["unarchived"][0]["state"], "failed");
            EXPECT_TRUE(report["unarchived"][0]["retry_after"].is_string());
        }
    }
    // Text output names what is left and how long its link lives.
    auto text = run(avpost_cmd(root, "sync --vendor a2v --retry-backoff 0"));
    EXPECT_EQ(text.exit_code, 21) << text.err;
    EXPECT_NE(text.out.find("not archived"), std::string::npos) << text.out;
    EXPECT_NE(text.out.find("link expires in"), std::string::npos) << text.out;
    auto ls = run(avpost_cmd(root, "ls"));
    EXPECT_EQ(ls.exit_code, 0) << ls.err;
    EXPECT_NE(ls.err.find("10 file(s) not archived"), std::string::npos) << ls.err;

    server->clear_faults();  // the CDN is back
    auto healed = run(avpost_cmd(root, sync));
    ASSERT_EQ(healed.exit_code, 0) << healed.err << healed.out;
    auto report = nlohmann::json::parse(healed.out);
    EXPECT_EQ(report["verified"], 10) << healed.out;
    EXPECT_TRUE(report["unarchived"].empty());
    EXPECT_EQ(count_files(root / "a2v", ".mp4"), 10);
    auto verify = run(avpost_cmd(root, "verify --all"));
    EXPECT_EQ(verify.exit_code, 0) << verify.err << verify.out;
    EXPECT_NE(verify.out.find("10 checked, 10 ok, 0 bad"), std::string::npos) << verify.out;
    auto quiet = run(avpost_cmd(root, "ls"));
    EXPECT_EQ(quiet.err.find("not archived"), std::string::npos) << quiet.err;
}

// A link the vendor only hands out dead ends the file expired-before-archived: a loss, said
// loudly with the file's name and a non-zero exit on every run, not only the one that found it.
TEST_F(ArchiveNoLoss, AFileWhoseLinkExpiredIsReportedByNameEveryRun) {
    start(quick_sandbox(/*link_ttl_seconds=*/0));
    auto ids = finished_a2v_renders(*server, 1);
    for (int round = 1; round <= 3; ++round) {
        auto r = run(avpost_cmd(root, "sync --vendor a2v"));
        EXPECT_EQ(r.exit_code, 21) << "sync " << round << ": " << r.err << r.out;
        EXPECT_NE(r.out.find("a2v/" + ids[0] + "/avatar.mp4: LOST"), std::string::npos) << round << ": " << r.out;
        EXPECT_NE(r.out.find("a2v/" + ids[0] + "/mask.mp4: LOST"), std::string::npos) << round << ": " << r.out;
        EXPECT_NE(r.err.find("2 LOST"), std::string::npos) << round << ": " << r.err;
    }
    auto json = run(avpost_cmd(root, "sync --vendor a2v --json"));
    EXPECT_EQ(json.exit_code, 21);
    auto report = nlohmann::json::parse(json.out);
    ASSERT_EQ(report["unarchived"].size(), 2u);
    EXPECT_TRUE(report["unarchived"][0]["lost"].get<bool>());
    EXPECT_EQ(report["unarchived"][0]["state"], "expired-before-archived");
    auto ls = run(avpost_cmd(root, "ls --json"));
    EXPECT_EQ(nlohmann::json::parse(ls.out)["unarchived"].size(), 2u);
    EXPECT_NE(ls.err.find("LOST"), std::string::npos) << ls.err;
}
