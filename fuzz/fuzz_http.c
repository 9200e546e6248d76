/* fuzz_http.c - the API as a client without scruples meets it: a request line, headers and
 * a body from the input, sent over HTTP to a server on the fuzz database (the demo's
 * organizations, users and zones), signed in as one of four roles or nobody. Whatever comes, the
 * reply must be a clear one: never a 5xx but 503 (a bad request is the client's fault, a
 * 500 is a bug), and every error a JSON {"error": {"code", "message"}}.
 *
 * Input: byte 0 picks the method, byte 1 who signs in (nobody, a monitor, an
 * administrator, a mediator, a party); then a
 * path line, header lines, an empty line and the body. Control characters are dropped from
 * the path and headers (curl would refuse them). Writes are kept: the database grows. */
#include "fuzz.h"

#include "core/log.h"
#include "http/http.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static http_server *srv;
static char base[64], token[4][128]; /* a monitor's, an administrator's, a mediator's, a party's */
static CURL *curl;

static size_t sink(char *p, size_t size, size_t n, void *cls)
{
    buf *b = cls;
    buf_append(b, p, size * n);
    return size * n;
}

static long request(const char *method, const char *path, struct curl_slist *headers,
                    const char *body, size_t len, buf *out)
{
    char url[2200];
    long status = 0;
    snprintf(url, sizeof url, "%s%s", base, path);
    curl_easy_reset(curl);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(curl, CURLOPT_NOBODY, 1L); /* else curl waits for the body */
    else
        curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 8L);
    curl_easy_setopt(curl, CURLOPT_PATH_AS_IS, 1L);
    if (len || strcmp(method, "POST") == 0 || strcmp(method, "PATCH") == 0) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    if (curl_easy_perform(curl) != CURLE_OK) return -1;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    return status;
}

static void start(void)
{
    tr_err e = TR_ERR_INIT;
    http_config cfg = {0};
    buf out = BUF_INIT;
    cfg.db_path = fuzz_db_path();
    cfg.listen = "127.0.0.1:0";
    cfg.threads = 2;
    log_set_access(0);
    if (!(srv = http_start(&cfg, &e))) {
        fprintf(stderr, "fuzz_http: %s\n", e.message);
        abort();
    }
    snprintf(base, sizeof base, "http://127.0.0.1:%u", (unsigned)http_port(srv));
    curl_global_init(CURL_GLOBAL_DEFAULT);
    curl = curl_easy_init();
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    static const char *const logins[] = {"{\"user\":\"un\",\"password\":\"demo-un-monitor\"}",
                                         "{\"user\":\"admin\",\"password\":\"demo-admin\"}",
                                         "{\"user\":\"usa\",\"password\":\"demo-usa\"}",
                                         "{\"user\":\"israel\",\"password\":\"demo-israel\"}"};
    for (int k = 0; k < 4; k++) {
        buf_reset(&out);
        if (request("POST", "/api/v1/login", h, logins[k], strlen(logins[k]), &out) != 201) abort();
        json_t *j = json_loadb(out.p, out.len, 0, NULL);
        snprintf(token[k], sizeof token[k], "Authorization: Bearer %s",
                 json_string_value(json_object_get(j, "token")));
        json_decref(j);
    }
    curl_slist_free_all(h);
    buf_free(&out);
}

/* The next line of [*p, end) without control characters, into out (at most cap - 1). */
static int next_line(const char **p, const char *end, char *out, size_t cap)
{
    size_t n = 0;
    if (*p >= end) return 0;
    while (*p < end && **p != '\n') {
        unsigned char c = (unsigned char)*(*p)++;
        if (c >= 0x20 && c != 0x7f && n + 1 < cap) out[n++] = (char)c;
    }
    if (*p < end) (*p)++;
    out[n] = 0;
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const methods[] = {"GET", "POST", "PATCH", "DELETE", "PUT", "HEAD"};
    if (!srv) start();
    if (size < 2) return 0;
    const char *method = methods[data[0] % 6];
    int who = data[1] % 5; /* nobody, a monitor, an administrator, a mediator, a party */
    const char *p = (const char *)data + 2, *end = (const char *)data + size;
    char path[2048], line[1024];
    struct curl_slist *headers = NULL;
    if (!next_line(&p, end, path, sizeof path) || path[0] != '/') return 0;
    while (next_line(&p, end, line, sizeof line) && line[0])
        if (strchr(line, ':') && line[0] != ':' && strncasecmp(line, "Host:", 5) != 0 &&
            strncasecmp(line, "Content-Length:", 15) != 0 &&
            strncasecmp(line, "Transfer-Encoding:", 18) != 0 &&
            strncasecmp(line, "Expect:", 7) != 0)
            headers = curl_slist_append(headers, line);
    if (who) headers = curl_slist_append(headers, token[who - 1]);
    headers = curl_slist_append(headers, "Expect:"); /* no 100-continue round trip */
    buf out = BUF_INIT;
    long status = request(method, path, headers, p, (size_t)(end - p), &out);
    curl_slist_free_all(headers);
    if (status >= 500 && status != 503) {
        fprintf(stderr, "fuzz_http: %s %s -> %ld: %.*s\n", method, path, status,
                (int)(out.len < 600 ? out.len : 600), out.p ? out.p : "");
        abort();
    }
    if (status >= 400 && strcmp(method, "HEAD") != 0) {
        json_t *j = json_loadb(out.p ? out.p : "", out.len, 0, NULL);
        json_t *err = json_object_get(j, "error");
        if (!json_is_string(json_object_get(err, "code")) ||
            !json_is_string(json_object_get(err, "message"))) {
            fprintf(stderr, "fuzz_http: %s %s -> %ld without an error body: %.*s\n", method, path,
                    status, (int)(out.len < 600 ? out.len : 600), out.p ? out.p : "");
            abort();
        }
        json_decref(j);
    }
    buf_free(&out);
    return 0;
}
