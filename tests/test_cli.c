/* test_cli.c - the truce binary as a user meets it: commands, help, exit codes (0 done,
 * 1 failed, 2 usage), one-line errors, TRUCE_DB, and `serve` answering and stopping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "helpers.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[256], db[320];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "%s", th_tmpdir());
    snprintf(db, sizeof db, "%s/cli.db", dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    th_rmrf(dir);
    return 0;
}

static int lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* Runs truce; checks the exit code; for failures, that stderr is one line. */
static void expect(int code, const char *needle, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void expect(int code, const char *needle, const char *fmt, ...)
{
    char args[1024], *out, *err;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    int rc = th_truce(&out, &err, NULL, "%s", args);
    if (rc != code)
        fail_msg("truce %s: exit %d, expected %d\nstdout: %s\nstderr: %s", args, rc, code, out,
                 err);
    if (code != 0) {
        if (lines(err) != 1) fail_msg("truce %s: stderr is not one line: %s", args, err);
        assert_non_null(strstr(err, "truce: "));
    }
    if (needle && !strstr(out, needle) && !strstr(err, needle))
        fail_msg("truce %s: '%s' not in output\nstdout: %s\nstderr: %s", args, needle, out, err);
    free(out);
    free(err);
}

static void help_version_and_usage_errors(void **state)
{
    (void)state;
    expect(0, "truce 0.", "version");
    expect(0, "usage: truce COMMAND", "help");
    expect(0, "usage: truce serve", "help serve");
    expect(0, "usage: truce user add", "help user add");
    expect(0, "usage: truce token create", "token create --help");
    const char *cmds[] = {"serve",    "demo",      "init",         "org add",     "org list",
                          "user add", "user list", "token create", "token revoke"};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        expect(0, "usage:", "%s --help", cmds[i]);
    expect(2, "unknown command", "frobnicate");
    expect(2, "no command", "help frobnicate");
    expect(2, "needs a subcommand", "user");
    expect(2, "needs a subcommand", "user delete");
    expect(2, "missing --org", "user add --db '%s' --name x --password long-enough", db);
    expect(2, "unknown option '--colour'", "serve --colour");
    expect(2, "needs a value", "serve --db");
    expect(2, "--threads", "serve --threads lots");
    expect(2, "--max-upload", "serve --max-upload 0");
    expect(2, "--public-grid", "serve --public-grid 2");
    expect(2, "--public-grid", "serve --public-grid fine");
    expect(2, "--public-exports", "serve --public-exports -1");
    expect(2, "--public-exports", "serve --public-exports many");
    expect(2, "--outside-zones", "serve --outside-zones maybe");
    expect(2, "--evidence-quota", "serve --evidence-quota -5");
    expect(2, "--evidence-quota", "serve --evidence-quota lots");
    expect(2, "--public-grid", "demo --public-grid -0.5");
    expect(2, "--format must be", "export incidents --format kml");
    expect(0, "usage: truce import zones", "import zones --help");
    expect(2, "give the GeoJSON file", "import zones");
    expect(2, "--kind must be a slug", "import zones x.geojson --kind 'Buffer Zone'");
    expect(2, "--where takes PROPERTY=VALUE", "import zones x.geojson --where =Gaza");
    expect(1, "cannot read /nonexistent/z.geojson", "import zones /nonexistent/z.geojson");
    expect(2, "unexpected argument", "org list extra");
}

static void init_accounts_and_tokens(void **state)
{
    char *out, *err;
    (void)state;
    expect(1, "no database", "org list --db '%s'", db);
    expect(1, "no database", "serve --db '%s'", db);
    expect(0, NULL, "init --db '%s' --name 'Test deployment'", db);
    expect(1, "already exists", "init --db '%s'", db);
    /* The log key: beside the database, readable by its owner only, named by the origin. */
    {
        char key[400];
        struct stat sb;
        snprintf(key, sizeof key, "%s.key", db);
        assert_int_equal(stat(key, &sb), 0);
        assert_int_equal(sb.st_mode & 0777, 0600);
        char *vk;
        assert_int_equal(th_truce(&vk, NULL, NULL, "log key --db '%s'", db), 0);
        assert_memory_equal(vk, "Test-deployment+", 16);
        free(vk);
    }
    expect(0, NULL, "org add --db '%s' --slug un --name 'United Nations' --kind monitor", db);
    expect(1, "already exists", "org add --db '%s' --slug un --name UN --kind monitor", db);
    expect(1, "not an organization kind", "org add --db '%s' --slug x --name X --kind army", db);
    expect(0, NULL, "user add --db '%s' --org un --name monitor --password 'monitor-pw-1' --admin",
           db);
    expect(1, "does not exist", "user add --db '%s' --org nope --name m2 --password 'long-enough'",
           db);
    expect(1, "8 to 256 bytes", "user add --db '%s' --org un --name m3 --password short", db);
    /* The password from standard input. */
    assert_int_equal(th_truce(NULL, NULL, "from-stdin-pw\n",
                              "user add --db '%s' --org un --name m4 --password -", db),
                     0);

    /* TRUCE_DB stands in for --db. */
    char env[400];
    snprintf(env, sizeof env, "TRUCE_DB='%s'", db);
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s '%s' user list > '%s/list.txt'", env, getenv("TRUCE_BIN"), dir);
    assert_int_equal(system(cmd), 0);
    snprintf(cmd, sizeof cmd,
             "grep -q '^monitor .*admin' '%s/list.txt' && grep -q '^m4 ' "
             "'%s/list.txt'",
             dir, dir);
    assert_int_equal(system(cmd), 0);

    /* token create prints the token alone on stdout. */
    assert_int_equal(th_truce(&out, &err, NULL, "token create --db '%s' --user monitor", db), 0);
    assert_int_equal(strlen(out), 69);
    assert_memory_equal(out, "trc_", 4);
    assert_int_equal(out[68], '\n');
    for (int i = 4; i < 68; i++)
        assert_non_null(strchr("0123456789abcdef", out[i]));
    assert_non_null(strstr(err, "shown only this once"));
    free(out);
    free(err);
    expect(1, "does not exist", "token create --db '%s' --user ghost", db);

    /* Revoke it by its id, once. */
    char *token;
    assert_int_equal(th_truce(&token, NULL, NULL, "token create --db '%s' --user monitor", db), 0);
    char id[17];
    {
        /* The id is the first 16 hex digits of SHA-256(token). */
        unsigned char h[32];
        char hex[65];
        token[68] = 0;
        crypto_hash_sha256(h, (unsigned char *)token, 68);
        for (int i = 0; i < 32; i++)
            sprintf(hex + 2 * i, "%02x", h[i]);
        memcpy(id, hex, 16);
        id[16] = 0;
    }
    free(token);
    expect(0, "revoked", "token revoke --db '%s' --id %s", db, id);
    expect(1, "already revoked", "token revoke --db '%s' --id %s", db, id);
    expect(1, "no token", "token revoke --db '%s' --id 0123456789abcdef", db);
}

static void refuses_a_newer_database(void **state)
{
    char p[340];
    sqlite3 *h;
    (void)state;
    snprintf(p, sizeof p, "%s/newer.db", dir);
    expect(0, NULL, "init --db '%s'", p);
    sqlite3_open(p, &h);
    sqlite3_exec(h, "PRAGMA user_version = 42", NULL, NULL, NULL);
    sqlite3_close(h);
    expect(1, "newer than this truce", "org list --db '%s'", p);
}

static void demo_builds_refuses_to_overwrite_and_forces(void **state)
{
    char p[340];
    (void)state;
    snprintf(p, sizeof p, "%s/demo.db", dir);
    expect(0, "demo-usa", "demo --db '%s' --no-serve", p);
    expect(1, "--force", "demo --db '%s' --no-serve", p);
    expect(0, "11 organizations", "demo --db '%s' --no-serve --force", p);
    expect(1, "cannot read", "demo --db '%s' --no-serve --force --scenario '%s'", p, dir);
    /* A failed demo leaves no half-built database behind. */
    assert_int_not_equal(access(p, F_OK), 0);
}

static void serve_answers_and_stops_on_sigterm(void **state)
{
    char p[340], listen[64], url[96];
    int status;
    (void)state;
    snprintf(p, sizeof p, "%s/serve.db", dir);
    expect(0, NULL, "demo --db '%s' --no-serve", p);
    /* Port 0: the kernel picks one as the server binds, and the server says which. (A free
     * port found here first could be taken by another process's connection before the
     * server binds it.) */
    snprintf(listen, sizeof listen, "127.0.0.1:0");
    char errlog[400];
    snprintf(errlog, sizeof errlog, "%s/serve.err", dir);
    pid_t pid = fork();
    if (pid == 0) {
        freopen(errlog, "w", stderr);
        setenv("TRUCE_LISTEN", listen, 1);
        execl(getenv("TRUCE_BIN"), "truce", "serve", "--db", p, (char *)NULL);
        _exit(127);
    }
    th_resp r = {0};
    int up = 0;
    unsigned port = 0;
    for (int i = 0; i < 200 && !up; i++) {
        usleep(50000);
        if (!port) { /* "serving DB on 127.0.0.1:0 (port N); Ctrl-C stops" */
            char *log = th_slurp(errlog, NULL);
            const char *at = log ? strstr(log, "(port ") : NULL;
            if (at) sscanf(at, "(port %u)", &port);
            free(log);
            if (!port) continue;
            snprintf(url, sizeof url, "http://127.0.0.1:%u/healthz", port);
        }
        if (th_http("GET", url, NULL, NULL, 0, NULL, &r) == 0 && r.status == 200) up = 1;
        th_resp_free(&r);
    }
    assert_true(up);
    /* The server that answered is this one, still running. */
    assert_int_equal(waitpid(pid, &status, WNOHANG), 0);
    /* A second server on its port is refused, naming the address (the kernel would
     * otherwise split connections between the two). */
    {
        char needle[96], who[64];
        struct stat before, after;
        snprintf(needle, sizeof needle,
                 "cannot listen on 127.0.0.1:%u: the address is already "
                 "in use",
                 port);
        expect(1, needle, "serve --db '%s' --listen 127.0.0.1:%u", p, port);
        /* Recreating or rebuilding the database it serves is refused, naming it. */
        snprintf(who, sizeof who, "process %d (truce) has it open", (int)pid);
        assert_int_equal(stat(p, &before), 0);
        expect(1, who, "demo --force --no-serve --db '%s'", p);
        expect(1, who, "rebuild --db '%s'", p);
        assert_int_equal(stat(p, &after), 0);
        assert_true(before.st_ino == after.st_ino && before.st_size == after.st_size);
        assert_int_equal(th_http("GET", url, NULL, NULL, 0, NULL, &r), 0);
        assert_int_equal(r.status, 200);
        th_resp_free(&r);
    }
    kill(pid, SIGTERM);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        /* Say how it ended, with what it wrote (a rare failure seen once). */
        char line[512];
        FILE *f = fopen(errlog, "r");
        while (f && fgets(line, sizeof line, f))
            fprintf(stderr, "server: %s", line);
        if (f) fclose(f);
        fail_msg("the server %s %d after SIGTERM",
                 WIFEXITED(status) ? "exited with" : "was killed by signal",
                 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    }
    /* Listening somewhere impossible fails with exit 1. */
    expect(1, "cannot listen", "serve --db '%s' --listen 256.0.0.1:80", p);
    /* Once it has stopped, the database is free again. */
    expect(0, NULL, "rebuild --db '%s'", p);
    expect(0, NULL, "demo --force --no-serve --db '%s'", p);
}

/* `make install`'s step (meson install, staged with a DESTDIR): the installed binary builds
 * the demo from any directory, reading only what was installed beside it. */
static void an_installed_binary_needs_no_source_tree(void **state)
{
    char stage[300], cmd[1400], bin[400], out_db[400], builddir[512];
    (void)state;
    snprintf(stage, sizeof stage, "%s/stage", dir);
    snprintf(builddir, sizeof builddir, "%s", getenv("TRUCE_BIN"));
    *strrchr(builddir, '/') = 0;
    snprintf(cmd, sizeof cmd,
             "meson install -C '%s' --destdir '%s' --no-rebuild --quiet "
             ">/dev/null 2>&1",
             builddir, stage);
    assert_int_equal(system(cmd), 0);
    /* Wherever the prefix is, the binary is STAGE/PREFIX/bin/truce. */
    snprintf(cmd, sizeof cmd, "find '%s' -path '*/bin/truce' -type f", stage);
    FILE *f = popen(cmd, "r");
    assert_non_null(fgets(bin, sizeof bin, f));
    pclose(f);
    bin[strcspn(bin, "\n")] = 0;
    char bindir[400];
    snprintf(bindir, sizeof bindir, "%s", bin);
    *strrchr(bindir, '/') = 0;
    snprintf(cmd, sizeof cmd, "%s/../share/truce/scenarios/gaza-2025/scenario.json", bindir);
    struct stat sb;
    assert_int_equal(stat(cmd, &sb), 0);
    /* Run from an empty directory elsewhere, without the scenario named. */
    snprintf(out_db, sizeof out_db, "%s/elsewhere", dir);
    mkdir(out_db, 0700);
    snprintf(cmd, sizeof cmd,
             "cd '%s' && env -u TRUCE_SCENARIO '%s' demo --no-serve "
             "--db here.db >/dev/null 2>&1",
             out_db, bin);
    assert_int_equal(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "%s/here.db", out_db);
    assert_int_equal(stat(cmd, &sb), 0);
    /* The binary alone, with nothing installed beside it: a clear error naming where it
     * looked (unless a real installation sits at the configured prefix). */
    snprintf(cmd, sizeof cmd, "cp '%s' '%s/truce-alone'", bin, out_db);
    assert_int_equal(system(cmd), 0);
    snprintf(cmd, sizeof cmd,
             "cd '%s' && env -u TRUCE_SCENARIO ./truce-alone demo --no-serve "
             "--db alone.db 2>&1 >/dev/null",
             out_db);
    if (stat("/usr/local/share/truce/scenarios/gaza-2025/scenario.json", &sb) != 0) {
        char line[1024] = "";
        FILE *p = popen(cmd, "r");
        assert_non_null(fgets(line, sizeof line, p));
        assert_int_not_equal(pclose(p), 0);
        if (!strstr(line, "the demo scenario is not installed") || !strstr(line, "--scenario"))
            fail_msg("unclear error: %s", line);
    }
}

static void analyze_a_genius_domain(void **state)
{
    char dom[1024], *out, *err;
    json_t *j;
    (void)state;
    snprintf(dom, sizeof dom, "%s/negotiation/genius/y2010/EnglandZimbabwe", getenv("TRUCE_DATA"));
    assert_int_equal(th_truce(&out, &err, NULL, "analyze --json '%s'", dom), 0);
    j = json_loads(out, 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "outcomes")), "576");
    assert_string_equal(json_string_value(json_array_get(json_object_get(j, "parties"), 0)),
                        "England");
    assert_int_equal(json_array_size(json_object_get(j, "frontier")), 25);
    json_t *nash = json_object_get(json_object_get(j, "nash"), "utilities");
    assert_true(fabs(json_real_value(json_array_get(nash, 0)) - 0.911) < 0.001);
    assert_non_null(json_object_get(json_object_get(j, "kalai_smorodinsky"), "package"));
    json_decref(j);
    free(out);
    free(err);
    assert_int_equal(th_truce(&out, &err, NULL,
                              "analyze --json --proposal 'Size of Fund=$100 Billion;Impact on "
                              "Other Aid=No reduction;Zimbabwe Trade Policy=Zimbabwe will reduce "
                              "tariffs on imports;England Trade Policy=England will increase "
                              "imports;Forum on Other Health Issues=Creation of fund' '%s'",
                              dom),
                     0);
    j = json_loads(out, 0, NULL);
    json_t *p = json_object_get(j, "proposal");
    assert_true(json_is_false(json_object_get(p, "efficient")));
    assert_true(json_array_size(json_object_get(p, "dominated_by")) > 0);
    assert_true(json_is_number(json_object_get(p, "one_sidedness")));
    json_decref(j);
    free(out);
    free(err);
    expect(0, "Pareto frontier: 25 points", "analyze '%s'", dom);
    expect(1, "says nothing about", "analyze --proposal 'Size of Fund=$100 Billion' '%s'", dom);
    expect(1, "no issue 'Colour'", "analyze --proposal 'Colour=red' '%s'", dom);
    expect(1, "cannot read", "analyze /nonexistent/domain");
    expect(2, "give a domain", "analyze");
    expect(2, "--epsilon", "analyze --epsilon 7 '%s'", dom);
    expect(2, "--threshold", "analyze --threshold high '%s'", dom);
}

static void keys_sign_and_verify_agreements(void **state)
{
    char key[340], key2[340], doc[340], signed_doc[340], *pk, *pk2, *sig, *err;
    (void)state;
    snprintf(key, sizeof key, "%s/party.key", dir);
    snprintf(key2, sizeof key2, "%s/other.key", dir);
    snprintf(doc, sizeof doc, "%s/agreement.json", dir);
    snprintf(signed_doc, sizeof signed_doc, "%s/signed.json", dir);
    assert_int_equal(th_truce(&pk, NULL, NULL, "keygen --out '%s'", key), 0);
    pk[strcspn(pk, "\n")] = 0;
    struct stat sb;
    assert_int_equal(stat(key, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    expect(1, "cannot create", "keygen --out '%s'", key); /* never overwrites a key */
    assert_int_equal(th_truce(&pk2, NULL, NULL, "keygen --out '%s'", key2), 0);
    pk2[strcspn(pk2, "\n")] = 0;

    json_t *d = json_pack("{s:{s:s, s:[s, s], s:{s:s}}}", "agreement", "title",
                          "Ceasefire \xd9\x88\xd9\x82\xd9\x81", "parties", "israel", "hamas",
                          "terms", "Aid trucks per day", "600");
    json_dump_file(d, doc, JSON_INDENT(3));
    assert_int_equal(th_truce(&sig, NULL, NULL, "sign --key '%s' '%s'", key, doc), 0);
    sig[strcspn(sig, "\n")] = 0;
    assert_int_equal(strlen(sig), 88);
    json_t *sigs =
        json_pack("[{s:s, s:s, s:s}]", "org", "hamas", "public_key", pk, "signature", sig);
    json_object_set_new(d, "signatures", sigs);
    json_dump_file(d, signed_doc, JSON_SORT_KEYS); /* other layout, same agreement */
    expect(0, "valid: 1 signature", "agreement verify '%s'", signed_doc);
    /* A changed term breaks it, and says whose signature. */
    json_object_set_new(json_object_get(json_object_get(d, "agreement"), "terms"),
                        "Aid trucks per day", json_string("300"));
    json_dump_file(d, signed_doc, 0);
    assert_int_equal(th_truce(NULL, &err, NULL, "agreement verify '%s'", signed_doc), 1);
    assert_non_null(strstr(err, "hamas"));
    free(err);
    /* The right signature under another key fails too. */
    json_object_set_new(json_object_get(json_object_get(d, "agreement"), "terms"),
                        "Aid trucks per day", json_string("600"));
    json_object_set_new(json_array_get(json_object_get(d, "signatures"), 0), "public_key",
                        json_string(pk2));
    json_dump_file(d, signed_doc, 0);
    expect(1, "does not verify", "agreement verify '%s'", signed_doc);
    json_object_set_new(d, "signatures", json_array());
    json_dump_file(d, signed_doc, 0);
    expect(1, "no signatures", "agreement verify '%s'", signed_doc);
    expect(1, "not a truce organization key", "sign --key '%s' '%s'", doc, doc);
    expect(1, "cannot read", "sign --key '%s' '%s'", key, key2); /* not JSON */
    json_t *no_agreement = json_pack("{s:s}", "title", "draft");
    json_dump_file(no_agreement, signed_doc, 0);
    json_decref(no_agreement);
    expect(1, "no \"agreement\"", "sign --key '%s' '%s'", key, signed_doc);
    expect(2, "missing --key", "sign '%s'", doc);
    expect(2, "missing --out", "keygen");
    json_decref(d);
    free(pk);
    free(pk2);
    free(sig);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(help_version_and_usage_errors),
        cmocka_unit_test(init_accounts_and_tokens),
        cmocka_unit_test(refuses_a_newer_database),
        cmocka_unit_test(demo_builds_refuses_to_overwrite_and_forces),
        cmocka_unit_test(serve_answers_and_stops_on_sigterm),
        cmocka_unit_test(an_installed_binary_needs_no_source_tree),
        cmocka_unit_test(analyze_a_genius_domain),
        cmocka_unit_test(keys_sign_and_verify_agreements),
    };
    return cmocka_run_group_tests_name("cli", tests, setup, teardown);
}
