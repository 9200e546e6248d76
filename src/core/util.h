/* util.h - time, randomness and hex: the small helpers every module needs.
 *
 * Times on the wire and in the journal are UTC ISO 8601 with milliseconds and a Z suffix,
 * always 24 characters ("2026-11-26T19:21:16.123Z"), so they sort as strings. */
#ifndef TRUCE_CORE_UTIL_H
#define TRUCE_CORE_UTIL_H

#include <stddef.h>
#include <stdint.h>

#define UTIL_ISO_LEN 25 /* Buffer size for util_now_iso(), with the terminator. */

void util_now_iso(char out[UTIL_ISO_LEN]);
/* The UTC time t (Unix seconds) in the same form, milliseconds .000; and its day alone,
 * YYYY-MM-DD. */
void util_iso_at(int64_t t, char out[UTIL_ISO_LEN]);
void util_day_at(int64_t t, char out[11]);
uint64_t util_mono_ns(void); /* Monotonic clock, nanoseconds. */
/* The allocator as truce runs it, called first thing by every program that serves (the
 * binary's main, the benchmarks): glibc without fastbins (see util.c). */
void util_malloc_tune(void);
int64_t util_unix_s(void); /* Wall clock, seconds. */

void util_hex(char *out, const unsigned char *in, size_t n);   /* out holds 2n+1 bytes. */
int util_unhex(unsigned char *out, size_t n, const char *hex); /* 0, or -1 if not 2n hex. */
void util_random_hex(char *out, size_t nbytes);                /* 2*nbytes hex digits + NUL. */

/* v in decimal into out (at least UTIL_I64_LEN bytes, not terminated); returns the length.
 * No printf: it is on the hot paths of the log and of exports. */
#define UTIL_I64_LEN 20
size_t util_i64(char *out, int64_t v);

/* v as the shortest of %.15g, %.16g and %.17g that reads back as v (so 31.5134 stays
 * "31.5134" and no double is rounded away), NUL-terminated in out (cap bytes, 32 are
 * enough); returns the length. */
size_t util_real_text(char *out, size_t cap, double v);

/* Is s a slug: 1-64 characters of [a-z0-9-], starting with a letter or digit? */
int util_is_slug(const char *s);

/* Is s a calendar date written YYYY-MM-DD (years 0001-9999; 2024-02-30 is not)? */
int util_is_date(const char *s);

/* Days since 1970-01-01 of a date util_is_date accepts; and the date of such a day number. */
int64_t util_day_number(const char *date);
void util_day_of_number(int64_t day, char out[11]);

/* A UTC time as the API takes it: YYYY-MM-DDTHH:MM:SS, optionally .f to .fff, then Z
 * (a calendar date and a time of day that exist). 0 and *ms set to Unix milliseconds, or -1. */
int util_parse_time(const char *s, int64_t *ms);
/* Unix milliseconds as util_now_iso writes times. */
void util_iso_ms(int64_t ms, char out[UTIL_ISO_LEN]);

#endif
