/* counts.h - how much aid went in, by whose count: daily counts from every source on its
 * own basis, truce's own truckload records beside them, targets and the progress toward
 * them, and the time trucks spend at each step.
 *
 * A count is a value for one day from one source (unrwa, cogat, un2720...) on one basis
 * (trucks_entered, trucks_collected, pallets, tonnes...), optionally for a crossing and a
 * category. A source's rows for a day are the parts of its day: they are added up across
 * crossings and categories (so a source posts either its day's total or its parts, not
 * both). Counts of different sources or bases are never added together.
 *
 * truce's own records are the source "truce" (which nobody may post to), on the bases
 * trucks_dispatched, trucks_entered (moved into offloaded: through the crossing),
 * trucks_collected, trucks_arrived and trucks_distributed, each counted on the day of the
 * move. */
#ifndef TRUCE_AID_COUNTS_H
#define TRUCE_AID_COUNTS_H

#include "aid/flow.h"

extern const jsx_field count_fields[];
/* Records a count (input checked against count_fields) as event aid.count_recorded
 * (public); *changed is 0 when the same value was already there, and nothing is recorded.
 * 400 naming source (truce's own), crossing or category. */
int aid_count_record(store *s, const journal_actor *who, const json_t *in, int *changed, tr_err *e);
json_t *aid_count_json(const store_aid_count *c);
/* A count as its journal event gives it: {date, value, crossing?, category?, replaces?}
 * ("" crossing or category and NULL replaces left out); aid.count_recorded adds source and
 * basis, aid.counts_recorded lists them under its own. */
json_t *aid_count_entry(const char *day, const char *crossing, const char *category, double value,
                        const double *replaces);

extern const jsx_field target_fields[];
/* Sets a target (mediators, administrators) as event aid.target_set (public); *id. */
int aid_target_set(store *s, const journal_actor *who, const json_t *in, int64_t *id, tr_err *e);
/* 404 aid.target_not_found. */
int aid_target_find(store *s, int64_t id, store_target *out, tr_err *e);
json_t *aid_target_json(const store_target *t);

/* The longest span a query covers, in days. */
#define AID_MAX_DAYS 3660

/* GET /aid/daily: {"days": [{"date", "counts", "truckloads", "targets"}]} for the days
 * from..to (checked dates, to - from < AID_MAX_DAYS); crossing and category "" for all. */
json_t *aid_daily(store *s, const char *from, const char *to, const char *crossing,
                  const char *category, tr_err *e);
/* GET /aid/reconciliation: each day's value of every source on one basis, and the spread. */
json_t *aid_reconciliation(store *s, const char *from, const char *to, const char *basis,
                           const char *crossing, const char *category, tr_err *e);
/* GET /aid/targets/{id}/progress as of a day (elapsed days end there). */
json_t *aid_progress(store *s, const store_target *t, const char *as_of, tr_err *e);
/* GET /aid/dwell: per step, the hours it took (nearest-rank median and 90th percentile,
 * and maximum), over the trucks dispatched (and requests submitted) from..to. */
json_t *aid_dwell(store *s, const char *from, const char *to, const char *crossing, tr_err *e);

/* What a target counts (its source, basis, category, destinations) on each day from..to
 * into out (to - from + 1 values); *rows: how many counts or truck tallies made them (0:
 * nothing was counted at all). The compliance pillar's rate obligations read this. */
int aid_values(store *s, const store_target *t, const char *from, const char *to, double *out,
               int64_t *rows, tr_err *e);

/* Is s a name of a source or a basis: 1-64 of [a-z0-9_-]? */
int aid_is_name(const char *s);

/* The k-th smallest of v[0..n) (0-based, k < n), moving the others around it: Hoare's
 * selection, the pivot the median of three, so that a sorted or constant run stays linear.
 * The dwell percentiles' nearest ranks, without sorting a million durations. */
int64_t aid_select_kth(int64_t *v, size_t n, size_t k);

/* A number as JSON: an integer when it is one (600, not 600.0). */
json_t *aid_number(double v);

#endif
