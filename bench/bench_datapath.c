/* bench_datapath — the cost of a connection and of a datagram, on loopback.
 *
 * Prints nanoseconds per TCP connect+accept+close and per UDP sendto. Run it
 * with and without `npwatch run` attached (scripts/bench.sh does both, in one
 * run) to see what the kernel programs cost the workloads they watch.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int listener(struct sockaddr_in *addr, int type)
{
	socklen_t len = sizeof(*addr);
	int fd = socket(AF_INET, type, 0);

	addr->sin_family = AF_INET;
	addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	addr->sin_port = 0;
	if (fd < 0 || bind(fd, (struct sockaddr *)addr, sizeof(*addr)) != 0 ||
	    getsockname(fd, (struct sockaddr *)addr, &len) != 0 ||
	    (type == SOCK_STREAM && listen(fd, 1024) != 0)) {
		perror("bench_datapath: listener");
		exit(1);
	}
	return fd;
}

static void *accept_loop(void *arg)
{
	int fd = *(int *)arg;

	for (;;) {
		int conn = accept(fd, NULL, NULL);

		if (conn < 0)
			return NULL;
		close(conn);
	}
}

static double tcp_connects(int n)
{
	struct sockaddr_in addr;
	int server = listener(&addr, SOCK_STREAM);
	pthread_t thread;
	double start;

	pthread_create(&thread, NULL, accept_loop, &server);
	start = now_ns();
	for (int i = 0; i < n; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
			perror("bench_datapath: connect");
			exit(1);
		}
		close(fd);
	}
	return (now_ns() - start) / n;
}

static double udp_sends(int n)
{
	struct sockaddr_in addr;
	int server = listener(&addr, SOCK_DGRAM);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	char byte = 0;
	double start = now_ns();

	for (int i = 0; i < n; i++)
		if (sendto(fd, &byte, 1, MSG_DONTWAIT, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
			char drain[64];

			while (recv(server, drain, sizeof(drain), MSG_DONTWAIT) > 0)
				;
		}
	close(fd);
	close(server);
	return (now_ns() - start) / n;
}

int main(int argc, char **argv)
{
	int connects = argc > 1 ? atoi(argv[1]) : 5000;
	int datagrams = argc > 2 ? atoi(argv[2]) : 200000;

	printf("tcp_connect_ns %.0f\n", tcp_connects(connects));
	printf("udp_sendto_ns %.0f\n", udp_sends(datagrams));
	return 0;
}
