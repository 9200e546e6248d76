/* fuzz_note.c - C2SP signed notes, checkpoints and key texts, as `truce audit` reads them
 * from a server it does not trust (GET /api/v1/log/checkpoint) and from key files. Every
 * input must parse or fail with a 4xx; a note that verifies must carry its text back, and
 * a checkpoint that parses must have a non-negative size and an origin that fits. */
#include "fuzz.h"

#include "journal/note.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static void clear(tr_err *e, int rc)
{
    if (rc != 0 && (e->status < 400 || e->status > 499 || !e->message[0])) abort();
    err_clear(e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static note_signer key;
    static int ready;
    tr_err e = TR_ERR_INIT;
    char *text = fuzz_text(data, size), *body = NULL, origin[256];
    int64_t tree_size = -1;
    merkle_hash root;
    note_verifier v;
    note_signer sk;

    if (!ready) {
        if (sodium_init() < 0 || note_signer_generate(&key, "fuzz.truce/log", &e)) abort();
        ready = 1;
    }
    int rc = note_verify(&key.v, text, &body, &e);
    if (rc == 0 && !body) abort();
    clear(&e, rc);
    /* The input as a checkpoint's text (what follows a verified note's signature check). */
    rc = note_checkpoint_parse(body ? body : text, origin, sizeof origin, &tree_size, root, &e);
    if (rc == 0 && (tree_size < 0 || strlen(origin) >= sizeof origin)) abort();
    clear(&e, rc);
    clear(&e, note_verifier_parse(&v, text, &e));
    clear(&e, note_signer_parse(&sk, text, &e));
    /* A note signed here over any text that ends in a newline verifies, and gives it back. */
    if (size && text[size - 1] == '\n' && strlen(text) == size) {
        buf signed_note = BUF_INIT;
        char *back = NULL;
        note_sign(&key, text, &signed_note);
        if (note_verify(&key.v, signed_note.p, &back, &e) == 0) {
            if (strcmp(back, text) != 0) abort();
        } else if (e.status != 400 || !e.message[0]) {
            abort();
        }
        err_clear(&e);
        free(back);
        buf_free(&signed_note);
    }
    free(body);
    free(text);
    return 0;
}
