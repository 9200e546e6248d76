/* routes.h - the accounts pillar's part of the route table (routes.c), ending with a NULL method.
 */
#ifndef TRUCE_ACCOUNTS_ROUTES_H
#define TRUCE_ACCOUNTS_ROUTES_H

#include "http/internal.h"

extern const http_route accounts_routes[];
/* Bearer tokens, resolved for the server (http/internal.h). */
extern const http_auth accounts_auth;

#endif
