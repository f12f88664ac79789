/* test_resolve — naming flow ends and finding a Service's backends.
 *
 *   namespace x      x/web-1 {app: web}  10.0.1.1  http=8080, dns=53/UDP
 *                    x/web-2 {app: web}  10.0.1.2  http=8081, dns=5353/TCP
 *                    x/web-3 {app: web}  10.0.1.3  no ports
 *                    x/api-1 {app: api}  10.0.1.4
 *   namespace y      y/web-y {app: web}  10.0.2.1  http=8080
 *   node n1          192.168.0.10
 *
 *   x/web      10.96.0.1  selector app=web: 80->http, 9090->9091, 53/UDP->dns
 *   x/sliced   10.96.0.2  selector app=api, but EndpointSlices decide: 80->8080
 *   x/plain    10.96.0.3  one unnamed port 80->8080, an EndpointSlice as the
 *                         controller writes it for such a port (name "")
 *   x/manual   10.96.0.4  no selector, no EndpointSlice
 *   x/drained  10.96.0.5  selector app=web, an EndpointSlice with no endpoints
 *   x/dual     10.96.0.6  an IPv4 and an IPv6 EndpointSlice naming the same pods
 */
#include <stdio.h>
#include <string.h>

#include "fixture.h"
#include "resolve.h"

#define POD(ns, name, labels, ip, ports)                                                    \
	"---\napiVersion: v1\nkind: Pod\n"                                                  \
	"metadata: {namespace: '" ns "', name: " name ", labels: " labels "}\n"               \
	"spec: {containers: [{name: main, ports: " ports "}]}\n"                          \
	"status: {podIPs: [{ip: " ip "}]}\n"

#define SERVICE(name, ip, selector, ports)                                                  \
	"---\napiVersion: v1\nkind: Service\nmetadata: {namespace: x, name: " name "}\n"    \
	"spec: {clusterIP: " ip ", selector: " selector ", ports: " ports "}\n"

static const char cluster[] =
	"---\napiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n"
	"---\napiVersion: v1\nkind: Node\nmetadata: {name: n1}\n"
	"status: {addresses: [{type: InternalIP, address: 192.168.0.10}]}\n"
	POD("x", "web-1", "{app: web}", "10.0.1.1",
	    "[{name: http, containerPort: 8080}, {name: dns, containerPort: 53, protocol: UDP}]")
	POD("x", "web-2", "{app: web}", "10.0.1.2",
	    "[{name: http, containerPort: 8081}, {name: dns, containerPort: 5353}]")
	POD("x", "web-3", "{app: web}", "10.0.1.3", "[]")
	POD("x", "api-1", "{app: api}", "10.0.1.4", "[]")
	POD("y", "web-y", "{app: web}", "10.0.2.1", "[{name: http, containerPort: 8080}]")
	SERVICE("web", "10.96.0.1", "{app: web}",
		"[{name: http, port: 80, targetPort: http},"
		" {name: metrics, port: 9090, targetPort: 9091},"
		" {name: dns, port: 53, protocol: UDP, targetPort: dns}]")
	SERVICE("sliced", "10.96.0.2", "{app: api}", "[{name: http, port: 80, targetPort: 8080}]")
	"---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
	"metadata: {namespace: x, name: sliced-a1, labels: {kubernetes.io/service-name: sliced}}\n"
	"addressType: IPv4\n"
	"ports: [{name: other, port: 7000}, {name: http, port: 8080}]\n"
	"endpoints:\n"
	"- {addresses: [10.0.1.1], conditions: {ready: true},"
	"  targetRef: {kind: Pod, name: web-1}}\n"
	"- {addresses: [10.0.1.2], conditions: {ready: false},"
	"  targetRef: {kind: Pod, name: web-2}}\n"
	"- {addresses: [203.0.113.5]}\n"
	"- {addresses: [10.0.1.3], targetRef: {kind: Pod, name: web-3}}\n"
	/* A slice of a same-named Service in another namespace. */
	"---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
	"metadata: {namespace: 'y', name: sliced-y, labels: {kubernetes.io/service-name: sliced}}\n"
	"addressType: IPv4\nports: [{name: http, port: 8080}]\n"
	"endpoints: [{addresses: [10.0.2.1], targetRef: {kind: Pod, name: web-y}}]\n"
	SERVICE("plain", "10.96.0.3", "{app: api}", "[{port: 80, targetPort: 8080}]")
	"---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
	"metadata: {namespace: x, name: plain-b2, labels: {kubernetes.io/service-name: plain}}\n"
	"addressType: IPv4\nports: [{name: '', port: 8080, protocol: TCP}]\n"
	"endpoints: [{addresses: [10.0.1.4], targetRef: {kind: Pod, name: api-1}}]\n"
	SERVICE("drained", "10.96.0.5", "{app: web}", "[{name: http, port: 80, targetPort: http}]")
	"---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
	"metadata: {namespace: x, name: drained-c3,"
	" labels: {kubernetes.io/service-name: drained}}\n"
	"addressType: IPv4\nports: [{name: http, port: 8080}]\nendpoints: []\n"
	SERVICE("dual", "10.96.0.6", "{app: api}", "[{name: http, port: 80, targetPort: 8080}]")
	"---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
	"metadata: {namespace: x, name: dual-v4, labels: {kubernetes.io/service-name: dual}}\n"
	"addressType: IPv4\nports: [{name: http, port: 8080}]\n"
	"endpoints:\n"
	"- {addresses: [10.0.1.4], targetRef: {kind: Pod, name: api-1}}\n"
	"- {addresses: [10.0.1.2], conditions: {ready: false},"
	"  targetRef: {kind: Pod, name: web-2}}\n"
	"---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
	"metadata: {namespace: x, name: dual-v6, labels: {kubernetes.io/service-name: dual}}\n"
	"addressType: IPv6\nports: [{name: http, port: 8080}]\n"
	"endpoints:\n"
	"- {addresses: ['fd00::4'], targetRef: {kind: Pod, name: api-1}}\n"
	"- {addresses: ['fd00::2'], targetRef: {kind: Pod, name: web-2}}\n"
	"---\napiVersion: v1\nkind: Service\nmetadata: {namespace: x, name: manual}\n"
	"spec: {clusterIP: 10.96.0.4, ports: [{port: 80}]}\n";

static int load_cluster(void **state)
{
	*state = np_test_model(cluster, NULL);
	return 0;
}

static int free_cluster(void **state)
{
	np_model_free(*state);
	return 0;
}

static struct np_ip ip_of(const char *text)
{
	struct np_ip ip;

	assert_true(np_ip_parse(text, &ip));
	return ip;
}

static void assert_ip(const struct np_ip *ip, const char *text)
{
	char buf[NP_IP_STRLEN];

	assert_string_equal(np_ip_format(ip, buf, sizeof(buf)), text);
}

static void assert_pod(const struct np_endpoint *end, const char *ns, const char *name)
{
	assert_int_equal(end->kind, NP_END_POD);
	assert_non_null(end->pod);
	assert_string_equal(end->pod->namespace_name, ns);
	assert_string_equal(end->pod->name, name);
}

static const struct np_service *service(const struct np_model *model, const char *name)
{
	const struct np_service *svc = np_model_service(model, "x", name);

	assert_non_null(svc);
	return svc;
}

static const struct np_service_port *port_of(const struct np_service *svc, unsigned port,
					     const char *proto)
{
	enum np_proto p;
	const struct np_service_port *sp;

	assert_true(np_proto_parse(proto, &p));
	sp = np_service_port_for(svc, (uint16_t)port, p);
	assert_non_null(sp);
	return sp;
}

/* ---- addresses ------------------------------------------------------------------------- */

static void test_ip_of_pod_node_and_world(void **state)
{
	const struct np_model *m = *state;
	struct np_ip ip = ip_of("10.0.1.2");
	struct np_endpoint end = np_resolve_ip(m, &ip);

	assert_pod(&end, "x", "web-2");
	assert_ip(&end.ip, "10.0.1.2");

	ip = ip_of("192.168.0.10");
	end = np_resolve_ip(m, &ip);
	assert_int_equal(end.kind, NP_END_NODE);
	assert_non_null(end.node);
	assert_string_equal(end.node->name, "n1");

	ip = ip_of("198.51.100.7");
	end = np_resolve_ip(m, &ip);
	assert_int_equal(end.kind, NP_END_WORLD);
	assert_null(end.pod);
	assert_null(end.node);
	assert_ip(&end.ip, "198.51.100.7");
}

static void test_cluster_ip_alone_is_world(void **state)
{
	/* A ClusterIP is no end by itself: the caller asks for its backends. */
	struct np_ip ip = ip_of("10.96.0.1");
	struct np_endpoint end = np_resolve_ip(*state, &ip);

	assert_int_equal(end.kind, NP_END_WORLD);
	assert_ip(&end.ip, "10.96.0.1");
}

/* ---- names ----------------------------------------------------------------------------- */

static void test_name_of_pod(void **state)
{
	struct np_target t;
	char err[256] = "";

	assert_int_equal(np_resolve_name(*state, "x/web-1", &t, err, sizeof(err)), 0);
	assert_null(t.service);
	assert_pod(&t.end, "x", "web-1");
	assert_ip(&t.end.ip, "10.0.1.1");
	assert_string_equal(err, "");
}

static void test_name_of_service(void **state)
{
	struct np_target t;
	char err[256];

	assert_int_equal(np_resolve_name(*state, "x/sliced", &t, err, sizeof(err)), 0);
	assert_non_null(t.service);
	assert_string_equal(t.service->namespace_name, "x");
	assert_string_equal(t.service->name, "sliced");
}

static void test_name_of_addresses(void **state)
{
	const struct np_model *m = *state;
	struct np_target t;
	char err[256];

	assert_int_equal(np_resolve_name(m, "10.0.2.1", &t, err, sizeof(err)), 0);
	assert_null(t.service);
	assert_pod(&t.end, "y", "web-y");

	assert_int_equal(np_resolve_name(m, "192.168.0.10", &t, err, sizeof(err)), 0);
	assert_int_equal(t.end.kind, NP_END_NODE);
	assert_string_equal(t.end.node->name, "n1");

	assert_int_equal(np_resolve_name(m, "2001:db8::1", &t, err, sizeof(err)), 0);
	assert_null(t.service);
	assert_int_equal(t.end.kind, NP_END_WORLD);
	assert_ip(&t.end.ip, "2001:db8::1");
}

static void test_cluster_ip_names_its_service(void **state)
{
	struct np_target t;
	char err[256];

	assert_int_equal(np_resolve_name(*state, "10.96.0.2", &t, err, sizeof(err)), 0);
	assert_non_null(t.service);
	assert_string_equal(t.service->name, "sliced");
}

static void test_unknown_name_says_what_is_missing(void **state)
{
	const struct np_model *m = *state;
	struct np_target t;
	char err[256];

	assert_int_equal(np_resolve_name(m, "x/ghost", &t, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "x/ghost"));
	assert_non_null(strstr(err, "no pod or service ghost in namespace x"));
	assert_null(strstr(err, "no such namespace"));

	assert_int_equal(np_resolve_name(m, "nowhere/web-1", &t, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no such namespace"));
}

static void test_malformed_names_are_rejected(void **state)
{
	static const char *const bad[] = { "web-1", "/web-1", "x/", "x/web-1/extra", "",
					   "10.0.1.1:80", "999.0.0.1" };
	struct np_target t;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char err[256] = "";

		assert_int_equal(np_resolve_name(*state, bad[i], &t, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "neither namespace/pod"));
	}
}

static void test_long_namespace_does_not_overflow(void **state)
{
	char text[400], err[512];
	struct np_target t;

	memset(text, 'n', 300);
	snprintf(text + 300, sizeof(text) - 300, "/web-1");
	assert_int_equal(np_resolve_name(*state, text, &t, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "neither namespace/pod"));
}

/* ---- service ports --------------------------------------------------------------------- */

static void test_service_port_by_port_and_protocol(void **state)
{
	const struct np_service *web = service(*state, "web");

	assert_string_equal(port_of(web, 80, "TCP")->name, "http");
	assert_string_equal(port_of(web, 53, "UDP")->name, "dns");
	assert_string_equal(port_of(web, 9090, "TCP")->name, "metrics");
	assert_null(np_service_port_for(web, 80, NP_PROTO_UDP));
	assert_null(np_service_port_for(web, 53, NP_PROTO_TCP));
	/* the target port is not a port of the Service */
	assert_null(np_service_port_for(web, 8080, NP_PROTO_TCP));
	assert_null(np_service_port_for(service(*state, "manual"), 81, NP_PROTO_TCP));
}

/* ---- backends by selector -------------------------------------------------------------- */

static void test_selector_named_target_port_per_pod(void **state)
{
	const struct np_model *m = *state;
	const struct np_service *web = service(m, "web");
	struct np_backend b[8];
	size_t n = np_service_backends(m, web, port_of(web, 80, "TCP"), b, 8);

	/* web-3 has no port named http: not a backend; y/web-y is in another
	 * namespace; api-1 does not match. */
	assert_int_equal(n, 2);
	assert_pod(&b[0].end, "x", "web-1");
	assert_int_equal(b[0].port, 8080);
	assert_ip(&b[0].end.ip, "10.0.1.1");
	assert_pod(&b[1].end, "x", "web-2");
	assert_int_equal(b[1].port, 8081);
}

static void test_selector_named_port_needs_same_protocol(void **state)
{
	const struct np_model *m = *state;
	const struct np_service *web = service(m, "web");
	struct np_backend b[8];

	/* web-2's "dns" is TCP: it does not serve the UDP port */
	assert_int_equal(np_service_backends(m, web, port_of(web, 53, "UDP"), b, 8), 1);
	assert_pod(&b[0].end, "x", "web-1");
	assert_int_equal(b[0].port, 53);
}

static void test_selector_numeric_target_port_on_every_pod(void **state)
{
	const struct np_model *m = *state;
	const struct np_service *web = service(m, "web");
	struct np_backend b[8];

	assert_int_equal(np_service_backends(m, web, port_of(web, 9090, "TCP"), b, 8), 3);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(b[i].end.kind, NP_END_POD);
		assert_string_equal(b[i].end.pod->namespace_name, "x");
		assert_int_equal(b[i].port, 9091);
	}
	assert_string_equal(b[2].end.pod->name, "web-3");
}

static void test_count_beyond_max(void **state)
{
	const struct np_model *m = *state;
	const struct np_service *web = service(m, "web");
	const struct np_service_port *sp = port_of(web, 9090, "TCP");
	struct np_backend b[3];

	memset(b, 0xa5, sizeof(b));
	assert_int_equal(np_service_backends(m, web, sp, b, 1), 3);
	assert_pod(&b[0].end, "x", "web-1");
	/* nothing written past max */
	assert_int_equal(b[1].port, 0xa5a5);
	assert_int_equal(np_service_backends(m, web, sp, NULL, 0), 3);
}

static void test_no_selector_no_slices_no_backends(void **state)
{
	const struct np_model *m = *state;
	const struct np_service *manual = service(m, "manual");
	struct np_backend b[4];

	assert_false(manual->has_selector);
	assert_int_equal(np_service_backends(m, manual, port_of(manual, 80, "TCP"), b, 4), 0);
}

/* ---- backends from EndpointSlices ------------------------------------------------------ */

static void test_slices_win_over_selector(void **state)
{
	const struct np_model *m = *state;
	const struct np_service *sliced = service(m, "sliced");
	struct np_backend b[8];
	size_t n = np_service_backends(m, sliced, port_of(sliced, 80, "TCP"), b, 8);

	/* ready endpoints only (web-2 is not ready); the selector's api-1 is
	 * not among them; y's slice of its own "sliced" does not count */
	assert_int_equal(n, 3);
	assert_pod(&b[0].end, "x", "web-1");
	assert_int_equal(b[0].port, 8080);
	/* no targetRef: named by its address */
	assert_int_equal(b[1].end.kind, NP_END_WORLD);
	assert_ip(&b[1].end.ip, "203.0.113.5");
	assert_int_equal(b[1].port, 8080);
	/* no conditions: ready */
	assert_pod(&b[2].end, "x", "web-3");
	assert_int_equal(b[2].port, 8080);
}

static void test_slice_port_found_by_name(void **state)
{
	const struct np_model *m = *state;
	const struct np_service *sliced = service(m, "sliced");
	struct np_backend b[8];

	/* the slice lists "other" (7000) first: the Service port's name picks "http" */
	assert_int_equal(np_service_backends(m, sliced, port_of(sliced, 80, "TCP"), b, 8), 3);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(b[i].port, 8080);
}

static void test_empty_slice_means_no_backends(void **state)
{
	const struct np_model *m = *state;
	const struct np_service *drained = service(m, "drained");
	struct np_backend b[4];

	/* The slices speak for the Service even when they list nobody: its
	 * selector's pods are not ready backends. */
	assert_true(drained->has_selector);
	assert_int_equal(np_service_backends(m, drained, port_of(drained, 80, "TCP"), b, 4), 0);
}

static void test_unnamed_port_matches_controller_slice(void **state)
{
	const struct np_model *m = *state;
	const struct np_service *plain = service(m, "plain");
	struct np_backend b[4];

	/* The controller writes name: "" for the port of a single-port Service
	 * whose port has no name. */
	assert_int_equal(np_service_backends(m, plain, port_of(plain, 80, "TCP"), b, 4), 1);
	assert_pod(&b[0].end, "x", "api-1");
	assert_int_equal(b[0].port, 8080);
}

static void test_dual_stack_slices_name_each_pod_once(void **state)
{
	const struct np_model *m = *state;
	const struct np_service *dual = service(m, "dual");
	struct np_backend b[8];

	/* api-1 is in both slices: once, as the first slice has it; web-2 is
	 * ready only in the IPv6 one: once, from there */
	assert_int_equal(np_service_backends(m, dual, port_of(dual, 80, "TCP"), b, 8), 2);
	assert_pod(&b[0].end, "x", "api-1");
	assert_ip(&b[0].end.ip, "10.0.1.4");
	assert_pod(&b[1].end, "x", "web-2");
	assert_ip(&b[1].end.ip, "fd00::2");
	assert_int_equal(b[1].port, 8080);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ip_of_pod_node_and_world),
		cmocka_unit_test(test_cluster_ip_alone_is_world),
		cmocka_unit_test(test_name_of_pod),
		cmocka_unit_test(test_name_of_service),
		cmocka_unit_test(test_name_of_addresses),
		cmocka_unit_test(test_cluster_ip_names_its_service),
		cmocka_unit_test(test_unknown_name_says_what_is_missing),
		cmocka_unit_test(test_malformed_names_are_rejected),
		cmocka_unit_test(test_long_namespace_does_not_overflow),
		cmocka_unit_test(test_service_port_by_port_and_protocol),
		cmocka_unit_test(test_selector_named_target_port_per_pod),
		cmocka_unit_test(test_selector_named_port_needs_same_protocol),
		cmocka_unit_test(test_selector_numeric_target_port_on_every_pod),
		cmocka_unit_test(test_count_beyond_max),
		cmocka_unit_test(test_no_selector_no_slices_no_backends),
		cmocka_unit_test(test_slices_win_over_selector),
		cmocka_unit_test(test_slice_port_found_by_name),
		cmocka_unit_test(test_empty_slice_means_no_backends),
		cmocka_unit_test(test_unnamed_port_matches_controller_slice),
		cmocka_unit_test(test_dual_stack_slices_name_each_pod_once),
	};

	return cmocka_run_group_tests(tests, load_cluster, free_cluster);
}
