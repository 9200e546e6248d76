/* log.c - diagnostics on stderr; see log.h. */
#include "core/log.h"

#include "core/util.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>

static atomic_int quiet;
static atomic_int access_on = 1;

void log_set_quiet(int q)
{
    quiet = q;
}

void log_set_access(int enabled)
{
    access_on = enabled;
}

int log_access_enabled(void)
{
    return access_on;
}

static void emit(const char *level, const char *fmt, va_list ap)
{
    char line[2048], ts[32];
    int n;
    util_now_iso(ts);
    n = snprintf(line, sizeof line, "%s %s ", ts, level);
    vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    fputs(line, stderr);
    fputc('\n', stderr);
}

#define DEFINE_LOG(name, level, cond)                                                              \
    void name(const char *fmt, ...)                                                                \
    {                                                                                              \
        va_list ap;                                                                                \
        if (!(cond)) return;                                                                       \
        va_start(ap, fmt);                                                                         \
        flockfile(stderr);                                                                         \
        emit(level, fmt, ap);                                                                      \
        funlockfile(stderr);                                                                       \
        va_end(ap);                                                                                \
    }

DEFINE_LOG(log_info, "INFO", !quiet)
DEFINE_LOG(log_warn, "WARN", 1)
DEFINE_LOG(log_error, "ERROR", 1)
DEFINE_LOG(log_access, "ACCESS", access_on)
