/* routes.h - the aid pillar's part of the route table (routes.c), ending with a NULL method. */
#ifndef TRUCE_AID_ROUTES_H
#define TRUCE_AID_ROUTES_H

#include "http/internal.h"

extern const http_route aid_routes[];

#endif
