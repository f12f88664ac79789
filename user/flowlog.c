/* flowlog — the daemon's log sink; see flowlog.h. */
#include "flowlog.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "explain.h"

/* One violation being folded: the line it was first written as, and the
 * repeats counted since. */
struct fold_entry {
	struct fold_entry *next;
	char *key;
	json_t *line;
	struct timespec window_start; /* monotonic */
	uint64_t pending;
	struct timespec first_pending, last_pending; /* realtime */
};

struct np_flowlog {
	FILE *out;
	char *path;
	char *node;
	unsigned fold_seconds;
	size_t max_keys;
	struct fold_entry **buckets;
	size_t n_buckets;
	size_t n_entries;
};

/* ---- JSON of one event ------------------------------------------------------ */

static json_t *timestamp_json(const struct timespec *when)
{
	struct tm tm;
	char buf[40];

	gmtime_r(&when->tv_sec, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	return json_sprintf("%s.%03ldZ", buf, when->tv_nsec / 1000000);
}

static json_t *labels_json(const struct np_labels *labels)
{
	json_t *obj = json_object();

	for (size_t i = 0; i < labels->count; i++)
		json_object_set_new(obj, labels->items[i].key, json_string(labels->items[i].value));
	return obj;
}

static const char *end_kind(const struct np_endpoint *end)
{
	switch (end->kind) {
	case NP_END_POD: return "pod";
	case NP_END_NODE: return "node";
	case NP_END_WORLD: break;
	}
	return "world";
}

static json_t *end_json(const struct np_endpoint *end, const struct np_ip *seen_ip, uint16_t port)
{
	char ip[NP_IP_STRLEN];
	json_t *obj = json_object();

	json_object_set_new(obj, "ip", json_string(np_ip_format(seen_ip, ip, sizeof(ip))));
	if (port)
		json_object_set_new(obj, "port", json_integer(port));
	json_object_set_new(obj, "kind", json_string(end_kind(end)));
	if (end->kind == NP_END_POD) {
		json_object_set_new(obj, "namespace", json_string(end->pod->namespace_name));
		json_object_set_new(obj, "pod", json_string(end->pod->name));
		json_object_set_new(obj, "labels", labels_json(&end->pod->labels));
	} else if (end->kind == NP_END_NODE && end->node) {
		json_object_set_new(obj, "node", json_string(end->node->name));
	}
	return obj;
}

static json_t *service_fields(json_t *dst, const struct np_flow_event *event)
{
	char ip[NP_IP_STRLEN];

	json_object_set_new(dst, "service", json_sprintf("%s/%s", event->service->namespace_name,
							 event->service->name));
	json_object_set_new(dst, "backend_ip", json_string(np_ip_format(&event->flow->dst.ip, ip,
									sizeof(ip))));
	json_object_set_new(dst, "backend_port", json_integer(event->flow->port));
	return dst;
}

static json_t *process_json(const struct np_flow_event *event)
{
	json_t *obj = json_object();

	json_object_set_new(obj, "pid", json_integer(event->pid));
	json_object_set_new(obj, "comm", json_string(event->comm ? event->comm : ""));
	json_object_set_new(obj, "cgroup_id", json_integer((json_int_t)event->cgroup_id));
	if (event->cgroup_path)
		json_object_set_new(obj, "cgroup", json_string(event->cgroup_path));
	return obj;
}

json_t *np_flow_event_json(const struct np_flow_event *event, const char *node)
{
	const struct np_judgement *judgement = event->judgement;
	json_t *explained = np_explain_json(event->flow, judgement->deciding);
	json_t *line = json_object();
	json_t *dst = end_json(&event->flow->dst, &event->dst_ip, event->dst_port);

	if (event->service)
		service_fields(dst, event);
	json_object_set_new(line, "time", timestamp_json(&event->when));
	json_object_set_new(line, "node", json_string(node));
	json_object_set_new(line, "verdict", json_string(np_flow_verdict_name(judgement->verdict)));
	json_object_set_new(line, "scope", json_string(judgement->deciding == &judgement->with_staged
								 ? "staged" : "in-force"));
	json_object_set_new(line, "direction", json_string(event->inbound ? "inbound" : "outbound"));
	json_object_set_new(line, "protocol", json_string(np_proto_name(event->flow->proto)));
	json_object_set_new(line, "port", json_integer(event->dst_port));
	json_object_set_new(line, "outcome", json_string(np_outcome_name(event->outcome)));
	json_object_set_new(line, "src", end_json(&event->flow->src, &event->src_ip, event->src_port));
	json_object_set_new(line, "dst", dst);
	json_object_set(line, "egress", json_object_get(explained, "egress"));
	json_object_set(line, "ingress", json_object_get(explained, "ingress"));
	json_object_set(line, "explanation", json_object_get(explained, "explanation"));
	json_object_set_new(line, "process", process_json(event));
	json_object_set_new(line, "count", json_integer((json_int_t)event->count));
	json_decref(explained);
	return line;
}

/* ---- writing ------------------------------------------------------------------ */

static void write_line(struct np_flowlog *log, json_t *line)
{
	json_dumpf(line, log->out, JSON_COMPACT | JSON_PRESERVE_ORDER);
	fputc('\n', log->out);
	fflush(log->out);
}

/* Same verdict, same ends (ephemeral ports left out), same service port. */
static char *fold_key(const struct np_flow_event *event)
{
	char src[256], dst[256], *key;

	np_endpoint_format(&event->flow->src, src, sizeof(src));
	np_endpoint_format(&event->flow->dst, dst, sizeof(dst));
	if (asprintf(&key, "%s|%s|%s|%u|%s|%d", np_flow_verdict_name(event->judgement->verdict), src,
		     dst, event->dst_port, np_proto_name(event->flow->proto), event->inbound) < 0)
		return NULL;
	return key;
}

static size_t hash_key(const char *key, size_t n_buckets)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	for (; *key; key++)
		h = (h ^ (uint8_t)*key) * 1099511628211ULL;
	return (size_t)(h & (n_buckets - 1));
}

static struct fold_entry *find_entry(struct np_flowlog *log, const char *key)
{
	for (struct fold_entry *e = log->buckets[hash_key(key, log->n_buckets)]; e; e = e->next)
		if (strcmp(e->key, key) == 0)
			return e;
	return NULL;
}

static void add_entry(struct np_flowlog *log, char *key, json_t *line)
{
	struct fold_entry *entry = calloc(1, sizeof(*entry));
	size_t b = hash_key(key, log->n_buckets);

	if (!entry) {
		free(key);
		return;
	}
	entry->key = key;
	entry->line = json_incref(line);
	clock_gettime(CLOCK_MONOTONIC, &entry->window_start);
	entry->next = log->buckets[b];
	log->buckets[b] = entry;
	log->n_entries++;
}

static void write_folded(struct np_flowlog *log, struct fold_entry *entry)
{
	json_t *line = json_deep_copy(entry->line);

	json_object_set_new(line, "time", timestamp_json(&entry->last_pending));
	json_object_set_new(line, "count", json_integer((json_int_t)entry->pending));
	json_object_set_new(line, "folded", json_true());
	json_object_set_new(line, "first_seen", timestamp_json(&entry->first_pending));
	json_object_set_new(line, "last_seen", timestamp_json(&entry->last_pending));
	write_line(log, line);
	json_decref(line);
	entry->pending = 0;
}

void np_flowlog_write(struct np_flowlog *log, const struct np_flow_event *event)
{
	char *key = log->fold_seconds ? fold_key(event) : NULL;
	struct fold_entry *entry = key ? find_entry(log, key) : NULL;
	json_t *line;

	if (entry) {
		if (entry->pending == 0)
			entry->first_pending = event->when;
		entry->last_pending = event->when;
		entry->pending += event->count;
		free(key);
		return;
	}
	line = np_flow_event_json(event, log->node);
	write_line(log, line);
	if (key && log->n_entries < log->max_keys)
		add_entry(log, key, line);
	else
		free(key);
	json_decref(line);
}

static bool window_closed(const struct np_flowlog *log, const struct fold_entry *entry,
			  const struct timespec *now)
{
	return now->tv_sec - entry->window_start.tv_sec >= (time_t)log->fold_seconds;
}

void np_flowlog_tick(struct np_flowlog *log, const struct timespec *now)
{
	for (size_t b = 0; b < log->n_buckets; b++) {
		struct fold_entry **link = &log->buckets[b];

		while (*link) {
			struct fold_entry *entry = *link;

			if (!window_closed(log, entry, now)) {
				link = &entry->next;
				continue;
			}
			if (entry->pending > 0) {
				/* Keep folding: the next window starts now. */
				write_folded(log, entry);
				entry->window_start = *now;
				link = &entry->next;
				continue;
			}
			*link = entry->next;
			json_decref(entry->line);
			free(entry->key);
			free(entry);
			log->n_entries--;
		}
	}
}

/* ---- lifecycle ------------------------------------------------------------------ */

static FILE *open_log(const char *path, char *err, size_t len)
{
	FILE *out = fopen(path, "a");

	if (!out)
		snprintf(err, len, "--log %s: %s", path, strerror(errno));
	return out;
}

struct np_flowlog *np_flowlog_open(const struct np_flowlog_options *opts, char *err, size_t len)
{
	struct np_flowlog *log = calloc(1, sizeof(*log));

	if (!log)
		goto nomem;
	log->n_buckets = 1024;
	log->buckets = calloc(log->n_buckets, sizeof(*log->buckets));
	log->node = strdup(opts->node ? opts->node : "");
	log->path = opts->path ? strdup(opts->path) : NULL;
	if (!log->buckets || !log->node || (opts->path && !log->path))
		goto nomem;
	log->fold_seconds = opts->fold_seconds;
	log->max_keys = opts->max_keys;
	log->out = log->path ? open_log(log->path, err, len) : stdout;
	if (!log->out) {
		np_flowlog_close(log);
		return NULL;
	}
	return log;
nomem:
	snprintf(err, len, "out of memory");
	np_flowlog_close(log);
	return NULL;
}

int np_flowlog_reopen(struct np_flowlog *log, char *err, size_t len)
{
	FILE *out;

	if (!log->path)
		return 0;
	out = open_log(log->path, err, len);
	if (!out)
		return -1;
	fclose(log->out);
	log->out = out;
	return 0;
}

void np_flowlog_close(struct np_flowlog *log)
{
	if (!log)
		return;
	for (size_t b = 0; log->buckets && b < log->n_buckets; b++) {
		struct fold_entry *entry = log->buckets[b];

		while (entry) {
			struct fold_entry *next = entry->next;

			if (entry->pending > 0 && log->out)
				write_folded(log, entry);
			json_decref(entry->line);
			free(entry->key);
			free(entry);
			entry = next;
		}
	}
	if (log->out && log->out != stdout)
		fclose(log->out);
	free(log->buckets);
	free(log->node);
	free(log->path);
	free(log);
}
