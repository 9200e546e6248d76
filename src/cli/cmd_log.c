/* cmd_log.c - the log tools: truce log key|verify-inclusion|verify-consistency,
 * truce receipt verify, truce audit (a database, or a server from outside) and
 * truce rebuild.
 *
 * The verify commands are deliberately independent of any database: a party, a journalist
 * or another log's tooling can check proofs and receipts with nothing but the log's
 * public key. */
#include "cli/cli.h"
#include "comply/comply.h"

#include "core/buf.h"
#include "core/util.h"
#include "journal/audit.h"
#include "journal/journal.h"
#include "journal/note.h"

#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int parse(const char *cmd, int argc, char **argv, cli_opt *opts, char **pos, int max_pos,
                 int *npos)
{
    int help;
    int rc = cli_parse(cmd, argc, argv, opts, pos, max_pos, npos, &help);
    if (rc != CLI_OK) return rc;
    if (help) {
        fputs(cli_help(cmd), stdout);
        return CLI_OK;
    }
    return -1;
}

static int fail(tr_err *e)
{
    err_print(e);
    err_clear(e);
    return CLI_FAILED;
}

static int parse_i64(const char *cmd, const char *name, const char *v, int64_t *out)
{
    char *end;
    long long x;
    if (!v) return cli_usage_error(cmd, "missing --%s", name);
    errno = 0;
    x = strtoll(v, &end, 10);
    if (errno || *end || end == v || x < 0)
        return cli_usage_error(cmd, "--%s must be a non-negative integer", name);
    *out = x;
    return CLI_OK;
}

static int parse_hash(const char *cmd, const char *name, const char *v, merkle_hash out)
{
    if (!v) return cli_usage_error(cmd, "missing --%s", name);
    if (util_unhex(out, MERKLE_HASH_LEN, v))
        return cli_usage_error(cmd, "--%s must be 64 hex digits", name);
    return CLI_OK;
}

/* "HEX,HEX,..." (or empty) into proof. */
static int parse_proof(const char *cmd, const char *v, merkle_hash *proof, size_t *len)
{
    *len = 0;
    if (!v || !*v) return CLI_OK;
    for (const char *p = v;;) {
        char one[65];
        size_t n = strcspn(p, ",");
        if (n != 64 || *len == MERKLE_MAX_PROOF)
            return cli_usage_error(cmd, "--proof must be comma-separated 64-digit hex hashes");
        memcpy(one, p, 64);
        one[64] = 0;
        if (util_unhex(proof[*len], MERKLE_HASH_LEN, one))
            return cli_usage_error(cmd, "--proof must be comma-separated 64-digit hex hashes");
        (*len)++;
        p += n;
        if (!*p) break;
        p++;
    }
    return CLI_OK;
}

int cmd_log_verify_inclusion(int argc, char **argv)
{
    cli_opt opts[] = {{"index", 1, NULL, NULL, NULL},     {"size", 1, NULL, NULL, NULL},
                      {"leaf-hash", 1, NULL, NULL, NULL}, {"root", 1, NULL, NULL, NULL},
                      {"proof", 1, NULL, "", NULL},       {0}};
    const char *cmd = "log verify-inclusion";
    char *pos[1];
    int npos, rc = parse(cmd, argc, argv, opts, pos, 0, &npos);
    int64_t index, size;
    merkle_hash leaf, root, proof[MERKLE_MAX_PROOF];
    size_t len;
    if (rc >= 0) return rc;
    if ((rc = parse_i64(cmd, "index", cli_get(opts, "index"), &index)) ||
        (rc = parse_i64(cmd, "size", cli_get(opts, "size"), &size)) ||
        (rc = parse_hash(cmd, "leaf-hash", cli_get(opts, "leaf-hash"), leaf)) ||
        (rc = parse_hash(cmd, "root", cli_get(opts, "root"), root)) ||
        (rc = parse_proof(cmd, cli_get(opts, "proof"), proof, &len)))
        return rc;
    if (merkle_verify_inclusion(index, size, leaf, proof, len, root) == 0) {
        printf("valid: leaf %lld is in the tree of size %lld\n", (long long)index, (long long)size);
        return CLI_OK;
    }
    fprintf(stderr, "truce: invalid inclusion proof for leaf %lld in the tree of size %lld\n",
            (long long)index, (long long)size);
    return CLI_FAILED;
}

int cmd_log_verify_consistency(int argc, char **argv)
{
    cli_opt opts[] = {{"size1", 1, NULL, NULL, NULL}, {"size2", 1, NULL, NULL, NULL},
                      {"root1", 1, NULL, NULL, NULL}, {"root2", 1, NULL, NULL, NULL},
                      {"proof", 1, NULL, "", NULL},   {0}};
    const char *cmd = "log verify-consistency";
    char *pos[1];
    int npos, rc = parse(cmd, argc, argv, opts, pos, 0, &npos);
    int64_t s1, s2;
    merkle_hash r1, r2, proof[MERKLE_MAX_PROOF];
    size_t len;
    if (rc >= 0) return rc;
    if ((rc = parse_i64(cmd, "size1", cli_get(opts, "size1"), &s1)) ||
        (rc = parse_i64(cmd, "size2", cli_get(opts, "size2"), &s2)) ||
        (rc = parse_hash(cmd, "root1", cli_get(opts, "root1"), r1)) ||
        (rc = parse_hash(cmd, "root2", cli_get(opts, "root2"), r2)) ||
        (rc = parse_proof(cmd, cli_get(opts, "proof"), proof, &len)))
        return rc;
    if (merkle_verify_consistency(s1, s2, r1, r2, proof, len) == 0) {
        printf("valid: the tree of size %lld extends the tree of size %lld\n", (long long)s2,
               (long long)s1);
        return CLI_OK;
    }
    fprintf(stderr, "truce: invalid consistency proof from size %lld to size %lld\n", (long long)s1,
            (long long)s2);
    return CLI_FAILED;
}

int cmd_log_key(int argc, char **argv)
{
    cli_opt opts[] = {{"db", 1, "TRUCE_DB", "truce.db", NULL}, {0}};
    char *pos[1], path[4096];
    int npos, rc = parse("log key", argc, argv, opts, pos, 0, &npos);
    tr_err e = TR_ERR_INIT;
    note_signer k;
    buf b = BUF_INIT;
    if (rc >= 0) return rc;
    if (journal_key_file(cli_get(opts, "db"), path, sizeof path, &e) ||
        note_signer_load(&k, path, &e))
        return fail(&e);
    note_verifier_format(&k.v, &b);
    printf("%s\n", b.p);
    buf_free(&b);
    return CLI_OK;
}

/* A verifier key given on the command line, or the name of a file holding one. */
static int load_vkey(const char *arg, note_verifier *v, tr_err *e)
{
    char text[512];
    struct stat sb;
    if (note_verifier_parse(v, arg, e) == 0) return 0;
    if (stat(arg, &sb) != 0) return -1;
    err_clear(e);
    FILE *f = fopen(arg, "r");
    if (!f || !fgets(text, sizeof text, f)) {
        if (f) fclose(f);
        return err_set(e, 400, "log.bad_key", NULL, "cannot read a key from %s", arg);
    }
    fclose(f);
    return note_verifier_parse(v, text, e);
}

static int hash_field(const json_t *o, const char *key, merkle_hash out)
{
    const char *v = json_string_value(json_object_get(o, key));
    return v ? util_unhex(out, MERKLE_HASH_LEN, v) : -1;
}

int cmd_receipt_verify(int argc, char **argv)
{
    cli_opt opts[] = {{"key", 1, "TRUCE_LOG_KEY", NULL, NULL}, {0}};
    const char *cmd = "receipt verify";
    char *pos[1], *text = NULL, origin[NOTE_NAME_MAX];
    int npos, rc = parse(cmd, argc, argv, opts, pos, 1, &npos);
    tr_err e = TR_ERR_INIT;
    note_verifier v;
    json_t *doc, *rec;
    json_error_t je;
    merkle_hash leaf, root, proof[MERKLE_MAX_PROOF];
    int64_t size, index;
    size_t len = 0, i;
    const json_t *p;
    if (rc >= 0) return rc;
    if (npos != 1) return cli_usage_error(cmd, "give the receipt file");
    if (!cli_get(opts, "key")) return cli_usage_error(cmd, "missing --key");
    if (load_vkey(cli_get(opts, "key"), &v, &e)) return fail(&e);
    doc = json_load_file(pos[0], 0, &je);
    if (!doc) {
        fprintf(stderr, "truce: cannot read %s: %s\n", pos[0], je.text);
        return CLI_FAILED;
    }
    /* A whole API reply is accepted too: the receipt is its "receipt" member. */
    rec = json_object_get(doc, "receipt") ? json_object_get(doc, "receipt") : doc;
    if (!json_is_integer(json_object_get(rec, "index")) ||
        !json_is_string(json_object_get(rec, "checkpoint")) || hash_field(rec, "leaf_hash", leaf) ||
        !json_is_array(json_object_get(rec, "proof"))) {
        json_decref(doc);
        fprintf(stderr, "truce: %s is not a receipt (index, leaf_hash, proof, checkpoint)\n",
                pos[0]);
        return CLI_FAILED;
    }
    index = json_integer_value(json_object_get(rec, "index"));
    json_array_foreach(json_object_get(rec, "proof"), i, p)
    {
        const char *h = json_string_value(p);
        if (len == MERKLE_MAX_PROOF || !h || util_unhex(proof[len++], MERKLE_HASH_LEN, h)) {
            json_decref(doc);
            fprintf(stderr, "truce: the receipt's proof is malformed\n");
            return CLI_FAILED;
        }
    }
    if (note_verify(&v, json_string_value(json_object_get(rec, "checkpoint")), &text, &e) ||
        note_checkpoint_parse(text, origin, sizeof origin, &size, root, &e)) {
        json_decref(doc);
        free(text);
        return fail(&e);
    }
    free(text);
    if (json_is_string(json_object_get(rec, "entry"))) {
        merkle_hash h;
        merkle_leaf_hash(h, json_string_value(json_object_get(rec, "entry")),
                         json_string_length(json_object_get(rec, "entry")));
        if (memcmp(h, leaf, MERKLE_HASH_LEN) != 0) {
            json_decref(doc);
            fprintf(stderr, "truce: invalid receipt: the entry does not hash to the leaf hash\n");
            return CLI_FAILED;
        }
    }
    json_decref(doc);
    if (merkle_verify_inclusion(index, size, leaf, proof, len, root) != 0) {
        fprintf(stderr,
                "truce: invalid receipt: entry %lld is not proven in the checkpoint of "
                "size %lld\n",
                (long long)index, (long long)size);
        return CLI_FAILED;
    }
    printf("valid: entry %lld is in %s at size %lld, signed by %s\n", (long long)index, origin,
           (long long)size, v.name);
    return CLI_OK;
}

/* ---- audit of a database ------------------------------------------------------------ */

static int audit_local(const char *db, const char *vkey)
{
    tr_err e = TR_ERR_INIT;
    note_verifier v;
    audit_report rep;
    char hex[65];
    store *s;
    if (vkey) {
        if (load_vkey(vkey, &v, &e)) return fail(&e);
    } else {
        char path[4096];
        note_signer k;
        if (journal_key_file(db, path, sizeof path, &e) || note_signer_load(&k, path, &e))
            return fail(&e);
        v = k.v;
    }
    s = store_open(db, 0, &e);
    if (!s) return fail(&e);
    if (audit_db(s, &v, &rep, &e)) {
        s->ops->close(s);
        return fail(&e);
    }
    s->ops->close(s);
    if (!rep.ok) {
        fprintf(stderr, "truce: audit failed: %s\n", rep.problem);
        return CLI_FAILED;
    }
    util_hex(hex, rep.root, MERKLE_HASH_LEN);
    printf("ok: %lld entries, %lld checkpoints and %lld evidence files match; root %s\n",
           (long long)rep.entries, (long long)rep.checkpoints, (long long)rep.files, hex);
    return CLI_OK;
}

/* ---- audit of a server --------------------------------------------------------------- */

typedef struct fetched {
    char *p;
    size_t len;
} fetched;

static size_t sink(char *ptr, size_t size, size_t n, void *cls)
{
    fetched *f = cls;
    size_t add = size * n;
    f->p = realloc(f->p, f->len + add + 1);
    if (!f->p) abort();
    memcpy(f->p + f->len, ptr, add);
    f->len += add;
    f->p[f->len] = 0;
    return add;
}

static int get(const char *url, fetched *out, tr_err *e)
{
    CURL *c = curl_easy_init();
    long status = 0;
    CURLcode rc;
    memset(out, 0, sizeof *out);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    if (rc != CURLE_OK || status != 200) {
        free(out->p);
        out->p = NULL;
        if (rc != CURLE_OK)
            return err_set(e, 502, "audit.fetch", "check the URL and that the server is up",
                           "cannot fetch %s: %s", url, curl_easy_strerror(rc));
        return err_set(e, 502, "audit.fetch", NULL, "%s answered %ld", url, status);
    }
    if (!out->p) out->p = calloc(1, 1);
    return 0;
}

/* The state file: {"origin","size","root","frontier":[hex per level, "" where empty]}. */
static int state_load(const char *path, merkle_frontier *f, merkle_hash root, tr_err *e)
{
    json_error_t je;
    json_t *st = json_load_file(path, 0, &je), *fr;
    size_t i;
    memset(f, 0, sizeof *f);
    merkle_empty_root(root);
    if (!st) {
        if (errno == ENOENT || strstr(je.text, "unable to open")) return 0;
        return err_set(e, 400, "audit.bad_state", "remove the state file to start over",
                       "cannot read the state file %s: %s", path, je.text);
    }
    f->size = json_integer_value(json_object_get(st, "size"));
    fr = json_object_get(st, "frontier");
    if (hash_field(st, "root", root) || !json_is_array(fr) || f->size < 0) {
        json_decref(st);
        return err_set(e, 400, "audit.bad_state", "remove the state file to start over",
                       "the state file %s is damaged", path);
    }
    for (i = 0; i < json_array_size(fr) && i < 64; i++) {
        const char *h = json_string_value(json_array_get(fr, i));
        if (f->size >> i & 1) {
            if (!h || util_unhex(f->node[i], MERKLE_HASH_LEN, h)) {
                json_decref(st);
                return err_set(e, 400, "audit.bad_state", NULL, "the state file is damaged");
            }
        }
    }
    json_decref(st);
    return 0;
}

static int state_save(const char *path, const char *origin, const merkle_frontier *f,
                      const merkle_hash root, tr_err *e)
{
    char hex[65], tmp[4200];
    json_t *fr = json_array(), *st;
    for (int l = 0; l < 64 && (f->size >> l); l++) {
        if (f->size >> l & 1) {
            util_hex(hex, f->node[l], MERKLE_HASH_LEN);
            json_array_append_new(fr, json_string(hex));
        } else {
            json_array_append_new(fr, json_string(""));
        }
    }
    util_hex(hex, root, MERKLE_HASH_LEN);
    st = json_pack("{s:s, s:I, s:s, s:o}", "origin", origin, "size", (json_int_t)f->size, "root",
                   hex, "frontier", fr);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int rc = json_dump_file(st, tmp, JSON_INDENT(1)) == 0 && rename(tmp, path) == 0 ? 0 : -1;
    json_decref(st);
    if (rc) return err_set(e, 500, "audit.state_write", NULL, "cannot write %s", path);
    return 0;
}

static int audit_remote(const char *base, const char *vkey, const char *state_path)
{
    tr_err e = TR_ERR_INIT;
    note_verifier v;
    fetched f = {0};
    char url[2048], *text = NULL, origin[NOTE_NAME_MAX], h1[65], h2[65];
    int64_t size;
    merkle_hash root, old_root;
    merkle_frontier fr;
    if (load_vkey(vkey, &v, &e)) return fail(&e);
    if (state_path && state_load(state_path, &fr, old_root, &e)) return fail(&e);
    if (!state_path) {
        memset(&fr, 0, sizeof fr);
        merkle_empty_root(old_root);
    }
    snprintf(url, sizeof url, "%s/api/v1/log/checkpoint", base);
    if (get(url, &f, &e)) return fail(&e);
    if (note_verify(&v, f.p, &text, &e) ||
        note_checkpoint_parse(text, origin, sizeof origin, &size, root, &e)) {
        free(f.p);
        free(text);
        return fail(&e);
    }
    free(f.p);
    free(text);
    if (size < fr.size) {
        fprintf(stderr, "truce: audit failed: the log shrank from %lld to %lld entries\n",
                (long long)fr.size, (long long)size);
        return CLI_FAILED;
    }
    /* Consistency with what we saw last time. */
    if (fr.size > 0) {
        json_t *doc;
        merkle_hash proof[MERKLE_MAX_PROOF];
        size_t len = 0, i;
        const json_t *p;
        snprintf(url, sizeof url, "%s/api/v1/log/proof/consistency?from=%lld&to=%lld", base,
                 (long long)fr.size, (long long)size);
        if (get(url, &f, &e)) return fail(&e);
        doc = json_loads(f.p, 0, NULL);
        free(f.p);
        json_array_foreach(json_object_get(doc, "proof"), i, p)
        {
            if (len < MERKLE_MAX_PROOF && json_string_value(p))
                util_unhex(proof[len++], MERKLE_HASH_LEN, json_string_value(p));
        }
        json_decref(doc);
        if (merkle_verify_consistency(fr.size, size, old_root, root, proof, len) != 0) {
            util_hex(h1, old_root, MERKLE_HASH_LEN);
            util_hex(h2, root, MERKLE_HASH_LEN);
            fprintf(stderr,
                    "truce: audit failed: the checkpoint at size %lld (root %s) is not "
                    "consistent with the one seen before at size %lld (root %s)\n",
                    (long long)size, h2, (long long)fr.size, h1);
            return CLI_FAILED;
        }
    }
    /* Download what is new and recompute the root. */
    int64_t checked = 0, seen = fr.size;
    while (fr.size < size) {
        int64_t end = fr.size + 1000 < size ? fr.size + 1000 : size;
        json_t *doc;
        size_t i;
        const json_t *item;
        snprintf(url, sizeof url, "%s/api/v1/log/entries?start=%lld&end=%lld", base,
                 (long long)fr.size, (long long)end);
        if (get(url, &f, &e)) return fail(&e);
        doc = json_loads(f.p, 0, NULL);
        free(f.p);
        if (json_array_size(json_object_get(doc, "entries")) != (size_t)(end - fr.size)) {
            json_decref(doc);
            fprintf(stderr,
                    "truce: audit failed: the server sent a short page of entries at "
                    "%lld\n",
                    (long long)fr.size);
            return CLI_FAILED;
        }
        json_array_foreach(json_object_get(doc, "entries"), i, item)
        {
            merkle_hash leaf, out[64];
            size_t n;
            const json_t *entry = json_object_get(item, "entry");
            if (hash_field(item, "leaf_hash", leaf) ||
                json_integer_value(json_object_get(item, "index")) != fr.size) {
                json_decref(doc);
                fprintf(stderr, "truce: audit failed: entry %lld is malformed\n",
                        (long long)fr.size);
                return CLI_FAILED;
            }
            if (json_is_string(entry)) {
                merkle_hash h;
                merkle_leaf_hash(h, json_string_value(entry), json_string_length(entry));
                if (memcmp(h, leaf, MERKLE_HASH_LEN) != 0) {
                    util_hex(h1, h, MERKLE_HASH_LEN);
                    util_hex(h2, leaf, MERKLE_HASH_LEN);
                    json_decref(doc);
                    fprintf(stderr,
                            "truce: audit failed: entry %lld hashes to %s but the log "
                            "says %s\n",
                            (long long)fr.size, h1, h2);
                    return CLI_FAILED;
                }
                checked++;
            }
            merkle_frontier_push(&fr, leaf, out, &n);
        }
        json_decref(doc);
    }
    merkle_hash got;
    merkle_frontier_root(&fr, got);
    if (memcmp(got, root, MERKLE_HASH_LEN) != 0) {
        util_hex(h1, got, MERKLE_HASH_LEN);
        util_hex(h2, root, MERKLE_HASH_LEN);
        fprintf(stderr,
                "truce: audit failed: the %lld entries give root %s but the checkpoint "
                "says %s\n",
                (long long)size, h1, h2);
        return CLI_FAILED;
    }
    if (state_path && state_save(state_path, origin, &fr, root, &e)) return fail(&e);
    util_hex(h1, root, MERKLE_HASH_LEN);
    printf("ok: %s at size %lld, root %s; %lld new entries read, %lld of them in full\n", origin,
           (long long)size, h1, (long long)(size - seen), (long long)checked);
    return CLI_OK;
}

int cmd_audit(int argc, char **argv)
{
    cli_opt opts[] = {{"db", 1, NULL, NULL, NULL},
                      {"url", 1, NULL, NULL, NULL},
                      {"key", 1, "TRUCE_LOG_KEY", NULL, NULL},
                      {"state", 1, NULL, NULL, NULL},
                      {0}};
    char *pos[1];
    int npos, rc = parse("audit", argc, argv, opts, pos, 0, &npos);
    if (rc >= 0) return rc;
    if (cli_get(opts, "db") && cli_get(opts, "url"))
        return cli_usage_error("audit", "give --db or --url, not both");
    if (cli_get(opts, "db")) return audit_local(cli_get(opts, "db"), cli_get(opts, "key"));
    if (!cli_get(opts, "url")) return cli_usage_error("audit", "give --db PATH or --url URL");
    if (!cli_get(opts, "key")) return cli_usage_error("audit", "--url needs --key VKEY");
    curl_global_init(CURL_GLOBAL_DEFAULT);
    rc = audit_remote(cli_get(opts, "url"), cli_get(opts, "key"), cli_get(opts, "state"));
    curl_global_cleanup();
    return rc;
}

int cmd_rebuild(int argc, char **argv)
{
    cli_opt opts[] = {{"db", 1, "TRUCE_DB", "truce.db", NULL}, {0}};
    char *pos[1];
    int npos, rc = parse("rebuild", argc, argv, opts, pos, 0, &npos);
    tr_err e = TR_ERR_INIT;
    int64_t n = 0;
    store *s;
    if (rc >= 0) return rc;
    /* A server with the database open would go on answering from tables being recreated
     * under it. */
    if (store_sqlite_require_alone(cli_get(opts, "db"), "rebuild", &e)) return fail(&e);
    s = store_open(cli_get(opts, "db"), 0, &e);
    if (!s) return fail(&e);
    rc = audit_rebuild(s, &n, &e);
    s->ops->close(s);
    if (rc) return fail(&e);
    printf("rebuilt every table from %lld journal events\n", (long long)n);
    return CLI_OK;
}

int cmd_comply_settle(int argc, char **argv)
{
    cli_opt opts[] = {{"db", 1, "TRUCE_DB", "truce.db", NULL}, {"as-of", 1, NULL, NULL, NULL}, {0}};
    char *pos[1], today[11];
    int npos, help, n = 0, rc = cli_parse("comply settle", argc, argv, opts, pos, 0, &npos, &help);
    tr_err e = TR_ERR_INIT;
    if (rc != CLI_OK) return rc;
    if (help) {
        fputs(cli_help("comply settle"), stdout);
        return CLI_OK;
    }
    const char *as_of = cli_get(opts, "as-of");
    util_day_at(util_unix_s(), today);
    if (!as_of) as_of = today;
    if (!util_is_date(as_of) || strcmp(as_of, today) > 0)
        return cli_usage_error("comply settle", "--as-of is a day that has come, YYYY-MM-DD");
    store *s = store_open(cli_get(opts, "db"), 0, &e);
    if (!s || journal_load_key(s, cli_get(opts, "db"), &e) || comply_settle(s, as_of, &n, &e)) {
        if (s) s->ops->close(s);
        err_print(&e);
        err_clear(&e);
        return CLI_FAILED;
    }
    s->ops->close(s);
    printf("%d obligation%s changed state as of %s\n", n, n == 1 ? "" : "s", as_of);
    return CLI_OK;
}

int cmd_sitrep(int argc, char **argv)
{
    cli_opt opts[] = {{"db", 1, "TRUCE_DB", "truce.db", NULL},
                      {"date", 1, NULL, NULL, NULL},
                      {"lang", 1, NULL, "en", NULL},
                      {"json", 0, NULL, NULL, NULL},
                      {"out", 1, NULL, NULL, NULL},
                      {0}};
    char *pos[1], today[11];
    int npos, help, rc = cli_parse("sitrep", argc, argv, opts, pos, 0, &npos, &help);
    tr_err e = TR_ERR_INIT;
    if (rc != CLI_OK) return rc;
    if (help) {
        fputs(cli_help("sitrep"), stdout);
        return CLI_OK;
    }
    const char *date = cli_get(opts, "date"), *lang = cli_get(opts, "lang");
    util_day_at(util_unix_s(), today);
    if (!date) date = today;
    if (!util_is_date(date) || strcmp(date, today) > 0)
        return cli_usage_error("sitrep", "--date is a day that has come, YYYY-MM-DD");
    if (strcmp(lang, "en") && strcmp(lang, "ar") && strcmp(lang, "he"))
        return cli_usage_error("sitrep", "--lang is en, ar or he");
    store *s = store_open(cli_get(opts, "db"), STORE_READONLY, &e);
    json_t *rep = s ? comply_sitrep(s, date, &e) : NULL;
    if (s) s->ops->close(s);
    if (!rep) {
        err_print(&e);
        err_clear(&e);
        return CLI_FAILED;
    }
    buf b = BUF_INIT;
    if (cli_get(opts, "json")) {
        char *text = json_dumps(rep, JSON_INDENT(1));
        buf_puts(&b, text);
        buf_puts(&b, "\n");
        free(text);
    } else {
        comply_sitrep_html(rep, lang, &b);
    }
    json_decref(rep);
    FILE *out = cli_get(opts, "out") ? fopen(cli_get(opts, "out"), "wb") : stdout;
    if (!out || fwrite(b.p, 1, b.len, out) != b.len || (out != stdout && fclose(out) != 0)) {
        fprintf(stderr, "truce: cannot write %s\n", cli_get(opts, "out"));
        buf_free(&b);
        return CLI_FAILED;
    }
    buf_free(&b);
    return CLI_OK;
}
