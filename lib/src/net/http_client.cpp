#include "avpost/net/http_client.hpp"

#include "avpost/core/interrupt.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cctype>
#include <cmath>
#include <exception>
#include <mutex>
#include <thread>

#include "avpost/core/log.hpp"
#include "avpost/core/metrics.hpp"
#include "avpost/net/redact.hpp"
#include "avpost/net/service_error.hpp"

namespace avpost::net {

namespace {
// One attempt of a client with a metrics_vendor: requests by vendor and HTTP status ("none": no
// response came), errors (no response, 4xx, 5xx) by vendor and class. Never the URL.
void count_request(const std::string& vendor, long status) {
    static auto& requests = prometheus::BuildCounter()
                                .Name("avpost_vendor_requests_total")
                                .Help("HTTP requests to vendors, object stores and vendor file links, by HTTP status "
                                      "(none: no response); every attempt counts")
                                .Register(metrics::registry());
    static auto& errors = prometheus::BuildCounter()
                              .Name("avpost_vendor_request_errors_total")
                              .Help("Those requests that failed: status_class transport (no response), 4xx or 5xx")
                              .Register(metrics::registry());
    const std::string code = status > 0 ? std::to_string(status) : "none";
    requests.Add({{"vendor", vendor}, {"code", code}}).Increment();
    if (status <= 0) errors.Add({{"vendor", vendor}, {"status_class", "transport"}}).Increment();
    else if (status >= 400 && status < 600)
        errors.Add({{"vendor", vendor}, {"status_class", status < 500 ? "4xx" : "5xx"}}).Increment();
}
}  // namespace

void ensure_curl_global_init() {
    static std::once_flag once;
    std::call_once(once, [] {
        CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
        if (rc != CURLE_OK) throw Error(ErrorDomain::curl, "curl_global_init", rc, curl_easy_strerror(rc));
    });
}

std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int retry, std::mt19937_64& rng) {
    double base = static_cast<double>(policy.initial_delay.count()) * std::pow(policy.multiplier, std::max(0, retry - 1));
    base = std::min(base, static_cast<double>(policy.max_delay.count()));
    double jitter = std::clamp(policy.jitter, 0.0, 1.0);
    std::uniform_real_distribution<double> factor(1.0 - jitter, 1.0);
    return std::chrono::milliseconds(static_cast<long long>(base * factor(rng)));
}

namespace {

struct TransferState {
    const BodySink* sink = nullptr;
    CURL* handle = nullptr;
    Headers headers;
    long status = 0;
    bool aborted_by_sink = false;
    std::exception_ptr error;  // thrown by the sink; carried across libcurl's C frames
};

size_t header_callback(char* data, size_t size, size_t count, void* user) noexcept try {
    auto* state = static_cast<TransferState*>(user);
    std::string_view line(data, size * count);
    if (line.starts_with("HTTP/")) {
        state->headers.clear();  // a new response (after 100-continue or a redirect)
        return size * count;
    }
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) return size * count;
    std::string name(line.substr(0, colon));
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) value.remove_suffix(1);
    state->headers.emplace_back(std::move(name), std::string(value));
    return size * count;
} catch (...) {
    return 0;  // out of memory: abort the transfer
}

size_t write_callback(char* data, size_t size, size_t count, void* user) {
    auto* state = static_cast<TransferState*>(user);
    if (state->status == 0) curl_easy_getinfo(state->handle, CURLINFO_RESPONSE_CODE, &state->status);
    try {
        if (!(*state->sink)(state->status, state->headers, std::string_view(data, size * count))) {
            state->aborted_by_sink = true;
            return 0;
        }
    } catch (...) {
        // Exceptions must not unwind through libcurl: stop the transfer, rethrow after it.
        state->error = std::current_exception();
        return 0;
    }
    return size * count;
}

std::string method_upper(const std::string& m) {
    std::string out = m;
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::toupper(c); });
    return out;
}

}  // namespace

HttpClient::HttpClient(HttpClientOptions options)
    : options_(std::move(options)), limiter_(options_.rate_limit), rng_(std::random_device{}()) {
    ensure_curl_global_init();
    handle_.reset(curl_easy_init());
    if (!handle_) throw Error(ErrorDomain::curl, "curl_easy_init", CURLE_FAILED_INIT, "out of memory");
    sleep_ = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
}

HttpClient::~HttpClient() = default;

void HttpClient::set_sleep_function(std::function<void(std::chrono::milliseconds)> sleep) { sleep_ = std::move(sleep); }
void HttpClient::sleep_for(std::chrono::milliseconds delay) {
    if (delay.count() > 0) sleep_(delay);
}
std::chrono::milliseconds HttpClient::next_backoff(int retry) { return backoff_delay(options_.retry, retry, rng_); }

namespace {
// libcurl calls this about once a second even while a transfer stalls, so Ctrl-C is honoured
// at once instead of after the low-speed timeout.
int abort_on_interrupt(void*, curl_off_t, curl_off_t, curl_off_t, curl_off_t) { return interrupted() ? 1 : 0; }

// An upload's byte range, read with pread as libcurl asks for it.
struct RangeReader {
    int fd = -1;
    std::int64_t position = 0;
    std::int64_t end = 0;
    int error = 0;
    RangeReader() = default;
    RangeReader(const RangeReader&) = delete;
    RangeReader& operator=(const RangeReader&) = delete;
    ~RangeReader() {
        if (fd >= 0) ::close(fd);
    }
};

size_t read_range(char* buffer, size_t size, size_t count, void* user) {
    auto* r = static_cast<RangeReader*>(user);
    const auto want = size_t(std::min<std::int64_t>(std::int64_t(size * count), r->end - r->position));
    if (want == 0) return 0;
    for (;;) {
        const ssize_t n = ::pread(r->fd, buffer, want, r->position);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            r->error = n < 0 ? errno : EIO;  // a file that shrank mid-upload
            return CURL_READFUNC_ABORT;
        }
        r->position += n;
        return size_t(n);
    }
}
}  // namespace

TransferResult HttpClient::perform(const HttpRequest& request, const BodySink& sink) {
    CURL* h = handle_.get();
    curl_easy_reset(h);  // keeps the connection cache
    char error_buffer[CURL_ERROR_SIZE] = {};
    TransferState state;
    state.sink = &sink;
    state.handle = h;
    RangeReader reader;  // an upload's file, closed when the transfer is done

    std::string method = method_upper(request.method);
    CurlSlistPtr header_list;
    for (const auto& [name, value] : request.headers) {
        std::string line = name + ": " + value;
        curl_slist* appended = curl_slist_append(header_list.get(), line.c_str());
        if (!appended) throw Error(ErrorDomain::curl, "curl_slist_append", CURLE_OUT_OF_MEMORY, "out of memory");
        header_list.release();
        header_list.reset(appended);
    }
    if (!request.body.empty() || request.upload || method == "POST") {
        // libcurl would otherwise send "Expect: 100-continue" and wait on larger bodies.
        curl_slist* appended = curl_slist_append(header_list.get(), "Expect:");
        if (appended) {
            header_list.release();
            header_list.reset(appended);
        }
    }

    curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_USERAGENT, options_.user_agent.c_str());
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.timeouts.connect.count()));
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, options_.timeouts.low_speed_bytes);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, static_cast<long>(options_.timeouts.low_speed_time.count()));
    if (options_.timeouts.total.count() > 0)
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeouts.total.count()));
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    if (request.accept_compressed) curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, header_list.get());
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, header_callback);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &state);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_callback);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &state);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, abort_on_interrupt);
    if (method == "GET") {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    } else if (method == "HEAD") {
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (request.upload) {
        reader.fd = ::open(request.upload->file.c_str(), O_RDONLY | O_CLOEXEC);
        if (reader.fd < 0) throw_errno("open '" + request.upload->file.string() + "' to upload", errno);
        reader.position = request.upload->offset;
        reader.end = request.upload->offset + request.upload->length;
        curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(h, CURLOPT_READFUNCTION, read_range);
        curl_easy_setopt(h, CURLOPT_READDATA, &reader);
        curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(request.upload->length));
        if (method != "PUT") curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method.c_str());
    } else {
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.body.c_str());
        if (method != "POST") curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method.c_str());
    }

    CURLcode rc = curl_easy_perform(h);
    TransferResult result;
    result.code = rc;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &result.status);
    result.headers = std::move(state.headers);
    if (rc != CURLE_OK) result.error_text = error_buffer[0] ? error_buffer : curl_easy_strerror(rc);
    if (!options_.metrics_vendor.empty()) count_request(options_.metrics_vendor, result.status);
    // The handle must not keep pointers into this stack frame.
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, nullptr);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, nullptr);
    curl_easy_setopt(h, CURLOPT_READDATA, nullptr);
    if (state.error) std::rethrow_exception(state.error);
    if (rc == CURLE_ABORTED_BY_CALLBACK) throw_if_interrupted();
    if (reader.error) throw_errno("read '" + request.upload->file.string() + "' while uploading", reader.error);
    return result;
}

HttpResponse HttpClient::send(const HttpRequest& request) {
    const std::string method = method_upper(request.method);
    const bool idempotent = request.idempotent.value_or(method != "POST" && method != "PATCH");
    const std::string context = request.context.empty() ? method + " " + redact_url(request.url)
                                                         : request.context;
    const int max_attempts = std::max(1, options_.retry.max_attempts);

    for (int attempt = 1;; ++attempt) {
        if (request.rate_limited) {
            auto wait = limiter_.reserve();
            // A server that asks for a very long pause gets a clear failure, not a hung command.
            if (wait > options_.retry.max_retry_after)
                throw_service(ServiceErrorKind::network, ErrorDomain::http, context, 429,
                              "rate limited: the next request is allowed in " + std::to_string(wait.count() / 1000) + " s");
            sleep_for(wait);
        }
        HttpResponse response;
        response.attempts = attempt;
        TransferResult result = perform(request, [&](long, const Headers&, std::string_view chunk) {
            response.body.append(chunk);
            return true;
        });
        if (request.rate_limited) limiter_.observe(result.headers);

        if (result.code != CURLE_OK) {
            bool retry = is_transient(result.code) && (idempotent || never_reached_server(result.code));
            if (!retry || attempt >= max_attempts)
                throw_service(ServiceErrorKind::network, ErrorDomain::curl, context, result.code,
                              redact_text(result.error_text));
            auto delay = next_backoff(attempt);
            log::debug(context + ": " + redact_text(result.error_text) + "; retry " + std::to_string(attempt) +
                       " in " + std::to_string(delay.count()) + " ms");
            sleep_for(delay);
            continue;
        }

        response.status = result.status;
        response.headers = std::move(result.headers);
        if (!is_transient_status(response.status) || attempt >= max_attempts) return response;

        auto retry_after_header = response.header("retry-after");
        std::optional<std::chrono::milliseconds> retry_after;
        if (retry_after_header) retry_after = RateLimiter::parse_retry_after(*retry_after_header);
        // A create call that got 429/503 with Retry-After was refused before any work; other
        // statuses may mean it was acted on, so it is never repeated blindly.
        bool refused = (response.status == 429 || response.status == 503) &&
                       (retry_after.has_value() || response.header("x-ratelimit-left").has_value());
        if (!idempotent && !refused) return response;
        if (retry_after && *retry_after > options_.retry.max_retry_after) return response;

        std::chrono::milliseconds delay = next_backoff(attempt);
        if (retry_after) delay = std::max(delay, *retry_after);
        log::debug(context + ": HTTP " + std::to_string(response.status) + "; retry " + std::to_string(attempt) +
                   " in " + std::to_string(delay.count()) + " ms");
        // The rate limiter already blocks until Retry-After / X-Ratelimit-Reset; sleeping the
        // backoff on top keeps the exponential spacing when the server gave no hint.
        if (!(request.rate_limited && retry_after)) sleep_for(delay);
    }
}

}  // namespace avpost::net
