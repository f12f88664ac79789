/* workload — names the workload of a flow end; see workload.h. */
#include "workload.h"

#include <stdio.h>
#include <string.h>

/* A pod-template-hash as the Deployment controller writes it
 * (rand.SafeEncodeString: no vowels, no look-alike characters), at the
 * lengths it has had across Kubernetes versions. */
static const char template_hash_chars[] = "bcdfghjklmnpqrstvwxz2456789";
#define TEMPLATE_HASH_MIN 6
#define TEMPLATE_HASH_MAX 10

/* A CronJob names its Jobs <cronjob>-<scheduled time>, in minutes since the
 * epoch (seconds in older controllers): 8 digits or more since 1973. A
 * shorter number ("migrate-2") is more likely a person's own Job. */
#define CRONJOB_TIME_DIGITS_MIN 8

/* Labels a controller sets per pod, revision or run. */
static const char *const per_pod_labels[] = {
	"pod-template-hash",
	"controller-revision-hash",
	"pod-template-generation",
	"statefulset.kubernetes.io/pod-name",
	"apps.kubernetes.io/pod-index",
	"job-name",
	"controller-uid",
};
static const char batch_label_prefix[] = "batch.kubernetes.io/";

/* ---- pods ------------------------------------------------------------------------ */

/* The length of name without its trailing "-suffix"; 0 when name does not
 * end that way or nothing would be left. */
static size_t without_suffix(const char *name, const char *suffix)
{
	size_t n = strlen(name), s = strlen(suffix);

	if (s == 0 || n < s + 2 || name[n - s - 1] != '-' || strcmp(name + n - s, suffix) != 0)
		return 0;
	return n - s - 1;
}

/* What follows the last '-' of name, or NULL when there is none (or
 * nothing before it). */
static const char *last_part(const char *name)
{
	const char *dash = strrchr(name, '-');

	return dash && dash != name ? dash + 1 : NULL;
}

static bool all_of(const char *text, const char *chars, size_t min, size_t max)
{
	size_t n = strlen(text);

	return n >= min && n <= max && strspn(text, chars) == n;
}

/* The length of the Deployment's name in the name of its ReplicaSet, 0 when
 * the ReplicaSet does not look like one a Deployment made. The pod's own
 * pod-template-hash label says for sure; the shape of the name otherwise. */
static size_t deployment_name_length(const struct np_pod *pod, const char *replicaset)
{
	const char *hash = np_labels_get(&pod->labels, "pod-template-hash");
	const char *part = last_part(replicaset);

	if (hash && without_suffix(replicaset, hash))
		return without_suffix(replicaset, hash);
	if (part && all_of(part, template_hash_chars, TEMPLATE_HASH_MIN, TEMPLATE_HASH_MAX))
		return (size_t)(part - replicaset - 1);
	return 0;
}

/* The length of the CronJob's name in the name of a Job it made, else 0. */
static size_t cronjob_name_length(const char *job)
{
	const char *part = last_part(job);

	if (part && all_of(part, "0123456789", CRONJOB_TIME_DIGITS_MIN, strlen(part)))
		return (size_t)(part - job - 1);
	return 0;
}

/* The managing controller (ownerReferences[].controller), else the first
 * owner; NULL for a bare pod. */
static const struct np_owner_ref *owner_of(const struct np_pod *pod)
{
	const struct np_owner_ref *first = NULL;

	for (size_t i = 0; i < pod->n_owners; i++) {
		const struct np_owner_ref *owner = &pod->owners[i];

		if (!owner->kind || !owner->name)
			continue;
		if (owner->controller)
			return owner;
		if (!first)
			first = owner;
	}
	return first;
}

void np_pod_workload(const struct np_pod *pod, char *buf, size_t len)
{
	const struct np_owner_ref *owner = owner_of(pod);
	size_t base;

	/* A static pod's mirror is owned by its Node: naming it by the node
	 * would lump etcd, the API server and the rest together. */
	if (!owner || strcmp(owner->kind, "Node") == 0)
		snprintf(buf, len, "Pod/%s", pod->name);
	else if (strcmp(owner->kind, "ReplicaSet") == 0 &&
		 (base = deployment_name_length(pod, owner->name)))
		snprintf(buf, len, "Deployment/%.*s", (int)base, owner->name);
	else if (strcmp(owner->kind, "Job") == 0 && (base = cronjob_name_length(owner->name)))
		snprintf(buf, len, "CronJob/%.*s", (int)base, owner->name);
	else
		snprintf(buf, len, "%s/%s", owner->kind, owner->name);
}

void np_endpoint_workload(const struct np_endpoint *end, char *buf, size_t len)
{
	char ip[NP_IP_STRLEN] = "unknown";

	if (end->ip.family)
		np_ip_format(&end->ip, ip, sizeof(ip));
	if (end->kind == NP_END_POD && end->pod)
		np_pod_workload(end->pod, buf, len);
	else if (end->kind == NP_END_NODE)
		snprintf(buf, len, "node %s", end->node ? end->node->name : ip);
	else
		snprintf(buf, len, "%s", ip);
}

/* ---- labels ---------------------------------------------------------------------- */

bool np_label_is_stable(const char *key)
{
	if (strncmp(key, batch_label_prefix, sizeof(batch_label_prefix) - 1) == 0)
		return false;
	for (size_t i = 0; i < sizeof(per_pod_labels) / sizeof(per_pod_labels[0]); i++)
		if (strcmp(key, per_pod_labels[i]) == 0)
			return false;
	return true;
}

size_t np_stable_labels(const struct np_labels *labels, struct np_label *out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < labels->count; i++) {
		if (!np_label_is_stable(labels->items[i].key))
			continue;
		if (n < max)
			out[n] = labels->items[i];
		n++;
	}
	return n;
}

const struct np_pod *np_namespace_pods(const struct np_model *model, const char *ns,
				       size_t *count)
{
	size_t lo = 0, hi = model->n_pods, end;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(model->pods[mid].namespace_name, ns) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (end = lo; end < model->n_pods; end++)
		if (strcmp(model->pods[end].namespace_name, ns) != 0)
			break;
	*count = end - lo;
	return *count ? &model->pods[lo] : NULL;
}

static bool in_workload(const struct np_pod *pod, const char *workload)
{
	char name[NP_WORKLOAD_MAX];

	np_pod_workload(pod, name, sizeof(name));
	return strcmp(name, workload) == 0;
}

/* Do the pods of workload among pods all carry label, with its value? */
static bool shared_by_all(const struct np_pod *pods, size_t n_pods, const char *workload,
			  const struct np_label *label)
{
	for (size_t i = 0; i < n_pods; i++) {
		const char *value;

		if (!in_workload(&pods[i], workload))
			continue;
		value = np_labels_get(&pods[i].labels, label->key);
		if (!value || strcmp(value, label->value) != 0)
			return false;
	}
	return true;
}

size_t np_workload_labels(const struct np_model *model, const char *ns, const char *workload,
			  struct np_label *out, size_t max)
{
	size_t n_pods, first, n = 0;
	const struct np_pod *pods = np_namespace_pods(model, ns, &n_pods);
	const struct np_labels *labels;

	for (first = 0; first < n_pods; first++)
		if (in_workload(&pods[first], workload))
			break;
	if (first == n_pods)
		return 0;
	labels = &pods[first].labels;
	for (size_t i = 0; i < labels->count; i++) {
		const struct np_label *label = &labels->items[i];

		if (!np_label_is_stable(label->key) ||
		    !shared_by_all(pods + first + 1, n_pods - first - 1, workload, label))
			continue;
		if (n < max)
			out[n] = *label;
		n++;
	}
	return n;
}
