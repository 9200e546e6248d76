/* fuzz.c - see fuzz.h. */
#include "fuzz.h"

#include "accounts/accounts.h"
#include "core/log.h"
#include "journal/journal.h"
#include "scenario/scenario.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fail(const char *what, const tr_err *e)
{
    fprintf(stderr, "fuzz: %s: %s\n", what, e ? e->message : "failed");
    abort();
}

static char db[64];

const char *fuzz_db_path(void)
{
    fuzz_store();
    return db;
}

store *fuzz_store(void)
{
    static store *s;
    tr_err e = TR_ERR_INIT;
    char dir[] = "/tmp/truce-fuzz-XXXXXX";

    if (s) return s;
    if (sodium_init() < 0) fail("libsodium", NULL);
    log_set_quiet(1);
    setenv("TRUCE_PWHASH", "min", 0); /* the demo users' passwords, hashed quickly */
    acct_init();
    if (!mkdtemp(dir)) fail("mkdtemp", NULL);
    snprintf(db, sizeof db, "%s/fuzz.db", dir);
    if (!(s = store_sqlite_open(db, STORE_CREATE, &e)) ||
        journal_create_key(s, db, "fuzz.truce/log", &e) || scn_init_deployment(s, "fuzz", &e) ||
        scn_load(s, TRUCE_SOURCE_SCENARIO_DIR, SCN_NO_SAMPLES, NULL, &e))
        fail("database", &e);
    return s;
}

char *fuzz_text(const uint8_t *data, size_t size)
{
    char *t = malloc(size + 1);
    if (!t) abort();
    memcpy(t, data, size);
    t[size] = 0;
    return t;
}
