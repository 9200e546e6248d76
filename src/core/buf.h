/* buf.h - a length-carrying, growable byte buffer for building replies and text.
 *
 * Modelled on Redis sds and lwan_strbuf, without the header trick: a plain struct the
 * caller owns. The contents are always NUL-terminated (p[len] == 0) once anything has been
 * appended, so b.p can be handed to C string functions. Allocation failure aborts: a
 * server that cannot allocate a few bytes for a reply cannot do anything useful. */
#ifndef TRUCE_CORE_BUF_H
#define TRUCE_CORE_BUF_H

#include <stddef.h>
#include <string.h>

typedef struct buf {
    char *p;    /* Contents, NUL-terminated; NULL until the first append. */
    size_t len; /* Bytes used, not counting the terminator. */
    size_t cap; /* Bytes allocated. */
} buf;

#define BUF_INIT                                                                                   \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

/* Appends n bytes. Inline while they fit: the bulk import appends a few bytes at a time,
 * millions of times. */
void buf_append_grow(buf *b, const void *data, size_t n);
static inline void buf_append(buf *b, const void *data, size_t n)
{
    if (b->len + n < b->cap) {
        if (n) memcpy(b->p + b->len, data, n);
        b->len += n;
        b->p[b->len] = 0;
    } else {
        buf_append_grow(b, data, n);
    }
}
void buf_puts(buf *b, const char *s);
void buf_printf(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_reset(buf *b); /* Keeps the allocation. */
/* Room for extra more bytes and a NUL after len, for writing into p + len directly. */
void buf_reserve(buf *b, size_t extra);
void buf_free(buf *b);
/* Hands the contents to the caller (free() them) and leaves the buffer empty. */
char *buf_steal(buf *b);

#endif
