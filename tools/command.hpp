#pragma once
// How subcommands plug into the avpost program: each one adds its options to a CLI11 subcommand
// and returns the function to run when that subcommand was chosen. All of them are listed in
// commands.cpp, the one place that knows the whole program.
#include <CLI/CLI.hpp>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace avpost::tool {

struct GlobalOptions {
    bool quiet = false;    // no progress, no warnings
    bool json = false;     // one JSON object on stdout
    bool verbose = false;  // debug diagnostics
};

using CommandRun = std::function<int()>;

struct CommandSpec {
    std::string name;
    std::string summary;
    // Adds options to `sub`; the returned function runs after parsing.
    std::function<CommandRun(CLI::App& sub, const GlobalOptions& global)> setup;
};

const std::vector<CommandSpec>& all_commands();

// Each command lives in its own file and exposes one spec.
CommandSpec compose_command();
CommandSpec transcode_command();
// Vendor clients (vendor_*_commands.cpp) and the local vendor stand-in (sandbox_command.cpp).
CommandSpec avatars_command();
CommandSpec poses_command();
CommandSpec voices_command();
CommandSpec videos_command();
CommandSpec render_command();
CommandSpec status_command();
CommandSpec wait_command();
CommandSpec fetch_command();
CommandSpec sandbox_command();
CommandSpec archive_command();
// `archive sync|add|export` (archive_sync_commands.cpp), added under `archive`; `root` and
// `catalog` are its --archive and --catalog values. The returned function runs the chosen one,
// or returns nullopt.
std::function<std::optional<int>()> add_archive_sync_subcommands(CLI::App& archive, const std::string& root,
                                                                  const std::string& catalog,
                                                                  const GlobalOptions& global);
// `archive repair` (archive_repair_command.cpp), added under `archive` the same way.
std::function<std::optional<int>()> add_archive_repair_subcommand(CLI::App& archive, const std::string& root,
                                                                   const std::string& catalog,
                                                                   const GlobalOptions& global);
// Akool webhook receiver that records and archives (serve_command.cpp).
CommandSpec serve_command();
// Job files through every stage (run_command.cpp; the pipeline library does the work).
CommandSpec run_command();
// One job per row of a job template, run here or queued, with a manifest (batch_command.cpp).
CommandSpec batch_command();
// The frame stages and delivery sinks from the registry (stages_command.cpp).
CommandSpec stages_command();
// The job queue: submit job files, list/cancel/retry them, and the worker that runs them.
CommandSpec submit_command();
CommandSpec jobs_command();
CommandSpec worker_command();
// The bash completion script and the man page, from these commands' own options
// (reference_commands.cpp).
CommandSpec completion_command();
CommandSpec man_command();

}  // namespace avpost::tool
