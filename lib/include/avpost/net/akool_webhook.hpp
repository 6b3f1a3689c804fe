#pragma once
// Akool webhook callbacks: {"signature","dataEncrypt","timestamp","nonce"} where
// signature = sha1_hex(sorted concat of clientId, timestamp, nonce, dataEncrypt) and
// dataEncrypt = base64(AES-CBC(key = clientSecret, iv = first 16 bytes of clientId, PKCS#7)).
// The verifier checks the signature (constant time) before decrypting, rejects stale timestamps,
// and reports a repeated delivery of the same event as a repeat.
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

namespace avpost::net::akool {

struct WebhookCredentials {
    std::string client_id;      // also the IV source
    std::string client_secret;  // the AES key (16, 24 or 32 bytes)
};

std::string webhook_signature(std::string_view client_id, std::string_view timestamp, std::string_view nonce,
                              std::string_view data_encrypt);
std::string webhook_encrypt(std::string_view plaintext, const WebhookCredentials& creds);
std::string webhook_decrypt(std::string_view data_encrypt, const WebhookCredentials& creds);

// The body Akool POSTs for `payload` (as the sandbox sends it).
nlohmann::json make_webhook_body(const nlohmann::json& payload, const WebhookCredentials& creds,
                                 std::int64_t timestamp_ms, std::string nonce);

// The decrypted callback.
struct WebhookEvent {
    std::string id;      // "_id": the video model id of the job
    int status = 0;      // 1 queueing, 2 processing, 3 completed, 4 failed
    std::string type;    // "avatar", "audio", ...
    std::string url;     // set when completed
    nlohmann::json raw;  // the whole decrypted payload
    std::int64_t timestamp_ms = 0;
    bool repeat = false;  // the same event was accepted before: acknowledge, do not act again
};

struct WebhookVerifierOptions {
    std::chrono::seconds max_age{300};  // older or further in the future than this: stale
    std::size_t remembered_events = 4096;
};

class WebhookVerifier {
public:
    using Clock = std::function<std::int64_t()>;  // epoch milliseconds
    WebhookVerifier(WebhookCredentials creds, WebhookVerifierOptions options = {});

    // Throws ServiceError(webhook_rejected) for a malformed body, a forged signature, an
    // undecryptable payload or a stale timestamp. Thread-safe.
    WebhookEvent verify(std::string_view body);

    void set_clock(Clock clock) { clock_ = std::move(clock); }

private:
    WebhookCredentials creds_;
    WebhookVerifierOptions options_;
    Clock clock_;
    std::mutex mutex_;
    std::set<std::string> seen_;
    std::deque<std::string> seen_order_;
};

}  // namespace avpost::net::akool
