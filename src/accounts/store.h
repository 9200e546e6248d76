/* store.h - the accounts pillar's storage interface: organizations and the actors that
 * stand for them, users, tokens, organizations' signing keys. Each backend implements it
 * beside the pillar (store_sqlite.c; store_pg.c with PostgreSQL); accounts_store() picks
 * the connection's. Lookups return 1 found, 0 not, -1 error. */
#ifndef TRUCE_ACCOUNTS_STORE_H
#define TRUCE_ACCOUNTS_STORE_H

#include "store/store.h"

typedef struct store_org {
    int64_t id;
    char slug[STORE_SLUG_MAX];
    char name[STORE_NAME_MAX];
    char kind[16]; /* party | mediator | monitor | humanitarian | observer */
    char created_at[STORE_TIME_MAX];
} store_org;

typedef struct store_user {
    int64_t id;
    char name[STORE_SLUG_MAX];
    char display[STORE_NAME_MAX]; /* Human name; may be empty. */
    char org[STORE_SLUG_MAX];     /* Organization slug. */
    char org_kind[16];
    int admin;        /* Administrator of the deployment. */
    char pwhash[160]; /* crypto_pwhash_str() output; never leaves the server. */
    char created_at[STORE_TIME_MAX];
} store_user;

typedef struct store_token {
    char id[17];   /* Public id: 16 hex digits of SHA-256(token). */
    char hash[65]; /* Hex SHA-256 of the token; the token itself is never kept. */
    char user[STORE_SLUG_MAX];
    char label[STORE_NAME_MAX];
    char created_at[STORE_TIME_MAX];
    char revoked_at[STORE_TIME_MAX]; /* Empty while the token is valid. */
    /* The owner, read in the same query (one read transaction per authentication). */
    char org[STORE_SLUG_MAX];
    char org_kind[16];
    int admin;
} store_token;

typedef struct store_org_key {
    char id[17]; /* 16 hex digits of SHA-256 of the decoded key */
    char org[STORE_SLUG_MAX];
    char public_key[64]; /* base64 of the 32-byte Ed25519 public key */
    char created_at[STORE_TIME_MAX];
} store_org_key;

typedef struct accounts_store_ops {
    int (*org_insert)(store *s, const store_org *o, tr_err *e);
    int (*org_get)(store *s, const char *slug, store_org *out, tr_err *e);
    int (*org_list)(store *s, store_row_cb cb, void *cls, tr_err *e);
    /* The actors (ACLED's names) that stand for an organization: set replaces them all;
     * list hands each to cb as a const char *, in order; has: 1 it is one, 0 not, -1. */
    int (*org_actors_set)(store *s, const char *org, const char *const *actors, size_t n,
                          tr_err *e);
    int (*org_actors_list)(store *s, const char *org, store_row_cb cb, void *cls, tr_err *e);
    int (*org_has_actor)(store *s, const char *org, const char *actor, tr_err *e);
    int (*user_insert)(store *s, const store_user *u, tr_err *e);
    int (*user_get)(store *s, const char *name, store_user *out, tr_err *e);
    int (*user_set_pwhash)(store *s, const char *name, const char *pwhash, tr_err *e);
    int (*user_list)(store *s, store_row_cb cb, void *cls, tr_err *e);
    int (*token_insert)(store *s, const store_token *t, tr_err *e);
    int (*token_get)(store *s, const char *id, store_token *out, tr_err *e);
    int (*token_by_hash)(store *s, const char *hash, store_token *out, tr_err *e);
    int (*token_revoke)(store *s, const char *id, const char *when, tr_err *e);
    /* Organizations' public signing keys (rows: store_org_key). */
    int (*org_key_insert)(store *s, const store_org_key *k, tr_err *e);
    int (*org_key_list)(store *s, const char *org, store_row_cb cb, void *cls, tr_err *e);
} accounts_store_ops;

/* PostgreSQL's (store_pg.c). */
extern const accounts_store_ops accounts_pg_ops;

/* The operations of the connection's backend. */
const accounts_store_ops *accounts_store(const store *s);

#endif
