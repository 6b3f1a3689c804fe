// avpost jobs [cancel|retry ID]: the job queue as workers see it, and a person's decisions on it.
#include <cstdio>
#include <iostream>
#include <map>

#include "avpost/archive/catalog.hpp"
#include "avpost/archive/unarchived.hpp"
#include "command.hpp"
#include "exit_codes.hpp"
#include "queue_options.hpp"

namespace avpost::tool {
namespace {

std::string dash_if_empty(const std::string& s) { return s.empty() ? "-" : s; }

using WebhooksByJob = std::map<std::int64_t, std::vector<archive::WebhookEvent>>;

// A job's webhooks in one word: the worst of its events (dead, then pending, then delivered) and
// that event's attempts, e.g. "pending 2"; "-" when it has none.
std::string webhook_summary(const std::vector<archive::WebhookEvent>& events) {
    const archive::WebhookEvent* worst = nullptr;
    auto rank = [](archive::WebhookState s) {
        return s == archive::WebhookState::dead ? 2 : s == archive::WebhookState::pending ? 1 : 0;
    };
    for (const archive::WebhookEvent& e : events)
        if (!worst || rank(e.state) > rank(worst->state)) worst = &e;
    if (!worst) return "-";
    return std::string(archive::to_string(worst->state)) + " " + std::to_string(worst->attempts);
}

void print_table(const std::vector<archive::QueuedJob>& jobs, const WebhooksByJob& webhooks) {
    std::printf("%-6s %-24s %-10s %-8s %-24s %-8s %-12s %s\n", "ID", "NAME", "STATE", "ATTEMPTS", "WORKER", "STAGE",
                "WEBHOOK", "LAST ERROR");
    for (const archive::QueuedJob& j : jobs) {
        const std::string attempts = std::to_string(j.attempts) + "/" + std::to_string(j.max_attempts);
        auto hooks = webhooks.find(j.id);
        const std::string webhook = hooks == webhooks.end() ? "-" : webhook_summary(hooks->second);
        std::printf("%-6lld %-24s %-10s %-8s %-24s %-8s %-12s %s\n", static_cast<long long>(j.id), j.name.c_str(),
                    std::string(archive::to_string(j.state)).c_str(), attempts.c_str(), dash_if_empty(j.worker.empty() ? j.last_worker : j.worker).c_str(),
                    dash_if_empty(j.stage).c_str(), webhook.c_str(), dash_if_empty(j.last_error).c_str());
    }
    std::fflush(stdout);
}

// Events no deliverer will try again: each with its target (without its query) and last error.
void print_dead_webhooks(const std::vector<archive::WebhookEvent>& dead) {
    if (dead.empty()) return;
    std::printf("\n%zu webhook%s dead (delivery given up):\n", dead.size(), dead.size() == 1 ? "" : "s");
    for (const archive::WebhookEvent& e : dead) {
        const std::string of = e.job_id ? "job " + std::to_string(*e.job_id) : "batch " + std::to_string(e.batch_id.value_or(0));
        std::printf("  %s %s of %s to %s after %d attempts: %s\n", e.event_id.c_str(), e.type.c_str(), of.c_str(),
                    archive::redact_url(e.url).c_str(), e.attempts, dash_if_empty(e.last_error).c_str());
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
                    // Completion webhooks: each job's, and every dead one (a batch's too).
                    WebhooksByJob webhooks;
                    std::vector<archive::WebhookEvent> dead;
                    for (archive::WebhookEvent& e : catalog->webhook_events()) {
                        if (e.state == archive::WebhookState::dead) dead.push_back(e);
                        if (e.job_id) webhooks[*e.job_id].push_back(std::move(e));
                    }
                    if (global.json || o->json) {
                        nlohmann::json all = nlohmann::json::array(), missing = nlohmann::json::array(),
                                       dead_json = nlohmann::json::array();
                        for (const auto& j : jobs) {
                            nlohmann::json entry = listed(j);
                            entry["webhooks"] = nlohmann::json::array();
                            if (auto hooks = webhooks.find(j.id); hooks != webhooks.end())
                                for (const auto& e : hooks->second) entry["webhooks"].push_back(archive::to_json(e));
                            all.push_back(std::move(entry));
                        }
                        for (const auto& u : unarchived) missing.push_back(archive::to_json(u));
                        for (const auto& e : dead) dead_json.push_back(archive::to_json(e));
                        std::cout << nlohmann::json{{"jobs", all}, {"unarchived", missing}, {"dead_webhooks", dead_json}}.dump()
                                  << std::endl;
                    } else {
                        print_table(jobs, webhooks);
                        print_unarchived(unarchived);
                        print_dead_webhooks(dead);
                    }
                    return int(exit_ok);
                };
            }};
}

}  // namespace avpost::tool
