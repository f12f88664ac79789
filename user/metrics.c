/* metrics — the daemon's counters for Prometheus; see metrics.h. */
#include "metrics.h"

#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "xalloc.h"

#define MAX_CONNECTIONS 8
#define MAX_REQUEST 4096
#define REQUEST_TIMEOUT_MS 2000

struct connection {
	int fd; /* -1: free */
	uint64_t deadline_ms;
	size_t used;
	char request[MAX_REQUEST];
};

struct np_metrics_server {
	int listener;
	int epoll_fd;
	struct connection connections[MAX_CONNECTIONS];
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* "host:port", "[v6]:port", ":port" -> host (NULL: any) and port. */
static int split_addr(const char *addr, char *host, size_t host_len, const char **port)
{
	const char *colon = strrchr(addr, ':');
	size_t n;

	if (!colon || !colon[1])
		return -1;
	*port = colon + 1;
	n = (size_t)(colon - addr);
	if (n >= 2 && addr[0] == '[' && addr[n - 1] == ']') {
		addr++;
		n -= 2;
	}
	if (n >= host_len)
		return -1;
	memcpy(host, addr, n);
	host[n] = '\0';
	return 0;
}

static int listen_on(const char *addr, char *err, size_t len)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	struct addrinfo *found;
	char host[256];
	const char *port;
	int fd = -1, one = 1, rc;

	if (split_addr(addr, host, sizeof(host), &port) != 0) {
		snprintf(err, len, "--metrics %s: expected HOST:PORT, [IPV6]:PORT or :PORT", addr);
		return -1;
	}
	rc = getaddrinfo(host[0] ? host : NULL, port, &hints, &found);
	if (rc != 0) {
		snprintf(err, len, "--metrics %s: %s", addr, gai_strerror(rc));
		return -1;
	}
	for (struct addrinfo *ai = found; ai && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 16) != 0) {
			snprintf(err, len, "--metrics %s: %s", addr, strerror(errno));
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(found);
	return fd;
}

static int watch(int epoll_fd, int fd, int op)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	return epoll_ctl(epoll_fd, op, fd, &ev);
}

struct np_metrics_server *np_metrics_open(const char *addr, int epoll_fd, char *err, size_t len)
{
	struct np_metrics_server *server;
	int fd = listen_on(addr, err, len);

	if (fd < 0)
		return NULL;
	if (watch(epoll_fd, fd, EPOLL_CTL_ADD) != 0) {
		snprintf(err, len, "--metrics %s: %s", addr, strerror(errno));
		close(fd);
		return NULL;
	}
	server = xcalloc(1, sizeof(*server));
	server->listener = fd;
	server->epoll_fd = epoll_fd;
	for (size_t i = 0; i < MAX_CONNECTIONS; i++)
		server->connections[i].fd = -1;
	return server;
}

static void drop(struct np_metrics_server *server, struct connection *conn)
{
	epoll_ctl(server->epoll_fd, EPOLL_CTL_DEL, conn->fd, NULL);
	close(conn->fd);
	conn->fd = -1;
}

void np_metrics_close(struct np_metrics_server *server)
{
	if (!server)
		return;
	for (size_t i = 0; i < MAX_CONNECTIONS; i++)
		if (server->connections[i].fd >= 0)
			drop(server, &server->connections[i]);
	epoll_ctl(server->epoll_fd, EPOLL_CTL_DEL, server->listener, NULL);
	close(server->listener);
	free(server);
}

static void accept_all(struct np_metrics_server *server)
{
	int fd;

	while ((fd = accept4(server->listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		struct connection *conn = NULL;

		for (size_t i = 0; i < MAX_CONNECTIONS && !conn; i++)
			if (server->connections[i].fd < 0)
				conn = &server->connections[i];
		/* Busy: a scraper retries; the event loop must not wait. */
		if (!conn || watch(server->epoll_fd, fd, EPOLL_CTL_ADD) != 0) {
			close(fd);
			continue;
		}
		conn->fd = fd;
		conn->used = 0;
		conn->deadline_ms = now_ms() + REQUEST_TIMEOUT_MS;
	}
}

static void respond(struct connection *conn, const struct np_metrics_values *values)
{
	bool metrics_path = strncmp(conn->request, "GET /metrics ", 13) == 0 ||
			    strncmp(conn->request, "GET / ", 6) == 0;
	char *body = metrics_path ? np_metrics_render(values) : xstrdup("not found: try /metrics\n");
	char *response = xasprintf("HTTP/1.0 %s\r\nContent-Type: text/plain; version=0.0.4\r\n"
				   "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
				   metrics_path ? "200 OK" : "404 Not Found", strlen(body), body);
	size_t len = strlen(response), sent = 0;

	/* A fresh socket's send buffer holds a few kilobytes of text; what does
	 * not fit is dropped rather than waited for. */
	while (sent < len) {
		ssize_t n = send(conn->fd, response + sent, len - sent, MSG_NOSIGNAL);

		if (n <= 0)
			break;
		sent += (size_t)n;
	}
	free(response);
	free(body);
}

static void read_request(struct np_metrics_server *server, struct connection *conn,
			 const struct np_metrics_values *values)
{
	ssize_t n = recv(conn->fd, conn->request + conn->used, MAX_REQUEST - 1 - conn->used, 0);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		drop(server, conn);
		return;
	}
	conn->used += (size_t)n;
	conn->request[conn->used] = '\0';
	if (strstr(conn->request, "\r\n\r\n") || strstr(conn->request, "\n\n")) {
		shutdown(conn->fd, SHUT_RD);
		respond(conn, values);
		drop(server, conn);
	} else if (conn->used >= MAX_REQUEST - 1) {
		drop(server, conn);
	}
}

bool np_metrics_handle(struct np_metrics_server *server, int fd,
		       const struct np_metrics_values *values)
{
	if (fd == server->listener) {
		accept_all(server);
		return true;
	}
	for (size_t i = 0; i < MAX_CONNECTIONS; i++) {
		if (server->connections[i].fd == fd) {
			read_request(server, &server->connections[i], values);
			return true;
		}
	}
	return false;
}

void np_metrics_expire(struct np_metrics_server *server, uint64_t now)
{
	for (size_t i = 0; i < MAX_CONNECTIONS; i++)
		if (server->connections[i].fd >= 0 && now >= server->connections[i].deadline_ms)
			drop(server, &server->connections[i]);
}

/* ---- the text exposition format --------------------------------------------------- */

static void family(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP npwatch_%s %s\n# TYPE npwatch_%s %s\n", name, help, name, type);
}

char *np_metrics_render(const struct np_metrics_values *v)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	if (!out)
		abort();
	family(out, "observations_total", "counter", "Observations received from the kernel.");
	fprintf(out, "npwatch_observations_total %" PRIu64 "\n", v->observations);
	family(out, "flows_total", "counter", "Flows judged and reported by this node, by verdict.");
	for (int i = NP_VERDICT_ALLOW; i <= NP_VERDICT_DENY; i++)
		fprintf(out, "npwatch_flows_total{verdict=\"%s\"} %" PRIu64 "\n",
			np_flow_verdict_name((enum np_flow_verdict)i), v->flows[i]);
	family(out, "flows_other_node_total", "counter", "Flows seen here that another node reports.");
	fprintf(out, "npwatch_flows_other_node_total %" PRIu64 "\n", v->other_node);
	family(out, "udp_replies_total", "counter", "UDP sends that answered a datagram.");
	fprintf(out, "npwatch_udp_replies_total %" PRIu64 "\n", v->udp_replies);
	family(out, "log_lines_total", "counter", "JSON lines written.");
	fprintf(out, "npwatch_log_lines_total %" PRIu64 "\n", v->lines_written);
	family(out, "events_lost_total", "counter", "Observations lost on the way, by where.");
	fprintf(out, "npwatch_events_lost_total{where=\"ring_buffer\"} %" PRIu64 "\n", v->lost_ringbuf);
	fprintf(out, "npwatch_events_lost_total{where=\"socket_map\"} %" PRIu64 "\n", v->lost_socket_map);
	fprintf(out, "npwatch_events_lost_total{where=\"dedup_map\"} %" PRIu64 "\n", v->lost_dedup_map);
	fprintf(out, "npwatch_events_lost_total{where=\"undecodable\"} %" PRIu64 "\n", v->lost_undecodable);
	fprintf(out, "npwatch_events_lost_total{where=\"tcp_tracker\"} %" PRIu64 "\n", v->lost_tracker);
	family(out, "model_reloads_total", "counter", "Model reloads, by result (a failed one keeps the last good model).");
	fprintf(out, "npwatch_model_reloads_total{result=\"ok\"} %" PRIu64 "\n", v->reloads_ok);
	fprintf(out, "npwatch_model_reloads_total{result=\"failed\"} %" PRIu64 "\n", v->reloads_failed);
	family(out, "snapshots_total", "counter", "Report snapshots, by result.");
	fprintf(out, "npwatch_snapshots_total{result=\"written\"} %" PRIu64 "\n", v->snapshots_written);
	fprintf(out, "npwatch_snapshots_total{result=\"failed\"} %" PRIu64 "\n", v->snapshots_failed);
	family(out, "model_policies", "gauge", "NetworkPolicies in the model, in force and staged.");
	fprintf(out, "npwatch_model_policies{scope=\"in-force\"} %" PRIu64 "\n", v->policies_in_force);
	fprintf(out, "npwatch_model_policies{scope=\"staged\"} %" PRIu64 "\n", v->policies_staged);
	family(out, "model_pods", "gauge", "Pods in the model.");
	fprintf(out, "npwatch_model_pods %" PRIu64 "\n", v->pods);
	fclose(out);
	return text;
}
