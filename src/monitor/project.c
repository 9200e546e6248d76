/* project.c - how the monitor pillar's events change its tables: zones, reports, incidents,
 * evidence and private fields. See journal/projection.h for what a projection may do. */
#include "monitor/project.h"
#include "monitor/store.h"

#include "json/jsx.h"
#include "monitor/acled.h"  /* a batch of imported incidents */
#include "monitor/export.h" /* an incident's CSV row is part of its projection */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int on_zone(store *s, const store_event *ev, const json_t *b, tr_err *e)
{
    const char *slug = jsx_str(b, "slug", NULL), *name = jsx_str(b, "name", NULL),
               *kind = jsx_str(b, "kind", NULL);
    const json_t *geom = json_object_get(b, "geometry");
    char *text;
    int rc;
    if (!slug || !name || !kind || !geom)
        return journal_bad_event(e, ev, "slug/name/kind/geometry");
    text = jsx_canonical(geom, NULL);
    rc = monitor_store(s)->zone_insert(s, slug, name, kind, text, e);
    free(text);
    return rc;
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
    if (!json_is_object(doc)) return journal_bad_event(e, ev, "incident");
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
    rc = monitor_store(s)->incident_upsert(s, &in, e);
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
    if (!json_is_array(docs) || !status || !prov)
        return journal_bad_event(e, ev, "incidents/status/provenance");
    json_array_foreach(docs, i, doc) if (incident_row(s, ev, doc, 0, status, prov, e)) return -1;
    return 0;
}

static int on_report(store *s, const store_event *ev, const json_t *b, tr_err *e)
{
    const json_t *id = json_object_get(b, "report"), *doc = json_object_get(b, "doc");
    const char *org = jsx_str(b, "org", NULL);
    char *canon;
    int rc;
    if (!json_is_integer(id) || !org || !json_is_object(doc))
        return journal_bad_event(e, ev, "report/org/doc");
    canon = jsx_canonical(doc, NULL);
    rc = monitor_store(s)->report_insert(s, json_integer_value(id), org, canon, ev->time,
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
    return monitor_store(s)->incident_key_put(s, ev->actor_org ? ev->actor_org : "", key,
                                              jsx_str(b, "request_sha256", ""), incident, ev->seq,
                                              e);
}

static int on_incident_opened(store *s, const store_event *ev, const json_t *b, tr_err *e)
{
    const json_t *id = json_object_get(b, "id"), *reports = json_object_get(b, "reports"), *r;
    size_t i;
    if (!json_is_integer(id)) return journal_bad_event(e, ev, "id");
    json_t *copy = json_deep_copy(b);
    json_object_del(copy, "reports");
    json_object_del(copy, "idempotency_key");
    json_object_del(copy, "request_sha256");
    int rc = on_incident_with_id(s, ev, copy, json_integer_value(id), e);
    json_decref(copy);
    if (rc) return rc;
    if (key_put(s, ev, b, json_integer_value(id), e)) return -1;
    json_array_foreach(reports, i,
                       r) if (monitor_store(s)->report_merge(s, json_integer_value(r),
                                                             json_integer_value(id), e)) return -1;
    return 0;
}

static int on_report_merged(store *s, const store_event *ev, const json_t *b, tr_err *e)
{
    const json_t *report = json_object_get(b, "report"), *incident = json_object_get(b, "incident");
    if (!json_is_integer(report) || !json_is_integer(incident))
        return journal_bad_event(e, ev, "report/incident");
    if (monitor_store(s)->incident_event_add(s, json_integer_value(incident), ev->seq, e))
        return -1;
    return monitor_store(s)->report_merge(s, json_integer_value(report),
                                          json_integer_value(incident), e);
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
    if (!subject || !json_is_integer(candidate))
        return journal_bad_event(e, ev, "subject/candidate");
    if (monitor_store(s)->dismiss_put(s, subject, json_integer_value(candidate), e) ||
        monitor_store(s)->incident_event_add(s, json_integer_value(candidate), ev->seq, e) ||
        (subject_incident(subject) &&
         monitor_store(s)->incident_event_add(s, subject_incident(subject), ev->seq, e)))
        return -1;
    /* Between two incidents it goes both ways. */
    if (sscanf(subject, "incident:%lld", &a) != 1) return 0;
    snprintf(back, sizeof back, "incident:%lld", (long long)json_integer_value(candidate));
    return monitor_store(s)->dismiss_put(s, back, a, e);
}

static int on_incident_transition(store *s, const store_event *ev, const json_t *b, tr_err *e)
{
    const json_t *id = json_object_get(b, "incident");
    const char *to = jsx_str(b, "to", NULL);
    if (!json_is_integer(id) || !to) return journal_bad_event(e, ev, "incident/to");
    if (monitor_store(s)->incident_event_add(s, json_integer_value(id), ev->seq, e) ||
        key_put(s, ev, b, json_integer_value(id), e))
        return -1;
    if (strcmp(to, "duplicate") == 0) {
        const json_t *into = json_object_get(b, "into");
        if (!json_is_integer(into)) return journal_bad_event(e, ev, "into");
        if (monitor_store(s)->incident_event_add(s, json_integer_value(into), ev->seq, e))
            return -1;
        return monitor_store(s)->incident_merge(s, json_integer_value(id), json_integer_value(into),
                                                ev->time, e);
    }
    return monitor_store(s)->incident_status(s, json_integer_value(id), to, ev->time, e);
}

static int on_evidence(store *s, const store_event *ev, const json_t *b, tr_err *e)
{
    store_evidence x = {0};
    const json_t *size = json_object_get(b, "size");
    JOURNAL_COPY(x.sha256, b, "sha256");
    JOURNAL_COPY(x.org, b, "org");
    JOURNAL_COPY(x.media_type, b, "media_type");
    if (!json_is_integer(size)) return journal_bad_event(e, ev, "size");
    x.size = json_integer_value(size);
    snprintf(x.stored_at, sizeof x.stored_at, "%s", ev->time);
    return monitor_store(s)->evidence_insert(s, &x, e);
}

static int on_private(store *s, const store_event *ev, const json_t *b, tr_err *e)
{
    const char *subject = jsx_str(b, "subject", NULL);
    const json_t *fields = json_object_get(b, "fields");
    if (!subject || !json_is_object(fields)) return journal_bad_event(e, ev, "subject/fields");
    if (subject_incident(subject) &&
        monitor_store(s)->incident_event_add(s, subject_incident(subject), ev->seq, e))
        return -1;
    char *text = jsx_canonical(fields, NULL);
    int rc = monitor_store(s)->private_put(s, subject, text, e);
    free(text);
    return rc;
}

const journal_projection monitor_projections[] = {
    {"zone.created", on_zone},
    {"incident.imported", on_incident},
    {"incidents.imported", on_incidents_imported},
    {"report.filed", on_report},
    {"report.merged", on_report_merged},
    {"duplicate.dismissed", on_dismissed},
    {"incident.opened", on_incident_opened},
    {"incident.transition", on_incident_transition},
    {"evidence.stored", on_evidence},
    {"private.fields", on_private},
    {NULL, NULL},
};
