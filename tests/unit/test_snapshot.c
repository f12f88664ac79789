/* test_snapshot — snapshots on disk: the round trip, merging nodes and
 * intervals, and every kind of bad file refused with a message that names
 * the file and the field, while the others still merge; then the building
 * blocks of reports in memory (report.c).
 *
 * Reports are built by hand; hand-written JSON (the format of report.h)
 * stands for files from other builds. Files go to a fresh temporary folder.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <zlib.h>

#include "fixture.h"
#include "report.h"

#define T0 1764145800 /* 2025-11-26T08:30:00Z */

struct fixture {
	char dir[64];
	char path[PATH_MAX];
	char err[1024];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	strcpy(f->dir, "/tmp/npw-snapshot-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	DIR *dir = opendir(f->dir);
	struct dirent *entry;
	char path[PATH_MAX];

	while (dir && (entry = readdir(dir))) {
		if (entry->d_name[0] == '.' && (!entry->d_name[1] || entry->d_name[1] == '.'))
			continue;
		snprintf(path, sizeof(path), "%s/%s", f->dir, entry->d_name);
		unlink(path);
	}
	if (dir)
		closedir(dir);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* ---- building reports ------------------------------------------------------------ */

static char *dup_or_null(const char *text)
{
	char *copy = text ? strdup(text) : NULL;

	assert_true(!text || copy);
	return copy;
}

static void one_node(struct np_report *r, const char *node, time_t start, time_t end,
		     uint64_t observations, uint64_t lost)
{
	np_report_init(r);
	r->nodes = calloc(1, sizeof(*r->nodes));
	assert_non_null(r->nodes);
	r->n_nodes = 1;
	r->nodes[0] = (struct np_report_node){
		.name = dup_or_null(node), .start = start, .end = end,
		.coverage = { .observations = observations, .ringbuf_lost = lost,
			      .aggregate_overflow = 1 },
	};
	r->start = start;
	r->end = end;
	r->coverage = r->nodes[0].coverage;
}

static struct np_report_rule rule(bool ingress, int index, long pods, long ports)
{
	return (struct np_report_rule){ .ingress = ingress, .index = index, .admits_pods = pods,
					.admits_ports = ports };
}

static void add_policy(struct np_report *r, const char *ns, const char *name, bool staged,
		       const char *file, const struct np_report_rule *rules, size_t n_rules)
{
	struct np_report_policy *p;

	r->policies = realloc(r->policies, (r->n_policies + 1) * sizeof(*r->policies));
	assert_non_null(r->policies);
	p = &r->policies[r->n_policies++];
	*p = (struct np_report_policy){ .namespace_name = dup_or_null(ns),
					.name = dup_or_null(name), .staged = staged,
					.file = dup_or_null(file), .as_of = r->end };
	p->rules = calloc(n_rules ? n_rules : 1, sizeof(*p->rules));
	assert_non_null(p->rules);
	memcpy(p->rules, rules, n_rules * sizeof(*rules));
	p->n_rules = n_rules;
}

static struct np_report_end pod_end(const char *ns, const char *workload)
{
	return (struct np_report_end){ .kind = NP_REPORT_POD, .namespace_name = (char *)ns,
				       .workload = (char *)workload };
}

static struct np_report_end address_end(enum np_report_end_kind kind, const char *workload,
					const char *ip)
{
	return (struct np_report_end){ .kind = kind, .workload = (char *)workload,
				       .ip = (char *)ip };
}

static struct np_report_flow *add_flow(struct np_report *r, struct np_report_end src,
				       struct np_report_end dst, unsigned port,
				       const char *verdict, uint64_t count, time_t first,
				       time_t last)
{
	struct np_report_flow key = { .src = src, .dst = dst, .port = (uint16_t)port,
				      .protocol = "TCP", .verdict = (char *)verdict };
	struct np_report_flow *flow = np_report_append_flow(r, &key);

	flow->count = count;
	flow->first_seen = first;
	flow->last_seen = last;
	return flow;
}

static void add_rule_use(struct np_report_flow *flow, const char *policy, bool staged,
			 bool ingress, int index)
{
	struct np_rule_use use = { .policy = (char *)policy, .staged = staged,
				   .ingress = ingress, .rule = index };

	np_report_flow_add_rule_use(flow, &use);
}

/* A report of node n1 with a bit of everything. */
static void sample_report(struct np_report *r)
{
	static const struct np_report_rule ingress_rules[] = { { true, 0, 5, 1 },
							       { true, 1, -1, 101 } };
	static const struct np_report_rule egress_rules[] = { { false, 0, -1, -1 } };
	struct np_report_flow *flow;

	one_node(r, "n1", T0, T0 + 60, 120, 2);
	add_policy(r, "shop", "api-ingress", false, "policies/api.yaml", ingress_rules, 2);
	add_policy(r, "shop", "api-ingress", true, "staged/api.yaml", ingress_rules, 1);
	add_policy(r, "shop", "lock-egress", false, NULL, egress_rules, 1);

	flow = add_flow(r, pod_end("ops", "Pod/monitor"), pod_end("shop", "Deployment/api"), 9090,
			"would-deny", 7, T0 + 3, T0 + 58);
	flow->service = strdup("shop/api");
	np_report_flow_add_denied_by(flow, "shop/api-ingress");
	np_report_flow_add_denied_by(flow, "shop/other");
	add_rule_use(flow, "shop/api-ingress", false, true, 1);
	add_rule_use(flow, "shop/lock-egress", false, false, 0);
	np_report_add_sample(flow->sample_src_pods, "ops/monitor");
	np_report_add_sample(flow->sample_dst_pods, "shop/api-5f7b8c9d6-x1");
	np_report_add_sample(flow->sample_processes, "prometheus");

	flow = add_flow(r, address_end(NP_REPORT_WORLD, "203.0.113.5", "203.0.113.5"),
			pod_end("shop", "Deployment/api"), 443, "enforcement-gap", 1, T0 + 10,
			T0 + 10);
	np_report_add_sample(flow->sample_dst_pods, "shop/api-5f7b8c9d6-x1");

	flow = add_flow(r, address_end(NP_REPORT_NODE, "node n1", "192.168.0.10"),
			address_end(NP_REPORT_NODE, "node 192.168.0.99", NULL), 10250, "allow", 2,
			T0 + 1, T0 + 2);
	np_report_add_sample(flow->sample_processes, "kubelet");
}

/* ---- comparing reports ----------------------------------------------------------- */

static void assert_text_equal(const char *a, const char *b)
{
	if (!a || !b)
		assert_ptr_equal(a, b);
	else
		assert_string_equal(a, b);
}

static void assert_ends_equal(const struct np_report_end *a, const struct np_report_end *b)
{
	assert_int_equal(a->kind, b->kind);
	assert_text_equal(a->namespace_name, b->namespace_name);
	assert_text_equal(a->workload, b->workload);
	assert_text_equal(a->ip, b->ip);
}

static void assert_samples_equal(char *const a[NP_REPORT_SAMPLES], char *const b[NP_REPORT_SAMPLES])
{
	for (size_t i = 0; i < NP_REPORT_SAMPLES; i++)
		assert_text_equal(a[i], b[i]);
}

static void assert_flows_equal(const struct np_report_flow *a, const struct np_report_flow *b)
{
	assert_ends_equal(&a->src, &b->src);
	assert_ends_equal(&a->dst, &b->dst);
	assert_text_equal(a->service, b->service);
	assert_int_equal(a->port, b->port);
	assert_text_equal(a->protocol, b->protocol);
	assert_text_equal(a->verdict, b->verdict);
	assert_int_equal(a->n_denied_by, b->n_denied_by);
	for (size_t i = 0; i < a->n_denied_by; i++)
		assert_string_equal(a->denied_by[i], b->denied_by[i]);
	assert_int_equal(a->n_rules_used, b->n_rules_used);
	for (size_t i = 0; i < a->n_rules_used; i++) {
		assert_string_equal(a->rules_used[i].policy, b->rules_used[i].policy);
		assert_int_equal(a->rules_used[i].staged, b->rules_used[i].staged);
		assert_int_equal(a->rules_used[i].ingress, b->rules_used[i].ingress);
		assert_int_equal(a->rules_used[i].rule, b->rules_used[i].rule);
	}
	assert_int_equal(a->count, b->count);
	assert_int_equal(a->first_seen, b->first_seen);
	assert_int_equal(a->last_seen, b->last_seen);
	assert_samples_equal(a->sample_src_pods, b->sample_src_pods);
	assert_samples_equal(a->sample_dst_pods, b->sample_dst_pods);
	assert_samples_equal(a->sample_processes, b->sample_processes);
}

static void assert_policies_equal(const struct np_report_policy *a,
				  const struct np_report_policy *b)
{
	assert_string_equal(a->namespace_name, b->namespace_name);
	assert_string_equal(a->name, b->name);
	assert_int_equal(a->staged, b->staged);
	assert_text_equal(a->file, b->file);
	assert_int_equal(a->as_of, b->as_of);
	assert_int_equal(a->n_rules, b->n_rules);
	for (size_t i = 0; i < a->n_rules; i++)
		assert_memory_equal(&a->rules[i], &b->rules[i], sizeof(a->rules[i]));
}

static void assert_reports_equal(const struct np_report *a, const struct np_report *b)
{
	assert_int_equal(a->start, b->start);
	assert_int_equal(a->end, b->end);
	assert_memory_equal(&a->coverage, &b->coverage, sizeof(a->coverage));
	assert_int_equal(a->n_nodes, b->n_nodes);
	for (size_t i = 0; i < a->n_nodes; i++) {
		assert_string_equal(a->nodes[i].name, b->nodes[i].name);
		assert_int_equal(a->nodes[i].start, b->nodes[i].start);
		assert_int_equal(a->nodes[i].end, b->nodes[i].end);
		assert_memory_equal(&a->nodes[i].coverage, &b->nodes[i].coverage,
				    sizeof(a->nodes[i].coverage));
	}
	assert_int_equal(a->n_policies, b->n_policies);
	for (size_t i = 0; i < a->n_policies; i++)
		assert_policies_equal(&a->policies[i], &b->policies[i]);
	assert_int_equal(a->n_flows, b->n_flows);
	for (size_t i = 0; i < a->n_flows; i++)
		assert_flows_equal(&a->flows[i], &b->flows[i]);
}

/* ---- files ----------------------------------------------------------------------- */

static void write_snapshot(struct fixture *f, const struct np_report *report)
{
	if (np_snapshot_write(report, f->dir, f->path, sizeof(f->path), f->err,
			      sizeof(f->err)) != 0)
		fail_msg("np_snapshot_write: %s", f->err);
}

static void merge_ok(struct fixture *f, struct np_report *into, const char *path)
{
	if (np_report_merge_file(into, path, f->err, sizeof(f->err)) != 0)
		fail_msg("np_report_merge_file: %s", f->err);
}

/* Refused, with a message that starts with the file's name and says why;
 * the report is left as it was. */
static void merge_refused(struct fixture *f, struct np_report *into, const char *path,
			  const char *why)
{
	size_t n_flows = into->n_flows, n_nodes = into->n_nodes, n_policies = into->n_policies;
	uint64_t observations = into->coverage.observations;

	f->err[0] = '\0';
	assert_int_equal(np_report_merge_file(into, path, f->err, sizeof(f->err)), -1);
	if (strncmp(f->err, path, strlen(path)) != 0 || !strstr(f->err, why))
		fail_msg("expected \"%s: ...%s...\", got \"%s\"", path, why, f->err);
	assert_int_equal(into->n_flows, n_flows);
	assert_int_equal(into->n_nodes, n_nodes);
	assert_int_equal(into->n_policies, n_policies);
	assert_int_equal(into->coverage.observations, observations);
}

static void write_bytes(const char *path, const void *bytes, size_t size)
{
	FILE *file = fopen(path, "wb");

	assert_non_null(file);
	assert_int_equal(fwrite(bytes, 1, size, file), size);
	assert_int_equal(fclose(file), 0);
}

static void write_gzip_text(const char *path, const char *text)
{
	gzFile gz = gzopen(path, "wb");

	assert_non_null(gz);
	assert_int_equal(gzwrite(gz, text, (unsigned)strlen(text)), (int)strlen(text));
	assert_int_equal(gzclose(gz), Z_OK);
}

static void write_gzip_json(const char *path, const json_t *doc)
{
	char *text = json_dumps(doc, JSON_COMPACT);

	assert_non_null(text);
	write_gzip_text(path, text);
	free(text);
}

static long file_size(const char *path)
{
	FILE *file = fopen(path, "rb");
	long size;

	assert_non_null(file);
	assert_int_equal(fseek(file, 0, SEEK_END), 0);
	size = ftell(file);
	fclose(file);
	return size;
}

/* The names in the folder, sorted, joined by spaces. */
static void list_dir(const char *path, char *buf, size_t len)
{
	struct dirent **entries;
	int n = scandir(path, &entries, NULL, alphasort);

	assert_true(n >= 0);
	buf[0] = '\0';
	for (int i = 0; i < n; i++) {
		if (strcmp(entries[i]->d_name, ".") != 0 && strcmp(entries[i]->d_name, "..") != 0) {
			strncat(buf, *buf ? " " : "", len - strlen(buf) - 1);
			strncat(buf, entries[i]->d_name, len - strlen(buf) - 1);
		}
		free(entries[i]);
	}
	free(entries);
}

/* ---- the round trip -------------------------------------------------------------- */

static void test_round_trip(void **state)
{
	struct fixture *f = *state;
	struct np_report written, read;
	char expected[PATH_MAX], names[1024];

	sample_report(&written);
	write_snapshot(f, &written);
	snprintf(expected, sizeof(expected), "%s/npwatch-n1-20251126T083100Z.json.gz", f->dir);
	assert_string_equal(f->path, expected);
	/* Written atomically: no temporary file is left behind. */
	list_dir(f->dir, names, sizeof(names));
	assert_string_equal(names, "npwatch-n1-20251126T083100Z.json.gz");

	np_report_init(&read);
	merge_ok(f, &read, f->path);
	assert_reports_equal(&written, &read);
	np_report_free(&read);
	np_report_free(&written);
}

static void test_a_snapshot_never_replaces_another(void **state)
{
	struct fixture *f = *state;
	struct np_report report, merged;
	char first[PATH_MAX], names[1024];

	sample_report(&report);
	write_snapshot(f, &report);
	snprintf(first, sizeof(first), "%s", f->path);
	write_snapshot(f, &report);
	assert_string_not_equal(f->path, first);
	assert_non_null(strstr(f->path, "/npwatch-n1-20251126T083100Z-2.json.gz"));
	list_dir(f->dir, names, sizeof(names));
	assert_string_equal(names, "npwatch-n1-20251126T083100Z-2.json.gz "
				   "npwatch-n1-20251126T083100Z.json.gz");

	np_report_init(&merged);
	merge_ok(f, &merged, first);
	merge_ok(f, &merged, f->path);
	assert_int_equal(merged.n_flows, report.n_flows);
	assert_int_equal(merged.flows[0].count, 2 * report.flows[0].count);
	np_report_free(&merged);
	np_report_free(&report);
}

static void test_node_names_are_made_safe_for_file_names(void **state)
{
	struct fixture *f = *state;
	struct np_report report;

	one_node(&report, "../evil node", T0, T0 + 60, 0, 0);
	write_snapshot(f, &report);
	assert_non_null(strstr(f->path, "/npwatch-.._evil_node-20251126T083100Z.json.gz"));
	assert_ptr_equal(strchr(f->path + strlen(f->dir) + 1, '/'), NULL);
	np_report_free(&report);
}

static void test_text_that_is_not_utf8_still_makes_json(void **state)
{
	struct fixture *f = *state;
	struct np_report report, read;
	struct np_report_flow *flow;

	one_node(&report, "n1", T0, T0 + 60, 0, 0);
	flow = add_flow(&report, pod_end("a", "Pod/x"), pod_end("a", "Pod/y"), 80, "deny", 1, T0,
			T0);
	np_report_add_sample(flow->sample_processes, "bad\xff\xfe");
	write_snapshot(f, &report);
	np_report_init(&read);
	merge_ok(f, &read, f->path);
	assert_string_equal(read.flows[0].sample_processes[0], "bad??");
	np_report_free(&read);
	np_report_free(&report);
}

static void test_write_errors(void **state)
{
	struct fixture *f = *state;
	struct np_report report, two_nodes;
	char missing[PATH_MAX], small[16];

	sample_report(&report);
	snprintf(missing, sizeof(missing), "%s/no/such/folder", f->dir);
	assert_int_equal(np_snapshot_write(&report, missing, f->path, sizeof(f->path), f->err,
					   sizeof(f->err)), -1);
	assert_non_null(strstr(f->err, missing));
	assert_non_null(strstr(f->err, "No such file or directory"));

	assert_int_equal(np_snapshot_write(&report, f->dir, small, sizeof(small), f->err,
					   sizeof(f->err)), -1);
	assert_non_null(strstr(f->err, "does not fit"));

	np_report_init(&two_nodes);
	two_nodes.n_nodes = 2;
	assert_int_equal(np_snapshot_write(&two_nodes, f->dir, f->path, sizeof(f->path), f->err,
					   sizeof(f->err)), -1);
	assert_non_null(strstr(f->err, "one node"));

	/* Nothing is left behind by a failed write. */
	list_dir(f->dir, small, sizeof(small));
	assert_string_equal(small, "");
	np_report_free(&report);
}

/* ---- merging --------------------------------------------------------------------- */

static const struct np_report_flow *find_flow(const struct np_report *r, const char *verdict,
					      unsigned port)
{
	for (size_t i = 0; i < r->n_flows; i++)
		if (strcmp(r->flows[i].verdict, verdict) == 0 && r->flows[i].port == port)
			return &r->flows[i];
	fail_msg("no %s flow to port %u", verdict, port);
	return NULL;
}

static void write_interval(struct fixture *f, const char *node, time_t start, time_t end,
			   uint64_t count, const char *const *pods, size_t n_pods,
			   const struct np_report_rule *rules, size_t n_rules, char *path)
{
	struct np_report r;
	struct np_report_flow *flow;

	one_node(&r, node, start, end, 100, 3);
	add_policy(&r, "shop", "api-ingress", false, "policies/api.yaml", rules, n_rules);
	flow = add_flow(&r, pod_end("shop", "Deployment/frontend"),
			pod_end("shop", "Deployment/api"), 8080, "would-deny", count, start + 1,
			end - 1);
	for (size_t i = 0; i < n_pods; i++)
		np_report_add_sample(flow->sample_src_pods, pods[i]);
	np_report_flow_add_denied_by(flow, "shop/api-ingress");
	write_snapshot(f, &r);
	strcpy(path, f->path);
	np_report_free(&r);
}

static void test_merging_two_nodes_and_two_intervals(void **state)
{
	struct fixture *f = *state;
	static const char *const early_pods[] = { "shop/frontend-1", "shop/frontend-2" };
	static const char *const late_pods[] = { "shop/frontend-2", "shop/frontend-3",
						 "shop/frontend-4" };
	static const char *const other_pods[] = { "shop/frontend-9" };
	const struct np_report_rule one_rule[] = { rule(true, 0, 5, 1) };
	const struct np_report_rule two_rules[] = { rule(true, 0, 5, 1), rule(true, 1, 2, 3) };
	char early[PATH_MAX], late[PATH_MAX], other[PATH_MAX];
	struct np_report merged, extra;
	const struct np_report_flow *flow;

	write_interval(f, "n1", T0, T0 + 60, 3, early_pods, 2, one_rule, 1, early);
	write_interval(f, "n1", T0 + 60, T0 + 120, 4, late_pods, 3, two_rules, 2, late);
	write_interval(f, "n2", T0 + 30, T0 + 90, 5, other_pods, 1, one_rule, 1, other);
	/* n2 also saw a flow of another verdict, and a staged policy. */
	np_report_init(&extra);
	merge_ok(f, &extra, other);
	add_flow(&extra, pod_end("shop", "Deployment/frontend"), pod_end("shop", "Deployment/api"),
		 8080, "deny", 9, T0 + 40, T0 + 41);
	add_policy(&extra, "shop", "api-ingress", true, "staged/api.yaml", one_rule, 1);
	unlink(other);
	write_snapshot(f, &extra);
	strcpy(other, f->path);
	np_report_free(&extra);

	/* The latest description of a policy wins whatever the order. */
	np_report_init(&merged);
	merge_ok(f, &merged, late);
	merge_ok(f, &merged, other);
	merge_ok(f, &merged, early);

	assert_int_equal(merged.start, T0);
	assert_int_equal(merged.end, T0 + 120);
	assert_int_equal(merged.coverage.observations, 300);
	assert_int_equal(merged.coverage.ringbuf_lost, 9);
	assert_int_equal(merged.coverage.aggregate_overflow, 3);
	assert_int_equal(merged.n_nodes, 2);
	assert_string_equal(merged.nodes[0].name, "n1");
	assert_int_equal(merged.nodes[0].start, T0);
	assert_int_equal(merged.nodes[0].end, T0 + 120);
	assert_int_equal(merged.nodes[0].coverage.observations, 200);
	assert_int_equal(merged.nodes[0].coverage.ringbuf_lost, 6);
	assert_string_equal(merged.nodes[1].name, "n2");
	assert_int_equal(merged.nodes[1].start, T0 + 30);
	assert_int_equal(merged.nodes[1].end, T0 + 90);
	assert_int_equal(merged.nodes[1].coverage.observations, 100);

	assert_int_equal(merged.n_flows, 2);
	flow = find_flow(&merged, "would-deny", 8080);
	assert_int_equal(flow->count, 3 + 4 + 5);
	assert_int_equal(flow->first_seen, T0 + 1);
	assert_int_equal(flow->last_seen, T0 + 119);
	assert_int_equal(flow->n_denied_by, 1);
	/* United, and bounded: the first three seen (late, then other, then early). */
	assert_string_equal(flow->sample_src_pods[0], "shop/frontend-2");
	assert_string_equal(flow->sample_src_pods[1], "shop/frontend-3");
	assert_string_equal(flow->sample_src_pods[2], "shop/frontend-4");
	flow = find_flow(&merged, "deny", 8080);
	assert_int_equal(flow->count, 9);

	/* By namespace, name and staged; the in-force one from the latest window. */
	assert_int_equal(merged.n_policies, 2);
	assert_false(merged.policies[0].staged);
	assert_int_equal(merged.policies[0].n_rules, 2);
	assert_int_equal(merged.policies[0].as_of, T0 + 120);
	assert_true(merged.policies[1].staged);
	np_report_free(&merged);
}

static void test_merging_flows_of_one_file_with_the_same_key(void **state)
{
	struct fixture *f = *state;
	struct np_report report, read;

	one_node(&report, "n1", T0, T0 + 60, 0, 0);
	add_flow(&report, pod_end("a", "Pod/x"), pod_end("a", "Pod/y"), 80, "deny", 1, T0 + 5,
		 T0 + 6);
	add_flow(&report, pod_end("a", "Pod/x"), pod_end("a", "Pod/y"), 80, "deny", 2, T0 + 1,
		 T0 + 2);
	write_snapshot(f, &report);
	np_report_init(&read);
	merge_ok(f, &read, f->path);
	assert_int_equal(read.n_flows, 1);
	assert_int_equal(read.flows[0].count, 3);
	assert_int_equal(read.flows[0].first_seen, T0 + 1);
	assert_int_equal(read.flows[0].last_seen, T0 + 6);
	np_report_free(&read);
	np_report_free(&report);
}

/* ---- bad files ------------------------------------------------------------------- */

/* A snapshot as report.h documents it, by hand. */
static const char valid_json[] =
	"{\"format\": \"npwatch-report\", \"version\": 1, \"node\": \"n9\","
	" \"start\": \"2025-11-26T08:30:00Z\", \"end\": \"2025-11-26T09:31:00+01:00\","
	" \"coverage\": {\"observations\": 10, \"ringbuf_lost\": 1, \"socket_map_lost\": 0,"
	"  \"dedup_map_lost\": 0, \"undecodable\": 0, \"tracker_lost\": 0,"
	"  \"aggregate_overflow\": 0},"
	" \"policies\": [{\"namespace\": \"shop\", \"name\": \"p\", \"staged\": false,"
	"  \"file\": \"p.yaml\", \"rules\": [{\"direction\": \"ingress\", \"index\": 0,"
	"  \"admits_pods\": 5, \"admits_ports\": -1}]}],"
	" \"flows\": [{\"src\": {\"kind\": \"pod\", \"namespace\": \"shop\","
	"  \"workload\": \"Deployment/frontend\"},"
	"  \"dst\": {\"kind\": \"world\", \"workload\": \"203.0.113.5\", \"ip\": \"203.0.113.5\"},"
	"  \"service\": null, \"port\": 443, \"protocol\": \"TCP\", \"verdict\": \"would-deny\","
	"  \"denied_by\": [\"shop/p\"], \"rules_used\": [{\"policy\": \"shop/q\", \"staged\": true,"
	"  \"direction\": \"egress\", \"rule\": 2}], \"count\": 3,"
	"  \"first_seen\": \"2025-11-26T08:30:05.250Z\", \"last_seen\": \"2025-11-26T08:30:50Z\","
	"  \"sample_src_pods\": [\"shop/frontend-1\"], \"sample_dst_pods\": [],"
	"  \"sample_processes\": [\"curl\", \"curl\", \"wget\", \"sh\", \"bash\"]}]}";

static json_t *valid_doc(void)
{
	json_error_t error;
	json_t *doc = json_loads(valid_json, 0, &error);

	if (!doc)
		fail_msg("test JSON: line %d: %s", error.line, error.text);
	return doc;
}

static void test_a_hand_written_snapshot_reads(void **state)
{
	struct fixture *f = *state;
	struct np_report read;
	const struct np_report_flow *flow;
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/hand.json.gz", f->dir);
	write_gzip_text(path, valid_json);
	np_report_init(&read);
	merge_ok(f, &read, path);
	assert_string_equal(read.nodes[0].name, "n9");
	assert_int_equal(read.start, T0);
	assert_int_equal(read.end, T0 + 60); /* 09:31+01:00 */
	assert_int_equal(read.coverage.ringbuf_lost, 1);
	assert_int_equal(read.n_policies, 1);
	assert_int_equal(read.policies[0].as_of, T0 + 60);
	assert_int_equal(read.policies[0].rules[0].admits_ports, -1);
	flow = &read.flows[0];
	assert_null(flow->service);
	assert_int_equal(flow->dst.kind, NP_REPORT_WORLD);
	assert_string_equal(flow->dst.ip, "203.0.113.5");
	assert_int_equal(flow->first_seen, T0 + 5);
	assert_string_equal(flow->rules_used[0].policy, "shop/q");
	assert_true(flow->rules_used[0].staged);
	assert_false(flow->rules_used[0].ingress);
	assert_int_equal(flow->rules_used[0].rule, 2);
	/* Samples are united and bounded on the way in too. */
	assert_string_equal(flow->sample_processes[0], "curl");
	assert_string_equal(flow->sample_processes[1], "wget");
	assert_string_equal(flow->sample_processes[2], "sh");
	np_report_free(&read);
}

static void test_not_gzip_is_refused_and_others_still_merge(void **state)
{
	struct fixture *f = *state;
	struct np_report report, merged;
	char bad[PATH_MAX], empty[PATH_MAX], missing[PATH_MAX];

	sample_report(&report);
	write_snapshot(f, &report);
	snprintf(bad, sizeof(bad), "%s/plain.json.gz", f->dir);
	write_bytes(bad, valid_json, strlen(valid_json));
	snprintf(empty, sizeof(empty), "%s/empty.json.gz", f->dir);
	write_bytes(empty, "", 0);
	snprintf(missing, sizeof(missing), "%s/missing.json.gz", f->dir);

	np_report_init(&merged);
	merge_ok(f, &merged, f->path);
	merge_refused(f, &merged, bad, "not a gzip file");
	merge_refused(f, &merged, empty, "empty");
	merge_refused(f, &merged, missing, "cannot open: No such file or directory");
	merge_refused(f, &merged, f->dir, "cannot read");
	merge_ok(f, &merged, f->path);
	assert_int_equal(merged.flows[0].count, 2 * report.flows[0].count);
	np_report_free(&merged);
	np_report_free(&report);
}

static void test_truncated_gzip_is_refused(void **state)
{
	struct fixture *f = *state;
	struct np_report report, merged;
	char good[PATH_MAX];
	long size;

	sample_report(&report);
	write_snapshot(f, &report);
	strcpy(good, f->path);
	size = file_size(good);

	np_report_init(&merged);
	/* Cut in the middle of the compressed data, then only the trailer's
	 * checksum and length (8 bytes) gone. */
	write_snapshot(f, &report);
	assert_int_equal(truncate(f->path, size / 2), 0);
	merge_refused(f, &merged, f->path, "truncated");
	write_snapshot(f, &report);
	assert_int_equal(truncate(f->path, size - 8), 0);
	merge_refused(f, &merged, f->path, "truncated");
	write_snapshot(f, &report);
	assert_int_equal(truncate(f->path, 11), 0); /* the header only */
	merge_refused(f, &merged, f->path, "truncated");
	merge_ok(f, &merged, good);
	assert_int_equal(merged.n_flows, report.n_flows);
	np_report_free(&merged);
	np_report_free(&report);
}

static void test_corrupt_gzip_data_is_refused(void **state)
{
	struct fixture *f = *state;
	struct np_report report, merged;
	FILE *file;
	long size;

	sample_report(&report);
	write_snapshot(f, &report);
	size = file_size(f->path);
	/* Flip bytes of the compressed data: a bad block or a bad checksum. */
	file = fopen(f->path, "r+b");
	assert_non_null(file);
	assert_int_equal(fseek(file, size / 2, SEEK_SET), 0);
	assert_int_equal(fwrite("\xff\x00\xff\x00", 1, 4, file), 4);
	assert_int_equal(fclose(file), 0);
	np_report_init(&merged);
	merge_refused(f, &merged, f->path, "corrupt gzip data");
	np_report_free(&merged);
	np_report_free(&report);
}

static void test_wrong_version_is_refused(void **state)
{
	struct fixture *f = *state;
	struct np_report merged;
	json_t *doc = valid_doc();
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/future.json.gz", f->dir);
	json_object_set_new(doc, "version", json_integer(2));
	write_gzip_json(path, doc);
	np_report_init(&merged);
	merge_refused(f, &merged, path,
		      "version: 2 is not supported: this npwatch reads version 1");
	json_object_set_new(doc, "version", json_string("1"));
	write_gzip_json(path, doc);
	merge_refused(f, &merged, path, "version: expected an integer, found a string");
	json_decref(doc);
	np_report_free(&merged);
}

static void test_not_json_is_refused(void **state)
{
	struct fixture *f = *state;
	struct np_report merged;
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/text.json.gz", f->dir);
	np_report_init(&merged);
	write_gzip_text(path, "{\"format\": \"npwatch-report\",\n \"version\": 1,,}");
	merge_refused(f, &merged, path, "not JSON: line 2, column");
	write_gzip_text(path, "[1, 2]");
	merge_refused(f, &merged, path, "not an npwatch report: the JSON is an array");
	write_gzip_text(path, "{\"flows\": []}");
	merge_refused(f, &merged, path, "not an npwatch report: no \"format\" field");
	write_gzip_text(path, "{\"format\": \"something-else\", \"version\": 1}");
	merge_refused(f, &merged, path, "format: not an npwatch report");
	np_report_free(&merged);
}

/* Sets (or with NULL removes) the member at a path like "flows/0/src/kind". */
static void set_at(json_t *doc, const char *path, json_t *value)
{
	char buf[128], *part, *next, *save;
	json_t *parent = doc;

	snprintf(buf, sizeof(buf), "%s", path);
	part = strtok_r(buf, "/", &save);
	while ((next = strtok_r(NULL, "/", &save))) {
		parent = json_is_array(parent) ? json_array_get(parent, strtoul(part, NULL, 10))
					       : json_object_get(parent, part);
		assert_non_null(parent);
		part = next;
	}
	if (json_is_array(parent))
		assert_int_equal(json_array_set_new(parent, strtoul(part, NULL, 10), value), 0);
	else if (value)
		assert_int_equal(json_object_set_new(parent, part, value), 0);
	else
		assert_int_equal(json_object_del(parent, part), 0);
}

static void test_bad_fields_are_named(void **state)
{
	static const struct {
		const char *path;
		const char *value; /* JSON; NULL: removed */
		const char *message;
	} cases[] = {
		{ "node", "\"\"",
		  "node: must not be empty" },
		{ "end", "\"2025-11-26T08:00:00Z\"",
		  "end: before start" },
		{ "start", "1764145800",
		  "start: expected a string, found an integer" },
		{ "coverage/ringbuf_lost", "-1",
		  "coverage.ringbuf_lost: -1 is out of range: expected 0 or more" },
		{ "coverage/tracker_lost", NULL,
		  "coverage: no \"tracker_lost\" field" },
		{ "policies/0/staged", "\"no\"",
		  "policies[0].staged: expected true or false, found a string" },
		{ "policies/0/rules/0/direction", "\"sideways\"",
		  "policies[0].rules[0].direction: \"sideways\" is not \"egress\" or \"ingress\"" },
		{ "policies/0/rules/0/admits_pods", "-2",
		  "policies[0].rules[0].admits_pods: -2 is out of range" },
		{ "policies/0/rules/0", "7",
		  "policies[0].rules[0]: expected an object, found an integer" },
		{ "flows/0/count", NULL,
		  "flows[0]: no \"count\" field" },
		{ "flows/0/port", "\"443\"",
		  "flows[0].port: expected an integer, found a string" },
		{ "flows/0/port", "70000",
		  "flows[0].port: 70000 is out of range: expected 0 to 65535" },
		{ "flows/0/protocol", "\"ICMP\"",
		  "flows[0].protocol: \"ICMP\" is not \"TCP\", \"UDP\" or \"SCTP\"" },
		{ "flows/0/verdict", "\"blocked\"",
		  "flows[0].verdict: \"blocked\" is not \"allow\", \"would-deny\"" },
		{ "flows/0/src/kind", "\"service\"",
		  "flows[0].src.kind: \"service\" is not \"pod\", \"node\" or \"world\"" },
		{ "flows/0/src/namespace", NULL,
		  "flows[0].src: no \"namespace\" field" },
		{ "flows/0/dst/ip", "\"not-an-ip\"",
		  "flows[0].dst.ip: \"not-an-ip\" is not an IP address" },
		{ "flows/0/first_seen", "\"yesterday\"",
		  "flows[0].first_seen: \"yesterday\" is not a time" },
		{ "flows/0/last_seen", "\"2025-11-26T08:30:01Z\"",
		  "flows[0].last_seen: before first_seen" },
		{ "flows/0/denied_by", "[\"shop/p\", 7]",
		  "flows[0].denied_by[1]: expected a string, found an integer" },
		{ "flows/0/rules_used",
		  "[{\"policy\": \"a/b\", \"staged\": false, \"direction\": \"ingress\"}]",
		  "flows[0].rules_used[0]: no \"rule\" field" },
		{ "flows/0/sample_dst_pods", "{}",
		  "flows[0].sample_dst_pods: expected an array, found an object" },
		{ "flows/0", "[]",
		  "flows[0]: expected an object, found an array" },
		{ "policies",
		  "[{\"namespace\": \"shop\", \"name\": \"p\", \"staged\": false, \"rules\": []},"
		  " {\"namespace\": \"shop\", \"name\": \"p\", \"staged\": false, \"rules\": []}]",
		  "policies: shop/p (in force) is listed twice" },
	};
	struct fixture *f = *state;
	struct np_report merged;
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/bad.json.gz", f->dir);
	np_report_init(&merged);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *doc = valid_doc();
		json_t *value = cases[i].value ? json_loads(cases[i].value, JSON_DECODE_ANY, NULL)
					       : NULL;

		assert_true(!cases[i].value || value);
		set_at(doc, cases[i].path, value);
		write_gzip_json(path, doc);
		merge_refused(f, &merged, path, cases[i].message);
		json_decref(doc);
	}
	/* The unchanged document reads. */
	write_gzip_text(path, valid_json);
	merge_ok(f, &merged, path);
	np_report_free(&merged);
}

/* ---- building blocks ------------------------------------------------------------- */

static void test_times(void **state)
{
	char text[NP_REPORT_TIME_LEN];
	time_t when;

	(void)state;
	assert_string_equal(np_report_time_format(T0, text, sizeof(text)), "2025-11-26T08:30:00Z");
	assert_true(np_report_time_parse("2025-11-26T08:30:00Z", &when));
	assert_int_equal(when, T0);
	assert_true(np_report_time_parse("2025-11-26T08:30:00.999999Z", &when));
	assert_int_equal(when, T0);
	assert_true(np_report_time_parse("2025-11-26T03:00:00-05:30", &when));
	assert_int_equal(when, T0);
	assert_false(np_report_time_parse("2025-11-26T08:30:00", &when));
	assert_false(np_report_time_parse("2025-11-26T08:30:00Z trailing", &when));
	assert_false(np_report_time_parse("2025-11-26T08:30:00.Z", &when));
	assert_false(np_report_time_parse("2025-11-26T08:30:00+1:00", &when));
	assert_false(np_report_time_parse("2025-13-26T08:30:00Z", &when));
	assert_false(np_report_time_parse("", &when));
}

static void test_the_flow_index_follows_the_flows(void **state)
{
	struct np_report report;
	struct np_flow_index index = { 0 };
	char workload[32];
	struct np_report_flow key = { .port = 80, .protocol = "TCP", .verdict = "deny",
				      .src = pod_end("a", "Pod/x"), .dst = pod_end("a", workload) };

	(void)state;
	np_report_init(&report);
	/* Enough flows to grow the index a few times. */
	for (int i = 0; i < 300; i++) {
		snprintf(workload, sizeof(workload), "Pod/y%d", i);
		assert_null(np_report_find_flow(&report, &index, &key));
		np_report_append_flow(&report, &key)->count = (uint64_t)i;
	}
	for (int i = 0; i < 300; i++) {
		snprintf(workload, sizeof(workload), "Pod/y%d", i);
		assert_int_equal(np_report_find_flow(&report, &index, &key)->count, i);
	}
	/* Flows taken out: the index starts over. */
	report.n_flows = 10;
	snprintf(workload, sizeof(workload), "Pod/y%d", 5);
	assert_int_equal(np_report_find_flow(&report, &index, &key)->count, 5);
	report.n_flows = 300;
	np_flow_index_free(&index);
	np_report_free(&report);
}

static void test_coverage_lost_counts_every_loss(void **state)
{
	struct np_coverage coverage = { .observations = 1000, .ringbuf_lost = 1,
					.socket_map_lost = 2, .dedup_map_lost = 4,
					.undecodable = 8, .tracker_lost = 16,
					.aggregate_overflow = 32 };

	(void)state;
	assert_int_equal(np_coverage_lost(&coverage), 63);
	assert_string_equal(np_report_end_kind_name(NP_REPORT_WORLD), "world");
}

/* Each counter by its name, and each a field of its own. */
static void test_coverage_counters_by_name(void **state)
{
	struct np_coverage coverage = { 0 };

	(void)state;
	for (size_t i = 0; i < NP_COVERAGE_COUNTERS; i++)
		np_coverage_set_counter(&coverage, i, (uint64_t)1 << i);
	assert_string_equal(np_coverage_counter_name(0), "observations");
	assert_int_equal(coverage.observations, 1);
	assert_string_equal(np_coverage_counter_name(NP_COVERAGE_COUNTERS - 1),
			    "aggregate_overflow");
	assert_int_equal(coverage.aggregate_overflow, 64);
	assert_int_equal(np_coverage_lost(&coverage), 2 + 4 + 8 + 16 + 32 + 64);
	for (size_t i = 0; i < NP_COVERAGE_COUNTERS; i++)
		assert_int_equal(np_coverage_counter(&coverage, i), (uint64_t)1 << i);
}

static void test_policies_sort_and_duplicates_are_found(void **state)
{
	const struct np_report_rule one_rule[] = { rule(true, 0, 5, 1) };
	const struct np_report_policy *twice;
	struct np_report r;

	(void)state;
	np_report_init(&r);
	add_policy(&r, "shop", "p", true, NULL, one_rule, 1);
	add_policy(&r, "shop", "p", false, NULL, one_rule, 1);
	add_policy(&r, "ops", "q", false, NULL, one_rule, 1);
	assert_null(np_report_sort_policies(&r));
	assert_string_equal(r.policies[0].name, "q");
	assert_false(r.policies[1].staged);
	assert_true(r.policies[2].staged);
	add_policy(&r, "shop", "p", false, "again.yaml", one_rule, 1);
	twice = np_report_sort_policies(&r);
	assert_non_null(twice);
	assert_string_equal(twice->name, "p");
	assert_false(twice->staged);
	np_report_free(&r);
}

#define TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_round_trip),
		TEST(test_a_snapshot_never_replaces_another),
		TEST(test_node_names_are_made_safe_for_file_names),
		TEST(test_text_that_is_not_utf8_still_makes_json),
		TEST(test_write_errors),
		TEST(test_merging_two_nodes_and_two_intervals),
		TEST(test_merging_flows_of_one_file_with_the_same_key),
		TEST(test_a_hand_written_snapshot_reads),
		TEST(test_not_gzip_is_refused_and_others_still_merge),
		TEST(test_truncated_gzip_is_refused),
		TEST(test_corrupt_gzip_data_is_refused),
		TEST(test_wrong_version_is_refused),
		TEST(test_not_json_is_refused),
		TEST(test_bad_fields_are_named),
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_the_flow_index_follows_the_flows),
		cmocka_unit_test(test_coverage_lost_counts_every_loss),
		cmocka_unit_test(test_coverage_counters_by_name),
		cmocka_unit_test(test_policies_sort_and_duplicates_are_found),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
