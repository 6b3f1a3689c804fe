// A fleet on one machine: real `avpost worker` processes sharing a real PostgreSQL queue
// (tests/support/postgres_server.hpp), the in-process sandbox as the vendor and s3rver as the
// shared store. A worker SIGKILLed mid-job, a worker paused past its lease, the database restarted
// under running workers, SIGTERM releasing a running job, the same job submitted twice, a SQLite
// queue, and LISTEN/NOTIFY waking an idle wait. Jobs are tiny (160x96, one second); every wait polls the catalog or a process with a
// deadline, never a fixed sleep.
#include <signal.h>

#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "../archive/s3rver_environment.hpp"
#include "../archive/sync_test_support.hpp"
#include "avpost/archive/catalog.hpp"
#include "postgres_server.hpp"
#include "quick_job.hpp"

using namespace avpost;
using namespace avpost::test;
using nlohmann::json;

namespace {

const char* bucket = "avpost-fleet-test";
const auto* s3 = ::testing::AddGlobalTestEnvironment(new S3rverEnvironment(bucket));
const auto* postgres = ::testing::AddGlobalTestEnvironment(new PostgresEnvironment);

class Fleet : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(S3rverEnvironment::failure.empty()) << S3rverEnvironment::failure;
        // The environment first, while no other thread runs (see start_sandbox_for_cli); the
        // workers inherit it.
        ::setenv("AVPOST_S3_ENDPOINT", S3rverEnvironment::endpoint.c_str(), 1);
        ::setenv("AWS_ACCESS_KEY_ID", "S3RVER", 1);  // s3rver's fixed test credentials
        ::setenv("AWS_SECRET_ACCESS_KEY", "S3RVER", 1);
        ::setenv("AWS_REGION", "us-east-1", 1);
        server = start_sandbox_for_cli(quick_sandbox());
        uri = fresh_database();
        dir = make_temp_dir("fleet");
        prefix = "s3://" + std::string(bucket) + "/" + dir.filename().string();
        catalog = archive::open_catalog(uri);
    }
    void TearDown() override {
        workers.clear();  // SIGKILL any still running
        if (server) server->stop();
        remove_with_siblings(dir);
    }

    fs::path write_job(const std::string& name, double audio_url_variant = 0, const std::string& file = {}) {
        json job = quick_job(name, std::to_string(audio_url_variant), dir / "archive", prefix);
        fs::path p = dir / (file.empty() ? name + ".json" : file);
        std::ofstream(p) << job.dump(2);
        return p;
    }

    CommandResult avpost(const std::string& args) {
        return run(shell_quote(AVPOST_BINARY) + " " + args + " --catalog " + shell_quote(uri));
    }

    // Submits the files; their queue ids.
    std::vector<std::int64_t> submit(const std::vector<fs::path>& files) {
        std::string args = "submit --json";
        for (const auto& f : files) args += " " + shell_quote(f.string());
        CommandResult r = avpost(args);
        EXPECT_EQ(r.exit_code, 0) << r.err;
        std::vector<std::int64_t> ids;
        const json out = json::parse(r.out);  // kept: a range-for over a temporary's member would dangle
        for (const json& j : out["jobs"]) ids.push_back(j["id"].get<std::int64_t>());
        EXPECT_EQ(ids.size(), files.size()) << r.out << r.err;
        return ids;
    }

    Background& start_worker(const std::string& name, int lease_seconds, bool drain = true) {
        std::vector<std::string> args = {"worker", "--catalog", uri, "--name", name, "--lease-seconds",
                                         std::to_string(lease_seconds), "--poll-seconds", "0.2", "--json",
                                         "--output-root", (dir / ("work-" + name)).string()};
        if (drain) args.push_back("--drain");
        workers[name] = std::make_unique<Background>(args, dir, name);
        return *workers[name];
    }

    // Waits for a worker to exit; its exit code (or -signal), -1000 after the deadline.
    int wait_exit(Background& worker, std::chrono::seconds limit = std::chrono::seconds(120)) {
        int code = -1000;
        bool ended = eventually(
            [&] {
                int status = 0;
                if (::waitpid(worker.pid, &status, WNOHANG) != worker.pid) return false;
                code = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
                worker.pid = -1;
                return true;
            },
            limit);
        return ended ? code : -1000;
    }

    // The queue ids each worker reported done (from its --json lines).
    std::multiset<std::int64_t> done_events() {
        std::multiset<std::int64_t> done;
        for (const auto& [name, worker] : workers)
            for (const json& line : json_lines(read_file(worker->out)))
                if (line.value("event", "") == "done") done.insert(line["id"].get<std::int64_t>());
        return done;
    }

    int generate_requests() { return server->stats().requests["/v1/a2v/video.generate"]; }

    std::unique_ptr<sandbox::SandboxServer> server;
    std::string uri;
    fs::path dir;
    std::string prefix;
    std::unique_ptr<archive::Catalog> catalog;
    std::map<std::string, std::unique_ptr<Background>> workers;
};

}  // namespace

TEST_F(Fleet, ThreeWorkersTwelveJobsOneKilledMidJobEveryJobDoneOnceWithOneRenderEach) {
    std::vector<fs::path> files;
    for (int i = 0; i < 12; ++i) files.push_back(write_job("clip" + std::to_string(i), i));
    std::vector<std::int64_t> ids = submit(files);
    ASSERT_EQ(ids.size(), 12u);

    Background& victim = start_worker("w1", 3);
    start_worker("w2", 3);
    start_worker("w3", 3);
    // w1 killed while it composes (or, if it is quick, archives) one of its jobs.
    std::int64_t killed_job = 0;
    ASSERT_TRUE(eventually(
        [&] {
            for (const auto& j : catalog->queued_jobs())
                if (j.state == archive::QueueState::running && j.worker == "w1" && j.stage == "compose") {
                    killed_job = j.id;
                    return true;
                }
            return false;
        },
        std::chrono::seconds(120)))
        << "w1 never composed: " << read_file(victim.err);
    victim.kill(SIGKILL);
    EXPECT_EQ(victim.wait(), -SIGKILL);

    EXPECT_EQ(wait_exit(*workers["w2"]), 0) << read_file(workers["w2"]->err);
    EXPECT_EQ(wait_exit(*workers["w3"]), 0) << read_file(workers["w3"]->err);

    // Every job done, each reported done exactly once, the killed one taken over.
    for (const auto& j : catalog->queued_jobs()) {
        EXPECT_EQ(j.state, archive::QueueState::done) << j.name << " " << j.last_error;
        if (j.id == killed_job) {
            EXPECT_EQ(j.attempts, 2) << j.name;
        }
    }
    std::multiset<std::int64_t> done = done_events();
    EXPECT_EQ(done.size(), 12u);
    for (std::int64_t id : ids) EXPECT_EQ(done.count(id), 1u) << "job " << id;
    // One render per job: the taken-over job reused the render w1 recorded.
    EXPECT_EQ(generate_requests(), 12);

    // Every file in the bucket: `archive verify` reads them all back, and each is verified (a
    // file stored by w1 just before it died, and found intact by its successor, included).
    CommandResult verify = avpost("archive --archive " + shell_quote((dir / "archive").string()) + " verify --all");
    EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
    int assets = 0;
    for (const auto& row : catalog->list()) {
        ++assets;
        EXPECT_EQ(row.asset.state, archive::AssetState::verified) << row.asset.name << " " << row.asset.error;
        EXPECT_TRUE(row.asset.store_uri.starts_with("s3://")) << row.asset.store_uri;
    }
    EXPECT_GE(assets, 12 * 3);  // avatar, mask and the web delivery of each
}

TEST_F(Fleet, AWorkerPausedPastItsLeaseWritesNothingOnceResumed) {
    std::vector<std::int64_t> ids = submit({write_job("paused")});
    ASSERT_EQ(ids.size(), 1u);
    Background& sleeper = start_worker("sleeper", 2, false);
    ASSERT_TRUE(eventually(
        [&] {
            auto j = catalog->queued_job(ids[0]);
            return j.state == archive::QueueState::running && j.worker == "sleeper" && j.stage == "compose";
        },
        std::chrono::seconds(60)))
        << read_file(sleeper.err);
    sleeper.kill(SIGSTOP);
    // Its lease lapses; another worker takes the job over and finishes it.
    Background& other = start_worker("other", 2);
    EXPECT_EQ(wait_exit(other), 0) << read_file(other.err);
    archive::QueuedJob finished = catalog->queued_job(ids[0]);
    ASSERT_EQ(finished.state, archive::QueueState::done) << finished.last_error;
    EXPECT_EQ(finished.attempts, 2);
    std::map<std::string, std::string> stages;
    for (const char* stage : {"render", "wait", "fetch", "compose", "archive"})
        if (auto r = catalog->find_stage("paused", stage)) stages[stage] = r->fingerprint + r->result.dump();
    std::vector<std::string> assets;
    for (const auto& row : catalog->list())
        assets.push_back(row.asset.name + " " + row.asset.sha256 + " " + std::string(archive::to_string(row.asset.state)));

    // Resumed: it learns the lease is gone and abandons the job, writing nothing.
    sleeper.kill(SIGCONT);
    ASSERT_TRUE(eventually(
        [&] {
            for (const json& line : json_lines(read_file(sleeper.out)))
                if (line.value("event", "") == "abandoned" && line["id"] == ids[0]) return true;
            return false;
        },
        std::chrono::seconds(60)))
        << read_file(sleeper.out) << read_file(sleeper.err);
    archive::QueuedJob after = catalog->queued_job(ids[0]);
    EXPECT_EQ(after.state, archive::QueueState::done);
    EXPECT_EQ(after.lease_token, finished.lease_token);
    EXPECT_EQ(after.updated_at, finished.updated_at);
    EXPECT_EQ(after.worker, finished.worker);
    EXPECT_EQ(after.last_error, "");
    for (const auto& [stage, record] : stages) {
        auto now = catalog->find_stage("paused", stage);
        ASSERT_TRUE(now) << stage;
        EXPECT_EQ(now->fingerprint + now->result.dump(), record) << stage;
    }
    std::vector<std::string> assets_after;
    for (const auto& row : catalog->list())
        assets_after.push_back(row.asset.name + " " + row.asset.sha256 + " " + std::string(archive::to_string(row.asset.state)));
    EXPECT_EQ(assets_after, assets);
    EXPECT_EQ(generate_requests(), 1);
    sleeper.kill(SIGTERM);
    EXPECT_EQ(wait_exit(sleeper), 130) << read_file(sleeper.err);
}

TEST_F(Fleet, ThePostgresRestartedUnderRunningWorkersLosesNothing) {
    std::vector<fs::path> files;
    for (int i = 0; i < 6; ++i) files.push_back(write_job("restart" + std::to_string(i), i));
    std::vector<std::int64_t> ids = submit(files);
    ASSERT_EQ(ids.size(), 6u);
    start_worker("r1", 5);
    start_worker("r2", 5);
    // Both running (each has claimed a job), so the restart cuts the connections of working
    // workers, not one still opening its catalog at start.
    std::set<std::string> claimers;
    ASSERT_TRUE(eventually(
        [&] {
            for (const auto& j : catalog->queued_jobs())
                if (j.state == archive::QueueState::running) claimers.insert(j.worker);
            return claimers.size() == 2;
        },
        std::chrono::seconds(60)));
    PostgresEnvironment::server().restart();
    EXPECT_EQ(wait_exit(*workers["r1"]), 0) << read_file(workers["r1"]->err);
    EXPECT_EQ(wait_exit(*workers["r2"]), 0) << read_file(workers["r2"]->err);
    auto after = archive::open_catalog(uri);
    for (const auto& j : after->queued_jobs()) EXPECT_EQ(j.state, archive::QueueState::done) << j.name << " " << j.last_error;
    EXPECT_EQ(after->queued_jobs().size(), 6u);
    std::multiset<std::int64_t> done = done_events();
    for (std::int64_t id : ids) EXPECT_EQ(done.count(id), 1u) << "job " << id;
}

TEST_F(Fleet, TheSameJobSubmittedTwiceIsQueuedOnceAndABadOneNotAtAll) {
    fs::path file = write_job("twice");
    std::vector<std::int64_t> first = submit({file});
    ASSERT_EQ(first.size(), 1u);
    CommandResult again = avpost("submit " + shell_quote(file.string()));
    EXPECT_EQ(again.exit_code, 0) << again.err;
    EXPECT_NE(again.out.find("unchanged " + std::to_string(first[0]) + " twice (already queued"), std::string::npos)
        << again.out;
    EXPECT_EQ(catalog->queued_jobs().size(), 1u);

    // A changed job is another job.
    fs::path changed = write_job("twice", 7, "twice-changed.json");
    std::vector<std::int64_t> second = submit({changed});
    ASSERT_EQ(second.size(), 1u);
    EXPECT_NE(second[0], first[0]);

    // A bad file: exit 2 naming the field, and nothing of the batch queued.
    json bad = json::parse(read_file(file));
    bad["name"] = "bad";
    bad["composite"]["anchor"] = "sideways";
    std::ofstream(dir / "bad.json") << bad.dump();
    CommandResult refused = avpost("submit " + shell_quote(write_job("fine").string()) + " " +
                                   shell_quote((dir / "bad.json").string()));
    EXPECT_EQ(refused.exit_code, 2);
    EXPECT_NE(refused.err.find("composite.anchor"), std::string::npos) << refused.err;
    EXPECT_EQ(catalog->queued_jobs().size(), 2u);

    // jobs: the listing, cancel and retry.
    CommandResult listed = avpost("jobs --json");
    ASSERT_EQ(listed.exit_code, 0) << listed.err;
    const json jobs = json::parse(listed.out).at("jobs");
    ASSERT_EQ(jobs.size(), 2u);
    EXPECT_EQ(jobs[0]["name"], "twice");
    EXPECT_EQ(jobs[0]["state"], "queued");
    EXPECT_EQ(avpost("jobs cancel " + std::to_string(first[0])).exit_code, 0);
    EXPECT_EQ(catalog->queued_job(first[0]).state, archive::QueueState::cancelled);
    EXPECT_EQ(avpost("jobs cancel " + std::to_string(first[0])).exit_code, 2);  // already cancelled
    EXPECT_EQ(avpost("jobs retry " + std::to_string(first[0])).exit_code, 0);
    EXPECT_EQ(avpost("jobs retry 99999").exit_code, 2);  // no such job: a bad argument, not bad input
    EXPECT_EQ(catalog->queued_job(first[0]).state, archive::QueueState::queued);
    // A cancelled twin no longer blocks a submit; a queued one does.
    CommandResult third = avpost("submit " + shell_quote(file.string()));
    EXPECT_NE(third.out.find("unchanged " + std::to_string(first[0])), std::string::npos) << third.out;
}

TEST_F(Fleet, AWorkerWithTwoSlotsOnASqliteQueuePollsAndDrains) {
    const std::string sqlite = (dir / "queue.db").string();
    // local1 names no archive: the worker's --archive takes it (as `run --archive` does).
    json unarchived = json::parse(read_file(write_job("local1", 1)));
    unarchived.erase("archive");
    std::ofstream(dir / "local1.json") << unarchived.dump();
    CommandResult r = run(shell_quote(AVPOST_BINARY) + " submit --catalog " + shell_quote(sqlite) + " " +
                          shell_quote(write_job("local0", 0).string()) + " " + shell_quote((dir / "local1.json").string()));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // The queue holds each job as it was checked, not the file: a file broken after the submit
    // changes nothing that runs.
    for (const char* name : {"local0.json", "local1.json"}) std::ofstream(dir / name) << "{\"name\": broken";
    // Two slots: each its own connection to the one SQLite file.
    Background worker({"worker", "--catalog", sqlite, "--concurrency", "2", "--poll-seconds", "0.1", "--drain",
                       "--output-root", (dir / "work").string(), "--archive", (dir / "worker-archive").string()},
                      dir, "sqlite-worker");
    EXPECT_EQ(wait_exit(worker), 0) << read_file(worker.err);
    // Its files went to the worker's archive (the queue's catalog records them), not OUTPUT/archive.
    EXPECT_TRUE(fs::is_directory(dir / "worker-archive") && !fs::is_empty(dir / "worker-archive"));
    EXPECT_FALSE(fs::exists(dir / "work" / "local1" / "archive"));
    auto queue = archive::open_catalog(sqlite);
    ASSERT_EQ(queue->queued_jobs().size(), 2u);
    for (const auto& j : queue->queued_jobs()) {
        EXPECT_EQ(j.state, archive::QueueState::done) << j.name << " " << j.last_error;
        EXPECT_EQ(j.attempts, 1) << j.name;
    }
}

TEST_F(Fleet, AnIdleWorkersWaitIsEndedByASubmitOrARetry) {
    auto listener = archive::open_catalog(uri);
    EXPECT_FALSE(listener->wait_for_queued_job(std::chrono::milliseconds(0)));  // listening from here on
    // Told, not timed out: the wait would last a minute otherwise.
    bool woken = false;
    std::thread waiting([&] { woken = listener->wait_for_queued_job(std::chrono::seconds(60)); });
    archive::SubmitResult submitted = catalog->submit_job("notified", {{"file", "/x.json"}, {"job", json::object()}});
    waiting.join();
    EXPECT_TRUE(woken);

    ASSERT_TRUE(catalog->cancel_job(submitted.id));
    woken = false;
    std::thread again([&] { woken = listener->wait_for_queued_job(std::chrono::seconds(60)); });
    ASSERT_TRUE(catalog->retry_job(submitted.id));
    again.join();
    EXPECT_TRUE(woken);
}

TEST_F(Fleet, SigtermStopsClaimingAndReleasesTheRunningJobToTheQueue) {
    std::vector<std::int64_t> ids = submit({write_job("stopping", 0), write_job("untouched", 1)});
    ASSERT_EQ(ids.size(), 2u);
    Background& worker = start_worker("stopper", 30, false);
    ASSERT_TRUE(eventually(
        [&] {
            auto j = catalog->queued_job(ids[0]);
            return j.state == archive::QueueState::running && (j.stage == "wait" || j.stage == "fetch");
        },
        std::chrono::seconds(60)))
        << read_file(worker.err);
    worker.kill(SIGTERM);
    EXPECT_EQ(wait_exit(worker), 130) << read_file(worker.err);
    // Released (this attempt not counted) or, had it been at its very end, finished; never left
    // running for a lease to lapse, never failed. The other job was not claimed.
    archive::QueuedJob stopped = catalog->queued_job(ids[0]);
    EXPECT_TRUE(stopped.state == archive::QueueState::queued || stopped.state == archive::QueueState::done)
        << archive::to_string(stopped.state) << " " << stopped.last_error;
    if (stopped.state == archive::QueueState::queued) {
        EXPECT_EQ(stopped.attempts, 0);
    }
    std::string said;
    for (const json& line : json_lines(read_file(worker.out)))
        if (line["id"] == ids[0] && line["event"] != "claimed") said = line["event"];
    EXPECT_EQ(said, stopped.state == archive::QueueState::queued ? "released" : "done") << read_file(worker.out);
    EXPECT_EQ(catalog->queued_job(ids[1]).attempts, 0);
    // Another worker finishes both, reusing the render the stopped one recorded.
    Background& next = start_worker("next", 30);
    EXPECT_EQ(wait_exit(next), 0) << read_file(next.err);
    for (std::int64_t id : ids) EXPECT_EQ(catalog->queued_job(id).state, archive::QueueState::done);
    EXPECT_EQ(generate_requests(), 2);
}

TEST_F(Fleet, AWorkerStartedBeforeItsDatabaseWaitsForItThenRunsTheQueue) {
    // The database does not exist yet: PostgreSQL refuses the connection, as while it starts.
    const std::string late = PostgresEnvironment::server().uri("late_database");
    Background worker({"worker", "--catalog", late, "--name", "early", "--poll-seconds", "0.2", "--drain", "--json",
                       "--output-root", (dir / "work-early").string()},
                      dir, "early");
    // It says so once a try, with its backoff, and does not exit.
    ASSERT_TRUE(eventually([&] { return read_file(worker.err).find("attempt 3,") != std::string::npos; },
                           std::chrono::seconds(30)))
        << read_file(worker.err);
    int status = 0;
    ASSERT_EQ(::waitpid(worker.pid, &status, WNOHANG), 0) << "the worker exited: " << read_file(worker.err);
    std::istringstream said(read_file(worker.err));
    for (std::string line; std::getline(said, line);)
        EXPECT_NE(line.find("next in"), std::string::npos) << "one line a try: " << line;

    PostgresEnvironment::server().create_database("late_database");
    CommandResult submitted = run(shell_quote(AVPOST_BINARY) + " submit --catalog " + shell_quote(late) + " " +
                                  shell_quote(write_job("after-the-database", 0).string()));
    ASSERT_EQ(submitted.exit_code, 0) << submitted.err;
    EXPECT_EQ(wait_exit(worker), 0) << read_file(worker.err);
    auto queue = archive::open_catalog(late);
    ASSERT_EQ(queue->queued_jobs().size(), 1u);
    EXPECT_EQ(queue->queued_jobs()[0].state, archive::QueueState::done) << queue->queued_jobs()[0].last_error;
    // `jobs` names the worker that ran the finished job.
    CommandResult listed = run(shell_quote(AVPOST_BINARY) + " jobs --json --catalog " + shell_quote(late));
    ASSERT_EQ(listed.exit_code, 0) << listed.err;
    const json jobs = json::parse(listed.out);
    EXPECT_EQ(jobs["jobs"][0]["last_worker"], "early") << listed.out;
    EXPECT_TRUE(jobs["jobs"][0]["worker"].is_null()) << listed.out;
    CommandResult table = run(shell_quote(AVPOST_BINARY) + " jobs --catalog " + shell_quote(late));
    EXPECT_NE(table.out.find(" early "), std::string::npos) << table.out;
}

TEST_F(Fleet, ExitOnUnreachableEndsAWorkerWhoseDatabaseIsAwayAtOnceWithOneLine) {
    const std::string away = PostgresEnvironment::server().uri("never_created");
    CommandResult r = run(shell_quote(AVPOST_BINARY) + " worker --exit-on-unreachable --drain --catalog " + shell_quote(away));
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find("never_created"), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}
