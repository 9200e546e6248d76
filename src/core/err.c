/* err.c - error values; see err.h. */
#include "core/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void copy(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

int err_set(tr_err *e, int status, const char *code, const char *hint, const char *fmt, ...)
{
    va_list ap;
    if (!e) return -1;
    json_decref(e->detail);
    e->detail = NULL;
    e->status = status;
    copy(e->code, sizeof e->code, code);
    copy(e->hint, sizeof e->hint, hint);
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
    return -1;
}

int err_detail(tr_err *e, json_t *detail)
{
    if (!e) {
        json_decref(detail);
        return -1;
    }
    json_decref(e->detail);
    e->detail = detail;
    return -1;
}

int err_field(tr_err *e, const char *code, const char *field, const char *hint, const char *fmt,
              ...)
{
    va_list ap;
    char msg[sizeof e->message];
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    err_set(e, 400, code, hint, "%s", msg);
    return err_detail(e, json_pack("{s:s}", "field", field));
}

void err_clear(tr_err *e)
{
    json_decref(e->detail);
    memset(e, 0, sizeof *e);
}

/* The length of the well-formed UTF-8 sequence at s (1-4), or 0. */
static size_t utf8_seq(const unsigned char *s)
{
    unsigned c = s[0];
    size_t n = c < 0x80                 ? 1
               : c >= 0xc2 && c <= 0xdf ? 2
               : c >= 0xe0 && c <= 0xef ? 3
               : c >= 0xf0 && c <= 0xf4 ? 4
                                        : 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80) return 0;
    if (n == 3 && ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] > 0x9f))) return 0;
    if (n == 4 && ((c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] > 0x8f))) return 0;
    return n;
}

/* text as a JSON string, each byte that is not UTF-8 as U+FFFD: a message quotes what the
 * client sent (a path, a query value), which need not be UTF-8, and snprintf may have cut
 * a character in two. */
static json_t *text_json(const char *text)
{
    char out[3 * 512 + 1];
    size_t n = 0;
    for (const unsigned char *s = (const unsigned char *)text; *s && n + 4 < sizeof out;) {
        size_t k = utf8_seq(s);
        if (k) {
            memcpy(out + n, s, k);
            n += k, s += k;
        } else {
            memcpy(out + n, "\xef\xbf\xbd", 3);
            n += 3, s++;
        }
    }
    out[n] = 0;
    return json_string(out);
}

json_t *err_to_json(const tr_err *e)
{
    json_t *inner = json_object();
    json_object_set_new(inner, "code", text_json(e->code[0] ? e->code : "internal"));
    json_object_set_new(inner, "message", text_json(e->message[0] ? e->message : "internal error"));
    json_object_set(inner, "detail", e->detail ? e->detail : json_null());
    json_object_set_new(inner, "hint", e->hint[0] ? text_json(e->hint) : json_null());
    return json_pack("{s:o}", "error", inner);
}

void err_print(const tr_err *e)
{
    if (e->hint[0])
        fprintf(stderr, "truce: %s; %s\n", e->message, e->hint);
    else
        fprintf(stderr, "truce: %s\n", e->message);
}
