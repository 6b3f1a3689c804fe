#include "avpost/archive/access_tokens.hpp"

#include <openssl/crypto.h>

#include <cerrno>
#include <fstream>
#include <sstream>

#include "avpost/core/error.hpp"
#include "avpost/core/sha256.hpp"
#include "avpost/net/redact.hpp"

namespace avpost::archive {
namespace {

// Hex SHA-256: every digest has the same length, so comparing takes the same time whatever the candidate.
std::string digest_of(std::string_view text) { return sha256_hex(text); }

std::vector<std::string_view> words_of(std::string_view line) {
    std::vector<std::string_view> words;
    std::size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
        std::size_t start = i;
        while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') ++i;
        if (i > start) words.push_back(line.substr(start, i - start));
    }
    return words;
}

}  // namespace

std::string_view to_string(TokenScope scope) { return scope == TokenScope::submit ? "submit" : "read"; }

void AccessTokens::add(std::string_view token, TokenScope scope) {
    if (token.size() < min_token_length)
        throw_usage("an access token must be at least " + std::to_string(min_token_length) + " characters");
    net::register_secret(token);
    AccessToken t;
    t.digest = digest_of(token);
    t.scope = scope;
    t.id = digest_of(t.digest).substr(0, 12);
    tokens_.push_back(std::move(t));
}

AccessTokens AccessTokens::parse(std::string_view text, const std::string& source) {
    AccessTokens tokens;
    std::size_t number = 0;
    while (!text.empty()) {
        const std::size_t end = text.find('\n');
        std::string_view line = text.substr(0, end);
        text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
        ++number;
        std::vector<std::string_view> words = words_of(line);
        if (words.empty() || words[0].starts_with("#")) continue;
        // The line is never quoted back: it holds a token.
        const std::string where = source + ":" + std::to_string(number);
        if (words.size() > 2)
            throw_usage(where + ": one token and at most one scope (read or submit) a line");
        TokenScope scope = TokenScope::read;
        if (words.size() == 2) {
            if (words[1] == "submit") scope = TokenScope::submit;
            else if (words[1] != "read") throw_usage(where + ": the scope is read or submit");
        }
        if (words[0].size() < min_token_length)
            throw_usage(where + ": a token must be at least " + std::to_string(min_token_length) + " characters");
        tokens.add(words[0], scope);
    }
    return tokens;
}

AccessTokens AccessTokens::read_file(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw_errno("read token file '" + file.string() + "'", errno);
    std::ostringstream text;
    text << in.rdbuf();
    AccessTokens tokens = parse(text.str(), file.string());
    if (tokens.empty()) throw_usage("token file '" + file.string() + "' holds no token");
    return tokens;
}

std::optional<AccessToken> AccessTokens::find(std::string_view candidate) const {
    const std::string digest = digest_of(candidate);
    // Every token is compared, found or not: the time taken says nothing of which matched.
    std::optional<AccessToken> match;
    for (const AccessToken& t : tokens_)
        if (CRYPTO_memcmp(t.digest.data(), digest.data(), digest.size()) == 0 && !match) match = t;
    return match;
}

}  // namespace avpost::archive
