/* log.c - leveled logging. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "log.h"

enum log_level log_threshold = LL_NOTICE;
static char ident[32];

static const char *const names[] = { "error", "warn", "notice", "info", "debug" };

void log_set_level(enum log_level l)
{
	log_threshold = l;
}

int log_level_parse(const char *s, enum log_level *out)
{
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(s, names[i]) == 0) {
			*out = (enum log_level)i;
			return 1;
		}
	}
	if (strcmp(s, "warning") == 0) {
		*out = LL_WARN;
		return 1;
	}
	return 0;
}

void log_set_ident(const char *s)
{
	snprintf(ident, sizeof(ident), "%s", s ? s : "");
}

int log_to_journal(void)
{
	static int journal = -1;
	if (journal < 0) {
		/* a child of a service inherits the variable with another stderr */
		const char *js = getenv("JOURNAL_STREAM");
		unsigned long long dev, ino;
		struct stat sb;
		journal = js && sscanf(js, "%llu:%llu", &dev, &ino) == 2 && fstat(2, &sb) == 0 &&
			  (unsigned long long)sb.st_dev == dev && (unsigned long long)sb.st_ino == ino;
	}
	return journal;
}

static void vlog(enum log_level l, const char *fmt, va_list ap)
{
	/* syslog priorities: LOG_ERR 3 ... LOG_DEBUG 7 */
	static const char prio[] = { '3', '4', '5', '6', '7' };
	char line[1024];
	int n = 0;
	if (log_to_journal()) {
		n = snprintf(line, sizeof(line), "<%c>", prio[l]);
	} else {
		struct timespec ts;
		struct tm tm;
		clock_gettime(CLOCK_REALTIME, &ts);
		localtime_r(&ts.tv_sec, &tm);
		n = (int)strftime(line, sizeof(line), "%Y-%m-%d %H:%M:%S", &tm);
		n += snprintf(line + n, sizeof(line) - (size_t)n, ".%03ld ", ts.tv_nsec / 1000000);
	}
	n += snprintf(line + n, sizeof(line) - (size_t)n, "%s%s%s: ", ident,
		      ident[0] ? " " : "", names[l]);
	if (n < (int)sizeof(line))
		vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	/* one line per event, even if a message carries a newline */
	log_clean(line);
	fprintf(stderr, "%s\n", line);
}

void log_clean(char *s)
{
	for (unsigned char *p = (unsigned char *)s; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
		else if (*p < 0x20 || *p == 0x7f)
			*p = '?';
}

void log_write(enum log_level l, const char *fmt, ...)
{
	va_list ap;
	if (l > log_threshold)
		return;
	va_start(ap, fmt);
	vlog(l, fmt, ap);
	va_end(ap);
}

void log_line(enum log_level l, const char *msg)
{
	size_t n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		n--;
	log_write(l, "%.*s", (int)n, msg);
}

void fatal(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(LL_ERR, fmt, ap);
	va_end(ap);
	exit(1);
}
