/* Unit tests for decode: validation of raw kernel events, address
 * normalisation, and which end is the source for every hook. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "decode.h"

/* A valid event from local:lport to remote:rport (textual addresses). */
static struct np_event make_event(enum np_event_hook hook, int family, const char *local,
				  uint16_t lport, const char *remote, uint16_t rport)
{
	bool inbound = hook == NP_HOOK_TCP_ACCEPT || hook == NP_HOOK_UDP_RECVMSG;
	bool tcp = hook <= NP_HOOK_TCP_ACCEPT;
	struct np_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.magic = NP_EVENT_MAGIC;
	ev.version = NP_EVENT_VERSION;
	ev.size = sizeof(ev);
	ev.hook = hook;
	ev.direction = inbound ? NP_EVENT_INBOUND : NP_EVENT_OUTBOUND;
	ev.protocol = tcp ? IPPROTO_TCP : IPPROTO_UDP;
	ev.family = family;
	assert_int_equal(inet_pton(family, local, ev.local_addr), 1);
	assert_int_equal(inet_pton(family, remote, ev.remote_addr), 1);
	ev.local_port = lport;
	ev.remote_port = rport;
	ev.pid = 101;
	ev.tgid = 100;
	ev.cgroup_id = 4242;
	ev.netns_cookie = 4096;
	ev.flow_id = 77;
	ev.repeat_count = 3;
	ev.ktime_ns = 123456789;
	strcpy(ev.comm, "curl");
	return ev;
}

static void decode_ok(const struct np_event *ev, struct np_observation *out)
{
	char err[256] = "";

	if (np_decode_event(ev, sizeof(*ev), out, err, sizeof(err)) != 0)
		fail_msg("decoding failed: %s", err);
}

static void decode_fails(const void *data, size_t size, const char *expected)
{
	struct np_observation out;
	char err[256] = "";

	assert_int_equal(np_decode_event(data, size, &out, err, sizeof(err)), -1);
	if (!strstr(err, expected))
		fail_msg("error \"%s\" does not say \"%s\"", err, expected);
}

static void assert_end(const struct np_flow_addr *end, const char *ip, uint16_t port)
{
	char buf[NP_IP_STRLEN];

	assert_string_equal(np_ip_format(&end->ip, buf, sizeof(buf)), ip);
	assert_int_equal(end->port, port);
}

static void ipv4_outbound_connect(void **state)
{
	struct np_event ev = make_event(NP_HOOK_TCP_ESTABLISHED, AF_INET, "10.99.0.1", 41000,
					"10.99.0.2", 80);
	struct np_observation obs;

	(void)state;
	decode_ok(&ev, &obs);
	assert_int_equal(obs.hook, NP_HOOK_TCP_ESTABLISHED);
	assert_int_equal(obs.direction, NP_FLOW_OUTBOUND);
	assert_int_equal(obs.proto, NP_PROTO_TCP);
	assert_int_equal(obs.src.ip.family, AF_INET);
	assert_end(&obs.src, "10.99.0.1", 41000);
	assert_end(&obs.dst, "10.99.0.2", 80);
	assert_ptr_equal(np_observation_local(&obs), &obs.src);
	assert_ptr_equal(np_observation_remote(&obs), &obs.dst);
	assert_true(obs.has_process);
	assert_int_equal(obs.pid, 101);
	assert_int_equal(obs.tgid, 100);
	assert_string_equal(obs.comm, "curl");
	assert_int_equal(obs.cgroup_id, 4242);
	assert_int_equal(obs.netns_cookie, 4096);
	assert_int_equal(obs.flow_id, 77);
	assert_int_equal(obs.repeat_count, 3);
	assert_int_equal(np_observation_occurrences(&obs), 4);
	assert_int_equal(obs.ktime_ns, 123456789);
	assert_int_equal(obs.wall_time_ns, 0);
	assert_false(obs.summary);
	assert_false(obs.connected_socket);
}

static void ipv6_inbound_accept(void **state)
{
	struct np_event ev = make_event(NP_HOOK_TCP_ACCEPT, AF_INET6, "fd99::2", 443, "fd99::1",
					50000);
	struct np_observation obs;

	(void)state;
	ev.flags = NP_EVENT_F_NO_PROCESS;
	ev.pid = ev.tgid = 0;
	memset(ev.comm, 0, sizeof(ev.comm));
	decode_ok(&ev, &obs);
	assert_int_equal(obs.direction, NP_FLOW_INBOUND);
	assert_int_equal(obs.src.ip.family, AF_INET6);
	assert_end(&obs.src, "fd99::1", 50000);
	assert_end(&obs.dst, "fd99::2", 443);
	assert_ptr_equal(np_observation_local(&obs), &obs.dst);
	assert_ptr_equal(np_observation_remote(&obs), &obs.src);
	assert_false(obs.has_process);
	assert_string_equal(obs.comm, "");
}

static void v4_mapped_addresses_become_ipv4(void **state)
{
	struct np_event ev = make_event(NP_HOOK_UDP_SENDMSG, AF_INET6, "::ffff:10.99.0.1", 5000,
					"::ffff:10.99.0.2", 53);
	struct np_observation obs;

	(void)state;
	decode_ok(&ev, &obs);
	assert_int_equal(obs.src.ip.family, AF_INET);
	assert_int_equal(obs.dst.ip.family, AF_INET);
	assert_end(&obs.src, "10.99.0.1", 5000);
	assert_end(&obs.dst, "10.99.0.2", 53);
}

static void unknown_local_address_is_unset(void **state)
{
	struct np_event v4 = make_event(NP_HOOK_UDP_CONNECT, AF_INET, "0.0.0.0", 0, "10.99.0.2",
					53);
	struct np_event v6 = make_event(NP_HOOK_UDP_RECVMSG, AF_INET6, "::", 5353, "fd99::1",
					40000);
	struct np_observation obs;
	char line[512];

	(void)state;
	decode_ok(&v4, &obs);
	assert_int_equal(obs.src.ip.family, 0);
	assert_int_equal(obs.src.port, 0);
	assert_int_equal(obs.dst.ip.family, AF_INET);
	assert_non_null(strstr(np_observation_format(&obs, line, sizeof(line)),
			       " *:0 -> 10.99.0.2:53 "));
	decode_ok(&v6, &obs);
	assert_int_equal(obs.dst.ip.family, 0);
	assert_int_equal(obs.dst.port, 5353);
	assert_end(&obs.src, "fd99::1", 40000);
}

static void every_hook_maps_roles(void **state)
{
	static const struct {
		enum np_event_hook hook;
		const char *name;
		enum np_flow_direction direction;
		enum np_proto proto;
	} cases[] = {
		{ NP_HOOK_TCP_CONNECT, "tcp_connect", NP_FLOW_OUTBOUND, NP_PROTO_TCP },
		{ NP_HOOK_TCP_ESTABLISHED, "tcp_established", NP_FLOW_OUTBOUND, NP_PROTO_TCP },
		{ NP_HOOK_TCP_FAILED, "tcp_failed", NP_FLOW_OUTBOUND, NP_PROTO_TCP },
		{ NP_HOOK_TCP_ACCEPT, "tcp_accept", NP_FLOW_INBOUND, NP_PROTO_TCP },
		{ NP_HOOK_UDP_CONNECT, "udp_connect", NP_FLOW_OUTBOUND, NP_PROTO_UDP },
		{ NP_HOOK_UDP_SENDMSG, "udp_sendmsg", NP_FLOW_OUTBOUND, NP_PROTO_UDP },
		{ NP_HOOK_UDP_RECVMSG, "udp_recvmsg", NP_FLOW_INBOUND, NP_PROTO_UDP },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct np_event ev = make_event(cases[i].hook, AF_INET, "192.0.2.1", 1111,
						"198.51.100.2", 2222);
		bool outbound = cases[i].direction == NP_FLOW_OUTBOUND;
		struct np_observation obs;

		decode_ok(&ev, &obs);
		assert_string_equal(np_hook_name(obs.hook), cases[i].name);
		assert_int_equal(obs.direction, cases[i].direction);
		assert_int_equal(obs.proto, cases[i].proto);
		assert_end(&obs.src, outbound ? "192.0.2.1" : "198.51.100.2",
			   outbound ? 1111 : 2222);
		assert_end(&obs.dst, outbound ? "198.51.100.2" : "192.0.2.1",
			   outbound ? 2222 : 1111);
		assert_end(np_observation_local(&obs), "192.0.2.1", 1111);
		assert_end(np_observation_remote(&obs), "198.51.100.2", 2222);
	}
	assert_string_equal(np_hook_name(0), "unknown");
	assert_string_equal(np_hook_name(NP_HOOK_MAX + 1), "unknown");
	assert_string_equal(np_flow_direction_name(NP_FLOW_INBOUND), "inbound");
}

static void flags_summary_and_connected(void **state)
{
	struct np_event ev = make_event(NP_HOOK_UDP_RECVMSG, AF_INET, "10.99.0.1", 40000,
					"10.99.0.2", 53);
	struct np_observation obs;
	char line[512];

	(void)state;
	ev.flags = NP_EVENT_F_SUMMARY | NP_EVENT_F_CONNECTED;
	ev.repeat_count = 99;
	decode_ok(&ev, &obs);
	assert_true(obs.summary);
	assert_true(obs.connected_socket);
	assert_int_equal(np_observation_occurrences(&obs), 99);
	assert_string_equal(np_observation_format(&obs, line, sizeof(line)),
			    "udp_recvmsg inbound UDP 10.99.0.2:53 -> 10.99.0.1:40000 pid 100 tid "
			    "101 (curl) cgroup 4242 netns 4096 flow 77 connected repeats 99 "
			    "summary");
}

static void comm_without_terminator_is_cut(void **state)
{
	struct np_event ev = make_event(NP_HOOK_TCP_CONNECT, AF_INET6, "fd99::1", 0, "fd99::2",
					80);
	struct np_observation obs;
	char line[512];

	(void)state;
	memset(ev.comm, 'x', sizeof(ev.comm));
	decode_ok(&ev, &obs);
	assert_int_equal(strlen(obs.comm), NP_COMM_LEN - 1);
	assert_non_null(strstr(np_observation_format(&obs, line, sizeof(line)),
			       "[fd99::1]:0 -> [fd99::2]:80"));
}

static void rejects_wrong_size(void **state)
{
	struct np_event ev = make_event(NP_HOOK_TCP_CONNECT, AF_INET, "10.0.0.1", 0, "10.0.0.2",
					80);
	unsigned char bigger[sizeof(ev) + 8];

	(void)state;
	decode_fails(&ev, sizeof(ev) - 1, "event is 119 bytes, expected 120");
	decode_fails(&ev, 0, "event is 0 bytes");
	memset(bigger, 0, sizeof(bigger));
	memcpy(bigger, &ev, sizeof(ev));
	decode_fails(bigger, sizeof(bigger), "event is 128 bytes");
	decode_fails(NULL, sizeof(ev), "missing");
}

static void rejects_wrong_magic_and_version(void **state)
{
	struct np_event ev;

	(void)state;
	ev = make_event(NP_HOOK_TCP_CONNECT, AF_INET, "10.0.0.1", 0, "10.0.0.2", 80);
	ev.magic = 0x12345678;
	decode_fails(&ev, sizeof(ev), "magic is 0x12345678");
	ev = make_event(NP_HOOK_TCP_CONNECT, AF_INET, "10.0.0.1", 0, "10.0.0.2", 80);
	ev.version = NP_EVENT_VERSION + 1;
	decode_fails(&ev, sizeof(ev), "event version 2");
	ev = make_event(NP_HOOK_TCP_CONNECT, AF_INET, "10.0.0.1", 0, "10.0.0.2", 80);
	ev.size = 64;
	decode_fails(&ev, sizeof(ev), "(64 bytes)");
}

static void rejects_inconsistent_fields(void **state)
{
	struct np_event ev;

	(void)state;
	ev = make_event(NP_HOOK_TCP_CONNECT, AF_INET, "10.0.0.1", 0, "10.0.0.2", 80);
	ev.hook = 0;
	decode_fails(&ev, sizeof(ev), "hook 0 is unknown");
	ev.hook = NP_HOOK_MAX + 1;
	decode_fails(&ev, sizeof(ev), "hook 8 is unknown");
	ev = make_event(NP_HOOK_TCP_ACCEPT, AF_INET, "10.0.0.1", 80, "10.0.0.2", 4000);
	ev.direction = NP_EVENT_OUTBOUND;
	decode_fails(&ev, sizeof(ev), "tcp_accept event has direction 1");
	ev = make_event(NP_HOOK_UDP_SENDMSG, AF_INET, "10.0.0.1", 4000, "10.0.0.2", 53);
	ev.protocol = IPPROTO_TCP;
	decode_fails(&ev, sizeof(ev), "udp_sendmsg event has direction 1 and protocol 6");
	ev = make_event(NP_HOOK_UDP_SENDMSG, AF_INET, "10.0.0.1", 4000, "10.0.0.2", 53);
	ev.family = AF_UNIX;
	decode_fails(&ev, sizeof(ev), "address family 1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ipv4_outbound_connect),
		cmocka_unit_test(ipv6_inbound_accept),
		cmocka_unit_test(v4_mapped_addresses_become_ipv4),
		cmocka_unit_test(unknown_local_address_is_unset),
		cmocka_unit_test(every_hook_maps_roles),
		cmocka_unit_test(flags_summary_and_connected),
		cmocka_unit_test(comm_without_terminator_is_cut),
		cmocka_unit_test(rejects_wrong_size),
		cmocka_unit_test(rejects_wrong_magic_and_version),
		cmocka_unit_test(rejects_inconsistent_fields),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
