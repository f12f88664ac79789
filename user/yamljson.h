/* yamljson — reads a YAML stream into jansson trees, typed as Kubernetes
 * reads YAML (sigs.k8s.io/yaml on go-yaml v2, YAML 1.1 flavoured).
 *
 * Plain scalars are resolved: null, ~ and the empty scalar are null;
 * true/false, yes/no, on/off, y/n (lower, Capitalised and UPPER case) are
 * booleans; decimal, 0x, 0o, 0b and leading-0 octal integers are integers;
 * decimal floats are reals; anything else is a string. Quoted and block
 * scalars are always strings. Anchors, aliases and << merge keys are
 * resolved; duplicate keys are an error. Each document of a multi-document
 * stream becomes one tree; empty documents are dropped.
 */
#ifndef NPWATCH_YAMLJSON_H
#define NPWATCH_YAMLJSON_H

#include <stddef.h>

#include <jansson.h>

struct np_yaml_doc {
	json_t *root;
	int line; /* 1-based line where the document's content starts */
};

/* Where a mapping started, so that messages can give an object's line. */
struct np_yaml_mark {
	json_t *node; /* holds a reference */
	int line;
};

struct np_yaml_stream {
	struct np_yaml_doc *docs;
	size_t n_docs;
	struct np_yaml_mark *marks; /* sorted by node address */
	size_t n_marks;
};

/* Parses text (len bytes, need not be NUL-terminated). Returns 0, or -1
 * with "NAME:LINE: YAML syntax error: <problem>" (or "YAML error: ..." for
 * duplicate keys, unknown aliases and the like) in err; out is then empty. */
int np_yaml_parse(const char *name, const char *text, size_t len, struct np_yaml_stream *out,
		  char *err, size_t err_len);

void np_yaml_stream_free(struct np_yaml_stream *stream);

/* The 1-based line where the mapping node started, 0 when unknown. */
int np_yaml_line(const struct np_yaml_stream *stream, const json_t *node);

#endif
