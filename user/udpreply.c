/* udpreply — tells a UDP server's replies from the flows it starts; see udpreply.h. */
#include "udpreply.h"

#include <stdlib.h>
#include <string.h>

struct slot {
	uint64_t netns_cookie;
	struct np_ip peer;
	uint16_t local_port;
	uint64_t seen_ms; /* 0: empty */
};

struct np_udp_replies {
	struct slot *slots;
	size_t mask;
	uint64_t remember_ms;
};

struct np_udp_replies *np_udp_replies_new(unsigned slots_log2, uint64_t remember_ms)
{
	struct np_udp_replies *replies = calloc(1, sizeof(*replies));

	if (!replies)
		return NULL;
	replies->slots = calloc((size_t)1 << slots_log2, sizeof(*replies->slots));
	if (!replies->slots) {
		free(replies);
		return NULL;
	}
	replies->mask = ((size_t)1 << slots_log2) - 1;
	replies->remember_ms = remember_ms;
	return replies;
}

void np_udp_replies_free(struct np_udp_replies *replies)
{
	if (!replies)
		return;
	free(replies->slots);
	free(replies);
}

static size_t slot_of(const struct np_udp_replies *replies, uint64_t netns, uint16_t port,
		      const struct np_ip *peer)
{
	uint64_t h = 1469598103934665603ULL ^ netns ^ ((uint64_t)port << 48); /* FNV-1a */
	/* Unused bytes of an IPv4 address are zero: hashing all 16 is fine. */
	for (size_t i = 0; i < sizeof(peer->addr); i++)
		h = (h ^ peer->addr[i]) * 1099511628211ULL;
	return (size_t)(h ^ (h >> 29)) & replies->mask;
}

void np_udp_replies_note(struct np_udp_replies *replies, const struct np_observation *recv,
			 uint64_t now_ms)
{
	const struct np_flow_addr *local = np_observation_local(recv);
	const struct np_flow_addr *peer = np_observation_remote(recv);
	struct slot *slot = &replies->slots[slot_of(replies, recv->netns_cookie, local->port,
						     &peer->ip)];

	slot->netns_cookie = recv->netns_cookie;
	slot->peer = peer->ip;
	slot->local_port = local->port;
	slot->seen_ms = now_ms ? now_ms : 1;
}

bool np_udp_replies_is_reply(const struct np_udp_replies *replies,
			     const struct np_observation *send, uint64_t now_ms)
{
	const struct np_flow_addr *local = np_observation_local(send);
	const struct np_flow_addr *peer = np_observation_remote(send);
	const struct slot *slot;

	if (local->port == 0)
		return false;
	slot = &replies->slots[slot_of(replies, send->netns_cookie, local->port, &peer->ip)];
	return slot->seen_ms != 0 && now_ms - slot->seen_ms <= replies->remember_ms &&
	       slot->netns_cookie == send->netns_cookie && slot->local_port == local->port &&
	       np_ip_equal(&slot->peer, &peer->ip);
}
