/* readiness — what a merged report says about the policies: whether each
 * staged policy (and each namespace's staged set) is ready to enforce, and
 * which rules no observed flow needed or admit far more than was seen.
 *
 * Ready to enforce ("go") means: the policy caused no would-deny during the
 * last quiet period before the end of the window, the window is at least
 * that long, and no event was lost (with losses, "no would-deny" proves
 * nothing). A policy's would-deny flows are those whose denied_by names it.
 *
 * Over-broad: a rule that admits at least NP_OVER_BROAD_FACTOR times the
 * peers (pods, addresses) or ports its flows used, and at least
 * NP_OVER_BROAD_MARGIN more. Both conditions together keep small rules
 * quiet (3 pods admitted, 1 seen) while catching a namespaceSelector that
 * admits 200 pods for the 2 that talk. A rule that admits any address is
 * over-broad when every peer seen was in the cluster (a selector would do);
 * one that admits every port counts as admitting 65535. Peers seen come
 * from the flows' sample pods, so they are a lower bound: the threshold errs
 * towards saying nothing.
 */
#ifndef NPWATCH_READINESS_H
#define NPWATCH_READINESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "report.h"

#define NP_OVER_BROAD_FACTOR 4
#define NP_OVER_BROAD_MARGIN 10
#define NP_DEFAULT_QUIET_FOR (24 * 3600L)

/* Which flows a report looks at. Namespaces match either end; verdicts
 * select the flows listed (none given: every verdict but allow); a flow is
 * in the time window when its first..last seen overlaps since..until. */
struct np_report_filter {
	const char *const *namespaces;
	size_t n_namespaces;
	const char *const *verdicts;
	size_t n_verdicts;
	time_t since, until; /* 0: unbounded */
};

/* In the namespaces and the time window: what the analyses count. */
bool np_filter_in_scope(const struct np_report_filter *filter, const struct np_report_flow *flow);
/* In scope and of a selected verdict: what the flows table lists. */
bool np_filter_selects(const struct np_report_filter *filter, const struct np_report_flow *flow);
/* A namespace the filter keeps (every one when it names none). */
bool np_filter_keeps_namespace(const struct np_report_filter *filter, const char *ns);

/* One row of the ready-to-enforce table: a staged policy, or (policy NULL)
 * every staged policy of a namespace together. Strings point into the
 * report. */
struct np_readiness {
	const char *namespace_name;
	const char *policy;
	uint64_t would_deny; /* observations of the would-deny flows it caused */
	size_t flows;        /* those flows (workload pairs, ports) */
	size_t peers;        /* distinct workloads at their other end */
	time_t first_seen, last_seen; /* 0 when it caused none */
	bool go;
	char reason[256];
};

enum np_rule_finding_kind { NP_RULE_UNUSED, NP_RULE_OVER_BROAD };

struct np_rule_finding {
	enum np_rule_finding_kind kind;
	const struct np_report_policy *policy;
	const struct np_report_rule *rule;
	uint64_t uses;      /* observations of the flows it admitted */
	size_t peers_seen;  /* distinct peer pods or addresses of those flows */
	size_t ports_seen;  /* distinct port/protocol pairs */
	bool broad_peers;   /* admits_pods is over the threshold */
	bool broad_ports;   /* admits_ports is over the threshold */
};

struct np_analysis {
	time_t start, end; /* the window analysed: the report's, within since..until */
	long quiet_for;    /* seconds */
	uint64_t lost;     /* events lost in the whole report */
	struct np_readiness *readiness;
	size_t n_readiness;
	struct np_rule_finding *findings; /* unused first, then over-broad */
	size_t n_findings;
};

/* Analyses the flows of report within filter's scope. The analysis points
 * into report: free it first. Aborts on no memory, as the model does. */
void np_analyze(const struct np_report *report, const struct np_report_filter *filter,
		long quiet_for, struct np_analysis *out);
void np_analysis_free(struct np_analysis *analysis);

/* "ns/name" of a report policy, for matching denied_by and rules_used:
 * room for a namespace (63), a slash and a name (253). */
#define NP_POLICY_ID_MAX 320
void np_report_policy_id(const struct np_report_policy *policy, char *buf, size_t len);

/* Durations: one or more NUMBER+UNIT groups, units s, m, h, d ("30m",
 * "24h", "7d", "1h30m"). False for anything else or zero. */
bool np_parse_duration(const char *text, long *seconds);

/* A point in time: RFC 3339 as np_report_time_parse() reads it
 * ("2024-05-01T10:00:00Z", "...+02:00") or a duration before now ("2h"). */
bool np_parse_time(const char *text, time_t now, time_t *out);

/* "45s", "30m", "1h30m", "24h", "7d": in hours up to two days, as people
 * say them. */
void np_format_duration(long seconds, char *buf, size_t len);

#endif
