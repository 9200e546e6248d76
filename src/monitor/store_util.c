/* store_util.c - what both backends' monitor storage do in C after their SQL: tallies of a
 * dimension sent sorted, row ids sorted (monitor/store_util.h). */
#include "monitor/store_util.h"

#include <stdlib.h>
#include <string.h>

typedef struct keyed_count {
    const char *key;
    json_int_t n;
} keyed_count;

void monitor_tally(json_t *map, const char *key)
{
    json_t *v;
    if (!key || !key[0]) return;
    if ((v = json_object_get(map, key)))
        json_integer_set(v, json_integer_value(v) + 1);
    else
        json_object_set_new(map, key, json_integer(1));
}

static int by_key(const void *a, const void *b)
{
    return strcmp(((const keyed_count *)a)->key, ((const keyed_count *)b)->key);
}

static int by_count_then_key(const void *a, const void *b)
{
    const keyed_count *x = a, *y = b;
    if (x->n != y->n) return x->n > y->n ? -1 : 1;
    return strcmp(x->key, y->key);
}

/* Sends one tallied dimension to cb, sorted; 1 when cb stopped. */
int monitor_emit(json_t *map, store_count_by by, int most_first, store_row_cb cb, void *cls)
{
    size_t n = json_object_size(map), i = 0;
    keyed_count *all = malloc((n ? n : 1) * sizeof *all);
    const char *k;
    json_t *v;
    int stopped = 0;
    if (!all) abort();
    json_object_foreach(map, k, v) all[i++] = (keyed_count){k, json_integer_value(v)};
    qsort(all, n, sizeof *all, most_first ? by_count_then_key : by_key);
    for (i = 0; i < n && !stopped; i++) {
        store_count c = {by, all[i].key, all[i].n};
        stopped = cb(cls, &c) != 0;
    }
    free(all);
    return stopped;
}

static int by_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Sorts row ids (positive, distinct) and returns how many there are. Ids are dense, so a
 * bitmap up to the largest is small and reads them back in order in linear time (a box of
 * 100,000 out of a million incidents: 4 % of the GeoJSON reply's time was qsort). qsort
 * when they are sparse. */
size_t monitor_sort_ids(int64_t *ids, size_t n)
{
    int64_t top = 0;
    if (n < 2) return n; /* ids may be NULL */
    for (size_t i = 0; i < n && top < INT64_MAX; i++)
        top = ids[i] <= 0 ? INT64_MAX /* not row ids after all */ : ids[i] > top ? ids[i] : top;
    if (n < 64 || (uint64_t)top / 64 > n) {
        qsort(ids, n, sizeof *ids, by_id);
        return n;
    }
    size_t words = (size_t)top / 64 + 1, k = 0;
    uint64_t *bits = calloc(words, sizeof *bits);
    if (!bits) abort();
    for (size_t i = 0; i < n; i++)
        bits[ids[i] / 64] |= 1ull << (ids[i] % 64);
    for (size_t w = 0; w < words; w++)
        for (uint64_t b = bits[w]; b; b &= b - 1)
            ids[k++] = (int64_t)(w * 64 + (size_t)__builtin_ctzll(b));
    free(bits);
    return k;
}
