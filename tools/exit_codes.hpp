#pragma once
// Exit codes of the avpost program, documented in `avpost --help`.
#include "avpost/core/error.hpp"

namespace avpost::tool {

enum ExitCode : int {
    exit_ok = 0,
    exit_failure = 1,  // anything not listed below
    exit_usage = 2,    // bad command line or parameter values
    exit_input = 3,    // unusable input: missing/unreadable file, not a video, corrupt stream
    exit_output = 4,   // cannot write the output (encoder, muxer, disk)
};

int exit_code_for(const Error& error);

// The text appended to `avpost --help`.
const char* exit_code_help();

}  // namespace avpost::tool
