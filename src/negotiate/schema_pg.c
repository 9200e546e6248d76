/* schema_pg.c - the negotiate pillar's schema for PostgreSQL (store/pg.c): SQLite's tables as
 * they stand after its migrations, created at once; later changes are migrations by name. */
#include "negotiate/schema.h"

/* clang-format off */
static const store_migration migrations[] = {
    {"0001-negotiate",
     "CREATE TABLE negotiations("
     "  id bigint PRIMARY KEY,"
     "  spec text NOT NULL,"
     "  state text NOT NULL CHECK (state IN ('open','agreed','abandoned')),"
     "  opened_by text NOT NULL,"
     "  created_at text NOT NULL);"
     "CREATE TABLE negotiation_profiles("
     "  negotiation_id bigint NOT NULL REFERENCES negotiations(id),"
     "  org text COLLATE \"C\" NOT NULL,"
     "  profile text NOT NULL,"
     "  version integer NOT NULL,"
     "  updated_at text NOT NULL,"
     "  PRIMARY KEY (negotiation_id, org));"
     "CREATE TABLE negotiation_texts("
     "  negotiation_id bigint NOT NULL REFERENCES negotiations(id),"
     "  n integer NOT NULL,"
     "  text text NOT NULL,"
     "  sent_to text NOT NULL DEFAULT '[]',"
     "  created_at text NOT NULL,"
     "  PRIMARY KEY (negotiation_id, n));"
     "CREATE TABLE negotiation_responses("
     "  negotiation_id bigint NOT NULL,"
     "  n integer NOT NULL,"
     "  org text COLLATE \"C\" NOT NULL,"
     "  response text NOT NULL,"
     "  created_at text NOT NULL,"
     "  PRIMARY KEY (negotiation_id, n, org));"
     "CREATE TABLE agreements("
     "  id bigint PRIMARY KEY,"
     "  negotiation_id bigint REFERENCES negotiations(id),"
     "  doc text NOT NULL,"
     "  state text NOT NULL CHECK (state IN ('drafted','in_force','recorded')),"
     "  created_at text NOT NULL);"
     "CREATE TABLE agreement_signatures("
     "  agreement_id bigint NOT NULL REFERENCES agreements(id),"
     "  org text COLLATE \"C\" NOT NULL,"
     "  public_key text NOT NULL,"
     "  signature text NOT NULL,"
     "  created_at text NOT NULL,"
     "  PRIMARY KEY (agreement_id, org));"},
    {NULL, NULL},
};
/* clang-format on */

const store_migration_set negotiate_schema_pg = {
    "negotiate", migrations,
    "DELETE FROM agreement_signatures; DELETE FROM agreements;"
    " DELETE FROM negotiation_responses; DELETE FROM negotiation_texts;"
    " DELETE FROM negotiation_profiles; DELETE FROM negotiations;"};
