/* store_sqlite.c - the accounts pillar's storage on SQLite (accounts/store.h), through the
 * store's connection (store/sqlite_pillar.h): organizations and their actors, users,
 * tokens, organizations' signing keys. */
#include "accounts/store.h"

#include "store/pg_pillar.h"
#include "store/sqlite_pillar.h"

#include <stdio.h>
#include <string.h>

#define USER_COLS "u.id, u.name, u.display, o.slug, o.kind, u.admin, u.pwhash, u.created_at"
static const char actors_drop_sql[] =
    "DELETE FROM org_actors WHERE org_id = (SELECT id FROM orgs WHERE slug = ?)";
static const char actor_put_sql[] =
    "INSERT INTO org_actors(org_id, actor) SELECT id, ? FROM orgs WHERE slug = ?";
static const char actors_list_sql[] =
    "SELECT actor FROM org_actors WHERE org_id = (SELECT id FROM orgs WHERE"
    " slug = ?) ORDER BY actor";
static const char actor_has_sql[] =
    "SELECT 1 FROM org_actors WHERE org_id = (SELECT id FROM orgs WHERE"
    " slug = ?) AND actor = ?";
static const char org_insert_sql[] =
    "INSERT INTO orgs(slug, name, kind, created_at) VALUES (?,?,?,?)";
static const char org_get_sql[] =
    "SELECT id, slug, name, kind, created_at FROM orgs WHERE slug = ?";
static const char org_list_sql[] =
    "SELECT id, slug, name, kind, created_at FROM orgs ORDER BY slug";
static const char user_pwhash_sql[] = "UPDATE users SET pwhash = ? WHERE name = ?";
static const char user_insert_sql[] =
    "INSERT INTO users(name, display, org_id, admin, pwhash, created_at)"
    " SELECT ?, ?, id, ?, ?, ? FROM orgs WHERE slug = ?";
static const char user_get_sql[] =
    "SELECT " USER_COLS " FROM users u JOIN orgs o ON o.id = u.org_id"
    " WHERE u.name = ?";
static const char user_list_sql[] =
    "SELECT " USER_COLS " FROM users u JOIN orgs o ON o.id = u.org_id"
    " ORDER BY u.name";
static const char token_insert_sql[] = "INSERT INTO tokens(id, hash, user_id, label, created_at)"
                                       " SELECT ?, ?, id, ?, ? FROM users WHERE name = ?";
static const char token_get_sql[] =
    "SELECT t.id, t.hash, u.name, t.label, t.created_at, t.revoked_at, o.slug,"
    " o.kind, u.admin FROM tokens t JOIN users u ON u.id = t.user_id"
    " JOIN orgs o ON o.id = u.org_id WHERE t.id = ?";
static const char token_by_hash_sql[] =
    "SELECT t.id, t.hash, u.name, t.label, t.created_at, t.revoked_at,"
    " o.slug, o.kind, u.admin FROM tokens t JOIN users u ON u.id = t.user_id"
    " JOIN orgs o ON o.id = u.org_id WHERE t.hash = ?";
static const char token_revoke_sql[] =
    "UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL";
static const char org_key_insert_sql[] = "INSERT INTO org_keys(id, org_id, public_key, created_at)"
                                         " SELECT ?, id, ?, ? FROM orgs WHERE slug = ?";
static const char org_key_list_sql[] =
    "SELECT k.id, o.slug, k.public_key, k.created_at FROM org_keys k"
    " JOIN orgs o ON o.id = k.org_id WHERE o.slug = ? ORDER BY k.created_at,"
    " k.id";

static void read_org(sqlite3_stmt *st, void *row)
{
    store_org *o = row;
    o->id = sqlite3_column_int64(st, 0);
    sq_col_copy(o->slug, sizeof o->slug, st, 1);
    sq_col_copy(o->name, sizeof o->name, st, 2);
    sq_col_copy(o->kind, sizeof o->kind, st, 3);
    sq_col_copy(o->created_at, sizeof o->created_at, st, 4);
}

static int org_insert(store *s, const store_org *o, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, org_insert_sql, e);
    if (!st) return -1;
    sq_bind_text(st, 1, o->slug);
    sq_bind_text(st, 2, o->name);
    sq_bind_text(st, 3, o->kind);
    sq_bind_text(st, 4, o->created_at);
    return sq_step_done(s, st, e);
}

static int org_get(store *s, const char *slug, store_org *out, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, org_get_sql, e);
    if (!st) return -1;
    sq_bind_text(st, 1, slug);
    return sq_row(s, st, read_org, out, e);
}

static int org_actors_set(store *s, const char *org, const char *const *actors, size_t n, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, actors_drop_sql, e);
    if (!st) return -1;
    sq_bind_text(st, 1, org);
    if (sq_step_done(s, st, e)) return -1;
    for (size_t i = 0; i < n; i++) {
        if (!(st = sq_stmt(s, actor_put_sql, e))) return -1;
        sq_bind_text(st, 1, actors[i]);
        sq_bind_text(st, 2, org);
        if (sq_step_done(s, st, e)) return -1;
        if (sq_changes(s) != 1)
            return err_set(e, 404, "org.not_found", NULL, "organization '%s' does not exist", org);
    }
    return 0;
}

static int org_actors_list(store *s, const char *org, store_row_cb cb, void *cls, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, actors_list_sql, e);
    int rc;
    if (!st) return -1;
    sq_bind_text(st, 1, org);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        if (cb(cls, sqlite3_column_text(st, 0))) {
            rc = SQLITE_DONE;
            break;
        }
    sq_done(st);
    return rc == SQLITE_DONE ? 0 : sq_fail(s, rc, e);
}

static int org_has_actor(store *s, const char *org, const char *actor, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, actor_has_sql, e);
    int found;
    if (!st) return -1;
    sq_bind_text(st, 1, org);
    sq_bind_text(st, 2, actor);
    if ((found = sq_step_one(s, st, e)) != 1) return found;
    sq_done(st);
    return 1;
}

static int org_list(store *s, store_row_cb cb, void *cls, tr_err *e)
{
    store_org o;
    return sq_scan(s, sq_stmt(s, org_list_sql, e), read_org, &o, cb, cls, e);
}

static void read_user(sqlite3_stmt *st, void *row)
{
    store_user *u = row;
    u->id = sqlite3_column_int64(st, 0);
    sq_col_copy(u->name, sizeof u->name, st, 1);
    sq_col_copy(u->display, sizeof u->display, st, 2);
    sq_col_copy(u->org, sizeof u->org, st, 3);
    sq_col_copy(u->org_kind, sizeof u->org_kind, st, 4);
    u->admin = sqlite3_column_int(st, 5);
    sq_col_copy(u->pwhash, sizeof u->pwhash, st, 6);
    sq_col_copy(u->created_at, sizeof u->created_at, st, 7);
}

static int user_insert(store *s, const store_user *u, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, user_insert_sql, e);
    if (!st) return -1;
    sq_bind_text(st, 1, u->name);
    sq_bind_text(st, 2, u->display);
    sqlite3_bind_int(st, 3, u->admin);
    sq_bind_text(st, 4, u->pwhash);
    sq_bind_text(st, 5, u->created_at);
    sq_bind_text(st, 6, u->org);
    if (sq_step_done(s, st, e)) return -1;
    if (sq_changes(s) != 1)
        return err_set(e, 404, "org.not_found", "create the organization first",
                       "organization '%s' does not exist", u->org);
    return 0;
}

static int user_set_pwhash(store *s, const char *name, const char *pwhash, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, user_pwhash_sql, e);
    if (!st) return -1;
    sq_bind_text(st, 1, pwhash);
    sq_bind_text(st, 2, name);
    if (sq_step_done(s, st, e)) return -1;
    if (sq_changes(s) != 1)
        return err_set(e, 404, "user.not_found", NULL, "user '%s' does not exist", name);
    return 0;
}

static int user_get(store *s, const char *name, store_user *out, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, user_get_sql, e);
    if (!st) return -1;
    sq_bind_text(st, 1, name);
    return sq_row(s, st, read_user, out, e);
}

static int user_list(store *s, store_row_cb cb, void *cls, tr_err *e)
{
    store_user u;
    return sq_scan(s, sq_stmt(s, user_list_sql, e), read_user, &u, cb, cls, e);
}

static void read_token(sqlite3_stmt *st, void *row)
{
    store_token *t = row;
    sq_col_copy(t->id, sizeof t->id, st, 0);
    sq_col_copy(t->hash, sizeof t->hash, st, 1);
    sq_col_copy(t->user, sizeof t->user, st, 2);
    sq_col_copy(t->label, sizeof t->label, st, 3);
    sq_col_copy(t->created_at, sizeof t->created_at, st, 4);
    sq_col_copy(t->revoked_at, sizeof t->revoked_at, st, 5);
    sq_col_copy(t->org, sizeof t->org, st, 6);
    sq_col_copy(t->org_kind, sizeof t->org_kind, st, 7);
    t->admin = sqlite3_column_int(st, 8);
}

static int token_insert(store *s, const store_token *t, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, token_insert_sql, e);
    if (!st) return -1;
    sq_bind_text(st, 1, t->id);
    sq_bind_text(st, 2, t->hash);
    sq_bind_text(st, 3, t->label);
    sq_bind_text(st, 4, t->created_at);
    sq_bind_text(st, 5, t->user);
    if (sq_step_done(s, st, e)) return -1;
    if (sq_changes(s) != 1)
        return err_set(e, 404, "user.not_found", "check the user name", "user '%s' does not exist",
                       t->user);
    return 0;
}

static int token_lookup(store *s, const char *sql_text, const char *key, store_token *out,
                        tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, sql_text, e);
    if (!st) return -1;
    sq_bind_text(st, 1, key);
    return sq_row(s, st, read_token, out, e);
}

static int token_get(store *s, const char *id, store_token *out, tr_err *e)
{
    return token_lookup(s, token_get_sql, id, out, e);
}

static int token_by_hash(store *s, const char *hash, store_token *out, tr_err *e)
{
    return token_lookup(s, token_by_hash_sql, hash, out, e);
}

static int token_revoke(store *s, const char *id, const char *when, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, token_revoke_sql, e);
    if (!st) return -1;
    sq_bind_text(st, 1, when);
    sq_bind_text(st, 2, id);
    return sq_step_done(s, st, e);
}

static int org_key_insert(store *s, const store_org_key *k, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, org_key_insert_sql, e);
    if (!st) return -1;
    sq_bind_text(st, 1, k->id);
    sq_bind_text(st, 2, k->public_key);
    sq_bind_text(st, 3, k->created_at);
    sq_bind_text(st, 4, k->org);
    if (sq_step_done(s, st, e)) return -1;
    if (sq_changes(s) != 1)
        return err_set(e, 404, "org.not_found", NULL, "organization '%s' does not exist", k->org);
    return 0;
}

static int org_key_list(store *s, const char *org, store_row_cb cb, void *cls, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, org_key_list_sql, e);
    int rc;
    if (!st) return -1;
    sq_bind_text(st, 1, org);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        store_org_key k;
        sq_col_copy(k.id, sizeof k.id, st, 0);
        sq_col_copy(k.org, sizeof k.org, st, 1);
        sq_col_copy(k.public_key, sizeof k.public_key, st, 2);
        sq_col_copy(k.created_at, sizeof k.created_at, st, 3);
        if (cb(cls, &k)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    sq_done(st);
    return rc == SQLITE_DONE ? 0 : sq_fail(s, rc, e);
}

static const accounts_store_ops sqlite_ops = {
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

const accounts_store_ops *accounts_store(const store *s)
{
    return sq_is(s) ? &sqlite_ops : pg_is(s) ? &accounts_pg_ops : NULL;
}
