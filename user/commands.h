/* commands — the subcommands of the npwatch program, one entry point each.
 *
 * Each takes the arguments after its name (argv[0] is the subcommand) and
 * returns the process exit status: 0 success, 1 runtime failure (or failed
 * expectations), 2 bad usage or bad input.
 */
#ifndef NPWATCH_COMMANDS_H
#define NPWATCH_COMMANDS_H

enum { NP_EXIT_OK = 0, NP_EXIT_FAILURE = 1, NP_EXIT_USAGE = 2 };

int np_cmd_check(int argc, char **argv);
int np_cmd_run(int argc, char **argv);
int np_cmd_report(int argc, char **argv);
int np_cmd_diff(int argc, char **argv);
int np_cmd_lint(int argc, char **argv);
int np_cmd_suggest(int argc, char **argv);

#endif
