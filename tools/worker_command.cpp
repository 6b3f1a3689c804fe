// avpost worker: claims queued jobs and runs them through the pipeline (pipeline/worker.hpp);
// here only its flags and one line per event.
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <mutex>

#include "avpost/archive/catalog_metrics.hpp"
#include "avpost/archive/store.hpp"
#include "avpost/core/interrupt.hpp"
#include "avpost/core/log.hpp"
#include "avpost/net/metrics_endpoint.hpp"
#include "avpost/net/standard_webhooks.hpp"
#include "avpost/pipeline/webhook_delivery.hpp"
#include "avpost/pipeline/worker.hpp"
#include "command.hpp"
#include "exit_codes.hpp"
#include "queue_options.hpp"
#include "webhook_options.hpp"

namespace avpost::tool {
namespace {

// One line per claim and per outcome on stdout (JSON lines with --json); catalog trouble on stderr.
class PrintingObserver : public pipeline::WorkerObserver {
public:
    PrintingObserver(bool json, bool delivers_webhooks) : json_(json), delivers_webhooks_(delivers_webhooks) {}

    void claimed(const archive::QueuedJob& job) override {
        line({{"event", "claimed"}, {"id", job.id}, {"name", job.name}, {"attempt", job.attempts}},
             "claimed " + std::to_string(job.id) + " " + job.name + " (attempt " + std::to_string(job.attempts) + "/" +
                 std::to_string(job.max_attempts) + ")");
    }
    void finished(const archive::QueuedJob& job, pipeline::JobOutcome outcome, const pipeline::JobReport& report) override {
        if (!delivers_webhooks_ && job.spec.contains("notify") &&
            (outcome == pipeline::JobOutcome::done || outcome == pipeline::JobOutcome::failed) && !warned_.exchange(true))
            log::warning("webhooks are not sent by this worker (no --webhook-secret-file): the events of job " +
                         std::to_string(job.id) + " and later ones wait in the catalog's outbox for a deliverer");
        const std::string what(pipeline::to_string(outcome));
        std::string text = what + " " + std::to_string(job.id) + " " + job.name;
        if (!report.ok && !report.error.empty()) text += ": " + report.error;
        line({{"event", what},
              {"id", job.id},
              {"name", job.name},
              {"error", report.ok || report.error.empty() ? nlohmann::json() : nlohmann::json(report.error)}},
             text);
    }
    void catalog_trouble(const std::string& what) override { log::warning("catalog: " + what + " (trying again)"); }
    void metrics(const std::string& url) { line({{"event", "metrics"}, {"url", url}}, "metrics on " + url); }
    // One line per webhook attempt; the URL is not printed (its query may hold a token).
    void webhook(const archive::WebhookEvent& e, const archive::WebhookAttemptResult& r) {
        using Outcome = archive::WebhookAttemptResult::Outcome;
        const std::string outcome = r.outcome == Outcome::delivered ? "delivered" : r.outcome == Outcome::dead ? "dead" : "failed";
        std::string text = "webhook " + e.event_id + " " + e.type + " " +
                           (e.job_id ? "job " + std::to_string(*e.job_id) : "batch " + std::to_string(e.batch_id.value_or(0))) +
                           ": " + outcome + " (attempt " + std::to_string(e.attempts) +
                           (r.status ? ", HTTP " + std::to_string(*r.status) : "") + ")";
        if (r.outcome != Outcome::delivered && !r.error.empty()) text += ": " + r.error;
        if (r.outcome == Outcome::failed) text += "; next at " + archive::iso8601(r.next_attempt_at);
        line({{"event", "webhook"},
              {"webhook_id", e.event_id},
              {"type", e.type},
              {"job_id", e.job_id ? nlohmann::json(*e.job_id) : nlohmann::json()},
              {"batch_id", e.batch_id ? nlohmann::json(*e.batch_id) : nlohmann::json()},
              {"outcome", outcome},
              {"attempt", e.attempts},
              {"status", r.status ? nlohmann::json(*r.status) : nlohmann::json()}},
             text);
    }

private:
    void line(const nlohmann::json& j, const std::string& text) {
        std::lock_guard lock(mutex_);
        if (json_) std::cout << j.dump() << std::endl;
        else std::cout << text << std::endl;
    }

    bool json_;
    bool delivers_webhooks_;
    std::atomic<bool> warned_{false};  // the missing deliverer is said once
    std::mutex mutex_;
};

class PrintingWebhookObserver : public pipeline::WebhookObserver {
public:
    explicit PrintingWebhookObserver(PrintingObserver& printer) : printer_(printer) {}
    void attempted(const archive::WebhookEvent& e, const archive::WebhookAttemptResult& r) override { printer_.webhook(e, r); }
    void catalog_trouble(const std::string& what) override { log::warning("webhooks: catalog: " + what + " (trying again)"); }

private:
    PrintingObserver& printer_;
};

}  // namespace

CommandSpec worker_command() {
    return {"worker", "Run queued jobs (avpost submit) until stopped; many workers may share one catalog",
            [](CLI::App& sub, const GlobalOptions& global) -> CommandRun {
                struct Opts {
                    std::string catalog;
                    int concurrency = 1;
                    int lease_seconds = 60;
                    double poll_seconds = 2;
                    bool drain = false;
                    bool exit_on_unreachable = false;
                    bool json = false;
                    std::string output_root = "out";
                    std::string archive_dir;
                    std::string name;
                    std::string metrics_listen;
                    WebhookFlags webhooks;
                };
                auto o = std::make_shared<Opts>();
                add_queue_catalog_option(sub, o->catalog);
                sub.add_option("--concurrency", o->concurrency, "Jobs run at once (default 1)")->check(CLI::Range(1, 64));
                sub.add_option("--lease-seconds", o->lease_seconds,
                               "A claimed job's lease, renewed every third of it (default 60): a worker gone this "
                               "long loses its jobs to others")
                    ->check(CLI::Range(1, 86400));
                sub.add_option("--poll-seconds", o->poll_seconds,
                               "Look for jobs this often when no notification comes (default 2; PostgreSQL notifies)")
                    ->check(CLI::Range(0.05, 3600.0));
                sub.add_flag("--drain", o->drain, "Exit 0 once no job is queued or running");
                sub.add_flag("--exit-on-unreachable", o->exit_on_unreachable,
                             "Exit (code 1) when the PostgreSQL catalog cannot be reached at the start, instead of "
                             "trying again with a backoff until it can");
                sub.add_option("--output-root", o->output_root,
                               "Where jobs without an \"output\" are made: OUTPUT_ROOT/NAME (default: out)");
                sub.add_option("--archive", o->archive_dir,
                               "Archive of jobs without \"archive.root\" (default: $AVPOST_ARCHIVE, else OUTPUT/archive)");
                sub.add_option("--name", o->name, "This worker's name in `avpost jobs` (default: HOST:PID)");
                sub.add_flag("--json", o->json, "One JSON object per line for each claim and outcome");
                sub.add_option("--metrics-listen", o->metrics_listen,
                               "Serve Prometheus metrics at http://ADDR/metrics (HOST:PORT, e.g. 127.0.0.1:9464; port 0: "
                               "any free port, printed); no access control: keep it on loopback or a private network");
                add_webhook_flags(sub, o->webhooks);
                return [o, &global] {
                    install_interrupt_handlers();  // SIGTERM/SIGINT: stop claiming, release running jobs
                    pipeline::WorkerOptions w;
                    w.catalog = queue_catalog_location(o->catalog);
                    w.name = o->name;
                    w.concurrency = o->concurrency;
                    w.lease = std::chrono::seconds(o->lease_seconds);
                    w.drain = o->drain;
                    w.exit_on_unreachable = o->exit_on_unreachable;
                    w.poll_interval = std::chrono::milliseconds(static_cast<long long>(o->poll_seconds * 1000));
                    w.run.env = pipeline::VendorEnvironment::from_env();
                    w.run.parse.default_output_root = o->output_root;
                    // As `run`: the archive the environment names unless --archive says another.
                    if (const char* env = std::getenv("AVPOST_ARCHIVE"); !o->archive_dir.empty() || (env && *env))
                        w.run.parse.default_archive_root = archive::archive_root(o->archive_dir);
                    PrintingObserver observer(global.json || o->json, !o->webhooks.secret_file.empty());
                    std::unique_ptr<net::MetricsServer> metrics;
                    if (!o->metrics_listen.empty()) {
                        metrics = std::make_unique<net::MetricsServer>(
                            net::parse_listen_address(o->metrics_listen),
                            net::Collectors{std::make_shared<archive::CatalogMetrics>(w.catalog)});
                        observer.metrics(metrics->url());
                    }
                    PrintingWebhookObserver webhook_observer(observer);
                    std::unique_ptr<pipeline::WebhookDelivery> webhooks;
                    if (!o->webhooks.secret_file.empty()) {
                        pipeline::WebhookDeliveryOptions d = webhook_delivery_options(
                            o->webhooks, w.catalog, o->name.empty() ? pipeline::default_worker_name() : o->name);
                        d.observer = &webhook_observer;
                        webhooks = std::make_unique<pipeline::WebhookDelivery>(std::move(d));
                        webhooks->start();
                    }
                    pipeline::WorkerSummary s = pipeline::run_worker(w, &observer);
                    if (webhooks) webhooks->stop();
                    log::info("worker: " + std::to_string(s.done) + " done, " + std::to_string(s.failed) + " failed, " +
                              std::to_string(s.retrying) + " to retry, " + std::to_string(s.released) + " released, " +
                              std::to_string(s.abandoned) + " abandoned");
                    return interrupted() ? int(exit_interrupted) : int(exit_ok);
                };
            }};
}

}  // namespace avpost::tool
