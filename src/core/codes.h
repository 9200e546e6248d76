/* codes.h - the registry of error codes: every code truce sends or prints, with its HTTP
 * status and what it means.
 *
 * The code is what clients match on (core/err.h), so the set is a contract: docs/api.md
 * documents every code the API can send, and the tests check all three against each other
 * — every code the sources set is here with the same status, every API code is in
 * docs/api.md, and a server that sends a code missing here (or with another status) logs it
 * and counts it (err_code_unregistered), which the API tests require to stay 0. */
#ifndef TRUCE_CORE_CODES_H
#define TRUCE_CORE_CODES_H

#include <stddef.h>

enum {
    ERR_API = 1, /* The API may send it (documented in docs/api.md). */
    ERR_CLI = 2, /* A command prints it (its message, on stderr). */
};

typedef struct err_code {
    const char *code;    /* "area.what" */
    int status;          /* The HTTP status it goes with. */
    unsigned where;      /* ERR_API and/or ERR_CLI. */
    const char *meaning; /* What it means, for the documentation. */
} err_code;

extern const err_code err_codes[];
extern const size_t err_n_codes;

/* The code's entry, or NULL. */
const err_code *err_code_find(const char *code);

/* Called by the server for every error it sends: counts a code missing from the registry
 * or sent with another status (and says so in the log). */
void err_code_sent(const char *code, int status);
/* How many such codes were sent since the process started. */
unsigned long err_code_unregistered(void);

#endif
