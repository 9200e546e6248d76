/* cmd_analyze.c - truce analyze: the negotiation engine on Genius domains. */
#include "cli/cli.h"

#include "negotiate/engine/engine.h"
#include "negotiate/genius.h"
#include "negotiate/interchange.h"

#include <dirent.h>
#include <sys/stat.h>

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *utilities(const neg_domain *d, const double *u)
{
    json_t *a = json_array();
    for (int p = 0; p < neg_parties(d); p++)
        json_array_append_new(a, json_real(u[p]));
    return a;
}

static json_t *package(const neg_domain *d, const int *pkg)
{
    json_t *o = json_object();
    for (int i = 0; i < neg_issues(d); i++)
        json_object_set_new(o, neg_issue_name(d, i), json_string(neg_option_name(d, i, pkg[i])));
    return o;
}

static json_t *point(const neg_domain *d, const neg_point *pt)
{
    return json_pack("{s:o, s:o}", "utilities", utilities(d, pt->u), "package",
                     package(d, pt->package));
}

static json_t *result_json(const neg_domain *d, const neg_analysis *a)
{
    char count[600];
    json_t *parties = json_array(), *res = json_array(), *frontier = json_array(), *o;
    neg_outcome_count(d, count, sizeof count);
    for (int p = 0; p < neg_parties(d); p++) {
        json_array_append_new(parties, json_string(neg_party_name(d, p)));
        json_array_append_new(res, json_real(neg_reservation(d, p)));
    }
    for (size_t j = 0; j < a->n_frontier; j++)
        json_array_append_new(frontier, point(d, &a->frontier[j]));
    o = json_pack("{s:s, s:o, s:o, s:o}", "outcomes", count, "parties", parties, "reservation", res,
                  "frontier", frontier);
    if (a->epsilon > 0) json_object_set_new(o, "epsilon", json_real(a->epsilon));
    json_object_set_new(o, "nash", a->has_rational ? point(d, &a->nash) : json_null());
    json_object_set_new(o, "kalai_smorodinsky",
                        a->has_rational ? point(d, &a->kalai_smorodinsky) : json_null());
    json_object_set_new(o, "egalitarian",
                        a->has_rational ? point(d, &a->egalitarian) : json_null());
    json_object_set_new(o, "max_welfare",
                        a->has_rational ? point(d, &a->max_welfare) : json_null());
    return o;
}

/* 'Issue=Option;Issue=Option' into a package; every issue must be given once. */
static int parse_proposal(const neg_domain *d, const char *text, int *pkg, tr_err *e)
{
    char *copy = strdup(text), *save = NULL, *tok;
    int ni = neg_issues(d);
    for (int i = 0; i < ni; i++)
        pkg[i] = -1;
    for (tok = strtok_r(copy, ";", &save); tok; tok = strtok_r(NULL, ";", &save)) {
        char *eq = strchr(tok, '=');
        int i, o;
        while (*tok == ' ')
            tok++;
        if (!eq) {
            err_set(e, 400, "analyze.bad_proposal", "write terms as Issue=Option;Issue=Option",
                    "'%s' is not Issue=Option", tok);
            goto fail;
        }
        *eq = 0;
        if ((i = neg_issue_find(d, tok)) < 0) {
            err_set(e, 400, "analyze.bad_proposal", "check the issue names (truce analyze PATH)",
                    "no issue '%s'", tok);
            goto fail;
        }
        if ((o = neg_option_find(d, i, eq + 1)) < 0) {
            err_set(e, 400, "analyze.bad_proposal", NULL, "issue '%s' has no option '%s'", tok,
                    eq + 1);
            goto fail;
        }
        pkg[i] = o;
    }
    for (int i = 0; i < ni; i++)
        if (pkg[i] < 0) {
            err_set(e, 400, "analyze.bad_proposal", "give one option for every issue",
                    "the proposal says nothing about '%s'", neg_issue_name(d, i));
            goto fail;
        }
    free(copy);
    return 0;
fail:
    free(copy);
    return -1;
}

static json_t *proposal_json(const neg_domain *d, const neg_proposal *p)
{
    json_t *acc = json_array(), *dom = json_array(), *gains = json_array();
    for (int q = 0; q < neg_parties(d); q++) {
        json_array_append_new(acc, json_boolean(p->acceptable[q]));
        json_array_append_new(gains, json_real(p->gains[q]));
    }
    for (size_t j = 0; j < p->n_dominating; j++) {
        json_t *pt = point(d, &p->dominating[j]);
        json_object_set_new(pt, "changes", json_integer(p->changes[j]));
        json_array_append_new(dom, pt);
    }
    return json_pack("{s:o, s:o, s:o, s:b, s:o, s:f, s:f, s:b, s:s}", "utilities",
                     utilities(d, p->u), "gains", gains, "acceptable", acc, "efficient",
                     p->efficient, "dominated_by", dom, "one_sidedness", p->one_sidedness,
                     "nash_ratio", p->nash_ratio, "one_sided", p->one_sided, "reason", p->reason);
}

static void print_point(const neg_domain *d, const char *label, const neg_point *pt)
{
    printf("%-18s", label);
    for (int p = 0; p < neg_parties(d); p++)
        printf(" %s %.3f", neg_party_name(d, p), pt->u[p]);
    printf("\n%18s", "");
    for (int i = 0; i < neg_issues(d); i++)
        printf(" %s=%s%s", neg_issue_name(d, i), neg_option_name(d, i, pt->package[i]),
               i + 1 < neg_issues(d) ? ";" : "\n");
}

static void print_summary(const neg_domain *d, const neg_analysis *a)
{
    char count[600];
    neg_outcome_count(d, count, sizeof count);
    printf("outcomes: %s, parties:", count);
    for (int p = 0; p < neg_parties(d); p++)
        printf(" %s (reservation %.3f)%s", neg_party_name(d, p), neg_reservation(d, p),
               p + 1 < neg_parties(d) ? "," : "\n");
    printf("Pareto frontier: %zu points%s\n", a->n_frontier,
           a->epsilon > 0 ? " (approximate)" : "");
    if (a->epsilon > 0) printf("  within epsilon %.4g of the exact frontier\n", a->epsilon);
    if (!a->has_rational) {
        printf("no outcome is acceptable to every party\n");
        return;
    }
    print_point(d, "Nash", &a->nash);
    print_point(d, "Kalai-Smorodinsky", &a->kalai_smorodinsky);
    print_point(d, "egalitarian", &a->egalitarian);
    print_point(d, "max welfare", &a->max_welfare);
}

/* GeniusWeb when the paths hold .json files, Genius XML otherwise. */
static neg_domain *load(char **paths, int n, tr_err *e)
{
    char *json[256];
    int nj = 0;
    neg_domain *d;
    for (int k = 0; k < n; k++) {
        struct stat sb;
        size_t len = strlen(paths[k]);
        if (stat(paths[k], &sb) == 0 && S_ISDIR(sb.st_mode)) {
            DIR *dir = opendir(paths[k]);
            struct dirent *de;
            while (dir && (de = readdir(dir)) && nj < 256) {
                size_t m = strlen(de->d_name);
                if (m > 5 && strcmp(de->d_name + m - 5, ".json") == 0) {
                    json[nj] = malloc(strlen(paths[k]) + m + 2);
                    if (!json[nj]) abort();
                    sprintf(json[nj++], "%s/%s", paths[k], de->d_name);
                }
            }
            if (dir) closedir(dir);
        } else if (len > 5 && strcmp(paths[k] + len - 5, ".json") == 0 && nj < 256) {
            json[nj++] = strdup(paths[k]);
        }
    }
    if (nj == 0) return neg_genius_load(paths, n, e);
    for (int a = 1; a < nj; a++) /* name order, so parties come out in a stable order */
        for (int b = a; b > 0 && strcmp(json[b - 1], json[b]) > 0; b--) {
            char *t = json[b];
            json[b] = json[b - 1];
            json[b - 1] = t;
        }
    d = neg_geniusweb_load(json, nj, e);
    for (int k = 0; k < nj; k++)
        free(json[k]);
    return d;
}

static int write_file(const char *dir, const char *name, const char *text, tr_err *e)
{
    char path[4096];
    FILE *f;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0)
        return err_set(e, 500, "analyze.write", "check the --export directory", "cannot write %s",
                       path);
    return 0;
}

static int export(const neg_domain *d, const char *dir, int web, tr_err *e)
{
    buf b = BUF_INIT;
    char name[512];
    int rc = 0;
    mkdir(dir, 0755);
    if (web) {
        json_t *dom = neg_geniusweb_domain(d, "domain");
        char *text = json_dumps(dom, JSON_INDENT(1) | JSON_REAL_PRECISION(17));
        rc = write_file(dir, "domain.json", text, e);
        free(text);
        json_decref(dom);
        for (int p = 0; rc == 0 && p < neg_parties(d); p++) {
            json_t *prof = neg_geniusweb_profile(d, p, "domain");
            text = json_dumps(prof, JSON_INDENT(1) | JSON_REAL_PRECISION(17));
            snprintf(name, sizeof name, "%s.json", neg_party_name(d, p));
            rc = write_file(dir, name, text, e);
            free(text);
            json_decref(prof);
        }
        return rc;
    }
    neg_genius_domain_xml(d, &b);
    rc = write_file(dir, "domain.xml", b.p, e);
    for (int p = 0; rc == 0 && p < neg_parties(d); p++) {
        buf_reset(&b);
        neg_genius_profile_xml(d, p, &b);
        snprintf(name, sizeof name, "%s.xml", neg_party_name(d, p));
        rc = write_file(dir, name, b.p, e);
    }
    buf_free(&b);
    return rc;
}

int cmd_analyze(int argc, char **argv)
{
    cli_opt opts[] = {
        {"json", 0, NULL, NULL, NULL},          {"epsilon", 1, NULL, NULL, NULL},
        {"max-points", 1, NULL, NULL, NULL},    {"proposal", 1, NULL, NULL, NULL},
        {"export-genius", 1, NULL, NULL, NULL}, {"export-geniusweb", 1, NULL, NULL, NULL},
        {"threshold", 1, NULL, "0.5", NULL},    {0}};
    char *pos[64];
    int npos, help, rc;
    tr_err e = TR_ERR_INIT;
    neg_limits lim = {0};
    neg_domain *d;
    neg_analysis *a;

    rc = cli_parse("analyze", argc, argv, opts, pos, 64, &npos, &help);
    if (rc != CLI_OK) return rc;
    if (help) {
        fputs(cli_help("analyze"), stdout);
        return CLI_OK;
    }
    if (npos == 0) return cli_usage_error("analyze", "give a domain folder or its files");
    if (cli_get(opts, "epsilon")) {
        char *end;
        errno = 0;
        lim.epsilon = strtod(cli_get(opts, "epsilon"), &end);
        if (errno || *end || !(lim.epsilon > 0) || lim.epsilon >= 1)
            return cli_usage_error("analyze", "--epsilon must be a number in (0, 1)");
    }
    if (cli_get(opts, "max-points")) {
        char *end;
        long long v = strtoll(cli_get(opts, "max-points"), &end, 10);
        if (*end || v < 1) return cli_usage_error("analyze", "--max-points must be positive");
        lim.max_points = (size_t)v;
    }
    d = load(pos, npos, &e);
    if (d &&
        ((cli_get(opts, "export-genius") && export(d, cli_get(opts, "export-genius"), 0, &e)) ||
         (cli_get(opts, "export-geniusweb") &&
          export(d, cli_get(opts, "export-geniusweb"), 1, &e)))) {
        neg_domain_free(d);
        d = NULL;
    }
    if (!d || neg_analyze(d, &lim, &a, &e)) {
        err_print(&e);
        err_clear(&e);
        neg_domain_free(d);
        return CLI_FAILED;
    }
    neg_proposal *prop = NULL;
    char *tend;
    double threshold = strtod(cli_get(opts, "threshold"), &tend);
    if (*tend || !(threshold >= 0) || threshold > 1) {
        neg_analysis_free(a);
        neg_domain_free(d);
        return cli_usage_error("analyze", "--threshold must be a number from 0 to 1");
    }
    if (cli_get(opts, "proposal")) {
        int *pkg = calloc((size_t)neg_issues(d), sizeof *pkg);
        if (!pkg) abort();
        if (parse_proposal(d, cli_get(opts, "proposal"), pkg, &e) ||
            neg_proposal_analyze(d, a, pkg, 5, threshold, &prop, &e)) {
            free(pkg);
            err_print(&e);
            err_clear(&e);
            neg_analysis_free(a);
            neg_domain_free(d);
            return CLI_FAILED;
        }
        free(pkg);
    }
    if (cli_get(opts, "json")) {
        json_t *o = result_json(d, a);
        if (prop) json_object_set_new(o, "proposal", proposal_json(d, prop));
        char *text = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(15));
        puts(text);
        free(text);
        json_decref(o);
    } else {
        print_summary(d, a);
        if (prop) {
            printf("proposal:");
            for (int q = 0; q < neg_parties(d); q++)
                printf(" %s %.3f (gain %.2f%s)", neg_party_name(d, q), prop->u[q], prop->gains[q],
                       prop->acceptable[q] ? "" : ", unacceptable");
            printf("\n  %s; one-sidedness %.2f; Nash product %.0f%% of the Nash point's\n",
                   prop->efficient ? "efficient" : "not efficient", prop->one_sidedness,
                   100 * prop->nash_ratio);
            for (size_t j = 0; j < prop->n_dominating; j++)
                print_point(d, j ? "" : "dominated by", &prop->dominating[j]);
            if (prop->one_sided) printf("  FLAGGED %s\n", prop->reason);
        }
    }
    neg_proposal_free(prop);
    neg_analysis_free(a);
    neg_domain_free(d);
    return CLI_OK;
}
