#pragma once
// Where archived files live. A store confirms what it holds (size and SHA-256 as the store
// itself reports them) before the catalog may call a file stored.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "avpost/core/error.hpp"

namespace avpost::archive {

struct ObjectInfo {
    std::int64_t size = 0;
    // The SHA-256 the store keeps for the object: recomputed from the bytes by a local store, the
    // x-amz-meta-sha256 metadata of an S3 object (empty when the object has none).
    std::string sha256;
};

struct ObjectDigest {
    std::int64_t size = 0;
    std::string sha256;           // computed from the bytes just read back
    std::string recorded_sha256;  // what the store recorded at put time (S3 metadata), if any
};

class ArchiveStore {
public:
    virtual ~ArchiveStore() = default;
    // "file:///abs/root" or "s3://bucket/prefix"; recorded in the catalog with each asset.
    virtual std::string uri() const = 0;

    // Stores `file` under `key`, checking it has `expected_sha256` and `expected_size`, and
    // returns what the store confirms after the write. Putting identical content again is a no-op;
    // a key that already holds different content is refused (Error(input)) and left alone. (The S3
    // store overwrites an object shorter than the file and without its sha256 metadata: what a
    // non-atomic store kept of a failed upload.)
    virtual ObjectInfo put(const std::filesystem::path& file, const std::string& key,
                           const std::string& expected_sha256, std::int64_t expected_size) = 0;
    // As put, but replaces whatever the key holds: `avpost archive repair` only, once the catalog's
    // hash says which content belongs there and `file` has it.
    virtual ObjectInfo replace(const std::filesystem::path& file, const std::string& key,
                               const std::string& expected_sha256, std::int64_t expected_size) = 0;
    // nullopt when there is no object under key.
    virtual std::optional<ObjectInfo> stat(const std::string& key) = 0;
    // Reads the whole object back and hashes it (for verify). Throws when it is missing.
    virtual ObjectDigest rehash(const std::string& key) = 0;
    // Streams the object's bytes to `sink`, hashing them on the way (for export). Throws
    // Error(input) "... is missing" when there is no object under key.
    virtual ObjectDigest read(const std::string& key, const std::function<void(const char*, std::size_t)>& sink) = 0;
};

// The file handed to put or replace no longer holds the bytes it was recorded with (size and
// SHA-256 checked while the store copied or uploaded it): changed on the local disk after it was
// downloaded or written. Nothing was stored.
class ContentChanged : public Error {
public:
    using Error::Error;
};

// How to restore a stored copy that differs from the catalog (the end of a "refusing to
// overwrite" message).
inline constexpr const char* repair_hint =
    "run `avpost archive repair` (it restores the catalog's content from a local copy or the vendor)";

// Checks a store key: relative, '/'-separated, no empty, "." or ".." segments.
void check_store_key(std::string_view key);

// The readable layout: VENDOR/YYYY-MM/JOB_ID/NAME, month of the job's creation (UTC).
std::string asset_store_key(std::string_view vendor, std::int64_t job_created_at, std::string_view vendor_job_id,
                            std::string_view name);

// The archive root: `explicit_root` if given, else $AVPOST_ARCHIVE, else $XDG_DATA_HOME/avpost,
// else ~/.local/share/avpost.
std::filesystem::path archive_root(const std::filesystem::path& explicit_root = {});

// Opens the store a URI names: "file:///abs/dir" or a plain path, or "s3://bucket/prefix"
// (endpoint and credentials from the environment, see S3Config::from_environment).
std::unique_ptr<ArchiveStore> open_store(std::string_view uri);

// Where a stored file is, as a valid URI to show people and tools (RFC 3986): a local root made
// lexically normal ("a/../b" is "b"), every byte but unreserved ones and '/' percent-encoded. The
// store's recorded URI stays its identity; this is only how a file's place is written out.
std::string stored_file_uri(std::string_view store_uri, std::string_view key);

}  // namespace avpost::archive
