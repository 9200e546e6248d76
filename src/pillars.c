/* pillars.c - the registry: the pillars, in dependency order, and what each gives the layers
 * below it. Adding a pillar adds its line to each list here and touches nothing else
 * outside its folder.
 *
 *   accounts   organizations, users, tokens, signing keys, the deployment and its scenario
 *   aid        crossings (and the aid flow to come)
 *   negotiate  negotiations, profiles, texts, responses, agreements
 *   monitor    zones, reports, incidents, evidence */
#include "accounts/project.h"
#include "aid/project.h"
#include "monitor/project.h"
#include "negotiate/project.h"

const journal_projection *const journal_projection_tables[] = {
    accounts_projections, aid_projections, negotiate_projections, monitor_projections, NULL,
};
