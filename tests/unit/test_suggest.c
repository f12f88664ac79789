/* test_suggest — allow-policy suggestions from observed flows, and their proof.
 *
 *   production   frontend ×2 {app: my-app, component: frontend}  http 8080, metrics 9090
 *                backend     {app: my-app, component: backend}   http 8080, metrics 9090
 *                db-0        {app: postgres, component: db}      postgres 5432 (StatefulSet)
 *   staging      backend, loadgen {app: loadgen}
 *   kube-system  coredns {k8s-app: kube-dns}                     dns 53/UDP, dns-tcp 53/TCP
 *   tools        bare pods a, b, c {app: a|b|c}
 * Deployment pods carry pod-template-hash, the StatefulSet's its pod-name
 * label: neither may appear in a suggestion.
 */
#include <string.h>

#include "fixture.h"
#include "policyyaml.h"
#include "suggest.h"
#include "yamljson.h"

#define NS(name) "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: " name "}\n"

#define HTTP_PORTS "{name: http, containerPort: 8080}, {name: metrics, containerPort: 9090}"
#define DNS_PORTS                                                                           \
	"{name: dns, containerPort: 53, protocol: UDP}, "                                   \
	"{name: dns-tcp, containerPort: 53, protocol: TCP}"

#define DEPLOY_POD(ns, app, hash, suffix, labels, ports, ip)                                \
	"---\napiVersion: v1\nkind: Pod\n"                                                  \
	"metadata:\n  namespace: " ns "\n  name: " app "-" hash "-" suffix "\n"             \
	"  labels: {" labels ", pod-template-hash: '" hash "'}\n"                           \
	"  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: " app "-" hash   \
	", uid: u-" app ", controller: true}]\n"                                            \
	"spec: {containers: [{name: main, ports: [" ports "]}]}\n"                          \
	"status: {podIPs: [{ip: " ip "}]}\n"

#define BARE_POD(ns, name, ip)                                                              \
	"---\napiVersion: v1\nkind: Pod\n"                                                  \
	"metadata: {namespace: " ns ", name: " name ", labels: {app: " name "}}\n"          \
	"spec: {containers: [{name: main, ports: [{containerPort: 80}]}]}\n"               \
	"status: {podIPs: [{ip: " ip "}]}\n"

#define CLUSTER                                                                             \
	NS("production") NS("staging") NS("kube-system") NS("tools")                        \
	DEPLOY_POD("production", "frontend", "7d9c6b5f4", "x2k8p",                          \
		   "app: my-app, component: frontend", HTTP_PORTS, "10.244.1.11")           \
	DEPLOY_POD("production", "frontend", "7d9c6b5f4", "m9n3b",                          \
		   "app: my-app, component: frontend", HTTP_PORTS, "10.244.3.11")           \
	DEPLOY_POD("production", "backend", "5f6b8c7d9", "q4w7e",                           \
		   "app: my-app, component: backend", HTTP_PORTS, "10.244.1.21")            \
	"---\napiVersion: v1\nkind: Pod\n"                                                  \
	"metadata:\n  namespace: production\n  name: db-0\n"                                \
	"  labels: {app: postgres, component: db, statefulset.kubernetes.io/pod-name: db-0}\n" \
	"  ownerReferences: [{apiVersion: apps/v1, kind: StatefulSet, name: db, uid: u-db,"  \
	" controller: true}]\n"                                                             \
	"spec: {containers: [{name: db, ports: [{name: postgres, containerPort: 5432}]}]}\n" \
	"status: {podIPs: [{ip: 10.244.3.31}]}\n"                                           \
	DEPLOY_POD("staging", "backend", "5f6b8c7d9", "q4w7e",                              \
		   "app: my-app, component: backend", HTTP_PORTS, "10.244.2.21")            \
	DEPLOY_POD("staging", "loadgen", "8c9d7f6b5", "z3x5v", "app: loadgen", "",          \
		   "10.244.2.41")                                                           \
	DEPLOY_POD("kube-system", "coredns", "6d4b75cb6d", "k9d2x", "k8s-app: kube-dns",    \
		   DNS_PORTS, "10.244.1.2")                                                 \
	BARE_POD("tools", "a", "10.244.4.1") BARE_POD("tools", "b", "10.244.4.2")           \
	BARE_POD("tools", "c", "10.244.4.3")

#define POLICY(ns, name, spec)                                                              \
	"---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"                     \
	"metadata: {namespace: " ns ", name: " name "}\nspec: " spec "\n"

#define DENY_ALL(ns) POLICY(ns, "deny-all", "{podSelector: {}, policyTypes: [Ingress, Egress]}")

/* The shop's backend policy: ingress from the frontend on http. */
#define ALLOW_BACKEND                                                                       \
	POLICY("production", "allow-backend",                                               \
	       "\n  podSelector: {matchLabels: {app: my-app, component: backend}}\n"        \
	       "  policyTypes: [Ingress]\n"                                                 \
	       "  ingress:\n"                                                               \
	       "    - from: [{podSelector: {matchLabels: {app: my-app, component: frontend}}}]\n" \
	       "      ports: [{protocol: TCP, port: http}]")

/* The database accepts the backend on postgres. */
#define ALLOW_DB                                                                            \
	POLICY("production", "allow-db",                                                    \
	       "\n  podSelector: {matchLabels: {app: postgres}}\n"                          \
	       "  policyTypes: [Ingress]\n"                                                 \
	       "  ingress:\n"                                                               \
	       "    - from: [{podSelector: {matchLabels: {component: backend}}}]\n"         \
	       "      ports: [{protocol: TCP, port: postgres}]")

#define FRONTEND "production/frontend-7d9c6b5f4-x2k8p"
#define FRONTEND_2 "production/frontend-7d9c6b5f4-m9n3b"
#define BACKEND "production/backend-5f6b8c7d9-q4w7e"
#define DB "production/db-0"
#define COREDNS "kube-system/coredns-6d4b75cb6d-k9d2x"
#define LOADGEN "staging/loadgen-8c9d7f6b5-z3x5v"
#define STAGING_BACKEND "staging/backend-5f6b8c7d9-q4w7e"

/* ---- building reports -------------------------------------------------------------------- */

struct end_spec {
	enum np_report_end_kind kind;
	const char *ns, *workload, *sample; /* pods */
	const char *ip;                      /* world and node ends */
};

#define POD_END(ns, workload, sample)                                                       \
	((struct end_spec){ NP_REPORT_POD, ns, workload, sample, NULL })
#define WORLD_END(ip) ((struct end_spec){ NP_REPORT_WORLD, NULL, ip, NULL, ip })

#define TOOLS_END(name) POD_END("tools", "Pod/" name, "tools/" name)
#define FRONTEND_END POD_END("production", "Deployment/frontend", FRONTEND)
#define BACKEND_END POD_END("production", "Deployment/backend", BACKEND)
#define DB_END POD_END("production", "StatefulSet/db", DB)
#define COREDNS_END POD_END("kube-system", "Deployment/coredns", COREDNS)
#define LOADGEN_END POD_END("staging", "Deployment/loadgen", LOADGEN)
#define STAGING_BACKEND_END POD_END("staging", "Deployment/backend", STAGING_BACKEND)

/* The report holds pointers to strings the test owns: nothing to free. */
static struct np_report_end report_end(struct end_spec spec)
{
	return (struct np_report_end){ .kind = spec.kind,
				       .namespace_name = (char *)spec.ns,
				       .workload = (char *)spec.workload,
				       .ip = (char *)spec.ip };
}

static struct np_report_flow observed(struct end_spec src, struct end_spec dst, unsigned port,
				      const char *proto, const char *verdict)
{
	struct np_report_flow flow = { .src = report_end(src),
				       .dst = report_end(dst),
				       .port = (uint16_t)port,
				       .protocol = (char *)proto,
				       .verdict = (char *)verdict,
				       .count = 7,
				       .first_seen = 1795680000,
				       .last_seen = 1795681800 };

	flow.sample_src_pods[0] = (char *)src.sample;
	flow.sample_dst_pods[0] = (char *)dst.sample;
	return flow;
}

static struct np_report report_of(struct np_report_flow *flows, size_t n)
{
	/* 2026-11-26T08:00Z..08:30Z */
	return (struct np_report){ .start = 1795680000, .end = 1795681800, .flows = flows,
				   .n_flows = n };
}

/* ---- running suggest --------------------------------------------------------------------- */

struct run {
	const char *cluster; /* with the policies in force */
	const char *staged;
	struct np_model *model;
	struct np_report report;
	struct np_suggestions suggestions;
	struct np_model *after;
	struct np_suggest_proof proof;
};

static void suggest_opts(struct run *run, const char *cluster, const char *staged,
			 struct np_report_flow *flows, size_t n, bool skip_world)
{
	struct np_suggest_options opts = { .skip_world = skip_world };
	char err[512] = "";

	run->cluster = cluster;
	run->staged = staged;
	run->model = np_test_model(cluster, staged);
	run->report = report_of(flows, n);
	if (np_suggest(run->model, &run->report, &opts, &run->suggestions, err, sizeof(err)) != 0)
		fail_msg("np_suggest failed: %s", err);
}

static void suggest(struct run *run, const char *cluster, const char *staged,
		    struct np_report_flow *flows, size_t n)
{
	suggest_opts(run, cluster, staged, flows, n, false);
}

/* Loads the suggestions as staged policies next to the policies in force
 * and proves them. */
static void prove(struct run *run)
{
	char *staged = np_suggest_staged_yaml(&run->suggestions, run->model);

	run->after = np_test_model(run->cluster, staged);
	free(staged);
	np_suggest_prove(&run->suggestions, run->model, run->after, &run->proof);
}

static void finish(struct run *run)
{
	np_suggestions_free(&run->suggestions);
	np_model_free(run->after);
	np_model_free(run->model);
}

static const struct np_suggestion *item(const struct run *run, const char *ns, const char *name)
{
	for (size_t i = 0; i < run->suggestions.n_items; i++)
		if (strcmp(run->suggestions.items[i].namespace_name, ns) == 0 &&
		    strcmp(run->suggestions.items[i].name, name) == 0)
			return &run->suggestions.items[i];
	fail_msg("no suggestion %s/%s", ns, name);
	return NULL;
}

static json_t *spec_of(const struct np_suggestion *suggestion)
{
	return json_object_get(suggestion->policy, "spec");
}

/* spec.<direction>[rule] */
static json_t *rule_of(const struct np_suggestion *suggestion, const char *direction, size_t rule)
{
	return json_array_get(json_object_get(spec_of(suggestion), direction), rule);
}

/* Compares with what YAML flow text (as in a manifest) reads as. */
static void assert_yaml(const json_t *actual, const char *expected)
{
	struct np_yaml_stream stream;
	char err[256], *got;

	if (np_yaml_parse("<expected>", expected, strlen(expected), &stream, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(stream.n_docs, 1);
	if (!json_equal(actual, stream.docs[0].root)) {
		got = json_dumps(actual, JSON_COMPACT);
		fail_msg("got %s, want %s", got ? got : "nothing", expected);
	}
	np_yaml_stream_free(&stream);
}

/* Lines of a diff that add (sign '+') or remove ('-'), headers left out. */
static size_t count_changed(const char *diff, char sign)
{
	size_t n = 0;

	for (const char *line = diff; *line; line = strchr(line, '\n') + 1)
		n += line[0] == sign && line[1] != sign;
	return n;
}

/* A patch's diff, both sides rendered as YAML. */
static char *patch_diff(const struct np_suggestion *patch)
{
	char *old_yaml = np_policy_yaml(patch->original);
	char *new_yaml = np_policy_yaml(patch->policy);
	char *diff = np_unified_diff("a", old_yaml, "b", new_yaml);

	free(new_yaml);
	free(old_yaml);
	return diff;
}

static void assert_proven(const struct run *run, size_t blocked)
{
	char summary[512];

	np_suggest_proof_summary(&run->proof, summary, sizeof(summary));
	if (!run->proof.ok)
		fail_msg("%s; first failure: %s", summary,
			 run->proof.n_failures ? run->proof.failures[0] : "none");
	assert_int_equal(run->proof.blocked, blocked);
	assert_int_equal(run->proof.now_allowed, blocked);
	assert_int_equal(run->proof.opened_beyond, 0);
	assert_int_equal(run->proof.closed, 0);
	assert_true(run->proof.swept > 0);
}

static bool allowed_after(const struct run *run, const char *from, const char *to, unsigned port,
			  const char *proto)
{
	struct np_endpoint ends[2];
	const char *names[2] = { from, to };

	for (int i = 0; i < 2; i++) {
		const char *slash = strchr(names[i], '/');
		char ns[64];

		if (!slash) {
			ends[i] = np_test_ip(run->after, names[i]);
			continue;
		}
		snprintf(ns, sizeof(ns), "%.*s", (int)(slash - names[i]), names[i]);
		ends[i] = np_test_pod(run->after, ns, slash + 1);
	}
	return np_test_eval(run->after, ends[0], ends[1], port, proto, NP_SCOPE_WITH_STAGED)
		.allowed;
}

/* ---- smallest patches -------------------------------------------------------------------- */

/* frontend -> backend on 9090: allow-backend's rule has the peer, lacks the port. */
static void test_port_miss_patches_the_rule(void **state)
{
	struct np_report_flow flows[] = {
		observed(FRONTEND_END, BACKEND_END, 9090, "TCP", "deny-attempt"),
	};
	struct run run = { 0 };
	const struct np_suggestion *patch;
	char *diff;

	(void)state;
	suggest(&run, CLUSTER ALLOW_BACKEND, NULL, flows, 1);
	assert_int_equal(run.suggestions.n_items, 1);
	patch = item(&run, "production", "allow-backend");
	assert_int_equal(patch->kind, NP_SUGGEST_PATCH);
	assert_int_equal(patch->n_changes, 1);
	assert_string_equal(patch->changes[0], "spec.ingress[0].ports: added TCP 9090");
	assert_yaml(json_object_get(rule_of(patch, "ingress", 0), "ports"),
		    "[{protocol: TCP, port: http}, {protocol: TCP, port: 9090}]");
	assert_string_equal(patch->admits[0],
			    "ingress from production/Deployment/frontend: TCP 9090");

	diff = patch_diff(patch);
	assert_non_null(strstr(diff, "+        - protocol: TCP\n+          port: 9090\n"));
	assert_int_equal(count_changed(diff, '+'), 2);
	assert_int_equal(count_changed(diff, '-'), 0);
	free(diff);

	prove(&run);
	assert_proven(&run, 1);
	assert_true(allowed_after(&run, FRONTEND_2, BACKEND, 9090, "TCP"));
	assert_false(allowed_after(&run, LOADGEN, BACKEND, 9090, "TCP"));
	finish(&run);
}

/* tools/a -> db on 5432: allow-db's rule has the port, lacks the peer; a
 * peer in another namespace comes with its namespace by name. */
static void test_peer_miss_patches_the_rule(void **state)
{
	struct np_report_flow flows[] = {
		observed(TOOLS_END("a"), DB_END, 5432, "TCP", "deny-attempt"),
	};
	struct run run = { 0 };
	const struct np_suggestion *patch;

	(void)state;
	suggest(&run, CLUSTER ALLOW_DB, NULL, flows, 1);
	assert_int_equal(run.suggestions.n_items, 1);
	patch = item(&run, "production", "allow-db");
	assert_int_equal(patch->kind, NP_SUGGEST_PATCH);
	assert_string_equal(patch->changes[0], "spec.ingress[0].from: added tools/Pod/a");
	assert_yaml(json_object_get(rule_of(patch, "ingress", 0), "from"),
		    "[{podSelector: {matchLabels: {component: backend}}},"
		    " {namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: tools}},"
		    "  podSelector: {matchLabels: {app: a}}}]");
	prove(&run);
	assert_proven(&run, 1);
	assert_false(allowed_after(&run, "tools/b", "production/db-0", 5432, "TCP"));
	finish(&run);
}

/* A staged policy is patched as well: the staged set then holds the patched
 * one instead of it (both would be refused as defined twice). */
static void test_staged_policy_is_patched_in_place(void **state)
{
	struct np_report_flow flows[] = {
		observed(FRONTEND_END, BACKEND_END, 9090, "TCP", "would-deny"),
	};
	struct run run = { 0 };
	const struct np_suggestion *patch;
	char *staged;

	(void)state;
	suggest(&run, CLUSTER, DENY_ALL("production") ALLOW_BACKEND, flows, 1);
	patch = item(&run, "production", "allow-backend");
	assert_int_equal(patch->kind, NP_SUGGEST_PATCH);
	assert_true(patch->patched->staged);
	/* The frontend's egress has no rule near: a policy of its own. */
	assert_int_equal(item(&run, "production", "frontend-egress")->kind, NP_SUGGEST_NEW);
	staged = np_suggest_staged_yaml(&run.suggestions, run.model);
	assert_non_null(strstr(staged, "name: deny-all\n"));
	assert_null(strstr(strstr(staged, "name: allow-backend\n") + 1, "name: allow-backend\n"));
	free(staged);
	prove(&run);
	assert_proven(&run, 1);
	finish(&run);
}

/* The staged policy of that name in a model. */
static const struct np_policy *staged_named(const struct np_model *model, const char *name)
{
	for (size_t i = 0; i < model->n_policies; i++)
		if (model->policies[i].staged && strcmp(model->policies[i].name, name) == 0)
			return &model->policies[i];
	fail_msg("no staged policy %s", name);
	return NULL;
}

/* Annotations (an owner, a lint-ignore) survive rendering from the model:
 * in a patch, on both sides of its diff, and in the staged set. */
static void test_patches_keep_annotations(void **state)
{
	static const char staged[] =
		"---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
		"metadata:\n  namespace: production\n  name: allow-backend\n"
		"  annotations: {owner: shop-team, npwatch.io/lint-ignore: shadowed-rule}\n"
		"spec:\n  podSelector: {matchLabels: {app: my-app, component: backend}}\n"
		"  policyTypes: [Ingress]\n"
		"  ingress:\n"
		"    - from: [{podSelector: {matchLabels: {app: my-app, component: frontend}}}]\n"
		"      ports: [{protocol: TCP, port: http}]\n"
		"---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
		"metadata: {namespace: production, name: deny-all,"
		" annotations: {owner: platform}}\n"
		"spec: {podSelector: {}, policyTypes: [Ingress, Egress]}\n";
	static const char annotations[] =
		"{npwatch.io/lint-ignore: shadowed-rule, owner: shop-team}";
	struct np_report_flow flows[] = {
		observed(FRONTEND_END, BACKEND_END, 9090, "TCP", "would-deny"),
	};
	struct run run = { 0 };
	const struct np_suggestion *patch;
	char *yaml, *diff;

	(void)state;
	suggest(&run, CLUSTER, staged, flows, 1);
	patch = item(&run, "production", "allow-backend");
	assert_int_equal(patch->kind, NP_SUGGEST_PATCH);
	assert_yaml(json_object_get(json_object_get(patch->original, "metadata"), "annotations"),
		    annotations);
	assert_yaml(json_object_get(json_object_get(patch->policy, "metadata"), "annotations"),
		    annotations);
	yaml = np_policy_yaml(patch->policy);
	assert_non_null(strstr(yaml, "  annotations:\n"
				     "    npwatch.io/lint-ignore: shadowed-rule\n"
				     "    owner: shop-team\n"
				     "spec:\n"));
	free(yaml);
	/* Only the added port differs. */
	diff = patch_diff(patch);
	assert_int_equal(count_changed(diff, '+'), 2);
	assert_int_equal(count_changed(diff, '-'), 0);
	free(diff);

	prove(&run);
	assert_proven(&run, 1);
	assert_string_equal(
		np_labels_get(&staged_named(run.after, "deny-all")->annotations, "owner"),
		"platform");
	assert_string_equal(
		np_labels_get(&staged_named(run.after, "allow-backend")->annotations, "owner"),
		"shop-team");
	finish(&run);
}

/* A port added to a rule whose peer is a whole namespace would admit more
 * than was seen: a new policy instead. */
static void test_broad_rule_is_not_patched(void **state)
{
	struct np_report_flow flows[] = {
		observed(FRONTEND_END, BACKEND_END, 9090, "TCP", "deny-attempt"),
	};
	struct run run = { 0 };
	const struct np_suggestion *policy;

	(void)state;
	suggest(&run,
		CLUSTER POLICY("production", "allow-backend",
			       "{podSelector: {matchLabels: {component: backend}},"
			       " policyTypes: [Ingress],"
			       " ingress: [{from: [{namespaceSelector: {}}],"
			       "            ports: [{port: 8080}]}]}"),
		NULL, flows, 1);
	assert_int_equal(run.suggestions.n_items, 1);
	policy = item(&run, "production", "backend-ingress");
	assert_int_equal(policy->kind, NP_SUGGEST_NEW);
	prove(&run);
	assert_proven(&run, 1);
	assert_false(allowed_after(&run, LOADGEN, BACKEND, 9090, "TCP"));
	finish(&run);
}

/* ---- new policies ------------------------------------------------------------------------ */

/* With deny-all staged, frontend -> backend needs both ends: one egress and
 * one ingress policy, by stable labels, in one namespace. */
static void test_new_policies_for_a_pair(void **state)
{
	struct np_report_flow flows[] = {
		observed(FRONTEND_END, BACKEND_END, 8080, "TCP", "would-deny"),
		observed(LOADGEN_END, FRONTEND_END, 8080, "TCP", "would-deny"),
	};
	struct run run = { 0 };
	const struct np_suggestion *egress, *ingress, *frontend_in;
	char *yaml;

	(void)state;
	suggest(&run, CLUSTER, DENY_ALL("production"), flows, 2);
	assert_int_equal(run.suggestions.n_items, 3);
	egress = item(&run, "production", "frontend-egress");
	ingress = item(&run, "production", "backend-ingress");
	frontend_in = item(&run, "production", "frontend-ingress");
	assert_yaml(spec_of(egress),
		    "{podSelector: {matchLabels: {app: my-app, component: frontend}},"
		    " policyTypes: [Egress],"
		    " egress: [{to: [{podSelector: {matchLabels: {app: my-app,"
		    "                                            component: backend}}}],"
		    "           ports: [{protocol: TCP, port: 8080}]}]}");
	assert_yaml(spec_of(ingress),
		    "{podSelector: {matchLabels: {app: my-app, component: backend}},"
		    " policyTypes: [Ingress],"
		    " ingress: [{from: [{podSelector: {matchLabels: {app: my-app,"
		    "                                                component: frontend}}}],"
		    "            ports: [{protocol: TCP, port: 8080}]}]}");
	/* Across namespaces: the namespace by its name, the pods by their labels. */
	assert_yaml(json_object_get(rule_of(frontend_in, "ingress", 0), "from"),
		    "[{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: staging}},"
		    "  podSelector: {matchLabels: {app: loadgen}}}]");
	assert_yaml(json_object_get(json_object_get(egress->policy, "metadata"), "annotations"),
		    "{npwatch.io/suggested-from:"
		    "   'report window 2026-11-26T08:00Z..08:30Z, 7 flows',"
		    " npwatch.io/admits: 'egress to production/Deployment/backend: TCP 8080',"
		    " owner: '', justification: ''}");
	for (size_t i = 0; i < run.suggestions.n_items; i++) {
		yaml = np_policy_yaml(run.suggestions.items[i].policy);
		assert_null(strstr(yaml, "pod-template-hash"));
		free(yaml);
	}
	prove(&run);
	assert_proven(&run, 2);
	finish(&run);
}

/* DNS as the guide allows it: kube-dns in kube-system on UDP and TCP 53,
 * though only UDP was seen. */
static void test_dns_gets_udp_and_tcp(void **state)
{
	struct np_report_flow flows[] = {
		observed(FRONTEND_END, COREDNS_END, 53, "UDP", "would-deny"),
	};
	struct run run = { 0 };
	const struct np_suggestion *egress;

	(void)state;
	suggest(&run, CLUSTER, DENY_ALL("production"), flows, 1);
	assert_int_equal(run.suggestions.n_items, 1);
	egress = item(&run, "production", "frontend-egress");
	assert_yaml(rule_of(egress, "egress", 0),
		    "{to: [{namespaceSelector:"
		    "         {matchLabels: {kubernetes.io/metadata.name: kube-system}},"
		    "       podSelector: {matchLabels: {k8s-app: kube-dns}}}],"
		    " ports: [{protocol: TCP, port: 53}, {protocol: UDP, port: 53}]}");
	assert_string_equal(egress->admits[0],
			    "egress to kube-system/Deployment/coredns: TCP 53, UDP 53");
	prove(&run);
	assert_proven(&run, 1);
	assert_true(allowed_after(&run, FRONTEND, COREDNS, 53, "TCP"));
	assert_false(allowed_after(&run, DB, COREDNS, 53, "UDP"));
	finish(&run);
}

/* ---- never broader than observed --------------------------------------------------------- */

/* One pod of three in tools was seen: its labels, not the namespace. */
static void test_one_pod_of_three_is_not_the_namespace(void **state)
{
	struct np_report_flow flows[] = {
		observed(TOOLS_END("a"), BACKEND_END, 8080, "TCP", "would-deny"),
	};
	struct run run = { 0 };

	(void)state;
	suggest(&run, CLUSTER, DENY_ALL("production"), flows, 1);
	assert_yaml(json_object_get(rule_of(item(&run, "production", "backend-ingress"), "ingress",
					    0), "from"),
		    "[{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: tools}},"
		    "  podSelector: {matchLabels: {app: a}}}]");
	prove(&run);
	assert_proven(&run, 1);
	assert_false(allowed_after(&run, "tools/b", BACKEND, 8080, "TCP"));
	finish(&run);
}

/* All three were seen on the same port: the namespace by name stands for them. */
static void test_every_pod_seen_is_the_namespace(void **state)
{
	struct np_report_flow flows[] = {
		observed(TOOLS_END("a"), BACKEND_END, 8080, "TCP", "would-deny"),
		observed(TOOLS_END("b"), BACKEND_END, 8080, "TCP", "would-deny"),
		observed(TOOLS_END("c"), BACKEND_END, 8080, "TCP", "would-deny"),
	};
	struct run run = { 0 };

	(void)state;
	suggest(&run, CLUSTER, DENY_ALL("production"), flows, 3);
	assert_yaml(json_object_get(rule_of(item(&run, "production", "backend-ingress"), "ingress",
					    0), "from"),
		    "[{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: tools}}}]");
	prove(&run);
	assert_proven(&run, 3);
	finish(&run);
}

/* Labels that would also select another workload's pods cannot name the
 * workload: its flow is left denied, with the reason. */
static void test_ambiguous_labels_are_skipped(void **state)
{
	struct np_report_flow flows[] = {
		observed(POD_END("production", "Pod/debug", "production/debug"), BACKEND_END, 8080,
			 "TCP", "would-deny"),
	};
	struct run run = { 0 };

	(void)state;
	suggest(&run,
		CLUSTER "---\napiVersion: v1\nkind: Pod\n"
			"metadata: {namespace: production, name: debug, labels: {app: my-app}}\n"
			"spec: {containers: [{name: main}]}\n"
			"status: {podIPs: [{ip: 10.244.1.99}]}\n",
		DENY_ALL("production"), flows, 1);
	assert_int_equal(run.suggestions.n_items, 0);
	assert_int_equal(run.suggestions.flows[0].state, NP_FLOW_SKIPPED);
	assert_non_null(strstr(run.suggestions.flows[0].reason,
			       "the labels of production/Pod/debug also select pod production/"));
	prove(&run);
	assert_true(run.proof.ok);
	assert_int_equal(run.proof.skipped, 1);
	assert_int_equal(run.proof.still_denied, 1);
	finish(&run);
}

/* ---- addresses --------------------------------------------------------------------------- */

static void test_world_peers_are_host_ipblocks(void **state)
{
	struct np_report_flow flows[] = {
		observed(FRONTEND_END, WORLD_END("203.0.113.9"), 443, "TCP", "would-deny"),
		observed(FRONTEND_END, WORLD_END("2001:db8:5::9"), 443, "TCP", "would-deny"),
		observed(WORLD_END("198.51.100.7"), FRONTEND_END, 8080, "TCP", "would-deny"),
	};
	struct run run = { 0 };

	(void)state;
	suggest(&run, CLUSTER, DENY_ALL("production"), flows, 3);
	assert_yaml(rule_of(item(&run, "production", "frontend-egress"), "egress", 0),
		    "{to: [{ipBlock: {cidr: '2001:db8:5::9/128'}},"
		    "      {ipBlock: {cidr: 203.0.113.9/32}}],"
		    " ports: [{protocol: TCP, port: 443}]}");
	assert_yaml(rule_of(item(&run, "production", "frontend-ingress"), "ingress", 0),
		    "{from: [{ipBlock: {cidr: 198.51.100.7/32}}],"
		    " ports: [{protocol: TCP, port: 8080}]}");
	prove(&run);
	assert_proven(&run, 3);
	assert_false(allowed_after(&run, FRONTEND, "203.0.113.10", 443, "TCP"));
	finish(&run);
}

/* Asked to leave the world alone: no suggestion, and the proof checks the
 * flow stays denied. */
static void test_world_left_denied_on_request(void **state)
{
	struct np_report_flow flows[] = {
		observed(WORLD_END("198.51.100.7"), FRONTEND_END, 8080, "TCP", "would-deny"),
		observed(FRONTEND_END, BACKEND_END, 8080, "TCP", "would-deny"),
	};
	struct run run = { 0 };

	(void)state;
	suggest_opts(&run, CLUSTER, DENY_ALL("production"), flows, 2, true);
	assert_int_equal(run.suggestions.flows[0].state, NP_FLOW_SKIPPED);
	assert_int_equal(run.suggestions.flows[1].state, NP_FLOW_SUGGESTED);
	prove(&run);
	assert_proven(&run, 1);
	assert_int_equal(run.proof.still_denied, 1);
	assert_false(allowed_after(&run, "198.51.100.7", FRONTEND, 8080, "TCP"));
	finish(&run);
}

/* ---- the proof --------------------------------------------------------------------------- */

/* The guide's deny-all staged in production, a day of the shop's traffic
 * observed: with the suggestions staged every observed flow is allowed, and
 * what was not observed stays denied. */
static void test_suggestions_admit_exactly_what_was_observed(void **state)
{
	struct np_report_flow flows[] = {
		observed(FRONTEND_END, BACKEND_END, 8080, "TCP", "would-deny"),
		observed(BACKEND_END, DB_END, 5432, "TCP", "would-deny"),
		observed(FRONTEND_END, COREDNS_END, 53, "UDP", "would-deny"),
		observed(BACKEND_END, COREDNS_END, 53, "UDP", "would-deny"),
		observed(LOADGEN_END, FRONTEND_END, 8080, "TCP", "would-deny"),
		observed(WORLD_END("198.51.100.7"), FRONTEND_END, 8080, "TCP", "would-deny"),
		observed(FRONTEND_END, WORLD_END("203.0.113.9"), 443, "TCP", "would-deny"),
		observed(LOADGEN_END, STAGING_BACKEND_END, 8080, "TCP", "allow"),
	};
	struct run run = { 0 };
	char summary[512];

	(void)state;
	suggest(&run, CLUSTER, DENY_ALL("production"), flows, 8);
	prove(&run);

	/* Every observed flow, from each pod of its workloads. */
	assert_true(allowed_after(&run, FRONTEND, BACKEND, 8080, "TCP"));
	assert_true(allowed_after(&run, FRONTEND_2, BACKEND, 8080, "TCP"));
	assert_true(allowed_after(&run, BACKEND, DB, 5432, "TCP"));
	assert_true(allowed_after(&run, FRONTEND, COREDNS, 53, "UDP"));
	assert_true(allowed_after(&run, BACKEND, COREDNS, 53, "UDP"));
	assert_true(allowed_after(&run, LOADGEN, FRONTEND_2, 8080, "TCP"));
	assert_true(allowed_after(&run, "198.51.100.7", FRONTEND, 8080, "TCP"));
	assert_true(allowed_after(&run, FRONTEND_2, "203.0.113.9", 443, "TCP"));
	assert_true(allowed_after(&run, LOADGEN, STAGING_BACKEND, 8080, "TCP"));

	/* Denied and not observed: still denied. */
	assert_false(allowed_after(&run, STAGING_BACKEND, DB, 5432, "TCP"));
	assert_false(allowed_after(&run, FRONTEND, DB, 5432, "TCP"));
	assert_false(allowed_after(&run, DB, COREDNS, 53, "UDP"));
	assert_false(allowed_after(&run, BACKEND, FRONTEND, 8080, "TCP"));
	assert_false(allowed_after(&run, FRONTEND, BACKEND, 9090, "TCP"));
	assert_false(allowed_after(&run, "tools/a", FRONTEND, 8080, "TCP"));
	assert_false(allowed_after(&run, "192.0.2.44", FRONTEND, 8080, "TCP"));
	assert_false(allowed_after(&run, BACKEND, "203.0.113.9", 443, "TCP"));

	assert_proven(&run, 7);
	assert_int_equal(run.proof.allowed, 1);
	assert_int_equal(run.proof.still_allowed, 1);
	np_suggest_proof_summary(&run.proof, summary, sizeof(summary));
	assert_non_null(strstr(summary, "verified: 7 of 7 observed blocked flows now allowed; "
					"0 previously denied flows opened beyond them"));
	finish(&run);
}

/* The proof is not a formality: a staged policy that admits more than was
 * observed is caught, and so is one that closes what was allowed. */
static void test_proof_catches_too_much_and_too_little(void **state)
{
	struct np_report_flow flows[] = {
		observed(FRONTEND_END, BACKEND_END, 8080, "TCP", "would-deny"),
		observed(LOADGEN_END, STAGING_BACKEND_END, 8080, "TCP", "allow"),
	};
	struct run run = { 0 };
	char *staged, *tampered;

	(void)state;
	suggest(&run, CLUSTER, DENY_ALL("production"), flows, 2);
	staged = np_suggest_staged_yaml(&run.suggestions, run.model);
	/* Everything into production, and staging locked: too much and too little. */
	assert_true(asprintf(&tampered, "%s%s%s", staged,
			     POLICY("production", "allow-all-in",
				    "{podSelector: {}, ingress: [{}]}"),
			     DENY_ALL("staging")) > 0);
	run.after = np_test_model(run.cluster, tampered);
	np_suggest_prove(&run.suggestions, run.model, run.after, &run.proof);
	assert_false(run.proof.ok);
	assert_true(run.proof.opened_beyond > 0);
	assert_true(run.proof.closed > 0);
	assert_int_equal(run.proof.still_allowed, 0);
	free(tampered);
	free(staged);
	finish(&run);
}

/* The same traffic gives the same output, however the report lists it. */
static void test_output_does_not_depend_on_report_order(void **state)
{
	struct np_report_flow forward[] = {
		observed(FRONTEND_END, BACKEND_END, 9090, "TCP", "deny-attempt"),
		observed(FRONTEND_END, BACKEND_END, 9091, "TCP", "deny-attempt"),
		observed(LOADGEN_END, DB_END, 5432, "TCP", "deny-attempt"),
	};
	struct np_report_flow backward[] = { forward[2], forward[1], forward[0] };
	struct run one = { 0 }, two = { 0 };

	(void)state;
	suggest(&one, CLUSTER ALLOW_BACKEND ALLOW_DB, NULL, forward, 3);
	suggest(&two, CLUSTER ALLOW_BACKEND ALLOW_DB, NULL, backward, 3);
	assert_int_equal(one.suggestions.n_items, two.suggestions.n_items);
	for (size_t i = 0; i < one.suggestions.n_items; i++) {
		char *a = np_policy_yaml(one.suggestions.items[i].policy);
		char *b = np_policy_yaml(two.suggestions.items[i].policy);

		assert_string_equal(a, b);
		free(a);
		free(b);
	}
	finish(&one);
	finish(&two);
}

/* A flow whose pods the model does not have is not judged, and said so. */
static void test_unknown_ends_are_reported(void **state)
{
	struct np_report_flow flows[] = {
		observed(POD_END("production", "Deployment/gone", "production/gone-1"), BACKEND_END,
			 8080, "TCP", "would-deny"),
	};
	struct run run = { 0 };

	(void)state;
	suggest(&run, CLUSTER, DENY_ALL("production"), flows, 1);
	assert_int_equal(run.suggestions.n_items, 0);
	assert_int_equal(run.suggestions.flows[0].state, NP_FLOW_UNKNOWN);
	assert_string_equal(run.suggestions.flows[0].reason,
			    "no pod of production/Deployment/gone in the model");
	prove(&run);
	assert_true(run.proof.ok);
	assert_int_equal(run.proof.unknown, 1);
	finish(&run);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_port_miss_patches_the_rule),
		cmocka_unit_test(test_peer_miss_patches_the_rule),
		cmocka_unit_test(test_staged_policy_is_patched_in_place),
		cmocka_unit_test(test_patches_keep_annotations),
		cmocka_unit_test(test_broad_rule_is_not_patched),
		cmocka_unit_test(test_new_policies_for_a_pair),
		cmocka_unit_test(test_dns_gets_udp_and_tcp),
		cmocka_unit_test(test_one_pod_of_three_is_not_the_namespace),
		cmocka_unit_test(test_every_pod_seen_is_the_namespace),
		cmocka_unit_test(test_ambiguous_labels_are_skipped),
		cmocka_unit_test(test_world_peers_are_host_ipblocks),
		cmocka_unit_test(test_world_left_denied_on_request),
		cmocka_unit_test(test_suggestions_admit_exactly_what_was_observed),
		cmocka_unit_test(test_proof_catches_too_much_and_too_little),
		cmocka_unit_test(test_output_does_not_depend_on_report_order),
		cmocka_unit_test(test_unknown_ends_are_reported),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
