/* suggest — the allow policies that would keep observed traffic working; see suggest.h.
 *
 * Four steps. Each observed flow is named against the model (its sample
 * pods, else its workload's pods; addresses as they are) and judged with the
 * staged policies. Each direction a denied flow is denied in is a need. The
 * engine's nearest miss names the rule that came closest: the port or peer it
 * lacks is added, and the patch kept only when all that the patched rule
 * newly admits (its peers on the added port, or the added peer on its ports,
 * for every pod the policy selects) is observed traffic. The needs left
 * become new policies, one per workload and direction. The proof judges it
 * all again with the suggestions loaded through the manifest loader as staged
 * policies, so that what is proven is the YAML that is printed.
 */
#include "suggest.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "engine.h"
#include "manifest.h"
#include "netaddr.h"
#include "policyyaml.h"
#include "resolve.h"
#include "textbuf.h"
#include "workload.h"
#include "xalloc.h"

#define KEY_LEN (64 + NP_WORKLOAD_MAX) /* "namespace/Kind/name" */
#define DNS_PORT 53
#define MAX_SELECTOR_LABELS 64 /* more only makes a selector broader, which is checked */

static const char METADATA_NAME[] = "kubernetes.io/metadata.name";
/* Addresses nobody is expected at (TEST-NET-1, the IPv6 documentation
 * prefix): the sweep judges them too, to catch an ipBlock wider than
 * observed. */
static const char *const UNOBSERVED_ADDRESSES[] = { "192.0.2.1", "2001:db8::1" };

/* ---- memory ------------------------------------------------------------------------------ */

static void append_line(char ***lines, size_t *n, char *line)
{
	*lines = xrealloc(*lines, *n + 1, sizeof(**lines));
	(*lines)[(*n)++] = line;
}

/* ---- state ------------------------------------------------------------------------------- */

/* One end of an observed flow, named so that any model of the same cluster
 * can find it again. */
struct end {
	bool pod;   /* a pod NetworkPolicy can select (not on the host network) */
	bool world; /* an address outside the cluster */
	char key[KEY_LEN]; /* "namespace/Kind/name" for pods, the address otherwise */
	const struct np_pod *pods[NP_REPORT_SAMPLES]; /* pods: in the model suggested for */
	size_t n_pods;
	struct np_ip ip; /* addresses */
};

struct observed {
	struct end src, dst;
	uint16_t port;
	enum np_proto proto;
	struct np_verdict verdict;   /* of the first denied pair of sample ends */
	bool need[2];                /* by enum np_direction: denied, to be admitted */
	size_t suggestion[2];        /* which suggestion admits it, by direction */
};

/* A flow the suggestions are meant to admit: an observed one, or its DNS
 * twin on the other protocol. */
struct grant {
	const char *src, *dst; /* end keys */
	uint16_t port;
	enum np_proto proto;
};

/* An end the sweep and the patch checks judge flows between: one pod of
 * each kind (workload, labels, ports), every known address, and a couple
 * nobody uses. */
struct probe {
	const struct np_pod *pod; /* NULL for an address */
	struct np_ip ip;
	char ip_text[NP_IP_STRLEN];
};

struct np_suggest_state {
	const struct np_model *model;
	char **pod_keys; /* parallel to model->pods */
	struct observed *observed; /* parallel to the suggestions' flows */
	struct grant *grants;
	size_t n_grants;
	struct probe *probes;
	size_t n_probes;
	char err[512];
};

static const char *pod_key(const struct np_suggest_state *st, const struct np_pod *pod)
{
	return st->pod_keys[pod - st->model->pods];
}

static void index_pod_keys(struct np_suggest_state *st)
{
	char workload[NP_WORKLOAD_MAX];

	st->pod_keys = xcalloc(st->model->n_pods, sizeof(*st->pod_keys));
	for (size_t i = 0; i < st->model->n_pods; i++) {
		const struct np_pod *pod = &st->model->pods[i];

		np_pod_workload(pod, workload, sizeof(workload));
		st->pod_keys[i] = xasprintf("%s/%s", pod->namespace_name, workload);
	}
}

static bool is_policy_pod(const struct np_pod *pod)
{
	return !pod->host_network;
}

static bool is_dns(uint16_t port, enum np_proto proto)
{
	return port == DNS_PORT && proto != NP_PROTO_SCTP;
}

static enum np_proto dns_twin(enum np_proto proto)
{
	return proto == NP_PROTO_UDP ? NP_PROTO_TCP : NP_PROTO_UDP;
}

static const char *direction_name(enum np_direction dir)
{
	return dir == NP_DIR_INGRESS ? "ingress" : "egress";
}

/* ---- naming observed ends ---------------------------------------------------------------- */

static void add_pod(struct end *end, const struct np_pod *pod)
{
	for (size_t i = 0; i < end->n_pods; i++)
		if (end->pods[i] == pod)
			return;
	if (end->n_pods < NP_REPORT_SAMPLES)
		end->pods[end->n_pods++] = pod;
}

static void find_sample_pods(const struct np_suggest_state *st, const struct np_report_end *re,
			     char *const samples[], struct end *end)
{
	const struct np_pod *pods;
	size_t n_pods;
	char key[KEY_LEN];

	for (size_t i = 0; i < NP_REPORT_SAMPLES && samples[i]; i++) {
		const char *slash = strchr(samples[i], '/');
		char ns[256];
		const struct np_pod *pod;

		if (!slash || (size_t)(slash - samples[i]) >= sizeof(ns))
			continue;
		snprintf(ns, sizeof(ns), "%.*s", (int)(slash - samples[i]), samples[i]);
		pod = np_model_pod(st->model, ns, slash + 1);
		if (pod)
			add_pod(end, pod);
	}
	if (end->n_pods > 0 || !re->namespace_name || !re->workload)
		return;
	/* The sampled pods are gone (a rollout): any pod of the workload will do. */
	snprintf(key, sizeof(key), "%s/%s", re->namespace_name, re->workload);
	pods = np_namespace_pods(st->model, re->namespace_name, &n_pods);
	for (size_t i = 0; i < n_pods && end->n_pods < NP_REPORT_SAMPLES; i++)
		if (strcmp(pod_key(st, &pods[i]), key) == 0)
			add_pod(end, &pods[i]);
}

static bool name_address(const struct np_suggest_state *st, const char *text, struct end *end,
			 char *why, size_t len)
{
	const struct np_ip_index_entry *entry;
	char ip[NP_IP_STRLEN];

	if (!text || !np_ip_parse(text, &end->ip)) {
		snprintf(why, len, "no address for %s end", end->world ? "a world" : "a node");
		return false;
	}
	entry = np_model_lookup_ip(st->model, &end->ip);
	if (entry && entry->owner == NP_IP_POD) {
		const struct np_pod *pod = entry->object;

		snprintf(why, len, "%s is pod %s/%s in the model, which the report predates", text,
			 pod->namespace_name, pod->name);
		return false;
	}
	snprintf(end->key, sizeof(end->key), "%s", np_ip_format(&end->ip, ip, sizeof(ip)));
	return true;
}

/* Names one end of an observed flow in the model; false with why when the
 * model does not have it. */
static bool name_end(const struct np_suggest_state *st, const struct np_report_end *re,
		     char *const samples[], struct end *end, char *why, size_t len)
{
	memset(end, 0, sizeof(*end));
	if (re->kind != NP_REPORT_POD) {
		end->world = re->kind == NP_REPORT_WORLD;
		return name_address(st, re->ip ? re->ip : re->workload, end, why, len);
	}
	find_sample_pods(st, re, samples, end);
	if (end->n_pods == 0) {
		snprintf(why, len, "no pod of %s/%s in the model",
			 re->namespace_name ? re->namespace_name : "?",
			 re->workload ? re->workload : "?");
		return false;
	}
	if (!is_policy_pod(end->pods[0])) {
		/* Host-network pods are their node's address to NetworkPolicy. */
		char ip[NP_IP_STRLEN];

		if (end->pods[0]->n_ips == 0) {
			snprintf(why, len, "host-network pod %s/%s has no address",
				 end->pods[0]->namespace_name, end->pods[0]->name);
			return false;
		}
		end->ip = end->pods[0]->ips[0];
		end->n_pods = 0;
		snprintf(end->key, sizeof(end->key), "%s", np_ip_format(&end->ip, ip, sizeof(ip)));
		return true;
	}
	end->pod = true;
	snprintf(end->key, sizeof(end->key), "%s", pod_key(st, end->pods[0]));
	return true;
}

static size_t end_samples(const struct end *end)
{
	return end->pod ? end->n_pods : 1;
}

/* The end's sample in model (the model suggested for, or another model of
 * the same cluster); false when that model lacks the pod. */
static bool end_point(const struct np_model *model, const struct end *end, size_t sample,
		      struct np_endpoint *out)
{
	const struct np_pod *pod;

	if (!end->pod) {
		*out = np_resolve_ip(model, &end->ip);
		return true;
	}
	pod = np_model_pod(model, end->pods[sample]->namespace_name, end->pods[sample]->name);
	if (!pod)
		return false;
	*out = (struct np_endpoint){ .kind = NP_END_POD, .pod = pod };
	if (pod->n_ips > 0)
		out->ip = pod->ips[0];
	return true;
}

/* ---- selecting a workload exactly -------------------------------------------------------- */

/* How NetworkPolicy can pick the pods of one workload and no other pod. */
struct workload_selector {
	bool whole_namespace; /* they are all the pods of their namespace: {} */
	struct np_label labels[MAX_SELECTOR_LABELS];
	size_t n_labels;
};

static bool has_labels(const struct np_pod *pod, const struct np_label *labels, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *value = np_labels_get(&pod->labels, labels[i].key);

		if (!value || strcmp(value, labels[i].value) != 0)
			return false;
	}
	return true;
}

/* The stable labels all pods of the workload share, checked to select no
 * pod of another workload; false with why when there are none such. */
static bool select_workload(const struct np_suggest_state *st, const struct end *end,
			    struct workload_selector *out, char *why, size_t len)
{
	const char *ns = end->pods[0]->namespace_name;
	const char *workload = end->key + strlen(ns) + 1;
	size_t n_pods, in_workload = 0, in_namespace = 0;
	const struct np_pod *pods = np_namespace_pods(st->model, ns, &n_pods);

	memset(out, 0, sizeof(*out));
	out->n_labels = np_workload_labels(st->model, ns, workload, out->labels,
					   MAX_SELECTOR_LABELS);
	if (out->n_labels > MAX_SELECTOR_LABELS)
		out->n_labels = MAX_SELECTOR_LABELS;
	for (size_t i = 0; i < n_pods; i++) {
		bool mine = strcmp(pod_key(st, &pods[i]), end->key) == 0;

		if (!is_policy_pod(&pods[i]))
			continue;
		in_namespace++;
		in_workload += mine;
		if (out->n_labels > 0 && !mine &&
		    has_labels(&pods[i], out->labels, out->n_labels)) {
			snprintf(why, len, "the labels of %.90s also select pod %.63s/%.63s",
				 end->key, ns, pods[i].name);
			return false;
		}
	}
	out->whole_namespace = out->n_labels == 0 && in_workload == in_namespace;
	if (out->n_labels == 0 && !out->whole_namespace) {
		snprintf(why, len, "the pods of %.190s share no stable label to select them by",
			 end->key);
		return false;
	}
	return true;
}

static json_t *match_labels_json(const struct np_label *labels, size_t n)
{
	json_t *selector = json_object(), *match = json_object();

	for (size_t i = 0; i < n; i++)
		json_object_set_new(match, labels[i].key, json_string(labels[i].value));
	if (n > 0)
		json_object_set_new(selector, "matchLabels", match);
	else
		json_decref(match);
	return selector;
}

static json_t *namespace_selector_json(const char *ns)
{
	return json_pack("{s:{s:s}}", "matchLabels", METADATA_NAME, ns);
}

static json_t *address_peer_json(const struct np_ip *ip)
{
	struct np_cidr host = { .net = *ip, .prefix = ip->family == AF_INET ? 32 : 128 };
	char text[NP_IP_STRLEN + 4];

	return json_pack("{s:{s:s}}", "ipBlock", "cidr", np_cidr_format(&host, text, sizeof(text)));
}

/* The peer that stands for end in a policy of namespace policy_ns: the
 * workload by its labels (in its namespace, by name, when that is another
 * one), or the address alone. */
static json_t *end_peer_json(const struct np_suggest_state *st, const struct end *end,
			     const char *policy_ns)
{
	struct workload_selector sel;
	char why[256];
	json_t *peer;
	const char *ns;

	if (!end->pod)
		return address_peer_json(&end->ip);
	if (!select_workload(st, end, &sel, why, sizeof(why)))
		return NULL;
	ns = end->pods[0]->namespace_name;
	peer = json_object();
	if (strcmp(ns, policy_ns) != 0)
		json_object_set_new(peer, "namespaceSelector", namespace_selector_json(ns));
	json_object_set_new(peer, "podSelector", match_labels_json(sel.labels, sel.n_labels));
	return peer;
}

/* ---- judging what was observed ----------------------------------------------------------- */

static bool judge(const struct np_model *model, const struct np_endpoint *src,
		  const struct np_endpoint *dst, uint16_t port, enum np_proto proto,
		  struct np_verdict *out)
{
	struct np_flow flow = { .src = *src, .dst = *dst, .port = port, .proto = proto };

	np_evaluate(model, &flow, NP_SCOPE_WITH_STAGED, out);
	return out->allowed;
}

/* Judges every pair of sample ends; keeps the verdict of the first denied
 * pair (or of the first pair). Returns whether all are allowed. */
static bool judge_observed(const struct np_suggest_state *st, struct observed *ob)
{
	bool all_allowed = true;

	for (size_t s = 0; s < end_samples(&ob->src); s++) {
		for (size_t d = 0; d < end_samples(&ob->dst); d++) {
			struct np_endpoint src, dst;
			struct np_verdict verdict;
			bool allowed;

			end_point(st->model, &ob->src, s, &src);
			end_point(st->model, &ob->dst, d, &dst);
			allowed = judge(st->model, &src, &dst, ob->port, ob->proto, &verdict);
			if ((s == 0 && d == 0) || (!allowed && all_allowed))
				ob->verdict = verdict;
			all_allowed = all_allowed && allowed;
		}
	}
	return all_allowed;
}

/* The pod ends of a denied flow must be selectable exactly: as the pods a
 * policy selects in one direction, as a peer in the other. */
static bool expressible(const struct np_suggest_state *st, const struct observed *ob, char *why,
			size_t len)
{
	struct workload_selector sel;

	return (!ob->src.pod || select_workload(st, &ob->src, &sel, why, len)) &&
	       (!ob->dst.pod || select_workload(st, &ob->dst, &sel, why, len));
}

static void classify(struct np_suggest_state *st, const struct np_suggest_options *opts,
		     struct np_suggest_flow *flow, struct observed *ob)
{
	const struct np_report_flow *rf = flow->observed;

	ob->suggestion[0] = ob->suggestion[1] = SIZE_MAX;
	if (!name_end(st, &rf->src, rf->sample_src_pods, &ob->src, flow->reason,
		      sizeof(flow->reason)) ||
	    !name_end(st, &rf->dst, rf->sample_dst_pods, &ob->dst, flow->reason,
		      sizeof(flow->reason))) {
		flow->state = NP_FLOW_UNKNOWN;
		return;
	}
	if (!rf->protocol || !np_proto_parse(rf->protocol, &ob->proto) || rf->port == 0) {
		flow->state = NP_FLOW_UNKNOWN;
		snprintf(flow->reason, sizeof(flow->reason), "no destination port and protocol");
		return;
	}
	ob->port = rf->port;
	if (judge_observed(st, ob)) {
		flow->state = NP_FLOW_ALLOWED;
		return;
	}
	ob->need[NP_DIR_EGRESS] = !ob->verdict.egress.allowed;
	ob->need[NP_DIR_INGRESS] = !ob->verdict.ingress.allowed;
	flow->state = NP_FLOW_SKIPPED;
	if (opts->skip_world && (ob->src.world || ob->dst.world))
		snprintf(flow->reason, sizeof(flow->reason),
			 "an end outside the cluster, left denied on request");
	else if (expressible(st, ob, flow->reason, sizeof(flow->reason)))
		flow->state = NP_FLOW_SUGGESTED;
}

/* ---- what the suggestions may admit ------------------------------------------------------ */

static int compare_grants(const void *a, const void *b)
{
	const struct grant *x = a, *y = b;
	int cmp = strcmp(x->src, y->src);

	if (cmp == 0)
		cmp = strcmp(x->dst, y->dst);
	if (cmp == 0)
		cmp = (int)x->port - (int)y->port;
	return cmp ? cmp : (int)x->proto - (int)y->proto;
}

static void add_grant(struct np_suggest_state *st, const struct observed *ob, enum np_proto proto)
{
	st->grants = xrealloc(st->grants, st->n_grants + 1, sizeof(*st->grants));
	st->grants[st->n_grants++] = (struct grant){
		.src = ob->src.key, .dst = ob->dst.key, .port = ob->port, .proto = proto
	};
}

static void collect_grants(struct np_suggest_state *st, const struct np_suggestions *s)
{
	for (size_t i = 0; i < s->n_flows; i++) {
		const struct observed *ob = &st->observed[i];

		if (s->flows[i].state != NP_FLOW_SUGGESTED)
			continue;
		add_grant(st, ob, ob->proto);
		if (is_dns(ob->port, ob->proto))
			add_grant(st, ob, dns_twin(ob->proto));
	}
	if (st->n_grants > 1)
		qsort(st->grants, st->n_grants, sizeof(*st->grants), compare_grants);
}

static bool granted(const struct np_suggest_state *st, const char *src, const char *dst,
		    uint16_t port, enum np_proto proto)
{
	struct grant key = { .src = src, .dst = dst, .port = port, .proto = proto };

	return bsearch(&key, st->grants, st->n_grants, sizeof(key), compare_grants) != NULL;
}

/* ---- probes ------------------------------------------------------------------------------ */

static bool same_ports(const struct np_pod *a, const struct np_pod *b)
{
	if (a->n_ports != b->n_ports)
		return false;
	for (size_t i = 0; i < a->n_ports; i++) {
		const struct np_container_port *x = &a->ports[i], *y = &b->ports[i];

		if (x->port != y->port || x->proto != y->proto ||
		    (x->name == NULL) != (y->name == NULL) ||
		    (x->name && strcmp(x->name, y->name) != 0))
			return false;
	}
	return true;
}

static bool same_labels(const struct np_labels *a, const struct np_labels *b)
{
	if (a->count != b->count)
		return false;
	for (size_t i = 0; i < a->count; i++)
		if (strcmp(a->items[i].key, b->items[i].key) != 0 ||
		    strcmp(a->items[i].value, b->items[i].value) != 0)
			return false;
	return true;
}

/* Pods that policies cannot tell apart are judged once. Pods are sorted by
 * namespace, so the look-back stops at the namespace's first. */
static bool has_twin(const struct np_suggest_state *st, size_t first_in_ns,
		     const struct np_pod *pod)
{
	for (size_t i = st->n_probes; i-- > first_in_ns;) {
		const struct np_pod *rep = st->probes[i].pod;

		if (strcmp(pod_key(st, rep), pod_key(st, pod)) == 0 &&
		    same_labels(&rep->labels, &pod->labels) && same_ports(rep, pod))
			return true;
	}
	return false;
}

static void add_probe(struct np_suggest_state *st, const struct np_pod *pod, const struct np_ip *ip)
{
	struct probe *probe;

	if (!pod) {
		for (size_t i = 0; i < st->n_probes; i++)
			if (!st->probes[i].pod && np_ip_equal(&st->probes[i].ip, ip))
				return;
	}
	st->probes = xrealloc(st->probes, st->n_probes + 1, sizeof(*st->probes));
	probe = &st->probes[st->n_probes++];
	memset(probe, 0, sizeof(*probe));
	probe->pod = pod;
	if (pod && pod->n_ips > 0)
		probe->ip = pod->ips[0];
	if (!pod) {
		probe->ip = *ip;
		np_ip_format(ip, probe->ip_text, sizeof(probe->ip_text));
	}
}

static void add_address_probe(struct np_suggest_state *st, const char *text)
{
	struct np_ip ip;

	if (np_ip_parse(text, &ip))
		add_probe(st, NULL, &ip);
}

/* Host addresses in ipBlocks: the one address each stands for is known. */
static void add_ipblock_probes(struct np_suggest_state *st, const struct np_rule *rules, size_t n)
{
	for (size_t r = 0; r < n; r++) {
		for (size_t p = 0; p < rules[r].n_peers; p++) {
			const struct np_ipblock *block = &rules[r].peers[p].ipblock;

			if (rules[r].peers[p].kind == NP_PEER_IPBLOCK &&
			    block->cidr.prefix == (block->cidr.net.family == AF_INET ? 32 : 128))
				add_probe(st, NULL, &block->cidr.net);
		}
	}
}

static void collect_probes(struct np_suggest_state *st, const struct np_suggestions *s)
{
	const struct np_model *model = st->model;
	size_t first_in_ns = 0;
	const char *ns = NULL;

	for (size_t i = 0; i < model->n_pods; i++) {
		const struct np_pod *pod = &model->pods[i];

		if (!is_policy_pod(pod))
			continue;
		if (!ns || strcmp(ns, pod->namespace_name) != 0) {
			ns = pod->namespace_name;
			first_in_ns = st->n_probes;
		}
		if (!has_twin(st, first_in_ns, pod))
			add_probe(st, pod, NULL);
	}
	for (size_t i = 0; i < model->n_nodes; i++)
		for (size_t a = 0; a < model->nodes[i].n_addresses; a++)
			add_probe(st, NULL, &model->nodes[i].addresses[a]);
	for (size_t i = 0; i < s->n_flows; i++) {
		const struct observed *ob = &st->observed[i];

		if (s->flows[i].state == NP_FLOW_UNKNOWN)
			continue;
		if (!ob->src.pod)
			add_probe(st, NULL, &ob->src.ip);
		if (!ob->dst.pod)
			add_probe(st, NULL, &ob->dst.ip);
	}
	for (size_t i = 0; i < model->n_policies; i++) {
		add_ipblock_probes(st, model->policies[i].ingress, model->policies[i].n_ingress);
		add_ipblock_probes(st, model->policies[i].egress, model->policies[i].n_egress);
	}
	for (size_t i = 0; i < sizeof(UNOBSERVED_ADDRESSES) / sizeof(UNOBSERVED_ADDRESSES[0]); i++)
		add_address_probe(st, UNOBSERVED_ADDRESSES[i]);
}

static const char *probe_key(const struct np_suggest_state *st, const struct probe *probe)
{
	return probe->pod ? pod_key(st, probe->pod) : probe->ip_text;
}

static struct np_endpoint probe_point(const struct np_model *model, const struct probe *probe)
{
	struct np_endpoint end;
	const struct np_pod *pod;

	if (!probe->pod)
		return np_resolve_ip(model, &probe->ip);
	pod = np_model_pod(model, probe->pod->namespace_name, probe->pod->name);
	end = (struct np_endpoint){ .kind = NP_END_POD, .pod = pod, .ip = probe->ip };
	return end;
}

/* ---- patches ----------------------------------------------------------------------------- */

static const struct np_rule *rules_of(const struct np_policy *policy, enum np_direction dir,
				      size_t *n)
{
	*n = dir == NP_DIR_INGRESS ? policy->n_ingress : policy->n_egress;
	return dir == NP_DIR_INGRESS ? policy->ingress : policy->egress;
}

/* The policy as the engine will see it: loaded through the manifest
 * loader, as its YAML will be. NULL, with the loader's message, when refused. */
static struct np_model *compile(struct np_suggest_state *st, const json_t *policy)
{
	struct np_load_options opts = { .staged = true };
	struct np_model *model = np_model_new();
	char *text = json_dumps(policy, JSON_COMPACT);
	int rc;

	if (!model || !text)
		abort();
	rc = np_manifest_load_buffer(model, "<suggestion>", text, strlen(text), &opts, NULL,
				     st->err, sizeof(st->err));
	free(text);
	if (rc != 0) {
		np_model_free(model);
		return NULL;
	}
	np_model_finalize(model);
	return model;
}

static bool host_block(const struct np_ipblock *block)
{
	return block->cidr.prefix == (block->cidr.net.family == AF_INET ? 32 : 128);
}

/* Would the flow between own (a pod the policy selects) and other be all
 * right to admit in dir: observed, or admitted in dir already? */
static bool may_admit(const struct np_suggest_state *st, enum np_direction dir,
		      const struct probe *own, const struct probe *other, uint16_t port,
		      enum np_proto proto)
{
	const struct probe *src = dir == NP_DIR_EGRESS ? own : other;
	const struct probe *dst = dir == NP_DIR_EGRESS ? other : own;
	struct np_endpoint src_end, dst_end;
	struct np_verdict verdict;

	if (granted(st, probe_key(st, src), probe_key(st, dst), port, proto))
		return true;
	src_end = probe_point(st->model, src);
	dst_end = probe_point(st->model, dst);
	judge(st->model, &src_end, &dst_end, port, proto, &verdict);
	return dir == NP_DIR_EGRESS ? verdict.egress.allowed : verdict.ingress.allowed;
}

static bool rule_peer_matches(const struct np_suggest_state *st, const struct np_policy *policy,
			      const struct np_rule *rule, const struct np_endpoint *end)
{
	for (size_t i = 0; i < rule->n_peers; i++)
		if (np_peer_matches(st->model, policy, &rule->peers[i], end))
			return true;
	return false;
}

/* The port numbers an entry stands for towards dst: its number or range,
 * or the named port resolved on dst (none when dst lacks it). */
static bool entry_range(const struct np_port_rule *entry, const struct np_endpoint *dst,
			unsigned *lo, unsigned *hi)
{
	if (entry->kind == NP_PORT_NUMBER) {
		*lo = entry->port;
		*hi = entry->end_port ? entry->end_port : entry->port;
		return true;
	}
	if (entry->kind != NP_PORT_NAME || dst->kind != NP_END_POD || !dst->pod)
		return false;
	for (size_t i = 0; i < dst->pod->n_ports; i++) {
		const struct np_container_port *cp = &dst->pod->ports[i];

		if (cp->name && cp->proto == entry->proto && strcmp(cp->name, entry->name) == 0) {
			*lo = *hi = cp->port;
			return true;
		}
	}
	return false;
}

/* A port added to a rule is newly admitted with every peer of the rule, for
 * every pod the policy selects: each such flow must be all right. */
static bool port_patch_exact(const struct np_suggest_state *st, const struct np_policy *policy,
			     enum np_direction dir, const struct np_rule *rule, uint16_t port,
			     const enum np_proto *protos, size_t n_protos)
{
	if (rule->n_peers == 0)
		return false;
	for (size_t i = 0; i < rule->n_peers; i++)
		if (rule->peers[i].kind == NP_PEER_IPBLOCK && !host_block(&rule->peers[i].ipblock))
			return false;
	for (size_t o = 0; o < st->n_probes; o++) {
		const struct probe *own = &st->probes[o];

		if (!own->pod || !np_policy_selects(policy, own->pod))
			continue;
		for (size_t p = 0; p < st->n_probes; p++) {
			struct np_endpoint other = probe_point(st->model, &st->probes[p]);

			if (!rule_peer_matches(st, policy, rule, &other))
				continue;
			for (size_t i = 0; i < n_protos; i++)
				if (!may_admit(st, dir, own, &st->probes[p], port, protos[i]))
					return false;
		}
	}
	return true;
}

/* A peer added to a rule is newly admitted on every port of the rule, for
 * every pod the policy selects. */
static bool peer_patch_exact(const struct np_suggest_state *st, const struct np_policy *policy,
			     enum np_direction dir, const struct np_rule *rule,
			     const struct np_peer *added)
{
	if (rule->n_ports == 0)
		return false;
	for (size_t i = 0; i < rule->n_ports; i++)
		if (rule->ports[i].kind == NP_PORT_ANY)
			return false;
	for (size_t o = 0; o < st->n_probes; o++) {
		const struct probe *own = &st->probes[o];
		struct np_endpoint own_end;

		if (!own->pod || !np_policy_selects(policy, own->pod))
			continue;
		own_end = probe_point(st->model, own);
		for (size_t p = 0; p < st->n_probes; p++) {
			struct np_endpoint other = probe_point(st->model, &st->probes[p]);
			const struct np_endpoint *dst = dir == NP_DIR_EGRESS ? &other : &own_end;

			if (!np_peer_matches(st->model, policy, added, &other))
				continue;
			for (size_t i = 0; i < rule->n_ports; i++) {
				unsigned lo, hi;

				if (!entry_range(&rule->ports[i], dst, &lo, &hi))
					continue;
				for (unsigned v = lo; v <= hi; v++)
					if (!may_admit(st, dir, own, &st->probes[p], (uint16_t)v,
						       rule->ports[i].proto))
						return false;
			}
		}
	}
	return true;
}

static bool contains_equal(const json_t *array, const json_t *item)
{
	size_t i;
	json_t *each;

	json_array_foreach((json_t *)array, i, each)
		if (json_equal(each, item))
			return true;
	return false;
}

/* Appends item to the list at rule.key unless an equal one is there;
 * returns whether it did. Steals item. */
static bool append_new(json_t *rule, const char *key, json_t *item)
{
	json_t *list = json_object_get(rule, key);

	if (!list) {
		list = json_array();
		json_object_set_new(rule, key, list);
	}
	if (contains_equal(list, item)) {
		json_decref(item);
		return false;
	}
	json_array_append_new(list, item);
	return true;
}

static size_t observed_protos(const struct observed *ob, enum np_proto protos[2])
{
	protos[0] = ob->proto;
	if (!is_dns(ob->port, ob->proto))
		return 1;
	protos[1] = dns_twin(ob->proto);
	return 2;
}

static json_t *port_entry_json(uint16_t port, enum np_proto proto)
{
	return json_pack("{s:s, s:i}", "protocol", np_proto_name(proto), "port", (int)port);
}

static size_t find_patch(const struct np_suggestions *s, const struct np_policy *policy)
{
	for (size_t i = 0; i < s->n_items; i++)
		if (s->items[i].kind == NP_SUGGEST_PATCH && s->items[i].patched == policy)
			return i;
	return SIZE_MAX;
}

static size_t add_item(struct np_suggestions *s)
{
	s->items = xrealloc(s->items, s->n_items + 1, sizeof(*s->items));
	memset(&s->items[s->n_items], 0, sizeof(s->items[0]));
	return s->n_items++;
}

static void set_item_policy(struct np_suggestion *item, json_t *policy)
{
	json_t *metadata = json_object_get(policy, "metadata");

	json_decref(item->policy);
	item->policy = policy;
	item->namespace_name = json_string_value(json_object_get(metadata, "namespace"));
	item->name = json_string_value(json_object_get(metadata, "name"));
}

/* Adds to the rule of the nearest miss what it lacks for ob: the port (and
 * its DNS twin), or the other end as a peer. Returns whether that changed
 * the policy, with the change in words in *change. */
static bool add_to_rule(const struct np_suggest_state *st, json_t *policy, enum np_direction dir,
			int index, const struct observed *ob, enum np_miss_kind miss, char **change)
{
	const char *section = direction_name(dir);
	const char *peers_key = dir == NP_DIR_INGRESS ? "from" : "to";
	json_t *rule = json_array_get(json_object_get(json_object_get(policy, "spec"), section),
				      (size_t)index);
	const struct end *other = dir == NP_DIR_EGRESS ? &ob->dst : &ob->src;
	const char *ns = json_string_value(
		json_object_get(json_object_get(policy, "metadata"), "namespace"));
	enum np_proto protos[2];
	size_t n = observed_protos(ob, protos);
	bool added = false;
	json_t *peer;

	*change = NULL;
	if (!rule)
		return false;
	if (miss == NP_MISS_PORT) {
		for (size_t i = 0; i < n; i++)
			added |= append_new(rule, "ports", port_entry_json(ob->port, protos[i]));
		if (added && n > 1)
			*change = xasprintf("spec.%s[%d].ports: added %s and %s %u", section, index,
					    np_proto_name(protos[0]), np_proto_name(protos[1]),
					    ob->port);
		else if (added)
			*change = xasprintf("spec.%s[%d].ports: added %s %u", section, index,
					    np_proto_name(protos[0]), ob->port);
		return added;
	}
	peer = end_peer_json(st, other, ns);
	if (!peer || !append_new(rule, peers_key, peer))
		return false;
	*change = xasprintf("spec.%s[%d].%s: added %s%s%s", section, index, peers_key,
			    other->pod ? "" : "ipBlock ", other->key,
			    other->pod ? "" : other->ip.family == AF_INET ? "/32" : "/128");
	return true;
}

static bool rule_admits(const struct np_suggest_state *st, const struct np_policy *policy,
			const struct np_rule *rule, const struct np_endpoint *other,
			const struct np_flow *flow)
{
	bool port_ok = rule->n_ports == 0;

	for (size_t i = 0; i < rule->n_ports && !port_ok; i++)
		port_ok = np_port_matches(&rule->ports[i], &flow->dst, flow->port, flow->proto);
	return port_ok && (rule->n_peers == 0 || rule_peer_matches(st, policy, rule, other));
}

/* Does policy alone admit the flow in dir (an earlier patch may have added
 * what this flow lacks)? */
static bool policy_admits(const struct np_suggest_state *st, const struct np_policy *policy,
			  enum np_direction dir, const struct observed *ob)
{
	struct np_flow flow = { .port = ob->port, .proto = ob->proto };
	const struct np_endpoint *own = dir == NP_DIR_EGRESS ? &flow.src : &flow.dst;
	const struct np_endpoint *other = dir == NP_DIR_EGRESS ? &flow.dst : &flow.src;
	size_t n;
	const struct np_rule *rules = rules_of(policy, dir, &n);

	end_point(st->model, &ob->src, 0, &flow.src);
	end_point(st->model, &ob->dst, 0, &flow.dst);
	if (!own->pod || !np_policy_selects(policy, own->pod))
		return false;
	for (size_t i = 0; i < n; i++)
		if (rule_admits(st, policy, &rules[i], other, &flow))
			return true;
	return false;
}

static bool patch_is_exact(const struct np_suggest_state *st, const struct np_policy *policy,
			   enum np_direction dir, int index, const struct observed *ob,
			   enum np_miss_kind miss)
{
	size_t n;
	const struct np_rule *rules = rules_of(policy, dir, &n), *rule;
	enum np_proto protos[2];
	size_t n_protos = observed_protos(ob, protos);

	if (index < 0 || (size_t)index >= n)
		return false;
	rule = &rules[index];
	if (miss == NP_MISS_PORT)
		return port_patch_exact(st, policy, dir, rule, ob->port, protos, n_protos);
	return rule->n_peers > 0 &&
	       peer_patch_exact(st, policy, dir, rule, &rule->peers[rule->n_peers - 1]);
}

/* Does the patch of items[index] already admit ob in dir (an earlier flow
 * needed the same)? */
static bool patch_admits(struct np_suggest_state *st, const struct np_suggestions *s,
			 size_t index, enum np_direction dir, const struct observed *ob,
			 bool *failed)
{
	struct np_model *compiled = compile(st, s->items[index].policy);
	bool admits;

	if (!compiled) {
		*failed = true;
		return false;
	}
	admits = policy_admits(st, &compiled->policies[0], dir, ob);
	np_model_free(compiled);
	return admits;
}

/* The policy with what ob lacks added to the rule of the nearest miss, when
 * that admits nothing unobserved; NULL otherwise. */
static json_t *patched_policy(struct np_suggest_state *st, const json_t *policy,
			      enum np_direction dir, const struct np_direction_verdict *v,
			      const struct observed *ob, char **change, bool *failed)
{
	json_t *candidate = json_deep_copy(policy);
	struct np_model *compiled;
	bool exact;

	if (!add_to_rule(st, candidate, dir, v->nearest.rule, ob, v->miss, change)) {
		json_decref(candidate);
		return NULL;
	}
	compiled = compile(st, candidate);
	*failed = !compiled;
	exact = compiled && patch_is_exact(st, &compiled->policies[0], dir, v->nearest.rule, ob,
					   v->miss);
	np_model_free(compiled);
	if (exact)
		return candidate;
	json_decref(candidate);
	free(*change);
	*change = NULL;
	return NULL;
}

/* Tries the smallest patch for one denied direction of a flow. Returns
 * whether it took one; sets *failed, with st->err, when the loader refused
 * a patched policy. */
static bool try_patch(struct np_suggest_state *st, struct np_suggestions *s, size_t flow,
		      enum np_direction dir, bool *failed)
{
	struct observed *ob = &st->observed[flow];
	const struct np_direction_verdict *v =
		dir == NP_DIR_EGRESS ? &ob->verdict.egress : &ob->verdict.ingress;
	const struct np_policy *target = v->nearest.policy;
	size_t index;
	json_t *original, *patched;
	char *change;

	if (v->miss == NP_MISS_NONE || !target)
		return false;
	index = find_patch(s, target);
	if (index != SIZE_MAX && patch_admits(st, s, index, dir, ob, failed)) {
		ob->suggestion[dir] = index;
		return true;
	}
	if (*failed)
		return false;
	original = np_policy_json(target);
	patched = patched_policy(st, index == SIZE_MAX ? original : s->items[index].policy, dir,
				 v, ob, &change, failed);
	if (!patched) {
		json_decref(original);
		return false;
	}
	if (index == SIZE_MAX) {
		index = add_item(s);
		s->items[index].kind = NP_SUGGEST_PATCH;
		s->items[index].patched = target;
		s->items[index].original = json_incref(original);
	}
	json_decref(original);
	set_item_policy(&s->items[index], patched);
	append_line(&s->items[index].changes, &s->items[index].n_changes, change);
	ob->suggestion[dir] = index;
	return true;
}

static int compare_observed(const void *a, const void *b, void *state)
{
	const struct np_suggest_state *st = state;
	const struct observed *x = &st->observed[*(const size_t *)a];
	const struct observed *y = &st->observed[*(const size_t *)b];
	int cmp = strcmp(x->src.key, y->src.key);

	if (cmp == 0)
		cmp = strcmp(x->dst.key, y->dst.key);
	if (cmp == 0)
		cmp = (int)x->port - (int)y->port;
	return cmp ? cmp : (int)x->proto - (int)y->proto;
}

/* Patches in the order of the flows' ends and ports, not of the report, so
 * that the same traffic gives the same patches however it was merged. */
static void patch_all(struct np_suggest_state *st, struct np_suggestions *s, bool *failed)
{
	size_t *order = xcalloc(s->n_flows, sizeof(*order)), n = 0;

	for (size_t i = 0; i < s->n_flows; i++)
		if (s->flows[i].state == NP_FLOW_SUGGESTED)
			order[n++] = i;
	qsort_r(order, n, sizeof(*order), compare_observed, st);
	for (size_t k = 0; k < n && !*failed; k++)
		for (int dir = NP_DIR_EGRESS; dir <= NP_DIR_INGRESS && !*failed; dir++)
			if (st->observed[order[k]].need[dir])
				try_patch(st, s, order[k], dir, failed);
	free(order);
}

/* ---- new policies ------------------------------------------------------------------------ */

struct port_key {
	uint16_t port;
	enum np_proto proto;
};

/* The ports one peer is to be admitted on, sorted and unique. */
struct peer_ports {
	const struct end *peer;
	struct port_key *ports;
	size_t n_ports;
};

/* The needs of one workload in one direction: one new policy. */
struct policy_plan {
	const struct end *own;
	enum np_direction dir;
	size_t *flows;
	size_t n_flows;
};

static int compare_ports(const void *a, const void *b)
{
	const struct port_key *x = a, *y = b;

	return x->port != y->port ? (int)x->port - (int)y->port : (int)x->proto - (int)y->proto;
}

static void add_port(struct peer_ports *pp, uint16_t port, enum np_proto proto)
{
	struct port_key key = { .port = port, .proto = proto };

	for (size_t i = 0; i < pp->n_ports; i++)
		if (compare_ports(&pp->ports[i], &key) == 0)
			return;
	pp->ports = xrealloc(pp->ports, pp->n_ports + 1, sizeof(*pp->ports));
	pp->ports[pp->n_ports++] = key;
	qsort(pp->ports, pp->n_ports, sizeof(*pp->ports), compare_ports);
}

static bool same_port_set(const struct peer_ports *a, const struct peer_ports *b)
{
	if (a->n_ports != b->n_ports)
		return false;
	for (size_t i = 0; i < a->n_ports; i++)
		if (compare_ports(&a->ports[i], &b->ports[i]) != 0)
			return false;
	return true;
}

static int compare_peer_ports(const void *a, const void *b)
{
	const struct peer_ports *x = a, *y = b;

	return strcmp(x->peer->key, y->peer->key);
}

static const char *end_namespace(const struct end *end)
{
	return end->pod ? end->pods[0]->namespace_name : NULL;
}

/* Do the pod peers of a rule that are in ns cover every pod of ns (two
 * workloads or more: one is better named by its labels)? */
static bool covers_namespace(const struct np_suggest_state *st, const char *ns,
			     const struct peer_ports *peers, const size_t *group, size_t n)
{
	size_t workloads = 0, n_pods;
	const struct np_pod *pods = np_namespace_pods(st->model, ns, &n_pods);

	for (size_t g = 0; g < n; g++) {
		const char *peer_ns = end_namespace(peers[group[g]].peer);

		workloads += peer_ns && strcmp(peer_ns, ns) == 0;
	}
	if (workloads < 2)
		return false;
	for (size_t i = 0; i < n_pods; i++) {
		bool seen = false;

		if (!is_policy_pod(&pods[i]))
			continue;
		for (size_t g = 0; g < n && !seen; g++)
			seen = strcmp(peers[group[g]].peer->key, pod_key(st, &pods[i])) == 0;
		if (!seen)
			return false;
	}
	return true;
}

static json_t *whole_namespace_peer(const char *ns, const char *policy_ns)
{
	if (strcmp(ns, policy_ns) == 0)
		return json_pack("{s:{}}", "podSelector");
	return json_pack("{s:o}", "namespaceSelector", namespace_selector_json(ns));
}

/* The peers of one rule: each workload by its labels, each address alone,
 * and a namespace whose every pod was seen as a peer by its name. */
static json_t *rule_peers_json(const struct np_suggest_state *st, const struct peer_ports *peers,
			       const size_t *group, size_t n, const char *policy_ns)
{
	json_t *list = json_array();
	const char **whole = xcalloc(n, sizeof(*whole));
	size_t n_whole = 0;

	for (size_t g = 0; g < n; g++) {
		const struct end *peer = peers[group[g]].peer;
		const char *ns = end_namespace(peer);
		bool done = false;

		for (size_t w = 0; w < n_whole && ns && !done; w++)
			done = strcmp(whole[w], ns) == 0;
		if (done)
			continue;
		if (ns && covers_namespace(st, ns, peers, group, n)) {
			whole[n_whole++] = ns;
			json_array_append_new(list, whole_namespace_peer(ns, policy_ns));
			continue;
		}
		json_array_append_new(list, end_peer_json(st, peer, policy_ns));
	}
	free(whole);
	return list;
}

static json_t *ports_json(const struct peer_ports *pp)
{
	json_t *list = json_array();

	for (size_t i = 0; i < pp->n_ports; i++)
		json_array_append_new(list, port_entry_json(pp->ports[i].port, pp->ports[i].proto));
	return list;
}

/* One rule per set of ports: peers seen on the same ports share a rule, so
 * that no peer is admitted on a port it was not seen on. */
static json_t *rules_from_peers(const struct np_suggest_state *st, const struct peer_ports *peers,
				size_t n, const char *policy_ns, enum np_direction dir)
{
	json_t *rules = json_array();
	bool *used = xcalloc(n, sizeof(*used));
	size_t *group = xcalloc(n, sizeof(*group));

	for (size_t i = 0; i < n; i++) {
		size_t n_group = 0;

		if (used[i])
			continue;
		for (size_t j = i; j < n; j++) {
			if (!used[j] && same_port_set(&peers[i], &peers[j])) {
				used[j] = true;
				group[n_group++] = j;
			}
		}
		json_array_append_new(
			rules, json_pack("{s:o, s:o}", dir == NP_DIR_INGRESS ? "from" : "to",
					 rule_peers_json(st, peers, group, n_group, policy_ns),
					 "ports", ports_json(&peers[i])));
	}
	free(group);
	free(used);
	return rules;
}

static bool name_taken(const struct np_suggest_state *st, const struct np_suggestions *s,
		       const char *ns, const char *name)
{
	for (size_t i = 0; i < st->model->n_policies; i++)
		if (strcmp(st->model->policies[i].namespace_name, ns) == 0 &&
		    strcmp(st->model->policies[i].name, name) == 0)
			return true;
	for (size_t i = 0; i < s->n_items; i++)
		if (strcmp(s->items[i].namespace_name, ns) == 0 &&
		    strcmp(s->items[i].name, name) == 0)
			return true;
	return false;
}

/* "<workload>-ingress", or "-egress"; numbered when the namespace has one. */
static char *policy_name(const struct np_suggest_state *st, const struct np_suggestions *s,
			 const struct end *own, enum np_direction dir)
{
	const char *workload = strrchr(own->key, '/') + 1;
	const char *ns = end_namespace(own);
	char *name = xasprintf("%.230s-%s", workload, direction_name(dir));

	for (unsigned n = 2; name_taken(st, s, ns, name); n++) {
		free(name);
		name = xasprintf("%.230s-%s-%u", workload, direction_name(dir), n);
	}
	return name;
}

static bool build_policy(struct np_suggest_state *st, struct np_suggestions *s,
			 const struct policy_plan *plan)
{
	struct peer_ports *peers = NULL;
	size_t n_peers = 0, index;
	struct workload_selector own;
	const char *ns = end_namespace(plan->own);
	char why[256], *name;
	json_t *spec, *policy;
	struct np_model *compiled;

	for (size_t f = 0; f < plan->n_flows; f++) {
		const struct observed *ob = &st->observed[plan->flows[f]];
		const struct end *other = plan->dir == NP_DIR_EGRESS ? &ob->dst : &ob->src;
		enum np_proto protos[2];
		size_t n = observed_protos(ob, protos), p = 0;

		while (p < n_peers && strcmp(peers[p].peer->key, other->key) != 0)
			p++;
		if (p == n_peers) {
			peers = xrealloc(peers, n_peers + 1, sizeof(*peers));
			peers[n_peers++] = (struct peer_ports){ .peer = other };
		}
		for (size_t i = 0; i < n; i++)
			add_port(&peers[p], ob->port, protos[i]);
	}
	qsort(peers, n_peers, sizeof(*peers), compare_peer_ports);
	select_workload(st, plan->own, &own, why, sizeof(why));
	spec = json_pack("{s:o, s:[s], s:o}", "podSelector",
			 match_labels_json(own.labels, own.n_labels), "policyTypes",
			 plan->dir == NP_DIR_INGRESS ? "Ingress" : "Egress",
			 direction_name(plan->dir),
			 rules_from_peers(st, peers, n_peers, ns, plan->dir));
	for (size_t p = 0; p < n_peers; p++)
		free(peers[p].ports);
	free(peers);
	name = policy_name(st, s, plan->own, plan->dir);
	policy = np_policy_object(ns, name, spec);
	free(name);
	compiled = compile(st, policy);
	if (!compiled) {
		json_decref(policy);
		return false;
	}
	np_model_free(compiled);
	index = add_item(s);
	s->items[index].kind = NP_SUGGEST_NEW;
	set_item_policy(&s->items[index], policy);
	for (size_t f = 0; f < plan->n_flows; f++)
		st->observed[plan->flows[f]].suggestion[plan->dir] = index;
	return true;
}

/* The needs no patch took, by workload and direction. */
static bool build_policies(struct np_suggest_state *st, struct np_suggestions *s)
{
	struct policy_plan *plans = NULL;
	size_t n_plans = 0;
	bool ok = true;

	for (size_t i = 0; i < s->n_flows; i++) {
		struct observed *ob = &st->observed[i];

		for (int dir = NP_DIR_EGRESS; dir <= NP_DIR_INGRESS; dir++) {
			const struct end *own = dir == NP_DIR_EGRESS ? &ob->src : &ob->dst;
			size_t p = 0;

			if (s->flows[i].state != NP_FLOW_SUGGESTED || !ob->need[dir] ||
			    ob->suggestion[dir] != SIZE_MAX)
				continue;
			while (p < n_plans && (plans[p].dir != (enum np_direction)dir ||
					       strcmp(plans[p].own->key, own->key) != 0))
				p++;
			if (p == n_plans) {
				plans = xrealloc(plans, n_plans + 1, sizeof(*plans));
				plans[n_plans++] = (struct policy_plan){ .own = own, .dir = dir };
			}
			plans[p].flows = xrealloc(plans[p].flows, plans[p].n_flows + 1,
						  sizeof(*plans[p].flows));
			plans[p].flows[plans[p].n_flows++] = i;
		}
	}
	for (size_t p = 0; p < n_plans; p++) {
		ok = ok && build_policy(st, s, &plans[p]);
		free(plans[p].flows);
	}
	free(plans);
	return ok;
}

/* ---- describing suggestions -------------------------------------------------------------- */

/* One peer and port a suggestion admits in one direction. */
struct admit {
	enum np_direction dir;
	const char *peer;
	struct port_key port;
};

static int compare_admits(const void *a, const void *b)
{
	const struct admit *x = a, *y = b;
	int cmp = (int)x->dir - (int)y->dir;

	if (cmp == 0)
		cmp = strcmp(x->peer, y->peer);
	return cmp ? cmp : compare_ports(&x->port, &y->port);
}

/* "ingress from production/Deployment/frontend: TCP 8080, TCP 9090", one
 * line per direction and peer. */
static void admits_lines(struct np_suggestion *item, struct admit *admits, size_t n)
{
	struct membuf m;

	if (n > 1)
		qsort(admits, n, sizeof(*admits), compare_admits);
	for (size_t i = 0; i < n;) {
		size_t j = i;

		membuf_open(&m);
		fprintf(m.out, "%s %s %s:", direction_name(admits[i].dir),
			admits[i].dir == NP_DIR_INGRESS ? "from" : "to", admits[i].peer);
		for (; j < n && admits[j].dir == admits[i].dir &&
		       strcmp(admits[j].peer, admits[i].peer) == 0; j++)
			if (j == i || compare_ports(&admits[j].port, &admits[j - 1].port) != 0)
				fprintf(m.out, "%s %s %u", j == i ? "" : ",",
					np_proto_name(admits[j].port.proto), admits[j].port.port);
		append_line(&item->admits, &item->n_admits, membuf_close(&m));
		i = j;
	}
}

static char *joined(char *const *lines, size_t n, const char *separator)
{
	struct membuf m;

	membuf_open(&m);
	for (size_t i = 0; i < n; i++)
		fprintf(m.out, "%s%s", i ? separator : "", lines[i]);
	return membuf_close(&m);
}

/* A new policy says what it admits and where that was seen, and leaves the
 * owner and justification the guide asks for to be filled in. */
static void annotate(struct np_suggestion *item, const char *window)
{
	json_t *metadata = json_object_get(item->policy, "metadata");
	char *admits = joined(item->admits, item->n_admits, "; ");
	char *from = xasprintf("report window %s, %" PRIu64 " flow%s", window, item->observations,
			       item->observations == 1 ? "" : "s");

	json_object_set_new(metadata, "annotations",
			    json_pack("{s:s, s:s, s:s, s:s}", "npwatch.io/suggested-from", from,
				      "npwatch.io/admits", admits, "owner", "", "justification",
				      ""));
	free(admits);
	free(from);
}

static void describe(struct np_suggest_state *st, struct np_suggestions *s)
{
	for (size_t k = 0; k < s->n_items; k++) {
		struct np_suggestion *item = &s->items[k];
		struct admit *admits = NULL;
		size_t n = 0;

		for (size_t i = 0; i < s->n_flows; i++) {
			const struct observed *ob = &st->observed[i];
			bool counted = false;

			for (int dir = NP_DIR_EGRESS; dir <= NP_DIR_INGRESS; dir++) {
				enum np_proto protos[2];
				size_t n_protos = observed_protos(ob, protos);

				if (s->flows[i].state != NP_FLOW_SUGGESTED ||
				    ob->suggestion[dir] != k)
					continue;
				if (!counted) {
					item->n_flows++;
					item->observations += s->flows[i].observed->count;
					counted = true;
				}
				admits = xrealloc(admits, n + n_protos, sizeof(*admits));
				for (size_t p = 0; p < n_protos; p++)
					admits[n++] = (struct admit){
						.dir = dir,
						.peer = dir == NP_DIR_EGRESS ? ob->dst.key
									     : ob->src.key,
						.port = { .port = ob->port, .proto = protos[p] },
					};
			}
		}
		admits_lines(item, admits, n);
		free(admits);
		if (item->kind == NP_SUGGEST_NEW)
			annotate(item, s->window);
	}
}

static int compare_items(const void *a, const void *b)
{
	const struct np_suggestion *x = a, *y = b;
	int cmp = (int)x->kind - (int)y->kind;

	if (cmp == 0)
		cmp = strcmp(x->namespace_name, y->namespace_name);
	return cmp ? cmp : strcmp(x->name, y->name);
}

/* "2026-11-26T08:00Z..08:30Z": the end without its date when it is the same. */
static void format_window(const struct np_report *report, char *buf, size_t len)
{
	struct tm start, end;
	char from[24], to[24];

	if (report->start == 0 && report->end == 0) {
		snprintf(buf, len, "unknown");
		return;
	}
	gmtime_r(&report->start, &start);
	gmtime_r(&report->end, &end);
	strftime(from, sizeof(from), "%Y-%m-%dT%H:%MZ", &start);
	if (start.tm_year == end.tm_year && start.tm_yday == end.tm_yday)
		strftime(to, sizeof(to), "%H:%MZ", &end);
	else
		strftime(to, sizeof(to), "%Y-%m-%dT%H:%MZ", &end);
	snprintf(buf, len, "%s..%s", from, to);
}

int np_suggest(const struct np_model *model, const struct np_report *report,
	       const struct np_suggest_options *opts, struct np_suggestions *out, char *err,
	       size_t err_len)
{
	struct np_suggest_state *st = xcalloc(1, sizeof(*st));
	bool failed = false;

	memset(out, 0, sizeof(*out));
	out->state = st;
	st->model = model;
	index_pod_keys(st);
	format_window(report, out->window, sizeof(out->window));
	out->n_flows = report->n_flows;
	out->flows = xcalloc(report->n_flows, sizeof(*out->flows));
	st->observed = xcalloc(report->n_flows, sizeof(*st->observed));
	for (size_t i = 0; i < report->n_flows; i++) {
		out->flows[i].observed = &report->flows[i];
		classify(st, opts, &out->flows[i], &st->observed[i]);
	}
	collect_grants(st, out);
	collect_probes(st, out);
	patch_all(st, out, &failed);
	if (failed || !build_policies(st, out)) {
		snprintf(err, err_len, "a suggested policy does not load: %s", st->err);
		np_suggestions_free(out);
		return -1;
	}
	describe(st, out);
	if (out->n_items > 1)
		qsort(out->items, out->n_items, sizeof(*out->items), compare_items);
	return 0;
}

static void free_lines_list(char **lines, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
}

void np_suggestions_free(struct np_suggestions *s)
{
	struct np_suggest_state *st = s->state;

	for (size_t i = 0; i < s->n_items; i++) {
		json_decref(s->items[i].policy);
		json_decref(s->items[i].original);
		free_lines_list(s->items[i].changes, s->items[i].n_changes);
		free_lines_list(s->items[i].admits, s->items[i].n_admits);
	}
	free(s->items);
	free(s->flows);
	if (st) {
		free_lines_list(st->pod_keys, st->model->n_pods);
		free(st->observed);
		free(st->grants);
		free(st->probes);
		free(st);
	}
	memset(s, 0, sizeof(*s));
}

/* ---- the staged set ---------------------------------------------------------------------- */

static bool is_patched(const struct np_suggestions *s, const struct np_policy *policy)
{
	for (size_t i = 0; i < s->n_items; i++)
		if (s->items[i].kind == NP_SUGGEST_PATCH && s->items[i].patched == policy)
			return true;
	return false;
}

static void write_document(FILE *out, const json_t *policy)
{
	char *yaml = np_policy_yaml(policy);

	fprintf(out, "---\n%s", yaml);
	free(yaml);
}

char *np_suggest_staged_yaml(const struct np_suggestions *s, const struct np_model *model)
{
	struct membuf m;

	membuf_open(&m);
	for (size_t i = 0; i < model->n_policies; i++) {
		const struct np_policy *policy = &model->policies[i];
		json_t *json;

		if (!policy->staged || is_patched(s, policy))
			continue;
		json = np_policy_json(policy);
		write_document(m.out, json);
		json_decref(json);
	}
	for (size_t i = 0; i < s->n_items; i++)
		write_document(m.out, s->items[i].policy);
	return membuf_close(&m);
}

/* ---- the proof --------------------------------------------------------------------------- */

__attribute__((format(printf, 2, 3))) static void proof_failure(struct np_suggest_proof *p,
								 const char *fmt, ...)
{
	va_list ap;

	p->ok = false;
	if (p->n_failures == NP_PROOF_EXAMPLES)
		return;
	va_start(ap, fmt);
	vsnprintf(p->failures[p->n_failures++], sizeof(p->failures[0]), fmt, ap);
	va_end(ap);
}

/* How an observed flow fares after: all its sample pairs allowed, all
 * denied; false when the model after lacks one of its pods. */
static bool judge_after(const struct observed *ob, const struct np_model *after, bool *all_allowed,
			bool *all_denied, struct np_verdict *denied)
{
	*all_allowed = *all_denied = true;
	for (size_t s = 0; s < end_samples(&ob->src); s++) {
		for (size_t d = 0; d < end_samples(&ob->dst); d++) {
			struct np_endpoint src, dst;
			struct np_verdict verdict;

			if (!end_point(after, &ob->src, s, &src) ||
			    !end_point(after, &ob->dst, d, &dst))
				return false;
			if (judge(after, &src, &dst, ob->port, ob->proto, &verdict)) {
				*all_denied = false;
			} else {
				if (*all_allowed)
					*denied = verdict;
				*all_allowed = false;
			}
		}
	}
	return true;
}

static void prove_observed(const struct np_suggestions *s, const struct np_model *after,
			   struct np_suggest_proof *p)
{
	for (size_t i = 0; i < s->n_flows; i++) {
		const struct observed *ob = &s->state->observed[i];
		struct np_verdict denied;
		bool all_allowed, all_denied;
		char flow[2 * KEY_LEN + 32];

		if (s->flows[i].state == NP_FLOW_UNKNOWN) {
			p->unknown++;
			continue;
		}
		snprintf(flow, sizeof(flow), "%s -> %s %u/%s", ob->src.key, ob->dst.key, ob->port,
			 np_proto_name(ob->proto));
		if (!judge_after(ob, after, &all_allowed, &all_denied, &denied)) {
			proof_failure(p, "%s: a pod of it is missing with the suggestions staged",
				      flow);
			continue;
		}
		switch (s->flows[i].state) {
		case NP_FLOW_SUGGESTED:
			p->blocked++;
			p->now_allowed += all_allowed;
			if (!all_allowed)
				proof_failure(p, "%s: still denied (%s %s)", flow,
					      denied.egress.allowed ? "ingress:" : "egress:",
					      denied.egress.allowed ? denied.ingress.miss_reason
								    : denied.egress.miss_reason);
			break;
		case NP_FLOW_ALLOWED:
			p->allowed++;
			p->still_allowed += all_allowed;
			if (!all_allowed) {
				p->closed++;
				proof_failure(p, "%s: was allowed, now denied", flow);
			}
			break;
		case NP_FLOW_SKIPPED:
			p->skipped++;
			p->still_denied += all_denied;
			if (!all_denied) {
				p->opened_beyond++;
				proof_failure(p, "%s: left denied (%s), now allowed", flow,
					      s->flows[i].reason);
			}
			break;
		case NP_FLOW_UNKNOWN:
			break;
		}
	}
}

/* The suggestions as the model after holds them. */
static const struct np_policy *staged_policy(const struct np_model *model, const char *ns,
					     const char *name)
{
	for (size_t i = 0; i < model->n_policies; i++) {
		const struct np_policy *policy = &model->policies[i];

		if (policy->staged && strcmp(policy->namespace_name, ns) == 0 &&
		    strcmp(policy->name, name) == 0)
			return policy;
	}
	return NULL;
}

static void add_sweep_port(struct port_key **ports, size_t *n, uint16_t port, enum np_proto proto)
{
	struct port_key key = { .port = port, .proto = proto };

	if (port == 0)
		return;
	for (size_t i = 0; i < *n; i++)
		if (compare_ports(&(*ports)[i], &key) == 0)
			return;
	*ports = xrealloc(*ports, *n + 1, sizeof(**ports));
	(*ports)[(*n)++] = key;
}

static void add_rule_ports(struct port_key **ports, size_t *n, const struct np_rule *rules,
			   size_t n_rules)
{
	for (size_t r = 0; r < n_rules; r++) {
		for (size_t i = 0; i < rules[r].n_ports; i++) {
			const struct np_port_rule *entry = &rules[r].ports[i];

			if (entry->kind != NP_PORT_NUMBER)
				continue;
			add_sweep_port(ports, n, entry->port, entry->proto);
			add_sweep_port(ports, n, entry->end_port, entry->proto);
		}
	}
}

/* The ports worth judging: those observed (with DNS twins), those pods
 * declare (named ports among them), and those the suggestions name. */
static size_t sweep_ports(const struct np_suggestions *s, const struct np_model *before,
			  const struct np_policy *const *policies, size_t n_policies,
			  struct port_key **out)
{
	size_t n = 0;

	*out = NULL;
	for (size_t i = 0; i < s->n_flows; i++) {
		const struct observed *ob = &s->state->observed[i];

		if (s->flows[i].state == NP_FLOW_UNKNOWN)
			continue;
		add_sweep_port(out, &n, ob->port, ob->proto);
		if (is_dns(ob->port, ob->proto))
			add_sweep_port(out, &n, ob->port, dns_twin(ob->proto));
	}
	for (size_t i = 0; i < before->n_pods; i++)
		for (size_t p = 0; p < before->pods[i].n_ports; p++)
			add_sweep_port(out, &n, before->pods[i].ports[p].port,
				       before->pods[i].ports[p].proto);
	for (size_t i = 0; i < n_policies; i++) {
		add_rule_ports(out, &n, policies[i]->ingress, policies[i]->n_ingress);
		add_rule_ports(out, &n, policies[i]->egress, policies[i]->n_egress);
	}
	return n;
}

/* Which probes a suggestion selects for a direction, in the model after:
 * only flows from or to them can have changed. */
static void mark_touched(const struct np_suggest_state *st, const struct np_model *after,
			 const struct np_policy *const *policies, size_t n_policies,
			 bool *egress, bool *ingress)
{
	for (size_t i = 0; i < st->n_probes; i++) {
		struct np_endpoint end = probe_point(after, &st->probes[i]);

		if (!st->probes[i].pod || !end.pod)
			continue;
		for (size_t k = 0; k < n_policies; k++) {
			if (!np_policy_selects(policies[k], end.pod))
				continue;
			egress[i] |= policies[k]->isolates_egress;
			ingress[i] |= policies[k]->isolates_ingress;
		}
	}
}

/* A probe in failure messages: the pod itself, or the address. */
static void probe_text(const struct probe *probe, char *buf, size_t len)
{
	if (probe->pod)
		snprintf(buf, len, "%s/%s", probe->pod->namespace_name, probe->pod->name);
	else
		snprintf(buf, len, "%s", probe->ip_text);
}

/* Which policies made the difference after: those that now admit a
 * direction that was denied, or those that isolate the one now denied. */
static void difference(const struct np_verdict *was, const struct np_verdict *is, char *buf,
		       size_t len)
{
	const struct np_direction_verdict *dirs[2][2] = { { &was->egress, &is->egress },
							   { &was->ingress, &is->ingress } };
	struct np_text t;

	np_text_init(&t, buf, len);
	for (int d = 0; d < 2; d++) {
		const struct np_direction_verdict *before = dirs[d][0], *after = dirs[d][1];
		const char *name = d == 0 ? "egress" : "ingress";

		if (!before->allowed && after->allowed && after->allowed_by.policy) {
			np_text_add(&t, "; %s allowed by %s/%s spec.%s[%d]", name,
				    after->allowed_by.policy->namespace_name,
				    after->allowed_by.policy->name, name, after->allowed_by.rule);
		} else if (before->allowed && !after->allowed) {
			np_text_add(&t, "; %s denied, isolated by", name);
			for (size_t i = 0; i < after->n_isolating && i < NP_EXPLAIN_MAX; i++)
				np_text_add(&t, "%s %s/%s", i ? "," : "",
					    after->isolating[i]->namespace_name,
					    after->isolating[i]->name);
		}
	}
}

static void sweep_pair(const struct np_suggest_state *st, const struct np_model *before,
		       const struct np_model *after, const struct probe *src,
		       const struct probe *dst, const struct port_key *port,
		       struct np_suggest_proof *p)
{
	struct np_endpoint src_before = probe_point(before, src);
	struct np_endpoint dst_before = probe_point(before, dst);
	struct np_endpoint src_after = probe_point(after, src);
	struct np_endpoint dst_after = probe_point(after, dst);
	struct np_verdict was, is;
	char from[KEY_LEN], to[KEY_LEN], why[160];
	bool opened, closed;

	if ((src->pod && !src_after.pod) || (dst->pod && !dst_after.pod))
		return;
	p->swept++;
	judge(before, &src_before, &dst_before, port->port, port->proto, &was);
	judge(after, &src_after, &dst_after, port->port, port->proto, &is);
	opened = !was.allowed && is.allowed &&
		 !granted(st, probe_key(st, src), probe_key(st, dst), port->port, port->proto);
	closed = was.allowed && !is.allowed;
	if (!opened && !closed)
		return;
	p->opened_beyond += opened;
	p->closed += closed;
	probe_text(src, from, sizeof(from));
	probe_text(dst, to, sizeof(to));
	difference(&was, &is, why, sizeof(why));
	proof_failure(p, "%s -> %s %u/%s: %s%s", from, to, port->port, np_proto_name(port->proto),
		      opened ? "not observed, denied before, allowed now"
			     : "allowed before, denied now",
		      why);
}

static void sweep(const struct np_suggestions *s, const struct np_model *before,
		  const struct np_model *after, struct np_suggest_proof *p)
{
	const struct np_suggest_state *st = s->state;
	const struct np_policy **policies = xcalloc(s->n_items, sizeof(*policies));
	bool *egress = xcalloc(st->n_probes, sizeof(*egress));
	bool *ingress = xcalloc(st->n_probes, sizeof(*ingress));
	struct port_key *ports;
	size_t n_policies = 0, n_ports;

	for (size_t i = 0; i < s->n_items; i++) {
		policies[n_policies] = staged_policy(after, s->items[i].namespace_name,
						     s->items[i].name);
		if (policies[n_policies])
			n_policies++;
		else
			proof_failure(p, "suggestion %s/%s is not among the staged policies",
				      s->items[i].namespace_name, s->items[i].name);
	}
	n_ports = sweep_ports(s, before, policies, n_policies, &ports);
	mark_touched(st, after, policies, n_policies, egress, ingress);
	for (size_t i = 0; i < st->n_probes; i++) {
		for (size_t j = 0; j < st->n_probes; j++) {
			if (i == j || !(egress[i] || ingress[j]))
				continue;
			for (size_t k = 0; k < n_ports; k++)
				sweep_pair(st, before, after, &st->probes[i], &st->probes[j],
					   &ports[k], p);
		}
	}
	free(ports);
	free(ingress);
	free(egress);
	free(policies);
}

void np_suggest_prove(const struct np_suggestions *s, const struct np_model *before,
		      const struct np_model *after, struct np_suggest_proof *out)
{
	memset(out, 0, sizeof(*out));
	out->ok = true;
	prove_observed(s, after, out);
	sweep(s, before, after, out);
}

void np_suggest_proof_summary(const struct np_suggest_proof *p, char *buf, size_t len)
{
	struct np_text t;

	np_text_init(&t, buf, len);
	np_text_add(&t, "%s: %zu of %zu observed blocked flows now allowed; %zu previously denied "
			"flows opened beyond them",
		    p->ok ? "verified" : "NOT verified", p->now_allowed, p->blocked,
		    p->opened_beyond);
	if (p->closed > 0)
		np_text_add(&t, "; %zu previously allowed flows closed", p->closed);
	np_text_add(&t, " (%zu of %zu allowed flows still allowed", p->still_allowed, p->allowed);
	if (p->skipped > 0)
		np_text_add(&t, ", %zu of %zu left denied still denied", p->still_denied,
			    p->skipped);
	if (p->unknown > 0)
		np_text_add(&t, ", %zu not judged: ends unknown to the model", p->unknown);
	np_text_add(&t, "; %zu flows swept)", p->swept);
}
