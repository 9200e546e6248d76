/* routes.c - the compliance pillar's HTTP handlers and its part of the route table:
 * obligations, what is said of them, their evaluation and the scorecard. docs/api.md
 * documents every route with an example. */
#include "comply/routes.h"

#include "accounts/accounts.h"
#include "comply/comply.h"
#include "core/buf.h"
#include "core/util.h"
#include "http/handler.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* as_of= (default today): -1 after replying 400. */
static int as_of_param(http_req *r, char out[11])
{
    const char *d = http__query(r, "as_of");
    if (!d) {
        util_day_at(util_unix_s(), out);
        return 0;
    }
    if (!util_is_date(d)) {
        tr_err e = TR_ERR_INIT;
        err_field(&e, "request.invalid_param", "as_of", "a date as YYYY-MM-DD",
                  "'%.64s' is not a date", d);
        http__fail(r, &e);
        return -1;
    }
    snprintf(out, 11, "%s", d);
    return 0;
}

static int reply_obligation(http_req *r, store *s, int64_t id, int status, const char *as_of,
                            tr_err *e)
{
    store_obligation o = {0};
    char today[11];
    json_t *out = NULL;
    if (!as_of) {
        util_day_at(util_unix_s(), today);
        as_of = today;
    }
    if (comply_find(s, id, &o, e) == 0) out = comply_evaluate(s, &o, as_of, e);
    free(o.spec);
    return out ? http__reply(r, status, out) : -1;
}

static int define_write(store *s, void *cls, tr_err *e)
{
    http_req *r = cls;
    journal_actor who = acct_actor(&r->caller);
    int64_t id;
    if (comply_define(s, &who, http__the_id(r), r->json, &id, e)) return -1;
    return reply_obligation(r, s, id, 201, NULL, e);
}

static int h_define(http_req *r)
{
    if (http__check_body(r) || http__path_id(r, "an agreement")) return 0;
    return http__defer(r, define_write);
}

static int h_list(http_req *r)
{
    tr_err e = TR_ERR_INIT;
    char as_of[11];
    int64_t id;
    store *s;
    if (http__id_param(r, "an agreement", &id) || as_of_param(r, as_of) ||
        !(s = http__reader_or_fail(r)))
        return 0;
    return http__answer(r, 200, comply_list(s, id, as_of, &e), &e);
}

static int h_scorecard(http_req *r)
{
    tr_err e = TR_ERR_INIT;
    char as_of[11];
    int64_t id;
    store *s;
    if (http__id_param(r, "an agreement", &id) || as_of_param(r, as_of) ||
        !(s = http__reader_or_fail(r)))
        return 0;
    return http__answer(r, 200, comply_scorecard(s, id, as_of, &e), &e);
}

static int h_get(http_req *r)
{
    tr_err e = TR_ERR_INIT;
    char as_of[11];
    int64_t id;
    store *s;
    if (http__id_param(r, "an obligation", &id) || as_of_param(r, as_of) ||
        !(s = http__reader_or_fail(r)))
        return 0;
    return reply_obligation(r, s, id, 200, as_of, &e) ? http__fail(r, &e) : 0;
}

enum say { SAY_OBSERVE, SAY_DELIVER, SAY_ANSWER, SAY_DECIDE };

static int say_write(store *s, void *cls, tr_err *e)
{
    http_req *r = cls;
    journal_actor who = acct_actor(&r->caller);
    int64_t id = http__the_id(r);
    const char *org = r->caller.org[0] ? r->caller.org : NULL;
    const jsx_field *body = http__routes[r->route].body;
    int rc;
    switch (body == observation_fields   ? SAY_OBSERVE
            : body == deliverable_fields ? SAY_DELIVER
            : body == response_fields    ? SAY_ANSWER
                                         : SAY_DECIDE) {
    case SAY_OBSERVE:
        rc = comply_observe(s, &who, id, r->json, e);
        break;
    case SAY_DELIVER:
        rc = comply_deliver(s, &who, org, r->caller.admin, id, r->json, e);
        break;
    case SAY_ANSWER:
        rc = comply_answer(s, &who, org, r->caller.admin, id, r->json, e);
        break;
    default:
        rc = comply_decide(s, &who, id, r->json, e);
        break;
    }
    return rc ? -1 : reply_obligation(r, s, id, 201, NULL, e);
}

static int h_say(http_req *r)
{
    if (http__check_body(r) || http__path_id(r, "an obligation")) return 0;
    return http__defer(r, say_write);
}

/* as_of and within (0-90 days, default 3) of an alerts query; -1 after replying. */
static int alert_params(http_req *r, char as_of[11], long long *within)
{
    *within = 3;
    if (as_of_param(r, as_of)) return -1;
    if (http__parse_int(http__query(r, "within"), 0, 90, within)) {
        tr_err e = TR_ERR_INIT;
        err_field(&e, "request.invalid_param", "within", "days ahead, 0 to 90",
                  "'%.32s' is not a number of days", http__query(r, "within"));
        http__fail(r, &e);
        return -1;
    }
    return 0;
}

static int h_alerts(http_req *r)
{
    tr_err e = TR_ERR_INIT;
    char as_of[11];
    long long within;
    store *s;
    if (alert_params(r, as_of, &within) || !(s = http__reader_or_fail(r))) return 0;
    return http__answer(r, 200, comply_alerts(s, as_of, within, &e), &e);
}

static int h_alerts_atom(http_req *r)
{
    tr_err e = TR_ERR_INIT;
    char as_of[11];
    long long within;
    store *s;
    if (alert_params(r, as_of, &within) || !(s = http__reader_or_fail(r))) return 0;
    json_t *alerts = comply_alerts(s, as_of, within, &e);
    if (!alerts) return http__fail(r, &e);
    comply_alerts_atom(alerts, "", &r->raw);
    json_decref(alerts);
    r->content_type = "application/atom+xml; charset=utf-8";
    r->status = 200;
    return 0;
}

static int webhook_write(store *s, void *cls, tr_err *e)
{
    http_req *r = cls;
    journal_actor who = acct_actor(&r->caller);
    store_webhook w;
    int64_t id;
    if (webhook_register(s, &who, r->json, &id, e)) return -1;
    if (comply_store(s)->webhook_get(s, id, &w, e) != 1) return -1;
    return http__reply(r, 201, webhook_json(&w));
}

static int h_webhook_register(http_req *r)
{
    if (http__check_body(r)) return 0;
    return http__defer(r, webhook_write);
}

static json_t *webhook_row(const void *row)
{
    return webhook_json(row);
}

static int webhook_cb(void *cls, const void *row)
{
    return http__collect(cls, row, webhook_row);
}

static int h_webhooks(http_req *r)
{
    tr_err e = TR_ERR_INIT;
    store *s = http__reader_or_fail(r);
    if (!s) return 0;
    json_t *list = json_array();
    if (comply_store(s)->webhook_list(s, NULL, webhook_cb, list, &e)) {
        json_decref(list);
        return http__fail(r, &e);
    }
    return http__reply(r, 200, json_pack("{s:o}", "webhooks", list));
}

static json_t *delivery_row(const void *row)
{
    return delivery_json(row);
}

static int delivery_cb(void *cls, const void *row)
{
    return http__collect(cls, row, delivery_row);
}

static int h_deliveries(http_req *r)
{
    tr_err e = TR_ERR_INIT;
    store_webhook w;
    int64_t id;
    store *s;
    if (http__id_param(r, "a webhook", &id) || !(s = http__reader_or_fail(r))) return 0;
    int rc = comply_store(s)->webhook_get(s, id, &w, &e);
    if (rc == 0)
        err_set(&e, 404, "webhook.not_found", "list them with GET /api/v1/webhooks",
                "no webhook %lld", (long long)id);
    if (rc != 1) return http__fail(r, &e);
    json_t *list = json_array();
    if (comply_store(s)->delivery_list(s, id, delivery_cb, list, &e)) {
        json_decref(list);
        return http__fail(r, &e);
    }
    return http__reply(r, 200,
                       json_pack("{s:o, s:o}", "webhook", webhook_json(&w), "deliveries", list));
}

static int sitrep_date(http_req *r, const char *d, char out[11])
{
    char today[11];
    util_day_at(util_unix_s(), today);
    if (!d) {
        snprintf(out, 11, "%s", today);
        return 0;
    }
    if (util_is_date(d) && strcmp(d, today) <= 0) {
        snprintf(out, 11, "%s", d);
        return 0;
    }
    tr_err e = TR_ERR_INIT;
    err_field(&e, "request.invalid_param", "date", "a day that has come, as YYYY-MM-DD",
              "'%.32s' is not such a day", d);
    http__fail(r, &e);
    return -1;
}

static int h_sitrep_json(http_req *r)
{
    tr_err e = TR_ERR_INIT;
    char date[11];
    store *s;
    if (sitrep_date(r, http__query(r, "date"), date) || !(s = http__reader_or_fail(r))) return 0;
    return http__answer(r, 200, comply_sitrep(s, date, &e), &e);
}

static int h_sitrep_page(http_req *r)
{
    tr_err e = TR_ERR_INIT;
    char date[11];
    store *s;
    if (sitrep_date(r, r->params[0], date) || !(s = http__reader_or_fail(r))) return 0;
    json_t *rep = comply_sitrep(s, date, &e);
    if (!rep) return http__fail(r, &e);
    comply_sitrep_html(rep, http__lang(r), &r->raw);
    json_decref(rep);
    r->content_type = "text/html; charset=utf-8";
    r->status = 200;
    http__header(r, "Content-Security-Policy", "default-src 'none'; img-src 'self'");
    http__header(r, "Content-Language", http__lang(r));
    return 0;
}

/* ---- the table --------------------------------------------------------------------- */

const http_route comply_routes[] = {
    {"POST", "/api/v1/agreements/{id}/obligations", h_define, WHO_MEDIATOR | WHO_ADMIN, ROUTE_BODY,
     obligation_fields},
    {"GET", "/api/v1/agreements/{id}/obligations", h_list, WHO_PUBLIC, 0, NULL},
    {"GET", "/api/v1/agreements/{id}/scorecard", h_scorecard, WHO_PUBLIC, 0, NULL},
    {"GET", "/api/v1/obligations/{id}", h_get, WHO_PUBLIC, 0, NULL},
    {"POST", "/api/v1/obligations/{id}/observations", h_say, WHO_MONITOR | WHO_ADMIN, ROUTE_BODY,
     observation_fields},
    {"POST", "/api/v1/obligations/{id}/deliverables", h_say, WHO_PARTY | WHO_ADMIN, ROUTE_BODY,
     deliverable_fields},
    {"POST", "/api/v1/obligations/{id}/responses", h_say, WHO_PARTY | WHO_ADMIN, ROUTE_BODY,
     response_fields},
    {"POST", "/api/v1/obligations/{id}/decisions", h_say, WHO_MEDIATOR | WHO_ADMIN, ROUTE_BODY,
     decision_fields},
    {"POST", "/api/v1/webhooks", h_webhook_register, WHO_ADMIN, ROUTE_BODY, webhook_fields},
    {"GET", "/api/v1/webhooks", h_webhooks, WHO_ADMIN, 0, NULL},
    {"GET", "/api/v1/webhooks/{id}/deliveries", h_deliveries, WHO_ADMIN, 0, NULL},
    {"GET", "/api/v1/sitrep", h_sitrep_json, WHO_PUBLIC, 0, NULL},
    {"GET", "/sitrep/{date}", h_sitrep_page, WHO_PUBLIC, 0, NULL},
    {"GET", "/api/v1/alerts", h_alerts, WHO_PUBLIC, 0, NULL},
    {"GET", "/api/v1/alerts.atom", h_alerts_atom, WHO_PUBLIC, 0, NULL},
    {NULL, NULL, NULL, 0, 0, NULL},
};
