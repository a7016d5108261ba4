/*
 * log.c: JSON-lines logging to stderr (see log.h).  The only state is the
 * level threshold, set once at start-up before any thread exists.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"

static enum qj_log_level log_threshold = QJ_LOG_INFO;

static const char *const level_names[] = { "error", "warn", "info", "debug" };

void
qj_log_set_level(enum qj_log_level level)
{
	log_threshold = level;
}

/* Appends `s` to out[*off..cap) as JSON string content; truncates safely. */
static void
log_escape(char *out, size_t cap, size_t *off, const char *s)
{
	static const char	hex[] = "0123456789abcdef";
	unsigned char		c;

	for (; *s != '\0' && *off + 7 < cap; s++) {
		c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			out[(*off)++] = '\\';
			out[(*off)++] = (char)c;
		} else if (c < 0x20) {
			out[(*off)++] = '\\';
			out[(*off)++] = 'u';
			out[(*off)++] = '0';
			out[(*off)++] = '0';
			out[(*off)++] = hex[c >> 4];
			out[(*off)++] = hex[c & 0xf];
		} else
			out[(*off)++] = (char)c;
	}
}

void
qj_log(enum qj_log_level level, const char *event, const char *fmt, ...)
{
	char		line[2048], msg[1536], ts[32];
	struct timespec	now;
	struct tm	tm;
	size_t		off;
	va_list		ap;
	ssize_t		r;

	if (level > log_threshold)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);

	off = (size_t)snprintf(line, sizeof(line),
	    "{\"ts\":\"%s.%03ldZ\",\"level\":\"%s\",\"pid\":%ld,\"event\":\"",
	    ts, now.tv_nsec / 1000000, level_names[level], (long)getpid());
	log_escape(line, sizeof(line), &off, event);
	memcpy(line + off, "\",\"msg\":\"", 9);
	off += 9;
	log_escape(line, sizeof(line), &off, msg);
	memcpy(line + off, "\"}\n", 3);
	off += 3;
	r = write(STDERR_FILENO, line, off);
	(void)r;
}
