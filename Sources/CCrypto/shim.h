#ifndef ESUCTL_CCRYPTO_SHIM_H
#define ESUCTL_CCRYPTO_SHIM_H
#include <openssl/evp.h>
#include <openssl/hmac.h>

/* One-shot wrappers so Swift never touches OpenSSL's context structs. Return 1 on success. */
static inline int esu_sha256(const void *data, size_t len, unsigned char out[32]) {
    unsigned int outlen = 0;
    return EVP_Digest(data, len, out, &outlen, EVP_sha256(), NULL) == 1 && outlen == 32;
}

static inline int esu_hmac_sha1(const void *key, size_t keylen, const void *data, size_t len,
                                unsigned char out[20]) {
    unsigned int outlen = 0;
    return HMAC(EVP_sha1(), key, (int)keylen, data, len, out, &outlen) != NULL && outlen == 20;
}
#endif
