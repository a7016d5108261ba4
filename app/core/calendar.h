/*
 * calendar.h: civil days, UTC instants, the Kazakhstan working-day calendar
 * and the deadline rules that workflow definitions name.
 *
 * Contract, in short:
 *  - A qj_day counts days since 1970-01-01 in the proleptic Gregorian
 *    calendar; valid days run from 0001-01-01 (QJ_DAY_MIN) to 9999-12-31
 *    (QJ_DAY_MAX).  A qj_time counts seconds since the Unix epoch, UTC,
 *    without leap seconds (the same type as core/clock.h).
 *  - A struct qj_calendar holds the exceptions to the Monday-Friday rule
 *    (rows of calendar_day) and the UTC offsets in force (rows of
 *    time_zone_rule).  Build it once with qj_calendar_new(), _set_day() and
 *    _add_zone_rule(), then share it read-only: no query modifies it, and
 *    nothing here reads globals, the process time zone, the clock or the
 *    database, so concurrent queries on one calendar are safe.
 *  - Functions that can fail return enum qj_err (core/qj.h) and leave their
 *    outputs untouched on failure.  Bad input is QJ_EINVAL unless a
 *    function says otherwise; allocation failure is QJ_ENOMEM.
 *  - Deadlines are exclusive: an act at instant t is on time iff t < due.
 */
#ifndef QJ_CALENDAR_H
#define QJ_CALENDAR_H

#include <stddef.h>
#include <stdint.h>

#include "core/qj.h"

typedef int32_t qj_day;		/* days since 1970-01-01, proleptic Gregorian */
typedef int64_t qj_time;	/* seconds since the Unix epoch, UTC */

#define QJ_DAY_MIN		(-719162) /* 0001-01-01 */
#define QJ_DAY_MAX		2932896	/* 9999-12-31 */
#define QJ_DAY_STRLEN		10	/* "YYYY-MM-DD", plus one for NUL */
#define QJ_RFC3339_STRLEN	25	/* "YYYY-MM-DDTHH:MM:SS+HH:MM" */
#define QJ_DEADLINE_STRLEN	32	/* longest qj_deadline_format() */

/* --- civil days --------------------------------------------------------- */

/* 1 if `year` is a Gregorian leap year, else 0.  Any int is accepted. */
int		qj_is_leap_year(int year);
/* Days in month `month` (1-12) of `year`; 0 if month is out of range. */
int		qj_days_in_month(int year, int month);

/* The day of y-m-d.  QJ_EINVAL unless it is a real date in 0001..9999. */
enum qj_err	qj_day_from_ymd(int y, int m, int d, qj_day *out);
/* Year, month, day of `day`.  QJ_EINVAL if day is outside QJ_DAY_MIN..MAX. */
enum qj_err	qj_day_to_ymd(qj_day day, int *y, int *m, int *d);
/*
 * Parses exactly "YYYY-MM-DD" (ten characters, ASCII digits, a real date,
 * year 0001-9999).  Anything else, including surrounding space, a sign or a
 * time part, is QJ_EINVAL.
 */
enum qj_err	qj_day_parse(const char *s, qj_day *out);
/* "YYYY-MM-DD" into out[11].  QJ_EINVAL (and out = "") if out of range. */
enum qj_err	qj_day_format(qj_day day, char out[QJ_DAY_STRLEN + 1]);
/* ISO weekday: 1 = Monday ... 7 = Sunday.  Any qj_day is accepted. */
int		qj_weekday(qj_day day);
/*
 * `day` moved by n months (n may be negative), clamped to the end of the
 * month: Jan 31 + 1 month = Feb 28 (Feb 29 in a leap year).  QJ_EINVAL if
 * `day` or the result is outside QJ_DAY_MIN..QJ_DAY_MAX.
 */
enum qj_err	qj_day_add_months(qj_day day, int n, qj_day *out);

/*
 * Whole months from a to b: for b >= a the largest k >= 0 with
 * qj_day_add_months(a, k) <= b (so Jan 31 -> Feb 28 is one month, as a
 * month-long term started on Jan 31 ends on Feb 28); for b < a it is
 * -qj_months_between(b, a).  QJ_EINVAL if either day is out of range.
 */
enum qj_err	qj_months_between(qj_day a, qj_day b, int *out);
/*
 * Whole years of age on `day` of someone born on `birth`:
 * qj_months_between(birth, day) / 12.  A year is complete on its
 * anniversary, and the anniversary of Feb 29 in a common year is Feb 28
 * (the end-of-month rule for terms counted in years and months; see
 * calendar.c).  QJ_EINVAL if day < birth or either is out of range.
 */
enum qj_err	qj_age_on(qj_day birth, qj_day day, int *out);

/* --- instants ----------------------------------------------------------- */

/*
 * Parses an RFC 3339 date-time: "YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)".
 * "T" and "Z" may be lower case (RFC 3339 section 5.6).  A fraction of a
 * second is accepted and dropped (the instant is the whole second that
 * contains it).  A leap second (":60"), a missing offset, space instead of
 * "T", or any other deviation is QJ_EINVAL.
 */
enum qj_err	qj_rfc3339_parse(const char *s, qj_time *out);
/*
 * Formats `t` as seen at UTC offset `offset_minutes` (-1439..1439), e.g.
 * "2026-11-23T13:00:00+05:00"; offset 0 is written "Z".  QJ_EINVAL (and
 * out = "") if the offset or the local date is out of range.
 */
enum qj_err	qj_rfc3339_format(qj_time t, int offset_minutes,
		    char out[QJ_RFC3339_STRLEN + 1]);

/* --- the calendar object ------------------------------------------------ */

struct qj_calendar;

/* An empty calendar: Monday-Friday working, UTC.  NULL if out of memory. */
struct qj_calendar	*qj_calendar_new(void);
/*
 * Records that `day` is (working != 0) or is not a working day, replacing
 * any earlier entry for that day.  An entry equal to the Monday-Friday rule
 * (a holiday on a Sunday) is kept but changes no answer.  QJ_EINVAL if day
 * is out of range, QJ_ENOMEM on allocation failure; the calendar is
 * unchanged on failure.
 */
enum qj_err	qj_calendar_set_day(struct qj_calendar *, qj_day day,
		    int working);
/*
 * From 00:00 local time of `valid_from` (reckoned at the offset in force
 * before it) the offset is `offset_minutes` east of UTC (-720..840).  The
 * first rule also applies to every earlier instant; a calendar without
 * rules is on UTC.  QJ_ECONFLICT if a rule for valid_from exists;
 * QJ_EINVAL on bad arguments or if the change instants would not increase
 * (two rules a day apart swinging by more than 24 hours); QJ_ENOMEM.  The
 * calendar is unchanged on failure.
 */
enum qj_err	qj_calendar_add_zone_rule(struct qj_calendar *,
		    qj_day valid_from, int offset_minutes);
/* Frees the calendar; NULL is ignored. */
void		qj_calendar_free(struct qj_calendar *);

/* 1 if `day` is a working day, else 0.  Any qj_day is accepted. */
int		qj_cal_is_working(const struct qj_calendar *, qj_day day);
/*
 * For n >= 1, the n-th working day strictly after `day` (so n = 1 is the
 * next working day, whether or not `day` itself is one).  For n = 0, `day`
 * if it is a working day, else the next working day.  QJ_EINVAL if n < 0,
 * `day` is out of range or the result would pass QJ_DAY_MAX.
 */
enum qj_err	qj_cal_add_working_days(const struct qj_calendar *, qj_day day,
		    int n, qj_day *out);
/*
 * The number of working days d with a < d <= b; if b < a, minus the number
 * with b < d <= a.  Any pair of qj_day values is accepted.
 */
int64_t		qj_cal_working_days_between(const struct qj_calendar *,
		    qj_day a, qj_day b);
/* Minutes east of UTC in force at instant `t` (0 without rules). */
int		qj_cal_local_offset(const struct qj_calendar *, qj_time t);
/* The local calendar day at instant `t`.  QJ_EINVAL if out of range. */
enum qj_err	qj_cal_local_day(const struct qj_calendar *, qj_time t,
		    qj_day *out);
/*
 * The instant at which the local clock shows hour:minute (0-23, 0-59) on
 * `day`.  When the clock was set back and shows that time twice, the
 * earlier instant; when it was set forward past that time, the instant of
 * the change (in general: the earliest instant at which the local clock
 * shows that time or later).  QJ_EINVAL on bad arguments.
 */
enum qj_err	qj_cal_instant_at(const struct qj_calendar *, qj_day day,
		    int hour, int minute, qj_time *out);
/* qj_rfc3339_format() at the local offset in force at `t`. */
enum qj_err	qj_cal_format_local(const struct qj_calendar *, qj_time t,
		    char out[QJ_RFC3339_STRLEN + 1]);

/* --- deadline rules ----------------------------------------------------- */

/*
 * A deadline as workflow XML names it.  Textual forms (qj_deadline_parse):
 *	"N calendar-days"	due at the end of the N-th local day after the
 *				local day of the event
 *	"N working-days"	due at the end of the N-th working day after the
 *				local day of the event
 *	"N weeks"		the same as "7N calendar-days"
 *	"next-day HH:MM"	due at HH:MM local time on the calendar day
 *				after the local day of the event
 *	"N months"		due at the event's local time N months later
 *				(end-of-month clamped)
 *	"N hours"		due N * 3600 seconds after the event
 * The singular ("1 calendar-day", "1 week", ...) is accepted for N = 1.
 */
struct qj_deadline_rule {
	enum qj_deadline_unit {
		QJ_DL_CALENDAR_DAYS,
		QJ_DL_WORKING_DAYS,
		QJ_DL_NEXT_DAY_AT,
		QJ_DL_MONTHS,
		QJ_DL_HOURS
	}	unit;
	int	n;		/* count of units, >= 1; 1 for NEXT_DAY_AT */
	int	hour;		/* NEXT_DAY_AT only: 0-23, else 0 */
	int	minute;		/* NEXT_DAY_AT only: 0-59, else 0 */
};

/*
 * Parses the textual form above: ASCII, one space, no leading zeros in N,
 * N from 1 to the unit's limit (36600 days, 26100 working days, 5200
 * weeks, 1200 months, 876000 hours), HH:MM as two digits each.  On
 * failure QJ_EINVAL with a diagnostic of type "invalid-deadline" (d may be
 * NULL); *out is untouched.
 */
enum qj_err	qj_deadline_parse(const char *s, struct qj_deadline_rule *out,
		    struct qj_diag *d);
/*
 * The canonical text of a rule ("4 weeks" comes back as "28 calendar-days")
 * into out[QJ_DEADLINE_STRLEN + 1].  QJ_EINVAL if the rule is invalid.
 */
enum qj_err	qj_deadline_format(const struct qj_deadline_rule *,
		    char out[QJ_DEADLINE_STRLEN + 1]);
/*
 * The exclusive due instant of `rule` for an event at `start`: on time iff
 * t < *due.  QJ_EINVAL if the rule is invalid (as qj_deadline_parse would
 * reject it) or the result is out of range.
 */
enum qj_err	qj_deadline_due(const struct qj_calendar *,
		    const struct qj_deadline_rule *rule, qj_time start,
		    qj_time *due);

#endif
