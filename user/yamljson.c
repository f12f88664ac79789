/* yamljson — YAML streams to jansson trees through libyaml's event parser.
 *
 * Events drive a stack of open mappings and sequences; each finished node
 * is attached to its parent. Scalars are typed the way go-yaml v2 resolves
 * them, because that is what the Kubernetes API machinery (and kubectl)
 * does with a manifest: `port: 080` is the integer 64 there, `on` is true.
 */
#include "yamljson.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "xalloc.h"

/* Aliases can make a small document expand to an enormous tree ("billion
 * laughs"); the nodes aliases add are capped. */
#define MAX_ALIAS_NODES (1u << 20)

struct frame {
	json_t *node;         /* object or array being filled */
	char *key;            /* mapping: the key awaiting its value */
	bool key_is_merge;    /* the pending key is a plain << */
	json_t *merges;       /* mapping: sources of << merges, in order */
	char *anchor;         /* anchor to register when the node is complete */
	size_t nodes_at_start;
	int line;
};

struct anchor {
	char *name;
	json_t *node;
	size_t size; /* nodes in the anchored tree, for the alias cap */
};

struct builder {
	const char *name;
	char *err;
	size_t err_len;
	struct frame *stack;
	size_t depth, stack_cap;
	struct anchor *anchors;
	size_t n_anchors, anchors_cap;
	size_t nodes;       /* nodes of the current document, aliases expanded */
	size_t alias_nodes; /* of those, the ones aliases added */
	json_t *root;
	int root_line;
	struct np_yaml_stream *out;
	size_t docs_cap, marks_cap;
};

static json_t *checked(json_t *value)
{
	if (!value)
		abort();
	return value;
}

__attribute__((format(printf, 3, 4))) static int fail(struct builder *b, int line,
						       const char *fmt, ...)
{
	int n = snprintf(b->err, b->err_len, "%s:%d: ", b->name, line);
	va_list ap;

	if (n >= 0 && (size_t)n < b->err_len) {
		va_start(ap, fmt);
		vsnprintf(b->err + n, b->err_len - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* ---- scalar resolution (go-yaml v2 resolve.go) ------------------------------ */

static bool one_of(const char *text, const char *const *words)
{
	for (; *words; words++) {
		if (strcmp(text, *words) == 0)
			return true;
	}
	return false;
}

static int digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 10;
	return 99;
}

/* Go's strconv.ParseInt(text, 0, 64) on text with underscores removed:
 * optional sign, then 0x/0o/0b prefix, leading-0 octal, or decimal. */
static bool parse_go_int(const char *text, json_int_t *out)
{
	bool negative = false;
	unsigned base = 10;
	uint64_t value = 0;

	if (*text == '+' || *text == '-')
		negative = *text++ == '-';
	if (text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
		base = 16;
		text += 2;
	} else if (text[0] == '0' && (text[1] == 'o' || text[1] == 'O')) {
		base = 8;
		text += 2;
	} else if (text[0] == '0' && (text[1] == 'b' || text[1] == 'B')) {
		base = 2;
		text += 2;
	} else if (text[0] == '0' && text[1] != '\0') {
		base = 8;
		text++;
	}
	if (*text == '\0')
		return false;
	for (; *text; text++) {
		unsigned d = (unsigned)digit_value(*text);

		if (d >= base || value > (UINT64_MAX - d) / base)
			return false;
		value = value * base + d;
	}
	if (negative ? value > (uint64_t)INT64_MAX + 1 : value > (uint64_t)INT64_MAX)
		return false;
	*out = negative ? (json_int_t)(0 - value) : (json_int_t)value;
	return true;
}

/* ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ */
static bool yaml_style_float(const char *s)
{
	if (*s == '+' || *s == '-')
		s++;
	if (*s == '.') {
		if (!isdigit((unsigned char)s[1]))
			return false;
		for (s++; isdigit((unsigned char)*s); s++)
			;
	} else {
		if (!isdigit((unsigned char)*s))
			return false;
		while (isdigit((unsigned char)*s))
			s++;
		if (*s == '.')
			for (s++; isdigit((unsigned char)*s); s++)
				;
	}
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!isdigit((unsigned char)*s))
			return false;
		while (isdigit((unsigned char)*s))
			s++;
	}
	return *s == '\0';
}

static json_t *resolve_number(const char *text)
{
	size_t len = strlen(text);
	char *plain = xrealloc(NULL, len + 1, 1);
	json_t *value = NULL;
	json_int_t integer;
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		if (text[i] != '_')
			plain[n++] = text[i];
	}
	plain[n] = '\0';
	if (parse_go_int(plain, &integer)) {
		value = json_integer(integer);
	} else if (yaml_style_float(plain)) {
		errno = 0;
		double real = strtod(plain, NULL);

		if (errno == 0)
			value = json_real(real);
	}
	free(plain);
	return value;
}

/* The JSON value of a plain scalar. Special floats (.inf, .nan) have no
 * JSON form and no use in a manifest: they stay strings. */
static json_t *resolve_plain(const char *text)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL", NULL };
	static const char *const trues[] = { "y",  "Y",  "yes",  "Yes", "YES", "true",
					     "True", "TRUE", "on", "On",  "ON",  NULL };
	static const char *const falses[] = { "n",     "N",     "no",  "No",  "NO",  "false",
					      "False", "FALSE", "off", "Off", "OFF", NULL };
	char first = text[0];

	if (one_of(text, nulls))
		return json_null();
	if (one_of(text, trues))
		return json_true();
	if (one_of(text, falses))
		return json_false();
	if (isdigit((unsigned char)first) || first == '+' || first == '-' || first == '.') {
		json_t *number = resolve_number(text);

		if (number)
			return number;
	}
	return json_string(text);
}

#define YAML_TAG_PREFIX "tag:yaml.org,2002:"

static int typed_scalar(struct builder *b, const char *text, const char *tag, json_type want,
			int line, json_t **out)
{
	json_t *value = resolve_plain(text);

	if (want == JSON_REAL && json_is_integer(value)) {
		json_t *real = checked(json_real((double)json_integer_value(value)));

		json_decref(value);
		value = real;
	}
	if (value && (json_typeof(value) == want ||
		      (want == JSON_TRUE && json_is_boolean(value)))) {
		*out = value;
		return 0;
	}
	json_decref(value);
	return fail(b, line, "YAML error: cannot decode \"%s\" as !!%s", text, tag);
}

static bool standard_type(const char *tag, json_type *out)
{
	static const struct {
		const char *name;
		json_type type;
	} types[] = {
		{ "null", JSON_NULL },
		{ "bool", JSON_TRUE },
		{ "int", JSON_INTEGER },
		{ "float", JSON_REAL },
	};

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		if (strcmp(tag, types[i].name) == 0) {
			*out = types[i].type;
			return true;
		}
	}
	return false;
}

/* Plain scalars are resolved; quoted and block ones, and those tagged !!str
 * or with a tag of no standard type, are strings. Scalars tagged !!null,
 * !!bool, !!int or !!float must resolve to that type. */
static int scalar_value(struct builder *b, const yaml_event_t *event, json_t **out)
{
	const char *text = (const char *)event->data.scalar.value;
	const char *tag = (const char *)event->data.scalar.tag;
	int line = (int)event->start_mark.line + 1;
	size_t prefix_len = strlen(YAML_TAG_PREFIX);
	json_type want;

	*out = NULL;
	/* libyaml hands out valid UTF-8, but "\0" escapes make NUL bytes,
	 * which a JSON string of jansson's cannot hold. */
	if (memchr(text, '\0', event->data.scalar.length))
		return fail(b, line, "YAML error: a scalar contains a NUL character");
	if (!tag)
		*out = event->data.scalar.plain_implicit ? resolve_plain(text) : json_string(text);
	else if (strncmp(tag, YAML_TAG_PREFIX, prefix_len) != 0 ||
		 !standard_type(tag + prefix_len, &want))
		*out = json_string(text);
	else
		return typed_scalar(b, text, tag + prefix_len, want, line, out);
	if (!*out)
		return fail(b, line, "YAML error: a scalar is not valid UTF-8 text");
	return 0;
}

/* ---- building the tree ----------------------------------------------------- */

/* A mark holds a reference, so no node it names is freed (and its address
 * reused by another) before the stream is. */
static void record_mark(struct builder *b, json_t *node, int line)
{
	struct np_yaml_stream *out = b->out;

	if (out->n_marks == b->marks_cap) {
		b->marks_cap = b->marks_cap ? b->marks_cap * 2 : 64;
		out->marks = xrealloc(out->marks, b->marks_cap, sizeof(*out->marks));
	}
	out->marks[out->n_marks++] =
		(struct np_yaml_mark){ .node = json_incref(node), .line = line };
}

static void remember_anchor(struct builder *b, const char *name, json_t *node, size_t size)
{
	if (b->n_anchors == b->anchors_cap) {
		b->anchors_cap = b->anchors_cap ? b->anchors_cap * 2 : 16;
		b->anchors = xrealloc(b->anchors, b->anchors_cap, sizeof(*b->anchors));
	}
	json_incref(node);
	b->anchors[b->n_anchors++] =
		(struct anchor){ .name = xstrdup(name), .node = node, .size = size };
}

static void forget_anchors(struct builder *b)
{
	for (size_t i = 0; i < b->n_anchors; i++) {
		free(b->anchors[i].name);
		json_decref(b->anchors[i].node);
	}
	b->n_anchors = 0;
}

/* The latest definition wins when an anchor name is reused. */
static const struct anchor *find_anchor(const struct builder *b, const char *name)
{
	for (size_t i = b->n_anchors; i-- > 0;) {
		if (strcmp(b->anchors[i].name, name) == 0)
			return &b->anchors[i];
	}
	return NULL;
}

/* JSON object keys are strings; other scalar keys take the text
 * sigs.k8s.io/yaml gives them ("true", "8"). */
static char *key_text(struct builder *b, const json_t *key, int line)
{
	char buf[64];

	switch (json_typeof(key)) {
	case JSON_STRING:
		return xstrdup(json_string_value(key));
	case JSON_INTEGER:
		snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(key));
		return xstrdup(buf);
	case JSON_REAL:
		snprintf(buf, sizeof(buf), "%g", json_real_value(key));
		return xstrdup(buf);
	case JSON_TRUE:
	case JSON_FALSE:
		return xstrdup(json_is_true(key) ? "true" : "false");
	default:
		fail(b, line, "YAML error: unsupported mapping key (null, a mapping or a list)");
		return NULL;
	}
}

static int add_merge_source(struct builder *b, struct frame *f, json_t *value, int line)
{
	size_t i;
	json_t *item;

	if (json_is_object(value)) {
		json_array_append(f->merges, value);
		return 0;
	}
	if (json_is_array(value)) {
		json_array_foreach(value, i, item) {
			if (!json_is_object(item))
				return fail(b, line, "YAML error: << merges a non-mapping");
			json_array_append(f->merges, item);
		}
		return 0;
	}
	return fail(b, line, "YAML error: << must merge a mapping or a list of mappings");
}

/* Attaches a finished node (the builder's reference to it is consumed). */
static int attach(struct builder *b, json_t *value, int line)
{
	struct frame *f;
	int rc = 0;

	if (b->depth == 0) {
		b->root = value;
		b->root_line = line;
		return 0;
	}
	f = &b->stack[b->depth - 1];
	if (json_is_array(f->node)) {
		json_array_append_new(f->node, value);
		return 0;
	}
	if (!f->key) {
		f->key = key_text(b, value, line);
		json_decref(value);
		return f->key ? 0 : -1;
	}
	if (f->key_is_merge)
		rc = add_merge_source(b, f, value, line);
	else if (json_object_get(f->node, f->key))
		rc = fail(b, line, "YAML error: duplicate mapping key \"%s\"", f->key);
	else
		json_object_set(f->node, f->key, value);
	json_decref(value);
	free(f->key);
	f->key = NULL;
	f->key_is_merge = false;
	return rc;
}

static bool expecting_key(const struct builder *b)
{
	const struct frame *f = b->depth ? &b->stack[b->depth - 1] : NULL;

	return f && json_is_object(f->node) && !f->key;
}

static void push(struct builder *b, json_t *node, const yaml_char_t *anchor, int line)
{
	if (b->depth == b->stack_cap) {
		b->stack_cap = b->stack_cap ? b->stack_cap * 2 : 16;
		b->stack = xrealloc(b->stack, b->stack_cap, sizeof(*b->stack));
	}
	b->stack[b->depth++] = (struct frame){
		.node = node,
		.merges = json_is_object(node) ? checked(json_array()) : NULL,
		.anchor = anchor ? xstrdup((const char *)anchor) : NULL,
		.nodes_at_start = b->nodes,
		.line = line,
	};
	b->nodes++;
	if (json_is_object(node))
		record_mark(b, node, line);
}

static void free_frame(struct frame *f)
{
	json_decref(f->node);
	json_decref(f->merges);
	free(f->key);
	free(f->anchor);
}

/* Closes the innermost node: explicit keys win over merged ones, and of
 * several merged mappings the earlier wins (YAML merge key spec). */
static int pop(struct builder *b)
{
	struct frame f = b->stack[--b->depth];
	size_t i;
	json_t *source;

	if (f.merges) {
		json_array_foreach(f.merges, i, source)
			json_object_update_missing(f.node, source);
	}
	if (f.anchor)
		remember_anchor(b, f.anchor, f.node, b->nodes - f.nodes_at_start);
	json_decref(f.merges);
	free(f.anchor);
	return attach(b, f.node, f.line);
}

static int on_scalar(struct builder *b, const yaml_event_t *event)
{
	int line = (int)event->start_mark.line + 1;
	json_t *value;

	if (expecting_key(b) && event->data.scalar.plain_implicit && !event->data.scalar.tag &&
	    strcmp((const char *)event->data.scalar.value, "<<") == 0) {
		b->stack[b->depth - 1].key_is_merge = true;
		value = checked(json_string("<<"));
	} else if (scalar_value(b, event, &value) != 0) {
		return -1;
	}
	b->nodes++;
	if (event->data.scalar.anchor)
		remember_anchor(b, (const char *)event->data.scalar.anchor, value, 1);
	return attach(b, value, line);
}

static int on_alias(struct builder *b, const yaml_event_t *event)
{
	const char *name = (const char *)event->data.alias.anchor;
	int line = (int)event->start_mark.line + 1;
	const struct anchor *anchor = find_anchor(b, name);

	if (!anchor)
		return fail(b, line, "YAML error: alias *%s names no anchor defined before it",
			    name);
	b->nodes += anchor->size;
	b->alias_nodes += anchor->size;
	if (b->alias_nodes > MAX_ALIAS_NODES)
		return fail(b, line, "YAML error: aliases expand to more than %u nodes",
			    MAX_ALIAS_NODES);
	return attach(b, json_incref(anchor->node), line);
}

static void end_document(struct builder *b)
{
	struct np_yaml_stream *out = b->out;

	forget_anchors(b);
	b->nodes = 0;
	b->alias_nodes = 0;
	if (!b->root)
		return;
	if (json_is_null(b->root)) {
		json_decref(b->root);
		b->root = NULL;
		return;
	}
	if (out->n_docs == b->docs_cap) {
		b->docs_cap = b->docs_cap ? b->docs_cap * 2 : 8;
		out->docs = xrealloc(out->docs, b->docs_cap, sizeof(*out->docs));
	}
	out->docs[out->n_docs++] = (struct np_yaml_doc){ .root = b->root, .line = b->root_line };
	b->root = NULL;
}

static int on_event(struct builder *b, const yaml_event_t *event)
{
	int line = (int)event->start_mark.line + 1;

	switch (event->type) {
	case YAML_SCALAR_EVENT:
		return on_scalar(b, event);
	case YAML_ALIAS_EVENT:
		return on_alias(b, event);
	case YAML_SEQUENCE_START_EVENT:
		push(b, checked(json_array()), event->data.sequence_start.anchor, line);
		return 0;
	case YAML_MAPPING_START_EVENT:
		push(b, checked(json_object()), event->data.mapping_start.anchor, line);
		return 0;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		return pop(b);
	case YAML_DOCUMENT_END_EVENT:
		end_document(b);
		return 0;
	default:
		return 0;
	}
}

static int compare_marks(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)((const struct np_yaml_mark *)a)->node;
	uintptr_t y = (uintptr_t)((const struct np_yaml_mark *)b)->node;

	return (x > y) - (x < y);
}

static void free_builder(struct builder *b)
{
	while (b->depth > 0)
		free_frame(&b->stack[--b->depth]);
	free(b->stack);
	forget_anchors(b);
	free(b->anchors);
	json_decref(b->root);
}

static int syntax_error(struct builder *b, const yaml_parser_t *parser)
{
	return fail(b, (int)parser->problem_mark.line + 1, "YAML syntax error: %s",
		    parser->problem ? parser->problem : "unreadable input");
}

int np_yaml_parse(const char *name, const char *text, size_t len, struct np_yaml_stream *out,
		  char *err, size_t err_len)
{
	struct builder b = { .name = name, .err = err, .err_len = err_len, .out = out };
	yaml_parser_t parser;
	yaml_event_t event;
	bool done = false;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (!yaml_parser_initialize(&parser))
		abort();
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	while (!done && rc == 0) {
		if (!yaml_parser_parse(&parser, &event)) {
			rc = syntax_error(&b, &parser);
			break;
		}
		done = event.type == YAML_STREAM_END_EVENT;
		rc = on_event(&b, &event);
		yaml_event_delete(&event);
	}
	yaml_parser_delete(&parser);
	free_builder(&b);
	if (rc != 0) {
		np_yaml_stream_free(out);
		return -1;
	}
	if (out->n_marks > 1)
		qsort(out->marks, out->n_marks, sizeof(*out->marks), compare_marks);
	return 0;
}

void np_yaml_stream_free(struct np_yaml_stream *stream)
{
	for (size_t i = 0; i < stream->n_docs; i++)
		json_decref(stream->docs[i].root);
	free(stream->docs);
	for (size_t i = 0; i < stream->n_marks; i++)
		json_decref(stream->marks[i].node);
	free(stream->marks);
	memset(stream, 0, sizeof(*stream));
}

int np_yaml_line(const struct np_yaml_stream *stream, const json_t *node)
{
	struct np_yaml_mark key = { .node = (json_t *)node };
	const struct np_yaml_mark *found;

	if (stream->n_marks == 0)
		return 0;
	found = bsearch(&key, stream->marks, stream->n_marks, sizeof(key), compare_marks);
	return found ? found->line : 0;
}
