/* files.c - the monitor pillar's handlers for what arrives as files and places: evidence
 * files (whole or in pieces that resume), ACLED imports, zones; and their part of the route
 * table. The registry merges it with the others (src/pillars.c). */
#include "monitor/routes.h"
#include "monitor/store.h"

#include "http/handler.h"
#include "accounts/accounts.h"
#include "core/log.h"
#include "core/util.h"
#include "monitor/acled.h"
#include "monitor/evidence.h"
#include "monitor/export.h"
#include "monitor/incidents.h"
#include "monitor/reports.h"
#include "monitor/zindex.h"
#include "monitor/zones.h"
#include "json/jsx.h"

#include <ctype.h>
#include <errno.h>
#include <microhttpd.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static json_t *evidence_json(const store_evidence *ev)
{
    return json_pack("{s:s, s:s, s:I, s:s, s:s}", "sha256", ev->sha256, "media_type",
                     ev->media_type, "size", (json_int_t)ev->size, "org", ev->org, "stored_at",
                     ev->stored_at);
}

static int evidence_write(store *s, void *cls, tr_err *e)
{
    http_req *r = cls;
    journal_actor who = acct_actor(&r->caller);
    store_evidence *ev = r->state;
    int created;
    char url[128];
    int64_t quota = r->srv->cfg.evidence_quota;
    if (evidence_store(s, &who, r->caller.org, r->body.p, quota == 0 ? HTTP_EVIDENCE_QUOTA : quota,
                       ev, &created, e))
        return -1;
    json_t *out = evidence_json(ev);
    snprintf(url, sizeof url, "/api/v1/evidence/%s", ev->sha256);
    json_object_set_new(out, "url", json_string(url));
    return http__reply(r, created ? 201 : 200, out);
}

/* The body is the file, its Content-Type the type it claims; X-Content-SHA256 (hex), when
 * sent, is the hash the uploader expects. */
static int h_evidence_upload(http_req *r)
{
    tr_err e = TR_ERR_INIT;
    store_evidence *ev = arena_alloc(&r->mem, sizeof *ev);
    evidence_upload up = {
        .data = r->body.p,
        .len = r->body.len,
        .declared = MHD_lookup_connection_value(r->con, MHD_HEADER_KIND, "Content-Type"),
        .expect = MHD_lookup_connection_value(r->con, MHD_HEADER_KIND, "X-Content-SHA256"),
    };
    if (up.expect) {
        char *lower = arena_strdup(&r->mem, up.expect);
        for (char *c = lower; *c; c++)
            *c = (char)tolower((unsigned char)*c);
        if (!evidence_hash_valid(lower)) {
            err_field(&e, "request.invalid_header", "X-Content-SHA256",
                      "send the file's SHA-256 as 64 hex digits, or leave the header out",
                      "'%s' is not a SHA-256 hash", up.expect);
            return http__fail(r, &e);
        }
        up.expect = lower;
    }
    if (evidence_check(&up, ev, &e)) return http__fail(r, &e);
    r->state = ev;
    return http__defer(r, evidence_write);
}

/* A file, to monitors, mediators and the organizations that uploaded it; a 404 for anyone
 * else, as if it did not exist. */
static int h_evidence_get(http_req *r)
{
    tr_err e = TR_ERR_INIT;
    store_evidence ev;
    void *data;
    size_t len;
    store *s;
    const char *hash = r->params[0];
    if (!evidence_hash_valid(hash)) {
        err_field(&e, "request.invalid_param", "sha256",
                  "name the file by its SHA-256 in "
                  "lowercase hex",
                  "'%s' is not a SHA-256 hash", hash);
        return http__fail(r, &e);
    }
    if (!(s = http__reader_or_fail(r))) return 0;
    int rc = monitor_store(s)->evidence_get(
        s, hash, monitor__sees_every_incident(r) ? NULL : r->caller.org, &ev, &e);
    char *etag = arena_alloc(&r->mem, 80);
    snprintf(etag, 80, "\"%s\"", hash);
    const char *inm = MHD_lookup_connection_value(r->con, MHD_HEADER_KIND, "If-None-Match");
    if (rc == 1 && inm && (strstr(inm, etag) || strcmp(inm, "*") == 0)) {
        /* The caller has it already (a file never changes): nothing to send again. */
        http__header(r, "ETag", etag);
        r->status = 304;
        return 0;
    }
    if (rc == 1) rc = evidence_read(s, hash, &data, &len, &e);
    if (rc < 0) return http__fail(r, &e);
    if (rc == 0) {
        err_set(&e, 404, "evidence.not_found",
                "evidence is visible to monitors, mediators "
                "and the organization that uploaded it",
                "there is no evidence file %s that you may see", hash);
        return http__fail(r, &e);
    }
    buf_append(&r->raw, data, len);
    free(data);
    r->content_type = arena_strdup(&r->mem, ev.media_type);
    char *disp = arena_alloc(&r->mem, 128);
    snprintf(disp, 128, "attachment; filename=\"%s\"", hash);
    http__header(r, "Content-Disposition", disp);
    http__header(r, "ETag", etag);
    r->status = 200;
    return 0;
}

/* A file sent in pieces, so that a phone whose link drops resumes where it stopped
 * instead of sending 20 MiB again: PATCH /api/v1/evidence/uploads/{sha256} with
 * Upload-Offset (the piece's first byte), Upload-Length (the file's size) and the file's
 * Content-Type; GET on the same path says how much arrived. Pieces are kept per
 * organization, unjournaled, for a day after the last one; the last piece makes the file
 * whole, and it is checked and stored as POST /api/v1/evidence stores a file. */
#define UPLOADS_PER_ORG 16
#define UPLOAD_TTL_S    (24 * 3600)

typedef struct upload_job {
    const char *sha256, *declared;
    int64_t at, total;
    buf whole;         /* the file, when this piece is the last */
    store_evidence ev; /* checked, when whole */
    tr_err bad;        /* the whole file failed a check: its pieces go, this is the reply */
} upload_job;

static void upload_job_free(http_req *r)
{
    upload_job *j = r->state;
    buf_free(&j->whole);
    err_clear(&j->bad);
}

static json_t *upload_json(const upload_job *j, int64_t offset)
{
    char url[128];
    snprintf(url, sizeof url, "/api/v1/evidence/uploads/%s", j->sha256);
    return json_pack("{s:s, s:I, s:I, s:b, s:s}", "sha256", j->sha256, "offset", (json_int_t)offset,
                     "length", (json_int_t)j->total, "complete", offset == j->total, "url", url);
}

static int offset_mismatch(http_req *r, tr_err *e, const char *sha256, int64_t have, int64_t total)
{
    err_set(e, 409, "evidence.offset_mismatch", NULL,
            "the server has %lld bytes of this file; the next piece starts there", (long long)have);
    snprintf(e->hint, sizeof e->hint,
             "send the piece that starts at byte %lld (GET "
             "/api/v1/evidence/uploads/%s says the same)",
             (long long)have, sha256);
    err_detail(e, json_pack("{s:I, s:I}", "offset", (json_int_t)have, "length", (json_int_t)total));
    return http__fail(r, e);
}

/* What the writer must find before it adds a piece: the upload as the request saw it. */
static int upload_still(store *s, const upload_job *j, const char *org, tr_err *e)
{
    store_upload up;
    int rc = monitor_store(s)->upload_state(s, j->sha256, org, &up, e);
    if (rc < 0) return -1;
    int64_t have = rc ? up.received : 0;
    if (have == j->at && (!rc || up.total == j->total)) return 0;
    err_set(e, 409, "evidence.offset_mismatch", "ask GET /api/v1/evidence/uploads/{sha256}",
            "another piece of this file arrived meanwhile");
    err_detail(e, json_pack("{s:I}", "offset", (json_int_t)have));
    return -1;
}

/* The time UPLOAD_TTL_S ago, as received_at is written: uploads whose last piece came
 * before it are expired. */
static void upload_cutoff(char out[UTIL_ISO_LEN])
{
    util_iso_at(util_unix_s() - UPLOAD_TTL_S, out);
}

static int upload_piece_write(store *s, void *cls, tr_err *e)
{
    http_req *r = cls;
    upload_job *j = r->state;
    char now[UTIL_ISO_LEN], before[UTIL_ISO_LEN];
    store_upload file = {.total = j->total};
    snprintf(file.media_type, sizeof file.media_type, "%s", j->declared);
    upload_cutoff(before);
    util_now_iso(now);
    if (monitor_store(s)->upload_expire(s, before, e) || upload_still(s, j, r->caller.org, e) ||
        monitor_store(s)->upload_put(s, j->sha256, r->caller.org, j->at, r->body.p, r->body.len,
                                     &file, now, e))
        return -1;
    return http__reply(r, 200, upload_json(j, j->at + (int64_t)r->body.len));
}

static int upload_last_write(store *s, void *cls, tr_err *e)
{
    http_req *r = cls;
    upload_job *j = r->state;
    journal_actor who = acct_actor(&r->caller);
    int64_t quota = r->srv->cfg.evidence_quota;
    int created;
    if (j->bad.status) { /* a whole file that is not what was declared: start again */
        if (monitor_store(s)->upload_drop(s, j->sha256, r->caller.org, e)) return -1;
        http__fail(r, &j->bad);
        return 0;
    }
    if (upload_still(s, j, r->caller.org, e) ||
        evidence_store(s, &who, r->caller.org, j->whole.p, quota == 0 ? HTTP_EVIDENCE_QUOTA : quota,
                       &j->ev, &created, e) ||
        monitor_store(s)->upload_drop(s, j->sha256, r->caller.org, e))
        return -1;
    json_t *out = evidence_json(&j->ev);
    char url[128];
    snprintf(url, sizeof url, "/api/v1/evidence/%s", j->ev.sha256);
    json_object_set_new(out, "url", json_string(url));
    json_object_set_new(out, "complete", json_true());
    return http__reply(r, created ? 201 : 200, out);
}

/* A header that must be a whole number from lo to hi. */
static int header_int(http_req *r, const char *name, long long lo, long long hi, int64_t *out)
{
    const char *v = MHD_lookup_connection_value(r->con, MHD_HEADER_KIND, name);
    long long x = -1;
    tr_err e = TR_ERR_INIT;
    if (!v || !*v || http__parse_int(v, lo, hi, &x)) {
        err_field(&e, "request.invalid_header", name,
                  "send Upload-Offset (the piece's first byte) and Upload-Length (the file's "
                  "size in bytes) with every piece",
                  "%s must be a whole number from %lld to %lld", name, lo, hi);
        return http__fail(r, &e), -1;
    }
    *out = x;
    return 0;
}

/* The upload's path parameter: a SHA-256 in lowercase hex. */
static const char *upload_hash(http_req *r)
{
    tr_err e = TR_ERR_INIT;
    if (evidence_hash_valid(r->params[0])) return r->params[0];
    err_field(&e, "request.invalid_param", "sha256",
              "name the file by its SHA-256 in lowercase hex", "'%s' is not a SHA-256 hash",
              r->params[0]);
    http__fail(r, &e);
    return NULL;
}

static int h_upload_patch(http_req *r)
{
    tr_err e = TR_ERR_INIT;
    upload_job *j = arena_alloc(&r->mem, sizeof *j);
    store *s;
    store_upload up;
    memset(j, 0, sizeof *j);
    if (!(j->sha256 = upload_hash(r)) || header_int(r, "Upload-Length", 1, INT64_MAX, &j->total) ||
        header_int(r, "Upload-Offset", 0, j->total, &j->at))
        return 0;
    if (j->total > (int64_t)r->limit) { /* as POST /evidence refuses it */
        err_set(&e, 413, "request.too_large", NULL, "the file is larger than evidence may be");
        snprintf(e.hint, sizeof e.hint, "send files of at most %zu bytes", r->limit);
        err_detail(&e, json_pack("{s:I}", "limit", (json_int_t)r->limit));
        return http__fail(r, &e);
    }
    const char *ct = MHD_lookup_connection_value(r->con, MHD_HEADER_KIND, "Content-Type");
    if (!ct || !*ct) {
        err_field(&e, "request.invalid_header", "Content-Type",
                  "send the file's media type (image/jpeg, video/mp4, ...) with every piece",
                  "the piece has no Content-Type");
        return http__fail(r, &e);
    }
    j->declared = arena_strndup(&r->mem, ct, strcspn(ct, "; "));
    if (j->at + (int64_t)r->body.len > j->total || (!r->body.len && j->at < j->total)) {
        err_set(&e, 400, "evidence.bad_piece",
                "send the bytes from Upload-Offset, at least "
                "one and no further than Upload-Length",
                "a piece of %zu bytes at %lld does not fit a file of %lld bytes", r->body.len,
                (long long)j->at, (long long)j->total);
        return http__fail(r, &e);
    }
    if (!(s = http__reader_or_fail(r))) return 0;
    /* Stored already (the reply to the last piece was lost): nothing more to send. */
    int rc = monitor_store(s)->evidence_get(s, j->sha256, r->caller.org, &j->ev, &e);
    if (rc == 1) {
        json_t *out = evidence_json(&j->ev);
        json_object_set_new(out, "complete", json_true());
        return http__reply(r, 200, out);
    }
    if (rc < 0 || (rc = monitor_store(s)->upload_state(s, j->sha256, r->caller.org, &up, &e)) < 0)
        return http__fail(r, &e);
    if (rc == 1 && (up.total != j->total || strcmp(up.media_type, j->declared) != 0)) {
        err_set(&e, 409, "evidence.upload_conflict",
                "send the same Upload-Length and Content-Type with every piece",
                "this file's upload began as %lld bytes of %s", (long long)up.total, up.media_type);
        return http__fail(r, &e);
    }
    if ((rc == 1 ? up.received : 0) != j->at)
        return offset_mismatch(r, &e, j->sha256, rc == 1 ? up.received : 0, j->total);
    if (rc == 0) { /* uploads past their day do not count: the next piece drops them */
        int64_t n;
        char since[UTIL_ISO_LEN];
        upload_cutoff(since);
        if (monitor_store(s)->upload_count(s, r->caller.org, since, &n, &e))
            return http__fail(r, &e);
        if (n >= UPLOADS_PER_ORG) {
            err_set(&e, 429, "evidence.uploads_in_progress",
                    "finish an upload first; unfinished ones are dropped a day after their "
                    "last piece",
                    "your organization has %d uploads in progress", UPLOADS_PER_ORG);
            return http__fail(r, &e);
        }
    }
    r->state = j;
    r->cleanup = upload_job_free;
    if (j->at + (int64_t)r->body.len < j->total) return http__defer(r, upload_piece_write);
    /* The last piece: the file is checked here, off the writer's thread. */
    if (monitor_store(s)->upload_read(s, j->sha256, r->caller.org, &j->whole, &e))
        return http__fail(r, &e);
    buf_append(&j->whole, r->body.p, r->body.len);
    evidence_upload whole = {
        .data = j->whole.p, .len = j->whole.len, .declared = j->declared, .expect = j->sha256};
    evidence_check(&whole, &j->ev, &j->bad); /* j->bad.status: it failed */
    return http__defer(r, upload_last_write);
}

static int h_upload_get(http_req *r)
{
    tr_err e = TR_ERR_INIT;
    upload_job j = {0};
    store_upload up;
    store *s;
    if (!(j.sha256 = upload_hash(r)) || !(s = http__reader_or_fail(r))) return 0;
    int rc = monitor_store(s)->evidence_get(s, j.sha256, r->caller.org, &j.ev, &e);
    if (rc == 1) {
        j.total = j.ev.size;
        return http__reply(r, 200, upload_json(&j, j.total));
    }
    if (rc < 0 || (rc = monitor_store(s)->upload_state(s, j.sha256, r->caller.org, &up, &e)) < 0)
        return http__fail(r, &e);
    if (rc == 0) {
        err_set(&e, 404, "evidence.upload_not_found", "start with the piece at offset 0",
                "your organization has no upload of %s in progress", j.sha256);
        return http__fail(r, &e);
    }
    j.total = up.total;
    http__header(r, "Cache-Control", "no-store");
    return http__reply(r, 200, upload_json(&j, up.received));
}

/* At most this many rejected rows are listed in a reply (all are counted). */
#define IMPORT_MAX_REJECTS 1000

typedef struct import_job {
    acled_result res;
    const char *status;
    int flags;
} import_job;

/* On the writer thread, as one job: the file is read and its valid rows written inside the
 * batch's transaction; a broken file rolls the job back. */
static int import_write(store *s, void *cls, tr_err *e)
{
    http_req *r = cls;
    import_job *j = r->state;
    journal_actor who = acct_actor(&r->caller);
    FILE *in = fmemopen(r->body.p, r->body.len, "rb");
    if (!in) abort();
    int rc = acled_import_here(s, &who, in, (int64_t)r->body.len, j->status, j->flags, NULL, NULL,
                               &j->res, e);
    fclose(in);
    if (rc) {
        json_decref(j->res.rejects);
        j->res.rejects = NULL;
        return -1;
    }
    json_t *rejects = json_array();
    for (size_t i = 0; i < json_array_size(j->res.rejects) && i < IMPORT_MAX_REJECTS; i++)
        json_array_append(rejects, json_array_get(j->res.rejects, i));
    json_t *out =
        json_pack("{s:I, s:I, s:I, s:I, s:o, s:b}", "rows", (json_int_t)j->res.rows, "imported",
                  (json_int_t)j->res.imported, "rejected", (json_int_t)j->res.rejected,
                  "outside_zones", (json_int_t)j->res.outside_zones, "rejects", rejects,
                  "rejects_truncated", json_array_size(j->res.rejects) > IMPORT_MAX_REJECTS);
    json_decref(j->res.rejects);
    j->res.rejects = NULL;
    return http__reply(r, 200, out);
}

/* POST /api/v1/imports/acled: the body is an ACLED CSV export, imported as
 * `truce import acled` does, as one job of the group committer. */
static int h_import_acled(http_req *r)
{
    tr_err e = TR_ERR_INIT;
    const char *ct = MHD_lookup_connection_value(r->con, MHD_HEADER_KIND, "Content-Type");
    const char *status = http__query(r, "status"), *outside = http__query(r, "outside_zones");
    const char *journal = http__query(r, "journal");
    import_job *j = arena_alloc(&r->mem, sizeof *j);
    memset(j, 0, sizeof *j);
    if (ct && strncasecmp(ct, "text/csv", 8) != 0) {
        err_set(&e, 415, "request.unsupported_media_type", "send 'Content-Type: text/csv'",
                "an ACLED import is a CSV file, not %s", ct);
        return http__fail(r, &e);
    }
    if (!status) status = "verified";
    if (strcmp(status, "verified") != 0 && strcmp(status, "reported") != 0) {
        err_field(&e, "request.invalid_param", "status", "use status=verified or reported",
                  "'%s' is not a status for imported events", status);
        return http__fail(r, &e);
    }
    if (outside && strcmp(outside, "warn") != 0 && strcmp(outside, "refuse") != 0) {
        err_field(&e, "request.invalid_param", "outside_zones", "use outside_zones=warn or refuse",
                  "'%s' is not warn or refuse", outside);
        return http__fail(r, &e);
    }
    if (journal && strcmp(journal, "public") != 0 && strcmp(journal, "private") != 0) {
        err_field(&e, "request.invalid_param", "journal", "use journal=public or private",
                  "'%s' is not public or private", journal);
        return http__fail(r, &e);
    }
    if (!r->body.len) {
        err_set(&e, 400, "acled.empty", "send the CSV file as the request body",
                "the request has no CSV file");
        return http__fail(r, &e);
    }
    j->status = status;
    j->flags = (outside && strcmp(outside, "refuse") == 0 ? ACLED_REFUSE_OUTSIDE : 0) |
               (journal && strcmp(journal, "private") == 0 ? ACLED_PRIVATE_JOURNAL : 0);
    r->state = j;
    return http__defer(r, import_write);
}

static int zone_cb(void *cls, const void *row)
{
    const store_zone *z = row;
    json_t *geom = json_loads(z->geometry, 0, NULL);
    json_array_append_new(cls, json_pack("{s:s, s:{s:s, s:s, s:s}, s:o}", "type", "Feature",
                                         "properties", "slug", z->slug, "name", z->name, "kind",
                                         z->kind, "geometry", geom ? geom : json_null()));
    return 0;
}

static int h_zones(http_req *r)
{
    tr_err e = TR_ERR_INIT;
    store *s = http__reader_or_fail(r);
    json_t *features;
    if (!s) return 0;
    features = json_array();
    if (monitor_store(s)->zone_list(s, zone_cb, features, &e)) {
        json_decref(features);
        return http__fail(r, &e);
    }
    http__reply(r, 200, json_pack("{s:s, s:o}", "type", "FeatureCollection", "features", features));
    return 0;
}

static int zone_write(store *s, void *cls, tr_err *e)
{
    http_req *r = cls;
    journal_actor who = acct_actor(&r->caller);
    const char *slug = jsx_str(r->json, "slug", "");
    if (zone_create(s, &who, slug, jsx_str(r->json, "name", ""), jsx_str(r->json, "kind", ""),
                    json_object_get(r->json, "geometry"), e))
        return -1;
    return http__reply(r, 201,
                       json_pack("{s:s, s:{s:s, s:s, s:s}, s:O}", "type", "Feature", "properties",
                                 "slug", slug, "name", jsx_str(r->json, "name", ""), "kind",
                                 jsx_str(r->json, "kind", ""), "geometry",
                                 json_object_get(r->json, "geometry")));
}

/* New zones tag incidents recorded from then on; incidents already recorded keep the tags
 * their journal events carry. */
static int zone_written(http_req *r)
{
    (void)r;
    zone_index_forget(); /* the next report is tagged with this zone too */
    return 0;
}

static int h_zone_create(http_req *r)
{
    if (http__check_body(r)) return 0;
    r->after_write = zone_written;
    return http__defer(r, zone_write);
}

/* ---- the table --------------------------------------------------------------------- */

const http_route monitor_file_routes[] = {
    {"GET", "/api/v1/zones", h_zones, WHO_PUBLIC, 0, NULL},
    {"POST", "/api/v1/zones", h_zone_create, WHO_ADMIN | WHO_MEDIATOR | WHO_MONITOR, ROUTE_BODY,
     zone_fields},
    {"POST", "/api/v1/evidence", h_evidence_upload, WHO_USER, ROUTE_RAW | ROUTE_UPLOAD, NULL},
    {"GET", "/api/v1/evidence/{sha256}", h_evidence_get, WHO_USER, 0, NULL},
    {"PATCH", "/api/v1/evidence/uploads/{sha256}", h_upload_patch, WHO_USER,
     ROUTE_RAW | ROUTE_UPLOAD, NULL},
    {"GET", "/api/v1/evidence/uploads/{sha256}", h_upload_get, WHO_USER, 0, NULL},
    {"POST", "/api/v1/imports/acled", h_import_acled, WHO_ADMIN | WHO_MONITOR,
     ROUTE_RAW | ROUTE_UPLOAD, NULL},
    {NULL, NULL, NULL, 0, 0, NULL},
};
