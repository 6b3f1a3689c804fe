#pragma once
// Exit codes of the avpost program, documented in `avpost --help`.
#include <string>
#include <vector>

#include "avpost/core/error.hpp"

namespace avpost::tool {

enum ExitCode : int {
    exit_ok = 0,
    exit_failure = 1,  // anything not listed below
    exit_usage = 2,    // bad command line or parameter values
    exit_input = 3,    // unusable input: missing/unreadable file, not a video, corrupt stream
    exit_output = 4,   // cannot write the output (encoder, muxer, disk)
    // Vendor commands (render, status, wait, fetch, ...):
    exit_missing_credentials = 10,  // no API key / token in the environment
    exit_unknown_id = 11,           // the vendor knows no such job, avatar or file
    exit_render_failed = 12,        // the render ended failed
    exit_link_expired = 13,         // a signed result link expired (403): fetch again for a fresh one
    exit_vendor_error = 14,         // the vendor answered with an error code or an unexpected reply
    exit_network = 15,              // the vendor could not be reached, or kept failing, after retries
    exit_not_finished = 16,         // waiting timed out, or fetch of a render that is still running
    // Archive commands:
    exit_verify_failed = 20,  // archive verify found damaged files; archive repair left some damaged
    exit_archive_incomplete = 21,  // archive sync/add: a file of the archive is not archived (any run, not only the first)
    exit_interrupted = 130,        // stopped by SIGINT (the shell's convention)
};

int exit_code_for(const Error& error);

// Every exit code with its meaning: the one table `avpost --help` and the man page print.
struct ExitCodeDoc {
    int code;
    const char* meaning;
};
const std::vector<ExitCodeDoc>& exit_code_table();
// How `run` combines the exit codes of its jobs.
const char* exit_code_run_note();

// The text appended to `avpost --help`, from the table.
std::string exit_code_help();

}  // namespace avpost::tool
