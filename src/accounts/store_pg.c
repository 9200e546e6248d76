/* store_pg.c - the accounts pillar's storage on PostgreSQL (accounts/store.h), through the
 * store's connection (store/pg_pillar.h): the same operations as store_sqlite.c, in
 * PostgreSQL's SQL. */
#include "accounts/store.h"

#include "store/pg_pillar.h"

#include <string.h>

#define USER_COLS "u.id, u.name, u.display, o.slug, o.kind, u.admin, u.pwhash, u.created_at"
#define TOKEN_COLS                                                                                 \
    "t.id, t.hash, u.name, t.label, t.created_at, t.revoked_at, o.slug, o.kind, u.admin"           \
    " FROM tokens t JOIN users u ON u.id = t.user_id JOIN orgs o ON o.id = u.org_id"

static const char actors_drop_sql[] =
    "DELETE FROM org_actors WHERE org_id = (SELECT id FROM orgs WHERE slug = $1)";
static const char actor_put_sql[] =
    "INSERT INTO org_actors(org_id, actor) SELECT id, $1 FROM orgs WHERE slug = $2";
static const char actors_list_sql[] = "SELECT actor FROM org_actors WHERE org_id ="
                                      " (SELECT id FROM orgs WHERE slug = $1) ORDER BY actor";
static const char actor_has_sql[] = "SELECT 1 FROM org_actors WHERE org_id ="
                                    " (SELECT id FROM orgs WHERE slug = $1) AND actor = $2";
static const char org_insert_sql[] =
    "INSERT INTO orgs(slug, name, kind, created_at) VALUES ($1, $2, $3, $4)";
static const char org_get_sql[] = "SELECT id, slug, name, kind, created_at FROM orgs"
                                  " WHERE slug = $1";
static const char org_list_sql[] = "SELECT id, slug, name, kind, created_at FROM orgs"
                                   " ORDER BY slug";
static const char user_pwhash_sql[] = "UPDATE users SET pwhash = $1 WHERE name = $2";
static const char user_insert_sql[] =
    "INSERT INTO users(name, display, org_id, admin, pwhash, created_at)"
    " SELECT $1, $2, id, $3, $4, $5 FROM orgs WHERE slug = $6";
static const char user_get_sql[] =
    "SELECT " USER_COLS " FROM users u JOIN orgs o ON o.id = u.org_id WHERE u.name = $1";
static const char user_list_sql[] =
    "SELECT " USER_COLS " FROM users u JOIN orgs o ON o.id = u.org_id ORDER BY u.name";
static const char token_insert_sql[] = "INSERT INTO tokens(id, hash, user_id, label, created_at)"
                                       " SELECT $1, $2, id, $3, $4 FROM users WHERE name = $5";
static const char token_get_sql[] = "SELECT " TOKEN_COLS " WHERE t.id = $1";
static const char token_by_hash_sql[] = "SELECT " TOKEN_COLS " WHERE t.hash = $1";
static const char token_revoke_sql[] =
    "UPDATE tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL";
static const char org_key_insert_sql[] = "INSERT INTO org_keys(id, org_id, public_key, created_at)"
                                         " SELECT $1, id, $2, $3 FROM orgs WHERE slug = $4";
static const char org_key_list_sql[] =
    "SELECT k.id, o.slug, k.public_key, k.created_at FROM org_keys k"
    " JOIN orgs o ON o.id = k.org_id WHERE o.slug = $1 ORDER BY k.created_at, k.id";

static int no_org(tr_err *e, const char *org, const char *hint)
{
    return err_set(e, 404, "org.not_found", hint, "organization '%s' does not exist", org);
}

static void read_org(const PGresult *r, int i, void *row)
{
    store_org *o = row;
    o->id = pgr_i64(r, i, 0);
    pgr_copy(o->slug, sizeof o->slug, r, i, 1);
    pgr_copy(o->name, sizeof o->name, r, i, 2);
    pgr_copy(o->kind, sizeof o->kind, r, i, 3);
    pgr_copy(o->created_at, sizeof o->created_at, r, i, 4);
}

static int org_insert(store *s, const store_org *o, tr_err *e)
{
    return pgx(s, e, org_insert_sql, "tttt", o->slug, o->name, o->kind, o->created_at) < 0 ? -1 : 0;
}

static int org_get(store *s, const char *slug, store_org *out, tr_err *e)
{
    return pg_row(pgq(s, e, org_get_sql, "t", slug), read_org, out);
}

static int org_list(store *s, store_row_cb cb, void *cls, tr_err *e)
{
    store_org o;
    return pg_scan(s, pgq(s, e, org_list_sql, ""), read_org, &o, cb, cls, e);
}

static int org_actors_set(store *s, const char *org, const char *const *actors, size_t n, tr_err *e)
{
    if (pgx(s, e, actors_drop_sql, "t", org) < 0) return -1;
    for (size_t i = 0; i < n; i++) {
        int64_t put = pgx(s, e, actor_put_sql, "tt", actors[i], org);
        if (put < 0) return -1;
        if (put != 1) return no_org(e, org, NULL);
    }
    return 0;
}

static void read_text(const PGresult *r, int i, void *row)
{
    *(const char **)row = pgr_text(r, i, 0);
}

/* Hands each row's first column to cb as a const char *. */
static int text_cb(void *cls, const void *row)
{
    struct {
        store_row_cb cb;
        void *cls;
    } *c = cls;
    return c->cb(c->cls, *(const char *const *)row);
}

static int org_actors_list(store *s, const char *org, store_row_cb cb, void *cls, tr_err *e)
{
    struct {
        store_row_cb cb;
        void *cls;
    } c = {cb, cls};
    const char *actor;
    return pg_scan(s, pgq(s, e, actors_list_sql, "t", org), read_text, &actor, text_cb, &c, e);
}

static int org_has_actor(store *s, const char *org, const char *actor, tr_err *e)
{
    int64_t one;
    return pgi(s, &one, e, actor_has_sql, "tt", org, actor);
}

static void read_user(const PGresult *r, int i, void *row)
{
    store_user *u = row;
    u->id = pgr_i64(r, i, 0);
    pgr_copy(u->name, sizeof u->name, r, i, 1);
    pgr_copy(u->display, sizeof u->display, r, i, 2);
    pgr_copy(u->org, sizeof u->org, r, i, 3);
    pgr_copy(u->org_kind, sizeof u->org_kind, r, i, 4);
    u->admin = pgr_int(r, i, 5);
    pgr_copy(u->pwhash, sizeof u->pwhash, r, i, 6);
    pgr_copy(u->created_at, sizeof u->created_at, r, i, 7);
}

static int user_insert(store *s, const store_user *u, tr_err *e)
{
    int64_t n = pgx(s, e, user_insert_sql, "ttdttt", u->name, u->display, u->admin, u->pwhash,
                    u->created_at, u->org);
    if (n < 0) return -1;
    return n == 1 ? 0 : no_org(e, u->org, "create the organization first");
}

static int user_set_pwhash(store *s, const char *name, const char *pwhash, tr_err *e)
{
    int64_t n = pgx(s, e, user_pwhash_sql, "tt", pwhash, name);
    if (n < 0) return -1;
    return n == 1 ? 0 : err_set(e, 404, "user.not_found", NULL, "user '%s' does not exist", name);
}

static int user_get(store *s, const char *name, store_user *out, tr_err *e)
{
    return pg_row(pgq(s, e, user_get_sql, "t", name), read_user, out);
}

static int user_list(store *s, store_row_cb cb, void *cls, tr_err *e)
{
    store_user u;
    return pg_scan(s, pgq(s, e, user_list_sql, ""), read_user, &u, cb, cls, e);
}

static void read_token(const PGresult *r, int i, void *row)
{
    store_token *t = row;
    pgr_copy(t->id, sizeof t->id, r, i, 0);
    pgr_copy(t->hash, sizeof t->hash, r, i, 1);
    pgr_copy(t->user, sizeof t->user, r, i, 2);
    pgr_copy(t->label, sizeof t->label, r, i, 3);
    pgr_copy(t->created_at, sizeof t->created_at, r, i, 4);
    pgr_copy(t->revoked_at, sizeof t->revoked_at, r, i, 5);
    pgr_copy(t->org, sizeof t->org, r, i, 6);
    pgr_copy(t->org_kind, sizeof t->org_kind, r, i, 7);
    t->admin = pgr_int(r, i, 8);
}

static int token_insert(store *s, const store_token *t, tr_err *e)
{
    int64_t n =
        pgx(s, e, token_insert_sql, "ttttt", t->id, t->hash, t->label, t->created_at, t->user);
    if (n < 0) return -1;
    return n == 1 ? 0
                  : err_set(e, 404, "user.not_found", "check the user name",
                            "user '%s' does not exist", t->user);
}

static int token_get(store *s, const char *id, store_token *out, tr_err *e)
{
    return pg_row(pgq(s, e, token_get_sql, "t", id), read_token, out);
}

static int token_by_hash(store *s, const char *hash, store_token *out, tr_err *e)
{
    return pg_row(pgq(s, e, token_by_hash_sql, "t", hash), read_token, out);
}

static int token_revoke(store *s, const char *id, const char *when, tr_err *e)
{
    return pgx(s, e, token_revoke_sql, "tt", when, id) < 0 ? -1 : 0;
}

static int org_key_insert(store *s, const store_org_key *k, tr_err *e)
{
    int64_t n = pgx(s, e, org_key_insert_sql, "tttt", k->id, k->public_key, k->created_at, k->org);
    if (n < 0) return -1;
    return n == 1 ? 0 : no_org(e, k->org, NULL);
}

static void read_org_key(const PGresult *r, int i, void *row)
{
    store_org_key *k = row;
    pgr_copy(k->id, sizeof k->id, r, i, 0);
    pgr_copy(k->org, sizeof k->org, r, i, 1);
    pgr_copy(k->public_key, sizeof k->public_key, r, i, 2);
    pgr_copy(k->created_at, sizeof k->created_at, r, i, 3);
}

static int org_key_list(store *s, const char *org, store_row_cb cb, void *cls, tr_err *e)
{
    store_org_key k;
    return pg_scan(s, pgq(s, e, org_key_list_sql, "t", org), read_org_key, &k, cb, cls, e);
}

const accounts_store_ops accounts_pg_ops = {
    .org_insert = org_insert,
    .org_get = org_get,
    .org_list = org_list,
    .org_actors_set = org_actors_set,
    .org_actors_list = org_actors_list,
    .org_has_actor = org_has_actor,
    .user_insert = user_insert,
    .user_get = user_get,
    .user_set_pwhash = user_set_pwhash,
    .user_list = user_list,
    .token_insert = token_insert,
    .token_get = token_get,
    .token_by_hash = token_by_hash,
    .token_revoke = token_revoke,
    .org_key_insert = org_key_insert,
    .org_key_list = org_key_list,
};
