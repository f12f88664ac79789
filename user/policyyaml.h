/* policyyaml — renders NetworkPolicies as Kubernetes YAML and diffs two
 * renderings.
 *
 * A policy of the model becomes the JSON tree the API would return for it
 * (np_policy_json()); that, or any other object, renders as YAML which the
 * manifest loader reads back to the same policy (np_policy_yaml()); and
 * np_unified_diff() shows what a change does to the rendering, as diff -u
 * would. `npwatch suggest` writes its patches and new policies with these.
 */
#ifndef NPWATCH_POLICYYAML_H
#define NPWATCH_POLICYYAML_H

#include <jansson.h>

#include "model.h"

/* A NetworkPolicy of the model as the API would return it, annotations
 * included (without the labels and comments the model does not keep). */
json_t *np_policy_json(const struct np_policy *policy);

/* A NetworkPolicy object named ns/name around spec, which it takes over. */
json_t *np_policy_object(const char *ns, const char *name, json_t *spec);

/* A Kubernetes object as YAML (block style, two-space indents, indented
 * sequences, keys in the object's order, strings quoted whenever YAML 1.1
 * could read them as anything else). Returns a malloc'd string. */
char *np_policy_yaml(const json_t *object);

/* A unified diff (3 lines of context) from old_text to new_text, with
 * headers naming them; "" when they are equal. Returns a malloc'd string. */
char *np_unified_diff(const char *old_name, const char *old_text, const char *new_name,
		      const char *new_text);

#endif
