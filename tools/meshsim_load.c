/*
 * meshsim_load.c - the write load: new tickets at the grids (the LA 311
 * workload, as gridctl ticket add would write them beside the daemon) and
 * dispatches from above (a street, district or city updating a grid's
 * ticket: status and assignee, with a note), which must reach that grid
 * and no other.  Every change is counted into the expectations of the
 * nodes that must end up holding it: its grid and the grid's ancestors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bench_common.h"
#include "meshsim.h"
#include "../node/tickets.h"

#define DISPATCH_TXN 1000

static struct bench_ticket *wl;
static unsigned wl_n;

/* At least n workload tickets (fields only: ids are given when written). */
static bool workload(const struct mesh *m, unsigned n)
{
	if (n <= wl_n)
		return true;
	free(wl);
	wl = NULL;
	wl_n = 0;
	if (bench_workload(m->datadir, n, "4401", &wl)) {
		fprintf(stderr, "meshsim: cannot read the workload from %s\n", m->datadir);
		return false;
	}
	wl_n = n;
	return true;
}

static void expect(struct mesh *m, int grid, unsigned k)
{
	for (int i = grid; i >= 0; i = m->n[i].parent)
		m->n[i].expect += k;
}

static int first_grid(const struct mesh *m)
{
	return (int)(m->count - m->ngrids);
}

bool mesh_seed(struct mesh *m, unsigned per_grid)
{
	if (!per_grid)
		return true;
	if (!workload(m, per_grid))
		return false;
	for (int g = first_grid(m); g < (int)m->count && !mesh_interrupted; g++) {
		struct mnode *x = &m->n[g];
		if (bench_add_tickets(x->st, wl, per_grid, &x->seed_first))
			return false;
		x->nseed = per_grid;
		expect(m, g, per_grid);
	}
	return !mesh_interrupted;
}

/* Which node makes dispatch i, and to which grid. */
static int dispatcher(const struct mesh *m, const struct mesh_load *l, unsigned i, int *grid)
{
	static const enum level mix[] = { LEVEL_STREET, LEVEL_DISTRICT, LEVEL_CITY };
	enum level lv;
	*grid = first_grid(m) + (int)(i % m->ngrids);
	switch (l->from) {
	case FROM_STREET: lv = LEVEL_STREET; break;
	case FROM_DISTRICT: lv = LEVEL_DISTRICT; break;
	case FROM_CITY: lv = LEVEL_CITY; break;
	default: lv = mix[(i / m->ngrids) % 3];
	}
	return mesh_ancestor(m, *grid, lv);
}

static enum gm_err dispatch(struct mesh *m, int d, int g, unsigned i)
{
	static const char *const depts[] = { "sanitation", "roads", "lighting", "water", "parks" };
	const struct table_def *tab = schema_table(T_TICKET);
	struct mnode *x = &m->n[g];
	char id[40], note[64];
	uint8_t c[2] = { (uint8_t)schema_col(tab, "status", 6),
			 (uint8_t)schema_col(tab, "assignee", 8) };
	struct gm_value v[2] = { gm_text("dispatched"), gm_text(depts[i % 5]) };

	/* the grid's seed tickets in turn */
	ticket_id_format(id, sizeof(id), x->code, x->seed_first + (i / m->ngrids) % x->nseed);
	snprintf(note, sizeof(note), "dispatched by %s", m->n[d].code);
	struct store_write w = { .tab = tab, .key = id, .nset = 2, .cols = c, .vals = v,
				 .actor = "meshsim", .note = note, .mode = W_UPDATE };
	return store_put(m->n[d].st, &w, NULL);
}

/* Dispatches [from, to) made by node d, DISPATCH_TXN to a transaction, as
 * an operator's tool would commit them. */
static bool dispatch_range(struct mesh *m, const struct mesh_load *l, int d, unsigned from,
			   unsigned to, unsigned *done)
{
	struct store *st = m->n[d].st;
	unsigned open = 0;
	for (unsigned i = from; i < to; i++) {
		int g;
		if (dispatcher(m, l, i, &g) != d)
			continue;
		if (!m->n[g].nseed) {
			fprintf(stderr, "meshsim: grid %s has no tickets to dispatch\n", m->n[g].code);
			goto out_rollback;
		}
		if (!open && store_begin(st))
			goto out_fail;
		if (dispatch(m, d, g, i))
			goto out_fail;
		expect(m, g, 1);
		(*done)++;
		if (++open == DISPATCH_TXN) {
			if (store_commit(st))
				goto out_fail;
			open = 0;
		}
	}
	if (open && store_commit(st))
		goto out_fail;
	return true;
out_fail:
	fprintf(stderr, "meshsim: dispatch from %s: %s\n", m->n[d].code, store_errmsg(st));
out_rollback:
	store_rollback(st);
	return false;
}

bool mesh_load_run(struct mesh *m, const struct mesh_load *l, double *t_last)
{
	unsigned rounds = l->rounds ? l->rounds : 1;
	unsigned ng = m->ngrids, done = 0;
	unsigned most = l->writes / ng + 1;

	*t_last = bench_now();
	if (!workload(m, most / rounds + 1))
		return false;
	for (unsigned r = 0; r < rounds; r++) {
		for (unsigned k = 0; k < ng && !mesh_interrupted; k++) {
			int g = first_grid(m) + (int)k;
			unsigned w = l->writes / ng + (k < l->writes % ng);
			unsigned chunk = (unsigned)((uint64_t)w * (r + 1) / rounds -
						    (uint64_t)w * r / rounds);
			if (!chunk)
				continue;
			if (bench_add_tickets(m->n[g].st, wl, chunk, NULL))
				return false;
			expect(m, g, chunk);
			*t_last = bench_now();
		}
		unsigned from = (unsigned)((uint64_t)l->dispatches * r / rounds);
		unsigned to = (unsigned)((uint64_t)l->dispatches * (r + 1) / rounds);
		for (int d = 0; d < first_grid(m) && from < to && !mesh_interrupted; d++) {
			unsigned before = done;
			if (!dispatch_range(m, l, d, from, to, &done))
				return false;
			if (done != before)
				*t_last = bench_now();
		}
		if (mesh_interrupted)
			return false;
	}
	free(wl);
	wl = NULL;
	wl_n = 0;
	return true;
}
