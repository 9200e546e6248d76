/* cmd_serve.c - truce serve and truce demo. */
#include "cli/cli.h"

#include "core/buf.h"
#include "core/log.h"
#include "http/http.h"
#include "journal/journal.h"
#include "store/pg.h"
#include "scenario/scenario.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef TRUCE_DATADIR
#define TRUCE_DATADIR "/usr/local/share/truce"
#endif

#define DEMO_SCENARIO "scenarios/gaza-2025"

/* Where the demo scenario is, for a binary that may have been installed anywhere and run
 * from any directory: beside the binary (BINDIR/../share/truce, which also holds for a
 * DESTDIR staging or a moved tree), then the configured prefix; the binary of the build
 * directory falls back to the source tree. Returns 0 and the directory in out, or -1 and
 * the places looked at in out. */
static int demo_scenario(char *out, size_t cap)
{
    char exe[2048], tried[3][2200];
    int n = 0;
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    struct stat sb;
    if (len > 0) {
        exe[len] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) *slash = 0;
        if (snprintf(tried[n], sizeof tried[0], "%s/../share/truce/" DEMO_SCENARIO, exe) <
            (int)sizeof tried[0])
            n++;
    }
    snprintf(tried[n++], sizeof tried[0], "%s/" DEMO_SCENARIO, TRUCE_DATADIR);
#ifdef TRUCE_BUILD_ROOT
    {
        char here[PATH_MAX], root[PATH_MAX];
        if (len > 0 && realpath(exe, here) && realpath(TRUCE_BUILD_ROOT, root) &&
            strcmp(here, root) == 0)
            snprintf(tried[n++], sizeof tried[0], "%s", TRUCE_SOURCE_SCENARIO_DIR);
    }
#endif
    for (int i = 0; i < n; i++) {
        char file[2300];
        if (snprintf(file, sizeof file, "%s/scenario.json", tried[i]) >= (int)sizeof file) continue;
        if (stat(file, &sb) == 0) {
            snprintf(out, cap, "%s", tried[i]);
            return 0;
        }
    }
    snprintf(out, cap, "%s or %s", tried[0], tried[n > 1 ? 1 : 0]);
    return -1;
}

/* Serves until SIGINT or SIGTERM. Signals are blocked in every thread and taken here. */
static int serve_until_signal(const http_config *cfg, const char *banner_extra)
{
    tr_err e = TR_ERR_INIT;
    sigset_t set;
    int sig;
    http_server *srv;

    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    srv = http_start(cfg, &e);
    if (!srv) {
        err_print(&e);
        err_clear(&e);
        return CLI_FAILED;
    }
    log_info("serving %s on %s (port %u); Ctrl-C stops", cfg->db_path, cfg->listen,
             (unsigned)http_port(srv));
    if (banner_extra) fputs(banner_extra, stdout);
    fflush(stdout);
    sigwait(&set, &sig);
    log_info("stopping (signal %d)", sig);
    http_stop(srv);
    return CLI_OK;
}

static int parse_size(const char *s, size_t *out)
{
    char *end;
    unsigned long long v;
    if (!s) return 0;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || *end || end == s || v == 0) return -1;
    *out = (size_t)v;
    return 0;
}

/* --assets-dir must be a directory holding the shells web/build.mjs writes. */
static int assets_dir_check(const char *cmd, const char *dir)
{
    char shell[4096];
    struct stat sb;
    if (!dir) return 0;
    snprintf(shell, sizeof shell, "%s/shell.en.html", dir);
    if (stat(shell, &sb) == 0) return 0;
    cli_usage_error(cmd,
                    "--assets-dir %s holds no web app (no shell.en.html); give the directory "
                    "web/build.mjs writes, e.g. build/web",
                    dir);
    return -1;
}

/* Degrees from 0 (exact) to 1. */
static int parse_grid(const char *s, double *out)
{
    char *end;
    double v;
    if (!s) return 0;
    v = strtod(s, &end);
    if (*end || end == s || !(v >= 0 && v <= 1)) return -1;
    *out = v;
    return 0;
}

int cmd_serve(int argc, char **argv)
{
    cli_opt opts[] = {{"db", 1, "TRUCE_DB", "truce.db", NULL},
                      {"read-db", 1, "TRUCE_READ_DB", NULL, NULL},
                      {"listen", 1, "TRUCE_LISTEN", "127.0.0.1:8080", NULL},
                      {"threads", 1, NULL, NULL, NULL},
                      {"max-body", 1, NULL, NULL, NULL},
                      {"max-upload", 1, NULL, NULL, NULL},
                      {"public-grid", 1, "TRUCE_PUBLIC_GRID", NULL, NULL},
                      {"public-exports", 1, NULL, NULL, NULL},
                      {"outside-zones", 1, "TRUCE_OUTSIDE_ZONES", "warn", NULL},
                      {"evidence-quota", 1, NULL, NULL, NULL},
                      {"no-access-log", 0, NULL, NULL, NULL},
                      {"assets-dir", 1, "TRUCE_ASSETS_DIR", NULL, NULL},
                      {0}};
    char *pos[1];
    int npos, help;
    size_t threads = 0;
    struct stat sb;
    http_config cfg = {0};
    int rc = cli_parse("serve", argc, argv, opts, pos, 0, &npos, &help);
    if (rc != CLI_OK) return rc;
    if (help) {
        fputs(cli_help("serve"), stdout);
        return CLI_OK;
    }
    cfg.db_path = cli_get(opts, "db");
    cfg.read_db = cli_get(opts, "read-db");
    if (cfg.read_db && (!store_pg_is_uri(cfg.read_db) || !store_pg_is_uri(cfg.db_path)))
        return cli_usage_error("serve", "--read-db names a PostgreSQL replica of a PostgreSQL "
                                        "--db");
    cfg.listen = cli_get(opts, "listen");
    if (assets_dir_check("serve", cfg.assets_dir = cli_get(opts, "assets-dir"))) return CLI_USAGE;
    if (parse_size(cli_get(opts, "threads"), &threads) || threads > 256)
        return cli_usage_error("serve", "--threads must be a number from 1 to 256");
    cfg.threads = (unsigned)threads;
    if (parse_size(cli_get(opts, "max-body"), &cfg.max_body))
        return cli_usage_error("serve", "--max-body must be a positive number of bytes");
    if (parse_size(cli_get(opts, "max-upload"), &cfg.max_upload))
        return cli_usage_error("serve", "--max-upload must be a positive number of bytes");
    if (parse_grid(cli_get(opts, "public-grid"), &cfg.public_grid))
        return cli_usage_error("serve", "--public-grid must be degrees from 0 to 1, e.g. 0.01");
    if (cli_get(opts, "public-exports")) {
        char *end;
        long n = strtol(cli_get(opts, "public-exports"), &end, 10);
        if (*end || n < 0 || n > 1000)
            return cli_usage_error("serve", "--public-exports must be a number from 0 to 1000");
        cfg.public_heavy = n == 0 ? -1 : (int)n;
    }
    const char *outside = cli_get(opts, "outside-zones");
    if (strcmp(outside, "warn") != 0 && strcmp(outside, "refuse") != 0)
        return cli_usage_error("serve", "--outside-zones must be warn or refuse");
    cfg.refuse_outside_zones = strcmp(outside, "refuse") == 0;
    if (cli_get(opts, "evidence-quota")) {
        char *end;
        long long mib = strtoll(cli_get(opts, "evidence-quota"), &end, 10);
        if (*end || end == cli_get(opts, "evidence-quota") || mib < 0 || mib > (1LL << 30))
            return cli_usage_error("serve", "--evidence-quota must be MiB a day, 0 for no limit");
        cfg.evidence_quota = mib == 0 ? -1 : mib << 20;
    }
    if (cli_get(opts, "no-access-log")) log_set_access(0);
    if (!store_pg_is_uri(cfg.db_path) && stat(cfg.db_path, &sb) != 0) {
        fprintf(stderr,
                "truce: no database at %s; create one with 'truce init' or 'truce "
                "demo'\n",
                cfg.db_path);
        return CLI_FAILED;
    }
    return serve_until_signal(&cfg, NULL);
}

static void remove_db(const char *path)
{
    char side[4096];
    if (store_pg_is_uri(path)) return; /* nothing of it is a file here */
    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
    journal_key_path(path, side, sizeof side);
    unlink(side);
}

int cmd_demo(int argc, char **argv)
{
    cli_opt opts[] = {{"db", 1, "TRUCE_DB", "truce.db", NULL},
                      {"listen", 1, "TRUCE_LISTEN", "127.0.0.1:8080", NULL},
                      {"force", 0, NULL, NULL, NULL},
                      {"scenario", 1, "TRUCE_SCENARIO", NULL, NULL},
                      {"no-serve", 0, NULL, NULL, NULL},
                      {"public-grid", 1, "TRUCE_PUBLIC_GRID", "0.01", NULL},
                      {"no-access-log", 0, NULL, NULL, NULL},
                      {"data", 1, NULL, NULL, NULL},
                      {"assets-dir", 1, "TRUCE_ASSETS_DIR", NULL, NULL},
                      {0}};
    char *pos[1];
    int npos, help;
    tr_err e = TR_ERR_INIT;
    struct stat sb;
    scn_summary sum = {0};
    json_t *counts = NULL;
    store *s;
    const char *db;
    int rc = cli_parse("demo", argc, argv, opts, pos, 0, &npos, &help);
    if (rc != CLI_OK) return rc;
    if (help) {
        fputs(cli_help("demo"), stdout);
        return CLI_OK;
    }
    double grid = 0;
    if (assets_dir_check("demo", cli_get(opts, "assets-dir"))) return CLI_USAGE;
    if (parse_grid(cli_get(opts, "public-grid"), &grid))
        return cli_usage_error("demo", "--public-grid must be degrees from 0 to 1, e.g. 0.01");
    char scenario[8500];
    if (cli_get(opts, "scenario")) {
        snprintf(scenario, sizeof scenario, "%s", cli_get(opts, "scenario"));
    } else if (demo_scenario(scenario, sizeof scenario)) {
        fprintf(stderr,
                "truce: the demo scenario is not installed (looked in %s); reinstall "
                "truce with 'make install', or pass --scenario DIR\n",
                scenario);
        return CLI_FAILED;
    }
    db = cli_get(opts, "db");
    if (stat(db, &sb) == 0) {
        if (!cli_get(opts, "force")) {
            fprintf(stderr,
                    "truce: %s already exists; pass --force to replace it with a fresh "
                    "demo, or choose another --db\n",
                    db);
            return CLI_FAILED;
        }
        /* Deleting the file under a live server would leave it serving a deleted inode. */
        if (store_sqlite_require_alone(db, "replace", &e)) {
            err_print(&e);
            err_clear(&e);
            return CLI_FAILED;
        }
        remove_db(db);
    }
    s = store_open(db, STORE_CREATE, &e);
    if (s && store_pg_is_uri(db)) { /* a demo starts a record: never on top of one */
        store_stats st;
        if (s->ops->stats(s, &st, &e) == 0 && st.journal_length > 0)
            err_set(&e, 409, "store.in_use",
                    "create an empty database for the demo (createdb), or choose another --db",
                    "the database already holds a truce record of %lld events",
                    (long long)st.journal_length);
        if (e.status) {
            err_print(&e);
            err_clear(&e);
            s->ops->close(s);
            return CLI_FAILED;
        }
    }
    if (!s || journal_create_key(s, db, "truce.demo/gaza-2025", &e) ||
        scn_init_deployment(s, "truce demo", &e) || scn_load(s, scenario, 0, &sum, &e) ||
        (cli_get(opts, "data") &&
         scn_load_counts(s, scenario, cli_get(opts, "data"), &counts, &e))) {
        err_print(&e);
        err_clear(&e);
        json_decref(counts);
        if (s) s->ops->close(s);
        remove_db(db);
        return CLI_FAILED;
    }
    s->ops->close(s);

    /* The banner: where to go and how to sign in. */
    buf b = BUF_INIT;
    const char *listen = cli_get(opts, "listen");
    size_t i;
    json_t *l;
    buf_printf(&b,
               "\ntruce demo: %d organizations, %d users, %d crossings, %d zones, "
               "%d negotiation%s, %d sample monitoring records, %d sample aid requests in %s\n\n",
               sum.orgs, sum.users, sum.crossings, sum.zones, sum.negotiations,
               sum.negotiations == 1 ? "" : "s", sum.samples, sum.aid_samples, db);
    json_array_foreach(counts, i, l)
    {
        if (json_is_true(json_object_get(l, "missing")))
            buf_printf(&b, "  real data: %s not found, skipped\n",
                       json_string_value(json_object_get(l, "file")));
        else if (!strcmp(json_string_value(json_object_get(l, "source")), "acled"))
            buf_printf(&b, "  real conflict events: %lld ACLED events (%lld rejected)\n",
                       (long long)json_integer_value(json_object_get(l, "imported")),
                       (long long)json_integer_value(json_object_get(l, "rejected")));
        else
            buf_printf(&b,
                       "  real aid counts: %s/%s, %lld rows in %lld daily counts (%lld rejected)\n",
                       json_string_value(json_object_get(l, "source")),
                       json_string_value(json_object_get(l, "basis")),
                       (long long)json_integer_value(json_object_get(l, "imported")),
                       (long long)json_integer_value(json_object_get(l, "days")),
                       (long long)json_integer_value(json_object_get(l, "rejected")));
    }
    if (json_array_size(counts))
        buf_printf(&b,
                   "  the sources side by side, day by day:\n"
                   "    curl -s 'http://%s/api/v1/aid/reconciliation?from=2024-04-01&to=2024-04-30"
                   "&basis=trucks_entered'\n\n",
                   listen);
    json_decref(counts);
    buf_printf(&b,
               "  open:    http://%s/  (the public record; /report files a report, offline "
               "too)\n  API:     http://%s/api/v1\n  health:  http://%s/healthz\n\n",
               listen, listen, listen);
    buf_printf(&b, "  demo logins (user / password):\n");
    json_array_foreach(sum.logins, i, l)
    {
        buf_printf(&b, "    %-8s %-18s %s%s\n", json_string_value(json_object_get(l, "user")),
                   json_string_value(json_object_get(l, "password")),
                   json_string_value(json_object_get(l, "org")),
                   json_is_true(json_object_get(l, "admin")) ? " (administrator)" : "");
    }
    buf_printf(
        &b,
        "\n  try:\n"
        "    TOKEN=$(curl -s http://%s/api/v1/login -H 'Content-Type: application/json' \\\n"
        "      -d '{\"user\":\"usa\",\"password\":\"demo-usa\"}' | sed "
        "'s/.*\"token\":\"\\([^\"]*\\)\".*/\\1/')\n"
        "    curl -s http://%s/api/v1/me -H \"Authorization: Bearer $TOKEN\"\n"
        "    curl -s http://%s/api/v1/negotiations/1/texts/3 -H \"Authorization: Bearer $TOKEN\"\n"
        "    curl -s http://%s/api/v1/agreements/1 -H \"Authorization: Bearer $TOKEN\"\n"
        "    curl -s http://%s/api/v1/incidents -H \"Authorization: Bearer $TOKEN\"\n"
        "    curl -s http://%s/api/v1/incidents/stats\n\n",
        listen, listen, listen, listen, listen, listen);
    json_decref(sum.logins);
    if (cli_get(opts, "no-serve")) {
        fputs(b.p, stdout);
        buf_free(&b);
        return CLI_OK;
    }
    if (cli_get(opts, "no-access-log")) log_set_access(0);
    http_config cfg = {.db_path = db,
                       .listen = listen,
                       .public_grid = grid,
                       .assets_dir = cli_get(opts, "assets-dir")};
    rc = serve_until_signal(&cfg, b.p);
    buf_free(&b);
    return rc;
}
