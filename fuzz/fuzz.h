/* fuzz.h - what the fuzz targets share: one database, made once per process.
 *
 * Each target (libFuzzer, `make fuzz`) feeds its input to one of truce's parsers of
 * untrusted input, in a transaction it then rolls back, so that every input meets the
 * same database: the gaza-2025 scenario's organizations and zones, no incidents. */
#ifndef TRUCE_FUZZ_H
#define TRUCE_FUZZ_H

#include "store/store.h"

#include <stddef.h>
#include <stdint.h>

/* The database, made at the first call (in a fresh temporary directory), and its path. */
store *fuzz_store(void);
const char *fuzz_db_path(void);

/* data as a NUL-terminated copy, malloc'd. */
char *fuzz_text(const uint8_t *data, size_t size);

#endif
