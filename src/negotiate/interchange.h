/* interchange.h - negotiation domains in and out: GeniusWeb JSON, and Genius XML export.
 *
 * GeniusWeb. A domain is {"name", "issuesValues": {ISSUE: {"values": [...]}} or
 * {"range": {"low", "high", "step"}}}; a number range becomes its discrete steps. A profile
 * is {"LinearAdditiveUtilitySpace": {"name", "domain", "issueWeights": {ISSUE: w},
 * "issueUtilities": {ISSUE: {"DiscreteValueSetUtilities": {"valueUtilities": {V: u}}} or
 * {"NumberValueSetUtilities": {"lowValue", "lowUtility", "highValue", "highUtility"}}},
 * "reservationBid": {"issuevalues": {...}}?}}; the reservation value is the utility of the
 * reservation bid. Exports write the same shapes (red lines and reservation values that
 * are not a bid's utility have no place in the format and are left out).
 *
 * Genius XML export writes what genius.c reads: a <negotiation_template> domain and one
 * <utility_space> per party, with evaluations equal to the values and the reservation. */
#ifndef TRUCE_NEGOTIATE_INTERCHANGE_H
#define TRUCE_NEGOTIATE_INTERCHANGE_H

#include "core/buf.h"
#include "core/err.h"
#include "negotiate/engine/engine.h"

#include <jansson.h>

neg_domain *neg_geniusweb_load(char *const *paths, int n, tr_err *e);
/* The issues and options of a GeniusWeb domain object (no profiles). */
neg_domain *neg_geniusweb_domain_parse(const json_t *domain, tr_err *e);
json_t *neg_geniusweb_domain(const neg_domain *d, const char *name);
json_t *neg_geniusweb_profile(const neg_domain *d, int party, const char *domain_name);

void neg_genius_domain_xml(const neg_domain *d, buf *out);
void neg_genius_profile_xml(const neg_domain *d, int party, buf *out);

#endif
