/* readiness — ready-to-enforce verdicts and rule findings over a merged
 * report; see readiness.h for the rules and thresholds. */
#include "readiness.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "textbuf.h"
#include "xalloc.h"

#define EVERY_PORT 65535L

/* ---- filters ------------------------------------------------------------- */

static bool listed(const char *const *list, size_t n, const char *text)
{
	for (size_t i = 0; i < n; i++)
		if (text && strcmp(list[i], text) == 0)
			return true;
	return false;
}

bool np_filter_keeps_namespace(const struct np_report_filter *filter, const char *ns)
{
	return filter->n_namespaces == 0 || listed(filter->namespaces, filter->n_namespaces, ns);
}

static bool end_kept(const struct np_report_filter *filter, const struct np_report_end *end)
{
	return end->kind == NP_REPORT_POD &&
	       listed(filter->namespaces, filter->n_namespaces, end->namespace_name);
}

bool np_filter_in_scope(const struct np_report_filter *filter, const struct np_report_flow *flow)
{
	if (filter->n_namespaces > 0 && !end_kept(filter, &flow->src) &&
	    !end_kept(filter, &flow->dst))
		return false;
	if (filter->since && flow->last_seen < filter->since)
		return false;
	return !filter->until || flow->first_seen <= filter->until;
}

bool np_filter_selects(const struct np_report_filter *filter, const struct np_report_flow *flow)
{
	if (!np_filter_in_scope(filter, flow))
		return false;
	if (filter->n_verdicts == 0)
		return strcmp(flow->verdict, "allow") != 0;
	return listed(filter->verdicts, filter->n_verdicts, flow->verdict);
}

/* ---- durations and times ------------------------------------------------- */

static long unit_seconds(char unit)
{
	switch (unit) {
	case 's': return 1;
	case 'm': return 60;
	case 'h': return 3600;
	case 'd': return 86400;
	default: return 0;
	}
}

bool np_parse_duration(const char *text, long *seconds)
{
	long total = 0;

	if (!text || !*text)
		return false;
	while (*text) {
		long value = 0, unit;

		if (*text < '0' || *text > '9')
			return false;
		for (; *text >= '0' && *text <= '9'; text++) {
			if (value > (LONG_MAX - 9) / 10)
				return false;
			value = value * 10 + (*text - '0');
		}
		unit = unit_seconds(*text);
		if (unit == 0 || value > (LONG_MAX - total) / unit)
			return false;
		total += value * unit;
		text++;
	}
	if (total == 0)
		return false;
	*seconds = total;
	return true;
}

bool np_parse_time(const char *text, time_t now, time_t *out)
{
	long ago;

	if (text && text[0] >= '0' && text[0] <= '9' && np_parse_duration(text, &ago)) {
		*out = now - ago;
		return true;
	}
	return text && np_report_time_parse(text, out);
}

void np_format_duration(long seconds, char *buf, size_t len)
{
	long days = seconds >= 2 * 86400 ? seconds / 86400 : 0;
	long rest = seconds - days * 86400;
	size_t used = 0;

	buf[0] = '\0';
	if (days)
		used += (size_t)snprintf(buf + used, len - used, "%ldd", days);
	if (rest / 3600 && used < len)
		used += (size_t)snprintf(buf + used, len - used, "%ldh", rest / 3600);
	if (rest % 3600 / 60 && used < len)
		used += (size_t)snprintf(buf + used, len - used, "%ldm", rest % 3600 / 60);
	if ((rest % 60 || seconds == 0) && used < len)
		snprintf(buf + used, len - used, "%lds", rest % 60);
}

/* ---- ready to enforce ---------------------------------------------------- */

void np_report_policy_id(const struct np_report_policy *policy, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", policy->namespace_name, policy->name);
}

/* What a row stands for: a staged policy, or all those of a namespace. */
struct target {
	const char *ns;
	const char *policy;            /* NULL for the namespace */
	char (*ids)[NP_POLICY_ID_MAX]; /* "ns/name" of the staged policies it covers */
	size_t n_ids;
};

static bool caused_by(const struct np_report_flow *flow, const struct target *target)
{
	for (size_t i = 0; i < flow->n_denied_by; i++)
		for (size_t j = 0; j < target->n_ids; j++)
			if (strcmp(flow->denied_by[i], target->ids[j]) == 0)
				return true;
	return false;
}

static int compare_strings(const char *a, const char *b)
{
	if (!a || !b)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

static int compare_ends(const void *a, const void *b)
{
	const struct np_report_end *x = *(const struct np_report_end *const *)a;
	const struct np_report_end *y = *(const struct np_report_end *const *)b;
	int cmp = (int)x->kind - (int)y->kind;

	if (!cmp)
		cmp = compare_strings(x->namespace_name, y->namespace_name);
	return cmp ? cmp : compare_strings(x->workload, y->workload);
}

static size_t count_distinct(void *items, size_t n, size_t size,
			     int (*compare)(const void *, const void *))
{
	size_t distinct = n > 0;

	if (n > 1)
		qsort(items, n, size, compare);
	for (size_t i = 1; i < n; i++)
		distinct += compare((char *)items + (i - 1) * size, (char *)items + i * size) != 0;
	return distinct;
}

/* The workload across from the policy's namespace: the source when the
 * destination is a pod there (an ingress denial), else the destination. */
static const struct np_report_end *peer_of(const struct np_report_flow *flow, const char *ns)
{
	if (flow->dst.kind == NP_REPORT_POD && compare_strings(flow->dst.namespace_name, ns) == 0)
		return &flow->src;
	return &flow->dst;
}

static const char *separator(const struct np_text *text)
{
	return text->used ? "; " : "";
}

static void judge(struct np_readiness *row, const struct np_analysis *analysis)
{
	struct np_text why;
	char quiet[32], span[32];
	long observed = (long)(analysis->end - analysis->start);

	np_text_init(&why, row->reason, sizeof(row->reason));
	np_format_duration(analysis->quiet_for, quiet, sizeof(quiet));
	if (analysis->lost)
		np_text_add(&why, "%" PRIu64 " events lost: would-deny flows may have gone unseen",
			    analysis->lost);
	if (observed < analysis->quiet_for) {
		np_format_duration(observed > 0 ? observed : 0, span, sizeof(span));
		np_text_add(&why, "%sobserved %s, less than the %s quiet period", separator(&why),
			    span, quiet);
	}
	if (row->last_seen && row->last_seen > analysis->end - analysis->quiet_for) {
		long ago = (long)(analysis->end - row->last_seen);

		np_format_duration(ago > 0 ? ago : 0, span, sizeof(span));
		if (ago > 0)
			np_text_add(&why,
				    "%swould-deny %s before the end, within the %s quiet period",
				    separator(&why), span, quiet);
		else
			np_text_add(&why, "%swould-deny up to the end of the window",
				    separator(&why));
	}
	row->go = why.used == 0;
	if (row->go && row->would_deny)
		np_text_add(&why, "no would-deny in the last %s", quiet);
	else if (row->go)
		np_text_add(&why, "no would-deny in the window");
}

static void assess(const struct np_report *report, const struct np_report_filter *filter,
		   const struct target *target, const struct np_analysis *analysis,
		   struct np_readiness *row)
{
	const struct np_report_end **peers = xcalloc(report->n_flows, sizeof(*peers));

	memset(row, 0, sizeof(*row));
	row->namespace_name = target->ns;
	row->policy = target->policy;
	for (size_t i = 0; i < report->n_flows; i++) {
		const struct np_report_flow *flow = &report->flows[i];

		if (!np_filter_in_scope(filter, flow) || strcmp(flow->verdict, "would-deny") != 0 ||
		    !caused_by(flow, target))
			continue;
		row->would_deny += flow->count;
		if (!row->first_seen || flow->first_seen < row->first_seen)
			row->first_seen = flow->first_seen;
		if (flow->last_seen > row->last_seen)
			row->last_seen = flow->last_seen;
		peers[row->flows++] = peer_of(flow, target->ns);
	}
	row->peers = count_distinct(peers, row->flows, sizeof(*peers), compare_ends);
	free(peers);
	judge(row, analysis);
}

static int compare_policies(const void *a, const void *b)
{
	const struct np_report_policy *x = *(const struct np_report_policy *const *)a;
	const struct np_report_policy *y = *(const struct np_report_policy *const *)b;
	int cmp = strcmp(x->namespace_name, y->namespace_name);

	if (!cmp)
		cmp = strcmp(x->name, y->name);
	return cmp ? cmp : (int)x->staged - (int)y->staged;
}

/* The report's policies kept by the filter, by namespace and name. */
static const struct np_report_policy **sorted_policies(const struct np_report *report,
							const struct np_report_filter *filter,
							bool staged_only, size_t *n)
{
	const struct np_report_policy **list = xcalloc(report->n_policies, sizeof(*list));

	*n = 0;
	for (size_t i = 0; i < report->n_policies; i++) {
		const struct np_report_policy *policy = &report->policies[i];

		if ((!staged_only || policy->staged) &&
		    np_filter_keeps_namespace(filter, policy->namespace_name))
			list[(*n)++] = policy;
	}
	if (*n > 1)
		qsort(list, *n, sizeof(*list), compare_policies);
	return list;
}

/* Per namespace: one row for its staged set, then one per staged policy. */
static void analyze_readiness(const struct np_report *report, const struct np_report_filter *filter,
			      struct np_analysis *out)
{
	size_t n;
	const struct np_report_policy **staged = sorted_policies(report, filter, true, &n);
	char(*ids)[NP_POLICY_ID_MAX] = xcalloc(n, sizeof(*ids));

	out->readiness = xcalloc(2 * n, sizeof(*out->readiness));
	for (size_t i = 0; i < n; i++)
		np_report_policy_id(staged[i], ids[i], sizeof(ids[i]));
	for (size_t first = 0, last; first < n; first = last) {
		const char *ns = staged[first]->namespace_name;

		for (last = first; last < n && strcmp(staged[last]->namespace_name, ns) == 0;
		     last++)
			;
		struct target whole = { .ns = ns, .ids = ids + first, .n_ids = last - first };

		assess(report, filter, &whole, out, &out->readiness[out->n_readiness++]);
		for (size_t i = first; i < last; i++) {
			struct target one = { .ns = ns, .policy = staged[i]->name, .ids = ids + i,
					      .n_ids = 1 };

			assess(report, filter, &one, out, &out->readiness[out->n_readiness++]);
		}
	}
	free(ids);
	free(staged);
}

/* ---- unused and over-broad rules ----------------------------------------- */

/* A peer pod or address: "ns/pod" from the samples, or namespace and
 * workload when a flow carries no sample, or a world or node address. */
struct peer_key {
	const char *ns;
	const char *name;
};

struct port_key {
	uint16_t port;
	const char *protocol;
};

static int compare_peer_keys(const void *a, const void *b)
{
	const struct peer_key *x = a, *y = b;
	int cmp = compare_strings(x->ns, y->ns);

	return cmp ? cmp : compare_strings(x->name, y->name);
}

static int compare_port_keys(const void *a, const void *b)
{
	const struct port_key *x = a, *y = b;

	return x->port != y->port ? (int)x->port - (int)y->port
				  : compare_strings(x->protocol, y->protocol);
}

/* What the flows a rule admitted looked like. */
struct rule_usage {
	uint64_t uses;
	struct peer_key *peers;
	size_t n_peers;
	struct port_key *ports;
	size_t n_ports;
	bool world_seen;
};

static bool used_rule(const struct np_report_flow *flow, const char *id,
		      const struct np_report_policy *policy, const struct np_report_rule *rule)
{
	for (size_t i = 0; i < flow->n_rules_used; i++) {
		const struct np_rule_use *use = &flow->rules_used[i];

		if (use->staged == policy->staged && use->ingress == rule->ingress &&
		    use->rule == rule->index && strcmp(use->policy, id) == 0)
			return true;
	}
	return false;
}

static void add_peer(struct rule_usage *usage, const struct np_report_end *end,
		     char *const samples[NP_REPORT_SAMPLES])
{
	bool sampled = false;

	if (end->kind == NP_REPORT_WORLD)
		usage->world_seen = true;
	for (size_t i = 0; end->kind == NP_REPORT_POD && i < NP_REPORT_SAMPLES; i++) {
		if (!samples[i])
			continue;
		usage->peers[usage->n_peers++] = (struct peer_key){ .name = samples[i] };
		sampled = true;
	}
	if (sampled)
		return;
	usage->peers[usage->n_peers++] = (struct peer_key){
		.ns = end->namespace_name, .name = end->ip ? end->ip : end->workload };
}

static void measure_rule(const struct np_report *report, const struct np_report_filter *filter,
			 const struct np_report_policy *policy, const struct np_report_rule *rule,
			 struct rule_usage *usage)
{
	char id[NP_POLICY_ID_MAX];

	np_report_policy_id(policy, id, sizeof(id));
	memset(usage, 0, sizeof(*usage));
	usage->peers = xcalloc(report->n_flows * NP_REPORT_SAMPLES, sizeof(*usage->peers));
	usage->ports = xcalloc(report->n_flows, sizeof(*usage->ports));
	for (size_t i = 0; i < report->n_flows; i++) {
		const struct np_report_flow *flow = &report->flows[i];

		if (!np_filter_in_scope(filter, flow) || !used_rule(flow, id, policy, rule))
			continue;
		usage->uses += flow->count;
		if (rule->ingress)
			add_peer(usage, &flow->src, flow->sample_src_pods);
		else
			add_peer(usage, &flow->dst, flow->sample_dst_pods);
		usage->ports[usage->n_ports++] =
			(struct port_key){ .port = flow->port, .protocol = flow->protocol };
	}
}

static bool over_threshold(long admits, size_t seen)
{
	return admits >= NP_OVER_BROAD_FACTOR * (long)seen &&
	       admits >= (long)seen + NP_OVER_BROAD_MARGIN;
}

static void assess_rule(const struct np_report *report, const struct np_report_filter *filter,
			const struct np_report_policy *policy, const struct np_report_rule *rule,
			struct np_rule_finding *finding)
{
	struct rule_usage usage;

	measure_rule(report, filter, policy, rule, &usage);
	*finding = (struct np_rule_finding){ .policy = policy, .rule = rule, .uses = usage.uses };
	finding->peers_seen = count_distinct(usage.peers, usage.n_peers, sizeof(*usage.peers),
					     compare_peer_keys);
	finding->ports_seen = count_distinct(usage.ports, usage.n_ports, sizeof(*usage.ports),
					     compare_port_keys);
	if (usage.uses == 0) {
		finding->kind = NP_RULE_UNUSED;
	} else {
		finding->kind = NP_RULE_OVER_BROAD;
		finding->broad_peers = rule->admits_pods < 0 ? !usage.world_seen
							     : over_threshold(rule->admits_pods,
									      finding->peers_seen);
		finding->broad_ports = over_threshold(rule->admits_ports < 0 ? EVERY_PORT
									     : rule->admits_ports,
						      finding->ports_seen);
	}
	free(usage.peers);
	free(usage.ports);
}

static void analyze_rules(const struct np_report *report, const struct np_report_filter *filter,
			  struct np_analysis *out)
{
	size_t n, n_rules = 0, n_found = 0;
	const struct np_report_policy **policies = sorted_policies(report, filter, false, &n);
	struct np_rule_finding *all;

	for (size_t i = 0; i < n; i++)
		n_rules += policies[i]->n_rules;
	all = xcalloc(n_rules, sizeof(*all));
	for (size_t i = 0, k = 0; i < n; i++)
		for (size_t r = 0; r < policies[i]->n_rules; r++)
			assess_rule(report, filter, policies[i], &policies[i]->rules[r], &all[k++]);

	out->findings = xcalloc(n_rules, sizeof(*out->findings));
	for (size_t i = 0; i < n_rules; i++)
		if (all[i].kind == NP_RULE_UNUSED)
			out->findings[n_found++] = all[i];
	for (size_t i = 0; i < n_rules; i++)
		if (all[i].kind == NP_RULE_OVER_BROAD && (all[i].broad_peers || all[i].broad_ports))
			out->findings[n_found++] = all[i];
	out->n_findings = n_found;
	free(all);
	free(policies);
}

/* ---- the analysis -------------------------------------------------------- */

void np_analyze(const struct np_report *report, const struct np_report_filter *filter,
		long quiet_for, struct np_analysis *out)
{
	memset(out, 0, sizeof(*out));
	out->start = report->start;
	out->end = report->end;
	if (filter->since && filter->since > out->start)
		out->start = filter->since;
	if (filter->until && filter->until < out->end)
		out->end = filter->until;
	out->quiet_for = quiet_for;
	out->lost = np_coverage_lost(&report->coverage);
	analyze_readiness(report, filter, out);
	analyze_rules(report, filter, out);
}

void np_analysis_free(struct np_analysis *analysis)
{
	free(analysis->readiness);
	free(analysis->findings);
	memset(analysis, 0, sizeof(*analysis));
}
