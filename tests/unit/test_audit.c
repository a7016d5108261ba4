/*
 * test_audit.c: unit tests of app/core/audit.c — the canonical form
 * against hand-checked vectors, the hash against sha256sum, the validation
 * of every member, the time format, and the verifier against each kind of
 * tampering (edit, delete, swap, reorder, duplicate, truncate, head).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/audit.h"
#include "core/buf.h"

#define DOC1	"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
#define PREV1	"5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8"

/*
 * Vector 1, every member set.  The hash was computed outside Qujat with
 *	printf '%s%s' 5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8 \
 *	    "$(cat vector1.json)" | sha256sum
 * where vector1.json holds VEC1_CANON (UTF-8, no trailing newline), and the
 * canonical bytes were checked with Python:
 *	json.dumps(json.loads(s), sort_keys=True, separators=(",", ":"),
 *	    ensure_ascii=False) == s
 */
#define VEC1_CANON \
	"{\"action\":\"transition.approve\",\"actor_id\":7,\"actor_login\":" \
	"\"dean\",\"address\":\"10.0.0.5\",\"at\":" \
	"\"2026-11-23T13:14:54.123456Z\",\"detail\":{\"a\":{\"x\":\"\"," \
	"\"y\":-5},\"comment\":\"Келісемін \\\"ok\\\"\\n\\u0001\",\"z\":" \
	"[1,true,null]},\"document_hashes\":[\"" DOC1 "\"],\"prev_hash\":\"" \
	PREV1 "\",\"request_id\":\"a1b2c3\",\"seq\":2,\"state_after\":" \
	"\"dean-approved\",\"state_before\":\"submitted\",\"stream\":" \
	"\"case:42\",\"v\":1}"
#define VEC1_HASH \
	"df807f8e45bc9ef31bd5e4ac7d043545905e73c6de3ce46bf5655004c6901033"

/*
 * Vector 2, the first event of a stream with every optional member absent:
 *	printf '%s%s' 0000000000000000000000000000000000000000000000000000000000000000 \
 *	    '{"action":"person.create","actor_id":null,"actor_login":null,"address":null,"at":"1970-01-01T00:00:00.000000Z","detail":{},"document_hashes":[],"prev_hash":"0000000000000000000000000000000000000000000000000000000000000000","request_id":null,"seq":1,"state_after":null,"state_before":null,"stream":"accounts","v":1}' \
 *	    | sha256sum
 *	99be7e73a5ec4fc330479bc820174b88483ad02b43d78a6e7e85b8d40b17a71c  -
 */
#define VEC2_CANON \
	"{\"action\":\"person.create\",\"actor_id\":null,\"actor_login\":null," \
	"\"address\":null,\"at\":\"1970-01-01T00:00:00.000000Z\",\"detail\":{}," \
	"\"document_hashes\":[],\"prev_hash\":\"" AUDIT_ZERO_HASH "\"," \
	"\"request_id\":null,\"seq\":1,\"state_after\":null,\"state_before\":" \
	"null,\"stream\":\"accounts\",\"v\":1}"
#define VEC2_HASH \
	"99be7e73a5ec4fc330479bc820174b88483ad02b43d78a6e7e85b8d40b17a71c"

static const char *const vec1_docs[] = { DOC1 };

static void
vec1(struct audit_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->stream = "case:42";
	ev->seq = 2;
	ck_assert_int_eq(audit_time_parse("2026-11-23T13:14:54.123456Z",
	    &ev->at), QJ_OK);
	ev->actor_id = 7;
	ev->actor_login = "dean";
	ev->action = "transition.approve";
	ev->state_before = "submitted";
	ev->state_after = "dean-approved";
	ev->docs = vec1_docs;
	ev->ndocs = 1;
	ev->request_id = "a1b2c3";
	ev->address = "10.0.0.5";
	/* Any key order and spacing; the canonical form sorts and packs. */
	ev->detail = "{ \"z\": [1, true, null], \"comment\": "
	    "\"Келісемін \\\"ok\\\"\\n\\u0001\", "
	    "\"a\": {\"y\": -5, \"x\": \"\"} }";
	ev->prev_hash = PREV1;
}

static void
vec2(struct audit_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->stream = "accounts";
	ev->seq = 1;
	ev->at = 0;
	ev->action = "person.create";
	ev->prev_hash = AUDIT_ZERO_HASH;
}

/* Canonical bytes of ev as a C string the caller frees, or NULL. */
static char *
canon(const struct audit_event *ev, struct qj_diag *d)
{
	struct qj_buf	b = QJ_BUF_INIT;

	if (audit_canonical(ev, &b, d) != QJ_OK) {
		qj_buf_free(&b);
		return (NULL);
	}
	return (qj_buf_release(&b, NULL));
}

START_TEST(t_vector_full)
{
	struct audit_event	ev;
	struct qj_diag		d;
	char			h[AUDIT_HASH_HEX + 1], *c;

	vec1(&ev);
	ck_assert_ptr_nonnull(c = canon(&ev, &d));
	ck_assert_str_eq(c, VEC1_CANON);
	ck_assert_int_eq(audit_hash(&ev, h, &d), QJ_OK);
	ck_assert_str_eq(h, VEC1_HASH);
	/* The layout SHA-256(prev_hex || canonical), spelled out. */
	audit_chain_hash(PREV1, c, strlen(c), h);
	ck_assert_str_eq(h, VEC1_HASH);
	free(c);
}
END_TEST

START_TEST(t_vector_minimal)
{
	struct audit_event	ev;
	struct qj_diag		d;
	char			h[AUDIT_HASH_HEX + 1], *c;

	vec2(&ev);
	ck_assert_ptr_nonnull(c = canon(&ev, &d));
	ck_assert_str_eq(c, VEC2_CANON);
	free(c);
	ck_assert_int_eq(audit_hash(&ev, h, &d), QJ_OK);
	ck_assert_str_eq(h, VEC2_HASH);
}
END_TEST

/* Every member is covered: changing any one changes the hash. */
START_TEST(t_every_member_counts)
{
	static const char *const other_docs[] = { PREV1 };
	struct audit_event	ev;
	struct qj_diag		d;
	char			h[AUDIT_HASH_HEX + 1];
	int			i;

	for (i = 0; i < 14; i++) {
		vec1(&ev);
		switch (i) {
		case 0: ev.stream = "case:43"; break;
		case 1: ev.seq = 3; break;
		case 2: ev.at += 1; break;
		case 3: ev.actor_id = 8; break;
		case 4: ev.actor_login = "Dean"; break;
		case 5: ev.action = "transition.reject"; break;
		case 6: ev.state_before = NULL; break;
		case 7: ev.state_after = "dean-approvedd"; break;
		case 8: ev.docs = other_docs; break;
		case 9: ev.ndocs = 0; break;
		case 10: ev.request_id = "a1b2c4"; break;
		case 11: ev.address = "10.0.0.6"; break;
		case 12: ev.detail = "{\"a\":{\"x\":\"\",\"y\":-6},\"comment\":"
			    "\"Келісемін \\\"ok\\\"\\n\\u0001\",\"z\":[1,true,"
			    "null]}"; break;
		case 13: ev.prev_hash = VEC1_HASH; break;
		}
		ck_assert_int_eq(audit_hash(&ev, h, &d), QJ_OK);
		ck_assert_msg(strcmp(h, VEC1_HASH) != 0, "member %d", i);
	}
}
END_TEST

START_TEST(t_detail_canonical)
{
	static const struct { const char *in, *out; } ok[] = {
		{ "{}", "{}" },
		{ " { \"b\" : 1 , \"a\" : 2 } ", "{\"a\":2,\"b\":1}" },
		{ "{\"B\":1,\"a\":2,\"_\":3,\"A\":4,\"1\":5,\".\":6,\"-\":7}",
		    "{\"-\":7,\".\":6,\"1\":5,\"A\":4,\"B\":1,\"_\":3,\"a\":2}" },
		{ "{\"k\":[{\"y\":null,\"x\":false},[],{}]}",
		    "{\"k\":[{\"x\":false,\"y\":null},[],{}]}" },
		{ "{\"n\":-0,\"m\":9007199254740991,\"l\":-9007199254740991}",
		    "{\"l\":-9007199254740991,\"m\":9007199254740991,\"n\":0}" },
		/* Escapes: short forms, \u00xx, the rest literal UTF-8. */
		{ "{\"s\":\"\\b\\t\\n\\f\\r\\u001f\\\"\\\\\\/\\u007f\\u00e9\"}",
		    "{\"s\":\"\\b\\t\\n\\f\\r\\u001f\\\"\\\\/\x7f\xc3\xa9\"}" },
		{ "{\"s\":\"\\ud83d\\ude00 \xd2\x9b\"}",
		    "{\"s\":\"\xf0\x9f\x98\x80 \xd2\x9b\"}" },
	};
	static const char *const bad[] = {
		"[]", "\"x\"", "{", "{\"a\":1.5}", "{\"a\":1e2}", "{\"a\":1.0}",
		"{\"a\":9007199254740992}", "{\"a\":-9007199254740992}",
		"{\"a\":99999999999999999999}", "{\"a\":1,\"a\":2}",
		"{\"\":1}", "{\"a b\":1}", "{\"ключ\":1}",
		"{\"a\":\"\\u0000\"}", "{\"a\":\"\xff\"}",
		"{\"a\":[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]}",
	};
	struct qj_buf	b = QJ_BUF_INIT;
	struct qj_diag	d;
	size_t		i;

	for (i = 0; i < QJ_NELEM(ok); i++) {
		qj_buf_reset(&b);
		ck_assert_msg(audit_detail_canonical(ok[i].in, &b, &d) == QJ_OK,
		    "%s: %s", ok[i].in, d.detail);
		ck_assert_str_eq(b.data, ok[i].out);
	}
	for (i = 0; i < QJ_NELEM(bad); i++) {
		qj_buf_reset(&b);
		ck_assert_msg(audit_detail_canonical(bad[i], &b, &d) ==
		    QJ_EINVAL, "accepted %s", bad[i]);
		ck_assert_str_eq(d.type, "invalid-audit-event");
		ck_assert_str_eq(d.field, "detail");
	}
	/* The object and 15 arrays are 16 levels: fine; 17 (above) not. */
	qj_buf_reset(&b);
	ck_assert_int_eq(audit_detail_canonical(
	    "{\"a\":[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]}", &b, &d), QJ_OK);
	qj_buf_free(&b);
}
END_TEST

START_TEST(t_validation)
{
	static const char *const bad_doc[] = { "ABCDEF" };
	struct audit_event	ev;
	struct qj_diag		d;
	char			h[AUDIT_HASH_HEX + 1];
	char			longs[80];
	int			i;
	const char		*field = "";

	memset(longs, 'x', sizeof(longs) - 1);
	longs[sizeof(longs) - 1] = '\0';
	for (i = 0; i < 17; i++) {
		vec1(&ev);
		switch (i) {
		case 0: ev.stream = "case:0"; field = "stream"; break;
		case 1: ev.stream = "case:01"; field = "stream"; break;
		case 2: ev.stream = "orders"; field = "stream"; break;
		case 3: ev.seq = 0; field = "seq"; break;
		case 4: ev.at = -1; field = "at"; break;
		case 5: ev.action = "Approve"; field = "action"; break;
		case 6: ev.action = ""; field = "action"; break;
		case 7: ev.actor_login = ""; field = "actor_login"; break;
		case 8: ev.state_before = longs; field = "state_before"; break;
		case 9: ev.docs = bad_doc; field = "document_hashes"; break;
		case 10: ev.prev_hash = AUDIT_ZERO_HASH; field = "prev_hash";
			break;
		case 11: ev.seq = 1; field = "prev_hash"; break;
		case 12: ev.prev_hash = "5E884898"; field = "prev_hash"; break;
		case 13: ev.detail = "[1]"; field = "detail"; break;
		case 14: ev.address = "\xc0\xaf"; field = "address"; break;
		case 15: ev.actor_id = -3; field = "actor_id"; break;
		case 16: ev.stream = NULL; field = "stream"; break;
		}
		ck_assert_msg(audit_hash(&ev, h, &d) == QJ_EINVAL, "case %d", i);
		ck_assert_str_eq(d.type, "invalid-audit-event");
		ck_assert_str_eq(d.field, field);
	}
	ck_assert_int_eq(audit_stream_check("case:42", NULL, &d), QJ_OK);
	{
		int64_t	id = -1;
		char	s[AUDIT_STREAM_MAX];

		ck_assert_int_eq(audit_stream_check("calendar", &id, &d), QJ_OK);
		ck_assert_int_eq(id, 0);
		ck_assert_int_eq(audit_stream_check("case:900", &id, &d), QJ_OK);
		ck_assert_int_eq(id, 900);
		audit_stream_of_case(77, s);
		ck_assert_str_eq(s, "case:77");
		ck_assert_int_eq(audit_stream_check("case:", &id, &d),
		    QJ_EINVAL);
		ck_assert_int_eq(audit_stream_check("case:1x", &id, &d),
		    QJ_EINVAL);
	}
}
END_TEST

START_TEST(t_time_format)
{
	static const char *const bad[] = {
		"2026-02-29T00:00:00.000000Z", "2026-13-01T00:00:00.000000Z",
		"2026-11-23T24:00:00.000000Z", "2026-11-23T13:14:54.12345Z",
		"2026-11-23T13:14:54.123456", "2026-11-23 13:14:54.123456Z",
		"2026-11-23T13:14:60.000000Z", "1969-12-31T23:59:59.999999Z",
		"2026-11-23T13:14:54.123456+05", "",
	};
	char	out[AUDIT_TIME_LEN + 1];
	int64_t	v;
	size_t	i;

	ck_assert_int_eq(audit_time_format(0, out), QJ_OK);
	ck_assert_str_eq(out, "1970-01-01T00:00:00.000000Z");
	/* 2024-02-29T18:00:00Z, the hour Kazakhstan moved to UTC+5. */
	ck_assert_int_eq(audit_time_format(1709229600000001LL, out), QJ_OK);
	ck_assert_str_eq(out, "2024-02-29T18:00:00.000001Z");
	ck_assert_int_eq(audit_time_parse(out, &v), QJ_OK);
	ck_assert_int_eq(v, 1709229600000001LL);
	ck_assert_int_eq(audit_time_parse("9999-12-31T23:59:59.999999Z", &v),
	    QJ_OK);
	ck_assert_int_eq(audit_time_format(v + 1, out), QJ_EINVAL);
	ck_assert_int_eq(audit_time_format(-1, out), QJ_EINVAL);
	for (i = 0; i < QJ_NELEM(bad); i++)
		ck_assert_msg(audit_time_parse(bad[i], &v) == QJ_EINVAL, "%s",
		    bad[i]);
	/* Every day of a leap year and a plain year survives the round trip. */
	for (v = 1704067200LL; v < 1767225600LL; v += 86400) {
		int64_t	back;

		ck_assert_int_eq(audit_time_format(v * 1000000 + 999999, out),
		    QJ_OK);
		ck_assert_int_eq(audit_time_parse(out, &back), QJ_OK);
		ck_assert_int_eq(back, v * 1000000 + 999999);
	}
}
END_TEST

/* --- the verifier ---------------------------------------------------------- */

#define N	6

struct chain {
	struct audit_event	ev[N];
	char			prev[N][AUDIT_HASH_HEX + 1];
	char			hash[N][AUDIT_HASH_HEX + 1];
	char			detail[N][64];
};

/* A valid chain of N events of stream "calendar". */
static void
make_chain(struct chain *c)
{
	struct qj_diag	d;
	int		i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < N; i++) {
		snprintf(c->prev[i], sizeof(c->prev[i]), "%s",
		    i == 0 ? AUDIT_ZERO_HASH : c->hash[i - 1]);
		snprintf(c->detail[i], sizeof(c->detail[i]),
		    "{\"day\":\"2026-03-%02d\",\"n\":%d}", 20 + i, i);
		c->ev[i].stream = "calendar";
		c->ev[i].seq = i + 1;
		c->ev[i].at = 1767225600000000LL + i * 1000;
		c->ev[i].actor_id = 1;
		c->ev[i].actor_login = "admin";
		c->ev[i].action = "calendar.edit";
		c->ev[i].detail = c->detail[i];
		c->ev[i].prev_hash = c->prev[i];
		ck_assert_int_eq(audit_hash(&c->ev[i], c->hash[i], &d), QJ_OK);
		c->ev[i].hash = c->hash[i];
	}
}

static void
expect(const struct audit_event *evs, size_t n, const char *head_hash,
    int64_t head_seq, enum audit_fault fault, int64_t seq)
{
	struct audit_verify	v;
	int			rc;

	rc = audit_verify_events("calendar", evs, n, head_seq, head_hash, &v);
	ck_assert_msg(v.fault == fault, "fault %s (%s), want %s",
	    audit_fault_slug(v.fault), v.why, audit_fault_slug(fault));
	ck_assert_int_eq(v.fault_seq, seq);
	ck_assert_int_eq(rc, fault == AUDIT_F_NONE ? 0 : -1);
	if (fault != AUDIT_F_NONE)
		ck_assert(v.why[0] != '\0');
}

START_TEST(t_chain_valid)
{
	struct chain		c;
	struct audit_verify	v;

	make_chain(&c);
	expect(c.ev, N, c.hash[N - 1], N, AUDIT_F_NONE, 0);
	expect(c.ev, N, NULL, 0, AUDIT_F_NONE, 0);
	ck_assert_int_eq(audit_verify_events("calendar", c.ev, N, N,
	    c.hash[N - 1], &v), 0);
	ck_assert_int_eq(v.events, N);
	ck_assert_int_eq(v.seq, N);
	ck_assert_str_eq(v.hash, c.hash[N - 1]);
	ck_assert_str_eq(audit_fault_slug(v.fault), "ok");
	/* The empty stream with a fresh head, and with none. */
	expect(c.ev, 0, AUDIT_ZERO_HASH, 0, AUDIT_F_NONE, 0);
	audit_verify_init(&v, "calendar");
	ck_assert_int_eq(audit_verify_head(&v, 0, 0, NULL), 0);
}
END_TEST

START_TEST(t_tamper_edit_field)
{
	struct chain	c;

	make_chain(&c);
	c.ev[2].action = "calendar.delete";
	expect(c.ev, N, c.hash[N - 1], N, AUDIT_F_HASH, 3);

	make_chain(&c);
	c.ev[3].detail = "{\"day\":\"2026-03-23\",\"n\":4}";
	expect(c.ev, N, c.hash[N - 1], N, AUDIT_F_HASH, 4);

	make_chain(&c);
	c.ev[0].at += 1;
	expect(c.ev, N, c.hash[N - 1], N, AUDIT_F_HASH, 1);

	make_chain(&c);
	c.ev[5].actor_id = 0;
	expect(c.ev, N, c.hash[N - 1], N, AUDIT_F_HASH, 6);

	/* Edit and rehash that event: the next one no longer links. */
	make_chain(&c);
	{
		struct qj_diag	d;

		c.ev[2].actor_login = "mallory";
		ck_assert_int_eq(audit_hash(&c.ev[2], c.hash[2], &d), QJ_OK);
	}
	expect(c.ev, N, c.hash[N - 1], N, AUDIT_F_PREV_HASH, 4);

	/* An event that cannot be canonicalised any more. */
	make_chain(&c);
	c.ev[4].detail = "{\"n\":0.5}";
	expect(c.ev, N, c.hash[N - 1], N, AUDIT_F_MALFORMED, 5);

	/* The stored hash itself altered. */
	make_chain(&c);
	c.hash[1][0] = c.hash[1][0] == 'a' ? 'b' : 'a';
	expect(c.ev, N, c.hash[N - 1], N, AUDIT_F_HASH, 2);
}
END_TEST

START_TEST(t_tamper_delete)
{
	struct chain		c;
	struct audit_event	e[N];

	make_chain(&c);
	/* Delete seq 3 from the middle. */
	memcpy(e, c.ev, 2 * sizeof(e[0]));
	memcpy(e + 2, c.ev + 3, 3 * sizeof(e[0]));
	expect(e, N - 1, c.hash[N - 1], N, AUDIT_F_GAP, 3);
	/* Delete seq 3 and renumber the rest: the links break. */
	e[2].seq = 3;
	e[3].seq = 4;
	e[4].seq = 5;
	expect(e, N - 1, c.hash[N - 1], N, AUDIT_F_PREV_HASH, 3);
	/* Delete the first event. */
	expect(c.ev + 1, N - 1, c.hash[N - 1], N, AUDIT_F_GAP, 1);
}
END_TEST

START_TEST(t_tamper_swap_reorder_duplicate)
{
	struct chain		c;
	struct audit_event	e[N], t;

	make_chain(&c);
	/* Swap two events as stored (positions). */
	memcpy(e, c.ev, sizeof(e));
	t = e[1];
	e[1] = e[2];
	e[2] = t;
	expect(e, N, c.hash[N - 1], N, AUDIT_F_GAP, 2);
	/* Swap their seq numbers too, so the order looks right. */
	e[1].seq = 2;
	e[2].seq = 3;
	expect(e, N, c.hash[N - 1], N, AUDIT_F_PREV_HASH, 2);
	/* Reorder: the last event moved to the front. */
	e[0] = c.ev[N - 1];
	memcpy(e + 1, c.ev, (N - 1) * sizeof(e[0]));
	expect(e, N, c.hash[N - 1], N, AUDIT_F_GAP, 1);
	/* Out of order after a valid prefix. */
	memcpy(e, c.ev, sizeof(e));
	e[3] = c.ev[1];
	expect(e, N, c.hash[N - 1], N, AUDIT_F_OUT_OF_ORDER, 2);
	/* The same event twice. */
	memcpy(e, c.ev, 3 * sizeof(e[0]));
	e[3] = c.ev[2];
	memcpy(e + 4, c.ev + 3, 2 * sizeof(e[0]));
	expect(e, N, c.hash[N - 1], N, AUDIT_F_DUPLICATE, 3);
	/* An event of another stream slipped in. */
	memcpy(e, c.ev, sizeof(e));
	e[4].stream = "system";
	expect(e, N, c.hash[N - 1], N, AUDIT_F_WRONG_STREAM, 5);
}
END_TEST

/*
 * Removing events from the end leaves a valid chain: only the head, which
 * the store keeps apart from the events, shows that something is missing.
 */
START_TEST(t_tamper_truncate_end)
{
	struct chain		c;
	struct audit_verify	v;

	make_chain(&c);
	expect(c.ev, N - 2, NULL, 0, AUDIT_F_NONE, 0);
	expect(c.ev, N - 1, NULL, 0, AUDIT_F_NONE, 0);
	expect(c.ev, N - 1, c.hash[N - 1], N, AUDIT_F_TRUNCATED, N);
	expect(c.ev, N - 2, c.hash[N - 1], N, AUDIT_F_TRUNCATED, N - 1);
	expect(c.ev, 0, c.hash[N - 1], N, AUDIT_F_TRUNCATED, 1);
	/* A head that lags, or names another hash, or is missing. */
	expect(c.ev, N, c.hash[N - 2], N - 1, AUDIT_F_HEAD_BEHIND, N);
	expect(c.ev, N, c.hash[N - 2], N, AUDIT_F_HEAD_MISMATCH, N);
	audit_verify_init(&v, "calendar");
	ck_assert_int_eq(audit_verify_next(&v, &c.ev[0]), 0);
	ck_assert_int_eq(audit_verify_head(&v, 0, 0, NULL), -1);
	ck_assert_int_eq(v.fault, AUDIT_F_HEAD_MISSING);
}
END_TEST

/* The first fault sticks; nothing after it is believed. */
START_TEST(t_first_fault_sticks)
{
	struct chain		c;
	struct audit_verify	v;

	make_chain(&c);
	c.ev[1].action = "calendar.x";
	c.ev[3].action = "calendar.y";
	audit_verify_init(&v, "calendar");
	ck_assert_int_eq(audit_verify_next(&v, &c.ev[0]), 0);
	ck_assert_int_eq(audit_verify_next(&v, &c.ev[1]), -1);
	ck_assert_int_eq(audit_verify_next(&v, &c.ev[2]), -1);
	ck_assert_int_eq(audit_verify_head(&v, 1, N, c.hash[N - 1]), -1);
	ck_assert_int_eq(v.fault, AUDIT_F_HASH);
	ck_assert_int_eq(v.fault_seq, 2);
	ck_assert_int_eq(v.events, 1);
	ck_assert_str_eq(audit_fault_slug(v.fault), "hash-mismatch");
	audit_verify_init(&v, "nonsense");
	ck_assert_int_eq(v.fault, AUDIT_F_MALFORMED);
	ck_assert_int_eq(audit_verify_next(&v, &c.ev[0]), -1);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("audit");
	TCase	*tc = tcase_create("core");
	SRunner	*sr;
	int	 failed;

	tcase_add_test(tc, t_vector_full);
	tcase_add_test(tc, t_vector_minimal);
	tcase_add_test(tc, t_every_member_counts);
	tcase_add_test(tc, t_detail_canonical);
	tcase_add_test(tc, t_validation);
	tcase_add_test(tc, t_time_format);
	tcase_add_test(tc, t_chain_valid);
	tcase_add_test(tc, t_tamper_edit_field);
	tcase_add_test(tc, t_tamper_delete);
	tcase_add_test(tc, t_tamper_swap_reorder_duplicate);
	tcase_add_test(tc, t_tamper_truncate_end);
	tcase_add_test(tc, t_first_fault_sticks);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? 0 : 1);
}
