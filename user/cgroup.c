/* cgroup — the cgroup v2 mount, cgroup id -> path, path -> pod; see cgroup.h.
 *
 * The id map is a tree in DFS order: each node keeps its id, its parent's
 * index and its own name in one string pool, so its memory grows with the
 * number of cgroups, not with the length of their paths. Lookups binary
 * search a copy of (id, node) pairs sorted by id and rebuild the path by
 * following parents.
 */
#include "cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <mntent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Deepest cgroup path we read; real hierarchies are a dozen levels deep. */
#define MAX_DEPTH 64

/* ---- the cgroup2 mount -------------------------------------------------------------------- */

int np_cgroup2_mount_find(const char *mounts_path, char *out, size_t out_len, char *err,
			  size_t err_len)
{
	struct mntent entry;
	char line[4096];
	FILE *table;
	int rc = -1;

	table = setmntent(mounts_path, "r");
	if (!table) {
		snprintf(err, err_len, "%s: cannot read the mount table: %s", mounts_path,
			 strerror(errno));
		return -1;
	}
	snprintf(err, err_len, "%s: no cgroup2 filesystem is mounted", mounts_path);
	/* getmntent_r undoes the octal escapes (\040 for a space) of mount points. */
	while (getmntent_r(table, &entry, line, sizeof(line))) {
		if (strcmp(entry.mnt_type, "cgroup2") != 0)
			continue;
		if (strlen(entry.mnt_dir) >= out_len) {
			snprintf(err, err_len, "%s: cgroup2 mount point %s is too long", mounts_path,
				 entry.mnt_dir);
			break;
		}
		strcpy(out, entry.mnt_dir);
		rc = 0;
		break;
	}
	endmntent(table);
	return rc;
}

/* ---- pod and container of a path ---------------------------------------------------------- */

#define UUID_LEN 36
#define CONFIG_HASH_LEN 32 /* static pods: kubelet's hash of the pod manifest */
#define CONTAINER_ID_LEN 64

/* Runtimes that name a container's cgroup <runtime>-<id>[.scope]. */
static const char *const runtime_prefixes[] = { "cri-containerd", "crio", "docker" };

/* A path component, not NUL-terminated. */
struct span {
	const char *text;
	size_t len;
};

static bool span_is(struct span s, const char *word)
{
	return s.len == strlen(word) && memcmp(s.text, word, s.len) == 0;
}

static bool span_ends_with(struct span s, const char *suffix)
{
	size_t n = strlen(suffix);

	return s.len >= n && memcmp(s.text + s.len - n, suffix, n) == 0;
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static char lower_hex(char c)
{
	return (c >= 'A' && c <= 'F') ? (char)(c - 'A' + 'a') : c;
}

static bool all_hex(const char *text, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!is_hex(text[i]))
			return false;
	return true;
}

/* A pod UID as kubelet writes it into cgroup names: a UUID with '-' (cgroupfs)
 * or '_' (systemd, where '-' separates slice levels), or a static pod's
 * config hash. Written to out in canonical lower-case dashed form. */
static bool parse_uid(struct span s, char out[NP_POD_UID_SIZE])
{
	char sep;

	if (s.len == CONFIG_HASH_LEN && all_hex(s.text, s.len)) {
		for (size_t i = 0; i < s.len; i++)
			out[i] = lower_hex(s.text[i]);
		out[s.len] = '\0';
		return true;
	}
	if (s.len != UUID_LEN)
		return false;
	sep = s.text[8];
	if (sep != '-' && sep != '_')
		return false;
	for (size_t i = 0; i < UUID_LEN; i++) {
		bool dash_position = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash_position ? s.text[i] != sep : !is_hex(s.text[i]))
			return false;
		out[i] = dash_position ? '-' : lower_hex(s.text[i]);
	}
	out[UUID_LEN] = '\0';
	return true;
}

static bool parse_container_id(struct span s, char out[NP_CONTAINER_ID_SIZE])
{
	if (s.len != CONTAINER_ID_LEN || !all_hex(s.text, s.len))
		return false;
	for (size_t i = 0; i < s.len; i++)
		out[i] = lower_hex(s.text[i]);
	out[s.len] = '\0';
	return true;
}

static bool is_runtime_prefix(struct span s)
{
	for (size_t i = 0; i < sizeof(runtime_prefixes) / sizeof(runtime_prefixes[0]); i++)
		if (span_is(s, runtime_prefixes[i]))
			return true;
	return false;
}

/* "<id>", "<runtime>-<id>" or "<runtime>-<id>.scope". Anything else in a pod
 * (crio-conmon-<id>.scope, the runtime's monitor) names no container. */
static bool parse_container(struct span s, char out[NP_CONTAINER_ID_SIZE])
{
	struct span id, runtime;

	if (span_ends_with(s, ".scope"))
		s.len -= strlen(".scope");
	if (s.len == CONTAINER_ID_LEN)
		return parse_container_id(s, out);
	if (s.len < CONTAINER_ID_LEN + 2 || s.text[s.len - CONTAINER_ID_LEN - 1] != '-')
		return false;
	id = (struct span){ s.text + s.len - CONTAINER_ID_LEN, CONTAINER_ID_LEN };
	runtime = (struct span){ s.text, s.len - CONTAINER_ID_LEN - 1 };
	return is_runtime_prefix(runtime) && parse_container_id(id, out);
}

/* The part of a systemd pod slice name before "-pod<uid>":
 * "[prefix-]kubepods[-burstable|-besteffort]", where prefix comes from
 * kubelet's --cgroup-root (kind: "kubelet-"). */
static bool is_kubepods_slice_prefix(struct span s)
{
	static const char *const qos_names[] = { "kubepods", "kubepods-burstable",
						 "kubepods-besteffort" };

	for (size_t i = 0; i < sizeof(qos_names) / sizeof(qos_names[0]); i++) {
		size_t n = strlen(qos_names[i]);

		if (span_ends_with(s, qos_names[i]) && (s.len == n || s.text[s.len - n - 1] == '-'))
			return true;
	}
	return false;
}

/* systemd driver: "<kubepods prefix>-pod<uid>.slice". With containerd's
 * SystemdCgroup off, the container shares the component:
 * "...-pod<uid>.slice:<runtime>:<id>"; *container is then set to "<id>". */
static bool parse_systemd_pod(struct span s, char uid[NP_POD_UID_SIZE], struct span *container)
{
	const char *slice_end = memmem(s.text, s.len, ".slice", strlen(".slice"));
	const char *pod = NULL, *rest, *colon;
	size_t rest_len;

	*container = (struct span){ NULL, 0 };
	if (!slice_end)
		return false;
	for (const char *p = s.text; p + 4 <= slice_end; p++)
		if (memcmp(p, "-pod", 4) == 0)
			pod = p;
	if (!pod || !is_kubepods_slice_prefix((struct span){ s.text, (size_t)(pod - s.text) }) ||
	    !parse_uid((struct span){ pod + 4, (size_t)(slice_end - pod - 4) }, uid))
		return false;

	rest = slice_end + strlen(".slice");
	rest_len = s.len - (size_t)(rest - s.text);
	if (rest_len == 0)
		return true;
	colon = rest_len > 1 ? memchr(rest + 1, ':', rest_len - 1) : NULL;
	if (rest[0] != ':' || !colon ||
	    !is_runtime_prefix((struct span){ rest + 1, (size_t)(colon - rest - 1) }))
		return false;
	*container = (struct span){ colon + 1, rest_len - (size_t)(colon + 1 - rest) };
	return true;
}

/* cgroupfs driver: "pod<uid>" under "kubepods", or under "burstable" or
 * "besteffort" under "kubepods". */
static bool parse_cgroupfs_pod(const struct span *parts, size_t i, char uid[NP_POD_UID_SIZE])
{
	struct span s = parts[i];

	if (i == 0 || s.len < 3 || memcmp(s.text, "pod", 3) != 0 ||
	    !parse_uid((struct span){ s.text + 3, s.len - 3 }, uid))
		return false;
	if (span_is(parts[i - 1], "kubepods"))
		return true;
	return i >= 2 && (span_is(parts[i - 1], "burstable") || span_is(parts[i - 1], "besteffort")) &&
	       span_is(parts[i - 2], "kubepods");
}

/* Splits path at '/' into at most max non-empty components. Returns how
 * many, or max + 1 when there are more. */
static size_t split_path(const char *path, struct span *parts, size_t max)
{
	size_t n = 0;

	for (const char *p = path; *p;) {
		size_t len = strcspn(p, "/");

		if (len > 0) {
			if (n == max)
				return max + 1;
			parts[n++] = (struct span){ p, len };
		}
		p += len;
		p += *p == '/';
	}
	return n;
}

bool np_cgroup_parse_pod(const char *path, struct np_pod_cgroup *out)
{
	struct span parts[MAX_DEPTH];
	size_t n = split_path(path, parts, MAX_DEPTH);

	memset(out, 0, sizeof(*out));
	if (n > MAX_DEPTH)
		return false;
	/* The innermost pod wins: a cluster nested in a pod of another one
	 * names its own pods below the outer pod's cgroup. */
	for (size_t i = n; i-- > 0;) {
		struct span container;

		if (parse_systemd_pod(parts[i], out->pod_uid, &container)) {
			if (container.text)
				parse_container(container, out->container_id);
			else if (i + 1 < n)
				parse_container(parts[i + 1], out->container_id);
			return true;
		}
		if (parse_cgroupfs_pod(parts, i, out->pod_uid)) {
			if (i + 1 < n)
				parse_container(parts[i + 1], out->container_id);
			return true;
		}
	}
	memset(out, 0, sizeof(*out));
	return false;
}

/* ---- cgroup id -> path -------------------------------------------------------------------- */

#define NO_PARENT UINT32_MAX

struct node {
	uint64_t id;
	uint32_t parent; /* index in nodes; NO_PARENT for the root */
	uint32_t name;   /* offset in names */
};

struct id_index {
	uint64_t id;
	uint32_t node;
};

/* One walk's result; a rescan builds a new one and swaps it in. */
struct cgroup_map {
	struct node *nodes;
	struct id_index *by_id; /* sorted by id */
	size_t n_nodes;
	size_t cap_nodes;
	char *names;
	size_t names_len;
	size_t names_cap;
	bool truncated;
};

struct np_cgroup_cache {
	char *root;
	size_t max_entries;
	uint64_t rescan_interval_ms;
	struct cgroup_map map;
	bool scanned;
	uint64_t last_scan_ms;
	struct np_cgroup_cache_stats stats;
};

static void map_free(struct cgroup_map *map)
{
	free(map->nodes);
	free(map->by_id);
	free(map->names);
	memset(map, 0, sizeof(*map));
}

static bool grow(void **buf, size_t *cap, size_t need, size_t item_size)
{
	size_t cap_new = *cap ? *cap : 64;
	void *grown;

	if (need <= *cap)
		return true;
	while (cap_new < need)
		cap_new *= 2;
	grown = realloc(*buf, cap_new * item_size);
	if (!grown)
		return false;
	*buf = grown;
	*cap = cap_new;
	return true;
}

static bool map_add(struct cgroup_map *map, uint64_t id, uint32_t parent, const char *name)
{
	size_t name_size = strlen(name) + 1;
	void *nodes = map->nodes, *names = map->names;

	if (!grow(&nodes, &map->cap_nodes, map->n_nodes + 1, sizeof(struct node)))
		return false;
	map->nodes = nodes;
	if (!grow(&names, &map->names_cap, map->names_len + name_size, 1))
		return false;
	map->names = names;
	memcpy(map->names + map->names_len, name, name_size);
	map->nodes[map->n_nodes++] = (struct node){ id, parent, (uint32_t)map->names_len };
	map->names_len += name_size;
	return true;
}

struct walk {
	struct cgroup_map *map;
	size_t max_entries;
	bool failed; /* out of memory */
};

/* Adds the cgroups below the directory dir_fd (node index parent), depth
 * first. Cgroups removed while we walk are skipped. Closes dir_fd. */
static void walk_dir(struct walk *w, int dir_fd, uint32_t parent, unsigned depth)
{
	DIR *dir = fdopendir(dir_fd);
	struct dirent *ent;

	if (!dir) {
		close(dir_fd);
		return;
	}
	while (!w->failed && !w->map->truncated && (ent = readdir(dir))) {
		struct stat st;
		int fd;

		if (ent->d_type != DT_DIR && ent->d_type != DT_UNKNOWN)
			continue;
		if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0)
			continue;
		fd = openat(dirfd(dir), ent->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (fstat(fd, &st) != 0) {
			close(fd);
			continue;
		}
		if (w->map->n_nodes >= w->max_entries) {
			w->map->truncated = true;
			close(fd);
			break;
		}
		if (!map_add(w->map, (uint64_t)st.st_ino, parent, ent->d_name)) {
			w->failed = true;
			close(fd);
			break;
		}
		if (depth + 1 < MAX_DEPTH)
			walk_dir(w, fd, (uint32_t)(w->map->n_nodes - 1), depth + 1);
		else
			close(fd);
	}
	closedir(dir);
}

static int compare_index(const void *a, const void *b)
{
	const struct id_index *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

static bool map_index(struct cgroup_map *map)
{
	map->by_id = calloc(map->n_nodes, sizeof(*map->by_id));
	if (!map->by_id)
		return false;
	for (size_t i = 0; i < map->n_nodes; i++)
		map->by_id[i] = (struct id_index){ map->nodes[i].id, (uint32_t)i };
	qsort(map->by_id, map->n_nodes, sizeof(*map->by_id), compare_index);
	return true;
}

/* Walks the hierarchy into a new map; keeps the old one if that fails. */
static bool rescan(struct np_cgroup_cache *cache)
{
	struct cgroup_map map = { 0 };
	struct walk w = { &map, cache->max_entries, false };
	struct stat st;
	int fd;

	cache->stats.scans++;
	fd = open(cache->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0 || !map_add(&map, (uint64_t)st.st_ino, NO_PARENT, "")) {
		if (fd >= 0)
			close(fd);
		map_free(&map);
		cache->stats.scan_errors++;
		return false;
	}
	walk_dir(&w, fd, 0, 0);
	if (w.failed || !map_index(&map)) {
		map_free(&map);
		cache->stats.scan_errors++;
		return false;
	}
	map_free(&cache->map);
	cache->map = map;
	cache->stats.entries = map.n_nodes;
	cache->stats.truncated = map.truncated;
	return true;
}

struct np_cgroup_cache *np_cgroup_cache_new(const char *root, size_t max_entries,
					    uint64_t rescan_interval_ms, char *err, size_t err_len)
{
	struct np_cgroup_cache *cache;
	struct stat st;

	if (max_entries == 0 || max_entries >= NO_PARENT) {
		snprintf(err, err_len, "cgroup map size %zu is out of range (1..%u)", max_entries,
			 NO_PARENT - 1);
		return NULL;
	}
	if (stat(root, &st) != 0) {
		snprintf(err, err_len, "%s: cannot open the cgroup hierarchy: %s", root,
			 strerror(errno));
		return NULL;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, err_len, "%s: not a directory, so not a cgroup hierarchy", root);
		return NULL;
	}
	cache = calloc(1, sizeof(*cache));
	if (!cache || !(cache->root = strdup(root))) {
		free(cache);
		snprintf(err, err_len, "%s: out of memory", root);
		return NULL;
	}
	cache->max_entries = max_entries;
	cache->rescan_interval_ms = rescan_interval_ms;
	return cache;
}

void np_cgroup_cache_free(struct np_cgroup_cache *cache)
{
	if (!cache)
		return;
	map_free(&cache->map);
	free(cache->root);
	free(cache);
}

static const struct node *map_find(const struct cgroup_map *map, uint64_t id)
{
	struct id_index key = { id, 0 };
	const struct id_index *hit;

	if (map->n_nodes == 0)
		return NULL;
	hit = bsearch(&key, map->by_id, map->n_nodes, sizeof(key), compare_index);
	return hit ? &map->nodes[hit->node] : NULL;
}

/* Writes "/a/b/c" for node c by following parents: names are placed from
 * the end of buf backwards, then moved to its start. */
static bool format_path(const struct cgroup_map *map, const struct node *node, char *buf,
			size_t len)
{
	size_t pos = len;

	if (len < 2)
		return false;
	buf[--pos] = '\0';
	if (node->parent == NO_PARENT) {
		memcpy(buf, "/", 2);
		return true;
	}
	for (; node->parent != NO_PARENT; node = &map->nodes[node->parent]) {
		const char *name = map->names + node->name;
		size_t n = strlen(name);

		if (pos < n + 1)
			return false;
		pos -= n;
		memcpy(buf + pos, name, n);
		buf[--pos] = '/';
	}
	memmove(buf, buf + pos, len - pos);
	return true;
}

bool np_cgroup_cache_lookup(struct np_cgroup_cache *cache, uint64_t id, uint64_t now_ms,
			    char *buf, size_t len)
{
	const struct node *node = map_find(&cache->map, id);

	if (!node) {
		/* Unsigned: a clock that went backwards counts as long enough. */
		bool due = !cache->scanned || now_ms - cache->last_scan_ms >= cache->rescan_interval_ms;

		if (!due) {
			cache->stats.rate_limited++;
			cache->stats.misses++;
			return false;
		}
		cache->scanned = true;
		cache->last_scan_ms = now_ms;
		if (rescan(cache))
			node = map_find(&cache->map, id);
		if (!node) {
			cache->stats.misses++;
			return false;
		}
	}
	return format_path(&cache->map, node, buf, len);
}

void np_cgroup_cache_get_stats(const struct np_cgroup_cache *cache,
			       struct np_cgroup_cache_stats *out)
{
	*out = cache->stats;
}
