/* reportcmd — `npwatch report`: merges observation-window snapshots and
 * renders what they say.
 *
 * A snapshot that cannot be read is named on stderr with the reason and
 * left out; the others are still merged and rendered, and the exit status
 * says that something was left out.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "readiness.h"
#include "render.h"
#include "report.h"

static const char *const verdict_names[] = { "allow", "would-deny", "deny-attempt",
					     "enforcement-gap", "deny" };
#define N_VERDICTS (sizeof(verdict_names) / sizeof(verdict_names[0]))

struct report_options {
	struct np_path_list files;
	struct np_path_list namespaces;
	struct np_path_list verdicts;
	const char *since, *until;
	long quiet_for;
	enum np_render_format format;
};

static const char report_usage[] =
	"Usage: npwatch report FILE... [-o text|markdown|json|html] [-n NAMESPACE]...\n"
	"                      [--verdict V]... [--since T] [--until T] [--quiet-for D]\n"
	"\n"
	"Merges observation-window snapshots (written by `npwatch run --report-dir`)\n"
	"from any number of nodes and intervals, and shows what would break if the\n"
	"staged policies were enforced.\n"
	"\n"
	"  FILE                  a snapshot, or a folder: every snapshot in it\n"
	"                        (*.json.gz); counts are summed, first and last seen kept\n"
	"  -o, --output FORMAT   text (default), markdown (a PR or CI comment), json,\n"
	"                        or html (one self-contained page with a heat map)\n"
	"  -n, --namespace NS    only flows with either end in NS; repeatable\n"
	"      --verdict V       list flows of verdict V: allow, would-deny,\n"
	"                        deny-attempt, enforcement-gap, deny, or all;\n"
	"                        repeatable (default: every verdict but allow)\n"
	"      --since T         only flows seen at or after T: RFC 3339\n"
	"                        (2024-05-01T10:00:00Z) or a time ago (2h, 30m, 7d)\n"
	"      --until T         only flows seen at or before T; the window ends there\n"
	"      --quiet-for D     how long a staged policy must cause no would-deny to\n"
	"                        be ready to enforce: 30m, 24h, 7d, 1h30m (default 24h)\n"
	"  -h, --help            this help\n"
	"\n"
	"The report shows, in this order:\n"
	"  coverage          the window, nodes, observations, and events lost per node\n"
	"                    and kind; with any loss, counts are lower bounds\n"
	"  ready to enforce  per namespace and per staged policy: the would-deny flows\n"
	"                    it caused (count, distinct peer workloads, first and last\n"
	"                    seen), and go when none in the last --quiet-for of a\n"
	"                    window at least that long, with no events lost\n"
	"  flows             the flows --verdict selects, most observed first, with\n"
	"                    the policies at fault and sample pods and processes\n"
	"  unused rules      rules of the policies in force or staged no flow used\n"
	"  over-broad rules  rules that admit at least 4x the peers or ports seen\n"
	"                    and at least 10 more (any address counts as broad when\n"
	"                    every peer seen was in the cluster)\n"
	"The namespace and time filters apply to every section; --verdict to the\n"
	"flows listed. The heat map counts would-deny flows.\n"
	"\n"
	"Exit status: 0 done, 1 the output could not be written, 2 bad usage or a\n"
	"snapshot that could not be read (named on stderr; the others are shown).\n";

static bool known_verdict(const char *name)
{
	for (size_t i = 0; i < N_VERDICTS; i++)
		if (strcmp(name, verdict_names[i]) == 0)
			return true;
	return false;
}

static int parse_options(int argc, char **argv, struct report_options *opts)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "namespace", required_argument, NULL, 'n' },
		{ "verdict", required_argument, NULL, 'V' },
		{ "since", required_argument, NULL, 'S' },
		{ "until", required_argument, NULL, 'U' },
		{ "quiet-for", required_argument, NULL, 'Q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "o:n:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			if (!np_render_format_parse(optarg, &opts->format))
				return np_cli_usage_error(
					"report", "-o %s: expected text, markdown, json or html",
					optarg);
			break;
		case 'n': np_path_list_add(&opts->namespaces, optarg); break;
		case 'V':
			if (strcmp(optarg, "all") != 0 && !known_verdict(optarg))
				return np_cli_usage_error(
					"report",
					"--verdict %s: expected allow, would-deny, deny-attempt, "
					"enforcement-gap, deny or all",
					optarg);
			np_path_list_add(&opts->verdicts, optarg);
			break;
		case 'S': opts->since = optarg; break;
		case 'U': opts->until = optarg; break;
		case 'Q':
			if (!np_parse_duration(optarg, &opts->quiet_for))
				return np_cli_usage_error("report",
							  "--quiet-for %s: expected a duration "
							  "such as 30m, 24h or 7d",
							  optarg);
			break;
		case 'h': fputs(report_usage, stdout); exit(NP_EXIT_OK);
		default: return np_cli_usage_error("report", "bad option");
		}
	}
	for (; optind < argc; optind++)
		np_path_list_add(&opts->files, argv[optind]);
	if (opts->files.count == 0)
		return np_cli_usage_error("report", "no snapshots: give at least one FILE");
	return NP_EXIT_OK;
}

static int parse_window(const struct report_options *opts, struct np_report_filter *filter)
{
	time_t now = time(NULL);

	if (opts->since && !np_parse_time(opts->since, now, &filter->since))
		return np_cli_usage_error("report",
					  "--since %s: expected RFC 3339 (2024-05-01T10:00:00Z) "
					  "or a time ago (2h)",
					  opts->since);
	if (opts->until && !np_parse_time(opts->until, now, &filter->until))
		return np_cli_usage_error("report",
					  "--until %s: expected RFC 3339 (2024-05-01T10:00:00Z) "
					  "or a time ago (2h)",
					  opts->until);
	if (filter->since && filter->until && filter->since > filter->until)
		return np_cli_usage_error("report", "--since %s is after --until %s", opts->since,
					  opts->until);
	return NP_EXIT_OK;
}

/* "all" stands for every verdict, allow included. */
static void select_verdicts(const struct report_options *opts, struct np_report_filter *filter)
{
	for (size_t i = 0; i < opts->verdicts.count; i++) {
		if (strcmp(opts->verdicts.paths[i], "all") == 0) {
			filter->verdicts = verdict_names;
			filter->n_verdicts = N_VERDICTS;
			return;
		}
	}
	filter->verdicts = opts->verdicts.paths;
	filter->n_verdicts = opts->verdicts.count;
}

int np_cmd_report(int argc, char **argv)
{
	struct report_options opts = { .quiet_for = NP_DEFAULT_QUIET_FOR };
	struct np_report_filter filter = { 0 };
	struct np_report report;
	struct np_analysis analysis;
	size_t bad;
	int status = parse_options(argc, argv, &opts);

	if (status == NP_EXIT_OK)
		status = parse_window(&opts, &filter);
	if (status != NP_EXIT_OK)
		goto out;
	filter.namespaces = opts.namespaces.paths;
	filter.n_namespaces = opts.namespaces.count;
	select_verdicts(&opts, &filter);

	np_report_init(&report);
	bad = np_cli_merge_reports("report", &report, &opts.files);
	if (bad > 0 && report.n_nodes == 0) {
		fprintf(stderr, "npwatch report: no snapshot could be read\n");
		status = NP_EXIT_USAGE;
	} else {
		np_analyze(&report, &filter, opts.quiet_for, &analysis);
		if (np_render(stdout, opts.format, &report, &filter, &analysis) != 0) {
			fprintf(stderr, "npwatch report: writing the report failed: %m\n");
			status = NP_EXIT_FAILURE;
		} else if (bad > 0) {
			fprintf(stderr,
				"npwatch report: %zu snapshot%s could not be read; the report "
				"leaves %s out\n",
				bad, bad == 1 ? "" : "s", bad == 1 ? "it" : "them");
			status = NP_EXIT_USAGE;
		}
		np_analysis_free(&analysis);
	}
	np_report_free(&report);
out:
	np_path_list_free(&opts.files);
	np_path_list_free(&opts.namespaces);
	np_path_list_free(&opts.verdicts);
	return status;
}
