/*
 * ctl.h - what gridctl's command files share.
 *
 * Each command group lives in its own ctl_<group>.c and exports its
 * handlers; gridctl.c holds the one table of commands.  A handler gets the
 * arguments after its command words, returns an exit status (0 ok, 1 the
 * operation failed, 2 bad usage) and prints one line to stderr on error.
 */
#ifndef GM_CTL_H
#define GM_CTL_H

#include <stdbool.h>
#include <stdint.h>
#include <getopt.h>
#include <jansson.h>
#include "../node/store.h"

enum { EX_OK = 0, EX_FAIL = 1, EX_USAGE = 2 };

struct ctl {
	const char *dir;        /* -d DIR */
	const char *actor;      /* who is at the keyboard */
	bool json;              /* --json */
	struct store *st;       /* opened by gridctl.c for commands that need it */
	struct identity *id;    /* its keys, attached to st when enrolled */
	const char *cmd;        /* "ticket add", for messages */
	const char *short_opts; /* letters that also work as -x (e.g. "o" for -o) */
	bool said;              /* an error line was printed (ctl_err) */
};

typedef int (*ctl_fn)(struct ctl *c, int argc, char **argv);

struct ctl_cmd {
	const char *group;      /* "ticket" */
	const char *name;       /* "add", or NULL for a one-word command */
	ctl_fn fn;
	const char *usage;      /* arguments, for --help */
	bool needs_store;
};

/* Prints "gridctl <cmd>: <message>" to stderr. */
void ctl_err(struct ctl *c, const char *fmt, ...) GM_PRINTF(2, 3);
/* Prints the usage line of the running command, unless an error line was
 * printed already (a bad argument gets one line, not two); returns EX_USAGE. */
int ctl_usage(struct ctl *c);
/* Commands whose only option is --json: -1 to go on (optind at the first
 * operand), else the exit status. */
int ctl_json_flag(struct ctl *c, int argc, char **argv);
/* "gridctl -d DIR <command> <arguments>" of the running command. */
const char *ctl_usage_text(void);

/* Argument parsing: false (with a message) on a bad value. */
bool ctl_parse_int(struct ctl *c, const char *opt, const char *s, long long lo, long long hi,
		   long long *out);
bool ctl_parse_double(struct ctl *c, const char *opt, const char *s, double lo, double hi,
		      double *out);
/* "now", unix seconds, "YYYY-MM-DD" or "YYYY-MM-DD HH:MM[:SS]" (local). */
bool ctl_parse_time(struct ctl *c, const char *opt, const char *s, long long *out);
void ctl_format_time(long long t, char *buf, size_t len);

/* Runs getopt_long over argv; on an unknown option prints usage. */
int ctl_getopt(struct ctl *c, int argc, char **argv, const struct option *opts);
/* For commands whose only option is --json and that take `positional`
 * arguments (from argv[optind]): -1 to go on, else the exit status. */
int ctl_json_only(struct ctl *c, int argc, char **argv, int positional);

/* A record as JSON: {"id", "scope", columns...}. */
json_t *ctl_rec_json(struct ctl *c, const struct store_rec *r);
json_t *ctl_value_json(const struct gm_value *v);
/* Prints JSON with a newline; frees it. */
void ctl_print_json(json_t *j);
/* Text form of a value into buf. */
const char *ctl_value_str(const struct gm_value *v, char *buf, size_t len);

/* Builds a store_write from (column name, value) pairs; see ctl_util.c. */
struct ctl_fields {
	unsigned n;
	uint8_t cols[ROWCLK_MAX_COLS];
	struct gm_value vals[ROWCLK_MAX_COLS];
};
void ctl_set(struct ctl_fields *f, const struct table_def *t, const char *col,
	     struct gm_value v);
/* Ends a command's transaction: commits if e is GM_OK, else rolls back;
 * says why on failure.  EX_OK or EX_FAIL. */
int ctl_end_txn(struct ctl *c, enum gm_err e);
/* Prints a new record's id ({"id": ...} with --json). */
void ctl_print_id(struct ctl *c, const char *id);
/* Runs one write as its own transaction; prints the error on failure. */
int ctl_write(struct ctl *c, const struct table_def *t, const char *key, const char *scope,
	      const struct ctl_fields *f, const char *note, int mode, bool del);

/*
 * ctl_progress.c: a progress line on standard error when it is a terminal
 * ("imported 12,000 / 40,000 batches"), redrawn in place at most ten
 * times a second (force: now), cleared by ctl_progress_end before the
 * command prints its summary; nothing when stderr is not a terminal.
 */
struct ctl_progress {
	bool on;
	bool shown;
	uint64_t last_ms;
};
void ctl_progress_start(struct ctl_progress *p);
void ctl_progress_show(struct ctl_progress *p, bool force, const char *fmt, ...)
	GM_PRINTF(3, 4);
void ctl_progress_end(struct ctl_progress *p);
/* n with thousands separators: 12,000 */
const char *ctl_count(uint64_t n, char buf[32]);

/* Record display for show/list commands. */
int ctl_show_record(struct ctl *c, const struct table_def *t, const char *key);
int ctl_list_records(struct ctl *c, const struct table_def *t, const struct store_filter *f,
		     unsigned nf, const char *const *cols);

/* command handlers */
int cmd_init(struct ctl *c, int argc, char **argv);
int cmd_ticket_add(struct ctl *c, int argc, char **argv);
int cmd_ticket_update(struct ctl *c, int argc, char **argv);
int cmd_ticket_show(struct ctl *c, int argc, char **argv);
int cmd_ticket_list(struct ctl *c, int argc, char **argv);
int cmd_ticket_comment(struct ctl *c, int argc, char **argv);
int cmd_resident_add(struct ctl *c, int argc, char **argv);
int cmd_resident_update(struct ctl *c, int argc, char **argv);
int cmd_resident_show(struct ctl *c, int argc, char **argv);
int cmd_resident_list(struct ctl *c, int argc, char **argv);
int cmd_resident_erase(struct ctl *c, int argc, char **argv);
int cmd_household_add(struct ctl *c, int argc, char **argv);
int cmd_household_list(struct ctl *c, int argc, char **argv);
/* ctl_view.c, ctl_calendar.c, ctl_io.c: what the district and city admin uses */
int cmd_view(struct ctl *c, int argc, char **argv);
int cmd_calendar_show(struct ctl *c, int argc, char **argv);
int cmd_calendar_set(struct ctl *c, int argc, char **argv);
int cmd_calendar_add(struct ctl *c, int argc, char **argv);
int cmd_limit_list(struct ctl *c, int argc, char **argv);
int cmd_limit_set(struct ctl *c, int argc, char **argv);
int cmd_export_open311(struct ctl *c, int argc, char **argv);
int cmd_export_geojson(struct ctl *c, int argc, char **argv);
int cmd_export_csv(struct ctl *c, int argc, char **argv);
int cmd_import_open311(struct ctl *c, int argc, char **argv);
int cmd_import_csv(struct ctl *c, int argc, char **argv);
int cmd_dashboard(struct ctl *c, int argc, char **argv);
int cmd_asset_add(struct ctl *c, int argc, char **argv);
int cmd_asset_update(struct ctl *c, int argc, char **argv);
int cmd_asset_show(struct ctl *c, int argc, char **argv);
int cmd_asset_list(struct ctl *c, int argc, char **argv);
int cmd_asset_delete(struct ctl *c, int argc, char **argv);
int cmd_export(struct ctl *c, int argc, char **argv);
int cmd_import(struct ctl *c, int argc, char **argv);
int cmd_digest(struct ctl *c, int argc, char **argv);
int cmd_seal(struct ctl *c, int argc, char **argv);
int cmd_category_list(struct ctl *c, int argc, char **argv);
int cmd_sync(struct ctl *c, int argc, char **argv);
int cmd_keygen(struct ctl *c, int argc, char **argv);
int cmd_enrol_self(struct ctl *c, int argc, char **argv);
int cmd_enrol_request(struct ctl *c, int argc, char **argv);
int cmd_enrol_sign(struct ctl *c, int argc, char **argv);
int cmd_enrol_install(struct ctl *c, int argc, char **argv);
int cmd_enrol_child(struct ctl *c, int argc, char **argv);
int cmd_revoke(struct ctl *c, int argc, char **argv);
int cmd_certs(struct ctl *c, int argc, char **argv);
int cmd_status(struct ctl *c, int argc, char **argv);
int cmd_ticket_attach(struct ctl *c, int argc, char **argv);
int cmd_ticket_fetch(struct ctl *c, int argc, char **argv);
int cmd_backup(struct ctl *c, int argc, char **argv);
int cmd_restore(struct ctl *c, int argc, char **argv);
/* Settings as gridnode would read them (defaults, store, DIR/gridnode.conf);
 * a config file that does not parse is reported and fails (EX_FAIL). */
struct config;
int ctl_config(struct ctl *c, struct config *cfg);
/* Fetches the queued attachments from the parent (one-shot link). */
int ctl_fetch_blobs(struct ctl *c);
int cmd_classify(struct ctl *c, int argc, char **argv);
int cmd_rule_add(struct ctl *c, int argc, char **argv);
int cmd_rule_list(struct ctl *c, int argc, char **argv);
int cmd_rule_enable(struct ctl *c, int argc, char **argv);
int cmd_rule_disable(struct ctl *c, int argc, char **argv);
int cmd_rules_check(struct ctl *c, int argc, char **argv);
int cmd_ticket_dispatch(struct ctl *c, int argc, char **argv);
int cmd_device_add(struct ctl *c, int argc, char **argv);
int cmd_device_list(struct ctl *c, int argc, char **argv);
int cmd_device_show(struct ctl *c, int argc, char **argv);
int cmd_device_revoke(struct ctl *c, int argc, char **argv);
int cmd_threshold_list(struct ctl *c, int argc, char **argv);
int cmd_threshold_set(struct ctl *c, int argc, char **argv);

/* ctl_rules.c, for ticket add and update: the clear best class of `text`
 * at place `at` into out (its reasons on stderr), or EX_FAIL with the top
 * candidates on stderr; and dispatch by rules after registration (what
 * happened on stderr; never fails the registration). */
int ctl_propose_category(struct ctl *c, const char *at, const char *text, char *out,
			 size_t outlen);
void ctl_auto_dispatch(struct ctl *c, const char *id);

#endif
