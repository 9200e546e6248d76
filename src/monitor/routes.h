/* routes.h - the monitor pillar's part of the route table (routes.c), ending with a NULL method. */
#ifndef TRUCE_MONITOR_ROUTES_H
#define TRUCE_MONITOR_ROUTES_H

#include "http/internal.h"

extern const http_route monitor_routes[];

#endif
