/* Unit tests for metrics: the exposition text and the listener's errors. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "metrics.h"

static void renders_every_family_with_help_and_type(void **state)
{
	struct np_metrics_values v = { .observations = 42, .lost_ringbuf = 3, .reloads_failed = 1,
				       .policies_staged = 3, .pods = 5 };
	char *text;

	(void)state;
	v.flows[NP_VERDICT_WOULD_DENY] = 7;
	text = np_metrics_render(&v);
	assert_non_null(strstr(text, "# TYPE npwatch_observations_total counter\n"
				     "npwatch_observations_total 42\n"));
	assert_non_null(strstr(text, "npwatch_flows_total{verdict=\"would-deny\"} 7\n"));
	assert_non_null(strstr(text, "npwatch_flows_total{verdict=\"enforcement-gap\"} 0\n"));
	assert_non_null(strstr(text, "npwatch_events_lost_total{where=\"ring_buffer\"} 3\n"));
	assert_non_null(strstr(text, "npwatch_model_reloads_total{result=\"failed\"} 1\n"));
	assert_non_null(strstr(text, "# TYPE npwatch_model_policies gauge\n"));
	assert_non_null(strstr(text, "npwatch_model_policies{scope=\"staged\"} 3\n"));
	assert_non_null(strstr(text, "npwatch_model_pods 5\n"));
	/* Every sample belongs to a family announced before it. */
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
		assert_true(line[0] == '#' || strncmp(line, "npwatch_", 8) == 0);
	free(text);
}

static void bad_addresses_are_named(void **state)
{
	int epoll_fd = epoll_create1(0);
	char err[256];

	(void)state;
	assert_null(np_metrics_open("9464", epoll_fd, err, sizeof(err)));
	assert_non_null(strstr(err, "--metrics 9464: expected HOST:PORT"));
	assert_null(np_metrics_open("localhost:", epoll_fd, err, sizeof(err)));
	assert_non_null(strstr(err, "--metrics localhost:"));
	assert_null(np_metrics_open("no.such.host.invalid:9464", epoll_fd, err, sizeof(err)));
	assert_non_null(strstr(err, "--metrics no.such.host.invalid:9464"));
	close(epoll_fd);
}

static void a_taken_port_is_an_error(void **state)
{
	int epoll_fd = epoll_create1(0);
	struct np_metrics_server *first, *second;
	char err[256];

	(void)state;
	first = np_metrics_open("127.0.0.1:39464", epoll_fd, err, sizeof(err));
	assert_non_null(first);
	second = np_metrics_open("127.0.0.1:39464", epoll_fd, err, sizeof(err));
	assert_null(second);
	assert_non_null(strstr(err, "--metrics 127.0.0.1:39464: Address already in use"));
	assert_false(np_metrics_handle(first, 12345, NULL));
	np_metrics_close(first);
	close(epoll_fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(renders_every_family_with_help_and_type),
		cmocka_unit_test(bad_addresses_are_named),
		cmocka_unit_test(a_taken_port_is_an_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
