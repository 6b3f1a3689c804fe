#include "avpost/core/sha256.hpp"

#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "avpost/core/error.hpp"

namespace avpost {
namespace {

[[noreturn]] void throw_openssl(std::string context) {
    unsigned long code = ERR_get_error();
    char text[256] = "unknown OpenSSL error";
    if (code != 0) ERR_error_string_n(code, text, sizeof text);
    throw Error(ErrorDomain::crypto, std::move(context), std::int64_t(code), text);
}

struct MdCtxDeleter {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

}  // namespace

struct Sha256::Ctx {
    std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> md;
};

Sha256::Sha256() : ctx_(std::make_unique<Ctx>()) {
    ctx_->md.reset(EVP_MD_CTX_new());
    if (!ctx_->md) throw_openssl("EVP_MD_CTX_new");
    if (EVP_DigestInit_ex(ctx_->md.get(), EVP_sha256(), nullptr) != 1) throw_openssl("EVP_DigestInit_ex(sha256)");
}

Sha256::~Sha256() = default;

void Sha256::update(const void* data, std::size_t size) {
    if (EVP_DigestUpdate(ctx_->md.get(), data, size) != 1) throw_openssl("EVP_DigestUpdate");
}

std::string Sha256::hex() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_DigestFinal_ex(ctx_->md.get(), digest, &length) != 1) throw_openssl("EVP_DigestFinal_ex");
    return to_hex(std::string_view(reinterpret_cast<const char*>(digest), length));
}

std::string sha256_hex(std::string_view bytes) {
    Sha256 h;
    h.update(bytes);
    return h.hex();
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (!HMAC(EVP_sha256(), key.data(), int(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
              data.size(), out, &length))
        throw_openssl("HMAC-SHA256");
    return std::string(reinterpret_cast<const char*>(out), length);
}

std::string to_hex(std::string_view bytes) {
    static const char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (unsigned char c : bytes) {
        out += digits[c >> 4];
        out += digits[c & 15];
    }
    return out;
}

std::int64_t sha256_update_from_file(Sha256& hash, const std::filesystem::path& file, std::int64_t offset,
                                     std::int64_t length) {
    int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw_errno("open '" + file.string() + "' to hash", errno);
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};
    std::vector<char> buf(1 << 20);
    std::int64_t done = 0, pos = offset;
    while (length < 0 || done < length) {
        std::size_t want = buf.size();
        if (length >= 0) want = std::size_t(std::min<std::int64_t>(std::int64_t(want), length - done));
        ssize_t n = ::pread(fd, buf.data(), want, pos);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw_errno("read '" + file.string() + "' to hash", errno);
        }
        if (n == 0) break;
        hash.update(buf.data(), std::size_t(n));
        done += n;
        pos += n;
    }
    if (length >= 0 && done != length)
        throw_input("hash '" + file.string() + "'", "file ended after " + std::to_string(offset + done) +
                                                       " bytes, expected " + std::to_string(offset + length));
    return done;
}

FileDigest sha256_file(const std::filesystem::path& file, std::int64_t offset, std::int64_t length) {
    Sha256 hash;
    FileDigest digest;
    digest.size = sha256_update_from_file(hash, file, offset, length);
    digest.sha256 = hash.hex();
    return digest;
}

bool is_sha256_hex(std::string_view text) {
    if (text.size() != 64) return false;
    for (char c : text)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}

}  // namespace avpost
