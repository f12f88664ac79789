/* cli — what the subcommands share: option values that repeat (-f PATH…),
 * loading the cluster model with one clear message on failure, and the
 * usage-error convention (a message, a hint at --help, exit status 2).
 */
#ifndef NPWATCH_CLI_H
#define NPWATCH_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "model.h"
#include "report.h"

struct np_path_list {
	const char **paths;
	size_t count;
};

/* Appends a path (the string is argv's, not copied). Exits on no memory. */
void np_path_list_add(struct np_path_list *list, const char *path);
void np_path_list_free(struct np_path_list *list);

/* Loads and finalises the model of -f paths and --staged paths. Prints the
 * loader's error (naming file, object and field) and returns NULL on
 * failure; prints the one notice line about skipped kinds unless quiet. */
struct np_model *np_cli_load_model(const char *cmd, const struct np_path_list *paths,
				   const struct np_path_list *staged, const char *default_ns,
				   bool quiet);

/* "npwatch CMD: <message>" on stderr, and a hint to --help. Returns 2. */
int np_cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Merges the snapshots paths name — files, or folders meaning every
 * *.json.gz in them — into report. A snapshot that cannot be read is named
 * on stderr ("npwatch CMD: ... (skipped)") and left out; returns how many
 * were, or how many paths held none. */
size_t np_cli_merge_reports(const char *cmd, struct np_report *report,
			    const struct np_path_list *paths);

/* Parses a port 1..65535; false when text is anything else. */
bool np_cli_parse_port(const char *text, unsigned *port);

#endif
