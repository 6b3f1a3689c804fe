#include "exit_codes.hpp"

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

const char* exit_code_help() {
    return "Exit codes:\n"
           "  0  success\n"
           "  1  failure not listed below\n"
           "  2  bad command line or parameter values\n"
           "  3  unusable input (missing or unreadable file, not a video, corrupt stream)\n"
           "  4  cannot write the output (encoder, muxer, disk)\n"
           " 10  missing vendor credentials (AKOOL_API_KEY or AKOOL_CLIENT_ID+AKOOL_CLIENT_SECRET, A2V_TOKEN)\n"
           " 11  unknown id (no such job, avatar or file at the vendor)\n"
           " 12  the render failed\n"
           " 13  the signed result link expired (run fetch again for a fresh link)\n"
           " 14  vendor error code or unexpected vendor reply\n"
           " 15  network failure after retries (unreachable, timeouts, 5xx, 429)\n"
           " 16  not finished: wait timed out, or fetch of a render still running\n"
           " 20  archive verify found files that differ from the catalog, are missing or unreadable\n"
           " 21  archive sync/add could not archive every file (failed, expired before archived, or left\n"
           "     pending for a later run)\n"
           "run: the exit code its failed jobs share (e.g. 2 for a bad job file, 12 for a failed render), or 1\n"
           "     when they failed in different ways; 130 after Ctrl-C\n";
}

}  // namespace avpost::tool
