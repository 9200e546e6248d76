/* metrics.c - Prometheus counters; see metrics.h. */
#include "http/metrics.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static const int statuses[] = {200, 201, 204, 400, 401, 403, 404, 405,
                               409, 413, 415, 429, 500, 503, 507};
#define N_STATUS (sizeof statuses / sizeof statuses[0] + 1) /* + "other" */

static const double buckets[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                 0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};
#define N_BUCKETS (sizeof buckets / sizeof buckets[0])

struct metrics {
    const char *const *routes;
    size_t n_routes;
    atomic_uint_fast64_t *counts;             /* [(n_routes + 1) * N_STATUS] */
    atomic_uint_fast64_t hist[N_BUCKETS + 1]; /* Non-cumulative; last is +Inf. */
    atomic_uint_fast64_t sum_us;              /* Total latency, microseconds. */
    atomic_uint_fast64_t total;
};

metrics *metrics_new(const char *const *routes, size_t n_routes)
{
    metrics *m = calloc(1, sizeof *m);
    if (!m) abort();
    m->routes = routes;
    m->n_routes = n_routes;
    m->counts = calloc((n_routes + 1) * N_STATUS, sizeof *m->counts);
    if (!m->counts) abort();
    return m;
}

void metrics_free(metrics *m)
{
    if (!m) return;
    free(m->counts);
    free(m);
}

static size_t status_slot(int status)
{
    for (size_t i = 0; i < N_STATUS - 1; i++)
        if (statuses[i] == status) return i;
    return N_STATUS - 1;
}

void metrics_observe(metrics *m, int route, int status, double seconds)
{
    size_t r = route < 0 ? m->n_routes : (size_t)route, b = 0;
    atomic_fetch_add_explicit(&m->counts[r * N_STATUS + status_slot(status)], 1,
                              memory_order_relaxed);
    while (b < N_BUCKETS && seconds > buckets[b])
        b++;
    atomic_fetch_add_explicit(&m->hist[b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&m->sum_us, (uint64_t)(seconds * 1e6), memory_order_relaxed);
    atomic_fetch_add_explicit(&m->total, 1, memory_order_relaxed);
}

void metrics_render(metrics *m, buf *out)
{
    uint64_t cum = 0;
    buf_puts(out, "# HELP truce_http_requests_total HTTP requests by route and status.\n"
                  "# TYPE truce_http_requests_total counter\n");
    for (size_t r = 0; r <= m->n_routes; r++) {
        const char *name = r < m->n_routes ? m->routes[r] : "unmatched";
        const char *sp = strchr(name, ' ');
        for (size_t s = 0; s < N_STATUS; s++) {
            uint64_t n = atomic_load_explicit(&m->counts[r * N_STATUS + s], memory_order_relaxed);
            if (!n) continue;
            if (sp)
                buf_printf(out, "truce_http_requests_total{method=\"%.*s\",route=\"%s\",",
                           (int)(sp - name), name, sp + 1);
            else
                buf_printf(out, "truce_http_requests_total{method=\"\",route=\"%s\",", name);
            if (s < N_STATUS - 1)
                buf_printf(out, "status=\"%d\"} %llu\n", statuses[s], (unsigned long long)n);
            else
                buf_printf(out, "status=\"other\"} %llu\n", (unsigned long long)n);
        }
    }
    buf_puts(out, "# HELP truce_http_request_duration_seconds Time from request to reply.\n"
                  "# TYPE truce_http_request_duration_seconds histogram\n");
    for (size_t b = 0; b <= N_BUCKETS; b++) {
        cum += atomic_load_explicit(&m->hist[b], memory_order_relaxed);
        if (b < N_BUCKETS)
            buf_printf(out, "truce_http_request_duration_seconds_bucket{le=\"%g\"} %llu\n",
                       buckets[b], (unsigned long long)cum);
        else
            buf_printf(out, "truce_http_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
                       (unsigned long long)cum);
    }
    buf_printf(out, "truce_http_request_duration_seconds_sum %.6f\n",
               (double)atomic_load(&m->sum_us) / 1e6);
    buf_printf(out, "truce_http_request_duration_seconds_count %llu\n",
               (unsigned long long)atomic_load(&m->total));
}
