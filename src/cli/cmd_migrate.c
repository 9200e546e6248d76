/* cmd_migrate.c - truce migrate: moves a deployment from one database to another (a SQLite
 * file to PostgreSQL, as a deployment outgrows one machine) by replaying its journal, and
 * proves the result. The source is audited first; its events are appended to the target
 * unchanged (times, actors, salts), each projected as when it happened, in transactions of
 * a few thousand; its evidence files follow; its signed checkpoints are carried over as they
 * are, and the target is then audited against the same key: every checkpoint's root
 * recomputed from the target's own entries, so equal roots are proved, not assumed. */
#include "cli/cli.h"

#include "core/buf.h"
#include "journal/audit.h"
#include "journal/journal.h"
#include "journal/note.h"
#include "journal/project.h"
#include "monitor/store.h"
#include "store/pg.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CHUNK 5000 /* events a transaction of the target */

typedef struct mover {
    store *to;
    tr_err *e;
    int64_t n, total;
    int failed, progress;
} mover;

static void progress(mover *m)
{
    if (m->progress && (m->n % 20000 == 0 || m->n == m->total))
        fprintf(stderr, "\rtruce: %lld of %lld events", (long long)m->n, (long long)m->total);
}

static int move_event(void *cls, const void *row)
{
    mover *m = cls;
    store_event ev = *(const store_event *)row;
    int64_t want = ev.seq;
    json_t *body = json_loads(ev.body, 0, NULL);
    if (!body) {
        err_set(m->e, 500, "journal.bad_event", "run 'truce audit' on the source",
                "event %lld has a body that is not JSON", (long long)want);
        m->failed = 1;
        return 1;
    }
    if (journal_append_event(m->to, &ev, m->e) || project_apply(m->to, &ev, body, m->e))
        m->failed = 1;
    else if (ev.seq != want)
        m->failed =
            err_set(m->e, 500, "migrate.out_of_step", NULL, "event %lld became %lld in the target",
                    (long long)want, (long long)ev.seq) != 0;
    json_decref(body);
    m->n++;
    progress(m);
    return m->failed;
}

typedef struct chunk {
    store *from;
    mover *m;
    int64_t after;
} chunk;

static int chunk_fn(store *to, void *cls, tr_err *e)
{
    chunk *c = cls;
    (void)to;
    c->m->e = e;
    if (c->from->ops->journal_scan(c->from, c->after, CHUNK, move_event, c->m, e)) return -1;
    return c->m->failed ? -1 : 0;
}

static int move_blob(void *cls, const void *row)
{
    mover *m = cls;
    const store_blob *b = row;
    if (monitor_store(m->to)->blob_put(m->to, b->sha256, b->data, b->len, m->e)) m->failed = 1;
    return m->failed;
}

static int blobs_fn(store *to, void *cls, tr_err *e)
{
    chunk *c = cls;
    (void)to;
    c->m->e = e;
    if (monitor_store(c->from)->blob_scan(c->from, move_blob, c->m, e)) return -1;
    return c->m->failed ? -1 : 0;
}

static int move_checkpoint(void *cls, const void *row)
{
    mover *m = cls;
    const store_checkpoint *cp = row;
    if (m->to->ops->checkpoint_insert(m->to, cp->size, cp->root, cp->note, cp->time, m->e))
        m->failed = 1;
    return m->failed;
}

static int checkpoints_fn(store *to, void *cls, tr_err *e)
{
    chunk *c = cls;
    (void)to;
    c->m->e = e;
    if (c->from->ops->checkpoint_scan(c->from, move_checkpoint, c->m, e)) return -1;
    return c->m->failed ? -1 : 0;
}

/* The target's key: the source's, written where the target's commands will look for it
 * unless a key is there already, which must then be the same. */
static int target_key(const note_signer *k, const char *to, tr_err *e)
{
    char path[4096];
    struct stat sb;
    note_signer there;
    if (journal_key_file(to, path, sizeof path, e)) return -1;
    if (stat(path, &sb) != 0) return note_signer_save(k, path, e);
    if (note_signer_load(&there, path, e)) return -1;
    int same = sodium_memcmp(there.v.pk, k->v.pk, sizeof k->v.pk) == 0 &&
               strcmp(there.v.name, k->v.name) == 0;
    sodium_memzero(&there, sizeof there);
    if (!same)
        return err_set(e, 409, "migrate.other_key",
                       "move that key away, or point TRUCE_KEY_FILE at another file",
                       "%s holds another log's key; the migrated log keeps the source's", path);
    return 0;
}

static int migrate(const char *from, const char *from_key, const char *to, int show, tr_err *e)
{
    note_signer k;
    audit_report rep, again;
    store_stats st = {0}, tst = {0};
    store *src = NULL, *dst = NULL;
    int rc = -1;
    if (note_signer_load(&k, from_key, e)) return -1;
    if (!(src = store_open(from, STORE_READONLY, e))) goto out;
    /* Nothing damaged is carried over. */
    if (audit_db(src, &k.v, &rep, e)) goto out;
    if (!rep.ok) {
        err_set(e, 409, "migrate.source_fails_audit", "run 'truce audit' on the source",
                "the source does not pass its audit: %s", rep.problem);
        goto out;
    }
    if (src->ops->stats(src, &st, e)) goto out;
    if (store_sqlite_require_alone(to, "migrate into", e)) goto out;
    if (!(dst = store_open(to, STORE_CREATE, e))) goto out;
    if (dst->ops->stats(dst, &tst, e)) goto out;
    if (tst.journal_length > 0) {
        err_set(e, 409, "migrate.target_not_empty", "migrate into a new, empty database",
                "the target already holds %lld journal events", (long long)tst.journal_length);
        goto out;
    }
    if (target_key(&k, to, e) || journal_attach(dst, &k, e)) goto out;
    dst->before_commit = NULL; /* the source's checkpoints are carried over, not signed anew */
    mover m = {.to = dst, .total = st.journal_length, .progress = show};
    chunk c = {.from = src, .m = &m};
    for (c.after = 0; c.after < st.journal_length; c.after += CHUNK)
        if (store_txn(dst, chunk_fn, &c, e)) goto out;
    if (show && m.total) fputc('\n', stderr);
    if (store_txn(dst, blobs_fn, &c, e) || store_txn(dst, checkpoints_fn, &c, e)) goto out;
    /* The proof: the target, read back, passes the same audit to the same root. */
    if (audit_db(dst, &k.v, &again, e)) goto out;
    if (!again.ok || again.entries != rep.entries || again.checkpoints != rep.checkpoints ||
        memcmp(again.root, rep.root, sizeof rep.root) != 0) {
        err_set(e, 500, "migrate.unequal", "report this: the source is left as it was",
                "the target does not prove the source's log: %s",
                again.ok ? "another root" : again.problem);
        goto out;
    }
    char hex[2 * sizeof rep.root + 1];
    for (size_t i = 0; i < sizeof rep.root; i++)
        snprintf(hex + 2 * i, 3, "%02x", rep.root[i]);
    printf("migrated %lld events, %lld checkpoints and %lld evidence files; both logs have "
           "the root %s at size %lld\n",
           (long long)again.entries, (long long)again.checkpoints, (long long)again.files, hex,
           (long long)again.entries);
    rc = 0;
out:
    sodium_memzero(&k, sizeof k);
    if (src) src->ops->close(src);
    if (dst) dst->ops->close(dst);
    return rc;
}

int cmd_migrate(int argc, char **argv)
{
    cli_opt opts[] = {{"from", 1, NULL, NULL, NULL},
                      {"to", 1, NULL, NULL, NULL},
                      {"from-key", 1, NULL, NULL, NULL},
                      {"quiet", 0, NULL, NULL, NULL},
                      {0}};
    char *pos[1], key[4096];
    int npos, help, rc = cli_parse("migrate", argc, argv, opts, pos, 0, &npos, &help);
    tr_err e = TR_ERR_INIT;
    if (rc != CLI_OK) return rc;
    if (help) {
        fputs(cli_help("migrate"), stdout);
        return CLI_OK;
    }
    const char *from = cli_get(opts, "from"), *to = cli_get(opts, "to");
    if (!from || !to) return cli_usage_error("migrate", "give --from and --to");
    if (!strncmp(from, "sqlite:", 7)) from += 7;
    if (!strncmp(to, "sqlite:", 7)) to += 7;
    if (!*from || !*to) return cli_usage_error("migrate", "--from and --to name databases");
    if (!strcmp(from, to)) return cli_usage_error("migrate", "--from and --to are the same");
    if (cli_get(opts, "from-key"))
        snprintf(key, sizeof key, "%s", cli_get(opts, "from-key"));
    else if (store_pg_is_uri(from))
        return cli_usage_error("migrate", "--from on PostgreSQL needs --from-key FILE");
    else
        snprintf(key, sizeof key, "%s.key", from);
    if (migrate(from, key, to, !cli_get(opts, "quiet"), &e)) {
        err_print(&e);
        err_clear(&e);
        return CLI_FAILED;
    }
    return CLI_OK;
}
