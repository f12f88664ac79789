/* daemon — `npwatch run`: observe flows on this node, judge them, log them.
 *
 * The event loop owns everything and runs on one thread: kernel
 * observations (ring buffer), signals (signalfd), manifest changes
 * (inotify) and a tick (timerfd) for the work that comes due: TCP connects
 * that got no answer, folded log counts, debounced reloads, the kernel's
 * dedup drain. Data moves one way: decode -> name the ends (identity) ->
 * judge (verdict) -> log (flowlog).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "aggregate.h"
#include "cgroup.h"
#include "cli.h"
#include "commands.h"
#include "flowlog.h"
#include "identity.h"
#include "metrics.h"
#include "modelwatch.h"
#include "observer.h"
#include "report.h"
#include "tcptrack.h"
#include "udpreply.h"
#include "verdict.h"

#define TICK_MS 200
#define RELOAD_DEBOUNCE_MS 300
#define TCP_TRACK_MAX 65536
/* A dropped SYN is retried for about two minutes before the socket closes. */
#define TCP_REMEMBER_MS (5 * 60 * 1000)
#define FOLD_KEYS_MAX 65536
#define UDP_REPLY_SLOTS_LOG2 16
#define REPORT_KEYS_MAX 20000

struct run_options {
	struct np_path_list files;
	struct np_path_list staged;
	const char *default_ns;
	const char *log_path;
	const char *node;
	bool all;
	bool verbose;
	unsigned dedup_window_s;
	unsigned fold_window_s;
	unsigned outcome_wait_ms;
	const char *report_dir;
	unsigned report_interval_s;
	unsigned report_max_keys;
	const char *metrics_addr;
};

struct run_stats {
	uint64_t observations;
	uint64_t judged;
	uint64_t written;
	uint64_t other_node; /* flows another node reports */
	uint64_t udp_replies; /* sends that answer a datagram: no flow of their own */
	uint64_t by_verdict[NP_VERDICT_DENY + 1];
	uint64_t reloads_ok, reloads_failed;
	uint64_t snapshots_written, snapshots_failed;
};

struct daemon {
	struct run_options opts;
	struct np_model_watch *models;
	struct np_observer *observer;
	struct np_identity *identity;
	struct np_tcp_tracker *tcp;
	struct np_udp_replies *udp_replies;
	struct np_flowlog *log;
	struct np_aggregate *window; /* with --report-dir */
	struct np_metrics_server *metrics; /* with --metrics */
	uint64_t snapshot_due_ms;
	uint64_t reload_due_ms; /* 0: none */
	bool stopping;
	struct run_stats stats;
};

static const char run_usage[] =
	"Usage: npwatch run -f PATH... [--staged PATH]... [options]\n"
	"\n"
	"Observes the TCP connections and UDP exchanges of this node with eBPF,\n"
	"names both ends from the cluster model and writes one JSON line per flow\n"
	"that the policies deny, or would deny once the staged policies apply.\n"
	"Needs root (CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN), kernel BTF and cgroup v2.\n"
	"\n"
	"  -f, --filename PATH     the cluster model: manifests (files, folders, -),\n"
	"                          as for `npwatch check`; its NetworkPolicies are the\n"
	"                          policies in force. Repeatable\n"
	"      --staged PATH       policies about to be applied (repeatable)\n"
	"  -n, --namespace NS      namespace of objects that state none (default: default)\n"
	"      --node NAME         this node's name (default: $NODE_NAME, else the host name)\n"
	"      --log FILE          append lines to FILE instead of stdout (reopened on SIGHUP)\n"
	"      --all               write allowed flows too\n"
	"      --dedup-window SEC  repeats of a flow within SEC are counted in the kernel,\n"
	"                          not sent one by one (default 10; 0 sends every one)\n"
	"      --fold-window SEC   repeats of a violation within SEC are written as one\n"
	"                          line with a count when the window closes (default 60;\n"
	"                          0 writes every one)\n"
	"      --outcome-wait MS   how long a TCP connect may wait for an answer before\n"
	"                          it counts as not getting through (default 1000)\n"
	"      --report-dir DIR    write observation-window snapshots there (gzip JSON,\n"
	"                          for `npwatch report`, `suggest` and `diff`): every\n"
	"                          flow this node reports, by workload pair, with counts\n"
	"                          and the events lost in the window\n"
	"      --report-interval SEC  one snapshot every SEC (default 60) and one at exit\n"
	"      --report-max-keys N distinct workload pairs kept per window (default 20000);\n"
	"                          flows past it are counted as overflow\n"
	"      --metrics ADDR      serve counters for Prometheus on HOST:PORT, [IPV6]:PORT\n"
	"                          or :PORT (GET /metrics): flows by verdict, events lost,\n"
	"                          reloads, snapshots, the model's size\n"
	"  -v, --verbose           libbpf's and the verifier's messages on stderr\n"
	"  -h, --help              this help\n"
	"\n"
	"The model is reloaded on SIGHUP and when its files change; a reload that\n"
	"fails keeps the last good model. SIGINT or SIGTERM stop it cleanly: pending\n"
	"counts are written first. Lines are described in the README (Violation log).\n"
	"\n"
	"Exit status: 0 stopped by a signal, 1 runtime failure, 2 bad usage or bad input.\n";

/* ---- options ------------------------------------------------------------------- */

static bool parse_unsigned(const char *text, unsigned max, unsigned *out)
{
	char *end;
	unsigned long value;

	if (!text || *text < '0' || *text > '9')
		return false;
	errno = 0;
	value = strtoul(text, &end, 10);
	if (errno || *end || value > max)
		return false;
	*out = (unsigned)value;
	return true;
}

static int parse_options(int argc, char **argv, struct run_options *opts)
{
	enum { OPT_STAGED = 256, OPT_NODE, OPT_LOG, OPT_ALL, OPT_DEDUP, OPT_FOLD, OPT_WAIT,
	       OPT_REPORT_DIR, OPT_REPORT_INTERVAL, OPT_REPORT_KEYS, OPT_METRICS };
	static const struct option longopts[] = {
		{ "filename", required_argument, NULL, 'f' },
		{ "staged", required_argument, NULL, OPT_STAGED },
		{ "namespace", required_argument, NULL, 'n' },
		{ "node", required_argument, NULL, OPT_NODE },
		{ "log", required_argument, NULL, OPT_LOG },
		{ "all", no_argument, NULL, OPT_ALL },
		{ "dedup-window", required_argument, NULL, OPT_DEDUP },
		{ "fold-window", required_argument, NULL, OPT_FOLD },
		{ "outcome-wait", required_argument, NULL, OPT_WAIT },
		{ "report-dir", required_argument, NULL, OPT_REPORT_DIR },
		{ "report-interval", required_argument, NULL, OPT_REPORT_INTERVAL },
		{ "report-max-keys", required_argument, NULL, OPT_REPORT_KEYS },
		{ "metrics", required_argument, NULL, OPT_METRICS },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "f:n:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'f': np_path_list_add(&opts->files, optarg); break;
		case OPT_STAGED: np_path_list_add(&opts->staged, optarg); break;
		case 'n': opts->default_ns = optarg; break;
		case OPT_NODE: opts->node = optarg; break;
		case OPT_LOG: opts->log_path = optarg; break;
		case OPT_ALL: opts->all = true; break;
		case 'v': opts->verbose = true; break;
		case OPT_DEDUP:
			if (!parse_unsigned(optarg, 3600, &opts->dedup_window_s))
				return np_cli_usage_error("run", "--dedup-window %s: expected 0 to 3600 seconds", optarg);
			break;
		case OPT_FOLD:
			if (!parse_unsigned(optarg, 86400, &opts->fold_window_s))
				return np_cli_usage_error("run", "--fold-window %s: expected 0 to 86400 seconds", optarg);
			break;
		case OPT_WAIT:
			if (!parse_unsigned(optarg, 600000, &opts->outcome_wait_ms))
				return np_cli_usage_error("run", "--outcome-wait %s: expected 0 to 600000 ms", optarg);
			break;
		case OPT_REPORT_DIR: opts->report_dir = optarg; break;
		case OPT_METRICS: opts->metrics_addr = optarg; break;
		case OPT_REPORT_INTERVAL:
			if (!parse_unsigned(optarg, 86400, &opts->report_interval_s) ||
			    opts->report_interval_s == 0)
				return np_cli_usage_error("run", "--report-interval %s: expected 1 to 86400 seconds", optarg);
			break;
		case OPT_REPORT_KEYS:
			if (!parse_unsigned(optarg, 10000000, &opts->report_max_keys) ||
			    opts->report_max_keys == 0)
				return np_cli_usage_error("run", "--report-max-keys %s: expected 1 to 10000000", optarg);
			break;
		case 'h': fputs(run_usage, stdout); exit(NP_EXIT_OK);
		default: return np_cli_usage_error("run", "bad option");
		}
	}
	if (optind < argc)
		return np_cli_usage_error("run", "unexpected argument \"%s\" (manifests go after -f)",
					  argv[optind]);
	if (opts->files.count == 0)
		return np_cli_usage_error("run", "no cluster model: give at least one -f PATH");
	for (size_t i = 0; i < opts->files.count; i++)
		if (strcmp(opts->files.paths[i], "-") == 0)
			return np_cli_usage_error("run", "-f -: the daemon reloads its model from files, "
						  "and standard input cannot be read twice; save it to a file");
	return NP_EXIT_OK;
}

static const char *default_node_name(char *buf, size_t len)
{
	const char *env = getenv("NODE_NAME");

	if (env && *env)
		return env;
	if (gethostname(buf, len) != 0)
		snprintf(buf, len, "localhost");
	buf[len - 1] = '\0';
	return buf;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- judging one observation -------------------------------------------------------- */

static void observation_time(const struct np_observation *obs, struct timespec *when)
{
	if (obs->wall_time_ns) {
		when->tv_sec = (time_t)(obs->wall_time_ns / 1000000000);
		when->tv_nsec = (long)(obs->wall_time_ns % 1000000000);
	} else {
		clock_gettime(CLOCK_REALTIME, when);
	}
}

/* A Service stands for its backends: judge each and report the first that
 * is not allowed (kube-proxy's choice of backend is not visible here), or
 * the first backend when all are. */
static void judge_backends(struct daemon *d, const struct np_named_flow *named,
			   enum np_outcome outcome, bool has_staged, struct np_flow *flow,
			   struct np_judgement *judgement)
{
	for (size_t i = 0; i < named->n_backends; i++) {
		flow->dst = named->backends[i].end;
		flow->port = named->backends[i].port;
		np_judge(np_model_watch_current(d->models), flow, outcome, has_staged, judgement);
		if (judgement->verdict != NP_VERDICT_ALLOW)
			return;
	}
	flow->dst = named->backends[0].end;
	flow->port = named->backends[0].port;
	np_judge(np_model_watch_current(d->models), flow, outcome, has_staged, judgement);
}

static void judge_and_log(struct daemon *d, const struct np_observation *obs,
			  enum np_outcome outcome, uint64_t count)
{
	const struct np_model *model = np_model_watch_current(d->models);
	bool has_staged = np_model_watch_has_staged(d->models);
	struct np_named_flow named;
	struct np_judgement judgement;
	struct np_flow flow = { .port = obs->dst.port, .proto = obs->proto };
	struct np_flow_event event = { 0 };

	if (count == 0)
		return;
	np_identity_name(d->identity, model, obs, &named);
	if (!np_identity_reports_here(obs, &named)) {
		d->stats.other_node += count;
		return;
	}
	flow.src = named.src;
	flow.dst = named.dst;
	if (named.service && named.n_backends > 0)
		judge_backends(d, &named, outcome, has_staged, &flow, &judgement);
	else
		np_judge(model, &flow, outcome, has_staged, &judgement);
	d->stats.judged += count;
	d->stats.by_verdict[judgement.verdict] += count;

	observation_time(obs, &event.when);
	event.inbound = obs->direction == NP_FLOW_INBOUND;
	event.src_ip = obs->src.ip.family ? obs->src.ip : flow.src.ip;
	event.dst_ip = obs->dst.ip.family ? obs->dst.ip : flow.dst.ip;
	event.src_port = obs->src.port;
	event.dst_port = obs->dst.port;
	event.flow = &flow;
	event.service = named.n_backends > 0 ? named.service : NULL;
	event.judgement = &judgement;
	event.outcome = outcome;
	event.pid = obs->tgid;
	event.comm = obs->has_process ? obs->comm : NULL;
	event.cgroup_id = obs->cgroup_id;
	event.cgroup_path = named.cgroup_path[0] ? named.cgroup_path : NULL;
	event.count = count;
	if (d->window)
		np_aggregate_add(d->window, &event);
	if (judgement.verdict == NP_VERDICT_ALLOW && !d->opts.all)
		return;
	np_flowlog_write(d->log, &event);
	d->stats.written++;
}

static void on_tcp_expired(const struct np_observation *connect, void *ctx)
{
	/* No answer within the wait: the SYN did not get through. */
	judge_and_log(ctx, connect, NP_OUTCOME_FAILED, 1);
}

static void on_tcp_outcome(struct daemon *d, const struct np_observation *obs,
			   enum np_outcome outcome)
{
	if (obs->summary) {
		judge_and_log(d, obs, outcome, obs->repeat_count);
		return;
	}
	switch (np_tcp_tracker_resolve(d->tcp, obs->flow_id)) {
	case NP_TCP_EXPIRED:
		/* Judged at expiry as not getting through; only a late
		 * establishment is news about this connection itself. */
		judge_and_log(d, obs, outcome,
			      obs->repeat_count + (outcome == NP_OUTCOME_ESTABLISHED));
		break;
	case NP_TCP_WAITING:
	case NP_TCP_UNKNOWN:
		judge_and_log(d, obs, outcome, np_observation_occurrences(obs));
		break;
	}
}

static int on_observation(const struct np_observation *obs, void *ctx)
{
	struct daemon *d = ctx;

	d->stats.observations++;
	switch (obs->hook) {
	case NP_HOOK_TCP_CONNECT:
		/* Counted by their outcomes, which the kernel folds alike. */
		if (!obs->summary && !np_tcp_tracker_add(d->tcp, obs, now_ms()))
			judge_and_log(d, obs, NP_OUTCOME_PENDING, 1);
		break;
	case NP_HOOK_TCP_ESTABLISHED: on_tcp_outcome(d, obs, NP_OUTCOME_ESTABLISHED); break;
	case NP_HOOK_TCP_FAILED: on_tcp_outcome(d, obs, NP_OUTCOME_FAILED); break;
	case NP_HOOK_TCP_ACCEPT:
		judge_and_log(d, obs, NP_OUTCOME_ESTABLISHED, np_observation_occurrences(obs));
		break;
	case NP_HOOK_UDP_RECVMSG:
		/* A reply on a connected socket belongs to the flow its connect
		 * already reported. */
		if (obs->connected_socket)
			break;
		np_udp_replies_note(d->udp_replies, obs, now_ms());
		judge_and_log(d, obs, NP_OUTCOME_UNKNOWN, np_observation_occurrences(obs));
		break;
	case NP_HOOK_UDP_SENDMSG:
		if (np_udp_replies_is_reply(d->udp_replies, obs, now_ms())) {
			d->stats.udp_replies += np_observation_occurrences(obs);
			break;
		}
		/* fall through */
	case NP_HOOK_UDP_CONNECT:
		judge_and_log(d, obs, NP_OUTCOME_UNKNOWN, np_observation_occurrences(obs));
		break;
	}
	return 0;
}

/* ---- observation-window snapshots ---------------------------------------------------------- */

/* Everything counted so far that a report's coverage is made of. */
static void coverage_now(const struct daemon *d, struct np_coverage *out)
{
	struct np_observer_counters counters;

	memset(out, 0, sizeof(*out));
	if (np_observer_counters(d->observer, &counters) != 0)
		memset(&counters, 0, sizeof(counters));
	out->observations = d->stats.observations;
	out->ringbuf_lost = counters.ringbuf_lost;
	out->socket_map_lost = counters.socket_map_fail;
	out->dedup_map_lost = counters.dedup_map_fail;
	out->undecodable = counters.decode_errors;
	out->tracker_lost = np_tcp_tracker_refused(d->tcp);
}

static void write_snapshot(struct daemon *d)
{
	struct np_coverage coverage;
	struct np_report report;
	char path[PATH_MAX], err[1024];
	time_t now = time(NULL);

	d->snapshot_due_ms = now_ms() + (uint64_t)d->opts.report_interval_s * 1000;
	coverage_now(d, &coverage);
	np_aggregate_report(d->window, np_model_watch_current(d->models), d->opts.node, now,
			    &coverage, &report);
	if (np_snapshot_write(&report, d->opts.report_dir, path, sizeof(path), err,
			      sizeof(err)) != 0) {
		/* The window goes on: the next snapshot covers it. */
		fprintf(stderr, "npwatch run: snapshot not written: %s\n", err);
		d->stats.snapshots_failed++;
	} else {
		d->stats.snapshots_written++;
		fprintf(stderr, "npwatch run: wrote %s (%zu workload pairs)\n", path, report.n_flows);
		np_aggregate_reset(d->window, now, &coverage);
	}
	np_report_free(&report);
}

/* ---- metrics ---------------------------------------------------------------------------------- */

static void metrics_values(const struct daemon *d, struct np_metrics_values *v)
{
	const struct np_model *model = np_model_watch_current(d->models);
	struct np_coverage coverage;

	memset(v, 0, sizeof(*v));
	coverage_now(d, &coverage);
	v->observations = d->stats.observations;
	memcpy(v->flows, d->stats.by_verdict, sizeof(v->flows));
	v->other_node = d->stats.other_node;
	v->udp_replies = d->stats.udp_replies;
	v->lines_written = d->stats.written;
	v->lost_ringbuf = coverage.ringbuf_lost;
	v->lost_socket_map = coverage.socket_map_lost;
	v->lost_dedup_map = coverage.dedup_map_lost;
	v->lost_undecodable = coverage.undecodable;
	v->lost_tracker = coverage.tracker_lost;
	v->reloads_ok = d->stats.reloads_ok;
	v->reloads_failed = d->stats.reloads_failed;
	v->snapshots_written = d->stats.snapshots_written;
	v->snapshots_failed = d->stats.snapshots_failed;
	for (size_t i = 0; i < model->n_policies; i++) {
		if (model->policies[i].staged)
			v->policies_staged++;
		else
			v->policies_in_force++;
	}
	v->pods = model->n_pods;
}

static void on_metrics(struct daemon *d, int fd)
{
	struct np_metrics_values values;

	metrics_values(d, &values);
	np_metrics_handle(d->metrics, fd, &values);
}

/* ---- model reloads ----------------------------------------------------------------------- */

static void reload(struct daemon *d, const char *why)
{
	char err[2048], desc[256];

	d->reload_due_ms = 0;
	if (np_model_watch_reload(d->models, err, sizeof(err)) != 0) {
		fprintf(stderr, "npwatch run: reload (%s) failed, keeping the last good model: %s\n",
			why, err);
		d->stats.reloads_failed++;
		return;
	}
	d->stats.reloads_ok++;
	np_model_describe(np_model_watch_current(d->models), desc, sizeof(desc));
	fprintf(stderr, "npwatch run: reloaded (%s): %s\n", why, desc);
}

/* ---- the event loop -------------------------------------------------------------------------- */

static int add_fd(int epoll_fd, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	return fd < 0 ? 0 : epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev);
}

static int open_signals(void)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	return signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
}

static int open_ticker(void)
{
	struct itimerspec every = { .it_interval = { 0, TICK_MS * 1000000L },
				    .it_value = { 0, TICK_MS * 1000000L } };
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);

	if (fd >= 0)
		timerfd_settime(fd, 0, &every, NULL);
	return fd;
}

static void on_signal(struct daemon *d, int fd)
{
	struct signalfd_siginfo info;
	char err[512];

	while (read(fd, &info, sizeof(info)) == sizeof(info)) {
		if (info.ssi_signo != SIGHUP) {
			d->stopping = true;
			continue;
		}
		reload(d, "SIGHUP");
		if (np_flowlog_reopen(d->log, err, sizeof(err)) != 0)
			fprintf(stderr, "npwatch run: %s (still writing to the old file)\n", err);
	}
}

static void on_tick(struct daemon *d, int fd)
{
	uint64_t expirations;
	struct timespec mono;

	while (read(fd, &expirations, sizeof(expirations)) > 0)
		;
	np_tcp_tracker_expire(d->tcp, now_ms(), on_tcp_expired, d);
	if (d->reload_due_ms && now_ms() >= d->reload_due_ms)
		reload(d, "manifests changed");
	/* Runs the kernel's dedup drain when its window has passed. */
	np_observer_poll(d->observer, 0, on_observation, d);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	np_flowlog_tick(d->log, &mono);
	if (d->window && now_ms() >= d->snapshot_due_ms)
		write_snapshot(d);
	if (d->metrics)
		np_metrics_expire(d->metrics, now_ms());
}

static void note_manifest_change(struct daemon *d)
{
	/* Editors write in bursts: reload once they are done. */
	if (np_model_watch_changed(d->models))
		d->reload_due_ms = now_ms() + RELOAD_DEBOUNCE_MS;
}

static int event_loop(struct daemon *d)
{
	int epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	int signal_fd = open_signals();
	int tick_fd = open_ticker();
	int ring_fd = np_observer_fd(d->observer);
	int watch_fd = np_model_watch_fd(d->models);
	int status = NP_EXIT_OK;

	char err[512];

	if (epoll_fd < 0 || signal_fd < 0 || tick_fd < 0 || add_fd(epoll_fd, signal_fd) ||
	    add_fd(epoll_fd, tick_fd) || add_fd(epoll_fd, ring_fd) || add_fd(epoll_fd, watch_fd)) {
		fprintf(stderr, "npwatch run: cannot set up the event loop: %s\n", strerror(errno));
		status = NP_EXIT_FAILURE;
	} else if (d->opts.metrics_addr &&
		   !(d->metrics = np_metrics_open(d->opts.metrics_addr, epoll_fd, err, sizeof(err)))) {
		fprintf(stderr, "npwatch run: %s\n", err);
		status = NP_EXIT_FAILURE;
	} else if (d->metrics) {
		fprintf(stderr, "npwatch run: serving metrics on %s (GET /metrics)\n",
			d->opts.metrics_addr);
	}
	while (status == NP_EXIT_OK && !d->stopping) {
		struct epoll_event events[8];
		int n = epoll_wait(epoll_fd, events, 8, -1);

		if (n < 0 && errno != EINTR) {
			fprintf(stderr, "npwatch run: epoll_wait: %s\n", strerror(errno));
			status = NP_EXIT_FAILURE;
		}
		for (int i = 0; i < n; i++) {
			int fd = events[i].data.fd;

			if (fd == signal_fd)
				on_signal(d, fd);
			else if (fd == tick_fd)
				on_tick(d, fd);
			else if (fd == ring_fd)
				np_observer_poll(d->observer, 0, on_observation, d);
			else if (fd == watch_fd)
				note_manifest_change(d);
			else if (d->metrics)
				on_metrics(d, fd);
		}
	}
	np_metrics_close(d->metrics);
	d->metrics = NULL;
	close(tick_fd);
	close(signal_fd);
	close(epoll_fd);
	return status;
}

/* ---- start and stop ------------------------------------------------------------------------------ */

static void announce(const struct daemon *d)
{
	char attached[512], model[256];

	np_observer_describe(d->observer, attached, sizeof(attached));
	np_model_describe(np_model_watch_current(d->models), model, sizeof(model));
	fprintf(stderr, "npwatch run: watching node %s: %s; model: %s\n", d->opts.node, attached,
		model);
}

static void report_totals(const struct daemon *d)
{
	struct np_observer_counters counters;

	if (np_observer_counters(d->observer, &counters) != 0)
		memset(&counters, 0, sizeof(counters));
	fprintf(stderr,
		"npwatch run: stopped: %" PRIu64 " observations, %" PRIu64 " flows judged here, "
		"%" PRIu64 " reported by other nodes, %" PRIu64 " UDP replies, %" PRIu64
		" lines written; lost: %" PRIu64
		" (ring buffer full), %" PRIu64 " (socket map full), %" PRIu64
		" (dedup map full), %" PRIu64 " (undecodable), %" PRIu64 " (connect tracker full)\n",
		d->stats.observations, d->stats.judged, d->stats.other_node, d->stats.udp_replies,
		d->stats.written,
		counters.ringbuf_lost, counters.socket_map_fail, counters.dedup_map_fail,
		counters.decode_errors, np_tcp_tracker_refused(d->tcp));
}

static void stop(struct daemon *d)
{
	int rc = np_observer_flush(d->observer, on_observation, d);

	if (rc < 0)
		fprintf(stderr, "npwatch run: final flush incomplete: %s\n", strerror(-rc));
	/* Still waiting at exit: judged with their outcome unknown. */
	np_tcp_tracker_drain(d->tcp, on_tcp_expired, d);
	if (d->window)
		write_snapshot(d);
	report_totals(d);
}

static int start_window(struct daemon *d, char *err, size_t len)
{
	struct np_coverage coverage;
	struct stat st;

	if (!d->opts.report_dir)
		return NP_EXIT_OK;
	if (stat(d->opts.report_dir, &st) != 0 || !S_ISDIR(st.st_mode) ||
	    access(d->opts.report_dir, W_OK) != 0) {
		snprintf(err, len, "--report-dir %s: not a writable folder", d->opts.report_dir);
		return NP_EXIT_USAGE;
	}
	coverage_now(d, &coverage);
	d->window = np_aggregate_new(d->opts.report_max_keys, time(NULL), &coverage);
	if (!d->window) {
		snprintf(err, len, "out of memory");
		return NP_EXIT_FAILURE;
	}
	d->snapshot_due_ms = now_ms() + (uint64_t)d->opts.report_interval_s * 1000;
	return NP_EXIT_OK;
}

static int start(struct daemon *d, char *err, size_t len)
{
	struct np_observer_options observe = {
		.dedup_window_ms = d->opts.dedup_window_s * 1000,
		.no_dedup = d->opts.dedup_window_s == 0,
		.verbose = d->opts.verbose,
	};
	struct np_flowlog_options log = {
		.path = d->opts.log_path,
		.node = d->opts.node,
		.fold_seconds = d->opts.fold_window_s,
		.max_keys = FOLD_KEYS_MAX,
	};
	char cgroup_root[PATH_MAX];

	d->observer = np_observer_open(&observe, err, len);
	if (!d->observer)
		return NP_EXIT_FAILURE;
	if (np_cgroup2_mount_find("/proc/mounts", cgroup_root, sizeof(cgroup_root), err, len) != 0)
		return NP_EXIT_FAILURE;
	d->identity = np_identity_new(d->opts.node, cgroup_root, err, len);
	if (!d->identity)
		return NP_EXIT_FAILURE;
	d->tcp = np_tcp_tracker_new(TCP_TRACK_MAX, d->opts.outcome_wait_ms, TCP_REMEMBER_MS);
	/* Replies come within a dedup window of the datagram they answer, whose
	 * event may itself be folded into the window before. */
	d->udp_replies = np_udp_replies_new(UDP_REPLY_SLOTS_LOG2,
					    2 * (uint64_t)d->opts.dedup_window_s * 1000 + 30000);
	if (!d->tcp || !d->udp_replies) {
		snprintf(err, len, "out of memory");
		return NP_EXIT_FAILURE;
	}
	d->log = np_flowlog_open(&log, err, len);
	if (!d->log)
		return NP_EXIT_FAILURE;
	return start_window(d, err, len);
}

static void teardown(struct daemon *d)
{
	np_aggregate_free(d->window);
	np_flowlog_close(d->log);
	np_tcp_tracker_free(d->tcp);
	np_udp_replies_free(d->udp_replies);
	np_identity_free(d->identity);
	np_observer_close(d->observer);
	np_model_watch_close(d->models);
}

int np_cmd_run(int argc, char **argv)
{
	struct daemon d = { .opts = { .dedup_window_s = 10, .fold_window_s = 60,
				      .outcome_wait_ms = 1000, .report_interval_s = 60,
				      .report_max_keys = REPORT_KEYS_MAX } };
	char err[2048], hostname[256];
	int status = parse_options(argc, argv, &d.opts);

	if (status != NP_EXIT_OK)
		goto out;
	if (!d.opts.node)
		d.opts.node = default_node_name(hostname, sizeof(hostname));
	d.models = np_model_watch_open(&d.opts.files, &d.opts.staged, d.opts.default_ns, err,
				       sizeof(err));
	if (!d.models) {
		fprintf(stderr, "npwatch run: %s\n", err);
		status = NP_EXIT_USAGE;
		goto out;
	}
	status = start(&d, err, sizeof(err));
	if (status != NP_EXIT_OK) {
		fprintf(stderr, "npwatch run: %s\n", err);
	} else {
		announce(&d);
		status = event_loop(&d);
		stop(&d);
	}
	teardown(&d);
out:
	np_path_list_free(&d.opts.files);
	np_path_list_free(&d.opts.staged);
	return status;
}
