#include "avpost/archive/s3_store.hpp"

#include <cerrno>
#include <cstdlib>
#include <functional>
#include <map>

#include "avpost/archive/catalog.hpp"
#include "avpost/core/sha256.hpp"
#include "avpost/core/error.hpp"
#include "avpost/core/log.hpp"
#include "avpost/net/http_client.hpp"
#include "avpost/net/retry_rule.hpp"

namespace avpost::archive {
namespace {

struct Body {
    std::string text;                    // POST body (CompleteMultipartUpload XML), may be empty
    const std::filesystem::path* file = nullptr;  // PUT body: a byte range of a file
    std::int64_t offset = 0;
    std::int64_t length = 0;
};

struct Call {
    std::string method;
    std::string object;  // full object key (prefix included), unencoded
    HeaderList query;
    HeaderList headers;
    Body body;
    std::string payload_sha256;
    std::function<void(const char*, std::size_t)> sink;  // streams a GET body instead of keeping it
};

Call make_call(std::string method, std::string object, std::string payload_sha256) {
    Call c;
    c.method = std::move(method);
    c.object = std::move(object);
    c.payload_sha256 = std::move(payload_sha256);
    return c;
}

Body file_body(const std::filesystem::path& file, std::int64_t offset, std::int64_t length) {
    Body b;
    b.file = &file;
    b.offset = offset;
    b.length = length;
    return b;
}

struct Response {
    long status = 0;
    std::map<std::string, std::string> headers;  // lowercase names
    std::string body;
};

std::string xml_tag(std::string_view xml, std::string_view tag) {
    // Built by append: gcc 12 -O3 warns falsely (-Wrestrict) on "literal" + std::string.
    std::string open(1, '<'), close("</");
    open.append(tag).append(">");
    close.append(tag).append(">");
    auto a = xml.find(open);
    if (a == std::string_view::npos) return {};
    a += open.size();
    auto b = xml.find(close, a);
    if (b == std::string_view::npos) return {};
    return std::string(xml.substr(a, b - a));
}

std::string env(const char* name) {
    const char* v = std::getenv(name);
    return v ? v : "";
}

// host[:port] as curl sends it in the Host header: the port only when the URL names one.
std::string host_of(std::string_view endpoint) {
    auto scheme = endpoint.find("://");
    std::string_view rest = scheme == std::string_view::npos ? endpoint : endpoint.substr(scheme + 3);
    rest = rest.substr(0, rest.find('/'));
    bool https = endpoint.starts_with("https://");
    if ((https && rest.ends_with(":443")) || (!https && rest.ends_with(":80"))) rest.remove_suffix(https ? 4 : 3);
    return std::string(rest);
}

// One operation's requests, through the shared HTTP client (net/http_client.hpp: one libcurl
// handle, so a multipart upload's parts reuse the connection) and the one retry rule.
class S3Http {
public:
    explicit S3Http(const S3Config& config) : config_(config), client_(client_options(config)) {}

    // Retries what is worth retrying (connection failures, timeouts, 500/502/503/504) with the
    // client's backoff, each time signed afresh. A GET whose body already reached the sink is
    // not retried, since the caller has hashed part of it.
    Response perform(const Call& call) {
        for (int attempt = 1;; ++attempt) {
            bool streamed = false;
            net::TransferResult result;
            Response r = perform_once(call, streamed, result);
            const bool failed = result.code != CURLE_OK;
            const bool transient = failed ? net::is_transient(result.code) : net::is_transient_status(r.status);
            if (!transient || streamed || attempt >= config_.max_attempts) {
                if (failed) throw Error(ErrorDomain::curl, context_of(call), result.code, result.error_text);
                return r;
            }
            log::debug(context_of(call) + ": attempt " + std::to_string(attempt) + " failed (" +
                       (failed ? result.error_text : "HTTP " + std::to_string(r.status)) + "), retrying");
            client_.sleep_for(client_.next_backoff(attempt));
        }
    }

    void check(const Response& r, const std::string& what) const {
        if (r.status >= 200 && r.status < 300) return;
        std::string code = xml_tag(r.body, "Code"), message = xml_tag(r.body, "Message");
        std::string detail = "HTTP " + std::to_string(r.status);
        if (!code.empty()) detail += " " + code;
        if (!message.empty()) detail += ": " + message;
        throw Error(ErrorDomain::http, what, r.status, detail);
    }

private:
    static net::HttpClientOptions client_options(const S3Config& config) {
        net::HttpClientOptions o;
        o.retry.max_attempts = config.max_attempts;
        o.retry.initial_delay = config.retry_delay;
        o.timeouts.connect = std::chrono::duration_cast<std::chrono::milliseconds>(config.connect_timeout);
        o.timeouts.low_speed_time = config.low_speed_time;
        o.rate_limit.enabled = false;
        o.metrics_vendor = "s3";
        return o;
    }

    // For errors: the method and key only, never the signature.
    std::string context_of(const Call& call) const { return "S3 " + call.method + " s3://" + config_.bucket + "/" + call.object; }

    Response perform_once(const Call& call, bool& streamed, net::TransferResult& result) {
        SigV4Request sreq;
        sreq.method = call.method;
        sreq.host = host_of(config_.endpoint);
        sreq.path.assign(1, '/').append(sigv4_uri_encode(config_.bucket, true)).append(1, '/');
        sreq.path.append(sigv4_uri_encode(call.object, false));
        sreq.query = call.query;
        sreq.headers = call.headers;
        sreq.payload_sha256 = call.payload_sha256;
        SignedRequest signed_request = sigv4_sign(sreq, config_.credentials, config_.region, "s3", unix_now());

        net::HttpRequest request;
        request.method = call.method;
        request.url = config_.endpoint + sreq.path;
        if (!signed_request.canonical_query.empty()) request.url += "?" + signed_request.canonical_query;
        request.headers.assign(signed_request.headers.begin(), signed_request.headers.end());
        // Not part of what was signed: curl's form default for POST and its Accept.
        request.headers.emplace_back("Content-Type", "");
        request.headers.emplace_back("Accept", "");
        if (call.method == "PUT") request.upload = net::HttpRequest::FileRange{*call.body.file, call.body.offset, call.body.length};
        if (call.method == "POST") request.body = call.body.text;
        request.rate_limited = false;
        request.accept_compressed = false;  // an object's bytes as stored
        request.context = context_of(call);

        Response response;
        result = client_.perform(request, [&](long status, const net::Headers&, std::string_view chunk) {
            // Error bodies are kept whole so the S3 error code can be reported.
            if (call.sink && status < 300) {
                streamed = true;
                call.sink(chunk.data(), chunk.size());
            } else if (response.body.size() < (1 << 20)) {
                response.body.append(chunk);
            }
            return true;
        });
        response.status = result.status;
        for (auto& [name, value] : result.headers) response.headers[name] = value;
        return response;
    }

    const S3Config& config_;
    net::HttpClient client_;
};

const std::string empty_sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

}  // namespace

S3Config S3Config::from_environment(std::string_view s3_uri) {
    if (!s3_uri.starts_with("s3://")) throw_usage("not an S3 URI: '" + std::string(s3_uri) + "'");
    std::string_view rest = s3_uri.substr(5);
    S3Config c;
    auto slash = rest.find('/');
    c.bucket = std::string(rest.substr(0, slash));
    if (slash != std::string_view::npos) c.prefix = std::string(rest.substr(slash + 1));
    while (!c.prefix.empty() && c.prefix.back() == '/') c.prefix.pop_back();
    if (c.bucket.empty()) throw_usage("S3 URI '" + std::string(s3_uri) + "' has no bucket");
    if (!c.prefix.empty()) check_store_key(c.prefix);
    if (std::string r = env("AWS_REGION"); !r.empty()) c.region = r;
    else if (std::string d = env("AWS_DEFAULT_REGION"); !d.empty()) c.region = d;
    c.endpoint = env("AVPOST_S3_ENDPOINT");
    if (c.endpoint.empty()) c.endpoint = "https://s3." + c.region + ".amazonaws.com";
    while (c.endpoint.ends_with('/')) c.endpoint.pop_back();
    c.credentials.access_key = env("AWS_ACCESS_KEY_ID");
    c.credentials.secret_key = env("AWS_SECRET_ACCESS_KEY");
    c.credentials.session_token = env("AWS_SESSION_TOKEN");
    if (c.credentials.access_key.empty() || c.credentials.secret_key.empty())
        throw_usage("the S3 store needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
    if (std::string p = env("AVPOST_S3_PART_SIZE"); !p.empty()) {
        char* end = nullptr;
        long long v = std::strtoll(p.c_str(), &end, 10);
        if (*end != '\0' || v < 1) throw_usage("AVPOST_S3_PART_SIZE must be a positive number of bytes");
        c.part_size = c.multipart_threshold = v;
    }
    return c;
}

S3Store::S3Store(S3Config config) : config_(std::move(config)) {
    if (config_.part_size < 1) throw_usage("S3 part size must be positive");
    if (config_.bucket.empty()) throw_usage("S3 store needs a bucket");
}

std::string S3Store::uri() const { return "s3://" + config_.bucket + (config_.prefix.empty() ? "" : "/" + config_.prefix); }

std::string S3Store::object_key(const std::string& key) const {
    check_store_key(key);
    return config_.prefix.empty() ? key : config_.prefix + "/" + key;
}

std::optional<ObjectInfo> S3Store::stat(const std::string& key) {
    S3Http http(config_);
    Call call = make_call("HEAD", object_key(key), empty_sha256);
    Response r = http.perform(call);
    if (r.status == 404) return std::nullopt;
    http.check(r, "S3 HEAD s3://" + config_.bucket + "/" + call.object);
    ObjectInfo info;
    auto length = r.headers.find("content-length");
    if (length == r.headers.end())
        throw Error(ErrorDomain::http, "S3 HEAD s3://" + config_.bucket + "/" + call.object, r.status,
                    "no Content-Length in the response");
    info.size = std::strtoll(length->second.c_str(), nullptr, 10);
    if (auto m = r.headers.find("x-amz-meta-sha256"); m != r.headers.end()) info.sha256 = m->second;
    return info;
}

ObjectInfo S3Store::put(const std::filesystem::path& file, const std::string& key, const std::string& expected_sha256,
                        std::int64_t expected_size) {
    if (!is_sha256_hex(expected_sha256)) throw_usage("put '" + key + "': expected SHA-256 is not 64 hex digits");
    const std::string object = object_key(key);
    const std::string where = "s3://" + config_.bucket + "/" + object;
    if (auto existing = stat(key)) {
        if (existing->size == expected_size && existing->sha256 == expected_sha256) return *existing;
        // Shorter than the file and without the sha256 every upload of ours sets: what a store
        // that does not write objects atomically (s3rver, some S3-compatible servers on a full
        // disk) kept of an upload that failed. Debris of our own attempt, not content to protect.
        if (existing->sha256.empty() && existing->size < expected_size)
            return upload(file, key, expected_sha256, expected_size);
        throw_input("store '" + where + "'", "refusing to overwrite: it already holds different content (sha256 '" +
                                                 existing->sha256 + "', " + std::to_string(existing->size) +
                                                 " bytes); if that copy is damaged, " + repair_hint);
    }
    return upload(file, key, expected_sha256, expected_size);
}

ObjectInfo S3Store::replace(const std::filesystem::path& file, const std::string& key,
                            const std::string& expected_sha256, std::int64_t expected_size) {
    if (!is_sha256_hex(expected_sha256)) throw_usage("replace '" + key + "': expected SHA-256 is not 64 hex digits");
    return upload(file, key, expected_sha256, expected_size);
}

// The upload and the store's confirmation; an object already under the key is overwritten.
ObjectInfo S3Store::upload(const std::filesystem::path& file, const std::string& key,
                           const std::string& expected_sha256, std::int64_t expected_size) {
    const std::string object = object_key(key);
    const std::string where = "s3://" + config_.bucket + "/" + object;
    // The body's hash goes in x-amz-content-sha256, so it must be what is on disk now.
    FileDigest digest = sha256_file(file);
    if (digest.size != expected_size || digest.sha256 != expected_sha256)
        throw ContentChanged(ErrorDomain::input, "store '" + file.string() + "'", 0,
                             "content changed: " + std::to_string(digest.size) + " bytes with sha256 " +
                                 digest.sha256 + ", expected " + std::to_string(expected_size) +
                                 " bytes with sha256 " + expected_sha256);
    if (expected_size >= config_.multipart_threshold && expected_size > config_.part_size)
        put_multipart(file, object, expected_sha256, expected_size);
    else
        put_single(file, object, expected_sha256, expected_size);

    auto confirmed = stat(key);
    if (!confirmed) throw_input("store '" + where + "'", "the object is missing right after the upload");
    if (confirmed->size != expected_size || confirmed->sha256 != expected_sha256)
        throw_input("store '" + where + "'", "the store reports " + std::to_string(confirmed->size) +
                                                 " bytes with sha256 '" + confirmed->sha256 + "', expected " +
                                                 std::to_string(expected_size) + " bytes with sha256 " + expected_sha256);
    return *confirmed;
}

void S3Store::put_single(const std::filesystem::path& file, const std::string& object, const std::string& sha256,
                         std::int64_t size) {
    S3Http http(config_);
    Call call = make_call("PUT", object, sha256);
    call.headers = {{"x-amz-meta-sha256", sha256}};
    call.body = file_body(file, 0, size);
    http.check(http.perform(call), "S3 PUT s3://" + config_.bucket + "/" + object);
}

void S3Store::put_multipart(const std::filesystem::path& file, const std::string& object, const std::string& sha256,
                            std::int64_t size) {
    S3Http http(config_);
    const std::string where = "s3://" + config_.bucket + "/" + object;
    Call create = make_call("POST", object, empty_sha256);
    create.query = {{"uploads", ""}};
    create.headers = {{"x-amz-meta-sha256", sha256}};
    Response created = http.perform(create);
    http.check(created, "S3 CreateMultipartUpload " + where);
    const std::string upload_id = xml_tag(created.body, "UploadId");
    if (upload_id.empty())
        throw Error(ErrorDomain::http, "S3 CreateMultipartUpload " + where, created.status, "no UploadId in the response");

    try {
        std::string complete = "<CompleteMultipartUpload>";
        int number = 1;
        // S3 allows at most 10000 parts: grow the part size for very large files.
        const std::int64_t part_size = std::max(config_.part_size, (size + 9999) / 10000);
        for (std::int64_t offset = 0; offset < size; offset += part_size, ++number) {
            std::int64_t length = std::min(part_size, size - offset);
            std::string part_sha = sha256_file(file, offset, length).sha256;
            Call part = make_call("PUT", object, part_sha);
            part.query = {{"partNumber", std::to_string(number)}, {"uploadId", upload_id}};
            part.body = file_body(file, offset, length);
            Response r = http.perform(part);
            http.check(r, "S3 UploadPart " + std::to_string(number) + " of " + where);
            auto etag = r.headers.find("etag");
            if (etag == r.headers.end())
                throw Error(ErrorDomain::http, "S3 UploadPart " + std::to_string(number) + " of " + where, r.status,
                            "no ETag in the response");
            complete += "<Part><PartNumber>" + std::to_string(number) + "</PartNumber><ETag>" + etag->second +
                        "</ETag></Part>";
        }
        complete += "</CompleteMultipartUpload>";
        Call done = make_call("POST", object, sha256_hex(complete));
        done.query = {{"uploadId", upload_id}};
        done.body.text = complete;
        Response r = http.perform(done);
        http.check(r, "S3 CompleteMultipartUpload " + where);
        // S3 can answer 200 and still fail the completion in the body.
        if (r.body.find("<Error>") != std::string::npos)
            throw Error(ErrorDomain::http, "S3 CompleteMultipartUpload " + where, r.status,
                        xml_tag(r.body, "Code") + ": " + xml_tag(r.body, "Message"));
    } catch (...) {
        // Best effort: abort so the parts do not linger (and cost) in the bucket.
        try {
            Call abort = make_call("DELETE", object, empty_sha256);
            abort.query = {{"uploadId", upload_id}};
            Response r = http.perform(abort);
            if (r.status >= 300) log::warning("S3 AbortMultipartUpload of " + where + " answered HTTP " +
                                              std::to_string(r.status));
        } catch (const std::exception& e) {
            log::warning(std::string("S3 AbortMultipartUpload of ") + where + " failed: " + e.what());
        }
        throw;
    }
}

ObjectDigest S3Store::rehash(const std::string& key) {
    S3Http http(config_);
    Sha256 hash;
    std::int64_t size = 0;
    Call call = make_call("GET", object_key(key), empty_sha256);
    call.sink = [&](const char* data, std::size_t n) {
        hash.update(data, n);
        size += std::int64_t(n);
    };
    Response r = http.perform(call);
    const std::string where = "s3://" + config_.bucket + "/" + call.object;
    if (r.status == 404) throw_input("verify '" + where + "'", "the stored object is missing");
    http.check(r, "S3 GET " + where);
    ObjectDigest d{size, hash.hex(), {}};
    if (auto m = r.headers.find("x-amz-meta-sha256"); m != r.headers.end()) d.recorded_sha256 = m->second;
    return d;
}

ObjectDigest S3Store::read(const std::string& key, const std::function<void(const char*, std::size_t)>& sink) {
    S3Http http(config_);
    Sha256 hash;
    std::int64_t size = 0;
    Call call = make_call("GET", object_key(key), empty_sha256);
    long status = 0;
    call.sink = [&](const char* data, std::size_t n) {
        hash.update(data, n);
        size += std::int64_t(n);
        sink(data, n);
    };
    Response r = http.perform(call);
    status = r.status;
    const std::string where = "s3://" + config_.bucket + "/" + call.object;
    if (status == 404) throw_input("read '" + where + "'", "the stored object is missing");
    http.check(r, "S3 GET " + where);
    ObjectDigest d{size, hash.hex(), {}};
    if (auto m = r.headers.find("x-amz-meta-sha256"); m != r.headers.end()) d.recorded_sha256 = m->second;
    return d;
}

}  // namespace avpost::archive
