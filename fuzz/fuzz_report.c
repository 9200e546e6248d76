/* fuzz_report.c - a report's body (POST /api/v1/reports, POST /incidents): parsed as the
 * API parses it, checked against the report's schema, then filed, in a transaction that is
 * rolled back. A bad body must be a 400 naming a field; a good one must be filed. */
#include "fuzz.h"

#include "journal/journal.h"
#include "json/jsx.h"
#include "monitor/reports.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    store *s = fuzz_store();
    tr_err e = TR_ERR_INIT;
    json_error_t je;
    int64_t id = 0;
    json_t *in = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &je);

    if (!in) return 0;
    if (json_is_object(in) && jsx_check(in, report_fields, "report", &e) == 0) {
        if (s->ops->begin(s, &e)) abort();
        int rc = report_file(s, &journal_operator, REPORT_PUBLIC, in, &id, &e);
        s->ops->rollback(s);
        if (rc == 0 && id <= 0) abort();
        if (rc != 0 && (e.status != 400 || !e.message[0])) abort(); /* names what is wrong */
    }
    err_clear(&e);
    json_decref(in);
    return 0;
}
