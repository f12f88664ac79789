/* test_lint — each lint rule with a case it must report and one it must not,
 * over one small cluster written as manifests:
 *
 *   namespace prod {environment: production}
 *     prod/db    {app: db}   10.0.1.3  pg=5432
 *     prod/web-1 {app: web}  10.0.1.1  http=8080
 *     prod/web-2 {app: web}  10.0.1.2  http=8080
 *     prod/agent {app: agent} host network, 192.168.0.5
 *   namespace kube-system
 *     kube-system/dns-1 {k8s-app: kube-dns} 10.0.9.1  dns=53/UDP, dns-tcp=53/TCP
 *     Service kube-system/kube-dns: 53/UDP -> dns, 53/TCP -> dns-tcp
 *
 * Findings are checked as data: rule, file, line, policy, field, the words
 * that matter in the message, and the pods.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "lint.h"

#define POD(ns, name, labels, ip, ports)                                                    \
	"---\napiVersion: v1\nkind: Pod\n"                                                  \
	"metadata: {namespace: '" ns "', name: " name ", labels: " labels "}\n"             \
	"spec: {containers: [{name: main, ports: " ports "}]}\n"                          \
	"status: {podIPs: [{ip: " ip "}]}\n"

#define NAMESPACE(name, labels)                                                             \
	"---\napiVersion: v1\nkind: Namespace\nmetadata: {name: '" name "', labels: " labels "}\n"

/* The head of a NetworkPolicy; its spec follows, indented by two. */
#define NETPOL(ns, name)                                                                    \
	"---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"                     \
	"metadata: {namespace: '" ns "', name: " name "}\nspec:\n"

#define DENY_ALL                                                                            \
	NETPOL("prod", "deny-all") "  podSelector: {}\n  policyTypes: [Ingress, Egress]\n"

/* The guide's DNS policy for every pod of prod, with the given ports. */
#define ALLOW_DNS(ports)                                                                    \
	NETPOL("prod", "allow-dns")                                                         \
	"  podSelector: {}\n  policyTypes: [Egress]\n  egress:\n  - to:\n"                 \
	"    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}\n" \
	"      podSelector: {matchLabels: {k8s-app: kube-dns}}\n"                          \
	"    ports: " ports "\n"

#define BOTH_DNS "[{protocol: UDP, port: 53}, {protocol: TCP, port: 53}]"

/* Peers and the rules they go in. */
#define NAMESPACES(labels) "namespaceSelector: {matchLabels: " labels "}"
#define PODS(labels) "podSelector: {matchLabels: " labels "}"
#define PODS_IN(values)                                                                     \
	"podSelector: {matchExpressions: [{key: app, operator: In, values: " values "}]}"
#define PODS_NOT_IN(values)                                                                 \
	"podSelector: {matchExpressions: [{key: app, operator: NotIn, values: " values "}]}"
#define RULE_FROM(peer, ports) "  - from: [{" peer "}]\n    ports: " ports "\n"
#define FROM_DB_ON(ports) RULE_FROM(PODS("{app: db}"), ports)

static const char cluster[] =
	NAMESPACE("prod", "{environment: production}")
	NAMESPACE("kube-system", "{}")
	POD("prod", "db", "{app: db}", "10.0.1.3", "[{name: pg, containerPort: 5432}]")
	POD("prod", "web-1", "{app: web}", "10.0.1.1", "[{name: http, containerPort: 8080}]")
	POD("prod", "web-2", "{app: web}", "10.0.1.2", "[{name: http, containerPort: 8080}]")
	"---\napiVersion: v1\nkind: Pod\n"
	"metadata: {namespace: prod, name: agent, labels: {app: agent}}\n"
	"spec: {hostNetwork: true, containers: [{name: main}]}\n"
	"status: {podIPs: [{ip: 192.168.0.5}]}\n"
	POD("kube-system", "dns-1", "{k8s-app: kube-dns}", "10.0.9.1",
	    "[{name: dns, containerPort: 53, protocol: UDP},"
	    " {name: dns-tcp, containerPort: 53, protocol: TCP}]")
	"---\napiVersion: v1\nkind: Service\nmetadata: {namespace: kube-system, name: kube-dns}\n"
	"spec:\n  clusterIP: 10.96.0.10\n  selector: {k8s-app: kube-dns}\n"
	"  ports: [{name: dns, port: 53, protocol: UDP, targetPort: dns},"
	" {name: dns-tcp, port: 53, protocol: TCP, targetPort: dns-tcp}]\n";

/* ---- helpers ------------------------------------------------------------------- */

#define MAX_POLICIES 8
#define MAX_ANNOTATIONS 4

struct fixture {
	struct np_model *model;
	struct np_lint_options opts;
	struct np_label labels[MAX_POLICIES][MAX_ANNOTATIONS];
	struct np_lint_report report;
};

static int setup(void **state)
{
	*state = calloc(1, sizeof(struct fixture));
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	np_lint_report_free(&f->report);
	np_model_free(f->model);
	free(f);
	return 0;
}

/* Loads manifests (the cluster is not included: tests that want it say so). */
static struct fixture *load(void **state, const char *first, const char *second)
{
	struct fixture *f = *state;
	size_t len = strlen(first) + strlen(second) + 1;
	char *text = malloc(len);

	assert_non_null(text);
	snprintf(text, len, "%s%s", first, second);
	f->model = np_test_model(text, NULL);
	free(text);
	assert_true(f->model->n_policies <= MAX_POLICIES);
	return f;
}

static struct fixture *with_cluster(void **state, const char *policies)
{
	return load(state, cluster, policies);
}

static const struct np_policy *policy_named(const struct fixture *f, const char *ns,
					    const char *name)
{
	for (size_t i = 0; i < f->model->n_policies; i++)
		if (strcmp(f->model->policies[i].namespace_name, ns) == 0 &&
		    strcmp(f->model->policies[i].name, name) == 0)
			return &f->model->policies[i];
	fail_msg("no policy %s/%s in the test model", ns, name);
	return NULL;
}

/* Adds an annotation to a policy of the model (the test manifests state none),
 * keeping its keys sorted as np_labels wants. */
static void annotate(struct fixture *f, const char *ns, const char *name, const char *key,
		     const char *value)
{
	size_t index = (size_t)(policy_named(f, ns, name) - f->model->policies);
	struct np_labels *labels = &f->model->policies[index].annotations;
	struct np_label *items = f->labels[index];
	size_t at = labels->count;

	assert_true(labels->count == 0 || labels->items == items);
	assert_true(labels->count < MAX_ANNOTATIONS);
	while (at > 0 && strcmp(items[at - 1].key, key) > 0) {
		items[at] = items[at - 1];
		at--;
	}
	items[at] = (struct np_label){ key, value };
	labels->items = items;
	labels->count++;
}

static const struct np_lint_report *run(struct fixture *f)
{
	np_lint_run(f->model, &f->opts, &f->report);
	return &f->report;
}

static void print_findings(const struct np_lint_report *r)
{
	for (size_t i = 0; i < r->n_findings; i++)
		print_message("  [%s] %s/%s %s: %s\n", r->findings[i].rule,
			      r->findings[i].policy ? r->findings[i].policy->namespace_name : "-",
			      r->findings[i].policy ? r->findings[i].policy->name : "-",
			      r->findings[i].field, r->findings[i].message);
}

/* The finding of rule on policy ("ns/name", NULL for a pod finding) and
 * field; fails the test, listing what was found, when there is none. */
static const struct np_lint_finding *find(const struct np_lint_report *r, const char *rule,
					  const char *policy, const char *field)
{
	for (size_t i = 0; i < r->n_findings; i++) {
		const struct np_lint_finding *f = &r->findings[i];
		char name[256] = "";

		if (f->policy)
			snprintf(name, sizeof(name), "%s/%s", f->policy->namespace_name,
				 f->policy->name);
		if (strcmp(f->rule, rule) == 0 && strcmp(f->field, field) == 0 &&
		    (policy ? strcmp(name, policy) == 0 : !f->policy))
			return f;
	}
	print_findings(r);
	fail_msg("no %s finding on %s %s", rule, policy ? policy : "(pod)", field);
	return NULL;
}

static size_t count(const struct np_lint_report *r, const char *rule)
{
	size_t n = 0;

	for (size_t i = 0; i < r->n_findings; i++)
		n += strcmp(r->findings[i].rule, rule) == 0;
	return n;
}

static void assert_none(const struct np_lint_report *r, const char *rule)
{
	if (count(r, rule) != 0) {
		print_findings(r);
		fail_msg("unexpected %s finding", rule);
	}
}

static void assert_says(const char *text, const char *part)
{
	if (!strstr(text, part))
		fail_msg("\"%s\"\n  does not say \"%s\"", text, part);
}

/* The finding's pods as "ns/a, ns/b". */
static void assert_pods(const struct np_lint_finding *f, const char *expected)
{
	char names[1024] = "";
	size_t used = 0;

	for (size_t i = 0; i < f->n_pods; i++)
		used += (size_t)snprintf(names + used, sizeof(names) - used, "%s%s/%s",
					 i ? ", " : "", f->pods[i]->namespace_name,
					 f->pods[i]->name);
	assert_string_equal(names, expected);
}

/* Where the finding points: the policy's file and line. */
static void assert_at_policy(const struct np_lint_finding *f)
{
	assert_non_null(f->policy);
	assert_string_equal(f->file, "<test>");
	assert_true(f->line > 0);
	assert_int_equal(f->line, f->policy->origin.line);
}

/* ---- selects-no-pod ------------------------------------------------------------ */

static void selects_no_pod_names_the_labels_there(void **state)
{
	struct fixture *f = with_cluster(state, NETPOL("prod", "typo")
					 "  podSelector: {matchLabels: {app: wbe}}\n");
	const struct np_lint_finding *found =
		find(run(f), NP_LINT_SELECTS_NO_POD, "prod/typo", "spec.podSelector");

	assert_at_policy(found);
	assert_says(found->message, "podSelector app=wbe selects no pod of namespace prod");
	assert_says(found->message, "3 pods there; they carry app=db, app=web");
	assert_says(found->fix, "kubectl get pods -n prod --show-labels");
	assert_null(found->suppressed_by);
}

static void selects_no_pod_in_an_empty_namespace(void **state)
{
	struct fixture *f = with_cluster(state, NETPOL("qa", "deny") "  podSelector: {}\n");
	const struct np_lint_finding *found =
		find(run(f), NP_LINT_SELECTS_NO_POD, "qa/deny", "metadata.namespace");

	assert_says(found->message, "there is no pod in namespace qa");
}

static void selects_no_pod_never_counts_host_network_pods(void **state)
{
	struct fixture *f = with_cluster(state, NETPOL("prod", "agent")
					 "  podSelector: {matchLabels: {app: agent}}\n");

	find(run(f), NP_LINT_SELECTS_NO_POD, "prod/agent", "spec.podSelector");
}

static void selects_no_pod_quiet_when_pods_are_selected(void **state)
{
	struct fixture *f = with_cluster(state, NETPOL("prod", "web")
					 "  podSelector: {matchExpressions: [{key: app, "
					 "operator: In, values: [web, api]}]}\n");

	assert_none(run(f), NP_LINT_SELECTS_NO_POD);
}

static void rules_needing_pods_are_not_checked_without_them(void **state)
{
	struct fixture *f = load(state, NETPOL("prod", "typo")
				 "  podSelector: {matchLabels: {app: wbe}}\n"
				 "  ingress: [{ports: [{port: htpp}],\n"
				 "              from: [{ipBlock: {cidr: 10.0.0.0/8}},\n"
				 "                     {" NAMESPACES("{a: b}") "}]}]\n",
				 "");
	const struct np_lint_report *r = run(f);

	assert_int_equal(r->n_findings, 0);
	assert_int_equal(r->n_unchecked, 2);
	assert_string_equal(r->unchecked[0].rules[0], NP_LINT_SELECTS_NO_POD);
	assert_says(r->unchecked[0].reason, "the model has no pods");
	assert_string_equal(r->unchecked[1].rules[0], NP_LINT_SELECTOR_MATCHES_NOTHING);
	assert_says(r->unchecked[1].reason, "no Namespace objects");
	assert_int_equal(r->coverage.pods, 0);
}

/* ---- no-dns-egress ------------------------------------------------------------- */

static void deny_all_leaves_pods_without_dns(void **state)
{
	struct fixture *f = with_cluster(state, DENY_ALL);
	const struct np_lint_finding *found =
		find(run(f), NP_LINT_NO_DNS_EGRESS, "prod/deny-all", "spec.policyTypes");

	assert_at_policy(found);
	assert_pods(found, "prod/db, prod/web-1, prod/web-2");
	assert_says(found->message, "isolated for egress (by prod/deny-all)");
	assert_says(found->message, "kube-system/kube-dns): UDP 53 and TCP 53 are denied");
	assert_says(found->fix, "UDP 53 and TCP 53");
	assert_int_equal(count(&f->report, NP_LINT_NO_DNS_EGRESS), 1);
}

static void dns_allowed_on_both_protocols_is_quiet(void **state)
{
	struct fixture *f = with_cluster(state, DENY_ALL ALLOW_DNS(BOTH_DNS));
	const struct np_lint_report *r = run(f);

	assert_none(r, NP_LINT_NO_DNS_EGRESS);
	assert_none(r, NP_LINT_DNS_ONE_PROTOCOL);
}

static void dns_pods_refusing_queries_are_blamed(void **state)
{
	struct fixture *f = with_cluster(state, NETPOL("kube-system", "lockdown")
					 "  podSelector: {}\n  policyTypes: [Ingress]\n");
	const struct np_lint_finding *found =
		find(run(f), NP_LINT_NO_DNS_EGRESS, "kube-system/lockdown", "spec.ingress");

	assert_pods(found, "prod/db, prod/web-1, prod/web-2");
	assert_says(found->message, "isolates the DNS pods for ingress");
}

/* Without DNS pods in the model, a stand-in kube-dns pod is judged. */
static const char small_cluster[] =
	NAMESPACE("prod", "{}")
	POD("prod", "web-1", "{app: web}", "10.0.1.1", "[]");

static void dns_is_judged_against_a_stand_in(void **state)
{
	struct fixture *f = load(state, small_cluster, DENY_ALL);
	const struct np_lint_finding *found =
		find(run(f), NP_LINT_NO_DNS_EGRESS, "prod/deny-all", "spec.policyTypes");

	assert_pods(found, "prod/web-1");
	assert_says(found->message, "a stand-in was judged");
}

static void dns_stand_in_admitted_by_the_guides_policy(void **state)
{
	struct fixture *f = load(state, small_cluster, DENY_ALL ALLOW_DNS(BOTH_DNS));

	assert_none(run(f), NP_LINT_NO_DNS_EGRESS);
}

/* ---- dns-one-protocol ---------------------------------------------------------- */

static void dns_over_udp_only(void **state)
{
	struct fixture *f = with_cluster(state, DENY_ALL ALLOW_DNS("[{protocol: UDP, port: 53}]"));
	const struct np_lint_report *r = run(f);
	const struct np_lint_finding *found =
		find(r, NP_LINT_DNS_ONE_PROTOCOL, "prod/allow-dns", "spec.egress[0].ports");

	assert_at_policy(found);
	assert_pods(found, "prod/db, prod/web-1, prod/web-2");
	assert_says(found->message, "allows DNS over UDP 53 but not TCP 53");
	assert_says(found->fix, "add {protocol: TCP, port: 53} next to the UDP entry");
	assert_none(r, NP_LINT_NO_DNS_EGRESS);
}

static void dns_over_tcp_only(void **state)
{
	struct fixture *f = with_cluster(state, DENY_ALL ALLOW_DNS("[{protocol: TCP, port: 53}]"));
	const struct np_lint_finding *found =
		find(run(f), NP_LINT_DNS_ONE_PROTOCOL, "prod/allow-dns", "spec.egress[0].ports");

	assert_says(found->message, "over TCP 53 but not UDP 53: resolvers ask over UDP first");
}

/* ---- selector-matches-nothing -------------------------------------------------- */

#define INGRESS_FROM(name, peer)                                                            \
	NETPOL("prod", name) "  podSelector: {}\n  ingress:\n  - from:\n    - " peer "\n"

static void namespace_selector_on_a_missing_label(void **state)
{
	struct fixture *f =
		with_cluster(state, INGRESS_FROM("cross", NAMESPACES("{env: production}")));
	const struct np_lint_finding *found =
		find(run(f), NP_LINT_SELECTOR_MATCHES_NOTHING, "prod/cross",
		     "spec.ingress[0].from[0].namespaceSelector");

	assert_at_policy(found);
	assert_says(found->message, "namespaceSelector env=production matches no namespace");
	assert_says(found->message, "no namespace has a label env");
}

static void namespace_selector_on_a_missing_value(void **state)
{
	struct fixture *f =
		with_cluster(state, INGRESS_FROM("cross", NAMESPACES("{environment: prod}")));
	const struct np_lint_finding *found =
		find(run(f), NP_LINT_SELECTOR_MATCHES_NOTHING, "prod/cross",
		     "spec.ingress[0].from[0].namespaceSelector");

	assert_says(found->message, "they carry environment=production");
}

static void namespace_selector_that_matches_is_quiet(void **state)
{
	struct fixture *f =
		with_cluster(state, INGRESS_FROM("cross", NAMESPACES("{environment: production}")));

	assert_none(run(f), NP_LINT_SELECTOR_MATCHES_NOTHING);
}

static void pod_selector_peer_that_matches_nothing(void **state)
{
	struct fixture *f = with_cluster(state, INGRESS_FROM("from-api", PODS("{app: api}")));
	const struct np_lint_finding *found =
		find(run(f), NP_LINT_SELECTOR_MATCHES_NOTHING, "prod/from-api",
		     "spec.ingress[0].from[0].podSelector");

	assert_says(found->message, "podSelector app=api matches no pod of namespace prod");
}

/* Pods with the labels exist, but not in the namespaces the peer picks. */
static void pod_selector_in_the_wrong_namespace(void **state)
{
	struct fixture *f = with_cluster(
		state, INGRESS_FROM("from-dns",
				    NAMESPACES("{kubernetes.io/metadata.name: kube-system}")
				    "\n      " PODS("{app: web}")));
	const struct np_lint_finding *found =
		find(run(f), NP_LINT_SELECTOR_MATCHES_NOTHING, "prod/from-dns",
		     "spec.ingress[0].from[0].podSelector");

	assert_says(found->message, "matches no pod of namespace kube-system (1 pod there");
}

/* A podSelector alone looks in the policy's own namespace only. */
static void pod_selector_alone_stays_in_its_namespace(void **state)
{
	struct fixture *f =
		with_cluster(state, INGRESS_FROM("from-dns", PODS("{k8s-app: kube-dns}")));
	const struct np_lint_finding *found =
		find(run(f), NP_LINT_SELECTOR_MATCHES_NOTHING, "prod/from-dns",
		     "spec.ingress[0].from[0].podSelector");

	assert_says(found->message, "matches no pod of namespace prod (3 pods there; no pod there "
				    "has a label k8s-app)");
}

static void pod_selector_peer_that_matches_is_quiet(void **state)
{
	struct fixture *f = with_cluster(state, INGRESS_FROM("from-web", PODS("{app: web}")));

	assert_none(run(f), NP_LINT_SELECTOR_MATCHES_NOTHING);
}

/* Namespace labels are unknown without Namespace objects: no guessing. */
static void namespace_selector_unchecked_without_namespaces(void **state)
{
	struct fixture *f = load(state, POD("prod", "web-1", "{app: web}", "10.0.1.1", "[]"),
				 INGRESS_FROM("cross", NAMESPACES("{env: x}")));
	const struct np_lint_report *r = run(f);

	assert_none(r, NP_LINT_SELECTOR_MATCHES_NOTHING);
	assert_int_equal(r->n_unchecked, 1);
	assert_says(r->unchecked[0].reason, "namespaceSelector");
}

/* ---- unknown-named-port -------------------------------------------------------- */

#define WEB_INGRESS_PORT(port)                                                              \
	NETPOL("prod", "web") "  podSelector: {matchLabels: {app: web}}\n"                  \
	"  ingress: [{ports: [" port "]}]\n"

static void named_port_typo(void **state)
{
	struct fixture *f = with_cluster(state, WEB_INGRESS_PORT("{port: htpp}"));
	const struct np_lint_finding *found = find(run(f), NP_LINT_UNKNOWN_NAMED_PORT, "prod/web",
						   "spec.ingress[0].ports[0].port");

	assert_at_policy(found);
	assert_says(found->message, "port \"htpp\" (TCP): no pod the policy selects declares");
	assert_says(found->message, "2 pods; they declare http/TCP");
}

static void named_port_of_another_protocol(void **state)
{
	struct fixture *f = with_cluster(state, WEB_INGRESS_PORT("{port: http, protocol: UDP}"));
	const struct np_lint_finding *found = find(run(f), NP_LINT_UNKNOWN_NAMED_PORT, "prod/web",
						   "spec.ingress[0].ports[0].port");

	assert_says(found->message, "they declare http over TCP only");
}

static void named_port_declared_is_quiet(void **state)
{
	struct fixture *f = with_cluster(state, WEB_INGRESS_PORT("{port: http}"));

	assert_none(run(f), NP_LINT_UNKNOWN_NAMED_PORT);
}

/* Egress ports name the destination's ports: those of the peers' pods. */
static void named_port_of_egress_peers(void **state)
{
	struct fixture *f = with_cluster(
		state, NETPOL("prod", "web-out") "  podSelector: {matchLabels: {app: web}}\n"
		       "  policyTypes: [Egress]\n  egress:\n"
		       "  - to: [{" PODS("{app: db}") "}]\n    ports: [{port: pg}]\n"
		       "  - to: [{" PODS("{app: db}") "}]\n    ports: [{port: http}]\n");
	const struct np_lint_report *r = run(f);
	const struct np_lint_finding *found =
		find(r, NP_LINT_UNKNOWN_NAMED_PORT, "prod/web-out", "spec.egress[1].ports[0].port");

	assert_says(found->message, "no pod the rule's peers match declares");
	assert_says(found->message, "they declare pg/TCP");
	assert_int_equal(count(r, NP_LINT_UNKNOWN_NAMED_PORT), 1);
}

/* ---- ipblock-covers-pods ------------------------------------------------------- */

#define EGRESS_TO_BLOCK(block)                                                              \
	NETPOL("prod", "out") "  podSelector: {}\n  policyTypes: [Egress]\n"                \
	"  egress: [{to: [{ipBlock: " block "}]}]\n"

static void ipblock_over_the_pod_network(void **state)
{
	struct fixture *f = with_cluster(state, EGRESS_TO_BLOCK("{cidr: 10.0.0.0/8}"));
	const struct np_lint_finding *found = find(run(f), NP_LINT_IPBLOCK_COVERS_PODS, "prod/out",
						   "spec.egress[0].to[0].ipBlock");

	assert_at_policy(found);
	assert_pods(found, "kube-system/dns-1, prod/db, prod/web-1, prod/web-2");
	assert_says(found->message, "ipBlock 10.0.0.0/8 takes in the addresses of 4 pods");
	assert_says(found->fix, "except");
}

static void ipblock_excepting_the_pod_network_is_quiet(void **state)
{
	struct fixture *f =
		with_cluster(state, EGRESS_TO_BLOCK("{cidr: 10.0.0.0/8, except: [10.0.0.0/16]}"));

	assert_none(run(f), NP_LINT_IPBLOCK_COVERS_PODS);
}

static void ipblock_outside_the_cluster_is_quiet(void **state)
{
	struct fixture *f = with_cluster(state, EGRESS_TO_BLOCK("{cidr: 203.0.113.0/24}"));

	assert_none(run(f), NP_LINT_IPBLOCK_COVERS_PODS);
}

/* ---- duplicate-rule and shadowed-rule ------------------------------------------ */

#define WEB_INGRESS(name, rules)                                                            \
	NETPOL("prod", name) "  podSelector: {matchLabels: {app: web}}\n  ingress:\n" rules

static void rule_duplicated_in_a_policy(void **state)
{
	/* The same peers and ports, listed in another order. */
	struct fixture *f = with_cluster(
		state, WEB_INGRESS("web", FROM_DB_ON("[{port: 8080}, {port: 9090}]")
					  FROM_DB_ON("[{port: 9090}, {port: 8080}]")));
	const struct np_lint_report *r = run(f);
	const struct np_lint_finding *found =
		find(r, NP_LINT_DUPLICATE_RULE, "prod/web", "spec.ingress[1]");

	assert_at_policy(found);
	assert_says(found->message, "repeats spec.ingress[0]");
	assert_int_equal(count(r, NP_LINT_DUPLICATE_RULE), 1);
	assert_none(r, NP_LINT_SHADOWED_RULE);
}

/* [0] is under [1] and [2], and reported once; [2] is under [1]. */
static void rule_shadowed_by_a_broader_one(void **state)
{
	struct fixture *f = with_cluster(
		state, WEB_INGRESS("web", FROM_DB_ON("[{port: 8080}]")
					  "  - from: [{podSelector: {}}]\n"
					  "  - from: [{podSelector: {matchLabels: {app: db}}}]\n"));
	const struct np_lint_report *r = run(f);
	const struct np_lint_finding *found =
		find(r, NP_LINT_SHADOWED_RULE, "prod/web", "spec.ingress[0]");

	assert_says(found->message, "is shadowed by spec.ingress[1], which admits every peer and "
				    "port this rule does");
	assert_says(found->fix, "delete it, or narrow the broader rule");
	find(r, NP_LINT_SHADOWED_RULE, "prod/web", "spec.ingress[2]");
	assert_int_equal(count(r, NP_LINT_SHADOWED_RULE), 2);
}

static void rule_shadowed_by_a_wider_set_of_values(void **state)
{
	struct fixture *f = with_cluster(
		state, WEB_INGRESS("web",
				   RULE_FROM(PODS_IN("[db, web]"), "[{port: 8000, endPort: 9000}]")
				   FROM_DB_ON("[{port: 8080}]")));

	find(run(f), NP_LINT_SHADOWED_RULE, "prod/web", "spec.ingress[1]");
}

/* app NotIn (db) takes in app=web; app NotIn (web) does not. */
static void rule_shadowed_by_a_not_in_selector(void **state)
{
	struct fixture *f = with_cluster(
		state, WEB_INGRESS("web", RULE_FROM(PODS_NOT_IN("[db]"), "[{port: 8080}]")
					  RULE_FROM(PODS("{app: web}"), "[{port: 8080}]")
					  RULE_FROM(PODS_NOT_IN("[web]"), "[{port: 9090}]")
					  RULE_FROM(PODS("{app: web}"), "[{port: 9090}]")));
	const struct np_lint_report *r = run(f);

	find(r, NP_LINT_SHADOWED_RULE, "prod/web", "spec.ingress[1]");
	assert_int_equal(count(r, NP_LINT_SHADOWED_RULE), 1);
}

/* Rules from other pods, or on other ports, admit something of their own. */
static void rules_on_other_ports_are_quiet(void **state)
{
	struct fixture *f = with_cluster(
		state, WEB_INGRESS("web", FROM_DB_ON("[{port: 8080}]") FROM_DB_ON("[{port: 9090}]")
					  FROM_DB_ON("[{port: 8080, protocol: UDP}]")
					  RULE_FROM(PODS_IN("[web, api]"), "[{port: 8080}]")));
	const struct np_lint_report *r = run(f);

	assert_none(r, NP_LINT_DUPLICATE_RULE);
	assert_none(r, NP_LINT_SHADOWED_RULE);
}

static void ipblock_shadowed_unless_the_broad_one_excepts_it(void **state)
{
	struct fixture *f = with_cluster(
		state, NETPOL("prod", "out") "  podSelector: {}\n  policyTypes: [Egress]\n"
		       "  egress:\n  - to: [{ipBlock: {cidr: 198.51.100.0/25}}]\n"
		       "  - to: [{ipBlock: {cidr: 198.51.100.0/24}}]\n"
		       "  - to: [{ipBlock: {cidr: 203.0.113.0/25}}]\n"
		       "  - to: [{ipBlock: {cidr: 203.0.113.0/24, except: [203.0.113.0/26]}}]\n");
	const struct np_lint_report *r = run(f);

	find(r, NP_LINT_SHADOWED_RULE, "prod/out", "spec.egress[0]");
	assert_int_equal(count(r, NP_LINT_SHADOWED_RULE), 1);
}

static void rule_repeated_by_a_policy_of_the_same_pods(void **state)
{
	struct fixture *f = with_cluster(state, WEB_INGRESS("a", FROM_DB_ON("[{port: 8080}]"))
						WEB_INGRESS("b", FROM_DB_ON("[{port: 8080}]")));
	const struct np_lint_finding *found =
		find(run(f), NP_LINT_DUPLICATE_RULE, "prod/b", "spec.ingress[0]");

	assert_says(found->message,
		    "repeats spec.ingress[0] of prod/a (which selects the same pods)");
}

/* A namespace-wide policy over a workload's own is layering, not repetition. */
static void rules_of_policies_of_other_pods_are_quiet(void **state)
{
	struct fixture *f = with_cluster(
		state, WEB_INGRESS("web", FROM_DB_ON("[{port: 8080}]"))
		       NETPOL("prod", "all") "  podSelector: {}\n  ingress:\n"
		       FROM_DB_ON("[{port: 8080}]"));
	const struct np_lint_report *r = run(f);

	assert_none(r, NP_LINT_DUPLICATE_RULE);
	assert_none(r, NP_LINT_SHADOWED_RULE);
}

/* Egress rules of a policy that does not isolate egress are never used. */
static void rules_of_a_direction_not_isolated_are_quiet(void **state)
{
	struct fixture *f = with_cluster(
		state, NETPOL("prod", "web") "  podSelector: {matchLabels: {app: web}}\n"
		       "  policyTypes: [Ingress]\n  egress:\n"
		       "  - to: [{podSelector: {}}]\n  - to: [{podSelector: {}}]\n");

	assert_none(run(f), NP_LINT_DUPLICATE_RULE);
}

/* ---- missing-annotation -------------------------------------------------------- */

static const char *const owner_and_why[] = { "owner", "justification" };

static void policy_without_required_annotations(void **state)
{
	struct fixture *f = with_cluster(state, DENY_ALL ALLOW_DNS(BOTH_DNS));
	const struct np_lint_report *r;
	const struct np_lint_finding *found;

	f->opts.required_annotations = owner_and_why;
	f->opts.n_required_annotations = 2;
	annotate(f, "prod", "allow-dns", "owner", "platform");
	annotate(f, "prod", "allow-dns", "justification", "");
	r = run(f);
	found = find(r, NP_LINT_MISSING_ANNOTATION, "prod/deny-all", "metadata.annotations");
	assert_at_policy(found);
	assert_says(found->message, "missing annotations owner, justification");
	assert_string_equal(found->fix,
			    "add metadata.annotations {owner: ..., justification: ...}");
	found = find(r, NP_LINT_MISSING_ANNOTATION, "prod/allow-dns", "metadata.annotations");
	assert_says(found->message, "missing annotation justification:");
}

static void policy_with_required_annotations_is_quiet(void **state)
{
	struct fixture *f = with_cluster(state, DENY_ALL);

	f->opts.required_annotations = owner_and_why;
	f->opts.n_required_annotations = 2;
	annotate(f, "prod", "deny-all", "owner", "platform");
	annotate(f, "prod", "deny-all", "justification", "zero-trust baseline");
	assert_none(run(f), NP_LINT_MISSING_ANNOTATION);
}

/* ---- isolation coverage and unisolated-pod ------------------------------------- */

#define WEB_INGRESS_ONLY NETPOL("prod", "web") "  podSelector: {matchLabels: {app: web}}\n"

static void coverage_lists_the_pods_no_policy_isolates(void **state)
{
	struct fixture *f = with_cluster(state, WEB_INGRESS_ONLY);
	const struct np_lint_coverage *c = &run(f)->coverage;
	const struct np_lint_namespace_coverage *prod = &c->namespaces[1];

	assert_int_equal(c->n_namespaces, 2);
	assert_string_equal(c->namespaces[0].namespace_name, "kube-system");
	assert_string_equal(prod->namespace_name, "prod");
	assert_int_equal(prod->pods, 3);
	assert_int_equal(prod->host_network, 1);
	assert_int_equal(prod->n_unisolated[NP_DIR_INGRESS], 1);
	assert_string_equal(prod->unisolated[NP_DIR_INGRESS][0]->name, "db");
	assert_int_equal(prod->n_unisolated[NP_DIR_EGRESS], 3);
	assert_int_equal(c->pods, 4);
	assert_int_equal(c->isolated[NP_DIR_INGRESS], 2);
	assert_int_equal(c->isolated[NP_DIR_EGRESS], 0);
	assert_none(&f->report, NP_LINT_UNISOLATED_POD);
}

static const char *const prod_only[] = { "prod" };

static void required_isolation_reports_each_pod(void **state)
{
	struct fixture *f = with_cluster(state, WEB_INGRESS_ONLY);
	const struct np_lint_report *r;
	const struct np_lint_finding *found = NULL;

	f->opts.isolated_namespaces = prod_only;
	f->opts.n_isolated_namespaces = 1;
	r = run(f);
	assert_int_equal(count(r, NP_LINT_UNISOLATED_POD), 3);
	for (size_t i = 0; i < r->n_findings; i++)
		if (strstr(r->findings[i].message, "pod prod/db "))
			found = &r->findings[i];
	assert_non_null(found);
	assert_null(found->policy);
	assert_string_equal(found->file, "<test>");
	assert_int_equal(found->line, np_model_pod(f->model, "prod", "db")->origin.line);
	assert_says(found->message, "is not isolated for ingress or egress");
	assert_says(found->fix, "default deny to namespace prod");
}

static void required_isolation_met_is_quiet(void **state)
{
	struct fixture *f = with_cluster(state, DENY_ALL ALLOW_DNS(BOTH_DNS));

	f->opts.isolated_namespaces = prod_only;
	f->opts.n_isolated_namespaces = 1;
	assert_none(run(f), NP_LINT_UNISOLATED_POD);
}

/* ---- lint-ignore --------------------------------------------------------------- */

/* A policy's lint-ignore suppresses its own findings and exempts the pods
 * it selects from findings anchored elsewhere; both stay in the report. */
static void lint_ignore_suppresses_and_exempts(void **state)
{
	struct fixture *f = with_cluster(
		state, DENY_ALL NETPOL("prod", "db") "  podSelector: {matchLabels: {app: db}}\n"
		       "  ingress:\n" FROM_DB_ON("[{port: 5432}]") FROM_DB_ON("[{port: 5432}]"));
	const struct np_lint_report *r;
	const struct np_lint_finding *web = NULL, *db = NULL, *found;

	annotate(f, "prod", "db", NP_LINT_IGNORE_ANNOTATION, "duplicate-rule, no-dns-egress");
	r = run(f);
	for (size_t i = 0; i < r->n_findings; i++) {
		if (strcmp(r->findings[i].rule, NP_LINT_NO_DNS_EGRESS) != 0)
			continue;
		if (r->findings[i].suppressed_by)
			db = &r->findings[i];
		else
			web = &r->findings[i];
	}
	assert_non_null(web);
	assert_non_null(db);
	assert_pods(web, "prod/web-1, prod/web-2");
	assert_pods(db, "prod/db");
	assert_ptr_equal(db->suppressed_by, policy_named(f, "prod", "db"));
	found = find(r, NP_LINT_DUPLICATE_RULE, "prod/db", "spec.ingress[1]");
	assert_ptr_equal(found->suppressed_by, policy_named(f, "prod", "db"));
	assert_int_equal(r->n_suppressed, 2);
	assert_int_equal(np_lint_active(r), r->n_findings - 2);
}

static void lint_ignore_of_another_rule_suppresses_nothing(void **state)
{
	struct fixture *f = with_cluster(state, DENY_ALL);

	annotate(f, "prod", "deny-all", NP_LINT_IGNORE_ANNOTATION, "no-dns");
	run(f);
	assert_null(find(&f->report, NP_LINT_NO_DNS_EGRESS, "prod/deny-all",
			 "spec.policyTypes")->suppressed_by);
	assert_int_equal(f->report.n_suppressed, 0);
}

/* ---- the report ---------------------------------------------------------------- */

static void findings_are_sorted_by_file_line_and_field(void **state)
{
	struct fixture *f = with_cluster(
		state, NETPOL("prod", "b") "  podSelector: {matchLabels: {app: nope}}\n"
		       "  ingress: [{ports: [{port: htpp}]}]\n"
		       NETPOL("prod", "a") "  podSelector: {matchLabels: {app: nope}}\n");
	const struct np_lint_report *r = run(f);

	assert_int_equal(r->n_findings, 2);
	assert_string_equal(r->findings[0].policy->name, "b");
	assert_string_equal(r->findings[1].policy->name, "a");
	assert_true(r->findings[0].line < r->findings[1].line);
	assert_int_equal(np_lint_active(r), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		TEST(selects_no_pod_names_the_labels_there),
		TEST(selects_no_pod_in_an_empty_namespace),
		TEST(selects_no_pod_never_counts_host_network_pods),
		TEST(selects_no_pod_quiet_when_pods_are_selected),
		TEST(rules_needing_pods_are_not_checked_without_them),
		TEST(deny_all_leaves_pods_without_dns),
		TEST(dns_allowed_on_both_protocols_is_quiet),
		TEST(dns_pods_refusing_queries_are_blamed),
		TEST(dns_is_judged_against_a_stand_in),
		TEST(dns_stand_in_admitted_by_the_guides_policy),
		TEST(dns_over_udp_only),
		TEST(dns_over_tcp_only),
		TEST(namespace_selector_on_a_missing_label),
		TEST(namespace_selector_on_a_missing_value),
		TEST(namespace_selector_that_matches_is_quiet),
		TEST(pod_selector_peer_that_matches_nothing),
		TEST(pod_selector_in_the_wrong_namespace),
		TEST(pod_selector_alone_stays_in_its_namespace),
		TEST(pod_selector_peer_that_matches_is_quiet),
		TEST(namespace_selector_unchecked_without_namespaces),
		TEST(named_port_typo),
		TEST(named_port_of_another_protocol),
		TEST(named_port_declared_is_quiet),
		TEST(named_port_of_egress_peers),
		TEST(ipblock_over_the_pod_network),
		TEST(ipblock_excepting_the_pod_network_is_quiet),
		TEST(ipblock_outside_the_cluster_is_quiet),
		TEST(rule_duplicated_in_a_policy),
		TEST(rule_shadowed_by_a_broader_one),
		TEST(rule_shadowed_by_a_wider_set_of_values),
		TEST(rule_shadowed_by_a_not_in_selector),
		TEST(rules_on_other_ports_are_quiet),
		TEST(ipblock_shadowed_unless_the_broad_one_excepts_it),
		TEST(rule_repeated_by_a_policy_of_the_same_pods),
		TEST(rules_of_policies_of_other_pods_are_quiet),
		TEST(rules_of_a_direction_not_isolated_are_quiet),
		TEST(policy_without_required_annotations),
		TEST(policy_with_required_annotations_is_quiet),
		TEST(coverage_lists_the_pods_no_policy_isolates),
		TEST(required_isolation_reports_each_pod),
		TEST(required_isolation_met_is_quiet),
		TEST(lint_ignore_suppresses_and_exempts),
		TEST(lint_ignore_of_another_rule_suppresses_nothing),
		TEST(findings_are_sorted_by_file_line_and_field),
#undef TEST
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
