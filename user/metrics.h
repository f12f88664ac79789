/* metrics — the daemon's counters for Prometheus, over HTTP (--metrics ADDR).
 *
 * A small server inside the daemon's event loop: it never blocks and never
 * waits on a client. Each connection is read until its request is complete,
 * answered with the text exposition format and closed; at most a few are
 * open at once, and one that is too slow or too large is dropped.
 */
#ifndef NPWATCH_METRICS_H
#define NPWATCH_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "verdict.h"

struct np_metrics_values {
	uint64_t observations;
	uint64_t flows[NP_VERDICT_DENY + 1]; /* judged on this node, by verdict */
	uint64_t other_node;
	uint64_t udp_replies;
	uint64_t lines_written;
	uint64_t lost_ringbuf, lost_socket_map, lost_dedup_map, lost_undecodable, lost_tracker;
	uint64_t reloads_ok, reloads_failed;
	uint64_t snapshots_written, snapshots_failed;
	uint64_t policies_in_force, policies_staged, pods;
};

struct np_metrics_server;

/* Listens on addr — "HOST:PORT", "[V6]:PORT" or ":PORT" (every address) —
 * and registers its descriptors with epoll_fd as they come and go. NULL with
 * a message naming addr when it cannot listen there. */
struct np_metrics_server *np_metrics_open(const char *addr, int epoll_fd, char *err, size_t len);
void np_metrics_close(struct np_metrics_server *server);

/* Handles what is ready on fd; false when fd is not the server's. */
bool np_metrics_handle(struct np_metrics_server *server, int fd,
		       const struct np_metrics_values *values);
/* Drops connections that did not send a whole request in time. */
void np_metrics_expire(struct np_metrics_server *server, uint64_t now_ms);

/* The exposition text of values, as served; the caller frees it. */
char *np_metrics_render(const struct np_metrics_values *values);

#endif
