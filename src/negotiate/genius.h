/* genius.h - reading negotiation domains in the Genius XML format (ANAC).
 *
 * A domain is one file whose root is <negotiation_template> (issues and their items) and
 * one file per party whose root is <utility_space> (weights per issue, an evaluation per
 * item, optionally <reservation value=.../>). As Genius does, each issue's evaluations are
 * divided by that largest evaluation and the weights are normalised to sum to 1.
 * Parties are named after their profile files. Only discrete issues exist in the format's
 * competition domains; other issue types are refused with a clear error. */
#ifndef TRUCE_NEGOTIATE_GENIUS_H
#define TRUCE_NEGOTIATE_GENIUS_H

#include "core/err.h"
#include "negotiate/engine/engine.h"

/* paths: files, or directories whose *.xml files are read (in name order). */
neg_domain *neg_genius_load(char *const *paths, int n, tr_err *e);

/* The issues and options of a Genius domain given as XML text (no profiles). */
neg_domain *neg_genius_domain_parse(const char *xml, size_t len, tr_err *e);

#endif
