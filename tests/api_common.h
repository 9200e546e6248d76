/* api_common.h - what the API test programs share (test_api, test_reports, test_workflow,
 * test_server): one real server per program (T), started by the group's setup, and the small
 * request helpers. Included by exactly one file of each program; inline, so that a program
 * that does not use one does not warn. */
#ifndef TRUCE_TESTS_API_COMMON_H
#define TRUCE_TESTS_API_COMMON_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "helpers.h"
#include "accounts/store.h"

#include "aid/store.h"

#include "core/codes.h"

#include "accounts/accounts.h"
#include "http/internal.h"
#include "core/log.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <ctype.h>
#include <netinet/in.h>
#include <sodium.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static th_server T;

static inline int setup(void **state)
{
    (void)state;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    th_server_start(&T, NULL);
    return 0;
}

static inline int teardown(void **state)
{
    (void)state;
    th_server_stop(&T);
    curl_global_cleanup();
    return 0;
}

/* Sends a request and returns the status; the response is freed unless out is given. */
static inline long req(const char *method, const char *path, const char *token, const char *body,
                       th_resp *out)
{
    th_resp r;
    long status;
    assert_int_equal(
        th_http(method, th_url(&T, path), token, body, body ? strlen(body) : 0, NULL, &r), 0);
    status = r.status;
    if (out)
        *out = r;
    else
        th_resp_free(&r);
    return status;
}

/* A POST of `body` with its Content-Type and, when not NULL, one more header line. */
static inline long post_with(const char *path, const char *token, const void *body, size_t len,
                             const char *ctype, const char *header, th_resp *out)
{
    char ct[128];
    const char *headers[3] = {ct, header, NULL};
    th_resp r;
    snprintf(ct, sizeof ct, "Content-Type: %s", ctype);
    assert_int_equal(th_http_with("POST", th_url(&T, path), token, body, len, headers, &r), 0);
    long status = r.status;
    if (out)
        *out = r;
    else
        th_resp_free(&r);
    return status;
}

static inline void assert_error_shape(const th_resp *r)
{
    json_t *err = json_object_get(r->json, "error");
    assert_non_null(err);
    assert_true(json_is_string(json_object_get(err, "code")));
    assert_true(json_is_string(json_object_get(err, "message")));
    assert_non_null(json_object_get(err, "detail"));
    assert_non_null(json_object_get(err, "hint"));
    assert_int_equal(json_object_size(err), 4);
}

/* POST body to path as token, with an Idempotency-Key header when key is not NULL. */
static inline long post_move(const char *path, const char *token, const char *key, const char *body,
                             th_resp *out)
{
    char line[256];
    snprintf(line, sizeof line, "Idempotency-Key: %s", key ? key : "");
    return post_with(path, token, body, strlen(body), "application/json", key ? line : NULL, out);
}

static inline long post_keyed(const char *token, const char *key, const char *body, th_resp *out)
{
    return post_move("/api/v1/reports", token, key, body, out);
}

/* truce rebuild, which refuses a database a server has open: the server stops for it and
 * serves the same database again (on a new port; T.base follows). */
static inline void rebuild_tables(void)
{
    th_server_halt(&T);
    assert_int_equal(th_truce(NULL, NULL, NULL, "rebuild --db '%s'", T.db), 0);
    th_server_resume(&T);
}

/* The receipt index of a reply, or -1. */
static inline json_int_t receipt_index(const th_resp *r)
{
    const json_t *i = json_object_get(json_object_get(r->json, "receipt"), "index");
    return json_is_integer(i) ? json_integer_value(i) : -1;
}

/* An incident's history as the caller sees it: its event types joined by commas. */
static inline void history_types(const char *token, long long id, char *out, size_t cap)
{
    char path[96];
    th_resp r;
    size_t i;
    json_t *ev;
    snprintf(path, sizeof path, "/api/v1/incidents/%lld/history", id);
    assert_int_equal(req("GET", path, token, NULL, &r), 200);
    out[0] = 0;
    json_array_foreach(json_object_get(r.json, "events"), i, ev)
    {
        if (i) strncat(out, ",", cap - strlen(out) - 1);
        strncat(out, json_string_value(json_object_get(ev, "type")), cap - strlen(out) - 1);
    }
    th_resp_free(&r);
}

/* A 1x1 PNG. */
static const unsigned char PNG[] = {
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48,
    0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00,
    0x00, 0x1f, 0x15, 0xc4, 0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78,
    0xda, 0x63, 0xf8, 0xcf, 0xc0, 0xf0, 0x1f, 0x00, 0x05, 0x00, 0x02, 0x01, 0xa5, 0xf9,
    0xb5, 0xb5, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82};

static inline long upload(const char *token, const void *data, size_t len, const char *ctype,
                          const char *expect, th_resp *out)
{
    char sha[128];
    snprintf(sha, sizeof sha, "X-Content-SHA256: %s", expect ? expect : "");
    return post_with("/api/v1/evidence", token, data, len, ctype, expect ? sha : NULL, out);
}

/* PATCH /evidence/uploads/{sha256}: one piece. */
static inline long piece(const char *token, const char *sha, long long at, long long total,
                         const char *ctype, const void *data, size_t len, th_resp *out)
{
    char path[160], h_at[64], h_total[64], h_ct[96];
    snprintf(path, sizeof path, "/api/v1/evidence/uploads/%s", sha);
    snprintf(h_at, sizeof h_at, "Upload-Offset: %lld", at);
    snprintf(h_total, sizeof h_total, "Upload-Length: %lld", total);
    snprintf(h_ct, sizeof h_ct, "Content-Type: %s", ctype);
    const char *headers[] = {h_ct, at >= 0 ? h_at : NULL, NULL, NULL};
    headers[at >= 0 ? 2 : 1] = total >= 0 ? h_total : NULL;
    assert_int_equal(th_http_with("PATCH", th_url(&T, path), token, data, len, headers, out), 0);
    return out->status;
}

/* Every error the servers of this program sent is in the registry with the status it was
 * sent with (core/codes.h): run last. */
static inline void every_error_sent_is_registered(void **state)
{
    (void)state;
    assert_int_equal(err_code_unregistered(), 0);
}

#endif
