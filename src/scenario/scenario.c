/* scenario.c - loading a scenario directory; see scenario.h. */
#include "scenario/scenario.h"
#include "accounts/store.h"

#include "accounts/accounts.h"
#include "aid/counts.h"
#include "aid/crossings.h"
#include "aid/flow.h"
#include "aid/import.h"
#include "comply/comply.h"
#include "json/jsx.h"
#include "monitor/acled.h"
#include "monitor/incidents.h"
#include "monitor/reports.h"
#include "monitor/zones.h"
#include "negotiate/agreement.h"
#include "negotiate/service.h"

#include <sodium.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const jsx_field zone_file_fields[] = {
    {.name = "file", .type = JSX_STRING, .min = 1, .max = 256},
    {.name = "kind", .type = JSX_SLUG},
    {0},
};
/* An organization as POST /api/v1/orgs takes it, with the actors that stand for it. */
static const jsx_field actor_name[] = {{.name = "", .type = JSX_STRING, .min = 1, .max = 256}, {0}};
static const jsx_field org_fields[] = {
    {.name = "slug", .type = JSX_SLUG},
    {.name = "name", .type = JSX_STRING, .min = 1, .max = 256},
    {.name = "kind", .type = JSX_STRING, .oneof = acct_org_kinds},
    {.name = "actors",
     .type = JSX_ARRAY,
     .flags = JSX_OPTIONAL,
     .max = STORE_MAX_ACTORS,
     .items = actor_name},
    {0},
};
static const jsx_field org_item[] = {{.name = "", .type = JSX_OBJECT, .fields = org_fields}, {0}};
static const jsx_field user_item[] = {{.name = "", .type = JSX_OBJECT, .fields = acct_user_fields},
                                      {0}};
static const jsx_field crossing_item[] = {
    {.name = "", .type = JSX_OBJECT, .fields = crossing_fields}, {0}};
static const jsx_field zone_item[] = {{.name = "", .type = JSX_OBJECT, .fields = zone_file_fields},
                                      {0}};
/* A scripted negotiation: opened, profiled, three versions answered, agreed and signed. */
static const jsx_field script_fields[] = {
    {.name = "illustrative", .type = JSX_BOOL},
    {.name = "opened_by", .type = JSX_SLUG},
    {.name = "negotiation", .type = JSX_OBJECT, .fields = nsvc_negotiation_fields},
    {.name = "profiles", .type = JSX_OBJECT},
    {.name = "history", .type = JSX_ARRAY, .min = 1, .max = 50},
    {.name = "agreement", .type = JSX_OBJECT, .flags = JSX_OPTIONAL},
    {.name = "signed_by", .type = JSX_ARRAY, .flags = JSX_OPTIONAL, .items = NULL},
    {0},
};
static const jsx_field script_item[] = {{.name = "", .type = JSX_OBJECT, .fields = script_fields},
                                        {0}};

/* A sample monitoring record: a report, the incident opened from it, and its moves. */
static const jsx_field sample_fields[] = {
    {.name = "illustrative", .type = JSX_BOOL},
    {.name = "filed_by", .type = JSX_SLUG, .flags = JSX_OPTIONAL},
    {.name = "opened_by", .type = JSX_SLUG, .flags = JSX_OPTIONAL},
    {.name = "report", .type = JSX_OBJECT, .fields = report_fields},
    {.name = "moves", .type = JSX_ARRAY, .flags = JSX_OPTIONAL, .max = 20},
    {0},
};
static const jsx_field sample_item[] = {{.name = "", .type = JSX_OBJECT, .fields = sample_fields},
                                        {0}};

/* A sample of the aid flow: a request, its operator's decision, truckloads dispatched under
 * it and their moves (moves[].from and .trucks pick the dispatch's trucks by position). */
static const jsx_field aid_move_fields[] = {
    {.name = "by", .type = JSX_SLUG},
    {.name = "to", .type = JSX_STRING, .min = 1, .max = 32},
    {.name = "from", .type = JSX_INT, .min = 0, .max = 1000},
    {.name = "trucks", .type = JSX_INT, .min = 1, .max = 1000},
    {.name = "reason", .type = JSX_STRING, .flags = JSX_OPTIONAL, .min = 1, .max = 256},
    {.name = "interception", .type = JSX_STRING, .flags = JSX_OPTIONAL, .min = 1, .max = 16},
    {.name = "at", .type = JSX_STRING, .flags = JSX_OPTIONAL, .min = 20, .max = 24},
    {0},
};
static const jsx_field aid_move_item[] = {
    {.name = "", .type = JSX_OBJECT, .fields = aid_move_fields}, {0}};
static const jsx_field aid_dispatch_fields[] = {
    {.name = "count", .type = JSX_INT, .min = 1, .max = 1000},
    {.name = "category", .type = JSX_STRING, .min = 1, .max = 16},
    {.name = "pallets", .type = JSX_NUMBER, .flags = JSX_OPTIONAL, .min = 0, .max = 1000},
    {.name = "tonnes", .type = JSX_NUMBER, .flags = JSX_OPTIONAL, .min = 0, .max = 1000},
    {.name = "at", .type = JSX_STRING, .flags = JSX_OPTIONAL, .min = 20, .max = 24},
    {.name = "moves", .type = JSX_ARRAY, .flags = JSX_OPTIONAL, .max = 32, .items = aid_move_item},
    {0},
};
static const jsx_field aid_dispatch_item[] = {
    {.name = "", .type = JSX_OBJECT, .fields = aid_dispatch_fields}, {0}};
static const jsx_field aid_decision_fields[] = {
    {.name = "by", .type = JSX_SLUG},
    {.name = "to", .type = JSX_STRING, .min = 1, .max = 32},
    {.name = "reason", .type = JSX_STRING, .flags = JSX_OPTIONAL, .min = 1, .max = 256},
    {.name = "at", .type = JSX_STRING, .flags = JSX_OPTIONAL, .min = 20, .max = 24},
    {0},
};
static const jsx_field aid_sample_fields[] = {
    {.name = "illustrative", .type = JSX_BOOL},
    {.name = "by", .type = JSX_SLUG},
    {.name = "request", .type = JSX_OBJECT, .fields = request_fields},
    {.name = "decision", .type = JSX_OBJECT, .flags = JSX_OPTIONAL, .fields = aid_decision_fields},
    {.name = "dispatches",
     .type = JSX_ARRAY,
     .flags = JSX_OPTIONAL,
     .max = 16,
     .items = aid_dispatch_item},
    {0},
};
static const jsx_field aid_sample_item[] = {
    {.name = "", .type = JSX_OBJECT, .fields = aid_sample_fields}, {0}};
static const jsx_field aid_target_fields[] = {
    {.name = "by", .type = JSX_SLUG},
    {.name = "target", .type = JSX_OBJECT, .fields = target_fields},
    {0},
};
static const jsx_field aid_target_item[] = {
    {.name = "", .type = JSX_OBJECT, .fields = aid_target_fields}, {0}};

/* A published file of aid counts the demo imports when given the data folder. */
static const jsx_field aid_counts_fields[] = {
    {.name = "about", .type = JSX_STRING, .flags = JSX_OPTIONAL, .max = 512},
    {.name = "file", .type = JSX_STRING, .min = 1, .max = 512},
    {.name = "source", .type = JSX_STRING, .min = 1, .max = 64},
    {.name = "basis", .type = JSX_STRING, .min = 1, .max = 64},
    {.name = "date_column", .type = JSX_STRING, .min = 1, .max = 256},
    {.name = "value_column", .type = JSX_STRING, .flags = JSX_OPTIONAL, .min = 1, .max = 256},
    {.name = "count_rows", .type = JSX_BOOL, .flags = JSX_OPTIONAL},
    {.name = "crossing_column", .type = JSX_STRING, .flags = JSX_OPTIONAL, .min = 1, .max = 256},
    {.name = "category_column", .type = JSX_STRING, .flags = JSX_OPTIONAL, .min = 1, .max = 256},
    {.name = "map_crossing", .type = JSX_STRING, .flags = JSX_OPTIONAL, .min = 1, .max = 4096},
    {.name = "map_category", .type = JSX_STRING, .flags = JSX_OPTIONAL, .min = 1, .max = 4096},
    {0},
};
static const jsx_field aid_counts_item[] = {
    {.name = "", .type = JSX_OBJECT, .fields = aid_counts_fields}, {0}};

/* An agreement signed elsewhere and the obligations it becomes; an obligation names others
 * of it by ref (trigger_ref, suspended_by_ref) and an aid target by name (target_name). */
static const jsx_field agreement_script_fields[] = {
    {.name = "by", .type = JSX_SLUG},
    {.name = "agreement", .type = JSX_OBJECT, .fields = nsvc_record_fields},
    {.name = "obligations", .type = JSX_ARRAY, .flags = JSX_OPTIONAL, .max = 500},
    {0},
};
static const jsx_field agreement_script_item[] = {
    {.name = "", .type = JSX_OBJECT, .fields = agreement_script_fields}, {0}};

static const jsx_field scenario_fields[] = {
    {.name = "name", .type = JSX_SLUG},
    {.name = "title", .type = JSX_STRING, .min = 1, .max = 256},
    {.name = "description", .type = JSX_STRING, .flags = JSX_OPTIONAL, .max = 4096},
    {.name = "orgs", .type = JSX_ARRAY, .items = org_item},
    {.name = "users", .type = JSX_ARRAY, .flags = JSX_OPTIONAL, .items = user_item},
    {.name = "crossings", .type = JSX_ARRAY, .flags = JSX_OPTIONAL, .items = crossing_item},
    {.name = "zones", .type = JSX_ARRAY, .flags = JSX_OPTIONAL, .items = zone_item},
    {.name = "negotiations", .type = JSX_ARRAY, .flags = JSX_OPTIONAL, .items = script_item},
    {.name = "monitoring", .type = JSX_ARRAY, .flags = JSX_OPTIONAL, .items = sample_item},
    {.name = "aid_targets", .type = JSX_ARRAY, .flags = JSX_OPTIONAL, .items = aid_target_item},
    {.name = "aid", .type = JSX_ARRAY, .flags = JSX_OPTIONAL, .items = aid_sample_item},
    {.name = "aid_counts", .type = JSX_ARRAY, .flags = JSX_OPTIONAL, .items = aid_counts_item},
    {.name = "agreements",
     .type = JSX_ARRAY,
     .flags = JSX_OPTIONAL,
     .items = agreement_script_item},
    {.name = "acled", .type = JSX_STRING, .flags = JSX_OPTIONAL, .min = 1, .max = 512},
    {0},
};

static const jsx_field feature_props[] = {
    {.name = "slug", .type = JSX_SLUG},
    {.name = "name", .type = JSX_STRING, .min = 1, .max = 256},
    {.name = "kind", .type = JSX_SLUG, .flags = JSX_OPTIONAL},
    {.name = "source_name", .type = JSX_STRING, .flags = JSX_OPTIONAL, .max = 256},
    {0},
};

/* Everything checked and prepared, ready to write. */
typedef struct plan {
    unsigned flags;       /* SCN_* */
    json_t *scenario;     /* scenario.json */
    json_t *zones;        /* [{"slug","name","kind","geometry"}] */
    acct_user_new *users; /* Prepared users (passwords hashed). */
    size_t n_users;
} plan;

static json_t *load_file(const char *dir, const char *name, tr_err *e)
{
    char path[4096];
    json_error_t je;
    json_t *v;
    if (strstr(name, "..") || name[0] == '/') {
        err_set(e, 400, "scenario.bad_path", "name a file inside the scenario directory",
                "scenario file '%s' is outside the scenario directory", name);
        return NULL;
    }
    snprintf(path, sizeof path, "%s/%s", dir, name);
    v = jsx_load_file(path, &je);
    if (!v)
        err_set(e, 400, "scenario.unreadable", "fix the file, or pass another --scenario",
                "cannot read %s: %s (line %d, column %d)", path, je.text, je.line, je.column);
    return v;
}

static int collect_zones(plan *p, const char *dir, tr_err *e)
{
    size_t i, j;
    const json_t *zf, *feat;
    p->zones = json_array();
    json_array_foreach(json_object_get(p->scenario, "zones"), i, zf)
    {
        const char *file = jsx_str(zf, "file", "");
        json_t *fc = load_file(dir, file, e);
        char where[320];
        if (!fc) return -1;
        if (!json_is_array(json_object_get(fc, "features"))) {
            json_decref(fc);
            return err_set(e, 400, "scenario.bad_zones", "give a GeoJSON FeatureCollection",
                           "%s is not a GeoJSON FeatureCollection", file);
        }
        json_array_foreach(json_object_get(fc, "features"), j, feat)
        {
            const json_t *props = json_object_get(feat, "properties");
            snprintf(where, sizeof where, "%s: features[%zu].properties", file, j);
            if (jsx_check(props, feature_props, where, e)) goto bad;
            snprintf(where, sizeof where, "%s: features[%zu].geometry", file, j);
            if (zone_geometry_check(json_object_get(feat, "geometry"), where, e)) goto bad;
            json_array_append_new(
                p->zones, json_pack("{s:s, s:s, s:s, s:O}", "slug", jsx_str(props, "slug", ""),
                                    "name", jsx_str(props, "name", ""), "kind",
                                    jsx_str(props, "kind", jsx_str(zf, "kind", "zone")), "geometry",
                                    json_object_get(feat, "geometry")));
        }
        json_decref(fc);
        continue;
    bad:
        json_decref(fc);
        return -1;
    }
    return 0;
}

/* Acts as an organization's demo user. */
static acct_caller as(store *s, const char *org, tr_err *e)
{
    acct_caller c = {0};
    store_org o;
    if (accounts_store(s)->org_get(s, org, &o, e) == 1) {
        c.signed_in = 1;
        snprintf(c.user, sizeof c.user, "%s", org);
        snprintf(c.org, sizeof c.org, "%s", org);
        snprintf(c.org_kind, sizeof c.org_kind, "%s", o.kind);
    }
    return c;
}

/* Plays one scripted negotiation through the same services the API uses. */
static int play(store *s, const json_t *script, tr_err *e)
{
    acct_caller med = as(s, jsx_str(script, "opened_by", ""), e);
    journal_actor mw = acct_actor(&med);
    const json_t *v, *h;
    const char *key;
    size_t i;
    int64_t id, aid;
    if (!med.signed_in)
        return err_set(e, 400, "scenario.bad_script", NULL, "no organization '%s'",
                       jsx_str(script, "opened_by", ""));
    if (nsvc_open(s, &mw, &med, json_object_get(script, "negotiation"), &id, e)) return -1;
    json_object_foreach((json_t *)json_object_get(script, "profiles"), key, v)
    {
        acct_caller p = as(s, key, e);
        journal_actor pw = acct_actor(&p);
        if (jsx_check(v, nsvc_profile_fields, "profiles", e) ||
            nsvc_profile_put(s, &pw, &p, id, v, e))
            return -1;
    }
    int n = 0;
    json_array_foreach(json_object_get(script, "history"), i, h)
    {
        const json_t *text = json_object_get(h, "text");
        json_t *send = json_pack("{s:O}", "to", json_object_get(h, "send"));
        int rc = jsx_check(text, nsvc_text_fields, "history.text", e) ||
                 nsvc_text_post(s, &mw, &med, id, text, &n, e) ||
                 nsvc_text_send(s, &mw, &med, id, n, send, e);
        json_decref(send);
        if (rc) return -1;
        json_object_foreach((json_t *)json_object_get(h, "responses"), key, v)
        {
            acct_caller p = as(s, key, e);
            journal_actor pw = acct_actor(&p);
            int replaced;
            if (jsx_check(v, nsvc_response_fields, "history.responses", e) ||
                nsvc_respond(s, &pw, &p, id, n, v, &replaced, e))
                return -1;
        }
    }
    if (!json_object_get(script, "agreement")) return 0;
    json_t *draft = json_deep_copy(json_object_get(script, "agreement"));
    json_object_set_new(draft, "text", json_integer(n));
    int rc = nsvc_agreement_draft(s, &mw, &med, id, draft, &aid, e);
    json_decref(draft);
    if (rc) return -1;
    /* Each signer makes a key for the demo (kept nowhere), registers it and signs. */
    json_array_foreach(json_object_get(script, "signed_by"), i, v)
    {
        acct_caller p = as(s, json_string_value(v), e);
        journal_actor pw = acct_actor(&p);
        unsigned char pk[32], sk[64];
        char pk64[AGR_PK_B64], sig[AGR_SIG_B64];
        store_org_key k;
        crypto_sign_keypair(pk, sk);
        sodium_bin2base64(pk64, sizeof pk64, pk, 32, sodium_base64_VARIANT_ORIGINAL);
        json_t *doc = NULL, *body;
        rc = acct_org_key_register(s, &pw, p.org, pk64, &k, e);
        if (rc == 0 && !(doc = nsvc_agreement_get(s, &p, aid, e))) rc = -1;
        if (rc == 0) rc = agr_sign_with(sk, doc, sig, e);
        sodium_memzero(sk, sizeof sk);
        json_decref(doc);
        if (rc) return -1;
        body = json_pack("{s:s, s:s}", "org", p.org, "signature", sig);
        rc = nsvc_agreement_sign(s, &pw, &p, aid, body, e);
        json_decref(body);
        if (rc) return -1;
    }
    return 0;
}

/* Plays one sample monitoring record through the services the API uses. */
static int play_sample(store *s, const json_t *sample, tr_err *e)
{
    const char *filer = jsx_str(sample, "filed_by", NULL),
               *opener = jsx_str(sample, "opened_by", NULL);
    const json_t *report = json_object_get(sample, "report"), *mv;
    int64_t rid = 0, id = 0;
    size_t i;
    if (filer) {
        acct_caller c = as(s, filer, e);
        journal_actor w = acct_actor(&c);
        if (!c.signed_in)
            return err_set(e, 400, "scenario.bad_script", NULL, "no organization '%s'", filer);
        if (report_file(s, &w, c.org, report, &rid, e)) return -1;
    }
    if (!opener) return 0;
    acct_caller m = as(s, opener, e);
    journal_actor mw = acct_actor(&m);
    if (!m.signed_in)
        return err_set(e, 400, "scenario.bad_script", NULL, "no organization '%s'", opener);
    json_t *body = json_deep_copy(report);
    if (rid) json_object_set_new(body, "reports", json_pack("[I]", (json_int_t)rid));
    int rc = incident_open(s, &mw, body, NULL, NULL, &id, e);
    json_decref(body);
    if (rc) return -1;
    json_array_foreach(json_object_get(sample, "moves"), i, mv)
    {
        acct_caller c = as(s, jsx_str(mv, "by", ""), e);
        journal_actor w = acct_actor(&c);
        if (!c.signed_in)
            return err_set(e, 400, "scenario.bad_script", NULL, "no organization '%s'",
                           jsx_str(mv, "by", ""));
        if (strcmp(jsx_str(mv, "to", ""), "duplicate") == 0) {
            json_t *t = json_deep_copy(mv);
            json_object_del(t, "by");
            json_object_del(t, "to");
            rc = jsx_check(t, merge_fields, "monitoring.moves", e) ||
                 incident_merge(s, &w, id, t, NULL, NULL, e);
            json_decref(t);
        } else if (strcmp(jsx_str(mv, "to", ""), "disputed") == 0) {
            json_t *d = json_pack("{s:s}", "reason", jsx_str(mv, "reason", ""));
            rc = jsx_check(d, dispute_fields, "monitoring.moves", e) ||
                 incident_dispute(s, &w, c.org, id, d, NULL, NULL, e);
            json_decref(d);
        } else {
            int roles = (strcmp(c.org_kind, "monitor") == 0 ? INC_MONITOR : 0) |
                        (strcmp(c.org_kind, "mediator") == 0 ? INC_MEDIATOR : 0);
            json_t *t = json_deep_copy(mv);
            json_object_del(t, "by");
            rc = jsx_check(t, transition_fields, "monitoring.moves", e) ||
                 incident_transition(s, &w, roles, id, t, NULL, NULL, e);
            json_decref(t);
        }
        if (rc) return -1;
    }
    return 0;
}

/* An organization of the scenario acting in the aid flow. */
static int aid_as(store *s, const char *org, acct_caller *c, aid_who *w, tr_err *e)
{
    *c = as(s, org, e);
    if (!c->signed_in)
        return err_set(e, 400, "scenario.bad_script", NULL, "no organization '%s'", org);
    w->actor = acct_actor(c);
    w->kind = c->org_kind;
    w->admin = 0;
    return 0;
}

/* A copy of o without the keys the scenario adds ("by"), checked against fields. */
static json_t *body_of(const json_t *o, const jsx_field *fields, const char *where, tr_err *e)
{
    json_t *b = json_deep_copy(o);
    json_object_del(b, "by");
    json_object_del(b, "moves");
    if (jsx_check(b, fields, where, e)) {
        json_decref(b);
        return NULL;
    }
    return b;
}

/* Plays one sample of the aid flow through the services the API uses. */
static int play_aid(store *s, const json_t *sample, tr_err *e)
{
    acct_caller c;
    aid_who w;
    int64_t id;
    size_t i, k;
    const json_t *d, *mv;
    json_t *b;
    if (aid_as(s, jsx_str(sample, "by", ""), &c, &w, e) ||
        aid_request_submit(s, &w, json_object_get(sample, "request"), &id, e))
        return -1;
    if ((d = json_object_get(sample, "decision"))) {
        if (aid_as(s, jsx_str(d, "by", ""), &c, &w, e) ||
            !(b = body_of(d, request_move_fields, "aid.decision", e)))
            return -1;
        int rc = aid_request_move(s, &w, id, b, e);
        json_decref(b);
        if (rc) return -1;
    }
    json_array_foreach(json_object_get(sample, "dispatches"), i, d)
    {
        json_t *trucks;
        if (aid_as(s, jsx_str(sample, "by", ""), &c, &w, e) ||
            !(b = body_of(d, dispatch_fields, "aid.dispatches", e)))
            return -1;
        int rc = aid_dispatch(s, &w, id, b, &trucks, e);
        json_decref(b);
        if (rc) return -1;
        json_array_foreach(json_object_get(d, "moves"), k, mv)
        {
            json_int_t from = json_integer_value(json_object_get(mv, "from"));
            json_int_t n = json_integer_value(json_object_get(mv, "trucks"));
            json_t *ids = json_array(), *out;
            for (json_int_t t = from; t < from + n && (size_t)t < json_array_size(trucks); t++)
                json_array_append(ids, json_array_get(trucks, (size_t)t));
            b = json_deep_copy(mv);
            json_object_del(b, "by");
            json_object_del(b, "from");
            json_object_set_new(b, "trucks", ids);
            rc = aid_as(s, jsx_str(mv, "by", ""), &c, &w, e) ||
                 jsx_check(b, trucks_move_fields, "aid.dispatches.moves", e) ||
                 aid_trucks_move(s, &w, 0, b, &out, e);
            json_decref(b);
            if (rc) {
                json_decref(trucks);
                return -1;
            }
            json_decref(out);
        }
        json_decref(trucks);
    }
    return 0;
}

typedef struct target_by_name {
    const char *name;
    int64_t id;
} target_by_name;

static int target_name_cb(void *cls, const void *row)
{
    target_by_name *t = cls;
    const store_target *x = row;
    if (strcmp(x->name, t->name) == 0) t->id = x->id;
    return 0;
}

/* Records an agreement and defines its obligations, as the API would. */
static int play_agreement(store *s, const json_t *script, tr_err *e)
{
    acct_caller c = as(s, jsx_str(script, "by", ""), e);
    journal_actor w = acct_actor(&c);
    const json_t *ob;
    int64_t agreement, id;
    size_t i;
    if (!c.signed_in)
        return err_set(e, 400, "scenario.bad_script", NULL, "no organization '%s'",
                       jsx_str(script, "by", ""));
    if (nsvc_agreement_record(s, &w, json_object_get(script, "agreement"), &agreement, e))
        return -1;
    json_array_foreach(json_object_get(script, "obligations"), i, ob)
    {
        json_t *o = json_deep_copy(ob);
        static const char *const links[][2] = {{"trigger_ref", "trigger"},
                                               {"suspended_by_ref", "suspended_by"}};
        int rc = 0;
        for (size_t k = 0; k < 2 && rc == 0; k++) {
            const char *ref = jsx_str(o, links[k][0], NULL);
            if (!ref) continue;
            if (comply_store(s)->obligation_by_ref(s, agreement, ref, &id, e) != 1)
                rc = err_set(e, 400, "scenario.bad_script", NULL,
                             "obligation %s names %s, which comes later or not at all",
                             jsx_str(o, "ref", ""), ref);
            json_object_set_new(o, links[k][1], json_integer(id));
            json_object_del(o, links[k][0]);
        }
        if (rc == 0 && jsx_str(o, "target_name", NULL)) {
            target_by_name t = {jsx_str(o, "target_name", ""), 0};
            rc = aid_store(s)->target_scan(s, target_name_cb, &t, e);
            if (rc == 0 && !t.id)
                rc = err_set(e, 400, "scenario.bad_script", NULL, "no aid target '%s'", t.name);
            json_object_set_new(o, "target", json_integer(t.id));
            json_object_del(o, "target_name");
        }
        if (rc == 0) rc = jsx_check(o, obligation_fields, "agreements.obligations", e);
        if (rc == 0) rc = comply_define(s, &w, agreement, o, &id, e);
        json_decref(o);
        if (rc) return -1;
    }
    return 0;
}

static int write_plan(store *s, void *cls, tr_err *e)
{
    plan *p = cls;
    size_t i;
    const json_t *v;
    const journal_actor *who = &journal_operator;
    json_t *body;
    int rc;

    json_array_foreach(json_object_get(p->scenario, "orgs"), i, v)
    {
        if (acct_org_create(s, who, jsx_str(v, "slug", ""), jsx_str(v, "name", ""),
                            jsx_str(v, "kind", ""), e))
            return -1;
        if (json_object_get(v, "actors") &&
            acct_org_actors_set(s, who, jsx_str(v, "slug", ""), json_object_get(v, "actors"), e))
            return -1;
    }
    for (i = 0; i < p->n_users; i++)
        if (acct_user_create(s, who, &p->users[i], e)) return -1;
    json_array_foreach(json_object_get(p->scenario, "crossings"), i, v)
    {
        if (crossing_create(s, who, v, e)) return -1;
    }
    json_array_foreach(p->zones, i, v)
    {
        if (zone_create(s, who, jsx_str(v, "slug", ""), jsx_str(v, "name", ""),
                        jsx_str(v, "kind", ""), json_object_get(v, "geometry"), e))
            return -1;
    }
    json_array_foreach(json_object_get(p->scenario, "negotiations"), i, v)
    {
        if (play(s, v, e)) return -1;
    }
    json_array_foreach(json_object_get(p->scenario, "aid_targets"), i, v)
    {
        acct_caller c = as(s, jsx_str(v, "by", ""), e);
        journal_actor w = acct_actor(&c);
        int64_t id;
        if (!c.signed_in)
            return err_set(e, 400, "scenario.bad_script", NULL, "no organization '%s'",
                           jsx_str(v, "by", ""));
        if (aid_target_set(s, &w, json_object_get(v, "target"), &id, e)) return -1;
    }
    json_array_foreach(json_object_get(p->scenario, "agreements"), i, v)
    {
        if (play_agreement(s, v, e)) return -1;
    }
    if (!(p->flags & SCN_NO_SAMPLES)) {
        json_array_foreach(json_object_get(p->scenario, "monitoring"), i, v)
        {
            if (play_sample(s, v, e)) return -1;
        }
        json_array_foreach(json_object_get(p->scenario, "aid"), i, v)
        {
            if (play_aid(s, v, e)) return -1;
        }
    }
    body = json_pack("{s:s, s:s}", "name", jsx_str(p->scenario, "name", ""), "title",
                     jsx_str(p->scenario, "title", ""));
    rc = journal_record(s, who, "scenario.loaded", body, "public", NULL, e);
    json_decref(body);
    return rc;
}

int scn_load(store *s, const char *dir, unsigned flags, scn_summary *out, tr_err *e)
{
    plan p = {0};
    p.flags = flags;
    size_t i;
    const json_t *v;
    int rc = -1;

    p.scenario = load_file(dir, "scenario.json", e);
    if (!p.scenario) return -1;
    if (jsx_check(p.scenario, scenario_fields, "scenario.json", e)) goto out;
    if (collect_zones(&p, dir, e)) goto out;
    p.users = calloc(json_array_size(json_object_get(p.scenario, "users")) + 1, sizeof *p.users);
    if (!p.users) abort();
    json_array_foreach(json_object_get(p.scenario, "users"), i, v)
    {
        if (acct_user_prepare(&p.users[i], jsx_str(v, "name", ""), jsx_str(v, "display", ""),
                              jsx_str(v, "org", ""), jsx_bool(v, "admin", 0),
                              jsx_str(v, "password", ""), e))
            goto out;
        p.n_users++;
    }
    if (store_txn(s, write_plan, &p, e)) goto out;
    if (out) {
        out->orgs = (int)json_array_size(json_object_get(p.scenario, "orgs"));
        out->users = (int)p.n_users;
        out->crossings = (int)json_array_size(json_object_get(p.scenario, "crossings"));
        out->zones = (int)json_array_size(p.zones);
        out->negotiations = (int)json_array_size(json_object_get(p.scenario, "negotiations"));
        out->samples = flags & SCN_NO_SAMPLES
                           ? 0
                           : (int)json_array_size(json_object_get(p.scenario, "monitoring"));
        out->aid_samples =
            flags & SCN_NO_SAMPLES ? 0 : (int)json_array_size(json_object_get(p.scenario, "aid"));
        out->logins = json_array();
        json_array_foreach(json_object_get(p.scenario, "users"), i, v)
        {
            json_array_append_new(
                out->logins, json_pack("{s:s, s:s, s:s, s:b}", "user", jsx_str(v, "name", ""),
                                       "password", jsx_str(v, "password", ""), "org",
                                       jsx_str(v, "org", ""), "admin", jsx_bool(v, "admin", 0)));
        }
    }
    rc = 0;
out:
    json_decref(p.scenario);
    json_decref(p.zones);
    free(p.users);
    return rc;
}

static int write_init(store *s, void *cls, tr_err *e)
{
    json_t *body =
        json_pack("{s:s, s:i}", "name", (const char *)cls, "schema", store_schema_version());
    int rc =
        journal_record(s, &journal_operator, "deployment.initialized", body, "public", NULL, e);
    json_decref(body);
    return rc;
}

int scn_init_deployment(store *s, const char *name, tr_err *e)
{
    if (strlen(name) == 0 || strlen(name) > 256)
        return err_set(e, 400, "init.bad_name", "use 1 to 256 bytes",
                       "the deployment name must be 1 to 256 bytes long");
    return store_txn(s, write_init, (void *)name, e);
}

int scn_load_counts(store *s, const char *dir, const char *data, json_t **report, tr_err *e)
{
    json_t *scenario = load_file(dir, "scenario.json", e), *c;
    size_t i;
    int rc = -1;
    *report = json_array();
    if (!scenario) return -1;
    if (jsx_check(scenario, scenario_fields, "scenario.json", e)) goto out;
    /* The conflict events the obligations are judged by, as `truce import acled`. */
    if (jsx_str(scenario, "acled", NULL)) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", data, jsx_str(scenario, "acled", ""));
        FILE *in = fopen(path, "rb");
        json_t *line =
            json_pack("{s:s, s:s, s:s}", "file", path, "source", "acled", "basis", "incidents");
        json_array_append_new(*report, line);
        if (!in) {
            json_object_set_new(line, "missing", json_true());
        } else {
            acled_result res = {0};
            int failed =
                acled_import(s, &journal_operator, in, 0, "verified", 0, NULL, NULL, &res, e);
            fclose(in);
            json_decref(res.rejects);
            json_object_set_new(line, "imported", json_integer(res.imported));
            json_object_set_new(line, "rejected", json_integer(res.rejected));
            json_object_set_new(line, "days", json_integer(res.imported));
            if (failed) goto out;
        }
    }
    json_array_foreach(json_object_get(scenario, "aid_counts"), i, c)
    {
        char path[4096];
        aid_import_result res;
        snprintf(path, sizeof path, "%s/%s", data, jsx_str(c, "file", ""));
        FILE *in = fopen(path, "rb");
        json_t *line = json_pack("{s:s, s:s, s:s}", "file", path, "source",
                                 jsx_str(c, "source", ""), "basis", jsx_str(c, "basis", ""));
        json_array_append_new(*report, line);
        if (!in) {
            json_object_set_new(line, "missing", json_true());
            continue;
        }
        aid_import_spec spec = {.source = jsx_str(c, "source", ""),
                                .basis = jsx_str(c, "basis", ""),
                                .date_column = jsx_str(c, "date_column", ""),
                                .value_column = jsx_str(c, "value_column", NULL),
                                .count_rows = jsx_bool(c, "count_rows", 0),
                                .crossing_column = jsx_str(c, "crossing_column", NULL),
                                .category_column = jsx_str(c, "category_column", NULL),
                                .map_crossing = jsx_str(c, "map_crossing", NULL),
                                .map_category = jsx_str(c, "map_category", NULL)};
        int failed = aid_import_counts(s, &journal_operator, in, 0, &spec, NULL, NULL, &res, e);
        fclose(in);
        json_object_set_new(line, "imported", json_integer(res.imported));
        json_object_set_new(line, "rejected", json_integer(res.rejected));
        json_object_set_new(line, "days", json_integer(res.counts));
        json_decref(res.rejects);
        json_decref(res.names);
        if (failed) goto out;
    }
    rc = 0;
out:
    json_decref(scenario);
    return rc;
}
