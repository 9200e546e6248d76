/* interchange.c - GeniusWeb JSON and Genius XML export; see interchange.h. */
#include "negotiate/interchange.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int bad(tr_err *e, const char *file, const char *what)
{
    return err_set(e, 400, "geniusweb.bad_file", "check the file against the GeniusWeb format",
                   "%s: %s", file, what);
}

/* Adds a domain's issues from {"issuesValues": ...}. */
static int load_domain(neg_domain *d, const json_t *dom, const char *file, tr_err *e)
{
    const json_t *iv = json_object_get(dom, "issuesValues"), *v;
    const char *issue;
    if (!json_is_object(iv)) return bad(e, file, "no issuesValues");
    json_object_foreach((json_t *)iv, issue, v)
    {
        const json_t *values = json_object_get(v, "values"), *range = json_object_get(v, "range");
        int i;
        if (json_is_array(values)) {
            size_t k;
            i = neg_issue_add(d, issue);
            const json_t *x;
            json_array_foreach(values, k, x)
            {
                if (!json_is_string(x)) return bad(e, file, "a discrete value is not a string");
                neg_option_add(d, i, json_string_value(x));
            }
        } else if (json_is_object(range)) {
            if (neg_issue_add_range(d, issue, json_number_value(json_object_get(range, "low")),
                                    json_number_value(json_object_get(range, "high")),
                                    json_number_value(json_object_get(range, "step"))) < 0)
                return bad(e, file, "a number range needs low <= high and a step > 0");
        } else {
            return bad(e, file, "an issue has neither values nor a range");
        }
    }
    return 0;
}

static int load_profile(neg_domain *d, const json_t *las, const char *name, const char *file,
                        tr_err *e)
{
    const json_t *w = json_object_get(las, "issueWeights"),
                 *iu = json_object_get(las, "issueUtilities");
    const char *issue;
    const json_t *v;
    int p = neg_party_add(d, name);
    if (!json_is_object(w) || !json_is_object(iu))
        return bad(e, file, "no issueWeights or issueUtilities");
    json_object_foreach((json_t *)w, issue, v)
    {
        int i = neg_issue_find(d, issue);
        if (i < 0) return bad(e, file, "a weight for an issue the domain does not have");
        neg_weight_set(d, p, i, json_number_value(v));
    }
    json_object_foreach((json_t *)iu, issue, v)
    {
        int i = neg_issue_find(d, issue);
        const json_t *disc =
            json_object_get(json_object_get(v, "DiscreteValueSetUtilities"), "valueUtilities");
        const json_t *num = json_object_get(v, "NumberValueSetUtilities");
        if (i < 0) return bad(e, file, "utilities for an issue the domain does not have");
        if (json_is_object(disc)) {
            const char *value;
            const json_t *u;
            json_object_foreach((json_t *)disc, value, u)
            {
                int o = neg_option_find(d, i, value);
                if (o < 0) return bad(e, file, "a utility for a value the domain does not have");
                neg_value_set(d, p, i, o, json_number_value(u));
            }
        } else if (json_is_object(num)) {
            double lv = json_number_value(json_object_get(num, "lowValue"));
            double lu = json_number_value(json_object_get(num, "lowUtility"));
            double hv = json_number_value(json_object_get(num, "highValue"));
            double hu = json_number_value(json_object_get(num, "highUtility"));
            for (int o = 0; o < neg_options(d, i); o++) {
                double x = strtod(neg_option_name(d, i, o), NULL);
                double t = hv > lv ? (x - lv) / (hv - lv) : 0;
                if (t < 0) t = 0;
                if (t > 1) t = 1;
                neg_value_set(d, p, i, o, lu + t * (hu - lu));
            }
        } else {
            return bad(e, file, "unsupported issue utilities");
        }
    }
    const json_t *bid = json_object_get(json_object_get(las, "reservationBid"), "issuevalues");
    if (json_is_object(bid)) {
        int *pkg = calloc((size_t)neg_issues(d), sizeof *pkg);
        int complete = 1;
        if (!pkg) abort();
        for (int i = 0; i < neg_issues(d); i++) {
            const json_t *x = json_object_get(bid, neg_issue_name(d, i));
            char num[64];
            const char *val = json_is_string(x) ? json_string_value(x) : NULL;
            if (json_is_number(x)) {
                snprintf(num, sizeof num, "%.15g", json_number_value(x));
                val = num;
            }
            pkg[i] = val ? neg_option_find(d, i, val) : -1;
            complete &= pkg[i] >= 0;
        }
        /* Weights are normalised later; the bid's value is taken after that (see load). */
        if (complete) {
            double sum = 0, u = 0;
            for (int i = 0; i < neg_issues(d); i++)
                sum += neg_weight(d, p, i);
            for (int i = 0; i < neg_issues(d); i++)
                u += (sum > 0 ? neg_weight(d, p, i) / sum : 0) * neg_value(d, p, i, pkg[i]);
            neg_reservation_set(d, p, u);
        }
        free(pkg);
    }
    return 0;
}

static char *slurp_json(const char *path, json_t **out, tr_err *e)
{
    json_error_t je;
    *out = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!*out) {
        err_set(e, 400, "geniusweb.bad_json", "check the file", "%s: %s (line %d)", path, je.text,
                je.line);
        return NULL;
    }
    return (char *)path;
}

neg_domain *neg_geniusweb_load(char *const *paths, int n, tr_err *e)
{
    json_t **docs = calloc((size_t)n + 1, sizeof *docs);
    neg_domain *d = NULL;
    int domain = -1, rc = -1;
    if (!docs) abort();
    for (int k = 0; k < n; k++) {
        if (!slurp_json(paths[k], &docs[k], e)) goto out;
        const json_t *las = json_object_get(docs[k], "LinearAdditiveUtilitySpace");
        if (!las && json_object_get(docs[k], "issuesValues")) domain = k;
    }
    d = neg_domain_new();
    if (domain >= 0) {
        if (load_domain(d, docs[domain], paths[domain], e)) goto out;
    } else {
        int k = 0;
        while (k < n && !json_object_get(docs[k], "LinearAdditiveUtilitySpace"))
            k++;
        if (k == n) {
            err_set(e, 400, "geniusweb.no_domain", "add the domain file", "no GeniusWeb domain");
            goto out;
        }
        if (load_domain(
                d,
                json_object_get(json_object_get(docs[k], "LinearAdditiveUtilitySpace"), "domain"),
                paths[k], e))
            goto out;
    }
    for (int k = 0; k < n; k++) {
        const json_t *las = json_object_get(docs[k], "LinearAdditiveUtilitySpace");
        char name[256];
        const char *base;
        if (!las) continue;
        base = strrchr(paths[k], '/');
        snprintf(name, sizeof name, "%s", base ? base + 1 : paths[k]);
        if (strrchr(name, '.')) *strrchr(name, '.') = 0;
        if (load_profile(d, las, name, paths[k], e)) goto out;
    }
    if (neg_domain_check(d, e)) goto out;
    rc = 0;
out:
    for (int k = 0; k < n; k++)
        json_decref(docs[k]);
    free(docs);
    if (rc) {
        neg_domain_free(d);
        return NULL;
    }
    return d;
}

neg_domain *neg_geniusweb_domain_parse(const json_t *domain, tr_err *e)
{
    neg_domain *d = neg_domain_new();
    if (load_domain(d, domain, "geniusweb_domain", e)) {
        neg_domain_free(d);
        return NULL;
    }
    return d;
}

json_t *neg_geniusweb_domain(const neg_domain *d, const char *name)
{
    json_t *iv = json_object();
    for (int i = 0; i < neg_issues(d); i++) {
        json_t *vals = json_array();
        for (int o = 0; o < neg_options(d, i); o++)
            json_array_append_new(vals, json_string(neg_option_name(d, i, o)));
        json_object_set_new(iv, neg_issue_name(d, i), json_pack("{s:o}", "values", vals));
    }
    return json_pack("{s:s, s:o}", "name", name, "issuesValues", iv);
}

json_t *neg_geniusweb_profile(const neg_domain *d, int p, const char *domain_name)
{
    json_t *w = json_object(), *iu = json_object();
    for (int i = 0; i < neg_issues(d); i++) {
        json_t *vu = json_object();
        for (int o = 0; o < neg_options(d, i); o++)
            json_object_set_new(vu, neg_option_name(d, i, o), json_real(neg_value(d, p, i, o)));
        json_object_set_new(
            iu, neg_issue_name(d, i),
            json_pack("{s:{s:o}}", "DiscreteValueSetUtilities", "valueUtilities", vu));
        json_object_set_new(w, neg_issue_name(d, i), json_real(neg_weight(d, p, i)));
    }
    return json_pack("{s:{s:s, s:o, s:o, s:o}}", "LinearAdditiveUtilitySpace", "name",
                     neg_party_name(d, p), "domain", neg_geniusweb_domain(d, domain_name),
                     "issueWeights", w, "issueUtilities", iu);
}

static void xml_attr(buf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&':
            buf_puts(b, "&amp;");
            break;
        case '<':
            buf_puts(b, "&lt;");
            break;
        case '>':
            buf_puts(b, "&gt;");
            break;
        case '"':
            buf_puts(b, "&quot;");
            break;
        default:
            buf_append(b, s, 1);
        }
    }
}

/* One <issue> with its items; with party >= 0, each item's evaluation for that party. */
static void xml_issue(const neg_domain *d, int party, int i, buf *out)
{
    buf_printf(out, "  <issue index=\"%d\" name=\"", i + 1);
    xml_attr(out, neg_issue_name(d, i));
    buf_puts(out, "\" type=\"discrete\" etype=\"discrete\" vtype=\"discrete\">\n");
    for (int o = 0; o < neg_options(d, i); o++) {
        buf_printf(out, "    <item index=\"%d\" value=\"", o + 1);
        xml_attr(out, neg_option_name(d, i, o));
        if (party >= 0)
            buf_printf(out, "\" evaluation=\"%.17g\"/>\n", neg_value(d, party, i, o));
        else
            buf_puts(out, "\"/>\n");
    }
    buf_puts(out, "  </issue>\n");
}

void neg_genius_domain_xml(const neg_domain *d, buf *out)
{
    buf_printf(out,
               "<negotiation_template>\n<utility_space number_of_issues=\"%d\">\n"
               "<objective index=\"0\" name=\"root\" type=\"objective\" etype=\"objective\">\n",
               neg_issues(d));
    for (int i = 0; i < neg_issues(d); i++)
        xml_issue(d, -1, i, out);
    buf_puts(out, "</objective>\n</utility_space>\n</negotiation_template>\n");
}

void neg_genius_profile_xml(const neg_domain *d, int p, buf *out)
{
    buf_printf(out,
               "<utility_space>\n<reservation value=\"%.17g\"/>\n"
               "<objective index=\"0\" name=\"root\" type=\"objective\" etype=\"objective\">\n",
               neg_reservation(d, p));
    for (int i = 0; i < neg_issues(d); i++)
        xml_issue(d, p, i, out);
    for (int i = 0; i < neg_issues(d); i++)
        buf_printf(out, "  <weight index=\"%d\" value=\"%.17g\"/>\n", i + 1, neg_weight(d, p, i));
    buf_puts(out, "</objective>\n</utility_space>\n");
}
