/* store_pg.c - the negotiate pillar's storage on PostgreSQL (negotiate/store.h), through the
 * store's connection (store/pg_pillar.h): store_sqlite.c's operations in PostgreSQL's SQL. */
#include "negotiate/store.h"

#include "store/pg_pillar.h"

#include <stdlib.h>
#include <string.h>

static const char agr_get_sql[] =
    "SELECT id, negotiation_id, doc, state, created_at FROM agreements WHERE id = $1";
static const char agr_insert_sql[] =
    "INSERT INTO agreements(id, negotiation_id, doc, state, created_at)"
    " VALUES ($1, NULLIF($2::bigint, 0), $3, $4, $5)";
static const char agr_next_sql[] = "SELECT coalesce(max(id), 0) + 1 FROM agreements";
static const char agr_state_sql[] = "UPDATE agreements SET state = $1 WHERE id = $2";
static const char neg_get_sql[] =
    "SELECT id, spec, state, opened_by, created_at FROM negotiations WHERE id = $1";
static const char neg_insert_sql[] =
    "INSERT INTO negotiations(id, spec, state, opened_by, created_at)"
    " VALUES ($1, $2, 'open', $3, $4)";
static const char neg_next_sql[] = "SELECT coalesce(max(id), 0) + 1 FROM negotiations";
static const char neg_state_sql[] = "UPDATE negotiations SET state = $1 WHERE id = $2";
static const char profile_get_sql[] =
    "SELECT profile, version, updated_at FROM"
    " negotiation_profiles WHERE negotiation_id = $1 AND org = $2";
static const char profile_list_sql[] =
    "SELECT org, profile, version, updated_at FROM negotiation_profiles"
    " WHERE negotiation_id = $1 ORDER BY org";
static const char profile_put_sql[] =
    "INSERT INTO negotiation_profiles AS p(negotiation_id, org, profile, version, updated_at)"
    " VALUES ($1, $2, $3, 1, $4) ON CONFLICT(negotiation_id, org) DO UPDATE SET"
    " profile = excluded.profile, version = p.version + 1, updated_at = excluded.updated_at";
static const char resp_list_sql[] = "SELECT org, response, created_at FROM negotiation_responses"
                                    " WHERE negotiation_id = $1 AND n = $2 ORDER BY org";
static const char resp_put_sql[] =
    "INSERT INTO negotiation_responses(negotiation_id, n, org, response, created_at)"
    " VALUES ($1, $2, $3, $4, $5) ON CONFLICT(negotiation_id, n, org) DO UPDATE SET"
    " response = excluded.response, created_at = excluded.created_at";
static const char sig_list_sql[] =
    "SELECT org, public_key, signature, created_at FROM agreement_signatures"
    " WHERE agreement_id = $1 ORDER BY org";
static const char sig_put_sql[] =
    "INSERT INTO agreement_signatures(agreement_id, org, public_key, signature, created_at)"
    " VALUES ($1, $2, $3, $4, $5)";
static const char text_get_sql[] = "SELECT text, sent_to, created_at FROM negotiation_texts"
                                   " WHERE negotiation_id = $1 AND n = $2";
static const char text_insert_sql[] =
    "INSERT INTO negotiation_texts(negotiation_id, n, text, created_at) VALUES ($1, $2, $3, $4)";
static const char text_next_sql[] = "SELECT coalesce(max(n), 0) + 1 FROM negotiation_texts"
                                    " WHERE negotiation_id = $1";
static const char text_send_sql[] =
    "UPDATE negotiation_texts SET sent_to = $1 WHERE negotiation_id = $2 AND n = $3";

static int done(int64_t changed)
{
    return changed < 0 ? -1 : 0;
}

/* A malloc'd copy of a column, replacing *slot. */
static void dup_into(char **slot, const PGresult *r, int row, int col)
{
    free(*slot);
    *slot = strdup(pgr_text(r, row, col));
    if (!*slot) abort();
}

static int one_id(store *s, const char *sql, int64_t *id, tr_err *e)
{
    return pgi(s, id, e, sql, "") < 0 ? -1 : 0;
}

static int negotiation_next_id(store *s, int64_t *id, tr_err *e)
{
    return one_id(s, neg_next_sql, id, e);
}

static int negotiation_insert(store *s, int64_t id, const char *spec, const char *opened_by,
                              const char *when, tr_err *e)
{
    return done(pgx(s, e, neg_insert_sql, "ittt", id, spec, opened_by, when));
}

static void read_negotiation(const PGresult *r, int i, void *row)
{
    store_negotiation *out = row;
    out->id = pgr_i64(r, i, 0);
    dup_into(&out->spec, r, i, 1);
    pgr_copy(out->state, sizeof out->state, r, i, 2);
    pgr_copy(out->opened_by, sizeof out->opened_by, r, i, 3);
    pgr_copy(out->created_at, sizeof out->created_at, r, i, 4);
}

static int negotiation_get(store *s, int64_t id, store_negotiation *out, tr_err *e)
{
    return pg_row(pgq(s, e, neg_get_sql, "i", id), read_negotiation, out);
}

static int profile_put(store *s, int64_t negotiation, const char *org, const char *profile,
                       const char *when, tr_err *e)
{
    return done(pgx(s, e, profile_put_sql, "ittt", negotiation, org, profile, when));
}

static void read_profile(const PGresult *r, int i, void *row)
{
    store_profile *out = row;
    dup_into(&out->profile, r, i, 0);
    out->version = pgr_int(r, i, 1);
    pgr_copy(out->updated_at, sizeof out->updated_at, r, i, 2);
}

static int profile_get(store *s, int64_t negotiation, const char *org, store_profile *out,
                       tr_err *e)
{
    return pg_row(pgq(s, e, profile_get_sql, "it", negotiation, org), read_profile, out);
}

static void read_profile_doc(const PGresult *r, int i, void *row)
{
    store_doc *d = row;
    *d = (store_doc){pgr_text(r, i, 0), pgr_text(r, i, 1), pgr_int(r, i, 2), pgr_text(r, i, 3)};
}

static int profile_list(store *s, int64_t negotiation, store_row_cb cb, void *cls, tr_err *e)
{
    store_doc d;
    return pg_scan(s, pgq(s, e, profile_list_sql, "i", negotiation), read_profile_doc, &d, cb, cls,
                   e);
}

static int text_insert(store *s, int64_t negotiation, int n, const char *text, const char *when,
                       tr_err *e)
{
    return done(pgx(s, e, text_insert_sql, "idtt", negotiation, n, text, when));
}

static int text_next(store *s, int64_t negotiation, int *n, tr_err *e)
{
    int64_t next;
    if (pgi(s, &next, e, text_next_sql, "i", negotiation) != 1) return -1;
    *n = (int)next;
    return 0;
}

static void read_text(const PGresult *r, int i, void *row)
{
    store_text *out = row;
    dup_into(&out->text, r, i, 0);
    dup_into(&out->sent_to, r, i, 1);
    pgr_copy(out->created_at, sizeof out->created_at, r, i, 2);
}

static int text_get(store *s, int64_t negotiation, int n, store_text *out, tr_err *e)
{
    return pg_row(pgq(s, e, text_get_sql, "id", negotiation, n), read_text, out);
}

static int text_send(store *s, int64_t negotiation, int n, const char *sent_to, tr_err *e)
{
    return done(pgx(s, e, text_send_sql, "tid", sent_to, negotiation, n));
}

static int response_put(store *s, int64_t negotiation, int n, const char *org, const char *response,
                        const char *when, tr_err *e)
{
    return done(pgx(s, e, resp_put_sql, "idttt", negotiation, n, org, response, when));
}

static void read_response_doc(const PGresult *r, int i, void *row)
{
    store_doc *d = row;
    *d = (store_doc){pgr_text(r, i, 0), pgr_text(r, i, 1), 0, pgr_text(r, i, 2)};
}

static int response_list(store *s, int64_t negotiation, int n, store_row_cb cb, void *cls,
                         tr_err *e)
{
    store_doc d;
    return pg_scan(s, pgq(s, e, resp_list_sql, "id", negotiation, n), read_response_doc, &d, cb,
                   cls, e);
}

static int negotiation_state(store *s, int64_t id, const char *state, tr_err *e)
{
    return done(pgx(s, e, neg_state_sql, "ti", state, id));
}

static int agreement_next_id(store *s, int64_t *id, tr_err *e)
{
    return one_id(s, agr_next_sql, id, e);
}

static int agreement_insert(store *s, int64_t id, int64_t negotiation, const char *doc,
                            const char *state, const char *when, tr_err *e)
{
    return done(pgx(s, e, agr_insert_sql, "iittt", id, negotiation, doc, state, when));
}

static void read_agreement(const PGresult *r, int i, void *row)
{
    store_agreement *out = row;
    out->id = pgr_i64(r, i, 0);
    out->negotiation = pgr_i64(r, i, 1);
    dup_into(&out->doc, r, i, 2);
    pgr_copy(out->state, sizeof out->state, r, i, 3);
    pgr_copy(out->created_at, sizeof out->created_at, r, i, 4);
}

static int agreement_get(store *s, int64_t id, store_agreement *out, tr_err *e)
{
    return pg_row(pgq(s, e, agr_get_sql, "i", id), read_agreement, out);
}

static int agreement_state(store *s, int64_t id, const char *state, tr_err *e)
{
    return done(pgx(s, e, agr_state_sql, "ti", state, id));
}

static int signature_put(store *s, int64_t agreement, const char *org, const char *pk,
                         const char *sig, const char *when, tr_err *e)
{
    return done(pgx(s, e, sig_put_sql, "itttt", agreement, org, pk, sig, when));
}

static void read_signature(const PGresult *r, int i, void *row)
{
    store_signature *g = row;
    *g = (store_signature){pgr_text(r, i, 0), pgr_text(r, i, 1), pgr_text(r, i, 2),
                           pgr_text(r, i, 3)};
}

static int signature_list(store *s, int64_t agreement, store_row_cb cb, void *cls, tr_err *e)
{
    store_signature g;
    return pg_scan(s, pgq(s, e, sig_list_sql, "i", agreement), read_signature, &g, cb, cls, e);
}

const negotiate_store_ops negotiate_pg_ops = {
    .negotiation_next_id = negotiation_next_id,
    .negotiation_insert = negotiation_insert,
    .negotiation_get = negotiation_get,
    .profile_put = profile_put,
    .profile_get = profile_get,
    .profile_list = profile_list,
    .text_insert = text_insert,
    .text_next = text_next,
    .text_get = text_get,
    .text_send = text_send,
    .response_put = response_put,
    .response_list = response_list,
    .negotiation_state = negotiation_state,
    .agreement_next_id = agreement_next_id,
    .agreement_insert = agreement_insert,
    .agreement_get = agreement_get,
    .agreement_state = agreement_state,
    .signature_put = signature_put,
    .signature_list = signature_list,
};
