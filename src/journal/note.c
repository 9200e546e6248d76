/* note.c - C2SP signed notes and checkpoints; see note.h. */
#include "journal/note.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define EM_DASH "\xe2\x80\x94"

int note_name_valid(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n >= NOTE_NAME_MAX) return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c <= 0x20 || c == '+' || c == 0x7f) return 0;
    }
    return 1;
}

uint32_t note_key_id(const char *name, const unsigned char pk[32])
{
    crypto_hash_sha256_state st;
    unsigned char h[32], sep[2] = {0x0a, 0x01};
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, (const unsigned char *)name, strlen(name));
    crypto_hash_sha256_update(&st, sep, 2);
    crypto_hash_sha256_update(&st, pk, 32);
    crypto_hash_sha256_final(&st, h);
    return (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
}

static int b64_decode(unsigned char *out, size_t cap, size_t *len, const char *in, size_t n)
{
    return sodium_base642bin(out, cap, in, n, NULL, len, NULL, sodium_base64_VARIANT_ORIGINAL);
}

static void b64_append(buf *b, const unsigned char *in, size_t n)
{
    char tmp[256];
    sodium_bin2base64(tmp, sizeof tmp, in, n, sodium_base64_VARIANT_ORIGINAL);
    buf_puts(b, tmp);
}

int note_signer_generate(note_signer *s, const char *name, tr_err *e)
{
    if (!note_name_valid(name))
        return err_set(e, 400, "log.bad_name", "use a name without spaces or '+'",
                       "'%s' cannot name a log key", name);
    memset(s, 0, sizeof *s);
    snprintf(s->v.name, sizeof s->v.name, "%s", name);
    crypto_sign_keypair(s->v.pk, s->sk);
    s->v.id = note_key_id(name, s->v.pk);
    return 0;
}

/* Splits "A+B+C..." into at most `want` fields on the first want-1 '+' signs. */
static int split_plus(const char *text, const char **field, size_t *len, int want)
{
    const char *p = text;
    for (int i = 0; i < want - 1; i++) {
        const char *q = strchr(p, '+');
        if (!q) return -1;
        field[i] = p;
        len[i] = (size_t)(q - p);
        p = q + 1;
    }
    field[want - 1] = p;
    len[want - 1] = strcspn(p, "\r\n");
    return 0;
}

static int parse_id(const char *hex, size_t n, uint32_t *id)
{
    unsigned long v;
    char tmp[9], *end;
    if (n != 8) return -1;
    memcpy(tmp, hex, 8);
    tmp[8] = 0;
    v = strtoul(tmp, &end, 16);
    if (*end) return -1;
    *id = (uint32_t)v;
    return 0;
}

static int bad_key(tr_err *e, const char *what)
{
    return err_set(e, 400, "log.bad_key", "give the key as printed by 'truce log key'",
                   "not a valid %s key", what);
}

int note_verifier_parse(note_verifier *v, const char *text, tr_err *e)
{
    const char *f[3];
    size_t n[3], len;
    unsigned char raw[64];
    memset(v, 0, sizeof *v);
    if (split_plus(text, f, n, 3) || n[0] == 0 || n[0] >= NOTE_NAME_MAX)
        return bad_key(e, "verifier");
    memcpy(v->name, f[0], n[0]);
    if (!note_name_valid(v->name) || parse_id(f[1], n[1], &v->id)) return bad_key(e, "verifier");
    if (b64_decode(raw, sizeof raw, &len, f[2], n[2]) || len != 33 || raw[0] != 0x01)
        return bad_key(e, "verifier");
    memcpy(v->pk, raw + 1, 32);
    if (note_key_id(v->name, v->pk) != v->id)
        return err_set(e, 400, "log.bad_key", "copy the whole key",
                       "the key id does not match "
                       "the key");
    return 0;
}

void note_verifier_format(const note_verifier *v, buf *out)
{
    unsigned char raw[33];
    raw[0] = 0x01;
    memcpy(raw + 1, v->pk, 32);
    buf_printf(out, "%s+%08x+", v->name, v->id);
    b64_append(out, raw, sizeof raw);
}

int note_signer_parse(note_signer *s, const char *text, tr_err *e)
{
    const char *f[5];
    size_t n[5], len;
    unsigned char raw[64];
    memset(s, 0, sizeof *s);
    if (split_plus(text, f, n, 5) || n[0] != 7 || memcmp(f[0], "PRIVATE", 7) != 0 || n[1] != 3 ||
        memcmp(f[1], "KEY", 3) != 0 || n[2] == 0 || n[2] >= NOTE_NAME_MAX)
        return bad_key(e, "signer");
    memcpy(s->v.name, f[2], n[2]);
    if (!note_name_valid(s->v.name) || parse_id(f[3], n[3], &s->v.id)) return bad_key(e, "signer");
    if (b64_decode(raw, sizeof raw, &len, f[4], n[4]) || len != 33 || raw[0] != 0x01)
        return bad_key(e, "signer");
    crypto_sign_seed_keypair(s->v.pk, s->sk, raw + 1);
    sodium_memzero(raw, sizeof raw);
    if (note_key_id(s->v.name, s->v.pk) != s->v.id)
        return err_set(e, 400, "log.bad_key", NULL, "the signer key id does not match the key");
    return 0;
}

void note_signer_format(const note_signer *s, buf *out)
{
    unsigned char raw[33];
    raw[0] = 0x01;
    memcpy(raw + 1, s->sk, 32); /* The seed is the first half of libsodium's secret key. */
    buf_printf(out, "PRIVATE+KEY+%s+%08x+", s->v.name, s->v.id);
    b64_append(out, raw, sizeof raw);
    sodium_memzero(raw, sizeof raw);
}

void note_sign(const note_signer *s, const char *text, buf *out)
{
    unsigned char sig[4 + crypto_sign_BYTES];
    sig[0] = (unsigned char)(s->v.id >> 24);
    sig[1] = (unsigned char)(s->v.id >> 16);
    sig[2] = (unsigned char)(s->v.id >> 8);
    sig[3] = (unsigned char)s->v.id;
    crypto_sign_detached(sig + 4, NULL, (const unsigned char *)text, strlen(text), s->sk);
    buf_puts(out, text);
    buf_printf(out, "\n" EM_DASH " %s ", s->v.name);
    b64_append(out, sig, sizeof sig);
    buf_puts(out, "\n");
}

int note_verify(const note_verifier *v, const char *note, char **text, tr_err *e)
{
    const char *sep = NULL, *p;
    size_t text_len;
    int found = 0;
    /* The text ends at the last blank line: signatures never contain "\n\n". */
    for (p = note; (p = strstr(p, "\n\n")); p++)
        sep = p;
    if (!sep || note[strlen(note) - 1] != '\n')
        return err_set(e, 400, "log.bad_note", NULL, "not a signed note");
    text_len = (size_t)(sep - note) + 1;
    for (p = sep + 2; *p;) {
        const char *end = strchr(p, '\n'), *name, *sp;
        unsigned char sig[128];
        size_t siglen;
        if (!end || strncmp(p, EM_DASH " ", 4) != 0)
            return err_set(e, 400, "log.bad_note", NULL, "malformed signature line");
        name = p + 4;
        sp = memchr(name, ' ', (size_t)(end - name));
        if (!sp) return err_set(e, 400, "log.bad_note", NULL, "malformed signature line");
        if ((size_t)(sp - name) == strlen(v->name) && memcmp(name, v->name, strlen(v->name)) == 0 &&
            b64_decode(sig, sizeof sig, &siglen, sp + 1, (size_t)(end - sp - 1)) == 0 &&
            siglen == 4 + crypto_sign_BYTES) {
            uint32_t id =
                (uint32_t)sig[0] << 24 | (uint32_t)sig[1] << 16 | (uint32_t)sig[2] << 8 | sig[3];
            if (id == v->id && crypto_sign_verify_detached(sig + 4, (const unsigned char *)note,
                                                           text_len, v->pk) == 0)
                found = 1;
        }
        p = end + 1;
    }
    if (!found)
        return err_set(e, 400, "log.bad_signature", "check that you have the log's current key",
                       "the note has no valid signature by %s", v->name);
    if (text) *text = strndup(note, text_len);
    return 0;
}

void note_checkpoint_text(buf *out, const char *origin, int64_t size, const merkle_hash root)
{
    buf_printf(out, "%s\n%lld\n", origin, (long long)size);
    b64_append(out, root, MERKLE_HASH_LEN);
    buf_puts(out, "\n");
}

int note_checkpoint_parse(const char *text, char *origin, size_t cap, int64_t *size,
                          merkle_hash root, tr_err *e)
{
    const char *l1 = strchr(text, '\n'), *l2, *l3;
    char *end;
    size_t len;
    long long n;
    if (!l1 || (size_t)(l1 - text) >= cap || l1 == text) goto bad;
    memcpy(origin, text, (size_t)(l1 - text));
    origin[l1 - text] = 0;
    l2 = strchr(l1 + 1, '\n');
    if (!l2 || l2 == l1 + 1 || (l1[1] == '0' && l2 != l1 + 2)) goto bad;
    errno = 0;
    n = strtoll(l1 + 1, &end, 10);
    if (errno || end != l2 || n < 0) goto bad;
    *size = n;
    l3 = strchr(l2 + 1, '\n');
    if (!l3 || b64_decode(root, MERKLE_HASH_LEN, &len, l2 + 1, (size_t)(l3 - l2 - 1)) ||
        len != MERKLE_HASH_LEN)
        goto bad;
    return 0;
bad:
    return err_set(e, 400, "log.bad_checkpoint", NULL, "not a tlog checkpoint");
}

int note_signer_load(note_signer *s, const char *path, tr_err *e)
{
    char text[512];
    FILE *f = fopen(path, "r");
    if (!f)
        return err_set(e, 500, "log.no_key",
                       "create the database with 'truce init' or "
                       "'truce demo', which create the key",
                       "cannot read the log key %s: %s", path, strerror(errno));
    if (!fgets(text, sizeof text, f)) text[0] = 0;
    fclose(f);
    int rc = note_signer_parse(s, text, e);
    sodium_memzero(text, sizeof text);
    return rc;
}

int note_signer_save(const note_signer *s, const char *path, tr_err *e)
{
    buf b = BUF_INIT;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    ssize_t w;
    if (fd < 0)
        return err_set(e, 500, "log.key_write",
                       "remove the stale key file or choose another "
                       "--db",
                       "cannot create the log key %s: %s", path, strerror(errno));
    note_signer_format(s, &b);
    buf_puts(&b, "\n");
    w = write(fd, b.p, b.len);
    sodium_memzero(b.p, b.len);
    if (w != (ssize_t)b.len || fsync(fd) != 0) {
        close(fd);
        buf_free(&b);
        return err_set(e, 500, "log.key_write", NULL, "cannot write the log key %s", path);
    }
    close(fd);
    buf_free(&b);
    return 0;
}
