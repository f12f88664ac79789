/* workload — the workload a flow end belongs to, as reports group flows.
 *
 * A pod is named by the controller that owns it, as a person would: the
 * pods of a Deployment (owned by its ReplicaSet "frontend-7d9c6b5f4") are
 * "Deployment/frontend", those of a CronJob (owned by its Job
 * "backup-28931460") "CronJob/backup"; StatefulSets, DaemonSets, Jobs and any
 * other owner give "Kind/name"; a pod without one is itself, "Pod/debug".
 * A node is "node NAME" ("node IP" when the model does not know it), the
 * world its IP.
 *
 * Stable labels are those a controller does not stamp per pod, revision or
 * run: the ones a suggested policy may select by.
 */
#ifndef NPWATCH_WORKLOAD_H
#define NPWATCH_WORKLOAD_H

#include <stdbool.h>
#include <stddef.h>

#include "engine.h"
#include "model.h"

/* Room for any workload name: a kind and a DNS subdomain, or "node " and one. */
#define NP_WORKLOAD_MAX 320

/* The workload of pod, e.g. "Deployment/frontend". */
void np_pod_workload(const struct np_pod *pod, char *buf, size_t len);

/* The workload of a flow end: a pod's as above, "node n1" or "node
 * 192.168.0.10" for a node, the IP for the world ("unknown" without one). */
void np_endpoint_workload(const struct np_endpoint *end, char *buf, size_t len);

/* False for the labels controllers set per pod, revision or run:
 * pod-template-hash, controller-revision-hash, pod-template-generation,
 * statefulset.kubernetes.io/pod-name, apps.kubernetes.io/pod-index,
 * job-name, controller-uid and batch.kubernetes.io/<anything>. */
bool np_label_is_stable(const char *key);

/* Copies the stable labels of labels (in key order) into out, up to max;
 * returns how many there are (may exceed max). The strings stay those of
 * labels. */
size_t np_stable_labels(const struct np_labels *labels, struct np_label *out, size_t max);

/* The pods of namespace ns in a finalised model: a run of model->pods
 * (sorted by namespace, then name), NULL and *count 0 when it has none. */
const struct np_pod *np_namespace_pods(const struct np_model *model, const char *ns,
				       size_t *count);

/* The stable labels every pod of workload in namespace ns carries with the
 * same value, in key order, up to max into out; returns how many there are
 * (0 when the model has no pod of that workload). The strings belong to the
 * model. */
size_t np_workload_labels(const struct np_model *model, const char *ns, const char *workload,
			  struct np_label *out, size_t max);

#endif
