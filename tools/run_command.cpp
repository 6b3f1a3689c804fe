// avpost run JOB.json...: job files through render, wait, fetch, compose + deliver and archive,
// several at once with --jobs; each job's outcome is reported and one failure stops no other job.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <set>
#include <thread>

#include "avpost/archive/store.hpp"
#include "avpost/core/interrupt.hpp"
#include "avpost/core/log.hpp"
#include "avpost/core/progress.hpp"
#include "avpost/pipeline/job_runner.hpp"
#include "command.hpp"
#include "exit_codes.hpp"
#include "wait_display.hpp"

namespace avpost::tool {
using pipeline::JobOutputFile;
using pipeline::JobReport;
using pipeline::StageReport;

namespace {

std::string size_text(std::int64_t n) {
    char buf[32];
    if (n >= 1 << 20) std::snprintf(buf, sizeof buf, "%.1f MiB", double(n) / (1 << 20));
    else if (n >= 1 << 10) std::snprintf(buf, sizeof buf, "%.1f KiB", double(n) / (1 << 10));
    else std::snprintf(buf, sizeof buf, "%lld B", static_cast<long long>(n));
    return buf;
}

// The exit code a job's failure maps to (0 when it succeeded).
int exit_code_of(const JobReport& r) {
    if (r.ok) return exit_ok;
    if (r.interrupted) return exit_interrupted;
    if (!r.failure) return exit_failure;
    try {
        std::rethrow_exception(r.failure);
    } catch (const Error& e) {
        return exit_code_for(e);
    } catch (...) {
        return exit_failure;
    }
}

// Each job's wait shows its own line (one job at a time on a terminal) or log lines.
class RunObserver : public pipeline::JobObserver {
public:
    explicit RunObserver(bool progress) : progress_(progress) {}
    std::unique_ptr<pipeline::WaitObserver> wait_observer(const std::string& job) override {
        return std::make_unique<WaitDisplay>(job + ": ", progress_);
    }

private:
    bool progress_;
};

void print_summary(const JobReport& r) {
    double total = 0;
    for (const StageReport& s : r.stages) total += s.seconds;
    std::string who = r.name.empty() ? r.file.string() : r.name + " (" + r.file.string() + ")";
    if (r.ok) std::printf("%s: done in %.1f s\n", who.c_str(), total);
    // The error itself went to stderr just before (once, not twice).
    else std::printf("%s: FAILED (exit %d, the error is above)\n", who.c_str(), exit_code_of(r));
    for (const StageReport& s : r.stages) {
        std::string status = s.status == "skipped" ? "skipped (done before)" : s.status;
        std::string time = s.status == "ran" || s.status == "failed" ? ([&] {
            char buf[32];
            std::snprintf(buf, sizeof buf, "%.1f s", s.seconds);
            return std::string(buf);
        })()
                                                                     : std::string();
        std::printf("  %-8s %-22s %-8s %s\n", s.name.c_str(), status.c_str(), time.c_str(), s.detail.c_str());
    }
    for (const JobOutputFile& o : r.outputs) {
        if (o.kind == "other") continue;  // HLS segments and playlists: the master playlist stands for them
        std::string label = o.kind == "delivery" ? o.preset : o.kind;
        std::printf("  %-13s %s (%s)\n", (label + ":").c_str(), o.path.string().c_str(), size_text(o.size).c_str());
    }
    if (r.ok && !r.archive_root.empty()) std::printf("  %-13s %s\n", "archive:", r.archive_root.string().c_str());
    std::fflush(stdout);
}

// 0 when every job succeeded; else the exit code all failed jobs share, or 1 when they differ.
int combined_exit_code(const std::vector<JobReport>& reports) {
    std::set<int> codes;
    for (const JobReport& r : reports)
        if (!r.ok) codes.insert(exit_code_of(r));
    if (interrupted()) return exit_interrupted;
    if (codes.empty()) return exit_ok;
    return codes.size() == 1 ? *codes.begin() : exit_failure;
}

}  // namespace

CommandSpec run_command() {
    return {"run", "Run job files: render, wait, fetch, composite + deliver, archive (finished stages are skipped)",
            [](CLI::App& sub, const GlobalOptions& global) -> CommandRun {
                struct Opts {
                    std::vector<std::string> files;
                    int jobs = 1;
                    bool json = false;
                    bool force = false;
                    std::string output_root = "out";
                    std::string archive_dir;
                    std::string webhook_listen;
                    std::string catalog;
                };
                auto o = std::make_shared<Opts>();
                sub.add_option("files", o->files, "Job files (see docs/job.md)")->required();
                sub.add_option("--jobs", o->jobs, "Job files run at once (default 1)")->check(CLI::Range(1, 64));
                sub.add_flag("--json", o->json, "Print one JSON object: {\"jobs\": [...]}");
                sub.add_flag("--force", o->force, "Run every stage again, even those done before");
                sub.add_option("--output-root", o->output_root,
                               "Where jobs without an \"output\" go: OUTPUT_ROOT/NAME (default: out)");
                sub.add_option("--archive", o->archive_dir,
                               "Archive of jobs without \"archive.root\" (default: $AVPOST_ARCHIVE, else OUTPUT/archive)");
                sub.add_option("--catalog", o->catalog,
                               "Catalog of stage records, jobs and files: a path or postgresql:// URI (default: "
                               "$AVPOST_CATALOG, else ARCHIVE/catalog.db)");
                sub.add_option("--webhook-listen", o->webhook_listen,
                               "Receive Akool's callbacks (the request's webhookUrl) on [HOST:]PORT (default host "
                               "127.0.0.1): a callback ends its job's wait at once; polling becomes the fallback");
                return [o, &global] {
                    install_interrupt_handlers();
                    const bool json = global.json || o->json;
                    pipeline::RunOptions options;
                    options.env = pipeline::VendorEnvironment::from_env();
                    options.catalog = o->catalog;
                    options.parse.default_output_root = o->output_root;
                    if (const char* env = std::getenv("AVPOST_ARCHIVE"); !o->archive_dir.empty() || (env && *env))
                        options.parse.default_archive_root = archive::archive_root(o->archive_dir);
                    options.force = o->force;
                    options.claims = std::make_shared<pipeline::OutputClaims>();
                    // One listener for the whole run: jobs waiting at once share its port.
                    if (!o->webhook_listen.empty()) options.webhooks = std::make_shared<pipeline::WebhookListener>(o->webhook_listen);
                    const int workers = std::min<int>(o->jobs, int(o->files.size()));
                    // One progress line at a time: only a single job draws one.
                    options.progress = !global.quiet && !json && workers == 1 && Progress::terminal_attached();
                    RunObserver observer(options.progress);
                    options.observer = &observer;

                    std::vector<JobReport> reports(o->files.size());
                    std::atomic<std::size_t> next{0};
                    std::mutex print;
                    auto work = [&] {
                        for (std::size_t i; (i = next++) < o->files.size();) {
                            if (interrupted()) break;
                            reports[i] = pipeline::run_job_file(o->files[i], options);
                            std::lock_guard lock(print);
                            if (!reports[i].ok) {
                                // A bad job file: every problem on its own line.
                                if (reports[i].problems.empty()) log::error(reports[i].error);
                                for (const std::string& line : reports[i].problems) log::error(line);
                            }
                            if (!json) print_summary(reports[i]);
                        }
                    };
                    std::vector<std::thread> threads;
                    for (int t = 1; t < workers; ++t) threads.emplace_back(work);
                    work();
                    for (auto& t : threads) t.join();

                    if (json) {
                        nlohmann::json all = nlohmann::json::array();
                        for (std::size_t i = 0; i < reports.size(); ++i) {
                            // A job skipped because of Ctrl-C never started.
                            if (reports[i].file.empty()) {
                                reports[i].file = o->files[i];
                                reports[i].error = "not started (interrupted)";
                                reports[i].interrupted = true;
                            }
                            nlohmann::json job = pipeline::to_json(reports[i]);
                            job["exit_code"] = exit_code_of(reports[i]);
                            all.push_back(std::move(job));
                        }
                        std::cout << nlohmann::json{{"jobs", all}}.dump() << std::endl;
                    }
                    return combined_exit_code(reports);
                };
            }};
}

}  // namespace avpost::tool
