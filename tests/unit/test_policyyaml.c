/* test_policyyaml — NetworkPolicies rendered as YAML and diffed: what the
 * model holds renders back to itself through the manifest loader, the YAML
 * has the layout and quoting it promises, and diffs read as diff -u writes
 * them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "policyyaml.h"

/* What the model holds renders back to itself: suggest rebuilds the staged
 * set from it, so every field must survive, and strings YAML could misread
 * stay strings. */
static void test_policies_render_back_to_themselves(void **state)
{
	static const char policy_yaml[] =
		"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
		"metadata:\n"
		"  namespace: production\n"
		"  name: every-field\n"
		"  annotations: {owner: shop-team, npwatch.io/lint-ignore: 'no', note: ''}\n"
		"spec:\n"
		"  podSelector:\n    matchLabels: {app: 'y', version: '1.10'}\n"
		"    matchExpressions:\n"
		"      - {key: tier, operator: In, values: [web, api]}\n"
		"      - {key: canary, operator: DoesNotExist}\n"
		"  policyTypes: [Ingress, Egress]\n"
		"  ingress:\n"
		"    - from:\n"
		"        - namespaceSelector: {matchLabels: {team: 'no'}}\n"
		"          podSelector:\n"
		"            matchExpressions:\n"
		"              - {key: app, operator: NotIn, values: ['on']}\n"
		"        - ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16, 10.2.0.0/16]}\n"
		"      ports: [{port: http}, {protocol: UDP, port: 5000, endPort: 5010},\n"
		"              {protocol: SCTP}]\n"
		"    - {}\n"
		"  egress:\n"
		"    - to: [{ipBlock: {cidr: 'fd00::/8'}}, {namespaceSelector: {}}]\n";
	struct np_model *model = np_test_model(policy_yaml, NULL);
	json_t *json, *again;
	char *yaml, *yaml_again;
	struct np_model *reloaded;

	(void)state;
	assert_int_equal(model->n_policies, 1);
	json = np_policy_json(&model->policies[0]);
	yaml = np_policy_yaml(json);
	assert_non_null(strstr(yaml, "app: \"y\"\n"));
	assert_non_null(strstr(yaml, "version: \"1.10\"\n"));
	assert_non_null(strstr(yaml, "team: \"no\"\n"));
	assert_non_null(strstr(yaml, "  annotations:\n    note: \"\"\n"
				     "    npwatch.io/lint-ignore: \"no\"\n    owner: shop-team\n"));
	reloaded = np_test_model(yaml, NULL);
	again = np_policy_json(&reloaded->policies[0]);
	yaml_again = np_policy_yaml(again);
	assert_string_equal(yaml_again, yaml);
	assert_true(json_equal(json, again));
	free(yaml_again);
	json_decref(again);
	np_model_free(reloaded);
	free(yaml);
	json_decref(json);
	np_model_free(model);
}

/* Block style in the object's key order, sequences indented under their
 * key, empty collections in flow style, and strings quoted and escaped
 * whenever a plain scalar could read as something else. */
static void test_yaml_layout_and_quoting(void **state)
{
	json_t *object = json_pack(
		"{s:s, s:{s:s, s:s, s:s, s:s}, s:{s:{}, s:[s], s:[{s:[{s:i}, {s:s}]}, {}], s:[],"
		" s:b, s:n, s:f}}",
		"kind", "NetworkPolicy", "metadata", "name", "web", "note", "say \"hi\"\n\tbye",
		"version", "1.10", "owner", "", "spec", "podSelector", "policyTypes", "Ingress",
		"ingress", "ports", "port", 80, "port", "http", "egress", "enabled", 1, "nothing",
		"ratio", 0.5);
	char *yaml;

	(void)state;
	assert_non_null(object);
	yaml = np_policy_yaml(object);
	assert_string_equal(yaml, "kind: NetworkPolicy\n"
				  "metadata:\n"
				  "  name: web\n"
				  "  note: \"say \\\"hi\\\"\\n\\tbye\"\n"
				  "  version: \"1.10\"\n"
				  "  owner: \"\"\n"
				  "spec:\n"
				  "  podSelector: {}\n"
				  "  policyTypes:\n"
				  "    - Ingress\n"
				  "  ingress:\n"
				  "    - ports:\n"
				  "        - port: 80\n"
				  "        - port: http\n"
				  "    - {}\n"
				  "  egress: []\n"
				  "  enabled: true\n"
				  "  nothing: null\n"
				  "  ratio: 0.5\n");
	free(yaml);
	json_decref(object);
}

static void assert_diff(const char *old_text, const char *new_text, const char *expected)
{
	char *diff = np_unified_diff("old", old_text, "new", new_text);

	assert_string_equal(diff, expected);
	free(diff);
}

/* As diff -u writes it: three lines of context, nearby changes in one
 * hunk, counts of 1 left out, an empty range at the line before. */
static void test_unified_diff(void **state)
{
	(void)state;
	assert_diff("a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\n", "a\nb\nc\nd\ne\nF\ng\nh\ni\nj\nk\nl\n",
		    "--- old\n+++ new\n"
		    "@@ -3,9 +3,10 @@\n c\n d\n e\n-f\n+F\n g\n h\n i\n j\n k\n+l\n");
	assert_diff("a\nb\n", "a\nb\n", "");
	assert_diff("1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n",
		    "0\n1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n",
		    "--- old\n+++ new\n@@ -1,3 +1,4 @@\n+0\n 1\n 2\n 3\n"
		    "@@ -9,4 +10,3 @@\n 9\n 10\n 11\n-12\n");
	assert_diff("x\n", "", "--- old\n+++ new\n@@ -1 +0,0 @@\n-x\n");
}

/* "line 1\n" ... "line n\n", with line changed (0: none) reading "changed". */
static char *numbered_lines(size_t n, size_t changed)
{
	char *text = malloc(n * 16 + 1), *at = text;

	assert_non_null(text);
	*at = '\0';
	for (size_t i = 1; i <= n; i++)
		at += i == changed ? sprintf(at, "changed\n") : sprintf(at, "line %zu\n", i);
	return text;
}

/* Texts too long to compare line by line are shown replaced whole: still
 * a diff that patch applies, only a longer one. */
static void test_long_texts_diff_whole(void **state)
{
	static const char headers[] = "--- old\n+++ new\n@@ -1,5000 +1,5000 @@\n";
	char *old_text = numbered_lines(5000, 0), *new_text = numbered_lines(5000, 2500);
	char *diff = np_unified_diff("old", old_text, "new", new_text);
	size_t removed = 0, added = 0;
	const char *line;

	(void)state;
	assert_true(strncmp(diff, headers, strlen(headers)) == 0);
	for (line = diff; *line; line = strchr(line, '\n') + 1) {
		removed += line[0] == '-' && line[1] != '-';
		added += line[0] == '+' && line[1] != '+';
	}
	assert_int_equal(removed, 5000);
	assert_int_equal(added, 5000);
	assert_non_null(strstr(diff, "\n+changed\n"));
	free(diff);
	free(new_text);
	free(old_text);
}

/* Two renderings of one policy differ by the lines of what changed. */
static void test_rendered_policies_diff_by_what_changed(void **state)
{
	struct np_model *model = np_test_model(
		"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
		"metadata: {namespace: shop, name: allow-web}\n"
		"spec:\n  podSelector: {matchLabels: {app: web}}\n"
		"  ingress: [{ports: [{port: 8080}]}]\n",
		NULL);
	json_t *old_json = np_policy_json(&model->policies[0]);
	json_t *new_json = json_deep_copy(old_json);
	json_t *ports = json_object_get(
		json_array_get(json_object_get(json_object_get(new_json, "spec"), "ingress"), 0),
		"ports");
	char *old_yaml, *new_yaml, *diff;

	(void)state;
	json_array_append_new(ports, json_pack("{s:s, s:i}", "protocol", "TCP", "port", 9090));
	old_yaml = np_policy_yaml(old_json);
	new_yaml = np_policy_yaml(new_json);
	diff = np_unified_diff("shop/allow-web (now)", old_yaml, "shop/allow-web (patched)",
			       new_yaml);
	assert_string_equal(diff, "--- shop/allow-web (now)\n"
				  "+++ shop/allow-web (patched)\n"
				  "@@ -13,3 +13,5 @@\n"
				  "     - ports:\n"
				  "         - protocol: TCP\n"
				  "           port: 8080\n"
				  "+        - protocol: TCP\n"
				  "+          port: 9090\n");
	free(diff);
	free(new_yaml);
	free(old_yaml);
	json_decref(new_json);
	json_decref(old_json);
	np_model_free(model);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policies_render_back_to_themselves),
		cmocka_unit_test(test_yaml_layout_and_quoting),
		cmocka_unit_test(test_unified_diff),
		cmocka_unit_test(test_long_texts_diff_whole),
		cmocka_unit_test(test_rendered_policies_diff_by_what_changed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
