/* engine — judges one flow against the NetworkPolicies of a model.
 *
 * Kubernetes networking.k8s.io/v1 semantics: a pod is isolated for a
 * direction only when a policy selecting it has that policyType; what is
 * allowed is the union of the rules of those policies; a flow is allowed only
 * when the source's egress and the destination's ingress both allow it.
 * Ends that are not pods (nodes, the world) are never isolated.
 *
 * Every verdict explains itself, and evaluating allocates nothing: the result
 * is a fixed-size struct the caller owns.
 */
#ifndef NPWATCH_ENGINE_H
#define NPWATCH_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"

enum np_endpoint_kind { NP_END_POD, NP_END_NODE, NP_END_WORLD };

/* One end of a flow, already resolved (see resolve.h). */
struct np_endpoint {
	enum np_endpoint_kind kind;
	const struct np_pod *pod;   /* NP_END_POD */
	const struct np_node *node; /* NP_END_NODE, may be NULL for an unknown host */
	struct np_ip ip;            /* the address in use; family 0 when unknown */
};

struct np_flow {
	struct np_endpoint src;
	struct np_endpoint dst;
	uint16_t port; /* destination port */
	enum np_proto proto;
};

/* Which policies count: those in force, or those plus the staged ones. */
enum np_policy_scope { NP_SCOPE_IN_FORCE, NP_SCOPE_WITH_STAGED };

enum np_direction { NP_DIR_EGRESS, NP_DIR_INGRESS };

#define NP_EXPLAIN_MAX 8

/* A place in a policy: rule index into ingress/egress, and the peer and port
 * entries in it (-1 when the rule has none, i.e. matches all). */
struct np_rule_ref {
	const struct np_policy *policy;
	int rule;
	int peer;
	int port;
};

enum np_miss_kind {
	NP_MISS_NONE,
	NP_MISS_PORT, /* a peer of the rule matched, no port entry did */
	NP_MISS_PEER, /* a port entry matched, no peer did */
};

struct np_direction_verdict {
	bool allowed;
	bool isolated; /* some policy of the scope selects the pod for this direction */
	bool self;     /* a pod's traffic to itself: always allowed */
	/* The policies that isolate the pod, up to NP_EXPLAIN_MAX of n_isolating. */
	const struct np_policy *isolating[NP_EXPLAIN_MAX];
	size_t n_isolating;
	struct np_rule_ref allowed_by; /* when allowed by a rule */
	/* When denied: the rule that came closest, and in words what failed, e.g.
	 * "podSelector app In (backend) does not match app=frontend". */
	enum np_miss_kind miss;
	struct np_rule_ref nearest;
	char miss_reason[256];
};

struct np_verdict {
	bool allowed;
	struct np_direction_verdict egress;  /* of the source */
	struct np_direction_verdict ingress; /* of the destination */
};

void np_evaluate(const struct np_model *model, const struct np_flow *flow,
		 enum np_policy_scope scope, struct np_verdict *out);

/* Building blocks, exposed for lint, suggest and tests. */
bool np_selector_matches(const struct np_selector *sel, const struct np_labels *labels);
bool np_policy_selects(const struct np_policy *policy, const struct np_pod *pod);
/* Does this peer of a rule in policy match the endpoint? */
bool np_peer_matches(const struct np_model *model, const struct np_policy *policy,
		     const struct np_peer *peer, const struct np_endpoint *end);
/* Does this port entry admit port/proto towards dst (named ports resolved
 * against dst's container ports)? */
bool np_port_matches(const struct np_port_rule *rule, const struct np_endpoint *dst,
		     uint16_t port, enum np_proto proto);

/* Text forms for explanations: "app In (a, b), tier=web", "{}" for all. */
void np_selector_format(const struct np_selector *sel, char *buf, size_t len);
/* "x/a", "node n1 (10.0.0.1)", "192.0.2.7" */
void np_endpoint_format(const struct np_endpoint *end, char *buf, size_t len);

#endif
