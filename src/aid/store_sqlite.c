/* store_sqlite.c - the aid pillar's storage on SQLite (aid/store.h), through the store's
 * connection (store/sqlite_pillar.h). */
#include "aid/store.h"

#include "store/sqlite_pillar.h"

#include <stdio.h>

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

static const aid_store_ops sqlite_ops = {crossing_insert, crossing_get, crossing_list,
                                         closure_insert,  closure_get,  closure_list};

const aid_store_ops *aid_store(const store *s)
{
    /* SQLite is the only backend so far; PostgreSQL's will be chosen here. */
    return sq_is(s) ? &sqlite_ops : NULL;
}
