// /metrics end to end: `avpost serve` and `avpost worker --metrics-listen` as processes on one
// SQLite queue, the in-process sandbox as the vendor. Scraped before and after jobs run: the
// queue's and the archive's gauges (serve) and the worker's counters and histograms move as they
// should; neither text carries a URL, a secret or a job's name; promtool checks both.
#include <signal.h>

#include <regex>

#include "../archive/sync_test_support.hpp"
#include "avpost/archive/catalog.hpp"
#include "prometheus_text.hpp"
#include "quick_job.hpp"

using namespace avpost;
using namespace avpost::test;
using nlohmann::json;

namespace {

std::map<std::string, double> scrape(int port, std::string* text = nullptr) {
    httplib::Client client("127.0.0.1", port);
    auto res = client.Get("/metrics");
    if (!res || res->status != 200) {
        ADD_FAILURE() << "GET /metrics on port " << port << ": " << (res ? std::to_string(res->status) : "no answer");
        return {};
    }
    EXPECT_EQ(res->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
    if (text) *text = res->body;
    return prometheus_samples(res->body);
}

// Nothing of a job, a vendor link or a credential in a scraped text.
void expect_nothing_secret(const std::string& text, const sandbox::SandboxOptions& o, const std::string& what) {
    for (const std::string& s : {std::string("://"), std::string("127.0.0.1"), std::string("metricsclip"), o.a2v_token,
                                 o.a2v_password, o.akool_client_secret, std::string("voice.wav")})
        EXPECT_EQ(text.find(s), std::string::npos) << what << " shows '" << s << "':\n" << text;
}

void expect_promtool_passes(const std::string& text, const fs::path& dir, const std::string& name) {
    const std::string promtool = find_promtool();
    if (promtool.empty()) {
        if (running_in_ci()) FAIL() << "promtool not found: scripts/setup.sh installs Debian's prometheus package";
        GTEST_SKIP() << "promtool not found (install Debian's prometheus package); the other checks ran";
    }
    PromtoolResult r = promtool_check(promtool, text, dir, name);
    EXPECT_EQ(r.exit_code, 0) << name << ": " << r.output << "\n" << text;
}

}  // namespace

TEST(MetricsEndToEnd, ServeAndAWorkerShowJobsAsTheyRun) {
    // The environment first, while no other thread runs (start_sandbox_for_cli): the webhook
    // receiver of serve needs Akool client credentials.
    const sandbox::SandboxOptions sandbox_options = quick_sandbox();
    ::setenv("AKOOL_CLIENT_ID", sandbox_options.akool_client_id.c_str(), 1);
    ::setenv("AKOOL_CLIENT_SECRET", sandbox_options.akool_client_secret.c_str(), 1);
    auto server = start_sandbox_for_cli(sandbox_options);
    const fs::path dir = make_temp_dir("metrics");
    const std::string queue = (dir / "queue.db").string();
    const fs::path archive_root = dir / "archive";
    auto write_job = [&](const std::string& name, int variant) {
        json job = quick_job(name, std::to_string(variant), archive_root, "");
        job["archive"].erase("store");  // the archive root itself
        fs::path p = dir / (name + ".json");
        std::ofstream(p) << job.dump(2);
        return p.string();
    };
    auto submit = [&](const std::string& file) {
        CommandResult r = run(shell_quote(AVPOST_BINARY) + " submit --catalog " + shell_quote(queue) + " " + shell_quote(file));
        ASSERT_EQ(r.exit_code, 0) << r.err;
    };
    auto catalog = [&] { return archive::open_catalog(queue); };
    auto all_done = [&](std::size_t n) {
        return eventually(
            [&] {
                auto jobs = catalog()->queued_jobs();
                return jobs.size() == n && std::all_of(jobs.begin(), jobs.end(), [](const archive::QueuedJob& j) {
                           return j.state == archive::QueueState::done;
                       });
            },
            std::chrono::seconds(120));
    };

    Background serve({"serve", "--port", "0", "--archive", archive_root.string(), "--catalog", queue}, dir, "serve");
    const int serve_port = port_from(serve, R"(metrics: http://127\.0\.0\.1:(\d+)/metrics)");
    ASSERT_GT(serve_port, 0);
    auto s0 = scrape(serve_port);
    EXPECT_EQ(sample(s0, "avpost_catalog_up"), 1);
    EXPECT_EQ(sample(s0, "avpost_queue_jobs{state=\"queued\"}"), 0);
    EXPECT_EQ(sample(s0, "avpost_queue_depth"), 0);
    EXPECT_EQ(sample(s0, "avpost_archive_stored_bytes"), 0);
    EXPECT_EQ(sample(s0, "avpost_webhook_callbacks_total{outcome=\"rejected\",vendor=\"akool\"}"), 0);

    // A job queued, no worker yet: the queue's depth shows it.
    submit(write_job("metricsclip1", 1));
    auto s1 = scrape(serve_port);
    EXPECT_EQ(sample(s1, "avpost_queue_jobs{state=\"queued\"}"), 1);
    EXPECT_EQ(sample(s1, "avpost_queue_depth"), 1);
    EXPECT_GE(sample(s1, "avpost_queue_oldest_due_age_seconds"), 0);

    // A forged Akool callback: rejected, and counted.
    httplib::Client serve_client("127.0.0.1", serve_port);
    auto forged = serve_client.Post("/", R"({"signature":"x","dataEncrypt":"y","timestamp":1,"nonce":"1"})",
                                    "application/json");
    ASSERT_TRUE(forged);
    EXPECT_EQ(forged->status, 400);

    Background worker({"worker", "--catalog", queue, "--poll-seconds", "0.1", "--json", "--output-root",
                       (dir / "work").string(), "--metrics-listen", "127.0.0.1:0"},
                      dir, "worker");
    const int worker_port = port_from(worker, R"("event":"metrics","url":"http://127\.0\.0\.1:(\d+)/metrics")");
    ASSERT_GT(worker_port, 0);
    ASSERT_TRUE(all_done(1)) << read_file(worker.out) << read_file(worker.err);
    auto w1 = scrape(worker_port);
    EXPECT_EQ(sample(w1, "avpost_worker_jobs_total{outcome=\"done\"}"), 1);
    EXPECT_EQ(sample(w1, "avpost_worker_jobs_total{outcome=\"failed\"}"), 0);
    EXPECT_EQ(sample(w1, "avpost_stage_duration_seconds_count{outcome=\"ran\",stage=\"compose\"}"), 1);

    // A second job: the worker's counters move on; the serve's gauges follow the catalog.
    submit(write_job("metricsclip2", 2));
    ASSERT_TRUE(all_done(2)) << read_file(worker.out) << read_file(worker.err);
    std::string worker_text, serve_text;
    auto w2 = scrape(worker_port, &worker_text);
    EXPECT_EQ(sample(w2, "avpost_worker_jobs_total{outcome=\"done\"}"), 2) << worker_text;
    EXPECT_EQ(sample(w2, "avpost_worker_running_jobs"), 0);
    for (const char* stage : {"render", "wait", "fetch", "compose", "archive"}) {
        const std::string series = std::string("avpost_stage_duration_seconds_count{outcome=\"ran\",stage=\"") + stage + "\"}";
        EXPECT_EQ(sample(w2, series), 2) << series << "\n" << worker_text;
        EXPECT_EQ(sample(w2, std::string("avpost_stage_duration_seconds_bucket{outcome=\"ran\",stage=\"") + stage +
                                 "\",le=\"+Inf\"}"),
                  2);
    }
    EXPECT_GE(sample(w2, "avpost_worker_claim_duration_seconds_count"), 2) << "every claim, with or without a job";
    EXPECT_EQ(sample(w2, "avpost_worker_claim_wait_seconds_count"), 2) << "claims that got a job";
    EXPECT_GT(sample(w2, "avpost_vendor_requests_total{code=\"200\",vendor=\"a2v\"}"), 0) << worker_text;
    EXPECT_GT(sample(w2, "avpost_vendor_requests_total{code=\"200\",vendor=\"download\"}"), 0) << worker_text;
    EXPECT_EQ(sample(w2, "avpost_queue_jobs{state=\"done\"}"), 2) << "the worker shows the catalog's gauges too";

    auto s2 = scrape(serve_port, &serve_text);
    EXPECT_EQ(sample(s2, "avpost_queue_jobs{state=\"done\"}"), 2) << serve_text;
    EXPECT_EQ(sample(s2, "avpost_queue_jobs{state=\"queued\"}"), 0);
    EXPECT_EQ(sample(s2, "avpost_queue_depth"), 0);
    EXPECT_EQ(sample(s2, "avpost_queue_oldest_due_age_seconds"), 0);
    EXPECT_GE(sample(s2, "avpost_archive_assets{state=\"verified\"}"), 2) << serve_text;
    EXPECT_EQ(sample(s2, "avpost_archive_backlog_assets"), 0);
    EXPECT_GT(sample(s2, "avpost_archive_stored_bytes"), 0);
    EXPECT_EQ(sample(s2, "avpost_webhook_callbacks_total{outcome=\"rejected\",vendor=\"akool\"}"), 1) << serve_text;
    EXPECT_EQ(sample(s2, "avpost_webhook_callbacks_total{outcome=\"accepted\",vendor=\"akool\"}"), 0);
    EXPECT_EQ(s2.count("avpost_worker_jobs_total{outcome=\"done\"}"), 0u) << "a worker's counters are its own";

    expect_nothing_secret(worker_text, sandbox_options, "the worker");
    expect_nothing_secret(serve_text, sandbox_options, "serve");

    worker.kill(SIGTERM);
    EXPECT_EQ(worker.wait(), 130) << read_file(worker.err);  // stopped by a signal
    serve.kill(SIGTERM);
    EXPECT_EQ(serve.wait(), 0) << read_file(serve.err);
    server->stop();
    expect_promtool_passes(worker_text, dir, "worker");
    expect_promtool_passes(serve_text, dir, "serve");
    if (!HasFailure()) remove_with_siblings(dir);
}

TEST(MetricsEndToEnd, ServesMetricsOnlyToWhomTheGalleryAdmits) {
    const fs::path dir = make_temp_dir("metrics-token");
    const std::string token = "fake-metrics-token-for-tests";
    Background serve({"serve", "--port", "0", "--archive", (dir / "archive").string()}, dir, "serve", {},
                     {"AVPOST_GALLERY_TOKEN=" + token});
    const int port = port_from(serve, R"(metrics: http://127\.0\.0\.1:(\d+)/metrics)");
    ASSERT_GT(port, 0);
    httplib::Client client("127.0.0.1", port);
    auto refused = client.Get("/metrics");
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 401);
    EXPECT_EQ(refused->body.find("avpost_"), std::string::npos);
    auto admitted = client.Get("/metrics", {{"Authorization", "Bearer " + token}});
    ASSERT_TRUE(admitted);
    EXPECT_EQ(admitted->status, 200);
    EXPECT_EQ(sample(prometheus_samples(admitted->body), "avpost_catalog_up"), 1);
    EXPECT_EQ(admitted->body.find(token), std::string::npos);
    serve.kill(SIGTERM);
    EXPECT_EQ(serve.wait(), 0) << read_file(serve.err);
    remove_with_siblings(dir);
}

TEST(MetricsEndToEnd, AWorkerRefusesAMetricsAddressThatIsNotHostColonPort) {
    const fs::path dir = make_temp_dir("metrics-bad-address");
    CommandResult r = run(shell_quote(AVPOST_BINARY) + " worker --catalog " + shell_quote((dir / "q.db").string()) +
                          " --metrics-listen 9464 --drain");
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_NE(r.err.find("'9464' is not HOST:PORT"), std::string::npos) << r.err;
    remove_with_siblings(dir);
}
