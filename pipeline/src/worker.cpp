#include "avpost/pipeline/worker.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "avpost/archive/catalog.hpp"
#include "avpost/core/interrupt.hpp"
#include "avpost/core/metrics.hpp"
#include "avpost/net/redact.hpp"
#include "avpost/net/retry_rule.hpp"
#include "avpost/net/service_error.hpp"

namespace avpost::pipeline {
namespace fs = std::filesystem;
using archive::Catalog;
using archive::QueuedJob;
using Clock = std::chrono::steady_clock;

namespace {

// What a worker records for /metrics (avpost worker --metrics-listen): made once per process, the
// labelled children kept, so recording is an atomic add (a histogram: a short lock).
struct WorkerMetrics {
    prometheus::Family<prometheus::Counter>& jobs = prometheus::BuildCounter()
        .Name("avpost_worker_jobs_total")
        .Help("Claimed jobs this worker finished, by outcome (done, retrying, failed, released, abandoned)")
        .Register(metrics::registry());
    prometheus::Gauge& running = prometheus::BuildGauge()
        .Name("avpost_worker_running_jobs")
        .Help("Jobs this worker runs now")
        .Register(metrics::registry())
        .Add({});
    prometheus::Histogram& claim = prometheus::BuildHistogram()
        .Name("avpost_worker_claim_duration_seconds")
        .Help("How long asking the catalog for the next job took (every claim, with or without a job)")
        .Register(metrics::registry())
        .Add({}, metrics::latency_buckets());
    prometheus::Histogram& claim_wait = prometheus::BuildHistogram()
        .Name("avpost_worker_claim_wait_seconds")
        .Help("How long a claimed job had been due before this worker claimed it, in whole seconds (a job taken "
              "over from a lost worker: since it first became due)")
        .Register(metrics::registry())
        .Add({}, metrics::duration_buckets());
    prometheus::Family<prometheus::Histogram>& stages = prometheus::BuildHistogram()
        .Name("avpost_stage_duration_seconds")
        .Help("Pipeline stages of claimed jobs by stage (render, wait, fetch, compose, archive) and outcome "
              "(ran, failed); stages skipped as done before are not counted")
        .Register(metrics::registry());

    WorkerMetrics() {
        for (JobOutcome o : {JobOutcome::done, JobOutcome::retrying, JobOutcome::failed, JobOutcome::released,
                             JobOutcome::abandoned})
            outcome(o);  // every outcome shown from the start, at 0
    }
    prometheus::Counter& outcome(JobOutcome o) { return jobs.Add({{"outcome", std::string(to_string(o))}}); }
    void stage(const StageReport& s) {
        if (s.status != "ran" && s.status != "failed") return;
        stages.Add({{"stage", s.name}, {"outcome", s.status}}, metrics::duration_buckets()).Observe(s.seconds);
    }
};

WorkerMetrics& worker_metrics() {
    static WorkerMetrics m;
    return m;
}

// The lease of a running job was taken by another worker: stop, write nothing more.
class LeaseLost : public Error {
public:
    using Error::Error;
};

// A claimed job while it runs: its lease, and whether that lease is still ours.
struct HeldJob {
    archive::JobLease lease;
    std::atomic<bool> lost{false};
    std::atomic<Clock::rep> renewed;  // the last renewal the catalog confirmed (steady clock)

    explicit HeldJob(archive::JobLease l) : lease(l), renewed(Clock::now().time_since_epoch().count()) {}
    Clock::time_point last_renewed() const { return Clock::time_point(Clock::duration(renewed.load())); }
};

// Renews the leases of every running job of this worker every lease/3, on a connection of its own.
class LeaseKeeper {
public:
    LeaseKeeper(std::unique_ptr<Catalog> catalog, std::chrono::seconds lease, WorkerObserver& observer)
        : catalog_(std::move(catalog)), lease_(lease), observer_(observer), thread_([this] { loop(); }) {}
    ~LeaseKeeper() {
        {
            std::lock_guard lock(mutex_);
            ending_ = true;
        }
        cv_.notify_all();
        thread_.join();
    }

    void add(const std::shared_ptr<HeldJob>& job) {
        std::lock_guard lock(mutex_);
        held_.insert(job);
    }
    void remove(const std::shared_ptr<HeldJob>& job) {
        std::lock_guard lock(mutex_);
        held_.erase(job);
    }

private:
    void loop() {
        const auto period = std::max<std::chrono::milliseconds>(std::chrono::milliseconds(lease_) / 3, std::chrono::milliseconds(100));
        std::unique_lock lock(mutex_);
        while (!cv_.wait_for(lock, period, [this] { return ending_; })) {
            std::set<std::shared_ptr<HeldJob>> jobs = held_;
            lock.unlock();
            for (const auto& job : jobs) renew(*job);
            lock.lock();
        }
    }

    void renew(HeldJob& job) {
        if (job.lost) return;
        try {
            if (catalog_->heartbeat_job(job.lease, lease_)) {
                job.renewed = Clock::now().time_since_epoch().count();
                return;
            }
            job.lost = true;  // another worker holds it now, or a person cancelled it
        } catch (const Error& e) {
            observer_.catalog_trouble(net::redact_text(e.what()));
            // Unconfirmed for a whole lease: another worker may have taken it; stop writing.
            if (Clock::now() - job.last_renewed() >= lease_) job.lost = true;
        }
    }

    std::unique_ptr<Catalog> catalog_;
    std::chrono::seconds lease_;
    WorkerObserver& observer_;
    std::mutex mutex_;
    std::condition_variable cv_;
    bool ending_ = false;
    std::set<std::shared_ptr<HeldJob>> held_;
    std::thread thread_;
};

// The pipeline's observer for one claimed job: each stage noted in the queue (fenced), and every
// checkpoint stops the job once its lease is lost or the worker stops.
class LeasedJobObserver : public JobObserver {
public:
    LeasedJobObserver(Catalog& catalog, HeldJob& held, std::chrono::seconds lease, const QueuedJob& job,
                      WorkerObserver& observer, std::function<bool()> stopping)
        : catalog_(catalog), held_(held), lease_(lease), job_(job), observer_(observer), stopping_(std::move(stopping)) {}

    void stage_started(const std::string&, const std::string& stage) override {
        checkpoint();
        observer_.stage(job_, stage);
        try {
            if (!catalog_.set_job_stage(held_.lease, stage)) held_.lost = true;
        } catch (const Error& e) {
            if (!archive::is_catalog_error(e)) throw;
            observer_.catalog_trouble(net::redact_text(e.what()));  // the stage column is for people; go on
        }
        checkpoint();
    }

    void stage_finished(const std::string&, const StageReport& stage) override { worker_metrics().stage(stage); }

    void checkpoint() override {
        confirm_if_stale();
        if (held_.lost)
            throw LeaseLost(ErrorDomain::system, "queued job " + std::to_string(job_.id), 0,
                            "its lease was lost (another worker took it over): abandoned");
        if (stopping_()) throw Error(ErrorDomain::system, "queued job " + std::to_string(job_.id), 0, "the worker stops");
    }

private:
    // The renewals say nothing for a while (this process was paused, or the catalog was away):
    // ask the catalog itself before the job writes anything, so a worker resumed after its lease
    // lapsed learns it at once, not at the next renewal.
    void confirm_if_stale() {
        if (held_.lost || Clock::now() - held_.last_renewed() < lease_ / 2) return;
        try {
            if (catalog_.heartbeat_job(held_.lease, lease_)) held_.renewed = Clock::now().time_since_epoch().count();
            else held_.lost = true;
        } catch (const Error& e) {
            if (!archive::is_catalog_error(e)) throw;
            observer_.catalog_trouble(net::redact_text(e.what()));
            if (Clock::now() - held_.last_renewed() >= lease_) held_.lost = true;
        }
    }

    Catalog& catalog_;
    HeldJob& held_;
    std::chrono::seconds lease_;
    const QueuedJob& job_;
    WorkerObserver& observer_;
    std::function<bool()> stopping_;
};

class Worker {
public:
    Worker(const WorkerOptions& options, WorkerObserver& observer)
        : options_(options), observer_(observer),
          name_(options.name.empty() ? default_worker_name() : options.name) {
        if (options.concurrency < 1) throw_usage("a worker needs a concurrency of at least 1");
        if (options.lease.count() < 1) throw_usage("a worker's lease must be at least 1 second");
        worker_metrics();  // its families shown before the first job
    }

    WorkerSummary run() {
        if (!connect()) return summary_;  // stopped before the catalog could be reached
        std::vector<std::thread> slots;
        for (int i = 1; i < options_.concurrency; ++i) slots.emplace_back([this, i] { slot(*connections_[i]); });
        slot(*connections_[0]);
        for (auto& t : slots) t.join();
        return summary_;
    }

private:
    bool stopping() const { return interrupted() || (options_.stop && options_.stop()); }

    // Waits up to `d` in short slices, so a stop is seen soon.
    void pause(std::chrono::milliseconds d) {
        const auto until = Clock::now() + d;
        while (!stopping() && Clock::now() < until)
            std::this_thread::sleep_for(std::min<Clock::duration>(until - Clock::now(), std::chrono::milliseconds(100)));
    }

    void trouble(const Error& e) { observer_.catalog_trouble(net::redact_text(e.what())); }

    // Opens every connection. A database and its workers start in any order, so a PostgreSQL
    // catalog that cannot be reached yet is tried again with a backoff (0.5 s doubling to 30 s),
    // one line each time, until it answers or the worker is stopped (false); with
    // exit_on_unreachable, or for a SQLite file (local: it opens or it never will), it throws.
    bool connect() {
        std::chrono::milliseconds backoff{500};
        for (int attempt = 1;; ++attempt) {
            try {
                std::unique_ptr<Catalog> first = archive::open_catalog(options_.catalog);
                keeper_ = std::make_unique<LeaseKeeper>(first->open_another(), options_.lease, observer_);
                connections_.push_back(std::move(first));
                for (int i = 1; i < options_.concurrency; ++i)
                    connections_.push_back(connections_[0]->open_another());
                return true;
            } catch (const Error& e) {
                if (options_.exit_on_unreachable || e.domain() != ErrorDomain::postgres) throw;
                keeper_.reset();
                connections_.clear();
                observer_.catalog_trouble(net::redact_text(e.what()) + " (attempt " + std::to_string(attempt) +
                                          ", next in " + format_seconds(backoff) + ")");
            }
            pause(backoff);
            if (stopping()) return false;
            backoff = std::min(backoff * 2, std::chrono::milliseconds(30000));
        }
    }

    static std::string format_seconds(std::chrono::milliseconds d) {
        char text[32];
        std::snprintf(text, sizeof text, "%g s", static_cast<double>(d.count()) / 1000.0);
        return text;
    }

    void slot(Catalog& catalog) {
        while (!stopping()) {
            std::optional<QueuedJob> job;
            try {
                const auto asked = Clock::now();
                job = catalog.claim_job(name_, options_.lease);
                worker_metrics().claim.Observe(std::chrono::duration<double>(Clock::now() - asked).count());
                if (job) {
                    const std::int64_t waited = std::max<std::int64_t>(0, archive::unix_now() - job->run_after);
                    worker_metrics().claim_wait.Observe(double(waited));
                }
            } catch (const Error& e) {
                trouble(e);
                pause(std::chrono::milliseconds(500));
                continue;
            }
            if (job) {
                run_one(catalog, *job);
                continue;
            }
            try {
                if (options_.drain && queue_idle(catalog)) return;
                idle_wait(catalog);
            } catch (const Error& e) {
                trouble(e);
                pause(std::chrono::milliseconds(500));
            }
        }
    }

    // Nothing queued and nothing running anywhere: a lapsed lease of a dead worker counts as
    // running, so a drained fleet still takes over its jobs.
    static bool queue_idle(Catalog& catalog) { return !catalog.queue_has_work(); }

    // Until told of a job (PostgreSQL's NOTIFY), the poll interval passes, or a stop.
    void idle_wait(Catalog& catalog) {
        const auto until = Clock::now() + options_.poll_interval;
        while (!stopping() && Clock::now() < until) {
            auto slice = std::min<std::chrono::milliseconds>(
                std::chrono::ceil<std::chrono::milliseconds>(until - Clock::now()), std::chrono::milliseconds(250));
            if (catalog.wait_for_queued_job(slice)) return;
        }
    }

    // A fenced queue change, tried again while the catalog is away and our lease may still hold;
    // false when it was refused or cannot be made (then the job is abandoned).
    template <class Change>
    bool fenced(HeldJob& held, Change change) {
        for (;;) {
            if (held.lost) return false;
            try {
                return change();
            } catch (const Error& e) {
                trouble(e);
                // Not the catalog being away (the job vanished, ...): nothing this worker may write.
                if (!archive::is_catalog_error(e)) return false;
                if (Clock::now() - held.last_renewed() >= options_.lease) return false;
                std::this_thread::sleep_for(std::chrono::milliseconds(200));
            }
        }
    }

    // A failure whose commit's reply was lost is refused when told again; the job then shows it
    // failed (or queued for a retry) under this very lease: ours, not abandoned.
    static bool fail(Catalog& catalog, const archive::JobLease& lease, const std::string& error, bool transient) {
        return catalog.fail_job(lease, error, transient) ||
               archive::failed_under(catalog.queued_job(lease.job_id), lease, error);
    }

    void run_one(Catalog& catalog, const QueuedJob& job) {
        observer_.claimed(job);
        worker_metrics().running.Increment();
        struct Finished {
            ~Finished() { worker_metrics().running.Decrement(); }
        } finished;
        auto held = std::make_shared<HeldJob>(archive::lease_of(job));
        // Taken again after lapsed leases more often than it may be tried: failed, not run.
        if (job.attempts > job.max_attempts) {
            JobReport report;
            report.name = job.name;
            report.error = "its worker was lost on each of its " + std::to_string(job.max_attempts) + " attempts";
            const bool failed = fenced(*held, [&] { return fail(catalog, held->lease, report.error, false); });
            count(failed ? JobOutcome::failed : JobOutcome::abandoned);
            observer_.finished(job, failed ? JobOutcome::failed : JobOutcome::abandoned, report);
            return;
        }
        keeper_->add(held);
        LeasedJobObserver watcher(catalog, *held, options_.lease, job, observer_, [this] { return stopping(); });
        RunOptions run = options_.run;
        run.catalog = options_.catalog;
        run.observer = &watcher;
        run.claims = nullptr;
        run.asset_owner = "queued job " + std::to_string(job.id) + " lease " + std::to_string(job.lease_token) + " (" +
                          name_ + ")";
        run.lease = held->lease;
        JobReport report;
        try {
            report = run_job(read_queued_job(job, run), run);
        } catch (const Error& e) {  // the spec itself is bad here: permanent
            report.ok = false;
            report.error = net::redact_text(e.what());
            report.failure = std::current_exception();
        }
        keeper_->remove(held);

        JobOutcome outcome;
        if (held->lost) {
            outcome = JobOutcome::abandoned;
        } else if (report.ok) {
            // Done only now: run_job returned ok after its last stage, and the archive stage stores
            // each file and reads it back against its hash (archive::store_and_verify) before it
            // returns, so the job.succeeded webhook this writes (in the same transaction) never
            // precedes the archived, verified files (webhook_e2e_test checks the order).
            // A completion that committed but whose reply was lost (a reset connection) is refused
            // when tried again; the job is then done under this very lease: ours, not abandoned.
            outcome = fenced(*held, [&] {
                return catalog.complete_job(held->lease) || archive::done_under(catalog.queued_job(held->lease.job_id), held->lease);
            }) ? JobOutcome::done : JobOutcome::abandoned;
        } else if (stopping() || report.interrupted) {
            outcome = fenced(*held, [&] { return catalog.release_job(held->lease); }) ? JobOutcome::released
                                                                                      : JobOutcome::abandoned;
        } else {
            const bool transient = net::is_transient(report.failure);  // net/retry_rule.hpp: the one rule
            const bool again = transient && job.attempts < job.max_attempts;
            outcome = fenced(*held, [&] { return fail(catalog, held->lease, report.error, transient); })
                          ? (again ? JobOutcome::retrying : JobOutcome::failed)
                          : JobOutcome::abandoned;
        }
        count(outcome);
        observer_.finished(job, outcome, report);
    }

    void count(JobOutcome outcome) {
        worker_metrics().outcome(outcome).Increment();
        std::lock_guard lock(summary_mutex_);
        switch (outcome) {
            case JobOutcome::done: ++summary_.done; break;
            case JobOutcome::retrying: ++summary_.retrying; break;
            case JobOutcome::failed: ++summary_.failed; break;
            case JobOutcome::released: ++summary_.released; break;
            case JobOutcome::abandoned: ++summary_.abandoned; break;
        }
    }

    const WorkerOptions& options_;
    WorkerObserver& observer_;
    std::string name_;
    std::vector<std::unique_ptr<Catalog>> connections_;  // one per slot
    std::unique_ptr<LeaseKeeper> keeper_;
    std::mutex summary_mutex_;
    WorkerSummary summary_;
};

}  // namespace

std::string_view to_string(JobOutcome outcome) {
    switch (outcome) {
        case JobOutcome::done: return "done";
        case JobOutcome::retrying: return "retrying";
        case JobOutcome::failed: return "failed";
        case JobOutcome::released: return "released";
        case JobOutcome::abandoned: return "abandoned";
    }
    return "?";
}

std::string default_worker_name() {
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "localhost");
    return std::string(host) + ":" + std::to_string(::getpid());
}

nlohmann::json queued_job_spec(const fs::path& file, const nlohmann::json& document, const nlohmann::json& notify) {
    nlohmann::json spec = {{"file", fs::absolute(file).lexically_normal().string()}, {"job", document}};
    if (!notify.is_null()) spec["notify"] = notify;
    return spec;
}

job::JobSpec read_queued_job(const QueuedJob& job, const RunOptions& options) {
    if (!job.spec.is_object() || !job.spec.contains("job") || !job.spec.contains("file") || !job.spec["file"].is_string())
        throw Error(ErrorDomain::usage, "queued job " + std::to_string(job.id), 0,
                    "its spec is not {\"file\", \"job\"} as `avpost submit` stores it");
    return read_job(job.spec["job"], job.spec["file"].get<std::string>(), options);
}

WorkerSummary run_worker(const WorkerOptions& options, WorkerObserver* observer) {
    WorkerObserver quiet;
    Worker worker(options, observer ? *observer : quiet);
    return worker.run();
}

}  // namespace avpost::pipeline
