/*
 * clock.c: real time plus a per-thread offset (see clock.h).
 */
#include <stdio.h>
#include <time.h>

#include "core/clock.h"

static _Thread_local int64_t clock_offset;

int64_t
qj_now_usec(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000 +
	    clock_offset * 1000000);
}

qj_time
qj_now(void)
{
	return ((qj_time)time(NULL) + clock_offset);
}

void
qj_clock_set_offset(int64_t seconds)
{
	clock_offset = seconds;
}

int64_t
qj_clock_offset(void)
{
	return (clock_offset);
}

void
qj_time_format(qj_time t, char out[21])
{
	time_t		tt = (time_t)t;
	struct tm	tm;

	gmtime_r(&tt, &tm);
	strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
