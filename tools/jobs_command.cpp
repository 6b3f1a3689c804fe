// avpost jobs [cancel|retry ID]: the job queue as workers see it, and a person's decisions on it.
#include <cstdio>
#include <iostream>

#include "avpost/archive/catalog.hpp"
#include "avpost/archive/unarchived.hpp"
#include "command.hpp"
#include "exit_codes.hpp"
#include "queue_options.hpp"

namespace avpost::tool {
namespace {

std::string dash_if_empty(const std::string& s) { return s.empty() ? "-" : s; }

void print_table(const std::vector<archive::QueuedJob>& jobs) {
    std::printf("%-6s %-24s %-10s %-8s %-24s %-8s %s\n", "ID", "NAME", "STATE", "ATTEMPTS", "WORKER", "STAGE", "LAST ERROR");
    for (const archive::QueuedJob& j : jobs) {
        const std::string attempts = std::to_string(j.attempts) + "/" + std::to_string(j.max_attempts);
        std::printf("%-6lld %-24s %-10s %-8s %-24s %-8s %s\n", static_cast<long long>(j.id), j.name.c_str(),
                    std::string(archive::to_string(j.state)).c_str(), attempts.c_str(), dash_if_empty(j.worker.empty() ? j.last_worker : j.worker).c_str(),
                    dash_if_empty(j.stage).c_str(), dash_if_empty(j.last_error).c_str());
    }
    std::fflush(stdout);
}

void print_unarchived(const std::vector<archive::UnarchivedFile>& files) {
    if (files.empty()) return;
    const std::int64_t now = archive::unix_now();
    std::printf("\n%s\n", archive::summary(files, now).c_str());
    for (const archive::UnarchivedFile& f : files) std::printf("  %s\n", archive::describe(f, now).c_str());
    std::fflush(stdout);
}

// One job of the listing: what a person needs, no spec (it may be large).
nlohmann::json listed(const archive::QueuedJob& j) {
    auto text_or_null = [](const std::string& s) { return s.empty() ? nlohmann::json() : nlohmann::json(s); };
    return {{"id", j.id},
            {"name", j.name},
            {"state", std::string(archive::to_string(j.state))},
            {"attempts", j.attempts},
            {"max_attempts", j.max_attempts},
            {"worker", text_or_null(j.worker)},
            {"last_worker", text_or_null(j.last_worker)},
            {"stage", text_or_null(j.stage)},
            {"last_error", text_or_null(j.last_error)},
            {"submitted_at", archive::iso8601(j.submitted_at)},
            {"updated_at", archive::iso8601(j.updated_at)},
            {"finished_at", j.finished_at ? nlohmann::json(archive::iso8601(*j.finished_at)) : nlohmann::json()}};
}

}  // namespace

CommandSpec jobs_command() {
    return {"jobs", "List the job queue (name, state, attempts, worker, stage, last error); cancel or retry a job",
            [](CLI::App& sub, const GlobalOptions& global) -> CommandRun {
                struct Opts {
                    std::string catalog;
                    bool json = false;
                    std::int64_t id = 0;
                };
                auto o = std::make_shared<Opts>();
                add_queue_catalog_option(sub, o->catalog);
                sub.add_flag("--json", o->json, "Print one JSON object: {\"jobs\": [...]}");
                sub.fallthrough();
                CLI::App* cancel = sub.add_subcommand("cancel", "Cancel a queued or running job (its worker stops it)");
                cancel->add_option("id", o->id, "The job's id (from `avpost jobs`)")->required();
                CLI::App* retry = sub.add_subcommand("retry", "Queue a failed or cancelled job again, its attempts reset");
                retry->add_option("id", o->id, "The job's id (from `avpost jobs`)")->required();
                return [o, &global, cancel, retry] {
                    auto catalog = archive::open_catalog(queue_catalog_location(o->catalog));
                    if (cancel->parsed() || retry->parsed()) {
                        const bool cancelling = cancel->parsed();
                        archive::QueuedJob job;
                        try {
                            job = catalog->queued_job(o->id);
                        } catch (const Error& e) {
                            if (e.domain() != ErrorDomain::input) throw;
                            // A mistyped id is a usage error, like any other bad argument.
                            throw Error(ErrorDomain::usage, "job " + std::to_string(o->id), 0,
                                        "is not in the queue (`avpost jobs` lists the ids)");
                        }
                        bool changed = cancelling ? catalog->cancel_job(o->id) : catalog->retry_job(o->id);
                        if (!changed)
                            throw Error(ErrorDomain::usage, "job " + std::to_string(o->id), 0,
                                        std::string("is ") + std::string(archive::to_string(job.state)) +
                                            (cancelling ? ": only a queued or running job can be cancelled"
                                                        : ": only a failed or cancelled job can be retried"));
                        archive::QueuedJob now = catalog->queued_job(o->id);
                        if (global.json || o->json)
                            std::cout << nlohmann::json{{"jobs", nlohmann::json::array({listed(now)})}}.dump() << std::endl;
                        else std::cout << (cancelling ? "cancelled " : "queued again ") << now.id << " " << now.name << std::endl;
                        return int(exit_ok);
                    }
                    std::vector<archive::QueuedJob> jobs = catalog->queued_jobs();
                    // A job is done only once its files are safe: what the archive still lacks
                    // is listed with the jobs, with how long each file's vendor link lives.
                    std::vector<archive::UnarchivedFile> unarchived = archive::unarchived_files(*catalog);
                    if (global.json || o->json) {
                        nlohmann::json all = nlohmann::json::array(), missing = nlohmann::json::array();
                        for (const auto& j : jobs) all.push_back(listed(j));
                        for (const auto& u : unarchived) missing.push_back(archive::to_json(u));
                        std::cout << nlohmann::json{{"jobs", all}, {"unarchived", missing}}.dump() << std::endl;
                    } else {
                        print_table(jobs);
                        print_unarchived(unarchived);
                    }
                    return int(exit_ok);
                };
            }};
}

}  // namespace avpost::tool
