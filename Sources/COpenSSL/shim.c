#include "COpenSSL.h"
#include <openssl/evp.h>
#include <openssl/hmac.h>

int berth_sha256(const uint8_t *data, size_t length, uint8_t *out) {
    unsigned int written = 0;
    return EVP_Digest(data, length, out, &written, EVP_sha256(), NULL) == 1 && written == 32;
}

int berth_hmac_sha256(const uint8_t *key, size_t key_length,
                      const uint8_t *data, size_t length, uint8_t *out) {
    unsigned int written = 0;
    // HMAC() is the one-shot EVP-backed helper; it is not deprecated in OpenSSL 3.
    unsigned char *result = HMAC(EVP_sha256(), key, (int)key_length, data, length, out, &written);
    return result != NULL && written == 32;
}
