/* journal.c - the single write path; see journal.h. */
#include "journal/journal.h"

#include "core/util.h"
#include "journal/project.h"
#include "json/jsx.h"

#include <stdlib.h>
#include <string.h>

const journal_actor journal_operator = {NULL, "cli"};

int journal_record(store *s, const journal_actor *who, const char *type, const json_t *body,
                   const char *visibility, int64_t *seq, tr_err *e)
{
    char now[UTIL_ISO_LEN];
    char *canon;
    int rc;

    if (!journal_visibility_valid(visibility))
        return err_set(e, 500, "journal.bad_visibility", NULL, "invalid visibility '%s'",
                       visibility);
    if (!project_known(type))
        return err_set(e, 500, "journal.unknown_type", NULL, "no projection for event '%s'",
                       type);
    util_now_iso(now);
    canon = jsx_canonical(body, NULL);
    store_event ev = {
        .type = type,
        .actor_org = who->org,
        .actor_user = who->user,
        .time = now,
        .body = canon,
        .visibility = visibility,
    };
    rc = s->ops->journal_append(s, &ev, e);
    if (rc == 0) rc = project_apply(s, &ev, body, e);
    if (rc == 0 && seq) *seq = ev.seq;
    free(canon);
    return rc;
}

static const char *const kinds[] = {"party", "mediator", "monitor", "humanitarian", "observer",
                                    NULL};

static int token_valid(const char *t, size_t n)
{
    if (n == 6 && memcmp(t, "public", 6) == 0) return 1;
    if (n == 7 && memcmp(t, "members", 7) == 0) return 1;
    if (n == 5 && memcmp(t, "admin", 5) == 0) return 1;
    if (n > 4 && memcmp(t, "org:", 4) == 0) {
        char slug[65];
        if (n - 4 >= sizeof slug) return 0;
        memcpy(slug, t + 4, n - 4);
        slug[n - 4] = 0;
        return util_is_slug(slug);
    }
    if (n > 5 && memcmp(t, "kind:", 5) == 0) {
        for (const char *const *k = kinds; *k; k++)
            if (strlen(*k) == n - 5 && memcmp(*k, t + 5, n - 5) == 0) return 1;
    }
    return 0;
}

int journal_visibility_valid(const char *v)
{
    int count = 0;
    if (!v) return 0;
    while (*v) {
        size_t n = strcspn(v, " ");
        if (n == 0 || !token_valid(v, n)) return 0;
        count++;
        v += n;
        if (*v == ' ') v++;
    }
    return count > 0;
}

static int matches(const char *t, size_t n, const journal_reader *r)
{
    if (n == 6 && memcmp(t, "public", 6) == 0) return 1;
    if (!r || !r->signed_in) return 0;
    if (n == 7 && memcmp(t, "members", 7) == 0) return 1;
    if (n == 5 && memcmp(t, "admin", 5) == 0) return r->admin;
    if (n > 4 && memcmp(t, "org:", 4) == 0)
        return r->org && strlen(r->org) == n - 4 && memcmp(r->org, t + 4, n - 4) == 0;
    if (n > 5 && memcmp(t, "kind:", 5) == 0)
        return r->org_kind && strlen(r->org_kind) == n - 5 &&
               memcmp(r->org_kind, t + 5, n - 5) == 0;
    return 0;
}

int journal_visible(const char *v, const journal_reader *r)
{
    while (v && *v) {
        size_t n = strcspn(v, " ");
        if (matches(v, n, r)) return 1;
        v += n;
        if (*v == ' ') v++;
    }
    return 0;
}
