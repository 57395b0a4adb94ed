/* meshsim_check.c - is every node of the mesh in step?  (see meshsim.h) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "bench_common.h"
#include "meshsim.h"

#define POLL_US 20000

/* Restarts the offline nodes whose time has come; true if any is still due. */
static bool restarts(struct mesh *m, double now, struct mesh_wait *w, bool *ok)
{
	bool due = false;
	for (unsigned i = 0; i < m->count; i++) {
		struct mnode *x = &m->n[i];
		if (!x->back_at)
			continue;
		if (now < x->back_at) {
			due = true;
			continue;
		}
		x->back_at = 0;
		mesh_say(m, "  %5.1f s  %s back online", now - w->t_ref, x->code);
		if (!mesh_start(m, (int)i))
			*ok = false;
		w->t_restart = bench_now();
	}
	return due;
}

static void show_behind(const struct mesh *m)
{
	unsigned shown = 0;
	for (unsigned i = 0; i < m->count && shown < 10; i++) {
		const struct mnode *x = &m->n[i];
		if (x->have == x->expect)
			continue;
		fprintf(stderr, "  %-16s %-8s holds %llu of %llu changes\n", x->code,
			level_name(x->level), (unsigned long long)x->have,
			(unsigned long long)x->expect);
		shown++;
	}
}

bool mesh_wait(struct mesh *m, const char *what, struct mesh_wait *w)
{
	double start = bench_now();
	double next_line = start + 1.0;
	bool ok = true;

	w->t_conv = 0;
	for (;;) {
		double now = bench_now();
		if (mesh_interrupted) {
			fprintf(stderr, "meshsim: interrupted\n");
			return false;
		}
		bool due = restarts(m, now, w, &ok);
		if (!ok || !mesh_alive(m))
			return false;
		unsigned in = 0;
		uint64_t have = 0, want = 0;
		for (unsigned i = 0; i < m->count; i++) {
			struct mnode *x = &m->n[i];
			x->have = store_change_count(x->st);
			if (x->have > x->expect) {
				fprintf(stderr, "meshsim: %s holds %llu changes but its subtree made only"
						" %llu: it received changes outside its scope\n", x->code,
					(unsigned long long)x->have, (unsigned long long)x->expect);
				return false;
			}
			in += x->have == x->expect;
			have += x->have;
			want += x->expect;
		}
		if (in == m->count && !due) {
			/* each node was in step when read, and stays so: all were by the
			 * end of this poll (an upper bound, within a poll's length) */
			w->t_conv = bench_now();
			mesh_say(m, "  %5.1f s  %s: all %u nodes in step", bench_now() - w->t_ref,
				 what, m->count);
			return true;
		}
		if (bench_now() >= next_line) {
			mesh_say(m, "  %5.1f s  %s: %u/%u nodes in step, %llu/%llu changes in place",
				 bench_now() - w->t_ref, what, in, m->count, (unsigned long long)have,
				 (unsigned long long)want);
			next_line += 1.0;
		}
		if (bench_now() - start > w->timeout_s) {
			fprintf(stderr, "meshsim: %s: not in step after %.0f s; behind:\n", what,
				w->timeout_s);
			show_behind(m);
			return false;
		}
		usleep(POLL_US);
	}
}

static bool digest_of(struct mnode *x, const char *scope, uint8_t out[32], uint64_t *n)
{
	if (store_digest(x->st, scope, out, n)) {
		fprintf(stderr, "meshsim: digest of %s: %s\n", x->code, store_errmsg(x->st));
		return false;
	}
	return true;
}

bool mesh_verify(struct mesh *m)
{
	uint8_t (*own)[32] = malloc(m->count * sizeof(*own));
	uint64_t *nown = malloc(m->count * sizeof(*nown));
	uint8_t d[32];
	uint64_t n;
	bool ok = false;

	if (!own || !nown)
		goto out_free;
	for (unsigned i = 0; i < m->count; i++) {
		struct mnode *x = &m->n[i];
		if (!digest_of(x, x->code, own[i], &nown[i]) || !digest_of(x, NULL, d, &n))
			goto out_free;
		if (memcmp(d, own[i], 32) != 0) {
			fprintf(stderr, "meshsim: %s holds records outside its scope (%llu records,"
					" %llu of them its own)\n", x->code, (unsigned long long)n,
				(unsigned long long)nown[i]);
			goto out_free;
		}
	}
	for (unsigned i = 1; i < m->count; i++) {
		struct mnode *x = &m->n[i], *p = &m->n[x->parent];
		if (!digest_of(p, x->code, d, &n))
			goto out_free;
		if (memcmp(d, own[i], 32) != 0) {
			fprintf(stderr, "meshsim: %s and its parent %s differ on %s's records"
					" (%llu and %llu records)\n", x->code, p->code, x->code,
				(unsigned long long)nown[i], (unsigned long long)n);
			goto out_free;
		}
	}
	ok = true;
out_free:
	free(own);
	free(nown);
	return ok;
}
