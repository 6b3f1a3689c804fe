#include "avpost/net/service_error.hpp"

namespace avpost::net {

std::string_view to_string(ServiceErrorKind kind) {
    switch (kind) {
        case ServiceErrorKind::missing_credentials: return "missing credentials";
        case ServiceErrorKind::unknown_id: return "unknown id";
        case ServiceErrorKind::render_failed: return "render failed";
        case ServiceErrorKind::link_expired: return "link expired";
        case ServiceErrorKind::vendor: return "vendor error";
        case ServiceErrorKind::network: return "network error";
        case ServiceErrorKind::timeout: return "timed out";
        case ServiceErrorKind::bad_response: return "bad response";
        case ServiceErrorKind::webhook_rejected: return "webhook rejected";
    }
    return "unknown";
}

ServiceError::ServiceError(ServiceErrorKind kind, ErrorDomain domain, std::string context, std::int64_t code,
                           std::string detail)
    : Error(domain, std::move(context), code, std::move(detail)), kind_(kind) {}

void throw_service(ServiceErrorKind kind, ErrorDomain domain, std::string context, std::int64_t code,
                   std::string detail) {
    throw ServiceError(kind, domain, std::move(context), code, std::move(detail));
}

bool is_service_error(const std::exception& e, ServiceErrorKind kind) {
    auto* s = dynamic_cast<const ServiceError*>(&e);
    return s && s->kind() == kind;
}

}  // namespace avpost::net
