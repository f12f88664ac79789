/* test_flowlog — the violation log: the schema of a line, folding of
 * repeats into counted lines, its bounds, and log rotation.
 *
 *   namespace x   x/a {app: a} 10.0.1.1        x/b {app: b} 10.0.1.2  http=8080
 *   x/web 10.96.0.1: 80 -> http               node n1 192.168.0.10
 *   in force:  x/lock-b  b accepts nothing      staged: x/lock-a  a sends nothing
 *
 * Lines are written to a file in a fresh temporary folder and read back
 * with jansson.
 */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"
#include "flowlog.h"
#include "verdict.h"

static const char cluster[] =
	"---\napiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n"
	"---\napiVersion: v1\nkind: Node\nmetadata: {name: n1}\n"
	"status: {addresses: [{type: InternalIP, address: 192.168.0.10}]}\n"
	"---\napiVersion: v1\nkind: Pod\nmetadata: {namespace: x, name: a, labels: {app: a}}\n"
	"spec: {containers: [{name: main}]}\nstatus: {podIPs: [{ip: 10.0.1.1}]}\n"
	"---\napiVersion: v1\nkind: Pod\n"
	"metadata: {namespace: x, name: b, labels: {app: b, tier: back}}\n"
	"spec: {containers: [{name: main, ports: [{name: http, containerPort: 8080}]}]}\n"
	"status: {podIPs: [{ip: 10.0.1.2}]}\n"
	"---\napiVersion: v1\nkind: Service\nmetadata: {namespace: x, name: web}\n"
	"spec: {clusterIP: 10.96.0.1, selector: {app: b},"
	" ports: [{name: http, port: 80, targetPort: http}]}\n"
	"---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
	"metadata: {namespace: x, name: lock-b}\n"
	"spec: {podSelector: {matchLabels: {app: b}}, policyTypes: [Ingress]}\n";

static const char staged[] =
	"---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
	"metadata: {namespace: x, name: lock-a}\n"
	"spec: {podSelector: {matchLabels: {app: a}}, policyTypes: [Egress]}\n";

/* 2023-11-14T22:13:20.123Z */
#define BASE_SEC 1700000000
#define BASE_NSEC 123456789L

#define MAX_LINES 32

struct fixture {
	struct np_model *model;
	char dir[64];
	char path[128];
	/* x/a -> x/web (backend x/b:8080), denied, the SYN unanswered */
	struct np_flow flow;
	struct np_judgement judgement;
	struct np_flow_event event;
	json_t *lines[MAX_LINES];
	size_t n_lines;
};

static struct np_ip ip_of(const char *text)
{
	struct np_ip ip;

	assert_true(np_ip_parse(text, &ip));
	return ip;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->model = np_test_model(cluster, staged);
	strcpy(f->dir, "/tmp/npw-flowlog-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/flows.log", f->dir);

	f->flow = (struct np_flow){ .src = np_test_pod(f->model, "x", "a"),
				    .dst = np_test_pod(f->model, "x", "b"),
				    .port = 8080,
				    .proto = NP_PROTO_TCP };
	np_judge(f->model, &f->flow, NP_OUTCOME_FAILED, false, &f->judgement);
	assert_int_equal(f->judgement.verdict, NP_VERDICT_DENY_ATTEMPT);
	f->event = (struct np_flow_event){
		.when = { BASE_SEC, BASE_NSEC },
		.src_ip = ip_of("10.0.1.1"),
		.dst_ip = ip_of("10.96.0.1"),
		.src_port = 41000,
		.dst_port = 80,
		.flow = &f->flow,
		.service = np_model_service(f->model, "x", "web"),
		.judgement = &f->judgement,
		.outcome = NP_OUTCOME_FAILED,
		.pid = 4242,
		.comm = "curl",
		.cgroup_id = 777,
		.cgroup_path = "/kubepods/besteffort/podX/abc",
		.count = 1,
	};
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	for (size_t i = 0; i < f->n_lines; i++)
		json_decref(f->lines[i]);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	np_model_free(f->model);
	free(f);
	return 0;
}

static struct np_flowlog *open_log(struct fixture *f, unsigned fold_seconds, size_t max_keys)
{
	struct np_flowlog_options opts = { .path = f->path, .node = "node-7",
					   .fold_seconds = fold_seconds, .max_keys = max_keys };
	char err[256] = "";
	struct np_flowlog *log = np_flowlog_open(&opts, err, sizeof(err));

	if (!log)
		fail_msg("np_flowlog_open: %s", err);
	return log;
}

/* Reads every line of path back into f->lines; each must be one JSON object. */
static size_t read_lines(struct fixture *f, const char *path)
{
	FILE *in = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;

	assert_non_null(in);
	for (size_t i = 0; i < f->n_lines; i++)
		json_decref(f->lines[i]);
	f->n_lines = 0;
	while (getline(&line, &cap, in) != -1) {
		json_error_t jerr;
		json_t *obj = json_loads(line, 0, &jerr);

		if (!json_is_object(obj))
			fail_msg("%s: line %zu is not a JSON object: %s", path, f->n_lines + 1,
				 jerr.text);
		assert_true(f->n_lines < MAX_LINES);
		f->lines[f->n_lines++] = obj;
	}
	free(line);
	fclose(in);
	return f->n_lines;
}

static const char *str(json_t *obj, const char *key)
{
	json_t *value = json_object_get(obj, key);

	if (!json_is_string(value))
		fail_msg("\"%s\" is not a string", key);
	return json_string_value(value);
}

static json_int_t num(json_t *obj, const char *key)
{
	json_t *value = json_object_get(obj, key);

	if (!json_is_integer(value))
		fail_msg("\"%s\" is not an integer", key);
	return json_integer_value(value);
}

static json_t *obj(json_t *parent, const char *key)
{
	json_t *value = json_object_get(parent, key);

	if (!json_is_object(value))
		fail_msg("\"%s\" is not an object", key);
	return value;
}

static void write_at(struct np_flowlog *log, struct np_flow_event *event, long offset_ms)
{
	event->when.tv_sec = BASE_SEC + offset_ms / 1000;
	event->when.tv_nsec = (offset_ms % 1000) * 1000000L;
	np_flowlog_write(log, event);
}

static struct timespec mono_after(unsigned seconds)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	now.tv_sec += seconds;
	return now;
}

/* ---- the schema of a line --------------------------------------------------------------- */

static void test_line_schema(void **state)
{
	struct fixture *f = *state;
	struct np_flowlog *log = open_log(f, 0, 0);
	json_t *line, *src, *dst, *labels, *process, *explanation;
	regex_t rfc3339;

	np_flowlog_write(log, &f->event);
	np_flowlog_close(log);
	assert_int_equal(read_lines(f, f->path), 1);
	line = f->lines[0];

	assert_int_equal(regcomp(&rfc3339, "^[0-9]{4}-[0-9]{2}-[0-9]{2}"
					   "T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$",
				 REG_EXTENDED | REG_NOSUB), 0);
	assert_int_equal(regexec(&rfc3339, str(line, "time"), 0, NULL, 0), 0);
	regfree(&rfc3339);
	assert_string_equal(str(line, "time"), "2023-11-14T22:13:20.123Z");
	assert_string_equal(str(line, "node"), "node-7");
	assert_string_equal(str(line, "verdict"), "deny-attempt");
	assert_string_equal(str(line, "scope"), "in-force");
	assert_string_equal(str(line, "direction"), "outbound");
	assert_string_equal(str(line, "protocol"), "TCP");
	assert_int_equal(num(line, "port"), 80);
	assert_string_equal(str(line, "outcome"), "failed");
	assert_int_equal(num(line, "count"), 1);
	assert_null(json_object_get(line, "folded"));

	src = obj(line, "src");
	assert_string_equal(str(src, "ip"), "10.0.1.1");
	assert_int_equal(num(src, "port"), 41000);
	assert_string_equal(str(src, "kind"), "pod");
	assert_string_equal(str(src, "namespace"), "x");
	assert_string_equal(str(src, "pod"), "a");
	labels = obj(src, "labels");
	assert_int_equal(json_object_size(labels), 1);
	assert_string_equal(str(labels, "app"), "a");

	/* dst: the ClusterIP as the socket saw it, and the backend judged */
	dst = obj(line, "dst");
	assert_string_equal(str(dst, "ip"), "10.96.0.1");
	assert_int_equal(num(dst, "port"), 80);
	assert_string_equal(str(dst, "kind"), "pod");
	assert_string_equal(str(dst, "namespace"), "x");
	assert_string_equal(str(dst, "pod"), "b");
	assert_string_equal(str(obj(dst, "labels"), "tier"), "back");
	assert_string_equal(str(dst, "service"), "x/web");
	assert_string_equal(str(dst, "backend_ip"), "10.0.1.2");
	assert_int_equal(num(dst, "backend_port"), 8080);

	assert_string_equal(str(line, "egress"), "allow");
	assert_string_equal(str(line, "ingress"), "deny");
	explanation = obj(line, "explanation");
	assert_string_equal(str(obj(explanation, "ingress"), "endpoint"), "x/b");
	assert_non_null(strstr(str(obj(explanation, "ingress"), "reason"), "x/lock-b"));
	assert_true(json_is_true(json_object_get(obj(explanation, "egress"), "allowed")));

	process = obj(line, "process");
	assert_int_equal(num(process, "pid"), 4242);
	assert_string_equal(str(process, "comm"), "curl");
	assert_int_equal(num(process, "cgroup_id"), 777);
	assert_string_equal(str(process, "cgroup"), "/kubepods/besteffort/podX/abc");
}

static void test_would_deny_line_has_staged_scope(void **state)
{
	struct fixture *f = *state;
	json_t *line;

	/* x/a -> the world: allowed in force, denied once the staged lock-a
	 * isolates a's egress */
	f->flow.dst = (struct np_endpoint){ .kind = NP_END_WORLD, .ip = ip_of("198.51.100.9") };
	f->flow.port = 443;
	np_judge(f->model, &f->flow, NP_OUTCOME_ESTABLISHED, true, &f->judgement);
	assert_int_equal(f->judgement.verdict, NP_VERDICT_WOULD_DENY);
	f->event.service = NULL;
	f->event.dst_ip = f->flow.dst.ip;
	f->event.dst_port = 443;
	f->event.outcome = NP_OUTCOME_ESTABLISHED;
	f->event.cgroup_path = NULL;
	f->event.comm = NULL;
	line = np_flow_event_json(&f->event, "node-7");

	assert_string_equal(str(line, "verdict"), "would-deny");
	assert_string_equal(str(line, "scope"), "staged");
	assert_string_equal(str(line, "egress"), "deny");
	assert_string_equal(str(line, "outcome"), "established");
	assert_string_equal(str(obj(line, "dst"), "kind"), "world");
	assert_string_equal(str(obj(line, "dst"), "ip"), "198.51.100.9");
	assert_null(json_object_get(obj(line, "dst"), "service"));
	assert_null(json_object_get(obj(line, "dst"), "namespace"));
	assert_non_null(strstr(str(obj(obj(line, "explanation"), "egress"), "reason"), "x/lock-a"));
	/* no process name, no cgroup path */
	assert_string_equal(str(obj(line, "process"), "comm"), "");
	assert_null(json_object_get(obj(line, "process"), "cgroup"));
	json_decref(line);
}

static void test_inbound_line_from_node(void **state)
{
	struct fixture *f = *state;
	json_t *line, *src;

	f->flow.src = np_test_ip(f->model, "192.168.0.10");
	assert_int_equal(f->flow.src.kind, NP_END_NODE);
	f->flow.proto = NP_PROTO_UDP;
	np_judge(f->model, &f->flow, NP_OUTCOME_UNKNOWN, false, &f->judgement);
	f->event.inbound = true;
	f->event.service = NULL;
	f->event.src_ip = f->flow.src.ip;
	f->event.src_port = 0;
	f->event.dst_ip = f->flow.dst.ip;
	f->event.dst_port = 8080;
	f->event.outcome = NP_OUTCOME_UNKNOWN;
	line = np_flow_event_json(&f->event, "node-7");

	assert_string_equal(str(line, "direction"), "inbound");
	assert_string_equal(str(line, "protocol"), "UDP");
	assert_string_equal(str(line, "verdict"), "deny");
	assert_string_equal(str(line, "outcome"), "unknown");
	src = obj(line, "src");
	assert_string_equal(str(src, "kind"), "node");
	assert_string_equal(str(src, "node"), "n1");
	/* an unknown source port is left out */
	assert_null(json_object_get(src, "port"));
	assert_null(json_object_get(src, "labels"));
	json_decref(line);
}

/* ---- folding ------------------------------------------------------------------------------ */

static void test_repeats_fold_into_one_counted_line(void **state)
{
	struct fixture *f = *state;
	struct np_flowlog *log = open_log(f, 60, 16);
	struct timespec now;
	json_t *folded;

	for (int i = 0; i < 5; i++)
		write_at(log, &f->event, i * 1500);
	assert_int_equal(read_lines(f, f->path), 1);
	assert_int_equal(num(f->lines[0], "count"), 1);

	/* the window is still open */
	now = mono_after(0);
	np_flowlog_tick(log, &now);
	assert_int_equal(read_lines(f, f->path), 1);

	now = mono_after(61);
	np_flowlog_tick(log, &now);
	assert_int_equal(read_lines(f, f->path), 2);
	folded = f->lines[1];
	assert_int_equal(num(folded, "count"), 4);
	assert_true(json_is_true(json_object_get(folded, "folded")));
	assert_string_equal(str(folded, "first_seen"), "2023-11-14T22:13:21.500Z");
	assert_string_equal(str(folded, "last_seen"), "2023-11-14T22:13:26.000Z");
	assert_string_equal(str(folded, "time"), "2023-11-14T22:13:26.000Z");
	/* the rest of the line is the violation's */
	assert_string_equal(str(folded, "verdict"), "deny-attempt");
	assert_string_equal(str(obj(folded, "dst"), "service"), "x/web");

	/* nothing pending: the next window writes nothing and forgets the key,
	 * so the violation seen again is written anew */
	now.tv_sec += 61;
	np_flowlog_tick(log, &now);
	assert_int_equal(read_lines(f, f->path), 2);
	write_at(log, &f->event, 200000);
	assert_int_equal(read_lines(f, f->path), 3);
	assert_int_equal(num(f->lines[2], "count"), 1);
	assert_null(json_object_get(f->lines[2], "folded"));
	np_flowlog_close(log);
	assert_int_equal(read_lines(f, f->path), 3);
}

static void test_kernel_counts_add_up(void **state)
{
	struct fixture *f = *state;
	struct np_flowlog *log = open_log(f, 60, 16);
	struct timespec now;

	f->event.count = 3;
	write_at(log, &f->event, 0);
	f->event.count = 5;
	write_at(log, &f->event, 1000);
	write_at(log, &f->event, 2000);
	now = mono_after(61);
	np_flowlog_tick(log, &now);
	np_flowlog_close(log);
	assert_int_equal(read_lines(f, f->path), 2);
	assert_int_equal(num(f->lines[0], "count"), 3);
	assert_int_equal(num(f->lines[1], "count"), 10);
}

static void test_different_violations_are_not_folded_together(void **state)
{
	struct fixture *f = *state;
	struct np_flowlog *log = open_log(f, 60, 16);
	struct np_judgement gap;
	struct timespec now;

	write_at(log, &f->event, 0);
	/* another port */
	f->event.dst_port = 81;
	write_at(log, &f->event, 100);
	f->event.dst_port = 80;
	/* another verdict */
	np_judge(f->model, &f->flow, NP_OUTCOME_ESTABLISHED, false, &gap);
	f->event.judgement = &gap;
	write_at(log, &f->event, 200);
	f->event.judgement = &f->judgement;
	/* the other direction */
	f->event.inbound = true;
	write_at(log, &f->event, 300);
	f->event.inbound = false;
	/* a new source port alone is the same violation */
	f->event.src_port = 41001;
	write_at(log, &f->event, 400);

	assert_int_equal(read_lines(f, f->path), 4);
	assert_int_equal(num(f->lines[0], "port"), 80);
	assert_int_equal(num(f->lines[1], "port"), 81);
	assert_string_equal(str(f->lines[2], "verdict"), "enforcement-gap");
	assert_string_equal(str(f->lines[3], "direction"), "inbound");

	now = mono_after(61);
	np_flowlog_tick(log, &now);
	assert_int_equal(read_lines(f, f->path), 5);
	assert_int_equal(num(f->lines[4], "count"), 1);
	assert_int_equal(num(obj(f->lines[4], "src"), "port"), 41000);
	assert_string_equal(str(f->lines[4], "first_seen"), "2023-11-14T22:13:20.400Z");
	np_flowlog_close(log);
}

static void test_fold_seconds_zero_writes_every_one(void **state)
{
	struct fixture *f = *state;
	struct np_flowlog *log = open_log(f, 0, 16);

	for (int i = 0; i < 5; i++)
		write_at(log, &f->event, i * 10);
	np_flowlog_close(log);
	assert_int_equal(read_lines(f, f->path), 5);
	for (size_t i = 0; i < 5; i++) {
		assert_int_equal(num(f->lines[i], "count"), 1);
		assert_null(json_object_get(f->lines[i], "folded"));
	}
}

static void test_max_keys_bounds_folding(void **state)
{
	struct fixture *f = *state;
	struct np_flowlog *log = open_log(f, 60, 1);

	write_at(log, &f->event, 0);      /* A: written, folded from now on */
	f->event.dst_port = 81;
	write_at(log, &f->event, 10);     /* B: written, no room to fold it */
	write_at(log, &f->event, 20);     /* B again: written again */
	f->event.dst_port = 80;
	write_at(log, &f->event, 30);     /* A again: folded */
	write_at(log, &f->event, 40);
	assert_int_equal(read_lines(f, f->path), 3);
	assert_int_equal(num(f->lines[1], "port"), 81);
	assert_int_equal(num(f->lines[2], "port"), 81);
	np_flowlog_close(log);
	assert_int_equal(read_lines(f, f->path), 4);
	assert_int_equal(num(f->lines[3], "port"), 80);
	assert_int_equal(num(f->lines[3], "count"), 2);
}

static void test_close_writes_pending_counts(void **state)
{
	struct fixture *f = *state;
	struct np_flowlog *log = open_log(f, 3600, 16);

	for (int i = 0; i < 3; i++)
		write_at(log, &f->event, i * 1000);
	f->event.dst_port = 81; /* seen once: nothing pending for it */
	write_at(log, &f->event, 5000);
	assert_int_equal(read_lines(f, f->path), 2);
	np_flowlog_close(log);
	assert_int_equal(read_lines(f, f->path), 3);
	assert_int_equal(num(f->lines[2], "port"), 80);
	assert_int_equal(num(f->lines[2], "count"), 2);
	assert_true(json_is_true(json_object_get(f->lines[2], "folded")));
	assert_string_equal(str(f->lines[2], "first_seen"), "2023-11-14T22:13:21.000Z");
	assert_string_equal(str(f->lines[2], "last_seen"), "2023-11-14T22:13:22.000Z");
}

/* ---- the file ------------------------------------------------------------------------------ */

static void test_reopen_after_rotation(void **state)
{
	struct fixture *f = *state;
	struct np_flowlog *log = open_log(f, 0, 0);
	char rotated[160], err[256] = "";

	write_at(log, &f->event, 0);
	snprintf(rotated, sizeof(rotated), "%s.1", f->path);
	assert_int_equal(rename(f->path, rotated), 0);
	/* until reopened, lines follow the renamed file */
	write_at(log, &f->event, 1000);
	assert_int_equal(np_flowlog_reopen(log, err, sizeof(err)), 0);
	f->event.dst_port = 81;
	write_at(log, &f->event, 2000);
	np_flowlog_close(log);

	assert_int_equal(read_lines(f, rotated), 2);
	assert_int_equal(num(f->lines[1], "port"), 80);
	assert_int_equal(read_lines(f, f->path), 1);
	assert_int_equal(num(f->lines[0], "port"), 81);
}

static void test_reopen_keeps_old_file_when_path_fails(void **state)
{
	struct fixture *f = *state;
	struct np_flowlog *log = open_log(f, 0, 0);
	char moved[160], err[256] = "";

	/* the folder goes away: reopening fails and says where */
	snprintf(moved, sizeof(moved), "%s.gone", f->dir);
	assert_int_equal(rename(f->dir, moved), 0);
	assert_int_equal(np_flowlog_reopen(log, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "--log "));
	assert_non_null(strstr(err, "flows.log"));
	/* and the log still writes to the file it had */
	write_at(log, &f->event, 0);
	np_flowlog_close(log);
	assert_int_equal(rename(moved, f->dir), 0);
	assert_int_equal(read_lines(f, f->path), 1);
}

static void test_open_failure_names_the_file(void **state)
{
	struct np_flowlog_options opts = { .path = "/nonexistent/npwatch/flows.log", .node = "n" };
	char err[256] = "";

	(void)state;
	assert_null(np_flowlog_open(&opts, err, sizeof(err)));
	assert_non_null(strstr(err, "--log /nonexistent/npwatch/flows.log"));
	assert_non_null(strstr(err, "No such file"));
	/* closing nothing is harmless */
	np_flowlog_close(NULL);
}

static void test_appends_to_existing_file(void **state)
{
	struct fixture *f = *state;
	FILE *out = fopen(f->path, "w");
	struct np_flowlog *log;

	assert_non_null(out);
	fputs("{\"earlier\":true}\n", out);
	fclose(out);
	log = open_log(f, 0, 0);
	write_at(log, &f->event, 0);
	np_flowlog_close(log);
	assert_int_equal(read_lines(f, f->path), 2);
	assert_true(json_is_true(json_object_get(f->lines[0], "earlier")));
	assert_string_equal(str(f->lines[1], "verdict"), "deny-attempt");
}

#define TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_line_schema),
		TEST(test_would_deny_line_has_staged_scope),
		TEST(test_inbound_line_from_node),
		TEST(test_repeats_fold_into_one_counted_line),
		TEST(test_kernel_counts_add_up),
		TEST(test_different_violations_are_not_folded_together),
		TEST(test_fold_seconds_zero_writes_every_one),
		TEST(test_max_keys_bounds_folding),
		TEST(test_close_writes_pending_counts),
		TEST(test_reopen_after_rotation),
		TEST(test_reopen_keeps_old_file_when_path_fails),
		TEST(test_open_failure_names_the_file),
		TEST(test_appends_to_existing_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
