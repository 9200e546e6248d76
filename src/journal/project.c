/* project.c - one projection per event type; see project.h.
 *
 * Bodies reaching these functions were validated by the service that recorded them, so a
 * missing key here is a programming error, reported as journal.bad_event. */
#include "journal/project.h"

#include "json/jsx.h"
#include "monitor/acled.h"  /* a batch of imported incidents */
#include "monitor/export.h" /* an incident's CSV row is part of its projection */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int bad(tr_err *e, const store_event *ev, const char *key)
{
    return err_set(e, 500, "journal.bad_event", NULL, "event %s lacks '%s'", ev->type, key);
}

#define COPY(dst, body, key)                                                                       \
    do {                                                                                           \
        const char *v_ = jsx_str(body, key, NULL);                                                 \
        if (!v_) return bad(e, ev, key);                                                           \
        snprintf(dst, sizeof dst, "%s", v_);                                                       \
    } while (0)

static int on_deployment(store *s, const store_event *ev, const json_t *b, tr_err *e)
{
    const char *name = jsx_str(b, "name", NULL);
    if (!name) return bad(e, ev, "name");
    if (s->ops->meta_set(s, "name", name, e)) return -1;
    return s->ops->meta_set(s, "initialized_at", ev->time, e);
}

static int on_org(store *s, const store_event *ev, const json_t *b, tr_err *e)
{
    store_org o = {0};
    COPY(o.slug, b, "slug");
    COPY(o.name, b, "name");
    COPY(o.kind, b, "kind");
    snprintf(o.created_at, sizeof o.created_at, "%s", ev->time);
    return s->ops->org_insert(s, &o, e);
}

static int on_org_actors(store *s, const store_event *ev, const json_t *b, tr_err *e)
{
    char org[STORE_SLUG_MAX];
    const json_t *list = json_object_get(b, "actors"), *a;
    const char *actors[STORE_MAX_ACTORS];
    size_t i, n = 0;
    COPY(org, b, "org");
    if (!json_is_array(list) || json_array_size(list) > STORE_MAX_ACTORS)
        return bad(e, ev, "actors");
    json_array_foreach(list, i, a)
    {
        if (!json_is_string(a)) return bad(e, ev, "actors");
        actors[n++] = json_string_value(a);
    }
    return s->ops->org_actors_set(s, org, actors, n, e);
}

static int on_user(store *s, const store_event *ev, const json_t *b, tr_err *e)
{
    store_user u = {0};
    COPY(u.name, b, "name");
    COPY(u.display, b, "display");
    COPY(u.org, b, "org");
    COPY(u.pwhash, b, "pwhash");
    u.admin = jsx_bool(b, "admin", 0);
    snprintf(u.created_at, sizeof u.created_at, "%s", ev->time);
    return s->ops->user_insert(s, &u, e);
}

static int on_rehash(store *s, const store_event *ev, const json_t *b, tr_err *e)
{
    char name[STORE_NAME_MAX], pwhash[sizeof((store_user *)0)->pwhash];
    COPY(name, b, "name");
    COPY(pwhash, b, "pwhash");
    return s->ops->user_set_pwhash(s, name, pwhash, e);
}

static int on_token(store *s, const store_event *ev, const json_t *b, tr_err *e)
{
    store_token t = {0};
    COPY(t.id, b, "id");
    COPY(t.hash, b, "hash");
    COPY(t.user, b, "user");
    COPY(t.label, b, "label");
    snprintf(t.created_at, sizeof t.created_at, "%s", ev->time);
    return s->ops->token_insert(s, &t, e);
}

static int on_token_revoked(store *s, const store_event *ev, const json_t *b, tr_err *e)
{
    const char *id = jsx_str(b, "id", NULL);
    if (!id) return bad(e, ev, "id");
    return s->ops->token_revoke(s, id, ev->time, e);
}

static int on_crossing(store *s, const store_event *ev, const json_t *b, tr_err *e)
{
    store_crossing c = {0};
    COPY(c.slug, b, "slug");
    COPY(c.name, b, "name");
    COPY(c.notes, b, "notes");
    c.lat = jsx_num(b, "lat", 0);
    c.lon = jsx_num(b, "lon", 0);
    return s->ops->crossing_insert(s, &c, e);
}

static int on_zone(store *s, const store_event *ev, const json_t *b, tr_err *e)
{
    const char *slug = jsx_str(b, "slug", NULL), *name = jsx_str(b, "name", NULL),
               *kind = jsx_str(b, "kind", NULL);
    const json_t *geom = json_object_get(b, "geometry");
    char *text;
    int rc;
    if (!slug || !name || !kind || !geom) return bad(e, ev, "slug/name/kind/geometry");
    text = jsx_canonical(geom, NULL);
    rc = s->ops->zone_insert(s, slug, name, kind, text, e);
    free(text);
    return rc;
}

static int on_org_key(store *s, const store_event *ev, const json_t *b, tr_err *e)
{
    store_org_key k = {0};
    COPY(k.id, b, "id");
    COPY(k.org, b, "org");
    COPY(k.public_key, b, "public_key");
    snprintf(k.created_at, sizeof k.created_at, "%s", ev->time);
    return s->ops->org_key_insert(s, &k, e);
}

static int on_negotiation(store *s, const store_event *ev, const json_t *b, tr_err *e)
{
    json_t *spec = json_deep_copy(b);
    const json_t *opened = json_object_get(b, "id");
    char *text;
    int rc;
    if (!json_is_integer(opened)) {
        json_decref(spec);
        return bad(e, ev, "id");
    }
    json_object_del(spec, "id");
    text = jsx_canonical(spec, NULL);
    rc = s->ops->negotiation_insert(s, json_integer_value(opened), text,
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
        return bad(e, ev, "negotiation/org/profile");
    text = jsx_canonical(p, NULL);
    rc = s->ops->profile_put(s, json_integer_value(n), org, text, ev->time, e);
    free(text);
    return rc;
}

static int on_text(store *s, const store_event *ev, const json_t *b, tr_err *e)
{
    const json_t *n = json_object_get(b, "negotiation"), *v = json_object_get(b, "n");
    json_t *text;
    char *canon;
    int rc;
    if (!json_is_integer(n) || !json_is_integer(v)) return bad(e, ev, "negotiation/n");
    text = json_deep_copy(b);
    json_object_del(text, "negotiation");
    json_object_del(text, "n");
    canon = jsx_canonical(text, NULL);
    rc = s->ops->text_insert(s, json_integer_value(n), (int)json_integer_value(v), canon, ev->time,
                             e);
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
        return bad(e, ev, "negotiation/n/sent_to");
    canon = jsx_canonical(json_object_get(b, "sent_to"), NULL);
    rc = s->ops->text_send(s, json_integer_value(n), (int)json_integer_value(v), canon, e);
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
        return bad(e, ev, "negotiation/n/org/response");
    canon = jsx_canonical(r, NULL);
    rc = s->ops->response_put(s, json_integer_value(n), (int)json_integer_value(v), org, canon,
                              ev->time, e);
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
        return bad(e, ev, "agreement/negotiation/doc");
    canon = jsx_canonical(doc, NULL);
    rc = s->ops->agreement_insert(s, json_integer_value(a), json_integer_value(n), canon, ev->time,
                                  e);
    free(canon);
    return rc;
}

static int on_signed(store *s, const store_event *ev, const json_t *b, tr_err *e)
{
    const json_t *a = json_object_get(b, "agreement");
    const char *org = jsx_str(b, "org", NULL), *pk = jsx_str(b, "public_key", NULL),
               *sig = jsx_str(b, "signature", NULL);
    if (!json_is_integer(a) || !org || !pk || !sig)
        return bad(e, ev, "agreement/org/key/signature");
    return s->ops->signature_put(s, json_integer_value(a), org, pk, sig, ev->time, e);
}

static int on_in_force(store *s, const store_event *ev, const json_t *b, tr_err *e)
{
    const json_t *a = json_object_get(b, "agreement"), *n = json_object_get(b, "negotiation");
    if (!json_is_integer(a) || !json_is_integer(n)) return bad(e, ev, "agreement/negotiation");
    if (s->ops->agreement_state(s, json_integer_value(a), "in_force", e)) return -1;
    return s->ops->negotiation_state(s, json_integer_value(n), "agreed", e);
}

static int on_abandoned(store *s, const store_event *ev, const json_t *b, tr_err *e)
{
    const json_t *n = json_object_get(b, "negotiation");
    if (!json_is_integer(n)) return bad(e, ev, "negotiation");
    return s->ops->negotiation_state(s, json_integer_value(n), "abandoned", e);
}

/* One incident row from its document. The bulk ACLED import (monitor/acled.c) fills the
 * same row from the same values without parsing the document it has just encoded; its
 * tests rebuild from the journal and compare. */
static int incident_row(store *s, const store_event *ev, const json_t *doc, int64_t id,
                        const char *status, const char *provenance, tr_err *e)
{
    store_incident in = {0};
    char *canon;
    int rc;
    if (!json_is_object(doc)) return bad(e, ev, "incident");
    canon = jsx_canonical(doc, NULL);
    in.id = id;
    in.external_id = jsx_str(doc, "event_id_cnty", NULL);
    in.status = status;
    in.provenance = provenance;
    in.event_date = jsx_str(doc, "event_date", "");
    in.event_type = jsx_str(doc, "event_type", "");
    in.latitude = jsx_num(doc, "latitude", 0);
    in.longitude = jsx_num(doc, "longitude", 0);
    in.fatalities = (int64_t)jsx_num(doc, "fatalities", 0);
    in.doc = canon;
    in.updated_at = ev->time;
    in.actor1 = jsx_str(doc, "actor1", NULL);
    in.actor2 = jsx_str(doc, "actor2", NULL);
    in.seq = ev->seq;
    const char *zones[64];
    const json_t *tags = json_object_get(doc, "zones"), *tag;
    size_t i;
    json_array_foreach(tags, i, tag) if (json_is_string(tag) && in.n_zones < 64)
        zones[in.n_zones++] = json_string_value(tag);
    in.zones = zones;
    buf line = BUF_INIT;
    export_acled_row_doc(doc, &line);
    in.acled_csv = line.p;
    rc = s->ops->incident_upsert(s, &in, e);
    buf_free(&line);
    free(canon);
    return rc;
}

static int on_incident_with_id(store *s, const store_event *ev, const json_t *b, int64_t id,
                               tr_err *e)
{
    return incident_row(s, ev, json_object_get(b, "incident"), id, jsx_str(b, "status", "reported"),
                        jsx_str(b, "provenance", "report"), e);
}

/* A batch of imported incidents: its rows as compressed CSV (acled.h), or, in journals
 * written before, {"incidents": [doc...], "provenance", "status"}. */
static int on_incidents_imported(store *s, const store_event *ev, const json_t *b, tr_err *e)
{
    if (json_object_get(b, "format")) return acled_project(s, ev, b, e);
    const json_t *docs = json_object_get(b, "incidents"), *doc;
    const char *status = jsx_str(b, "status", NULL), *prov = jsx_str(b, "provenance", NULL);
    size_t i;
    if (!json_is_array(docs) || !status || !prov) return bad(e, ev, "incidents/status/provenance");
    json_array_foreach(docs, i, doc) if (incident_row(s, ev, doc, 0, status, prov, e)) return -1;
    return 0;
}

static int on_report(store *s, const store_event *ev, const json_t *b, tr_err *e)
{
    const json_t *id = json_object_get(b, "report"), *doc = json_object_get(b, "doc");
    const char *org = jsx_str(b, "org", NULL);
    char *canon;
    int rc;
    if (!json_is_integer(id) || !org || !json_is_object(doc)) return bad(e, ev, "report/org/doc");
    canon = jsx_canonical(doc, NULL);
    rc = s->ops->report_insert(s, json_integer_value(id), org, canon, ev->time,
                               jsx_str(b, "idempotency_key", NULL),
                               jsx_str(b, "request_sha256", NULL), ev->seq, e);
    free(canon);
    return rc;
}

static int on_incident(store *s, const store_event *ev, const json_t *b, tr_err *e)
{
    return on_incident_with_id(s, ev, b, 0, e);
}

/* The Idempotency-Key an incident's event came with (opened, moved), kept per organization
 * with the request's hash and the event, so that a resent request finds what it did. */
static int key_put(store *s, const store_event *ev, const json_t *b, int64_t incident, tr_err *e)
{
    const char *key = jsx_str(b, "idempotency_key", NULL);
    if (!key) return 0;
    return s->ops->incident_key_put(s, ev->actor_org ? ev->actor_org : "", key,
                                    jsx_str(b, "request_sha256", ""), incident, ev->seq, e);
}

static int on_incident_opened(store *s, const store_event *ev, const json_t *b, tr_err *e)
{
    const json_t *id = json_object_get(b, "id"), *reports = json_object_get(b, "reports"), *r;
    size_t i;
    if (!json_is_integer(id)) return bad(e, ev, "id");
    json_t *copy = json_deep_copy(b);
    json_object_del(copy, "reports");
    json_object_del(copy, "idempotency_key");
    json_object_del(copy, "request_sha256");
    int rc = on_incident_with_id(s, ev, copy, json_integer_value(id), e);
    json_decref(copy);
    if (rc) return rc;
    if (key_put(s, ev, b, json_integer_value(id), e)) return -1;
    json_array_foreach(
        reports, i,
        r) if (s->ops->report_merge(s, json_integer_value(r), json_integer_value(id), e)) return -1;
    return 0;
}

static int on_report_merged(store *s, const store_event *ev, const json_t *b, tr_err *e)
{
    const json_t *report = json_object_get(b, "report"), *incident = json_object_get(b, "incident");
    if (!json_is_integer(report) || !json_is_integer(incident))
        return bad(e, ev, "report/incident");
    if (s->ops->incident_event_add(s, json_integer_value(incident), ev->seq, e)) return -1;
    return s->ops->report_merge(s, json_integer_value(report), json_integer_value(incident), e);
}

/* "incident:N" -> N, else 0. */
static int64_t subject_incident(const char *subject)
{
    long long n;
    char tail;
    return subject && sscanf(subject, "incident:%lld%c", &n, &tail) == 1 && n > 0 ? n : 0;
}

static int on_dismissed(store *s, const store_event *ev, const json_t *b, tr_err *e)
{
    const char *subject = jsx_str(b, "subject", NULL);
    const json_t *candidate = json_object_get(b, "candidate");
    long long a;
    char back[48];
    if (!subject || !json_is_integer(candidate)) return bad(e, ev, "subject/candidate");
    if (s->ops->dismiss_put(s, subject, json_integer_value(candidate), e) ||
        s->ops->incident_event_add(s, json_integer_value(candidate), ev->seq, e) ||
        (subject_incident(subject) &&
         s->ops->incident_event_add(s, subject_incident(subject), ev->seq, e)))
        return -1;
    /* Between two incidents it goes both ways. */
    if (sscanf(subject, "incident:%lld", &a) != 1) return 0;
    snprintf(back, sizeof back, "incident:%lld", (long long)json_integer_value(candidate));
    return s->ops->dismiss_put(s, back, a, e);
}

static int on_incident_transition(store *s, const store_event *ev, const json_t *b, tr_err *e)
{
    const json_t *id = json_object_get(b, "incident");
    const char *to = jsx_str(b, "to", NULL);
    if (!json_is_integer(id) || !to) return bad(e, ev, "incident/to");
    if (s->ops->incident_event_add(s, json_integer_value(id), ev->seq, e) ||
        key_put(s, ev, b, json_integer_value(id), e))
        return -1;
    if (strcmp(to, "duplicate") == 0) {
        const json_t *into = json_object_get(b, "into");
        if (!json_is_integer(into)) return bad(e, ev, "into");
        if (s->ops->incident_event_add(s, json_integer_value(into), ev->seq, e)) return -1;
        return s->ops->incident_merge(s, json_integer_value(id), json_integer_value(into), ev->time,
                                      e);
    }
    return s->ops->incident_status(s, json_integer_value(id), to, ev->time, e);
}

static int on_evidence(store *s, const store_event *ev, const json_t *b, tr_err *e)
{
    store_evidence x = {0};
    const json_t *size = json_object_get(b, "size");
    COPY(x.sha256, b, "sha256");
    COPY(x.org, b, "org");
    COPY(x.media_type, b, "media_type");
    if (!json_is_integer(size)) return bad(e, ev, "size");
    x.size = json_integer_value(size);
    snprintf(x.stored_at, sizeof x.stored_at, "%s", ev->time);
    return s->ops->evidence_insert(s, &x, e);
}

static int on_private(store *s, const store_event *ev, const json_t *b, tr_err *e)
{
    const char *subject = jsx_str(b, "subject", NULL);
    const json_t *fields = json_object_get(b, "fields");
    if (!subject || !json_is_object(fields)) return bad(e, ev, "subject/fields");
    if (subject_incident(subject) &&
        s->ops->incident_event_add(s, subject_incident(subject), ev->seq, e))
        return -1;
    char *text = jsx_canonical(fields, NULL);
    int rc = s->ops->private_put(s, subject, text, e);
    free(text);
    return rc;
}

static int on_scenario(store *s, const store_event *ev, const json_t *b, tr_err *e)
{
    const char *name = jsx_str(b, "name", NULL);
    if (!name) return bad(e, ev, "name");
    return s->ops->meta_set(s, "scenario", name, e);
}

static const struct {
    const char *type;
    int (*apply)(store *s, const store_event *ev, const json_t *body, tr_err *e);
} projections[] = {
    {"deployment.initialized", on_deployment},
    {"org.created", on_org},
    {"org.actors_set", on_org_actors},
    {"user.created", on_user},
    {"user.password_rehashed", on_rehash},
    {"token.created", on_token},
    {"token.revoked", on_token_revoked},
    {"crossing.created", on_crossing},
    {"zone.created", on_zone},
    {"scenario.loaded", on_scenario},
    {"org_key.registered", on_org_key},
    {"negotiation.opened", on_negotiation},
    {"negotiation.profile_set", on_profile},
    {"negotiation.text_posted", on_text},
    {"negotiation.text_sent", on_text_sent},
    {"negotiation.response", on_response},
    {"agreement.drafted", on_agreement},
    {"agreement.signed", on_signed},
    {"agreement.in_force", on_in_force},
    {"negotiation.abandoned", on_abandoned},
    {"incident.imported", on_incident},
    {"incidents.imported", on_incidents_imported},
    {"report.filed", on_report},
    {"report.merged", on_report_merged},
    {"duplicate.dismissed", on_dismissed},
    {"incident.opened", on_incident_opened},
    {"incident.transition", on_incident_transition},
    {"evidence.stored", on_evidence},
    {"private.fields", on_private},
};

#define N_PROJECTIONS (sizeof projections / sizeof projections[0])

int project_known(const char *type)
{
    for (size_t i = 0; i < N_PROJECTIONS; i++)
        if (strcmp(projections[i].type, type) == 0) return 1;
    return 0;
}

int project_apply(store *s, const store_event *ev, const json_t *body, tr_err *e)
{
    for (size_t i = 0; i < N_PROJECTIONS; i++)
        if (strcmp(projections[i].type, ev->type) == 0) return projections[i].apply(s, ev, body, e);
    return err_set(e, 500, "journal.unknown_type", NULL, "no projection for event '%s'", ev->type);
}
