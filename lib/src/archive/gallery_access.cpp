#include "avpost/archive/gallery_access.hpp"

#include <openssl/crypto.h>

#include "avpost/core/sha256.hpp"

namespace avpost::archive {
namespace {

bool equal_in_constant_time(std::string_view a, std::string_view b) {
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// The value of one cookie in a Cookie header ("a=1; avpost_gallery=..; b=2").
std::string cookie_value(const std::string& header, std::string_view name) {
    std::string_view rest = header;
    while (!rest.empty()) {
        auto end = rest.find(';');
        std::string_view pair = rest.substr(0, end);
        rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
        while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
        auto eq = pair.find('=');
        if (eq != std::string_view::npos && pair.substr(0, eq) == name) return std::string(pair.substr(eq + 1));
    }
    return {};
}

}  // namespace

namespace {
AccessTokens one_token(std::string token) {
    AccessTokens tokens;
    if (!token.empty()) tokens.add(token, TokenScope::read);
    return tokens;
}
}  // namespace

GalleryAccess::GalleryAccess(std::string token) : GalleryAccess(one_token(std::move(token))) {}

GalleryAccess::GalleryAccess(AccessTokens tokens) : tokens_(std::move(tokens)) {
    if (tokens_.empty()) return;
    // Keyed by every token's digest: the cookie changes when the token file does.
    std::string key;
    for (const AccessToken& t : tokens_.tokens()) key += t.digest;
    session_ = to_hex(hmac_sha256(key, "avpost gallery session"));
}

bool GalleryAccess::matches_token(std::string_view candidate) const { return tokens_.find(candidate).has_value(); }

bool GalleryAccess::matches_session(std::string_view candidate) const {
    return equal_in_constant_time(candidate, session_);
}

GalleryAccess::Decision GalleryAccess::check(const httplib::Request& req) const {
    if (!token_required()) {
        if (std::string why = loopback_refusal(req); !why.empty()) return {Verdict::denied, why};
        return {Verdict::allowed, {}};
    }
    const std::string authorization = req.get_header_value("Authorization");
    constexpr std::string_view bearer = "Bearer ";
    if (authorization.starts_with(bearer)) {
        if (matches_token(std::string_view(authorization).substr(bearer.size()))) return {Verdict::allowed, {}};
        return {Verdict::denied, "the access token is not right"};
    }
    if (req.has_param("token")) {
        if (matches_token(req.get_param_value("token"))) return {Verdict::token_in_query, {}};
        return {Verdict::denied, "the access token is not right"};
    }
    std::string session = cookie_value(req.get_header_value("Cookie"), gallery_cookie_name);
    if (!session.empty() && matches_session(session)) return {Verdict::allowed, {}};
    return {Verdict::denied, "open the gallery with ?token=TOKEN once, or send Authorization: Bearer TOKEN"};
}

std::string GalleryAccess::session_cookie() const {
    return std::string(gallery_cookie_name) + "=" + session_ + "; Path=/; HttpOnly; SameSite=Strict";
}

std::string loopback_refusal(const httplib::Request& req) {
    if (!is_loopback_address(req.remote_addr))
        return "this server answers loopback clients only (it has no access token)";
    if (!is_loopback_host(req.get_header_value("Host")))
        return "this server answers requests for 127.0.0.1 or localhost only (it has no access token)";
    return {};
}

bool is_loopback_address(std::string_view a) {
    if (a.starts_with("::ffff:")) a.remove_prefix(7);
    return a.starts_with("127.") || a == "::1";
}

bool is_loopback_host(std::string_view h) {
    std::string_view host = h;
    if (host.starts_with("[")) {
        host = host.substr(0, host.find(']') == std::string_view::npos ? host.size() : host.find(']') + 1);
    } else if (auto colon = host.rfind(':'); colon != std::string_view::npos) {
        host = host.substr(0, colon);
    }
    return host == "localhost" || host == "[::1]" || (host.starts_with("127.") && host.find_first_not_of("0123456789.") == std::string_view::npos);
}

}  // namespace avpost::archive
