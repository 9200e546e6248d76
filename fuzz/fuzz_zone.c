/* fuzz_zone.c - a zone's GeoJSON geometry (POST /api/v1/zones), or a FeatureCollection of
 * zones (truce import zones): checked for shape, then created (GEOS checks validity), in a
 * transaction that is rolled back. A bad one must be a 4xx, never a crash. */
#include "fuzz.h"

#include "journal/journal.h"
#include "monitor/zones.h"

#include <jansson.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    store *s = fuzz_store();
    tr_err e = TR_ERR_INIT;
    json_error_t je;
    json_t *geometry = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &je);

    if (!geometry) return 0;
    if (s->ops->begin(s, &e)) abort();
    int rc;
    if (json_object_get(geometry, "features")) { /* a FeatureCollection: truce import zones */
        zone_import_opts o = {"name", NULL, NULL, NULL, NULL};
        json_t *slugs = NULL;
        rc = zone_import(s, &journal_operator, geometry, &o, &slugs, &e);
        if (rc == 0 && json_array_size(slugs) == 0) abort();
        json_decref(slugs);
    } else {
        rc = zone_create(s, &journal_operator, "fuzzed", "Fuzzed", "area", geometry, &e);
    }
    s->ops->rollback(s);
    if (rc != 0 && (e.status < 400 || e.status > 499 || !e.message[0])) abort();
    err_clear(&e);
    json_decref(geometry);
    return 0;
}
