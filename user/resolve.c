/* resolve — names the ends of a flow against the cluster model; see resolve.h. */
#include "resolve.h"

#include <stdio.h>
#include <string.h>

struct np_endpoint np_resolve_ip(const struct np_model *model, const struct np_ip *ip)
{
	struct np_endpoint end = { .kind = NP_END_WORLD, .ip = *ip };
	const struct np_ip_index_entry *entry = np_model_lookup_ip(model, ip);

	if (entry && entry->owner == NP_IP_POD) {
		end.kind = NP_END_POD;
		end.pod = entry->object;
	} else if (entry && entry->owner == NP_IP_NODE) {
		end.kind = NP_END_NODE;
		end.node = entry->object;
	}
	return end;
}

static struct np_endpoint pod_endpoint(const struct np_pod *pod)
{
	struct np_endpoint end = { .kind = NP_END_POD, .pod = pod };

	if (pod->n_ips > 0)
		end.ip = pod->ips[0];
	return end;
}

static int resolve_address(const struct np_model *model, const struct np_ip *ip,
			   struct np_target *out)
{
	const struct np_ip_index_entry *entry = np_model_lookup_ip(model, ip);

	memset(out, 0, sizeof(*out));
	if (entry && entry->owner == NP_IP_SERVICE) {
		out->service = entry->object;
		return 0;
	}
	out->end = np_resolve_ip(model, ip);
	return 0;
}

int np_resolve_name(const struct np_model *model, const char *text, struct np_target *out,
		    char *err, size_t err_len)
{
	const char *slash = strchr(text, '/');
	char ns[254];
	const char *name;
	const struct np_pod *pod;
	struct np_ip ip;

	if (np_ip_parse(text, &ip))
		return resolve_address(model, &ip, out);
	if (!slash || slash == text || slash[1] == '\0' || strchr(slash + 1, '/') ||
	    (size_t)(slash - text) >= sizeof(ns)) {
		snprintf(err, err_len, "\"%s\" is neither namespace/pod, namespace/service nor an IP address",
			 text);
		return -1;
	}
	memcpy(ns, text, (size_t)(slash - text));
	ns[slash - text] = '\0';
	name = slash + 1;
	memset(out, 0, sizeof(*out));
	pod = np_model_pod(model, ns, name);
	if (pod) {
		out->end = pod_endpoint(pod);
		return 0;
	}
	out->service = np_model_service(model, ns, name);
	if (out->service)
		return 0;
	snprintf(err, err_len, "%s: no pod or service %s in namespace %s%s", text, name, ns,
		 np_model_namespace(model, ns) ? "" : " (no such namespace in the model)");
	return -1;
}

const struct np_service_port *np_service_port_for(const struct np_service *svc, uint16_t port,
						   enum np_proto proto)
{
	for (size_t i = 0; i < svc->n_ports; i++)
		if (svc->ports[i].port == port && svc->ports[i].proto == proto)
			return &svc->ports[i];
	return NULL;
}

/* No name and "" are the same: the EndpointSlice controller writes name ""
 * for the port of a Service whose port has no name. */
static bool same_name(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

static bool slice_belongs_to(const struct np_endpoint_slice *slice, const struct np_service *svc)
{
	return slice->service_name && strcmp(slice->service_name, svc->name) == 0 &&
	       strcmp(slice->namespace_name, svc->namespace_name) == 0;
}

/* EndpointSlice ports carry the Service port's name and the resolved target. */
static const struct np_slice_port *slice_port_for(const struct np_endpoint_slice *slice,
						  const struct np_service_port *sp)
{
	for (size_t i = 0; i < slice->n_ports; i++)
		if (same_name(slice->ports[i].name, sp->name) && slice->ports[i].proto == sp->proto)
			return &slice->ports[i];
	return NULL;
}

static struct np_endpoint slice_endpoint(const struct np_model *model, const char *ns,
					 const struct np_slice_endpoint *ep)
{
	const struct np_pod *pod = ep->pod_name ? np_model_pod(model, ns, ep->pod_name) : NULL;
	struct np_endpoint end;

	if (pod) {
		end = pod_endpoint(pod);
		if (ep->n_addresses > 0)
			end.ip = ep->addresses[0];
		return end;
	}
	return np_resolve_ip(model, &ep->addresses[0]);
}

static void add_backend(struct np_backend *out, size_t max, size_t *count,
			struct np_endpoint end, uint16_t port)
{
	if (*count < max) {
		out[*count].end = end;
		out[*count].port = port;
	}
	(*count)++;
}

/* A dual-stack Service has a slice per family, each naming the same pods:
 * a pod is one backend, whichever slice lists it first. */
static bool listed_before(const struct np_model *model, const struct np_service *svc,
			  const struct np_service_port *sp, size_t slice_index, size_t endpoint_index,
			  const char *pod_name)
{
	if (!pod_name)
		return false;
	for (size_t i = 0; i <= slice_index; i++) {
		const struct np_endpoint_slice *slice = &model->slices[i];
		size_t end = i == slice_index ? endpoint_index : slice->n_endpoints;

		if (!slice_belongs_to(slice, svc) || !slice_port_for(slice, sp))
			continue;
		for (size_t e = 0; e < end; e++)
			if (slice->endpoints[e].ready && slice->endpoints[e].n_addresses > 0 &&
			    same_name(slice->endpoints[e].pod_name, pod_name))
				return true;
	}
	return false;
}

static size_t backends_from_slices(const struct np_model *model, const struct np_service *svc,
				   const struct np_service_port *sp, struct np_backend *out,
				   size_t max, bool *found_slice)
{
	size_t count = 0;

	for (size_t i = 0; i < model->n_slices; i++) {
		const struct np_endpoint_slice *slice = &model->slices[i];
		const struct np_slice_port *port;

		if (!slice_belongs_to(slice, svc))
			continue;
		*found_slice = true;
		port = slice_port_for(slice, sp);
		if (!port)
			continue;
		for (size_t e = 0; e < slice->n_endpoints; e++) {
			const struct np_slice_endpoint *ep = &slice->endpoints[e];

			if (ep->ready && ep->n_addresses > 0 &&
			    !listed_before(model, svc, sp, i, e, ep->pod_name))
				add_backend(out, max, &count,
					    slice_endpoint(model, slice->namespace_name, ep), port->port);
		}
	}
	return count;
}

static uint16_t pod_target_port(const struct np_pod *pod, const struct np_service_port *sp)
{
	if (!sp->target_port_name)
		return sp->target_port;
	for (size_t i = 0; i < pod->n_ports; i++)
		if (pod->ports[i].name && strcmp(pod->ports[i].name, sp->target_port_name) == 0 &&
		    pod->ports[i].proto == sp->proto)
			return pod->ports[i].port;
	return 0;
}

static size_t backends_from_selector(const struct np_model *model, const struct np_service *svc,
				     const struct np_service_port *sp, struct np_backend *out,
				     size_t max)
{
	size_t count = 0;

	if (!svc->has_selector)
		return 0;
	for (size_t i = 0; i < model->n_pods; i++) {
		const struct np_pod *pod = &model->pods[i];
		uint16_t port;

		if (strcmp(pod->namespace_name, svc->namespace_name) != 0 ||
		    !np_selector_matches(&svc->selector, &pod->labels))
			continue;
		port = pod_target_port(pod, sp);
		if (port != 0)
			add_backend(out, max, &count, pod_endpoint(pod), port);
	}
	return count;
}

size_t np_service_backends(const struct np_model *model, const struct np_service *svc,
			   const struct np_service_port *sp, struct np_backend *out, size_t max)
{
	bool found_slice = false;
	size_t count = backends_from_slices(model, svc, sp, out, max, &found_slice);

	if (found_slice)
		return count;
	return backends_from_selector(model, svc, sp, out, max);
}
