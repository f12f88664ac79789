/* cgroup — names local processes by their cgroup v2 membership.
 *
 * Three steps, one job each:
 *  - find where the cgroup v2 hierarchy is mounted (it is /sys/fs/cgroup on
 *    unified hosts, /sys/fs/cgroup/unified on hybrid ones: read the mount
 *    table, never assume);
 *  - map the cgroup id the kernel side reports (bpf_get_current_cgroup_id(),
 *    the kernfs node id) to the cgroup's path: on 64-bit kernels that id is
 *    the inode number of the cgroup's directory, so a walk of the hierarchy
 *    builds the map;
 *  - read the pod UID and container id out of a path kubelet created, for
 *    both cgroup drivers (systemd, cgroupfs), every QoS class, and
 *    hierarchies nested under another prefix (kind, k3s in a container).
 */
#ifndef NPWATCH_CGROUP_H
#define NPWATCH_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Finds the first cgroup2 mount in a mount table in /proc/mounts format and
 * copies its mount point to out. Returns 0, or -1 with a message in err
 * naming the table and what was wrong. */
int np_cgroup2_mount_find(const char *mounts_path, char *out, size_t out_len, char *err,
			  size_t err_len);

/* ---- pod and container of a cgroup path ----------------------------------------------- */

#define NP_POD_UID_SIZE 37      /* 36-character dashed UUID and NUL */
#define NP_CONTAINER_ID_SIZE 65 /* 64 hex digits and NUL */

struct np_pod_cgroup {
	/* Canonical lower-case dashed UUID; for static pods, whose cgroup
	 * carries kubelet's 32-hex config hash instead, that hash (it is the
	 * mirror pod's kubernetes.io/config.mirror annotation). */
	char pod_uid[NP_POD_UID_SIZE];
	/* 64 lower-case hex digits; empty when the path is the pod's own
	 * cgroup or a runtime helper beside its containers (crio-conmon). */
	char container_id[NP_CONTAINER_ID_SIZE];
};

/* Parses a cgroup path relative to the hierarchy root ("/kubepods/..."):
 *   systemd:  .../kubepods[-burstable|-besteffort]-pod<uid with _>.slice/
 *             {cri-containerd,crio,docker}-<id>.scope
 *             .../kubepods-...-pod<uid>.slice:cri-containerd:<id>  (containerd
 *             without SystemdCgroup under a systemd kubelet)
 *   cgroupfs: .../kubepods[/burstable|/besteffort]/pod<uid>/[crio-]<id>
 * The kubepods part may sit under any prefix (a slice prefix such as
 * kubelet-kubepods-, or parent cgroups). Cgroups a container made below its
 * own still belong to it. Returns false (out zeroed) when the path is not
 * inside a pod. */
bool np_cgroup_parse_pod(const char *path, struct np_pod_cgroup *out);

/* ---- cgroup id -> path ------------------------------------------------------------------ */

/* A map of the hierarchy, rebuilt by walking it. A lookup that misses
 * rebuilds it, at most once per interval, so ids the walk cannot find (a
 * cgroup already gone, a flood of bogus ids) do not make it walk
 * constantly. Memory is bounded: at most max_entries cgroups are kept, each
 * as an id, a parent and its own name (not its whole path). Not thread-safe. */
struct np_cgroup_cache;

struct np_cgroup_cache_stats {
	size_t entries;        /* cgroups in the map */
	uint64_t scans;        /* walks done */
	uint64_t misses;       /* lookups of ids not in the map after any walk */
	uint64_t rate_limited; /* misses that did not walk: the last walk was too recent */
	uint64_t scan_errors;  /* walks that failed (root gone); the old map was kept */
	bool truncated;        /* the last walk found more than max_entries cgroups */
};

/* root is the cgroup2 mount point; it is opened and checked here. Returns
 * NULL with a message in err on failure. */
struct np_cgroup_cache *np_cgroup_cache_new(const char *root, size_t max_entries,
					    uint64_t rescan_interval_ms, char *err, size_t err_len);
void np_cgroup_cache_free(struct np_cgroup_cache *cache);

/* Copies the path of the cgroup with this id, relative to the root ("/" for
 * the root itself), to buf. now_ms is any monotonic clock in milliseconds;
 * it only paces the walks. Returns false when the id is unknown or the path
 * does not fit in len (PATH_MAX always fits). */
bool np_cgroup_cache_lookup(struct np_cgroup_cache *cache, uint64_t id, uint64_t now_ms,
			    char *buf, size_t len);

void np_cgroup_cache_get_stats(const struct np_cgroup_cache *cache,
			       struct np_cgroup_cache_stats *out);

#endif
