// avpost submit JOB.json...: job files checked as `run` checks them, then queued for workers.
#include <iostream>

#include "avpost/core/log.hpp"
#include "avpost/pipeline/job_runner.hpp"
#include "avpost/pipeline/worker.hpp"
#include "command.hpp"
#include "exit_codes.hpp"
#include "queue_options.hpp"

namespace avpost::tool {
CommandSpec submit_command() {
    return {"submit", "Queue job files for `avpost worker` (checked first, as run checks them)",
            [](CLI::App& sub, const GlobalOptions& global) -> CommandRun {
                struct Opts {
                    std::vector<std::string> files;
                    std::string catalog;
                    int max_attempts = archive::default_job_attempts;
                    bool json = false;
                    bool allow_private_webhooks = false;
                };
                auto o = std::make_shared<Opts>();
                sub.add_option("files", o->files, "Job files (see docs/job.md)")->required();
                add_queue_catalog_option(sub, o->catalog);
                sub.add_option("--max-attempts", o->max_attempts, "Attempts before a job counts as failed (default " + std::to_string(archive::default_job_attempts) + ")")
                    ->check(CLI::Range(1, 100));
                sub.add_flag("--json", o->json, "Print one JSON object: {\"jobs\": [...]}");
                sub.add_flag("--allow-private-webhooks", o->allow_private_webhooks,
                             "Let notify.url name a loopback, private or link-local host (tests, one machine); "
                             "the workers delivering need the flag too");
                return [o, &global] {
                    // Every file is checked before any is queued: a bad one queues nothing.
                    pipeline::RunOptions checks;
                    checks.parse.allow_private_webhooks = o->allow_private_webhooks;
                    std::vector<std::pair<std::string, nlohmann::json>> jobs;
                    bool bad = false;
                    for (const std::string& file : o->files) {
                        try {
                            job::JobSpec spec = pipeline::read_job_file(file, checks);
                            // The job as parsed, not the file again: what was checked is what runs.
                            jobs.emplace_back(spec.name, pipeline::queued_job_spec(file, job::canonical_job_document(spec), spec.notify));
                        } catch (const job::JobFileError& e) {
                            for (const std::string& line : e.lines()) log::error(line);
                            bad = true;
                        }
                    }
                    if (bad) return int(exit_usage);
                    auto catalog = archive::open_catalog(queue_catalog_location(o->catalog));
                    nlohmann::json out = nlohmann::json::array();
                    for (std::size_t i = 0; i < jobs.size(); ++i) {
                        const auto& [name, spec] = jobs[i];
                        archive::SubmitResult r = catalog->submit_job(name, spec, o->max_attempts);
                        const std::string state(archive::to_string(r.state));
                        if (global.json || o->json)
                            out.push_back({{"id", r.id}, {"name", name}, {"file", o->files[i]}, {"queued", r.created},
                                           {"state", state}});
                        else if (r.created)
                            std::cout << "queued " << r.id << " " << name << "\n";
                        else
                            std::cout << "unchanged " << r.id << " " << name << " (already " << state
                                      << "; nothing queued)\n";
                    }
                    if (global.json || o->json) std::cout << nlohmann::json{{"jobs", out}}.dump() << "\n";
                    std::cout.flush();
                    return int(exit_ok);
                };
            }};
}

}  // namespace avpost::tool
