/*
 * bench_relay.h - a counting UDP relay and child processes, for the
 * benchmarks that measure real CoAP traffic between real processes.
 *
 * A relay stands between a client (a grid's gridctl or gridnode, whose
 * parent URI names the relay's front port) and a server (a street's
 * gridnode): every datagram each way is forwarded unchanged and counted
 * (CoAP headers, envelopes, signatures; not the IP and UDP headers).  One
 * relay serves one client address at a time: the last one that sent.  A
 * client that comes back from a new address (a restarted process) gets a
 * new address towards the server too, as it would without the relay.
 */
#ifndef GM_BENCH_RELAY_H
#define GM_BENCH_RELAY_H

#include <stdint.h>
#include <sys/types.h>
#include <netinet/in.h>

struct relay {
	int front;                  /* bound where the client sends */
	int back;                   /* connected to the server */
	struct sockaddr_in client;
	socklen_t clen;
	uint16_t upstream;          /* the server's port */
	uint64_t bytes_up, bytes_down, dgrams;
};

/* A UDP socket bound to 127.0.0.1:port (0 = any free port); -1 on error. */
int bench_udp_socket(uint16_t port);
uint16_t bench_bound_port(int fd);

/* A relay to the server at 127.0.0.1:upstream; -1 (errno set) on error. */
int relay_open(struct relay *r, uint16_t upstream);
void relay_close(struct relay *r);
/* A relay to a server not started yet: *port is a free port for it. */
int relay_open_new(struct relay *r, uint16_t *port);
/* Forwards what is waiting on either side, without blocking. */
void relay_pump(struct relay *r);
/*
 * Relays for up to `ms`; returns 1 early if process `child` (> 0) exits,
 * its wait status in *st, else 0.
 */
int relay_run(struct relay *r, pid_t child, int ms, int *st);

/*
 * One `gridctl -d DIR sync` whose parent is the relay: its bytes (both
 * ways, late retransmissions included) and wall time.  0, or -1 if the
 * sync failed.
 */
int relay_sync(struct relay *r, const char *gridctl, const char *dir, uint64_t *bytes,
	       double *ms);

/*
 * Starts argv[0] (a path) with stderr appended to `log` (NULL: discarded)
 * and stdout discarded unless GM_BENCH_VERBOSE is set; -1 on error.
 */
pid_t bench_spawn(char *const argv[], const char *log);
/* Runs argv to completion; its exit status, or -1. */
int bench_run(char *const argv[]);

#endif
