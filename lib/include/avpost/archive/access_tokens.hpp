#pragma once
// The bearer tokens of `avpost serve` (--token-file): one a line, "TOKEN" or "TOKEN read" for
// reading (the gallery, GET routes of the job API), "TOKEN submit" for reading and submitting
// (POST routes of the job API). Kept as SHA-256 digests only; a candidate is compared with every
// token through its digest in constant time, so neither a token's length nor its prefix leaks.
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace avpost::archive {

enum class TokenScope { read, submit };
std::string_view to_string(TokenScope scope);

struct AccessToken {
    std::string digest;  // hex SHA-256 of the token
    TokenScope scope = TokenScope::read;
    // A name for the token that is not the token: the first 12 hex digits of the SHA-256 of its
    // digest (API answers and Idempotency-Keys are kept per token under it).
    std::string id;
};

inline constexpr std::size_t min_token_length = 16;

class AccessTokens {
public:
    AccessTokens() = default;
    // Throws Error(usage) naming the line for a token under min_token_length characters, an
    // unknown scope or extra words; blank lines and lines starting with '#' are skipped.
    static AccessTokens parse(std::string_view text, const std::string& source);
    // Reads FILE (Error(system) when it cannot), then parse. Throws Error(usage) for a file with no token.
    static AccessTokens read_file(const std::filesystem::path& file);
    // Every token added is registered as a secret (net::register_secret): never logged.
    void add(std::string_view token, TokenScope scope);

    // The token `candidate` is, if any.
    std::optional<AccessToken> find(std::string_view candidate) const;
    bool empty() const { return tokens_.empty(); }
    const std::vector<AccessToken>& tokens() const { return tokens_; }

private:
    std::vector<AccessToken> tokens_;
};

}  // namespace avpost::archive
