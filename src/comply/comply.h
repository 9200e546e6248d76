/* comply.h - compliance: an agreement's terms become obligations, each evaluated from the
 * evidence on any day, answered by its party and decided by the mediators.
 *
 * An obligation belongs to one party of an agreement that is in force (negotiated and
 * signed) or recorded (signed elsewhere). Its days count from the agreement's effective
 * date, day 1. Kinds and their evidence:
 *
 *   prohibition  from_day..to_day, incidents {event_types, sub_event_types?, zones?,
 *                min_status?}, threshold: incidents attributed to the party (actor1 is one
 *                of its actors) in the window; breached when more than the threshold
 *   area         the same from from_day on (to_day optional), zones required
 *   access       from_day..to_day, threshold: denials at the crossings the party operates
 *                (requests rejected, trucks turned back, collections denied)
 *   deadline     due_day: met by a monitor's observation dated on or before it
 *   deliverable  due_day: met when the party itself submits it
 *   schedule     steps [{day, quantity}]: observations' quantities, cumulative by each day
 *   rate         from_day..to_day, rate {per: day, value, basis, source, category?} or an
 *                aid target's id, tolerance: day by day from the aid counts
 *
 * Evaluation is a pure function of the record and a day (as_of): evidence counts on the
 * date it carries, whenever it was entered. States: scheduled, active, met, met_late,
 * partially_met, breached, not_evaluable (no evidence at all for the window: never a
 * silent "met" or "breached"); overlays disputed (answered, not decided), waived,
 * suspended (a counterpart obligation named by suspended_by is breached); a trigger keeps
 * an obligation scheduled until the obligation it names is met. */
#ifndef TRUCE_COMPLY_COMPLY_H
#define TRUCE_COMPLY_COMPLY_H

#include "journal/journal.h"
#include "json/jsx.h"
#include "comply/store.h"

extern const jsx_field obligation_fields[];
/* Defines an obligation of agreement `agreement` (mediators, administrators): *id. 404
 * agreement.not_found; 409 obligation.agreement_drafted, obligation.ref_exists; 400 naming
 * the field (a party not in the agreement, a field the kind needs or does not take...). */
int comply_define(store *s, const journal_actor *who, int64_t agreement, const json_t *in,
                  int64_t *id, tr_err *e);

/* 404 obligation.not_found. */
int comply_find(store *s, int64_t id, store_obligation *out, tr_err *e);

extern const jsx_field observation_fields[], deliverable_fields[], response_fields[],
    decision_fields[];
/* Monitors observe; the obligated party delivers and answers (403 naming it for anyone
 * else); mediators decide (409 obligation.not_disputed to uphold or overturn what nobody
 * answered). `org` is the caller's organization, admin whether an administrator. */
int comply_observe(store *s, const journal_actor *who, int64_t id, const json_t *in, tr_err *e);
int comply_deliver(store *s, const journal_actor *who, const char *org, int admin, int64_t id,
                   const json_t *in, tr_err *e);
int comply_answer(store *s, const journal_actor *who, const char *org, int admin, int64_t id,
                  const json_t *in, tr_err *e);
int comply_decide(store *s, const journal_actor *who, int64_t id, const json_t *in, tr_err *e);

/* An obligation as it stood on as_of (YYYY-MM-DD), with its evidence. */
json_t *comply_evaluate(store *s, const store_obligation *o, const char *as_of, tr_err *e);
/* Every obligation of an agreement on as_of: {"agreement", "as_of", "obligations": [...]}. */
json_t *comply_list(store *s, int64_t agreement, const char *as_of, tr_err *e);
/* The scorecard on as_of: per party, counts by state (provisional and settled), the share
 * met, per phase; per obligation its state and the Peace Accords Matrix's 0-3. */
json_t *comply_scorecard(store *s, int64_t agreement, const char *as_of, tr_err *e);

/* What needs attention on as_of: {"as_of", "within_days", "alerts": [{"kind": "breached" |
 * "due_soon" | "rate_burn", "obligation", "agreement", "ref", "party", "title", "state",
 * "message", "due"?, "burn"?}]}; due_soon within `within` days; waived ones none. */
json_t *comply_alerts(store *s, const char *as_of, int64_t within, tr_err *e);
/* The same as an Atom feed, links under base (may be ""). */
struct buf;
int comply_alerts_atom(const json_t *alerts, const char *base, struct buf *out);

/* Each change of state as of as_of since the state last journaled: [{"obligation", "from",
 * "to", "overlays", "as_of"}] (read on any connection). */
json_t *comply_changes(store *s, const char *as_of, tr_err *e);
/* Journals the changes still to record (another settle may have), as
 * obligation.state_changed (public); *n how many. In the caller's transaction. */
int comply_record_changes(store *s, const journal_actor *who, const json_t *changes, int *n,
                          tr_err *e);
/* Both, in a transaction of s's own (truce comply settle). */
int comply_settle(store *s, const char *as_of, int *n, tr_err *e);
/* The server's minute: the changes as of today, read on reader, written through w. */
#include "store/writer.h"
int comply_tick(store *reader, writer *w, unsigned every, tr_err *e);

/* The daily report for date (sitrep.c): {"date", "from", "checkpoint": {"tree_size",
 * "time", "note"} | null, "incidents": {"days": [{"date", "by_type", "by_party",
 * "total"}]}, "aid": (GET /aid/daily of the fortnight), "obligations": [scorecards]} over
 * the fourteen days ending on date; public incidents only. */
json_t *comply_sitrep(store *s, const char *date, tr_err *e);
/* The same as an HTML page with SVG charts in lang (en, ar, he; <html lang dir>). */
int comply_sitrep_html(const json_t *report, const char *lang, struct buf *out);

/* Webhooks (webhooks.c): registered by administrators (input checked against
 * webhook_fields: url, events, secret), journaled as webhook.registered, seen by the
 * registrar and administrators only (the secret); *id. */
extern const jsx_field webhook_fields[];
int webhook_register(store *s, const journal_actor *who, const json_t *in, int64_t *id, tr_err *e);
json_t *webhook_json(const store_webhook *w); /* without its secret */
json_t *delivery_json(const store_delivery *d);
/* "sha256=" and the hex HMAC-SHA256 of body with secret: X-Truce-Signature. */
void webhook_sign(const char *secret, const char *body, size_t len, char out[72]);
/* The server's ticker: queue the new events' deliveries, then attempt those due. */
int webhooks_tick(store *reader, writer *w, unsigned every, tr_err *e);

#endif
