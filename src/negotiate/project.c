/* project.c - how the negotiate pillar's events change its tables: negotiations, profiles, texts,
 * responses and agreements. See journal/projection.h for what a projection may do. */
#include "negotiate/project.h"
#include "negotiate/store.h"

#include "json/jsx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int on_negotiation(store *s, const store_event *ev, const json_t *b, tr_err *e)
{
    json_t *spec = json_deep_copy(b);
    const json_t *opened = json_object_get(b, "id");
    char *text;
    int rc;
    if (!json_is_integer(opened)) {
        json_decref(spec);
        return journal_bad_event(e, ev, "id");
    }
    json_object_del(spec, "id");
    text = jsx_canonical(spec, NULL);
    rc = negotiate_store(s)->negotiation_insert(s, json_integer_value(opened), text,
                                                ev->actor_org ? ev->actor_org : "", ev->time, e);
    free(text);
    json_decref(spec);
    return rc;
}

static int on_profile(store *s, const store_event *ev, const json_t *b, tr_err *e)
{
    const json_t *n = json_object_get(b, "negotiation"), *p = json_object_get(b, "profile");
    const char *org = jsx_str(b, "org", NULL);
    char *text;
    int rc;
    if (!json_is_integer(n) || !org || !json_is_object(p))
        return journal_bad_event(e, ev, "negotiation/org/profile");
    text = jsx_canonical(p, NULL);
    rc = negotiate_store(s)->profile_put(s, json_integer_value(n), org, text, ev->time, e);
    free(text);
    return rc;
}

static int on_text(store *s, const store_event *ev, const json_t *b, tr_err *e)
{
    const json_t *n = json_object_get(b, "negotiation"), *v = json_object_get(b, "n");
    json_t *text;
    char *canon;
    int rc;
    if (!json_is_integer(n) || !json_is_integer(v))
        return journal_bad_event(e, ev, "negotiation/n");
    text = json_deep_copy(b);
    json_object_del(text, "negotiation");
    json_object_del(text, "n");
    canon = jsx_canonical(text, NULL);
    rc = negotiate_store(s)->text_insert(s, json_integer_value(n), (int)json_integer_value(v),
                                         canon, ev->time, e);
    free(canon);
    json_decref(text);
    return rc;
}

static int on_text_sent(store *s, const store_event *ev, const json_t *b, tr_err *e)
{
    const json_t *n = json_object_get(b, "negotiation"), *v = json_object_get(b, "n");
    char *canon;
    int rc;
    if (!json_is_integer(n) || !json_is_integer(v) || !json_is_array(json_object_get(b, "sent_to")))
        return journal_bad_event(e, ev, "negotiation/n/sent_to");
    canon = jsx_canonical(json_object_get(b, "sent_to"), NULL);
    rc = negotiate_store(s)->text_send(s, json_integer_value(n), (int)json_integer_value(v), canon,
                                       e);
    free(canon);
    return rc;
}

static int on_response(store *s, const store_event *ev, const json_t *b, tr_err *e)
{
    const json_t *n = json_object_get(b, "negotiation"), *v = json_object_get(b, "n"),
                 *r = json_object_get(b, "response");
    const char *org = jsx_str(b, "org", NULL);
    char *canon;
    int rc;
    if (!json_is_integer(n) || !json_is_integer(v) || !org || !json_is_object(r))
        return journal_bad_event(e, ev, "negotiation/n/org/response");
    canon = jsx_canonical(r, NULL);
    rc = negotiate_store(s)->response_put(s, json_integer_value(n), (int)json_integer_value(v), org,
                                          canon, ev->time, e);
    free(canon);
    return rc;
}

static int on_agreement(store *s, const store_event *ev, const json_t *b, tr_err *e)
{
    const json_t *a = json_object_get(b, "agreement"), *n = json_object_get(b, "negotiation"),
                 *doc = json_object_get(b, "doc");
    char *canon;
    int rc;
    if (!json_is_integer(a) || !json_is_integer(n) || !json_is_object(doc))
        return journal_bad_event(e, ev, "agreement/negotiation/doc");
    canon = jsx_canonical(doc, NULL);
    rc = negotiate_store(s)->agreement_insert(s, json_integer_value(a), json_integer_value(n),
                                              canon, "drafted", ev->time, e);
    free(canon);
    return rc;
}

/* An agreement signed elsewhere, recorded by a mediator: public, no negotiation. */
static int on_recorded(store *s, const store_event *ev, const json_t *b, tr_err *e)
{
    const json_t *a = json_object_get(b, "agreement"), *doc = json_object_get(b, "doc");
    if (!json_is_integer(a) || !json_is_object(doc))
        return journal_bad_event(e, ev, "agreement/doc");
    char *canon = jsx_canonical(doc, NULL);
    int rc = negotiate_store(s)->agreement_insert(s, json_integer_value(a), 0, canon, "recorded",
                                                  ev->time, e);
    free(canon);
    return rc;
}

static int on_signed(store *s, const store_event *ev, const json_t *b, tr_err *e)
{
    const json_t *a = json_object_get(b, "agreement");
    const char *org = jsx_str(b, "org", NULL), *pk = jsx_str(b, "public_key", NULL),
               *sig = jsx_str(b, "signature", NULL);
    if (!json_is_integer(a) || !org || !pk || !sig)
        return journal_bad_event(e, ev, "agreement/org/key/signature");
    return negotiate_store(s)->signature_put(s, json_integer_value(a), org, pk, sig, ev->time, e);
}

static int on_in_force(store *s, const store_event *ev, const json_t *b, tr_err *e)
{
    const json_t *a = json_object_get(b, "agreement"), *n = json_object_get(b, "negotiation");
    if (!json_is_integer(a) || !json_is_integer(n))
        return journal_bad_event(e, ev, "agreement/negotiation");
    if (negotiate_store(s)->agreement_state(s, json_integer_value(a), "in_force", e)) return -1;
    return negotiate_store(s)->negotiation_state(s, json_integer_value(n), "agreed", e);
}

static int on_abandoned(store *s, const store_event *ev, const json_t *b, tr_err *e)
{
    const json_t *n = json_object_get(b, "negotiation");
    if (!json_is_integer(n)) return journal_bad_event(e, ev, "negotiation");
    return negotiate_store(s)->negotiation_state(s, json_integer_value(n), "abandoned", e);
}

const journal_projection negotiate_projections[] = {
    {"negotiation.opened", on_negotiation},
    {"negotiation.profile_set", on_profile},
    {"negotiation.text_posted", on_text},
    {"negotiation.text_sent", on_text_sent},
    {"negotiation.response", on_response},
    {"agreement.drafted", on_agreement},
    {"agreement.recorded", on_recorded},
    {"agreement.signed", on_signed},
    {"agreement.in_force", on_in_force},
    {"negotiation.abandoned", on_abandoned},
    {NULL, NULL},
};
