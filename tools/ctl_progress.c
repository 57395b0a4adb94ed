/*
 * ctl_progress.c - a progress line for long work (big imports, a sync
 * catching up), rewritten in place with \r on standard error when it is
 * a terminal, at most ten times a second; nothing at all otherwise, so
 * scripts and logs see only the final summary.
 */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include "ctl.h"

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void ctl_progress_start(struct ctl_progress *p)
{
	p->on = isatty(STDERR_FILENO) == 1;
	p->shown = false;
	p->last_ms = 0;
}

void ctl_progress_show(struct ctl_progress *p, bool force, const char *fmt, ...)
{
	va_list ap;
	uint64_t now;
	if (!p->on)
		return;
	now = mono_ms();
	if (!force && p->shown && now - p->last_ms < 100)
		return;
	p->last_ms = now;
	p->shown = true;
	/* \033[K clears what a longer earlier line left at the end */
	fputs("\r", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\033[K", stderr);
	fflush(stderr);
}

void ctl_progress_end(struct ctl_progress *p)
{
	if (p->on && p->shown) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
	}
	p->shown = false;
}

const char *ctl_count(uint64_t n, char buf[32])
{
	char digits[24];
	int len = snprintf(digits, sizeof(digits), "%llu", (unsigned long long)n), k = 0;
	for (int i = 0; i < len; i++) {
		if (i && (len - i) % 3 == 0)
			buf[k++] = ',';
		buf[k++] = digits[i];
	}
	buf[k] = 0;
	return buf;
}
