#pragma once
// S3-compatible object storage, path-style (ENDPOINT/BUCKET/PREFIX/KEY), signed with SigV4.
// Small files go up in one PUT; larger ones as a multipart upload (aborted on failure). The
// file's SHA-256 travels as x-amz-meta-sha256 and every body's real SHA-256 as
// x-amz-content-sha256; after the upload a HEAD must report the expected size and hash.
#include <chrono>
#include <cstdint>

#include "avpost/archive/sigv4.hpp"
#include "avpost/archive/store.hpp"

namespace avpost::archive {

struct S3Config {
    std::string endpoint;  // "http://127.0.0.1:4568" (no trailing slash)
    std::string region = "us-east-1";
    SigV4Credentials credentials;
    std::string bucket;
    std::string prefix;  // no leading or trailing '/'
    std::int64_t multipart_threshold = 16 << 20;  // files at least this large use multipart
    std::int64_t part_size = 16 << 20;            // every part but the last
    std::chrono::seconds connect_timeout{10};
    std::chrono::seconds low_speed_time{60};      // abort a transfer stalled this long
    int max_attempts = 3;                          // per request, for transient failures
    std::chrono::milliseconds retry_delay{250};    // doubled after each failed attempt

    // From "s3://bucket/prefix" and AVPOST_S3_ENDPOINT (default https://s3.REGION.amazonaws.com),
    // AWS_REGION (or AWS_DEFAULT_REGION), AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN,
    // AVPOST_S3_PART_SIZE (bytes; also the multipart threshold).
    static S3Config from_environment(std::string_view s3_uri);
};

class S3Store final : public ArchiveStore {
public:
    explicit S3Store(S3Config config);
    std::string uri() const override;
    const S3Config& config() const { return config_; }

    ObjectInfo put(const std::filesystem::path& file, const std::string& key, const std::string& expected_sha256,
                   std::int64_t expected_size) override;
    ObjectInfo replace(const std::filesystem::path& file, const std::string& key, const std::string& expected_sha256,
                       std::int64_t expected_size) override;
    std::optional<ObjectInfo> stat(const std::string& key) override;
    ObjectDigest rehash(const std::string& key) override;
    ObjectDigest read(const std::string& key, const std::function<void(const char*, std::size_t)>& sink) override;

private:
    ObjectInfo upload(const std::filesystem::path& file, const std::string& key, const std::string& expected_sha256,
                      std::int64_t expected_size);
    std::string object_key(const std::string& key) const;
    void put_single(const std::filesystem::path& file, const std::string& object, const std::string& sha256,
                    std::int64_t size);
    void put_multipart(const std::filesystem::path& file, const std::string& object, const std::string& sha256,
                       std::int64_t size);
    S3Config config_;
};

}  // namespace avpost::archive
