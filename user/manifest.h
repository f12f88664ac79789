/* manifest — loads Kubernetes manifests into a cluster model.
 *
 * Input: files, folders (recursing *.yaml, *.yml, *.json in name order) or
 * "-" for stdin; YAML multi-document streams or JSON, `kind: List` with
 * items, so `kubectl get ... -o json` output loads as it is. YAML is turned
 * into the same JSON tree first, so both formats go through one loader.
 *
 * Errors name the file and line (syntax) or the file, kind, namespace/name
 * and field path (meaning), e.g.
 *   policies/web.yaml: NetworkPolicy prod/allow-web: spec.ingress[0].ports[1].port:
 *   "http-x" is neither a port number nor a valid port name
 * Nothing is half-loaded: np_manifest_load_model() returns a whole model or
 * none; after an error from the lower-level calls the caller discards the
 * model it was filling.
 */
#ifndef NPWATCH_MANIFEST_H
#define NPWATCH_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>

#include "model.h"

struct np_load_options {
	const char *default_namespace; /* for namespaced objects stating none; NULL = "default" */
	bool staged;                   /* policies loaded are staged, not in force */
	bool skip_policies;            /* the cluster only: NetworkPolicies are skipped */
};

/* Counts of what a load added, and the kinds it skipped for the one notice
 * line ("skipped 3 objects of other kinds: ConfigMap ×2, Deployment"). */
struct np_load_stats {
	size_t namespaces, pods, services, slices, nodes, policies;
	size_t skipped;
	char skipped_kinds[256];
};

/* Loads each path into model (not yet finalised). Returns 0, or -1 with a
 * message in err naming what is at fault (discard the model then). */
int np_manifest_load_paths(struct np_model *model, const char *const *paths, size_t n_paths,
			   const struct np_load_options *opts, struct np_load_stats *stats,
			   char *err, size_t err_len);

/* The same for text in memory; name is used in messages ("<stdin>"). */
int np_manifest_load_buffer(struct np_model *model, const char *name, const char *text,
			    size_t len, const struct np_load_options *opts,
			    struct np_load_stats *stats, char *err, size_t err_len);

/* Convenience: a new finalised model from paths, plus staged paths. NULL on
 * error with the message in err. */
struct np_model *np_manifest_load_model(const char *const *paths, size_t n_paths,
					const char *const *staged, size_t n_staged,
					const char *default_namespace, struct np_load_stats *stats,
					char *err, size_t err_len);

#endif
