/* buf.c - growable byte buffer; see buf.h. */
#include "core/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_reserve(buf *b, size_t extra)
{
    size_t need = b->len + extra + 1, cap = b->cap ? b->cap : 64;
    if (need <= b->cap) return;
    while (cap < need)
        cap *= 2;
    b->p = realloc(b->p, cap);
    if (!b->p) abort();
    b->cap = cap;
}

void buf_append_grow(buf *b, const void *data, size_t n)
{
    buf_reserve(b, n);
    if (n) memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = 0;
}

void buf_puts(buf *b, const char *s)
{
    buf_append(b, s, strlen(s));
}

void buf_printf(buf *b, const char *fmt, ...)
{
    va_list ap, ap2;
    int n;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) abort();
    buf_reserve(b, (size_t)n);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    b->len += (size_t)n;
}

void buf_reset(buf *b)
{
    b->len = 0;
    if (b->p) b->p[0] = 0;
}

void buf_free(buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

char *buf_steal(buf *b)
{
    char *p = b->p;
    if (!p) {
        p = calloc(1, 1);
        if (!p) abort();
    }
    b->p = NULL;
    b->len = b->cap = 0;
    return p;
}
