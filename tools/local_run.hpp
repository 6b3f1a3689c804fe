#pragma once
// What `avpost run` and `avpost batch` share to run jobs here: their options (output root,
// archive, catalog, webhook listener, --force), the pipeline's RunOptions made from them, the
// observer that shows each job's wait, and how job outcomes become exit codes.
#include <CLI/CLI.hpp>
#include <memory>
#include <string>
#include <vector>

#include "avpost/pipeline/job_runner.hpp"
#include "wait_display.hpp"

namespace avpost::tool {

struct LocalRunFlags {
    bool force = false;
    std::string output_root = "out";
    std::string archive_dir;
    std::string webhook_listen;
    std::string catalog;
};

// --force, --output-root, --archive, --webhook-listen, and --catalog unless `with_catalog` is
// false (a command whose --catalog also names a queue adds its own).
void add_local_run_options(CLI::App& sub, LocalRunFlags& flags, bool with_catalog = true);

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

// The pipeline's options for jobs run here with these flags (vendors from the environment, one
// webhook listener and one set of output claims for all of them). `progress` and `observer` are
// the caller's to set.
pipeline::RunOptions local_run_options(const LocalRunFlags& flags);

// The exit code a job's failure maps to (0 when it succeeded).
int exit_code_of(const pipeline::JobReport& report);
// 0 when every job succeeded; else the exit code all failed jobs share, or 1 when they differ
// (130 after Ctrl-C).
int combined_exit_code(const std::vector<pipeline::JobReport>& reports);

}  // namespace avpost::tool
