/* routes.h - the monitor pillar's part of the route table (routes.c), ending with a NULL method. */
#ifndef TRUCE_MONITOR_ROUTES_H
#define TRUCE_MONITOR_ROUTES_H

#include "http/internal.h"

extern const http_route monitor_routes[];      /* routes.c: reports, incidents, exports */
extern const http_route monitor_file_routes[]; /* files.c: evidence, imports, zones */

/* Whether the caller sees every incident, whatever its status (monitors, mediators,
 * administrators), and exact locations. For the pillar's two route files. */
int monitor__sees_every_incident(const http_req *r);

#endif
