/* report_fixture — merged reports built in memory for unit tests, shaped as
 * np_report_merge_file() leaves them after reading snapshots.
 *
 * Ends are written as text: "ns/Deployment/web" (a pod's workload),
 * "node:n1:192.168.0.10" (a node by name and address) or "world:192.0.2.7".
 * Pointers returned stay valid until the next flow or policy is added.
 */
#ifndef NPWATCH_TEST_REPORT_FIXTURE_H
#define NPWATCH_TEST_REPORT_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "report.h"

/* An empty report over start..end with one node "n1" that lost nothing. */
struct np_report *np_test_report(time_t start, time_t end);
void np_test_report_free(struct np_report *report);

/* Adds a node with what it lost; the report's totals follow. */
struct np_report_node *np_test_node(struct np_report *report, const char *name, time_t start,
				    time_t end, const struct np_coverage *coverage);

struct np_report_flow *np_test_flow(struct np_report *report, const char *src, const char *dst,
				    unsigned port, const char *protocol, const char *verdict,
				    uint64_t count, time_t first_seen, time_t last_seen);
void np_test_denied_by(struct np_report_flow *flow, const char *policy);
void np_test_rule_used(struct np_report_flow *flow, const char *policy, bool staged,
		       bool ingress, int rule);
/* Appends one sample of each kind; any may be NULL. */
void np_test_samples(struct np_report_flow *flow, const char *src_pod, const char *dst_pod,
		     const char *process);

struct np_report_policy *np_test_policy(struct np_report *report, const char *ns,
					const char *name, bool staged);
void np_test_rule(struct np_report_policy *policy, bool ingress, int index, long admits_pods,
		  long admits_ports);

#endif
