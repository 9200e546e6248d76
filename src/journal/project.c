/* project.c - applies an event through the projection of its type, found in the pillars'
 * tables (journal/projection.h); see project.h. */
#include "journal/project.h"

#include "journal/projection.h"

#include <string.h>

int journal_bad_event(tr_err *e, const store_event *ev, const char *key)
{
    return err_set(e, 500, "journal.bad_event", NULL, "event %s lacks '%s'", ev->type, key);
}

static const journal_projection *find(const char *type)
{
    for (const journal_projection *const *t = journal_projection_tables; *t; t++)
        for (const journal_projection *p = *t; p->type; p++)
            if (strcmp(p->type, type) == 0) return p;
    return NULL;
}

int project_known(const char *type)
{
    return find(type) != NULL;
}

int project_apply(store *s, const store_event *ev, const json_t *body, tr_err *e)
{
    const journal_projection *p = find(ev->type);
    if (!p)
        return err_set(e, 500, "journal.unknown_type", NULL, "no projection for event '%s'",
                       ev->type);
    return p->apply(s, ev, body, e);
}
