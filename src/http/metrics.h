/* metrics.h - request counters and a latency histogram, rendered for Prometheus.
 *
 * Counters are per route (plus one slot for requests that matched no route) and per
 * status, kept in relaxed atomics so that recording costs a few nanoseconds and takes no
 * lock. Latency goes into one histogram with fixed buckets from 100 µs to 10 s. */
#ifndef TRUCE_HTTP_METRICS_H
#define TRUCE_HTTP_METRICS_H

#include "core/buf.h"

#include <stddef.h>
#include <stdint.h>

typedef struct metrics metrics;

/* `routes` names each route as "METHOD /pattern"; the array must outlive the metrics. */
metrics *metrics_new(const char *const *routes, size_t n_routes);
void metrics_free(metrics *m);

/* route is an index into `routes`, or -1 for a request that matched none. */
void metrics_observe(metrics *m, int route, int status, double seconds);

/* Appends the Prometheus text exposition (format 0.0.4) of the counters. */
void metrics_render(metrics *m, buf *out);

#endif
