/* store_sqlite.c - the monitor pillar's storage on SQLite (monitor/store.h), through the store's
 * connection (store/sqlite_pillar.h). */
#include "monitor/store.h"

#include "core/buf.h"
#include "core/util.h"
#include "monitor/store_util.h"
#include "store/pg_pillar.h"
#include "store/sqlite_pillar.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The connection's page cache, as the store sets it (store/sqlite.c). */
#define PAGE_CACHE "-65536"

/* The incident filters (store_incident_filter) as SQL over parameters ?1 to ?10, bound by
 * bind_incident_filter(); listing and counting share them. */
#define INC_WHERE                                                                                  \
    " (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR event_type = ?2)"                             \
    " AND (?3 IS NULL OR event_date >= ?3) AND (?4 IS NULL OR event_date <= ?4)"                   \
    " AND (?5 IS NULL OR EXISTS (SELECT 1 FROM incident_zones"                                     \
    "      WHERE zone = ?5 AND incident = incidents.id))"                                          \
    " AND (?6 IS NULL OR (longitude BETWEEN ?6 AND ?8 AND latitude BETWEEN ?7 AND ?9))"            \
    " AND (?10 IS NULL OR status IN ('verified', 'disputed', 'upheld'))"                           \
    " AND (?14 IS NULL OR actor1 = ?14 OR actor2 = ?14)"
/* A small box (at most SMALL_BOX incidents, counted through the place index) is listed
 * from the ids in it; a page of a larger one by id finds its rows soon enough in a plain
 * scan. Without this, listing an empty corner of a million incidents read every row. */
#define SMALL_BOX 5000

static const char blob_get_sql[] = "SELECT data FROM evidence_blobs WHERE sha256 = ?";

static const char blob_put_sql[] = "INSERT INTO evidence_blobs(sha256, data) VALUES (?,?)"
                                   " ON CONFLICT(sha256) DO NOTHING";

static const char blob_scan_sql[] = "SELECT sha256, data FROM evidence_blobs ORDER BY sha256";

static const char dismissed_sql[] =
    "SELECT 1 FROM dismissed_duplicates WHERE subject = ? AND candidate = ?";

static const char dismiss_put_sql[] =
    "INSERT OR IGNORE INTO dismissed_duplicates(subject, candidate)"
    " VALUES (?, ?)";

static const char evi_bytes_sql[] = "SELECT coalesce(sum(size), 0) FROM evidence"
                                    " WHERE org = ? AND stored_at >= ?";

static const char evi_get_sql[] = "SELECT org, media_type, size, stored_at FROM evidence"
                                  " WHERE sha256 = ?1 AND org = ?2";

static const char evi_get_any_sql[] = "SELECT org, media_type, size, stored_at FROM evidence"
                                      " WHERE sha256 = ?1 ORDER BY stored_at, org LIMIT 1";

static const char evi_insert_sql[] =
    "INSERT INTO evidence(sha256, org, media_type, size, stored_at)"
    " VALUES (?,?,?,?,?) ON CONFLICT(sha256, org) DO NOTHING";

static const char inc_by_key_sql[] = "SELECT incident, seq, request_sha256 FROM incident_keys"
                                     " WHERE org = ? AND key = ?";

static const char inc_by_zone_sql[] =
    "SELECT z.zone, count(*) FROM incident_zones AS z JOIN incidents"
    " ON incidents.id = z.incident WHERE" INC_WHERE " GROUP BY 1 ORDER BY 1";

static const char inc_count_sql[] = "SELECT count(*) FROM incidents";

static const char inc_event_add_sql[] =
    "INSERT OR IGNORE INTO incident_events(incident, seq) VALUES (?, ?)";

static const char inc_facets_sql[] =
    "SELECT status, event_type, event_date, actor1, actor2 FROM incidents"
    " WHERE" INC_WHERE;

static const char inc_history_sql[] =
    "SELECT seq FROM incidents WHERE id = ?1 AND seq IS NOT NULL"
    " UNION SELECT seq FROM incident_events WHERE incident = ?1 ORDER BY 1";

static const char inc_id_by_ext_sql[] = "SELECT id FROM incidents WHERE external_id = ?";

static const char inc_in_box_sql[] =
    "SELECT rowid FROM incidents INDEXED BY incidents_place"
    " WHERE longitude BETWEEN ?1 AND ?3 AND latitude BETWEEN ?2 AND ?4"
    " LIMIT ?5";

static const char inc_key_put_sql[] =
    "INSERT INTO incident_keys(org, key, request_sha256, incident, seq)"
    " VALUES (?,?,?,?,?)";

static const char inc_lines_sql[] =
    "SELECT id, acled_csv, status, doc, latitude, longitude, zones FROM incidents"
    " WHERE id > ?11 AND" INC_WHERE " ORDER BY id LIMIT ?12";

static const char inc_lines_box_sql[] =
    "SELECT id, acled_csv, status, doc, latitude, longitude, zones"
    " FROM incidents"
    " WHERE id IN (SELECT value FROM json_each(?13)) AND id > ?11 AND" INC_WHERE
    " ORDER BY id LIMIT ?12";

static const char inc_list_sql[] =
    "SELECT id, status, doc, merged_into, latitude, longitude, NULL, NULL, 0,"
    " acled_csv, zones FROM incidents"
    " WHERE id > ?11 AND" INC_WHERE " ORDER BY id LIMIT ?12";

static const char inc_list_box_sql[] =
    "SELECT id, status, doc, merged_into, latitude, longitude, NULL, NULL,"
    " 0, acled_csv, zones FROM incidents"
    " WHERE id IN (SELECT value FROM json_each(?13)) AND id > ?11 AND" INC_WHERE
    " ORDER BY id LIMIT ?12";

static const char inc_merge_sql[] = "UPDATE incidents SET status = 'duplicate', merged_into = ?,"
                                    " updated_at = ? WHERE id = ?";

static const char inc_next_sql[] = "SELECT coalesce(max(id), 0) + 1 FROM incidents";

static const char inc_status_sql[] = "UPDATE incidents SET status = ?, updated_at = ? WHERE id = ?";

static const char inc_sum_sql[] =
    "SELECT id, status, NULL, 0, latitude, longitude, event_date, event_type,"
    " fatalities, NULL, NULL FROM incidents INDEXED BY incidents_summary"
    " WHERE id > ?11 AND" INC_WHERE " ORDER BY id LIMIT ?12";

static const char inc_sum_box_sql[] =
    "SELECT id, status, NULL, 0, latitude, longitude, event_date, event_type,"
    " fatalities, NULL, NULL FROM incidents INDEXED BY incidents_summary"
    " WHERE id IN (SELECT value FROM json_each(?13)) AND id > ?11 AND" INC_WHERE
    " ORDER BY id LIMIT ?12";

static const char inc_upsert_sql[] =
    "INSERT INTO incidents(external_id, status, provenance, event_date,"
    " event_type, latitude, longitude, fatalities, doc, updated_at, id,"
    " acled_csv, actor1, actor2, seq, zones)"
    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(external_id) DO UPDATE SET"
    " status = excluded.status, provenance = excluded.provenance,"
    " event_date = excluded.event_date, event_type = excluded.event_type,"
    " latitude = excluded.latitude, longitude = excluded.longitude,"
    " fatalities = excluded.fatalities, doc = excluded.doc,"
    " updated_at = excluded.updated_at, acled_csv = excluded.acled_csv,"
    " actor1 = excluded.actor1, actor2 = excluded.actor2, seq = excluded.seq,"
    " zones = excluded.zones";

static const char priv_get_sql[] = "SELECT doc FROM private_fields WHERE subject = ?";

static const char priv_put_sql[] = "INSERT INTO private_fields(subject, doc) VALUES (?,?)"
                                   " ON CONFLICT(subject) DO UPDATE SET doc = excluded.doc";

static const char rep_by_key_sql[] =
    "SELECT org, status, doc, filed_at, incident, request_sha256, id, seq"
    " FROM reports WHERE org = ? AND idempotency_key = ?";

static const char rep_get_sql[] =
    "SELECT org, status, doc, filed_at, incident, request_sha256, id, seq"
    " FROM reports WHERE id = ?";

static const char rep_insert_sql[] =
    "INSERT INTO reports(id, org, status, doc, filed_at, idempotency_key,"
    " request_sha256, seq) VALUES (?,?,?,?,?,?,?,?)";

static const char rep_list_sql[] =
    "SELECT org, status, doc, filed_at, incident, request_sha256, id, seq"
    " FROM reports WHERE (?1 IS NULL OR org = ?1) AND (?2 IS NULL OR status = ?2)"
    " AND id > ?3 ORDER BY id LIMIT ?4";

static const char rep_merge_sql[] =
    "UPDATE reports SET status = 'merged', incident = ? WHERE id = ?";

static const char rep_next_sql[] = "SELECT coalesce(max(id), 0) + 1 FROM reports";

static const char up_count_sql[] =
    "SELECT count(*) FROM (SELECT sha256 FROM evidence_uploads WHERE org = ?"
    " GROUP BY sha256 HAVING max(received_at) >= ?)";

static const char up_drop_sql[] = "DELETE FROM evidence_uploads WHERE sha256 = ? AND org = ?";

static const char up_expire_sql[] =
    "DELETE FROM evidence_uploads WHERE (sha256, org) IN (SELECT sha256, org"
    " FROM evidence_uploads GROUP BY 1, 2 HAVING max(received_at) < ?)";

static const char up_put_sql[] =
    "INSERT INTO evidence_uploads(sha256, org, at, data, total, media_type,"
    " received_at) VALUES (?,?,?,?,?,?,?)";

static const char up_read_sql[] =
    "SELECT data FROM evidence_uploads WHERE sha256 = ? AND org = ? ORDER BY at";

static const char up_state_sql[] = "SELECT sum(length(data)), max(total), max(media_type), count(*)"
                                   " FROM evidence_uploads WHERE sha256 = ? AND org = ?";

static const char zones_add_sql[] =
    "INSERT OR IGNORE INTO incident_zones(zone, incident) VALUES (?, ?)";

static const char zones_clear_sql[] = "DELETE FROM incident_zones WHERE incident = ?";

static const char zone_exists_sql[] = "SELECT 1 FROM zones WHERE slug = ?";

static const char zone_insert_sql[] =
    "INSERT INTO zones(slug, name, kind, geometry) VALUES (?,?,?,?)";

static const char zone_list_sql[] = "SELECT slug, name, kind, geometry FROM zones ORDER BY slug";

static const char zone_print_sql[] = "SELECT count(*) || ':' || coalesce(max(rowid), 0) FROM zones";

static int incident_ids_in_box(store *s, const store_incident_filter *f, size_t max, int64_t **ids,
                               size_t *n, tr_err *e);

static void read_zone(sqlite3_stmt *st, void *row)
{
    store_zone *z = row;
    z->slug = (const char *)sqlite3_column_text(st, 0);
    z->name = (const char *)sqlite3_column_text(st, 1);
    z->kind = (const char *)sqlite3_column_text(st, 2);
    z->geometry = (const char *)sqlite3_column_text(st, 3);
}

/* Binds an incident to the upsert's 16 parameters (its zones' JSON, for a row without a
 * document, into z, which must outlive the step). */
static void bind_incident(sqlite3_stmt *st, const store_incident *in, buf *z)
{
    sq_bind_text(st, 1, in->external_id);
    sq_bind_text(st, 2, in->status);
    sq_bind_text(st, 3, in->provenance);
    sq_bind_text(st, 4, in->event_date);
    sq_bind_text(st, 5, in->event_type);
    sqlite3_bind_double(st, 6, in->latitude);
    sqlite3_bind_double(st, 7, in->longitude);
    sqlite3_bind_int64(st, 8, in->fatalities);
    sq_bind_text(st, 9, in->doc ? in->doc : "");
    sq_bind_text(st, 10, in->updated_at);
    if (in->id)
        sqlite3_bind_int64(st, 11, in->id);
    else
        sqlite3_bind_null(st, 11);
    sq_bind_text(st, 12, in->acled_csv);
    sq_bind_text(st, 13, in->actor1);
    sq_bind_text(st, 14, in->actor2);
    if (in->seq > 0)
        sqlite3_bind_int64(st, 15, in->seq);
    else
        sqlite3_bind_null(st, 15);
    if (!in->doc) { /* its zones, for its document: ["a","b"] (slugs need no escaping) */
        buf_reset(z);
        buf_append(z, "[", 1);
        for (size_t i = 0; i < in->n_zones; i++) {
            buf_puts(z, i ? ",\"" : "\"");
            buf_puts(z, in->zones[i]);
            buf_append(z, "\"", 1);
        }
        buf_append(z, "]", 1);
        sqlite3_bind_text(st, 16, z->p, (int)z->len, SQLITE_STATIC);
    } else {
        sqlite3_bind_null(st, 16);
    }
}

/* The zones of incident id, as rows; clear first when it may have had some. */
static int incident_zones_put(store *s, const store_incident *in, int64_t id, int clear, tr_err *e)
{
    sqlite3_stmt *st;
    if (clear) { /* a re-import may have moved it */
        if (!(st = sq_stmt(s, zones_clear_sql, e))) return -1;
        sqlite3_bind_int64(st, 1, id);
        if (sq_step_done(s, st, e)) return -1;
    }
    for (size_t i = 0; i < in->n_zones; i++) {
        if (!(st = sq_stmt(s, zones_add_sql, e))) return -1;
        sq_bind_text(st, 1, in->zones[i]);
        sqlite3_bind_int64(st, 2, id);
        if (sq_step_done(s, st, e)) return -1;
    }
    return 0;
}

/* Binds ?1 to ?10 of INC_WHERE. */
static void bind_incident_filter(sqlite3_stmt *st, const store_incident_filter *f)
{
    sq_bind_text(st, 1, f->status);
    sq_bind_text(st, 2, f->event_type);
    sq_bind_text(st, 3, f->date_from);
    sq_bind_text(st, 4, f->date_to);
    sq_bind_text(st, 5, f->zone);
    if (f->has_bbox) {
        sqlite3_bind_double(st, 6, f->west);
        sqlite3_bind_double(st, 7, f->south);
        sqlite3_bind_double(st, 8, f->east);
        sqlite3_bind_double(st, 9, f->north);
    } else {
        for (int i = 6; i <= 9; i++)
            sqlite3_bind_null(st, i);
    }
    if (f->public_only)
        sqlite3_bind_int(st, 10, 1);
    else
        sqlite3_bind_null(st, 10);
    sq_bind_text(st, 14, f->actor);
    if (f->ids) { /* json_each reads them: a JSON array */
        buf a = BUF_INIT;
        buf_append(&a, "[", 1);
        for (size_t i = 0; i < f->n_ids; i++) {
            char d[UTIL_I64_LEN];
            if (i) buf_append(&a, ",", 1);
            buf_append(&a, d, util_i64(d, f->ids[i]));
        }
        buf_append(&a, "]", 1);
        sqlite3_bind_text(st, 13, a.p, (int)a.len, SQLITE_TRANSIENT);
        buf_free(&a);
    }
}

static int report_row(store *s, sqlite3_stmt *st, store_report *out, tr_err *e)
{
    int found;
    if ((found = sq_step_one(s, st, e)) != 1) return found;
    sq_col_copy(out->org, sizeof out->org, st, 0);
    sq_col_copy(out->status, sizeof out->status, st, 1);
    free(out->doc);
    out->doc = strdup((const char *)sqlite3_column_text(st, 2));
    sq_col_copy(out->filed_at, sizeof out->filed_at, st, 3);
    out->incident = sqlite3_column_int64(st, 4);
    sq_col_copy(out->request_sha256, sizeof out->request_sha256, st, 5);
    out->id = sqlite3_column_int64(st, 6);
    out->seq = sqlite3_column_int64(st, 7);
    sq_done(st);
    return 1;
}

static void read_blob(sqlite3_stmt *st, void *row)
{
    store_blob *b = row;
    b->sha256 = (const char *)sqlite3_column_text(st, 0);
    b->data = sqlite3_column_blob(st, 1);
    b->len = (size_t)sqlite3_column_bytes(st, 1);
}

static int zone_insert(store *s, const char *slug, const char *name, const char *kind,
                       const char *geometry, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, zone_insert_sql, e);
    if (!st) return -1;
    sq_bind_text(st, 1, slug);
    sq_bind_text(st, 2, name);
    sq_bind_text(st, 3, kind);
    sq_bind_text(st, 4, geometry);
    return sq_step_done(s, st, e);
}

static int zone_exists(store *s, const char *slug, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, zone_exists_sql, e);
    int found;
    if (!st) return -1;
    sq_bind_text(st, 1, slug);
    if ((found = sq_step_one(s, st, e)) != 1) return found;
    sq_done(st);
    return 1;
}

static int zone_list(store *s, store_row_cb cb, void *cls, tr_err *e)
{
    store_zone z;
    return sq_scan(s, sq_stmt(s, zone_list_sql, e), read_zone, &z, cb, cls, e);
}

static char *zone_fingerprint(store *s, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, zone_print_sql, e);
    char *out;
    if (!st || sq_step_one(s, st, e) != 1) return NULL;
    out = strdup((const char *)sqlite3_column_text(st, 0));
    sq_done(st);
    return out;
}

static int incident_upsert(store *s, const store_incident *in, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, inc_upsert_sql, e);
    int64_t id, before = sq_last_rowid(s);
    buf z = BUF_INIT;
    int rc;
    if (!st) return -1;
    bind_incident(st, in, &z);
    /* Not "RETURNING id": a statement with RETURNING takes a statement journal, which
     * made an import three times slower. */
    rc = sq_step_done(s, st, e);
    buf_free(&z);
    if (rc) return -1;
    int inserted = 0; /* a new row: it has no zones yet */
    if (in->id) {
        id = in->id;
    } else if (sq_last_rowid(s) != before) {
        /* An upsert that updates leaves the last rowid as it was: this one inserted. (One
         * that inserts with a rowid equal to the last, freed since, is looked up below.) */
        id = sq_last_rowid(s);
        inserted = 1;
    } else if (in->external_id) { /* inserted or updated: find which row */
        if (!(st = sq_stmt(s, inc_id_by_ext_sql, e))) return -1;
        sq_bind_text(st, 1, in->external_id);
        if ((rc = sq_step_one(s, st, e)) != 1)
            return rc < 0 ? -1 : err_set(e, 500, "store.upsert", NULL, "no incident id");
        id = sqlite3_column_int64(st, 0);
        sq_done(st);
    } else {
        id = sq_last_rowid(s);
    }
    return incident_zones_put(s, in, id, !inserted, e);
}

/* The place index is the import's costliest: each row lands at a random place in it (a
 * quarter of a million-row import's time). Schema 10 made it; the same definition here.
 * The compliance index on actor, type and day (monitor migration 0001) likewise: kept row
 * by row it cost a third of the import. */
static int bulk_begin(store *s, tr_err *e)
{
    return sq_exec(s, "DROP INDEX IF EXISTS incidents_place; DROP INDEX IF EXISTS incidents_actor",
                   e);
}

/* Building the index is mostly sorting its keys (SQLite compares REAL keys the slow,
 * general way). With the page cache as sort memory, a million keys were one 30 MB run
 * sorted at the speed of main memory: 1.5 s. In 4 MB runs, each sorted by a helper thread
 * while the table is read, and merged at the end, it takes half that. */
static int bulk_end(store *s, tr_err *e)
{
    int rc = sq_exec(s,
                     "PRAGMA threads = 2; PRAGMA cache_size = -4096;"
                     " CREATE INDEX IF NOT EXISTS incidents_place"
                     " ON incidents(longitude, latitude);"
                     " CREATE INDEX IF NOT EXISTS incidents_actor"
                     " ON incidents(actor1, event_type, event_date, status)",
                     e);
    tr_err ignored = TR_ERR_INIT; /* the first error is the one to tell */
    if (sq_exec(s, "PRAGMA threads = 0; PRAGMA cache_size = " PAGE_CACHE, rc ? &ignored : e))
        rc = -1;
    err_clear(&ignored);
    return rc;
}

static int64_t incident_count(store *s, tr_err *e)
{
    int64_t n;
    return sq_scalar(s, sq_stmt(s, inc_count_sql, e), &n, e) ? -1 : n;
}

static int incident_list(store *s, const store_incident_filter *f_in, int64_t after, int64_t limit,
                         store_row_cb cb, void *cls, tr_err *e)
{
    store_incident_filter small = *f_in;
    const store_incident_filter *f = f_in;
    int64_t *ids = NULL;
    size_t n = 0;
    int rc;
    if (f_in->has_bbox && !f_in->ids) {
        if (incident_ids_in_box(s, f_in, SMALL_BOX, &ids, &n, e)) return -1;
        if (n <= SMALL_BOX) {
            small.ids = ids;
            small.n_ids = n;
            f = &small;
        }
    }
    sqlite3_stmt *st = sq_stmt(s,
                               f->summary ? (f->ids ? inc_sum_box_sql : inc_sum_sql)
                                          : (f->ids ? inc_list_box_sql : inc_list_sql),
                               e);
    if (!st) {
        free(ids);
        return -1;
    }
    bind_incident_filter(st, f);
    sqlite3_bind_int64(st, 11, after);
    sqlite3_bind_int64(st, 12, limit);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        store_incident_row r = {sqlite3_column_int64(st, 0),
                                (const char *)sqlite3_column_text(st, 1),
                                (const char *)sqlite3_column_text(st, 2),
                                sqlite3_column_int64(st, 3),
                                sqlite3_column_double(st, 4),
                                sqlite3_column_double(st, 5),
                                (const char *)sqlite3_column_text(st, 6),
                                (const char *)sqlite3_column_text(st, 7),
                                sqlite3_column_int64(st, 8),
                                (const char *)sqlite3_column_text(st, 9),
                                (size_t)sqlite3_column_bytes(st, 9),
                                (const char *)sqlite3_column_text(st, 10)};
        if (cb(cls, &r)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    sq_done(st);
    free(ids);
    return rc == SQLITE_DONE ? 0 : sq_fail(s, rc, e);
}

static int incident_lines(store *s, const store_incident_filter *f, int64_t after, int64_t limit,
                          store_row_cb cb, void *cls, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, f->ids ? inc_lines_box_sql : inc_lines_sql, e);
    int rc;
    if (!st) return -1;
    bind_incident_filter(st, f);
    sqlite3_bind_int64(st, 11, after);
    sqlite3_bind_int64(st, 12, limit);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        store_incident_line r = {sqlite3_column_int64(st, 0),
                                 (const char *)sqlite3_column_text(st, 1),
                                 (size_t)sqlite3_column_bytes(st, 1),
                                 (const char *)sqlite3_column_text(st, 2),
                                 (const char *)sqlite3_column_text(st, 3),
                                 sqlite3_column_double(st, 4),
                                 sqlite3_column_double(st, 5),
                                 (const char *)sqlite3_column_text(st, 6)};
        if (cb(cls, &r)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    sq_done(st);
    return rc == SQLITE_DONE ? 0 : sq_fail(s, rc, e);
}

static int incident_ids_in_box(store *s, const store_incident_filter *f, size_t max, int64_t **ids,
                               size_t *n, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, inc_in_box_sql, e);
    size_t cap = 0;
    int rc;
    *ids = NULL;
    *n = 0;
    if (!st) return -1;
    sqlite3_bind_double(st, 1, f->west);
    sqlite3_bind_double(st, 2, f->south);
    sqlite3_bind_double(st, 3, f->east);
    sqlite3_bind_double(st, 4, f->north);
    sqlite3_bind_int64(st, 5, max ? (sqlite3_int64)max + 1 : -1);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 1024;
            *ids = realloc(*ids, cap * sizeof **ids);
            if (!*ids) abort();
        }
        (*ids)[(*n)++] = sqlite3_column_int64(st, 0);
    }
    sq_done(st);
    if (rc != SQLITE_DONE) {
        free(*ids);
        *ids = NULL;
        *n = 0;
        return sq_fail(s, rc, e);
    }
    if (!max || *n <= max) *n = monitor_sort_ids(*ids, *n);
    return 0;
}

#define ATTRIBUTED_WHERE                                                                           \
    " FROM incidents WHERE actor1 IN (SELECT value FROM json_each(?1))"                            \
    " AND event_type IN (SELECT value FROM json_each(?2))"                                         \
    " AND event_date BETWEEN ?3 AND ?4"                                                            \
    " AND (status IN ('verified', 'disputed', 'upheld')"                                           \
    "      OR (?5 = 0 AND status IN ('reported', 'under_investigation')))"                         \
    " AND (?6 IS NULL OR EXISTS (SELECT 1 FROM incident_zones WHERE incident = incidents.id"       \
    "      AND zone IN (SELECT value FROM json_each(?6))))"
static const char attributed_count_sql[] = "SELECT count(*)" ATTRIBUTED_WHERE;
static const char attributed_list_sql[] =
    "SELECT id, external_id, event_date, event_type, status" ATTRIBUTED_WHERE
    " ORDER BY event_date, id LIMIT ?7";

static void bind_attribution(sqlite3_stmt *st, const store_attribution *a)
{
    sq_bind_text(st, 1, a->actors);
    sq_bind_text(st, 2, a->types);
    sq_bind_text(st, 3, a->from);
    sq_bind_text(st, 4, a->to);
    sqlite3_bind_int(st, 5, a->verified_only);
    sq_bind_text(st, 6, a->zones);
}

static void read_attributed(sqlite3_stmt *st, void *row)
{
    store_attributed *r = row;
    r->id = sqlite3_column_int64(st, 0);
    r->external_id = (const char *)sqlite3_column_text(st, 1);
    r->event_date = (const char *)sqlite3_column_text(st, 2);
    r->event_type = (const char *)sqlite3_column_text(st, 3);
    r->status = (const char *)sqlite3_column_text(st, 4);
}

static int incident_attributed(store *s, const store_attribution *a, int64_t limit, store_row_cb cb,
                               void *cls, int64_t *count, tr_err *e)
{
    store_attributed r;
    sqlite3_stmt *st = sq_stmt(s, attributed_count_sql, e);
    if (!st) return -1;
    bind_attribution(st, a);
    if (sq_scalar(s, st, count, e)) return -1;
    if (!limit || !*count) return 0;
    if (!(st = sq_stmt(s, attributed_list_sql, e))) return -1;
    bind_attribution(st, a);
    sqlite3_bind_int64(st, 7, limit);
    return sq_scan(s, st, read_attributed, &r, cb, cls, e);
}

static int incident_counts(store *s, const store_incident_filter *f, store_row_cb cb, void *cls,
                           tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, inc_facets_sql, e);
    json_t *maps[4] = {json_object(), json_object(), json_object(), json_object()};
    int rc;
    if (!st) goto fail;
    bind_incident_filter(st, f);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        monitor_tally(maps[0], (const char *)sqlite3_column_text(st, 0));
        monitor_tally(maps[1], (const char *)sqlite3_column_text(st, 1));
        monitor_tally(maps[2], (const char *)sqlite3_column_text(st, 2));
        monitor_tally(maps[3], (const char *)sqlite3_column_text(st, 3)); /* each side it names */
        monitor_tally(maps[3], (const char *)sqlite3_column_text(st, 4));
    }
    sq_done(st);
    if (rc != SQLITE_DONE) {
        sq_fail(s, rc, e);
        goto fail;
    }
    if (monitor_emit(maps[0], STORE_BY_STATUS, 0, cb, cls) ||
        monitor_emit(maps[1], STORE_BY_TYPE, 0, cb, cls) ||
        monitor_emit(maps[2], STORE_BY_DAY, 0, cb, cls) ||
        monitor_emit(maps[3], STORE_BY_ACTOR, 1, cb, cls))
        goto done;
    if (!(st = sq_stmt(s, inc_by_zone_sql, e))) goto fail;
    bind_incident_filter(st, f);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        store_count c = {STORE_BY_ZONE, (const char *)sqlite3_column_text(st, 0),
                         sqlite3_column_int64(st, 1)};
        if (c.key && cb(cls, &c)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    sq_done(st);
    if (rc != SQLITE_DONE) {
        sq_fail(s, rc, e);
        goto fail;
    }
done:
    for (int i = 0; i < 4; i++)
        json_decref(maps[i]);
    return 0;
fail:
    for (int i = 0; i < 4; i++)
        json_decref(maps[i]);
    return -1;
}

static int report_next_id(store *s, int64_t *id, tr_err *e)
{
    return sq_scalar(s, sq_stmt(s, rep_next_sql, e), id, e);
}

static int report_insert(store *s, int64_t id, const char *org, const char *doc, const char *when,
                         const char *key, const char *request_sha256, int64_t seq, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, rep_insert_sql, e);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, id);
    sq_bind_text(st, 2, org);
    sq_bind_text(st, 3, "filed");
    sq_bind_text(st, 4, doc);
    sq_bind_text(st, 5, when);
    sq_bind_text(st, 6, key);
    sq_bind_text(st, 7, request_sha256);
    sqlite3_bind_int64(st, 8, seq);
    return sq_step_done(s, st, e);
}

static int report_get(store *s, int64_t id, store_report *out, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, rep_get_sql, e);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, id);
    return report_row(s, st, out, e);
}

static int report_by_key(store *s, const char *org, const char *key, store_report *out, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, rep_by_key_sql, e);
    if (!st) return -1;
    sq_bind_text(st, 1, org);
    sq_bind_text(st, 2, key);
    return report_row(s, st, out, e);
}

static int report_merge(store *s, int64_t report, int64_t incident, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, rep_merge_sql, e);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, incident);
    sqlite3_bind_int64(st, 2, report);
    return sq_step_done(s, st, e);
}

static int report_list(store *s, const char *org, const char *status, int64_t after, int64_t limit,
                       store_row_cb cb, void *cls, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, rep_list_sql, e);
    int rc, stop = 0;
    if (!st) return -1;
    sq_bind_text(st, 1, org);
    sq_bind_text(st, 2, status);
    sqlite3_bind_int64(st, 3, after);
    sqlite3_bind_int64(st, 4, limit);
    while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        store_report rep;
        memset(&rep, 0, sizeof rep);
        sq_col_copy(rep.org, sizeof rep.org, st, 0);
        sq_col_copy(rep.status, sizeof rep.status, st, 1);
        if (!(rep.doc = strdup((const char *)sqlite3_column_text(st, 2)))) abort();
        sq_col_copy(rep.filed_at, sizeof rep.filed_at, st, 3);
        rep.incident = sqlite3_column_int64(st, 4);
        sq_col_copy(rep.request_sha256, sizeof rep.request_sha256, st, 5);
        rep.id = sqlite3_column_int64(st, 6);
        rep.seq = sqlite3_column_int64(st, 7);
        stop = cb(cls, &rep);
        free(rep.doc); /* unless the callback took it (and left NULL) */
    }
    if (!stop && rc != SQLITE_DONE) sq_fail(s, rc, e);
    sq_done(st);
    return stop || rc == SQLITE_DONE ? 0 : -1;
}

static int incident_next_id(store *s, int64_t *id, tr_err *e)
{
    return sq_scalar(s, sq_stmt(s, inc_next_sql, e), id, e);
}

static int incident_status(store *s, int64_t id, const char *status, const char *when, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, inc_status_sql, e);
    if (!st) return -1;
    sq_bind_text(st, 1, status);
    sq_bind_text(st, 2, when);
    sqlite3_bind_int64(st, 3, id);
    return sq_step_done(s, st, e);
}

static int incident_merge(store *s, int64_t id, int64_t into, const char *when, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, inc_merge_sql, e);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, into);
    sq_bind_text(st, 2, when);
    sqlite3_bind_int64(st, 3, id);
    return sq_step_done(s, st, e);
}

static int blob_put(store *s, const char *sha256, const void *data, size_t len, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, blob_put_sql, e);
    if (!st) return -1;
    sq_bind_text(st, 1, sha256);
    sqlite3_bind_blob64(st, 2, len ? data : "", (sqlite3_uint64)len, SQLITE_STATIC);
    return sq_step_done(s, st, e);
}

static int blob_get(store *s, const char *sha256, void **data, size_t *len, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, blob_get_sql, e);
    int found;
    *data = NULL;
    *len = 0;
    if (!st) return -1;
    sq_bind_text(st, 1, sha256);
    if ((found = sq_step_one(s, st, e)) != 1) return found;
    *len = (size_t)sqlite3_column_bytes(st, 0);
    *data = malloc(*len ? *len : 1);
    if (!*data) abort();
    if (*len) memcpy(*data, sqlite3_column_blob(st, 0), *len);
    sq_done(st);
    return 1;
}

static int blob_scan(store *s, store_row_cb cb, void *cls, tr_err *e)
{
    store_blob b;
    return sq_scan(s, sq_stmt(s, blob_scan_sql, e), read_blob, &b, cb, cls, e);
}

static int evidence_insert(store *s, const store_evidence *ev, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, evi_insert_sql, e);
    if (!st) return -1;
    sq_bind_text(st, 1, ev->sha256);
    sq_bind_text(st, 2, ev->org);
    sq_bind_text(st, 3, ev->media_type);
    sqlite3_bind_int64(st, 4, ev->size);
    sq_bind_text(st, 5, ev->stored_at);
    return sq_step_done(s, st, e);
}

static int evidence_get(store *s, const char *sha256, const char *org, store_evidence *out,
                        tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, org ? evi_get_sql : evi_get_any_sql, e);
    int found;
    if (!st) return -1;
    sq_bind_text(st, 1, sha256);
    if (org) sq_bind_text(st, 2, org);
    if ((found = sq_step_one(s, st, e)) != 1) return found;
    snprintf(out->sha256, sizeof out->sha256, "%s", sha256);
    sq_col_copy(out->org, sizeof out->org, st, 0);
    sq_col_copy(out->media_type, sizeof out->media_type, st, 1);
    out->size = sqlite3_column_int64(st, 2);
    sq_col_copy(out->stored_at, sizeof out->stored_at, st, 3);
    sq_done(st);
    return 1;
}

static int incident_event_add(store *s, int64_t incident, int64_t seq, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, inc_event_add_sql, e);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, incident);
    sqlite3_bind_int64(st, 2, seq);
    return sq_step_done(s, st, e);
}

static int incident_history(store *s, int64_t incident, int64_t **seqs, size_t *n, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, inc_history_sql, e);
    size_t cap = 0;
    int rc;
    *seqs = NULL;
    *n = 0;
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, incident);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap && !(*seqs = realloc(*seqs, (cap = cap ? 2 * cap : 16) * sizeof **seqs)))
            abort();
        (*seqs)[(*n)++] = sqlite3_column_int64(st, 0);
    }
    if (rc != SQLITE_DONE) sq_fail(s, rc, e);
    sq_done(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

static int incident_key_put(store *s, const char *org, const char *key, const char *request_sha256,
                            int64_t incident, int64_t seq, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, inc_key_put_sql, e);
    if (!st) return -1;
    sq_bind_text(st, 1, org);
    sq_bind_text(st, 2, key);
    sq_bind_text(st, 3, request_sha256);
    sqlite3_bind_int64(st, 4, incident);
    sqlite3_bind_int64(st, 5, seq);
    return sq_step_done(s, st, e);
}

static int incident_by_key(store *s, const char *org, const char *key, int64_t *incident,
                           int64_t *seq, char request_sha256[65], tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, inc_by_key_sql, e);
    int found;
    if (!st) return -1;
    sq_bind_text(st, 1, org);
    sq_bind_text(st, 2, key);
    if ((found = sq_step_one(s, st, e)) != 1) return found;
    *incident = sqlite3_column_int64(st, 0);
    *seq = sqlite3_column_int64(st, 1);
    sq_col_copy(request_sha256, 65, st, 2);
    sq_done(st);
    return 1;
}

static int upload_state(store *s, const char *sha256, const char *org, store_upload *out, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, up_state_sql, e);
    if (!st) return -1;
    sq_bind_text(st, 1, sha256);
    sq_bind_text(st, 2, org);
    if (sq_step_one(s, st, e) != 1) return -1;
    int found = sqlite3_column_int64(st, 3) > 0;
    memset(out, 0, sizeof *out);
    if (found) {
        out->received = sqlite3_column_int64(st, 0);
        out->total = sqlite3_column_int64(st, 1);
        sq_col_copy(out->media_type, sizeof out->media_type, st, 2);
    }
    sq_done(st);
    return found;
}

static int upload_put(store *s, const char *sha256, const char *org, int64_t at, const void *data,
                      size_t len, const store_upload *file, const char *when, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, up_put_sql, e);
    if (!st) return -1;
    sq_bind_text(st, 1, sha256);
    sq_bind_text(st, 2, org);
    sqlite3_bind_int64(st, 3, at);
    sqlite3_bind_blob64(st, 4, len ? data : "", (sqlite3_uint64)len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, file->total);
    sq_bind_text(st, 6, file->media_type);
    sq_bind_text(st, 7, when);
    return sq_step_done(s, st, e);
}

static int upload_read(store *s, const char *sha256, const char *org, buf *out, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, up_read_sql, e);
    int rc;
    if (!st) return -1;
    sq_bind_text(st, 1, sha256);
    sq_bind_text(st, 2, org);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        buf_append(out, sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0));
    if (rc != SQLITE_DONE) sq_fail(s, rc, e);
    sq_done(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

static int upload_drop(store *s, const char *sha256, const char *org, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, up_drop_sql, e);
    if (!st) return -1;
    sq_bind_text(st, 1, sha256);
    sq_bind_text(st, 2, org);
    return sq_step_done(s, st, e);
}

static int upload_expire(store *s, const char *before, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, up_expire_sql, e);
    if (!st) return -1;
    sq_bind_text(st, 1, before);
    return sq_step_done(s, st, e);
}

static int upload_count(store *s, const char *org, const char *since, int64_t *n, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, up_count_sql, e);
    if (!st) return -1;
    sq_bind_text(st, 1, org);
    sq_bind_text(st, 2, since);
    return sq_scalar(s, st, n, e);
}

static int private_put(store *s, const char *subject, const char *doc, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, priv_put_sql, e);
    if (!st) return -1;
    sq_bind_text(st, 1, subject);
    sq_bind_text(st, 2, doc);
    return sq_step_done(s, st, e);
}

static int private_get(store *s, const char *subject, char **doc, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, priv_get_sql, e);
    int found;
    *doc = NULL;
    if (!st) return -1;
    sq_bind_text(st, 1, subject);
    if ((found = sq_step_one(s, st, e)) != 1) return found;
    *doc = strdup((const char *)sqlite3_column_text(st, 0));
    sq_done(st);
    return 1;
}

static int dismiss_put(store *s, const char *subject, int64_t candidate, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, dismiss_put_sql, e);
    if (!st) return -1;
    sq_bind_text(st, 1, subject);
    sqlite3_bind_int64(st, 2, candidate);
    return sq_step_done(s, st, e);
}

static int dismissed(store *s, const char *subject, int64_t candidate, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, dismissed_sql, e);
    int found;
    if (!st) return -1;
    sq_bind_text(st, 1, subject);
    sqlite3_bind_int64(st, 2, candidate);
    if ((found = sq_step_one(s, st, e)) == 1) sq_done(st);
    return found;
}

static int evidence_bytes(store *s, const char *org, const char *since, int64_t *out, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, evi_bytes_sql, e);
    if (!st) return -1;
    sq_bind_text(st, 1, org);
    sq_bind_text(st, 2, since);
    return sq_scalar(s, st, out, e);
}

static const monitor_store_ops sqlite_ops = {
    .zone_insert = zone_insert,
    .zone_exists = zone_exists,
    .zone_list = zone_list,
    .zone_fingerprint = zone_fingerprint,
    .incident_upsert = incident_upsert,
    .bulk_begin = bulk_begin,
    .bulk_end = bulk_end,
    .incident_count = incident_count,
    .incident_list = incident_list,
    .incident_lines = incident_lines,
    .incident_ids_in_box = incident_ids_in_box,
    .incident_attributed = incident_attributed,
    .incident_counts = incident_counts,
    .report_next_id = report_next_id,
    .report_insert = report_insert,
    .report_get = report_get,
    .report_by_key = report_by_key,
    .report_merge = report_merge,
    .report_list = report_list,
    .incident_next_id = incident_next_id,
    .incident_status = incident_status,
    .incident_merge = incident_merge,
    .blob_put = blob_put,
    .blob_get = blob_get,
    .blob_scan = blob_scan,
    .evidence_insert = evidence_insert,
    .evidence_get = evidence_get,
    .incident_event_add = incident_event_add,
    .incident_history = incident_history,
    .incident_key_put = incident_key_put,
    .incident_by_key = incident_by_key,
    .upload_state = upload_state,
    .upload_put = upload_put,
    .upload_read = upload_read,
    .upload_drop = upload_drop,
    .upload_expire = upload_expire,
    .upload_count = upload_count,
    .private_put = private_put,
    .private_get = private_get,
    .dismiss_put = dismiss_put,
    .dismissed = dismissed,
    .evidence_bytes = evidence_bytes,
};

const monitor_store_ops *monitor_store(const store *s)
{
    return sq_is(s) ? &sqlite_ops : pg_is(s) ? &monitor_pg_ops : NULL;
}
