/* tcptrack — TCP connects waiting for their outcome; see tcptrack.h. */
#include "tcptrack.h"

#include <stdlib.h>

struct entry {
	struct entry *next;
	struct np_observation connect;
	enum np_tcp_state state;
	uint64_t since_ms; /* added, or expired */
};

struct np_tcp_tracker {
	struct entry **buckets;
	size_t n_buckets; /* a power of two */
	size_t n_entries;
	size_t n_waiting;
	size_t max_entries;
	uint64_t wait_ms;
	uint64_t remember_ms;
	uint64_t refused;
};

static size_t bucket_of(const struct np_tcp_tracker *tracker, uint64_t flow_id)
{
	/* Socket cookies are sequential: mix before masking. */
	flow_id ^= flow_id >> 33;
	flow_id *= 0xff51afd7ed558ccdULL;
	flow_id ^= flow_id >> 33;
	return (size_t)(flow_id & (tracker->n_buckets - 1));
}

struct np_tcp_tracker *np_tcp_tracker_new(size_t max_entries, uint64_t wait_ms,
					  uint64_t remember_ms)
{
	struct np_tcp_tracker *tracker = calloc(1, sizeof(*tracker));

	if (!tracker)
		return NULL;
	tracker->n_buckets = 4096;
	tracker->buckets = calloc(tracker->n_buckets, sizeof(*tracker->buckets));
	if (!tracker->buckets) {
		free(tracker);
		return NULL;
	}
	tracker->max_entries = max_entries;
	tracker->wait_ms = wait_ms;
	tracker->remember_ms = remember_ms;
	return tracker;
}

void np_tcp_tracker_free(struct np_tcp_tracker *tracker)
{
	if (!tracker)
		return;
	for (size_t b = 0; b < tracker->n_buckets; b++) {
		struct entry *e = tracker->buckets[b];

		while (e) {
			struct entry *next = e->next;

			free(e);
			e = next;
		}
	}
	free(tracker->buckets);
	free(tracker);
}

static struct entry **find(struct np_tcp_tracker *tracker, uint64_t flow_id)
{
	struct entry **link = &tracker->buckets[bucket_of(tracker, flow_id)];

	while (*link && (*link)->connect.flow_id != flow_id)
		link = &(*link)->next;
	return link;
}

static void unlink_entry(struct np_tcp_tracker *tracker, struct entry **link)
{
	struct entry *e = *link;

	*link = e->next;
	if (e->state == NP_TCP_WAITING)
		tracker->n_waiting--;
	tracker->n_entries--;
	free(e);
}

bool np_tcp_tracker_add(struct np_tcp_tracker *tracker, const struct np_observation *connect,
			uint64_t now_ms)
{
	struct entry **link = find(tracker, connect->flow_id);
	struct entry *e;

	if (*link) /* a socket cookie reused after its entry was forgotten */
		unlink_entry(tracker, link);
	if (tracker->n_entries >= tracker->max_entries || !(e = calloc(1, sizeof(*e)))) {
		tracker->refused++;
		return false;
	}
	e->connect = *connect;
	e->state = NP_TCP_WAITING;
	e->since_ms = now_ms;
	e->next = tracker->buckets[bucket_of(tracker, connect->flow_id)];
	tracker->buckets[bucket_of(tracker, connect->flow_id)] = e;
	tracker->n_entries++;
	tracker->n_waiting++;
	return true;
}

enum np_tcp_state np_tcp_tracker_resolve(struct np_tcp_tracker *tracker, uint64_t flow_id)
{
	struct entry **link = find(tracker, flow_id);
	enum np_tcp_state state;

	if (!*link)
		return NP_TCP_UNKNOWN;
	state = (*link)->state;
	unlink_entry(tracker, link);
	return state;
}

static void sweep(struct np_tcp_tracker *tracker, uint64_t now_ms, bool all, np_tcp_expired_fn fn,
		  void *ctx)
{
	for (size_t b = 0; b < tracker->n_buckets; b++) {
		struct entry **link = &tracker->buckets[b];

		while (*link) {
			struct entry *e = *link;
			uint64_t age = now_ms - e->since_ms;

			if (e->state == NP_TCP_WAITING && (all || age >= tracker->wait_ms)) {
				fn(&e->connect, ctx);
				e->state = NP_TCP_EXPIRED;
				e->since_ms = now_ms;
				tracker->n_waiting--;
			} else if (e->state == NP_TCP_EXPIRED && age >= tracker->remember_ms) {
				unlink_entry(tracker, link);
				continue;
			}
			link = &e->next;
		}
	}
}

void np_tcp_tracker_expire(struct np_tcp_tracker *tracker, uint64_t now_ms, np_tcp_expired_fn fn,
			   void *ctx)
{
	sweep(tracker, now_ms, false, fn, ctx);
}

void np_tcp_tracker_drain(struct np_tcp_tracker *tracker, np_tcp_expired_fn fn, void *ctx)
{
	sweep(tracker, 0, true, fn, ctx);
}

size_t np_tcp_tracker_waiting(const struct np_tcp_tracker *tracker)
{
	return tracker->n_waiting;
}

uint64_t np_tcp_tracker_refused(const struct np_tcp_tracker *tracker)
{
	return tracker->refused;
}
