/*
 * clock.h: the one source of "now" for rules, sessions and deadlines.
 *
 * Real time plus an offset.  The offset belongs to the calling thread, so a
 * test server can move time forward for the request it is handling (the
 * HTTP layer sets it per request from the database when QUJAT_TEST_CLOCK is
 * on); production never sets it.
 */
#ifndef QJ_CLOCK_H
#define QJ_CLOCK_H

#include <stdint.h>

typedef int64_t qj_time;		/* seconds since the Unix epoch, UTC */

qj_time		qj_now(void);
int64_t		qj_now_usec(void);	/* microseconds since the epoch */
void		qj_clock_set_offset(int64_t seconds);
int64_t		qj_clock_offset(void);

/* RFC 3339 UTC ("2026-11-23T13:14:54Z") into out[21]. */
void		qj_time_format(qj_time, char out[21]);

#endif
