/* monitor_common.h - what the monitoring test programs share (test_monitor,
 * test_monitor_http): a demo database made by the group's setup (dir, db, s), the ACLED
 * header, and helpers. Included by exactly one file of each program; inline, so that a
 * program that does not use one does not warn. */
#ifndef TRUCE_TESTS_MONITOR_COMMON_H
#define TRUCE_TESTS_MONITOR_COMMON_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "helpers.h"
#include "monitor/store.h"

#include "core/codes.h"

#include "core/log.h"
#include "core/util.h"
#include "journal/journal.h"
#include "core/buf.h"
#include "json/jsx.h"
#include "monitor/acled.h"
#include "monitor/export.h"
#include "monitor/zindex.h"
#include "monitor/zones.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <zlib.h>
#include <zstd.h>
#include <curl/curl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

__attribute__((unused)) static char dir[256], db[320];
__attribute__((unused)) static store *s;

__attribute__((unused)) static const char *HEADER =
    "event_id_cnty,event_date,year,time_precision,disorder_type,event_type,sub_event_type,"
    "actor1,assoc_actor_1,inter1,actor2,assoc_actor_2,inter2,interaction,civilian_targeting,"
    "iso,region,country,admin1,admin2,admin3,location,latitude,longitude,geo_precision,source,"
    "source_scale,notes,fatalities,tags,timestamp\n";

static inline int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "%s", th_tmpdir());
    snprintf(db, sizeof db, "%s", th_db(dir, "m"));
    s = th_demo_db(db);
    return 0;
}

static inline int teardown(void **state)
{
    (void)state;
    s->ops->close(s);
    th_rmrf(dir);
    return 0;
}

static inline int import_text(const char *text, acled_result *res, tr_err *e)
{
    FILE *f = fmemopen((void *)text, strlen(text), "r");
    int rc = acled_import(s, &journal_operator, f, 0, "verified", 0, NULL, NULL, res, e);
    fclose(f);
    return rc;
}

/* A listed incident's document (an imported one's from its CSV row), perhaps in tmp. */
static inline const char *row_doc(const store_incident_row *r, buf *tmp)
{
    const char *doc = export_incident_doc(r, tmp);
    assert_string_not_equal(doc, "{}"); /* every incident has a document, or a row for one */
    return doc;
}

/* text with the number after "key": as jsx_canonical writes it; fails unless that number
 * is its own shortest text (util_real_text) and the row's coordinate, exactly. */
static inline void canonical_coordinate(buf *text, const char *key, double want)
{
    char *at = strstr(text->p, key);
    assert_non_null(at);
    char *num = at + strlen(key), *end;
    double v = strtod(num, &end);
    char shortest[40];
    size_t sl = util_real_text(shortest, sizeof shortest, v);
    if (!strpbrk(shortest, ".e")) memcpy(shortest + sl, ".0", 3); /* a real: 31.0 */
    if ((size_t)(end - num) != strlen(shortest) || memcmp(num, shortest, (size_t)(end - num)))
        fail_msg("%s%.*s is not its shortest text %s", key, (int)(end - num), num, shortest);
    assert_true(v == want);
    buf canon = BUF_INIT, rest = BUF_INIT;
    buf_puts(&rest, end);
    buf_append(&canon, text->p, (size_t)(num - text->p));
    jsx_put_real(&canon, v);
    buf_append(&canon, rest.p, rest.len);
    buf_reset(text);
    buf_append(text, canon.p, canon.len);
    buf_free(&canon);
    buf_free(&rest);
}

/* Fails unless the row's document is its own canonical encoding; an imported one's, built
 * from its CSV row, but for its coordinates, which are their shortest text. */
static inline int canonical_doc(void *cls, const void *row)
{
    const store_incident_row *r = row;
    buf tmp = BUF_INIT, want = BUF_INIT;
    const char *text = row_doc(r, &tmp);
    json_t *doc = json_loads(text, 0, NULL);
    assert_non_null(doc);
    char *canon = jsx_canonical(doc, NULL);
    buf_puts(&want, text);
    if (!(r->doc && *r->doc)) {
        canonical_coordinate(&want, "\"latitude\":", r->latitude);
        canonical_coordinate(&want, "\"longitude\":", r->longitude);
    }
    if (strcmp(canon, want.p) != 0) fail_msg("not canonical:\n%s\n%s", want.p, canon);
    buf_free(&want);
    free(canon);
    json_decref(doc);
    buf_free(&tmp);
    (*(int64_t *)cls)++;
    return 0;
}

/* Fails unless the row's stored CSV row is what the projection renders from its
 * document (the import renders it from its own values). */
static inline int csv_row_matches(void *cls, const void *row)
{
    const store_incident_line *r = row;
    buf want = BUF_INIT;
    json_t *doc = json_loads(
        export_row_doc(r->doc, r->csv, r->len, r->latitude, r->longitude, r->zones, &want), 0,
        NULL);
    buf_reset(&want);
    assert_non_null(doc);
    assert_non_null(r->csv);
    export_acled_row_doc(doc, &want);
    if (want.len != r->len || memcmp(want.p, r->csv, r->len) != 0)
        fail_msg("CSV row differs:\n%.*s%s", (int)r->len, r->csv, want.p);
    buf_free(&want);
    json_decref(doc);
    (*(int64_t *)cls)++;
    return 0;
}

static inline int collect_docs(void *cls, const void *row)
{
    const store_incident_row *r = row;
    buf tmp = BUF_INIT;
    buf_puts(cls, row_doc(r, &tmp));
    buf_append(cls, "\n", 1);
    buf_free(&tmp);
    return 0;
}

/* rows good rows named PREFIX1...: several batches of the import, each written while
 * the next is read. */
static inline void good_rows(buf *b, const char *prefix, int rows)
{
    buf_puts(b, HEADER);
    for (int i = 1; i <= rows; i++)
        buf_printf(b,
                   "%s%d,20-Jan-25,2025,1,x,Battles,Armed clash,A,,X,B,,Y,,,275,ME,P,G,R,,"
                   "R,31.2,34.2,1,S,N,n,0,,1\n",
                   prefix, i);
}

/* Whether the database at path has the place index. */
static inline int has_place_index(const char *path)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "sqlite3 '%s' \"SELECT 1 FROM sqlite_master WHERE name = 'incidents_place'\""
             " | grep -qx 1",
             path);
    return system(cmd) == 0;
}

/* text (len bytes) imported into st, total given as the file's size. */
static inline int import_sized(store *st, const char *text, size_t len, acled_result *res,
                               tr_err *e)
{
    FILE *f = fmemopen((void *)text, len, "r");
    int rc =
        acled_import(st, &journal_operator, f, (int64_t)len, "verified", 0, NULL, NULL, res, e);
    fclose(f);
    return rc;
}

/* Whether the database at path is in WAL mode, with no rollback journal beside it. */
static inline int in_wal_mode(const char *path)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "test ! -e '%s-journal' && sqlite3 '%s' 'PRAGMA journal_mode'"
             " | grep -qx wal",
             path, path);
    return system(cmd) == 0;
}

/* rows rows of ACLED CSV along a line (K1 at 31.00001, K2 at 31.00002, ...), each with
 * notes of note_len bytes: 600 bytes a row, as ACLED's, with 500. */
static inline void line_rows(buf *b, int64_t rows, size_t note_len)
{
    char *pad = malloc(note_len + 1);
    memset(pad, 'n', note_len);
    pad[note_len] = 0;
    buf_puts(b, HEADER);
    for (int64_t i = 1; i <= rows; i++)
        buf_printf(b,
                   "K%lld,20-Jan-25,2025,1,x,Battles,Armed clash,A,,X,B,,Y,,,275,ME,P,G,R,,"
                   "R,31.%05lld,34.2,1,S,N,%s,0,,1\n",
                   (long long)i, (long long)i, pad);
    free(pad);
}

/* The crash test's child dies once its import has written into the database file. */
static char crash_path[400];
static off_t crash_size;

static inline void die_once_written(void *cls, int64_t rows, int64_t bytes, int64_t total)
{
    struct stat sb;
    (void)cls, (void)rows, (void)bytes, (void)total;
    if (stat(crash_path, &sb) == 0 && sb.st_size > crash_size) _exit(3);
}

typedef struct project_case {
    const char *body;
    const char *words;
} project_case;

static inline int project_txn(store *st, void *cls, tr_err *e)
{
    const project_case *c = cls;
    store_event ev = {.seq = 77, .type = "incidents.imported", .time = "2025-01-20T00:00:00Z"};
    json_t *body = json_loads(c->body, 0, NULL);
    assert_non_null(body);
    int rc = acled_project(st, &ev, body, e);
    json_decref(body);
    return rc;
}

/* good (an incidents.imported body) with its rows made of csv's first n bytes, the zstd
 * frame short of its last `cut` bytes; canonical JSON, malloc'd. */
static inline char *repack(json_t *good, const char *csv, size_t n, size_t cut)
{
    unsigned char packed[4096];
    char b64[8192];
    size_t pn = ZSTD_compress(packed, sizeof packed, csv, n, 1);
    assert_false(ZSTD_isError(pn));
    sodium_bin2base64(b64, sizeof b64, packed, pn - cut, sodium_base64_VARIANT_ORIGINAL);
    json_object_set_new(good, "rows", json_string(b64));
    return json_dumps(good, JSON_COMPACT | JSON_SORT_KEYS);
}

static inline long post_csv(th_server *t, const char *query, const char *token, const char *body,
                            size_t len, const char *ctype, th_resp *out)
{
    char url[256];
    snprintf(url, sizeof url, "/api/v1/imports/acled%s", query);
    assert_int_equal(th_http("POST", th_url(t, url), token, body, len, ctype, out), 0);
    return out->status;
}

/* POST /imports/acled with a Content-Encoding (gzip, or another). */
static inline long post_encoded(th_server *t, const char *token, const char *encoding,
                                const char *body, size_t len, th_resp *out)
{
    char enc[64];
    snprintf(enc, sizeof enc, "Content-Encoding: %s", encoding);
    const char *headers[] = {"Content-Type: text/csv", enc, NULL};
    assert_int_equal(
        th_http_with("POST", th_url(t, "/api/v1/imports/acled"), token, body, len, headers, out),
        0);
    return out->status;
}

/* The centre of v's cell on a grid of g degrees, as the server computes it. */
static inline double cell_centre(double v, double g)
{
    return round((floor(v / g) + 0.5) * g * 1e6) / 1e6;
}

static inline long upload_text(th_server *t, const char *token, const char *text, th_resp *out)
{
    const char *h[] = {"Content-Type: text/plain", NULL};
    assert_int_equal(
        th_http_with("POST", th_url(t, "/api/v1/evidence"), token, text, strlen(text), h, out), 0);
    return out->status;
}

static inline void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

#define TEN "Area name "
#define LONG_NAME                                                                                  \
    TEN TEN TEN TEN TEN TEN TEN TEN TEN TEN TEN TEN TEN TEN TEN TEN TEN TEN TEN TEN TEN TEN TEN    \
        TEN TEN TEN TEN TEN TEN TEN /* 300 bytes */

static inline int last_visibility(void *cls, const void *row)
{
    const store_event *ev = row;
    assert_string_equal(ev->type, "incidents.imported");
    snprintf(cls, 64, "%s", ev->visibility);
    return 0;
}

/* A gzip body, inflated (malloc'd). */
static inline char *gunzip(const char *in, size_t len, size_t *out_len)
{
    z_stream z = {0};
    size_t cap = 1 << 20, n = 0;
    char *out = malloc(cap);
    assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK);
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)len;
    int rc;
    do {
        if (n == cap) out = realloc(out, cap *= 2);
        z.next_out = (Bytef *)out + n;
        z.avail_out = (uInt)(cap - n);
        rc = inflate(&z, Z_NO_FLUSH);
        n = cap - z.avail_out;
        assert_true(rc == Z_OK || rc == Z_STREAM_END);
    } while (rc != Z_STREAM_END);
    assert_int_equal(z.avail_in, 0);
    inflateEnd(&z);
    *out_len = n;
    return out;
}

/* A client that takes nothing: curl gives up and closes the connection. */
static inline size_t hang_up(char *data, size_t size, size_t n, void *cls)
{
    (void)data, (void)size, (void)n, (void)cls;
    return 0;
}

typedef struct zone_tally {
    zone_index *zi;
    int64_t seen, in_gaza, in_none, in_two, gaza_city, gaza_city_in_gaza, tags_differ;
} zone_tally;

static inline int tally_zone(void *cls, const void *row)
{
    zone_tally *t = cls;
    const store_incident_row *r = row;
    const char *slugs[4];
    buf tmp = BUF_INIT;
    json_t *doc = json_loads(row_doc(r, &tmp), 0, NULL);
    buf_free(&tmp);
    double lat = json_number_value(json_object_get(doc, "latitude"));
    double lon = json_number_value(json_object_get(doc, "longitude"));
    const char *admin2 = json_string_value(json_object_get(doc, "admin2"));
    size_t n = zone_index_find(t->zi, lon, lat, slugs, 4);
    int gaza =
        n >= 1 && (strcmp(slugs[0], "gaza") == 0 || (n > 1 && strcmp(slugs[1], "gaza") == 0));
    /* The tags the import recorded are what the index says now. */
    json_t *tags = json_object_get(doc, "zones");
    if (json_array_size(tags) != n) t->tags_differ++;
    for (size_t i = 0; i < n && i < json_array_size(tags); i++)
        if (strcmp(json_string_value(json_array_get(tags, i)), slugs[i]) != 0) t->tags_differ++;
    t->seen++;
    t->in_gaza += gaza;
    t->in_none += n == 0;
    t->in_two += n > 1;
    if (admin2 && strcmp(admin2, "Gaza City") == 0) {
        t->gaza_city++;
        t->gaza_city_in_gaza += gaza;
    }
    json_decref(doc);
    return 0;
}

/* Every error the servers of this program sent is in the registry with the status it was
 * sent with (core/codes.h): run last. */
static inline void every_error_sent_is_registered(void **state)
{
    (void)state;
    assert_int_equal(err_code_unregistered(), 0);
}

#endif
