/* observer — kernel programs: load, attach, ring buffer, drain, counters;
 * see observer.h. */
#include "observer.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cgroup.h"
#include "npwatch.skel.h"

#define KERNEL_BTF "/sys/kernel/btf/vmlinux"
#define MOUNT_TABLE "/proc/mounts"
#define MAX_LINKS 16
#define MAX_RINGBUF (1u << 30)
/* Flush rounds before giving up on a ring buffer that refills as fast as
 * it is read. */
#define MAX_FLUSH_ROUNDS 64

struct np_observer {
	struct npwatch_bpf *skel;
	struct ring_buffer *ring;
	struct bpf_link *links[MAX_LINKS];
	size_t n_links;
	char cgroup_root[PATH_MAX];
	uint64_t window_ns; /* 0: no dedup */
	uint32_t ringbuf_bytes;
	uint64_t last_drain_ns;
	int64_t wall_offset_ns; /* CLOCK_REALTIME - CLOCK_MONOTONIC, per poll: clocks step */
	uint64_t decode_errors;
	/* The callback of the poll or flush in progress. */
	np_observation_fn fn;
	void *fn_ctx;
};

static int print_all(enum libbpf_print_level level, const char *format, va_list args)
{
	(void)level;
	return vfprintf(stderr, format, args);
}

static int print_nothing(enum libbpf_print_level level, const char *format, va_list args)
{
	(void)level;
	(void)format;
	(void)args;
	return 0;
}

static int64_t clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static bool has_cap(const struct __user_cap_data_struct caps[2], int cap)
{
	return caps[cap / 32].effective & (1u << (cap % 32));
}

/* Says which capabilities are missing, before libbpf fails on them with
 * less helpful words. */
static int check_privileges(char *err, size_t err_len)
{
	static const struct {
		int cap;
		const char *name;
	} needed[] = {
		{ CAP_BPF, "CAP_BPF" },
		{ CAP_PERFMON, "CAP_PERFMON" },
		{ CAP_NET_ADMIN, "CAP_NET_ADMIN" },
	};
	struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct caps[2] = { 0 };
	char missing[64] = "";

	if (syscall(SYS_capget, &header, caps) != 0)
		return 0; /* cannot tell: loading will say */
	if (has_cap(caps, CAP_SYS_ADMIN))
		return 0;
	for (size_t i = 0; i < sizeof(needed) / sizeof(needed[0]); i++) {
		if (has_cap(caps, needed[i].cap))
			continue;
		if (missing[0])
			strcat(missing, ", ");
		strcat(missing, needed[i].name);
	}
	if (!missing[0])
		return 0;
	snprintf(err, err_len,
		 "observing the kernel needs root (CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN); "
		 "missing %s",
		 missing);
	return -1;
}

static uint32_t ringbuf_size(uint32_t requested)
{
	uint32_t page = (uint32_t)sysconf(_SC_PAGESIZE);
	uint32_t size = page;

	if (requested == 0)
		requested = NP_OBSERVER_DEFAULT_RINGBUF;
	while (size < requested && size < MAX_RINGBUF)
		size <<= 1;
	return size;
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct np_observer *obs = ctx;
	struct np_observation observation;
	char err[160];

	if (np_decode_event(data, size, &observation, err, sizeof(err)) != 0) {
		obs->decode_errors++;
		return 0;
	}
	observation.wall_time_ns = observation.ktime_ns + (uint64_t)obs->wall_offset_ns;
	return obs->fn ? obs->fn(&observation, obs->fn_ctx) : 0;
}

static int load(struct np_observer *obs, const struct np_observer_options *opts, char *err,
		size_t err_len)
{
	int rc;

	obs->skel = npwatch_bpf__open();
	if (!obs->skel) {
		snprintf(err, err_len, "opening the kernel programs failed: %s", strerror(errno));
		return -1;
	}
	obs->skel->rodata->dedup_window_ns = obs->window_ns;
	rc = bpf_map__set_max_entries(obs->skel->maps.events, obs->ringbuf_bytes);
	if (rc == 0)
		rc = npwatch_bpf__load(obs->skel);
	if (rc != 0) {
		const char *hint = " (--verbose shows libbpf's log)";

		if (rc == -EPERM)
			hint = " (needs CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN)";
		else if (opts->verbose)
			hint = "";
		snprintf(err, err_len, "loading the kernel programs failed: %s%s", strerror(-rc),
			 hint);
		return -1;
	}
	return 0;
}

static int attach(struct np_observer *obs, char *err, size_t err_len)
{
	struct bpf_program *prog;
	int cgroup_fd;
	int rc = 0;

	cgroup_fd = open(obs->cgroup_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cgroup_fd < 0) {
		snprintf(err, err_len, "%s: cannot open the cgroup v2 root: %s", obs->cgroup_root,
			 strerror(errno));
		return -1;
	}
	bpf_object__for_each_program(prog, obs->skel->obj) {
		enum bpf_prog_type type = bpf_program__type(prog);
		struct bpf_link *link;

		if (type == BPF_PROG_TYPE_SYSCALL)
			continue; /* the drain: run, not attached */
		if (obs->n_links == MAX_LINKS) {
			snprintf(err, err_len, "more than %d kernel programs to attach", MAX_LINKS);
			rc = -1;
			break;
		}
		if (type == BPF_PROG_TYPE_CGROUP_SOCK_ADDR)
			link = bpf_program__attach_cgroup(prog, cgroup_fd);
		else
			link = bpf_program__attach(prog);
		if (!link) {
			snprintf(err, err_len, "attaching %s%s%s failed: %s",
				 bpf_program__section_name(prog),
				 type == BPF_PROG_TYPE_CGROUP_SOCK_ADDR ? " to " : "",
				 type == BPF_PROG_TYPE_CGROUP_SOCK_ADDR ? obs->cgroup_root : "",
				 strerror(errno));
			rc = -1;
			break;
		}
		obs->links[obs->n_links++] = link;
	}
	close(cgroup_fd);
	return rc;
}

struct np_observer *np_observer_open(const struct np_observer_options *opts, char *err,
				     size_t err_len)
{
	static const struct np_observer_options defaults = { 0 };
	struct np_observer *obs;
	char cgroup_err[PATH_MAX + 64];

	if (!opts)
		opts = &defaults;
	libbpf_set_print(opts->verbose ? print_all : print_nothing);
	if (check_privileges(err, err_len) != 0)
		return NULL;
	if (access(KERNEL_BTF, R_OK) != 0) {
		snprintf(err, err_len,
			 "%s: %s: the kernel has no BTF (it needs CONFIG_DEBUG_INFO_BTF=y)",
			 KERNEL_BTF, strerror(errno));
		return NULL;
	}
	obs = calloc(1, sizeof(*obs));
	if (!obs) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	if (np_cgroup2_mount_find(MOUNT_TABLE, obs->cgroup_root, sizeof(obs->cgroup_root),
				  cgroup_err, sizeof(cgroup_err)) != 0) {
		snprintf(err, err_len, "UDP is observed on the cgroup v2 root, but: %s",
			 cgroup_err);
		goto fail;
	}
	if (!opts->no_dedup)
		obs->window_ns = (uint64_t)(opts->dedup_window_ms ? opts->dedup_window_ms
								  : NP_OBSERVER_DEFAULT_WINDOW_MS) *
				 1000000;
	obs->ringbuf_bytes = ringbuf_size(opts->ringbuf_bytes);
	if (load(obs, opts, err, err_len) != 0 || attach(obs, err, err_len) != 0)
		goto fail;
	obs->ring = ring_buffer__new(bpf_map__fd(obs->skel->maps.events), on_event, obs, NULL);
	if (!obs->ring) {
		snprintf(err, err_len, "opening the ring buffer failed: %s", strerror(errno));
		goto fail;
	}
	obs->last_drain_ns = (uint64_t)clock_ns(CLOCK_MONOTONIC);
	return obs;
fail:
	np_observer_close(obs);
	return NULL;
}

void np_observer_close(struct np_observer *obs)
{
	if (!obs)
		return;
	ring_buffer__free(obs->ring);
	for (size_t i = 0; i < obs->n_links; i++)
		bpf_link__destroy(obs->links[i]);
	npwatch_bpf__destroy(obs->skel);
	free(obs);
}

const char *np_observer_describe(const struct np_observer *obs, char *buf, size_t len)
{
	char window[32];

	if (obs->window_ns)
		snprintf(window, sizeof(window), "%llu ms",
			 (unsigned long long)(obs->window_ns / 1000000));
	else
		snprintf(window, sizeof(window), "off");
	snprintf(buf, len,
		 "observing TCP on tp_btf/inet_sock_set_state and UDP on cgroup "
		 "connect4/6, sendmsg4/6, recvmsg4/6 at %s (%zu programs); dedup window %s; "
		 "ring buffer %u KiB",
		 obs->cgroup_root, obs->n_links, window, obs->ringbuf_bytes / 1024);
	return buf;
}

int np_observer_fd(const struct np_observer *obs)
{
	return ring_buffer__epoll_fd(obs->ring);
}

/* Runs the kernel drain; returns how many flows it left pending (ring
 * buffer full) or a negative errno. */
static int drain(struct np_observer *obs, bool flush_all)
{
	struct np_drain_args args = { .flush_all = flush_all };
	LIBBPF_OPTS(bpf_test_run_opts, run, .ctx_in = &args, .ctx_size_in = sizeof(args));
	int rc;

	rc = bpf_prog_test_run_opts(bpf_program__fd(obs->skel->progs.npwatch_drain), &run);
	obs->last_drain_ns = (uint64_t)clock_ns(CLOCK_MONOTONIC);
	return rc < 0 ? rc : (int)run.retval;
}

/* ring_buffer__consume and __poll: consumed records, or a negative error. */
static int add_consumed(int *total, int rc)
{
	if (rc == -EINTR)
		return 0;
	if (rc < 0)
		return rc;
	*total += rc;
	return 0;
}

static void begin_delivery(struct np_observer *obs, np_observation_fn fn, void *ctx)
{
	obs->fn = fn;
	obs->fn_ctx = ctx;
	obs->wall_offset_ns = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC);
}

int np_observer_poll(struct np_observer *obs, int timeout_ms, np_observation_fn fn, void *ctx)
{
	int total = 0;
	int rc;

	begin_delivery(obs, fn, ctx);
	rc = add_consumed(&total, ring_buffer__poll(obs->ring, timeout_ms));
	if (rc == 0 && obs->window_ns &&
	    (uint64_t)clock_ns(CLOCK_MONOTONIC) - obs->last_drain_ns >= obs->window_ns) {
		rc = drain(obs, false);
		if (rc >= 0)
			rc = add_consumed(&total, ring_buffer__consume(obs->ring));
	}
	obs->fn = NULL;
	return rc < 0 ? rc : total;
}

int np_observer_flush(struct np_observer *obs, np_observation_fn fn, void *ctx)
{
	int total = 0;
	int rc = 0;

	begin_delivery(obs, fn, ctx);
	for (int round = 0; round < MAX_FLUSH_ROUNDS; round++) {
		rc = add_consumed(&total, ring_buffer__consume(obs->ring));
		if (rc < 0 || !obs->window_ns)
			break;
		rc = drain(obs, true);
		if (rc < 0)
			break;
		if (rc == 0) {
			rc = add_consumed(&total, ring_buffer__consume(obs->ring));
			break;
		}
		rc = -EBUSY;
	}
	obs->fn = NULL;
	return rc < 0 ? rc : 0;
}

_Static_assert(NP_CNT_MAX == 6, "a kernel counter is missing from np_observer_counters");

int np_observer_counters(const struct np_observer *obs, struct np_observer_counters *out)
{
	uint64_t *sums[NP_CNT_MAX] = {
		[NP_CNT_EVENTS_SENT] = &out->events_sent,
		[NP_CNT_REPEATS_FOLDED] = &out->repeats_folded,
		[NP_CNT_SUMMARIES_SENT] = &out->summaries_sent,
		[NP_CNT_RINGBUF_LOST] = &out->ringbuf_lost,
		[NP_CNT_SOCKMAP_FAIL] = &out->socket_map_fail,
		[NP_CNT_DEDUP_FAIL] = &out->dedup_map_fail,
	};
	int n_cpus = libbpf_num_possible_cpus();
	int fd = bpf_map__fd(obs->skel->maps.counters);
	uint64_t *per_cpu;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	out->decode_errors = obs->decode_errors;
	if (n_cpus < 0)
		return n_cpus;
	per_cpu = calloc((size_t)n_cpus, sizeof(*per_cpu));
	if (!per_cpu)
		return -ENOMEM;
	for (uint32_t index = 0; index < NP_CNT_MAX; index++) {
		if (bpf_map_lookup_elem(fd, &index, per_cpu) != 0) {
			rc = -errno;
			break;
		}
		for (int cpu = 0; cpu < n_cpus; cpu++)
			*sums[index] += per_cpu[cpu];
	}
	free(per_cpu);
	return rc;
}
