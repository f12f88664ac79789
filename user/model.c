/* model — storage, finalisation and lookups for the cluster model.
 *
 * Strings, labels and the small arrays inside objects live in an arena of
 * zeroed chunks freed at once with the model. The top-level object arrays
 * grow by realloc while the model is built (so their pointers move until
 * np_model_finalize()), then finalisation sorts them and builds the indexes
 * every lookup uses: binary search over sorted arrays, no hashing.
 */
#include "model.h"

#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

#define CHUNK_SIZE (64 * 1024)
#define ALIGNMENT alignof(max_align_t)

static const char METADATA_NAME_LABEL[] = "kubernetes.io/metadata.name";

struct chunk {
	struct chunk *next;
	size_t size;
	size_t used;
	alignas(max_align_t) unsigned char data[];
};

/* The model's private state: the arena chunks, and the one index that has
 * no public field (pods by UID, built at finalise). */
struct np_arena {
	struct chunk *chunks;
	const struct np_pod **pods_by_uid;
	size_t n_pods_by_uid;
};

/* ---- protocols and labels --------------------------------------------------- */

const char *np_proto_name(enum np_proto proto)
{
	switch (proto) {
	case NP_PROTO_TCP:
		return "TCP";
	case NP_PROTO_UDP:
		return "UDP";
	case NP_PROTO_SCTP:
		return "SCTP";
	}
	return "?";
}

bool np_proto_parse(const char *text, enum np_proto *out)
{
	static const enum np_proto all[] = { NP_PROTO_TCP, NP_PROTO_UDP, NP_PROTO_SCTP };

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (strcmp(text, np_proto_name(all[i])) == 0) {
			*out = all[i];
			return true;
		}
	}
	return false;
}

const char *np_labels_get(const struct np_labels *labels, const char *key)
{
	size_t lo = 0, hi = labels->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int cmp = strcmp(key, labels->items[mid].key);

		if (cmp == 0)
			return labels->items[mid].value;
		if (cmp < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* ---- arena ------------------------------------------------------------------ */

struct np_model *np_model_new(void)
{
	struct np_model *model = calloc(1, sizeof(*model));

	if (!model)
		return NULL;
	model->arena = calloc(1, sizeof(*model->arena));
	if (!model->arena) {
		free(model);
		return NULL;
	}
	return model;
}

void np_model_free(struct np_model *model)
{
	if (!model)
		return;
	for (struct chunk *c = model->arena->chunks, *next; c; c = next) {
		next = c->next;
		free(c);
	}
	free(model->arena->pods_by_uid);
	free(model->arena);
	free(model->namespaces);
	free(model->pods);
	free(model->services);
	free(model->slices);
	free(model->nodes);
	free(model->policies);
	free(model->ip_index);
	free(model);
}

/* The model's API has no failure path for memory: running out of it while
 * building a model is fatal, as it is for the rest of the daemon. */

void *np_model_alloc(struct np_model *model, size_t size)
{
	struct np_arena *arena = model->arena;
	struct chunk *head = arena->chunks;
	size_t need = size ? (size + ALIGNMENT - 1) & ~(ALIGNMENT - 1) : ALIGNMENT;

	if (!head || head->size - head->used < need) {
		/* A large request gets a chunk of its own, kept behind the head so
		 * the head's free space still serves the small requests. */
		bool own = need > CHUNK_SIZE / 4;
		struct chunk *fresh = xcalloc(1, sizeof(*fresh) + (own ? need : CHUNK_SIZE));

		fresh->size = own ? need : CHUNK_SIZE;
		if (own && head) {
			fresh->next = head->next;
			head->next = fresh;
		} else {
			fresh->next = head;
			arena->chunks = fresh;
		}
		head = fresh;
	}
	void *p = head->data + head->used;

	head->used += need;
	return p;
}

const char *np_model_strdup(struct np_model *model, const char *text)
{
	size_t len = strlen(text);
	char *copy = np_model_alloc(model, len + 1);

	memcpy(copy, text, len);
	return copy;
}

/* ---- growable object arrays -------------------------------------------------- */

/* Room for one more element. Arrays start at 8 slots and double, so the
 * capacity follows from the count: full exactly when the count is 0 or a
 * power of two >= 8. */
static void *grow(void *array, size_t count, size_t elem_size)
{
	bool full = count == 0 || (count >= 8 && (count & (count - 1)) == 0);
	void *grown;

	if (!full)
		return array;
	grown = realloc(array, (count ? count * 2 : 8) * elem_size);
	if (!grown)
		abort();
	return grown;
}

struct np_namespace *np_model_add_namespace(struct np_model *model)
{
	model->namespaces =
		grow(model->namespaces, model->n_namespaces, sizeof(struct np_namespace));
	return memset(&model->namespaces[model->n_namespaces++], 0, sizeof(struct np_namespace));
}

struct np_pod *np_model_add_pod(struct np_model *model)
{
	model->pods = grow(model->pods, model->n_pods, sizeof(struct np_pod));
	return memset(&model->pods[model->n_pods++], 0, sizeof(struct np_pod));
}

struct np_service *np_model_add_service(struct np_model *model)
{
	model->services = grow(model->services, model->n_services, sizeof(struct np_service));
	return memset(&model->services[model->n_services++], 0, sizeof(struct np_service));
}

struct np_endpoint_slice *np_model_add_slice(struct np_model *model)
{
	model->slices = grow(model->slices, model->n_slices, sizeof(struct np_endpoint_slice));
	return memset(&model->slices[model->n_slices++], 0, sizeof(struct np_endpoint_slice));
}

struct np_node *np_model_add_node(struct np_model *model)
{
	model->nodes = grow(model->nodes, model->n_nodes, sizeof(struct np_node));
	return memset(&model->nodes[model->n_nodes++], 0, sizeof(struct np_node));
}

struct np_policy *np_model_add_policy(struct np_model *model)
{
	model->policies = grow(model->policies, model->n_policies, sizeof(struct np_policy));
	return memset(&model->policies[model->n_policies++], 0, sizeof(struct np_policy));
}

/* ---- finalise ---------------------------------------------------------------- */

/* qsort and bsearch must not be handed the NULL of an empty array. */
static void sort(void *base, size_t n, size_t size, int (*compare)(const void *, const void *))
{
	if (n > 1)
		qsort(base, n, size, compare);
}

static void *find(const void *key, const void *base, size_t n, size_t size,
		  int (*compare)(const void *, const void *))
{
	return n ? bsearch(key, base, n, size, compare) : NULL;
}

static int compare_ns_name(const char *ns_a, const char *name_a, const char *ns_b,
			   const char *name_b)
{
	int cmp = strcmp(ns_a, ns_b);

	return cmp ? cmp : strcmp(name_a, name_b);
}

static int compare_namespaces(const void *a, const void *b)
{
	const struct np_namespace *x = a, *y = b;

	return strcmp(x->name, y->name);
}

static int compare_pods(const void *a, const void *b)
{
	const struct np_pod *x = a, *y = b;

	return compare_ns_name(x->namespace_name, x->name, y->namespace_name, y->name);
}

static int compare_services(const void *a, const void *b)
{
	const struct np_service *x = a, *y = b;

	return compare_ns_name(x->namespace_name, x->name, y->namespace_name, y->name);
}

static int compare_slices(const void *a, const void *b)
{
	const struct np_endpoint_slice *x = a, *y = b;

	return compare_ns_name(x->namespace_name, x->name, y->namespace_name, y->name);
}

static int compare_nodes(const void *a, const void *b)
{
	const struct np_node *x = a, *y = b;

	return strcmp(x->name, y->name);
}

/* In force before staged, so a staged replacement follows the policy it
 * replaces. */
static int compare_policies(const void *a, const void *b)
{
	const struct np_policy *x = a, *y = b;
	int cmp = compare_ns_name(x->namespace_name, x->name, y->namespace_name, y->name);

	return cmp ? cmp : (int)x->staged - (int)y->staged;
}

static int compare_strings(const void *a, const void *b)
{
	const char *const *x = a, *const *y = b;

	return strcmp(*x, *y);
}

/* Namespaces named only by the objects in them get a stand-in, as the API
 * server would have one (its labels are added with the others). */
static void synthesize_namespaces(struct np_model *model)
{
	size_t cap = model->n_pods + model->n_services + model->n_slices + model->n_policies;
	const char **names = xcalloc(cap, sizeof(*names));
	size_t n = 0;

	for (size_t i = 0; i < model->n_pods; i++)
		names[n++] = model->pods[i].namespace_name;
	for (size_t i = 0; i < model->n_services; i++)
		names[n++] = model->services[i].namespace_name;
	for (size_t i = 0; i < model->n_slices; i++)
		names[n++] = model->slices[i].namespace_name;
	for (size_t i = 0; i < model->n_policies; i++)
		names[n++] = model->policies[i].namespace_name;
	sort(names, n, sizeof(*names), compare_strings);
	sort(model->namespaces, model->n_namespaces, sizeof(*model->namespaces),
	     compare_namespaces);

	size_t n_loaded = model->n_namespaces;

	for (size_t i = 0; i < n; i++) {
		struct np_namespace key = { .name = names[i] };

		if (i > 0 && strcmp(names[i - 1], names[i]) == 0)
			continue;
		if (find(&key, model->namespaces, n_loaded, sizeof(key), compare_namespaces))
			continue;
		struct np_namespace *ns = np_model_add_namespace(model);

		ns->name = names[i];
		ns->synthesized = true;
	}
	free(names);
}

/* Returns labels with kubernetes.io/metadata.name set to name, inserted in
 * key order (the API server sets this label on every namespace, immutably). */
static struct np_labels with_metadata_name(struct np_model *model, struct np_labels labels,
					   const char *name)
{
	const char *current = np_labels_get(&labels, METADATA_NAME_LABEL);

	if (current && strcmp(current, name) == 0)
		return labels;

	struct np_label *items = np_model_alloc(model, (labels.count + 1) * sizeof(*items));
	size_t n = 0;
	bool placed = false;

	for (size_t i = 0; i < labels.count; i++) {
		int cmp = strcmp(labels.items[i].key, METADATA_NAME_LABEL);

		if (cmp == 0)
			continue;
		if (cmp > 0 && !placed) {
			items[n++] = (struct np_label){ METADATA_NAME_LABEL, name };
			placed = true;
		}
		items[n++] = labels.items[i];
	}
	if (!placed)
		items[n++] = (struct np_label){ METADATA_NAME_LABEL, name };
	return (struct np_labels){ .items = items, .count = n };
}

static void mark_replaced_policies(struct np_model *model)
{
	for (size_t i = 0; i + 1 < model->n_policies; i++) {
		struct np_policy *cur = &model->policies[i];
		const struct np_policy *next = &model->policies[i + 1];

		if (!cur->staged && next->staged &&
		    compare_ns_name(cur->namespace_name, cur->name, next->namespace_name,
				    next->name) == 0)
			cur->replaced_when_staged = true;
	}
}

static int compare_ip_entries(const void *a, const void *b)
{
	const struct np_ip_index_entry *x = a, *y = b;
	int cmp = np_ip_compare(&x->ip, &y->ip);

	/* Owner order is precedence: pod, then node, then service. */
	return cmp ? cmp : (int)x->owner - (int)y->owner;
}

static void index_ip(struct np_ip_index_entry *entries, size_t *n, const struct np_ip *ip,
		     enum np_ip_owner owner, const void *object)
{
	entries[(*n)++] = (struct np_ip_index_entry){ .ip = *ip, .owner = owner, .object = object };
}

static void build_ip_index(struct np_model *model)
{
	size_t cap = 0;

	for (size_t i = 0; i < model->n_pods; i++)
		cap += model->pods[i].n_ips;
	for (size_t i = 0; i < model->n_nodes; i++)
		cap += model->nodes[i].n_addresses;
	for (size_t i = 0; i < model->n_services; i++)
		cap += model->services[i].n_cluster_ips;

	struct np_ip_index_entry *entries = xcalloc(cap, sizeof(*entries));
	size_t n = 0;

	for (size_t i = 0; i < model->n_pods; i++) {
		const struct np_pod *pod = &model->pods[i];

		/* A host-network pod's IPs are its node's: the node names them. */
		for (size_t j = 0; !pod->host_network && j < pod->n_ips; j++)
			index_ip(entries, &n, &pod->ips[j], NP_IP_POD, pod);
	}
	for (size_t i = 0; i < model->n_nodes; i++) {
		const struct np_node *node = &model->nodes[i];

		for (size_t j = 0; j < node->n_addresses; j++)
			index_ip(entries, &n, &node->addresses[j], NP_IP_NODE, node);
	}
	for (size_t i = 0; i < model->n_services; i++) {
		const struct np_service *svc = &model->services[i];

		for (size_t j = 0; j < svc->n_cluster_ips; j++)
			index_ip(entries, &n, &svc->cluster_ips[j], NP_IP_SERVICE, svc);
	}
	sort(entries, n, sizeof(*entries), compare_ip_entries);

	/* Keep the first entry per address: the one that wins by precedence,
	 * or of two pods claiming one IP, the first by namespace/name. */
	size_t kept = 0;

	for (size_t i = 0; i < n; i++) {
		if (kept > 0 && np_ip_equal(&entries[kept - 1].ip, &entries[i].ip))
			continue;
		entries[kept++] = entries[i];
	}
	model->ip_index = entries;
	model->n_ip_index = kept;
}

static int compare_pod_uids(const void *a, const void *b)
{
	const struct np_pod *const *x = a, *const *y = b;

	return strcmp((*x)->uid, (*y)->uid);
}

static void build_uid_index(struct np_model *model)
{
	struct np_arena *arena = model->arena;

	arena->pods_by_uid = xcalloc(model->n_pods, sizeof(*arena->pods_by_uid));
	arena->n_pods_by_uid = 0;
	for (size_t i = 0; i < model->n_pods; i++) {
		if (model->pods[i].uid)
			arena->pods_by_uid[arena->n_pods_by_uid++] = &model->pods[i];
	}
	sort(arena->pods_by_uid, arena->n_pods_by_uid, sizeof(*arena->pods_by_uid),
	      compare_pod_uids);
}

void np_model_finalize(struct np_model *model)
{
	if (model->finalized)
		return;
	synthesize_namespaces(model);
	sort(model->namespaces, model->n_namespaces, sizeof(*model->namespaces),
	      compare_namespaces);
	for (size_t i = 0; i < model->n_namespaces; i++) {
		struct np_namespace *ns = &model->namespaces[i];

		ns->labels = with_metadata_name(model, ns->labels, ns->name);
	}

	sort(model->pods, model->n_pods, sizeof(*model->pods), compare_pods);
	sort(model->services, model->n_services, sizeof(*model->services), compare_services);
	sort(model->slices, model->n_slices, sizeof(*model->slices), compare_slices);
	sort(model->nodes, model->n_nodes, sizeof(*model->nodes), compare_nodes);
	sort(model->policies, model->n_policies, sizeof(*model->policies), compare_policies);

	for (size_t i = 0; i < model->n_pods; i++)
		model->pods[i].ns = np_model_namespace(model, model->pods[i].namespace_name);
	mark_replaced_policies(model);
	build_ip_index(model);
	build_uid_index(model);
	model->finalized = true;
}

/* ---- lookups ------------------------------------------------------------------ */

const struct np_namespace *np_model_namespace(const struct np_model *model, const char *name)
{
	struct np_namespace key = { .name = name };

	return find(&key, model->namespaces, model->n_namespaces, sizeof(key),
		       compare_namespaces);
}

const struct np_pod *np_model_pod(const struct np_model *model, const char *ns, const char *name)
{
	struct np_pod key = { .namespace_name = ns, .name = name };

	return find(&key, model->pods, model->n_pods, sizeof(key), compare_pods);
}

const struct np_pod *np_model_pod_by_uid(const struct np_model *model, const char *uid)
{
	struct np_pod key = { .uid = uid };
	const struct np_pod *key_ptr = &key;
	const struct np_pod *const *found;

	found = find(&key_ptr, model->arena->pods_by_uid, model->arena->n_pods_by_uid,
			sizeof(key_ptr), compare_pod_uids);
	return found ? *found : NULL;
}

const struct np_service *np_model_service(const struct np_model *model, const char *ns,
					  const char *name)
{
	struct np_service key = { .namespace_name = ns, .name = name };

	return find(&key, model->services, model->n_services, sizeof(key), compare_services);
}

const struct np_ip_index_entry *np_model_lookup_ip(const struct np_model *model,
						   const struct np_ip *ip)
{
	size_t lo = 0, hi = model->n_ip_index;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int cmp = np_ip_compare(ip, &model->ip_index[mid].ip);

		if (cmp == 0)
			return &model->ip_index[mid];
		if (cmp < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* First index whose policy's namespace is not below ns. */
static size_t policies_lower_bound(const struct np_model *model, const char *ns, bool past)
{
	size_t lo = 0, hi = model->n_policies;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int cmp = strcmp(model->policies[mid].namespace_name, ns);

		if (cmp < 0 || (past && cmp == 0))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct np_policy *np_model_namespace_policies(const struct np_model *model, const char *ns,
						     size_t *count)
{
	size_t first = policies_lower_bound(model, ns, false);

	*count = policies_lower_bound(model, ns, true) - first;
	return model->policies + first;
}
