/* observer — loads and attaches the kernel programs (bpf/npwatch.bpf.c) and
 * delivers what they see as decoded observations.
 *
 * TCP is observed by a tp_btf program on sock/inet_sock_set_state, UDP by
 * cgroup sock_addr programs on the root of the cgroup v2 hierarchy (found in
 * /proc/mounts). Repeats of a flow inside the dedup window are counted in the
 * kernel, not sent; np_observer_poll() runs the kernel's drain once per
 * window, so their counts arrive as summary observations, and
 * np_observer_flush() hands over everything still pending. Summed over all
 * observations, np_observation_occurrences() is then exactly the number of
 * occurrences the kernel saw, less the events counted as lost.
 *
 * Not thread-safe: one thread polls.
 */
#ifndef NPWATCH_OBSERVER_H
#define NPWATCH_OBSERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode.h"

#define NP_OBSERVER_DEFAULT_WINDOW_MS 10000
#define NP_OBSERVER_DEFAULT_RINGBUF (1u << 20)

struct np_observer_options {
	uint32_t dedup_window_ms; /* 0: NP_OBSERVER_DEFAULT_WINDOW_MS */
	bool no_dedup;            /* send every occurrence */
	/* 0: NP_OBSERVER_DEFAULT_RINGBUF; else rounded up to a power of two
	 * of at least a page, as the kernel requires, and at most 1 GiB. */
	uint32_t ringbuf_bytes;
	bool verbose; /* pass libbpf's messages (the verifier log) to stderr */
};

struct np_observer_counters {
	uint64_t events_sent;      /* observations sent, summaries excluded */
	uint64_t repeats_folded;   /* occurrences counted in the kernel, not sent */
	uint64_t summaries_sent;   /* drain summaries sent */
	uint64_t ringbuf_lost;     /* events dropped: ring buffer full */
	uint64_t socket_map_fail;  /* TCP connects whose outcome cannot be reported */
	uint64_t dedup_map_fail;   /* flows not deduplicated: dedup map full */
	uint64_t decode_errors;    /* records that failed to decode (not delivered) */
};

struct np_observer;

/* Called once per observation; return 0 to go on, or a negative value to
 * stop polling (np_observer_poll then returns it). */
typedef int (*np_observation_fn)(const struct np_observation *obs, void *ctx);

/* Checks the privileges, kernel BTF and cgroup v2 mount, loads and attaches
 * everything (opts NULL: defaults). Returns NULL with one line in err saying
 * what is missing or failed; libbpf's own messages appear only with
 * opts->verbose. */
struct np_observer *np_observer_open(const struct np_observer_options *opts, char *err,
				     size_t err_len);

/* Detaches every program and frees everything; NULL is ignored. */
void np_observer_close(struct np_observer *obs);

/* One line saying what is attached where, the dedup window and ring size. */
const char *np_observer_describe(const struct np_observer *obs, char *buf, size_t len);

/* A file descriptor that is readable when events wait (for epoll). */
int np_observer_fd(const struct np_observer *obs);

/* Waits up to timeout_ms (-1: forever) for events, delivers them, and runs
 * the dedup drain when a window has passed since the last one. Returns the
 * number of records consumed, a negative errno, or the callback's negative
 * value. An interrupted wait returns 0. */
int np_observer_poll(struct np_observer *obs, int timeout_ms, np_observation_fn fn, void *ctx);

/* Delivers every pending event and the counts of every window, open or not,
 * so that the totals are final. Returns 0 or a negative errno (-EBUSY when
 * the ring buffer kept filling up faster than it drained). */
int np_observer_flush(struct np_observer *obs, np_observation_fn fn, void *ctx);

/* Kernel counters summed over CPUs, plus userspace decode errors. */
int np_observer_counters(const struct np_observer *obs, struct np_observer_counters *out);

#endif
