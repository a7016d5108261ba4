/*
 * buf.c: growable byte buffer (see buf.h).  Capacity doubles, so appending
 * n bytes one at a time costs O(n).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"

enum qj_err
qj_buf_reserve(struct qj_buf *b, size_t extra)
{
	size_t	 need, cap;
	char	*p;

	if (extra > ((size_t)-1) / 2 - b->len)
		return (QJ_ENOMEM);
	need = b->len + extra + 1;
	if (need <= b->cap)
		return (QJ_OK);
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap *= 2;
	if ((p = realloc(b->data, cap)) == NULL)
		return (QJ_ENOMEM);
	b->data = p;
	b->cap = cap;
	return (QJ_OK);
}

enum qj_err
qj_buf_append(struct qj_buf *b, const void *data, size_t len)
{
	if (qj_buf_reserve(b, len) != QJ_OK)
		return (QJ_ENOMEM);
	if (len > 0)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return (QJ_OK);
}

enum qj_err
qj_buf_puts(struct qj_buf *b, const char *s)
{
	return (qj_buf_append(b, s, strlen(s)));
}

enum qj_err
qj_buf_printf(struct qj_buf *b, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || qj_buf_reserve(b, (size_t)n) != QJ_OK)
		return (QJ_ENOMEM);
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return (QJ_OK);
}

void
qj_buf_reset(struct qj_buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

char *
qj_buf_release(struct qj_buf *b, size_t *len)
{
	char	*p;

	if (b->data == NULL && qj_buf_reserve(b, 0) != QJ_OK)
		return (NULL);
	p = b->data;
	if (len != NULL)
		*len = b->len;
	b->data = NULL;
	b->len = b->cap = 0;
	return (p);
}

void
qj_buf_free(struct qj_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}
