#pragma once
// The few OpenSSL primitives the vendor clients and the sandbox need, with RAII owners.
#include <string>
#include <string_view>

namespace avpost::net::crypto {

std::string sha1_hex(std::string_view data);                               // lowercase hex
std::string hmac_sha256_hex(std::string_view key, std::string_view data);  // lowercase hex
std::string sha256_hex(std::string_view data);

std::string base64_encode(std::string_view bytes);
// Throws ServiceError(bad_response) on characters outside the alphabet or a bad length.
std::string base64_decode(std::string_view text);
std::string hex_encode(std::string_view bytes);
std::string hex_decode(std::string_view hex);  // throws on odd length or non-hex

// AES-CBC with PKCS#7 padding; the key length picks AES-128/192/256 (16/24/32 bytes), the IV
// must be 16 bytes. Decryption throws Error(crypto) on a wrong key length or bad padding.
std::string aes_cbc_encrypt(std::string_view plaintext, std::string_view key, std::string_view iv);
std::string aes_cbc_decrypt(std::string_view ciphertext, std::string_view key, std::string_view iv);

// Constant-time comparison (CRYPTO_memcmp); false when the lengths differ.
bool constant_time_equal(std::string_view a, std::string_view b);

// Random bytes from the OpenSSL DRBG, as lowercase hex of 2*n characters.
std::string random_hex(std::size_t n);

}  // namespace avpost::net::crypto
