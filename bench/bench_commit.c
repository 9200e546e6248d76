/* bench_commit.c - the peer for truce's durable writes: what an application gets from
 * SQLite by itself, each write its own transaction, in the journal mode and sync level
 * truce uses (WAL, synchronous=FULL), with the same number of writers as make bench's HTTP
 * clients, each on its own connection (SQLite's busy handler queues them on the lock).
 *
 *   bench_commit DIR SECONDS WRITERS
 *
 * Prints "raw SQLite commits  WRITERS  N/s". A row is about the size of a crossing's
 * journal entry (300 bytes). */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char db_path[4096];
static double deadline;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static sqlite3 *open_db(void)
{
    sqlite3 *db;
    if (sqlite3_open(db_path, &db) != SQLITE_OK) {
        fprintf(stderr, "bench_commit: %s: %s\n", db_path, sqlite3_errmsg(db));
        exit(1);
    }
    /* Longer than any run: with 64 writers, SQLite's busy handler (sleeps, no queue) can
     * leave one waiting for seconds. */
    sqlite3_busy_timeout(db, 600000);
    sqlite3_exec(db, "PRAGMA synchronous = FULL;", NULL, NULL, NULL);
    return db;
}

static void *writer(void *arg)
{
    long *count = arg;
    sqlite3 *db = open_db();
    sqlite3_stmt *st;
    char body[320];
    memset(body, 'x', sizeof body - 1);
    body[sizeof body - 1] = 0;
    if (sqlite3_prepare_v2(db, "INSERT INTO entries(body) VALUES (?)", -1, &st, NULL) != SQLITE_OK)
        exit(1);
    while (now() < deadline) {
        sqlite3_bind_text(st, 1, body, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE) {
            fprintf(stderr, "bench_commit: %s\n", sqlite3_errmsg(db));
            exit(1);
        }
        sqlite3_reset(st);
        (*count)++;
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: bench_commit DIR SECONDS WRITERS\n");
        return 2;
    }
    double seconds = atof(argv[2]);
    int n = atoi(argv[3]);
    if (seconds <= 0 || n < 1 || n > 1024) {
        fprintf(stderr, "bench_commit: SECONDS > 0, WRITERS 1-1024\n");
        return 2;
    }
    snprintf(db_path, sizeof db_path, "%s/commit.db", argv[1]);
    remove(db_path);
    sqlite3 *db = open_db();
    sqlite3_exec(db,
                 "PRAGMA journal_mode = WAL; CREATE TABLE entries(id INTEGER PRIMARY KEY, body "
                 "TEXT NOT NULL)",
                 NULL, NULL, NULL);
    pthread_t *t = calloc((size_t)n, sizeof *t);
    long *counts = calloc((size_t)n, sizeof *counts);
    double start = now(), total = 0;
    deadline = start + seconds;
    for (int i = 0; i < n; i++)
        pthread_create(&t[i], NULL, writer, &counts[i]);
    for (int i = 0; i < n; i++) {
        pthread_join(t[i], NULL);
        total += (double)counts[i];
    }
    printf("%-34s %5d %12.2f\n", "raw SQLite, a commit a write", n, total / (now() - start));
    sqlite3_close(db);
    free(t);
    free(counts);
    return 0;
}
