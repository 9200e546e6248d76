/* routes.c - the accounts pillar's HTTP handlers and its part of the route table: sign-in, tokens,
 * organizations (with their actors and signing keys) and users.
 *
 * Handlers translate between HTTP and the pillar's services, which own the rules; the
 * registry (src/pillars.c) merges this table with the others'. docs/api.md documents every
 * route with an example. */
#include "accounts/routes.h"
#include "accounts/store.h"

#include "http/handler.h"
#include "accounts/accounts.h"
#include "json/jsx.h"

#include <ctype.h>
#include <errno.h>
#include <microhttpd.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static json_t *org_row(const void *row)
{
    return acct_org_json(row);
}

static json_t *user_row(const void *row)
{
    return acct_user_json(row);
}

static int org_cb(void *cls, const void *row)
{
    return http__collect(cls, row, org_row);
}

static int user_cb(void *cls, const void *row)
{
    return http__collect(cls, row, user_row);
}

static const jsx_field login_fields[] = {
    {.name = "user", .type = JSX_STRING, .min = 1, .max = 64},
    {.name = "password", .type = JSX_STRING, .min = 1, .max = 256},
    {.name = "label", .type = JSX_STRING, .flags = JSX_OPTIONAL, .max = 256},
    {0},
};

typedef struct token_state {
    acct_token_new tok;
    store_user user;
    char rehash[crypto_pwhash_STRBYTES]; /* the password hashed anew at sign-in, or "" */
} token_state;

static int token_write(store *s, void *cls, tr_err *e)
{
    http_req *r = cls;
    token_state *st = r->state;
    journal_actor who = {st->user.org, st->user.name};
    if (st->rehash[0] && acct_password_rehash(s, &who, st->user.name, st->rehash, e)) return -1;
    if (acct_token_create(s, &who, &st->tok, e)) return -1;
    return http__reply(r, 201,
                       json_pack("{s:s, s:s, s:s, s:s, s:s}", "token", st->tok.token, "id",
                                 st->tok.id, "user", st->user.name, "org", st->user.org, "org_kind",
                                 st->user.org_kind));
}

static int throttled(http_req *r, int wait)
{
    return http__throttled_because(r, wait, "auth.throttled", "too many failed sign-ins");
}

/* Sign-in throttling (docs/api.md, POST /api/v1/login): growing delays per (name,
 * address) pair, so a guesser elsewhere cannot lock the owner out; per name and per
 * address too, against guessing spread over many addresses or many names, except for the
 * pairs that signed in before: the owner where they usually sign in. */
static int h_login(http_req *r)
{
    tr_err e = TR_ERR_INIT;
    token_state *st;
    const char *user, *pw;
    char pkey[600], ukey[300], akey[80];
    int64_t now = r->srv->cfg.clock_s ? r->srv->cfg.clock_s() : util_unix_s();
    int wait;
    store *s;

    if (http__check_body(r)) return 0;
    user = jsx_str(r->json, "user", "");
    pw = jsx_str(r->json, "password", "");
    snprintf(pkey, sizeof pkey, "p:%s\n%s", r->client, user);
    snprintf(ukey, sizeof ukey, "u:%s", user);
    snprintf(akey, sizeof akey, "a:%s", r->client);
    wait = throttle_wait(r->srv->login_pair, pkey, now);
    if (!wait && !throttle_remembers(r->srv->login_known, pkey)) {
        int wu = throttle_wait(r->srv->login_user, ukey, now);
        int wa = throttle_wait(r->srv->login_addr, akey, now);
        wait = wu > wa ? wu : wa;
    }
    if (wait) return throttled(r, wait);
    if (!(s = http__reader_or_fail(r))) return 0;
    st = arena_alloc(&r->mem, sizeof *st);
    if (acct_check_password_rehash(s, user, pw, &st->user, st->rehash, sizeof st->rehash, &e)) {
        if (e.status == 401) {
            throttle_failed(r->srv->login_pair, pkey, now);
            throttle_failed(r->srv->login_user, ukey, now);
            throttle_failed(r->srv->login_addr, akey, now);
        }
        return http__fail(r, &e);
    }
    throttle_succeeded(r->srv->login_pair, pkey);
    throttle_remember(r->srv->login_known, pkey, now);
    acct_token_prepare(&st->tok, st->user.name, jsx_str(r->json, "label", "login"));
    r->state = st;
    return http__defer(r, token_write);
}

static int h_me(http_req *r)
{
    const acct_caller *c = &r->caller;
    return http__reply(r, 200,
                       json_pack("{s:s, s:s, s:s, s:b, s:s}", "user", c->user, "org", c->org,
                                 "org_kind", c->org_kind, "admin", c->admin, "token_id",
                                 c->token_id));
}

static const jsx_field token_fields[] = {
    {.name = "label", .type = JSX_STRING, .flags = JSX_OPTIONAL, .max = 256},
    {0},
};

static int h_token_create(http_req *r)
{
    tr_err e = TR_ERR_INIT;
    token_state *st;
    store *s;
    if (http__check_body(r)) return 0;
    if (!(s = http__reader_or_fail(r))) return 0;
    st = arena_alloc(&r->mem, sizeof *st);
    if (accounts_store(s)->user_get(s, r->caller.user, &st->user, &e) != 1) {
        if (!e.status) err_set(&e, 401, "auth.invalid_token", NULL, "the caller no longer exists");
        return http__fail(r, &e);
    }
    acct_token_prepare(&st->tok, r->caller.user, jsx_str(r->json, "label", "api"));
    r->state = st;
    return http__defer(r, token_write);
}

static int revoke_write(store *s, void *cls, tr_err *e)
{
    http_req *r = cls;
    journal_actor who = acct_actor(&r->caller);
    if (acct_token_revoke(s, &who, &r->caller, r->state, e)) return -1;
    return http__reply(r, 200, json_pack("{s:s, s:b}", "id", (const char *)r->state, "revoked", 1));
}

/* Committed: no request after this reply may be let in by a remembered token. */
static int revoke_written(http_req *r)
{
    acct_cache_forget(r->srv->auth);
    return 0;
}

static int h_token_revoke(http_req *r)
{
    r->state = (void *)r->params[0];
    r->after_write = revoke_written;
    return http__defer(r, revoke_write);
}

static int h_logout(http_req *r)
{
    r->state = r->caller.token_id;
    r->after_write = revoke_written;
    return http__defer(r, revoke_write);
}

static int h_orgs(http_req *r)
{
    store *s = http__reader_or_fail(r);
    return s ? http__list(r, "orgs", accounts_store(s)->org_list, org_cb) : 0;
}

static int h_org_get(http_req *r)
{
    tr_err e = TR_ERR_INIT;
    store_org o;
    store *s = http__reader_or_fail(r);
    int rc;
    if (!s) return 0;
    rc = accounts_store(s)->org_get(s, r->params[0], &o, &e);
    if (rc < 0) return http__fail(r, &e);
    if (rc == 0) {
        err_set(&e, 404, "org.not_found", "list organizations with GET /api/v1/orgs",
                "organization '%s' does not exist", r->params[0]);
        return http__fail(r, &e);
    }
    json_t *out = acct_org_json(&o), *actors = acct_org_actors(s, o.slug, &e);
    if (!actors) {
        json_decref(out);
        return http__fail(r, &e);
    }
    json_object_set_new(out, "actors", actors);
    return http__reply(r, 200, out);
}

static int actors_write(store *s, void *cls, tr_err *e)
{
    http_req *r = cls;
    journal_actor who = acct_actor(&r->caller);
    json_t *actors;
    if (acct_org_actors_set(s, &who, r->params[0], json_object_get(r->json, "actors"), e))
        return -1;
    if (!(actors = acct_org_actors(s, r->params[0], e))) return -1;
    return http__reply(r, 200, json_pack("{s:s, s:o}", "org", r->params[0], "actors", actors));
}

/* PUT /api/v1/orgs/{slug}/actors: which actors (ACLED's names) stand for an organization. */
static int h_org_actors_put(http_req *r)
{
    if (http__check_body(r)) return 0;
    return http__defer(r, actors_write);
}

static int org_write(store *s, void *cls, tr_err *e)
{
    http_req *r = cls;
    journal_actor who = acct_actor(&r->caller);
    store_org o;
    if (acct_org_create(s, &who, jsx_str(r->json, "slug", ""), jsx_str(r->json, "name", ""),
                        jsx_str(r->json, "kind", ""), e))
        return -1;
    if (accounts_store(s)->org_get(s, jsx_str(r->json, "slug", ""), &o, e) != 1) return -1;
    return http__reply(r, 201, acct_org_json(&o));
}

static int h_org_create(http_req *r)
{
    if (http__check_body(r)) return 0;
    return http__defer(r, org_write);
}

static int h_users(http_req *r)
{
    store *s = http__reader_or_fail(r);
    return s ? http__list(r, "users", accounts_store(s)->user_list, user_cb) : 0;
}

static int user_write(store *s, void *cls, tr_err *e)
{
    http_req *r = cls;
    acct_user_new *u = r->state;
    journal_actor who = acct_actor(&r->caller);
    store_user out;
    if (acct_user_create(s, &who, u, e)) return -1;
    if (accounts_store(s)->user_get(s, u->name, &out, e) != 1) return -1;
    return http__reply(r, 201, acct_user_json(&out));
}

static int h_user_create(http_req *r)
{
    tr_err e = TR_ERR_INIT;
    acct_user_new *u;
    if (http__check_body(r)) return 0;
    u = arena_alloc(&r->mem, sizeof *u);
    if (acct_user_prepare(u, jsx_str(r->json, "name", ""), jsx_str(r->json, "display", ""),
                          jsx_str(r->json, "org", ""), jsx_bool(r->json, "admin", 0),
                          jsx_str(r->json, "password", ""), &e))
        return http__fail(r, &e);
    r->state = u;
    return http__defer(r, user_write);
}

static const jsx_field key_fields[] = {
    {.name = "public_key", .type = JSX_STRING, .min = 1, .max = 64},
    {0},
};

static int key_write(store *s, void *cls, tr_err *e)
{
    http_req *r = cls;
    journal_actor who = acct_actor(&r->caller);
    store_org_key k;
    if (acct_org_key_register(s, &who, r->params[0], jsx_str(r->json, "public_key", ""), &k, e))
        return -1;
    return http__reply(r, 201, acct_org_key_json(&k));
}

static int h_org_key_register(http_req *r)
{
    tr_err e = TR_ERR_INIT;
    /* An organization registers its own keys; administrators may register any. */
    if (!r->caller.admin && strcmp(r->caller.org, r->params[0]) != 0) {
        err_set(&e, 403, "auth.forbidden", "sign in as a user of that organization",
                "only users of '%s' may register its keys", r->params[0]);
        err_detail(&e, json_pack("{s:[s, s]}", "allowed", "admin", "org members"));
        return http__fail(r, &e);
    }
    if (http__check_body(r)) return 0;
    return http__defer(r, key_write);
}

static int key_cb(void *cls, const void *row)
{
    json_array_append_new(cls, acct_org_key_json(row));
    return 0;
}

static int h_org_keys(http_req *r)
{
    tr_err e = TR_ERR_INIT;
    store_org o;
    store *s = http__reader_or_fail(r);
    json_t *keys;
    int rc;
    if (!s) return 0;
    rc = accounts_store(s)->org_get(s, r->params[0], &o, &e);
    if (rc <= 0) {
        if (rc == 0)
            err_set(&e, 404, "org.not_found", NULL, "organization '%s' does not exist",
                    r->params[0]);
        return http__fail(r, &e);
    }
    keys = json_array();
    if (accounts_store(s)->org_key_list(s, r->params[0], key_cb, keys, &e)) {
        json_decref(keys);
        return http__fail(r, &e);
    }
    return http__reply(r, 200, json_pack("{s:o}", "keys", keys));
}

/* ---- the table --------------------------------------------------------------------- */

const http_route accounts_routes[] = {
    /* method  path                handler          who          flags        body schema */
    {"POST", "/api/v1/login", h_login, WHO_PUBLIC, ROUTE_BODY, login_fields},
    {"POST", "/api/v1/logout", h_logout, WHO_USER, 0, NULL},
    {"GET", "/api/v1/me", h_me, WHO_USER, 0, NULL},
    {"POST", "/api/v1/tokens", h_token_create, WHO_USER, ROUTE_BODY, token_fields},
    {"DELETE", "/api/v1/tokens/{id}", h_token_revoke, WHO_USER, 0, NULL},
    {"GET", "/api/v1/orgs", h_orgs, WHO_PUBLIC, 0, NULL},
    {"POST", "/api/v1/orgs", h_org_create, WHO_ADMIN, ROUTE_BODY, acct_org_fields},
    {"GET", "/api/v1/orgs/{slug}", h_org_get, WHO_PUBLIC, 0, NULL},
    {"GET", "/api/v1/orgs/{slug}/keys", h_org_keys, WHO_PUBLIC, 0, NULL},
    {"PUT", "/api/v1/orgs/{slug}/actors", h_org_actors_put, WHO_ADMIN | WHO_MONITOR, ROUTE_BODY,
     acct_actors_fields},
    {"POST", "/api/v1/orgs/{slug}/keys", h_org_key_register, WHO_USER, ROUTE_BODY, key_fields},
    {"GET", "/api/v1/users", h_users, WHO_ADMIN, 0, NULL},
    {"POST", "/api/v1/users", h_user_create, WHO_ADMIN, ROUTE_BODY, acct_user_fields},
    {NULL, NULL, NULL, 0, 0, NULL},
};

/* ---- authentication, for the server ------------------------------------------------- */

static void *auth_state_new(void)
{
    return acct_cache_new();
}

static void auth_state_free(void *state)
{
    acct_cache_free(state);
}

static int auth_resolve(void *state, store *s, const char *token, journal_caller *out, tr_err *e)
{
    return acct_authenticate_cached(state, s, token, out, e);
}

const http_auth accounts_auth = {acct_prepare_signin, auth_state_new, auth_state_free,
                                 auth_resolve};
