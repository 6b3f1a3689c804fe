#include "avpost/archive/file_record.hpp"

#include "avpost/archive/archiver.hpp"
#include "avpost/core/sha256.hpp"

namespace avpost::archive {

FileRecord record_file(std::string kind, std::string name, const std::filesystem::path& path) {
    FileRecord record;
    record.kind = std::move(kind);
    record.name = std::move(name);
    record.path = path;
    FileDigest digest = sha256_file(path);
    record.bytes = digest.size;
    record.sha256 = std::move(digest.sha256);
    if (should_probe(record.kind, path)) record.media = probe_media(path);
    return record;
}

}  // namespace avpost::archive
