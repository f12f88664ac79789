/* fixture — builds cluster models for unit tests from manifest text. */
#include "fixture.h"

#include <string.h>

#include "manifest.h"
#include "resolve.h"

static struct np_model *load_or_fail(struct np_model *model, const char *text, bool staged)
{
	struct np_load_options opts = { .default_namespace = "default", .staged = staged };
	struct np_load_stats stats;
	char err[1024];

	if (np_manifest_load_buffer(model, staged ? "<staged>" : "<test>", text, strlen(text),
				    &opts, &stats, err, sizeof(err)) != 0) {
		np_model_free(model);
		fail_msg("loading test manifests failed: %s", err);
	}
	return model;
}

struct np_model *np_test_model(const char *yaml, const char *staged_yaml)
{
	struct np_model *model = np_model_new();

	assert_non_null(model);
	load_or_fail(model, yaml, false);
	if (staged_yaml)
		load_or_fail(model, staged_yaml, true);
	np_model_finalize(model);
	return model;
}

struct np_endpoint np_test_pod(const struct np_model *model, const char *ns, const char *name)
{
	const struct np_pod *pod = np_model_pod(model, ns, name);
	struct np_endpoint end = { .kind = NP_END_POD, .pod = pod };

	if (!pod)
		fail_msg("no pod %s/%s in the test model", ns, name);
	if (pod->n_ips > 0)
		end.ip = pod->ips[0];
	return end;
}

struct np_endpoint np_test_ip(const struct np_model *model, const char *text)
{
	struct np_ip ip;

	if (!np_ip_parse(text, &ip))
		fail_msg("bad test address %s", text);
	return np_resolve_ip(model, &ip);
}

struct np_endpoint np_test_end(const struct np_model *model, const char *name)
{
	const char *slash = strchr(name, '/');
	char ns[64];

	if (!slash)
		return np_test_ip(model, name);
	assert_true((size_t)(slash - name) < sizeof(ns));
	memcpy(ns, name, (size_t)(slash - name));
	ns[slash - name] = '\0';
	return np_test_pod(model, ns, slash + 1);
}

struct np_verdict np_test_eval(const struct np_model *model, struct np_endpoint src,
			       struct np_endpoint dst, unsigned port, const char *proto,
			       enum np_policy_scope scope)
{
	struct np_flow flow = { .src = src, .dst = dst, .port = (uint16_t)port };
	struct np_verdict verdict;

	if (!np_proto_parse(proto, &flow.proto))
		fail_msg("bad test protocol %s", proto);
	np_evaluate(model, &flow, scope, &verdict);
	return verdict;
}
