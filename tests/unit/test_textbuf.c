/* Unit tests for textbuf: bounded text that never overflows. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "textbuf.h"

static void appends_while_it_fits(void **state)
{
	char buf[32];
	struct np_text t;

	(void)state;
	np_text_init(&t, buf, sizeof(buf));
	assert_string_equal(buf, "");
	np_text_add(&t, "%s=%d", "port", 80);
	np_text_add(&t, ", %s", "TCP");
	assert_string_equal(buf, "port=80, TCP");
	assert_int_equal(t.used, strlen(buf));
}

static void cuts_with_an_ellipsis(void **state)
{
	char buf[12];
	struct np_text t;

	(void)state;
	np_text_init(&t, buf, sizeof(buf));
	np_text_add(&t, "%s", "0123456789abcdef");
	assert_int_equal(strlen(buf), sizeof(buf) - 1);
	assert_string_equal(buf, "01234567...");
	/* Full: further text is dropped, the buffer stays terminated. */
	np_text_add(&t, "%s", "more");
	assert_string_equal(buf, "01234567...");
}

static void tiny_buffers_stay_terminated(void **state)
{
	char one[1] = { 'x' }, four[4];
	struct np_text t;

	(void)state;
	np_text_init(&t, one, sizeof(one));
	np_text_add(&t, "%s", "abc");
	assert_int_equal(one[0], '\0');
	np_text_init(&t, four, sizeof(four));
	np_text_add(&t, "%s", "abcdef");
	assert_string_equal(four, "abc");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(appends_while_it_fits),
		cmocka_unit_test(cuts_with_an_ellipsis),
		cmocka_unit_test(tiny_buffers_stay_terminated),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
