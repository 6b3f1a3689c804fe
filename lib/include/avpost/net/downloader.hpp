#pragma once
// Downloads a (signed) result link to a file: written to "<file>.part", resumed with
// Range + If-Range after a cut, restarted on a 200 to a ranged request, checked against the
// announced size, verified decodable, then renamed into place. Error bodies never reach the file.
// A 403 is an expired signed link (ServiceError link_expired): ask the API for a fresh URL.
// Transfers are retried by the HttpClient's own RetryPolicy, the one API calls use, so one
// setting (AVPOST_HTTP_MAX_ATTEMPTS) bounds both.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include "avpost/net/http_client.hpp"

namespace avpost::net {

struct DownloadOptions {
    // Run on the complete .part file before the rename, with its SHA-256 (computed while the bytes
    // streamed in); throws to reject it. Empty: none.
    std::function<void(const std::filesystem::path& file, const std::string& sha256)> verify;
    std::function<void(std::int64_t done, std::int64_t total)> progress;  // total 0 when unknown
};

struct DownloadResult {
    std::filesystem::path path;
    std::int64_t bytes = 0;
    std::string etag;
    std::string sha256;  // of the complete file, lowercase hex
    int attempts = 0;   // transfers made
    int resumes = 0;    // transfers that continued a partial file (206)
    int restarts = 0;   // ranged requests answered with the whole file (200)
};

class Downloader {
public:
    explicit Downloader(HttpClient& http) : http_(http) {}
    DownloadResult download(const std::string& url, const std::filesystem::path& destination,
                            const DownloadOptions& options = {});

private:
    HttpClient& http_;
};

// Opens `path` with libavformat and decodes the first frames of its video stream; throws
// Error(input) when there is no decodable video.
void verify_decodable_video(const std::filesystem::path& path, int frames = 2);

}  // namespace avpost::net
