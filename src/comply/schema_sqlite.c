/* schema_sqlite.c - the compliance pillar's schema for SQLite: its migrations, applied once
 * each by name, and how its projection tables are emptied for a rebuild. */
#include "comply/schema.h"

static const store_migration migrations[] = {
    /* Obligations and what is said of them, each row the projection of one event. */
    {"0001-obligations", "CREATE TABLE obligations("
                         "  id INTEGER PRIMARY KEY,"
                         "  agreement INTEGER NOT NULL REFERENCES agreements(id),"
                         "  ref TEXT NOT NULL,"
                         "  title TEXT NOT NULL,"
                         "  party TEXT NOT NULL,"
                         "  kind TEXT NOT NULL,"
                         "  spec TEXT NOT NULL,"
                         "  created_at TEXT NOT NULL,"
                         "  UNIQUE (agreement, ref));"
                         "CREATE TABLE obligation_notes("
                         "  id INTEGER PRIMARY KEY,"
                         "  obligation INTEGER NOT NULL REFERENCES obligations(id),"
                         "  kind TEXT NOT NULL,"
                         "  org TEXT NOT NULL,"
                         "  date TEXT NOT NULL,"
                         "  doc TEXT NOT NULL,"
                         "  recorded_at TEXT NOT NULL);"
                         "CREATE INDEX obligation_notes_obligation"
                         "  ON obligation_notes(obligation, id);"},
    /* The state each obligation was last journaled in (obligation.state_changed). */
    {"0002-obligation-states", "CREATE TABLE obligation_states("
                               "  obligation INTEGER PRIMARY KEY REFERENCES obligations(id),"
                               "  state TEXT NOT NULL,"
                               "  overlays TEXT NOT NULL,"
                               "  as_of TEXT NOT NULL,"
                               "  finding TEXT NOT NULL);"
                               "CREATE TABLE obligations_settled("
                               "  id INTEGER PRIMARY KEY CHECK (id = 1),"
                               "  as_of TEXT NOT NULL);"},
    /* Webhooks (a projection of webhook.registered), and their deliveries: not derived from
     * the journal (they record what the receivers answered), so a rebuild keeps them. */
    {"0003-webhooks",
     "CREATE TABLE webhooks("
     "  id INTEGER PRIMARY KEY,"
     "  org TEXT NOT NULL,"
     "  url TEXT NOT NULL,"
     "  events TEXT NOT NULL,"
     "  secret TEXT NOT NULL,"
     "  created_at TEXT NOT NULL);"
     "CREATE TABLE webhook_cursor("
     "  id INTEGER PRIMARY KEY CHECK (id = 1),"
     "  seq INTEGER NOT NULL);"
     "CREATE TABLE webhook_deliveries("
     "  id INTEGER PRIMARY KEY,"
     "  webhook INTEGER NOT NULL,"
     "  seq INTEGER NOT NULL,"
     "  event TEXT NOT NULL,"
     "  status TEXT NOT NULL,"
     "  attempts INTEGER NOT NULL,"
     "  next_ms INTEGER NOT NULL,"
     "  last_code INTEGER NOT NULL,"
     "  last_error TEXT NOT NULL,"
     "  updated_at TEXT NOT NULL,"
     "  UNIQUE (webhook, seq));"
     "CREATE INDEX webhook_deliveries_due ON webhook_deliveries(status, next_ms);"},
    {NULL, NULL},
};

const store_migration_set comply_schema = {"comply", migrations,
                                           "DELETE FROM webhooks; DELETE FROM obligations_settled;"
                                           " DELETE FROM obligation_states;"
                                           " DELETE FROM obligation_notes;"
                                           " DELETE FROM obligations;"};
