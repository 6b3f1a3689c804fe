#pragma once
// The default store: a directory tree under the archive root. Each file is copied to a temporary
// name beside its final one, hashed while copied, fsynced, renamed into place and the directory
// fsynced, then read back to confirm size and hash. A failed write (ENOSPC included) leaves no
// temporary file and never touches an existing file.
#include "avpost/archive/store.hpp"

namespace avpost::archive {

class LocalStore final : public ArchiveStore {
public:
    explicit LocalStore(std::filesystem::path root);
    std::string uri() const override;
    const std::filesystem::path& root() const { return root_; }
    std::filesystem::path path_of(const std::string& key) const;

    ObjectInfo put(const std::filesystem::path& file, const std::string& key, const std::string& expected_sha256,
                   std::int64_t expected_size) override;
    ObjectInfo replace(const std::filesystem::path& file, const std::string& key, const std::string& expected_sha256,
                       std::int64_t expected_size) override;
    std::optional<ObjectInfo> stat(const std::string& key) override;
    ObjectDigest rehash(const std::string& key) override;
    ObjectDigest read(const std::string& key, const std::function<void(const char*, std::size_t)>& sink) override;

private:
    ObjectInfo write(const std::filesystem::path& file, const std::string& key, const std::string& expected_sha256,
                     std::int64_t expected_size);
    std::filesystem::path root_;
};

}  // namespace avpost::archive
