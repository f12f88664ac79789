/* identity — names both ends of an observed flow.
 *
 * In the order DESIGN.md gives: by IP against the model; for the local end,
 * when its address names no pod (an unbound UDP socket, a host-network pod),
 * by cgroup id -> cgroup path -> pod UID; a Service ClusterIP and port stands
 * for its backends, each judged on its own; anything else is the world.
 * It also decides whether this node is the one to report a flow, so that
 * each flow is reported once cluster-wide.
 */
#ifndef NPWATCH_IDENTITY_H
#define NPWATCH_IDENTITY_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "decode.h"
#include "engine.h"
#include "model.h"
#include "resolve.h"

#define NP_MAX_BACKENDS 64

struct np_identity;

/* A flow's ends as named. */
struct np_named_flow {
	struct np_endpoint src;
	struct np_endpoint dst; /* when service is NULL */
	const struct np_service *service;
	const struct np_service_port *service_port;
	struct np_backend backends[NP_MAX_BACKENDS];
	size_t n_backends; /* at most NP_MAX_BACKENDS judged */
	bool local_by_cgroup; /* the local end was named by its cgroup */
	char cgroup_path[PATH_MAX]; /* of the local end; "" when unknown */
};

/* node_name: this node, which a local process outside any pod is part of.
 * cgroup_root: the cgroup v2 mount point, or NULL to name by IP only. */
struct np_identity *np_identity_new(const char *node_name, const char *cgroup_root, char *err,
				    size_t len);
void np_identity_free(struct np_identity *identity);

void np_identity_name(struct np_identity *identity, const struct np_model *model,
		      const struct np_observation *obs, struct np_named_flow *out);

/* Each flow is reported by its source's node when the source is a pod,
 * otherwise by its destination's node when that is a pod, otherwise where
 * it starts. This node sees the local end, so: an outbound flow from a pod,
 * an inbound one from anything but a pod to a pod (a Service's backends
 * count as its pods), or an outbound one between non-pods. */
bool np_identity_reports_here(const struct np_observation *obs, const struct np_named_flow *flow);

#endif
