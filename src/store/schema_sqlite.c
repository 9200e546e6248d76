/* schema_sqlite.c - the base schema of a SQLite database: the migrations of the last
 * release's single schema version, in order (PRAGMA user_version counts how many a
 * database has). Nothing is added here any more: a change is a pillar's own migration
 * (store/store.h, store_migration_set), applied after these by name. See sqlite.c for how a
 * database is brought up to date. */
#include "store/store.h"

/* Declared where they are used (sqlite.c), defined here. */
extern const char *const sq_base_migrations[];
extern const int sq_n_base_migrations;

/* The schema reads as SQL, its comments aligned beside it: left as written. */
/* clang-format off */
const char *const sq_base_migrations[] = {
    /* 1: foundation - journal, accounts, places. */
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE journal("
    "  seq INTEGER PRIMARY KEY,"          /* 1-based and dense: rows are never deleted. */
    "  type TEXT NOT NULL,"
    "  actor_org TEXT,"
    "  actor_user TEXT NOT NULL,"
    "  time TEXT NOT NULL,"
    "  body TEXT NOT NULL,"               /* Canonical JSON. */
    "  visibility TEXT NOT NULL,"
    "  salt TEXT);"                       /* Confidential events only. */
    "CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal"
    "  BEGIN SELECT RAISE(ABORT, 'journal rows are append-only'); END;"
    "CREATE TRIGGER journal_no_delete BEFORE DELETE ON journal"
    "  BEGIN SELECT RAISE(ABORT, 'journal rows are append-only'); END;"
    "CREATE TABLE tree_chunk("           /* Merkle tree, stored-hash layout (merkle.h), */
    "  id INTEGER PRIMARY KEY,"           /* 64 positions per row: id = position / 64. */
    "  hashes BLOB NOT NULL);"
    "CREATE TRIGGER tree_only_grows BEFORE UPDATE ON tree_chunk"
    "  WHEN NEW.id <> OLD.id OR length(NEW.hashes) < length(OLD.hashes)"
    "    OR substr(NEW.hashes, 1, length(OLD.hashes)) <> OLD.hashes"
    "  BEGIN SELECT RAISE(ABORT, 'tree hashes are append-only'); END;"
    "CREATE TRIGGER tree_no_delete BEFORE DELETE ON tree_chunk"
    "  BEGIN SELECT RAISE(ABORT, 'tree hashes are append-only'); END;"
    "CREATE TABLE checkpoints("
    "  size INTEGER PRIMARY KEY,"
    "  root BLOB NOT NULL,"
    "  time TEXT NOT NULL,"
    "  note TEXT NOT NULL);"
    "CREATE TRIGGER checkpoints_no_update BEFORE UPDATE ON checkpoints"
    "  BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;"
    "CREATE TRIGGER checkpoints_no_delete BEFORE DELETE ON checkpoints"
    "  BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;"
    "CREATE TABLE orgs("
    "  id INTEGER PRIMARY KEY,"
    "  slug TEXT NOT NULL UNIQUE,"
    "  name TEXT NOT NULL,"
    "  kind TEXT NOT NULL CHECK (kind IN"
    "    ('party','mediator','monitor','humanitarian','observer')),"
    "  created_at TEXT NOT NULL);"
    "CREATE TABLE users("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  display TEXT NOT NULL DEFAULT '',"
    "  org_id INTEGER NOT NULL REFERENCES orgs(id),"
    "  admin INTEGER NOT NULL DEFAULT 0,"
    "  pwhash TEXT NOT NULL,"
    "  created_at TEXT NOT NULL);"
    "CREATE TABLE tokens("
    "  id TEXT PRIMARY KEY,"
    "  hash TEXT NOT NULL UNIQUE,"
    "  user_id INTEGER NOT NULL REFERENCES users(id),"
    "  label TEXT NOT NULL DEFAULT '',"
    "  created_at TEXT NOT NULL,"
    "  revoked_at TEXT);"
    "CREATE TABLE crossings("
    "  slug TEXT PRIMARY KEY,"
    "  name TEXT NOT NULL,"
    "  lat REAL NOT NULL,"
    "  lon REAL NOT NULL,"
    "  notes TEXT NOT NULL DEFAULT '');"
    "CREATE TABLE zones("
    "  slug TEXT PRIMARY KEY,"
    "  name TEXT NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  geometry TEXT NOT NULL);",
    /* 2: organizations' public signing keys. */
    "CREATE TABLE org_keys("
    "  id TEXT PRIMARY KEY,"              /* 16 hex digits of SHA-256(public key) */
    "  org_id INTEGER NOT NULL REFERENCES orgs(id),"
    "  public_key TEXT NOT NULL UNIQUE,"  /* base64 of 32 bytes */
    "  created_at TEXT NOT NULL);",
    /* 3: mediated negotiations and the parties' private profiles. */
    "CREATE TABLE negotiations("
    "  id INTEGER PRIMARY KEY,"
    "  spec TEXT NOT NULL,"               /* canonical JSON: title, parties, mediators, issues */
    "  state TEXT NOT NULL CHECK (state IN ('open','agreed','abandoned')),"
    "  opened_by TEXT NOT NULL,"          /* organization slug */
    "  created_at TEXT NOT NULL);"
    "CREATE TABLE negotiation_profiles("
    "  negotiation_id INTEGER NOT NULL REFERENCES negotiations(id),"
    "  org TEXT NOT NULL,"
    "  profile TEXT NOT NULL,"            /* canonical JSON, as the party sent it */
    "  version INTEGER NOT NULL,"
    "  updated_at TEXT NOT NULL,"
    "  PRIMARY KEY (negotiation_id, org));",
    /* 4: versions of the single negotiating text, and the parties' responses. */
    "CREATE TABLE negotiation_texts("
    "  negotiation_id INTEGER NOT NULL REFERENCES negotiations(id),"
    "  n INTEGER NOT NULL,"               /* 1, 2, 3... */
    "  text TEXT NOT NULL,"               /* canonical JSON: package, rationale, override */
    "  sent_to TEXT NOT NULL DEFAULT '[]',"
    "  created_at TEXT NOT NULL,"
    "  PRIMARY KEY (negotiation_id, n));"
    "CREATE TABLE negotiation_responses("
    "  negotiation_id INTEGER NOT NULL,"
    "  n INTEGER NOT NULL,"
    "  org TEXT NOT NULL,"
    "  response TEXT NOT NULL,"           /* canonical JSON */
    "  created_at TEXT NOT NULL,"
    "  PRIMARY KEY (negotiation_id, n, org));",
    /* 5: agreements and the parties' signatures. */
    "CREATE TABLE agreements("
    "  id INTEGER PRIMARY KEY,"
    "  negotiation_id INTEGER NOT NULL REFERENCES negotiations(id),"
    "  doc TEXT NOT NULL,"                /* canonical JSON of the agreement object */
    "  state TEXT NOT NULL CHECK (state IN ('drafted','in_force')),"
    "  created_at TEXT NOT NULL);"
    "CREATE TABLE agreement_signatures("
    "  agreement_id INTEGER NOT NULL REFERENCES agreements(id),"
    "  org TEXT NOT NULL,"
    "  public_key TEXT NOT NULL,"
    "  signature TEXT NOT NULL,"
    "  created_at TEXT NOT NULL,"
    "  PRIMARY KEY (agreement_id, org));",
    /* 6: incidents (monitoring), in ACLED's terms. */
    "CREATE TABLE incidents("
    "  id INTEGER PRIMARY KEY,"
    "  external_id TEXT UNIQUE,"          /* ACLED event_id_cnty, or NULL */
    "  status TEXT NOT NULL,"
    "  provenance TEXT NOT NULL,"
    "  event_date TEXT NOT NULL,"         /* YYYY-MM-DD */
    "  event_type TEXT NOT NULL,"
    "  latitude REAL NOT NULL,"
    "  longitude REAL NOT NULL,"
    "  fatalities INTEGER NOT NULL,"
    "  doc TEXT NOT NULL,"                /* canonical JSON, ACLED field names */
    "  updated_at TEXT NOT NULL);"
    "CREATE INDEX incidents_date ON incidents(event_date, id);",
    /* 7: reports (allegations), each its whole document. */
    "CREATE TABLE reports("
    "  id INTEGER PRIMARY KEY,"
    "  org TEXT NOT NULL,"                /* the filing organization */
    "  status TEXT NOT NULL,"             /* filed | merged */
    "  incident INTEGER,"                 /* the incident it was merged into */
    "  doc TEXT NOT NULL,"                /* canonical JSON, ACLED field names */
    "  filed_at TEXT NOT NULL);",
    /* 8: evidence files, private fields, incidents merged into others. Blobs are content,
     * not a projection: named by their SHA-256 (which the journal's evidence.stored event
     * carries), never changed or deleted, and kept by a rebuild. */
    "CREATE TABLE evidence_blobs("
    "  sha256 TEXT PRIMARY KEY,"
    "  data BLOB NOT NULL);"
    "CREATE TRIGGER evidence_blobs_no_update BEFORE UPDATE ON evidence_blobs"
    "  BEGIN SELECT RAISE(ABORT, 'evidence is never changed'); END;"
    "CREATE TRIGGER evidence_blobs_no_delete BEFORE DELETE ON evidence_blobs"
    "  BEGIN SELECT RAISE(ABORT, 'evidence is never deleted'); END;"
    "CREATE TABLE evidence("                /* who uploaded which file: a projection */
    "  sha256 TEXT NOT NULL,"
    "  org TEXT NOT NULL,"
    "  media_type TEXT NOT NULL,"
    "  size INTEGER NOT NULL,"
    "  stored_at TEXT NOT NULL,"
    "  PRIMARY KEY(sha256, org));"
    "CREATE TABLE private_fields("          /* monitors-only fields of a report or incident */
    "  subject TEXT PRIMARY KEY,"           /* report:N | incident:N */
    "  doc TEXT NOT NULL);"
    "ALTER TABLE incidents ADD COLUMN merged_into INTEGER;",
    /* 9: each incident's row of the ACLED CSV export, rendered when it is projected, so
     * that an export is a scan (NULL for rows projected before: rendered when exported). */
    "ALTER TABLE incidents ADD COLUMN acled_csv TEXT;",
    /* 10: boxes (maps) by longitude, then latitude. */
    "CREATE INDEX incidents_place ON incidents(longitude, latitude);",
    /* 11: what a map's summary needs, by id, so that reading it touches no document. */
    "CREATE INDEX incidents_summary ON incidents(id, longitude, latitude, status, event_date,"
    " event_type, fatalities);",
    /* 12: what counts and filters need, out of the documents: the actors as columns, the
     * zones as rows, and the summary index widened to cover every filter and count, so
     * that /incidents/stats scans a narrow index instead of parsing every document. */
    "ALTER TABLE incidents ADD COLUMN actor1 TEXT;"
    "ALTER TABLE incidents ADD COLUMN actor2 TEXT;"
    "UPDATE incidents SET actor1 = json_extract(doc, '$.actor1'),"
    "  actor2 = json_extract(doc, '$.actor2');"
    "CREATE TABLE incident_zones("
    "  zone TEXT NOT NULL,"
    "  incident INTEGER NOT NULL,"
    "  PRIMARY KEY(zone, incident)) WITHOUT ROWID;"
    "CREATE INDEX incident_zones_incident ON incident_zones(incident);"
    "INSERT OR IGNORE INTO incident_zones(zone, incident)"
    "  SELECT z.value, incidents.id FROM incidents, json_each(incidents.doc, '$.zones') AS z;"
    "DROP INDEX IF EXISTS incidents_date;"
    "DROP INDEX IF EXISTS incidents_summary;"
    "CREATE INDEX incidents_summary ON incidents(id, longitude, latitude, status, event_date,"
    " event_type, fatalities, actor1, actor2);",
    /* 13: idempotent filing: the Idempotency-Key a client sent with a report and the
     * SHA-256 of its request, so that a retry gets the report back rather than a copy,
     * with a receipt for the journal event that filed it (seq). */
    "ALTER TABLE reports ADD COLUMN idempotency_key TEXT;"
    "ALTER TABLE reports ADD COLUMN request_sha256 TEXT;"
    "ALTER TABLE reports ADD COLUMN seq INTEGER;"
    "CREATE UNIQUE INDEX reports_idempotency ON reports(org, idempotency_key)"
    "  WHERE idempotency_key IS NOT NULL;",
    /* 14: possible duplicates a monitor dismissed: `subject` ("incident:N" or "report:N")
     * is not a duplicate of incident `candidate`. */
    "CREATE TABLE dismissed_duplicates("
    "  subject TEXT NOT NULL,"
    "  candidate INTEGER NOT NULL,"
    "  PRIMARY KEY(subject, candidate)) WITHOUT ROWID;"
    /* what an organization uploaded since a time, for the daily evidence quota */
    "CREATE INDEX evidence_org ON evidence(org, stored_at);",
    /* 15: pieces of evidence files being uploaded in parts (a phone on a link that drops):
     * not the record, so not journaled; a whole file, checked, becomes evidence and its
     * pieces go. `at` is the piece's first byte in the file. */
    "CREATE TABLE evidence_uploads("
    "  sha256 TEXT NOT NULL,"
    "  org TEXT NOT NULL,"
    "  at INTEGER NOT NULL,"
    "  data BLOB NOT NULL,"
    "  total INTEGER NOT NULL,"           /* the file's size, as the uploader declared it */
    "  media_type TEXT NOT NULL,"         /* the type the uploader declared */
    "  received_at TEXT NOT NULL,"
    "  PRIMARY KEY(sha256, org, at));",
    /* 16: incidents opened with an Idempotency-Key (a monitor's phone retrying): the key,
     * per organization, the SHA-256 of the request and the incident.opened event. */
    "CREATE TABLE incident_keys("
    "  org TEXT NOT NULL,"
    "  key TEXT NOT NULL,"
    "  request_sha256 TEXT NOT NULL,"
    "  incident INTEGER NOT NULL,"
    "  seq INTEGER NOT NULL,"
    "  PRIMARY KEY(org, key)) WITHOUT ROWID;",
    /* 17: an incident's history: the event that last wrote its document (opened or
     * imported: incidents.seq) and every later event about it (incident_events: moves,
     * merges either way, reports added, duplicates dismissed, private fields), so that its
     * journal entries are found without reading the journal. Filled here for what the
     * journal has; an imported incident's origin appears after `truce rebuild`. */
    "ALTER TABLE incidents ADD COLUMN seq INTEGER;"
    "CREATE TABLE incident_events("
    "  incident INTEGER NOT NULL,"
    "  seq INTEGER NOT NULL,"
    "  PRIMARY KEY(incident, seq)) WITHOUT ROWID;"
    "UPDATE incidents SET seq = j.seq FROM (SELECT seq, json_extract(body, '$.id') AS id"
    "  FROM journal WHERE type = 'incident.opened') AS j WHERE incidents.id = j.id;"
    "INSERT OR IGNORE INTO incident_events SELECT json_extract(body, '$.incident'), seq"
    "  FROM journal WHERE type IN ('incident.transition', 'report.merged');"
    "INSERT OR IGNORE INTO incident_events SELECT json_extract(body, '$.into'), seq"
    "  FROM journal WHERE type = 'incident.transition' AND json_extract(body, '$.into') > 0;"
    "INSERT OR IGNORE INTO incident_events SELECT json_extract(body, '$.candidate'), seq"
    "  FROM journal WHERE type = 'duplicate.dismissed';"
    "INSERT OR IGNORE INTO incident_events"
    "  SELECT CAST(substr(json_extract(body, '$.subject'), 10) AS INTEGER), seq FROM journal"
    "  WHERE type IN ('duplicate.dismissed', 'private.fields')"
    "  AND json_extract(body, '$.subject') LIKE 'incident:%';",
    /* 18: an organization's reports, in order (GET /api/v1/reports). */
    "CREATE INDEX reports_org ON reports(org, id);",
    /* 19: an imported incident is stored as its ACLED CSV row, without a document (doc
     * ''): the document is the row's (export_acled_doc), with these zones (a JSON array),
     * which halves what an import writes. */
    "ALTER TABLE incidents ADD COLUMN zones TEXT;",
    /* The base ends here, at the last release's single schema version: every change after
     * it is a pillar's own migration (store_migration_sets), recorded by name. */
};
/* clang-format on */

const int sq_n_base_migrations = (int)(sizeof sq_base_migrations / sizeof sq_base_migrations[0]);
