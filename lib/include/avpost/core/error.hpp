#pragma once
// The one error type of avpost: what failed, the native code and the library's own text.
#include <cstdint>
#include <exception>
#include <string>
#include <string_view>

namespace avpost {

// Where the native code of an Error comes from, so callers can branch without parsing text.
enum class ErrorDomain {
    usage,    // bad command-line or parameter values; code is 0
    input,    // the input media or data is unusable (no overlap, corrupt stream); code is 0 or a count
    system,   // errno
    av,       // AVERROR from libav*
    curl,     // CURLcode
    http,     // HTTP status
    vendor,   // vendor business code (Akool code, A2V code)
    sqlite,   // SQLite result code
    postgres, // PostgreSQL: the SQLSTATE as a base-36 number (0 for a connection failure)
    crypto,   // OpenSSL error code
};

std::string_view to_string(ErrorDomain domain);

class Error : public std::exception {
public:
    Error(ErrorDomain domain, std::string context, std::int64_t code, std::string detail);

    ErrorDomain domain() const noexcept { return domain_; }
    // What failed, e.g. "avcodec_send_packet (avatar stream 0)".
    const std::string& context() const noexcept { return context_; }
    std::int64_t code() const noexcept { return code_; }
    // The library's own message (av_strerror, the CURL error buffer, the vendor message).
    const std::string& detail() const noexcept { return detail_; }
    // One line: "context: detail".
    const char* what() const noexcept override { return message_.c_str(); }

private:
    ErrorDomain domain_;
    std::string context_;
    std::int64_t code_;
    std::string detail_;
    std::string message_;
};

// A failure to write an output (encoder, muxer, disk), whatever library reported it; the CLI
// gives it its own exit code.
class OutputError : public Error {
public:
    using Error::Error;
};

// Shorthands for the common domains.
[[noreturn]] void throw_usage(std::string message);
[[noreturn]] void throw_input(std::string context, std::string detail);
[[noreturn]] void throw_errno(std::string context, int errno_value);
[[noreturn]] void throw_av(std::string context, int averror);

// libav convention: negative is an error. Returns ret unchanged otherwise.
inline int check_av(int ret, std::string_view context) {
    if (ret < 0) throw_av(std::string(context), ret);
    return ret;
}

std::string av_error_text(int averror);

}  // namespace avpost
