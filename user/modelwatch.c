/* modelwatch — the daemon's cluster model, kept current; see modelwatch.h. */
#include "modelwatch.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "manifest.h"

struct np_model_watch {
	struct np_path_list paths;
	struct np_path_list staged;
	const char *default_ns;
	struct np_model *model;
	bool has_staged;
	int inotify_fd;
};

static const uint32_t watch_mask =
	IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_DELETE_SELF |
	IN_MOVE_SELF | IN_ATTRIB;

static void watch_tree(int fd, const char *path)
{
	struct stat st;
	DIR *dir;
	struct dirent *entry;

	if (stat(path, &st) != 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		/* Editors replace files by rename: watch the folder, not the inode. */
		char parent[PATH_MAX];
		const char *slash = strrchr(path, '/');

		snprintf(parent, sizeof(parent), "%.*s", slash ? (int)(slash - path) : 1,
			 slash ? path : ".");
		inotify_add_watch(fd, parent[0] ? parent : "/", watch_mask);
		return;
	}
	inotify_add_watch(fd, path, watch_mask);
	dir = opendir(path);
	if (!dir)
		return;
	while ((entry = readdir(dir)) != NULL) {
		char child[PATH_MAX];

		if (entry->d_name[0] == '.')
			continue;
		snprintf(child, sizeof(child), "%s/%s", path, entry->d_name);
		if (stat(child, &st) == 0 && S_ISDIR(st.st_mode))
			watch_tree(fd, child);
	}
	closedir(dir);
}

static void watch_all(struct np_model_watch *watch)
{
	if (watch->inotify_fd < 0)
		return;
	for (size_t i = 0; i < watch->paths.count; i++)
		if (strcmp(watch->paths.paths[i], "-") != 0)
			watch_tree(watch->inotify_fd, watch->paths.paths[i]);
	for (size_t i = 0; i < watch->staged.count; i++)
		watch_tree(watch->inotify_fd, watch->staged.paths[i]);
}

static struct np_model *load(const struct np_model_watch *watch, char *err, size_t len)
{
	struct np_load_stats stats;

	return np_manifest_load_model(watch->paths.paths, watch->paths.count, watch->staged.paths,
				      watch->staged.count, watch->default_ns, &stats, err, len);
}

/* Asked for every flow: worked out once per model. */
static bool holds_staged(const struct np_model *model)
{
	for (size_t i = 0; i < model->n_policies; i++)
		if (model->policies[i].staged)
			return true;
	return false;
}

struct np_model_watch *np_model_watch_open(const struct np_path_list *paths,
					   const struct np_path_list *staged,
					   const char *default_ns, char *err, size_t len)
{
	struct np_model_watch *watch = calloc(1, sizeof(*watch));

	if (!watch) {
		snprintf(err, len, "out of memory");
		return NULL;
	}
	watch->paths = *paths;
	watch->staged = *staged;
	watch->default_ns = default_ns;
	watch->model = load(watch, err, len);
	if (!watch->model) {
		free(watch);
		return NULL;
	}
	watch->has_staged = holds_staged(watch->model);
	watch->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	watch_all(watch);
	return watch;
}

void np_model_watch_close(struct np_model_watch *watch)
{
	if (!watch)
		return;
	if (watch->inotify_fd >= 0)
		close(watch->inotify_fd);
	np_model_free(watch->model);
	free(watch);
}

const struct np_model *np_model_watch_current(const struct np_model_watch *watch)
{
	return watch->model;
}

bool np_model_watch_has_staged(const struct np_model_watch *watch)
{
	return watch->has_staged;
}



int np_model_watch_fd(const struct np_model_watch *watch)
{
	return watch->inotify_fd;
}

static bool is_manifest_name(const char *name)
{
	size_t n = strlen(name);

	return (n > 5 && strcmp(name + n - 5, ".yaml") == 0) ||
	       (n > 4 && strcmp(name + n - 4, ".yml") == 0) ||
	       (n > 5 && strcmp(name + n - 5, ".json") == 0);
}

bool np_model_watch_changed(struct np_model_watch *watch)
{
	char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool changed = false;
	ssize_t n;

	if (watch->inotify_fd < 0)
		return false;
	while ((n = read(watch->inotify_fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;

			/* Editors' swap and backup files are not manifests. */
			if (!ev->len || (ev->mask & IN_ISDIR) || is_manifest_name(ev->name))
				changed = true;
			p += sizeof(*ev) + ev->len;
		}
	}
	return changed;
}

int np_model_watch_reload(struct np_model_watch *watch, char *err, size_t len)
{
	struct np_model *fresh = load(watch, err, len);

	if (!fresh)
		return -1;
	np_model_free(watch->model);
	watch->model = fresh;
	watch->has_staged = holds_staged(fresh);
	/* Folders may have appeared or been replaced: watch them anew. A watch
	 * added twice is the same watch, so this does not pile up. */
	watch_all(watch);
	return 0;
}

static size_t count_policies(const struct np_model *model, bool staged)
{
	size_t n = 0;

	for (size_t i = 0; i < model->n_policies; i++)
		n += model->policies[i].staged == staged;
	return n;
}

void np_model_describe(const struct np_model *model, char *buf, size_t len)
{
	snprintf(buf, len,
		 "%zu namespaces, %zu pods, %zu services, %zu nodes, %zu policies in force, %zu staged",
		 model->n_namespaces, model->n_pods, model->n_services, model->n_nodes,
		 count_policies(model, false), count_policies(model, true));
}
