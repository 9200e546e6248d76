/* comply.c - defining obligations and what is said of them; see comply.h. Evaluation is in
 * evaluate.c. */
#include "comply/comply.h"

#include "accounts/store.h"
#include "aid/store.h"
#include "core/util.h"
#include "monitor/store.h"
#include "negotiate/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kinds[] = {"prohibition", "area",     "access", "deadline",
                                    "deliverable", "schedule", "rate",   NULL};
static const char *const min_statuses[] = {"reported", "verified", NULL};
static const char *const pers[] = {"day", NULL};
static const jsx_field text_item[] = {{.name = "", .type = JSX_STRING, .min = 1, .max = 128}, {0}};
static const jsx_field slug_item[] = {{.name = "", .type = JSX_SLUG}, {0}};
static const jsx_field sha_item[] = {{.name = "", .type = JSX_STRING, .min = 64, .max = 64}, {0}};

static const jsx_field incident_fields[] = {
    {.name = "event_types", .type = JSX_ARRAY, .min = 1, .max = 16, .items = text_item},
    {.name = "sub_event_types",
     .type = JSX_ARRAY,
     .flags = JSX_OPTIONAL,
     .min = 1,
     .max = 32,
     .items = text_item},
    {.name = "zones",
     .type = JSX_ARRAY,
     .flags = JSX_OPTIONAL,
     .min = 1,
     .max = 32,
     .items = slug_item},
    {.name = "min_status", .type = JSX_STRING, .flags = JSX_OPTIONAL, .oneof = min_statuses},
    {0},
};
static const jsx_field step_fields[] = {
    {.name = "day", .type = JSX_INT, .min = 1, .max = 10000},
    {.name = "quantity", .type = JSX_NUMBER, .min = 0, .max = 1e12},
    {0},
};
static const jsx_field step_item[] = {{.name = "", .type = JSX_OBJECT, .fields = step_fields}, {0}};
static const jsx_field rate_fields[] = {
    {.name = "per", .type = JSX_STRING, .oneof = pers},
    {.name = "value", .type = JSX_NUMBER, .min = 0, .max = 1e12},
    {.name = "basis", .type = JSX_STRING, .min = 1, .max = 64},
    {.name = "source", .type = JSX_STRING, .min = 1, .max = 64},
    {.name = "category", .type = JSX_STRING, .flags = JSX_OPTIONAL, .min = 1, .max = 16},
    {0},
};

const jsx_field obligation_fields[] = {
    {.name = "ref", .type = JSX_STRING, .min = 1, .max = 32},
    {.name = "title", .type = JSX_STRING, .min = 1, .max = 256},
    {.name = "party", .type = JSX_SLUG},
    {.name = "kind", .type = JSX_STRING, .oneof = kinds},
    {.name = "description", .type = JSX_STRING, .flags = JSX_OPTIONAL, .min = 1, .max = 4000},
    {.name = "phase", .type = JSX_INT, .flags = JSX_OPTIONAL, .min = 1, .max = 9},
    {.name = "from_day", .type = JSX_INT, .flags = JSX_OPTIONAL, .min = 1, .max = 10000},
    {.name = "to_day", .type = JSX_INT, .flags = JSX_OPTIONAL, .min = 1, .max = 10000},
    {.name = "due_day", .type = JSX_INT, .flags = JSX_OPTIONAL, .min = 1, .max = 10000},
    {.name = "incidents", .type = JSX_OBJECT, .flags = JSX_OPTIONAL, .fields = incident_fields},
    {.name = "threshold", .type = JSX_INT, .flags = JSX_OPTIONAL, .min = 0, .max = 1000000},
    {.name = "steps",
     .type = JSX_ARRAY,
     .flags = JSX_OPTIONAL,
     .min = 1,
     .max = 100,
     .items = step_item},
    {.name = "rate", .type = JSX_OBJECT, .flags = JSX_OPTIONAL, .fields = rate_fields},
    {.name = "target", .type = JSX_INT, .flags = JSX_OPTIONAL, .min = 1, .max = 9e15},
    {.name = "tolerance", .type = JSX_NUMBER, .flags = JSX_OPTIONAL, .min = 0, .max = 1},
    {.name = "crossings",
     .type = JSX_ARRAY,
     .flags = JSX_OPTIONAL,
     .min = 1,
     .max = 16,
     .items = slug_item},
    {.name = "trigger", .type = JSX_INT, .flags = JSX_OPTIONAL, .min = 1, .max = 9e15},
    {.name = "suspended_by", .type = JSX_INT, .flags = JSX_OPTIONAL, .min = 1, .max = 9e15},
    {0},
};

/* What each kind needs and what it takes besides the common fields. */
static const struct {
    const char *kind;
    const char *const needs[4];
    const char *const takes[6];
} kind_fields[] = {
    {"prohibition", {"from_day", "to_day", "incidents"}, {"threshold"}},
    {"area", {"from_day", "incidents"}, {"to_day", "threshold"}},
    {"access", {"from_day", "to_day"}, {"threshold", "crossings"}},
    {"deadline", {"due_day"}, {NULL}},
    {"deliverable", {"due_day"}, {NULL}},
    {"schedule", {"steps"}, {NULL}},
    {"rate", {"from_day", "to_day"}, {"rate", "target", "tolerance"}},
};
static const char *const common[] = {"ref",   "title",   "party",        "kind", "description",
                                     "phase", "trigger", "suspended_by", NULL};

static int listed(const char *const *list, size_t n, const char *key)
{
    for (size_t i = 0; i < n && list[i]; i++)
        if (strcmp(list[i], key) == 0) return 1;
    return 0;
}

/* The kind's own fields: each it needs there, none it does not take. */
static int check_kind(const json_t *in, const char *kind, tr_err *e)
{
    const char *key;
    json_t *v;
    for (size_t k = 0; k < sizeof kind_fields / sizeof kind_fields[0]; k++) {
        if (strcmp(kind_fields[k].kind, kind) != 0) continue;
        for (size_t i = 0; i < 4 && kind_fields[k].needs[i]; i++)
            if (!json_object_get(in, kind_fields[k].needs[i]))
                return err_field(e, "request.missing_field", kind_fields[k].needs[i],
                                 "see the kinds in docs/api.md", "a %s needs %s", kind,
                                 kind_fields[k].needs[i]);
        json_object_foreach((json_t *)in, key, v)
        {
            if (listed(common, 99, key) || listed(kind_fields[k].needs, 4, key) ||
                listed(kind_fields[k].takes, 6, key))
                continue;
            return err_field(e, "request.invalid_field", key,
                             "leave out what this kind does not use", "a %s has no %s", kind, key);
        }
    }
    return 0;
}

/* The agreement's document, if one obligations may be defined on. */
static json_t *agreement_doc(store *s, int64_t agreement, tr_err *e)
{
    store_agreement a = {0};
    int rc = negotiate_store(s)->agreement_get(s, agreement, &a, e);
    json_t *doc = NULL;
    if (rc == 0)
        err_set(e, 404, "agreement.not_found", "see GET /api/v1/agreements/{id}",
                "no agreement %lld", (long long)agreement);
    if (rc == 1 && strcmp(a.state, "drafted") == 0)
        err_set(e, 409, "obligation.agreement_drafted", "wait until every party has signed it",
                "agreement %lld is not in force", (long long)agreement);
    else if (rc == 1)
        doc = json_loads(a.doc, 0, NULL);
    free(a.doc);
    return doc;
}

/* Another obligation of the same agreement, named by field. */
static int check_link(store *s, const json_t *in, const char *field, int64_t agreement, tr_err *e)
{
    store_obligation o = {0};
    const json_t *v = json_object_get(in, field);
    if (!v) return 0;
    int rc = comply_store(s)->obligation_get(s, json_integer_value(v), &o, e);
    free(o.spec);
    if (rc < 0) return -1;
    if (rc == 0 || o.agreement != agreement)
        return err_field(e, "request.invalid_field", field,
                         "an obligation of the same agreement, by its id",
                         "agreement %lld has no obligation %lld", (long long)agreement,
                         (long long)json_integer_value(v));
    return 0;
}

int comply_define(store *s, const journal_actor *who, int64_t agreement, const json_t *in,
                  int64_t *id, tr_err *e)
{
    const char *kind = jsx_str(in, "kind", ""), *party = jsx_str(in, "party", "");
    const json_t *inc = json_object_get(in, "incidents"), *steps = json_object_get(in, "steps");
    json_t *doc = agreement_doc(s, agreement, e);
    int64_t old;
    int rc = -1;
    if (!doc) return -1;
    if (!jsx_has(json_object_get(doc, "parties"), party)) {
        err_field(e, "request.invalid_field", "party", "one of the agreement's parties",
                  "'%s' is not a party to agreement %lld", party, (long long)agreement);
        goto out;
    }
    if (check_kind(in, kind, e)) goto out;
    if (json_object_get(in, "to_day") && json_object_get(in, "from_day") &&
        jsx_num(in, "to_day", 0) < jsx_num(in, "from_day", 0)) {
        err_field(e, "request.invalid_field", "to_day", "the last day, on or after from_day",
                  "day %g is before day %g", jsx_num(in, "to_day", 0), jsx_num(in, "from_day", 0));
        goto out;
    }
    if (strcmp(kind, "area") == 0 && !json_object_get(inc, "zones")) {
        err_field(e, "request.missing_field", "incidents.zones", "the zones it concerns",
                  "an area obligation names its zones");
        goto out;
    }
    for (size_t i = 0; i < json_array_size(json_object_get(inc, "zones")); i++) {
        const char *z = json_string_value(json_array_get(json_object_get(inc, "zones"), i));
        int found = monitor_store(s)->zone_exists(s, z, e);
        if (found < 0) goto out;
        if (!found) {
            char f[64];
            snprintf(f, sizeof f, "incidents.zones[%zu]", i);
            err_field(e, "request.invalid_field", f, "a zone of the deployment", "no zone '%s'", z);
            goto out;
        }
    }
    for (size_t i = 1; i < json_array_size(steps); i++)
        if (jsx_num(json_array_get(steps, i), "day", 0) <=
            jsx_num(json_array_get(steps, i - 1), "day", 0)) {
            char f[48];
            snprintf(f, sizeof f, "steps[%zu].day", i);
            err_field(e, "request.invalid_field", f, "steps in the order of their days",
                      "day %g does not come after day %g",
                      jsx_num(json_array_get(steps, i), "day", 0),
                      jsx_num(json_array_get(steps, i - 1), "day", 0));
            goto out;
        }
    if (strcmp(kind, "rate") == 0 &&
        !json_object_get(in, "rate") == !json_object_get(in, "target")) {
        err_field(e, "request.missing_field", "rate",
                  "give rate {per, value, basis, source} or "
                  "target (an aid target's id), one of them",
                  "a rate obligation is measured by a rate or an aid target");
        goto out;
    }
    if (json_object_get(in, "target")) {
        store_target t;
        int found =
            aid_store(s)->target_get(s, json_integer_value(json_object_get(in, "target")), &t, e);
        if (found < 0) goto out;
        if (!found) {
            err_field(e, "request.invalid_field", "target", "see GET /api/v1/aid/targets",
                      "no aid target %lld",
                      (long long)json_integer_value(json_object_get(in, "target")));
            goto out;
        }
    }
    if (check_link(s, in, "trigger", agreement, e) ||
        check_link(s, in, "suspended_by", agreement, e))
        goto out;
    rc = comply_store(s)->obligation_by_ref(s, agreement, jsx_str(in, "ref", ""), &old, e);
    if (rc < 0) goto out;
    if (rc == 1) {
        rc = err_set(e, 409, "obligation.ref_exists", "each obligation has its own reference",
                     "agreement %lld has obligation '%s' already (%lld)", (long long)agreement,
                     jsx_str(in, "ref", ""), (long long)old);
        goto out;
    }
    json_t *body = json_deep_copy(in);
    json_object_set_new(body, "agreement", json_integer(agreement));
    rc = journal_record(s, who, "obligation.defined", body, "public", id, e);
    json_decref(body);
out:
    json_decref(doc);
    return rc;
}

int comply_find(store *s, int64_t id, store_obligation *out, tr_err *e)
{
    int rc = comply_store(s)->obligation_get(s, id, out, e);
    if (rc == 0)
        err_set(e, 404, "obligation.not_found",
                "list an agreement's with GET /api/v1/agreements/{id}/obligations",
                "no obligation %lld", (long long)id);
    return rc == 1 ? 0 : -1;
}

const jsx_field observation_fields[] = {
    {.name = "date", .type = JSX_STRING, .min = 10, .max = 10},
    {.name = "quantity", .type = JSX_NUMBER, .flags = JSX_OPTIONAL, .min = 0, .max = 1e12},
    {.name = "note", .type = JSX_STRING, .min = 1, .max = 4000},
    {.name = "evidence", .type = JSX_ARRAY, .flags = JSX_OPTIONAL, .max = 16, .items = sha_item},
    {0},
};
const jsx_field deliverable_fields[] = {
    {.name = "date", .type = JSX_STRING, .flags = JSX_OPTIONAL, .min = 10, .max = 10},
    {.name = "note", .type = JSX_STRING, .min = 1, .max = 4000},
    {.name = "evidence", .type = JSX_ARRAY, .flags = JSX_OPTIONAL, .max = 16, .items = sha_item},
    {0},
};
static const char *const positions[] = {"deny", "exception", "counter_breach", "accept", NULL};
const jsx_field response_fields[] = {
    {.name = "position", .type = JSX_STRING, .oneof = positions},
    {.name = "text", .type = JSX_STRING, .min = 1, .max = 4000},
    {.name = "evidence", .type = JSX_ARRAY, .flags = JSX_OPTIONAL, .max = 16, .items = sha_item},
    {0},
};
static const char *const outcomes[] = {"upheld", "overturned", "waived", NULL};
const jsx_field decision_fields[] = {
    {.name = "outcome", .type = JSX_STRING, .oneof = outcomes},
    {.name = "reason", .type = JSX_STRING, .min = 1, .max = 4000},
    {0},
};

/* A day the evidence is about: a date, not after today. */
static int check_day(const char *date, tr_err *e)
{
    char today[11];
    util_day_at(util_unix_s(), today);
    if (!util_is_date(date))
        return err_field(e, "request.invalid_field", "date", "the day it is about, YYYY-MM-DD",
                         "'%s' is not a date", date);
    if (strcmp(date, today) > 0)
        return err_field(e, "request.invalid_field", "date", "a day that has come",
                         "%s is in the future", date);
    return 0;
}

static int evidence_hex(const json_t *in, tr_err *e)
{
    const json_t *ev = json_object_get(in, "evidence");
    for (size_t i = 0; i < json_array_size(ev); i++) {
        unsigned char raw[32];
        if (util_unhex(raw, 32, json_string_value(json_array_get(ev, i))) != 0) {
            char f[32];
            snprintf(f, sizeof f, "evidence[%zu]", i);
            return err_field(e, "request.invalid_field", f,
                             "the SHA-256 of an evidence file (64 hex digits)", "not a SHA-256");
        }
    }
    return 0;
}

static int note(store *s, const journal_actor *who, int64_t id, const char *type, const json_t *in,
                const char *date, tr_err *e)
{
    json_t *body = json_deep_copy(in);
    json_object_set_new(body, "obligation", json_integer(id));
    if (date) json_object_set_new(body, "date", json_string(date));
    int rc = journal_record(s, who, type, body, "public", NULL, e);
    json_decref(body);
    return rc;
}

int comply_observe(store *s, const journal_actor *who, int64_t id, const json_t *in, tr_err *e)
{
    store_obligation o = {0};
    int rc = comply_find(s, id, &o, e);
    free(o.spec);
    if (rc || check_day(jsx_str(in, "date", ""), e) || evidence_hex(in, e)) return -1;
    return note(s, who, id, "obligation.observed", in, NULL, e);
}

/* Only the obligated party's users (or an administrator). */
static int party_only(const store_obligation *o, const char *org, int admin, const char *what,
                      tr_err *e)
{
    if (admin || (org && strcmp(org, o->party) == 0)) return 0;
    err_set(e, 403, "auth.forbidden", "sign in as a user of the obligated party",
            "only '%s', the obligated party, may %s", o->party, what);
    return err_detail(e, json_pack("{s:[s,s]}", "allowed", o->party, "admin"));
}

int comply_deliver(store *s, const journal_actor *who, const char *org, int admin, int64_t id,
                   const json_t *in, tr_err *e)
{
    store_obligation o = {0};
    char today[11];
    int rc = comply_find(s, id, &o, e);
    if (rc == 0) rc = party_only(&o, org, admin, "deliver what it owes", e);
    if (rc == 0 && strcmp(o.kind, "deliverable") != 0)
        rc = err_set(e, 409, "obligation.not_deliverable",
                     "post observations of it instead (monitors)",
                     "obligation %lld is a %s, not a deliverable", (long long)id, o.kind);
    free(o.spec);
    util_day_at(util_unix_s(), today);
    const char *date = jsx_str(in, "date", today);
    if (rc || check_day(date, e) || evidence_hex(in, e)) return -1;
    return note(s, who, id, "obligation.delivered", in, date, e);
}

int comply_answer(store *s, const journal_actor *who, const char *org, int admin, int64_t id,
                  const json_t *in, tr_err *e)
{
    store_obligation o = {0};
    int rc = comply_find(s, id, &o, e);
    if (rc == 0) rc = party_only(&o, org, admin, "answer its findings", e);
    free(o.spec);
    if (rc || evidence_hex(in, e)) return -1;
    return note(s, who, id, "obligation.answered", in, NULL, e);
}

static int any_response(void *cls, const void *row)
{
    const store_note *n = row;
    if (strcmp(n->kind, "response") == 0) *(int *)cls = 1;
    if (strcmp(n->kind, "decision") == 0) *(int *)cls = 0; /* answered before, decided since */
    return 0;
}

int comply_decide(store *s, const journal_actor *who, int64_t id, const json_t *in, tr_err *e)
{
    store_obligation o = {0};
    int open = 0, rc = comply_find(s, id, &o, e);
    free(o.spec);
    if (rc || comply_store(s)->note_list(s, id, any_response, &open, e)) return -1;
    if (strcmp(jsx_str(in, "outcome", ""), "waived") != 0 && !open)
        return err_set(e, 409, "obligation.not_disputed",
                       "a finding is upheld or overturned once its party has answered it",
                       "obligation %lld has no answer waiting for a decision", (long long)id);
    return note(s, who, id, "obligation.decided", in, NULL, e);
}
