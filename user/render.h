/* render — a merged report and its analyses as text (a terminal), Markdown
 * (a pull request or CI comment), JSON (programs) or HTML (one
 * self-contained page: a heat map of would-be-blocked flows by namespace,
 * the ready-to-enforce table, the flows table sortable by column).
 *
 * Every format says the same things in the same order: coverage first
 * (with a warning when events were lost: every count is then a lower
 * bound), ready to enforce, the flows the filter selects, unused and
 * over-broad rules. Every string from the report is escaped for the format.
 */
#ifndef NPWATCH_RENDER_H
#define NPWATCH_RENDER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "readiness.h"
#include "report.h"

enum np_render_format { NP_RENDER_TEXT, NP_RENDER_MARKDOWN, NP_RENDER_JSON, NP_RENDER_HTML };

/* "text", "markdown", "json", "html". */
bool np_render_format_parse(const char *text, enum np_render_format *out);

/* Writes the report to out. Returns 0, or -1 when writing failed. */
int np_render(FILE *out, enum np_render_format format, const struct np_report *report,
	      const struct np_report_filter *filter, const struct np_analysis *analysis);

/* The JSON form: the report with the selected flows, the filter, and the
 * analyses ("ready_to_enforce", "unused_rules", "over_broad_rules"). */
json_t *np_render_json(const struct np_report *report, const struct np_report_filter *filter,
		       const struct np_analysis *analysis);

/* Pieces shared with `diff`. */

/* RFC 3339 in UTC, "2024-05-01T10:00:00Z"; "-" for 0. */
void np_render_time(time_t when, char *buf, size_t len);
/* "production/Deployment/web", "node n1 (192.168.0.10)", "192.0.2.7". */
void np_render_end(const struct np_report_end *end, char *buf, size_t len);
/* A flow end and a whole flow in the snapshot schema (report.h). */
json_t *np_render_end_json(const struct np_report_end *end);
json_t *np_render_flow_json(const struct np_report_flow *flow);
/* Text for a Markdown table cell: | \ ` * _ [ ] escaped, < > & as
 * entities, line breaks as spaces. */
void np_render_markdown_cell(FILE *out, const char *text);

#endif
