/* flow.h - aid through the crossings: requests to move cargo, and the truckloads
 * dispatched under them, each moved step by step.
 *
 * A request (UN2720's unique tracking number is its ref) asks to move lines of cargo
 * through a crossing to a destination zone; the crossing's operator clears or rejects it,
 * the requester may cancel it. Truckloads are dispatched under a cleared request, at most
 * as many of a category as its line asked for, and move:
 *
 *   dispatched -> at_crossing -> screened | turned_back -> offloaded         (the operator)
 *   offloaded -> collected | collection_denied; collection_denied -> the same
 *   collected -> in_transit -> arrived | intercepted | lost | damaged;
 *   arrived -> distributed                                (the requesting organization)
 *
 * Every move is a journal event with its time (now, or an earlier time it was observed:
 * never the future, never before the truck's last move), actor, source and reason, seen by
 * the requester, the operator, monitors, mediators and administrators. A move out of order
 * is a 409 aid.bad_transition listing the moves allowed; by another organization, a 403.
 * Repeating a truck's last move with the same time changes nothing (a retried batch). */
#ifndef TRUCE_AID_FLOW_H
#define TRUCE_AID_FLOW_H

#include "journal/journal.h"
#include "json/jsx.h"
#include "aid/store.h"

/* Who acts: the actor, its organization's kind and whether an administrator. */
typedef struct aid_who {
    journal_actor actor;
    const char *kind; /* "humanitarian", "party", ...; NULL for none */
    int admin;
} aid_who;

/* The organization whose records this caller is limited to: its own, unless a monitor, a
 * mediator or an administrator (NULL: everything). */
const char *aid_viewer(const aid_who *w);

/* The steps whose times a truckload keeps (enum aid_step's names), and the step a state
 * is (-1: none). */
extern const char *const aid_step_names[AID_T_STEPS];
int aid_step(const char *state);

extern const char *const aid_categories[]; /* food, fuel, ..., other; NULL-terminated */
int aid_is_category(const char *s);

extern const jsx_field request_fields[];
/* Submits a request (humanitarian organizations); sets *id. 409 aid.ref_exists; 400
 * naming crossing, destination or lines[i].category. */
int aid_request_submit(store *s, const aid_who *w, const json_t *in, int64_t *id, tr_err *e);

/* The request `id` as w may see it: 1 with *out, or -1 (404 aid.request_not_found). */
int aid_request_find(store *s, const aid_who *w, int64_t id, store_request *out, tr_err *e);
json_t *aid_request_json(const store_request *r);

extern const jsx_field request_move_fields[];
int aid_request_move(store *s, const aid_who *w, int64_t id, const json_t *in, tr_err *e);

extern const jsx_field dispatch_fields[];
/* Dispatches in.count truckloads under a cleared request; *trucks gets their ids (a new
 * JSON array). */
int aid_dispatch(store *s, const aid_who *w, int64_t request, const json_t *in, json_t **trucks,
                 tr_err *e);

int aid_truck_find(store *s, const aid_who *w, int64_t id, store_truck *out, tr_err *e);
json_t *aid_truck_json(const store_truck *t);

extern const jsx_field truck_move_fields[];
extern const jsx_field trucks_move_fields[];
/* Moves one truck (id > 0) or the trucks in.trucks, all or none; *out (a new array) gets
 * each truck as it is after the move (out NULL: a bulk load that needs no answer). An
 * error about one truck names it (detail.truck). */
int aid_trucks_move(store *s, const aid_who *w, int64_t id, const json_t *in, json_t **out,
                    tr_err *e);

/* Unix ms of in.at (an observed time, validated: not in the future, not before since_ms),
 * or now without it; -1 after a 400 naming `at`. */
int aid_move_time(const json_t *in, int64_t since_ms, int64_t *ms, tr_err *e);

#endif
