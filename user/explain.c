/* explain — puts an engine verdict into words (text) and into fields (JSON);
 * see explain.h. `check` and the daemon's sinks both print what this writes,
 * so a flow reads the same wherever it is reported.
 *
 * The words are written for someone debugging an outage: every denial names
 * the policies that isolate the pod, and the rule that came closest to
 * admitting the flow with the one selector, address or port that failed.
 */
#include "explain.h"

#include <string.h>

#include "textbuf.h"

/* Long enough for any endpoint, rule or policy name the API allows. */
#define NAME_LEN 512
#define LINE_LEN 2048

static const struct np_direction_verdict *direction_of(const struct np_verdict *verdict,
						       enum np_direction dir)
{
	return dir == NP_DIR_EGRESS ? &verdict->egress : &verdict->ingress;
}

/* The pod a direction is about (the source's egress, the destination's
 * ingress) and the end on the other side. */
static const struct np_endpoint *subject_of(const struct np_flow *flow, enum np_direction dir)
{
	return dir == NP_DIR_EGRESS ? &flow->src : &flow->dst;
}

static const struct np_endpoint *peer_of(const struct np_flow *flow, enum np_direction dir)
{
	return dir == NP_DIR_EGRESS ? &flow->dst : &flow->src;
}

static const char *direction_name(enum np_direction dir)
{
	return dir == NP_DIR_EGRESS ? "egress" : "ingress";
}

static void add_endpoint(struct np_text *t, const struct np_endpoint *end)
{
	char name[NAME_LEN];

	np_endpoint_format(end, name, sizeof(name));
	np_text_add(t, "%s", name);
}

/* Text names staged policies as such: in a what-if evaluation the reader
 * must tell the policies about to be applied from those in force. */
static void add_policy_list(struct np_text *t, const struct np_direction_verdict *v)
{
	size_t shown = v->n_isolating < NP_EXPLAIN_MAX ? v->n_isolating : NP_EXPLAIN_MAX;

	for (size_t i = 0; i < shown; i++) {
		const struct np_policy *policy = v->isolating[i];

		np_text_add(t, "%s%s/%s%s", i ? ", " : "", policy->namespace_name, policy->name,
			 policy->staged ? " (staged)" : "");
	}
	if (v->n_isolating > shown)
		np_text_add(t, " and %zu more", v->n_isolating - shown);
}

static void add_rule(struct np_text *t, const struct np_rule_ref *ref, enum np_direction dir)
{
	np_text_add(t, "%s/%s spec.%s[%d]", ref->policy->namespace_name, ref->policy->name,
		 direction_name(dir), ref->rule);
}

static const char *peer_list_name(enum np_direction dir)
{
	return dir == NP_DIR_INGRESS ? "from" : "to";
}

static void add_allowed_by(struct np_text *t, const struct np_direction_verdict *v,
			   enum np_direction dir)
{
	const struct np_rule_ref *ref = &v->allowed_by;

	np_text_add(t, "allowed by ");
	add_rule(t, ref, dir);
	if (ref->peer >= 0 && ref->port >= 0)
		np_text_add(t, " (%s[%d], ports[%d])", peer_list_name(dir), ref->peer, ref->port);
	else if (ref->peer >= 0)
		np_text_add(t, " (%s[%d])", peer_list_name(dir), ref->peer);
	else if (ref->port >= 0)
		np_text_add(t, " (ports[%d])", ref->port);
}

static void add_nearest(struct np_text *t, const struct np_flow *flow,
			const struct np_direction_verdict *v, enum np_direction dir)
{
	const struct np_rule_ref *ref = &v->nearest;

	np_text_add(t, "; nearest: ");
	add_rule(t, ref, dir);
	if (v->miss == NP_MISS_PEER)
		np_text_add(t, ": port %u/%s matched, ", flow->port, np_proto_name(flow->proto));
	else if (ref->peer >= 0)
		np_text_add(t, ": %s[%d] matched, ", peer_list_name(dir), ref->peer);
	else
		np_text_add(t, ": any %s matched, ", dir == NP_DIR_INGRESS ? "source" : "destination");
	np_text_add(t, "%s", v->miss_reason);
}

/* Why a direction is allowed without any rule being consulted. */
static void add_unisolated(struct np_text *t, const struct np_endpoint *end, enum np_direction dir)
{
	np_text_add(t, "allowed (");
	if (end->kind == NP_END_POD && end->pod && end->pod->host_network) {
		add_endpoint(t, end);
		np_text_add(t, " uses the host network, which NetworkPolicy never isolates)");
	} else if (end->kind != NP_END_POD || !end->pod) {
		add_endpoint(t, end);
		np_text_add(t, " is not a pod; NetworkPolicy isolates pods only)");
	} else {
		np_text_add(t, "no policy isolates ");
		add_endpoint(t, end);
		np_text_add(t, " for %s)", direction_name(dir));
	}
}

static void add_denied(struct np_text *t, const struct np_flow *flow,
		       const struct np_direction_verdict *v, enum np_direction dir)
{
	np_text_add(t, "denied (isolated by ");
	add_policy_list(t, v);
	np_text_add(t, "; no rule of ");
	add_policy_list(t, v);
	np_text_add(t, " admits ");
	add_endpoint(t, peer_of(flow, dir));
	np_text_add(t, " on %u/%s)", flow->port, np_proto_name(flow->proto));
	if (v->miss != NP_MISS_NONE)
		add_nearest(t, flow, v, dir);
}

void np_explain_direction(const struct np_flow *flow, const struct np_verdict *verdict,
			  enum np_direction dir, char *buf, size_t len)
{
	const struct np_direction_verdict *v = direction_of(verdict, dir);
	const struct np_endpoint *end = subject_of(flow, dir);
	struct np_text t;

	np_text_init(&t, buf, len);
	if (v->self) {
		np_text_add(&t, "allowed (");
		add_endpoint(&t, end);
		np_text_add(&t, " to itself: NetworkPolicy never filters a pod's own traffic)");
	} else if (!v->isolated) {
		add_unisolated(&t, end, dir);
	} else if (v->allowed) {
		add_allowed_by(&t, v, dir);
	} else {
		add_denied(&t, flow, v, dir);
	}
}

void np_explain_text(FILE *out, const struct np_flow *flow, const struct np_verdict *verdict)
{
	char src[NAME_LEN], dst[NAME_LEN], line[LINE_LEN];

	np_endpoint_format(&flow->src, src, sizeof(src));
	np_endpoint_format(&flow->dst, dst, sizeof(dst));
	fprintf(out, "%s -> %s %u/%s: %s\n", src, dst, flow->port, np_proto_name(flow->proto),
		verdict->allowed ? "ALLOW" : "DENY");
	np_explain_direction(flow, verdict, NP_DIR_EGRESS, line, sizeof(line));
	fprintf(out, "  egress  %s: %s\n", src, line);
	np_explain_direction(flow, verdict, NP_DIR_INGRESS, line, sizeof(line));
	fprintf(out, "  ingress %s: %s\n", dst, line);
}

/* ---- JSON ---------------------------------------------------------------------- */

static const char *allow_word(bool allowed)
{
	return allowed ? "allow" : "deny";
}

static json_t *policy_name_json(const struct np_policy *policy)
{
	return json_sprintf("%s/%s", policy->namespace_name, policy->name);
}

static json_t *rule_json(const struct np_rule_ref *ref, enum np_direction dir)
{
	return json_pack("{s:o, s:o}", "policy", policy_name_json(ref->policy), "rule",
			 json_sprintf("spec.%s[%d]", direction_name(dir), ref->rule));
}

static json_t *nearest_json(const struct np_direction_verdict *v, enum np_direction dir)
{
	json_t *miss;

	if (v->miss == NP_MISS_NONE)
		return json_null();
	miss = rule_json(&v->nearest, dir);
	if (miss) {
		json_object_set_new(miss, "kind",
				    json_string(v->miss == NP_MISS_PEER ? "peer" : "port"));
		json_object_set_new(miss, "reason", json_string(v->miss_reason));
	}
	return miss;
}

static json_t *direction_json(const struct np_flow *flow, const struct np_verdict *verdict,
			      enum np_direction dir)
{
	const struct np_direction_verdict *v = direction_of(verdict, dir);
	char endpoint[NAME_LEN], reason[LINE_LEN];
	size_t shown = v->n_isolating < NP_EXPLAIN_MAX ? v->n_isolating : NP_EXPLAIN_MAX;
	json_t *policies = json_array();
	json_t *allowed_by = v->allowed_by.policy ? rule_json(&v->allowed_by, dir) : json_null();

	for (size_t i = 0; policies && i < shown; i++)
		json_array_append_new(policies, policy_name_json(v->isolating[i]));
	np_endpoint_format(subject_of(flow, dir), endpoint, sizeof(endpoint));
	np_explain_direction(flow, verdict, dir, reason, sizeof(reason));
	return json_pack("{s:s, s:b, s:b, s:o, s:o, s:o, s:s}", "endpoint", endpoint, "allowed",
			 v->allowed, "isolated", v->isolated, "policies", policies, "allowed_by",
			 allowed_by, "nearest_miss", nearest_json(v, dir), "reason", reason);
}

json_t *np_explain_json(const struct np_flow *flow, const struct np_verdict *verdict)
{
	return json_pack("{s:s, s:s, s:s, s:{s:o, s:o}}", "verdict", allow_word(verdict->allowed),
			 "egress", allow_word(verdict->egress.allowed), "ingress",
			 allow_word(verdict->ingress.allowed), "explanation", "egress",
			 direction_json(flow, verdict, NP_DIR_EGRESS), "ingress",
			 direction_json(flow, verdict, NP_DIR_INGRESS));
}
