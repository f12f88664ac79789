/* engine — judges one flow against the NetworkPolicies of a model; see engine.h.
 *
 * Evaluation walks the policies of the scope once per direction: those that
 * select the pod and isolate that direction are recorded, and their rules are
 * tried in order until one admits the flow. While trying, the rule that came
 * closest is remembered, and only for a denial is it put into words. All text
 * goes into the verdict's fixed buffers: nothing here allocates.
 */
#include "engine.h"

#include <stdio.h>
#include <string.h>

#include "textbuf.h"

/* ---- selectors ----------------------------------------------------------------- */

static const struct np_labels no_labels;

static bool has_value(const struct np_requirement *req, const char *value)
{
	for (size_t i = 0; i < req->n_values; i++)
		if (strcmp(req->values[i], value) == 0)
			return true;
	return false;
}

static bool requirement_matches(const struct np_requirement *req, const struct np_labels *labels)
{
	const char *value = np_labels_get(labels, req->key);

	switch (req->op) {
	case NP_OP_IN:
		return value && has_value(req, value);
	case NP_OP_NOT_IN: /* as in Kubernetes, a missing key is "not in" any set */
		return !value || !has_value(req, value);
	case NP_OP_EXISTS:
		return value != NULL;
	case NP_OP_DOES_NOT_EXIST:
		return value == NULL;
	}
	return false;
}

bool np_selector_matches(const struct np_selector *sel, const struct np_labels *labels)
{
	for (size_t i = 0; i < sel->n_reqs; i++)
		if (!requirement_matches(&sel->reqs[i], labels))
			return false;
	return true;
}

static void add_values(struct np_text *t, const struct np_requirement *req, const char *op)
{
	np_text_add(t, "%s %s (", req->key, op);
	for (size_t i = 0; i < req->n_values; i++)
		np_text_add(t, "%s%s", i ? ", " : "", req->values[i]);
	np_text_add(t, ")");
}

static void add_requirement(struct np_text *t, const struct np_requirement *req)
{
	switch (req->op) {
	case NP_OP_IN:
		if (req->from_match_labels && req->n_values == 1)
			np_text_add(t, "%s=%s", req->key, req->values[0]);
		else
			add_values(t, req, "In");
		break;
	case NP_OP_NOT_IN:
		add_values(t, req, "NotIn");
		break;
	case NP_OP_EXISTS:
		np_text_add(t, "%s", req->key);
		break;
	case NP_OP_DOES_NOT_EXIST:
		np_text_add(t, "!%s", req->key);
		break;
	}
}

static void add_selector(struct np_text *t, const struct np_selector *sel)
{
	if (sel->n_reqs == 0) {
		np_text_add(t, "{}");
		return;
	}
	for (size_t i = 0; i < sel->n_reqs; i++) {
		np_text_add(t, "%s", i ? ", " : "");
		add_requirement(t, &sel->reqs[i]);
	}
}

void np_selector_format(const struct np_selector *sel, char *buf, size_t len)
{
	struct np_text t;

	np_text_init(&t, buf, len);
	add_selector(&t, sel);
}

/* What the labels say about the keys of the requirements that fail, once per
 * key: "app=api, no tier label". Labels the selector does not mention would
 * only bury the one that matters. */
static void add_failing_labels(struct np_text *t, const struct np_selector *sel,
			       const struct np_labels *labels)
{
	bool first = true;

	for (size_t i = 0; i < sel->n_reqs; i++) {
		const struct np_requirement *req = &sel->reqs[i];
		const char *value;
		bool seen = false;

		if (requirement_matches(req, labels))
			continue;
		for (size_t j = 0; j < i && !seen; j++)
			seen = strcmp(sel->reqs[j].key, req->key) == 0 &&
			       !requirement_matches(&sel->reqs[j], labels);
		if (seen)
			continue;
		value = np_labels_get(labels, req->key);
		if (value)
			np_text_add(t, "%s%s=%s", first ? "" : ", ", req->key, value);
		else
			np_text_add(t, "%sno %s label", first ? "" : ", ", req->key);
		first = false;
	}
}

static bool first_failing_key_present(const struct np_selector *sel,
				      const struct np_labels *labels)
{
	for (size_t i = 0; i < sel->n_reqs; i++)
		if (!requirement_matches(&sel->reqs[i], labels))
			return np_labels_get(labels, sel->reqs[i].key) != NULL;
	return false;
}

/* ---- endpoints ----------------------------------------------------------------- */

/* Host-network pods share their node's network identity: NetworkPolicy
 * neither isolates them nor lets pod or namespace selectors pick them. */
static bool is_policy_pod(const struct np_endpoint *end)
{
	return end->kind == NP_END_POD && end->pod && !end->pod->host_network;
}

static bool is_same_pod(const struct np_flow *flow)
{
	return flow->src.kind == NP_END_POD && flow->dst.kind == NP_END_POD && flow->src.pod &&
	       flow->src.pod == flow->dst.pod;
}

static void add_endpoint(struct np_text *t, const struct np_endpoint *end)
{
	char ip[NP_IP_STRLEN] = "";

	if (end->ip.family)
		np_ip_format(&end->ip, ip, sizeof(ip));
	if (end->kind == NP_END_POD && end->pod) {
		np_text_add(t, "%s/%s", end->pod->namespace_name, end->pod->name);
	} else if (end->kind == NP_END_NODE && end->node) {
		np_text_add(t, "node %s", end->node->name);
		if (*ip)
			np_text_add(t, " (%s)", ip);
	} else if (end->kind == NP_END_NODE) {
		np_text_add(t, "node %s", *ip ? ip : "of unknown address");
	} else {
		np_text_add(t, "%s", *ip ? ip : "unknown address");
	}
}

void np_endpoint_format(const struct np_endpoint *end, char *buf, size_t len)
{
	struct np_text t;

	np_text_init(&t, buf, len);
	add_endpoint(&t, end);
}

/* ---- policies, peers and ports ----------------------------------------------------- */

bool np_policy_selects(const struct np_policy *policy, const struct np_pod *pod)
{
	return !pod->host_network && strcmp(policy->namespace_name, pod->namespace_name) == 0 &&
	       np_selector_matches(&policy->pod_selector, &pod->labels);
}

static bool in_scope(const struct np_policy *policy, enum np_policy_scope scope)
{
	if (scope == NP_SCOPE_IN_FORCE)
		return !policy->staged;
	return policy->staged || !policy->replaced_when_staged;
}

static bool isolates(const struct np_policy *policy, enum np_direction dir)
{
	return dir == NP_DIR_INGRESS ? policy->isolates_ingress : policy->isolates_egress;
}

static const struct np_labels *namespace_labels(const struct np_model *model,
						const struct np_pod *pod)
{
	const struct np_namespace *ns = pod->ns;

	if (!ns && model)
		ns = np_model_namespace(model, pod->namespace_name);
	return ns ? &ns->labels : &no_labels;
}

/* A selector peer is a namespace half and a pod half; a podSelector alone
 * stands for the policy's own namespace, a namespaceSelector alone for every
 * pod of the namespaces it picks. */
static bool namespace_half_matches(const struct np_model *model, const struct np_policy *policy,
				   const struct np_peer *peer, const struct np_pod *pod)
{
	if (peer->kind == NP_PEER_PODS)
		return strcmp(policy->namespace_name, pod->namespace_name) == 0;
	return np_selector_matches(&peer->namespace_selector, namespace_labels(model, pod));
}

static bool pod_half_matches(const struct np_peer *peer, const struct np_pod *pod)
{
	return peer->kind == NP_PEER_NAMESPACES ||
	       np_selector_matches(&peer->pod_selector, &pod->labels);
}

static const struct np_cidr *excepted_by(const struct np_ipblock *block, const struct np_ip *ip)
{
	for (size_t i = 0; i < block->n_except; i++)
		if (np_cidr_contains(&block->except[i], ip))
			return &block->except[i];
	return NULL;
}

static bool ipblock_matches(const struct np_ipblock *block, const struct np_ip *ip)
{
	return ip->family && np_cidr_contains(&block->cidr, ip) && !excepted_by(block, ip);
}

bool np_peer_matches(const struct np_model *model, const struct np_policy *policy,
		     const struct np_peer *peer, const struct np_endpoint *end)
{
	if (peer->kind == NP_PEER_IPBLOCK)
		return ipblock_matches(&peer->ipblock, &end->ip);
	if (!is_policy_pod(end))
		return false;
	return namespace_half_matches(model, policy, peer, end->pod) &&
	       pod_half_matches(peer, end->pod);
}

/* The number a named port stands for on the destination: the container port
 * of that name and protocol, 0 when there is none (or no pod to ask). */
static uint16_t resolve_named_port(const char *name, enum np_proto proto,
				   const struct np_endpoint *dst)
{
	if (!is_policy_pod(dst))
		return 0;
	for (size_t i = 0; i < dst->pod->n_ports; i++) {
		const struct np_container_port *cp = &dst->pod->ports[i];

		if (cp->name && cp->proto == proto && strcmp(cp->name, name) == 0)
			return cp->port;
	}
	return 0;
}

bool np_port_matches(const struct np_port_rule *rule, const struct np_endpoint *dst,
		     uint16_t port, enum np_proto proto)
{
	uint16_t named;

	if (rule->proto != proto)
		return false;
	switch (rule->kind) {
	case NP_PORT_ANY:
		return true;
	case NP_PORT_NUMBER:
		if (rule->end_port)
			return port >= rule->port && port <= rule->end_port;
		return port == rule->port;
	case NP_PORT_NAME:
		named = resolve_named_port(rule->name, rule->proto, dst);
		return named != 0 && named == port;
	}
	return false;
}

/* ---- rules ---------------------------------------------------------------------- */

#define NO_MATCH (-2)

/* Index of the first peer admitting the other end: -1 when the rule lists
 * none (every peer), NO_MATCH when none does. */
static int matching_peer(const struct np_model *model, const struct np_policy *policy,
			 const struct np_rule *rule, const struct np_endpoint *other)
{
	if (rule->n_peers == 0)
		return -1;
	for (size_t i = 0; i < rule->n_peers; i++)
		if (np_peer_matches(model, policy, &rule->peers[i], other))
			return (int)i;
	return NO_MATCH;
}

static int matching_port(const struct np_rule *rule, const struct np_flow *flow)
{
	if (rule->n_ports == 0)
		return -1;
	for (size_t i = 0; i < rule->n_ports; i++)
		if (np_port_matches(&rule->ports[i], &flow->dst, flow->port, flow->proto))
			return (int)i;
	return NO_MATCH;
}

static struct np_rule_ref rule_ref(const struct np_policy *policy, size_t rule, int peer,
				   int port)
{
	return (struct np_rule_ref){
		.policy = policy, .rule = (int)rule, .peer = peer, .port = port
	};
}

static const struct np_rule *rules_of(const struct np_policy *policy, enum np_direction dir,
				      size_t *count)
{
	*count = dir == NP_DIR_INGRESS ? policy->n_ingress : policy->n_egress;
	return dir == NP_DIR_INGRESS ? policy->ingress : policy->egress;
}

/* Tries the rules of one isolating policy; remembers the first rule that
 * missed only on ports (the peer is right), else the first that missed only
 * on peers, as the nearest miss. */
static void try_rules(const struct np_model *model, const struct np_flow *flow,
		      const struct np_policy *policy, enum np_direction dir,
		      struct np_direction_verdict *v)
{
	const struct np_endpoint *other = dir == NP_DIR_EGRESS ? &flow->dst : &flow->src;
	size_t n_rules;
	const struct np_rule *rules = rules_of(policy, dir, &n_rules);

	for (size_t i = 0; i < n_rules; i++) {
		int peer = matching_peer(model, policy, &rules[i], other);
		int port = matching_port(&rules[i], flow);

		if (peer != NO_MATCH && port != NO_MATCH) {
			v->allowed = true;
			v->allowed_by = rule_ref(policy, i, peer, port);
			return;
		}
		if (peer != NO_MATCH && v->miss != NP_MISS_PORT) {
			v->miss = NP_MISS_PORT;
			v->nearest = rule_ref(policy, i, peer, -1);
		} else if (port != NO_MATCH && v->miss == NP_MISS_NONE) {
			v->miss = NP_MISS_PEER;
			v->nearest = rule_ref(policy, i, -1, port);
		}
	}
}

/* ---- putting a miss into words ------------------------------------------------------ */

static void add_port_rule(struct np_text *t, const struct np_port_rule *rule,
			  const struct np_endpoint *dst)
{
	const char *proto = np_proto_name(rule->proto);
	uint16_t named;

	switch (rule->kind) {
	case NP_PORT_ANY:
		np_text_add(t, "any/%s", proto);
		break;
	case NP_PORT_NUMBER:
		if (rule->end_port)
			np_text_add(t, "%u-%u/%s", rule->port, rule->end_port, proto);
		else
			np_text_add(t, "%u/%s", rule->port, proto);
		break;
	case NP_PORT_NAME:
		named = resolve_named_port(rule->name, rule->proto, dst);
		if (named)
			np_text_add(t, "%s(=%u)/%s", rule->name, named, proto);
		else
			np_text_add(t, "%s(unresolved)/%s", rule->name, proto);
		break;
	}
}

static void describe_port_miss(struct np_text *t, const struct np_rule *rule,
			       const struct np_flow *flow)
{
	np_text_add(t, "port %u/%s not in ports [", flow->port, np_proto_name(flow->proto));
	for (size_t i = 0; i < rule->n_ports; i++) {
		np_text_add(t, "%s", i ? ", " : "");
		add_port_rule(t, &rule->ports[i], &flow->dst);
	}
	np_text_add(t, "]");
}

/* How close a peer that did not match came, to pick the one worth
 * describing: 2 when half of it matched (one selector of two, the right
 * labels in another namespace, an address inside the block but excepted), 1
 * when it is at least the right kind of peer for the end, 0 otherwise. */
static int peer_closeness(const struct np_model *model, const struct np_policy *policy,
			  const struct np_peer *peer, const struct np_endpoint *end)
{
	if (peer->kind == NP_PEER_IPBLOCK) {
		if (!end->ip.family)
			return 0;
		if (np_cidr_contains(&peer->ipblock.cidr, &end->ip))
			return 2;
		return is_policy_pod(end) ? 0 : 1;
	}
	if (!is_policy_pod(end))
		return 0;
	if (peer->kind != NP_PEER_NAMESPACES &&
	    (namespace_half_matches(model, policy, peer, end->pod) ||
	     pod_half_matches(peer, end->pod)))
		return 2;
	return 1;
}

static size_t closest_peer(const struct np_model *model, const struct np_policy *policy,
			   const struct np_rule *rule, const struct np_endpoint *end)
{
	size_t best = 0;
	int best_score = -1;

	for (size_t i = 0; i < rule->n_peers; i++) {
		int score = peer_closeness(model, policy, &rule->peers[i], end);

		if (score > best_score) {
			best = i;
			best_score = score;
		}
	}
	return best;
}

static void describe_ipblock_miss(struct np_text *t, const struct np_ipblock *block,
				  const struct np_endpoint *end)
{
	char cidr[NP_IP_STRLEN + 4], ip[NP_IP_STRLEN];
	const struct np_cidr *except;

	np_cidr_format(&block->cidr, cidr, sizeof(cidr));
	if (!end->ip.family) {
		np_text_add(t, "ipBlock %s: ", cidr);
		add_endpoint(t, end);
		np_text_add(t, " has no known address");
		return;
	}
	np_ip_format(&end->ip, ip, sizeof(ip));
	except = excepted_by(block, &end->ip);
	if (!np_cidr_contains(&block->cidr, &end->ip) || !except) {
		np_text_add(t, "ipBlock %s does not contain %s", cidr, ip);
		return;
	}
	np_text_add(t, "ipBlock %s except ", cidr);
	np_text_add(t, "%s excludes %s", np_cidr_format(except, cidr, sizeof(cidr)), ip);
}

static void describe_namespace_miss(struct np_text *t, const struct np_model *model,
				    const struct np_peer *peer, const struct np_pod *pod)
{
	np_text_add(t, "namespaceSelector ");
	add_selector(t, &peer->namespace_selector);
	np_text_add(t, ": namespace %s has ", pod->namespace_name);
	add_failing_labels(t, &peer->namespace_selector, namespace_labels(model, pod));
}

static void describe_pod_miss(struct np_text *t, const struct np_peer *peer,
			      const struct np_pod *pod)
{
	np_text_add(t, "podSelector ");
	add_selector(t, &peer->pod_selector);
	if (first_failing_key_present(&peer->pod_selector, &pod->labels))
		np_text_add(t, " does not match pod labels ");
	else
		np_text_add(t, " does not match: pod has ");
	add_failing_labels(t, &peer->pod_selector, &pod->labels);
}

static void describe_selector_peer(struct np_text *t, const struct np_peer *peer)
{
	if (peer->kind != NP_PEER_PODS) {
		np_text_add(t, "namespaceSelector ");
		add_selector(t, &peer->namespace_selector);
	}
	if (peer->kind == NP_PEER_NS_AND_PODS)
		np_text_add(t, " with ");
	if (peer->kind != NP_PEER_NAMESPACES) {
		np_text_add(t, "podSelector ");
		add_selector(t, &peer->pod_selector);
	}
}

static void describe_selector_miss(struct np_text *t, const struct np_model *model,
				   const struct np_policy *policy, const struct np_peer *peer,
				   const struct np_endpoint *end)
{
	const struct np_pod *pod = end->pod;
	bool ns_ok, pod_ok;

	if (!is_policy_pod(end)) {
		describe_selector_peer(t, peer);
		if (end->kind == NP_END_POD && end->pod)
			np_text_add(t, " never matches host-network pod ");
		else
			np_text_add(t, " matches pods only, not ");
		add_endpoint(t, end);
		return;
	}
	ns_ok = namespace_half_matches(model, policy, peer, pod);
	pod_ok = pod_half_matches(peer, pod);
	if (peer->kind == NP_PEER_PODS && !ns_ok) {
		np_text_add(t, "podSelector ");
		add_selector(t, &peer->pod_selector);
		np_text_add(t, " only selects pods of namespace %s; %s/%s is in %s",
			 policy->namespace_name, pod->namespace_name, pod->name,
			 pod->namespace_name);
	} else if (peer->kind == NP_PEER_NAMESPACES || !ns_ok) {
		describe_namespace_miss(t, model, peer, pod);
		if (!pod_ok) {
			np_text_add(t, "; ");
			describe_pod_miss(t, peer, pod);
		}
	} else {
		describe_pod_miss(t, peer, pod);
		if (peer->kind == NP_PEER_NS_AND_PODS)
			np_text_add(t, " (its namespace %s matches)", pod->namespace_name);
	}
}

static void describe_peer_miss(struct np_text *t, const struct np_model *model,
			       const struct np_flow *flow, enum np_direction dir,
			       struct np_rule_ref *nearest)
{
	const struct np_endpoint *other = dir == NP_DIR_EGRESS ? &flow->dst : &flow->src;
	size_t n_rules;
	const struct np_rule *rule = &rules_of(nearest->policy, dir, &n_rules)[nearest->rule];
	size_t index = closest_peer(model, nearest->policy, rule, other);
	const struct np_peer *peer = &rule->peers[index];

	nearest->peer = (int)index;
	np_text_add(t, "%s[%zu] ", dir == NP_DIR_INGRESS ? "from" : "to", index);
	if (peer->kind == NP_PEER_IPBLOCK)
		describe_ipblock_miss(t, &peer->ipblock, other);
	else
		describe_selector_miss(t, model, nearest->policy, peer, other);
}

static void describe_miss(const struct np_model *model, const struct np_flow *flow,
			  enum np_direction dir, struct np_direction_verdict *v)
{
	struct np_text t;
	size_t n_rules;

	np_text_init(&t, v->miss_reason, sizeof(v->miss_reason));
	if (v->miss == NP_MISS_PORT)
		describe_port_miss(&t, &rules_of(v->nearest.policy, dir, &n_rules)[v->nearest.rule],
				   flow);
	else
		describe_peer_miss(&t, model, flow, dir, &v->nearest);
}

/* ---- evaluation -------------------------------------------------------------------- */

static const struct np_rule_ref no_rule = { .policy = NULL, .rule = -1, .peer = -1, .port = -1 };

static void judge_direction(const struct np_model *model, const struct np_flow *flow,
			    enum np_policy_scope scope, enum np_direction dir,
			    struct np_direction_verdict *v)
{
	const struct np_endpoint *end = dir == NP_DIR_EGRESS ? &flow->src : &flow->dst;
	const struct np_policy *policies;
	size_t n_policies;

	memset(v, 0, sizeof(*v));
	v->allowed_by = no_rule;
	v->nearest = no_rule;
	if (!is_policy_pod(end)) {
		v->allowed = true;
		return;
	}
	/* A pod's traffic to itself is never filtered: the upstream conformance
	 * suite expects it to pass (Reachability.AllowLoopback in
	 * test/e2e/network/netpol/reachability.go), and traffic to a pod's own
	 * address never leaves its network namespace for a CNI to see. Through a
	 * Service (hairpin) CNIs differ, which is why upstream leaves the diagonal
	 * out of its pass/fail count (ignoreLoopback, kubernetes/kubernetes#95879);
	 * such a flow resolves to its backend, the same pod, and is allowed too. */
	v->self = is_same_pod(flow);
	policies = np_model_namespace_policies(model, end->pod->namespace_name, &n_policies);
	for (size_t i = 0; i < n_policies; i++) {
		const struct np_policy *policy = &policies[i];

		if (!in_scope(policy, scope) || !isolates(policy, dir) ||
		    !np_policy_selects(policy, end->pod))
			continue;
		if (v->n_isolating < NP_EXPLAIN_MAX)
			v->isolating[v->n_isolating] = policy;
		v->n_isolating++;
		if (!v->allowed && !v->self)
			try_rules(model, flow, policy, dir, v);
	}
	v->isolated = v->n_isolating > 0;
	if (v->self || !v->isolated)
		v->allowed = true;
	if (v->allowed) {
		v->miss = NP_MISS_NONE;
		v->nearest = no_rule;
	} else if (v->miss != NP_MISS_NONE) {
		describe_miss(model, flow, dir, v);
	}
}

void np_evaluate(const struct np_model *model, const struct np_flow *flow,
		 enum np_policy_scope scope, struct np_verdict *out)
{
	judge_direction(model, flow, scope, NP_DIR_EGRESS, &out->egress);
	judge_direction(model, flow, scope, NP_DIR_INGRESS, &out->ingress);
	out->allowed = out->egress.allowed && out->ingress.allowed;
}
