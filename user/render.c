/* render — a merged report as text, Markdown, JSON or HTML; see render.h.
 *
 * Each section (coverage, ready to enforce, flows, rules) is first built as
 * a table of plain strings; each format then writes tables its own way and
 * escapes every cell for itself. A column marked "detail" is a line under
 * its row in text and an ordinary column elsewhere.
 */
#include "render.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "textbuf.h"
#include "xalloc.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const char *const every_verdict[] = { "would-deny", "deny-attempt", "enforcement-gap",
					     "deny" };

/* ---- UTF-8 --------------------------------------------------------------- */

/* Length of the well-formed UTF-8 sequence at s, 0 when there is none.
 * U+FFFE and U+FFFF count as broken: XML forbids them. */
static size_t utf8_sequence(const unsigned char *s)
{
	size_t len;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	/* A NUL ends the loop too: it is no continuation byte. */
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff) || cp >= 0xfffe)) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

/* Writes text with control characters and broken UTF-8 replaced, each
 * character through put (which escapes what its format needs). */
static void write_clean(FILE *out, const char *text, void (*put)(FILE *, const char *, size_t))
{
	const unsigned char *s = (const unsigned char *)(text ? text : "");

	while (*s) {
		size_t len = utf8_sequence(s);

		if (len == 0 || (len == 1 && (*s < 0x20 || *s == 0x7f)))
			put(out, *s == '\n' || *s == '\r' || *s == '\t' ? " " : "?", 1);
		else
			put(out, (const char *)s, len);
		s += len ? len : 1;
	}
}

static void put_plain(FILE *out, const char *c, size_t len)
{
	fwrite(c, 1, len, out);
}

static void put_html(FILE *out, const char *c, size_t len)
{
	switch (*c) {
	case '&': fputs("&amp;", out); break;
	case '<': fputs("&lt;", out); break;
	case '>': fputs("&gt;", out); break;
	case '"': fputs("&quot;", out); break;
	case '\'': fputs("&#39;", out); break;
	default: fwrite(c, 1, len, out);
	}
}

static void put_markdown(FILE *out, const char *c, size_t len)
{
	switch (*c) {
	case '&': fputs("&amp;", out); break;
	case '<': fputs("&lt;", out); break;
	case '>': fputs("&gt;", out); break;
	case '|': case '\\': case '`': case '*': case '_': case '[': case ']':
		fputc('\\', out);
		fputc(*c, out);
		break;
	default: fwrite(c, 1, len, out);
	}
}

static void html(FILE *out, const char *text)
{
	write_clean(out, text, put_html);
}

void np_render_markdown_cell(FILE *out, const char *text)
{
	write_clean(out, text, put_markdown);
}

/* A JSON string of any text: jansson refuses broken UTF-8. */
static json_t *jstring(const char *text)
{
	json_t *value;
	char *clean;
	size_t len;
	FILE *out;

	if (!text)
		return json_null();
	value = json_string(text);
	if (value)
		return value;
	out = open_memstream(&clean, &len);
	if (!out)
		abort();
	write_clean(out, text, put_plain);
	fclose(out);
	value = json_string(clean);
	free(clean);
	return value;
}

/* ---- pieces of a row ----------------------------------------------------- */

void np_render_time(time_t when, char *buf, size_t len)
{
	if (when == 0)
		snprintf(buf, len, "-");
	else
		np_report_time_format(when, buf, len);
}

static char *time_text(time_t when)
{
	char buf[32];

	np_render_time(when, buf, sizeof(buf));
	return xstrdup(buf);
}

static json_t *time_json(time_t when)
{
	char buf[32];

	if (when == 0)
		return json_null();
	np_render_time(when, buf, sizeof(buf));
	return json_string(buf);
}

void np_render_end(const struct np_report_end *end, char *buf, size_t len)
{
	const char *workload = end->workload ? end->workload : "?";

	switch (end->kind) {
	case NP_REPORT_POD:
		snprintf(buf, len, "%s/%s", end->namespace_name ? end->namespace_name : "?",
			 workload);
		break;
	case NP_REPORT_NODE:
		if (end->ip && !strstr(workload, end->ip))
			snprintf(buf, len, "%s (%s)", workload, end->ip);
		else
			snprintf(buf, len, "%s", workload);
		break;
	case NP_REPORT_WORLD:
		snprintf(buf, len, "%s", end->ip ? end->ip : workload);
		break;
	}
}

static char *end_text(const struct np_report_end *end)
{
	char buf[512];

	np_render_end(end, buf, sizeof(buf));
	return xstrdup(buf);
}

static char *destination_text(const struct np_report_flow *flow)
{
	char buf[512];

	np_render_end(&flow->dst, buf, sizeof(buf));
	return flow->service ? xasprintf("%s via service %s", buf, flow->service) : xstrdup(buf);
}

static char *join(char *const *items, size_t n, const char *none)
{
	size_t len = 1;
	char *text;

	for (size_t i = 0; i < n; i++)
		len += items[i] ? strlen(items[i]) + 2 : 0;
	text = xcalloc(len, 1);
	for (size_t i = 0; i < n; i++) {
		if (!items[i])
			continue;
		if (text[0])
			strcat(text, ", ");
		strcat(text, items[i]);
	}
	if (!text[0]) {
		free(text);
		return xstrdup(none);
	}
	return text;
}

/* "x/a-1, x/a-2 -> y/web-0 (curl)", or "-" when the flow has none. */
static char *samples_text(const struct np_report_flow *flow)
{
	char *src = join(flow->sample_src_pods, NP_REPORT_SAMPLES, "-");
	char *dst = join(flow->sample_dst_pods, NP_REPORT_SAMPLES, "-");
	char *processes = join(flow->sample_processes, NP_REPORT_SAMPLES, "");
	char *text;

	if (strcmp(src, "-") == 0 && strcmp(dst, "-") == 0 && !processes[0])
		text = xstrdup("-");
	else if (processes[0])
		text = xasprintf("%s -> %s (%s)", src, dst, processes);
	else
		text = xasprintf("%s -> %s", src, dst);
	free(src);
	free(dst);
	free(processes);
	return text;
}

static char *count_text(uint64_t count)
{
	return xasprintf("%" PRIu64, count);
}

static const char *direction_name(bool ingress)
{
	return ingress ? "ingress" : "egress";
}

static char *policy_text(const struct np_report_policy *policy)
{
	return xasprintf("%s/%s%s", policy->namespace_name, policy->name,
		       policy->staged ? " (staged)" : "");
}

static char *rule_text(const struct np_report_rule *rule)
{
	return xasprintf("spec.%s[%d]", direction_name(rule->ingress), rule->index);
}

/* "40 pods", "1 port", or the words for no limit. */
static char *admits_text(long admits, const char *unit, const char *every)
{
	return admits < 0 ? xstrdup(every)
			  : xasprintf("%ld %s%s", admits, unit, admits == 1 ? "" : "s");
}

/* "admits 40 pods, 2 seen; admits every port, 1 seen" */
static char *broad_reason(const struct np_rule_finding *finding)
{
	char *peers = admits_text(finding->rule->admits_pods, "pod", "any address");
	char *ports = admits_text(finding->rule->admits_ports, "port", "every port");
	char buf[256];
	struct np_text why;

	np_text_init(&why, buf, sizeof(buf));
	if (finding->broad_peers)
		np_text_add(&why, "admits %s, %zu seen%s", peers, finding->peers_seen,
			    finding->rule->admits_pods < 0 ? ", all in the cluster" : "");
	if (finding->broad_ports)
		np_text_add(&why, "%sadmits %s, %zu seen", why.used ? "; " : "", ports,
			    finding->ports_seen);
	free(peers);
	free(ports);
	return xstrdup(buf);
}

/* "ring buffer 10, dedup map 7" */
static void lost_kinds(const struct np_coverage *c, char *buf, size_t len)
{
	const struct {
		const char *name;
		uint64_t value;
	} kinds[] = {
		{ "ring buffer", c->ringbuf_lost },
		{ "socket map", c->socket_map_lost },
		{ "dedup map", c->dedup_map_lost },
		{ "undecodable", c->undecodable },
		{ "TCP tracker", c->tracker_lost },
		{ "aggregation overflow", c->aggregate_overflow },
	};
	struct np_text text;

	np_text_init(&text, buf, len);
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
		if (kinds[i].value)
			np_text_add(&text, "%s%s %" PRIu64, text.used ? ", " : "", kinds[i].name,
				    kinds[i].value);
}

/* ---- tables -------------------------------------------------------------- */

struct column {
	const char *title;
	bool numeric;
	bool detail;    /* text: a line under the row */
	bool readiness; /* "go" or "no-go": HTML colours it */
};

#define TABLE(columns_) ((struct table){ .columns = (columns_), .n_cols = ARRAY_SIZE(columns_) })

struct table {
	const struct column *columns;
	size_t n_cols;
	char **cells; /* row-major, owned */
	size_t n_rows;
};

/* Appends a row of n allocated cells, which the table then owns; use
 * TABLE_ROW, which counts them. */
static void table_add(struct table *table, char *const *cells, size_t n)
{
	char **grown = realloc(table->cells, (table->n_rows + 1) * table->n_cols * sizeof(*grown));

	if (!grown || n != table->n_cols)
		abort();
	table->cells = grown;
	for (size_t i = 0; i < n; i++) {
		if (!cells[i])
			abort();
		grown[table->n_rows * table->n_cols + i] = cells[i];
	}
	table->n_rows++;
}

#define TABLE_ROW(table, ...)                                                                 \
	table_add(table, (char *const[]){ __VA_ARGS__ },                                      \
		  ARRAY_SIZE(((char *const[]){ __VA_ARGS__ })))

static const char *cell(const struct table *table, size_t row, size_t col)
{
	return table->cells[row * table->n_cols + col];
}

static void table_free(struct table *table)
{
	for (size_t i = 0; i < table->n_rows * table->n_cols; i++)
		free(table->cells[i]);
	free(table->cells);
	table->cells = NULL;
	table->n_rows = 0;
}

/* ---- sections ------------------------------------------------------------ */

static const struct column coverage_columns[] = {
	{ .title = "Node" },
	{ .title = "From" },
	{ .title = "To" },
	{ .title = "Observations", .numeric = true },
	{ .title = "Lost", .numeric = true },
	{ .title = "Ring buffer", .numeric = true },
	{ .title = "Socket map", .numeric = true },
	{ .title = "Dedup map", .numeric = true },
	{ .title = "Undecodable", .numeric = true },
	{ .title = "TCP tracker", .numeric = true },
	{ .title = "Overflow", .numeric = true },
};

static void coverage_row(struct table *table, const char *node, time_t start, time_t end,
			 const struct np_coverage *c)
{
	TABLE_ROW(table, xstrdup(node), time_text(start), time_text(end),
		  count_text(c->observations), count_text(np_coverage_lost(c)),
		  count_text(c->ringbuf_lost), count_text(c->socket_map_lost),
		  count_text(c->dedup_map_lost), count_text(c->undecodable),
		  count_text(c->tracker_lost), count_text(c->aggregate_overflow));
}

static void coverage_table(const struct np_report *report, struct table *table)
{
	*table = TABLE(coverage_columns);
	for (size_t i = 0; i < report->n_nodes; i++)
		coverage_row(table, report->nodes[i].name, report->nodes[i].start,
			     report->nodes[i].end, &report->nodes[i].coverage);
	if (report->n_nodes != 1)
		coverage_row(table, "all nodes", report->start, report->end, &report->coverage);
}

static const struct column readiness_columns[] = {
	{ .title = "Staged policy" },
	{ .title = "Ready", .readiness = true },
	{ .title = "Would-deny", .numeric = true },
	{ .title = "Flows", .numeric = true },
	{ .title = "Peers", .numeric = true },
	{ .title = "First seen" },
	{ .title = "Last seen" },
	{ .title = "Lost events", .numeric = true },
	{ .title = "Why", .detail = true },
};

static void readiness_table(const struct np_analysis *analysis, struct table *table)
{
	*table = TABLE(readiness_columns);
	for (size_t i = 0; i < analysis->n_readiness; i++) {
		const struct np_readiness *row = &analysis->readiness[i];
		size_t policies = 0;

		for (size_t j = i + 1; !row->policy && j < analysis->n_readiness &&
				       analysis->readiness[j].policy; j++)
			policies++;
		TABLE_ROW(table,
			  row->policy ? xasprintf("%s/%s", row->namespace_name, row->policy)
				      : xasprintf("namespace %s (%zu polic%s)", row->namespace_name,
						policies, policies == 1 ? "y" : "ies"),
			  xstrdup(row->go ? "go" : "no-go"), count_text(row->would_deny),
			  xasprintf("%zu", row->flows), xasprintf("%zu", row->peers),
			  time_text(row->first_seen), time_text(row->last_seen),
			  count_text(analysis->lost), xstrdup(row->reason));
	}
}

static const struct column flow_columns[] = {
	{ .title = "Verdict" },
	{ .title = "Source" },
	{ .title = "Destination" },
	{ .title = "Port" },
	{ .title = "Count", .numeric = true },
	{ .title = "First seen" },
	{ .title = "Last seen" },
	{ .title = "Policies at fault" },
	{ .title = "Samples", .detail = true },
};

static int compare_flows(const void *a, const void *b)
{
	const struct np_report_flow *x = *(const struct np_report_flow *const *)a;
	const struct np_report_flow *y = *(const struct np_report_flow *const *)b;

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	if (x->last_seen != y->last_seen)
		return x->last_seen < y->last_seen ? 1 : -1;
	return (int)x->port - (int)y->port;
}

/* The flows the filter selects, most observed first. */
static const struct np_report_flow **selected_flows(const struct np_report *report,
						    const struct np_report_filter *filter,
						    size_t *n)
{
	const struct np_report_flow **list = xcalloc(report->n_flows, sizeof(*list));

	*n = 0;
	for (size_t i = 0; i < report->n_flows; i++)
		if (np_filter_selects(filter, &report->flows[i]))
			list[(*n)++] = &report->flows[i];
	if (*n > 1)
		qsort(list, *n, sizeof(*list), compare_flows);
	return list;
}

static void flows_table(const struct np_report *report, const struct np_report_filter *filter,
			struct table *table)
{
	size_t n;
	const struct np_report_flow **flows = selected_flows(report, filter, &n);

	*table = TABLE(flow_columns);
	for (size_t i = 0; i < n; i++)
		TABLE_ROW(table, xstrdup(flows[i]->verdict), end_text(&flows[i]->src),
			  destination_text(flows[i]),
			  xasprintf("%u/%s", flows[i]->port, flows[i]->protocol),
			  count_text(flows[i]->count), time_text(flows[i]->first_seen),
			  time_text(flows[i]->last_seen),
			  join(flows[i]->denied_by, flows[i]->n_denied_by, "-"),
			  samples_text(flows[i]));
	free(flows);
}

static const struct column unused_columns[] = {
	{ .title = "Policy" },
	{ .title = "Rule" },
	{ .title = "Admits peers" },
	{ .title = "Admits ports" },
};

static const struct column broad_columns[] = {
	{ .title = "Policy" },
	{ .title = "Rule" },
	{ .title = "Uses", .numeric = true },
	{ .title = "Peers seen", .numeric = true },
	{ .title = "Ports seen", .numeric = true },
	{ .title = "Why" },
};

static void rule_tables(const struct np_analysis *analysis, struct table *unused,
			struct table *broad)
{
	*unused = TABLE(unused_columns);
	*broad = TABLE(broad_columns);
	for (size_t i = 0; i < analysis->n_findings; i++) {
		const struct np_rule_finding *f = &analysis->findings[i];

		if (f->kind == NP_RULE_UNUSED)
			TABLE_ROW(unused, policy_text(f->policy), rule_text(f->rule),
				  admits_text(f->rule->admits_pods, "pod", "any address"),
				  admits_text(f->rule->admits_ports, "port", "every port"));
		else
			TABLE_ROW(broad, policy_text(f->policy), rule_text(f->rule),
				  count_text(f->uses), xasprintf("%zu", f->peers_seen),
				  xasprintf("%zu", f->ports_seen), broad_reason(f));
	}
}

/* Everything a format writes, built once. */
struct document {
	const struct np_report *report;
	const struct np_report_filter *filter;
	const struct np_analysis *analysis;
	struct table coverage, readiness, flows, unused, broad;
	char window[160];   /* "2024-05-01T10:00:00Z .. 2024-05-02T10:00:00Z (24h)" */
	char filters[1024]; /* "" when none */
	char verdicts[160]; /* the verdicts listed */
	char quiet[32];
	char lost[256];     /* "" when nothing was lost */
	char over_broad[96];
};

static void describe_filters(struct document *doc)
{
	const struct np_report_filter *f = doc->filter;
	struct np_text filters, verdicts;
	char when[32];

	np_text_init(&filters, doc->filters, sizeof(doc->filters));
	for (size_t i = 0; i < f->n_namespaces; i++)
		np_text_add(&filters, "%s%s", i ? ", " : "namespace ", f->namespaces[i]);
	if (f->since) {
		np_render_time(f->since, when, sizeof(when));
		np_text_add(&filters, "%ssince %s", filters.used ? "; " : "", when);
	}
	if (f->until) {
		np_render_time(f->until, when, sizeof(when));
		np_text_add(&filters, "%suntil %s", filters.used ? "; " : "", when);
	}
	np_text_init(&verdicts, doc->verdicts, sizeof(doc->verdicts));
	for (size_t i = 0; i < f->n_verdicts; i++)
		np_text_add(&verdicts, "%s%s", i ? ", " : "", f->verdicts[i]);
	for (size_t i = 0; f->n_verdicts == 0 && i < ARRAY_SIZE(every_verdict); i++)
		np_text_add(&verdicts, "%s%s", i ? ", " : "", every_verdict[i]);
}

static void document_build(struct document *doc, const struct np_report *report,
			   const struct np_report_filter *filter,
			   const struct np_analysis *analysis)
{
	char start[32], end[32], span[32];

	memset(doc, 0, sizeof(*doc));
	doc->report = report;
	doc->filter = filter;
	doc->analysis = analysis;
	coverage_table(report, &doc->coverage);
	readiness_table(analysis, &doc->readiness);
	flows_table(report, filter, &doc->flows);
	rule_tables(analysis, &doc->unused, &doc->broad);
	np_render_time(report->start, start, sizeof(start));
	np_render_time(report->end, end, sizeof(end));
	np_format_duration(report->end > report->start ? (long)(report->end - report->start) : 0,
			   span, sizeof(span));
	snprintf(doc->window, sizeof(doc->window), "%s .. %s (%s)", start, end, span);
	describe_filters(doc);
	snprintf(doc->over_broad, sizeof(doc->over_broad),
		 "admits at least %dx the peers or ports seen, and at least %d more",
		 NP_OVER_BROAD_FACTOR, NP_OVER_BROAD_MARGIN);
	np_format_duration(analysis->quiet_for, doc->quiet, sizeof(doc->quiet));
	if (analysis->lost) {
		char kinds[160];

		lost_kinds(&report->coverage, kinds, sizeof(kinds));
		snprintf(doc->lost, sizeof(doc->lost),
			 "%" PRIu64 " events were lost (%s): counts are lower bounds, and "
			 "\"no would-deny\" cannot be trusted",
			 analysis->lost, kinds);
	}
}

static void document_free(struct document *doc)
{
	table_free(&doc->coverage);
	table_free(&doc->readiness);
	table_free(&doc->flows);
	table_free(&doc->unused);
	table_free(&doc->broad);
}

static void readiness_rule(const struct document *doc, char *buf, size_t len)
{
	char end[32];

	np_render_time(doc->analysis->end, end, sizeof(end));
	snprintf(buf, len,
		 "go = no would-deny in the %s before %s, a window at least that long, "
		 "and no lost events",
		 doc->quiet, end);
}

/* ---- text ---------------------------------------------------------------- */

static void text_cell(FILE *out, const char *text)
{
	write_clean(out, text, put_plain);
}

static void text_table(FILE *out, const struct table *table, const char *none)
{
	size_t *width, last = 0;

	if (table->n_rows == 0) {
		fprintf(out, "  %s\n", none);
		return;
	}
	width = xcalloc(table->n_cols, sizeof(*width));
	for (size_t c = 0; c < table->n_cols; c++) {
		if (table->columns[c].detail)
			continue;
		last = c;
		width[c] = strlen(table->columns[c].title);
		for (size_t r = 0; r < table->n_rows; r++)
			if (strlen(cell(table, r, c)) > width[c])
				width[c] = strlen(cell(table, r, c));
	}
	for (size_t r = 0; r <= table->n_rows; r++) {
		for (size_t c = 0; c < table->n_cols; c++) {
			const char *text = r == 0 ? table->columns[c].title : cell(table, r - 1, c);
			int pad = (int)(width[c] - strlen(text));

			if (table->columns[c].detail)
				continue;
			fputs("  ", out);
			if (table->columns[c].numeric)
				fprintf(out, "%*s", pad, "");
			text_cell(out, text);
			if (!table->columns[c].numeric && c != last)
				fprintf(out, "%*s", pad, "");
		}
		fputc('\n', out);
		for (size_t c = 0; r > 0 && c < table->n_cols; c++) {
			if (!table->columns[c].detail)
				continue;
			fprintf(out, "      %s: ", table->columns[c].title);
			text_cell(out, cell(table, r - 1, c));
			fputc('\n', out);
		}
	}
	free(width);
}

static void render_text(FILE *out, const struct document *doc)
{
	char rule[256];

	fprintf(out, "npwatch report: %s, %zu node%s, %" PRIu64 " observations\n", doc->window,
		doc->report->n_nodes, doc->report->n_nodes == 1 ? "" : "s",
		doc->report->coverage.observations);
	if (doc->filters[0]) {
		fputs("filters: ", out);
		text_cell(out, doc->filters);
		fputc('\n', out);
	}
	fputs("\nCOVERAGE\n", out);
	text_table(out, &doc->coverage, "no snapshot");
	if (doc->lost[0])
		fprintf(out, "WARNING: %s\n", doc->lost);

	readiness_rule(doc, rule, sizeof(rule));
	fprintf(out, "\nREADY TO ENFORCE (%s)\n", rule);
	text_table(out, &doc->readiness, "no staged policy in the report");

	fprintf(out, "\nFLOWS (%s)\n", doc->verdicts);
	text_table(out, &doc->flows, "none");

	fputs("\nUNUSED RULES (no observed flow used them)\n", out);
	text_table(out, &doc->unused, "none");
	fprintf(out, "\nOVER-BROAD RULES (%s)\n", doc->over_broad);
	text_table(out, &doc->broad, "none");
}

/* ---- Markdown ------------------------------------------------------------ */

static void markdown_table(FILE *out, const struct table *table, const char *none)
{
	if (table->n_rows == 0) {
		fprintf(out, "_%s_\n\n", none);
		return;
	}
	for (size_t c = 0; c < table->n_cols; c++)
		fprintf(out, "| %s ", table->columns[c].title);
	fputs("|\n", out);
	for (size_t c = 0; c < table->n_cols; c++)
		fputs(table->columns[c].numeric ? "|---:" : "|---", out);
	fputs("|\n", out);
	for (size_t r = 0; r < table->n_rows; r++) {
		for (size_t c = 0; c < table->n_cols; c++) {
			fputs("| ", out);
			np_render_markdown_cell(out, cell(table, r, c));
			fputc(' ', out);
		}
		fputs("|\n", out);
	}
	fputc('\n', out);
}

static void render_markdown(FILE *out, const struct document *doc)
{
	char rule[256];

	fputs("## npwatch report\n\n", out);
	fprintf(out, "**Window** %s · **Nodes** %zu · **Observations** %" PRIu64 "\n\n",
		doc->window, doc->report->n_nodes, doc->report->coverage.observations);
	if (doc->filters[0]) {
		fputs("**Filters** ", out);
		np_render_markdown_cell(out, doc->filters);
		fputs("\n\n", out);
	}
	if (doc->lost[0])
		fprintf(out, "> **Warning:** %s.\n\n", doc->lost);
	fputs("### Coverage\n\n", out);
	markdown_table(out, &doc->coverage, "no snapshot");

	readiness_rule(doc, rule, sizeof(rule));
	fprintf(out, "### Ready to enforce\n\n%s.\n\n", rule);
	markdown_table(out, &doc->readiness, "No staged policy in the report.");

	fputs("### Flows\n\nVerdicts: ", out);
	np_render_markdown_cell(out, doc->verdicts);
	fputs(".\n\n", out);
	markdown_table(out, &doc->flows, "None.");

	fputs("### Unused rules\n\nNo observed flow used these rules.\n\n", out);
	markdown_table(out, &doc->unused, "None.");
	fprintf(out, "### Over-broad rules\n\nEach %s.\n\n", doc->over_broad);
	markdown_table(out, &doc->broad, "None.");
}

/* ---- HTML ---------------------------------------------------------------- */

static const char html_style[] =
	"body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}"
	"h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em}"
	"table{border-collapse:collapse;margin:.5em 0}"
	"th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}"
	"th{background:#f3f3f3}td.num{text-align:right}"
	"table.sortable th{cursor:pointer}table.sortable th:hover{background:#e4e4e4}"
	".warning{background:#fff3cd;border:1px solid #e0b000;padding:.5em 1em}"
	".go{color:#176a2d;font-weight:bold}.no-go{color:#a50f15;font-weight:bold}"
	".note{color:#555}";

/* Sorts a table by the clicked header: numbers high to low first, text A
 * to Z first, the other way on the next click. */
static const char html_script[] =
	"//<![CDATA[\n"
	"(function () {\n"
	"  function key(row, col, numeric) {\n"
	"    var text = row.cells[col].textContent;\n"
	"    return numeric ? (parseFloat(text) || 0) : text;\n"
	"  }\n"
	"  var tables = document.querySelectorAll('table.sortable');\n"
	"  Array.prototype.forEach.call(tables, function (table) {\n"
	"    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, col) {\n"
	"      th.addEventListener('click', function () {\n"
	"        var numeric = th.className === 'num';\n"
	"        var down = th.getAttribute('data-order') !== 'down';\n"
	"        var body = table.tBodies[0];\n"
	"        var rows = Array.prototype.slice.call(body.rows);\n"
	"        rows.sort(function (a, b) {\n"
	"          var x = key(a, col, numeric), y = key(b, col, numeric);\n"
	"          var order = x < y ? -1 : x > y ? 1 : 0;\n"
	"          return down === numeric ? -order : order;\n"
	"        });\n"
	"        rows.forEach(function (row) { body.appendChild(row); });\n"
	"        th.setAttribute('data-order', down ? 'down' : 'up');\n"
	"      });\n"
	"    });\n"
	"  });\n"
	"})();\n"
	"//]]>\n";

static void html_table(FILE *out, const struct table *table, const char *none, bool sortable)
{
	if (table->n_rows == 0) {
		fprintf(out, "<p class=\"note\">%s</p>\n", none);
		return;
	}
	fprintf(out, "<table%s>\n<thead><tr>", sortable ? " class=\"sortable\"" : "");
	for (size_t c = 0; c < table->n_cols; c++)
		fprintf(out, "<th%s>%s</th>", table->columns[c].numeric ? " class=\"num\"" : "",
			table->columns[c].title);
	fputs("</tr></thead>\n<tbody>\n", out);
	for (size_t r = 0; r < table->n_rows; r++) {
		fputs("<tr>", out);
		for (size_t c = 0; c < table->n_cols; c++) {
			const char *text = cell(table, r, c);

			if (table->columns[c].numeric)
				fputs("<td class=\"num\">", out);
			else if (table->columns[c].readiness)
				fprintf(out, "<td class=\"%s\">",
					strcmp(text, "go") == 0 ? "go" : "no-go");
			else
				fputs("<td>", out);
			html(out, text);
			fputs("</td>", out);
		}
		fputs("</tr>\n", out);
	}
	fputs("</tbody>\n</table>\n", out);
}

/* The heat map: sources down, destinations across, one cell per pair of the
 * namespaces seen in scope; nodes and the world have a row and column each
 * (in parentheses, which no namespace name can hold). */
struct heatmap {
	const char **labels;
	size_t n;
	uint64_t *counts; /* n * n, [src * n + dst] */
	size_t *flows;
	uint64_t max;
};

#define HEAT_NODE "(node)"
#define HEAT_WORLD "(world)"
#define HEAT_CELL 30
#define HEAT_CHAR 7 /* px per character of a label, roughly */

static const char *heat_label(const struct np_report_end *end)
{
	switch (end->kind) {
	case NP_REPORT_POD: return end->namespace_name ? end->namespace_name : "?";
	case NP_REPORT_NODE: return HEAT_NODE;
	case NP_REPORT_WORLD: return HEAT_WORLD;
	}
	return "?";
}

/* Namespaces by name, then nodes, then the world. */
static int compare_labels(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	bool x_special = x[0] == '(', y_special = y[0] == '(';

	if (x_special != y_special)
		return x_special ? 1 : -1;
	if (x_special)
		return strcmp(x, HEAT_NODE) == 0 ? (strcmp(y, HEAT_NODE) != 0 ? -1 : 0)
						 : (strcmp(y, HEAT_NODE) == 0 ? 1 : 0);
	return strcmp(x, y);
}

static size_t heat_index(const struct heatmap *map, const char *label)
{
	for (size_t i = 0; i < map->n; i++)
		if (strcmp(map->labels[i], label) == 0)
			return i;
	return map->n;
}

static void heatmap_build(struct heatmap *map, const struct np_report *report,
			  const struct np_report_filter *filter)
{
	const char **labels = xcalloc(2 * report->n_flows, sizeof(*labels));
	size_t n = 0;

	memset(map, 0, sizeof(*map));
	for (size_t i = 0; i < report->n_flows; i++) {
		if (!np_filter_in_scope(filter, &report->flows[i]))
			continue;
		labels[n++] = heat_label(&report->flows[i].src);
		labels[n++] = heat_label(&report->flows[i].dst);
	}
	if (n > 1)
		qsort(labels, n, sizeof(*labels), compare_labels);
	for (size_t i = 0; i < n; i++)
		if (map->n == 0 || strcmp(labels[map->n - 1], labels[i]) != 0)
			labels[map->n++] = labels[i];
	map->labels = labels;
	map->counts = xcalloc(map->n * map->n, sizeof(*map->counts));
	map->flows = xcalloc(map->n * map->n, sizeof(*map->flows));
	for (size_t i = 0; i < report->n_flows; i++) {
		const struct np_report_flow *flow = &report->flows[i];
		size_t at;

		if (!np_filter_in_scope(filter, flow) || strcmp(flow->verdict, "would-deny") != 0)
			continue;
		at = heat_index(map, heat_label(&flow->src)) * map->n +
		     heat_index(map, heat_label(&flow->dst));
		map->counts[at] += flow->count;
		map->flows[at]++;
		if (map->counts[at] > map->max)
			map->max = map->counts[at];
	}
}

static void heatmap_free(struct heatmap *map)
{
	free(map->labels);
	free(map->counts);
	free(map->flows);
}

static unsigned bit_length(uint64_t value)
{
	unsigned bits = 0;

	for (; value; value >>= 1)
		bits++;
	return bits;
}

/* Light to dark red on a logarithmic scale; grey for none. */
static void heat_colour(uint64_t count, uint64_t max, char *buf, size_t len)
{
	static const int light[3] = { 0xfe, 0xe0, 0xd2 }, dark[3] = { 0xa5, 0x0f, 0x15 };
	unsigned steps = bit_length(max);
	int rgb[3];

	if (count == 0) {
		snprintf(buf, len, "#f2f2f2");
		return;
	}
	for (int i = 0; i < 3; i++)
		rgb[i] = light[i] + (dark[i] - light[i]) * (int)bit_length(count) / (int)steps;
	snprintf(buf, len, "#%02x%02x%02x", rgb[0], rgb[1], rgb[2]);
}

static void short_count(uint64_t count, char *buf, size_t len)
{
	if (count < 1000)
		snprintf(buf, len, "%" PRIu64, count);
	else if (count < 1000000)
		snprintf(buf, len, "%" PRIu64 "k", count / 1000);
	else
		snprintf(buf, len, "%" PRIu64 "M", count / 1000000);
}

static void heat_cell(FILE *out, const struct heatmap *map, size_t src, size_t dst, int x0, int y0)
{
	uint64_t count = map->counts[src * map->n + dst];
	size_t flows = map->flows[src * map->n + dst];
	int x = x0 + (int)dst * HEAT_CELL, y = y0 + (int)src * HEAT_CELL;
	char colour[16], label[16];

	heat_colour(count, map->max, colour, sizeof(colour));
	fprintf(out,
		"<rect class=\"cell\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\">"
		"<title>",
		x, y, HEAT_CELL - 1, HEAT_CELL - 1, colour);
	html(out, map->labels[src]);
	fputs(" \xe2\x86\x92 ", out);
	html(out, map->labels[dst]);
	fprintf(out, ": %" PRIu64 " would-deny in %zu flow%s</title></rect>\n", count, flows,
		flows == 1 ? "" : "s");
	if (count == 0)
		return;
	short_count(count, label, sizeof(label));
	fprintf(out,
		"<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"10\" "
		"pointer-events=\"none\" fill=\"%s\">%s</text>\n",
		x + HEAT_CELL / 2, y + HEAT_CELL / 2 + 4,
		bit_length(count) * 2 > bit_length(map->max) ? "#fff" : "#222", label);
}

static void heatmap_svg(FILE *out, const struct heatmap *map)
{
	size_t longest = 0;

	for (size_t i = 0; i < map->n; i++)
		if (strlen(map->labels[i]) > longest)
			longest = strlen(map->labels[i]);
	int left = (int)longest * HEAT_CHAR + 12, top = (int)longest * HEAT_CHAR * 3 / 4 + 16;
	int side = (int)map->n * HEAT_CELL;

	fprintf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		     "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n",
		left + side + top, top + side + 8, left + side + top, top + side + 8);
	for (size_t i = 0; i < map->n; i++) {
		int row_y = top + (int)i * HEAT_CELL + HEAT_CELL / 2 + 4;
		int col_x = left + (int)i * HEAT_CELL + HEAT_CELL / 2;

		fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", left - 6, row_y);
		html(out, map->labels[i]);
		fprintf(out, "</text>\n<text x=\"%d\" y=\"%d\" transform=\"rotate(-45 %d %d)\">",
			col_x, top - 6, col_x, top - 6);
		html(out, map->labels[i]);
		fputs("</text>\n", out);
	}
	for (size_t src = 0; src < map->n; src++)
		for (size_t dst = 0; dst < map->n; dst++)
			heat_cell(out, map, src, dst, left, top);
	fputs("</svg>\n", out);
}

/* Text as the body of a single-quoted JavaScript string inside a script
 * element: no quote, backslash, line break or "</" (which ends a script in
 * HTML4 parsers) left as it is. */
static void write_js_string(FILE *out, const char *text)
{
	for (const char *c = text; *c; c++) {
		if (*c == '\\' || *c == '\'') {
			fprintf(out, "\\%c", *c);
		} else if (*c == '\n') {
			fputs("\\n", out);
		} else if (*c == '<' && c[1] == '/') {
			fputs("<\\", out);
		} else if (strncmp(c, "\xe2\x80\xa8", 3) == 0 ||
			   strncmp(c, "\xe2\x80\xa9", 3) == 0) {
			/* Line separators end a string in older JavaScript. */
			fprintf(out, "\\u%s", c[2] == '\xa8' ? "2028" : "2029");
			c += 2;
		} else {
			fputc(*c, out);
		}
	}
}

/* The heat map is inline SVG put in place by a line of script: HTML4
 * parsers (libxml2's among them) reject SVG element names in the markup,
 * and a script's text is the one place they leave alone. */
static void html_heatmap(FILE *out, const struct document *doc)
{
	struct heatmap map;
	char *svg;
	size_t len;
	FILE *buf;

	heatmap_build(&map, doc->report, doc->filter);
	fputs("<h2>Would-be-blocked flows by namespace</h2>\n", out);
	if (map.n == 0) {
		fputs("<p class=\"note\">No flow in scope.</p>\n", out);
		heatmap_free(&map);
		return;
	}
	buf = open_memstream(&svg, &len);
	if (!buf)
		abort();
	heatmap_svg(buf, &map);
	fclose(buf);
	fputs("<p class=\"note\">Rows: source; columns: destination; colour: would-deny "
	      "observations (darker is more). Hover over a cell for its numbers.</p>\n"
	      "<div id=\"heatmap\"></div>\n"
	      "<noscript><p class=\"note\">The heat map needs JavaScript; the tables below carry "
	      "the same numbers.</p></noscript>\n"
	      "<script>\n//<![CDATA[\ndocument.getElementById('heatmap').innerHTML = '", out);
	write_js_string(out, svg);
	fputs("';\n//]]>\n</script>\n", out);
	free(svg);
	heatmap_free(&map);
}

static void render_html(FILE *out, const struct document *doc)
{
	char rule[256];

	fputs("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n"
	      "<meta charset=\"utf-8\"/>\n<title>npwatch report</title>\n<style>", out);
	fputs(html_style, out);
	fputs("</style>\n</head>\n<body>\n<h1>npwatch report</h1>\n<p>", out);
	html(out, doc->window);
	fprintf(out, " · %zu node%s · %" PRIu64 " observations</p>\n", doc->report->n_nodes,
		doc->report->n_nodes == 1 ? "" : "s", doc->report->coverage.observations);
	if (doc->filters[0]) {
		fputs("<p>Filters: ", out);
		html(out, doc->filters);
		fputs("</p>\n", out);
	}
	if (doc->lost[0]) {
		fputs("<p class=\"warning\"><strong>Warning:</strong> ", out);
		html(out, doc->lost);
		fputs(".</p>\n", out);
	}
	fputs("<h2>Coverage</h2>\n", out);
	html_table(out, &doc->coverage, "No snapshot.", false);

	html_heatmap(out, doc);

	readiness_rule(doc, rule, sizeof(rule));
	fputs("<h2>Ready to enforce</h2>\n<p class=\"note\">", out);
	html(out, rule);
	fputs(".</p>\n", out);
	html_table(out, &doc->readiness, "No staged policy in the report.", false);

	fputs("<h2>Flows</h2>\n<p class=\"note\">Verdicts: ", out);
	html(out, doc->verdicts);
	fputs(". Click a header to sort.</p>\n", out);
	html_table(out, &doc->flows, "None.", true);

	fputs("<h2>Unused rules</h2>\n<p class=\"note\">No observed flow used these rules.</p>\n",
	      out);
	html_table(out, &doc->unused, "None.", false);
	fputs("<h2>Over-broad rules</h2>\n<p class=\"note\">Each ", out);
	html(out, doc->over_broad);
	fputs(".</p>\n", out);
	html_table(out, &doc->broad, "None.", false);

	fprintf(out, "<script>\n%s</script>\n</body>\n</html>\n", html_script);
}

/* ---- JSON ---------------------------------------------------------------- */

static json_t *coverage_json(const struct np_coverage *c)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "observations",
			 (json_int_t)c->observations, "ringbuf_lost", (json_int_t)c->ringbuf_lost,
			 "socket_map_lost", (json_int_t)c->socket_map_lost, "dedup_map_lost",
			 (json_int_t)c->dedup_map_lost, "undecodable", (json_int_t)c->undecodable,
			 "tracker_lost", (json_int_t)c->tracker_lost, "aggregate_overflow",
			 (json_int_t)c->aggregate_overflow, "lost",
			 (json_int_t)np_coverage_lost(c));
}

json_t *np_render_end_json(const struct np_report_end *end)
{
	json_t *obj = json_object();

	json_object_set_new(obj, "kind", json_string(np_report_end_kind_name(end->kind)));
	json_object_set_new(obj, "namespace", jstring(end->namespace_name));
	json_object_set_new(obj, "workload", jstring(end->workload));
	json_object_set_new(obj, "ip", jstring(end->ip));
	return obj;
}

static json_t *strings_json(char *const *items, size_t n)
{
	json_t *array = json_array();

	for (size_t i = 0; i < n; i++)
		if (items[i])
			json_array_append_new(array, jstring(items[i]));
	return array;
}

json_t *np_render_flow_json(const struct np_report_flow *flow)
{
	json_t *obj = json_object(), *rules = json_array();

	json_object_set_new(obj, "src", np_render_end_json(&flow->src));
	json_object_set_new(obj, "dst", np_render_end_json(&flow->dst));
	json_object_set_new(obj, "service", jstring(flow->service));
	json_object_set_new(obj, "port", json_integer(flow->port));
	json_object_set_new(obj, "protocol", jstring(flow->protocol));
	json_object_set_new(obj, "verdict", jstring(flow->verdict));
	json_object_set_new(obj, "denied_by", strings_json(flow->denied_by, flow->n_denied_by));
	for (size_t i = 0; i < flow->n_rules_used; i++) {
		const struct np_rule_use *use = &flow->rules_used[i];

		json_array_append_new(rules, json_pack("{s:o, s:b, s:s, s:i}", "policy",
						       jstring(use->policy), "staged", use->staged,
						       "direction", direction_name(use->ingress),
						       "rule", use->rule));
	}
	json_object_set_new(obj, "rules_used", rules);
	json_object_set_new(obj, "count", json_integer((json_int_t)flow->count));
	json_object_set_new(obj, "first_seen", time_json(flow->first_seen));
	json_object_set_new(obj, "last_seen", time_json(flow->last_seen));
	json_object_set_new(obj, "sample_src_pods",
			    strings_json(flow->sample_src_pods, NP_REPORT_SAMPLES));
	json_object_set_new(obj, "sample_dst_pods",
			    strings_json(flow->sample_dst_pods, NP_REPORT_SAMPLES));
	json_object_set_new(obj, "sample_processes",
			    strings_json(flow->sample_processes, NP_REPORT_SAMPLES));
	return obj;
}

static json_t *policy_json(const struct np_report_policy *policy)
{
	json_t *rules = json_array();

	for (size_t i = 0; i < policy->n_rules; i++) {
		const struct np_report_rule *rule = &policy->rules[i];

		json_array_append_new(rules,
				      json_pack("{s:s, s:i, s:I, s:I}", "direction",
						direction_name(rule->ingress), "index", rule->index,
						"admits_pods", (json_int_t)rule->admits_pods,
						"admits_ports", (json_int_t)rule->admits_ports));
	}
	return json_pack("{s:o, s:o, s:b, s:o, s:o}", "namespace", jstring(policy->namespace_name),
			 "name", jstring(policy->name), "staged", policy->staged, "file",
			 jstring(policy->file), "rules", rules);
}

static json_t *readiness_json(const struct np_analysis *analysis)
{
	json_t *rows = json_array();

	for (size_t i = 0; i < analysis->n_readiness; i++) {
		const struct np_readiness *row = &analysis->readiness[i];

		json_array_append_new(
			rows,
			json_pack("{s:o, s:o, s:I, s:I, s:I, s:o, s:o, s:I, s:b, s:s}", "namespace",
				  jstring(row->namespace_name), "policy", jstring(row->policy),
				  "would_deny", (json_int_t)row->would_deny, "flows",
				  (json_int_t)row->flows, "peers", (json_int_t)row->peers,
				  "first_seen", time_json(row->first_seen), "last_seen",
				  time_json(row->last_seen), "lost", (json_int_t)analysis->lost,
				  "go", row->go, "reason", row->reason));
	}
	return json_pack("{s:I, s:o, s:o, s:o}", "quiet_for", (json_int_t)analysis->quiet_for,
			 "window_start", time_json(analysis->start), "window_end",
			 time_json(analysis->end), "rows", rows);
}

static json_t *finding_json(const struct np_rule_finding *f)
{
	char id[NP_POLICY_ID_MAX];
	char *field = rule_text(f->rule);
	json_t *obj;

	np_report_policy_id(f->policy, id, sizeof(id));
	obj = json_pack("{s:o, s:b, s:s, s:i, s:s, s:I, s:I}", "policy", jstring(id), "staged",
			f->policy->staged, "direction", direction_name(f->rule->ingress), "rule",
			f->rule->index, "field", field, "admits_pods",
			(json_int_t)f->rule->admits_pods, "admits_ports",
			(json_int_t)f->rule->admits_ports);
	free(field);
	if (f->kind == NP_RULE_OVER_BROAD) {
		char *reason = broad_reason(f);

		json_object_set_new(obj, "uses", json_integer((json_int_t)f->uses));
		json_object_set_new(obj, "peers_seen", json_integer((json_int_t)f->peers_seen));
		json_object_set_new(obj, "ports_seen", json_integer((json_int_t)f->ports_seen));
		json_object_set_new(obj, "broad_peers", json_boolean(f->broad_peers));
		json_object_set_new(obj, "broad_ports", json_boolean(f->broad_ports));
		json_object_set_new(obj, "reason", json_string(reason));
		free(reason);
	}
	return obj;
}

static json_t *filter_json(const struct np_report_filter *filter)
{
	json_t *namespaces = json_array(), *verdicts = json_array();

	for (size_t i = 0; i < filter->n_namespaces; i++)
		json_array_append_new(namespaces, jstring(filter->namespaces[i]));
	for (size_t i = 0; i < filter->n_verdicts; i++)
		json_array_append_new(verdicts, jstring(filter->verdicts[i]));
	for (size_t i = 0; filter->n_verdicts == 0 && i < ARRAY_SIZE(every_verdict); i++)
		json_array_append_new(verdicts, json_string(every_verdict[i]));
	return json_pack("{s:o, s:o, s:o, s:o}", "namespaces", namespaces, "verdicts", verdicts,
			 "since", time_json(filter->since), "until", time_json(filter->until));
}

json_t *np_render_json(const struct np_report *report, const struct np_report_filter *filter,
		       const struct np_analysis *analysis)
{
	json_t *root = json_object(), *nodes = json_array(), *policies = json_array();
	json_t *flows = json_array(), *unused = json_array(), *broad = json_array();

	json_object_set_new(root, "format", json_string(NP_REPORT_FORMAT));
	json_object_set_new(root, "version", json_integer(NP_REPORT_VERSION));
	json_object_set_new(root, "start", time_json(report->start));
	json_object_set_new(root, "end", time_json(report->end));
	for (size_t i = 0; i < report->n_nodes; i++)
		json_array_append_new(nodes, json_pack("{s:o, s:o, s:o, s:o}", "node",
						       jstring(report->nodes[i].name), "start",
						       time_json(report->nodes[i].start), "end",
						       time_json(report->nodes[i].end), "coverage",
						       coverage_json(&report->nodes[i].coverage)));
	json_object_set_new(root, "nodes", nodes);
	json_object_set_new(root, "coverage", coverage_json(&report->coverage));
	json_object_set_new(root, "filter", filter_json(filter));
	for (size_t i = 0; i < report->n_policies; i++)
		json_array_append_new(policies, policy_json(&report->policies[i]));
	json_object_set_new(root, "policies", policies);
	for (size_t i = 0; i < report->n_flows; i++)
		if (np_filter_selects(filter, &report->flows[i]))
			json_array_append_new(flows, np_render_flow_json(&report->flows[i]));
	json_object_set_new(root, "flows", flows);
	json_object_set_new(root, "ready_to_enforce", readiness_json(analysis));
	for (size_t i = 0; i < analysis->n_findings; i++)
		json_array_append_new(analysis->findings[i].kind == NP_RULE_UNUSED ? unused : broad,
				      finding_json(&analysis->findings[i]));
	json_object_set_new(root, "unused_rules", unused);
	json_object_set_new(root, "over_broad_rules", broad);
	return root;
}

/* ---- entry points -------------------------------------------------------- */

bool np_render_format_parse(const char *text, enum np_render_format *out)
{
	static const char *const names[] = { "text", "markdown", "json", "html" };

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		if (strcmp(text, names[i]) == 0) {
			*out = (enum np_render_format)i;
			return true;
		}
	}
	return false;
}

int np_render(FILE *out, enum np_render_format format, const struct np_report *report,
	      const struct np_report_filter *filter, const struct np_analysis *analysis)
{
	struct document doc;

	if (format == NP_RENDER_JSON) {
		json_t *root = np_render_json(report, filter, analysis);
		int rc = json_dumpf(root, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

		json_decref(root);
		fputc('\n', out);
		return rc == 0 && fflush(out) == 0 && !ferror(out) ? 0 : -1;
	}
	document_build(&doc, report, filter, analysis);
	if (format == NP_RENDER_TEXT)
		render_text(out, &doc);
	else if (format == NP_RENDER_MARKDOWN)
		render_markdown(out, &doc);
	else
		render_html(out, &doc);
	document_free(&doc);
	return fflush(out) == 0 && !ferror(out) ? 0 : -1;
}
