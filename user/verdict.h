/* verdict — the daemon's judgement of an observed flow.
 *
 * The engine says allowed or denied under a set of policies; the daemon
 * knows more: whether staged policies are about to change that, and for TCP
 * whether the connection got through. From both it gives one of
 *   allow            allowed by the policies in force (and the staged ones);
 *   would-deny       allowed now, denied once the staged policies apply;
 *   deny-attempt     denied in force, and it did not get through;
 *   enforcement-gap  denied in force, yet the TCP connection was established;
 *   deny             denied in force, outcome unknown (UDP, or TCP pending).
 */
#ifndef NPWATCH_VERDICT_H
#define NPWATCH_VERDICT_H

#include <stdbool.h>

#include "engine.h"

enum np_flow_verdict {
	NP_VERDICT_ALLOW,
	NP_VERDICT_WOULD_DENY,
	NP_VERDICT_DENY_ATTEMPT,
	NP_VERDICT_ENFORCEMENT_GAP,
	NP_VERDICT_DENY,
};

enum np_outcome {
	NP_OUTCOME_UNKNOWN,     /* UDP: nothing tells whether it arrived */
	NP_OUTCOME_PENDING,     /* TCP: SYN sent, no answer yet */
	NP_OUTCOME_ESTABLISHED, /* TCP: handshake completed */
	NP_OUTCOME_FAILED,      /* TCP: closed before establishing, or no answer in time */
};

struct np_judgement {
	enum np_flow_verdict verdict;
	struct np_verdict in_force;
	/* Evaluated only when it can change the verdict: has_staged and the
	 * policies in force allow the flow. */
	struct np_verdict with_staged;
	bool has_staged;
	/* The evaluation that explains the verdict: the staged one for
	 * would-deny, the in-force one otherwise. It points into this struct:
	 * do not copy a judgement, pass it by pointer. */
	const struct np_verdict *deciding;
};

/* Judges flow under model's policies; has_staged says whether the model
 * holds staged policies worth a second evaluation. */
void np_judge(const struct np_model *model, const struct np_flow *flow, enum np_outcome outcome,
	      bool has_staged, struct np_judgement *out);

const char *np_flow_verdict_name(enum np_flow_verdict verdict);
const char *np_outcome_name(enum np_outcome outcome);

#endif
