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
        "# team tokens\n\nreader-0123456789abcdef\r\nreader-2-0123456789abc read\n  submitter-0123456789abcd   submit  \n",
        "tokens");
    ASSERT_EQ(tokens.tokens().size(), 3u);
    EXPECT_EQ(tokens.find("reader-0123456789abcdef")->scope, TokenScope::read);
    EXPECT_EQ(tokens.find("reader-2-0123456789abc")->scope, TokenScope::read);
    EXPECT_EQ(tokens.find("submitter-0123456789abcd")->scope, TokenScope::submit);
    EXPECT_FALSE(tokens.find("submitter-0123456789abc"));   // a prefix
    EXPECT_FALSE(tokens.find("submitter-0123456789abcde"));  // longer
    EXPECT_FALSE(tokens.find(""));
    // The id names a token without being it, and differs between tokens.
    const std::string id = tokens.find("reader-0123456789abcdef")->id;
    EXPECT_EQ(id.size(), 12u);
    EXPECT_NE(id, tokens.find("submitter-0123456789abcd")->id);
    EXPECT_EQ(std::string("reader-0123456789abcdef").find(id), std::string::npos);
    // Registered as secrets: never printed.
    EXPECT_EQ(net::redact_text("token submitter-0123456789abcd"), "token REDACTED");
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
    const std::string scope = refusal("\nlong-enough-token-0123 admin\n");
    EXPECT_NE(scope.find("tokens:2: the scope is read or submit"), std::string::npos) << scope;
    EXPECT_EQ(scope.find("long-enough-token-0123"), std::string::npos) << scope;
    EXPECT_NE(refusal("long-enough-token-0123 read submit\n").find("tokens:1:"), std::string::npos);
}

TEST(AccessTokens, TheGalleryTakesAnyTokenOfTheFile) {
    const GalleryAccess access(AccessTokens::parse("gallery-reader-0123456789\ngallery-submitter-0123456789 submit\n", "t"));
    for (const std::string token : {"gallery-reader-0123456789", "gallery-submitter-0123456789"}) {
        httplib::Request req;
        req.remote_addr = "203.0.113.9";
        req.set_header("Authorization", "Bearer " + token);
        EXPECT_EQ(access.check(req).verdict, GalleryAccess::Verdict::allowed) << token;
    }
    httplib::Request wrong;
    wrong.remote_addr = "127.0.0.1";
    wrong.set_header("Host", "127.0.0.1:8080");
    wrong.set_header("Authorization", "Bearer gallery-reader-012345678");
    EXPECT_EQ(access.check(wrong).verdict, GalleryAccess::Verdict::denied);
}
