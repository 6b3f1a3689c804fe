#include "avpost/net/retry_rule.hpp"

#include "avpost/net/service_error.hpp"

namespace avpost::net {

bool is_transient(CURLcode code) {
    switch (code) {
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_RESOLVE_PROXY:
        case CURLE_COULDNT_CONNECT:
        case CURLE_OPERATION_TIMEDOUT:
        case CURLE_SEND_ERROR:
        case CURLE_RECV_ERROR:
        case CURLE_GOT_NOTHING:
        case CURLE_PARTIAL_FILE:
        case CURLE_HTTP2:
        case CURLE_HTTP2_STREAM:
        case CURLE_SSL_CONNECT_ERROR: return true;
        default: return false;
    }
}

bool never_reached_server(CURLcode code) {
    return code == CURLE_COULDNT_RESOLVE_HOST || code == CURLE_COULDNT_RESOLVE_PROXY || code == CURLE_COULDNT_CONNECT;
}

bool is_transient_status(long status) {
    return status == 408 || status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

bool is_transient(const Error& error) {
    if (const auto* service = dynamic_cast<const ServiceError*>(&error)) {
        switch (service->kind()) {
            case ServiceErrorKind::network:
            case ServiceErrorKind::timeout:
            case ServiceErrorKind::link_expired: return true;
            default: return false;
        }
    }
    if (dynamic_cast<const OutputError*>(&error)) return true;
    switch (error.domain()) {
        case ErrorDomain::usage:
        case ErrorDomain::input:
        case ErrorDomain::av:
        case ErrorDomain::vendor: return false;
        default: return true;
    }
}

bool is_transient(const std::exception_ptr& failure) {
    if (!failure) return false;
    try {
        std::rethrow_exception(failure);
    } catch (const Error& e) {
        return is_transient(e);
    } catch (...) {
        return true;
    }
}

}  // namespace avpost::net
