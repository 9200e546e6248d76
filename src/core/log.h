/* log.h - one-line diagnostics on stderr: "2026-11-26T19:21:16.123Z LEVEL message".
 *
 * The server's access log uses log_access(); everything else is for operators. Lines are
 * written with a single fputs under the stdio lock, so threads never interleave within a
 * line. log_set_quiet(1) silences info lines (tests and benchmarks). */
#ifndef TRUCE_CORE_LOG_H
#define TRUCE_CORE_LOG_H

void log_set_quiet(int quiet);
void log_set_access(int enabled); /* Access log on (default) or off. */
int log_access_enabled(void);
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_access(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
