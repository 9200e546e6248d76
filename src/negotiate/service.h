/* service.h - mediated negotiation: negotiations and the parties' private profiles.
 *
 * A mediator organization opens a negotiation between parties (organizations of kind
 * party) and mediators (kind mediator) over issues with options. Only its members (its
 * parties and mediators) can see it; to anyone else it does not exist (404). Each party
 * puts its own profile - weights, option values, reservation value, red lines and a
 * disclosure level - which only that party can read back; every version is journaled as a
 * confidential event (visibility org:PARTY, salted), so the public log shows that a
 * profile changed and nothing else.
 *
 * Texts, responses, suggestions and the signed agreement build on this (next issue
 * work); see docs/architecture.md. */
#ifndef TRUCE_NEGOTIATE_SERVICE_H
#define TRUCE_NEGOTIATE_SERVICE_H

#include "accounts/accounts.h"
#include "journal/journal.h"
#include "json/jsx.h"
#include "store/store.h"

#include <jansson.h>

/* {"title", "parties": [slug], "mediators": [slug], "issues": [{"name", "options": [...]}]} */
extern const jsx_field nsvc_negotiation_fields[];
/* {"weights", "values", "reservation"?, "red_lines"?, "disclosure"?} */
extern const jsx_field nsvc_profile_fields[];

/* Opens a negotiation (input checked against nsvc_negotiation_fields); sets *id. */
int nsvc_open(store *s, const journal_actor *who, const acct_caller *by, const json_t *in,
              int64_t *id, tr_err *e);
/* The negotiation as its members see it: {"id", "state", "title", "parties", "mediators",
 * "issues", "role"}; 404 negotiation.not_found for non-members. New reference. */
json_t *nsvc_get(store *s, const acct_caller *by, int64_t id, tr_err *e);
/* Every negotiation the caller is a party or a mediator of, as nsvc_get shows each (with
 * its "id"), oldest first: a JSON array (empty when there are none), or NULL on a failure. */
json_t *nsvc_list(store *s, const acct_caller *by, tr_err *e);
/* Puts the caller's profile (input checked against nsvc_profile_fields). */
int nsvc_profile_put(store *s, const journal_actor *who, const acct_caller *by, int64_t id,
                     const json_t *in, tr_err *e);
/* The caller's own profile with its version; 404 profile.not_found when none. */
json_t *nsvc_profile_get(store *s, const acct_caller *by, int64_t id, tr_err *e);

/* {"package": {ISSUE: OPTION}, "rationale"?: {ISSUE: TEXT}, "override_reason"?: TEXT} */
extern const jsx_field nsvc_text_fields[];
/* {"to"?: [party slugs]} */
extern const jsx_field nsvc_send_fields[];
/* {"overall": accept|reject, "terms"?: {ISSUE: {"stance", "counter"?, "comment"?,
 * "visibility"?}}} */
extern const jsx_field nsvc_response_fields[];

/* A mediator posts the next version of the negotiating text; sets *n. A text the engine
 * flags one-sided (over the parties that disclose their gains) is refused with 409
 * text.one_sided unless override_reason is given. The engine works within the server's
 * limits (NSVC_ANALYSIS_MS, points, candidates): past them the analysis says
 * "available": false and why, and the text is taken unflagged. */
int nsvc_text_post(store *s, const journal_actor *who, const acct_caller *by, int64_t id,
                   const json_t *in, int *n, tr_err *e);

/* nsvc_text_post in two steps, so that the engine never runs inside the single writer:
 * prepare checks the text and analyses it (on a reader, on the request's thread) and
 * records which profiles it analysed; commit, inside the write transaction, checks again
 * what may have changed meanwhile (the negotiation still open; the profiles the same, or
 * 409 text.stale) and journals the text. */
typedef struct nsvc_text_prep {
    json_t *analysis;           /* The engine's view for the mediators (owned). */
    unsigned char profiles[32]; /* SHA-256 of the profiles analysed. */
} nsvc_text_prep;
int nsvc_text_prepare(store *s, const acct_caller *by, int64_t id, const json_t *in,
                      nsvc_text_prep *out, tr_err *e);
int nsvc_text_commit(store *s, const journal_actor *who, const acct_caller *by, int64_t id,
                     const json_t *in, const nsvc_text_prep *prep, int *n, tr_err *e);
void nsvc_text_prep_free(nsvc_text_prep *prep);

/* How long one analysis may run on a server thread, in milliseconds. */
#define NSVC_ANALYSIS_MS 2000
/* A mediator sends version n to parties (all when "to" is absent). */
int nsvc_text_send(store *s, const journal_actor *who, const acct_caller *by, int64_t id, int n,
                   const json_t *in, tr_err *e);
/* Version n as the caller may see it: mediators get everything (analysis within the
 * parties' disclosure, all responses); a party gets it only once it was sent to it, with
 * what the text is worth to it and its own response. */
json_t *nsvc_text_get(store *s, const acct_caller *by, int64_t id, int n, tr_err *e);
/* The same with the mediators' analysis given (new reference taken), not computed again:
 * for the reply to the post that just analysed it. */
json_t *nsvc_text_view(store *s, const acct_caller *by, int64_t id, int n, json_t *analysis,
                       tr_err *e);
/* A party answers version n (sent to it); a second answer replaces the first and
 * *replaced says so. */
int nsvc_respond(store *s, const journal_actor *who, const acct_caller *by, int64_t id, int n,
                 const json_t *in, int *replaced, tr_err *e);

/* The engine over the parties that disclose their gains (mediators only): outcomes,
 * frontier size, and the Nash, Kalai-Smorodinsky, egalitarian and max-welfare packages
 * with each disclosed party's normalised gain. */
json_t *nsvc_analysis(store *s, const acct_caller *by, int64_t id, tr_err *e);
/* {"text"?: N} */
extern const jsx_field nsvc_suggest_fields[];
/* Packages near version N (the latest by default) that leave every disclosed party at
 * least as well off and one better, fewest changed terms first, and the balanced points. */
json_t *nsvc_suggest(store *s, const acct_caller *by, int64_t id, const json_t *in, tr_err *e);

/* {"reason": TEXT} */
extern const jsx_field nsvc_abandon_fields[];
/* A mediator ends an open negotiation without agreement. */
int nsvc_abandon(store *s, const journal_actor *who, const acct_caller *by, int64_t id,
                 const json_t *in, tr_err *e);

/* {"text": N, "effective": "YYYY-MM-DD", "terms"?: {ISSUE: TEXT}} */
extern const jsx_field nsvc_agreement_fields[];
/* {"org": SLUG, "signature": BASE64} */
extern const jsx_field nsvc_signature_fields[];

/* A mediator drafts the agreement on version `text`, which every party must have accepted
 * (409 agreement.not_accepted naming who has not). Sets *agreement. */
int nsvc_agreement_draft(store *s, const journal_actor *who, const acct_caller *by, int64_t id,
                         const json_t *in, int64_t *agreement, tr_err *e);
/* {"id", "state", "agreement": {...}, "signatures": [...]}: the document `truce sign` and
 * `truce agreement verify` read. Members only. */
json_t *nsvc_agreement_get(store *s, const acct_caller *by, int64_t agreement, tr_err *e);

/* An agreement signed elsewhere, recorded by a mediator or an administrator (input checked
 * against nsvc_record_fields: title, parties, mediators, effective, terms {REF: TEXT},
 * source?): journaled as agreement.recorded, public; *agreement its id. Its state is
 * `recorded`; day 1 is `effective`. 400 naming a field: a party that is no party
 * organization, an unknown mediator, a date, a term. */
extern const jsx_field nsvc_record_fields[];
int nsvc_agreement_record(store *s, const journal_actor *who, const json_t *in, int64_t *agreement,
                          tr_err *e);
/* A party posts its signature; checked against its organization's registered keys. When
 * every party has signed, the agreement is in force and the negotiation agreed. */
int nsvc_agreement_sign(store *s, const journal_actor *who, const acct_caller *by,
                        int64_t agreement, const json_t *in, tr_err *e);

#endif
