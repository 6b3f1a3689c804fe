#include "avpost/core/error.hpp"

#include <cstring>

extern "C" {
#include <libavutil/error.h>
}

namespace avpost {

std::string_view to_string(ErrorDomain domain) {
    switch (domain) {
        case ErrorDomain::usage: return "usage";
        case ErrorDomain::input: return "input";
        case ErrorDomain::system: return "system";
        case ErrorDomain::av: return "libav";
        case ErrorDomain::curl: return "curl";
        case ErrorDomain::http: return "http";
        case ErrorDomain::vendor: return "vendor";
        case ErrorDomain::sqlite: return "sqlite";
        case ErrorDomain::postgres: return "postgres";
        case ErrorDomain::crypto: return "crypto";
    }
    return "unknown";
}

Error::Error(ErrorDomain domain, std::string context, std::int64_t code, std::string detail)
    : domain_(domain), context_(std::move(context)), code_(code), detail_(std::move(detail)) {
    message_ = detail_.empty() ? context_ : context_ + ": " + detail_;
    // Errors are printed as one line; a multi-line library message must not break that.
    for (char& c : message_)
        if (c == '\n' || c == '\r') c = ' ';
}

void throw_usage(std::string message) { throw Error(ErrorDomain::usage, std::move(message), 0, {}); }

void throw_input(std::string context, std::string detail) {
    throw Error(ErrorDomain::input, std::move(context), 0, std::move(detail));
}

void throw_errno(std::string context, int errno_value) {
    throw Error(ErrorDomain::system, std::move(context), errno_value, std::strerror(errno_value));
}

std::string av_error_text(int averror) {
    char text[AV_ERROR_MAX_STRING_SIZE] = {};
    if (av_strerror(averror, text, sizeof text) < 0) return "libav error " + std::to_string(averror);
    return text;
}

void throw_av(std::string context, int averror) {
    throw Error(ErrorDomain::av, std::move(context), averror, av_error_text(averror));
}

}  // namespace avpost
