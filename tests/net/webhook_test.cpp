// Akool webhook crypto checked against the openssl command line in both directions, and the
// verifier's rejections: forged signature, wrong key, bad padding, stale timestamp, replay.
#include <gtest/gtest.h>

#include "avpost/net/akool_webhook.hpp"
#include "avpost/net/crypto.hpp"
#include "avpost/net/service_error.hpp"
#include "net_test_support.hpp"

using namespace avpost::net;
using namespace avpost::net::akool;
using avpost::test::run;

namespace {

const std::string kOpenssl = OPENSSL_EXECUTABLE;

// Made-up test credentials: a 24-byte secret (AES-192) and a client id of 16+ bytes.
const WebhookCredentials kCreds{"test-client-id-0042", "0123456789abcdefTESTKEY!"};

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string openssl_enc_args(const WebhookCredentials& c) {
    std::string cipher = c.client_secret.size() == 16 ? "-aes-128-cbc" : c.client_secret.size() == 24 ? "-aes-192-cbc" : "-aes-256-cbc";
    return cipher + " -K " + crypto::hex_encode(c.client_secret) + " -iv " + crypto::hex_encode(c.client_id.substr(0, 16));
}

std::string trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    return s;
}

}  // namespace

TEST(NetWebhookCrypto, OurCiphertextDecryptsWithOpenssl) {
    for (std::string secret : {std::string("0123456789abcdef"), kCreds.client_secret, std::string(32, 'k')}) {
        WebhookCredentials c{kCreds.client_id, secret};
        std::string payload = R"({"_id":"64dd92c1f0b6684651e90e09","status":3,"type":"avatar","url":"https://x.test/v.mp4"})";
        std::string b64 = webhook_encrypt(payload, c);
        auto r = run(kOpenssl + " enc -d " + openssl_enc_args(c) + " -a -A", b64);
        ASSERT_EQ(r.exit_code, 0) << r.err;
        EXPECT_EQ(r.out, payload) << "key length " << secret.size();
    }
}

TEST(NetWebhookCrypto, OpensslCiphertextDecryptsWithOurs) {
    std::string payload = R"({"_id":"abc","status":4,"type":"avatar"})";
    auto r = run(kOpenssl + " enc -e " + openssl_enc_args(kCreds) + " -a -A", payload);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(webhook_decrypt(trim(r.out), kCreds), payload);
}

TEST(NetWebhookCrypto, SignatureMatchesOpensslSha1OfSortedValues) {
    std::string ts = "1710757981609", nonce = "1529", data = "U2FtcGxlRGF0YQ==";
    std::vector<std::string> parts = {kCreds.client_id, ts, nonce, data};
    std::sort(parts.begin(), parts.end());
    std::string joined;
    for (auto& p : parts) joined += p;
    auto r = run(kOpenssl + " dgst -sha1 -r", joined);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(webhook_signature(kCreds.client_id, ts, nonce, data), r.out.substr(0, 40));
}

TEST(NetWebhookVerifier, AcceptsAGenuineCallbackAndDecodesIt) {
    WebhookVerifier v(kCreds);
    nlohmann::json body = make_webhook_body({{"_id", "job1"}, {"status", 3}, {"type", "avatar"}, {"url", "https://x.test/a.mp4"}},
                                            kCreds, now_ms(), "1529");
    WebhookEvent e = v.verify(body.dump());
    EXPECT_EQ(e.id, "job1");
    EXPECT_EQ(e.status, 3);
    EXPECT_EQ(e.type, "avatar");
    EXPECT_EQ(e.url, "https://x.test/a.mp4");
    EXPECT_FALSE(e.repeat);
}

TEST(NetWebhookVerifier, AcceptsNumericNonceAndOpensslMadeCiphertext) {
    std::string payload = R"({"_id":"job9","status":2,"type":"avatar"})";
    auto r = run(kOpenssl + " enc -e " + openssl_enc_args(kCreds) + " -a -A", payload);
    ASSERT_EQ(r.exit_code, 0);
    std::string data = trim(r.out);
    std::int64_t ts = now_ms();
    nlohmann::json body = {{"signature", webhook_signature(kCreds.client_id, std::to_string(ts), "77", data)},
                           {"dataEncrypt", data}, {"timestamp", ts}, {"nonce", 77}};
    WebhookVerifier v(kCreds);
    EXPECT_EQ(v.verify(body.dump()).id, "job9");
}

static void expect_rejected(WebhookVerifier& v, const std::string& body, const std::string& why) {
    try {
        v.verify(body);
        ADD_FAILURE() << "accepted: " << why;
    } catch (const ServiceError& e) {
        EXPECT_EQ(e.kind(), ServiceErrorKind::webhook_rejected) << why;
    }
}

TEST(NetWebhookVerifier, RejectsForgedSignature) {
    WebhookVerifier v(kCreds);
    nlohmann::json body = make_webhook_body({{"_id", "job1"}, {"status", 3}}, kCreds, now_ms(), "1");
    std::string sig = body["signature"];
    sig[0] = sig[0] == 'a' ? 'b' : 'a';
    body["signature"] = sig;
    expect_rejected(v, body.dump(), "flipped signature");
    // Tampered ciphertext with the old signature.
    nlohmann::json body2 = make_webhook_body({{"_id", "job1"}, {"status", 3}}, kCreds, now_ms(), "1");
    body2["dataEncrypt"] = webhook_encrypt(R"({"_id":"job1","status":4})", kCreds);
    expect_rejected(v, body2.dump(), "swapped payload");
}

TEST(NetWebhookVerifier, RejectsWrongKey) {
    WebhookCredentials other{kCreds.client_id, "ANOTHERkey-24-bytes-long"};
    // The signature does not involve the secret, so this one verifies; decryption must fail.
    nlohmann::json body = make_webhook_body({{"_id", "job1"}, {"status", 3}}, other, now_ms(), "1");
    WebhookVerifier v(kCreds);
    expect_rejected(v, body.dump(), "encrypted with another key");
}

TEST(NetWebhookVerifier, RejectsBadPadding) {
    // One block whose last byte is 0x00: not valid PKCS#7 after decryption.
    std::string block(16, 'A');
    block[15] = '\0';
    auto r = run(kOpenssl + " enc -e -nopad " + openssl_enc_args(kCreds) + " -a -A", block);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::string data = trim(r.out);
    std::int64_t ts = now_ms();
    nlohmann::json body = {{"signature", webhook_signature(kCreds.client_id, std::to_string(ts), "5", data)},
                           {"dataEncrypt", data}, {"timestamp", ts}, {"nonce", "5"}};
    WebhookVerifier v(kCreds);
    expect_rejected(v, body.dump(), "bad padding");
    EXPECT_THROW(crypto::aes_cbc_decrypt(crypto::base64_decode(data), kCreds.client_secret, kCreds.client_id.substr(0, 16)),
                 avpost::Error);
}

TEST(NetWebhookVerifier, RejectsStaleAndFutureTimestamps) {
    WebhookVerifier v(kCreds);
    auto old_body = make_webhook_body({{"_id", "job1"}, {"status", 3}}, kCreds, now_ms() - 10 * 60 * 1000, "1");
    expect_rejected(v, old_body.dump(), "ten minutes old");
    auto future_body = make_webhook_body({{"_id", "job1"}, {"status", 3}}, kCreds, now_ms() + 10 * 60 * 1000, "1");
    expect_rejected(v, future_body.dump(), "ten minutes ahead");
}

TEST(NetWebhookVerifier, RejectsMalformedBodies) {
    WebhookVerifier v(kCreds);
    expect_rejected(v, "not json", "not JSON");
    expect_rejected(v, "[]", "array");
    expect_rejected(v, R"({"signature":"x","dataEncrypt":"y","timestamp":1})", "no nonce");
    std::int64_t ts = now_ms();
    std::string data = "!!!notbase64";
    nlohmann::json body = {{"signature", webhook_signature(kCreds.client_id, std::to_string(ts), "1", data)},
                           {"dataEncrypt", data}, {"timestamp", ts}, {"nonce", "1"}};
    expect_rejected(v, body.dump(), "not base64");
    std::string not_json = webhook_encrypt("plain text", kCreds);
    nlohmann::json body2 = {{"signature", webhook_signature(kCreds.client_id, std::to_string(ts), "1", not_json)},
                            {"dataEncrypt", not_json}, {"timestamp", ts}, {"nonce", "1"}};
    expect_rejected(v, body2.dump(), "payload not JSON");
}

TEST(NetWebhookVerifier, ReportsRedeliveryAsRepeat) {
    WebhookVerifier v(kCreds);
    auto body = make_webhook_body({{"_id", "job1"}, {"status", 3}, {"url", "u"}}, kCreds, now_ms(), "1");
    EXPECT_FALSE(v.verify(body.dump()).repeat);
    EXPECT_TRUE(v.verify(body.dump()).repeat) << "the same delivery replayed";
    // Akool re-signs a retry: new nonce and timestamp, same event.
    auto resent = make_webhook_body({{"_id", "job1"}, {"status", 3}, {"url", "u"}}, kCreds, now_ms() + 1, "2");
    EXPECT_TRUE(v.verify(resent.dump()).repeat);
    // A new status of the same job is news.
    auto next = make_webhook_body({{"_id", "job2"}, {"status", 2}}, kCreds, now_ms(), "3");
    EXPECT_FALSE(v.verify(next.dump()).repeat);
}

TEST(NetCrypto, Base64RoundTripAndRejectsGarbage) {
    for (std::string s : {std::string(""), std::string("a"), std::string("ab"), std::string("abc"), std::string("\x00\xff\x10", 3)}) {
        if (s.empty()) continue;
        EXPECT_EQ(crypto::base64_decode(crypto::base64_encode(s)), s);
    }
    EXPECT_THROW(crypto::base64_decode("abc"), ServiceError);
    EXPECT_THROW(crypto::base64_decode("ab$="), ServiceError);
}

// nlohmann parses any depth, but copying or dumping a deep document recurses once per level: a
// signed payload nested a million deep overflowed the stack (SIGSEGV) when the event kept it
// (and from 100k levels on when it was dumped). The outer body is checked too, before its
// signature.
TEST(NetWebhookVerifier, RejectsDeeplyNestedBodiesAndPayloads) {
    WebhookVerifier v(kCreds);
    const std::string deep = std::string(1000000, '[') + std::string(1000000, ']');
    expect_rejected(v, R"({"signature":"x","dataEncrypt":"y","timestamp":1,"nonce":"1","extra":)" + deep + "}",
                    "deep body");
    const std::int64_t ts = now_ms();
    const std::string data =
        webhook_encrypt(R"({"_id":"job1","status":3,"type":"avatar","url":"https://x.test/v.mp4","extra":)" + deep + "}",
                        kCreds);
    nlohmann::json body = {{"signature", webhook_signature(kCreds.client_id, std::to_string(ts), "1", data)},
                           {"dataEncrypt", data}, {"timestamp", ts}, {"nonce", "1"}};
    try {
        v.verify(body.dump());
        ADD_FAILURE() << "accepted a payload nested 1000000 deep";
    } catch (const ServiceError& e) {
        EXPECT_EQ(e.kind(), ServiceErrorKind::webhook_rejected);
        EXPECT_NE(std::string(e.what()).find("nests deeper than 64 levels"), std::string::npos) << e.what();
    }
    // 64 levels are fine.
    const std::string ok_data = webhook_encrypt(
        R"({"_id":"job2","status":3,"extra":)" + std::string(63, '[') + std::string(63, ']') + "}", kCreds);
    nlohmann::json ok_body = {{"signature", webhook_signature(kCreds.client_id, std::to_string(ts), "2", ok_data)},
                              {"dataEncrypt", ok_data}, {"timestamp", ts}, {"nonce", "2"}};
    EXPECT_EQ(v.verify(ok_body.dump()).id, "job2");
}
