/* openapi.c - the OpenAPI 3.1 document of the whole API, made from the route table and the
 * routes' strict body schemas (http_route.body, json/jsx.h) when first asked for, never
 * written beside them by hand: a route or a field added to a table is in it.
 *
 * What the tables say is what it says: each route's method and path (a {parameter} as a
 * path parameter, the log's final * as {tile}), who may call it (x-truce-who, and the
 * bearer scheme unless anyone may), its body (application/json with the JSON Schema of its
 * fields, strict about unknown keys; a file route takes any type), and the one error
 * shape every failure has. Replies are described in docs/api.md, with examples. */
#include "http/internal.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

static json_t *schema_of(const jsx_field *f);

/* The JSON Schema of an object with these fields: every key named, no other allowed. */
static json_t *object_schema(const jsx_field *fields)
{
    json_t *props = json_object(), *required = json_array();
    for (const jsx_field *f = fields; f->name; f++) {
        json_object_set_new(props, f->name, schema_of(f));
        if (!(f->flags & JSX_OPTIONAL)) json_array_append_new(required, json_string(f->name));
    }
    json_t *out = json_pack("{s:s, s:o, s:b}", "type", "object", "properties", props,
                            "additionalProperties", 0);
    if (json_array_size(required))
        json_object_set_new(out, "required", required);
    else
        json_decref(required);
    return out;
}

static json_t *schema_of(const jsx_field *f)
{
    json_t *s = json_object();
    const char *type = NULL;
    switch (f->type) {
    case JSX_STRING:
        type = "string";
        if (f->min > 0) json_object_set_new(s, "minLength", json_integer((json_int_t)f->min));
        if (f->max > 0) json_object_set_new(s, "maxLength", json_integer((json_int_t)f->max));
        if (f->oneof) {
            json_t *e = json_array();
            for (const char *const *o = f->oneof; *o; o++)
                json_array_append_new(e, json_string(*o));
            json_object_set_new(s, "enum", e);
        }
        break;
    case JSX_SLUG:
        type = "string";
        json_object_set_new(s, "pattern", json_string("^[a-z0-9-]{1,64}$"));
        break;
    case JSX_INT:
    case JSX_NUMBER:
        type = f->type == JSX_INT ? "integer" : "number";
        if (f->min != 0 || f->max != 0) {
            json_object_set_new(s, "minimum", json_real(f->min));
            json_object_set_new(s, "maximum", json_real(f->max));
        }
        break;
    case JSX_BOOL:
        type = "boolean";
        break;
    case JSX_OBJECT:
        if (f->fields) {
            json_decref(s);
            s = object_schema(f->fields);
        } else {
            type = "object";
        }
        break;
    case JSX_ARRAY:
        type = "array";
        if (f->min > 0) json_object_set_new(s, "minItems", json_integer((json_int_t)f->min));
        if (f->max > 0) json_object_set_new(s, "maxItems", json_integer((json_int_t)f->max));
        if (f->items) json_object_set_new(s, "items", schema_of(f->items));
        break;
    case JSX_ANY:
        break;
    }
    if (type) json_object_set_new(s, "type", json_string(type));
    if ((f->flags & JSX_NULLABLE) && type)
        json_object_set_new(s, "type", json_pack("[s, s]", type, "null"));
    return s;
}

static const struct {
    unsigned bit;
    const char *name;
} roles[] = {{WHO_PUBLIC, "anyone"},
             {WHO_USER, "user"},
             {WHO_ADMIN, "admin"},
             {WHO_PARTY, "party"},
             {WHO_MEDIATOR, "mediator"},
             {WHO_MONITOR, "monitor"},
             {WHO_HUMANITARIAN, "humanitarian"},
             {WHO_OBSERVER, "observer"}};

/* "/api/v1/orgs/{slug}" as OpenAPI writes it (the same), and its parameters; a final star
 * as a parameter: the log's tiles "/tile/{tile}", the web app's files "/assets/{file}". */
static json_t *path_of(const char *pattern, char *out, size_t cap)
{
    json_t *params = json_array();
    size_t n = 0;
    for (const char *p = pattern; *p && n + 8 < cap; p++) {
        if (*p == '*' && p[1] == 0) {
            int tile = strncmp(pattern, "/tile/", 6) == 0;
            const char *name = tile ? "tile" : "file";
            n += (size_t)snprintf(out + n, cap - n, "{%s}", name);
            json_array_append_new(
                params, json_pack("{s:s, s:s, s:b, s:{s:s}, s:s}", "name", name, "in", "path",
                                  "required", 1, "schema", "type", "string", "description",
                                  tile ? "the tile's path, slashes and all" : "the file's name"));
            break;
        }
        if (*p == '{') {
            const char *end = strchr(p, '}');
            json_array_append_new(params, json_pack("{s:s%, s:s, s:b, s:{s:s}}", "name", p + 1,
                                                    (size_t)(end - p - 1), "in", "path", "required",
                                                    1, "schema", "type", "string"));
        }
        out[n++] = *p;
    }
    out[n] = 0;
    return params;
}

static json_t *build(void)
{
    json_t *paths = json_object();
    for (size_t i = 0; i < http__n_routes; i++) {
        const http_route *r = &http__routes[i];
        char path[256], method[16], op[300];
        json_t *params = path_of(r->pattern, path, sizeof path);
        size_t k;
        for (k = 0; r->method[k] && k < sizeof method - 1; k++)
            method[k] = (char)(r->method[k] | 0x20);
        method[k] = 0;
        snprintf(op, sizeof op, "%s %s", r->method, r->pattern);
        json_t *who = json_array();
        for (size_t b = 0; b < sizeof roles / sizeof roles[0]; b++)
            if (r->who & roles[b].bit) json_array_append_new(who, json_string(roles[b].name));
        json_t *o = json_pack("{s:s, s:o, s:{s:{s:s}, s:{s:s, s:{s:{s:{s:s}}}}}}", "operationId",
                              op, "x-truce-who", who, "responses", "2XX", "description",
                              "done (docs/api.md shows each reply)", "default", "description",
                              "the error shape", "content", "application/json", "schema", "$ref",
                              "#/components/schemas/Error");
        if (json_array_size(params))
            json_object_set_new(o, "parameters", params);
        else
            json_decref(params);
        if (!(r->who & WHO_PUBLIC))
            json_object_set_new(o, "security", json_pack("[{s:[]}]", "bearer"));
        if ((r->flags & ROUTE_BODY) && r->body)
            json_object_set_new(o, "requestBody",
                                json_pack("{s:b, s:{s:{s:o}}}", "required", 1, "content",
                                          "application/json", "schema", object_schema(r->body)));
        else if (r->flags & ROUTE_RAW)
            json_object_set_new(o, "requestBody",
                                json_pack("{s:b, s:{s:{s:{s:s, s:s}}}}", "required", 1, "content",
                                          "*/*", "schema", "type", "string", "format", "binary"));
        json_t *item = json_object_get(paths, path);
        if (!item) json_object_set_new(paths, path, item = json_object());
        json_object_set_new(item, method, o);
    }
    return json_pack(
        "{s:s, s:{s:s, s:s, s:s, s:{s:s, s:s}}, s:o, s:{s:{s:{s:s, s:s}}, s:{s:o}}}", "openapi",
        "3.1.0", "info", "title", "truce", "version", TRUCE_VERSION, "description",
        "Broker, monitor and enforce a truce. Generated from the route table; docs/api.md "
        "describes every route with an example.",
        "license", "name", "AGPL-3.0-or-later", "identifier", "AGPL-3.0-or-later", "paths", paths,
        "components", "securitySchemes", "bearer", "type", "http", "scheme", "bearer", "schemas",
        "Error",
        json_pack("{s:s, s:[s], s:{s:{s:s, s:[s, s], s:{s:{s:s}, s:{s:s}, s:{}, s:{s:s}}}}}",
                  "type", "object", "required", "error", "properties", "error", "type", "object",
                  "required", "code", "message", "properties", "code", "type", "string", "message",
                  "type", "string", "detail", "hint", "type", "string"));
}

static json_t *doc;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void make(void)
{
    http__routes_init();
    doc = build();
}

json_t *http__openapi(void)
{
    pthread_once(&once, make);
    return doc;
}
