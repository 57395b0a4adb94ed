/*
 * meshsim_enrol.c - the tree enrolled as a deployment is (see meshsim.h):
 * the city certifies itself, every parent certifies its children, so
 * every batch a gridnode seals is signed and every batch it receives is
 * verified against the certificates, as gridctl keygen / enrol would set
 * it up.  Links stay plain CoAP (the settings say insecure = true): the
 * DTLS handshake has its own tests.
 *
 * A certificate travels as replicated reference records (node/identity.h)
 * the issuer writes; each is counted into the expectations of the nodes
 * that hold it (exchange_held_by), as the load's changes are, and so is
 * the resident aggregate the street key makes streets write per grid.
 */
#include <stdio.h>
#include <string.h>
#include <sodium.h>
#include "meshsim.h"
#include "../node/exchange.h"
#include "../node/identity.h"
#include "../sync/schema.h"

#define CERT_DAYS 365

/* k changes of class cls scoped to `code`, counted where they go. */
static void expect_at(struct mesh *m, const char *code, enum repl_class cls, uint64_t k)
{
	struct batch_env env = { .scope = code, .scopelen = (uint32_t)strlen(code),
				 .cls = (uint8_t)cls };
	for (unsigned i = 0; i < m->count; i++)
		if (exchange_held_by(&env, m->n[i].code))
			m->n[i].expect += k;
}

static struct identity *load_key(const char *dir, char *err, size_t errlen)
{
	struct identity *id = NULL;
	if (identity_keygen(dir, err, errlen) || identity_load(dir, &id, err, errlen))
		return NULL;
	return id;
}

/* Node i (not the city) asks its parent, which certifies it. */
static bool enrol_child(struct mesh *m, unsigned i, char *err, size_t errlen)
{
	struct mnode *x = &m->n[i], *p = &m->n[x->parent];
	struct identity *cid = load_key(x->dir, err, errlen), *pid = NULL;
	struct gm_buf req, pkg;
	bool ok = false;
	gm_buf_init(&req);
	gm_buf_init(&pkg);
	if (!cid || identity_request(cid, x->st, &req, err, errlen) ||
	    identity_load(p->dir, &pid, err, errlen))
		goto out;
	uint64_t before = store_change_count(p->st), mine = store_change_count(x->st);
	if (identity_issue(pid, p->st, req.p, req.len, CERT_DAYS, &pkg, err, errlen) ||
	    identity_install(x->dir, cid, x->st, pkg.p, pkg.len, NULL, err, errlen))
		goto out;
	if (store_change_count(x->st) != mine) {
		snprintf(err, errlen, "installing a certificate wrote changes");
		goto out;
	}
	expect_at(m, x->code, CLS_REF, store_change_count(p->st) - before);
	ok = true;
out:
	identity_free(cid);
	identity_free(pid);
	gm_buf_free(&req);
	gm_buf_free(&pkg);
	return ok;
}

bool mesh_enrol(struct mesh *m)
{
	char err[512];
	struct mnode *city = &m->n[0];
	if (sodium_init() < 0) {
		fprintf(stderr, "meshsim: cannot start libsodium\n");
		return false;
	}
	struct identity *id = load_key(city->dir, err, sizeof(err));
	uint64_t before = store_change_count(city->st);
	if (!id || identity_enrol_self(city->dir, id, city->st, CERT_DAYS, err, sizeof(err))) {
		identity_free(id);
		fprintf(stderr, "meshsim: enrolling %s: %s\n", city->code, err);
		return false;
	}
	identity_free(id);
	expect_at(m, city->code, CLS_REF, store_change_count(city->st) - before);
	/* breadth first: every parent is certified before its children */
	for (unsigned i = 1; i < m->count && !mesh_interrupted; i++) {
		if (!enrol_child(m, i, err, sizeof(err))) {
			fprintf(stderr, "meshsim: enrolling %s: %s\n", m->n[i].code, err);
			return false;
		}
	}
	/*
	 * A street holding the street key writes each grid's resident
	 * aggregate (node/residents.h) when the grid first pushes: one change
	 * per grid, as in any enrolled tree, even with no residents.
	 */
	for (unsigned i = 0; i < m->count; i++)
		if (m->n[i].level == LEVEL_GRID)
			expect_at(m, m->n[i].code, schema_table(T_RESIDENT_AGG)->cls, 1);
	return !mesh_interrupted;
}
