/* decode — raw kernel event -> observation; see decode.h. */
#include "decode.h"

#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

_Static_assert(sizeof(struct np_event) == 120, "struct np_event size");
_Static_assert(offsetof(struct np_event, local_addr) == 32, "struct np_event local_addr");
_Static_assert(offsetof(struct np_event, cgroup_id) == 64, "struct np_event cgroup_id");
_Static_assert(offsetof(struct np_event, comm) == 104, "struct np_event comm");

struct hook_info {
	const char *name;
	uint8_t direction; /* enum np_event_direction */
	uint8_t protocol;  /* IPPROTO_* */
};

static const struct hook_info hooks[NP_HOOK_MAX + 1] = {
	[NP_HOOK_TCP_CONNECT] = { "tcp_connect", NP_EVENT_OUTBOUND, IPPROTO_TCP },
	[NP_HOOK_TCP_ESTABLISHED] = { "tcp_established", NP_EVENT_OUTBOUND, IPPROTO_TCP },
	[NP_HOOK_TCP_FAILED] = { "tcp_failed", NP_EVENT_OUTBOUND, IPPROTO_TCP },
	[NP_HOOK_TCP_ACCEPT] = { "tcp_accept", NP_EVENT_INBOUND, IPPROTO_TCP },
	[NP_HOOK_UDP_CONNECT] = { "udp_connect", NP_EVENT_OUTBOUND, IPPROTO_UDP },
	[NP_HOOK_UDP_SENDMSG] = { "udp_sendmsg", NP_EVENT_OUTBOUND, IPPROTO_UDP },
	[NP_HOOK_UDP_RECVMSG] = { "udp_recvmsg", NP_EVENT_INBOUND, IPPROTO_UDP },
};

static const struct hook_info *hook_info(unsigned hook)
{
	if (hook == 0 || hook > NP_HOOK_MAX)
		return NULL;
	return &hooks[hook];
}

const char *np_hook_name(enum np_event_hook hook)
{
	const struct hook_info *info = hook_info(hook);

	return info ? info->name : "unknown";
}

const char *np_flow_direction_name(enum np_flow_direction direction)
{
	return direction == NP_FLOW_OUTBOUND ? "outbound" : "inbound";
}

static bool all_zero(const uint8_t *bytes, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (bytes[i])
			return false;
	}
	return true;
}

/* The kernel reports an address it does not know yet as all zeros. */
static void flow_addr(struct np_flow_addr *out, int family, const uint8_t *addr, uint16_t port)
{
	size_t len = family == AF_INET ? 4 : 16;

	memset(out, 0, sizeof(*out));
	if (!all_zero(addr, len))
		np_ip_from_bytes(&out->ip, family, addr);
	out->port = port;
}

static int check_event(const struct np_event *ev, size_t size, char *err, size_t err_len)
{
	const struct hook_info *info;

	if (size != sizeof(*ev)) {
		snprintf(err, err_len, "event is %zu bytes, expected %zu", size, sizeof(*ev));
		return -1;
	}
	if (ev->magic != NP_EVENT_MAGIC) {
		snprintf(err, err_len, "event magic is 0x%08" PRIx32 ", expected 0x%08x", ev->magic,
			 NP_EVENT_MAGIC);
		return -1;
	}
	if (ev->version != NP_EVENT_VERSION || ev->size != sizeof(*ev)) {
		snprintf(err, err_len,
			 "event version %u (%u bytes) is not the version %d (%zu bytes) this "
			 "npwatch reads",
			 ev->version, ev->size, NP_EVENT_VERSION, sizeof(*ev));
		return -1;
	}
	info = hook_info(ev->hook);
	if (!info) {
		snprintf(err, err_len, "event hook %u is unknown", ev->hook);
		return -1;
	}
	if (ev->direction != info->direction || ev->protocol != info->protocol) {
		snprintf(err, err_len, "%s event has direction %u and protocol %u, expected %u and %u",
			 info->name, ev->direction, ev->protocol, info->direction, info->protocol);
		return -1;
	}
	if (ev->family != AF_INET && ev->family != AF_INET6) {
		snprintf(err, err_len, "%s event has address family %u", info->name, ev->family);
		return -1;
	}
	return 0;
}

int np_decode_event(const void *data, size_t size, struct np_observation *out, char *err,
		    size_t err_len)
{
	struct np_event ev;
	struct np_flow_addr local, remote;

	if (!data) {
		snprintf(err, err_len, "event is missing");
		return -1;
	}
	/* Copied: ring buffer records are only 8-byte aligned by contract. */
	memcpy(&ev, data, size < sizeof(ev) ? size : sizeof(ev));
	if (check_event(&ev, size, err, err_len) != 0)
		return -1;

	memset(out, 0, sizeof(*out));
	out->hook = ev.hook;
	out->proto = ev.protocol == IPPROTO_TCP ? NP_PROTO_TCP : NP_PROTO_UDP;
	flow_addr(&local, ev.family, ev.local_addr, ev.local_port);
	flow_addr(&remote, ev.family, ev.remote_addr, ev.remote_port);
	if (ev.direction == NP_EVENT_OUTBOUND) {
		out->direction = NP_FLOW_OUTBOUND;
		out->src = local;
		out->dst = remote;
	} else {
		out->direction = NP_FLOW_INBOUND;
		out->src = remote;
		out->dst = local;
	}
	out->summary = ev.flags & NP_EVENT_F_SUMMARY;
	out->connected_socket = ev.flags & NP_EVENT_F_CONNECTED;
	out->has_process = !(ev.flags & NP_EVENT_F_NO_PROCESS);
	out->pid = ev.pid;
	out->tgid = ev.tgid;
	memcpy(out->comm, ev.comm, sizeof(out->comm) - 1);
	out->cgroup_id = ev.cgroup_id;
	out->netns_cookie = ev.netns_cookie;
	out->flow_id = ev.flow_id;
	out->repeat_count = ev.repeat_count;
	out->ktime_ns = ev.ktime_ns;
	return 0;
}

/* "10.0.0.1:80", "[fd00::1]:80", "*:53" when the address is not known. */
static void format_end(const struct np_flow_addr *end, char *buf, size_t len)
{
	char ip[NP_IP_STRLEN];

	if (end->ip.family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", np_ip_format(&end->ip, ip, sizeof(ip)), end->port);
	else if (end->ip.family == AF_INET)
		snprintf(buf, len, "%s:%u", np_ip_format(&end->ip, ip, sizeof(ip)), end->port);
	else
		snprintf(buf, len, "*:%u", end->port);
}

const char *np_observation_format(const struct np_observation *obs, char *buf, size_t len)
{
	char src[NP_IP_STRLEN + 8], dst[NP_IP_STRLEN + 8];

	format_end(&obs->src, src, sizeof(src));
	format_end(&obs->dst, dst, sizeof(dst));
	snprintf(buf, len,
		 "%s %s %s %s -> %s pid %" PRIu32 " tid %" PRIu32 " (%s) cgroup %" PRIu64
		 " netns %" PRIu64 " flow %" PRIu64 "%s repeats %" PRIu64 "%s",
		 np_hook_name(obs->hook), np_flow_direction_name(obs->direction),
		 np_proto_name(obs->proto), src, dst, obs->tgid, obs->pid, obs->comm,
		 obs->cgroup_id, obs->netns_cookie, obs->flow_id,
		 obs->connected_socket ? " connected" : "", obs->repeat_count,
		 obs->summary ? " summary" : "");
	return buf;
}
