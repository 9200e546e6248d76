/* store_sqlite.c - the negotiate pillar's storage on SQLite (negotiate/store.h), through the
 * store's connection (store/sqlite_pillar.h). */
#include "negotiate/store.h"

#include "store/pg_pillar.h"
#include "store/sqlite_pillar.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char agr_get_sql[] =
    "SELECT id, negotiation_id, doc, state, created_at FROM agreements"
    " WHERE id = ?";

static const char agr_insert_sql[] =
    "INSERT INTO agreements(id, negotiation_id, doc, state, created_at)"
    " VALUES (?, NULLIF(?, 0), ?, ?, ?)";

static const char agr_next_sql[] = "SELECT coalesce(max(id), 0) + 1 FROM agreements";

static const char agr_state_sql[] = "UPDATE agreements SET state = ? WHERE id = ?";

static const char neg_get_sql[] =
    "SELECT id, spec, state, opened_by, created_at FROM negotiations WHERE id = ?";

static const char neg_insert_sql[] =
    "INSERT INTO negotiations(id, spec, state, opened_by, created_at)"
    " VALUES (?, ?, 'open', ?, ?)";

static const char neg_next_sql[] = "SELECT coalesce(max(id), 0) + 1 FROM negotiations";

static const char neg_state_sql[] = "UPDATE negotiations SET state = ? WHERE id = ?";

static const char profile_get_sql[] =
    "SELECT profile, version, updated_at FROM negotiation_profiles"
    " WHERE negotiation_id = ? AND org = ?";

static const char profile_list_sql[] =
    "SELECT org, profile, version, updated_at FROM negotiation_profiles"
    " WHERE negotiation_id = ? ORDER BY org";

static const char profile_put_sql[] =
    "INSERT INTO negotiation_profiles(negotiation_id, org, profile, version,"
    " updated_at) VALUES (?1, ?2, ?3, 1, ?4) ON CONFLICT(negotiation_id, org)"
    " DO UPDATE SET profile = excluded.profile, version = version + 1,"
    " updated_at = excluded.updated_at";

static const char resp_list_sql[] = "SELECT org, response, created_at FROM negotiation_responses"
                                    " WHERE negotiation_id = ? AND n = ? ORDER BY org";

static const char resp_put_sql[] =
    "INSERT INTO negotiation_responses(negotiation_id, n, org, response,"
    " created_at) VALUES (?1, ?2, ?3, ?4, ?5)"
    " ON CONFLICT(negotiation_id, n, org) DO UPDATE SET"
    " response = excluded.response, created_at = excluded.created_at";

static const char sig_list_sql[] =
    "SELECT org, public_key, signature, created_at FROM agreement_signatures"
    " WHERE agreement_id = ? ORDER BY org";

static const char sig_put_sql[] =
    "INSERT INTO agreement_signatures(agreement_id, org, public_key, signature,"
    " created_at) VALUES (?, ?, ?, ?, ?)";

static const char text_get_sql[] = "SELECT text, sent_to, created_at FROM negotiation_texts"
                                   " WHERE negotiation_id = ? AND n = ?";

static const char text_insert_sql[] =
    "INSERT INTO negotiation_texts(negotiation_id, n, text, created_at)"
    " VALUES (?, ?, ?, ?)";

static const char text_next_sql[] = "SELECT coalesce(max(n), 0) + 1 FROM negotiation_texts"
                                    " WHERE negotiation_id = ?";

static const char text_send_sql[] =
    "UPDATE negotiation_texts SET sent_to = ? WHERE negotiation_id = ? AND n = ?";

static int negotiation_next_id(store *s, int64_t *id, tr_err *e)
{
    return sq_scalar(s, sq_stmt(s, neg_next_sql, e), id, e);
}

static int negotiation_insert(store *s, int64_t id, const char *spec, const char *opened_by,
                              const char *when, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, neg_insert_sql, e);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, id);
    sq_bind_text(st, 2, spec);
    sq_bind_text(st, 3, opened_by);
    sq_bind_text(st, 4, when);
    return sq_step_done(s, st, e);
}

static int negotiation_get(store *s, int64_t id, store_negotiation *out, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, neg_get_sql, e);
    int found;
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, id);
    if ((found = sq_step_one(s, st, e)) != 1) return found;
    out->id = sqlite3_column_int64(st, 0);
    free(out->spec);
    out->spec = strdup((const char *)sqlite3_column_text(st, 1));
    sq_col_copy(out->state, sizeof out->state, st, 2);
    sq_col_copy(out->opened_by, sizeof out->opened_by, st, 3);
    sq_col_copy(out->created_at, sizeof out->created_at, st, 4);
    sq_done(st);
    return 1;
}

static int profile_put(store *s, int64_t negotiation, const char *org, const char *profile,
                       const char *when, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, profile_put_sql, e);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, negotiation);
    sq_bind_text(st, 2, org);
    sq_bind_text(st, 3, profile);
    sq_bind_text(st, 4, when);
    return sq_step_done(s, st, e);
}

static int profile_get(store *s, int64_t negotiation, const char *org, store_profile *out,
                       tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, profile_get_sql, e);
    int found;
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, negotiation);
    sq_bind_text(st, 2, org);
    if ((found = sq_step_one(s, st, e)) != 1) return found;
    free(out->profile);
    out->profile = strdup((const char *)sqlite3_column_text(st, 0));
    out->version = sqlite3_column_int(st, 1);
    sq_col_copy(out->updated_at, sizeof out->updated_at, st, 2);
    sq_done(st);
    return 1;
}

static int profile_list(store *s, int64_t negotiation, store_row_cb cb, void *cls, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, profile_list_sql, e);
    int rc;
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, negotiation);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        store_doc d = {(const char *)sqlite3_column_text(st, 0),
                       (const char *)sqlite3_column_text(st, 1), sqlite3_column_int(st, 2),
                       (const char *)sqlite3_column_text(st, 3)};
        if (cb(cls, &d)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    sq_done(st);
    return rc == SQLITE_DONE ? 0 : sq_fail(s, rc, e);
}

static int text_insert(store *s, int64_t negotiation, int n, const char *text, const char *when,
                       tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, text_insert_sql, e);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, negotiation);
    sqlite3_bind_int(st, 2, n);
    sq_bind_text(st, 3, text);
    sq_bind_text(st, 4, when);
    return sq_step_done(s, st, e);
}

static int text_next(store *s, int64_t negotiation, int *n, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, text_next_sql, e);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, negotiation);
    if (sq_step_one(s, st, e) != 1) return -1;
    *n = sqlite3_column_int(st, 0);
    sq_done(st);
    return 0;
}

static int text_get(store *s, int64_t negotiation, int n, store_text *out, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, text_get_sql, e);
    int found;
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, negotiation);
    sqlite3_bind_int(st, 2, n);
    if ((found = sq_step_one(s, st, e)) != 1) return found;
    free(out->text);
    free(out->sent_to);
    out->text = strdup((const char *)sqlite3_column_text(st, 0));
    out->sent_to = strdup((const char *)sqlite3_column_text(st, 1));
    sq_col_copy(out->created_at, sizeof out->created_at, st, 2);
    sq_done(st);
    return 1;
}

static int text_send(store *s, int64_t negotiation, int n, const char *sent_to, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, text_send_sql, e);
    if (!st) return -1;
    sq_bind_text(st, 1, sent_to);
    sqlite3_bind_int64(st, 2, negotiation);
    sqlite3_bind_int(st, 3, n);
    return sq_step_done(s, st, e);
}

static int response_put(store *s, int64_t negotiation, int n, const char *org, const char *response,
                        const char *when, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, resp_put_sql, e);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, negotiation);
    sqlite3_bind_int(st, 2, n);
    sq_bind_text(st, 3, org);
    sq_bind_text(st, 4, response);
    sq_bind_text(st, 5, when);
    return sq_step_done(s, st, e);
}

static int response_list(store *s, int64_t negotiation, int n, store_row_cb cb, void *cls,
                         tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, resp_list_sql, e);
    int rc;
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, negotiation);
    sqlite3_bind_int(st, 2, n);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        store_doc d = {(const char *)sqlite3_column_text(st, 0),
                       (const char *)sqlite3_column_text(st, 1), 0,
                       (const char *)sqlite3_column_text(st, 2)};
        if (cb(cls, &d)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    sq_done(st);
    return rc == SQLITE_DONE ? 0 : sq_fail(s, rc, e);
}

static int negotiation_state(store *s, int64_t id, const char *state, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, neg_state_sql, e);
    if (!st) return -1;
    sq_bind_text(st, 1, state);
    sqlite3_bind_int64(st, 2, id);
    return sq_step_done(s, st, e);
}

static int agreement_next_id(store *s, int64_t *id, tr_err *e)
{
    return sq_scalar(s, sq_stmt(s, agr_next_sql, e), id, e);
}

static int agreement_insert(store *s, int64_t id, int64_t negotiation, const char *doc,
                            const char *state, const char *when, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, agr_insert_sql, e);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, negotiation);
    sq_bind_text(st, 3, doc);
    sq_bind_text(st, 4, state);
    sq_bind_text(st, 5, when);
    return sq_step_done(s, st, e);
}

static int agreement_get(store *s, int64_t id, store_agreement *out, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, agr_get_sql, e);
    int found;
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, id);
    if ((found = sq_step_one(s, st, e)) != 1) return found;
    out->id = sqlite3_column_int64(st, 0);
    out->negotiation = sqlite3_column_int64(st, 1);
    free(out->doc);
    out->doc = strdup((const char *)sqlite3_column_text(st, 2));
    sq_col_copy(out->state, sizeof out->state, st, 3);
    sq_col_copy(out->created_at, sizeof out->created_at, st, 4);
    sq_done(st);
    return 1;
}

static int agreement_state(store *s, int64_t id, const char *state, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, agr_state_sql, e);
    if (!st) return -1;
    sq_bind_text(st, 1, state);
    sqlite3_bind_int64(st, 2, id);
    return sq_step_done(s, st, e);
}

static int signature_put(store *s, int64_t agreement, const char *org, const char *pk,
                         const char *sig, const char *when, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, sig_put_sql, e);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, agreement);
    sq_bind_text(st, 2, org);
    sq_bind_text(st, 3, pk);
    sq_bind_text(st, 4, sig);
    sq_bind_text(st, 5, when);
    return sq_step_done(s, st, e);
}

static int signature_list(store *s, int64_t agreement, store_row_cb cb, void *cls, tr_err *e)
{
    sqlite3_stmt *st = sq_stmt(s, sig_list_sql, e);
    int rc;
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, agreement);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        store_signature g = {
            (const char *)sqlite3_column_text(st, 0), (const char *)sqlite3_column_text(st, 1),
            (const char *)sqlite3_column_text(st, 2), (const char *)sqlite3_column_text(st, 3)};
        if (cb(cls, &g)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    sq_done(st);
    return rc == SQLITE_DONE ? 0 : sq_fail(s, rc, e);
}

static const negotiate_store_ops sqlite_ops = {
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

const negotiate_store_ops *negotiate_store(const store *s)
{
    return sq_is(s) ? &sqlite_ops : pg_is(s) ? &negotiate_pg_ops : NULL;
}
