/* evidence.c - evidence files; see evidence.h. */
#include "monitor/evidence.h"
#include "monitor/store.h"

#include <magic.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <strings.h>

const char *const evidence_types[] = {
    "image/jpeg",  "image/png",   "image/webp",      "image/gif",  "image/tiff",
    "video/mp4",   "video/webm",  "video/quicktime", "audio/mpeg", "audio/ogg",
    "audio/x-wav", "audio/x-m4a", "application/pdf", "text/plain", NULL,
};

/* libmagic handles are not thread-safe: one, loaded on first use, behind a lock. */
static pthread_mutex_t magic_lock = PTHREAD_MUTEX_INITIALIZER;
static magic_t magic_handle;

int evidence_sniff(const void *data, size_t len, char *out, size_t cap, tr_err *e)
{
    const char *type;
    pthread_mutex_lock(&magic_lock);
    if (!magic_handle) {
        magic_handle = magic_open(MAGIC_MIME_TYPE | MAGIC_ERROR);
        if (magic_handle && magic_load(magic_handle, NULL) != 0) {
            magic_close(magic_handle);
            magic_handle = NULL;
        }
    }
    /* The first MiB decides: every accepted type announces itself at the start, and the
     * lock is not held while a 20 MiB video is scanned to its end. */
    type =
        magic_handle ? magic_buffer(magic_handle, data, len < (1u << 20) ? len : 1u << 20) : NULL;
    if (type) snprintf(out, cap, "%s", type);
    pthread_mutex_unlock(&magic_lock);
    if (!type)
        return err_set(e, 500, "evidence.magic", "install libmagic-mgc (make deps)",
                       "cannot read the file's media type");
    return 0;
}

int evidence_hash_valid(const char *s)
{
    size_t n = 0;
    for (; s && s[n]; n++)
        if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f'))) return 0;
    return n == 64;
}

static int accepted(const char *type)
{
    for (size_t i = 0; evidence_types[i]; i++)
        if (strcmp(evidence_types[i], type) == 0) return 1;
    return 0;
}

int evidence_check(const evidence_upload *up, store_evidence *out, tr_err *e)
{
    unsigned char digest[crypto_hash_sha256_BYTES];
    char declared[128] = "";

    memset(out, 0, sizeof *out);
    if (up->len == 0)
        return err_set(e, 400, "evidence.empty", "send the file's bytes as the request body",
                       "the evidence file is empty");
    if (up->declared) {
        size_t n = strcspn(up->declared, "; \t");
        snprintf(declared, sizeof declared, "%.*s", (int)(n < 127 ? n : 127), up->declared);
    }
    if (evidence_sniff(up->data, up->len, out->media_type, sizeof out->media_type, e)) return -1;
    if (!accepted(out->media_type)) {
        err_set(e, 415, "evidence.type_refused",
                "send a photograph, video, audio recording, PDF or plain text",
                "the file is %s, which is not accepted as evidence", out->media_type);
        json_t *types = json_array();
        for (size_t i = 0; evidence_types[i]; i++)
            json_array_append_new(types, json_string(evidence_types[i]));
        err_detail(e, json_pack("{s:s, s:o}", "found", out->media_type, "accepted", types));
        return -1;
    }
    if (declared[0] && strcasecmp(declared, "application/octet-stream") != 0 &&
        strcasecmp(declared, out->media_type) != 0) {
        err_set(e, 415, "evidence.type_mismatch",
                "send the file's real type as Content-Type, or application/octet-stream",
                "the file was sent as %s but its bytes are %s", declared, out->media_type);
        err_detail(e, json_pack("{s:s, s:s}", "declared", declared, "found", out->media_type));
        return -1;
    }
    crypto_hash_sha256(digest, up->data, up->len);
    sodium_bin2hex(out->sha256, sizeof out->sha256, digest, sizeof digest);
    if (up->expect && strcasecmp(up->expect, out->sha256) != 0) {
        err_set(e, 400, "evidence.hash_mismatch",
                "the file changed on the way or the hash is of another file; send it again",
                "the file's SHA-256 is %s, not %s", out->sha256, up->expect);
        err_detail(e, json_pack("{s:s, s:s}", "expected", up->expect, "actual", out->sha256));
        return -1;
    }
    out->size = (int64_t)up->len;
    return 0;
}

/* Within the day's quota, or a 429 saying when the next day starts. */
static int within_quota(store *s, const char *org, int64_t size, int64_t quota, tr_err *e)
{
    int64_t now = util_unix_s(), used;
    char since[UTIL_ISO_LEN];
    util_iso_at(now - now % 86400, since); /* midnight UTC: Unix days are 86,400 s */
    if (monitor_store(s)->evidence_bytes(s, org, since, &used, e)) return -1;
    if (used + size <= quota) return 0;
    long wait = (long)(86400 - now % 86400);
    err_set(e, 429, "evidence.quota",
            "upload the rest after midnight UTC, or ask an "
            "administrator to raise serve --evidence-quota",
            "%s has uploaded %lld of its %lld bytes of evidence today; this file is %lld bytes",
            org, (long long)used, (long long)quota, (long long)size);
    return err_detail(e, json_pack("{s:I}", "retry_after", (json_int_t)wait));
}

int evidence_store(store *s, const journal_actor *who, const char *org, const void *data,
                   int64_t quota, store_evidence *ev, int *created, tr_err *e)
{
    store_evidence had;
    char vis[160];
    int rc;
    *created = 0;
    if ((rc = monitor_store(s)->evidence_get(s, ev->sha256, org, &had, e)) < 0) return -1;
    if (rc == 1) { /* the same organization sent the same file: nothing changes */
        *ev = had;
        return 0;
    }
    if (quota > 0 && within_quota(s, org, ev->size, quota, e)) return -1;
    if (monitor_store(s)->blob_put(s, ev->sha256, data, (size_t)ev->size, e)) return -1;
    json_t *body = json_pack("{s:s, s:s, s:s, s:I}", "sha256", ev->sha256, "org", org, "media_type",
                             ev->media_type, "size", (json_int_t)ev->size);
    snprintf(vis, sizeof vis, "kind:monitor kind:mediator org:%s", org);
    rc = journal_record(s, who, "evidence.stored", body, vis, NULL, e);
    json_decref(body);
    if (rc) return -1;
    *created = 1;
    char hash[65];
    memcpy(hash, ev->sha256, sizeof hash);
    return monitor_store(s)->evidence_get(s, hash, org, ev, e) == 1 ? 0 : -1;
}

int evidence_read(store *s, const char *sha256, void **data, size_t *len, tr_err *e)
{
    unsigned char h[crypto_hash_sha256_BYTES];
    char hex[2 * crypto_hash_sha256_BYTES + 1];
    int rc = monitor_store(s)->blob_get(s, sha256, data, len, e);
    if (rc != 1) return rc;
    crypto_hash_sha256(h, *data, *len);
    sodium_bin2hex(hex, sizeof hex, h, sizeof h);
    if (strcmp(hex, sha256) == 0) return 1;
    free(*data);
    *data = NULL;
    *len = 0;
    return err_set(e, 500, "evidence.damaged",
                   "restore the file from a backup; `truce audit` "
                   "lists every damaged file",
                   "evidence file %s is damaged: its stored bytes hash to %s", sha256, hex);
}
