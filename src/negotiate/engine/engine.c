/* engine.c - Pareto frontier by folding issues, bargaining points, proposal analysis;
 * see engine.h. */
#include "negotiate/engine/engine.h"

#include "core/util.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct issue {
    char *name;
    int n_opt;
    char **opt;
} issue;

typedef struct party {
    char *name;
    double r;
    double *w;           /* [issue] */
    double **v;          /* [issue][option] */
    unsigned char **red; /* [issue][option] */
    int *cap;            /* [issue]: options allocated in v/red */
    int n_issue_cap;
} party;

struct neg_domain {
    int n_issues, n_parties;
    issue *issues;
    party *parties;
};

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p) abort();
    return p;
}

static char *xstrdup(const char *s)
{
    char *p = strdup(s ? s : "");
    if (!p) abort();
    return p;
}

neg_domain *neg_domain_new(void)
{
    neg_domain *d = calloc(1, sizeof *d);
    if (!d) abort();
    return d;
}

void neg_domain_free(neg_domain *d)
{
    if (!d) return;
    for (int p = 0; p < d->n_parties; p++) {
        party *pa = &d->parties[p];
        for (int i = 0; i < pa->n_issue_cap; i++) {
            free(pa->v[i]);
            free(pa->red[i]);
        }
        free(pa->v);
        free(pa->red);
        free(pa->cap);
        free(pa->w);
        free(pa->name);
    }
    for (int i = 0; i < d->n_issues; i++) {
        for (int o = 0; o < d->issues[i].n_opt; o++)
            free(d->issues[i].opt[o]);
        free(d->issues[i].opt);
        free(d->issues[i].name);
    }
    free(d->issues);
    free(d->parties);
    free(d);
}

int neg_issue_add(neg_domain *d, const char *name)
{
    d->issues = xrealloc(d->issues, (size_t)(d->n_issues + 1) * sizeof *d->issues);
    d->issues[d->n_issues] = (issue){xstrdup(name), 0, NULL};
    return d->n_issues++;
}

int neg_option_add(neg_domain *d, int i, const char *name)
{
    issue *is = &d->issues[i];
    is->opt = xrealloc(is->opt, (size_t)(is->n_opt + 1) * sizeof *is->opt);
    is->opt[is->n_opt] = xstrdup(name);
    return is->n_opt++;
}

int neg_issue_add_range(neg_domain *d, const char *name, double lo, double hi, double step)
{
    int i;
    if (!(step > 0) || !(hi >= lo) || (hi - lo) / step > 100000) return -1;
    i = neg_issue_add(d, name);
    for (long k = 0; lo + (double)k * step <= hi + step * 1e-9; k++) {
        char label[64];
        snprintf(label, sizeof label, "%.15g", lo + (double)k * step);
        neg_option_add(d, i, label);
    }
    return i;
}

int neg_party_add(neg_domain *d, const char *name)
{
    d->parties = xrealloc(d->parties, (size_t)(d->n_parties + 1) * sizeof *d->parties);
    memset(&d->parties[d->n_parties], 0, sizeof(party));
    d->parties[d->n_parties].name = xstrdup(name);
    return d->n_parties++;
}

/* Makes room in party p for issue i and all its options. */
static party *room(neg_domain *d, int p, int i)
{
    party *pa = &d->parties[p];
    if (i >= pa->n_issue_cap) {
        int n = d->n_issues > i + 1 ? d->n_issues : i + 1;
        pa->w = xrealloc(pa->w, (size_t)n * sizeof *pa->w);
        pa->v = xrealloc(pa->v, (size_t)n * sizeof *pa->v);
        pa->red = xrealloc(pa->red, (size_t)n * sizeof *pa->red);
        pa->cap = xrealloc(pa->cap, (size_t)n * sizeof *pa->cap);
        for (int k = pa->n_issue_cap; k < n; k++) {
            pa->w[k] = 0;
            pa->v[k] = NULL;
            pa->red[k] = NULL;
            pa->cap[k] = 0;
        }
        pa->n_issue_cap = n;
    }
    if (pa->cap[i] < d->issues[i].n_opt) {
        int n = d->issues[i].n_opt;
        pa->v[i] = xrealloc(pa->v[i], (size_t)n * sizeof **pa->v);
        pa->red[i] = xrealloc(pa->red[i], (size_t)n);
        for (int o = pa->cap[i]; o < n; o++) {
            pa->v[i][o] = 0;
            pa->red[i][o] = 0;
        }
        pa->cap[i] = n;
    }
    return pa;
}

void neg_weight_set(neg_domain *d, int p, int i, double w)
{
    room(d, p, i)->w[i] = w;
}
void neg_value_set(neg_domain *d, int p, int i, int o, double v)
{
    room(d, p, i)->v[i][o] = v;
}
void neg_reservation_set(neg_domain *d, int p, double r)
{
    d->parties[p].r = r;
}
void neg_red_line_set(neg_domain *d, int p, int i, int o)
{
    room(d, p, i)->red[i][o] = 1;
}

int neg_issues(const neg_domain *d)
{
    return d->n_issues;
}
int neg_options(const neg_domain *d, int i)
{
    return d->issues[i].n_opt;
}
int neg_parties(const neg_domain *d)
{
    return d->n_parties;
}
const char *neg_issue_name(const neg_domain *d, int i)
{
    return d->issues[i].name;
}
const char *neg_option_name(const neg_domain *d, int i, int o)
{
    return d->issues[i].opt[o];
}
const char *neg_party_name(const neg_domain *d, int p)
{
    return d->parties[p].name;
}
double neg_reservation(const neg_domain *d, int p)
{
    return d->parties[p].r;
}

double neg_weight(const neg_domain *d, int p, int i)
{
    const party *pa = &d->parties[p];
    return i < pa->n_issue_cap ? pa->w[i] : 0;
}

double neg_value(const neg_domain *d, int p, int i, int o)
{
    const party *pa = &d->parties[p];
    return i < pa->n_issue_cap && o < pa->cap[i] ? pa->v[i][o] : 0;
}

int neg_red_line(const neg_domain *d, int p, int i, int o)
{
    const party *pa = &d->parties[p];
    return i < pa->n_issue_cap && o < pa->cap[i] ? pa->red[i][o] : 0;
}

int neg_issue_find(const neg_domain *d, const char *name)
{
    for (int i = 0; i < d->n_issues; i++)
        if (strcmp(d->issues[i].name, name) == 0) return i;
    return -1;
}

int neg_option_find(const neg_domain *d, int i, const char *name)
{
    for (int o = 0; o < d->issues[i].n_opt; o++)
        if (strcmp(d->issues[i].opt[o], name) == 0) return o;
    return -1;
}

int neg_domain_check(neg_domain *d, tr_err *e)
{
    if (d->n_parties < 2)
        return err_set(e, 400, "negotiation.parties", "give a profile for each party",
                       "a negotiation needs at least two parties, not %d", d->n_parties);
    if (d->n_issues < 1)
        return err_set(e, 400, "negotiation.issues", NULL, "the domain has no issues");
    for (int i = 0; i < d->n_issues; i++)
        if (d->issues[i].n_opt < 1)
            return err_set(e, 400, "negotiation.options", NULL, "issue '%s' has no options",
                           d->issues[i].name);
    for (int p = 0; p < d->n_parties; p++) {
        double sum = 0;
        for (int i = 0; i < d->n_issues; i++) {
            party *pa = room(d, p, i);
            if (!(pa->w[i] >= 0) || !isfinite(pa->w[i]))
                return err_set(e, 400, "negotiation.weight", NULL,
                               "%s's weight for '%s' is not a non-negative number", pa->name,
                               d->issues[i].name);
            sum += pa->w[i];
            for (int o = 0; o < d->issues[i].n_opt; o++)
                if (!(pa->v[i][o] >= 0 && pa->v[i][o] <= 1))
                    return err_set(e, 400, "negotiation.value", "values lie in [0, 1]",
                                   "%s's value for %s=%s is %g", pa->name, d->issues[i].name,
                                   d->issues[i].opt[o], pa->v[i][o]);
        }
        if (!(sum > 0))
            return err_set(e, 400, "negotiation.weight", NULL, "%s's weights are all zero",
                           d->parties[p].name);
        /* Weights already normalised (within rounding) stay as they are, so that checking a
         * domain twice, or reading back an export, changes no bit. */
        if (fabs(sum - 1) > 1e-12)
            for (int i = 0; i < d->n_issues; i++)
                d->parties[p].w[i] /= sum;
    }
    return 0;
}

void neg_outcome_count(const neg_domain *d, char *out, size_t cap)
{
    /* Schoolbook multiplication on decimal digits, least significant first. */
    unsigned char digits[512] = {1};
    size_t n = 1;
    for (int i = 0; i < d->n_issues; i++) {
        unsigned carry = 0, m = (unsigned)d->issues[i].n_opt;
        for (size_t k = 0; k < n; k++) {
            unsigned v = digits[k] * m + carry;
            digits[k] = (unsigned char)(v % 10);
            carry = v / 10;
        }
        while (carry && n < sizeof digits) {
            digits[n++] = (unsigned char)(carry % 10);
            carry /= 10;
        }
    }
    size_t j = 0;
    for (size_t k = n; k-- > 0 && j + 1 < cap;)
        out[j++] = (char)('0' + digits[k]);
    out[j] = 0;
}

double neg_utility(const neg_domain *d, int p, const int *package)
{
    double u = 0;
    for (int i = 0; i < d->n_issues; i++) {
        const party *pa = &d->parties[p];
        u += pa->w[i] * pa->v[i][package[i]];
    }
    return u;
}

/* ---- the fold ------------------------------------------------------------------------ */

typedef struct layer {
    size_t n;
    int *prev; /* Index in the previous layer, -1 for the first. */
    int *opt;  /* Option chosen at this layer's issue. */
} layer;

typedef struct cand {
    const double *u;
    double sum;
    int prev, opt;
} cand;

/* Decreasing sum, then decreasing lexicographic; arg points at the party count. */
static int cmp_sum(const void *a, const void *b, void *arg)
{
    const cand *x = a, *y = b;
    int n = *(const int *)arg;
    if (x->sum != y->sum) return x->sum > y->sum ? -1 : 1;
    for (int p = 0; p < n; p++)
        if (x->u[p] != y->u[p]) return x->u[p] > y->u[p] ? -1 : 1;
    return 0;
}

static int cmp_two(const void *a, const void *b, void *arg)
{
    (void)arg;
    const cand *x = a, *y = b;
    if (x->u[0] != y->u[0]) return x->u[0] > y->u[0] ? -1 : 1;
    if (x->u[1] != y->u[1]) return x->u[1] > y->u[1] ? -1 : 1;
    return 0;
}

/* ---- comparing utilities ----------------------------------------------------------- */

/* Utilities reached by different sums of the same weights differ in their last bits, so
 * every comparison of utilities goes through these: two values closer than NEG_TOL times
 * the larger magnitude (and never less than NEG_TOL apart for values below 1) are equal. */
static inline double tol(double a, double b)
{
    double m = fmax(1.0, fmax(fabs(a), fabs(b)));
    return NEG_TOL * m;
}

/* Whether a is lower than b beyond the tolerance. The exact test first: it settles most
 * comparisons of the dominance filter, the engine's inner loop. */
static inline int below(double a, double b)
{
    if (!(a < b)) return 0;
    double d = b - a;
    if (d <= NEG_TOL) return 0;
    double m = fabs(a) > fabs(b) ? fabs(a) : fabs(b);
    return m <= 1 || d > NEG_TOL * m; /* utilities lie in [0, 1]: the first, nearly always */
}

int neg_u_cmp(double a, double b)
{
    return below(b, a) - below(a, b);
}

int neg_dominates(const double *a, const double *b, int n)
{
    int better = 0;
    for (int p = 0; p < n; p++) {
        if (below(a[p], b[p])) return 0;
        better |= below(b[p], a[p]);
    }
    return better;
}

/* a dominates b or equals it, both within the tolerance. */
static int covers(const double *a, const double *b, int n)
{
    for (int p = 0; p < n; p++)
        if (below(a[p], b[p])) return 0;
    return 1;
}

/* Keeps the candidates that no other dominates or equals within the tolerance (one per
 * vector, the first in sort order); returns how many, moved to the front of c. */
static size_t pareto_filter(cand *c, size_t n, int np, const neg_limits *lim)
{
    size_t kept = 0;
    if (n == 0) return 0;
    if (np == 2) {
        /* Decreasing u0: a candidate is covered by an earlier one unless it has more u1
         * than all of them. */
        double best = -INFINITY;
        qsort_r(c, n, sizeof *c, cmp_two, &np);
        for (size_t i = 0; i < n; i++) {
            if (i == 0 || neg_u_cmp(c[i].u[1], best) > 0) c[kept++] = c[i];
            if (c[i].u[1] > best) best = c[i].u[1];
        }
        /* A later kept point has more u1; when its u0 is equal within the tolerance, it
         * dominates this one. */
        size_t out = 0;
        for (size_t i = 0; i < kept; i++)
            if (i + 1 == kept || neg_u_cmp(c[i + 1].u[0], c[i].u[0]) < 0) c[out++] = c[i];
        return out;
    }
    qsort_r(c, n, sizeof *c, cmp_sum, &np);
    for (size_t i = 0; i < n; i++) {
        int dominated = 0;
        if ((i & 4095) == 4095 && lim && lim->deadline_ns && util_mono_ns() >= lim->deadline_ns)
            return (size_t)-1; /* out of time: the caller says so */
        for (size_t k = 0; k < kept && !dominated; k++)
            dominated = covers(c[k].u, c[i].u, np);
        if (!dominated) c[kept++] = c[i];
    }
    /* A point of a sum smaller by less than np tolerances can still dominate: look at the
     * kept points just after each one. */
    size_t out = 0;
    for (size_t i = 0; i < kept; i++) {
        int dominated = 0;
        for (size_t k = i + 1; k < kept && !dominated; k++) {
            if (c[k].sum < c[i].sum - np * tol(c[k].sum, c[i].sum)) break;
            dominated = neg_dominates(c[k].u, c[i].u, np);
        }
        if (!dominated) c[out++] = c[i];
    }
    return out;
}

/* Epsilon thinning: one candidate per epsilon-cell (the one with the largest sum). */
static size_t thin(cand *c, size_t n, int np, double eps)
{
    size_t kept = 0;
    qsort_r(c, n, sizeof *c, cmp_sum, &np);
    /* Cells of kept points, in an open-addressing table. */
    size_t cap = 1;
    while (cap < 2 * n)
        cap <<= 1;
    int64_t *keys = calloc(cap * (size_t)np, sizeof *keys);
    unsigned char *used = calloc(cap, 1);
    if (!keys || !used) abort();
    int64_t *key = xrealloc(NULL, (size_t)np * sizeof *key);
    for (size_t i = 0; i < n; i++) {
        uint64_t h = 1469598103934665603u;
        for (int p = 0; p < np; p++) {
            key[p] = (int64_t)floor(c[i].u[p] / eps);
            h = (h ^ (uint64_t)key[p]) * 1099511628211u;
        }
        size_t slot = (size_t)h & (cap - 1);
        int seen = 0;
        while (used[slot]) {
            if (memcmp(&keys[slot * (size_t)np], key, (size_t)np * sizeof *key) == 0) {
                seen = 1;
                break;
            }
            slot = (slot + 1) & (cap - 1);
        }
        if (seen) continue;
        used[slot] = 1;
        memcpy(&keys[slot * (size_t)np], key, (size_t)np * sizeof *key);
        c[kept++] = c[i];
    }
    free(key);
    free(keys);
    free(used);
    return kept;
}

static int cmp_lex(const void *a, const void *b, void *arg)
{
    const neg_point *x = a, *y = b;
    int n = *(const int *)arg;
    for (int p = 0; p < n; p++)
        if (x->u[p] != y->u[p]) return x->u[p] > y->u[p] ? -1 : 1;
    return 0;
}

static void point_copy(neg_point *dst, const neg_point *src, int np, int ni)
{
    dst->u = xrealloc(NULL, (size_t)np * sizeof *dst->u);
    dst->package = xrealloc(NULL, (size_t)ni * sizeof *dst->package);
    memcpy(dst->u, src->u, (size_t)np * sizeof *dst->u);
    memcpy(dst->package, src->package, (size_t)ni * sizeof *dst->package);
}

/* Whether a point of score s, utility sum and vector u beats the best so far: a larger score;
 * on a tie, a larger sum (unless the score is the sum); then the lexicographically larger
 * vector. Every comparison within the tolerance. */
static int better(double s, double sum, const double *u, double best_s, double best_sum,
                  const double *best_u, int np, int sum_breaks)
{
    int c = neg_u_cmp(s, best_s);
    if (c == 0 && sum_breaks) c = neg_u_cmp(sum, best_sum);
    for (int p = 0; c == 0 && p < np; p++)
        c = neg_u_cmp(u[p], best_u[p]);
    return c > 0;
}

/* Whether the deadline has passed; sets the error when it has. */
static int past_deadline(const neg_limits *lim, tr_err *e)
{
    if (!lim || !lim->deadline_ns || util_mono_ns() < lim->deadline_ns) return 0;
    err_set(e, 422, "negotiation.too_complex",
            "fewer issues or options make it tractable; `truce analyze --epsilon` approximates "
            "it offline",
            "the analysis did not finish within its time limit");
    return 1;
}

int neg_analyze(const neg_domain *d, const neg_limits *lim, neg_analysis **out, tr_err *e)
{
    const int np = d->n_parties, ni = d->n_issues;
    size_t max_points = lim && lim->max_points ? lim->max_points : 2000000;
    double eps = lim ? lim->epsilon : 0;
    layer *layers = calloc((size_t)ni, sizeof *layers);
    double *cur = NULL, *next = NULL; /* Utility vectors of the current layer / candidates. */
    cand *c = NULL;
    size_t n_cur = 0, thinned = 0, peak = 0;
    neg_analysis *a;
    int rc = -1;

    if (!layers) abort();
    *out = NULL;
    for (int i = 0; i < ni; i++) {
        const issue *is = &d->issues[i];
        /* Each allowed option's contribution to every party. */
        int n_allowed = 0;
        int *allowed = xrealloc(NULL, (size_t)is->n_opt * sizeof *allowed);
        for (int o = 0; o < is->n_opt; o++) {
            int red = 0;
            for (int p = 0; p < np; p++)
                red |= neg_red_line(d, p, i, o);
            if (!red) allowed[n_allowed++] = o;
        }
        size_t n_prev = i == 0 ? 1 : n_cur, n_cand = n_prev * (size_t)n_allowed;
        if (n_allowed == 0) {
            free(allowed);
            n_cur = 0;
            break; /* Every option of this issue is somebody's red line. */
        }
        if (past_deadline(lim, e)) {
            free(allowed);
            goto done;
        }
        if (lim && lim->max_candidates && n_cand > lim->max_candidates && !(eps > 0)) {
            free(allowed);
            err_set(e, 422, "negotiation.too_complex",
                    "fewer issues or options make it tractable; `truce analyze --epsilon` "
                    "approximates it offline",
                    "the analysis would weigh %zu candidate packages at issue '%s', more than "
                    "the %zu allowed",
                    n_cand, is->name, lim->max_candidates);
            goto done;
        }
        next = xrealloc(next, (n_cand + 1) * (size_t)np * sizeof *next);
        c = xrealloc(c, (n_cand + 1) * sizeof *c);
        size_t k = 0;
        for (size_t j = 0; j < n_prev; j++)
            for (int q = 0; q < n_allowed; q++, k++) {
                int o = allowed[q];
                double *u = &next[k * (size_t)np], sum = 0;
                for (int p = 0; p < np; p++) {
                    double add = d->parties[p].w[i] * d->parties[p].v[i][o];
                    u[p] = i == 0 ? add : cur[j * (size_t)np + (size_t)p] + add;
                    sum += u[p];
                }
                c[k] = (cand){u, sum, i == 0 ? -1 : (int)j, o};
            }
        free(allowed);
        if (eps > 0 &&
            (n_cand > max_points || (lim && lim->max_candidates && n_cand > lim->max_candidates))) {
            n_cand = thin(c, n_cand, np, eps);
            thinned++;
        }
        size_t kept = pareto_filter(c, n_cand, np, lim);
        if (kept == (size_t)-1) {
            past_deadline(lim, e);
            goto done;
        }
        if (kept > max_points) {
            if (eps > 0) {
                kept = pareto_filter(c, thin(c, kept, np, eps), np, NULL);
                thinned++;
            }
            if (kept > max_points) {
                err_set(e, 422, "negotiation.frontier_too_large",
                        "pass --epsilon E to compute an approximate frontier",
                        "the Pareto frontier grew past %zu points at issue '%s'", max_points,
                        is->name);
                goto done;
            }
        }
        layers[i].n = kept;
        if (kept > peak) peak = kept;
        layers[i].prev = xrealloc(NULL, kept * sizeof(int));
        layers[i].opt = xrealloc(NULL, kept * sizeof(int));
        double *nv = xrealloc(NULL, (kept + 1) * (size_t)np * sizeof *nv);
        for (size_t j = 0; j < kept; j++) {
            layers[i].prev[j] = c[j].prev;
            layers[i].opt[j] = c[j].opt;
            memcpy(&nv[j * (size_t)np], c[j].u, (size_t)np * sizeof *nv);
        }
        free(cur);
        cur = nv;
        n_cur = kept;
    }

    a = calloc(1, sizeof *a);
    if (!a) abort();
    a->epsilon = thinned ? eps * (double)thinned : 0;
    a->peak_points = peak;
    a->n_frontier = n_cur;
    a->frontier = calloc(n_cur + 1, sizeof *a->frontier);
    if (!a->frontier) abort();
    for (size_t j = 0; j < n_cur; j++) {
        neg_point *pt = &a->frontier[j];
        pt->u = xrealloc(NULL, (size_t)np * sizeof *pt->u);
        pt->package = xrealloc(NULL, (size_t)ni * sizeof *pt->package);
        memcpy(pt->u, &cur[j * (size_t)np], (size_t)np * sizeof *pt->u);
        int idx = (int)j;
        for (int i = ni - 1; i >= 0; i--) {
            pt->package[i] = layers[i].opt[idx];
            idx = layers[i].prev[idx];
        }
    }
    {
        int npar = np;
        if (a->n_frontier) qsort_r(a->frontier, a->n_frontier, sizeof *a->frontier, cmp_lex, &npar);
    }

    /* Bargaining points over the rational frontier points. */
    a->ideal = calloc((size_t)np, sizeof *a->ideal);
    if (!a->ideal) abort();
    const neg_point *best[4] = {NULL, NULL, NULL, NULL};
    double score[4] = {0}, tie[4] = {0};
    for (size_t j = 0; j < a->n_frontier; j++) {
        const double *u = a->frontier[j].u;
        int rational = 1;
        for (int p = 0; p < np; p++)
            rational &= neg_u_cmp(u[p], d->parties[p].r) >= 0;
        if (!rational) continue;
        for (int p = 0; p < np; p++)
            if (!a->has_rational || u[p] > a->ideal[p]) a->ideal[p] = u[p];
        a->has_rational = 1;
    }
    for (size_t j = 0; a->has_rational && j < a->n_frontier; j++) {
        const double *u = a->frontier[j].u;
        double prod = 1, ming = INFINITY, minsur = INFINITY, sum = 0;
        int rational = 1;
        for (int p = 0; p < np; p++)
            rational &= neg_u_cmp(u[p], d->parties[p].r) >= 0;
        if (!rational) continue;
        for (int p = 0; p < np; p++) {
            double r = d->parties[p].r, span = a->ideal[p] - r;
            double g = span > 0 ? (u[p] - r) / span : 1;
            prod *= u[p] - r;
            if (g < ming) ming = g;
            if (u[p] - r < minsur) minsur = u[p] - r;
            sum += u[p];
        }
        double s[4] = {prod, ming, minsur, sum};
        for (int b = 0; b < 4; b++)
            if (!best[b] || better(s[b], sum, u, score[b], tie[b], best[b]->u, np, b < 3)) {
                best[b] = &a->frontier[j];
                score[b] = s[b];
                tie[b] = sum;
            }
    }
    if (a->has_rational) {
        point_copy(&a->nash, best[0], np, ni);
        point_copy(&a->kalai_smorodinsky, best[1], np, ni);
        point_copy(&a->egalitarian, best[2], np, ni);
        point_copy(&a->max_welfare, best[3], np, ni);
    }
    *out = a;
    rc = 0;
done:
    for (int i = 0; i < ni; i++) {
        free(layers[i].prev);
        free(layers[i].opt);
    }
    free(layers);
    free(cur);
    free(next);
    free(c);
    return rc;
}

static void point_free(neg_point *p)
{
    free(p->u);
    free(p->package);
}

void neg_analysis_free(neg_analysis *a)
{
    if (!a) return;
    for (size_t j = 0; j < a->n_frontier; j++)
        point_free(&a->frontier[j]);
    free(a->frontier);
    free(a->ideal);
    point_free(&a->nash);
    point_free(&a->kalai_smorodinsky);
    point_free(&a->egalitarian);
    point_free(&a->max_welfare);
    free(a);
}

/* ---- one proposal ----------------------------------------------------------------- */

typedef struct evaluated {
    double u[16], g[16], spread, sum;
    int rational; /* Acceptable to every party. */
    int red;      /* Crosses somebody's red line. */
} evaluated;

static void evaluate(const neg_domain *d, const neg_analysis *a, const int *pkg, evaluated *x)
{
    int np = d->n_parties;
    double lo = INFINITY, hi = -INFINITY;
    x->rational = 1;
    x->red = 0;
    x->sum = 0;
    for (int p = 0; p < np; p++) {
        double r = d->parties[p].r;
        double span = a->has_rational ? a->ideal[p] - r : 1 - r;
        x->u[p] = neg_utility(d, p, pkg);
        x->g[p] = span > 0 ? (x->u[p] - r) / span : 1;
        x->sum += x->u[p];
        if (x->g[p] < lo) lo = x->g[p];
        if (x->g[p] > hi) hi = x->g[p];
        x->rational &= neg_u_cmp(x->u[p], r) >= 0;
        for (int i = 0; i < d->n_issues; i++)
            x->red |= neg_red_line(d, p, i, pkg[i]);
    }
    x->spread = hi - lo;
    x->rational &= !x->red;
}

typedef struct cand_list {
    neg_point *pts;
    int *changes;
    size_t n, cap;
} cand_list;

static void cand_add(cand_list *l, const neg_domain *d, const int *pkg, const double *u, int ch)
{
    int np = d->n_parties, ni = d->n_issues;
    for (size_t j = 0; j < l->n; j++) /* one per utility vector */
        if (covers(l->pts[j].u, u, np) && covers(u, l->pts[j].u, np)) {
            if (ch < l->changes[j]) {
                memcpy(l->pts[j].package, pkg, (size_t)ni * sizeof *pkg);
                l->changes[j] = ch;
            }
            return;
        }
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 16;
        l->pts = xrealloc(l->pts, l->cap * sizeof *l->pts);
        l->changes = xrealloc(l->changes, l->cap * sizeof *l->changes);
    }
    neg_point pt = {(double *)u, (int *)pkg};
    point_copy(&l->pts[l->n], &pt, np, ni);
    l->changes[l->n++] = ch;
}

int neg_proposal_analyze(const neg_domain *d, const neg_analysis *a, const int *package, size_t k,
                         double threshold, neg_proposal **out, tr_err *e)
{
    return neg_proposal_analyze_within(d, a, package, k, threshold, NULL, out, e);
}

int neg_proposal_analyze_within(const neg_domain *d, const neg_analysis *a, const int *package,
                                size_t k, double threshold, const neg_limits *lim,
                                neg_proposal **out, tr_err *e)
{
    size_t evaluations = 0;
    const int np = d->n_parties, ni = d->n_issues;
    neg_proposal *r;
    evaluated me, x;
    cand_list dom = {0};
    int *pkg, better_nearby = 0;
    if (np > 16)
        return err_set(e, 400, "negotiation.parties", NULL,
                       "proposal analysis handles at most 16 parties");
    for (int i = 0; i < ni; i++)
        if (package[i] < 0 || package[i] >= d->issues[i].n_opt)
            return err_set(e, 400, "negotiation.bad_package", NULL,
                           "the package has no valid option for issue '%s'", d->issues[i].name);
    r = calloc(1, sizeof *r);
    if (!r) abort();
    r->u = calloc((size_t)np, sizeof *r->u);
    r->gains = calloc((size_t)np, sizeof *r->gains);
    r->acceptable = calloc((size_t)np, sizeof *r->acceptable);
    r->red_lines = calloc((size_t)np, sizeof *r->red_lines);
    if (!r->u || !r->gains || !r->acceptable || !r->red_lines) abort();
    evaluate(d, a, package, &me);
    for (int p = 0; p < np; p++) {
        r->u[p] = me.u[p];
        r->gains[p] = me.g[p];
        for (int i = 0; i < ni; i++)
            r->red_lines[p] += neg_red_line(d, p, i, package[i]);
        r->acceptable[p] = r->red_lines[p] == 0 && neg_u_cmp(me.u[p], d->parties[p].r) >= 0;
    }
    r->one_sidedness = me.spread;

    /* Packages one or two terms away, then the frontier: which dominate it, and whether a
     * rational, less one-sided package is within reach. */
    pkg = xrealloc(NULL, (size_t)ni * sizeof *pkg);
    for (int i = 0; i < ni; i++) {
        for (int oi = 0; oi < d->issues[i].n_opt; oi++) {
            if (oi == package[i]) continue;
            memcpy(pkg, package, (size_t)ni * sizeof *pkg);
            pkg[i] = oi;
            evaluate(d, a, pkg, &x);
            if (!x.red && neg_dominates(x.u, me.u, np)) cand_add(&dom, d, pkg, x.u, 1);
            if (x.rational && neg_u_cmp(x.spread, me.spread) < 0) better_nearby = 1;
            for (int j = i + 1; j < ni; j++)
                for (int oj = 0; oj < d->issues[j].n_opt; oj++) {
                    if (oj == package[j]) continue;
                    if ((++evaluations & 4095) == 0 && past_deadline(lim, e)) {
                        free(pkg);
                        for (size_t q = 0; q < dom.n; q++)
                            point_free(&dom.pts[q]);
                        free(dom.pts);
                        free(dom.changes);
                        neg_proposal_free(r);
                        return -1;
                    }
                    pkg[j] = oj;
                    evaluate(d, a, pkg, &x);
                    if (!x.red && neg_dominates(x.u, me.u, np)) cand_add(&dom, d, pkg, x.u, 2);
                    if (x.rational && neg_u_cmp(x.spread, me.spread) < 0) better_nearby = 1;
                    pkg[j] = package[j];
                }
        }
    }
    r->efficient = 1;
    for (size_t j = 0; j < a->n_frontier; j++) {
        const neg_point *f = &a->frontier[j];
        if (!neg_dominates(f->u, me.u, np)) continue;
        r->efficient = 0;
        int ch = 0;
        for (int i = 0; i < ni; i++)
            ch += f->package[i] != package[i];
        cand_add(&dom, d, f->package, f->u, ch);
        evaluate(d, a, f->package, &x);
        if (x.rational && neg_u_cmp(x.spread, me.spread) < 0) better_nearby = 1;
    }
    if (dom.n) r->efficient = 0;
    /* Closest first, then the largest sum. */
    for (size_t s = 1; s < dom.n; s++)
        for (size_t t = s; t > 0; t--) {
            double s1 = 0, s0 = 0;
            for (int p = 0; p < np; p++) {
                s1 += dom.pts[t].u[p];
                s0 += dom.pts[t - 1].u[p];
            }
            if (dom.changes[t] < dom.changes[t - 1] ||
                (dom.changes[t] == dom.changes[t - 1] && s1 > s0)) {
                neg_point tp = dom.pts[t];
                int tc = dom.changes[t];
                dom.pts[t] = dom.pts[t - 1];
                dom.changes[t] = dom.changes[t - 1];
                dom.pts[t - 1] = tp;
                dom.changes[t - 1] = tc;
            } else {
                break;
            }
        }
    r->n_dominating = dom.n < k ? dom.n : k;
    for (size_t j = r->n_dominating; j < dom.n; j++)
        point_free(&dom.pts[j]);
    r->dominating = dom.pts;
    r->changes = dom.changes;

    if (a->has_rational) {
        double mine = 1, best = 1;
        for (int p = 0; p < np; p++) {
            double s = me.u[p] - d->parties[p].r;
            mine *= s > 0 ? s : 0;
            best *= a->nash.u[p] - d->parties[p].r;
        }
        r->nash_ratio = best > 0 ? mine / best : 0;
    }

    /* The flag and its reason. */
    size_t at = 0;
    for (int p = 0; p < np; p++) {
        if (r->acceptable[p]) continue;
        r->one_sided = 1;
        if (r->red_lines[p]) {
            at += (size_t)snprintf(
                r->reason + at, at < sizeof r->reason ? sizeof r->reason - at : 0,
                "%sunacceptable to %s: it crosses %s's red line%s on", at ? "; " : "",
                d->parties[p].name, d->parties[p].name, r->red_lines[p] > 1 ? "s" : "");
            for (int i = 0; i < ni; i++)
                if (neg_red_line(d, p, i, package[i]) && at < sizeof r->reason)
                    at += (size_t)snprintf(r->reason + at, sizeof r->reason - at, " %s=%s",
                                           d->issues[i].name, d->issues[i].opt[package[i]]);
        } else if (at < sizeof r->reason) {
            at += (size_t)snprintf(r->reason + at, sizeof r->reason - at,
                                   "%sunacceptable to %s: it gives %.2f, below its reservation "
                                   "value %.2f",
                                   at ? "; " : "", d->parties[p].name, me.u[p], d->parties[p].r);
        }
    }
    if (!r->one_sided && neg_u_cmp(me.spread, threshold) > 0 && better_nearby) {
        int lo = 0, hi = 0;
        for (int p = 1; p < np; p++) {
            if (me.g[p] < me.g[lo]) lo = p;
            if (me.g[p] > me.g[hi]) hi = p;
        }
        r->one_sided = 1;
        at = (size_t)snprintf(r->reason, sizeof r->reason,
                              "one-sided: %s gains %.2f of what it could, %s only %.2f, and a "
                              "package acceptable to all and more balanced is within two terms "
                              "or dominates it; the terms costing %s most:",
                              d->parties[hi].name, me.g[hi], d->parties[lo].name, me.g[lo],
                              d->parties[lo].name);
        /* Terms by what they cost the worse-off party against its best option there. */
        int used[64] = {0};
        for (int t = 0; t < 3 && t < ni && at < sizeof r->reason; t++) {
            int worst = -1;
            double worst_loss = 0;
            for (int i = 0; i < ni && i < 64; i++) {
                double best_v = 0;
                for (int o = 0; o < d->issues[i].n_opt; o++)
                    if (d->parties[lo].v[i][o] > best_v) best_v = d->parties[lo].v[i][o];
                double loss = d->parties[lo].w[i] * (best_v - d->parties[lo].v[i][package[i]]);
                if (!used[i] && loss > worst_loss) {
                    worst = i;
                    worst_loss = loss;
                }
            }
            if (worst < 0) break;
            used[worst] = 1;
            at += (size_t)snprintf(r->reason + at, sizeof r->reason - at, "%s %s=%s (-%.2f)",
                                   t ? "," : "", d->issues[worst].name,
                                   d->issues[worst].opt[package[worst]], worst_loss);
        }
    }
    free(pkg);
    *out = r;
    return 0;
}

void neg_proposal_free(neg_proposal *p)
{
    if (!p) return;
    for (size_t j = 0; j < p->n_dominating; j++)
        point_free(&p->dominating[j]);
    free(p->dominating);
    free(p->changes);
    free(p->u);
    free(p->gains);
    free(p->acceptable);
    free(p->red_lines);
    free(p);
}
