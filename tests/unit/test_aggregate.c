/* test_aggregate — the daemon's observation window: flows keyed by
 * workload pair, port, protocol and verdict; counts, times and bounded
 * samples; the policies that denied and the rules that allowed; the key
 * limit; and the report of a window.
 *
 *   shop:  Deployment/frontend (5 pods, 10.0.1.1-5)   Deployment/api 10.0.2.1 http=8080
 *          StatefulSet/db db-0 10.0.3.1               Service api 10.96.0.10:80 -> http
 *   ops {team: ops}:  Pod/monitor 10.0.4.1            node n1 192.168.0.10
 *
 *   in force  shop/api-ingress     api <- frontend :8080 | <- ns team=ops :9000-9100
 *             shop/db-lock         db <- api :5432 | <- 192.0.2.0/24 or ns team=ops
 *             shop/frontend-egress frontend -> any UDP/53 and any TCP | -> db (any ns)
 *   staged    shop/api-ingress     api <- frontend :8080 (replaces the one in force)
 */
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"
#include "fixture.h"
#include "verdict.h"

#define FRONTEND(n)                                                                            \
	"---\napiVersion: v1\nkind: Pod\nmetadata: {namespace: shop, name: frontend-7d9c6b5f4-" \
	n ", labels: {app: frontend, pod-template-hash: 7d9c6b5f4}, ownerReferences: "       \
	"[{apiVersion: apps/v1, kind: ReplicaSet, name: frontend-7d9c6b5f4, controller: true}]}\n" \
	"spec: {containers: [{name: c}]}\nstatus: {podIPs: [{ip: 10.0.1." n "}]}\n"

static const char cluster[] =
	"---\napiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n"
	"---\napiVersion: v1\nkind: Namespace\nmetadata: {name: ops, labels: {team: ops}}\n"
	"---\napiVersion: v1\nkind: Node\nmetadata: {name: n1}\n"
	"status: {addresses: [{type: InternalIP, address: 192.168.0.10}]}\n"
	FRONTEND("1") FRONTEND("2") FRONTEND("3") FRONTEND("4") FRONTEND("5")
	"---\napiVersion: v1\nkind: Pod\nmetadata: {namespace: shop, name: api-5f7b8c9d6-x1,"
	" labels: {app: api}, ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet,"
	" name: api-5f7b8c9d6, controller: true}]}\n"
	"spec: {containers: [{name: c, ports: [{name: http, containerPort: 8080}]}]}\n"
	"status: {podIPs: [{ip: 10.0.2.1}]}\n"
	"---\napiVersion: v1\nkind: Pod\nmetadata: {namespace: shop, name: db-0, labels: {app: db},"
	" ownerReferences: [{apiVersion: apps/v1, kind: StatefulSet, name: db,"
	" controller: true}]}\n"
	"spec: {containers: [{name: c}]}\nstatus: {podIPs: [{ip: 10.0.3.1}]}\n"
	"---\napiVersion: v1\nkind: Pod\nmetadata: {namespace: ops, name: monitor,"
	" labels: {app: monitor}}\nspec: {containers: [{name: c}]}\n"
	"status: {podIPs: [{ip: 10.0.4.1}]}\n"
	"---\napiVersion: v1\nkind: Service\nmetadata: {namespace: shop, name: api}\n"
	"spec: {clusterIP: 10.96.0.10, selector: {app: api},"
	" ports: [{port: 80, targetPort: http}]}\n"
	"---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
	"metadata: {namespace: shop, name: api-ingress}\n"
	"spec:\n  podSelector: {matchLabels: {app: api}}\n  policyTypes: [Ingress]\n  ingress:\n"
	"  - from: [{podSelector: {matchLabels: {app: frontend}}}]\n    ports: [{port: 8080}]\n"
	"  - from: [{namespaceSelector: {matchLabels: {team: ops}}}]\n"
	"    ports: [{port: 9000, endPort: 9100}]\n"
	"---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
	"metadata: {namespace: shop, name: db-lock}\n"
	"spec:\n  podSelector: {matchLabels: {app: db}}\n  policyTypes: [Ingress]\n  ingress:\n"
	"  - from: [{podSelector: {matchLabels: {app: api}}}]\n    ports: [{port: 5432}]\n"
	"  - from: [{ipBlock: {cidr: 192.0.2.0/24}},"
	" {namespaceSelector: {matchLabels: {team: ops}}}]\n"
	"---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
	"metadata: {namespace: shop, name: frontend-egress}\n"
	"spec:\n  podSelector: {matchLabels: {app: frontend}}\n  policyTypes: [Egress]\n  egress:\n"
	"  - ports: [{protocol: UDP, port: 53}, {protocol: TCP}]\n"
	"  - to: [{namespaceSelector: {}, podSelector: {matchLabels: {app: db}}}]\n";

static const char staged[] =
	"---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
	"metadata: {namespace: shop, name: api-ingress}\n"
	"spec:\n  podSelector: {matchLabels: {app: api}}\n  policyTypes: [Ingress]\n  ingress:\n"
	"  - from: [{podSelector: {matchLabels: {app: frontend}}}]\n    ports: [{port: 8080}]\n";

#define T0 1764145800 /* 2025-11-26T08:30:00Z */

struct fixture {
	struct np_model *model;
	struct np_aggregate *agg;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->model = np_test_model(cluster, staged);
	f->agg = np_aggregate_new(100, T0, NULL);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	np_aggregate_free(f->agg);
	np_model_free(f->model);
	free(f);
	return 0;
}

/* One observation, judged as the daemon judges it. */
struct seen {
	const char *comm;
	time_t when;
	uint64_t count;
	enum np_outcome outcome;
	const struct np_service *service;
};

static void add_flow(struct fixture *f, struct np_aggregate *agg, struct np_endpoint src,
		     struct np_endpoint dst, unsigned port, const char *proto,
		     const struct seen *seen)
{
	struct np_flow flow = { .src = src, .dst = dst, .port = (uint16_t)port };
	struct np_judgement judgement;
	struct np_flow_event event = {
		.when = { .tv_sec = seen->when },
		.src_ip = src.ip,
		.dst_ip = dst.ip,
		.dst_port = (uint16_t)port,
		.flow = &flow,
		.service = seen->service,
		.judgement = &judgement,
		.outcome = seen->outcome,
		.comm = seen->comm,
		.count = seen->count,
	};

	assert_true(np_proto_parse(proto, &flow.proto));
	np_judge(f->model, &flow, seen->outcome, true, &judgement);
	np_aggregate_add(agg, &event);
}

static struct np_endpoint pod(struct fixture *f, const char *ns, const char *name)
{
	return np_test_pod(f->model, ns, name);
}

static struct np_endpoint frontend(struct fixture *f, int n)
{
	char name[64];

	snprintf(name, sizeof(name), "frontend-7d9c6b5f4-%d", n);
	return pod(f, "shop", name);
}

static const struct np_report_flow *only_flow(const struct np_aggregate *agg)
{
	size_t n;
	const struct np_report_flow *flows = np_aggregate_flows(agg, &n);

	assert_int_equal(n, 1);
	return flows;
}

static size_t n_samples(char *const samples[NP_REPORT_SAMPLES])
{
	size_t n = 0;

	while (n < NP_REPORT_SAMPLES && samples[n])
		n++;
	return n;
}

static bool has_sample(char *const samples[NP_REPORT_SAMPLES], const char *value)
{
	for (size_t i = 0; i < NP_REPORT_SAMPLES && samples[i]; i++)
		if (strcmp(samples[i], value) == 0)
			return true;
	return false;
}

static bool has_rule_use(const struct np_report_flow *flow, const char *policy, bool is_staged,
			 bool ingress, int rule)
{
	for (size_t i = 0; i < flow->n_rules_used; i++) {
		const struct np_rule_use *use = &flow->rules_used[i];

		if (strcmp(use->policy, policy) == 0 && use->staged == is_staged &&
		    use->ingress == ingress && use->rule == rule)
			return true;
	}
	return false;
}

static struct seen at(time_t when, const char *comm)
{
	return (struct seen){ .when = when, .comm = comm, .count = 1,
			      .outcome = NP_OUTCOME_ESTABLISHED };
}

/* ---- keys, counts, times, samples ------------------------------------------------ */

static void test_pods_of_a_workload_pair_share_one_key(void **state)
{
	struct fixture *f = *state;
	const char *comms[] = { "curl", "node", "curl", "python", "wget" };
	const time_t times[] = { T0 + 10, T0 + 5, T0 + 30, T0 + 20, T0 + 1 };
	const struct np_report_flow *flow;

	for (int i = 0; i < 5; i++) {
		struct seen seen = at(times[i], comms[i]);

		seen.count = (uint64_t)i + 1;
		add_flow(f, f->agg, frontend(f, i + 1), pod(f, "shop", "api-5f7b8c9d6-x1"), 8080,
			 "TCP", &seen);
	}
	flow = only_flow(f->agg);
	assert_int_equal(flow->src.kind, NP_REPORT_POD);
	assert_string_equal(flow->src.namespace_name, "shop");
	assert_string_equal(flow->src.workload, "Deployment/frontend");
	assert_null(flow->src.ip);
	assert_string_equal(flow->dst.workload, "Deployment/api");
	assert_int_equal(flow->port, 8080);
	assert_string_equal(flow->protocol, "TCP");
	assert_string_equal(flow->verdict, "allow");
	assert_int_equal(flow->count, 1 + 2 + 3 + 4 + 5);
	assert_int_equal(flow->first_seen, T0 + 1);
	assert_int_equal(flow->last_seen, T0 + 30);
	/* Samples are bounded, and distinct. */
	assert_int_equal(n_samples(flow->sample_src_pods), NP_REPORT_SAMPLES);
	assert_true(has_sample(flow->sample_src_pods, "shop/frontend-7d9c6b5f4-1"));
	assert_true(has_sample(flow->sample_src_pods, "shop/frontend-7d9c6b5f4-3"));
	assert_int_equal(n_samples(flow->sample_dst_pods), 1);
	assert_string_equal(flow->sample_dst_pods[0], "shop/api-5f7b8c9d6-x1");
	assert_int_equal(n_samples(flow->sample_processes), 3);
	assert_string_equal(flow->sample_processes[0], "curl");
	assert_string_equal(flow->sample_processes[1], "node");
	assert_string_equal(flow->sample_processes[2], "python");
	assert_null(flow->service);
	assert_int_equal(flow->n_denied_by, 0);
}

static void test_port_protocol_and_verdict_are_part_of_the_key(void **state)
{
	struct fixture *f = *state;
	struct np_endpoint src = frontend(f, 1), db = pod(f, "shop", "db-0");
	struct seen seen = at(T0, "psql");
	const struct np_report_flow *flows;
	size_t n;

	add_flow(f, f->agg, src, db, 5432, "TCP", &seen); /* enforcement-gap */
	seen.outcome = NP_OUTCOME_FAILED;
	add_flow(f, f->agg, src, db, 5432, "TCP", &seen); /* deny-attempt */
	add_flow(f, f->agg, src, db, 5433, "TCP", &seen);
	add_flow(f, f->agg, frontend(f, 2), db, 5432, "TCP", &seen); /* same key as the 2nd */
	seen.outcome = NP_OUTCOME_UNKNOWN;
	add_flow(f, f->agg, src, db, 5432, "UDP", &seen);
	flows = np_aggregate_flows(f->agg, &n);
	assert_int_equal(n, 4);
	assert_string_equal(flows[0].verdict, "enforcement-gap");
	assert_string_equal(flows[1].verdict, "deny-attempt");
	assert_int_equal(flows[1].count, 2);
	assert_int_equal(flows[2].port, 5433);
	assert_string_equal(flows[3].protocol, "UDP");
	assert_string_equal(flows[3].verdict, "deny");
}

static void test_service_flows_count_the_backend_port(void **state)
{
	struct fixture *f = *state;
	struct seen seen = at(T0, "curl");
	const struct np_report_flow *flow;

	seen.service = np_model_service(f->model, "shop", "api");
	assert_non_null(seen.service);
	add_flow(f, f->agg, frontend(f, 1), pod(f, "shop", "api-5f7b8c9d6-x1"), 8080, "TCP", &seen);
	seen.service = NULL;
	add_flow(f, f->agg, frontend(f, 2), pod(f, "shop", "api-5f7b8c9d6-x1"), 8080, "TCP", &seen);
	flow = only_flow(f->agg);
	assert_int_equal(flow->port, 8080);
	assert_string_equal(flow->service, "shop/api");
	assert_int_equal(flow->count, 2);
}

static void test_nodes_and_the_world_are_named_by_address(void **state)
{
	struct fixture *f = *state;
	struct seen seen = at(T0, NULL);
	const struct np_report_flow *flows;
	size_t n;

	add_flow(f, f->agg, np_test_ip(f->model, "192.168.0.10"),
		 pod(f, "shop", "api-5f7b8c9d6-x1"), 8080, "TCP", &seen);
	add_flow(f, f->agg, np_test_ip(f->model, "203.0.113.5"),
		 pod(f, "shop", "api-5f7b8c9d6-x1"), 8080, "TCP", &seen);
	flows = np_aggregate_flows(f->agg, &n);
	assert_int_equal(n, 2);
	assert_int_equal(flows[0].src.kind, NP_REPORT_NODE);
	assert_string_equal(flows[0].src.workload, "node n1");
	assert_string_equal(flows[0].src.ip, "192.168.0.10");
	assert_null(flows[0].src.namespace_name);
	assert_int_equal(flows[1].src.kind, NP_REPORT_WORLD);
	assert_string_equal(flows[1].src.workload, "203.0.113.5");
	assert_string_equal(flows[1].src.ip, "203.0.113.5");
	/* Pods only are sampled; no process, no sample. */
	assert_int_equal(n_samples(flows[1].sample_src_pods), 0);
	assert_int_equal(n_samples(flows[1].sample_dst_pods), 1);
	assert_int_equal(n_samples(flows[1].sample_processes), 0);
	assert_string_equal(flows[1].verdict, "enforcement-gap");
}

static void test_an_event_of_no_flows_counts_nothing(void **state)
{
	struct fixture *f = *state;
	struct seen seen = at(T0, "curl");
	size_t n;

	seen.count = 0;
	add_flow(f, f->agg, frontend(f, 1), pod(f, "shop", "api-5f7b8c9d6-x1"), 8080, "TCP", &seen);
	np_aggregate_flows(f->agg, &n);
	assert_int_equal(n, 0);
}

/* ---- why: denied_by and rules_used ----------------------------------------------- */

static void test_denied_by_names_the_isolating_policies(void **state)
{
	struct fixture *f = *state;
	struct seen seen = at(T0, "psql");
	const struct np_report_flow *flow;

	seen.outcome = NP_OUTCOME_FAILED;
	add_flow(f, f->agg, frontend(f, 1), pod(f, "shop", "db-0"), 5432, "TCP", &seen);
	flow = only_flow(f->agg);
	assert_string_equal(flow->verdict, "deny-attempt");
	assert_int_equal(flow->n_denied_by, 1);
	assert_string_equal(flow->denied_by[0], "shop/db-lock");
	/* The egress side allowed it, by a rule of the policies in force. */
	assert_int_equal(flow->n_rules_used, 1);
	assert_true(has_rule_use(flow, "shop/frontend-egress", false, false, 0));
}

static void test_would_deny_names_the_staged_policy(void **state)
{
	struct fixture *f = *state;
	struct seen seen = at(T0, "prometheus");
	const struct np_report_flow *flow;

	add_flow(f, f->agg, pod(f, "ops", "monitor"), pod(f, "shop", "api-5f7b8c9d6-x1"), 9090,
		 "TCP", &seen);
	add_flow(f, f->agg, pod(f, "ops", "monitor"), pod(f, "shop", "api-5f7b8c9d6-x1"), 9090,
		 "TCP", &seen);
	flow = only_flow(f->agg);
	assert_string_equal(flow->verdict, "would-deny");
	assert_string_equal(flow->src.workload, "Pod/monitor");
	assert_string_equal(flow->src.namespace_name, "ops");
	/* Listed once however often it denied. */
	assert_int_equal(flow->n_denied_by, 1);
	assert_string_equal(flow->denied_by[0], "shop/api-ingress");
	/* In force, the second rule of api-ingress let it in. */
	assert_int_equal(flow->n_rules_used, 1);
	assert_true(has_rule_use(flow, "shop/api-ingress", false, true, 1));
}

static void test_rules_used_in_force_and_with_staged(void **state)
{
	struct fixture *f = *state;
	struct seen seen = at(T0, "curl");
	const struct np_report_flow *flow;

	add_flow(f, f->agg, frontend(f, 1), pod(f, "shop", "api-5f7b8c9d6-x1"), 8080, "TCP", &seen);
	add_flow(f, f->agg, frontend(f, 2), pod(f, "shop", "api-5f7b8c9d6-x1"), 8080, "TCP", &seen);
	flow = only_flow(f->agg);
	assert_int_equal(flow->n_rules_used, 3);
	assert_true(has_rule_use(flow, "shop/frontend-egress", false, false, 0));
	assert_true(has_rule_use(flow, "shop/api-ingress", false, true, 0));
	assert_true(has_rule_use(flow, "shop/api-ingress", true, true, 0));
}

/* ---- bounds ---------------------------------------------------------------------- */

static void test_keys_past_the_limit_are_counted_as_overflow(void **state)
{
	struct fixture *f = *state;
	struct np_aggregate *small = np_aggregate_new(2, T0, NULL);
	struct np_endpoint api = pod(f, "shop", "api-5f7b8c9d6-x1");
	struct seen seen = at(T0, "curl");
	const struct np_report_flow *flows;
	struct np_report report;
	size_t n;

	add_flow(f, small, frontend(f, 1), api, 8080, "TCP", &seen);
	add_flow(f, small, frontend(f, 1), api, 8081, "TCP", &seen);
	seen.count = 4;
	add_flow(f, small, frontend(f, 1), api, 8082, "TCP", &seen);
	add_flow(f, small, frontend(f, 1), api, 8083, "TCP", &seen);
	/* Keys already there still count. */
	add_flow(f, small, frontend(f, 2), api, 8080, "TCP", &seen);
	flows = np_aggregate_flows(small, &n);
	assert_int_equal(n, 2);
	assert_int_equal(flows[0].count, 5);
	assert_int_equal(np_aggregate_overflow(small), 8);

	np_aggregate_report(small, f->model, "n1", T0 + 60, NULL, &report);
	assert_int_equal(report.coverage.aggregate_overflow, 8);
	assert_int_equal(np_coverage_lost(&report.coverage), 8);
	np_report_free(&report);

	np_aggregate_reset(small, T0 + 60, NULL);
	assert_int_equal(np_aggregate_overflow(small), 0);
	add_flow(f, small, frontend(f, 1), api, 8082, "TCP", &seen);
	flows = np_aggregate_flows(small, &n);
	assert_int_equal(n, 1);
	assert_int_equal(flows[0].port, 8082);
	np_aggregate_free(small);
}

/* ---- the report of a window ------------------------------------------------------ */

static const struct np_report_policy *find_policy(const struct np_report *report,
						  const char *name, bool is_staged)
{
	for (size_t i = 0; i < report->n_policies; i++)
		if (strcmp(report->policies[i].name, name) == 0 &&
		    report->policies[i].staged == is_staged)
			return &report->policies[i];
	fail_msg("no policy %s%s in the report", name, is_staged ? " (staged)" : "");
	return NULL;
}

static void assert_rule(const struct np_report_rule *rule, bool ingress, int index, long pods,
			long ports)
{
	assert_int_equal(rule->ingress, ingress);
	assert_int_equal(rule->index, index);
	assert_int_equal(rule->admits_pods, pods);
	assert_int_equal(rule->admits_ports, ports);
}

static void test_report_describes_the_policies(void **state)
{
	struct fixture *f = *state;
	struct np_report report;
	const struct np_report_policy *p;

	np_aggregate_report(f->agg, f->model, "n1", T0 + 60, NULL, &report);
	assert_int_equal(report.n_policies, 4);

	p = find_policy(&report, "api-ingress", false);
	assert_string_equal(p->namespace_name, "shop");
	assert_string_equal(p->file, "<test>");
	assert_int_equal(p->as_of, T0 + 60);
	assert_int_equal(p->n_rules, 2);
	assert_rule(&p->rules[0], true, 0, 5, 1);   /* the five frontend pods, one port */
	assert_rule(&p->rules[1], true, 1, 1, 101); /* ops: monitor; 9000-9100 */

	p = find_policy(&report, "api-ingress", true);
	assert_string_equal(p->file, "<staged>");
	assert_int_equal(p->n_rules, 1);
	assert_rule(&p->rules[0], true, 0, 5, 1);

	p = find_policy(&report, "db-lock", false);
	assert_int_equal(p->n_rules, 2);
	assert_rule(&p->rules[0], true, 0, 1, 1);
	assert_rule(&p->rules[1], true, 1, -1, -1); /* an ipBlock: any address, no ports */

	p = find_policy(&report, "frontend-egress", false);
	assert_int_equal(p->n_rules, 2);
	assert_rule(&p->rules[0], false, 0, -1, 1 + 65535); /* no peers; UDP 53 and all TCP */
	assert_rule(&p->rules[1], false, 1, 1, -1);         /* db in any namespace */
	np_report_free(&report);
}

static void test_report_of_the_window(void **state)
{
	struct fixture *f = *state;
	struct np_coverage start = { .observations = 10, .ringbuf_lost = 1, .tracker_lost = 7,
				     .aggregate_overflow = 99 };
	struct np_coverage now = { .observations = 25, .ringbuf_lost = 4, .socket_map_lost = 2,
				   .dedup_map_lost = 3, .undecodable = 1, .tracker_lost = 2,
				   .aggregate_overflow = 99 };
	struct np_aggregate *agg = np_aggregate_new(10, T0, &start);
	struct seen seen = at(T0 + 5, "curl");
	struct np_report report;
	size_t n;
	const struct np_report_flow *window;

	add_flow(f, agg, frontend(f, 1), pod(f, "shop", "api-5f7b8c9d6-x1"), 8080, "TCP", &seen);
	add_flow(f, agg, pod(f, "ops", "monitor"), pod(f, "shop", "api-5f7b8c9d6-x1"), 9090,
		 "TCP", &seen);
	np_aggregate_report(agg, f->model, "n1", T0 + 60, &now, &report);

	assert_int_equal(report.n_nodes, 1);
	assert_string_equal(report.nodes[0].name, "n1");
	assert_int_equal(report.nodes[0].start, T0);
	assert_int_equal(report.nodes[0].end, T0 + 60);
	assert_int_equal(report.start, T0);
	assert_int_equal(report.end, T0 + 60);
	/* What happened in the window; the tracker's counter restarted. */
	assert_int_equal(report.coverage.observations, 15);
	assert_int_equal(report.coverage.ringbuf_lost, 3);
	assert_int_equal(report.coverage.socket_map_lost, 2);
	assert_int_equal(report.coverage.dedup_map_lost, 3);
	assert_int_equal(report.coverage.undecodable, 1);
	assert_int_equal(report.coverage.tracker_lost, 2);
	assert_int_equal(report.coverage.aggregate_overflow, 0);
	assert_memory_equal(&report.nodes[0].coverage, &report.coverage, sizeof(report.coverage));

	/* The flows are a copy: the window is still there. */
	window = np_aggregate_flows(agg, &n);
	assert_int_equal(report.n_flows, 2);
	assert_int_equal(n, 2);
	for (size_t i = 0; i < n; i++) {
		assert_ptr_not_equal(report.flows[i].verdict, window[i].verdict);
		assert_true(np_report_flow_same_key(&report.flows[i], &window[i]));
		assert_int_equal(report.flows[i].count, window[i].count);
		assert_int_equal(report.flows[i].first_seen, window[i].first_seen);
		assert_int_equal(report.flows[i].n_rules_used, window[i].n_rules_used);
		assert_int_equal(report.flows[i].n_denied_by, window[i].n_denied_by);
		assert_string_equal(report.flows[i].sample_src_pods[0],
				    window[i].sample_src_pods[0]);
	}
	assert_string_equal(report.flows[1].verdict, "would-deny");
	np_report_free(&report);

	/* A new window starts from the counters it is given. */
	np_aggregate_reset(agg, T0 + 60, &now);
	window = np_aggregate_flows(agg, &n);
	assert_int_equal(n, 0);
	now.observations += 5;
	np_aggregate_report(agg, f->model, "n1", T0 + 120, &now, &report);
	assert_int_equal(report.start, T0 + 60);
	assert_int_equal(report.coverage.observations, 5);
	assert_int_equal(report.coverage.ringbuf_lost, 0);
	assert_int_equal(report.n_flows, 0);
	np_report_free(&report);
	np_aggregate_free(agg);
}

static void test_report_window_never_ends_before_it_starts(void **state)
{
	struct fixture *f = *state;
	struct np_report report;

	np_aggregate_report(f->agg, f->model, "n1", T0 - 30, NULL, &report);
	assert_int_equal(report.start, T0);
	assert_int_equal(report.end, T0);
	np_report_free(&report);
}

#define TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_pods_of_a_workload_pair_share_one_key),
		TEST(test_port_protocol_and_verdict_are_part_of_the_key),
		TEST(test_service_flows_count_the_backend_port),
		TEST(test_nodes_and_the_world_are_named_by_address),
		TEST(test_an_event_of_no_flows_counts_nothing),
		TEST(test_denied_by_names_the_isolating_policies),
		TEST(test_would_deny_names_the_staged_policy),
		TEST(test_rules_used_in_force_and_with_staged),
		TEST(test_keys_past_the_limit_are_counted_as_overflow),
		TEST(test_report_describes_the_policies),
		TEST(test_report_of_the_window),
		TEST(test_report_window_never_ends_before_it_starts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
