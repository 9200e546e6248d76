/* test_merkle.c - the Merkle tree against the RFC 6962 vectors and against a literal
 * recursive implementation of the RFC's definitions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/util.h"
#include "journal/merkle.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the reference: RFC 6962 section 2.1, word for word ---------------------------- */

static merkle_hash *leaves; /* Leaf hashes, indexed by leaf. */

static int64_t k_of(int64_t n)
{
    int64_t k = 1;
    while (k << 1 < n)
        k <<= 1;
    return k;
}

/* Memo of complete, aligned subtrees, so that the literal recursion stays fast enough to
 * run over 100,000 leaves; it caches the recursion's own results, never the stored tree's. */
static merkle_hash *memo[20];
static unsigned char *memo_set[20];

static void memo_reset(int64_t n)
{
    for (int l = 0; l < 20; l++) {
        free(memo[l]);
        free(memo_set[l]);
        memo[l] = calloc((size_t)(n >> l) + 1, sizeof *memo[l]);
        memo_set[l] = calloc((size_t)(n >> l) + 1, 1);
    }
}

static void mth(int64_t lo, int64_t hi, merkle_hash out)
{
    merkle_hash l, r;
    int level = -1;
    for (int b = 1; b < 20; b++)
        if (hi - lo == INT64_C(1) << b && lo % (INT64_C(1) << b) == 0) level = b;
    if (level > 0 && memo_set[level][lo >> level]) {
        memcpy(out, memo[level][lo >> level], 32);
        return;
    }
    if (hi - lo == 0) {
        merkle_empty_root(out);
        return;
    }
    if (hi - lo == 1) {
        memcpy(out, leaves[lo], 32);
        return;
    }
    int64_t k = k_of(hi - lo);
    mth(lo, lo + k, l);
    mth(lo + k, hi, r);
    merkle_node_hash(out, l, r);
    if (level > 0) {
        memcpy(memo[level][lo >> level], out, 32);
        memo_set[level][lo >> level] = 1;
    }
}

static void ref_path(int64_t m, int64_t lo, int64_t hi, merkle_hash *out, size_t *n)
{
    if (hi - lo == 1) return;
    int64_t k = k_of(hi - lo);
    if (m - lo < k) {
        ref_path(m, lo, lo + k, out, n);
        mth(lo + k, hi, out[(*n)++]);
    } else {
        ref_path(m, lo + k, hi, out, n);
        mth(lo, lo + k, out[(*n)++]);
    }
}

static void ref_subproof(int64_t m, int64_t lo, int64_t hi, int b, merkle_hash *out, size_t *n)
{
    int64_t size = hi - lo;
    if (m == size) {
        if (!b) mth(lo, hi, out[(*n)++]);
        return;
    }
    int64_t k = k_of(size);
    if (m <= k) {
        ref_subproof(m, lo, lo + k, b, out, n);
        mth(lo + k, hi, out[(*n)++]);
    } else {
        ref_subproof(m - k, lo + k, hi, 0, out, n);
        mth(lo, lo + k, out[(*n)++]);
    }
}

/* ---- the incremental tree, stored in memory ------------------------------------------ */

static merkle_hash *stored;
static int64_t n_stored;

static int mem_read(void *cls, const int64_t *ids, size_t n, merkle_hash *out, tr_err *e)
{
    (void)cls;
    for (size_t i = 0; i < n; i++) {
        if (ids[i] < 0 || ids[i] >= n_stored)
            return err_set(e, 500, "test.read", NULL, "read past the end: %lld", (long long)ids[i]);
        memcpy(out[i], stored[ids[i]], 32);
    }
    return 0;
}

/* Builds leaves 0..n-1 (leaf i = 4 bytes of i) and the stored sequence. */
static void build(int64_t n)
{
    merkle_frontier f = {0};
    merkle_hash out[64];
    size_t k;
    free(leaves);
    free(stored);
    leaves = malloc((size_t)(n ? n : 1) * sizeof *leaves);
    stored = malloc((size_t)(merkle_stored_count(n) + 1) * sizeof *stored);
    n_stored = 0;
    for (int64_t i = 0; i < n; i++) {
        uint32_t v = (uint32_t)i;
        merkle_leaf_hash(leaves[i], &v, sizeof v);
        assert_int_equal(merkle_stored_count(i), n_stored);
        merkle_frontier_push(&f, leaves[i], out, &k);
        for (size_t j = 0; j < k; j++)
            memcpy(stored[n_stored++], out[j], 32);
        assert_int_equal(merkle_stored_index(0, i), merkle_stored_count(i));
    }
    assert_int_equal(n_stored, merkle_stored_count(n));
    memo_reset(n);
}

/* ---- vectors ---------------------------------------------------------------------- */

static json_t *vectors(const char *name)
{
    char p[1024];
    const char *data = getenv("TRUCE_DATA");
    if (!data) fail_msg("TRUCE_DATA is not set; run through make test");
    snprintf(p, sizeof p, "%s/tlog/%s", data, name);
    json_t *v = json_load_file(p, 0, NULL);
    if (!v) fail_msg("cannot read %s", p);
    return v;
}

static void unhex(merkle_hash out, const char *hex)
{
    assert_int_equal(util_unhex(out, 32, hex), 0);
}

static size_t unhex_list(const json_t *arr, merkle_hash *out)
{
    size_t i;
    const json_t *h;
    json_array_foreach(arr, i, h) unhex(out[i], json_string_value(h));
    return json_array_size(arr);
}

static void rfc6962_vectors(void **state)
{
    json_t *v = vectors("rfc6962_vectors.json");
    size_t i, n_leaves = json_array_size(json_object_get(v, "leaves_hex"));
    const json_t *x;
    (void)state;
    /* The reference leaves. */
    merkle_frontier f = {0};
    merkle_hash out[64], root, proof[64];
    size_t k;
    free(stored);
    stored = malloc(64 * sizeof *stored);
    n_stored = 0;
    json_t *roots = json_object_get(v, "roots");
    for (i = 0; i <= n_leaves; i++) {
        merkle_hash want;
        unhex(want, json_string_value(json_object_get(json_array_get(roots, i), "root")));
        merkle_frontier_root(&f, root);
        assert_memory_equal(root, want, 32);
        tr_err e = TR_ERR_INIT;
        assert_int_equal(merkle_root((int64_t)i, mem_read, NULL, root, &e), 0);
        assert_memory_equal(root, want, 32);
        if (i == n_leaves) break;
        const char *hex = json_string_value(json_array_get(json_object_get(v, "leaves_hex"), i));
        unsigned char data[64];
        size_t len = strlen(hex) / 2;
        assert_int_equal(util_unhex(data, len, hex), 0);
        merkle_hash leaf;
        merkle_leaf_hash(leaf, data, len);
        merkle_frontier_push(&f, leaf, out, &k);
        for (size_t j = 0; j < k; j++)
            memcpy(stored[n_stored++], out[j], 32);
    }
    json_array_foreach(json_object_get(v, "inclusion"), i, x)
    {
        int64_t size = json_integer_value(json_object_get(x, "tree_size"));
        int64_t idx = json_integer_value(json_object_get(x, "leaf_index"));
        merkle_hash leaf, want[64], r;
        size_t n = unhex_list(json_object_get(x, "path"), want), len;
        tr_err e = TR_ERR_INIT;
        unhex(leaf, json_string_value(json_object_get(x, "leaf_hash")));
        assert_int_equal(merkle_inclusion_proof(idx, size, mem_read, NULL, proof, &len, &e), 0);
        assert_int_equal(len, n);
        assert_memory_equal(proof, want, 32 * n);
        merkle_root(size, mem_read, NULL, r, &e);
        assert_int_equal(merkle_verify_inclusion(idx, size, leaf, want, n, r), 0);
    }
    json_array_foreach(json_object_get(v, "consistency"), i, x)
    {
        int64_t s1 = json_integer_value(json_object_get(x, "size1"));
        int64_t s2 = json_integer_value(json_object_get(x, "size2"));
        merkle_hash want[64], r1, r2;
        size_t n = unhex_list(json_object_get(x, "proof"), want), len;
        tr_err e = TR_ERR_INIT;
        assert_int_equal(merkle_consistency_proof(s1, s2, mem_read, NULL, proof, &len, &e), 0);
        assert_int_equal(len, n);
        assert_memory_equal(proof, want, 32 * n);
        merkle_root(s1, mem_read, NULL, r1, &e);
        merkle_root(s2, mem_read, NULL, r2, &e);
        assert_int_equal(merkle_verify_consistency(s1, s2, r1, r2, want, n), 0);
    }
    json_decref(v);
}

static void agrees_with_the_rfc_for_every_size_to_1000(void **state)
{
    tr_err e = TR_ERR_INIT;
    merkle_hash a[MERKLE_MAX_PROOF], b[MERKLE_MAX_PROOF], r, want, r1;
    size_t la, lb;
    (void)state;
    build(1000);
    for (int64_t n = 0; n <= 1000; n++) {
        mth(0, n, want);
        assert_int_equal(merkle_root(n, mem_read, NULL, r, &e), 0);
        assert_memory_equal(r, want, 32);
        /* Every index for small trees, a spread of them for larger ones. */
        for (int64_t m = 0; m < n; m += n <= 130 ? 1 : 1 + n / 40) {
            la = lb = 0;
            ref_path(m, 0, n, a, &la);
            assert_int_equal(merkle_inclusion_proof(m, n, mem_read, NULL, b, &lb, &e), 0);
            assert_int_equal(la, lb);
            assert_memory_equal(a, b, 32 * la);
            assert_int_equal(merkle_verify_inclusion(m, n, leaves[m], b, lb, r), 0);
        }
        for (int64_t m = 1; m < n; m += n <= 130 ? 1 : 1 + n / 40) {
            la = lb = 0;
            ref_subproof(m, 0, n, 1, a, &la);
            assert_int_equal(merkle_consistency_proof(m, n, mem_read, NULL, b, &lb, &e), 0);
            assert_int_equal(la, lb);
            assert_memory_equal(a, b, 32 * la);
            mth(0, m, r1);
            assert_int_equal(merkle_verify_consistency(m, n, r1, r, b, lb), 0);
        }
    }
}

static void random_proofs_up_to_100000_leaves(void **state)
{
    tr_err e = TR_ERR_INIT;
    merkle_hash a[MERKLE_MAX_PROOF], b[MERKLE_MAX_PROOF], r, r1;
    size_t la, lb;
    (void)state;
    build(100000);
    for (int t = 0; t < 300; t++) {
        int64_t n = 1 + (int64_t)randombytes_uniform(100000);
        int64_t m = (int64_t)randombytes_uniform((uint32_t)n);
        mth(0, n, r);
        la = lb = 0;
        ref_path(m, 0, n, a, &la);
        assert_int_equal(merkle_inclusion_proof(m, n, mem_read, NULL, b, &lb, &e), 0);
        assert_int_equal(la, lb);
        assert_memory_equal(a, b, 32 * la);
        assert_int_equal(merkle_verify_inclusion(m, n, leaves[m], b, lb, r), 0);
        if (m == 0) continue;
        la = lb = 0;
        ref_subproof(m, 0, n, 1, a, &la);
        assert_int_equal(merkle_consistency_proof(m, n, mem_read, NULL, b, &lb, &e), 0);
        assert_int_equal(la, lb);
        assert_memory_equal(a, b, 32 * la);
        mth(0, m, r1);
        assert_int_equal(merkle_verify_consistency(m, n, r1, r, b, lb), 0);
    }
}

/* Large leaves are hashed by another library (OpenSSL): the same SHA-256 of 0x00 || data
 * on either side of the switch and far past it. */
static void large_leaves_hash_the_same(void **state)
{
    static const size_t sizes[] = {0, 1, 4095, 4096, 4097, 65536, 400000, 1 << 22};
    unsigned char *data = malloc((1 << 22) + 1);
    (void)state;
    randombytes_buf(data + 1, 1 << 22);
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        merkle_hash got, want;
        data[0] = 0x00; /* the leaf prefix, hashed independently below */
        merkle_leaf_hash(got, data + 1, sizes[i]);
        crypto_hash_sha256(want, data, sizes[i] + 1);
        if (memcmp(got, want, sizeof got) != 0) fail_msg("leaf of %zu bytes differs", sizes[i]);
    }
    free(data);
}

static void verification_edge_cases(void **state)
{
    tr_err e = TR_ERR_INIT;
    merkle_hash p[MERKLE_MAX_PROOF], r7, r4, r3, bad;
    size_t len;
    (void)state;
    build(8);
    mth(0, 7, r7);
    mth(0, 4, r4);
    mth(0, 3, r3);
    /* Inclusion: index >= size, size 0, wrong leaf, proofs too short and too long. */
    assert_int_equal(merkle_inclusion_proof(2, 7, mem_read, NULL, p, &len, &e), 0);
    assert_int_equal(merkle_verify_inclusion(2, 7, leaves[2], p, len, r7), 0);
    assert_int_equal(merkle_verify_inclusion(7, 7, leaves[2], p, len, r7), -1);
    assert_int_equal(merkle_verify_inclusion(9, 7, leaves[2], p, len, r7), -1);
    assert_int_equal(merkle_verify_inclusion(0, 0, leaves[2], p, len, r7), -1);
    assert_int_equal(merkle_verify_inclusion(-1, 7, leaves[2], p, len, r7), -1);
    assert_int_equal(merkle_verify_inclusion(3, 7, leaves[2], p, len, r7), -1);
    assert_int_equal(merkle_verify_inclusion(2, 7, leaves[3], p, len, r7), -1);
    assert_int_equal(merkle_verify_inclusion(2, 7, leaves[2], p, len - 1, r7), -1);
    memcpy(p[len], p[0], 32);
    assert_int_equal(merkle_verify_inclusion(2, 7, leaves[2], p, len + 1, r7), -1);
    memcpy(bad, p[1], 32);
    bad[0] ^= 1;
    memcpy(p[1], bad, 32);
    assert_int_equal(merkle_verify_inclusion(2, 7, leaves[2], p, len, r7), -1);
    assert_int_equal(merkle_inclusion_proof(7, 7, mem_read, NULL, p, &len, &e), -1);
    assert_string_equal(e.code, "log.bad_index");
    err_clear(&e);
    /* A single-leaf tree: the empty proof, root = leaf. */
    assert_int_equal(merkle_verify_inclusion(0, 1, leaves[0], NULL, 0, leaves[0]), 0);

    /* Consistency. */
    assert_int_equal(merkle_verify_consistency(7, 7, r7, r7, NULL, 0), 0);
    assert_int_equal(merkle_verify_consistency(7, 7, r7, r4, NULL, 0), -1);
    assert_int_equal(merkle_verify_consistency(7, 7, r7, r7, &r7, 1), -1); /* not empty */
    assert_int_equal(merkle_verify_consistency(0, 7, r7, r7, NULL, 0), 0);
    assert_int_equal(merkle_verify_consistency(0, 7, r7, r7, &r7, 1), -1);
    assert_int_equal(merkle_verify_consistency(7, 4, r7, r4, NULL, 0), -1);
    assert_int_equal(merkle_verify_consistency(3, 7, r3, r7, NULL, 0), -1); /* empty */
    assert_int_equal(merkle_consistency_proof(3, 7, mem_read, NULL, p, &len, &e), 0);
    assert_int_equal(merkle_verify_consistency(3, 7, r3, r7, p, len), 0);
    assert_int_equal(merkle_verify_consistency(3, 7, r3, r7, p, len - 1), -1);
    memcpy(p[len], p[0], 32);
    assert_int_equal(merkle_verify_consistency(3, 7, r3, r7, p, len + 1), -1);
    assert_int_equal(merkle_verify_consistency(3, 7, r4, r7, p, len), -1);
    assert_int_equal(merkle_verify_consistency(4, 7, r3, r7, p, len), -1);
    assert_int_equal(merkle_consistency_proof(4, 7, mem_read, NULL, p, &len, &e), 0);
    assert_int_equal(merkle_verify_consistency(4, 7, r4, r7, p, len), 0);
    assert_int_equal(merkle_consistency_proof(8, 7, mem_read, NULL, p, &len, &e), -1);
    err_clear(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rfc6962_vectors),
        cmocka_unit_test(agrees_with_the_rfc_for_every_size_to_1000),
        cmocka_unit_test(random_proofs_up_to_100000_leaves),
        cmocka_unit_test(verification_edge_cases),
        cmocka_unit_test(large_leaves_hash_the_same),
    };
    if (sodium_init() < 0) return 1;
    int rc = cmocka_run_group_tests_name("merkle", tests, NULL, NULL);
    free(leaves);
    free(stored);
    for (int l = 0; l < 20; l++) {
        free(memo[l]);
        free(memo_set[l]);
    }
    return rc;
}
