/* model — the cluster model every stage reads: namespaces, pods, services,
 * endpoint slices, nodes and compiled NetworkPolicies.
 *
 * A model is built once (by the manifest loader or the API watcher), then
 * finalised and never changed: readers share it without locks and a reload
 * builds a new one and swaps the pointer. All memory belongs to the model's
 * arena and goes with np_model_free().
 */
#ifndef NPWATCH_MODEL_H
#define NPWATCH_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netaddr.h"

enum np_proto { NP_PROTO_TCP, NP_PROTO_UDP, NP_PROTO_SCTP };

const char *np_proto_name(enum np_proto proto);          /* "TCP" */
bool np_proto_parse(const char *text, enum np_proto *out); /* exact "TCP"/"UDP"/"SCTP" */

/* Where an object came from, for messages: "policies/web.yaml". */
struct np_origin {
	const char *file;
	int line; /* 1-based line of the object in YAML input, 0 when unknown */
};

/* ---- labels and selectors ------------------------------------------------ */

struct np_label {
	const char *key;
	const char *value;
};

/* Sorted by key, keys unique. */
struct np_labels {
	const struct np_label *items;
	size_t count;
};

const char *np_labels_get(const struct np_labels *labels, const char *key);

enum np_selector_op { NP_OP_IN, NP_OP_NOT_IN, NP_OP_EXISTS, NP_OP_DOES_NOT_EXIST };

struct np_requirement {
	const char *key;
	enum np_selector_op op;
	const char *const *values; /* sorted; In/NotIn only */
	size_t n_values;
	bool from_match_labels; /* for explanations: "app=web" vs "app In (web)" */
};

/* A compiled LabelSelector: the AND of its requirements. No requirements
 * selects everything ({}); a selector that is absent is modelled by the
 * owner (see np_peer), never by a NULL here. */
struct np_selector {
	const struct np_requirement *reqs;
	size_t n_reqs;
};

/* ---- workloads ------------------------------------------------------------ */

struct np_namespace {
	const char *name;
	struct np_labels labels; /* always carries kubernetes.io/metadata.name */
	bool synthesized;         /* no Namespace object was loaded for it */
	struct np_origin origin;
};

struct np_container_port {
	const char *name; /* NULL when unnamed */
	uint16_t port;
	enum np_proto proto;
};

struct np_owner_ref {
	const char *kind; /* "ReplicaSet", "StatefulSet", ... */
	const char *name;
	bool controller;
};

struct np_pod {
	const char *namespace_name;
	const char *name;
	const char *uid; /* metadata.uid, may be NULL */
	struct np_labels labels;
	const struct np_ip *ips; /* status.podIPs (or podIP) */
	size_t n_ips;
	bool host_network;
	const char *node_name; /* spec.nodeName, may be NULL */
	const struct np_container_port *ports;
	size_t n_ports;
	const struct np_owner_ref *owners;
	size_t n_owners;
	const struct np_namespace *ns; /* resolved at finalise */
	struct np_origin origin;
};

struct np_service_port {
	const char *name; /* NULL when unnamed */
	uint16_t port;
	enum np_proto proto;
	uint16_t target_port;          /* 0 when targetPort is a name */
	const char *target_port_name; /* NULL when numeric */
};

struct np_service {
	const char *namespace_name;
	const char *name;
	const struct np_ip *cluster_ips; /* clusterIPs (or clusterIP); none for headless */
	size_t n_cluster_ips;
	const struct np_service_port *ports;
	size_t n_ports;
	bool has_selector;
	struct np_selector selector; /* spec.selector as matchLabels */
	struct np_labels selector_labels;
	struct np_origin origin;
};

struct np_slice_port {
	const char *name; /* NULL when unnamed */
	uint16_t port;
	enum np_proto proto;
};

struct np_slice_endpoint {
	const struct np_ip *addresses;
	size_t n_addresses;
	bool ready;               /* conditions.ready, true when absent */
	const char *pod_name;     /* targetRef of kind Pod, may be NULL */
	const char *node_name;    /* may be NULL */
};

struct np_endpoint_slice {
	const char *namespace_name;
	const char *name;
	const char *service_name; /* label kubernetes.io/service-name */
	const struct np_slice_port *ports;
	size_t n_ports;
	const struct np_slice_endpoint *endpoints;
	size_t n_endpoints;
	struct np_origin origin;
};

struct np_node {
	const char *name;
	struct np_labels labels;
	const struct np_ip *addresses; /* status.addresses of any type that is an IP */
	size_t n_addresses;
	struct np_origin origin;
};

/* ---- NetworkPolicy --------------------------------------------------------- */

struct np_ipblock {
	struct np_cidr cidr;
	const struct np_cidr *except;
	size_t n_except;
};

enum np_peer_kind {
	NP_PEER_PODS,        /* podSelector only: pods of the policy's namespace */
	NP_PEER_NAMESPACES,  /* namespaceSelector only: all pods of those namespaces */
	NP_PEER_NS_AND_PODS, /* both in one peer: those pods of those namespaces */
	NP_PEER_IPBLOCK,
};

struct np_peer {
	enum np_peer_kind kind;
	struct np_selector pod_selector;       /* PODS, NS_AND_PODS */
	struct np_selector namespace_selector; /* NAMESPACES, NS_AND_PODS */
	struct np_ipblock ipblock;             /* IPBLOCK */
};

enum np_port_kind { NP_PORT_ANY, NP_PORT_NUMBER, NP_PORT_NAME };

struct np_port_rule {
	enum np_proto proto;  /* TCP when the manifest states none */
	enum np_port_kind kind; /* ANY: protocol only, every port */
	uint16_t port;        /* NUMBER */
	uint16_t end_port;    /* NUMBER with endPort; 0 otherwise */
	const char *name;     /* NAME: resolved against the destination pod */
};

/* One element of spec.ingress or spec.egress. */
struct np_rule {
	const struct np_peer *peers; /* from/to; none (missing or []) = every peer */
	size_t n_peers;
	const struct np_port_rule *ports; /* none (missing or []) = every port */
	size_t n_ports;
};

struct np_policy {
	const char *namespace_name;
	const char *name;
	struct np_labels annotations; /* metadata.annotations, sorted by key */
	struct np_selector pod_selector;
	bool isolates_ingress; /* policyTypes, with the API's defaults applied */
	bool isolates_egress;
	const struct np_rule *ingress;
	size_t n_ingress;
	const struct np_rule *egress;
	size_t n_egress;
	bool staged; /* loaded from --staged: about to be applied, not in force */
	/* In force, but a staged policy of the same namespace/name will replace
	 * it (kubectl apply semantics); set by np_model_finalize(). */
	bool replaced_when_staged;
	struct np_origin origin;
};

/* ---- the model -------------------------------------------------------------- */

struct np_arena;

struct np_model {
	struct np_arena *arena;
	struct np_namespace *namespaces;
	size_t n_namespaces;
	struct np_pod *pods;
	size_t n_pods;
	struct np_service *services;
	size_t n_services;
	struct np_endpoint_slice *slices;
	size_t n_slices;
	struct np_node *nodes;
	size_t n_nodes;
	struct np_policy *policies;
	size_t n_policies;
	/* Filled by np_model_finalize(): namespaces sorted by name, pods by
	 * namespace/name, and an address index over pods, nodes and ClusterIPs. */
	struct np_ip_index_entry *ip_index;
	size_t n_ip_index;
	bool finalized;
};

struct np_model *np_model_new(void);
void np_model_free(struct np_model *model);

/* Arena allocation: zeroed memory that lives as long as the model. */
void *np_model_alloc(struct np_model *model, size_t size);
const char *np_model_strdup(struct np_model *model, const char *text);

/* Appends a zeroed object and returns it; pointers stay valid only until the
 * next append of the same kind, and for ever after np_model_finalize(). */
struct np_namespace *np_model_add_namespace(struct np_model *model);
struct np_pod *np_model_add_pod(struct np_model *model);
struct np_service *np_model_add_service(struct np_model *model);
struct np_endpoint_slice *np_model_add_slice(struct np_model *model);
struct np_node *np_model_add_node(struct np_model *model);
struct np_policy *np_model_add_policy(struct np_model *model);

/* Links pods to namespaces (synthesising a Namespace with the
 * kubernetes.io/metadata.name label for any that was not loaded), sorts and
 * indexes. After it the model is read-only. */
void np_model_finalize(struct np_model *model);

const struct np_namespace *np_model_namespace(const struct np_model *model, const char *name);
const struct np_pod *np_model_pod(const struct np_model *model, const char *ns, const char *name);
const struct np_pod *np_model_pod_by_uid(const struct np_model *model, const char *uid);
const struct np_service *np_model_service(const struct np_model *model, const char *ns, const char *name);
/* The policies of one namespace: a run of model->policies (sorted by
 * namespace), so judging a pod looks at its own namespace's policies only. */
const struct np_policy *np_model_namespace_policies(const struct np_model *model, const char *ns,
						     size_t *count);

/* What an address names in the model. Pod IPs win over node addresses (a
 * host-network pod shares its node's IP and is named as the node). */
enum np_ip_owner { NP_IP_NONE, NP_IP_POD, NP_IP_NODE, NP_IP_SERVICE };
struct np_ip_index_entry {
	struct np_ip ip;
	enum np_ip_owner owner;
	const void *object; /* np_pod, np_node or np_service */
};
const struct np_ip_index_entry *np_model_lookup_ip(const struct np_model *model, const struct np_ip *ip);

#endif
