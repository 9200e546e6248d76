/* accounts.c - organizations, users, tokens and sign-in; see accounts.h. */
#include "accounts/accounts.h"
#include "accounts/store.h"

#include "core/util.h"
#include "json/jsx.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *const acct_org_kinds[] = {"party",        "mediator", "monitor",
                                      "humanitarian", "observer", NULL};

const jsx_field acct_org_fields[] = {
    {.name = "slug", .type = JSX_SLUG},
    {.name = "name", .type = JSX_STRING, .min = 1, .max = 256},
    {.name = "kind", .type = JSX_STRING, .oneof = acct_org_kinds},
    {0},
};

const jsx_field acct_user_fields[] = {
    {.name = "name", .type = JSX_SLUG},
    {.name = "display", .type = JSX_STRING, .flags = JSX_OPTIONAL, .max = 256},
    {.name = "org", .type = JSX_SLUG},
    {.name = "password", .type = JSX_STRING, .min = 8, .max = 256},
    {.name = "admin", .type = JSX_BOOL, .flags = JSX_OPTIONAL},
    {0},
};

static unsigned long long pw_ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
static size_t pw_mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;

/* A hash of a random password, verified when the user does not exist so that a failed
 * sign-in takes as long for an unknown name as for a wrong password. Made once, when first
 * needed (a server makes it at start): every other command would pay 0.1 s and 64 MiB. */
static char dummy_hash[crypto_pwhash_STRBYTES];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void make_dummy(void)
{
    char pw[33];
    util_random_hex(pw, 16);
    if (crypto_pwhash_str(dummy_hash, pw, strlen(pw), pw_ops, pw_mem) != 0) abort();
}

void acct_init(void)
{
    const char *mode = getenv("TRUCE_PWHASH");
    if (mode && strcmp(mode, "min") == 0) {
        pw_ops = crypto_pwhash_OPSLIMIT_MIN;
        pw_mem = crypto_pwhash_MEMLIMIT_MIN;
    }
}

void acct_prepare_signin(void)
{
    pthread_once(&dummy_once, make_dummy);
}

journal_actor acct_actor(const acct_caller *c)
{
    journal_actor a = {c->org[0] ? c->org : NULL, c->user[0] ? c->user : "anonymous"};
    return a;
}

journal_reader acct_reader(const acct_caller *c)
{
    return journal_reader_of(c);
}

static int is_kind(const char *kind)
{
    for (const char *const *k = acct_org_kinds; *k; k++)
        if (strcmp(*k, kind) == 0) return 1;
    return 0;
}

static int check_name(const char *name, const char *field, tr_err *e)
{
    size_t n = strlen(name);
    if (n == 0 || n > 256)
        return err_field(e, "request.invalid_field", field, "use 1 to 256 bytes",
                         "%s must be 1 to 256 bytes long", field);
    return 0;
}

int acct_org_create(store *s, const journal_actor *who, const char *slug, const char *name,
                    const char *kind, tr_err *e)
{
    store_org existing;
    json_t *body;
    int rc;

    if (!util_is_slug(slug))
        return err_field(e, "request.invalid_field", "slug",
                         "use lowercase letters, digits and '-', at most 64",
                         "'%s' is not a valid organization slug", slug);
    if (check_name(name, "name", e)) return -1;
    if (!is_kind(kind))
        return err_field(e, "request.invalid_field", "kind",
                         "use party, mediator, monitor, humanitarian or observer",
                         "'%s' is not an organization kind", kind);
    rc = accounts_store(s)->org_get(s, slug, &existing, e);
    if (rc < 0) return -1;
    if (rc == 1)
        return err_set(e, 409, "org.exists", "choose another slug",
                       "organization '%s' already exists", slug);
    body = json_pack("{s:s, s:s, s:s}", "slug", slug, "name", name, "kind", kind);
    rc = journal_record(s, who, "org.created", body, "public", NULL, e);
    json_decref(body);
    return rc;
}

static const jsx_field actor_item[] = {{.name = "", .type = JSX_STRING, .min = 1, .max = 256}, {0}};
const jsx_field acct_actors_fields[] = {
    {.name = "actors", .type = JSX_ARRAY, .max = STORE_MAX_ACTORS, .items = actor_item},
    {0},
};

int acct_org_actors_set(store *s, const journal_actor *who, const char *org, const json_t *actors,
                        tr_err *e)
{
    store_org o;
    size_t i, j;
    int rc = accounts_store(s)->org_get(s, org, &o, e);
    if (rc < 0) return -1;
    if (rc == 0)
        return err_set(e, 404, "org.not_found", "list organizations with GET /api/v1/orgs",
                       "organization '%s' does not exist", org);
    for (i = 0; i < json_array_size(actors); i++) {
        const char *a = json_string_value(json_array_get(actors, i));
        char field[32];
        snprintf(field, sizeof field, "actors[%zu]", i);
        if (!a || !*a || strlen(a) > 256)
            return err_field(e, "request.invalid_field", field, "name each actor as ACLED does",
                             "an actor is a name of 1 to 256 bytes");
        for (j = 0; j < i; j++)
            if (strcmp(a, json_string_value(json_array_get(actors, j))) == 0)
                return err_field(e, "request.invalid_field", field, "list each actor once",
                                 "'%s' is listed twice", a);
    }
    json_t *body = json_pack("{s:s, s:O}", "org", org, "actors", actors);
    rc = journal_record(s, who, "org.actors_set", body, "public", NULL, e);
    json_decref(body);
    return rc;
}

static int collect_actor(void *cls, const void *row)
{
    json_array_append_new(cls, json_string(row));
    return 0;
}

json_t *acct_org_actors(store *s, const char *org, tr_err *e)
{
    json_t *out = json_array();
    if (accounts_store(s)->org_actors_list(s, org, collect_actor, out, e)) {
        json_decref(out);
        return NULL;
    }
    return out;
}

int acct_org_named_by(store *s, const store_org *org, const char *actor, tr_err *e)
{
    if (!actor || !*actor) return 0;
    if (strcasecmp(actor, org->name) == 0 || strcasecmp(actor, org->slug) == 0) return 1;
    return accounts_store(s)->org_has_actor(s, org->slug, actor, e);
}

json_t *acct_org_json(const store_org *o)
{
    return json_pack("{s:s, s:s, s:s, s:s}", "slug", o->slug, "name", o->name, "kind", o->kind,
                     "created_at", o->created_at);
}

int acct_user_prepare(acct_user_new *u, const char *name, const char *display, const char *org,
                      int admin, const char *password, tr_err *e)
{
    size_t pwlen = strlen(password);
    memset(u, 0, sizeof *u);
    if (!util_is_slug(name))
        return err_field(e, "request.invalid_field", "name",
                         "use lowercase letters, digits and '-', at most 64",
                         "'%s' is not a valid user name", name);
    if (strlen(display) > 256)
        return err_field(e, "request.invalid_field", "display", "use at most 256 bytes",
                         "the display name is too long");
    if (pwlen < 8 || pwlen > 256)
        return err_field(e, "request.invalid_field", "password",
                         "choose a password of 8 to 256 bytes",
                         "the password must be 8 to 256 bytes long");
    snprintf(u->name, sizeof u->name, "%s", name);
    snprintf(u->display, sizeof u->display, "%s", display);
    snprintf(u->org, sizeof u->org, "%s", org);
    u->admin = admin != 0;
    if (crypto_pwhash_str(u->pwhash, password, pwlen, pw_ops, pw_mem) != 0)
        return err_set(e, 503, "auth.hash_failed", "try again",
                       "could not hash the password (out of memory)");
    return 0;
}

int acct_user_create(store *s, const journal_actor *who, const acct_user_new *u, tr_err *e)
{
    store_org org;
    store_user existing;
    json_t *body;
    int rc = accounts_store(s)->org_get(s, u->org, &org, e);
    if (rc < 0) return -1;
    if (rc == 0)
        return err_set(e, 404, "org.not_found", "create the organization first",
                       "organization '%s' does not exist", u->org);
    rc = accounts_store(s)->user_get(s, u->name, &existing, e);
    if (rc < 0) return -1;
    if (rc == 1)
        return err_set(e, 409, "user.exists", "choose another name", "user '%s' already exists",
                       u->name);
    /* The password hash is part of the event so that the journal alone can rebuild the
     * users table; the event is therefore visible to administrators only. */
    body = json_pack("{s:s, s:s, s:s, s:b, s:s}", "name", u->name, "display", u->display, "org",
                     u->org, "admin", u->admin, "pwhash", u->pwhash);
    rc = journal_record(s, who, "user.created", body, "admin", NULL, e);
    json_decref(body);
    return rc;
}

json_t *acct_user_json(const store_user *u)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:b, s:s}", "name", u->name, "display", u->display,
                     "org", u->org, "org_kind", u->org_kind, "admin", u->admin, "created_at",
                     u->created_at);
}

static void token_hash(const char *token, char hex[65])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)token, strlen(token));
    util_hex(hex, h, sizeof h);
}

void acct_token_prepare(acct_token_new *t, const char *user, const char *label)
{
    memset(t, 0, sizeof *t);
    memcpy(t->token, "trc_", 4);
    util_random_hex(t->token + 4, 32);
    token_hash(t->token, t->hash);
    memcpy(t->id, t->hash, 16);
    snprintf(t->user, sizeof t->user, "%s", user);
    snprintf(t->label, sizeof t->label, "%s", label ? label : "");
}

int acct_token_create(store *s, const journal_actor *who, const acct_token_new *t, tr_err *e)
{
    store_user u;
    json_t *body;
    int rc = accounts_store(s)->user_get(s, t->user, &u, e);
    if (rc < 0) return -1;
    if (rc == 0)
        return err_set(e, 404, "user.not_found", "check the user name (truce user list)",
                       "user '%s' does not exist", t->user);
    body = json_pack("{s:s, s:s, s:s, s:s}", "id", t->id, "hash", t->hash, "user", t->user, "label",
                     t->label);
    rc = journal_record(s, who, "token.created", body, "admin", NULL, e);
    json_decref(body);
    return rc;
}

int acct_token_revoke(store *s, const journal_actor *who, const acct_caller *by, const char *id,
                      tr_err *e)
{
    store_token t;
    json_t *body;
    int rc = accounts_store(s)->token_get(s, id, &t, e);
    if (rc < 0) return -1;
    if (rc == 0 || (by && !by->admin && strcmp(by->user, t.user) != 0))
        return err_set(e, 404, "token.not_found", "list your tokens with GET /api/v1/me",
                       "no token with id '%s'", id);
    if (t.revoked_at[0])
        return err_set(e, 409, "token.revoked", NULL, "token '%s' was already revoked at %s", id,
                       t.revoked_at);
    body = json_pack("{s:s}", "id", id);
    rc = journal_record(s, who, "token.revoked", body, "admin", NULL, e);
    json_decref(body);
    return rc;
}

int acct_check_password_rehash(store *s, const char *user, const char *password, store_user *out,
                               char *rehash, size_t cap, tr_err *e)
{
    acct_prepare_signin();
    int rc = accounts_store(s)->user_get(s, user, out, e);
    const char *hash = rc == 1 ? out->pwhash : dummy_hash;
    size_t len = strlen(password);
    int ok, other_cost;
    if (rc < 0) return -1;
    if (rehash && cap) rehash[0] = 0;
    ok = crypto_pwhash_str_verify(hash, password, len) == 0;
    /* A hash made at another cost (an older setting, or a test's) would answer faster or
     * slower than everyone else's: the dummy's check at this server's cost follows, so a
     * failure never says which users have cheap hashes. */
    other_cost = crypto_pwhash_str_needs_rehash(hash, pw_ops, pw_mem) != 0;
    if (other_cost) {
        int dummy_ok = crypto_pwhash_str_verify(dummy_hash, password, len) == 0;
        (void)dummy_ok; /* only its time matters */
    }
    if (rc == 1 && ok) {
        if (other_cost && rehash && cap >= crypto_pwhash_STRBYTES &&
            crypto_pwhash_str(rehash, password, len, pw_ops, pw_mem) != 0)
            rehash[0] = 0; /* out of memory: it keeps its hash, and signs in all the same */
        return 0;
    }
    return err_set(e, 401, "auth.bad_credentials", "check the user name and password",
                   "wrong user name or password");
}

int acct_check_password(store *s, const char *user, const char *password, store_user *out,
                        tr_err *e)
{
    return acct_check_password_rehash(s, user, password, out, NULL, 0, e);
}

int acct_password_rehash(store *s, const journal_actor *who, const char *user, const char *pwhash,
                         tr_err *e)
{
    json_t *body = json_pack("{s:s, s:s}", "name", user, "pwhash", pwhash);
    int rc = journal_record(s, who, "user.password_rehashed", body, "admin", NULL, e);
    json_decref(body);
    return rc;
}

static int token_valid(const char *token, tr_err *e)
{
    if (strlen(token) != ACCT_TOKEN_LEN || strncmp(token, "trc_", 4) != 0)
        return err_set(e, 401, "auth.invalid_token",
                       "sign in with POST /api/v1/login to get a token",
                       "the bearer token is not a truce token");
    return 0;
}

static int resolve(store *s, const char *hash, acct_caller *out, tr_err *e)
{
    store_token t;
    int rc = accounts_store(s)->token_by_hash(s, hash, &t, e);
    if (rc < 0) return -1;
    if (rc == 0)
        return err_set(e, 401, "auth.invalid_token",
                       "sign in with POST /api/v1/login to get a token",
                       "the bearer token is not valid");
    if (t.revoked_at[0])
        return err_set(e, 401, "auth.revoked_token", "sign in again with POST /api/v1/login",
                       "the bearer token was revoked at %s", t.revoked_at);
    out->signed_in = 1;
    out->admin = t.admin;
    snprintf(out->user, sizeof out->user, "%s", t.user);
    snprintf(out->org, sizeof out->org, "%s", t.org);
    snprintf(out->org_kind, sizeof out->org_kind, "%s", t.org_kind);
    snprintf(out->token_id, sizeof out->token_id, "%s", t.id);
    return 0;
}

int acct_authenticate(store *s, const char *token, acct_caller *out, tr_err *e)
{
    char hash[65];
    memset(out, 0, sizeof *out);
    if (token_valid(token, e)) return -1;
    token_hash(token, hash);
    return resolve(s, hash, out, e);
}

#define CACHE_SLOTS 256 /* by the hash's first byte; a collision only costs a lookup */

struct acct_cache {
    pthread_mutex_t lock;
    uint64_t epoch; /* advanced by acct_cache_forget() */
    struct {
        char hash[65];
        acct_caller caller;
        uint64_t epoch, at_ns;
    } slot[CACHE_SLOTS];
};

acct_cache *acct_cache_new(void)
{
    acct_cache *c = calloc(1, sizeof *c);
    if (!c) abort();
    pthread_mutex_init(&c->lock, NULL);
    c->epoch = 1; /* empty slots hold epoch 0 */
    return c;
}

void acct_cache_free(acct_cache *c)
{
    if (!c) return;
    pthread_mutex_destroy(&c->lock);
    free(c);
}

void acct_cache_forget(acct_cache *c)
{
    pthread_mutex_lock(&c->lock);
    c->epoch++;
    pthread_mutex_unlock(&c->lock);
}

int acct_authenticate_cached(acct_cache *c, store *s, const char *token, acct_caller *out,
                             tr_err *e)
{
    char hash[65];
    uint64_t now = util_mono_ns(), epoch;
    memset(out, 0, sizeof *out);
    if (token_valid(token, e)) return -1;
    token_hash(token, hash);
    unsigned i = (unsigned)strtoul((char[3]){hash[0], hash[1], 0}, NULL, 16) % CACHE_SLOTS;
    pthread_mutex_lock(&c->lock);
    epoch = c->epoch;
    if (c->slot[i].epoch == epoch && now - c->slot[i].at_ns < ACCT_CACHE_TTL_MS * 1000000ull &&
        strcmp(c->slot[i].hash, hash) == 0) {
        *out = c->slot[i].caller;
        pthread_mutex_unlock(&c->lock);
        return 0;
    }
    pthread_mutex_unlock(&c->lock);
    if (resolve(s, hash, out, e)) return -1;
    /* Kept only if nothing was revoked meanwhile: what was read may predate it. */
    pthread_mutex_lock(&c->lock);
    if (c->epoch == epoch) {
        memcpy(c->slot[i].hash, hash, sizeof hash);
        c->slot[i].caller = *out;
        c->slot[i].epoch = epoch;
        c->slot[i].at_ns = now;
    }
    pthread_mutex_unlock(&c->lock);
    return 0;
}

typedef struct key_seek {
    const char *public_key;
    int found;
} key_seek;

static int key_match(void *cls, const void *row)
{
    key_seek *k = cls;
    if (strcmp(((const store_org_key *)row)->public_key, k->public_key) == 0) k->found = 1;
    return k->found;
}

int acct_org_key_register(store *s, const journal_actor *who, const char *org,
                          const char *public_key, store_org_key *out, tr_err *e)
{
    unsigned char pk[32], h[crypto_hash_sha256_BYTES];
    size_t len;
    char hex[65];
    store_org o;
    json_t *body;
    int rc;
    if (sodium_base642bin(pk, sizeof pk, public_key, strlen(public_key), NULL, &len, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        len != 32)
        return err_field(e, "key.bad_format", "public_key",
                         "send the public key that 'truce keygen' printed",
                         "the public key is not 32 bytes of base64");
    rc = accounts_store(s)->org_get(s, org, &o, e);
    if (rc < 0) return -1;
    if (rc == 0)
        return err_set(e, 404, "org.not_found", NULL, "organization '%s' does not exist", org);
    /* A key registered twice for the same organization is a 409 here; one registered by
     * another organization is refused by the table's uniqueness (409 store.conflict), so
     * a signature always names one signer. */
    key_seek seek = {public_key, 0};
    if (accounts_store(s)->org_key_list(s, org, key_match, &seek, e)) return -1;
    crypto_hash_sha256(h, pk, sizeof pk);
    util_hex(hex, h, sizeof h);
    memset(out, 0, sizeof *out);
    memcpy(out->id, hex, 16);
    snprintf(out->org, sizeof out->org, "%s", org);
    snprintf(out->public_key, sizeof out->public_key, "%s", public_key);
    if (seek.found)
        return err_set(e, 409, "key.exists", NULL, "this key is already registered for '%s'", org);
    body = json_pack("{s:s, s:s, s:s}", "org", org, "id", out->id, "public_key", public_key);
    rc = journal_record(s, who, "org_key.registered", body, "public", NULL, e);
    json_decref(body);
    if (rc == 0) {
        char now[UTIL_ISO_LEN];
        util_now_iso(now);
        snprintf(out->created_at, sizeof out->created_at, "%s", now);
    }
    return rc;
}

json_t *acct_org_key_json(const store_org_key *k)
{
    return json_pack("{s:s, s:s, s:s, s:s}", "id", k->id, "org", k->org, "public_key",
                     k->public_key, "created_at", k->created_at);
}
