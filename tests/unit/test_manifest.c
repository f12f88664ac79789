/* Tests for the manifest loader: every kind and field the model holds,
 * YAML and JSON alike, Lists and kubectl output, folders and stdin, the
 * API's defaults, and one test per class of invalid input, each checking
 * that the message names the file, the object and the field path. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "manifest.h"

/* Relative to the repository root, where make runs the tests. */
#define DATA_DIR "tests/unit/data/manifests"

/* ---- helpers ------------------------------------------------------------------ */

struct loaded {
	struct np_model *model;
	struct np_load_stats stats;
};

static struct loaded load_with(const char *text, const char *default_ns, bool staged)
{
	struct np_load_options opts = { .default_namespace = default_ns, .staged = staged };
	struct loaded out = { .model = np_model_new() };
	char err[1024];

	if (np_manifest_load_buffer(out.model, "web.yaml", text, strlen(text), &opts,
				    &out.stats, err, sizeof(err)) != 0) {
		np_model_free(out.model);
		fail_msg("load failed: %s", err);
	}
	np_model_finalize(out.model);
	return out;
}

static struct np_model *load(const char *text)
{
	return load_with(text, NULL, false).model;
}

/* Loading fails with exactly this message. */
static void expect_error(const char *text, const char *expected)
{
	struct np_model *model = np_model_new();
	char err[1024];
	int rc = np_manifest_load_buffer(model, "web.yaml", text, strlen(text), NULL, NULL, err,
					 sizeof(err));

	np_model_free(model);
	assert_int_equal(rc, -1);
	assert_string_equal(err, expected);
}

/* A NetworkPolicy prod/allow-web with the given spec body (indented). */
static char *policy_yaml(const char *spec)
{
	static char buf[4096];

	snprintf(buf, sizeof(buf),
		 "apiVersion: networking.k8s.io/v1\n"
		 "kind: NetworkPolicy\n"
		 "metadata:\n"
		 "  name: allow-web\n"
		 "  namespace: prod\n"
		 "spec:\n"
		 "%s",
		 spec);
	return buf;
}

static void expect_policy_error(const char *spec, const char *expected)
{
	char message[1024];

	snprintf(message, sizeof(message), "web.yaml: NetworkPolicy prod/allow-web: %s", expected);
	expect_error(policy_yaml(spec), message);
}

static const struct np_policy *only_policy(const struct np_model *model)
{
	assert_int_equal(model->n_policies, 1);
	return &model->policies[0];
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *file;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	file = fopen(path, "w");
	assert_non_null(file);
	assert_int_equal(fputs(text, file) >= 0, 1);
	assert_int_equal(fclose(file), 0);
}

static void remove_file(const char *dir, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(unlink(path), 0);
}

/* ---- field-by-field model comparison -------------------------------------------- */

static void same_string(const char *a, const char *b)
{
	if (!a || !b)
		assert_ptr_equal(a, b);
	else
		assert_string_equal(a, b);
}

static void same_labels(const struct np_labels *a, const struct np_labels *b)
{
	assert_int_equal(a->count, b->count);
	for (size_t i = 0; i < a->count; i++) {
		assert_string_equal(a->items[i].key, b->items[i].key);
		assert_string_equal(a->items[i].value, b->items[i].value);
	}
}

static void same_ips(const struct np_ip *a, size_t n_a, const struct np_ip *b, size_t n_b)
{
	assert_int_equal(n_a, n_b);
	for (size_t i = 0; i < n_a; i++)
		assert_true(np_ip_equal(&a[i], &b[i]));
}

static void same_selector(const struct np_selector *a, const struct np_selector *b)
{
	assert_int_equal(a->n_reqs, b->n_reqs);
	for (size_t i = 0; i < a->n_reqs; i++) {
		const struct np_requirement *x = &a->reqs[i], *y = &b->reqs[i];

		assert_string_equal(x->key, y->key);
		assert_int_equal(x->op, y->op);
		assert_int_equal(x->from_match_labels, y->from_match_labels);
		assert_int_equal(x->n_values, y->n_values);
		for (size_t v = 0; v < x->n_values; v++)
			assert_string_equal(x->values[v], y->values[v]);
	}
}

static void same_cidr(const struct np_cidr *a, const struct np_cidr *b)
{
	assert_true(np_ip_equal(&a->net, &b->net));
	assert_int_equal(a->prefix, b->prefix);
}

static void same_rules(const struct np_rule *a, size_t n_a, const struct np_rule *b, size_t n_b)
{
	assert_int_equal(n_a, n_b);
	for (size_t r = 0; r < n_a; r++) {
		assert_int_equal(a[r].n_peers, b[r].n_peers);
		for (size_t p = 0; p < a[r].n_peers; p++) {
			const struct np_peer *x = &a[r].peers[p], *y = &b[r].peers[p];

			assert_int_equal(x->kind, y->kind);
			same_selector(&x->pod_selector, &y->pod_selector);
			same_selector(&x->namespace_selector, &y->namespace_selector);
			if (x->kind != NP_PEER_IPBLOCK)
				continue;
			same_cidr(&x->ipblock.cidr, &y->ipblock.cidr);
			assert_int_equal(x->ipblock.n_except, y->ipblock.n_except);
			for (size_t e = 0; e < x->ipblock.n_except; e++)
				same_cidr(&x->ipblock.except[e], &y->ipblock.except[e]);
		}
		assert_int_equal(a[r].n_ports, b[r].n_ports);
		for (size_t p = 0; p < a[r].n_ports; p++) {
			const struct np_port_rule *x = &a[r].ports[p], *y = &b[r].ports[p];

			assert_int_equal(x->proto, y->proto);
			assert_int_equal(x->kind, y->kind);
			assert_int_equal(x->port, y->port);
			assert_int_equal(x->end_port, y->end_port);
			same_string(x->name, y->name);
		}
	}
}

static void same_pods(const struct np_model *a, const struct np_model *b)
{
	assert_int_equal(a->n_pods, b->n_pods);
	for (size_t i = 0; i < a->n_pods; i++) {
		const struct np_pod *x = &a->pods[i], *y = &b->pods[i];

		assert_string_equal(x->namespace_name, y->namespace_name);
		assert_string_equal(x->name, y->name);
		same_string(x->uid, y->uid);
		same_labels(&x->labels, &y->labels);
		same_ips(x->ips, x->n_ips, y->ips, y->n_ips);
		assert_int_equal(x->host_network, y->host_network);
		same_string(x->node_name, y->node_name);
		assert_int_equal(x->n_ports, y->n_ports);
		for (size_t p = 0; p < x->n_ports; p++) {
			same_string(x->ports[p].name, y->ports[p].name);
			assert_int_equal(x->ports[p].port, y->ports[p].port);
			assert_int_equal(x->ports[p].proto, y->ports[p].proto);
		}
		assert_int_equal(x->n_owners, y->n_owners);
		for (size_t o = 0; o < x->n_owners; o++) {
			same_string(x->owners[o].kind, y->owners[o].kind);
			same_string(x->owners[o].name, y->owners[o].name);
			assert_int_equal(x->owners[o].controller, y->owners[o].controller);
		}
		assert_string_equal(x->ns->name, y->ns->name);
	}
}

static void same_services(const struct np_model *a, const struct np_model *b)
{
	assert_int_equal(a->n_services, b->n_services);
	for (size_t i = 0; i < a->n_services; i++) {
		const struct np_service *x = &a->services[i], *y = &b->services[i];

		assert_string_equal(x->namespace_name, y->namespace_name);
		assert_string_equal(x->name, y->name);
		same_ips(x->cluster_ips, x->n_cluster_ips, y->cluster_ips, y->n_cluster_ips);
		assert_int_equal(x->n_ports, y->n_ports);
		for (size_t p = 0; p < x->n_ports; p++) {
			same_string(x->ports[p].name, y->ports[p].name);
			assert_int_equal(x->ports[p].port, y->ports[p].port);
			assert_int_equal(x->ports[p].proto, y->ports[p].proto);
			assert_int_equal(x->ports[p].target_port, y->ports[p].target_port);
			same_string(x->ports[p].target_port_name, y->ports[p].target_port_name);
		}
		assert_int_equal(x->has_selector, y->has_selector);
		same_selector(&x->selector, &y->selector);
		same_labels(&x->selector_labels, &y->selector_labels);
	}
}

static void same_slices(const struct np_model *a, const struct np_model *b)
{
	assert_int_equal(a->n_slices, b->n_slices);
	for (size_t i = 0; i < a->n_slices; i++) {
		const struct np_endpoint_slice *x = &a->slices[i], *y = &b->slices[i];

		assert_string_equal(x->namespace_name, y->namespace_name);
		assert_string_equal(x->name, y->name);
		same_string(x->service_name, y->service_name);
		assert_int_equal(x->n_ports, y->n_ports);
		for (size_t p = 0; p < x->n_ports; p++) {
			same_string(x->ports[p].name, y->ports[p].name);
			assert_int_equal(x->ports[p].port, y->ports[p].port);
			assert_int_equal(x->ports[p].proto, y->ports[p].proto);
		}
		assert_int_equal(x->n_endpoints, y->n_endpoints);
		for (size_t e = 0; e < x->n_endpoints; e++) {
			const struct np_slice_endpoint *p = &x->endpoints[e], *q = &y->endpoints[e];

			same_ips(p->addresses, p->n_addresses, q->addresses, q->n_addresses);
			assert_int_equal(p->ready, q->ready);
			same_string(p->pod_name, q->pod_name);
			same_string(p->node_name, q->node_name);
		}
	}
}

static void same_models(const struct np_model *a, const struct np_model *b)
{
	assert_int_equal(a->n_namespaces, b->n_namespaces);
	for (size_t i = 0; i < a->n_namespaces; i++) {
		assert_string_equal(a->namespaces[i].name, b->namespaces[i].name);
		assert_int_equal(a->namespaces[i].synthesized, b->namespaces[i].synthesized);
		same_labels(&a->namespaces[i].labels, &b->namespaces[i].labels);
	}
	same_pods(a, b);
	same_services(a, b);
	same_slices(a, b);
	assert_int_equal(a->n_nodes, b->n_nodes);
	for (size_t i = 0; i < a->n_nodes; i++) {
		assert_string_equal(a->nodes[i].name, b->nodes[i].name);
		same_labels(&a->nodes[i].labels, &b->nodes[i].labels);
		same_ips(a->nodes[i].addresses, a->nodes[i].n_addresses, b->nodes[i].addresses,
			 b->nodes[i].n_addresses);
	}
	assert_int_equal(a->n_policies, b->n_policies);
	for (size_t i = 0; i < a->n_policies; i++) {
		const struct np_policy *x = &a->policies[i], *y = &b->policies[i];

		assert_string_equal(x->namespace_name, y->namespace_name);
		assert_string_equal(x->name, y->name);
		same_selector(&x->pod_selector, &y->pod_selector);
		assert_int_equal(x->isolates_ingress, y->isolates_ingress);
		assert_int_equal(x->isolates_egress, y->isolates_egress);
		assert_int_equal(x->staged, y->staged);
		same_rules(x->ingress, x->n_ingress, y->ingress, y->n_ingress);
		same_rules(x->egress, x->n_egress, y->egress, y->n_egress);
	}
	assert_int_equal(a->n_ip_index, b->n_ip_index);
}

/* ---- YAML and JSON -------------------------------------------------------------- */

static const char equivalent_yaml[] =
	"apiVersion: v1\n"
	"kind: Namespace\n"
	"metadata:\n"
	"  name: prod\n"
	"  labels: {env: prod, team: \"42\"}\n"
	"---\n"
	"apiVersion: v1\n"
	"kind: Pod\n"
	"metadata:\n"
	"  name: web\n"
	"  namespace: prod\n"
	"  uid: 1111-2222\n"
	"  labels:\n"
	"    app: web\n"
	"    tier: front\n"
	"  ownerReferences:\n"
	"  - {kind: ReplicaSet, name: web-abc, controller: true}\n"
	"spec:\n"
	"  nodeName: node-a\n"
	"  containers:\n"
	"  - name: app\n"
	"    ports:\n"
	"    - {containerPort: 8080, name: http}\n"
	"    - containerPort: 5353\n"
	"      protocol: UDP\n"
	"status:\n"
	"  podIPs:\n"
	"  - ip: 10.0.0.5\n"
	"  - ip: fd00::5\n"
	"---\n"
	"apiVersion: v1\n"
	"kind: Service\n"
	"metadata: {name: web, namespace: prod}\n"
	"spec:\n"
	"  clusterIP: 10.96.0.10\n"
	"  selector: {tier: front, app: web}\n"
	"  ports:\n"
	"  - name: http\n"
	"    port: 80\n"
	"    targetPort: http\n"
	"  - port: 5353\n"
	"    protocol: UDP\n"
	"---\n"
	"apiVersion: discovery.k8s.io/v1\n"
	"kind: EndpointSlice\n"
	"metadata:\n"
	"  name: web-x1\n"
	"  namespace: prod\n"
	"  labels: {kubernetes.io/service-name: web}\n"
	"addressType: IPv4\n"
	"ports:\n"
	"- {name: http, port: 8080}\n"
	"endpoints:\n"
	"- addresses: [10.0.0.5]\n"
	"  conditions: {ready: false}\n"
	"  targetRef: {kind: Pod, name: web}\n"
	"  nodeName: node-a\n"
	"---\n"
	"apiVersion: v1\n"
	"kind: Node\n"
	"metadata:\n"
	"  name: node-a\n"
	"  labels: {kubernetes.io/hostname: node-a}\n"
	"status:\n"
	"  addresses:\n"
	"  - {type: InternalIP, address: 192.168.1.10}\n"
	"  - {type: Hostname, address: node-a}\n"
	"---\n"
	"apiVersion: networking.k8s.io/v1\n"
	"kind: NetworkPolicy\n"
	"metadata: {name: web, namespace: prod}\n"
	"spec:\n"
	"  podSelector:\n"
	"    matchLabels: {app: web}\n"
	"    matchExpressions:\n"
	"    - {key: tier, operator: NotIn, values: [db, cache]}\n"
	"  policyTypes: [Ingress, Egress]\n"
	"  ingress:\n"
	"  - from:\n"
	"    - podSelector: {}\n"
	"    - namespaceSelector: {matchLabels: {env: prod}}\n"
	"      podSelector: {matchExpressions: [{key: app, operator: Exists}]}\n"
	"    - ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16, 10.2.0.0/16]}\n"
	"    ports:\n"
	"    - port: http\n"
	"    - {protocol: UDP, port: 5353}\n"
	"    - {port: 30000, endPort: 32767}\n"
	"  - {}\n"
	"  egress:\n"
	"  - to:\n"
	"    - ipBlock: {cidr: \"fd00::/8\"}\n"
	"    ports:\n"
	"    - protocol: SCTP\n";

static const char equivalent_json[] =
	"{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [\n"
	" {\"apiVersion\": \"networking.k8s.io/v1\", \"kind\": \"NetworkPolicy\",\n"
	"  \"metadata\": {\"name\": \"web\", \"namespace\": \"prod\"},\n"
	"  \"spec\": {\n"
	"   \"podSelector\": {\"matchLabels\": {\"app\": \"web\"}, \"matchExpressions\":\n"
	"     [{\"key\": \"tier\", \"operator\": \"NotIn\", \"values\": [\"cache\", \"db\"]}]},\n"
	"   \"policyTypes\": [\"Egress\", \"Ingress\"],\n"
	"   \"ingress\": [\n"
	"    {\"from\": [{\"podSelector\": {}},\n"
	"              {\"namespaceSelector\": {\"matchLabels\": {\"env\": \"prod\"}},\n"
	"               \"podSelector\": {\"matchExpressions\":\n"
	"                 [{\"key\": \"app\", \"operator\": \"Exists\", \"values\": []}]}},\n"
	"              {\"ipBlock\": {\"cidr\": \"10.0.0.0/8\",\n"
	"                           \"except\": [\"10.1.0.0/16\", \"10.2.0.0/16\"]}}],\n"
	"     \"ports\": [{\"port\": \"http\", \"protocol\": \"TCP\"},\n"
	"               {\"port\": 5353, \"protocol\": \"UDP\"},\n"
	"               {\"port\": 30000, \"endPort\": 32767}]},\n"
	"    {}],\n"
	"   \"egress\": [{\"to\": [{\"ipBlock\": {\"cidr\": \"fd00::/8\"}}],\n"
	"                \"ports\": [{\"protocol\": \"SCTP\"}]}]}},\n"
	" {\"apiVersion\": \"v1\", \"kind\": \"Node\",\n"
	"  \"metadata\": {\"name\": \"node-a\", \"labels\": {\"kubernetes.io/hostname\": "
	"\"node-a\"}},\n"
	"  \"status\": {\"addresses\": [{\"type\": \"InternalIP\", \"address\": "
	"\"192.168.1.10\"},\n"
	"                             {\"type\": \"Hostname\", \"address\": \"node-a\"}]}},\n"
	" {\"apiVersion\": \"discovery.k8s.io/v1\", \"kind\": \"EndpointSlice\",\n"
	"  \"metadata\": {\"name\": \"web-x1\", \"namespace\": \"prod\",\n"
	"               \"labels\": {\"kubernetes.io/service-name\": \"web\"}},\n"
	"  \"addressType\": \"IPv4\",\n"
	"  \"ports\": [{\"name\": \"http\", \"port\": 8080, \"protocol\": \"TCP\"}],\n"
	"  \"endpoints\": [{\"addresses\": [\"10.0.0.5\"], \"conditions\": {\"ready\": false},\n"
	"                 \"targetRef\": {\"kind\": \"Pod\", \"name\": \"web\"},\n"
	"                 \"nodeName\": \"node-a\"}]},\n"
	" {\"apiVersion\": \"v1\", \"kind\": \"Service\",\n"
	"  \"metadata\": {\"name\": \"web\", \"namespace\": \"prod\"},\n"
	"  \"spec\": {\"clusterIPs\": [\"10.96.0.10\"], \"clusterIP\": \"10.96.0.10\",\n"
	"           \"selector\": {\"tier\": \"front\", \"app\": \"web\"},\n"
	"           \"ports\": [{\"name\": \"http\", \"port\": 80, \"targetPort\": \"http\"},\n"
	"                     {\"port\": 5353, \"protocol\": \"UDP\", \"targetPort\": 5353}]}},\n"
	" {\"apiVersion\": \"v1\", \"kind\": \"Pod\",\n"
	"  \"metadata\": {\"name\": \"web\", \"namespace\": \"prod\", \"uid\": \"1111-2222\",\n"
	"               \"labels\": {\"tier\": \"front\", \"app\": \"web\"},\n"
	"               \"ownerReferences\": [{\"kind\": \"ReplicaSet\", \"name\": \"web-abc\",\n"
	"                                    \"controller\": true}]},\n"
	"  \"spec\": {\"nodeName\": \"node-a\", \"containers\": [{\"name\": \"app\", \"ports\": [\n"
	"     {\"containerPort\": 8080, \"name\": \"http\", \"protocol\": \"TCP\"},\n"
	"     {\"containerPort\": 5353, \"protocol\": \"UDP\"}]}]},\n"
	"  \"status\": {\"podIP\": \"10.0.0.5\",\n"
	"             \"podIPs\": [{\"ip\": \"10.0.0.5\"}, {\"ip\": \"fd00::5\"}]}},\n"
	" {\"apiVersion\": \"v1\", \"kind\": \"Namespace\",\n"
	"  \"metadata\": {\"name\": \"prod\", \"labels\": {\"team\": \"42\", \"env\": \"prod\"}}}\n"
	"]}\n";

static void test_yaml_and_json_give_identical_models(void **state)
{
	struct loaded yaml = load_with(equivalent_yaml, NULL, false);
	struct loaded json = load_with(equivalent_json, NULL, false);

	(void)state;
	assert_int_equal(yaml.model->n_pods, 1);
	assert_int_equal(yaml.model->n_policies, 1);
	same_models(yaml.model, json.model);
	assert_int_equal(yaml.stats.namespaces, 1);
	assert_int_equal(json.stats.pods, 1);
	assert_int_equal(json.stats.services, 1);
	assert_int_equal(json.stats.slices, 1);
	assert_int_equal(json.stats.nodes, 1);
	assert_int_equal(json.stats.policies, 1);
	assert_int_equal(json.stats.skipped, 0);
	np_model_free(yaml.model);
	np_model_free(json.model);
}

static void test_every_field_is_loaded(void **state)
{
	struct np_model *m = load(equivalent_yaml);
	const struct np_pod *pod = np_model_pod(m, "prod", "web");
	const struct np_service *svc = np_model_service(m, "prod", "web");
	const struct np_policy *policy = only_policy(m);
	const struct np_endpoint_slice *slice = &m->slices[0];
	const struct np_rule *rule;
	char buf[64];

	(void)state;
	assert_non_null(pod);
	assert_string_equal(pod->uid, "1111-2222");
	assert_string_equal(np_labels_get(&pod->labels, "tier"), "front");
	assert_int_equal(pod->n_ips, 2);
	assert_string_equal(np_ip_format(&pod->ips[1], buf, sizeof(buf)), "fd00::5");
	assert_string_equal(pod->node_name, "node-a");
	assert_int_equal(pod->n_ports, 2);
	assert_string_equal(pod->ports[0].name, "http");
	assert_int_equal(pod->ports[1].port, 5353);
	assert_null(pod->ports[1].name);
	assert_int_equal(pod->ports[1].proto, NP_PROTO_UDP);
	assert_int_equal(pod->n_owners, 1);
	assert_string_equal(pod->owners[0].kind, "ReplicaSet");
	assert_true(pod->owners[0].controller);
	assert_string_equal(np_labels_get(&pod->ns->labels, "team"), "42");
	assert_int_equal(pod->origin.line, 7);
	assert_string_equal(pod->origin.file, "web.yaml");

	assert_non_null(svc);
	assert_int_equal(svc->n_cluster_ips, 1);
	assert_int_equal(svc->ports[0].target_port, 0);
	assert_string_equal(svc->ports[0].target_port_name, "http");
	/* targetPort defaults to port. */
	assert_int_equal(svc->ports[1].target_port, 5353);
	assert_null(svc->ports[1].target_port_name);
	assert_true(svc->has_selector);
	assert_int_equal(svc->selector.n_reqs, 2);
	assert_string_equal(svc->selector.reqs[0].key, "app");
	assert_true(svc->selector.reqs[0].from_match_labels);

	assert_string_equal(slice->service_name, "web");
	assert_false(slice->endpoints[0].ready);
	assert_string_equal(slice->endpoints[0].pod_name, "web");
	assert_string_equal(slice->endpoints[0].node_name, "node-a");

	/* Node: only the addresses that are IPs. */
	assert_int_equal(m->nodes[0].n_addresses, 1);

	assert_int_equal(policy->pod_selector.n_reqs, 2);
	assert_int_equal(policy->pod_selector.reqs[0].op, NP_OP_IN);
	assert_true(policy->pod_selector.reqs[0].from_match_labels);
	assert_int_equal(policy->pod_selector.reqs[1].op, NP_OP_NOT_IN);
	assert_false(policy->pod_selector.reqs[1].from_match_labels);
	/* Values are sorted. */
	assert_string_equal(policy->pod_selector.reqs[1].values[0], "cache");
	assert_string_equal(policy->pod_selector.reqs[1].values[1], "db");
	assert_true(policy->isolates_ingress);
	assert_true(policy->isolates_egress);
	assert_int_equal(policy->n_ingress, 2);
	rule = &policy->ingress[0];
	assert_int_equal(rule->n_peers, 3);
	assert_int_equal(rule->peers[0].kind, NP_PEER_PODS);
	assert_int_equal(rule->peers[0].pod_selector.n_reqs, 0);
	assert_int_equal(rule->peers[1].kind, NP_PEER_NS_AND_PODS);
	assert_int_equal(rule->peers[1].pod_selector.reqs[0].op, NP_OP_EXISTS);
	assert_int_equal(rule->peers[2].kind, NP_PEER_IPBLOCK);
	assert_string_equal(np_cidr_format(&rule->peers[2].ipblock.cidr, buf, sizeof(buf)),
			    "10.0.0.0/8");
	assert_int_equal(rule->peers[2].ipblock.n_except, 2);
	assert_int_equal(rule->n_ports, 3);
	assert_int_equal(rule->ports[0].kind, NP_PORT_NAME);
	assert_string_equal(rule->ports[0].name, "http");
	assert_int_equal(rule->ports[0].proto, NP_PROTO_TCP);
	assert_int_equal(rule->ports[1].kind, NP_PORT_NUMBER);
	assert_int_equal(rule->ports[1].proto, NP_PROTO_UDP);
	assert_int_equal(rule->ports[2].port, 30000);
	assert_int_equal(rule->ports[2].end_port, 32767);
	/* `- {}`: one rule with no peers and no ports, matching everything. */
	assert_int_equal(policy->ingress[1].n_peers, 0);
	assert_int_equal(policy->ingress[1].n_ports, 0);
	rule = &policy->egress[0];
	assert_string_equal(np_cidr_format(&rule->peers[0].ipblock.cidr, buf, sizeof(buf)),
			    "fd00::/8");
	assert_int_equal(rule->ports[0].kind, NP_PORT_ANY);
	assert_int_equal(rule->ports[0].proto, NP_PROTO_SCTP);
	np_model_free(m);
}

/* ---- policy annotations ----------------------------------------------------------- */

static void test_policy_annotations(void **state)
{
	struct np_model *m = load("apiVersion: networking.k8s.io/v1\n"
				  "kind: NetworkPolicy\n"
				  "metadata:\n"
				  "  name: allow-web\n"
				  "  namespace: prod\n"
				  "  annotations:\n"
				  "    owner: shop-team\n"
				  "    npwatch.io/lint-ignore: \"no-dns-egress, duplicate-rule\"\n"
				  "    empty: \"\"\n"
				  "spec: {podSelector: {}}\n"
				  "---\n"
				  "apiVersion: networking.k8s.io/v1\n"
				  "kind: NetworkPolicy\n"
				  "metadata: {name: plain, namespace: prod, annotations: null}\n"
				  "spec: {podSelector: {}}\n");
	const struct np_policy *annotated = &m->policies[0], *plain = &m->policies[1];

	(void)state;
	assert_int_equal(m->n_policies, 2);
	assert_string_equal(annotated->name, "allow-web");
	assert_int_equal(annotated->annotations.count, 3);
	/* Sorted by key, for np_labels_get(). */
	assert_string_equal(annotated->annotations.items[0].key, "empty");
	assert_string_equal(annotated->annotations.items[1].key, "npwatch.io/lint-ignore");
	assert_string_equal(annotated->annotations.items[2].key, "owner");
	assert_string_equal(np_labels_get(&annotated->annotations, "owner"), "shop-team");
	assert_string_equal(np_labels_get(&annotated->annotations, "npwatch.io/lint-ignore"),
			    "no-dns-egress, duplicate-rule");
	assert_string_equal(np_labels_get(&annotated->annotations, "empty"), "");
	assert_null(np_labels_get(&annotated->annotations, "justification"));
	assert_string_equal(plain->name, "plain");
	assert_int_equal(plain->annotations.count, 0);
	assert_null(np_labels_get(&plain->annotations, "owner"));
	np_model_free(m);
}

static void test_error_annotations(void **state)
{
	static const char head[] = "apiVersion: networking.k8s.io/v1\n"
				   "kind: NetworkPolicy\n"
				   "metadata:\n"
				   "  name: allow-web\n"
				   "  namespace: prod\n";
	char text[512];

	(void)state;
	snprintf(text, sizeof(text), "%s  annotations: [owner]\nspec: {podSelector: {}}\n", head);
	expect_error(text, "web.yaml: NetworkPolicy prod/allow-web: metadata.annotations: must be "
			   "a mapping, not a list");
	snprintf(text, sizeof(text),
		 "%s  annotations: {owner: shop, replicas: 3}\nspec: {podSelector: {}}\n", head);
	expect_error(text, "web.yaml: NetworkPolicy prod/allow-web: "
			   "metadata.annotations[replicas]: must be a string, not a number "
			   "(quote it to keep it text)");
	snprintf(text, sizeof(text), "%s  annotations: {reviewed: yes}\nspec: {podSelector: {}}\n",
		 head);
	expect_error(text, "web.yaml: NetworkPolicy prod/allow-web: "
			   "metadata.annotations[reviewed]: must be a string, not a boolean "
			   "(quote true to keep it text)");
}

/* ---- policyTypes defaults, empty lists ------------------------------------------ */

static void expect_isolation(const char *spec, bool ingress, bool egress, size_t n_ingress,
			     size_t n_egress)
{
	struct np_model *m = load(policy_yaml(spec));
	const struct np_policy *policy = only_policy(m);

	assert_int_equal(policy->isolates_ingress, ingress);
	assert_int_equal(policy->isolates_egress, egress);
	assert_int_equal(policy->n_ingress, n_ingress);
	assert_int_equal(policy->n_egress, n_egress);
	np_model_free(m);
}

static void test_policy_types_defaults(void **state)
{
	(void)state;
	expect_isolation("  podSelector: {}\n", true, false, 0, 0);
	expect_isolation("  podSelector: {}\n  ingress: []\n", true, false, 0, 0);
	expect_isolation("  podSelector: {}\n  ingress: [{}]\n", true, false, 1, 0);
	expect_isolation("  podSelector: {}\n  egress: [{}]\n", true, true, 0, 1);
	/* The API server defaults Egress only for a non-empty egress list. */
	expect_isolation("  podSelector: {}\n  egress: []\n", true, false, 0, 0);
	expect_isolation("  podSelector: {}\n  policyTypes: []\n  egress: [{}]\n", true, true,
			 0, 1);
	expect_isolation("  podSelector: {}\n  policyTypes: [Egress]\n", false, true, 0, 0);
	expect_isolation("  podSelector: {}\n  policyTypes: [Egress]\n  ingress: [{}]\n", false,
			 true, 1, 0);
	expect_isolation("  podSelector: {}\n  policyTypes: [Ingress, Egress]\n", true, true, 0,
			 0);
	/* A spec with no podSelector selects every pod, as {} does. */
	expect_isolation("  policyTypes: [Ingress]\n", true, false, 0, 0);
}

static void test_empty_from_and_ports_mean_all(void **state)
{
	struct np_model *m = load(policy_yaml("  podSelector: {}\n"
					      "  ingress:\n"
					      "  - from: []\n"
					      "    ports: []\n"
					      "  - ports:\n"
					      "    - protocol: UDP\n"
					      "  - from: ~\n"));
	const struct np_policy *policy = only_policy(m);

	(void)state;
	assert_int_equal(policy->n_ingress, 3);
	assert_int_equal(policy->ingress[0].n_peers, 0);
	assert_int_equal(policy->ingress[0].n_ports, 0);
	assert_int_equal(policy->ingress[1].n_peers, 0);
	assert_int_equal(policy->ingress[1].n_ports, 1);
	assert_int_equal(policy->ingress[1].ports[0].kind, NP_PORT_ANY);
	assert_int_equal(policy->ingress[1].ports[0].proto, NP_PROTO_UDP);
	assert_int_equal(policy->ingress[2].n_peers, 0);
	np_model_free(m);
}

static void test_peers_of_every_kind(void **state)
{
	struct np_model *m = load(policy_yaml(
		"  podSelector: {matchLabels: {app: db}}\n"
		"  egress:\n"
		"  - to:\n"
		"    - namespaceSelector: {}\n"
		"    - podSelector: {matchLabels: {app: api}}\n"
		"    - namespaceSelector:\n"
		"        matchExpressions:\n"
		"        - {key: env, operator: DoesNotExist}\n"
		"      podSelector: {matchLabels: {app: api}}\n"
		"    - ipBlock:\n"
		"        cidr: 2001:db8::/32\n"
		"        except: [\"2001:db8:1::/48\"]\n"
		"    - ipBlock: {cidr: 10.0.0.1/8}\n"));
	const struct np_rule *rule = &only_policy(m)->egress[0];
	char buf[64];

	(void)state;
	assert_int_equal(rule->n_peers, 5);
	assert_int_equal(rule->peers[0].kind, NP_PEER_NAMESPACES);
	assert_int_equal(rule->peers[0].namespace_selector.n_reqs, 0);
	assert_int_equal(rule->peers[1].kind, NP_PEER_PODS);
	assert_int_equal(rule->peers[2].kind, NP_PEER_NS_AND_PODS);
	assert_int_equal(rule->peers[2].namespace_selector.reqs[0].op, NP_OP_DOES_NOT_EXIST);
	assert_int_equal(rule->peers[2].namespace_selector.reqs[0].n_values, 0);
	assert_int_equal(rule->peers[3].kind, NP_PEER_IPBLOCK);
	assert_string_equal(np_cidr_format(&rule->peers[3].ipblock.except[0], buf, sizeof(buf)),
			    "2001:db8:1::/48");
	/* Host bits are cleared, as the API accepts them. */
	assert_string_equal(np_cidr_format(&rule->peers[4].ipblock.cidr, buf, sizeof(buf)),
			    "10.0.0.0/8");
	np_model_free(m);
}

static void test_unnamed_ports(void **state)
{
	struct np_model *m = load("kind: Service\nmetadata: {name: db}\n"
				  "spec:\n  clusterIP: None\n"
				  "  ports:\n  - {name: \"\", port: 5432}\n"
				  "---\n"
				  "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
				  "metadata: {name: db-1}\naddressType: IPv6\n"
				  "ports:\n- {name: \"\", port: 5432}\n- {name: all}\n"
				  "endpoints:\n- addresses: [\"fd00::7\"]\n");
	const struct np_service *svc = np_model_service(m, "default", "db");

	(void)state;
	/* Headless: no ClusterIP. */
	assert_int_equal(svc->n_cluster_ips, 0);
	assert_null(svc->ports[0].name);
	assert_false(svc->has_selector);
	assert_null(m->slices[0].ports[0].name);
	assert_int_equal(m->slices[0].ports[0].port, 5432);
	/* A slice port without a number stands for every port. */
	assert_int_equal(m->slices[0].ports[1].port, 0);
	assert_null(m->slices[0].service_name);
	assert_int_equal(m->slices[0].endpoints[0].n_addresses, 1);
	assert_true(m->slices[0].endpoints[0].ready);
	np_model_free(m);
}

/* FQDN slices list names, not addresses. */
static void test_fqdn_slice(void **state)
{
	struct np_model *m = load("apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
				  "metadata:\n  name: ext\n"
				  "  labels: {kubernetes.io/service-name: ext}\n"
				  "addressType: FQDN\n"
				  "endpoints:\n- addresses: [db.example.com]\n");

	(void)state;
	assert_int_equal(m->slices[0].n_endpoints, 1);
	assert_int_equal(m->slices[0].endpoints[0].n_addresses, 0);
	assert_string_equal(m->slices[0].service_name, "ext");
	np_model_free(m);
}

/* ---- Lists, kubectl output, JSON forms -------------------------------------------- */

static void test_kubectl_get_output_loads(void **state)
{
	const char *paths[] = { DATA_DIR "/kubectl-get-all.json" };
	struct np_load_stats stats;
	char err[1024];
	struct np_model *m = np_manifest_load_model(paths, 1, NULL, 0, NULL, &stats, err,
						    sizeof(err));
	const struct np_pod *web, *proxy, *job;
	const struct np_ip_index_entry *entry;
	struct np_ip ip;

	(void)state;
	if (!m)
		fail_msg("%s", err);
	assert_int_equal(stats.namespaces, 2);
	assert_int_equal(stats.pods, 3);
	assert_int_equal(stats.services, 1);
	assert_int_equal(stats.slices, 1);
	assert_int_equal(stats.nodes, 1);
	assert_int_equal(stats.policies, 1);
	assert_int_equal(stats.skipped, 0);

	web = np_model_pod(m, "shop", "web-6f9c7d5b8d-2xkqj");
	assert_non_null(web);
	assert_int_equal(web->n_ips, 2);
	/* Container and sidecar (init container) ports. */
	assert_int_equal(web->n_ports, 3);
	assert_string_equal(web->ports[2].name, "envoy");
	assert_ptr_equal(np_model_pod_by_uid(m, "f00dcafe-1111-4222-8333-944455556666"), web);
	assert_string_equal(web->owners[0].name, "web-6f9c7d5b8d");

	proxy = np_model_pod(m, "kube-system", "kube-proxy-x7k2p");
	assert_true(proxy->host_network);
	np_ip_parse("192.168.49.2", &ip);
	entry = np_model_lookup_ip(m, &ip);
	assert_int_equal(entry->owner, NP_IP_NODE);

	/* A finished pod's IP is free for reuse: not indexed. */
	job = np_model_pod(m, "shop", "migrate-8zq4w");
	assert_int_equal(job->n_ips, 0);
	np_ip_parse("10.244.0.9", &ip);
	assert_null(np_model_lookup_ip(m, &ip));

	np_ip_parse("fd00:10:96::7", &ip);
	entry = np_model_lookup_ip(m, &ip);
	assert_int_equal(entry->owner, NP_IP_SERVICE);
	assert_string_equal(np_model_service(m, "shop", "web")->ports[0].target_port_name,
			    "http");
	assert_false(np_model_namespace(m, "shop")->synthesized);
	assert_string_equal(m->slices[0].service_name, "web");
	assert_true(m->slices[0].endpoints[0].ready);
	assert_int_equal(m->nodes[0].n_addresses, 1);
	assert_int_equal(m->policies[0].ingress[0].peers[0].ipblock.n_except, 1);
	assert_string_equal(m->policies[0].origin.file, DATA_DIR "/kubectl-get-all.json");
	np_model_free(m);
}

static void test_typed_lists_arrays_and_concatenated_json(void **state)
{
	struct loaded typed = load_with("apiVersion: v1\n"
					"kind: PodList\n"
					"items:\n"
					"- metadata: {name: a}\n"
					"  kind: Pod\n"
					"- metadata: {name: b}\n"
					"  kind: Pod\n",
					"team", false);
	struct np_model *array = load("[{\"kind\": \"Pod\", \"metadata\": {\"name\": \"a\"}},\n"
				      " {\"kind\": \"ConfigMap\",\n"
				      "  \"metadata\": {\"name\": \"c\"}}]");
	struct np_model *stream = load("{\"kind\": \"Pod\", \"metadata\": {\"name\": \"a\"}}\n"
				       "{\"kind\": \"Pod\", \"metadata\": {\"name\": \"b\"}}\n");

	(void)state;
	assert_int_equal(typed.model->n_pods, 2);
	assert_non_null(np_model_pod(typed.model, "team", "b"));
	/* List items have their own line in YAML. */
	assert_int_equal(np_model_pod(typed.model, "team", "b")->origin.line, 6);
	assert_int_equal(array->n_pods, 1);
	assert_int_equal(stream->n_pods, 2);
	assert_int_equal(np_model_pod(stream, "default", "b")->origin.line, 2);
	np_model_free(typed.model);
	np_model_free(array);
	np_model_free(stream);
}

/* ---- namespaces, skipped kinds, staged sets ---------------------------------------- */

static void test_default_namespace(void **state)
{
	const char *text = "kind: Pod\nmetadata: {name: a}\n---\n"
			   "kind: Pod\nmetadata: {name: b, namespace: other}\n---\n"
			   "kind: Node\nmetadata: {name: node-1, namespace: ignored}\n---\n"
			   "kind: Namespace\nmetadata: {name: ns1}\n";
	struct loaded given = load_with(text, "team-a", false);
	struct loaded fallback = load_with(text, NULL, false);

	(void)state;
	assert_non_null(np_model_pod(given.model, "team-a", "a"));
	assert_non_null(np_model_pod(given.model, "other", "b"));
	assert_true(np_model_namespace(given.model, "team-a")->synthesized);
	assert_false(np_model_namespace(given.model, "ns1")->synthesized);
	assert_non_null(np_model_pod(fallback.model, "default", "a"));
	assert_null(np_model_namespace(fallback.model, "team-a"));
	np_model_free(given.model);
	np_model_free(fallback.model);
}

static void test_other_kinds_are_skipped_and_counted(void **state)
{
	struct loaded l = load_with("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n"
				    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n"
				    "spec: {replicas: \"not checked\"}\n---\n"
				    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n---\n"
				    "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\n"
				    "metadata: {name: calico}\nspec: {selector: all()}\n---\n"
				    "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n",
				    NULL, false);

	(void)state;
	assert_int_equal(l.stats.skipped, 4);
	assert_int_equal(l.stats.pods, 1);
	assert_int_equal(l.model->n_policies, 0);
	assert_string_equal(l.stats.skipped_kinds,
			    "ConfigMap ×2, Deployment, NetworkPolicy (projectcalico.org/v3)");
	np_model_free(l.model);
}

static void test_staged_set_holds_policies_only(void **state)
{
	struct np_model *m = np_model_new();
	struct np_load_options in_force = { 0 }, staged = { .staged = true };
	struct np_load_stats stats;
	const char *policy = policy_yaml("  podSelector: {}\n");
	char both[8192], err[1024];

	(void)state;
	snprintf(both, sizeof(both), "%.4096s---\nkind: Pod\n%s", policy,
		 "metadata: {name: p, namespace: prod}\n");
	assert_int_equal(np_manifest_load_buffer(m, "live.yaml", policy, strlen(policy),
						 &in_force, &stats, err, sizeof(err)),
			 0);
	assert_int_equal(np_manifest_load_buffer(m, "next.yaml", both, strlen(both), &staged,
						 &stats, err, sizeof(err)),
			 0);
	assert_int_equal(stats.policies, 1);
	assert_int_equal(stats.skipped, 1);
	assert_string_equal(stats.skipped_kinds, "Pod");
	np_model_finalize(m);
	assert_int_equal(m->n_pods, 0);
	assert_int_equal(m->n_policies, 2);
	assert_false(m->policies[0].staged);
	assert_true(m->policies[0].replaced_when_staged);
	assert_true(m->policies[1].staged);
	assert_string_equal(m->policies[1].origin.file, "next.yaml");
	np_model_free(m);
}

/* ---- folders, files, stdin ---------------------------------------------------------- */

static void test_folder_recursion_in_name_order(void **state)
{
	const char *paths[] = { DATA_DIR "/tree" };
	struct np_model *m = np_model_new();
	struct np_load_stats stats;
	char err[1024];

	(void)state;
	if (np_manifest_load_paths(m, paths, 1, NULL, &stats, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	/* Load order, before finalising: a.yaml, b/nested.yml, c.json. */
	assert_int_equal(m->n_pods, 3);
	assert_string_equal(m->pods[0].name, "one");
	assert_string_equal(m->pods[0].origin.file, DATA_DIR "/tree/apps/a.yaml");
	assert_string_equal(m->pods[1].name, "two");
	assert_string_equal(m->pods[1].origin.file, DATA_DIR "/tree/apps/b/nested.yml");
	assert_string_equal(m->pods[2].name, "three");
	assert_string_equal(m->pods[2].origin.file, DATA_DIR "/tree/apps/c.json");
	assert_int_equal(stats.namespaces, 1);
	assert_int_equal(stats.skipped, 1);
	assert_string_equal(stats.skipped_kinds, "ConfigMap");
	np_model_free(m);
}

static void test_stdin(void **state)
{
	char dir[] = "/tmp/npwatch-manifest-XXXXXX";
	const char *paths[] = { "-" };
	struct np_model *m;
	char err[1024], path[64];

	(void)state;
	assert_non_null(mkdtemp(dir));
	write_file(dir, "in.yaml", "kind: Pod\nmetadata: {name: from-stdin}\n");
	snprintf(path, sizeof(path), "%s/in.yaml", dir);
	assert_non_null(freopen(path, "r", stdin));
	m = np_manifest_load_model(paths, 1, NULL, 0, "piped", NULL, err, sizeof(err));
	if (!m)
		fail_msg("%s", err);
	assert_non_null(np_model_pod(m, "piped", "from-stdin"));
	assert_string_equal(m->pods[0].origin.file, "<stdin>");
	np_model_free(m);
	remove_file(dir, "in.yaml");
	assert_int_equal(rmdir(dir), 0);
}

static void test_duplicates_name_both_files(void **state)
{
	char dir[] = "/tmp/npwatch-manifest-XXXXXX";
	char a[64], b[64], err[1024], expected[256];
	const char *pod = "kind: Pod\nmetadata: {name: web, namespace: prod}\n";
	const char *paths[2] = { a, b };

	(void)state;
	assert_non_null(mkdtemp(dir));
	write_file(dir, "a.yaml", pod);
	write_file(dir, "b.yaml", pod);
	snprintf(a, sizeof(a), "%s/a.yaml", dir);
	snprintf(b, sizeof(b), "%s/b.yaml", dir);
	assert_null(np_manifest_load_model(paths, 2, NULL, 0, NULL, NULL, err, sizeof(err)));
	snprintf(expected, sizeof(expected), "%s:1: Pod prod/web: defined twice, also in %s:1", b,
		 a);
	assert_string_equal(err, expected);
	/* The same policy in force and staged is a replacement, not a duplicate,
	 * but twice in the staged set is. */
	write_file(dir, "a.yaml", policy_yaml("  podSelector: {}\n"));
	write_file(dir, "b.yaml", policy_yaml("  podSelector: {}\n"));
	struct np_model *m = np_manifest_load_model(paths, 1, paths + 1, 1, NULL, NULL, err,
						    sizeof(err));

	assert_non_null(m);
	np_model_free(m);
	assert_null(np_manifest_load_model(NULL, 0, paths, 2, NULL, NULL, err, sizeof(err)));
	snprintf(expected, sizeof(expected),
		 "%s:1: NetworkPolicy prod/allow-web: defined twice, also in %s:1", b, a);
	assert_string_equal(err, expected);
	remove_file(dir, "a.yaml");
	remove_file(dir, "b.yaml");
	assert_int_equal(rmdir(dir), 0);
}

static void test_missing_path(void **state)
{
	const char *paths[] = { DATA_DIR "/no-such-file.yaml" };
	char err[1024];

	(void)state;
	assert_null(np_manifest_load_model(paths, 1, NULL, 0, NULL, NULL, err, sizeof(err)));
	assert_string_equal(err, DATA_DIR "/no-such-file.yaml: No such file or directory");
}

/* ---- errors: syntax --------------------------------------------------------------- */

static void test_syntax_errors_name_file_and_line(void **state)
{
	(void)state;
	expect_error("kind: Pod\nmetadata:\n  name: a\n   namespace: b\n",
		     "web.yaml:4: YAML syntax error: mapping values are not allowed in this "
		     "context");
	expect_error("{\"kind\": \"Pod\",\n \"metadata\": {\"name\": \"a\",}}\n",
		     "web.yaml:2:27: JSON syntax error: string or '}' expected near '}'");
	expect_error("{\"kind\": \"Pod\", \"metadata\": {\"name\": \"a\"}}\n\n  {\"kind\": ]\n",
		     "web.yaml:3:12: JSON syntax error: unexpected token near ']'");
	expect_error("{\"kind\": \"Pod\", \"kind\": \"Pod\"}",
		     "web.yaml:1:22: JSON syntax error: duplicate object key near '\"kind\"'");
}

static void test_objects_need_kind_and_name(void **state)
{
	(void)state;
	expect_error("---\n- a\n- b\n",
		     "web.yaml:2: object: must be a mapping with kind, apiVersion and metadata, "
		     "not a list");
	expect_error("apiVersion: v1\nmetadata: {name: a}\n",
		     "web.yaml:1: object: kind: is required");
	expect_error("kind: Pod\nmetadata: {namespace: prod}\n",
		     "web.yaml:1: Pod: metadata.name: is required");
	expect_error("kind: Pod\nmetadata: [a]\n",
		     "web.yaml:1: Pod: metadata: must be a mapping, not a list");
	expect_error("kind: [Pod]\n", "web.yaml:1: object: kind: must be a string, not a list");
}

/* ---- errors: one test per class of invalid field ---------------------------------- */

static void test_error_port_number(void **state)
{
	(void)state;
	expect_policy_error("  ingress:\n  - ports:\n    - port: 70000\n",
			    "spec.ingress[0].ports[0].port: 70000 is not a valid port number "
			    "(1-65535)");
	expect_policy_error("  egress:\n  - ports:\n    - port: 0\n",
			    "spec.egress[0].ports[0].port: 0 is not a valid port number (1-65535)");
	expect_policy_error("  ingress:\n  - ports:\n    - port: true\n",
			    "spec.ingress[0].ports[0].port: must be a port number or name, not a "
			    "boolean");
}

static void test_error_port_name(void **state)
{
	(void)state;
	expect_policy_error("  ingress:\n  - ports:\n    - port: 80\n"
			    "    - port: http_x\n",
			    "spec.ingress[0].ports[1].port: \"http_x\" is neither a port number "
			    "nor a valid port name");
	expect_policy_error("  ingress:\n  - ports:\n    - port: HTTP\n",
			    "spec.ingress[0].ports[0].port: \"HTTP\" is neither a port number nor "
			    "a valid port name");
	expect_policy_error("  ingress:\n  - ports:\n    - port: web--api\n",
			    "spec.ingress[0].ports[0].port: \"web--api\" is neither a port number "
			    "nor a valid port name");
	expect_policy_error("  ingress:\n  - ports:\n    - port: -web\n",
			    "spec.ingress[0].ports[0].port: \"-web\" is neither a port number nor "
			    "a valid port name");
	expect_policy_error("  ingress:\n  - ports:\n    - port: abcdefghijklmnop\n",
			    "spec.ingress[0].ports[0].port: \"abcdefghijklmnop\" is neither a port "
			    "number nor a valid port name");
	expect_policy_error("  ingress:\n  - ports:\n    - port: \"8080\"\n",
			    "spec.ingress[0].ports[0].port: \"8080\" is neither a port number nor "
			    "a valid port name (a port number must not be quoted)");
}

static void test_error_end_port(void **state)
{
	(void)state;
	expect_policy_error("  egress:\n  - ports:\n    - port: 2000\n      endPort: 1000\n",
			    "spec.egress[0].ports[0].endPort: 1000 must be greater than or equal "
			    "to port (2000)");
	expect_policy_error("  egress:\n  - ports:\n    - port: dns\n      endPort: 1000\n",
			    "spec.egress[0].ports[0].endPort: may not be specified when port is a "
			    "name (\"dns\")");
	expect_policy_error("  egress:\n  - ports:\n    - endPort: 1000\n",
			    "spec.egress[0].ports[0].endPort: may not be specified when port is "
			    "not specified");
	expect_policy_error("  egress:\n  - ports:\n    - port: 1000\n      endPort: 65536\n",
			    "spec.egress[0].ports[0].endPort: 65536 is not a valid port number "
			    "(1-65535)");
}

static void test_error_protocol(void **state)
{
	(void)state;
	expect_policy_error("  ingress:\n  - ports:\n    - protocol: ICMP\n",
			    "spec.ingress[0].ports[0].protocol: \"ICMP\" is not a supported "
			    "protocol (TCP, UDP or SCTP)");
	expect_policy_error("  ingress:\n  - ports:\n    - protocol: tcp\n      port: 80\n",
			    "spec.ingress[0].ports[0].protocol: \"tcp\" is not a supported "
			    "protocol (TCP, UDP or SCTP)");
}

static void test_error_cidr(void **state)
{
	(void)state;
	expect_policy_error("  ingress:\n  - from:\n    - ipBlock: {cidr: 10.0.0.0/33}\n",
			    "spec.ingress[0].from[0].ipBlock.cidr: \"10.0.0.0/33\" is not a valid "
			    "CIDR (address/prefix)");
	expect_policy_error("  ingress:\n  - from:\n    - ipBlock: {cidr: 10.0.0.1}\n",
			    "spec.ingress[0].from[0].ipBlock.cidr: \"10.0.0.1\" is not a valid "
			    "CIDR (address/prefix)");
	expect_policy_error("  ingress:\n  - from:\n    - ipBlock: {except: [10.0.0.0/8]}\n",
			    "spec.ingress[0].from[0].ipBlock.cidr: is required");
	expect_policy_error("  ingress:\n  - from:\n    - ipBlock:\n        cidr: 10.0.0.0/8\n"
			    "        except: [10.1.0.0/16, 11.0.0.0/16]\n",
			    "spec.ingress[0].from[0].ipBlock.except[1]: \"11.0.0.0/16\" is not a "
			    "strict subset of cidr \"10.0.0.0/8\"");
	expect_policy_error("  ingress:\n  - from:\n    - ipBlock:\n        cidr: 10.0.0.0/8\n"
			    "        except: [10.0.0.0/8]\n",
			    "spec.ingress[0].from[0].ipBlock.except[0]: \"10.0.0.0/8\" is not a "
			    "strict subset of cidr \"10.0.0.0/8\"");
	expect_policy_error("  ingress:\n  - from:\n    - ipBlock:\n        cidr: 10.0.0.0/8\n"
			    "        except: [\"fd00::/64\"]\n",
			    "spec.ingress[0].from[0].ipBlock.except[0]: \"fd00::/64\" is not a "
			    "strict subset of cidr \"10.0.0.0/8\"");
	expect_policy_error("  ingress:\n  - from:\n    - ipBlock:\n        cidr: 10.0.0.0/8\n"
			    "        except: [bogus]\n",
			    "spec.ingress[0].from[0].ipBlock.except[0]: \"bogus\" is not a valid "
			    "CIDR (address/prefix)");
}

static void test_error_selector(void **state)
{
	(void)state;
	expect_policy_error("  podSelector:\n    matchExpressions:\n"
			    "    - {key: app, operator: Equals, values: [a]}\n",
			    "spec.podSelector.matchExpressions[0].operator: \"Equals\" is not a "
			    "valid selector operator (In, NotIn, Exists or DoesNotExist)");
	expect_policy_error("  podSelector:\n    matchExpressions:\n"
			    "    - {key: app, operator: In}\n",
			    "spec.podSelector.matchExpressions[0].values: must be non-empty when "
			    "operator is In or NotIn");
	expect_policy_error("  ingress:\n  - from:\n    - namespaceSelector:\n"
			    "        matchExpressions:\n"
			    "        - {key: env, operator: Exists, values: [prod]}\n",
			    "spec.ingress[0].from[0].namespaceSelector.matchExpressions[0].values: "
			    "must be empty when operator is Exists or DoesNotExist");
	expect_policy_error("  podSelector:\n    matchExpressions:\n    - {operator: Exists}\n",
			    "spec.podSelector.matchExpressions[0].key: is required");
	expect_policy_error("  podSelector:\n    matchLabels: {app: [web]}\n",
			    "spec.podSelector.matchLabels[app]: must be a string, not a list");
}

static void test_error_peer(void **state)
{
	(void)state;
	expect_policy_error("  ingress:\n  - from:\n    - ipBlock: {cidr: 10.0.0.0/8}\n"
			    "      podSelector: {}\n",
			    "spec.ingress[0].from[0]: may not specify both ipBlock and another "
			    "peer");
	expect_policy_error("  egress:\n  - to:\n    - podSelector: {}\n    - {}\n",
			    "spec.egress[0].to[1]: must specify a peer (podSelector, "
			    "namespaceSelector or ipBlock)");
}

static void test_error_policy_types(void **state)
{
	(void)state;
	expect_policy_error("  policyTypes: [Ingress, Both]\n",
			    "spec.policyTypes[1]: \"Both\" is not a policy type (Ingress or "
			    "Egress)");
	expect_policy_error("  policyTypes: Ingress\n",
			    "spec.policyTypes: must be a list, not a string");
}

static void test_error_wrong_types(void **state)
{
	(void)state;
	expect_error("kind: Pod\nmetadata:\n  name: web\n  namespace: prod\n  labels: [app]\n",
		     "web.yaml: Pod prod/web: metadata.labels: must be a mapping, not a list");
	expect_error("kind: Pod\nmetadata:\n  name: web\n  namespace: prod\n"
		     "  labels: {enabled: true}\n",
		     "web.yaml: Pod prod/web: metadata.labels[enabled]: must be a string, not a "
		     "boolean (quote true to keep it text)");
	expect_error("kind: Namespace\nmetadata:\n  name: prod\n  labels: {version: 1.0}\n",
		     "web.yaml: Namespace prod: metadata.labels[version]: must be a string, not "
		     "a number (quote it to keep it text)");
	expect_policy_error("  ingress:\n  - ports: {port: 80}\n",
			    "spec.ingress[0].ports: must be a list, not a mapping");
	expect_policy_error("  ingress:\n  - 80\n",
			    "spec.ingress[0]: must be a mapping, not a number");
	expect_error("kind: Pod\nmetadata: {name: web}\nspec:\n  hostNetwork: \"yes\"\n",
		     "web.yaml: Pod default/web: spec.hostNetwork: must be a boolean, not a "
		     "string");
	expect_error("kind: Pod\nmetadata: {name: web}\nspec:\n  containers:\n"
		     "  - ports:\n    - containerPort: \"80\"\n",
		     "web.yaml: Pod default/web: spec.containers[0].ports[0].containerPort: must "
		     "be a port number, not a string");
	expect_error("kind: Pod\nmetadata: {name: web}\nspec:\n  containers:\n"
		     "  - ports:\n    - name: http\n",
		     "web.yaml: Pod default/web: spec.containers[0].ports[0].containerPort: is "
		     "required");
}

static void test_error_addresses(void **state)
{
	(void)state;
	expect_error("kind: Pod\nmetadata: {name: web, namespace: prod}\n"
		     "status: {podIP: 10.0.0.300}\n",
		     "web.yaml: Pod prod/web: status.podIP: \"10.0.0.300\" is not an IP address");
	expect_error("kind: Pod\nmetadata: {name: web, namespace: prod}\n"
		     "status:\n  podIPs:\n  - ip: 10.0.0.3\n  - ip: fd00::zz\n",
		     "web.yaml: Pod prod/web: status.podIPs[1].ip: \"fd00::zz\" is not an IP "
		     "address");
	expect_error("kind: Service\nmetadata: {name: web, namespace: prod}\n"
		     "spec: {clusterIP: web.local}\n",
		     "web.yaml: Service prod/web: spec.clusterIP: \"web.local\" is not an IP "
		     "address");
	expect_error("kind: Service\nmetadata: {name: web, namespace: prod}\n"
		     "spec: {clusterIPs: [10.96.0.1, nope]}\n",
		     "web.yaml: Service prod/web: spec.clusterIPs[1]: \"nope\" is not an IP "
		     "address");
	expect_error("apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
		     "metadata: {name: web-1, namespace: prod}\naddressType: IPv4\n"
		     "endpoints:\n- addresses: [10.0.0.1/24]\n",
		     "web.yaml: EndpointSlice prod/web-1: endpoints[0].addresses[0]: "
		     "\"10.0.0.1/24\" is not an IP address");
}

static void test_error_service_ports(void **state)
{
	(void)state;
	expect_error("kind: Service\nmetadata: {name: web, namespace: prod}\n"
		     "spec:\n  ports:\n  - port: 80\n    targetPort: Web\n",
		     "web.yaml: Service prod/web: spec.ports[0].targetPort: \"Web\" is neither a "
		     "port number nor a valid port name");
	expect_error("kind: Service\nmetadata: {name: web, namespace: prod}\n"
		     "spec:\n  ports:\n  - targetPort: 8080\n",
		     "web.yaml: Service prod/web: spec.ports[0].port: is required");
	expect_error("kind: Service\nmetadata: {name: web, namespace: prod}\n"
		     "spec:\n  ports:\n  - port: 80\n    name: Web_Port\n",
		     "web.yaml: Service prod/web: spec.ports[0].name: \"Web_Port\" is not a valid "
		     "port name (1-15 characters of a-z, 0-9 and '-', with a letter)");
}

/* An error leaves no model behind (the sanitizer build checks for leaks). */
static void test_nothing_half_loaded(void **state)
{
	const char *paths[] = { DATA_DIR "/kubectl-get-all.json", DATA_DIR "/tree" };
	struct np_load_stats stats;
	char dir[] = "/tmp/npwatch-manifest-XXXXXX", bad[64], err[1024];
	const char *staged[] = { bad };

	(void)state;
	assert_non_null(mkdtemp(dir));
	write_file(dir, "bad.yaml", policy_yaml("  policyTypes: [Sideways]\n"));
	snprintf(bad, sizeof(bad), "%s/bad.yaml", dir);
	assert_null(np_manifest_load_model(paths, 2, staged, 1, NULL, &stats, err, sizeof(err)));
	assert_non_null(strstr(err, "bad.yaml: NetworkPolicy prod/allow-web: spec.policyTypes[0]"));
	remove_file(dir, "bad.yaml");
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_yaml_and_json_give_identical_models),
		cmocka_unit_test(test_every_field_is_loaded),
		cmocka_unit_test(test_policy_annotations),
		cmocka_unit_test(test_policy_types_defaults),
		cmocka_unit_test(test_empty_from_and_ports_mean_all),
		cmocka_unit_test(test_peers_of_every_kind),
		cmocka_unit_test(test_unnamed_ports),
		cmocka_unit_test(test_fqdn_slice),
		cmocka_unit_test(test_kubectl_get_output_loads),
		cmocka_unit_test(test_typed_lists_arrays_and_concatenated_json),
		cmocka_unit_test(test_default_namespace),
		cmocka_unit_test(test_other_kinds_are_skipped_and_counted),
		cmocka_unit_test(test_staged_set_holds_policies_only),
		cmocka_unit_test(test_folder_recursion_in_name_order),
		cmocka_unit_test(test_stdin),
		cmocka_unit_test(test_duplicates_name_both_files),
		cmocka_unit_test(test_missing_path),
		cmocka_unit_test(test_syntax_errors_name_file_and_line),
		cmocka_unit_test(test_objects_need_kind_and_name),
		cmocka_unit_test(test_error_port_number),
		cmocka_unit_test(test_error_port_name),
		cmocka_unit_test(test_error_end_port),
		cmocka_unit_test(test_error_protocol),
		cmocka_unit_test(test_error_cidr),
		cmocka_unit_test(test_error_selector),
		cmocka_unit_test(test_error_peer),
		cmocka_unit_test(test_error_policy_types),
		cmocka_unit_test(test_error_wrong_types),
		cmocka_unit_test(test_error_annotations),
		cmocka_unit_test(test_error_addresses),
		cmocka_unit_test(test_error_service_ports),
		cmocka_unit_test(test_nothing_half_loaded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
