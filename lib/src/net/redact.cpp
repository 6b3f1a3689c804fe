#include "avpost/net/redact.hpp"

#include <algorithm>
#include <array>
#include <mutex>
#include <set>

namespace avpost::net {
namespace {

// Query parameters that carry ids, never secrets or signatures.
constexpr std::array<std::string_view, 9> kPlainParams = {
    "video_id", "avatar_id", "id", "video_model_id", "from", "type", "page", "size", "avatar"};

std::mutex& secrets_mutex() {
    static std::mutex m;
    return m;
}
std::set<std::string, std::greater<>>& secrets() {
    // Longest first, so a secret containing another is replaced whole.
    static std::set<std::string, std::greater<>> s;
    return s;
}

std::string redact_query(std::string_view query) {
    std::string out;
    std::size_t pos = 0;
    while (pos <= query.size()) {
        std::size_t amp = query.find('&', pos);
        if (amp == std::string_view::npos) amp = query.size();
        std::string_view pair = query.substr(pos, amp - pos);
        if (!pair.empty()) {
            std::size_t eq = pair.find('=');
            std::string_view name = pair.substr(0, eq);
            if (!out.empty()) out += '&';
            bool plain = std::find(kPlainParams.begin(), kPlainParams.end(), name) != kPlainParams.end();
            if (plain || eq == std::string_view::npos)
                out += pair;
            else
                out.append(name).append("=REDACTED");
        }
        pos = amp + 1;
    }
    return out;
}

}  // namespace

std::string redact_url(std::string_view url) {
    std::string_view rest = url;
    std::string out;
    std::size_t scheme_end = rest.find("://");
    if (scheme_end != std::string_view::npos) {
        out.append(rest.substr(0, scheme_end + 3));
        rest.remove_prefix(scheme_end + 3);
        std::size_t authority_end = rest.find_first_of("/?#");
        std::string_view authority = rest.substr(0, authority_end);
        std::size_t at = authority.rfind('@');
        if (at != std::string_view::npos) authority.remove_prefix(at + 1);  // user:password@
        out.append(authority);
        rest.remove_prefix(authority_end == std::string_view::npos ? rest.size() : authority_end);
    }
    std::size_t hash = rest.find('#');
    if (hash != std::string_view::npos) rest = rest.substr(0, hash);
    std::size_t q = rest.find('?');
    out.append(rest.substr(0, q));
    if (q != std::string_view::npos) {
        std::string query = redact_query(rest.substr(q + 1));
        if (!query.empty()) out.append("?").append(query);
    }
    return out;
}

void register_secret(std::string_view secret) {
    if (secret.size() < 4) return;
    std::lock_guard lock(secrets_mutex());
    secrets().emplace(secret);
}

std::string redact_text(std::string_view text) {
    std::string out(text);
    {
        std::lock_guard lock(secrets_mutex());
        for (const std::string& s : secrets()) {
            for (std::size_t pos = out.find(s); pos != std::string::npos; pos = out.find(s, pos + 8))
                out.replace(pos, s.size(), "REDACTED");
        }
    }
    // Redact every URL in the text (up to the next whitespace or quote).
    std::string result;
    std::size_t pos = 0;
    while (true) {
        std::size_t a = out.find("http://", pos);
        std::size_t b = out.find("https://", pos);
        std::size_t start = std::min(a, b);
        if (start == std::string::npos) break;
        std::size_t end = out.find_first_of(" \t\r\n\"'<>", start);
        if (end == std::string::npos) end = out.size();
        result.append(out, pos, start - pos);
        result.append(redact_url(std::string_view(out).substr(start, end - start)));
        pos = end;
    }
    result.append(out, pos, std::string::npos);
    return result;
}

}  // namespace avpost::net
