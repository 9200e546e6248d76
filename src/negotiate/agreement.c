/* agreement.c - Ed25519 signatures over canonical agreements; see agreement.h. */
#include "negotiate/agreement.h"

#include "json/jsx.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char MAGIC[] = "truce-org-key v1";

int agr_public_key(const char *b64, unsigned char pk[32])
{
    size_t len;
    if (!b64 ||
        sodium_base642bin(pk, 32, b64, strlen(b64), NULL, &len, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        len != 32)
        return -1;
    return 0;
}

int agr_keygen(const char *path, char pk_b64[AGR_PK_B64], tr_err *e)
{
    unsigned char seed[32], pk[32], sk[64];
    char seed_b64[AGR_PK_B64];
    buf b = BUF_INIT;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0)
        return err_set(e, 400, "keyfile.exists", "choose another --out path",
                       "cannot create %s: %s", path, strerror(errno));
    randombytes_buf(seed, sizeof seed);
    crypto_sign_seed_keypair(pk, sk, seed);
    sodium_bin2base64(seed_b64, sizeof seed_b64, seed, 32, sodium_base64_VARIANT_ORIGINAL);
    buf_printf(&b, "%s\n%s\n", MAGIC, seed_b64);
    ssize_t w = write(fd, b.p, b.len);
    int ok = w == (ssize_t)b.len && fsync(fd) == 0;
    close(fd);
    sodium_memzero(b.p, b.len);
    buf_free(&b);
    sodium_memzero(seed, sizeof seed);
    sodium_memzero(sk, sizeof sk);
    sodium_memzero(seed_b64, sizeof seed_b64);
    if (!ok) return err_set(e, 500, "key.write", NULL, "cannot write %s", path);
    sodium_bin2base64(pk_b64, AGR_PK_B64, pk, 32, sodium_base64_VARIANT_ORIGINAL);
    return 0;
}

static int load_key(const char *path, unsigned char sk[64], tr_err *e)
{
    char line1[64] = "", line2[128] = "";
    unsigned char seed[32], pk[32];
    size_t len;
    FILE *f = fopen(path, "r");
    if (!f)
        return err_set(e, 400, "keyfile.missing", "make one with 'truce keygen --out FILE'",
                       "cannot read the key %s: %s", path, strerror(errno));
    if (!fgets(line1, sizeof line1, f) || !fgets(line2, sizeof line2, f)) line1[0] = 0;
    fclose(f);
    line1[strcspn(line1, "\n")] = 0;
    line2[strcspn(line2, "\n")] = 0;
    if (strcmp(line1, MAGIC) != 0 ||
        sodium_base642bin(seed, 32, line2, strlen(line2), NULL, &len, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        len != 32) {
        sodium_memzero(line2, sizeof line2);
        return err_set(e, 400, "key.bad", "make one with 'truce keygen --out FILE'",
                       "%s is not a truce organization key", path);
    }
    crypto_sign_seed_keypair(pk, sk, seed);
    sodium_memzero(seed, sizeof seed);
    sodium_memzero(line2, sizeof line2);
    return 0;
}

/* The bytes that are signed: the canonical agreement member. */
static char *signed_bytes(const json_t *doc, size_t *len, tr_err *e)
{
    const json_t *a = json_object_get(doc, "agreement");
    if (!json_is_object(a)) {
        err_set(e, 400, "agreement.bad", "give the agreement document the server returned",
                "the document has no \"agreement\" object");
        return NULL;
    }
    return jsx_canonical(a, len);
}

int agr_sign_with(const unsigned char sk[64], const json_t *doc, char sig_b64[AGR_SIG_B64],
                  tr_err *e)
{
    unsigned char sig[64];
    size_t len;
    char *bytes = signed_bytes(doc, &len, e);
    if (!bytes) return -1;
    crypto_sign_detached(sig, NULL, (const unsigned char *)bytes, len, sk);
    free(bytes);
    sodium_bin2base64(sig_b64, AGR_SIG_B64, sig, 64, sodium_base64_VARIANT_ORIGINAL);
    return 0;
}

int agr_sign(const char *path, const json_t *doc, char sig_b64[AGR_SIG_B64], tr_err *e)
{
    unsigned char sk[64];
    int rc;
    if (load_key(path, sk, e)) return -1;
    rc = agr_sign_with(sk, doc, sig_b64, e);
    sodium_memzero(sk, sizeof sk);
    return rc;
}

int agr_verify_one(const json_t *doc, const char *pk_b64, const char *sig_b64, tr_err *e)
{
    unsigned char pk[32], sig[64];
    size_t len, slen;
    char *bytes;
    int ok;
    if (agr_public_key(pk_b64, pk))
        return err_set(e, 400, "signature.bad_key", NULL,
                       "the public key is not 32 bytes of base64");
    if (!sig_b64 ||
        sodium_base642bin(sig, 64, sig_b64, strlen(sig_b64), NULL, &slen, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        slen != 64)
        return err_set(e, 400, "signature.malformed", "send the output of 'truce sign'",
                       "the signature is not 64 bytes of base64");
    if (!(bytes = signed_bytes(doc, &len, e))) return -1;
    ok = crypto_sign_verify_detached(sig, (const unsigned char *)bytes, len, pk) == 0;
    free(bytes);
    if (!ok)
        return err_set(e, 400, "signature.invalid",
                       "sign exactly the agreement as the server drafted it",
                       "the signature does not verify against the agreement and the key");
    return 0;
}

int agr_verify(const json_t *doc, int *count, tr_err *e)
{
    const json_t *sigs = json_object_get(doc, "signatures"), *s;
    size_t i;
    *count = 0;
    if (!json_is_array(sigs) || json_array_size(sigs) == 0)
        return err_set(e, 400, "agreement.unsigned", NULL, "the agreement carries no signatures");
    json_array_foreach(sigs, i, s)
    {
        const char *org = json_string_value(json_object_get(s, "org"));
        if (agr_verify_one(doc, json_string_value(json_object_get(s, "public_key")),
                           json_string_value(json_object_get(s, "signature")), e)) {
            char msg[sizeof e->message + 128];
            snprintf(msg, sizeof msg, "signature %zu (%.64s): %s", i + 1, org ? org : "?",
                     e->message);
            memcpy(e->message, msg, sizeof e->message - 1);
            e->message[sizeof e->message - 1] = 0;
            return -1;
        }
        (*count)++;
    }
    return 0;
}
