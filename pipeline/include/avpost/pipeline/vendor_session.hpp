#pragma once
// The vendors as a job sees them: configuration from the environment, clients made on first use
// and kept (so polling reuses connections and an Akool token), and the wait settings.
#include <memory>
#include <optional>
#include <string>

#include "avpost/net/a2v_client.hpp"
#include "avpost/net/akool_client.hpp"
#include "avpost/net/render_job.hpp"

namespace avpost::pipeline {

// Everything the vendor clients read from the environment.
struct VendorEnvironment {
    std::string akool_base_url = "https://openapi.akool.com";     // AVPOST_AKOOL_BASE_URL
    std::string a2v_base_url = "https://openapi.surreal-ai.com";  // AVPOST_A2V_BASE_URL
    net::akool::Credentials akool;  // AKOOL_API_KEY, or AKOOL_CLIENT_ID + AKOOL_CLIENT_SECRET
    std::string a2v_token;          // A2V_TOKEN
    std::string a2v_username;       // A2V_USERNAME + A2V_PASSWORD: account.login instead of a token
    std::string a2v_password;
    std::optional<int> max_attempts;  // AVPOST_HTTP_MAX_ATTEMPTS (retries of the HTTP layer)

    // Throws Error(usage) for an AVPOST_HTTP_MAX_ATTEMPTS that is not a number.
    static VendorEnvironment from_env();
};

// Each vendor's client settings from the environment, the one place they are made (for a client
// made elsewhere, e.g. one per thread). Throw ServiceError(missing_credentials) without the
// vendor's credentials, as do the make_ functions.
net::akool::ClientOptions akool_client_options(const VendorEnvironment& env);
net::a2v::ClientOptions a2v_client_options(const VendorEnvironment& env);
net::akool::Client make_akool_client(const VendorEnvironment& env);
net::a2v::Client make_a2v_client(const VendorEnvironment& env);
net::HttpClientOptions download_http_options(const VendorEnvironment& env);

// Clients made on first use and kept.
class VendorSession {
public:
    explicit VendorSession(VendorEnvironment env) : env_(std::move(env)) {}
    net::akool::Client& akool();
    net::a2v::Client& a2v();
    // The current status of a job of either vendor.
    net::JobStatus status(net::Vendor vendor, const std::string& id);
    const VendorEnvironment& env() const { return env_; }

private:
    VendorEnvironment env_;
    std::unique_ptr<net::akool::Client> akool_;
    std::unique_ptr<net::a2v::Client> a2v_;
};

// Polling settings from a timeout and a first interval in seconds (Error(usage) unless positive).
net::WaitOptions wait_options(double timeout_seconds, double interval_seconds);

// Throws ServiceError(render_failed) for a failed job.
void throw_if_failed(const net::JobStatus& status);

}  // namespace avpost::pipeline
