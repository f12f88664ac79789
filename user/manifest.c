/* manifest — Kubernetes manifests (YAML or JSON) into the cluster model.
 *
 * Input is split into objects (documents, List items, JSON arrays); each
 * object is validated as the API server validates it and compiled into model
 * form. Errors name the file, the object (Kind namespace/name) and the field
 * path in the API server's notation (spec.ingress[0].ports[1].port,
 * metadata.labels[app]). Objects of kinds the model does not hold are
 * skipped and counted.
 */
#include "manifest.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "yamljson.h"

#define MAX_SKIPPED_KINDS 32
#define MAX_DIR_DEPTH 32
#define FIELD_PATH_LEN 256
#define MAX_PORT 65535

static const char SERVICE_NAME_LABEL[] = "kubernetes.io/service-name";

struct skipped_kind {
	char kind[96];
	size_t count;
};

/* One load: options, counters, and where errors go. */
struct session {
	struct np_model *model;
	const char *default_namespace;
	bool staged;
	bool skip_policies;
	struct np_load_stats stats;
	struct skipped_kind skipped[MAX_SKIPPED_KINDS];
	size_t n_skipped;
	char *err;
	size_t err_len;
};

/* One file or buffer being loaded. */
struct source {
	struct session *session;
	const char *file;                  /* model-owned, for origins */
	const struct np_yaml_stream *yaml; /* NULL for JSON input */
};

/* One object being loaded, and the field path being looked at. */
struct object {
	const struct source *src;
	struct np_model *model;
	const char *kind;
	const char *ns; /* NULL for cluster-scoped kinds */
	const char *name;
	int line;
	char path[FIELD_PATH_LEN];
	size_t path_len;
};

/* ---- messages ----------------------------------------------------------------- */

__attribute__((format(printf, 2, 3))) static int fail(struct session *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->err, s->err_len, fmt, ap);
	va_end(ap);
	return -1;
}

/* "FILE: Kind ns/name: field.path: message"; an object without a name is
 * placed by its line instead: "FILE:12: Pod: metadata.name: ...". */
__attribute__((format(printf, 2, 3))) static int invalid(struct object *o, const char *fmt, ...)
{
	char message[512], file[512], object[320];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	if (!o->name && o->line > 0)
		snprintf(file, sizeof(file), "%s:%d", o->src->file, o->line);
	else
		snprintf(file, sizeof(file), "%s", o->src->file);
	if (!o->name)
		snprintf(object, sizeof(object), "%s", o->kind);
	else if (o->ns)
		snprintf(object, sizeof(object), "%s %s/%s", o->kind, o->ns, o->name);
	else
		snprintf(object, sizeof(object), "%s %s", o->kind, o->name);
	if (o->path_len)
		return fail(o->src->session, "%s: %s: %s: %s", file, object, o->path, message);
	return fail(o->src->session, "%s: %s: %s", file, object, message);
}

/* ---- field paths ------------------------------------------------------------------ */

/* Appends to the path and returns its old length, to restore with leave().
 * An error ends the load, so paths are restored on success only. */
__attribute__((format(printf, 2, 3))) static size_t path_append(struct object *o,
								 const char *fmt, ...)
{
	size_t mark = o->path_len;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(o->path + mark, sizeof(o->path) - mark, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->path_len = mark + (size_t)n < sizeof(o->path) ? mark + (size_t)n
								 : sizeof(o->path) - 1;
	return mark;
}

static size_t enter(struct object *o, const char *field)
{
	return path_append(o, "%s%s", o->path_len ? "." : "", field);
}

static size_t enter_index(struct object *o, size_t index)
{
	return path_append(o, "[%zu]", index);
}

static size_t enter_key(struct object *o, const char *key)
{
	return path_append(o, "[%s]", key);
}

static void leave(struct object *o, size_t mark)
{
	o->path_len = mark;
	o->path[mark] = '\0';
}

/* ---- typed access to JSON ------------------------------------------------------- */

static const char *type_name(const json_t *value)
{
	switch (json_typeof(value)) {
	case JSON_OBJECT:
		return "a mapping";
	case JSON_ARRAY:
		return "a list";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		return "null";
	}
	return "?";
}

/* A member, with null read as absent (as the API's decoding does). A NULL
 * parent reads as a mapping with no members. */
static const json_t *member(const json_t *parent, const char *key)
{
	const json_t *value = json_object_get(parent, key);

	return json_is_null(value) ? NULL : value;
}

static int wrong_type(struct object *o, const json_t *value, json_type want)
{
	static const char *const names[] = {
		[JSON_OBJECT] = "a mapping",
		[JSON_ARRAY] = "a list",
		[JSON_STRING] = "a string",
		[JSON_TRUE] = "a boolean",
	};

	/* YAML turns unquoted true, yes, 1.0 into non-strings: say how to fix it. */
	if (want == JSON_STRING && json_is_boolean(value))
		return invalid(o, "must be a string, not a boolean (quote %s to keep it text)",
			       json_is_true(value) ? "true" : "false");
	if (want == JSON_STRING && json_is_number(value))
		return invalid(o, "must be a string, not a number (quote it to keep it text)");
	return invalid(o, "must be %s, not %s", names[want], type_name(value));
}

static bool has_type(const json_t *value, json_type type)
{
	return type == JSON_TRUE ? json_is_boolean(value) : json_typeof(value) == type;
}

/* The value at parent.key checked to be of a type (JSON_TRUE: a boolean);
 * *out is NULL when absent. */
static int get_typed(struct object *o, const json_t *parent, const char *key, json_type type,
		     const json_t **out)
{
	const json_t *value = member(parent, key);

	*out = NULL;
	if (!value)
		return 0;
	if (!has_type(value, type)) {
		enter(o, key);
		return wrong_type(o, value, type);
	}
	*out = value;
	return 0;
}

static int get_array(struct object *o, const json_t *parent, const char *key,
		     const json_t **out)
{
	return get_typed(o, parent, key, JSON_ARRAY, out);
}

/* A string field copied into the model; NULL when absent. */
static int get_string(struct object *o, const json_t *parent, const char *key,
		      const char **out)
{
	const json_t *value;

	*out = NULL;
	if (get_typed(o, parent, key, JSON_STRING, &value) != 0)
		return -1;
	if (value)
		*out = np_model_strdup(o->model, json_string_value(value));
	return 0;
}

static int get_bool(struct object *o, const json_t *parent, const char *key, bool fallback,
		    bool *out)
{
	const json_t *value;

	if (get_typed(o, parent, key, JSON_TRUE, &value) != 0)
		return -1;
	*out = value ? json_is_true(value) : fallback;
	return 0;
}

static int element_string(struct object *o, const json_t *element, const char **out)
{
	*out = NULL;
	if (!json_is_string(element))
		return wrong_type(o, element, JSON_STRING);
	*out = np_model_strdup(o->model, json_string_value(element));
	return 0;
}

/* Model memory for n items; NULL for none. */
static void *alloc_array(struct object *o, size_t n, size_t size)
{
	return n ? np_model_alloc(o->model, n * size) : NULL;
}

/* Parses a mapping (NULL when it is absent or null) into out. */
typedef int (*mapping_parser)(struct object *o, const json_t *mapping, void *out);

/* Runs parse on the mapping at parent.key, with the path extended. */
static int get_mapping(struct object *o, const json_t *parent, const char *key,
		       mapping_parser parse, void *out)
{
	const json_t *value;
	size_t mark;

	if (get_typed(o, parent, key, JSON_OBJECT, &value) != 0)
		return -1;
	mark = enter(o, key);
	if (parse(o, value, out) != 0)
		return -1;
	leave(o, mark);
	return 0;
}

struct list {
	void *items;
	size_t n;
};

/* Parses each mapping of the list at parent.key into an array of
 * elem_size items in the model; absent and empty lists give none. A null
 * element reads as {}, as the API's decoding has it. */
static int get_list(struct object *o, const json_t *parent, const char *key, size_t elem_size,
		    mapping_parser parse, struct list *out)
{
	const json_t *list, *element;
	unsigned char *items;
	size_t mark, i;

	*out = (struct list){ 0 };
	if (get_array(o, parent, key, &list) != 0)
		return -1;
	if (!list || json_array_size(list) == 0)
		return 0;
	items = alloc_array(o, json_array_size(list), elem_size);
	mark = enter(o, key);
	json_array_foreach(list, i, element) {
		size_t item_mark = enter_index(o, i);

		if (!json_is_null(element) && !json_is_object(element))
			return wrong_type(o, element, JSON_OBJECT);
		if (parse(o, json_is_null(element) ? NULL : element, items + i * elem_size) != 0)
			return -1;
		leave(o, item_mark);
	}
	leave(o, mark);
	*out = (struct list){ .items = items, .n = i };
	return 0;
}

/* The strings of the list at parent.key, in the model. */
static int get_strings(struct object *o, const json_t *parent, const char *key,
		       const char ***out, size_t *n_out)
{
	const json_t *list, *element;
	const char **items;
	size_t mark, i;

	*out = NULL;
	*n_out = 0;
	if (get_array(o, parent, key, &list) != 0)
		return -1;
	if (!list || json_array_size(list) == 0)
		return 0;
	items = alloc_array(o, json_array_size(list), sizeof(*items));
	mark = enter(o, key);
	json_array_foreach(list, i, element) {
		size_t item_mark = enter_index(o, i);

		if (element_string(o, element, &items[i]) != 0)
			return -1;
		leave(o, item_mark);
	}
	leave(o, mark);
	*out = items;
	*n_out = i;
	return 0;
}

/* ---- values: ports, protocols, addresses --------------------------------------- */

/* IANA_SVC_NAME, as the API validates named ports: 1-15 characters of a-z,
 * 0-9 and '-', at least one letter, no '-' at either end, no "--". */
static bool valid_port_name(const char *name)
{
	size_t len = strlen(name);
	bool letter = false;

	if (len == 0 || len > 15 || name[0] == '-' || name[len - 1] == '-' || strstr(name, "--"))
		return false;
	for (const char *c = name; *c; c++) {
		if (*c >= 'a' && *c <= 'z')
			letter = true;
		else if (!(*c >= '0' && *c <= '9') && *c != '-')
			return false;
	}
	return letter;
}

/* Integers may arrive as whole reals from YAML ("08" is the float 8). */
static bool integer_value(const json_t *value, json_int_t *out)
{
	double real;

	if (json_is_integer(value)) {
		*out = json_integer_value(value);
		return true;
	}
	if (!json_is_real(value))
		return false;
	real = json_real_value(value);
	if (real != floor(real) || fabs(real) > 1e15)
		return false;
	*out = (json_int_t)real;
	return true;
}

static int check_port_number(struct object *o, json_int_t number)
{
	if (number < 1 || number > MAX_PORT)
		return invalid(o, "%" JSON_INTEGER_FORMAT " is not a valid port number (1-65535)",
			       number);
	return 0;
}

/* The port number at parent.key; 0 when absent and not required. */
static int get_port(struct object *o, const json_t *parent, const char *key, bool required,
		    uint16_t *out)
{
	const json_t *value = member(parent, key);
	size_t mark = enter(o, key);
	json_int_t number;

	*out = 0;
	if (!value && required)
		return invalid(o, "is required");
	if (value && !integer_value(value, &number))
		return invalid(o, "must be a port number, not %s", type_name(value));
	if (value && check_port_number(o, number) != 0)
		return -1;
	if (value)
		*out = (uint16_t)number;
	leave(o, mark);
	return 0;
}

/* An IntOrString port at parent.key: a number 1-65535 or an IANA_SVC_NAME.
 * *present is false when there is none; *name is NULL for a number. */
static int get_port_or_name(struct object *o, const json_t *parent, const char *key,
			    bool *present, uint16_t *number, const char **name)
{
	const json_t *value = member(parent, key);
	size_t mark = enter(o, key);
	const char *text;
	json_int_t n;

	*present = value != NULL;
	*number = 0;
	*name = NULL;
	if (!value) {
		leave(o, mark);
		return 0;
	}
	if (integer_value(value, &n)) {
		if (check_port_number(o, n) != 0)
			return -1;
		*number = (uint16_t)n;
		leave(o, mark);
		return 0;
	}
	if (!json_is_string(value))
		return invalid(o, "must be a port number or name, not %s", type_name(value));
	text = json_string_value(value);
	if (!valid_port_name(text)) {
		bool digits = text[0] != '\0' && strspn(text, "0123456789") == strlen(text);

		return invalid(o, "\"%s\" is neither a port number nor a valid port name%s", text,
			       digits ? " (a port number must not be quoted)" : "");
	}
	*name = np_model_strdup(o->model, text);
	leave(o, mark);
	return 0;
}

/* A port's name; "" (as EndpointSlices have for an unnamed port) is none. */
static int get_port_name(struct object *o, const json_t *parent, const char *key,
			 const char **out)
{
	if (get_string(o, parent, key, out) != 0)
		return -1;
	if (*out && (*out)[0] == '\0')
		*out = NULL;
	if (*out && !valid_port_name(*out)) {
		enter(o, key);
		return invalid(o, "\"%s\" is not a valid port name (1-15 characters of a-z, 0-9 "
				  "and '-', with a letter)", *out);
	}
	return 0;
}

/* protocol: TCP when absent. */
static int get_protocol(struct object *o, const json_t *parent, enum np_proto *out)
{
	const char *text;

	*out = NP_PROTO_TCP;
	if (get_string(o, parent, "protocol", &text) != 0)
		return -1;
	if (text && !np_proto_parse(text, out)) {
		enter(o, "protocol");
		return invalid(o, "\"%s\" is not a supported protocol (TCP, UDP or SCTP)", text);
	}
	return 0;
}

static int parse_ip(struct object *o, const char *text, struct np_ip *out)
{
	if (!np_ip_parse(text, out))
		return invalid(o, "\"%s\" is not an IP address", text);
	return 0;
}

/* The IP addresses of the list of strings at parent.key. */
static int get_ips(struct object *o, const json_t *parent, const char *key,
		   const struct np_ip **out, size_t *n_out)
{
	const char **texts;
	struct np_ip *ips;
	size_t n, mark;

	*out = NULL;
	*n_out = 0;
	if (get_strings(o, parent, key, &texts, &n) != 0)
		return -1;
	ips = alloc_array(o, n, sizeof(*ips));
	mark = enter(o, key);
	for (size_t i = 0; i < n; i++) {
		size_t item_mark = enter_index(o, i);

		if (parse_ip(o, texts[i], &ips[i]) != 0)
			return -1;
		leave(o, item_mark);
	}
	leave(o, mark);
	*out = ips;
	*n_out = n;
	return 0;
}

/* ---- labels and selectors ----------------------------------------------------- */

static int compare_labels(const void *a, const void *b)
{
	const struct np_label *x = a, *y = b;

	return strcmp(x->key, y->key);
}

/* The map of strings at parent.key (labels, annotations, matchLabels, a
 * Service's selector), sorted by key. */
static int get_string_map(struct object *o, const json_t *parent, const char *key,
			  struct np_labels *out)
{
	const json_t *map, *value;
	const char *map_key;
	struct np_label *items;
	size_t n = 0, mark;

	*out = (struct np_labels){ 0 };
	if (get_typed(o, parent, key, JSON_OBJECT, &map) != 0)
		return -1;
	if (!map || json_object_size(map) == 0)
		return 0;
	items = alloc_array(o, json_object_size(map), sizeof(*items));
	mark = enter(o, key);
	json_object_foreach((json_t *)map, map_key, value) {
		size_t key_mark = enter_key(o, map_key);

		if (!json_is_string(value))
			return wrong_type(o, value, JSON_STRING);
		leave(o, key_mark);
		items[n].key = np_model_strdup(o->model, map_key);
		items[n++].value = np_model_strdup(o->model, json_string_value(value));
	}
	leave(o, mark);
	qsort(items, n, sizeof(*items), compare_labels);
	*out = (struct np_labels){ .items = items, .count = n };
	return 0;
}

static int metadata_labels(struct object *o, const json_t *metadata, void *out)
{
	return get_string_map(o, metadata, "labels", out);
}

static int metadata_annotations(struct object *o, const json_t *metadata, void *out)
{
	return get_string_map(o, metadata, "annotations", out);
}

static int compare_strings(const void *a, const void *b)
{
	const char *const *x = a, *const *y = b;

	return strcmp(*x, *y);
}

static bool parse_operator(const char *text, enum np_selector_op *out)
{
	static const struct {
		const char *name;
		enum np_selector_op op;
	} ops[] = {
		{ "In", NP_OP_IN },
		{ "NotIn", NP_OP_NOT_IN },
		{ "Exists", NP_OP_EXISTS },
		{ "DoesNotExist", NP_OP_DOES_NOT_EXIST },
	};

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		if (strcmp(text, ops[i].name) == 0) {
			*out = ops[i].op;
			return true;
		}
	}
	return false;
}

/* One matchExpressions entry, validated as the API does. */
static int parse_expression(struct object *o, const json_t *expr, void *out)
{
	struct np_requirement *req = out;
	const char *op, **values;
	size_t n_values, mark;
	bool wants_values;

	if (get_string(o, expr, "key", &req->key) != 0 ||
	    get_string(o, expr, "operator", &op) != 0 ||
	    get_strings(o, expr, "values", &values, &n_values) != 0)
		return -1;
	if (!req->key || req->key[0] == '\0') {
		enter(o, "key");
		return invalid(o, "is required");
	}
	mark = enter(o, "operator");
	if (!op)
		return invalid(o, "is required");
	if (!parse_operator(op, &req->op))
		return invalid(o, "\"%s\" is not a valid selector operator (In, NotIn, Exists or "
				  "DoesNotExist)", op);
	leave(o, mark);
	wants_values = req->op == NP_OP_IN || req->op == NP_OP_NOT_IN;
	enter(o, "values");
	if (wants_values && n_values == 0)
		return invalid(o, "must be non-empty when operator is In or NotIn");
	if (!wants_values && n_values > 0)
		return invalid(o, "must be empty when operator is Exists or DoesNotExist");
	leave(o, mark);
	if (n_values > 1)
		qsort(values, n_values, sizeof(*values), compare_strings);
	req->values = values;
	req->n_values = n_values;
	return 0;
}

/* A LabelSelector: matchLabels (as In with one value each, in key order),
 * then matchExpressions in the order written. */
static int parse_selector(struct object *o, const json_t *selector, void *out)
{
	struct np_selector *compiled = out;
	struct np_labels match_labels;
	struct list exprs;
	struct np_requirement *reqs;

	if (get_string_map(o, selector, "matchLabels", &match_labels) != 0 ||
	    get_list(o, selector, "matchExpressions", sizeof(*reqs), parse_expression, &exprs))
		return -1;
	reqs = alloc_array(o, match_labels.count + exprs.n, sizeof(*reqs));
	for (size_t i = 0; i < match_labels.count; i++)
		reqs[i] = (struct np_requirement){ .key = match_labels.items[i].key,
						   .op = NP_OP_IN,
						   .values = &match_labels.items[i].value,
						   .n_values = 1,
						   .from_match_labels = true };
	if (exprs.n > 0)
		memcpy(reqs + match_labels.count, exprs.items, exprs.n * sizeof(*reqs));
	*compiled = (struct np_selector){ .reqs = reqs, .n_reqs = match_labels.count + exprs.n };
	return 0;
}

/* The selector at parent.key; *present tells absent from {}, which selects
 * everything. */
static int get_selector(struct object *o, const json_t *parent, const char *key,
			struct np_selector *out, bool *present)
{
	*out = (struct np_selector){ 0 };
	*present = member(parent, key) != NULL;
	return *present ? get_mapping(o, parent, key, parse_selector, out) : 0;
}

/* ---- Namespace, Node ------------------------------------------------------------ */

static struct np_origin origin_of(const struct object *o)
{
	return (struct np_origin){ .file = o->src->file, .line = o->line };
}

static int load_namespace(struct object *o, const json_t *doc)
{
	struct np_labels labels;

	if (get_mapping(o, doc, "metadata", metadata_labels, &labels) != 0)
		return -1;

	struct np_namespace *ns = np_model_add_namespace(o->model);

	ns->name = o->name;
	ns->labels = labels;
	ns->origin = origin_of(o);
	o->src->session->stats.namespaces++;
	return 0;
}

/* A status.addresses entry: an IP (InternalIP, ExternalIP) or not (Hostname). */
static int parse_node_address(struct object *o, const json_t *entry, void *out)
{
	struct np_ip *ip = out;
	const char *address;

	if (get_string(o, entry, "address", &address) != 0)
		return -1;
	if (!address || !np_ip_parse(address, ip))
		ip->family = 0;
	return 0;
}

static int node_status(struct object *o, const json_t *status, void *out)
{
	struct np_node *node = out;
	struct list entries;
	struct np_ip *ips;
	size_t n = 0;

	if (get_list(o, status, "addresses", sizeof(*ips), parse_node_address, &entries) != 0)
		return -1;
	ips = entries.items;
	for (size_t i = 0; i < entries.n; i++) {
		if (ips[i].family != 0)
			ips[n++] = ips[i];
	}
	node->addresses = ips;
	node->n_addresses = n;
	return 0;
}

static int load_node(struct object *o, const json_t *doc)
{
	struct np_node node = { .name = o->name, .origin = origin_of(o) };

	if (get_mapping(o, doc, "metadata", metadata_labels, &node.labels) != 0 ||
	    get_mapping(o, doc, "status", node_status, &node) != 0)
		return -1;
	*np_model_add_node(o->model) = node;
	o->src->session->stats.nodes++;
	return 0;
}

/* ---- Pod ----------------------------------------------------------------------- */

static int parse_owner(struct object *o, const json_t *ref, void *out)
{
	struct np_owner_ref *owner = out;

	if (get_string(o, ref, "kind", &owner->kind) != 0 ||
	    get_string(o, ref, "name", &owner->name) != 0 ||
	    get_bool(o, ref, "controller", false, &owner->controller) != 0)
		return -1;
	return 0;
}

static int pod_metadata(struct object *o, const json_t *metadata, void *out)
{
	struct np_pod *pod = out;
	struct list owners;

	if (get_string_map(o, metadata, "labels", &pod->labels) != 0 ||
	    get_string(o, metadata, "uid", &pod->uid) != 0 ||
	    get_list(o, metadata, "ownerReferences", sizeof(struct np_owner_ref), parse_owner,
		     &owners) != 0)
		return -1;
	pod->owners = owners.items;
	pod->n_owners = owners.n;
	return 0;
}

static int parse_container_port(struct object *o, const json_t *entry, void *out)
{
	struct np_container_port *port = out;

	if (get_port(o, entry, "containerPort", true, &port->port) != 0 ||
	    get_port_name(o, entry, "name", &port->name) != 0 ||
	    get_protocol(o, entry, &port->proto) != 0)
		return -1;
	return 0;
}

static int parse_container(struct object *o, const json_t *container, void *out)
{
	return get_list(o, container, "ports", sizeof(struct np_container_port),
			parse_container_port, out);
}

/* The ports of spec.containers and spec.initContainers (sidecars serve
 * too), in one list: named ports resolve against all of them. */
static int pod_spec(struct object *o, const json_t *spec, void *out)
{
	static const char *const fields[] = { "containers", "initContainers" };
	struct np_pod *pod = out;
	struct list containers[2];
	size_t total = 0, n = 0;

	if (get_bool(o, spec, "hostNetwork", false, &pod->host_network) != 0 ||
	    get_string(o, spec, "nodeName", &pod->node_name) != 0)
		return -1;
	for (size_t f = 0; f < 2; f++) {
		if (get_list(o, spec, fields[f], sizeof(struct list), parse_container,
			     &containers[f]) != 0)
			return -1;
		for (size_t c = 0; c < containers[f].n; c++)
			total += ((const struct list *)containers[f].items)[c].n;
	}

	struct np_container_port *ports = alloc_array(o, total, sizeof(*ports));

	for (size_t f = 0; f < 2; f++) {
		for (size_t c = 0; c < containers[f].n; c++) {
			const struct list *container = (const struct list *)containers[f].items + c;
			const struct np_container_port *items = container->items;

			for (size_t p = 0; p < container->n; p++)
				ports[n++] = items[p];
		}
	}
	pod->ports = ports;
	pod->n_ports = n;
	return 0;
}

static int parse_pod_ip(struct object *o, const json_t *entry, void *out)
{
	const char *text;
	size_t mark;

	if (get_string(o, entry, "ip", &text) != 0)
		return -1;
	mark = enter(o, "ip");
	if (!text)
		return invalid(o, "is required");
	if (parse_ip(o, text, out) != 0)
		return -1;
	leave(o, mark);
	return 0;
}

/* status.podIPs, else status.podIP. A pod that has finished (Succeeded or
 * Failed) no longer holds its IP, which a running pod may have now. */
static int pod_status(struct object *o, const json_t *status, void *out)
{
	struct np_pod *pod = out;
	const char *phase, *single;
	struct list ips;

	if (get_string(o, status, "phase", &phase) != 0 ||
	    get_list(o, status, "podIPs", sizeof(struct np_ip), parse_pod_ip, &ips) != 0 ||
	    get_string(o, status, "podIP", &single) != 0)
		return -1;
	if (ips.n == 0 && single && single[0] != '\0') {
		size_t mark = enter(o, "podIP");

		ips = (struct list){ .items = np_model_alloc(o->model, sizeof(struct np_ip)),
				     .n = 1 };
		if (parse_ip(o, single, ips.items) != 0)
			return -1;
		leave(o, mark);
	}
	if (phase && (strcmp(phase, "Succeeded") == 0 || strcmp(phase, "Failed") == 0))
		ips = (struct list){ 0 };
	pod->ips = ips.items;
	pod->n_ips = ips.n;
	return 0;
}

static int load_pod(struct object *o, const json_t *doc)
{
	struct np_pod pod = { .namespace_name = o->ns, .name = o->name, .origin = origin_of(o) };

	if (get_mapping(o, doc, "metadata", pod_metadata, &pod) != 0 ||
	    get_mapping(o, doc, "spec", pod_spec, &pod) != 0 ||
	    get_mapping(o, doc, "status", pod_status, &pod) != 0)
		return -1;
	*np_model_add_pod(o->model) = pod;
	o->src->session->stats.pods++;
	return 0;
}

/* ---- Service --------------------------------------------------------------------- */

/* targetPort defaults to port. */
static int parse_service_port(struct object *o, const json_t *entry, void *out)
{
	struct np_service_port *port = out;
	bool has_target;

	if (get_port_name(o, entry, "name", &port->name) != 0 ||
	    get_port(o, entry, "port", true, &port->port) != 0 ||
	    get_protocol(o, entry, &port->proto) != 0 ||
	    get_port_or_name(o, entry, "targetPort", &has_target, &port->target_port,
			     &port->target_port_name) != 0)
		return -1;
	if (!has_target)
		port->target_port = port->port;
	return 0;
}

static int cluster_ip(struct object *o, const char *text, struct np_service *svc,
		      struct np_ip *ips)
{
	if (strcmp(text, "None") == 0 || text[0] == '\0')
		return 0;
	return parse_ip(o, text, &ips[svc->n_cluster_ips++]);
}

/* spec.clusterIPs, else spec.clusterIP; "None" (headless) and "" are no
 * address. */
static int service_ips(struct object *o, const json_t *spec, struct np_service *svc)
{
	const char **texts, *single;
	struct np_ip *ips;
	size_t n, mark;

	if (get_strings(o, spec, "clusterIPs", &texts, &n) != 0 ||
	    get_string(o, spec, "clusterIP", &single) != 0)
		return -1;
	ips = alloc_array(o, n ? n : 1, sizeof(*ips));
	svc->cluster_ips = ips;
	if (n == 0) {
		mark = enter(o, "clusterIP");
		if (single && cluster_ip(o, single, svc, ips) != 0)
			return -1;
		leave(o, mark);
		return 0;
	}
	mark = enter(o, "clusterIPs");
	for (size_t i = 0; i < n; i++) {
		size_t item_mark = enter_index(o, i);

		if (cluster_ip(o, texts[i], svc, ips) != 0)
			return -1;
		leave(o, item_mark);
	}
	leave(o, mark);
	return 0;
}

/* A Service's selector is a plain map; compiled like matchLabels. An empty
 * one selects nothing: endpoints are then managed by hand, as without. */
static int service_spec(struct object *o, const json_t *spec, void *out)
{
	struct np_service *svc = out;
	struct list ports;
	struct np_requirement *reqs;

	if (service_ips(o, spec, svc) != 0 ||
	    get_list(o, spec, "ports", sizeof(struct np_service_port), parse_service_port,
		     &ports) != 0 ||
	    get_string_map(o, spec, "selector", &svc->selector_labels) != 0)
		return -1;
	svc->ports = ports.items;
	svc->n_ports = ports.n;
	svc->has_selector = svc->selector_labels.count > 0;
	reqs = alloc_array(o, svc->selector_labels.count, sizeof(*reqs));
	for (size_t i = 0; i < svc->selector_labels.count; i++)
		reqs[i] = (struct np_requirement){ .key = svc->selector_labels.items[i].key,
						   .op = NP_OP_IN,
						   .values = &svc->selector_labels.items[i].value,
						   .n_values = 1,
						   .from_match_labels = true };
	svc->selector = (struct np_selector){ .reqs = reqs, .n_reqs = svc->selector_labels.count };
	return 0;
}

static int load_service(struct object *o, const json_t *doc)
{
	struct np_service svc = { .namespace_name = o->ns,
				  .name = o->name,
				  .origin = origin_of(o) };

	if (get_mapping(o, doc, "spec", service_spec, &svc) != 0)
		return -1;
	*np_model_add_service(o->model) = svc;
	o->src->session->stats.services++;
	return 0;
}

/* ---- EndpointSlice ---------------------------------------------------------------- */

/* A port left out means every port of the endpoints: kept as 0. */
static int parse_slice_port(struct object *o, const json_t *entry, void *out)
{
	struct np_slice_port *port = out;

	if (get_port_name(o, entry, "name", &port->name) != 0 ||
	    get_port(o, entry, "port", false, &port->port) != 0 ||
	    get_protocol(o, entry, &port->proto) != 0)
		return -1;
	return 0;
}

static int endpoint_conditions(struct object *o, const json_t *conditions, void *out)
{
	return get_bool(o, conditions, "ready", true, out);
}

/* targetRef names a pod only when its kind is Pod. */
static int endpoint_target(struct object *o, const json_t *ref, void *out)
{
	const char **pod_name = out;
	const char *kind, *name;

	if (get_string(o, ref, "kind", &kind) != 0 || get_string(o, ref, "name", &name) != 0)
		return -1;
	*pod_name = kind && strcmp(kind, "Pod") == 0 ? name : NULL;
	return 0;
}

/* Addresses are parsed afterwards: only the slice knows its addressType. */
static int parse_slice_endpoint(struct object *o, const json_t *entry, void *out)
{
	struct np_slice_endpoint *endpoint = out;

	if (get_mapping(o, entry, "conditions", endpoint_conditions, &endpoint->ready) != 0 ||
	    get_string(o, entry, "nodeName", &endpoint->node_name) != 0 ||
	    get_mapping(o, entry, "targetRef", endpoint_target, &endpoint->pod_name) != 0)
		return -1;
	return 0;
}

/* The addresses of each endpoint, unless the slice's are names (FQDN). */
static int slice_addresses(struct object *o, const json_t *doc, struct list *endpoints)
{
	const json_t *list = member(doc, "endpoints");
	struct np_slice_endpoint *items = endpoints->items;
	const char *address_type;
	size_t mark;

	if (get_string(o, doc, "addressType", &address_type) != 0)
		return -1;
	if (address_type && strcmp(address_type, "FQDN") == 0)
		return 0;
	mark = enter(o, "endpoints");
	for (size_t i = 0; i < endpoints->n; i++) {
		size_t item_mark = enter_index(o, i);

		if (get_ips(o, json_array_get(list, i), "addresses", &items[i].addresses,
			    &items[i].n_addresses) != 0)
			return -1;
		leave(o, item_mark);
	}
	leave(o, mark);
	return 0;
}

static int load_slice(struct object *o, const json_t *doc)
{
	struct np_endpoint_slice slice = { .namespace_name = o->ns,
					   .name = o->name,
					   .origin = origin_of(o) };
	struct np_labels labels;
	struct list ports, endpoints;

	if (get_mapping(o, doc, "metadata", metadata_labels, &labels) != 0 ||
	    get_list(o, doc, "ports", sizeof(struct np_slice_port), parse_slice_port, &ports) ||
	    get_list(o, doc, "endpoints", sizeof(struct np_slice_endpoint), parse_slice_endpoint,
		     &endpoints) != 0 ||
	    slice_addresses(o, doc, &endpoints) != 0)
		return -1;
	slice.service_name = np_labels_get(&labels, SERVICE_NAME_LABEL);
	slice.ports = ports.items;
	slice.n_ports = ports.n;
	slice.endpoints = endpoints.items;
	slice.n_endpoints = endpoints.n;
	*np_model_add_slice(o->model) = slice;
	o->src->session->stats.slices++;
	return 0;
}

/* ---- NetworkPolicy ----------------------------------------------------------------- */

/* A CIDR as the API accepts it: address/prefix, the prefix not optional. */
static int parse_cidr(struct object *o, const char *text, struct np_cidr *out)
{
	if (!strchr(text, '/') || !np_cidr_parse(text, out))
		return invalid(o, "\"%s\" is not a valid CIDR (address/prefix)", text);
	return 0;
}

/* Each except entry must be a strict subset of cidr (API validation). */
static int parse_ipblock(struct object *o, const json_t *block, void *out)
{
	struct np_ipblock *ipblock = out;
	const char *cidr, **texts;
	struct np_cidr *excepts;
	size_t n, mark;

	if (get_string(o, block, "cidr", &cidr) != 0 ||
	    get_strings(o, block, "except", &texts, &n) != 0)
		return -1;
	mark = enter(o, "cidr");
	if (!cidr)
		return invalid(o, "is required");
	if (parse_cidr(o, cidr, &ipblock->cidr) != 0)
		return -1;
	leave(o, mark);
	excepts = alloc_array(o, n, sizeof(*excepts));
	mark = enter(o, "except");
	for (size_t i = 0; i < n; i++) {
		size_t item_mark = enter_index(o, i);

		if (parse_cidr(o, texts[i], &excepts[i]) != 0)
			return -1;
		if (!np_cidr_covers(&ipblock->cidr, &excepts[i]) ||
		    excepts[i].prefix <= ipblock->cidr.prefix)
			return invalid(o, "\"%s\" is not a strict subset of cidr \"%s\"", texts[i],
				       cidr);
		leave(o, item_mark);
	}
	leave(o, mark);
	ipblock->except = excepts;
	ipblock->n_except = n;
	return 0;
}

/* A peer is one of podSelector, namespaceSelector (either or both), or
 * ipBlock alone; {} is rejected by the API, and so here. */
static int parse_peer(struct object *o, const json_t *entry, void *out)
{
	struct np_peer *peer = out;
	bool has_pods, has_namespaces, has_block = member(entry, "ipBlock") != NULL;

	if (get_selector(o, entry, "podSelector", &peer->pod_selector, &has_pods) != 0 ||
	    get_selector(o, entry, "namespaceSelector", &peer->namespace_selector,
			 &has_namespaces) != 0)
		return -1;
	if (has_block && (has_pods || has_namespaces))
		return invalid(o, "may not specify both ipBlock and another peer");
	if (has_block) {
		peer->kind = NP_PEER_IPBLOCK;
		return get_mapping(o, entry, "ipBlock", parse_ipblock, &peer->ipblock);
	}
	if (!has_pods && !has_namespaces)
		return invalid(o, "must specify a peer (podSelector, namespaceSelector or "
				  "ipBlock)");
	peer->kind = has_pods && has_namespaces ? NP_PEER_NS_AND_PODS
		     : has_pods			 ? NP_PEER_PODS
						 : NP_PEER_NAMESPACES;
	return 0;
}

/* port: a number, a name, or absent (every port); endPort only with a
 * numeric port, and not below it (API validation). */
static int parse_policy_port(struct object *o, const json_t *entry, void *out)
{
	struct np_port_rule *rule = out;
	bool has_port;
	size_t mark;

	if (get_protocol(o, entry, &rule->proto) != 0 ||
	    get_port_or_name(o, entry, "port", &has_port, &rule->port, &rule->name) != 0 ||
	    get_port(o, entry, "endPort", false, &rule->end_port) != 0)
		return -1;
	rule->kind = !has_port ? NP_PORT_ANY : rule->name ? NP_PORT_NAME : NP_PORT_NUMBER;
	if (!member(entry, "endPort"))
		return 0;
	mark = enter(o, "endPort");
	if (rule->kind == NP_PORT_ANY)
		return invalid(o, "may not be specified when port is not specified");
	if (rule->kind == NP_PORT_NAME)
		return invalid(o, "may not be specified when port is a name (\"%s\")", rule->name);
	if (rule->end_port < rule->port)
		return invalid(o, "%u must be greater than or equal to port (%u)", rule->end_port,
			       rule->port);
	leave(o, mark);
	return 0;
}

/* One element of spec.ingress (peers under "from") or spec.egress ("to"). */
static int parse_rule(struct object *o, const json_t *entry, const char *peers_key,
		      struct np_rule *out)
{
	struct list peers, ports;

	if (get_list(o, entry, peers_key, sizeof(struct np_peer), parse_peer, &peers) != 0 ||
	    get_list(o, entry, "ports", sizeof(struct np_port_rule), parse_policy_port,
		     &ports) != 0)
		return -1;
	*out = (struct np_rule){
		.peers = peers.items, .n_peers = peers.n, .ports = ports.items, .n_ports = ports.n
	};
	return 0;
}

static int parse_ingress_rule(struct object *o, const json_t *entry, void *out)
{
	return parse_rule(o, entry, "from", out);
}

static int parse_egress_rule(struct object *o, const json_t *entry, void *out)
{
	return parse_rule(o, entry, "to", out);
}

/* policyTypes defaults, from the API server (pkg/apis/networking/v1
 * defaults.go, SetDefaults_NetworkPolicy): when policyTypes is absent or
 * empty, "Ingress" always, and "Egress" when len(spec.egress) != 0, so
 * `egress: []` does not isolate egress. The API reference says the same:
 * "policies that contain an egress section are assumed to affect egress,
 * and all policies (whether or not they contain an ingress section) are
 * assumed to affect ingress". */
static int policy_types(struct object *o, const json_t *spec, struct np_policy *policy)
{
	const char **types;
	size_t n, mark;

	if (get_strings(o, spec, "policyTypes", &types, &n) != 0)
		return -1;
	if (n == 0) {
		policy->isolates_ingress = true;
		policy->isolates_egress = policy->n_egress > 0;
		return 0;
	}
	mark = enter(o, "policyTypes");
	for (size_t i = 0; i < n; i++) {
		if (strcmp(types[i], "Ingress") == 0) {
			policy->isolates_ingress = true;
		} else if (strcmp(types[i], "Egress") == 0) {
			policy->isolates_egress = true;
		} else {
			enter_index(o, i);
			return invalid(o, "\"%s\" is not a policy type (Ingress or Egress)",
				       types[i]);
		}
	}
	leave(o, mark);
	return 0;
}

/* A spec without podSelector selects every pod of the namespace, as {}. */
static int policy_spec(struct object *o, const json_t *spec, void *out)
{
	struct np_policy *policy = out;
	struct list ingress, egress;
	bool has_selector;

	if (!spec)
		return invalid(o, "is required");
	if (get_selector(o, spec, "podSelector", &policy->pod_selector, &has_selector) != 0 ||
	    get_list(o, spec, "ingress", sizeof(struct np_rule), parse_ingress_rule, &ingress) ||
	    get_list(o, spec, "egress", sizeof(struct np_rule), parse_egress_rule, &egress))
		return -1;
	policy->ingress = ingress.items;
	policy->n_ingress = ingress.n;
	policy->egress = egress.items;
	policy->n_egress = egress.n;
	return policy_types(o, spec, policy);
}

static int load_policy(struct object *o, const json_t *doc)
{
	struct np_policy policy = { .namespace_name = o->ns,
				    .name = o->name,
				    .staged = o->src->session->staged,
				    .origin = origin_of(o) };

	if (get_mapping(o, doc, "metadata", metadata_annotations, &policy.annotations) != 0 ||
	    get_mapping(o, doc, "spec", policy_spec, &policy) != 0)
		return -1;
	*np_model_add_policy(o->model) = policy;
	o->src->session->stats.policies++;
	return 0;
}

/* ---- objects ------------------------------------------------------------------------- */

struct kind {
	const char *kind;
	const char *api_version;
	bool namespaced;
	int (*load)(struct object *o, const json_t *doc);
};

static const struct kind kinds[] = {
	{ "Namespace", "v1", false, load_namespace },
	{ "Pod", "v1", true, load_pod },
	{ "Service", "v1", true, load_service },
	{ "EndpointSlice", "discovery.k8s.io/v1", true, load_slice },
	{ "Node", "v1", false, load_node },
	{ "NetworkPolicy", "networking.k8s.io/v1", true, load_policy },
};

static void count_skipped(struct session *s, const char *kind, const char *api_version,
			  bool other_api)
{
	char label[sizeof(s->skipped[0].kind)];

	/* A known kind of another API (Calico's NetworkPolicy) is named with
	 * its apiVersion, so the notice does not read as a dropped policy. */
	if (other_api)
		snprintf(label, sizeof(label), "%s (%s)", kind, api_version);
	else
		snprintf(label, sizeof(label), "%s", kind);
	s->stats.skipped++;
	for (size_t i = 0; i < s->n_skipped; i++) {
		if (strcmp(s->skipped[i].kind, label) == 0) {
			s->skipped[i].count++;
			return;
		}
	}
	if (s->n_skipped < MAX_SKIPPED_KINDS) {
		snprintf(s->skipped[s->n_skipped].kind, sizeof(label), "%s", label);
		s->skipped[s->n_skipped++].count = 1;
	}
}

static const struct kind *find_kind(const char *kind)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (strcmp(kinds[i].kind, kind) == 0)
			return &kinds[i];
	}
	return NULL;
}

/* metadata.name and, for namespaced kinds, metadata.namespace. */
static int identify(struct object *o, const json_t *doc, bool namespaced)
{
	const json_t *metadata;
	const char *name, *ns;
	size_t mark;

	if (get_typed(o, doc, "metadata", JSON_OBJECT, &metadata) != 0)
		return -1;
	mark = enter(o, "metadata");
	if (get_string(o, metadata, "name", &name) != 0 ||
	    get_string(o, metadata, "namespace", &ns) != 0)
		return -1;
	if (!name || name[0] == '\0') {
		enter(o, "name");
		return invalid(o, "is required");
	}
	leave(o, mark);
	o->name = name;
	if (namespaced)
		o->ns = ns && ns[0] ? ns : o->src->session->default_namespace;
	return 0;
}

static int load_object(const struct source *src, const json_t *doc, int line, int depth);

/* kind: List, and the typed lists kubectl prints (PodList, ...). */
static int load_items(const struct source *src, const json_t *items, const char *kind,
		      int depth)
{
	const json_t *item;
	size_t i;

	if (!json_is_array(items))
		return fail(src->session, "%s: %s: items: must be a list, not %s", src->file, kind,
			    type_name(items));
	json_array_foreach(items, i, item) {
		int line = src->yaml ? np_yaml_line(src->yaml, item) : 0;

		if (load_object(src, item, line, depth + 1) != 0)
			return -1;
	}
	return 0;
}

static bool is_list_kind(const char *kind)
{
	size_t len = strlen(kind);

	return len >= 4 && strcmp(kind + len - 4, "List") == 0;
}

static int load_object(const struct source *src, const json_t *doc, int line, int depth)
{
	struct session *s = src->session;
	struct object o = { .src = src, .model = s->model, .kind = "object", .line = line };
	const json_t *kind_value, *api_value, *items;
	const struct kind *kind;

	if (!json_is_object(doc))
		return invalid(&o, "must be a mapping with kind, apiVersion and metadata, not %s",
			       type_name(doc));
	if (get_typed(&o, doc, "kind", JSON_STRING, &kind_value) != 0 ||
	    get_typed(&o, doc, "apiVersion", JSON_STRING, &api_value) != 0)
		return -1;
	if (!kind_value || json_string_length(kind_value) == 0) {
		enter(&o, "kind");
		return invalid(&o, "is required");
	}
	o.kind = json_string_value(kind_value);
	items = member(doc, "items");
	if (depth == 0 && is_list_kind(o.kind) && items)
		return load_items(src, items, o.kind, depth);

	const char *api_version = api_value ? json_string_value(api_value) : NULL;

	kind = find_kind(o.kind);
	/* apiVersion may be left out; a different one is another API's kind. */
	if (kind && api_version && strcmp(api_version, kind->api_version) != 0) {
		count_skipped(s, o.kind, api_version, true);
		return 0;
	}
	/* A staged set is the policies about to be applied; other objects
	 * describe the cluster and come from the in-force set. */
	if (!kind || (s->staged && kind->load != load_policy) ||
	    (s->skip_policies && kind->load == load_policy)) {
		count_skipped(s, o.kind, api_version, false);
		return 0;
	}
	o.kind = kind->kind;
	if (identify(&o, doc, kind->namespaced) != 0)
		return -1;
	return kind->load(&o, doc);
}

/* ---- duplicates --------------------------------------------------------------------- */

struct identity {
	const char *ns; /* "" for cluster-scoped kinds */
	const char *name;
	const struct np_origin *origin;
	size_t order;
};

static int compare_identities(const void *a, const void *b)
{
	const struct identity *x = a, *y = b;
	int cmp = strcmp(x->ns, y->ns);

	if (cmp == 0)
		cmp = strcmp(x->name, y->name);
	if (cmp == 0)
		cmp = (x->order > y->order) - (x->order < y->order);
	return cmp;
}

static void format_origin(const struct np_origin *origin, char *buf, size_t len)
{
	if (origin->line > 0)
		snprintf(buf, len, "%s:%d", origin->file, origin->line);
	else
		snprintf(buf, len, "%s", origin->file);
}

/* Sorted by identity, then load order: a duplicate follows its first. */
static int check_identities(struct session *s, const char *kind, struct identity *ids, size_t n)
{
	char first[512], second[512];

	if (n > 1)
		qsort(ids, n, sizeof(*ids), compare_identities);
	for (size_t i = 1; i < n; i++) {
		if (strcmp(ids[i].ns, ids[i - 1].ns) != 0 || strcmp(ids[i].name, ids[i - 1].name))
			continue;
		format_origin(ids[i - 1].origin, first, sizeof(first));
		format_origin(ids[i].origin, second, sizeof(second));
		return fail(s, "%s: %s %s%s%s: defined twice, also in %s", second, kind, ids[i].ns,
			    ids[i].ns[0] ? "/" : "", ids[i].name, first);
	}
	return 0;
}

static size_t max_count(const struct np_model *m)
{
	size_t counts[] = { m->n_namespaces, m->n_nodes,  m->n_pods,
			    m->n_services,   m->n_slices, m->n_policies };
	size_t max = 1;

	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
		max = counts[i] > max ? counts[i] : max;
	return max;
}

static struct identity identity(const char *ns, const char *name, const struct np_origin *origin,
				size_t order)
{
	return (struct identity){ .ns = ns, .name = name, .origin = origin, .order = order };
}

/* One object per kind and namespace/name in each load set; policies in
 * force and staged ones are two sets. */
static int check_duplicates(struct session *s)
{
	const struct np_model *m = s->model;
	struct identity *ids = calloc(max_count(m), sizeof(*ids));
	size_t i, n;

	if (!ids)
		abort();
	for (i = 0; i < m->n_namespaces; i++)
		ids[i] = identity("", m->namespaces[i].name, &m->namespaces[i].origin, i);
	if (check_identities(s, "Namespace", ids, m->n_namespaces) != 0)
		goto duplicate;
	for (i = 0; i < m->n_nodes; i++)
		ids[i] = identity("", m->nodes[i].name, &m->nodes[i].origin, i);
	if (check_identities(s, "Node", ids, m->n_nodes) != 0)
		goto duplicate;
	for (i = 0; i < m->n_pods; i++)
		ids[i] = identity(m->pods[i].namespace_name, m->pods[i].name,
				  &m->pods[i].origin, i);
	if (check_identities(s, "Pod", ids, m->n_pods) != 0)
		goto duplicate;
	for (i = 0; i < m->n_services; i++)
		ids[i] = identity(m->services[i].namespace_name, m->services[i].name,
				  &m->services[i].origin, i);
	if (check_identities(s, "Service", ids, m->n_services) != 0)
		goto duplicate;
	for (i = 0; i < m->n_slices; i++)
		ids[i] = identity(m->slices[i].namespace_name, m->slices[i].name,
				  &m->slices[i].origin, i);
	if (check_identities(s, "EndpointSlice", ids, m->n_slices) != 0)
		goto duplicate;
	for (int staged = 0; staged <= 1; staged++) {
		for (i = 0, n = 0; i < m->n_policies; i++) {
			const struct np_policy *p = &m->policies[i];

			if (p->staged == (bool)staged)
				ids[n++] = identity(p->namespace_name, p->name, &p->origin, i);
		}
		if (check_identities(s, "NetworkPolicy", ids, n) != 0)
			goto duplicate;
	}
	free(ids);
	return 0;
duplicate:
	free(ids);
	return -1;
}

/* ---- input formats -------------------------------------------------------------------- */

/* Line and column (1-based) of a byte offset, moved forward from the last. */
struct position {
	size_t offset;
	int line, column;
};

static void advance(struct position *pos, const char *text, size_t offset)
{
	for (; pos->offset < offset; pos->offset++) {
		if (text[pos->offset] == '\n') {
			pos->line++;
			pos->column = 1;
		} else {
			pos->column++;
		}
	}
}

static size_t skip_space(const char *text, size_t len, size_t offset)
{
	while (offset < len && (text[offset] == ' ' || text[offset] == '\t' ||
				text[offset] == '\r' || text[offset] == '\n'))
		offset++;
	return offset;
}

/* A top-level JSON array holds objects, as a List's items do. */
static int load_json_value(const struct source *src, const json_t *value, int line)
{
	const json_t *item;
	size_t i;

	if (!json_is_array(value))
		return load_object(src, value, line, 0);
	json_array_foreach(value, i, item) {
		if (load_object(src, item, 0, 0) != 0)
			return -1;
	}
	return 0;
}

/* One JSON value, or several in a row (as `jq '.items[]'` prints them). */
static int load_json(const struct source *src, const char *text, size_t len, size_t offset)
{
	struct position pos = { .line = 1, .column = 1 };

	while (offset < len) {
		json_error_t error;
		json_t *value = json_loadb(text + offset, len - offset,
					   JSON_DISABLE_EOF_CHECK | JSON_REJECT_DUPLICATES, &error);

		advance(&pos, text, offset);
		if (!value) {
			int column = error.line > 1 ? error.column : pos.column + error.column - 1;

			return fail(src->session, "%s:%d:%d: JSON syntax error: %s", src->file,
				    pos.line + error.line - 1, column, error.text);
		}
		int rc = load_json_value(src, value, pos.line);

		json_decref(value);
		if (rc)
			return -1;
		offset = skip_space(text, len, offset + (size_t)error.position);
	}
	return 0;
}

static int load_yaml(struct source *src, const char *text, size_t len)
{
	struct np_yaml_stream stream;
	int rc = 0;

	if (np_yaml_parse(src->file, text, len, &stream, src->session->err,
			  src->session->err_len) != 0)
		return -1;
	src->yaml = &stream;
	for (size_t i = 0; i < stream.n_docs && rc == 0; i++)
		rc = load_object(src, stream.docs[i].root, stream.docs[i].line, 0);
	src->yaml = NULL;
	np_yaml_stream_free(&stream);
	return rc;
}

/* JSON when the first character that is not space opens an object or an
 * array; YAML otherwise (JSON is YAML too, but jansson's errors are better
 * and kubectl's JSON is large). */
static int load_text(struct session *s, const char *name, const char *text, size_t len)
{
	struct source src = { .session = s, .file = np_model_strdup(s->model, name) };
	size_t offset = 0;

	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		offset = 3;
	offset = skip_space(text, len, offset);
	if (offset < len && (text[offset] == '{' || text[offset] == '['))
		return load_json(&src, text, len, offset);
	return load_yaml(&src, text, len);
}

/* ---- files and folders --------------------------------------------------------------- */

static int read_stream(FILE *file, char **text, size_t *len)
{
	size_t cap = 64 * 1024, n = 0;
	char *buf = malloc(cap);

	while (buf) {
		n += fread(buf + n, 1, cap - n, file);
		if (n < cap)
			break;
		cap *= 2;
		char *grown = realloc(buf, cap);

		if (!grown)
			free(buf);
		buf = grown;
	}
	if (!buf)
		abort();
	if (ferror(file)) {
		free(buf);
		return -1;
	}
	*text = buf;
	*len = n;
	return 0;
}

static int load_file(struct session *s, const char *path)
{
	bool is_stdin = strcmp(path, "-") == 0;
	const char *name = is_stdin ? "<stdin>" : path;
	FILE *file = is_stdin ? stdin : fopen(path, "rb");
	char *text;
	size_t len;
	int rc;

	if (!file)
		return fail(s, "%s: cannot open: %s", path, strerror(errno));
	rc = read_stream(file, &text, &len);
	if (rc)
		fail(s, "%s: cannot read: %s", name, strerror(errno));
	if (!is_stdin)
		fclose(file);
	if (rc)
		return -1;
	rc = load_text(s, name, text, len);
	free(text);
	return rc;
}

static bool has_manifest_suffix(const char *name)
{
	static const char *const suffixes[] = { ".yaml", ".yml", ".json" };
	size_t len = strlen(name);

	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		size_t slen = strlen(suffixes[i]);

		if (len > slen && strcmp(name + len - slen, suffixes[i]) == 0)
			return true;
	}
	return false;
}

static int load_path(struct session *s, const char *path, int depth);

/* Entries in name order; hidden ones (.git, .github) are not manifests. */
static int load_folder(struct session *s, const char *path, int depth)
{
	struct dirent **entries;
	int n = scandir(path, &entries, NULL, alphasort);
	int rc = 0;

	if (n < 0)
		return fail(s, "%s: cannot read folder: %s", path, strerror(errno));
	if (depth >= MAX_DIR_DEPTH)
		rc = fail(s, "%s: folders nest more than %d deep (a symlink loop?)", path,
			  MAX_DIR_DEPTH);
	for (int i = 0; i < n; i++) {
		const char *name = entries[i]->d_name;
		char *child = NULL;
		struct stat st;

		if (rc == 0 && name[0] != '.' &&
		    asprintf(&child, "%s%s%s", path, path[strlen(path) - 1] == '/' ? "" : "/",
			     name) < 0)
			abort();
		if (child && stat(child, &st) == 0 &&
		    (S_ISDIR(st.st_mode) || (S_ISREG(st.st_mode) && has_manifest_suffix(name))))
			rc = load_path(s, child, depth + 1);
		free(child);
		free(entries[i]);
	}
	free(entries);
	return rc;
}

static int load_path(struct session *s, const char *path, int depth)
{
	struct stat st;

	if (strcmp(path, "-") == 0)
		return load_file(s, path);
	if (stat(path, &st) != 0)
		return fail(s, "%s: %s", path, strerror(errno));
	if (S_ISDIR(st.st_mode))
		return load_folder(s, path, depth);
	return load_file(s, path);
}

/* ---- sessions and the public entry points ---------------------------------------------- */

static void session_init(struct session *s, struct np_model *model,
			 const struct np_load_options *opts, char *err, size_t err_len)
{
	memset(s, 0, sizeof(*s));
	s->model = model;
	s->default_namespace = np_model_strdup(model, opts && opts->default_namespace
								     ? opts->default_namespace
								     : "default");
	s->staged = opts && opts->staged;
	s->skip_policies = opts && opts->skip_policies;
	s->err = err;
	s->err_len = err_len;
	if (err_len)
		err[0] = '\0';
}

/* "ConfigMap ×2, Deployment", cut with ", …" when it does not fit. */
static void render_skipped(struct session *s)
{
	char *text = s->stats.skipped_kinds;
	size_t cap = sizeof(s->stats.skipped_kinds), len = 0;
	static const char more[] = ", …";

	text[0] = '\0';
	for (size_t i = 0; i < s->n_skipped; i++) {
		char item[128];
		int n;

		if (s->skipped[i].count > 1)
			n = snprintf(item, sizeof(item), "%s%s ×%zu", i ? ", " : "",
				     s->skipped[i].kind, s->skipped[i].count);
		else
			n = snprintf(item, sizeof(item), "%s%s", i ? ", " : "", s->skipped[i].kind);
		if (n < 0 || len + (size_t)n + sizeof(more) > cap) {
			snprintf(text + len, cap - len, "%s", more);
			return;
		}
		memcpy(text + len, item, (size_t)n + 1);
		len += (size_t)n;
	}
}

static int session_finish(struct session *s, struct np_load_stats *stats, int rc)
{
	if (rc == 0)
		rc = check_duplicates(s);
	render_skipped(s);
	if (stats)
		*stats = s->stats;
	return rc;
}

int np_manifest_load_paths(struct np_model *model, const char *const *paths, size_t n_paths,
			   const struct np_load_options *opts, struct np_load_stats *stats,
			   char *err, size_t err_len)
{
	struct session s;
	int rc = 0;

	session_init(&s, model, opts, err, err_len);
	for (size_t i = 0; i < n_paths && rc == 0; i++)
		rc = load_path(&s, paths[i], 0);
	return session_finish(&s, stats, rc);
}

int np_manifest_load_buffer(struct np_model *model, const char *name, const char *text,
			    size_t len, const struct np_load_options *opts,
			    struct np_load_stats *stats, char *err, size_t err_len)
{
	struct session s;

	session_init(&s, model, opts, err, err_len);
	return session_finish(&s, stats, load_text(&s, name, text, len));
}

struct np_model *np_manifest_load_model(const char *const *paths, size_t n_paths,
					const char *const *staged, size_t n_staged,
					const char *default_namespace, struct np_load_stats *stats,
					char *err, size_t err_len)
{
	struct np_load_options opts = { .default_namespace = default_namespace };
	struct np_model *model = np_model_new();
	struct session s;
	int rc = 0;

	if (!model) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	session_init(&s, model, &opts, err, err_len);
	for (size_t i = 0; i < n_paths && rc == 0; i++)
		rc = load_path(&s, paths[i], 0);
	s.staged = true;
	for (size_t i = 0; i < n_staged && rc == 0; i++)
		rc = load_path(&s, staged[i], 0);
	if (session_finish(&s, stats, rc) != 0) {
		np_model_free(model);
		return NULL;
	}
	np_model_finalize(model);
	return model;
}
