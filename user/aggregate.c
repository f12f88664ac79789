/* aggregate — the daemon's observation window; see aggregate.h.
 *
 * The window is a report whose flows are found by key through a hash
 * index, so counting a flow costs one lookup and allocates only for what is
 * new: a key, a sample, a policy name.
 */
#include "aggregate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workload.h"
#include "xalloc.h"

/* Room for "namespace/name" of a pod, Service or policy. */
#define OBJECT_NAME_MAX 320

struct np_aggregate {
	size_t max_keys;
	struct np_report window; /* only its flows are used */
	struct np_flow_index index;
	time_t start;
	struct np_coverage base; /* the caller's counters when the window started */
	uint64_t overflow;
};

/* As everywhere in the daemon, running out of memory is fatal. */

struct np_aggregate *np_aggregate_new(size_t max_keys, time_t start,
				      const struct np_coverage *counters)
{
	struct np_aggregate *agg = xcalloc(1, sizeof(*agg));

	agg->max_keys = max_keys;
	np_report_init(&agg->window);
	np_aggregate_reset(agg, start, counters);
	return agg;
}

void np_aggregate_free(struct np_aggregate *agg)
{
	if (!agg)
		return;
	np_flow_index_free(&agg->index);
	np_report_free(&agg->window);
	free(agg);
}

void np_aggregate_reset(struct np_aggregate *agg, time_t start,
			const struct np_coverage *counters)
{
	np_flow_index_free(&agg->index);
	np_report_free(&agg->window);
	agg->start = start;
	agg->overflow = 0;
	if (counters)
		agg->base = *counters;
	else
		memset(&agg->base, 0, sizeof(agg->base));
}

const struct np_report_flow *np_aggregate_flows(const struct np_aggregate *agg, size_t *count)
{
	*count = agg->window.n_flows;
	return agg->window.flows;
}

uint64_t np_aggregate_overflow(const struct np_aggregate *agg)
{
	return agg->overflow;
}

/* ---- counting a flow ------------------------------------------------------------- */

/* The text of a flow end while its key is looked up: borrowed, not owned. */
struct end_text {
	char namespace_name[OBJECT_NAME_MAX];
	char workload[NP_WORKLOAD_MAX];
	char ip[NP_IP_STRLEN];
};

static void end_key(const struct np_endpoint *end, struct end_text *text,
		    struct np_report_end *out)
{
	np_endpoint_workload(end, text->workload, sizeof(text->workload));
	out->workload = text->workload;
	if (end->kind == NP_END_POD && end->pod) {
		out->kind = NP_REPORT_POD;
		snprintf(text->namespace_name, sizeof(text->namespace_name), "%s",
			 end->pod->namespace_name);
		out->namespace_name = text->namespace_name;
		return;
	}
	out->kind = end->kind == NP_END_NODE ? NP_REPORT_NODE : NP_REPORT_WORLD;
	if (end->ip.family) {
		np_ip_format(&end->ip, text->ip, sizeof(text->ip));
		out->ip = text->ip;
	}
}

static void add_pod_sample(char *samples[NP_REPORT_SAMPLES], const struct np_endpoint *end)
{
	char name[OBJECT_NAME_MAX];

	if (end->kind != NP_END_POD || !end->pod)
		return;
	snprintf(name, sizeof(name), "%s/%s", end->pod->namespace_name, end->pod->name);
	np_report_add_sample(samples, name);
}

/* The policies isolating an end whose direction denied the flow. */
static void add_denied_by(struct np_report_flow *flow, const struct np_verdict *deciding)
{
	const struct np_direction_verdict *directions[] = { &deciding->egress, &deciding->ingress };
	char name[OBJECT_NAME_MAX];

	for (size_t d = 0; d < 2; d++) {
		const struct np_direction_verdict *v = directions[d];
		size_t n = v->n_isolating < NP_EXPLAIN_MAX ? v->n_isolating : NP_EXPLAIN_MAX;

		if (v->allowed)
			continue;
		for (size_t i = 0; i < n; i++) {
			snprintf(name, sizeof(name), "%s/%s", v->isolating[i]->namespace_name,
				 v->isolating[i]->name);
			np_report_flow_add_denied_by(flow, name);
		}
	}
}

/* The rules that allowed each direction (none when the end is not
 * isolated: no rule was needed). */
static void add_rules_used(struct np_report_flow *flow, const struct np_verdict *verdict)
{
	const struct np_direction_verdict *directions[] = { &verdict->egress, &verdict->ingress };
	char name[OBJECT_NAME_MAX];

	for (size_t d = 0; d < 2; d++) {
		const struct np_rule_ref *by = &directions[d]->allowed_by;
		struct np_rule_use use = { .policy = name, .ingress = d == 1, .rule = by->rule };

		if (!directions[d]->allowed || !by->policy)
			continue;
		snprintf(name, sizeof(name), "%s/%s", by->policy->namespace_name, by->policy->name);
		use.staged = by->policy->staged;
		np_report_flow_add_rule_use(flow, &use);
	}
}

/* np_judge evaluates with the staged policies only what the policies in
 * force allow: what they deny stays denied whatever is staged. */
static bool staged_evaluated(const struct np_judgement *judgement)
{
	return judgement->has_staged && judgement->in_force.allowed;
}

static void observe(struct np_report_flow *flow, const struct np_flow_event *event)
{
	const struct np_judgement *judgement = event->judgement;
	time_t seen = event->when.tv_sec;
	char service[OBJECT_NAME_MAX];

	flow->count += event->count;
	if (!flow->first_seen || seen < flow->first_seen)
		flow->first_seen = seen;
	if (seen > flow->last_seen)
		flow->last_seen = seen;
	if (!flow->service && event->service) {
		snprintf(service, sizeof(service), "%s/%s", event->service->namespace_name,
			 event->service->name);
		flow->service = xstrdup(service);
	}
	add_pod_sample(flow->sample_src_pods, &event->flow->src);
	add_pod_sample(flow->sample_dst_pods, &event->flow->dst);
	if (event->comm && *event->comm)
		np_report_add_sample(flow->sample_processes, event->comm);
	add_denied_by(flow, judgement->deciding);
	add_rules_used(flow, &judgement->in_force);
	if (staged_evaluated(judgement))
		add_rules_used(flow, &judgement->with_staged);
}

void np_aggregate_add(struct np_aggregate *agg, const struct np_flow_event *event)
{
	struct end_text src, dst;
	char protocol[8], verdict[32];
	struct np_report_flow key = { .port = event->flow->port, .protocol = protocol,
				      .verdict = verdict };
	struct np_report_flow *flow;

	if (event->count == 0)
		return;
	end_key(&event->flow->src, &src, &key.src);
	end_key(&event->flow->dst, &dst, &key.dst);
	snprintf(protocol, sizeof(protocol), "%s", np_proto_name(event->flow->proto));
	snprintf(verdict, sizeof(verdict), "%s", np_flow_verdict_name(event->judgement->verdict));
	flow = np_report_find_flow(&agg->window, &agg->index, &key);
	if (!flow) {
		if (agg->window.n_flows >= agg->max_keys) {
			agg->overflow += event->count;
			return;
		}
		flow = np_report_append_flow(&agg->window, &key);
	}
	observe(flow, event);
}

/* ---- the report of the window ---------------------------------------------------- */

/* Could a peer of rule admit pods of namespace ns? */
static bool namespace_in_reach(const struct np_policy *policy, const struct np_rule *rule,
			       const struct np_namespace *ns)
{
	for (size_t i = 0; i < rule->n_peers; i++) {
		const struct np_peer *peer = &rule->peers[i];

		if (peer->kind == NP_PEER_PODS ? strcmp(policy->namespace_name, ns->name) == 0
					       : np_selector_matches(&peer->namespace_selector,
								     &ns->labels))
			return true;
	}
	return false;
}

static bool rule_admits_pod(const struct np_model *model, const struct np_policy *policy,
			    const struct np_rule *rule, const struct np_pod *pod)
{
	struct np_endpoint end = { .kind = NP_END_POD, .pod = pod };

	for (size_t i = 0; i < rule->n_peers; i++)
		if (np_peer_matches(model, policy, &rule->peers[i], &end))
			return true;
	return false;
}

/* Only the namespaces a peer reaches are walked: most rules name a few. */
static long admitted_pods(const struct np_model *model, const struct np_policy *policy,
			  const struct np_rule *rule)
{
	long n = 0;

	if (rule->n_peers == 0)
		return -1;
	for (size_t i = 0; i < rule->n_peers; i++)
		if (rule->peers[i].kind == NP_PEER_IPBLOCK)
			return -1;
	for (size_t i = 0; i < model->n_namespaces; i++) {
		size_t n_pods;
		const struct np_pod *pods;

		if (!namespace_in_reach(policy, rule, &model->namespaces[i]))
			continue;
		pods = np_namespace_pods(model, model->namespaces[i].name, &n_pods);
		for (size_t p = 0; p < n_pods; p++)
			n += rule_admits_pod(model, policy, rule, &pods[p]);
	}
	return n;
}

static long admitted_ports(const struct np_rule *rule)
{
	long n = 0;

	if (rule->n_ports == 0)
		return -1;
	for (size_t i = 0; i < rule->n_ports; i++) {
		const struct np_port_rule *port = &rule->ports[i];

		if (port->kind == NP_PORT_ANY)
			n += 65535;
		else if (port->kind == NP_PORT_NUMBER && port->end_port >= port->port)
			n += port->end_port - port->port + 1;
		else
			n += 1;
	}
	return n;
}

static void describe_rules(const struct np_model *model, const struct np_policy *policy,
			   bool ingress, struct np_report_policy *out)
{
	const struct np_rule *rules = ingress ? policy->ingress : policy->egress;
	size_t n = ingress ? policy->n_ingress : policy->n_egress;

	for (size_t i = 0; i < n; i++) {
		struct np_report_rule *rule = &out->rules[out->n_rules++];

		rule->ingress = ingress;
		rule->index = (int)i;
		rule->admits_pods = admitted_pods(model, policy, &rules[i]);
		rule->admits_ports = admitted_ports(&rules[i]);
	}
}

static void describe_policy(const struct np_model *model, const struct np_policy *policy,
			    time_t as_of, struct np_report_policy *out)
{
	out->namespace_name = xstrdup(policy->namespace_name);
	out->name = xstrdup(policy->name);
	out->staged = policy->staged;
	out->file = policy->origin.file ? xstrdup(policy->origin.file) : NULL;
	out->as_of = as_of;
	out->rules = xcalloc(policy->n_ingress + policy->n_egress, sizeof(*out->rules));
	describe_rules(model, policy, true, out);
	describe_rules(model, policy, false, out);
}

/* Cumulative counters restart from zero when what keeps them does. */
static uint64_t since(uint64_t now, uint64_t then)
{
	return now >= then ? now - then : now;
}

static void window_coverage(const struct np_aggregate *agg, const struct np_coverage *counters,
			    struct np_coverage *out)
{
	const struct np_coverage *base = &agg->base;

	memset(out, 0, sizeof(*out));
	if (counters) {
		out->observations = since(counters->observations, base->observations);
		out->ringbuf_lost = since(counters->ringbuf_lost, base->ringbuf_lost);
		out->socket_map_lost = since(counters->socket_map_lost, base->socket_map_lost);
		out->dedup_map_lost = since(counters->dedup_map_lost, base->dedup_map_lost);
		out->undecodable = since(counters->undecodable, base->undecodable);
		out->tracker_lost = since(counters->tracker_lost, base->tracker_lost);
	}
	out->aggregate_overflow = agg->overflow;
}

void np_aggregate_report(const struct np_aggregate *agg, const struct np_model *model,
			 const char *node, time_t end, const struct np_coverage *counters,
			 struct np_report *out)
{
	struct np_report_node *this_node;

	np_report_init(out);
	this_node = out->nodes = xcalloc(1, sizeof(*out->nodes));
	out->n_nodes = 1;
	this_node->name = xstrdup(node);
	this_node->start = agg->start;
	this_node->end = end > agg->start ? end : agg->start; /* the clock may step back */
	window_coverage(agg, counters, &this_node->coverage);
	out->start = this_node->start;
	out->end = this_node->end;
	out->coverage = this_node->coverage;

	out->policies = xcalloc(model->n_policies, sizeof(*out->policies));
	out->n_policies = model->n_policies;
	for (size_t i = 0; i < model->n_policies; i++)
		describe_policy(model, &model->policies[i], out->end, &out->policies[i]);

	for (size_t i = 0; i < agg->window.n_flows; i++)
		np_report_flow_merge(np_report_append_flow(out, &agg->window.flows[i]),
				     &agg->window.flows[i]);
}
