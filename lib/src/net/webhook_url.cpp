#include "avpost/net/webhook_url.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>
#include <memory>

#include <curl/curl.h>

#include "avpost/archive/catalog.hpp"
#include "avpost/core/error.hpp"
#include "avpost/net/curl_handles.hpp"

namespace avpost::net {

namespace {

struct CurlUrlDeleter {
    void operator()(CURLU* u) const { curl_url_cleanup(u); }
};
struct CurlStringDeleter {
    void operator()(char* s) const { curl_free(s); }
};
struct AddrinfoDeleter {
    void operator()(addrinfo* a) const { freeaddrinfo(a); }
};

// One part of a parsed URL, or empty when it has none.
std::string url_part(CURLU* u, CURLUPart part, unsigned flags = 0) {
    char* raw = nullptr;
    if (curl_url_get(u, part, &raw, flags) != CURLUE_OK) return {};
    std::unique_ptr<char, CurlStringDeleter> owned(raw);
    return raw ? std::string(raw) : std::string();
}

struct ParsedUrl {
    std::string scheme, host;
    int port = 0;
};

// Parsed the way curl will read it when it connects (the same parser: no differential).
std::optional<ParsedUrl> parse(std::string_view url, std::string& problem) {
    ensure_curl_global_init();
    std::unique_ptr<CURLU, CurlUrlDeleter> u(curl_url());
    if (!u) {
        problem = "out of memory";
        return std::nullopt;
    }
    const std::string text(url);
    if (curl_url_set(u.get(), CURLUPART_URL, text.c_str(), 0) != CURLUE_OK) {
        problem = "not a URL with a scheme and a host";
        return std::nullopt;
    }
    ParsedUrl p;
    p.scheme = url_part(u.get(), CURLUPART_SCHEME);
    if (p.scheme != "http" && p.scheme != "https") {
        problem = "only http and https URLs are allowed";
        return std::nullopt;
    }
    if (!url_part(u.get(), CURLUPART_USER).empty() || !url_part(u.get(), CURLUPART_PASSWORD).empty() ||
        text.substr(0, text.find_first_of("/?#", text.find("://") + 3)).find('@') != std::string::npos) {
        problem = "user info (user:password@) is not allowed in the URL";
        return std::nullopt;
    }
    p.host = url_part(u.get(), CURLUPART_HOST);
    // curl reads "https:///x" as host "x": a URL whose written authority is empty has no host.
    const auto authority = text.find("://");
    if (p.host.empty() || authority == std::string::npos || authority + 3 >= text.size() ||
        std::string_view("/?#").find(text[authority + 3]) != std::string_view::npos) {
        problem = "the URL has no host";
        return std::nullopt;
    }
    if (p.host.front() == '[' && p.host.back() == ']') p.host = p.host.substr(1, p.host.size() - 2);
    const std::string port = url_part(u.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT);
    p.port = port.empty() ? 0 : std::atoi(port.c_str());
    if (p.port <= 0 || p.port > 65535) {
        problem = "the URL's port is not valid";
        return std::nullopt;
    }
    return p;
}

bool private_v4(std::uint32_t a) {  // host byte order
    auto in = [a](std::uint32_t net, int bits) { return (a >> (32 - bits)) == (net >> (32 - bits)); };
    return in(0x00000000, 8)        // 0.0.0.0/8 "this network"
           || in(0x0A000000, 8)     // 10/8
           || in(0x64400000, 10)    // 100.64/10 CGNAT
           || in(0x7F000000, 8)     // 127/8 loopback
           || in(0xA9FE0000, 16)    // 169.254/16 link-local (cloud metadata)
           || in(0xAC100000, 12)    // 172.16/12
           || in(0xC0000000, 24)    // 192.0.0/24 protocol assignments
           || in(0xC0A80000, 16)    // 192.168/16
           || in(0xC6120000, 15)    // 198.18/15 benchmarking
           || in(0xE0000000, 4)     // 224/4 multicast
           || in(0xF0000000, 4);    // 240/4 reserved, broadcast
}

bool private_v6(const unsigned char* b) {
    static const unsigned char zero[16] = {};
    if (std::memcmp(b, zero, 15) == 0 && (b[15] == 0 || b[15] == 1)) return true;  // :: and ::1
    const bool mapped = std::memcmp(b, zero, 10) == 0 && b[10] == 0xff && b[11] == 0xff;  // ::ffff:a.b.c.d
    const bool compatible = std::memcmp(b, zero, 12) == 0;                             // ::a.b.c.d
    static const unsigned char nat64[12] = {0x00, 0x64, 0xff, 0x9b};                    // 64:ff9b::/96
    if (mapped || compatible || std::memcmp(b, nat64, 12) == 0)
        return private_v4(std::uint32_t(b[12]) << 24 | std::uint32_t(b[13]) << 16 | std::uint32_t(b[14]) << 8 | b[15]);
    if ((b[0] & 0xfe) == 0xfc) return true;                      // fc00::/7 unique local
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return true;      // fe80::/10 link-local
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) return true;      // fec0::/10 site-local (deprecated)
    if (b[0] == 0xff) return true;                               // ff00::/8 multicast
    return false;
}

std::string numeric(const sockaddr* a) {
    char buf[INET6_ADDRSTRLEN] = {};
    if (a->sa_family == AF_INET)
        inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(a)->sin_addr, buf, sizeof buf);
    else if (a->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(a)->sin6_addr, buf, sizeof buf);
    return buf;
}

constexpr const char* private_rule =
    "is a loopback, private, link-local or reserved address (allowed only with --allow-private-webhooks)";

}  // namespace

bool is_private_address(const sockaddr* a) {
    if (a->sa_family == AF_INET)
        return private_v4(ntohl(reinterpret_cast<const sockaddr_in*>(a)->sin_addr.s_addr));
    if (a->sa_family == AF_INET6) return private_v6(reinterpret_cast<const sockaddr_in6*>(a)->sin6_addr.s6_addr);
    return true;  // no other family is a webhook target
}

bool is_private_address_literal(std::string_view address) {
    if (address.size() >= 2 && address.front() == '[' && address.back() == ']')
        address = address.substr(1, address.size() - 2);
    const std::string text(address);
    sockaddr_in v4{};
    v4.sin_family = AF_INET;
    if (inet_pton(AF_INET, text.c_str(), &v4.sin_addr) == 1) return is_private_address(reinterpret_cast<sockaddr*>(&v4));
    sockaddr_in6 v6{};
    v6.sin6_family = AF_INET6;
    if (inet_pton(AF_INET6, text.c_str(), &v6.sin6_addr) == 1) return is_private_address(reinterpret_cast<sockaddr*>(&v6));
    return false;
}

namespace {
// The URL's form and, for a host written as an address, that address.
std::optional<ParsedUrl> checked_form(std::string_view url, bool allow_private, std::string& problem) {
    std::optional<ParsedUrl> p = parse(url, problem);
    if (p && !allow_private && is_private_address_literal(p->host)) {
        problem = "its host " + p->host + " " + private_rule;
        return std::nullopt;
    }
    return p;
}
}  // namespace

std::optional<std::string> webhook_url_problem(std::string_view url, bool allow_private) {
    std::string problem;
    std::optional<ParsedUrl> p = checked_form(url, allow_private, problem);
    if (!p) return problem;
    // Names are judged by their addresses at delivery; these ones are loopback by definition
    // (RFC 6761), so a job naming them is told at once.
    std::string host = p->host;
    if (host.ends_with('.')) host.pop_back();
    if (!allow_private && (host == "localhost" || host.ends_with(".localhost")))
        return "its host " + p->host + " is loopback (allowed only with --allow-private-webhooks)";
    return std::nullopt;
}

std::string WebhookTarget::curl_resolve_entry() const {
    const bool v6 = address.find(':') != std::string::npos;
    return host + ":" + std::to_string(port) + ":" + (v6 ? "[" + address + "]" : address);
}

WebhookTarget resolve_webhook_target(std::string_view url, bool allow_private) {
    const std::string shown = archive::redact_url(url);
    std::string problem;
    std::optional<ParsedUrl> parsed = checked_form(url, allow_private, problem);
    if (!parsed) throw_input("webhook URL " + shown, problem);
    const ParsedUrl& p = *parsed;
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* raw = nullptr;
    const int rc = getaddrinfo(p.host.c_str(), std::to_string(p.port).c_str(), &hints, &raw);
    std::unique_ptr<addrinfo, AddrinfoDeleter> list(raw);
    if (rc != 0) throw Error(ErrorDomain::system, "resolve webhook host " + p.host, rc, gai_strerror(rc));
    WebhookTarget target{p.host, p.port, {}};
    for (const addrinfo* a = list.get(); a; a = a->ai_next) {
        if (a->ai_family != AF_INET && a->ai_family != AF_INET6) continue;
        // Every address, not only the one connected to: a name that answers with a public and a
        // private address is refused whole.
        if (!allow_private && is_private_address(a->ai_addr))
            throw_input("webhook URL " + shown, "its host " + p.host + " resolves to " + numeric(a->ai_addr) + ", which " +
                                                    private_rule);
        if (target.address.empty()) target.address = numeric(a->ai_addr);
    }
    if (target.address.empty()) throw_input("webhook URL " + shown, "its host " + p.host + " has no IPv4 or IPv6 address");
    return target;
}

}  // namespace avpost::net
