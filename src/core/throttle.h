/* throttle.h - slows down password guessing and rate-limits by key.
 *
 * Two kinds of table, each counting failures per key (a string: a user name, an address,
 * a pair of them):
 * - a fixed window (throttle_new): after `max_failures` failures within `window` seconds
 *   the key is refused until the window that began with the first failure has passed (the
 *   public's report rate limit);
 * - growing delays (throttle_new_growing): the first `free` failures cost nothing; after
 *   that each failure doubles the wait before the key's next try, from 1 s up to
 *   `max_delay`; a key's failures are forgotten `forget` seconds after its last one. Sign-in
 *   uses these, so a guesser slows to a crawl while nobody is locked out for long.
 * A table can also remember keys (throttle_remember): sign-in remembers the (user, address)
 * pairs that signed in, so that an attack on a name from elsewhere does not delay its owner
 * where they usually sign in.
 *
 * The table has a fixed number of slots, so a flood of made-up names cannot exhaust
 * memory; when every slot a key hashes to is taken, the slot used longest ago is reused.
 * Thread-safe. */
#ifndef TRUCE_ACCOUNTS_THROTTLE_H
#define TRUCE_ACCOUNTS_THROTTLE_H

#include <stdint.h>

typedef struct throttle throttle;

throttle *throttle_new(int max_failures, int window);
throttle *throttle_new_growing(int free, int max_delay, int forget);
void throttle_free(throttle *t);

/* 0 when the key may try now; otherwise the number of seconds until it may. */
int throttle_wait(throttle *t, const char *key, int64_t now);
void throttle_failed(throttle *t, const char *key, int64_t now);
void throttle_succeeded(throttle *t, const char *key);

/* Remembers key (as having signed in at now); whether it is remembered. */
void throttle_remember(throttle *t, const char *key, int64_t now);
int throttle_remembers(throttle *t, const char *key);

#endif
