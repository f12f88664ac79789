/* cli — what the subcommands share; see cli.h. */
#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

static bool merge_one(const char *cmd, struct np_report *report, const char *path)
{
	char err[1024];

	if (np_report_merge_file(report, path, err, sizeof(err)) == 0)
		return true;
	fprintf(stderr, "npwatch %s: %s (skipped)\n", cmd, err);
	return false;
}

static bool is_snapshot_name(const char *name)
{
	size_t len = strlen(name);

	return name[0] != '.' && len > 8 && strcmp(name + len - 8, ".json.gz") == 0;
}

/* Every snapshot of a folder, in name order (node, then time). Returns how
 * many could not be read. */
static size_t merge_folder(const char *cmd, struct np_report *report, const char *path)
{
	struct dirent **entries;
	int n = scandir(path, &entries, NULL, alphasort);
	size_t bad = 0, found = 0;

	if (n < 0) {
		fprintf(stderr, "npwatch %s: %s: cannot read the folder: %m (skipped)\n", cmd, path);
		return 1;
	}
	for (int i = 0; i < n; i++) {
		char *file;

		if (is_snapshot_name(entries[i]->d_name) &&
		    asprintf(&file, "%s/%s", path, entries[i]->d_name) >= 0) {
			found++;
			bad += !merge_one(cmd, report, file);
			free(file);
		}
		free(entries[i]);
	}
	free(entries);
	if (found == 0) {
		fprintf(stderr, "npwatch %s: %s: no snapshot (*.json.gz) in the folder\n", cmd,
			path);
		bad++;
	}
	return bad;
}

size_t np_cli_merge_reports(const char *cmd, struct np_report *report,
			    const struct np_path_list *files)
{
	size_t bad = 0;
	struct stat st;

	for (size_t i = 0; i < files->count; i++) {
		if (stat(files->paths[i], &st) == 0 && S_ISDIR(st.st_mode))
			bad += merge_folder(cmd, report, files->paths[i]);
		else
			bad += !merge_one(cmd, report, files->paths[i]);
	}
	return bad;
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
