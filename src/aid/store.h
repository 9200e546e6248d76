/* store.h - the aid pillar's storage interface: crossings (and, with the aid flow, its
 * requests and truckloads). Each backend implements it beside the pillar
 * (store_sqlite.c; store_pg.c with PostgreSQL); aid_store() picks the connection's. */
#ifndef TRUCE_AID_STORE_H
#define TRUCE_AID_STORE_H

#include "store/store.h"

typedef struct store_crossing {
    char slug[STORE_SLUG_MAX];
    char name[STORE_NAME_MAX];
    double lat, lon; /* WGS84 degrees. */
    char notes[STORE_NAME_MAX];
    char operated_by[STORE_SLUG_MAX]; /* The organization that screens there; "" none. */
    long capacity_per_day;            /* Trucks a day; 0 unknown. */
    char hours[16];                   /* "HH:MM-HH:MM", local time; "" unknown. */
} store_crossing;

/* A closure of a crossing: from_date to to_date inclusive (YYYY-MM-DD; to_date "" while it
 * lasts). */
typedef struct store_closure {
    int64_t id; /* The number of its crossing.closed event in the journal. */
    char crossing[STORE_SLUG_MAX];
    char from_date[11], to_date[11];
    char reason[STORE_NAME_MAX];
    char recorded_by[STORE_SLUG_MAX]; /* The organization; "" for the local operator. */
    char recorded_at[STORE_TIME_MAX];
} store_closure;

typedef struct aid_store_ops {
    int (*crossing_insert)(store *s, const store_crossing *c, tr_err *e);
    /* 1 found, 0 none, -1 error. */
    int (*crossing_get)(store *s, const char *slug, store_crossing *out, tr_err *e);
    /* Every crossing by slug, each as a store_crossing. */
    int (*crossing_list)(store *s, store_row_cb cb, void *cls, tr_err *e);
    int (*closure_insert)(store *s, const store_closure *c, tr_err *e);
    /* 1 found, 0 none, -1 error. */
    int (*closure_get)(store *s, int64_t id, store_closure *out, tr_err *e);
    /* The closures of one crossing by from_date, then id, each as a store_closure. */
    int (*closure_list)(store *s, const char *crossing, store_row_cb cb, void *cls, tr_err *e);
} aid_store_ops;

/* The operations of the connection's backend. */
const aid_store_ops *aid_store(const store *s);

#endif
