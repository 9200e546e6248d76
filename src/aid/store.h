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

/* A request to move cargo through a crossing (UN2720's unique tracking number is its ref). */
typedef struct store_request {
    int64_t id; /* The number of its aid.request_submitted event. */
    char ref[STORE_SLUG_MAX];
    char org[STORE_SLUG_MAX]; /* The requesting organization. */
    char crossing[STORE_SLUG_MAX];
    char destination[STORE_SLUG_MAX]; /* A zone's slug. */
    char lines[2048];                 /* Its lines, as canonical JSON (an array). */
    char state[16];                   /* submitted, cleared, rejected, cancelled */
    char reason[STORE_NAME_MAX];      /* Of the last move; "" none. */
    int64_t submitted_ms, cleared_ms; /* Unix ms; cleared_ms 0 until cleared. */
    int64_t updated_ms;
} store_request;

/* A truckload dispatched under a cleared request. Times are Unix milliseconds, 0 for a
 * step it has not reached; t[] is indexed by enum aid_step. */
enum aid_step {
    AID_T_DISPATCHED,
    AID_T_AT_CROSSING,
    AID_T_SCREENED,
    AID_T_OFFLOADED,
    AID_T_COLLECTED,
    AID_T_ARRIVED,
    AID_T_STEPS
};
typedef struct store_truck {
    int64_t id;
    int64_t request;
    char org[STORE_SLUG_MAX];
    char crossing[STORE_SLUG_MAX];
    char destination[STORE_SLUG_MAX];
    char category[16];
    double pallets, tonnes;
    char state[24];
    char reason[STORE_NAME_MAX]; /* Of the last move that needed one; "" none. */
    char day[11];                /* The day it was dispatched (dwell is by this day). */
    int64_t t[AID_T_STEPS];
    int64_t last_ms; /* The time of its last move. */
} store_truck;

/* A filter of requests or trucks as one caller may list them. */
typedef struct aid_filter {
    const char *viewer; /* An organization: only what it requested or screens; NULL all. */
    const char *state, *crossing, *category; /* NULL any. */
    int64_t request;                         /* Trucks: 0 any. */
    int64_t after, limit;
} aid_filter;

/* A day's count from one source on one basis, optionally for a crossing and a category
 * ("" for none). */
typedef struct store_aid_count {
    char day[11];
    char source[STORE_SLUG_MAX], basis[STORE_SLUG_MAX];
    char crossing[STORE_SLUG_MAX], category[16];
    double value;
} store_aid_count;

/* How many truckloads moved into a state on a day, by crossing, category and destination. */
typedef struct store_truck_day {
    char day[11];
    char crossing[STORE_SLUG_MAX], category[16], destination[STORE_SLUG_MAX];
    char state[24];
    int64_t n;
} store_truck_day;

/* The steps whose durations are kept: request submitted -> cleared, and a truck's steps. */
enum aid_dwell_step {
    AID_D_CLEARANCE,  /* submitted -> cleared (a request) */
    AID_D_QUEUE,      /* dispatched -> at the crossing */
    AID_D_SCREENING,  /* at the crossing -> screened */
    AID_D_OFFLOADING, /* screened -> offloaded */
    AID_D_COLLECTION, /* offloaded -> collected */
    AID_D_DELIVERY,   /* collected -> arrived */
    AID_D_STEPS
};

/* Some durations of one step: n values in ms (native int64), valid during a scan's callback. */
typedef struct store_durations {
    int step;
    const int64_t *ms;
    size_t n;
} store_durations;

typedef struct store_target {
    int64_t id; /* The number of its aid.target_set event. */
    char name[STORE_NAME_MAX];
    char per[8]; /* day, total */
    double value;
    char basis[STORE_SLUG_MAX], source[STORE_SLUG_MAX];
    char category[16];       /* "" any */
    char destinations[1024]; /* canonical JSON array of zone slugs; "" any */
    char from_day[11], to_day[11];
    char created_by[STORE_SLUG_MAX];
} store_target;

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

    int (*request_insert)(store *s, const store_request *r, tr_err *e);
    /* 1 found, 0 none, -1 error. */
    int (*request_get)(store *s, int64_t id, store_request *out, tr_err *e);
    int (*request_by_ref)(store *s, const char *ref, store_request *out, tr_err *e);
    int (*request_update)(store *s, const store_request *r, tr_err *e); /* state, reason, times */
    /* By id after f->after, at most f->limit, each as a store_request. */
    int (*request_scan)(store *s, const aid_filter *f, store_row_cb cb, void *cls, tr_err *e);

    int (*truck_next_id)(store *s, int64_t *out, tr_err *e);
    int (*truck_insert)(store *s, const store_truck *t, tr_err *e);
    int (*truck_get)(store *s, int64_t id, store_truck *out, tr_err *e); /* 1, 0, -1 */
    /* A move into state at ms (recording step's time when step >= 0), with its reason;
     * fills day's crossing, category and destination, and *after the truck as it is then
     * (its day and times), from the truck. 1, 0 none, -1. */
    int (*truck_moved)(store *s, int64_t id, const char *state, const char *reason, int step,
                       int64_t ms, store_truck_day *day, store_truck *after, tr_err *e);
    /* How many trucks of a category were dispatched under a request. */
    int (*truck_count)(store *s, int64_t request, const char *category, int64_t *out, tr_err *e);
    int (*truck_scan)(store *s, const aid_filter *f, store_row_cb cb, void *cls, tr_err *e);
    /* Records that a step took ms, for a truck dispatched (a request submitted) on day through
     * crossing. */
    int (*dwell_add)(store *s, int step, const char *day, const char *crossing, int64_t ms,
                     tr_err *e);
    /* How many durations each step has for days from..to through crossing ("" any). */
    int (*dwell_count)(store *s, const char *from, const char *to, const char *crossing,
                       int64_t counts[AID_D_STEPS], tr_err *e);
    /* The durations of the steps for days from..to through crossing ("" any), as
     * store_durations rows. */
    int (*dwell_scan)(store *s, const char *from, const char *to, const char *crossing,
                      store_row_cb cb, void *cls, tr_err *e);
    /* Adds n to a day's moves into a state. */
    int (*truck_day_add)(store *s, const store_truck_day *d, tr_err *e);
    /* The days from..to, by day, each as a store_truck_day (crossing, category: "" any). */
    int (*truck_day_scan)(store *s, const char *from, const char *to, const char *crossing,
                          const char *category, store_row_cb cb, void *cls, tr_err *e);

    /* Sets a count (replacing the same day, source, basis, crossing and category). */
    int (*count_put)(store *s, const store_aid_count *c, tr_err *e);
    /* Optional: sets n counts at once, as count_put each in turn would (none repeats). */
    int (*count_put_many)(store *s, const store_aid_count *c, size_t n, tr_err *e);
    int (*count_get)(store *s, const store_aid_count *key, store_aid_count *out,
                     tr_err *e); /* 1,0,-1 */
    /* Counts from..to, by day (basis, crossing, category: "" any). */
    int (*count_scan)(store *s, const char *from, const char *to, const char *basis,
                      const char *crossing, const char *category, store_row_cb cb, void *cls,
                      tr_err *e);

    int (*target_insert)(store *s, const store_target *t, tr_err *e);
    int (*target_get)(store *s, int64_t id, store_target *out, tr_err *e); /* 1, 0, -1 */
    int (*target_scan)(store *s, store_row_cb cb, void *cls, tr_err *e);   /* by id */
} aid_store_ops;

/* PostgreSQL's (store_pg.c). */
extern const aid_store_ops aid_pg_ops;

/* The operations of the connection's backend. */
const aid_store_ops *aid_store(const store *s);

#endif
