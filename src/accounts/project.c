/* project.c - how the accounts pillar's events change its tables: organizations, users, tokens,
 * signing keys, the deployment and its scenario. See journal/projection.h for what a projection may
 * do. */
#include "accounts/project.h"
#include "accounts/store.h"

#include "json/jsx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int on_deployment(store *s, const store_event *ev, const json_t *b, tr_err *e)
{
    const char *name = jsx_str(b, "name", NULL);
    if (!name) return journal_bad_event(e, ev, "name");
    if (s->ops->meta_set(s, "name", name, e)) return -1;
    return s->ops->meta_set(s, "initialized_at", ev->time, e);
}

static int on_org(store *s, const store_event *ev, const json_t *b, tr_err *e)
{
    store_org o = {0};
    JOURNAL_COPY(o.slug, b, "slug");
    JOURNAL_COPY(o.name, b, "name");
    JOURNAL_COPY(o.kind, b, "kind");
    snprintf(o.created_at, sizeof o.created_at, "%s", ev->time);
    return accounts_store(s)->org_insert(s, &o, e);
}

static int on_org_actors(store *s, const store_event *ev, const json_t *b, tr_err *e)
{
    char org[STORE_SLUG_MAX];
    const json_t *list = json_object_get(b, "actors"), *a;
    const char *actors[STORE_MAX_ACTORS];
    size_t i, n = 0;
    JOURNAL_COPY(org, b, "org");
    if (!json_is_array(list) || json_array_size(list) > STORE_MAX_ACTORS)
        return journal_bad_event(e, ev, "actors");
    json_array_foreach(list, i, a)
    {
        if (!json_is_string(a)) return journal_bad_event(e, ev, "actors");
        actors[n++] = json_string_value(a);
    }
    return accounts_store(s)->org_actors_set(s, org, actors, n, e);
}

static int on_user(store *s, const store_event *ev, const json_t *b, tr_err *e)
{
    store_user u = {0};
    JOURNAL_COPY(u.name, b, "name");
    JOURNAL_COPY(u.display, b, "display");
    JOURNAL_COPY(u.org, b, "org");
    JOURNAL_COPY(u.pwhash, b, "pwhash");
    u.admin = jsx_bool(b, "admin", 0);
    snprintf(u.created_at, sizeof u.created_at, "%s", ev->time);
    return accounts_store(s)->user_insert(s, &u, e);
}

static int on_rehash(store *s, const store_event *ev, const json_t *b, tr_err *e)
{
    char name[STORE_NAME_MAX], pwhash[sizeof((store_user *)0)->pwhash];
    JOURNAL_COPY(name, b, "name");
    JOURNAL_COPY(pwhash, b, "pwhash");
    return accounts_store(s)->user_set_pwhash(s, name, pwhash, e);
}

static int on_token(store *s, const store_event *ev, const json_t *b, tr_err *e)
{
    store_token t = {0};
    JOURNAL_COPY(t.id, b, "id");
    JOURNAL_COPY(t.hash, b, "hash");
    JOURNAL_COPY(t.user, b, "user");
    JOURNAL_COPY(t.label, b, "label");
    snprintf(t.created_at, sizeof t.created_at, "%s", ev->time);
    return accounts_store(s)->token_insert(s, &t, e);
}

static int on_token_revoked(store *s, const store_event *ev, const json_t *b, tr_err *e)
{
    const char *id = jsx_str(b, "id", NULL);
    if (!id) return journal_bad_event(e, ev, "id");
    return accounts_store(s)->token_revoke(s, id, ev->time, e);
}

static int on_org_key(store *s, const store_event *ev, const json_t *b, tr_err *e)
{
    store_org_key k = {0};
    JOURNAL_COPY(k.id, b, "id");
    JOURNAL_COPY(k.org, b, "org");
    JOURNAL_COPY(k.public_key, b, "public_key");
    snprintf(k.created_at, sizeof k.created_at, "%s", ev->time);
    return accounts_store(s)->org_key_insert(s, &k, e);
}

static int on_scenario(store *s, const store_event *ev, const json_t *b, tr_err *e)
{
    const char *name = jsx_str(b, "name", NULL);
    if (!name) return journal_bad_event(e, ev, "name");
    return s->ops->meta_set(s, "scenario", name, e);
}

const journal_projection accounts_projections[] = {
    {"deployment.initialized", on_deployment}, {"org.created", on_org},
    {"org.actors_set", on_org_actors},         {"user.created", on_user},
    {"user.password_rehashed", on_rehash},     {"token.created", on_token},
    {"token.revoked", on_token_revoked},       {"scenario.loaded", on_scenario},
    {"org_key.registered", on_org_key},        {NULL, NULL},
};
