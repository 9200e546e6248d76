/* crossings.c - border crossings; see crossings.h. */
#include "aid/crossings.h"

#include "accounts/store.h"
#include "core/util.h"

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

/* Minutes past midnight of "HH:MM" at h, or -1. */
static int minutes(const char *h)
{
    for (int i = 0; i < 5; i++)
        if (i == 2 ? h[i] != ':' : h[i] < '0' || h[i] > '9') return -1;
    int hh = (h[0] - '0') * 10 + h[1] - '0', mm = (h[3] - '0') * 10 + h[4] - '0';
    return hh < 24 && mm < 60 ? hh * 60 + mm : -1;
}

/* "HH:MM-HH:MM", each a time of day, the first before the second. */
static int hours_valid(const char *h)
{
    int open, close;
    if (strlen(h) != 11 || h[5] != '-') return 0;
    open = minutes(h), close = minutes(h + 6);
    return open >= 0 && close > open;
}

int crossing_find(store *s, const char *slug, store_crossing *out, tr_err *e)
{
    int rc = aid_store(s)->crossing_get(s, slug, out, e);
    if (rc == 0)
        err_set(e, 404, "crossing.not_found", "list crossings with GET /api/v1/crossings",
                "crossing '%s' does not exist", slug);
    return rc == 1 ? 0 : -1;
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

const jsx_field closure_fields[] = {
    {.name = "from", .type = JSX_STRING, .min = 10, .max = 10},
    {.name = "to", .type = JSX_STRING, .flags = JSX_OPTIONAL, .min = 10, .max = 10},
    {.name = "reason", .type = JSX_STRING, .min = 1, .max = 256},
    {0},
};

int crossing_close(store *s, const journal_actor *who, int admin, const char *slug,
                   const json_t *in, store_closure *out, tr_err *e)
{
    store_crossing c;
    const char *from = jsx_str(in, "from", ""), *to = jsx_str(in, "to", NULL);
    json_t *body;
    int64_t seq;
    int rc;
    if (crossing_find(s, slug, &c, e)) return -1;
    if (!admin && (!c.operated_by[0] || !who->org || strcmp(who->org, c.operated_by) != 0)) {
        json_t *allowed = json_array();
        if (c.operated_by[0]) {
            json_array_append_new(allowed, json_string(c.operated_by));
            err_set(e, 403, "auth.forbidden",
                    "sign in as a user of the crossing's operator, or as an administrator",
                    "only '%s', which operates '%s', may record its closures", c.operated_by, slug);
        } else {
            err_set(e, 403, "auth.forbidden", "sign in as an administrator",
                    "'%s' names no operator: only an administrator may record its closures", slug);
        }
        json_array_append_new(allowed, json_string("admin"));
        err_detail(e, json_pack("{s:o}", "allowed", allowed));
        return -1;
    }
    if (!util_is_date(from))
        return err_field(e, "request.invalid_field", "from", "a date as YYYY-MM-DD",
                         "'%s' is not a date", from);
    if (to && !util_is_date(to))
        return err_field(e, "request.invalid_field", "to", "a date as YYYY-MM-DD",
                         "'%s' is not a date", to);
    if (to && strcmp(to, from) < 0)
        return err_field(e, "request.invalid_field", "to", "the last day closed, on or after from",
                         "%s is before %s", to, from);
    body = json_pack("{s:s, s:s, s:s}", "crossing", slug, "from", from, "reason",
                     jsx_str(in, "reason", ""));
    if (to) json_object_set_new(body, "to", json_string(to));
    rc = journal_record(s, who, "crossing.closed", body, "public", &seq, e);
    json_decref(body);
    if (rc) return -1;
    /* Its id is its event's number (see on_closure). */
    return aid_store(s)->closure_get(s, seq, out, e) == 1 ? 0 : -1;
}

json_t *closure_json(const store_closure *c)
{
    return json_pack("{s:I, s:s, s:s, s:o, s:s, s:o, s:s}", "id", (json_int_t)c->id, "crossing",
                     c->crossing, "from", c->from_date, "to",
                     c->to_date[0] ? json_string(c->to_date) : json_null(), "reason", c->reason,
                     "recorded_by", c->recorded_by[0] ? json_string(c->recorded_by) : json_null(),
                     "recorded_at", c->recorded_at);
}
