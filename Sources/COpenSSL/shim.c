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

#include <openssl/rand.h>

static int gcm(int encrypt, const uint8_t *key, const uint8_t *nonce, const uint8_t *aad, size_t aad_length,
               const uint8_t *in, size_t length, uint8_t *out, uint8_t *tag) {
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (ctx == NULL) return 0;
    int ok = 0, written = 0;
    if (EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL, encrypt) != 1) goto done;
    if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) != 1) goto done;
    if (EVP_CipherInit_ex(ctx, NULL, NULL, key, nonce, encrypt) != 1) goto done;
    if (aad_length > 0 && EVP_CipherUpdate(ctx, NULL, &written, aad, (int)aad_length) != 1) goto done;
    if (length > 0 && EVP_CipherUpdate(ctx, out, &written, in, (int)length) != 1) goto done;
    if (!encrypt && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, (void *)tag) != 1) goto done;
    if (EVP_CipherFinal_ex(ctx, out + written, &written) != 1) goto done;
    if (encrypt && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, tag) != 1) goto done;
    ok = 1;
done:
    EVP_CIPHER_CTX_free(ctx);
    return ok;
}

int berth_aes256gcm_seal(const uint8_t *key, const uint8_t *nonce, const uint8_t *aad, size_t aad_length,
                         const uint8_t *plaintext, size_t length, uint8_t *out, uint8_t *tag) {
    return gcm(1, key, nonce, aad, aad_length, plaintext, length, out, tag);
}

int berth_aes256gcm_open(const uint8_t *key, const uint8_t *nonce, const uint8_t *aad, size_t aad_length,
                         const uint8_t *ciphertext, size_t length, const uint8_t *tag, uint8_t *out) {
    return gcm(0, key, nonce, aad, aad_length, ciphertext, length, out, (uint8_t *)tag);
}

int berth_random_bytes(uint8_t *out, size_t length) {
    return RAND_bytes(out, (int)length) == 1;
}

#include <openssl/crypto.h>

int berth_pbkdf2_sha256(const uint8_t *password, size_t password_length, const uint8_t *salt, size_t salt_length,
                        uint32_t iterations, uint8_t *out, size_t out_length) {
    if (iterations == 0 || iterations > 0x7fffffff) return 0;
    return PKCS5_PBKDF2_HMAC((const char *)password, (int)password_length, salt, (int)salt_length, (int)iterations,
                             EVP_sha256(), (int)out_length, out) == 1;
}

int berth_constant_time_equal(const uint8_t *a, const uint8_t *b, size_t length) {
    return CRYPTO_memcmp(a, b, length) == 0;
}
