/* flowlog — the daemon's log sink: one JSON line per judged flow.
 *
 * Lines go to stdout or a file (reopened on demand, for log rotation). The
 * same violation seen again within the fold window is not written again:
 * it is counted, and when the window closes one line carries the count of
 * the repeats ("folded": true). The sum of "count" over all lines is the
 * number of flows observed. Memory is bounded: past max_keys distinct
 * violations in one window, lines are written unfolded.
 *
 * Schema of a line (README "Violation log"): time, node, verdict, scope,
 * direction, protocol, port, outcome, src and dst ends, egress/ingress
 * verdicts with the explanation, process, count.
 */
#ifndef NPWATCH_FLOWLOG_H
#define NPWATCH_FLOWLOG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <jansson.h>

#include "engine.h"
#include "verdict.h"

/* An observed, resolved and judged flow. */
struct np_flow_event {
	struct timespec when; /* CLOCK_REALTIME */
	bool inbound;         /* observed at the destination (accept, recvmsg) */
	struct np_ip src_ip, dst_ip; /* as the socket saw them (a ClusterIP stays one) */
	uint16_t src_port, dst_port;
	const struct np_flow *flow;       /* the ends as judged (a Service's backend) */
	const struct np_service *service; /* when dst was reached through a Service */
	const struct np_judgement *judgement;
	enum np_outcome outcome;
	uint32_t pid;
	const char *comm;
	uint64_t cgroup_id;
	const char *cgroup_path; /* may be NULL */
	uint64_t count;          /* flows this event stands for (kernel-folded repeats) */
};

struct np_flowlog_options {
	const char *path;      /* NULL = stdout */
	const char *node;      /* this node's name, in every line */
	unsigned fold_seconds; /* 0 = never fold */
	size_t max_keys;       /* distinct violations folded at once */
};

struct np_flowlog;

struct np_flowlog *np_flowlog_open(const struct np_flowlog_options *opts, char *err, size_t len);
/* Writes or folds one event. */
void np_flowlog_write(struct np_flowlog *log, const struct np_flow_event *event);
/* Writes the folded counts of windows that have closed by now (monotonic). */
void np_flowlog_tick(struct np_flowlog *log, const struct timespec *now_mono);
/* Reopens the log file (after rotation). */
int np_flowlog_reopen(struct np_flowlog *log, char *err, size_t len);
/* Writes every pending folded count and closes. */
void np_flowlog_close(struct np_flowlog *log);

/* The JSON object of one event (as written, without folding fields). */
json_t *np_flow_event_json(const struct np_flow_event *event, const char *node);

#endif
