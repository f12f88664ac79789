/* resolve — names the ends of a flow against the cluster model.
 *
 * An end is named, in order: by IP (pod IPs are unique; node addresses name
 * the node and its host-network pods), by a Service (its ClusterIP and port,
 * or "namespace/name"), which stands for its backend pods, or else as the
 * world with its IP. Text names come from `check` probes; addresses from the
 * kernel observer. The daemon adds a third way, by cgroup, in identity.c.
 */
#ifndef NPWATCH_RESOLVE_H
#define NPWATCH_RESOLVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "model.h"

/* One backend of a Service port: the pod and the port it really serves on. */
struct np_backend {
	struct np_endpoint end;
	uint16_t port;
};

/* What a probe's "from"/"to" names. */
struct np_target {
	struct np_endpoint end;          /* when service is NULL */
	const struct np_service *service; /* a Service: judge its backends */
};

/* An address as a flow end: a pod, a node, or the world. A ClusterIP is not
 * an end by itself: see np_model_lookup_ip() and np_service_backends(). */
struct np_endpoint np_resolve_ip(const struct np_model *model, const struct np_ip *ip);

/* "namespace/pod", "namespace/service" or an IP (a ClusterIP names its
 * Service). Returns 0, or -1 with a message saying what was not found. */
int np_resolve_name(const struct np_model *model, const char *text, struct np_target *out,
		    char *err, size_t err_len);

/* The Service port that port/proto addresses, or NULL. */
const struct np_service_port *np_service_port_for(const struct np_service *svc, uint16_t port,
						   enum np_proto proto);

/* Fills up to max backends of svc for its port sp: from EndpointSlices when
 * the Service has any (ready endpoints only), else by its selector over the
 * pods of its namespace; targetPort by number or by name. Returns how many
 * there are in all (may exceed max). */
size_t np_service_backends(const struct np_model *model, const struct np_service *svc,
			   const struct np_service_port *sp, struct np_backend *out, size_t max);

#endif
