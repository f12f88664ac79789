/* npwatch_event — the ABI between the kernel programs (bpf/) and the daemon.
 *
 * The kernel sends one fixed-size struct np_event per observation through a
 * ring buffer. Every field has a fixed width and natural alignment, padding is
 * explicit, ports are in host byte order and addresses are 16 bytes of
 * network-order data (IPv4 in the first 4). The magic, version and size
 * fields let the reader refuse events of another layout; bump
 * NP_EVENT_VERSION on any change.
 *
 * Deduplication and exact counts. Each event is keyed by its flow: netns,
 * cgroup, both addresses, the service port (the remote port of an outbound
 * flow or of a datagram on a connected socket, the local port of an accepted
 * connection or of a datagram on an unconnected socket; the ephemeral port is
 * left out), and the hook (protocol and direction follow from it). The first
 * occurrence of a key opens a window and is sent; occurrences inside the
 * window are folded into a pending count; the first occurrence after the
 * window is sent with repeat_count = the repeats folded before it and opens
 * the next window. Userspace runs the drain program (SEC("syscall"),
 * struct np_drain_args) once per window: it sends a summary event
 * (NP_EVENT_F_SUMMARY, repeat_count = pending repeats) for each key whose
 * window is over and removes the key. All hand-overs of the pending count
 * are atomic, so
 *   occurrences = events sent (not summaries) + repeats folded + events lost
 *   repeats folded = sum of repeat_count over all events and summaries
 *                    + repeats still pending
 * hold exactly; after a final drain with flush_all nothing is pending.
 */
#ifndef NPWATCH_EVENT_H
#define NPWATCH_EVENT_H

#ifndef __bpf__
#include <linux/types.h>
#endif

#define NP_EVENT_MAGIC 0x4e505745u /* "NPWE" */
#define NP_EVENT_VERSION 1
#define NP_COMM_LEN 16

enum np_event_hook {
	NP_HOOK_TCP_CONNECT = 1, /* SYN_SENT: outbound attempt, local port not chosen yet */
	NP_HOOK_TCP_ESTABLISHED, /* outbound attempt's outcome: SYN_SENT -> ESTABLISHED */
	NP_HOOK_TCP_FAILED,      /* outbound attempt's outcome: SYN_SENT -> CLOSE */
	NP_HOOK_TCP_ACCEPT,      /* inbound: SYN_RECV -> ESTABLISHED */
	NP_HOOK_UDP_CONNECT,     /* connect() on a UDP socket */
	NP_HOOK_UDP_SENDMSG,     /* send with a destination address */
	NP_HOOK_UDP_RECVMSG,     /* receive asking for the source address */
	NP_HOOK_MAX = NP_HOOK_UDP_RECVMSG,
};

enum np_event_direction {
	NP_EVENT_OUTBOUND = 1, /* the local end initiated: local = source */
	NP_EVENT_INBOUND = 2,  /* the remote end initiated: remote = source */
};

/* A summary from the drain: no new occurrence, only repeat_count repeats. */
#define NP_EVENT_F_SUMMARY (1u << 0)
/* UDP recvmsg on a connected socket: the datagram came from its peer. */
#define NP_EVENT_F_CONNECTED (1u << 1)
/* TCP accept: no process context; pid, tgid and comm are zero. */
#define NP_EVENT_F_NO_PROCESS (1u << 2)

struct np_event {
	__u32 magic;   /* NP_EVENT_MAGIC */
	__u16 version; /* NP_EVENT_VERSION */
	__u16 size;    /* sizeof(struct np_event) */
	__u8 hook;      /* enum np_event_hook */
	__u8 direction; /* enum np_event_direction */
	__u8 protocol;  /* IPPROTO_TCP or IPPROTO_UDP */
	__u8 family;    /* AF_INET or AF_INET6 (may carry v4-mapped addresses) */
	__u16 local_port;  /* host order; 0 when not known (not bound yet) */
	__u16 remote_port; /* host order */
	__u32 flags;       /* NP_EVENT_F_* */
	__u32 pid;         /* thread id (kernel pid) of the process in context */
	__u32 tgid;        /* process id */
	__u32 reserved;    /* zero */
	__u8 local_addr[16];  /* all zero when not known (wildcard-bound socket) */
	__u8 remote_addr[16];
	__u64 cgroup_id;    /* cgroup v2 id (inode number of its directory) */
	__u64 netns_cookie; /* network namespace of the socket */
	__u64 flow_id;      /* socket cookie: ties a TCP connect to its outcome */
	__u64 repeat_count; /* repeats folded into this event (see above) */
	__u64 ktime_ns;     /* CLOCK_MONOTONIC */
	char comm[NP_COMM_LEN];
};

_Static_assert(sizeof(struct np_event) == 120, "struct np_event layout changed");

/* Per-CPU counters (array map "counters", one __u64 per index and CPU). */
enum np_counter {
	NP_CNT_EVENTS_SENT,    /* events put in the ring buffer, summaries excluded */
	NP_CNT_REPEATS_FOLDED, /* occurrences counted into a pending count */
	NP_CNT_SUMMARIES_SENT, /* drain summaries put in the ring buffer */
	NP_CNT_RINGBUF_LOST,   /* events dropped: ring buffer full */
	NP_CNT_SOCKMAP_FAIL,   /* TCP connects not remembered: socket map update failed */
	NP_CNT_DEDUP_FAIL,     /* keys not deduplicated: dedup map update failed */
	NP_CNT_MAX,
};

/* Input of the drain program (bpf_prog_test_run ctx). */
struct np_drain_args {
	__u32 flush_all; /* 1: summarise and remove every key, window over or not */
	__u32 reserved;
};

#endif
