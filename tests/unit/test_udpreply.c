/* Unit tests for udpreply: a UDP server's replies told from new flows. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "udpreply.h"

/* A datagram from peer:peer_port to the local port (inbound recvmsg). */
static struct np_observation received(const char *peer, uint16_t peer_port, uint16_t local_port,
				      uint64_t netns)
{
	struct np_observation obs = { .hook = NP_HOOK_UDP_RECVMSG, .direction = NP_FLOW_INBOUND,
				      .proto = NP_PROTO_UDP, .netns_cookie = netns };

	np_ip_parse(peer, &obs.src.ip);
	obs.src.port = peer_port;
	obs.dst.port = local_port;
	return obs;
}

/* A send from the local port to peer:peer_port (outbound sendmsg). */
static struct np_observation sent(uint16_t local_port, const char *peer, uint16_t peer_port,
				  uint64_t netns)
{
	struct np_observation obs = { .hook = NP_HOOK_UDP_SENDMSG, .direction = NP_FLOW_OUTBOUND,
				      .proto = NP_PROTO_UDP, .netns_cookie = netns };

	obs.src.port = local_port;
	np_ip_parse(peer, &obs.dst.ip);
	obs.dst.port = peer_port;
	return obs;
}

static void answer_to_a_query_is_a_reply(void **state)
{
	struct np_udp_replies *replies = np_udp_replies_new(8, 1000);
	struct np_observation query = received("10.0.0.5", 40000, 53, 7);
	struct np_observation answer = sent(53, "10.0.0.5", 40000, 7);

	(void)state;
	assert_false(np_udp_replies_is_reply(replies, &answer, 100));
	np_udp_replies_note(replies, &query, 100);
	assert_true(np_udp_replies_is_reply(replies, &answer, 150));
	/* Another ephemeral port of the same client: still its answers. */
	answer.dst.port = 40001;
	assert_true(np_udp_replies_is_reply(replies, &answer, 150));
	np_udp_replies_free(replies);
}

static void a_send_to_someone_else_is_a_flow(void **state)
{
	struct np_udp_replies *replies = np_udp_replies_new(8, 1000);
	struct np_observation query = received("10.0.0.5", 40000, 53, 7);
	struct np_observation other_peer = sent(53, "10.0.0.6", 40000, 7);
	struct np_observation other_port = sent(5353, "10.0.0.5", 40000, 7);
	struct np_observation other_netns = sent(53, "10.0.0.5", 40000, 8);
	struct np_observation unbound = sent(0, "10.0.0.5", 40000, 7);

	(void)state;
	np_udp_replies_note(replies, &query, 100);
	assert_false(np_udp_replies_is_reply(replies, &other_peer, 150));
	assert_false(np_udp_replies_is_reply(replies, &other_port, 150));
	assert_false(np_udp_replies_is_reply(replies, &other_netns, 150));
	assert_false(np_udp_replies_is_reply(replies, &unbound, 150));
	np_udp_replies_free(replies);
}

static void a_reply_long_after_is_a_flow(void **state)
{
	struct np_udp_replies *replies = np_udp_replies_new(8, 1000);
	struct np_observation query = received("fd00::5", 40000, 53, 7);
	struct np_observation answer = sent(53, "fd00::5", 40000, 7);

	(void)state;
	np_udp_replies_note(replies, &query, 100);
	assert_true(np_udp_replies_is_reply(replies, &answer, 1100));
	assert_false(np_udp_replies_is_reply(replies, &answer, 1101));
	/* Each datagram renews it. */
	np_udp_replies_note(replies, &query, 1050);
	assert_true(np_udp_replies_is_reply(replies, &answer, 2000));
	np_udp_replies_free(replies);
}

static void the_table_is_bounded(void **state)
{
	/* Two slots: of many clients, the ones noted last are remembered, and
	 * no client is ever taken for another. */
	struct np_udp_replies *replies = np_udp_replies_new(1, 1000);
	char peer[32];
	size_t remembered = 0;

	(void)state;
	for (int i = 1; i <= 50; i++) {
		struct np_observation query;

		snprintf(peer, sizeof(peer), "10.0.1.%d", i);
		query = received(peer, 40000, 53, 7);
		np_udp_replies_note(replies, &query, 100);
	}
	for (int i = 1; i <= 50; i++) {
		struct np_observation answer;

		snprintf(peer, sizeof(peer), "10.0.1.%d", i);
		answer = sent(53, peer, 40000, 7);
		remembered += np_udp_replies_is_reply(replies, &answer, 150);
	}
	assert_true(remembered >= 1 && remembered <= 2);
	np_udp_replies_free(replies);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(answer_to_a_query_is_a_reply),
		cmocka_unit_test(a_send_to_someone_else_is_a_flow),
		cmocka_unit_test(a_reply_long_after_is_a_flow),
		cmocka_unit_test(the_table_is_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
