// Standard Webhooks signing (net/standard_webhooks.hpp): the specification's published test vector,
// and signatures checked by an independent implementation, the npm `standardwebhooks` package
// (scripts/setup.sh installs it into the build tree's npm/), which must also refuse a forgery.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "avpost/core/error.hpp"
#include "avpost/net/redact.hpp"
#include "avpost/net/standard_webhooks.hpp"
#include "../archive/archive_test_support.hpp"

using namespace avpost;
namespace sw = avpost::net::standard_webhooks;
namespace fs = std::filesystem;

namespace {

// A published test vector, not a credential: the Standard Webhooks reference libraries' tests (and
// Svix's) use it, and the npm package reproduces it:
// `new Webhook(secret).sign(id, new Date(1614265330000), payload)`.
constexpr const char* spec_secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr const char* spec_id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
constexpr std::int64_t spec_timestamp = 1614265330;
constexpr const char* spec_payload = R"({"test": 2432232314})";
constexpr const char* spec_signature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

// Runs the npm library's verify on a message; its exit status is 0 only when it verified.
avpost::test::CommandResult npm_verify(const std::string& secret, const std::string& id, std::int64_t timestamp,
                                  const std::string& signature, const std::string& body) {
    const fs::path dir = fs::temp_directory_path() / ("avpost-sw-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    std::ofstream(dir / "body.json", std::ios::binary) << body;
    const std::string script =
        "const {Webhook} = require(process.argv[1]); const fs = require('fs');"
        "const payload = fs.readFileSync(process.argv[2], 'utf8');"
        "new Webhook(process.argv[3]).verify(payload, {'webhook-id': process.argv[4],"
        " 'webhook-timestamp': process.argv[5], 'webhook-signature': process.argv[6]});"
        "console.log('verified');";
    return avpost::test::run(std::string(NODE_EXECUTABLE) + " -e " + avpost::test::shell_quote(script) + " " +
                                avpost::test::shell_quote(AVPOST_STANDARDWEBHOOKS_JS) + " " + avpost::test::shell_quote((dir / "body.json").string()) +
                                " " + avpost::test::shell_quote(secret) + " " + avpost::test::shell_quote(id) + " " +
                                std::to_string(timestamp) + " " + avpost::test::shell_quote(signature));
}

}  // namespace

TEST(StandardWebhooks, SignsTheSpecificationsTestVector) {
    const sw::WebhookSecret secret = sw::WebhookSecret::parse(spec_secret);
    EXPECT_EQ(sw::sign(secret, spec_id, spec_timestamp, spec_payload), spec_signature);
    EXPECT_TRUE(sw::verify(secret, spec_id, std::to_string(spec_timestamp), spec_signature, spec_payload, spec_timestamp));
}

TEST(StandardWebhooks, VerifiesInTimeAndAnyOfSeveralSignaturesButNothingAltered) {
    const sw::WebhookSecret secret = sw::WebhookSecret::parse(spec_secret);
    const std::string ts = std::to_string(spec_timestamp);
    EXPECT_TRUE(sw::verify(secret, spec_id, ts, "v1,bm90IGl0 " + std::string(spec_signature), spec_payload, spec_timestamp))
        << "one of several (a rotated secret's) matches";
    EXPECT_FALSE(sw::verify(secret, spec_id, ts, spec_signature, R"({"test": 2432232315})", spec_timestamp));
    EXPECT_FALSE(sw::verify(secret, "msg_other", ts, spec_signature, spec_payload, spec_timestamp));
    EXPECT_FALSE(sw::verify(secret, spec_id, std::to_string(spec_timestamp + 1), spec_signature, spec_payload, spec_timestamp));
    EXPECT_FALSE(sw::verify(secret, spec_id, ts, "v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", spec_payload, spec_timestamp));
    EXPECT_FALSE(sw::verify(sw::WebhookSecret::parse("whsec_c2Vjb25kIHNlY3JldA=="), spec_id, ts, spec_signature,
                            spec_payload, spec_timestamp));
    // The tolerance: five minutes either way.
    EXPECT_TRUE(sw::verify(secret, spec_id, ts, spec_signature, spec_payload, spec_timestamp + 300));
    EXPECT_FALSE(sw::verify(secret, spec_id, ts, spec_signature, spec_payload, spec_timestamp + 301));
    EXPECT_FALSE(sw::verify(secret, spec_id, ts, spec_signature, spec_payload, spec_timestamp - 301));
    EXPECT_FALSE(sw::verify(secret, spec_id, "16142653x0", spec_signature, spec_payload, spec_timestamp));
}

TEST(StandardWebhooks, RefusesSecretsThatAreNotWhsecBase64WithoutPrintingThem) {
    for (const char* bad : {"MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_", "whsec_not*base64!", "whsec-MfKQ9r8GKYqrTwjU"}) {
        try {
            sw::WebhookSecret::parse(bad);
            ADD_FAILURE() << "accepted " << bad;
        } catch (const Error& e) {
            EXPECT_EQ(e.domain(), ErrorDomain::usage);
            if (std::string(bad).size() > 8) EXPECT_EQ(std::string(e.what()).find(bad), std::string::npos) << e.what();
        }
    }
    sw::WebhookSecret::parse("  whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n");  // a file's line, newline and all
    EXPECT_EQ(net::redact_text("secret MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw here"), "secret REDACTED here")
        << "parsing registered it";
}

TEST(StandardWebhooks, ReadsTheSecretFileLine) {
    const fs::path file = fs::temp_directory_path() / ("avpost-sw-secret-" + std::to_string(::getpid()));
    std::ofstream(file) << spec_secret << "\n";
    EXPECT_EQ(sw::read_webhook_secret_file(file), spec_secret);
    std::ofstream(file) << "not a secret\n";
    EXPECT_THROW(sw::read_webhook_secret_file(file), Error);
    fs::remove(file);
    EXPECT_THROW(sw::read_webhook_secret_file(file), Error);
}

// The independent implementation accepts what avpost signs, and refuses a forgery: this check of
// the receiver's side is what the end-to-end test relies on.
TEST(StandardWebhooks, TheNpmLibraryVerifiesOurSignaturesAndRefusesForgedOnes) {
    const std::string secret = "whsec_" + std::string("dGVzdCBzZWNyZXQgZm9yIGF2cG9zdCB3ZWJob29rcw==");
    const std::string body = R"({"type":"job.succeeded","timestamp":"2026-12-07T06:00:00Z","data":{"name":"Ana Ñúñez 日本"}})";
    const std::int64_t now = std::int64_t(std::time(nullptr));
    const std::string signature = sw::sign(sw::WebhookSecret::parse(secret), "msg_abc123", now, body);
    avpost::test::CommandResult ok = npm_verify(secret, "msg_abc123", now, signature, body);
    EXPECT_EQ(ok.exit_code, 0) << ok.err;
    EXPECT_EQ(ok.out, "verified\n");

    avpost::test::CommandResult forged = npm_verify(secret, "msg_abc123", now, "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", body);
    EXPECT_NE(forged.exit_code, 0);
    EXPECT_NE(forged.err.find("No matching signature"), std::string::npos) << forged.err;
    avpost::test::CommandResult other_body = npm_verify(secret, "msg_abc123", now, signature, body + " ");
    EXPECT_NE(other_body.exit_code, 0);
    avpost::test::CommandResult stale = npm_verify(secret, "msg_abc123", now - 600,
                                              sw::sign(sw::WebhookSecret::parse(secret), "msg_abc123", now - 600, body), body);
    EXPECT_NE(stale.exit_code, 0) << "outside the tolerance";
}
