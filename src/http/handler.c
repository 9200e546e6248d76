/* handler.c - the helpers every pillar's handlers share; see handler.h. */
#include "http/handler.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

store *http__reader_or_fail(http_req *r)
{
    tr_err e = TR_ERR_INIT;
    store *s = http__reader(r, &e);
    if (!s) http__fail(r, &e);
    return s;
}

int http__check(http_req *r, const jsx_field *fields)
{
    tr_err e = TR_ERR_INIT;
    if (jsx_check(r->json, fields, NULL, &e) == 0) return 0;
    http__fail(r, &e);
    return -1;
}

int http__answer(http_req *r, int status, json_t *out, tr_err *e)
{
    return out ? http__reply(r, status, out) : http__fail(r, e);
}

int http__check_body(http_req *r)
{
    return http__check(r, http__routes[r->route].body);
}

/* A page of a keyset-paginated list: {key: items}, and next_after (the last id) when the
 * page is full, so that a client asks for the next one until it is not. Steals items. */
int http__reply_page(http_req *r, const char *key, json_t *items, long long limit, int64_t last)
{
    json_t *out = json_pack("{s:o}", key, items);
    if ((long long)json_array_size(items) == limit)
        json_object_set_new(out, "next_after", json_integer(last));
    return http__reply(r, 200, out);
}

/* Keyset paging: `after` (>= 0, default 0) and `limit` (1-1000, default 100); -1 after
 * replying 400 naming the one that is wrong. */
int http__page_params(http_req *r, long long *after, long long *limit)
{
    tr_err e = TR_ERR_INIT;
    *after = 0, *limit = 100;
    if (http__parse_int(http__query(r, "after"), 0, INT64_MAX, after))
        err_field(&e, "request.invalid_param", "after", "give a sequence number >= 0",
                  "query parameter 'after' must be a non-negative integer");
    else if (http__parse_int(http__query(r, "limit"), 1, 1000, limit))
        err_field(&e, "request.invalid_param", "limit", "give 1 to 1000",
                  "query parameter 'limit' must be an integer from 1 to 1000");
    else
        return 0;
    http__fail(r, &e);
    return -1;
}

/* Parses the {id} of the path (a report's or an incident's number, as `what` says) into
 * r->state, an int64_t; -1 after replying 400. */
int http__path_id(http_req *r, const char *what)
{
    long long v = 0;
    tr_err e = TR_ERR_INIT;
    if (http__parse_int(r->params[0], 1, INT64_MAX, &v) || v == 0) {
        err_field(&e, "request.invalid_param", "id", "give its number", "'%s' is not %s id",
                  r->params[0], what);
        http__fail(r, &e);
        return -1;
    }
    int64_t *id = arena_alloc(&r->mem, sizeof *id);
    *id = v;
    r->state = id;
    return 0;
}

int64_t http__the_id(const http_req *r)
{
    return *(const int64_t *)r->state;
}

int http__collect(void *cls, const void *row, json_t *(*to_json)(const void *))
{
    json_array_append_new(cls, to_json(row));
    return 0;
}

/* Lists rows with a store scan into {"KEY": [...]} */
int http__list(http_req *r, const char *key, int (*scan)(store *, store_row_cb, void *, tr_err *),
               store_row_cb cb)
{
    tr_err e = TR_ERR_INIT;
    store *s = http__reader_or_fail(r);
    json_t *items;
    if (!s) return 0;
    items = json_array();
    if (scan(s, cb, items, &e)) {
        json_decref(items);
        return http__fail(r, &e);
    }
    return http__reply(r, 200, json_pack("{s:o}", key, items));
}

int http__throttled_because(http_req *r, int wait, const char *code, const char *why)
{
    tr_err e = TR_ERR_INIT;
    err_set(&e, 429, code, "wait before trying again, or sign in", "%s; try again in %d seconds",
            why, wait);
    err_detail(&e, json_pack("{s:i}", "retry_after", wait));
    return http__fail(r, &e);
}

/* The {id} path parameter: a positive integer that fits, or a 400 naming it (a number
 * past 2^63 is not silently another). */
int http__id_param(http_req *r, const char *what, int64_t *id)
{
    long long v = 0;
    tr_err e = TR_ERR_INIT;
    if (http__parse_int(r->params[0], 1, INT64_MAX, &v) || v <= 0) {
        err_field(&e, "request.invalid_param", "id", "ids are positive integers",
                  "'%s' is not %s id", r->params[0], what);
        http__fail(r, &e);
        return -1;
    }
    *id = v;
    return 0;
}

int http__parse_int(const char *s, long long lo, long long hi, long long *out)
{
    char *end;
    long long v;
    if (!s || !*s) return 0;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (*end || errno == ERANGE || v < lo || v > hi) return -1; /* not clamped to a number */
    *out = v;
    return 0;
}

int http__journal_cb(void *cls, const void *row)
{
    http__journal_page *p = cls;
    const store_event *ev = row;
    json_t *item = json_pack("{s:I, s:s, s:s}", "seq", (json_int_t)ev->seq, "type", ev->type,
                             "time", ev->time);
    if (journal_visible(ev->visibility, &p->reader)) {
        json_object_set_new(item, "actor",
                            json_pack("{s:s?, s:s}", "org", ev->actor_org, "user", ev->actor_user));
        json_object_set_new(item, "visibility", json_string(ev->visibility));
        if (p->batches_brief && strcmp(ev->type, "incidents.imported") == 0) {
            char url[96];
            snprintf(url, sizeof url, "/api/v1/journal?after=%lld&limit=1", (long long)ev->seq - 1);
            json_object_set_new(item, "entry", json_string(url));
        } else {
            json_object_set_new(item, "body", json_loads(ev->body, 0, NULL));
        }
    } else {
        json_object_set_new(item, "redacted", json_true());
    }
    json_array_append_new(p->events, item);
    return 0;
}