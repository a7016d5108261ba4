/*
 * qj.h: what every Qujat module shares — the error enum and the diagnostic
 * that travels with it.
 *
 * Core functions return enum qj_err and, on failure, fill a struct qj_diag
 * whose `type` is a stable problem slug (a static string such as
 * "invalid-iin") and whose `detail` names the field or check that failed.
 * The core never knows HTTP: app/api maps qj_err to a status code.
 * Unless a function says otherwise, on failure its outputs are untouched
 * and nothing it owns has changed.
 */
#ifndef QJ_QJ_H
#define QJ_QJ_H

#include <stdarg.h>
#include <stddef.h>

enum qj_err {
	QJ_OK = 0,
	QJ_ENOMEM,	/* allocation failed */
	QJ_EINVAL,	/* malformed input: bad JSON, wrong type, bad field */
	QJ_EUNPROC,	/* well-formed but violates a schema or rule (422) */
	QJ_EAUTH,	/* not authenticated, or bad credentials */
	QJ_EDENIED,	/* authenticated, but role or scope does not allow it */
	QJ_ENOTFOUND,	/* no such object, or not visible to the actor */
	QJ_ECONFLICT,	/* duplicate, or a stale version */
	QJ_ELIMIT,	/* a size limit was exceeded */
	QJ_ERATE,	/* too many attempts; try later */
	QJ_EDB,		/* the database failed or is unreachable */
	QJ_EIO,		/* a file operation failed */
	QJ_EINTERNAL,	/* a bug: an invariant did not hold */
	QJ_ERR_MAX
};

/* Human-readable name of an error code, e.g. "invalid input". */
const char	*qj_strerror(enum qj_err);

struct qj_diag {
	const char	*type;		/* stable problem slug; static storage */
	char		 field[96];	/* JSON pointer or field name, or "" */
	char		 detail[512];	/* one sentence naming the check */
};

/*
 * Fills `d` (which may be NULL) and returns `err`, so a failure reads
 *	return qj_fail(d, QJ_EINVAL, "invalid-iin", "iin", "check digit ...");
 */
enum qj_err	 qj_fail(struct qj_diag *d, enum qj_err err, const char *type,
		    const char *field, const char *fmt, ...)
		    __attribute__((format(printf, 5, 6)));
void		 qj_diag_clear(struct qj_diag *);

/* "Impossible, but handled": true when the condition holds, logged once. */
#define QJ_NEVER(x)	((x) ? (qj_never_hit(__FILE__, __LINE__, #x), 1) : 0)
void		 qj_never_hit(const char *, int, const char *);

#define QJ_NELEM(a)	(sizeof(a) / sizeof((a)[0]))

#endif
