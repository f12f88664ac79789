/* lint — finds NetworkPolicy mistakes before they cause outages; see lint.h.
 *
 * Each rule walks the policies (or the pods) once and adds findings with
 * their words already written, so that text, JSON and tests read the same
 * data. Questions about traffic (can this pod still resolve names?) go to the
 * engine; questions about the policies' text (does this rule admit anything
 * another does not?) are answered by comparing selectors, blocks and ports by
 * their form, which is sound but not complete: a rule reported as shadowed is
 * shadowed, while some shadowing that only the labels in force reveal is left
 * unsaid.
 */
#include "lint.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resolve.h"
#include "textbuf.h"
#include "xalloc.h"

#define TEXT_LEN 1024
#define HINT_VALUES 6 /* label values or port names shown in a hint */

static const char METADATA_NAME[] = "kubernetes.io/metadata.name";
static const char DNS_NAMESPACE[] = "kube-system";
static const char DNS_SERVICE[] = "kube-dns";
static const char DNS_LABEL_KEY[] = "k8s-app";
static const char DNS_LABEL_VALUE[] = "kube-dns";

struct lint {
	const struct np_model *model;
	const struct np_lint_options *opts;
	struct np_lint_report *report;
	bool has_pods;       /* selectors can be judged by what they select */
	bool has_namespaces; /* Namespace objects were loaded: their labels are known */
};

/* ---- memory -------------------------------------------------------------------- */

static void *grow(void *array, size_t count, size_t elem_size)
{
	void *grown = reallocarray(array, count + 1, elem_size);

	if (!grown)
		abort();
	return grown;
}

static char *text_dup(const char *text)
{
	char *copy = strdup(text);

	if (!copy)
		abort();
	return copy;
}

/* Scratch arrays sized by the model: heap, not stack, for large clusters. */
static void *scratch(size_t n, size_t size)
{
	void *array = calloc(n ? n : 1, size);

	if (!array)
		abort();
	return array;
}

/* ---- names and places ---------------------------------------------------------- */

static const enum np_direction directions[] = { NP_DIR_INGRESS, NP_DIR_EGRESS };

static const char *direction_key(enum np_direction dir)
{
	return dir == NP_DIR_INGRESS ? "ingress" : "egress";
}

static const char *peers_key(enum np_direction dir)
{
	return dir == NP_DIR_INGRESS ? "from" : "to";
}

static const struct np_rule *rules_of(const struct np_policy *policy, enum np_direction dir,
				      size_t *count)
{
	*count = dir == NP_DIR_INGRESS ? policy->n_ingress : policy->n_egress;
	return dir == NP_DIR_INGRESS ? policy->ingress : policy->egress;
}

static bool isolates(const struct np_policy *policy, enum np_direction dir)
{
	return dir == NP_DIR_INGRESS ? policy->isolates_ingress : policy->isolates_egress;
}

static bool selectable(const struct np_pod *pod)
{
	return !pod->host_network;
}

static struct np_endpoint pod_endpoint(const struct np_pod *pod)
{
	struct np_endpoint end = { .kind = NP_END_POD, .pod = pod };

	if (pod->n_ips > 0)
		end.ip = pod->ips[0];
	return end;
}

static const char *plural(size_t n)
{
	return n == 1 ? "" : "s";
}

static void add_policy_name(struct np_text *t, const struct np_policy *policy)
{
	np_text_add(t, "%s/%s", policy->namespace_name, policy->name);
}

/* ---- annotations and lint-ignore ----------------------------------------------- */

/* The annotation's value lists rule ids separated by commas or spaces. */
static bool ignores(const struct np_policy *policy, const char *rule)
{
	const char *list = np_labels_get(&policy->annotations, NP_LINT_IGNORE_ANNOTATION);
	size_t len = strlen(rule);

	while (list && *list) {
		size_t word;

		list += strspn(list, ", \t\n");
		word = strcspn(list, ", \t\n");
		if (word == len && strncmp(list, rule, len) == 0)
			return true;
		list += word;
	}
	return false;
}

/* A policy that selects the pod and ignores the rule exempts the pod. */
static const struct np_policy *exempting_policy(const struct lint *l, const struct np_pod *pod,
						const char *rule)
{
	size_t n;
	const struct np_policy *policies =
		np_model_namespace_policies(l->model, pod->namespace_name, &n);

	for (size_t i = 0; i < n; i++)
		if (np_policy_selects(&policies[i], pod) && ignores(&policies[i], rule))
			return &policies[i];
	return NULL;
}

/* ---- findings ------------------------------------------------------------------ */

/* Adds a finding that takes over field, message and fix. */
static struct np_lint_finding *add_finding(struct lint *l, const char *rule,
					   const struct np_policy *policy, char *field,
					   char *message, char *fix)
{
	struct np_lint_report *r = l->report;
	struct np_lint_finding *f;

	r->findings = grow(r->findings, r->n_findings, sizeof(*r->findings));
	f = &r->findings[r->n_findings++];
	*f = (struct np_lint_finding){ .rule = rule, .policy = policy, .field = field,
				       .message = message, .fix = fix };
	if (policy) {
		f->file = policy->origin.file;
		f->line = policy->origin.line;
		if (ignores(policy, rule))
			f->suppressed_by = policy;
	}
	return f;
}

static void add_pod(struct np_lint_finding *f, const struct np_pod *pod)
{
	f->pods = grow(f->pods, f->n_pods, sizeof(*f->pods));
	f->pods[f->n_pods++] = pod;
}

static void free_finding_text(char *field, char *message, char *fix)
{
	free(field);
	free(message);
	free(fix);
}

/* A finding about one pod joins the finding that says the same about other
 * pods (same rule, policy, field, words and exemption), so that one cause is
 * reported once with the pods it concerns. */
static void add_pod_finding(struct lint *l, const char *rule, const struct np_policy *policy,
			    char *field, char *message, char *fix, const struct np_pod *pod)
{
	const struct np_policy *exempt = policy && ignores(policy, rule)
						 ? policy
						 : exempting_policy(l, pod, rule);
	struct np_lint_report *r = l->report;
	struct np_lint_finding *f;

	for (size_t i = 0; i < r->n_findings; i++) {
		f = &r->findings[i];
		if (strcmp(f->rule, rule) == 0 && f->policy == policy &&
		    f->suppressed_by == exempt && f->n_pods > 0 && strcmp(f->field, field) == 0 &&
		    strcmp(f->message, message) == 0) {
			add_pod(f, pod);
			free_finding_text(field, message, fix);
			return;
		}
	}
	f = add_finding(l, rule, policy, field, message, fix);
	if (!policy) {
		f->file = pod->origin.file;
		f->line = pod->origin.line;
	}
	f->suppressed_by = exempt;
	add_pod(f, pod);
}

static bool has_finding(const struct lint *l, const struct np_policy *policy, const char *field,
			const char *rule)
{
	for (size_t i = 0; i < l->report->n_findings; i++) {
		const struct np_lint_finding *f = &l->report->findings[i];

		if (f->policy == policy && strcmp(f->rule, rule) == 0 &&
		    strcmp(f->field, field) == 0)
			return true;
	}
	return false;
}

/* ---- what selectors select ----------------------------------------------------- */

/* The pods of a namespace: a run of model->pods, which is sorted by namespace. */
static const struct np_pod *namespace_pods(const struct np_model *model, const char *ns,
					   size_t *count)
{
	size_t first = 0, n = 0;

	while (first < model->n_pods && strcmp(model->pods[first].namespace_name, ns) < 0)
		first++;
	while (first + n < model->n_pods && strcmp(model->pods[first + n].namespace_name, ns) == 0)
		n++;
	*count = n;
	return model->pods + first;
}

static size_t count_selectable(const struct np_pod *pods, size_t n)
{
	size_t count = 0;

	for (size_t i = 0; i < n; i++)
		count += selectable(&pods[i]);
	return count;
}

static bool namespace_selected(const struct lint *l, const struct np_selector *sel,
			       const char *ns)
{
	const struct np_namespace *found = np_model_namespace(l->model, ns);

	return found && np_selector_matches(sel, &found->labels);
}

static bool requirement_met(const struct np_requirement *req, const struct np_labels *labels)
{
	struct np_selector one = { .reqs = req, .n_reqs = 1 };

	return np_selector_matches(&one, labels);
}

static bool listed(const char *const *values, size_t n, const char *value)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(values[i], value) == 0)
			return true;
	return false;
}

/* Why a selector matched none of the label sets, in a hint the user can act
 * on: the first requirement no set meets, and what the sets carry under its
 * key ("they carry app=api, app=web") or that none has the key ("no pod
 * there has a label tier"); many and one name the sets. */
static void add_selector_hint(struct np_text *t, const struct np_selector *sel,
			      const struct np_labels *const *sets, size_t n_sets, const char *many,
			      const char *one)
{
	for (size_t i = 0; i < sel->n_reqs; i++) {
		const struct np_requirement *req = &sel->reqs[i];
		const char *values[HINT_VALUES];
		size_t n_values = 0, more = 0;
		bool met = false;

		for (size_t s = 0; s < n_sets && !met; s++)
			met = requirement_met(req, sets[s]);
		if (met)
			continue;
		for (size_t s = 0; s < n_sets; s++) {
			const char *value = np_labels_get(sets[s], req->key);

			if (!value || listed(values, n_values, value))
				continue;
			if (n_values < HINT_VALUES)
				values[n_values++] = value;
			else
				more++;
		}
		if (n_values == 0) {
			np_text_add(t, "no %s has a label %s", one, req->key);
			return;
		}
		np_text_add(t, "%s carry ", many);
		for (size_t v = 0; v < n_values; v++)
			np_text_add(t, "%s%s=%s", v ? ", " : "", req->key, values[v]);
		if (more)
			np_text_add(t, " and %zu more", more);
		return;
	}
	np_text_add(t, "each label is on some %s, but no %s carries them all", one, one);
}

/* ---- selects-no-pod ------------------------------------------------------------ */

static void check_selects_pods(struct lint *l, const struct np_policy *policy)
{
	size_t n, selected = 0, candidates;
	const struct np_pod *pods = namespace_pods(l->model, policy->namespace_name, &n);
	const struct np_labels **sets;
	char sel[TEXT_LEN], hint[TEXT_LEN];
	struct np_text t;

	candidates = count_selectable(pods, n);
	if (candidates == 0) {
		add_finding(l, NP_LINT_SELECTS_NO_POD, policy, text_dup("metadata.namespace"),
			    xasprintf("selects no pod: there is no pod in namespace %s",
				   policy->namespace_name),
			    xasprintf("check metadata.namespace (or -n for manifests that state "
				   "none), and that the cluster's pods of %s are loaded",
				   policy->namespace_name));
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (np_policy_selects(policy, &pods[i]))
			return;
	sets = scratch(n, sizeof(*sets));
	for (size_t i = 0; i < n; i++)
		if (selectable(&pods[i]))
			sets[selected++] = &pods[i].labels;
	np_selector_format(&policy->pod_selector, sel, sizeof(sel));
	np_text_init(&t, hint, sizeof(hint));
	add_selector_hint(&t, &policy->pod_selector, sets, selected, "they", "pod there");
	free(sets);
	add_finding(l, NP_LINT_SELECTS_NO_POD, policy, text_dup("spec.podSelector"),
		    xasprintf("podSelector %s selects no pod of namespace %s (%zu pod%s there; %s)",
			   sel, policy->namespace_name, candidates, plural(candidates), hint),
		    xasprintf("select by labels the pods carry (kubectl get pods -n %s "
			   "--show-labels), or delete the policy",
			   policy->namespace_name));
}

/* ---- selector-matches-nothing -------------------------------------------------- */

static char *peer_field(enum np_direction dir, size_t rule, size_t peer, const char *what)
{
	return xasprintf("spec.%s[%zu].%s[%zu].%s", direction_key(dir), rule, peers_key(dir), peer,
		      what);
}

/* A namespaceSelector that picks no namespace; true when reported. */
static bool check_namespace_half(struct lint *l, const struct np_policy *policy,
				 enum np_direction dir, size_t rule, size_t k,
				 const struct np_peer *peer)
{
	const struct np_model *m = l->model;
	const struct np_labels **sets;
	char sel[TEXT_LEN], hint[TEXT_LEN];
	struct np_text t;

	for (size_t i = 0; i < m->n_namespaces; i++)
		if (np_selector_matches(&peer->namespace_selector, &m->namespaces[i].labels))
			return false;
	sets = scratch(m->n_namespaces, sizeof(*sets));
	for (size_t i = 0; i < m->n_namespaces; i++)
		sets[i] = &m->namespaces[i].labels;
	np_selector_format(&peer->namespace_selector, sel, sizeof(sel));
	np_text_init(&t, hint, sizeof(hint));
	add_selector_hint(&t, &peer->namespace_selector, sets, m->n_namespaces, "they",
			  "namespace");
	free(sets);
	add_finding(l, NP_LINT_SELECTOR_MATCHES_NOTHING, policy,
		    peer_field(dir, rule, k, "namespaceSelector"),
		    xasprintf("namespaceSelector %s matches no namespace (%zu in the model; %s)", sel,
			   m->n_namespaces, hint),
		    text_dup("label the namespaces meant (kubectl label namespace NAME KEY=VALUE) "
			     "or select by a label they carry; kubernetes.io/metadata.name "
			     "names one namespace"));
	return true;
}

/* Does the namespace half of a selector peer take in the pod's namespace? */
static bool namespace_half_takes(const struct np_policy *policy, const struct np_peer *peer,
				 const struct np_pod *pod)
{
	if (peer->kind == NP_PEER_PODS)
		return strcmp(pod->namespace_name, policy->namespace_name) == 0;
	return pod->ns && np_selector_matches(&peer->namespace_selector, &pod->ns->labels);
}

/* The namespaces a peer's podSelector looks in, for messages. */
static void add_peer_namespaces(struct np_text *t, const struct lint *l,
				const struct np_policy *policy, const struct np_peer *peer)
{
	const struct np_model *m = l->model;
	bool first = true;

	if (peer->kind == NP_PEER_PODS) {
		np_text_add(t, "namespace %s", policy->namespace_name);
		return;
	}
	for (size_t i = 0; i < m->n_namespaces; i++) {
		if (!np_selector_matches(&peer->namespace_selector, &m->namespaces[i].labels))
			continue;
		np_text_add(t, "%s%s", first ? "namespace " : ", ", m->namespaces[i].name);
		first = false;
	}
}

/* A podSelector that picks no pod where it looks. A podSelector alone in
 * the policy's own namespace with no pods at all is selects-no-pod's
 * finding already. */
static void check_pod_half(struct lint *l, const struct np_policy *policy, enum np_direction dir,
			   size_t rule, size_t k, const struct np_peer *peer)
{
	const struct np_model *m = l->model;
	const struct np_labels **sets = scratch(m->n_pods, sizeof(*sets));
	size_t candidates = 0;
	char sel[TEXT_LEN], where[TEXT_LEN], hint[TEXT_LEN];
	struct np_text t;

	for (size_t i = 0; i < m->n_pods; i++) {
		const struct np_pod *pod = &m->pods[i];

		if (!selectable(pod) || !namespace_half_takes(policy, peer, pod))
			continue;
		if (np_selector_matches(&peer->pod_selector, &pod->labels)) {
			free(sets);
			return;
		}
		sets[candidates++] = &pod->labels;
	}
	if (candidates == 0 && peer->kind == NP_PEER_PODS) {
		free(sets);
		return;
	}
	np_selector_format(&peer->pod_selector, sel, sizeof(sel));
	np_text_init(&t, where, sizeof(where));
	add_peer_namespaces(&t, l, policy, peer);
	np_text_init(&t, hint, sizeof(hint));
	if (candidates == 0) {
		np_text_add(&t, "podSelector %s matches nothing: %s has no pods in the model "
				"that a selector can match",
			    sel, where);
	} else {
		np_text_add(&t, "podSelector %s matches no pod of %s (%zu pod%s there; ", sel,
			    where, candidates, plural(candidates));
		add_selector_hint(&t, &peer->pod_selector, sets, candidates, "they", "pod there");
		np_text_add(&t, ")");
	}
	free(sets);
	add_finding(l, NP_LINT_SELECTOR_MATCHES_NOTHING, policy,
		    peer_field(dir, rule, k, "podSelector"), text_dup(hint),
		    text_dup("select by labels the pods carry (kubectl get pods -A "
			     "--show-labels)"));
}

static void check_selector_peer(struct lint *l, const struct np_policy *policy,
				enum np_direction dir, size_t rule, size_t k,
				const struct np_peer *peer)
{
	if (peer->kind != NP_PEER_PODS && l->has_namespaces &&
	    check_namespace_half(l, policy, dir, rule, k, peer))
		return;
	if (peer->kind == NP_PEER_NAMESPACES || !l->has_pods)
		return;
	/* Without Namespace objects a namespaceSelector's reach is unknown. */
	if (peer->kind == NP_PEER_NS_AND_PODS && !l->has_namespaces)
		return;
	check_pod_half(l, policy, dir, rule, k, peer);
}

/* ---- ipblock-covers-pods ------------------------------------------------------- */

static bool block_takes(const struct np_ipblock *block, const struct np_ip *ip)
{
	if (!np_cidr_contains(&block->cidr, ip))
		return false;
	for (size_t i = 0; i < block->n_except; i++)
		if (np_cidr_contains(&block->except[i], ip))
			return false;
	return true;
}

static bool block_takes_pod(const struct np_ipblock *block, const struct np_pod *pod)
{
	for (size_t i = 0; i < pod->n_ips; i++)
		if (block_takes(block, &pod->ips[i]))
			return true;
	return false;
}

static void check_ipblock(struct lint *l, const struct np_policy *policy, enum np_direction dir,
			  size_t rule, size_t k, const struct np_peer *peer)
{
	const struct np_model *m = l->model;
	struct np_lint_finding *f;
	char cidr[NP_IP_STRLEN + 4];
	size_t n = 0;

	for (size_t i = 0; i < m->n_pods; i++)
		n += selectable(&m->pods[i]) && block_takes_pod(&peer->ipblock, &m->pods[i]);
	if (n == 0)
		return;
	np_cidr_format(&peer->ipblock.cidr, cidr, sizeof(cidr));
	f = add_finding(l, NP_LINT_IPBLOCK_COVERS_PODS, policy, peer_field(dir, rule, k, "ipBlock"),
			xasprintf("ipBlock %s takes in the addresses of %zu pod%s: pod traffic is "
			       "matched by podSelector and namespaceSelector, while whether an "
			       "ipBlock matches it depends on the CNI (which may see a node "
			       "address after SNAT, or apply ipBlock to cluster-external traffic "
			       "only)",
			       cidr, n, plural(n)),
			text_dup("select those pods by label instead, and put the pod network "
				 "under this ipBlock's except"));
	for (size_t i = 0; i < m->n_pods; i++)
		if (selectable(&m->pods[i]) && block_takes_pod(&peer->ipblock, &m->pods[i]))
			add_pod(f, &m->pods[i]);
}

/* ---- unknown-named-port -------------------------------------------------------- */

/* The pods a rule's ports apply to: for ingress those the policy selects,
 * for egress those the rule's peers match (every pod when it names none). */
static bool rule_destination(const struct lint *l, const struct np_policy *policy,
			     enum np_direction dir, const struct np_rule *rule,
			     const struct np_pod *pod)
{
	struct np_endpoint end = pod_endpoint(pod);

	if (!selectable(pod))
		return false;
	if (dir == NP_DIR_INGRESS)
		return np_policy_selects(policy, pod);
	if (rule->n_peers == 0)
		return true;
	for (size_t i = 0; i < rule->n_peers; i++)
		if (np_peer_matches(l->model, policy, &rule->peers[i], &end))
			return true;
	return false;
}

static const struct np_container_port *named_port(const struct np_pod *pod, const char *name,
						  const enum np_proto *proto)
{
	for (size_t i = 0; i < pod->n_ports; i++)
		if (pod->ports[i].name && strcmp(pod->ports[i].name, name) == 0 &&
		    (!proto || pod->ports[i].proto == *proto))
			return &pod->ports[i];
	return NULL;
}

/* "they declare http/TCP, metrics/TCP", or that they declare no named port. */
static void add_declared_ports(struct np_text *t, const struct np_pod *const *pods, size_t n)
{
	char seen[HINT_VALUES][96];
	size_t n_seen = 0, more = 0;

	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < pods[i]->n_ports; j++) {
			const struct np_container_port *cp = &pods[i]->ports[j];
			char name[96];
			bool dup = false;

			if (!cp->name)
				continue;
			snprintf(name, sizeof(name), "%s/%s", cp->name, np_proto_name(cp->proto));
			for (size_t s = 0; s < n_seen && !dup; s++)
				dup = strcmp(seen[s], name) == 0;
			if (dup)
				continue;
			if (n_seen < HINT_VALUES)
				snprintf(seen[n_seen++], sizeof(seen[0]), "%s", name);
			else
				more++;
		}
	}
	if (n_seen == 0) {
		np_text_add(t, "they declare no named port");
		return;
	}
	np_text_add(t, "they declare ");
	for (size_t s = 0; s < n_seen; s++)
		np_text_add(t, "%s%s", s ? ", " : "", seen[s]);
	if (more)
		np_text_add(t, " and %zu more", more);
}

static void check_named_port(struct lint *l, const struct np_policy *policy,
			     enum np_direction dir, size_t r, size_t j)
{
	const struct np_model *m = l->model;
	size_t n_rules;
	const struct np_rule *rule = &rules_of(policy, dir, &n_rules)[r];
	const struct np_port_rule *port = &rule->ports[j];
	const struct np_pod **dests = scratch(m->n_pods, sizeof(*dests));
	const struct np_container_port *other_proto = NULL;
	size_t n = 0;
	char hint[TEXT_LEN];
	struct np_text t;

	for (size_t i = 0; i < m->n_pods; i++) {
		if (!rule_destination(l, policy, dir, rule, &m->pods[i]))
			continue;
		if (named_port(&m->pods[i], port->name, &port->proto)) {
			free(dests);
			return;
		}
		if (!other_proto)
			other_proto = named_port(&m->pods[i], port->name, NULL);
		dests[n++] = &m->pods[i];
	}
	if (n == 0) {
		free(dests); /* selects-no-pod or selector-matches-nothing says why */
		return;
	}
	np_text_init(&t, hint, sizeof(hint));
	if (other_proto)
		np_text_add(&t, "they declare %s over %s only", port->name,
			    np_proto_name(other_proto->proto));
	else
		add_declared_ports(&t, dests, n);
	free(dests);
	add_finding(l, NP_LINT_UNKNOWN_NAMED_PORT, policy,
		    xasprintf("spec.%s[%zu].ports[%zu].port", direction_key(dir), r, j),
		    xasprintf("port \"%s\" (%s): no pod %s declares a container port of that name and "
			   "protocol (%zu pod%s; %s), so the entry admits nothing",
			   port->name, np_proto_name(port->proto),
			   dir == NP_DIR_INGRESS ? "the policy selects"
			   : rule->n_peers ? "the rule's peers match"
					   : "in the model",
			   n, plural(n), hint),
		    text_dup("use a name from the pods' containers[].ports[].name (and its "
			     "protocol), or the port number"));
}

/* ---- the checks of one policy -------------------------------------------------- */

static void check_rules(struct lint *l, const struct np_policy *policy, enum np_direction dir)
{
	size_t n_rules;
	const struct np_rule *rules = rules_of(policy, dir, &n_rules);

	for (size_t r = 0; r < n_rules; r++) {
		for (size_t k = 0; k < rules[r].n_peers; k++) {
			const struct np_peer *peer = &rules[r].peers[k];

			if (peer->kind != NP_PEER_IPBLOCK)
				check_selector_peer(l, policy, dir, r, k, peer);
			else if (l->has_pods)
				check_ipblock(l, policy, dir, r, k, peer);
		}
		for (size_t j = 0; j < rules[r].n_ports && l->has_pods; j++)
			if (rules[r].ports[j].kind == NP_PORT_NAME)
				check_named_port(l, policy, dir, r, j);
	}
}

static void check_annotations(struct lint *l, const struct np_policy *policy)
{
	char missing[TEXT_LEN], example[TEXT_LEN];
	struct np_text t, e;
	size_t n = 0;

	np_text_init(&t, missing, sizeof(missing));
	np_text_init(&e, example, sizeof(example));
	for (size_t i = 0; i < l->opts->n_required_annotations; i++) {
		const char *key = l->opts->required_annotations[i];
		const char *value = np_labels_get(&policy->annotations, key);

		if (value && *value)
			continue;
		np_text_add(&t, "%s%s", n ? ", " : "", key);
		np_text_add(&e, "%s%s: ...", n ? ", " : "", key);
		n++;
	}
	if (n == 0)
		return;
	add_finding(l, NP_LINT_MISSING_ANNOTATION, policy, text_dup("metadata.annotations"),
		    xasprintf("missing annotation%s %s: every policy is to say who owns it and why "
			   "the traffic it allows is needed",
			   plural(n), missing),
		    xasprintf("add metadata.annotations {%s}", example));
}

static void check_policy(struct lint *l, const struct np_policy *policy)
{
	if (l->has_pods)
		check_selects_pods(l, policy);
	check_rules(l, policy, NP_DIR_INGRESS);
	check_rules(l, policy, NP_DIR_EGRESS);
	check_annotations(l, policy);
}

/* ---- duplicate-rule and shadowed-rule ------------------------------------------ */

static bool values_within(const struct np_requirement *inner, const struct np_requirement *outer)
{
	for (size_t i = 0; i < inner->n_values; i++)
		if (!listed(outer->values, outer->n_values, inner->values[i]))
			return false;
	return true;
}

static bool values_apart(const struct np_requirement *a, const struct np_requirement *b)
{
	for (size_t i = 0; i < a->n_values; i++)
		if (listed(b->values, b->n_values, a->values[i]))
			return false;
	return true;
}

/* Does every label set that meets narrow meet broad (both on one key)? */
static bool requirement_implies(const struct np_requirement *narrow,
				const struct np_requirement *broad)
{
	if (strcmp(narrow->key, broad->key) != 0)
		return false;
	switch (broad->op) {
	case NP_OP_EXISTS:
		return narrow->op == NP_OP_IN || narrow->op == NP_OP_EXISTS;
	case NP_OP_DOES_NOT_EXIST:
		return narrow->op == NP_OP_DOES_NOT_EXIST;
	case NP_OP_IN:
		return narrow->op == NP_OP_IN && values_within(narrow, broad);
	case NP_OP_NOT_IN: /* a missing key is "not in" any set */
		return (narrow->op == NP_OP_IN && values_apart(narrow, broad)) ||
		       (narrow->op == NP_OP_NOT_IN && values_within(broad, narrow)) ||
		       narrow->op == NP_OP_DOES_NOT_EXIST;
	}
	return false;
}

/* Does broad select everything narrow does? Each requirement of broad must
 * follow from one of narrow's. */
static bool selector_covers(const struct np_selector *broad, const struct np_selector *narrow)
{
	for (size_t i = 0; i < broad->n_reqs; i++) {
		bool implied = false;

		for (size_t j = 0; j < narrow->n_reqs && !implied; j++)
			implied = requirement_implies(&narrow->reqs[j], &broad->reqs[i]);
		if (!implied)
			return false;
	}
	return true;
}

static bool selectors_equal(const struct np_selector *a, const struct np_selector *b)
{
	return selector_covers(a, b) && selector_covers(b, a);
}

/* A namespaceSelector that names the policy's own namespace alone. */
static bool pins_namespace(const struct np_selector *sel, const char *ns)
{
	for (size_t i = 0; i < sel->n_reqs; i++) {
		const struct np_requirement *req = &sel->reqs[i];

		if (req->op == NP_OP_IN && strcmp(req->key, METADATA_NAME) == 0 &&
		    req->n_values == 1 && strcmp(req->values[0], ns) == 0)
			return true;
	}
	return false;
}

/* Does every address narrow takes lie in broad, outside broad's excepts? */
static bool block_covers(const struct np_ipblock *broad, const struct np_ipblock *narrow)
{
	if (!np_cidr_covers(&broad->cidr, &narrow->cidr))
		return false;
	for (size_t i = 0; i < broad->n_except; i++) {
		const struct np_cidr *hole = &broad->except[i];
		const struct np_cidr *lost;
		bool excepted = false;

		/* Two blocks are nested or apart: what of narrow falls in the
		 * hole is the smaller of the two, and narrow must except it. */
		if (np_cidr_covers(hole, &narrow->cidr))
			lost = &narrow->cidr;
		else if (np_cidr_covers(&narrow->cidr, hole))
			lost = hole;
		else
			continue;
		for (size_t j = 0; j < narrow->n_except && !excepted; j++)
			excepted = np_cidr_covers(&narrow->except[j], lost);
		if (!excepted)
			return false;
	}
	return true;
}

/* Are the namespaces narrow looks in among those broad looks in? A
 * podSelector alone looks in the policy's namespace ns. */
static bool namespaces_cover(const struct lint *l, const char *ns, const struct np_peer *broad,
			     const struct np_peer *narrow)
{
	if (broad->kind == NP_PEER_PODS)
		return narrow->kind == NP_PEER_PODS ||
		       pins_namespace(&narrow->namespace_selector, ns);
	if (narrow->kind == NP_PEER_PODS)
		return namespace_selected(l, &broad->namespace_selector, ns);
	return selector_covers(&broad->namespace_selector, &narrow->namespace_selector);
}

static bool peer_covers(const struct lint *l, const char *ns, const struct np_peer *broad,
			const struct np_peer *narrow)
{
	if (broad->kind == NP_PEER_IPBLOCK || narrow->kind == NP_PEER_IPBLOCK)
		return broad->kind == narrow->kind &&
		       block_covers(&broad->ipblock, &narrow->ipblock);
	if (!namespaces_cover(l, ns, broad, narrow))
		return false;
	if (broad->kind == NP_PEER_NAMESPACES)
		return true;
	if (narrow->kind == NP_PEER_NAMESPACES)
		return broad->pod_selector.n_reqs == 0;
	return selector_covers(&broad->pod_selector, &narrow->pod_selector);
}

static uint16_t last_port(const struct np_port_rule *port)
{
	return port->end_port ? port->end_port : port->port;
}

static bool port_covers(const struct np_port_rule *broad, const struct np_port_rule *narrow)
{
	if (broad->proto != narrow->proto)
		return false;
	switch (broad->kind) {
	case NP_PORT_ANY:
		return true;
	case NP_PORT_NUMBER:
		return narrow->kind == NP_PORT_NUMBER && narrow->port >= broad->port &&
		       last_port(narrow) <= last_port(broad);
	case NP_PORT_NAME:
		return narrow->kind == NP_PORT_NAME && strcmp(narrow->name, broad->name) == 0;
	}
	return false;
}

/* Does broad admit every peer and port narrow admits? No peers (or no
 * ports) admits them all. */
static bool rule_covers(const struct lint *l, const char *ns, const struct np_rule *broad,
			const struct np_rule *narrow)
{
	if (broad->n_peers > 0 && narrow->n_peers == 0)
		return false;
	for (size_t i = 0; i < narrow->n_peers && broad->n_peers > 0; i++) {
		bool covered = false;

		for (size_t j = 0; j < broad->n_peers && !covered; j++)
			covered = peer_covers(l, ns, &broad->peers[j], &narrow->peers[i]);
		if (!covered)
			return false;
	}
	if (broad->n_ports > 0 && narrow->n_ports == 0)
		return false;
	for (size_t i = 0; i < narrow->n_ports && broad->n_ports > 0; i++) {
		bool covered = false;

		for (size_t j = 0; j < broad->n_ports && !covered; j++)
			covered = port_covers(&broad->ports[j], &narrow->ports[i]);
		if (!covered)
			return false;
	}
	return true;
}

/* One rule of one policy, for comparing rules across policies. */
struct rule_at {
	const struct np_policy *policy;
	enum np_direction dir;
	size_t index;
	const struct np_rule *rule;
};

static char *rule_field(const struct rule_at *at)
{
	return xasprintf("spec.%s[%zu]", direction_key(at->dir), at->index);
}

/* "spec.ingress[0]", or "spec.ingress[0] of production/web" for another policy's. */
static void add_rule_name(struct np_text *t, const struct rule_at *at,
			  const struct np_policy *from)
{
	np_text_add(t, "spec.%s[%zu]", direction_key(at->dir), at->index);
	if (at->policy != from) {
		np_text_add(t, " of ");
		add_policy_name(t, at->policy);
		np_text_add(t, " (which selects the same pods)");
	}
}

static void report_overlap(struct lint *l, const char *rule_id, const struct rule_at *subject,
			   const struct rule_at *other)
{
	char *field = rule_field(subject);
	char words[TEXT_LEN];
	struct np_text t;

	if (has_finding(l, subject->policy, field, NP_LINT_DUPLICATE_RULE) ||
	    has_finding(l, subject->policy, field, NP_LINT_SHADOWED_RULE)) {
		free(field);
		return;
	}
	np_text_init(&t, words, sizeof(words));
	if (strcmp(rule_id, NP_LINT_DUPLICATE_RULE) == 0) {
		np_text_add(&t, "repeats ");
		add_rule_name(&t, other, subject->policy);
		np_text_add(&t, ": they admit the same peers on the same ports");
		add_finding(l, rule_id, subject->policy, field, text_dup(words),
			    text_dup("delete one of them"));
		return;
	}
	np_text_add(&t, "is shadowed by ");
	add_rule_name(&t, other, subject->policy);
	np_text_add(&t, ", which admits every peer and port this rule does: this rule allows "
			"nothing more");
	add_finding(l, rule_id, subject->policy, field, text_dup(words),
		    text_dup("delete it, or narrow the broader rule if it admits more than "
			     "meant"));
}

/* Compares two rules, a before b: the later of two duplicates is reported,
 * and the narrower of a rule and the rule that covers it. */
static void compare_rules(struct lint *l, const struct rule_at *a, const struct rule_at *b)
{
	const char *ns = a->policy->namespace_name;
	bool a_in_b = rule_covers(l, ns, b->rule, a->rule);
	bool b_in_a = rule_covers(l, ns, a->rule, b->rule);

	if (a_in_b && b_in_a)
		report_overlap(l, NP_LINT_DUPLICATE_RULE, b, a);
	else if (a_in_b)
		report_overlap(l, NP_LINT_SHADOWED_RULE, a, b);
	else if (b_in_a)
		report_overlap(l, NP_LINT_SHADOWED_RULE, b, a);
}

/* Two policies select the same pods when their selectors say the same, or
 * when they pick the same pods of the model. */
static bool same_pods(const struct lint *l, const struct np_policy *a, const struct np_policy *b)
{
	size_t n, picked = 0;
	const struct np_pod *pods;

	if (selectors_equal(&a->pod_selector, &b->pod_selector))
		return true;
	pods = namespace_pods(l->model, a->namespace_name, &n);
	for (size_t i = 0; i < n; i++) {
		bool in_a = np_policy_selects(a, &pods[i]), in_b = np_policy_selects(b, &pods[i]);

		if (in_a != in_b)
			return false;
		picked += in_a;
	}
	return picked > 0;
}

static void compare_policies(struct lint *l, const struct np_policy *a,
			     const struct np_policy *b, enum np_direction dir)
{
	size_t n_a, n_b;
	const struct np_rule *rules_a = rules_of(a, dir, &n_a);
	const struct np_rule *rules_b = rules_of(b, dir, &n_b);

	for (size_t i = 0; i < n_a; i++) {
		struct rule_at at_a = { a, dir, i, &rules_a[i] };

		for (size_t j = a == b ? i + 1 : 0; j < n_b; j++) {
			struct rule_at at_b = { b, dir, j, &rules_b[j] };

			compare_rules(l, &at_a, &at_b);
		}
	}
}

/* Rules only count in a direction the policy isolates: others are inert. */
static void check_overlaps(struct lint *l)
{
	const struct np_model *m = l->model;

	for (size_t i = 0; i < m->n_policies; i++) {
		for (size_t j = i; j < m->n_policies; j++) {
			const struct np_policy *a = &m->policies[i], *b = &m->policies[j];

			if (strcmp(a->namespace_name, b->namespace_name) != 0)
				break;
			if (a != b && !same_pods(l, a, b))
				continue;
			for (size_t d = 0; d < 2; d++)
				if (isolates(a, directions[d]) && isolates(b, directions[d]))
					compare_policies(l, a, b, directions[d]);
		}
	}
}

/* ---- no-dns-egress and dns-one-protocol ---------------------------------------- */

enum { DNS_UDP, DNS_TCP, DNS_PROTOS };
static const enum np_proto dns_protos[DNS_PROTOS] = { NP_PROTO_UDP, NP_PROTO_TCP };

struct dns_target {
	struct np_endpoint end;
	uint16_t port;
};

/* Where pods send their queries: the kube-dns Service's backends, else the
 * pods labelled k8s-app=kube-dns in kube-system, else a stand-in pod with
 * those labels, so that policies can be judged without the cluster's DNS. */
struct dns {
	struct dns_target *targets[DNS_PROTOS];
	size_t n_targets[DNS_PROTOS];
	const char *what; /* how messages name it */
	struct np_namespace stand_in_ns;
	struct np_pod stand_in;
	struct np_label stand_in_ns_label, stand_in_label;
	struct np_container_port stand_in_ports[DNS_PROTOS];
};

static void add_target(struct dns *dns, int which, struct np_endpoint end, uint16_t port)
{
	dns->targets[which] = grow(dns->targets[which], dns->n_targets[which],
				   sizeof(*dns->targets[which]));
	dns->targets[which][dns->n_targets[which]++] = (struct dns_target){ end, port };
}

static int dns_proto_index(enum np_proto proto)
{
	return proto == NP_PROTO_UDP ? DNS_UDP : proto == NP_PROTO_TCP ? DNS_TCP : -1;
}

static void dns_from_service(const struct lint *l, struct dns *dns)
{
	const struct np_service *svc = np_model_service(l->model, DNS_NAMESPACE, DNS_SERVICE);

	for (size_t i = 0; svc && i < svc->n_ports; i++) {
		const struct np_service_port *sp = &svc->ports[i];
		int which = dns_proto_index(sp->proto);
		size_t n = sp->port == 53 && which >= 0
				   ? np_service_backends(l->model, svc, sp, NULL, 0)
				   : 0;
		struct np_backend *backends;

		if (n == 0)
			continue;
		backends = calloc(n, sizeof(*backends));
		if (!backends)
			abort();
		np_service_backends(l->model, svc, sp, backends, n);
		for (size_t b = 0; b < n; b++)
			add_target(dns, which, backends[b].end, backends[b].port);
		free(backends);
	}
}

static void dns_from_labels(const struct lint *l, struct dns *dns, int which)
{
	size_t n;
	const struct np_pod *pods = namespace_pods(l->model, DNS_NAMESPACE, &n);

	for (size_t i = 0; i < n; i++) {
		const char *app = np_labels_get(&pods[i].labels, DNS_LABEL_KEY);

		if (selectable(&pods[i]) && app && strcmp(app, DNS_LABEL_VALUE) == 0)
			add_target(dns, which, pod_endpoint(&pods[i]), 53);
	}
}

static void dns_stand_in(struct dns *dns, int which)
{
	add_target(dns, which, pod_endpoint(&dns->stand_in), 53);
	dns->what = "the cluster DNS (kube-system pods k8s-app=kube-dns; the model has none, so "
		    "a stand-in was judged)";
}

static void dns_init(const struct lint *l, struct dns *dns)
{
	const struct np_namespace *ns = np_model_namespace(l->model, DNS_NAMESPACE);

	memset(dns, 0, sizeof(*dns));
	dns->stand_in_ns_label = (struct np_label){ METADATA_NAME, DNS_NAMESPACE };
	dns->stand_in_ns = (struct np_namespace){
		.name = DNS_NAMESPACE, .labels = { &dns->stand_in_ns_label, 1 }, .synthesized = true
	};
	dns->stand_in_label = (struct np_label){ DNS_LABEL_KEY, DNS_LABEL_VALUE };
	dns->stand_in_ports[DNS_UDP] = (struct np_container_port){ "dns", 53, NP_PROTO_UDP };
	dns->stand_in_ports[DNS_TCP] = (struct np_container_port){ "dns-tcp", 53, NP_PROTO_TCP };
	dns->stand_in = (struct np_pod){ .namespace_name = DNS_NAMESPACE,
					 .name = DNS_SERVICE,
					 .labels = { &dns->stand_in_label, 1 },
					 .ports = dns->stand_in_ports,
					 .n_ports = DNS_PROTOS,
					 .ns = ns ? ns : &dns->stand_in_ns };
	dns->what = "the cluster DNS (kube-system/kube-dns)";
	dns_from_service(l, dns);
	for (int which = 0; which < DNS_PROTOS; which++) {
		if (dns->n_targets[which] == 0)
			dns_from_labels(l, dns, which);
		if (dns->n_targets[which] == 0)
			dns_stand_in(dns, which);
	}
}

static void dns_free(struct dns *dns)
{
	for (int which = 0; which < DNS_PROTOS; which++)
		free(dns->targets[which]);
}

/* Can the pod reach some DNS target over the protocol? out gets the verdict
 * that allowed, or else the first that denied. */
static bool judge_dns(const struct lint *l, const struct dns *dns, const struct np_pod *pod,
		      int which, struct np_verdict *out)
{
	struct np_verdict verdict;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < dns->n_targets[which]; i++) {
		struct np_flow flow = { .src = pod_endpoint(pod),
					.dst = dns->targets[which][i].end,
					.port = dns->targets[which][i].port,
					.proto = dns_protos[which] };

		np_evaluate(l->model, &flow, NP_SCOPE_IN_FORCE, &verdict);
		if (verdict.allowed || i == 0)
			*out = verdict;
		if (verdict.allowed)
			return true;
	}
	return false;
}

static void add_isolating(struct np_text *t, const struct np_direction_verdict *v)
{
	size_t shown = v->n_isolating < NP_EXPLAIN_MAX ? v->n_isolating : NP_EXPLAIN_MAX;

	for (size_t i = 0; i < shown; i++) {
		np_text_add(t, "%s", i ? ", " : "");
		add_policy_name(t, v->isolating[i]);
	}
	if (v->n_isolating > shown)
		np_text_add(t, " and %zu more", v->n_isolating - shown);
}

static const char dns_fix[] =
	"allow these pods egress to namespaceSelector kubernetes.io/metadata.name=kube-system "
	"with podSelector k8s-app=kube-dns on UDP 53 and TCP 53, as the guide's "
	"allow-dns-egress does";

/* Neither protocol gets through: blame the pod's egress policies when they
 * deny, else the DNS pods' ingress policies. */
static void report_no_dns(struct lint *l, const struct dns *dns, const struct np_pod *pod,
			  const struct np_verdict *udp)
{
	char words[TEXT_LEN];
	struct np_text t;

	np_text_init(&t, words, sizeof(words));
	if (!udp->egress.allowed) {
		np_text_add(&t, "these pods are isolated for egress (by ");
		add_isolating(&t, &udp->egress);
		np_text_add(&t, ") and no rule allows them DNS to %s: UDP 53 and TCP 53 are "
				"denied, so they cannot resolve names",
			    dns->what);
		add_pod_finding(l, NP_LINT_NO_DNS_EGRESS, udp->egress.isolating[0],
				text_dup("spec.policyTypes"), text_dup(words), text_dup(dns_fix),
				pod);
		return;
	}
	np_text_add(&t, "isolates the DNS pods for ingress and admits no DNS query (UDP 53 or "
			"TCP 53) from these pods, so they cannot resolve names");
	add_pod_finding(l, NP_LINT_NO_DNS_EGRESS, udp->ingress.isolating[0],
			text_dup("spec.ingress"), text_dup(words),
			text_dup("allow ingress to the DNS pods on UDP 53 and TCP 53 from every "
				 "namespace that resolves names"),
			pod);
}

/* One protocol gets through: blame the rule that admits it, or the DNS pods'
 * ingress policies when they refuse the other. */
static void report_one_protocol(struct lint *l, const struct np_pod *pod, int allowed,
				const struct np_verdict *ok, const struct np_verdict *denied)
{
	const char *yes = np_proto_name(dns_protos[allowed]);
	const char *no = np_proto_name(dns_protos[!allowed]);
	const struct np_rule_ref *by = denied->egress.allowed ? &ok->ingress.allowed_by
							       : &ok->egress.allowed_by;
	const char *dir = denied->egress.allowed ? "ingress" : "egress";
	const struct np_policy *policy = by->policy;
	char *field;

	if (policy) {
		field = by->port >= 0 ? xasprintf("spec.%s[%d].ports", dir, by->rule)
				      : xasprintf("spec.%s[%d]", dir, by->rule);
	} else {
		/* The DNS pod that answered the one protocol is not isolated,
		 * the one judged for the other is. */
		policy = denied->ingress.isolating[0];
		field = text_dup("spec.ingress");
	}
	add_pod_finding(l, NP_LINT_DNS_ONE_PROTOCOL, policy, field,
			xasprintf("allows DNS over %s 53 but not %s 53: %s", yes, no,
			       allowed == DNS_UDP
				       ? "resolvers retry over TCP when an answer does not fit "
					 "in UDP (many records, DNSSEC), and those lookups fail"
				       : "resolvers ask over UDP first, so most lookups fail"),
			xasprintf("add {protocol: %s, port: 53} next to the %s entry", no, yes), pod);
}

static void check_dns(struct lint *l)
{
	const struct np_model *m = l->model;
	struct dns dns;

	dns_init(l, &dns);
	for (size_t i = 0; i < m->n_pods; i++) {
		const struct np_pod *pod = &m->pods[i];
		struct np_verdict verdicts[DNS_PROTOS];
		bool ok[DNS_PROTOS];

		if (!selectable(pod))
			continue;
		for (int which = 0; which < DNS_PROTOS; which++)
			ok[which] = judge_dns(l, &dns, pod, which, &verdicts[which]);
		if (!ok[DNS_UDP] && !ok[DNS_TCP])
			report_no_dns(l, &dns, pod, &verdicts[DNS_UDP]);
		else if (ok[DNS_UDP] != ok[DNS_TCP])
			report_one_protocol(l, pod, ok[DNS_UDP] ? DNS_UDP : DNS_TCP,
					    &verdicts[ok[DNS_UDP] ? DNS_UDP : DNS_TCP],
					    &verdicts[ok[DNS_UDP] ? DNS_TCP : DNS_UDP]);
	}
	dns_free(&dns);
}

/* ---- isolation coverage and unisolated-pod ------------------------------------- */

static bool isolated(const struct lint *l, const struct np_pod *pod, enum np_direction dir)
{
	size_t n;
	const struct np_policy *policies =
		np_model_namespace_policies(l->model, pod->namespace_name, &n);

	for (size_t i = 0; i < n; i++)
		if (isolates(&policies[i], dir) && np_policy_selects(&policies[i], pod))
			return true;
	return false;
}

static struct np_lint_namespace_coverage *coverage_of(struct np_lint_coverage *c, const char *ns)
{
	if (c->n_namespaces == 0 ||
	    strcmp(c->namespaces[c->n_namespaces - 1].namespace_name, ns) != 0) {
		c->namespaces = grow(c->namespaces, c->n_namespaces, sizeof(*c->namespaces));
		c->namespaces[c->n_namespaces] =
			(struct np_lint_namespace_coverage){ .namespace_name = ns };
		c->n_namespaces++;
	}
	return &c->namespaces[c->n_namespaces - 1];
}

static void build_coverage(struct lint *l)
{
	struct np_lint_coverage *c = &l->report->coverage;

	for (size_t i = 0; i < l->model->n_pods; i++) {
		const struct np_pod *pod = &l->model->pods[i];
		struct np_lint_namespace_coverage *ns = coverage_of(c, pod->namespace_name);

		if (!selectable(pod)) {
			ns->host_network++;
			continue;
		}
		ns->pods++;
		c->pods++;
		for (size_t k = 0; k < 2; k++) {
			enum np_direction d = directions[k];

			if (isolated(l, pod, d)) {
				c->isolated[d]++;
				continue;
			}
			ns->unisolated[d] = grow(ns->unisolated[d], ns->n_unisolated[d],
						 sizeof(*ns->unisolated[d]));
			ns->unisolated[d][ns->n_unisolated[d]++] = pod;
		}
	}
}

static bool isolation_required(const struct lint *l, const char *ns)
{
	return listed(l->opts->isolated_namespaces, l->opts->n_isolated_namespaces, ns);
}

/* A pod open in one direction or both, in words. */
struct openness {
	const char *directions; /* "ingress", "egress", "ingress or egress" */
	const char *traffic;    /* "to", "from", "to or from" */
	const char *qualifier;  /* how no policy selects it */
};

static struct openness openness(bool ingress_isolated, bool egress_isolated)
{
	if (!ingress_isolated && !egress_isolated)
		return (struct openness){ "ingress or egress", "to or from", "" };
	if (!ingress_isolated)
		return (struct openness){ "ingress", "to", " for that direction" };
	return (struct openness){ "egress", "from", " for that direction" };
}

static void check_isolation(struct lint *l)
{
	for (size_t i = 0; i < l->model->n_pods; i++) {
		const struct np_pod *pod = &l->model->pods[i];
		bool in, out;
		struct openness open;

		if (!selectable(pod) || !isolation_required(l, pod->namespace_name))
			continue;
		in = isolated(l, pod, NP_DIR_INGRESS);
		out = isolated(l, pod, NP_DIR_EGRESS);
		if (in && out)
			continue;
		open = openness(in, out);
		add_pod_finding(l, NP_LINT_UNISOLATED_POD, NULL, text_dup(""),
				xasprintf("pod %s/%s is not isolated for %s: no policy of namespace "
				       "%s selects it%s, so any traffic %s it is allowed",
				       pod->namespace_name, pod->name, open.directions,
				       pod->namespace_name, open.qualifier, open.traffic),
				xasprintf("apply a default deny to namespace %s (podSelector: {}, "
				       "policyTypes: [Ingress, Egress]), then allow what the pod "
				       "needs",
				       pod->namespace_name),
				pod);
	}
}

/* ---- the run ------------------------------------------------------------------- */

static const char *const pod_rules[] = {
	NP_LINT_SELECTS_NO_POD,	    NP_LINT_NO_DNS_EGRESS,	 NP_LINT_DNS_ONE_PROTOCOL,
	NP_LINT_UNKNOWN_NAMED_PORT, NP_LINT_IPBLOCK_COVERS_PODS, NP_LINT_SELECTOR_MATCHES_NOTHING,
};
static const char *const namespace_rules[] = { NP_LINT_SELECTOR_MATCHES_NOTHING };

static void note_unchecked(struct lint *l)
{
	struct np_lint_report *r = l->report;

	if (!l->has_pods)
		r->unchecked[r->n_unchecked++] = (struct np_lint_unchecked){
			pod_rules, sizeof(pod_rules) / sizeof(pod_rules[0]),
			"the model has no pods: load the cluster's too, e.g. kubectl get "
			"ns,pods,svc,endpointslices -A -o json"
		};
	if (!l->has_namespaces)
		r->unchecked[r->n_unchecked++] = (struct np_lint_unchecked){
			namespace_rules, 1,
			"namespaceSelector peers: no Namespace objects were loaded, so namespace "
			"labels are unknown"
		};
}

static const char *empty_if_null(const char *text)
{
	return text ? text : "";
}

static int compare_findings(const void *a, const void *b)
{
	const struct np_lint_finding *x = a, *y = b;
	int cmp = strcmp(empty_if_null(x->file), empty_if_null(y->file));

	if (cmp)
		return cmp;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	cmp = strcmp(x->policy ? x->policy->name : "", y->policy ? y->policy->name : "");
	if (cmp)
		return cmp;
	cmp = strcmp(x->field, y->field);
	return cmp ? cmp : strcmp(x->rule, y->rule);
}

void np_lint_run(const struct np_model *model, const struct np_lint_options *opts,
		 struct np_lint_report *out)
{
	struct lint l = { .model = model, .opts = opts, .report = out };

	memset(out, 0, sizeof(*out));
	l.has_pods = model->n_pods > 0;
	for (size_t i = 0; i < model->n_namespaces; i++)
		l.has_namespaces |= !model->namespaces[i].synthesized;
	note_unchecked(&l);
	for (size_t i = 0; i < model->n_policies; i++)
		check_policy(&l, &model->policies[i]);
	check_overlaps(&l);
	if (l.has_pods)
		check_dns(&l);
	build_coverage(&l);
	check_isolation(&l);
	if (out->n_findings > 1)
		qsort(out->findings, out->n_findings, sizeof(*out->findings), compare_findings);
	for (size_t i = 0; i < out->n_findings; i++)
		out->n_suppressed += out->findings[i].suppressed_by != NULL;
}

size_t np_lint_active(const struct np_lint_report *report)
{
	return report->n_findings - report->n_suppressed;
}

void np_lint_report_free(struct np_lint_report *report)
{
	for (size_t i = 0; i < report->n_findings; i++) {
		struct np_lint_finding *f = &report->findings[i];

		free_finding_text(f->field, f->message, f->fix);
		free(f->pods);
	}
	free(report->findings);
	for (size_t i = 0; i < report->coverage.n_namespaces; i++)
		for (int d = 0; d < 2; d++)
			free(report->coverage.namespaces[i].unisolated[d]);
	free(report->coverage.namespaces);
	memset(report, 0, sizeof(*report));
}
