#include "exit_codes.hpp"

namespace avpost::tool {

int exit_code_for(const Error& error) {
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
           "  4  cannot write the output (encoder, muxer, disk)\n";
}

}  // namespace avpost::tool
