/* main.c - `truce COMMAND`: finds the command and runs it.
 *
 * Commands take one word ("serve") or two ("user add"). Exit status: 0 done, 1 failed,
 * 2 usage error. */
#include "accounts/accounts.h"
#include "cli/cli.h"
#include "core/util.h"

#include <jansson.h>
#include <microhttpd.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

static int cmd_version(int argc, char **argv)
{
    (void)argc, (void)argv;
    printf("truce %s (libmicrohttpd %s, jansson %s, libsodium %s, sqlite %s)\n", TRUCE_VERSION,
           MHD_get_version(), JANSSON_VERSION, sodium_version_string(), sqlite3_libversion());
    return CLI_OK;
}

static const struct {
    const char *word1, *word2; /* word2 NULL: a one-word command. */
    int (*run)(int argc, char **argv);
} commands[] = {
    {"serve", NULL, cmd_serve},
    {"demo", NULL, cmd_demo},
    {"init", NULL, cmd_init},
    {"org", "add", cmd_org_add},
    {"org", "list", cmd_org_list},
    {"user", "add", cmd_user_add},
    {"user", "list", cmd_user_list},
    {"token", "create", cmd_token_create},
    {"token", "revoke", cmd_token_revoke},
    {"log", "key", cmd_log_key},
    {"log", "verify-inclusion", cmd_log_verify_inclusion},
    {"log", "verify-consistency", cmd_log_verify_consistency},
    {"receipt", "verify", cmd_receipt_verify},
    {"audit", NULL, cmd_audit},
    {"rebuild", NULL, cmd_rebuild},
    {"migrate", NULL, cmd_migrate},
    {"analyze", NULL, cmd_analyze},
    {"import", "acled", cmd_import_acled},
    {"import", "zones", cmd_import_zones},
    {"import", "aid-counts", cmd_import_aid_counts},
    {"export", "incidents", cmd_export_incidents},
    {"comply", "settle", cmd_comply_settle},
    {"sitrep", NULL, cmd_sitrep},
    {"keygen", NULL, cmd_keygen},
    {"sign", NULL, cmd_sign},
    {"agreement", "verify", cmd_agreement_verify},
    {"version", NULL, cmd_version},
};

#define N_COMMANDS (sizeof commands / sizeof commands[0])

static int help(int argc, char **argv)
{
    char name[64];
    const char *text;
    if (argc == 0) {
        cli_print_overview();
        return CLI_OK;
    }
    snprintf(name, sizeof name, "%s%s%s", argv[0], argc > 1 ? " " : "", argc > 1 ? argv[1] : "");
    if (!(text = cli_help(name))) {
        fprintf(stderr, "truce: no command '%s'; run 'truce help' for the list\n", name);
        return CLI_USAGE;
    }
    fputs(text, stdout);
    return CLI_OK;
}

int main(int argc, char **argv)
{
    int group = 0;
    util_malloc_tune();
    if (sodium_init() < 0) {
        fprintf(stderr, "truce: cannot initialise libsodium\n");
        return CLI_FAILED;
    }
    json_object_seed(0);
    if (argc < 2) {
        cli_print_overview();
        return CLI_USAGE;
    }
    if (strcmp(argv[1], "help") == 0) return help(argc - 2, argv + 2);
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) return help(0, NULL);
    if (strcmp(argv[1], "--version") == 0) return cmd_version(0, NULL);
    for (size_t i = 0; i < N_COMMANDS; i++) {
        if (strcmp(commands[i].word1, argv[1]) != 0) continue;
        group = 1;
        if (!commands[i].word2) {
            acct_init();
            return commands[i].run(argc - 2, argv + 2);
        }
        if (argc > 2 && strcmp(commands[i].word2, argv[2]) == 0) {
            acct_init();
            return commands[i].run(argc - 3, argv + 3);
        }
    }
    if (group) {
        if (argc > 2 && (strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0))
            return help(1, argv + 1);
        fprintf(stderr, "truce: '%s' needs a subcommand%s%s; run 'truce help %s'\n", argv[1],
                argc > 2 ? ", not " : "", argc > 2 ? argv[2] : "", argv[1]);
        return CLI_USAGE;
    }
    fprintf(stderr, "truce: unknown command '%s'; run 'truce help' for the list\n", argv[1]);
    return CLI_USAGE;
}
