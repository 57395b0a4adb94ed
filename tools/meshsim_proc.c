/* meshsim_proc.c - the gridnode processes of a mesh, and its counting relays. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include "bench_common.h"
#include "bench_relay.h"
#include "meshsim.h"

#define STOP_GRACE_S 5.0

/* In a forked child: die with meshsim, even if it is killed with -9. */
static void die_with_parent(pid_t parent)
{
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(1);
}

bool mesh_start(struct mesh *m, int i)
{
	struct mnode *x = &m->n[i];
	char log[1100];
	char *argv[] = { m->gridnode, "-d", x->dir, m->verbose ? "-v" : NULL, NULL };
	pid_t self = getpid();

	snprintf(log, sizeof(log), "%s/%s.log", m->work, x->code);
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "meshsim: cannot start gridnode for %s: %s\n", x->code,
			strerror(errno));
		return false;
	}
	if (pid == 0) {
		die_with_parent(self);
		if (!freopen(log, "a", stderr) || !freopen("/dev/null", "w", stdout))
			_exit(126);
		execv(argv[0], argv);
		fprintf(stderr, "meshsim: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	x->pid = pid;
	return true;
}

/* Waits for the given nodes to exit, SIGKILL after the grace period. */
static void reap(struct mesh *m, const int *which, unsigned n)
{
	double end = bench_now() + STOP_GRACE_S;
	bool any = true;
	while (any) {
		any = false;
		for (unsigned k = 0; k < n; k++) {
			struct mnode *x = &m->n[which[k]];
			if (!x->pid)
				continue;
			pid_t r = waitpid(x->pid, NULL, WNOHANG);
			if (r == x->pid || (r < 0 && errno == ECHILD))
				x->pid = 0;
			else
				any = true;
		}
		if (!any)
			break;
		if (bench_now() > end) {
			for (unsigned k = 0; k < n; k++) {
				struct mnode *x = &m->n[which[k]];
				if (x->pid) {
					fprintf(stderr, "meshsim: %s did not stop in %.0f s: killed\n",
						x->code, STOP_GRACE_S);
					kill(x->pid, SIGKILL);
					waitpid(x->pid, NULL, 0);
					x->pid = 0;
				}
			}
			break;
		}
		usleep(10000);
	}
}

void mesh_stop(struct mesh *m, int i)
{
	if (!m->n[i].pid)
		return;
	kill(m->n[i].pid, SIGTERM);
	reap(m, &i, 1);
}

bool mesh_start_all(struct mesh *m)
{
	/* parents first: their children's first registration then finds them */
	for (unsigned i = 0; i < m->count; i++)
		if (!mesh_start(m, (int)i))
			return false;
	return true;
}

void mesh_stop_all(struct mesh *m)
{
	int *all = malloc(m->count * sizeof(*all));
	unsigned n = 0;
	for (unsigned i = 0; i < m->count; i++) {
		if (m->n[i].pid) {
			kill(m->n[i].pid, SIGTERM);
			if (all)
				all[n++] = (int)i;
		}
	}
	if (all) {
		reap(m, all, n);
		free(all);
	}
	mesh_relay_stop(m);
}

bool mesh_alive(struct mesh *m)
{
	for (unsigned i = 0; i < m->count; i++) {
		struct mnode *x = &m->n[i];
		int st;
		if (!x->pid || waitpid(x->pid, &st, WNOHANG) != x->pid)
			continue;
		x->pid = 0;
		if (WIFEXITED(st))
			fprintf(stderr, "meshsim: gridnode of %s exited with status %d; see %s/%s.log\n",
				x->code, WEXITSTATUS(st), m->work, x->code);
		else
			fprintf(stderr, "meshsim: gridnode of %s died of signal %d; see %s/%s.log\n",
				x->code, WTERMSIG(st), m->work, x->code);
		return false;
	}
	return true;
}

long mesh_rss_kb(const struct mesh *m, int i)
{
	char path[64], line[256];
	long kb = 0;
	if (!m->n[i].pid)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)m->n[i].pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* ------------------------------------------------------------------ relays */

bool mesh_relay_open(struct mesh *m)
{
	m->relays = calloc(m->count, sizeof(*m->relays));
	if (!m->relays)
		return false;
	for (unsigned i = 0; i < m->count; i++) {
		struct mnode *x = &m->n[i];
		m->relays[i].front = m->relays[i].back = -1;
		if (x->parent < 0)
			continue;
		if (relay_open(&m->relays[i], m->n[x->parent].port) != 0) {
			fprintf(stderr, "meshsim: relay for %s: %s\n", x->code, strerror(errno));
			return false;
		}
		x->relay_port = bench_bound_port(m->relays[i].front);
	}
	return true;
}

static void relay_loop(struct mesh *m)
{
	struct pollfd *p = calloc(2 * m->count, sizeof(*p));
	int *who = calloc(2 * m->count, sizeof(*who));
	if (!p || !who)
		_exit(1);
	for (;;) {
		unsigned np = 0;
		/* a relay's server-side socket changes when its client restarts */
		for (unsigned i = 0; i < m->count; i++) {
			if (m->relays[i].front < 0)
				continue;
			p[np] = (struct pollfd){ m->relays[i].front, POLLIN, 0 };
			who[np++] = (int)i;
			p[np] = (struct pollfd){ m->relays[i].back, POLLIN, 0 };
			who[np++] = (int)i;
		}
		if (poll(p, np, 1000) <= 0)
			continue;
		for (unsigned k = 0; k < np; k++) {
			if (!(p[k].revents & (POLLIN | POLLERR)))
				continue;
			struct relay *r = &m->relays[who[k]];
			relay_pump(r);
			m->relay_bytes[who[k]] = r->bytes_up + r->bytes_down;
		}
	}
}

bool mesh_relay_start(struct mesh *m)
{
	size_t sz = m->count * sizeof(uint64_t);
	pid_t self = getpid();
	m->relay_bytes = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (m->relay_bytes == MAP_FAILED) {
		m->relay_bytes = NULL;
		fprintf(stderr, "meshsim: shared counters: %s\n", strerror(errno));
		return false;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "meshsim: cannot start the relay: %s\n", strerror(errno));
		return false;
	}
	if (pid == 0) {
		die_with_parent(self);
		signal(SIGINT, SIG_IGN);   /* meshsim stops us once the nodes are down */
		signal(SIGTERM, SIG_DFL);
		relay_loop(m);
		_exit(0);
	}
	m->relay = pid;
	/* the sockets are the relay process's now */
	for (unsigned i = 0; i < m->count; i++)
		relay_close(&m->relays[i]);
	return true;
}

void mesh_relay_stop(struct mesh *m)
{
	if (m->relay) {
		kill(m->relay, SIGTERM);
		waitpid(m->relay, NULL, 0);
		m->relay = 0;
	}
	if (m->relays) {
		for (unsigned i = 0; i < m->count; i++)
			relay_close(&m->relays[i]);
		free(m->relays);
		m->relays = NULL;
	}
}

uint64_t mesh_relay_total(const struct mesh *m)
{
	uint64_t t = 0;
	for (unsigned i = 0; m->relay_bytes && i < m->count; i++)
		t += m->relay_bytes[i];
	return t;
}
