/* explain — renders a verdict and its reasons for people (text) and for
 * programs (JSON). Shared by `check` and the daemon's sinks so that both say
 * the same thing in the same words.
 */
#ifndef NPWATCH_EXPLAIN_H
#define NPWATCH_EXPLAIN_H

#include <jansson.h>
#include <stdio.h>

#include "engine.h"

/* One direction in one line of words, e.g.
 *   "allowed (no policy isolates x/a for egress)"
 *   "denied (isolated by y/deny-all; no rule of y/deny-all, y/allow-web admits x/a on 80/TCP)"
 * followed, when there is one, by the nearest miss:
 *   "; nearest: y/allow-web spec.ingress[0]: port 80/TCP matched, from[0] podSelector app=web does not match app=api"
 */
void np_explain_direction(const struct np_flow *flow, const struct np_verdict *verdict,
			  enum np_direction dir, char *buf, size_t len);

/* The block `check` prints for one flow:
 *   x/a -> y/b 80/TCP: DENY
 *     egress  x/a: allowed (...)
 *     ingress y/b: denied (...)
 */
void np_explain_text(FILE *out, const struct np_flow *flow, const struct np_verdict *verdict);

/* {"verdict":"allow"|"deny","egress":"allow"|"deny","ingress":"allow"|"deny",
 *  "explanation":{"egress":{...},"ingress":{...}}}; each direction object has
 *  endpoint, allowed, isolated, policies [ns/name…], allowed_by
 *  {policy, rule:"spec.egress[0]"} or null, nearest_miss {policy, rule, kind
 *  "peer"|"port", reason} or null, and reason (the words above). */
json_t *np_explain_json(const struct np_flow *flow, const struct np_verdict *verdict);

#endif
