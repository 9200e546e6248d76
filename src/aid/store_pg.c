/* store_pg.c - the aid pillar's storage on PostgreSQL (aid/store.h), through the store's
 * connection (store/pg_pillar.h): store_sqlite.c's operations in PostgreSQL's SQL. */
#include "aid/store.h"

#include "store/pg_pillar.h"

#include <stdlib.h>
#include <string.h>

static int done(int64_t changed)
{
    return changed < 0 ? -1 : 0;
}

/* ---- crossings and closures ---------------------------------------------------------- */

#define CROSSING_COLS "slug, name, lat, lon, notes, operated_by, capacity_per_day, hours"
static const char crossing_insert_sql[] =
    "INSERT INTO crossings(" CROSSING_COLS ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
static const char crossing_get_sql[] = "SELECT " CROSSING_COLS " FROM crossings WHERE slug = $1";
static const char crossing_list_sql[] = "SELECT " CROSSING_COLS " FROM crossings ORDER BY slug";

static void read_crossing(const PGresult *r, int i, void *row)
{
    store_crossing *c = row;
    pgr_copy(c->slug, sizeof c->slug, r, i, 0);
    pgr_copy(c->name, sizeof c->name, r, i, 1);
    c->lat = pgr_f(r, i, 2);
    c->lon = pgr_f(r, i, 3);
    pgr_copy(c->notes, sizeof c->notes, r, i, 4);
    pgr_copy(c->operated_by, sizeof c->operated_by, r, i, 5);
    c->capacity_per_day = (long)pgr_i64(r, i, 6);
    pgr_copy(c->hours, sizeof c->hours, r, i, 7);
}

static int crossing_insert(store *s, const store_crossing *c, tr_err *e)
{
    return done(pgx(s, e, crossing_insert_sql, "ttffttit", c->slug, c->name, c->lat, c->lon,
                    c->notes, c->operated_by, (int64_t)c->capacity_per_day, c->hours));
}

static int crossing_get(store *s, const char *slug, store_crossing *out, tr_err *e)
{
    return pg_row(pgq(s, e, crossing_get_sql, "t", slug), read_crossing, out);
}

static int crossing_list(store *s, store_row_cb cb, void *cls, tr_err *e)
{
    store_crossing c;
    return pg_scan(s, pgq(s, e, crossing_list_sql, ""), read_crossing, &c, cb, cls, e);
}

#define CLOSURE_COLS "id, crossing, from_date, to_date, reason, recorded_by, recorded_at"
static const char closure_insert_sql[] =
    "INSERT INTO crossing_closures(" CLOSURE_COLS ") VALUES ($1, $2, $3, $4, $5, $6, $7)";
static const char closure_get_sql[] = "SELECT " CLOSURE_COLS " FROM crossing_closures"
                                      " WHERE id = $1";
static const char closure_list_sql[] = "SELECT " CLOSURE_COLS " FROM crossing_closures"
                                       " WHERE crossing = $1 ORDER BY from_date, id";

static void read_closure(const PGresult *r, int i, void *row)
{
    store_closure *c = row;
    c->id = pgr_i64(r, i, 0);
    pgr_copy(c->crossing, sizeof c->crossing, r, i, 1);
    pgr_copy(c->from_date, sizeof c->from_date, r, i, 2);
    pgr_copy(c->to_date, sizeof c->to_date, r, i, 3);
    pgr_copy(c->reason, sizeof c->reason, r, i, 4);
    pgr_copy(c->recorded_by, sizeof c->recorded_by, r, i, 5);
    pgr_copy(c->recorded_at, sizeof c->recorded_at, r, i, 6);
}

static int closure_insert(store *s, const store_closure *c, tr_err *e)
{
    return done(pgx(s, e, closure_insert_sql, "itttttt", c->id, c->crossing, c->from_date,
                    c->to_date, c->reason, c->recorded_by, c->recorded_at));
}

static int closure_get(store *s, int64_t id, store_closure *out, tr_err *e)
{
    return pg_row(pgq(s, e, closure_get_sql, "i", id), read_closure, out);
}

static int closure_list(store *s, const char *crossing, store_row_cb cb, void *cls, tr_err *e)
{
    store_closure c;
    return pg_scan(s, pgq(s, e, closure_list_sql, "t", crossing), read_closure, &c, cb, cls, e);
}

/* ---- requests ------------------------------------------------------------------------- */

#define REQUEST_COLS                                                                               \
    "id, ref, org, crossing, destination, lines, state, reason, submitted_ms, cleared_ms,"         \
    " updated_ms"
static const char request_insert_sql[] = "INSERT INTO aid_requests(" REQUEST_COLS ")"
                                         " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
static const char request_get_sql[] = "SELECT " REQUEST_COLS " FROM aid_requests WHERE id = $1";
static const char request_ref_sql[] = "SELECT " REQUEST_COLS " FROM aid_requests WHERE ref = $1";
static const char request_update_sql[] = "UPDATE aid_requests SET state = $1, reason = $2,"
                                         " cleared_ms = $3, updated_ms = $4 WHERE id = $5";
/* A viewer sees what its organization requested and what passes the crossings it screens. */
#define VIEWER_SEES                                                                                \
    " AND ($2::text IS NULL OR org = $2 OR crossing IN (SELECT slug FROM crossings"                \
    " WHERE operated_by = $2)) AND ($3::text IS NULL OR state = $3)"                               \
    " AND ($4::text IS NULL OR crossing = $4)"
static const char request_scan_sql[] =
    "SELECT " REQUEST_COLS " FROM aid_requests WHERE id > $1" VIEWER_SEES " ORDER BY id LIMIT $5";

static void read_request(const PGresult *res, int i, void *row)
{
    store_request *r = row;
    r->id = pgr_i64(res, i, 0);
    pgr_copy(r->ref, sizeof r->ref, res, i, 1);
    pgr_copy(r->org, sizeof r->org, res, i, 2);
    pgr_copy(r->crossing, sizeof r->crossing, res, i, 3);
    pgr_copy(r->destination, sizeof r->destination, res, i, 4);
    pgr_copy(r->lines, sizeof r->lines, res, i, 5);
    pgr_copy(r->state, sizeof r->state, res, i, 6);
    pgr_copy(r->reason, sizeof r->reason, res, i, 7);
    r->submitted_ms = pgr_i64(res, i, 8);
    r->cleared_ms = pgr_i64(res, i, 9);
    r->updated_ms = pgr_i64(res, i, 10);
}

static int request_insert(store *s, const store_request *r, tr_err *e)
{
    return done(pgx(s, e, request_insert_sql, "itttttttiii", r->id, r->ref, r->org, r->crossing,
                    r->destination, r->lines, r->state, r->reason, r->submitted_ms, r->cleared_ms,
                    r->updated_ms));
}

static int request_get(store *s, int64_t id, store_request *out, tr_err *e)
{
    return pg_row(pgq(s, e, request_get_sql, "i", id), read_request, out);
}

static int request_by_ref(store *s, const char *ref, store_request *out, tr_err *e)
{
    return pg_row(pgq(s, e, request_ref_sql, "t", ref), read_request, out);
}

static int request_update(store *s, const store_request *r, tr_err *e)
{
    return done(pgx(s, e, request_update_sql, "ttiii", r->state, r->reason, r->cleared_ms,
                    r->updated_ms, r->id));
}

static int request_scan(store *s, const aid_filter *f, store_row_cb cb, void *cls, tr_err *e)
{
    store_request r;
    return pg_scan(s,
                   pgq(s, e, request_scan_sql, "ittti", f->after, f->viewer, f->state, f->crossing,
                       (int64_t)f->limit),
                   read_request, &r, cb, cls, e);
}

/* ---- trucks ----------------------------------------------------------------------------- */

#define TRUCK_COLS                                                                                 \
    "id, request, org, crossing, destination, category, pallets, tonnes, state, reason, day,"      \
    " t_dispatched, t_at_crossing, t_screened, t_offloaded, t_collected, t_arrived, last_ms"
static const char truck_next_sql[] = "SELECT coalesce(max(id), 0) + 1 FROM aid_trucks";
static const char truck_insert_sql[] =
    "INSERT INTO aid_trucks(" TRUCK_COLS ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,"
    " $11, $12, $13, $14, $15, $16, $17, $18)";
static const char truck_get_sql[] = "SELECT " TRUCK_COLS " FROM aid_trucks WHERE id = $1";
/* One statement a move, returning what the day's tally needs. */
static const char truck_moved_sql[] =
    "UPDATE aid_trucks SET state = $2, reason = $3, last_ms = $5,"
    " t_at_crossing = CASE $4::int WHEN 1 THEN $5 ELSE t_at_crossing END,"
    " t_screened = CASE $4::int WHEN 2 THEN $5 ELSE t_screened END,"
    " t_offloaded = CASE $4::int WHEN 3 THEN $5 ELSE t_offloaded END,"
    " t_collected = CASE $4::int WHEN 4 THEN $5 ELSE t_collected END,"
    " t_arrived = CASE $4::int WHEN 5 THEN $5 ELSE t_arrived END"
    " WHERE id = $1 RETURNING crossing, category, destination, day, t_dispatched,"
    " t_at_crossing, t_screened, t_offloaded, t_collected, t_arrived";
static const char truck_count_sql[] =
    "SELECT count(*) FROM aid_trucks WHERE request = $1 AND category = $2";
static const char truck_scan_sql[] =
    "SELECT " TRUCK_COLS " FROM aid_trucks WHERE id > $1" VIEWER_SEES
    " AND ($6::bigint = 0 OR request = $6) AND ($7::text IS NULL OR category = $7)"
    " ORDER BY id LIMIT $5";
static const char truck_day_add_sql[] =
    "INSERT INTO aid_truck_days AS d(day, crossing, category, destination, state, n)"
    " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT(day, crossing, category, destination, state)"
    " DO UPDATE SET n = d.n + excluded.n";
static const char truck_day_scan_sql[] =
    "SELECT day, crossing, category, destination, state, n FROM aid_truck_days"
    " WHERE day BETWEEN $1 AND $2 AND ($3 = '' OR crossing = $3) AND ($4 = '' OR category = $4)"
    " ORDER BY day, crossing, category, destination, state";

static void read_truck(const PGresult *r, int i, void *row)
{
    store_truck *t = row;
    t->id = pgr_i64(r, i, 0);
    t->request = pgr_i64(r, i, 1);
    pgr_copy(t->org, sizeof t->org, r, i, 2);
    pgr_copy(t->crossing, sizeof t->crossing, r, i, 3);
    pgr_copy(t->destination, sizeof t->destination, r, i, 4);
    pgr_copy(t->category, sizeof t->category, r, i, 5);
    t->pallets = pgr_f(r, i, 6);
    t->tonnes = pgr_f(r, i, 7);
    pgr_copy(t->state, sizeof t->state, r, i, 8);
    pgr_copy(t->reason, sizeof t->reason, r, i, 9);
    pgr_copy(t->day, sizeof t->day, r, i, 10);
    for (int k = 0; k < AID_T_STEPS; k++)
        t->t[k] = pgr_i64(r, i, 11 + k);
    t->last_ms = pgr_i64(r, i, 11 + AID_T_STEPS);
}

static int truck_next_id(store *s, int64_t *out, tr_err *e)
{
    return pgi(s, out, e, truck_next_sql, "") < 0 ? -1 : 0;
}

static int truck_insert(store *s, const store_truck *t, tr_err *e)
{
    return done(pgx(s, e, truck_insert_sql,
                    "iittttffttti"
                    "iiiiii",
                    t->id, t->request, t->org, t->crossing, t->destination, t->category, t->pallets,
                    t->tonnes, t->state, t->reason, t->day, t->t[0], t->t[1], t->t[2], t->t[3],
                    t->t[4], t->t[5], t->last_ms));
}

static int truck_get(store *s, int64_t id, store_truck *out, tr_err *e)
{
    return pg_row(pgq(s, e, truck_get_sql, "i", id), read_truck, out);
}

typedef struct moved {
    store_truck_day *day;
    store_truck *after;
} moved;

static void read_moved(const PGresult *r, int i, void *row)
{
    moved *m = row;
    pgr_copy(m->day->crossing, sizeof m->day->crossing, r, i, 0);
    pgr_copy(m->day->category, sizeof m->day->category, r, i, 1);
    pgr_copy(m->day->destination, sizeof m->day->destination, r, i, 2);
    pgr_copy(m->after->day, sizeof m->after->day, r, i, 3);
    for (int k = 0; k < AID_T_STEPS; k++)
        m->after->t[k] = pgr_i64(r, i, 4 + k);
}

static int truck_moved(store *s, int64_t id, const char *state, const char *reason, int step,
                       int64_t ms, store_truck_day *day, store_truck *after, tr_err *e)
{
    moved m = {day, after};
    return pg_row(pgq(s, e, truck_moved_sql, "ittdi", id, state, reason, step, ms), read_moved, &m);
}

static int truck_count(store *s, int64_t request, const char *category, int64_t *out, tr_err *e)
{
    return pgi(s, out, e, truck_count_sql, "it", request, category) < 0 ? -1 : 0;
}

static int truck_scan(store *s, const aid_filter *f, store_row_cb cb, void *cls, tr_err *e)
{
    store_truck t;
    return pg_scan(s,
                   pgq(s, e, truck_scan_sql, "itttiit", f->after, f->viewer, f->state, f->crossing,
                       (int64_t)f->limit, f->request, f->category),
                   read_truck, &t, cb, cls, e);
}

static void read_truck_day(const PGresult *r, int i, void *row)
{
    store_truck_day *d = row;
    pgr_copy(d->day, sizeof d->day, r, i, 0);
    pgr_copy(d->crossing, sizeof d->crossing, r, i, 1);
    pgr_copy(d->category, sizeof d->category, r, i, 2);
    pgr_copy(d->destination, sizeof d->destination, r, i, 3);
    pgr_copy(d->state, sizeof d->state, r, i, 4);
    d->n = pgr_i64(r, i, 5);
}

static int truck_day_add(store *s, const store_truck_day *d, tr_err *e)
{
    return done(pgx(s, e, truck_day_add_sql, "ttttti", d->day, d->crossing, d->category,
                    d->destination, d->state, d->n));
}

static int truck_day_scan(store *s, const char *from, const char *to, const char *crossing,
                          const char *category, store_row_cb cb, void *cls, tr_err *e)
{
    store_truck_day d;
    return pg_scan(s, pgq(s, e, truck_day_scan_sql, "tttt", from, to, crossing, category),
                   read_truck_day, &d, cb, cls, e);
}

/* ---- dwell: a step's durations, 64 to a row, as on SQLite -------------------------------- */

#define DWELL_CHUNK 64
static const char dwell_last_sql[] =
    "SELECT chunk, n, ms FROM aid_dwell WHERE step = $1 AND day = $2 AND crossing = $3"
    " ORDER BY chunk DESC LIMIT 1";
static const char dwell_put_sql[] =
    "INSERT INTO aid_dwell(step, day, crossing, chunk, n, ms) VALUES ($1, $2, $3, $4, $5, $6)"
    " ON CONFLICT(day, crossing, step, chunk) DO UPDATE SET n = excluded.n, ms = excluded.ms";
static const char dwell_count_sql[] =
    "SELECT step, sum(n) FROM aid_dwell WHERE day BETWEEN $1 AND $2"
    " AND ($3 = '' OR crossing = $3) GROUP BY step";
static const char dwell_scan_sql[] = "SELECT step, ms FROM aid_dwell WHERE day BETWEEN $1 AND $2"
                                     " AND ($3 = '' OR crossing = $3)";

typedef struct dwell_chunk {
    int64_t chunk, n;
    int64_t ms[DWELL_CHUNK];
} dwell_chunk;

/* bytea into ms (at most DWELL_CHUNK durations): how many. */
static size_t durations(const PGresult *r, int i, int col, int64_t *ms)
{
    size_t len;
    unsigned char *b = pgr_bytes(r, i, col, &len);
    size_t n = len / sizeof(int64_t);
    if (n > DWELL_CHUNK) n = DWELL_CHUNK;
    memcpy(ms, b, n * sizeof(int64_t));
    free(b);
    return n;
}

static void read_chunk(const PGresult *r, int i, void *row)
{
    dwell_chunk *c = row;
    c->chunk = pgr_i64(r, i, 0);
    c->n = pgr_i64(r, i, 1);
    size_t have = durations(r, i, 2, c->ms);
    if (c->n > (int64_t)have) c->n = (int64_t)have;
}

static int dwell_add(store *s, int step, const char *day, const char *crossing, int64_t ms,
                     tr_err *e)
{
    dwell_chunk c;
    int rc = pg_row(pgq(s, e, dwell_last_sql, "dtt", step, day, crossing), read_chunk, &c);
    if (rc < 0) return -1;
    if (rc == 0) c.chunk = 0, c.n = 0;
    if (c.n == DWELL_CHUNK) c.chunk++, c.n = 0;
    c.ms[c.n++] = ms;
    return done(pgx(s, e, dwell_put_sql, "dttiib", step, day, crossing, c.chunk, c.n,
                    (const void *)c.ms, (size_t)c.n * sizeof(int64_t)));
}

static int dwell_count(store *s, const char *from, const char *to, const char *crossing,
                       int64_t counts[AID_D_STEPS], tr_err *e)
{
    for (int i = 0; i < AID_D_STEPS; i++)
        counts[i] = 0;
    PGresult *r = pgq(s, e, dwell_count_sql, "ttt", from, to, crossing);
    if (!r) return -1;
    for (int i = 0, n = PQntuples(r); i < n; i++) {
        int step = pgr_int(r, i, 0);
        if (step >= 0 && step < AID_D_STEPS) counts[step] = pgr_i64(r, i, 1);
    }
    PQclear(r);
    return 0;
}

static int dwell_scan(store *s, const char *from, const char *to, const char *crossing,
                      store_row_cb cb, void *cls, tr_err *e)
{
    PGresult *r = pgq(s, e, dwell_scan_sql, "ttt", from, to, crossing);
    if (!r) return -1;
    int64_t ms[DWELL_CHUNK];
    for (int i = 0, n = PQntuples(r); i < n; i++) {
        store_durations d = {pgr_int(r, i, 0), ms, durations(r, i, 1, ms)};
        if (cb(cls, &d)) break;
    }
    PQclear(r);
    return 0;
}

/* ---- counts ------------------------------------------------------------------------------ */

#define COUNT_COLS "day, source, basis, crossing, category, value"
static const char count_put_sql[] =
    "INSERT INTO aid_counts(" COUNT_COLS ") VALUES ($1, $2, $3, $4, $5, $6)"
    " ON CONFLICT(day, source, basis, crossing, category) DO UPDATE SET value = excluded.value";
static const char count_get_sql[] = "SELECT " COUNT_COLS " FROM aid_counts WHERE day = $1"
                                    " AND source = $2 AND basis = $3 AND crossing = $4"
                                    " AND category = $5";
static const char count_scan_sql[] =
    "SELECT " COUNT_COLS " FROM aid_counts WHERE day BETWEEN $1 AND $2 AND ($3 = '' OR basis = $3)"
    " AND ($4 = '' OR crossing = $4) AND ($5 = '' OR category = $5)"
    " ORDER BY day, source, basis, crossing, category";

static void read_count(const PGresult *r, int i, void *row)
{
    store_aid_count *c = row;
    pgr_copy(c->day, sizeof c->day, r, i, 0);
    pgr_copy(c->source, sizeof c->source, r, i, 1);
    pgr_copy(c->basis, sizeof c->basis, r, i, 2);
    pgr_copy(c->crossing, sizeof c->crossing, r, i, 3);
    pgr_copy(c->category, sizeof c->category, r, i, 4);
    c->value = pgr_f(r, i, 5);
}

static int count_put(store *s, const store_aid_count *c, tr_err *e)
{
    return done(pgx(s, e, count_put_sql, "tttttf", c->day, c->source, c->basis, c->crossing,
                    c->category, c->value));
}

static const char count_load_sql[] =
    "CREATE TEMP TABLE IF NOT EXISTS aid_count_load(day text, source text, basis text,"
    " crossing text, category text, value float8) ON COMMIT DELETE ROWS;"
    "TRUNCATE aid_count_load";
static const char count_copy_sql[] = "COPY aid_count_load FROM STDIN";
static const char count_upsert_sql[] =
    "INSERT INTO aid_counts(" COUNT_COLS ") SELECT " COUNT_COLS " FROM aid_count_load"
    " ON CONFLICT(day, source, basis, crossing, category) DO UPDATE SET value = excluded.value";

/* An import's batch: through COPY into a temporary table, then one upsert. */
static int count_put_many(store *s, const store_aid_count *c, size_t n, tr_err *e)
{
    buf rows = BUF_INIT;
    char num[40];
    for (size_t i = 0; i < n; i++) {
        const char *texts[] = {c[i].day, c[i].source, c[i].basis, c[i].crossing, c[i].category};
        for (size_t t = 0; t < 5; t++) {
            pg_copy_text(&rows, texts[t]);
            buf_puts(&rows, "\t");
        }
        snprintf(num, sizeof num, "%.17g\n", c[i].value);
        buf_puts(&rows, num);
    }
    int rc = pg_exec(s, count_load_sql, e) ||
                     pg_copy(s, count_copy_sql, rows.p ? rows.p : "", rows.len, e) ||
                     pgx(s, e, count_upsert_sql, "") < 0
                 ? -1
                 : 0;
    buf_free(&rows);
    return rc;
}

static int count_get(store *s, const store_aid_count *k, store_aid_count *out, tr_err *e)
{
    return pg_row(
        pgq(s, e, count_get_sql, "ttttt", k->day, k->source, k->basis, k->crossing, k->category),
        read_count, out);
}

static int count_scan(store *s, const char *from, const char *to, const char *basis,
                      const char *crossing, const char *category, store_row_cb cb, void *cls,
                      tr_err *e)
{
    store_aid_count c;
    return pg_scan(s, pgq(s, e, count_scan_sql, "ttttt", from, to, basis, crossing, category),
                   read_count, &c, cb, cls, e);
}

/* ---- targets ----------------------------------------------------------------------------- */

#define TARGET_COLS                                                                                \
    "id, name, per, value, basis, source, category, destinations, from_day, to_day, created_by"
static const char target_insert_sql[] = "INSERT INTO aid_targets(" TARGET_COLS ")"
                                        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
static const char target_get_sql[] = "SELECT " TARGET_COLS " FROM aid_targets WHERE id = $1";
static const char target_scan_sql[] = "SELECT " TARGET_COLS " FROM aid_targets ORDER BY id";

static void read_target(const PGresult *r, int i, void *row)
{
    store_target *t = row;
    t->id = pgr_i64(r, i, 0);
    pgr_copy(t->name, sizeof t->name, r, i, 1);
    pgr_copy(t->per, sizeof t->per, r, i, 2);
    t->value = pgr_f(r, i, 3);
    pgr_copy(t->basis, sizeof t->basis, r, i, 4);
    pgr_copy(t->source, sizeof t->source, r, i, 5);
    pgr_copy(t->category, sizeof t->category, r, i, 6);
    pgr_copy(t->destinations, sizeof t->destinations, r, i, 7);
    pgr_copy(t->from_day, sizeof t->from_day, r, i, 8);
    pgr_copy(t->to_day, sizeof t->to_day, r, i, 9);
    pgr_copy(t->created_by, sizeof t->created_by, r, i, 10);
}

static int target_insert(store *s, const store_target *t, tr_err *e)
{
    return done(pgx(s, e, target_insert_sql, "ittfttttttt", t->id, t->name, t->per, t->value,
                    t->basis, t->source, t->category, t->destinations, t->from_day, t->to_day,
                    t->created_by));
}

static int target_get(store *s, int64_t id, store_target *out, tr_err *e)
{
    return pg_row(pgq(s, e, target_get_sql, "i", id), read_target, out);
}

static int target_scan(store *s, store_row_cb cb, void *cls, tr_err *e)
{
    store_target t;
    return pg_scan(s, pgq(s, e, target_scan_sql, ""), read_target, &t, cb, cls, e);
}

const aid_store_ops aid_pg_ops = {
    .crossing_insert = crossing_insert,
    .crossing_get = crossing_get,
    .crossing_list = crossing_list,
    .closure_insert = closure_insert,
    .closure_get = closure_get,
    .closure_list = closure_list,
    .request_insert = request_insert,
    .request_get = request_get,
    .request_by_ref = request_by_ref,
    .request_update = request_update,
    .request_scan = request_scan,
    .truck_next_id = truck_next_id,
    .truck_insert = truck_insert,
    .truck_get = truck_get,
    .truck_moved = truck_moved,
    .truck_count = truck_count,
    .truck_scan = truck_scan,
    .dwell_add = dwell_add,
    .dwell_count = dwell_count,
    .dwell_scan = dwell_scan,
    .truck_day_add = truck_day_add,
    .truck_day_scan = truck_day_scan,
    .count_put = count_put,
    .count_put_many = count_put_many,
    .count_get = count_get,
    .count_scan = count_scan,
    .target_insert = target_insert,
    .target_get = target_get,
    .target_scan = target_scan,
};
