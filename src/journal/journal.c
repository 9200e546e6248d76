/* journal.c - the single write path; see journal.h. */
#include "journal/journal.h"
#include "store/pg.h"

#include "core/util.h"
#include "journal/project.h"
#include "json/jsx.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const journal_actor journal_operator = {NULL, "cli"};

#define RECENT     256
#define RECENT_MAX (16 * 1024) /* larger entries are not kept: 256 of them would be */

/* Per-connection state, hung on store->journal. */
typedef struct journal_state {
    note_signer signer;
    int has_signer;
    merkle_frontier frontier; /* Valid while epoch == store->epoch. */
    uint64_t epoch;
    int frontier_valid;
    int64_t last_seq;
    buf note;  /* Checkpoint signed by the last seal. */
    buf entry; /* Scratch for building entries. */
    /* The entries most recently appended on this connection, by seq % RECENT, so that
     * receipts need not read them back. A slot is only trusted when its seq matches. */
    struct recent_entry {
        int64_t seq;
        buf bytes;
        merkle_hash leaf; /* its leaf hash, as tree_append computed it */
    } recent[RECENT];
    /* The root of the tree as loaded from storage at the start of this transaction's
     * appends: what the last checkpoint must match, known without reading again. */
    int64_t loaded_size;
    merkle_hash loaded_root;
    uint64_t loaded_epoch;
    int64_t note_size;
} journal_state;

static void state_free(void *p)
{
    journal_state *st = p;
    if (!st) return;
    sodium_memzero(&st->signer, sizeof st->signer);
    buf_free(&st->note);
    buf_free(&st->entry);
    for (int i = 0; i < RECENT; i++)
        buf_free(&st->recent[i].bytes);
    free(st);
}

static journal_state *state(store *s)
{
    if (!s->journal) {
        journal_state *st = calloc(1, sizeof *st);
        if (!st) abort();
        s->journal = st;
        s->journal_free = state_free;
    }
    return s->journal;
}

int journal_attach(store *s, const note_signer *signer, tr_err *e)
{
    journal_state *st = state(s);
    (void)e;
    if (signer) {
        st->signer = *signer;
        st->has_signer = 1;
        s->before_commit = journal_seal;
        s->before_commit_cls = NULL;
    }
    s->job_mark = journal_mark;
    s->job_last_seq = journal_last_seq;
    s->job_receipt = journal_receipt;
    return 0;
}

journal_reader journal_reader_of(const journal_caller *c)
{
    journal_reader r = {c->signed_in, c->admin, c->org[0] ? c->org : NULL,
                        c->org_kind[0] ? c->org_kind : NULL};
    return r;
}

const char *journal_key_named(void)
{
    const char *given = getenv("TRUCE_KEY_FILE");
    return given && *given ? given : NULL;
}

void journal_key_path(const char *db_path, char *out, size_t cap)
{
    const char *given = journal_key_named();
    if (given)
        snprintf(out, cap, "%s", given);
    else if (store_pg_is_uri(db_path))
        snprintf(out, cap, "%s", ""); /* a PostgreSQL database has no file beside it */
    else
        snprintf(out, cap, "%s.key", db_path);
}

int journal_key_file(const char *db_path, char *out, size_t cap, tr_err *e)
{
    journal_key_path(db_path, out, cap);
    if (out[0]) return 0;
    return err_set(e, 400, "log.key_unnamed",
                   "set TRUCE_KEY_FILE to the key file's path (the same file on every server "
                   "that writes to the database)",
                   "a PostgreSQL database's log key is a file of its own: name it");
}

int journal_create_key(store *s, const char *db_path, const char *origin, tr_err *e)
{
    char path[4096];
    note_signer k;
    int rc;
    if (journal_key_file(db_path, path, sizeof path, e)) return -1;
    /* A key named by TRUCE_KEY_FILE that exists is the one to use: the operator made it
     * (for every server of a deployment, say) and the log takes it, origin and all. */
    if (journal_key_named() && access(path, F_OK) == 0) return journal_load_key(s, db_path, e);
    if (note_signer_generate(&k, origin, e)) return -1;
    rc = note_signer_save(&k, path, e);
    if (rc == 0) rc = journal_attach(s, &k, e);
    sodium_memzero(&k, sizeof k);
    return rc;
}

int journal_load_key(store *s, const char *db_path, tr_err *e)
{
    char path[4096];
    note_signer k;
    int rc;
    rc = journal_key_file(db_path, path, sizeof path, e) ? -1 : note_signer_load(&k, path, e);
    if (rc == 0) rc = journal_attach(s, &k, e);
    sodium_memzero(&k, sizeof k);
    return rc;
}

void journal_origin_from(const char *name, char *out, size_t cap)
{
    size_t i = 0;
    for (; name[i] && i + 1 < cap; i++) {
        unsigned char c = (unsigned char)name[i];
        out[i] = (c <= 0x20 || c == '+' || c == 0x7f) ? '-' : (char)c;
    }
    out[i] = 0;
}

int journal_tree_read(void *cls, const int64_t *ids, size_t n, merkle_hash *out, tr_err *e)
{
    store *s = cls;
    return s->ops->tree_read(s, ids, n, out, e);
}

static void put_str_or_null(buf *b, const char *s)
{
    if (s)
        jsx_put_string(b, s);
    else
        buf_puts(b, "null");
}

void journal_entry(const store_event *ev, buf *out)
{
    buf_puts(out, "{\"actor_org\":");
    put_str_or_null(out, ev->actor_org);
    buf_puts(out, ",\"actor_user\":");
    put_str_or_null(out, ev->actor_user);
    buf_puts(out, ",\"body\":");
    buf_puts(out, ev->body ? ev->body : "null");
    buf_puts(out, ",\"salt\":");
    put_str_or_null(out, ev->salt);
    {
        /* The sequence number in decimal, without printf (this is the append hot path). */
        char digits[UTIL_I64_LEN];
        buf_puts(out, ",\"seq\":");
        buf_append(out, digits, util_i64(digits, ev->seq < 0 ? 0 : ev->seq));
        buf_puts(out, ",\"time\":");
    }
    put_str_or_null(out, ev->time);
    buf_puts(out, ",\"type\":");
    put_str_or_null(out, ev->type);
    buf_puts(out, ",\"visibility\":");
    put_str_or_null(out, ev->visibility);
    buf_puts(out, "}");
}

void journal_leaf(const store_event *ev, merkle_hash out)
{
    buf b = BUF_INIT;
    journal_entry(ev, &b);
    merkle_leaf_hash(out, b.p, b.len);
    buf_free(&b);
}

/* The frontier of the tree before the event `seq` is appended. */
static int frontier_for(store *s, journal_state *st, int64_t size, tr_err *e)
{
    if (st->frontier_valid && st->epoch == s->epoch && st->frontier.size == size) return 0;
    if (merkle_frontier_load(&st->frontier, size, journal_tree_read, s, e)) return -1;
    st->frontier_valid = 1;
    st->epoch = s->epoch;
    st->loaded_size = size;
    st->loaded_epoch = s->epoch;
    merkle_frontier_root(&st->frontier, st->loaded_root);
    return 0;
}

static int tree_append(store *s, const store_event *ev, tr_err *e)
{
    journal_state *st = state(s);
    merkle_hash leaf, out[64];
    size_t n;
    int64_t first;
    if (frontier_for(s, st, ev->seq - 1, e)) return -1;
    buf_reset(&st->entry);
    journal_entry(ev, &st->entry);
    merkle_leaf_hash(leaf, st->entry.p, st->entry.len);
    first = merkle_stored_count(st->frontier.size);
    merkle_frontier_push(&st->frontier, leaf, out, &n);
    if (s->ops->tree_append(s, first, out, n, e)) {
        st->frontier_valid = 0;
        return -1;
    }
    st->last_seq = ev->seq;
    struct recent_entry *r = &st->recent[ev->seq % RECENT];
    if (st->entry.len <= RECENT_MAX) {
        r->seq = ev->seq;
        buf_reset(&r->bytes);
        buf_append(&r->bytes, st->entry.p, st->entry.len);
        memcpy(r->leaf, leaf, sizeof leaf);
    } else { /* a large entry (an import batch) is read back if a receipt needs it */
        r->seq = 0;
        buf_free(&r->bytes);
    }
    return 0;
}

int journal_append_event(store *s, store_event *ev, tr_err *e)
{
    if (s->ops->journal_append(s, ev, e)) return -1;
    return tree_append(s, ev, e);
}

int64_t journal_last_seq(store *s)
{
    return state(s)->last_seq;
}

void journal_mark(store *s)
{
    state(s)->last_seq = 0;
}

int journal_seal(store *s, void *cls, tr_err *e)
{
    journal_state *st = state(s);
    store_checkpoint last;
    store_stats stats;
    merkle_hash root, old_root;
    buf text = BUF_INIT;
    char now[UTIL_ISO_LEN];
    int found;
    (void)cls;
    if (st->frontier_valid && st->epoch == s->epoch) {
        stats.journal_length = st->frontier.size; /* Every append went through it. */
    } else if (s->ops->stats(s, &stats, e)) {
        return -1;
    }
    found = s->ops->checkpoint_get(s, -1, &last, e);
    if (found < 0) return -1;
    if (found && last.size == stats.journal_length) return 0;
    if (!st->has_signer)
        return err_set(e, 500, "log.no_key", "open the database with its log key",
                       "cannot sign a checkpoint without the log key");
    if (frontier_for(s, st, stats.journal_length, e)) return -1;
    merkle_frontier_root(&st->frontier, root);
    /* Never sign a tree that does not extend the last signed one. */
    if (found) {
        int known = st->loaded_epoch == s->epoch && st->loaded_size == last.size;
        if (known) memcpy(old_root, st->loaded_root, MERKLE_HASH_LEN);
        if (last.size > stats.journal_length ||
            (!known && merkle_root(last.size, journal_tree_read, s, old_root, e)) ||
            sodium_memcmp(old_root, last.root, MERKLE_HASH_LEN) != 0) {
            err_clear(e);
            return err_set(e, 500, "log.inconsistent", "run 'truce audit' on the database",
                           "the tree no longer matches checkpoint %lld; refusing to sign",
                           (long long)last.size);
        }
    }
    note_checkpoint_text(&text, st->signer.v.name, stats.journal_length, root);
    buf_reset(&st->note);
    note_sign(&st->signer, text.p, &st->note);
    buf_free(&text);
    st->note_size = stats.journal_length;
    util_now_iso(now);
    return s->ops->checkpoint_insert(s, stats.journal_length, root, st->note.p, now, e);
}

/* A hash as a JSON string of lowercase hex. */
static void put_hex_hash(buf *b, const merkle_hash h)
{
    char hex[2 * MERKLE_HASH_LEN + 3];
    hex[0] = '"';
    util_hex(hex + 1, h, MERKLE_HASH_LEN);
    hex[2 * MERKLE_HASH_LEN + 1] = '"';
    buf_append(b, hex, 2 * MERKLE_HASH_LEN + 2);
}

typedef struct one_event {
    buf entry;
    merkle_hash leaf;
    int found;
} one_event;

static int take_event(void *cls, const void *row)
{
    one_event *o = cls;
    journal_entry(row, &o->entry);
    merkle_leaf_hash(o->leaf, o->entry.p, o->entry.len);
    o->found = 1;
    return 1;
}

int journal_receipt(store *s, int64_t seq, char **out, tr_err *e)
{
    journal_state *st = state(s);
    merkle_hash proof[MERKLE_MAX_PROOF];
    size_t len;
    one_event o = {BUF_INIT, {0}, 0};
    if (!st->note.p || st->note_size < seq) {
        /* A server just started has signed nothing yet: the latest stored checkpoint
         * proves what earlier processes wrote (a retried write's first receipt). */
        store_checkpoint cp;
        int found = s->ops->checkpoint_get(s, -1, &cp, e);
        if (found < 0) return -1;
        if (found && cp.size >= seq && cp.note) {
            buf_reset(&st->note);
            buf_puts(&st->note, cp.note);
            st->note_size = cp.size;
        }
    }
    if (!st->note.p || st->note_size < seq)
        return err_set(e, 500, "log.no_checkpoint", NULL, "no checkpoint covers event %lld",
                       (long long)seq);
    if (st->recent[seq % RECENT].seq == seq) {
        const struct recent_entry *r = &st->recent[seq % RECENT];
        buf_append(&o.entry, r->bytes.p, r->bytes.len);
        memcpy(o.leaf, r->leaf, sizeof o.leaf); /* hashed when it was appended */
        o.found = 1;
    } else if (s->ops->journal_scan(s, seq - 1, 1, take_event, &o, e)) {
        goto fail;
    }
    if (!o.found) {
        err_set(e, 500, "log.no_event", NULL, "no event %lld", (long long)seq);
        goto fail;
    }
    if (merkle_inclusion_proof(seq - 1, st->note_size, journal_tree_read, s, proof, &len, e))
        goto fail;
    /* Written as text on the writer thread, on every write: jansson's building and
     * dumping of it took a sixth of the server's time under a stream of reports. */
    buf b = BUF_INIT;
    char d[UTIL_I64_LEN];
    buf_puts(&b, "{\"index\":");
    buf_append(&b, d, util_i64(d, seq - 1));
    buf_puts(&b, ",\"tree_size\":");
    buf_append(&b, d, util_i64(d, st->note_size));
    buf_puts(&b, ",\"leaf_hash\":");
    put_hex_hash(&b, o.leaf);
    buf_puts(&b, ",\"proof\":[");
    for (size_t i = 0; i < len; i++) {
        if (i) buf_append(&b, ",", 1);
        put_hex_hash(&b, proof[i]);
    }
    buf_puts(&b, "],\"checkpoint\":");
    jsx_put_string(&b, st->note.p);
    /* The entry itself, for its writer to keep, unless it is an administrators-only event:
     * those carry password and token hashes, and a receipt never carries secrets (the leaf
     * hash proves the same inclusion). An entry is canonical JSON, its keys in order, so
     * its visibility is its last member. */
    static const char admin_only[] = "\"visibility\":\"admin\"}";
    if (o.entry.len < sizeof admin_only - 1 ||
        memcmp(o.entry.p + o.entry.len - (sizeof admin_only - 1), admin_only,
               sizeof admin_only - 1) != 0) {
        buf_puts(&b, ",\"entry\":");
        jsx_put_string(&b, o.entry.p);
    }
    buf_append(&b, "}", 1);
    *out = b.p;
    buf_free(&o.entry);
    return 0;
fail:
    buf_free(&o.entry);
    return -1;
}

/* Appends an event whose body is canonical text; ev is filled for the projection. */
static int append(store *s, const journal_actor *who, const char *type, const char *canonical,
                  const char *visibility, char time[UTIL_ISO_LEN], char salt[65], store_event *ev,
                  tr_err *e)
{
    if (!journal_visibility_valid(visibility))
        return err_set(e, 500, "journal.bad_visibility", NULL, "invalid visibility '%s'",
                       visibility);
    if (!project_known(type))
        return err_set(e, 500, "journal.unknown_type", NULL, "no projection for event '%s'", type);
    util_now_iso(time);
    int confidential = strcmp(visibility, "public") != 0;
    if (confidential) util_random_hex(salt, 32);
    *ev = (store_event){
        .salt = confidential ? salt : NULL,
        .type = type,
        .actor_org = who->org,
        .actor_user = who->user,
        .time = time,
        .body = canonical,
        .visibility = visibility,
    };
    return journal_append_event(s, ev, e);
}

int journal_record(store *s, const journal_actor *who, const char *type, const json_t *body,
                   const char *visibility, int64_t *seq, tr_err *e)
{
    char now[UTIL_ISO_LEN], salt[65];
    char *canon = jsx_canonical(body, NULL);
    store_event ev;
    int rc = append(s, who, type, canon, visibility, now, salt, &ev, e);
    if (rc == 0) rc = project_apply(s, &ev, body, e);
    if (rc == 0 && seq) *seq = ev.seq;
    free(canon);
    return rc;
}

int journal_record_canonical(store *s, const journal_actor *who, const char *type,
                             const char *canonical, const char *visibility, char time[UTIL_ISO_LEN],
                             tr_err *e)
{
    char salt[65];
    store_event ev;
    return append(s, who, type, canonical, visibility, time, salt, &ev, e);
}

static const char *const kinds[] = {"party",        "mediator", "monitor",
                                    "humanitarian", "observer", NULL};

static int token_valid(const char *t, size_t n)
{
    if (n == 6 && memcmp(t, "public", 6) == 0) return 1;
    if (n == 7 && memcmp(t, "members", 7) == 0) return 1;
    if (n == 5 && memcmp(t, "admin", 5) == 0) return 1;
    if (n > 4 && memcmp(t, "org:", 4) == 0) {
        char slug[65];
        if (n - 4 >= sizeof slug) return 0;
        memcpy(slug, t + 4, n - 4);
        slug[n - 4] = 0;
        return util_is_slug(slug);
    }
    if (n > 5 && memcmp(t, "kind:", 5) == 0) {
        for (const char *const *k = kinds; *k; k++)
            if (strlen(*k) == n - 5 && memcmp(*k, t + 5, n - 5) == 0) return 1;
    }
    return 0;
}

int journal_visibility_valid(const char *v)
{
    int count = 0;
    if (!v) return 0;
    while (*v) {
        size_t n = strcspn(v, " ");
        if (n == 0 || !token_valid(v, n)) return 0;
        count++;
        v += n;
        if (*v == ' ') v++;
    }
    return count > 0;
}

static int matches(const char *t, size_t n, const journal_reader *r)
{
    if (n == 6 && memcmp(t, "public", 6) == 0) return 1;
    if (!r || !r->signed_in) return 0;
    if (n == 7 && memcmp(t, "members", 7) == 0) return 1;
    if (n == 5 && memcmp(t, "admin", 5) == 0) return r->admin;
    if (n > 4 && memcmp(t, "org:", 4) == 0)
        return r->org && strlen(r->org) == n - 4 && memcmp(r->org, t + 4, n - 4) == 0;
    if (n > 5 && memcmp(t, "kind:", 5) == 0)
        return r->org_kind && strlen(r->org_kind) == n - 5 &&
               memcmp(r->org_kind, t + 5, n - 5) == 0;
    return 0;
}

int journal_visible(const char *v, const journal_reader *r)
{
    while (v && *v) {
        size_t n = strcspn(v, " ");
        if (matches(v, n, r)) return 1;
        v += n;
        if (*v == ' ') v++;
    }
    return 0;
}
