/* test_render — the four renderings of a merged report: what text says and
 * in which order, the Markdown tables, the JSON form and its analyses, the
 * HTML page as HTML and as XML (xmllint), its heat map cell by cell, and
 * every string from the report escaped in each format.
 *
 * The report: x/a and x/b would be denied into y/web by the staged
 * y/deny-all; y/web's egress attempt to the world is denied in force; the
 * node probes y/web; x/a reaches y/web on 80 through the staged
 * y/allow-web (which admits 40 pods); x/egress's rule is unused; z holds a
 * workload and a process with hostile names.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <jansson.h>

#include "render.h"
#include "report_fixture.h"

#define HOUR 3600L
#define END ((time_t)1714557600) /* 2024-05-01T10:00:00Z */
#define START (END - 48 * HOUR)

static const char hostile_process[] = "</script><script>alert(\"x&y\")</script>";
static const char hostile_workload[] = "Pod/we|rd_*name*`[x]`";

static struct np_report *sample_report(void)
{
	struct np_report *report = np_test_report(START, END);
	struct np_report_policy *policy;
	struct np_report_flow *flow;

	report->nodes[0].coverage.observations = 1000;
	report->coverage.observations = 1000;
	np_test_policy(report, "y", "deny-all", true);
	policy = np_test_policy(report, "y", "allow-web", true);
	np_test_rule(policy, true, 0, 40, 1);
	policy = np_test_policy(report, "x", "egress", false);
	np_test_rule(policy, false, 0, 3, 1);

	flow = np_test_flow(report, "x/Deployment/a", "y/Deployment/web", 8080, "TCP", "would-deny",
			    12, START, END - 3 * HOUR);
	np_test_denied_by(flow, "y/deny-all");
	np_test_samples(flow, "x/a-1", "y/web-1", "curl");
	flow->service = strdup("y/web");
	flow = np_test_flow(report, "x/Deployment/b", "y/Deployment/web", 8080, "TCP", "would-deny",
			    3, START, END - 30 * HOUR);
	np_test_denied_by(flow, "y/deny-all");
	flow = np_test_flow(report, "y/Deployment/web", "world:192.0.2.7", 443, "TCP",
			    "deny-attempt", 4, START, END);
	np_test_denied_by(flow, "y/deny-all");
	flow = np_test_flow(report, "node:n1:192.168.0.10", "y/Deployment/web", 10250, "TCP",
			    "would-deny", 2, START, END - 40 * HOUR);
	np_test_denied_by(flow, "y/deny-all");
	flow = np_test_flow(report, "x/Deployment/a", "y/Deployment/web", 80, "TCP", "allow", 50,
			    START, END);
	np_test_rule_used(flow, "y/allow-web", true, true, 0);
	np_test_samples(flow, "x/a-1", "y/web-1", "curl");
	flow = np_test_flow(report, "z/Deployment/c", "z/Deployment/c", 9000, "UDP", "deny", 1,
			    START, END);
	free(flow->dst.workload);
	flow->dst.workload = strdup(hostile_workload);
	np_test_samples(flow, "z/c-1", NULL, hostile_process);
	return report;
}

/* Renders report in format into a string the test frees. */
static char *render(const struct np_report *report, enum np_render_format format,
		    const struct np_report_filter *filter)
{
	struct np_analysis analysis;
	char *text;
	size_t len;
	FILE *out = open_memstream(&text, &len);

	assert_non_null(out);
	np_analyze(report, filter, 24 * HOUR, &analysis);
	assert_int_equal(np_render(out, format, report, filter, &analysis), 0);
	fclose(out);
	np_analysis_free(&analysis);
	return text;
}

static size_t occurrences(const char *text, const char *what)
{
	size_t n = 0;

	for (const char *at = strstr(text, what); at; at = strstr(at + 1, what))
		n++;
	return n;
}

static void assert_contains(const char *text, const char *what)
{
	if (!strstr(text, what))
		fail_msg("output lacks \"%s\":\n%s", what, text);
}

static void assert_lacks(const char *text, const char *what)
{
	if (strstr(text, what))
		fail_msg("output has \"%s\":\n%s", what, text);
}

static void assert_in_order(const char *text, const char *const *parts, size_t n)
{
	const char *at = text;

	for (size_t i = 0; i < n; i++) {
		at = strstr(at, parts[i]);
		if (!at)
			fail_msg("\"%s\" missing or out of order:\n%s", parts[i], text);
	}
}

/* The line of text that contains what. */
static char *line_with(const char *text, const char *what)
{
	const char *at = strstr(text, what), *start, *end;

	if (!at)
		fail_msg("no line with \"%s\":\n%s", what, text);
	for (start = at; start > text && start[-1] != '\n'; start--)
		;
	end = strchr(at, '\n');
	return strndup(start, end ? (size_t)(end - start) : strlen(start));
}

static const struct np_report_filter no_filter = { 0 };

/* ---- text ---------------------------------------------------------------- */

static void test_text_sections_in_order(void **state)
{
	struct np_report *report = sample_report();
	char *text = render(report, NP_RENDER_TEXT, &no_filter);
	const char *const order[] = {
		"npwatch report: 2024-04-29T10:00:00Z .. 2024-05-01T10:00:00Z (2d), "
		"1 node, 1000 observations",
		"COVERAGE",
		"READY TO ENFORCE",
		"FLOWS",
		"UNUSED RULES",
		"OVER-BROAD RULES"
	};

	(void)state;
	assert_in_order(text, order, sizeof(order) / sizeof(order[0]));
	assert_lacks(text, "WARNING");
	assert_contains(text,
			"READY TO ENFORCE (go = no would-deny in the 24h before "
			"2024-05-01T10:00:00Z, a window at least that long, and no lost events)");
	assert_contains(text, "FLOWS (would-deny, deny-attempt, enforcement-gap, deny)");
	free(text);
	np_test_report_free(report);
}

static void test_text_rows(void **state)
{
	struct np_report *report = sample_report();
	char *text = render(report, NP_RENDER_TEXT, &no_filter);
	char *line;

	(void)state;
	line = line_with(text, "  n1 ");
	assert_contains(line, "2024-04-29T10:00:00Z  2024-05-01T10:00:00Z");
	assert_contains(line, "1000");
	free(line);
	line = line_with(text, "y/deny-all  ");
	assert_contains(line, "no-go");
	assert_contains(line, "  17  ");
	free(line);
	assert_contains(text, "Why: would-deny 3h before the end, within the 24h quiet period");
	line = line_with(text, "namespace y (2 policies)");
	assert_contains(line, "no-go");
	free(line);
	line = line_with(text, "y/allow-web  ");
	assert_contains(line, " go ");
	free(line);

	line = line_with(text, "x/Deployment/a  ");
	assert_contains(line, "would-deny");
	assert_contains(line, "y/Deployment/web via service y/web");
	assert_contains(line, "8080/TCP");
	assert_contains(line, "2024-05-01T07:00:00Z");
	assert_contains(line, "y/deny-all");
	free(line);
	assert_contains(text, "Samples: x/a-1 -> y/web-1 (curl)");
	assert_contains(text, "node n1 (192.168.0.10)");
	assert_contains(text, "192.0.2.7");
	/* The allowed flow is not listed by default. */
	assert_lacks(text, "  80/TCP");

	line = line_with(text, "x/egress");
	assert_contains(line, "spec.egress[0]");
	free(line);
	line = line_with(text, "y/allow-web (staged)");
	assert_contains(line, "admits 40 pods, 1 seen");
	free(line);
	free(text);
	np_test_report_free(report);
}

static void test_text_flows_by_count(void **state)
{
	struct np_report *report = sample_report();
	char *text = render(report, NP_RENDER_TEXT, &no_filter);
	const char *flows = strstr(text, "FLOWS");
	const char *const rows[] = { "x/Deployment/a ", "y/Deployment/web ", "x/Deployment/b ",
				     "node n1", "z/Deployment/c " };

	(void)state;
	assert_non_null(flows);
	assert_in_order(flows, rows, 5);
	free(text);
	np_test_report_free(report);
}

static void test_text_warns_about_loss(void **state)
{
	struct np_report *report = sample_report();
	struct np_coverage lossy = { .observations = 10,
				     .ringbuf_lost = 3,
				     .aggregate_overflow = 1 };
	char *text, *line;

	(void)state;
	np_test_node(report, "n2", START + HOUR, END, &lossy);
	text = render(report, NP_RENDER_TEXT, &no_filter);
	assert_contains(text,
			"WARNING: 4 events were lost (ring buffer 3, aggregation overflow 1): "
			"counts are lower bounds, and \"no would-deny\" cannot be trusted");
	assert_contains(text, "2 nodes, 1010 observations");
	line = line_with(text, "  n2 ");
	assert_contains(line, "  4  ");
	free(line);
	line = line_with(text, "all nodes");
	assert_contains(line, "1010");
	free(line);
	assert_lacks(text, " go ");
	free(text);
	np_test_report_free(report);
}

static void test_text_cleans_control_characters(void **state)
{
	struct np_report *report = sample_report();
	char *text;

	(void)state;
	free(report->flows[0].sample_processes[0]);
	report->flows[0].sample_processes[0] = strdup("evil\x1b[2Jname\nnext");
	text = render(report, NP_RENDER_TEXT, &no_filter);
	assert_contains(text, "(evil?[2Jname next)");
	assert_lacks(text, "\x1b");
	free(text);
	np_test_report_free(report);
}

static void test_filters_select_flows(void **state)
{
	struct np_report *report = sample_report();
	const char *const allow[] = { "allow" };
	const char *const namespaces[] = { "z" };
	struct np_report_filter only_allow = { .verdicts = allow, .n_verdicts = 1 };
	struct np_report_filter only_z = { .namespaces = namespaces, .n_namespaces = 1 };
	char *text;

	(void)state;
	text = render(report, NP_RENDER_TEXT, &only_allow);
	assert_contains(text, "FLOWS (allow)");
	assert_contains(text, "80/TCP");
	assert_lacks(text, "8080/TCP");
	free(text);
	text = render(report, NP_RENDER_TEXT, &only_z);
	assert_contains(text, "filters: namespace z");
	assert_contains(text, "9000/UDP");
	assert_lacks(text, "8080/TCP");
	assert_contains(text, "no staged policy in the report");
	free(text);
	np_test_report_free(report);
}

/* ---- Markdown ------------------------------------------------------------ */

static void test_markdown_tables(void **state)
{
	struct np_report *report = sample_report();
	char *text = render(report, NP_RENDER_MARKDOWN, &no_filter);
	const char *flows, *next;
	size_t rows = 0;

	(void)state;
	assert_contains(text, "## npwatch report\n");
	assert_contains(text, "### Ready to enforce\n");
	assert_contains(text, "| Verdict | Source | Destination | Port | Count | First seen | "
			      "Last seen | Policies at fault | Samples |\n"
			      "|---|---|---|---|---:|---|---|---|---|\n");
	/* Five flows, one row each, between the separator and the next section. */
	flows = strstr(strstr(text, "### Flows"), "|---|\n") + 6;
	next = strstr(flows, "###");
	assert_non_null(next);
	for (const char *at = flows; at < next; at = strchr(at, '\n') + 1)
		rows += at[0] == '|';
	assert_int_equal(rows, 5);
	assert_contains(text,
			"| would-deny | x/Deployment/a | y/Deployment/web via service y/web | "
			"8080/TCP | 12 |");
	assert_contains(text, "| y/deny-all | no-go | 17 | 3 | 3 |");
	free(text);
	np_test_report_free(report);
}

static void test_markdown_escapes(void **state)
{
	struct np_report *report = sample_report();
	char *text = render(report, NP_RENDER_MARKDOWN, &no_filter);

	(void)state;
	assert_contains(text, "z/Pod/we\\|rd\\_\\*name\\*\\`\\[x\\]\\`");
	assert_contains(text, "&lt;/script&gt;&lt;script&gt;alert(\"x&amp;y\")&lt;/script&gt;");
	assert_lacks(text, "<script>");
	assert_lacks(text, "we|rd");
	free(text);
	np_test_report_free(report);
}

static void test_markdown_warns_about_loss(void **state)
{
	struct np_report *report = sample_report();
	struct np_coverage lossy = { .socket_map_lost = 2 };
	char *text;

	(void)state;
	np_test_node(report, "n2", START, END, &lossy);
	text = render(report, NP_RENDER_MARKDOWN, &no_filter);
	assert_contains(
		text, "> **Warning:** 2 events were lost (socket map 2): counts are lower bounds");
	free(text);
	np_test_report_free(report);
}

/* ---- JSON ---------------------------------------------------------------- */

static json_t *render_json(const struct np_report *report, const struct np_report_filter *filter)
{
	char *text = render(report, NP_RENDER_JSON, filter);
	json_error_t err;
	json_t *root = json_loads(text, 0, &err);

	if (!root)
		fail_msg("not JSON: %s at line %d:\n%s", err.text, err.line, text);
	free(text);
	return root;
}

static void test_json_report_and_analyses(void **state)
{
	struct np_report *report = sample_report();
	json_t *root = render_json(report, &no_filter);
	json_t *rows, *row, *flow, *unused, *broad;

	(void)state;
	assert_string_equal(json_string_value(json_object_get(root, "format")), "npwatch-report");
	assert_string_equal(json_string_value(json_object_get(root, "start")),
			    "2024-04-29T10:00:00Z");
	assert_int_equal(json_array_size(json_object_get(root, "nodes")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(root, "coverage"),
							    "observations")), 1000);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(root, "coverage"),
							    "lost")), 0);
	assert_int_equal(json_array_size(json_object_get(root, "policies")), 3);
	assert_int_equal(json_array_size(json_object_get(root, "flows")), 5);
	assert_int_equal(json_array_size(json_object_get(json_object_get(root, "filter"),
							 "verdicts")), 4);

	flow = json_array_get(json_object_get(root, "flows"), 0);
	assert_string_equal(json_string_value(json_object_get(json_object_get(flow, "src"),
							      "workload")), "Deployment/a");
	assert_string_equal(json_string_value(json_object_get(flow, "service")), "y/web");
	assert_string_equal(json_string_value(json_object_get(flow, "last_seen")),
			    "2024-05-01T07:00:00Z");
	assert_string_equal(
		json_string_value(json_array_get(json_object_get(flow, "denied_by"), 0)),
		"y/deny-all");

	rows = json_object_get(json_object_get(root, "ready_to_enforce"), "rows");
	assert_int_equal(json_integer_value(json_object_get(
				 json_object_get(root, "ready_to_enforce"), "quiet_for")),
			 86400);
	assert_int_equal(json_array_size(rows), 3);
	row = json_array_get(rows, 0);
	assert_true(json_is_null(json_object_get(row, "policy")));
	assert_false(json_is_true(json_object_get(row, "go")));
	row = json_array_get(rows, 1);
	assert_string_equal(json_string_value(json_object_get(row, "policy")), "allow-web");
	assert_true(json_is_true(json_object_get(row, "go")));
	row = json_array_get(rows, 2);
	assert_int_equal(json_integer_value(json_object_get(row, "would_deny")), 17);
	assert_int_equal(json_integer_value(json_object_get(row, "peers")), 3);

	unused = json_object_get(root, "unused_rules");
	assert_int_equal(json_array_size(unused), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(unused, 0), "policy")),
			    "x/egress");
	assert_string_equal(json_string_value(json_object_get(json_array_get(unused, 0), "field")),
			    "spec.egress[0]");
	broad = json_object_get(root, "over_broad_rules");
	assert_int_equal(json_array_size(broad), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(broad, 0), "reason")),
			    "admits 40 pods, 1 seen");
	json_decref(root);
	np_test_report_free(report);
}

static void test_json_survives_broken_utf8(void **state)
{
	struct np_report *report = sample_report();
	json_t *root;
	json_t *flows;
	int found = 0;
	size_t i;
	json_t *flow;

	(void)state;
	free(report->flows[0].sample_processes[0]);
	report->flows[0].sample_processes[0] = strdup("bad\xff\xfe" "name");
	root = render_json(report, &no_filter);
	flows = json_object_get(root, "flows");
	json_array_foreach(flows, i, flow) {
		json_t *process = json_array_get(json_object_get(flow, "sample_processes"), 0);

		if (process && strcmp(json_string_value(process), "bad??name") == 0)
			found = 1;
	}
	assert_true(found);
	json_decref(root);
	np_test_report_free(report);
}

/* ---- HTML ---------------------------------------------------------------- */

/* The heat map's SVG is the text of a JavaScript string in the page, where
 * every "</" is written "<\/". */

/* Runs xmllint on the page; fails with its complaints, if any. */
static void assert_xmllint_clean(const char *page, const char *mode)
{
	char path[] = "/tmp/npwatch-render-XXXXXX";
	char errors[] = "/tmp/npwatch-xmllint-XXXXXX";
	char command[256], complaints[4096] = "";
	int fd = mkstemp(path), efd = mkstemp(errors);
	FILE *in;
	int status;

	assert_true(fd >= 0 && efd >= 0);
	assert_int_equal(write(fd, page, strlen(page)), (ssize_t)strlen(page));
	close(fd);
	close(efd);
	snprintf(command, sizeof(command), "xmllint %s --noout %s >%s 2>&1", mode, path, errors);
	status = system(command);
	in = fopen(errors, "r");
	assert_non_null(in);
	complaints[fread(complaints, 1, sizeof(complaints) - 1, in)] = '\0';
	fclose(in);
	unlink(path);
	unlink(errors);
	if (status != 0 || complaints[0])
		fail_msg("xmllint %s: status %d:\n%s", mode, status, complaints);
}

static void test_html_parses(void **state)
{
	struct np_report *report = sample_report();
	char *page;

	(void)state;
	free(report->flows[1].sample_processes[0]);
	report->flows[1].sample_processes[0] = strdup("bad\xff" "utf8\x01");
	page = render(report, NP_RENDER_HTML, &no_filter);
	assert_xmllint_clean(page, "--html");
	assert_xmllint_clean(page, "");
	free(page);
	np_test_report_free(report);
}

static void test_html_is_self_contained(void **state)
{
	struct np_report *report = sample_report();
	char *page = render(report, NP_RENDER_HTML, &no_filter);

	(void)state;
	assert_lacks(page, "src=\"http");
	assert_lacks(page, "href=");
	assert_lacks(page, "<link");
	assert_lacks(page, "@import");
	assert_contains(page, "<style>");
	free(page);
	np_test_report_free(report);
}

static void test_html_escapes_everything(void **state)
{
	struct np_report *report = sample_report();
	char *page = render(report, NP_RENDER_HTML, &no_filter);

	(void)state;
	/* Ours: the heat map's and the table sorter's; none from the report. */
	assert_int_equal(occurrences(page, "<script"), 2);
	assert_int_equal(occurrences(page, "</script>"), 2);
	assert_contains(page,
			"&lt;/script&gt;&lt;script&gt;alert(&quot;x&amp;y&quot;)&lt;/script&gt;");
	assert_contains(page, "z/Pod/we|rd_*name*`[x]`");
	free(page);
	np_test_report_free(report);
}

static void test_html_order_and_tables(void **state)
{
	struct np_report *report = sample_report();
	char *page = render(report, NP_RENDER_HTML, &no_filter);
	const char *const order[] = { "<h2>Coverage</h2>",
				      "<h2>Would-be-blocked flows by namespace</h2>",
				      "<svg",
				      "<\\/svg>",
				      "<h2>Ready to enforce</h2>",
				      "<h2>Flows</h2>",
				      "<table class=\"sortable\">",
				      "<th>Policies at fault</th>",
				      "<h2>Unused rules</h2>",
				      "<h2>Over-broad rules</h2>" };

	(void)state;
	assert_in_order(page, order, sizeof(order) / sizeof(order[0]));
	assert_int_equal(occurrences(page, "class=\"sortable\""), 1);
	assert_contains(page, "<td class=\"no-go\">no-go</td>");
	assert_contains(page, "<td class=\"go\">go</td>");
	assert_contains(page, "<th class=\"num\">Count</th>");
	free(page);
	np_test_report_free(report);
}

static void test_heat_map_cells(void **state)
{
	struct np_report *report = sample_report();
	char *page = render(report, NP_RENDER_HTML, &no_filter);

	(void)state;
	/* x, y, z, (node), (world): 25 pairs, one cell each, one title each. */
	assert_int_equal(occurrences(page, "<rect class=\"cell\""), 25);
	assert_int_equal(occurrences(page, "<\\/title><\\/rect>"), 25);
	assert_contains(page, "<title>x \xe2\x86\x92 y: 15 would-deny in 2 flows<\\/title>");
	assert_contains(page, "<title>(node) \xe2\x86\x92 y: 2 would-deny in 1 flow<\\/title>");
	/* Denied in force, not would-deny: an empty cell. */
	assert_contains(page,
			"fill=\"#f2f2f2\"><title>y \xe2\x86\x92 (world): 0 would-deny in 0 flows");
	/* The busiest cell is the darkest. */
	assert_contains(page, "fill=\"#a50f15\"><title>x \xe2\x86\x92 y:");
	free(page);
	np_test_report_free(report);
}

static void test_heat_map_follows_the_filter(void **state)
{
	struct np_report *report = sample_report();
	const char *const namespaces[] = { "z" };
	struct np_report_filter only_z = { .namespaces = namespaces, .n_namespaces = 1 };
	char *page = render(report, NP_RENDER_HTML, &only_z);

	(void)state;
	assert_int_equal(occurrences(page, "<rect class=\"cell\""), 1);
	assert_contains(page, "<title>z \xe2\x86\x92 z: 0 would-deny in 0 flows<\\/title>");
	free(page);
	np_test_report_free(report);
}

static void test_empty_report(void **state)
{
	struct np_report *report = np_test_report(START, END);
	char *text;
	json_t *root;

	(void)state;
	text = render(report, NP_RENDER_HTML, &no_filter);
	assert_int_equal(occurrences(text, "<rect"), 0);
	assert_contains(text, "No flow in scope.");
	assert_xmllint_clean(text, "--html");
	assert_xmllint_clean(text, "");
	free(text);
	text = render(report, NP_RENDER_TEXT, &no_filter);
	assert_contains(text, "FLOWS (would-deny, deny-attempt, enforcement-gap, deny)\n  none\n");
	free(text);
	text = render(report, NP_RENDER_MARKDOWN, &no_filter);
	assert_contains(text, "_No staged policy in the report._");
	free(text);
	root = render_json(report, &no_filter);
	assert_int_equal(json_array_size(json_object_get(root, "flows")), 0);
	json_decref(root);
	np_test_report_free(report);
}

static void test_format_names(void **state)
{
	enum np_render_format format;

	(void)state;
	assert_true(np_render_format_parse("markdown", &format));
	assert_int_equal(format, NP_RENDER_MARKDOWN);
	assert_true(np_render_format_parse("html", &format));
	assert_int_equal(format, NP_RENDER_HTML);
	assert_false(np_render_format_parse("HTML", &format));
	assert_false(np_render_format_parse("yaml", &format));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_sections_in_order),
		cmocka_unit_test(test_text_rows),
		cmocka_unit_test(test_text_flows_by_count),
		cmocka_unit_test(test_text_warns_about_loss),
		cmocka_unit_test(test_text_cleans_control_characters),
		cmocka_unit_test(test_filters_select_flows),
		cmocka_unit_test(test_markdown_tables),
		cmocka_unit_test(test_markdown_escapes),
		cmocka_unit_test(test_markdown_warns_about_loss),
		cmocka_unit_test(test_json_report_and_analyses),
		cmocka_unit_test(test_json_survives_broken_utf8),
		cmocka_unit_test(test_html_parses),
		cmocka_unit_test(test_html_is_self_contained),
		cmocka_unit_test(test_html_escapes_everything),
		cmocka_unit_test(test_html_order_and_tables),
		cmocka_unit_test(test_heat_map_cells),
		cmocka_unit_test(test_heat_map_follows_the_filter),
		cmocka_unit_test(test_empty_report),
		cmocka_unit_test(test_format_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
