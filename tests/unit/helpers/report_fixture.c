/* report_fixture — merged reports built in memory for unit tests. */
#include "report_fixture.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

static char *copy(const char *text)
{
	char *dup = text ? strdup(text) : NULL;

	assert_true(!text || dup);
	return dup;
}

static void *grow(void *array, size_t count, size_t size)
{
	void *grown = realloc(array, (count + 1) * size);

	assert_non_null(grown);
	memset((char *)grown + count * size, 0, size);
	return grown;
}

struct np_report *np_test_report(time_t start, time_t end)
{
	struct np_report *report = calloc(1, sizeof(*report));
	struct np_coverage nothing_lost = { 0 };

	assert_non_null(report);
	report->start = start;
	report->end = end;
	np_test_node(report, "n1", start, end, &nothing_lost);
	return report;
}

struct np_report_node *np_test_node(struct np_report *report, const char *name, time_t start,
				    time_t end, const struct np_coverage *coverage)
{
	struct np_report_node *node;
	struct np_coverage *sum = &report->coverage;

	report->nodes = grow(report->nodes, report->n_nodes, sizeof(*report->nodes));
	node = &report->nodes[report->n_nodes++];
	node->name = copy(name);
	node->start = start;
	node->end = end;
	node->coverage = *coverage;
	sum->observations += coverage->observations;
	sum->ringbuf_lost += coverage->ringbuf_lost;
	sum->socket_map_lost += coverage->socket_map_lost;
	sum->dedup_map_lost += coverage->dedup_map_lost;
	sum->undecodable += coverage->undecodable;
	sum->tracker_lost += coverage->tracker_lost;
	sum->aggregate_overflow += coverage->aggregate_overflow;
	return node;
}

static void parse_end(const char *text, struct np_report_end *end)
{
	const char *slash = strchr(text, '/');

	if (strncmp(text, "world:", 6) == 0) {
		end->kind = NP_REPORT_WORLD;
		end->workload = copy(text + 6);
		end->ip = copy(text + 6);
	} else if (strncmp(text, "node:", 5) == 0) {
		const char *colon = strchr(text + 5, ':');
		char name[128];

		assert_non_null(colon);
		snprintf(name, sizeof(name), "node %.*s", (int)(colon - text - 5), text + 5);
		end->kind = NP_REPORT_NODE;
		end->workload = copy(name);
		end->ip = copy(colon + 1);
	} else {
		assert_non_null(slash);
		end->kind = NP_REPORT_POD;
		end->namespace_name = strndup(text, (size_t)(slash - text));
		end->workload = copy(slash + 1);
	}
}

struct np_report_flow *np_test_flow(struct np_report *report, const char *src, const char *dst,
				    unsigned port, const char *protocol, const char *verdict,
				    uint64_t count, time_t first_seen, time_t last_seen)
{
	struct np_report_flow *flow;

	report->flows = grow(report->flows, report->n_flows, sizeof(*report->flows));
	flow = &report->flows[report->n_flows++];
	parse_end(src, &flow->src);
	parse_end(dst, &flow->dst);
	flow->port = (uint16_t)port;
	flow->protocol = copy(protocol);
	flow->verdict = copy(verdict);
	flow->count = count;
	flow->first_seen = first_seen;
	flow->last_seen = last_seen;
	return flow;
}

void np_test_denied_by(struct np_report_flow *flow, const char *policy)
{
	flow->denied_by = grow(flow->denied_by, flow->n_denied_by, sizeof(*flow->denied_by));
	flow->denied_by[flow->n_denied_by++] = copy(policy);
}

void np_test_rule_used(struct np_report_flow *flow, const char *policy, bool staged,
		       bool ingress, int rule)
{
	flow->rules_used = grow(flow->rules_used, flow->n_rules_used, sizeof(*flow->rules_used));
	flow->rules_used[flow->n_rules_used++] = (struct np_rule_use){
		.policy = copy(policy), .staged = staged, .ingress = ingress, .rule = rule };
}

static void add_sample(char *samples[NP_REPORT_SAMPLES], const char *text)
{
	for (size_t i = 0; text && i < NP_REPORT_SAMPLES; i++) {
		if (!samples[i]) {
			samples[i] = copy(text);
			return;
		}
	}
}

void np_test_samples(struct np_report_flow *flow, const char *src_pod, const char *dst_pod,
		     const char *process)
{
	add_sample(flow->sample_src_pods, src_pod);
	add_sample(flow->sample_dst_pods, dst_pod);
	add_sample(flow->sample_processes, process);
}

struct np_report_policy *np_test_policy(struct np_report *report, const char *ns,
					const char *name, bool staged)
{
	struct np_report_policy *policy;

	report->policies = grow(report->policies, report->n_policies, sizeof(*report->policies));
	policy = &report->policies[report->n_policies++];
	policy->namespace_name = copy(ns);
	policy->name = copy(name);
	policy->staged = staged;
	policy->file = copy("policies.yaml");
	return policy;
}

void np_test_rule(struct np_report_policy *policy, bool ingress, int index, long admits_pods,
		  long admits_ports)
{
	policy->rules = grow(policy->rules, policy->n_rules, sizeof(*policy->rules));
	policy->rules[policy->n_rules++] = (struct np_report_rule){
		.ingress = ingress, .index = index, .admits_pods = admits_pods,
		.admits_ports = admits_ports };
}

void np_test_report_free(struct np_report *report)
{
	if (!report)
		return;
	np_report_free(report);
	free(report);
}
