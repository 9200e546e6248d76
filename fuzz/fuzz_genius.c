/* fuzz_genius.c - Genius XML negotiation domains and profiles (`truce analyze`, a
 * negotiation's domain in the API). The input is a domain, or a domain and one profile
 * separated by a NUL byte, each read from a file as `truce analyze` reads them. A domain
 * that loads must be one the engine can analyse: weights that sum to 1, values in [0, 1].
 * Small ones are analysed. */
#include "fuzz.h"

#include "negotiate/genius.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[] = "/tmp/truce-fuzz-genius-XXXXXX";

static void put(const char *path, const uint8_t *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f)) abort();
}

static void check(neg_domain *d)
{
    for (int p = 0; p < neg_parties(d); p++) {
        double sum = 0;
        for (int i = 0; i < neg_issues(d); i++) {
            double w = neg_weight(d, p, i);
            if (!(w >= 0 && w <= 1)) abort();
            sum += w;
            for (int o = 0; o < neg_options(d, i); o++) {
                double v = neg_value(d, p, i, o);
                if (!(v >= 0 && v <= 1)) abort();
            }
        }
        if (neg_issues(d) && fabs(sum - 1) > 1e-9) abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    tr_err e = TR_ERR_INIT;
    char domain[64], profile[64];

    if (!ready) {
        if (!mkdtemp(dir)) abort();
        ready = 1;
    }
    snprintf(domain, sizeof domain, "%s/domain.xml", dir);
    snprintf(profile, sizeof profile, "%s/party.xml", dir);
    const uint8_t *nul = memchr(data, 0, size);
    size_t first = nul ? (size_t)(nul - data) : size;
    put(domain, data, first);
    char *paths[] = {domain, profile};
    if (nul) put(profile, nul + 1, size - first - 1);
    neg_domain *d = neg_genius_load(paths, nul ? 2 : 1, &e);
    if (!d && (e.status < 400 || e.status > 499 || !e.message[0])) abort();
    err_clear(&e);
    if (d) {
        check(d);
        char count[64];
        neg_outcome_count(d, count, sizeof count);
        if (strlen(count) <= 4 && neg_parties(d) > 0) { /* under 10,000 outcomes */
            neg_analysis *a = NULL;
            neg_limits lim = {0};
            if (neg_analyze(d, &lim, &a, &e) == 0) {
                if (a->n_frontier == 0) abort();
                neg_analysis_free(a);
            }
            err_clear(&e);
        }
        neg_domain_free(d);
    }
    d = neg_genius_domain_parse((const char *)data, first, &e);
    if (!d && (e.status < 400 || e.status > 499 || !e.message[0])) abort();
    err_clear(&e);
    neg_domain_free(d);
    unlink(profile);
    return 0;
}
