/* config.c - the settings table and its INI reader. */
#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "config.h"
#include "log.h"
#include "store.h"

enum opt_type { OPT_INT, OPT_STR, OPT_BOOL, OPT_URI, OPT_LOGLEVEL, OPT_FETCH };

struct opt {
	const char *section;
	const char *name;
	enum opt_type type;
	size_t off;
	size_t size;       /* strings */
	long min, max;     /* ints */
	const char *dflt;
	const char *help;
};

#define O(sec, name, type, field, min, max, dflt, help)                                      \
	{ sec, #name, type, offsetof(struct config, field), sizeof(((struct config *)0)->field), \
	  min, max, dflt, help }

static const struct opt opts[] = {
	O("node", listen, OPT_URI, listen, 0, 0, "",
	  "where children reach this node: coap://HOST:PORT, or coaps:// once enrolled;"
	  " empty: serve no children (a grid).  Default: --listen given to gridctl init"),
	O("node", parent, OPT_URI, parent, 0, 0, "",
	  "the parent node: coap://HOST:PORT, or coaps:// once enrolled; empty: none (a"
	  " city).  Default: --parent given to gridctl init"),
	O("node", log_level, OPT_LOGLEVEL, log_level, 0, 0, "notice",
	  "error, warn, notice (one line per event that matters), info or debug"),
	O("coap", ack_timeout_ms, OPT_INT, ack_timeout_ms, 1000, 60000, "2000",
	  "first retransmission timeout, ms (RFC 7252 ACK_TIMEOUT)"),
	O("coap", ack_random_factor_pct, OPT_INT, ack_random_factor_pct, 100, 200, "150",
	  "ACK_RANDOM_FACTOR in percent (150 means 1.5)"),
	O("coap", max_retransmit, OPT_INT, max_retransmit, 0, 10, "4",
	  "retransmissions before a request counts as failed (MAX_RETRANSMIT)"),
	O("sync", poll_s, OPT_INT, poll_s, 1, 86400, "30",
	  "pull interval while the parent's bell is not observed, s"),
	O("sync", poll_observing_s, OPT_INT, poll_observing_s, 1, 86400, "300",
	  "safety-net pull interval while observing the parent's bell, s"),
	O("sync", backoff_min_ms, OPT_INT, backoff_min_ms, 100, 600000, "1000",
	  "first retry delay after a failed exchange, ms (doubles up to backoff_max_s)"),
	O("sync", backoff_max_s, OPT_INT, backoff_max_s, 1, 86400, "60", "longest retry delay, s"),
	O("sync", lifetime_s, OPT_INT, lifetime_s, 10, 86400, "300",
	  "registration lifetime announced to the parent, s (renewed at half of it)"),
	O("sync", push_kb, OPT_INT, push_kb, 1, 65536, "256",
	  "batches sent up per request, KiB (a big catch-up goes in many requests)"),
	O("sync", pull_kb, OPT_INT, pull_kb, 1, 65536, "256",
	  "batches sent down per pull reply, KiB"),
	O("sync", max_body_kb, OPT_INT, max_body_kb, 16, 262144, "4096",
	  "largest request or reply body accepted from a peer, KiB (larger: 4.13)"),
	O("sync", watch_ms, OPT_INT, watch_ms, 10, 60000, "100",
	  "how often to look for records written by gridctl, ms"),
	O("sync", max_drift_s, OPT_INT, max_drift_s, 1, 86400, "60",
	  "refuse batches stamped more than this ahead of our clock, s"),
	O("security", insecure, OPT_BOOL, insecure, 0, 0, "false",
	  "allow plain coap:// links without DTLS: for tests and closed networks only"),
	O("blobs", max_kb, OPT_INT, blob_max_kb, 1, 1048576, "10240",
	  "largest attachment (photo, audio, video) accepted, KiB"),
	O("blobs", fetch, OPT_FETCH, blob_fetch, 0, 0, "eager",
	  "eager: fetch attachments the parent sends down; lazy: only when read"),
	O("devices", listen, OPT_URI, dev_listen, 0, 0, "",
	  "coaps://HOST:PORT to serve devices on (SenML readings; gridctl device add)"),
	O("devices", max_body_kb, OPT_INT, dev_max_body_kb, 1, 1024, "16",
	  "largest SenML pack a device may post, KiB"),
};

#define NOPTS (sizeof(opts) / sizeof(opts[0]))

static int set(struct config *c, const struct opt *o, const char *v, char *why, size_t wlen)
{
	char *p = (char *)c + o->off;
	char *end;
	long n;
	enum log_level lv;
	switch (o->type) {
	case OPT_INT:
		errno = 0;
		n = strtol(v, &end, 10);
		if (errno || end == v || *end || n < o->min || n > o->max) {
			snprintf(why, wlen, "%s: '%s' is not a whole number from %ld to %ld", o->name, v,
				 o->min, o->max);
			return -1;
		}
		*(int *)p = (int)n;
		return 0;
	case OPT_BOOL:
		if (!strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "1")) {
			*(bool *)p = true;
		} else if (!strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "0")) {
			*(bool *)p = false;
		} else {
			snprintf(why, wlen, "%s: '%s' is not true or false", o->name, v);
			return -1;
		}
		return 0;
	case OPT_URI:
		if (*v && strncmp(v, "coap://", 7) && strncmp(v, "coaps://", 8)) {
			snprintf(why, wlen, "%s: '%s' is not coap://HOST:PORT", o->name, v);
			return -1;
		}
		/* fall through */
	case OPT_STR:
		if (strlen(v) >= o->size) {
			snprintf(why, wlen, "%s: longer than %zu characters", o->name, o->size - 1);
			return -1;
		}
		memcpy(p, v, strlen(v) + 1);
		return 0;
	case OPT_FETCH:
		if (strcmp(v, "eager") && strcmp(v, "lazy")) {
			snprintf(why, wlen, "%s: '%s' is not eager or lazy", o->name, v);
			return -1;
		}
		snprintf(p, o->size, "%s", v);
		return 0;
	case OPT_LOGLEVEL:
		if (!log_level_parse(v, &lv)) {
			snprintf(why, wlen, "%s: '%s' is not error, warn, notice, info or debug",
				 o->name, v);
			return -1;
		}
		snprintf(p, o->size, "%s", v);
		return 0;
	}
	return -1;
}

void config_defaults(struct config *c)
{
	char why[128];
	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < NOPTS; i++)
		set(c, &opts[i], opts[i].dflt, why, sizeof(why));
}

void config_from_store(struct config *c, struct store *st)
{
	char buf[256];
	if (store_meta_get(st, "parent", buf, sizeof(buf)) == GM_OK)
		snprintf(c->parent, sizeof(c->parent), "%s", buf);
	if (store_meta_get(st, "listen", buf, sizeof(buf)) == GM_OK)
		snprintf(c->listen, sizeof(c->listen), "%s", buf);
}

struct parse {
	struct config cfg;
	const char *path;
	char *err;
	size_t errlen;
	bool failed;
	FILE *f;
	int lineno;
	int maxline;       /* longest line the reader takes */
};

/*
 * Debian's libinih is built without line numbers in the handler, so we
 * feed it lines ourselves and count them: the handler runs while the line
 * it is about is the last one read.
 */
static char *read_line(char *str, int num, void *stream)
{
	struct parse *ps = stream;
	char *r = fgets(str, num, ps->f);
	ps->maxline = num - 2;
	if (!r)
		return NULL;
	ps->lineno++;
	if (!strchr(r, '\n')) {
		/* inih would take the rest of a long line for a line of its own */
		int ch = fgetc(ps->f);
		if (ch != EOF) {
			snprintf(ps->err, ps->errlen, "%s:%d: line longer than %d characters",
				 ps->path, ps->lineno, num - 2);
			ps->failed = true;
			return NULL;
		}
	}
	return r;
}

static int on_kv(void *user, const char *section, const char *name, const char *value)
{
	struct parse *ps = user;
	int lineno = ps->lineno;
	char why[256];
	if (ps->failed)
		return 0;
	for (size_t i = 0; i < NOPTS; i++) {
		if (strcmp(opts[i].section, section) || strcmp(opts[i].name, name))
			continue;
		/* what config_dump could not write back as one line "name = value"
		 * (a value continued on a line of its own may be that long) */
		size_t room = (size_t)ps->maxline - strlen(name) - 3;
		if (strlen(value) > room)
			snprintf(why, sizeof(why), "%s: longer than %zu characters", name, room);
		else if (set(&ps->cfg, &opts[i], value, why, sizeof(why)) == 0)
			return 1;
		snprintf(ps->err, ps->errlen, "%s:%d: %s", ps->path, lineno, why);
		ps->failed = true;
		return 0;
	}
	snprintf(ps->err, ps->errlen, "%s:%d: unknown setting [%s] %s", ps->path, lineno, section,
		 name);
	ps->failed = true;
	return 0;
}

enum gm_err config_load(struct config *c, const char *path, bool optional, char *err,
			size_t errlen)
{
	struct parse ps = { .cfg = *c, .path = path, .err = err, .errlen = errlen };
	struct stat sb;
	if (stat(path, &sb) != 0) {
		if (optional && errno == ENOENT)
			return GM_OK;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return GM_E_NOTFOUND;
	}
	ps.f = fopen(path, "r");
	if (!ps.f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return GM_E_IO;
	}
	int rc = ini_parse_stream(read_line, &ps, on_kv, &ps);
	fclose(ps.f);
	if (ps.failed) {
		/* it quotes the file's names and values onto gridnode's stderr */
		log_clean(err);
		return GM_E_INVAL;
	}
	if (rc < 0) {
		snprintf(err, errlen, "%s: cannot read", path);
		return GM_E_IO;
	}
	if (rc > 0) {
		snprintf(err, errlen, "%s:%d: not an INI line", path, rc);
		return GM_E_INVAL;
	}
	*c = ps.cfg;
	return GM_OK;
}

/* Wraps `text` into "# " comment lines of at most 76 columns. */
static void comment(FILE *f, const char *text)
{
	while (*text) {
		size_t n = strlen(text);
		if (n > 74) {
			n = 74;
			while (n && text[n] != ' ')
				n--;
			if (!n)
				n = 74;
		}
		fprintf(f, "# %.*s\n", (int)n, text);
		text += n;
		while (*text == ' ')
			text++;
	}
}

void config_dump(const struct config *c, FILE *f)
{
	const char *sec = "";
	char text[512];
	for (size_t i = 0; i < NOPTS; i++) {
		const struct opt *o = &opts[i];
		const char *p = (const char *)c + o->off;
		if (strcmp(sec, o->section)) {
			fprintf(f, "%s[%s]\n", *sec ? "\n" : "", o->section);
			sec = o->section;
		}
		if (o->type == OPT_INT)
			snprintf(text, sizeof(text), "%s; %ld to %ld, default %s", o->help, o->min,
				 o->max, o->dflt);
		else if (o->type == OPT_BOOL || o->type == OPT_LOGLEVEL)
			snprintf(text, sizeof(text), "%s; default %s", o->help, o->dflt);
		else
			snprintf(text, sizeof(text), "%s", o->help);
		comment(f, text);
		switch (o->type) {
		case OPT_INT:
			fprintf(f, "%s = %d\n", o->name, *(const int *)p);
			break;
		case OPT_BOOL:
			fprintf(f, "%s = %s\n", o->name, *(const bool *)p ? "true" : "false");
			break;
		default:
			fprintf(f, "%s =%s%s\n", o->name, *p ? " " : "", p);
		}
	}
}
