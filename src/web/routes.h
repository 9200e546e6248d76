/* routes.h - the web app's routes (web.c), listed by the registry (src/pillars.c). */
#ifndef TRUCE_WEB_ROUTES_H
#define TRUCE_WEB_ROUTES_H

#include "http/internal.h"

extern const http_route web_routes[];

#endif
