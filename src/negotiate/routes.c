/* routes.c - the negotiate pillar's HTTP handlers and its part of the route table: negotiations,
 * profiles, texts, responses, analysis, suggestions and agreements.
 *
 * Handlers translate between HTTP and the pillar's services, which own the rules; the
 * registry (src/pillars.c) merges this table with the others'. docs/api.md documents every
 * route with an example. */
#include "negotiate/routes.h"

#include "http/handler.h"
#include "accounts/accounts.h"
#include "negotiate/service.h"
#include "negotiate/store.h"
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

static int negotiation_id(http_req *r, int64_t *id)
{
    return http__id_param(r, "a negotiation", id);
}

static int negotiation_write(store *s, void *cls, tr_err *e)
{
    http_req *r = cls;
    journal_actor who = acct_actor(&r->caller);
    int64_t id;
    json_t *out;
    if (nsvc_open(s, &who, &r->caller, r->json, &id, e)) return -1;
    if (!(out = nsvc_get(s, &r->caller, id, e))) return -1;
    json_object_set_new(out, "id", json_integer(id));
    return http__reply(r, 201, out);
}

static int h_negotiation_open(http_req *r)
{
    if (http__check_body(r)) return 0;
    return http__defer(r, negotiation_write);
}

static int h_negotiation_get(http_req *r)
{
    tr_err e = TR_ERR_INIT;
    int64_t id;
    store *s;
    json_t *out;
    if (negotiation_id(r, &id) || !(s = http__reader_or_fail(r))) return 0;
    if (!(out = nsvc_get(s, &r->caller, id, &e))) return http__fail(r, &e);
    json_object_set_new(out, "id", json_integer(id));
    return http__reply(r, 200, out);
}

/* The negotiations the caller is a party or a mediator of: what a mediator juggling
 * several drafts opens first. */
static int h_negotiations(http_req *r)
{
    tr_err e = TR_ERR_INIT;
    store *s;
    json_t *list;
    if (!(s = http__reader_or_fail(r))) return 0;
    if (!(list = nsvc_list(s, &r->caller, &e))) return http__fail(r, &e);
    return http__reply(r, 200, json_pack("{s:o}", "negotiations", list));
}

static int profile_write(store *s, void *cls, tr_err *e)
{
    http_req *r = cls;
    journal_actor who = acct_actor(&r->caller);
    int64_t id = http__the_id(r);
    json_t *out;
    if (nsvc_profile_put(s, &who, &r->caller, id, r->json, e)) return -1;
    if (!(out = nsvc_profile_get(s, &r->caller, id, e))) return -1;
    return http__reply(r, 200, out);
}

static int h_profile_put(http_req *r)
{
    int64_t *id = arena_alloc(&r->mem, sizeof *id);
    if (negotiation_id(r, id) || http__check_body(r)) return 0;
    r->state = id;
    return http__defer(r, profile_write);
}

static int h_profile_get(http_req *r)
{
    tr_err e = TR_ERR_INIT;
    int64_t id;
    store *s;
    json_t *out;
    if (negotiation_id(r, &id) || !(s = http__reader_or_fail(r))) return 0;
    out = nsvc_profile_get(s, &r->caller, id, &e);
    return http__answer(r, 200, out, &e);
}

/* The {n} path parameter of a text; 404 when it is not a positive integer. */
static int text_n(http_req *r, int *n)
{
    char *end;
    long v;
    tr_err e = TR_ERR_INIT;
    errno = 0;
    v = strtol(r->params[1], &end, 10);
    if (*end || end == r->params[1] || errno == ERANGE || v <= 0 || v > 1000000) {
        err_field(&e, "request.invalid_param", "n", "versions are numbered 1, 2, 3...",
                  "'%s' is not a version number", r->params[1]);
        http__fail(r, &e);
        return -1;
    }
    *n = (int)v;
    return 0;
}

typedef struct text_ref {
    int64_t id;
    int n;
    nsvc_text_prep prep; /* a posted text's analysis, made before the write */
} text_ref;

/* On the writer: only the checks that may have changed since the analysis, and the write;
 * the engine never runs here (one mediator's large domain would hold every write). */
static int text_write(store *s, void *cls, tr_err *e)
{
    http_req *r = cls;
    text_ref *t = r->state;
    journal_actor who = acct_actor(&r->caller);
    json_t *out;
    if (nsvc_text_commit(s, &who, &r->caller, t->id, r->json, &t->prep, &t->n, e)) return -1;
    if (!(out = nsvc_text_view(s, &r->caller, t->id, t->n, t->prep.analysis, e))) return -1;
    return http__reply(r, 201, out);
}

static void text_cleanup(http_req *r)
{
    text_ref *t = r->state;
    nsvc_text_prep_free(&t->prep);
}

static int h_text_post(http_req *r)
{
    tr_err e = TR_ERR_INIT;
    text_ref *t = arena_alloc(&r->mem, sizeof *t);
    store *s;
    memset(t, 0, sizeof *t);
    if (negotiation_id(r, &t->id) || http__check_body(r)) return 0;
    r->state = t;
    r->cleanup = text_cleanup;
    /* Checked and analysed here, on the request's thread, within the engine's limits. */
    if (!(s = http__reader_or_fail(r))) return 0;
    if (nsvc_text_prepare(s, &r->caller, t->id, r->json, &t->prep, &e)) return http__fail(r, &e);
    return http__defer(r, text_write);
}

static int h_text_get(http_req *r)
{
    tr_err e = TR_ERR_INIT;
    int64_t id;
    int n;
    store *s;
    json_t *out;
    if (negotiation_id(r, &id) || text_n(r, &n) || !(s = http__reader_or_fail(r))) return 0;
    out = nsvc_text_get(s, &r->caller, id, n, &e);
    return http__answer(r, 200, out, &e);
}

static int send_write(store *s, void *cls, tr_err *e)
{
    http_req *r = cls;
    text_ref *t = r->state;
    journal_actor who = acct_actor(&r->caller);
    json_t *out;
    if (nsvc_text_send(s, &who, &r->caller, t->id, t->n, r->json, e)) return -1;
    if (!(out = nsvc_text_get(s, &r->caller, t->id, t->n, e))) return -1;
    return http__reply(r, 200, out);
}

static int h_text_send(http_req *r)
{
    text_ref *t = arena_alloc(&r->mem, sizeof *t);
    if (negotiation_id(r, &t->id) || text_n(r, &t->n) || http__check_body(r)) return 0;
    r->state = t;
    return http__defer(r, send_write);
}

static int response_write(store *s, void *cls, tr_err *e)
{
    http_req *r = cls;
    text_ref *t = r->state;
    journal_actor who = acct_actor(&r->caller);
    int replaced = 0;
    json_t *out;
    if (nsvc_respond(s, &who, &r->caller, t->id, t->n, r->json, &replaced, e)) return -1;
    if (!(out = nsvc_text_get(s, &r->caller, t->id, t->n, e))) return -1;
    json_object_set_new(out, "replaced", json_boolean(replaced));
    return http__reply(r, replaced ? 200 : 201, out);
}

static int h_text_respond(http_req *r)
{
    text_ref *t = arena_alloc(&r->mem, sizeof *t);
    if (negotiation_id(r, &t->id) || text_n(r, &t->n) || http__check_body(r)) return 0;
    r->state = t;
    return http__defer(r, response_write);
}

static int abandon_write(store *s, void *cls, tr_err *e)
{
    http_req *r = cls;
    journal_actor who = acct_actor(&r->caller);
    int64_t id = http__the_id(r);
    json_t *out;
    if (nsvc_abandon(s, &who, &r->caller, id, r->json, e)) return -1;
    if (!(out = nsvc_get(s, &r->caller, id, e))) return -1;
    json_object_set_new(out, "id", json_integer(id));
    return http__reply(r, 200, out);
}

static int h_negotiation_abandon(http_req *r)
{
    int64_t *id = arena_alloc(&r->mem, sizeof *id);
    if (negotiation_id(r, id) || http__check_body(r)) return 0;
    r->state = id;
    return http__defer(r, abandon_write);
}

static int h_negotiation_analysis(http_req *r)
{
    tr_err e = TR_ERR_INIT;
    int64_t id;
    store *s;
    json_t *out;
    if (negotiation_id(r, &id) || !(s = http__reader_or_fail(r))) return 0;
    out = nsvc_analysis(s, &r->caller, id, &e);
    return http__answer(r, 200, out, &e);
}

static int h_negotiation_suggest(http_req *r)
{
    tr_err e = TR_ERR_INIT;
    int64_t id;
    store *s;
    json_t *out;
    if (negotiation_id(r, &id) || http__check_body(r) || !(s = http__reader_or_fail(r))) return 0;
    out = nsvc_suggest(s, &r->caller, id, r->json, &e);
    return http__answer(r, 200, out, &e);
}

static int agreement_write(store *s, void *cls, tr_err *e)
{
    http_req *r = cls;
    journal_actor who = acct_actor(&r->caller);
    int64_t id = http__the_id(r), aid;
    json_t *out;
    if (nsvc_agreement_draft(s, &who, &r->caller, id, r->json, &aid, e)) return -1;
    if (!(out = nsvc_agreement_get(s, &r->caller, aid, e))) return -1;
    return http__reply(r, 201, out);
}

static int h_agreement_draft(http_req *r)
{
    int64_t *id = arena_alloc(&r->mem, sizeof *id);
    if (negotiation_id(r, id) || http__check_body(r)) return 0;
    r->state = id;
    return http__defer(r, agreement_write);
}

static int agreement_id(http_req *r, int64_t *id)
{
    return http__id_param(r, "an agreement", id);
}

static int h_agreement_get(http_req *r)
{
    tr_err e = TR_ERR_INIT;
    int64_t id;
    store *s;
    json_t *out;
    if (agreement_id(r, &id) || !(s = http__reader_or_fail(r))) return 0;
    out = nsvc_agreement_get(s, &r->caller, id, &e);
    return http__answer(r, 200, out, &e);
}

/* The agreements the caller may see, oldest first, each as a line of a list: what a
 * workspace offers to choose from. Agreements are few (one a negotiation or a record). */
static int h_agreement_list(http_req *r)
{
    tr_err e = TR_ERR_INIT;
    int64_t next;
    store *s = http__reader_or_fail(r);
    if (!s) return 0;
    if (negotiate_store(s)->agreement_next_id(s, &next, &e)) return http__fail(r, &e);
    json_t *list = json_array();
    for (int64_t id = 1; id < next; id++) {
        json_t *a = nsvc_agreement_get(s, &r->caller, id, &e);
        if (!a) {
            if (e.status == 404 || e.status == 403) {
                err_clear(&e);
                continue;
            }
            json_decref(list);
            return http__fail(r, &e);
        }
        json_t *doc = json_object_get(a, "agreement");
        json_t *line = json_pack(
            "{s:I, s:O?, s:O?, s:O?, s:O?, s:O?, s:O?}", "id", (json_int_t)id, "state",
            json_object_get(a, "state"), "negotiation", json_object_get(doc, "negotiation"),
            "title", json_object_get(doc, "title"), "parties", json_object_get(doc, "parties"),
            "mediators", json_object_get(doc, "mediators"), "effective",
            json_object_get(doc, "effective"));
        json_array_append_new(list, line);
        json_decref(a);
    }
    return http__reply(r, 200, json_pack("{s:o}", "agreements", list));
}

static int record_write(store *s, void *cls, tr_err *e)
{
    http_req *r = cls;
    journal_actor who = acct_actor(&r->caller);
    int64_t id;
    json_t *out;
    if (nsvc_agreement_record(s, &who, r->json, &id, e)) return -1;
    if (!(out = nsvc_agreement_get(s, &r->caller, id, e))) return -1;
    return http__reply(r, 201, out);
}

static int h_agreement_record(http_req *r)
{
    if (http__check_body(r)) return 0;
    return http__defer(r, record_write);
}

static int signature_write(store *s, void *cls, tr_err *e)
{
    http_req *r = cls;
    journal_actor who = acct_actor(&r->caller);
    int64_t id = http__the_id(r);
    json_t *out;
    if (nsvc_agreement_sign(s, &who, &r->caller, id, r->json, e)) return -1;
    if (!(out = nsvc_agreement_get(s, &r->caller, id, e))) return -1;
    return http__reply(r, 201, out);
}

static int h_agreement_sign(http_req *r)
{
    int64_t *id = arena_alloc(&r->mem, sizeof *id);
    if (agreement_id(r, id) || http__check_body(r)) return 0;
    r->state = id;
    return http__defer(r, signature_write);
}

/* ---- the table --------------------------------------------------------------------- */

const http_route negotiate_routes[] = {
    /* method  path                handler          who          flags        body schema */
    {"POST", "/api/v1/negotiations", h_negotiation_open, WHO_MEDIATOR, ROUTE_BODY,
     nsvc_negotiation_fields},
    {"GET", "/api/v1/negotiations", h_negotiations, WHO_USER, 0, NULL},
    {"GET", "/api/v1/negotiations/{id}", h_negotiation_get, WHO_USER, 0, NULL},
    {"PUT", "/api/v1/negotiations/{id}/profile", h_profile_put, WHO_PARTY, ROUTE_BODY,
     nsvc_profile_fields},
    {"GET", "/api/v1/negotiations/{id}/profile", h_profile_get, WHO_PARTY, 0, NULL},
    {"POST", "/api/v1/negotiations/{id}/texts", h_text_post, WHO_MEDIATOR, ROUTE_BODY,
     nsvc_text_fields},
    {"GET", "/api/v1/negotiations/{id}/texts/{n}", h_text_get, WHO_USER, 0, NULL},
    {"POST", "/api/v1/negotiations/{id}/texts/{n}/send", h_text_send, WHO_MEDIATOR, ROUTE_BODY,
     nsvc_send_fields},
    {"POST", "/api/v1/negotiations/{id}/texts/{n}/responses", h_text_respond, WHO_PARTY, ROUTE_BODY,
     nsvc_response_fields},
    {"POST", "/api/v1/negotiations/{id}/abandon", h_negotiation_abandon, WHO_MEDIATOR, ROUTE_BODY,
     nsvc_abandon_fields},
    {"GET", "/api/v1/negotiations/{id}/analysis", h_negotiation_analysis, WHO_MEDIATOR, 0, NULL},
    {"POST", "/api/v1/negotiations/{id}/suggestions", h_negotiation_suggest, WHO_MEDIATOR,
     ROUTE_BODY, nsvc_suggest_fields},
    {"POST", "/api/v1/negotiations/{id}/agreement", h_agreement_draft, WHO_MEDIATOR, ROUTE_BODY,
     nsvc_agreement_fields},
    {"POST", "/api/v1/agreements", h_agreement_record, WHO_MEDIATOR | WHO_ADMIN, ROUTE_BODY,
     nsvc_record_fields},
    {"GET", "/api/v1/agreements/{id}", h_agreement_get, WHO_PUBLIC, 0, NULL},
    {"GET", "/api/v1/agreements", h_agreement_list, WHO_PUBLIC, 0, NULL},
    {"POST", "/api/v1/agreements/{id}/signatures", h_agreement_sign, WHO_PARTY, ROUTE_BODY,
     nsvc_signature_fields},
    {NULL, NULL, NULL, 0, 0, NULL},
};
