/* service.c - negotiations and private profiles; see service.h. */
#include "negotiate/service.h"

#include "core/util.h"

#include <math.h>
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
    {.name = "issues", .type = JSX_ARRAY, .min = 1, .max = 64, .items = issue_item},
    {0},
};

static const char *const disclosures[] = {"none", "gains", NULL};

const jsx_field nsvc_profile_fields[] = {
    {.name = "weights", .type = JSX_OBJECT},
    {.name = "values", .type = JSX_OBJECT},
    {.name = "reservation", .type = JSX_NUMBER, .flags = JSX_OPTIONAL, .min = 0, .max = 1},
    {.name = "red_lines", .type = JSX_OBJECT, .flags = JSX_OPTIONAL},
    {.name = "disclosure", .type = JSX_STRING, .flags = JSX_OPTIONAL, .oneof = disclosures},
    {0},
};

static int invalid(tr_err *e, const char *field, const char *hint, const char *msg)
{
    return err_field(e, "request.invalid_field", field, hint, "%s", msg);
}

/* Checks that every slug of list names an organization of `kind`, once. */
static int check_orgs(store *s, const json_t *list, const char *kind, const char *field,
                      tr_err *e)
{
    size_t i, j;
    const json_t *v;
    json_array_foreach(list, i, v) {
        store_org o;
        char path[64];
        int rc = s->ops->org_get(s, json_string_value(v), &o, e);
        snprintf(path, sizeof path, "%s[%zu]", field, i);
        if (rc < 0) return -1;
        if (rc == 0 || strcmp(o.kind, kind) != 0)
            return err_field(e, "request.invalid_field", path, "see GET /api/v1/orgs",
                             "'%s' is not an organization of kind %s", json_string_value(v), kind);
        for (j = 0; j < i; j++)
            if (json_equal(json_array_get(list, j), v))
                return invalid(e, path, "name each organization once", "a duplicate organization");
    }
    return 0;
}

static int in_list(const json_t *list, const char *slug)
{
    size_t i;
    const json_t *v;
    json_array_foreach(list, i, v) if (strcmp(json_string_value(v), slug) == 0) return 1;
    return 0;
}

/* "org:a org:b ..." for every member: who may read the negotiation's events. */
static void members_visibility(const json_t *spec, buf *out)
{
    const char *lists[2] = {"parties", "mediators"};
    size_t i;
    const json_t *v;
    for (int l = 0; l < 2; l++)
        json_array_foreach(json_object_get(spec, lists[l]), i, v)
            buf_printf(out, "%sorg:%s", out->len ? " " : "", json_string_value(v));
}

int nsvc_open(store *s, const journal_actor *who, const acct_caller *by, const json_t *in,
              int64_t *id, tr_err *e)
{
    const json_t *issues = json_object_get(in, "issues"), *is;
    size_t i;
    json_t *body;
    buf vis = BUF_INIT;
    int rc;
    if (check_orgs(s, json_object_get(in, "parties"), "party", "parties", e) ||
        check_orgs(s, json_object_get(in, "mediators"), "mediator", "mediators", e))
        return -1;
    if (!in_list(json_object_get(in, "mediators"), by->org))
        return invalid(e, "mediators", "list your own organization among the mediators",
                       "the organization opening a negotiation must be one of its mediators");
    json_array_foreach(issues, i, is) {
        char path[64];
        size_t j, k;
        const json_t *opt, *opts = json_object_get(is, "options");
        for (j = 0; j < i; j++)
            if (json_equal(json_object_get(json_array_get(issues, j), "name"),
                           json_object_get(is, "name"))) {
                snprintf(path, sizeof path, "issues[%zu].name", i);
                return invalid(e, path, "give each issue its own name", "a duplicate issue name");
            }
        json_array_foreach(opts, k, opt) {
            for (j = 0; j < k; j++)
                if (json_equal(json_array_get(opts, j), opt)) {
                    snprintf(path, sizeof path, "issues[%zu].options[%zu]", i, k);
                    return invalid(e, path, "give each option its own name",
                                   "a duplicate option");
                }
        }
    }
    if (s->ops->negotiation_next_id(s, id, e)) return -1;
    body = json_deep_copy(in);
    json_object_set_new(body, "id", json_integer(*id));
    members_visibility(in, &vis);
    rc = journal_record(s, who, "negotiation.opened", body, vis.p, NULL, e);
    json_decref(body);
    buf_free(&vis);
    return rc;
}

/* Loads a negotiation the caller belongs to; role is "party" or "mediator". */
static json_t *load(store *s, const acct_caller *by, int64_t id, const char **role, tr_err *e)
{
    store_negotiation n = {0};
    json_t *spec;
    int rc = s->ops->negotiation_get(s, id, &n, e);
    if (rc < 0) return NULL;
    spec = rc ? json_loads(n.spec, 0, NULL) : NULL;
    free(n.spec);
    if (spec) json_object_set_new(spec, "state", json_string(n.state));
    *role = !spec ? NULL
            : in_list(json_object_get(spec, "parties"), by->org)   ? "party"
            : in_list(json_object_get(spec, "mediators"), by->org) ? "mediator"
                                                                    : NULL;
    if (!*role) {
        json_decref(spec);
        /* The same answer whether it does not exist or is not the caller's. */
        err_set(e, 404, "negotiation.not_found", "check the id; only its parties and mediators "
                                                 "can see a negotiation",
                "no negotiation %lld", (long long)id);
        return NULL;
    }
    return spec;
}

json_t *nsvc_get(store *s, const acct_caller *by, int64_t id, tr_err *e)
{
    const char *role;
    json_t *spec = load(s, by, id, &role, e);
    if (spec) json_object_set_new(spec, "role", json_string(role));
    return spec;
}

static const json_t *find_issue(const json_t *issues, const char *name)
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

    json_object_foreach((json_t *)w, key, v) {
        snprintf(path, sizeof path, "weights.%s", key);
        if (!find_issue(issues, key)) return invalid(e, path, "use the negotiation's issue names",
                                                     "no such issue");
        if (!json_is_number(v) || json_number_value(v) < 0 || !isfinite(json_number_value(v)))
            return invalid(e, path, NULL, "a weight must be a non-negative number");
        sum += json_number_value(v);
    }
    if (!(sum > 0)) return invalid(e, "weights", "give some issue a positive weight",
                                   "the weights are all zero");
    json_object_foreach((json_t *)vals, key, v) {
        const json_t *is = find_issue(issues, key), *ov;
        const char *opt;
        snprintf(path, sizeof path, "values.%s", key);
        if (!is) return invalid(e, path, "use the negotiation's issue names", "no such issue");
        if (!json_is_object(v)) return invalid(e, path, NULL, "must map options to values");
        json_object_foreach((json_t *)v, opt, ov) {
            snprintf(path, sizeof path, "values.%s.%s", key, opt);
            if (!in_list(json_object_get(is, "options"), opt))
                return invalid(e, path, "use the issue's option names", "no such option");
            if (!json_is_number(ov) || json_number_value(ov) < 0 || json_number_value(ov) > 1)
                return invalid(e, path, NULL, "a value must be a number from 0 to 1");
        }
    }
    json_object_foreach((json_t *)red, key, v) {
        const json_t *is = find_issue(issues, key), *ov;
        size_t i;
        snprintf(path, sizeof path, "red_lines.%s", key);
        if (!is) return invalid(e, path, "use the negotiation's issue names", "no such issue");
        if (!json_is_array(v)) return invalid(e, path, NULL, "must list options");
        json_array_foreach(v, i, ov) {
            if (!json_is_string(ov) || !in_list(json_object_get(is, "options"),
                                                json_string_value(ov)))
                return invalid(e, path, "use the issue's option names", "no such option");
        }
    }
    return 0;
}

int nsvc_profile_put(store *s, const journal_actor *who, const acct_caller *by, int64_t id,
                     const json_t *in, tr_err *e)
{
    const char *role;
    json_t *spec = load(s, by, id, &role, e), *body, *profile;
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
    if (!json_object_get(profile, "red_lines")) json_object_set_new(profile, "red_lines", json_object());
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
    json_t *spec = load(s, by, id, &role, e), *out;
    int rc;
    if (!spec) return NULL;
    json_decref(spec);
    if (strcmp(role, "party") != 0) {
        err_set(e, 403, "auth.forbidden", NULL, "only parties have profiles");
        return NULL;
    }
    rc = s->ops->profile_get(s, id, by->org, &p, e);
    if (rc <= 0) {
        if (rc == 0)
            err_set(e, 404, "profile.not_found", "put it with PUT /api/v1/negotiations/{id}/profile",
                    "you have not put a profile in negotiation %lld yet", (long long)id);
        return NULL;
    }
    out = json_loads(p.profile, 0, NULL);
    free(p.profile);
    json_object_set_new(out, "version", json_integer(p.version));
    json_object_set_new(out, "updated_at", json_string(p.updated_at));
    return out;
}
