/* agreement.h - signing agreements with organization keys (Ed25519).
 *
 * An agreement document is a JSON object {"agreement": {...}, "signatures": [...]}. What is
 * signed is the canonical JSON (json/jsx.h) of the "agreement" member, so whitespace and
 * key order in the file do not matter and any change to a term breaks every signature.
 * Each signature is {"org": SLUG, "public_key": BASE64(32 bytes), "signature": BASE64(64
 * bytes)}.
 *
 * An organization's key lives on its own machine in a key file: two lines, "truce-org-key
 * v1" and BASE64(32-byte Ed25519 seed), mode 0600. The server only ever sees the public
 * key, registered with POST /api/v1/orgs/{slug}/keys. */
#ifndef TRUCE_NEGOTIATE_AGREEMENT_H
#define TRUCE_NEGOTIATE_AGREEMENT_H

#include "core/buf.h"
#include "core/err.h"

#include <jansson.h>

#define AGR_PK_B64  45 /* base64 of 32 bytes + NUL */
#define AGR_SIG_B64 89 /* base64 of 64 bytes + NUL */

/* Creates a key file (fails if it exists) and writes its public key to pk_b64. */
int agr_keygen(const char *path, char pk_b64[AGR_PK_B64], tr_err *e);
/* Signs the agreement member of doc with the key in path. */
int agr_sign(const char *path, const json_t *doc, char sig_b64[AGR_SIG_B64], tr_err *e);
/* Signs with a key held in memory (libsodium 64-byte secret key): for scripted scenarios. */
int agr_sign_with(const unsigned char sk[64], const json_t *doc, char sig_b64[AGR_SIG_B64],
                  tr_err *e);
/* Checks one signature over doc's agreement member. 0 valid, -1 invalid (e says why). */
int agr_verify_one(const json_t *doc, const char *pk_b64, const char *sig_b64, tr_err *e);
/* Checks every signature of doc; fails on the first invalid one, or when there is none. */
int agr_verify(const json_t *doc, int *count, tr_err *e);
/* Decodes a base64 public key; 0 or -1. */
int agr_public_key(const char *b64, unsigned char pk[32]);

#endif
