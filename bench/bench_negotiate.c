/* bench_negotiate.c - the negotiation engine on spaces too large to enumerate, and against
 * brute-force enumeration on a 10^6-outcome domain, in one run. Values are random (three
 * decimals) with a fixed seed per run of the random generator's choosing; each figure is
 * the best of five. */
#include "core/util.h"
#include "negotiate/engine/engine.h"

#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static neg_domain *domain(int np, int ni, int no)
{
    tr_err e = TR_ERR_INIT;
    neg_domain *d = neg_domain_new();
    for (int p = 0; p < np; p++)
        neg_party_add(d, "party");
    for (int i = 0; i < ni; i++) {
        neg_issue_add(d, "issue");
        for (int o = 0; o < no; o++) {
            neg_option_add(d, i, "option");
            for (int p = 0; p < np; p++)
                neg_value_set(d, p, i, o, randombytes_uniform(1001) / 1000.0);
        }
        for (int p = 0; p < np; p++)
            neg_weight_set(d, p, i, 1 + randombytes_uniform(100));
    }
    if (neg_domain_check(d, &e)) abort();
    return d;
}

static double engine_ms(const neg_domain *d, size_t *frontier, size_t *peak)
{
    double best = INFINITY;
    for (int r = 0; r < 5; r++) {
        tr_err e = TR_ERR_INIT;
        neg_analysis *a;
        uint64_t t0 = util_mono_ns();
        if (neg_analyze(d, NULL, &a, &e)) {
            fprintf(stderr, "bench_negotiate: %s\n", e.message);
            exit(1);
        }
        double ms = (double)(util_mono_ns() - t0) / 1e6;
        if (ms < best) best = ms;
        *frontier = a->n_frontier;
        *peak = a->peak_points;
        neg_analysis_free(a);
    }
    return best;
}

typedef struct pt {
    double u0, u1;
} pt;

static int cmp(const void *a, const void *b)
{
    const pt *x = a, *y = b;
    if (x->u0 != y->u0) return x->u0 > y->u0 ? -1 : 1;
    return (x->u1 > y->u1) ? -1 : (x->u1 < y->u1);
}

/* Enumerate every outcome, then a sort-and-sweep frontier and the four points. */
static double brute_ms(const neg_domain *d, size_t *frontier)
{
    int ni = neg_issues(d);
    size_t n = 1;
    for (int i = 0; i < ni; i++)
        n *= (size_t)neg_options(d, i);
    pt *all = malloc(n * sizeof *all);
    int pkg[64] = {0};
    double best = INFINITY;
    for (int r = 0; r < 3; r++) {
        uint64_t t0 = util_mono_ns();
        memset(pkg, 0, sizeof pkg);
        for (size_t k = 0; k < n; k++) {
            all[k].u0 = neg_utility(d, 0, pkg);
            all[k].u1 = neg_utility(d, 1, pkg);
            for (int i = ni - 1; i >= 0; i--) {
                if (++pkg[i] < neg_options(d, i)) break;
                pkg[i] = 0;
            }
        }
        qsort(all, n, sizeof *all, cmp);
        double top = -INFINITY, nash = -1, welfare = -1;
        size_t kept = 0;
        for (size_t k = 0; k < n; k++)
            if (all[k].u1 > top) {
                top = all[k].u1;
                kept++;
                if (all[k].u0 * all[k].u1 > nash) nash = all[k].u0 * all[k].u1;
                if (all[k].u0 + all[k].u1 > welfare) welfare = all[k].u0 + all[k].u1;
            }
        *frontier = kept;
        double ms = (double)(util_mono_ns() - t0) / 1e6;
        if (ms < best) best = ms;
    }
    free(all);
    return best;
}

int main(void)
{
    size_t f, peak, bf;
    char count[64];
    if (sodium_init() < 0) return 1;
    printf("%-44s %12s %10s %10s %12s\n", "domain", "outcomes", "frontier", "peak kept",
           "time (best of 5)");
    neg_domain *d = domain(2, 20, 10);
    neg_outcome_count(d, count, sizeof count);
    double ms = engine_ms(d, &f, &peak);
    printf("%-44s %12s %10zu %10zu %9.2f ms  (target <= 50 ms)\n",
           "2 parties, 20 issues x 10 options", count, f, peak, ms);
    neg_domain_free(d);
    d = domain(3, 12, 6);
    neg_outcome_count(d, count, sizeof count);
    ms = engine_ms(d, &f, &peak);
    printf("%-44s %12s %10zu %10zu %9.2f ms  (target <= 1 s)\n", "3 parties, 12 issues x 6 options",
           count, f, peak, ms);
    neg_domain_free(d);
    d = domain(2, 6, 10);
    neg_outcome_count(d, count, sizeof count);
    ms = engine_ms(d, &f, &peak);
    double bms = brute_ms(d, &bf);
    printf("%-44s %12s %10zu %10zu %9.2f ms\n", "2 parties, 6 x 10: engine", count, f, peak, ms);
    printf("%-44s %12s %10zu %10s %9.2f ms  (best of 3)\n", "2 parties, 6 x 10: brute force", count,
           bf, count, bms);
    printf("engine / brute force: %.0fx faster; frontiers agree: %s\n", bms / ms,
           bf == f ? "yes" : "NO");
    neg_domain_free(d);
    return bf == f ? 0 : 1;
}
