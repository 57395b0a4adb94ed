/*
 * meshsim - a city of real gridnode processes on loopback, a write load at
 * its grids and dispatches from above, and how long until every node is
 * in step (see meshsim.h for what "in step" means and how it is checked).
 *
 *   meshsim [--shape 1,4,4,4] [--writes 64000] [--dispatch N] [--from LEVEL]
 *           [--offline CODE:SECONDS ...] [--work DIR] [--keep] [--json] ...
 *
 * Steps: make the nodes (stores and gridnode.conf), start a gridnode for
 * each, seed every grid with a few tickets (so dispatches have something
 * to update, and every link is up) and wait until in step; take the
 * --offline nodes down; run the load; bring the offline nodes back
 * SECONDS after the last write; wait until in step; verify digests; read
 * every node's RSS once the tree has been idle for IDLE_S; stop everything.  Exit 0 only if every node ended in
 * step with equal digests.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dirent.h>
#include <jansson.h>
#include "bench_common.h"
#include "meshsim.h"
#include "../node/refdata.h"

/* RSS is read this long after the tree got in step */
#define IDLE_S 5

volatile sig_atomic_t mesh_interrupted;

static void on_signal(int sig)
{
	(void)sig;
	mesh_interrupted = 1;
}

struct opts {
	unsigned shape[MESH_LEVELS];
	struct mesh_load load;
	long dispatch;              /* -1: one per grid */
	long seed;                  /* per grid; -1: as the dispatches need */
	double timeout_s;
	long hold_s;                /* keep the tree running after the figures */
	const char *work;
	bool keep, json;
	char **offline;
	unsigned noffline;
};

struct figures {
	double create_s, seed_s, load_s, converge_s, since_restart_s;
	long rss_max[LEVEL_GRID + 1], grid_rss_median;
	uint64_t bytes_load, bytes_total;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: meshsim [--shape C,D,S,G] [--writes N] [--dispatch N] [--from LEVEL]\n"
		"               [--seed N] [--rounds N] [--offline CODE:SECONDS]... [--work DIR]\n"
		"               [--keep] [--json] [--bytes] [--unsigned] [--timeout S] [--hold S]\n"
		"               [--data DIR] [--gridnode PATH] [-v] [-q]\n"
		"  --shape      fan-out per level: 1 city, districts per city, streets per\n"
		"               district, grids per street (default 1,4,4,4: 85 nodes)\n"
		"  --writes     new tickets, spread evenly over the grids (default 64000)\n"
		"  --dispatch   updates of grid tickets made above the grid (default: one\n"
		"               per grid); each must reach its grid and no other\n"
		"  --from       who dispatches: street, district, city or mix (default)\n"
		"  --seed       tickets per grid made (and synced) before the load\n"
		"               (default: enough for the dispatches, at most 1000)\n"
		"  --rounds     the load comes in this many waves (default 8)\n"
		"  --offline    stop node CODE before the load; start it again SECONDS\n"
		"               after the last write (its own writes go to its store)\n"
		"  --work       where the node directories go (new or empty; default a\n"
		"               fresh folder under $TMPDIR); removed at the end unless\n"
		"               --keep or a failure\n"
		"  --json       the figures as one JSON object on stdout (progress on stderr)\n"
		"  --bytes      count every link's bytes through relays (adds a hop)\n"
		"  --unsigned   enrol no node: batches go unsigned and unverified (by\n"
		"               default every node is enrolled, as deployed)\n"
		"  --timeout    give up waiting after S seconds (default 300)\n"
		"  --hold       keep the tree running S seconds after the figures (to look\n"
		"               at it with gridctl status, /proc, perf); Ctrl-C ends it\n"
		"  -v           gridnode -v (logs in WORK/CODE.log)\n"
		"  -q           no progress lines\n");
}

static bool parse_long(const char *opt, const char *s, long lo, long hi, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi) {
		fprintf(stderr, "meshsim: %s: '%s' is not a whole number from %ld to %ld\n", opt, s,
			lo, hi);
		return false;
	}
	*out = v;
	return true;
}

static int parse_args(int argc, char **argv, struct mesh *m, struct opts *o)
{
	static const struct option lo[] = {
		{ "shape", required_argument, NULL, 's' },
		{ "writes", required_argument, NULL, 'w' },
		{ "dispatch", required_argument, NULL, 'D' },
		{ "from", required_argument, NULL, 'f' },
		{ "seed", required_argument, NULL, 'S' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "offline", required_argument, NULL, 'o' },
		{ "work", required_argument, NULL, 'W' },
		{ "keep", no_argument, NULL, 'k' },
		{ "json", no_argument, NULL, 'j' },
		{ "bytes", no_argument, NULL, 'b' },
		{ "unsigned", no_argument, NULL, 'u' },
		{ "timeout", required_argument, NULL, 't' },
		{ "hold", required_argument, NULL, 'H' },
		{ "data", required_argument, NULL, 'd' },
		{ "gridnode", required_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char err[256];
	long v;
	int c;
	while ((c = getopt_long(argc, argv, "vqh", lo, NULL)) != -1) {
		switch (c) {
		case 's':
			if (!mesh_parse_shape(optarg, o->shape, err, sizeof(err))) {
				fprintf(stderr, "meshsim: %s\n", err);
				return 2;
			}
			break;
		case 'w':
			if (!parse_long("--writes", optarg, 0, 100000000, &v))
				return 2;
			o->load.writes = (unsigned)v;
			break;
		case 'D':
			if (!parse_long("--dispatch", optarg, 0, 100000000, &o->dispatch))
				return 2;
			break;
		case 'f':
			if (!strcmp(optarg, "mix"))
				o->load.from = FROM_MIX;
			else if (!strcmp(optarg, "street"))
				o->load.from = FROM_STREET;
			else if (!strcmp(optarg, "district"))
				o->load.from = FROM_DISTRICT;
			else if (!strcmp(optarg, "city"))
				o->load.from = FROM_CITY;
			else {
				fprintf(stderr, "meshsim: --from: '%s' is not street, district, city or"
						" mix\n", optarg);
				return 2;
			}
			break;
		case 'S':
			if (!parse_long("--seed", optarg, 0, 1000000, &o->seed))
				return 2;
			break;
		case 'r':
			if (!parse_long("--rounds", optarg, 1, 100000, &v))
				return 2;
			o->load.rounds = (unsigned)v;
			break;
		case 'o': {
			char **n = realloc(o->offline, (o->noffline + 1) * sizeof(*n));
			if (!n)
				return 1;
			o->offline = n;
			o->offline[o->noffline++] = optarg;
			break;
		}
		case 'W': o->work = optarg; break;
		case 'k': o->keep = true; break;
		case 'j': o->json = true; break;
		case 'b': m->count_bytes = true; break;
		case 'u': m->unsigned_batches = true; break;
		case 't':
			if (!parse_long("--timeout", optarg, 1, 86400, &v))
				return 2;
			o->timeout_s = (double)v;
			break;
		case 'H':
			if (!parse_long("--hold", optarg, 0, 86400, &o->hold_s))
				return 2;
			break;
		case 'd': m->datadir = optarg; break;
		case 'g': snprintf(m->gridnode, sizeof(m->gridnode), "%s", optarg); break;
		case 'v': m->verbose = true; break;
		case 'q': m->quiet = true; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	return 0;
}

/* --offline CODE:SECONDS, once the tree exists. */
static bool apply_offline(struct mesh *m, const struct opts *o)
{
	for (unsigned k = 0; k < o->noffline; k++) {
		char code[32];
		const char *colon = strchr(o->offline[k], ':');
		long secs;
		if (!colon || (size_t)(colon - o->offline[k]) >= sizeof(code)) {
			fprintf(stderr, "meshsim: --offline: '%s' is not CODE:SECONDS\n", o->offline[k]);
			return false;
		}
		memcpy(code, o->offline[k], (size_t)(colon - o->offline[k]));
		code[colon - o->offline[k]] = 0;
		int i = mesh_find(m, code);
		if (i < 0) {
			fprintf(stderr, "meshsim: --offline: %s is not a node of this shape (grids are"
					" like %s)\n", code, m->n[m->count - 1].code);
			return false;
		}
		if (!parse_long("--offline", colon + 1, 0, 86400, &secs))
			return false;
		m->n[i].offline_s = (double)secs;
	}
	return true;
}

/* The work folder: made fresh, or an existing empty one. */
static bool make_work(struct mesh *m, const char *work)
{
	if (!work) {
		const char *tmp = getenv("TMPDIR");
		snprintf(m->work, sizeof(m->work), "%s/meshsim-XXXXXX", tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(m->work)) {
			fprintf(stderr, "meshsim: cannot make a work folder in %s: %s\n",
				tmp && *tmp ? tmp : "/tmp", strerror(errno));
			return false;
		}
		return true;
	}
	snprintf(m->work, sizeof(m->work), "%s", work);
	DIR *d = opendir(work);
	if (!d)
		return true;   /* mesh_create makes it */
	struct dirent *e;
	bool empty = true;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			empty = false;
	closedir(d);
	if (!empty)
		fprintf(stderr, "meshsim: --work %s is not empty (it is removed at the end)\n", work);
	return empty;
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;
	return x < y ? -1 : x > y;
}

static void read_rss(struct mesh *m, struct figures *f)
{
	long *grid = calloc(m->ngrids, sizeof(*grid));
	unsigned ng = 0;
	for (unsigned i = 0; i < m->count; i++) {
		long kb = mesh_rss_kb(m, (int)i);
		enum level lv = m->n[i].level;
		if (kb > f->rss_max[lv])
			f->rss_max[lv] = kb;
		if (lv == LEVEL_GRID && grid && kb)
			grid[ng++] = kb;
	}
	if (ng) {
		qsort(grid, ng, sizeof(*grid), cmp_long);
		f->grid_rss_median = grid[ng / 2];
	}
	free(grid);
}

static void report(const struct mesh *m, const struct opts *o, const struct figures *f)
{
	bool offline = o->noffline > 0;
	if (o->json) {
		char shape[64];
		snprintf(shape, sizeof(shape), "%u,%u,%u,%u", m->shape[0], m->shape[1], m->shape[2],
			 m->shape[3]);
		json_t *j = json_object();
		json_object_set_new(j, "shape", json_string(shape));
		json_object_set_new(j, "nodes", json_integer(m->count));
		json_object_set_new(j, "writes", json_integer(o->load.writes));
		json_object_set_new(j, "dispatches", json_integer(o->load.dispatches));
		json_object_set_new(j, "load_s", json_real(f->load_s));
		json_object_set_new(j, "converge_s", json_real(f->converge_s));
		if (offline)
			json_object_set_new(j, "since_restart_s", json_real(f->since_restart_s));
		json_object_set_new(j, "grid_rss_kb", json_integer(f->rss_max[LEVEL_GRID]));
		json_object_set_new(j, "grid_rss_kb_median", json_integer(f->grid_rss_median));
		json_object_set_new(j, "street_rss_kb", json_integer(f->rss_max[LEVEL_STREET]));
		json_object_set_new(j, "district_rss_kb", json_integer(f->rss_max[LEVEL_DISTRICT]));
		json_object_set_new(j, "city_rss_kb", json_integer(f->rss_max[LEVEL_CITY]));
		if (m->count_bytes) {
			json_object_set_new(j, "load_bytes", json_integer((json_int_t)f->bytes_load));
			json_object_set_new(j, "total_bytes", json_integer((json_int_t)f->bytes_total));
		}
		json_object_set_new(j, "in_step", json_true());
		char *s = json_dumps(j, JSON_SORT_KEYS | JSON_REAL_PRECISION(6));
		if (s)
			printf("%s\n", s);
		free(s);
		json_decref(j);
		return;
	}
	printf("in step %.3f s after the last write", f->converge_s);
	if (offline)
		printf(" (%.3f s after the last offline node came back)", f->since_restart_s);
	printf("\n  load: %u writes and %u dispatches in %.3f s\n", o->load.writes,
	       o->load.dispatches, f->load_s);
	printf("  digests: every node holds exactly its scope, the same as its parent\n");
	printf("  idle RSS: grid %ld KiB (median %ld), street %ld, district %ld, city %ld KiB\n",
	       f->rss_max[LEVEL_GRID], f->grid_rss_median, f->rss_max[LEVEL_STREET],
	       f->rss_max[LEVEL_DISTRICT], f->rss_max[LEVEL_CITY]);
	if (m->count_bytes)
		printf("  bytes on every link: %llu during the load, %llu in all\n",
		       (unsigned long long)f->bytes_load, (unsigned long long)f->bytes_total);
}

static bool run(struct mesh *m, struct opts *o, struct figures *f)
{
	struct mesh_wait w = { .timeout_s = o->timeout_s };
	double t0 = bench_now(), t_last;
	unsigned ng = m->ngrids;

	mesh_say(m, "meshsim: %u nodes (%u,%u,%u,%u) in %s", m->count, m->shape[0], m->shape[1],
		 m->shape[2], m->shape[3], m->work);
	if (!mesh_create(m))
		return false;
	if (!m->unsigned_batches && !mesh_enrol(m))
		return false;
	if (!mesh_start_all(m))
		return false;
	f->create_s = bench_now() - t0;
	mesh_say(m, "  %u stores made and their gridnodes started in %.1f s", m->count,
		 f->create_s);

	/* the seed: something for every dispatch to update, and every link up */
	unsigned seed = o->seed >= 0 ? (unsigned)o->seed
				     : (unsigned)((o->load.dispatches + ng - 1) / ng);
	if (o->seed < 0 && seed > 1000)
		seed = 1000;
	if (o->seed < 0 && !seed)
		seed = 1;
	if (o->load.dispatches && !seed) {
		fprintf(stderr, "meshsim: --dispatch needs --seed of at least 1\n");
		return false;
	}
	t0 = w.t_ref = bench_now();
	if (!mesh_seed(m, seed) || !mesh_wait(m, "seed", &w))
		return false;
	f->seed_s = bench_now() - t0;

	for (unsigned i = 0; i < m->count; i++) {
		if (m->n[i].offline_s < 0)
			continue;
		mesh_say(m, "  %s goes offline", m->n[i].code);
		mesh_stop(m, (int)i);
	}
	uint64_t b0 = mesh_relay_total(m);
	mesh_say(m, "load: %u new tickets at %u grids, %u dispatches, in %u rounds",
		 o->load.writes, ng, o->load.dispatches, o->load.rounds);
	t0 = w.t_ref = bench_now();
	if (!mesh_load_run(m, &o->load, &t_last))
		return false;
	f->load_s = t_last - t0;
	mesh_say(m, "  %5.1f s  last write", t_last - t0);
	for (unsigned i = 0; i < m->count; i++)
		if (m->n[i].offline_s >= 0)
			m->n[i].back_at = t_last + m->n[i].offline_s;
	w.t_restart = 0;
	if (!mesh_wait(m, "load", &w))
		return false;
	f->converge_s = w.t_conv - t_last;
	f->since_restart_s = w.t_restart ? w.t_conv - w.t_restart : 0;
	f->bytes_load = mesh_relay_total(m) - b0;

	t0 = bench_now();
	if (!mesh_verify(m))
		return false;
	mesh_say(m, "  digests verified in %.1f s", bench_now() - t0);
	/* idle: quiet for a while (gridnode gives memory back after 3 s) */
	sleep(IDLE_S);
	if (!mesh_alive(m))
		return false;
	read_rss(m, f);
	f->bytes_total = mesh_relay_total(m);
	if (o->hold_s) {
		mesh_say(m, "  holding the tree for %ld s (work folder %s)", o->hold_s, m->work);
		for (long k = 0; k < o->hold_s * 10 && !mesh_interrupted; k++) {
			if (!mesh_alive(m))
				return false;
			usleep(100000);
		}
	}
	return true;
}

int main(int argc, char **argv)
{
	struct mesh m = { 0 };
	struct opts o = { .dispatch = -1, .seed = -1, .timeout_s = 300 };
	struct figures f = { 0 };
	int rc;

	m.out = stdout;
	o.load.writes = 64000;
	o.load.rounds = 8;
	o.shape[0] = 1;
	o.shape[1] = o.shape[2] = o.shape[3] = 4;
	if ((rc = parse_args(argc, argv, &m, &o)))
		return rc;
	if (o.json)
		m.out = stderr;
	if (!m.datadir)
		m.datadir = refdata_default_dir();
	if (!m.gridnode[0] && bench_sibling("gridnode", m.gridnode, sizeof(m.gridnode)) != 0) {
		fprintf(stderr, "meshsim: no gridnode beside meshsim (use --gridnode PATH)\n");
		return 1;
	}
	if (access(m.gridnode, X_OK) != 0) {
		fprintf(stderr, "meshsim: %s: %s (use --gridnode PATH)\n", m.gridnode, strerror(errno));
		return 1;
	}

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	if (!mesh_build(&m, o.shape)) {
		fprintf(stderr, "meshsim: out of memory\n");
		return 1;
	}
	o.load.dispatches = o.dispatch < 0 ? m.ngrids : (unsigned)o.dispatch;
	if (!apply_offline(&m, &o) || !make_work(&m, o.work)) {
		mesh_free(&m);
		free(o.offline);
		return 2;
	}
	bool ok = run(&m, &o, &f);
	mesh_stop_all(&m);
	mesh_free(&m);
	free(o.offline);
	if (ok) {
		report(&m, &o, &f);
		if (!o.keep)
			bench_rmtree(m.work);
		else
			mesh_say(&m, "nodes kept in %s", m.work);
		return 0;
	}
	fprintf(stderr, "meshsim: failed; nodes and logs kept in %s\n", m.work);
	return 1;
}
