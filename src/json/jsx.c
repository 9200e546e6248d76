/* jsx.c - strict schemas and canonical JSON; see jsx.h. */
#include "json/jsx.h"

#include "core/buf.h"
#include "core/util.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *type_name(jsx_type t)
{
    switch (t) {
    case JSX_STRING:
        return "a string";
    case JSX_SLUG:
        return "a slug (lowercase letters, digits and '-', at most 64)";
    case JSX_INT:
        return "an integer";
    case JSX_NUMBER:
        return "a number";
    case JSX_BOOL:
        return "true or false";
    case JSX_OBJECT:
        return "an object";
    case JSX_ARRAY:
        return "an array";
    case JSX_ANY:
        return "any value";
    }
    return "?";
}

static void join(char *out, size_t cap, const char *where, const char *name)
{
    if (where && *where)
        snprintf(out, cap, "%s.%s", where, name);
    else
        snprintf(out, cap, "%s", name);
}

static int invalid(tr_err *e, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int invalid(tr_err *e, const char *path, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return err_field(e, "request.invalid_field", path, "correct the field and send again",
                     "field '%s' %s", path, msg);
}

static int check_value(const json_t *v, const jsx_field *f, const char *path, tr_err *e);

static int check_string(const json_t *v, const jsx_field *f, const char *path, tr_err *e)
{
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (strlen(s) != n) return invalid(e, path, "%s", "contains a NUL byte");
    if (f->type == JSX_SLUG && !util_is_slug(s))
        return invalid(e, path, "must be %s", type_name(JSX_SLUG));
    if (n < (size_t)f->min) {
        char m[64];
        snprintf(m, sizeof m, "%.0f", f->min);
        return invalid(e, path, "must be at least %s bytes long", m);
    }
    if (f->max > 0 && n > (size_t)f->max) {
        char m[64];
        snprintf(m, sizeof m, "%.0f", f->max);
        return invalid(e, path, "must be at most %s bytes long", m);
    }
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 && s[i] != '\n' && s[i] != '\t' && s[i] != '\r')
            return invalid(e, path, "%s", "contains a control character");
    if (f->oneof) {
        buf b = BUF_INIT;
        for (const char *const *o = f->oneof; *o; o++)
            if (strcmp(*o, s) == 0) return 0;
        for (const char *const *o = f->oneof; *o; o++)
            buf_printf(&b, "%s%s", o == f->oneof ? "" : ", ", *o);
        invalid(e, path, "must be one of: %s", b.p);
        buf_free(&b);
        return -1;
    }
    return 0;
}

static int check_number(const json_t *v, const jsx_field *f, const char *path, tr_err *e)
{
    double d = json_number_value(v);
    char m[96];
    if (f->min == 0 && f->max == 0) return 0;
    if (d < f->min || d > f->max) {
        snprintf(m, sizeof m, "between %.17g and %.17g", f->min, f->max);
        return invalid(e, path, "must be %s", m);
    }
    return 0;
}

static int check_value(const json_t *v, const jsx_field *f, const char *path, tr_err *e)
{
    if (json_is_null(v)) {
        if (f->flags & JSX_NULLABLE) return 0;
        return invalid(e, path, "must be %s, not null", type_name(f->type));
    }
    switch (f->type) {
    case JSX_STRING:
    case JSX_SLUG:
        if (!json_is_string(v)) break;
        return check_string(v, f, path, e);
    case JSX_INT:
        if (!json_is_integer(v)) break;
        return check_number(v, f, path, e);
    case JSX_NUMBER:
        if (!json_is_number(v)) break;
        return check_number(v, f, path, e);
    case JSX_BOOL:
        if (!json_is_boolean(v)) break;
        return 0;
    case JSX_OBJECT:
        if (!json_is_object(v)) break;
        return f->fields ? jsx_check(v, f->fields, path, e) : 0;
    case JSX_ARRAY: {
        size_t i, n;
        const json_t *item;
        if (!json_is_array(v)) break;
        n = json_array_size(v);
        if (n < (size_t)f->min || (f->max > 0 && n > (size_t)f->max)) {
            char m[96];
            snprintf(m, sizeof m, "between %.0f and %.0f elements", f->min, f->max);
            return invalid(e, path, "must have %s", m);
        }
        if (!f->items) return 0;
        json_array_foreach(v, i, item)
        {
            char sub[256];
            snprintf(sub, sizeof sub, "%s[%zu]", path, i);
            if (check_value(item, f->items, sub, e)) return -1;
        }
        return 0;
    }
    case JSX_ANY:
        return 0;
    }
    return invalid(e, path, "must be %s", type_name(f->type));
}

int jsx_check(const json_t *obj, const jsx_field *fields, const char *where, tr_err *e)
{
    const char *key;
    const json_t *v;
    char path[256];

    if (!json_is_object(obj)) {
        if (where && *where) return invalid(e, where, "must be %s", type_name(JSX_OBJECT));
        return err_set(e, 400, "request.not_object", "send a JSON object",
                       "the request body must be a JSON object");
    }
    json_object_foreach((json_t *)obj, key, v)
    {
        const jsx_field *f = fields;
        while (f->name && strcmp(f->name, key) != 0)
            f++;
        if (!f->name) {
            buf b = BUF_INIT;
            for (f = fields; f->name; f++)
                buf_printf(&b, "%s%s", f == fields ? "" : ", ", f->name);
            join(path, sizeof path, where, key);
            err_field(e, "request.unknown_field", path, NULL, "unknown field '%s'", path);
            snprintf(e->hint, sizeof e->hint, "remove it; the fields allowed here are: %s",
                     b.p ? b.p : "(none)");
            buf_free(&b);
            return -1;
        }
    }
    for (const jsx_field *f = fields; f->name; f++) {
        join(path, sizeof path, where, f->name);
        v = json_object_get(obj, f->name);
        if (!v) {
            if (f->flags & JSX_OPTIONAL) continue;
            return err_field(e, "request.missing_field", path, "add the field and send again",
                             "missing field '%s' (%s)", path, type_name(f->type));
        }
        if (check_value(v, f, path, e)) return -1;
    }
    return 0;
}

json_t *jsx_parse(const char *data, size_t len, tr_err *e)
{
    json_error_t je;
    json_t *v;
    if (len == 0) {
        err_set(e, 400, "request.malformed_json", "send a JSON object as the request body",
                "the request body is empty");
        return NULL;
    }
    v = json_loadb(data, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
    if (!v) {
        switch (json_error_code(&je)) {
        case json_error_invalid_utf8:
            err_set(e, 400, "request.invalid_utf8", "send the body encoded as UTF-8",
                    "the request body is not valid UTF-8 (byte %d)", je.position);
            break;
        case json_error_null_character:
        case json_error_null_byte_in_key:
            err_set(e, 400, "request.nul_byte", "remove the NUL character (\\u0000)",
                    "the request body contains a NUL character (line %d, column %d)", je.line,
                    je.column);
            break;
        default:
            err_set(e, 400, "request.malformed_json", "send well-formed JSON",
                    "the request body is not valid JSON: %s at line %d, column %d", je.text,
                    je.line, je.column);
        }
        err_detail(e, json_pack("{s:i, s:i, s:i}", "line", je.line, "column", je.column, "position",
                                je.position));
        return NULL;
    }
    if (!json_is_object(v)) {
        json_decref(v);
        err_set(e, 400, "request.not_object", "send a JSON object",
                "the request body must be a JSON object");
        return NULL;
    }
    return v;
}

json_t *jsx_load_file(const char *path, json_error_t *je)
{
    char bom[3];
    FILE *f = fopen(path, "rb");
    if (!f) {
        memset(je, 0, sizeof *je);
        je->line = je->column = -1;
        snprintf(je->text, sizeof je->text, "unable to open %s: %s", path, strerror(errno));
        snprintf(je->source, sizeof je->source, "%s", path);
        return NULL;
    }
    /* jansson reads from where the stream stands. */
    if (fread(bom, 1, 3, f) != 3 || memcmp(bom, "\xef\xbb\xbf", 3) != 0) rewind(f);
    json_t *v = json_loadf(f, JSON_REJECT_DUPLICATES, je);
    fclose(f);
    return v;
}

/* An object's member, for sorting keys as jansson's JSON_SORT_KEYS does: by their bytes,
 * a key before any it is the start of. */
typedef struct member {
    const char *key;
    size_t len;
    const json_t *value;
} member;

static int member_before(const member *a, const member *b)
{
    int c = memcmp(a->key, b->key, a->len < b->len ? a->len : b->len);
    return c ? c < 0 : a->len < b->len;
}

static int member_cmp(const void *a, const void *b)
{
    return member_before(a, b) ? -1 : member_before(b, a);
}

static void canonical(buf *b, const json_t *v)
{
    char t[UTIL_I64_LEN];
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        size_t n = json_object_size(v), i = 0;
        member few[16], *m = n <= 16 ? few : malloc(n * sizeof *m);
        const char *key;
        size_t key_len;
        json_t *value;
        if (!m) abort();
        json_object_keylen_foreach((json_t *)v, key, key_len, value)
        {
            member x = {key, key_len, value};
            size_t at = i++;
            if (n <= 16) /* a report's, an event's: insertion sort */
                for (; at > 0 && member_before(&x, &m[at - 1]); at--)
                    m[at] = m[at - 1];
            m[at] = x;
        }
        if (n > 16) qsort(m, n, sizeof *m, member_cmp);
        buf_append(b, "{", 1);
        for (i = 0; i < n; i++) {
            if (i) buf_append(b, ",", 1);
            jsx_put_stringn(b, m[i].key, m[i].len);
            buf_append(b, ":", 1);
            canonical(b, m[i].value);
        }
        buf_append(b, "}", 1);
        if (m != few) free(m);
        break;
    }
    case JSON_ARRAY:
        buf_append(b, "[", 1);
        for (size_t i = 0; i < json_array_size(v); i++) {
            if (i) buf_append(b, ",", 1);
            canonical(b, json_array_get(v, i));
        }
        buf_append(b, "]", 1);
        break;
    case JSON_STRING:
        jsx_put_stringn(b, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        buf_append(b, t, util_i64(t, (int64_t)json_integer_value(v)));
        break;
    case JSON_REAL:
        jsx_put_real(b, json_real_value(v));
        break;
    case JSON_TRUE:
        buf_append(b, "true", 4);
        break;
    case JSON_FALSE:
        buf_append(b, "false", 5);
        break;
    case JSON_NULL:
        buf_append(b, "null", 4);
        break;
    }
}

/* What json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY |
 * JSON_REAL_PRECISION(17)) writes, byte for byte (test_json compares the two on random
 * documents), without its costs: a malloc'd array and qsort for every object's keys,
 * printf for every number, a callback for every piece of output. A report is
 * canonicalized four times on its way in (request, document, journal event, projection). */
char *jsx_canonical(const json_t *v, size_t *len)
{
    buf b = BUF_INIT;
    canonical(&b, v);
    if (len) *len = b.len;
    return buf_steal(&b);
}

const char *jsx_scalar_text(const json_t *v, char *tmp, size_t cap)
{
    if (json_is_string(v)) return json_string_value(v);
    if (json_is_integer(v))
        snprintf(tmp, cap, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        util_real_text(tmp, cap, json_real_value(v));
    else
        return NULL;
    return tmp;
}

const char *jsx_str(const json_t *obj, const char *key, const char *dflt)
{
    const json_t *v = json_object_get(obj, key);
    return json_is_string(v) ? json_string_value(v) : dflt;
}

int jsx_has(const json_t *list, const char *s)
{
    size_t i;
    const json_t *v;
    if (!s) return 0;
    json_array_foreach(list, i,
                       v) if (json_is_string(v) && strcmp(json_string_value(v), s) == 0) return 1;
    return 0;
}

int jsx_bool(const json_t *obj, const char *key, int dflt)
{
    const json_t *v = json_object_get(obj, key);
    return json_is_boolean(v) ? json_is_true(v) : dflt;
}

double jsx_num(const json_t *obj, const char *key, double dflt)
{
    const json_t *v = json_object_get(obj, key);
    return json_is_number(v) ? json_number_value(v) : dflt;
}

/* ---- canonical text without jansson ---------------------------------------------- */

void jsx_put_string(buf *b, const char *s)
{
    jsx_put_stringn(b, s, strlen(s));
}

/* Does any of the 8 bytes in x need escaping: below 0x20, '"' or '\\'? (Whether any byte is
 * below n, for n <= 128: (x - n per byte) & ~x & the high bits; equal to c: below 1 after
 * xor with c.) */
static inline int escape_in8(uint64_t x)
{
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    uint64_t q = x ^ (ones * '"'), bs = x ^ (ones * '\\');
    return (((x - ones * 0x20) & ~x) | ((q - ones) & ~q) | ((bs - ones) & ~bs)) & highs ? 1 : 0;
}

size_t jsx_plain(const char *s, size_t n)
{
    size_t i = 0;
#ifdef __SSE2__
    for (; i + 16 <= n; i += 16) { /* sixteen bytes at a time */
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        __m128i ctl = _mm_cmpeq_epi8(_mm_max_epu8(x, _mm_set1_epi8(0x1f)),
                                     _mm_set1_epi8(0x1f)); /* x <= 0x1f */
        __m128i bad = _mm_or_si128(ctl, _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('"')),
                                                     _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'))));
        int m = _mm_movemask_epi8(bad);
        if (m) return i + (size_t)__builtin_ctz((unsigned)m);
    }
#endif
    for (; i + 8 <= n; i += 8) { /* eight at a time */
        uint64_t x;
        memcpy(&x, s + i, 8);
        if (escape_in8(x)) break;
    }
    for (; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == '"' || c == '\\') break;
    }
    return i;
}

void jsx_put_stringn(buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    const char *end = s + n;
    buf_append(b, "\"", 1);
    for (;;) {
        size_t plain = jsx_plain(s, (size_t)(end - s));
        buf_append(b, s, plain);
        s += plain;
        if (s == end) break;
        unsigned char c = (unsigned char)*s++;
        const char *esc;
        char u[7];
        switch (c) {
        case '"':
            esc = "\\\"";
            break;
        case '\\':
            esc = "\\\\";
            break;
        case '\b':
            esc = "\\b";
            break;
        case '\f':
            esc = "\\f";
            break;
        case '\n':
            esc = "\\n";
            break;
        case '\r':
            esc = "\\r";
            break;
        case '\t':
            esc = "\\t";
            break;
        default: /* \u00XX, as jansson writes it, without printf (the log's hot path) */
            memcpy(u, "\\u00", 4);
            u[4] = hex[c >> 4];
            u[5] = hex[c & 15];
            u[6] = 0;
            esc = u;
        }
        buf_puts(b, esc);
    }
    buf_append(b, "\"", 1);
}

/* What "%.17g" writes for v, exactly, when that is fixed notation without an exponent
 * and 1e-4 <= |v| < 2^53 (coordinates, amounts): v = m / 2^sh exactly, so v * 10^k is
 * m * 10^k / 2^sh, rounded half to even as printf rounds, in 128-bit integers, without
 * printf's multi-precision arithmetic (a third of an exported feature's time). -1 for
 * every other v, which printf writes. */
static int g17(double v, char t[40])
{
    static const uint64_t p10[21] = {1ULL,
                                     10ULL,
                                     100ULL,
                                     1000ULL,
                                     10000ULL,
                                     100000ULL,
                                     1000000ULL,
                                     10000000ULL,
                                     100000000ULL,
                                     1000000000ULL,
                                     10000000000ULL,
                                     100000000000ULL,
                                     1000000000000ULL,
                                     10000000000000ULL,
                                     100000000000000ULL,
                                     1000000000000000ULL,
                                     10000000000000000ULL,
                                     100000000000000000ULL,
                                     1000000000000000000ULL,
                                     10000000000000000000ULL,
                                     0};
    double a = v < 0 ? -v : v;
    if (!(a >= 1e-4 && a < 9007199254740992.0)) return -1; /* NaN fails too */
    int e2;
    double fr = frexp(a, &e2); /* a = fr * 2^e2, fr in [0.5, 1) */
    uint64_t m = (uint64_t)ldexp(fr, 53);
    int sh = 53 - e2; /* a = m / 2^sh, 1 <= sh <= 67 */
    if (sh < 1) return -1;
    int x = (int)floor(log10(a)); /* the decimal exponent, perhaps one off */
    for (int tries = 0; tries < 3; tries++) {
        int k = 16 - x; /* a * 10^k has 17 digits before the point */
        if (k < 0 || k > 20) return -1;
        unsigned __int128 ten = k == 20 ? (unsigned __int128)p10[19] * 10 : p10[k];
        unsigned __int128 num = (unsigned __int128)m * ten;
        unsigned __int128 q = num >> sh, r = num - (q << sh);
        unsigned __int128 half = (unsigned __int128)1 << (sh - 1);
        if (r > half || (r == half && (q & 1))) q++;
        if (q >= (unsigned __int128)p10[17]) {
            x++;
            continue;
        }
        if (q < (unsigned __int128)p10[16]) {
            x--;
            continue;
        }
        char d[17];
        uint64_t u = (uint64_t)q;
        for (int i = 16; i >= 0; i--)
            d[i] = (char)('0' + u % 10), u /= 10;
        int last = 16; /* the last digit kept: trailing zeros go, as %g drops them */
        while (last > (x >= 0 ? x : -1) && d[last] == '0')
            last--;
        int n = 0;
        if (v < 0) t[n++] = '-';
        if (x >= 0) {
            memcpy(t + n, d, (size_t)x + 1), n += x + 1;
            if (last > x) {
                t[n++] = '.';
                memcpy(t + n, d + x + 1, (size_t)(last - x)), n += last - x;
            }
        } else {
            t[n++] = '0', t[n++] = '.';
            for (int z = 0; z < -x - 1; z++)
                t[n++] = '0';
            memcpy(t + n, d, (size_t)last + 1), n += last + 1;
        }
        t[n] = 0;
        return n;
    }
    return -1;
}

void jsx_put_real(buf *b, double v)
{
    char t[40];
    int n = g17(v, t);
    if (n < 0) n = snprintf(t, sizeof t, "%.17g", v);
    char *exp = strchr(t, 'e');
    if (!strchr(t, '.') && !exp) {
        memcpy(t + n, ".0", 3);
        n += 2;
    }
    if (exp) { /* e+05 -> e5, e-05 -> e-5 */
        char *from = exp + 1, *to = exp + 1;
        if (*from == '+')
            from++;
        else if (*from == '-')
            from++, to++;
        while (*from == '0' && from[1])
            from++;
        memmove(to, from, strlen(from) + 1);
        n = (int)strlen(t);
    }
    buf_append(b, t, (size_t)n);
}
