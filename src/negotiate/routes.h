/* routes.h - the negotiate pillar's part of the route table (routes.c), ending with a NULL method.
 */
#ifndef TRUCE_NEGOTIATE_ROUTES_H
#define TRUCE_NEGOTIATE_ROUTES_H

#include "http/internal.h"

extern const http_route negotiate_routes[];

#endif
