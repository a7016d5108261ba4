/*
 * audit.c: canonical audit events, their chained SHA-256, and the chain
 * verifier (see audit.h for the format and the exact byte layout).
 *
 * Owns the one definition of the canonical bytes.  Invariant: for an event
 * that validates, audit_canonical() is a pure function of the event's
 * members, so the server that appends, the command that verifies and an
 * auditor's script all derive the same bytes and the same hash.  Callers:
 * app/store/audit.c (append and verify against PostgreSQL), the archive
 * verifier, tests.  Load: one canonicalisation per appended event and per
 * verified event; verification of 10^7 events is a linear pass with no
 * allocation beyond one event.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/audit.h"
#include "core/codec.h"

#define SLUG		"invalid-audit-event"
#define DETAIL_DEPTH	16
#define KEY_MAX		64

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t	era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (era * 146097 + doe - 719468);
}

static void
civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t	era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/* The n lowest decimal digits of v >= 0 at p, zero-padded. */
static void
put_digits(char *p, int64_t v, int n)
{
	while (n-- > 0) {
		p[n] = (char)('0' + v % 10);
		v /= 10;
	}
}

/* The last instant of 9999-12-31 UTC; the epoch is the first allowed. */
#define TIME_MAX_USEC	253402300799999999LL

enum qj_err
audit_time_format(int64_t usec, char out[AUDIT_TIME_LEN + 1])
{
	int64_t	secs, days, y, sod;
	int	m, d;

	if (usec < 0 || usec > TIME_MAX_USEC)
		return (QJ_EINVAL);
	secs = usec / 1000000;
	days = secs / 86400;
	sod = secs % 86400;
	civil_from_days(days, &y, &m, &d);
	memcpy(out, "0000-00-00T00:00:00.000000Z", AUDIT_TIME_LEN + 1);
	put_digits(out, y, 4);
	put_digits(out + 5, m, 2);
	put_digits(out + 8, d, 2);
	put_digits(out + 11, sod / 3600, 2);
	put_digits(out + 14, sod / 60 % 60, 2);
	put_digits(out + 17, sod % 60, 2);
	put_digits(out + 20, usec % 1000000, 6);
	return (QJ_OK);
}

/* n decimal digits at s; -1 if any is not a digit. */
static int64_t
digits(const char *s, int n)
{
	int64_t	v = 0;
	int	i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return (-1);
		v = v * 10 + (s[i] - '0');
	}
	return (v);
}

enum qj_err
audit_time_parse(const char *s, int64_t *usec)
{
	static const char	 shape[] = "dddd-dd-ddTdd:dd:dd.ddddddZ";
	char			 again[AUDIT_TIME_LEN + 1];
	int64_t			 y, mo, d, h, mi, se, us, v;
	size_t			 i;

	if (s == NULL || strlen(s) != AUDIT_TIME_LEN)
		return (QJ_EINVAL);
	for (i = 0; i < AUDIT_TIME_LEN; i++)
		if (shape[i] != 'd' && shape[i] != s[i])
			return (QJ_EINVAL);
	y = digits(s, 4);
	mo = digits(s + 5, 2);
	d = digits(s + 8, 2);
	h = digits(s + 11, 2);
	mi = digits(s + 14, 2);
	se = digits(s + 17, 2);
	us = digits(s + 20, 6);
	if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 ||
	    h > 23 || mi < 0 || mi > 59 || se < 0 || se > 59 || us < 0)
		return (QJ_EINVAL);
	v = ((days_from_civil(y, (int)mo, (int)d) * 86400 + h * 3600 +
	    mi * 60 + se) * 1000000) + us;
	/* A date such as 02-30 does not survive the round trip. */
	if (audit_time_format(v, again) != QJ_OK || strcmp(again, s) != 0)
		return (QJ_EINVAL);
	*usec = v;
	return (QJ_OK);
}

enum qj_err
audit_stream_check(const char *s, int64_t *case_id, struct qj_diag *d)
{
	size_t	n;
	int64_t	id;

	if (s != NULL && (strcmp(s, "accounts") == 0 ||
	    strcmp(s, "calendar") == 0 || strcmp(s, "system") == 0)) {
		if (case_id != NULL)
			*case_id = 0;
		return (QJ_OK);
	}
	if (s == NULL || strncmp(s, "case:", 5) != 0 ||
	    (n = strlen(s + 5)) == 0 || n > 18 || s[5] == '0' ||
	    (id = digits(s + 5, (int)n)) <= 0)
		return (qj_fail(d, QJ_EINVAL, SLUG, "stream", "stream must be "
		    "case:<id>, accounts, calendar or system"));
	if (case_id != NULL)
		*case_id = id;
	return (QJ_OK);
}

void
audit_stream_of_case(int64_t case_id, char out[AUDIT_STREAM_MAX])
{
	snprintf(out, AUDIT_STREAM_MAX, "case:%lld", (long long)case_id);
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid. */
static size_t
utf8_len(const unsigned char *s, size_t left)
{
	unsigned	c = s[0], min, cp;
	size_t		n, i;

	if (c < 0x80)
		return (1);
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		min = 0x80;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		min = 0x800;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		min = 0x10000;
		cp = c & 0x07;
	} else
		return (0);
	if (left < n)
		return (0);
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return (0);
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return (0);
	return (n);
}

/* The RFC 8785 escape of '"', '\\' or a control character, into esc[8]. */
static void
escape(unsigned char c, char esc[8])
{
	static const char	from[] = "\"\\\b\t\n\f\r";
	static const char	to[] = "\"\\btnfr";
	const char		*p;

	if ((p = memchr(from, c, sizeof(from) - 1)) != NULL)
		snprintf(esc, 8, "\\%c", to[p - from]);
	else
		snprintf(esc, 8, "\\u%04x", c);
}

/* A JSON string per RFC 8785; QJ_EINVAL on invalid UTF-8 or NUL. */
static enum qj_err
put_string(struct qj_buf *out, const char *str, size_t len)
{
	const unsigned char	*s = (const unsigned char *)str;
	size_t			 i, n, run;
	enum qj_err		 err;
	char			 esc[8];

	if ((err = qj_buf_append(out, "\"", 1)) != QJ_OK)
		return (err);
	for (i = 0; i < len; i += n) {
		if (s[i] == 0)
			return (QJ_EINVAL);
		if (s[i] < 0x20 || s[i] == '"' || s[i] == '\\') {
			escape(s[i], esc);
			if ((err = qj_buf_puts(out, esc)) != QJ_OK)
				return (err);
			n = 1;
			continue;
		}
		/* Copy a run of characters that need no escape. */
		for (run = 0; i + run < len; run += n) {
			if (s[i + run] < 0x20 || s[i + run] == '"' ||
			    s[i + run] == '\\')
				break;
			if ((n = utf8_len(s + i + run, len - i - run)) == 0)
				return (QJ_EINVAL);
		}
		if ((err = qj_buf_append(out, s + i, run)) != QJ_OK)
			return (err);
		n = run;
	}
	return (qj_buf_append(out, "\"", 1));
}

static enum qj_err
put_int(struct qj_buf *out, int64_t v)
{
	return (qj_buf_printf(out, "%lld", (long long)v));
}

static int
valid_key(const char *k)
{
	size_t	i, n = strlen(k);

	if (n == 0 || n > KEY_MAX)
		return (0);
	for (i = 0; i < n; i++)
		if (!((k[i] >= 'a' && k[i] <= 'z') ||
		    (k[i] >= 'A' && k[i] <= 'Z') ||
		    (k[i] >= '0' && k[i] <= '9') ||
		    strchr("_.-", k[i]) != NULL))
			return (0);
	return (1);
}

static int
cmp_key(const void *a, const void *b)
{
	return (strcmp(*(const char *const *)a, *(const char *const *)b));
}

static enum qj_err	put_value(struct qj_buf *, json_t *, int, char *,
			    size_t);

/* An object with its keys in byte order. */
static enum qj_err
put_object(struct qj_buf *out, json_t *o, int depth, char *why, size_t wlen)
{
	const char	**keys = NULL, *k;
	json_t		 *v;
	size_t		  n = 0, i;
	enum qj_err	  err = QJ_ENOMEM;

	if (json_object_size(o) > 0 &&
	    (keys = calloc(json_object_size(o), sizeof(*keys))) == NULL)
		goto out;
	json_object_foreach(o, k, v) {
		if (!valid_key(k)) {
			snprintf(why, wlen, "detail key \"%.64s\" is not "
			    "[A-Za-z0-9_.-]{1,64}", k);
			err = QJ_EINVAL;
			goto out;
		}
		keys[n++] = k;
	}
	if (n > 1)
		qsort(keys, n, sizeof(*keys), cmp_key);
	if ((err = qj_buf_append(out, "{", 1)) != QJ_OK)
		goto out;
	for (i = 0; i < n; i++) {
		if ((i > 0 && (err = qj_buf_append(out, ",", 1)) != QJ_OK) ||
		    (err = put_string(out, keys[i], strlen(keys[i]))) !=
		    QJ_OK ||
		    (err = qj_buf_append(out, ":", 1)) != QJ_OK ||
		    (err = put_value(out, json_object_get(o, keys[i]),
		    depth + 1, why, wlen)) != QJ_OK)
			goto out;
	}
	err = qj_buf_append(out, "}", 1);
out:
	free(keys);
	return (err);
}

static enum qj_err
put_value(struct qj_buf *out, json_t *v, int depth, char *why, size_t wlen)
{
	enum qj_err	err;
	json_int_t	iv;
	size_t		i;

	if ((json_is_object(v) || json_is_array(v)) && depth > DETAIL_DEPTH) {
		snprintf(why, wlen, "detail nests objects and arrays deeper "
		    "than %d", DETAIL_DEPTH);
		return (QJ_EINVAL);
	}
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return (put_object(out, v, depth, why, wlen));
	case JSON_ARRAY:
		if ((err = qj_buf_append(out, "[", 1)) != QJ_OK)
			return (err);
		for (i = 0; i < json_array_size(v); i++)
			if ((i > 0 && (err = qj_buf_append(out, ",", 1)) !=
			    QJ_OK) || (err = put_value(out,
			    json_array_get(v, i), depth + 1, why, wlen)) !=
			    QJ_OK)
				return (err);
		return (qj_buf_append(out, "]", 1));
	case JSON_STRING:
		if ((err = put_string(out, json_string_value(v),
		    json_string_length(v))) == QJ_EINVAL)
			snprintf(why, wlen, "detail holds a string that is not "
			    "UTF-8 without NUL");
		return (err);
	case JSON_INTEGER:
		iv = json_integer_value(v);
		if (iv > AUDIT_INT_MAX || iv < -AUDIT_INT_MAX) {
			snprintf(why, wlen, "detail integer %lld is beyond "
			    "2^53-1", (long long)iv);
			return (QJ_EINVAL);
		}
		return (put_int(out, iv));
	case JSON_REAL:
		snprintf(why, wlen, "detail numbers must be integers");
		return (QJ_EINVAL);
	case JSON_TRUE:
		return (qj_buf_puts(out, "true"));
	case JSON_FALSE:
		return (qj_buf_puts(out, "false"));
	case JSON_NULL:
		return (qj_buf_puts(out, "null"));
	}
	return (QJ_EINTERNAL);
}

enum qj_err
audit_detail_canonical(const char *text, struct qj_buf *out,
    struct qj_diag *d)
{
	json_error_t	 jerr;
	json_t		*o;
	enum qj_err	 err;
	char		 why[160] = "";

	if (text == NULL)
		return (qj_buf_puts(out, "{}"));
	if (strlen(text) > AUDIT_DETAIL_MAX)
		return (qj_fail(d, QJ_EINVAL, SLUG, "detail",
		    "detail is longer than %d bytes", AUDIT_DETAIL_MAX));
	o = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	if (o == NULL || !json_is_object(o)) {
		json_decref(o);
		return (qj_fail(d, QJ_EINVAL, SLUG, "detail",
		    "detail must be a JSON object: %s",
		    o == NULL ? jerr.text : "not an object"));
	}
	err = put_value(out, o, 1, why, sizeof(why));
	json_decref(o);
	if (err == QJ_EINVAL)
		return (qj_fail(d, err, SLUG, "detail", "%s", why));
	return (err);
}

static int
is_hex64(const char *s)
{
	size_t	i;

	if (s == NULL || strlen(s) != AUDIT_HASH_HEX)
		return (0);
	for (i = 0; i < AUDIT_HASH_HEX; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return (0);
	return (1);
}

static int
valid_action(const char *s)
{
	size_t	i, n;

	if (s == NULL || (n = strlen(s)) == 0 || n > 64 ||
	    !(s[0] >= 'a' && s[0] <= 'z'))
		return (0);
	for (i = 1; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') ||
		    strchr("._-", s[i]) != NULL))
			return (0);
	return (1);
}

/* "key": then an optional string, or null. */
static enum qj_err
put_opt(struct qj_buf *out, const char *key, const char *v, struct qj_diag *d)
{
	enum qj_err	err;

	if ((err = qj_buf_printf(out, ",\"%s\":", key)) != QJ_OK)
		return (err);
	if (v == NULL)
		return (qj_buf_puts(out, "null"));
	if (v[0] == '\0' || strlen(v) > AUDIT_TEXT_MAX)
		return (qj_fail(d, QJ_EINVAL, SLUG, key, "%s must be NULL or "
		    "1..%d bytes", key, AUDIT_TEXT_MAX));
	if ((err = put_string(out, v, strlen(v))) == QJ_EINVAL)
		return (qj_fail(d, QJ_EINVAL, SLUG, key, "%s is not UTF-8",
		    key));
	return (err);
}

enum qj_err
audit_canonical(const struct audit_event *ev, struct qj_buf *out,
    struct qj_diag *d)
{
	char		at[AUDIT_TIME_LEN + 1];
	enum qj_err	err;
	size_t		i;

	if ((err = audit_stream_check(ev->stream, NULL, d)) != QJ_OK)
		return (err);
	if (ev->seq < 1 || ev->seq > INT32_MAX)
		return (qj_fail(d, QJ_EINVAL, SLUG, "seq",
		    "seq must be 1..2^31-1"));
	if (audit_time_format(ev->at, at) != QJ_OK)
		return (qj_fail(d, QJ_EINVAL, SLUG, "at",
		    "time must lie in years 1970..9999"));
	if (ev->actor_id < 0 || ev->actor_id > AUDIT_INT_MAX)
		return (qj_fail(d, QJ_EINVAL, SLUG, "actor_id",
		    "actor_id must be 1..2^53-1, or 0 for none"));
	if (!valid_action(ev->action))
		return (qj_fail(d, QJ_EINVAL, SLUG, "action",
		    "action must match [a-z][a-z0-9._-]{0,63}"));
	if (ev->ndocs > AUDIT_MAX_DOCS)
		return (qj_fail(d, QJ_EINVAL, SLUG, "document_hashes",
		    "at most %d document hashes", AUDIT_MAX_DOCS));
	for (i = 0; i < ev->ndocs; i++)
		if (!is_hex64(ev->docs[i]))
			return (qj_fail(d, QJ_EINVAL, SLUG, "document_hashes",
			    "document hash %zu is not 64 lower-case hex "
			    "digits", i));
	if (!is_hex64(ev->prev_hash))
		return (qj_fail(d, QJ_EINVAL, SLUG, "prev_hash",
		    "prev_hash must be 64 lower-case hex digits"));
	if ((ev->seq == 1) != (strcmp(ev->prev_hash, AUDIT_ZERO_HASH) == 0))
		return (qj_fail(d, QJ_EINVAL, SLUG, "prev_hash",
		    "prev_hash is 64 zeros exactly for seq 1"));

	/* Members in byte order of their names; see audit.h. */
	if ((err = qj_buf_puts(out, "{\"action\":")) != QJ_OK ||
	    (err = put_string(out, ev->action, strlen(ev->action))) != QJ_OK)
		return (err);
	if (ev->actor_id == 0)
		err = qj_buf_puts(out, ",\"actor_id\":null");
	else
		err = qj_buf_printf(out, ",\"actor_id\":%lld",
		    (long long)ev->actor_id);
	if (err != QJ_OK ||
	    (err = put_opt(out, "actor_login", ev->actor_login, d)) != QJ_OK ||
	    (err = put_opt(out, "address", ev->address, d)) != QJ_OK ||
	    (err = qj_buf_printf(out, ",\"at\":\"%s\",\"detail\":", at)) !=
	    QJ_OK ||
	    (err = audit_detail_canonical(ev->detail, out, d)) != QJ_OK ||
	    (err = qj_buf_puts(out, ",\"document_hashes\":[")) != QJ_OK)
		return (err);
	for (i = 0; i < ev->ndocs; i++)
		if ((err = qj_buf_printf(out, "%s\"%s\"", i ? "," : "",
		    ev->docs[i])) != QJ_OK)
			return (err);
	if ((err = qj_buf_printf(out, "],\"prev_hash\":\"%s\"",
	    ev->prev_hash)) != QJ_OK ||
	    (err = put_opt(out, "request_id", ev->request_id, d)) != QJ_OK ||
	    (err = qj_buf_printf(out, ",\"seq\":%lld", (long long)ev->seq)) !=
	    QJ_OK ||
	    (err = put_opt(out, "state_after", ev->state_after, d)) != QJ_OK ||
	    (err = put_opt(out, "state_before", ev->state_before, d)) !=
	    QJ_OK ||
	    (err = qj_buf_puts(out, ",\"stream\":")) != QJ_OK ||
	    (err = put_string(out, ev->stream, strlen(ev->stream))) != QJ_OK)
		return (err);
	return (qj_buf_printf(out, ",\"v\":%d}", AUDIT_FORMAT));
}

void
audit_chain_hash(const char *prev_hex, const void *canonical, size_t len,
    char out[AUDIT_HASH_HEX + 1])
{
	struct qj_buf	b = QJ_BUF_INIT;

	/*
	 * One buffer P || C.  Should the allocation fail, hash a value no
	 * event can have (the empty string), so the result can only fail to
	 * verify, never pass by accident.
	 */
	if (qj_buf_append(&b, prev_hex, AUDIT_HASH_HEX) != QJ_OK ||
	    qj_buf_append(&b, canonical, len) != QJ_OK)
		qj_buf_reset(&b);
	qj_sha256_hex(b.data != NULL ? b.data : "", b.len, out);
	qj_buf_free(&b);
}

enum qj_err
audit_hash(const struct audit_event *ev, char out[AUDIT_HASH_HEX + 1],
    struct qj_diag *d)
{
	struct qj_buf	b = QJ_BUF_INIT;
	enum qj_err	err;

	/* prev_hash is validated by audit_canonical before it is used. */
	if ((err = audit_canonical(ev, &b, d)) == QJ_OK)
		audit_chain_hash(ev->prev_hash, b.data, b.len, out);
	qj_buf_free(&b);
	return (err);
}

static const char *const fault_slugs[AUDIT_F_MAX] = {
	[AUDIT_F_NONE] = "ok",
	[AUDIT_F_MALFORMED] = "malformed-event",
	[AUDIT_F_WRONG_STREAM] = "wrong-stream",
	[AUDIT_F_DUPLICATE] = "duplicate",
	[AUDIT_F_OUT_OF_ORDER] = "out-of-order",
	[AUDIT_F_GAP] = "gap",
	[AUDIT_F_PREV_HASH] = "prev-hash-mismatch",
	[AUDIT_F_HASH] = "hash-mismatch",
	[AUDIT_F_TRUNCATED] = "truncated",
	[AUDIT_F_HEAD_BEHIND] = "head-behind",
	[AUDIT_F_HEAD_MISMATCH] = "head-mismatch",
	[AUDIT_F_HEAD_MISSING] = "head-missing",
};

const char *
audit_fault_slug(enum audit_fault f)
{
	if (f < 0 || f >= AUDIT_F_MAX)
		return ("unknown");
	return (fault_slugs[f]);
}

void
audit_verify_init(struct audit_verify *v, const char *stream)
{
	memset(v, 0, sizeof(*v));
	snprintf(v->stream, sizeof(v->stream), "%s", stream);
	memcpy(v->hash, AUDIT_ZERO_HASH, sizeof(v->hash));
	if (strlen(stream) >= sizeof(v->stream) ||
	    audit_stream_check(stream, NULL, NULL) != QJ_OK)
		audit_verify_fail(v, AUDIT_F_MALFORMED, 1,
		    "\"%.40s\" is not a stream name", stream);
}

void
audit_verify_fail(struct audit_verify *v, enum audit_fault f, int64_t seq,
    const char *fmt, ...)
{
	va_list	ap;

	if (v->fault != AUDIT_F_NONE)
		return;
	v->fault = f;
	v->fault_seq = seq;
	va_start(ap, fmt);
	vsnprintf(v->why, sizeof(v->why), fmt, ap);
	va_end(ap);
}

int
audit_verify_next(struct audit_verify *v, const struct audit_event *ev)
{
	struct qj_diag	d;
	char		h[AUDIT_HASH_HEX + 1];
	int64_t		want = v->seq + 1;

	if (v->fault != AUDIT_F_NONE)
		return (-1);
	if (ev->stream == NULL || strcmp(ev->stream, v->stream) != 0)
		audit_verify_fail(v, AUDIT_F_WRONG_STREAM, ev->seq,
		    "seq %lld belongs to stream \"%.40s\"", (long long)ev->seq,
		    ev->stream ? ev->stream : "");
	else if (ev->seq == v->seq)
		audit_verify_fail(v, AUDIT_F_DUPLICATE, ev->seq,
		    "seq %lld appears twice", (long long)ev->seq);
	else if (ev->seq < want)
		audit_verify_fail(v, AUDIT_F_OUT_OF_ORDER, ev->seq,
		    "seq %lld follows seq %lld", (long long)ev->seq,
		    (long long)v->seq);
	else if (ev->seq > want)
		audit_verify_fail(v, AUDIT_F_GAP, want, "seq %lld is missing "
		    "(next stored is %lld)", (long long)want,
		    (long long)ev->seq);
	else if (ev->prev_hash == NULL || strcmp(ev->prev_hash, v->hash) != 0)
		audit_verify_fail(v, AUDIT_F_PREV_HASH, ev->seq,
		    "prev_hash of seq %lld is not the hash of seq %lld",
		    (long long)ev->seq, (long long)v->seq);
	else if (audit_hash(ev, h, &d) != QJ_OK)
		audit_verify_fail(v, AUDIT_F_MALFORMED, ev->seq,
		    "seq %lld: %s", (long long)ev->seq, d.detail);
	else if (ev->hash == NULL || strcmp(ev->hash, h) != 0)
		audit_verify_fail(v, AUDIT_F_HASH, ev->seq, "seq %lld: stored "
		    "hash %.16s... is not the recomputed %.16s...",
		    (long long)ev->seq, ev->hash ? ev->hash : "(none)", h);
	if (v->fault != AUDIT_F_NONE)
		return (-1);
	v->seq = ev->seq;
	v->events++;
	memcpy(v->hash, h, sizeof(v->hash));
	return (0);
}

int
audit_verify_head(struct audit_verify *v, int has_head, int64_t head_seq,
    const char *head_hash)
{
	if (v->fault != AUDIT_F_NONE)
		return (-1);
	v->has_head = has_head;
	if (has_head) {
		v->head_seq = head_seq;
		snprintf(v->head_hash, sizeof(v->head_hash), "%s",
		    head_hash ? head_hash : "");
	}
	if (!has_head) {
		if (v->seq > 0)
			audit_verify_fail(v, AUDIT_F_HEAD_MISSING, 1,
			    "%lld events but no head", (long long)v->events);
	} else if (head_seq > v->seq)
		audit_verify_fail(v, AUDIT_F_TRUNCATED, v->seq + 1,
		    "the head is at seq %lld but the events end at seq %lld",
		    (long long)head_seq, (long long)v->seq);
	else if (head_seq < v->seq)
		audit_verify_fail(v, AUDIT_F_HEAD_BEHIND, head_seq + 1,
		    "events run to seq %lld beyond the head at seq %lld",
		    (long long)v->seq, (long long)head_seq);
	else if (head_hash == NULL || strcmp(head_hash, v->hash) != 0)
		audit_verify_fail(v, AUDIT_F_HEAD_MISMATCH,
		    v->seq > 0 ? v->seq : 1, "the head's hash is not the hash "
		    "of seq %lld", (long long)v->seq);
	return (v->fault == AUDIT_F_NONE ? 0 : -1);
}

int
audit_verify_events(const char *stream, const struct audit_event *evs,
    size_t n, int64_t head_seq, const char *head_hash,
    struct audit_verify *v)
{
	size_t	i;

	audit_verify_init(v, stream);
	for (i = 0; i < n; i++)
		if (audit_verify_next(v, &evs[i]) != 0)
			return (-1);
	if (head_hash != NULL)
		return (audit_verify_head(v, 1, head_seq, head_hash));
	return (v->fault == AUDIT_F_NONE ? 0 : -1);
}
