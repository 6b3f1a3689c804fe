#pragma once
// The typed failures of the vendor clients. Still an avpost::Error (domain, context, native code,
// library text); the kind lets callers and the CLI branch without parsing text.
#include <string_view>

#include "avpost/core/error.hpp"

namespace avpost::net {

enum class ServiceErrorKind {
    missing_credentials,  // no API key / token configured
    unknown_id,           // the vendor does not know the job or avatar id
    render_failed,        // the job finished in a failed state
    link_expired,         // a signed result link answered 403: ask the API for a fresh one
    vendor,               // a vendor business code, or an HTTP status the API should not give
    network,              // transport failure or 5xx/429 that survived every retry
    timeout,              // waiting for a job gave up
    bad_response,         // the body is not the JSON the vendor documents
    webhook_rejected,     // a callback was forged, malformed, stale or undecryptable
};

std::string_view to_string(ServiceErrorKind kind);

class ServiceError : public Error {
public:
    ServiceError(ServiceErrorKind kind, ErrorDomain domain, std::string context, std::int64_t code,
                 std::string detail);
    ServiceErrorKind kind() const noexcept { return kind_; }

private:
    ServiceErrorKind kind_;
};

[[noreturn]] void throw_service(ServiceErrorKind kind, ErrorDomain domain, std::string context,
                                std::int64_t code, std::string detail);

// The kind of `e` when it is a ServiceError.
bool is_service_error(const std::exception& e, ServiceErrorKind kind);

}  // namespace avpost::net
