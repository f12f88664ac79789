/* test_workload — naming the workload of a flow end from ownerReferences,
 * and the stable labels a suggested policy may select by.
 *
 *   shop: frontend x2 (ReplicaSet frontend-7d9c6b5f4, pod-template-hash)
 *         api (ReplicaSet api-5f7b8c9d6, no hash label), legacy (ReplicaSet
 *         web-frontend), db-0 (StatefulSet), agent (DaemonSet), jobs of a
 *         CronJob and of a person, etl (another kind), a static pod, a bare
 *         pod, a pod with two owners
 *   node n1 192.168.0.10
 */
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "workload.h"

#define POD(name, labels, owners)                                                              \
	"---\napiVersion: v1\nkind: Pod\nmetadata: {namespace: shop, name: " name               \
	", labels: " labels ", ownerReferences: " owners "}\nspec: {containers: [{name: c}]}\n"
#define OWNER(kind, name) "{apiVersion: v1, kind: " kind ", name: " name ", controller: true}"

static const char cluster[] =
	"---\napiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n"
	"---\napiVersion: v1\nkind: Node\nmetadata: {name: n1}\n"
	"status: {addresses: [{type: InternalIP, address: 192.168.0.10}]}\n"
	POD("frontend-7d9c6b5f4-x2x9k",
	    "{app: frontend, tier: web, version: v1, pod-template-hash: 7d9c6b5f4}",
	    "[" OWNER("ReplicaSet", "frontend-7d9c6b5f4") "]")
	POD("frontend-7d9c6b5f4-q8w7z",
	    "{app: frontend, tier: web, version: v2, pod-template-hash: 7d9c6b5f4}",
	    "[" OWNER("ReplicaSet", "frontend-7d9c6b5f4") "]")
	POD("api-5f7b8c9d6-abcde", "{app: api}", "[" OWNER("ReplicaSet", "api-5f7b8c9d6") "]")
	POD("web-frontend-zzzzz", "{app: legacy}", "[" OWNER("ReplicaSet", "web-frontend") "]")
	POD("cache-v2-zzzzz", "{app: cache, pod-template-hash: 5f7b8c9d6}",
	    "[" OWNER("ReplicaSet", "cache-v2") "]")
	POD("db-0", "{app: db, controller-revision-hash: db-6d5f7c9b8,"
	    " statefulset.kubernetes.io/pod-name: db-0, apps.kubernetes.io/pod-index: '0'}",
	    "[" OWNER("StatefulSet", "db") "]")
	POD("agent-x7k2p", "{app: agent, pod-template-generation: '3'}",
	    "[" OWNER("DaemonSet", "agent") "]")
	POD("backup-28931460-j4k5l", "{app: backup, job-name: backup-28931460, controller-uid: u1,"
	    " batch.kubernetes.io/job-name: backup-28931460,"
	    " batch.kubernetes.io/controller-uid: u1}",
	    "[" OWNER("Job", "backup-28931460") "]")
	POD("migrate-2-h7j8k", "{app: migrate}", "[" OWNER("Job", "migrate-2") "]")
	POD("etl-driver", "{app: etl}", "[" OWNER("SparkApplication", "etl") "]")
	POD("kube-apiserver-n1", "{component: kube-apiserver}", "[" OWNER("Node", "n1") "]")
	POD("debug", "{run: debug}", "[]")
	POD("adopted-abcde", "{app: adopted}",
	    "[{apiVersion: v1, kind: ConfigMap, name: owner-hint},"
	    " {apiVersion: apps/v1, kind: ReplicaSet, name: adopted-7c6d5b4f9, controller: true}]");

static int setup(void **state)
{
	*state = np_test_model(cluster, NULL);
	return 0;
}

static int teardown(void **state)
{
	np_model_free(*state);
	return 0;
}

static void assert_workload(const struct np_model *model, const char *pod, const char *expected)
{
	char name[NP_WORKLOAD_MAX];
	struct np_endpoint end = np_test_pod(model, "shop", pod);

	np_pod_workload(end.pod, name, sizeof(name));
	assert_string_equal(name, expected);
	np_endpoint_workload(&end, name, sizeof(name));
	assert_string_equal(name, expected);
}

static void test_replicaset_folds_to_its_deployment(void **state)
{
	/* By the pod's pod-template-hash label, and without one by the shape. */
	assert_workload(*state, "frontend-7d9c6b5f4-x2x9k", "Deployment/frontend");
	assert_workload(*state, "frontend-7d9c6b5f4-q8w7z", "Deployment/frontend");
	assert_workload(*state, "api-5f7b8c9d6-abcde", "Deployment/api");
}

static void test_replicaset_without_a_hash_keeps_its_name(void **state)
{
	/* "frontend" has vowels, "v2" is too short, and the label does not
	 * match: not a pod-template-hash. */
	assert_workload(*state, "web-frontend-zzzzz", "ReplicaSet/web-frontend");
	assert_workload(*state, "cache-v2-zzzzz", "ReplicaSet/cache-v2");
}

static void test_controllers_by_kind(void **state)
{
	assert_workload(*state, "db-0", "StatefulSet/db");
	assert_workload(*state, "agent-x7k2p", "DaemonSet/agent");
	assert_workload(*state, "etl-driver", "SparkApplication/etl");
}

static void test_jobs_of_a_cronjob_fold_to_it(void **state)
{
	assert_workload(*state, "backup-28931460-j4k5l", "CronJob/backup");
	/* A short number is more likely a person's own Job. */
	assert_workload(*state, "migrate-2-h7j8k", "Job/migrate-2");
}

static void test_pods_of_no_controller_are_themselves(void **state)
{
	assert_workload(*state, "debug", "Pod/debug");
	/* A static pod's mirror is owned by its Node: not "Node/n1". */
	assert_workload(*state, "kube-apiserver-n1", "Pod/kube-apiserver-n1");
}

static void test_the_controller_owner_wins(void **state)
{
	assert_workload(*state, "adopted-abcde", "Deployment/adopted");
}

static void test_nodes_and_the_world(void **state)
{
	const struct np_model *model = *state;
	char name[NP_WORKLOAD_MAX];
	struct np_endpoint node = np_test_ip(model, "192.168.0.10");
	struct np_endpoint world = np_test_ip(model, "203.0.113.5");
	struct np_endpoint unknown_node = { .kind = NP_END_NODE };
	struct np_endpoint nowhere = { .kind = NP_END_WORLD };

	assert_int_equal(node.kind, NP_END_NODE);
	np_endpoint_workload(&node, name, sizeof(name));
	assert_string_equal(name, "node n1");
	assert_int_equal(world.kind, NP_END_WORLD);
	np_endpoint_workload(&world, name, sizeof(name));
	assert_string_equal(name, "203.0.113.5");
	assert_true(np_ip_parse("192.168.0.99", &unknown_node.ip));
	np_endpoint_workload(&unknown_node, name, sizeof(name));
	assert_string_equal(name, "node 192.168.0.99");
	np_endpoint_workload(&nowhere, name, sizeof(name));
	assert_string_equal(name, "unknown");
}

static void test_a_small_buffer_is_cut_not_overrun(void **state)
{
	char name[8];
	struct np_endpoint end = np_test_pod(*state, "shop", "frontend-7d9c6b5f4-x2x9k");

	memset(name, 'x', sizeof(name));
	np_endpoint_workload(&end, name, sizeof(name));
	assert_string_equal(name, "Deploym");
}

static void test_stable_labels(void **state)
{
	const struct np_pod *job = np_test_pod(*state, "shop", "backup-28931460-j4k5l").pod;
	const struct np_pod *db = np_test_pod(*state, "shop", "db-0").pod;
	struct np_label out[8];

	assert_false(np_label_is_stable("pod-template-hash"));
	assert_false(np_label_is_stable("batch.kubernetes.io/anything"));
	assert_true(np_label_is_stable("app"));
	assert_true(np_label_is_stable("batch.example.com/job-name"));

	assert_int_equal(np_stable_labels(&job->labels, out, 8), 1);
	assert_string_equal(out[0].key, "app");
	assert_string_equal(out[0].value, "backup");
	assert_int_equal(np_stable_labels(&db->labels, out, 8), 1);
	assert_string_equal(out[0].key, "app");
	/* The count is of all of them, whatever fits. */
	assert_int_equal(np_stable_labels(&db->labels, out, 0), 1);
}

static void test_labels_every_pod_of_a_workload_carries(void **state)
{
	struct np_label out[8];

	/* version differs between the two pods; the hash is not stable. */
	assert_int_equal(np_workload_labels(*state, "shop", "Deployment/frontend", out, 8), 2);
	assert_string_equal(out[0].key, "app");
	assert_string_equal(out[0].value, "frontend");
	assert_string_equal(out[1].key, "tier");
	assert_string_equal(out[1].value, "web");
	assert_int_equal(np_workload_labels(*state, "shop", "Deployment/frontend", out, 1), 2);
	assert_string_equal(out[0].key, "app");
	assert_int_equal(np_workload_labels(*state, "shop", "StatefulSet/db", out, 8), 1);
	assert_int_equal(np_workload_labels(*state, "shop", "Deployment/nothing", out, 8), 0);
	assert_int_equal(np_workload_labels(*state, "elsewhere", "Deployment/frontend", out, 8), 0);
}

static void test_pods_of_a_namespace(void **state)
{
	const struct np_model *model = *state;
	size_t n;
	const struct np_pod *pods = np_namespace_pods(model, "shop", &n);

	assert_int_equal(n, model->n_pods);
	assert_ptr_equal(pods, model->pods);
	assert_null(np_namespace_pods(model, "elsewhere", &n));
	assert_int_equal(n, 0);
	assert_null(np_namespace_pods(model, "a", &n));
	assert_null(np_namespace_pods(model, "z", &n));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replicaset_folds_to_its_deployment),
		cmocka_unit_test(test_replicaset_without_a_hash_keeps_its_name),
		cmocka_unit_test(test_controllers_by_kind),
		cmocka_unit_test(test_jobs_of_a_cronjob_fold_to_it),
		cmocka_unit_test(test_pods_of_no_controller_are_themselves),
		cmocka_unit_test(test_the_controller_owner_wins),
		cmocka_unit_test(test_nodes_and_the_world),
		cmocka_unit_test(test_a_small_buffer_is_cut_not_overrun),
		cmocka_unit_test(test_stable_labels),
		cmocka_unit_test(test_labels_every_pod_of_a_workload_carries),
		cmocka_unit_test(test_pods_of_a_namespace),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
