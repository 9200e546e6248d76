/* store_util.h - shared by the monitor pillar's storage on SQLite and PostgreSQL. */
#ifndef TRUCE_MONITOR_STORE_UTIL_H
#define TRUCE_MONITOR_STORE_UTIL_H

#include "monitor/store.h"

#include <jansson.h>

/* Counts key (when not NULL or empty) once more in map. */
void monitor_tally(json_t *map, const char *key);
/* Sends one tallied dimension to cb as store_count rows, by key, or most first (then by
 * key); 1 when cb stopped. */
int monitor_emit(json_t *map, store_count_by by, int most_first, store_row_cb cb, void *cls);
/* Sorts row ids (positive, distinct) in place; how many there are. */
size_t monitor_sort_ids(int64_t *ids, size_t n);

#endif
