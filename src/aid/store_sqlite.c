/* store_sqlite.c - the aid pillar's storage on SQLite (aid/store.h), through the store's
 * connection (store/sqlite_pillar.h). */
#include "aid/store.h"

#include "store/pg_pillar.h"
#include "store/sqlite_pillar.h"

#include "core/util.h"

#include <stdio.h>
#include <string.h>

static const char crossing_insert_sql[] =
    "INSERT INTO crossings(slug, name, lat, lon, notes, operated_by, capacity_per_day, hours)"
    " VALUES (?,?,?,?,?,?,?,?)";
static const char crossing_get_sql[] = "SELECT slug, name, lat, lon, notes, operated_by, "
                                       "capacity_per_day, hours FROM crossings WHERE slug = ?";
static const char crossing_list_sql[] = "SELECT slug, name, lat, lon, notes, operated_by, "
                                        "capacity_per_day, hours FROM crossings ORDER BY slug";

static void read_crossing(sqlite3_stmt *st, void *row)
{
    store_crossing *c = row;
    sq_col_copy(c->slug, sizeof c->slug, st, 0);
    sq_col_copy(c->name, sizeof c->name, st, 1);
    c->lat = sqlite3_column_double(st, 2);
    c->lon = sqlite3_column_double(st, 3);
    sq_col_copy(c->notes, sizeof c->notes, st, 4);
    sq_col_copy(c->operated_by, sizeof c->operated_by, st, 5);
    c->capacity_per_day = (long)sqlite3_column_int64(st, 6);
    sq_col_copy(c->hours, sizeof c->hours, st, 7);
}

static int crossing_insert(store *s, const store_crossing *c, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, crossing_insert_sql, e);
    if (!st) return -1;
    sq_bind_text(st, 1, c->slug);
    sq_bind_text(st, 2, c->name);
    sqlite3_bind_double(st, 3, c->lat);
    sqlite3_bind_double(st, 4, c->lon);
    sq_bind_text(st, 5, c->notes);
    sq_bind_text(st, 6, c->operated_by);
    sqlite3_bind_int64(st, 7, c->capacity_per_day);
    sq_bind_text(st, 8, c->hours);
    return sq_step_done(s, st, e);
}

static int crossing_get(store *s, const char *slug, store_crossing *out, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, crossing_get_sql, e);
    if (!st) return -1;
    sq_bind_text(st, 1, slug);
    return sq_row(s, st, read_crossing, out, e);
}

static int crossing_list(store *s, store_row_cb cb, void *cls, tr_err *e)
{
    store_crossing c;
    return sq_scan(s, sq_stmt(s, crossing_list_sql, e), read_crossing, &c, cb, cls, e);
}

static const char closure_insert_sql[] =
    "INSERT INTO crossing_closures(id, crossing, from_date, to_date, reason, recorded_by,"
    " recorded_at) VALUES (?,?,?,?,?,?,?)";
static const char closure_get_sql[] =
    "SELECT id, crossing, from_date, to_date, reason, recorded_by, recorded_at"
    " FROM crossing_closures WHERE id = ?";
static const char closure_list_sql[] =
    "SELECT id, crossing, from_date, to_date, reason, recorded_by, recorded_at"
    " FROM crossing_closures WHERE crossing = ? ORDER BY from_date, id";

static void read_closure(sqlite3_stmt *st, void *row)
{
    store_closure *c = row;
    c->id = sqlite3_column_int64(st, 0);
    sq_col_copy(c->crossing, sizeof c->crossing, st, 1);
    sq_col_copy(c->from_date, sizeof c->from_date, st, 2);
    sq_col_copy(c->to_date, sizeof c->to_date, st, 3);
    sq_col_copy(c->reason, sizeof c->reason, st, 4);
    sq_col_copy(c->recorded_by, sizeof c->recorded_by, st, 5);
    sq_col_copy(c->recorded_at, sizeof c->recorded_at, st, 6);
}

static int closure_insert(store *s, const store_closure *c, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, closure_insert_sql, e);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, c->id);
    sq_bind_text(st, 2, c->crossing);
    sq_bind_text(st, 3, c->from_date);
    sq_bind_text(st, 4, c->to_date);
    sq_bind_text(st, 5, c->reason);
    sq_bind_text(st, 6, c->recorded_by);
    sq_bind_text(st, 7, c->recorded_at);
    return sq_step_done(s, st, e);
}

static int closure_get(store *s, int64_t id, store_closure *out, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, closure_get_sql, e);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, id);
    return sq_row(s, st, read_closure, out, e);
}

static int closure_list(store *s, const char *crossing, store_row_cb cb, void *cls, tr_err *e)
{
    store_closure c;
    sqlite3_stmt *st = sq_stmt(s, closure_list_sql, e);
    if (!st) return -1;
    sq_bind_text(st, 1, crossing);
    return sq_scan(s, st, read_closure, &c, cb, cls, e);
}

/* ---- requests --------------------------------------------------------------------- */

#define REQUEST_COLS                                                                               \
    "id, ref, org, crossing, destination, lines, state, reason, submitted_ms, cleared_ms,"         \
    " updated_ms"
static const char request_insert_sql[] =
    "INSERT INTO aid_requests(" REQUEST_COLS ") VALUES (?,?,?,?,?,?,?,?,?,?,?)";
static const char request_get_sql[] = "SELECT " REQUEST_COLS " FROM aid_requests WHERE id = ?";
static const char request_ref_sql[] = "SELECT " REQUEST_COLS " FROM aid_requests WHERE ref = ?";
static const char request_update_sql[] =
    "UPDATE aid_requests SET state = ?, reason = ?, cleared_ms = ?, updated_ms = ? WHERE id = ?";
/* A viewer sees what its organization requested and what passes the crossings it screens. */
static const char request_scan_sql[] =
    "SELECT " REQUEST_COLS " FROM aid_requests WHERE id > ?1"
    " AND (?2 IS NULL OR org = ?2 OR crossing IN (SELECT slug FROM crossings WHERE operated_by = "
    "?2))"
    " AND (?3 IS NULL OR state = ?3) AND (?4 IS NULL OR crossing = ?4) ORDER BY id LIMIT ?5";
static void read_request(sqlite3_stmt *st, void *row)
{
    store_request *r = row;
    r->id = sqlite3_column_int64(st, 0);
    sq_col_copy(r->ref, sizeof r->ref, st, 1);
    sq_col_copy(r->org, sizeof r->org, st, 2);
    sq_col_copy(r->crossing, sizeof r->crossing, st, 3);
    sq_col_copy(r->destination, sizeof r->destination, st, 4);
    sq_col_copy(r->lines, sizeof r->lines, st, 5);
    sq_col_copy(r->state, sizeof r->state, st, 6);
    sq_col_copy(r->reason, sizeof r->reason, st, 7);
    r->submitted_ms = sqlite3_column_int64(st, 8);
    r->cleared_ms = sqlite3_column_int64(st, 9);
    r->updated_ms = sqlite3_column_int64(st, 10);
}

static int request_insert(store *s, const store_request *r, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, request_insert_sql, e);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, r->id);
    sq_bind_text(st, 2, r->ref);
    sq_bind_text(st, 3, r->org);
    sq_bind_text(st, 4, r->crossing);
    sq_bind_text(st, 5, r->destination);
    sq_bind_text(st, 6, r->lines);
    sq_bind_text(st, 7, r->state);
    sq_bind_text(st, 8, r->reason);
    sqlite3_bind_int64(st, 9, r->submitted_ms);
    sqlite3_bind_int64(st, 10, r->cleared_ms);
    sqlite3_bind_int64(st, 11, r->updated_ms);
    return sq_step_done(s, st, e);
}

static int request_get(store *s, int64_t id, store_request *out, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, request_get_sql, e);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, id);
    return sq_row(s, st, read_request, out, e);
}

static int request_by_ref(store *s, const char *ref, store_request *out, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, request_ref_sql, e);
    if (!st) return -1;
    sq_bind_text(st, 1, ref);
    return sq_row(s, st, read_request, out, e);
}

static int request_update(store *s, const store_request *r, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, request_update_sql, e);
    if (!st) return -1;
    sq_bind_text(st, 1, r->state);
    sq_bind_text(st, 2, r->reason);
    sqlite3_bind_int64(st, 3, r->cleared_ms);
    sqlite3_bind_int64(st, 4, r->updated_ms);
    sqlite3_bind_int64(st, 5, r->id);
    return sq_step_done(s, st, e);
}

/* Binds a filter's viewer, state and crossing as ?2 to ?4 and after, limit as ?1, ?5. */
static void bind_filter(sqlite3_stmt *st, const aid_filter *f)
{
    sqlite3_bind_int64(st, 1, f->after);
    sq_bind_text(st, 2, f->viewer);
    sq_bind_text(st, 3, f->state);
    sq_bind_text(st, 4, f->crossing);
    sqlite3_bind_int64(st, 5, f->limit);
}

static int request_scan(store *s, const aid_filter *f, store_row_cb cb, void *cls, tr_err *e)
{
    store_request r;
    sqlite3_stmt *st = sq_stmt(s, request_scan_sql, e);
    if (!st) return -1;
    bind_filter(st, f);
    return sq_scan(s, st, read_request, &r, cb, cls, e);
}

/* ---- trucks ----------------------------------------------------------------------- */

#define TRUCK_COLS                                                                                 \
    "id, request, org, crossing, destination, category, pallets, tonnes, state, reason, day,"      \
    " t_dispatched, t_at_crossing, t_screened, t_offloaded, t_collected, t_arrived, last_ms"
static const char truck_next_sql[] = "SELECT COALESCE(MAX(id), 0) + 1 FROM aid_trucks";
static const char truck_insert_sql[] =
    "INSERT INTO aid_trucks(" TRUCK_COLS ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
static const char truck_get_sql[] = "SELECT " TRUCK_COLS " FROM aid_trucks WHERE id = ?";
/* One statement a move: the truck's new state and the time of the step it reached, and
 * what the day's tally needs of it. */
static const char truck_moved_sql[] =
    "UPDATE aid_trucks SET state = ?2, reason = ?3, last_ms = ?5,"
    " t_at_crossing = CASE ?4 WHEN 1 THEN ?5 ELSE t_at_crossing END,"
    " t_screened = CASE ?4 WHEN 2 THEN ?5 ELSE t_screened END,"
    " t_offloaded = CASE ?4 WHEN 3 THEN ?5 ELSE t_offloaded END,"
    " t_collected = CASE ?4 WHEN 4 THEN ?5 ELSE t_collected END,"
    " t_arrived = CASE ?4 WHEN 5 THEN ?5 ELSE t_arrived END"
    " WHERE id = ?1";
/* Not RETURNING: SQLite opens and closes an ephemeral table for it every time (40 % of a
 * move); a lookup by id after the update costs a tenth of that. */
static const char truck_where_sql[] =
    "SELECT crossing, category, destination, day, t_dispatched, t_at_crossing, t_screened,"
    " t_offloaded, t_collected, t_arrived FROM aid_trucks WHERE id = ?";
static const char truck_count_sql[] =
    "SELECT COUNT(*) FROM aid_trucks WHERE request = ? AND category = ?";
static const char truck_scan_sql[] =
    "SELECT " TRUCK_COLS " FROM aid_trucks WHERE id > ?1"
    " AND (?2 IS NULL OR org = ?2 OR crossing IN (SELECT slug FROM crossings WHERE operated_by = "
    "?2))"
    " AND (?3 IS NULL OR state = ?3) AND (?4 IS NULL OR crossing = ?4)"
    " AND (?6 = 0 OR request = ?6) AND (?7 IS NULL OR category = ?7) ORDER BY id LIMIT ?5";
static const char truck_day_add_sql[] =
    "INSERT INTO aid_truck_days(day, crossing, category, destination, state, n)"
    " VALUES (?,?,?,?,?,?) ON CONFLICT DO UPDATE SET n = n + excluded.n";
/* In key order (by day); the caller adds up what it needs: no GROUP BY and its sort. */
static const char truck_day_scan_sql[] =
    "SELECT day, crossing, category, destination, state, n FROM aid_truck_days"
    " WHERE day BETWEEN ?1 AND ?2 AND (?3 = '' OR crossing = ?3) AND (?4 = '' OR category = ?4)";

static void read_truck(sqlite3_stmt *st, void *row)
{
    store_truck *t = row;
    t->id = sqlite3_column_int64(st, 0);
    t->request = sqlite3_column_int64(st, 1);
    sq_col_copy(t->org, sizeof t->org, st, 2);
    sq_col_copy(t->crossing, sizeof t->crossing, st, 3);
    sq_col_copy(t->destination, sizeof t->destination, st, 4);
    sq_col_copy(t->category, sizeof t->category, st, 5);
    t->pallets = sqlite3_column_double(st, 6);
    t->tonnes = sqlite3_column_double(st, 7);
    sq_col_copy(t->state, sizeof t->state, st, 8);
    sq_col_copy(t->reason, sizeof t->reason, st, 9);
    sq_col_copy(t->day, sizeof t->day, st, 10);
    for (int i = 0; i < AID_T_STEPS; i++)
        t->t[i] = sqlite3_column_int64(st, 11 + i);
    t->last_ms = sqlite3_column_int64(st, 11 + AID_T_STEPS);
}

static int truck_next_id(store *s, int64_t *out, tr_err *e)
{
    return sq_scalar(s, sq_stmt(s, truck_next_sql, e), out, e);
}

static int truck_insert(store *s, const store_truck *t, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, truck_insert_sql, e);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, t->id);
    sqlite3_bind_int64(st, 2, t->request);
    sq_bind_text(st, 3, t->org);
    sq_bind_text(st, 4, t->crossing);
    sq_bind_text(st, 5, t->destination);
    sq_bind_text(st, 6, t->category);
    sqlite3_bind_double(st, 7, t->pallets);
    sqlite3_bind_double(st, 8, t->tonnes);
    sq_bind_text(st, 9, t->state);
    sq_bind_text(st, 10, t->reason);
    sq_bind_text(st, 11, t->day);
    for (int i = 0; i < AID_T_STEPS; i++)
        sqlite3_bind_int64(st, 12 + i, t->t[i]);
    sqlite3_bind_int64(st, 12 + AID_T_STEPS, t->last_ms);
    return sq_step_done(s, st, e);
}

static int truck_get(store *s, int64_t id, store_truck *out, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, truck_get_sql, e);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, id);
    return sq_row(s, st, read_truck, out, e);
}

typedef struct moved {
    store_truck_day *day;
    store_truck *after;
} moved;

static void read_moved(sqlite3_stmt *st, void *row)
{
    moved *m = row;
    sq_col_copy(m->day->crossing, sizeof m->day->crossing, st, 0);
    sq_col_copy(m->day->category, sizeof m->day->category, st, 1);
    sq_col_copy(m->day->destination, sizeof m->day->destination, st, 2);
    sq_col_copy(m->after->day, sizeof m->after->day, st, 3);
    for (int i = 0; i < AID_T_STEPS; i++)
        m->after->t[i] = sqlite3_column_int64(st, 4 + i);
}

static int truck_moved(store *s, int64_t id, const char *state, const char *reason, int step,
                       int64_t ms, store_truck_day *day, store_truck *after, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, truck_moved_sql, e);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, id);
    sq_bind_text(st, 2, state);
    sq_bind_text(st, 3, reason);
    sqlite3_bind_int(st, 4, step);
    sqlite3_bind_int64(st, 5, ms);
    if (sq_step_done(s, st, e)) return -1;
    if (!(st = sq_stmt(s, truck_where_sql, e))) return -1;
    sqlite3_bind_int64(st, 1, id);
    moved m = {day, after};
    return sq_row(s, st, read_moved, &m, e);
}

static int truck_count(store *s, int64_t request, const char *category, int64_t *out, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, truck_count_sql, e);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, request);
    sq_bind_text(st, 2, category);
    return sq_scalar(s, st, out, e);
}

static int truck_scan(store *s, const aid_filter *f, store_row_cb cb, void *cls, tr_err *e)
{
    store_truck t;
    sqlite3_stmt *st = sq_stmt(s, truck_scan_sql, e);
    if (!st) return -1;
    bind_filter(st, f);
    sqlite3_bind_int64(st, 6, f->request);
    sq_bind_text(st, 7, f->category);
    return sq_scan(s, st, read_truck, &t, cb, cls, e);
}

static void read_truck_day(sqlite3_stmt *st, void *row)
{
    store_truck_day *d = row;
    sq_col_copy(d->day, sizeof d->day, st, 0);
    sq_col_copy(d->crossing, sizeof d->crossing, st, 1);
    sq_col_copy(d->category, sizeof d->category, st, 2);
    sq_col_copy(d->destination, sizeof d->destination, st, 3);
    sq_col_copy(d->state, sizeof d->state, st, 4);
    d->n = sqlite3_column_int64(st, 5);
}

static int truck_day_add(store *s, const store_truck_day *d, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, truck_day_add_sql, e);
    if (!st) return -1;
    sq_bind_text(st, 1, d->day);
    sq_bind_text(st, 2, d->crossing);
    sq_bind_text(st, 3, d->category);
    sq_bind_text(st, 4, d->destination);
    sq_bind_text(st, 5, d->state);
    sqlite3_bind_int64(st, 6, d->n);
    return sq_step_done(s, st, e);
}

static int truck_day_scan(store *s, const char *from, const char *to, const char *crossing,
                          const char *category, store_row_cb cb, void *cls, tr_err *e)
{
    store_truck_day d;
    sqlite3_stmt *st = sq_stmt(s, truck_day_scan_sql, e);
    if (!st) return -1;
    sq_bind_text(st, 1, from);
    sq_bind_text(st, 2, to);
    sq_bind_text(st, 3, crossing);
    sq_bind_text(st, 4, category);
    return sq_scan(s, st, read_truck_day, &d, cb, cls, e);
}

/* ---- dwell ------------------------------------------------------------------------ */

#define DWELL_CHUNK 64
static const char dwell_last_sql[] =
    "SELECT chunk, n, ms FROM aid_dwell WHERE step = ? AND day = ? AND crossing = ?"
    " ORDER BY chunk DESC LIMIT 1";
static const char dwell_put_sql[] =
    "INSERT INTO aid_dwell(step, day, crossing, chunk, n, ms) VALUES (?,?,?,?,?,?)"
    " ON CONFLICT DO UPDATE SET n = excluded.n, ms = excluded.ms";
static const char dwell_count_sql[] =
    "SELECT step, SUM(n) FROM aid_dwell WHERE day BETWEEN ?1 AND ?2 AND (?3 = '' OR crossing = ?3)"
    " GROUP BY step";
static const char dwell_scan_sql[] =
    "SELECT step, ms FROM aid_dwell WHERE day BETWEEN ?1 AND ?2 AND (?3 = '' OR crossing = ?3)";

typedef struct dwell_chunk {
    int64_t chunk, n;
    int64_t ms[DWELL_CHUNK];
} dwell_chunk;

static void read_chunk(sqlite3_stmt *st, void *row)
{
    dwell_chunk *c = row;
    c->chunk = sqlite3_column_int64(st, 0);
    c->n = sqlite3_column_int64(st, 1);
    int bytes = sqlite3_column_bytes(st, 2);
    if (bytes > (int)sizeof c->ms) bytes = (int)sizeof c->ms;
    if (c->n > bytes / (int)sizeof(int64_t)) c->n = bytes / (int)sizeof(int64_t);
    if (bytes) memcpy(c->ms, sqlite3_column_blob(st, 2), (size_t)bytes);
}

/* Appends to the day's last chunk of the step, or starts the next one when it is full. */
static int dwell_add(store *s, int step, const char *day, const char *crossing, int64_t ms,
                     tr_err *e)
{
    dwell_chunk c;
    sqlite3_stmt *st = sq_stmt(s, dwell_last_sql, e);
    if (!st) return -1;
    sqlite3_bind_int(st, 1, step);
    sq_bind_text(st, 2, day);
    sq_bind_text(st, 3, crossing);
    int rc = sq_row(s, st, read_chunk, &c, e);
    if (rc < 0) return -1;
    if (rc == 0) c.chunk = 0, c.n = 0;
    if (c.n == DWELL_CHUNK) c.chunk++, c.n = 0;
    c.ms[c.n++] = ms;
    if (!(st = sq_stmt(s, dwell_put_sql, e))) return -1;
    sqlite3_bind_int(st, 1, step);
    sq_bind_text(st, 2, day);
    sq_bind_text(st, 3, crossing);
    sqlite3_bind_int64(st, 4, c.chunk);
    sqlite3_bind_int64(st, 5, c.n);
    sqlite3_bind_blob(st, 6, c.ms, (int)(c.n * (int64_t)sizeof(int64_t)), SQLITE_TRANSIENT);
    return sq_step_done(s, st, e);
}

typedef struct step_count {
    int step;
    int64_t n;
} step_count;

static void read_step_count(sqlite3_stmt *st, void *row)
{
    step_count *c = row;
    c->step = sqlite3_column_int(st, 0);
    c->n = sqlite3_column_int64(st, 1);
}

static int step_count_cb(void *cls, const void *row)
{
    const step_count *c = row;
    if (c->step >= 0 && c->step < AID_D_STEPS) ((int64_t *)cls)[c->step] = c->n;
    return 0;
}

static int dwell_count(store *s, const char *from, const char *to, const char *crossing,
                       int64_t counts[AID_D_STEPS], tr_err *e)
{
    step_count c;
    sqlite3_stmt *st = sq_stmt(s, dwell_count_sql, e);
    if (!st) return -1;
    for (int i = 0; i < AID_D_STEPS; i++)
        counts[i] = 0;
    sq_bind_text(st, 1, from);
    sq_bind_text(st, 2, to);
    sq_bind_text(st, 3, crossing);
    return sq_scan(s, st, read_step_count, &c, step_count_cb, counts, e);
}

static void read_durations(sqlite3_stmt *st, void *row)
{
    store_durations *d = row;
    d->step = sqlite3_column_int(st, 0);
    d->ms = sqlite3_column_blob(st, 1);
    d->n = (size_t)sqlite3_column_bytes(st, 1) / sizeof(int64_t);
}

static int dwell_scan(store *s, const char *from, const char *to, const char *crossing,
                      store_row_cb cb, void *cls, tr_err *e)
{
    store_durations d;
    sqlite3_stmt *st = sq_stmt(s, dwell_scan_sql, e);
    if (!st) return -1;
    sq_bind_text(st, 1, from);
    sq_bind_text(st, 2, to);
    sq_bind_text(st, 3, crossing);
    return sq_scan(s, st, read_durations, &d, cb, cls, e);
}

/* ---- counts ----------------------------------------------------------------------- */

static const char count_put_sql[] =
    "INSERT INTO aid_counts(day, source, basis, crossing, category, value) VALUES (?,?,?,?,?,?)"
    " ON CONFLICT DO UPDATE SET value = excluded.value";
static const char count_get_sql[] =
    "SELECT day, source, basis, crossing, category, value FROM aid_counts"
    " WHERE day = ? AND source = ? AND basis = ? AND crossing = ? AND category = ?";
static const char count_scan_sql[] =
    "SELECT day, source, basis, crossing, category, value FROM aid_counts"
    " WHERE day BETWEEN ?1 AND ?2 AND (?3 = '' OR basis = ?3) AND (?4 = '' OR crossing = ?4)"
    " AND (?5 = '' OR category = ?5) ORDER BY day, source, basis, crossing, category";

static void read_count(sqlite3_stmt *st, void *row)
{
    store_aid_count *c = row;
    sq_col_copy(c->day, sizeof c->day, st, 0);
    sq_col_copy(c->source, sizeof c->source, st, 1);
    sq_col_copy(c->basis, sizeof c->basis, st, 2);
    sq_col_copy(c->crossing, sizeof c->crossing, st, 3);
    sq_col_copy(c->category, sizeof c->category, st, 4);
    c->value = sqlite3_column_double(st, 5);
}

static void bind_count_key(sqlite3_stmt *st, const store_aid_count *c)
{
    sq_bind_text(st, 1, c->day);
    sq_bind_text(st, 2, c->source);
    sq_bind_text(st, 3, c->basis);
    sq_bind_text(st, 4, c->crossing);
    sq_bind_text(st, 5, c->category);
}

static int count_put(store *s, const store_aid_count *c, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, count_put_sql, e);
    if (!st) return -1;
    bind_count_key(st, c);
    sqlite3_bind_double(st, 6, c->value);
    return sq_step_done(s, st, e);
}

static int count_get(store *s, const store_aid_count *key, store_aid_count *out, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, count_get_sql, e);
    if (!st) return -1;
    bind_count_key(st, key);
    return sq_row(s, st, read_count, out, e);
}

static int count_scan(store *s, const char *from, const char *to, const char *basis,
                      const char *crossing, const char *category, store_row_cb cb, void *cls,
                      tr_err *e)
{
    store_aid_count c;
    sqlite3_stmt *st = sq_stmt(s, count_scan_sql, e);
    if (!st) return -1;
    sq_bind_text(st, 1, from);
    sq_bind_text(st, 2, to);
    sq_bind_text(st, 3, basis);
    sq_bind_text(st, 4, crossing);
    sq_bind_text(st, 5, category);
    return sq_scan(s, st, read_count, &c, cb, cls, e);
}

/* ---- targets ---------------------------------------------------------------------- */

#define TARGET_COLS                                                                                \
    "id, name, per, value, basis, source, category, destinations, from_day, to_day, created_by"
static const char target_insert_sql[] =
    "INSERT INTO aid_targets(" TARGET_COLS ") VALUES (?,?,?,?,?,?,?,?,?,?,?)";
static const char target_get_sql[] = "SELECT " TARGET_COLS " FROM aid_targets WHERE id = ?";
static const char target_scan_sql[] = "SELECT " TARGET_COLS " FROM aid_targets ORDER BY id";

static void read_target(sqlite3_stmt *st, void *row)
{
    store_target *t = row;
    t->id = sqlite3_column_int64(st, 0);
    sq_col_copy(t->name, sizeof t->name, st, 1);
    sq_col_copy(t->per, sizeof t->per, st, 2);
    t->value = sqlite3_column_double(st, 3);
    sq_col_copy(t->basis, sizeof t->basis, st, 4);
    sq_col_copy(t->source, sizeof t->source, st, 5);
    sq_col_copy(t->category, sizeof t->category, st, 6);
    sq_col_copy(t->destinations, sizeof t->destinations, st, 7);
    sq_col_copy(t->from_day, sizeof t->from_day, st, 8);
    sq_col_copy(t->to_day, sizeof t->to_day, st, 9);
    sq_col_copy(t->created_by, sizeof t->created_by, st, 10);
}

static int target_insert(store *s, const store_target *t, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, target_insert_sql, e);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, t->id);
    sq_bind_text(st, 2, t->name);
    sq_bind_text(st, 3, t->per);
    sqlite3_bind_double(st, 4, t->value);
    sq_bind_text(st, 5, t->basis);
    sq_bind_text(st, 6, t->source);
    sq_bind_text(st, 7, t->category);
    sq_bind_text(st, 8, t->destinations);
    sq_bind_text(st, 9, t->from_day);
    sq_bind_text(st, 10, t->to_day);
    sq_bind_text(st, 11, t->created_by);
    return sq_step_done(s, st, e);
}

static int target_get(store *s, int64_t id, store_target *out, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, target_get_sql, e);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, id);
    return sq_row(s, st, read_target, out, e);
}

static int target_scan(store *s, store_row_cb cb, void *cls, tr_err *e)
{
    store_target t;
    return sq_scan(s, sq_stmt(s, target_scan_sql, e), read_target, &t, cb, cls, e);
}

static const aid_store_ops sqlite_ops = {
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
    .count_get = count_get,
    .count_scan = count_scan,
    .target_insert = target_insert,
    .target_get = target_get,
    .target_scan = target_scan,
};

const aid_store_ops *aid_store(const store *s)
{
    return sq_is(s) ? &sqlite_ops : pg_is(s) ? &aid_pg_ops : NULL;
}
