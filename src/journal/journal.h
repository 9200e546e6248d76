/* journal.h - the one write path: every change is an event appended to the journal.
 *
 * A service never updates a projection table itself. It validates a request, builds the
 * event body (a JSON object holding everything needed to redo the change) and calls
 * journal_record(), which, inside the caller's transaction:
 *
 *   1. encodes the body canonically (jsx_canonical: sorted keys, no whitespace, UTF-8),
 *   2. appends the event (sequence number, type, actor, UTC time, body, visibility),
 *   3. applies it to the projection tables through project_apply().
 *
 * Because step 3 is a pure function of the event, the projections can be rebuilt from
 * the journal alone, and the journal is all a Merkle log needs to cover.
 *
 * Visibility is a space-separated list of audiences; a reader sees an event's body when
 * any audience matches it:
 *
 *   public        everyone, signed in or not
 *   members       any signed-in user
 *   admin         deployment administrators
 *   org:SLUG      users of that organization
 *   kind:KIND     users of organizations of that kind (party, mediator, ...)
 *
 * Readers who may not see a body still see that an event exists (its sequence number,
 * type and time), so gaps never hide anything.
 *
 * The journal is a Merkle log (merkle.h). Event seq is leaf index seq-1; the leaf is
 * SHA-256(0x00 || entry) where the entry is the event's canonical JSON:
 *
 *   {"actor_org":S|null,"actor_user":S,"body":{...},"salt":S|null,"seq":N,
 *    "time":S,"type":S,"visibility":S}
 *
 * so that changing any byte of any column of a journal row changes its leaf. An event
 * that is not public carries a random 256-bit salt (64 hex digits), so its leaf hash,
 * which everyone may see, cannot be used to guess its body. Before every COMMIT the
 * journal signs a checkpoint (note.h) for the new tree size, after checking that the new
 * tree is consistent with the last checkpoint; a receipt ties one event to it. */
#ifndef TRUCE_JOURNAL_JOURNAL_H
#define TRUCE_JOURNAL_JOURNAL_H

#include "core/buf.h"
#include "core/err.h"
#include "core/util.h"
#include "journal/note.h"
#include "store/store.h"

#include <jansson.h>
#include <stdint.h>

typedef struct journal_actor {
    const char *org;  /* Acting organization's slug, or NULL for the local operator. */
    const char *user; /* Acting user's name; "cli" for the local operator. */
} journal_actor;

extern const journal_actor journal_operator; /* {NULL, "cli"} */

/* Who is reading, for visibility decisions. */
typedef struct journal_reader {
    int signed_in;
    int admin;
    const char *org;      /* Slug, or NULL. */
    const char *org_kind; /* Kind, or NULL. */
} journal_reader;

/* Who is calling, as a request's authentication found it (all zero for an anonymous
 * caller): what the server, the handlers and the services know of a caller. The accounts
 * pillar fills it (acct_caller is this type); the layers below the pillars only read it. */
typedef struct journal_caller {
    int signed_in;
    int admin;
    char user[STORE_SLUG_MAX];
    char org[STORE_SLUG_MAX];
    char org_kind[16];
    char token_id[17];
} journal_caller;

/* The reader a caller is, for visibility decisions. */
journal_reader journal_reader_of(const journal_caller *c);

/* Appends an event and applies it to the projections. Must run inside a transaction.
 * body is borrowed. On success sets *seq (when seq is not NULL). */
int journal_record(store *s, const journal_actor *who, const char *type, const json_t *body,
                   const char *visibility, int64_t *seq, tr_err *e);

/* journal_record() for a body that is already canonical JSON text (jsx_canonical's
 * encoding, byte for byte), without applying the projection: the caller applies exactly
 * what project_apply() would, in the same transaction. Only the bulk ACLED import uses
 * it, to encode each row once (its tests rebuild from the journal and compare the
 * tables). Sets time to the event's time. */
int journal_record_canonical(store *s, const journal_actor *who, const char *type,
                             const char *canonical, const char *visibility, char time[UTIL_ISO_LEN],
                             tr_err *e);

/* Attaches the journal's per-connection state to a store. With a signer, every commit
 * through store_txn() or the group committer signs a checkpoint; without one (readers,
 * tools), nothing is signed and writes fail with log.no_key. */
int journal_attach(store *s, const note_signer *signer, tr_err *e);

/* The canonical entry bytes of an event, and its leaf hash. */
void journal_entry(const store_event *ev, buf *out);
void journal_leaf(const store_event *ev, merkle_hash out);

/* Adapter for merkle_* functions: cls is the store. */
int journal_tree_read(void *cls, const int64_t *ids, size_t n, merkle_hash *out, tr_err *e);

/* Signs a checkpoint for the current tree if it grew (the before-commit hook). */
int journal_seal(store *s, void *cls, tr_err *e);

/* Sequence number of the last event appended on this connection; journal_mark() resets
 * it to 0 (the group committer does so before each job). */
int64_t journal_last_seq(store *s);
void journal_mark(store *s);

/* A receipt for event seq, after journal_seal() in the same transaction, as JSON text
 * (malloc'd): {"index","tree_size","leaf_hash","proof":[...],"checkpoint","entry"} (hex
 * hashes). */
int journal_receipt(store *s, int64_t seq, char **out, tr_err *e);

/* The log key file of a database: "<db>.key" (Ed25519 signer key in note format, mode
 * 0600, not encrypted: whoever can read it can sign checkpoints). */
void journal_key_path(const char *db_path, char *out, size_t cap);
/* The key file TRUCE_KEY_FILE names, or NULL when it names none. */
const char *journal_key_named(void);
/* The same, or -1 with e saying how to name it when the database has no file beside it
 * (PostgreSQL: TRUCE_KEY_FILE names the file, which overrides "<db>.key" for any database). */
int journal_key_file(const char *db_path, char *out, size_t cap, tr_err *e);
/* Creates the key of a new database and attaches it; fails if the key file exists, unless
 * TRUCE_KEY_FILE names it: then that key (and its origin) is the new log's. */
int journal_create_key(store *s, const char *db_path, const char *origin, tr_err *e);
/* Loads the database's key and attaches it. */
int journal_load_key(store *s, const char *db_path, tr_err *e);
/* An origin line from a deployment name: whitespace and '+' become '-'. */
void journal_origin_from(const char *name, char *out, size_t cap);

/* The first two steps of journal_record() for an event whose fields are all set but seq:
 * append the row and its leaf. No projection is applied (bulk loads and benchmarks). */
int journal_append_event(store *s, store_event *ev, tr_err *e);

/* Is the visibility string well-formed? */
int journal_visibility_valid(const char *visibility);

/* May this reader see a body with this visibility? */
int journal_visible(const char *visibility, const journal_reader *r);

#endif
