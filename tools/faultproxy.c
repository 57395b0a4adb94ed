/*
 * faultproxy - a UDP proxy on loopback that makes a good link bad, on
 * purpose and reproducibly, for tests of sync under network faults.
 *
 *   faultproxy --listen 127.0.0.1:PORT --upstream 127.0.0.1:PORT
 *              [--loss P] [--dup P] [--reorder P] [--corrupt P]
 *              [--delay-ms MS | MIN-MAX] [--seed N] [--stats-every S]
 *              [--trace FILE] [--idle-timeout S]
 *
 * A child talks to --listen as if it were its parent.  Each client source
 * address gets its own socket towards --upstream, so replies find their way
 * back to the right client and several children may share one proxy.
 * Datagrams in both directions ("up": client to upstream, "down": back)
 * are, independently and with the given probabilities:
 *   dropped     never sent;
 *   corrupted   one random bit flipped;
 *   delayed     held a uniform MIN..MAX ms (jitter reorders by itself);
 *   reordered   held back a further max(50, MAX) ms, so that datagrams sent
 *               after it overtake it;
 *   duplicated  sent a second time, with its own delay.
 *
 * Reproducible: every (client, direction) stream has its own generator,
 * seeded from --seed, the client's ordinal (order of first appearance) and
 * the direction, and every datagram takes the same number of draws
 * whatever befalls it.  So the fate of the n-th datagram of a stream
 * depends only on the seed and n, never on timing.  --trace writes one
 * line per datagram with its fate, for comparing runs.
 *
 * Signals: SIGUSR1 prints the counters, SIGUSR2 toggles a partition (every
 * datagram dropped until toggled back), SIGINT/SIGTERM print the counters
 * and exit.  One process, one poll loop, no threads; handlers set flags.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CLIENTS 256
#define MAX_DGRAM 65536
#define MAX_QUEUED_BYTES (64u << 20)  /* beyond this, datagrams are dropped */
#define READS_PER_ROUND 64            /* per socket, so one sender cannot starve others */
#define REORDER_MIN_MS 50
#define SOCK_BUF (1 << 20)

enum dir { UP = 0, DOWN = 1 };
static const char *const dir_name[2] = { "up", "down" };

struct stats {
	uint64_t in, fwd, drop, dup, reorder, corrupt, part, full, err;
};

struct client {
	bool used;
	unsigned num;                 /* ordinal of first appearance, from 1 */
	struct sockaddr_storage addr;
	socklen_t alen;
	int fd;                       /* connected to the upstream */
	uint64_t last_ms;
	uint64_t rng[2];              /* per direction */
	uint64_t n[2];                /* datagrams seen per direction */
};

/* A datagram waiting for its time; a binary heap ordered by (due, order). */
struct pkt {
	uint64_t due;
	uint64_t order;
	unsigned cnum;                /* client ordinal: gone clients drop theirs */
	uint8_t dir;
	size_t len;
	uint8_t *data;
};

struct opts {
	struct sockaddr_storage listen, up;
	socklen_t listen_len, up_len;
	double loss, dup, reorder, corrupt;
	unsigned dmin, dmax;
	uint64_t seed;
	unsigned stats_every;
	unsigned idle_s;
	const char *trace;
};

struct proxy {
	struct opts o;
	int lfd;
	struct client cl[MAX_CLIENTS];
	unsigned nclients_seen;
	struct pkt *q;
	size_t nq, capq, qbytes;
	uint64_t order;
	struct stats st[2];
	bool partition;
	FILE *trace;
};

static volatile sig_atomic_t got_quit, got_usr1, got_usr2;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		got_usr1 = 1;
	else if (sig == SIGUSR2)
		got_usr2 = 1;
	else
		got_quit = 1;
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ------------------------------------------------------------- randomness */

static uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static double unit(uint64_t *s)
{
	return (double)(splitmix64(s) >> 11) * 0x1.0p-53;
}

static uint64_t stream_seed(uint64_t seed, unsigned cnum, enum dir d)
{
	uint64_t s = seed ^ ((uint64_t)cnum << 1 | (uint64_t)d) * 0xd1342543de82ef95ull;
	return splitmix64(&s);
}

/* ------------------------------------------------------------------ queue */

static bool before(const struct pkt *a, const struct pkt *b)
{
	return a->due < b->due || (a->due == b->due && a->order < b->order);
}

static void swap_pkt(struct pkt *a, struct pkt *b)
{
	struct pkt t = *a;
	*a = *b;
	*b = t;
}

static bool q_push(struct proxy *px, const struct pkt *p)
{
	if (px->nq == px->capq) {
		size_t ncap = px->capq ? px->capq * 2 : 256;
		struct pkt *nq = realloc(px->q, ncap * sizeof(*nq));
		if (!nq)
			return false;
		px->q = nq;
		px->capq = ncap;
	}
	size_t i = px->nq++;
	px->q[i] = *p;
	while (i && before(&px->q[i], &px->q[(i - 1) / 2])) {
		swap_pkt(&px->q[i], &px->q[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	px->qbytes += p->len;
	return true;
}

static struct pkt q_pop(struct proxy *px)
{
	struct pkt top = px->q[0];
	px->q[0] = px->q[--px->nq];
	for (size_t i = 0;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < px->nq && before(&px->q[l], &px->q[m]))
			m = l;
		if (r < px->nq && before(&px->q[r], &px->q[m]))
			m = r;
		if (m == i)
			break;
		swap_pkt(&px->q[i], &px->q[m]);
		i = m;
	}
	px->qbytes -= top.len;
	return top;
}

/* --------------------------------------------------------------- clients */

static struct client *client_by_num(struct proxy *px, unsigned num)
{
	for (unsigned i = 0; i < MAX_CLIENTS; i++)
		if (px->cl[i].used && px->cl[i].num == num)
			return &px->cl[i];
	return NULL;
}

static void client_close(struct client *c)
{
	close(c->fd);
	c->used = false;
}

static void set_bufs(int fd)
{
	int sz = SOCK_BUF;
	/* tests send bursts: kernel drops would blur the configured rates */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
}

/* The client with this source address, new if unseen (the idlest one is
 * forgotten when the table is full).  NULL if no socket could be made. */
static struct client *client_for(struct proxy *px, const struct sockaddr_storage *a,
				 socklen_t alen, uint64_t now)
{
	struct client *free_slot = NULL, *idlest = NULL;
	for (unsigned i = 0; i < MAX_CLIENTS; i++) {
		struct client *c = &px->cl[i];
		if (!c->used) {
			if (!free_slot)
				free_slot = c;
			continue;
		}
		if (c->alen == alen && memcmp(&c->addr, a, alen) == 0)
			return c;
		if (!idlest || c->last_ms < idlest->last_ms)
			idlest = c;
	}
	struct client *c = free_slot;
	if (!c) {
		fprintf(stderr, "faultproxy: client table full, forgetting client %u\n", idlest->num);
		client_close(idlest);
		c = idlest;
	}
	int fd = socket(px->o.up.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fprintf(stderr, "faultproxy: socket: %s\n", strerror(errno));
		return NULL;
	}
	set_bufs(fd);
	if (connect(fd, (const struct sockaddr *)&px->o.up, px->o.up_len) < 0) {
		fprintf(stderr, "faultproxy: connect upstream: %s\n", strerror(errno));
		close(fd);
		return NULL;
	}
	memset(c, 0, sizeof(*c));
	c->used = true;
	c->num = ++px->nclients_seen;
	c->addr = *a;
	c->alen = alen;
	c->fd = fd;
	c->last_ms = now;
	c->rng[UP] = stream_seed(px->o.seed, c->num, UP);
	c->rng[DOWN] = stream_seed(px->o.seed, c->num, DOWN);
	return c;
}

static void expire_clients(struct proxy *px, uint64_t now)
{
	uint64_t idle = (uint64_t)px->o.idle_s * 1000;
	for (unsigned i = 0; i < MAX_CLIENTS; i++)
		if (px->cl[i].used && now - px->cl[i].last_ms > idle)
			client_close(&px->cl[i]);
}

/* ---------------------------------------------------------------- faults */

static void enqueue(struct proxy *px, struct client *c, enum dir d, const uint8_t *data,
		    size_t len, uint64_t due)
{
	struct stats *s = &px->st[d];
	struct pkt p = { .due = due, .order = px->order++, .cnum = c->num, .dir = (uint8_t)d,
			 .len = len };
	if (px->qbytes + len > MAX_QUEUED_BYTES || !(p.data = malloc(len ? len : 1))) {
		s->full++;
		return;
	}
	memcpy(p.data, data, len);
	if (!q_push(px, &p)) {
		free(p.data);
		s->full++;
	}
}

/* Decides what happens to one datagram and queues what survives. */
static void handle(struct proxy *px, struct client *c, enum dir d, uint8_t *data, size_t len,
		   uint64_t now)
{
	const struct opts *o = &px->o;
	struct stats *s = &px->st[d];
	uint64_t *rng = &c->rng[d];
	uint64_t n = ++c->n[d];
	/* a fixed number of draws per datagram keeps the streams in step */
	double u_loss = unit(rng), u_dup = unit(rng), u_reorder = unit(rng);
	double u_corrupt = unit(rng), u_delay = unit(rng), u_delay2 = unit(rng);
	uint64_t bit = splitmix64(rng);
	unsigned span = o->dmax - o->dmin + 1;
	uint64_t delay = o->dmin + (uint64_t)(u_delay * span);
	uint64_t delay2 = o->dmin + (uint64_t)(u_delay2 * span);

	s->in++;
	c->last_ms = now;
	if (px->partition || u_loss < o->loss) {
		if (px->partition)
			s->part++;
		else
			s->drop++;
		if (px->trace)
			fprintf(px->trace, "%u %s %llu %zu %s\n", c->num, dir_name[d],
				(unsigned long long)n, len, px->partition ? "partition" : "drop");
		return;
	}
	bool corrupt = u_corrupt < o->corrupt && len;
	bool reorder = u_reorder < o->reorder;
	bool dup = u_dup < o->dup;
	if (corrupt) {
		bit %= (uint64_t)len * 8;
		data[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		s->corrupt++;
	}
	if (reorder) {
		delay += o->dmax > REORDER_MIN_MS ? o->dmax : REORDER_MIN_MS;
		s->reorder++;
	}
	enqueue(px, c, d, data, len, now + delay);
	if (dup) {
		enqueue(px, c, d, data, len, now + delay2);
		s->dup++;
	}
	if (px->trace) {
		fprintf(px->trace, "%u %s %llu %zu fwd +%llums", c->num, dir_name[d],
			(unsigned long long)n, len, (unsigned long long)delay);
		if (corrupt)
			fprintf(px->trace, " corrupt@%llu", (unsigned long long)bit);
		if (reorder)
			fprintf(px->trace, " reorder");
		if (dup)
			fprintf(px->trace, " dup +%llums", (unsigned long long)delay2);
		fputc('\n', px->trace);
	}
}

/* Sends every queued datagram that is due; returns ms to the next one or -1. */
static int flush_due(struct proxy *px, uint64_t now)
{
	while (px->nq && px->q[0].due <= now) {
		struct pkt p = q_pop(px);
		struct client *c = client_by_num(px, p.cnum);
		struct stats *s = &px->st[p.dir];
		ssize_t r = -1;
		if (c && p.dir == UP)
			r = send(c->fd, p.data, p.len, 0);
		else if (c)
			r = sendto(px->lfd, p.data, p.len, 0, (const struct sockaddr *)&c->addr,
				   c->alen);
		if (r == (ssize_t)p.len)
			s->fwd++;
		else
			s->err++;   /* client forgotten, or the peer's port closed */
		free(p.data);
	}
	if (!px->nq)
		return -1;
	uint64_t wait = px->q[0].due - now;
	return wait > 60000 ? 60000 : (int)wait;
}

/* ------------------------------------------------------------------- I/O */

static void read_listen(struct proxy *px, uint64_t now)
{
	static uint8_t buf[MAX_DGRAM];
	for (int k = 0; k < READS_PER_ROUND; k++) {
		struct sockaddr_storage a;
		socklen_t alen = sizeof(a);
		ssize_t r = recvfrom(px->lfd, buf, sizeof(buf), 0, (struct sockaddr *)&a, &alen);
		if (r < 0)
			return;
		struct client *c = client_for(px, &a, alen, now);
		if (c)
			handle(px, c, UP, buf, (size_t)r, now);
	}
}

static void read_upstream(struct proxy *px, struct client *c, uint64_t now)
{
	static uint8_t buf[MAX_DGRAM];
	for (int k = 0; k < READS_PER_ROUND; k++) {
		ssize_t r = recv(c->fd, buf, sizeof(buf), 0);
		if (r < 0) {
			/* ECONNREFUSED: the upstream was not listening; keep going */
			if (errno == ECONNREFUSED)
				continue;
			return;
		}
		handle(px, c, DOWN, buf, (size_t)r, now);
	}
}

static void print_stats(const struct proxy *px, const char *when)
{
	unsigned live = 0;
	for (unsigned i = 0; i < MAX_CLIENTS; i++)
		live += px->cl[i].used;
	fprintf(stderr, "faultproxy: %s: clients %u (seen %u), queued %zu%s\n", when, live,
		px->nclients_seen, px->nq, px->partition ? ", PARTITIONED" : "");
	for (int d = 0; d < 2; d++) {
		const struct stats *s = &px->st[d];
		fprintf(stderr,
			"faultproxy: %-4s in %llu fwd %llu drop %llu dup %llu reorder %llu"
			" corrupt %llu part %llu full %llu err %llu\n",
			dir_name[d], (unsigned long long)s->in, (unsigned long long)s->fwd,
			(unsigned long long)s->drop, (unsigned long long)s->dup,
			(unsigned long long)s->reorder, (unsigned long long)s->corrupt,
			(unsigned long long)s->part, (unsigned long long)s->full,
			(unsigned long long)s->err);
	}
	fflush(stderr);
}

static int run(struct proxy *px, const sigset_t *waitmask)
{
	struct pollfd pfd[1 + MAX_CLIENTS];
	struct client *who[1 + MAX_CLIENTS];
	uint64_t next_stats = px->o.stats_every ? now_ms() + px->o.stats_every * 1000ull : 0;
	uint64_t next_expire = now_ms() + 1000;

	while (!got_quit) {
		if (got_usr1) {
			got_usr1 = 0;
			print_stats(px, "stats");
		}
		if (got_usr2) {
			got_usr2 = 0;
			px->partition = !px->partition;
			fprintf(stderr, "faultproxy: partition %s\n", px->partition ? "on" : "off");
			fflush(stderr);
		}
		uint64_t now = now_ms();
		int timeout = flush_due(px, now);
		if (next_stats && now >= next_stats) {
			print_stats(px, "stats");
			next_stats = now + px->o.stats_every * 1000ull;
		}
		if (now >= next_expire) {
			expire_clients(px, now);
			next_expire = now + 1000;
		}
		uint64_t wake = next_expire;
		if (next_stats && next_stats < wake)
			wake = next_stats;
		if (timeout < 0 || (uint64_t)timeout > wake - now)
			timeout = (int)(wake - now);

		nfds_t n = 0;
		pfd[n] = (struct pollfd){ .fd = px->lfd, .events = POLLIN };
		who[n++] = NULL;
		for (unsigned i = 0; i < MAX_CLIENTS; i++) {
			if (!px->cl[i].used)
				continue;
			pfd[n] = (struct pollfd){ .fd = px->cl[i].fd, .events = POLLIN };
			who[n++] = &px->cl[i];
		}
		/* signals are blocked except inside ppoll: none slips in unseen
		 * between the flag checks above and the wait */
		struct timespec ts = { timeout / 1000, (long)(timeout % 1000) * 1000000 };
		int r = ppoll(pfd, n, &ts, waitmask);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "faultproxy: poll: %s\n", strerror(errno));
			return 1;
		}
		now = now_ms();
		/* upstream replies first: a new client may reuse a freed slot */
		for (nfds_t i = 1; i < n; i++)
			if (pfd[i].revents && who[i]->used)
				read_upstream(px, who[i], now);
		if (pfd[0].revents)
			read_listen(px, now);
	}
	return 0;
}

/* ---------------------------------------------------------------- set-up */

static bool parse_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[256];
	const char *colon = strrchr(s, ':');
	if (!colon || colon == s || (size_t)(colon - s) >= sizeof(host) || !colon[1])
		return false;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = 0;
	/* [::1]:port */
	char *h = host;
	if (h[0] == '[' && h[strlen(h) - 1] == ']') {
		h[strlen(h) - 1] = 0;
		h++;
	}
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM,
				  .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV };
	struct addrinfo *res;
	if (getaddrinfo(h, colon + 1, &hints, &res) != 0)
		return false;
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return true;
}

static bool parse_rate(const char *s, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= 0 && v <= 1))
		return false;
	*out = v;
	return true;
}

static bool parse_uint(const char *s, unsigned long long max, unsigned long long *out)
{
	char *end;
	errno = 0;
	if (!*s || *s == '-')
		return false;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *end || v > max)
		return false;
	*out = v;
	return true;
}

static bool parse_delay(const char *s, unsigned *lo, unsigned *hi)
{
	char buf[64];
	unsigned long long a, b;
	snprintf(buf, sizeof(buf), "%s", s);
	char *dash = strchr(buf, '-');
	if (dash)
		*dash = 0;
	if (!parse_uint(buf, 600000, &a))
		return false;
	b = a;
	if (dash && !parse_uint(dash + 1, 600000, &b))
		return false;
	if (b < a)
		return false;
	*lo = (unsigned)a;
	*hi = (unsigned)b;
	return true;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: faultproxy --listen HOST:PORT --upstream HOST:PORT [--loss P] [--dup P]\n"
		"                  [--reorder P] [--corrupt P] [--delay-ms MS|MIN-MAX] [--seed N]\n"
		"                  [--stats-every S] [--trace FILE] [--idle-timeout S]\n"
		"P is a probability in [0, 1].  SIGUSR1 prints counters, SIGUSR2 toggles a\n"
		"partition, SIGINT/SIGTERM print counters and exit.\n");
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option lopts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "upstream", required_argument, NULL, 'u' },
		{ "loss", required_argument, NULL, 'L' },
		{ "dup", required_argument, NULL, 'D' },
		{ "reorder", required_argument, NULL, 'R' },
		{ "corrupt", required_argument, NULL, 'C' },
		{ "delay-ms", required_argument, NULL, 'd' },
		{ "seed", required_argument, NULL, 's' },
		{ "stats-every", required_argument, NULL, 'S' },
		{ "trace", required_argument, NULL, 't' },
		{ "idle-timeout", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool have_listen = false, have_up = false, have_seed = false;
	unsigned long long v;
	int c, li = -1;

	memset(o, 0, sizeof(*o));
	o->idle_s = 300;
	while ((c = getopt_long(argc, argv, "h", lopts, &li)) != -1) {
		bool ok = true;
		switch (c) {
		case 'l': ok = have_listen = parse_addr(optarg, &o->listen, &o->listen_len); break;
		case 'u': ok = have_up = parse_addr(optarg, &o->up, &o->up_len); break;
		case 'L': ok = parse_rate(optarg, &o->loss); break;
		case 'D': ok = parse_rate(optarg, &o->dup); break;
		case 'R': ok = parse_rate(optarg, &o->reorder); break;
		case 'C': ok = parse_rate(optarg, &o->corrupt); break;
		case 'd': ok = parse_delay(optarg, &o->dmin, &o->dmax); break;
		case 's': ok = have_seed = parse_uint(optarg, UINT64_MAX, &v); o->seed = v; break;
		case 'S': ok = parse_uint(optarg, 86400, &v); o->stats_every = (unsigned)v; break;
		case 't': o->trace = optarg; break;
		case 'i': ok = parse_uint(optarg, 86400, &v) && v; o->idle_s = (unsigned)v; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
		if (!ok) {
			fprintf(stderr, "faultproxy: --%s: bad value '%s'\n", lopts[li].name, optarg);
			return 2;
		}
	}
	if (optind != argc || !have_listen || !have_up) {
		usage(stderr);
		return 2;
	}
	if (!have_seed) {
		uint64_t s = (uint64_t)time(NULL) << 20 ^ (uint64_t)getpid();
		o->seed = splitmix64(&s);
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct proxy px;
	int rc;

	memset(&px, 0, sizeof(px));
	if ((rc = parse_args(argc, argv, &px.o)) >= 0)
		return rc;
	if (px.o.trace && !(px.trace = fopen(px.o.trace, "w"))) {
		fprintf(stderr, "faultproxy: %s: %s\n", px.o.trace, strerror(errno));
		return 1;
	}
	px.lfd = socket(px.o.listen.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (px.lfd < 0 ||
	    bind(px.lfd, (const struct sockaddr *)&px.o.listen, px.o.listen_len) < 0) {
		fprintf(stderr, "faultproxy: listen: %s\n", strerror(errno));
		return 1;
	}
	set_bufs(px.lfd);

	struct sigaction sa;
	sigset_t block, waitmask;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigemptyset(&block);
	static const int sigs[] = { SIGINT, SIGTERM, SIGUSR1, SIGUSR2 };
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		sigaction(sigs[i], &sa, NULL);
		sigaddset(&block, sigs[i]);
	}
	sigprocmask(SIG_BLOCK, &block, &waitmask);
	signal(SIGPIPE, SIG_IGN);

	fprintf(stderr, "faultproxy: ready: seed %llu loss %g dup %g reorder %g corrupt %g"
		" delay %u-%u ms\n", (unsigned long long)px.o.seed, px.o.loss, px.o.dup,
		px.o.reorder, px.o.corrupt, px.o.dmin, px.o.dmax);
	fflush(stderr);
	rc = run(&px, &waitmask);
	print_stats(&px, "exit");

	while (px.nq) {
		struct pkt p = q_pop(&px);
		free(p.data);
	}
	free(px.q);
	for (unsigned i = 0; i < MAX_CLIENTS; i++)
		if (px.cl[i].used)
			client_close(&px.cl[i]);
	close(px.lfd);
	if (px.trace)
		fclose(px.trace);
	return rc;
}
