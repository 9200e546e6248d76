/* service_int.h - what the negotiation service's files share (service.c, agreements.c):
 * loading a negotiation as a member sees it, and small checks. Not for other modules. */
#ifndef TRUCE_NEGOTIATE_SERVICE_INT_H
#define TRUCE_NEGOTIATE_SERVICE_INT_H

#include "negotiate/service.h"

/* The issue of that name in the negotiation's issues, or NULL. */
const json_t *nsvc__find_issue(const json_t *issues, const char *name);
/* Whether slug is in the JSON array of strings. */
/* 400 request.invalid_field naming field. Returns -1. */
int nsvc__invalid(tr_err *e, const char *field, const char *hint, const char *msg);
/* The negotiation's spec as the caller, a member, may see it, and *role ("party" or
 * "mediator"); 404 negotiation.not_found for anyone else. New reference. */
json_t *nsvc__load(store *s, const acct_caller *by, int64_t id, const char **role, tr_err *e);
/* The same, for a caller of role `want` of an open negotiation (403, 409 otherwise). */
json_t *nsvc__load_role(store *s, const acct_caller *by, int64_t id, const char *want, tr_err *e);
/* "org:a org:b ..." for every member: the audience of a member-visible event. */
void nsvc__members_visibility(const json_t *spec, buf *out);
/* A store scan callback: each store_doc's JSON into the object cls, by organization. */
int nsvc__collect_doc(void *cls, const void *row);

#endif
