/* routes.c - the aid pillar's HTTP handlers and its part of the route table: crossings and
 * their closures.
 *
 * Handlers translate between HTTP and the pillar's services, which own the rules; the
 * registry (src/pillars.c) merges this table with the others'. docs/api.md documents every
 * route with an example. */
#include "aid/routes.h"

#include "http/handler.h"
#include "accounts/accounts.h"
#include "aid/counts.h"
#include "aid/crossings.h"
#include "core/util.h"
#include "json/jsx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *crossing_row(const void *row)
{
    return crossing_json(row);
}

static int crossing_cb(void *cls, const void *row)
{
    return http__collect(cls, row, crossing_row);
}

static int h_crossings(http_req *r)
{
    store *s = http__reader_or_fail(r);
    return s ? http__list(r, "crossings", aid_store(s)->crossing_list, crossing_cb) : 0;
}

static int crossing_write(store *s, void *cls, tr_err *e)
{
    http_req *r = cls;
    journal_actor who = acct_actor(&r->caller);
    store_crossing c;
    if (crossing_create(s, &who, r->json, e)) return -1;
    if (aid_store(s)->crossing_get(s, jsx_str(r->json, "slug", ""), &c, e) != 1) return -1;
    return http__reply(r, 201, crossing_json(&c));
}

static int h_crossing_create(http_req *r)
{
    if (http__check_body(r)) return 0;
    return http__defer(r, crossing_write);
}

static json_t *closure_row(const void *row)
{
    return closure_json(row);
}

static int closure_cb(void *cls, const void *row)
{
    return http__collect(cls, row, closure_row);
}

static int h_closures(http_req *r)
{
    tr_err e = TR_ERR_INIT;
    store_crossing c;
    store *s = http__reader_or_fail(r);
    json_t *list;
    if (!s) return 0;
    if (crossing_find(s, r->params[0], &c, &e)) return http__fail(r, &e);
    list = json_array();
    if (aid_store(s)->closure_list(s, c.slug, closure_cb, list, &e)) {
        json_decref(list);
        return http__fail(r, &e);
    }
    return http__reply(r, 200, json_pack("{s:o}", "closures", list));
}

static int closure_write(store *s, void *cls, tr_err *e)
{
    http_req *r = cls;
    journal_actor who = acct_actor(&r->caller);
    store_closure c;
    if (crossing_close(s, &who, r->caller.admin, r->params[0], r->json, &c, e)) return -1;
    return http__reply(r, 201, closure_json(&c));
}

static int h_closure_create(http_req *r)
{
    if (http__check_body(r)) return 0;
    return http__defer(r, closure_write);
}

/* ---- the aid flow ----------------------------------------------------------------- */

static aid_who who_of(http_req *r)
{
    aid_who w = {acct_actor(&r->caller), r->caller.org_kind[0] ? r->caller.org_kind : NULL,
                 r->caller.admin};
    return w;
}

/* A memory-mapped reader for the views over many days (no copy of each page read), or NULL
 * after replying. */
static store *view_reader(http_req *r)
{
    tr_err e = TR_ERR_INIT;
    store *s = http__mapped_reader(r, &e);
    if (!s) http__fail(r, &e);
    return s;
}

static int bad_param(http_req *r, const char *name, const char *hint, const char *value)
{
    tr_err e = TR_ERR_INIT;
    err_field(&e, "request.invalid_param", name, hint, "'%.100s' is not a valid %s", value, name);
    return http__fail(r, &e), -1;
}

/* from and to (YYYY-MM-DD; to defaults to today, from to 29 days before to), at most
 * AID_MAX_DAYS apart; -1 after replying 400. */
static int range_params(http_req *r, char from[11], char to[11])
{
    const char *f = http__query(r, "from"), *t = http__query(r, "to");
    if (t && !util_is_date(t)) return bad_param(r, "to", "a date as YYYY-MM-DD", t);
    if (f && !util_is_date(f)) return bad_param(r, "from", "a date as YYYY-MM-DD", f);
    if (t)
        snprintf(to, 11, "%s", t);
    else
        util_day_at(util_unix_s(), to);
    if (f)
        snprintf(from, 11, "%s", f);
    else
        util_day_of_number(util_day_number(to) - 29, from);
    if (strcmp(from, to) > 0) return bad_param(r, "to", "a day on or after from", to);
    if (util_day_number(to) - util_day_number(from) >= AID_MAX_DAYS)
        return bad_param(r, "to", "at most ten years after from", to);
    return 0;
}

/* An optional category or crossing parameter ("" when absent); -1 after replying 400. */
static int category_param(http_req *r, const char **out)
{
    *out = http__query(r, "category");
    if (*out && !aid_is_category(*out))
        return bad_param(r, "category",
                         "one of food, fuel, shelter, health, wash, nutrition, education, other",
                         *out);
    if (!*out) *out = "";
    return 0;
}

static int crossing_param(http_req *r, const char **out)
{
    *out = http__query(r, "crossing");
    if (*out && !util_is_slug(*out)) return bad_param(r, "crossing", "a crossing's slug", *out);
    if (!*out) *out = "";
    return 0;
}

static int request_reply(http_req *r, store *s, int64_t id, int status, tr_err *e)
{
    aid_who w = who_of(r);
    store_request q;
    if (aid_request_find(s, &w, id, &q, e) < 0) return -1;
    return http__reply(r, status, aid_request_json(&q));
}

static int request_write(store *s, void *cls, tr_err *e)
{
    http_req *r = cls;
    aid_who w = who_of(r);
    int64_t id;
    if (aid_request_submit(s, &w, r->json, &id, e)) return -1;
    return request_reply(r, s, id, 201, e);
}

static int h_request_submit(http_req *r)
{
    if (http__check_body(r)) return 0;
    return http__defer(r, request_write);
}

static json_t *request_row(const void *row)
{
    return aid_request_json(row);
}

static int request_cb(void *cls, const void *row)
{
    return http__collect(cls, row, request_row);
}

static json_t *truck_row(const void *row)
{
    return aid_truck_json(row);
}

static int truck_cb(void *cls, const void *row)
{
    return http__collect(cls, row, truck_row);
}

/* The filter of a list of requests or trucks, as the caller may see them. */
static int list_filter(http_req *r, const aid_who *w, aid_filter *f)
{
    long long after, limit, request = 0;
    memset(f, 0, sizeof *f);
    if (http__page_params(r, &after, &limit)) return -1;
    if (http__parse_int(http__query(r, "request"), 1, INT64_MAX, &request))
        return bad_param(r, "request", "a request's id", http__query(r, "request"));
    if (crossing_param(r, &f->crossing) || category_param(r, &f->category)) return -1;
    f->viewer = aid_viewer(w);
    f->state = http__query(r, "state");
    f->crossing = f->crossing[0] ? f->crossing : NULL;
    f->category = f->category[0] ? f->category : NULL;
    f->request = request;
    f->after = after;
    f->limit = limit;
    return 0;
}

static int h_requests(http_req *r)
{
    tr_err e = TR_ERR_INIT;
    aid_who w = who_of(r);
    aid_filter f;
    store *s = http__reader_or_fail(r);
    if (!s || list_filter(r, &w, &f)) return 0;
    json_t *items = json_array();
    if (aid_store(s)->request_scan(s, &f, request_cb, items, &e)) {
        json_decref(items);
        return http__fail(r, &e);
    }
    size_t n = json_array_size(items);
    return http__reply_page(
        r, "requests", items, f.limit,
        n ? json_integer_value(json_object_get(json_array_get(items, n - 1), "id")) : 0);
}

static int h_request_get(http_req *r)
{
    tr_err e = TR_ERR_INIT;
    int64_t id;
    store *s;
    if (http__id_param(r, "a request", &id) || !(s = http__reader_or_fail(r))) return 0;
    return request_reply(r, s, id, 200, &e) ? http__fail(r, &e) : 0;
}

static int request_move_write(store *s, void *cls, tr_err *e)
{
    http_req *r = cls;
    aid_who w = who_of(r);
    int64_t id = http__the_id(r);
    if (aid_request_move(s, &w, id, r->json, e)) return -1;
    return request_reply(r, s, id, 200, e);
}

static int h_request_move(http_req *r)
{
    if (http__check_body(r) || http__path_id(r, "a request")) return 0;
    return http__defer(r, request_move_write);
}

static int dispatch_write(store *s, void *cls, tr_err *e)
{
    http_req *r = cls;
    aid_who w = who_of(r);
    json_t *trucks;
    if (aid_dispatch(s, &w, http__the_id(r), r->json, &trucks, e)) return -1;
    return http__reply(
        r, 201, json_pack("{s:I, s:o}", "request", (json_int_t)http__the_id(r), "trucks", trucks));
}

static int h_dispatch(http_req *r)
{
    if (http__check_body(r) || http__path_id(r, "a request")) return 0;
    return http__defer(r, dispatch_write);
}

static void buf_putc(buf *b, char c)
{
    buf_append(b, &c, 1);
}

/* A CSV field: quoted when it holds a comma, a quote or a line break. */
static void csv_field(buf *b, const char *s, int last)
{
    if (strpbrk(s, ",\"\r\n")) {
        buf_putc(b, '"');
        for (; *s; s++) {
            if (*s == '"') buf_putc(b, '"');
            buf_putc(b, *s);
        }
        buf_putc(b, '"');
    } else {
        buf_puts(b, s);
    }
    buf_putc(b, last ? '\n' : ',');
}

static void csv_number(buf *b, double v, int last)
{
    char t[32];
    util_real_text(t, sizeof t, v);
    csv_field(b, t, last);
}

/* format= json (the default), csv or hxl; -1 after replying 400. */
static int format_param(http_req *r, int *csv, int *hxl)
{
    const char *f = http__query(r, "format");
    *csv = f && (strcmp(f, "csv") == 0 || strcmp(f, "hxl") == 0);
    *hxl = f && strcmp(f, "hxl") == 0;
    if (f && !*csv && strcmp(f, "json") != 0) return bad_param(r, "format", "json, csv or hxl", f);
    return 0;
}

static void csv_reply(http_req *r, const char *what, int hxl)
{
    char today[11], *disp = arena_alloc(&r->mem, 96);
    util_day_at(util_unix_s(), today);
    snprintf(disp, 96, "attachment; filename=\"truce-%s-%s%s.csv\"", what, today,
             hxl ? "-hxl" : "");
    http__header(r, "Content-Disposition", disp);
    r->content_type = "text/csv; charset=utf-8";
    r->status = 200;
}

typedef struct csv_rows {
    buf *b;
    int64_t n, last;
} csv_rows;

static int truck_csv_cb(void *cls, const void *row)
{
    csv_rows *c = cls;
    const store_truck *t = row;
    char num[32];
    snprintf(num, sizeof num, "%lld", (long long)t->id);
    csv_field(c->b, num, 0);
    snprintf(num, sizeof num, "%lld", (long long)t->request);
    csv_field(c->b, num, 0);
    csv_field(c->b, t->day, 0);
    csv_field(c->b, t->org, 0);
    csv_field(c->b, t->crossing, 0);
    csv_field(c->b, t->destination, 0);
    csv_field(c->b, t->category, 0);
    csv_number(c->b, t->pallets, 0);
    csv_number(c->b, t->tonnes, 0);
    csv_field(c->b, t->state, 0);
    csv_field(c->b, t->reason, 0);
    for (int i = 0; i < AID_T_STEPS; i++) {
        char iso[UTIL_ISO_LEN] = "";
        if (t->t[i]) util_iso_ms(t->t[i], iso);
        csv_field(c->b, iso, i == AID_T_STEPS - 1);
    }
    c->n++;
    c->last = t->id;
    return 0;
}

static int h_trucks(http_req *r)
{
    tr_err e = TR_ERR_INIT;
    aid_who w = who_of(r);
    aid_filter f;
    int csv, hxl;
    store *s = http__reader_or_fail(r);
    if (!s || format_param(r, &csv, &hxl) || list_filter(r, &w, &f)) return 0;
    if (csv) {
        csv_rows c = {&r->raw, 0, 0};
        buf_puts(&r->raw, "id,request,date,org,crossing,destination,category,pallets,tonnes,"
                          "state,reason,dispatched_at,at_crossing_at,screened_at,offloaded_at,"
                          "collected_at,arrived_at\n");
        if (hxl)
            buf_puts(&r->raw, "#meta+id,#meta+request,#date,#org,#loc+crossing,#adm1+code+dest,"
                              "#sector,#indicator+pallets,#indicator+tonnes,#status,"
                              "#description+reason,#date+dispatched,#date+at_crossing,"
                              "#date+screened,#date+offloaded,#date+collected,#date+arrived\n");
        if (aid_store(s)->truck_scan(s, &f, truck_csv_cb, &c, &e)) {
            buf_free(&r->raw);
            return http__fail(r, &e);
        }
        if (c.n == f.limit) {
            char *next = arena_alloc(&r->mem, 24);
            snprintf(next, 24, "%lld", (long long)c.last);
            http__header(r, "X-Next-After", next);
        }
        csv_reply(r, "trucks", hxl);
        return 0;
    }
    json_t *items = json_array();
    if (aid_store(s)->truck_scan(s, &f, truck_cb, items, &e)) {
        json_decref(items);
        return http__fail(r, &e);
    }
    size_t n = json_array_size(items);
    return http__reply_page(
        r, "trucks", items, f.limit,
        n ? json_integer_value(json_object_get(json_array_get(items, n - 1), "id")) : 0);
}

static int h_truck_get(http_req *r)
{
    tr_err e = TR_ERR_INIT;
    aid_who w = who_of(r);
    store_truck t;
    int64_t id;
    store *s;
    if (http__id_param(r, "a truck", &id) || !(s = http__reader_or_fail(r))) return 0;
    if (aid_truck_find(s, &w, id, &t, &e) < 0) return http__fail(r, &e);
    return http__reply(r, 200, aid_truck_json(&t));
}

static int truck_move_write(store *s, void *cls, tr_err *e)
{
    http_req *r = cls;
    aid_who w = who_of(r);
    json_t *out;
    int64_t id = r->params[0] ? http__the_id(r) : 0;
    if (aid_trucks_move(s, &w, id, r->json, &out, e)) return -1;
    if (id) {
        json_t *one = json_incref(json_array_get(out, 0));
        json_decref(out);
        return http__reply(r, 200, one);
    }
    return http__reply(r, 200, json_pack("{s:o}", "trucks", out));
}

static int h_truck_move(http_req *r)
{
    if (http__check_body(r) || http__path_id(r, "a truck")) return 0;
    return http__defer(r, truck_move_write);
}

static int h_trucks_move(http_req *r)
{
    if (http__check_body(r)) return 0;
    return http__defer(r, truck_move_write);
}

/* ---- counts, targets and the views ------------------------------------------------- */

static int count_write(store *s, void *cls, tr_err *e)
{
    http_req *r = cls;
    journal_actor who = acct_actor(&r->caller);
    store_aid_count key = {0}, c;
    int changed;
    if (aid_count_record(s, &who, r->json, &changed, e)) return -1;
    snprintf(key.day, sizeof key.day, "%s", jsx_str(r->json, "date", ""));
    snprintf(key.source, sizeof key.source, "%s", jsx_str(r->json, "source", ""));
    snprintf(key.basis, sizeof key.basis, "%s", jsx_str(r->json, "basis", ""));
    snprintf(key.crossing, sizeof key.crossing, "%s", jsx_str(r->json, "crossing", ""));
    snprintf(key.category, sizeof key.category, "%s", jsx_str(r->json, "category", ""));
    if (aid_store(s)->count_get(s, &key, &c, e) != 1) return -1;
    json_t *out = aid_count_json(&c);
    json_object_set_new(out, "changed", json_boolean(changed));
    return http__reply(r, changed ? 201 : 200, out);
}

static int h_count_record(http_req *r)
{
    if (http__check_body(r)) return 0;
    return http__defer(r, count_write);
}

static int count_csv_cb(void *cls, const void *row)
{
    csv_rows *c = cls;
    const store_aid_count *x = row;
    csv_field(c->b, x->day, 0);
    csv_field(c->b, x->source, 0);
    csv_field(c->b, x->basis, 0);
    csv_field(c->b, x->crossing, 0);
    csv_field(c->b, x->category, 0);
    csv_number(c->b, x->value, 1);
    return 0;
}

static json_t *count_row(const void *row)
{
    return aid_count_json(row);
}

static int count_cb(void *cls, const void *row)
{
    return http__collect(cls, row, count_row);
}

static int h_counts(http_req *r)
{
    tr_err e = TR_ERR_INIT;
    char from[11], to[11];
    const char *crossing, *category, *basis = http__query(r, "basis");
    int csv, hxl;
    store *s = view_reader(r);
    if (!s || format_param(r, &csv, &hxl) || range_params(r, from, to) ||
        crossing_param(r, &crossing) || category_param(r, &category))
        return 0;
    if (basis && !aid_is_name(basis))
        return bad_param(r, "basis", "a basis, e.g. trucks_entered", basis), 0;
    if (csv) {
        csv_rows c = {&r->raw, 0, 0};
        buf_puts(&r->raw, "date,source,basis,crossing,category,value\n");
        if (hxl)
            buf_puts(&r->raw, "#date,#org+source,#indicator+basis,#loc+crossing,#sector,"
                              "#indicator+value+num\n");
        if (aid_store(s)->count_scan(s, from, to, basis ? basis : "", crossing, category,
                                     count_csv_cb, &c, &e)) {
            buf_free(&r->raw);
            return http__fail(r, &e);
        }
        csv_reply(r, "aid-counts", hxl);
        return 0;
    }
    json_t *items = json_array();
    if (aid_store(s)->count_scan(s, from, to, basis ? basis : "", crossing, category, count_cb,
                                 items, &e)) {
        json_decref(items);
        return http__fail(r, &e);
    }
    return http__reply(r, 200,
                       json_pack("{s:s, s:s, s:o}", "from", from, "to", to, "counts", items));
}

static int h_daily(http_req *r)
{
    tr_err e = TR_ERR_INIT;
    char from[11], to[11];
    const char *crossing, *category;
    store *s = view_reader(r);
    if (!s || range_params(r, from, to) || crossing_param(r, &crossing) ||
        category_param(r, &category))
        return 0;
    return http__answer(r, 200, aid_daily(s, from, to, crossing, category, &e), &e);
}

static int h_reconciliation(http_req *r)
{
    tr_err e = TR_ERR_INIT;
    char from[11], to[11];
    const char *crossing, *category, *basis = http__query(r, "basis");
    store *s = view_reader(r);
    if (!s || range_params(r, from, to) || crossing_param(r, &crossing) ||
        category_param(r, &category))
        return 0;
    if (!basis || !aid_is_name(basis))
        return bad_param(r, "basis", "the basis to compare the sources on, e.g. trucks_entered",
                         basis ? basis : ""),
               0;
    return http__answer(r, 200, aid_reconciliation(s, from, to, basis, crossing, category, &e), &e);
}

static int h_dwell(http_req *r)
{
    tr_err e = TR_ERR_INIT;
    char from[11], to[11];
    const char *crossing;
    store *s = view_reader(r);
    if (!s || range_params(r, from, to) || crossing_param(r, &crossing)) return 0;
    return http__answer(r, 200, aid_dwell(s, from, to, crossing, &e), &e);
}

static int target_write(store *s, void *cls, tr_err *e)
{
    http_req *r = cls;
    journal_actor who = acct_actor(&r->caller);
    store_target t;
    int64_t id;
    if (aid_target_set(s, &who, r->json, &id, e) || aid_target_find(s, id, &t, e)) return -1;
    return http__reply(r, 201, aid_target_json(&t));
}

static int h_target_set(http_req *r)
{
    if (http__check_body(r)) return 0;
    return http__defer(r, target_write);
}

static json_t *target_row(const void *row)
{
    return aid_target_json(row);
}

static int target_cb(void *cls, const void *row)
{
    return http__collect(cls, row, target_row);
}

static int h_targets(http_req *r)
{
    store *s = http__reader_or_fail(r);
    return s ? http__list(r, "targets", aid_store(s)->target_scan, target_cb) : 0;
}

static int h_progress(http_req *r)
{
    tr_err e = TR_ERR_INIT;
    store_target t;
    char today[11];
    const char *as_of = http__query(r, "as_of");
    int64_t id;
    store *s;
    if (http__id_param(r, "a target", &id) || !(s = http__reader_or_fail(r))) return 0;
    if (as_of && !util_is_date(as_of))
        return bad_param(r, "as_of", "a date as YYYY-MM-DD", as_of), 0;
    if (!as_of) {
        util_day_at(util_unix_s(), today);
        as_of = today;
    }
    if (aid_target_find(s, id, &t, &e)) return http__fail(r, &e);
    return http__answer(r, 200, aid_progress(s, &t, as_of, &e), &e);
}

/* ---- the table --------------------------------------------------------------------- */

#define WHO_AID_VIEW (WHO_ADMIN | WHO_MONITOR | WHO_MEDIATOR | WHO_HUMANITARIAN | WHO_PARTY)

const http_route aid_routes[] = {
    /* method  path                handler          who          flags        body schema */
    {"GET", "/api/v1/crossings", h_crossings, WHO_PUBLIC, 0, NULL},
    {"POST", "/api/v1/crossings", h_crossing_create, WHO_ADMIN | WHO_MEDIATOR | WHO_HUMANITARIAN,
     ROUTE_BODY, crossing_fields},
    {"GET", "/api/v1/crossings/{slug}/closures", h_closures, WHO_PUBLIC, 0, NULL},
    {"POST", "/api/v1/crossings/{slug}/closures", h_closure_create, WHO_USER, ROUTE_BODY,
     closure_fields},
    {"POST", "/api/v1/aid/requests", h_request_submit, WHO_HUMANITARIAN, ROUTE_BODY,
     request_fields},
    {"GET", "/api/v1/aid/requests", h_requests, WHO_AID_VIEW, 0, NULL},
    {"GET", "/api/v1/aid/requests/{id}", h_request_get, WHO_AID_VIEW, 0, NULL},
    {"POST", "/api/v1/aid/requests/{id}/transitions", h_request_move, WHO_USER, ROUTE_BODY,
     request_move_fields},
    {"POST", "/api/v1/aid/requests/{id}/trucks", h_dispatch, WHO_USER, ROUTE_BODY, dispatch_fields},
    {"GET", "/api/v1/aid/trucks", h_trucks, WHO_AID_VIEW, 0, NULL},
    {"POST", "/api/v1/aid/trucks/transitions", h_trucks_move, WHO_USER, ROUTE_BODY,
     trucks_move_fields},
    {"GET", "/api/v1/aid/trucks/{id}", h_truck_get, WHO_AID_VIEW, 0, NULL},
    {"POST", "/api/v1/aid/trucks/{id}/transitions", h_truck_move, WHO_USER, ROUTE_BODY,
     truck_move_fields},
    {"POST", "/api/v1/aid/counts", h_count_record,
     WHO_ADMIN | WHO_HUMANITARIAN | WHO_PARTY | WHO_MONITOR | WHO_MEDIATOR, ROUTE_BODY,
     count_fields},
    {"GET", "/api/v1/aid/counts", h_counts, WHO_PUBLIC, 0, NULL},
    {"GET", "/api/v1/aid/daily", h_daily, WHO_PUBLIC, 0, NULL},
    {"GET", "/api/v1/aid/reconciliation", h_reconciliation, WHO_PUBLIC, 0, NULL},
    {"GET", "/api/v1/aid/dwell", h_dwell, WHO_PUBLIC, 0, NULL},
    {"POST", "/api/v1/aid/targets", h_target_set, WHO_ADMIN | WHO_MEDIATOR, ROUTE_BODY,
     target_fields},
    {"GET", "/api/v1/aid/targets", h_targets, WHO_PUBLIC, 0, NULL},
    {"GET", "/api/v1/aid/targets/{id}/progress", h_progress, WHO_PUBLIC, 0, NULL},
    {NULL, NULL, NULL, 0, 0, NULL},
};
