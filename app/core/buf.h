/*
 * buf.h: a growable byte buffer.  The data is always NUL-terminated so it
 * can be used as a C string when it holds text.
 *
 *	struct qj_buf b = QJ_BUF_INIT;
 *	qj_buf_append(&b, "abc", 3); ... qj_buf_free(&b);
 *
 * Appending returns QJ_ENOMEM on allocation failure and leaves the buffer as
 * it was.  qj_buf_release() hands the data to the caller, who frees it.
 */
#ifndef QJ_BUF_H
#define QJ_BUF_H

#include <stddef.h>

#include "core/qj.h"

struct qj_buf {
	char	*data;	/* owned; NULL until the first append */
	size_t	 len;	/* bytes used, excluding the terminating NUL */
	size_t	 cap;	/* bytes allocated */
};

#define QJ_BUF_INIT	{ NULL, 0, 0 }

enum qj_err	 qj_buf_append(struct qj_buf *, const void *, size_t);
enum qj_err	 qj_buf_puts(struct qj_buf *, const char *);
enum qj_err	 qj_buf_printf(struct qj_buf *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
enum qj_err	 qj_buf_reserve(struct qj_buf *, size_t);
void		 qj_buf_reset(struct qj_buf *);
char		*qj_buf_release(struct qj_buf *, size_t *);
void		 qj_buf_free(struct qj_buf *);

#endif
