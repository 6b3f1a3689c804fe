#pragma once
// Who may see the gallery. With tokens configured (AccessTokens; any scope reads): a request
// carrying one as "Authorization: Bearer TOKEN", or the session cookie set when one was given
// once as "?token=".
// Without one: only clients on a loopback address that also name a loopback host (so a web page
// that points its own host name at 127.0.0.1 cannot read the archive). Tokens are compared
// through their SHA-256 in constant time; the cookie holds an HMAC of the tokens, never a token.
#include <httplib.h>

#include <string>
#include <string_view>

#include "avpost/archive/access_tokens.hpp"

namespace avpost::archive {

inline constexpr std::string_view gallery_cookie_name = "avpost_gallery";

class GalleryAccess {
public:
    explicit GalleryAccess(std::string token);  // empty: loopback only
    explicit GalleryAccess(AccessTokens tokens);  // none: loopback only

    enum class Verdict {
        allowed,
        token_in_query,  // allowed: set the cookie and send the browser on without the token
        denied,
    };
    struct Decision {
        Verdict verdict = Verdict::denied;
        std::string reason;  // for the 401 page; never holds a secret
    };
    Decision check(const httplib::Request& request) const;

    // "avpost_gallery=HMAC; Path=/; HttpOnly; SameSite=Strict"
    std::string session_cookie() const;
    bool token_required() const { return !tokens_.empty(); }

private:
    bool matches_token(std::string_view candidate) const;
    bool matches_session(std::string_view candidate) const;
    AccessTokens tokens_;
    std::string session_;  // hex HMAC the cookie carries
};

bool is_loopback_address(std::string_view address);
// Whether a request without a token may pass: from a loopback address, naming a loopback Host.
// Empty when it may, else why not.
std::string loopback_refusal(const httplib::Request& request);
// "127.0.0.1:8080", "localhost", "[::1]:80": a Host header naming this machine.
bool is_loopback_host(std::string_view host_header);

}  // namespace avpost::archive
