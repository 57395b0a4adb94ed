/* calendar.c - working calendar: settings and pure local-time arithmetic. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "calendar.h"
#include "store_int.h"

const char *const cal_keys[] = { "workday_start", "workday_end", "workdays", "utc_offset",
				 NULL };

#define DAY_S 86400

void cal_default(struct calendar *c)
{
	struct tm tm;
	time_t now = time(NULL);
	c->start = 8 * 60 + 30;
	c->end = 17 * 60 + 30;
	c->days = 0x3e;        /* Monday .. Friday */
	c->utc_offset = 0;
	if (localtime_r(&now, &tm))
		c->utc_offset = (int)(tm.tm_gmtoff / 60);
}

/* "HH:MM" (00:00 .. 24:00) into minutes. */
static bool parse_hhmm(const char *s, int *out)
{
	int h, m, n = 0;
	if (sscanf(s, "%2d:%2d%n", &h, &m, &n) != 2 || s[n] || !isdigit((unsigned char)s[0]))
		return false;
	if (h < 0 || m < 0 || m > 59 || h * 60 + m > 24 * 60)
		return false;
	*out = h * 60 + m;
	return true;
}

/* "1-5", "1,3,5", "1-3,6": ISO weekdays into a bit set. */
static bool parse_days(const char *s, uint8_t *out)
{
	uint8_t days = 0;
	const char *p = s;
	while (*p) {
		if (p[0] < '1' || p[0] > '7')
			return false;
		int a = p[0] - '0', b = a;
		p++;
		if (*p == '-') {
			if (p[1] < '1' || p[1] > '7')
				return false;
			b = p[1] - '0';
			p += 2;
			if (b < a)
				return false;
		}
		for (int d = a; d <= b; d++)
			days |= (uint8_t)(1u << d);
		if (*p == ',' && p[1])
			p++;
		else if (*p)
			return false;
	}
	*out = days;
	return days != 0;
}

/* "+08:00", "-0800", "+8", "Z", "UTC", "0" into minutes east of UTC. */
static bool parse_offset(const char *s, int *out)
{
	int sign = 1, h = 0, m = 0, n = 0;
	if (strcmp(s, "Z") == 0 || strcmp(s, "UTC") == 0 || strcmp(s, "0") == 0) {
		*out = 0;
		return true;
	}
	if (*s == '+' || *s == '-') {
		sign = *s == '-' ? -1 : 1;
		s++;
	} else {
		return false;
	}
	if (!isdigit((unsigned char)*s))
		return false;
	if (sscanf(s, "%2d:%2d%n", &h, &m, &n) == 2 && !s[n]) {
		/* +08:00 */
	} else if (strlen(s) == 4 && sscanf(s, "%2d%2d%n", &h, &m, &n) == 2 && !s[n]) {
		/* +0800 */
	} else if (sscanf(s, "%2d%n", &h, &n) == 1 && !s[n]) {
		m = 0;
	} else {
		return false;
	}
	if (m > 59 || h * 60 + m > 14 * 60)
		return false;
	*out = sign * (h * 60 + m);
	return true;
}

enum gm_err cal_set(struct calendar *c, const char *key, const char *val, char *err,
		    size_t errlen)
{
	bool ok;
	if (strcmp(key, "workday_start") == 0)
		ok = parse_hhmm(val, &c->start);
	else if (strcmp(key, "workday_end") == 0)
		ok = parse_hhmm(val, &c->end);
	else if (strcmp(key, "workdays") == 0)
		ok = parse_days(val, &c->days);
	else if (strcmp(key, "utc_offset") == 0)
		ok = parse_offset(val, &c->utc_offset);
	else {
		snprintf(err, errlen, "no calendar setting '%s' (workday_start, workday_end,"
			 " workdays, utc_offset)", key);
		return GM_E_INVAL;
	}
	if (!ok) {
		static const char *const forms[] = { "HH:MM", "HH:MM", "ISO weekdays like 1-5",
						     "+HH:MM" };
		size_t i = 0;
		while (strcmp(cal_keys[i], key) != 0)
			i++;
		snprintf(err, errlen, "%s: '%s' is not %s", key, val, forms[i]);
		return GM_E_INVAL;
	}
	return GM_OK;
}

bool cal_valid(const struct calendar *c, char *err, size_t errlen)
{
	if (c->start >= c->end) {
		snprintf(err, errlen, "workday_end must come after workday_start");
		return false;
	}
	if (!(c->days & 0xfe)) {
		snprintf(err, errlen, "workdays names no day");
		return false;
	}
	return true;
}

void cal_format(const struct calendar *c, const char *key, char *buf, size_t len)
{
	if (strcmp(key, "workday_start") == 0 || strcmp(key, "workday_end") == 0) {
		int m = strcmp(key, "workday_start") == 0 ? c->start : c->end;
		snprintf(buf, len, "%02d:%02d", m / 60, m % 60);
	} else if (strcmp(key, "workdays") == 0) {
		/* runs of days as ranges: 1-5, 1-3,5 */
		size_t n = 0;
		buf[0] = 0;
		for (int d = 1; d <= 7 && n + 5 < len; d++) {
			if (!(c->days & (1u << d)))
				continue;
			int e = d;
			while (e < 7 && (c->days & (1u << (e + 1))))
				e++;
			n += (size_t)snprintf(buf + n, len - n, n ? ",%d" : "%d", d);
			if (e > d)
				n += (size_t)snprintf(buf + n, len - n, "-%d", e);
			d = e;
		}
	} else if (strcmp(key, "utc_offset") == 0) {
		int o = c->utc_offset < 0 ? -c->utc_offset : c->utc_offset;
		snprintf(buf, len, "%c%02d:%02d", c->utc_offset < 0 ? '-' : '+', o / 60, o % 60);
	} else {
		snprintf(buf, len, "?");
	}
}

enum gm_err cal_load(struct store *st, struct calendar *c)
{
	char key[40], val[64], err[160];
	cal_default(c);
	for (size_t i = 0; cal_keys[i]; i++) {
		snprintf(key, sizeof(key), "cal.%s", cal_keys[i]);
		enum gm_err e = store_meta_get(st, key, val, sizeof(val));
		if (e == GM_E_NOTFOUND)
			continue;
		if (e)
			return e;
		if (cal_set(c, cal_keys[i], val, err, sizeof(err)))
			return store_fail(st, GM_E_MALFORMED, "calendar: %s", err);
	}
	if (!cal_valid(c, err, sizeof(err)))
		return store_fail(st, GM_E_MALFORMED, "calendar: %s", err);
	return GM_OK;
}

enum gm_err cal_save(struct store *st, const struct calendar *c)
{
	char key[40], val[64];
	for (size_t i = 0; cal_keys[i]; i++) {
		snprintf(key, sizeof(key), "cal.%s", cal_keys[i]);
		cal_format(c, cal_keys[i], val, sizeof(val));
		enum gm_err e = store_meta_set(st, key, val);
		if (e)
			return e;
	}
	return GM_OK;
}

/* ------------------------------------------------------------ arithmetic */

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* ISO weekday of a day number (days since 1970-01-01, a Thursday). */
static int day_weekday(int64_t day)
{
	return (int)(((day % 7 + 7) % 7 + 3) % 7) + 1;
}

int cal_weekday(const struct calendar *c, int64_t t)
{
	return day_weekday(floor_div(t + (int64_t)c->utc_offset * 60, DAY_S));
}

int cal_workday_minutes(const struct calendar *c)
{
	return c->end - c->start;
}

int64_t cal_add_working(const struct calendar *c, int64_t t, int64_t minutes)
{
	int64_t off = (int64_t)c->utc_offset * 60;
	if (minutes <= 0)
		return t;
	if (c->start >= c->end || !(c->days & 0xfe))
		return t + minutes * 60;   /* no working time at all: count plain time */
	int64_t local = t + off;
	int64_t day = floor_div(local, DAY_S);
	int64_t rem = minutes * 60;
	int64_t week = 0;
	for (int d = 1; d <= 7; d++)
		if (c->days & (1u << d))
			week += (int64_t)(c->end - c->start) * 60;
	bool first = true;
	for (;;) {
		if (!first && rem > week) {
			/* whole weeks at once: any 7 days from midnight hold `week` */
			int64_t k = (rem - 1) / week;
			rem -= k * week;
			day += 7 * k;
			local = day * DAY_S;
		}
		first = false;
		if (c->days & (1u << day_weekday(day))) {
			int64_t s = day * DAY_S + (int64_t)c->start * 60;
			int64_t e = day * DAY_S + (int64_t)c->end * 60;
			int64_t cur = local > s ? local : s;
			if (cur < e) {
				if (rem <= e - cur)
					return cur + rem - off;
				rem -= e - cur;
			}
		}
		day++;
		local = day * DAY_S;
	}
}

/* Civil date from a day number and back (H. Hinnant's algorithms). */
static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
	z += 719468;
	int64_t era = floor_div(z, 146097);
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t yy = yoe + era * 400;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yy + (*m <= 2));
}

static int64_t days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	int64_t era = floor_div(y, 400);
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int64_t cal_day(const struct calendar *c, int64_t t)
{
	return floor_div(t + (int64_t)c->utc_offset * 60, DAY_S);
}

void cal_day_date(int64_t day, char out[11])
{
	int y, m, d;
	civil_from_days(day, &y, &m, &d);
	snprintf(out, 11, "%04d-%02d-%02d", (y % 10000 + 10000) % 10000, m, d);
}

void cal_date(const struct calendar *c, int64_t t, char out[11])
{
	cal_day_date(cal_day(c, t), out);
}

void cal_iso(const struct calendar *c, int64_t t, char out[26])
{
	int y, m, d;
	int64_t local = t + (int64_t)c->utc_offset * 60;
	int64_t day = floor_div(local, DAY_S), sec = local - day * DAY_S;
	int o = c->utc_offset < 0 ? -c->utc_offset : c->utc_offset;
	civil_from_days(day, &y, &m, &d);
	snprintf(out, 26, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", y % 10000, m, d,
		 (int)(sec / 3600), (int)(sec / 60 % 60), (int)(sec % 60),
		 c->utc_offset < 0 ? '-' : '+', o / 60 % 100, o % 60);
}

int64_t cal_from_local(const struct calendar *c, int year, int mon, int day, int hour, int min,
		       int sec)
{
	return days_from_civil(year, mon, day) * DAY_S + (int64_t)hour * 3600 + min * 60 + sec -
	       (int64_t)c->utc_offset * 60;
}

/* n decimal digits at s into *out. */
static bool digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

static int month_days(int y, int m)
{
	static const int md[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 && leap ? 29 : md[m - 1];
}

bool cal_parse_iso(const struct calendar *c, const char *s, int64_t *out)
{
	int y, mo, d, h = 0, mi = 0, se = 0, off = c->utc_offset;
	if (!digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-' ||
	    !digits(s + 8, 2, &d))
		return false;
	if (mo < 1 || mo > 12 || d < 1 || d > month_days(y, mo))
		return false;
	s += 10;
	if (*s == 'T' || *s == ' ') {
		if (!digits(s + 1, 2, &h) || s[3] != ':' || !digits(s + 4, 2, &mi))
			return false;
		s += 6;
		if (*s == ':') {
			if (!digits(s + 1, 2, &se))
				return false;
			s += 3;
			if (*s == '.' || *s == ',') {
				s++;
				if (!isdigit((unsigned char)*s))
					return false;
				while (isdigit((unsigned char)*s))
					s++;
			}
		}
		if (h > 24 || mi > 59 || se > 60 || (h == 24 && (mi || se)))
			return false;
		if (*s && !parse_offset(s, &off))
			return false;
	} else if (*s) {
		return false;
	}
	*out = days_from_civil(y, mo, d) * DAY_S + (int64_t)h * 3600 + mi * 60 + se -
	       (int64_t)off * 60;
	return true;
}
