/* evidence.h - evidence files: photographs, video, audio, documents behind a report.
 *
 * A file is named by the SHA-256 of its bytes (64 lowercase hex digits). Its media type is
 * read from the bytes (libmagic) and must be one of the accepted types and agree with the
 * type the uploader declared; a file larger than the deployment's limit (serve
 * --max-upload) is refused by the server before it is read; an uploader that states the
 * hash it expects gets a 400 when the bytes do not match it.
 *
 * The bytes are kept in a content table outside the projections (store.h: blob_put); the
 * journal event `evidence.stored` carries the hash, type, size and uploading organization,
 * so anyone holding a file and the log can check that it is the one that was filed. The
 * event and the file are visible to monitors, mediators and the uploading organization. */
#ifndef TRUCE_MONITOR_EVIDENCE_H
#define TRUCE_MONITOR_EVIDENCE_H

#include "journal/journal.h"
#include "monitor/store.h"
#include "store/store.h"

#include <stddef.h>

/* The accepted media types, NULL-terminated. */
extern const char *const evidence_types[];

/* The media type libmagic reads from the bytes ("image/jpeg"), into out. 0, or -1 with e
 * set when libmagic cannot be loaded. Thread-safe. */
int evidence_sniff(const void *data, size_t len, char *out, size_t cap, tr_err *e);

/* Is s 64 lowercase hex digits? */
int evidence_hash_valid(const char *s);

typedef struct evidence_upload {
    const void *data;
    size_t len;
    const char *declared; /* Content-Type as sent (parameters ignored), or NULL */
    const char *expect;   /* hash the uploader expects, or NULL */
} evidence_upload;

/* Checks an upload without writing: not empty, media type, expected hash (its size is the
 * route's body limit, checked by the server before the body is read). Fills out->sha256,
 * out->media_type and out->size. Every refusal names what is wrong: 400 evidence.empty,
 * 415 evidence.type_refused / evidence.type_mismatch, 400 evidence.hash_mismatch. */
int evidence_check(const evidence_upload *up, store_evidence *out, tr_err *e);

/* Stores a checked upload for `org` (inside a transaction): the blob, and an
 * evidence.stored event unless this organization stored the same file before. *created is
 * 1 when an event was recorded. With quota > 0, an organization may upload that many bytes
 * a UTC day: beyond, a 429 evidence.quota (detail.retry_after: seconds to midnight UTC)
 * that stores nothing; a file it sent before costs nothing. */
int evidence_store(store *s, const journal_actor *who, const char *org, const void *data,
                   int64_t quota, store_evidence *ev, int *created, tr_err *e);

/* The bytes of evidence file sha256 (malloc'd), only when they hash to its name: 1 found,
 * 0 none, -1 error (500 evidence.damaged when the stored bytes are not the file's). A
 * server never sends bytes that do not match their name. */
int evidence_read(store *s, const char *sha256, void **data, size_t *len, tr_err *e);

#endif
