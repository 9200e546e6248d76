/* err.h - errors as values: a stable code, an HTTP status, a message, a detail and a hint.
 *
 * Every fallible function in truce takes a `tr_err *` as its last argument and returns
 * -1 (or NULL) after filling it in. The discipline follows PostgreSQL's ereport(): the
 * message says what happened, the detail says why (here a JSON value, so that a client
 * can act on it: the offending field, the allowed transitions...), and the hint says what
 * to do. The code is stable ("org.not_found") and is what clients and tests match on;
 * the message may be reworded at any time.
 *
 * A tr_err lives on the caller's stack. It owns its detail; err_clear() releases it. */
#ifndef TRUCE_CORE_ERR_H
#define TRUCE_CORE_ERR_H

#include <jansson.h>

typedef struct tr_err {
    int status;        /* HTTP status that describes the failure; 0 while no error is set. */
    char code[48];     /* Stable machine-readable code, "area.what". */
    char message[320]; /* One sentence: what happened. */
    char hint[256];    /* What to do about it; may be empty. */
    json_t *detail;    /* Optional structured detail (owned), or NULL. */
} tr_err;

#define TR_ERR_INIT                                                                                \
    {                                                                                              \
        0, {0}, {0}, {0}, NULL                                                                     \
    }

/* Sets the error; an error already set is replaced. Returns -1 so callers can write
 * `return err_set(e, ...)`. The hint may be NULL. */
int err_set(tr_err *e, int status, const char *code, const char *hint, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Attaches a detail value; the reference is stolen. Returns -1. */
int err_detail(tr_err *e, json_t *detail);

/* Shorthand for the 400 "field is wrong" family: detail is {"field": FIELD}. */
int err_field(tr_err *e, const char *code, const char *field, const char *hint, const char *fmt,
              ...) __attribute__((format(printf, 5, 6)));

/* Forgets the error and frees its detail. */
void err_clear(tr_err *e);

/* The error as the body every API error reply carries:
 * {"error": {"code", "message", "detail", "hint"}}. New reference. */
json_t *err_to_json(const tr_err *e);

/* One line for a terminal: "MESSAGE (HINT)". Writes to stderr with a "truce: " prefix. */
void err_print(const tr_err *e);

#endif
