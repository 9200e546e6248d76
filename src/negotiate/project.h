/* project.h - the negotiate pillar's projections: one function per event type it records. */
#ifndef TRUCE_NEGOTIATE_PROJECT_H
#define TRUCE_NEGOTIATE_PROJECT_H

#include "journal/projection.h"

extern const journal_projection negotiate_projections[];

#endif
