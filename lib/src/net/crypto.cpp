#include "avpost/net/crypto.hpp"

#include "avpost/core/sha256.hpp"

#include <memory>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "avpost/net/service_error.hpp"

namespace avpost::net::crypto {
namespace {

struct CipherCtxDeleter {
    void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
struct MdCtxDeleter {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using CipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;

[[noreturn]] void throw_openssl(std::string context) {
    unsigned long code = ERR_get_error();
    char text[256] = "unknown OpenSSL error";
    if (code) ERR_error_string_n(code, text, sizeof text);
    ERR_clear_error();
    throw Error(ErrorDomain::crypto, std::move(context), static_cast<std::int64_t>(code), text);
}

std::string digest_hex(const EVP_MD* md, std::string_view data, const char* name) {
    MdCtxPtr ctx(EVP_MD_CTX_new());
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!ctx || EVP_DigestInit_ex(ctx.get(), md, nullptr) != 1 ||
        EVP_DigestUpdate(ctx.get(), data.data(), data.size()) != 1 || EVP_DigestFinal_ex(ctx.get(), out, &len) != 1)
        throw_openssl(name);
    return hex_encode(std::string_view(reinterpret_cast<char*>(out), len));
}

const EVP_CIPHER* cipher_for_key(std::size_t key_size) {
    switch (key_size) {
        case 16: return EVP_aes_128_cbc();
        case 24: return EVP_aes_192_cbc();
        case 32: return EVP_aes_256_cbc();
        default:
            throw Error(ErrorDomain::crypto, "AES-CBC key", static_cast<std::int64_t>(key_size),
                        "key must be 16, 24 or 32 bytes, got " + std::to_string(key_size));
    }
}

std::string aes_cbc(bool encrypt, std::string_view input, std::string_view key, std::string_view iv) {
    const EVP_CIPHER* cipher = cipher_for_key(key.size());
    if (iv.size() != 16)
        throw Error(ErrorDomain::crypto, "AES-CBC IV", static_cast<std::int64_t>(iv.size()), "IV must be 16 bytes");
    CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
    if (!ctx) throw_openssl("EVP_CIPHER_CTX_new");
    const auto* k = reinterpret_cast<const unsigned char*>(key.data());
    const auto* v = reinterpret_cast<const unsigned char*>(iv.data());
    if (EVP_CipherInit_ex(ctx.get(), cipher, nullptr, k, v, encrypt ? 1 : 0) != 1) throw_openssl("EVP_CipherInit_ex");
    std::string out(input.size() + 32, '\0');
    int len1 = 0, len2 = 0;
    auto* o = reinterpret_cast<unsigned char*>(out.data());
    if (EVP_CipherUpdate(ctx.get(), o, &len1, reinterpret_cast<const unsigned char*>(input.data()),
                         static_cast<int>(input.size())) != 1)
        throw_openssl(encrypt ? "AES-CBC encrypt" : "AES-CBC decrypt");
    if (EVP_CipherFinal_ex(ctx.get(), o + len1, &len2) != 1)
        throw_openssl(encrypt ? "AES-CBC encrypt" : "AES-CBC decrypt (bad padding or wrong key)");
    out.resize(static_cast<std::size_t>(len1 + len2));
    return out;
}

}  // namespace

std::string hex_encode(std::string_view bytes) { return to_hex(bytes); }

std::string hex_decode(std::string_view hex) {
    auto value = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    if (hex.size() % 2) throw_service(ServiceErrorKind::bad_response, ErrorDomain::input, "hex decode", 0, "odd length");
    std::string out;
    for (std::size_t i = 0; i < hex.size(); i += 2) {
        int hi = value(hex[i]), lo = value(hex[i + 1]);
        if (hi < 0 || lo < 0)
            throw_service(ServiceErrorKind::bad_response, ErrorDomain::input, "hex decode", 0, "not a hex digit");
        out += static_cast<char>(hi * 16 + lo);
    }
    return out;
}

std::string sha1_hex(std::string_view data) { return digest_hex(EVP_sha1(), data, "SHA-1"); }
std::string sha256_hex(std::string_view data) { return avpost::sha256_hex(data); }

std::string hmac_sha256_hex(std::string_view key, std::string_view data) { return to_hex(hmac_sha256(key, data)); }

std::string base64_encode(std::string_view bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

std::string base64_decode(std::string_view text) {
    std::string clean;
    for (char c : text)
        if (c != '\n' && c != '\r' && c != ' ') clean += c;
    auto fail = [] {
        throw_service(ServiceErrorKind::bad_response, ErrorDomain::input, "base64 decode", 0, "not valid Base64");
    };
    if (clean.empty() || clean.size() % 4) fail();
    for (std::size_t i = 0; i < clean.size(); ++i) {
        char c = clean[i];
        bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/' ||
                  (c == '=' && i >= clean.size() - 2);
        if (!ok) fail();
    }
    std::string out(clean.size() / 4 * 3, '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(clean.data()), static_cast<int>(clean.size()));
    if (n < 0) fail();
    // EVP_DecodeBlock keeps the bytes produced by '=' padding; drop them.
    std::size_t pad = clean.ends_with("==") ? 2 : clean.ends_with("=") ? 1 : 0;
    out.resize(static_cast<std::size_t>(n) - pad);
    return out;
}

std::string aes_cbc_encrypt(std::string_view plaintext, std::string_view key, std::string_view iv) {
    return aes_cbc(true, plaintext, key, iv);
}
std::string aes_cbc_decrypt(std::string_view ciphertext, std::string_view key, std::string_view iv) {
    return aes_cbc(false, ciphertext, key, iv);
}

bool constant_time_equal(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string random_hex(std::size_t n) {
    std::string bytes(n, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(n)) != 1) throw_openssl("RAND_bytes");
    return hex_encode(bytes);
}

}  // namespace avpost::net::crypto
