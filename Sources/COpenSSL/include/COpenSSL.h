#ifndef BERTH_COPENSSL_H
#define BERTH_COPENSSL_H
#include <stddef.h>
#include <stdint.h>

// SHA-256 and HMAC-SHA256 through OpenSSL 3's EVP interfaces, wrapped so Swift
// sees two plain functions (and no deprecated HMAC_* symbols).
// Both write 32 bytes to `out` and return 1 on success, 0 on failure.
int berth_sha256(const uint8_t *data, size_t length, uint8_t *out);
int berth_hmac_sha256(const uint8_t *key, size_t key_length,
                      const uint8_t *data, size_t length, uint8_t *out);


// AES-256-GCM with a 12-byte nonce and a 16-byte tag (for secrets at rest).
// Seal writes `length` bytes of ciphertext to `out` and the tag to `tag`; open verifies
// the tag and writes the plaintext. Both return 1 on success, 0 on failure (for open:
// a wrong key, a changed ciphertext or changed associated data).
int berth_aes256gcm_seal(const uint8_t *key, const uint8_t *nonce,
                         const uint8_t *aad, size_t aad_length,
                         const uint8_t *plaintext, size_t length,
                         uint8_t *out, uint8_t *tag);
int berth_aes256gcm_open(const uint8_t *key, const uint8_t *nonce,
                         const uint8_t *aad, size_t aad_length,
                         const uint8_t *ciphertext, size_t length,
                         const uint8_t *tag, uint8_t *out);
// Cryptographically secure random bytes; 1 on success.
int berth_random_bytes(uint8_t *out, size_t length);
// PBKDF2-HMAC-SHA256 (console passwords): `out_length` bytes to `out`; 1 on success.
int berth_pbkdf2_sha256(const uint8_t *password, size_t password_length, const uint8_t *salt, size_t salt_length,
                        uint32_t iterations, uint8_t *out, size_t out_length);
// 1 when the two buffers are equal, in time that depends only on `length`.
int berth_constant_time_equal(const uint8_t *a, const uint8_t *b, size_t length);

#endif
