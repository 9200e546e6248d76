/* project.h - the compliance pillar's projections: one function per event type it records. */
#ifndef TRUCE_COMPLY_PROJECT_H
#define TRUCE_COMPLY_PROJECT_H

#include "journal/projection.h"

extern const journal_projection comply_projections[];

#endif
