/* store.h - the compliance pillar's storage interface: the obligations an agreement's terms
 * become, and what is said of each (monitors' observations, the party's deliverables and
 * answers, mediators' decisions). Each backend implements it beside the pillar
 * (store_sqlite.c); comply_store() picks the connection's. */
#ifndef TRUCE_COMPLY_STORE_H
#define TRUCE_COMPLY_STORE_H

#include "store/store.h"

typedef struct store_obligation {
    int64_t id; /* the number of its obligation.defined event */
    int64_t agreement;
    char ref[33];
    char title[STORE_NAME_MAX];
    char party[STORE_SLUG_MAX];
    char kind[16];
    char *spec; /* canonical JSON of the whole definition; malloc'd, replaced by a get */
    char created_at[STORE_TIME_MAX];
} store_obligation;

/* Something said of an obligation: kind observation | deliverable | response | decision. */
typedef struct store_note {
    int64_t id; /* the number of its event */
    int64_t obligation;
    char kind[16];
    char org[STORE_SLUG_MAX]; /* who said it; "" for the local operator */
    char date[11];            /* the day it is about (observations, deliverables) or was said */
    const char *doc;          /* canonical JSON of what was said; valid during a scan's callback */
    char recorded_at[STORE_TIME_MAX];
} store_note;

/* The state last journaled for an obligation (obligation.state_changed). */
typedef struct store_ob_state {
    int64_t obligation;
    char state[24];
    char overlays[128]; /* canonical JSON array */
    char as_of[11];
} store_ob_state;

typedef struct comply_store_ops {
    int (*obligation_insert)(store *s, const store_obligation *o, tr_err *e);
    /* 1 found, 0 none, -1 error; out->spec is (re)allocated. */
    int (*obligation_get)(store *s, int64_t id, store_obligation *out, tr_err *e);
    int (*obligation_by_ref)(store *s, int64_t agreement, const char *ref, int64_t *id, tr_err *e);
    /* An agreement's obligations by id, as store_obligation rows (spec valid during cb). */
    int (*obligation_list)(store *s, int64_t agreement, store_row_cb cb, void *cls, tr_err *e);
    /* Every obligation by id (spec valid during cb). */
    int (*obligation_all)(store *s, store_row_cb cb, void *cls, tr_err *e);
    int (*state_put)(store *s, const store_ob_state *st, tr_err *e);
    int (*state_get)(store *s, int64_t obligation, store_ob_state *out, tr_err *e); /* 1,0,-1 */
    int (*note_insert)(store *s, const store_note *n, tr_err *e);
    /* An obligation's notes by id, as store_note rows. */
    int (*note_list)(store *s, int64_t obligation, store_row_cb cb, void *cls, tr_err *e);
} comply_store_ops;

const comply_store_ops *comply_store(const store *s);

#endif
