/* pillars.c - the registry: the pillars, in dependency order, and what each gives the layers
 * below it. Adding a pillar adds its line to each list here and touches nothing else
 * outside its folder.
 *
 *   accounts   organizations, users, tokens, signing keys, the deployment and its scenario
 *   aid        crossings (and the aid flow to come)
 *   negotiate  negotiations, profiles, texts, responses, agreements
 *   monitor    zones, reports, incidents, evidence */
#include "accounts/project.h"
#include "accounts/routes.h"
#include "aid/project.h"
#include "aid/routes.h"
#include "monitor/project.h"
#include "monitor/routes.h"
#include "negotiate/project.h"
#include "negotiate/routes.h"

const journal_projection *const journal_projection_tables[] = {
    accounts_projections, aid_projections, negotiate_projections, monitor_projections, NULL,
};

const http_route *const http_route_tables[] = {
    accounts_routes, aid_routes, negotiate_routes, monitor_routes, NULL,
};
