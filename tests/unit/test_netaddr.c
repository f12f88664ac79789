/* Unit tests for netaddr: parsing, normalising, comparing, CIDR math. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#include "netaddr.h"

static void parses_and_formats_both_families(void **state)
{
	struct np_ip ip;
	char buf[NP_IP_STRLEN];

	(void)state;
	assert_true(np_ip_parse("10.1.2.3", &ip));
	assert_int_equal(ip.family, AF_INET);
	assert_string_equal(np_ip_format(&ip, buf, sizeof(buf)), "10.1.2.3");
	assert_true(np_ip_parse("FD00:0::1", &ip));
	assert_int_equal(ip.family, AF_INET6);
	assert_string_equal(np_ip_format(&ip, buf, sizeof(buf)), "fd00::1");
	assert_false(np_ip_parse("10.1.2", &ip));
	assert_false(np_ip_parse("", &ip));
	assert_false(np_ip_parse(NULL, &ip));
	assert_false(np_ip_parse("10.1.2.3/8", &ip));
}

static void v4_mapped_v6_is_v4(void **state)
{
	struct np_ip mapped, plain;
	uint8_t raw[16] = { 0 };

	(void)state;
	assert_true(np_ip_parse("::ffff:192.0.2.7", &mapped));
	assert_true(np_ip_parse("192.0.2.7", &plain));
	assert_true(np_ip_equal(&mapped, &plain));
	raw[10] = raw[11] = 0xff;
	raw[12] = 192, raw[13] = 0, raw[14] = 2, raw[15] = 7;
	np_ip_from_bytes(&mapped, AF_INET6, raw);
	assert_int_equal(mapped.family, AF_INET);
	assert_int_equal(np_ip_compare(&mapped, &plain), 0);
}

static void compare_orders_family_then_bytes(void **state)
{
	struct np_ip a, b, c;

	(void)state;
	np_ip_parse("10.0.0.2", &a);
	np_ip_parse("10.0.0.10", &b);
	np_ip_parse("::1", &c);
	assert_true(np_ip_compare(&a, &b) < 0);
	assert_true(np_ip_compare(&b, &a) > 0);
	assert_true(np_ip_compare(&a, &c) < 0);
	assert_false(np_ip_equal(&a, &b));
}

static void cidr_parse_clears_host_bits(void **state)
{
	struct np_cidr cidr;
	char buf[64];

	(void)state;
	assert_true(np_cidr_parse("10.1.2.3/8", &cidr));
	assert_string_equal(np_cidr_format(&cidr, buf, sizeof(buf)), "10.0.0.0/8");
	assert_true(np_cidr_parse("fd00:1:2:3::5/63", &cidr));
	assert_string_equal(np_cidr_format(&cidr, buf, sizeof(buf)), "fd00:1:2:2::/63");
	assert_true(np_cidr_parse("192.0.2.1", &cidr));
	assert_int_equal(cidr.prefix, 32);
	assert_true(np_cidr_parse("0.0.0.0/0", &cidr));
	assert_int_equal(cidr.prefix, 0);
	assert_false(np_cidr_parse("10.0.0.0/33", &cidr));
	assert_false(np_cidr_parse("10.0.0.0/", &cidr));
	assert_false(np_cidr_parse("10.0.0.0/-1", &cidr));
	assert_false(np_cidr_parse("10.0.0.0/8x", &cidr));
	assert_false(np_cidr_parse("::ffff:10.0.0.0/104", &cidr));
	assert_false(np_cidr_parse("/8", &cidr));
}

static void cidr_contains_and_covers(void **state)
{
	struct np_cidr net, sub, other;
	struct np_ip in, out, v6;

	(void)state;
	np_cidr_parse("10.0.0.0/8", &net);
	np_cidr_parse("10.1.0.0/16", &sub);
	np_cidr_parse("fd00::/8", &other);
	np_ip_parse("10.255.0.1", &in);
	np_ip_parse("11.0.0.1", &out);
	np_ip_parse("fd12::1", &v6);
	assert_true(np_cidr_contains(&net, &in));
	assert_false(np_cidr_contains(&net, &out));
	assert_false(np_cidr_contains(&net, &v6));
	assert_true(np_cidr_contains(&other, &v6));
	assert_true(np_cidr_covers(&net, &sub));
	assert_false(np_cidr_covers(&sub, &net));
	assert_false(np_cidr_covers(&net, &other));
	np_cidr_parse("0.0.0.0/0", &net);
	assert_true(np_cidr_contains(&net, &out));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parses_and_formats_both_families),
		cmocka_unit_test(v4_mapped_v6_is_v4),
		cmocka_unit_test(compare_orders_family_then_bytes),
		cmocka_unit_test(cidr_parse_clears_host_bits),
		cmocka_unit_test(cidr_contains_and_covers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
