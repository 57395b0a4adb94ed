/* bench_relay.c - counting UDP relay and child processes for benchmarks. */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "bench_common.h"
#include "bench_relay.h"

int bench_udp_socket(uint16_t port)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

uint16_t bench_bound_port(int fd)
{
	struct sockaddr_in a;
	socklen_t l = sizeof(a);
	if (getsockname(fd, (struct sockaddr *)&a, &l) != 0)
		return 0;
	return ntohs(a.sin_port);
}

/* A new socket towards the server. */
static int reconnect(struct relay *r)
{
	struct sockaddr_in up = { .sin_family = AF_INET, .sin_port = htons(r->upstream) };
	up.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (r->back >= 0)
		close(r->back);
	r->back = bench_udp_socket(0);
	if (r->back < 0 || connect(r->back, (struct sockaddr *)&up, sizeof(up)) != 0)
		return -1;
	return 0;
}

int relay_open(struct relay *r, uint16_t upstream)
{
	memset(r, 0, sizeof(*r));
	r->upstream = upstream;
	r->back = -1;
	r->front = bench_udp_socket(0);
	if (r->front < 0 || reconnect(r) != 0) {
		relay_close(r);
		return -1;
	}
	return 0;
}

int relay_open_new(struct relay *r, uint16_t *port)
{
	int probe = bench_udp_socket(0);
	*port = probe >= 0 ? bench_bound_port(probe) : 0;
	if (probe >= 0)
		close(probe);
	if (!*port) {
		r->front = r->back = -1;
		return -1;
	}
	return relay_open(r, *port);
}

void relay_close(struct relay *r)
{
	if (r->front >= 0)
		close(r->front);
	if (r->back >= 0)
		close(r->back);
	r->front = r->back = -1;
}

void relay_pump(struct relay *r)
{
	uint8_t buf[65536];
	ssize_t n;
	for (;;) {
		struct sockaddr_in from;
		socklen_t flen = sizeof(from);
		n = recvfrom(r->front, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from,
			     &flen);
		if (n < 0)
			break;
		if (r->clen && memcmp(&from, &r->client, sizeof(from)) != 0 && reconnect(r) != 0)
			continue;
		r->client = from;
		r->clen = flen;
		if (send(r->back, buf, (size_t)n, 0) == n) {
			r->bytes_up += (uint64_t)n;
			r->dgrams++;
		}
	}
	while (r->clen && (n = recv(r->back, buf, sizeof(buf), MSG_DONTWAIT)) >= 0) {
		/* a server that is down answers with ICMP: recv fails, we go on */
		if (sendto(r->front, buf, (size_t)n, 0, (struct sockaddr *)&r->client, r->clen) == n) {
			r->bytes_down += (uint64_t)n;
			r->dgrams++;
		}
	}
}

int relay_run(struct relay *r, pid_t child, int ms, int *st)
{
	double end = bench_now() + ms / 1000.0;
	while (bench_now() < end) {
		struct pollfd p[2] = { { r->front, POLLIN, 0 }, { r->back, POLLIN, 0 } };
		if (child > 0 && waitpid(child, st, WNOHANG) == child)
			return 1;
		if (poll(p, 2, 5) > 0)
			relay_pump(r);
	}
	return 0;
}

int relay_sync(struct relay *r, const char *gridctl, const char *dir, uint64_t *bytes,
	       double *ms)
{
	char *argv[] = { (char *)gridctl, "-d", (char *)dir, "sync", NULL };
	int st = 0;
	r->bytes_up = r->bytes_down = r->dgrams = 0;
	double t0 = bench_now();
	pid_t pid = bench_spawn(argv, NULL);
	if (pid < 0 || !relay_run(r, pid, 120000, &st) || !WIFEXITED(st) || WEXITSTATUS(st)) {
		fprintf(stderr, "gridbench: gridctl -d %s sync failed\n", dir);
		return -1;
	}
	*ms = (bench_now() - t0) * 1000;
	/* late retransmissions and ACKs still belong to this sync */
	relay_run(r, -1, 50, &st);
	*bytes = r->bytes_up + r->bytes_down;
	return 0;
}

pid_t bench_spawn(char *const argv[], const char *log)
{
	/* unflushed output would be written twice, once by the child */
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid == 0) {
		FILE *f = freopen(log ? log : "/dev/null", "a", stderr);
		(void)f;
		if (!getenv("GM_BENCH_VERBOSE"))
			f = freopen("/dev/null", "w", stdout);
		(void)f;
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

int bench_run(char *const argv[])
{
	int st;
	pid_t pid = bench_spawn(argv, NULL);
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}
