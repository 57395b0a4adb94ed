/* meshsim_tree.c - the mesh's shape, codes, directories, stores and settings. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "bench_relay.h"
#include "meshsim.h"
#include "../node/config.h"

/*
 * Settings for a simulated tree: the product's defaults, except that a
 * node taken offline is noticed and reconnected within about a second
 * (the defaults suit real links: 2 s ACK timeout, 4 retransmissions, back
 * off up to a minute) and writes made beside the daemon are looked for
 * every 50 ms instead of 100.  The tree runs on loopback in plain CoAP
 * (insecure = true): it measures sync, not the DTLS handshake, and the
 * DTLS path has its own tests (sync_tree, privacy, fault_tree).  Batches
 * are signed and verified all the same (meshsim_enrol.c).
 */
static const char fast_conf[] =
	"# written by meshsim: fast failure detection for a simulated tree\n"
	"[coap]\n"
	"ack_timeout_ms = 1000\n"
	"ack_random_factor_pct = 100\n"
	"max_retransmit = 2\n"
	"[sync]\n"
	"poll_s = 5\n"
	"backoff_min_ms = 200\n"
	"backoff_max_s = 1\n"
	"watch_ms = 50\n"
	"[security]\n"
	"insecure = true\n";

/* Most children a level's code has room for (district 2, street 3 digits,
 * grid 3 after a fixed community "001"). */
static const unsigned max_fanout[MESH_LEVELS] = { 1, 99, 999, 999 };

void mesh_say(const struct mesh *m, const char *fmt, ...)
{
	va_list ap;
	if (m->quiet)
		return;
	va_start(ap, fmt);
	vfprintf(m->out, fmt, ap);
	va_end(ap);
	fputc('\n', m->out);
	fflush(m->out);
}

bool mesh_parse_shape(const char *s, unsigned shape[MESH_LEVELS], char *err, size_t errlen)
{
	const char *p = s;
	unsigned long total = 0, width = 1;
	for (unsigned i = 0; i < MESH_LEVELS; i++) {
		char *end;
		errno = 0;
		unsigned long v = strtoul(p, &end, 10);
		if (errno || end == p || v < 1 || v > max_fanout[i]) {
			snprintf(err, errlen, "--shape: level %u of '%s' must be a number from 1 to %u",
				 i + 1, s, max_fanout[i]);
			return false;
		}
		shape[i] = (unsigned)v;
		width *= v;
		total += width;
		if (total > MESH_MAX_NODES) {
			snprintf(err, errlen, "--shape: '%s' makes more than %d nodes", s,
				 MESH_MAX_NODES);
			return false;
		}
		p = end;
		if (i + 1 < MESH_LEVELS) {
			if (*p != ',') {
				snprintf(err, errlen, "--shape: '%s' is not CITY,DISTRICTS,STREETS,GRIDS"
						      " (e.g. 1,4,4,4)", s);
				return false;
			}
			p++;
		}
	}
	if (*p) {
		snprintf(err, errlen, "--shape: '%s' has more than %d levels", s, MESH_LEVELS);
		return false;
	}
	return true;
}

bool mesh_build(struct mesh *m, const unsigned shape[MESH_LEVELS])
{
	unsigned width = 1, total = 0;
	for (unsigned i = 0; i < MESH_LEVELS; i++) {
		m->shape[i] = shape[i];
		width *= shape[i];
		total += width;
	}
	m->n = calloc(total, sizeof(*m->n));
	if (!m->n)
		return false;
	m->count = total;
	m->ngrids = width;
	/* breadth first: level by level, each parent's children together */
	struct mnode *c = &m->n[0];
	snprintf(c->code, sizeof(c->code), "4401");
	c->level = LEVEL_CITY;
	c->parent = -1;
	unsigned next = 1, lo = 0, hi = 1;
	for (unsigned lv = 1; lv < MESH_LEVELS; lv++) {
		for (unsigned p = lo; p < hi; p++) {
			m->n[p].child0 = (int)next;
			m->n[p].nchild = (int)shape[lv];
			char pc[CODE_MAX + 1];
			memcpy(pc, m->n[p].code, sizeof(pc));
			for (unsigned k = 0; k < shape[lv]; k++) {
				struct mnode *x = &m->n[next++];
				x->parent = (int)p;
				x->level = (enum level)(lv + 1);
				if (x->level == LEVEL_DISTRICT)
					snprintf(x->code, sizeof(x->code), "%s%02u", pc, k + 1);
				else if (x->level == LEVEL_STREET)
					snprintf(x->code, sizeof(x->code), "%s%03u", pc, k + 1);
				else
					snprintf(x->code, sizeof(x->code), "%s001%03u", pc, k + 1);
			}
		}
		lo = hi;
		hi = next;
	}
	for (unsigned i = 0; i < total; i++)
		m->n[i].offline_s = -1;
	return true;
}

int mesh_find(const struct mesh *m, const char *code)
{
	for (unsigned i = 0; i < m->count; i++)
		if (strcmp(m->n[i].code, code) == 0)
			return (int)i;
	return -1;
}

int mesh_ancestor(const struct mesh *m, int i, enum level level)
{
	while (i >= 0 && m->n[i].level > level)
		i = m->n[i].parent;
	return i;
}

/* Free loopback ports for every listening node: all held open at once so
 * no two are the same, then released for gridnode to bind. */
static bool pick_ports(struct mesh *m)
{
	int *fds = malloc(m->count * sizeof(*fds));
	bool ok = true;
	if (!fds)
		return false;
	for (unsigned i = 0; i < m->count; i++) {
		fds[i] = -1;
		if (m->n[i].level == LEVEL_GRID)
			continue;
		fds[i] = bench_udp_socket(0);
		if (fds[i] < 0 || !(m->n[i].port = bench_bound_port(fds[i]))) {
			fprintf(stderr, "meshsim: no free UDP port on 127.0.0.1: %s\n", strerror(errno));
			ok = false;
			break;
		}
	}
	if (ok && m->count_bytes)
		ok = mesh_relay_open(m);
	for (unsigned i = 0; i < m->count; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(fds);
	return ok;
}

static bool write_conf(const struct mnode *x)
{
	char path[1100];
	snprintf(path, sizeof(path), "%s/%s", x->dir, CONFIG_FILE);
	FILE *f = fopen(path, "w");
	if (!f || fputs(fast_conf, f) == EOF) {
		fprintf(stderr, "meshsim: cannot write %s: %s\n", path, strerror(errno));
		if (f)
			fclose(f);
		return false;
	}
	return fclose(f) == 0;
}

/* Stores coap://127.0.0.1:PORT under `key` (as gridctl init --listen/--parent). */
static bool set_uri(struct mnode *x, const char *key, unsigned port)
{
	char uri[64];
	snprintf(uri, sizeof(uri), "coap://127.0.0.1:%u", port);
	if (store_meta_set(x->st, key, uri)) {
		fprintf(stderr, "meshsim: %s: %s\n", x->code, store_errmsg(x->st));
		return false;
	}
	return true;
}

bool mesh_create(struct mesh *m)
{
	char err[512];
	if (mkdir(m->work, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "meshsim: cannot create %s: %s\n", m->work, strerror(errno));
		return false;
	}
	if (!pick_ports(m))
		return false;
	/* before any store is open: the relay process needs none of them */
	if (m->count_bytes && !mesh_relay_start(m))
		return false;
	for (unsigned i = 0; i < m->count && !mesh_interrupted; i++) {
		struct mnode *x = &m->n[i];
		snprintf(x->dir, sizeof(x->dir), "%s/%s", m->work, x->code);
		if (store_create(x->dir, x->level, x->code, m->datadir, &x->st, err, sizeof(err))) {
			fprintf(stderr, "meshsim: %s\n", err);
			return false;
		}
		if (x->port && !set_uri(x, "listen", x->port))
			return false;
		/* with --bytes a child talks to its relay, which talks to the parent */
		if (x->parent >= 0 &&
		    !set_uri(x, "parent", x->relay_port ? x->relay_port : m->n[x->parent].port))
			return false;
		if (!write_conf(x))
			return false;
	}
	return !mesh_interrupted;
}

void mesh_free(struct mesh *m)
{
	if (!m->n)
		return;
	for (unsigned i = 0; i < m->count; i++)
		store_close(m->n[i].st);
	free(m->n);
	m->n = NULL;
}
