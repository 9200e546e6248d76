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
    char finding[16]; /* provisional, upheld, overturned, waived */
} store_ob_state;

typedef struct store_webhook {
    int64_t id; /* the number of its webhook.registered event */
    char org[STORE_SLUG_MAX];
    char url[2049];
    char events[512]; /* canonical JSON array of event names */
    char secret[257];
    char created_at[STORE_TIME_MAX];
} store_webhook;

/* One event to deliver to one webhook, and how the attempts went. */
typedef struct store_delivery {
    int64_t id, webhook, seq;
    char event[40];
    char status[16]; /* pending, delivered, failed */
    int attempts;
    int64_t next_ms; /* when to try again */
    int last_code;   /* the last HTTP status, 0 none */
    char last_error[STORE_NAME_MAX];
    char updated_at[STORE_TIME_MAX];
} store_delivery;

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
    /* The last day every obligation was settled as of ("" none): 1, 0, -1; and setting it. */
    int (*settled_get)(store *s, char out[11], tr_err *e);
    int (*settled_set)(store *s, const char *as_of, tr_err *e);
    int (*note_insert)(store *s, const store_note *n, tr_err *e);
    int (*webhook_insert)(store *s, const store_webhook *w, tr_err *e);
    int (*webhook_get)(store *s, int64_t id, store_webhook *out, tr_err *e); /* 1, 0, -1 */
    /* Webhooks by id, of one organization (NULL: all), as store_webhook rows. */
    int (*webhook_list)(store *s, const char *org, store_row_cb cb, void *cls, tr_err *e);
    /* The last journal event looked at for deliveries (0 none yet), and moving it on. */
    int (*cursor_get)(store *s, int64_t *seq, tr_err *e);
    int (*cursor_set)(store *s, int64_t seq, tr_err *e);
    /* A delivery to make (none twice for one webhook and event). */
    int (*delivery_insert)(store *s, const store_delivery *d, tr_err *e);
    /* Pending deliveries due by now_ms, oldest first, at most limit. */
    int (*delivery_due)(store *s, int64_t now_ms, int64_t limit, store_row_cb cb, void *cls,
                        tr_err *e);
    int (*delivery_update)(store *s, const store_delivery *d, tr_err *e);
    int (*delivery_list)(store *s, int64_t webhook, store_row_cb cb, void *cls, tr_err *e);
    /* An obligation's notes by id, as store_note rows. */
    int (*note_list)(store *s, int64_t obligation, store_row_cb cb, void *cls, tr_err *e);
} comply_store_ops;

/* PostgreSQL's (store_pg.c). */
extern const comply_store_ops comply_pg_ops;

const comply_store_ops *comply_store(const store *s);

#endif
