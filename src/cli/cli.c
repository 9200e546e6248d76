/* cli.c - option parsing and help texts; see cli.h. */
#include "cli/cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fputs("truce: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "; run 'truce help %s' for usage\n", cmd);
    return CLI_USAGE;
}

int cli_parse(const char *cmd, int argc, char **argv, cli_opt *opts, char **pos, int max_pos,
              int *npos, int *help)
{
    *npos = 0;
    *help = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *eq;
        size_t n;
        cli_opt *o;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            *help = 1;
            continue;
        }
        if (strncmp(a, "--", 2) != 0 || a[2] == 0) {
            if (*npos >= max_pos) return cli_usage_error(cmd, "unexpected argument '%s'", a);
            pos[(*npos)++] = argv[i];
            continue;
        }
        a += 2;
        eq = strchr(a, '=');
        n = eq ? (size_t)(eq - a) : strlen(a);
        for (o = opts; o->name; o++)
            if (strlen(o->name) == n && strncmp(o->name, a, n) == 0) break;
        if (!o->name) return cli_usage_error(cmd, "unknown option '--%.*s'", (int)n, a);
        if (!o->takes_value) {
            if (eq) return cli_usage_error(cmd, "option '--%s' takes no value", o->name);
            o->value = "1";
        } else if (eq) {
            o->value = eq + 1;
        } else {
            if (i + 1 >= argc) return cli_usage_error(cmd, "option '--%s' needs a value", o->name);
            o->value = argv[++i];
        }
    }
    for (cli_opt *o = opts; o->name; o++) {
        if (o->value) continue;
        if (o->env && getenv(o->env) && *getenv(o->env))
            o->value = getenv(o->env);
        else
            o->value = o->dflt;
    }
    return CLI_OK;
}

const char *cli_get(const cli_opt *opts, const char *name)
{
    for (; opts->name; opts++)
        if (strcmp(opts->name, name) == 0) return opts->value;
    return NULL;
}

static const struct {
    const char *cmd;
    const char *text;
} helps[] = {
    {"serve", "usage: truce serve [--db PATH|URI] [--read-db URI] [--listen ADDR:PORT]\n"
              "                   [--threads N]\n"
              "                   [--max-body BYTES] [--max-upload BYTES] [--public-grid DEG]\n"
              "                   [--public-exports N] [--outside-zones warn|refuse]\n"
              "                   [--evidence-quota MIB] [--no-access-log] [--assets-dir DIR]\n"
              "Serves the JSON API and the web app for the database at PATH until\n"
              "interrupted (Ctrl-C).\n"
              "  --db PATH          database (default ./truce.db, or $TRUCE_DB): a SQLite file,\n"
              "                     or PostgreSQL (postgres://... or libpq's keywords; its log\n"
              "                     key is the file $TRUCE_KEY_FILE names)\n"
              "  --read-db URI      a PostgreSQL streaming replica to read from ($TRUCE_READ_DB);\n"
              "                     a caller still reads its own writes (X-Truce-Read-After)\n"
              "  --listen ADDR:PORT where to listen (default 127.0.0.1:8080, or $TRUCE_LISTEN)\n"
              "  --threads N        request threads (default: one per processor)\n"
              "  --max-body BYTES   largest request body (default 1048576)\n"
              "  --max-upload BYTES largest evidence file or CSV import (default 20971520)\n"
              "  --public-grid DEG  coarsen incident locations to a grid of DEG degrees for\n"
              "                     all but monitors, mediators and administrators (0.01 is\n"
              "                     about 1.1 km; default 0, exact; or $TRUCE_PUBLIC_GRID)\n"
              "  --public-exports N exports and counts callers without an account may run at\n"
              "                     once (default 4; 0: only signed-in users may)\n"
              "  --outside-zones warn|refuse\n"
              "                     a report or incident placed outside every zone is\n"
              "                     accepted with a warning in the reply (default) or\n"
              "                     refused; or $TRUCE_OUTSIDE_ZONES\n"
              "  --evidence-quota MIB evidence each organization may upload per UTC day\n"
              "                     (default 4096; 0: no limit)\n"
              "  --no-access-log    do not log one line per request\n"
              "  --assets-dir DIR   serve the web app's files from DIR (as web/build.mjs\n"
              "                     writes them, e.g. build/web) instead of those built in,\n"
              "                     while developing; or $TRUCE_ASSETS_DIR\n"},
    {"demo", "usage: truce demo [--db PATH] [--listen ADDR:PORT] [--force] [--scenario DIR]\n"
             "                  [--no-serve] [--public-grid DEG] [--data DIR] [--assets-dir DIR]\n"
             "Builds a fresh database from the demo scenario (gaza-2025, installed with truce),\n"
             "prints the URL, the demo logins and a curl example, and serves it.\n"
             "  --db PATH          database to create (default ./truce.db, or $TRUCE_DB)\n"
             "  --force            replace the database if it exists\n"
             "  --scenario DIR     another scenario directory\n"
             "  --no-serve         build the database and stop\n"
             "  --public-grid DEG  coarsen public incident locations (default 0.01, as serve)\n"
             "  --data DIR         also import the real aid counts the scenario names from\n"
             "                     DIR (e.g. ../shared/data: UNRWA's and COGAT's lists)\n"
             "  --assets-dir DIR   serve the web app from DIR, as serve does\n"},
    {"init", "usage: truce init [--db PATH] [--name NAME] [--origin ORIGIN]\n"
             "Creates an empty truce database and its log key PATH.key (Ed25519, mode 0600).\n"
             "Add organizations with 'truce org add' and users with 'truce user add'.\n"
             "  --db PATH          database to create (default ./truce.db, or $TRUCE_DB)\n"
             "  --name NAME        deployment name (default: truce)\n"
             "  --origin ORIGIN    the log's origin line and key name, e.g.\n"
             "                     truce.example.org/gaza (default: NAME, spaces as '-')\n"},
    {"org", "usage: truce org add --slug SLUG --name NAME --kind KIND [--db PATH]\n"
            "       truce org list [--db PATH]\n"
            "KIND is party, mediator, monitor, humanitarian or observer.\n"},
    {"org add", NULL},
    {"org list", NULL},
    {"user", "usage: truce user add --org SLUG --name NAME --password PW [--display TEXT]\n"
             "                      [--admin] [--db PATH]\n"
             "       truce user list [--db PATH]\n"
             "--password - reads the password from the first line of standard input.\n"},
    {"user add", NULL},
    {"user list", NULL},
    {"token", "usage: truce token create --user NAME [--label TEXT] [--db PATH]\n"
              "       truce token revoke --id ID [--db PATH]\n"
              "'token create' prints a new API token alone on standard output; it is shown\n"
              "only once. Send it as 'Authorization: Bearer TOKEN'.\n"},
    {"token create", NULL},
    {"token revoke", NULL},
    {"log", "usage: truce log key [--db PATH]\n"
            "       truce log verify-inclusion --index I --size N --leaf-hash HEX --root HEX\n"
            "                                  --proof HEX,HEX,...\n"
            "       truce log verify-consistency --size1 M --size2 N --root1 HEX --root2 HEX\n"
            "                                    --proof HEX,HEX,...\n"
            "'log key' prints the log's verifier key (NAME+KEYID+BASE64) for auditors.\n"
            "The verify commands check RFC 9162 proofs with no database: exit 0 valid,\n"
            "1 invalid, 2 usage error. Hashes are hex; an empty proof is --proof ''.\n"},
    {"log key", NULL},
    {"log verify-inclusion", NULL},
    {"log verify-consistency", NULL},
    {"receipt", "usage: truce receipt verify RECEIPT.json --key VKEY\n"
                "Checks a write's receipt offline: the checkpoint's signature by VKEY (the key\n"
                "itself or a file holding it), the inclusion proof, and that the entry hashes\n"
                "to the leaf. RECEIPT.json may be the whole API reply. Exit 0 valid, 1 invalid.\n"},
    {"receipt verify", NULL},
    {"audit", "usage: truce audit --db PATH [--key VKEY]\n"
              "       truce audit --url URL --key VKEY [--state FILE]\n"
              "--db recomputes the whole Merkle tree from the journal rows, checks every stored\n"
              "hash and every checkpoint (signature and root), and names the first entry that\n"
              "does not match. The key defaults to the database's own PATH.key.\n"
              "--url audits a running server from outside: verifies its checkpoint, proves it\n"
              "consistent with the last one seen (kept in the state FILE), downloads the new\n"
              "entries and recomputes the root. Exit 0 when everything matches, 1 otherwise.\n"},
    {"rebuild", "usage: truce rebuild [--db PATH]\n"
                "Recreates every table (organizations, users, tokens, crossings, zones...) from\n"
                "the journal alone, in one transaction. Stop the server first.\n"},
    {"migrate", "usage: truce migrate --from [sqlite:]PATH --to DB [--from-key FILE] [--quiet]\n"
                "Moves a deployment to another database (a postgres:// URI, libpq's keywords or\n"
                "a new SQLite file) by replaying its journal: audits the source, appends every\n"
                "event unchanged and projects it, copies the evidence files and the signed\n"
                "checkpoints, then audits the target with the same key and prints the root both\n"
                "logs share. The target must be empty; its key is the source's (PATH.key, or\n"
                "--from-key), written to TRUCE_KEY_FILE for PostgreSQL. Stop the servers first.\n"},
    {"analyze", "usage: truce analyze [--json] [--proposal 'Issue=Option;...'] [--epsilon E]\n"
                "                     [--threshold T] [--max-points N] [--export-genius DIR]\n"
                "                     [--export-geniusweb DIR] PATH...\n"
                "Analyses a negotiation domain in Genius XML or GeniusWeb JSON: PATH is a folder\n"
                "holding the domain and one profile per party, or the files themselves (.json\n"
                "files are read as GeniusWeb). Prints the number\n"
                "of outcomes, the exact Pareto frontier and the Nash, Kalai-Smorodinsky,\n"
                "egalitarian and max-welfare points (--json: one JSON object).\n"
                "  --proposal TERMS analyse a draft: utilities, gains, acceptability, efficiency,\n"
                "                   up to 5 packages that dominate it, one-sidedness and the\n"
                "                   one-sided flag with its reason\n"
                "  --threshold T    one-sidedness above which a draft may be flagged (0.5)\n"
                "  --export-genius DIR, --export-geniusweb DIR\n"
                "                   also write the domain and profiles in that format\n"
                "  --max-points N   cap on frontier points kept while folding (default 2000000)\n"
                "  --epsilon E      past the cap, keep an E-approximate frontier instead of\n"
                "                   failing, and report the bound\n"},
    {"keygen", "usage: truce keygen --out KEYFILE\n"
               "Makes an organization's Ed25519 signing key (file mode 0600) and prints its\n"
               "public key, to register with POST /api/v1/orgs/{slug}/keys.\n"},
    {"sign", "usage: truce sign --key KEYFILE AGREEMENT.json\n"
             "Prints the signature (base64) of the agreement's canonical form; post it with\n"
             "POST /api/v1/agreements/{id}/signatures.\n"},
    {"agreement", "usage: truce agreement verify AGREEMENT.json\n"
                  "Checks every signature of an agreement document offline: exit 0 when all\n"
                  "verify, 1 when one does not (it is named) or there is none.\n"},
    {"agreement verify", NULL},
    {"import", "usage: truce import acled FILE [--db PATH] [--status verified|reported]\n"
               "                          [--outside-zones warn|refuse] [--private-journal]\n"
               "       truce import zones FILE ...   (see 'truce help import zones')\n"
               "       truce import aid-counts FILE ...   (see 'truce help import aid-counts')\n"
               "Imports an ACLED CSV export as incidents (status verified unless --status says\n"
               "otherwise; provenance acled). Re-importing updates events by event_id_cnty.\n"
               "Each event is tagged with the zones that contain it; events inside none are\n"
               "counted in a warning on stderr, or rejected with --outside-zones refuse.\n"
               "A broken file imports nothing; rejected rows are listed on stderr with their\n"
               "line, column and reason, and the valid rows are kept. Ends with\n"
               "'imported N, rejected M'. FILE may be gzip-compressed (events.csv.gz) and may\n"
               "start with the byte-order mark spreadsheets write. A verified import is a\n"
               "public journal event, places as imported; --private-journal journals it for\n"
               "monitors and mediators only (the public still sees the incidents, on the\n"
               "public grid when the server has one).\n"},
    {"import acled", NULL},
    {"import aid-counts",
     "usage: truce import aid-counts FILE --source NAME --basis BASIS --date-column COL\n"
     "                               (--value-column COL | --count-rows) [--db PATH]\n"
     "                               [--crossing-column COL] [--category-column COL]\n"
     "                               [--map-crossing 'NAME=SLUG,...']\n"
     "                               [--map-category 'NAME=CATEGORY,...']\n"
     "Imports daily aid counts as a source publishes them: a day's totals (the value in\n"
     "--value-column) or a line list (--count-rows: one row a truck or a consignment;\n"
     "or --value-column to add up, e.g. its tonnes). Rows are added up by day and, when\n"
     "the columns are given, by crossing and category, and recorded as counts of\n"
     "SOURCE on BASIS (e.g. --source unrwa --basis trucks_entered). Dates as\n"
     "2024-09-09, 07-Oct-23, 25 Feb 2024 or 25 Sept 2024. Crossing names are mapped\n"
     "onto the deployment's crossings by slug or name ('Rafah Crossing' -> rafah),\n"
     "categories by the names publishers use ('Food Items' -> food); --map-crossing and\n"
     "--map-category come first. Every name met is listed with what it became; one that\n"
     "maps to nothing is counted without a crossing (or category). Importing the same\n"
     "file again changes nothing; the file is the source's whole count for its days.\n"
     "Rows without a date or value are rejected and named by line on stderr. Ends\n"
     "with 'imported N, rejected M'. Example, UNRWA's line list of trucks:\n"
     "  truce import aid-counts unrwa_commodities_received_2023_2024.csv --source unrwa \\\n"
     "    --basis trucks_entered --date-column 'Received Date' --count-rows \\\n"
     "    --crossing-column Crossing --category-column 'Cargo Category'\n"},
    {"comply", "usage: truce comply settle [--db PATH] [--as-of DATE]\n"
               "Evaluates every obligation as of DATE (default today) and journals each that\n"
               "changed state since its last journaled one (obligation.state_changed), as\n"
               "a running server does every minute. Prints how many changed.\n"},
    {"comply settle", NULL},
    {"sitrep", "usage: truce sitrep [--db PATH] [--date DATE] [--lang en|ar|he] [--json]\n"
               "                    [--out FILE]\n"
               "Writes the daily report of DATE (default today): the fortnight's incidents by\n"
               "type and by party, trucks per day against the target, obligations by state,\n"
               "and the signed checkpoint it was computed from; an HTML page with its charts\n"
               "(in English, Arabic or Hebrew), or JSON with --json. As GET /sitrep/DATE.\n"},
    {"import zones",
     "usage: truce import zones FILE [--db PATH] [--name PROPERTY] [--slug PROPERTY]\n"
     "                          [--kind KIND] [--where PROPERTY=VALUE]\n"
     "Imports the areas of a GeoJSON FeatureCollection (governorates, buffer zones,\n"
     "withdrawal lines drawn as areas) as zones: each feature is named by its\n"
     "property --name (default 'name'), its slug is the property --slug or else\n"
     "made from the name (Khan Yunis: khan-yunis), its kind is --kind (or its\n"
     "property 'kind', or 'zone'). --where keeps the features whose property is\n"
     "VALUE. Polygons and MultiPolygons only, checked with GEOS. All or nothing:\n"
     "a feature without its name, two with one slug, a zone the database has\n"
     "already, a bad geometry - each stops the import, naming the feature.\n"
     "Example, Gaza's five governorates from a GADM file:\n"
     "  truce import zones gadm.geojson --where NAME_1=Gaza --name NAME_2 \\\n"
     "    --kind governorate\n"},
    {"export", "usage: truce export incidents [--format acled|hxl|geojson|geojson-summary]\n"
               "                              [--status S] [--type T] [--from DATE] [--to DATE]\n"
               "                              [--zone SLUG] [--actor NAME] [--bbox W,S,E,N]\n"
               "                              [--out FILE] [--db PATH]\n"
               "Streams incidents (ACLED columns; HXL adds the hashtag row; GeoJSON points,\n"
               "geojson-summary with only id, status, date, type and fatalities, for maps) to\n"
               "standard output or FILE, in constant memory. --actor keeps incidents whose\n"
               "actor1 or actor2 is NAME exactly; a filter that is not a status, an ACLED event\n"
               "type, a calendar date or a zone of the database is a usage error.\n"},
    {"export incidents", NULL},
    {"version", "usage: truce version\nPrints the version of truce and of its libraries.\n"},
    {"help", "usage: truce help [COMMAND]\n"},
};

const char *cli_help(const char *cmd)
{
    size_t n = sizeof helps / sizeof helps[0];
    for (size_t i = 0; i < n; i++) {
        if (strcmp(helps[i].cmd, cmd) != 0) continue;
        if (helps[i].text) return helps[i].text;
        /* "user add" shares the text of "user". */
        for (size_t j = 0; j < n; j++)
            if (strncmp(cmd, helps[j].cmd, strlen(helps[j].cmd)) == 0 && helps[j].text &&
                cmd[strlen(helps[j].cmd)] == ' ')
                return helps[j].text;
    }
    return NULL;
}

void cli_print_overview(void)
{
    fputs("truce - broker, monitor and enforce a truce\n"
          "\n"
          "usage: truce COMMAND [OPTIONS]\n"
          "\n"
          "commands:\n"
          "  serve            serve the JSON API\n"
          "  demo             build the demo database and serve it\n"
          "  init             create an empty database\n"
          "  org add|list     manage organizations\n"
          "  user add|list    manage users\n"
          "  token create|revoke  manage API tokens\n"
          "  log key|verify-inclusion|verify-consistency  the Merkle log's key and proofs\n"
          "  receipt verify   check a write's receipt offline\n"
          "  audit            audit a database or a running server\n"
          "  rebuild          recreate every table from the journal\n"
          "  analyze          Pareto frontier and bargaining points of a negotiation\n"
          "  keygen | sign | agreement verify   organization keys and agreement signatures\n"
          "  import acled     import conflict events from an ACLED export\n"
          "  import zones     import areas from a GeoJSON FeatureCollection\n"
          "  import aid-counts  import daily aid counts (trucks, tonnes) as published\n"
          "  export incidents ACLED CSV, HXL CSV or GeoJSON\n"
          "  comply settle    journal the obligations' changes of state\n"
          "  sitrep           the daily report, HTML or JSON\n"
          "  version          print the version\n"
          "  help [COMMAND]   show help for a command\n"
          "\n"
          "Every command that opens a database takes --db PATH (default ./truce.db, or\n"
          "$TRUCE_DB). Exit status: 0 done, 1 failed, 2 usage error.\n",
          stdout);
}
