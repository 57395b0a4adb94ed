/*
 * test_tree.h - enrolled nodes for the identity tests: a node directory
 * with its store, key and identity; enrolment by the real request, issue
 * and install path; moving batches between stores; and batches crafted
 * and signed by hand (any origin, scope, clock and key).
 */
#ifndef GM_TEST_TREE_H
#define GM_TEST_TREE_H

#include <stdbool.h>
#include <stdint.h>
#include <sodium.h>
#include "test_util.h"
#include "../../node/identity.h"

struct t_node {
	const char *dir;
	struct store *st;
	struct identity *id;
	uint8_t sk[crypto_sign_SECRETKEYBYTES];
};

/* A new store of level/code in a fresh directory, with a new key. */
void t_node_make(struct t_node *n, enum level lv, const char *code);
/* Loads the node's identity files again and attaches them to its store. */
void t_node_reload(struct t_node *n);
/* The city certifies itself. */
void t_node_enrol_self(struct t_node *city);
/* `parent` certifies `child` (request, issue, install); the result of
 * identity_install, whether the package replaced an earlier key. */
bool t_node_enrol(struct t_node *parent, struct t_node *child);
void t_node_free(struct t_node *n);
/* Seals `from` and applies its whole log (what `to` would hold) to `to`;
 * true if nothing was refused. */
bool t_carry(struct t_node *from, struct t_node *to);

/* A one-change batch. */
struct t_craft {
	const char *origin;      /* code */
	const char *scope;
	uint8_t cls;
	const char *table;
	const char *key;
	const char *field;
	struct gm_value val;
	uint64_t t;              /* HLC clock; 0 = now */
	const uint8_t *sk;       /* NULL = unsigned */
	unsigned version;        /* 0 = current */
};
/* Encodes (and signs) the batch into out; its length. */
size_t t_craft(const struct t_craft *c, struct gm_buf *out);

#endif
