/* cmd_agreement.c - truce keygen, truce sign, truce agreement verify: what a party runs on
 * its own machine, so that its signing key never leaves it. */
#include "cli/cli.h"

#include "negotiate/agreement.h"

#include <jansson.h>
#include <stdio.h>

static int fail(tr_err *e)
{
    err_print(e);
    err_clear(e);
    return CLI_FAILED;
}

static json_t *load_doc(const char *path)
{
    json_error_t je;
    json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!doc) fprintf(stderr, "truce: cannot read %s: %s (line %d)\n", path, je.text, je.line);
    return doc;
}

int cmd_keygen(int argc, char **argv)
{
    cli_opt opts[] = {{"out", 1, NULL, NULL, NULL}, {0}};
    char *pos[1], pk[AGR_PK_B64];
    int npos, help, rc = cli_parse("keygen", argc, argv, opts, pos, 0, &npos, &help);
    tr_err e = TR_ERR_INIT;
    if (rc != CLI_OK) return rc;
    if (help) {
        fputs(cli_help("keygen"), stdout);
        return CLI_OK;
    }
    if (!cli_get(opts, "out")) return cli_usage_error("keygen", "missing --out KEYFILE");
    if (agr_keygen(cli_get(opts, "out"), pk, &e)) return fail(&e);
    printf("%s\n", pk);
    fprintf(stderr,
            "truce: key written to %s (keep it on this machine); register the public "
            "key above with POST /api/v1/orgs/{slug}/keys\n",
            cli_get(opts, "out"));
    return CLI_OK;
}

int cmd_sign(int argc, char **argv)
{
    cli_opt opts[] = {{"key", 1, NULL, NULL, NULL}, {0}};
    char *pos[1], sig[AGR_SIG_B64];
    int npos, help, rc = cli_parse("sign", argc, argv, opts, pos, 1, &npos, &help);
    tr_err e = TR_ERR_INIT;
    json_t *doc;
    if (rc != CLI_OK) return rc;
    if (help) {
        fputs(cli_help("sign"), stdout);
        return CLI_OK;
    }
    if (!cli_get(opts, "key")) return cli_usage_error("sign", "missing --key KEYFILE");
    if (npos != 1) return cli_usage_error("sign", "give the agreement file");
    if (!(doc = load_doc(pos[0]))) return CLI_FAILED;
    rc = agr_sign(cli_get(opts, "key"), doc, sig, &e);
    json_decref(doc);
    if (rc) return fail(&e);
    printf("%s\n", sig);
    return CLI_OK;
}

int cmd_agreement_verify(int argc, char **argv)
{
    cli_opt opts[] = {{0}};
    char *pos[1];
    int npos, help, count,
        rc = cli_parse("agreement verify", argc, argv, opts, pos, 1, &npos, &help);
    tr_err e = TR_ERR_INIT;
    json_t *doc;
    if (rc != CLI_OK) return rc;
    if (help) {
        fputs(cli_help("agreement verify"), stdout);
        return CLI_OK;
    }
    if (npos != 1) return cli_usage_error("agreement verify", "give the agreement file");
    if (!(doc = load_doc(pos[0]))) return CLI_FAILED;
    rc = agr_verify(doc, &count, &e);
    json_decref(doc);
    if (rc) return fail(&e);
    printf("valid: %d signature%s over the agreement\n", count, count == 1 ? "" : "s");
    return CLI_OK;
}
