/* test_explain — the words and fields a verdict is explained in, exactly as
 * `check` prints them and the daemon logs them. */
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

#define NETPOL(ns, name)                                                                    \
	"---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"                     \
	"metadata: {namespace: '" ns "', name: " name "}\nspec:\n"

/* y/b serves http on 8080; y/deny-all closes namespace y, y/allow-web
 * opens y/b to app=api pods of y on 8080; x/egress lets x/c reach 10/8 on 443
 * only. */
static const char cluster[] =
	"apiVersion: v1\nkind: Namespace\nmetadata: {name: 'x'}\n"
	"---\napiVersion: v1\nkind: Namespace\nmetadata: {name: 'y'}\n"
	"---\napiVersion: v1\nkind: Node\nmetadata: {name: n1}\n"
	"status: {addresses: [{type: InternalIP, address: 192.168.0.10}]}\n"
	POD("x", "a", "{app: api}", "[{ip: 10.0.1.1}]", "[]")
	POD("x", "c", "{app: client}", "[{ip: 10.0.1.3}]", "[]")
	"---\napiVersion: v1\nkind: Pod\n"
	"metadata: {namespace: x, name: host}\n"
	"spec: {hostNetwork: true, containers: [{name: main}]}\n"
	"status: {podIPs: [{ip: 192.168.0.10}]}\n"
	POD("y", "a", "{app: api}", "[{ip: 10.0.2.1}]", "[]")
	POD("y", "b", "{app: web}", "[{ip: 10.0.2.2}]", "[{name: http, containerPort: 8080}]")
	POD("y", "d", "{app: web}", "[{ip: 10.0.2.4}]", "[]")
	NETPOL("y", "deny-all")
	"  podSelector: {}\n"
	"  ingress: []\n"
	NETPOL("y", "allow-web")
	"  podSelector: {matchLabels: {app: web}}\n"
	"  ingress:\n"
	"  - from: [{podSelector: {matchLabels: {app: api}}}]\n"
	"    ports: [{port: 8080}, {port: http}]\n"
	NETPOL("x", "egress")
	"  podSelector: {matchLabels: {app: client}}\n"
	"  policyTypes: [Egress]\n"
	"  egress:\n"
	"  - to: [{ipBlock: {cidr: 10.0.0.0/8}}]\n"
	"    ports: [{port: 443}]\n";

static int setup_model(void **state)
{
	*state = np_test_model(cluster, NULL);
	return 0;
}

static int free_model(void **state)
{
	np_model_free(*state);
	return 0;
}

struct judged {
	struct np_flow flow;
	struct np_verdict verdict;
};

static struct judged judge_in(const struct np_model *model, const char *from, const char *to,
			      unsigned port, const char *proto, enum np_policy_scope scope)
{
	struct judged j = { .flow = { .src = np_test_end(model, from), .dst = np_test_end(model, to),
				      .port = (uint16_t)port } };

	assert_true(np_proto_parse(proto, &j.flow.proto));
	np_evaluate(model, &j.flow, scope, &j.verdict);
	return j;
}

static struct judged judge(const struct np_model *model, const char *from, const char *to,
			   unsigned port, const char *proto)
{
	return judge_in(model, from, to, port, proto, NP_SCOPE_IN_FORCE);
}

static void assert_direction(const struct judged *j, enum np_direction dir, const char *expected)
{
	char buf[1024];

	np_explain_direction(&j->flow, &j->verdict, dir, buf, sizeof(buf));
	assert_string_equal(buf, expected);
}

static void assert_text(const struct judged *j, const char *expected)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	assert_non_null(out);
	np_explain_text(out, &j->flow, &j->verdict);
	assert_int_equal(fclose(out), 0);
	assert_string_equal(text, expected);
	free(text);
}

static void assert_json(const struct judged *j, const char *expected)
{
	json_t *json = np_explain_json(&j->flow, &j->verdict);
	char *text;

	assert_non_null(json);
	text = json_dumps(json, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(json);
	assert_non_null(text);
	assert_string_equal(text, expected);
	free(text);
}

/* ---- text ---------------------------------------------------------------------------- */

static void test_text_denied_without_near_miss(void **state)
{
	struct judged j = judge(*state, "x/a", "y/b", 80, "TCP");

	assert_text(&j,
		    "x/a -> y/b 80/TCP: DENY\n"
		    "  egress  x/a: allowed (no policy isolates x/a for egress)\n"
		    "  ingress y/b: denied (isolated by y/allow-web, y/deny-all; no rule of "
		    "y/allow-web, y/deny-all admits x/a on 80/TCP)\n");
}

static void test_text_allowed_names_the_rule(void **state)
{
	struct judged j = judge(*state, "y/a", "y/b", 8080, "TCP");

	assert_text(&j,
		    "y/a -> y/b 8080/TCP: ALLOW\n"
		    "  egress  y/a: allowed (no policy isolates y/a for egress)\n"
		    "  ingress y/b: allowed by y/allow-web spec.ingress[0] (from[0], ports[0])\n");
}

static void test_nearest_miss_on_port(void **state)
{
	struct judged j = judge(*state, "y/a", "y/b", 80, "TCP");

	assert_direction(&j, NP_DIR_INGRESS,
			 "denied (isolated by y/allow-web, y/deny-all; no rule of y/allow-web, "
			 "y/deny-all admits y/a on 80/TCP); nearest: y/allow-web spec.ingress[0]: "
			 "from[0] matched, port 80/TCP not in ports [8080/TCP, http(=8080)/TCP]");
}

static void test_nearest_miss_on_peer(void **state)
{
	struct judged j = judge(*state, "y/d", "y/b", 8080, "TCP");

	assert_direction(&j, NP_DIR_INGRESS,
			 "denied (isolated by y/allow-web, y/deny-all; no rule of y/allow-web, "
			 "y/deny-all admits y/d on 8080/TCP); nearest: y/allow-web "
			 "spec.ingress[0]: port 8080/TCP matched, from[0] podSelector app=api "
			 "does not match pod labels app=web");
}

static void test_egress_denial_words(void **state)
{
	struct judged j = judge(*state, "x/c", "192.0.2.1", 443, "TCP");

	assert_direction(&j, NP_DIR_EGRESS,
			 "denied (isolated by x/egress; no rule of x/egress admits 192.0.2.1 on "
			 "443/TCP); nearest: x/egress spec.egress[0]: port 443/TCP matched, "
			 "to[0] ipBlock 10.0.0.0/8 does not contain 192.0.2.1");
	assert_direction(&j, NP_DIR_INGRESS,
			 "allowed (192.0.2.1 is not a pod; NetworkPolicy isolates pods only)");
	j = judge(*state, "x/c", "10.0.2.2", 80, "TCP");
	assert_direction(&j, NP_DIR_EGRESS,
			 "denied (isolated by x/egress; no rule of x/egress admits y/b on "
			 "80/TCP); nearest: x/egress spec.egress[0]: to[0] matched, port 80/TCP "
			 "not in ports [443/TCP]");
	j = judge(*state, "x/c", "10.0.2.2", 443, "TCP");
	assert_direction(&j, NP_DIR_EGRESS, "allowed by x/egress spec.egress[0] (to[0], ports[0])");
}

static void test_rule_without_peers_words(void **state)
{
	struct np_model *m = np_test_model(cluster,
		NETPOL("x", "dns")
		"  podSelector: {matchLabels: {app: client}}\n"
		"  policyTypes: [Egress]\n"
		"  egress: [{ports: [{port: 53, protocol: UDP}]}]\n");
	struct judged j = judge_in(m, "x/c", "192.0.2.1", 53, "UDP", NP_SCOPE_WITH_STAGED);

	(void)state;
	assert_direction(&j, NP_DIR_EGRESS, "allowed by x/dns spec.egress[0] (ports[0])");
	j = judge_in(m, "x/c", "192.0.2.1", 80, "TCP", NP_SCOPE_WITH_STAGED);
	assert_direction(&j, NP_DIR_EGRESS,
			 "denied (isolated by x/dns (staged), x/egress; no rule of x/dns (staged), "
			 "x/egress admits 192.0.2.1 on 80/TCP); nearest: x/dns spec.egress[0]: "
			 "any destination matched, port 80/TCP not in ports [53/UDP]");
	np_model_free(m);
}

static void test_ends_that_are_never_isolated(void **state)
{
	struct judged j = judge(*state, "y/b", "y/b", 8080, "TCP");

	assert_direction(&j, NP_DIR_INGRESS,
			 "allowed (y/b to itself: NetworkPolicy never filters a pod's own "
			 "traffic)");
	j = judge(*state, "192.168.0.10", "x/a", 22, "TCP");
	assert_direction(&j, NP_DIR_EGRESS,
			 "allowed (node n1 (192.168.0.10) is not a pod; NetworkPolicy isolates "
			 "pods only)");
	j = judge(*state, "x/host", "x/a", 22, "TCP");
	assert_direction(&j, NP_DIR_EGRESS,
			 "allowed (x/host uses the host network, which NetworkPolicy never "
			 "isolates)");
}

static void test_staged_policies_are_marked(void **state)
{
	struct np_model *m = np_test_model(cluster,
		NETPOL("x", "deny-all")
		"  podSelector: {}\n"
		"  policyTypes: [Ingress]\n");
	struct judged j = judge_in(m, "y/a", "x/a", 80, "TCP", NP_SCOPE_WITH_STAGED);

	(void)state;
	assert_direction(&j, NP_DIR_INGRESS,
			 "denied (isolated by x/deny-all (staged); no rule of x/deny-all (staged) "
			 "admits y/a on 80/TCP)");
	np_model_free(m);
}

static void test_more_policies_than_listed(void **state)
{
	char yaml[4096];
	size_t used = (size_t)snprintf(yaml, sizeof(yaml), "%s", cluster);
	struct np_model *m;
	struct judged j;
	char buf[1024];

	(void)state;
	for (int i = 0; i < NP_EXPLAIN_MAX; i++)
		used += (size_t)snprintf(yaml + used, sizeof(yaml) - used,
					 NETPOL("y", "p%d") "  podSelector: {}\n", i);
	assert_true(used < sizeof(yaml));
	m = np_test_model(yaml, NULL);
	j = judge(m, "x/a", "y/a", 80, "TCP");
	np_explain_direction(&j.flow, &j.verdict, NP_DIR_INGRESS, buf, sizeof(buf));
	assert_int_equal(j.verdict.ingress.n_isolating, NP_EXPLAIN_MAX + 1);
	assert_non_null(strstr(buf, "isolated by y/deny-all, y/p0, y/p1, y/p2, y/p3, y/p4, y/p5, "
				    "y/p6 and 1 more; "));
	np_model_free(m);
}

static void test_text_is_cut_to_the_buffer(void **state)
{
	struct judged j = judge(*state, "y/d", "y/b", 8080, "TCP");
	char buf[24];

	np_explain_direction(&j.flow, &j.verdict, NP_DIR_INGRESS, buf, sizeof(buf));
	assert_string_equal(buf, "denied (isolated by ...");
}

/* ---- JSON ---------------------------------------------------------------------------- */

static void test_json_denied(void **state)
{
	struct judged j = judge(*state, "y/d", "y/b", 8080, "TCP");

	assert_json(&j,
		    "{\"egress\":\"allow\",\"explanation\":{"
		    "\"egress\":{\"allowed\":true,\"allowed_by\":null,\"endpoint\":\"y/d\","
		    "\"isolated\":false,\"nearest_miss\":null,\"policies\":[],"
		    "\"reason\":\"allowed (no policy isolates y/d for egress)\"},"
		    "\"ingress\":{\"allowed\":false,\"allowed_by\":null,\"endpoint\":\"y/b\","
		    "\"isolated\":true,\"nearest_miss\":{\"kind\":\"peer\","
		    "\"policy\":\"y/allow-web\",\"reason\":\"from[0] podSelector app=api does not "
		    "match pod labels app=web\",\"rule\":\"spec.ingress[0]\"},"
		    "\"policies\":[\"y/allow-web\",\"y/deny-all\"],"
		    "\"reason\":\"denied (isolated by y/allow-web, y/deny-all; no rule of "
		    "y/allow-web, y/deny-all admits y/d on 8080/TCP); nearest: y/allow-web "
		    "spec.ingress[0]: port 8080/TCP matched, from[0] podSelector app=api does not "
		    "match pod labels app=web\"}},"
		    "\"ingress\":\"deny\",\"verdict\":\"deny\"}");
}

static void test_json_allowed(void **state)
{
	struct judged j = judge(*state, "y/a", "y/b", 8080, "TCP");

	assert_json(&j,
		    "{\"egress\":\"allow\",\"explanation\":{"
		    "\"egress\":{\"allowed\":true,\"allowed_by\":null,\"endpoint\":\"y/a\","
		    "\"isolated\":false,\"nearest_miss\":null,\"policies\":[],"
		    "\"reason\":\"allowed (no policy isolates y/a for egress)\"},"
		    "\"ingress\":{\"allowed\":true,\"allowed_by\":{\"policy\":\"y/allow-web\","
		    "\"rule\":\"spec.ingress[0]\"},\"endpoint\":\"y/b\",\"isolated\":true,"
		    "\"nearest_miss\":null,\"policies\":[\"y/allow-web\",\"y/deny-all\"],"
		    "\"reason\":\"allowed by y/allow-web spec.ingress[0] (from[0], ports[0])\"}},"
		    "\"ingress\":\"allow\",\"verdict\":\"allow\"}");
}

static void test_json_port_miss(void **state)
{
	struct judged j = judge(*state, "y/a", "y/b", 80, "TCP");
	json_t *json = np_explain_json(&j.flow, &j.verdict);
	json_t *ingress = json_object_get(json_object_get(json, "explanation"), "ingress");
	json_t *miss = json_object_get(ingress, "nearest_miss");

	assert_string_equal(json_string_value(json_object_get(json, "verdict")), "deny");
	assert_string_equal(json_string_value(json_object_get(json, "ingress")), "deny");
	assert_string_equal(json_string_value(json_object_get(miss, "kind")), "port");
	assert_string_equal(json_string_value(json_object_get(miss, "policy")), "y/allow-web");
	assert_string_equal(json_string_value(json_object_get(miss, "rule")), "spec.ingress[0]");
	assert_string_equal(json_string_value(json_object_get(miss, "reason")),
			    "port 80/TCP not in ports [8080/TCP, http(=8080)/TCP]");
	json_decref(json);
}

static void test_json_self(void **state)
{
	struct judged j = judge(*state, "y/b", "y/b", 8080, "TCP");
	json_t *json = np_explain_json(&j.flow, &j.verdict);
	json_t *ingress = json_object_get(json_object_get(json, "explanation"), "ingress");

	assert_string_equal(json_string_value(json_object_get(json, "verdict")), "allow");
	assert_true(json_is_true(json_object_get(ingress, "allowed")));
	assert_true(json_is_true(json_object_get(ingress, "isolated")));
	assert_true(json_is_null(json_object_get(ingress, "allowed_by")));
	assert_int_equal(json_array_size(json_object_get(ingress, "policies")), 2);
	json_decref(json);
}

#define TEST(f) cmocka_unit_test(f)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_text_denied_without_near_miss),
		TEST(test_text_allowed_names_the_rule),
		TEST(test_nearest_miss_on_port),
		TEST(test_nearest_miss_on_peer),
		TEST(test_egress_denial_words),
		TEST(test_rule_without_peers_words),
		TEST(test_ends_that_are_never_isolated),
		TEST(test_staged_policies_are_marked),
		TEST(test_more_policies_than_listed),
		TEST(test_text_is_cut_to_the_buffer),
		TEST(test_json_denied),
		TEST(test_json_allowed),
		TEST(test_json_port_miss),
		TEST(test_json_self),
	};

	return cmocka_run_group_tests(tests, setup_model, free_model);
}
