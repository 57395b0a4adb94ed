/*
 * calendar.h - the node's working calendar and local-time arithmetic.
 *
 * Time limits are counted in working hours or days (data/time-limits.csv),
 * so a deadline depends on when the command centre works: a working day
 * from workday_start to workday_end on the weekdays in `workdays`, in local
 * time at a fixed offset from UTC.  (A fixed offset, not a zone: Chinese
 * cities keep one all year; a city with daylight saving sets the offset it
 * wants counted.  Public holidays are not modelled.)
 *
 * Settings, stored in the node's meta table as cal.<key> (gridctl calendar
 * set/show), with defaults:
 *   workday_start = 08:30      workday_end = 17:30
 *   workdays      = 1-5        (ISO weekdays, 1 = Monday .. 7 = Sunday;
 *                               lists and ranges: 1-5, 1,2,3,4,5,6, 1-3,5)
 *   utc_offset    = the machine's local offset when unset (+08:00 in China)
 *
 * Everything below cal_load/cal_save is pure (no clock, no TZ, no I/O).
 */
#ifndef GM_CALENDAR_H
#define GM_CALENDAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "../proto/err.h"

struct store;

struct calendar {
	int start;          /* minutes after local midnight the working day starts */
	int end;            /* ... and ends; start < end */
	uint8_t days;       /* bit d set: ISO weekday d (1..7) is a working day */
	int utc_offset;     /* minutes east of UTC */
};

/* NULL-terminated list of the setting names above. */
extern const char *const cal_keys[];

/* The defaults; utc_offset from the machine's local time zone now. */
void cal_default(struct calendar *c);
/* Sets one setting from text; GM_E_INVAL (message in err) if the key is
 * unknown or the value does not parse.  Does not check start < end. */
GM_WUR enum gm_err cal_set(struct calendar *c, const char *key, const char *val, char *err,
			   size_t errlen);
/* The whole calendar makes sense (start < end, at least one working day). */
bool cal_valid(const struct calendar *c, char *err, size_t errlen);
/* Text of one setting, in the form cal_set reads. */
void cal_format(const struct calendar *c, const char *key, char *buf, size_t len);

/* Defaults overlaid with the node's settings; GM_E_MALFORMED if a stored
 * setting is bad (message in the store's errmsg). */
GM_WUR enum gm_err cal_load(struct store *st, struct calendar *c);
/* Stores every setting (in its own statement; callers may wrap a txn). */
GM_WUR enum gm_err cal_save(struct store *st, const struct calendar *c);

/* Length of one working day in minutes. */
int cal_workday_minutes(const struct calendar *c);
/* t + `minutes` of working time: counting starts at t or at the next
 * working moment after it.  minutes <= 0 gives t. */
int64_t cal_add_working(const struct calendar *c, int64_t t, int64_t minutes);
/* ISO weekday (1 = Monday) of local time t. */
int cal_weekday(const struct calendar *c, int64_t t);

/* Local day number of t (days since 1970-01-01 in local time), and the
 * date "YYYY-MM-DD" of a day number (out: 11 bytes). */
int64_t cal_day(const struct calendar *c, int64_t t);
void cal_day_date(int64_t day, char out[11]);
/* Local date "YYYY-MM-DD" (out: 11 bytes) and ISO 8601 time with the
 * offset, "YYYY-MM-DDTHH:MM:SS+08:00" (out: 26 bytes). */
void cal_date(const struct calendar *c, int64_t t, char out[11]);
void cal_iso(const struct calendar *c, int64_t t, char out[26]);
/* Unix time of a local civil time (fields as in daily life: month 1-12). */
int64_t cal_from_local(const struct calendar *c, int year, int mon, int day, int hour, int min,
		       int sec);
/* Parses ISO 8601 "YYYY-MM-DD[THH:MM[:SS[.frac]]][Z|+hh:mm|-hh:mm|+hhmm]";
 * without an offset the calendar's is used.  False if it does not parse. */
bool cal_parse_iso(const struct calendar *c, const char *s, int64_t *out);

#endif
