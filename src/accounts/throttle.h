/* throttle.h - slows down password guessing.
 *
 * Counts failed sign-ins per key (the user name, and separately the client address).
 * After `max_failures` failures within `window` seconds the key is locked until the
 * window that began with the first failure has passed. A success clears the key.
 *
 * The table has a fixed number of slots, so a flood of made-up names cannot exhaust
 * memory; when every slot a key hashes to is taken, the slot with the oldest window is
 * reused. Thread-safe. */
#ifndef TRUCE_ACCOUNTS_THROTTLE_H
#define TRUCE_ACCOUNTS_THROTTLE_H

#include <stdint.h>

typedef struct throttle throttle;

throttle *throttle_new(int max_failures, int window);
void throttle_free(throttle *t);

/* 0 when the key may try now; otherwise the number of seconds until it may. */
int throttle_wait(throttle *t, const char *key, int64_t now);
void throttle_failed(throttle *t, const char *key, int64_t now);
void throttle_succeeded(throttle *t, const char *key);

#endif
