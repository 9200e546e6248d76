/* project.h - the aid pillar's projections: one function per event type it records. */
#ifndef TRUCE_AID_PROJECT_H
#define TRUCE_AID_PROJECT_H

#include "journal/projection.h"

extern const journal_projection aid_projections[];

#endif
