/* engine.h - negotiation analytics: exact Pareto frontier and bargaining points over
 * outcome spaces too large to enumerate, and the analysis of one proposal.
 *
 * Model. N >= 2 parties, I issues with discrete options. Party p values an outcome o at
 * U_p(o) = sum_i w_pi * v_pi(o_i), weights summing to 1 and option values in [0, 1]; it has
 * a reservation value r_p and may have red lines (options it never accepts). An outcome
 * is acceptable to p when it has none of p's red lines and U_p >= r_p; rational when
 * acceptable to all.
 *
 * Frontier. Issues are folded one at a time: the set of partial utility vectors after
 * issue i is every vector of step i-1 plus every option's contribution, reduced to the
 * vectors no other weakly dominates (for two parties a sort and a sweep, for more a
 * dominance filter over candidates in decreasing order of their sum, which only a point
 * of larger or equal sum can dominate). Sums are formed issue by issue in index order, so
 * a package's vector is bitwise the value a direct evaluation gives. Options that are a
 * red line for any party are removed before the fold. Memory is proportional to the
 * frontiers of the steps, never to the outcome space; a cap turns an explosion into an
 * error, or, with epsilon > 0, into an epsilon-approximate frontier (one point per
 * epsilon-cell of utility space, the one with the largest sum).
 *
 * Bargaining points, over rational frontier points (which is where every one of them
 * lies): Nash max prod(u - r); Kalai-Smorodinsky max min g, g_p = (u_p - r_p)/(ideal_p -
 * r_p) (g_p = 1 when ideal_p = r_p); egalitarian max min (u - r); max welfare max sum u.
 * Ties (within the tolerance below) go to the larger sum of utilities, then to the
 * lexicographically larger utility vector.
 *
 * Tolerance. Utilities reached by different sums of the same weights differ in their last
 * bits (0.9 against 0.9000000000000001), and that noise is no improvement: every comparison
 * of utilities, scores and reservation values (the frontier, dominance of a proposal, the
 * packages that improve on it, acceptability, bargaining ties) treats two values as equal
 * when they differ by at most NEG_TOL times the larger magnitude, or NEG_TOL when both are
 * below 1 (utilities lie in [0, 1], so in practice 1e-12 absolute). One vector dominates
 * another when it is nowhere lower and somewhere higher in that sense; of vectors equal in
 * that sense the frontier keeps one.
 *
 * Pure: no I/O, no globals; every function takes what it needs. */
#ifndef TRUCE_NEGOTIATE_ENGINE_H
#define TRUCE_NEGOTIATE_ENGINE_H

#include "core/err.h"

#include <stddef.h>
#include <stdint.h>

typedef struct neg_domain neg_domain;

/* ---- building a domain ---- */
neg_domain *neg_domain_new(void);
void neg_domain_free(neg_domain *d);
int neg_issue_add(neg_domain *d, const char *name);             /* Returns its index. */
int neg_option_add(neg_domain *d, int issue, const char *name); /* Returns its index. */
int neg_party_add(neg_domain *d, const char *name);             /* Returns its index. */
/* An integer or real range as discrete options lo, lo+step, ... <= hi, named by their value
 * ("%.15g"); returns the issue's index, or -1 when step <= 0, hi < lo or there would be more
 * than 100,000 options. */
int neg_issue_add_range(neg_domain *d, const char *name, double lo, double hi, double step);
void neg_weight_set(neg_domain *d, int party, int issue, double w);
void neg_value_set(neg_domain *d, int party, int issue, int option, double v);
void neg_reservation_set(neg_domain *d, int party, double r);
void neg_red_line_set(neg_domain *d, int party, int issue, int option);
/* Checks the domain and normalises weights to sum to 1. Values must lie in [0, 1]. */
int neg_domain_check(neg_domain *d, tr_err *e);

int neg_issues(const neg_domain *d);
int neg_options(const neg_domain *d, int issue);
int neg_parties(const neg_domain *d);
const char *neg_issue_name(const neg_domain *d, int issue);
const char *neg_option_name(const neg_domain *d, int issue, int option);
const char *neg_party_name(const neg_domain *d, int party);
double neg_weight(const neg_domain *d, int party, int issue);
double neg_value(const neg_domain *d, int party, int issue, int option);
double neg_reservation(const neg_domain *d, int party);
int neg_red_line(const neg_domain *d, int party, int issue, int option);
int neg_issue_find(const neg_domain *d, const char *name);
int neg_option_find(const neg_domain *d, int issue, const char *name);

/* The tolerance of every comparison of utilities (see the top of this file). */
#define NEG_TOL 1e-12
/* -1, 0 or 1 as a is lower than, equal to or higher than b within NEG_TOL. */
int neg_u_cmp(double a, double b);
/* Whether utility vector a dominates b (n parties) within NEG_TOL. */
int neg_dominates(const double *a, const double *b, int n);

/* The number of outcomes, exactly, in decimal. */
void neg_outcome_count(const neg_domain *d, char *out, size_t cap);
/* U_p(package), summed issue by issue in index order. */
double neg_utility(const neg_domain *d, int party, const int *package);

/* ---- results ---- */
typedef struct neg_point {
    double *u;    /* One utility per party. */
    int *package; /* One option per issue. */
} neg_point;

typedef struct neg_limits {
    size_t max_points;     /* Cap on the points kept in any fold step; 0 = 2,000,000. */
    double epsilon;        /* > 0: allow an epsilon-approximate frontier past the cap. */
    size_t max_candidates; /* Cap on the candidates of a fold step (points kept times the
                              issue's options), checked before they are made; past it
                              negotiation.too_complex (or thinning, with epsilon); 0 none. */
    uint64_t deadline_ns;  /* CLOCK_MONOTONIC time (util_mono_ns) past which analysis stops
                              with negotiation.too_complex; 0 none. The one thing the
                              engine reads from outside: a server must bound what a domain
                              sent to it can cost a thread. */
} neg_limits;

typedef struct neg_analysis {
    size_t n_frontier;
    neg_point *frontier; /* Decreasing lexicographic order of utility vectors. */
    double epsilon;      /* 0 when exact. */
    size_t peak_points;  /* Most points kept after any fold step: the memory used. */
    int has_rational;    /* Whether any outcome is rational. */
    double *ideal;       /* Best rational utility per party (when has_rational). */
    neg_point nash, kalai_smorodinsky, egalitarian, max_welfare; /* When has_rational. */
} neg_analysis;

int neg_analyze(const neg_domain *d, const neg_limits *lim, neg_analysis **out, tr_err *e);
void neg_analysis_free(neg_analysis *a);

/* ---- one proposal ---- */
typedef struct neg_proposal {
    double *u, *gains; /* Per party; gains g_p = (u_p - r_p) / (ideal_p - r_p). */
    int *acceptable;   /* Per party. */
    int *red_lines;    /* Per party: how many of its red lines the package crosses. */
    int efficient;     /* No outcome without red lines weakly dominates it. */
    size_t n_dominating;
    neg_point *dominating; /* Packages that dominate it, fewest changed terms first. */
    int *changes;          /* Terms each of them changes. */
    double one_sidedness;  /* max g - min g. */
    double nash_ratio;     /* Its Nash product over the Nash point's (0 when none). */
    int one_sided;
    char reason[1024]; /* Why it is flagged, in words; empty when it is not. */
} neg_proposal;

/* Analyses a package (one option per issue) against the domain's analysis. k bounds the
 * dominating packages reported; threshold is the one-sidedness (default 0.5) above which a
 * package is flagged when a rational package with lower one-sidedness dominates it or is
 * reachable by changing at most two terms. A package unacceptable to a party is flagged
 * whatever its one-sidedness. */
int neg_proposal_analyze(const neg_domain *d, const neg_analysis *a, const int *package, size_t k,
                         double threshold, neg_proposal **out, tr_err *e);
/* The same within lim's deadline (lim may be NULL). */
int neg_proposal_analyze_within(const neg_domain *d, const neg_analysis *a, const int *package,
                                size_t k, double threshold, const neg_limits *lim,
                                neg_proposal **out, tr_err *e);
void neg_proposal_free(neg_proposal *p);

#endif
