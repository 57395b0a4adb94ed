/*
 * meshsim.h - what the parts of the mesh simulator share (tools/meshsim*.c).
 *
 * A mesh is a tree of real gridnode processes on loopback, laid out from a
 * shape (fan-out per level: 1 city, then districts per city, streets per
 * district, grids per street).  Nodes are numbered breadth first, so a
 * node's children are contiguous and every parent comes before its
 * children.  meshsim keeps its own handle on every node's store: it writes
 * the load through it (as gridctl would, beside the daemon) and reads how
 * many changes each node holds.
 *
 * "In step" is decided in two steps.  Cheap, polled: every change meshsim
 * makes has a scope (a grid), so it knows how many changes each node must
 * hold (those of its subtree); a node holding more has received something
 * outside its scope.  Exact, once the counts agree: every node's digest of
 * its own scope equals its parent's digest of that scope, and equals its
 * digest of everything it holds.  Edge by edge this makes every node hold
 * exactly what the city holds for its scope, and nothing else.
 *
 * Every process meshsim starts is stopped on every way out (a failure,
 * SIGINT, SIGTERM); children also get SIGTERM if meshsim itself dies.
 */
#ifndef GM_MESHSIM_H
#define GM_MESHSIM_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "../node/store.h"

#define MESH_LEVELS 4
#define MESH_MAX_NODES 4000

struct mnode {
	char code[CODE_MAX + 1];
	enum level level;
	int parent;                 /* index; -1 for the city */
	int child0, nchild;         /* children: [child0, child0 + nchild) */
	char dir[1024];
	uint16_t port;              /* listen port; 0 for grids */
	pid_t pid;                  /* 0 when not running */
	struct store *st;           /* meshsim's own handle */
	uint64_t expect;            /* changes it holds when in step */
	uint64_t have;              /* at the last poll */
	double offline_s;           /* < 0: never taken offline */
	double back_at;             /* when to restart it (monotonic s), 0 = not due */
	long long seed_first;       /* sequence of its first seed ticket */
	unsigned nseed;
	uint16_t relay_port;        /* --bytes: where its children send */
};

struct mesh {
	struct mnode *n;
	unsigned count, ngrids;
	unsigned shape[MESH_LEVELS];
	char work[1024];
	char gridnode[1024];
	const char *datadir;
	bool verbose;               /* gridnode -v */
	bool quiet;                 /* no progress lines */
	FILE *out;                  /* progress (stdout, or stderr with --json) */
	bool count_bytes;           /* --bytes */
	bool unsigned_batches;      /* --unsigned: no node enrolled */
	struct relay *relays;       /* --bytes: one per node, in front of its parent */
	pid_t relay;                /* --bytes: the relay process, 0 if none */
	uint64_t *relay_bytes;      /* shared with it: bytes per node's uplink */
};

/* Set by SIGINT/SIGTERM; every wait checks it. */
extern volatile sig_atomic_t mesh_interrupted;

/* meshsim_tree.c: the shape, node codes, directories, stores, settings. */
bool mesh_parse_shape(const char *s, unsigned shape[MESH_LEVELS], char *err, size_t errlen);
/* The tree of nodes and their codes (nothing on disk yet). */
bool mesh_build(struct mesh *m, const unsigned shape[MESH_LEVELS]);
int mesh_find(const struct mesh *m, const char *code);
/* Makes every node's directory, store and gridnode.conf under m->work
 * (and with --bytes starts the relays). */
bool mesh_create(struct mesh *m);
/* meshsim_enrol.c: keys and certificates for every node (unless
 * --unsigned), counted into the expectations. */
bool mesh_enrol(struct mesh *m);
/* Closes meshsim's store handles and frees the tree. */
void mesh_free(struct mesh *m);
/* The ancestor of node i at `level` (i itself if it is at that level). */
int mesh_ancestor(const struct mesh *m, int i, enum level level);

/* meshsim_proc.c: gridnode processes. */
bool mesh_start(struct mesh *m, int i);
void mesh_stop(struct mesh *m, int i);
bool mesh_start_all(struct mesh *m);
void mesh_stop_all(struct mesh *m);
/* False (with a message) if a node we started has exited. */
bool mesh_alive(struct mesh *m);
/* VmRSS of a running node, KiB; 0 if unknown. */
long mesh_rss_kb(const struct mesh *m, int i);
/*
 * --bytes: a relay in front of every parent, counting each link's bytes.
 * mesh_relay_open binds the relays' sockets (before the stores learn the
 * ports); mesh_relay_start forks the process that runs them.
 */
bool mesh_relay_open(struct mesh *m);
bool mesh_relay_start(struct mesh *m);
void mesh_relay_stop(struct mesh *m);
uint64_t mesh_relay_total(const struct mesh *m);

/* meshsim_load.c: writes at the grids, dispatches from above. */
enum mesh_from { FROM_MIX = 0, FROM_STREET, FROM_DISTRICT, FROM_CITY };
struct mesh_load {
	unsigned writes;            /* new tickets, spread over the grids */
	unsigned dispatches;        /* updates of grid tickets from above */
	enum mesh_from from;
	unsigned rounds;            /* the load comes in this many waves */
};
bool mesh_seed(struct mesh *m, unsigned per_grid);
/* Runs the load; *t_last gets the time the last write committed. */
bool mesh_load_run(struct mesh *m, const struct mesh_load *l, double *t_last);

/* meshsim_check.c: in step or not. */
struct mesh_wait {
	double timeout_s;
	double t_ref;               /* progress lines count from here */
	double t_conv;              /* out: when the poll that found all in step ended */
	double t_restart;           /* out: when the last offline node came back, 0 if none */
};
bool mesh_wait(struct mesh *m, const char *what, struct mesh_wait *w);
/* Digests, edge by edge (see the top comment); false with a message. */
bool mesh_verify(struct mesh *m);

/* Logs a line to m->out unless quiet. */
void mesh_say(const struct mesh *m, const char *fmt, ...) GM_PRINTF(2, 3);

#endif
