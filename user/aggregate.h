/* aggregate — the daemon's observation window: every judged flow, allowed
 * ones too, counted by workload pair, for the snapshots of report.h.
 *
 * A flow is keyed by (source workload, destination workload, destination
 * port, protocol, verdict); the destination port is the one the pod serves
 * (a Service's targetPort). Each key keeps counts, first and last seen, a
 * few sample pods and processes, the policies that denied it and the rules
 * that allowed each direction. Nothing points into the model, so keys
 * outlive reloads. Memory is bounded: past max_keys keys, flows of new keys
 * are only counted (coverage.aggregate_overflow).
 *
 * The daemon (one thread, no locking here):
 *   at start      agg = np_aggregate_new(max_keys, time(NULL), &counters)
 *   each flow     np_aggregate_add(agg, &event) for every judged flow this
 *                 node reports, before deciding whether to log it
 *   each interval np_aggregate_report(agg, model, node, now, &counters, &r);
 *                 np_snapshot_write(&r, dir, ...); on success
 *                 np_aggregate_reset(agg, now, &counters), so that the
 *                 windows of two snapshots never overlap (on failure the
 *                 window goes on, and the next snapshot covers it);
 *                 np_report_free(&r)
 *   at exit       the same once more, after the last flows are judged
 * where counters are the daemon's cumulative loss counters (observations,
 * and the observer's and TCP tracker's losses): the aggregator reports the
 * part of them that falls in the window.
 */
#ifndef NPWATCH_AGGREGATE_H
#define NPWATCH_AGGREGATE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "flowlog.h"
#include "model.h"
#include "report.h"

struct np_aggregate;

/* A window starting at start; counters are the cumulative counters then
 * (NULL: all zero). */
struct np_aggregate *np_aggregate_new(size_t max_keys, time_t start,
				      const struct np_coverage *counters);
void np_aggregate_free(struct np_aggregate *agg);

/* Counts one judged flow (event->count occurrences). */
void np_aggregate_add(struct np_aggregate *agg, const struct np_flow_event *event);

/* Fills out (initialised here, freed with np_report_free) with the window
 * so far as the report of one node: its flows; coverage = counters (the
 * cumulative ones now) less those at the window's start, and the flows lost
 * to the key limit; the policies of model, in force and staged, with what
 * each rule admits: admits_pods counts the model's pods its peers select
 * (-1 with an ipBlock peer or no peers), admits_ports sums its port entries
 * (1 a port, the size of an endPort range, 65535 for a protocol alone; -1
 * with no ports). */
void np_aggregate_report(const struct np_aggregate *agg, const struct np_model *model,
			 const char *node, time_t end, const struct np_coverage *counters,
			 struct np_report *out);

/* Starts a new window: no flows, no overflow. */
void np_aggregate_reset(struct np_aggregate *agg, time_t start,
			const struct np_coverage *counters);

/* The window's flows, in the order their keys were first seen. */
const struct np_report_flow *np_aggregate_flows(const struct np_aggregate *agg, size_t *count);
/* Flows not aggregated in this window: their key came past max_keys. */
uint64_t np_aggregate_overflow(const struct np_aggregate *agg);

#endif
