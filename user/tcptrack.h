/* tcptrack — TCP connects waiting for their outcome.
 *
 * A connect is seen at SYN_SENT and judged when it establishes or closes.
 * A connect whose SYNs are dropped (an enforcing CNI) closes only after the
 * SYN retries, minutes later; so a connect with no outcome after the wait is
 * handed back as expired (judged as not getting through), and remembered for
 * a while so that its late outcome can correct that judgement instead of
 * being reported as a new flow. Bounded: past max entries, new connects are
 * refused (the caller judges them at once) and counted.
 */
#ifndef NPWATCH_TCPTRACK_H
#define NPWATCH_TCPTRACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode.h"

struct np_tcp_tracker;

typedef void (*np_tcp_expired_fn)(const struct np_observation *connect, void *ctx);

struct np_tcp_tracker *np_tcp_tracker_new(size_t max_entries, uint64_t wait_ms,
					  uint64_t remember_ms);
void np_tcp_tracker_free(struct np_tcp_tracker *tracker);

/* Starts waiting for the outcome of this connect; false when full. */
bool np_tcp_tracker_add(struct np_tcp_tracker *tracker, const struct np_observation *connect,
			uint64_t now_ms);

enum np_tcp_state {
	NP_TCP_UNKNOWN, /* never seen, or forgotten */
	NP_TCP_WAITING, /* its outcome is the first word on it */
	NP_TCP_EXPIRED, /* judged already, at expiry */
};

/* The outcome of flow_id arrived: forgets it and says what was known. */
enum np_tcp_state np_tcp_tracker_resolve(struct np_tcp_tracker *tracker, uint64_t flow_id);

/* Hands every connect waiting longer than the wait to fn, and forgets
 * expired ones older than remember_ms. */
void np_tcp_tracker_expire(struct np_tcp_tracker *tracker, uint64_t now_ms, np_tcp_expired_fn fn,
			   void *ctx);
/* Hands every waiting connect to fn (at exit). */
void np_tcp_tracker_drain(struct np_tcp_tracker *tracker, np_tcp_expired_fn fn, void *ctx);

size_t np_tcp_tracker_waiting(const struct np_tcp_tracker *tracker);
uint64_t np_tcp_tracker_refused(const struct np_tcp_tracker *tracker);

#endif
