/* bench_engine — how the policy engine scales, measured in one run.
 *
 * Builds synthetic clusters of growing size (namespaces, pods with labels,
 * a deny-all baseline and allow policies per namespace) as JSON manifests,
 * loads each through the real loader, and judges random pod pairs. Prints
 * load time, evaluations per second, memory per pod, the allocations made
 * while evaluating (the engine promises none), and the ratios between the
 * largest and the smallest cluster.
 */
#include <dlfcn.h>
#include <stdarg.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine.h"
#include "manifest.h"

static unsigned long allocations;
static int counting;

/* Counts calls while counting is on, so the evaluation loop can show that
 * it allocates nothing. */
void *malloc(size_t size)
{
	static void *(*real_malloc)(size_t);

	if (!real_malloc)
		real_malloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "malloc");
	if (counting)
		allocations++;
	return real_malloc(size);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void append(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void append(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(*buf + *len, *cap - *len, fmt, ap);
		va_end(ap);
		if ((size_t)n < *cap - *len)
			break;
		*cap *= 2;
		*buf = realloc(*buf, *cap);
	}
	*len += (size_t)n;
}

/* namespaces x pods_per_ns pods in apps of 10 pods; per namespace a
 * deny-all, a DNS egress policy and one allow policy per app. */
static char *cluster_json(int namespaces, int pods_per_ns)
{
	size_t len = 0, cap = 1 << 20;
	char *buf = malloc(cap);

	append(&buf, &len, &cap, "{\"kind\":\"List\",\"items\":[");
	for (int n = 0; n < namespaces; n++) {
		append(&buf, &len, &cap,
		       "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"ns%d\","
		       "\"labels\":{\"team\":\"t%d\"}}},", n, n % 7);
		for (int p = 0; p < pods_per_ns; p++)
			append(&buf, &len, &cap,
			       "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p%d\","
			       "\"namespace\":\"ns%d\",\"labels\":{\"app\":\"a%d\",\"tier\":\"t%d\"}},"
			       "\"spec\":{\"containers\":[{\"name\":\"c\",\"ports\":[{\"name\":\"http\","
			       "\"containerPort\":8080}]}]},\"status\":{\"podIP\":\"10.%d.%d.%d\"}},",
			       p, n, p / 10, p % 3, n / 250, n % 250, p + 1);
		append(&buf, &len, &cap,
		       "{\"apiVersion\":\"networking.k8s.io/v1\",\"kind\":\"NetworkPolicy\","
		       "\"metadata\":{\"name\":\"deny-all\",\"namespace\":\"ns%d\"},\"spec\":{"
		       "\"podSelector\":{},\"policyTypes\":[\"Ingress\",\"Egress\"]}},", n);
		for (int a = 0; a < pods_per_ns / 10; a++)
			append(&buf, &len, &cap,
			       "{\"apiVersion\":\"networking.k8s.io/v1\",\"kind\":\"NetworkPolicy\","
			       "\"metadata\":{\"name\":\"allow-a%d\",\"namespace\":\"ns%d\"},\"spec\":{"
			       "\"podSelector\":{\"matchLabels\":{\"app\":\"a%d\"}},"
			       "\"ingress\":[{\"from\":[{\"namespaceSelector\":{\"matchExpressions\":[{\"key\":"
			       "\"team\",\"operator\":\"In\",\"values\":[\"t1\",\"t2\"]}]},\"podSelector\":"
			       "{\"matchLabels\":{\"tier\":\"t1\"}}}],\"ports\":[{\"port\":\"http\"}]}],"
			       "\"egress\":[{\"to\":[{\"podSelector\":{}}],\"ports\":[{\"port\":8000,"
			       "\"endPort\":8100}]}]}},", a, n, a);
	}
	len--; /* the last comma */
	append(&buf, &len, &cap, "]}");
	return buf;
}

struct result {
	int pods;
	double load_s;
	double evals_per_s;
	double bytes_per_pod;
	unsigned long allocations;
};

static struct result measure(int namespaces, int pods_per_ns, int evaluations)
{
	struct result r = { .pods = namespaces * pods_per_ns };
	char *json = cluster_json(namespaces, pods_per_ns);
	struct np_load_options opts = { 0 };
	struct np_load_stats stats;
	struct mallinfo2 before = mallinfo2(), after;
	struct np_model *model = np_model_new();
	char err[512];
	double t0 = now_s();
	unsigned seed = 42;
	size_t allowed = 0;

	if (np_manifest_load_buffer(model, "bench", json, strlen(json), &opts, &stats, err,
				    sizeof(err)) != 0) {
		fprintf(stderr, "bench: %s\n", err);
		exit(1);
	}
	np_model_finalize(model);
	r.load_s = now_s() - t0;
	after = mallinfo2();
	r.bytes_per_pod = (double)(after.uordblks - before.uordblks) / r.pods;

	counting = 1;
	t0 = now_s();
	for (int i = 0; i < evaluations; i++) {
		struct np_flow flow = { .port = 8080, .proto = NP_PROTO_TCP };
		struct np_verdict verdict;

		flow.src.kind = flow.dst.kind = NP_END_POD;
		flow.src.pod = &model->pods[rand_r(&seed) % model->n_pods];
		flow.dst.pod = &model->pods[rand_r(&seed) % model->n_pods];
		flow.src.ip = flow.src.pod->ips[0];
		flow.dst.ip = flow.dst.pod->ips[0];
		np_evaluate(model, &flow, NP_SCOPE_IN_FORCE, &verdict);
		allowed += verdict.allowed;
	}
	r.evals_per_s = evaluations / (now_s() - t0);
	counting = 0;
	r.allocations = allocations;
	allocations = 0;
	np_model_free(model);
	free(json);
	if (allowed == (size_t)evaluations)
		fprintf(stderr, "bench: every flow allowed: the policies did not apply\n");
	return r;
}

int main(void)
{
	static const int sizes[][2] = { { 10, 20 }, { 50, 40 }, { 200, 50 } };
	struct result results[3];

	printf("engine: synthetic clusters, deny-all + one allow policy per 10-pod app\n");
	printf("  %7s %10s %14s %14s %12s\n", "pods", "load ms", "evals/s", "bytes/pod", "allocs/eval");
	for (int i = 0; i < 3; i++) {
		results[i] = measure(sizes[i][0], sizes[i][1], 200000);
		printf("  %7d %10.1f %14.0f %14.0f %12.3f\n", results[i].pods, results[i].load_s * 1e3,
		       results[i].evals_per_s, results[i].bytes_per_pod,
		       (double)results[i].allocations / 200000);
	}
	printf("  ratio largest/smallest: pods %.0fx, load time %.1fx, evaluation time %.2fx, "
	       "memory per pod %.2fx\n",
	       (double)results[2].pods / results[0].pods, results[2].load_s / results[0].load_s,
	       results[0].evals_per_s / results[2].evals_per_s,
	       results[2].bytes_per_pod / results[0].bytes_per_pod);
	return 0;
}
