/* note.h - C2SP signed notes (v1.0.0) with Ed25519, and tlog checkpoints (v1.0.0).
 *
 * A signed note is UTF-8 text ending in a newline, a blank line, and one or more signature
 * lines "— NAME BASE64(KEYID || SIGNATURE)\n" (U+2014 em dash). The key id is the first 4
 * bytes, big-endian, of SHA-256(NAME || 0x0A || 0x01 || PUBLIC KEY); 0x01 marks Ed25519.
 * Keys travel as text:
 *
 *   verifier  NAME+KEYID+BASE64(0x01 || public key)          (KEYID: 8 hex digits)
 *   signer    PRIVATE+KEY+NAME+KEYID+BASE64(0x01 || seed)
 *
 * A checkpoint is the note text "ORIGIN\nSIZE\nBASE64(ROOT)\n": the log's origin line, the
 * tree size in decimal and the root hash. */
#ifndef TRUCE_JOURNAL_NOTE_H
#define TRUCE_JOURNAL_NOTE_H

#include "core/buf.h"
#include "core/err.h"
#include "journal/merkle.h"

#include <stdint.h>

#define NOTE_NAME_MAX 256

typedef struct note_verifier {
    char name[NOTE_NAME_MAX];
    uint32_t id;
    unsigned char pk[32];
} note_verifier;

typedef struct note_signer {
    note_verifier v;      /* The public half. */
    unsigned char sk[64]; /* libsodium secret key (seed || public key). */
} note_signer;

/* Is this a valid key name: non-empty, no whitespace, no '+'? */
int note_name_valid(const char *name);
uint32_t note_key_id(const char *name, const unsigned char pk[32]);

int note_signer_generate(note_signer *s, const char *name, tr_err *e);
int note_signer_parse(note_signer *s, const char *text, tr_err *e);
void note_signer_format(const note_signer *s, buf *out);
int note_verifier_parse(note_verifier *v, const char *text, tr_err *e);
void note_verifier_format(const note_verifier *v, buf *out);

/* Appends the signed note for text (which must end in '\n') to out. */
void note_sign(const note_signer *s, const char *text, buf *out);
/* Checks that `note` carries a valid signature by v. On success, when text is not NULL,
 * sets *text to a malloc'd copy of the note text. */
int note_verify(const note_verifier *v, const char *note, char **text, tr_err *e);

/* Checkpoints. */
void note_checkpoint_text(buf *out, const char *origin, int64_t size, const merkle_hash root);
int note_checkpoint_parse(const char *text, char *origin, size_t cap, int64_t *size,
                          merkle_hash root, tr_err *e);

/* Loads the signer key file at path (see journal_key_path). */
int note_signer_load(note_signer *s, const char *path, tr_err *e);
/* Writes a new key file with mode 0600; fails if it exists. */
int note_signer_save(const note_signer *s, const char *path, tr_err *e);

#endif
