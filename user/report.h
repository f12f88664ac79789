/* report — observation-window reports: what the daemon saw, by workload.
 *
 * The daemon aggregates every judged flow by workload pair (source and
 * destination workload, destination port and protocol, verdict) and writes
 * snapshots; `npwatch report`, `suggest` and `diff` read and merge them.
 * This header is the in-memory form both sides share, with its operations
 * (report.c); snapshot.c writes and reads it as gzip-compressed JSON
 * (format "npwatch-report", version 1):
 *
 *   {"format": "npwatch-report", "version": 1,
 *    "node": "lab-node", "start": RFC3339, "end": RFC3339,
 *    "coverage": {"observations": N, "ringbuf_lost": N, "socket_map_lost": N,
 *                 "dedup_map_lost": N, "undecodable": N, "tracker_lost": N,
 *                 "aggregate_overflow": N},
 *    "policies": [{"namespace", "name", "staged", "file",
 *                  "rules": [{"direction": "ingress"|"egress", "index": 0,
 *                             "admits_pods": N (-1: any address),
 *                             "admits_ports": N (-1: every port)}]}],
 *    "flows": [{"src": END, "dst": END, "service": "ns/name"|null,
 *               "port": 8080, "protocol": "TCP", "verdict": "would-deny",
 *               "denied_by": ["ns/name", ...],
 *               "rules_used": [{"policy": "ns/name", "staged": false,
 *                               "direction": "ingress", "rule": 0}],
 *               "count": N, "first_seen": RFC3339, "last_seen": RFC3339,
 *               "sample_src_pods": ["ns/pod", ...], "sample_dst_pods": [...],
 *               "sample_processes": ["curl", ...]}]}
 *   END = {"kind": "pod"|"node"|"world", "namespace": "production",
 *          "workload": "Deployment/frontend" | "Pod/name" | "node NAME" | IP,
 *          "ip": "192.0.2.7" (world and node ends)}
 *
 * A flow key is (src workload, dst workload, port, protocol, verdict).
 */
#ifndef NPWATCH_REPORT_H
#define NPWATCH_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define NP_REPORT_FORMAT "npwatch-report"
#define NP_REPORT_VERSION 1
#define NP_REPORT_SAMPLES 3

/* What was lost while observing, so that "nothing would be blocked" can be
 * trusted or not. Summed when snapshots merge. */
struct np_coverage {
	uint64_t observations;
	uint64_t ringbuf_lost;
	uint64_t socket_map_lost;
	uint64_t dedup_map_lost;
	uint64_t undecodable;
	uint64_t tracker_lost;
	uint64_t aggregate_overflow; /* flows not aggregated: the key limit was reached */
};

uint64_t np_coverage_lost(const struct np_coverage *coverage);

/* The counters one by one, by the names snapshots give them
 * ("observations", "ringbuf_lost", ...), for i < NP_COVERAGE_COUNTERS. */
#define NP_COVERAGE_COUNTERS 7
const char *np_coverage_counter_name(size_t i);
uint64_t np_coverage_counter(const struct np_coverage *coverage, size_t i);
void np_coverage_set_counter(struct np_coverage *coverage, size_t i, uint64_t value);

enum np_report_end_kind { NP_REPORT_POD, NP_REPORT_NODE, NP_REPORT_WORLD };

struct np_report_end {
	enum np_report_end_kind kind;
	char *namespace_name; /* pods only */
	char *workload;       /* "Deployment/frontend", "Pod/x", "node n1", "192.0.2.7" */
	char *ip;             /* world and node ends; NULL for pods */
};

struct np_rule_use {
	char *policy; /* "ns/name" */
	bool staged;
	bool ingress;
	int rule;
};

struct np_report_flow {
	struct np_report_end src, dst;
	char *service; /* "ns/name" or NULL */
	uint16_t port;
	char *protocol; /* "TCP", "UDP", "SCTP" */
	char *verdict;  /* as in verdict.h */
	char **denied_by; /* policies that isolate a denying end: "ns/name" */
	size_t n_denied_by;
	struct np_rule_use *rules_used;
	size_t n_rules_used;
	uint64_t count;
	time_t first_seen, last_seen;
	char *sample_src_pods[NP_REPORT_SAMPLES];
	char *sample_dst_pods[NP_REPORT_SAMPLES];
	char *sample_processes[NP_REPORT_SAMPLES];
};

struct np_report_rule {
	bool ingress;
	int index;
	long admits_pods;  /* -1: any address */
	long admits_ports; /* -1: every port */
};

struct np_report_policy {
	char *namespace_name;
	char *name;
	bool staged;
	char *file;
	struct np_report_rule *rules;
	size_t n_rules;
	/* The end of the window of the snapshot that described it: a merge
	 * keeps the latest description. Not in the JSON (its "end"). */
	time_t as_of;
};

/* One node's contribution to a (merged) report. */
struct np_report_node {
	char *name;
	time_t start, end;
	struct np_coverage coverage;
};

struct np_report {
	struct np_report_node *nodes; /* one per node, windows merged */
	size_t n_nodes;
	time_t start, end;
	struct np_coverage coverage; /* summed */
	struct np_report_policy *policies; /* union, by namespace/name/staged */
	size_t n_policies;
	struct np_report_flow *flows; /* merged by key */
	size_t n_flows;
};

void np_report_init(struct np_report *report);
void np_report_free(struct np_report *report);

/* Merges one snapshot file into report: counts summed, first/last seen
 * kept, samples united (up to NP_REPORT_SAMPLES), coverage summed per node.
 * Returns 0, or -1 with a message naming the file and what is wrong (not
 * gzip, truncated, not JSON, wrong format or version, a bad field); report
 * is then unchanged. */
int np_report_merge_file(struct np_report *report, const char *path, char *err, size_t len);

/* Writes a report of one node (n_nodes == 1) as a snapshot into dir,
 * atomically: a temporary file, fsync, rename, fsync of dir. It is named by
 * node and end time, dir/npwatch-NODE-20261126T083000Z.json.gz ("-2", "-3"...
 * before ".json.gz" when that name is taken: a snapshot never replaces
 * another), and its path goes to path_out. Returns 0, or -1 with a message
 * naming the file; nothing is left behind then. */
int np_snapshot_write(const struct np_report *report, const char *dir, char *path_out,
		      size_t path_len, char *err, size_t len);

/* ---- building blocks, for the aggregator, the merge and their readers ---- */

/* RFC 3339 in UTC, "2026-11-26T08:30:00Z", in a buffer of at least
 * NP_REPORT_TIME_LEN bytes. */
#define NP_REPORT_TIME_LEN 21
const char *np_report_time_format(time_t when, char *buf, size_t len);
/* RFC 3339: "2026-11-26T08:30:00Z", with fractions of a second (dropped)
 * and a numeric offset ("+01:00") accepted. */
bool np_report_time_parse(const char *text, time_t *out);

const char *np_report_end_kind_name(enum np_report_end_kind kind); /* "pod", "node", "world" */

/* Adds a copy of value to samples unless it is there or they are full. */
void np_report_add_sample(char *samples[NP_REPORT_SAMPLES], const char *value);
/* Add a copy unless an equal entry is there already. */
void np_report_flow_add_denied_by(struct np_report_flow *flow, const char *policy);
void np_report_flow_add_rule_use(struct np_report_flow *flow, const struct np_rule_use *use);

/* Do a and b have the same key (src, dst workload, port, protocol, verdict)? */
bool np_report_flow_same_key(const struct np_report_flow *a, const struct np_report_flow *b);
/* Adds what from observed to into, a flow of the same key: counts summed,
 * first_seen the earlier and last_seen the later (0 in into: not seen yet),
 * samples, denied_by and rules_used united, service kept (from's when into
 * has none). Strings are copied. */
void np_report_flow_merge(struct np_report_flow *into, const struct np_report_flow *from);

/* Finds a report's flows by key. The index follows flows appended to
 * report->flows since the last call; flows must not be reordered or
 * rekeyed while it is used (free it, and it is rebuilt). */
struct np_flow_index {
	size_t *slots;    /* 1 + position in report->flows; 0: empty */
	size_t n_slots;   /* a power of two, at least twice n_indexed */
	size_t n_indexed; /* report->flows[0, n_indexed) are indexed */
};

/* The flow of report with key's key, or NULL. */
struct np_report_flow *np_report_find_flow(const struct np_report *report,
					   struct np_flow_index *index,
					   const struct np_report_flow *key);
/* Appends a flow with key's key (ends, port, protocol, verdict: copied),
 * nothing observed yet, and returns it; pointers to flows of report are
 * invalid after it. */
struct np_report_flow *np_report_append_flow(struct np_report *report,
					     const struct np_report_flow *key);
void np_flow_index_free(struct np_flow_index *index);

/* Sorts report's policies by namespace, name and staged (in force first).
 * Returns one that is listed twice, or NULL. */
const struct np_report_policy *np_report_sort_policies(struct np_report *report);

/* Moves what from holds into into, from being left for np_report_free():
 * windows widened, coverage summed (per node too), policies united (of one
 * both describe, the later description kept), flows merged by key. */
void np_report_merge(struct np_report *into, struct np_report *from);

#endif
