// The token file of `avpost serve`: scopes, comments, refusals that never quote a token, and
// lookups; the gallery takes any token of it.
#include <gtest/gtest.h>
#include <httplib.h>

#include "avpost/archive/access_tokens.hpp"
#include "avpost/archive/gallery_access.hpp"
#include "avpost/core/error.hpp"
#include "avpost/net/redact.hpp"

using namespace avpost;
using namespace avpost::archive;

TEST(AccessTokens, ReadsScopesCommentsAndBlankLines) {
    const AccessTokens tokens = AccessTokens::parse(
        "# team tokens\n\nfake-reader-token-xxxx\r\nfake-reader-two-token read\n  fake-submit-token-xxxx   submit  \n",
        "tokens");
    ASSERT_EQ(tokens.tokens().size(), 3u);
    EXPECT_EQ(tokens.find("fake-reader-token-xxxx")->scope, TokenScope::read);
    EXPECT_EQ(tokens.find("fake-reader-two-token")->scope, TokenScope::read);
    EXPECT_EQ(tokens.find("fake-submit-token-xxxx")->scope, TokenScope::submit);
    EXPECT_FALSE(tokens.find("fake-submit-token-xxx"));   // a prefix
    EXPECT_FALSE(tokens.find("fake-submit-token-xxxxx"));  // longer
    EXPECT_FALSE(tokens.find(""));
    // The id names a token without being it, and differs between tokens.
    const std::string id = tokens.find("fake-reader-token-xxxx")->id;
    EXPECT_EQ(id.size(), 12u);
    EXPECT_NE(id, tokens.find("fake-submit-token-xxxx")->id);
    EXPECT_EQ(std::string("fake-reader-token-xxxx").find(id), std::string::npos);
    // Registered as secrets: never printed.
    EXPECT_EQ(net::redact_text("token fake-submit-token-xxxx"), "token REDACTED");
}

TEST(AccessTokens, RefusesShortTokensUnknownScopesAndExtraWordsWithoutQuotingTheLine) {
    auto refusal = [](const std::string& text) -> std::string {
        try {
            AccessTokens::parse(text, "tokens");
        } catch (const Error& e) {
            EXPECT_EQ(e.domain(), ErrorDomain::usage);
            return e.what();
        }
        return "(accepted)";
    };
    EXPECT_NE(refusal("short submit\n").find("tokens:1: a token must be at least 16 characters"), std::string::npos);
    const std::string scope = refusal("\nfake-long-enough-token admin\n");
    EXPECT_NE(scope.find("tokens:2: the scope is read or submit"), std::string::npos) << scope;
    EXPECT_EQ(scope.find("fake-long-enough-token"), std::string::npos) << scope;
    EXPECT_NE(refusal("fake-long-enough-token read submit\n").find("tokens:1:"), std::string::npos);
}

TEST(AccessTokens, TheGalleryTakesAnyTokenOfTheFile) {
    const GalleryAccess access(AccessTokens::parse("fake-gallery-read-token\nfake-gallery-submit-token submit\n", "t"));
    for (const std::string token : {"fake-gallery-read-token", "fake-gallery-submit-token"}) {
        httplib::Request req;
        req.remote_addr = "203.0.113.9";
        req.set_header("Authorization", "Bearer " + token);
        EXPECT_EQ(access.check(req).verdict, GalleryAccess::Verdict::allowed) << token;
    }
    httplib::Request wrong;
    wrong.remote_addr = "127.0.0.1";
    wrong.set_header("Host", "127.0.0.1:8080");
    wrong.set_header("Authorization", "Bearer fake-gallery-read-toke");
    EXPECT_EQ(access.check(wrong).verdict, GalleryAccess::Verdict::denied);
}
