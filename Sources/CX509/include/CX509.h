#ifndef BERTH_CX509_H
#define BERTH_CX509_H
// OpenSSL's key, X.509 and PEM interfaces for the per-cluster certificate authority
// (Sources/Provisioning/TLS). A module of its own, so that only the code making certificates
// sees this much of OpenSSL; COpenSSL stays a handful of digest and cipher helpers.
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

// BIO_get_mem_data is a macro: the bytes a memory BIO holds, and how many.
long berth_bio_mem_data(BIO *bio, const char **data);

#endif
