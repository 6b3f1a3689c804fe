#include "avpost/pipeline/vendor_session.hpp"

#include <cstdlib>

#include "avpost/net/redact.hpp"
#include "avpost/net/service_error.hpp"

namespace avpost::pipeline {
namespace {
std::string env_or(const char* name, std::string fallback = {}) {
    const char* v = std::getenv(name);
    return v && *v ? std::string(v) : fallback;
}
}  // namespace

VendorEnvironment VendorEnvironment::from_env() {
    VendorEnvironment e;
    e.akool_base_url = env_or("AVPOST_AKOOL_BASE_URL", e.akool_base_url);
    e.a2v_base_url = env_or("AVPOST_A2V_BASE_URL", e.a2v_base_url);
    e.akool.api_key = env_or("AKOOL_API_KEY");
    e.akool.client_id = env_or("AKOOL_CLIENT_ID");
    e.akool.client_secret = env_or("AKOOL_CLIENT_SECRET");
    e.a2v_token = env_or("A2V_TOKEN");
    e.a2v_username = env_or("A2V_USERNAME");
    e.a2v_password = env_or("A2V_PASSWORD");
    for (const std::string* s : {&e.akool.api_key, &e.akool.client_secret, &e.a2v_token, &e.a2v_password})
        net::register_secret(*s);
    std::string attempts = env_or("AVPOST_HTTP_MAX_ATTEMPTS");
    if (!attempts.empty()) {
        try {
            e.max_attempts = std::max(1, std::stoi(attempts));
        } catch (...) {
            throw_usage("AVPOST_HTTP_MAX_ATTEMPTS must be a number");
        }
    }
    return e;
}

net::akool::ClientOptions akool_client_options(const VendorEnvironment& env) {
    if (env.akool.empty())
        net::throw_service(net::ServiceErrorKind::missing_credentials, ErrorDomain::usage, "akool", 0,
                           "no credentials: set AKOOL_API_KEY, or AKOOL_CLIENT_ID and AKOOL_CLIENT_SECRET");
    net::akool::ClientOptions o;
    o.base_url = env.akool_base_url;
    o.credentials = env.akool;
    if (env.max_attempts) o.http.retry.max_attempts = *env.max_attempts;
    return o;
}

net::akool::Client make_akool_client(const VendorEnvironment& env) { return net::akool::Client(akool_client_options(env)); }

net::a2v::ClientOptions a2v_client_options(const VendorEnvironment& env) {
    if (env.a2v_token.empty() && (env.a2v_username.empty() || env.a2v_password.empty()))
        net::throw_service(net::ServiceErrorKind::missing_credentials, ErrorDomain::usage, "a2v", 0,
                           "no credentials: set A2V_TOKEN");
    net::a2v::ClientOptions o;
    o.base_url = env.a2v_base_url;
    o.token = env.a2v_token;
    o.username = env.a2v_username;
    o.password = env.a2v_password;
    if (env.max_attempts) o.http.retry.max_attempts = *env.max_attempts;
    return o;
}

net::a2v::Client make_a2v_client(const VendorEnvironment& env) { return net::a2v::Client(a2v_client_options(env)); }

net::HttpClientOptions download_http_options(const VendorEnvironment& env) {
    net::HttpClientOptions o;
    o.metrics_vendor = "download";
    o.rate_limit.enabled = false;
    if (env.max_attempts) o.retry.max_attempts = *env.max_attempts;
    return o;
}

net::akool::Client& VendorSession::akool() {
    if (!akool_) akool_ = std::make_unique<net::akool::Client>(make_akool_client(env_));
    return *akool_;
}

net::a2v::Client& VendorSession::a2v() {
    if (!a2v_) a2v_ = std::make_unique<net::a2v::Client>(make_a2v_client(env_));
    return *a2v_;
}

net::JobStatus VendorSession::status(net::Vendor vendor, const std::string& id) {
    if (vendor == net::Vendor::akool) return net::to_job_status(akool().video_info(id));
    return net::to_job_status(a2v().get(id));
}

net::WaitOptions wait_options(double timeout_seconds, double interval_seconds) {
    if (timeout_seconds <= 0) throw_usage("--timeout must be positive");
    if (interval_seconds <= 0) throw_usage("--interval must be positive");
    net::WaitOptions w;
    w.timeout = std::chrono::milliseconds(static_cast<long long>(timeout_seconds * 1000));
    w.initial_interval = std::chrono::milliseconds(static_cast<long long>(interval_seconds * 1000));
    w.max_interval = std::max(w.initial_interval, std::chrono::milliseconds(60000));
    return w;
}

void throw_if_failed(const net::JobStatus& s) {
    if (s.state == net::JobState::failed)
        net::throw_service(net::ServiceErrorKind::render_failed, ErrorDomain::vendor,
                           std::string(net::to_string(s.vendor)) + " job " + s.id, 0,
                           "the render failed (vendor status " + s.vendor_status + ")");
}

}  // namespace avpost::pipeline
