#pragma once
// AWS Signature Version 4 for S3, written out with OpenSSL HMAC rather than CURLOPT_AWS_SIGV4:
// curl 7.88 does not add x-amz-content-sha256 and mis-canonicalises unsorted or valueless query
// strings. The request is sent with exactly the canonical query string signed here.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace avpost::archive {

struct SigV4Credentials {
    std::string access_key;
    std::string secret_key;
    std::string session_token;  // optional (x-amz-security-token)
};

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct SigV4Request {
    std::string method;         // "PUT"
    std::string host;           // Host header value: "127.0.0.1:4568" (port only if not default)
    std::string path;           // already URI-encoded once, e.g. "/bucket/a%20b/c.mp4"
    HeaderList query;           // raw names and values; encoded and sorted by the signer
    HeaderList headers;         // extra headers to sign (x-amz-meta-*, content-type, ...)
    std::string payload_sha256; // lowercase hex SHA-256 of the body (or "UNSIGNED-PAYLOAD")
};

struct SignedRequest {
    std::string canonical_query;  // what follows '?' in the URL (empty: no '?')
    HeaderList headers;           // every header to send: the signed ones plus Authorization
    std::string canonical_request;
    std::string string_to_sign;
    std::string authorization;
};

// RFC 3986 encoding as SigV4 wants it: unreserved characters kept, everything else %XX
// (uppercase); '/' kept unless encode_slash.
std::string sigv4_uri_encode(std::string_view text, bool encode_slash);

// "20261121T053000Z" for a Unix time.
std::string amz_date(std::int64_t unix_seconds);

SignedRequest sigv4_sign(const SigV4Request& request, const SigV4Credentials& credentials, std::string_view region,
                         std::string_view service, std::int64_t unix_seconds);

}  // namespace avpost::archive
