#pragma once
// Signing per the Standard Webhooks specification (standardwebhooks.com): a message id, a Unix
// timestamp and an HMAC-SHA256 over "id.timestamp.body" with the bytes of a `whsec_<base64>`
// secret, sent as `webhook-signature: v1,<base64>`, so any Standard Webhooks library (npm
// `standardwebhooks`, Python `standardwebhooks`, Svix's) verifies what avpost sends.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace avpost::net::standard_webhooks {

inline constexpr std::string_view secret_prefix = "whsec_";
// The spec's tolerance: a timestamp further than this from now (either way) fails verification.
inline constexpr std::chrono::seconds default_tolerance{5 * 60};

// A signing secret: the key is the base64-decoded text after "whsec_". Never printed: parse
// registers both forms with net::register_secret.
class WebhookSecret {
public:
    // Throws Error(usage) (not naming the text) unless `text` (surrounding whitespace ignored) is
    // "whsec_" and non-empty base64.
    static WebhookSecret parse(std::string_view text);
    const std::string& key() const { return key_; }

private:
    explicit WebhookSecret(std::string key) : key_(std::move(key)) {}
    std::string key_;
};

// The secret a --webhook-secret-file holds: one line "whsec_...", checked (parse) and registered
// as a secret. Throws Error(system) when the file cannot be read, Error(usage) when it is not one.
std::string read_webhook_secret_file(const std::filesystem::path& file);

// "v1,<base64 of HMAC-SHA256(key, msg_id + '.' + timestamp + '.' + body)>".
std::string sign(const WebhookSecret& secret, std::string_view msg_id, std::int64_t timestamp, std::string_view body);

// Whether `signature_header` (one or more space-separated "v1,..." entries) holds the signature
// of this message, compared in constant time, and `timestamp_header` is within `tolerance` of
// `now` (Unix seconds).
bool verify(const WebhookSecret& secret, std::string_view msg_id, std::string_view timestamp_header,
            std::string_view signature_header, std::string_view body, std::int64_t now,
            std::chrono::seconds tolerance = default_tolerance);

}  // namespace avpost::net::standard_webhooks
