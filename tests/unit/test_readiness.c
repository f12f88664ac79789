/* test_readiness — ready to enforce (quiet period, loss, short windows,
 * per namespace and per policy, peers), unused and over-broad rules, the
 * report filters, and the duration and time syntax of the options.
 *
 * Reports are built in memory: a two-day window ending at END; staged
 * policies y/deny-all and y/allow-web, z/lock; in force x/egress.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "readiness.h"
#include "report_fixture.h"

#define HOUR 3600L
#define END ((time_t)1714557600) /* 2024-05-01T10:00:00Z */
#define START (END - 48 * HOUR)

static const struct np_report_filter no_filter = { 0 };

static struct np_report *two_day_report(void)
{
	struct np_report *report = np_test_report(START, END);

	np_test_policy(report, "y", "deny-all", true);
	np_test_policy(report, "y", "allow-web", true);
	np_test_policy(report, "z", "lock", true);
	np_test_policy(report, "x", "egress", false);
	return report;
}

static struct np_report_flow *would_deny(struct np_report *report, const char *src,
					 const char *dst, uint64_t count, long hours_before_end,
					 const char *policy)
{
	struct np_report_flow *flow = np_test_flow(report, src, dst, 80, "TCP", "would-deny", count,
						   START, END - hours_before_end * HOUR);

	np_test_denied_by(flow, policy);
	return flow;
}

static const struct np_readiness *row(const struct np_analysis *analysis, const char *ns,
				      const char *policy)
{
	for (size_t i = 0; i < analysis->n_readiness; i++) {
		const struct np_readiness *r = &analysis->readiness[i];

		if (strcmp(r->namespace_name, ns) == 0 &&
		    (policy ? r->policy && strcmp(r->policy, policy) == 0 : !r->policy))
			return r;
	}
	fail_msg("no readiness row for %s/%s", ns, policy ? policy : "(namespace)");
	return NULL;
}

/* ---- ready to enforce ---------------------------------------------------- */

static void test_quiet_for_the_period_is_go(void **state)
{
	struct np_report *report = two_day_report();
	struct np_analysis analysis;
	const struct np_readiness *r;

	(void)state;
	would_deny(report, "x/Deployment/a", "y/Deployment/web", 7, 30, "y/deny-all");
	np_analyze(report, &no_filter, 24 * HOUR, &analysis);
	r = row(&analysis, "y", "deny-all");
	assert_true(r->go);
	assert_int_equal(r->would_deny, 7);
	assert_int_equal(r->flows, 1);
	assert_int_equal(r->peers, 1);
	assert_int_equal(r->first_seen, START);
	assert_int_equal(r->last_seen, END - 30 * HOUR);
	assert_string_equal(r->reason, "no would-deny in the last 24h");
	r = row(&analysis, "y", "allow-web");
	assert_true(r->go);
	assert_int_equal(r->would_deny, 0);
	assert_int_equal(r->first_seen, 0);
	assert_string_equal(r->reason, "no would-deny in the window");
	np_analysis_free(&analysis);
	np_test_report_free(report);
}

static void test_recent_would_deny_is_no_go(void **state)
{
	struct np_report *report = two_day_report();
	struct np_analysis analysis;
	const struct np_readiness *r;

	(void)state;
	would_deny(report, "x/Deployment/a", "y/Deployment/web", 7, 3, "y/deny-all");
	np_analyze(report, &no_filter, 24 * HOUR, &analysis);
	r = row(&analysis, "y", "deny-all");
	assert_false(r->go);
	assert_string_equal(r->reason, "would-deny 3h before the end, within the 24h quiet period");
	/* A shorter quiet period lets the same traffic through. */
	np_analysis_free(&analysis);
	np_analyze(report, &no_filter, 2 * HOUR, &analysis);
	assert_true(row(&analysis, "y", "deny-all")->go);
	np_analysis_free(&analysis);
	np_test_report_free(report);
}

static void test_would_deny_at_the_end_is_no_go(void **state)
{
	struct np_report *report = two_day_report();
	struct np_analysis analysis;
	const struct np_readiness *r;

	(void)state;
	would_deny(report, "x/Deployment/a", "y/Deployment/web", 1, 0, "y/deny-all");
	np_analyze(report, &no_filter, 24 * HOUR, &analysis);
	r = row(&analysis, "y", "deny-all");
	assert_false(r->go);
	assert_string_equal(r->reason, "would-deny up to the end of the window");
	np_analysis_free(&analysis);
	np_test_report_free(report);
}

static void test_lost_events_are_no_go(void **state)
{
	struct np_report *report = two_day_report();
	struct np_coverage lossy = { .observations = 100, .ringbuf_lost = 3, .dedup_map_lost = 2 };
	struct np_analysis analysis;
	const struct np_readiness *r;

	(void)state;
	np_test_node(report, "n2", START, END, &lossy);
	np_analyze(report, &no_filter, 24 * HOUR, &analysis);
	assert_int_equal(analysis.lost, 5);
	for (size_t i = 0; i < analysis.n_readiness; i++)
		assert_false(analysis.readiness[i].go);
	r = row(&analysis, "z", "lock");
	assert_string_equal(r->reason, "5 events lost: would-deny flows may have gone unseen");
	np_analysis_free(&analysis);
	np_test_report_free(report);
}

static void test_window_shorter_than_the_quiet_period_is_no_go(void **state)
{
	struct np_report *report = np_test_report(END - 2 * HOUR, END);
	struct np_analysis analysis;

	(void)state;
	np_test_policy(report, "y", "deny-all", true);
	np_analyze(report, &no_filter, 24 * HOUR, &analysis);
	assert_false(row(&analysis, "y", "deny-all")->go);
	assert_string_equal(row(&analysis, "y", "deny-all")->reason,
			    "observed 2h, less than the 24h quiet period");
	np_analysis_free(&analysis);
	np_analyze(report, &no_filter, 90 * 60, &analysis);
	assert_true(row(&analysis, "y", "deny-all")->go);
	np_analysis_free(&analysis);
	np_test_report_free(report);
}

static void test_every_reason_is_given(void **state)
{
	struct np_report *report = np_test_report(END - 2 * HOUR, END);
	struct np_coverage lossy = { .undecodable = 1 };
	struct np_analysis analysis;

	(void)state;
	np_test_policy(report, "y", "deny-all", true);
	np_test_node(report, "n2", END - 2 * HOUR, END, &lossy);
	would_deny(report, "x/Deployment/a", "y/Deployment/web", 1, 1, "y/deny-all");
	np_analyze(report, &no_filter, 24 * HOUR, &analysis);
	assert_string_equal(row(&analysis, "y", "deny-all")->reason,
			    "1 events lost: would-deny flows may have gone unseen; "
			    "observed 2h, less than the 24h quiet period; "
			    "would-deny 1h before the end, within the 24h quiet period");
	np_analysis_free(&analysis);
	np_test_report_free(report);
}

static void test_rows_per_namespace_then_policy(void **state)
{
	struct np_report *report = two_day_report();
	struct np_analysis analysis;
	const struct np_readiness *r;

	(void)state;
	would_deny(report, "x/Deployment/a", "y/Deployment/web", 5, 30, "y/deny-all");
	would_deny(report, "x/Deployment/b", "y/Deployment/web", 2, 2, "y/allow-web");
	/* Two policies of y deny this one: it counts once for the namespace. */
	struct np_report_flow *both =
		would_deny(report, "x/Deployment/a", "y/StatefulSet/db", 1, 40, "y/deny-all");
	np_test_denied_by(both, "y/allow-web");
	np_analyze(report, &no_filter, 24 * HOUR, &analysis);

	/* Staged policies only, by namespace: y, its two policies, z, its one. */
	assert_int_equal(analysis.n_readiness, 5);
	assert_null(analysis.readiness[0].policy);
	assert_string_equal(analysis.readiness[0].namespace_name, "y");
	assert_string_equal(analysis.readiness[1].policy, "allow-web");
	assert_string_equal(analysis.readiness[2].policy, "deny-all");
	assert_null(analysis.readiness[3].policy);
	assert_string_equal(analysis.readiness[3].namespace_name, "z");

	r = row(&analysis, "y", NULL);
	assert_int_equal(r->would_deny, 8);
	assert_int_equal(r->flows, 3);
	assert_int_equal(r->peers, 2); /* x/a and x/b */
	assert_false(r->go);
	r = row(&analysis, "y", "deny-all");
	assert_int_equal(r->would_deny, 6);
	assert_int_equal(r->peers, 1);
	assert_true(r->go);
	r = row(&analysis, "y", "allow-web");
	assert_int_equal(r->would_deny, 3);
	assert_int_equal(r->peers, 2);
	assert_false(r->go);
	assert_int_equal(row(&analysis, "z", "lock")->would_deny, 0);
	np_analysis_free(&analysis);
	np_test_report_free(report);
}

static void test_peers_are_across_from_the_policy(void **state)
{
	struct np_report *report = two_day_report();
	struct np_analysis analysis;

	(void)state;
	/* Egress from z: the peers are the destinations. */
	would_deny(report, "z/Deployment/app", "world:192.0.2.7", 1, 30, "z/lock");
	would_deny(report, "z/Deployment/app", "world:192.0.2.8", 1, 30, "z/lock");
	would_deny(report, "z/Deployment/job", "world:192.0.2.8", 1, 30, "z/lock");
	would_deny(report, "z/Deployment/app", "x/Deployment/a", 1, 30, "z/lock");
	np_analyze(report, &no_filter, 24 * HOUR, &analysis);
	assert_int_equal(row(&analysis, "z", "lock")->peers, 3);
	assert_int_equal(row(&analysis, "z", "lock")->flows, 4);
	np_analysis_free(&analysis);
	np_test_report_free(report);
}

static void test_only_would_deny_counts(void **state)
{
	struct np_report *report = two_day_report();
	struct np_report_flow *flow;
	struct np_analysis analysis;

	(void)state;
	flow = np_test_flow(report, "x/Deployment/a", "y/Deployment/web", 80, "TCP", "deny-attempt",
			    9, START, END);
	np_test_denied_by(flow, "y/deny-all");
	np_analyze(report, &no_filter, 24 * HOUR, &analysis);
	assert_int_equal(row(&analysis, "y", "deny-all")->would_deny, 0);
	assert_true(row(&analysis, "y", "deny-all")->go);
	np_analysis_free(&analysis);
	np_test_report_free(report);
}

static void test_filters_narrow_the_analysis(void **state)
{
	struct np_report *report = two_day_report();
	const char *const namespaces[] = { "z" };
	struct np_report_filter only_z = { .namespaces = namespaces, .n_namespaces = 1 };
	struct np_report_filter until = { .until = END - 10 * HOUR };
	struct np_analysis analysis;

	(void)state;
	would_deny(report, "x/Deployment/a", "y/Deployment/web", 5, 2, "y/deny-all");
	np_analyze(report, &only_z, 24 * HOUR, &analysis);
	assert_int_equal(analysis.n_readiness, 2);
	assert_string_equal(analysis.readiness[0].namespace_name, "z");
	np_analysis_free(&analysis);

	/* --until ends the window earlier: a flow first seen after it is out,
	 * and the quiet period is counted back from there. */
	np_test_flow(report, "x/Deployment/late", "y/Deployment/web", 80, "TCP", "would-deny", 1,
		     END - 5 * HOUR, END - 4 * HOUR);
	np_test_denied_by(&report->flows[1], "y/deny-all");
	np_analyze(report, &until, 24 * HOUR, &analysis);
	assert_int_equal(analysis.end, END - 10 * HOUR);
	assert_int_equal(row(&analysis, "y", "deny-all")->would_deny, 5);
	assert_false(row(&analysis, "y", "deny-all")->go);
	np_analysis_free(&analysis);
	np_test_report_free(report);
}

static void test_filter_predicates(void **state)
{
	struct np_report *report = np_test_report(START, END);
	const char *const namespaces[] = { "y" };
	const char *const verdicts[] = { "allow" };
	struct np_report_filter by_ns = { .namespaces = namespaces, .n_namespaces = 1 };
	struct np_report_filter by_verdict = { .verdicts = verdicts, .n_verdicts = 1 };
	struct np_report_filter by_time = { .since = END - HOUR };

	(void)state;
	np_test_flow(report, "x/Pod/a", "y/Pod/b", 80, "TCP", "allow", 1, START, END - 2 * HOUR);
	np_test_flow(report, "y/Pod/b", "world:192.0.2.1", 443, "TCP", "deny", 1, START, END);
	np_test_flow(report, "x/Pod/a", "node:n1:192.168.0.10", 22, "TCP", "would-deny", 1, START,
		     END);
	assert_true(np_filter_in_scope(&by_ns, &report->flows[0]));  /* destination in y */
	assert_true(np_filter_in_scope(&by_ns, &report->flows[1]));  /* source in y */
	assert_false(np_filter_in_scope(&by_ns, &report->flows[2]));
	assert_false(np_filter_selects(&no_filter, &report->flows[0])); /* allow: not by default */
	assert_true(np_filter_selects(&no_filter, &report->flows[1]));
	assert_true(np_filter_selects(&by_verdict, &report->flows[0]));
	assert_false(np_filter_selects(&by_verdict, &report->flows[1]));
	assert_false(np_filter_in_scope(&by_time, &report->flows[0])); /* last seen before since */
	assert_true(np_filter_in_scope(&by_time, &report->flows[1]));
	assert_true(np_filter_keeps_namespace(&no_filter, "anything"));
	assert_false(np_filter_keeps_namespace(&by_ns, "x"));
	np_test_report_free(report);
}

/* ---- unused and over-broad rules ----------------------------------------- */

static const struct np_rule_finding *finding(const struct np_analysis *analysis, const char *policy,
					     bool staged, bool ingress, int index)
{
	for (size_t i = 0; i < analysis->n_findings; i++) {
		const struct np_rule_finding *f = &analysis->findings[i];
		char id[256];

		np_report_policy_id(f->policy, id, sizeof(id));
		if (strcmp(id, policy) == 0 && f->policy->staged == staged &&
		    f->rule->ingress == ingress && f->rule->index == index)
			return f;
	}
	return NULL;
}

static struct np_report_flow *allowed(struct np_report *report, const char *src, const char *dst,
				      unsigned port, const char *policy, bool staged, bool ingress,
				      int rule)
{
	struct np_report_flow *flow =
		np_test_flow(report, src, dst, port, "TCP", "allow", 1, START, END);

	np_test_rule_used(flow, policy, staged, ingress, rule);
	return flow;
}

static void test_unused_rules(void **state)
{
	struct np_report *report = np_test_report(START, END);
	struct np_report_policy *web;
	struct np_analysis analysis;
	const struct np_rule_finding *f;

	(void)state;
	web = np_test_policy(report, "y", "web", false);
	np_test_rule(web, true, 0, 2, 1);
	np_test_rule(web, true, 1, 2, 1);
	np_test_rule(web, false, 0, 2, 1);
	web = np_test_policy(report, "y", "web", true);
	np_test_rule(web, true, 0, 2, 1);
	allowed(report, "x/Pod/a", "y/Pod/web", 80, "y/web", false, true, 0);
	/* The same index in the other direction, or of the staged policy, is
	 * another rule. */
	allowed(report, "y/Pod/web", "x/Pod/a", 80, "y/web", true, true, 0);
	np_analyze(report, &no_filter, 24 * HOUR, &analysis);

	assert_int_equal(analysis.n_findings, 2);
	assert_null(finding(&analysis, "y/web", false, true, 0));
	f = finding(&analysis, "y/web", false, true, 1);
	assert_non_null(f);
	assert_int_equal(f->kind, NP_RULE_UNUSED);
	assert_int_equal(f->uses, 0);
	f = finding(&analysis, "y/web", false, false, 0);
	assert_non_null(f);
	assert_int_equal(f->kind, NP_RULE_UNUSED);
	assert_null(finding(&analysis, "y/web", true, true, 0));
	np_analysis_free(&analysis);
	np_test_report_free(report);
}

static void test_unused_within_the_filter(void **state)
{
	struct np_report *report = np_test_report(START, END);
	struct np_report_filter since = { .since = END - HOUR };
	struct np_analysis analysis;

	(void)state;
	np_test_rule(np_test_policy(report, "y", "web", false), true, 0, 2, 1);
	np_test_rule(np_test_policy(report, "z", "db", false), true, 0, 2, 1);
	np_test_flow(report, "x/Pod/a", "y/Pod/web", 80, "TCP", "allow", 1, START, END - 2 * HOUR);
	np_test_rule_used(&report->flows[0], "y/web", false, true, 0);
	np_analyze(report, &no_filter, 24 * HOUR, &analysis);
	assert_int_equal(analysis.n_findings, 1);
	assert_non_null(finding(&analysis, "z/db", false, true, 0));
	np_analysis_free(&analysis);
	/* Its only use was before --since: unused in that window. */
	np_analyze(report, &since, 24 * HOUR, &analysis);
	assert_int_equal(analysis.n_findings, 2);
	assert_int_equal(finding(&analysis, "y/web", false, true, 0)->kind, NP_RULE_UNUSED);
	np_analysis_free(&analysis);
	np_test_report_free(report);
}

/* A rule of y/web admitting `pods` pods and `ports` ports, used by flows
 * from `peers` distinct pods on `used_ports` ports. */
static struct np_analysis broad_case(long pods, long ports, int peers, int used_ports,
				     struct np_report **report)
{
	struct np_analysis analysis;

	*report = np_test_report(START, END);
	np_test_rule(np_test_policy(*report, "y", "web", false), true, 0, pods, ports);
	for (int i = 0; i < peers || i < used_ports; i++) {
		char pod[32];
		struct np_report_flow *flow;

		snprintf(pod, sizeof(pod), "x/pod-%d", i % (peers ? peers : 1));
		flow = allowed(*report, "x/Deployment/a", "y/Deployment/web",
			       8000 + (unsigned)(i % (used_ports ? used_ports : 1)), "y/web", false,
			       true, 0);
		np_test_samples(flow, pod, "y/web-0", "curl");
	}
	np_analyze(*report, &no_filter, 24 * HOUR, &analysis);
	return analysis;
}

static void test_over_broad_thresholds(void **state)
{
	const struct {
		long pods, ports;
		int peers, used_ports;
		bool broad_peers, broad_ports;
	} cases[] = {
		{ 40, 1, 2, 1, true, false },   /* 40 >= 4*2 and 40 >= 2+10 */
		{ 5, 1, 1, 1, false, false },   /* 5 >= 4 but not 11: small rules stay quiet */
		{ 12, 1, 3, 1, false, false },  /* 12 >= 12 but not 13 */
		{ 13, 1, 3, 1, true, false },   /* 13 >= 12 and 13 */
		{ 48, 1, 12, 1, true, false },  /* 48 = 4x12 */
		{ 47, 1, 12, 1, false, false }, /* one short of 4x */
		{ 2, 20, 1, 2, false, true },   /* ports: 20 >= 8 and 12 */
		{ 2, -1, 1, 1, false, true },   /* every port, one used */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct np_report *report;
		struct np_analysis analysis = broad_case(cases[i].pods, cases[i].ports,
							 cases[i].peers, cases[i].used_ports,
							 &report);
		const struct np_rule_finding *f = finding(&analysis, "y/web", false, true, 0);

		if (!cases[i].broad_peers && !cases[i].broad_ports) {
			if (f)
				fail_msg("case %zu: reported as over-broad", i);
		} else {
			assert_non_null(f);
			assert_int_equal(f->kind, NP_RULE_OVER_BROAD);
			assert_int_equal(f->peers_seen, cases[i].peers);
			assert_int_equal(f->ports_seen, cases[i].used_ports);
			if (f->broad_peers != cases[i].broad_peers ||
			    f->broad_ports != cases[i].broad_ports)
				fail_msg("case %zu: broad peers %d ports %d", i, f->broad_peers,
					 f->broad_ports);
		}
		np_analysis_free(&analysis);
		np_test_report_free(report);
	}
}

static void test_any_address_is_broad_for_cluster_peers_only(void **state)
{
	struct np_report *report = np_test_report(START, END);
	struct np_report_policy *policy = np_test_policy(report, "y", "open", false);
	struct np_analysis analysis;
	const struct np_rule_finding *f;

	(void)state;
	np_test_rule(policy, true, 0, -1, 1);
	np_test_rule(policy, true, 1, -1, 1);
	np_test_samples(
		allowed(report, "x/Deployment/a", "y/Pod/web", 80, "y/open", false, true, 0),
		"x/a-1", NULL, NULL);
	allowed(report, "x/Deployment/a", "y/Pod/web", 443, "y/open", false, true, 1);
	allowed(report, "world:198.51.100.7", "y/Pod/web", 443, "y/open", false, true, 1);
	np_analyze(report, &no_filter, 24 * HOUR, &analysis);
	f = finding(&analysis, "y/open", false, true, 0);
	assert_non_null(f);
	assert_true(f->broad_peers);
	assert_false(f->broad_ports);
	assert_null(finding(&analysis, "y/open", false, true, 1));
	np_analysis_free(&analysis);
	np_test_report_free(report);
}

static void test_peers_seen_counts_sample_pods(void **state)
{
	struct np_report *report = np_test_report(START, END);
	struct np_report_flow *flow;
	struct np_analysis analysis;
	const struct np_rule_finding *f;

	(void)state;
	np_test_rule(np_test_policy(report, "y", "web", false), false, 0, 100, 100);
	/* Egress: the peers are the destinations. Three pods of one workload,
	 * one seen twice; a workload without samples counts once. */
	flow = allowed(report, "y/Pod/web", "x/Deployment/a", 80, "y/web", false, false, 0);
	np_test_samples(flow, "y/web", "x/a-1", NULL);
	np_test_samples(flow, NULL, "x/a-2", NULL);
	flow = allowed(report, "y/Pod/web", "x/Deployment/a", 81, "y/web", false, false, 0);
	np_test_samples(flow, "y/web", "x/a-2", NULL);
	np_test_samples(flow, NULL, "x/a-3", NULL);
	allowed(report, "y/Pod/web", "x/Deployment/b", 80, "y/web", false, false, 0);
	np_analyze(report, &no_filter, 24 * HOUR, &analysis);
	f = finding(&analysis, "y/web", false, false, 0);
	assert_non_null(f);
	assert_int_equal(f->peers_seen, 4);
	assert_int_equal(f->ports_seen, 2);
	assert_int_equal(f->uses, 3);
	np_analysis_free(&analysis);
	np_test_report_free(report);
}

/* ---- option syntax ------------------------------------------------------- */

static void test_durations(void **state)
{
	const struct {
		const char *text;
		long seconds;
	} good[] = { { "30m", 1800 }, { "24h", 86400 }, { "7d", 604800 }, { "1h30m", 5400 },
		     { "90s", 90 } };
	const char *const bad[] = { "", "0s", "h", "5x", "-1h", "24", "1.5h", "1h ",
				    "99999999999999999999d" };
	long seconds;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_true(np_parse_duration(good[i].text, &seconds));
		assert_int_equal(seconds, good[i].seconds);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (np_parse_duration(bad[i], &seconds))
			fail_msg("\"%s\" parsed as a duration", bad[i]);
}

static void test_duration_words(void **state)
{
	const struct {
		long seconds;
		const char *text;
	} cases[] = { { 0, "0s" }, { 45, "45s" }, { 1800, "30m" }, { 5400, "1h30m" },
		      { 86400, "24h" }, { 36 * 3600, "36h" }, { 7 * 86400, "7d" },
		      { 2 * 86400 + 3600, "2d1h" } };
	char buf[32];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		np_format_duration(cases[i].seconds, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].text);
	}
}

static void test_times(void **state)
{
	const struct {
		const char *text;
		time_t when;
	} good[] = {
		{ "2024-05-01T10:00:00Z", END },
		{ "2024-05-01T12:00:00+02:00", END },
		{ "2024-05-01T04:30:00-05:30", END },
		{ "2024-05-01T10:00:00.123456Z", END },
		{ "2h", END - 2 * HOUR }, /* before "now", which is END here */
	};
	const char *const bad[] = { "2024-05-01", "2024-05-01T10:00:00", "2024-13-01T00:00:00Z",
				    "2024-05-01T10:00:00+2", "2024-05-01T10:00:00Zjunk",
				    "yesterday", "" };
	time_t when;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (!np_parse_time(good[i].text, END, &when))
			fail_msg("\"%s\" did not parse", good[i].text);
		assert_int_equal(when, good[i].when);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (np_parse_time(bad[i], END, &when))
			fail_msg("\"%s\" parsed as a time", bad[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quiet_for_the_period_is_go),
		cmocka_unit_test(test_recent_would_deny_is_no_go),
		cmocka_unit_test(test_would_deny_at_the_end_is_no_go),
		cmocka_unit_test(test_lost_events_are_no_go),
		cmocka_unit_test(test_window_shorter_than_the_quiet_period_is_no_go),
		cmocka_unit_test(test_every_reason_is_given),
		cmocka_unit_test(test_rows_per_namespace_then_policy),
		cmocka_unit_test(test_peers_are_across_from_the_policy),
		cmocka_unit_test(test_only_would_deny_counts),
		cmocka_unit_test(test_filters_narrow_the_analysis),
		cmocka_unit_test(test_filter_predicates),
		cmocka_unit_test(test_unused_rules),
		cmocka_unit_test(test_unused_within_the_filter),
		cmocka_unit_test(test_over_broad_thresholds),
		cmocka_unit_test(test_any_address_is_broad_for_cluster_peers_only),
		cmocka_unit_test(test_peers_seen_counts_sample_pods),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_duration_words),
		cmocka_unit_test(test_times),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
