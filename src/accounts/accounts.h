/* accounts.h - organizations, users, API tokens, sign-in and the caller's identity.
 *
 * Organizations have a kind (party, mediator, monitor, humanitarian, observer) and a
 * slug; every user belongs to one; some users administer the deployment. Passwords are
 * hashed with argon2id (libsodium crypto_pwhash_str). API tokens are 256-bit random
 * values, shown once and stored only as their SHA-256; a token's public id is the first
 * 16 hex digits of that hash, which is enough to list and revoke it and useless for
 * signing in.
 *
 * Writes follow the same shape everywhere: the slow or random part (hashing a password,
 * drawing a token) happens first, outside any transaction, in an acct_*_prepare()
 * function; the write itself, acct_*_create(), checks the rules against the store and
 * records one journal event, and may run inside the group committer's batch. */
#ifndef TRUCE_ACCOUNTS_ACCOUNTS_H
#define TRUCE_ACCOUNTS_ACCOUNTS_H

#include "core/err.h"
#include "journal/journal.h"
#include "json/jsx.h"
#include "accounts/store.h"

#include <jansson.h>

#define ACCT_TOKEN_LEN 68 /* "trc_" + 64 hex digits. */

extern const char *const acct_org_kinds[]; /* NULL-terminated. */

/* Input schemas shared by the API and scenario files:
 *   organization {"slug", "name", "kind"}
 *   user         {"name", "display"?, "org", "password", "admin"?} */
extern const jsx_field acct_org_fields[];
extern const jsx_field acct_user_fields[];

/* Who is calling: filled by acct_authenticate(), all zero for an anonymous caller. The
 * type lives with the journal (journal_caller) so that the server can hold one without
 * knowing this pillar. */
typedef journal_caller acct_caller;

/* Reads TRUCE_PWHASH from the environment: "interactive" (default; libsodium's
 * interactive limits, about 64 MiB and 0.1 s a hash) or "min" (the smallest legal
 * limits, for test suites only). Call once at start-up. */
void acct_init(void);
/* Makes the dummy hash that sign-ins of unknown users are checked against (about 0.1 s);
 * acct_check_password() makes it when first called, a server at start so that the first
 * sign-in takes no longer than the others. */
void acct_prepare_signin(void);

/* The journal actor and reader that correspond to a caller. */
journal_actor acct_actor(const acct_caller *c);
journal_reader acct_reader(const acct_caller *c);

/* ---- organizations ---- */
int acct_org_create(store *s, const journal_actor *who, const char *slug, const char *name,
                    const char *kind, tr_err *e);
json_t *acct_org_json(const store_org *o);

/* {"actors": [NAME, ...]}: the actors, as ACLED names them ("Military Forces of Israel
 * (2022-)", "Hamas Movement"), that stand for an organization: an incident naming one of
 * them names the organization (who may dispute it, whom it is attributed to). Matched
 * exactly, never as a part of a longer name. */
extern const jsx_field acct_actors_fields[];
/* Replaces an organization's actors (input checked against acct_actors_fields): 404
 * org.not_found, 400 naming actors[i] for an empty or repeated one. Journaled as
 * org.actors_set (public). */
int acct_org_actors_set(store *s, const journal_actor *who, const char *org, const json_t *actors,
                        tr_err *e);
/* The organization's actors, in order: a JSON array, or NULL on a failure. */
json_t *acct_org_actors(store *s, const char *org, tr_err *e);
/* Whether the actor (ACLED's name) stands for the organization: its own name or slug, or
 * one of its actors, exactly. 1 it does, 0 not, -1 on a failure. */
int acct_org_named_by(store *s, const store_org *org, const char *actor, tr_err *e);

/* ---- users ---- */
typedef struct acct_user_new {
    char name[STORE_SLUG_MAX];
    char display[STORE_NAME_MAX];
    char org[STORE_SLUG_MAX];
    int admin;
    char pwhash[160];
} acct_user_new;

/* Validates the fields and hashes the password (slow: call outside transactions). */
int acct_user_prepare(acct_user_new *u, const char *name, const char *display, const char *org,
                      int admin, const char *password, tr_err *e);
int acct_user_create(store *s, const journal_actor *who, const acct_user_new *u, tr_err *e);
json_t *acct_user_json(const store_user *u); /* Never includes the password hash. */

/* ---- tokens ---- */
typedef struct acct_token_new {
    char token[ACCT_TOKEN_LEN + 1]; /* The secret, to show once. */
    char id[17];
    char hash[65];
    char user[STORE_SLUG_MAX];
    char label[STORE_NAME_MAX];
} acct_token_new;

void acct_token_prepare(acct_token_new *t, const char *user, const char *label);
int acct_token_create(store *s, const journal_actor *who, const acct_token_new *t, tr_err *e);
/* Revokes a token. Only its owner or an administrator may (by == NULL: the operator). */
int acct_token_revoke(store *s, const journal_actor *who, const acct_caller *by, const char *id,
                      tr_err *e);

/* ---- organization signing keys ---- */
/* Registers an Ed25519 public key (base64 of 32 bytes) for an organization. 400
 * key.bad_format, 404 org.not_found, 409 key.exists. */
int acct_org_key_register(store *s, const journal_actor *who, const char *org,
                          const char *public_key, store_org_key *out, tr_err *e);
json_t *acct_org_key_json(const store_org_key *k);

/* ---- sign-in ---- */
/* Checks a password. Takes the same time whether or not the user exists, and whatever cost
 * the user's hash was made at (a hash cheaper than this server's is followed by a check
 * at the server's cost). Fails with 401 auth.bad_credentials. When it succeeds and the
 * stored hash was made at another cost, *rehash (when not NULL) receives the password
 * hashed at this server's: journal it with acct_password_rehash. */
int acct_check_password(store *s, const char *user, const char *password, store_user *out,
                        tr_err *e);
int acct_check_password_rehash(store *s, const char *user, const char *password, store_user *out,
                               char *rehash, size_t cap, tr_err *e);
/* Journals a user's password hash made anew (user.password_rehashed, administrators only). */
int acct_password_rehash(store *s, const journal_actor *who, const char *user, const char *pwhash,
                         tr_err *e);
/* Resolves a bearer token into a caller; 401 auth.invalid_token or auth.revoked_token. */
int acct_authenticate(store *s, const char *token, acct_caller *out, tr_err *e);

/* Tokens a server has recently resolved, shared by its request threads: after a write,
 * every reader connection's page cache is stale, so a lookup costs several page reads (a
 * sixth of the server's time under a stream of reports). An entry is used for at most
 * ACCT_CACHE_TTL_MS. acct_cache_forget() drops every entry: the server calls it after this
 * process revokes a token, before replying, so that revocation holds for the very next
 * request; a revocation by another process (truce token revoke) holds within the TTL. */
#define ACCT_CACHE_TTL_MS 200
typedef struct acct_cache acct_cache;
acct_cache *acct_cache_new(void);
void acct_cache_free(acct_cache *c);
void acct_cache_forget(acct_cache *c);
/* acct_authenticate(), answered from c when it can be. */
int acct_authenticate_cached(acct_cache *c, store *s, const char *token, acct_caller *out,
                             tr_err *e);

#endif
