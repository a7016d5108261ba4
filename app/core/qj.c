/*
 * qj.c: the error enum's names and the diagnostic helpers declared in qj.h.
 */
#include <stdio.h>
#include <string.h>

#include "core/qj.h"
#include "core/log.h"

static const char *const err_names[QJ_ERR_MAX] = {
	[QJ_OK] = "ok",
	[QJ_ENOMEM] = "out of memory",
	[QJ_EINVAL] = "invalid input",
	[QJ_EUNPROC] = "unprocessable input",
	[QJ_EAUTH] = "not authenticated",
	[QJ_EDENIED] = "not allowed",
	[QJ_ENOTFOUND] = "not found",
	[QJ_ECONFLICT] = "conflict",
	[QJ_ELIMIT] = "limit exceeded",
	[QJ_ERATE] = "too many attempts",
	[QJ_EDB] = "database error",
	[QJ_EIO] = "i/o error",
	[QJ_EINTERNAL] = "internal error",
};

const char *
qj_strerror(enum qj_err err)
{
	if (err < 0 || err >= QJ_ERR_MAX || err_names[err] == NULL)
		return ("unknown error");
	return (err_names[err]);
}

void
qj_diag_clear(struct qj_diag *d)
{
	if (d == NULL)
		return;
	d->type = NULL;
	d->field[0] = '\0';
	d->detail[0] = '\0';
}

enum qj_err
qj_fail(struct qj_diag *d, enum qj_err err, const char *type,
    const char *field, const char *fmt, ...)
{
	va_list	ap;

	if (d == NULL)
		return (err);
	d->type = type;
	snprintf(d->field, sizeof(d->field), "%s", field != NULL ? field : "");
	va_start(ap, fmt);
	vsnprintf(d->detail, sizeof(d->detail), fmt, ap);
	va_end(ap);
	return (err);
}

void
qj_never_hit(const char *file, int line, const char *expr)
{
	qj_log(QJ_LOG_ERR, "invariant", "file=%s line=%d expr=%s",
	    file, line, expr);
}
