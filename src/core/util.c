/* util.c - time, randomness and hex; see util.h. */
#include "core/util.h"

#include <malloc.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void util_now_iso(char out[UTIL_ISO_LEN])
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    char tmp[96];
    snprintf(tmp, sizeof tmp, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
    memcpy(out, tmp, UTIL_ISO_LEN - 1);
    out[UTIL_ISO_LEN - 1] = 0;
}

void util_iso_at(int64_t t, char out[UTIL_ISO_LEN])
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, UTIL_ISO_LEN, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
}

void util_day_at(int64_t t, char out[11])
{
    char iso[UTIL_ISO_LEN];
    util_iso_at(t, iso);
    memcpy(out, iso, 10);
    out[10] = 0;
}

/* No fastbins: with them, glibc consolidates every fastbin of an arena whenever a request
 * of 1 KB or more comes (malloc_consolidate was the server's largest user-space cost),
 * and a request allocates and frees a few of those. Without: POST /api/v1/reports about
 * 10 % faster (alternating servers, same machine); the import unchanged. */
void util_malloc_tune(void)
{
    mallopt(M_MXFAST, 0);
}

uint64_t util_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int64_t util_unix_s(void)
{
    return (int64_t)time(NULL);
}

void util_hex(char *out, const unsigned char *in, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = 0;
}

static int nibble(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int util_unhex(unsigned char *out, size_t n, const char *hex)
{
    if (strlen(hex) != 2 * n) return -1;
    for (size_t i = 0; i < n; i++) {
        int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) return -1;
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return 0;
}

/* Random bytes from a per-thread pool that the kernel fills 4 KB at a time: a journal
 * event's salt no longer costs a system call (one in 128 does), which was 6 % of a truck
 * move. Bytes are wiped from the pool as they are handed out. */
static _Thread_local unsigned char pool[4096];
static _Thread_local size_t pool_left;

void util_random_hex(char *out, size_t nbytes)
{
    unsigned char raw[64];
    if (nbytes > sizeof raw) nbytes = sizeof raw;
    if (pool_left < nbytes) {
        randombytes_buf(pool, sizeof pool);
        pool_left = sizeof pool;
    }
    memcpy(raw, pool + pool_left - nbytes, nbytes);
    sodium_memzero(pool + pool_left - nbytes, nbytes);
    pool_left -= nbytes;
    util_hex(out, raw, nbytes);
    sodium_memzero(raw, sizeof raw);
}

int util_is_slug(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64 || s[0] == '-') return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
            return 0;
    return 1;
}

int util_is_date(const char *s)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    for (int i = 0; i < 10; i++)
        if (i == 4 || i == 7 ? s[i] != '-' : !(s[i] >= '0' && s[i] <= '9')) return 0;
    if (s[10]) return 0;
    int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    int m = (s[5] - '0') * 10 + (s[6] - '0'), d = (s[8] - '0') * 10 + (s[9] - '0');
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return y >= 1 && m >= 1 && m <= 12 && d >= 1 && d <= days[m - 1] + (m == 2 && leap);
}

int64_t util_day_number(const char *d)
{
    /* Howard Hinnant's days_from_civil. */
    int64_t y = (d[0] - '0') * 1000 + (d[1] - '0') * 100 + (d[2] - '0') * 10 + (d[3] - '0');
    int64_t m = (d[5] - '0') * 10 + (d[6] - '0'), dd = (d[8] - '0') * 10 + (d[9] - '0');
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400, yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + dd - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void util_day_of_number(int64_t day, char out[11])
{
    util_day_at(day * 86400, out);
}

int util_parse_time(const char *s, int64_t *ms)
{
    char date[11];
    int hh, mm, ss, frac = 0, digits = 0;
    size_t i = 19;
    if (strlen(s) < 20 || s[10] != 'T' || s[13] != ':' || s[16] != ':') return -1;
    memcpy(date, s, 10);
    date[10] = 0;
    if (!util_is_date(date)) return -1;
    for (int k = 11; k < 19; k++)
        if (k != 13 && k != 16 && !(s[k] >= '0' && s[k] <= '9')) return -1;
    hh = (s[11] - '0') * 10 + s[12] - '0';
    mm = (s[14] - '0') * 10 + s[15] - '0';
    ss = (s[17] - '0') * 10 + s[18] - '0';
    if (hh > 23 || mm > 59 || ss > 59) return -1;
    if (s[i] == '.') {
        for (i++; s[i] >= '0' && s[i] <= '9' && digits < 3; i++, digits++)
            frac = frac * 10 + s[i] - '0';
        if (!digits) return -1;
        for (int k = digits; k < 3; k++)
            frac *= 10;
    }
    if (s[i] != 'Z' || s[i + 1]) return -1;
    *ms = ((util_day_number(date) * 86400) + hh * 3600 + mm * 60 + ss) * 1000 + frac;
    return 0;
}

void util_iso_ms(int64_t ms, char out[UTIL_ISO_LEN])
{
    int64_t s = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
    util_iso_at(s, out);
    snprintf(out + 20, 5, "%03dZ", (int)(ms - s * 1000));
}

size_t util_real_text(char *out, size_t cap, double v)
{
    int n = 0;
    for (int digits = 15; digits <= 17; digits++) {
        n = snprintf(out, cap, "%.*g", digits, v);
        if (v != v || strtod(out, NULL) == v) break; /* NaN never reads back as itself */
    }
    return n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
}

size_t util_i64(char *out, int64_t v)
{
    char tmp[UTIL_I64_LEN], *p = tmp + sizeof tmp;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    size_t n;
    do
        *--p = (char)('0' + u % 10);
    while (u /= 10);
    if (v < 0) *--p = '-';
    n = (size_t)(tmp + sizeof tmp - p);
    memcpy(out, p, n);
    return n;
}
