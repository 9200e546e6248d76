/* bench_log.c - the Merkle log without HTTP: appends, inclusion proofs, audit, and the
 * SHA-256 rate they are compared with, all measured in one run on one database.
 *
 *   bench_log DIR [ENTRIES]      (default 10,000,000 entries)
 *
 * Prints one table. The baseline is SHA-256 in memory over entries of the same size plus
 * one interior node per entry: what an audit cannot avoid doing. */
#include "core/buf.h"
#include "core/util.h"
#include "journal/audit.h"
#include "journal/journal.h"
#include "journal/merkle.h"
#include "store/tree_cache.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BATCH 10000

static double now(void)
{
    return (double)util_mono_ns() / 1e9;
}

static void die(tr_err *e)
{
    fprintf(stderr, "bench_log: %s\n", e->message);
    exit(1);
}

typedef struct appender {
    int64_t next, end;
    char body[256];
} appender;

static int append_batch(store *s, void *cls, tr_err *e)
{
    appender *a = cls;
    char now_iso[UTIL_ISO_LEN];
    util_now_iso(now_iso);
    for (int i = 0; i < BATCH && a->next < a->end; i++, a->next++) {
        /* A realistic body, made without printf so the harness costs little. */
        char digits[24], *d = digits + sizeof digits;
        uint64_t v = (uint64_t)a->next;
        do
            *--d = (char)('0' + v % 10);
        while (v /= 10);
        size_t nd = (size_t)(digits + sizeof digits - d), off = 0;
        static const char head[] = "{\"crossing\":\"kerem-shalom\",\"n\":";
        static const char tail[] = ",\"note\":\"benchmark entry: 42 trucks of flour and "
                                   "medical supplies\",\"trucks\":42}";
        memcpy(a->body, head, sizeof head - 1);
        off = sizeof head - 1;
        memcpy(a->body + off, d, nd);
        off += nd;
        memcpy(a->body + off, tail, sizeof tail);
        store_event ev = {.type = "bench.entry",
                          .actor_org = "wfp",
                          .actor_user = "wfp",
                          .time = now_iso,
                          .body = a->body,
                          .visibility = "public"};
        if (journal_append_event(s, &ev, e)) return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    tr_err e = TR_ERR_INIT;
    const char *dir = argc > 1 ? argv[1] : "/tmp";
    int64_t n = argc > 2 ? atoll(argv[2]) : 10000000;
    char db[4096], key[4200];
    note_signer signer;
    store *s;
    double t0, t_append, t_proof, t_audit, t_hash;
    int proofs = 100000;

    util_malloc_tune(); /* as truce's main */
    if (sodium_init() < 0 || n < 1) return 1;
    snprintf(db, sizeof db, "%s/bench-log.db", dir);
    journal_key_path(db, key, sizeof key);
    unlink(db);
    unlink(key);

    /* 1. Appends: journal row + leaf + tree hashes, a signed checkpoint per 10,000. */
    s = store_sqlite_open(db, STORE_CREATE, &e);
    if (!s || journal_create_key(s, db, "bench.truce/log", &e)) die(&e);
    appender a = {0, n, {0}};
    t0 = now();
    while (a.next < n)
        if (store_txn(s, append_batch, &a, &e)) die(&e);
    t_append = now() - t0;
    s->ops->close(s);
    if (argc > 3 && strcmp(argv[3], "append-only") == 0) {
        printf("append (journal + tree)          %12.0f entries/s\n", (double)n / t_append);
        return 0;
    }

    /* 2. Inclusion proofs at full size, random indices, on a connection like the server's
     * log readers: memory-mapped, sharing a cache of committed hashes. */
    s = store_sqlite_open(db, STORE_MMAP, &e);
    if (!s) die(&e);
    tree_cache *cache = tree_cache_new(21); /* As truce serve shares among its readers. */
    s->tree_cache = cache;
    merkle_hash proof[MERKLE_MAX_PROOF], root;
    size_t len, total_len = 0;
    if (merkle_root(n, journal_tree_read, s, root, &e)) die(&e);
    /* Warm up as a serving process would be: as many proofs again, untimed. */
    for (int i = 0; i < proofs; i++)
        merkle_inclusion_proof(
            (int64_t)randombytes_uniform((uint32_t)(n < UINT32_MAX ? n : UINT32_MAX)), n,
            journal_tree_read, s, proof, &len, &e);
    /* The indices are drawn before the clock starts: getrandom() is not part of a proof. */
    int64_t *idx = malloc((size_t)proofs * sizeof *idx);
    for (int i = 0; i < proofs; i++)
        idx[i] = (int64_t)randombytes_uniform((uint32_t)(n < UINT32_MAX ? n : UINT32_MAX));
    t0 = now();
    for (int i = 0; i < proofs; i++) {
        if (merkle_inclusion_proof(idx[i], n, journal_tree_read, s, proof, &len, &e)) die(&e);
        total_len += len;
    }
    t_proof = now() - t0;
    free(idx);

    /* 3. The audit, and the hash rate it is compared with. */
    audit_report rep;
    signer.v.name[0] = 0;
    if (note_signer_load(&signer, key, &e)) die(&e);
    t0 = now();
    if (audit_db(s, &signer.v, &rep, &e)) die(&e);
    t_audit = now() - t0;
    if (!rep.ok) {
        fprintf(stderr, "bench_log: audit failed: %s\n", rep.problem);
        return 1;
    }
    s->ops->close(s);
    tree_cache_free(cache);

    size_t avg = (size_t)(rep.bytes / rep.entries);
    unsigned char *entry = malloc(avg);
    merkle_hash h, l, r2;
    memset(entry, 'x', avg);
    memset(l, 1, sizeof l);
    t0 = now();
    for (int64_t i = 0; i < n; i++) {
        entry[0] = (unsigned char)i;
        merkle_leaf_hash(h, entry, avg);
        merkle_node_hash(r2, l, h);
        l[0] ^= r2[0];
    }
    t_hash = now() - t0;
    free(entry);

    double mb = (double)rep.bytes / 1e6;
    printf("entries                          %12lld (average entry %zu bytes)\n", (long long)n,
           avg);
    printf("SHA-256 baseline (leaf + node)   %12.0f entries/s  %8.1f MB/s of entries\n",
           (double)n / t_hash, mb / t_hash);
    printf("append (journal + tree)          %12.0f entries/s  (%.1f s)\n", (double)n / t_append,
           t_append);
    printf("inclusion proof at %lld          %9.2f us each  (%.1f hashes per proof)\n",
           (long long)n, t_proof / proofs * 1e6, (double)total_len / proofs);
    printf("audit --db                       %12.0f entries/s  %8.1f MB/s  = %.0f%% of the "
           "SHA-256 baseline\n",
           (double)n / t_audit, mb / t_audit, 100.0 * t_hash / t_audit);
    if (!getenv("BENCH_KEEP_DB")) {
        unlink(db);
        unlink(key);
    }
    return 0;
}
