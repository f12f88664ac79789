/* decode — turns a raw kernel event (include/npwatch_event.h) into an
 * observation: checked, with addresses normalised and the two ends of the
 * flow named by role.
 *
 * An observation's src is the end that initiated the flow and dst the other,
 * in both directions: an outbound flow goes from the local end to the remote
 * one, an inbound flow from the remote end to the local one. The local end is
 * the one on this node, which the pid, comm and cgroup id describe.
 */
#ifndef NPWATCH_DECODE_H
#define NPWATCH_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "netaddr.h"
#include "npwatch_event.h"

enum np_flow_direction {
	NP_FLOW_OUTBOUND, /* the local end initiated: src is local */
	NP_FLOW_INBOUND,  /* the remote end initiated: dst is local */
};

/* One end of an observed flow. */
struct np_flow_addr {
	struct np_ip ip; /* family 0 when not known (a wildcard-bound local end) */
	uint16_t port;   /* host order; 0 when not known (not bound yet) */
};

struct np_observation {
	enum np_event_hook hook;
	enum np_flow_direction direction;
	enum np_proto proto;
	struct np_flow_addr src; /* initiator */
	struct np_flow_addr dst;
	/* A drain summary: no new occurrence, only repeat_count more repeats of
	 * the flow; its other fields (process, ephemeral port, flow id) are
	 * those of an earlier event of the flow. */
	bool summary;
	/* UDP recvmsg on a connected socket: a reply from the peer it connected
	 * to, so part of the local end's own outbound flow. */
	bool connected_socket;
	/* False for accepted TCP connections: the kernel accepts them in softirq,
	 * outside any process; pid, tgid and comm are then zero. */
	bool has_process;
	uint32_t pid;  /* thread id */
	uint32_t tgid; /* process id */
	char comm[NP_COMM_LEN];
	uint64_t cgroup_id;    /* cgroup v2 id of the local end */
	uint64_t netns_cookie; /* network namespace of the local socket */
	uint64_t flow_id;      /* socket cookie: a TCP connect and its outcome share it */
	uint64_t repeat_count; /* repeats of this flow folded into this observation */
	uint64_t ktime_ns;     /* CLOCK_MONOTONIC */
	uint64_t wall_time_ns; /* CLOCK_REALTIME, set by the observer; 0 otherwise */
};

/* Decodes size bytes of one ring buffer record. Returns 0, or -1 with a
 * message in err when the record is not a valid event of this version. */
int np_decode_event(const void *data, size_t size, struct np_observation *out, char *err,
		    size_t err_len);

/* "tcp_connect", "udp_recvmsg", ...; "unknown" for anything else. */
const char *np_hook_name(enum np_event_hook hook);
/* "outbound" or "inbound". */
const char *np_flow_direction_name(enum np_flow_direction direction);

/* How many occurrences of the flow the observation accounts for. */
static inline uint64_t np_observation_occurrences(const struct np_observation *obs)
{
	return obs->repeat_count + (obs->summary ? 0 : 1);
}

static inline const struct np_flow_addr *np_observation_local(const struct np_observation *obs)
{
	return obs->direction == NP_FLOW_OUTBOUND ? &obs->src : &obs->dst;
}

static inline const struct np_flow_addr *np_observation_remote(const struct np_observation *obs)
{
	return obs->direction == NP_FLOW_OUTBOUND ? &obs->dst : &obs->src;
}

/* One line for logs and debugging, e.g.
 * "tcp_established outbound TCP 10.0.0.1:41000 -> 10.0.0.2:80 pid 42 tid 42 (curl)
 *  cgroup 7 netns 4096 flow 9 repeats 0". */
const char *np_observation_format(const struct np_observation *obs, char *buf, size_t len);

#endif
