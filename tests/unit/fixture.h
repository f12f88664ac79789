/* fixture — builds cluster models for unit tests from manifest text. */
#ifndef NPWATCH_TEST_FIXTURE_H
#define NPWATCH_TEST_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "engine.h"
#include "model.h"

/* A finalised model from YAML or JSON manifests; staged_yaml may be NULL.
 * Fails the running test, with the loader's message, when loading fails. */
struct np_model *np_test_model(const char *yaml, const char *staged_yaml);

/* The pod ns/name as a flow end; fails the test when it does not exist. */
struct np_endpoint np_test_pod(const struct np_model *model, const char *ns, const char *name);
/* An address as a flow end, named by the model (pod, node) or world. */
struct np_endpoint np_test_ip(const struct np_model *model, const char *ip);

/* "ns/pod" as np_test_pod(), anything else as np_test_ip(). */
struct np_endpoint np_test_end(const struct np_model *model, const char *name);

/* Evaluates src -> dst port/proto ("TCP", "UDP", "SCTP") in a scope. */
struct np_verdict np_test_eval(const struct np_model *model, struct np_endpoint src,
			       struct np_endpoint dst, unsigned port, const char *proto,
			       enum np_policy_scope scope);

#endif
