/* test_tree.c - enrolled nodes and hand-made batches for the identity tests. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "test_tree.h"
#include "../../node/exchange.h"
#include "../../node/fileio.h"
#include "../../proto/batch.h"
#include "../../sync/hlc.h"

void t_node_make(struct t_node *n, enum level lv, const char *code)
{
	char err[512], path[1024];
	uint8_t *k;
	size_t len;
	memset(n, 0, sizeof(*n));
	CU_ASSERT_FATAL(sodium_init() >= 0);
	n->dir = strdup(t_tmpdir(code));
	CU_ASSERT_FATAL(store_create(n->dir, lv, code, t_refdir(), &n->st, err, sizeof(err)) == GM_OK);
	CU_ASSERT_FATAL(identity_keygen(n->dir, err, sizeof(err)) == GM_OK);
	snprintf(path, sizeof(path), "%s/%s", n->dir, ID_KEY_FILE);
	CU_ASSERT_FATAL(fileio_read_all(path, 64, &k, &len, err, sizeof(err)) == 0 && len == 64);
	memcpy(n->sk, k, 64);
	free(k);
}

void t_node_reload(struct t_node *n)
{
	char err[512];
	identity_free(n->id);
	CU_ASSERT_FATAL(identity_load(n->dir, &n->id, err, sizeof(err)) == GM_OK);
	identity_attach(n->id, n->st);
}

void t_node_enrol_self(struct t_node *city)
{
	char err[512];
	t_node_reload(city);
	CU_ASSERT_FATAL(identity_enrol_self(city->dir, city->id, city->st, 30, err, sizeof(err)) ==
			GM_OK);
	t_node_reload(city);
}

bool t_node_enrol(struct t_node *parent, struct t_node *child)
{
	struct gm_buf req, pkg;
	struct id_install res;
	char err[512];
	gm_buf_init(&req);
	gm_buf_init(&pkg);
	t_node_reload(child);
	CU_ASSERT_FATAL(identity_request(child->id, child->st, &req, err, sizeof(err)) == GM_OK);
	CU_ASSERT_FATAL(identity_issue(parent->id, parent->st, req.p, req.len, 30, &pkg, err,
				       sizeof(err)) == GM_OK);
	CU_ASSERT_FATAL(identity_install(child->dir, child->id, child->st, pkg.p, pkg.len, &res,
					 err, sizeof(err)) == GM_OK);
	t_node_reload(child);
	gm_buf_free(&req);
	gm_buf_free(&pkg);
	return res.replaces;
}

void t_node_free(struct t_node *n)
{
	store_close(n->st);
	identity_free(n->id);
	free((void *)n->dir);
	memset(n, 0, sizeof(*n));
}

bool t_carry(struct t_node *from, struct t_node *to)
{
	struct batch_filter bf = { .dir = BF_ALL, .exclude_link = -1 };
	struct exchange_out out;
	struct exchange_in in;
	struct gm_buf b;
	gm_buf_init(&b);
	CU_ASSERT_FATAL(store_seal(from->st, 0, NULL) == GM_OK);
	CU_ASSERT_FATAL(exchange_collect(from->st, 0, &bf, store_code(to->st), 0, &b, &out) == GM_OK);
	CU_ASSERT_FATAL(exchange_apply(to->st, b.p, b.len, LINK_IMPORT, 1 << 24, &in) == GM_OK);
	gm_buf_free(&b);
	if (in.refused || in.rejected)
		fprintf(stderr, "\n  carry %s -> %s: %s\n", store_code(from->st), store_code(to->st),
			in.why);
	return in.refused == 0 && in.rejected == 0;
}

size_t t_craft(const struct t_craft *c, struct gm_buf *out)
{
	struct batch b;
	struct batch_group g;
	struct batch_change ch;
	struct gm_buf payload;
	const char *fields[1] = { c->field };
	uint32_t lens[1] = { (uint32_t)strlen(c->field) };
	uint64_t t = c->t ? c->t : hlc_from_ms(hlc_wall_ms());

	memset(&b, 0, sizeof(b));
	memset(&g, 0, sizeof(g));
	memset(&ch, 0, sizeof(ch));
	ch.key = c->key;
	ch.keylen = (uint32_t)strlen(c->key);
	ch.t = t;
	ch.mask = 1;
	ch.vals = (struct gm_value *)&c->val;
	g.table = c->table;
	g.tablelen = (uint32_t)strlen(c->table);
	g.nfields = 1;
	g.fields = fields;
	g.fieldlens = lens;
	g.n = 1;
	g.ch = &ch;
	b.base_t = t;
	b.ngroups = 1;
	b.groups = &g;
	gm_buf_init(&payload);
	CU_ASSERT_FATAL(batch_encode_payload(&b, &payload) == GM_OK);
	CU_ASSERT_FATAL(node_id_from_code(c->origin, strlen(c->origin), &b.env.origin));
	b.env.bseq = 1;
	b.env.scope = c->scope;
	b.env.scopelen = (uint32_t)strlen(c->scope);
	b.env.cls = c->cls;
	b.env.nchanges = 1;
	b.env.tmax = t;
	CU_ASSERT_FATAL(batch_env_encode(&b.env, payload.p, payload.len, out) == GM_OK);
	if (c->version)
		out->p[1] = (uint8_t)c->version;    /* fixint right after the array header */
	if (c->sk) {
		uint8_t sig[64];
		crypto_sign_detached(sig, NULL, out->p, b.env.signed_len, c->sk);
		batch_env_finish(out, sig);
	} else {
		batch_env_finish(out, NULL);
	}
	gm_buf_free(&payload);
	return out->len;
}
