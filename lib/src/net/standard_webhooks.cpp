#include "avpost/net/standard_webhooks.hpp"

#include <charconv>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "avpost/core/error.hpp"
#include "avpost/net/crypto.hpp"
#include "avpost/net/redact.hpp"

namespace avpost::net::standard_webhooks {

namespace {
std::string_view trimmed(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
        s.remove_suffix(1);
    return s;
}
}  // namespace

WebhookSecret WebhookSecret::parse(std::string_view text) {
    text = trimmed(text);
    register_secret(text);  // before any check can fail: nothing may print it afterwards
    if (!text.starts_with(secret_prefix))
        throw_usage("the webhook secret must be \"whsec_\" followed by base64 (as Standard Webhooks secrets are)");
    std::string_view encoded = text.substr(secret_prefix.size());
    register_secret(encoded);
    std::string key;
    try {
        key = crypto::base64_decode(encoded);
    } catch (const Error&) {
        throw_usage("the webhook secret is not valid base64 after \"whsec_\"");
    }
    if (key.empty()) throw_usage("the webhook secret is empty after \"whsec_\"");
    return WebhookSecret(std::move(key));
}

std::string read_webhook_secret_file(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw_errno("read webhook secret file " + file.string(), errno ? errno : ENOENT);
    std::stringstream text;
    text << in.rdbuf();
    const std::string secret(trimmed(text.str()));
    WebhookSecret::parse(secret);  // registers it, and says what is wrong without printing it
    return secret;
}

std::string sign(const WebhookSecret& secret, std::string_view msg_id, std::int64_t timestamp, std::string_view body) {
    std::string content;
    content.reserve(msg_id.size() + body.size() + 24);
    content += msg_id;
    content += '.';
    content += std::to_string(timestamp);
    content += '.';
    content += body;
    return "v1," + crypto::base64_encode(crypto::hex_decode(crypto::hmac_sha256_hex(secret.key(), content)));
}

bool verify(const WebhookSecret& secret, std::string_view msg_id, std::string_view timestamp_header,
            std::string_view signature_header, std::string_view body, std::int64_t now, std::chrono::seconds tolerance) {
    timestamp_header = trimmed(timestamp_header);
    std::int64_t timestamp = 0;
    auto [end, ec] = std::from_chars(timestamp_header.data(), timestamp_header.data() + timestamp_header.size(), timestamp);
    if (ec != std::errc() || end != timestamp_header.data() + timestamp_header.size()) return false;
    if (std::llabs(now - timestamp) > tolerance.count()) return false;
    const std::string expected = sign(secret, msg_id, timestamp, body);
    bool found = false;
    std::string_view rest = signature_header;
    while (!rest.empty()) {
        const auto space = rest.find(' ');
        std::string_view candidate = rest.substr(0, space);
        // Every candidate is compared (no early exit), each in constant time.
        found = crypto::constant_time_equal(candidate, expected) || found;
        rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
    }
    return found;
}

}  // namespace avpost::net::standard_webhooks
