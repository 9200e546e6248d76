/* cmd_accounts.c - truce init, org, user and token: administration without a server.
 *
 * These commands open the database directly and write through the same services and
 * journal as the API, with the local operator ("cli") as the actor. They are safe to run
 * while a server serves the same database: SQLite serializes the writers. */
#include "cli/cli.h"
#include "accounts/store.h"

#include "accounts/accounts.h"
#include "json/jsx.h"
#include "scenario/scenario.h"
#include "store/pg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DB_OPT                                                                                     \
    {                                                                                              \
        "db", 1, "TRUCE_DB", "truce.db", NULL                                                      \
    }

/* Parses options; returns -1 to continue, or the exit code to return now. */
static int parse(const char *cmd, int argc, char **argv, cli_opt *opts)
{
    char *pos[1];
    int npos, help;
    int rc = cli_parse(cmd, argc, argv, opts, pos, 0, &npos, &help);
    if (rc != CLI_OK) return rc;
    if (help) {
        fputs(cli_help(cmd), stdout);
        return CLI_OK;
    }
    return -1;
}

static int need(const char *cmd, const cli_opt *opts, const char *name)
{
    if (cli_get(opts, name)) return 0;
    cli_usage_error(cmd, "missing --%s", name);
    return -1;
}

/* Opens the database; for writing, with its log key, so that commits sign checkpoints. */
static store *open_db(const cli_opt *opts, int write)
{
    tr_err e = TR_ERR_INIT;
    store *s = store_open(cli_get(opts, "db"), 0, &e);
    if (s && write && journal_load_key(s, cli_get(opts, "db"), &e)) {
        s->ops->close(s);
        s = NULL;
    }
    if (!s) {
        err_print(&e);
        err_clear(&e);
    }
    return s;
}

static int finish(store *s, tr_err *e, int rc)
{
    if (rc) {
        err_print(e);
        err_clear(e);
    }
    if (s) s->ops->close(s);
    return rc ? CLI_FAILED : CLI_OK;
}

int cmd_init(int argc, char **argv)
{
    cli_opt opts[] = {
        DB_OPT, {"name", 1, NULL, "truce", NULL}, {"origin", 1, NULL, NULL, NULL}, {0}};
    tr_err e = TR_ERR_INIT;
    struct stat sb;
    char origin[256], key[4096];
    store *s;
    int rc = parse("init", argc, argv, opts);
    if (rc >= 0) return rc;
    const char *db = cli_get(opts, "db");
    int pg = store_pg_is_uri(db), key_given = journal_key_named() != NULL, had_key;
    if (!pg && stat(db, &sb) == 0) {
        fprintf(stderr, "truce: %s already exists; choose another --db path\n", db);
        return CLI_FAILED;
    }
    if (journal_key_file(db, key, sizeof key, &e)) return finish(NULL, &e, -1);
    had_key = stat(key, &sb) == 0;
    if (had_key && !key_given) {
        fprintf(stderr,
                "truce: a log key %s already exists; move it away or choose another "
                "--db\n",
                key);
        return CLI_FAILED;
    }
    if (cli_get(opts, "origin"))
        snprintf(origin, sizeof origin, "%s", cli_get(opts, "origin"));
    else
        journal_origin_from(cli_get(opts, "name"), origin, sizeof origin);
    s = store_open(db, STORE_CREATE, &e);
    if (!s) return finish(NULL, &e, -1);
    store_stats st = {0};
    if (pg && (s->ops->stats(s, &st, &e) || st.journal_length > 0)) {
        if (!e.code[0])
            fprintf(stderr, "truce: %s already holds a truce log; choose another database\n", db);
        s->ops->close(s);
        return e.code[0] ? finish(NULL, &e, -1) : CLI_FAILED;
    }
    rc = journal_create_key(s, db, origin, &e);
    if (rc == 0) rc = scn_init_deployment(s, cli_get(opts, "name"), &e);
    if (rc == 0) {
        if (had_key)
            fprintf(stderr,
                    "truce: created %s, its log signed with the key %s; add an organization "
                    "with 'truce org add'\n",
                    db, key);
        else
            fprintf(stderr,
                    "truce: created %s and its log key %s (origin %s); add an organization "
                    "with 'truce org add'\n",
                    db, key, origin);
    } else {
        s->ops->close(s);
        s = NULL;
        if (!pg) unlink(db);
        if (!had_key && strcmp(e.code, "log.key_write") != 0) unlink(key);
    }
    return finish(s, &e, rc);
}

typedef struct org_cli {
    const char *slug, *name, *kind;
} org_cli;

static int org_add_fn(store *s, void *cls, tr_err *e)
{
    org_cli *o = cls;
    return acct_org_create(s, &journal_operator, o->slug, o->name, o->kind, e);
}

int cmd_org_add(int argc, char **argv)
{
    cli_opt opts[] = {DB_OPT,
                      {"slug", 1, NULL, NULL, NULL},
                      {"name", 1, NULL, NULL, NULL},
                      {"kind", 1, NULL, NULL, NULL},
                      {0}};
    tr_err e = TR_ERR_INIT;
    org_cli o;
    store *s;
    int rc = parse("org add", argc, argv, opts);
    if (rc >= 0) return rc;
    if (need("org add", opts, "slug") || need("org add", opts, "name") ||
        need("org add", opts, "kind"))
        return CLI_USAGE;
    if (!(s = open_db(opts, 1))) return CLI_FAILED;
    o.slug = cli_get(opts, "slug");
    o.name = cli_get(opts, "name");
    o.kind = cli_get(opts, "kind");
    return finish(s, &e, store_txn(s, org_add_fn, &o, &e));
}

static int print_org(void *cls, const void *row)
{
    const store_org *o = row;
    (void)cls;
    printf("%-20s %-13s %s\n", o->slug, o->kind, o->name);
    return 0;
}

int cmd_org_list(int argc, char **argv)
{
    cli_opt opts[] = {DB_OPT, {0}};
    tr_err e = TR_ERR_INIT;
    store *s;
    int rc = parse("org list", argc, argv, opts);
    if (rc >= 0) return rc;
    if (!(s = open_db(opts, 0))) return CLI_FAILED;
    return finish(s, &e, accounts_store(s)->org_list(s, print_org, NULL, &e));
}

static int user_add_fn(store *s, void *cls, tr_err *e)
{
    return acct_user_create(s, &journal_operator, cls, e);
}

int cmd_user_add(int argc, char **argv)
{
    cli_opt opts[] = {DB_OPT,
                      {"org", 1, NULL, NULL, NULL},
                      {"name", 1, NULL, NULL, NULL},
                      {"password", 1, NULL, NULL, NULL},
                      {"display", 1, NULL, "", NULL},
                      {"admin", 0, NULL, NULL, NULL},
                      {0}};
    tr_err e = TR_ERR_INIT;
    acct_user_new u;
    char line[300];
    const char *pw;
    store *s;
    int rc = parse("user add", argc, argv, opts);
    if (rc >= 0) return rc;
    if (need("user add", opts, "org") || need("user add", opts, "name") ||
        need("user add", opts, "password"))
        return CLI_USAGE;
    pw = cli_get(opts, "password");
    if (strcmp(pw, "-") == 0) {
        if (!fgets(line, sizeof line, stdin)) {
            fprintf(stderr, "truce: no password on standard input\n");
            return CLI_FAILED;
        }
        line[strcspn(line, "\r\n")] = 0;
        pw = line;
    }
    if (!(s = open_db(opts, 1))) return CLI_FAILED;
    if (acct_user_prepare(&u, cli_get(opts, "name"), cli_get(opts, "display"), cli_get(opts, "org"),
                          cli_get(opts, "admin") != NULL, pw, &e))
        return finish(s, &e, -1);
    return finish(s, &e, store_txn(s, user_add_fn, &u, &e));
}

static int print_user(void *cls, const void *row)
{
    const store_user *u = row;
    (void)cls;
    printf("%-20s %-20s %-13s %s%s\n", u->name, u->org, u->org_kind, u->admin ? "admin " : "",
           u->display);
    return 0;
}

int cmd_user_list(int argc, char **argv)
{
    cli_opt opts[] = {DB_OPT, {0}};
    tr_err e = TR_ERR_INIT;
    store *s;
    int rc = parse("user list", argc, argv, opts);
    if (rc >= 0) return rc;
    if (!(s = open_db(opts, 0))) return CLI_FAILED;
    return finish(s, &e, accounts_store(s)->user_list(s, print_user, NULL, &e));
}

static int token_create_fn(store *s, void *cls, tr_err *e)
{
    return acct_token_create(s, &journal_operator, cls, e);
}

int cmd_token_create(int argc, char **argv)
{
    cli_opt opts[] = {DB_OPT, {"user", 1, NULL, NULL, NULL}, {"label", 1, NULL, "cli", NULL}, {0}};
    tr_err e = TR_ERR_INIT;
    acct_token_new t;
    store *s;
    int rc = parse("token create", argc, argv, opts);
    if (rc >= 0) return rc;
    if (need("token create", opts, "user")) return CLI_USAGE;
    if (!(s = open_db(opts, 1))) return CLI_FAILED;
    acct_token_prepare(&t, cli_get(opts, "user"), cli_get(opts, "label"));
    rc = store_txn(s, token_create_fn, &t, &e);
    if (rc == 0) {
        printf("%s\n", t.token);
        fprintf(stderr, "truce: token %s for %s; it is shown only this once\n", t.id, t.user);
    }
    return finish(s, &e, rc);
}

static int token_revoke_fn(store *s, void *cls, tr_err *e)
{
    return acct_token_revoke(s, &journal_operator, NULL, cls, e);
}

int cmd_token_revoke(int argc, char **argv)
{
    cli_opt opts[] = {DB_OPT, {"id", 1, NULL, NULL, NULL}, {0}};
    tr_err e = TR_ERR_INIT;
    store *s;
    int rc = parse("token revoke", argc, argv, opts);
    if (rc >= 0) return rc;
    if (need("token revoke", opts, "id")) return CLI_USAGE;
    if (!(s = open_db(opts, 1))) return CLI_FAILED;
    rc = store_txn(s, token_revoke_fn, (void *)cli_get(opts, "id"), &e);
    if (rc == 0) fprintf(stderr, "truce: token %s revoked\n", cli_get(opts, "id"));
    return finish(s, &e, rc);
}
