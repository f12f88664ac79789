/* Tests for yamljson: scalar typing as Kubernetes reads YAML, streams,
 * anchors and merge keys, line numbers and error messages. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>

#include <cmocka.h>

#include "yamljson.h"

static struct np_yaml_stream parse_ok(const char *text)
{
	struct np_yaml_stream stream;
	char err[512];

	if (np_yaml_parse("t.yaml", text, strlen(text), &stream, err, sizeof(err)) != 0)
		fail_msg("parse failed: %s", err);
	return stream;
}

static void parse_fails(const char *text, const char *expected)
{
	struct np_yaml_stream stream;
	char err[512];

	assert_int_equal(np_yaml_parse("t.yaml", text, strlen(text), &stream, err, sizeof(err)),
			 -1);
	assert_int_equal(stream.n_docs, 0);
	if (!strstr(err, expected))
		fail_msg("error \"%s\" lacks \"%s\"", err, expected);
}

/* The value of key in the first document. */
static const json_t *value_of(const struct np_yaml_stream *stream, const char *key)
{
	const json_t *value = json_object_get(stream->docs[0].root, key);

	if (!value)
		fail_msg("no key %s", key);
	return value;
}

static void test_plain_scalars_are_typed(void **state)
{
	struct np_yaml_stream s = parse_ok("n1: ~\nn2: null\nn3:\nn4: NULL\n"
					   "b1: true\nb2: False\nb3: yes\nb4: NO\nb5: on\n"
					   "b6: Off\nb7: y\nb8: N\n"
					   "i1: 80\ni2: -12\ni3: 0x1F\ni4: 0o17\ni5: 017\n"
					   "i6: 1_000\ni7: +5\ni8: 0b101\n"
					   "f1: 1.5\nf2: .5\nf3: 1e3\nf4: 08\n"
					   "s1: web\ns2: 1.2.3\ns3: 10.0.0.1\ns4: yes please\n"
					   "s5: 2024-01-01\ns6: +.inf\ns7: 0x\n");

	(void)state;
	assert_int_equal(s.n_docs, 1);
	assert_true(json_is_null(value_of(&s, "n1")));
	assert_true(json_is_null(value_of(&s, "n2")));
	assert_true(json_is_null(value_of(&s, "n3")));
	assert_true(json_is_null(value_of(&s, "n4")));
	assert_true(json_is_true(value_of(&s, "b1")));
	assert_true(json_is_false(value_of(&s, "b2")));
	assert_true(json_is_true(value_of(&s, "b3")));
	assert_true(json_is_false(value_of(&s, "b4")));
	assert_true(json_is_true(value_of(&s, "b5")));
	assert_true(json_is_false(value_of(&s, "b6")));
	assert_true(json_is_true(value_of(&s, "b7")));
	assert_true(json_is_false(value_of(&s, "b8")));
	assert_int_equal(json_integer_value(value_of(&s, "i1")), 80);
	assert_int_equal(json_integer_value(value_of(&s, "i2")), -12);
	assert_int_equal(json_integer_value(value_of(&s, "i3")), 31);
	assert_int_equal(json_integer_value(value_of(&s, "i4")), 15);
	assert_int_equal(json_integer_value(value_of(&s, "i5")), 15);
	assert_int_equal(json_integer_value(value_of(&s, "i6")), 1000);
	assert_int_equal(json_integer_value(value_of(&s, "i7")), 5);
	assert_int_equal(json_integer_value(value_of(&s, "i8")), 5);
	assert_true(json_is_real(value_of(&s, "f1")));
	assert_true(json_real_value(value_of(&s, "f1")) == 1.5);
	assert_true(json_real_value(value_of(&s, "f2")) == 0.5);
	assert_true(json_real_value(value_of(&s, "f3")) == 1000.0);
	/* Not octal, so go-yaml falls through to the float 8. */
	assert_true(json_real_value(value_of(&s, "f4")) == 8.0);
	assert_string_equal(json_string_value(value_of(&s, "s1")), "web");
	assert_string_equal(json_string_value(value_of(&s, "s2")), "1.2.3");
	assert_string_equal(json_string_value(value_of(&s, "s3")), "10.0.0.1");
	assert_string_equal(json_string_value(value_of(&s, "s4")), "yes please");
	assert_string_equal(json_string_value(value_of(&s, "s5")), "2024-01-01");
	assert_string_equal(json_string_value(value_of(&s, "s6")), "+.inf");
	assert_string_equal(json_string_value(value_of(&s, "s7")), "0x");
	np_yaml_stream_free(&s);
}

static void test_quoted_block_and_tagged_scalars(void **state)
{
	struct np_yaml_stream s = parse_ok("q1: \"true\"\nq2: '80'\nq3: \"\"\nq4: 'null'\n"
					   "blk: |\n  80\nt1: !!str 443\nt2: !!float 3\n"
					   "t3: !!int \"7\"\nt4: !custom yes\n");

	(void)state;
	assert_string_equal(json_string_value(value_of(&s, "q1")), "true");
	assert_string_equal(json_string_value(value_of(&s, "q2")), "80");
	assert_string_equal(json_string_value(value_of(&s, "q3")), "");
	assert_string_equal(json_string_value(value_of(&s, "q4")), "null");
	assert_string_equal(json_string_value(value_of(&s, "blk")), "80\n");
	assert_string_equal(json_string_value(value_of(&s, "t1")), "443");
	assert_true(json_is_real(value_of(&s, "t2")));
	assert_int_equal(json_integer_value(value_of(&s, "t3")), 7);
	assert_string_equal(json_string_value(value_of(&s, "t4")), "yes");
	np_yaml_stream_free(&s);
}

/* Keys are JSON strings: a bool or int key takes its text, as in
 * sigs.k8s.io/yaml (the key `on` becomes "true"). */
static void test_non_string_keys(void **state)
{
	struct np_yaml_stream s = parse_ok("on: 1\n8080: web\n\"yes\": 2\n");

	(void)state;
	assert_int_equal(json_integer_value(value_of(&s, "true")), 1);
	assert_string_equal(json_string_value(value_of(&s, "8080")), "web");
	assert_int_equal(json_integer_value(value_of(&s, "yes")), 2);
	np_yaml_stream_free(&s);
}

static void test_multi_document_stream_and_lines(void **state)
{
	struct np_yaml_stream s = parse_ok("# leading comment\n"
					   "---\n"
					   "kind: A\n"
					   "---\n"
					   "---\n"
					   "# only a comment\n"
					   "---\n"
					   "\n"
					   "kind: B\n"
					   "items:\n"
					   "- name: one\n"
					   "- name: two\n"
					   "  x: 1\n"
					   "...\n"
					   "--- [1, 2]\n");
	const json_t *items;

	(void)state;
	assert_int_equal(s.n_docs, 3);
	assert_string_equal(json_string_value(json_object_get(s.docs[0].root, "kind")), "A");
	assert_int_equal(s.docs[0].line, 3);
	assert_string_equal(json_string_value(json_object_get(s.docs[1].root, "kind")), "B");
	assert_int_equal(s.docs[1].line, 9);
	assert_int_equal(np_yaml_line(&s, s.docs[1].root), 9);
	items = json_object_get(s.docs[1].root, "items");
	assert_int_equal(np_yaml_line(&s, json_array_get(items, 0)), 11);
	assert_int_equal(np_yaml_line(&s, json_array_get(items, 1)), 12);
	assert_true(json_is_array(s.docs[2].root));
	assert_int_equal(s.docs[2].line, 15);
	/* Not a mapping of this stream. */
	assert_int_equal(np_yaml_line(&s, items), 0);
	np_yaml_stream_free(&s);
}

static void test_empty_input_has_no_documents(void **state)
{
	struct np_yaml_stream s = parse_ok("");

	(void)state;
	assert_int_equal(s.n_docs, 0);
	np_yaml_stream_free(&s);
	s = parse_ok("# nothing\n---\n...\n");
	assert_int_equal(s.n_docs, 0);
	np_yaml_stream_free(&s);
}

static void test_anchors_aliases_and_merge_keys(void **state)
{
	struct np_yaml_stream s = parse_ok("base: &base {app: web, tier: front}\n"
					   "copy: *base\n"
					   "merged:\n"
					   "  <<: *base\n"
					   "  tier: back\n"
					   "multi:\n"
					   "  <<: [{a: 1, b: 1}, {b: 2, c: 2}]\n"
					   "port: &p 8080\n"
					   "again: *p\n");
	const json_t *merged = value_of(&s, "merged"), *multi = value_of(&s, "multi");

	(void)state;
	assert_true(json_equal(value_of(&s, "copy"), value_of(&s, "base")));
	assert_string_equal(json_string_value(json_object_get(merged, "app")), "web");
	/* Keys written in the mapping win over merged ones. */
	assert_string_equal(json_string_value(json_object_get(merged, "tier")), "back");
	assert_null(json_object_get(merged, "<<"));
	/* Of several merged mappings, the earlier wins. */
	assert_int_equal(json_integer_value(json_object_get(multi, "b")), 1);
	assert_int_equal(json_integer_value(json_object_get(multi, "c")), 2);
	assert_int_equal(json_integer_value(value_of(&s, "again")), 8080);
	np_yaml_stream_free(&s);
}

static void test_syntax_error_names_file_and_line(void **state)
{
	(void)state;
	parse_fails("kind: Pod\nmetadata:\n  name: a\n   bad: indent\n",
		    "t.yaml:4: YAML syntax error: mapping values are not allowed");
	parse_fails("a: [1, 2\nb: 3\n", "t.yaml:");
	parse_fails("a: 'unterminated\n", "YAML syntax error: found unexpected end of stream");
}

static void test_semantic_errors(void **state)
{
	(void)state;
	parse_fails("a: 1\nb: 2\na: 3\n", "t.yaml:3: YAML error: duplicate mapping key \"a\"");
	parse_fails("a: 1\nb: *nope\n", "t.yaml:2: YAML error: alias *nope names no anchor");
	parse_fails("a: &x [*x]\n", "alias *x names no anchor");
	parse_fails("a: !!int web\n", "t.yaml:1: YAML error: cannot decode \"web\" as !!int");
	parse_fails("a: \"nul\\0byte\"\n", "NUL character");
	parse_fails("~: 1\n", "unsupported mapping key");
	parse_fails("<<: 5\n", "<< must merge a mapping");
}

/* Nested aliases would expand exponentially; the cap stops them. */
static void test_alias_expansion_is_capped(void **state)
{
	const char *bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
			   "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
			   "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
			   "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
			   "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
			   "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
			   "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n";

	(void)state;
	parse_fails(bomb, "YAML error: aliases expand to more than");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_scalars_are_typed),
		cmocka_unit_test(test_quoted_block_and_tagged_scalars),
		cmocka_unit_test(test_non_string_keys),
		cmocka_unit_test(test_multi_document_stream_and_lines),
		cmocka_unit_test(test_empty_input_has_no_documents),
		cmocka_unit_test(test_anchors_aliases_and_merge_keys),
		cmocka_unit_test(test_syntax_error_names_file_and_line),
		cmocka_unit_test(test_semantic_errors),
		cmocka_unit_test(test_alias_expansion_is_capped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
