// avpost batch TEMPLATE.json ROWS.csv|ROWS.jsonl: one job per row of a job template (docs/batch.md).
// Every row is filled in and checked before anything runs or is queued; then the jobs run here
// (--jobs at a time) or are queued for workers (--submit), and a manifest lists what each row made.
// The pipeline library does the work (batch.hpp, batch_manifest.hpp); this file parses flags and prints.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <mutex>

#include "avpost/core/interrupt.hpp"
#include "avpost/core/log.hpp"
#include "avpost/core/progress.hpp"
#include "avpost/pipeline/batch_manifest.hpp"
#include "avpost/pipeline/job_pool.hpp"
#include "avpost/pipeline/worker.hpp"
#include "command.hpp"
#include "exit_codes.hpp"
#include "local_run.hpp"
#include "queue_options.hpp"

namespace avpost::tool {
using nlohmann::json;
using pipeline::BatchEntry;

namespace {

json problems_json(const pipeline::BatchError& error) {
    json list = json::array();
    for (const pipeline::BatchProblem& p : error.problems())
        list.push_back({{"line", p.line}, {"path", p.path}, {"message", p.message}});
    return list;
}

void print_entry(const BatchEntry& e, int exit_code) {
    std::string text = "line " + std::to_string(e.line) + ": " + e.name + ": " + e.state;
    if (e.job_id) text += " (job " + std::to_string(*e.job_id) + (e.state == "unchanged" ? ", already " + e.queue_state : "") + ")";
    // The error itself went to stderr just before (once, not twice).
    if (e.state == "failed") text += " (exit " + std::to_string(exit_code) + ", the error is above)";
    std::printf("%s\n", text.c_str());
    for (const pipeline::BatchFile& f : e.files)
        if (f.kind == "delivery" || f.kind == "composite")
            std::printf("  %-13s %s\n", ((f.kind == "delivery" ? f.preset : f.kind) + ":").c_str(), f.location.c_str());
    std::fflush(stdout);
}

struct BatchOpts {
    std::string job_template;
    std::string rows;
    bool submit = false;
    int jobs = 1;
    bool json = false;
    std::string manifest;
    int max_attempts = archive::default_job_attempts;
    bool allow_private_webhooks = false;
    LocalRunFlags run;
};

// What each row did; exit codes by row (the rows' entries are in the same order).
struct BatchOutcome {
    std::vector<BatchEntry> entries;
    std::vector<int> exit_codes;
    int exit_code = exit_ok;
};

// Queues every row's job as `avpost submit` does (the job as checked, not the template again), all
// of them with their batch in one transaction: a batch is queued whole or not at all.
BatchOutcome submit_rows(const pipeline::BatchPlan& plan, const BatchOpts& o, bool json_out) {
    BatchOutcome out{{}, std::vector<int>(plan.jobs.size(), exit_ok), exit_ok};
    auto catalog = archive::open_catalog(queue_catalog_location(o.run.catalog));
    std::vector<archive::BatchJob> jobs;
    for (const pipeline::BatchJob& job : plan.jobs)
        jobs.push_back({job.spec.name, pipeline::queued_job_spec(o.job_template, job::canonical_job_document(job.spec),
                                                                 job.spec.notify)});
    archive::BatchSubmitResult queued = catalog->submit_batch(plan.name, nullptr, jobs, o.max_attempts);
    for (std::size_t i = 0; i < plan.jobs.size(); ++i) {
        out.entries.push_back(pipeline::batch_entry(plan.jobs[i], queued.jobs[i]));
        if (!json_out) print_entry(out.entries.back(), exit_ok);
    }
    return out;
}

// Runs every row's job here, --jobs at a time; a failed row stops no other.
BatchOutcome run_rows(const pipeline::BatchPlan& plan, const BatchOpts& o, pipeline::RunOptions options, bool progress_allowed,
                      bool json_out) {
    const std::size_t count = plan.jobs.size();
    BatchOutcome out{std::vector<BatchEntry>(count), std::vector<int>(count, exit_ok), exit_ok};
    const int workers = std::min<int>(o.jobs, int(count));
    // One progress line at a time: only a single job draws one.
    options.progress = progress_allowed && workers == 1 && Progress::terminal_attached();
    RunObserver observer(options.progress);
    options.observer = &observer;
    std::vector<pipeline::JobReport> reports(count);
    std::mutex print;
    pipeline::run_concurrently(count, workers, [&](std::size_t i) {
        const pipeline::BatchJob& job = plan.jobs[i];
        reports[i] = pipeline::run_job(job.spec, options);
        std::lock_guard lock(print);
        if (!reports[i].ok) log::error(o.rows + ":" + std::to_string(job.line) + ": " + job.spec.name + ": " + reports[i].error);
        out.exit_codes[i] = exit_code_of(reports[i]);
        out.entries[i] = pipeline::batch_entry(job, reports[i]);
        if (!json_out) print_entry(out.entries[i], out.exit_codes[i]);
    });
    for (std::size_t i = 0; i < count; ++i) {
        if (!reports[i].name.empty()) continue;
        // Not started: Ctrl-C came first.
        reports[i].name = plan.jobs[i].spec.name;
        reports[i].error = "not started (interrupted)";
        reports[i].interrupted = true;
        out.exit_codes[i] = exit_interrupted;
        out.entries[i] = pipeline::batch_entry(plan.jobs[i], reports[i]);
    }
    out.exit_code = combined_exit_code(reports);
    return out;
}

void print_json(const pipeline::BatchManifest& manifest, const std::vector<int>& exit_codes) {
    json jobs = json::array();
    for (std::size_t i = 0; i < manifest.entries.size(); ++i) {
        json entry = pipeline::to_json(manifest.entries[i]);
        entry["exit_code"] = exit_codes[i];
        jobs.push_back(std::move(entry));
    }
    std::cout << json{{"batch", manifest.name}, {"mode", manifest.mode}, {"manifest", manifest.path.string()},
                      {"jobs", jobs}, {"problems", json::array()}}
                     .dump()
              << std::endl;
}

int run_batch(const BatchOpts& o, const GlobalOptions& global) {
    install_interrupt_handlers();
    const bool json_out = global.json || o.json;
    const std::string mode = o.submit ? "submit" : "run";
    pipeline::RunOptions options = local_run_options(o.run);

    // Every row checked before anything runs or is queued.
    pipeline::BatchPlan plan;
    try {
        options.parse.allow_private_webhooks = o.allow_private_webhooks;
        plan = pipeline::plan_batch_files(o.job_template, o.rows, options.parse);
    } catch (const pipeline::BatchError& e) {
        for (const std::string& line : e.lines()) log::error(line);
        if (json_out)
            std::cout << json{{"batch", nullptr}, {"mode", mode}, {"manifest", nullptr}, {"jobs", json::array()},
                              {"problems", problems_json(e)}}
                             .dump()
                      << std::endl;
        return exit_usage;
    }

    BatchOutcome outcome = o.submit ? submit_rows(plan, o, json_out)
                                    : run_rows(plan, o, std::move(options), !global.quiet && !json_out, json_out);
    const pipeline::BatchManifest manifest{
        plan.name, mode,
        o.manifest.empty() ? pipeline::default_manifest_path(o.run.output_root, plan.name) : std::filesystem::path(o.manifest),
        std::move(outcome.entries)};
    pipeline::write_manifest(manifest);
    if (json_out) print_json(manifest, outcome.exit_codes);
    else std::printf("manifest: %s\n", manifest.path.string().c_str());
    return outcome.exit_code;
}

}  // namespace

CommandSpec batch_command() {
    return {"batch", "Run or queue one job per row of a job template (rows: CSV or JSON Lines), with a manifest",
            [](CLI::App& sub, const GlobalOptions& global) -> CommandRun {
                auto o = std::make_shared<BatchOpts>();
                sub.add_option("template", o->job_template, "Job template: a job file with {{COLUMN}} placeholders (docs/batch.md)")
                    ->required();
                sub.add_option("rows", o->rows, "Rows: CSV with a header row, or JSON Lines (.jsonl, .ndjson), one job each")
                    ->required();
                auto* submit = sub.add_flag("--submit", o->submit, "Queue the jobs for `avpost worker` instead of running them here");
                sub.add_flag("--allow-private-webhooks", o->allow_private_webhooks,
                             "Let notify.url name a loopback, private or link-local host (tests, one machine); "
                             "the workers delivering need the flag too");
                sub.add_option("--jobs", o->jobs, "Jobs run here at once (default 1)")->check(CLI::Range(1, 64))->excludes(submit);
                sub.add_flag("--json", o->json, "Print one JSON object: {\"jobs\": [...], ...}");
                sub.add_option("--manifest", o->manifest, "Where the manifest goes (default: OUTPUT_ROOT/NAME.manifest.csv)");
                sub.add_option("--max-attempts", o->max_attempts,
                               "--submit: attempts before a job counts as failed (default " +
                                   std::to_string(archive::default_job_attempts) + ")")
                    ->check(CLI::Range(1, 100));
                sub.add_option("--catalog", o->run.catalog,
                               "Run here: the catalog of stage records, jobs and files (default: $AVPOST_CATALOG, else "
                               "ARCHIVE/catalog.db); --submit: the job queue's (default: $AVPOST_CATALOG, else "
                               "catalog.db in the archive root). A path or postgresql:// URI");
                add_local_run_options(sub, o->run, false);
                return [o, &global] { return run_batch(*o, global); };
            }};
}

}  // namespace avpost::tool
