/* crossings.c - border crossings; see crossings.h. */
#include "aid/crossings.h"

#include <string.h>

const jsx_field crossing_fields[] = {
    {.name = "slug", .type = JSX_SLUG},
    {.name = "name", .type = JSX_STRING, .min = 1, .max = 256},
    {.name = "lat", .type = JSX_NUMBER, .min = -90, .max = 90},
    {.name = "lon", .type = JSX_NUMBER, .min = -180, .max = 180},
    {.name = "notes", .type = JSX_STRING, .flags = JSX_OPTIONAL, .max = 256},
    {0},
};

int crossing_create(store *s, const journal_actor *who, const json_t *in, tr_err *e)
{
    store_crossing existing;
    const char *slug = jsx_str(in, "slug", "");
    json_t *body;
    int rc = aid_store(s)->crossing_get(s, slug, &existing, e);
    if (rc < 0) return -1;
    if (rc == 1)
        return err_set(e, 409, "crossing.exists", "choose another slug",
                       "crossing '%s' already exists", slug);
    body = json_pack("{s:s, s:s, s:f, s:f, s:s}", "slug", slug, "name", jsx_str(in, "name", ""),
                     "lat", jsx_num(in, "lat", 0), "lon", jsx_num(in, "lon", 0), "notes",
                     jsx_str(in, "notes", ""));
    rc = journal_record(s, who, "crossing.created", body, "public", NULL, e);
    json_decref(body);
    return rc;
}

json_t *crossing_json(const store_crossing *c)
{
    return json_pack("{s:s, s:s, s:f, s:f, s:s}", "slug", c->slug, "name", c->name, "lat", c->lat,
                     "lon", c->lon, "notes", c->notes);
}
