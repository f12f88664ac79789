/* lintcmd — `npwatch lint`: policy mistakes found before a rollout, for a
 * person (text grouped by file) or for CI (-o json), with the isolation
 * coverage of every namespace. Exit status 0 when nothing is found, 1 with
 * findings, 2 for bad usage or input that cannot be read.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "lint.h"

#define TEXT_PODS 10 /* pods named per line in text; JSON names them all */

enum output_format { OUTPUT_TEXT, OUTPUT_JSON };

struct lint_options {
	struct np_path_list files;
	const char *default_ns;
	struct np_path_list required_annotations; /* argv strings, as paths are */
	struct np_path_list isolated_namespaces;
	enum output_format output;
};

static const char lint_usage[] =
	"Usage: npwatch lint -f PATH... [-n NAMESPACE] [--require-annotation KEY]...\n"
	"                    [--require-isolation NS]... [-o text|json]\n"
	"\n"
	"Finds NetworkPolicy mistakes that break a rollout before it happens. Give the\n"
	"cluster too (namespaces, pods, services) and lint judges what the selectors\n"
	"select; without it, the rules that need it are reported as not checked.\n"
	"\n"
	"  -f, --filename PATH          manifests: a YAML or JSON file, a folder (recursing\n"
	"                               *.yaml, *.yml, *.json) or - for stdin; repeatable\n"
	"  -n, --namespace NS           namespace of objects that state none (default: default)\n"
	"      --require-annotation KEY every policy must carry this annotation (e.g. owner);\n"
	"                               repeatable\n"
	"      --require-isolation NS   every pod of NS must be isolated for ingress and\n"
	"                               egress; repeatable, or NS,NS...\n"
	"  -o, --output FORMAT          text (default) or json\n"
	"  -h, --help                   this help\n"
	"\n"
	"Rules: selects-no-pod, no-dns-egress, dns-one-protocol, selector-matches-nothing,\n"
	"unknown-named-port, ipblock-covers-pods, duplicate-rule, shadowed-rule,\n"
	"missing-annotation (with --require-annotation), unisolated-pod (with\n"
	"--require-isolation). A policy annotated\n"
	"  " NP_LINT_IGNORE_ANNOTATION ": \"RULE[,RULE...]\"\n"
	"suppresses those rules' findings about itself and the pods it selects; they are\n"
	"still listed, as suppressed.\n"
	"\n"
	"Text output: findings grouped by file, then the isolation coverage (per namespace\n"
	"and direction, the pods no policy isolates), then a summary line.\n"
	"\n"
	"Exit status: 0 no findings, 1 findings, 2 bad usage or unreadable input.\n";

static bool reads_stdin(const struct np_path_list *files)
{
	for (size_t i = 0; i < files->count; i++)
		if (strcmp(files->paths[i], "-") == 0)
			return true;
	return false;
}

static int parse_options(int argc, char **argv, struct lint_options *opts)
{
	static const struct option longopts[] = {
		{ "filename", required_argument, NULL, 'f' },
		{ "namespace", required_argument, NULL, 'n' },
		{ "require-annotation", required_argument, NULL, 'A' },
		{ "require-isolation", required_argument, NULL, 'I' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *cmd = "lint";
	int c;

	while ((c = getopt_long(argc, argv, "f:n:o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (strcmp(optarg, "-") == 0 && reads_stdin(&opts->files))
				return np_cli_usage_error(cmd,
							  "-f - given twice: it can be read once");
			np_path_list_add(&opts->files, optarg);
			break;
		case 'n': opts->default_ns = optarg; break;
		case 'A':
			if (!*optarg)
				return np_cli_usage_error(cmd, "--require-annotation: empty key");
			np_path_list_add(&opts->required_annotations, optarg);
			break;
		case 'I':
			/* "a,b" names two namespaces: split in place, argv is ours */
			for (char *ns = strtok(optarg, ","); ns; ns = strtok(NULL, ","))
				np_path_list_add(&opts->isolated_namespaces, ns);
			break;
		case 'o':
			if (strcmp(optarg, "text") == 0)
				opts->output = OUTPUT_TEXT;
			else if (strcmp(optarg, "json") == 0)
				opts->output = OUTPUT_JSON;
			else
				return np_cli_usage_error(cmd, "-o %s: expected text or json",
							  optarg);
			break;
		case 'h': fputs(lint_usage, stdout); exit(NP_EXIT_OK);
		default: return np_cli_usage_error(cmd, "bad option");
		}
	}
	if (optind < argc)
		return np_cli_usage_error(cmd, "unexpected argument \"%s\" (manifests go after -f)",
					  argv[optind]);
	if (opts->files.count == 0)
		return np_cli_usage_error(cmd, "no manifests: give at least one -f PATH");
	return NP_EXIT_OK;
}

/* ---- text ---------------------------------------------------------------------- */

static void print_pod_names(FILE *out, const struct np_pod *const *pods, size_t n,
			    bool with_namespace)
{
	size_t shown = n < TEXT_PODS ? n : TEXT_PODS;

	for (size_t i = 0; i < shown; i++) {
		fprintf(out, "%s", i ? ", " : "");
		if (with_namespace)
			fprintf(out, "%s/", pods[i]->namespace_name);
		fprintf(out, "%s", pods[i]->name);
	}
	if (n > shown)
		fprintf(out, " and %zu more", n - shown);
}

/* "FILE:LINE: ns/policy: field: " — the parts that are known. */
static void print_place(FILE *out, const struct np_lint_finding *f)
{
	if (f->line > 0)
		fprintf(out, "%s:%d: ", f->file, f->line);
	else
		fprintf(out, "%s: ", f->file);
	if (f->policy)
		fprintf(out, "%s/%s: ", f->policy->namespace_name, f->policy->name);
	if (*f->field)
		fprintf(out, "%s: ", f->field);
}

static void print_finding(FILE *out, const struct np_lint_finding *f)
{
	print_place(out, f);
	fprintf(out, "%s [%s]\n", f->message, f->rule);
	if (f->n_pods > 0 && f->policy) {
		fprintf(out, "    pods: ");
		print_pod_names(out, f->pods, f->n_pods, true);
		fputc('\n', out);
	}
	fprintf(out, "    fix: %s\n", f->fix);
}

static void print_findings(FILE *out, const struct np_lint_report *r)
{
	const char *file = NULL;

	for (size_t i = 0; i < r->n_findings; i++) {
		const struct np_lint_finding *f = &r->findings[i];

		if (f->suppressed_by)
			continue;
		if (file && strcmp(file, f->file) != 0)
			fputc('\n', out);
		file = f->file;
		print_finding(out, f);
	}
	if (file)
		fputc('\n', out);
}

static void print_suppressed(FILE *out, const struct np_lint_report *r)
{
	if (r->n_suppressed == 0)
		return;
	fprintf(out, "Suppressed by %s:\n", NP_LINT_IGNORE_ANNOTATION);
	for (size_t i = 0; i < r->n_findings; i++) {
		const struct np_lint_finding *f = &r->findings[i];

		if (!f->suppressed_by)
			continue;
		fprintf(out, "  ");
		print_place(out, f);
		fprintf(out, "[%s] by %s/%s", f->rule, f->suppressed_by->namespace_name,
			f->suppressed_by->name);
		if (f->n_pods > 0) {
			fprintf(out, " for ");
			print_pod_names(out, f->pods, f->n_pods, true);
		}
		fputc('\n', out);
	}
	fputc('\n', out);
}

static void print_unchecked(FILE *out, const struct np_lint_report *r)
{
	for (size_t i = 0; i < r->n_unchecked; i++) {
		fprintf(out, "Not checked: ");
		for (size_t j = 0; j < r->unchecked[i].n_rules; j++)
			fprintf(out, "%s%s", j ? ", " : "", r->unchecked[i].rules[j]);
		fprintf(out, " (%s)\n", r->unchecked[i].reason);
	}
	if (r->n_unchecked > 0)
		fputc('\n', out);
}

static unsigned percent(size_t part, size_t whole)
{
	return whole ? (unsigned)((part * 100 + whole / 2) / whole) : 0;
}

static void print_coverage(FILE *out, const struct np_lint_coverage *c)
{
	static const char *const direction[2] = { [NP_DIR_EGRESS] = "egress",
						  [NP_DIR_INGRESS] = "ingress" };
	static const enum np_direction order[2] = { NP_DIR_INGRESS, NP_DIR_EGRESS };
	int width = 0;

	if (c->pods == 0) {
		fprintf(out, "Isolation coverage: the model has no pods\n\n");
		return;
	}
	fprintf(out, "Isolation coverage: pods isolated of pods, then those no policy isolates\n");
	for (size_t i = 0; i < c->n_namespaces; i++) {
		int len = (int)strlen(c->namespaces[i].namespace_name);

		width = len > width ? len : width;
	}
	for (size_t i = 0; i < c->n_namespaces; i++) {
		const struct np_lint_namespace_coverage *ns = &c->namespaces[i];

		for (int k = 0; k < 2; k++) {
			enum np_direction d = order[k];

			fprintf(out, "  %-*s  %-7s %zu/%zu", width, k ? "" : ns->namespace_name,
				direction[d], ns->pods - ns->n_unisolated[d], ns->pods);
			if (ns->n_unisolated[d] > 0) {
				fprintf(out, "  not: ");
				print_pod_names(out, ns->unisolated[d], ns->n_unisolated[d], false);
			}
			fputc('\n', out);
		}
		if (ns->host_network > 0)
			fprintf(out, "  %-*s  (%zu host-network pod%s: NetworkPolicy does not "
				     "isolate them)\n",
				width, "", ns->host_network, ns->host_network == 1 ? "" : "s");
	}
	fprintf(out, "Zero-trust baseline: %zu of %zu pods isolated for ingress (%u%%), %zu of %zu "
		     "for egress (%u%%)\n\n",
		c->isolated[NP_DIR_INGRESS], c->pods, percent(c->isolated[NP_DIR_INGRESS], c->pods),
		c->isolated[NP_DIR_EGRESS], c->pods, percent(c->isolated[NP_DIR_EGRESS], c->pods));
}

static size_t files_with_findings(const struct np_lint_report *r)
{
	const char *file = NULL;
	size_t n = 0;

	for (size_t i = 0; i < r->n_findings; i++) {
		if (r->findings[i].suppressed_by)
			continue;
		if (!file || strcmp(file, r->findings[i].file) != 0)
			n++;
		file = r->findings[i].file;
	}
	return n;
}

static void print_text(FILE *out, const struct np_model *model, const struct np_lint_report *r)
{
	size_t active = np_lint_active(r), files = files_with_findings(r);

	print_findings(out, r);
	print_suppressed(out, r);
	print_unchecked(out, r);
	print_coverage(out, &r->coverage);
	fprintf(out, "%zu polic%s, %zu pods: ", model->n_policies,
		model->n_policies == 1 ? "y" : "ies", model->n_pods);
	if (active == 0)
		fprintf(out, "no findings");
	else
		fprintf(out, "%zu finding%s in %zu file%s", active, active == 1 ? "" : "s", files,
			files == 1 ? "" : "s");
	if (r->n_suppressed > 0)
		fprintf(out, " (%zu suppressed by %s)", r->n_suppressed, NP_LINT_IGNORE_ANNOTATION);
	fputc('\n', out);
}

/* ---- JSON ---------------------------------------------------------------------- */

static json_t *pod_names_json(const struct np_pod *const *pods, size_t n)
{
	json_t *list = json_array();

	for (size_t i = 0; i < n; i++) {
		const struct np_pod *pod = pods[i];

		json_array_append_new(list, json_sprintf("%s/%s", pod->namespace_name, pod->name));
	}
	return list;
}

static json_t *policy_json(const struct np_policy *policy)
{
	return policy ? json_sprintf("%s/%s", policy->namespace_name, policy->name) : json_null();
}

static json_t *finding_json(const struct np_lint_finding *f)
{
	json_t *obj = json_object();

	json_object_set_new(obj, "rule", json_string(f->rule));
	json_object_set_new(obj, "file", json_string(f->file));
	json_object_set_new(obj, "line", f->line > 0 ? json_integer(f->line) : json_null());
	json_object_set_new(obj, "policy", policy_json(f->policy));
	json_object_set_new(obj, "field", json_string(f->field));
	json_object_set_new(obj, "message", json_string(f->message));
	json_object_set_new(obj, "fix", json_string(f->fix));
	json_object_set_new(obj, "pods", pod_names_json(f->pods, f->n_pods));
	if (f->suppressed_by)
		json_object_set_new(obj, "suppressed_by", policy_json(f->suppressed_by));
	return obj;
}

static json_t *direction_json(const struct np_lint_namespace_coverage *ns, enum np_direction d)
{
	return json_pack("{s:I, s:o}", "isolated", (json_int_t)(ns->pods - ns->n_unisolated[d]),
			 "unisolated", pod_names_json(ns->unisolated[d], ns->n_unisolated[d]));
}

static json_t *coverage_json(const struct np_lint_coverage *c)
{
	json_t *namespaces = json_array();

	for (size_t i = 0; i < c->n_namespaces; i++) {
		const struct np_lint_namespace_coverage *ns = &c->namespaces[i];

		json_array_append_new(
			namespaces,
			json_pack("{s:s, s:I, s:I, s:o, s:o}", "namespace", ns->namespace_name,
				  "pods", (json_int_t)ns->pods, "host_network_pods",
				  (json_int_t)ns->host_network, "ingress",
				  direction_json(ns, NP_DIR_INGRESS), "egress",
				  direction_json(ns, NP_DIR_EGRESS)));
	}
	return json_pack("{s:o, s:I, s:I, s:I}", "namespaces", namespaces, "pods",
			 (json_int_t)c->pods, "ingress_isolated",
			 (json_int_t)c->isolated[NP_DIR_INGRESS], "egress_isolated",
			 (json_int_t)c->isolated[NP_DIR_EGRESS]);
}

static json_t *unchecked_json(const struct np_lint_report *r)
{
	json_t *list = json_array();

	for (size_t i = 0; i < r->n_unchecked; i++) {
		json_t *rules = json_array();

		for (size_t j = 0; j < r->unchecked[i].n_rules; j++)
			json_array_append_new(rules, json_string(r->unchecked[i].rules[j]));
		json_array_append_new(list, json_pack("{s:o, s:s}", "rules", rules, "reason",
						      r->unchecked[i].reason));
	}
	return list;
}

static void print_json(FILE *out, const struct np_model *model, const struct np_lint_report *r)
{
	json_t *findings = json_array(), *suppressed = json_array(), *doc;

	for (size_t i = 0; i < r->n_findings; i++)
		json_array_append_new(r->findings[i].suppressed_by ? suppressed : findings,
				      finding_json(&r->findings[i]));
	doc = json_pack("{s:o, s:o, s:o, s:o, s:{s:I, s:I, s:I, s:I, s:I}}", "findings", findings,
			"suppressed", suppressed, "coverage", coverage_json(&r->coverage),
			"not_checked", unchecked_json(r), "summary", "findings",
			(json_int_t)np_lint_active(r), "suppressed", (json_int_t)r->n_suppressed,
			"files", (json_int_t)files_with_findings(r), "policies",
			(json_int_t)model->n_policies, "pods", (json_int_t)model->n_pods);
	json_dumpf(doc, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', out);
	json_decref(doc);
}

/* ---- the command --------------------------------------------------------------- */

static int check_namespaces(const struct np_model *model, const struct np_path_list *names)
{
	for (size_t i = 0; i < names->count; i++)
		if (!np_model_namespace(model, names->paths[i])) {
			fprintf(stderr, "npwatch lint: --require-isolation %s: no namespace %s in "
					"the model (load its Namespace or its pods with -f)\n",
				names->paths[i], names->paths[i]);
			return NP_EXIT_USAGE;
		}
	return NP_EXIT_OK;
}

static int lint(const struct lint_options *opts, const struct np_model *model)
{
	struct np_lint_options lint_opts = {
		.required_annotations = opts->required_annotations.paths,
		.n_required_annotations = opts->required_annotations.count,
		.isolated_namespaces = opts->isolated_namespaces.paths,
		.n_isolated_namespaces = opts->isolated_namespaces.count,
	};
	struct np_lint_report report;
	int status = check_namespaces(model, &opts->isolated_namespaces);

	if (status != NP_EXIT_OK)
		return status;
	np_lint_run(model, &lint_opts, &report);
	if (opts->output == OUTPUT_JSON)
		print_json(stdout, model, &report);
	else
		print_text(stdout, model, &report);
	status = np_lint_active(&report) > 0 ? NP_EXIT_FAILURE : NP_EXIT_OK;
	np_lint_report_free(&report);
	return status;
}

int np_cmd_lint(int argc, char **argv)
{
	struct lint_options opts = { .output = OUTPUT_TEXT };
	struct np_model *model = NULL;
	int status = parse_options(argc, argv, &opts);

	if (status == NP_EXIT_OK) {
		model = np_cli_load_model("lint", &opts.files, NULL, opts.default_ns, false);
		status = model ? lint(&opts, model) : NP_EXIT_USAGE;
	}
	np_model_free(model);
	np_path_list_free(&opts.files);
	np_path_list_free(&opts.required_annotations);
	np_path_list_free(&opts.isolated_namespaces);
	return status;
}
