/*
 * iin.h: Kazakhstan individual and business identification numbers.
 *
 * An IIN is 12 digits: YYMMDD (birth date), a century/sex digit (1..6:
 * odd male, even female; 1-2 born 1800s, 3-4 1900s, 5-6 2000s), a 4-digit
 * serial and a check digit.  A BIN is 12 digits: YYMM (registration), an
 * entity-type digit (4 resident legal entity, 5 non-resident, 6 joint
 * venture or individual entrepreneur), an attribute digit (0..3), a
 * 5-digit serial and a check digit.  Both use the same check-digit rule:
 * sum(d[i] * i) mod 11 over the first 11 digits with weights 1..11; if that
 * is 10, weights 3..11,1,2; if that is 10 again the number is invalid.
 */
#ifndef QJ_IIN_H
#define QJ_IIN_H

#include "core/qj.h"

struct qj_iin_info {
	int	year, month, day;	/* birth date */
	int	female;			/* 1 if the sex digit is even */
};

/*
 * QJ_OK when `s` is a valid IIN (info, if not NULL, receives the birth
 * date and sex); otherwise QJ_EINVAL with type "invalid-iin" and a detail
 * naming the failed check (length, digits, century digit, birth date,
 * check digit), reported against `field`.
 */
enum qj_err	qj_iin_check(const char *s, const char *field,
		    struct qj_iin_info *info, struct qj_diag *);

/* Same for a BIN; type "invalid-bin". */
enum qj_err	qj_bin_check(const char *s, const char *field, struct qj_diag *);

/* The check digit of 11 digits, or -1 when no valid check digit exists. */
int		qj_id_check_digit(const char *eleven_digits);

#endif
