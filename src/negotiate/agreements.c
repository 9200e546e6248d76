/* agreements.c - the agreement a negotiation ends in: drafted by a mediator on a text every
 * party accepted, read by its members, signed by each party with a key it registered, and
 * in force once all have signed. See service.h. */
#include "negotiate/service_int.h"

#include "accounts/store.h"
#include "core/util.h"
#include "negotiate/agreement.h"
#include "negotiate/store.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const jsx_field nsvc_agreement_fields[] = {
    {.name = "text", .type = JSX_INT, .min = 1, .max = 1000000},
    {.name = "effective", .type = JSX_STRING, .min = 10, .max = 10},
    {.name = "terms", .type = JSX_OBJECT, .flags = JSX_OPTIONAL},
    {0},
};

const jsx_field nsvc_signature_fields[] = {
    {.name = "org", .type = JSX_SLUG},
    {.name = "signature", .type = JSX_STRING, .min = 1, .max = 200},
    {0},
};

static int valid_date(const char *d)
{
    int y, m, day;
    char tail;
    if (strlen(d) != 10 || sscanf(d, "%4d-%2d-%2d%c", &y, &m, &day, &tail) != 3) return 0;
    return d[4] == '-' && d[7] == '-' && y >= 1900 && m >= 1 && m <= 12 && day >= 1 && day <= 31;
}

int nsvc_agreement_draft(store *s, const journal_actor *who, const acct_caller *by, int64_t id,
                         const json_t *in, int64_t *agreement, tr_err *e)
{
    json_t *spec = nsvc__load_role(s, by, id, "mediator", e), *text = NULL, *responses = NULL,
           *waiting = NULL, *terms = NULL, *doc = NULL, *body;
    store_text t = {0};
    int n = (int)json_integer_value(json_object_get(in, "text")), rc = -1, found;
    size_t i;
    const json_t *org, *v;
    const char *key;
    buf vis = BUF_INIT;
    if (!spec) return -1;
    if (!valid_date(jsx_str(in, "effective", ""))) {
        nsvc__invalid(e, "effective", "write the date as YYYY-MM-DD", "not a date");
        goto out;
    }
    found = negotiate_store(s)->text_get(s, id, n, &t, e);
    if (found <= 0) {
        if (found == 0) err_set(e, 404, "text.not_found", NULL, "no version %d", n);
        goto out;
    }
    text = json_loads(t.text, 0, NULL);
    responses = json_object();
    if (negotiate_store(s)->response_list(s, id, n, nsvc__collect_doc, responses, e)) goto out;
    waiting = json_array();
    json_array_foreach(json_object_get(spec, "parties"), i, org)
    {
        const json_t *r = json_object_get(responses, json_string_value(org));
        if (!r || strcmp(jsx_str(r, "overall", ""), "accept") != 0)
            json_array_append_new(waiting, json_string(json_string_value(org)));
    }
    if (json_array_size(waiting)) {
        err_set(e, 409, "agreement.not_accepted", "wait until every party accepts this version",
                "not every party has accepted version %d", n);
        err_detail(e, json_pack("{s:O}", "waiting", waiting));
        goto out;
    }
    /* Per-term text: as given, else the version's rationale. */
    terms = json_deep_copy(json_object_get(text, "rationale"));
    json_object_foreach((json_t *)json_object_get(in, "terms"), key, v)
    {
        char path[600];
        snprintf(path, sizeof path, "terms.%s", key);
        if (!nsvc__find_issue(json_object_get(spec, "issues"), key) || !json_is_string(v) ||
            json_string_length(v) > 4000) {
            nsvc__invalid(e, path, "give text (at most 4000 bytes) for the negotiation's issues",
                          "not a term of this negotiation");
            goto out;
        }
        json_object_set(terms, key, (json_t *)v);
    }
    if (negotiate_store(s)->agreement_next_id(s, agreement, e)) goto out;
    doc = json_pack("{s:I, s:I, s:O, s:i, s:O, s:O, s:O, s:O, s:s}", "id", (json_int_t)*agreement,
                    "negotiation", (json_int_t)id, "title", json_object_get(spec, "title"),
                    "version", n, "parties", json_object_get(spec, "parties"), "mediators",
                    json_object_get(spec, "mediators"), "package", json_object_get(text, "package"),
                    "terms", terms, "effective", jsx_str(in, "effective", ""));
    body = json_pack("{s:I, s:I, s:O}", "agreement", (json_int_t)*agreement, "negotiation",
                     (json_int_t)id, "doc", doc);
    nsvc__members_visibility(spec, &vis);
    rc = journal_record(s, who, "agreement.drafted", body, vis.p, NULL, e);
    json_decref(body);
out:
    buf_free(&vis);
    free(t.text);
    free(t.sent_to);
    json_decref(doc);
    json_decref(terms);
    json_decref(waiting);
    json_decref(responses);
    json_decref(text);
    json_decref(spec);
    return rc;
}

static const jsx_field slug_item[] = {{.name = "", .type = JSX_SLUG}, {0}};

const jsx_field nsvc_record_fields[] = {
    {.name = "title", .type = JSX_STRING, .min = 1, .max = 256},
    {.name = "parties", .type = JSX_ARRAY, .min = 2, .max = 16, .items = slug_item},
    {.name = "mediators", .type = JSX_ARRAY, .max = 16, .items = slug_item},
    {.name = "effective", .type = JSX_STRING, .min = 10, .max = 10},
    {.name = "terms", .type = JSX_OBJECT},
    {.name = "source", .type = JSX_STRING, .flags = JSX_OPTIONAL, .min = 1, .max = 1024},
    {0},
};

/* Each slug of list (at `field`) an organization of one of the kinds, named once. */
static int check_orgs(store *s, const json_t *list, const char *field, const char *kind, tr_err *e)
{
    for (size_t i = 0; i < json_array_size(list); i++) {
        const char *slug = json_string_value(json_array_get(list, i));
        char path[64];
        store_org o;
        snprintf(path, sizeof path, "%s[%zu]", field, i);
        int rc = accounts_store(s)->org_get(s, slug, &o, e);
        if (rc < 0) return -1;
        if (rc == 0)
            return err_field(e, "request.invalid_field", path, "see GET /api/v1/orgs",
                             "no organization '%s'", slug);
        if (kind && strcmp(o.kind, kind) != 0)
            return err_field(e, "request.invalid_field", path, "name organizations of that kind",
                             "'%s' is a %s organization, not a %s", slug, o.kind, kind);
        for (size_t j = 0; j < i; j++)
            if (strcmp(json_string_value(json_array_get(list, j)), slug) == 0)
                return err_field(e, "request.invalid_field", path, "name each once",
                                 "'%s' is named twice", slug);
    }
    return 0;
}

int nsvc_agreement_record(store *s, const journal_actor *who, const json_t *in, int64_t *agreement,
                          tr_err *e)
{
    const json_t *terms = json_object_get(in, "terms"), *v;
    const char *key;
    if (!util_is_date(jsx_str(in, "effective", "")))
        return err_field(e, "request.invalid_field", "effective",
                         "the day it took effect, as YYYY-MM-DD (its day 1)", "'%s' is not a date",
                         jsx_str(in, "effective", ""));
    if (check_orgs(s, json_object_get(in, "parties"), "parties", "party", e) ||
        check_orgs(s, json_object_get(in, "mediators"), "mediators", NULL, e))
        return -1;
    if (json_object_size(terms) < 1 || json_object_size(terms) > 500)
        return err_field(e, "request.invalid_field", "terms",
                         "its provisions, by their reference: {\"1.1\": \"...\"}",
                         "an agreement of %zu terms", json_object_size(terms));
    json_object_foreach((json_t *)terms, key, v)
    {
        char path[300];
        snprintf(path, sizeof path, "terms.%.200s", key);
        if (!key[0] || strlen(key) > 64 || !json_is_string(v) || !json_string_length(v) ||
            json_string_length(v) > 4000)
            return err_field(e, "request.invalid_field", path,
                             "a reference of 1-64 bytes and its text (1-4000 bytes)", "not a term");
    }
    if (negotiate_store(s)->agreement_next_id(s, agreement, e)) return -1;
    json_t *doc = json_deep_copy(in);
    json_object_set_new(doc, "id", json_integer(*agreement));
    json_object_set_new(doc, "recorded", json_true());
    json_t *body = json_pack("{s:I, s:o}", "agreement", (json_int_t)*agreement, "doc", doc);
    int rc = journal_record(s, who, "agreement.recorded", body, "public", NULL, e);
    json_decref(body);
    return rc;
}

static int collect_signature(void *cls, const void *row)
{
    const store_signature *g = row;
    json_array_append_new(cls, json_pack("{s:s, s:s, s:s, s:s}", "org", g->org, "public_key",
                                         g->public_key, "signature", g->signature, "signed_at",
                                         g->time));
    return 0;
}

/* Loads an agreement the caller may see (a member of its negotiation). */
static json_t *load_agreement(store *s, const acct_caller *by, int64_t aid, json_t **spec,
                              const char **role, tr_err *e)
{
    store_agreement a = {0};
    json_t *out = NULL, *sigs;
    int found = negotiate_store(s)->agreement_get(s, aid, &a, e);
    *spec = NULL;
    if (found < 0) return NULL;
    /* One recorded (signed elsewhere, published) is public; a negotiated one is its
     * members'. */
    if (found && !a.negotiation) *spec = json_object(), *role = NULL;
    if (found && a.negotiation) *spec = nsvc__load(s, by, a.negotiation, role, e);
    if (!found || !*spec) {
        free(a.doc);
        err_clear(e);
        err_set(e, 404, "agreement.not_found", NULL, "no agreement %lld", (long long)aid);
        return NULL;
    }
    sigs = json_array();
    if (negotiate_store(s)->signature_list(s, aid, collect_signature, sigs, e)) {
        json_decref(sigs);
        free(a.doc);
        return NULL;
    }
    out = json_pack("{s:I, s:s, s:o, s:o}", "id", (json_int_t)aid, "state", a.state, "agreement",
                    json_loads(a.doc, 0, NULL), "signatures", sigs);
    free(a.doc);
    return out;
}

json_t *nsvc_agreement_get(store *s, const acct_caller *by, int64_t aid, tr_err *e)
{
    json_t *spec, *out;
    const char *role;
    out = load_agreement(s, by, aid, &spec, &role, e);
    json_decref(spec);
    return out;
}

typedef struct key_try {
    const json_t *doc;
    const char *signature;
    char matched[64];
    int n;
} key_try;

static int try_key(void *cls, const void *row)
{
    key_try *k = cls;
    const store_org_key *key = row;
    tr_err e = TR_ERR_INIT;
    k->n++;
    if (agr_verify_one(k->doc, key->public_key, k->signature, &e) == 0) {
        snprintf(k->matched, sizeof k->matched, "%s", key->public_key);
        return 1;
    }
    err_clear(&e);
    return 0;
}

int nsvc_agreement_sign(store *s, const journal_actor *who, const acct_caller *by, int64_t aid,
                        const json_t *in, tr_err *e)
{
    json_t *spec = NULL, *doc, *body;
    const char *role, *org = jsx_str(in, "org", "");
    const json_t *g;
    size_t i;
    buf vis = BUF_INIT;
    int rc = -1, signed_count = 0;
    doc = load_agreement(s, by, aid, &spec, &role, e);
    if (!doc) goto out;
    if (strcmp(jsx_str(doc, "state", ""), "recorded") == 0) {
        err_set(e, 409, "agreement.recorded", "its parties signed it where it was made",
                "agreement %lld was recorded from elsewhere: truce takes no signatures of it",
                (long long)aid);
        goto out;
    }
    if (strcmp(org, by->org) != 0 || !jsx_has(json_object_get(spec, "parties"), org)) {
        err_set(e, 403, "auth.forbidden", "sign as a user of that party",
                "only %s's users may post %s's signature", org, org);
        goto out;
    }
    if (strcmp(jsx_str(doc, "state", ""), "in_force") == 0) {
        err_set(e, 409, "agreement.in_force", NULL, "the agreement is already in force");
        goto out;
    }
    json_array_foreach(json_object_get(doc, "signatures"), i, g)
    {
        if (strcmp(jsx_str(g, "org", ""), org) == 0) {
            err_set(e, 409, "signature.exists", NULL, "%s has already signed", org);
            goto out;
        }
    }
    key_try k = {doc, jsx_str(in, "signature", ""), "", 0};
    if (accounts_store(s)->org_key_list(s, org, try_key, &k, e)) goto out;
    if (k.n == 0) {
        err_set(e, 409, "key.missing", "register one with POST /api/v1/orgs/{slug}/keys",
                "%s has no registered signing key", org);
        goto out;
    }
    if (!k.matched[0]) {
        err_set(e, 400, "signature.invalid",
                "sign exactly GET /api/v1/agreements/{id} with 'truce sign'",
                "the signature does not verify against %s's registered keys and this agreement",
                org);
        goto out;
    }
    nsvc__members_visibility(spec, &vis);
    body = json_pack("{s:I, s:s, s:s, s:s}", "agreement", (json_int_t)aid, "org", org, "public_key",
                     k.matched, "signature", k.signature);
    rc = journal_record(s, who, "agreement.signed", body, vis.p, NULL, e);
    json_decref(body);
    if (rc) goto out;
    signed_count = (int)json_array_size(json_object_get(doc, "signatures")) + 1;
    if (signed_count == (int)json_array_size(json_object_get(spec, "parties"))) {
        body = json_pack("{s:I, s:O}", "agreement", (json_int_t)aid, "negotiation",
                         json_object_get(json_object_get(doc, "agreement"), "negotiation"));
        rc = journal_record(s, who, "agreement.in_force", body, vis.p, NULL, e);
        json_decref(body);
    }
out:
    buf_free(&vis);
    json_decref(doc);
    json_decref(spec);
    return rc;
}
