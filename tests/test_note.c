/* test_note.c - C2SP signed notes and checkpoints against the published vectors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "journal/note.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *vectors(void)
{
    char p[1024];
    const char *data = getenv("TRUCE_DATA");
    if (!data) fail_msg("TRUCE_DATA is not set; run through make test");
    snprintf(p, sizeof p, "%s/tlog/signed_note_vectors.json", data);
    json_t *v = json_load_file(p, 0, NULL);
    if (!v) fail_msg("cannot read %s", p);
    return v;
}

static void vectors_reproduce_byte_for_byte(void **state)
{
    json_t *v = vectors();
    json_t *key = json_array_get(json_object_get(v, "keys"), 0);
    note_signer s;
    note_verifier ver;
    tr_err e = TR_ERR_INIT;
    buf b = BUF_INIT;
    (void)state;
    assert_int_equal(
        note_signer_parse(&s, json_string_value(json_object_get(key, "signer_key")), &e), 0);
    note_verifier_format(&s.v, &b);
    assert_string_equal(b.p, json_string_value(json_object_get(key, "verifier_key")));
    buf_reset(&b);
    note_signer_format(&s, &b);
    assert_string_equal(b.p, json_string_value(json_object_get(key, "signer_key")));
    buf_reset(&b);
    char id[9];
    snprintf(id, sizeof id, "%08x", s.v.id);
    assert_string_equal(id, json_string_value(json_object_get(key, "key_id_hex")));

    size_t i;
    json_t *n;
    json_array_foreach(json_object_get(v, "notes"), i, n)
    {
        const char *text = json_string_value(json_object_get(n, "text"));
        const char *line = json_string_value(json_object_get(n, "signature_line"));
        char *note = malloc(strlen(text) + strlen(line) + 3);
        sprintf(note, "%s\n%s\n", text, line);
        if (json_object_get(n, "signed_by")) {
            /* Ed25519 is deterministic: signing must give the published bytes. */
            buf_reset(&b);
            note_sign(&s, text, &b);
            assert_string_equal(b.p, note);
            assert_int_equal(note_verify(&s.v, note, NULL, &e), 0);
        } else {
            assert_int_equal(note_verifier_parse(
                                 &ver, json_string_value(json_object_get(n, "verifier_key")), &e),
                             0);
            char *got = NULL;
            assert_int_equal(note_verify(&ver, note, &got, &e), 0);
            assert_string_equal(got, text);
            free(got);
            /* One changed byte of text breaks it. */
            note[0] ^= 1;
            assert_int_equal(note_verify(&ver, note, NULL, &e), -1);
            assert_string_equal(e.code, "log.bad_signature");
            err_clear(&e);
            /* The other key does not verify it. */
            note[0] ^= 1;
            assert_int_equal(note_verify(&s.v, note, NULL, &e), -1);
            err_clear(&e);
        }
        free(note);
    }
    buf_free(&b);
    json_decref(v);
}

static void keys_and_checkpoints_round_trip(void **state)
{
    note_signer s, s2;
    note_verifier v;
    tr_err e = TR_ERR_INIT;
    buf b = BUF_INIT, text = BUF_INIT;
    merkle_hash root, root2;
    char origin[64];
    int64_t size;
    (void)state;
    assert_int_equal(note_signer_generate(&s, "has space", &e), -1);
    err_clear(&e);
    assert_int_equal(note_signer_generate(&s, "a+b", &e), -1);
    err_clear(&e);
    assert_int_equal(note_signer_generate(&s, "truce.example/gaza-2025", &e), 0);
    note_signer_format(&s, &b);
    assert_int_equal(note_signer_parse(&s2, b.p, &e), 0);
    assert_memory_equal(s.sk, s2.sk, 64);
    buf_reset(&b);
    note_verifier_format(&s.v, &b);
    assert_int_equal(note_verifier_parse(&v, b.p, &e), 0);
    assert_int_equal(v.id, s.v.id);
    /* A damaged key is refused. */
    b.p[b.len - 3] = b.p[b.len - 3] == 'A' ? 'B' : 'A';
    assert_int_equal(note_verifier_parse(&v, b.p, &e), -1);
    err_clear(&e);
    assert_int_equal(note_verifier_parse(&v, "nonsense", &e), -1);
    err_clear(&e);

    randombytes_buf(root, sizeof root);
    note_checkpoint_text(&text, "truce.example/gaza-2025", 1234567, root);
    buf_reset(&b);
    note_sign(&s, text.p, &b);
    char *got;
    assert_int_equal(note_verify(&s.v, b.p, &got, &e), 0);
    assert_int_equal(note_checkpoint_parse(got, origin, sizeof origin, &size, root2, &e), 0);
    assert_string_equal(origin, "truce.example/gaza-2025");
    assert_int_equal(size, 1234567);
    assert_memory_equal(root, root2, 32);
    free(got);
    assert_int_equal(
        note_checkpoint_parse("o\n012\nAAAA\n", origin, sizeof origin, &size, root2, &e), -1);
    err_clear(&e);
    assert_int_equal(note_checkpoint_parse("o\n-1\n", origin, sizeof origin, &size, root2, &e), -1);
    err_clear(&e);
    buf_free(&b);
    buf_free(&text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(vectors_reproduce_byte_for_byte),
        cmocka_unit_test(keys_and_checkpoints_round_trip),
    };
    if (sodium_init() < 0) return 1;
    return cmocka_run_group_tests_name("note", tests, NULL, NULL);
}
