/* test_tcptrack — TCP connects waiting for their outcome: resolution,
 * expiry after the wait, remembering expired connects for a late outcome,
 * the capacity bound, draining at exit and socket cookies used again.
 */
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "tcptrack.h"

#define WAIT_MS 1000
#define REMEMBER_MS 5000

/* What the expiry callback was handed, in order. */
struct expired_log {
	uint64_t ids[64];
	uint16_t ports[64];
	size_t n;
};

static void record_expired(const struct np_observation *connect, void *ctx)
{
	struct expired_log *log = ctx;

	assert_true(log->n < 64);
	log->ids[log->n] = connect->flow_id;
	log->ports[log->n] = connect->dst.port;
	log->n++;
}

static struct np_observation connect_of(uint64_t flow_id, uint16_t port)
{
	struct np_observation obs = { .hook = NP_HOOK_TCP_CONNECT,
				      .direction = NP_FLOW_OUTBOUND,
				      .proto = NP_PROTO_TCP,
				      .flow_id = flow_id };

	obs.dst.port = port;
	return obs;
}

static struct np_tcp_tracker *tracker_of(size_t max)
{
	struct np_tcp_tracker *t = np_tcp_tracker_new(max, WAIT_MS, REMEMBER_MS);

	assert_non_null(t);
	return t;
}

static void add(struct np_tcp_tracker *t, uint64_t id, uint64_t now_ms)
{
	struct np_observation obs = connect_of(id, (uint16_t)(1000 + id));

	assert_true(np_tcp_tracker_add(t, &obs, now_ms));
}

static bool has(const struct expired_log *log, uint64_t id)
{
	for (size_t i = 0; i < log->n; i++)
		if (log->ids[i] == id)
			return true;
	return false;
}

static void test_outcome_resolves_waiting_connect(void **state)
{
	struct np_tcp_tracker *t = tracker_of(16);

	(void)state;
	add(t, 1, 0);
	add(t, 2, 0);
	assert_int_equal(np_tcp_tracker_waiting(t), 2);
	assert_int_equal(np_tcp_tracker_resolve(t, 1), NP_TCP_WAITING);
	assert_int_equal(np_tcp_tracker_waiting(t), 1);
	/* forgotten once resolved */
	assert_int_equal(np_tcp_tracker_resolve(t, 1), NP_TCP_UNKNOWN);
	assert_int_equal(np_tcp_tracker_resolve(t, 99), NP_TCP_UNKNOWN);
	assert_int_equal(np_tcp_tracker_resolve(t, 2), NP_TCP_WAITING);
	assert_int_equal(np_tcp_tracker_waiting(t), 0);
	assert_int_equal(np_tcp_tracker_refused(t), 0);
	np_tcp_tracker_free(t);
}

static void test_expiry_after_the_wait(void **state)
{
	struct np_tcp_tracker *t = tracker_of(16);
	struct expired_log log = { 0 };

	(void)state;
	add(t, 1, 10000);
	add(t, 2, 10500);
	np_tcp_tracker_expire(t, 10999, record_expired, &log);
	assert_int_equal(log.n, 0);
	assert_int_equal(np_tcp_tracker_waiting(t), 2);

	np_tcp_tracker_expire(t, 11000, record_expired, &log);
	assert_int_equal(log.n, 1);
	assert_int_equal(log.ids[0], 1);
	assert_int_equal(log.ports[0], 1001); /* the connect as it was added */
	assert_int_equal(np_tcp_tracker_waiting(t), 1);

	/* an expired connect is handed over once */
	np_tcp_tracker_expire(t, 11500, record_expired, &log);
	assert_int_equal(log.n, 2);
	assert_int_equal(log.ids[1], 2);
	np_tcp_tracker_expire(t, 12000, record_expired, &log);
	assert_int_equal(log.n, 2);
	assert_int_equal(np_tcp_tracker_waiting(t), 0);

	/* its late outcome finds it judged already, then it is forgotten */
	assert_int_equal(np_tcp_tracker_resolve(t, 1), NP_TCP_EXPIRED);
	assert_int_equal(np_tcp_tracker_resolve(t, 1), NP_TCP_UNKNOWN);
	np_tcp_tracker_free(t);
}

static void test_expired_forgotten_after_remember(void **state)
{
	struct np_tcp_tracker *t = tracker_of(16);
	struct expired_log log = { 0 };

	(void)state;
	add(t, 1, 0);
	add(t, 2, 0);
	np_tcp_tracker_expire(t, WAIT_MS, record_expired, &log); /* both expire at 1000 */
	assert_int_equal(log.n, 2);

	/* remembered for REMEMBER_MS from expiry, not from the connect */
	np_tcp_tracker_expire(t, WAIT_MS + REMEMBER_MS - 1, record_expired, &log);
	assert_int_equal(np_tcp_tracker_resolve(t, 1), NP_TCP_EXPIRED);
	np_tcp_tracker_expire(t, WAIT_MS + REMEMBER_MS, record_expired, &log);
	assert_int_equal(np_tcp_tracker_resolve(t, 2), NP_TCP_UNKNOWN);
	assert_int_equal(log.n, 2);
	np_tcp_tracker_free(t);
}

static void test_capacity_refuses_and_counts(void **state)
{
	struct np_tcp_tracker *t = tracker_of(2);
	struct expired_log log = { 0 };
	struct np_observation third = connect_of(3, 443);

	(void)state;
	add(t, 1, 0);
	add(t, 2, 0);
	assert_false(np_tcp_tracker_add(t, &third, 0));
	assert_int_equal(np_tcp_tracker_refused(t), 1);
	assert_int_equal(np_tcp_tracker_waiting(t), 2);
	assert_int_equal(np_tcp_tracker_resolve(t, 3), NP_TCP_UNKNOWN);

	/* expired connects still hold their place while remembered */
	np_tcp_tracker_expire(t, WAIT_MS, record_expired, &log);
	assert_false(np_tcp_tracker_add(t, &third, WAIT_MS));
	assert_int_equal(np_tcp_tracker_refused(t), 2);

	/* a resolved one makes room */
	assert_int_equal(np_tcp_tracker_resolve(t, 1), NP_TCP_EXPIRED);
	assert_true(np_tcp_tracker_add(t, &third, WAIT_MS));
	assert_int_equal(np_tcp_tracker_waiting(t), 1);

	/* and so does forgetting */
	np_tcp_tracker_expire(t, WAIT_MS + REMEMBER_MS, record_expired, &log);
	assert_int_equal(log.n, 3);
	add(t, 4, WAIT_MS + REMEMBER_MS);
	assert_int_equal(np_tcp_tracker_refused(t), 2);
	np_tcp_tracker_free(t);
}

static void test_drain_hands_over_every_waiting_connect(void **state)
{
	struct np_tcp_tracker *t = tracker_of(16);
	struct expired_log log = { 0 };

	(void)state;
	add(t, 1, 0);
	add(t, 2, 100);
	add(t, 3, 200);
	np_tcp_tracker_expire(t, 1000, record_expired, &log); /* 1 expires */
	assert_int_equal(log.n, 1);
	np_tcp_tracker_drain(t, record_expired, &log);
	assert_int_equal(log.n, 3);
	assert_true(has(&log, 2));
	assert_true(has(&log, 3));
	assert_int_equal(np_tcp_tracker_waiting(t), 0);
	/* nothing is handed over twice */
	np_tcp_tracker_drain(t, record_expired, &log);
	assert_int_equal(log.n, 3);
	np_tcp_tracker_free(t);
	np_tcp_tracker_free(NULL);
}

static void test_flow_id_used_again(void **state)
{
	struct np_tcp_tracker *t = tracker_of(1);
	struct expired_log log = { 0 };
	struct np_observation again = connect_of(7, 8443);

	(void)state;
	/* an expired connect's cookie on a new socket: it waits afresh */
	add(t, 7, 0);
	np_tcp_tracker_expire(t, WAIT_MS, record_expired, &log);
	assert_int_equal(np_tcp_tracker_waiting(t), 0);
	assert_true(np_tcp_tracker_add(t, &again, 1500));
	assert_int_equal(np_tcp_tracker_waiting(t), 1);
	assert_int_equal(np_tcp_tracker_refused(t), 0);

	/* added twice while waiting: one entry, the newer one */
	assert_true(np_tcp_tracker_add(t, &again, 1600));
	assert_int_equal(np_tcp_tracker_waiting(t), 1);
	np_tcp_tracker_expire(t, 2599, record_expired, &log);
	assert_int_equal(log.n, 1);
	np_tcp_tracker_expire(t, 2600, record_expired, &log);
	assert_int_equal(log.n, 2);
	assert_int_equal(log.ports[1], 8443);
	assert_int_equal(np_tcp_tracker_resolve(t, 7), NP_TCP_EXPIRED);
	np_tcp_tracker_free(t);
}

static void test_many_connects(void **state)
{
	enum { N = 20000 };
	struct np_tcp_tracker *t = tracker_of(N);
	struct expired_log log = { 0 };

	(void)state;
	/* sequential cookies, as the kernel hands them out */
	for (uint64_t id = 1; id <= N; id++)
		add(t, id << 12, id);
	assert_int_equal(np_tcp_tracker_waiting(t), N);
	for (uint64_t id = N; id >= 1; id -= 2)
		assert_int_equal(np_tcp_tracker_resolve(t, id << 12), NP_TCP_WAITING);
	assert_int_equal(np_tcp_tracker_waiting(t), N / 2);
	for (uint64_t id = 1; id <= N; id += 2)
		assert_int_equal(np_tcp_tracker_resolve(t, id << 12), NP_TCP_WAITING);
	assert_int_equal(np_tcp_tracker_waiting(t), 0);
	np_tcp_tracker_expire(t, N + WAIT_MS, record_expired, &log);
	assert_int_equal(log.n, 0);
	np_tcp_tracker_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_outcome_resolves_waiting_connect),
		cmocka_unit_test(test_expiry_after_the_wait),
		cmocka_unit_test(test_expired_forgotten_after_remember),
		cmocka_unit_test(test_capacity_refuses_and_counts),
		cmocka_unit_test(test_drain_hands_over_every_waiting_connect),
		cmocka_unit_test(test_flow_id_used_again),
		cmocka_unit_test(test_many_connects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
