#pragma once
// Where completion webhooks may go: the rule against server-side request forgery (SSRF). A
// notify URL is http or https with a host and no user info; unless private targets are allowed
// (--allow-private-webhooks: tests, one-machine setups), no address it reaches may be loopback,
// private, link-local, CGNAT, unspecified, multicast or reserved (IPv4-mapped IPv6 forms too).
// Literal addresses are checked when a job arrives (webhook_url_problem); names are resolved
// and every address checked at each delivery (resolve_webhook_target), and the connection is
// pinned to the checked address, so a name that changes its answer (DNS rebinding) cannot lead
// a delivery elsewhere.
#include <optional>
#include <string>
#include <string_view>

struct sockaddr;

namespace avpost::net {

// Why `url` cannot be a notify URL, or nothing when it can. The message never repeats the URL's
// query or user info.
std::optional<std::string> webhook_url_problem(std::string_view url, bool allow_private);

// Whether a webhook may not reach this address unless private targets are allowed.
bool is_private_address(const sockaddr* address);
// The same for a literal address ("10.0.0.1", "::1", "[::1]"); false when it is not one.
bool is_private_address_literal(std::string_view address);

// A notify URL's host resolved and checked, ready to connect to.
struct WebhookTarget {
    std::string host;     // as curl reads it from the URL (IPv6 without brackets)
    int port = 0;
    std::string address;  // the checked address connected to (numeric)
    // For CURLOPT_RESOLVE ("host:port:address"): curl connects to `address` and resolves nothing.
    std::string curl_resolve_entry() const;
};

// Resolves the URL's host and checks every address it has (not only the first): throws
// Error(input) naming the host, never the query, when the URL or any address is refused, or
// Error(system) when the name does not resolve.
WebhookTarget resolve_webhook_target(std::string_view url, bool allow_private);

}  // namespace avpost::net
