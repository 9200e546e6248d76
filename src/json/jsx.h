/* jsx.h - strict JSON input schemas and the canonical encoding, over jansson.
 *
 * Input. Every request body and every scenario file is checked against a declarative table
 * of fields before any service looks at it (GNU Taler's GNUNET_JSON_spec_*): an unknown
 * key, a missing required field, a wrong type, a string that is too long or holds a NUL
 * byte, or a value outside its range is rejected with a 400 whose detail names the field
 * by its path ("crossings[2].lat"). Invalid UTF-8 never gets this far: jsx_parse() uses
 * jansson's decoder, which rejects it, and reports the byte position.
 *
 * Output. The journal stores event bodies in one canonical form so that the same event
 * always has the same bytes and hence the same hash: UTF-8, object keys sorted by their
 * bytes, no insignificant whitespace, integers in decimal, reals with 17 significant
 * digits, and jansson's minimal string escaping (\" \\ \b \f \n \r \t, other control
 * characters as \u00XX, everything else as raw UTF-8, "/" unescaped). */
#ifndef TRUCE_JSON_JSX_H
#define TRUCE_JSON_JSX_H

#include "core/err.h"

#include <jansson.h>
#include <stddef.h>

typedef enum jsx_type {
    JSX_STRING, /* JSON string; min/max bound its length in bytes. */
    JSX_SLUG,   /* String of [a-z0-9-], 1-64 bytes, as util_is_slug(). */
    JSX_INT,    /* JSON integer; min/max bound its value. */
    JSX_NUMBER, /* Integer or real; min/max bound its value. */
    JSX_BOOL,
    JSX_OBJECT, /* Checked further by `fields` when set. */
    JSX_ARRAY,  /* Each element checked against `items` when set; min/max bound the count. */
    JSX_ANY,
} jsx_type;

enum {
    JSX_OPTIONAL = 1, /* The key may be absent. */
    JSX_NULLABLE = 2, /* The value may be null. */
};

typedef struct jsx_field jsx_field;
struct jsx_field {
    const char *name; /* Key; NULL ends a table. */
    jsx_type type;
    unsigned flags;           /* JSX_OPTIONAL | JSX_NULLABLE. */
    double min, max;          /* Bounds as described by the type; max 0 = unbounded. */
    const char *const *oneof; /* Strings only: NULL-terminated list of allowed values. */
    const jsx_field *fields;  /* Objects (and arrays of objects): the nested table. */
    const jsx_field *items;   /* Arrays: a single-field table describing each element. */
};

/* Checks that `obj` is an object that matches `fields` exactly. `where` prefixes field
 * paths in errors (NULL or "" at the top level). Returns 0, or -1 with e set to a 400
 * (request.unknown_field, request.missing_field, request.invalid_field). */
int jsx_check(const json_t *obj, const jsx_field *fields, const char *where, tr_err *e);

/* Parses a request body that must be a single JSON object. Returns a new reference, or
 * NULL with e set to a 400: request.malformed_json, request.invalid_utf8,
 * request.nul_byte, request.not_object. */
json_t *jsx_parse(const char *data, size_t len, tr_err *e);

/* A JSON file at path (duplicate keys refused), read past the byte-order mark some tools
 * (Windows editors, spreadsheets, GIS exports) write before UTF-8 text. NULL with je set,
 * as json_load_file sets it, when the file cannot be opened or is not JSON. */
json_t *jsx_load_file(const char *path, json_error_t *je);

/* The canonical encoding of v (see the file comment); malloc'd, caller frees. Sets *len
 * when len is not NULL. */
char *jsx_canonical(const json_t *v, size_t *len);

/* Pieces of canonical text, for hot paths that write a known shape without building a
 * jansson object (the bulk import, reports): exactly what jsx_canonical() writes for a
 * string (quotes; \" \\ \b \f \n \r \t escaped, other control characters as \u00XX,
 * everything else as it is: the string must be UTF-8) and for a real (%.17g, ".0" added
 * when that looks like an integer, exponents without '+' or leading zeros). Callers write
 * keys in byte order. */
struct buf;
void jsx_put_string(struct buf *b, const char *s);
void jsx_put_stringn(struct buf *b, const char *s, size_t n); /* n bytes, NULs escaped */
/* How many of s's first n bytes JSON writes as they are: the index of the first '"', '\\'
 * or control character, or n. Sixteen bytes at a time (SSE2), else eight. */
size_t jsx_plain(const char *s, size_t n);
void jsx_put_real(struct buf *b, double v);

/* Convenience accessors for checked objects: the value of an optional key or a default. */
const char *jsx_str(const json_t *obj, const char *key, const char *dflt);
/* A scalar as text: a string as it is, an integer in decimal, a real as util_real_text
 * writes it (in tmp, of cap bytes); NULL for anything else (null, booleans, arrays, objects,
 * a missing value). */
const char *jsx_scalar_text(const json_t *v, char *tmp, size_t cap);
int jsx_bool(const json_t *obj, const char *key, int dflt);
/* Whether the array list holds the string s (NULL s: no; elements not strings: skipped). */
int jsx_has(const json_t *list, const char *s);
double jsx_num(const json_t *obj, const char *key, double dflt);

#endif
