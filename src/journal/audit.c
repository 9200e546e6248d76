/* audit.c - journal audit and rebuild; see audit.h.
 *
 * The journal is read in pages of PAGE rows; for each page the leaves are recomputed,
 * pushed into a fresh frontier, and the hashes the push produces are compared with the
 * stored hashes at the same positions, which are read in one sequential range. So the
 * audit is two sequential scans and SHA-256, and runs close to the hash rate. */
#include "journal/audit.h"
#include "monitor/store.h"

#include "core/buf.h"
#include "core/util.h"
#include "journal/journal.h"
#include "journal/project.h"

#include <jansson.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAGE 4096

typedef struct cp {
    int64_t size;
    merkle_hash root;
} cp;

typedef struct auditor {
    audit_report *rep;
    merkle_frontier f;
    buf entry;
    merkle_hash *computed; /* Hashes the page's pushes produced, in storage order. */
    size_t n_computed, cap;
    int64_t first_pos; /* Storage position of computed[0]. */
    int64_t next_seq;
    cp *cps;
    size_t n_cps, next_cp;
    int failed;
    /* A checkpoint that disagreed during the current page; reported after the page's
     * stored hashes were compared, unless one of those names an earlier entry. */
    int64_t pending_size;
    char pending[600];
    /* Evidence files the journal says were stored (evidence.stored), with their seq. */
    struct stored_file {
        char sha256[65];
        int64_t seq;
    } * files;
    size_t n_files, files_cap;
} auditor;

static void hexs(char out[65], const merkle_hash h)
{
    util_hex(out, h, MERKLE_HASH_LEN);
}

static int problem(auditor *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int problem(auditor *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(a->rep->problem, sizeof a->rep->problem, fmt, ap);
    va_end(ap);
    a->rep->ok = 0;
    a->failed = 1;
    return 1;
}

static int check_checkpoint(auditor *a)
{
    while (a->next_cp < a->n_cps && a->cps[a->next_cp].size == a->f.size) {
        merkle_hash root;
        char h1[65], h2[65];
        merkle_frontier_root(&a->f, root);
        if (sodium_memcmp(root, a->cps[a->next_cp].root, MERKLE_HASH_LEN) != 0 &&
            !a->pending_size) {
            hexs(h1, root);
            hexs(h2, a->cps[a->next_cp].root);
            a->pending_size = a->f.size;
            snprintf(a->pending, sizeof a->pending,
                     "checkpoint at size %lld does not match the journal: entries 0..%lld give "
                     "root %s, the checkpoint says %s",
                     (long long)a->f.size, (long long)a->f.size - 1, h1, h2);
        }
        a->next_cp++;
        a->rep->checkpoints++;
    }
    return 0;
}

static int on_row(void *cls, const void *row)
{
    auditor *a = cls;
    const store_event *ev = row;
    merkle_hash leaf, out[64];
    size_t n;
    if (ev->seq != a->next_seq)
        return problem(a,
                       "entry %lld (seq %lld) is missing: the journal goes from seq %lld to "
                       "seq %lld",
                       (long long)a->next_seq - 1, (long long)a->next_seq,
                       (long long)a->next_seq - 1, (long long)ev->seq);
    buf_reset(&a->entry);
    journal_entry(ev, &a->entry);
    merkle_leaf_hash(leaf, a->entry.p, a->entry.len);
    a->rep->bytes += (int64_t)a->entry.len;
    merkle_frontier_push(&a->f, leaf, out, &n);
    if (a->n_computed + n > a->cap) {
        a->cap = (a->cap + n) * 2;
        a->computed = realloc(a->computed, a->cap * sizeof *a->computed);
        if (!a->computed) abort();
    }
    memcpy(a->computed[a->n_computed], out, n * MERKLE_HASH_LEN);
    a->n_computed += n;
    if (strcmp(ev->type, "evidence.stored") == 0) {
        json_t *body = json_loads(ev->body, 0, NULL);
        const char *sha = json_string_value(json_object_get(body, "sha256"));
        if (a->n_files == a->files_cap) {
            a->files_cap = a->files_cap ? 2 * a->files_cap : 64;
            a->files = realloc(a->files, a->files_cap * sizeof *a->files);
            if (!a->files) abort();
        }
        snprintf(a->files[a->n_files].sha256, sizeof a->files[0].sha256, "%s", sha ? sha : "");
        a->files[a->n_files++].seq = ev->seq;
        json_decref(body);
    }
    a->next_seq++;
    a->rep->entries++;
    return check_checkpoint(a);
}

/* Compares the page's computed hashes with the stored ones. */
static int compare_page(auditor *a, store *s, tr_err *e)
{
    merkle_hash *stored = malloc((a->n_computed + 1) * sizeof *stored);
    size_t got;
    if (!stored) abort();
    if (s->ops->tree_range(s, a->first_pos, a->n_computed, stored, &got, e)) {
        free(stored);
        return -1;
    }
    for (size_t i = 0; i < a->n_computed; i++) {
        int64_t pos = a->first_pos + (int64_t)i, lo = 0, hi = a->f.size;
        char h1[65], h2[65];
        if (i < got && sodium_memcmp(a->computed[i], stored[i], MERKLE_HASH_LEN) == 0) continue;
        /* Which entry produced this position: the leaf whose stored count passes it. */
        while (lo < hi) {
            int64_t mid = lo + (hi - lo) / 2;
            if (merkle_stored_count(mid + 1) > pos)
                hi = mid;
            else
                lo = mid + 1;
        }
        hexs(h1, a->computed[i]);
        if (i >= got) {
            problem(a,
                    "entry %lld (seq %lld): the log has no hash at position %lld (the "
                    "journal gives %s)",
                    (long long)lo, (long long)lo + 1, (long long)pos, h1);
            break;
        }
        if (sodium_memcmp(a->computed[i], stored[i], MERKLE_HASH_LEN) != 0) {
            hexs(h2, stored[i]);
            if (merkle_stored_index(0, lo) == pos)
                problem(a,
                        "entry %lld (seq %lld) does not match the log: the journal row "
                        "hashes to %s, the log holds %s",
                        (long long)lo, (long long)lo + 1, h1, h2);
            else
                problem(a,
                        "the log's tree is damaged above entry %lld (seq %lld): position "
                        "%lld should be %s, the log holds %s",
                        (long long)lo, (long long)lo + 1, (long long)pos, h1, h2);
            break;
        }
    }
    free(stored);
    a->first_pos += (int64_t)a->n_computed;
    a->n_computed = 0;
    if (!a->failed && a->pending_size) problem(a, "%s", a->pending);
    return 0;
}

/* ---- evidence files ------------------------------------------------------------------ */

typedef struct file_check {
    auditor *a;
    char (*names)[65]; /* Every stored file's name, in order (the scan's). */
    size_t n, cap;
} file_check;

/* A stored file whose bytes do not hash to its name fails the audit, named. */
static int on_blob(void *cls, const void *row)
{
    file_check *fc = cls;
    const store_blob *b = row;
    unsigned char h[crypto_hash_sha256_BYTES];
    char hex[65];
    crypto_hash_sha256(h, b->data, b->len);
    sodium_bin2hex(hex, sizeof hex, h, sizeof h);
    if (strcmp(hex, b->sha256) != 0)
        return problem(fc->a, "evidence file %s is damaged: its stored bytes hash to %s", b->sha256,
                       hex);
    if (fc->n == fc->cap) {
        fc->cap = fc->cap ? 2 * fc->cap : 64;
        fc->names = realloc(fc->names, fc->cap * sizeof *fc->names);
        if (!fc->names) abort();
    }
    memcpy(fc->names[fc->n++], hex, 65);
    fc->a->rep->files++;
    return 0;
}

static int name_cmp(const void *x, const void *y)
{
    return strcmp(x, y);
}

/* Every stored file matches its name, and every file the journal stored is there. */
static int check_files(auditor *a, store *s, tr_err *e)
{
    file_check fc = {a, NULL, 0, 0};
    const monitor_store_ops *m = monitor_store(s);
    if (!m) { /* a backend that cannot keep the monitor pillar's data yet keeps no files */
        if (a->n_files)
            problem(a, "evidence file %s, stored by entry %lld (seq %lld), is missing",
                    a->files[0].sha256, (long long)a->files[0].seq - 1, (long long)a->files[0].seq);
        return 0;
    }
    int rc = m->blob_scan(s, on_blob, &fc, e);
    if (rc == 0 && !a->failed) {
        if (fc.n) qsort(fc.names, fc.n, sizeof *fc.names, name_cmp);
        for (size_t i = 0; i < a->n_files; i++)
            if (!fc.n || !bsearch(a->files[i].sha256, fc.names, fc.n, sizeof *fc.names, name_cmp)) {
                problem(a, "evidence file %s, stored by entry %lld (seq %lld), is missing",
                        a->files[i].sha256, (long long)a->files[i].seq - 1,
                        (long long)a->files[i].seq);
                break;
            }
    }
    free(fc.names);
    return rc;
}

typedef struct cp_list {
    const note_verifier *key;
    cp *items;
    size_t n, cap;
    audit_report *rep;
    int bad;
} cp_list;

static int on_checkpoint(void *cls, const void *row)
{
    cp_list *l = cls;
    const store_checkpoint *c = row;
    tr_err e = TR_ERR_INIT;
    char *text = NULL, origin[NOTE_NAME_MAX];
    int64_t size;
    merkle_hash root;
    if (note_verify(l->key, c->note, &text, &e) ||
        note_checkpoint_parse(text, origin, sizeof origin, &size, root, &e)) {
        snprintf(l->rep->problem, sizeof l->rep->problem, "checkpoint at size %lld: %s",
                 (long long)c->size, e.message);
        err_clear(&e);
        free(text);
        l->bad = 1;
        return 1;
    }
    free(text);
    if (size != c->size || sodium_memcmp(root, c->root, MERKLE_HASH_LEN) != 0 ||
        strcmp(origin, l->key->name) != 0) {
        snprintf(l->rep->problem, sizeof l->rep->problem,
                 "checkpoint at size %lld: its signed note says size %lld of %s, with another "
                 "root",
                 (long long)c->size, (long long)size, origin);
        l->bad = 1;
        return 1;
    }
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 64;
        l->items = realloc(l->items, l->cap * sizeof *l->items);
        if (!l->items) abort();
    }
    l->items[l->n].size = c->size;
    memcpy(l->items[l->n].root, c->root, MERKLE_HASH_LEN);
    l->n++;
    return 0;
}

int audit_db(store *s, const note_verifier *key, audit_report *rep, tr_err *e)
{
    auditor a = {0};
    cp_list cps = {key, NULL, 0, 0, rep, 0};
    int64_t stored;
    memset(rep, 0, sizeof *rep);
    rep->ok = 1;
    a.rep = rep;
    a.next_seq = 1;
    if (s->ops->checkpoint_scan(s, on_checkpoint, &cps, e)) goto fail;
    if (cps.bad) {
        rep->ok = 0;
        goto out;
    }
    a.cps = cps.items;
    a.n_cps = cps.n;
    check_checkpoint(&a); /* A checkpoint of the empty tree. */
    if (a.pending_size) {
        problem(&a, "%s", a.pending);
        goto out;
    }
    for (;;) {
        int64_t before = rep->entries;
        if (s->ops->journal_scan(s, a.next_seq - 1, PAGE, on_row, &a, e)) goto fail;
        if (!a.failed && compare_page(&a, s, e)) goto fail;
        if (a.failed || rep->entries - before < PAGE) break;
    }
    if (a.failed) goto out;
    stored = s->ops->tree_count(s, e);
    if (stored < 0) goto fail;
    if (stored != merkle_stored_count(rep->entries)) {
        problem(&a,
                "the log holds %lld hashes but %lld entries need %lld: entries were "
                "removed from the journal after entry %lld (seq %lld)",
                (long long)stored, (long long)rep->entries,
                (long long)merkle_stored_count(rep->entries), (long long)rep->entries - 1,
                (long long)rep->entries);
        goto out;
    }
    if (a.next_cp < a.n_cps) {
        problem(&a,
                "checkpoint at size %lld is beyond the journal's %lld entries: entries "
                "were removed from the journal after entry %lld (seq %lld)",
                (long long)a.cps[a.next_cp].size, (long long)rep->entries,
                (long long)rep->entries - 1, (long long)rep->entries);
        goto out;
    }
    merkle_frontier_root(&a.f, rep->root);
    if (check_files(&a, s, e)) goto fail;
out:
    free(a.files);
    free(a.computed);
    free(cps.items);
    buf_free(&a.entry);
    return 0;
fail:
    free(a.files);
    free(a.computed);
    free(cps.items);
    buf_free(&a.entry);
    return -1;
}

typedef struct replay {
    store *s;
    tr_err *e;
    int64_t n;
    int failed;
} replay;

static int replay_row(void *cls, const void *row)
{
    replay *r = cls;
    const store_event *ev = row;
    json_t *body = json_loads(ev->body, 0, NULL);
    if (!body) {
        err_set(r->e, 500, "journal.bad_event", "run 'truce audit'",
                "event %lld has a body that is not JSON", (long long)ev->seq);
        r->failed = 1;
        return 1;
    }
    if (project_apply(r->s, ev, body, r->e)) r->failed = 1;
    json_decref(body);
    r->n++;
    return r->failed;
}

static int rebuild_fn(store *s, void *cls, tr_err *e)
{
    replay *r = cls;
    r->s = s;
    r->e = e;
    r->n = 0;
    r->failed = 0;
    if (s->ops->projections_clear(s, e)) return -1;
    if (s->ops->journal_scan(s, 0, INT64_MAX, replay_row, r, e)) return -1;
    return r->failed ? -1 : 0;
}

int audit_rebuild(store *s, int64_t *events, tr_err *e)
{
    replay r = {0};
    int rc = store_txn(s, rebuild_fn, &r, e);
    if (rc == 0 && events) *events = r.n;
    return rc;
}
