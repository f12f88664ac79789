/* Unit tests for cli: what the subcommands share. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "report_fixture.h"

static void ports_are_numbers_from_1_to_65535(void **state)
{
	unsigned port = 0;

	(void)state;
	assert_true(np_cli_parse_port("1", &port));
	assert_int_equal(port, 1);
	assert_true(np_cli_parse_port("65535", &port));
	assert_int_equal(port, 65535);
	assert_false(np_cli_parse_port("0", &port));
	assert_false(np_cli_parse_port("65536", &port));
	assert_false(np_cli_parse_port("http", &port));
	assert_false(np_cli_parse_port("80x", &port));
	assert_false(np_cli_parse_port("-1", &port));
	assert_false(np_cli_parse_port("", &port));
	assert_false(np_cli_parse_port(NULL, &port));
}

static void path_lists_grow_and_free(void **state)
{
	struct np_path_list list = { 0 };

	(void)state;
	np_path_list_add(&list, "a.yaml");
	np_path_list_add(&list, "policies/");
	assert_int_equal(list.count, 2);
	assert_string_equal(list.paths[1], "policies/");
	np_path_list_free(&list);
	assert_null(list.paths);
	assert_int_equal(list.count, 0);
}

/* A folder with a snapshot of one node, and a bad file beside it. */
struct reports {
	char dir[PATH_MAX];
	char snapshot[PATH_MAX];
	char bad[PATH_MAX + 16];
};

static int make_reports(void **state)
{
	struct reports *r = calloc(1, sizeof(*r));
	struct np_report *report = np_test_report(1000, 2000);
	char err[512];

	strcpy(r->dir, "/tmp/npw-cli-XXXXXX");
	assert_non_null(mkdtemp(r->dir));
	np_test_flow(report, "prod/Deployment/web", "prod/Deployment/db", 5432, "TCP", "would-deny",
		     3, 1100, 1900);
	assert_int_equal(np_snapshot_write(report, r->dir, r->snapshot, sizeof(r->snapshot), err,
					   sizeof(err)), 0);
	np_test_report_free(report);
	snprintf(r->bad, sizeof(r->bad), "%s/broken.json.gz", r->dir);
	*state = r;
	return 0;
}

static int remove_reports(void **state)
{
	struct reports *r = *state;
	char command[PATH_MAX + 16];

	snprintf(command, sizeof(command), "rm -rf '%s'", r->dir);
	assert_int_equal(system(command), 0);
	free(r);
	return 0;
}

static size_t merge(const char *const *paths, size_t n, struct np_report *out)
{
	struct np_path_list list = { 0 };
	size_t bad;

	for (size_t i = 0; i < n; i++)
		np_path_list_add(&list, paths[i]);
	np_report_init(out);
	bad = np_cli_merge_reports("test", out, &list);
	np_path_list_free(&list);
	return bad;
}

static void a_folder_means_its_snapshots(void **state)
{
	struct reports *r = *state;
	const char *paths[] = { r->dir };
	struct np_report report;

	assert_int_equal(merge(paths, 1, &report), 0);
	assert_int_equal(report.n_flows, 1);
	assert_int_equal(report.flows[0].count, 3);
	np_report_free(&report);
}

static void files_and_folders_merge_alike(void **state)
{
	struct reports *r = *state;
	const char *paths[] = { r->snapshot, r->dir };
	struct np_report report;

	/* The same snapshot twice: its counts twice. */
	assert_int_equal(merge(paths, 2, &report), 0);
	assert_int_equal(report.n_flows, 1);
	assert_int_equal(report.flows[0].count, 6);
	np_report_free(&report);
}

static void bad_snapshots_are_counted_and_the_rest_merged(void **state)
{
	struct reports *r = *state;
	FILE *bad = fopen(r->bad, "w");
	const char *paths[] = { r->dir, "/nonexistent/npwatch.json.gz" };
	struct np_report report;

	assert_non_null(bad);
	fputs("not gzip", bad);
	fclose(bad);
	assert_int_equal(merge(paths, 2, &report), 2);
	assert_int_equal(report.n_flows, 1);
	np_report_free(&report);
	unlink(r->bad);
}

static void a_folder_without_snapshots_counts_as_bad(void **state)
{
	char dir[] = "/tmp/npw-cli-empty-XXXXXX";
	const char *paths[] = { dir };
	struct np_report report;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(merge(paths, 1, &report), 1);
	assert_int_equal(report.n_flows, 0);
	np_report_free(&report);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ports_are_numbers_from_1_to_65535),
		cmocka_unit_test(path_lists_grow_and_free),
		cmocka_unit_test_setup_teardown(a_folder_means_its_snapshots, make_reports,
						remove_reports),
		cmocka_unit_test_setup_teardown(files_and_folders_merge_alike, make_reports,
						remove_reports),
		cmocka_unit_test_setup_teardown(bad_snapshots_are_counted_and_the_rest_merged,
						make_reports, remove_reports),
		cmocka_unit_test(a_folder_without_snapshots_counts_as_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
