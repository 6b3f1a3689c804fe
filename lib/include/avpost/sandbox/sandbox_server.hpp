#pragma once
// A local stand-in for Akool (/api/open/v3/...) and the A2V API (/v1/...) on one port: real
// HTTP (cpp-httplib), in-memory state, rendered media behind signed expiring links with Range and
// ETag, webhooks delivered like Akool's, and faults on request. Control endpoints:
//   POST /sandbox/faults (a Fault or an array), DELETE /sandbox/faults,
//   GET /sandbox/stats ({"requests": {path: n}, "statuses": {"429": n}, "webhooks": {...}}).
#include <map>
#include <memory>
#include <string>

#include "avpost/sandbox/sandbox_options.hpp"

namespace avpost::sandbox {

struct SandboxStats {
    std::map<std::string, int> requests;  // by path
    std::map<int, int> statuses;          // by HTTP status answered
    int webhook_attempts = 0;
    int webhook_delivered = 0;  // answered 200
    int renders = 0;
};
void to_json(nlohmann::json& j, const SandboxStats& s);

class SandboxServer {
public:
    explicit SandboxServer(SandboxOptions options = {});
    ~SandboxServer();  // stops
    SandboxServer(const SandboxServer&) = delete;
    SandboxServer& operator=(const SandboxServer&) = delete;

    // Binds and starts serving on background threads. Throws Error(system) when it cannot bind.
    void start();
    void stop();
    // Blocks until stop() (for the `avpost sandbox` command).
    void wait();

    int port() const;
    std::string base_url() const;  // "http://127.0.0.1:PORT"
    const SandboxOptions& options() const;

    void add_fault(const Fault& fault);
    void clear_faults();
    SandboxStats stats() const;
    void reset_stats();

    // A signed link to a stored file, valid for `ttl_seconds` (tests use it for expiry).
    std::string sign_link(const std::string& file_name, std::int64_t ttl_seconds) const;
    // Forgets every token issued by getToken / account.login (as if they had expired).
    void revoke_tokens();
    // Stores bytes under `file_name` (tests serve their own media through the sandbox).
    void put_file(const std::string& file_name, std::string bytes, std::string content_type);

    struct State;

private:
    std::unique_ptr<State> state_;
};

}  // namespace avpost::sandbox
