/* fuzz_acled.c - the ACLED CSV importer (`truce import acled`, POST /imports/acled).
 *
 * An input whose first byte is odd is the file as it is; otherwise the real export's
 * header line comes first, so that the fuzzer spends its time on rows rather than on
 * headers that fail at once. Every outcome must be a result or a clear error: what the
 * sanitizers catch (and a failed check below) is a bug. */
#include "fuzz.h"
#include "monitor/store.h"

#include "journal/journal.h"
#include "monitor/acled.h"
#include "monitor/export.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char header[] =
    "event_id_cnty,event_date,year,time_precision,disorder_type,event_type,sub_event_type,"
    "actor1,assoc_actor_1,inter1,actor2,assoc_actor_2,inter2,interaction,civilian_targeting,"
    "iso,region,country,admin1,admin2,admin3,location,latitude,longitude,geo_precision,"
    "source,source_scale,notes,fatalities,tags,timestamp\n";

/* Every imported incident's document, built from its stored CSV row, is JSON whose
 * coordinates are the row's. */
static int doc_parses(void *cls, const void *row)
{
    const store_incident_row *r = row;
    buf tmp = BUF_INIT;
    const char *doc = export_incident_doc(r, &tmp);
    if (!doc) abort();
    json_t *j = json_loads(doc, 0, NULL);
    if (!j || !json_is_real(json_object_get(j, "latitude")) ||
        json_real_value(json_object_get(j, "latitude")) != r->latitude ||
        json_real_value(json_object_get(j, "longitude")) != r->longitude)
        abort();
    json_decref(j);
    buf_free(&tmp);
    (*(int64_t *)cls)++;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    store *s = fuzz_store();
    tr_err e = TR_ERR_INIT;
    acled_result res = {0};
    int with_header = size == 0 || !(data[0] & 1);
    size_t len = (with_header ? sizeof header - 1 : 0) + size;
    char *text = malloc(len + 1);

    if (!text) abort();
    if (with_header) memcpy(text, header, sizeof header - 1);
    memcpy(text + len - size, data, size);
    FILE *in = fmemopen(text, len, "rb");
    if (!in && len) abort();
    if (s->ops->begin(s, &e)) abort();
    int rc =
        in ? acled_import_here(s, &journal_operator, in, 0, "verified", 0, NULL, NULL, &res, &e)
           : 0;
    if (rc == 0 && res.imported) {
        store_incident_filter all = {0};
        int64_t seen = 0;
        if (monitor_store(s)->incident_list(s, &all, 0, INT64_MAX, doc_parses, &seen, &e) ||
            seen > res.imported)
            abort();
    }
    s->ops->rollback(s);
    if (rc == 0 && res.imported + res.rejected != res.rows) abort(); /* every row counted */
    if (rc != 0 && (e.status < 400 || !e.message[0])) abort();       /* a clear error */
    json_decref(res.rejects);
    err_clear(&e);
    if (in) fclose(in);
    free(text);
    return 0;
}
