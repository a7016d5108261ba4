/*
 * query.c: strict query-string parsing.  Kore drops parameters that fail a
 * validator silently (guide section 5), so Qujat parses the raw query
 * itself: every parameter must be declared by the handler, appear once,
 * and decode to valid text without NUL; anything else is a 400 naming it.
 */
#include <stdlib.h>
#include <string.h>

#include "api/internal.h"

static int
hexdig(int c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

/* Percent-decodes [s, s+n) into a new string; NULL on bad escapes or NUL. */
static char *
pct_decode(const char *s, size_t n)
{
	char	*out, *o;
	size_t	 i;
	int	 hi, lo;

	if ((out = malloc(n + 1)) == NULL)
		return (NULL);
	for (i = 0, o = out; i < n; i++) {
		if (s[i] == '+') {
			*o++ = ' ';
		} else if (s[i] == '%') {
			if (i + 2 >= n ||
			    (hi = hexdig((unsigned char)s[i + 1])) < 0 ||
			    (lo = hexdig((unsigned char)s[i + 2])) < 0)
				goto bad;
			if (hi == 0 && lo == 0)
				goto bad;
			*o++ = (char)(hi << 4 | lo);
			i += 2;
		} else
			*o++ = s[i];
	}
	*o = '\0';
	return (out);
bad:
	free(out);
	return (NULL);
}

int
query_parse(struct api_ctx *ctx, struct query_param *params, size_t n)
{
	const char	*q = ctx->req->query, *amp, *eq;
	char		*name, *value;
	size_t		 i, len;

	for (i = 0; i < n; i++)
		params[i].value = NULL;
	while (q != NULL && *q != '\0') {
		amp = strchr(q, '&');
		len = amp ? (size_t)(amp - q) : strlen(q);
		eq = memchr(q, '=', len);
		if (len == 0)
			goto next;
		name = pct_decode(q, eq ? (size_t)(eq - q) : len);
		value = eq ? pct_decode(eq + 1, len - (size_t)(eq - q) - 1) :
		    strdup("");
		if (name == NULL || value == NULL) {
			free(name);
			free(value);
			reply_problem(ctx, 400, "invalid-query", NULL,
			    "query string has a bad percent-escape");
			goto fail;
		}
		for (i = 0; i < n; i++)
			if (strcmp(params[i].name, name) == 0)
				break;
		if (i == n || params[i].value != NULL) {
			reply_problem(ctx, 400, i == n ? "unknown-parameter" :
			    "duplicate-parameter", name, i == n ?
			    "unknown query parameter \"%s\"" :
			    "query parameter \"%s\" given twice", name);
			free(name);
			free(value);
			goto fail;
		}
		free(name);
		params[i].value = value;
next:
		q = amp ? amp + 1 : NULL;
	}
	return (0);
fail:
	query_free(params, n);
	return (-1);
}

void
query_free(struct query_param *params, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		free(params[i].value);
		params[i].value = NULL;
	}
}

int
query_int(struct api_ctx *ctx, const struct query_param *p, int64_t def,
    int64_t min, int64_t max, int64_t *out)
{
	char		*end;
	long long	 v;

	if (p->value == NULL) {
		*out = def;
		return (0);
	}
	v = strtoll(p->value, &end, 10);
	if (p->value[0] == '\0' || *end != '\0' || v < min || v > max) {
		reply_problem(ctx, 400, "invalid-parameter", p->name,
		    "query parameter \"%s\" must be an integer in %lld..%lld",
		    p->name, (long long)min, (long long)max);
		return (-1);
	}
	*out = v;
	return (0);
}
