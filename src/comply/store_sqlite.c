/* store_sqlite.c - the compliance pillar's storage on SQLite (comply/store.h). */
#include "comply/store.h"

#include "store/pg_pillar.h"
#include "store/sqlite_pillar.h"

#include <stdlib.h>
#include <string.h>

#define OBLIGATION_COLS "id, agreement, ref, title, party, kind, spec, created_at"
static const char obligation_insert_sql[] =
    "INSERT INTO obligations(" OBLIGATION_COLS ") VALUES (?,?,?,?,?,?,?,?)";
static const char obligation_get_sql[] = "SELECT " OBLIGATION_COLS " FROM obligations WHERE id = ?";
static const char obligation_ref_sql[] =
    "SELECT id FROM obligations WHERE agreement = ? AND ref = ?";
static const char obligation_list_sql[] =
    "SELECT " OBLIGATION_COLS " FROM obligations WHERE agreement = ? ORDER BY id";
static const char obligation_all_sql[] = "SELECT " OBLIGATION_COLS " FROM obligations ORDER BY id";
static const char state_put_sql[] =
    "INSERT INTO obligation_states(obligation, state, overlays, as_of, finding)"
    " VALUES (?,?,?,?,?) ON CONFLICT DO UPDATE SET state = excluded.state,"
    " overlays = excluded.overlays, as_of = excluded.as_of, finding = excluded.finding";
static const char state_get_sql[] =
    "SELECT obligation, state, overlays, as_of, finding FROM obligation_states"
    " WHERE obligation = ?";
static const char settled_get_sql[] = "SELECT as_of FROM obligations_settled WHERE id = 1";
static const char settled_set_sql[] = "INSERT INTO obligations_settled(id, as_of) VALUES (1, ?)"
                                      " ON CONFLICT DO UPDATE SET as_of = excluded.as_of";
static const char note_insert_sql[] =
    "INSERT INTO obligation_notes(id, obligation, kind, org, date, doc, recorded_at)"
    " VALUES (?,?,?,?,?,?,?)";
static const char note_list_sql[] =
    "SELECT id, obligation, kind, org, date, doc, recorded_at FROM obligation_notes"
    " WHERE obligation = ? ORDER BY id";

/* Reads a row; spec points into the statement (a scan) unless copy. */
static void read_obligation_row(sqlite3_stmt *st, store_obligation *o)
{
    o->id = sqlite3_column_int64(st, 0);
    o->agreement = sqlite3_column_int64(st, 1);
    sq_col_copy(o->ref, sizeof o->ref, st, 2);
    sq_col_copy(o->title, sizeof o->title, st, 3);
    sq_col_copy(o->party, sizeof o->party, st, 4);
    sq_col_copy(o->kind, sizeof o->kind, st, 5);
    sq_col_copy(o->created_at, sizeof o->created_at, st, 7);
}

static void read_obligation_copy(sqlite3_stmt *st, void *row)
{
    store_obligation *o = row;
    read_obligation_row(st, o);
    free(o->spec);
    o->spec = strdup((const char *)sqlite3_column_text(st, 6));
    if (!o->spec) abort();
}

static void read_obligation_scan(sqlite3_stmt *st, void *row)
{
    store_obligation *o = row;
    read_obligation_row(st, o);
    o->spec = (char *)sqlite3_column_text(st, 6);
}

static int obligation_insert(store *s, const store_obligation *o, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, obligation_insert_sql, e);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, o->id);
    sqlite3_bind_int64(st, 2, o->agreement);
    sq_bind_text(st, 3, o->ref);
    sq_bind_text(st, 4, o->title);
    sq_bind_text(st, 5, o->party);
    sq_bind_text(st, 6, o->kind);
    sq_bind_text(st, 7, o->spec);
    sq_bind_text(st, 8, o->created_at);
    return sq_step_done(s, st, e);
}

static int obligation_get(store *s, int64_t id, store_obligation *out, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, obligation_get_sql, e);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, id);
    return sq_row(s, st, read_obligation_copy, out, e);
}

static int obligation_by_ref(store *s, int64_t agreement, const char *ref, int64_t *id, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, obligation_ref_sql, e);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, agreement);
    sq_bind_text(st, 2, ref);
    int rc = sq_step_one(s, st, e);
    if (rc == 1) {
        *id = sqlite3_column_int64(st, 0);
        sq_done(st);
    }
    return rc;
}

static int obligation_list(store *s, int64_t agreement, store_row_cb cb, void *cls, tr_err *e)
{
    store_obligation o = {0};
    sqlite3_stmt *st = sq_stmt(s, obligation_list_sql, e);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, agreement);
    return sq_scan(s, st, read_obligation_scan, &o, cb, cls, e);
}

static int obligation_all(store *s, store_row_cb cb, void *cls, tr_err *e)
{
    store_obligation o = {0};
    return sq_scan(s, sq_stmt(s, obligation_all_sql, e), read_obligation_scan, &o, cb, cls, e);
}

static void read_state(sqlite3_stmt *st, void *row)
{
    store_ob_state *x = row;
    x->obligation = sqlite3_column_int64(st, 0);
    sq_col_copy(x->state, sizeof x->state, st, 1);
    sq_col_copy(x->overlays, sizeof x->overlays, st, 2);
    sq_col_copy(x->as_of, sizeof x->as_of, st, 3);
    sq_col_copy(x->finding, sizeof x->finding, st, 4);
}

static int state_put(store *s, const store_ob_state *x, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, state_put_sql, e);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, x->obligation);
    sq_bind_text(st, 2, x->state);
    sq_bind_text(st, 3, x->overlays);
    sq_bind_text(st, 4, x->as_of);
    sq_bind_text(st, 5, x->finding);
    return sq_step_done(s, st, e);
}

static int state_get(store *s, int64_t obligation, store_ob_state *out, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, state_get_sql, e);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, obligation);
    return sq_row(s, st, read_state, out, e);
}

static void read_day(sqlite3_stmt *st, void *row)
{
    sq_col_copy(row, 11, st, 0);
}

static int settled_get(store *s, char out[11], tr_err *e)
{
    out[0] = 0;
    return sq_row(s, sq_stmt(s, settled_get_sql, e), read_day, out, e);
}

static int settled_set(store *s, const char *as_of, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, settled_set_sql, e);
    if (!st) return -1;
    sq_bind_text(st, 1, as_of);
    return sq_step_done(s, st, e);
}

static int note_insert(store *s, const store_note *n, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, note_insert_sql, e);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, n->id);
    sqlite3_bind_int64(st, 2, n->obligation);
    sq_bind_text(st, 3, n->kind);
    sq_bind_text(st, 4, n->org);
    sq_bind_text(st, 5, n->date);
    sq_bind_text(st, 6, n->doc);
    sq_bind_text(st, 7, n->recorded_at);
    return sq_step_done(s, st, e);
}

static void read_note(sqlite3_stmt *st, void *row)
{
    store_note *n = row;
    n->id = sqlite3_column_int64(st, 0);
    n->obligation = sqlite3_column_int64(st, 1);
    sq_col_copy(n->kind, sizeof n->kind, st, 2);
    sq_col_copy(n->org, sizeof n->org, st, 3);
    sq_col_copy(n->date, sizeof n->date, st, 4);
    n->doc = (const char *)sqlite3_column_text(st, 5);
    sq_col_copy(n->recorded_at, sizeof n->recorded_at, st, 6);
}

static int note_list(store *s, int64_t obligation, store_row_cb cb, void *cls, tr_err *e)
{
    store_note n;
    sqlite3_stmt *st = sq_stmt(s, note_list_sql, e);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, obligation);
    return sq_scan(s, st, read_note, &n, cb, cls, e);
}

/* ---- webhooks ------------------------------------------------------------------------ */

#define WEBHOOK_COLS "id, org, url, events, secret, created_at"
static const char webhook_insert_sql[] =
    "INSERT INTO webhooks(" WEBHOOK_COLS ") VALUES (?,?,?,?,?,?)";
static const char webhook_get_sql[] = "SELECT " WEBHOOK_COLS " FROM webhooks WHERE id = ?";
static const char webhook_list_sql[] =
    "SELECT " WEBHOOK_COLS " FROM webhooks WHERE ?1 IS NULL OR org = ?1 ORDER BY id";
static const char cursor_get_sql[] = "SELECT coalesce(max(seq), 0) FROM webhook_cursor";
static const char cursor_set_sql[] = "INSERT INTO webhook_cursor(id, seq) VALUES (1, ?) ON "
                                     "CONFLICT DO UPDATE SET seq = excluded.seq";
#define DELIVERY_COLS                                                                              \
    "id, webhook, seq, event, status, attempts, next_ms, last_code, last_error, updated_at"
static const char delivery_insert_sql[] =
    "INSERT INTO webhook_deliveries(webhook, seq, event, status, attempts, next_ms, last_code,"
    " last_error, updated_at) VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING";
static const char delivery_due_sql[] =
    "SELECT " DELIVERY_COLS " FROM webhook_deliveries WHERE status = 'pending' AND next_ms <= ?"
    " ORDER BY id LIMIT ?";
static const char delivery_update_sql[] =
    "UPDATE webhook_deliveries SET status = ?2, attempts = ?3, next_ms = ?4, last_code = ?5,"
    " last_error = ?6, updated_at = ?7 WHERE id = ?1";
static const char delivery_list_sql[] =
    "SELECT " DELIVERY_COLS " FROM webhook_deliveries WHERE webhook = ? ORDER BY id";

static void read_webhook(sqlite3_stmt *st, void *row)
{
    store_webhook *w = row;
    w->id = sqlite3_column_int64(st, 0);
    sq_col_copy(w->org, sizeof w->org, st, 1);
    sq_col_copy(w->url, sizeof w->url, st, 2);
    sq_col_copy(w->events, sizeof w->events, st, 3);
    sq_col_copy(w->secret, sizeof w->secret, st, 4);
    sq_col_copy(w->created_at, sizeof w->created_at, st, 5);
}

static int webhook_insert(store *s, const store_webhook *w, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, webhook_insert_sql, e);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, w->id);
    sq_bind_text(st, 2, w->org);
    sq_bind_text(st, 3, w->url);
    sq_bind_text(st, 4, w->events);
    sq_bind_text(st, 5, w->secret);
    sq_bind_text(st, 6, w->created_at);
    return sq_step_done(s, st, e);
}

static int webhook_get(store *s, int64_t id, store_webhook *out, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, webhook_get_sql, e);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, id);
    return sq_row(s, st, read_webhook, out, e);
}

static int webhook_list(store *s, const char *org, store_row_cb cb, void *cls, tr_err *e)
{
    store_webhook w;
    sqlite3_stmt *st = sq_stmt(s, webhook_list_sql, e);
    if (!st) return -1;
    sq_bind_text(st, 1, org);
    return sq_scan(s, st, read_webhook, &w, cb, cls, e);
}

static int cursor_get(store *s, int64_t *seq, tr_err *e)
{
    return sq_scalar(s, sq_stmt(s, cursor_get_sql, e), seq, e);
}

static int cursor_set(store *s, int64_t seq, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, cursor_set_sql, e);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, seq);
    return sq_step_done(s, st, e);
}

static void read_delivery(sqlite3_stmt *st, void *row)
{
    store_delivery *d = row;
    d->id = sqlite3_column_int64(st, 0);
    d->webhook = sqlite3_column_int64(st, 1);
    d->seq = sqlite3_column_int64(st, 2);
    sq_col_copy(d->event, sizeof d->event, st, 3);
    sq_col_copy(d->status, sizeof d->status, st, 4);
    d->attempts = sqlite3_column_int(st, 5);
    d->next_ms = sqlite3_column_int64(st, 6);
    d->last_code = sqlite3_column_int(st, 7);
    sq_col_copy(d->last_error, sizeof d->last_error, st, 8);
    sq_col_copy(d->updated_at, sizeof d->updated_at, st, 9);
}

static int delivery_insert(store *s, const store_delivery *d, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, delivery_insert_sql, e);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, d->webhook);
    sqlite3_bind_int64(st, 2, d->seq);
    sq_bind_text(st, 3, d->event);
    sq_bind_text(st, 4, d->status);
    sqlite3_bind_int(st, 5, d->attempts);
    sqlite3_bind_int64(st, 6, d->next_ms);
    sqlite3_bind_int(st, 7, d->last_code);
    sq_bind_text(st, 8, d->last_error);
    sq_bind_text(st, 9, d->updated_at);
    return sq_step_done(s, st, e);
}

static int delivery_due(store *s, int64_t now_ms, int64_t limit, store_row_cb cb, void *cls,
                        tr_err *e)
{
    store_delivery d;
    sqlite3_stmt *st = sq_stmt(s, delivery_due_sql, e);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, now_ms);
    sqlite3_bind_int64(st, 2, limit);
    return sq_scan(s, st, read_delivery, &d, cb, cls, e);
}

static int delivery_update(store *s, const store_delivery *d, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, delivery_update_sql, e);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, d->id);
    sq_bind_text(st, 2, d->status);
    sqlite3_bind_int(st, 3, d->attempts);
    sqlite3_bind_int64(st, 4, d->next_ms);
    sqlite3_bind_int(st, 5, d->last_code);
    sq_bind_text(st, 6, d->last_error);
    sq_bind_text(st, 7, d->updated_at);
    return sq_step_done(s, st, e);
}

static int delivery_list(store *s, int64_t webhook, store_row_cb cb, void *cls, tr_err *e)
{
    store_delivery d;
    sqlite3_stmt *st = sq_stmt(s, delivery_list_sql, e);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, webhook);
    return sq_scan(s, st, read_delivery, &d, cb, cls, e);
}

static const comply_store_ops sqlite_ops = {
    .obligation_insert = obligation_insert,
    .obligation_get = obligation_get,
    .obligation_by_ref = obligation_by_ref,
    .obligation_list = obligation_list,
    .obligation_all = obligation_all,
    .state_put = state_put,
    .state_get = state_get,
    .settled_get = settled_get,
    .settled_set = settled_set,
    .note_insert = note_insert,
    .webhook_insert = webhook_insert,
    .webhook_get = webhook_get,
    .webhook_list = webhook_list,
    .cursor_get = cursor_get,
    .cursor_set = cursor_set,
    .delivery_insert = delivery_insert,
    .delivery_due = delivery_due,
    .delivery_update = delivery_update,
    .delivery_list = delivery_list,
    .note_list = note_list,
};

const comply_store_ops *comply_store(const store *s)
{
    return sq_is(s) ? &sqlite_ops : pg_is(s) ? &comply_pg_ops : NULL;
}
