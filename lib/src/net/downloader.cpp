#include "avpost/net/downloader.hpp"

#include <cstdio>
#include <fcntl.h>
#include <fstream>
#include <unistd.h>

#include "avpost/core/log.hpp"
#include "avpost/core/sha256.hpp"
#include "avpost/net/redact.hpp"
#include "avpost/net/service_error.hpp"

namespace avpost::net {
namespace fs = std::filesystem;

namespace {

struct FileCloser {
    void operator()(std::FILE* f) const { std::fclose(f); }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

std::string read_text(const fs::path& p) {
    std::ifstream in(p);
    std::string s;
    std::getline(in, s);
    return s;
}

// "bytes START-END/TOTAL" or "bytes */TOTAL": (start, total), -1 where absent.
std::pair<std::int64_t, std::int64_t> parse_content_range(const std::string& v) {
    std::int64_t start = -1, total = -1;
    std::size_t sp = v.find(' ');
    std::string rest = sp == std::string::npos ? v : v.substr(sp + 1);
    std::size_t slash = rest.find('/');
    std::string range = rest.substr(0, slash);
    if (range != "*") {
        try { start = std::stoll(range.substr(0, range.find('-'))); } catch (...) {}
    }
    if (slash != std::string::npos && rest.substr(slash + 1) != "*") {
        try { total = std::stoll(rest.substr(slash + 1)); } catch (...) {}
    }
    return {start, total};
}

void fsync_and_rename(const fs::path& from, const fs::path& to) {
    int fd = ::open(from.c_str(), O_RDONLY);
    if (fd >= 0) {
        ::fsync(fd);
        ::close(fd);
    }
    std::error_code ec;
    fs::rename(from, to, ec);
    if (ec) throw Error(ErrorDomain::system, "rename " + from.string() + " -> " + to.string(), ec.value(), ec.message());
    int dfd = ::open(to.parent_path().empty() ? "." : to.parent_path().c_str(), O_RDONLY | O_DIRECTORY);
    if (dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
    }
}

}  // namespace

DownloadResult Downloader::download(const std::string& url, const fs::path& destination, const DownloadOptions& options) {
    const fs::path part = fs::path(destination.string() + ".part");
    const fs::path meta = fs::path(destination.string() + ".part.etag");
    const std::string context = "download " + redact_url(url);
    DownloadResult result;
    result.path = destination;
    const RetryPolicy& retry = http_.options().retry;
    const int max_attempts = std::max(1, retry.max_attempts);

    for (int attempt = 1;; ++attempt) {
        std::error_code ec;
        std::int64_t offset = fs::exists(part, ec) ? static_cast<std::int64_t>(fs::file_size(part, ec)) : 0;
        std::string validator = offset > 0 ? read_text(meta) : std::string();
        if (offset > 0 && validator.empty()) offset = 0;  // cannot prove the partial bytes are current

        HttpRequest req;
        req.url = url;
        req.rate_limited = false;
        req.accept_compressed = false;
        req.context = context;
        if (offset > 0) {
            req.headers.emplace_back("Range", "bytes=" + std::to_string(offset) + "-");
            req.headers.emplace_back("If-Range", validator);
        }

        FilePtr file;
        std::unique_ptr<Sha256> hash;  // of the whole file, kept up to date while it streams in
        std::string error_body;
        std::int64_t written = offset, total = 0;
        bool bad_range = false;
        long seen_status = 0;
        // A partial that cannot be written (a full disk) is removed with its validator: it holds
        // the space a retry needs, and the retry may run elsewhere (another worker of the fleet).
        auto write_failed = [&](int error) {
            file.reset();
            std::error_code ignored;
            fs::remove(part, ignored);
            fs::remove(meta, ignored);
            throw_errno("write " + part.string(), error);
        };
        BodySink sink = [&](long status, const Headers& headers, std::string_view chunk) {
            seen_status = status;
            if (status != 200 && status != 206) {
                if (error_body.size() < 4096) error_body.append(chunk.substr(0, 4096 - error_body.size()));
                return true;
            }
            if (!file) {
                std::string etag = find_header(headers, "etag").value_or(find_header(headers, "last-modified").value_or(""));
                if (status == 206) {
                    auto [start, full] = parse_content_range(find_header(headers, "content-range").value_or(""));
                    if (start != offset) {
                        bad_range = true;
                        return false;
                    }
                    total = full;
                    ++result.resumes;
                } else {
                    if (offset > 0) ++result.restarts;  // the file changed or the server ignores Range
                    written = 0;
                    auto length = find_header(headers, "content-length");
                    total = length ? std::stoll(*length) : 0;
                }
                if (status == 206) {
                    // Appended to only while it still holds exactly the `offset` bytes the range
                    // asked for: a partial file removed or replaced meanwhile (a clean-up of
                    // another process) must not get the rest of a file glued onto nothing.
                    file.reset(std::fopen(part.c_str(), "r+b"));
                    if (!file || ::fseeko(file.get(), 0, SEEK_END) != 0 || ::ftello(file.get()) != offset) {
                        file.reset();
                        bad_range = true;
                        return false;
                    }
                } else {
                    file.reset(std::fopen(part.c_str(), "wb"));
                }
                if (!file) throw_errno("open " + part.string(), errno);
                hash = std::make_unique<Sha256>();
                // A resumed file's first bytes came from an earlier transfer (maybe another process).
                if (status == 206) sha256_update_from_file(*hash, part, 0, offset);
                if (!etag.empty()) {
                    std::ofstream(meta, std::ios::trunc) << etag << '\n';
                    result.etag = etag;
                } else {
                    fs::remove(meta, ec);
                }
            }
            if (std::fwrite(chunk.data(), 1, chunk.size(), file.get()) != chunk.size()) write_failed(errno);
            hash->update(chunk);
            written += static_cast<std::int64_t>(chunk.size());
            if (options.progress) options.progress(written, total);
            return true;
        };
        TransferResult tr = http_.perform(req, sink);
        result.attempts = attempt;
        if (file && std::fflush(file.get()) != 0) write_failed(errno);
        file.reset();
        long status = tr.status ? tr.status : seen_status;

        auto retry_or_throw = [&](ServiceErrorKind kind, ErrorDomain domain, std::int64_t code, const std::string& detail,
                                  std::optional<std::chrono::milliseconds> hint = std::nullopt) {
            if (attempt >= max_attempts) throw_service(kind, domain, context, code, detail);
            auto delay = http_.next_backoff(attempt);
            if (hint) delay = std::max(delay, std::min(*hint, retry.max_retry_after));
            log::debug(context + ": " + detail + "; retry in " + std::to_string(delay.count()) + " ms");
            http_.sleep_for(delay);
        };

        if (bad_range) {
            fs::remove(part, ec);  // the server resumed from elsewhere: start over
            retry_or_throw(ServiceErrorKind::network, ErrorDomain::http, 206, "unexpected Content-Range");
            continue;
        }
        if (tr.code != CURLE_OK && tr.code != CURLE_WRITE_ERROR) {
            if (!is_transient(tr.code))
                throw_service(ServiceErrorKind::network, ErrorDomain::curl, context, tr.code, redact_text(tr.error_text));
            retry_or_throw(ServiceErrorKind::network, ErrorDomain::curl, tr.code, redact_text(tr.error_text));
            continue;
        }
        if (status == 200 || status == 206) {
            if (status == 200 && !fs::exists(part, ec)) FilePtr(std::fopen(part.c_str(), "wb"));  // an empty file
            std::int64_t size = fs::exists(part, ec) ? static_cast<std::int64_t>(fs::file_size(part, ec)) : 0;
            if (total > 0 && status == 200 && size != total) {
                retry_or_throw(ServiceErrorKind::network, ErrorDomain::http, status,
                               "got " + std::to_string(size) + " of " + std::to_string(total) + " bytes");
                continue;
            }
            if (total > 0 && status == 206 && size != total) {
                retry_or_throw(ServiceErrorKind::network, ErrorDomain::http, status,
                               "got " + std::to_string(size) + " of " + std::to_string(total) + " bytes");
                continue;
            }
            result.bytes = size;
            result.sha256 = hash ? hash->hex() : sha256_file(part).sha256;  // no body at all: empty file
            break;
        }
        if (status == 416) {
            auto [start, full] = parse_content_range(find_header(tr.headers, "content-range").value_or(""));
            if (full >= 0 && full == offset) {
                result.bytes = offset;  // already complete
                result.sha256 = sha256_file(part).sha256;
                break;
            }
            fs::remove(part, ec);
            retry_or_throw(ServiceErrorKind::network, ErrorDomain::http, 416, "range not satisfiable");
            continue;
        }
        std::string body_line = redact_text(error_body.substr(0, std::min<std::size_t>(error_body.size(), 200)));
        if (status == 403)
            throw_service(ServiceErrorKind::link_expired, ErrorDomain::http, context, 403,
                          "HTTP 403: the signed link has expired or was revoked; ask the vendor for a fresh one" +
                              (body_line.find("xpired") != std::string::npos ? std::string(" (Request has expired)") : ""));
        if (is_transient_status(status)) {
            std::optional<std::chrono::milliseconds> hint;
            if (auto ra = find_header(tr.headers, "retry-after")) hint = RateLimiter::parse_retry_after(*ra);
            retry_or_throw(ServiceErrorKind::network, ErrorDomain::http, status, "HTTP " + std::to_string(status), hint);
            continue;
        }
        throw_service(status == 404 ? ServiceErrorKind::unknown_id : ServiceErrorKind::vendor, ErrorDomain::http, context,
                      status, "HTTP " + std::to_string(status));
    }

    if (options.verify) {
        try {
            options.verify(part, result.sha256);
        } catch (...) {
            std::error_code ec;
            fs::remove(part, ec);  // complete but unusable: a retry must start over
            fs::remove(meta, ec);
            throw;
        }
    }
    fsync_and_rename(part, destination);
    std::error_code ec;
    fs::remove(meta, ec);
    return result;
}

}  // namespace avpost::net
