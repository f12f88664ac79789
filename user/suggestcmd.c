/* suggestcmd — `npwatch suggest`: allow policies from observation reports.
 *
 * Merges the reports, loads the cluster model, asks suggest.c for what would
 * admit the observed blocked flows, then proves it: the cluster is loaded a
 * second time with the suggestions as staged policies and every flow judged
 * again. The suggestions go to stdout as one YAML stream (or JSON), or to a
 * folder one policy a file, ready to be passed back as --staged; the
 * verification summary goes to stderr, and the exit status says whether it
 * held.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "commands.h"
#include "manifest.h"
#include "policyyaml.h"
#include "report.h"
#include "suggest.h"

enum output_format { OUTPUT_YAML, OUTPUT_JSON };

struct suggest_options {
	struct np_path_list reports;
	struct np_path_list files;
	struct np_path_list staged;
	const char *default_ns;
	const char *output_dir;
	enum output_format output;
	bool skip_world;
};

static const char suggest_usage[] =
	"Usage: npwatch suggest REPORT... -f PATH... [--staged PATH]... [-n NAMESPACE]\n"
	"                       [--no-world] [-o yaml|json] [--output-dir DIR]\n"
	"\n"
	"Writes the NetworkPolicy changes that would admit exactly the observed flows\n"
	"which the policies about to be in force (in force and staged) deny, and\n"
	"proves them with the policy engine.\n"
	"\n"
	"  REPORT                snapshots written by `npwatch run --report-dir`, or\n"
	"                        folders of them; several are merged (nodes, intervals)\n"
	"  -f, --filename PATH   the cluster: namespaces, pods, services and the\n"
	"                        policies in force (files or folders; repeatable)\n"
	"      --staged PATH     policies about to be applied\n"
	"  -n, --namespace NS    namespace of objects that state none (default: default)\n"
	"      --no-world        leave flows to or from addresses outside the cluster\n"
	"                        denied\n"
	"  -o, --output FORMAT   yaml (default): one multi-document stream, each change\n"
	"                        explained in comments; json: the changes as data\n"
	"      --output-dir DIR  one YAML file per policy in DIR (new or empty), to be\n"
	"                        passed as --staged DIR\n"
	"  -h, --help            this help\n"
	"\n"
	"A change is preferably the smallest patch to the policy rule that nearly\n"
	"matched (a port or a peer added), shown as a diff and as the whole patched\n"
	"policy; otherwise new policies, one per workload and direction, selecting\n"
	"pods by their stable labels, namespaces by kubernetes.io/metadata.name,\n"
	"addresses by /32 or /128 ipBlocks, DNS on UDP and TCP 53. A patched policy\n"
	"in force is staged under its own name and replaces it; a patched staged\n"
	"policy must take the place of the original among the staged files.\n"
	"\n"
	"Verification: with the changes staged, every observed blocked flow must be\n"
	"allowed, every allowed one stay allowed, every one left denied stay denied,\n"
	"and no flow between the known workloads and addresses be opened beyond\n"
	"what was observed. The summary goes to stderr.\n"
	"\n"
	"Exit status: 0 verified, 1 verification failed or runtime failure,\n"
	"2 bad usage or bad input.\n";

static bool reads_stdin(const struct np_path_list *paths)
{
	for (size_t i = 0; i < paths->count; i++)
		if (strcmp(paths->paths[i], "-") == 0)
			return true;
	return false;
}

static int parse_options(int argc, char **argv, struct suggest_options *opts)
{
	static const struct option longopts[] = {
		{ "filename", required_argument, NULL, 'f' },
		{ "staged", required_argument, NULL, 'S' },
		{ "namespace", required_argument, NULL, 'n' },
		{ "no-world", no_argument, NULL, 'W' },
		{ "output", required_argument, NULL, 'o' },
		{ "output-dir", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "f:n:o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'f': np_path_list_add(&opts->files, optarg); break;
		case 'S': np_path_list_add(&opts->staged, optarg); break;
		case 'n': opts->default_ns = optarg; break;
		case 'W': opts->skip_world = true; break;
		case 'd': opts->output_dir = optarg; break;
		case 'o':
			if (strcmp(optarg, "yaml") == 0)
				opts->output = OUTPUT_YAML;
			else if (strcmp(optarg, "json") == 0)
				opts->output = OUTPUT_JSON;
			else
				return np_cli_usage_error("suggest", "-o %s: expected yaml or json",
							  optarg);
			break;
		case 'h': fputs(suggest_usage, stdout); exit(NP_EXIT_OK);
		default: return np_cli_usage_error("suggest", "bad option");
		}
	}
	for (int i = optind; i < argc; i++)
		np_path_list_add(&opts->reports, argv[i]);
	if (opts->reports.count == 0)
		return np_cli_usage_error("suggest", "no report: give at least one REPORT file");
	if (opts->files.count == 0)
		return np_cli_usage_error("suggest", "no cluster model: give at least one -f PATH");
	if (opts->output_dir && opts->output == OUTPUT_JSON)
		return np_cli_usage_error("suggest", "--output-dir writes YAML files; -o json "
						     "goes to stdout");
	if (reads_stdin(&opts->files) || reads_stdin(&opts->staged))
		return np_cli_usage_error("suggest", "-f - or --staged -: the cluster is "
						     "loaded twice (to prove the suggestions), and "
						     "standard input cannot be read twice; save it "
						     "to a file");
	return NP_EXIT_OK;
}

/* ---- inputs ------------------------------------------------------------------------------ */

/* Suggestions from part of the traffic would be proven against part of it:
 * a snapshot that cannot be read stops the command. */
static int merge_reports(const struct np_path_list *paths, struct np_report *report)
{
	return np_cli_merge_reports("suggest", report, paths) == 0 ? NP_EXIT_OK : NP_EXIT_USAGE;
}

/* The cluster again, with the suggestions as the staged set. */
static struct np_model *model_after(const struct suggest_options *opts,
				    const struct np_suggestions *suggestions,
				    const struct np_model *before)
{
	struct np_load_options in_force = { .default_namespace = opts->default_ns };
	struct np_load_options staged = { .default_namespace = opts->default_ns, .staged = true };
	struct np_model *model = np_model_new();
	char *yaml = np_suggest_staged_yaml(suggestions, before);
	char err[2048];

	if (!model)
		abort();
	if (np_manifest_load_paths(model, opts->files.paths, opts->files.count, &in_force, NULL,
				   err, sizeof(err)) != 0 ||
	    np_manifest_load_buffer(model, "<suggestions>", yaml, strlen(yaml), &staged, NULL, err,
				    sizeof(err)) != 0) {
		fprintf(stderr, "npwatch suggest: loading the cluster with the suggestions: %s\n",
			err);
		np_model_free(model);
		free(yaml);
		return NULL;
	}
	free(yaml);
	np_model_finalize(model);
	return model;
}

/* ---- words ------------------------------------------------------------------------------- */

static void end_text(const struct np_report_end *end, char *buf, size_t len)
{
	if (end->kind == NP_REPORT_POD)
		snprintf(buf, len, "%s/%s", end->namespace_name ? end->namespace_name : "?",
			 end->workload ? end->workload : "?");
	else
		snprintf(buf, len, "%s", end->ip ? end->ip : end->workload ? end->workload : "?");
}

static void flow_text(const struct np_report_flow *flow, char *buf, size_t len)
{
	char src[320], dst[320];

	end_text(&flow->src, src, sizeof(src));
	end_text(&flow->dst, dst, sizeof(dst));
	snprintf(buf, len, "%s -> %s %u/%s", src, dst, flow->port,
		 flow->protocol ? flow->protocol : "?");
}

static const char *state_name(enum np_suggest_flow_state state)
{
	switch (state) {
	case NP_FLOW_ALLOWED: return "allowed";
	case NP_FLOW_SUGGESTED: return "suggested";
	case NP_FLOW_SKIPPED: return "skipped";
	case NP_FLOW_UNKNOWN: return "unknown";
	}
	return "?";
}

static void origin_text(const struct np_policy *policy, char *buf, size_t len)
{
	if (policy->origin.line > 0)
		snprintf(buf, len, "%s, from %s:%d", policy->staged ? "staged" : "in force",
			 policy->origin.file, policy->origin.line);
	else
		snprintf(buf, len, "%s, from %s", policy->staged ? "staged" : "in force",
			 policy->origin.file ? policy->origin.file : "?");
}

/* The diff of a patch, both sides rendered from the model. */
static char *patch_diff(const struct np_suggestion *item)
{
	char *old_yaml = np_policy_yaml(item->original), *new_yaml = np_policy_yaml(item->policy);
	char old_name[320], new_name[320], *diff;

	snprintf(old_name, sizeof(old_name), "%s/%s (now)", item->namespace_name, item->name);
	snprintf(new_name, sizeof(new_name), "%s/%s (patched)", item->namespace_name, item->name);
	diff = np_unified_diff(old_name, old_yaml, new_name, new_yaml);
	free(old_yaml);
	free(new_yaml);
	return diff;
}

static void comment_lines(FILE *out, const char *text)
{
	for (const char *line = text; *line;) {
		const char *end = strchr(line, '\n');
		int len = end ? (int)(end - line) : (int)strlen(line);

		fprintf(out, "# %.*s\n", len, line);
		line += len + (end ? 1 : 0);
	}
}

/* ---- YAML -------------------------------------------------------------------------------- */

static void write_item_yaml(FILE *out, const struct np_suggestion *item)
{
	char origin[512], *diff, *yaml = np_policy_yaml(item->policy);

	if (item->kind == NP_SUGGEST_PATCH) {
		origin_text(item->patched, origin, sizeof(origin));
		fprintf(out, "# Patch to NetworkPolicy %s/%s (%s)\n", item->namespace_name,
			item->name, origin);
		for (size_t i = 0; i < item->n_changes; i++)
			fprintf(out, "#   %s\n", item->changes[i]);
	} else {
		fprintf(out, "# New NetworkPolicy %s/%s\n", item->namespace_name, item->name);
	}
	fprintf(out, "# Admits %zu observed flow%s, seen %" PRIu64 " time%s:\n", item->n_flows,
		item->n_flows == 1 ? "" : "s", item->observations,
		item->observations == 1 ? "" : "s");
	for (size_t i = 0; i < item->n_admits; i++)
		fprintf(out, "#   %s\n", item->admits[i]);
	if (item->kind == NP_SUGGEST_PATCH) {
		fputs("# Both sides are rendered from the cluster model, not from the original\n"
		      "# file: its annotations are carried over, its comments and labels are\n"
		      "# neither shown nor carried over. Apply the change to the original, or\n"
		      "# mind them when applying this.\n",
		      out);
		diff = patch_diff(item);
		comment_lines(out, diff);
		free(diff);
	}
	fputs(yaml, out);
	free(yaml);
}

static void write_header(FILE *out, const struct np_suggestions *s,
			 const struct np_coverage *coverage, const char *summary)
{
	size_t patches = 0;

	for (size_t i = 0; i < s->n_items; i++)
		patches += s->items[i].kind == NP_SUGGEST_PATCH;
	fprintf(out, "# npwatch suggest: report window %s\n", s->window);
	fprintf(out, "# %" PRIu64 " observations, %" PRIu64 " events lost%s\n",
		coverage->observations, np_coverage_lost(coverage),
		np_coverage_lost(coverage) ? ": flows may be missing from what follows" : "");
	fprintf(out, "# %zu patch%s to existing policies, %zu new polic%s.\n", patches,
		patches == 1 ? "" : "es", s->n_items - patches,
		s->n_items - patches == 1 ? "y" : "ies");
	fprintf(out, "# %s\n", summary);
	fputs("# Stage it (npwatch check/run --staged FILE) to see it at work: a patched\n"
	      "# policy is staged whole, replacing the one of its name.\n", out);
}

static void write_yaml(FILE *out, const struct np_suggestions *s,
		       const struct np_coverage *coverage, const char *summary)
{
	write_header(out, s, coverage, summary);
	for (size_t i = 0; i < s->n_items; i++) {
		fputs("---\n", out);
		write_item_yaml(out, &s->items[i]);
	}
}

/* ---- a folder of files ------------------------------------------------------------------- */

/* A new folder, or an empty one: any YAML already there would be staged
 * along with the suggestions. */
static int prepare_dir(const char *dir)
{
	DIR *d;
	struct dirent *entry;

	if (mkdir(dir, 0755) == 0)
		return NP_EXIT_OK;
	if (errno != EEXIST) {
		fprintf(stderr, "npwatch suggest: --output-dir %s: %s\n", dir, strerror(errno));
		return NP_EXIT_FAILURE;
	}
	d = opendir(dir);
	if (!d) {
		fprintf(stderr, "npwatch suggest: --output-dir %s: %s\n", dir, strerror(errno));
		return NP_EXIT_FAILURE;
	}
	while ((entry = readdir(d)) != NULL) {
		if (strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0) {
			closedir(d);
			fprintf(stderr, "npwatch suggest: --output-dir %s is not empty: its files "
					"would be staged with the suggestions; give a new or empty "
					"folder\n", dir);
			return NP_EXIT_USAGE;
		}
	}
	closedir(d);
	return NP_EXIT_OK;
}

static int write_dir(const char *dir, const struct np_suggestions *s)
{
	int status = prepare_dir(dir);

	for (size_t i = 0; i < s->n_items && status == NP_EXIT_OK; i++) {
		const struct np_suggestion *item = &s->items[i];
		char *path;
		FILE *out;

		if (asprintf(&path, "%s/%s.%s.yaml", dir, item->namespace_name, item->name) < 0)
			abort();
		out = fopen(path, "w");
		if (out) {
			write_item_yaml(out, item);
			if (fclose(out) != 0)
				out = NULL;
		}
		if (!out) {
			fprintf(stderr, "npwatch suggest: %s: %s\n", path, strerror(errno));
			status = NP_EXIT_FAILURE;
		} else {
			printf("%s: %s %s/%s\n", path,
			       item->kind == NP_SUGGEST_PATCH ? "patched" : "new",
			       item->namespace_name, item->name);
		}
		free(path);
	}
	return status;
}

/* ---- JSON -------------------------------------------------------------------------------- */

static json_t *strings_json(char *const *lines, size_t n)
{
	json_t *list = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, json_string(lines[i]));
	return list;
}

static json_t *item_json(const struct np_suggestion *item)
{
	json_t *json = json_pack("{s:s, s:s, s:s, s:O, s:o, s:I, s:I}", "kind",
				 item->kind == NP_SUGGEST_PATCH ? "patch" : "new", "namespace",
				 item->namespace_name, "name", item->name, "policy", item->policy,
				 "admits", strings_json(item->admits, item->n_admits), "flows",
				 (json_int_t)item->n_flows, "observations",
				 (json_int_t)item->observations);
	char *diff;

	if (item->kind != NP_SUGGEST_PATCH)
		return json;
	diff = patch_diff(item);
	json_object_set_new(json, "patched",
			    json_pack("{s:b, s:s?, s:i}", "staged", item->patched->staged, "file",
				      item->patched->origin.file, "line",
				      item->patched->origin.line));
	json_object_set_new(json, "changes", strings_json(item->changes, item->n_changes));
	json_object_set_new(json, "diff", json_string(diff));
	json_object_set(json, "original", item->original);
	free(diff);
	return json;
}

static json_t *proof_json(const struct np_suggest_proof *p, const char *summary)
{
	json_t *failures = json_array();

	for (size_t i = 0; i < p->n_failures; i++)
		json_array_append_new(failures, json_string(p->failures[i]));
	return json_pack("{s:b, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o}", "ok",
			 p->ok, "summary", summary, "blocked", (json_int_t)p->blocked,
			 "now_allowed", (json_int_t)p->now_allowed, "allowed",
			 (json_int_t)p->allowed, "still_allowed", (json_int_t)p->still_allowed,
			 "skipped", (json_int_t)p->skipped, "still_denied",
			 (json_int_t)p->still_denied, "unknown", (json_int_t)p->unknown, "swept",
			 (json_int_t)p->swept, "opened_beyond", (json_int_t)p->opened_beyond,
			 "closed", (json_int_t)p->closed, "failures", failures);
}

static void write_json(FILE *out, const struct np_suggestions *s,
		       const struct np_coverage *coverage, const struct np_suggest_proof *proof,
		       const char *summary)
{
	json_t *items = json_array(), *left = json_array(), *doc;

	for (size_t i = 0; i < s->n_items; i++)
		json_array_append_new(items, item_json(&s->items[i]));
	for (size_t i = 0; i < s->n_flows; i++) {
		const struct np_suggest_flow *flow = &s->flows[i];
		char src[320], dst[320];

		if (flow->state != NP_FLOW_SKIPPED && flow->state != NP_FLOW_UNKNOWN)
			continue;
		end_text(&flow->observed->src, src, sizeof(src));
		end_text(&flow->observed->dst, dst, sizeof(dst));
		json_array_append_new(left, json_pack("{s:s, s:s, s:i, s:s?, s:s, s:s}", "src", src,
						      "dst", dst, "port", flow->observed->port,
						      "protocol", flow->observed->protocol, "state",
						      state_name(flow->state), "reason",
						      flow->reason));
	}
	doc = json_pack("{s:s, s:i, s:s, s:{s:I, s:I}, s:o, s:o, s:o}", "format",
			"npwatch-suggestions", "version", 1, "window", s->window, "coverage",
			"observations", (json_int_t)coverage->observations, "lost",
			(json_int_t)np_coverage_lost(coverage), "verification",
			proof_json(proof, summary), "suggestions", items, "not_suggested", left);
	json_dumpf(doc, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', out);
	json_decref(doc);
}

/* ---- the command ------------------------------------------------------------------------- */

/* Lost events, flows left denied or not judged, patched staged policies:
 * on stderr, so that they are seen whatever the output. */
static void notices(const struct np_suggestions *s, const struct np_coverage *coverage)
{
	char flow[700];

	if (np_coverage_lost(coverage) > 0)
		fprintf(stderr, "npwatch suggest: warning: %" PRIu64 " events were lost while "
				"observing: flows may be missing from the suggestions\n",
			np_coverage_lost(coverage));

	for (size_t i = 0; i < s->n_flows; i++) {
		if (s->flows[i].state != NP_FLOW_SKIPPED && s->flows[i].state != NP_FLOW_UNKNOWN)
			continue;
		flow_text(s->flows[i].observed, flow, sizeof(flow));
		fprintf(stderr, "npwatch suggest: %s: %s: %s\n",
			s->flows[i].state == NP_FLOW_SKIPPED ? "left denied" : "not judged", flow,
			s->flows[i].reason);
	}
	for (size_t i = 0; i < s->n_items; i++) {
		const struct np_suggestion *item = &s->items[i];

		if (item->kind == NP_SUGGEST_PATCH && item->patched->staged)
			fprintf(stderr, "npwatch suggest: notice: %s/%s is a staged policy (%s): "
					"stage the patched one instead of it, not next to it\n",
				item->namespace_name, item->name,
				item->patched->origin.file ? item->patched->origin.file : "?");
	}
}

static int run(const struct suggest_options *opts, const struct np_model *model,
	       const struct np_report *report)
{
	struct np_suggest_options sopts = { .skip_world = opts->skip_world };
	struct np_suggestions suggestions;
	struct np_suggest_proof proof;
	struct np_model *after;
	char err[1024], summary[512];
	int status;

	if (np_suggest(model, report, &sopts, &suggestions, err, sizeof(err)) != 0) {
		fprintf(stderr, "npwatch suggest: %s\n", err);
		return NP_EXIT_FAILURE;
	}
	after = model_after(opts, &suggestions, model);
	if (!after) {
		np_suggestions_free(&suggestions);
		return NP_EXIT_FAILURE;
	}
	np_suggest_prove(&suggestions, model, after, &proof);
	np_suggest_proof_summary(&proof, summary, sizeof(summary));
	status = NP_EXIT_OK;
	if (opts->output_dir)
		status = write_dir(opts->output_dir, &suggestions);
	else if (opts->output == OUTPUT_JSON)
		write_json(stdout, &suggestions, &report->coverage, &proof, summary);
	else
		write_yaml(stdout, &suggestions, &report->coverage, summary);
	fflush(stdout);
	notices(&suggestions, &report->coverage);
	fprintf(stderr, "npwatch suggest: %s\n", summary);
	for (size_t i = 0; i < proof.n_failures; i++)
		fprintf(stderr, "npwatch suggest: verification failed: %s\n", proof.failures[i]);
	if (status == NP_EXIT_OK && !proof.ok)
		status = NP_EXIT_FAILURE;
	np_model_free(after);
	np_suggestions_free(&suggestions);
	return status;
}

int np_cmd_suggest(int argc, char **argv)
{
	struct suggest_options opts = { .output = OUTPUT_YAML };
	struct np_report report;
	struct np_model *model = NULL;
	int status = parse_options(argc, argv, &opts);

	np_report_init(&report);
	if (status == NP_EXIT_OK)
		status = merge_reports(&opts.reports, &report);
	if (status == NP_EXIT_OK) {
		model = np_cli_load_model("suggest", &opts.files, &opts.staged, opts.default_ns,
					  false);
		status = model ? NP_EXIT_OK : NP_EXIT_USAGE;
	}
	if (status == NP_EXIT_OK)
		status = run(&opts, model, &report);
	np_model_free(model);
	np_report_free(&report);
	np_path_list_free(&opts.reports);
	np_path_list_free(&opts.files);
	np_path_list_free(&opts.staged);
	return status;
}
