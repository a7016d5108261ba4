/*
 * calendar.c: civil-day arithmetic, RFC 3339 instants, the working-day
 * calendar and deadline rules (contract in calendar.h).
 *
 * This module owns the meaning of "day", "working day", "local time" and
 * "due" for every workflow deadline and guard.  app/store loads the rows of
 * calendar_day and time_zone_rule (migrations/0002_calendar.sql) into a
 * struct qj_calendar; nothing else decides whether a day is a working day
 * or what time it is in Kazakhstan.  It is pure: no database, no clock, no
 * process time zone, no globals.
 *
 * Invariants: c_exc[] is sorted by day without duplicates and c_delta[i] is
 * the net effect of c_exc[0..i) on the Monday-Friday count; c_zone[] is
 * sorted by valid_from and its change instants strictly increase.
 * Load: a few hundred exceptions and a handful of zone rules, built once at
 * start-up or after an admin edit, then queried on every deadline and guard.
 * Day questions cost O(log n) in the exceptions; zone questions walk the
 * handful of zone rules.
 *
 * Day numbers use H. Hinnant's days_from_civil / civil_from_days
 * ("chrono-Compatible Low-Level Date Algorithms"), exact for the whole
 * proleptic Gregorian calendar.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/calendar.h"

#define SECS_PER_DAY	86400
#define DL_MAX_TEXT	64	/* longer deadline text is rejected unread */

struct cal_exc {
	qj_day	 ce_day;	/* the day */
	int	 ce_working;	/* 1: a working day, 0: a day off */
};

struct cal_zone {
	qj_day	 cz_from;	/* valid_from, a local day */
	int	 cz_offset;	/* minutes east of UTC */
	qj_time	 cz_start;	/* UTC instant it takes effect; INT64_MIN
				   for the first rule */
};

struct qj_calendar {
	struct cal_exc	*c_exc;		/* owned; sorted, unique days */
	int64_t		*c_delta;	/* owned; c_capexc + 1 entries, valid
					   0..c_nexc */
	size_t		 c_nexc;	/* entries used in c_exc */
	size_t		 c_capexc;	/* entries allocated in c_exc */
	size_t		 c_nwdoff;	/* weekday days off among c_exc */
	struct cal_zone	*c_zone;	/* owned; sorted by cz_from */
	size_t		 c_nzone;	/* entries in c_zone */
};

static int64_t	floordiv(int64_t, int64_t);
static int64_t	floormod(int64_t, int64_t);
static int64_t	days_from_civil(int64_t, int, int);
static void	civil_from_days(int64_t, int64_t *, int *, int *);
static int	day_in_range(int64_t);
static int	exc_effect(qj_day, int);
static size_t	exc_upper(const struct qj_calendar *, qj_day);
static void	exc_recount(struct qj_calendar *);
static int64_t	weekdays_upto(int64_t);
static int64_t	working_upto(const struct qj_calendar *, qj_day);
static int	zones_valid(struct cal_zone *, size_t);
static int	local_seconds(const struct qj_calendar *, qj_time, int64_t *);
static qj_time	instant_at_local(const struct qj_calendar *, int64_t);
static int	read_digits(const char *, int, int *);
static int	rule_valid(const struct qj_deadline_rule *);

/* --- civil days --------------------------------------------------------- */

static int64_t
floordiv(int64_t a, int64_t b)
{
	int64_t	q = a / b;

	if (a % b != 0 && ((a < 0) != (b < 0)))
		q--;
	return (q);
}

static int64_t
floormod(int64_t a, int64_t b)
{
	return (a - floordiv(a, b) * b);
}

/* Days since 1970-01-01 of y-m-d; m and d must already be valid. */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t	era, yoe, doy, doe;

	y -= m <= 2;
	era = floordiv(y, 400);
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (era * 146097 + doe - 719468);
}

static void
civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t	era, doe, yoe, doy, mp;

	z += 719468;
	era = floordiv(z, 146097);
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int
day_in_range(int64_t day)
{
	return (day >= QJ_DAY_MIN && day <= QJ_DAY_MAX);
}

int
qj_is_leap_year(int year)
{
	return ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0);
}

int
qj_days_in_month(int year, int month)
{
	static const int	dim[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	if (month < 1 || month > 12)
		return (0);
	if (month == 2 && qj_is_leap_year(year))
		return (29);
	return (dim[month - 1]);
}

enum qj_err
qj_day_from_ymd(int y, int m, int d, qj_day *out)
{
	if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1 ||
	    d > qj_days_in_month(y, m))
		return (QJ_EINVAL);
	*out = (qj_day)days_from_civil(y, m, d);
	return (QJ_OK);
}

enum qj_err
qj_day_to_ymd(qj_day day, int *y, int *m, int *d)
{
	int64_t	yy;
	int	mm, dd;

	if (!day_in_range(day))
		return (QJ_EINVAL);
	civil_from_days(day, &yy, &mm, &dd);
	*y = (int)yy;
	*m = mm;
	*d = dd;
	return (QJ_OK);
}

/* Reads exactly n ASCII digits; 0 if any of them is not a digit. */
static int
read_digits(const char *s, int n, int *out)
{
	int	i, v = 0;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return (0);
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return (1);
}

enum qj_err
qj_day_parse(const char *s, qj_day *out)
{
	int	y, m, d;

	if (s == NULL || !read_digits(s, 4, &y) || s[4] != '-' ||
	    !read_digits(s + 5, 2, &m) || s[7] != '-' ||
	    !read_digits(s + 8, 2, &d) || s[10] != '\0')
		return (QJ_EINVAL);
	return (qj_day_from_ymd(y, m, d, out));
}

enum qj_err
qj_day_format(qj_day day, char out[QJ_DAY_STRLEN + 1])
{
	int	y, m, d, n;

	out[0] = '\0';
	if (qj_day_to_ymd(day, &y, &m, &d) != QJ_OK)
		return (QJ_EINVAL);
	n = snprintf(out, QJ_DAY_STRLEN + 1, "%04d-%02d-%02d", y, m, d);
	if (n != QJ_DAY_STRLEN) {
		out[0] = '\0';
		return (QJ_EINVAL);
	}
	return (QJ_OK);
}

int
qj_weekday(qj_day day)
{
	/* 1970-01-01 was a Thursday. */
	return ((int)floormod((int64_t)day + 3, 7) + 1);
}

enum qj_err
qj_day_add_months(qj_day day, int n, qj_day *out)
{
	int	y, m, d, dim;
	int64_t	total, ny;
	int	nm;

	if (qj_day_to_ymd(day, &y, &m, &d) != QJ_OK)
		return (QJ_EINVAL);
	total = (int64_t)y * 12 + (m - 1) + n;
	ny = floordiv(total, 12);
	nm = (int)floormod(total, 12) + 1;
	if (ny < 1 || ny > 9999)
		return (QJ_EINVAL);
	dim = qj_days_in_month((int)ny, nm);
	if (d > dim)
		d = dim;
	*out = (qj_day)days_from_civil(ny, nm, d);
	return (QJ_OK);
}

enum qj_err
qj_months_between(qj_day a, qj_day b, int *out)
{
	int	ya, ma, da, yb, mb, db, k;
	qj_day	t;

	if (!day_in_range(a) || !day_in_range(b))
		return (QJ_EINVAL);
	if (b < a) {
		if (qj_months_between(b, a, &k) != QJ_OK)
			return (QJ_EINVAL);
		*out = -k;
		return (QJ_OK);
	}
	(void)qj_day_to_ymd(a, &ya, &ma, &da);
	(void)qj_day_to_ymd(b, &yb, &mb, &db);
	k = (yb - ya) * 12 + (mb - ma);
	/* a + k months lands in b's month; one month less is before b. */
	if (qj_day_add_months(a, k, &t) != QJ_OK)
		return (QJ_EINVAL);
	if (t > b)
		k--;
	*out = k;
	return (QJ_OK);
}

/*
 * Age as whole years, a year being complete on its anniversary, the
 * anniversary found with the end-of-month rule.  That is the rule written
 * for terms counted in years and months: "if the end of the term falls in
 * a month without the corresponding date, the term ends on the last day of
 * that month" (Law of the RK of 27.11.2000 "On administrative procedures",
 * art. 12-1 p. 2-3; superseded by the Administrative Procedural Code in
 * 2021, whose wording was not checked).  So someone born on 29 February
 * is a year older on 28 February of a common year, and qj_age_on agrees
 * with qj_day_add_months and qj_months_between: a guard written as "child
 * under 3" and one written as "leave ends by birth + 36 months" give the
 * same answer.  No Kazakh text was found on birthdays as such; if the legal
 * department rules for 1 March, change this function and its test only.
 */
enum qj_err
qj_age_on(qj_day birth, qj_day day, int *out)
{
	int	months;

	if (day < birth || qj_months_between(birth, day, &months) != QJ_OK)
		return (QJ_EINVAL);
	*out = months / 12;
	return (QJ_OK);
}

/* --- instants ----------------------------------------------------------- */

enum qj_err
qj_rfc3339_parse(const char *s, qj_time *out)
{
	int	y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
	qj_day	day;

	if (s == NULL || strnlen(s, 80) >= 80)
		return (QJ_EINVAL);
	if (!read_digits(s, 4, &y) || s[4] != '-' ||
	    !read_digits(s + 5, 2, &mo) || s[7] != '-' ||
	    !read_digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't') ||
	    !read_digits(s + 11, 2, &h) || s[13] != ':' ||
	    !read_digits(s + 14, 2, &mi) || s[16] != ':' ||
	    !read_digits(s + 17, 2, &sec))
		return (QJ_EINVAL);
	s += 19;
	if (*s == '.') {
		s++;
		if (*s < '0' || *s > '9')
			return (QJ_EINVAL);
		while (*s >= '0' && *s <= '9')
			s++;
	}
	if (*s == 'Z' || *s == 'z')
		s++;
	else if (*s == '+' || *s == '-') {
		sign = *s == '+' ? 1 : -1;
		if (!read_digits(s + 1, 2, &oh) || s[3] != ':' ||
		    !read_digits(s + 4, 2, &om))
			return (QJ_EINVAL);
		s += 6;
	} else
		return (QJ_EINVAL);
	if (*s != '\0' || h > 23 || mi > 59 || sec > 59 || oh > 23 ||
	    om > 59 || qj_day_from_ymd(y, mo, d, &day) != QJ_OK)
		return (QJ_EINVAL);
	*out = (qj_time)day * SECS_PER_DAY + h * 3600 + mi * 60 + sec -
	    (qj_time)sign * (oh * 3600 + om * 60);
	return (QJ_OK);
}

enum qj_err
qj_rfc3339_format(qj_time t, int offset_minutes,
    char out[QJ_RFC3339_STRLEN + 1])
{
	int64_t	local, day, sod;
	int	y, m, d, n, a;

	out[0] = '\0';
	if (offset_minutes < -1439 || offset_minutes > 1439 ||
	    t > INT64_MAX - 2 * SECS_PER_DAY ||
	    t < INT64_MIN + 2 * SECS_PER_DAY)
		return (QJ_EINVAL);
	local = t + (int64_t)offset_minutes * 60;
	day = floordiv(local, SECS_PER_DAY);
	sod = local - day * SECS_PER_DAY;
	if (!day_in_range(day))
		return (QJ_EINVAL);
	(void)qj_day_to_ymd((qj_day)day, &y, &m, &d);
	n = snprintf(out, QJ_RFC3339_STRLEN + 1,
	    "%04d-%02d-%02dT%02d:%02d:%02d", y, m, d, (int)(sod / 3600),
	    (int)(sod / 60 % 60), (int)(sod % 60));
	if (n != 19)
		goto fail;
	if (offset_minutes == 0) {
		out[19] = 'Z';
		out[20] = '\0';
		return (QJ_OK);
	}
	a = offset_minutes < 0 ? -offset_minutes : offset_minutes;
	n = snprintf(out + 19, QJ_RFC3339_STRLEN + 1 - 19, "%c%02d:%02d",
	    offset_minutes < 0 ? '-' : '+', a / 60, a % 60);
	if (n != 6)
		goto fail;
	return (QJ_OK);
fail:
	out[0] = '\0';
	return (QJ_EINVAL);
}

/* --- the calendar object ------------------------------------------------ */

struct qj_calendar *
qj_calendar_new(void)
{
	struct qj_calendar	*cal;

	if ((cal = calloc(1, sizeof(*cal))) == NULL)
		return (NULL);
	if ((cal->c_delta = calloc(1, sizeof(*cal->c_delta))) == NULL) {
		free(cal);
		return (NULL);
	}
	return (cal);
}

void
qj_calendar_free(struct qj_calendar *cal)
{
	if (cal == NULL)
		return;
	free(cal->c_exc);
	free(cal->c_delta);
	free(cal->c_zone);
	free(cal);
}

/*
 * What an exception does to the Monday-Friday count: a working Saturday or
 * Sunday adds one, a weekday off removes one, anything else (a holiday on a
 * Sunday) changes nothing.
 */
static int
exc_effect(qj_day day, int working)
{
	int	wd = qj_weekday(day);

	if (working && wd >= 6)
		return (1);
	if (!working && wd <= 5)
		return (-1);
	return (0);
}

/* The number of exceptions whose day is <= day. */
static size_t
exc_upper(const struct qj_calendar *cal, qj_day day)
{
	size_t	lo = 0, hi = cal->c_nexc, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (cal->c_exc[mid].ce_day <= day)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (lo);
}

static void
exc_recount(struct qj_calendar *cal)
{
	size_t	i;
	int	e;

	cal->c_delta[0] = 0;
	cal->c_nwdoff = 0;
	for (i = 0; i < cal->c_nexc; i++) {
		e = exc_effect(cal->c_exc[i].ce_day, cal->c_exc[i].ce_working);
		cal->c_delta[i + 1] = cal->c_delta[i] + e;
		if (e < 0)
			cal->c_nwdoff++;
	}
}

enum qj_err
qj_calendar_set_day(struct qj_calendar *cal, qj_day day, int working)
{
	struct cal_exc	*exc;
	int64_t		*delta;
	size_t		 pos, cap;

	if (!day_in_range(day))
		return (QJ_EINVAL);
	pos = exc_upper(cal, day);
	if (pos > 0 && cal->c_exc[pos - 1].ce_day == day) {
		cal->c_exc[pos - 1].ce_working = working != 0;
		exc_recount(cal);
		return (QJ_OK);
	}
	if (cal->c_nexc == cal->c_capexc) {
		cap = cal->c_capexc == 0 ? 64 : cal->c_capexc * 2;
		if ((exc = realloc(cal->c_exc, cap * sizeof(*exc))) == NULL)
			return (QJ_ENOMEM);
		cal->c_exc = exc;
		/* c_capexc grows only once both arrays have room. */
		delta = realloc(cal->c_delta, (cap + 1) * sizeof(*delta));
		if (delta == NULL)
			return (QJ_ENOMEM);
		cal->c_delta = delta;
		cal->c_capexc = cap;
	}
	memmove(&cal->c_exc[pos + 1], &cal->c_exc[pos],
	    (cal->c_nexc - pos) * sizeof(*cal->c_exc));
	cal->c_exc[pos].ce_day = day;
	cal->c_exc[pos].ce_working = working != 0;
	cal->c_nexc++;
	exc_recount(cal);
	return (QJ_OK);
}

/*
 * Fills in the change instants (a rule starts at 00:00 local time of its
 * valid_from at the previous rule's offset, as tzdata has Asia/Almaty
 * change at 2024-03-01 00:00 +06) and says whether they strictly increase.
 */
static int
zones_valid(struct cal_zone *z, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (i == 0) {
			z[i].cz_start = INT64_MIN;
			continue;
		}
		z[i].cz_start = (qj_time)z[i].cz_from * SECS_PER_DAY -
		    (qj_time)z[i - 1].cz_offset * 60;
		if (z[i].cz_start <= z[i - 1].cz_start)
			return (0);
	}
	return (1);
}

enum qj_err
qj_calendar_add_zone_rule(struct qj_calendar *cal, qj_day valid_from,
    int offset_minutes)
{
	struct cal_zone	*z;
	size_t		 i, pos;

	if (!day_in_range(valid_from) || offset_minutes < -720 ||
	    offset_minutes > 840)
		return (QJ_EINVAL);
	for (pos = 0; pos < cal->c_nzone; pos++) {
		if (cal->c_zone[pos].cz_from == valid_from)
			return (QJ_ECONFLICT);
		if (cal->c_zone[pos].cz_from > valid_from)
			break;
	}
	if ((z = calloc(cal->c_nzone + 1, sizeof(*z))) == NULL)
		return (QJ_ENOMEM);
	for (i = 0; i < pos; i++)
		z[i] = cal->c_zone[i];
	z[pos].cz_from = valid_from;
	z[pos].cz_offset = offset_minutes;
	for (i = pos; i < cal->c_nzone; i++)
		z[i + 1] = cal->c_zone[i];
	if (!zones_valid(z, cal->c_nzone + 1)) {
		free(z);
		return (QJ_EINVAL);
	}
	free(cal->c_zone);
	cal->c_zone = z;
	cal->c_nzone++;
	return (QJ_OK);
}

/* --- working days ------------------------------------------------------- */

int
qj_cal_is_working(const struct qj_calendar *cal, qj_day day)
{
	size_t	pos = exc_upper(cal, day);

	if (pos > 0 && cal->c_exc[pos - 1].ce_day == day)
		return (cal->c_exc[pos - 1].ce_working);
	return (qj_weekday(day) <= 5);
}

/*
 * A running count of Mondays-Fridays: weekdays_upto(b) - weekdays_upto(a)
 * is the number of them in (a, b] for any a <= b, negative days included.
 * With s = day + 3 a Monday is s = 0 (mod 7), and each full week of s
 * values contributes five.
 */
static int64_t
weekdays_upto(int64_t day)
{
	int64_t	s = day + 3 + 1;
	int64_t	r = floormod(s, 7);

	return (5 * floordiv(s, 7) + (r < 5 ? r : 5));
}

static int64_t
working_upto(const struct qj_calendar *cal, qj_day day)
{
	return (weekdays_upto(day) + cal->c_delta[exc_upper(cal, day)]);
}

int64_t
qj_cal_working_days_between(const struct qj_calendar *cal, qj_day a,
    qj_day b)
{
	return (working_upto(cal, b) - working_upto(cal, a));
}

enum qj_err
qj_cal_add_working_days(const struct qj_calendar *cal, qj_day day, int n,
    qj_day *out)
{
	int64_t	base, lo, hi, mid, weeks;

	if (n < 0 || !day_in_range(day))
		return (QJ_EINVAL);
	if (n == 0) {
		if (qj_cal_is_working(cal, day)) {
			*out = day;
			return (QJ_OK);
		}
		n = 1;
	}
	/*
	 * Any 7k consecutive days hold 5k weekdays, of which at most
	 * c_nwdoff are days off, so 7 * ceil((n + c_nwdoff) / 5) days
	 * after `day` hold at least n working days.  Binary-search the
	 * smallest d in (day, hi] with n working days in (day, d]; it is
	 * itself a working day, since the count only grows on those.
	 */
	weeks = ((int64_t)n + (int64_t)cal->c_nwdoff + 4) / 5;
	base = working_upto(cal, day);
	lo = day;
	hi = day + 7 * weeks;
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (mid <= QJ_DAY_MAX &&
		    working_upto(cal, (qj_day)mid) - base >= n)
			hi = mid;
		else
			lo = mid;
	}
	if (hi > QJ_DAY_MAX)
		return (QJ_EINVAL);
	*out = (qj_day)hi;
	return (QJ_OK);
}

/* --- local time --------------------------------------------------------- */

int
qj_cal_local_offset(const struct qj_calendar *cal, qj_time t)
{
	size_t	lo = 0, hi = cal->c_nzone, mid;

	if (cal->c_nzone == 0)
		return (0);
	/* The last rule whose change instant is <= t, else the first. */
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (cal->c_zone[mid].cz_start <= t)
			lo = mid;
		else
			hi = mid;
	}
	return (cal->c_zone[lo].cz_offset);
}

/* Seconds since 1970-01-01 00:00 of the local wall clock at t. */
static int
local_seconds(const struct qj_calendar *cal, qj_time t, int64_t *out)
{
	if (t > INT64_MAX - 2 * SECS_PER_DAY ||
	    t < INT64_MIN + 2 * SECS_PER_DAY)
		return (0);
	*out = t + (int64_t)qj_cal_local_offset(cal, t) * 60;
	return (1);
}

enum qj_err
qj_cal_local_day(const struct qj_calendar *cal, qj_time t, qj_day *out)
{
	int64_t	local, day;

	if (!local_seconds(cal, t, &local))
		return (QJ_EINVAL);
	day = floordiv(local, SECS_PER_DAY);
	if (!day_in_range(day))
		return (QJ_EINVAL);
	*out = (qj_day)day;
	return (QJ_OK);
}

/*
 * The earliest instant at which the local clock shows `local` or later.
 * Within one rule's span the clock runs forward, so in span i that is
 * max(start_i, local - offset_i) if it falls before the span ends; the
 * answer is the smallest over all spans.  `local` must be within a few
 * days of QJ_DAY_MIN..QJ_DAY_MAX, as every caller ensures.
 */
static qj_time
instant_at_local(const struct qj_calendar *cal, int64_t local)
{
	const struct cal_zone	*z = cal->c_zone;
	qj_time			 best = INT64_MAX, cand;
	size_t			 i;

	if (cal->c_nzone == 0)
		return (local);
	for (i = 0; i < cal->c_nzone; i++) {
		cand = local - (qj_time)z[i].cz_offset * 60;
		if (cand < z[i].cz_start)
			cand = z[i].cz_start;
		if (i + 1 < cal->c_nzone && cand >= z[i + 1].cz_start)
			continue;
		if (cand < best)
			best = cand;
	}
	return (best);
}

enum qj_err
qj_cal_instant_at(const struct qj_calendar *cal, qj_day day, int hour,
    int minute, qj_time *out)
{
	if (!day_in_range(day) || hour < 0 || hour > 23 || minute < 0 ||
	    minute > 59)
		return (QJ_EINVAL);
	*out = instant_at_local(cal, (int64_t)day * SECS_PER_DAY +
	    hour * 3600 + minute * 60);
	return (QJ_OK);
}

enum qj_err
qj_cal_format_local(const struct qj_calendar *cal, qj_time t,
    char out[QJ_RFC3339_STRLEN + 1])
{
	return (qj_rfc3339_format(t, qj_cal_local_offset(cal, t), out));
}

/* --- deadline rules ----------------------------------------------------- */

static const struct dl_unit {
	const char		*du_plural;	/* "calendar-days" */
	const char		*du_singular;	/* "calendar-day", N = 1 only */
	enum qj_deadline_unit	 du_unit;	/* what it parses to */
	int			 du_mult;	/* days per unit (weeks: 7) */
	int			 du_max;	/* largest N accepted */
} dl_units[] = {
	{ "calendar-days", "calendar-day", QJ_DL_CALENDAR_DAYS, 1, 36600 },
	{ "working-days", "working-day", QJ_DL_WORKING_DAYS, 1, 26100 },
	{ "weeks", "week", QJ_DL_CALENDAR_DAYS, 7, 5200 },
	{ "months", "month", QJ_DL_MONTHS, 1, 1200 },
	{ "hours", "hour", QJ_DL_HOURS, 1, 876000 },
};

/* The limits of qj_deadline_parse, for rules built by hand too. */
static int
rule_valid(const struct qj_deadline_rule *r)
{
	int	max;

	if (r->unit == QJ_DL_NEXT_DAY_AT)
		return (r->n == 1 && r->hour >= 0 && r->hour <= 23 &&
		    r->minute >= 0 && r->minute <= 59);
	switch (r->unit) {
	case QJ_DL_CALENDAR_DAYS:
		max = dl_units[0].du_max;
		break;
	case QJ_DL_WORKING_DAYS:
		max = dl_units[1].du_max;
		break;
	case QJ_DL_MONTHS:
		max = dl_units[3].du_max;
		break;
	case QJ_DL_HOURS:
		max = dl_units[4].du_max;
		break;
	default:
		return (0);
	}
	return (r->n >= 1 && r->n <= max && r->hour == 0 && r->minute == 0);
}

enum qj_err
qj_deadline_parse(const char *s, struct qj_deadline_rule *out,
    struct qj_diag *d)
{
	struct qj_deadline_rule	 r;
	const struct dl_unit	*u;
	const char		*p;
	size_t			 i;
	int			 n = 0, digits = 0;

	memset(&r, 0, sizeof(r));
	if (s == NULL || strnlen(s, DL_MAX_TEXT + 1) > DL_MAX_TEXT)
		return (qj_fail(d, QJ_EINVAL, "invalid-deadline", "deadline",
		    "deadline text is missing or longer than %d bytes",
		    DL_MAX_TEXT));
	if (strncmp(s, "next-day ", 9) == 0) {
		p = s + 9;
		if (!read_digits(p, 2, &r.hour) || p[2] != ':' ||
		    !read_digits(p + 3, 2, &r.minute) || p[5] != '\0' ||
		    r.hour > 23 || r.minute > 59)
			return (qj_fail(d, QJ_EINVAL, "invalid-deadline",
			    "deadline", "\"%s\": expected next-day HH:MM with "
			    "HH 00-23 and MM 00-59", s));
		r.unit = QJ_DL_NEXT_DAY_AT;
		r.n = 1;
		*out = r;
		return (QJ_OK);
	}
	for (p = s; *p >= '0' && *p <= '9' && digits < 7; p++, digits++)
		n = n * 10 + (*p - '0');
	if (digits == 0 || digits > 6 || s[0] == '0' || *p != ' ')
		return (qj_fail(d, QJ_EINVAL, "invalid-deadline", "deadline",
		    "\"%s\": expected \"N unit\" with N from 1 and no leading "
		    "zero, or \"next-day HH:MM\"", s));
	p++;
	for (i = 0; i < QJ_NELEM(dl_units); i++) {
		u = &dl_units[i];
		if (strcmp(p, u->du_plural) != 0 &&
		    (n != 1 || strcmp(p, u->du_singular) != 0))
			continue;
		if (n > u->du_max)
			return (qj_fail(d, QJ_EINVAL, "invalid-deadline",
			    "deadline", "\"%s\": at most %d %s", s, u->du_max,
			    u->du_plural));
		r.unit = u->du_unit;
		r.n = n * u->du_mult;
		*out = r;
		return (QJ_OK);
	}
	return (qj_fail(d, QJ_EINVAL, "invalid-deadline", "deadline",
	    "\"%s\": unit must be calendar-days, working-days, weeks, months "
	    "or hours", s));
}

enum qj_err
qj_deadline_format(const struct qj_deadline_rule *r,
    char out[QJ_DEADLINE_STRLEN + 1])
{
	const char	*unit;
	int		 n;

	out[0] = '\0';
	if (!rule_valid(r))
		return (QJ_EINVAL);
	switch (r->unit) {
	case QJ_DL_NEXT_DAY_AT:
		n = snprintf(out, QJ_DEADLINE_STRLEN + 1, "next-day %02d:%02d",
		    r->hour, r->minute);
		return (n > 0 && n <= QJ_DEADLINE_STRLEN ? QJ_OK : QJ_EINVAL);
	case QJ_DL_CALENDAR_DAYS:
		unit = "calendar-days";
		break;
	case QJ_DL_WORKING_DAYS:
		unit = "working-days";
		break;
	case QJ_DL_MONTHS:
		unit = "months";
		break;
	default:
		unit = "hours";
		break;
	}
	n = snprintf(out, QJ_DEADLINE_STRLEN + 1, "%d %s", r->n, unit);
	if (n <= 0 || n > QJ_DEADLINE_STRLEN) {
		out[0] = '\0';
		return (QJ_EINVAL);
	}
	return (QJ_OK);
}

/*
 * Days are local days: an event at 02:00 on 2 March 2026 in Kazakhstan
 * (21:00 UTC on 1 March) counts its days from 2 March.  The due instant is
 * the start of the local day after the last day of the term, so "by the
 * end of the tenth day" and "on time iff t < due" say the same thing.
 * "next-day" counts a calendar day, not a working day: the admission appeal
 * clause says "келесі күні сағат 13.00-ге дейін" (seed 001, Annex 2 s. 18,
 * L884-886), the next day, where the text elsewhere says "жұмыс күні" when
 * it means working days ("10 жұмыс күні ішінде", Form 5 s. 2.7.4).
 */
enum qj_err
qj_deadline_due(const struct qj_calendar *cal,
    const struct qj_deadline_rule *rule, qj_time start, qj_time *due)
{
	int64_t	local, sod;
	qj_day	day, last;
	qj_time	t;

	if (!rule_valid(rule) || qj_cal_local_day(cal, start, &day) != QJ_OK)
		return (QJ_EINVAL);
	switch (rule->unit) {
	case QJ_DL_CALENDAR_DAYS:
		if ((int64_t)day + rule->n > QJ_DAY_MAX)
			return (QJ_EINVAL);
		last = day + rule->n;
		t = instant_at_local(cal, ((int64_t)last + 1) * SECS_PER_DAY);
		break;
	case QJ_DL_WORKING_DAYS:
		if (qj_cal_add_working_days(cal, day, rule->n, &last) != QJ_OK)
			return (QJ_EINVAL);
		t = instant_at_local(cal, ((int64_t)last + 1) * SECS_PER_DAY);
		break;
	case QJ_DL_NEXT_DAY_AT:
		if (day + 1 > QJ_DAY_MAX)
			return (QJ_EINVAL);
		t = instant_at_local(cal, ((int64_t)day + 1) * SECS_PER_DAY +
		    rule->hour * 3600 + rule->minute * 60);
		break;
	case QJ_DL_MONTHS:
		if (!local_seconds(cal, start, &local))
			return (QJ_EINVAL);
		sod = local - (int64_t)day * SECS_PER_DAY;
		if (qj_day_add_months(day, rule->n, &last) != QJ_OK)
			return (QJ_EINVAL);
		t = instant_at_local(cal, (int64_t)last * SECS_PER_DAY + sod);
		break;
	default:
		t = start + (qj_time)rule->n * 3600;
		if (qj_cal_local_day(cal, t, &last) != QJ_OK)
			return (QJ_EINVAL);
		break;
	}
	*due = t;
	return (QJ_OK);
}
