// Result downloads: signed, expiring links (403 like S3/CloudFront afterwards), Range, ETag and
// If-Range, and connections dropped mid-body on request.
#include "avpost/net/crypto.hpp"
#include "sandbox_state.hpp"

namespace avpost::sandbox {
namespace {

void access_denied(httplib::Response& res, const std::string& message) {
    res.status = 403;
    res.set_content("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AccessDenied</Code><Message>" + message +
                        "</Message></Error>",
                    "application/xml");
}

// "bytes=a-b", "bytes=a-", "bytes=-n" against `size`: [first, last], or nullopt when unsatisfiable.
// A header that does not parse is ignored (the whole file is sent), as RFC 9110 allows.
std::optional<std::pair<std::int64_t, std::int64_t>> parse_range(const std::string& header, std::int64_t size,
                                                                 bool& present) {
    present = false;
    if (!header.starts_with("bytes=") || header.find(',') != std::string::npos) return std::nullopt;
    std::string spec = header.substr(6);
    std::size_t dash = spec.find('-');
    if (dash == std::string::npos) return std::nullopt;
    try {
        std::int64_t first, last;
        if (dash == 0) {
            std::int64_t n = std::stoll(spec.substr(1));
            first = std::max<std::int64_t>(0, size - n);
            last = size - 1;
        } else {
            first = std::stoll(spec.substr(0, dash));
            last = dash + 1 < spec.size() ? std::stoll(spec.substr(dash + 1)) : size - 1;
        }
        present = true;
        if (first >= size || first > last) return std::nullopt;
        return std::make_pair(first, std::min(last, size - 1));
    } catch (...) {
        return std::nullopt;
    }
}

}  // namespace

void install_file_routes(SandboxServer::State& st) {
    auto handler = guarded(st, Api::files, [&st](const httplib::Request& req, httplib::Response& res,
                                                  const std::optional<Fault>& fault) {
        // This route does its own Range handling (If-Range, 416); httplib must not slice again.
        const_cast<httplib::Request&>(req).ranges.clear();
        const std::string name = req.matches[1];
        const std::string expires = req.get_param_value("Expires");
        const std::string signature = req.get_param_value("Signature");
        std::string expected = net::crypto::hmac_sha256_hex(st.link_key, name + "\n" + expires);
        if (expires.empty() || !net::crypto::constant_time_equal(expected, signature))
            return access_denied(res, "The request signature we calculated does not match the signature you provided.");
        std::int64_t expiry = 0;
        try {
            expiry = std::stoll(expires);
        } catch (...) {
            return access_denied(res, "Invalid Expires");
        }
        if (epoch_ms() / 1000 >= expiry) return access_denied(res, "Request has expired");

        StoredFile file;
        {
            std::lock_guard lock(st.mutex);
            auto it = st.files.find(name);
            if (it == st.files.end()) {
                res.status = 404;
                res.set_content("<Error><Code>NoSuchKey</Code></Error>", "application/xml");
                return;
            }
            file = it->second;
        }
        const auto size = static_cast<std::int64_t>(file.bytes->size());
        res.set_header("ETag", file.etag);
        res.set_header("Accept-Ranges", "bytes");
        if (req.get_header_value("If-None-Match") == file.etag) {
            res.status = 304;
            return;
        }
        std::int64_t first = 0, last = size - 1;
        res.status = 200;
        std::string range_header = req.get_header_value("Range");
        std::string if_range = req.get_header_value("If-Range");
        // If-Range with another validator: the file changed, send all of it.
        if (!range_header.empty() && (if_range.empty() || if_range == file.etag)) {
            bool present = false;
            auto range = parse_range(range_header, size, present);
            if (present && !range) {
                res.status = 416;
                res.set_header("Content-Range", "bytes */" + std::to_string(size));
                return;
            }
            if (range) {
                first = range->first;
                last = range->second;
                res.status = 206;
                res.set_header("Content-Range",
                               "bytes " + std::to_string(first) + "-" + std::to_string(last) + "/" + std::to_string(size));
            }
        }
        const std::int64_t length = last - first + 1;
        if (req.method == "HEAD") {
            res.set_header("Content-Length", std::to_string(length));
            return;
        }
        if (length == 0) {
            // httplib takes a zero-length provider for "until closed"; an empty body is just empty.
            res.set_content("", file.content_type);
            return;
        }
        std::int64_t cut = fault && fault->drop_after_bytes >= 0 ? fault->drop_after_bytes : -1;
        auto bytes = file.bytes;
        res.set_content_provider(
            static_cast<size_t>(length), file.content_type,
            [bytes, first, cut](size_t offset, size_t want, httplib::DataSink& sink) {
                // A drop fault sends `cut` bytes of this response and then closes the connection.
                if (cut >= 0 && static_cast<std::int64_t>(offset) >= cut) return false;
                size_t n = std::min<size_t>(want, 16384);
                if (cut >= 0) n = std::min<size_t>(n, static_cast<size_t>(cut) - offset);
                sink.write(bytes->data() + first + offset, n);
                return true;
            });
    });
    st.server.Get(R"(/files/([A-Za-z0-9._-]+))", handler);
}

}  // namespace avpost::sandbox
