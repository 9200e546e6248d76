/* store.h - the negotiate pillar's storage interface: negotiations, the parties' profiles, versions
 * of the text, responses, agreements and signatures. Each backend implements it beside the pillar
 * (store_sqlite.c; store_pg.c with PostgreSQL); negotiate_store() picks the connection's. Lookups
 * return 1 found, 0 not, -1 error. */
#ifndef TRUCE_NEGOTIATE_STORE_H
#define TRUCE_NEGOTIATE_STORE_H

#include "store/store.h"

typedef struct store_negotiation {
    int64_t id;
    char *spec;     /* canonical JSON; malloc'd, the caller frees it */
    char state[16]; /* open | agreed | abandoned */
    char opened_by[STORE_SLUG_MAX];
    char created_at[STORE_TIME_MAX];
} store_negotiation;

typedef struct store_profile {
    char *profile; /* canonical JSON; malloc'd, the caller frees it */
    int version;   /* 1 for the first profile, +1 for every replacement */
    char updated_at[STORE_TIME_MAX];
} store_profile;

/* A row of a negotiation's documents: a profile or a response, by organization. */
typedef struct store_doc {
    const char *org;
    const char *json; /* canonical JSON */
    int version;      /* profiles only */
    const char *time;
} store_doc;

typedef struct store_text {
    char *text;    /* canonical JSON; malloc'd, replaced by text_get */
    char *sent_to; /* JSON array of slugs; likewise */
    char created_at[STORE_TIME_MAX];
} store_text;

typedef struct store_agreement {
    int64_t id, negotiation;
    char *doc;      /* canonical JSON of the agreement object; malloc'd, replaced */
    char state[16]; /* drafted | in_force | recorded (signed elsewhere; negotiation 0) */
    char created_at[STORE_TIME_MAX];
} store_agreement;

typedef struct store_signature {
    const char *org, *public_key, *signature, *time;
} store_signature;

typedef struct negotiate_store_ops {
    /* Negotiations and the parties' private profiles (latest version per party). The
     * spec/profile strings of an out struct must be NULL or malloc'd: they are replaced. */
    int (*negotiation_next_id)(store *s, int64_t *id, tr_err *e);
    int (*negotiation_insert)(store *s, int64_t id, const char *spec, const char *opened_by,
                              const char *when, tr_err *e);
    int (*negotiation_get)(store *s, int64_t id, store_negotiation *out, tr_err *e);
    int (*profile_put)(store *s, int64_t negotiation, const char *org, const char *profile,
                       const char *when, tr_err *e);
    int (*profile_get)(store *s, int64_t negotiation, const char *org, store_profile *out,
                       tr_err *e);
    /* Versions of the negotiating text, and responses (one per party and version). */
    int (*text_insert)(store *s, int64_t negotiation, int n, const char *text, const char *when,
                       tr_err *e);
    int (*text_next)(store *s, int64_t negotiation, int *n, tr_err *e);
    int (*text_get)(store *s, int64_t negotiation, int n, store_text *out, tr_err *e);
    int (*text_send)(store *s, int64_t negotiation, int n, const char *sent_to, tr_err *e);
    int (*response_put)(store *s, int64_t negotiation, int n, const char *org, const char *response,
                        const char *when, tr_err *e);
    int (*negotiation_state)(store *s, int64_t id, const char *state, tr_err *e);
    /* Agreements and their signatures (rows: store_signature). */
    int (*agreement_next_id)(store *s, int64_t *id, tr_err *e);
    /* negotiation 0 for one recorded; state drafted or recorded. */
    int (*agreement_insert)(store *s, int64_t id, int64_t negotiation, const char *doc,
                            const char *state, const char *when, tr_err *e);
    int (*agreement_get)(store *s, int64_t id, store_agreement *out, tr_err *e);
    int (*agreement_state)(store *s, int64_t id, const char *state, tr_err *e);
    int (*signature_put)(store *s, int64_t agreement, const char *org, const char *public_key,
                         const char *signature, const char *when, tr_err *e);
    int (*signature_list)(store *s, int64_t agreement, store_row_cb cb, void *cls, tr_err *e);
    int (*profile_list)(store *s, int64_t negotiation, store_row_cb cb, void *cls,
                        tr_err *e); /* Rows: store_doc. */
    int (*response_list)(store *s, int64_t negotiation, int n, store_row_cb cb, void *cls,
                         tr_err *e); /* Rows: store_doc. */
} negotiate_store_ops;

/* PostgreSQL's (store_pg.c). */
extern const negotiate_store_ops negotiate_pg_ops;

/* The operations of the connection's backend. */
const negotiate_store_ops *negotiate_store(const store *s);

#endif
