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

#endif
