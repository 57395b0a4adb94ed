/* ctl_sync.c - gridctl sync (without a daemon) and gridctl status. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include "ctl.h"
#include "../node/children.h"
#include "../node/config.h"
#include "../node/link.h"
#include "../node/net.h"
#include "../sync/hlc.h"

struct backlog {
	uint64_t batches, changes;
};

static int count_cb(void *ctx, int64_t seq, const uint8_t *body, size_t len)
{
	struct backlog *b = ctx;
	struct batch_env env;
	(void)seq;
	b->batches++;
	if (batch_env_decode(body, len, &env) == GM_OK)
		b->changes += env.nchanges;
	return 0;
}

/* Batches and changes the parent has not acknowledged yet. */
static enum gm_err backlog(struct store *st, struct backlog *bl)
{
	struct batch_filter bf = { .dir = BF_UP, .exclude_link = LINK_PARENT };
	memset(bl, 0, sizeof(*bl));
	return store_batches(st, store_meta_int(st, "up_cursor", 0), &bf, 0, count_cb, bl);
}

struct sync_progress {
	struct ctl_progress p;
	uint64_t backlog;            /* to push, when we started */
};

/* "sync: 1,200 / 5,000 batches up, 300 down (at 12,000 of 40,000 in the parent's log)" */
static void show_progress(struct sync_progress *sp, struct store *st, const struct link *l)
{
	char a[32], b[32], d[32], h[32], t[32], where[96] = "";
	uint64_t pushed, pulled;
	int64_t head = link_parent_head(l), down = store_meta_int(st, "down_cursor", 0);
	link_counts(l, &pushed, &pulled);
	if (!sp->p.on || (!pushed && !pulled && !sp->backlog && head <= down))
		return;
	if (pushed > sp->backlog)
		sp->backlog = pushed;
	if (head > 0)
		snprintf(where, sizeof(where), " (at %s of %s in the parent's log)",
			 ctl_count((uint64_t)down, h), ctl_count((uint64_t)(head > down ? head : down), t));
	ctl_progress_show(&sp->p, false, "sync: %s / %s batches up, %s down%s", ctl_count(pushed, a),
			  ctl_count(sp->backlog, b), ctl_count(pulled, d), where);
}

int ctl_config(struct ctl *c, struct config *cfg)
{
	char path[4096], err[512];
	config_defaults(cfg);
	config_from_store(cfg, c->st);
	snprintf(path, sizeof(path), "%s/%s", c->dir, CONFIG_FILE);
	if (config_load(cfg, path, true, err, sizeof(err))) {
		ctl_err(c, "%s", err);
		return EX_FAIL;
	}
	return EX_OK;
}

/*
 * Runs a one-shot link until it is in step (and blobs moved) or fails: a
 * laptop on a bad network fails fast, says why, and lets the worker retry.
 */
static int run_link(struct ctl *c, const struct config *cfg, bool once, bool blobs,
		    long long timeout, uint64_t *pushed, uint64_t *pulled, bool *in_step)
{
	struct link *l = NULL;
	char err[512];
	int rc = EX_FAIL;
	net_startup(cfg->log_level);
	coap_context_t *ctx = net_context_new();
	if (!ctx) {
		ctl_err(c, "cannot create a CoAP context");
		return EX_FAIL;
	}
	if (link_new(ctx, c->st, cfg, c->id, false, NULL, NULL, &l, err, sizeof(err)) || !l) {
		ctl_err(c, "%s", l ? err : err[0] ? err : "no parent");
		goto out_free;
	}
	if (blobs)
		link_fetch_blobs(l);
	uint64_t deadline = net_now_ms() + (uint64_t)timeout * 1000;
	struct sync_progress sp = { .backlog = 0 };
	struct backlog bl;
	if (!blobs && backlog(c->st, &bl) == GM_OK)
		sp.backlog = bl.batches;
	ctl_progress_start(&sp.p);
	for (;;) {
		uint64_t now = net_now_ms();
		link_run(l, now);
		if (link_failures(l)) {
			ctl_progress_end(&sp.p);
			ctl_err(c, "parent %s: %s", cfg->parent, link_last_error(l));
			goto out_free;
		}
		if ((link_idle(l) && link_blobs_idle(l)) || (once && link_rounds(l) >= 3))
			break;
		if (now >= deadline) {
			ctl_progress_end(&sp.p);
			ctl_err(c, "not in step with %s after %lld s; run it again", cfg->parent,
				timeout);
			goto out_free;
		}
		if (!blobs)
			show_progress(&sp, c->st, l);
		coap_io_process(ctx, 50);
	}
	ctl_progress_end(&sp.p);
	if (pushed)
		link_counts(l, pushed, pulled);
	if (in_step)
		*in_step = link_idle(l);
	rc = EX_OK;
out_free:
	link_free(l);
	coap_free_context(ctx);
	coap_cleanup();
	return rc;
}

int ctl_fetch_blobs(struct ctl *c)
{
	struct config cfg;
	if (ctl_config(c, &cfg))
		return EX_FAIL;
	if (!cfg.parent[0]) {
		ctl_err(c, "no parent to fetch attachments from");
		return EX_FAIL;
	}
	return run_link(c, &cfg, false, true, 120, NULL, NULL, NULL);
}

int cmd_sync(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "once", no_argument, NULL, '1' },
		{ "timeout", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	struct config cfg;
	bool once = false;
	long long timeout = 120;
	int o;

	optind = 1;
	while ((o = ctl_getopt(c, argc, argv, opts)) != -1) {
		switch (o) {
		case '1': once = true; break;
		case 't':
			if (!ctl_parse_int(c, "--timeout", optarg, 1, 86400, &timeout))
				return EX_USAGE;
			break;
		default: return EX_USAGE;
		}
	}
	if (optind != argc)
		return ctl_usage(c);
	if (ctl_config(c, &cfg))
		return EX_FAIL;
	if (!cfg.parent[0]) {
		ctl_err(c, "this node has no parent to sync with (set parent in %s/%s)", c->dir,
			CONFIG_FILE);
		return EX_FAIL;
	}
	uint64_t start = net_now_ms();
	bool in_step = false;
	uint64_t pushed = 0, pulled = 0;
	if (run_link(c, &cfg, once, false, timeout, &pushed, &pulled, &in_step) != EX_OK)
		return EX_FAIL;
	if (c->json) {
		json_t *j = json_object();
		json_object_set_new(j, "parent", json_string(cfg.parent));
		json_object_set_new(j, "pushed_batches", json_integer((json_int_t)pushed));
		json_object_set_new(j, "pulled_batches", json_integer((json_int_t)pulled));
		json_object_set_new(j, "in_step", json_boolean(in_step));
		json_object_set_new(j, "ms", json_integer((json_int_t)(net_now_ms() - start)));
		ctl_print_json(j);
	} else {
		printf("synced with %s: %llu batches up, %llu down (%llu ms)%s\n", cfg.parent,
		       (unsigned long long)pushed, (unsigned long long)pulled,
		       (unsigned long long)(net_now_ms() - start), in_step ? ", in step" : "");
	}
	return EX_OK;
}

/* ---------------------------------------------------------------- status */


struct status_out {
	struct ctl *c;
	json_t *arr;
	int64_t now;
};

static int child_cb(void *ctx, const struct child_info *ci)
{
	struct status_out *so = ctx;
	char seen[32] = "never";
	if (ci->last_seen)
		ctl_format_time(ci->last_seen, seen, sizeof(seen));
	bool stale = ci->lifetime && so->now - ci->last_seen > (int64_t)ci->lifetime;
	if (so->arr) {
		json_t *j = json_object();
		json_object_set_new(j, "code", json_string(ci->code));
		json_object_set_new(j, "level", json_string(level_name((enum level)ci->level)));
		json_object_set_new(j, "version", json_string(ci->version));
		json_object_set_new(j, "address", json_string(ci->addr));
		json_object_set_new(j, "lifetime_s", json_integer(ci->lifetime));
		json_object_set_new(j, "last_seen", json_integer(ci->last_seen));
		json_object_set_new(j, "stale", json_boolean(stale));
		json_array_append_new(so->arr, j);
	} else {
		printf("  %-16s %-8s last seen %s from %s%s\n", ci->code,
		       level_name((enum level)ci->level), seen, ci->addr,
		       stale ? "  (registration expired)" : "");
	}
	return 0;
}

static int reject_cb(void *ctx, const char *reason, int64_t count, int64_t last_at,
		     const char *detail)
{
	struct status_out *so = ctx;
	char when[32];
	ctl_format_time(last_at, when, sizeof(when));
	if (so->arr) {
		json_t *j = json_object();
		json_object_set_new(j, "reason", json_string(reason));
		json_object_set_new(j, "count", json_integer(count));
		json_object_set_new(j, "last_at", json_integer(last_at));
		json_object_set_new(j, "last_detail", json_string(detail ? detail : ""));
		json_array_append_new(so->arr, j);
	} else {
		printf("  %-28s %6lld  last %s: %s\n", reason, (long long)count, when,
		       detail ? detail : "");
	}
	return 0;
}

struct disk {
	bool ok, low;
	uint64_t free, total, store;
	char free_s[32], total_s[32], store_s[32];
};

static void human(uint64_t n, char *buf, size_t len)
{
	if (n >= (10ull << 30))
		snprintf(buf, len, "%llu GB", (unsigned long long)(n >> 30));
	else if (n >= (10ull << 20))
		snprintf(buf, len, "%llu MB", (unsigned long long)(n >> 20));
	else
		snprintf(buf, len, "%llu KB", (unsigned long long)(n >> 10));
}

/* Free space where the store lives, and the store's size (with its WAL). */
static void disk_usage(const char *dir, struct disk *d)
{
	static const char *const files[] = { STORE_DB_NAME, STORE_DB_NAME "-wal" };
	struct statvfs vfs;
	struct stat sb;
	char path[4096];
	memset(d, 0, sizeof(*d));
	if (statvfs(dir, &vfs) != 0)
		return;
	d->ok = true;
	d->free = (uint64_t)vfs.f_bavail * vfs.f_frsize;
	d->total = (uint64_t)vfs.f_blocks * vfs.f_frsize;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		if (stat(path, &sb) == 0)
			d->store += (uint64_t)sb.st_size;
	}
	/* less than 5% or than the store itself: an operator should act now */
	d->low = d->free < d->total / 20 || d->free < d->store;
	human(d->free, d->free_s, sizeof(d->free_s));
	human(d->total, d->total_s, sizeof(d->total_s));
	human(d->store, d->store_s, sizeof(d->store_s));
}

int cmd_status(struct ctl *c, int argc, char **argv)
{
	struct config cfg;
	struct backlog bl = { 0 };
	struct status_out so = { .c = c, .now = (int64_t)(hlc_wall_ms() / 1000) };
	char last_err[256] = "", when[32] = "never", err[512], path[4096];
	int rc = ctl_json_only(c, argc, argv, 0);
	if (rc >= 0)
		return rc;
	config_defaults(&cfg);
	config_from_store(&cfg, c->st);
	snprintf(path, sizeof(path), "%s/%s", c->dir, CONFIG_FILE);
	if (config_load(&cfg, path, true, err, sizeof(err)))
		ctl_err(c, "warning: %s", err);
	int64_t last_ok = store_meta_int(c->st, "last_sync_ok", 0);
	if (last_ok)
		ctl_format_time(last_ok, when, sizeof(when));
	if (store_meta_get(c->st, "last_sync_err", last_err, sizeof(last_err)))
		last_err[0] = 0;
	int64_t up = store_meta_int(c->st, "up_cursor", 0);
	if (cfg.parent[0] && backlog(c->st, &bl)) {
		ctl_err(c, "%s", store_errmsg(c->st));
		return EX_FAIL;
	}
	int64_t pid = store_meta_int(c->st, "daemon_pid", 0);
	/* a daemon killed with -9 leaves its pid behind */
	if (pid && kill((pid_t)pid, 0) != 0)
		pid = 0;
	uint64_t unsealed = store_unsealed(c->st);
	struct disk disk;
	disk_usage(c->dir, &disk);
	int64_t restored = store_meta_int(c->st, "restored_at", 0);
	int64_t rekeyed = store_meta_int(c->st, "rekeyed_at", 0);
	bool reclaim = store_meta_int(c->st, "reclaim", 0) != 0;
	if (c->json) {
		json_t *j = json_object();
		json_object_set_new(j, "code", json_string(store_code(c->st)));
		json_object_set_new(j, "level", json_string(level_name(store_level(c->st))));
		json_object_set_new(j, "parent", json_string(cfg.parent));
		json_object_set_new(j, "listen", json_string(cfg.listen));
		json_object_set_new(j, "daemon_pid", json_integer(pid));
		if (disk.ok) {
			json_object_set_new(j, "disk_free_bytes", json_integer((json_int_t)disk.free));
			json_object_set_new(j, "store_bytes", json_integer((json_int_t)disk.store));
		}
		json_object_set_new(j, "last_sync_ok", json_integer(last_ok));
		json_object_set_new(j, "last_sync_error", json_string(last_err));
		json_object_set_new(j, "unsealed_changes", json_integer((json_int_t)unsealed));
		json_object_set_new(j, "backlog_batches", json_integer((json_int_t)bl.batches));
		json_object_set_new(j, "backlog_changes", json_integer((json_int_t)bl.changes));
		json_object_set_new(j, "batch_head", json_integer(store_batch_head(c->st)));
		json_object_set_new(j, "restored_at", json_integer(restored));
		json_object_set_new(j, "rekeyed_at", json_integer(rekeyed));
		json_object_set_new(j, "reclaim_pending", json_boolean(reclaim));
		json_object_set_new(j, "up_cursor", json_integer(up));
		json_object_set_new(j, "down_cursor",
				    json_integer(store_meta_int(c->st, "down_cursor", 0)));
		so.arr = json_array();
		if (children_list(c->st, child_cb, &so) == GM_OK)
			json_object_set_new(j, "children", so.arr);
		else
			json_decref(so.arr);
		so.arr = json_array();
		if (store_rejects(c->st, reject_cb, &so) == GM_OK)
			json_object_set_new(j, "rejected", so.arr);
		else
			json_decref(so.arr);
		ctl_print_json(j);
		return EX_OK;
	}
	printf("%s node %s\n", level_name(store_level(c->st)), store_code(c->st));
	printf("  daemon        %s\n", pid ? "running" : "not running");
	if (disk.ok)
		printf("  disk          %s free of %s%s; store %s\n", disk.free_s, disk.total_s,
		       disk.low ? "  LOW: writes and syncs fail when it is full" : "", disk.store_s);
	printf("  parent        %s\n", cfg.parent[0] ? cfg.parent : "(none)");
	printf("  listen        %s\n", cfg.listen[0] ? cfg.listen : "(none)");
	if (reclaim && rekeyed > restored) {
		ctl_format_time(rekeyed, when, sizeof(when));
		printf("  re-keyed      enrolled at %s to replace an earlier key of %s; not yet back"
		       " in step: new records wait until the parent has sent back what was made"
		       " under it\n", when, store_code(c->st));
	} else if (reclaim) {
		ctl_format_time(restored, when, sizeof(when));
		printf("  restored      from a backup at %s; not yet back in step: new records"
		       " wait until the parent has sent back what this node made after the"
		       " backup\n", when);
	}
	if (reclaim) {
		snprintf(when, sizeof(when), "never");
		if (last_ok)
			ctl_format_time(last_ok, when, sizeof(when));
	}
	if (cfg.parent[0]) {
		printf("  last sync     %s\n", when);
		if (last_err[0])
			printf("  last error    %s\n", last_err);
		printf("  backlog       %llu batches (%llu changes) not yet acknowledged upward",
		       (unsigned long long)bl.batches, (unsigned long long)bl.changes);
		if (unsealed)
			printf(", plus %llu local changes not yet batched", (unsigned long long)unsealed);
		putchar('\n');
	}
	printf("children:\n");
	if (children_list(c->st, child_cb, &so))
		ctl_err(c, "%s", store_errmsg(c->st));
	printf("rejected input:\n");
	if (store_rejects(c->st, reject_cb, &so))
		ctl_err(c, "%s", store_errmsg(c->st));
	return EX_OK;
}
