/* log_routes.c - the public, cacheable read side of the Merkle log.
 *
 *   GET /api/v1/log/checkpoint                 the latest signed checkpoint (text/plain)
 *   GET /api/v1/log/entries?start=&end=        entries [start, end), at most 1000
 *   GET /api/v1/log/proof/inclusion?index=&size=
 *   GET /api/v1/log/proof/consistency?from=&to=
 *   GET /tile/L/N[.p/W], /tile/entries/N[.p/W] C2SP tlog-tiles (tile height 8)
 *
 * Hashes are lowercase hex in JSON, raw 32-byte strings in tiles and base64 in
 * checkpoints. Answers about a fixed tree size never change, so they are served with a
 * year-long, immutable cache lifetime; the checkpoint with no-cache. */
#include "http/log_routes.h"

#include "core/util.h"
#include "journal/journal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IMMUTABLE  "public, max-age=31536000, immutable"
#define TILE_WIDTH 256

static int param(http_req *r, const char *name, int64_t lo, int64_t hi, int64_t dflt, int64_t *out)
{
    const char *v = http__query(r, name);
    char *end;
    long long x;
    tr_err e = TR_ERR_INIT;
    if (!v || !*v) {
        if (dflt >= lo) {
            *out = dflt;
            return 0;
        }
        err_field(&e, "request.missing_param", name, "add it to the query string",
                  "query parameter '%s' is required", name);
        http__fail(r, &e);
        return -1;
    }
    errno = 0;
    x = strtoll(v, &end, 10);
    if (*end || end == v || errno == ERANGE || x < lo || x > hi) {
        err_field(&e, "request.invalid_param", name, NULL,
                  "query parameter '%s' must be an integer from %lld to %lld", name, (long long)lo,
                  (long long)hi);
        http__fail(r, &e);
        return -1;
    }
    *out = x;
    return 0;
}

/* The tree size readers are told about: the latest checkpoint's. */
static int tree_size(http_req *r, store *s, int64_t *size, store_checkpoint *ck)
{
    tr_err e = TR_ERR_INIT;
    store_checkpoint tmp;
    int found = s->ops->checkpoint_get(s, -1, ck ? ck : &tmp, &e);
    if (found < 0) return http__fail(r, &e), -1;
    *size = found ? (ck ? ck : &tmp)->size : 0;
    return 0;
}

static json_t *hex(const merkle_hash h)
{
    char x[2 * MERKLE_HASH_LEN + 1];
    util_hex(x, h, MERKLE_HASH_LEN);
    return json_string(x);
}

int h_log_checkpoint(http_req *r)
{
    tr_err e = TR_ERR_INIT;
    store_checkpoint ck;
    store *s = http__mapped_reader(r, &e);
    int found;
    if (!s) return http__fail(r, &e);
    found = s->ops->checkpoint_get(s, -1, &ck, &e);
    if (found < 0) return http__fail(r, &e);
    if (!found) {
        err_set(&e, 404, "log.empty", "write something first", "the log has no checkpoint yet");
        return http__fail(r, &e);
    }
    buf_puts(&r->raw, ck.note);
    r->status = 200;
    r->content_type = "text/plain; charset=utf-8";
    r->cache_control = "no-cache";
    return 0;
}

typedef struct entries_page {
    json_t *items;
    journal_reader reader;
    const merkle_hash *leaves;
    int64_t start;
    buf entry;
} entries_page;

static int entry_cb(void *cls, const void *row)
{
    entries_page *p = cls;
    const store_event *ev = row;
    int64_t i = ev->seq - 1;
    json_t *item = json_pack("{s:I, s:o, s:s, s:s}", "index", (json_int_t)i, "leaf_hash",
                             hex(p->leaves[i - p->start]), "type", ev->type, "time", ev->time);
    if (journal_visible(ev->visibility, &p->reader)) {
        buf_reset(&p->entry);
        journal_entry(ev, &p->entry);
        json_object_set_new(item, "entry", json_stringn(p->entry.p, p->entry.len));
    } else {
        json_object_set_new(item, "redacted", json_true());
    }
    json_array_append_new(p->items, item);
    return 0;
}

/* Leaf hashes of [start, end). */
static int read_leaves(store *s, int64_t start, int64_t end, merkle_hash *out, tr_err *e)
{
    int64_t ids[TILE_WIDTH * 4];
    for (int64_t i = start; i < end; i++)
        ids[i - start] = merkle_stored_index(0, i);
    return s->ops->tree_read(s, ids, (size_t)(end - start), out, e);
}

int h_log_entries(http_req *r)
{
    tr_err e = TR_ERR_INIT;
    int64_t size, start, end;
    store *s = http__mapped_reader(r, &e);
    merkle_hash leaves[1000];
    entries_page p = {0};
    if (!s) return http__fail(r, &e);
    if (tree_size(r, s, &size, NULL)) return 0;
    if (param(r, "start", 0, size, -1, &start)) return 0;
    if (param(r, "end", start, INT64_MAX, start + 100 > size ? size : start + 100, &end)) return 0;
    if (end > size || end - start > 1000) {
        err_set(&e, 400, "request.invalid_param",
                "ask for at most 1000 entries below the tree size",
                "entries [%lld, %lld) are not available; the tree has %lld and a page holds at "
                "most 1000",
                (long long)start, (long long)end, (long long)size);
        return http__fail(r, &e);
    }
    if (read_leaves(s, start, end, leaves, &e)) return http__fail(r, &e);
    p.items = json_array();
    p.reader = journal_reader_of(&r->caller);
    p.leaves = (const merkle_hash *)leaves;
    p.start = start;
    if (s->ops->journal_scan(s, start, end - start, entry_cb, &p, &e)) {
        json_decref(p.items);
        buf_free(&p.entry);
        return http__fail(r, &e);
    }
    buf_free(&p.entry);
    if (end < size || http__query(r, "end"))
        r->cache_control = r->caller.signed_in ? "private, max-age=31536000" : IMMUTABLE;
    return http__reply(r, 200,
                       json_pack("{s:I, s:o}", "tree_size", (json_int_t)size, "entries", p.items));
}

int h_log_inclusion(http_req *r)
{
    tr_err e = TR_ERR_INIT;
    int64_t size, index, at;
    merkle_hash proof[MERKLE_MAX_PROOF], leaf;
    size_t len;
    store *s = http__mapped_reader(r, &e);
    json_t *p;
    if (!s) return http__fail(r, &e);
    if (tree_size(r, s, &size, NULL)) return 0;
    if (param(r, "index", 0, size > 0 ? size - 1 : -1, -1, &index)) return 0;
    if (param(r, "size", index + 1, size, size, &at)) return 0;
    if (read_leaves(s, index, index + 1, &leaf, &e) ||
        merkle_inclusion_proof(index, at, journal_tree_read, s, proof, &len, &e))
        return http__fail(r, &e);
    p = json_array();
    for (size_t i = 0; i < len; i++)
        json_array_append_new(p, hex(proof[i]));
    r->cache_control = IMMUTABLE;
    return http__reply(r, 200,
                       json_pack("{s:I, s:I, s:o, s:o}", "index", (json_int_t)index, "tree_size",
                                 (json_int_t)at, "leaf_hash", hex(leaf), "proof", p));
}

int h_log_consistency(http_req *r)
{
    tr_err e = TR_ERR_INIT;
    int64_t size, from, to;
    merkle_hash proof[MERKLE_MAX_PROOF];
    size_t len;
    store *s = http__mapped_reader(r, &e);
    json_t *p;
    if (!s) return http__fail(r, &e);
    if (tree_size(r, s, &size, NULL)) return 0;
    if (param(r, "from", 0, size, -1, &from)) return 0;
    if (param(r, "to", from, size, size, &to)) return 0;
    if (merkle_consistency_proof(from, to, journal_tree_read, s, proof, &len, &e))
        return http__fail(r, &e);
    p = json_array();
    for (size_t i = 0; i < len; i++)
        json_array_append_new(p, hex(proof[i]));
    r->cache_control = IMMUTABLE;
    return http__reply(
        r, 200,
        json_pack("{s:I, s:I, s:o}", "from", (json_int_t)from, "to", (json_int_t)to, "proof", p));
}

/* Parses "N[.p/W]" where N is written as "x001/x234/067". */
static int parse_tile_index(const char *p, int64_t *n, int *width)
{
    int64_t v = 0;
    *width = TILE_WIDTH;
    for (;;) {
        int last = p[0] != 'x';
        if (!last) p++;
        if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9' || p[2] < '0' || p[2] > '9')
            return -1;
        if (v > (INT64_MAX - 999) / 1000) return -1;
        v = v * 1000 + (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
        p += 3;
        if (last) break;
        if (*p++ != '/') return -1;
    }
    if (strncmp(p, ".p/", 3) == 0) {
        char *end;
        long w = strtol(p + 3, &end, 10);
        if (*end || end == p + 3 || w < 1 || w >= TILE_WIDTH || p[3] == '0') return -1;
        *width = (int)w;
    } else if (*p) {
        return -1;
    }
    *n = v;
    return 0;
}

static int tile_missing(http_req *r, const char *why)
{
    tr_err e = TR_ERR_INIT;
    err_set(&e, 404, "log.no_tile", "see the C2SP tlog-tiles specification", "%s", why);
    return http__fail(r, &e);
}

/* Entry bundles hold public entries only, whoever asks, so that every cache serves the
 * same bytes; an entry the public may not see is an empty entry (its leaf hash is in the
 * level-0 hash tile). */
typedef struct bundle_ctx {
    buf *out;
    buf entry;
    int too_big;
} bundle_ctx;

static int bundle_cb(void *cls, const void *row)
{
    bundle_ctx *c = cls;
    const store_event *ev = row;
    journal_reader anyone = {0, 0, NULL, NULL};
    unsigned char len[2] = {0, 0};
    buf_reset(&c->entry);
    if (journal_visible(ev->visibility, &anyone)) journal_entry(ev, &c->entry);
    if (c->entry.len > 0xffff) {
        c->too_big = 1;
        return 1;
    }
    len[0] = (unsigned char)(c->entry.len >> 8);
    len[1] = (unsigned char)c->entry.len;
    buf_append(c->out, len, 2);
    buf_append(c->out, c->entry.p ? c->entry.p : "", c->entry.len);
    return 0;
}

int h_log_tile(http_req *r)
{
    tr_err e = TR_ERR_INIT;
    const char *path = r->params[0];
    int64_t size, n;
    int width, level = 0, entries = 0;
    store *s = http__mapped_reader(r, &e);
    if (!s) return http__fail(r, &e);
    if (strncmp(path, "entries/", 8) == 0) {
        entries = 1;
        path += 8;
    } else {
        char *end;
        long l = strtol(path, &end, 10);
        if (end == path || *end != '/' || l < 0 || l > 7 || (path[0] == '0' && end != path + 1))
            return tile_missing(r, "no such tile path");
        level = (int)l;
        path = end + 1;
    }
    if (parse_tile_index(path, &n, &width)) return tile_missing(r, "no such tile path");
    if (tree_size(r, s, &size, NULL)) return 0;
    /* Tiles of level L hold nodes of tree level 8L; each covers 256^L leaves. */
    int64_t span = INT64_C(1) << (8 * level);
    int64_t have = size / span - n * TILE_WIDTH; /* Complete nodes in this tile so far. */
    if (have < width) return tile_missing(r, "the tree does not have this tile yet");
    if (entries) {
        bundle_ctx c = {&r->raw, BUF_INIT, 0};
        if (s->ops->journal_scan(s, n * TILE_WIDTH, width, bundle_cb, &c, &e)) {
            buf_free(&c.entry);
            return http__fail(r, &e);
        }
        buf_free(&c.entry);
        if (c.too_big) {
            buf_reset(&r->raw);
            err_set(&e, 500, "log.entry_too_big", "read the entries with /api/v1/log/entries",
                    "an entry of this tile is larger than an entry bundle can hold (64 KiB)");
            return http__fail(r, &e);
        }
    } else {
        int64_t ids[TILE_WIDTH];
        merkle_hash h[TILE_WIDTH];
        for (int i = 0; i < width; i++)
            ids[i] = merkle_stored_index(8 * level, n * TILE_WIDTH + i);
        if (s->ops->tree_read(s, ids, (size_t)width, h, &e)) return http__fail(r, &e);
        buf_append(&r->raw, h, (size_t)width * MERKLE_HASH_LEN);
    }
    r->status = 200;
    r->content_type = "application/octet-stream";
    r->cache_control = IMMUTABLE;
    return 0;
}
