/* store_pg.c - the monitor pillar's storage on PostgreSQL (monitor/store.h), through the
 * store's connection (store/pg_pillar.h): store_sqlite.c's operations in PostgreSQL's SQL.
 * Boxes go through the GiST index on each incident's point; lists of ids and of names are
 * arrays and JSON (jsonb) parameters. */
#include "monitor/store.h"

#include "core/buf.h"
#include "core/util.h"
#include "monitor/store_util.h"
#include "store/pg_pillar.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The incident filters (store_incident_filter) over $1 to $11, in that order (filter_vals);
 * the statements that page add $12 (after) and $13 (limit), those of a box's ids $14. */
#define INC_WHERE                                                                                  \
    " ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR event_type = $2)"                 \
    " AND ($3::text IS NULL OR event_date >= $3) AND ($4::text IS NULL OR event_date <= $4)"       \
    " AND ($5::text IS NULL OR EXISTS (SELECT 1 FROM incident_zones"                               \
    "      WHERE zone = $5 AND incident = incidents.id))"                                          \
    " AND ($6::float8 IS NULL OR (longitude BETWEEN $6 AND $8::float8"                             \
    "      AND latitude BETWEEN $7::float8 AND $9::float8))"                                       \
    " AND ($10::int IS NULL OR status IN ('verified', 'disputed', 'upheld'))"                      \
    " AND ($11::text IS NULL OR actor1 = $11 OR actor2 = $11)"
#define SMALL_BOX 5000 /* as on SQLite (store_sqlite.c) */

#define LIST_COLS                                                                                  \
    "id, status, doc, merged_into, latitude, longitude, NULL, NULL, 0, acled_csv, zones"
#define SUM_COLS                                                                                   \
    "id, status, NULL, 0, latitude, longitude, event_date, event_type, fatalities, NULL, NULL"
#define LINE_COLS "id, acled_csv, status, doc, latitude, longitude, zones"
#define IN_IDS    " id = ANY($14::bigint[]) AND"

static const char inc_list_sql[] =
    "SELECT " LIST_COLS " FROM incidents WHERE id > $12 AND" INC_WHERE " ORDER BY id LIMIT $13";
static const char inc_list_box_sql[] = "SELECT " LIST_COLS " FROM incidents WHERE" IN_IDS
                                       " id > $12 AND" INC_WHERE " ORDER BY id LIMIT $13";
static const char inc_sum_sql[] =
    "SELECT " SUM_COLS " FROM incidents WHERE id > $12 AND" INC_WHERE " ORDER BY id LIMIT $13";
static const char inc_sum_box_sql[] = "SELECT " SUM_COLS " FROM incidents WHERE" IN_IDS
                                      " id > $12 AND" INC_WHERE " ORDER BY id LIMIT $13";
static const char inc_lines_sql[] =
    "SELECT " LINE_COLS " FROM incidents WHERE id > $12 AND" INC_WHERE " ORDER BY id LIMIT $13";
static const char inc_lines_box_sql[] = "SELECT " LINE_COLS " FROM incidents WHERE" IN_IDS
                                        " id > $12 AND" INC_WHERE " ORDER BY id LIMIT $13";
static const char inc_facets_sql[] =
    "SELECT status, event_type, event_date, actor1, actor2 FROM incidents WHERE" INC_WHERE;
static const char inc_by_zone_sql[] =
    "SELECT z.zone, count(*) FROM incident_zones AS z JOIN incidents ON incidents.id = z.incident"
    " WHERE" INC_WHERE " GROUP BY 1 ORDER BY 1";
static const char inc_in_box_sql[] =
    "SELECT id FROM incidents WHERE point(longitude, latitude) <@ box(point($1, $2),"
    " point($3, $4)) LIMIT $5::bigint";
static const char inc_upsert_sql[] =
    "INSERT INTO incidents AS i(external_id, status, provenance, event_date, event_type,"
    " latitude, longitude, fatalities, doc, updated_at, id, acled_csv, actor1, actor2, seq, zones)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,"
    " coalesce($11::bigint, (SELECT coalesce(max(id), 0) + 1 FROM incidents)),"
    " $12, $13, $14, $15, $16) ON CONFLICT(external_id) DO UPDATE SET"
    " status = excluded.status, provenance = excluded.provenance,"
    " event_date = excluded.event_date, event_type = excluded.event_type,"
    " latitude = excluded.latitude, longitude = excluded.longitude,"
    " fatalities = excluded.fatalities, doc = excluded.doc, updated_at = excluded.updated_at,"
    " acled_csv = excluded.acled_csv, actor1 = excluded.actor1, actor2 = excluded.actor2,"
    " seq = excluded.seq, zones = excluded.zones RETURNING i.id, (i.xmax = 0)";
static const char zones_add_sql[] =
    "INSERT INTO incident_zones(zone, incident) VALUES ($1, $2) ON CONFLICT DO NOTHING";
static const char zones_clear_sql[] = "DELETE FROM incident_zones WHERE incident = $1";
static const char inc_count_sql[] = "SELECT count(*) FROM incidents";
static const char inc_next_sql[] = "SELECT coalesce(max(id), 0) + 1 FROM incidents";
static const char inc_status_sql[] =
    "UPDATE incidents SET status = $1, updated_at = $2 WHERE id = $3";
static const char inc_merge_sql[] = "UPDATE incidents SET status = 'duplicate', merged_into = $1,"
                                    " updated_at = $2 WHERE id = $3";
static const char inc_event_add_sql[] =
    "INSERT INTO incident_events(incident, seq) VALUES ($1, $2) ON CONFLICT DO NOTHING";
static const char inc_history_sql[] =
    "SELECT seq FROM incidents WHERE id = $1 AND seq IS NOT NULL"
    " UNION SELECT seq FROM incident_events WHERE incident = $1 ORDER BY 1";
static const char inc_key_put_sql[] = "INSERT INTO incident_keys(org, key, request_sha256, "
                                      "incident, seq) VALUES ($1, $2, $3, $4, $5)";
static const char inc_by_key_sql[] =
    "SELECT incident, seq, request_sha256 FROM incident_keys WHERE org = $1 AND key = $2";

#define ATTRIBUTED_WHERE                                                                           \
    " FROM incidents WHERE actor1 IN (SELECT jsonb_array_elements_text($1::jsonb))"                \
    " AND event_type IN (SELECT jsonb_array_elements_text($2::jsonb))"                             \
    " AND event_date BETWEEN $3 AND $4"                                                            \
    " AND (status IN ('verified', 'disputed', 'upheld')"                                           \
    "      OR ($5::int = 0 AND status IN ('reported', 'under_investigation')))"                    \
    " AND ($6::jsonb IS NULL OR EXISTS (SELECT 1 FROM incident_zones WHERE incident ="             \
    "      incidents.id AND zone IN (SELECT jsonb_array_elements_text($6::jsonb))))"
static const char attributed_count_sql[] = "SELECT count(*)" ATTRIBUTED_WHERE;
static const char attributed_list_sql[] =
    "SELECT id, external_id, event_date, event_type, status" ATTRIBUTED_WHERE
    " ORDER BY event_date, id LIMIT $7";

#define REPORT_COLS "org, status, doc, filed_at, incident, request_sha256, id, seq"
static const char rep_by_key_sql[] =
    "SELECT " REPORT_COLS " FROM reports WHERE org = $1 AND idempotency_key = $2";
static const char rep_get_sql[] = "SELECT " REPORT_COLS " FROM reports WHERE id = $1";
static const char rep_insert_sql[] =
    "INSERT INTO reports(id, org, status, doc, filed_at, idempotency_key, request_sha256, seq)"
    " VALUES ($1, $2, 'filed', $3, $4, $5, $6, $7)";
static const char rep_list_sql[] =
    "SELECT " REPORT_COLS " FROM reports WHERE ($1::text IS NULL OR org = $1)"
    " AND ($2::text IS NULL OR status = $2) AND id > $3 ORDER BY id LIMIT $4";
static const char rep_merge_sql[] = "UPDATE reports SET status = 'merged', incident = $1"
                                    " WHERE id = $2";
static const char rep_next_sql[] = "SELECT coalesce(max(id), 0) + 1 FROM reports";

static const char blob_get_sql[] = "SELECT data FROM evidence_blobs WHERE sha256 = $1";
static const char blob_put_sql[] = "INSERT INTO evidence_blobs(sha256, data) VALUES ($1, $2)"
                                   " ON CONFLICT(sha256) DO NOTHING";
static const char blob_names_sql[] = "SELECT sha256 FROM evidence_blobs ORDER BY sha256";
static const char evi_bytes_sql[] = "SELECT coalesce(sum(size), 0) FROM evidence"
                                    " WHERE org = $1 AND stored_at >= $2";
static const char evi_get_sql[] = "SELECT org, media_type, size, stored_at FROM evidence"
                                  " WHERE sha256 = $1 AND org = $2";
static const char evi_get_any_sql[] = "SELECT org, media_type, size, stored_at FROM evidence"
                                      " WHERE sha256 = $1 ORDER BY stored_at, org LIMIT 1";
static const char evi_insert_sql[] =
    "INSERT INTO evidence(sha256, org, media_type, size, stored_at)"
    " VALUES ($1, $2, $3, $4, $5) ON CONFLICT(sha256, org) DO NOTHING";

static const char up_count_sql[] =
    "SELECT count(*) FROM (SELECT sha256 FROM evidence_uploads WHERE org = $1"
    " GROUP BY sha256 HAVING max(received_at) >= $2) AS u";
static const char up_drop_sql[] = "DELETE FROM evidence_uploads WHERE sha256 = $1 AND org = $2";
static const char up_expire_sql[] =
    "DELETE FROM evidence_uploads WHERE (sha256, org) IN (SELECT sha256, org"
    " FROM evidence_uploads GROUP BY 1, 2 HAVING max(received_at) < $1)";
static const char up_put_sql[] =
    "INSERT INTO evidence_uploads(sha256, org, at, data, total, media_type, received_at)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7)";
static const char up_read_sql[] =
    "SELECT data FROM evidence_uploads WHERE sha256 = $1 AND org = $2 ORDER BY at";
static const char up_state_sql[] = "SELECT sum(length(data)), max(total), max(media_type), count(*)"
                                   " FROM evidence_uploads WHERE sha256 = $1 AND org = $2";

static const char priv_get_sql[] = "SELECT doc FROM private_fields WHERE subject = $1";
static const char priv_put_sql[] = "INSERT INTO private_fields(subject, doc) VALUES ($1, $2)"
                                   " ON CONFLICT(subject) DO UPDATE SET doc = excluded.doc";
static const char dismissed_sql[] =
    "SELECT 1 FROM dismissed_duplicates WHERE subject = $1 AND candidate = $2";
static const char dismiss_put_sql[] = "INSERT INTO dismissed_duplicates(subject, candidate)"
                                      " VALUES ($1, $2) ON CONFLICT DO NOTHING";

static const char zone_exists_sql[] = "SELECT 1 FROM zones WHERE slug = $1";
static const char zone_insert_sql[] =
    "INSERT INTO zones(slug, name, kind, geometry) VALUES ($1, $2, $3, $4)";
static const char zone_list_sql[] = "SELECT slug, name, kind, geometry FROM zones ORDER BY slug";
static const char zone_print_sql[] =
    "SELECT count(*)::text || ':' || coalesce(max(n), 0)::text FROM zones";

static int done(int64_t changed)
{
    return changed < 0 ? -1 : 0;
}

/* ---- zones ------------------------------------------------------------------------------- */

static void read_zone(const PGresult *r, int i, void *row)
{
    store_zone *z = row;
    z->slug = pgr_text(r, i, 0);
    z->name = pgr_text(r, i, 1);
    z->kind = pgr_text(r, i, 2);
    z->geometry = pgr_text(r, i, 3);
}

static int zone_insert(store *s, const char *slug, const char *name, const char *kind,
                       const char *geometry, tr_err *e)
{
    return done(pgx(s, e, zone_insert_sql, "tttt", slug, name, kind, geometry));
}

static int zone_exists(store *s, const char *slug, tr_err *e)
{
    int64_t one;
    return pgi(s, &one, e, zone_exists_sql, "t", slug);
}

static int zone_list(store *s, store_row_cb cb, void *cls, tr_err *e)
{
    store_zone z;
    return pg_scan(s, pgq(s, e, zone_list_sql, ""), read_zone, &z, cb, cls, e);
}

static char *zone_fingerprint(store *s, tr_err *e)
{
    PGresult *r = pgq(s, e, zone_print_sql, "");
    if (!r) return NULL;
    char *out = strdup(pgr_text(r, 0, 0));
    PQclear(r);
    if (!out) abort();
    return out;
}

/* ---- incidents ----------------------------------------------------------------------------- */

/* An incident's zones as a JSON array (slugs need no escaping), for a row without a document. */
static void zones_json(const store_incident *in, buf *z)
{
    buf_reset(z);
    buf_append(z, "[", 1);
    for (size_t i = 0; i < in->n_zones; i++) {
        buf_puts(z, i ? ",\"" : "\"");
        buf_puts(z, in->zones[i]);
        buf_append(z, "\"", 1);
    }
    buf_append(z, "]", 1);
    buf_append(z, "", 1); /* NUL */
}

static int incident_upsert(store *s, const store_incident *in, tr_err *e)
{
    char lat[32], lon[32], fat[24], id[24], seq[24];
    buf z = BUF_INIT;
    snprintf(lat, sizeof lat, "%.17g", in->latitude);
    snprintf(lon, sizeof lon, "%.17g", in->longitude);
    snprintf(fat, sizeof fat, "%lld", (long long)in->fatalities);
    snprintf(id, sizeof id, "%lld", (long long)in->id);
    snprintf(seq, sizeof seq, "%lld", (long long)in->seq);
    if (!in->doc) zones_json(in, &z);
    const char *vals[16] = {in->external_id,
                            in->status,
                            in->provenance,
                            in->event_date,
                            in->event_type,
                            lat,
                            lon,
                            fat,
                            in->doc ? in->doc : "",
                            in->updated_at,
                            in->id ? id : NULL,
                            in->acled_csv,
                            in->actor1,
                            in->actor2,
                            in->seq > 0 ? seq : NULL,
                            in->doc ? NULL : z.p};
    PGresult *r = pgq_text(s, e, inc_upsert_sql, 16, vals);
    buf_free(&z);
    if (!r) return -1;
    if (PQntuples(r) != 1) {
        PQclear(r);
        return err_set(e, 500, "store.upsert", NULL, "no incident id");
    }
    int64_t row = pgr_i64(r, 0, 0);
    int inserted = pgr_text(r, 0, 1)[0] == 't';
    PQclear(r);
    if (!inserted && pgx(s, e, zones_clear_sql, "i", row) < 0) return -1; /* it may have moved */
    for (size_t i = 0; i < in->n_zones; i++)
        if (pgx(s, e, zones_add_sql, "ti", in->zones[i], row) < 0) return -1;
    return 0;
}

/* Many incidents through COPY into a table of this connection's own, then three statements
 * for the lot: what an import of 500 rows would otherwise send as 1,500. New incidents are
 * numbered in the order their external ids first appear, as one upsert after another
 * would; the last row of an id is the one kept. */
static const char load_table_sql[] =
    "CREATE TEMP TABLE IF NOT EXISTS incident_load(ord int, external_id text,"
    " status text, provenance text, event_date text, event_type text, latitude float8,"
    " longitude float8, fatalities bigint, doc text, updated_at text, acled_csv text,"
    " actor1 text, actor2 text, seq bigint, zones text) ON COMMIT DELETE ROWS;"
    "TRUNCATE incident_load";
static const char load_copy_sql[] = "COPY incident_load FROM STDIN";
/* A temporary table has no statistics until analysed: without them the planner would scan
 * every incident for each batch's 500 rows instead of using the external id's index. */
static const char load_analyze_sql[] = "ANALYZE incident_load";
static const char load_zones_clear_sql[] =
    "DELETE FROM incident_zones AS z USING incidents AS i, incident_load AS l"
    " WHERE z.incident = i.id AND i.external_id = l.external_id";
static const char load_upsert_sql[] =
    "WITH firsts AS (SELECT external_id, min(ord) AS o FROM incident_load GROUP BY 1),"
    " fresh AS (SELECT f.external_id, (SELECT coalesce(max(id), 0) FROM incidents)"
    "   + row_number() OVER (ORDER BY f.o) AS id FROM firsts AS f WHERE NOT EXISTS"
    "   (SELECT 1 FROM incidents AS x WHERE x.external_id = f.external_id)),"
    " last AS (SELECT DISTINCT ON (external_id) * FROM incident_load"
    "   ORDER BY external_id, ord DESC)"
    " INSERT INTO incidents AS i(external_id, status, provenance, event_date, event_type,"
    " latitude, longitude, fatalities, doc, updated_at, id, acled_csv, actor1, actor2, seq, zones)"
    " SELECT l.external_id, l.status, l.provenance, l.event_date, l.event_type, l.latitude,"
    " l.longitude, l.fatalities, l.doc, l.updated_at, coalesce(fresh.id, -l.ord), l.acled_csv,"
    " l.actor1, l.actor2, l.seq, l.zones FROM last AS l LEFT JOIN fresh USING (external_id)"
    " ORDER BY l.ord ON CONFLICT(external_id) DO UPDATE SET"
    " status = excluded.status, provenance = excluded.provenance,"
    " event_date = excluded.event_date, event_type = excluded.event_type,"
    " latitude = excluded.latitude, longitude = excluded.longitude,"
    " fatalities = excluded.fatalities, doc = excluded.doc, updated_at = excluded.updated_at,"
    " acled_csv = excluded.acled_csv, actor1 = excluded.actor1, actor2 = excluded.actor2,"
    " seq = excluded.seq, zones = excluded.zones";
static const char load_zones_add_sql[] =
    "INSERT INTO incident_zones(zone, incident)"
    " SELECT z, i.id FROM (SELECT DISTINCT ON (external_id) external_id, zones FROM"
    " incident_load ORDER BY external_id, ord DESC) AS l JOIN incidents AS i USING (external_id),"
    " jsonb_array_elements_text(coalesce(l.zones, '[]')::jsonb) AS z ON CONFLICT DO NOTHING";

static int incident_upsert_many(store *s, const store_incident *in, size_t n, tr_err *e)
{
    buf rows = BUF_INIT, z = BUF_INIT;
    char num[40];
    for (size_t k = 0; k < n; k++) {
        const store_incident *r = &in[k];
        if (r->doc && r->n_zones) { /* zones kept in incident_zones only: one by one */
            buf_free(&rows);
            for (size_t j = 0; j < n; j++)
                if (incident_upsert(s, &in[j], e)) return -1;
            return 0;
        }
        buf_reset(&z);
        if (!r->doc) zones_json(r, &z);
        snprintf(num, sizeof num, "%zu\t", k);
        buf_puts(&rows, num);
        const char *texts[] = {r->external_id, r->status, r->provenance, r->event_date,
                               r->event_type};
        for (size_t t = 0; t < 5; t++) {
            pg_copy_text(&rows, texts[t]);
            buf_puts(&rows, "\t");
        }
        snprintf(num, sizeof num, "%.17g\t", r->latitude);
        buf_puts(&rows, num);
        snprintf(num, sizeof num, "%.17g\t", r->longitude);
        buf_puts(&rows, num);
        snprintf(num, sizeof num, "%lld\t", (long long)r->fatalities);
        buf_puts(&rows, num);
        pg_copy_text(&rows, r->doc ? r->doc : "");
        buf_puts(&rows, "\t");
        pg_copy_text(&rows, r->updated_at);
        buf_puts(&rows, "\t");
        pg_copy_text(&rows, r->acled_csv);
        buf_puts(&rows, "\t");
        pg_copy_text(&rows, r->actor1);
        buf_puts(&rows, "\t");
        pg_copy_text(&rows, r->actor2);
        buf_puts(&rows, "\t");
        if (r->seq > 0) {
            snprintf(num, sizeof num, "%lld", (long long)r->seq);
            buf_puts(&rows, num);
        } else {
            buf_puts(&rows, "\\N");
        }
        buf_puts(&rows, "\t");
        pg_copy_text(&rows, r->doc ? NULL : z.p);
        buf_puts(&rows, "\n");
    }
    buf_free(&z);
    int rc = pg_exec(s, load_table_sql, e) ||
                     pg_copy(s, load_copy_sql, rows.p ? rows.p : "", rows.len, e) ||
                     pg_exec(s, load_analyze_sql, e) || pgx(s, e, load_zones_clear_sql, "") < 0 ||
                     pgx(s, e, load_upsert_sql, "") < 0 || pgx(s, e, load_zones_add_sql, "") < 0
                 ? -1
                 : 0;
    buf_free(&rows);
    return rc;
}

static int64_t incident_count(store *s, tr_err *e)
{
    int64_t n;
    return pgi(s, &n, e, inc_count_sql, "") < 0 ? -1 : n;
}

/* The filter's 11 parameters as text in vals, then after ($12); the limit ($13) is the
 * caller's; ids, when the filter has them, as an array literal ($14) in ids, which the caller
 * frees. */
typedef struct filter_text {
    const char *vals[14];
    char num[5][32];
    buf ids;
} filter_text;

static void filter_vals(const store_incident_filter *f, int64_t after, filter_text *t)
{
    memset(t->vals, 0, sizeof t->vals);
    t->vals[0] = f->status;
    t->vals[1] = f->event_type;
    t->vals[2] = f->date_from;
    t->vals[3] = f->date_to;
    t->vals[4] = f->zone;
    if (f->has_bbox) {
        double v[4] = {f->west, f->south, f->east, f->north};
        for (int i = 0; i < 4; i++) {
            snprintf(t->num[i], sizeof t->num[i], "%.17g", v[i]);
            t->vals[5 + i] = t->num[i];
        }
    }
    t->vals[9] = f->public_only ? "1" : NULL;
    t->vals[10] = f->actor;
    snprintf(t->num[4], sizeof t->num[4], "%lld", (long long)after);
    t->vals[11] = t->num[4];
    t->ids = (buf)BUF_INIT;
    if (f->ids) {
        buf_append(&t->ids, "{", 1);
        for (size_t i = 0; i < f->n_ids; i++) {
            char d[UTIL_I64_LEN];
            if (i) buf_append(&t->ids, ",", 1);
            buf_append(&t->ids, d, util_i64(d, f->ids[i]));
        }
        buf_append(&t->ids, "}", 2); /* and the NUL */
        t->vals[13] = t->ids.p;
    }
}

static PGresult *paged(store *s, const char *sql, const store_incident_filter *f, int64_t after,
                       int64_t limit, tr_err *e)
{
    filter_text t;
    char lim[32];
    filter_vals(f, after, &t);
    snprintf(lim, sizeof lim, "%lld", (long long)limit);
    t.vals[12] = lim;
    PGresult *r = pgq_text(s, e, sql, f->ids ? 14 : 13, t.vals);
    buf_free(&t.ids);
    return r;
}

static int incident_ids_in_box(store *s, const store_incident_filter *f, size_t max, int64_t **ids,
                               size_t *n, tr_err *e);

static int incident_list(store *s, const store_incident_filter *f_in, int64_t after, int64_t limit,
                         store_row_cb cb, void *cls, tr_err *e)
{
    store_incident_filter small = *f_in;
    const store_incident_filter *f = f_in;
    int64_t *ids = NULL;
    size_t n = 0;
    if (f_in->has_bbox && !f_in->ids) {
        if (incident_ids_in_box(s, f_in, SMALL_BOX, &ids, &n, e)) return -1;
        if (n <= SMALL_BOX) {
            small.ids = ids;
            small.n_ids = n;
            f = &small;
        }
    }
    PGresult *r = paged(s,
                        f->summary ? (f->ids ? inc_sum_box_sql : inc_sum_sql)
                                   : (f->ids ? inc_list_box_sql : inc_list_sql),
                        f, after, limit, e);
    free(ids);
    if (!r) return -1;
    for (int i = 0, rows = PQntuples(r); i < rows; i++) {
        store_incident_row row = {pgr_i64(r, i, 0),
                                  pgr_text(r, i, 1),
                                  pgr_null(r, i, 2) ? NULL : pgr_text(r, i, 2),
                                  pgr_i64(r, i, 3),
                                  pgr_f(r, i, 4),
                                  pgr_f(r, i, 5),
                                  pgr_null(r, i, 6) ? NULL : pgr_text(r, i, 6),
                                  pgr_null(r, i, 7) ? NULL : pgr_text(r, i, 7),
                                  pgr_i64(r, i, 8),
                                  pgr_null(r, i, 9) ? NULL : pgr_text(r, i, 9),
                                  (size_t)PQgetlength(r, i, 9),
                                  pgr_null(r, i, 10) ? NULL : pgr_text(r, i, 10)};
        if (cb(cls, &row)) break;
    }
    PQclear(r);
    return 0;
}

static int incident_lines(store *s, const store_incident_filter *f, int64_t after, int64_t limit,
                          store_row_cb cb, void *cls, tr_err *e)
{
    PGresult *r = paged(s, f->ids ? inc_lines_box_sql : inc_lines_sql, f, after, limit, e);
    if (!r) return -1;
    for (int i = 0, rows = PQntuples(r); i < rows; i++) {
        store_incident_line line = {pgr_i64(r, i, 0),
                                    pgr_null(r, i, 1) ? NULL : pgr_text(r, i, 1),
                                    (size_t)PQgetlength(r, i, 1),
                                    pgr_text(r, i, 2),
                                    pgr_text(r, i, 3),
                                    pgr_f(r, i, 4),
                                    pgr_f(r, i, 5),
                                    pgr_null(r, i, 6) ? NULL : pgr_text(r, i, 6)};
        if (cb(cls, &line)) break;
    }
    PQclear(r);
    return 0;
}

static int incident_ids_in_box(store *s, const store_incident_filter *f, size_t max, int64_t **ids,
                               size_t *n, tr_err *e)
{
    char lim[32];
    snprintf(lim, sizeof lim, "%lld", (long long)max + 1);
    char num[4][32];
    double v[4] = {f->west, f->south, f->east, f->north};
    for (int i = 0; i < 4; i++)
        snprintf(num[i], sizeof num[i], "%.17g", v[i]);
    const char *vals[5] = {num[0], num[1], num[2], num[3], max ? lim : NULL};
    *ids = NULL;
    *n = 0;
    PGresult *r = pgq_text(s, e, inc_in_box_sql, 5, vals);
    if (!r) return -1;
    size_t rows = (size_t)PQntuples(r);
    if (rows) {
        *ids = malloc(rows * sizeof **ids);
        if (!*ids) abort();
    }
    for (size_t i = 0; i < rows; i++)
        (*ids)[i] = pgr_i64(r, (int)i, 0);
    *n = rows;
    PQclear(r);
    if (!max || *n <= max) *n = monitor_sort_ids(*ids, *n);
    return 0;
}

static void read_attributed(const PGresult *r, int i, void *row)
{
    store_attributed *a = row;
    a->id = pgr_i64(r, i, 0);
    a->external_id = pgr_null(r, i, 1) ? NULL : pgr_text(r, i, 1);
    a->event_date = pgr_text(r, i, 2);
    a->event_type = pgr_text(r, i, 3);
    a->status = pgr_text(r, i, 4);
}

static int incident_attributed(store *s, const store_attribution *a, int64_t limit, store_row_cb cb,
                               void *cls, int64_t *count, tr_err *e)
{
    store_attributed row;
    if (pgi(s, count, e, attributed_count_sql, "ttttdt", a->actors, a->types, a->from, a->to,
            a->verified_only, a->zones) < 0)
        return -1;
    if (!limit || !*count) return 0;
    return pg_scan(s,
                   pgq(s, e, attributed_list_sql, "ttttdti", a->actors, a->types, a->from, a->to,
                       a->verified_only, a->zones, limit),
                   read_attributed, &row, cb, cls, e);
}

static int incident_counts(store *s, const store_incident_filter *f, store_row_cb cb, void *cls,
                           tr_err *e)
{
    filter_text t;
    json_t *maps[4] = {json_object(), json_object(), json_object(), json_object()};
    int rc = -1;
    filter_vals(f, 0, &t);
    PGresult *r = pgq_text(s, e, inc_facets_sql, 11, t.vals);
    if (!r) goto out;
    for (int i = 0, rows = PQntuples(r); i < rows; i++) {
        monitor_tally(maps[0], pgr_text(r, i, 0));
        monitor_tally(maps[1], pgr_text(r, i, 1));
        monitor_tally(maps[2], pgr_text(r, i, 2));
        monitor_tally(maps[3], pgr_text(r, i, 3)); /* each side it names */
        monitor_tally(maps[3], pgr_text(r, i, 4));
    }
    PQclear(r);
    rc = 0;
    if (monitor_emit(maps[0], STORE_BY_STATUS, 0, cb, cls) ||
        monitor_emit(maps[1], STORE_BY_TYPE, 0, cb, cls) ||
        monitor_emit(maps[2], STORE_BY_DAY, 0, cb, cls) ||
        monitor_emit(maps[3], STORE_BY_ACTOR, 1, cb, cls))
        goto out;
    if (!(r = pgq_text(s, e, inc_by_zone_sql, 11, t.vals))) {
        rc = -1;
        goto out;
    }
    for (int i = 0, rows = PQntuples(r); i < rows; i++) {
        store_count c = {STORE_BY_ZONE, pgr_text(r, i, 0), pgr_i64(r, i, 1)};
        if (cb(cls, &c)) break;
    }
    PQclear(r);
out:
    buf_free(&t.ids);
    for (int i = 0; i < 4; i++)
        json_decref(maps[i]);
    return rc;
}

static int incident_next_id(store *s, int64_t *id, tr_err *e)
{
    return pgi(s, id, e, inc_next_sql, "") < 0 ? -1 : 0;
}

static int incident_status(store *s, int64_t id, const char *status, const char *when, tr_err *e)
{
    return done(pgx(s, e, inc_status_sql, "tti", status, when, id));
}

static int incident_merge(store *s, int64_t id, int64_t into, const char *when, tr_err *e)
{
    return done(pgx(s, e, inc_merge_sql, "iti", into, when, id));
}

static int incident_event_add(store *s, int64_t incident, int64_t seq, tr_err *e)
{
    return done(pgx(s, e, inc_event_add_sql, "ii", incident, seq));
}

static int incident_history(store *s, int64_t incident, int64_t **seqs, size_t *n, tr_err *e)
{
    *seqs = NULL;
    *n = 0;
    PGresult *r = pgq(s, e, inc_history_sql, "i", incident);
    if (!r) return -1;
    size_t rows = (size_t)PQntuples(r);
    if (rows && !(*seqs = malloc(rows * sizeof **seqs))) abort();
    for (size_t i = 0; i < rows; i++)
        (*seqs)[i] = pgr_i64(r, (int)i, 0);
    *n = rows;
    PQclear(r);
    return 0;
}

static int incident_key_put(store *s, const char *org, const char *key, const char *request_sha256,
                            int64_t incident, int64_t seq, tr_err *e)
{
    return done(pgx(s, e, inc_key_put_sql, "tttii", org, key, request_sha256, incident, seq));
}

typedef struct key_row {
    int64_t *incident, *seq;
    char *sha;
} key_row;

static void read_key(const PGresult *r, int i, void *row)
{
    key_row *k = row;
    *k->incident = pgr_i64(r, i, 0);
    *k->seq = pgr_i64(r, i, 1);
    pgr_copy(k->sha, 65, r, i, 2);
}

static int incident_by_key(store *s, const char *org, const char *key, int64_t *incident,
                           int64_t *seq, char request_sha256[65], tr_err *e)
{
    key_row k = {incident, seq, request_sha256};
    return pg_row(pgq(s, e, inc_by_key_sql, "tt", org, key), read_key, &k);
}

/* ---- reports ----------------------------------------------------------------------------------
 */

static void read_report(const PGresult *r, int i, void *row)
{
    store_report *out = row;
    pgr_copy(out->org, sizeof out->org, r, i, 0);
    pgr_copy(out->status, sizeof out->status, r, i, 1);
    free(out->doc);
    if (!(out->doc = strdup(pgr_text(r, i, 2)))) abort();
    pgr_copy(out->filed_at, sizeof out->filed_at, r, i, 3);
    out->incident = pgr_i64(r, i, 4);
    pgr_copy(out->request_sha256, sizeof out->request_sha256, r, i, 5);
    out->id = pgr_i64(r, i, 6);
    out->seq = pgr_i64(r, i, 7);
}

static int report_next_id(store *s, int64_t *id, tr_err *e)
{
    return pgi(s, id, e, rep_next_sql, "") < 0 ? -1 : 0;
}

static int report_insert(store *s, int64_t id, const char *org, const char *doc, const char *when,
                         const char *key, const char *request_sha256, int64_t seq, tr_err *e)
{
    return done(pgx(s, e, rep_insert_sql, "ittttti", id, org, doc, when, key, request_sha256, seq));
}

static int report_get(store *s, int64_t id, store_report *out, tr_err *e)
{
    return pg_row(pgq(s, e, rep_get_sql, "i", id), read_report, out);
}

static int report_by_key(store *s, const char *org, const char *key, store_report *out, tr_err *e)
{
    return pg_row(pgq(s, e, rep_by_key_sql, "tt", org, key), read_report, out);
}

static int report_merge(store *s, int64_t report, int64_t incident, tr_err *e)
{
    return done(pgx(s, e, rep_merge_sql, "ii", incident, report));
}

static int report_list(store *s, const char *org, const char *status, int64_t after, int64_t limit,
                       store_row_cb cb, void *cls, tr_err *e)
{
    PGresult *r = pgq(s, e, rep_list_sql, "ttii", org, status, after, limit);
    if (!r) return -1;
    for (int i = 0, rows = PQntuples(r), stop = 0; i < rows && !stop; i++) {
        store_report rep;
        memset(&rep, 0, sizeof rep);
        read_report(r, i, &rep);
        stop = cb(cls, &rep);
        free(rep.doc); /* unless the callback took it (and left NULL) */
    }
    PQclear(r);
    return 0;
}

/* ---- evidence ------------------------------------------------------------------------------- */

static int blob_put(store *s, const char *sha256, const void *data, size_t len, tr_err *e)
{
    return done(pgx(s, e, blob_put_sql, "tb", sha256, len ? data : (const void *)"", len));
}

static int blob_get(store *s, const char *sha256, void **data, size_t *len, tr_err *e)
{
    *data = NULL;
    *len = 0;
    PGresult *r = pgq(s, e, blob_get_sql, "t", sha256);
    if (!r) return -1;
    int found = PQntuples(r) > 0;
    if (found) *data = pgr_bytes(r, 0, 0, len);
    PQclear(r);
    return found;
}

static int blob_scan(store *s, store_row_cb cb, void *cls, tr_err *e)
{
    /* One file at a time: a deployment's files need not fit in memory together. */
    PGresult *names = pgq(s, e, blob_names_sql, "");
    if (!names) return -1;
    int rc = 0;
    for (int i = 0, rows = PQntuples(names), stop = 0; i < rows && !stop && rc == 0; i++) {
        store_blob b = {pgr_text(names, i, 0), NULL, 0};
        void *data;
        int found = blob_get(s, b.sha256, &data, &b.len, e);
        if (found < 0) rc = -1;
        if (found > 0) {
            b.data = data;
            stop = cb(cls, &b);
            free(data);
        }
    }
    PQclear(names);
    return rc;
}

static int evidence_insert(store *s, const store_evidence *ev, tr_err *e)
{
    return done(pgx(s, e, evi_insert_sql, "tttit", ev->sha256, ev->org, ev->media_type, ev->size,
                    ev->stored_at));
}

static int evidence_get(store *s, const char *sha256, const char *org, store_evidence *out,
                        tr_err *e)
{
    PGresult *r =
        org ? pgq(s, e, evi_get_sql, "tt", sha256, org) : pgq(s, e, evi_get_any_sql, "t", sha256);
    if (!r) return -1;
    int found = PQntuples(r) > 0;
    if (found) {
        snprintf(out->sha256, sizeof out->sha256, "%s", sha256);
        pgr_copy(out->org, sizeof out->org, r, 0, 0);
        pgr_copy(out->media_type, sizeof out->media_type, r, 0, 1);
        out->size = pgr_i64(r, 0, 2);
        pgr_copy(out->stored_at, sizeof out->stored_at, r, 0, 3);
    }
    PQclear(r);
    return found;
}

static int evidence_bytes(store *s, const char *org, const char *since, int64_t *out, tr_err *e)
{
    return pgi(s, out, e, evi_bytes_sql, "tt", org, since) < 0 ? -1 : 0;
}

static int upload_state(store *s, const char *sha256, const char *org, store_upload *out, tr_err *e)
{
    PGresult *r = pgq(s, e, up_state_sql, "tt", sha256, org);
    if (!r) return -1;
    int found = pgr_i64(r, 0, 3) > 0;
    memset(out, 0, sizeof *out);
    if (found) {
        out->received = pgr_i64(r, 0, 0);
        out->total = pgr_i64(r, 0, 1);
        pgr_copy(out->media_type, sizeof out->media_type, r, 0, 2);
    }
    PQclear(r);
    return found;
}

static int upload_put(store *s, const char *sha256, const char *org, int64_t at, const void *data,
                      size_t len, const store_upload *file, const char *when, tr_err *e)
{
    return done(pgx(s, e, up_put_sql, "ttibitt", sha256, org, at, len ? data : (const void *)"",
                    len, file->total, file->media_type, when));
}

static int upload_read(store *s, const char *sha256, const char *org, buf *out, tr_err *e)
{
    PGresult *r = pgq(s, e, up_read_sql, "tt", sha256, org);
    if (!r) return -1;
    for (int i = 0, rows = PQntuples(r); i < rows; i++) {
        size_t len;
        unsigned char *b = pgr_bytes(r, i, 0, &len);
        buf_append(out, b, len);
        free(b);
    }
    PQclear(r);
    return 0;
}

static int upload_drop(store *s, const char *sha256, const char *org, tr_err *e)
{
    return done(pgx(s, e, up_drop_sql, "tt", sha256, org));
}

static int upload_expire(store *s, const char *before, tr_err *e)
{
    return done(pgx(s, e, up_expire_sql, "t", before));
}

static int upload_count(store *s, const char *org, const char *since, int64_t *n, tr_err *e)
{
    return pgi(s, n, e, up_count_sql, "tt", org, since) < 0 ? -1 : 0;
}

/* ---- private fields, dismissed duplicates -----------------------------------------------------
 */

static int private_put(store *s, const char *subject, const char *doc, tr_err *e)
{
    return done(pgx(s, e, priv_put_sql, "tt", subject, doc));
}

static int private_get(store *s, const char *subject, char **doc, tr_err *e)
{
    *doc = NULL;
    PGresult *r = pgq(s, e, priv_get_sql, "t", subject);
    if (!r) return -1;
    int found = PQntuples(r) > 0;
    if (found && !(*doc = strdup(pgr_text(r, 0, 0)))) abort();
    PQclear(r);
    return found;
}

static int dismiss_put(store *s, const char *subject, int64_t candidate, tr_err *e)
{
    return done(pgx(s, e, dismiss_put_sql, "ti", subject, candidate));
}

static int dismissed(store *s, const char *subject, int64_t candidate, tr_err *e)
{
    int64_t one;
    return pgi(s, &one, e, dismissed_sql, "ti", subject, candidate);
}

const monitor_store_ops monitor_pg_ops = {
    .zone_insert = zone_insert,
    .zone_exists = zone_exists,
    .zone_list = zone_list,
    .zone_fingerprint = zone_fingerprint,
    .incident_upsert = incident_upsert,
    .incident_upsert_many = incident_upsert_many,
    /* bulk_*: none; an import keeps the indexes, since other servers read while it runs
     * (SQLite drops and rebuilds them, having the file to itself). */
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
