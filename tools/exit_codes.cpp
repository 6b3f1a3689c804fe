#include "exit_codes.hpp"

#include <cstdio>

#include "avpost/net/service_error.hpp"

namespace avpost::tool {

int exit_code_for(const Error& error) {
    if (auto* service = dynamic_cast<const net::ServiceError*>(&error)) {
        switch (service->kind()) {
            case net::ServiceErrorKind::missing_credentials: return exit_missing_credentials;
            case net::ServiceErrorKind::unknown_id: return exit_unknown_id;
            case net::ServiceErrorKind::render_failed: return exit_render_failed;
            case net::ServiceErrorKind::link_expired: return exit_link_expired;
            case net::ServiceErrorKind::vendor:
            case net::ServiceErrorKind::bad_response: return exit_vendor_error;
            case net::ServiceErrorKind::network: return exit_network;
            case net::ServiceErrorKind::timeout: return exit_not_finished;
            case net::ServiceErrorKind::webhook_rejected: return exit_failure;
        }
    }
    if (dynamic_cast<const OutputError*>(&error)) return exit_output;
    switch (error.domain()) {
        case ErrorDomain::usage: return exit_usage;
        case ErrorDomain::input: return exit_input;
        default: return exit_failure;
    }
}

const std::vector<ExitCodeDoc>& exit_code_table() {
    static const std::vector<ExitCodeDoc> table = {
        {exit_ok, "success"},
        {exit_failure, "failure not listed below"},
        {exit_usage, "bad command line or parameter values"},
        {exit_input, "unusable input (missing or unreadable file, not a video, corrupt stream)"},
        {exit_output, "cannot write the output (encoder, muxer, disk)"},
        {exit_missing_credentials,
         "missing vendor credentials (AKOOL_API_KEY or AKOOL_CLIENT_ID+AKOOL_CLIENT_SECRET, A2V_TOKEN)"},
        {exit_unknown_id, "unknown id (no such job, avatar or file at the vendor)"},
        {exit_render_failed, "the render failed"},
        {exit_link_expired, "the signed result link expired (run fetch again for a fresh link)"},
        {exit_vendor_error, "vendor error code or unexpected vendor reply"},
        {exit_network, "network failure after retries (unreachable, timeouts, 5xx, 429)"},
        {exit_not_finished, "not finished: wait timed out, or fetch of a render still running"},
        {exit_verify_failed,
         "archive verify found files that differ from the catalog, are missing or unreadable (damaged files count "
         "until repaired); archive repair could not restore every damaged file"},
        {exit_archive_incomplete,
         "archive sync/add left files not archived: left for a later run (pending, or failed and waiting for its "
         "backoff while the link lives), damaged, or lost (link expired before archived); every run, until none "
         "is left"},
        {exit_interrupted, "stopped by Ctrl-C (SIGINT)"},
    };
    return table;
}

const char* exit_code_run_note() {
    return "run, batch: the exit code their failed jobs share (e.g. 2 for a bad job file, 12 for a failed render), or 1 "
           "when they failed in different ways";
}

std::string exit_code_help() {
    std::string text = "Exit codes:\n";
    for (const ExitCodeDoc& e : exit_code_table()) {
        char code[8];
        std::snprintf(code, sizeof code, "%3d  ", e.code);
        text += code + std::string(e.meaning) + "\n";
    }
    return text + exit_code_run_note() + "\n";
}

}  // namespace avpost::tool
