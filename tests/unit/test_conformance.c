/* test_conformance — the upstream Kubernetes NetworkPolicy e2e tests as truth tables.
 *
 * kubernetes/kubernetes test/e2e/network/netpol/network_policy.go builds one
 * cluster (namespaces x, y, z labelled ns=<name>, each with pods a, b, c
 * labelled pod=<name> serving ports 80 and 81 on TCP, UDP and SCTP), creates
 * a test's policies, probes every pod-to-pod pair on one port and protocol and
 * compares what connects with a truth table its Reachability helper builds.
 * Each of those tests is translated here: the cluster as manifests, the Go
 * policy builders as YAML, the expectations through the same helper
 * semantics, and the engine answering in place of the probes. Where a test
 * changes the cluster or its policies between probes, each state is its own
 * model. Every test runs on an IPv4 and on an IPv6 single-stack cluster, as
 * upstream runs on both.
 */
#include "fixture.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "manifest.h"

/* ---- the cluster of model.go ------------------------------------------------ */

#define N_NS 3
#define PODS_PER_NS 3
#define N_PODS (N_NS * PODS_PER_NS)

static const char *const ns_names[N_NS] = { "x", "y", "z" };
static const char *const pod_names[PODS_PER_NS] = { "a", "b", "c" };
/* Row and column labels, in the order upstream prints its tables. */
static const char *const pod_strings[N_PODS] = {
	"x/a", "x/b", "x/c", "y/a", "y/b", "y/c", "z/a", "z/b", "z/c",
};

static const unsigned served_ports[] = { 80, 81 };
static const struct {
	const char *name; /* protocol: TCP */
	const char *lower; /* in container and port names: serve-80-tcp */
} served_protos[] = { { "TCP", "tcp" }, { "UDP", "udp" }, { "SCTP", "sctp" } };

struct cluster {
	const char *family; /* for messages */
	bool ipv6;
};

/* Test states, handed to each test by cmocka; never written. */
static struct cluster ipv4_cluster = { "IPv4", false };
static struct cluster ipv6_cluster = { "IPv6", true };

static const char *ns_of(int pod)
{
	return ns_names[pod / PODS_PER_NS];
}

static const char *name_of(int pod)
{
	return pod_names[pod % PODS_PER_NS];
}

static int pod_index(const char *pod)
{
	for (int i = 0; i < N_PODS; i++)
		if (strcmp(pod, pod_strings[i]) == 0)
			return i;
	fail_msg("no pod %s in the conformance cluster", pod);
	return 0;
}

/* x/a is 10.244.1.10 or fd00:10:244:1::a. All pods share their first four
 * address bits, as in a cluster with one pod CIDR: the ipBlock tests allow
 * "<x/a's IP>/4" and expect it to cover every pod. */
static void pod_ip(const struct cluster *c, const char *pod, char *buf, size_t len)
{
	int i = pod_index(pod);
	unsigned ns = (unsigned)(i / PODS_PER_NS) + 1;
	unsigned host = (unsigned)(i % PODS_PER_NS) + 10;

	if (c->ipv6)
		snprintf(buf, len, "fd00:10:244:%u::%x", ns, host);
	else
		snprintf(buf, len, "10.244.%u.%u", ns, host);
}

/* The hostMask of the ipBlock tests. */
static int host_prefix(const struct cluster *c)
{
	return c->ipv6 ? 128 : 32;
}

/* A label a test adds mid-way (AddNamespaceLabel, AddPodLabels). */
struct extra_label {
	const char *target; /* "y" for namespace y, "x/b" for pod x/b; NULL for none */
	const char *key;
	const char *value;
};

/* Manifests are assembled in one static buffer: a failing assertion jumps out
 * of the test, and nothing allocated may be left behind then. */
static char manifest_buf[1 << 16];

struct text {
	char *buf;
	size_t cap;
	size_t len;
};

static void text_addf(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void text_addf(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= t->cap - t->len)
		fail_msg("conformance manifests exceed %zu bytes", t->cap);
	t->len += (size_t)n;
}

static void add_extra_label(struct text *t, const struct extra_label *extra, const char *target)
{
	if (extra->target && strcmp(extra->target, target) == 0)
		text_addf(t, "    %s: %s\n", extra->key, extra->value);
}

/* Namespace names are quoted throughout: YAML 1.1, which kubectl reads too,
 * takes a bare y for a boolean. */
static void add_namespaces(struct text *t, const struct extra_label *extra)
{
	for (int n = 0; n < N_NS; n++) {
		text_addf(t,
			  "---\n"
			  "apiVersion: v1\n"
			  "kind: Namespace\n"
			  "metadata:\n"
			  "  name: '%s'\n"
			  "  labels:\n"
			  "    ns: '%s'\n"
			  "    kubernetes.io/metadata.name: '%s'\n",
			  ns_names[n], ns_names[n], ns_names[n]);
		add_extra_label(t, extra, ns_names[n]);
	}
}

/* One container per port and protocol, named as model.go names them. */
static void add_containers(struct text *t)
{
	text_addf(t, "spec:\n  containers:\n");
	for (size_t p = 0; p < sizeof(served_ports) / sizeof(served_ports[0]); p++) {
		for (size_t q = 0; q < sizeof(served_protos) / sizeof(served_protos[0]); q++) {
			text_addf(t,
				  "  - name: cont-%u-%s\n"
				  "    ports:\n"
				  "    - name: serve-%u-%s\n"
				  "      containerPort: %u\n"
				  "      protocol: %s\n",
				  served_ports[p], served_protos[q].lower, served_ports[p],
				  served_protos[q].lower, served_ports[p], served_protos[q].name);
		}
	}
}

static void add_pods(struct text *t, const struct cluster *c, const struct extra_label *extra)
{
	char ip[NP_IP_STRLEN];

	for (int i = 0; i < N_PODS; i++) {
		text_addf(t,
			  "---\n"
			  "apiVersion: v1\n"
			  "kind: Pod\n"
			  "metadata:\n"
			  "  name: %s\n"
			  "  namespace: '%s'\n"
			  "  labels:\n"
			  "    pod: %s\n",
			  name_of(i), ns_of(i), name_of(i));
		add_extra_label(t, extra, pod_strings[i]);
		add_containers(t);
		pod_ip(c, pod_strings[i], ip, sizeof(ip));
		text_addf(t, "status:\n  podIP: %s\n  podIPs:\n  - ip: %s\n", ip, ip);
	}
}

/* ---- Reachability (reachability.go, truthtable.go) ------------------------------ */

struct reach {
	bool connected[N_PODS][N_PODS]; /* [from][to] */
};

/* A Peer: NULL namespace or pod matches every one. */
struct peer {
	const char *ns;
	const char *pod;
};

#define ANY_PEER ((struct peer){ NULL, NULL })
#define NS_PEER(ns) ((struct peer){ (ns), NULL })
#define POD_PEER(ns, pod) ((struct peer){ (ns), (pod) })

static bool peer_matches(struct peer peer, int pod)
{
	return (!peer.ns || strcmp(peer.ns, ns_of(pod)) == 0) &&
	       (!peer.pod || strcmp(peer.pod, name_of(pod)) == 0);
}

/* NewReachability(k8s.AllPodStrings(), connected) */
static void reach_init(struct reach *r, bool connected)
{
	for (int from = 0; from < N_PODS; from++)
		for (int to = 0; to < N_PODS; to++)
			r->connected[from][to] = connected;
}

/* Expect(from, to, connected) */
static void expect(struct reach *r, const char *from, const char *to, bool connected)
{
	r->connected[pod_index(from)][pod_index(to)] = connected;
}

/* ExpectAllIngress(pod, connected): every pod's traffic to pod. */
static void expect_all_ingress(struct reach *r, const char *pod, bool connected)
{
	int to = pod_index(pod);

	for (int from = 0; from < N_PODS; from++)
		r->connected[from][to] = connected;
}

/* ExpectAllEgress(pod, connected): pod's traffic to every pod. */
static void expect_all_egress(struct reach *r, const char *pod, bool connected)
{
	int from = pod_index(pod);

	for (int to = 0; to < N_PODS; to++)
		r->connected[from][to] = connected;
}

/* ExpectPeer(from, to, connected) */
static void expect_peer(struct reach *r, struct peer from, struct peer to, bool connected)
{
	for (int f = 0; f < N_PODS; f++)
		for (int t = 0; t < N_PODS; t++)
			if (peer_matches(from, f) && peer_matches(to, t))
				r->connected[f][t] = connected;
}

/* AllowLoopback(): upstream ignores a pod's traffic to itself when it judges
 * a table (ignoreLoopback) because CNIs differ there; the engine defines it
 * as always allowed, so that is what the diagonal is held to. */
static void allow_loopback(struct reach *r)
{
	for (int i = 0; i < N_PODS; i++)
		r->connected[i][i] = true;
}

/* ---- ValidateOrFail ------------------------------------------------------------ */

/* One ValidateOrFail of an upstream test, with the state it probes. */
struct probe {
	const char *step; /* the upstream By() or comment naming it, when a test probes twice */
	const char *const *policies; /* NetworkPolicy manifests in force, NULL-terminated */
	struct extra_label label;
	unsigned port;
	const char *proto;
};

#define POLICIES(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* Verdicts of the last check, kept for the explanation of a failure. */
static struct np_verdict verdicts[N_PODS][N_PODS];

static void print_table(const char *title, const bool cells[N_PODS][N_PODS], const char *yes,
			const char *no)
{
	print_message("%s:\n\n-", title);
	for (int to = 0; to < N_PODS; to++)
		print_message("\t%s", pod_strings[to]);
	print_message("\n");
	for (int from = 0; from < N_PODS; from++) {
		print_message("%s", pod_strings[from]);
		for (int to = 0; to < N_PODS; to++)
			print_message("\t%s", cells[from][to] ? yes : no);
		print_message("\n");
	}
	print_message("\n");
}

static void print_direction(const char *what, const char *pod,
			    const struct np_direction_verdict *d)
{
	size_t shown = d->n_isolating < NP_EXPLAIN_MAX ? d->n_isolating : NP_EXPLAIN_MAX;

	print_message("      %s of %s: %s", what, pod, d->allowed ? "allowed" : "denied");
	if (d->self)
		print_message(", loopback");
	if (!d->isolated) {
		print_message(", not isolated");
	} else {
		print_message(", isolated by");
		for (size_t i = 0; i < shown; i++)
			print_message(" %s/%s", d->isolating[i]->namespace_name,
				      d->isolating[i]->name);
		if (d->n_isolating > shown)
			print_message(" and %zu more", d->n_isolating - shown);
	}
	if (d->allowed && d->allowed_by.policy)
		print_message("; allowed by %s/%s rule %d", d->allowed_by.policy->namespace_name,
			      d->allowed_by.policy->name, d->allowed_by.rule);
	if (!d->allowed && d->miss_reason[0])
		print_message("; %s", d->miss_reason);
	print_message("\n");
}

static void report(const struct cluster *c, const char *test, const struct probe *p,
		   const struct reach *want, bool got[N_PODS][N_PODS], int wrong)
{
	bool same[N_PODS][N_PODS];

	for (int from = 0; from < N_PODS; from++)
		for (int to = 0; to < N_PODS; to++)
			same[from][to] = got[from][to] == want->connected[from][to];

	print_message("\n%s (%s)%s%s, %s/%u: %d wrong results in the reachability matrix\n\n",
		      test, c->family, p->step ? ": " : "", p->step ? p->step : "", p->proto,
		      p->port, wrong);
	print_table("expected", want->connected, ".", "X");
	print_table("observed", got, ".", "X");
	print_table("comparison", same, ".", "X");
	print_message("wrong cells:\n");
	for (int from = 0; from < N_PODS; from++) {
		for (int to = 0; to < N_PODS; to++) {
			if (same[from][to])
				continue;
			print_message("  %s -> %s: expected %s, got %s\n", pod_strings[from],
				      pod_strings[to],
				      want->connected[from][to] ? "allowed" : "denied",
				      got[from][to] ? "allowed" : "denied");
			print_direction("egress", pod_strings[from], &verdicts[from][to].egress);
			print_direction("ingress", pod_strings[to], &verdicts[from][to].ingress);
		}
	}
	print_message("\n");
}

static struct np_model *build_model(const struct cluster *c, const struct probe *p)
{
	struct text t = { manifest_buf, sizeof(manifest_buf), 0 };

	add_namespaces(&t, &p->label);
	add_pods(&t, c, &p->label);
	for (const char *const *policy = p->policies; policy && *policy; policy++)
		text_addf(&t, "%s", *policy);
	return np_test_model(t.buf, NULL);
}

/* Evaluates every pod pair in the state of p and fails the test, showing the
 * tables and the verdict of each wrong cell, unless all match the upstream
 * expectations. */
static void check(const struct cluster *c, const char *test, const struct probe *p,
		  const struct reach *upstream)
{
	struct np_model *model = build_model(c, p);
	struct np_endpoint ends[N_PODS];
	struct reach want = *upstream;
	bool got[N_PODS][N_PODS];
	int wrong = 0;

	allow_loopback(&want);
	for (int i = 0; i < N_PODS; i++)
		ends[i] = np_test_pod(model, ns_of(i), name_of(i));
	for (int from = 0; from < N_PODS; from++) {
		for (int to = 0; to < N_PODS; to++) {
			verdicts[from][to] = np_test_eval(model, ends[from], ends[to], p->port,
							  p->proto, NP_SCOPE_IN_FORCE);
			got[from][to] = verdicts[from][to].allowed;
			if (got[from][to] != want.connected[from][to])
				wrong++;
		}
	}
	if (wrong)
		report(c, test, p, &want, got, wrong);
	np_model_free(model);
	if (wrong)
		fail_msg("%s (%s): %d wrong results", test, c->family, wrong);
}

/* Formats a policy that names addresses; fails the test when it does not fit. */
static void format_policy(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void format_policy(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len)
		fail_msg("conformance policy exceeds %zu bytes", len);
}

/* ---- the policies --------------------------------------------------------------- */

/* What GenNetworkPolicy* produces: name, namespace (CreatePolicy's), spec. The
 * SetSpec*Rules helpers also set policyTypes, so every policy states them. */
#define NETPOL(name, ns)                     \
	"---\n"                              \
	"apiVersion: networking.k8s.io/v1\n" \
	"kind: NetworkPolicy\n"              \
	"metadata:\n"                        \
	"  name: " name "\n"                 \
	"  namespace: '" ns "'\n"            \
	"spec:\n"

/* GenNetworkPolicyWithNameAndPodSelector(name, metav1.LabelSelector{}, SetSpecIngressRules()) */
#define DENY_INGRESS(name, ns)       \
	NETPOL(name, ns)             \
	"  podSelector: {}\n"        \
	"  policyTypes: [Ingress]\n" \
	"  ingress: []\n"

/* The same with SetSpecIngressRules(), SetSpecEgressRules() */
#define DENY_ALL(name, ns)                   \
	NETPOL(name, ns)                     \
	"  podSelector: {}\n"                \
	"  policyTypes: [Ingress, Egress]\n" \
	"  ingress: []\n"                    \
	"  egress: []\n"

#define MATCH_POD(value)     \
	"  podSelector:\n"   \
	"    matchLabels:\n" \
	"      pod: " value "\n"

/* ---- NetworkPolicy between server and client ------------------------------------ */

static const char deny_ingress_x[] = DENY_INGRESS("deny-ingress", "x");

/* It("should support a 'default-deny-ingress' policy") */
static void default_deny_ingress(void **state)
{
	struct reach r;

	reach_init(&r, true);
	expect_peer(&r, ANY_PEER, NS_PEER("x"), false);
	check(*state, __func__,
	      &(struct probe){ .policies = POLICIES(deny_ingress_x), .port = 80, .proto = "TCP" },
	      &r);
}

static const char deny_all_x[] = DENY_ALL("deny-all", "x");

/* It("should support a 'default-deny-all' policy") */
static void default_deny_all(void **state)
{
	struct reach r;

	reach_init(&r, true);
	expect_peer(&r, ANY_PEER, NS_PEER("x"), false);
	expect_peer(&r, NS_PEER("x"), ANY_PEER, false);
	check(*state, __func__,
	      &(struct probe){ .policies = POLICIES(deny_all_x), .port = 80, .proto = "TCP" }, &r);
}

static const char x_a_allows_x_b[] =
	NETPOL("x-a-allows-x-b", "x")
	MATCH_POD("a")
	"  policyTypes: [Ingress]\n"
	"  ingress:\n"
	"  - from:\n"
	"    - podSelector:\n"
	"        matchLabels:\n"
	"          pod: b\n";

/* It("should enforce policy to allow traffic from pods within server namespace based on
 *    PodSelector") */
static void pod_selector_within_server_namespace(void **state)
{
	struct reach r;

	reach_init(&r, true);
	expect_all_ingress(&r, "x/a", false);
	expect(&r, "x/b", "x/a", true);
	check(*state, __func__,
	      &(struct probe){ .policies = POLICIES(x_a_allows_x_b), .port = 80, .proto = "TCP" },
	      &r);
}

static const char deny_all_ingress_x[] = DENY_INGRESS("deny-all", "x");

static const char allow_all_to_a[] =
	NETPOL("allow-all-to-a", "x")
	MATCH_POD("a")
	"  policyTypes: [Ingress]\n"
	"  ingress:\n"
	"  - from:\n"
	"    - podSelector: {}\n"
	"      namespaceSelector: {}\n";

/* It("should enforce policy to allow ingress traffic for a target") */
static void allow_ingress_for_a_target(void **state)
{
	struct reach r;

	reach_init(&r, true);
	expect_all_ingress(&r, "x/a", true);
	expect_all_ingress(&r, "x/b", false);
	expect_all_ingress(&r, "x/c", false);
	check(*state, __func__,
	      &(struct probe){ .policies = POLICIES(deny_all_ingress_x, allow_all_to_a),
			       .port = 80, .proto = "TCP" },
	      &r);
}

static const char allow_from_another_ns[] =
	NETPOL("allow-from-another-ns", "x")
	MATCH_POD("a")
	"  policyTypes: [Ingress]\n"
	"  ingress:\n"
	"  - from:\n"
	"    - namespaceSelector:\n"
	"        matchLabels: {}\n";

/* It("should enforce policy to allow ingress traffic from pods in all namespaces") */
static void allow_ingress_from_all_namespaces(void **state)
{
	struct reach r;

	reach_init(&r, true);
	check(*state, __func__,
	      &(struct probe){ .policies = POLICIES(allow_from_another_ns), .port = 80,
			       .proto = "TCP" },
	      &r);
}

static const char allow_client_a_via_ns_selector[] =
	NETPOL("allow-client-a-via-ns-selector", "x")
	MATCH_POD("a")
	"  policyTypes: [Ingress]\n"
	"  ingress:\n"
	"  - from:\n"
	"    - namespaceSelector:\n"
	"        matchLabels:\n"
	"          kubernetes.io/metadata.name: 'y'\n";

/* It("should enforce policy to allow traffic only from a different namespace, based on
 *    NamespaceSelector") */
static void namespace_selector_other_namespace(void **state)
{
	struct reach r;

	reach_init(&r, true);
	expect_peer(&r, NS_PEER("x"), POD_PEER("x", "a"), false);
	expect_peer(&r, NS_PEER("z"), POD_PEER("x", "a"), false);
	check(*state, __func__,
	      &(struct probe){ .policies = POLICIES(allow_client_a_via_ns_selector), .port = 80,
			       .proto = "TCP" },
	      &r);
}

static const char x_a_allows_x_b_expressions[] =
	NETPOL("x-a-allows-x-b", "x")
	MATCH_POD("a")
	"  policyTypes: [Ingress]\n"
	"  ingress:\n"
	"  - from:\n"
	"    - podSelector:\n"
	"        matchExpressions:\n"
	"        - key: pod\n"
	"          operator: In\n"
	"          values: [b]\n";

/* It("should enforce policy based on PodSelector with MatchExpressions") */
static void pod_selector_match_expressions(void **state)
{
	struct reach r;

	reach_init(&r, true);
	expect_all_ingress(&r, "x/a", false);
	expect(&r, "x/b", "x/a", true);
	check(*state, __func__,
	      &(struct probe){ .policies = POLICIES(x_a_allows_x_b_expressions), .port = 80,
			       .proto = "TCP" },
	      &r);
}

static const char allow_ns_y_match_selector[] =
	NETPOL("allow-ns-y-match-selector", "x")
	MATCH_POD("a")
	"  policyTypes: [Ingress]\n"
	"  ingress:\n"
	"  - from:\n"
	"    - namespaceSelector:\n"
	"        matchExpressions:\n"
	"        - key: kubernetes.io/metadata.name\n"
	"          operator: In\n"
	"          values: ['y']\n";

/* It("should enforce policy based on NamespaceSelector with MatchExpressions") */
static void namespace_selector_match_expressions(void **state)
{
	struct reach r;

	reach_init(&r, true);
	expect_peer(&r, NS_PEER("x"), POD_PEER("x", "a"), false);
	expect_peer(&r, NS_PEER("z"), POD_PEER("x", "a"), false);
	check(*state, __func__,
	      &(struct probe){ .policies = POLICIES(allow_ns_y_match_selector), .port = 80,
			       .proto = "TCP" },
	      &r);
}

static const char allow_ns_not_x_or_pod_b[] =
	NETPOL("allow-ns-y-match-selector", "x")
	MATCH_POD("a")
	"  policyTypes: [Ingress]\n"
	"  ingress:\n"
	"  - from:\n"
	"    - namespaceSelector:\n"
	"        matchExpressions:\n"
	"        - key: kubernetes.io/metadata.name\n"
	"          operator: NotIn\n"
	"          values: ['x']\n"
	"    - podSelector:\n"
	"        matchLabels:\n"
	"          pod: b\n";

/* It("should enforce policy based on PodSelector or NamespaceSelector") */
static void pod_selector_or_namespace_selector(void **state)
{
	struct reach r;

	reach_init(&r, true);
	expect(&r, "x/a", "x/a", false);
	expect(&r, "x/c", "x/a", false);
	check(*state, __func__,
	      &(struct probe){ .policies = POLICIES(allow_ns_not_x_or_pod_b), .port = 80,
			       .proto = "TCP" },
	      &r);
}

static const char allow_ns_not_x_and_pod_b[] =
	NETPOL("allow-ns-y-podselector-and-nsselector", "x")
	MATCH_POD("a")
	"  policyTypes: [Ingress]\n"
	"  ingress:\n"
	"  - from:\n"
	"    - namespaceSelector:\n"
	"        matchExpressions:\n"
	"        - key: kubernetes.io/metadata.name\n"
	"          operator: NotIn\n"
	"          values: ['x']\n"
	"      podSelector:\n"
	"        matchLabels:\n"
	"          pod: b\n";

/* It("should enforce policy based on PodSelector and NamespaceSelector") */
static void pod_selector_and_namespace_selector(void **state)
{
	struct reach r;

	reach_init(&r, true);
	expect_all_ingress(&r, "x/a", false);
	expect(&r, "y/b", "x/a", true);
	expect(&r, "z/b", "x/a", true);
	check(*state, __func__,
	      &(struct probe){ .policies = POLICIES(allow_ns_not_x_and_pod_b), .port = 80,
			       .proto = "TCP" },
	      &r);
}

static const char allow_ns_y_z_pod_b_c[] =
	NETPOL("allow-ns-y-z-pod-b-c", "x")
	MATCH_POD("a")
	"  policyTypes: [Ingress]\n"
	"  ingress:\n"
	"  - from:\n"
	"    - namespaceSelector:\n"
	"        matchExpressions:\n"
	"        - key: kubernetes.io/metadata.name\n"
	"          operator: NotIn\n"
	"          values: ['x']\n"
	"      podSelector:\n"
	"        matchExpressions:\n"
	"        - key: pod\n"
	"          operator: In\n"
	"          values: [b, c]\n";

/* It("should enforce policy based on Multiple PodSelectors and NamespaceSelectors") */
static void multiple_pod_and_namespace_selectors(void **state)
{
	struct reach r;

	reach_init(&r, true);
	expect_peer(&r, NS_PEER("x"), POD_PEER("x", "a"), false);
	expect(&r, "y/a", "x/a", false);
	expect(&r, "z/a", "x/a", false);
	check(*state, __func__,
	      &(struct probe){ .policies = POLICIES(allow_ns_y_z_pod_b_c), .port = 80,
			       .proto = "TCP" },
	      &r);
}

static const char allow_ns_x_pod_b_c[] =
	NETPOL("allow-ns-x-pod-b-c", "x")
	MATCH_POD("a")
	"  policyTypes: [Ingress]\n"
	"  ingress:\n"
	"  - from:\n"
	"    - podSelector:\n"
	"        matchLabels:\n"
	"          pod: b\n"
	"    - podSelector:\n"
	"        matchLabels:\n"
	"          pod: c\n";

/* It("should enforce policy based on any PodSelectors") */
static void any_pod_selectors(void **state)
{
	struct reach r;

	reach_init(&r, true);
	expect_all_ingress(&r, "x/a", false);
	expect(&r, "x/b", "x/a", true);
	expect(&r, "x/c", "x/a", true);
	check(*state, __func__,
	      &(struct probe){ .policies = POLICIES(allow_ns_x_pod_b_c), .port = 80,
			       .proto = "TCP" },
	      &r);
}

/* The ingress rule of the "pod in a different namespace based on PodSelector
 * and NamespaceSelector" tests, over TCP, UDP and SCTP. */
#define FROM_NS_Y_POD_A                                \
	"  policyTypes: [Ingress]\n"                   \
	"  ingress:\n"                                 \
	"  - from:\n"                                  \
	"    - namespaceSelector:\n"                   \
	"        matchLabels:\n"                       \
	"          kubernetes.io/metadata.name: 'y'\n" \
	"      podSelector:\n"                         \
	"        matchLabels:\n"                       \
	"          pod: a\n"

static const char allow_ns_y_pod_a[] =
	NETPOL("allow-ns-y-pod-a-via-namespace-pod-selector", "x")
	MATCH_POD("a")
	FROM_NS_Y_POD_A;

static void pod_in_other_namespace(void **state, const char *test, const char *proto)
{
	struct reach r;

	reach_init(&r, true);
	expect_all_ingress(&r, "x/a", false);
	expect(&r, "y/a", "x/a", true);
	check(*state, test,
	      &(struct probe){ .policies = POLICIES(allow_ns_y_pod_a), .port = 80, .proto = proto },
	      &r);
}

/* It("should enforce policy to allow traffic only from a pod in a different namespace based
 *    on PodSelector and NamespaceSelector") */
static void pod_and_namespace_selector_other_namespace(void **state)
{
	pod_in_other_namespace(state, __func__, "TCP");
}

/* allowPort81Policy of "should enforce policy based on Ports" and "should
 * enforce multiple, stacked policies with overlapping podSelectors" */
static const char allow_y_on_81[] =
	NETPOL("allow-client-a-via-ns-selector", "x")
	MATCH_POD("a")
	"  policyTypes: [Ingress]\n"
	"  ingress:\n"
	"  - from:\n"
	"    - namespaceSelector:\n"
	"        matchLabels:\n"
	"          kubernetes.io/metadata.name: 'y'\n"
	"    ports:\n"
	"    - port: 81\n"
	"      protocol: TCP\n";

/* reachabilityALLOW of the Ports tests: from y only. */
static void expect_only_y_to_x_a(struct reach *r)
{
	reach_init(r, true);
	expect_peer(r, NS_PEER("x"), POD_PEER("x", "a"), false);
	expect_peer(r, NS_PEER("y"), POD_PEER("x", "a"), true);
	expect_peer(r, NS_PEER("z"), POD_PEER("x", "a"), false);
}

/* It("should enforce policy based on Ports") */
static void policy_based_on_ports(void **state)
{
	struct reach r;

	expect_only_y_to_x_a(&r);
	check(*state, __func__,
	      &(struct probe){ .policies = POLICIES(allow_y_on_81), .port = 81, .proto = "TCP" },
	      &r);
}

static const char allow_y_on_80[] =
	NETPOL("allow-client-a-via-ns-selector-80", "x")
	MATCH_POD("a")
	"  policyTypes: [Ingress]\n"
	"  ingress:\n"
	"  - from:\n"
	"    - namespaceSelector:\n"
	"        matchLabels:\n"
	"          kubernetes.io/metadata.name: 'y'\n"
	"    ports:\n"
	"    - port: 80\n"
	"      protocol: TCP\n";

/* The three probes of the stacked-policies test, with the policies allowing 81
 * and then also 80 given by the caller. */
static void stacked_policies(void **state, const char *test, const char *allow_81,
			     const char *allow_80)
{
	struct reach allow, deny;

	expect_only_y_to_x_a(&allow);
	reach_init(&deny, true);
	expect_all_ingress(&deny, "x/a", false);
	check(*state, test,
	      &(struct probe){ .step = "Verifying traffic on port 81.",
			       .policies = POLICIES(allow_81), .port = 81, .proto = "TCP" },
	      &allow);
	check(*state, test,
	      &(struct probe){ .step = "Verifying traffic on port 80.",
			       .policies = POLICIES(allow_81), .port = 80, .proto = "TCP" },
	      &deny);
	check(*state, test,
	      &(struct probe){ .step = "Verifying that we can add a policy to unblock port 80",
			       .policies = POLICIES(allow_81, allow_80), .port = 80,
			       .proto = "TCP" },
	      &allow);
}

/* It("should enforce multiple, stacked policies with overlapping podSelectors") */
static void stacked_overlapping_pod_selectors(void **state)
{
	stacked_policies(state, __func__, allow_y_on_81, allow_y_on_80);
}

static const char allow_all_ingress_x[] =
	NETPOL("allow-all", "x")
	"  podSelector:\n"
	"    matchLabels: {}\n"
	"  policyTypes: [Ingress]\n"
	"  ingress:\n"
	"  - {}\n";

/* It("should support allow-all policy") */
static void allow_all(void **state)
{
	struct reach r;

	reach_init(&r, true);
	check(*state, __func__,
	      &(struct probe){ .policies = POLICIES(allow_all_ingress_x), .port = 80,
			       .proto = "TCP" },
	      &r);
	check(*state, __func__,
	      &(struct probe){ .policies = POLICIES(allow_all_ingress_x), .port = 81,
			       .proto = "TCP" },
	      &r);
}

static const char allow_named_81[] =
	NETPOL("allow-all", "x")
	"  podSelector:\n"
	"    matchLabels: {}\n"
	"  policyTypes: [Ingress]\n"
	"  ingress:\n"
	"  - ports:\n"
	"    - port: serve-81-tcp\n";

/* It("should allow ingress access on one named port") */
static void ingress_on_one_named_port(void **state)
{
	struct reach port81, port80;

	reach_init(&port81, true);
	reach_init(&port80, true);
	expect_peer(&port80, ANY_PEER, NS_PEER("x"), false);
	check(*state, __func__,
	      &(struct probe){ .policies = POLICIES(allow_named_81), .port = 81, .proto = "TCP" },
	      &port81);
	check(*state, __func__,
	      &(struct probe){ .step = "Blocking all ports other then 81 in the entire namespace",
			       .policies = POLICIES(allow_named_81), .port = 80, .proto = "TCP" },
	      &port80);
}

static const char allow_y_on_named_80[] =
	NETPOL("allow-client-a-via-ns-selector-80", "x")
	MATCH_POD("a")
	"  policyTypes: [Ingress]\n"
	"  ingress:\n"
	"  - from:\n"
	"    - namespaceSelector:\n"
	"        matchLabels:\n"
	"          kubernetes.io/metadata.name: 'y'\n"
	"    ports:\n"
	"    - port: serve-80-tcp\n"
	"      protocol: TCP\n";

/* It("should allow ingress access from namespace on one named port") */
static void ingress_from_namespace_on_one_named_port(void **state)
{
	struct reach r, fail;

	reach_init(&r, true);
	expect_peer(&r, NS_PEER("x"), POD_PEER("x", "a"), false);
	expect_peer(&r, NS_PEER("z"), POD_PEER("x", "a"), false);
	check(*state, __func__,
	      &(struct probe){ .step = "Verify that port 80 is allowed for namespace y",
			       .policies = POLICIES(allow_y_on_named_80), .port = 80,
			       .proto = "TCP" },
	      &r);
	reach_init(&fail, true);
	expect_all_ingress(&fail, "x/a", false);
	check(*state, __func__,
	      &(struct probe){ .step = "Verify that port 81 is blocked for all namespaces "
				       "including y",
			       .policies = POLICIES(allow_y_on_named_80), .port = 81,
			       .proto = "TCP" },
	      &fail);
}

static const char allow_egress_named_80[] =
	NETPOL("allow-egress", "x")
	"  podSelector:\n"
	"    matchLabels: {}\n"
	"  policyTypes: [Egress]\n"
	"  egress:\n"
	"  - ports:\n"
	"    - port: serve-80-tcp\n";

/* It("should allow egress access on one named port") */
static void egress_on_one_named_port(void **state)
{
	struct reach port80, port81;

	reach_init(&port80, true);
	check(*state, __func__,
	      &(struct probe){ .policies = POLICIES(allow_egress_named_80), .port = 80,
			       .proto = "TCP" },
	      &port80);
	reach_init(&port81, true);
	expect_peer(&port81, NS_PEER("x"), ANY_PEER, false);
	check(*state, __func__,
	      &(struct probe){ .step = "no traffic over 81 should work",
			       .policies = POLICIES(allow_egress_named_80), .port = 81,
			       .proto = "TCP" },
	      &port81);
}

static const char allow_all_mutate[] =
	NETPOL("allow-all-mutate-to-deny-all", "x")
	"  podSelector:\n"
	"    matchLabels: {}\n"
	"  policyTypes: [Ingress]\n"
	"  ingress:\n"
	"  - {}\n";

/* The same policy after policy.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{} */
static const char allow_all_mutated_to_deny_all[] =
	NETPOL("allow-all-mutate-to-deny-all", "x")
	"  podSelector:\n"
	"    matchLabels: {}\n"
	"  policyTypes: [Ingress]\n"
	"  ingress: []\n";

/* It("should enforce updated policy") */
static void updated_policy(void **state)
{
	struct reach r, deny;

	reach_init(&r, true);
	check(*state, __func__,
	      &(struct probe){ .step = "part 1) allow all", .policies = POLICIES(allow_all_mutate),
			       .port = 81, .proto = "TCP" },
	      &r);
	reach_init(&deny, true);
	expect_peer(&deny, ANY_PEER, NS_PEER("x"), false);
	check(*state, __func__,
	      &(struct probe){ .step = "part 2) update the policy to deny all",
			       .policies = POLICIES(allow_all_mutated_to_deny_all), .port = 81,
			       .proto = "TCP" },
	      &deny);
}

static const char allow_from_ns2_updated[] =
	NETPOL("allow-client-a-via-ns-selector", "x")
	MATCH_POD("a")
	"  policyTypes: [Ingress]\n"
	"  ingress:\n"
	"  - from:\n"
	"    - namespaceSelector:\n"
	"        matchLabels:\n"
	"          ns2: updated\n";

/* It("should allow ingress access from updated namespace") */
static void ingress_from_updated_namespace(void **state)
{
	struct reach r, with_label;

	reach_init(&r, true);
	expect_all_ingress(&r, "x/a", false);
	check(*state, __func__,
	      &(struct probe){ .step = "before y is labelled",
			       .policies = POLICIES(allow_from_ns2_updated), .port = 80,
			       .proto = "TCP" },
	      &r);
	reach_init(&with_label, true);
	expect_all_ingress(&with_label, "x/a", false);
	expect_peer(&with_label, NS_PEER("y"), ANY_PEER, true);
	check(*state, __func__,
	      &(struct probe){ .step = "AddNamespaceLabel(y, ns2=updated)",
			       .policies = POLICIES(allow_from_ns2_updated),
			       .label = { "y", "ns2", "updated" }, .port = 80, .proto = "TCP" },
	      &with_label);
}

static const char allow_from_pod2_updated[] =
	NETPOL("allow-client-a-via-pod-selector", "x")
	MATCH_POD("a")
	"  policyTypes: [Ingress]\n"
	"  ingress:\n"
	"  - from:\n"
	"    - podSelector:\n"
	"        matchLabels:\n"
	"          pod: b\n"
	"          pod2: updated\n";

/* It("should allow ingress access from updated pod") */
static void ingress_from_updated_pod(void **state)
{
	struct reach r, with_label;

	reach_init(&r, true);
	expect_all_ingress(&r, "x/a", false);
	check(*state, __func__,
	      &(struct probe){ .step = "before x/b is labelled",
			       .policies = POLICIES(allow_from_pod2_updated), .port = 80,
			       .proto = "TCP" },
	      &r);
	reach_init(&with_label, true);
	expect_all_ingress(&with_label, "x/a", false);
	expect(&with_label, "x/b", "x/a", true);
	check(*state, __func__,
	      &(struct probe){ .step = "x/b is able to reach x/a when label is updated",
			       .policies = POLICIES(allow_from_pod2_updated),
			       .label = { "x/b", "pod2", "updated" }, .port = 80, .proto = "TCP" },
	      &with_label);
}

static const char deny_empty_policy[] =
	NETPOL("deny-empty-policy", "x")
	"  podSelector: {}\n"
	"  policyTypes: [Ingress]\n"
	"  ingress:\n"
	"  - from:\n"
	"    - podSelector:\n"
	"        matchLabels: {}\n";

/* It("should deny ingress from pods on other namespaces") */
static void deny_ingress_from_other_namespaces(void **state)
{
	struct reach r;

	reach_init(&r, true);
	expect_peer(&r, NS_PEER("y"), NS_PEER("x"), false);
	expect_peer(&r, NS_PEER("z"), NS_PEER("x"), false);
	check(*state, __func__,
	      &(struct probe){ .policies = POLICIES(deny_empty_policy), .port = 80,
			       .proto = "TCP" },
	      &r);
}

static const char deny_ingress_target_isolated[] =
	NETPOL("deny-ingress-via-label-selector", "x")
	"  podSelector:\n"
	"    matchLabels:\n"
	"      target: isolated\n"
	"  policyTypes: [Ingress]\n"
	"  ingress: []\n";

/* The two probes of "should deny ingress access to updated pod", with the
 * policy selecting target=isolated given by the caller. */
static void isolate_updated_pod(void **state, const char *test, const char *policy)
{
	struct reach r, isolated;

	reach_init(&r, true);
	check(*state, test,
	      &(struct probe){ .step = "Verify that everything can reach x/a",
			       .policies = POLICIES(policy), .port = 80, .proto = "TCP" },
	      &r);
	reach_init(&isolated, true);
	expect_all_ingress(&isolated, "x/a", false);
	check(*state, test,
	      &(struct probe){ .step = "AddPodLabels(x/a, target=isolated)",
			       .policies = POLICIES(policy),
			       .label = { "x/a", "target", "isolated" }, .port = 80,
			       .proto = "TCP" },
	      &isolated);
}

/* It("should deny ingress access to updated pod") */
static void deny_ingress_to_updated_pod(void **state)
{
	isolate_updated_pod(state, __func__, deny_ingress_target_isolated);
}

static const char deny_egress_pod_a[] =
	NETPOL("deny-egress-pod-a", "x")
	MATCH_POD("a")
	"  policyTypes: [Egress]\n"
	"  egress: []\n";

/* It("should deny egress from pods based on PodSelector") */
static void deny_egress_by_pod_selector(void **state)
{
	struct reach r;

	reach_init(&r, true);
	expect_all_egress(&r, "x/a", false);
	check(*state, __func__,
	      &(struct probe){ .policies = POLICIES(deny_egress_pod_a), .port = 80,
			       .proto = "TCP" },
	      &r);
}

static const char deny_egress_ns_x[] =
	NETPOL("deny-egress-ns-x", "x")
	"  podSelector: {}\n"
	"  policyTypes: [Egress]\n"
	"  egress: []\n";

/* It("should deny egress from all pods in a namespace"), with the policy given */
static void deny_egress_namespace(void **state, const char *test, const char *policy)
{
	struct reach r;

	reach_init(&r, true);
	expect_peer(&r, NS_PEER("x"), ANY_PEER, false);
	check(*state, test,
	      &(struct probe){ .policies = POLICIES(policy), .port = 80, .proto = "TCP" }, &r);
}

/* It("should deny egress from all pods in a namespace") */
static void deny_egress_all_pods_in_namespace(void **state)
{
	deny_egress_namespace(state, __func__, deny_egress_ns_x);
}

static const char ingress_and_egress_together[] =
	NETPOL("allow-client-a-via-pod-selector", "x")
	MATCH_POD("a")
	"  policyTypes: [Egress, Ingress]\n"
	"  ingress:\n"
	"  - from:\n"
	"    - podSelector:\n"
	"        matchLabels:\n"
	"          pod: b\n"
	"  egress:\n"
	"  - ports:\n"
	"    - port: 80\n";

/* It("should work with Ingress, Egress specified together") */
static void ingress_egress_together(void **state)
{
	struct reach port80, port81;

	reach_init(&port80, true);
	expect_all_ingress(&port80, "x/a", false);
	expect(&port80, "x/b", "x/a", true);
	check(*state, __func__,
	      &(struct probe){ .policies = POLICIES(ingress_and_egress_together), .port = 80,
			       .proto = "TCP" },
	      &port80);
	reach_init(&port81, true);
	expect_all_ingress(&port81, "x/a", false);
	expect_all_egress(&port81, "x/a", false);
	expect(&port81, "x/b", "x/a", true);
	check(*state, __func__,
	      &(struct probe){ .step = "validating that port 81 doesn't work",
			       .policies = POLICIES(ingress_and_egress_together), .port = 81,
			       .proto = "TCP" },
	      &port81);
}

static const char allow_to_ns_y_pod_a[] =
	NETPOL("allow-to-ns-y-pod-a", "x")
	MATCH_POD("a")
	"  policyTypes: [Egress]\n"
	"  egress:\n"
	"  - to:\n"
	"    - namespaceSelector:\n"
	"        matchLabels:\n"
	"          kubernetes.io/metadata.name: 'y'\n"
	"      podSelector:\n"
	"        matchLabels:\n"
	"          pod: a\n";

/* The ingress rule both y policies of the client-side test share. */
#define FROM_NS_X_POD_A                                \
	"  policyTypes: [Ingress]\n"                   \
	"  ingress:\n"                                 \
	"  - from:\n"                                  \
	"    - namespaceSelector:\n"                   \
	"        matchLabels:\n"                       \
	"          kubernetes.io/metadata.name: 'x'\n" \
	"      podSelector:\n"                         \
	"        matchLabels:\n"                       \
	"          pod: a\n"

static const char allow_from_xa_on_ya[] =
	NETPOL("allow-from-xa-on-ya-match-selector", "y") MATCH_POD("a") FROM_NS_X_POD_A;

static const char allow_from_xa_on_yb[] =
	NETPOL("allow-from-xa-on-yb-match-selector", "y") MATCH_POD("b") FROM_NS_X_POD_A;

/* It("should support denying of egress traffic on the client side (even if the server
 *    explicitly allows this traffic)") */
static void deny_egress_on_client_side(void **state)
{
	struct reach r;

	reach_init(&r, true);
	expect_peer(&r, POD_PEER("x", "a"), ANY_PEER, false);
	expect_peer(&r, ANY_PEER, POD_PEER("y", "a"), false);
	expect_peer(&r, POD_PEER("x", "a"), POD_PEER("y", "a"), true);
	expect_peer(&r, ANY_PEER, POD_PEER("y", "b"), false);
	check(*state, __func__,
	      &(struct probe){ .policies = POLICIES(allow_to_ns_y_pod_a, allow_from_xa_on_ya,
						    allow_from_xa_on_yb),
			       .port = 80, .proto = "TCP" },
	      &r);
}

/* It("should enforce egress policy allowing traffic to a server in a different namespace
 *    based on PodSelector and NamespaceSelector") */
static void egress_to_other_namespace(void **state)
{
	struct reach r;

	reach_init(&r, true);
	expect_all_egress(&r, "x/a", false);
	expect(&r, "x/a", "y/a", true);
	check(*state, __func__,
	      &(struct probe){ .policies = POLICIES(allow_to_ns_y_pod_a), .port = 80,
			       .proto = "TCP" },
	      &r);
}

static const char allow_ingress_by_proto[] =
	NETPOL("allow-ingress-by-proto", "x")
	MATCH_POD("a")
	"  policyTypes: [Ingress]\n"
	"  ingress:\n"
	"  - ports:\n"
	"    - protocol: TCP\n";

/* It("should enforce ingress policy allowing any port traffic to a server on a specific
 *    protocol") */
static void ingress_any_port_on_protocol(void **state)
{
	struct reach tcp, udp;

	reach_init(&tcp, true);
	check(*state, __func__,
	      &(struct probe){ .policies = POLICIES(allow_ingress_by_proto), .port = 80,
			       .proto = "TCP" },
	      &tcp);
	reach_init(&udp, true);
	expect_peer(&udp, ANY_PEER, POD_PEER("x", "a"), false);
	check(*state, __func__,
	      &(struct probe){ .policies = POLICIES(allow_ingress_by_proto), .port = 80,
			       .proto = "UDP" },
	      &udp);
}

static const char allow_ingress_port_80[] =
	NETPOL("allow-ingress-port-80", "x")
	"  podSelector:\n"
	"    matchLabels: {}\n"
	"  policyTypes: [Ingress]\n"
	"  ingress:\n"
	"  - ports:\n"
	"    - port: 80\n";

static const char allow_ingress[] =
	NETPOL("allow-ingress", "x")
	"  podSelector:\n"
	"    matchLabels: {}\n"
	"  policyTypes: [Ingress]\n"
	"  ingress:\n"
	"  - {}\n";

/* It("should enforce multiple ingress policies with ingress allow-all policy taking
 *    precedence") */
static void multiple_ingress_allow_all_precedence(void **state)
{
	struct reach r, all;

	reach_init(&r, true);
	expect_peer(&r, ANY_PEER, NS_PEER("x"), false);
	check(*state, __func__,
	      &(struct probe){ .step = "The policy targets port 80 -- so let's make sure traffic "
				       "on port 81 is blocked",
			       .policies = POLICIES(allow_ingress_port_80), .port = 81,
			       .proto = "TCP" },
	      &r);
	reach_init(&all, true);
	check(*state, __func__,
	      &(struct probe){ .step = "Allowing all ports",
			       .policies = POLICIES(allow_ingress_port_80, allow_ingress),
			       .port = 81, .proto = "TCP" },
	      &all);
}

static const char allow_egress_port_80[] =
	NETPOL("allow-egress-port-80", "x")
	"  podSelector:\n"
	"    matchLabels: {}\n"
	"  policyTypes: [Egress]\n"
	"  egress:\n"
	"  - ports:\n"
	"    - port: 80\n";

static const char allow_egress[] =
	NETPOL("allow-egress", "x")
	"  podSelector:\n"
	"    matchLabels: {}\n"
	"  policyTypes: [Egress]\n"
	"  egress:\n"
	"  - {}\n";

/* The two probes of the egress allow-all precedence test, with the policy
 * allowing port 80 given by the caller. */
static void egress_allow_all_precedence(void **state, const char *test, const char *allow_80)
{
	struct reach r, all;

	reach_init(&r, true);
	expect_peer(&r, NS_PEER("x"), ANY_PEER, false);
	check(*state, test,
	      &(struct probe){ .step = "Making sure ingress doesn't work other than port 80",
			       .policies = POLICIES(allow_80), .port = 81, .proto = "TCP" },
	      &r);
	reach_init(&all, true);
	check(*state, test,
	      &(struct probe){ .step = "Allowing all ports",
			       .policies = POLICIES(allow_80, allow_egress), .port = 81,
			       .proto = "TCP" },
	      &all);
}

/* It("should enforce multiple egress policies with egress allow-all policy taking
 *    precedence") */
static void multiple_egress_allow_all_precedence(void **state)
{
	egress_allow_all_precedence(state, __func__, allow_egress_port_80);
}

/* It("should stop enforcing policies after they are deleted") */
static void stop_enforcing_after_delete(void **state)
{
	struct reach r, all;

	reach_init(&r, true);
	expect_peer(&r, NS_PEER("x"), ANY_PEER, false);
	expect_peer(&r, ANY_PEER, NS_PEER("x"), false);
	check(*state, __func__,
	      &(struct probe){ .step = "Creating a network policy for the server which denies all "
				       "traffic.",
			       .policies = POLICIES(deny_all_x), .port = 80, .proto = "TCP" },
	      &r);
	reach_init(&all, true);
	check(*state, __func__,
	      &(struct probe){ .step = "Now the policy is deleted", .port = 80, .proto = "TCP" },
	      &all);
}

/* GenNetworkPolicyWithNameAndPodMatchLabel("allow-client-a-via-cidr-egress-rule", pod=a,
 * SetSpecEgressRules(egressRule1)) with one ipBlock peer, except appended by the caller. */
#define ALLOW_CIDR_EGRESS                                  \
	NETPOL("allow-client-a-via-cidr-egress-rule", "x") \
	MATCH_POD("a")                                     \
	"  policyTypes: [Egress]\n"                        \
	"  egress:\n"                                      \
	"  - to:\n"                                        \
	"    - ipBlock:\n"                                 \
	"        cidr: %s/%d\n"

/* It("should allow egress access to server in CIDR block") */
static void egress_to_cidr(void **state)
{
	const struct cluster *c = *state;
	char y_b[NP_IP_STRLEN], policy[1024];
	struct reach r;

	pod_ip(c, "y/b", y_b, sizeof(y_b));
	format_policy(policy, sizeof(policy), ALLOW_CIDR_EGRESS, y_b, host_prefix(c));
	reach_init(&r, true);
	expect_all_egress(&r, "x/a", false);
	expect(&r, "x/a", "y/b", true);
	check(c, __func__,
	      &(struct probe){ .policies = POLICIES(policy), .port = 80, .proto = "TCP" }, &r);
}

/* "<x/a's IP>/4" except "<x/b's IP>/hostMask" */
static void format_cidr_except_policy(const struct cluster *c, char *policy, size_t len)
{
	char x_a[NP_IP_STRLEN], x_b[NP_IP_STRLEN];

	pod_ip(c, "x/a", x_a, sizeof(x_a));
	pod_ip(c, "x/b", x_b, sizeof(x_b));
	format_policy(policy, len, ALLOW_CIDR_EGRESS "        except:\n        - %s/%d\n", x_a, 4,
		      x_b, host_prefix(c));
}

/* It("should enforce except clause while egress access to server in CIDR block") */
static void egress_cidr_except(void **state)
{
	const struct cluster *c = *state;
	char policy[1024];
	struct reach r;

	format_cidr_except_policy(c, policy, sizeof(policy));
	reach_init(&r, true);
	expect(&r, "x/a", "x/b", false);
	check(c, __func__,
	      &(struct probe){ .policies = POLICIES(policy), .port = 80, .proto = "TCP" }, &r);
}

/* It("should ensure an IP overlapping both IPBlock.CIDR and IPBlock.Except is allowed") */
static void ip_in_cidr_and_except_allowed(void **state)
{
	const struct cluster *c = *state;
	char except_policy[1024], allow_policy[1024], x_b[NP_IP_STRLEN];
	struct reach r, allow;

	format_cidr_except_policy(c, except_policy, sizeof(except_policy));
	reach_init(&r, true);
	expect(&r, "x/a", "x/b", false);
	check(c, __func__,
	      &(struct probe){ .step = "except x/b", .policies = POLICIES(except_policy),
			       .port = 80, .proto = "TCP" },
	      &r);
	pod_ip(c, "x/b", x_b, sizeof(x_b));
	format_policy(allow_policy, sizeof(allow_policy), ALLOW_CIDR_EGRESS, x_b, host_prefix(c));
	reach_init(&allow, true);
	expect_all_egress(&allow, "x/a", false);
	expect(&allow, "x/a", "x/b", true);
	check(c, __func__,
	      &(struct probe){ .step = "UpdatePolicy: allow the podServer's IP in the CIDR",
			       .policies = POLICIES(allow_policy), .port = 80, .proto = "TCP" },
	      &allow);
}

static const char allow_egress_for_target[] =
	NETPOL("allow-egress-for-target", "x")
	MATCH_POD("a")
	"  policyTypes: [Egress]\n"
	"  egress:\n"
	"  - {}\n";

static const char deny_ingress_pod_a[] =
	NETPOL("deny-ingress-via-label-selector", "x")
	MATCH_POD("a")
	"  policyTypes: [Ingress]\n"
	"  ingress: []\n";

/* It("should enforce policies to check ingress and egress policies can be controlled
 *    independently based on PodSelector") */
static void ingress_egress_independent(void **state)
{
	struct reach allow, deny;

	reach_init(&allow, true);
	check(*state, __func__,
	      &(struct probe){ .step = "Creating a network policy for pod-a which allows Egress "
				       "traffic to pod-b.",
			       .policies = POLICIES(allow_egress_for_target), .port = 80,
			       .proto = "TCP" },
	      &allow);
	reach_init(&deny, true);
	expect_all_ingress(&deny, "x/a", false);
	check(*state, __func__,
	      &(struct probe){ .step = "Creating a network policy for pod-a that denies traffic "
				       "from pod-b.",
			       .policies = POLICIES(allow_egress_for_target, deny_ingress_pod_a),
			       .port = 80, .proto = "TCP" },
	      &deny);
}

/* An ingress policy on x/a allowing one port over one protocol only. */
#define ALLOW_ONLY(name, port, proto) \
	NETPOL(name, "x")             \
	MATCH_POD("a")                \
	"  policyTypes: [Ingress]\n"  \
	"  ingress:\n"                \
	"  - ports:\n"                \
	"    - port: " port "\n"      \
	"      protocol: " proto "\n"

static const char allow_only_sctp_81[] = ALLOW_ONLY("allow-only-sctp-ingress-on-port-81", "81",
						    "SCTP");

/* It("should not mistakenly treat 'protocol: SCTP' as 'protocol: TCP', even if the plugin
 *    doesn't support SCTP") */
static void sctp_not_treated_as_tcp(void **state)
{
	struct reach r;

	reach_init(&r, true);
	expect_peer(&r, ANY_PEER, NS_PEER("x"), false);
	check(*state, __func__,
	      &(struct probe){ .step = "Trying to connect to TCP port 81, which should be blocked "
				       "by the deny-ingress policy.",
			       .policies = POLICIES(deny_ingress_x, allow_only_sctp_81), .port = 81,
			       .proto = "TCP" },
	      &r);
}

static const char allow_only_sctp_80[] = ALLOW_ONLY("allow-only-sctp-ingress-on-port-80", "80",
						    "SCTP");

/* It("should properly isolate pods that are selected by a policy allowing SCTP, even if the
 *    plugin doesn't support SCTP") */
static void sctp_policy_isolates(void **state)
{
	struct reach r;

	reach_init(&r, true);
	expect_all_ingress(&r, "x/a", false);
	check(*state, __func__,
	      &(struct probe){ .policies = POLICIES(allow_only_sctp_80), .port = 81,
			       .proto = "TCP" },
	      &r);
}

static const char allow_only_udp_81[] = ALLOW_ONLY("allow-only-udp-ingress-on-port-81", "81",
						   "UDP");

/* It("should not allow access by TCP when a policy specifies only UDP") */
static void tcp_denied_by_udp_only_policy(void **state)
{
	struct reach r;

	reach_init(&r, true);
	expect_all_ingress(&r, "x/a", false);
	check(*state, __func__,
	      &(struct probe){ .policies = POLICIES(allow_only_udp_81), .port = 81,
			       .proto = "TCP" },
	      &r);
}

static const char allow_immutable_ns_label[] =
	NETPOL("allow-client-a-via-ns-selector-for-immutable-ns-label", "x")
	MATCH_POD("a")
	"  policyTypes: [Ingress]\n"
	"  ingress:\n"
	"  - from:\n"
	"    - namespaceSelector:\n"
	"        matchLabels:\n"
	"          kubernetes.io/metadata.name: 'y'\n";

/* It("should enforce policy to allow traffic based on NamespaceSelector with MatchLabels
 *    using default ns label") */
static void default_ns_label_match_labels(void **state)
{
	struct reach r;

	reach_init(&r, true);
	expect_peer(&r, NS_PEER("x"), POD_PEER("x", "a"), false);
	expect_peer(&r, NS_PEER("z"), POD_PEER("x", "a"), false);
	check(*state, __func__,
	      &(struct probe){ .policies = POLICIES(allow_immutable_ns_label), .port = 80,
			       .proto = "TCP" },
	      &r);
}

static const char egress_not_in_ns_y[] =
	NETPOL("allow-ns-y-match-selector-for-immutable-ns-label", "x")
	MATCH_POD("a")
	"  policyTypes: [Egress]\n"
	"  egress:\n"
	"  - to:\n"
	"    - namespaceSelector:\n"
	"        matchExpressions:\n"
	"        - key: kubernetes.io/metadata.name\n"
	"          operator: NotIn\n"
	"          values: ['y']\n";

/* It("should enforce policy based on NamespaceSelector with MatchExpressions using default
 *    ns label") */
static void default_ns_label_match_expressions(void **state)
{
	struct reach r;

	reach_init(&r, true);
	expect_peer(&r, POD_PEER("x", "a"), NS_PEER("y"), false);
	check(*state, __func__,
	      &(struct probe){ .policies = POLICIES(egress_not_in_ns_y), .port = 80,
			       .proto = "TCP" },
	      &r);
}

/* ---- NetworkPolicy between server and client using UDP, and using SCTP ------------ */

static void deny_ingress_over(void **state, const char *test, const char *proto)
{
	struct reach r;

	reach_init(&r, true);
	expect_peer(&r, ANY_PEER, NS_PEER("x"), false);
	check(*state, test,
	      &(struct probe){ .policies = POLICIES(deny_all_ingress_x), .port = 80,
			       .proto = proto },
	      &r);
}

static void ports_over(void **state, const char *test, const char *policy, const char *proto)
{
	struct reach r;

	reach_init(&r, true);
	expect_peer(&r, NS_PEER("x"), POD_PEER("x", "a"), false);
	expect_peer(&r, NS_PEER("z"), POD_PEER("x", "a"), false);
	check(*state, test,
	      &(struct probe){ .policies = POLICIES(policy), .port = 81, .proto = proto }, &r);
}

#define ALLOW_Y_ON_81_OVER(proto)                      \
	NETPOL("allow-ingress-on-port-81-ns-x", "x")   \
	MATCH_POD("a")                                 \
	"  policyTypes: [Ingress]\n"                   \
	"  ingress:\n"                                 \
	"  - from:\n"                                  \
	"    - namespaceSelector:\n"                   \
	"        matchLabels:\n"                       \
	"          kubernetes.io/metadata.name: 'y'\n" \
	"    ports:\n"                                 \
	"    - port: 81\n"                             \
	"      protocol: " proto "\n"

static const char allow_y_on_81_udp[] = ALLOW_Y_ON_81_OVER("UDP");
static const char allow_y_on_81_sctp[] = ALLOW_Y_ON_81_OVER("SCTP");

/* Context("NetworkPolicy between server and client using UDP"):
 * It("should support a 'default-deny-ingress' policy") */
static void udp_default_deny_ingress(void **state)
{
	deny_ingress_over(state, __func__, "UDP");
}

/* UDP: It("should enforce policy based on Ports") */
static void udp_policy_based_on_ports(void **state)
{
	ports_over(state, __func__, allow_y_on_81_udp, "UDP");
}

/* UDP: It("should enforce policy to allow traffic only from a pod in a different namespace
 *    based on PodSelector and NamespaceSelector") */
static void udp_pod_and_namespace_selector_other_namespace(void **state)
{
	pod_in_other_namespace(state, __func__, "UDP");
}

/* Context("NetworkPolicy between server and client using SCTP"):
 * It("should support a 'default-deny-ingress' policy") */
static void sctp_default_deny_ingress(void **state)
{
	deny_ingress_over(state, __func__, "SCTP");
}

/* SCTP: It("should enforce policy based on Ports") */
static void sctp_policy_based_on_ports(void **state)
{
	ports_over(state, __func__, allow_y_on_81_sctp, "SCTP");
}

/* SCTP: It("should enforce policy to allow traffic only from a pod in a different namespace
 *    based on PodSelector and NamespaceSelector") */
static void sctp_pod_and_namespace_selector_other_namespace(void **state)
{
	pod_in_other_namespace(state, __func__, "SCTP");
}

/* ---- variants ---------------------------------------------------------------------
 *
 * Not upstream tests: upstream has no truth table with Exists, DoesNotExist or
 * endPort. Each variant is an upstream test whose policy says the same thing
 * another way, so that test's expectations hold unchanged; the reason is
 * given with each.
 */

/* "should deny ingress access to updated pod" selecting by "target Exists":
 * only x/a ever carries a target label, and only once it is added. */
static const char deny_ingress_target_exists[] =
	NETPOL("deny-ingress-via-label-selector", "x")
	"  podSelector:\n"
	"    matchExpressions:\n"
	"    - key: target\n"
	"      operator: Exists\n"
	"  policyTypes: [Ingress]\n"
	"  ingress: []\n";

static void variant_exists_deny_ingress_to_updated_pod(void **state)
{
	isolate_updated_pod(state, __func__, deny_ingress_target_exists);
}

/* "should deny egress from all pods in a namespace" selecting by "target
 * DoesNotExist": no pod carries a target label, so it selects all of x as {}. */
static const char deny_egress_target_does_not_exist[] =
	NETPOL("deny-egress-ns-x", "x")
	"  podSelector:\n"
	"    matchExpressions:\n"
	"    - key: target\n"
	"      operator: DoesNotExist\n"
	"  policyTypes: [Egress]\n"
	"  egress: []\n";

static void variant_does_not_exist_deny_egress_namespace(void **state)
{
	deny_egress_namespace(state, __func__, deny_egress_target_does_not_exist);
}

/* "should enforce multiple, stacked policies with overlapping podSelectors"
 * with 81 allowed as the range 81-82 and 80 as 79-80: each range covers the
 * port the upstream policy names and stops short of the other probed port. */
static const char allow_y_on_81_to_82[] =
	NETPOL("allow-client-a-via-ns-selector", "x")
	MATCH_POD("a")
	"  policyTypes: [Ingress]\n"
	"  ingress:\n"
	"  - from:\n"
	"    - namespaceSelector:\n"
	"        matchLabels:\n"
	"          kubernetes.io/metadata.name: 'y'\n"
	"    ports:\n"
	"    - port: 81\n"
	"      endPort: 82\n"
	"      protocol: TCP\n";

static const char allow_y_on_79_to_80[] =
	NETPOL("allow-client-a-via-ns-selector-80", "x")
	MATCH_POD("a")
	"  policyTypes: [Ingress]\n"
	"  ingress:\n"
	"  - from:\n"
	"    - namespaceSelector:\n"
	"        matchLabels:\n"
	"          kubernetes.io/metadata.name: 'y'\n"
	"    ports:\n"
	"    - port: 79\n"
	"      endPort: 80\n"
	"      protocol: TCP\n";

static void variant_endport_stacked_policies(void **state)
{
	stacked_policies(state, __func__, allow_y_on_81_to_82, allow_y_on_79_to_80);
}

/* "should enforce multiple egress policies with egress allow-all policy taking
 * precedence" with port 80 allowed as the range 79-80, which excludes 81. */
static const char allow_egress_ports_79_to_80[] =
	NETPOL("allow-egress-port-80", "x")
	"  podSelector:\n"
	"    matchLabels: {}\n"
	"  policyTypes: [Egress]\n"
	"  egress:\n"
	"  - ports:\n"
	"    - port: 79\n"
	"      endPort: 80\n";

static void variant_endport_egress_allow_all_precedence(void **state)
{
	egress_allow_all_precedence(state, __func__, allow_egress_ports_79_to_80);
}

/* ---- Netpol API (network_policy_api.go) ------------------------------------------- */

#define ENDPORT_POLICY(ports)                           \
	"apiVersion: networking.k8s.io/v1\n"            \
	"kind: NetworkPolicy\n"                         \
	"metadata:\n"                                   \
	"  name: e2e-example-netpol-endport-validate\n" \
	"  labels:\n"                                   \
	"    special-label: netpol-api\n"               \
	"spec:\n"                                       \
	"  podSelector:\n"                              \
	"    matchLabels:\n"                            \
	"      pod-name: test-pod\n"                    \
	"  policyTypes: [Egress]\n"                     \
	"  egress:\n"                                   \
	"  - ports:\n"                                  \
	ports

static void expect_rejected(const char *step, const char *text)
{
	struct np_load_options opts = { .default_namespace = "default" };
	struct np_model *model = np_model_new();
	struct np_load_stats stats;
	char err[1024] = "";
	int rc;

	assert_non_null(model);
	rc = np_manifest_load_buffer(model, "<endport>", text, strlen(text), &opts, &stats, err,
				     sizeof(err));
	np_model_free(model);
	if (rc == 0)
		fail_msg("%s: the loader accepted the policy", step);
	if (!strstr(err, "e2e-example-netpol-endport-validate"))
		fail_msg("%s: the error does not name the policy: %s", step, err);
}

static void expect_range_loaded(const char *text, unsigned port, unsigned end_port)
{
	struct np_model *model = np_test_model(text, NULL);
	const struct np_port_rule *rule;
	bool ok;

	ok = model->n_policies == 1 && model->policies[0].n_egress == 1 &&
	     model->policies[0].egress[0].n_ports == 1;
	rule = ok ? &model->policies[0].egress[0].ports[0] : NULL;
	ok = ok && rule->kind == NP_PORT_NUMBER && rule->proto == NP_PROTO_TCP &&
	     rule->port == port && rule->end_port == end_port;
	np_model_free(model);
	if (!ok)
		fail_msg("the policy did not load as TCP %u-%u", port, end_port);
}

/* Describe("Netpol API"): It("should support creating NetworkPolicy API with endport field") */
static void api_endport_field(void **state)
{
	(void)state;
	expect_rejected("EndPort field cannot be defined if the Port field is not defined.",
			ENDPORT_POLICY("    - endPort: 20000\n"));
	expect_rejected("EndPort field cannot be defined if the Port field is defined as a named "
			"(string) port.",
			ENDPORT_POLICY("    - port: serve-80\n      endPort: 20000\n"));
	expect_rejected("When EndPort field is smaller than port, it will failed",
			ENDPORT_POLICY("    - port: 30000\n      endPort: 20000\n"));
	expect_range_loaded(ENDPORT_POLICY("    - port: 20000\n      endPort: 20000\n"), 20000,
			    20000);
	expect_range_loaded(ENDPORT_POLICY("    - port: 10000\n      endPort: 20000\n"), 10000,
			    20000);
}

/* Each truth-table test on both address families. */
#define CONFORMANCE_TEST(fn)                              \
	{ #fn " (IPv4)", fn, NULL, NULL, &ipv4_cluster }, \
	{ #fn " (IPv6)", fn, NULL, NULL, &ipv6_cluster }

int main(void)
{
	const struct CMUnitTest tests[] = {
		CONFORMANCE_TEST(default_deny_ingress),
		CONFORMANCE_TEST(default_deny_all),
		CONFORMANCE_TEST(pod_selector_within_server_namespace),
		CONFORMANCE_TEST(allow_ingress_for_a_target),
		CONFORMANCE_TEST(allow_ingress_from_all_namespaces),
		CONFORMANCE_TEST(namespace_selector_other_namespace),
		CONFORMANCE_TEST(pod_selector_match_expressions),
		CONFORMANCE_TEST(namespace_selector_match_expressions),
		CONFORMANCE_TEST(pod_selector_or_namespace_selector),
		CONFORMANCE_TEST(pod_selector_and_namespace_selector),
		CONFORMANCE_TEST(multiple_pod_and_namespace_selectors),
		CONFORMANCE_TEST(any_pod_selectors),
		CONFORMANCE_TEST(pod_and_namespace_selector_other_namespace),
		CONFORMANCE_TEST(policy_based_on_ports),
		CONFORMANCE_TEST(stacked_overlapping_pod_selectors),
		CONFORMANCE_TEST(allow_all),
		CONFORMANCE_TEST(ingress_on_one_named_port),
		CONFORMANCE_TEST(ingress_from_namespace_on_one_named_port),
		CONFORMANCE_TEST(egress_on_one_named_port),
		CONFORMANCE_TEST(updated_policy),
		CONFORMANCE_TEST(ingress_from_updated_namespace),
		CONFORMANCE_TEST(ingress_from_updated_pod),
		CONFORMANCE_TEST(deny_ingress_from_other_namespaces),
		CONFORMANCE_TEST(deny_ingress_to_updated_pod),
		CONFORMANCE_TEST(deny_egress_by_pod_selector),
		CONFORMANCE_TEST(deny_egress_all_pods_in_namespace),
		CONFORMANCE_TEST(ingress_egress_together),
		CONFORMANCE_TEST(deny_egress_on_client_side),
		CONFORMANCE_TEST(egress_to_other_namespace),
		CONFORMANCE_TEST(ingress_any_port_on_protocol),
		CONFORMANCE_TEST(multiple_ingress_allow_all_precedence),
		CONFORMANCE_TEST(multiple_egress_allow_all_precedence),
		CONFORMANCE_TEST(stop_enforcing_after_delete),
		CONFORMANCE_TEST(egress_to_cidr),
		CONFORMANCE_TEST(egress_cidr_except),
		CONFORMANCE_TEST(ip_in_cidr_and_except_allowed),
		CONFORMANCE_TEST(ingress_egress_independent),
		CONFORMANCE_TEST(sctp_not_treated_as_tcp),
		CONFORMANCE_TEST(sctp_policy_isolates),
		CONFORMANCE_TEST(tcp_denied_by_udp_only_policy),
		CONFORMANCE_TEST(default_ns_label_match_labels),
		CONFORMANCE_TEST(default_ns_label_match_expressions),
		CONFORMANCE_TEST(udp_default_deny_ingress),
		CONFORMANCE_TEST(udp_policy_based_on_ports),
		CONFORMANCE_TEST(udp_pod_and_namespace_selector_other_namespace),
		CONFORMANCE_TEST(sctp_default_deny_ingress),
		CONFORMANCE_TEST(sctp_policy_based_on_ports),
		CONFORMANCE_TEST(sctp_pod_and_namespace_selector_other_namespace),
		CONFORMANCE_TEST(variant_exists_deny_ingress_to_updated_pod),
		CONFORMANCE_TEST(variant_does_not_exist_deny_egress_namespace),
		CONFORMANCE_TEST(variant_endport_stacked_policies),
		CONFORMANCE_TEST(variant_endport_egress_allow_all_precedence),
		cmocka_unit_test(api_endport_field),
	};

	return cmocka_run_group_tests_name("conformance", tests, NULL, NULL);
}
