/*
 * bench_net.c - `gridbench net`: the brief's workload synced over real
 * CoAP between a grid (gridctl sync, as on a worker's laptop) and a street
 * (a gridnode process), through a counting UDP relay: every byte of every
 * datagram both ways is counted (CoAP headers, envelopes, signatures;
 * not the IP and UDP headers).
 *
 * Figures: coap_full_sync_bytes, coap_batch_bytes_per_change (full sync /
 * record changes), link_sync_10k_ms (the 10,000-change push, wall clock),
 * coap_delta_bytes (two 1,000-update deltas, 500 on the same field, pushed
 * and pulled in one sync), coap_idle_round_bytes (a sync with nothing new).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "bench_common.h"
#include "../node/store.h"

#define N_TICKETS 10000

struct relay {
	int front;                  /* bound where the grid sends */
	int back;                   /* connected to the street */
	struct sockaddr_in client;
	socklen_t clen;
	uint64_t bytes_up, bytes_down, dgrams;
};

static int udp_socket(uint16_t port)
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

static uint16_t bound_port(int fd)
{
	struct sockaddr_in a;
	socklen_t l = sizeof(a);
	getsockname(fd, (struct sockaddr *)&a, &l);
	return ntohs(a.sin_port);
}

static int relay_open(struct relay *r, uint16_t upstream)
{
	struct sockaddr_in up = { .sin_family = AF_INET, .sin_port = htons(upstream) };
	memset(r, 0, sizeof(*r));
	up.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	r->front = udp_socket(0);
	r->back = udp_socket(0);
	if (r->front < 0 || r->back < 0 ||
	    connect(r->back, (struct sockaddr *)&up, sizeof(up)) != 0)
		return -1;
	return 0;
}

/* Relays for up to `ms`; returns early if `child` exits (its status in *st). */
static int relay_run(struct relay *r, pid_t child, int ms, int *st)
{
	uint8_t buf[65536];
	double end = bench_now() + ms / 1000.0;
	while (bench_now() < end) {
		struct pollfd p[2] = { { r->front, POLLIN, 0 }, { r->back, POLLIN, 0 } };
		if (child > 0 && waitpid(child, st, WNOHANG) == child)
			return 1;
		if (poll(p, 2, 5) <= 0)
			continue;
		if (p[0].revents & POLLIN) {
			r->clen = sizeof(r->client);
			ssize_t n = recvfrom(r->front, buf, sizeof(buf), 0,
					     (struct sockaddr *)&r->client, &r->clen);
			if (n > 0 && send(r->back, buf, (size_t)n, 0) == n) {
				r->bytes_up += (uint64_t)n;
				r->dgrams++;
			}
		}
		if ((p[1].revents & POLLIN) && r->clen) {
			ssize_t n = recv(r->back, buf, sizeof(buf), 0);
			if (n > 0 && sendto(r->front, buf, (size_t)n, 0, (struct sockaddr *)&r->client,
					    r->clen) == n) {
				r->bytes_down += (uint64_t)n;
				r->dgrams++;
			}
		}
	}
	return 0;
}

static pid_t spawn(char *const argv[], const char *log)
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

/* One `gridctl sync` through the relay; bytes and ms of it. */
static int sync_once(struct relay *r, const char *gridctl, const char *dir, uint64_t *bytes,
		     double *ms)
{
	char *argv[] = { (char *)gridctl, "-d", (char *)dir, "sync", NULL };
	int st = 0;
	r->bytes_up = r->bytes_down = r->dgrams = 0;
	double t0 = bench_now();
	pid_t pid = spawn(argv, NULL);
	if (pid < 0 || !relay_run(r, pid, 120000, &st) || !WIFEXITED(st) || WEXITSTATUS(st)) {
		fprintf(stderr, "gridbench net: gridctl sync failed\n");
		return -1;
	}
	*ms = (bench_now() - t0) * 1000;
	/* late retransmissions and ACKs still belong to this sync */
	relay_run(r, -1, 50, &st);
	*bytes = r->bytes_up + r->bytes_down;
	return 0;
}

static int update(const char *dir, unsigned from, unsigned to, const char *status)
{
	struct store *st;
	char err[512], id[40];
	const struct table_def *tab = schema_table(T_TICKET);
	uint8_t c[1] = { (uint8_t)schema_col(tab, "status", 6) };
	struct gm_value v[1] = { gm_text(status) };
	if (store_open(dir, &st, err, sizeof(err)) || store_begin(st))
		return -1;
	for (unsigned i = from; i < to; i++) {
		snprintf(id, sizeof(id), "440106012023001-%06u", i + 1);
		struct store_write w = { .tab = tab, .key = id, .nset = 1, .cols = c, .vals = v,
					 .actor = "bench", .mode = W_UPDATE };
		if (store_put(st, &w, NULL)) {
			fprintf(stderr, "gridbench net: %s\n", store_errmsg(st));
			store_close(st);
			return -1;
		}
	}
	int rc = store_commit(st) ? -1 : 0;
	store_close(st);
	return rc;
}

static int same_digest(const char *a, const char *b, const char *scope)
{
	struct store *x, *y;
	char err[512];
	uint8_t dx[32], dy[32];
	if (store_open(a, &x, err, sizeof(err)))
		return 0;
	if (store_open(b, &y, err, sizeof(err))) {
		store_close(x);
		return 0;
	}
	int ok = !store_digest(x, scope, dx, NULL) && !store_digest(y, scope, dy, NULL) &&
		 !memcmp(dx, dy, 32);
	store_close(x);
	store_close(y);
	return ok;
}

int bench_net(const char *datadir, const char *workdir, const char *outpath)
{
	char street[1024], grid[1024], gridctl[1024], gridnode[1024], conf[1100], log[1100];
	char self[1024];
	struct relay r;
	int rc = 1;
	pid_t node = -1;

	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return 1;
	self[n] = 0;
	*strrchr(self, '/') = 0;
	snprintf(gridctl, sizeof(gridctl), "%s/gridctl", self);
	snprintf(gridnode, sizeof(gridnode), "%s/gridnode", self);
	snprintf(street, sizeof(street), "%s/net-street", workdir);
	snprintf(grid, sizeof(grid), "%s/net-grid", workdir);
	mkdir(workdir, 0700);
	bench_rmtree(street);
	bench_rmtree(grid);

	/* the street listens on a port we pick; the grid's parent is the relay */
	int probe = udp_socket(0);
	uint16_t sport = bound_port(probe);
	close(probe);
	if (relay_open(&r, sport)) {
		fprintf(stderr, "gridbench net: relay: %s\n", strerror(errno));
		return 1;
	}
	char listen[64], parent[64];
	snprintf(listen, sizeof(listen), "coap://127.0.0.1:%u", sport);
	snprintf(parent, sizeof(parent), "coap://127.0.0.1:%u", bound_port(r.front));
	char *init_s[] = { gridctl, "-d", street, "init", "--level", "street", "--code", "440106012",
			   "--listen", listen, NULL };
	char *init_g[] = { gridctl, "-d", grid, "init", "--level", "grid", "--code",
			   "440106012023001", "--parent", parent, NULL };
	int st;
	pid_t p = spawn(init_s, NULL);
	waitpid(p, &st, 0);
	p = spawn(init_g, NULL);
	waitpid(p, &st, 0);
	snprintf(conf, sizeof(conf), "%s/gridnode.conf", street);
	FILE *f = fopen(conf, "w");
	if (!f)
		goto out;
	fprintf(f, "[sync]\nwatch_ms = 20\n");
	fclose(f);
	if (bench_fill(grid, datadir, N_TICKETS))
		goto out;

	snprintf(log, sizeof(log), "%s/net-street.log", workdir);
	char *node_argv[] = { gridnode, "-d", street, NULL };
	node = spawn(node_argv, log);
	usleep(300000);

	printf("CoAP benchmarks: %d tickets x 5 fields, grid -> street over loopback\n", N_TICKETS);
	uint64_t bytes;
	double ms;
	if (sync_once(&r, gridctl, grid, &bytes, &ms))
		goto out;
	bench_report(outpath, "coap_full_sync_bytes", (double)bytes, "bytes",
		     "< 370,082 (Automerge, brief section 5)");
	bench_report(outpath, "coap_batch_bytes_per_change", (double)bytes / N_TICKETS, "bytes",
		     "per record change (5 fields), all CoAP bytes");
	bench_report(outpath, "link_sync_10k_ms", ms, "ms", "10,000 changes grid -> street");

	/* two concurrent deltas: the grid and the street each update 1,000 */
	if (update(grid, 0, 1000, "dispatched") || update(street, 500, 1500, "in_progress"))
		goto out;
	usleep(200000);   /* the street's daemon seals its writes */
	if (sync_once(&r, gridctl, grid, &bytes, &ms))
		goto out;
	bench_report(outpath, "coap_delta_bytes", (double)bytes, "bytes",
		     "< 43,994 (Yjs): both deltas, one sync");
	int conv = same_digest(grid, street, "440106012023001");
	printf("  %-26s %14s\n", "coap_converged", conv ? "true" : "false");
	bench_result_bool(outpath, "coap_converged", conv);

	if (sync_once(&r, gridctl, grid, &bytes, &ms))
		goto out;
	bench_report(outpath, "coap_idle_round_bytes", (double)bytes, "bytes",
		     "< 300: a sync with nothing new (register + pull)");
	rc = conv ? 0 : 1;
out:
	if (node > 0) {
		kill(node, SIGTERM);
		waitpid(node, &st, 0);
	}
	close(r.front);
	close(r.back);
	return rc;
}
