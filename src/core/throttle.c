/* throttle.c - failed sign-in counting; see throttle.h. */
#include "core/throttle.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 4096 /* Power of two. */
#define PROBE 8

typedef struct slot {
    char key[128]; /* Empty when free; a longer key is cut here, */
    uint32_t full; /* and told apart by the hash of all of it. */
    int64_t since; /* Fixed window: its start. Growing: the last failure (or remembering). */
    int failures;  /* Failures since `since` (fixed), or not yet forgotten (growing). */
} slot;

struct throttle {
    pthread_mutex_t lock;
    int growing;
    int max_failures, window;    /* fixed window */
    int free, max_delay, forget; /* growing delays */
    slot slots[SLOTS];
};

throttle *throttle_new(int max_failures, int window)
{
    throttle *t = calloc(1, sizeof *t);
    if (!t) abort();
    pthread_mutex_init(&t->lock, NULL);
    t->max_failures = max_failures;
    t->window = window;
    return t;
}

throttle *throttle_new_growing(int free, int max_delay, int forget)
{
    throttle *t = throttle_new(0, 0);
    t->growing = 1;
    t->free = free;
    t->max_delay = max_delay;
    t->forget = forget;
    return t;
}

/* The wait after n failures, growing: 0 for the free ones, then 1, 2, 4 ... max_delay. */
static int64_t delay_after(const throttle *t, int n)
{
    if (n <= t->free) return 0;
    int doublings = n - t->free - 1;
    if (doublings >= 30) return t->max_delay;
    int64_t d = (int64_t)1 << doublings;
    return d < t->max_delay ? d : t->max_delay;
}

void throttle_free(throttle *t)
{
    if (!t) return;
    pthread_mutex_destroy(&t->lock);
    free(t);
}

static uint32_t hash(const char *s)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    while (*s)
        h = (h ^ (unsigned char)*s++) * 16777619u;
    return h;
}

/* Finds the key's slot; with create, claims the oldest slot of its probe run. */
static slot *find(throttle *t, const char *key, int create)
{
    uint32_t h = hash(key);
    slot *victim = NULL;
    for (int i = 0; i < PROBE; i++) {
        slot *s = &t->slots[(h + (uint32_t)i) & (SLOTS - 1)];
        if (s->key[0] && s->full == h && strncmp(s->key, key, sizeof s->key - 1) == 0) return s;
        if (!victim || !s->key[0] || (victim->key[0] && s->since < victim->since)) victim = s;
    }
    if (!create) return NULL;
    memset(victim, 0, sizeof *victim);
    snprintf(victim->key, sizeof victim->key, "%s", key);
    victim->full = h;
    return victim;
}

int throttle_wait(throttle *t, const char *key, int64_t now)
{
    int wait = 0;
    pthread_mutex_lock(&t->lock);
    slot *s = find(t, key, 0);
    if (t->growing) {
        if (s && s->failures > 0) {
            if (s->since + t->forget <= now) {
                memset(s, 0, sizeof *s);
            } else {
                int64_t until = s->since + delay_after(t, s->failures);
                if (until > now) wait = (int)(until - now);
            }
        }
    } else if (s && s->failures >= t->max_failures) {
        int64_t until = s->since + t->window;
        if (until > now)
            wait = (int)(until - now);
        else
            memset(s, 0, sizeof *s);
    }
    pthread_mutex_unlock(&t->lock);
    return wait;
}

void throttle_failed(throttle *t, const char *key, int64_t now)
{
    pthread_mutex_lock(&t->lock);
    slot *s = find(t, key, 1);
    if (t->growing) {
        if (s->since + t->forget <= now) s->failures = 0;
        s->since = now;
    } else if (s->failures == 0 || s->since + t->window <= now) {
        s->since = now;
        s->failures = 0;
    }
    s->failures++;
    pthread_mutex_unlock(&t->lock);
}

void throttle_succeeded(throttle *t, const char *key)
{
    pthread_mutex_lock(&t->lock);
    slot *s = find(t, key, 0);
    if (s) memset(s, 0, sizeof *s);
    pthread_mutex_unlock(&t->lock);
}

void throttle_remember(throttle *t, const char *key, int64_t now)
{
    pthread_mutex_lock(&t->lock);
    slot *s = find(t, key, 1);
    s->since = now;
    pthread_mutex_unlock(&t->lock);
}

int throttle_remembers(throttle *t, const char *key)
{
    pthread_mutex_lock(&t->lock);
    int found = find(t, key, 0) != NULL;
    pthread_mutex_unlock(&t->lock);
    return found;
}
