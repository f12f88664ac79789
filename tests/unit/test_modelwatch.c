/* test_modelwatch — the daemon's model kept current: change detection with
 * inotify, reloads, and a failed reload keeping the last good model.
 *
 * Each test works in a fresh temporary folder:
 *   <dir>/cluster/pods.yaml            namespace x and pods
 *   <dir>/cluster/policies/deny.yaml   a policy in force
 *   <dir>/staged.yaml                  a staged policy, given as a file
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture.h"
#include "modelwatch.h"

#define NAMESPACE_X "apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n"
#define POD(name, ip)                                                                       \
	"---\napiVersion: v1\nkind: Pod\nmetadata: {namespace: x, name: " name "}\n"        \
	"spec: {containers: [{name: main}]}\nstatus: {podIPs: [{ip: " ip "}]}\n"
#define POLICY(name)                                                                        \
	"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"                           \
	"metadata: {namespace: x, name: " name "}\nspec: {podSelector: {}}\n"

struct fixture {
	char dir[64];
	char cluster[96];
	char pods[128];
	char policies[128];
	char staged[96];
	const char *cluster_paths[1];
	const char *staged_paths[1];
	struct np_path_list paths;
	struct np_path_list staged_list;
	struct np_path_list none;
	struct np_model_watch *watch;
};

static void write_file(const char *path, const char *text)
{
	FILE *out = fopen(path, "w");

	assert_non_null(out);
	assert_int_equal(fputs(text, out) >= 0, 1);
	assert_int_equal(fclose(out), 0);
}

/* As editors save: a new file renamed over the old one. */
static void replace_file(const char *path, const char *text)
{
	char tmp[256];

	snprintf(tmp, sizeof(tmp), "%s.tmp~", path);
	write_file(tmp, text);
	assert_int_equal(rename(tmp, path), 0);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char dir[128];

	assert_non_null(f);
	strcpy(f->dir, "/tmp/npw-modelwatch-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->cluster, sizeof(f->cluster), "%s/cluster", f->dir);
	snprintf(f->pods, sizeof(f->pods), "%s/pods.yaml", f->cluster);
	snprintf(dir, sizeof(dir), "%s/policies", f->cluster);
	snprintf(f->policies, sizeof(f->policies), "%s/policies/deny.yaml", f->cluster);
	snprintf(f->staged, sizeof(f->staged), "%s/staged.yaml", f->dir);
	assert_int_equal(mkdir(f->cluster, 0755), 0);
	assert_int_equal(mkdir(dir, 0755), 0);
	write_file(f->pods, NAMESPACE_X POD("a", "10.0.1.1") POD("b", "10.0.1.2"));
	write_file(f->policies, POLICY("deny"));
	write_file(f->staged, POLICY("staged-deny"));

	f->cluster_paths[0] = f->cluster;
	f->staged_paths[0] = f->staged;
	f->paths = (struct np_path_list){ f->cluster_paths, 1 };
	f->staged_list = (struct np_path_list){ f->staged_paths, 1 };
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	np_model_watch_close(f->watch);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static struct np_model_watch *open_watch(struct fixture *f, const struct np_path_list *staged)
{
	char err[1024] = "";

	f->watch = np_model_watch_open(&f->paths, staged, "default", err, sizeof(err));
	if (!f->watch)
		fail_msg("np_model_watch_open: %s", err);
	assert_true(np_model_watch_fd(f->watch) >= 0);
	return f->watch;
}

static void reload_ok(struct np_model_watch *watch)
{
	char err[1024] = "";

	if (np_model_watch_reload(watch, err, sizeof(err)) != 0)
		fail_msg("reload failed: %s", err);
}

static void describe(const struct np_model_watch *watch, char *buf, size_t len)
{
	np_model_describe(np_model_watch_current(watch), buf, len);
}

/* ---- loading -------------------------------------------------------------------------- */

static void test_open_loads_folders_and_staged_files(void **state)
{
	struct fixture *f = *state;
	struct np_model_watch *watch = open_watch(f, &f->staged_list);
	const struct np_model *model = np_model_watch_current(watch);
	char text[256];

	assert_int_equal(model->n_pods, 2);
	assert_non_null(np_model_pod(model, "x", "b"));
	assert_true(np_model_watch_has_staged(watch));
	describe(watch, text, sizeof(text));
	assert_string_equal(text, "1 namespaces, 2 pods, 0 services, 0 nodes, "
				  "1 policies in force, 1 staged");
	assert_false(np_model_watch_changed(watch));
}

static void test_without_staged_paths_nothing_is_staged(void **state)
{
	struct fixture *f = *state;
	struct np_model_watch *watch = open_watch(f, &f->none);
	char text[256];

	assert_false(np_model_watch_has_staged(watch));
	describe(watch, text, sizeof(text));
	assert_non_null(strstr(text, "1 policies in force, 0 staged"));
}

static void test_open_fails_naming_the_file(void **state)
{
	struct fixture *f = *state;
	char err[1024] = "";

	write_file(f->policies, "apiVersion: v1\nkind: [unclosed\n");
	assert_null(np_model_watch_open(&f->paths, &f->none, "default", err, sizeof(err)));
	assert_non_null(strstr(err, f->policies));
}

static void test_describe_counts(void **state)
{
	struct np_model *model = np_test_model(
		NAMESPACE_X POD("a", "10.0.1.1")
		"---\napiVersion: v1\nkind: Service\nmetadata: {namespace: 'y', name: s}\n"
		"spec: {ports: [{port: 80}]}\n"
		"---\napiVersion: v1\nkind: Node\nmetadata: {name: n1}\n"
		"---\n" POLICY("p1") "---\n" POLICY("p2"),
		POLICY("p1") "---\n" POLICY("p3") "---\n" POLICY("p4"));
	char text[256];

	(void)state;
	np_model_describe(model, text, sizeof(text));
	/* x, and y synthesised for the Service */
	assert_string_equal(text, "2 namespaces, 1 pods, 1 services, 1 nodes, "
				  "2 policies in force, 3 staged");
	/* a short buffer is cut, not overrun */
	np_model_describe(model, text, 10);
	assert_string_equal(text, "2 namespa");
	np_model_free(model);
}

/* ---- change detection and reload -------------------------------------------------------- */

static void test_modified_file_is_seen_and_reloaded(void **state)
{
	struct fixture *f = *state;
	struct np_model_watch *watch = open_watch(f, &f->none);

	write_file(f->pods, NAMESPACE_X POD("a", "10.0.1.1") POD("b", "10.0.1.2")
		   POD("c", "10.0.1.3"));
	assert_true(np_model_watch_changed(watch));
	/* drained: no news until the next change */
	assert_false(np_model_watch_changed(watch));
	assert_int_equal(np_model_watch_current(watch)->n_pods, 2);
	reload_ok(watch);
	assert_int_equal(np_model_watch_current(watch)->n_pods, 3);
	assert_non_null(np_model_pod(np_model_watch_current(watch), "x", "c"));
}

static void test_change_in_subfolder_is_seen(void **state)
{
	struct fixture *f = *state;
	struct np_model_watch *watch = open_watch(f, &f->none);

	replace_file(f->policies, POLICY("deny") "---\n" POLICY("deny-too"));
	assert_true(np_model_watch_changed(watch));
	reload_ok(watch);
	assert_int_equal(np_model_watch_current(watch)->n_policies, 2);
}

static void test_staged_file_replaced_by_rename_is_seen(void **state)
{
	struct fixture *f = *state;
	struct np_model_watch *watch = open_watch(f, &f->staged_list);
	char text[256];

	replace_file(f->staged, POLICY("s1") "---\n" POLICY("s2"));
	assert_true(np_model_watch_changed(watch));
	reload_ok(watch);
	describe(watch, text, sizeof(text));
	assert_non_null(strstr(text, "1 policies in force, 2 staged"));

	/* and again: the watch is on the folder, not on the replaced file */
	replace_file(f->staged, "# nothing staged\n");
	assert_true(np_model_watch_changed(watch));
	reload_ok(watch);
	assert_false(np_model_watch_has_staged(watch));
}

static void test_editor_files_are_not_changes(void **state)
{
	struct fixture *f = *state;
	struct np_model_watch *watch = open_watch(f, &f->none);
	char path[256];

	snprintf(path, sizeof(path), "%s/.pods.yaml.swp", f->cluster);
	write_file(path, "swap");
	snprintf(path, sizeof(path), "%s/pods.yaml~", f->cluster);
	write_file(path, "backup");
	snprintf(path, sizeof(path), "%s/4913", f->cluster);
	write_file(path, "");
	assert_int_equal(unlink(path), 0);
	assert_false(np_model_watch_changed(watch));
}

static void test_new_folder_is_watched_after_reload(void **state)
{
	struct fixture *f = *state;
	struct np_model_watch *watch = open_watch(f, &f->none);
	char dir[256], path[300];

	snprintf(dir, sizeof(dir), "%s/more", f->cluster);
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_true(np_model_watch_changed(watch));
	reload_ok(watch);
	snprintf(path, sizeof(path), "%s/extra.yaml", dir);
	write_file(path, POLICY("extra"));
	assert_true(np_model_watch_changed(watch));
	reload_ok(watch);
	assert_int_equal(np_model_watch_current(watch)->n_policies, 2);
}

static void test_failed_reload_keeps_last_good_model(void **state)
{
	struct fixture *f = *state;
	struct np_model_watch *watch = open_watch(f, &f->none);
	const struct np_model *good = np_model_watch_current(watch);
	char err[1024] = "";

	write_file(f->pods, NAMESPACE_X POD("a", "10.0.1.1") "---\nkind: Pod\n  bad: [indent\n");
	assert_true(np_model_watch_changed(watch));
	assert_int_equal(np_model_watch_reload(watch, err, sizeof(err)), -1);
	assert_non_null(strstr(err, f->pods));
	assert_ptr_equal(np_model_watch_current(watch), good);
	assert_int_equal(good->n_pods, 2);
	assert_non_null(np_model_pod(good, "x", "b"));

	/* a mistake of meaning, not of syntax, is refused as well */
	write_file(f->pods, NAMESPACE_X
		   "---\napiVersion: v1\nkind: Pod\nmetadata: {namespace: x, name: a}\n"
		   "status: {podIP: not-an-ip}\n");
	err[0] = '\0';
	assert_int_equal(np_model_watch_reload(watch, err, sizeof(err)), -1);
	assert_non_null(strstr(err, f->pods));
	assert_ptr_equal(np_model_watch_current(watch), good);

	/* fixed: the next reload takes it */
	write_file(f->pods, NAMESPACE_X POD("z", "10.0.1.9"));
	assert_true(np_model_watch_changed(watch));
	reload_ok(watch);
	assert_int_equal(np_model_watch_current(watch)->n_pods, 1);
	assert_non_null(np_model_pod(np_model_watch_current(watch), "x", "z"));
}

static void test_deleted_file_fails_reload(void **state)
{
	struct fixture *f = *state;
	struct np_model_watch *watch = open_watch(f, &f->staged_list);
	char err[1024] = "";

	assert_int_equal(unlink(f->staged), 0);
	assert_true(np_model_watch_changed(watch));
	assert_int_equal(np_model_watch_reload(watch, err, sizeof(err)), -1);
	assert_non_null(strstr(err, f->staged));
	assert_true(np_model_watch_has_staged(watch));
}

#define TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_open_loads_folders_and_staged_files),
		TEST(test_without_staged_paths_nothing_is_staged),
		TEST(test_open_fails_naming_the_file),
		TEST(test_describe_counts),
		TEST(test_modified_file_is_seen_and_reloaded),
		TEST(test_change_in_subfolder_is_seen),
		TEST(test_staged_file_replaced_by_rename_is_seen),
		TEST(test_editor_files_are_not_changes),
		TEST(test_new_folder_is_watched_after_reload),
		TEST(test_failed_reload_keeps_last_good_model),
		TEST(test_deleted_file_fails_reload),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
