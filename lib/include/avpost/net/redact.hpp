#pragma once
// Keeps credentials and signed-URL query strings out of output, logs and errors.
#include <string>
#include <string_view>

namespace avpost::net {

// The URL without user info, fragment and query values, except for a few parameters that are
// plain ids (video_id, avatar_id, id, video_model_id, from, type, page, size). Signed links
// ("?Expires=..&Signature=..") become "https://host/path?Expires=REDACTED&Signature=REDACTED".
std::string redact_url(std::string_view url);

// Remembers a secret (API key, token, client secret, password) so redact_text() removes it.
// Secrets shorter than 4 characters are ignored (they would mangle ordinary text).
void register_secret(std::string_view secret);

// `text` with every registered secret replaced by "REDACTED" and every http(s) URL redacted.
std::string redact_text(std::string_view text);

}  // namespace avpost::net
