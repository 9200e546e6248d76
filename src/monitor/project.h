/* project.h - the monitor pillar's projections: one function per event type it records. */
#ifndef TRUCE_MONITOR_PROJECT_H
#define TRUCE_MONITOR_PROJECT_H

#include "journal/projection.h"

extern const journal_projection monitor_projections[];

#endif
