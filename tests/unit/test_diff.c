/* test_diff — `npwatch diff` as a user runs it: snapshots on disk, a
 * cluster, OLD and NEW policies; what is newly blocked and newly opened,
 * by which policies, in every output format, and the exit status of each
 * outcome and of bad input.
 *
 *   cluster (-f)  x/a-1 (Deployment a), x/b-1 (Deployment b),
 *                 y/web-1 (Deployment web, http 8080), y/db-0 (StatefulSet db),
 *                 node n1; and x/ignored, a deny-all the diff must leave out
 *   OLD           y/allow-web: web accepts app=a on 8080; y/db: db accepts nothing
 *   NEW           y/allow-web accepts app=b instead; y/db accepts web on 5432;
 *                 x/lock-a: a may send nothing
 *
 * Observed: a -> web (as allow and as would-deny), b -> web, web -> db,
 * the world -> web, a pod that is gone -> web, and a -> the world named by
 * a sample pod that no longer exists (its workload stands in).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <jansson.h>
#include <zlib.h>

#include "commands.h"

#define POD(ns, name, labels, owner_kind, owner, ip, ports)                                 \
	"---\napiVersion: v1\nkind: Pod\n"                                                  \
	"metadata: {namespace: '" ns "', name: " name ", labels: " labels ",\n"              \
	"  ownerReferences: [{kind: " owner_kind ", name: " owner ", controller: true}]}\n" \
	"spec: {containers: [{name: main, ports: " ports "}]}\n"                          \
	"status: {podIPs: [{ip: " ip "}]}\n"

/* A pod of the ReplicaSet app-hash of Deployment app. */
#define DEPLOYMENT_POD(ns, name, app, hash, ip, ports)                                       \
	POD(ns, name, "{app: " app ", pod-template-hash: " hash "}", "ReplicaSet", app "-" hash, \
	    ip, ports)

#define NETPOL(ns, name)                                                                     \
	"---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"                       \
	"metadata: {namespace: '" ns "', name: " name "}\nspec:\n"

static const char cluster[] =
	"apiVersion: v1\nkind: Namespace\nmetadata: {name: 'x'}\n"
	"---\napiVersion: v1\nkind: Namespace\nmetadata: {name: 'y'}\n"
	"---\napiVersion: v1\nkind: Node\nmetadata: {name: n1}\n"
	"status: {addresses: [{type: InternalIP, address: 192.168.0.10}]}\n"
	DEPLOYMENT_POD("x", "a-1", "a", "5d8f9", "10.0.1.1", "[]")
	DEPLOYMENT_POD("x", "b-1", "b", "7c6d5", "10.0.1.2", "[]")
	DEPLOYMENT_POD("y", "web-1", "web", "6b7c8", "10.0.2.1",
		       "[{name: http, containerPort: 8080}]")
	POD("y", "db-0", "{app: db}", "StatefulSet", "db", "10.0.2.2", "[{containerPort: 5432}]")
	NETPOL("x", "ignored") "  podSelector: {}\n  policyTypes: [Ingress, Egress]\n";

#define ALLOW_WEB_FROM(app)                                                                  \
	NETPOL("y", "allow-web") "  podSelector: {matchLabels: {app: web}}\n"               \
	"  ingress: [{from: [{namespaceSelector: {}, podSelector: {matchLabels: {app: " app  \
	"}}}], ports: [{port: http}]}]\n"

#define DB_CLOSED                                                                            \
	NETPOL("y", "db") "  podSelector: {matchLabels: {app: db}}\n  policyTypes: [Ingress]\n"

#define DB_OPEN_TO_WEB                                                                       \
	NETPOL("y", "db") "  podSelector: {matchLabels: {app: db}}\n"                        \
	"  ingress: [{from: [{podSelector: {matchLabels: {app: web}}}],"                     \
	" ports: [{port: 5432}]}]\n"

static const char old_policies[] = ALLOW_WEB_FROM("a") DB_CLOSED;

/* OLD with only the database opened to web. */
static const char opened_policies[] = ALLOW_WEB_FROM("a") DB_OPEN_TO_WEB;

static const char new_policies[] =
	ALLOW_WEB_FROM("b") DB_OPEN_TO_WEB
	NETPOL("x", "lock-a") "  podSelector: {matchLabels: {app: a}}\n  policyTypes: [Egress]\n";

/* ---- snapshots, in the format of report.h --------------------------------- */

static json_t *pod_end(const char *ns, const char *workload)
{
	return json_pack("{s:s, s:s, s:s}", "kind", "pod", "namespace", ns, "workload", workload);
}

static json_t *world_end(const char *ip)
{
	return json_pack("{s:s, s:s, s:s}", "kind", "world", "workload", ip, "ip", ip);
}

/* A flow seen from 08:00 to 09:00 with one sample pod at each end (NULL: none). */
static json_t *flow(json_t *src, json_t *dst, int port, const char *verdict, int count,
		    const char *src_pod, const char *dst_pod)
{
	json_t *src_pods = json_array(), *dst_pods = json_array();

	if (src_pod)
		json_array_append_new(src_pods, json_string(src_pod));
	if (dst_pod)
		json_array_append_new(dst_pods, json_string(dst_pod));
	return json_pack("{s:o, s:o, s:n, s:i, s:s, s:s, s:[], s:[], s:i, s:s, s:s,"
			 " s:o, s:o, s:[]}",
			 "src", src, "dst", dst, "service", "port", port, "protocol", "TCP",
			 "verdict", verdict, "denied_by", "rules_used", "count", count,
			 "first_seen", "2024-05-01T08:00:00Z", "last_seen", "2024-05-01T09:00:00Z",
			 "sample_src_pods", src_pods, "sample_dst_pods", dst_pods,
			 "sample_processes");
}

static void write_snapshot(const char *path, const char *node, json_t *flows)
{
	json_t *coverage = json_pack("{s:i, s:i, s:i, s:i, s:i, s:i, s:i}", "observations", 30,
				     "ringbuf_lost", 0, "socket_map_lost", 0, "dedup_map_lost", 0,
				     "undecodable", 0, "tracker_lost", 0, "aggregate_overflow", 0);
	json_t *root = json_pack("{s:s, s:i, s:s, s:s, s:s, s:o, s:[], s:o}", "format",
				 "npwatch-report", "version", 1, "node", node, "start",
				 "2024-05-01T08:00:00Z", "end", "2024-05-01T10:00:00Z", "coverage",
				 coverage, "policies", "flows", flows);
	char *text = json_dumps(root, 0);
	gzFile out = gzopen(path, "wb");

	assert_non_null(text);
	assert_non_null(out);
	assert_int_equal(gzputs(out, text), (int)strlen(text));
	assert_int_equal(gzclose(out), Z_OK);
	free(text);
	json_decref(root);
}

static void write_snapshots(const char *n1, const char *n2)
{
	json_t *web = pod_end("y", "Deployment/web");
	json_t *a = pod_end("x", "Deployment/a");
	json_t *n1_flows = json_array(), *n2_flows = json_array();

	json_array_append_new(n1_flows, flow(json_incref(a), json_incref(web), 8080, "allow", 10,
					     "x/a-1", "y/web-1"));
	json_array_append_new(n1_flows, flow(pod_end("x", "Deployment/b"), json_incref(web), 8080,
					     "deny-attempt", 3, "x/b-1", "y/web-1"));
	json_array_append_new(n1_flows, flow(json_incref(web), pod_end("y", "StatefulSet/db"), 5432,
					     "deny-attempt", 2, "y/web-1", "y/db-0"));
	json_array_append_new(n1_flows, flow(world_end("192.0.2.7"), json_incref(web), 8080,
					     "deny-attempt", 5, NULL, "y/web-1"));
	json_array_append_new(n2_flows, flow(json_incref(a), json_incref(web), 8080, "would-deny",
					     1, "x/a-1", "y/web-1"));
	json_array_append_new(n2_flows, flow(pod_end("x", "Deployment/gone"), json_incref(web),
					     8080, "allow", 6, "x/gone-1", "y/web-1"));
	json_array_append_new(n2_flows, flow(json_incref(a), world_end("192.0.2.9"), 443, "allow",
					     4, "x/a-replaced", NULL));
	write_snapshot(n1, "n1", n1_flows);
	write_snapshot(n2, "n2", n2_flows);
	json_decref(web);
	json_decref(a);
}

struct files {
	char dir[64];
	char cluster[96], old[96], new[96], same[96], opened[96], n1[96], n2[96], corrupt[96];
};

static void write_text(const char *path, const char *text)
{
	FILE *out = fopen(path, "w");

	assert_non_null(out);
	assert_int_equal(fputs(text, out) >= 0, 1);
	assert_int_equal(fclose(out), 0);
}

static int make_files(void **state)
{
	struct files *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/npwatch-diff-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->cluster, sizeof(f->cluster), "%s/cluster.yaml", f->dir);
	snprintf(f->old, sizeof(f->old), "%s/old.yaml", f->dir);
	snprintf(f->new, sizeof(f->new), "%s/new.yaml", f->dir);
	snprintf(f->same, sizeof(f->same), "%s/same.yaml", f->dir);
	snprintf(f->opened, sizeof(f->opened), "%s/opened.yaml", f->dir);
	snprintf(f->n1, sizeof(f->n1), "%s/n1.json.gz", f->dir);
	snprintf(f->n2, sizeof(f->n2), "%s/n2.json.gz", f->dir);
	snprintf(f->corrupt, sizeof(f->corrupt), "%s/corrupt.json.gz", f->dir);
	write_text(f->cluster, cluster);
	write_text(f->old, old_policies);
	write_text(f->new, new_policies);
	write_text(f->same, old_policies);
	write_text(f->opened, opened_policies);
	write_snapshots(f->n1, f->n2);
	write_text(f->corrupt, "this is not a snapshot");
	*state = f;
	return 0;
}

static int remove_files(void **state)
{
	struct files *f = *state;
	char command[128];

	snprintf(command, sizeof(command), "rm -rf %s", f->dir);
	assert_int_equal(system(command), 0);
	free(f);
	return 0;
}

/* What one run of the command printed, and its status. */
struct run {
	int status;
	char *out;
	char *err;
};

static char *read_back(FILE *file)
{
	long len;
	char *text;

	fflush(file);
	len = ftell(file);
	text = calloc(1, (size_t)len + 1);
	assert_non_null(text);
	rewind(file);
	assert_int_equal(fread(text, 1, (size_t)len, file), (size_t)len);
	fclose(file);
	return text;
}

/* Runs `npwatch diff ARGS...` (NULL-terminated) with stdout and stderr
 * caught. */
static struct run run_diff(const char *first, ...)
{
	char *argv[32] = { "diff" };
	int argc = 1, saved_out = dup(1), saved_err = dup(2);
	FILE *out = tmpfile(), *err = tmpfile();
	struct run run;
	va_list ap;

	assert_non_null(out);
	assert_non_null(err);
	va_start(ap, first);
	for (const char *arg = first; arg; arg = va_arg(ap, const char *))
		argv[argc++] = (char *)arg;
	va_end(ap);
	fflush(stdout);
	fflush(stderr);
	dup2(fileno(out), 1);
	dup2(fileno(err), 2);
	optind = 0;
	run.status = np_cmd_diff(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(saved_out, 1);
	dup2(saved_err, 2);
	close(saved_out);
	close(saved_err);
	run.out = read_back(out);
	run.err = read_back(err);
	return run;
}

static void run_free(struct run *run)
{
	free(run->out);
	free(run->err);
}

static void assert_contains(const char *text, const char *what)
{
	if (!strstr(text, what))
		fail_msg("output lacks \"%s\":\n%s", what, text);
}

static json_t *json_of(const struct run *run)
{
	json_error_t err;
	json_t *root = json_loads(run->out, 0, &err);

	if (!root)
		fail_msg("not JSON: %s:\n%s", err.text, run->out);
	return root;
}

/* The change in list whose "flow" is the text given. */
static json_t *change(json_t *list, const char *flow)
{
	json_t *item;
	size_t i;

	json_array_foreach(list, i, item)
		if (strcmp(json_string_value(json_object_get(item, "flow")), flow) == 0)
			return item;
	fail_msg("no change for %s", flow);
	return NULL;
}

/* item[direction][key] as text. */
static const char *text_in(json_t *item, const char *direction, const char *key)
{
	json_t *side = json_object_get(item, direction);
	const char *text = json_string_value(json_object_get(side, key));

	if (!text)
		fail_msg("no %s.%s", direction, key);
	return text;
}

static void assert_policies(json_t *item, const char *expected)
{
	char text[256] = "";
	json_t *policy;
	size_t i;

	json_array_foreach(json_object_get(item, "policies"), i, policy) {
		if (i)
			strcat(text, ",");
		strcat(text, json_string_value(policy));
	}
	assert_string_equal(text, expected);
}

/* ---- outcomes ------------------------------------------------------------ */

static void test_newly_blocked_and_opened(void **state)
{
	struct files *f = *state;
	struct run run = run_diff("--report", f->n1, "--report", f->n2, "-f", f->cluster, "-o",
				  "json", f->old, f->new, NULL);
	json_t *root, *blocked, *opened, *item;

	assert_int_equal(run.status, NP_EXIT_FAILURE);
	assert_string_equal(run.err, "");
	root = json_of(&run);
	blocked = json_object_get(root, "newly_blocked");
	opened = json_object_get(root, "newly_opened");
	assert_int_equal(json_array_size(blocked), 2);
	assert_int_equal(json_array_size(opened), 2);
	/* Six pieces of traffic judged; one not: its pods are gone. */
	assert_int_equal(json_integer_value(json_object_get(root, "judged")), 5);
	assert_int_equal(json_array_size(json_object_get(root, "not_judged")), 1);

	/* The same traffic seen as allow and as would-deny counts once. */
	item = change(blocked, "x/Deployment/a -> y/Deployment/web 8080/TCP");
	assert_int_equal(json_integer_value(json_object_get(item, "count")), 11);
	assert_int_equal(json_array_size(json_object_get(item, "observed_verdicts")), 2);
	assert_policies(item, "x/lock-a,y/allow-web");
	assert_string_equal(text_in(item, "egress", "old"), "allow");
	assert_string_equal(text_in(item, "ingress", "new"), "deny");
	assert_contains(text_in(item, "ingress", "reason"), "y/allow-web");

	/* Named through its workload: the sample pod was replaced. */
	item = change(blocked, "x/Deployment/a -> 192.0.2.9 443/TCP");
	assert_policies(item, "x/lock-a");
	assert_null(json_object_get(item, "ingress"));
	assert_string_equal(text_in(item, "egress", "endpoint"), "x/a-1");

	item = change(opened, "x/Deployment/b -> y/Deployment/web 8080/TCP");
	assert_policies(item, "y/allow-web");
	assert_int_equal(json_integer_value(json_object_get(item, "count")), 3);
	item = change(opened, "y/Deployment/web -> y/StatefulSet/db 5432/TCP");
	assert_policies(item, "y/db");

	item = json_array_get(json_object_get(root, "not_judged"), 0);
	assert_string_equal(json_string_value(json_object_get(item, "flow")),
			    "x/Deployment/gone -> y/Deployment/web 8080/TCP");
	assert_string_equal(json_string_value(json_object_get(item, "reason")),
			    "the source is not in the cluster");
	json_decref(root);
	run_free(&run);
}

static void test_the_clusters_policies_take_no_part(void **state)
{
	struct files *f = *state;
	/* x/ignored (a deny-all of x in -f) would deny a -> web under OLD; it
	 * is allowed there, so the change shows as newly blocked. */
	struct run run =
		run_diff("-r", f->n1, "-f", f->cluster, "-o", "json", f->old, f->new, NULL);
	json_t *root = json_of(&run);

	assert_int_equal(run.status, NP_EXIT_FAILURE);
	change(json_object_get(root, "newly_blocked"),
	       "x/Deployment/a -> y/Deployment/web 8080/TCP");
	json_decref(root);
	run_free(&run);
}

static void test_no_change(void **state)
{
	struct files *f = *state;
	struct run run =
		run_diff("-r", f->n1, "-r", f->n2, "-f", f->cluster, f->old, f->same, NULL);

	assert_int_equal(run.status, NP_EXIT_OK);
	assert_contains(run.out, "NEWLY BLOCKED: none\n");
	assert_contains(run.out, "NEWLY OPENED: none\n");
	run_free(&run);
}

static void test_only_opened_exits_zero(void **state)
{
	struct files *f = *state;
	struct run run = run_diff("-r", f->n1, "-f", f->cluster, "-o", "json", f->old, f->opened,
				  NULL);
	json_t *root = json_of(&run);

	assert_int_equal(run.status, NP_EXIT_OK);
	assert_int_equal(json_array_size(json_object_get(root, "newly_blocked")), 0);
	assert_int_equal(json_array_size(json_object_get(root, "newly_opened")), 1);
	json_decref(root);
	run_free(&run);
}

/* ---- formats ------------------------------------------------------------- */

static void test_text(void **state)
{
	struct files *f = *state;
	struct run run = run_diff("-r", f->n1, "-r", f->n2, "-f", f->cluster, f->old, f->new, NULL);

	assert_int_equal(run.status, NP_EXIT_FAILURE);
	assert_contains(run.out,
			"npwatch diff: 5 observed flows (25 observations) judged under OLD ");
	assert_contains(run.out, "NEWLY BLOCKED: 2 flows, 15 observations\n"
				 "  x/Deployment/a -> y/Deployment/web 8080/TCP: 11 observations, "
				 "last 2024-05-01T09:00:00Z\n"
				 "    blocked by x/lock-a, y/allow-web\n"
				 "    egress  x/a-1: denied");
	assert_contains(run.out, "    ingress y/web-1: denied");
	assert_contains(run.out, "NEWLY OPENED: 2 flows, 5 observations\n");
	assert_contains(run.out, "    opened by y/db\n");
	assert_contains(run.out, "NOT JUDGED: 1 flow\n  x/Deployment/gone -> y/Deployment/web "
				 "8080/TCP: 6 observations; the source is not in the cluster\n");
	run_free(&run);
}

static void test_markdown(void **state)
{
	struct files *f = *state;
	struct run run = run_diff("-r", f->n1, "-r", f->n2, "-f", f->cluster, "-o", "markdown",
				  f->old, f->new, NULL);

	assert_int_equal(run.status, NP_EXIT_FAILURE);
	assert_contains(run.out, "## npwatch diff\n");
	assert_contains(run.out, "### Newly blocked\n\n2 flows, 15 observations.\n\n"
				 "| Flow | Count | Last seen | Policies | Why |\n"
				 "|---|---:|---|---|---|\n"
				 "| x/Deployment/a -&gt; y/Deployment/web 8080/TCP | 11 | "
				 "2024-05-01T09:00:00Z | x/lock-a, y/allow-web | "
				 "egress x/a-1: denied");
	assert_contains(run.out, "### Newly opened\n");
	assert_contains(run.out, "### Not judged\n");
	run_free(&run);
}

/* ---- bad input ----------------------------------------------------------- */

static void test_a_bad_snapshot_is_named_and_left_out(void **state)
{
	struct files *f = *state;
	struct run run = run_diff("-r", f->corrupt, "-r", f->n1, "-f", f->cluster, "-o", "json",
				  f->old, f->new, NULL);
	json_t *root = json_of(&run);

	assert_int_equal(run.status, NP_EXIT_USAGE);
	assert_contains(run.err, f->corrupt);
	assert_contains(run.err, "1 snapshot could not be read");
	/* The other was still judged. */
	assert_int_equal(json_array_size(json_object_get(root, "newly_blocked")), 1);
	json_decref(root);
	run_free(&run);
}

static void test_bad_usage(void **state)
{
	struct files *f = *state;
	const struct {
		const char *args[9];
		const char *message;
	} cases[] = {
		{ { "-r", f->n1, "-f", f->cluster, f->old, NULL },
		  "expected OLD and NEW policies, got 1" },
		{ { "-r", f->n1, f->old, f->new, NULL }, "no cluster" },
		{ { "-f", f->cluster, f->old, f->new, NULL }, "no observations" },
		{ { "-r", f->n1, "-f", f->cluster, "-o", "html", f->old, f->new, NULL },
		  "-o html: expected text, json or markdown" },
		{ { "-r", f->corrupt, "-f", f->cluster, f->old, f->new, NULL },
		  "no snapshot could be read" },
		{ { "-r", f->n1, "-f", f->cluster, "/nonexistent/old", f->new, NULL },
		  "/nonexistent/old" },
		{ { "-r", f->n1, "-f", f->cluster, f->old, f->n1, NULL }, "n1.json.gz" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *const *a = cases[i].args;
		struct run run =
			run_diff(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], NULL);

		if (run.status != NP_EXIT_USAGE || !strstr(run.err, cases[i].message))
			fail_msg("case %zu: status %d, stderr:\n%s", i, run.status, run.err);
		run_free(&run);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_newly_blocked_and_opened),
		cmocka_unit_test(test_the_clusters_policies_take_no_part),
		cmocka_unit_test(test_no_change),
		cmocka_unit_test(test_only_opened_exits_zero),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_markdown),
		cmocka_unit_test(test_a_bad_snapshot_is_named_and_left_out),
		cmocka_unit_test(test_bad_usage),
	};

	return cmocka_run_group_tests(tests, make_files, remove_files);
}
