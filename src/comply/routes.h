/* routes.h - the compliance pillar's part of the route table (routes.c). */
#ifndef TRUCE_COMPLY_ROUTES_H
#define TRUCE_COMPLY_ROUTES_H

#include "http/internal.h"

extern const http_route comply_routes[];

#endif
