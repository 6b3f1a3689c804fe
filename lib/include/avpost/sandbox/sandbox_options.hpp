#pragma once
// What the sandbox accepts, how fast its jobs move, and the faults it injects on request.
#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace avpost::sandbox {

struct SandboxOptions {
    std::string host = "127.0.0.1";
    int port = 0;  // 0: an ephemeral port, see SandboxServer::port()
    // The URL links are built on; empty: http://host:port.
    std::string public_base_url;

    // Credentials the sandbox accepts. The Akool secret is also the webhook AES key (24 bytes:
    // AES-192) and the client id the IV source (at least 16 bytes), as with Akool.
    std::string akool_client_id = "sandbox-client-id-0001";
    std::string akool_client_secret = "sandbox-secret-24bytes!!";
    std::string a2v_token = "sandbox-a2v-token";
    std::string a2v_username = "sandbox";
    std::string a2v_password = "sandbox-password";

    // Job timing: queued for queue_seconds, then processing for process_seconds (and until the
    // media is rendered), then finished.
    double queue_seconds = 1.0;
    double process_seconds = 2.0;

    // Result links expire after this many seconds (403 afterwards); Akool and A2V keep 7 days.
    std::int64_t link_ttl_seconds = 7 * 24 * 3600;

    // A2V's rate limit: requests per window per sandbox, window in seconds (60 at A2V).
    int a2v_requests_per_window = 30;
    int a2v_window_seconds = 60;

    // Rendered media. A2V renders are render_width x render_height.
    int render_width = 320;
    int render_height = 180;
    // Akool renders draw the request's canvas (3840x2160) scaled down to fit inside this size
    // (640x360 by default, for speed); 0x0 renders the request's own size (`avpost sandbox
    // --akool-size full`, or AVPOST_SANDBOX_AKOOL_SIZE=full).
    int akool_render_max_width = 640;
    int akool_render_max_height = 360;
    int render_fps = 25;
    double generated_audio_seconds = 3.0;  // when the input audio cannot be fetched
    double max_audio_seconds = 60.0;       // A2V beta limit
    bool fetch_audio = true;               // try to download the request's audio URL

    // Webhook delivery retries until a 200, with capped doubling delays.
    int webhook_max_attempts = 30;
    int webhook_initial_delay_ms = 200;
    int webhook_max_delay_ms = 5000;
};

void to_json(nlohmann::json& j, const SandboxOptions& o);
void from_json(const nlohmann::json& j, SandboxOptions& o);

// A fault injected into the next `count` requests whose path starts with `path_prefix`.
struct Fault {
    std::string path_prefix;  // "" matches every path
    int count = 1;            // -1: every matching request until cleared
    int http_status = 0;      // answer with this status and the vendor's error body
    std::optional<int> vendor_code;  // answer HTTP 200 (Akool) with this business code
    std::string message;             // error message in the body
    int retry_after_seconds = -1;    // add "Retry-After"
    bool rate_limit_headers = false; // add X-Ratelimit-Total/Left=0/Reset
    std::int64_t drop_after_bytes = -1;  // downloads: close the connection after this many bytes
    int delay_ms = 0;                // answer this much later (slow responses)
    bool fail_render = false;        // the job created by this request ends failed
    std::string status_override;     // A2V video.get reports this status string instead
};

void to_json(nlohmann::json& j, const Fault& f);
void from_json(const nlohmann::json& j, Fault& f);

}  // namespace avpost::sandbox
