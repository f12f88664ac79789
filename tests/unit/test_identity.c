/* test_identity — naming the ends of observed flows by IP, by cgroup and by
 * Service, and which node reports a flow.
 *
 *   namespace x   x/a {app: a}  10.0.1.1                    uid ...aaaa
 *                 x/b {app: b}  10.0.1.2   http=8080        uid ...bbbb
 *                 x/h host network on n1 (192.168.0.10)     uid ...cccc
 *   x/web  10.96.0.1: 80 -> http (backend x/b)
 *   x/idle 10.96.0.2: 80 -> 8080, selects nothing
 *   nodes  n1 192.168.0.10, n2 192.168.0.11
 *
 * Naming by cgroup uses a fake cgroup v2 tree in a temporary folder:
 *   /kubepods/besteffort/pod<uid of x/h>/<container id>
 *   /kubepods/besteffort/pod<uid not in the model>/<container id>
 *   /system.slice/kubelet.service
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fixture.h"
#include "identity.h"

#define UID_A "0a0a0a0a-0000-4000-8000-00000000aaaa"
#define UID_B "0b0b0b0b-0000-4000-8000-00000000bbbb"
#define UID_H "0c0c0c0c-0000-4000-8000-00000000cccc"
#define UID_GONE "0d0d0d0d-0000-4000-8000-00000000dddd"
#define CID "4f5e6d7c8b9a0f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899a"

#define POD(name, uid, labels, ip, ports)                                                   \
	"---\napiVersion: v1\nkind: Pod\n"                                                  \
	"metadata: {namespace: x, name: " name ", uid: " uid ", labels: " labels "}\n"      \
	"spec: {nodeName: n1, containers: [{name: main, ports: " ports "}]}\n"            \
	"status: {podIPs: [{ip: " ip "}]}\n"

static const char cluster[] =
	"---\napiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n"
	"---\napiVersion: v1\nkind: Node\nmetadata: {name: n1}\n"
	"status: {addresses: [{type: InternalIP, address: 192.168.0.10}]}\n"
	"---\napiVersion: v1\nkind: Node\nmetadata: {name: n2}\n"
	"status: {addresses: [{type: InternalIP, address: 192.168.0.11}]}\n"
	POD("a", UID_A, "{app: a}", "10.0.1.1", "[]")
	POD("b", UID_B, "{app: b}", "10.0.1.2", "[{name: http, containerPort: 8080}]")
	"---\napiVersion: v1\nkind: Pod\n"
	"metadata: {namespace: x, name: h, uid: " UID_H ", labels: {app: h}}\n"
	"spec: {nodeName: n1, hostNetwork: true, containers: [{name: main}]}\n"
	"status: {podIPs: [{ip: 192.168.0.10}]}\n"
	"---\napiVersion: v1\nkind: Service\nmetadata: {namespace: x, name: web}\n"
	"spec: {clusterIP: 10.96.0.1, selector: {app: b},"
	" ports: [{name: http, port: 80, targetPort: http}]}\n"
	"---\napiVersion: v1\nkind: Service\nmetadata: {namespace: x, name: idle}\n"
	"spec: {clusterIP: 10.96.0.2, selector: {app: nobody},"
	" ports: [{port: 80, targetPort: 8080}]}\n";

static const char *const cgroup_dirs[] = {
	"/kubepods",
	"/kubepods/besteffort",
	"/kubepods/besteffort/pod" UID_H,
	"/kubepods/besteffort/pod" UID_H "/" CID,
	"/kubepods/besteffort/pod" UID_GONE,
	"/kubepods/besteffort/pod" UID_GONE "/" CID,
	"/system.slice",
	"/system.slice/kubelet.service",
};

struct fixture {
	struct np_model *model;
	char root[64];
	struct np_named_flow named;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->model = np_test_model(cluster, NULL);
	strcpy(f->root, "/tmp/npw-identity-XXXXXX");
	assert_non_null(mkdtemp(f->root));
	for (size_t i = 0; i < sizeof(cgroup_dirs) / sizeof(cgroup_dirs[0]); i++) {
		char path[PATH_MAX];

		snprintf(path, sizeof(path), "%s%s", f->root, cgroup_dirs[i]);
		if (mkdir(path, 0755) != 0)
			fail_msg("mkdir %s: %s", path, strerror(errno));
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->root);
	assert_int_equal(system(cmd), 0);
	np_model_free(f->model);
	free(f);
	return 0;
}

static uint64_t cgroup_id(const struct fixture *f, const char *rel)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s%s", f->root, rel);
	if (stat(path, &st) != 0)
		fail_msg("stat %s: %s", path, strerror(errno));
	return (uint64_t)st.st_ino;
}

static struct np_identity *identity_of(const char *node, const char *cgroup_root)
{
	char err[256] = "";
	struct np_identity *identity = np_identity_new(node, cgroup_root, err, sizeof(err));

	if (!identity)
		fail_msg("np_identity_new: %s", err);
	return identity;
}

static struct np_flow_addr addr(const char *ip, uint16_t port)
{
	struct np_flow_addr a = { .port = port };

	if (ip)
		assert_true(np_ip_parse(ip, &a.ip));
	return a;
}

static struct np_observation observed(enum np_flow_direction direction, enum np_proto proto,
				      struct np_flow_addr src, struct np_flow_addr dst)
{
	struct np_observation obs = { .direction = direction, .proto = proto, .src = src,
				      .dst = dst };

	return obs;
}

static struct np_observation outbound(const char *src, const char *dst, uint16_t port)
{
	return observed(NP_FLOW_OUTBOUND, NP_PROTO_TCP, addr(src, 41000), addr(dst, port));
}

static struct np_observation inbound(const char *src, const char *dst, uint16_t port)
{
	return observed(NP_FLOW_INBOUND, NP_PROTO_TCP, addr(src, 41000), addr(dst, port));
}

static void assert_pod(const struct np_endpoint *end, const char *name)
{
	assert_int_equal(end->kind, NP_END_POD);
	assert_non_null(end->pod);
	assert_string_equal(end->pod->namespace_name, "x");
	assert_string_equal(end->pod->name, name);
}

static void assert_node(const struct np_endpoint *end, const char *name)
{
	assert_int_equal(end->kind, NP_END_NODE);
	if (!name) {
		assert_null(end->node);
		return;
	}
	assert_non_null(end->node);
	assert_string_equal(end->node->name, name);
}

static void assert_ip(const struct np_ip *ip, const char *text)
{
	char buf[NP_IP_STRLEN];

	assert_string_equal(np_ip_format(ip, buf, sizeof(buf)), text);
}

/* ---- by IP ---------------------------------------------------------------------------- */

static void test_pod_to_pod(void **state)
{
	struct fixture *f = *state;
	struct np_identity *id = identity_of("n1", NULL);
	struct np_observation obs = outbound("10.0.1.1", "10.0.1.2", 8080);

	np_identity_name(id, f->model, &obs, &f->named);
	assert_pod(&f->named.src, "a");
	assert_pod(&f->named.dst, "b");
	assert_null(f->named.service);
	assert_int_equal(f->named.n_backends, 0);
	assert_false(f->named.local_by_cgroup);
	assert_string_equal(f->named.cgroup_path, "");
	assert_true(np_identity_reports_here(&obs, &f->named));
	np_identity_free(id);
}

static void test_pod_to_cluster_ip(void **state)
{
	struct fixture *f = *state;
	struct np_identity *id = identity_of("n1", NULL);
	struct np_observation obs = outbound("10.0.1.1", "10.96.0.1", 80);

	np_identity_name(id, f->model, &obs, &f->named);
	assert_pod(&f->named.src, "a");
	assert_non_null(f->named.service);
	assert_string_equal(f->named.service->name, "web");
	assert_non_null(f->named.service_port);
	assert_string_equal(f->named.service_port->name, "http");
	assert_int_equal(f->named.n_backends, 1);
	assert_pod(&f->named.backends[0].end, "b");
	assert_int_equal(f->named.backends[0].port, 8080);
	/* the ClusterIP itself is no end */
	assert_int_equal(f->named.dst.kind, NP_END_WORLD);
	assert_ip(&f->named.dst.ip, "10.96.0.1");
	assert_true(np_identity_reports_here(&obs, &f->named));
	np_identity_free(id);
}

static void test_cluster_ip_on_a_port_it_does_not_serve(void **state)
{
	struct fixture *f = *state;
	struct np_identity *id = identity_of("n1", NULL);
	struct np_observation obs = outbound("10.0.1.1", "10.96.0.1", 81);

	np_identity_name(id, f->model, &obs, &f->named);
	assert_non_null(f->named.service);
	assert_null(f->named.service_port);
	assert_int_equal(f->named.n_backends, 0);
	/* UDP to the TCP port is another port */
	obs = observed(NP_FLOW_OUTBOUND, NP_PROTO_UDP, addr("10.0.1.1", 5000),
		       addr("10.96.0.1", 80));
	np_identity_name(id, f->model, &obs, &f->named);
	assert_null(f->named.service_port);
	np_identity_free(id);
}

static void test_pod_to_world(void **state)
{
	struct fixture *f = *state;
	struct np_identity *id = identity_of("n1", NULL);
	struct np_observation obs = outbound("10.0.1.1", "93.184.216.34", 443);

	np_identity_name(id, f->model, &obs, &f->named);
	assert_pod(&f->named.src, "a");
	assert_int_equal(f->named.dst.kind, NP_END_WORLD);
	assert_ip(&f->named.dst.ip, "93.184.216.34");
	assert_null(f->named.service);
	assert_true(np_identity_reports_here(&obs, &f->named));
	np_identity_free(id);
}

static void test_world_to_pod(void **state)
{
	struct fixture *f = *state;
	struct np_identity *id = identity_of("n1", NULL);
	struct np_observation obs = inbound("198.51.100.7", "10.0.1.2", 8080);

	np_identity_name(id, f->model, &obs, &f->named);
	assert_int_equal(f->named.src.kind, NP_END_WORLD);
	assert_ip(&f->named.src.ip, "198.51.100.7");
	assert_pod(&f->named.dst, "b");
	assert_true(np_identity_reports_here(&obs, &f->named));
	np_identity_free(id);
}

static void test_cluster_ip_as_source_is_not_a_service(void **state)
{
	struct fixture *f = *state;
	struct np_identity *id = identity_of("n1", NULL);
	struct np_observation obs = inbound("10.96.0.1", "10.0.1.2", 8080);

	np_identity_name(id, f->model, &obs, &f->named);
	assert_null(f->named.service);
	assert_int_equal(f->named.src.kind, NP_END_WORLD);
	np_identity_free(id);
}

static void test_local_process_outside_pods_is_this_node(void **state)
{
	struct fixture *f = *state;
	struct np_identity *id = identity_of("n1", NULL);
	struct np_observation obs = outbound("127.0.0.1", "10.0.1.2", 8080);

	np_identity_name(id, f->model, &obs, &f->named);
	assert_node(&f->named.src, "n1");
	assert_ip(&f->named.src.ip, "127.0.0.1");
	assert_false(f->named.local_by_cgroup);
	/* a host process to a pod: the pod's node reports it, as inbound */
	assert_false(np_identity_reports_here(&obs, &f->named));

	/* unbound: no address at all */
	obs = outbound(NULL, "93.184.216.34", 53);
	np_identity_name(id, f->model, &obs, &f->named);
	assert_node(&f->named.src, "n1");
	assert_int_equal(f->named.src.ip.family, 0);
	assert_true(np_identity_reports_here(&obs, &f->named));

	/* the address of another node used here is still this node */
	obs = outbound("192.168.0.11", "93.184.216.34", 53);
	np_identity_name(id, f->model, &obs, &f->named);
	assert_node(&f->named.src, "n1");

	/* the host-network pod's address names the node: no cgroups to ask */
	obs = outbound("192.168.0.10", "10.0.1.2", 8080);
	np_identity_name(id, f->model, &obs, &f->named);
	assert_node(&f->named.src, "n1");
	np_identity_free(id);
}

static void test_node_missing_from_model(void **state)
{
	struct fixture *f = *state;
	struct np_identity *id = identity_of("n9", NULL);
	struct np_observation obs = outbound("127.0.0.1", "10.0.1.2", 8080);

	np_identity_name(id, f->model, &obs, &f->named);
	assert_node(&f->named.src, NULL);
	np_identity_free(id);
}

static void test_inbound_to_host_process(void **state)
{
	struct fixture *f = *state;
	struct np_identity *id = identity_of("n1", NULL);
	struct np_observation obs = inbound("10.0.1.1", "192.168.0.10", 10250);

	np_identity_name(id, f->model, &obs, &f->named);
	assert_pod(&f->named.src, "a");
	assert_node(&f->named.dst, "n1");
	/* a's node reports it, as outbound */
	assert_false(np_identity_reports_here(&obs, &f->named));
	np_identity_free(id);
}

/* ---- by cgroup ------------------------------------------------------------------------- */

static void test_unbound_socket_named_by_cgroup(void **state)
{
	struct fixture *f = *state;
	struct np_identity *id = identity_of("n1", f->root);
	struct np_observation obs = outbound(NULL, "10.0.1.2", 8080);

	obs.cgroup_id = cgroup_id(f, "/kubepods/besteffort/pod" UID_H "/" CID);
	np_identity_name(id, f->model, &obs, &f->named);
	assert_pod(&f->named.src, "h");
	assert_null(f->named.src.node);
	assert_true(f->named.local_by_cgroup);
	assert_string_equal(f->named.cgroup_path, "/kubepods/besteffort/pod" UID_H "/" CID);
	/* no address was seen: the pod's own stands in */
	assert_ip(&f->named.src.ip, "192.168.0.10");
	assert_true(np_identity_reports_here(&obs, &f->named));
	np_identity_free(id);
}

static void test_host_network_pod_named_by_cgroup(void **state)
{
	struct fixture *f = *state;
	struct np_identity *id = identity_of("n1", f->root);
	struct np_observation obs = inbound("198.51.100.7", "192.168.0.10", 9100);

	/* the pod's own cgroup, not a container's, names it too */
	obs.cgroup_id = cgroup_id(f, "/kubepods/besteffort/pod" UID_H);
	np_identity_name(id, f->model, &obs, &f->named);
	assert_int_equal(f->named.src.kind, NP_END_WORLD);
	assert_pod(&f->named.dst, "h");
	assert_ip(&f->named.dst.ip, "192.168.0.10");
	assert_true(f->named.local_by_cgroup);
	assert_true(np_identity_reports_here(&obs, &f->named));
	np_identity_free(id);
}

static void test_pod_address_wins_over_cgroup(void **state)
{
	struct fixture *f = *state;
	struct np_identity *id = identity_of("n1", f->root);
	struct np_observation obs = outbound("10.0.1.1", "10.0.1.2", 8080);

	obs.cgroup_id = cgroup_id(f, "/kubepods/besteffort/pod" UID_H "/" CID);
	np_identity_name(id, f->model, &obs, &f->named);
	assert_pod(&f->named.src, "a");
	assert_false(f->named.local_by_cgroup);
	np_identity_free(id);
}

static void test_cgroups_that_name_no_pod_are_the_node(void **state)
{
	struct fixture *f = *state;
	struct np_identity *id = identity_of("n1", f->root);
	struct np_observation obs = outbound("192.168.0.10", "10.0.1.2", 8080);

	/* a system service */
	obs.cgroup_id = cgroup_id(f, "/system.slice/kubelet.service");
	np_identity_name(id, f->model, &obs, &f->named);
	assert_node(&f->named.src, "n1");
	assert_false(f->named.local_by_cgroup);
	assert_string_equal(f->named.cgroup_path, "/system.slice/kubelet.service");

	/* a pod the model does not know (yet) */
	obs.cgroup_id = cgroup_id(f, "/kubepods/besteffort/pod" UID_GONE "/" CID);
	np_identity_name(id, f->model, &obs, &f->named);
	assert_node(&f->named.src, "n1");
	assert_false(f->named.local_by_cgroup);

	/* an id that is no cgroup, and none at all */
	obs.cgroup_id = 0xfffffffffffULL;
	np_identity_name(id, f->model, &obs, &f->named);
	assert_node(&f->named.src, "n1");
	assert_string_equal(f->named.cgroup_path, "");
	obs.cgroup_id = 0;
	np_identity_name(id, f->model, &obs, &f->named);
	assert_node(&f->named.src, "n1");
	np_identity_free(id);
}

static void test_bad_cgroup_root(void **state)
{
	char err[256] = "";

	(void)state;
	assert_null(np_identity_new("n1", "/nonexistent/cgroup", err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent/cgroup"));
	np_identity_free(NULL);
}

/* ---- which node reports ------------------------------------------------------------------ */

static struct np_endpoint pod_end(const struct fixture *f, const char *name)
{
	return np_test_pod(f->model, "x", name);
}

static struct np_endpoint world_end(void)
{
	return (struct np_endpoint){ .kind = NP_END_WORLD };
}

static struct np_endpoint node_end(const struct fixture *f)
{
	return (struct np_endpoint){ .kind = NP_END_NODE, .node = &f->model->nodes[0] };
}

static bool reports(enum np_flow_direction direction, struct np_endpoint src,
		    struct np_endpoint dst)
{
	struct np_observation obs = { .direction = direction };
	struct np_named_flow named = { .src = src, .dst = dst };

	return np_identity_reports_here(&obs, &named);
}

static void test_reports_here_by_source_pod(void **state)
{
	struct fixture *f = *state;
	struct np_endpoint ends[] = { pod_end(f, "b"), world_end(), node_end(f) };

	/* a pod's flows are its node's, whatever the other end */
	for (size_t i = 0; i < sizeof(ends) / sizeof(ends[0]); i++) {
		assert_true(reports(NP_FLOW_OUTBOUND, pod_end(f, "a"), ends[i]));
		assert_false(reports(NP_FLOW_INBOUND, pod_end(f, "a"), ends[i]));
	}
}

static void test_reports_here_by_destination_pod(void **state)
{
	struct fixture *f = *state;

	/* from anything but a pod to a pod: the destination's node */
	assert_true(reports(NP_FLOW_INBOUND, world_end(), pod_end(f, "b")));
	assert_true(reports(NP_FLOW_INBOUND, node_end(f), pod_end(f, "b")));
	assert_false(reports(NP_FLOW_OUTBOUND, world_end(), pod_end(f, "b")));
	assert_false(reports(NP_FLOW_OUTBOUND, node_end(f), pod_end(f, "b")));
}

static void test_reports_here_between_non_pods(void **state)
{
	struct fixture *f = *state;

	/* where it starts: the outbound end */
	assert_true(reports(NP_FLOW_OUTBOUND, node_end(f), world_end()));
	assert_true(reports(NP_FLOW_OUTBOUND, node_end(f), node_end(f)));
	assert_false(reports(NP_FLOW_INBOUND, node_end(f), node_end(f)));
	assert_false(reports(NP_FLOW_INBOUND, world_end(), node_end(f)));
}

static void test_reports_here_through_a_service(void **state)
{
	struct fixture *f = *state;
	struct np_identity *id = identity_of("n1", NULL);
	struct np_observation obs = outbound("127.0.0.1", "10.96.0.1", 80);

	/* a host process to a Service with pod backends: the backend's node
	 * reports it when it arrives */
	np_identity_name(id, f->model, &obs, &f->named);
	assert_node(&f->named.src, "n1");
	assert_int_equal(f->named.n_backends, 1);
	assert_false(np_identity_reports_here(&obs, &f->named));

	/* no backends: nobody else sees it, so here */
	obs = outbound("127.0.0.1", "10.96.0.2", 80);
	np_identity_name(id, f->model, &obs, &f->named);
	assert_string_equal(f->named.service->name, "idle");
	assert_int_equal(f->named.n_backends, 0);
	assert_true(np_identity_reports_here(&obs, &f->named));

	/* from a pod: always here */
	obs = outbound("10.0.1.1", "10.96.0.1", 80);
	np_identity_name(id, f->model, &obs, &f->named);
	assert_true(np_identity_reports_here(&obs, &f->named));
	np_identity_free(id);
}

#define TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_pod_to_pod),
		TEST(test_pod_to_cluster_ip),
		TEST(test_cluster_ip_on_a_port_it_does_not_serve),
		TEST(test_pod_to_world),
		TEST(test_world_to_pod),
		TEST(test_cluster_ip_as_source_is_not_a_service),
		TEST(test_local_process_outside_pods_is_this_node),
		TEST(test_node_missing_from_model),
		TEST(test_inbound_to_host_process),
		TEST(test_unbound_socket_named_by_cgroup),
		TEST(test_host_network_pod_named_by_cgroup),
		TEST(test_pod_address_wins_over_cgroup),
		TEST(test_cgroups_that_name_no_pod_are_the_node),
		TEST(test_bad_cgroup_root),
		TEST(test_reports_here_by_source_pod),
		TEST(test_reports_here_by_destination_pod),
		TEST(test_reports_here_between_non_pods),
		TEST(test_reports_here_through_a_service),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
