/* diffcmd — `npwatch diff`: a proposed policy change judged against the
 * traffic actually observed.
 *
 * OLD and NEW are two sets of policies (a pull request's before and after).
 * The cluster (namespaces, pods, services, nodes) comes from -f; its own
 * policies take no part: each side is the cluster plus OLD, or plus NEW,
 * all in force. Every observed flow of the merged reports is judged on both
 * sides, its ends named by the flow's sample pods (or, when none of them is
 * in the cluster any more, by the pods of the same workload) and by address
 * for nodes and the world. A flow allowed by OLD and denied by NEW is newly
 * blocked; the reverse is newly opened.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "commands.h"
#include "engine.h"
#include "explain.h"
#include "manifest.h"
#include "render.h"
#include "report.h"
#include "textbuf.h"
#include "workload.h"

#define MAX_ENDS 8 /* ends tried per side of a flow */

enum diff_format { DIFF_TEXT, DIFF_JSON, DIFF_MARKDOWN };

struct diff_options {
	struct np_path_list reports;
	struct np_path_list cluster;
	const char *default_ns;
	const char *old_path, *new_path;
	enum diff_format format;
};

static const char diff_usage[] =
	"Usage: npwatch diff --report FILE... -f CLUSTER... [-n NAMESPACE]\n"
	"                    [-o text|json|markdown] OLD NEW\n"
	"\n"
	"Judges a policy change against the traffic actually observed: which\n"
	"observed flows NEW would newly block, and which it would newly open.\n"
	"\n"
	"  OLD, NEW              the policies before and after: a file or a folder\n"
	"                        each (e.g. a pull request's base and head)\n"
	"  -r, --report FILE     a snapshot from `npwatch run --report-dir`, or a folder\n"
	"                        of them; repeatable, merged as `npwatch report` does\n"
	"  -f, --filename PATH   the cluster: namespaces, pods, services, nodes (a\n"
	"                        file, a folder or `kubectl get ... -o json` output);\n"
	"                        repeatable. Its NetworkPolicies are left out: OLD\n"
	"                        and NEW take their place\n"
	"  -n, --namespace NS    namespace of objects that state none (default: default)\n"
	"  -o, --output FORMAT   text (default), json, or markdown (a CI comment)\n"
	"  -h, --help            this help\n"
	"\n"
	"Each flow's ends are its sample pods, looked up in the cluster; when none\n"
	"of them is there any more, the pods of the same workload stand in. Flows\n"
	"whose ends cannot be found are listed as not judged. Each change names the\n"
	"policies responsible and why, in the words of `npwatch check`.\n"
	"\n"
	"Exit status: 0 nothing newly blocked, 1 some observed flow would be newly\n"
	"blocked, 2 bad usage or bad input (a snapshot or manifest that cannot be\n"
	"read).\n";

static int parse_options(int argc, char **argv, struct diff_options *opts)
{
	static const struct option longopts[] = {
		{ "report", required_argument, NULL, 'r' },
		{ "filename", required_argument, NULL, 'f' },
		{ "namespace", required_argument, NULL, 'n' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "r:f:n:o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'r': np_path_list_add(&opts->reports, optarg); break;
		case 'f': np_path_list_add(&opts->cluster, optarg); break;
		case 'n': opts->default_ns = optarg; break;
		case 'o':
			if (strcmp(optarg, "text") == 0)
				opts->format = DIFF_TEXT;
			else if (strcmp(optarg, "json") == 0)
				opts->format = DIFF_JSON;
			else if (strcmp(optarg, "markdown") == 0)
				opts->format = DIFF_MARKDOWN;
			else
				return np_cli_usage_error(
					"diff", "-o %s: expected text, json or markdown", optarg);
			break;
		case 'h': fputs(diff_usage, stdout); exit(NP_EXIT_OK);
		default: return np_cli_usage_error("diff", "bad option");
		}
	}
	if (argc - optind != 2)
		return np_cli_usage_error("diff",
					  "expected OLD and NEW policies, got %d argument%s",
					  argc - optind, argc - optind == 1 ? "" : "s");
	opts->old_path = argv[optind];
	opts->new_path = argv[optind + 1];
	if (opts->reports.count == 0)
		return np_cli_usage_error("diff",
					  "no observations: give at least one --report FILE");
	if (opts->cluster.count == 0)
		return np_cli_usage_error("diff", "no cluster: give at least one -f PATH with its "
					  "namespaces and pods");
	return NP_EXIT_OK;
}

/* ---- the two sides ------------------------------------------------------- */

/* The cluster of -f with the policies of one side in force. */
static struct np_model *load_side(const struct diff_options *opts, const char *policies)
{
	/* The cluster's own policies take no part: the side's replace them. */
	struct np_load_options cluster = { .default_namespace = opts->default_ns,
					   .skip_policies = true };
	struct np_load_options load = { .default_namespace = opts->default_ns };
	struct np_model *model = np_model_new();
	char err[2048];

	if (!model) {
		fprintf(stderr, "npwatch diff: out of memory\n");
		return NULL;
	}
	if (np_manifest_load_paths(model, opts->cluster.paths, opts->cluster.count, &cluster, NULL,
				   err, sizeof(err)) != 0)
		goto fail;
	if (np_manifest_load_paths(model, &policies, 1, &load, NULL, err, sizeof(err)) != 0)
		goto fail;
	np_model_finalize(model);
	return model;
fail:
	fprintf(stderr, "npwatch diff: %s\n", err);
	np_model_free(model);
	return NULL;
}

/* ---- observed traffic ---------------------------------------------------- */

/* The flows of one piece of traffic: the report keeps a flow per verdict,
 * the diff judges the traffic once. */
struct traffic {
	const struct np_report_flow **flows;
	size_t n_flows;
	uint64_t count;
	time_t first_seen, last_seen;
};

static int compare_text(const char *a, const char *b)
{
	if (!a || !b)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

static int compare_end(const struct np_report_end *x, const struct np_report_end *y)
{
	int cmp = (int)x->kind - (int)y->kind;

	if (!cmp)
		cmp = compare_text(x->namespace_name, y->namespace_name);
	if (!cmp)
		cmp = compare_text(x->workload, y->workload);
	return cmp ? cmp : compare_text(x->ip, y->ip);
}

static int compare_traffic(const void *a, const void *b)
{
	const struct np_report_flow *x = *(const struct np_report_flow *const *)a;
	const struct np_report_flow *y = *(const struct np_report_flow *const *)b;
	int cmp = compare_end(&x->src, &y->src);

	if (!cmp)
		cmp = compare_end(&x->dst, &y->dst);
	if (!cmp)
		cmp = (int)x->port - (int)y->port;
	return cmp ? cmp : compare_text(x->protocol, y->protocol);
}

/* Groups the report's flows by ends, port and protocol. */
static struct traffic *group_traffic(const struct np_report *report, size_t *n_out)
{
	const struct np_report_flow **sorted = calloc(report->n_flows + 1, sizeof(*sorted));
	struct traffic *all = calloc(report->n_flows + 1, sizeof(*all));
	size_t n = 0;

	if (!sorted || !all)
		abort();
	for (size_t i = 0; i < report->n_flows; i++)
		sorted[i] = &report->flows[i];
	if (report->n_flows > 1)
		qsort(sorted, report->n_flows, sizeof(*sorted), compare_traffic);
	for (size_t i = 0; i < report->n_flows; i++) {
		const struct np_report_flow *flow = sorted[i];
		struct traffic *t;

		if (n == 0 || compare_traffic(&all[n - 1].flows[0], &sorted[i]) != 0)
			all[n++] = (struct traffic){ .flows = sorted + i };
		t = &all[n - 1];
		t->n_flows++;
		t->count += flow->count;
		if (flow->first_seen && (!t->first_seen || flow->first_seen < t->first_seen))
			t->first_seen = flow->first_seen;
		if (flow->last_seen > t->last_seen)
			t->last_seen = flow->last_seen;
	}
	*n_out = n;
	return all;
}

static void free_traffic(struct traffic *all, size_t n)
{
	if (n > 0)
		free((void *)all[0].flows);
	free(all);
}

/* ---- naming the ends in a model ------------------------------------------ */

/* A flow end as the report names it, to be looked up in each side's model. */
struct end_name {
	enum np_report_end_kind kind;
	char pod[256]; /* "ns/pod" */
	struct np_ip ip;
};

static size_t pods_of_workload(const struct np_model *model, const struct np_report_end *end,
			       struct end_name *out, size_t max)
{
	size_t n_pods, n = 0;
	const struct np_pod *pods = np_namespace_pods(model, end->namespace_name, &n_pods);
	char workload[NP_WORKLOAD_MAX];

	for (size_t i = 0; i < n_pods && n < max; i++) {
		np_pod_workload(&pods[i], workload, sizeof(workload));
		if (compare_text(workload, end->workload) != 0)
			continue;
		out[n].kind = NP_REPORT_POD;
		snprintf(out[n].pod, sizeof(out[n].pod), "%s/%s", pods[i].namespace_name,
			 pods[i].name);
		n++;
	}
	return n;
}

static const struct np_pod *find_pod(const struct np_model *model, const char *ns_pod)
{
	const char *slash = strchr(ns_pod, '/');
	char ns[256];

	if (!slash || (size_t)(slash - ns_pod) >= sizeof(ns))
		return NULL;
	memcpy(ns, ns_pod, (size_t)(slash - ns_pod));
	ns[slash - ns_pod] = '\0';
	return np_model_pod(model, ns, slash + 1);
}

/* The names an end goes by in model: its sample pods that are there, else
 * the pods of its workload; its address for a node or the world. */
static size_t end_names(const struct np_model *model, const struct traffic *t, bool source,
			struct end_name *out, size_t max)
{
	const struct np_report_end *end = source ? &t->flows[0]->src : &t->flows[0]->dst;
	struct np_cidr cidr;
	size_t n = 0;

	if (end->kind != NP_REPORT_POD) {
		/* A world end folded into a CIDR is judged by its first address. */
		if (!np_cidr_parse(end->ip ? end->ip : end->workload, &cidr))
			return 0;
		out[0] = (struct end_name){ .kind = end->kind, .ip = cidr.net };
		return 1;
	}
	for (size_t f = 0; f < t->n_flows; f++) {
		char *const *samples = source ? t->flows[f]->sample_src_pods
					      : t->flows[f]->sample_dst_pods;

		for (size_t i = 0; i < NP_REPORT_SAMPLES && n < max; i++) {
			bool seen = false;

			if (!samples[i] || !find_pod(model, samples[i]))
				continue;
			for (size_t k = 0; k < n; k++)
				seen = seen || strcmp(out[k].pod, samples[i]) == 0;
			if (seen)
				continue;
			out[n].kind = NP_REPORT_POD;
			snprintf(out[n].pod, sizeof(out[n].pod), "%s", samples[i]);
			n++;
		}
	}
	return n > 0 ? n : pods_of_workload(model, end, out, max);
}

static struct np_endpoint endpoint_in(const struct np_model *model, const struct end_name *name)
{
	struct np_endpoint end = { .ip = name->ip };
	const struct np_ip_index_entry *entry;

	switch (name->kind) {
	case NP_REPORT_POD:
		end.kind = NP_END_POD;
		end.pod = find_pod(model, name->pod);
		if (end.pod && end.pod->n_ips > 0)
			end.ip = end.pod->ips[0];
		break;
	case NP_REPORT_NODE:
		end.kind = NP_END_NODE;
		entry = np_model_lookup_ip(model, &name->ip);
		if (entry && entry->owner == NP_IP_NODE)
			end.node = entry->object;
		break;
	case NP_REPORT_WORLD:
		end.kind = NP_END_WORLD;
		break;
	}
	return end;
}

/* ---- judging ------------------------------------------------------------- */

enum change_kind { CHANGE_BLOCKED, CHANGE_OPENED };

/* One side's judgement of one pair of ends. */
struct judged {
	struct np_flow flow;
	struct np_verdict verdict;
};

struct change {
	enum change_kind kind;
	const struct traffic *traffic;
	struct judged old, new;
};

struct unjudged {
	const struct traffic *traffic;
	const char *reason;
};

struct diff {
	const struct diff_options *opts;
	const struct np_model *old_model, *new_model;
	struct change *changes;
	size_t n_changes;
	struct unjudged *unjudged;
	size_t n_unjudged;
	size_t judged;
	uint64_t judged_count;
};

static void judge_on(const struct np_model *model, const struct traffic *t,
		     const struct end_name *src, const struct end_name *dst, enum np_proto proto,
		     struct judged *out)
{
	out->flow = (struct np_flow){ .src = endpoint_in(model, src),
				      .dst = endpoint_in(model, dst),
				      .port = t->flows[0]->port,
				      .proto = proto };
	np_evaluate(model, &out->flow, NP_SCOPE_IN_FORCE, &out->verdict);
}

static void record(struct diff *diff, enum change_kind kind, const struct traffic *t,
		   const struct judged *old, const struct judged *new)
{
	for (size_t i = 0; i < diff->n_changes; i++)
		if (diff->changes[i].traffic == t && diff->changes[i].kind == kind)
			return;
	diff->changes[diff->n_changes++] =
		(struct change){ .kind = kind, .traffic = t, .old = *old, .new = *new };
}

static void judge_traffic(struct diff *diff, const struct traffic *t)
{
	struct end_name srcs[MAX_ENDS], dsts[MAX_ENDS];
	size_t n_src = end_names(diff->old_model, t, true, srcs, MAX_ENDS);
	size_t n_dst = end_names(diff->old_model, t, false, dsts, MAX_ENDS);
	enum np_proto proto;

	if (!np_proto_parse(t->flows[0]->protocol, &proto)) {
		diff->unjudged[diff->n_unjudged++] = (struct unjudged){ t, "unknown protocol" };
		return;
	}
	if (n_src == 0 || n_dst == 0) {
		diff->unjudged[diff->n_unjudged++] = (struct unjudged){
			t, n_src == 0 ? "the source is not in the cluster"
				      : "the destination is not in the cluster" };
		return;
	}
	diff->judged++;
	diff->judged_count += t->count;
	for (size_t i = 0; i < n_src; i++) {
		for (size_t j = 0; j < n_dst; j++) {
			struct judged old, new;

			judge_on(diff->old_model, t, &srcs[i], &dsts[j], proto, &old);
			judge_on(diff->new_model, t, &srcs[i], &dsts[j], proto, &new);
			if (old.verdict.allowed && !new.verdict.allowed)
				record(diff, CHANGE_BLOCKED, t, &old, &new);
			else if (!old.verdict.allowed && new.verdict.allowed)
				record(diff, CHANGE_OPENED, t, &old, &new);
		}
	}
}

/* ---- why: the policies responsible --------------------------------------- */

static const struct np_direction_verdict *side(const struct np_verdict *verdict,
					       enum np_direction dir)
{
	return dir == NP_DIR_EGRESS ? &verdict->egress : &verdict->ingress;
}

/* Did this direction change the way the flow did? */
static bool direction_changed(const struct change *change, enum np_direction dir)
{
	bool was = side(&change->old.verdict, dir)->allowed;
	bool is = side(&change->new.verdict, dir)->allowed;

	return change->kind == CHANGE_BLOCKED ? !is : !was && is;
}

/* Blocked: the NEW policies that isolate the end and admit nothing of it.
 * Opened: the NEW rule that admits it, or the OLD policies that no longer
 * isolate it. */
static void responsible(const struct change *change, enum np_direction dir, json_t *policies)
{
	const struct np_direction_verdict *now = side(&change->new.verdict, dir);
	const struct np_direction_verdict *before = side(&change->old.verdict, dir);
	const struct np_direction_verdict *from = now;
	char id[512];

	if (change->kind == CHANGE_OPENED && now->allowed_by.policy) {
		const struct np_policy *p = now->allowed_by.policy;

		snprintf(id, sizeof(id), "%s/%s", p->namespace_name, p->name);
		json_array_append_new(policies, json_string(id));
		return;
	}
	if (change->kind == CHANGE_OPENED)
		from = before;
	for (size_t i = 0; i < from->n_isolating && i < NP_EXPLAIN_MAX; i++) {
		snprintf(id, sizeof(id), "%s/%s", from->isolating[i]->namespace_name,
			 from->isolating[i]->name);
		json_array_append_new(policies, json_string(id));
	}
}

/* "production/Deployment/web -> production/StatefulSet/db 5432/TCP" */
static json_t *flow_words(const struct np_report_flow *flow)
{
	char src[512], dst[512];

	np_render_end(&flow->src, src, sizeof(src));
	np_render_end(&flow->dst, dst, sizeof(dst));
	return json_sprintf("%s -> %s %u/%s", src, dst, flow->port, flow->protocol);
}

static json_t *time_json(time_t when)
{
	char text[32];

	if (when == 0)
		return json_null();
	np_render_time(when, text, sizeof(text));
	return json_string(text);
}

static json_t *direction_json(const struct change *change, enum np_direction dir)
{
	char endpoint[256], reason[1024];
	const struct np_endpoint *end =
		dir == NP_DIR_EGRESS ? &change->new.flow.src : &change->new.flow.dst;

	np_endpoint_format(end, endpoint, sizeof(endpoint));
	np_explain_direction(&change->new.flow, &change->new.verdict, dir, reason, sizeof(reason));
	return json_pack("{s:s, s:s, s:s, s:s}", "endpoint", endpoint, "old",
			 side(&change->old.verdict, dir)->allowed ? "allow" : "deny", "new",
			 side(&change->new.verdict, dir)->allowed ? "allow" : "deny", "reason",
			 reason);
}

static json_t *change_json(const struct change *change)
{
	const struct traffic *t = change->traffic;
	const struct np_report_flow *first = t->flows[0];
	json_t *obj = json_object(), *policies = json_array(), *verdicts = json_array();

	json_object_set_new(obj, "flow", flow_words(first));
	json_object_set_new(obj, "src", np_render_end_json(&first->src));
	json_object_set_new(obj, "dst", np_render_end_json(&first->dst));
	json_object_set_new(obj, "port", json_integer(first->port));
	json_object_set_new(obj, "protocol", json_string(first->protocol));
	json_object_set_new(obj, "count", json_integer((json_int_t)t->count));
	json_object_set_new(obj, "first_seen", time_json(t->first_seen));
	json_object_set_new(obj, "last_seen", time_json(t->last_seen));
	for (size_t i = 0; i < t->n_flows; i++)
		json_array_append_new(verdicts, json_string(t->flows[i]->verdict));
	json_object_set_new(obj, "observed_verdicts", verdicts);
	if (direction_changed(change, NP_DIR_EGRESS)) {
		responsible(change, NP_DIR_EGRESS, policies);
		json_object_set_new(obj, "egress", direction_json(change, NP_DIR_EGRESS));
	}
	if (direction_changed(change, NP_DIR_INGRESS)) {
		responsible(change, NP_DIR_INGRESS, policies);
		json_object_set_new(obj, "ingress", direction_json(change, NP_DIR_INGRESS));
	}
	json_object_set_new(obj, "policies", policies);
	return obj;
}

static json_t *unjudged_json(const struct unjudged *u)
{
	const struct np_report_flow *first = u->traffic->flows[0];

	return json_pack("{s:o, s:o, s:o, s:i, s:s, s:I, s:s}", "flow", flow_words(first), "src",
			 np_render_end_json(&first->src), "dst", np_render_end_json(&first->dst),
			 "port", first->port, "protocol", first->protocol, "count",
			 (json_int_t)u->traffic->count, "reason", u->reason);
}

static json_t *diff_json(const struct diff *diff)
{
	json_t *blocked = json_array(), *opened = json_array(), *unjudged = json_array();

	for (size_t i = 0; i < diff->n_changes; i++)
		json_array_append_new(diff->changes[i].kind == CHANGE_BLOCKED ? blocked : opened,
				      change_json(&diff->changes[i]));
	for (size_t i = 0; i < diff->n_unjudged; i++)
		json_array_append_new(unjudged, unjudged_json(&diff->unjudged[i]));
	return json_pack("{s:s, s:s, s:I, s:I, s:o, s:o, s:o}", "old", diff->opts->old_path, "new",
			 diff->opts->new_path, "judged", (json_int_t)diff->judged, "observations",
			 (json_int_t)diff->judged_count, "newly_blocked", blocked, "newly_opened",
			 opened, "not_judged", unjudged);
}

/* ---- text and Markdown, from the JSON form ------------------------------- */

static const char *text_at(json_t *obj, const char *key)
{
	const char *text = json_string_value(json_object_get(obj, key));

	return text ? text : "";
}

static json_int_t number_at(json_t *obj, const char *key)
{
	return json_integer_value(json_object_get(obj, key));
}

static void join_policies(json_t *change, char *buf, size_t len)
{
	struct np_text text;
	json_t *policy;
	size_t i;

	np_text_init(&text, buf, len);
	json_array_foreach(json_object_get(change, "policies"), i, policy)
		np_text_add(&text, "%s%s", i ? ", " : "", json_string_value(policy));
	if (text.used == 0)
		np_text_add(&text, "-");
}

static json_int_t observations(json_t *changes)
{
	json_int_t sum = 0;
	json_t *change;
	size_t i;

	json_array_foreach(changes, i, change)
		sum += number_at(change, "count");
	return sum;
}

static void text_changes(FILE *out, json_t *changes, const char *title, const char *verb)
{
	static const char *const dirs[] = { "egress", "ingress" };
	char policies[1024];
	json_t *change;
	size_t i;

	fprintf(out, "\n%s: ", title);
	if (json_array_size(changes) == 0) {
		fputs("none\n", out);
		return;
	}
	fprintf(out, "%zu flow%s, %" JSON_INTEGER_FORMAT " observations\n",
		json_array_size(changes), json_array_size(changes) == 1 ? "" : "s",
		observations(changes));
	json_array_foreach(changes, i, change) {
		join_policies(change, policies, sizeof(policies));
		fprintf(out, "  %s: %" JSON_INTEGER_FORMAT " observations, last %s\n",
			text_at(change, "flow"), number_at(change, "count"),
			text_at(change, "last_seen"));
		fprintf(out, "    %s by %s\n", verb, policies);
		for (size_t d = 0; d < 2; d++) {
			json_t *dir = json_object_get(change, dirs[d]);

			if (dir)
				fprintf(out, "    %-7s %s: %s\n", dirs[d], text_at(dir, "endpoint"),
					text_at(dir, "reason"));
		}
	}
}

static void render_text(FILE *out, json_t *result)
{
	json_t *unjudged = json_object_get(result, "not_judged");
	json_t *u;
	size_t i;

	fprintf(out, "npwatch diff: %" JSON_INTEGER_FORMAT " observed flows (%" JSON_INTEGER_FORMAT
		     " observations) judged under OLD %s and NEW %s\n",
		number_at(result, "judged"), number_at(result, "observations"),
		text_at(result, "old"), text_at(result, "new"));
	text_changes(out, json_object_get(result, "newly_blocked"), "NEWLY BLOCKED", "blocked");
	text_changes(out, json_object_get(result, "newly_opened"), "NEWLY OPENED", "opened");
	if (json_array_size(unjudged) == 0)
		return;
	fprintf(out, "\nNOT JUDGED: %zu flow%s\n", json_array_size(unjudged),
		json_array_size(unjudged) == 1 ? "" : "s");
	json_array_foreach(unjudged, i, u)
		fprintf(out, "  %s: %" JSON_INTEGER_FORMAT " observations; %s\n",
			text_at(u, "flow"), number_at(u, "count"), text_at(u, "reason"));
}

static void markdown_reasons(FILE *out, json_t *change)
{
	static const char *const dirs[] = { "egress", "ingress" };
	bool first = true;

	for (size_t d = 0; d < 2; d++) {
		json_t *dir = json_object_get(change, dirs[d]);

		if (!dir)
			continue;
		fprintf(out, "%s%s ", first ? "" : "<br/>", dirs[d]);
		np_render_markdown_cell(out, text_at(dir, "endpoint"));
		fputs(": ", out);
		np_render_markdown_cell(out, text_at(dir, "reason"));
		first = false;
	}
}

static void markdown_changes(FILE *out, json_t *changes, const char *title)
{
	char policies[1024];
	json_t *change;
	size_t i;

	fprintf(out, "### %s\n\n", title);
	if (json_array_size(changes) == 0) {
		fputs("None.\n\n", out);
		return;
	}
	fprintf(out, "%zu flow%s, %" JSON_INTEGER_FORMAT " observations.\n\n"
		     "| Flow | Count | Last seen | Policies | Why |\n|---|---:|---|---|---|\n",
		json_array_size(changes), json_array_size(changes) == 1 ? "" : "s",
		observations(changes));
	json_array_foreach(changes, i, change) {
		join_policies(change, policies, sizeof(policies));
		fputs("| ", out);
		np_render_markdown_cell(out, text_at(change, "flow"));
		fprintf(out, " | %" JSON_INTEGER_FORMAT " | %s | ", number_at(change, "count"),
			text_at(change, "last_seen"));
		np_render_markdown_cell(out, policies);
		fputs(" | ", out);
		markdown_reasons(out, change);
		fputs(" |\n", out);
	}
	fputc('\n', out);
}

static void render_markdown(FILE *out, json_t *result)
{
	json_t *unjudged = json_object_get(result, "not_judged");
	json_t *u;
	size_t i;

	fputs("## npwatch diff\n\n**OLD** ", out);
	np_render_markdown_cell(out, text_at(result, "old"));
	fputs(" → **NEW** ", out);
	np_render_markdown_cell(out, text_at(result, "new"));
	fprintf(out, ": %" JSON_INTEGER_FORMAT " observed flows (%" JSON_INTEGER_FORMAT
		     " observations) judged.\n\n",
		number_at(result, "judged"), number_at(result, "observations"));
	markdown_changes(out, json_object_get(result, "newly_blocked"), "Newly blocked");
	markdown_changes(out, json_object_get(result, "newly_opened"), "Newly opened");
	if (json_array_size(unjudged) == 0)
		return;
	fprintf(out, "### Not judged\n\n| Flow | Count | Why |\n|---|---:|---|\n");
	json_array_foreach(unjudged, i, u) {
		fputs("| ", out);
		np_render_markdown_cell(out, text_at(u, "flow"));
		fprintf(out, " | %" JSON_INTEGER_FORMAT " | %s |\n", number_at(u, "count"),
			text_at(u, "reason"));
	}
	fputc('\n', out);
}

static int emit(const struct diff_options *opts, json_t *result)
{
	if (opts->format == DIFF_JSON) {
		json_dumpf(result, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
	} else if (opts->format == DIFF_MARKDOWN) {
		render_markdown(stdout, result);
	} else {
		render_text(stdout, result);
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "npwatch diff: writing the result failed: %m\n");
		return NP_EXIT_FAILURE;
	}
	return NP_EXIT_OK;
}

/* ---- the command --------------------------------------------------------- */

/* Judges the report's traffic and writes the result; *blocked says whether
 * anything would be newly blocked. */
static int run_diff(struct diff *diff, const struct np_report *report, bool *blocked)
{
	size_t n_traffic;
	struct traffic *traffic = group_traffic(report, &n_traffic);
	json_t *result;
	int status;

	diff->changes = calloc(2 * n_traffic + 1, sizeof(*diff->changes));
	diff->unjudged = calloc(n_traffic + 1, sizeof(*diff->unjudged));
	if (!diff->changes || !diff->unjudged)
		abort();
	for (size_t i = 0; i < n_traffic; i++)
		judge_traffic(diff, &traffic[i]);
	result = diff_json(diff);
	status = emit(diff->opts, result);
	*blocked = json_array_size(json_object_get(result, "newly_blocked")) > 0;
	json_decref(result);
	free(diff->changes);
	free(diff->unjudged);
	free_traffic(traffic, n_traffic);
	return status;
}

int np_cmd_diff(int argc, char **argv)
{
	struct diff_options opts = { 0 };
	struct diff diff = { .opts = &opts };
	struct np_model *old_model = NULL, *new_model = NULL;
	struct np_report report;
	bool blocked;
	size_t bad;
	int status = parse_options(argc, argv, &opts);

	np_report_init(&report);
	if (status != NP_EXIT_OK)
		goto out;
	bad = np_cli_merge_reports("diff", &report, &opts.reports);
	if (bad == opts.reports.count) {
		fprintf(stderr, "npwatch diff: no snapshot could be read\n");
		status = NP_EXIT_USAGE;
		goto out;
	}
	old_model = load_side(&opts, opts.old_path);
	new_model = old_model ? load_side(&opts, opts.new_path) : NULL;
	if (!new_model) {
		status = NP_EXIT_USAGE;
		goto out;
	}
	diff.old_model = old_model;
	diff.new_model = new_model;
	status = run_diff(&diff, &report, &blocked);
	if (status == NP_EXIT_OK && bad > 0) {
		/* An incomplete answer is not one to pass a change on. */
		fprintf(stderr, "npwatch diff: %zu snapshot%s could not be read; the result leaves "
				"%s out\n", bad, bad == 1 ? "" : "s", bad == 1 ? "it" : "them");
		status = NP_EXIT_USAGE;
	} else if (status == NP_EXIT_OK && blocked) {
		status = NP_EXIT_FAILURE;
	}
out:
	np_model_free(old_model);
	np_model_free(new_model);
	np_report_free(&report);
	np_path_list_free(&opts.reports);
	np_path_list_free(&opts.cluster);
	return status;
}
