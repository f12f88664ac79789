/* report — observation-window reports in memory (report.h): freeing them,
 * coverage counters, times, flows and their samples, the index that finds a
 * flow by key, and merging one report into another. The daemon's
 * aggregator builds reports with these; snapshot.c writes them to files and
 * merges what it reads back.
 */
#include "report.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

/* ---- reports --------------------------------------------------------------------- */

void np_report_init(struct np_report *report)
{
	memset(report, 0, sizeof(*report));
}

static void free_end(struct np_report_end *end)
{
	free(end->namespace_name);
	free(end->workload);
	free(end->ip);
}

static void free_samples(char *samples[NP_REPORT_SAMPLES])
{
	for (size_t i = 0; i < NP_REPORT_SAMPLES; i++)
		free(samples[i]);
}

static void free_flow(struct np_report_flow *flow)
{
	free_end(&flow->src);
	free_end(&flow->dst);
	free(flow->service);
	free(flow->protocol);
	free(flow->verdict);
	for (size_t i = 0; i < flow->n_denied_by; i++)
		free(flow->denied_by[i]);
	free(flow->denied_by);
	for (size_t i = 0; i < flow->n_rules_used; i++)
		free(flow->rules_used[i].policy);
	free(flow->rules_used);
	free_samples(flow->sample_src_pods);
	free_samples(flow->sample_dst_pods);
	free_samples(flow->sample_processes);
}

static void free_policy(struct np_report_policy *policy)
{
	free(policy->namespace_name);
	free(policy->name);
	free(policy->file);
	free(policy->rules);
}

void np_report_free(struct np_report *report)
{
	for (size_t i = 0; i < report->n_nodes; i++)
		free(report->nodes[i].name);
	free(report->nodes);
	for (size_t i = 0; i < report->n_policies; i++)
		free_policy(&report->policies[i]);
	free(report->policies);
	for (size_t i = 0; i < report->n_flows; i++)
		free_flow(&report->flows[i]);
	free(report->flows);
	np_report_init(report);
}

/* ---- coverage --------------------------------------------------------------------- */

/* The counters of a coverage by name, for snapshots and for sums. */
static const struct {
	const char *name;
	size_t offset;
} coverage_fields[] = {
	{ "observations", offsetof(struct np_coverage, observations) },
	{ "ringbuf_lost", offsetof(struct np_coverage, ringbuf_lost) },
	{ "socket_map_lost", offsetof(struct np_coverage, socket_map_lost) },
	{ "dedup_map_lost", offsetof(struct np_coverage, dedup_map_lost) },
	{ "undecodable", offsetof(struct np_coverage, undecodable) },
	{ "tracker_lost", offsetof(struct np_coverage, tracker_lost) },
	{ "aggregate_overflow", offsetof(struct np_coverage, aggregate_overflow) },
};
_Static_assert(sizeof(coverage_fields) / sizeof(coverage_fields[0]) == NP_COVERAGE_COUNTERS,
	       "NP_COVERAGE_COUNTERS counts the fields of struct np_coverage");

const char *np_coverage_counter_name(size_t i)
{
	return coverage_fields[i].name;
}

uint64_t np_coverage_counter(const struct np_coverage *coverage, size_t i)
{
	return *(const uint64_t *)((const char *)coverage + coverage_fields[i].offset);
}

void np_coverage_set_counter(struct np_coverage *coverage, size_t i, uint64_t value)
{
	*(uint64_t *)((char *)coverage + coverage_fields[i].offset) = value;
}

static void coverage_add(struct np_coverage *into, const struct np_coverage *from)
{
	for (size_t i = 0; i < NP_COVERAGE_COUNTERS; i++) {
		uint64_t sum = np_coverage_counter(into, i) + np_coverage_counter(from, i);

		np_coverage_set_counter(into, i, sum);
	}
}

uint64_t np_coverage_lost(const struct np_coverage *coverage)
{
	return coverage->ringbuf_lost + coverage->socket_map_lost + coverage->dedup_map_lost +
	       coverage->undecodable + coverage->tracker_lost + coverage->aggregate_overflow;
}

/* ---- times ----------------------------------------------------------------------- */

const char *np_report_time_format(time_t when, char *buf, size_t len)
{
	struct tm tm;

	if (len == 0)
		return buf;
	if (!gmtime_r(&when, &tm) || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		buf[0] = '\0';
	return buf;
}

static bool two_digits(const char *text, int *out)
{
	if (!isdigit((unsigned char)text[0]) || !isdigit((unsigned char)text[1]))
		return false;
	*out = (text[0] - '0') * 10 + (text[1] - '0');
	return true;
}

/* "Z", or "+hh:mm" / "-hh:mm" as seconds east of UTC; NULL when neither. */
static const char *parse_offset(const char *text, long *offset)
{
	int hours, minutes;

	*offset = 0;
	if (*text == 'Z')
		return text + 1;
	if ((*text != '+' && *text != '-') || !two_digits(text + 1, &hours) || text[3] != ':' ||
	    !two_digits(text + 4, &minutes) || hours > 23 || minutes > 59)
		return NULL;
	*offset = (hours * 60L + minutes) * 60 * (*text == '-' ? -1 : 1);
	return text + 6;
}

bool np_report_time_parse(const char *text, time_t *out)
{
	struct tm tm = { 0 };
	const char *rest = strptime(text, "%Y-%m-%dT%H:%M:%S", &tm);
	long offset;

	if (!rest)
		return false;
	if (rest[0] == '.' && isdigit((unsigned char)rest[1]))
		for (rest++; isdigit((unsigned char)*rest); rest++)
			;
	rest = parse_offset(rest, &offset);
	if (!rest || *rest)
		return false;
	*out = timegm(&tm) - offset;
	return true;
}

/* ---- flows ----------------------------------------------------------------------- */

static const char *const end_kinds[] = {
	[NP_REPORT_POD] = "pod", [NP_REPORT_NODE] = "node", [NP_REPORT_WORLD] = "world"
};
#define N_END_KINDS (sizeof(end_kinds) / sizeof(end_kinds[0]))

const char *np_report_end_kind_name(enum np_report_end_kind kind)
{
	return (size_t)kind < N_END_KINDS ? end_kinds[kind] : "?";
}

void np_report_add_sample(char *samples[NP_REPORT_SAMPLES], const char *value)
{
	for (size_t i = 0; i < NP_REPORT_SAMPLES; i++) {
		if (!samples[i]) {
			samples[i] = xstrdup(value);
			return;
		}
		if (strcmp(samples[i], value) == 0)
			return;
	}
}

void np_report_flow_add_denied_by(struct np_report_flow *flow, const char *policy)
{
	for (size_t i = 0; i < flow->n_denied_by; i++)
		if (strcmp(flow->denied_by[i], policy) == 0)
			return;
	flow->denied_by = xrealloc(flow->denied_by, flow->n_denied_by + 1, sizeof(char *));
	flow->denied_by[flow->n_denied_by++] = xstrdup(policy);
}

static bool same_rule_use(const struct np_rule_use *a, const struct np_rule_use *b)
{
	return a->staged == b->staged && a->ingress == b->ingress && a->rule == b->rule &&
	       strcmp(a->policy, b->policy) == 0;
}

void np_report_flow_add_rule_use(struct np_report_flow *flow, const struct np_rule_use *use)
{
	struct np_rule_use *added;

	for (size_t i = 0; i < flow->n_rules_used; i++)
		if (same_rule_use(&flow->rules_used[i], use))
			return;
	flow->rules_used = xrealloc(flow->rules_used, flow->n_rules_used + 1,
				    sizeof(*flow->rules_used));
	added = &flow->rules_used[flow->n_rules_used++];
	*added = *use;
	added->policy = xstrdup(use->policy);
}

static bool same_text(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static bool same_end(const struct np_report_end *a, const struct np_report_end *b)
{
	return a->kind == b->kind && same_text(a->namespace_name, b->namespace_name) &&
	       same_text(a->workload, b->workload);
}

bool np_report_flow_same_key(const struct np_report_flow *a, const struct np_report_flow *b)
{
	return a->port == b->port && same_end(&a->src, &b->src) && same_end(&a->dst, &b->dst) &&
	       same_text(a->protocol, b->protocol) && same_text(a->verdict, b->verdict);
}

#define FNV_OFFSET 1469598103934665603ULL
#define FNV_PRIME 1099511628211ULL

/* FNV-1a; each text ends in 0xff, a byte UTF-8 never uses, so that
 * "ab"+"c" and "a"+"bc" differ. */
static uint64_t hash_text(uint64_t h, const char *text)
{
	for (; text && *text; text++)
		h = (h ^ (uint8_t)*text) * FNV_PRIME;
	return (h ^ 0xff) * FNV_PRIME;
}

static uint64_t hash_end(uint64_t h, const struct np_report_end *end)
{
	h = (h ^ (uint64_t)end->kind) * FNV_PRIME;
	return hash_text(hash_text(h, end->namespace_name), end->workload);
}

static uint64_t flow_hash(const struct np_report_flow *flow)
{
	uint64_t h = hash_end(hash_end(FNV_OFFSET, &flow->src), &flow->dst);

	h = (h ^ flow->port) * FNV_PRIME;
	return hash_text(hash_text(h, flow->protocol), flow->verdict);
}

void np_report_flow_merge(struct np_report_flow *into, const struct np_report_flow *from)
{
	into->count += from->count;
	if (from->first_seen && (!into->first_seen || from->first_seen < into->first_seen))
		into->first_seen = from->first_seen;
	if (from->last_seen > into->last_seen)
		into->last_seen = from->last_seen;
	if (!into->service)
		into->service = xstrdup(from->service);
	for (size_t i = 0; i < NP_REPORT_SAMPLES; i++) {
		if (from->sample_src_pods[i])
			np_report_add_sample(into->sample_src_pods, from->sample_src_pods[i]);
		if (from->sample_dst_pods[i])
			np_report_add_sample(into->sample_dst_pods, from->sample_dst_pods[i]);
		if (from->sample_processes[i])
			np_report_add_sample(into->sample_processes, from->sample_processes[i]);
	}
	for (size_t i = 0; i < from->n_denied_by; i++)
		np_report_flow_add_denied_by(into, from->denied_by[i]);
	for (size_t i = 0; i < from->n_rules_used; i++)
		np_report_flow_add_rule_use(into, &from->rules_used[i]);
}

/* ---- finding flows by key -------------------------------------------------------- */

#define INDEX_MIN_SLOTS 64

void np_flow_index_free(struct np_flow_index *index)
{
	free(index->slots);
	memset(index, 0, sizeof(*index));
}

/* Linear probing; at least half the slots stay empty, so probes end. */
static void index_put(struct np_flow_index *index, const struct np_report *report, size_t position)
{
	size_t mask = index->n_slots - 1;
	size_t slot = flow_hash(&report->flows[position]) & mask;

	while (index->slots[slot])
		slot = (slot + 1) & mask;
	index->slots[slot] = position + 1;
}

static void index_catch_up(struct np_flow_index *index, const struct np_report *report)
{
	if (index->n_indexed > report->n_flows) /* flows were taken out: start over */
		np_flow_index_free(index);
	if (2 * report->n_flows > index->n_slots) {
		size_t n_slots = index->n_slots ? index->n_slots : INDEX_MIN_SLOTS;

		while (n_slots < 2 * report->n_flows)
			n_slots *= 2;
		free(index->slots);
		index->slots = xcalloc(n_slots, sizeof(*index->slots));
		index->n_slots = n_slots;
		index->n_indexed = 0;
	}
	for (; index->n_indexed < report->n_flows; index->n_indexed++)
		index_put(index, report, index->n_indexed);
}

struct np_report_flow *np_report_find_flow(const struct np_report *report,
					   struct np_flow_index *index,
					   const struct np_report_flow *key)
{
	size_t mask, slot;

	index_catch_up(index, report);
	if (index->n_slots == 0)
		return NULL;
	mask = index->n_slots - 1;
	for (slot = flow_hash(key) & mask; index->slots[slot]; slot = (slot + 1) & mask) {
		struct np_report_flow *flow = &report->flows[index->slots[slot] - 1];

		if (np_report_flow_same_key(flow, key))
			return flow;
	}
	return NULL;
}

static void copy_end(struct np_report_end *out, const struct np_report_end *from)
{
	out->kind = from->kind;
	out->namespace_name = xstrdup(from->namespace_name);
	out->workload = xstrdup(from->workload);
	out->ip = xstrdup(from->ip);
}

struct np_report_flow *np_report_append_flow(struct np_report *report,
					     const struct np_report_flow *key)
{
	struct np_report_flow *flow;

	report->flows = xrealloc(report->flows, report->n_flows + 1, sizeof(*report->flows));
	flow = &report->flows[report->n_flows++];
	memset(flow, 0, sizeof(*flow));
	copy_end(&flow->src, &key->src);
	copy_end(&flow->dst, &key->dst);
	flow->port = key->port;
	flow->protocol = xstrdup(key->protocol);
	flow->verdict = xstrdup(key->verdict);
	return flow;
}

/* ---- merging one report into another --------------------------------------------- */

static int compare_policies(const void *a, const void *b)
{
	const struct np_report_policy *x = a, *y = b;
	int cmp = strcmp(x->namespace_name, y->namespace_name);

	if (!cmp)
		cmp = strcmp(x->name, y->name);
	return cmp ? cmp : (int)x->staged - (int)y->staged;
}

const struct np_report_policy *np_report_sort_policies(struct np_report *report)
{
	if (report->n_policies > 1)
		qsort(report->policies, report->n_policies, sizeof(*report->policies),
		      compare_policies);
	for (size_t i = 1; i < report->n_policies; i++)
		if (compare_policies(&report->policies[i - 1], &report->policies[i]) == 0)
			return &report->policies[i];
	return NULL;
}

/* Moves a policy out of from, leaving nothing to free there. */
static struct np_report_policy take_policy(struct np_report_policy *from)
{
	struct np_report_policy taken = *from;

	memset(from, 0, sizeof(*from));
	return taken;
}

/* A union of two lists sorted by namespace, name and staged; of a policy
 * in both, the latest description wins. */
static void merge_policies(struct np_report *into, struct np_report *from)
{
	size_t i = 0, j = 0, n = 0;
	struct np_report_policy *merged =
		xcalloc(into->n_policies + from->n_policies, sizeof(*merged));

	np_report_sort_policies(into);
	np_report_sort_policies(from);
	while (i < into->n_policies || j < from->n_policies) {
		struct np_report_policy *mine = i < into->n_policies ? &into->policies[i] : NULL;
		struct np_report_policy *theirs = j < from->n_policies ? &from->policies[j] : NULL;
		int cmp = !mine ? 1 : !theirs ? -1 : compare_policies(mine, theirs);

		if (cmp < 0) {
			merged[n++] = take_policy(&into->policies[i++]);
		} else if (cmp > 0) {
			merged[n++] = take_policy(&from->policies[j++]);
		} else {
			bool newer = theirs->as_of > mine->as_of;

			merged[n++] = take_policy(newer ? theirs : mine);
			i++;
			j++;
		}
	}
	for (size_t k = 0; k < into->n_policies; k++)
		free_policy(&into->policies[k]);
	free(into->policies);
	into->policies = merged;
	into->n_policies = n;
}

static void merge_node(struct np_report *into, struct np_report_node *node)
{
	struct np_report_node *mine;

	for (size_t i = 0; i < into->n_nodes; i++) {
		mine = &into->nodes[i];
		if (strcmp(mine->name, node->name) != 0)
			continue;
		coverage_add(&mine->coverage, &node->coverage);
		if (node->start < mine->start)
			mine->start = node->start;
		if (node->end > mine->end)
			mine->end = node->end;
		return;
	}
	into->nodes = xrealloc(into->nodes, into->n_nodes + 1, sizeof(*into->nodes));
	into->nodes[into->n_nodes++] = *node;
	node->name = NULL;
}

static void merge_flows(struct np_report *into, struct np_report *from)
{
	struct np_flow_index index = { 0 };

	for (size_t i = 0; i < from->n_flows; i++) {
		struct np_report_flow *flow = &from->flows[i];
		struct np_report_flow *mine = np_report_find_flow(into, &index, flow);

		if (mine) {
			np_report_flow_merge(mine, flow);
			continue;
		}
		into->flows = xrealloc(into->flows, into->n_flows + 1, sizeof(*into->flows));
		into->flows[into->n_flows++] = *flow;
		memset(flow, 0, sizeof(*flow));
	}
	np_flow_index_free(&index);
}

void np_report_merge(struct np_report *into, struct np_report *from)
{
	if (into->n_nodes == 0) {
		into->start = from->start;
		into->end = from->end;
	}
	if (from->start < into->start)
		into->start = from->start;
	if (from->end > into->end)
		into->end = from->end;
	coverage_add(&into->coverage, &from->coverage);
	for (size_t i = 0; i < from->n_nodes; i++)
		merge_node(into, &from->nodes[i]);
	merge_policies(into, from);
	merge_flows(into, from);
}
