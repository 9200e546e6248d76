/* schema_sqlite.c - the accounts pillar's schema migrations for SQLite, after the base the
 * store creates (store/store.h, store_migration). Named like numbered patch files, applied
 * once each, in order. */
#include "accounts/schema.h"

static const store_migration migrations[] = {
    /* The actors (as ACLED names them) that stand for an organization: who may dispute an
     * incident, and whom an incident is attributed to. */
    {"0001-org-actors", "CREATE TABLE org_actors("
                        "  org_id INTEGER NOT NULL REFERENCES orgs(id),"
                        "  actor TEXT NOT NULL,"
                        "  PRIMARY KEY (org_id, actor)) WITHOUT ROWID;"},
    {NULL, NULL},
};

const store_migration_set accounts_schema = {
    "accounts", migrations,
    "DELETE FROM org_keys; DELETE FROM tokens; DELETE FROM users; DELETE FROM org_actors;"
    " DELETE FROM orgs;"};
