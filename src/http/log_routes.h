/* log_routes.h - handlers of the Merkle log's read API (log_routes.c). */
#ifndef TRUCE_HTTP_LOG_ROUTES_H
#define TRUCE_HTTP_LOG_ROUTES_H

#include "http/internal.h"

int h_log_checkpoint(http_req *r);
int h_log_entries(http_req *r);
int h_log_inclusion(http_req *r);
int h_log_consistency(http_req *r);
int h_log_tile(http_req *r);

#endif
