#ifndef BERTH_COPENSSL_H
#define BERTH_COPENSSL_H
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <openssl/rand.h>
#endif
