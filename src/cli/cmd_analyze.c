/* cmd_analyze.c - truce analyze: the negotiation engine on Genius domains. */
#include "cli/cli.h"

#include "negotiate/engine/engine.h"
#include "negotiate/genius.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *utilities(const neg_domain *d, const double *u)
{
    json_t *a = json_array();
    for (int p = 0; p < neg_parties(d); p++) json_array_append_new(a, json_real(u[p]));
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
    o = json_pack("{s:s, s:o, s:o, s:o}", "outcomes", count, "parties", parties, "reservation",
                  res, "frontier", frontier);
    if (a->epsilon > 0) json_object_set_new(o, "epsilon", json_real(a->epsilon));
    json_object_set_new(o, "nash", a->has_rational ? point(d, &a->nash) : json_null());
    json_object_set_new(o, "kalai_smorodinsky",
                        a->has_rational ? point(d, &a->kalai_smorodinsky) : json_null());
    json_object_set_new(o, "egalitarian", a->has_rational ? point(d, &a->egalitarian)
                                                          : json_null());
    json_object_set_new(o, "max_welfare", a->has_rational ? point(d, &a->max_welfare)
                                                          : json_null());
    return o;
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

int cmd_analyze(int argc, char **argv)
{
    cli_opt opts[] = {{"json", 0, NULL, NULL, NULL}, {"epsilon", 1, NULL, NULL, NULL},
                      {"max-points", 1, NULL, NULL, NULL}, {0}};
    char *pos[64];
    int npos, help, rc;
    tr_err e = TR_ERR_INIT;
    neg_limits lim = {0, 0};
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
    d = neg_genius_load(pos, npos, &e);
    if (!d || neg_analyze(d, &lim, &a, &e)) {
        err_print(&e);
        err_clear(&e);
        neg_domain_free(d);
        return CLI_FAILED;
    }
    if (cli_get(opts, "json")) {
        json_t *o = result_json(d, a);
        char *text = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(15));
        puts(text);
        free(text);
        json_decref(o);
    } else {
        print_summary(d, a);
    }
    neg_analysis_free(a);
    neg_domain_free(d);
    return CLI_OK;
}
