#include "avpost/archive/sigv4.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>

#include "avpost/core/sha256.hpp"
#include "avpost/core/error.hpp"

namespace avpost::archive {
namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// Header values are trimmed and inner runs of spaces collapsed, as SigV4 specifies.
std::string trim_value(std::string_view v) {
    std::string out;
    bool space = false;
    for (char c : v) {
        if (c == ' ' || c == '\t') {
            space = !out.empty();
            continue;
        }
        if (space) out += ' ';
        space = false;
        out += c;
    }
    return out;
}

}  // namespace

std::string sigv4_uri_encode(std::string_view text, bool encode_slash) {
    static const char digits[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : text) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || (c == '/' && !encode_slash)) {
            out += char(c);
        } else {
            out += '%';
            out += digits[c >> 4];
            out += digits[c & 15];
        }
    }
    return out;
}

std::string amz_date(std::int64_t unix_seconds) {
    std::time_t t = std::time_t(unix_seconds);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[20];
    std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
    return buf;
}

SignedRequest sigv4_sign(const SigV4Request& request, const SigV4Credentials& credentials, std::string_view region,
                         std::string_view service, std::int64_t unix_seconds) {
    if (credentials.access_key.empty() || credentials.secret_key.empty())
        throw_usage("S3 credentials are missing (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)");
    SignedRequest out;
    const std::string date_time = amz_date(unix_seconds);
    const std::string date = date_time.substr(0, 8);

    // Query: encode names and values, then sort by name and value; valueless becomes "name=".
    std::vector<std::pair<std::string, std::string>> query;
    for (const auto& [k, v] : request.query) query.emplace_back(sigv4_uri_encode(k, true), sigv4_uri_encode(v, true));
    std::sort(query.begin(), query.end());
    for (const auto& [k, v] : query) {
        if (!out.canonical_query.empty()) out.canonical_query += '&';
        out.canonical_query += k + "=" + v;
    }

    std::vector<std::pair<std::string, std::string>> headers;
    headers.emplace_back("host", trim_value(request.host));
    headers.emplace_back("x-amz-content-sha256", request.payload_sha256);
    headers.emplace_back("x-amz-date", date_time);
    if (!credentials.session_token.empty()) headers.emplace_back("x-amz-security-token", credentials.session_token);
    for (const auto& [k, v] : request.headers) {
        std::string name = lower(k);
        if (name == "host" || name == "x-amz-content-sha256" || name == "x-amz-date" || name == "authorization")
            throw_usage("sigv4: header '" + name + "' is set by the signer");
        headers.emplace_back(name, trim_value(v));
    }
    std::sort(headers.begin(), headers.end());
    std::string canonical_headers, signed_headers;
    for (std::size_t i = 0; i < headers.size(); ++i) {
        if (i > 0 && headers[i].first == headers[i - 1].first)
            throw_usage("sigv4: header '" + headers[i].first + "' given twice");
        canonical_headers += headers[i].first + ":" + headers[i].second + "\n";
        if (!signed_headers.empty()) signed_headers += ';';
        signed_headers += headers[i].first;
    }

    out.canonical_request = request.method + "\n" + request.path + "\n" + out.canonical_query + "\n" +
                            canonical_headers + "\n" + signed_headers + "\n" + request.payload_sha256;
    const std::string scope = date + "/" + std::string(region) + "/" + std::string(service) + "/aws4_request";
    out.string_to_sign = "AWS4-HMAC-SHA256\n" + date_time + "\n" + scope + "\n" + sha256_hex(out.canonical_request);

    std::string key = hmac_sha256("AWS4" + credentials.secret_key, date);
    key = hmac_sha256(key, region);
    key = hmac_sha256(key, service);
    key = hmac_sha256(key, "aws4_request");
    const std::string signature = to_hex(hmac_sha256(key, out.string_to_sign));
    out.authorization = "AWS4-HMAC-SHA256 Credential=" + credentials.access_key + "/" + scope +
                        ", SignedHeaders=" + signed_headers + ", Signature=" + signature;

    for (const auto& [k, v] : headers)
        if (k != "host") out.headers.emplace_back(k, v);  // curl sends Host from the URL
    out.headers.emplace_back("authorization", out.authorization);
    return out;
}

}  // namespace avpost::archive
