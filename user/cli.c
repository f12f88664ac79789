/* cli — what the subcommands share; see cli.h. */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "commands.h"
#include "manifest.h"

void np_path_list_add(struct np_path_list *list, const char *path)
{
	const char **grown = realloc(list->paths, (list->count + 1) * sizeof(*grown));

	if (!grown) {
		fprintf(stderr, "npwatch: out of memory\n");
		exit(NP_EXIT_FAILURE);
	}
	grown[list->count++] = path;
	list->paths = grown;
}

void np_path_list_free(struct np_path_list *list)
{
	free(list->paths);
	list->paths = NULL;
	list->count = 0;
}

struct np_model *np_cli_load_model(const char *cmd, const struct np_path_list *paths,
				   const struct np_path_list *staged, const char *default_ns,
				   bool quiet)
{
	struct np_load_stats stats = { 0 };
	char err[2048];
	struct np_model *model;

	model = np_manifest_load_model(paths->paths, paths->count, staged ? staged->paths : NULL,
				       staged ? staged->count : 0, default_ns, &stats, err,
				       sizeof(err));
	if (!model) {
		fprintf(stderr, "npwatch %s: %s\n", cmd, err);
		return NULL;
	}
	if (!quiet && stats.skipped > 0)
		fprintf(stderr, "npwatch %s: notice: skipped %zu object%s of kinds npwatch does not use: %s\n",
			cmd, stats.skipped, stats.skipped == 1 ? "" : "s", stats.skipped_kinds);
	return model;
}

int np_cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "npwatch %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'npwatch %s --help'.\n", cmd);
	return NP_EXIT_USAGE;
}

bool np_cli_parse_port(const char *text, unsigned *port)
{
	char *end;
	long value;

	if (!text || *text < '0' || *text > '9')
		return false;
	errno = 0;
	value = strtol(text, &end, 10);
	if (errno || *end || value < 1 || value > 65535)
		return false;
	*port = (unsigned)value;
	return true;
}
