/* Unit tests for observer, against the running kernel (as root): loopback
 * TCP and UDP traffic made here must come back as observations with the
 * right ends, ports, process, cgroup and counts; and opening fails with one
 * clear line without privileges, kernel BTF or a cgroup v2 mount (each
 * checked in a child process and mount namespace of its own). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "observer.h"

#define MAX_SEEN 4096
#define BURST 20

struct seen {
	struct np_observation items[MAX_SEEN];
	size_t count;
	uint64_t netns_cookie; /* ours: observations of other namespaces are dropped */
};

static int collect(const struct np_observation *obs, void *ctx)
{
	struct seen *seen = ctx;

	if (obs->netns_cookie == seen->netns_cookie && seen->count < MAX_SEEN)
		seen->items[seen->count++] = *obs;
	return 0;
}

static uint64_t own_netns_cookie(void)
{
	uint64_t cookie = 0;
	socklen_t len = sizeof(cookie);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len), 0);
	close(fd);
	return cookie;
}

/* The inode number of our cgroup v2 directory, which is its cgroup id. */
static uint64_t own_cgroup_id(void)
{
	char root[PATH_MAX], err[PATH_MAX + 64], line[PATH_MAX], path[2 * PATH_MAX];
	struct stat st;
	FILE *file;

	assert_int_equal(np_cgroup2_mount_find("/proc/mounts", root, sizeof(root), err,
					       sizeof(err)),
			 0);
	file = fopen("/proc/self/cgroup", "r");
	assert_non_null(file);
	path[0] = '\0';
	while (fgets(line, sizeof(line), file)) {
		if (strncmp(line, "0::", 3) == 0) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(path, sizeof(path), "%s%s", root, line + 3);
		}
	}
	fclose(file);
	assert_true(path[0] != '\0');
	assert_int_equal(stat(path, &st), 0);
	return st.st_ino;
}

static uint16_t local_port(int fd)
{
	struct sockaddr_storage addr;
	socklen_t len = sizeof(addr);

	assert_int_equal(getsockname(fd, (struct sockaddr *)&addr, &len), 0);
	return ntohs(addr.ss_family == AF_INET ? ((struct sockaddr_in *)&addr)->sin_port
					       : ((struct sockaddr_in6 *)&addr)->sin6_port);
}

static int bound_socket(int family, int type, struct sockaddr_storage *addr, socklen_t *len)
{
	int fd = socket(family, type | SOCK_CLOEXEC, 0);

	memset(addr, 0, sizeof(*addr));
	if (family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)addr;

		in->sin_family = AF_INET;
		in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		*len = sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)addr;

		in6->sin6_family = AF_INET6;
		in6->sin6_addr = in6addr_loopback;
		*len = sizeof(*in6);
	}
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)addr, *len), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)addr, len), 0);
	return fd;
}

static struct np_observer *open_observer(void)
{
	struct np_observer_options opts = { .dedup_window_ms = 60000 };
	struct np_observer *obs;
	char err[512];

	obs = np_observer_open(&opts, err, sizeof(err));
	if (!obs)
		fail_msg("np_observer_open: %s", err);
	return obs;
}

/* Polls for a while, then flushes so that every count is final. */
static void gather(struct np_observer *obs, struct seen *seen)
{
	for (int i = 0; i < 5; i++)
		assert_true(np_observer_poll(obs, 50, collect, seen) >= 0);
	assert_int_equal(np_observer_flush(obs, collect, seen), 0);
}

/* Occurrences of hook whose remote end has port remote_port; *first gets
 * the first such observation that is not a summary. */
static uint64_t occurrences(const struct seen *seen, enum np_event_hook hook,
			    uint16_t remote_port, struct np_observation *first)
{
	uint64_t total = 0;
	bool found = false;

	for (size_t i = 0; i < seen->count; i++) {
		const struct np_observation *obs = &seen->items[i];

		if (obs->hook != hook || np_observation_remote(obs)->port != remote_port)
			continue;
		total += np_observation_occurrences(obs);
		if (!found && !obs->summary) {
			*first = *obs;
			found = true;
		}
	}
	if (!found)
		fail_msg("no %s observation with remote port %u", np_hook_name(hook), remote_port);
	return total;
}

static void assert_own_process(const struct np_observation *obs, uint64_t cgroup_id)
{
	char comm[NP_COMM_LEN + 1] = "";
	FILE *file = fopen("/proc/self/comm", "r");

	assert_non_null(file);
	assert_non_null(fgets(comm, sizeof(comm), file));
	fclose(file);
	comm[strcspn(comm, "\n")] = '\0';
	assert_true(obs->has_process);
	assert_int_equal(obs->tgid, getpid());
	assert_string_equal(obs->comm, comm);
	assert_int_equal(obs->cgroup_id, cgroup_id);
}

static void describes_what_it_attached(void **state)
{
	struct np_observer *obs = open_observer();
	char root[PATH_MAX], err[PATH_MAX + 64], line[1024];
	struct np_observer_counters counters;

	(void)state;
	assert_int_equal(np_cgroup2_mount_find("/proc/mounts", root, sizeof(root), err,
					       sizeof(err)),
			 0);
	np_observer_describe(obs, line, sizeof(line));
	assert_non_null(strstr(line, "tp_btf/inet_sock_set_state"));
	assert_non_null(strstr(line, root));
	assert_non_null(strstr(line, "(7 programs)"));
	assert_non_null(strstr(line, "dedup window 60000 ms; ring buffer 1024 KiB"));
	assert_true(np_observer_fd(obs) >= 0);
	assert_int_equal(np_observer_counters(obs, &counters), 0);
	assert_int_equal(counters.ringbuf_lost, 0);
	assert_int_equal(counters.decode_errors, 0);
	np_observer_close(obs);
}

static void udp_burst(int family)
{
	struct np_observer *obs = open_observer();
	struct seen *seen = calloc(1, sizeof(*seen));
	struct np_observation sent, received;
	struct sockaddr_storage to, from;
	socklen_t to_len, from_len;
	struct timespec now;
	uint64_t now_ns;
	int receiver, sender;
	uint16_t port;
	char byte = 'x';

	assert_non_null(seen);
	seen->netns_cookie = own_netns_cookie();
	receiver = bound_socket(family, SOCK_DGRAM, &to, &to_len);
	port = local_port(receiver);
	sender = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(sender >= 0);
	for (int i = 0; i < BURST; i++) {
		assert_int_equal(sendto(sender, &byte, 1, 0, (struct sockaddr *)&to, to_len), 1);
		from_len = sizeof(from);
		assert_int_equal(recvfrom(receiver, &byte, 1, 0, (struct sockaddr *)&from,
					  &from_len),
				 1);
	}
	gather(obs, seen);
	clock_gettime(CLOCK_REALTIME, &now);
	now_ns = (uint64_t)now.tv_sec * 1000000000 + (uint64_t)now.tv_nsec;

	assert_int_equal(occurrences(seen, NP_HOOK_UDP_SENDMSG, port, &sent), BURST);
	assert_int_equal(sent.direction, NP_FLOW_OUTBOUND);
	assert_int_equal(sent.proto, NP_PROTO_UDP);
	assert_int_equal(sent.src.port, local_port(sender));
	assert_int_equal(sent.dst.ip.family, family);
	assert_int_equal(sent.repeat_count, 0);
	assert_true(sent.ktime_ns > 0);
	assert_true(sent.wall_time_ns > now_ns - 60000000000ull && sent.wall_time_ns <= now_ns);
	assert_own_process(&sent, own_cgroup_id());

	/* recvmsg: the datagram's source is the remote end and the source. */
	assert_int_equal(occurrences(seen, NP_HOOK_UDP_RECVMSG, local_port(sender), &received),
			 BURST);
	assert_int_equal(received.direction, NP_FLOW_INBOUND);
	assert_int_equal(received.dst.port, port);
	assert_int_equal(received.dst.ip.family, family); /* bound to loopback: known */
	assert_false(received.connected_socket);
	assert_own_process(&received, own_cgroup_id());
	assert_int_not_equal(sent.flow_id, received.flow_id); /* two sockets */

	close(sender);
	close(receiver);
	free(seen);
	np_observer_close(obs);
}

static void udp_ipv4_burst_is_counted_exactly(void **state)
{
	(void)state;
	udp_burst(AF_INET);
}

static void udp_ipv6_burst_is_counted_exactly(void **state)
{
	(void)state;
	udp_burst(AF_INET6);
}

static void tcp_outcomes(int family)
{
	struct np_observer *obs = open_observer();
	struct seen *seen = calloc(1, sizeof(*seen));
	struct np_observation connect_ok, established, accepted, connect_refused, failed;
	struct sockaddr_storage listen_addr, closed_addr;
	socklen_t listen_len, closed_len;
	int listener, closed, client, refused, server;
	uint16_t listen_port, closed_port;
	uint64_t cgroup_id = own_cgroup_id();

	assert_non_null(seen);
	seen->netns_cookie = own_netns_cookie();
	listener = bound_socket(family, SOCK_STREAM, &listen_addr, &listen_len);
	assert_int_equal(listen(listener, 4), 0);
	listen_port = local_port(listener);
	closed = bound_socket(family, SOCK_STREAM, &closed_addr, &closed_len); /* no listen */
	closed_port = local_port(closed);

	client = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(connect(client, (struct sockaddr *)&listen_addr, listen_len), 0);
	server = accept(listener, NULL, NULL);
	assert_true(server >= 0);
	refused = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(connect(refused, (struct sockaddr *)&closed_addr, closed_len), -1);
	assert_int_equal(errno, ECONNREFUSED);
	gather(obs, seen);

	assert_int_equal(occurrences(seen, NP_HOOK_TCP_CONNECT, listen_port, &connect_ok), 1);
	assert_int_equal(connect_ok.src.port, 0); /* chosen after SYN_SENT */
	assert_own_process(&connect_ok, cgroup_id);
	assert_int_equal(occurrences(seen, NP_HOOK_TCP_ESTABLISHED, listen_port, &established), 1);
	assert_int_equal(established.flow_id, connect_ok.flow_id);
	assert_int_equal(established.src.port, local_port(client));
	assert_int_equal(established.src.ip.family, family);
	assert_own_process(&established, cgroup_id);

	assert_int_equal(occurrences(seen, NP_HOOK_TCP_ACCEPT, local_port(client), &accepted), 1);
	assert_int_equal(accepted.direction, NP_FLOW_INBOUND);
	assert_int_equal(accepted.dst.port, listen_port);
	assert_int_equal(accepted.src.port, local_port(client));
	assert_false(accepted.has_process);
	assert_int_equal(accepted.cgroup_id, cgroup_id); /* the listener's cgroup */

	assert_int_equal(occurrences(seen, NP_HOOK_TCP_CONNECT, closed_port, &connect_refused), 1);
	assert_int_equal(occurrences(seen, NP_HOOK_TCP_FAILED, closed_port, &failed), 1);
	assert_int_equal(failed.flow_id, connect_refused.flow_id);
	assert_own_process(&failed, cgroup_id);

	close(server);
	close(client);
	close(refused);
	close(closed);
	close(listener);
	free(seen);
	np_observer_close(obs);
}

static void tcp_ipv4_outcomes(void **state)
{
	(void)state;
	tcp_outcomes(AF_INET);
}

static void tcp_ipv6_outcomes(void **state)
{
	(void)state;
	tcp_outcomes(AF_INET6);
}

/* Runs np_observer_open in a child after prepare() and returns its error. */
static void open_error_in_child(int (*prepare)(void), char *err, size_t len)
{
	int fds[2];
	pid_t pid;
	ssize_t got;
	int status;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct np_observer_options opts = { 0 };
		char message[512] = "prepare failed";
		struct np_observer *obs = NULL;

		close(fds[0]);
		if (prepare() == 0) {
			obs = np_observer_open(&opts, message, sizeof(message));
			if (obs)
				snprintf(message, sizeof(message), "opened");
		}
		if (write(fds[1], message, strlen(message)) < 0)
			_exit(2);
		_exit(0);
	}
	close(fds[1]);
	got = read(fds[0], err, len - 1);
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(got > 0);
	err[got] = '\0';
}

static int drop_root(void)
{
	return setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534);
}

static int private_mounts(void)
{
	return unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
}

static int hide_btf(void)
{
	return private_mounts() || mount("none", "/sys/kernel/btf", "tmpfs", 0, NULL);
}

static int unmount_cgroup2(void)
{
	char root[PATH_MAX], err[PATH_MAX + 64];

	if (private_mounts())
		return -1;
	while (np_cgroup2_mount_find("/proc/mounts", root, sizeof(root), err, sizeof(err)) == 0) {
		if (umount2(root, MNT_DETACH) != 0)
			return -1;
	}
	return 0;
}

static void assert_one_line(const char *err, const char *expected)
{
	if (!strstr(err, expected))
		fail_msg("error \"%s\" does not say \"%s\"", err, expected);
	assert_null(strchr(err, '\n'));
}

static void refuses_without_privileges(void **state)
{
	char err[512];

	(void)state;
	open_error_in_child(drop_root, err, sizeof(err));
	assert_one_line(err, "observing the kernel needs root (CAP_BPF, CAP_PERFMON and "
			     "CAP_NET_ADMIN); missing CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN");
}

static void refuses_without_btf(void **state)
{
	char err[512];

	(void)state;
	open_error_in_child(hide_btf, err, sizeof(err));
	assert_one_line(err, "/sys/kernel/btf/vmlinux: No such file or directory: the kernel "
			     "has no BTF");
}

static void refuses_without_cgroup2(void **state)
{
	char err[512];

	(void)state;
	open_error_in_child(unmount_cgroup2, err, sizeof(err));
	assert_one_line(err, "UDP is observed on the cgroup v2 root, but: /proc/mounts: no "
			     "cgroup2 filesystem is mounted");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(describes_what_it_attached),
		cmocka_unit_test(udp_ipv4_burst_is_counted_exactly),
		cmocka_unit_test(udp_ipv6_burst_is_counted_exactly),
		cmocka_unit_test(tcp_ipv4_outcomes),
		cmocka_unit_test(tcp_ipv6_outcomes),
		cmocka_unit_test(refuses_without_privileges),
		cmocka_unit_test(refuses_without_btf),
		cmocka_unit_test(refuses_without_cgroup2),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
