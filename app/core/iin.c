/*
 * iin.c: IIN and BIN validation (see iin.h for the rules).
 */
#include <string.h>
#include <time.h>

#include "core/iin.h"

int
qj_id_check_digit(const char *d)
{
	static const int	w2[11] = { 3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2 };
	int			i, sum = 0;

	for (i = 0; i < 11; i++)
		sum += (d[i] - '0') * (i + 1);
	if (sum % 11 != 10)
		return (sum % 11);
	sum = 0;
	for (i = 0; i < 11; i++)
		sum += (d[i] - '0') * w2[i];
	if (sum % 11 == 10)
		return (-1);
	return (sum % 11);
}

static int
all_digits(const char *s, size_t n)
{
	size_t	i;

	if (strlen(s) != n)
		return (0);
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return (0);
	return (1);
}

static int
two(const char *s)
{
	return ((s[0] - '0') * 10 + (s[1] - '0'));
}

static int
days_in_month(int y, int m)
{
	static const int	dim[12] =
	    { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return (29);
	return (dim[m - 1]);
}

/* Today's date in UTC as YYYYMMDD. */
static int
today(void)
{
	time_t		now = time(NULL);
	struct tm	tm;

	gmtime_r(&now, &tm);
	return ((tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 +
	    tm.tm_mday);
}

enum qj_err
qj_iin_check(const char *s, const char *field, struct qj_iin_info *info,
    struct qj_diag *d)
{
	int	yy, mm, dd, c, year, check;

	if (s == NULL || !all_digits(s, 12))
		return (qj_fail(d, QJ_EINVAL, "invalid-iin", field,
		    "%s must be exactly 12 digits", field));
	yy = two(s);
	mm = two(s + 2);
	dd = two(s + 4);
	c = s[6] - '0';
	if (c < 1 || c > 6)
		return (qj_fail(d, QJ_EINVAL, "invalid-iin", field,
		    "%s: century/sex digit (7th) must be 1..6, not %d",
		    field, c));
	year = 1800 + 100 * ((c - 1) / 2) + yy;
	if (mm < 1 || mm > 12 || dd < 1 || dd > days_in_month(year, mm))
		return (qj_fail(d, QJ_EINVAL, "invalid-iin", field,
		    "%s: %04d-%02d-%02d is not a valid birth date",
		    field, year, mm, dd));
	if (year * 10000 + mm * 100 + dd > today())
		return (qj_fail(d, QJ_EINVAL, "invalid-iin", field,
		    "%s: birth date %04d-%02d-%02d is in the future",
		    field, year, mm, dd));
	check = qj_id_check_digit(s);
	if (check < 0 || check != s[11] - '0')
		return (qj_fail(d, QJ_EINVAL, "invalid-iin", field,
		    "%s: check digit does not match", field));
	if (info != NULL) {
		info->year = year;
		info->month = mm;
		info->day = dd;
		info->female = (c % 2 == 0);
	}
	return (QJ_OK);
}

enum qj_err
qj_bin_check(const char *s, const char *field, struct qj_diag *d)
{
	int	mm, check;

	if (s == NULL || !all_digits(s, 12))
		return (qj_fail(d, QJ_EINVAL, "invalid-bin", field,
		    "%s must be exactly 12 digits", field));
	mm = two(s + 2);
	if (mm < 1 || mm > 12)
		return (qj_fail(d, QJ_EINVAL, "invalid-bin", field,
		    "%s: registration month %02d is not valid", field, mm));
	if (s[4] < '4' || s[4] > '6')
		return (qj_fail(d, QJ_EINVAL, "invalid-bin", field,
		    "%s: entity type digit (5th) must be 4, 5 or 6", field));
	if (s[5] > '3')
		return (qj_fail(d, QJ_EINVAL, "invalid-bin", field,
		    "%s: attribute digit (6th) must be 0..3", field));
	check = qj_id_check_digit(s);
	if (check < 0 || check != s[11] - '0')
		return (qj_fail(d, QJ_EINVAL, "invalid-bin", field,
		    "%s: check digit does not match", field));
	return (QJ_OK);
}
