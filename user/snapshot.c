/* snapshot — observation-window reports (report.h) as files: gzip-compressed
 * JSON, written atomically and read back with every field checked, then
 * merged into the report being built.
 *
 * A snapshot that fails a check is refused whole, with a message naming
 * the file and the field: a report merged from many nodes may leave out a
 * bad file, but never part of one.
 */
#include "report.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <zlib.h>

#include "netaddr.h"
#include "textbuf.h"
#include "verdict.h"
#include "xalloc.h"

/* A snapshot holds at most the daemon's key limit of flows, a few hundred
 * bytes each; more than this uncompressed is not one (or is a gzip bomb). */
#define SNAPSHOT_MAX_BYTES (1024UL * 1024 * 1024)
#define READ_CHUNK (64 * 1024)
/* Names tried when a snapshot's name is taken: npwatch-n1-T-2.json.gz ... */
#define NAME_ATTEMPTS 1000
/* The largest integer jansson holds. */
#if JSON_INTEGER_IS_LONG_LONG
#define JSON_INT_MAX LLONG_MAX
#else
#define JSON_INT_MAX LONG_MAX
#endif
/* Room for a field's place in a snapshot: "flows[12].rules_used[3].policy". */
#define WHERE_MAX 128

/* ---- writing a snapshot ---------------------------------------------------------- */

/* A JSON string of text; one that is not UTF-8 (a process name can be
 * anything) has its non-ASCII bytes replaced, so the file stays JSON. */
static json_t *text_json(const char *text)
{
	json_t *value;
	char *ascii;

	if (!text)
		return json_null();
	value = json_string(text);
	if (value)
		return value;
	ascii = xstrdup(text);
	for (char *c = ascii; *c; c++)
		if ((unsigned char)*c >= 0x80)
			*c = '?';
	value = json_string(ascii);
	free(ascii);
	return value;
}

static json_t *time_json(time_t when)
{
	char text[NP_REPORT_TIME_LEN];

	return json_string(np_report_time_format(when, text, sizeof(text)));
}

static json_t *texts_json(char *const *texts, size_t n)
{
	json_t *array = json_array();

	for (size_t i = 0; i < n && texts[i]; i++)
		json_array_append_new(array, text_json(texts[i]));
	return array;
}

static json_t *coverage_json(const struct np_coverage *coverage)
{
	json_t *obj = json_object();

	for (size_t i = 0; i < NP_COVERAGE_COUNTERS; i++)
		json_object_set_new(obj, np_coverage_counter_name(i),
				    json_integer((json_int_t)np_coverage_counter(coverage, i)));
	return obj;
}

static json_t *end_json(const struct np_report_end *end)
{
	json_t *obj = json_object();

	json_object_set_new(obj, "kind", json_string(np_report_end_kind_name(end->kind)));
	if (end->kind == NP_REPORT_POD)
		json_object_set_new(obj, "namespace", text_json(end->namespace_name));
	json_object_set_new(obj, "workload", text_json(end->workload));
	if (end->ip)
		json_object_set_new(obj, "ip", text_json(end->ip));
	return obj;
}

static const char *direction_name(bool ingress)
{
	return ingress ? "ingress" : "egress";
}

static json_t *rules_used_json(const struct np_report_flow *flow)
{
	json_t *array = json_array();

	for (size_t i = 0; i < flow->n_rules_used; i++) {
		const struct np_rule_use *use = &flow->rules_used[i];
		json_t *item = json_pack("{s:o, s:b, s:s, s:i}",
					 "policy", text_json(use->policy),
					 "staged", use->staged,
					 "direction", direction_name(use->ingress),
					 "rule", use->rule);

		json_array_append_new(array, item);
	}
	return array;
}

static json_t *flow_json(const struct np_report_flow *flow)
{
	json_t *obj = json_object();

	json_object_set_new(obj, "src", end_json(&flow->src));
	json_object_set_new(obj, "dst", end_json(&flow->dst));
	json_object_set_new(obj, "service", text_json(flow->service));
	json_object_set_new(obj, "port", json_integer(flow->port));
	json_object_set_new(obj, "protocol", text_json(flow->protocol));
	json_object_set_new(obj, "verdict", text_json(flow->verdict));
	json_object_set_new(obj, "denied_by", texts_json(flow->denied_by, flow->n_denied_by));
	json_object_set_new(obj, "rules_used", rules_used_json(flow));
	json_object_set_new(obj, "count", json_integer((json_int_t)flow->count));
	json_object_set_new(obj, "first_seen", time_json(flow->first_seen));
	json_object_set_new(obj, "last_seen", time_json(flow->last_seen));
	json_object_set_new(obj, "sample_src_pods", texts_json(flow->sample_src_pods,
							       NP_REPORT_SAMPLES));
	json_object_set_new(obj, "sample_dst_pods", texts_json(flow->sample_dst_pods,
							       NP_REPORT_SAMPLES));
	json_object_set_new(obj, "sample_processes", texts_json(flow->sample_processes,
								NP_REPORT_SAMPLES));
	return obj;
}

static json_t *policy_json(const struct np_report_policy *policy)
{
	json_t *obj = json_object();
	json_t *rules = json_array();

	json_object_set_new(obj, "namespace", text_json(policy->namespace_name));
	json_object_set_new(obj, "name", text_json(policy->name));
	json_object_set_new(obj, "staged", json_boolean(policy->staged));
	json_object_set_new(obj, "file", text_json(policy->file));
	for (size_t i = 0; i < policy->n_rules; i++) {
		const struct np_report_rule *rule = &policy->rules[i];
		json_t *item = json_pack("{s:s, s:i, s:I, s:I}",
					 "direction", direction_name(rule->ingress),
					 "index", rule->index,
					 "admits_pods", (json_int_t)rule->admits_pods,
					 "admits_ports", (json_int_t)rule->admits_ports);

		json_array_append_new(rules, item);
	}
	json_object_set_new(obj, "rules", rules);
	return obj;
}

static json_t *report_json(const struct np_report *report)
{
	json_t *doc = json_object();
	json_t *policies = json_array(), *flows = json_array();

	json_object_set_new(doc, "format", json_string(NP_REPORT_FORMAT));
	json_object_set_new(doc, "version", json_integer(NP_REPORT_VERSION));
	json_object_set_new(doc, "node", text_json(report->nodes[0].name));
	json_object_set_new(doc, "start", time_json(report->start));
	json_object_set_new(doc, "end", time_json(report->end));
	json_object_set_new(doc, "coverage", coverage_json(&report->coverage));
	for (size_t i = 0; i < report->n_policies; i++)
		json_array_append_new(policies, policy_json(&report->policies[i]));
	json_object_set_new(doc, "policies", policies);
	for (size_t i = 0; i < report->n_flows; i++)
		json_array_append_new(flows, flow_json(&report->flows[i]));
	json_object_set_new(doc, "flows", flows);
	return doc;
}

static int gz_sink(const char *buffer, size_t size, void *data)
{
	return size <= UINT_MAX && gzwrite(data, buffer, (unsigned)size) == (int)size ? 0 : -1;
}

/* Compresses doc into fd, syncs and closes it. */
static int write_gzip(int fd, const json_t *doc, const char *path, char *err, size_t len)
{
	int copy = dup(fd);
	gzFile gz = copy >= 0 ? gzdopen(copy, "wb") : NULL;
	bool written;
	int saved;

	if (!gz) {
		saved = errno;
		if (copy >= 0)
			close(copy);
		close(fd);
		snprintf(err, len, "%s: cannot write: %s", path, strerror(saved ? saved : ENOMEM));
		return -1;
	}
	errno = 0;
	written = json_dump_callback(doc, gz_sink, gz, JSON_COMPACT | JSON_PRESERVE_ORDER) == 0;
	written = gzclose_w(gz) == Z_OK && written; /* closed (and freed) whatever happened */
	written = written && fsync(fd) == 0;
	saved = errno;
	if (close(fd) != 0 && written) {
		written = false;
		saved = errno;
	}
	if (written)
		return 0;
	snprintf(err, len, "%s: cannot write: %s", path, strerror(saved ? saved : EIO));
	return -1;
}

/* The node as it may appear in a file name. */
static void file_name_node(const char *node, char *buf, size_t len)
{
	snprintf(buf, len, "%s", *node ? node : "unknown");
	for (char *c = buf; *c; c++)
		if (!isalnum((unsigned char)*c) && *c != '-' && *c != '.' && *c != '_')
			*c = '_';
}

/* rename() that never replaces: a snapshot is never written over another. */
static int rename_new(const char *from, const char *to)
{
	if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	/* A file system without RENAME_NOREPLACE: link() does not replace either. */
	if (link(from, to) != 0)
		return -1;
	unlink(from);
	return 0;
}

/* Gives the written temporary file its name, the first one free, in
 * path (path_len bytes). */
static int publish(const char *tmp, const char *dir, const struct np_report *report,
		   char *path, size_t path_len, char *err, size_t len)
{
	char node[256], stamp[32], suffix[16] = "";
	struct tm tm;
	int fd;

	file_name_node(report->nodes[0].name, node, sizeof(node));
	if (!gmtime_r(&report->end, &tm) || !strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm))
		snprintf(stamp, sizeof(stamp), "%lld", (long long)report->end);
	for (unsigned attempt = 1;; attempt++) {
		if (attempt > 1)
			snprintf(suffix, sizeof(suffix), "-%u", attempt);
		if ((size_t)snprintf(path, path_len, "%s/npwatch-%s-%s%s.json.gz", dir, node, stamp,
				     suffix) >= path_len) {
			snprintf(err, len, "%s: the snapshot's path does not fit in %zu bytes", dir,
				 path_len);
			return -1;
		}
		if (rename_new(tmp, path) == 0)
			break;
		if (errno != EEXIST || attempt == NAME_ATTEMPTS) {
			snprintf(err, len, "%s: cannot create it: %s", path, strerror(errno));
			return -1;
		}
	}
	/* Best effort: the snapshot is in place, and a failure here must not
	 * make the caller write its window a second time. */
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	return 0;
}

int np_snapshot_write(const struct np_report *report, const char *dir, char *path_out,
		      size_t path_len, char *err, size_t len)
{
	char tmp[PATH_MAX];
	json_t *doc;
	int fd, status;

	if (report->n_nodes != 1 || !report->nodes[0].name) {
		snprintf(err, len, "a snapshot is the report of one node; this report has %zu",
			 report->n_nodes);
		return -1;
	}
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/.npwatch-snapshot-XXXXXX", dir) >= sizeof(tmp)) {
		snprintf(err, len, "%s: the snapshot's path is too long", dir);
		return -1;
	}
	fd = mkstemp(tmp);
	if (fd < 0) {
		snprintf(err, len, "%s: cannot create a snapshot there: %s", dir, strerror(errno));
		return -1;
	}
	doc = report_json(report);
	status = write_gzip(fd, doc, tmp, err, len);
	json_decref(doc);
	if (status == 0)
		status = publish(tmp, dir, report, path_out, path_len, err, len);
	if (status != 0)
		unlink(tmp);
	return status;
}

/* ---- reading a snapshot: fields -------------------------------------------------- */

struct reader {
	const char *file;
	char *err;
	size_t len;
};

/* Sets the message "FILE: WHERE: what" and returns -1. */
static int refuse(const struct reader *r, const char *where, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int refuse(const struct reader *r, const char *where, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (where && *where)
		snprintf(r->err, r->len, "%s: %s: %s", r->file, where, what);
	else
		snprintf(r->err, r->len, "%s: %s", r->file, what);
	return -1;
}

/* "flows[3].src" + "kind" = "flows[3].src.kind" */
static const char *member_path(char *buf, const char *where, const char *key)
{
	struct np_text path;

	np_text_init(&path, buf, WHERE_MAX);
	if (where && *where)
		np_text_add(&path, "%s.", where);
	np_text_add(&path, "%s", key);
	return buf;
}

static const char *item_path(char *buf, const char *where, size_t i)
{
	struct np_text path;

	np_text_init(&path, buf, WHERE_MAX);
	np_text_add(&path, "%s[%zu]", where, i);
	return buf;
}

static const char *json_kind(const json_t *value)
{
	switch (json_typeof(value)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a number with a fraction";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	case JSON_NULL: break;
	}
	return "null";
}

/* The member key of obj, of type (a JSON_TRUE stands for either boolean).
 * When it is missing or null: NULL if optional, else an error. */
static int member(const struct reader *r, const json_t *obj, const char *where, const char *key,
		  json_type type, bool optional, const json_t **out)
{
	static const char *const expected[] = {
		[JSON_OBJECT] = "an object", [JSON_ARRAY] = "an array", [JSON_STRING] = "a string",
		[JSON_INTEGER] = "an integer", [JSON_TRUE] = "true or false",
	};
	const json_t *value = json_object_get(obj, key);
	char path[WHERE_MAX];

	*out = NULL;
	if (!value || json_is_null(value)) {
		if (optional)
			return 0;
		return refuse(r, where, "no \"%s\" field", key);
	}
	if (type == JSON_TRUE ? !json_is_boolean(value) : json_typeof(value) != type)
		return refuse(r, member_path(path, where, key), "expected %s, found %s",
			      expected[type], json_kind(value));
	*out = value;
	return 0;
}

enum presence { REQUIRED, OPTIONAL };

/* A string; one that is required may not be empty either. */
static int get_text(const struct reader *r, const json_t *obj, const char *where,
		    const char *key, enum presence presence, const char **out)
{
	const json_t *value;
	char path[WHERE_MAX];

	*out = NULL;
	if (member(r, obj, where, key, JSON_STRING, presence == OPTIONAL, &value) != 0)
		return -1;
	if (!value)
		return 0;
	*out = json_string_value(value);
	if (presence == REQUIRED && !**out)
		return refuse(r, member_path(path, where, key), "must not be empty");
	return 0;
}

static int get_integer(const struct reader *r, const json_t *obj, const char *where,
		       const char *key, json_int_t min, json_int_t max, json_int_t *out)
{
	const json_t *value;
	char path[WHERE_MAX];

	if (member(r, obj, where, key, JSON_INTEGER, false, &value) != 0)
		return -1;
	*out = json_integer_value(value);
	if (*out >= min && *out <= max)
		return 0;
	member_path(path, where, key);
	if (max == JSON_INT_MAX)
		return refuse(r, path, "%" JSON_INTEGER_FORMAT " is out of range: expected %"
			      JSON_INTEGER_FORMAT " or more", *out, min);
	return refuse(r, path, "%" JSON_INTEGER_FORMAT " is out of range: expected %"
		      JSON_INTEGER_FORMAT " to %" JSON_INTEGER_FORMAT, *out, min, max);
}

static int get_count(const struct reader *r, const json_t *obj, const char *where,
		     const char *key, uint64_t *out)
{
	json_int_t value;

	if (get_integer(r, obj, where, key, 0, JSON_INT_MAX, &value) != 0)
		return -1;
	*out = (uint64_t)value;
	return 0;
}

static int get_bool(const struct reader *r, const json_t *obj, const char *where,
		    const char *key, bool *out)
{
	const json_t *value;

	if (member(r, obj, where, key, JSON_TRUE, false, &value) != 0)
		return -1;
	*out = json_is_true(value);
	return 0;
}

static int get_time(const struct reader *r, const json_t *obj, const char *where,
		    const char *key, time_t *out)
{
	const char *text;
	char path[WHERE_MAX];

	if (get_text(r, obj, where, key, REQUIRED, &text) != 0)
		return -1;
	if (!np_report_time_parse(text, out))
		return refuse(r, member_path(path, where, key),
			      "\"%s\" is not a time such as 2026-11-26T08:30:00Z", text);
	return 0;
}

/* One of choices, as its index. */
static int get_choice(const struct reader *r, const json_t *obj, const char *where,
		      const char *key, const char *const *choices, size_t n_choices, int *out)
{
	const char *text;
	char path[WHERE_MAX], listed[256];
	struct np_text list;

	if (get_text(r, obj, where, key, REQUIRED, &text) != 0)
		return -1;
	np_text_init(&list, listed, sizeof(listed));
	for (size_t i = 0; i < n_choices; i++) {
		const char *separator = i == 0 ? "" : i + 1 == n_choices ? " or " : ", ";

		if (strcmp(text, choices[i]) == 0) {
			*out = (int)i;
			return 0;
		}
		np_text_add(&list, "%s\"%s\"", separator, choices[i]);
	}
	return refuse(r, member_path(path, where, key), "\"%s\" is not %s", text, listed);
}

/* ---- reading a snapshot: objects ------------------------------------------------- */

static const char *const directions[] = { "egress", "ingress" }; /* index: is it ingress? */

static int read_coverage(const struct reader *r, const json_t *doc, struct np_coverage *out)
{
	const json_t *coverage;
	uint64_t value;

	if (member(r, doc, NULL, "coverage", JSON_OBJECT, false, &coverage) != 0)
		return -1;
	for (size_t i = 0; i < NP_COVERAGE_COUNTERS; i++) {
		if (get_count(r, coverage, "coverage", np_coverage_counter_name(i), &value) != 0)
			return -1;
		np_coverage_set_counter(out, i, value);
	}
	return 0;
}

static int read_rule(const struct reader *r, const json_t *item, const char *where,
		     struct np_report_rule *out)
{
	int direction;
	json_int_t index, pods, ports;

	if (!json_is_object(item))
		return refuse(r, where, "expected an object, found %s", json_kind(item));
	if (get_choice(r, item, where, "direction", directions, 2, &direction) != 0 ||
	    get_integer(r, item, where, "index", 0, INT_MAX, &index) != 0 ||
	    get_integer(r, item, where, "admits_pods", -1, LONG_MAX, &pods) != 0 ||
	    get_integer(r, item, where, "admits_ports", -1, LONG_MAX, &ports) != 0)
		return -1;
	out->ingress = direction == 1;
	out->index = (int)index;
	out->admits_pods = (long)pods;
	out->admits_ports = (long)ports;
	return 0;
}

static int read_policy(const struct reader *r, const json_t *item, const char *where,
		       struct np_report_policy *out)
{
	const char *ns, *name, *file;
	const json_t *rules;
	char path[WHERE_MAX], rule_where[WHERE_MAX];

	if (!json_is_object(item))
		return refuse(r, where, "expected an object, found %s", json_kind(item));
	if (get_text(r, item, where, "namespace", REQUIRED, &ns) != 0 ||
	    get_text(r, item, where, "name", REQUIRED, &name) != 0 ||
	    get_bool(r, item, where, "staged", &out->staged) != 0 ||
	    get_text(r, item, where, "file", OPTIONAL, &file) != 0 ||
	    member(r, item, where, "rules", JSON_ARRAY, false, &rules) != 0)
		return -1;
	out->namespace_name = xstrdup(ns);
	out->name = xstrdup(name);
	out->file = xstrdup(file);
	out->rules = xcalloc(json_array_size(rules), sizeof(*out->rules));
	member_path(path, where, "rules");
	for (size_t i = 0; i < json_array_size(rules); i++) {
		const json_t *rule = json_array_get(rules, i);

		if (read_rule(r, rule, item_path(rule_where, path, i), &out->rules[i]) != 0)
			return -1;
		out->n_rules++;
	}
	return 0;
}

static int read_policies(const struct reader *r, const json_t *doc, time_t as_of,
			 struct np_report *out)
{
	const json_t *policies;
	const struct np_report_policy *twice;
	char where[WHERE_MAX];

	if (member(r, doc, NULL, "policies", JSON_ARRAY, false, &policies) != 0)
		return -1;
	out->n_policies = json_array_size(policies);
	out->policies = xcalloc(out->n_policies, sizeof(*out->policies));
	for (size_t i = 0; i < out->n_policies; i++) {
		out->policies[i].as_of = as_of;
		if (read_policy(r, json_array_get(policies, i), item_path(where, "policies", i),
				&out->policies[i]) != 0)
			return -1;
	}
	twice = np_report_sort_policies(out);
	if (twice)
		return refuse(r, "policies", "%s/%s (%s) is listed twice", twice->namespace_name,
			      twice->name, twice->staged ? "staged" : "in force");
	return 0;
}

static int read_end(const struct reader *r, const json_t *flow, const char *where,
		    const char *key, struct np_report_end *out)
{
	const char *kinds[] = {
		[NP_REPORT_POD] = np_report_end_kind_name(NP_REPORT_POD),
		[NP_REPORT_NODE] = np_report_end_kind_name(NP_REPORT_NODE),
		[NP_REPORT_WORLD] = np_report_end_kind_name(NP_REPORT_WORLD),
	};
	const json_t *end;
	const char *ns = NULL, *workload, *ip;
	char path[WHERE_MAX], ip_path[WHERE_MAX];
	struct np_ip parsed;
	int kind;

	member_path(path, where, key);
	if (member(r, flow, where, key, JSON_OBJECT, false, &end) != 0 ||
	    get_choice(r, end, path, "kind", kinds, sizeof(kinds) / sizeof(kinds[0]),
			       &kind) != 0 ||
	    (kind == NP_REPORT_POD && get_text(r, end, path, "namespace", REQUIRED, &ns) != 0) ||
	    get_text(r, end, path, "workload", REQUIRED, &workload) != 0 ||
	    get_text(r, end, path, "ip", OPTIONAL, &ip) != 0)
		return -1;
	if (ip && !np_ip_parse(ip, &parsed))
		return refuse(r, member_path(ip_path, path, "ip"), "\"%s\" is not an IP address",
			      ip);
	out->kind = (enum np_report_end_kind)kind;
	out->namespace_name = xstrdup(ns);
	out->workload = xstrdup(workload);
	out->ip = kind == NP_REPORT_POD ? NULL : xstrdup(ip);
	return 0;
}

/* An array of strings, each handed to add(). */
static int read_texts(const struct reader *r, const json_t *flow, const char *where,
		      const char *key, void (*add)(void *, const char *), void *into)
{
	const json_t *array;
	char path[WHERE_MAX], item[WHERE_MAX];

	if (member(r, flow, where, key, JSON_ARRAY, false, &array) != 0)
		return -1;
	member_path(path, where, key);
	for (size_t i = 0; i < json_array_size(array); i++) {
		const json_t *text = json_array_get(array, i);

		if (!json_is_string(text))
			return refuse(r, item_path(item, path, i), "expected a string, found %s",
				      json_kind(text));
		add(into, json_string_value(text));
	}
	return 0;
}

static void add_denied_by(void *flow, const char *policy)
{
	np_report_flow_add_denied_by(flow, policy);
}

static void add_sample(void *samples, const char *value)
{
	np_report_add_sample(samples, value);
}

static int read_rule_use(const struct reader *r, const json_t *item, const char *where,
			 struct np_report_flow *flow)
{
	const char *policy;
	int direction;
	json_int_t rule;
	struct np_rule_use use;

	if (!json_is_object(item))
		return refuse(r, where, "expected an object, found %s", json_kind(item));
	if (get_text(r, item, where, "policy", REQUIRED, &policy) != 0 ||
	    get_bool(r, item, where, "staged", &use.staged) != 0 ||
	    get_choice(r, item, where, "direction", directions, 2, &direction) != 0 ||
	    get_integer(r, item, where, "rule", 0, INT_MAX, &rule) != 0)
		return -1;
	use.policy = (char *)policy; /* copied by np_report_flow_add_rule_use */
	use.ingress = direction == 1;
	use.rule = (int)rule;
	np_report_flow_add_rule_use(flow, &use);
	return 0;
}

static int read_rules_used(const struct reader *r, const json_t *item, const char *where,
			   struct np_report_flow *flow)
{
	const json_t *uses;
	char path[WHERE_MAX], use_where[WHERE_MAX];

	if (member(r, item, where, "rules_used", JSON_ARRAY, false, &uses) != 0)
		return -1;
	member_path(path, where, "rules_used");
	for (size_t i = 0; i < json_array_size(uses); i++)
		if (read_rule_use(r, json_array_get(uses, i), item_path(use_where, path, i),
				  flow) != 0)
			return -1;
	return 0;
}

static int read_flow_key(const struct reader *r, const json_t *item, const char *where,
			 struct np_report_flow *out)
{
	static const char *const protocols[] = { "TCP", "UDP", "SCTP" };
	const char *verdicts[] = {
		np_flow_verdict_name(NP_VERDICT_ALLOW),
		np_flow_verdict_name(NP_VERDICT_WOULD_DENY),
		np_flow_verdict_name(NP_VERDICT_DENY_ATTEMPT),
		np_flow_verdict_name(NP_VERDICT_ENFORCEMENT_GAP),
		np_flow_verdict_name(NP_VERDICT_DENY),
	};
	json_int_t port;
	int protocol, verdict;

	if (read_end(r, item, where, "src", &out->src) != 0 ||
	    read_end(r, item, where, "dst", &out->dst) != 0 ||
	    get_integer(r, item, where, "port", 0, UINT16_MAX, &port) != 0 ||
	    get_choice(r, item, where, "protocol", protocols, 3, &protocol) != 0 ||
	    get_choice(r, item, where, "verdict", verdicts, 5, &verdict) != 0)
		return -1;
	out->port = (uint16_t)port;
	out->protocol = xstrdup(protocols[protocol]);
	out->verdict = xstrdup(verdicts[verdict]);
	return 0;
}

static int read_flow(const struct reader *r, const json_t *item, const char *where,
		     struct np_report_flow *out)
{
	const char *service;
	char path[WHERE_MAX];

	if (!json_is_object(item))
		return refuse(r, where, "expected an object, found %s", json_kind(item));
	if (read_flow_key(r, item, where, out) != 0 ||
	    get_text(r, item, where, "service", OPTIONAL, &service) != 0 ||
	    read_texts(r, item, where, "denied_by", add_denied_by, out) != 0 ||
	    read_rules_used(r, item, where, out) != 0 ||
	    get_count(r, item, where, "count", &out->count) != 0 ||
	    get_time(r, item, where, "first_seen", &out->first_seen) != 0 ||
	    get_time(r, item, where, "last_seen", &out->last_seen) != 0 ||
	    read_texts(r, item, where, "sample_src_pods", add_sample, out->sample_src_pods) != 0 ||
	    read_texts(r, item, where, "sample_dst_pods", add_sample, out->sample_dst_pods) != 0 ||
	    read_texts(r, item, where, "sample_processes", add_sample, out->sample_processes) != 0)
		return -1;
	if (out->last_seen < out->first_seen)
		return refuse(r, member_path(path, where, "last_seen"), "before first_seen");
	out->service = xstrdup(service);
	return 0;
}

static int read_flows(const struct reader *r, const json_t *doc, struct np_report *out)
{
	const json_t *flows;
	char where[WHERE_MAX];

	if (member(r, doc, NULL, "flows", JSON_ARRAY, false, &flows) != 0)
		return -1;
	out->n_flows = json_array_size(flows);
	out->flows = xcalloc(out->n_flows, sizeof(*out->flows));
	for (size_t i = 0; i < out->n_flows; i++)
		if (read_flow(r, json_array_get(flows, i), item_path(where, "flows", i),
			      &out->flows[i]) != 0)
			return -1;
	return 0;
}

/* Is it a snapshot this program reads? */
static int read_format(const struct reader *r, const json_t *doc)
{
	const json_t *format = json_object_get(doc, "format");
	const json_t *version = json_object_get(doc, "version");

	if (!format)
		return refuse(r, NULL, "not an npwatch report: no \"format\" field");
	if (!json_is_string(format) || strcmp(json_string_value(format), NP_REPORT_FORMAT) != 0)
		return refuse(r, "format", "not an npwatch report: expected \"%s\"",
			      NP_REPORT_FORMAT);
	if (!json_is_integer(version))
		return refuse(r, "version", "expected an integer, found %s",
			      version ? json_kind(version) : "nothing");
	if (json_integer_value(version) != NP_REPORT_VERSION)
		return refuse(r, "version",
			      "%" JSON_INTEGER_FORMAT " is not supported: this npwatch reads "
			      "version %d", json_integer_value(version), NP_REPORT_VERSION);
	return 0;
}

static int read_report(const struct reader *r, const json_t *doc, struct np_report *out)
{
	struct np_report_node *node;
	const char *name;

	if (!json_is_object(doc))
		return refuse(r, NULL, "not an npwatch report: the JSON is %s, not an object",
			      json_kind(doc));
	if (read_format(r, doc) != 0)
		return -1;
	node = out->nodes = xcalloc(1, sizeof(*out->nodes));
	out->n_nodes = 1;
	if (get_text(r, doc, NULL, "node", REQUIRED, &name) != 0 ||
	    get_time(r, doc, NULL, "start", &node->start) != 0 ||
	    get_time(r, doc, NULL, "end", &node->end) != 0 ||
	    read_coverage(r, doc, &node->coverage) != 0)
		return -1;
	node->name = xstrdup(name);
	if (node->end < node->start)
		return refuse(r, "end", "before start");
	out->start = node->start;
	out->end = node->end;
	out->coverage = node->coverage;
	if (read_policies(r, doc, node->end, out) != 0)
		return -1;
	return read_flows(r, doc, out);
}

/* ---- reading a snapshot: the file ------------------------------------------------ */

/* Starts like gzip? (zlib would read anything else as plain text.) */
static int check_gzip_magic(const struct reader *r, int fd)
{
	unsigned char magic[2];
	ssize_t got = pread(fd, magic, sizeof(magic), 0);

	if (got < 0)
		return refuse(r, NULL, "cannot read: %s", strerror(errno));
	if (got == 0)
		return refuse(r, NULL, "empty: not a snapshot");
	if (got < 2 || magic[0] != 0x1f || magic[1] != 0x8b)
		return refuse(r, NULL, "not a gzip file (a snapshot is gzip-compressed JSON)");
	return 0;
}

/* Reads the whole of gz; a truncated stream is an error, not an end. */
static int inflate_all(const struct reader *r, gzFile gz, char **text, size_t *size)
{
	char *buf = NULL;
	size_t used = 0, capacity = 0;
	int n, errnum;

	do {
		if (capacity - used < READ_CHUNK) {
			capacity = capacity ? 2 * capacity : 4 * READ_CHUNK;
			buf = xrealloc(buf, capacity, 1);
		}
		n = gzread(gz, buf + used, READ_CHUNK);
		if (n > 0)
			used += (size_t)n;
		if (used > SNAPSHOT_MAX_BYTES) {
			free(buf);
			return refuse(r, NULL, "more than %lu MiB uncompressed: not a snapshot",
				      SNAPSHOT_MAX_BYTES >> 20);
		}
	} while (n > 0);
	gzerror(gz, &errnum);
	if (n < 0 || errnum != Z_OK) {
		const char *why = gzerror(gz, &errnum);

		free(buf);
		if (errnum == Z_BUF_ERROR)
			return refuse(r, NULL, "truncated: the gzip stream ends early");
		return refuse(r, NULL, "corrupt gzip data: %s", why);
	}
	*text = buf;
	*size = used;
	return 0;
}

static int read_gzip(const struct reader *r, char **text, size_t *size)
{
	int fd = open(r->file, O_RDONLY | O_CLOEXEC);
	gzFile gz;
	int status;

	if (fd < 0)
		return refuse(r, NULL, "cannot open: %s", strerror(errno));
	if (check_gzip_magic(r, fd) != 0) {
		close(fd);
		return -1;
	}
	gz = gzdopen(fd, "rb");
	if (!gz) {
		close(fd);
		return refuse(r, NULL, "cannot read: out of memory");
	}
	status = inflate_all(r, gz, text, size);
	if (gzclose_r(gz) == Z_BUF_ERROR && status == 0) {
		free(*text);
		return refuse(r, NULL, "truncated: the gzip stream ends early");
	}
	return status;
}

int np_report_merge_file(struct np_report *report, const char *path, char *err, size_t len)
{
	const struct reader r = { .file = path, .err = err, .len = len };
	struct np_report parsed;
	json_error_t error;
	json_t *doc;
	char *text = NULL;
	size_t size = 0;
	int status;

	if (read_gzip(&r, &text, &size) != 0)
		return -1;
	doc = json_loadb(text, size, JSON_REJECT_DUPLICATES, &error);
	free(text);
	if (!doc)
		return refuse(&r, NULL, "not JSON: line %d, column %d: %s", error.line,
			      error.column, error.text);
	np_report_init(&parsed);
	status = read_report(&r, doc, &parsed);
	json_decref(doc);
	if (status == 0)
		np_report_merge(report, &parsed);
	np_report_free(&parsed);
	return status;
}
