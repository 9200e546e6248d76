/* webhooks.c - telling other systems when an obligation changes: administrators register a
 * URL, the events it wants and a secret; each matching public event of the journal becomes
 * a delivery, POSTed as JSON with X-Truce-Signature: sha256=HMAC-SHA256(secret, body), and
 * retried with backoff (every * 2^attempts seconds, at most an hour) until a 2xx, at most 8
 * times. The server's ticker queues and delivers (webhooks_tick); the HTTP calls happen on
 * the ticker thread, never in a write. See comply.h. */
#include "comply/comply.h"

#include "core/util.h"

#include <curl/curl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ATTEMPTS 8
#define SCAN_LIMIT   10000 /* journal events looked at a tick */
#define SEND_LIMIT   100   /* deliveries attempted a tick */

static const char *const webhook_events[] = {
    "obligation.state_changed", "obligation.breached", "obligation.met",     "obligation.defined",
    "obligation.observed",      "obligation.answered", "obligation.decided", NULL};
static const jsx_field event_item[] = {{.name = "", .type = JSX_STRING, .oneof = webhook_events},
                                       {0}};

const jsx_field webhook_fields[] = {
    {.name = "url", .type = JSX_STRING, .min = 8, .max = 2048},
    {.name = "events", .type = JSX_ARRAY, .min = 1, .max = 8, .items = event_item},
    {.name = "secret", .type = JSX_STRING, .min = 16, .max = 256},
    {0},
};

int webhook_register(store *s, const journal_actor *who, const json_t *in, int64_t *id, tr_err *e)
{
    const char *url = jsx_str(in, "url", "");
    if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
        return err_field(e, "request.invalid_field", "url", "an http:// or https:// URL",
                         "'%.100s' is not a URL truce can POST to", url);
    json_t *body = json_pack("{s:s, s:O, s:s}", "url", url, "events", json_object_get(in, "events"),
                             "secret", jsx_str(in, "secret", ""));
    /* The secret is the registrar's and the administrators' to read, nobody else's. */
    char vis[128];
    snprintf(vis, sizeof vis, "admin%s%s", who->org ? " org:" : "", who->org ? who->org : "");
    int rc = journal_record(s, who, "webhook.registered", body, vis, id, e);
    json_decref(body);
    return rc;
}

json_t *webhook_json(const store_webhook *w)
{
    json_t *events = json_loads(w->events, 0, NULL);
    return json_pack("{s:I, s:s, s:o, s:o, s:s}", "id", (json_int_t)w->id, "url", w->url, "events",
                     events ? events : json_array(), "org",
                     w->org[0] ? json_string(w->org) : json_null(), "created_at", w->created_at);
}

json_t *delivery_json(const store_delivery *d)
{
    return json_pack("{s:I, s:I, s:I, s:s, s:s, s:i, s:o, s:o, s:s}", "id", (json_int_t)d->id,
                     "webhook", (json_int_t)d->webhook, "seq", (json_int_t)d->seq, "event",
                     d->event, "status", d->status, "attempts", d->attempts, "last_status",
                     d->last_code ? json_integer(d->last_code) : json_null(), "last_error",
                     d->last_error[0] ? json_string(d->last_error) : json_null(), "updated_at",
                     d->updated_at);
}

/* ---- queueing ----------------------------------------------------------------------- */

typedef struct hooks {
    store_webhook *w;
    size_t n;
} hooks;

static int hook_cb(void *cls, const void *row)
{
    hooks *h = cls;
    h->w = realloc(h->w, (h->n + 1) * sizeof *h->w);
    if (!h->w) abort();
    h->w[h->n++] = *(const store_webhook *)row;
    return 0;
}

/* The names an event answers to: its type, and for a change of state what it became. */
static int answers(const store_event *ev, const char *name)
{
    if (strcmp(ev->visibility, "public") != 0) return 0;
    if (strcmp(ev->type, name) == 0) return 1;
    if (strcmp(ev->type, "obligation.state_changed") != 0) return 0;
    json_t *b = json_loads(ev->body, 0, NULL);
    const char *to = jsx_str(b, "to", "");
    int yes = (!strcmp(name, "obligation.breached") && !strcmp(to, "breached")) ||
              (!strcmp(name, "obligation.met") && (!strcmp(to, "met") || !strcmp(to, "met_late")));
    json_decref(b);
    return yes;
}

typedef struct queue {
    hooks *h;
    json_t *todo; /* [[webhook, seq, event], ...] */
    int64_t last;
} queue;

static int queue_cb(void *cls, const void *row)
{
    queue *q = cls;
    const store_event *ev = row;
    q->last = ev->seq;
    for (size_t i = 0; i < q->h->n; i++) {
        const store_webhook *w = &q->h->w[i];
        if (ev->seq <= w->id) continue;
        json_t *events = json_loads(w->events, 0, NULL);
        for (size_t k = 0; k < json_array_size(events); k++) {
            const char *name = json_string_value(json_array_get(events, k));
            if (answers(ev, name)) {
                json_array_append_new(
                    q->todo, json_pack("[I, I, s]", (json_int_t)w->id, (json_int_t)ev->seq, name));
                break;
            }
        }
        json_decref(events);
    }
    return 0;
}

typedef struct queue_job {
    json_t *todo;
    int64_t from, last;
} queue_job;

static int queue_write(store *s, void *cls, tr_err *e)
{
    queue_job *j = cls;
    int64_t cursor;
    char now[UTIL_ISO_LEN];
    util_now_iso(now);
    /* Another tick queued these meanwhile: nothing to add. */
    if (comply_store(s)->cursor_get(s, &cursor, e)) return -1;
    if (cursor != j->from) return 0;
    const json_t *t;
    size_t i;
    json_array_foreach(j->todo, i, t)
    {
        store_delivery d = {.webhook = json_integer_value(json_array_get(t, 0)),
                            .seq = json_integer_value(json_array_get(t, 1)),
                            .status = "pending",
                            .next_ms = 0};
        snprintf(d.event, sizeof d.event, "%s", json_string_value(json_array_get(t, 2)));
        snprintf(d.updated_at, sizeof d.updated_at, "%s", now);
        if (comply_store(s)->delivery_insert(s, &d, e)) return -1;
    }
    return comply_store(s)->cursor_set(s, j->last, e);
}

/* ---- delivering --------------------------------------------------------------------- */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

static size_t discard(char *p, size_t size, size_t n, void *cls)
{
    (void)p;
    (void)cls;
    return size * n;
}

void webhook_sign(const char *secret, const char *body, size_t len, char out[72])
{
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, len);
    crypto_auth_hmacsha256_final(&st, mac);
    memcpy(out, "sha256=", 7);
    util_hex(out + 7, mac, sizeof mac);
}

/* POSTs one delivery: 0 delivered, else *code (0: no answer) and why. */
static int post(const store_webhook *w, const store_delivery *d, const char *payload, long *code,
                char *why, size_t cap)
{
    char sig[72], h_sig[96], h_event[96], h_id[64];
    struct curl_slist *hdr = NULL;
    CURL *c = curl_easy_init();
    webhook_sign(w->secret, payload, strlen(payload), sig);
    snprintf(h_sig, sizeof h_sig, "X-Truce-Signature: %s", sig);
    snprintf(h_event, sizeof h_event, "X-Truce-Event: %s", d->event);
    snprintf(h_id, sizeof h_id, "X-Truce-Delivery: %lld", (long long)d->id);
    hdr = curl_slist_append(hdr, "Content-Type: application/json");
    hdr = curl_slist_append(hdr, h_sig);
    hdr = curl_slist_append(hdr, h_event);
    hdr = curl_slist_append(hdr, h_id);
    curl_easy_setopt(c, CURLOPT_URL, w->url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, payload);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "truce/" TRUCE_VERSION);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    CURLcode rc = curl_easy_perform(c);
    *code = 0;
    why[0] = 0;
    if (rc == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, code);
    if (rc != CURLE_OK)
        snprintf(why, cap, "%s", curl_easy_strerror(rc));
    else if (*code < 200 || *code > 299)
        snprintf(why, cap, "answered %ld", *code);
    curl_slist_free_all(hdr);
    curl_easy_cleanup(c);
    return rc == CURLE_OK && *code >= 200 && *code <= 299 ? 0 : -1;
}

typedef struct due {
    store_delivery *d;
    size_t n;
} due;

static int due_cb(void *cls, const void *row)
{
    due *u = cls;
    u->d = realloc(u->d, (u->n + 1) * sizeof *u->d);
    if (!u->d) abort();
    u->d[u->n++] = *(const store_delivery *)row;
    return 0;
}

typedef struct event_body {
    char *text;
} event_body;

static int event_cb(void *cls, const void *row)
{
    const store_event *ev = row;
    json_t *b = json_loads(ev->body, 0, NULL);
    json_t *doc = json_pack("{s:I, s:s, s:s, s:o}", "seq", (json_int_t)ev->seq, "type", ev->type,
                            "time", ev->time, "body", b ? b : json_null());
    ((event_body *)cls)->text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(doc);
    return 1;
}

typedef struct outcome_job {
    store_delivery *d;
    size_t n;
} outcome_job;

static int outcome_write(store *s, void *cls, tr_err *e)
{
    outcome_job *j = cls;
    for (size_t i = 0; i < j->n; i++)
        if (comply_store(s)->delivery_update(s, &j->d[i], e)) return -1;
    return 0;
}

int webhooks_tick(store *reader, writer *wr, unsigned every, tr_err *e)
{
    hooks h = {0};
    int64_t cursor = 0;
    int rc = comply_store(reader)->webhook_list(reader, NULL, hook_cb, &h, e);
    if (rc == 0) rc = comply_store(reader)->cursor_get(reader, &cursor, e);
    /* Queue: the events since the cursor (from the first webhook's registration). */
    if (rc == 0 && h.n) {
        /* No cursor yet: from the first registration (nothing before it is anyone's). */
        int64_t from = cursor;
        for (size_t i = 0; !cursor && i < h.n; i++)
            if (!from || h.w[i].id < from) from = h.w[i].id;
        queue q = {&h, json_array(), from};
        rc = reader->ops->journal_scan(reader, from, SCAN_LIMIT, queue_cb, &q, e);
        if (rc == 0 && q.last > from) {
            queue_job j = {q.todo, cursor, q.last};
            rc = writer_run(wr, queue_write, &j, e);
        }
        json_decref(q.todo);
    }
    free(h.w);
    if (rc) return -1;
    /* Deliver what is due. */
    due u = {0};
    int64_t now_ms = util_unix_s() * 1000;
    if (comply_store(reader)->delivery_due(reader, now_ms, SEND_LIMIT, due_cb, &u, e)) return -1;
    if (!u.n) return 0;
    pthread_once(&curl_once, curl_init);
    for (size_t i = 0; i < u.n; i++) {
        store_delivery *d = &u.d[i];
        store_webhook w;
        event_body b = {NULL};
        char why[STORE_NAME_MAX], now[UTIL_ISO_LEN];
        long code = 0;
        util_now_iso(now);
        snprintf(d->updated_at, sizeof d->updated_at, "%s", now);
        if (comply_store(reader)->webhook_get(reader, d->webhook, &w, e) != 1 ||
            reader->ops->journal_scan(reader, d->seq - 1, 1, event_cb, &b, e) || !b.text) {
            free(b.text);
            err_clear(e);
            snprintf(d->status, sizeof d->status, "failed");
            snprintf(d->last_error, sizeof d->last_error, "its webhook or event is gone");
            continue;
        }
        /* The payload names the delivery and what it is about; the signature covers it. */
        json_t *ev = json_loads(b.text, 0, NULL);
        free(b.text);
        json_t *payload =
            json_pack("{s:I, s:s, s:I, s:o}", "delivery", (json_int_t)d->id, "event", d->event,
                      "webhook", (json_int_t)d->webhook, "journal", ev ? ev : json_null());
        char *text = json_dumps(payload, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(payload);
        d->attempts++;
        if (post(&w, d, text, &code, why, sizeof why) == 0) {
            snprintf(d->status, sizeof d->status, "delivered");
            d->last_error[0] = 0;
        } else {
            int64_t wait = (int64_t)every << (d->attempts < 12 ? d->attempts : 12);
            snprintf(d->status, sizeof d->status, "%s",
                     d->attempts >= MAX_ATTEMPTS ? "failed" : "pending");
            d->next_ms = now_ms + (wait < 3600 ? wait : 3600) * 1000;
            snprintf(d->last_error, sizeof d->last_error, "%s", why);
        }
        d->last_code = (int)code;
        free(text);
    }
    outcome_job j = {u.d, u.n};
    rc = writer_run(wr, outcome_write, &j, e);
    free(u.d);
    return rc;
}
