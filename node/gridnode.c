/*
 * gridnode - serves one node directory: its children over CoAP, and its
 * link to its parent.  One process, one thread, one event loop (epoll on
 * libcoap's fd, then coap_io_process(COAP_IO_NO_WAIT)); signal handlers
 * only set flags.
 *
 *   gridnode -d DIR [-c FILE] [--listen URI] [--parent URI] [-n] [-v]
 */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>
#include <sodium.h>
#include "config.h"
#include "devserver.h"
#include "link.h"
#include "log.h"
#include "net.h"
#include "server.h"
#include "store.h"
#include "identity.h"
#include "residents.h"
#include "../sync/hlc.h"

#ifndef GM_VERSION
#define GM_VERSION "0.1"
#endif

/*
 * sysexits' EX_CONFIG: a bad gridnode.conf (or a bad setting on the
 * command line).  The systemd unit does not restart on it
 * (RestartPreventExitStatus): the file needs a person, not a retry.
 */
#define EXIT_CONFIG 78

static volatile sig_atomic_t stop_flag, reload_flag;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		reload_flag = 1;
	else
		stop_flag = 1;
}

struct node {
	const char *dir;
	char conf_path[4096];
	struct config cfg;
	struct config cli;          /* command-line overrides */
	bool cli_listen, cli_parent;
	bool conf_given;            /* -c FILE */
	struct store *st;
	struct identity *id;
	coap_context_t *ctx;
	struct server *srv;
	struct devserver *dev;      /* [devices] listen: its own CoAP context */
	struct link *link;
	uint64_t boot;
	int64_t head;               /* batch log head last announced */
};

static void usage(FILE *f)
{
	fprintf(f, "usage: gridnode -d DIR [-c FILE] [--listen coap://HOST:PORT]"
		   " [--parent coap://HOST:PORT] [-n] [-v]\n"
		   "  -d DIR     the node directory (made by gridctl init)\n"
		   "  -c FILE    settings (default DIR/%s)\n"
		   "  -n         check the settings and exit (with -v: print them)\n"
		   "  -v         log more (info; twice: debug)\n"
		   "exit status: 0 stopped cleanly, 1 failed, 2 bad usage, 78 bad settings\n",
		   CONFIG_FILE);
}

/* Defaults, store, file, command line; false (logged) if the file is bad. */
static bool load_config(struct node *n, struct config *out)
{
	char err[512];
	config_defaults(out);
	config_from_store(out, n->st);
	/* DIR/gridnode.conf is optional; a file named with -c must be there */
	if (config_load(out, n->conf_path, !n->conf_given, err, sizeof(err))) {
		log_err("%s", err);
		return false;
	}
	if (n->cli_listen)
		snprintf(out->listen, sizeof(out->listen), "%s", n->cli.listen);
	if (n->cli_parent)
		snprintf(out->parent, sizeof(out->parent), "%s", n->cli.parent);
	if (n->cli.log_level[0])
		snprintf(out->log_level, sizeof(out->log_level), "%s", n->cli.log_level);
	return true;
}

static void apply_log_level(const struct config *c)
{
	enum log_level lv;
	if (log_level_parse(c->log_level, &lv))
		log_set_level(lv);
}

static void seal_local(struct node *n);

/*
 * fd 0 becomes a pipe nobody writes to, so it is never readable.  libcoap
 * 4.3.1 with GnuTLS asks select() whether a session's socket is readable
 * to decide whether a DTLS handshake flight needs resending; a server
 * session has no socket of its own and asks about fd 0.  With stdin on
 * /dev/null (systemd, a background job), always readable, the parent
 * never resent a flight of the handshake that a lossy link had lost, and
 * handshakes over such a link failed nearly always.  gridnode reads no
 * stdin.  The pipe's other end stays open: without a writer, it would
 * read as end-of-file, which is readable too.
 */
static void quiet_stdin(void)
{
	int p[2];
	if (pipe(p) != 0) {
		log_warn("cannot replace stdin: %s", strerror(errno));
		return;
	}
	if (p[0] != 0 && (dup2(p[0], 0) < 0 || close(p[0]) != 0))
		log_warn("cannot replace stdin: %s", strerror(errno));
}

static void on_child_batches(void *ctx, const char *code)
{
	struct node *n = ctx;
	if (n->link)
		link_want_push(n->link);
	/* a street knows its grids' residents: their aggregates follow them */
	if (store_level(n->st) == LEVEL_STREET && store_has_field_key(n->st)) {
		enum gm_err e = store_begin(n->st);
		if (!e)
			e = residents_refresh(n->st, code);
		if (!e)
			e = store_commit(n->st);
		else
			store_rollback(n->st);
		if (e)
			log_err("resident aggregates of %s: %s", code, store_errmsg(n->st));
		else
			seal_local(n);
	}
}

static void on_parent_batches(void *ctx)
{
	struct node *n = ctx;
	if (n->srv)
		server_ring(n->srv);
}

/* Device readings wrote asset states and tickets: seal and push them. */
static void on_device_change(void *ctx)
{
	seal_local(ctx);
}

static bool start_net(struct node *n)
{
	char err[512];
	n->ctx = net_context_new();
	if (!n->ctx) {
		log_err("cannot create a CoAP context");
		return false;
	}
	if (n->cfg.listen[0]) {
		coap_address_t addr;
		bool secure;
		if (net_resolve(n->cfg.listen, &addr, &secure, err, sizeof(err))) {
			log_err("listen: %s", err);
			return false;
		}
		if (secure && !identity_enrolled(n->id)) {
			log_err("listen: coaps:// needs this node enrolled (gridctl enrol)");
			return false;
		}
		if (!secure && !n->cfg.insecure) {
			log_err("listen: plain coap:// needs insecure = true in %s; use coaps://"
				" after enrolment", n->conf_path);
			return false;
		}
		if (server_new(n->ctx, n->st, &n->cfg, secure ? n->id : NULL, n->boot,
			       on_child_batches, n, &n->srv)) {
			log_err("server: %s", store_errmsg(n->st));
			return false;
		}
		if (!coap_new_endpoint(n->ctx, &addr, secure ? COAP_PROTO_DTLS : COAP_PROTO_UDP)) {
			log_err("cannot listen on %s (address in use?)", n->cfg.listen);
			return false;
		}
	}
	if (n->cfg.dev_listen[0] &&
	    devserver_new(n->st, &n->cfg, on_device_change, n, &n->dev, err, sizeof(err))) {
		log_err("[devices] listen: %s", err);
		return false;
	}
	if (link_new(n->ctx, n->st, &n->cfg, n->id, true, on_parent_batches, n, &n->link, err,
		     sizeof(err))) {
		log_err("parent: %s", err);
		return false;
	}
	return true;
}

static void reload(struct node *n)
{
	struct config c;
	if (!load_config(n, &c)) {
		log_err("reload refused; keeping the running settings");
		return;
	}
	if (strcmp(c.listen, n->cfg.listen) || strcmp(c.parent, n->cfg.parent) ||
	    strcmp(c.dev_listen, n->cfg.dev_listen))
		log_warn("listen and parent changes take effect at restart");
	snprintf(c.listen, sizeof(c.listen), "%s", n->cfg.listen);
	snprintf(c.parent, sizeof(c.parent), "%s", n->cfg.parent);
	snprintf(c.dev_listen, sizeof(c.dev_listen), "%s", n->cfg.dev_listen);
	n->cfg = c;
	apply_log_level(&n->cfg);
	store_set_max_drift(n->st, (uint64_t)n->cfg.max_drift_s * 1000u);
	log_notice("settings reloaded from %s", n->conf_path);
}

/*
 * Seals what gridctl wrote, then tells the links about any new batch,
 * whoever sealed it: exchange_apply seals local changes too (so they go
 * into the log ahead of what it applies).
 */
static void seal_local(struct node *n)
{
	unsigned nb = 0;
	if (store_seal(n->st, 0, &nb)) {
		log_err("sealing local changes: %s", store_errmsg(n->st));
		return;
	}
	if (nb)
		log_info("sealed %u local batches", nb);
	int64_t head = store_batch_head(n->st);
	if (head == n->head)
		return;
	n->head = head;
	if (n->srv)
		server_ring(n->srv);
	if (n->link)
		link_want_push(n->link);
}

/*
 * A node that stored batches (a catch-up, a burst of writes) and then went
 * quiet for IDLE_TRIM_MS gives back memory it no longer uses: SQLite's
 * cache and the heap's free pages (glibc keeps them otherwise).  An idle
 * grid after a 100,000-change catch-up went from 25 to 8 MB RSS.
 */
#define IDLE_TRIM_MS 3000

static void trim_when_idle(struct node *n, uint64_t now, int64_t *head, uint64_t *due)
{
	int64_t h = store_batch_head(n->st);
	if (h != *head) {
		*head = h;
		*due = now + IDLE_TRIM_MS;
	} else if (*due && now >= *due) {
		*due = 0;
		store_release_memory(n->st);
		malloc_trim(0);
	}
}

static int run(struct node *n)
{
	struct epoll_event ev, events[16];
	/* the children's and parent's context, and the devices' own */
	coap_context_t *ctxs[2] = { n->ctx, n->dev ? devserver_context(n->dev) : NULL };
	unsigned nctx = n->dev ? 2 : 1;
	int ep = epoll_create1(EPOLL_CLOEXEC);
	uint64_t next_watch = 0, trim_due = 0;
	int64_t dv = -1, head = -1;

	for (unsigned i = 0; i < nctx && ep >= 0; i++) {
		int fd = coap_context_get_coap_fd(ctxs[i]);
		ev.events = EPOLLIN;
		ev.data.fd = fd;
		if (fd < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
			/* no epoll fd from libcoap: it waits in coap_io_process itself */
			close(ep);
			ep = -1;
		}
	}
	seal_local(n);
	while (!stop_flag) {
		uint64_t now = net_now_ms();
		uint64_t wake = now + 1000;
		if (reload_flag) {
			reload_flag = 0;
			reload(n);
		}
		if (now >= next_watch) {
			/* writes by gridctl (another connection) change data_version */
			int64_t v = store_data_version(n->st);
			if (v != dv) {
				dv = v;
				seal_local(n);
			}
			next_watch = now + (uint64_t)n->cfg.watch_ms;
			trim_when_idle(n, now, &head, &trim_due);
		}
		if (next_watch < wake)
			wake = next_watch;
		if (n->link) {
			uint64_t w = link_run(n->link, now);
			if (w < wake)
				wake = w;
		}
		if (n->srv)
			server_tick(n->srv, now);
		if (n->dev)
			devserver_tick(n->dev, now);

		coap_tick_t ticks;
		coap_ticks(&ticks);
		int timeout = wake > now ? (int)(wake - now) : 0;
		if (ep >= 0) {
			for (unsigned i = 0; i < nctx; i++) {
				unsigned lib = coap_io_prepare_epoll(ctxs[i], ticks);
				if (lib && (int)lib < timeout)
					timeout = (int)lib;
			}
			int k = epoll_wait(ep, events, 16, timeout);
			if (k < 0 && errno != EINTR) {
				log_err("epoll_wait: %s", strerror(errno));
				break;
			}
			for (unsigned i = 0; i < nctx; i++)
				coap_io_process(ctxs[i], COAP_IO_NO_WAIT);
		} else {
			/* two contexts take turns in short waits */
			if (nctx > 1 && timeout > 50)
				timeout = 50;
			for (unsigned i = 0; i < nctx; i++)
				coap_io_process(ctxs[i], (uint32_t)(timeout ? timeout : 1));
		}
	}
	if (ep >= 0)
		close(ep);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "config", required_argument, NULL, 'c' },
		{ "listen", required_argument, NULL, 'L' },
		{ "parent", required_argument, NULL, 'P' },
		{ "check", no_argument, NULL, 'n' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct node n;
	bool check = false;
	int verbose = 0, o;
	const char *conf = NULL;
	char err[512];

	memset(&n, 0, sizeof(n));
	while ((o = getopt_long(argc, argv, "d:c:nvh", opts, NULL)) != -1) {
		switch (o) {
		case 'd': n.dir = optarg; break;
		case 'c': conf = optarg; break;
		case 'L':
			snprintf(n.cli.listen, sizeof(n.cli.listen), "%s", optarg);
			n.cli_listen = true;
			break;
		case 'P':
			snprintf(n.cli.parent, sizeof(n.cli.parent), "%s", optarg);
			n.cli_parent = true;
			break;
		case 'n': check = true; break;
		case 'v': verbose++; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("gridnode %s\n", GM_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!n.dir || optind != argc) {
		usage(stderr);
		return 2;
	}
	/* with -n, -v means "print the settings", not "log more" */
	if (verbose && !check)
		snprintf(n.cli.log_level, sizeof(n.cli.log_level), "%s", verbose > 1 ? "debug" : "info");
	snprintf(n.conf_path, sizeof(n.conf_path), "%s", conf ? conf : "");
	n.conf_given = conf != NULL;
	if (!conf)
		snprintf(n.conf_path, sizeof(n.conf_path), "%s/%s", n.dir, CONFIG_FILE);

	enum gm_err e = store_open(n.dir, &n.st, err, sizeof(err));
	if (e) {
		log_err("%s", err);
		/* no store, or one of another format: for a person, not a retry */
		return e == GM_E_NOTFOUND || e == GM_E_VERSION ? EXIT_CONFIG : 1;
	}
	log_set_ident(store_code(n.st));
	if (identity_load(n.dir, &n.id, err, sizeof(err))) {
		log_err("%s", err);
		store_close(n.st);
		return 1;
	}
	identity_attach(n.id, n.st);
	if (!load_config(&n, &n.cfg)) {
		store_close(n.st);
		identity_free(n.id);
		return EXIT_CONFIG;
	}
	if (check) {
		printf("%s: settings ok\n", n.conf_path);
		if (verbose)
			config_dump(&n.cfg, stdout);
		store_close(n.st);
		return 0;
	}
	apply_log_level(&n.cfg);
	store_set_max_drift(n.st, (uint64_t)n.cfg.max_drift_s * 1000u);
	if (sodium_init() < 0)
		fatal("libsodium cannot start");
	n.boot = randombytes_random() | (uint64_t)randombytes_random() << 32;

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	quiet_stdin();
	net_startup(n.cfg.log_level);
	int rc = 1;
	if (start_net(&n)) {
		log_notice("%s node %s up (listen %s, parent %s, devices %s, %s)",
			   level_name(store_level(n.st)), store_code(n.st),
			   n.cfg.listen[0] ? n.cfg.listen : "none",
			   n.cfg.parent[0] ? n.cfg.parent : "none",
			   n.cfg.dev_listen[0] ? n.cfg.dev_listen : "none",
			   identity_enrolled(n.id) ? "enrolled: batches signed and verified"
						   : "NOT enrolled: batches unsigned");
		if (store_meta_int(n.st, "reclaim", 0) && !n.link) {
			/* no parent (any more): no one to ask, nothing to wait for */
			if (store_meta_set_int(n.st, "reclaim", 0))
				log_err("saving reclaim state: %s", store_errmsg(n.st));
		} else if (store_meta_int(n.st, "reclaim", 0) &&
			   store_meta_int(n.st, "rekeyed_at", 0) >
				   store_meta_int(n.st, "restored_at", 0)) {
			log_notice("enrolled to replace an earlier key of %s: asking the parent for"
				   " the records made under it; no new record ids until then",
				   store_code(n.st));
		} else if (store_meta_int(n.st, "reclaim", 0)) {
			log_notice("restored from a backup: asking the parent for what this node"
				   " sent it after the backup; no new record ids until then");
		}
		if (store_meta_set_int(n.st, "daemon_pid", (int64_t)getpid()))
			log_warn("cannot record our pid: %s", store_errmsg(n.st));
		rc = run(&n);
		log_notice("shutting down");
		if (store_meta_set_int(n.st, "daemon_pid", 0))
			log_warn("cannot clear our pid: %s", store_errmsg(n.st));
	}
	link_free(n.link);
	server_free(n.srv);
	devserver_free(n.dev);
	if (n.ctx)
		coap_free_context(n.ctx);
	coap_cleanup();
	store_close(n.st);
	identity_free(n.id);
	return rc;
}
