// Fuzz target: Akool webhook bodies. The input is tried twice: as the raw POST body (the
// envelope, its signature and timestamp checks), and as the decrypted payload of a correctly
// signed and encrypted body, so the fuzzer also reaches what is read after decryption. A bad
// body must be an avpost::Error (ServiceError webhook_rejected); anything else escaping, a crash
// or undefined behaviour is a finding.
#include <string>

#include "avpost/core/error.hpp"
#include "avpost/net/akool_webhook.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace avpost::net::akool;

const WebhookCredentials credentials{"fuzz-client-id-0123456789", "0123456789abcdef0123456789abcdef"};
constexpr std::int64_t now_ms = 1'700'000'000'000;

// The body Akool would POST for `payload` (any bytes, not only JSON).
std::string signed_body(std::string_view payload) {
    const std::string data = webhook_encrypt(payload, credentials);
    const std::string timestamp = std::to_string(now_ms);
    const std::string nonce = "4242";
    return nlohmann::json{{"signature", webhook_signature(credentials.client_id, timestamp, nonce, data)},
                          {"dataEncrypt", data},
                          {"timestamp", now_ms},
                          {"nonce", nonce}}
        .dump();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    avpost::fuzz::quiet_logs();
    const std::string_view input = avpost::fuzz::as_text(data, size);
    // One verifier per input: what one input was accepted with must not decide the next.
    WebhookVerifier verifier(credentials);
    verifier.set_clock([] { return now_ms; });
    try {
        verifier.verify(input);
    } catch (const avpost::Error&) {
    }
    try {
        verifier.verify(signed_body(input));
    } catch (const avpost::Error&) {
    }
    try {
        webhook_decrypt(input, credentials);
    } catch (const avpost::Error&) {
    }
    return 0;
}
