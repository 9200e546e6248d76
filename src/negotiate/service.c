/* service.c - negotiations and private profiles; see service.h. */
#include "negotiate/service.h"
#include "negotiate/service_int.h"
#include "negotiate/store.h"
#include "accounts/store.h"

#include "core/util.h"
#include "negotiate/agreement.h"
#include "negotiate/engine/engine.h"
#include "negotiate/genius.h"
#include "negotiate/interchange.h"

#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const jsx_field slug_item[] = {{.name = "", .type = JSX_SLUG}, {0}};
static const jsx_field option_item[] = {{.name = "", .type = JSX_STRING, .min = 1, .max = 256},
                                        {0}};
static const jsx_field issue_fields[] = {
    {.name = "name", .type = JSX_STRING, .min = 1, .max = 256},
    {.name = "options", .type = JSX_ARRAY, .min = 1, .max = 1000, .items = option_item},
    {0},
};
static const jsx_field issue_item[] = {{.name = "", .type = JSX_OBJECT, .fields = issue_fields},
                                       {0}};

const jsx_field nsvc_negotiation_fields[] = {
    {.name = "title", .type = JSX_STRING, .min = 1, .max = 256},
    {.name = "parties", .type = JSX_ARRAY, .min = 2, .max = 16, .items = slug_item},
    {.name = "mediators", .type = JSX_ARRAY, .min = 1, .max = 16, .items = slug_item},
    {.name = "issues",
     .type = JSX_ARRAY,
     .flags = JSX_OPTIONAL,
     .min = 1,
     .max = 64,
     .items = issue_item},
    {.name = "genius_domain", .type = JSX_STRING, .flags = JSX_OPTIONAL, .min = 1, .max = 1048576},
    {.name = "geniusweb_domain", .type = JSX_OBJECT, .flags = JSX_OPTIONAL},
    {0},
};

/* The issues of a negotiation: inline, or read from a Genius or GeniusWeb domain. Returns
 * a new reference to an "issues" array, or NULL with e set. */
static json_t *issues_of(const json_t *in, tr_err *e)
{
    int given = !!json_object_get(in, "issues") + !!json_object_get(in, "genius_domain") +
                !!json_object_get(in, "geniusweb_domain");
    neg_domain *d;
    json_t *out;
    if (given != 1) {
        err_field(e, "request.missing_field", "issues",
                  "give issues, genius_domain or geniusweb_domain",
                  "the negotiation needs exactly one of issues, genius_domain, geniusweb_domain");
        return NULL;
    }
    if (json_object_get(in, "issues")) return json_incref(json_object_get(in, "issues"));
    if (json_object_get(in, "genius_domain")) {
        const json_t *x = json_object_get(in, "genius_domain");
        d = neg_genius_domain_parse(json_string_value(x), json_string_length(x), e);
    } else {
        d = neg_geniusweb_domain_parse(json_object_get(in, "geniusweb_domain"), e);
    }
    if (!d) {
        if (!json_object_get(e->detail, "field")) {
            const char *f =
                json_object_get(in, "genius_domain") ? "genius_domain" : "geniusweb_domain";
            err_detail(e, json_pack("{s:s}", "field", f));
            e->status = 400;
        }
        return NULL;
    }
    out = json_array();
    for (int i = 0; i < neg_issues(d); i++) {
        json_t *opts = json_array();
        for (int o = 0; o < neg_options(d, i); o++)
            json_array_append_new(opts, json_string(neg_option_name(d, i, o)));
        json_array_append_new(
            out, json_pack("{s:s, s:o}", "name", neg_issue_name(d, i), "options", opts));
    }
    neg_domain_free(d);
    if (json_array_size(out) == 0) {
        json_decref(out);
        err_field(e, "request.invalid_field", "issues", NULL, "the domain has no issues");
        return NULL;
    }
    return out;
}

static const char *const disclosures[] = {"none", "gains", NULL};

const jsx_field nsvc_profile_fields[] = {
    {.name = "weights", .type = JSX_OBJECT},
    {.name = "values", .type = JSX_OBJECT},
    {.name = "reservation", .type = JSX_NUMBER, .flags = JSX_OPTIONAL, .min = 0, .max = 1},
    {.name = "red_lines", .type = JSX_OBJECT, .flags = JSX_OPTIONAL},
    {.name = "disclosure", .type = JSX_STRING, .flags = JSX_OPTIONAL, .oneof = disclosures},
    {0},
};

int nsvc__invalid(tr_err *e, const char *field, const char *hint, const char *msg)
{
    return err_field(e, "request.invalid_field", field, hint, "%s", msg);
}

/* Checks that every slug of list names an organization of `kind`, once. */
static int check_orgs(store *s, const json_t *list, const char *kind, const char *field, tr_err *e)
{
    size_t i, j;
    const json_t *v;
    json_array_foreach(list, i, v)
    {
        store_org o;
        char path[64];
        int rc = accounts_store(s)->org_get(s, json_string_value(v), &o, e);
        snprintf(path, sizeof path, "%s[%zu]", field, i);
        if (rc < 0) return -1;
        if (rc == 0 || strcmp(o.kind, kind) != 0)
            return err_field(e, "request.invalid_field", path, "see GET /api/v1/orgs",
                             "'%s' is not an organization of kind %s", json_string_value(v), kind);
        for (j = 0; j < i; j++)
            if (json_equal(json_array_get(list, j), v))
                return nsvc__invalid(e, path, "name each organization once",
                                     "a duplicate organization");
    }
    return 0;
}

/* "org:a org:b ..." for every member: who may read the negotiation's events. */
void nsvc__members_visibility(const json_t *spec, buf *out)
{
    const char *lists[2] = {"parties", "mediators"};
    size_t i;
    const json_t *v;
    for (int l = 0; l < 2; l++)
        json_array_foreach(json_object_get(spec, lists[l]), i, v)
            buf_printf(out, "%sorg:%s", out->len ? " " : "", json_string_value(v));
}

static int open_checked(store *s, const journal_actor *who, const acct_caller *by, const json_t *in,
                        const json_t *issues, int64_t *id, tr_err *e);

int nsvc_open(store *s, const journal_actor *who, const acct_caller *by, const json_t *in,
              int64_t *id, tr_err *e)
{
    json_t *issues_ref = issues_of(in, e), *spec;
    int rc;
    if (!issues_ref) return -1;
    spec = json_pack("{s:O, s:O, s:O, s:O}", "title", json_object_get(in, "title"), "parties",
                     json_object_get(in, "parties"), "mediators", json_object_get(in, "mediators"),
                     "issues", issues_ref);
    json_decref(issues_ref);
    rc = open_checked(s, who, by, spec, json_object_get(spec, "issues"), id, e);
    json_decref(spec);
    return rc;
}

static int open_checked(store *s, const journal_actor *who, const acct_caller *by, const json_t *in,
                        const json_t *issues, int64_t *id, tr_err *e)
{
    const json_t *is;
    size_t i;
    json_t *body;
    buf vis = BUF_INIT;
    int rc;
    if (check_orgs(s, json_object_get(in, "parties"), "party", "parties", e) ||
        check_orgs(s, json_object_get(in, "mediators"), "mediator", "mediators", e))
        return -1;
    if (!jsx_has(json_object_get(in, "mediators"), by->org))
        return nsvc__invalid(e, "mediators", "list your own organization among the mediators",
                             "the organization opening a negotiation must be one of its mediators");
    json_array_foreach(issues, i, is)
    {
        char path[64];
        size_t j, k;
        const json_t *opt, *opts = json_object_get(is, "options");
        for (j = 0; j < i; j++)
            if (json_equal(json_object_get(json_array_get(issues, j), "name"),
                           json_object_get(is, "name"))) {
                snprintf(path, sizeof path, "issues[%zu].name", i);
                return nsvc__invalid(e, path, "give each issue its own name",
                                     "a duplicate issue name");
            }
        json_array_foreach(opts, k, opt)
        {
            for (j = 0; j < k; j++)
                if (json_equal(json_array_get(opts, j), opt)) {
                    snprintf(path, sizeof path, "issues[%zu].options[%zu]", i, k);
                    return nsvc__invalid(e, path, "give each option its own name",
                                         "a duplicate option");
                }
        }
    }
    if (negotiate_store(s)->negotiation_next_id(s, id, e)) return -1;
    body = json_deep_copy(in);
    json_object_set_new(body, "id", json_integer(*id));
    nsvc__members_visibility(in, &vis);
    rc = journal_record(s, who, "negotiation.opened", body, vis.p, NULL, e);
    json_decref(body);
    buf_free(&vis);
    return rc;
}

/* Loads a negotiation the caller belongs to; role is "party" or "mediator". */
json_t *nsvc__load(store *s, const acct_caller *by, int64_t id, const char **role, tr_err *e)
{
    store_negotiation n = {0};
    json_t *spec;
    int rc = negotiate_store(s)->negotiation_get(s, id, &n, e);
    if (rc < 0) return NULL;
    spec = rc ? json_loads(n.spec, 0, NULL) : NULL;
    free(n.spec);
    if (spec) json_object_set_new(spec, "state", json_string(n.state));
    *role = !spec                                                  ? NULL
            : jsx_has(json_object_get(spec, "parties"), by->org)   ? "party"
            : jsx_has(json_object_get(spec, "mediators"), by->org) ? "mediator"
                                                                   : NULL;
    if (!*role) {
        json_decref(spec);
        /* The same answer whether it does not exist or is not the caller's. */
        err_set(e, 404, "negotiation.not_found",
                "check the id; only its parties and mediators "
                "can see a negotiation",
                "no negotiation %lld", (long long)id);
        return NULL;
    }
    return spec;
}

/* The versions of the text the caller may open: every one for a mediator, those sent to it
 * for a party (how many others there are is the mediators' business). */
static json_t *versions(store *s, const acct_caller *by, int64_t id, const char *role, tr_err *e)
{
    int next;
    json_t *out = json_array();
    if (negotiate_store(s)->text_next(s, id, &next, e)) goto fail;
    for (int n = 1; n < next; n++) {
        store_text t = {0};
        int found = negotiate_store(s)->text_get(s, id, n, &t, e);
        json_t *sent = found == 1 ? json_loads(t.sent_to, 0, NULL) : NULL;
        if (found == 1 && (strcmp(role, "mediator") == 0 || jsx_has(sent, by->org)))
            json_array_append_new(out, json_integer(n));
        json_decref(sent);
        free(t.text);
        free(t.sent_to);
        if (found < 0) goto fail;
    }
    return out;
fail:
    json_decref(out);
    return NULL;
}

json_t *nsvc_get(store *s, const acct_caller *by, int64_t id, tr_err *e)
{
    const char *role;
    json_t *spec = nsvc__load(s, by, id, &role, e), *v;
    if (!spec) return NULL;
    if (!(v = versions(s, by, id, role, e))) {
        json_decref(spec);
        return NULL;
    }
    json_object_set_new(spec, "role", json_string(role));
    json_object_set_new(spec, "versions", v);
    return spec;
}

json_t *nsvc_list(store *s, const acct_caller *by, tr_err *e)
{
    int64_t next;
    json_t *out = json_array();
    if (negotiate_store(s)->negotiation_next_id(s, &next, e)) {
        json_decref(out);
        return NULL;
    }
    for (int64_t id = 1; id < next; id++) { /* a few dozen at most: each checked as one */
        tr_err one = TR_ERR_INIT;
        json_t *spec = nsvc_get(s, by, id, &one);
        if (!spec && one.status != 404) {
            *e = one;
            json_decref(out);
            return NULL;
        }
        err_clear(&one);
        if (!spec) continue;
        json_object_set_new(spec, "id", json_integer(id));
        json_array_append_new(out, spec);
    }
    return out;
}

const json_t *nsvc__find_issue(const json_t *issues, const char *name)
{
    size_t i;
    const json_t *is;
    json_array_foreach(issues, i, is) if (strcmp(jsx_str(is, "name", ""), name) == 0) return is;
    return NULL;
}

static int check_profile(const json_t *spec, const json_t *in, tr_err *e)
{
    const json_t *issues = json_object_get(spec, "issues"), *w = json_object_get(in, "weights"),
                 *vals = json_object_get(in, "values"), *red = json_object_get(in, "red_lines");
    const char *key;
    const json_t *v;
    double sum = 0;
    char path[600];

    json_object_foreach((json_t *)w, key, v)
    {
        snprintf(path, sizeof path, "weights.%s", key);
        if (!nsvc__find_issue(issues, key))
            return nsvc__invalid(e, path, "use the negotiation's issue names", "no such issue");
        if (!json_is_number(v) || json_number_value(v) < 0 || !isfinite(json_number_value(v)))
            return nsvc__invalid(e, path, NULL, "a weight must be a non-negative number");
        sum += json_number_value(v);
    }
    if (!(sum > 0))
        return nsvc__invalid(e, "weights", "give some issue a positive weight",
                             "the weights are all zero");
    json_object_foreach((json_t *)vals, key, v)
    {
        const json_t *is = nsvc__find_issue(issues, key), *ov;
        const char *opt;
        snprintf(path, sizeof path, "values.%s", key);
        if (!is)
            return nsvc__invalid(e, path, "use the negotiation's issue names", "no such issue");
        if (!json_is_object(v)) return nsvc__invalid(e, path, NULL, "must map options to values");
        json_object_foreach((json_t *)v, opt, ov)
        {
            snprintf(path, sizeof path, "values.%s.%s", key, opt);
            if (!jsx_has(json_object_get(is, "options"), opt))
                return nsvc__invalid(e, path, "use the issue's option names", "no such option");
            if (!json_is_number(ov) || json_number_value(ov) < 0 || json_number_value(ov) > 1)
                return nsvc__invalid(e, path, NULL, "a value must be a number from 0 to 1");
        }
    }
    json_object_foreach((json_t *)red, key, v)
    {
        const json_t *is = nsvc__find_issue(issues, key), *ov;
        size_t i;
        snprintf(path, sizeof path, "red_lines.%s", key);
        if (!is)
            return nsvc__invalid(e, path, "use the negotiation's issue names", "no such issue");
        if (!json_is_array(v)) return nsvc__invalid(e, path, NULL, "must list options");
        json_array_foreach(v, i, ov)
        {
            if (!json_is_string(ov) ||
                !jsx_has(json_object_get(is, "options"), json_string_value(ov)))
                return nsvc__invalid(e, path, "use the issue's option names", "no such option");
        }
    }
    return 0;
}

int nsvc_profile_put(store *s, const journal_actor *who, const acct_caller *by, int64_t id,
                     const json_t *in, tr_err *e)
{
    const char *role;
    json_t *spec = nsvc__load(s, by, id, &role, e), *body, *profile;
    char vis[80];
    int rc;
    if (!spec) return -1;
    if (strcmp(role, "party") != 0) {
        json_decref(spec);
        return err_set(e, 403, "auth.forbidden", NULL, "only the parties put profiles");
    }
    if (check_profile(spec, in, e)) {
        json_decref(spec);
        return -1;
    }
    json_decref(spec);
    profile = json_deep_copy(in);
    if (!json_object_get(profile, "disclosure"))
        json_object_set_new(profile, "disclosure", json_string("gains"));
    if (!json_object_get(profile, "reservation"))
        json_object_set_new(profile, "reservation", json_real(0));
    if (!json_object_get(profile, "red_lines"))
        json_object_set_new(profile, "red_lines", json_object());
    body = json_pack("{s:I, s:s, s:o}", "negotiation", (json_int_t)id, "org", by->org, "profile",
                     profile);
    snprintf(vis, sizeof vis, "org:%s", by->org);
    rc = journal_record(s, who, "negotiation.profile_set", body, vis, NULL, e);
    json_decref(body);
    return rc;
}

json_t *nsvc_profile_get(store *s, const acct_caller *by, int64_t id, tr_err *e)
{
    const char *role;
    store_profile p = {0};
    json_t *spec = nsvc__load(s, by, id, &role, e), *out;
    int rc;
    if (!spec) return NULL;
    json_decref(spec);
    if (strcmp(role, "party") != 0) {
        err_set(e, 403, "auth.forbidden", NULL, "only parties have profiles");
        return NULL;
    }
    rc = negotiate_store(s)->profile_get(s, id, by->org, &p, e);
    if (rc <= 0) {
        if (rc == 0)
            err_set(e, 404, "profile.not_found",
                    "put it with PUT /api/v1/negotiations/{id}/profile",
                    "you have not put a profile in negotiation %lld yet", (long long)id);
        return NULL;
    }
    out = json_loads(p.profile, 0, NULL);
    free(p.profile);
    json_object_set_new(out, "version", json_integer(p.version));
    json_object_set_new(out, "updated_at", json_string(p.updated_at));
    return out;
}

/* ---- the single negotiating text ------------------------------------------------------ */

static const jsx_field party_item[] = {{.name = "", .type = JSX_SLUG}, {0}};

const jsx_field nsvc_text_fields[] = {
    {.name = "package", .type = JSX_OBJECT},
    {.name = "rationale", .type = JSX_OBJECT, .flags = JSX_OPTIONAL},
    {.name = "override_reason", .type = JSX_STRING, .flags = JSX_OPTIONAL, .min = 1, .max = 2000},
    {0},
};

const jsx_field nsvc_send_fields[] = {
    {.name = "to",
     .type = JSX_ARRAY,
     .flags = JSX_OPTIONAL,
     .min = 1,
     .max = 16,
     .items = party_item},
    {0},
};

static const char *const overalls[] = {"accept", "reject", NULL};

const jsx_field nsvc_response_fields[] = {
    {.name = "overall", .type = JSX_STRING, .oneof = overalls},
    {.name = "terms", .type = JSX_OBJECT, .flags = JSX_OPTIONAL},
    {0},
};

static const char *const stances[] = {"accept", "reject", "counter", NULL};
static const char *const comment_visibility[] = {"mediators", "relay", NULL};
static const jsx_field term_fields[] = {
    {.name = "stance", .type = JSX_STRING, .oneof = stances},
    {.name = "counter", .type = JSX_STRING, .flags = JSX_OPTIONAL, .min = 1, .max = 256},
    {.name = "comment", .type = JSX_STRING, .flags = JSX_OPTIONAL, .max = 2000},
    {.name = "visibility", .type = JSX_STRING, .flags = JSX_OPTIONAL, .oneof = comment_visibility},
    {0},
};

/* Checks a package names one valid option for every issue. */
static int check_package(const json_t *spec, const json_t *pkg, tr_err *e)
{
    const json_t *issues = json_object_get(spec, "issues"), *is, *v;
    const char *key;
    size_t i;
    char path[600];
    json_object_foreach((json_t *)pkg, key, v)
    {
        const json_t *found = nsvc__find_issue(issues, key);
        snprintf(path, sizeof path, "package.%s", key);
        if (!found)
            return nsvc__invalid(e, path, "use the negotiation's issue names", "no such issue");
        if (!json_is_string(v) || !jsx_has(json_object_get(found, "options"), json_string_value(v)))
            return nsvc__invalid(e, path, "use one of the issue's options", "no such option");
    }
    json_array_foreach(issues, i, is)
    {
        if (!json_object_get(pkg, jsx_str(is, "name", ""))) {
            snprintf(path, sizeof path, "package.%s", jsx_str(is, "name", ""));
            return err_field(e, "request.missing_field", path, "give an option for every issue",
                             "the package says nothing about '%s'", jsx_str(is, "name", ""));
        }
    }
    return 0;
}

/* Collects the profiles of a negotiation: org -> profile object. */
static int collect_profile(void *cls, const void *row)
{
    const store_doc *d = row;
    json_t *p = json_loads(d->json, 0, NULL);
    if (p) json_object_set_new(cls, d->org, p);
    return 0;
}

/* The engine's domain for the parties in `orgs` (each with a profile in `profiles`). */
static neg_domain *domain_for(const json_t *spec, const json_t *profiles, const json_t *orgs,
                              tr_err *e)
{
    neg_domain *d = neg_domain_new();
    const json_t *issues = json_object_get(spec, "issues"), *is, *org;
    size_t i, k, o;
    json_array_foreach(issues, i, is)
    {
        const json_t *opt;
        int ii = neg_issue_add(d, jsx_str(is, "name", ""));
        json_array_foreach(json_object_get(is, "options"), o, opt)
            neg_option_add(d, ii, json_string_value(opt));
    }
    json_array_foreach(orgs, k, org)
    {
        const json_t *p = json_object_get(profiles, json_string_value(org));
        int pi = neg_party_add(d, json_string_value(org));
        const char *issue;
        const json_t *v;
        json_object_foreach((json_t *)json_object_get(p, "weights"), issue, v)
            neg_weight_set(d, pi, neg_issue_find(d, issue), json_number_value(v));
        json_object_foreach((json_t *)json_object_get(p, "values"), issue, v)
        {
            const char *opt;
            const json_t *x;
            int ii = neg_issue_find(d, issue);
            json_object_foreach((json_t *)v, opt, x)
                neg_value_set(d, pi, ii, neg_option_find(d, ii, opt), json_number_value(x));
        }
        json_object_foreach((json_t *)json_object_get(p, "red_lines"), issue, v)
        {
            const json_t *x;
            size_t r;
            int ii = neg_issue_find(d, issue);
            json_array_foreach(v, r, x)
                neg_red_line_set(d, pi, ii, neg_option_find(d, ii, json_string_value(x)));
        }
        neg_reservation_set(d, pi, jsx_num(p, "reservation", 0));
    }
    if (neg_domain_check(d, e)) {
        neg_domain_free(d);
        return NULL;
    }
    return d;
}

static int *package_of(const neg_domain *d, const json_t *pkg)
{
    int *out = calloc((size_t)neg_issues(d) + 1, sizeof *out);
    if (!out) abort();
    for (int i = 0; i < neg_issues(d); i++)
        out[i] = neg_option_find(d, i, jsx_str(pkg, neg_issue_name(d, i), ""));
    return out;
}

static json_t *package_json(const neg_domain *d, const int *pkg)
{
    json_t *o = json_object();
    for (int i = 0; i < neg_issues(d); i++)
        json_object_set_new(o, neg_issue_name(d, i), json_string(neg_option_name(d, i, pkg[i])));
    return o;
}

/* What one analysis may cost a server thread: NSVC_ANALYSIS_MS, and memory for at most
 * a million candidate packages in a fold step (about 40 MB). */
#define NSVC_MAX_POINTS     100000
#define NSVC_MAX_CANDIDATES 1000000

static void service_limits(neg_limits *l)
{
    memset(l, 0, sizeof *l);
    l->max_points = NSVC_MAX_POINTS;
    l->max_candidates = NSVC_MAX_CANDIDATES;
    l->deadline_ns = util_mono_ns() + (uint64_t)NSVC_ANALYSIS_MS * 1000000u;
}

/* An analysis the limits stopped: not a failure of the request. */
static int beyond_limits(const tr_err *e)
{
    return strcmp(e->code, "negotiation.too_complex") == 0 ||
           strcmp(e->code, "negotiation.frontier_too_large") == 0;
}

/* {"available": false, "note": why} into out, for an analysis past the limits. */
static void unavailable(json_t *out, tr_err *e)
{
    char note[480];
    snprintf(note, sizeof note, "too large to analyse within the server's limits: %s", e->message);
    json_object_set_new(out, "available", json_false());
    json_object_set_new(out, "note", json_string(note));
    err_clear(e);
}

/* The profiles of a negotiation, org -> profile, and their SHA-256 (in order of org). */
static json_t *profiles_of(store *s, int64_t id, unsigned char sha[32], tr_err *e)
{
    json_t *profiles = json_object();
    if (negotiate_store(s)->profile_list(s, id, collect_profile, profiles, e)) {
        json_decref(profiles);
        return NULL;
    }
    if (sha) {
        char *text = json_dumps(profiles, JSON_COMPACT | JSON_SORT_KEYS);
        crypto_hash_sha256(sha, (const unsigned char *)text, strlen(text));
        free(text);
    }
    return profiles;
}

static json_t *gains_json(const neg_domain *d, const neg_analysis *a, const double *u);

/* The engine's analysis of a package for the mediators, over the parties that disclose
 * their gains; nothing derived from a non-disclosing party's profile enters it. Within the
 * server's limits: past them, "available": false and why. sha, when not NULL, receives the
 * SHA-256 of the profiles analysed. */
static json_t *analysis(store *s, int64_t id, const json_t *spec, const json_t *pkg,
                        unsigned char *sha, tr_err *e)
{
    json_t *profiles, *disclosed = json_array(), *out, *org;
    size_t k;
    neg_limits lim;
    if (!(profiles = profiles_of(s, id, sha, e))) {
        json_decref(disclosed);
        return NULL;
    }
    json_array_foreach(json_object_get(spec, "parties"), k, org)
    {
        const json_t *p = json_object_get(profiles, json_string_value(org));
        if (p && strcmp(jsx_str(p, "disclosure", "gains"), "gains") == 0)
            json_array_append(disclosed, org);
    }
    out = json_pack("{s:O}", "disclosed", disclosed);
    if (json_array_size(disclosed) < 2) {
        json_object_set_new(out, "available", json_false());
        json_object_set_new(out, "note",
                            json_string("fewer than two parties disclose their "
                                        "gains: no analysis"));
        goto done;
    }
    neg_domain *d = domain_for(spec, profiles, disclosed, e);
    neg_analysis *a = NULL;
    neg_proposal *p = NULL;
    int *pk = d ? package_of(d, pkg) : NULL;
    service_limits(&lim);
    if (!d || neg_analyze(d, &lim, &a, e) ||
        neg_proposal_analyze_within(d, a, pk, 3, 0.5, &lim, &p, e)) {
        if (d && beyond_limits(e)) {
            unavailable(out, e);
        } else {
            json_decref(out);
            out = NULL;
        }
    } else {
        json_t *gains = json_object(), *dom = json_array(), *unacceptable = json_array();
        for (int q = 0; q < neg_parties(d); q++) {
            json_object_set_new(gains, neg_party_name(d, q), json_real(p->gains[q]));
            if (!p->acceptable[q])
                json_array_append_new(unacceptable, json_string(neg_party_name(d, q)));
        }
        for (size_t j = 0; j < p->n_dominating; j++)
            json_array_append_new(dom, json_pack("{s:o, s:i, s:o}", "package",
                                                 package_json(d, p->dominating[j].package),
                                                 "changes", p->changes[j], "gains",
                                                 gains_json(d, a, p->dominating[j].u)));
        json_object_set_new(out, "available", json_true());
        json_object_set_new(out, "gains", gains);
        json_object_set_new(out, "efficient", json_boolean(p->efficient));
        json_object_set_new(out, "dominated_by", dom);
        json_object_set_new(out, "one_sidedness", json_real(p->one_sidedness));
        json_object_set_new(out, "one_sided", json_boolean(p->one_sided));
        json_object_set_new(out, "unacceptable_to", unacceptable);
        json_object_set_new(out, "reason", json_string(p->reason));
    }
    neg_proposal_free(p);
    neg_analysis_free(a);
    free(pk);
    neg_domain_free(d);
done:
    json_decref(profiles);
    json_decref(disclosed);
    return out;
}

/* "org:m1 org:m2 ..." for the mediators, then the extra orgs. */
static void mediators_visibility(const json_t *spec, const json_t *extra, buf *out)
{
    size_t i;
    const json_t *v;
    json_array_foreach(json_object_get(spec, "mediators"), i, v)
        buf_printf(out, "%sorg:%s", out->len ? " " : "", json_string_value(v));
    json_array_foreach(extra, i, v) buf_printf(out, " org:%s", json_string_value(v));
}

json_t *nsvc__load_role(store *s, const acct_caller *by, int64_t id, const char *want, tr_err *e)
{
    const char *role;
    json_t *spec = nsvc__load(s, by, id, &role, e);
    if (!spec) return NULL;
    if (strcmp(role, want) != 0) {
        json_decref(spec);
        err_set(e, 403, "auth.forbidden", NULL, "only the %ss of the negotiation may do this",
                want);
        return NULL;
    }
    if (strcmp(jsx_str(spec, "state", ""), "open") != 0) {
        err_set(e, 409, "negotiation.closed", NULL, "the negotiation is %s",
                jsx_str(spec, "state", ""));
        json_decref(spec);
        return NULL;
    }
    return spec;
}

int nsvc_text_prepare(store *s, const acct_caller *by, int64_t id, const json_t *in,
                      nsvc_text_prep *out, tr_err *e)
{
    json_t *spec = nsvc__load_role(s, by, id, "mediator", e), *an = NULL;
    const json_t *rat = json_object_get(in, "rationale"), *v;
    const char *key;
    int rc = -1;
    memset(out, 0, sizeof *out);
    if (!spec) return -1;
    if (check_package(spec, json_object_get(in, "package"), e)) goto out;
    json_object_foreach((json_t *)rat, key, v)
    {
        char path[600];
        snprintf(path, sizeof path, "rationale.%s", key);
        if (!nsvc__find_issue(json_object_get(spec, "issues"), key)) {
            nsvc__invalid(e, path, "use the negotiation's issue names", "no such issue");
            goto out;
        }
        if (!json_is_string(v) || json_string_length(v) > 2000) {
            nsvc__invalid(e, path, NULL, "a rationale is text of at most 2000 bytes");
            goto out;
        }
    }
    an = analysis(s, id, spec, json_object_get(in, "package"), out->profiles, e);
    if (!an) goto out;
    if (json_is_true(json_object_get(an, "one_sided")) && !json_object_get(in, "override_reason")) {
        err_set(e, 409, "text.one_sided", "revise it, or post it with an override_reason",
                "the engine flags this text as one-sided: %s", jsx_str(an, "reason", ""));
        err_detail(e, an);
        an = NULL;
        goto out;
    }
    out->analysis = an;
    an = NULL;
    rc = 0;
out:
    json_decref(an);
    json_decref(spec);
    return rc;
}

int nsvc_text_commit(store *s, const journal_actor *who, const acct_caller *by, int64_t id,
                     const json_t *in, const nsvc_text_prep *prep, int *n, tr_err *e)
{
    json_t *spec = nsvc__load_role(s, by, id, "mediator", e), *body, *profiles;
    const json_t *rat = json_object_get(in, "rationale");
    unsigned char now[32];
    buf vis = BUF_INIT;
    int rc = -1;
    if (!spec) return -1;
    if (!(profiles = profiles_of(s, id, now, e))) goto out;
    json_decref(profiles);
    if (memcmp(now, prep->profiles, sizeof now) != 0) {
        err_set(e, 409, "text.stale", "send the text again: it will be analysed anew",
                "a party's profile changed while the text was being analysed");
        goto out;
    }
    if (negotiate_store(s)->text_next(s, id, n, e)) goto out;
    body = json_pack("{s:I, s:i, s:O, s:o, s:s?}", "negotiation", (json_int_t)id, "n", *n,
                     "package", json_object_get(in, "package"), "rationale",
                     rat ? json_deep_copy(rat) : json_object(), "override_reason",
                     jsx_str(in, "override_reason", NULL));
    mediators_visibility(spec, NULL, &vis);
    rc = journal_record(s, who, "negotiation.text_posted", body, vis.p, NULL, e);
    json_decref(body);
out:
    buf_free(&vis);
    json_decref(spec);
    return rc;
}

void nsvc_text_prep_free(nsvc_text_prep *prep)
{
    json_decref(prep->analysis);
    prep->analysis = NULL;
}

int nsvc_text_post(store *s, const journal_actor *who, const acct_caller *by, int64_t id,
                   const json_t *in, int *n, tr_err *e)
{
    nsvc_text_prep prep;
    int rc = nsvc_text_prepare(s, by, id, in, &prep, e);
    if (rc == 0) rc = nsvc_text_commit(s, who, by, id, in, &prep, n, e);
    nsvc_text_prep_free(&prep);
    return rc;
}

int nsvc_text_send(store *s, const journal_actor *who, const acct_caller *by, int64_t id, int n,
                   const json_t *in, tr_err *e)
{
    json_t *spec = nsvc__load_role(s, by, id, "mediator", e), *sent = NULL, *to, *body;
    store_text t = {0};
    buf vis = BUF_INIT;
    size_t i;
    const json_t *v;
    int rc = -1, found;
    if (!spec) return -1;
    found = negotiate_store(s)->text_get(s, id, n, &t, e);
    if (found <= 0) {
        if (found == 0) err_set(e, 404, "text.not_found", NULL, "no version %d", n);
        goto out;
    }
    to = (json_t *)json_object_get(in, "to");
    if (!to) to = json_object_get(spec, "parties");
    json_array_foreach(to, i, v)
    {
        if (!jsx_has(json_object_get(spec, "parties"), json_string_value(v))) {
            char path[32];
            snprintf(path, sizeof path, "to[%zu]", i);
            err_field(e, "request.invalid_field", path, "send to the negotiation's parties",
                      "'%s' is not a party to this negotiation", json_string_value(v));
            goto out;
        }
    }
    sent = json_loads(t.sent_to, 0, NULL);
    json_array_foreach(to, i, v)
    {
        if (!jsx_has(sent, json_string_value(v)))
            json_array_append_new(sent, json_string(json_string_value(v)));
    }
    body = json_pack("{s:I, s:i, s:O}", "negotiation", (json_int_t)id, "n", n, "sent_to", sent);
    mediators_visibility(spec, sent, &vis);
    rc = journal_record(s, who, "negotiation.text_sent", body, vis.p, NULL, e);
    json_decref(body);
out:
    json_decref(sent);
    free(t.text);
    free(t.sent_to);
    buf_free(&vis);
    json_decref(spec);
    return rc;
}

int nsvc__collect_doc(void *cls, const void *row)
{
    const store_doc *d = row;
    json_t *j = json_loads(d->json, 0, NULL);
    if (j) json_object_set_new(cls, d->org, j);
    return 0;
}

/* What a text is worth to one party, from its own profile only: its utility (weights
 * normalised as the engine does), its surplus over its reservation, and its red lines. */
static json_t *worth(store *s, int64_t id, const char *org, const json_t *pkg, tr_err *e)
{
    store_profile p = {0};
    json_t *prof;
    const char *issue;
    const json_t *w;
    double sum = 0, u = 0, r;
    int red = 0, rc = negotiate_store(s)->profile_get(s, id, org, &p, e);
    if (rc <= 0) return rc == 0 ? json_null() : NULL;
    prof = json_loads(p.profile, 0, NULL);
    free(p.profile);
    json_object_foreach(json_object_get(prof, "weights"), issue, w) sum += json_number_value(w);
    json_object_foreach(json_object_get(prof, "weights"), issue, w)
    {
        const char *opt = jsx_str(pkg, issue, "");
        double wi = fabs(sum - 1) > 1e-12 ? json_number_value(w) / sum : json_number_value(w);
        u += wi * jsx_num(json_object_get(json_object_get(prof, "values"), issue), opt, 0);
    }
    json_object_foreach(json_object_get(prof, "red_lines"), issue,
                        w) if (jsx_has(w, jsx_str(pkg, issue, ""))) red++;
    r = jsx_num(prof, "reservation", 0);
    json_decref(prof);
    return json_pack("{s:f, s:f, s:b, s:i}", "utility", u, "surplus", u - r, "acceptable",
                     !red && neg_u_cmp(u, r) >= 0, "red_lines_crossed", red);
}

json_t *nsvc_text_get(store *s, const acct_caller *by, int64_t id, int n, tr_err *e)
{
    return nsvc_text_view(s, by, id, n, NULL, e);
}

json_t *nsvc_text_view(store *s, const acct_caller *by, int64_t id, int n, json_t *given, tr_err *e)
{
    const char *role;
    json_t *spec = nsvc__load(s, by, id, &role, e), *text, *sent, *out = NULL;
    store_text t = {0};
    int found;
    if (!spec) return NULL;
    found = negotiate_store(s)->text_get(s, id, n, &t, e);
    text = found == 1 ? json_loads(t.text, 0, NULL) : NULL;
    sent = found == 1 ? json_loads(t.sent_to, 0, NULL) : NULL;
    if (found == 1 && strcmp(role, "party") == 0 && !jsx_has(sent, by->org)) found = 0;
    if (found <= 0) {
        if (found == 0)
            err_set(e, 404, "text.not_found", NULL, "no version %d of negotiation %lld for you", n,
                    (long long)id);
        goto done;
    }
    json_t *responses = json_object();
    if (negotiate_store(s)->response_list(s, id, n, nsvc__collect_doc, responses, e)) {
        json_decref(responses);
        goto done;
    }
    out = json_pack("{s:i, s:O, s:O}", "n", n, "package", json_object_get(text, "package"),
                    "rationale", json_object_get(text, "rationale"));
    if (strcmp(role, "mediator") == 0) {
        json_t *an = given ? json_incref(given)
                           : analysis(s, id, spec, json_object_get(text, "package"), NULL, e);
        if (!an) {
            json_decref(out);
            json_decref(responses);
            out = NULL;
            goto done;
        }
        json_object_set(out, "sent_to", sent);
        if (json_object_get(text, "override_reason"))
            json_object_set(out, "override_reason", json_object_get(text, "override_reason"));
        json_object_set_new(out, "analysis", an);
        json_object_set(out, "responses", responses);
    } else {
        json_t *w = worth(s, id, by->org, json_object_get(text, "package"), e);
        if (!w) {
            json_decref(out);
            json_decref(responses);
            out = NULL;
            goto done;
        }
        json_object_set_new(out, "for_you", w);
        json_object_set(out, "your_response",
                        json_object_get(responses, by->org) ? json_object_get(responses, by->org)
                                                            : json_null());
        /* Comments another party marked "relay" are passed on; "mediators" ones never. */
        json_t *relayed = json_array();
        const char *other, *issue;
        const json_t *resp, *term;
        json_object_foreach(responses, other, resp)
        {
            if (strcmp(other, by->org) == 0) continue;
            json_object_foreach(json_object_get(resp, "terms"), issue, term)
            {
                if (strcmp(jsx_str(term, "visibility", "mediators"), "relay") == 0 &&
                    jsx_str(term, "comment", NULL))
                    json_array_append_new(relayed, json_pack("{s:s, s:s, s:s}", "from", other,
                                                             "issue", issue, "comment",
                                                             jsx_str(term, "comment", "")));
            }
        }
        json_object_set_new(out, "relayed", relayed);
    }
    json_decref(responses);
done:
    free(t.text);
    free(t.sent_to);
    json_decref(text);
    json_decref(sent);
    json_decref(spec);
    return out;
}

int nsvc_respond(store *s, const journal_actor *who, const acct_caller *by, int64_t id, int n,
                 const json_t *in, int *replaced, tr_err *e)
{
    json_t *spec = nsvc__load_role(s, by, id, "party", e), *sent = NULL, *body, *mine = NULL;
    store_text t = {0};
    const json_t *terms = json_object_get(in, "terms"), *v;
    const char *key;
    char vis[600];
    int rc = -1, found;
    if (!spec) return -1;
    found = negotiate_store(s)->text_get(s, id, n, &t, e);
    if (found < 0) goto out;
    sent = found ? json_loads(t.sent_to, 0, NULL) : NULL;
    if (!found || !jsx_has(sent, by->org)) {
        err_set(e, 409, "text.not_sent", "answer a version the mediators sent you",
                "version %d was not sent to %s", n, by->org);
        goto out;
    }
    json_object_foreach((json_t *)terms, key, v)
    {
        char path[600];
        const json_t *is = nsvc__find_issue(json_object_get(spec, "issues"), key);
        snprintf(path, sizeof path, "terms.%s", key);
        if (!is) {
            nsvc__invalid(e, path, "use the negotiation's issue names", "no such issue");
            goto out;
        }
        if (jsx_check(v, term_fields, path, e)) goto out;
        int counter = strcmp(jsx_str(v, "stance", ""), "counter") == 0;
        const char *c = jsx_str(v, "counter", NULL);
        snprintf(path, sizeof path, "terms.%s.counter", key);
        if (counter != (c != NULL)) {
            nsvc__invalid(e, path, "give counter exactly when the stance is counter",
                          counter ? "a counter needs an option" : "only a counter names an option");
            goto out;
        }
        if (c && !jsx_has(json_object_get(is, "options"), c)) {
            nsvc__invalid(e, path, "use one of the issue's options", "no such option");
            goto out;
        }
    }
    json_t *all = json_object();
    if (negotiate_store(s)->response_list(s, id, n, nsvc__collect_doc, all, e)) {
        json_decref(all);
        goto out;
    }
    *replaced = json_object_get(all, by->org) != NULL;
    json_decref(all);
    mine = json_deep_copy(in);
    if (!json_object_get(mine, "terms")) json_object_set_new(mine, "terms", json_object());
    body = json_pack("{s:I, s:i, s:s, s:O}", "negotiation", (json_int_t)id, "n", n, "org", by->org,
                     "response", mine);
    {
        buf b = BUF_INIT;
        json_t *me = json_pack("[s]", by->org);
        mediators_visibility(spec, me, &b);
        snprintf(vis, sizeof vis, "%s", b.p);
        buf_free(&b);
        json_decref(me);
    }
    rc = journal_record(s, who, "negotiation.response", body, vis, NULL, e);
    json_decref(body);
out:
    json_decref(mine);
    json_decref(sent);
    free(t.text);
    free(t.sent_to);
    json_decref(spec);
    return rc;
}

/* ---- analysis and suggestions ------------------------------------------------------------ */

const jsx_field nsvc_suggest_fields[] = {
    {.name = "text", .type = JSX_INT, .flags = JSX_OPTIONAL, .min = 1, .max = 1000000},
    {0},
};

/* The domain of the disclosing parties, or NULL with *note set when there are fewer than
 * two. */
static neg_domain *disclosed_domain(store *s, int64_t id, const json_t *spec, json_t **disclosed,
                                    tr_err *e)
{
    json_t *profiles = json_object(), *org;
    neg_domain *d = NULL;
    size_t k;
    *disclosed = json_array();
    if (negotiate_store(s)->profile_list(s, id, collect_profile, profiles, e)) goto out;
    json_array_foreach(json_object_get(spec, "parties"), k, org)
    {
        const json_t *p = json_object_get(profiles, json_string_value(org));
        if (p && strcmp(jsx_str(p, "disclosure", "gains"), "gains") == 0)
            json_array_append(*disclosed, org);
    }
    if (json_array_size(*disclosed) >= 2) d = domain_for(spec, profiles, *disclosed, e);
out:
    json_decref(profiles);
    return d;
}

static json_t *gains_json(const neg_domain *d, const neg_analysis *a, const double *u)
{
    json_t *g = json_object();
    for (int p = 0; p < neg_parties(d); p++) {
        double r = neg_reservation(d, p), span = a->has_rational ? a->ideal[p] - r : 1 - r;
        json_object_set_new(g, neg_party_name(d, p), json_real(span > 0 ? (u[p] - r) / span : 1));
    }
    return g;
}

static json_t *point_json(const neg_domain *d, const neg_analysis *a, const neg_point *pt)
{
    if (!a->has_rational) return json_null();
    return json_pack("{s:o, s:o}", "package", package_json(d, pt->package), "gains",
                     gains_json(d, a, pt->u));
}

#define NSVC_FRONTIER_SHOWN 1000

json_t *nsvc_analysis(store *s, const acct_caller *by, int64_t id, tr_err *e)
{
    const char *role;
    json_t *spec = nsvc__load(s, by, id, &role, e), *disclosed = NULL, *out = NULL;
    neg_domain *d;
    neg_analysis *a = NULL;
    char count[600];
    if (!spec) return NULL;
    if (strcmp(role, "mediator") != 0) {
        err_set(e, 403, "auth.forbidden", NULL, "only the mediators see the analysis");
        goto out;
    }
    d = disclosed_domain(s, id, spec, &disclosed, e);
    if (!d) {
        if (e->status) goto out;
        out = json_pack("{s:O, s:b, s:s}", "disclosed", disclosed, "available", 0, "note",
                        "fewer than two parties disclose their gains: no analysis");
        goto out;
    }
    neg_limits lim;
    service_limits(&lim);
    if (neg_analyze(d, &lim, &a, e) != 0 && beyond_limits(e)) {
        out = json_pack("{s:O}", "disclosed", disclosed);
        unavailable(out, e);
    } else if (!e->status) {
        neg_outcome_count(d, count, sizeof count);
        out = json_pack("{s:O, s:b, s:s, s:I, s:b}", "disclosed", disclosed, "available", 1,
                        "outcomes", count, "frontier_size", (json_int_t)a->n_frontier,
                        "has_rational", a->has_rational);
        json_object_set_new(out, "nash", point_json(d, a, &a->nash));
        json_object_set_new(out, "kalai_smorodinsky", point_json(d, a, &a->kalai_smorodinsky));
        json_object_set_new(out, "egalitarian", point_json(d, a, &a->egalitarian));
        json_object_set_new(out, "max_welfare", point_json(d, a, &a->max_welfare));
        /* The frontier's points as gains, for a chart (at most NSVC_FRONTIER_SHOWN, evenly
         * spaced along it; both ends kept): what the disclosed parties let mediators see. */
        json_t *pts = json_array();
        size_t n = a->n_frontier, shown = n < NSVC_FRONTIER_SHOWN ? n : NSVC_FRONTIER_SHOWN;
        for (size_t k = 0; a->has_rational && k < shown; k++) {
            size_t i = shown > 1 ? k * (n - 1) / (shown - 1) : 0;
            json_array_append_new(pts, gains_json(d, a, a->frontier[i].u));
        }
        json_object_set_new(out, "frontier",
                            a->has_rational ? pts : (json_decref(pts), json_null()));
    }
    neg_analysis_free(a);
    neg_domain_free(d);
out:
    json_decref(disclosed);
    json_decref(spec);
    return out;
}

json_t *nsvc_suggest(store *s, const acct_caller *by, int64_t id, const json_t *in, tr_err *e)
{
    json_t *out = nsvc_analysis(s, by, id, e), *spec = NULL, *disclosed = NULL, *text = NULL;
    store_text t = {0};
    const char *role;
    int n = (int)json_integer_value(json_object_get(in, "text")), found;
    neg_domain *d = NULL;
    neg_analysis *a = NULL;
    neg_proposal *p = NULL;
    int *pk = NULL;
    if (!out || !json_is_true(json_object_get(out, "available"))) return out;
    spec = nsvc__load(s, by, id, &role, e);
    if (!spec) goto fail;
    if (!n && negotiate_store(s)->text_next(s, id, &n, e) == 0) n--;
    if (n < 1) {
        err_set(e, 404, "text.not_found", "post a text first", "the negotiation has no text yet");
        goto fail;
    }
    found = negotiate_store(s)->text_get(s, id, n, &t, e);
    if (found <= 0) {
        if (found == 0) err_set(e, 404, "text.not_found", NULL, "no version %d", n);
        goto fail;
    }
    text = json_loads(t.text, 0, NULL);
    d = disclosed_domain(s, id, spec, &disclosed, e);
    if (!d) goto fail;
    pk = package_of(d, json_object_get(text, "package"));
    neg_limits lim;
    service_limits(&lim);
    if (neg_analyze(d, &lim, &a, e) || neg_proposal_analyze_within(d, a, pk, 5, 0.5, &lim, &p, e)) {
        if (!beyond_limits(e)) goto fail;
        char note[480];
        snprintf(note, sizeof note,
                 "no improvements: too large to search within the "
                 "server's limits: %s",
                 e->message);
        err_clear(e);
        json_object_set_new(out, "from", json_integer(n));
        json_object_set_new(out, "improvements", json_array());
        json_object_set_new(out, "note", json_string(note));
        goto done;
    }
    json_t *imp = json_array();
    for (size_t j = 0; j < p->n_dominating; j++)
        json_array_append_new(imp, json_pack("{s:o, s:i, s:o}", "package",
                                             package_json(d, p->dominating[j].package), "changes",
                                             p->changes[j], "gains",
                                             gains_json(d, a, p->dominating[j].u)));
    json_object_set_new(out, "from", json_integer(n));
    json_object_set_new(out, "improvements", imp);
    goto done;
fail:
    json_decref(out);
    out = NULL;
done:
    neg_proposal_free(p);
    neg_analysis_free(a);
    free(pk);
    neg_domain_free(d);
    free(t.text);
    free(t.sent_to);
    json_decref(text);
    json_decref(disclosed);
    json_decref(spec);
    return out;
}

const jsx_field nsvc_abandon_fields[] = {
    {.name = "reason", .type = JSX_STRING, .min = 1, .max = 2000},
    {0},
};

int nsvc_abandon(store *s, const journal_actor *who, const acct_caller *by, int64_t id,
                 const json_t *in, tr_err *e)
{
    json_t *spec = nsvc__load_role(s, by, id, "mediator", e), *body;
    buf vis = BUF_INIT;
    int rc;
    if (!spec) return -1;
    body =
        json_pack("{s:I, s:s}", "negotiation", (json_int_t)id, "reason", jsx_str(in, "reason", ""));
    nsvc__members_visibility(spec, &vis);
    rc = journal_record(s, who, "negotiation.abandoned", body, vis.p, NULL, e);
    json_decref(body);
    buf_free(&vis);
    json_decref(spec);
    return rc;
}
