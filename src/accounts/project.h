/* project.h - the accounts pillar's projections: one function per event type it records. */
#ifndef TRUCE_ACCOUNTS_PROJECT_H
#define TRUCE_ACCOUNTS_PROJECT_H

#include "journal/projection.h"

extern const journal_projection accounts_projections[];

#endif
