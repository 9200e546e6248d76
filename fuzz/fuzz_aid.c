/* fuzz_aid.c - the aid counts importer (`truce import aid-counts`): dates in the formats
 * publishers write, values, crossing and category names.
 *
 * The first byte picks the spec (its bit 0: the file as it is, else a header line first;
 * bit 1: count rows, else sum the value column; bit 2: map names given); the rest is the
 * file. Every outcome must be a result or a clear error, and every row counted once. */
#include "fuzz.h"

#include "aid/import.h"
#include "journal/journal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char header[] = "date,value,crossing,category\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    store *s = fuzz_store();
    tr_err e = TR_ERR_INIT;
    aid_import_result res;
    unsigned flags = size ? data[0] : 0;
    if (size) data++, size--;
    int with_header = !(flags & 1);
    size_t len = (with_header ? sizeof header - 1 : 0) + size;
    char *text = malloc(len + 1);
    if (!text) abort();
    if (with_header) memcpy(text, header, sizeof header - 1);
    memcpy(text + len - size, data, size);
    aid_import_spec spec = {.source = "fuzz",
                            .basis = "trucks_entered",
                            .date_column = "date",
                            .value_column = flags & 2 ? NULL : "value",
                            .count_rows = (flags & 2) != 0,
                            .crossing_column = "crossing",
                            .category_column = "category",
                            .map_crossing = flags & 4 ? "Kerem Shalom Crossing=kerem-shalom" : NULL,
                            .map_category = flags & 4 ? "Flour=food,Tents=shelter" : NULL,
                            .in_txn = 1};
    FILE *in = len ? fmemopen(text, len, "rb") : NULL;
    if (!in && len) abort();
    if (s->ops->begin(s, &e)) abort();
    int rc = in ? aid_import_counts(s, &journal_operator, in, 0, &spec, NULL, NULL, &res, &e) : 0;
    s->ops->rollback(s);
    if (in) {
        if (rc == 0 && res.imported + res.rejected != res.rows) abort(); /* every row counted */
        if (rc == 0 && (res.counts < 1 || res.counts > res.imported)) abort();
        if (rc != 0 && (e.status < 400 || !e.message[0])) abort(); /* a clear error */
        json_decref(res.rejects);
        json_decref(res.names);
        fclose(in);
    }
    err_clear(&e);
    free(text);
    return 0;
}
