/* test_accounts.c - organizations, users, passwords, tokens, and who may read which
 * journal events. Includes the confidentiality check that no password or token is ever
 * written to the database in the clear. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "helpers.h"
#include "accounts/store.h"

#include "accounts/accounts.h"
#include "core/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char dir[256], db[320];
static store *s;

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "%s", th_tmpdir());
    snprintf(db, sizeof db, "%s", th_db(dir, "a"));
    s = th_demo_db(db);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    s->ops->close(s);
    th_rmrf(dir);
    return 0;
}

typedef struct org_args {
    const char *slug, *name, *kind;
} org_args;

static int org_fn(store *st, void *cls, tr_err *e)
{
    org_args *a = cls;
    return acct_org_create(st, &journal_operator, a->slug, a->name, a->kind, e);
}

static const char *org_code(const char *slug, const char *name, const char *kind, char *field)
{
    static char code[48];
    tr_err e = TR_ERR_INIT;
    org_args a = {slug, name, kind};
    int64_t before = th_journal_len(db);
    field[0] = 0;
    if (store_txn(s, org_fn, &a, &e) == 0) return "";
    snprintf(code, sizeof code, "%s", e.code);
    if (json_object_get(e.detail, "field"))
        strcpy(field, json_string_value(json_object_get(e.detail, "field")));
    err_clear(&e);
    assert_int_equal(th_journal_len(db), before); /* A refused write changes nothing. */
    return code;
}

static void org_rules(void **state)
{
    char f[64];
    store_org o;
    tr_err e = TR_ERR_INIT;
    (void)state;
    assert_string_equal(org_code("Bad Slug", "X", "party", f), "request.invalid_field");
    assert_string_equal(f, "slug");
    assert_string_equal(org_code("ok", "", "party", f), "request.invalid_field");
    assert_string_equal(f, "name");
    assert_string_equal(org_code("ok", "X", "army", f), "request.invalid_field");
    assert_string_equal(f, "kind");
    assert_string_equal(org_code("israel", "Again", "party", f), "org.exists");
    assert_string_equal(
        org_code("icrc", "\xd8\xa7\xd9\x84\xd8\xb5\xd9\x84\xd9\x8a\xd8\xa8", "humanitarian", f),
        "");
    assert_int_equal(accounts_store(s)->org_get(s, "icrc", &o, &e), 1);
    assert_string_equal(o.kind, "humanitarian");
    assert_string_equal(o.name, "\xd8\xa7\xd9\x84\xd8\xb5\xd9\x84\xd9\x8a\xd8\xa8");
}

static int user_fn(store *st, void *cls, tr_err *e)
{
    return acct_user_create(st, &journal_operator, cls, e);
}

static void user_rules(void **state)
{
    tr_err e = TR_ERR_INIT;
    acct_user_new u;
    store_user out;
    int64_t before = th_journal_len(db);
    (void)state;
    assert_int_equal(acct_user_prepare(&u, "x", "", "un", 0, "short", &e), -1);
    assert_string_equal(json_string_value(json_object_get(e.detail, "field")), "password");
    err_clear(&e);
    assert_int_equal(acct_user_prepare(&u, "Not A Name", "", "un", 0, "long enough", &e), -1);
    assert_string_equal(json_string_value(json_object_get(e.detail, "field")), "name");
    err_clear(&e);

    assert_int_equal(acct_user_prepare(&u, "ghost", "", "nowhere", 0, "long enough", &e), 0);
    assert_int_equal(store_txn(s, user_fn, &u, &e), -1);
    assert_string_equal(e.code, "org.not_found");
    err_clear(&e);
    assert_int_equal(acct_user_prepare(&u, "usa", "", "usa", 0, "long enough", &e), 0);
    assert_int_equal(store_txn(s, user_fn, &u, &e), -1);
    assert_string_equal(e.code, "user.exists");
    err_clear(&e);
    assert_int_equal(th_journal_len(db), before);

    assert_int_equal(
        acct_user_prepare(&u, "monitor-2", "Second monitor", "un", 0, "correct horse battery", &e),
        0);
    assert_non_null(strstr(u.pwhash, "$argon2id$"));
    assert_int_equal(store_txn(s, user_fn, &u, &e), 0);
    assert_int_equal(accounts_store(s)->user_get(s, "monitor-2", &out, &e), 1);
    assert_string_equal(out.org_kind, "monitor");
    json_t *j = acct_user_json(&out);
    assert_null(json_object_get(j, "pwhash"));
    assert_string_equal(json_string_value(json_object_get(j, "org")), "un");
    json_decref(j);

    assert_int_equal(acct_check_password(s, "monitor-2", "correct horse battery", &out, &e), 0);
    assert_int_equal(acct_check_password(s, "monitor-2", "wrong horse battery", &out, &e), -1);
    assert_int_equal(e.status, 401);
    assert_string_equal(e.code, "auth.bad_credentials");
    err_clear(&e);
    assert_int_equal(acct_check_password(s, "nobody", "correct horse battery", &out, &e), -1);
    assert_string_equal(e.code, "auth.bad_credentials"); /* Same answer for unknown users. */
    err_clear(&e);
}

static int token_fn(store *st, void *cls, tr_err *e)
{
    return acct_token_create(st, &journal_operator, cls, e);
}

typedef struct revoke_args {
    const acct_caller *by;
    const char *id;
} revoke_args;

static int revoke_fn(store *st, void *cls, tr_err *e)
{
    revoke_args *a = cls;
    return acct_token_revoke(st, &journal_operator, a->by, a->id, e);
}

static void tokens_authenticate_and_revoke(void **state)
{
    tr_err e = TR_ERR_INIT;
    acct_token_new t, t2;
    acct_caller c, other;
    (void)state;
    acct_token_prepare(&t, "wfp", "test");
    assert_int_equal(strlen(t.token), ACCT_TOKEN_LEN);
    assert_memory_equal(t.token, "trc_", 4);
    assert_memory_equal(t.id, t.hash, 16);
    acct_token_prepare(&t2, "wfp", "test");
    assert_string_not_equal(t.token, t2.token);

    acct_token_prepare(&t2, "nobody", "x");
    assert_int_equal(store_txn(s, token_fn, &t2, &e), -1);
    assert_string_equal(e.code, "user.not_found");
    err_clear(&e);

    assert_int_equal(store_txn(s, token_fn, &t, &e), 0);
    assert_int_equal(acct_authenticate(s, t.token, &c, &e), 0);
    assert_true(c.signed_in);
    assert_string_equal(c.user, "wfp");
    assert_string_equal(c.org, "wfp");
    assert_string_equal(c.org_kind, "humanitarian");
    assert_false(c.admin);
    assert_string_equal(c.token_id, t.id);

    /* A token of the right shape but unknown, and garbage. */
    char forged[ACCT_TOKEN_LEN + 1];
    memcpy(forged, t.token, sizeof forged);
    forged[10] = forged[10] == 'a' ? 'b' : 'a';
    assert_int_equal(acct_authenticate(s, forged, &c, &e), -1);
    assert_string_equal(e.code, "auth.invalid_token");
    assert_false(c.signed_in);
    err_clear(&e);
    assert_int_equal(acct_authenticate(s, "Bearer nonsense", &c, &e), -1);
    assert_int_equal(e.status, 401);
    err_clear(&e);

    /* Someone else's token is invisible to a non-admin. */
    memset(&other, 0, sizeof other);
    other.signed_in = 1;
    strcpy(other.user, "erc");
    revoke_args ra = {&other, t.id};
    assert_int_equal(store_txn(s, revoke_fn, &ra, &e), -1);
    assert_string_equal(e.code, "token.not_found");
    err_clear(&e);
    assert_int_equal(acct_authenticate(s, t.token, &c, &e), 0);

    ra.by = NULL; /* The operator. */
    assert_int_equal(store_txn(s, revoke_fn, &ra, &e), 0);
    assert_int_equal(acct_authenticate(s, t.token, &c, &e), -1);
    assert_string_equal(e.code, "auth.revoked_token");
    err_clear(&e);
    assert_int_equal(store_txn(s, revoke_fn, &ra, &e), -1);
    assert_string_equal(e.code, "token.revoked");
    err_clear(&e);
}

static int contains(const char *hay, size_t n, const char *needle)
{
    size_t m = strlen(needle);
    for (size_t i = 0; i + m <= n; i++)
        if (memcmp(hay + i, needle, m) == 0) return 1;
    return 0;
}

static void secrets_never_reach_the_disk(void **state)
{
    tr_err e = TR_ERR_INIT;
    acct_token_new t;
    acct_user_new u;
    char wal[400];
    size_t n1, n2;
    (void)state;
    assert_int_equal(
        acct_user_prepare(&u, "secretive", "", "hamas", 0, "our-bottom-line-is-42", &e), 0);
    assert_int_equal(store_txn(s, user_fn, &u, &e), 0);
    acct_token_prepare(&t, "secretive", "x");
    assert_int_equal(store_txn(s, token_fn, &t, &e), 0);
    /* What is on the disk: the file and its write-ahead log, or all PostgreSQL keeps of the
     * database, as pg_dump writes it. */
    char *a, *b;
    if (th_postgres()) {
        a = th_shell("pg_dump -d '%s'", db);
        n1 = strlen(a);
        b = NULL;
        n2 = 0;
    } else {
        snprintf(wal, sizeof wal, "%s-wal", db);
        a = th_slurp(db, &n1);
        b = th_slurp(wal, &n2);
    }
    assert_true(n1 + n2 > 0);
    assert_false(contains(a, n1, "our-bottom-line-is-42") ||
                 contains(b, n2, "our-bottom-line-is-42"));
    assert_false(contains(a, n1, t.token + 4) || contains(b, n2, t.token + 4));
    /* The hash is there (that is how tokens are checked), so the test looks at the right
     * files. */
    assert_true(contains(a, n1, t.hash) || contains(b, n2, t.hash));
    free(a);
    free(b);
}

static void visibility_rules(void **state)
{
    journal_reader anon = {0, 0, NULL, NULL};
    journal_reader party = {1, 0, "israel", "party"};
    journal_reader other = {1, 0, "hamas", "party"};
    journal_reader mediator = {1, 0, "usa", "mediator"};
    journal_reader admin = {1, 1, "operator", "observer"};
    (void)state;
    assert_true(journal_visible("public", &anon));
    assert_false(journal_visible("members", &anon));
    assert_true(journal_visible("members", &party));
    assert_false(journal_visible("admin", &party));
    assert_true(journal_visible("admin", &admin));
    assert_true(journal_visible("org:israel", &party));
    assert_false(journal_visible("org:israel", &other));
    assert_false(journal_visible("org:israel", &admin)); /* Admins do not see party secrets. */
    assert_false(journal_visible("org:israel", &mediator));
    assert_true(journal_visible("org:israel kind:mediator", &mediator));
    assert_false(journal_visible("org:israel kind:mediator", &other));
    assert_false(journal_visible("org:isr", &party));
    assert_true(journal_visibility_valid("public"));
    assert_true(journal_visibility_valid("org:israel kind:mediator admin"));
    assert_false(journal_visibility_valid(""));
    assert_false(journal_visibility_valid("everyone"));
    assert_false(journal_visibility_valid("kind:army"));
    assert_false(journal_visibility_valid("org:Bad"));
    assert_false(journal_visibility_valid("public  admin"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(org_rules),
        cmocka_unit_test(user_rules),
        cmocka_unit_test(tokens_authenticate_and_revoke),
        cmocka_unit_test(secrets_never_reach_the_disk),
        cmocka_unit_test(visibility_rules),
    };
    return cmocka_run_group_tests_name("accounts", tests, setup, teardown);
}
