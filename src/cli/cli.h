/* cli.h - the `truce` command line: option parsing shared by every command.
 *
 * Options are GNU-style long options, "--name VALUE" or "--name=VALUE", and flags
 * "--name". Each option may name an environment variable that supplies its value when the
 * option is not given (TRUCE_DB, TRUCE_LISTEN), and a default. A mistake on the command
 * line prints one line on stderr and returns exit code 2; a failure to do the work prints
 * one line and returns 1. */
#ifndef TRUCE_CLI_CLI_H
#define TRUCE_CLI_CLI_H

enum { CLI_OK = 0, CLI_FAILED = 1, CLI_USAGE = 2 };

typedef struct cli_opt {
    const char *name;  /* Without the dashes; NULL ends a table. */
    int takes_value;   /* 0 for a flag. */
    const char *env;   /* Environment variable, or NULL. */
    const char *dflt;  /* Default value, or NULL. */
    const char *value; /* Result: the value (flags: "1" when given), or NULL. */
} cli_opt;

/* Parses argv (after the command words) into opts. Positional arguments are returned in
 * *pos (count in *npos; at most max_pos). "--help" sets *help. Returns CLI_OK or
 * CLI_USAGE after printing what is wrong. */
int cli_parse(const char *cmd, int argc, char **argv, cli_opt *opts, char **pos, int max_pos,
              int *npos, int *help);

/* The option's value, or NULL. */
const char *cli_get(const cli_opt *opts, const char *name);

/* Prints "truce: MESSAGE; run 'truce help CMD'" and returns CLI_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Commands, one per file group. argv[0] is the first argument after the command words. */
int cmd_serve(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_init(int argc, char **argv);
int cmd_org_add(int argc, char **argv);
int cmd_org_list(int argc, char **argv);
int cmd_user_add(int argc, char **argv);
int cmd_user_list(int argc, char **argv);
int cmd_token_create(int argc, char **argv);
int cmd_token_revoke(int argc, char **argv);
int cmd_log_key(int argc, char **argv);
int cmd_log_verify_inclusion(int argc, char **argv);
int cmd_log_verify_consistency(int argc, char **argv);
int cmd_receipt_verify(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_rebuild(int argc, char **argv);
int cmd_migrate(int argc, char **argv);
int cmd_analyze(int argc, char **argv);
int cmd_import_acled(int argc, char **argv);
int cmd_import_zones(int argc, char **argv);
int cmd_import_aid_counts(int argc, char **argv);
int cmd_comply_settle(int argc, char **argv);
int cmd_sitrep(int argc, char **argv);
int cmd_export_incidents(int argc, char **argv);
int cmd_keygen(int argc, char **argv);
int cmd_sign(int argc, char **argv);
int cmd_agreement_verify(int argc, char **argv);

/* Help text for a command ("serve", "user add", ...), or NULL. */
const char *cli_help(const char *cmd);
void cli_print_overview(void);

#endif
