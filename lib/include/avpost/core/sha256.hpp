#pragma once
// Streaming SHA-256 over OpenSSL EVP, for hashing files while they are downloaded, copied or
// uploaded, and the hex and HMAC helpers that go with it.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace avpost {

class Sha256 {
public:
    Sha256();
    ~Sha256();
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;
    void update(const void* data, std::size_t size);
    void update(std::string_view bytes) { update(bytes.data(), bytes.size()); }
    std::string hex();  // finishes the digest; lowercase hex

private:
    struct Ctx;
    std::unique_ptr<Ctx> ctx_;
};

std::string sha256_hex(std::string_view bytes);
std::string hmac_sha256(std::string_view key, std::string_view data);  // raw 32 bytes
std::string to_hex(std::string_view bytes);

struct FileDigest {
    std::int64_t size = 0;
    std::string sha256;
};
// Feeds `length` bytes of a file from `offset` (to the end when negative) into `hash`; returns
// the number of bytes read. Throws when the file is shorter than a given length.
std::int64_t sha256_update_from_file(Sha256& hash, const std::filesystem::path& file, std::int64_t offset = 0,
                                     std::int64_t length = -1);
// Hashes a byte range of a file (the whole file by default).
FileDigest sha256_file(const std::filesystem::path& file, std::int64_t offset = 0, std::int64_t length = -1);

bool is_sha256_hex(std::string_view text);

}  // namespace avpost
