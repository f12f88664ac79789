/* main — the npwatch program: dispatches to a subcommand. */
#include <stdio.h>
#include <string.h>

#include "commands.h"

struct subcommand {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct subcommand subcommands[] = {
	{ "run", np_cmd_run, "the daemon: observe this node's flows with eBPF and judge them" },
	{ "check", np_cmd_check, "judge flows against NetworkPolicy manifests, offline" },
	{ "report", np_cmd_report, "merge observation snapshots: what would break, what is ready" },
	{ "diff", np_cmd_diff, "judge a policy change against the traffic observed" },
	{ "lint", np_cmd_lint, "find NetworkPolicy mistakes before they cause outages" },
	{ "suggest", np_cmd_suggest, "allow policies that would keep observed traffic working" },
};

static void usage(FILE *out)
{
	fprintf(out, "Usage: npwatch COMMAND [OPTIONS]\n"
		     "\n"
		     "Observes connections with eBPF and judges them against Kubernetes\n"
		     "NetworkPolicies, before enforcement and after it.\n"
		     "\n"
		     "Commands:\n");
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		fprintf(out, "  %-8s %s\n", subcommands[i].name, subcommands[i].summary);
	fprintf(out, "\n"
		     "  npwatch COMMAND --help   options of a command\n"
		     "  npwatch --version        the version\n"
		     "\n"
		     "Exit status: 0 success, 1 runtime failure, 2 bad usage or bad input.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return NP_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return NP_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		printf("npwatch %s\n", NPWATCH_VERSION);
		return NP_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		if (strcmp(argv[1], subcommands[i].name) == 0)
			return subcommands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "npwatch: unknown command \"%s\"\n\n", argv[1]);
	usage(stderr);
	return NP_EXIT_USAGE;
}
