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

json_t *err_to_json(const tr_err *e)
{
    json_t *inner = json_pack("{s:s, s:s}", "code", e->code[0] ? e->code : "internal",
                              "message", e->message[0] ? e->message : "internal error");
    json_object_set(inner, "detail", e->detail ? e->detail : json_null());
    json_object_set_new(inner, "hint", e->hint[0] ? json_string(e->hint) : json_null());
    return json_pack("{s:o}", "error", inner);
}

void err_print(const tr_err *e)
{
    if (e->hint[0])
        fprintf(stderr, "truce: %s; %s\n", e->message, e->hint);
    else
        fprintf(stderr, "truce: %s\n", e->message);
}
