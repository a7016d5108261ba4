/*
 * log.h: structured logs, one JSON object per line on stderr.
 *
 *	{"ts":"2026-11-23T13:14:54.123Z","level":"info","event":"login",
 *	 "msg":"person=12 result=ok"}
 *
 * Each line is written with a single write(2), so lines from several
 * threads and processes do not interleave.  Never pass secrets (passwords,
 * tokens, private keys) to these functions.
 */
#ifndef QJ_LOG_H
#define QJ_LOG_H

enum qj_log_level { QJ_LOG_ERR, QJ_LOG_WARN, QJ_LOG_INFO, QJ_LOG_DEBUG };

void	qj_log(enum qj_log_level, const char *event, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/* Messages above this level are dropped; the default is QJ_LOG_INFO. */
void	qj_log_set_level(enum qj_log_level);

#endif
