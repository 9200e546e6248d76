/* routes.c - the aid pillar's HTTP handlers and its part of the route table: crossings and
 * their closures.
 *
 * Handlers translate between HTTP and the pillar's services, which own the rules; the
 * registry (src/pillars.c) merges this table with the others'. docs/api.md documents every
 * route with an example. */
#include "aid/routes.h"

#include "http/handler.h"
#include "accounts/accounts.h"
#include "aid/crossings.h"
#include "json/jsx.h"

#include <ctype.h>
#include <errno.h>
#include <microhttpd.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

/* ---- the table --------------------------------------------------------------------- */

const http_route aid_routes[] = {
    /* method  path                handler          who          flags        body schema */
    {"GET", "/api/v1/crossings", h_crossings, WHO_PUBLIC, 0, NULL},
    {"POST", "/api/v1/crossings", h_crossing_create, WHO_ADMIN | WHO_MEDIATOR | WHO_HUMANITARIAN,
     ROUTE_BODY, crossing_fields},
    {"GET", "/api/v1/crossings/{slug}/closures", h_closures, WHO_PUBLIC, 0, NULL},
    {"POST", "/api/v1/crossings/{slug}/closures", h_closure_create, WHO_USER, ROUTE_BODY,
     closure_fields},
    {NULL, NULL, NULL, 0, 0, NULL},
};
