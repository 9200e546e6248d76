/* crossings.c - border crossings; see crossings.h. */
#include "aid/crossings.h"

#include "accounts/store.h"

#include <stdio.h>
#include <string.h>

const jsx_field crossing_fields[] = {
    {.name = "slug", .type = JSX_SLUG},
    {.name = "name", .type = JSX_STRING, .min = 1, .max = 256},
    {.name = "lat", .type = JSX_NUMBER, .min = -90, .max = 90},
    {.name = "lon", .type = JSX_NUMBER, .min = -180, .max = 180},
    {.name = "notes", .type = JSX_STRING, .flags = JSX_OPTIONAL, .max = 256},
    {.name = "operated_by", .type = JSX_SLUG, .flags = JSX_OPTIONAL},
    {.name = "capacity_per_day", .type = JSX_INT, .flags = JSX_OPTIONAL, .min = 1, .max = 100000},
    {.name = "hours", .type = JSX_STRING, .flags = JSX_OPTIONAL, .min = 11, .max = 11},
    {0},
};

/* "HH:MM-HH:MM", each a time of day, the first before the second. */
static int hours_valid(const char *h)
{
    unsigned oh, om, ch, cm;
    char tail;
    if (strlen(h) != 11 || h[2] != ':' || h[5] != '-' || h[8] != ':') return 0;
    if (sscanf(h, "%2u:%2u-%2u:%2u%c", &oh, &om, &ch, &cm, &tail) != 4) return 0;
    for (int i = 0; i < 11; i++)
        if (i != 2 && i != 5 && i != 8 && (h[i] < '0' || h[i] > '9')) return 0;
    return oh < 24 && om < 60 && ch < 24 && cm < 60 && oh * 60 + om < ch * 60 + cm;
}

int crossing_create(store *s, const journal_actor *who, const json_t *in, tr_err *e)
{
    store_crossing existing;
    const char *slug = jsx_str(in, "slug", "");
    const char *op = jsx_str(in, "operated_by", NULL);
    const char *hours = jsx_str(in, "hours", NULL);
    json_t *body;
    int rc = aid_store(s)->crossing_get(s, slug, &existing, e);
    if (rc < 0) return -1;
    if (rc == 1)
        return err_set(e, 409, "crossing.exists", "choose another slug",
                       "crossing '%s' already exists", slug);
    if (hours && !hours_valid(hours))
        return err_field(e, "request.invalid_field", "hours",
                         "opening hours as HH:MM-HH:MM, local time, e.g. 08:00-16:00",
                         "'%s' is not a span of hours within one day", hours);
    if (op) {
        store_org o;
        rc = accounts_store(s)->org_get(s, op, &o, e);
        if (rc < 0) return -1;
        if (rc == 0)
            return err_field(e, "request.invalid_field", "operated_by", "see GET /api/v1/orgs",
                             "no organization '%s'", op);
    }
    body = json_pack("{s:s, s:s, s:f, s:f, s:s}", "slug", slug, "name", jsx_str(in, "name", ""),
                     "lat", jsx_num(in, "lat", 0), "lon", jsx_num(in, "lon", 0), "notes",
                     jsx_str(in, "notes", ""));
    if (op) json_object_set_new(body, "operated_by", json_string(op));
    if (json_object_get(in, "capacity_per_day"))
        json_object_set(body, "capacity_per_day", json_object_get(in, "capacity_per_day"));
    if (hours) json_object_set_new(body, "hours", json_string(hours));
    rc = journal_record(s, who, "crossing.created", body, "public", NULL, e);
    json_decref(body);
    return rc;
}

json_t *crossing_json(const store_crossing *c)
{
    json_t *o = json_pack("{s:s, s:s, s:f, s:f, s:s}", "slug", c->slug, "name", c->name, "lat",
                          c->lat, "lon", c->lon, "notes", c->notes);
    json_object_set_new(o, "operated_by",
                        c->operated_by[0] ? json_string(c->operated_by) : json_null());
    json_object_set_new(o, "capacity_per_day",
                        c->capacity_per_day > 0 ? json_integer(c->capacity_per_day) : json_null());
    json_object_set_new(o, "hours", c->hours[0] ? json_string(c->hours) : json_null());
    return o;
}
