#include "avpost/net/akool_webhook.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>

#include "avpost/core/json_depth.hpp"
#include "avpost/net/crypto.hpp"
#include "avpost/net/service_error.hpp"

namespace avpost::net::akool {
namespace {

[[noreturn]] void reject(std::string detail) {
    throw_service(ServiceErrorKind::webhook_rejected, ErrorDomain::crypto, "akool webhook", 0, std::move(detail));
}

std::string iv_of(const WebhookCredentials& creds) {
    // The reference code uses the first 16 bytes of the clientId as the IV.
    if (creds.client_id.size() < 16) reject("clientId shorter than the 16-byte AES IV");
    return creds.client_id.substr(0, 16);
}

// Numbers or strings, as the docs show both for nonce.
std::optional<std::string> scalar_text(const nlohmann::json& body, const char* key) {
    auto it = body.find(key);
    if (it == body.end()) return std::nullopt;
    if (it->is_string()) return it->get<std::string>();
    if (it->is_number_integer()) return std::to_string(it->get<std::int64_t>());
    if (it->is_number_unsigned()) return std::to_string(it->get<std::uint64_t>());
    return std::nullopt;
}

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

std::string webhook_signature(std::string_view client_id, std::string_view timestamp, std::string_view nonce,
                              std::string_view data_encrypt) {
    std::array<std::string_view, 4> parts = {client_id, timestamp, nonce, data_encrypt};
    std::sort(parts.begin(), parts.end());
    std::string joined;
    for (auto p : parts) joined.append(p);
    return crypto::sha1_hex(joined);
}

std::string webhook_encrypt(std::string_view plaintext, const WebhookCredentials& creds) {
    return crypto::base64_encode(crypto::aes_cbc_encrypt(plaintext, creds.client_secret, iv_of(creds)));
}

std::string webhook_decrypt(std::string_view data_encrypt, const WebhookCredentials& creds) {
    return crypto::aes_cbc_decrypt(crypto::base64_decode(data_encrypt), creds.client_secret, iv_of(creds));
}

nlohmann::json make_webhook_body(const nlohmann::json& payload, const WebhookCredentials& creds,
                                 std::int64_t timestamp_ms, std::string nonce) {
    std::string data = webhook_encrypt(payload.dump(), creds);
    std::string signature = webhook_signature(creds.client_id, std::to_string(timestamp_ms), nonce, data);
    return {{"signature", signature}, {"dataEncrypt", data}, {"timestamp", timestamp_ms}, {"nonce", nonce}};
}

WebhookVerifier::WebhookVerifier(WebhookCredentials creds, WebhookVerifierOptions options)
    : creds_(std::move(creds)), options_(options), clock_(now_ms) {}

WebhookEvent WebhookVerifier::verify(std::string_view body_text) {
    nlohmann::json body = nlohmann::json::parse(body_text, nullptr, false);
    if (body.is_discarded() || !body.is_object()) reject("body is not a JSON object");
    // Before anything copies or walks them: a hostile depth would overflow the stack.
    if (json_nested_too_deep(body)) reject("body nests deeper than " + std::to_string(max_json_depth) + " levels");
    auto signature = scalar_text(body, "signature");
    auto data = scalar_text(body, "dataEncrypt");
    auto timestamp = scalar_text(body, "timestamp");
    auto nonce = scalar_text(body, "nonce");
    if (!signature || !data || !timestamp || !nonce) reject("missing signature, dataEncrypt, timestamp or nonce");

    char* end = nullptr;
    long long ts = std::strtoll(timestamp->c_str(), &end, 10);
    if (timestamp->empty() || *end != '\0') reject("timestamp is not a number");

    // Signature first: nothing of a forged body is decrypted or trusted.
    std::string expected = webhook_signature(creds_.client_id, *timestamp, *nonce, *data);
    std::string given = *signature;
    std::transform(given.begin(), given.end(), given.begin(), [](unsigned char c) { return std::tolower(c); });
    if (!crypto::constant_time_equal(expected, given)) reject("signature does not match");

    long long age_ms = clock_() - ts;
    long long max_ms = static_cast<long long>(options_.max_age.count()) * 1000;
    if (age_ms > max_ms || age_ms < -max_ms) reject("stale timestamp (" + std::to_string(age_ms / 1000) + " s old)");

    std::string plaintext;
    try {
        plaintext = webhook_decrypt(*data, creds_);
    } catch (const Error& e) {
        reject(std::string("cannot decrypt dataEncrypt: ") + e.what());
    }
    nlohmann::json payload = nlohmann::json::parse(plaintext, nullptr, false);
    if (payload.is_discarded() || !payload.is_object()) reject("decrypted payload is not a JSON object");
    if (json_nested_too_deep(payload))
        reject("decrypted payload nests deeper than " + std::to_string(max_json_depth) + " levels");

    WebhookEvent event;
    event.raw = payload;
    event.timestamp_ms = ts;
    event.id = scalar_text(payload, "_id").value_or("");
    if (event.id.empty()) reject("decrypted payload has no _id");
    if (auto s = scalar_text(payload, "status")) event.status = std::atoi(s->c_str());
    event.type = scalar_text(payload, "type").value_or("");
    event.url = scalar_text(payload, "url").value_or("");

    // A redelivery (same signature) or the same state reported again is a repeat, not news.
    std::string key = event.id + "|" + std::to_string(event.status) + "|" + event.url;
    std::lock_guard lock(mutex_);
    bool seen_sig = seen_.contains("sig:" + given);
    bool seen_event = seen_.contains(key);
    event.repeat = seen_sig || seen_event;
    for (const std::string& k : {std::string("sig:") + given, key}) {
        if (seen_.insert(k).second) seen_order_.push_back(k);
    }
    while (seen_order_.size() > options_.remembered_events) {
        seen_.erase(seen_order_.front());
        seen_order_.pop_front();
    }
    return event;
}

}  // namespace avpost::net::akool
