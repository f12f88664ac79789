/* test_engine — NetworkPolicy semantics of the engine, one rule at a time,
 * each with a flow it must allow and one it must deny. Models are written as
 * the manifests a user would apply, over one small cluster:
 *
 *   namespace x {team: a, env: prod}   x/a {pod: a, app: api}  10.0.1.1, fd00::1:1
 *                                      x/b {pod: b, app: web}  10.0.1.2   http=8080
 *                                      x/host (hostNetwork)    192.168.0.10
 *   namespace y {team: b, env: prod}   y/a {pod: a, app: api}  10.0.2.1
 *                                      y/b {pod: b, app: web, tier: front} 10.0.2.2, fd00::2:2
 *                                          http=8080, dns=53/UDP, assoc=9000/SCTP
 *                                      y/c {pod: c, app: db, tier: back} 10.0.2.3  http=5432
 *                                      y/d {pod: d, app: web}  10.0.2.4
 *   namespace z {team: c}              z/a {pod: a, app: web}  10.0.3.1
 *   node n1                            192.168.0.10
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "explain.h"

#define POD(ns, name, labels, ips, ports)                                                   \
	"---\napiVersion: v1\nkind: Pod\n"                                                  \
	"metadata: {namespace: '" ns "', name: " name ", labels: " labels "}\n"             \
	"spec: {containers: [{name: main, ports: " ports "}]}\n"                          \
	"status: {podIPs: " ips "}\n"

#define NAMESPACE(name, labels)                                                             \
	"---\napiVersion: v1\nkind: Namespace\nmetadata: {name: '" name "', labels: " labels "}\n"

/* The head of a NetworkPolicy; its spec follows, indented by two. */
#define NETPOL(ns, name)                                                                    \
	"---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"                     \
	"metadata: {namespace: '" ns "', name: " name "}\nspec:\n"

static const char cluster[] =
	NAMESPACE("x", "{team: a, env: prod}")
	NAMESPACE("y", "{team: b, env: prod}")
	NAMESPACE("z", "{team: c}")
	"---\napiVersion: v1\nkind: Node\nmetadata: {name: n1}\n"
	"status: {addresses: [{type: InternalIP, address: 192.168.0.10}]}\n"
	POD("x", "a", "{pod: a, app: api}", "[{ip: 10.0.1.1}, {ip: 'fd00::1:1'}]", "[]")
	POD("x", "b", "{pod: b, app: web}", "[{ip: 10.0.1.2}]",
	    "[{name: http, containerPort: 8080}]")
	"---\napiVersion: v1\nkind: Pod\n"
	"metadata: {namespace: x, name: host, labels: {pod: host}}\n"
	"spec: {hostNetwork: true, nodeName: n1, containers: [{name: main}]}\n"
	"status: {podIPs: [{ip: 192.168.0.10}]}\n"
	POD("y", "a", "{pod: a, app: api}", "[{ip: 10.0.2.1}]", "[]")
	POD("y", "b", "{pod: b, app: web, tier: front}", "[{ip: 10.0.2.2}, {ip: 'fd00::2:2'}]",
	    "[{name: http, containerPort: 8080}, {name: dns, containerPort: 53, protocol: UDP},"
	    " {name: assoc, containerPort: 9000, protocol: SCTP}]")
	POD("y", "c", "{pod: c, app: db, tier: back}", "[{ip: 10.0.2.3}]",
	    "[{name: http, containerPort: 5432}]")
	POD("y", "d", "{pod: d, app: web}", "[{ip: 10.0.2.4}]", "[]")
	POD("z", "a", "{pod: a, app: web}", "[{ip: 10.0.3.1}]", "[]");

/* ---- helpers -------------------------------------------------------------------- */

static int free_model(void **state)
{
	np_model_free(*state);
	return 0;
}

/* The cluster plus the given policies (and staged ones); freed by teardown. */
static struct np_model *cluster_with(void **state, const char *policies, const char *staged)
{
	size_t len = strlen(cluster) + strlen(policies) + 1;
	char *text = malloc(len);
	struct np_model *model;

	assert_non_null(text);
	snprintf(text, len, "%s%s", cluster, policies);
	model = np_test_model(text, staged);
	free(text);
	*state = model;
	return model;
}

static struct np_verdict judge_in(const struct np_model *model, const char *from, const char *to,
				  unsigned port, const char *proto, enum np_policy_scope scope)
{
	return np_test_eval(model, np_test_end(model, from), np_test_end(model, to), port, proto,
			    scope);
}

static struct np_verdict judge(const struct np_model *model, const char *from, const char *to,
			       unsigned port, const char *proto)
{
	return judge_in(model, from, to, port, proto, NP_SCOPE_IN_FORCE);
}

/* Shows the whole explanation when a flow is judged otherwise than expected. */
static bool flow_is(const struct np_model *model, const char *from, const char *to,
		    unsigned port, const char *proto, enum np_policy_scope scope, bool allowed)
{
	struct np_verdict verdict = judge_in(model, from, to, port, proto, scope);
	struct np_flow flow = { .src = np_test_end(model, from), .dst = np_test_end(model, to),
				.port = (uint16_t)port };

	if (verdict.allowed == allowed)
		return true;
	assert_true(np_proto_parse(proto, &flow.proto));
	print_error("expected %s, got:\n", allowed ? "ALLOW" : "DENY");
	np_explain_text(stderr, &flow, &verdict);
	return false;
}

#define assert_allow(m, from, to, port, proto)                                                \
	assert_true(flow_is(m, from, to, port, proto, NP_SCOPE_IN_FORCE, true))
#define assert_deny(m, from, to, port, proto)                                                 \
	assert_true(flow_is(m, from, to, port, proto, NP_SCOPE_IN_FORCE, false))

static void assert_policy(const struct np_policy *policy, const char *ns, const char *name)
{
	assert_non_null(policy);
	assert_string_equal(policy->namespace_name, ns);
	assert_string_equal(policy->name, name);
}

/* ---- isolation ---------------------------------------------------------------------- */

static void test_no_policy_allows_everything(void **state)
{
	struct np_model *m = cluster_with(state, "", NULL);
	struct np_verdict v = judge(m, "x/a", "y/b", 80, "TCP");

	assert_true(v.allowed);
	assert_false(v.egress.isolated);
	assert_false(v.ingress.isolated);
	assert_null(v.egress.allowed_by.policy);
	assert_int_equal(v.ingress.miss, NP_MISS_NONE);
	assert_allow(m, "192.0.2.1", "z/a", 5000, "UDP");
}

static void test_ingress_isolation_is_per_direction(void **state)
{
	struct np_model *m = cluster_with(state,
		NETPOL("y", "deny-ingress")
		"  podSelector: {matchLabels: {pod: b}}\n"
		"  policyTypes: [Ingress]\n", NULL);
	struct np_verdict v = judge(m, "x/a", "y/b", 80, "TCP");

	assert_false(v.allowed);
	assert_true(v.egress.allowed);
	assert_false(v.egress.isolated);
	assert_false(v.ingress.allowed);
	assert_true(v.ingress.isolated);
	assert_int_equal(v.ingress.n_isolating, 1);
	assert_policy(v.ingress.isolating[0], "y", "deny-ingress");
	/* the pod's own egress is not isolated, nor are unselected pods */
	assert_allow(m, "y/b", "x/a", 80, "TCP");
	assert_allow(m, "x/a", "y/a", 80, "TCP");
}

static void test_egress_only_policy_does_not_isolate_ingress(void **state)
{
	struct np_model *m = cluster_with(state,
		NETPOL("x", "deny-egress")
		"  podSelector: {matchLabels: {pod: a}}\n"
		"  policyTypes: [Egress]\n", NULL);
	struct np_verdict v = judge(m, "x/a", "y/b", 80, "TCP");

	assert_false(v.allowed);
	assert_false(v.egress.allowed);
	assert_true(v.egress.isolated);
	assert_true(v.ingress.allowed);
	v = judge(m, "y/b", "x/a", 80, "TCP");
	assert_true(v.allowed);
	assert_false(v.ingress.isolated);
	assert_allow(m, "x/b", "y/b", 80, "TCP");
}

static void test_policy_types_default_to_ingress(void **state)
{
	struct np_model *m = cluster_with(state,
		NETPOL("x", "ingress-rules-only")
		"  podSelector: {}\n"
		"  ingress:\n"
		"  - from: [{podSelector: {}}]\n", NULL);

	assert_allow(m, "x/b", "x/a", 80, "TCP");
	assert_deny(m, "y/a", "x/a", 80, "TCP");
	/* no policyTypes and no egress rules: egress stays open */
	assert_allow(m, "x/a", "z/a", 80, "TCP");
	assert_false(judge(m, "x/a", "z/a", 80, "TCP").egress.isolated);
}

static void test_policy_types_default_includes_egress_with_egress_rules(void **state)
{
	struct np_model *m = cluster_with(state,
		NETPOL("x", "egress-rules")
		"  podSelector: {}\n"
		"  egress:\n"
		"  - to: [{namespaceSelector: {matchLabels: {team: b}}}]\n", NULL);
	struct np_verdict v;

	assert_allow(m, "x/a", "y/b", 80, "TCP");
	assert_deny(m, "x/a", "z/a", 80, "TCP");
	/* egress rules make the default [Ingress, Egress]: ingress is isolated too */
	v = judge(m, "y/a", "x/a", 80, "TCP");
	assert_false(v.allowed);
	assert_true(v.ingress.isolated);
	assert_true(v.egress.allowed);
}

static void test_empty_spec_isolates_ingress_only(void **state)
{
	struct np_model *m = cluster_with(state,
		NETPOL("y", "deny-all")
		"  podSelector: {}\n", NULL);

	assert_deny(m, "x/a", "y/a", 80, "TCP");
	assert_allow(m, "y/a", "x/a", 80, "TCP");
}

static void test_ingress_empty_list_denies_and_list_of_empty_rule_allows(void **state)
{
	struct np_model *m = cluster_with(state,
		NETPOL("y", "deny-all")
		"  podSelector: {matchLabels: {pod: a}}\n"
		"  ingress: []\n"
		NETPOL("y", "allow-all")
		"  podSelector: {matchLabels: {pod: b}}\n"
		"  ingress: [{}]\n", NULL);
	struct np_verdict v;

	assert_deny(m, "x/a", "y/a", 80, "TCP");
	assert_deny(m, "192.0.2.1", "y/a", 443, "TCP");
	v = judge(m, "x/a", "y/b", 80, "TCP");
	assert_true(v.allowed);
	assert_true(v.ingress.isolated);
	assert_policy(v.ingress.allowed_by.policy, "y", "allow-all");
	assert_int_equal(v.ingress.allowed_by.rule, 0);
	assert_int_equal(v.ingress.allowed_by.peer, -1);
	assert_int_equal(v.ingress.allowed_by.port, -1);
	assert_allow(m, "192.0.2.1", "y/b", 443, "UDP");
}

static void test_egress_empty_list_denies_and_list_of_empty_rule_allows(void **state)
{
	struct np_model *m = cluster_with(state,
		NETPOL("x", "deny-egress")
		"  podSelector: {matchLabels: {pod: a}}\n"
		"  policyTypes: [Egress]\n"
		"  egress: []\n"
		NETPOL("x", "allow-egress")
		"  podSelector: {matchLabels: {pod: b}}\n"
		"  policyTypes: [Egress]\n"
		"  egress: [{}]\n", NULL);

	assert_deny(m, "x/a", "y/a", 80, "TCP");
	assert_deny(m, "x/a", "192.0.2.1", 53, "UDP");
	assert_allow(m, "x/b", "y/a", 80, "TCP");
	assert_allow(m, "x/b", "192.0.2.1", 53, "UDP");
}

/* ---- combining policies and directions ------------------------------------------------ */

static void test_rules_of_all_policies_add_up(void **state)
{
	struct np_model *m = cluster_with(state,
		NETPOL("y", "from-x")
		"  podSelector: {matchLabels: {pod: b}}\n"
		"  ingress:\n"
		"  - from: [{namespaceSelector: {matchLabels: {team: a}}}]\n"
		NETPOL("y", "from-z")
		"  podSelector: {matchLabels: {pod: b}}\n"
		"  ingress:\n"
		"  - from: [{namespaceSelector: {matchLabels: {team: c}}}]\n"
		"    ports: [{port: 80}]\n", NULL);
	struct np_verdict v = judge(m, "z/a", "y/b", 80, "TCP");

	assert_true(v.allowed);
	assert_int_equal(v.ingress.n_isolating, 2);
	assert_policy(v.ingress.allowed_by.policy, "y", "from-z");
	assert_allow(m, "x/a", "y/b", 81, "TCP");
	assert_deny(m, "z/a", "y/b", 81, "TCP");
	assert_deny(m, "y/a", "y/b", 80, "TCP");
}

static void test_flow_needs_egress_and_ingress(void **state)
{
	struct np_model *m = cluster_with(state,
		NETPOL("x", "a-to-y-b")
		"  podSelector: {matchLabels: {pod: a}}\n"
		"  policyTypes: [Egress]\n"
		"  egress:\n"
		"  - to:\n"
		"    - namespaceSelector: {matchLabels: {team: b}}\n"
		"      podSelector: {matchLabels: {pod: b}}\n"
		"    ports: [{port: 80}]\n"
		NETPOL("y", "b-from-x-z")
		"  podSelector: {matchLabels: {pod: b}}\n"
		"  ingress:\n"
		"  - from:\n"
		"    - namespaceSelector:\n"
		"        matchExpressions: [{key: team, operator: In, values: [a, c]}]\n", NULL);
	struct np_verdict v;

	assert_allow(m, "x/a", "y/b", 80, "TCP");
	v = judge(m, "x/a", "y/b", 81, "TCP"); /* ingress admits, egress does not */
	assert_false(v.allowed);
	assert_false(v.egress.allowed);
	assert_true(v.ingress.allowed);
	v = judge(m, "x/a", "z/a", 80, "TCP"); /* z/a is open, x/a may not send there */
	assert_false(v.allowed);
	assert_false(v.egress.allowed);
	assert_true(v.ingress.allowed);
	v = judge(m, "y/a", "y/b", 80, "TCP"); /* egress open, ingress closed */
	assert_false(v.allowed);
	assert_true(v.egress.allowed);
	assert_false(v.ingress.allowed);
}

/* ---- peers ------------------------------------------------------------------------- */

static void test_pod_selector_peer_is_namespace_local(void **state)
{
	struct np_model *m = cluster_with(state,
		NETPOL("y", "from-api")
		"  podSelector: {matchLabels: {pod: b}}\n"
		"  ingress:\n"
		"  - from: [{podSelector: {matchLabels: {app: api}}}]\n", NULL);

	assert_allow(m, "y/a", "y/b", 80, "TCP");
	assert_deny(m, "x/a", "y/b", 80, "TCP"); /* app=api, but in another namespace */
	assert_deny(m, "y/d", "y/b", 80, "TCP");
}

static void test_empty_pod_selector_peer_is_the_whole_namespace(void **state)
{
	struct np_model *m = cluster_with(state,
		NETPOL("y", "same-namespace")
		"  podSelector: {}\n"
		"  ingress:\n"
		"  - from: [{podSelector: {}}]\n", NULL);

	assert_allow(m, "y/a", "y/b", 80, "TCP");
	assert_deny(m, "x/a", "y/b", 80, "TCP");
	assert_deny(m, "192.0.2.1", "y/b", 80, "TCP");
}

static void test_namespace_selector_peer(void **state)
{
	struct np_model *m = cluster_with(state,
		NETPOL("y", "from-team-a")
		"  podSelector: {matchLabels: {pod: b}}\n"
		"  ingress:\n"
		"  - from: [{namespaceSelector: {matchLabels: {team: a}}}]\n", NULL);

	assert_allow(m, "x/a", "y/b", 80, "TCP");
	assert_allow(m, "x/b", "y/b", 80, "TCP");
	assert_deny(m, "z/a", "y/b", 80, "TCP");
	assert_deny(m, "y/a", "y/b", 80, "TCP"); /* its own namespace is not team a */
}

static void test_namespace_selector_by_metadata_name(void **state)
{
	struct np_model *m = cluster_with(state,
		NETPOL("y", "from-z")
		"  podSelector: {matchLabels: {pod: b}}\n"
		"  ingress:\n"
		"  - from:\n"
		"    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: z}}\n",
		NULL);

	assert_allow(m, "z/a", "y/b", 80, "TCP");
	assert_deny(m, "x/a", "y/b", 80, "TCP");
}

static void test_empty_namespace_selector_is_every_pod_but_no_host(void **state)
{
	struct np_model *m = cluster_with(state,
		NETPOL("y", "from-all-pods")
		"  podSelector: {matchLabels: {pod: b}}\n"
		"  ingress:\n"
		"  - from: [{namespaceSelector: {}}]\n", NULL);

	assert_allow(m, "x/a", "y/b", 80, "TCP");
	assert_allow(m, "z/a", "y/b", 80, "TCP");
	assert_deny(m, "192.0.2.1", "y/b", 80, "TCP");
	assert_deny(m, "192.168.0.10", "y/b", 80, "TCP"); /* node n1 */
	assert_deny(m, "x/host", "y/b", 80, "TCP");       /* host network = the node */
}

static void test_both_selectors_in_one_peer_must_both_match(void **state)
{
	struct np_model *m = cluster_with(state,
		NETPOL("y", "web-of-team-a")
		"  podSelector: {matchLabels: {pod: c}}\n"
		"  ingress:\n"
		"  - from:\n"
		"    - namespaceSelector: {matchLabels: {team: a}}\n"
		"      podSelector: {matchLabels: {app: web}}\n", NULL);

	assert_allow(m, "x/b", "y/c", 5432, "TCP");
	assert_deny(m, "x/a", "y/c", 5432, "TCP"); /* namespace matches, pod does not */
	assert_deny(m, "z/a", "y/c", 5432, "TCP"); /* pod matches, namespace does not */
	assert_deny(m, "y/b", "y/c", 5432, "TCP");
}

static void test_two_peers_match_either(void **state)
{
	struct np_model *m = cluster_with(state,
		NETPOL("y", "team-a-or-web")
		"  podSelector: {matchLabels: {pod: c}}\n"
		"  ingress:\n"
		"  - from:\n"
		"    - namespaceSelector: {matchLabels: {team: a}}\n"
		"    - podSelector: {matchLabels: {app: web}}\n", NULL);
	struct np_verdict v = judge(m, "y/b", "y/c", 5432, "TCP");

	assert_true(v.allowed);
	assert_int_equal(v.ingress.allowed_by.rule, 0);
	assert_int_equal(v.ingress.allowed_by.peer, 1);
	assert_int_equal(v.ingress.allowed_by.port, -1);
	v = judge(m, "x/a", "y/c", 5432, "TCP");
	assert_true(v.allowed);
	assert_int_equal(v.ingress.allowed_by.peer, 0);
	assert_deny(m, "z/a", "y/c", 5432, "TCP"); /* web, but podSelector is y's own */
	assert_deny(m, "y/a", "y/c", 5432, "TCP");
}

static void test_ipblock_with_except_ipv4(void **state)
{
	struct np_model *m = cluster_with(state,
		NETPOL("x", "egress-10")
		"  podSelector: {matchLabels: {pod: a}}\n"
		"  policyTypes: [Egress]\n"
		"  egress:\n"
		"  - to:\n"
		"    - ipBlock: {cidr: 10.0.0.0/8, except: [10.0.2.0/24, 10.7.0.0/16]}\n", NULL);

	assert_allow(m, "x/a", "10.9.9.9", 443, "TCP");
	assert_allow(m, "x/a", "z/a", 80, "TCP");   /* 10.0.3.1: ipBlock matches pod IPs too */
	assert_deny(m, "x/a", "y/b", 80, "TCP");    /* 10.0.2.2: excepted */
	assert_deny(m, "x/a", "10.7.1.1", 443, "TCP");
	assert_deny(m, "x/a", "192.0.2.1", 443, "TCP");
	assert_deny(m, "x/a", "fd00::9", 443, "TCP"); /* another family */
}

static void test_ipblock_with_except_ipv6(void **state)
{
	struct np_model *m = cluster_with(state,
		NETPOL("y", "ingress-v6")
		"  podSelector: {matchLabels: {pod: b}}\n"
		"  ingress:\n"
		"  - from: [{ipBlock: {cidr: 'fd00::/16', except: ['fd00::1:0/112']}}]\n", NULL);

	assert_allow(m, "fd00::9:1", "y/b", 80, "TCP");
	assert_deny(m, "fd00::1:1", "y/b", 80, "TCP"); /* x/a's second address, excepted */
	assert_deny(m, "fd01::1", "y/b", 80, "TCP");
	assert_deny(m, "10.0.1.1", "y/b", 80, "TCP"); /* x/a by its IPv4 address */
}

static void test_ipblock_never_matches_an_end_without_address(void **state)
{
	struct np_model *m = cluster_with(state,
		NETPOL("y", "from-anywhere")
		"  podSelector: {matchLabels: {pod: b}}\n"
		"  ingress:\n"
		"  - from: [{ipBlock: {cidr: 0.0.0.0/0}}]\n", NULL);
	struct np_flow flow = { .src = { .kind = NP_END_WORLD }, .dst = np_test_pod(m, "y", "b"),
				.port = 80, .proto = NP_PROTO_TCP };
	struct np_verdict v;

	np_evaluate(m, &flow, NP_SCOPE_IN_FORCE, &v);
	assert_false(v.allowed);
	assert_allow(m, "192.0.2.1", "y/b", 80, "TCP");
}

static void test_match_labels_must_all_match(void **state)
{
	struct np_model *m = cluster_with(state,
		NETPOL("y", "from-front-web")
		"  podSelector: {matchLabels: {pod: c}}\n"
		"  ingress:\n"
		"  - from: [{podSelector: {matchLabels: {app: web, tier: front}}}]\n", NULL);

	assert_allow(m, "y/b", "y/c", 5432, "TCP");
	assert_deny(m, "y/d", "y/c", 5432, "TCP"); /* app=web, no tier */
}

/* Each operator over namespace labels: x {team: a, env: prod},
 * y {team: b, env: prod}, z {team: c}; the policy guards y/c. */
static void test_match_expressions_operators(void **state)
{
	static const struct {
		const char *expression;
		const char *allowed, *denied;
	} cases[] = {
		{ "{key: team, operator: In, values: [a, c]}", "x/a", "y/a" },
		{ "{key: team, operator: NotIn, values: [a]}", "z/a", "x/a" },
		{ "{key: env, operator: NotIn, values: [prod]}", "z/a", "x/a" }, /* absent key */
		{ "{key: env, operator: Exists}", "x/a", "z/a" },
		{ "{key: env, operator: DoesNotExist}", "z/a", "y/a" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char policy[512];
		struct np_model *m;

		snprintf(policy, sizeof(policy),
			 NETPOL("y", "expr")
			 "  podSelector: {matchLabels: {pod: c}}\n"
			 "  ingress:\n"
			 "  - from: [{namespaceSelector: {matchExpressions: [%s]}}]\n",
			 cases[i].expression);
		m = cluster_with(state, policy, NULL);
		if (!flow_is(m, cases[i].allowed, "y/c", 5432, "TCP", NP_SCOPE_IN_FORCE, true) ||
		    !flow_is(m, cases[i].denied, "y/c", 5432, "TCP", NP_SCOPE_IN_FORCE, false))
			fail_msg("matchExpressions %s", cases[i].expression);
		np_model_free(m);
		*state = NULL;
	}
}

static void test_match_expressions_and_labels_combine(void **state)
{
	struct np_model *m = cluster_with(state,
		NETPOL("y", "web-not-front")
		"  podSelector:\n"
		"    matchLabels: {app: web}\n"
		"    matchExpressions: [{key: tier, operator: NotIn, values: [front]}]\n"
		"  ingress: []\n", NULL);

	assert_deny(m, "x/a", "y/d", 80, "TCP");  /* web, no tier: NotIn holds */
	assert_allow(m, "x/a", "y/b", 80, "TCP"); /* web, tier=front */
	assert_allow(m, "x/a", "y/c", 80, "TCP"); /* tier=back, app=db */
}

/* ---- ports ------------------------------------------------------------------------- */

static void test_port_protocol_defaults_to_tcp(void **state)
{
	struct np_model *m = cluster_with(state,
		NETPOL("y", "port-80")
		"  podSelector: {matchLabels: {pod: b}}\n"
		"  ingress: [{ports: [{port: 80}]}]\n", NULL);
	struct np_verdict v = judge(m, "x/a", "y/b", 80, "TCP");

	assert_true(v.allowed);
	assert_int_equal(v.ingress.allowed_by.peer, -1);
	assert_int_equal(v.ingress.allowed_by.port, 0);
	assert_deny(m, "x/a", "y/b", 80, "UDP");
	assert_deny(m, "x/a", "y/b", 80, "SCTP");
	assert_deny(m, "x/a", "y/b", 81, "TCP");
}

static void test_port_protocols_udp_and_sctp(void **state)
{
	struct np_model *m = cluster_with(state,
		NETPOL("y", "dns-and-sctp")
		"  podSelector: {matchLabels: {pod: b}}\n"
		"  ingress:\n"
		"  - ports: [{port: 53, protocol: UDP}, {port: 9000, protocol: SCTP}]\n", NULL);

	assert_allow(m, "x/a", "y/b", 53, "UDP");
	assert_deny(m, "x/a", "y/b", 53, "TCP");
	assert_allow(m, "x/a", "y/b", 9000, "SCTP");
	assert_deny(m, "x/a", "y/b", 9000, "UDP");
}

static void test_protocol_only_port_entry_admits_every_port(void **state)
{
	struct np_model *m = cluster_with(state,
		NETPOL("y", "any-udp")
		"  podSelector: {matchLabels: {pod: b}}\n"
		"  ingress: [{ports: [{protocol: UDP}]}]\n", NULL);

	assert_allow(m, "x/a", "y/b", 53, "UDP");
	assert_allow(m, "x/a", "y/b", 65535, "UDP");
	assert_deny(m, "x/a", "y/b", 53, "TCP");
}

static void test_end_port_range(void **state)
{
	struct np_model *m = cluster_with(state,
		NETPOL("y", "range")
		"  podSelector: {matchLabels: {pod: b}}\n"
		"  ingress: [{ports: [{port: 8000, endPort: 8100}]}]\n", NULL);

	assert_allow(m, "x/a", "y/b", 8000, "TCP");
	assert_allow(m, "x/a", "y/b", 8050, "TCP");
	assert_allow(m, "x/a", "y/b", 8100, "TCP");
	assert_deny(m, "x/a", "y/b", 7999, "TCP");
	assert_deny(m, "x/a", "y/b", 8101, "TCP");
	assert_deny(m, "x/a", "y/b", 8050, "UDP");
}

static void test_named_port_in_ingress_rule(void **state)
{
	struct np_model *m = cluster_with(state,
		NETPOL("y", "http-in")
		"  podSelector: {}\n"
		"  ingress: [{ports: [{port: http}, {port: dns, protocol: UDP}]}]\n", NULL);

	assert_allow(m, "x/a", "y/b", 8080, "TCP");
	assert_allow(m, "x/a", "y/c", 5432, "TCP"); /* each pod's own "http" */
	assert_deny(m, "x/a", "y/c", 8080, "TCP");
	assert_deny(m, "x/a", "y/a", 8080, "TCP");  /* y/a names no port http */
	assert_deny(m, "x/a", "y/b", 8080, "UDP");
	assert_allow(m, "x/a", "y/b", 53, "UDP");
	assert_deny(m, "x/a", "y/b", 53, "TCP");    /* dns is a UDP port */
}

static void test_named_port_in_egress_rule_resolves_on_destination(void **state)
{
	struct np_model *m = cluster_with(state,
		NETPOL("x", "http-out")
		"  podSelector: {matchLabels: {pod: a}}\n"
		"  policyTypes: [Egress]\n"
		"  egress: [{ports: [{port: http}]}]\n", NULL);

	assert_allow(m, "x/a", "y/b", 8080, "TCP");
	assert_allow(m, "x/a", "y/c", 5432, "TCP");
	assert_allow(m, "x/a", "x/b", 8080, "TCP");
	assert_deny(m, "x/a", "y/c", 8080, "TCP");
	assert_deny(m, "x/a", "y/a", 8080, "TCP");
	assert_deny(m, "x/a", "10.9.9.9", 8080, "TCP"); /* not a pod: nothing to resolve */
	assert_deny(m, "x/a", "192.168.0.10", 8080, "TCP");
}

static void test_missing_and_empty_peers_and_ports_match_all(void **state)
{
	struct np_model *m = cluster_with(state,
		NETPOL("y", "empty-from")
		"  podSelector: {matchLabels: {pod: b}}\n"
		"  ingress:\n"
		"  - from: []\n"
		"    ports: [{port: 80}]\n"
		NETPOL("y", "empty-ports")
		"  podSelector: {matchLabels: {pod: c}}\n"
		"  ingress:\n"
		"  - from: [{podSelector: {}}]\n"
		"    ports: []\n"
		NETPOL("y", "missing-from")
		"  podSelector: {matchLabels: {pod: d}}\n"
		"  ingress:\n"
		"  - ports: [{port: 443}]\n"
		NETPOL("x", "empty-to")
		"  podSelector: {matchLabels: {pod: b}}\n"
		"  policyTypes: [Egress]\n"
		"  egress:\n"
		"  - to: []\n"
		"    ports: [{port: 53, protocol: UDP}]\n", NULL);

	assert_allow(m, "z/a", "y/b", 80, "TCP");
	assert_allow(m, "192.0.2.1", "y/b", 80, "TCP");
	assert_deny(m, "z/a", "y/b", 81, "TCP");
	assert_allow(m, "y/a", "y/c", 1, "TCP");
	assert_allow(m, "y/a", "y/c", 65535, "SCTP");
	assert_deny(m, "x/a", "y/c", 5432, "TCP");
	assert_allow(m, "192.0.2.1", "y/d", 443, "TCP");
	assert_deny(m, "192.0.2.1", "y/d", 80, "TCP");
	assert_allow(m, "x/b", "192.0.2.53", 53, "UDP");
	assert_deny(m, "x/b", "192.0.2.53", 53, "TCP");
}

/* ---- special ends ------------------------------------------------------------------ */

static void test_pod_to_itself_is_always_allowed(void **state)
{
	struct np_model *m = cluster_with(state,
		NETPOL("y", "deny-all")
		"  podSelector: {}\n"
		"  policyTypes: [Ingress, Egress]\n", NULL);
	struct np_verdict v = judge(m, "y/b", "y/b", 8080, "TCP");

	assert_true(v.allowed);
	assert_true(v.egress.self);
	assert_true(v.ingress.self);
	assert_true(v.egress.isolated);
	assert_true(v.ingress.isolated);
	assert_null(v.ingress.allowed_by.policy);
	v = judge(m, "y/b", "y/a", 8080, "TCP");
	assert_false(v.allowed);
	assert_false(v.egress.self);
	assert_false(v.egress.allowed);
	assert_false(v.ingress.allowed);
}

static void test_nodes_and_world_are_never_isolated(void **state)
{
	struct np_model *m = cluster_with(state,
		NETPOL("y", "deny-all")
		"  podSelector: {}\n"
		"  policyTypes: [Ingress, Egress]\n", NULL);
	struct np_verdict v = judge(m, "192.168.0.10", "y/b", 80, "TCP");

	assert_int_equal(np_test_end(m, "192.168.0.10").kind, NP_END_NODE);
	assert_false(v.allowed);
	assert_true(v.egress.allowed);
	assert_false(v.egress.isolated);
	v = judge(m, "y/b", "192.0.2.1", 443, "TCP");
	assert_false(v.allowed);
	assert_true(v.ingress.allowed);
	assert_false(v.ingress.isolated);
	assert_allow(m, "192.168.0.10", "x/a", 80, "TCP");
	assert_allow(m, "x/a", "192.0.2.1", 443, "TCP");
}

static void test_node_and_world_reach_pods_through_ipblock(void **state)
{
	struct np_model *m = cluster_with(state,
		NETPOL("y", "nodes-only")
		"  podSelector: {}\n"
		"  policyTypes: [Ingress, Egress]\n"
		"  ingress: [{from: [{ipBlock: {cidr: 192.168.0.0/16}}]}]\n"
		"  egress: [{to: [{ipBlock: {cidr: 192.168.0.10/32}}]}]\n", NULL);

	assert_allow(m, "192.168.0.10", "y/b", 80, "TCP");
	assert_allow(m, "y/b", "192.168.0.10", 10250, "TCP");
	assert_deny(m, "192.0.2.1", "y/b", 80, "TCP");
	assert_deny(m, "y/b", "192.168.0.11", 10250, "TCP");
}

static void test_host_network_pod_is_not_isolated(void **state)
{
	struct np_model *m = cluster_with(state,
		NETPOL("x", "deny-all")
		"  podSelector: {}\n"
		"  policyTypes: [Ingress, Egress]\n", NULL);
	const struct np_pod *host = np_model_pod(m, "x", "host");
	struct np_verdict v = judge(m, "x/host", "y/a", 80, "TCP");

	assert_true(host->host_network);
	assert_false(np_policy_selects(&m->policies[0], host));
	assert_true(np_policy_selects(&m->policies[0], np_model_pod(m, "x", "a")));
	assert_true(v.allowed);
	assert_false(v.egress.isolated);
	assert_allow(m, "y/a", "x/host", 22, "TCP");
	assert_deny(m, "y/a", "x/a", 22, "TCP");
}

/* ---- staged policies --------------------------------------------------------------- */

static void test_staged_policies_count_only_in_staged_scope(void **state)
{
	struct np_model *m = cluster_with(state, "",
		NETPOL("x", "deny-egress")
		"  podSelector: {}\n"
		"  policyTypes: [Egress]\n");
	struct np_verdict v;

	assert_true(flow_is(m, "x/a", "y/a", 80, "TCP", NP_SCOPE_IN_FORCE, true));
	assert_true(flow_is(m, "x/a", "y/a", 80, "TCP", NP_SCOPE_WITH_STAGED, false));
	v = judge_in(m, "x/a", "y/a", 80, "TCP", NP_SCOPE_WITH_STAGED);
	assert_int_equal(v.egress.n_isolating, 1);
	assert_true(v.egress.isolating[0]->staged);
	assert_false(judge(m, "x/a", "y/a", 80, "TCP").egress.isolated);
}

static void test_staged_policy_replaces_same_named_one(void **state)
{
	struct np_model *m = cluster_with(state,
		NETPOL("y", "allow-web")
		"  podSelector: {matchLabels: {pod: b}}\n"
		"  ingress: [{from: [{namespaceSelector: {matchLabels: {team: a}}}]}]\n"
		NETPOL("y", "keep")
		"  podSelector: {matchLabels: {pod: b}}\n"
		"  ingress: [{from: [{podSelector: {matchLabels: {app: api}}}]}]\n",
		NETPOL("y", "allow-web")
		"  podSelector: {matchLabels: {pod: b}}\n"
		"  ingress: [{from: [{namespaceSelector: {matchLabels: {team: c}}}]}]\n");
	struct np_verdict v;

	assert_true(flow_is(m, "x/a", "y/b", 80, "TCP", NP_SCOPE_IN_FORCE, true));
	assert_true(flow_is(m, "z/a", "y/b", 80, "TCP", NP_SCOPE_IN_FORCE, false));
	assert_true(flow_is(m, "x/a", "y/b", 80, "TCP", NP_SCOPE_WITH_STAGED, false));
	assert_true(flow_is(m, "z/a", "y/b", 80, "TCP", NP_SCOPE_WITH_STAGED, true));
	/* in-force policies that are not replaced still count */
	assert_true(flow_is(m, "y/a", "y/b", 80, "TCP", NP_SCOPE_WITH_STAGED, true));
	v = judge_in(m, "x/a", "y/b", 80, "TCP", NP_SCOPE_WITH_STAGED);
	assert_int_equal(v.ingress.n_isolating, 2);
	for (size_t i = 0; i < v.ingress.n_isolating; i++)
		assert_false(v.ingress.isolating[i]->replaced_when_staged);
}

/* ---- explanations -------------------------------------------------------------------- */

static const char allow_api_on_8080[] =
	NETPOL("y", "allow-api")
	"  podSelector: {matchLabels: {pod: b}}\n"
	"  ingress:\n"
	"  - from: [{podSelector: {matchLabels: {app: api}}}]\n"
	"    ports: [{port: 8080}, {port: http}, {port: 9000, endPort: 9100}, {protocol: UDP}]\n";

static void test_nearest_miss_on_port(void **state)
{
	struct np_model *m = cluster_with(state, allow_api_on_8080, NULL);
	struct np_verdict v = judge(m, "y/a", "y/b", 80, "TCP");

	assert_false(v.allowed);
	assert_int_equal(v.ingress.miss, NP_MISS_PORT);
	assert_policy(v.ingress.nearest.policy, "y", "allow-api");
	assert_int_equal(v.ingress.nearest.rule, 0);
	assert_int_equal(v.ingress.nearest.peer, 0);
	assert_int_equal(v.ingress.nearest.port, -1);
	assert_string_equal(v.ingress.miss_reason,
			    "port 80/TCP not in ports [8080/TCP, http(=8080)/TCP, 9000-9100/TCP, "
			    "any/UDP]");
	assert_allow(m, "y/a", "y/b", 8080, "TCP");
}

static void test_nearest_miss_on_pod_selector(void **state)
{
	struct np_model *m = cluster_with(state, allow_api_on_8080, NULL);
	struct np_verdict v = judge(m, "y/d", "y/b", 8080, "TCP");

	assert_false(v.allowed);
	assert_int_equal(v.ingress.miss, NP_MISS_PEER);
	assert_int_equal(v.ingress.nearest.rule, 0);
	assert_int_equal(v.ingress.nearest.peer, 0);
	assert_int_equal(v.ingress.nearest.port, 0);
	assert_string_equal(v.ingress.miss_reason,
			    "from[0] podSelector app=api does not match pod labels app=web");
	v = judge(m, "x/a", "y/b", 8080, "TCP");
	assert_int_equal(v.ingress.miss, NP_MISS_PEER);
	assert_string_equal(v.ingress.miss_reason,
			    "from[0] podSelector app=api only selects pods of namespace y; "
			    "x/a is in x");
}

static void test_nearest_miss_prefers_a_matching_peer(void **state)
{
	struct np_model *m = cluster_with(state,
		NETPOL("y", "a")
		"  podSelector: {matchLabels: {pod: b}}\n"
		"  ingress:\n"
		"  - from: [{podSelector: {matchLabels: {app: db}}}]\n"
		"    ports: [{port: 80}]\n"
		NETPOL("y", "b")
		"  podSelector: {matchLabels: {pod: b}}\n"
		"  ingress:\n"
		"  - from: [{podSelector: {matchLabels: {app: nope}}}]\n"
		"    ports: [{port: 81}]\n"
		"  - from: [{podSelector: {matchLabels: {app: api}}}]\n"
		"    ports: [{port: 443}]\n", NULL);
	struct np_verdict v = judge(m, "y/a", "y/b", 80, "TCP");

	assert_int_equal(v.ingress.miss, NP_MISS_PORT);
	assert_policy(v.ingress.nearest.policy, "y", "b");
	assert_int_equal(v.ingress.nearest.rule, 1);
	assert_string_equal(v.ingress.miss_reason, "port 80/TCP not in ports [443/TCP]");
	/* without a matching peer anywhere, the rule whose port matched */
	v = judge(m, "y/d", "y/b", 80, "TCP");
	assert_int_equal(v.ingress.miss, NP_MISS_PEER);
	assert_policy(v.ingress.nearest.policy, "y", "a");
	assert_int_equal(v.ingress.nearest.rule, 0);
	/* neither: no nearest miss */
	v = judge(m, "y/d", "y/b", 22, "TCP");
	assert_int_equal(v.ingress.miss, NP_MISS_NONE);
	assert_null(v.ingress.nearest.policy);
	assert_string_equal(v.ingress.miss_reason, "");
}

static void test_nearest_miss_on_namespace_selector(void **state)
{
	struct np_model *m = cluster_with(state,
		NETPOL("y", "teams")
		"  podSelector: {matchLabels: {pod: b}}\n"
		"  ingress:\n"
		"  - from:\n"
		"    - ipBlock: {cidr: 172.16.0.0/12}\n"
		"    - namespaceSelector:\n"
		"        matchExpressions: [{key: team, operator: In, values: [b, a]}]\n"
		"    ports: [{port: 80}]\n", NULL);
	struct np_verdict v = judge(m, "z/a", "y/b", 80, "TCP");

	assert_int_equal(v.ingress.miss, NP_MISS_PEER);
	assert_int_equal(v.ingress.nearest.peer, 1); /* an ipBlock is no match for a pod */
	assert_string_equal(v.ingress.miss_reason,
			    "from[1] namespaceSelector team In (a, b): namespace z has team=c");
	assert_allow(m, "x/a", "y/b", 80, "TCP");
}

static void test_nearest_miss_picks_the_closest_peer(void **state)
{
	struct np_model *m = cluster_with(state,
		NETPOL("y", "teams")
		"  podSelector: {matchLabels: {pod: b}}\n"
		"  ingress:\n"
		"  - from:\n"
		"    - namespaceSelector: {matchLabels: {team: a}}\n"
		"    - namespaceSelector: {matchLabels: {env: prod}}\n"
		"      podSelector: {matchLabels: {app: web}}\n"
		"    ports: [{port: 80}]\n", NULL);
	struct np_verdict v = judge(m, "z/a", "y/b", 80, "TCP");

	/* from[1] half matched (app=web): it came closer than from[0] */
	assert_int_equal(v.ingress.nearest.peer, 1);
	assert_string_equal(v.ingress.miss_reason,
			    "from[1] namespaceSelector env=prod: namespace z has no env label");
	assert_allow(m, "y/d", "y/b", 80, "TCP");
}

static void test_nearest_miss_with_both_selectors(void **state)
{
	struct np_model *m = cluster_with(state,
		NETPOL("y", "web-of-prod")
		"  podSelector: {matchLabels: {pod: c}}\n"
		"  ingress:\n"
		"  - from:\n"
		"    - namespaceSelector: {matchLabels: {env: prod}}\n"
		"      podSelector:\n"
		"        matchLabels: {app: web}\n"
		"        matchExpressions: [{key: tier, operator: Exists}]\n", NULL);
	struct np_verdict v = judge(m, "x/a", "y/c", 5432, "TCP");

	assert_string_equal(v.ingress.miss_reason,
			    "from[0] podSelector app=web, tier does not match pod labels app=api, "
			    "no tier label (its namespace x matches)");
	v = judge(m, "z/a", "y/c", 5432, "TCP");
	assert_string_equal(v.ingress.miss_reason,
			    "from[0] namespaceSelector env=prod: namespace z has no env label; "
			    "podSelector app=web, tier does not match: pod has no tier label");
}

static void test_nearest_miss_on_ipblock(void **state)
{
	struct np_model *m = cluster_with(state,
		NETPOL("x", "egress-10")
		"  podSelector: {matchLabels: {pod: a}}\n"
		"  policyTypes: [Egress]\n"
		"  egress:\n"
		"  - to:\n"
		"    - podSelector: {matchLabels: {app: web}}\n"
		"    - ipBlock: {cidr: 10.0.0.0/8, except: [10.0.0.0/16, 10.1.0.0/16]}\n"
		"    ports: [{port: 443}]\n", NULL);
	struct np_verdict v = judge(m, "x/a", "10.1.2.3", 443, "TCP");

	assert_int_equal(v.egress.miss, NP_MISS_PEER);
	assert_int_equal(v.egress.nearest.peer, 1);
	assert_string_equal(v.egress.miss_reason,
			    "to[1] ipBlock 10.0.0.0/8 except 10.1.0.0/16 excludes 10.1.2.3");
	v = judge(m, "x/a", "192.0.2.1", 443, "TCP");
	assert_string_equal(v.egress.miss_reason,
			    "to[1] ipBlock 10.0.0.0/8 does not contain 192.0.2.1");
	v = judge(m, "x/a", "y/b", 443, "TCP"); /* a pod: the selector is the nearer peer */
	assert_string_equal(v.egress.miss_reason,
			    "to[0] podSelector app=web only selects pods of namespace x; "
			    "y/b is in y");
	assert_allow(m, "x/a", "10.2.0.1", 443, "TCP");
}

static void test_nearest_miss_selector_against_non_pods(void **state)
{
	struct np_model *m = cluster_with(state,
		NETPOL("y", "pods-only")
		"  podSelector: {matchLabels: {pod: b}}\n"
		"  ingress: [{from: [{namespaceSelector: {}}]}]\n", NULL);
	struct np_verdict v = judge(m, "192.0.2.1", "y/b", 80, "TCP");

	assert_int_equal(v.ingress.miss, NP_MISS_PEER);
	assert_string_equal(v.ingress.miss_reason,
			    "from[0] namespaceSelector {} matches pods only, not 192.0.2.1");
	v = judge(m, "192.168.0.10", "y/b", 80, "TCP");
	assert_string_equal(v.ingress.miss_reason,
			    "from[0] namespaceSelector {} matches pods only, not node n1 "
			    "(192.168.0.10)");
	v = judge(m, "x/host", "y/b", 80, "TCP");
	assert_string_equal(v.ingress.miss_reason,
			    "from[0] namespaceSelector {} never matches host-network pod x/host");
}

static void test_isolating_policies_beyond_the_explained_few(void **state)
{
	char policies[4096] = "";
	size_t used = 0;
	struct np_model *m;
	struct np_verdict v;

	for (int i = 0; i < NP_EXPLAIN_MAX + 3; i++)
		used += (size_t)snprintf(policies + used, sizeof(policies) - used,
					 NETPOL("y", "deny-%02d") "  podSelector: {}\n", i);
	assert_true(used < sizeof(policies));
	m = cluster_with(state, policies, NULL);
	v = judge(m, "x/a", "y/b", 80, "TCP");
	assert_false(v.allowed);
	assert_int_equal(v.ingress.n_isolating, NP_EXPLAIN_MAX + 3);
	assert_policy(v.ingress.isolating[0], "y", "deny-00");
	assert_policy(v.ingress.isolating[NP_EXPLAIN_MAX - 1], "y", "deny-07");
}

/* ---- building blocks ------------------------------------------------------------------ */

static const struct np_label web_front_items[] = { { "app", "web" }, { "tier", "front" } };
static const struct np_labels web_front = { web_front_items, 2 };

static struct np_requirement requirement(const char *key, enum np_selector_op op,
					 const char *const *values, size_t n_values)
{
	return (struct np_requirement){ .key = key, .op = op, .values = values,
					.n_values = n_values };
}

static void test_selector_operators(void **state)
{
	static const char *const web[] = { "web" }, *const api_db[] = { "api", "db" };
	const struct {
		struct np_requirement req;
		bool matches;
	} cases[] = {
		{ requirement("app", NP_OP_IN, web, 1), true },
		{ requirement("app", NP_OP_IN, api_db, 2), false },
		{ requirement("zone", NP_OP_IN, web, 1), false },
		{ requirement("app", NP_OP_NOT_IN, api_db, 2), true },
		{ requirement("app", NP_OP_NOT_IN, web, 1), false },
		{ requirement("zone", NP_OP_NOT_IN, web, 1), true }, /* absent: in no set */
		{ requirement("tier", NP_OP_EXISTS, NULL, 0), true },
		{ requirement("zone", NP_OP_EXISTS, NULL, 0), false },
		{ requirement("zone", NP_OP_DOES_NOT_EXIST, NULL, 0), true },
		{ requirement("tier", NP_OP_DOES_NOT_EXIST, NULL, 0), false },
	};
	struct np_requirement both[] = { cases[0].req, cases[9].req };
	struct np_selector everything = { NULL, 0 }, web_not_tiered = { both, 2 };

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct np_selector one = { &cases[i].req, 1 };

		if (np_selector_matches(&one, &web_front) != cases[i].matches)
			fail_msg("requirement %zu on app=web, tier=front", i);
	}
	assert_true(np_selector_matches(&everything, &web_front));
	assert_false(np_selector_matches(&web_not_tiered, &web_front)); /* AND */
	both[1] = cases[6].req;
	assert_true(np_selector_matches(&web_not_tiered, &web_front));
}

static void test_selector_format(void **state)
{
	static const char *const web[] = { "web" }, *const ab[] = { "a", "b" };
	struct np_requirement reqs[] = {
		requirement("app", NP_OP_IN, web, 1),
		requirement("tier", NP_OP_IN, ab, 2),
		requirement("env", NP_OP_NOT_IN, web, 1),
		requirement("canary", NP_OP_EXISTS, NULL, 0),
		requirement("legacy", NP_OP_DOES_NOT_EXIST, NULL, 0),
	};
	struct np_selector sel = { reqs, 5 }, empty = { NULL, 0 };
	char buf[128], small[16];

	(void)state;
	reqs[0].from_match_labels = true;
	np_selector_format(&sel, buf, sizeof(buf));
	assert_string_equal(buf, "app=web, tier In (a, b), env NotIn (web), canary, !legacy");
	np_selector_format(&empty, buf, sizeof(buf));
	assert_string_equal(buf, "{}");
	reqs[0].from_match_labels = false;
	np_selector_format(&sel, small, sizeof(small));
	assert_string_equal(small, "app In (web)...");
}

static void test_endpoint_format(void **state)
{
	struct np_model *m = cluster_with(state, "", NULL);
	struct np_endpoint pod = np_test_pod(m, "x", "a"), node = np_test_end(m, "192.168.0.10");
	struct np_endpoint world = np_test_end(m, "fd00::9");
	struct np_endpoint unknown_host = { .kind = NP_END_NODE };
	struct np_endpoint nowhere = { .kind = NP_END_WORLD };
	char buf[64];

	np_endpoint_format(&pod, buf, sizeof(buf));
	assert_string_equal(buf, "x/a");
	np_endpoint_format(&node, buf, sizeof(buf));
	assert_string_equal(buf, "node n1 (192.168.0.10)");
	np_endpoint_format(&world, buf, sizeof(buf));
	assert_string_equal(buf, "fd00::9");
	assert_true(np_ip_parse("192.0.2.9", &unknown_host.ip));
	np_endpoint_format(&unknown_host, buf, sizeof(buf));
	assert_string_equal(buf, "node 192.0.2.9");
	np_endpoint_format(&nowhere, buf, sizeof(buf));
	assert_string_equal(buf, "unknown address");
}

static void test_port_matches(void **state)
{
	static const struct np_container_port ports[] = { { "http", 8080, NP_PROTO_TCP },
							  { NULL, 9090, NP_PROTO_TCP } };
	struct np_pod pod = { .namespace_name = "x", .name = "p", .ports = ports, .n_ports = 2 };
	struct np_endpoint dst = { .kind = NP_END_POD, .pod = &pod };
	struct np_port_rule named = { .proto = NP_PROTO_TCP, .kind = NP_PORT_NAME, .name = "http" };
	struct np_port_rule range = { .proto = NP_PROTO_UDP, .kind = NP_PORT_NUMBER, .port = 10,
				      .end_port = 20 };

	(void)state;
	assert_true(np_port_matches(&named, &dst, 8080, NP_PROTO_TCP));
	assert_false(np_port_matches(&named, &dst, 9090, NP_PROTO_TCP));
	pod.host_network = true; /* a host-network pod is its node: no pod ports */
	assert_false(np_port_matches(&named, &dst, 8080, NP_PROTO_TCP));
	assert_true(np_port_matches(&range, &dst, 20, NP_PROTO_UDP));
	assert_false(np_port_matches(&range, &dst, 21, NP_PROTO_UDP));
	assert_false(np_port_matches(&range, &dst, 15, NP_PROTO_SCTP));
}

#define TEST(f) cmocka_unit_test_teardown(f, free_model)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_no_policy_allows_everything),
		TEST(test_ingress_isolation_is_per_direction),
		TEST(test_egress_only_policy_does_not_isolate_ingress),
		TEST(test_policy_types_default_to_ingress),
		TEST(test_policy_types_default_includes_egress_with_egress_rules),
		TEST(test_empty_spec_isolates_ingress_only),
		TEST(test_ingress_empty_list_denies_and_list_of_empty_rule_allows),
		TEST(test_egress_empty_list_denies_and_list_of_empty_rule_allows),
		TEST(test_rules_of_all_policies_add_up),
		TEST(test_flow_needs_egress_and_ingress),
		TEST(test_pod_selector_peer_is_namespace_local),
		TEST(test_empty_pod_selector_peer_is_the_whole_namespace),
		TEST(test_namespace_selector_peer),
		TEST(test_namespace_selector_by_metadata_name),
		TEST(test_empty_namespace_selector_is_every_pod_but_no_host),
		TEST(test_both_selectors_in_one_peer_must_both_match),
		TEST(test_two_peers_match_either),
		TEST(test_ipblock_with_except_ipv4),
		TEST(test_ipblock_with_except_ipv6),
		TEST(test_ipblock_never_matches_an_end_without_address),
		TEST(test_match_labels_must_all_match),
		TEST(test_match_expressions_operators),
		TEST(test_match_expressions_and_labels_combine),
		TEST(test_port_protocol_defaults_to_tcp),
		TEST(test_port_protocols_udp_and_sctp),
		TEST(test_protocol_only_port_entry_admits_every_port),
		TEST(test_end_port_range),
		TEST(test_named_port_in_ingress_rule),
		TEST(test_named_port_in_egress_rule_resolves_on_destination),
		TEST(test_missing_and_empty_peers_and_ports_match_all),
		TEST(test_pod_to_itself_is_always_allowed),
		TEST(test_nodes_and_world_are_never_isolated),
		TEST(test_node_and_world_reach_pods_through_ipblock),
		TEST(test_host_network_pod_is_not_isolated),
		TEST(test_staged_policies_count_only_in_staged_scope),
		TEST(test_staged_policy_replaces_same_named_one),
		TEST(test_nearest_miss_on_port),
		TEST(test_nearest_miss_on_pod_selector),
		TEST(test_nearest_miss_prefers_a_matching_peer),
		TEST(test_nearest_miss_on_namespace_selector),
		TEST(test_nearest_miss_picks_the_closest_peer),
		TEST(test_nearest_miss_with_both_selectors),
		TEST(test_nearest_miss_on_ipblock),
		TEST(test_nearest_miss_selector_against_non_pods),
		TEST(test_isolating_policies_beyond_the_explained_few),
		TEST(test_selector_operators),
		TEST(test_selector_format),
		TEST(test_endpoint_format),
		TEST(test_port_matches),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
