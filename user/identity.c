/* identity — names both ends of an observed flow; see identity.h. */
#include "identity.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cgroup.h"

/* Bounds for the cgroup map: a node has a few thousand cgroups at most, and
 * a miss may rescan the hierarchy at most once a second. */
#define CGROUP_CACHE_ENTRIES 65536
#define CGROUP_RESCAN_MS 1000

struct np_identity {
	char *node_name;
	struct np_cgroup_cache *cgroups;
};

struct np_identity *np_identity_new(const char *node_name, const char *cgroup_root, char *err,
				    size_t len)
{
	struct np_identity *identity = calloc(1, sizeof(*identity));

	if (!identity || !(identity->node_name = strdup(node_name))) {
		free(identity);
		snprintf(err, len, "out of memory");
		return NULL;
	}
	if (cgroup_root) {
		identity->cgroups = np_cgroup_cache_new(cgroup_root, CGROUP_CACHE_ENTRIES,
							CGROUP_RESCAN_MS, err, len);
		if (!identity->cgroups) {
			free(identity->node_name);
			free(identity);
			return NULL;
		}
	}
	return identity;
}

void np_identity_free(struct np_identity *identity)
{
	if (!identity)
		return;
	np_cgroup_cache_free(identity->cgroups);
	free(identity->node_name);
	free(identity);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The cgroup's path, for the log; "" when unknown. */
static void cgroup_path(struct np_identity *identity, uint64_t cgroup_id, char *path, size_t len)
{
	path[0] = '\0';
	if (identity->cgroups && cgroup_id != 0 &&
	    !np_cgroup_cache_lookup(identity->cgroups, cgroup_id, now_ms(), path, len))
		path[0] = '\0';
}

static const struct np_pod *pod_of_cgroup(const struct np_model *model, const char *path)
{
	struct np_pod_cgroup pod_cgroup;

	if (!path[0] || !np_cgroup_parse_pod(path, &pod_cgroup))
		return NULL;
	return np_model_pod_by_uid(model, pod_cgroup.pod_uid);
}

static const struct np_node *this_node(const struct np_identity *identity,
				       const struct np_model *model)
{
	for (size_t i = 0; i < model->n_nodes; i++)
		if (strcmp(model->nodes[i].name, identity->node_name) == 0)
			return &model->nodes[i];
	return NULL;
}

static struct np_endpoint name_local(struct np_identity *identity, const struct np_model *model,
				     const struct np_observation *obs,
				     const struct np_flow_addr *addr, struct np_named_flow *out)
{
	struct np_endpoint end = np_resolve_ip(model, &addr->ip);
	const struct np_pod *pod;

	cgroup_path(identity, obs->cgroup_id, out->cgroup_path, sizeof(out->cgroup_path));
	if (end.kind == NP_END_POD)
		return end;
	pod = pod_of_cgroup(model, out->cgroup_path);
	if (!pod) {
		/* A process outside any pod is part of this node, whatever
		 * address it used (loopback, a secondary one). */
		end.kind = NP_END_NODE;
		end.node = this_node(identity, model);
		return end;
	}
	/* The address named no pod: an unbound socket, or a host-network pod
	 * that shares its node's address. Its cgroup knows better. */
	end.kind = NP_END_POD;
	end.pod = pod;
	end.node = NULL;
	if (addr->ip.family == 0 && pod->n_ips > 0)
		end.ip = pod->ips[0];
	out->local_by_cgroup = true;
	return end;
}

static void name_service(const struct np_model *model, const struct np_service *svc,
			 const struct np_observation *obs, struct np_named_flow *out)
{
	out->service = svc;
	out->service_port = np_service_port_for(svc, obs->dst.port, obs->proto);
	if (!out->service_port)
		return;
	out->n_backends = np_service_backends(model, svc, out->service_port, out->backends,
					      NP_MAX_BACKENDS);
	if (out->n_backends > NP_MAX_BACKENDS)
		out->n_backends = NP_MAX_BACKENDS;
}

static void name_remote(const struct np_model *model, const struct np_observation *obs,
			const struct np_flow_addr *addr, struct np_endpoint *end,
			struct np_named_flow *out)
{
	const struct np_ip_index_entry *entry = np_model_lookup_ip(model, &addr->ip);

	/* Only a destination can be a ClusterIP: kube-proxy rewrites it on the
	 * way out, and the reply comes back from the backend's address. */
	if (entry && entry->owner == NP_IP_SERVICE && end == &out->dst) {
		name_service(model, entry->object, obs, out);
		*end = (struct np_endpoint){ .kind = NP_END_WORLD, .ip = addr->ip };
		return;
	}
	*end = np_resolve_ip(model, &addr->ip);
}

void np_identity_name(struct np_identity *identity, const struct np_model *model,
		      const struct np_observation *obs, struct np_named_flow *out)
{
	memset(out, 0, sizeof(*out));
	if (obs->direction == NP_FLOW_OUTBOUND) {
		out->src = name_local(identity, model, obs, &obs->src, out);
		name_remote(model, obs, &obs->dst, &out->dst, out);
	} else {
		name_remote(model, obs, &obs->src, &out->src, out);
		out->dst = name_local(identity, model, obs, &obs->dst, out);
	}
}

static bool dst_is_pod(const struct np_named_flow *flow)
{
	if (flow->service)
		return flow->n_backends > 0 && flow->backends[0].end.kind == NP_END_POD;
	return flow->dst.kind == NP_END_POD;
}

bool np_identity_reports_here(const struct np_observation *obs, const struct np_named_flow *flow)
{
	bool outbound = obs->direction == NP_FLOW_OUTBOUND;

	if (flow->src.kind == NP_END_POD)
		return outbound;
	if (dst_is_pod(flow))
		return !outbound;
	return outbound;
}
