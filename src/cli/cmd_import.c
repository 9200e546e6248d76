/* cmd_import.c - truce import acled: conflict events from an ACLED export. */
#include "cli/cli.h"
#include "monitor/store.h"

#include "core/buf.h"
#include "core/util.h"

#include "aid/import.h"
#include "journal/journal.h"
#include "json/jsx.h"
#include "monitor/acled.h"
#include "monitor/export.h"
#include "monitor/incidents.h"
#include "monitor/zones.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

/* A gzip-compressed export (events.csv.gz, as downloads often come) read as a stream:
 * zlib behind a FILE, so that the importer reads it like any file. rewind() (a retried
 * transaction) starts it again. */
static ssize_t gz_read(void *cls, char *to, size_t n)
{
    int got = gzread(cls, to, n > 1u << 30 ? 1u << 30 : (unsigned)n), err = Z_OK;
    if (got == 0) gzerror(cls, &err); /* the end, or a stream cut before its trailer */
    return got < 0 || err != Z_OK ? -1 : got;
}

static int gz_seek(void *cls, off64_t *at, int whence)
{
    if (*at != 0 || whence != SEEK_SET || gzrewind(cls) != 0) return -1;
    return 0;
}

static int gz_close(void *cls)
{
    return gzclose(cls) == Z_OK ? 0 : -1;
}

/* path, plain or gzip-compressed; *gz is zlib's handle for the second (for progress). */
static FILE *open_csv(const char *path, gzFile *gz)
{
    unsigned char magic[2];
    FILE *f = fopen(path, "rb");
    *gz = NULL;
    if (!f) return NULL;
    if (fread(magic, 1, 2, f) == 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
        fclose(f);
        cookie_io_functions_t io = {gz_read, NULL, gz_seek, gz_close};
        if (!(*gz = gzopen(path, "rb"))) return NULL;
        gzbuffer(*gz, 1 << 17);
        if (!(f = fopencookie(*gz, "rb", io))) gzclose(*gz);
        return f;
    }
    rewind(f);
    return f;
}

/* A progress bar on a terminal, nothing otherwise; through a compressed file by the
 * compressed bytes read (cls is zlib's handle then). */
static void bar(void *cls, int64_t rows, int64_t bytes, int64_t total)
{
    if (cls) bytes = gzoffset(cls);
    if (total <= 0) return;
    int width = 40, done = (int)(width * bytes / total);
    fprintf(stderr, "\rreading [%.*s%*s] %3d%% %lld rows", done,
            "########################################", width - done, "",
            (int)(100 * bytes / total), (long long)rows);
    if (bytes >= total) fputc('\n', stderr);
}

static const char *const statuses[] = {"verified", "reported", NULL};

int cmd_import_acled(int argc, char **argv)
{
    cli_opt opts[] = {{"db", 1, "TRUCE_DB", "truce.db", NULL},
                      {"status", 1, NULL, "verified", NULL},
                      {"outside-zones", 1, NULL, "warn", NULL},
                      {"private-journal", 0, NULL, NULL, NULL},
                      {0}};
    char *pos[1];
    int npos, help, rc = cli_parse("import acled", argc, argv, opts, pos, 1, &npos, &help), ok = 0;
    tr_err e = TR_ERR_INIT;
    acled_result res;
    struct stat sb;
    FILE *in;
    store *s;
    if (rc != CLI_OK) return rc;
    if (help) {
        fputs(cli_help("import acled"), stdout);
        return CLI_OK;
    }
    if (npos != 1) return cli_usage_error("import acled", "give the ACLED CSV file");
    for (int k = 0; statuses[k]; k++)
        ok |= strcmp(statuses[k], cli_get(opts, "status")) == 0;
    if (!ok) return cli_usage_error("import acled", "--status must be verified or reported");
    int refuse = strcmp(cli_get(opts, "outside-zones"), "refuse") == 0;
    if (!refuse && strcmp(cli_get(opts, "outside-zones"), "warn") != 0)
        return cli_usage_error("import acled", "--outside-zones must be warn or refuse");
    gzFile gz;
    if (!(in = open_csv(pos[0], &gz))) {
        fprintf(stderr, "truce: cannot read %s\n", pos[0]);
        return CLI_FAILED;
    }
    s = store_open(cli_get(opts, "db"), 0, &e);
    if (!s || journal_load_key(s, cli_get(opts, "db"), &e)) {
        if (s) s->ops->close(s);
        fclose(in);
        err_print(&e);
        err_clear(&e);
        return CLI_FAILED;
    }
    if (stat(pos[0], &sb) != 0) sb.st_size = 0;
    rc = acled_import(s, &journal_operator, in, (int64_t)sb.st_size, cli_get(opts, "status"),
                      (refuse ? ACLED_REFUSE_OUTSIDE : 0) |
                          (cli_get(opts, "private-journal") ? ACLED_PRIVATE_JOURNAL : 0),
                      isatty(STDERR_FILENO) ? bar : NULL, gz, &res, &e);
    fclose(in);
    s->ops->close(s);
    if (rc) {
        json_decref(res.rejects);
        err_print(&e);
        err_clear(&e);
        return CLI_FAILED;
    }
    size_t i;
    json_t *r;
    json_array_foreach(res.rejects, i, r)
        fprintf(stderr, "line %lld, column %s: %s\n",
                (long long)json_integer_value(json_object_get(r, "line")),
                json_string_value(json_object_get(r, "column")),
                json_string_value(json_object_get(r, "reason")));
    json_decref(res.rejects);
    if (res.outside_zones)
        fprintf(stderr,
                "warning: %lld imported events lie outside every zone of this deployment;"
                " check their coordinates, or add the zone they belong to\n",
                (long long)res.outside_zones);
    printf("imported %lld, rejected %lld\n", (long long)res.imported, (long long)res.rejected);
    return CLI_OK;
}

/* What became of each crossing or category name of the file, on stderr. */
static void print_names(const json_t *names, const char *kind)
{
    const char *name;
    json_t *v;
    json_object_foreach(json_object_get((json_t *)names, kind), name, v)
    {
        const char *to = json_string_value(json_object_get(v, "to"));
        long long rows = (long long)json_integer_value(json_object_get(v, "rows"));
        if (to)
            fprintf(stderr, "%s '%s' -> %s (%lld rows)\n", kind, name, to, rows);
        else
            fprintf(stderr,
                    "%s '%s' is not mapped: its %lld rows are counted without a %s "
                    "(map it with --map-%s '%s=...')\n",
                    kind, name, rows, kind, kind, name);
    }
}

int cmd_import_aid_counts(int argc, char **argv)
{
    cli_opt opts[] = {{"db", 1, "TRUCE_DB", "truce.db", NULL},
                      {"source", 1, NULL, NULL, NULL},
                      {"basis", 1, NULL, NULL, NULL},
                      {"date-column", 1, NULL, NULL, NULL},
                      {"value-column", 1, NULL, NULL, NULL},
                      {"count-rows", 0, NULL, NULL, NULL},
                      {"crossing-column", 1, NULL, NULL, NULL},
                      {"category-column", 1, NULL, NULL, NULL},
                      {"map-crossing", 1, NULL, NULL, NULL},
                      {"map-category", 1, NULL, NULL, NULL},
                      {0}};
    const char *cmd = "import aid-counts";
    char *pos[1];
    int npos, help, rc = cli_parse(cmd, argc, argv, opts, pos, 1, &npos, &help);
    tr_err e = TR_ERR_INIT;
    aid_import_result res;
    struct stat sb;
    gzFile gz;
    FILE *in;
    store *s;
    if (rc != CLI_OK) return rc;
    if (help) {
        fputs(cli_help(cmd), stdout);
        return CLI_OK;
    }
    if (npos != 1) return cli_usage_error(cmd, "give the CSV file");
    aid_import_spec spec = {.source = cli_get(opts, "source"),
                            .basis = cli_get(opts, "basis"),
                            .date_column = cli_get(opts, "date-column"),
                            .value_column = cli_get(opts, "value-column"),
                            .count_rows = cli_get(opts, "count-rows") != NULL,
                            .crossing_column = cli_get(opts, "crossing-column"),
                            .category_column = cli_get(opts, "category-column"),
                            .map_crossing = cli_get(opts, "map-crossing"),
                            .map_category = cli_get(opts, "map-category")};
    if (!spec.source) return cli_usage_error(cmd, "--source names who counted (e.g. unrwa)");
    if (!spec.basis) return cli_usage_error(cmd, "--basis says what (e.g. trucks_entered)");
    if (!spec.date_column) return cli_usage_error(cmd, "--date-column names the date's column");
    if (!spec.value_column == !spec.count_rows)
        return cli_usage_error(cmd, "give --value-column COL or --count-rows, one of them");
    if (!(in = open_csv(pos[0], &gz))) {
        fprintf(stderr, "truce: cannot read %s\n", pos[0]);
        return CLI_FAILED;
    }
    s = store_open(cli_get(opts, "db"), 0, &e);
    if (!s || journal_load_key(s, cli_get(opts, "db"), &e)) {
        if (s) s->ops->close(s);
        fclose(in);
        err_print(&e);
        err_clear(&e);
        return CLI_FAILED;
    }
    if (stat(pos[0], &sb) != 0) sb.st_size = 0;
    rc = aid_import_counts(s, &journal_operator, in, (int64_t)sb.st_size, &spec,
                           isatty(STDERR_FILENO) ? bar : NULL, gz, &res, &e);
    fclose(in);
    s->ops->close(s);
    size_t i;
    json_t *r;
    json_array_foreach(res.rejects, i, r) fprintf(
        stderr, "line %lld: %s\n", (long long)json_integer_value(json_object_get(r, "line")),
        json_string_value(json_object_get(r, "reason")));
    if (res.rejected > (int64_t)json_array_size(res.rejects))
        fprintf(stderr, "... and %lld more rejected rows\n",
                (long long)(res.rejected - (int64_t)json_array_size(res.rejects)));
    if (rc == 0) {
        print_names(res.names, "crossing");
        print_names(res.names, "category");
    }
    json_decref(res.rejects);
    json_decref(res.names);
    if (rc) {
        err_print(&e);
        err_clear(&e);
        return CLI_FAILED;
    }
    printf("imported %lld, rejected %lld: %lld daily counts of %s/%s, %lld new or changed\n",
           (long long)res.imported, (long long)res.rejected, (long long)res.counts, spec.source,
           spec.basis, (long long)res.changed);
    return CLI_OK;
}

int cmd_export_incidents(int argc, char **argv)
{
    cli_opt opts[] = {{"db", 1, "TRUCE_DB", "truce.db", NULL},
                      {"format", 1, NULL, "acled", NULL},
                      {"status", 1, NULL, NULL, NULL},
                      {"type", 1, NULL, NULL, NULL},
                      {"from", 1, NULL, NULL, NULL},
                      {"to", 1, NULL, NULL, NULL},
                      {"zone", 1, NULL, NULL, NULL},
                      {"actor", 1, NULL, NULL, NULL},
                      {"bbox", 1, NULL, NULL, NULL},
                      {"out", 1, NULL, NULL, NULL},
                      {0}};
    char *pos[1];
    int npos, help, rc = cli_parse("export incidents", argc, argv, opts, pos, 0, &npos, &help);
    tr_err e = TR_ERR_INIT;
    export_format fmt;
    int64_t count = 0;
    FILE *out = stdout;
    store *s;
    if (rc != CLI_OK) return rc;
    if (help) {
        fputs(cli_help("export incidents"), stdout);
        return CLI_OK;
    }
    const char *f = cli_get(opts, "format");
    if (strcmp(f, "acled") == 0)
        fmt = EXPORT_ACLED;
    else if (strcmp(f, "hxl") == 0)
        fmt = EXPORT_HXL;
    else if (strcmp(f, "geojson") == 0)
        fmt = EXPORT_GEOJSON;
    else if (strcmp(f, "geojson-summary") == 0)
        fmt = EXPORT_GEOJSON_SUMMARY;
    else
        return cli_usage_error("export incidents",
                               "--format must be acled, hxl, geojson or geojson-summary");
    store_incident_filter filter = {.status = cli_get(opts, "status"),
                                    .event_type = cli_get(opts, "type"),
                                    .date_from = cli_get(opts, "from"),
                                    .date_to = cli_get(opts, "to"),
                                    .zone = cli_get(opts, "zone"),
                                    .actor = cli_get(opts, "actor")};
    if (cli_get(opts, "bbox") && export_parse_bbox(cli_get(opts, "bbox"), &filter, &e)) {
        err_print(&e);
        err_clear(&e);
        return CLI_USAGE;
    }
    s = store_open(cli_get(opts, "db"), STORE_READONLY, &e);
    if (!s) {
        err_print(&e);
        err_clear(&e);
        return CLI_FAILED;
    }
    if (incident_filter_check(s, &filter, &e)) { /* a mistyped filter: not an empty file */
        err_print(&e);
        err_clear(&e);
        s->ops->close(s);
        return CLI_USAGE;
    }
    if (cli_get(opts, "out") && !(out = fopen(cli_get(opts, "out"), "w"))) {
        s->ops->close(s);
        fprintf(stderr, "truce: cannot write %s\n", cli_get(opts, "out"));
        return CLI_FAILED;
    }
    rc = export_incidents(s, &filter, fmt, 0, out, &count, &e);
    if (out != stdout) fclose(out);
    s->ops->close(s);
    if (rc) {
        err_print(&e);
        err_clear(&e);
        return CLI_FAILED;
    }
    fprintf(stderr, "truce: exported %lld incidents\n", (long long)count);
    return CLI_OK;
}

typedef struct zones_job {
    const json_t *collection;
    const zone_import_opts *opts;
    json_t *slugs;
} zones_job;

static int import_zones_txn(store *s, void *cls, tr_err *e)
{
    zones_job *j = cls;
    json_decref(j->slugs); /* store_txn may run this again after contention */
    return zone_import(s, &journal_operator, j->collection, j->opts, &j->slugs, e);
}

int cmd_import_zones(int argc, char **argv)
{
    cli_opt opts[] = {{"db", 1, "TRUCE_DB", "truce.db", NULL}, {"name", 1, NULL, "name", NULL},
                      {"slug", 1, NULL, NULL, NULL},           {"kind", 1, NULL, NULL, NULL},
                      {"where", 1, NULL, NULL, NULL},          {0}};
    char *pos[1], where[256];
    int npos, help, rc = cli_parse("import zones", argc, argv, opts, pos, 1, &npos, &help);
    tr_err e = TR_ERR_INIT;
    zone_import_opts o = {cli_get(opts, "name"), cli_get(opts, "slug"), cli_get(opts, "kind"), NULL,
                          NULL};
    if (rc != CLI_OK) return rc;
    if (help) {
        fputs(cli_help("import zones"), stdout);
        return CLI_OK;
    }
    if (npos != 1) return cli_usage_error("import zones", "give the GeoJSON file");
    if (o.kind && !util_is_slug(o.kind))
        return cli_usage_error("import zones", "--kind must be a slug, e.g. governorate");
    if (cli_get(opts, "where")) {
        char *eq;
        snprintf(where, sizeof where, "%s", cli_get(opts, "where"));
        if (!(eq = strchr(where, '=')) || eq == where)
            return cli_usage_error("import zones",
                                   "--where takes PROPERTY=VALUE, e.g. NAME_1=Gaza");
        *eq = 0;
        o.where_prop = where;
        o.where_value = eq + 1;
    }
    json_error_t je;
    if (access(pos[0], R_OK) != 0) {
        fprintf(stderr, "truce: cannot read %s\n", pos[0]);
        return CLI_FAILED;
    }
    json_t *fc = jsx_load_file(pos[0], &je);
    if (!fc) {
        fprintf(stderr, "truce: %s is not JSON: %s (line %d, column %d)\n", pos[0], je.text,
                je.line, je.column);
        return CLI_FAILED;
    }
    store *s = store_open(cli_get(opts, "db"), 0, &e);
    zones_job j = {fc, &o, NULL};
    if (!s || journal_load_key(s, cli_get(opts, "db"), &e) ||
        store_txn(s, import_zones_txn, &j, &e)) {
        if (s) s->ops->close(s);
        json_decref(fc);
        json_decref(j.slugs);
        err_print(&e);
        err_clear(&e);
        return CLI_FAILED;
    }
    s->ops->close(s);
    json_decref(fc);
    printf("imported %zu zone%s:", json_array_size(j.slugs),
           json_array_size(j.slugs) == 1 ? "" : "s");
    for (size_t i = 0; i < json_array_size(j.slugs); i++)
        printf(" %s", json_string_value(json_array_get(j.slugs, i)));
    putchar('\n');
    json_decref(j.slugs);
    return CLI_OK;
}
