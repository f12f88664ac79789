/* modelwatch — the daemon's cluster model, kept current.
 *
 * Loads the model from -f paths and --staged paths, watches those files and
 * folders (inotify), and reloads on change or on request (SIGHUP). A reload
 * that fails keeps the last good model and says why; a good one replaces it
 * whole, so readers never see half a model. Single-threaded by design: the
 * daemon's event loop owns it, and nothing keeps pointers into a model
 * across a reload.
 */
#ifndef NPWATCH_MODELWATCH_H
#define NPWATCH_MODELWATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "cli.h"
#include "model.h"

struct np_model_watch;

/* Loads the first model; NULL with the loader's message in err on failure. */
struct np_model_watch *np_model_watch_open(const struct np_path_list *paths,
					   const struct np_path_list *staged,
					   const char *default_ns, char *err, size_t len);
void np_model_watch_close(struct np_model_watch *watch);

const struct np_model *np_model_watch_current(const struct np_model_watch *watch);
/* Whether the current model holds any staged policy. */
bool np_model_watch_has_staged(const struct np_model_watch *watch);

/* The inotify descriptor to poll, or -1 when watching is unavailable. */
int np_model_watch_fd(const struct np_model_watch *watch);
/* Drains inotify events; true when one concerns the watched manifests. */
bool np_model_watch_changed(struct np_model_watch *watch);

/* Loads anew. 0: the new model is current. -1: err says why, and the last
 * good model stays current. */
int np_model_watch_reload(struct np_model_watch *watch, char *err, size_t len);

/* One line for the log: "3 namespaces, 9 pods, 4 services, 6 policies in force, 3 staged". */
void np_model_describe(const struct np_model *model, char *buf, size_t len);

#endif
