/* Tests for cgroup: the cgroup2 mount, kubepods path parsing for both
 * kubelet cgroup drivers, and the cgroup id -> path map, on a fake hierarchy
 * and on the real one. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cmocka.h>
#include <linux/magic.h>

#include "cgroup.h"

#define UID "0f5d3a52-9c1b-4e7a-8d2f-3b6c1e9a7f40"
#define UID_US "0f5d3a52_9c1b_4e7a_8d2f_3b6c1e9a7f40"
#define CID "4c8e1f0a9b2d3e5f6a7b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b"
#define OUTER_CID "9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0"

/* ---- the cgroup2 mount ---------------------------------------------------------------------- */

static char *write_table(const char *text)
{
	static char path[] = "/tmp/npw-mounts-XXXXXX";
	int fd;

	strcpy(path, "/tmp/npw-mounts-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void expect_mount(const char *table, const char *want)
{
	char *path = write_table(table);
	char out[PATH_MAX], err[256];

	assert_int_equal(np_cgroup2_mount_find(path, out, sizeof(out), err, sizeof(err)), 0);
	assert_string_equal(out, want);
	unlink(path);
}

static void mount_hybrid_host(void **state)
{
	(void)state;
	expect_mount("tmpfs /sys/fs/cgroup tmpfs rw,relatime,mode=755 0 0\n"
		     "cgroup /sys/fs/cgroup/cpu cgroup rw,relatime,cpu 0 0\n"
		     "cgroup /sys/fs/cgroup/systemd cgroup rw,relatime,name=systemd 0 0\n"
		     "cgroup2 /sys/fs/cgroup/unified cgroup2 rw,relatime 0 0\n",
		     "/sys/fs/cgroup/unified");
}

static void mount_unified_host(void **state)
{
	(void)state;
	expect_mount("sysfs /sys sysfs rw,nosuid 0 0\n"
		     "cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid,nodev,noexec,nsdelegate 0 0\n"
		     "cgroup2 /run/other cgroup2 rw 0 0\n",
		     "/sys/fs/cgroup");
}

static void mount_point_with_escaped_space(void **state)
{
	(void)state;
	expect_mount("none /run/my\\040cgroup cgroup2 rw 0 0\n", "/run/my cgroup");
}

static void mount_none_is_an_error_naming_the_table(void **state)
{
	char *path = write_table("cgroup /sys/fs/cgroup/cpu cgroup rw,cpu 0 0\n");
	char out[PATH_MAX], err[256];

	(void)state;
	assert_int_equal(np_cgroup2_mount_find(path, out, sizeof(out), err, sizeof(err)), -1);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "no cgroup2"));
	unlink(path);
}

static void mount_unreadable_table(void **state)
{
	char out[PATH_MAX], err[256];

	(void)state;
	assert_int_equal(np_cgroup2_mount_find("/nonexistent/mounts", out, sizeof(out), err,
					       sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "/nonexistent/mounts"));
	assert_non_null(strstr(err, strerror(ENOENT)));
}

static void mount_point_too_long_for_buffer(void **state)
{
	char *path = write_table("cgroup2 /sys/fs/cgroup/unified cgroup2 rw 0 0\n");
	char out[8], err[256];

	(void)state;
	assert_int_equal(np_cgroup2_mount_find(path, out, sizeof(out), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "too long"));
	unlink(path);
}

static void mount_of_this_host_is_cgroup2(void **state)
{
	char out[PATH_MAX], err[256];
	struct statfs fs;

	(void)state;
	assert_int_equal(np_cgroup2_mount_find("/proc/mounts", out, sizeof(out), err, sizeof(err)),
			 0);
	assert_int_equal(statfs(out, &fs), 0);
	assert_true(fs.f_type == CGROUP2_SUPER_MAGIC);
}

/* ---- pod and container of a path ----------------------------------------------------------- */

static void expect_pod(const char *path, const char *uid, const char *container)
{
	struct np_pod_cgroup pod;

	if (!np_cgroup_parse_pod(path, &pod))
		fail_msg("no pod found in %s", path);
	assert_string_equal(pod.pod_uid, uid);
	assert_string_equal(pod.container_id, container);
}

static void expect_no_pod(const char *path)
{
	struct np_pod_cgroup pod;

	memset(&pod, 0x55, sizeof(pod));
	if (np_cgroup_parse_pod(path, &pod))
		fail_msg("pod %s found in %s", pod.pod_uid, path);
	assert_string_equal(pod.pod_uid, "");
	assert_string_equal(pod.container_id, "");
}

static void systemd_every_qos_class(void **state)
{
	(void)state;
	expect_pod("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_US
		   ".slice/cri-containerd-" CID ".scope",
		   UID, CID);
	expect_pod("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_US
		   ".slice/cri-containerd-" CID ".scope",
		   UID, CID);
	/* Guaranteed pods sit directly under kubepods.slice. */
	expect_pod("/kubepods.slice/kubepods-pod" UID_US ".slice/cri-containerd-" CID ".scope",
		   UID, CID);
}

static void systemd_every_runtime(void **state)
{
	(void)state;
	expect_pod("/kubepods.slice/kubepods-pod" UID_US ".slice/crio-" CID ".scope", UID, CID);
	expect_pod("/kubepods.slice/kubepods-pod" UID_US ".slice/docker-" CID ".scope", UID, CID);
}

static void systemd_containerd_without_systemd_cgroup(void **state)
{
	(void)state;
	expect_pod("/system.slice/containerd.service/kubepods-besteffort-pod" UID_US
		   ".slice:cri-containerd:" CID,
		   UID, CID);
}

static void systemd_pod_slice_itself_has_no_container(void **state)
{
	(void)state;
	expect_pod("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_US ".slice",
		   UID, "");
}

static void systemd_runtime_monitor_is_not_a_container(void **state)
{
	(void)state;
	expect_pod("/kubepods.slice/kubepods-pod" UID_US ".slice/crio-conmon-" CID ".scope", UID,
		   "");
}

static void cgroupfs_every_qos_class(void **state)
{
	(void)state;
	expect_pod("/kubepods/burstable/pod" UID "/" CID, UID, CID);
	expect_pod("/kubepods/besteffort/pod" UID "/" CID, UID, CID);
	expect_pod("/kubepods/pod" UID "/" CID, UID, CID);
}

static void cgroupfs_crio_prefix(void **state)
{
	(void)state;
	expect_pod("/kubepods/burstable/pod" UID "/crio-" CID, UID, CID);
}

static void cgroupfs_pod_itself_has_no_container(void **state)
{
	(void)state;
	expect_pod("/kubepods/besteffort/pod" UID, UID, "");
	expect_pod("/kubepods/besteffort/pod" UID "/", UID, "");
}

/* kind: kubelet --cgroup-root=/kubelet inside a node container, seen from
 * the host without a cgroup namespace: the node's own docker scope comes
 * first and must not be taken for the container. */
static void nested_kind_node_seen_from_host(void **state)
{
	(void)state;
	expect_pod("/system.slice/docker-" OUTER_CID ".scope/kubelet.slice/kubelet-kubepods.slice/"
		   "kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-pod" UID_US
		   ".slice/cri-containerd-" CID ".scope",
		   UID, CID);
	expect_pod("/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-pod" UID_US
		   ".slice/cri-containerd-" CID ".scope",
		   UID, CID);
	/* A --cgroup-root that itself contains "-pod". */
	expect_pod("/my-pods.slice/my-pods-kubepods.slice/my-pods-kubepods-besteffort.slice/"
		   "my-pods-kubepods-besteffort-pod" UID_US ".slice/cri-containerd-" CID ".scope",
		   UID, CID);
}

/* k3s in docker (k3d) and kubepods nested in kubepods. */
static void nested_cgroupfs_under_prefixes(void **state)
{
	(void)state;
	expect_pod("/docker/" OUTER_CID "/kubepods/burstable/pod" UID "/" CID, UID, CID);
	expect_pod("/kubepods/kubepods/besteffort/pod" UID "/" CID, UID, CID);
	expect_pod("/k8s.io/kubepods/pod" UID "/" CID, UID, CID);
	expect_pod("/npw-lab/kubepods/burstable/pod" UID "/" CID, UID, CID);
}

/* A pod running a cluster of its own: the innermost pod is the one. */
static void innermost_pod_wins(void **state)
{
	(void)state;
	expect_pod("/kubepods/pod11111111-2222-3333-4444-555555555555/" OUTER_CID
		   "/kubepods/burstable/pod" UID "/" CID,
		   UID, CID);
}

static void cgroup_made_by_a_container_belongs_to_it(void **state)
{
	(void)state;
	expect_pod("/kubepods.slice/kubepods-pod" UID_US ".slice/crio-" CID ".scope/container", UID,
		   CID);
	expect_pod("/kubepods/burstable/pod" UID "/" CID "/init.scope/sub", UID, CID);
}

static void uid_forms_are_made_canonical(void **state)
{
	(void)state;
	/* Upper-case hex and underscores in a cgroupfs name are folded too. */
	expect_pod("/kubepods/pod0F5D3A52-9C1B-4E7A-8D2F-3B6C1E9A7F40/" CID, UID, CID);
	expect_pod("/kubepods/pod" UID_US "/" CID, UID, CID);
	/* Static pods: kubelet's config hash, kept as it is. */
	expect_pod("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-"
		   "pod9a8b7c6d5e4f30211a2b3c4d5e6f7081.slice/cri-containerd-" CID ".scope",
		   "9a8b7c6d5e4f30211a2b3c4d5e6f7081", CID);
	expect_pod("/kubepods/burstable/podD41D8CD98F00B204E9800998ECF8427E/" CID,
		   "d41d8cd98f00b204e9800998ecf8427e", CID);
}

static void malformed_container_leaves_pod(void **state)
{
	(void)state;
	/* 63 digits, a non-hex digit, an unknown runtime: the pod is still known. */
	expect_pod("/kubepods/pod" UID "/"
		   "4c8e1f0a9b2d3e5f6a7b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3",
		   UID, "");
	expect_pod("/kubepods/pod" UID "/"
		   "gc8e1f0a9b2d3e5f6a7b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b",
		   UID, "");
	expect_pod("/kubepods.slice/kubepods-pod" UID_US ".slice/rkt-" CID ".scope", UID, "");
	expect_pod("/kubepods.slice/kubepods-pod" UID_US ".slice/-" CID ".scope", UID, "");
}

static void not_pods(void **state)
{
	(void)state;
	expect_no_pod("");
	expect_no_pod("/");
	expect_no_pod("/system.slice/sshd.service");
	expect_no_pod("/user.slice/user-1000.slice/session-2.scope");
	expect_no_pod("/system.slice/docker-" CID ".scope");
	expect_no_pod("/docker/" CID);
	expect_no_pod("/k8s.io/" CID);
	/* QoS levels are not pods. */
	expect_no_pod("/kubepods.slice");
	expect_no_pod("/kubepods.slice/kubepods-burstable.slice");
	expect_no_pod("/kubepods");
	expect_no_pod("/kubepods/besteffort");
}

static void malformed_uids(void **state)
{
	(void)state;
	expect_no_pod("/kubepods/pod0f5d3a52-9c1b-4e7a-8d2f-3b6c1e9a7f4/" CID);     /* short */
	expect_no_pod("/kubepods/pod0f5d3a52-9c1b-4e7a-8d2f-3b6c1e9a7f400/" CID);   /* long */
	expect_no_pod("/kubepods/pod0f5d3a52-9c1b-4e7a-8d2f-3b6c1e9a7f4g/" CID);    /* not hex */
	expect_no_pod("/kubepods/pod0f5d3a52_9c1b-4e7a-8d2f-3b6c1e9a7f40/" CID);    /* mixed */
	expect_no_pod("/kubepods/pod0f5d3a529-c1b-4e7a-8d2f-3b6c1e9a7f40/" CID);    /* dash moved */
	expect_no_pod("/kubepods/pod9a8b7c6d5e4f30211a2b3c4d5e6f708/" CID);         /* 31 hex */
	expect_no_pod("/kubepods.slice/kubepods-pod.slice/cri-containerd-" CID ".scope");
	expect_no_pod("/kubepods.slice/kubepods-pod" UID_US "x.slice/cri-containerd-" CID ".scope");
}

static void pod_outside_kubepods(void **state)
{
	(void)state;
	expect_no_pod("/pod" UID "/" CID);
	expect_no_pod("/burstable/pod" UID "/" CID);
	expect_no_pod("/other/burstable/pod" UID "/" CID);
	expect_no_pod("/kubepods-x/pod" UID "/" CID);
	expect_no_pod("/kubepods/guaranteed/pod" UID "/" CID);
	expect_no_pod("/system.slice/xkubepods-pod" UID_US ".slice/cri-containerd-" CID ".scope");
	expect_no_pod("/system.slice/kubepods-guaranteed-pod" UID_US ".slice");
	expect_no_pod("/system.slice/apps-pod" UID_US ".slice");
	/* The inline form needs a known runtime. */
	expect_no_pod("/system.slice/containerd.service/kubepods-pod" UID_US ".slice:rkt:" CID);
	expect_no_pod("/system.slice/containerd.service/kubepods-pod" UID_US ".slice.d");
}

static void too_deep_path(void **state)
{
	char path[64 * 3 + 128] = "";

	(void)state;
	for (int i = 0; i < 64; i++)
		strcat(path, "/a");
	strcat(path, "/kubepods/pod" UID);
	expect_no_pod(path);
}

/* ---- cgroup id -> path: a fake hierarchy ---------------------------------------------------- */

struct tree {
	char root[64];
};

static uint64_t inode_of(const struct tree *t, const char *rel)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s%s", t->root, rel);
	if (stat(path, &st) != 0)
		fail_msg("stat %s: %s", path, strerror(errno));
	return (uint64_t)st.st_ino;
}

static void make_dir(const struct tree *t, const char *rel)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s%s", t->root, rel);
	if (mkdir(path, 0755) != 0)
		fail_msg("mkdir %s: %s", path, strerror(errno));
}

static int tree_setup(void **state)
{
	struct tree *t = calloc(1, sizeof(*t));
	static const char *const dirs[] = {
		"/kubepods",
		"/kubepods/burstable",
		"/kubepods/burstable/pod" UID,
		"/kubepods/burstable/pod" UID "/" CID,
		"/system.slice",
		"/system.slice/ssh.service",
	};
	char file[PATH_MAX];
	int fd;

	assert_non_null(t);
	strcpy(t->root, "/tmp/npw-cgroup-XXXXXX");
	assert_non_null(mkdtemp(t->root));
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		make_dir(t, dirs[i]);
	/* Files are not cgroups. */
	snprintf(file, sizeof(file), "%s/kubepods/cgroup.procs", t->root);
	fd = open(file, O_CREAT | O_WRONLY, 0644);
	assert_true(fd >= 0);
	close(fd);
	*state = t;
	return 0;
}

static int tree_teardown(void **state)
{
	struct tree *t = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->root);
	assert_int_equal(system(cmd), 0);
	free(t);
	return 0;
}

static struct np_cgroup_cache *new_cache(const char *root, size_t max, uint64_t interval)
{
	char err[256];
	struct np_cgroup_cache *cache = np_cgroup_cache_new(root, max, interval, err, sizeof(err));

	if (!cache)
		fail_msg("%s", err);
	return cache;
}

static void expect_path(struct np_cgroup_cache *cache, uint64_t id, uint64_t now,
			const char *want)
{
	char buf[PATH_MAX];

	if (!np_cgroup_cache_lookup(cache, id, now, buf, sizeof(buf)))
		fail_msg("cgroup id %llu not found, want %s", (unsigned long long)id, want);
	assert_string_equal(buf, want);
}

static void cache_maps_every_directory(void **state)
{
	struct tree *t = *state;
	struct np_cgroup_cache *cache = new_cache(t->root, 1000, 1000);
	struct np_cgroup_cache_stats stats;
	char buf[PATH_MAX];

	expect_path(cache, inode_of(t, ""), 0, "/");
	expect_path(cache, inode_of(t, "/kubepods"), 0, "/kubepods");
	expect_path(cache, inode_of(t, "/kubepods/burstable/pod" UID "/" CID), 0,
		    "/kubepods/burstable/pod" UID "/" CID);
	expect_path(cache, inode_of(t, "/system.slice/ssh.service"), 0,
		    "/system.slice/ssh.service");
	assert_false(np_cgroup_cache_lookup(cache, inode_of(t, "/kubepods/cgroup.procs"), 0, buf,
					    sizeof(buf)));
	np_cgroup_cache_get_stats(cache, &stats);
	assert_int_equal(stats.scans, 1);
	assert_int_equal(stats.entries, 7);
	assert_false(stats.truncated);
	np_cgroup_cache_free(cache);
}

static void cache_rescans_on_miss_at_most_once_per_interval(void **state)
{
	struct tree *t = *state;
	struct np_cgroup_cache *cache = new_cache(t->root, 1000, 1000);
	struct np_cgroup_cache_stats stats;
	char buf[PATH_MAX];
	uint64_t fresh;

	expect_path(cache, inode_of(t, "/kubepods"), 5000, "/kubepods");
	make_dir(t, "/kubepods/besteffort");
	fresh = inode_of(t, "/kubepods/besteffort");

	/* Too soon after the first walk: a miss, no walk. */
	assert_false(np_cgroup_cache_lookup(cache, fresh, 5999, buf, sizeof(buf)));
	/* A flood of unknown ids within the interval walks nothing either. */
	for (uint64_t now = 5999; now < 6000 + 999; now++)
		assert_false(np_cgroup_cache_lookup(cache, UINT64_MAX - now, now, buf, sizeof(buf)));
	np_cgroup_cache_get_stats(cache, &stats);
	assert_int_equal(stats.scans, 2); /* the walk at 6000 did not know the bogus ids either */
	assert_int_equal(stats.rate_limited, 1 + 999);
	/* The walk at 6000 found the new cgroup: a hit now, whatever the time. */
	expect_path(cache, fresh, 6001, "/kubepods/besteffort");
	/* Known ids never wait for a walk. */
	expect_path(cache, inode_of(t, "/system.slice"), 6002, "/system.slice");
	np_cgroup_cache_get_stats(cache, &stats);
	assert_int_equal(stats.scans, 2);
	np_cgroup_cache_free(cache);
}

static void cache_miss_after_interval_walks_again(void **state)
{
	struct tree *t = *state;
	struct np_cgroup_cache *cache = new_cache(t->root, 1000, 1000);
	struct np_cgroup_cache_stats stats;
	char buf[PATH_MAX];

	assert_false(np_cgroup_cache_lookup(cache, 12345678901ULL, 0, buf, sizeof(buf)));
	assert_false(np_cgroup_cache_lookup(cache, 12345678901ULL, 999, buf, sizeof(buf)));
	assert_false(np_cgroup_cache_lookup(cache, 12345678901ULL, 1000, buf, sizeof(buf)));
	np_cgroup_cache_get_stats(cache, &stats);
	assert_int_equal(stats.scans, 2);
	assert_int_equal(stats.misses, 3);
	assert_int_equal(stats.rate_limited, 1);
	np_cgroup_cache_free(cache);
}

static void cache_bounded_by_max_entries(void **state)
{
	struct tree *t = *state;
	struct np_cgroup_cache *cache = new_cache(t->root, 3, 0);
	struct np_cgroup_cache_stats stats;

	expect_path(cache, inode_of(t, ""), 0, "/");
	np_cgroup_cache_get_stats(cache, &stats);
	assert_int_equal(stats.entries, 3);
	assert_true(stats.truncated);
	np_cgroup_cache_free(cache);
}

static void cache_path_must_fit(void **state)
{
	struct tree *t = *state;
	struct np_cgroup_cache *cache = new_cache(t->root, 1000, 0);
	uint64_t id = inode_of(t, "/system.slice/ssh.service");
	char buf[sizeof("/system.slice/ssh.service")];

	assert_false(np_cgroup_cache_lookup(cache, id, 0, buf, sizeof(buf) - 1));
	assert_true(np_cgroup_cache_lookup(cache, id, 0, buf, sizeof(buf)));
	assert_string_equal(buf, "/system.slice/ssh.service");
	np_cgroup_cache_free(cache);
}

static void cache_keeps_old_map_when_root_vanishes(void **state)
{
	struct tree *t = *state;
	struct np_cgroup_cache *cache = new_cache(t->root, 1000, 0);
	uint64_t id = inode_of(t, "/system.slice/ssh.service");
	struct np_cgroup_cache_stats stats;
	char moved[80], buf[PATH_MAX];

	expect_path(cache, id, 0, "/system.slice/ssh.service");
	snprintf(moved, sizeof(moved), "%s.moved", t->root);
	assert_int_equal(rename(t->root, moved), 0);
	assert_false(np_cgroup_cache_lookup(cache, 1, 1, buf, sizeof(buf)));
	expect_path(cache, id, 2, "/system.slice/ssh.service");
	np_cgroup_cache_get_stats(cache, &stats);
	assert_int_equal(stats.scan_errors, 1);
	assert_int_equal(rename(moved, t->root), 0);
	np_cgroup_cache_free(cache);
}

static void cache_rejects_bad_roots(void **state)
{
	struct tree *t = *state;
	char err[256], file[PATH_MAX];

	assert_null(np_cgroup_cache_new("/nonexistent/cgroup", 10, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent/cgroup"));
	snprintf(file, sizeof(file), "%s/kubepods/cgroup.procs", t->root);
	assert_null(np_cgroup_cache_new(file, 10, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "not a directory"));
	assert_null(np_cgroup_cache_new(t->root, 0, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "out of range"));
}

/* ---- cgroup id -> path: the real hierarchy -------------------------------------------------- */

/* The id BPF reports is the kernfs node id, which is also what
 * name_to_handle_at() returns for a cgroup; check that it is the inode
 * number the map is built from, and that the map names our own cgroup. */
static void real_hierarchy_ids_are_inode_numbers(void **state)
{
	char mount[PATH_MAX], err[256], line[PATH_MAX], own[PATH_MAX * 2];
	struct {
		struct file_handle fh;
		unsigned char bytes[sizeof(uint64_t)];
	} handle = { .fh.handle_bytes = sizeof(uint64_t) };
	uint64_t id;
	struct np_cgroup_cache *cache;
	struct stat st;
	int mount_id;
	FILE *self;
	char *rel = NULL;

	(void)state;
	assert_int_equal(np_cgroup2_mount_find("/proc/mounts", mount, sizeof(mount), err,
					       sizeof(err)),
			 0);
	self = fopen("/proc/self/cgroup", "r");
	assert_non_null(self);
	while (fgets(line, sizeof(line), self))
		if (strncmp(line, "0::", 3) == 0)
			rel = line + 3;
	fclose(self);
	assert_non_null(rel);
	rel[strcspn(rel, "\n")] = '\0';
	snprintf(own, sizeof(own), "%s%s", mount, rel);

	assert_int_equal(stat(own, &st), 0);
	assert_int_equal(name_to_handle_at(AT_FDCWD, own, &handle.fh, &mount_id, 0), 0);
	assert_int_equal(handle.fh.handle_bytes, sizeof(uint64_t));
	memcpy(&id, handle.fh.f_handle, sizeof(id));
	assert_true(id == (uint64_t)st.st_ino);

	cache = new_cache(mount, 1 << 16, 1000);
	expect_path(cache, id, 0, rel);
	np_cgroup_cache_free(cache);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(mount_hybrid_host),
		cmocka_unit_test(mount_unified_host),
		cmocka_unit_test(mount_point_with_escaped_space),
		cmocka_unit_test(mount_none_is_an_error_naming_the_table),
		cmocka_unit_test(mount_unreadable_table),
		cmocka_unit_test(mount_point_too_long_for_buffer),
		cmocka_unit_test(mount_of_this_host_is_cgroup2),
		cmocka_unit_test(systemd_every_qos_class),
		cmocka_unit_test(systemd_every_runtime),
		cmocka_unit_test(systemd_containerd_without_systemd_cgroup),
		cmocka_unit_test(systemd_pod_slice_itself_has_no_container),
		cmocka_unit_test(systemd_runtime_monitor_is_not_a_container),
		cmocka_unit_test(cgroupfs_every_qos_class),
		cmocka_unit_test(cgroupfs_crio_prefix),
		cmocka_unit_test(cgroupfs_pod_itself_has_no_container),
		cmocka_unit_test(nested_kind_node_seen_from_host),
		cmocka_unit_test(nested_cgroupfs_under_prefixes),
		cmocka_unit_test(innermost_pod_wins),
		cmocka_unit_test(cgroup_made_by_a_container_belongs_to_it),
		cmocka_unit_test(uid_forms_are_made_canonical),
		cmocka_unit_test(malformed_container_leaves_pod),
		cmocka_unit_test(not_pods),
		cmocka_unit_test(malformed_uids),
		cmocka_unit_test(pod_outside_kubepods),
		cmocka_unit_test(too_deep_path),
		cmocka_unit_test_setup_teardown(cache_maps_every_directory, tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(cache_rescans_on_miss_at_most_once_per_interval,
						tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(cache_miss_after_interval_walks_again, tree_setup,
						tree_teardown),
		cmocka_unit_test_setup_teardown(cache_bounded_by_max_entries, tree_setup,
						tree_teardown),
		cmocka_unit_test_setup_teardown(cache_path_must_fit, tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(cache_keeps_old_map_when_root_vanishes, tree_setup,
						tree_teardown),
		cmocka_unit_test_setup_teardown(cache_rejects_bad_roots, tree_setup, tree_teardown),
		cmocka_unit_test(real_hierarchy_ids_are_inode_numbers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
