/*
 * bench_mesh.c - `gridbench mesh` and `gridbench catchup`: the figures of
 * a whole tree of real gridnode processes, measured by meshsim (run a few
 * times; medians, as the machine may be busy).
 *
 *   converge_85_s   1,4,4,4 (85 nodes), 64,000 new tickets at the 64 grids
 *                   all at once (one transaction per grid) and a dispatch
 *                   to every grid from above: seconds from the last write
 *                   until every node is in step.
 *   grid_rss_kb     the largest idle grid's VmRSS after that load (KiB),
 *   city_rss_kb     and the city's.
 *   catchup_100k_s  a grid offline while its street dispatched 100,000
 *                   changes to it (10 to each of 10,000 tickets) and while
 *                   it made 10,000 tickets of its own: seconds from its
 *                   restart until every node is in step.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <jansson.h>
#include "bench_common.h"

#define RUNS 3

static char meshsim[1024];

static int find_meshsim(void)
{
	return bench_sibling("meshsim", meshsim, sizeof(meshsim));
}

/* Runs meshsim with argv (after the program name); its JSON result. */
static json_t *run(const char *const *args)
{
	char *argv[32];
	int fd[2], st, k = 0;
	argv[k++] = meshsim;
	for (; *args && k < 29; args++)
		argv[k++] = (char *)*args;
	argv[k++] = "--json";
	argv[k++] = "-q";
	argv[k] = NULL;
	if (pipe(fd) != 0)
		return NULL;
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(fd[1], 1);
		close(fd[0]);
		close(fd[1]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(fd[1]);
	json_error_t je;
	FILE *f = fdopen(fd[0], "r");
	json_t *j = f ? json_loadf(f, JSON_DISABLE_EOF_CHECK, &je) : NULL;
	if (f)
		fclose(f);
	else
		close(fd[0]);
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st)) {
		fprintf(stderr, "gridbench: meshsim failed (run it by hand to see why)\n");
		json_decref(j);
		return NULL;
	}
	return j;
}

static double num(const json_t *j, const char *key)
{
	return json_number_value(json_object_get(j, key));
}

/*
 * Runs meshsim RUNS times with `args`; v[k][r] gets keys[k] of run r.  Each
 * run prints a line: `what` and the first key's value.
 */
static int runs(const char *const *args, const char *const *keys, unsigned nk,
		double v[][RUNS], const char *what)
{
	if (find_meshsim()) {
		fprintf(stderr, "gridbench: no meshsim beside gridbench: %s\n", strerror(errno));
		return -1;
	}
	for (int r = 0; r < RUNS; r++) {
		json_t *j = run(args);
		if (!j)
			return -1;
		for (unsigned k = 0; k < nk; k++)
			v[k][r] = num(j, keys[k]);
		printf("    run %d: %s %.3f s\n", r + 1, what, v[0][r]);
		json_decref(j);
	}
	return 0;
}

int bench_mesh(const char *outpath)
{
	static const char *const args[] = { "--shape", "1,4,4,4", "--writes", "64000",
					     "--rounds", "1", "--timeout", "120", NULL };
	static const char *const keys[] = { "converge_s", "grid_rss_kb", "city_rss_kb" };
	double v[3][RUNS];
	printf("mesh: 85 gridnode processes on loopback, 64,000 new tickets at the grids,"
	       " median of %d runs\n", RUNS);
	if (runs(args, keys, 3, v, "last write -> all in step"))
		return 1;
	bench_report(outpath, "converge_85_s", bench_median(v[0], RUNS), "s",
		     "< 3: 85 nodes, 64,000 writes, last write -> all in step");
	bench_report(outpath, "grid_rss_kb", bench_median(v[1], RUNS), "KiB",
		     "< 10,240 (10 MB): largest idle grid after the load");
	bench_report(outpath, "city_rss_kb", bench_median(v[2], RUNS), "KiB",
		     "the city after the load (64,000 tickets)");
	return 0;
}

int bench_catchup(const char *outpath)
{
	static const char *const args[] = { "--shape", "1,1,1,1", "--writes", "10000",
					     "--dispatch", "100000", "--seed", "10000",
					     "--from", "street", "--offline",
					     "440101001001001:5", "--timeout", "120", NULL };
	static const char *const keys[] = { "since_restart_s", "grid_rss_kb" };
	double v[2][RUNS];
	printf("catch-up: a grid offline while its street dispatched 100,000 changes to it"
	       " and it made 10,000; median of %d runs\n", RUNS);
	if (runs(args, keys, 2, v, "grid back -> all in step"))
		return 1;
	bench_report(outpath, "catchup_100k_s", bench_median(v[0], RUNS), "s",
		     "grid restart -> all in step (110,000 changes)");
	bench_report(outpath, "catchup_grid_rss_kb", bench_median(v[1], RUNS), "KiB",
		     "that grid, idle after catching up");
	return 0;
}
