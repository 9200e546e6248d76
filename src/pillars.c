/* pillars.c - the registry: the pillars, in dependency order, and what each gives the layers
 * below it. Adding a pillar adds its line to each list here and touches nothing else
 * outside its folder.
 *
 *   accounts   organizations, users, tokens, signing keys, the deployment and its scenario
 *   aid        crossings and closures, requests, truckloads, counts, targets
 *   negotiate  negotiations, profiles, texts, responses, agreements
 *   monitor    zones, reports, incidents, evidence
 *   comply     obligations of agreements, evaluated from the others' evidence */
#include "accounts/project.h"
#include "accounts/routes.h"
#include "accounts/schema.h"
#include "aid/project.h"
#include "comply/comply.h"
#include "comply/project.h"
#include "comply/routes.h"
#include "comply/schema.h"
#include "aid/schema.h"
#include "aid/routes.h"
#include "monitor/project.h"
#include "monitor/schema.h"
#include "monitor/routes.h"
#include "negotiate/project.h"
#include "negotiate/schema.h"
#include "negotiate/routes.h"
#include "web/routes.h"

/* Their schemas after the base (store/store.h): migrations, and emptying for a rebuild. */
const store_migration_set *const store_migration_sets[] = {
    &accounts_schema,  /* src/accounts/schema_sqlite.c */
    &aid_schema,       /* src/aid/schema_sqlite.c */
    &negotiate_schema, /* src/negotiate/schema_sqlite.c */
    &monitor_schema,   /* src/monitor/schema_sqlite.c */
    &comply_schema,    /* src/comply/schema_sqlite.c */
    NULL,
};

/* Those that keep their data in PostgreSQL too (store/pg.c), in the same order; the others
 * follow pillar by pillar. */
const store_migration_set *const store_migration_sets_pg[] = {
    &accounts_schema_pg,  /* src/accounts/schema_pg.c */
    &aid_schema_pg,       /* src/aid/schema_pg.c */
    &negotiate_schema_pg, /* src/negotiate/schema_pg.c */
    &monitor_schema_pg,   /* src/monitor/schema_pg.c */
    &comply_schema_pg,    /* src/comply/schema_pg.c */
    NULL,
};

/* Their events' projections (journal/projection.h). */
const journal_projection *const journal_projection_tables[] = {
    accounts_projections,  /* src/accounts/project.c */
    aid_projections,       /* src/aid/project.c */
    negotiate_projections, /* src/negotiate/project.c */
    monitor_projections,   /* src/monitor/project.c */
    comply_projections,    /* src/comply/project.c */
    NULL,
};

/* Their routes (http/internal.h), merged with the server's own. */
const http_route *const http_route_tables[] = {
    accounts_routes,     /* src/accounts/routes.c */
    aid_routes,          /* src/aid/routes.c */
    negotiate_routes,    /* src/negotiate/routes.c */
    monitor_routes,      /* src/monitor/routes.c */
    monitor_file_routes, /* src/monitor/files.c */
    comply_routes,       /* src/comply/routes.c */
    web_routes,          /* src/web/web.c: the web app's pages and files */
    NULL,
};

/* Their periodic work in the server (http/internal.h). */
const http_tick http_ticks[] = {
    {comply_tick, 60},  /* src/comply/settle.c: journal obligations' changes of state */
    {webhooks_tick, 5}, /* src/comply/webhooks.c: queue and deliver webhooks */
    {NULL, 0},
};

/* Who calls: the accounts pillar resolves bearer tokens. */
const http_auth *const http_auth_provider = &accounts_auth;
