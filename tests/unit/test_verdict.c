/* test_verdict — the daemon's five verdicts from policies, staged policies
 * and the TCP outcome.
 *
 *   namespace x   x/a {app: a} 10.0.1.1   x/b {app: b} 10.0.1.2
 *                 x/c {app: c} 10.0.1.3   x/d {app: d} 10.0.1.4
 *   in force:  x/allow-b   b accepts a on 80/TCP
 *   staged:    x/allow-b   replaces it: b accepts c on 80/TCP
 *              x/lock-d    d accepts nothing
 */
#include <string.h>

#include "fixture.h"
#include "verdict.h"

#define POD(name, ip)                                                                       \
	"---\napiVersion: v1\nkind: Pod\n"                                                  \
	"metadata: {namespace: x, name: " name ", labels: {app: " name "}}\n"               \
	"spec: {containers: [{name: main}]}\nstatus: {podIPs: [{ip: " ip "}]}\n"

#define ALLOW_B_FROM(peer)                                                                  \
	"---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"                     \
	"metadata: {namespace: x, name: allow-b}\n"                                         \
	"spec:\n  podSelector: {matchLabels: {app: b}}\n  policyTypes: [Ingress]\n"         \
	"  ingress: [{from: [{podSelector: {matchLabels: {app: " peer "}}}],"               \
	" ports: [{port: 80}]}]\n"

static const char cluster[] =
	"---\napiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n"
	POD("a", "10.0.1.1") POD("b", "10.0.1.2") POD("c", "10.0.1.3") POD("d", "10.0.1.4")
	ALLOW_B_FROM("a");

static const char staged[] =
	ALLOW_B_FROM("c")
	"---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
	"metadata: {namespace: x, name: lock-d}\n"
	"spec: {podSelector: {matchLabels: {app: d}}, policyTypes: [Ingress]}\n";

static int load_cluster(void **state)
{
	*state = np_test_model(cluster, staged);
	return 0;
}

static int free_cluster(void **state)
{
	np_model_free(*state);
	return 0;
}

static struct np_flow flow_to(const struct np_model *model, const char *from, const char *to,
			      unsigned port)
{
	struct np_flow flow = { .src = np_test_pod(model, "x", from),
				.dst = np_test_pod(model, "x", to),
				.port = (uint16_t)port,
				.proto = NP_PROTO_TCP };

	return flow;
}

/* Fills j in place: its deciding pointer points into it, so it must not be
 * returned by value. */
static void judge(const struct np_model *model, const char *from, const char *to, unsigned port,
		  enum np_outcome outcome, bool has_staged, struct np_judgement *j)
{
	struct np_flow flow = flow_to(model, from, to, port);

	memset(j, 0xa5, sizeof(*j));
	np_judge(model, &flow, outcome, has_staged, j);
}

static void assert_policy(const struct np_policy *policy, const char *name, bool is_staged)
{
	assert_non_null(policy);
	assert_string_equal(policy->namespace_name, "x");
	assert_string_equal(policy->name, name);
	assert_int_equal(policy->staged, is_staged);
}

/* ---- allowed in force ---------------------------------------------------------------- */

static void test_allow_without_staged(void **state)
{
	struct np_judgement j;

	judge(*state, "a", "b", 80, NP_OUTCOME_ESTABLISHED, false, &j);
	assert_int_equal(j.verdict, NP_VERDICT_ALLOW);
	assert_false(j.has_staged);
	assert_true(j.in_force.allowed);
	assert_ptr_equal(j.deciding, &j.in_force);
	assert_policy(j.in_force.ingress.allowed_by.policy, "allow-b", false);
}

static void test_allow_with_staged_that_agrees(void **state)
{
	/* a -> c: no policy selects c, staged or not */
	struct np_judgement j;

	judge(*state, "a", "c", 80, NP_OUTCOME_PENDING, true, &j);
	assert_int_equal(j.verdict, NP_VERDICT_ALLOW);
	assert_true(j.has_staged);
	assert_true(j.in_force.allowed);
	assert_true(j.with_staged.allowed);
	assert_ptr_equal(j.deciding, &j.in_force);
}

static void test_would_deny_when_staged_replaces_policy(void **state)
{
	struct np_judgement j;

	judge(*state, "a", "b", 80, NP_OUTCOME_ESTABLISHED, true, &j);
	assert_int_equal(j.verdict, NP_VERDICT_WOULD_DENY);
	assert_true(j.in_force.allowed);
	assert_false(j.with_staged.allowed);
	assert_ptr_equal(j.deciding, &j.with_staged);
	/* allowed now by the policy in force, which the staged one of the
	 * same name replaces */
	assert_policy(j.in_force.ingress.allowed_by.policy, "allow-b", false);
	assert_true(j.in_force.ingress.allowed_by.policy->replaced_when_staged);
	/* with staged policies only the new allow-b isolates b */
	assert_int_equal(j.with_staged.ingress.n_isolating, 1);
	assert_policy(j.with_staged.ingress.isolating[0], "allow-b", true);
}

static void test_would_deny_from_new_staged_policy(void **state)
{
	/* nothing isolates d in force; staged lock-d admits nobody */
	for (enum np_outcome o = NP_OUTCOME_UNKNOWN; o <= NP_OUTCOME_FAILED; o++) {
		struct np_judgement j;

		judge(*state, "a", "d", 80, o, true, &j);
		assert_int_equal(j.verdict, NP_VERDICT_WOULD_DENY);
		assert_ptr_equal(j.deciding, &j.with_staged);
		assert_policy(j.with_staged.ingress.isolating[0], "lock-d", true);
	}
}

static void test_staged_ignored_without_has_staged(void **state)
{
	struct np_judgement j;

	judge(*state, "a", "d", 80, NP_OUTCOME_ESTABLISHED, false, &j);
	assert_int_equal(j.verdict, NP_VERDICT_ALLOW);
	assert_ptr_equal(j.deciding, &j.in_force);
}

/* ---- denied in force: the outcome decides ---------------------------------------------- */

static void test_deny_attempt_when_connect_failed(void **state)
{
	struct np_judgement j;

	judge(*state, "c", "b", 80, NP_OUTCOME_FAILED, false, &j);
	assert_int_equal(j.verdict, NP_VERDICT_DENY_ATTEMPT);
	assert_false(j.in_force.allowed);
	assert_false(j.in_force.ingress.allowed);
	assert_ptr_equal(j.deciding, &j.in_force);
	assert_policy(j.in_force.ingress.isolating[0], "allow-b", false);
}

static void test_enforcement_gap_when_established(void **state)
{
	struct np_judgement j;

	judge(*state, "c", "b", 80, NP_OUTCOME_ESTABLISHED, false, &j);
	assert_int_equal(j.verdict, NP_VERDICT_ENFORCEMENT_GAP);
	assert_ptr_equal(j.deciding, &j.in_force);
}

static void test_deny_when_outcome_unknown_or_pending(void **state)
{
	struct np_judgement j;

	judge(*state, "c", "b", 80, NP_OUTCOME_UNKNOWN, false, &j);
	assert_int_equal(j.verdict, NP_VERDICT_DENY);
	judge(*state, "c", "b", 80, NP_OUTCOME_PENDING, false, &j);
	assert_int_equal(j.verdict, NP_VERDICT_DENY);
	/* a port the rule does not name, from the pod it does name */
	judge(*state, "a", "b", 81, NP_OUTCOME_UNKNOWN, false, &j);
	assert_int_equal(j.verdict, NP_VERDICT_DENY);
}

static void test_denied_in_force_stays_denied_when_staged_allows(void **state)
{
	/* the staged allow-b admits c: not in force yet, so c -> b is still a
	 * violation, judged by the policies in force */
	struct np_judgement j;

	judge(*state, "c", "b", 80, NP_OUTCOME_ESTABLISHED, true, &j);
	assert_int_equal(j.verdict, NP_VERDICT_ENFORCEMENT_GAP);
	assert_true(j.has_staged);
	assert_ptr_equal(j.deciding, &j.in_force);
	assert_false(j.in_force.allowed);
	judge(*state, "c", "b", 80, NP_OUTCOME_FAILED, true, &j);
	assert_int_equal(j.verdict, NP_VERDICT_DENY_ATTEMPT);
}

/* ---- names ------------------------------------------------------------------------------- */

static void test_verdict_and_outcome_names(void **state)
{
	(void)state;
	assert_string_equal(np_flow_verdict_name(NP_VERDICT_ALLOW), "allow");
	assert_string_equal(np_flow_verdict_name(NP_VERDICT_WOULD_DENY), "would-deny");
	assert_string_equal(np_flow_verdict_name(NP_VERDICT_DENY_ATTEMPT), "deny-attempt");
	assert_string_equal(np_flow_verdict_name(NP_VERDICT_ENFORCEMENT_GAP), "enforcement-gap");
	assert_string_equal(np_flow_verdict_name(NP_VERDICT_DENY), "deny");
	assert_string_equal(np_flow_verdict_name((enum np_flow_verdict)42), "?");
	assert_string_equal(np_outcome_name(NP_OUTCOME_UNKNOWN), "unknown");
	assert_string_equal(np_outcome_name(NP_OUTCOME_PENDING), "pending");
	assert_string_equal(np_outcome_name(NP_OUTCOME_ESTABLISHED), "established");
	assert_string_equal(np_outcome_name(NP_OUTCOME_FAILED), "failed");
	assert_string_equal(np_outcome_name((enum np_outcome)42), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_allow_without_staged),
		cmocka_unit_test(test_allow_with_staged_that_agrees),
		cmocka_unit_test(test_would_deny_when_staged_replaces_policy),
		cmocka_unit_test(test_would_deny_from_new_staged_policy),
		cmocka_unit_test(test_staged_ignored_without_has_staged),
		cmocka_unit_test(test_deny_attempt_when_connect_failed),
		cmocka_unit_test(test_enforcement_gap_when_established),
		cmocka_unit_test(test_deny_when_outcome_unknown_or_pending),
		cmocka_unit_test(test_denied_in_force_stays_denied_when_staged_allows),
		cmocka_unit_test(test_verdict_and_outcome_names),
	};

	return cmocka_run_group_tests(tests, load_cluster, free_cluster);
}
