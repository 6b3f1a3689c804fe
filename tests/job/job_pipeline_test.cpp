// The job pipeline as a library (pipeline::run_job), not through the binary, against the
// in-process sandbox: the stages reported to an observer in order, the stage records a re-run
// skips by, a job stopped by its observer's checkpoint (a worker that lost its lease) writing
// nothing after that point and resuming from its recorded render, a bad job file refused; and
// which failures a worker retries.
#include <sstream>

#include "../archive/sync_test_support.hpp"
#include "avpost/archive/archiver.hpp"
#include "avpost/archive/catalog.hpp"
#include "avpost/archive/local_store.hpp"
#include "avpost/pipeline/job_archiving.hpp"
#include "avpost/net/service_error.hpp"
#include "avpost/pipeline/job_runner.hpp"
#include "avpost/pipeline/worker.hpp"

using namespace avpost;
using namespace avpost::test;
using nlohmann::json;

namespace {

// Remembers what the job told it; its checkpoint throws once `stop_after` finished.
class RecordingObserver : public pipeline::JobObserver {
public:
    void stage_started(const std::string& job, const std::string& stage) override {
        events.push_back("start " + job + " " + stage);
    }
    void stage_finished(const std::string& job, const pipeline::StageReport& stage) override {
        events.push_back("end " + job + " " + stage.name + " " + stage.status);
        if (stage.name == stop_after) stopping = true;
    }
    void checkpoint() override {
        ++checkpoints;
        if (stopping) throw Error(ErrorDomain::usage, "lease", 0, "the job's lease was lost");
    }

    std::vector<std::string> events;
    std::string stop_after;
    bool stopping = false;
    int checkpoints = 0;
};

class PipelineRunJob : public ::testing::Test {
protected:
    void SetUp() override {
        server = start_sandbox_for_cli(quick_sandbox());
        dir = make_temp_dir("pipeline");
        options.env = pipeline::VendorEnvironment::from_env();
        options.parse.default_output_root = dir / "out";
    }
    void TearDown() override {
        if (server) server->stop();
        fs::remove_all(dir);
    }

    fs::path write_job(const std::string& name, json extra = json::object()) {
        json job = {{"name", name},
                    {"source", {{"a2v", {{"pose_id", "pose-kai-front"}, {"audio_url", "http://127.0.0.1:9/voice.wav"}}}}},
                    {"wait", {{"interval_seconds", 0.05}, {"timeout_seconds", 60}}},
                    {"composite",
                     {{"background", (fs::path(AVPOST_TEST_MEDIA_DIR) / "background.png").string()},
                      {"size", "-1x80"},
                      {"anchor", "bottom"}}},
                    {"deliver", {{"presets", {"web"}}}}};
        job.update(extra);
        fs::path p = dir / (name + ".json");
        std::ofstream(p) << job.dump(2);
        return p;
    }

    std::unique_ptr<archive::Catalog> catalog_of(const std::string& name) {
        return archive::open_catalog(archive::Catalog::file_in(dir / "out" / name / "archive").string());
    }

    int generate_requests() { return server->stats().requests["/v1/a2v/video.generate"]; }

    static std::map<std::string, std::string> statuses(const pipeline::JobReport& r) {
        std::map<std::string, std::string> m;
        for (const auto& s : r.stages) m[s.name] = s.status;
        return m;
    }

    std::unique_ptr<sandbox::SandboxServer> server;
    fs::path dir;
    pipeline::RunOptions options;
};

}  // namespace

TEST_F(PipelineRunJob, RunsEveryStageTellingItsObserverAndARunAgainSkipsThemByTheirRecords) {
    RecordingObserver observer;
    options.observer = &observer;
    job::JobSpec spec = pipeline::read_job_file(write_job("libjob"), options);
    pipeline::JobReport report = pipeline::run_job(spec, options);
    ASSERT_TRUE(report.ok) << report.error;
    EXPECT_FALSE(report.failure);
    EXPECT_EQ(report.vendor, "a2v");
    EXPECT_EQ(generate_requests(), 1);
    std::vector<std::string> expected;
    for (const char* stage : pipeline::job_stage_names) {
        expected.push_back(std::string("start libjob ") + stage);
        expected.push_back(std::string("end libjob ") + stage + " ran");
    }
    EXPECT_EQ(observer.events, expected);
    EXPECT_GT(observer.checkpoints, 5);  // at least before each stage and each write

    // The outputs are there with the reported content, and each stage is recorded.
    for (const auto& o : report.outputs) EXPECT_EQ(sha256_file(o.path).sha256, o.sha256) << o.path;
    auto catalog = catalog_of("libjob");
    for (const char* stage : pipeline::job_stage_names) EXPECT_TRUE(catalog->find_stage("libjob", stage)) << stage;
    ASSERT_TRUE(catalog->find_stage("libjob", "render"));
    EXPECT_EQ(catalog->find_stage("libjob", "render")->result.at("id"), report.vendor_job_id);

    RecordingObserver second;
    options.observer = &second;
    pipeline::JobReport again = pipeline::run_job(spec, options);
    ASSERT_TRUE(again.ok) << again.error;
    for (const auto& [stage, status] : statuses(again)) EXPECT_EQ(status, "skipped") << stage;
    EXPECT_EQ(generate_requests(), 1);
}

TEST_F(PipelineRunJob, AJobStoppedAtACheckpointWritesNothingMoreAndResumesFromItsRecordedRender) {
    RecordingObserver observer;
    observer.stop_after = "render";  // as if the lease were lost once the render was created
    options.observer = &observer;
    job::JobSpec spec = pipeline::read_job_file(write_job("stopped"), options);
    pipeline::JobReport report = pipeline::run_job(spec, options);
    EXPECT_FALSE(report.ok);
    ASSERT_TRUE(report.failure);
    EXPECT_NE(report.error.find("lease was lost"), std::string::npos) << report.error;
    EXPECT_EQ(statuses(report), (std::map<std::string, std::string>{
                                    {"render", "ran"}, {"wait", "not-run"}, {"fetch", "not-run"}, {"compose", "not-run"},
                                    {"archive", "not-run"}}));
    auto catalog = catalog_of("stopped");
    ASSERT_TRUE(catalog->find_stage("stopped", "render"));
    EXPECT_FALSE(catalog->find_stage("stopped", "wait"));
    EXPECT_TRUE(catalog->list().empty()) << "no asset may be written after the checkpoint said stop";
    EXPECT_EQ(generate_requests(), 1);

    // Taken up again (another worker): the recorded render is waited on, not created again.
    options.observer = nullptr;
    pipeline::JobReport resumed = pipeline::run_job(spec, options);
    ASSERT_TRUE(resumed.ok) << resumed.error;
    EXPECT_EQ(statuses(resumed)["render"], "skipped");
    EXPECT_EQ(statuses(resumed)["archive"], "ran");
    EXPECT_EQ(resumed.vendor_job_id, catalog->find_stage("stopped", "render")->result.at("id"));
    EXPECT_EQ(generate_requests(), 1);
}

// A worker that lost its queued job between its last checkpoint and a stage write (paused right
// there): the catalog itself refuses the write, so the stages of the worker that took the job over
// stay as they are, and the run ends without writing anything more.
TEST_F(PipelineRunJob, AStageWriteWithALostLeaseIsRefusedByTheCatalog) {
    job::JobSpec spec = pipeline::read_job_file(write_job("taken"), options);
    fs::create_directories(dir / "out" / "taken" / "archive");
    auto catalog = catalog_of("taken");
    catalog->submit_job("taken", json::object(), 3, 1000);
    auto lost = catalog->claim_job("paused-worker", std::chrono::seconds(60), 1000);
    ASSERT_TRUE(lost);
    auto holder = catalog->claim_job("new-worker", std::chrono::seconds(60), 1061);  // the lease lapsed
    ASSERT_TRUE(holder);
    ASSERT_TRUE(catalog->record_stage(archive::StageRecord{"taken", "render", "theirs", {{"id", "their-render"}}, 0},
                                      archive::lease_of(*holder)));

    options.lease = archive::lease_of(*lost);
    options.force = true;  // as a first attempt would: the recorded render is not reused
    pipeline::JobReport report = pipeline::run_job(spec, options);
    EXPECT_FALSE(report.ok);
    EXPECT_NE(report.error.find("no longer held by this lease"), std::string::npos) << report.error;
    EXPECT_EQ(statuses(report)["render"], "failed");
    for (const auto& stage : report.stages)  // the summary's detail column says why
        if (stage.name == "render") EXPECT_NE(stage.detail.find("no longer held by this lease"), std::string::npos) << stage.detail;
    EXPECT_EQ(catalog->find_stage("taken", "render")->result.at("id"), "their-render");
    EXPECT_FALSE(catalog->find_stage("taken", "wait"));
    EXPECT_TRUE(catalog->list().empty()) << "no asset may be written by a worker without the job";

    // The holder's lease is accepted.
    options.lease = archive::lease_of(*holder);
    options.force = false;
    catalog->forget_stage("taken", "render");
    pipeline::JobReport held = pipeline::run_job(spec, options);
    ASSERT_TRUE(held.ok) << held.error;
    EXPECT_EQ(catalog->find_stage("taken", "render")->result.at("id"), held.vendor_job_id);
}

TEST_F(PipelineRunJob, ABadJobFileIsRefusedBeforeAnythingRunsNamingTheField) {
    fs::path file = write_job("bad", {{"composite",
                                       {{"background", (fs::path(AVPOST_TEST_MEDIA_DIR) / "background.png").string()},
                                        {"anchor", "sideways"}}}});
    try {
        pipeline::read_job_file(file, options);
        FAIL() << "a bad anchor was accepted";
    } catch (const job::JobFileError& e) {
        EXPECT_EQ(e.domain(), ErrorDomain::usage);
        EXPECT_NE(std::string(e.what()).find("composite.anchor"), std::string::npos) << e.what();
    }
    pipeline::JobReport report = pipeline::run_job_file(file, options);
    EXPECT_FALSE(report.ok);
    EXPECT_FALSE(report.problems.empty());
    EXPECT_EQ(generate_requests(), 0);
}

// A catalog job of a finished A2V render, as the fetch stage records one.
static std::int64_t add_a2v_job(archive::Catalog& catalog, const std::string& vendor_job_id) {
    archive::JobRecord job;
    job.vendor = "a2v";
    job.vendor_job_id = vendor_job_id;
    job.created_at = archive::unix_now();
    return catalog.upsert_job(job);
}

// A worker archiving a job's file may take over the claim of an earlier attempt of the same queued
// job (its worker is gone), never that of a later one: a worker that lost its lease cannot take
// the file from the worker that took the job over.
TEST(PipelineArchiveTakeover, AClaimOfAnEarlierAttemptIsTakenOverAndALaterOneNever) {
    const fs::path dir = make_temp_dir("takeover");
    fs::create_directories(dir / "archive");
    auto catalog = archive::open_catalog(archive::Catalog::file_in(dir / "archive").string());
    archive::LocalStore store(dir / "archive");
    const std::int64_t job_id = add_a2v_job(*catalog, "v1");
    const fs::path file = dir / "poster.jpg";
    std::ofstream(file) << "not probed: a delivered poster is stored as it is";
    const std::int64_t asset = catalog->add_asset(job_id, "delivery", "poster.jpg", "");
    const archive::FileRecord poster = archive::record_file("delivery", "poster.jpg", file);
    // Queued job 1 runs on w2 (its first attempt lapsed there); queued job 2 runs elsewhere.
    const auto t0 = archive::unix_now() - 3600;
    const std::chrono::seconds minute(60);
    const std::int64_t queued = catalog->submit_job("poster", {{"name", "poster"}}, 5, t0).id;
    const archive::JobLease first = archive::lease_of(*catalog->claim_job("w1", minute, t0));
    const archive::JobLease second = archive::lease_of(*catalog->claim_job("w2", minute, t0 + 61));
    catalog->submit_job("other", {{"name", "other"}}, 5, t0 + 62);
    const archive::JobLease other = archive::lease_of(*catalog->claim_job("w9", 60 * minute, t0 + 62));
    ASSERT_EQ(first.job_id, queued);
    ASSERT_EQ(second.job_id, queued);
    ASSERT_LT(first.token, second.token);
    ASSERT_NE(other.job_id, queued);
    ASSERT_TRUE(catalog->claim(asset, "attempt 2 (w2)", std::chrono::seconds(600), second));
    EXPECT_EQ(catalog->asset(asset).claim_lease->token, second.token) << "the claim records its lease";

    EXPECT_THROW(pipeline::archive_job_file(*catalog, store, job_id, poster, "",
                                            "attempt 1 (w1)", first),
                 archive::ClaimLost);
    EXPECT_EQ(catalog->asset(asset).claim_owner, "attempt 2 (w2)") << "a stale attempt took the claim";
    EXPECT_THROW(pipeline::archive_job_file(*catalog, store, job_id, poster, "",
                                            "another job (w9)", other),
                 Error)
        << "another queued job's claim is not this job's to take";
    EXPECT_EQ(catalog->asset(asset).claim_owner, "attempt 2 (w2)");

    // w2 is gone; w3 takes the job over after its lease lapsed, and with it the file's claim.
    const archive::JobLease third = archive::lease_of(*catalog->claim_job("w3", minute, t0 + 200));
    ASSERT_EQ(third.job_id, queued);
    pipeline::ArchivedFile taken = pipeline::archive_job_file(*catalog, store, job_id, poster, "",
                                                              "attempt 3 (w3)", third);
    EXPECT_EQ(taken.asset_id, asset);
    EXPECT_EQ(catalog->asset(asset).state, archive::AssetState::verified);
    EXPECT_EQ(taken.sha256, sha256_file(file).sha256);
    fs::remove_all(dir);
}

// A run that stored a file and stopped before reading it back (the store or the catalog failed
// between the two: the chaos test's resetting store) left the asset stored, not verified. The next
// run finds it with the same content: it reads it back before counting it archived (before, it was
// taken as verified as it was, and its job finished with an unverified file).
TEST(PipelineArchiveResume, AFileStoredButNotReadBackByAnEarlierRunIsReadBackBeforeItCounts) {
    const fs::path dir = make_temp_dir("resume");
    fs::create_directories(dir / "archive");
    auto catalog = archive::open_catalog(archive::Catalog::file_in(dir / "archive").string());
    archive::LocalStore store(dir / "archive");
    const std::int64_t job_id = add_a2v_job(*catalog, "v1");
    auto stored_not_verified = [&](const std::string& name) {
        const fs::path file = dir / name;
        std::ofstream(file) << "not probed: " + name + " is stored as it is";
        const std::int64_t asset = catalog->add_asset(job_id, "delivery", name, "");
        EXPECT_TRUE(catalog->claim(asset, "run 1", std::chrono::seconds(600)));
        archive::archive_claimed_file(*catalog, store, catalog->asset(asset), "run 1", file);
        EXPECT_EQ(catalog->asset(asset).state, archive::AssetState::stored);
        return std::pair{asset, file};
    };

    auto [asset, file] = stored_not_verified("poster.jpg");
    pipeline::ArchivedFile again = pipeline::archive_job_file(*catalog, store, job_id, archive::record_file("delivery", "poster.jpg", file), "",
                                                             "run 2");
    EXPECT_TRUE(again.already);
    EXPECT_EQ(again.asset_id, asset);
    EXPECT_EQ(catalog->asset(asset).state, archive::AssetState::verified);
    EXPECT_TRUE(catalog->asset(asset).verified_at);

    // Other bytes in the store than were stored: not archived; the asset says why.
    auto [damaged, damaged_file] = stored_not_verified("thumb.jpg");
    std::ofstream(dir / "archive" / catalog->asset(damaged).store_key, std::ios::trunc) << "something else";
    EXPECT_THROW(pipeline::archive_job_file(*catalog, store, job_id, archive::record_file("delivery", "thumb.jpg", damaged_file),
                                            "", "run 2"),
                 Error);
    EXPECT_EQ(catalog->asset(damaged).state, archive::AssetState::failed);
    EXPECT_NE(catalog->asset(damaged).error.find("verify after store"), std::string::npos) << catalog->asset(damaged).error;
    fs::remove_all(dir);
}
