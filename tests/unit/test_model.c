/* Tests for the cluster model: arena, growth, finalisation (synthesised
 * namespaces, sorting, staged replacement), the IP index and lookups. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "model.h"

static struct np_labels labels_of(struct np_model *m, const struct np_label *items, size_t n)
{
	struct np_label *copy = np_model_alloc(m, n * sizeof(*copy));

	memcpy(copy, items, n * sizeof(*copy));
	return (struct np_labels){ .items = copy, .count = n };
}

static const struct np_ip *ip_of(struct np_model *m, const char *text)
{
	struct np_ip *ip = np_model_alloc(m, sizeof(*ip));

	if (!np_ip_parse(text, ip))
		fail_msg("bad address %s", text);
	return ip;
}

static struct np_pod *add_pod(struct np_model *m, const char *ns, const char *name,
			      const char *ip)
{
	struct np_pod *pod = np_model_add_pod(m);

	pod->namespace_name = np_model_strdup(m, ns);
	pod->name = np_model_strdup(m, name);
	if (ip) {
		pod->ips = ip_of(m, ip);
		pod->n_ips = 1;
	}
	return pod;
}

static struct np_policy *add_policy(struct np_model *m, const char *ns, const char *name,
				    bool staged)
{
	struct np_policy *policy = np_model_add_policy(m);

	policy->namespace_name = ns;
	policy->name = name;
	policy->staged = staged;
	return policy;
}

static void test_protocols(void **state)
{
	enum np_proto proto = NP_PROTO_TCP;

	(void)state;
	assert_string_equal(np_proto_name(NP_PROTO_TCP), "TCP");
	assert_string_equal(np_proto_name(NP_PROTO_UDP), "UDP");
	assert_string_equal(np_proto_name(NP_PROTO_SCTP), "SCTP");
	assert_true(np_proto_parse("SCTP", &proto));
	assert_int_equal(proto, NP_PROTO_SCTP);
	assert_true(np_proto_parse("UDP", &proto));
	assert_int_equal(proto, NP_PROTO_UDP);
	/* Exact names only, as the API validates them. */
	assert_false(np_proto_parse("tcp", &proto));
	assert_false(np_proto_parse("ICMP", &proto));
	assert_false(np_proto_parse("", &proto));
	assert_int_equal(proto, NP_PROTO_UDP);
}

static void test_labels_get(void **state)
{
	static const struct np_label items[] = {
		{ "app", "web" }, { "env", "prod" }, { "k8s.io/x", "1" }, { "tier", "" },
	};
	struct np_labels labels = { .items = items, .count = 4 };
	struct np_labels none = { 0 };

	(void)state;
	assert_string_equal(np_labels_get(&labels, "app"), "web");
	assert_string_equal(np_labels_get(&labels, "env"), "prod");
	assert_string_equal(np_labels_get(&labels, "k8s.io/x"), "1");
	assert_string_equal(np_labels_get(&labels, "tier"), "");
	assert_null(np_labels_get(&labels, "ap"));
	assert_null(np_labels_get(&labels, "zzz"));
	assert_null(np_labels_get(&none, "app"));
}

static void test_arena_memory_is_zeroed_and_aligned(void **state)
{
	struct np_model *m = np_model_new();

	(void)state;
	assert_non_null(m);
	for (size_t size = 1; size < 200000; size = size * 3 + 1) {
		unsigned char *p = np_model_alloc(m, size);

		assert_int_equal((uintptr_t)p % _Alignof(max_align_t), 0);
		for (size_t i = 0; i < size; i++)
			assert_int_equal(p[i], 0);
		memset(p, 0xab, size);
	}
	/* Small requests after a large one still come from a shared chunk. */
	char *a = np_model_alloc(m, 8), *b = np_model_alloc(m, 8);

	assert_ptr_equal(b, a + _Alignof(max_align_t));
	assert_string_equal(np_model_strdup(m, "kube-system"), "kube-system");
	assert_string_equal(np_model_strdup(m, ""), "");
	np_model_free(m);
	np_model_free(NULL);
}

static void test_arrays_grow_and_keep_contents(void **state)
{
	struct np_model *m = np_model_new();
	char name[32];

	(void)state;
	for (int i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "pod-%04d", 999 - i);
		struct np_pod *pod = add_pod(m, "ns", name, NULL);

		assert_null(pod->uid);
		assert_int_equal(pod->n_ips, 0);
	}
	assert_int_equal(m->n_pods, 1000);
	np_model_finalize(m);
	assert_true(m->finalized);
	for (int i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "pod-%04d", i);
		assert_string_equal(m->pods[i].name, name);
		assert_ptr_equal(np_model_pod(m, "ns", name), &m->pods[i]);
	}
	np_model_free(m);
}

static void test_finalize_synthesizes_and_labels_namespaces(void **state)
{
	static const struct np_label prod_labels[] = { { "env", "prod" }, { "team", "a" } };
	static const struct np_label wrong_labels[] = { { "kubernetes.io/metadata.name", "x" } };
	struct np_model *m = np_model_new();
	struct np_namespace *ns;
	const struct np_namespace *found;

	(void)state;
	ns = np_model_add_namespace(m);
	ns->name = "prod";
	ns->labels = labels_of(m, prod_labels, 2);
	ns = np_model_add_namespace(m);
	ns->name = "odd";
	ns->labels = labels_of(m, wrong_labels, 1);
	add_pod(m, "prod", "web", NULL);
	add_pod(m, "apps", "api", NULL);
	add_pod(m, "apps", "db", NULL);
	np_model_add_service(m)->namespace_name = "svc-only";
	np_model_add_slice(m)->namespace_name = "slice-only";
	add_policy(m, "policy-only", "deny", false);
	np_model_finalize(m);

	assert_int_equal(m->n_namespaces, 6);
	const char *expected[] = { "apps", "odd", "policy-only", "prod", "slice-only", "svc-only" };

	for (size_t i = 0; i < 6; i++) {
		assert_string_equal(m->namespaces[i].name, expected[i]);
		assert_string_equal(np_labels_get(&m->namespaces[i].labels,
						  "kubernetes.io/metadata.name"),
				    expected[i]);
	}
	found = np_model_namespace(m, "prod");
	assert_non_null(found);
	assert_false(found->synthesized);
	/* The label went in key order among the loaded ones. */
	assert_int_equal(found->labels.count, 3);
	assert_string_equal(found->labels.items[0].key, "env");
	assert_string_equal(found->labels.items[1].key, "kubernetes.io/metadata.name");
	assert_string_equal(found->labels.items[2].key, "team");
	found = np_model_namespace(m, "apps");
	assert_true(found->synthesized);
	assert_int_equal(found->labels.count, 1);
	/* A wrong value is corrected, as the API server would. */
	found = np_model_namespace(m, "odd");
	assert_int_equal(found->labels.count, 1);
	assert_string_equal(found->labels.items[0].value, "odd");
	assert_null(np_model_namespace(m, "nope"));

	assert_ptr_equal(np_model_pod(m, "apps", "api")->ns, np_model_namespace(m, "apps"));
	assert_ptr_equal(np_model_pod(m, "prod", "web")->ns, np_model_namespace(m, "prod"));
	np_model_free(m);
}

static void test_policies_sorted_and_replaced_when_staged(void **state)
{
	struct np_model *m = np_model_new();

	(void)state;
	add_policy(m, "prod", "web", true);
	add_policy(m, "prod", "web", false);
	add_policy(m, "dev", "only-staged", true);
	add_policy(m, "prod", "api", false);
	add_policy(m, "dev", "only-in-force", false);
	np_model_finalize(m);

	assert_int_equal(m->n_policies, 5);
	assert_string_equal(m->policies[0].name, "only-in-force");
	assert_string_equal(m->policies[1].name, "only-staged");
	assert_string_equal(m->policies[2].name, "api");
	assert_string_equal(m->policies[3].name, "web");
	assert_false(m->policies[3].staged);
	assert_true(m->policies[3].replaced_when_staged);
	assert_string_equal(m->policies[4].name, "web");
	assert_true(m->policies[4].staged);
	assert_false(m->policies[4].replaced_when_staged);
	assert_false(m->policies[0].replaced_when_staged);
	assert_false(m->policies[1].replaced_when_staged);
	assert_false(m->policies[2].replaced_when_staged);
	np_model_free(m);
}

static void test_ip_index_precedence(void **state)
{
	struct np_model *m = np_model_new();
	struct np_node *node;
	struct np_service *svc;
	struct np_pod *pod;
	struct np_ip *node_ips, *pod_ips;
	struct np_ip probe;
	const struct np_ip_index_entry *entry;

	(void)state;
	add_pod(m, "prod", "web", "10.0.0.5");
	pod = add_pod(m, "prod", "dual", NULL);
	pod_ips = np_model_alloc(m, 2 * sizeof(*pod_ips));
	np_ip_parse("10.0.0.6", &pod_ips[0]);
	np_ip_parse("fd00::6", &pod_ips[1]);
	pod->ips = pod_ips;
	pod->n_ips = 2;
	pod = add_pod(m, "kube-system", "proxy", "192.168.1.10");
	pod->host_network = true;
	/* A pod with a node's address (not host-network) is named as the pod. */
	add_pod(m, "prod", "squatter", "192.168.1.11");

	node = np_model_add_node(m);
	node->name = "node-a";
	node_ips = np_model_alloc(m, 2 * sizeof(*node_ips));
	np_ip_parse("192.168.1.10", &node_ips[0]);
	np_ip_parse("192.168.1.11", &node_ips[1]);
	node->addresses = node_ips;
	node->n_addresses = 2;

	svc = np_model_add_service(m);
	svc->namespace_name = "prod";
	svc->name = "web";
	svc->cluster_ips = ip_of(m, "10.96.0.10");
	svc->n_cluster_ips = 1;
	np_model_finalize(m);

	np_ip_parse("10.0.0.5", &probe);
	entry = np_model_lookup_ip(m, &probe);
	assert_non_null(entry);
	assert_int_equal(entry->owner, NP_IP_POD);
	assert_string_equal(((const struct np_pod *)entry->object)->name, "web");
	assert_ptr_equal(entry->object, np_model_pod(m, "prod", "web"));

	np_ip_parse("fd00::6", &probe);
	entry = np_model_lookup_ip(m, &probe);
	assert_non_null(entry);
	assert_string_equal(((const struct np_pod *)entry->object)->name, "dual");

	np_ip_parse("192.168.1.10", &probe);
	entry = np_model_lookup_ip(m, &probe);
	assert_non_null(entry);
	assert_int_equal(entry->owner, NP_IP_NODE);
	assert_string_equal(((const struct np_node *)entry->object)->name, "node-a");

	np_ip_parse("192.168.1.11", &probe);
	entry = np_model_lookup_ip(m, &probe);
	assert_int_equal(entry->owner, NP_IP_POD);
	assert_string_equal(((const struct np_pod *)entry->object)->name, "squatter");

	np_ip_parse("::ffff:10.96.0.10", &probe);
	entry = np_model_lookup_ip(m, &probe);
	assert_non_null(entry);
	assert_int_equal(entry->owner, NP_IP_SERVICE);
	assert_ptr_equal(entry->object, np_model_service(m, "prod", "web"));

	np_ip_parse("10.0.0.7", &probe);
	assert_null(np_model_lookup_ip(m, &probe));
	/* One entry per address. */
	assert_int_equal(m->n_ip_index, 6);
	np_model_free(m);
}

static void test_lookups(void **state)
{
	struct np_model *m = np_model_new();
	struct np_service *svc;

	(void)state;
	add_pod(m, "b", "x", NULL)->uid = "uid-3";
	add_pod(m, "a", "y", NULL)->uid = "uid-1";
	add_pod(m, "a", "x", NULL);
	add_pod(m, "a", "z", NULL)->uid = "uid-2";
	svc = np_model_add_service(m);
	svc->namespace_name = "a";
	svc->name = "web";
	svc = np_model_add_service(m);
	svc->namespace_name = "a";
	svc->name = "api";
	np_model_finalize(m);

	assert_string_equal(m->pods[0].name, "x");
	assert_string_equal(m->pods[0].namespace_name, "a");
	assert_string_equal(np_model_pod(m, "b", "x")->namespace_name, "b");
	assert_null(np_model_pod(m, "b", "y"));
	assert_null(np_model_pod(m, "c", "x"));
	assert_ptr_equal(np_model_pod_by_uid(m, "uid-1"), np_model_pod(m, "a", "y"));
	assert_ptr_equal(np_model_pod_by_uid(m, "uid-2"), np_model_pod(m, "a", "z"));
	assert_ptr_equal(np_model_pod_by_uid(m, "uid-3"), np_model_pod(m, "b", "x"));
	assert_null(np_model_pod_by_uid(m, "uid-4"));
	assert_string_equal(np_model_service(m, "a", "api")->name, "api");
	assert_string_equal(np_model_service(m, "a", "web")->name, "web");
	assert_null(np_model_service(m, "b", "web"));
	np_model_free(m);
}

static void test_empty_model(void **state)
{
	struct np_model *m = np_model_new();
	struct np_ip probe;

	(void)state;
	np_model_finalize(m);
	np_model_finalize(m);
	assert_int_equal(m->n_namespaces, 0);
	assert_null(np_model_namespace(m, "default"));
	assert_null(np_model_pod(m, "default", "x"));
	assert_null(np_model_pod_by_uid(m, "u"));
	assert_null(np_model_service(m, "default", "x"));
	np_ip_parse("10.0.0.1", &probe);
	assert_null(np_model_lookup_ip(m, &probe));
	np_model_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_protocols),
		cmocka_unit_test(test_labels_get),
		cmocka_unit_test(test_arena_memory_is_zeroed_and_aligned),
		cmocka_unit_test(test_arrays_grow_and_keep_contents),
		cmocka_unit_test(test_finalize_synthesizes_and_labels_namespaces),
		cmocka_unit_test(test_policies_sorted_and_replaced_when_staged),
		cmocka_unit_test(test_ip_index_precedence),
		cmocka_unit_test(test_lookups),
		cmocka_unit_test(test_empty_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
