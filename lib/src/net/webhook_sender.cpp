#include "avpost/net/webhook_sender.hpp"

#include <curl/curl.h>

#include "avpost/archive/catalog.hpp"
#include "avpost/core/error.hpp"
#include "avpost/net/curl_handles.hpp"
#include "avpost/net/redact.hpp"
#include "avpost/net/webhook_url.hpp"

namespace avpost::net {

namespace {

std::size_t discard_body(char*, std::size_t size, std::size_t count, void*) { return size * count; }

int check_cancelled(void* data, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    const auto* cancelled = static_cast<const std::function<bool()>*>(data);
    return (*cancelled && (*cancelled)()) ? 1 : 0;
}

}  // namespace

WebhookSendResult send_webhook(const WebhookMessage& m, const WebhookSendOptions& options) {
    WebhookSendResult result;
    WebhookTarget target;
    try {
        target = resolve_webhook_target(m.url, options.allow_private);
    } catch (const Error& e) {
        result.error = redact_text(e.what());
        return result;
    }
    ensure_curl_global_init();
    CurlEasyPtr curl(curl_easy_init());
    if (!curl) {
        result.error = "curl_easy_init failed";
        return result;
    }
    CURL* c = curl.get();
    CurlSlistPtr resolve(curl_slist_append(nullptr, target.curl_resolve_entry().c_str()));
    CurlSlistPtr headers;
    for (const std::string& h : {std::string("Content-Type: application/json"), "webhook-id: " + m.id,
                                 "webhook-timestamp: " + std::to_string(m.timestamp),
                                 "webhook-signature: " + m.signature, std::string("Expect:")}) {
        curl_slist* grown = curl_slist_append(headers.get(), h.c_str());
        if (!grown) {
            result.error = "out of memory";
            return result;
        }
        (void)headers.release();
        headers.reset(grown);
    }
    char error_buffer[CURL_ERROR_SIZE] = {};
    curl_easy_setopt(c, CURLOPT_URL, m.url.c_str());
    curl_easy_setopt(c, CURLOPT_RESOLVE, resolve.get());  // the checked address, and no other
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);  // a redirect could lead anywhere: not followed
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");         // a proxy would resolve the name again
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, m.body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(m.body.size()));
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(c, CURLOPT_USERAGENT, "avpost");
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, long(options.timeout.count()));
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, long(std::min<long long>(options.timeout.count(), 10000)));
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard_body);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error_buffer);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, check_cancelled);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &options.cancelled);
    const CURLcode code = curl_easy_perform(c);
    if (code == CURLE_ABORTED_BY_CALLBACK) {
        result.abandoned = true;
        result.error = "abandoned (stopping)";
        return result;
    }
    if (code != CURLE_OK) {
        result.error = redact_text(std::string(curl_easy_strerror(code)) + (error_buffer[0] ? std::string(": ") + error_buffer : ""));
        return result;
    }
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    result.status = int(status);
    if (!result.delivered()) result.error = "HTTP " + std::to_string(status);
    return result;
}

}  // namespace avpost::net
