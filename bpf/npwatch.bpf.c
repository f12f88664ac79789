// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* npwatch kernel programs — observe TCP connections and UDP exchanges.
 *
 * TCP: tp_btf/inet_sock_set_state. SYN_SENT is an outbound attempt, made in
 * the connecting process's context: its identity is remembered per socket,
 * because the outcome (ESTABLISHED, or CLOSE without establishing) runs in
 * softirq on behalf of whoever is current. SYN_RECV -> ESTABLISHED is an
 * accepted connection; the local end is named by the socket's own cgroup.
 *
 * UDP: cgroup sock_addr programs on the cgroup v2 root: connect, sendmsg and
 * recvmsg, for IPv4 and IPv6. They only observe and always allow.
 *
 * Every observation goes through the in-kernel dedup described in
 * npwatch_event.h; npwatch_drain (run by userspace) flushes its pending
 * counts. Every event that cannot be sent is counted.
 */
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "npwatch_event.h"

#define AF_INET 2
#define AF_INET6 10
#define EEXIST 17

#define MAX_TCP_CONNECTS 16384
#define MAX_DEDUP_KEYS 16384

/* Set in a pending count by the drain while it removes the key: later
 * occurrences must not fold into a count nobody will read. */
#define PENDING_DRAINING (1ULL << 63)

/* Set by userspace before load; 0 disables dedup. */
const volatile __u64 dedup_window_ns = 10ULL * 1000 * 1000 * 1000;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20); /* resized by userspace before load */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NP_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/* Who started an outbound TCP connection, until its outcome. */
struct tcp_origin {
	__u64 cgroup_id;
	__u32 pid;
	__u32 tgid;
	char comm[NP_COMM_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_TCP_CONNECTS);
	__type(key, __u64); /* struct sock address: freed only after TCP_CLOSE */
	__type(value, struct tcp_origin);
} tcp_connects SEC(".maps");

struct dedup_key {
	__u64 netns_cookie;
	__u64 cgroup_id;
	__u8 local_addr[16];
	__u8 remote_addr[16];
	__u16 service_port;
	__u8 hook;
	__u8 family;
	__u32 reserved;
};

struct dedup_entry {
	__u64 window_start; /* ktime of the event that opened the window */
	__u64 pending;      /* repeats folded since the last event sent */
	struct np_event first; /* what a drain summary reports */
};

/* A plain hash, not an LRU: an LRU would evict keys with pending repeats
 * without a trace. When full, new keys go undeduplicated (and are counted). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_DEDUP_KEYS);
	__type(key, struct dedup_key);
	__type(value, struct dedup_entry);
} dedup SEC(".maps");

static __always_inline void count(enum np_counter index)
{
	__u32 key = index;
	__u64 *value = bpf_map_lookup_elem(&counters, &key);

	/* Atomic: a softirq program may interrupt a process-context one. */
	if (value)
		__sync_fetch_and_add(value, 1);
}

static __always_inline bool window_open(__u64 now, __u64 start)
{
	return (__s64)(now - start) < (__s64)dedup_window_ns;
}

/* Takes the pending count unless the drain owns it or it changes under us;
 * whatever is not taken stays pending for the next event or drain. */
static __always_inline __u64 take_pending(struct dedup_entry *entry)
{
	__u64 pending = *(volatile __u64 *)&entry->pending;

	if (!pending || (pending & PENDING_DRAINING))
		return 0;
	if (__sync_val_compare_and_swap(&entry->pending, pending, 0) != pending)
		return 0;
	return pending;
}

static __always_inline int send(const struct np_event *ev, struct dedup_entry *entry)
{
	struct np_event *out = bpf_ringbuf_reserve(&events, sizeof(*out), 0);

	if (!out) {
		count(NP_CNT_RINGBUF_LOST);
		return -1;
	}
	__builtin_memcpy(out, ev, sizeof(*out));
	if (entry)
		out->repeat_count = take_pending(entry);
	bpf_ringbuf_submit(out, 0);
	count(NP_CNT_EVENTS_SENT);
	return 0;
}

/* Sends ev, or folds it into the pending count of its flow's open window. */
static __always_inline void observe(const struct np_event *ev, __u16 service_port)
{
	struct dedup_key key = {};
	struct dedup_entry *entry;
	struct dedup_entry fresh;
	long err;

	if (!dedup_window_ns) {
		send(ev, NULL);
		return;
	}
	key.netns_cookie = ev->netns_cookie;
	key.cgroup_id = ev->cgroup_id;
	__builtin_memcpy(key.local_addr, ev->local_addr, sizeof(key.local_addr));
	__builtin_memcpy(key.remote_addr, ev->remote_addr, sizeof(key.remote_addr));
	key.service_port = service_port;
	key.hook = ev->hook;
	key.family = ev->family;

	entry = bpf_map_lookup_elem(&dedup, &key);
	if (entry && window_open(ev->ktime_ns, entry->window_start)) {
		if (!(__sync_fetch_and_add(&entry->pending, 1) & PENDING_DRAINING)) {
			count(NP_CNT_REPEATS_FOLDED);
			return;
		}
		send(ev, NULL); /* the key is being removed: stand alone */
		return;
	}
	if (send(ev, entry))
		return;
	if (entry) {
		entry->window_start = ev->ktime_ns;
		return;
	}
	fresh.window_start = ev->ktime_ns;
	fresh.pending = 0;
	__builtin_memcpy(&fresh.first, ev, sizeof(fresh.first));
	/* EEXIST: another CPU added the key (or the drain is removing it). */
	err = bpf_map_update_elem(&dedup, &key, &fresh, BPF_NOEXIST);
	if (err && err != -EEXIST)
		count(NP_CNT_DEDUP_FAIL);
}

static __always_inline void event_init(struct np_event *ev, __u8 hook, __u8 direction,
				       __u8 protocol)
{
	ev->magic = NP_EVENT_MAGIC;
	ev->version = NP_EVENT_VERSION;
	ev->size = sizeof(*ev);
	ev->hook = hook;
	ev->direction = direction;
	ev->protocol = protocol;
	ev->ktime_ns = bpf_ktime_get_ns();
}

static __always_inline void event_current_process(struct np_event *ev)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	ev->pid = (__u32)pid_tgid;
	ev->tgid = pid_tgid >> 32;
	ev->cgroup_id = bpf_get_current_cgroup_id();
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
}

/* ---- TCP ------------------------------------------------------------------ */

static __always_inline bool is_v4_mapped(const struct in6_addr *addr)
{
	return addr->in6_u.u6_addr32[0] == 0 && addr->in6_u.u6_addr32[1] == 0 &&
	       addr->in6_u.u6_addr32[2] == bpf_htonl(0xffff);
}

/* Addresses, ports, netns and socket cookie; a v6 socket talking to an IPv4
 * peer is reported as IPv4. */
static __always_inline void tcp_socket_fields(struct np_event *ev, struct sock *sk)
{
	struct in6_addr daddr6 = {};
	__u16 family = sk->__sk_common.skc_family;

	if (family == AF_INET6)
		bpf_core_read(&daddr6, sizeof(daddr6), &sk->__sk_common.skc_v6_daddr);
	if (family == AF_INET || is_v4_mapped(&daddr6)) {
		ev->family = AF_INET;
		bpf_core_read(ev->local_addr, 4, &sk->__sk_common.skc_rcv_saddr);
		bpf_core_read(ev->remote_addr, 4, &sk->__sk_common.skc_daddr);
	} else {
		ev->family = AF_INET6;
		bpf_core_read(ev->local_addr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
		__builtin_memcpy(ev->remote_addr, &daddr6, 16);
	}
	ev->local_port = sk->__sk_common.skc_num;
	ev->remote_port = bpf_ntohs(sk->__sk_common.skc_dport);
	ev->netns_cookie = BPF_CORE_READ(sk, __sk_common.skc_net.net, net_cookie);
	ev->flow_id = bpf_get_socket_cookie(sk);
}

static __always_inline void tcp_connect(struct sock *sk)
{
	struct tcp_origin origin = {};
	struct np_event ev = {};
	__u64 key = (__u64)sk;

	event_init(&ev, NP_HOOK_TCP_CONNECT, NP_EVENT_OUTBOUND, IPPROTO_TCP);
	event_current_process(&ev);
	tcp_socket_fields(&ev, sk);

	origin.cgroup_id = ev.cgroup_id;
	origin.pid = ev.pid;
	origin.tgid = ev.tgid;
	__builtin_memcpy(origin.comm, ev.comm, sizeof(origin.comm));
	if (bpf_map_update_elem(&tcp_connects, &key, &origin, BPF_ANY))
		count(NP_CNT_SOCKMAP_FAIL);

	observe(&ev, ev.remote_port);
}

/* Reports the outcome of an attempt seen at SYN_SENT; false when the socket
 * made none that we saw. */
static __always_inline bool tcp_outcome(struct sock *sk, __u8 hook)
{
	struct tcp_origin *origin;
	struct np_event ev = {};
	__u64 key = (__u64)sk;

	origin = bpf_map_lookup_elem(&tcp_connects, &key);
	if (!origin)
		return false;
	event_init(&ev, hook, NP_EVENT_OUTBOUND, IPPROTO_TCP);
	ev.cgroup_id = origin->cgroup_id;
	ev.pid = origin->pid;
	ev.tgid = origin->tgid;
	__builtin_memcpy(ev.comm, origin->comm, sizeof(ev.comm));
	bpf_map_delete_elem(&tcp_connects, &key);
	tcp_socket_fields(&ev, sk);
	observe(&ev, ev.remote_port);
	return true;
}

static __always_inline void tcp_accept(struct sock *sk)
{
	struct np_event ev = {};

	event_init(&ev, NP_HOOK_TCP_ACCEPT, NP_EVENT_INBOUND, IPPROTO_TCP);
	ev.flags = NP_EVENT_F_NO_PROCESS;
	ev.cgroup_id = BPF_CORE_READ(sk, sk_cgrp_data.cgroup, kn, id);
	tcp_socket_fields(&ev, sk);
	observe(&ev, ev.local_port);
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(npwatch_tcp_state, struct sock *sk, int oldstate, int newstate)
{
	__u16 family = sk->__sk_common.skc_family;

	if (sk->sk_protocol != IPPROTO_TCP || (family != AF_INET && family != AF_INET6))
		return 0;
	switch (newstate) {
	case TCP_SYN_SENT:
		tcp_connect(sk);
		break;
	case TCP_ESTABLISHED:
		/* A simultaneous open also passes SYN_RECV: the map tells. */
		if (!tcp_outcome(sk, NP_HOOK_TCP_ESTABLISHED) && oldstate == TCP_SYN_RECV)
			tcp_accept(sk);
		break;
	case TCP_CLOSE:
		tcp_outcome(sk, NP_HOOK_TCP_FAILED);
		break;
	}
	return 0;
}

/* ---- UDP ------------------------------------------------------------------ */

static __always_inline void udp_observe(struct bpf_sock_addr *ctx, __u8 hook, __u8 direction,
					__u8 family)
{
	struct bpf_sock *sk = ctx->sk;
	struct np_event ev = {};
	__u16 service_port;

	if (ctx->protocol != IPPROTO_UDP)
		return;
	event_init(&ev, hook, direction, IPPROTO_UDP);
	event_current_process(&ev);
	ev.family = family;
	ev.netns_cookie = bpf_get_netns_cookie(ctx);
	ev.flow_id = bpf_get_socket_cookie(ctx);
	ev.remote_port = bpf_ntohs((__u16)ctx->user_port);
	ev.local_port = sk->src_port;
	if (family == AF_INET) {
		__u32 remote = ctx->user_ip4, local = sk->src_ip4;

		__builtin_memcpy(ev.remote_addr, &remote, 4);
		__builtin_memcpy(ev.local_addr, &local, 4);
	} else {
		/* Field by field: the verifier refuses pointer arithmetic on ctx and sk. */
		__u32 remote[4] = { ctx->user_ip6[0], ctx->user_ip6[1], ctx->user_ip6[2],
				    ctx->user_ip6[3] };
		__u32 local[4] = { sk->src_ip6[0], sk->src_ip6[1], sk->src_ip6[2],
				   sk->src_ip6[3] };

		__builtin_memcpy(ev.remote_addr, remote, 16);
		__builtin_memcpy(ev.local_addr, local, 16);
	}

	service_port = ev.remote_port;
	if (hook == NP_HOOK_UDP_RECVMSG) {
		if (sk->state == BPF_TCP_ESTABLISHED)
			ev.flags |= NP_EVENT_F_CONNECTED;
		else
			service_port = ev.local_port;
	}
	observe(&ev, service_port);
}

SEC("cgroup/connect4")
int npwatch_connect4(struct bpf_sock_addr *ctx)
{
	udp_observe(ctx, NP_HOOK_UDP_CONNECT, NP_EVENT_OUTBOUND, AF_INET);
	return 1;
}

SEC("cgroup/connect6")
int npwatch_connect6(struct bpf_sock_addr *ctx)
{
	udp_observe(ctx, NP_HOOK_UDP_CONNECT, NP_EVENT_OUTBOUND, AF_INET6);
	return 1;
}

SEC("cgroup/sendmsg4")
int npwatch_sendmsg4(struct bpf_sock_addr *ctx)
{
	udp_observe(ctx, NP_HOOK_UDP_SENDMSG, NP_EVENT_OUTBOUND, AF_INET);
	return 1;
}

SEC("cgroup/sendmsg6")
int npwatch_sendmsg6(struct bpf_sock_addr *ctx)
{
	udp_observe(ctx, NP_HOOK_UDP_SENDMSG, NP_EVENT_OUTBOUND, AF_INET6);
	return 1;
}

SEC("cgroup/recvmsg4")
int npwatch_recvmsg4(struct bpf_sock_addr *ctx)
{
	udp_observe(ctx, NP_HOOK_UDP_RECVMSG, NP_EVENT_INBOUND, AF_INET);
	return 1;
}

SEC("cgroup/recvmsg6")
int npwatch_recvmsg6(struct bpf_sock_addr *ctx)
{
	udp_observe(ctx, NP_HOOK_UDP_RECVMSG, NP_EVENT_INBOUND, AF_INET6);
	return 1;
}

/* ---- drain ------------------------------------------------------------------ */

struct drain_state {
	__u64 now;
	__u32 flush_all;
	__u32 deferred; /* keys left pending: ring buffer full */
};

static long drain_key(struct bpf_map *map, struct dedup_key *key, struct dedup_entry *entry,
		      struct drain_state *state)
{
	struct np_event *out;
	__u64 pending;

	if (!state->flush_all && window_open(state->now, entry->window_start))
		return 0;
	/* Nothing to report: remove the key unless a repeat just came in. */
	if (__sync_val_compare_and_swap(&entry->pending, 0, PENDING_DRAINING) == 0) {
		bpf_map_delete_elem(&dedup, key);
		return 0;
	}
	out = bpf_ringbuf_reserve(&events, sizeof(*out), 0);
	if (!out) {
		state->deferred++;
		return 0;
	}
	pending = __sync_lock_test_and_set(&entry->pending, PENDING_DRAINING);
	if (!pending || (pending & PENDING_DRAINING)) {
		/* An event took the count meanwhile, or another drain owns it. */
		bpf_ringbuf_discard(out, 0);
		if (!pending)
			bpf_map_delete_elem(&dedup, key);
		return 0;
	}
	__builtin_memcpy(out, &entry->first, sizeof(*out));
	out->flags |= NP_EVENT_F_SUMMARY;
	out->repeat_count = pending;
	out->ktime_ns = state->now;
	bpf_ringbuf_submit(out, 0);
	count(NP_CNT_SUMMARIES_SENT);
	bpf_map_delete_elem(&dedup, key);
	return 0;
}

/* Run by userspace (BPF_PROG_TEST_RUN); returns how many keys it left pending. */
SEC("syscall")
int npwatch_drain(struct np_drain_args *args)
{
	struct drain_state state = {
		.now = bpf_ktime_get_ns(),
		.flush_all = args->flush_all,
	};

	bpf_for_each_map_elem(&dedup, drain_key, &state, 0);
	return state.deferred;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
