// avpost run JOB.json...: job files through render, wait, fetch, compose + deliver and archive,
// several at once with --jobs; each job's outcome is reported and one failure stops no other job.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <mutex>

#include "avpost/core/interrupt.hpp"
#include "avpost/core/log.hpp"
#include "avpost/core/progress.hpp"
#include "avpost/pipeline/job_pool.hpp"
#include "avpost/pipeline/job_runner.hpp"
#include "command.hpp"
#include "exit_codes.hpp"
#include "local_run.hpp"

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

}  // namespace

CommandSpec run_command() {
    return {"run", "Run job files: render, wait, fetch, composite + deliver, archive (finished stages are skipped)",
            [](CLI::App& sub, const GlobalOptions& global) -> CommandRun {
                struct Opts {
                    std::vector<std::string> files;
                    int jobs = 1;
                    bool json = false;
                    LocalRunFlags run;
                };
                auto o = std::make_shared<Opts>();
                sub.add_option("files", o->files, "Job files (see docs/job.md)")->required();
                sub.add_option("--jobs", o->jobs, "Job files run at once (default 1)")->check(CLI::Range(1, 64));
                sub.add_flag("--json", o->json, "Print one JSON object: {\"jobs\": [...]}");
                add_local_run_options(sub, o->run);
                return [o, &global] {
                    install_interrupt_handlers();
                    const bool json = global.json || o->json;
                    pipeline::RunOptions options = local_run_options(o->run);
                    const int workers = std::min<int>(o->jobs, int(o->files.size()));
                    // One progress line at a time: only a single job draws one.
                    options.progress = !global.quiet && !json && workers == 1 && Progress::terminal_attached();
                    RunObserver observer(options.progress);
                    options.observer = &observer;

                    std::vector<JobReport> reports(o->files.size());
                    std::mutex print;
                    pipeline::run_concurrently(o->files.size(), workers, [&](std::size_t i) {
                        reports[i] = pipeline::run_job_file(o->files[i], options);
                        std::lock_guard lock(print);
                        if (!reports[i].ok) {
                            // A bad job file: every problem on its own line.
                            if (reports[i].problems.empty()) log::error(reports[i].error);
                            for (const std::string& line : reports[i].problems) log::error(line);
                        }
                        if (!json) print_summary(reports[i]);
                    });

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
