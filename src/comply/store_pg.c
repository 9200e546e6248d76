/* store_pg.c - the compliance pillar's storage on PostgreSQL (comply/store.h), through the
 * store's connection (store/pg_pillar.h): store_sqlite.c's operations in PostgreSQL's SQL. */
#include "comply/store.h"

#include "store/pg_pillar.h"

#include <stdlib.h>
#include <string.h>

#define OBLIGATION_COLS "id, agreement, ref, title, party, kind, spec, created_at"
static const char obligation_insert_sql[] =
    "INSERT INTO obligations(" OBLIGATION_COLS ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
static const char obligation_get_sql[] = "SELECT " OBLIGATION_COLS " FROM obligations"
                                         " WHERE id = $1";
static const char obligation_ref_sql[] =
    "SELECT id FROM obligations WHERE agreement = $1 AND ref = $2";
static const char obligation_list_sql[] =
    "SELECT " OBLIGATION_COLS " FROM obligations WHERE agreement = $1 ORDER BY id";
static const char obligation_all_sql[] = "SELECT " OBLIGATION_COLS " FROM obligations"
                                         " ORDER BY id";
static const char state_put_sql[] =
    "INSERT INTO obligation_states(obligation, state, overlays, as_of, finding)"
    " VALUES ($1, $2, $3, $4, $5) ON CONFLICT(obligation) DO UPDATE SET state = excluded.state,"
    " overlays = excluded.overlays, as_of = excluded.as_of, finding = excluded.finding";
static const char state_get_sql[] = "SELECT obligation, state, overlays, as_of, finding FROM"
                                    " obligation_states WHERE obligation = $1";
static const char settled_get_sql[] = "SELECT as_of FROM obligations_settled WHERE id = 1";
static const char settled_set_sql[] = "INSERT INTO obligations_settled(id, as_of) VALUES (1, $1)"
                                      " ON CONFLICT(id) DO UPDATE SET as_of = excluded.as_of";
static const char note_insert_sql[] =
    "INSERT INTO obligation_notes(id, obligation, kind, org, date, doc, recorded_at)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7)";
static const char note_list_sql[] =
    "SELECT id, obligation, kind, org, date, doc, recorded_at FROM obligation_notes"
    " WHERE obligation = $1 ORDER BY id";

static int done(int64_t changed)
{
    return changed < 0 ? -1 : 0;
}

static void read_obligation_row(const PGresult *r, int i, store_obligation *o)
{
    o->id = pgr_i64(r, i, 0);
    o->agreement = pgr_i64(r, i, 1);
    pgr_copy(o->ref, sizeof o->ref, r, i, 2);
    pgr_copy(o->title, sizeof o->title, r, i, 3);
    pgr_copy(o->party, sizeof o->party, r, i, 4);
    pgr_copy(o->kind, sizeof o->kind, r, i, 5);
    pgr_copy(o->created_at, sizeof o->created_at, r, i, 7);
}

static void read_obligation_copy(const PGresult *r, int i, void *row)
{
    store_obligation *o = row;
    read_obligation_row(r, i, o);
    free(o->spec);
    o->spec = strdup(pgr_text(r, i, 6));
    if (!o->spec) abort();
}

/* spec points into the result, valid during the callback (as on SQLite). */
static void read_obligation_scan(const PGresult *r, int i, void *row)
{
    store_obligation *o = row;
    read_obligation_row(r, i, o);
    o->spec = (char *)pgr_text(r, i, 6);
}

static int obligation_insert(store *s, const store_obligation *o, tr_err *e)
{
    return done(pgx(s, e, obligation_insert_sql, "iitttttt", o->id, o->agreement, o->ref, o->title,
                    o->party, o->kind, o->spec, o->created_at));
}

static int obligation_get(store *s, int64_t id, store_obligation *out, tr_err *e)
{
    return pg_row(pgq(s, e, obligation_get_sql, "i", id), read_obligation_copy, out);
}

static int obligation_by_ref(store *s, int64_t agreement, const char *ref, int64_t *id, tr_err *e)
{
    return pgi(s, id, e, obligation_ref_sql, "it", agreement, ref);
}

static int obligation_list(store *s, int64_t agreement, store_row_cb cb, void *cls, tr_err *e)
{
    store_obligation o = {0};
    return pg_scan(s, pgq(s, e, obligation_list_sql, "i", agreement), read_obligation_scan, &o, cb,
                   cls, e);
}

static int obligation_all(store *s, store_row_cb cb, void *cls, tr_err *e)
{
    store_obligation o = {0};
    return pg_scan(s, pgq(s, e, obligation_all_sql, ""), read_obligation_scan, &o, cb, cls, e);
}

static void read_state(const PGresult *r, int i, void *row)
{
    store_ob_state *x = row;
    x->obligation = pgr_i64(r, i, 0);
    pgr_copy(x->state, sizeof x->state, r, i, 1);
    pgr_copy(x->overlays, sizeof x->overlays, r, i, 2);
    pgr_copy(x->as_of, sizeof x->as_of, r, i, 3);
    pgr_copy(x->finding, sizeof x->finding, r, i, 4);
}

static int state_put(store *s, const store_ob_state *x, tr_err *e)
{
    return done(pgx(s, e, state_put_sql, "itttt", x->obligation, x->state, x->overlays, x->as_of,
                    x->finding));
}

static int state_get(store *s, int64_t obligation, store_ob_state *out, tr_err *e)
{
    return pg_row(pgq(s, e, state_get_sql, "i", obligation), read_state, out);
}

static void read_day(const PGresult *r, int i, void *row)
{
    pgr_copy(row, 11, r, i, 0);
}

static int settled_get(store *s, char out[11], tr_err *e)
{
    out[0] = 0;
    return pg_row(pgq(s, e, settled_get_sql, ""), read_day, out);
}

static int settled_set(store *s, const char *as_of, tr_err *e)
{
    return done(pgx(s, e, settled_set_sql, "t", as_of));
}

static int note_insert(store *s, const store_note *n, tr_err *e)
{
    return done(pgx(s, e, note_insert_sql, "iittttt", n->id, n->obligation, n->kind, n->org,
                    n->date, n->doc, n->recorded_at));
}

static void read_note(const PGresult *r, int i, void *row)
{
    store_note *n = row;
    n->id = pgr_i64(r, i, 0);
    n->obligation = pgr_i64(r, i, 1);
    pgr_copy(n->kind, sizeof n->kind, r, i, 2);
    pgr_copy(n->org, sizeof n->org, r, i, 3);
    pgr_copy(n->date, sizeof n->date, r, i, 4);
    n->doc = pgr_text(r, i, 5);
    pgr_copy(n->recorded_at, sizeof n->recorded_at, r, i, 6);
}

static int note_list(store *s, int64_t obligation, store_row_cb cb, void *cls, tr_err *e)
{
    store_note n;
    return pg_scan(s, pgq(s, e, note_list_sql, "i", obligation), read_note, &n, cb, cls, e);
}

/* ---- webhooks ---------------------------------------------------------------------------- */

#define WEBHOOK_COLS "id, org, url, events, secret, created_at"
static const char webhook_insert_sql[] =
    "INSERT INTO webhooks(" WEBHOOK_COLS ") VALUES ($1, $2, $3, $4, $5, $6)";
static const char webhook_get_sql[] = "SELECT " WEBHOOK_COLS " FROM webhooks WHERE id = $1";
static const char webhook_list_sql[] =
    "SELECT " WEBHOOK_COLS " FROM webhooks WHERE $1::text IS NULL OR org = $1 ORDER BY id";
static const char cursor_get_sql[] = "SELECT coalesce(max(seq), 0) FROM webhook_cursor";
static const char cursor_set_sql[] = "INSERT INTO webhook_cursor(id, seq) VALUES (1, $1)"
                                     " ON CONFLICT(id) DO UPDATE SET seq = excluded.seq";
#define DELIVERY_COLS                                                                              \
    "id, webhook, seq, event, status, attempts, next_ms, last_code, last_error, updated_at"
static const char delivery_insert_sql[] =
    "INSERT INTO webhook_deliveries(webhook, seq, event, status, attempts, next_ms, last_code,"
    " last_error, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING";
static const char delivery_due_sql[] =
    "SELECT " DELIVERY_COLS " FROM webhook_deliveries WHERE status = 'pending' AND next_ms <= $1"
    " ORDER BY id LIMIT $2";
static const char delivery_update_sql[] =
    "UPDATE webhook_deliveries SET status = $2, attempts = $3, next_ms = $4, last_code = $5,"
    " last_error = $6, updated_at = $7 WHERE id = $1";
static const char delivery_list_sql[] =
    "SELECT " DELIVERY_COLS " FROM webhook_deliveries WHERE webhook = $1 ORDER BY id";

static void read_webhook(const PGresult *r, int i, void *row)
{
    store_webhook *w = row;
    w->id = pgr_i64(r, i, 0);
    pgr_copy(w->org, sizeof w->org, r, i, 1);
    pgr_copy(w->url, sizeof w->url, r, i, 2);
    pgr_copy(w->events, sizeof w->events, r, i, 3);
    pgr_copy(w->secret, sizeof w->secret, r, i, 4);
    pgr_copy(w->created_at, sizeof w->created_at, r, i, 5);
}

static int webhook_insert(store *s, const store_webhook *w, tr_err *e)
{
    return done(pgx(s, e, webhook_insert_sql, "ittttt", w->id, w->org, w->url, w->events, w->secret,
                    w->created_at));
}

static int webhook_get(store *s, int64_t id, store_webhook *out, tr_err *e)
{
    return pg_row(pgq(s, e, webhook_get_sql, "i", id), read_webhook, out);
}

static int webhook_list(store *s, const char *org, store_row_cb cb, void *cls, tr_err *e)
{
    store_webhook w;
    return pg_scan(s, pgq(s, e, webhook_list_sql, "t", org), read_webhook, &w, cb, cls, e);
}

static int cursor_get(store *s, int64_t *seq, tr_err *e)
{
    return pgi(s, seq, e, cursor_get_sql, "") < 0 ? -1 : 0;
}

static int cursor_set(store *s, int64_t seq, tr_err *e)
{
    return done(pgx(s, e, cursor_set_sql, "i", seq));
}

static void read_delivery(const PGresult *r, int i, void *row)
{
    store_delivery *d = row;
    d->id = pgr_i64(r, i, 0);
    d->webhook = pgr_i64(r, i, 1);
    d->seq = pgr_i64(r, i, 2);
    pgr_copy(d->event, sizeof d->event, r, i, 3);
    pgr_copy(d->status, sizeof d->status, r, i, 4);
    d->attempts = pgr_int(r, i, 5);
    d->next_ms = pgr_i64(r, i, 6);
    d->last_code = pgr_int(r, i, 7);
    pgr_copy(d->last_error, sizeof d->last_error, r, i, 8);
    pgr_copy(d->updated_at, sizeof d->updated_at, r, i, 9);
}

static int delivery_insert(store *s, const store_delivery *d, tr_err *e)
{
    return done(pgx(s, e, delivery_insert_sql, "iittdidtt", d->webhook, d->seq, d->event, d->status,
                    d->attempts, d->next_ms, d->last_code, d->last_error, d->updated_at));
}

static int delivery_due(store *s, int64_t now_ms, int64_t limit, store_row_cb cb, void *cls,
                        tr_err *e)
{
    store_delivery d;
    return pg_scan(s, pgq(s, e, delivery_due_sql, "ii", now_ms, limit), read_delivery, &d, cb, cls,
                   e);
}

static int delivery_update(store *s, const store_delivery *d, tr_err *e)
{
    return done(pgx(s, e, delivery_update_sql, "itdidtt", d->id, d->status, d->attempts, d->next_ms,
                    d->last_code, d->last_error, d->updated_at));
}

static int delivery_list(store *s, int64_t webhook, store_row_cb cb, void *cls, tr_err *e)
{
    store_delivery d;
    return pg_scan(s, pgq(s, e, delivery_list_sql, "i", webhook), read_delivery, &d, cb, cls, e);
}

const comply_store_ops comply_pg_ops = {
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
