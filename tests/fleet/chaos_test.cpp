// The fleet under chaos: real `avpost worker` processes, real PostgreSQL, the sandbox and s3rver,
// each service behind its own TCP fault proxy (tests/support/fault_proxy.hpp). While 3 workers run
// 8 quick jobs with the shortest lease a worker allows (1 s), a seeded schedule injects latency
// on all three, resets of the database's connections, a vendor that drops connections and a store
// that resets them, and a database blackholed for longer than the lease. Once the faults clear
// the fleet must drain: every job done once, one render each, each file stored once and never
// rewritten, `archive verify --all` clean, and every worker alive until SIGTERM stops it.
// A second test fills the workers' disk and then the store's (small tmpfs mounts) under working
// jobs: the same promises once room is made, and no half-written file left behind.
//
// The seed is printed; AVPOST_CHAOS_SEED=N replays the same schedule (the machine's own timing is
// not replayed). Waits poll the catalog, the proxies' counters or a process with a deadline; the
// fixed waits are the faults' own durations.
#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "../archive/s3rver_environment.hpp"
#include "../archive/sync_test_support.hpp"
#include "avpost/archive/catalog.hpp"
#include "avpost/pipeline/job_runner.hpp"
#include "fault_proxy.hpp"
#include "postgres_server.hpp"
#include "quick_job.hpp"
#include "small_disk.hpp"

using namespace avpost;
using namespace avpost::test;
using nlohmann::json;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

const char* bucket = "avpost-chaos-test";
const auto* s3 = ::testing::AddGlobalTestEnvironment(new S3rverEnvironment(bucket));
const auto* postgres = [] {
    PostgresEnvironment::listen_on_tcp();  // the fault proxy forwards TCP
    return ::testing::AddGlobalTestEnvironment(new PostgresEnvironment);
}();

constexpr int job_count = 8;
constexpr int lease_seconds = 1;  // the shortest `avpost worker --lease-seconds` allows
constexpr int max_attempts = 10;
const std::vector<std::string> worker_names = {"c1", "c2", "c3"};

std::uint64_t chaos_seed() {
    if (const char* given = std::getenv("AVPOST_CHAOS_SEED"); given && *given) return std::strtoull(given, nullptr, 10);
    return std::random_device{}();
}

int port_of(const std::string& url) { return std::stoi(url.substr(url.rfind(':') + 1)); }

std::string describe(const FaultProxy::Counters& c) {
    std::ostringstream s;
    s << c.accepted << " accepted, " << c.forwarded << " forwarded, " << c.dropped << " dropped, " << c.reset
      << " reset, " << c.blackholed << " blackholed, " << c.target_refused << " refused by the target, "
      << c.bytes_to_target << "/" << c.bytes_to_client << " bytes there/back, " << c.bytes_discarded << " discarded";
    return s.str();
}

class Chaos : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(S3rverEnvironment::failure.empty()) << S3rverEnvironment::failure;
        uri = fresh_database();
        database = uri.substr(std::string("postgresql:///").size(), uri.find('?') - std::string("postgresql:///").size());
        dir = make_temp_dir("chaos");
        prefix = "s3://" + std::string(bucket) + "/" + dir.filename().string();

        // A proxy in front of each service. The environment is written before the sandbox's threads
        // start (setenv beside a getenv can crash); the proxies' thread never reads it. The workers
        // inherit it: every way they have to the vendor and the store is through a proxy.
        const int sandbox_port = free_loopback_port();
        db = std::make_unique<FaultProxy>("127.0.0.1", PostgresEnvironment::server().tcp_port());
        vendor = std::make_unique<FaultProxy>("127.0.0.1", sandbox_port);
        store = std::make_unique<FaultProxy>("127.0.0.1", port_of(S3rverEnvironment::endpoint));
        const std::string vendor_url = "http://" + vendor->address();
        ::setenv("AVPOST_S3_ENDPOINT", ("http://" + store->address()).c_str(), 1);
        ::setenv("AWS_ACCESS_KEY_ID", "S3RVER", 1);  // s3rver's fixed test credentials
        ::setenv("AWS_SECRET_ACCESS_KEY", "S3RVER", 1);
        ::setenv("AWS_REGION", "us-east-1", 1);
        sandbox::SandboxOptions o = quick_sandbox();
        o.port = sandbox_port;
        o.public_base_url = vendor_url;  // the render's links too: downloads go through the proxy
        ::setenv("AVPOST_A2V_BASE_URL", vendor_url.c_str(), 1);
        ::setenv("AVPOST_AKOOL_BASE_URL", vendor_url.c_str(), 1);
        ::setenv("A2V_TOKEN", o.a2v_token.c_str(), 1);
        ::setenv("AKOOL_API_KEY", o.akool_client_secret.c_str(), 1);
        ::setenv("AVPOST_HTTP_MAX_ATTEMPTS", "3", 1);
        server = std::make_unique<sandbox::SandboxServer>(o);
        server->start();
        catalog = archive::open_catalog(uri);  // the test's own view: the unix socket, no proxy
    }
    void TearDown() override {
        if (HasFailure())  // what each worker said, to read with the seed
            for (const auto& [name, worker] : workers)
                std::cout << "--- " << name << " stdout:\n"
                          << tail(read_file(worker->out), 6000) << "--- " << name << " stderr:\n"
                          << tail(read_file(worker->err), 6000) << std::endl;
        workers.clear();  // SIGKILL any still running
        if (server) server->stop();
        db.reset();
        vendor.reset();
        store.reset();
        remove_with_siblings(dir);
    }

    fs::path write_job(const std::string& name, int variant) {
        json job = quick_job(name, std::to_string(variant), dir / "archive", prefix);
        fs::path p = dir / (name + ".json");
        std::ofstream(p) << job.dump(2);
        return p;
    }

    // Writes `count` distinct jobs named PREFIX0, PREFIX1, ... and submits them. Up to 6 fault
    // events may each cost every job then running one attempt (a reset statement fails the
    // attempt; a claim whose answer a reset lost, or a lease that lapsed in the blackhole, counts
    // as one): with the default the schedule alone could fail a job. The tests ask that nothing
    // is lost or done twice, not what the retry budget should be.
    void submit_jobs(const std::string& prefix, int count) {
        std::string args = "submit --json --max-attempts " + std::to_string(max_attempts);
        for (int i = 0; i < count; ++i) args += " " + shell_quote(write_job(prefix + std::to_string(i), i).string());
        CommandResult r = avpost(args);
        ASSERT_EQ(r.exit_code, 0) << r.err;
    }

    // The avpost binary against the catalog directly (no proxy) and s3rver directly.
    CommandResult avpost(const std::string& args) {
        return run("AVPOST_S3_ENDPOINT=" + shell_quote(S3rverEnvironment::endpoint) + " " + shell_quote(AVPOST_BINARY) +
                   " " + args + " --catalog " + shell_quote(uri));
    }

    void start_worker(const std::string& name, const fs::path& output_root = {}) {
        // Through the database's proxy; no --drain: a worker runs until it is told to stop.
        std::vector<std::string> args = {"worker", "--catalog", PostgresServer::tcp_uri(database, db->port()),
                                         "--name", name, "--lease-seconds", std::to_string(lease_seconds),
                                         "--poll-seconds", "0.2", "--json", "--output-root",
                                         (output_root.empty() ? dir : output_root).string() + "/work-" + name};
        workers[name] = std::make_unique<Background>(args, dir, name);
    }

    // Every worker still running; the first that is not is named in `died`, with how it ended.
    bool all_alive() {
        for (auto& [name, worker] : workers) {
            int status = 0;
            if (worker->pid > 0 && ::waitpid(worker->pid, &status, WNOHANG) == worker->pid) {
                worker->pid = -1;
                const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
                died = name + " ended (" + std::to_string(code) + ") at " + elapsed() + ": " + tail(read_file(worker->err));
            }
            if (worker->pid <= 0) return false;
        }
        return true;
    }

    // Keeps a fault on for at least `least`, then until `bitten` or `most`; false if a worker died.
    template <class F>
    bool hold(std::chrono::milliseconds least, std::chrono::milliseconds most, F bitten) {
        const auto start = Clock::now();
        while (Clock::now() - start < most) {
            if (!all_alive()) return false;
            if (Clock::now() - start >= least && bitten()) return true;
            std::this_thread::sleep_for(20ms);
        }
        return all_alive();
    }

    // Waits up to `most` for nothing queued or running (a failed job ends the wait too).
    bool drain(std::chrono::milliseconds most) {
        const bool drained = hold(0ms, most, [&] {
            auto s = states();
            return s["queued"] == 0 && s["running"] == 0;
        });
        say("drained: " + states_text());
        return drained;
    }

    std::string elapsed() const {
        char text[32];
        std::snprintf(text, sizeof text, "%.1f s", std::chrono::duration<double>(Clock::now() - started).count());
        return text;
    }
    static std::string tail(const std::string& text, std::size_t n = 3000) {
        return text.size() <= n ? text : "..." + text.substr(text.size() - n);
    }
    void say(const std::string& what) { std::cout << "[chaos " << elapsed() << "] " << what << std::endl; }

    std::map<std::string, int> states() {
        std::map<std::string, int> count;
        for (const auto& j : catalog->queued_jobs()) ++count[std::string(archive::to_string(j.state))];
        return count;
    }
    std::string states_text() {
        std::string text;
        for (const auto& [state, n] : states()) text += (text.empty() ? "" : ", ") + std::to_string(n) + " " + state;
        return text;
    }
    bool some_job_at(const std::set<std::string>& stages) {
        for (const auto& j : catalog->queued_jobs())
            if (j.state == archive::QueueState::running && stages.count(j.stage)) return true;
        return false;
    }

    // After the faults: every job done, as `avpost jobs` says, each reported done by exactly one
    // worker, rendered once, and each of its files stored once, verified and never rewritten.
    void expect_each_job_done_once_and_each_file_stored_once(int jobs_expected) {
        // Every job done, as `avpost jobs` says, and each reported done by exactly one worker.
        CommandResult listed = avpost("jobs --json");
        ASSERT_EQ(listed.exit_code, 0) << listed.err;
        const json jobs = json::parse(listed.out).at("jobs");
        ASSERT_EQ(jobs.size(), std::size_t(jobs_expected)) << listed.out;
        std::map<std::string, int> attempts_of;  // by job name
        for (const json& j : jobs) {
            EXPECT_EQ(j["state"], "done") << j.dump();
            attempts_of[j["name"].get<std::string>()] = j["attempts"].get<int>();
        }
        std::multiset<std::int64_t> done;
        for (const auto& [name, worker] : workers)
            for (const json& line : json_lines(read_file(worker->out))) {
                if (line.value("event", "") == "done") done.insert(line["id"].get<std::int64_t>());
                if (line.value("event", "") == "abandoned") ++abandoned[name];  // reported when the workers stop
            }
        for (const json& j : jobs) EXPECT_EQ(done.count(j["id"].get<std::int64_t>()), 1u) << j.dump();
        EXPECT_EQ(done.size(), std::size_t(jobs_expected));

        // One render each: a job taken over, or tried again, waited on the render its earlier attempt
        // recorded.
        EXPECT_EQ(server->stats().renders, jobs_expected);
        EXPECT_EQ(server->stats().requests["/v1/a2v/video.generate"], jobs_expected);

        // Each file stored once: one verified asset per file of each job (avatar, mask, the web
        // delivery), each under its own key, claimed no more often than its job was tried (a takeover
        // releases the earlier attempt's claim and claims again: twice), and never rewritten in the
        // bucket after it was verified.
        std::map<std::string, std::string> job_of_render;  // vendor id -> job name
        for (const json& j : jobs) {
            auto render = catalog->find_stage(j["name"].get<std::string>(), "render");
            ASSERT_TRUE(render) << j.dump();
            job_of_render[render->result.at("id").get<std::string>()] = j["name"].get<std::string>();
        }
        std::set<std::string> keys;
        std::map<std::string, int> files_of;
        for (const auto& row : catalog->list()) {
            const archive::AssetRecord& a = row.asset;
            const std::string job = job_of_render.count(row.job.vendor_job_id) ? job_of_render[row.job.vendor_job_id]
                                                                                : "(render " + row.job.vendor_job_id + ")";
            ++files_of[job];
            EXPECT_EQ(a.state, archive::AssetState::verified) << job << " " << a.name << " " << a.error;
            EXPECT_TRUE(keys.insert(a.store_key).second) << "two assets under " << a.store_key;
            EXPECT_GE(a.attempts, 1) << job << " " << a.name;
            EXPECT_LE(a.attempts, 2 * attempts_of[job]) << job << " " << a.name;
            ASSERT_TRUE(a.verified_at) << job << " " << a.name;
            // s3rver keeps an object as KEY._S3rver_object under its bucket's directory.
            const fs::path object = S3rverEnvironment::data_dir / bucket /
                                    (dir.filename().string() + "/" + a.store_key + "._S3rver_object");
            struct stat st {};
            ASSERT_EQ(::stat(object.c_str(), &st), 0) << object;
            EXPECT_LE(st.st_mtim.tv_sec, *a.verified_at) << a.store_key << " written after it was verified";
        }
        EXPECT_EQ(files_of.size(), std::size_t(jobs_expected));
        for (const auto& [job, n] : files_of) EXPECT_EQ(n, 3) << job;
        EXPECT_EQ(count_files(S3rverEnvironment::data_dir / bucket / dir.filename(), "._S3rver_object"), 3 * jobs_expected);

        // `archive verify --all` reads every file back from the store.
        CommandResult verify = avpost("archive --archive " + shell_quote((dir / "archive").string()) + " verify --all");
        EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
        say("verified");
    }

    // Alive until told to stop; SIGTERM stops each (130: interrupted, as for every avpost command).
    void stop_workers() {
        for (auto& [name, worker] : workers) {
            int status = 0;
            ASSERT_EQ(::waitpid(worker->pid, &status, WNOHANG), 0) << name << " exited";
            worker->kill(SIGTERM);
        }
        say("SIGTERM sent");
        for (auto& [name, worker] : workers) {
            int code = -1000;
            const bool ended = eventually(
                [&] {
                    int status = 0;
                    if (::waitpid(worker->pid, &status, WNOHANG) != worker->pid) return false;
                    code = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
                    worker->pid = -1;
                    return true;
                },
                60s);  // a statement may be waiting out its deadline (30 s)
            EXPECT_TRUE(ended) << name << " did not stop on SIGTERM";
            EXPECT_EQ(code, 130) << name << ": " << tail(read_file(worker->err));
            std::cout << "[chaos " << elapsed() << "] " << name << " stopped (" << code << "), " << abandoned[name]
                      << " jobs abandoned; its stderr:\n"
                      << tail(read_file(worker->err)) << std::endl;
        }
    }

    std::string uri, database;
    fs::path dir;
    std::string prefix;
    std::unique_ptr<FaultProxy> db, vendor, store;
    std::unique_ptr<sandbox::SandboxServer> server;
    std::unique_ptr<archive::Catalog> catalog;
    std::map<std::string, std::unique_ptr<Background>> workers;
    std::map<std::string, int> abandoned;  // jobs each worker gave up (its lease lost)
    std::string died;
    Clock::time_point started = Clock::now();
};

}  // namespace

TEST_F(Chaos, EveryJobDoneOnceThroughLatencyResetsADatabaseBlackholeADroppingVendorAndAResettingStore) {
    const std::uint64_t seed = chaos_seed();
    std::cout << "chaos seed " << seed << " (AVPOST_CHAOS_SEED=" << seed << " replays this schedule)" << std::endl;
    RecordProperty("chaos_seed", std::to_string(seed));
    std::mt19937_64 random(seed);
    auto between = [&](int low, int high) { return std::uniform_int_distribution<int>(low, high)(random); };
    // The whole schedule drawn up front, so a seed names it whatever the run's timing.
    const auto db_latency = std::chrono::milliseconds(between(5, 40));
    const auto vendor_latency = std::chrono::milliseconds(between(5, 40));
    const auto store_latency = std::chrono::milliseconds(between(5, 40));
    const int db_resets = between(2, 4);
    std::vector<std::chrono::milliseconds> reset_gaps;
    for (int i = 0; i < db_resets; ++i) reset_gaps.push_back(std::chrono::milliseconds(between(200, 1500)));
    const auto vendor_drop = std::chrono::milliseconds(between(800, 2000));
    const auto store_reset = std::chrono::milliseconds(between(800, 2000));
    const std::int64_t store_reset_after = between(0, 4096);  // a HEAD may pass, a PUT's body not
    const auto blackhole = std::chrono::milliseconds(between(2500, 3500));  // > 2 leases
    std::cout << "schedule: latency db " << db_latency.count() << " ms, vendor " << vendor_latency.count()
              << " ms, store " << store_latency.count() << " ms; " << db_resets << " database resets; vendor drops "
              << vendor_drop.count() << " ms; store resets after " << store_reset_after << " bytes for "
              << store_reset.count() << " ms; database blackholed " << blackhole.count() << " ms" << std::endl;

    ASSERT_NO_FATAL_FAILURE(submit_jobs("chaos", job_count));
    ASSERT_EQ(catalog->queued_jobs().size(), std::size_t(job_count));

    started = Clock::now();
    db->latency(db_latency);
    vendor->latency(vendor_latency);
    store->latency(store_latency);
    for (const auto& name : worker_names) start_worker(name);

    // 1. The database's connections reset under working workers, again once they have reconnected.
    ASSERT_TRUE(hold(0ms, 60s, [&] { return states()["running"] >= 2; })) << died;
    say("running: " + states_text());
    for (int i = 0; i < db_resets; ++i) {
        const auto forwarded = db->counters().forwarded;
        db->reset_all();
        say("database connections reset");
        ASSERT_TRUE(hold(reset_gaps[i], 30s, [&] { return db->counters().forwarded >= forwarded + 3; })) << died;
    }

    // 2. The vendor drops new connections (each job's session opens its own) while the store resets
    //    each connection after a few bytes. Open vendor connections are not reset: a render request
    //    cut after the vendor took it would be made again by the job's next attempt, a duplicate no
    //    client can avoid without an idempotency key the vendors do not offer.
    ASSERT_TRUE(hold(0ms, 60s, [&] { return some_job_at({"render", "wait", "fetch", "archive"}); })) << died;
    vendor->drop();
    store->resetting(store_reset_after);
    say("vendor drops, store resets: " + states_text());
    const auto vendor_started = Clock::now();
    bool vendor_on = true;
    ASSERT_TRUE(hold(std::max(vendor_drop, store_reset), 20s, [&] {
        if (vendor_on && Clock::now() - vendor_started >= vendor_drop && vendor->counters().dropped > 0) {
            vendor->pass();
            vendor->latency(vendor_latency);
            vendor_on = false;
        }
        return !vendor_on && store->counters().reset > 0;
    })) << died;
    if (vendor_on) {
        vendor->pass();
        vendor->latency(vendor_latency);
    }
    store->pass();
    store->latency(store_latency);
    say("vendor and store pass again: " + states_text());

    // 3. The database blackholed for longer than two leases: every connection open then stays
    //    silent for good, as if the far end forgot it.
    db->blackhole();
    say("database blackholed: " + states_text());
    ASSERT_TRUE(hold(blackhole, blackhole, [] { return false; })) << died;
    db->pass();
    vendor->pass();
    store->pass();
    say("faults cleared: " + states_text());

    // Drained: nothing queued or running. A failed job ends the wait too.
    const bool drained = drain(150s);
    std::cout << "database proxy: " << describe(db->counters()) << "\nvendor proxy: " << describe(vendor->counters())
              << "\nstore proxy: " << describe(store->counters()) << std::endl;
    ASSERT_TRUE(drained) << (died.empty() ? "not drained within 150 s after the faults: " + states_text() : died);
    ASSERT_TRUE(all_alive()) << died;

    // The faults were felt.
    EXPECT_GT(db->counters().reset, 0);
    EXPECT_GT(db->counters().blackholed, 0);
    EXPECT_GT(vendor->counters().dropped, 0);
    EXPECT_GT(store->counters().reset, 0);

    ASSERT_NO_FATAL_FAILURE(expect_each_job_done_once_and_each_file_stored_once(job_count));
    stop_workers();
    say("done");
}

// Disks fill up under working jobs: the workers' disk (downloads, composites, deliveries) and the
// store's (s3rver's objects), both on a small tmpfs taken full by a filler. Each costs an attempt
// queued again with the usual backoff, not a render, a file stored twice or a job given up; once
// room is made, every job finishes, and nothing half-written is left on the workers' disk.
TEST_F(Chaos, AFullWorkerDiskAndAFullStoreDiskCostAttemptsNotRendersOrFiles) {
    constexpr int jobs = 3;
    SmallDisk worker_disk(dir / "worker-disk", "16m");
    if (!worker_disk.mounted())
        GTEST_SKIP() << "cannot mount a small tmpfs here (" << std::strerror(worker_disk.error()) << ")";
    SmallDisk store_disk(S3rverEnvironment::data_dir / bucket / dir.filename(), "16m");
    ASSERT_TRUE(store_disk.mounted()) << std::strerror(store_disk.error());
    ASSERT_TRUE(worker_disk.fill());
    ASSERT_TRUE(store_disk.fill());

    ASSERT_NO_FATAL_FAILURE(submit_jobs("disk", jobs));

    started = Clock::now();
    for (const std::string name : {"d1", "d2"}) start_worker(name, worker_disk.dir());
    auto failed_with = [&](const std::string& text) {
        for (const auto& j : catalog->queued_jobs())
            if (j.state == archive::QueueState::queued && j.attempts > 0 && j.last_error.find(text) != std::string::npos)
                return true;
        return false;
    };
    auto errors = [&] {
        std::string text;
        for (const auto& j : catalog->queued_jobs()) text += "\n  " + j.name + " (" + j.stage + "): " + j.last_error;
        return text;
    };

    // 1. The workers' disk is full: every job's first attempt fails on it, and is queued again.
    ASSERT_TRUE(hold(0ms, 60s, [&] {
        int waiting = 0;
        for (const auto& j : catalog->queued_jobs())
            if (j.state == archive::QueueState::queued && j.attempts > 0) ++waiting;
        return waiting == jobs;
    })) << died << errors();
    say("every job waits for another attempt:" + errors());
    EXPECT_TRUE(failed_with("No space left on device")) << errors();
    EXPECT_EQ(states()["failed"], 0) << errors();
    worker_disk.make_room();
    say("room on the workers' disk");

    // 2. The store's disk is full: the jobs render, fetch and compose now, and fail to archive.
    ASSERT_TRUE(hold(0ms, 90s, [&] {
        for (const auto& j : catalog->queued_jobs())
            if (j.state == archive::QueueState::queued && j.stage == "archive" && !j.last_error.empty()) return true;
        return false;
    })) << died << errors();
    say("a job waits for the store:" + errors());
    EXPECT_EQ(states()["failed"], 0) << errors();
    store_disk.make_room();
    say("room on the store's disk");

    const bool drained = drain(150s);
    ASSERT_TRUE(drained) << (died.empty() ? "not drained within 150 s of making room: " + states_text() + errors() : died);
    ASSERT_NO_FATAL_FAILURE(expect_each_job_done_once_and_each_file_stored_once(jobs));

    // Nothing half-written left on the workers' disk: no temporary of a download or an output.
    std::vector<std::string> debris;
    for (const auto& e : fs::recursive_directory_iterator(worker_disk.dir())) {
        const std::string name = e.path().filename().string();
        if (name.find(".partial-") != std::string::npos || name.ends_with(".part") || name.ends_with(".part.etag"))
            debris.push_back(e.path().string());
    }
    std::string listed;
    for (const auto& d : debris) listed += "\n  " + d;
    EXPECT_TRUE(debris.empty()) << "left on the workers' disk:" << listed;
    stop_workers();
}

// The product fix the chaos test called for: a catalog statement to a PostgreSQL that stopped
// answering fails once its deadline passes (before, PQexec waited for good and every worker of
// the fleet hung after the database's blackhole), and the next statement connects again.
TEST(ChaosCatalog, AStatementToADatabaseThatStoppedAnsweringFailsAtItsDeadlineAndTheNextOneReconnects) {
    const std::string uri = fresh_database();
    const std::string database = uri.substr(std::string("postgresql:///").size(), uri.find('?') - std::string("postgresql:///").size());
    FaultProxy proxy("127.0.0.1", PostgresEnvironment::server().tcp_port());
    archive::CatalogOptions options;
    options.answer_timeout = 1s;
    auto catalog = archive::open_catalog(PostgresServer::tcp_uri(database, proxy.port()), options);
    catalog->submit_job("one", {{"file", "/one.json"}, {"job", json::object()}});

    proxy.blackhole();
    auto started = Clock::now();
    try {
        catalog->queued_jobs();
        ADD_FAILURE() << "a statement to a blackholed database returned";
    } catch (const Error& e) {
        EXPECT_TRUE(archive::is_catalog_error(e)) << e.what();
        EXPECT_NE(std::string(e.what()).find("no answer from the server within 1 s"), std::string::npos) << e.what();
    }
    EXPECT_GE(Clock::now() - started, 1s);
    EXPECT_LT(Clock::now() - started, 20s);
    // Connecting again while it is away times out too (libpq's connect_timeout: at least 2 s).
    started = Clock::now();
    EXPECT_THROW(catalog->queued_jobs(), Error);
    EXPECT_LT(Clock::now() - started, 20s);
    EXPECT_EQ(proxy.counters().blackholed, 2);

    proxy.pass();
    ASSERT_EQ(catalog->queued_jobs().size(), 1u);
    EXPECT_EQ(catalog->queued_jobs()[0].name, "one");
}

// The product fix the chaos test's database resets called for: a render whose catalog record
// meets a reset connection is recorded once the catalog answers again (before, the job failed
// and its next attempt rendered a second time: a paid render lost).
TEST(ChaosCatalog, ARenderWhoseRecordMeetsAResetConnectionIsRecordedNotMadeAgain) {
    const std::string uri = fresh_database();
    const std::string database = uri.substr(std::string("postgresql:///").size(), uri.find('?') - std::string("postgresql:///").size());
    std::unique_ptr<sandbox::SandboxServer> server = start_sandbox_for_cli(quick_sandbox());  // its environment first
    FaultProxy proxy("127.0.0.1", PostgresEnvironment::server().tcp_port());
    const fs::path dir = make_temp_dir("render-record");
    auto generated = [&] { return server->stats().requests["/v1/a2v/video.generate"]; };

    // Resets the catalog's connection at the first checkpoint after the render exists: the one
    // before its stage record.
    class ResetOnceRendered : public pipeline::JobObserver {
    public:
        ResetOnceRendered(FaultProxy& p, std::function<int()> n) : proxy(p), generated(std::move(n)) {}
        void checkpoint() override {
            if (!reset && generated() == 1) {
                proxy.reset_all();
                reset = true;
            }
        }
        FaultProxy& proxy;
        std::function<int()> generated;
        bool reset = false;
    } observer(proxy, generated);

    pipeline::RunOptions options;
    options.env = pipeline::VendorEnvironment::from_env();
    options.parse.default_output_root = dir / "out";
    options.catalog = PostgresServer::tcp_uri(database, proxy.port());
    options.observer = &observer;
    const json job = {{"name", "recorded"},
                      {"source", {{"a2v", {{"pose_id", "pose-kai-front"}, {"audio_url", "http://127.0.0.1:9/voice.wav"}}}}},
                      {"wait", {{"interval_seconds", 0.05}, {"timeout_seconds", 60}}}};
    pipeline::JobReport report = pipeline::run_job(pipeline::read_job(job, dir / "recorded.json", options), options);
    EXPECT_TRUE(observer.reset);
    EXPECT_GE(proxy.counters().reset, 1);
    ASSERT_TRUE(report.ok) << report.error;
    auto catalog = archive::open_catalog(uri);
    auto render = catalog->find_stage("recorded", "render");
    ASSERT_TRUE(render);
    EXPECT_EQ(render->result.at("id"), report.vendor_job_id);
    EXPECT_EQ(generated(), 1);
    server->stop();
    fs::remove_all(dir);
}
