/* policyyaml — renders NetworkPolicies as Kubernetes YAML and diffs two
 * renderings; see policyyaml.h.
 */
#include "policyyaml.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "netaddr.h"
#include "xalloc.h"

#define DIFF_CONTEXT 3
#define DIFF_MAX_CELLS (16u * 1024 * 1024)

/* ---- YAML -------------------------------------------------------------------------------- */

static bool is_letter(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Words YAML 1.1 reads as booleans or null, as the loader does. */
static bool reserved_word(const char *s)
{
	static const char *const words[] = { "y", "n", "yes", "no", "on", "off", "true", "false",
					     "null" };

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcasecmp(s, words[i]) == 0)
			return true;
	return false;
}

/* Plain only what can be nothing but a string: a letter first (no number,
 * no indicator), then letters, digits and . _ / - only. */
static bool plain_safe(const char *s)
{
	if (!is_letter(s[0]))
		return false;
	for (const char *p = s; *p; p++)
		if (!is_letter(*p) && !is_digit(*p) && !strchr("._/-", *p))
			return false;
	return !reserved_word(s);
}

static void yaml_string(FILE *out, const char *s)
{
	if (plain_safe(s)) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", out);
		else if (*p == '\t')
			fputs("\\t", out);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(out, "\\x%02x", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

static bool is_block(const json_t *value)
{
	return (json_is_object(value) && json_object_size(value) > 0) ||
	       (json_is_array(value) && json_array_size(value) > 0);
}

/* A scalar, or an empty collection in flow style. */
static void yaml_inline(FILE *out, const json_t *value)
{
	if (json_is_object(value))
		fputs("{}", out);
	else if (json_is_array(value))
		fputs("[]", out);
	else if (json_is_string(value))
		yaml_string(out, json_string_value(value));
	else if (json_is_integer(value))
		fprintf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(value));
	else if (json_is_real(value))
		fprintf(out, "%.17g", json_real_value(value));
	else if (json_is_boolean(value))
		fputs(json_is_true(value) ? "true" : "false", out);
	else
		fputs("null", out);
}

static void yaml_sequence(FILE *out, const json_t *array, int indent);

/* The entries of a mapping at indent; with first_placed, the cursor already
 * stands where the first key goes (after "- "). */
static void yaml_mapping(FILE *out, const json_t *object, int indent, bool first_placed)
{
	const char *key;
	json_t *value;
	bool first = true;

	json_object_foreach((json_t *)object, key, value) {
		if (!(first && first_placed))
			fprintf(out, "%*s", indent, "");
		first = false;
		yaml_string(out, key);
		fputc(':', out);
		if (!is_block(value)) {
			fputc(' ', out);
			yaml_inline(out, value);
			fputc('\n', out);
		} else if (json_is_object(value)) {
			fputc('\n', out);
			yaml_mapping(out, value, indent + 2, false);
		} else {
			fputc('\n', out);
			yaml_sequence(out, value, indent + 2);
		}
	}
}

static void yaml_sequence(FILE *out, const json_t *array, int indent)
{
	size_t i;
	json_t *item;

	json_array_foreach((json_t *)array, i, item) {
		fprintf(out, "%*s-", indent, "");
		if (!is_block(item)) {
			fputc(' ', out);
			yaml_inline(out, item);
			fputc('\n', out);
		} else if (json_is_object(item)) {
			fputc(' ', out);
			yaml_mapping(out, item, indent + 2, true);
		} else {
			fputc('\n', out);
			yaml_sequence(out, item, indent + 2);
		}
	}
}

char *np_policy_yaml(const json_t *object)
{
	struct membuf m;

	membuf_open(&m);
	if (json_is_object(object) && json_object_size(object) > 0)
		yaml_mapping(m.out, object, 0, false);
	else if (json_is_array(object) && json_array_size(object) > 0)
		yaml_sequence(m.out, object, 0);
	else {
		yaml_inline(m.out, object);
		fputc('\n', m.out);
	}
	return membuf_close(&m);
}

/* ---- unified diff ------------------------------------------------------------------------ */

struct text_lines {
	const char **starts;
	size_t *lens;
	size_t n;
};

static void split_lines(const char *text, struct text_lines *out)
{
	out->starts = NULL;
	out->lens = NULL;
	out->n = 0;
	for (const char *p = text; *p;) {
		const char *end = strchr(p, '\n');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		out->starts = xrealloc(out->starts, out->n + 1, sizeof(*out->starts));
		out->lens = xrealloc(out->lens, out->n + 1, sizeof(*out->lens));
		out->starts[out->n] = p;
		out->lens[out->n++] = len;
		p += len + (end ? 1 : 0);
	}
}

static void free_lines(struct text_lines *lines)
{
	free(lines->starts);
	free(lines->lens);
}

static bool same_line(const struct text_lines *a, size_t i, const struct text_lines *b, size_t j)
{
	return a->lens[i] == b->lens[j] && memcmp(a->starts[i], b->starts[j], a->lens[i]) == 0;
}

/* One line of the edit script: kept (' '), removed ('-') or added ('+'),
 * with the positions in both texts where it stands. */
struct edit {
	char op;
	size_t a, b;
};

static unsigned longer(unsigned a, unsigned b)
{
	return a > b ? a : b;
}

/* The edit script of a longest common subsequence. Policies are short; past
 * DIFF_MAX_CELLS the whole text is shown replaced. */
static size_t edit_script(const struct text_lines *a, const struct text_lines *b,
			  struct edit **out)
{
	size_t rows = a->n + 1, cols = b->n + 1, n = 0, i = 0, j = 0;
	unsigned *lcs = NULL;
	struct edit *edits = xcalloc(a->n + b->n, sizeof(*edits));

	if (rows * cols <= DIFF_MAX_CELLS) {
		lcs = xcalloc(rows * cols, sizeof(*lcs));
		for (size_t x = a->n; x-- > 0;)
			for (size_t y = b->n; y-- > 0;)
				lcs[x * cols + y] = same_line(a, x, b, y)
							    ? lcs[(x + 1) * cols + y + 1] + 1
							    : longer(lcs[(x + 1) * cols + y],
								     lcs[x * cols + y + 1]);
	}
	while (i < a->n || j < b->n) {
		if (lcs && i < a->n && j < b->n && same_line(a, i, b, j)) {
			edits[n++] = (struct edit){ ' ', i++, j++ };
		} else if (i < a->n && (j == b->n || !lcs ||
					lcs[(i + 1) * cols + j] >= lcs[i * cols + j + 1])) {
			edits[n++] = (struct edit){ '-', i++, j };
		} else {
			edits[n++] = (struct edit){ '+', i, j++ };
		}
	}
	free(lcs);
	*out = edits;
	return n;
}

/* "-3,2" as diff writes it: the count left out when it is 1, the start the
 * line before an empty range. */
static void hunk_range(FILE *out, char sign, size_t start, size_t count)
{
	if (count == 1)
		fprintf(out, "%c%zu", sign, start + 1);
	else
		fprintf(out, "%c%zu,%zu", sign, count ? start + 1 : start, count);
}

static void write_hunk(FILE *out, const struct edit *edits, size_t from, size_t to,
		       const struct text_lines *a, const struct text_lines *b)
{
	size_t old_count = 0, new_count = 0;

	for (size_t k = from; k < to; k++) {
		old_count += edits[k].op != '+';
		new_count += edits[k].op != '-';
	}
	fputs("@@ ", out);
	hunk_range(out, '-', edits[from].a, old_count);
	fputc(' ', out);
	hunk_range(out, '+', edits[from].b, new_count);
	fputs(" @@\n", out);
	for (size_t k = from; k < to; k++) {
		const struct edit *e = &edits[k];

		if (e->op == '+')
			fprintf(out, "+%.*s\n", (int)b->lens[e->b], b->starts[e->b]);
		else
			fprintf(out, "%c%.*s\n", e->op, (int)a->lens[e->a], a->starts[e->a]);
	}
}

static size_t next_change(const struct edit *edits, size_t n, size_t from)
{
	while (from < n && edits[from].op == ' ')
		from++;
	return from;
}

char *np_unified_diff(const char *old_name, const char *old_text, const char *new_name,
		      const char *new_text)
{
	struct text_lines a, b;
	struct edit *edits;
	struct membuf m;
	size_t n, k;

	membuf_open(&m);
	split_lines(old_text, &a);
	split_lines(new_text, &b);
	n = edit_script(&a, &b, &edits);
	k = next_change(edits, n, 0);
	if (k < n)
		fprintf(m.out, "--- %s\n+++ %s\n", old_name, new_name);
	while (k < n) {
		size_t from = k > DIFF_CONTEXT ? k - DIFF_CONTEXT : 0, last = k, to;

		/* Changes closer than twice the context share a hunk. */
		for (;;) {
			size_t change = last + 1;

			while (change < n && edits[change].op == ' ')
				change++;
			if (change >= n || change - last - 1 > 2 * DIFF_CONTEXT)
				break;
			last = change;
		}
		to = last + 1 + DIFF_CONTEXT < n ? last + 1 + DIFF_CONTEXT : n;
		write_hunk(m.out, edits, from, to, &a, &b);
		k = next_change(edits, n, to);
	}
	free(edits);
	free_lines(&a);
	free_lines(&b);
	return membuf_close(&m);
}

/* ---- policies as the API writes them ----------------------------------------------------- */

static const char *operator_name(enum np_selector_op op)
{
	switch (op) {
	case NP_OP_IN: return "In";
	case NP_OP_NOT_IN: return "NotIn";
	case NP_OP_EXISTS: return "Exists";
	case NP_OP_DOES_NOT_EXIST: return "DoesNotExist";
	}
	return "?";
}

/* matchLabels from the requirements that came from it, matchExpressions
 * from the rest: loading it back gives the same selector. */
static json_t *selector_json(const struct np_selector *sel)
{
	json_t *selector = json_object(), *labels = json_object(), *exprs = json_array();

	for (size_t i = 0; i < sel->n_reqs; i++) {
		const struct np_requirement *req = &sel->reqs[i];
		json_t *expr, *values;

		if (req->from_match_labels) {
			json_object_set_new(labels, req->key, json_string(req->values[0]));
			continue;
		}
		expr = json_pack("{s:s, s:s}", "key", req->key, "operator", operator_name(req->op));
		if (req->n_values > 0) {
			values = json_array();
			for (size_t v = 0; v < req->n_values; v++)
				json_array_append_new(values, json_string(req->values[v]));
			json_object_set_new(expr, "values", values);
		}
		json_array_append_new(exprs, expr);
	}
	if (json_object_size(labels) > 0)
		json_object_set(selector, "matchLabels", labels);
	if (json_array_size(exprs) > 0)
		json_object_set(selector, "matchExpressions", exprs);
	json_decref(labels);
	json_decref(exprs);
	return selector;
}

static json_t *cidr_json(const struct np_cidr *cidr)
{
	char text[NP_IP_STRLEN + 4];

	return json_string(np_cidr_format(cidr, text, sizeof(text)));
}

static json_t *peer_json(const struct np_peer *peer)
{
	json_t *json = json_object(), *block, *except;

	switch (peer->kind) {
	case NP_PEER_NAMESPACES:
	case NP_PEER_NS_AND_PODS:
		json_object_set_new(json, "namespaceSelector",
				    selector_json(&peer->namespace_selector));
		if (peer->kind == NP_PEER_NAMESPACES)
			break;
		/* fall through */
	case NP_PEER_PODS:
		json_object_set_new(json, "podSelector", selector_json(&peer->pod_selector));
		break;
	case NP_PEER_IPBLOCK:
		block = json_object();
		json_object_set_new(block, "cidr", cidr_json(&peer->ipblock.cidr));
		if (peer->ipblock.n_except > 0) {
			except = json_array();
			for (size_t i = 0; i < peer->ipblock.n_except; i++)
				json_array_append_new(except, cidr_json(&peer->ipblock.except[i]));
			json_object_set_new(block, "except", except);
		}
		json_object_set_new(json, "ipBlock", block);
		break;
	}
	return json;
}

static json_t *port_json(const struct np_port_rule *port)
{
	json_t *json = json_pack("{s:s}", "protocol", np_proto_name(port->proto));

	if (port->kind == NP_PORT_NAME)
		json_object_set_new(json, "port", json_string(port->name));
	else if (port->kind == NP_PORT_NUMBER)
		json_object_set_new(json, "port", json_integer(port->port));
	if (port->kind == NP_PORT_NUMBER && port->end_port)
		json_object_set_new(json, "endPort", json_integer(port->end_port));
	return json;
}

static json_t *rules_json(const struct np_rule *rules, size_t n, const char *peers_key)
{
	json_t *list = json_array();

	for (size_t i = 0; i < n; i++) {
		json_t *rule = json_object(), *peers, *ports;

		if (rules[i].n_peers > 0) {
			peers = json_array();
			for (size_t p = 0; p < rules[i].n_peers; p++)
				json_array_append_new(peers, peer_json(&rules[i].peers[p]));
			json_object_set_new(rule, peers_key, peers);
		}
		if (rules[i].n_ports > 0) {
			ports = json_array();
			for (size_t p = 0; p < rules[i].n_ports; p++)
				json_array_append_new(ports, port_json(&rules[i].ports[p]));
			json_object_set_new(rule, "ports", ports);
		}
		json_array_append_new(list, rule);
	}
	return list;
}

json_t *np_policy_object(const char *ns, const char *name, json_t *spec)
{
	return json_pack("{s:s, s:s, s:{s:s, s:s}, s:o}", "apiVersion", "networking.k8s.io/v1",
			 "kind", "NetworkPolicy", "metadata", "name", name, "namespace", ns, "spec",
			 spec);
}

static json_t *annotations_json(const struct np_labels *annotations)
{
	json_t *json = json_object();

	for (size_t i = 0; i < annotations->count; i++)
		json_object_set_new(json, annotations->items[i].key,
				    json_string(annotations->items[i].value));
	return json;
}

json_t *np_policy_json(const struct np_policy *policy)
{
	json_t *spec = json_object(), *types = json_array(), *json;

	json_object_set_new(spec, "podSelector", selector_json(&policy->pod_selector));
	if (policy->isolates_ingress)
		json_array_append_new(types, json_string("Ingress"));
	if (policy->isolates_egress)
		json_array_append_new(types, json_string("Egress"));
	json_object_set_new(spec, "policyTypes", types);
	if (policy->n_ingress > 0)
		json_object_set_new(spec, "ingress",
				    rules_json(policy->ingress, policy->n_ingress, "from"));
	if (policy->n_egress > 0)
		json_object_set_new(spec, "egress",
				    rules_json(policy->egress, policy->n_egress, "to"));
	json = np_policy_object(policy->namespace_name, policy->name, spec);
	if (policy->annotations.count > 0)
		json_object_set_new(json_object_get(json, "metadata"), "annotations",
				    annotations_json(&policy->annotations));
	return json;
}
