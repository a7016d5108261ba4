/*
 * audit.c (store): the only writer of audit_event and audit_head, and the
 * verifier that re-reads them (see store/audit.h; the format is in
 * core/audit.h, the tables and their triggers in migrations/0004_audit.sql).
 *
 * Invariant: a stream's head row holds the seq and hash of its last event,
 * and only audit_append() moves it, in the same transaction as the insert,
 * while holding the row lock; so seq has no gaps and prev_hash always names
 * the event before.  Callers: API handlers and the workflow code (append,
 * inside their transactions), `qujat verify-audit` and the audit API
 * (verify).  Load: one append per recorded action, O(1) each; verification
 * is a linear scan in pages of PAGE rows, merging the events (ordered by
 * stream, seq) with the heads (ordered by stream), so memory stays flat for
 * 10^7 events.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/clock.h"
#include "store/audit.h"

#define PAGE	1000

#define TIME_SQL \
	"to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
#define EVENT_COLS \
	"seq, " TIME_SQL ", actor_id, actor_login, action, state_before, " \
	"state_after, array_to_json(document_hashes)::text, request_id, " \
	"address, detail::text, prev_hash, hash"
/* Verifier rows: EVENT_COLS, then stream and case_id. */
#define C_STREAM	13
#define C_CASE		14

static void
p_opt(struct qj_params *p, const char *s)
{
	qj_p_str(p, s);		/* NULL is SQL NULL */
}

/*
 * Locks the head of `stream` and reads it.  A stream's first append creates
 * the head at seq 0 first; ON CONFLICT DO NOTHING makes a concurrent first
 * append wait for that insert and then lock the same row.
 */
static enum qj_err
head_lock(struct qj_db *db, const char *stream, int64_t *seq,
    char hash[AUDIT_HASH_HEX + 1], struct qj_diag *d)
{
	struct qj_params	 p;
	PGresult		*res;
	enum qj_err		 err;
	int			 tries;

	qj_p_init(&p);
	qj_p_str(&p, stream);
	for (tries = 0; tries < 2; tries++) {
		if ((err = qj_db_exec(db, &res, "SELECT seq, hash FROM "
		    "audit_head WHERE stream = $1 FOR UPDATE", &p, d)) != QJ_OK)
			return (err);
		if (PQntuples(res) == 1)
			break;
		PQclear(res);
		res = NULL;
		if (tries == 0 && (err = qj_db_exec(db, NULL, "INSERT INTO "
		    "audit_head (stream, seq, hash) VALUES ($1, 0, "
		    "repeat('0', 64)) ON CONFLICT (stream) DO NOTHING", &p, d))
		    != QJ_OK)
			return (err);
	}
	if (QJ_NEVER(res == NULL ||
	    strlen(qj_db_str(res, 0, 1)) != AUDIT_HASH_HEX)) {
		PQclear(res);
		return (qj_fail(d, QJ_EINTERNAL, "internal", "stream",
		    "audit head of %s is unreadable", stream));
	}
	*seq = qj_db_i64(res, 0, 0);
	memcpy(hash, qj_db_str(res, 0, 1), AUDIT_HASH_HEX + 1);
	PQclear(res);
	return (QJ_OK);
}

enum qj_err
audit_append(struct qj_db *db, const struct audit_in *in,
    char hash_out[AUDIT_HASH_HEX + 1], struct qj_diag *d)
{
	struct audit_event	 ev;
	struct qj_buf		 canon = QJ_BUF_INIT, detail = QJ_BUF_INIT;
	struct qj_buf		 docs = QJ_BUF_INIT;
	struct qj_params	 p;
	char			 prev[AUDIT_HASH_HEX + 1];
	char			 hash[AUDIT_HASH_HEX + 1];
	char			 at[AUDIT_TIME_LEN + 1];
	int64_t			 case_id = 0, seq = 0;
	enum qj_err		 err;
	size_t			 i;

	if (QJ_NEVER(!qj_db_in_tx(db)))
		return (qj_fail(d, QJ_EINTERNAL, "internal", "",
		    "audit_append needs the caller's transaction"));
	if ((err = audit_stream_check(in->stream, &case_id, d)) != QJ_OK)
		return (err);
	if ((err = head_lock(db, in->stream, &seq, prev, d)) != QJ_OK)
		return (err);

	memset(&ev, 0, sizeof(ev));
	ev.stream = in->stream;
	ev.seq = seq + 1;
	/* Taken under the lock, so times rise with seq on one clock. */
	ev.at = in->at != 0 ? in->at : qj_now_usec();
	ev.actor_id = in->actor_id;
	ev.actor_login = in->actor_login;
	ev.action = in->action;
	ev.state_before = in->state_before;
	ev.state_after = in->state_after;
	ev.docs = in->docs;
	ev.ndocs = in->ndocs;
	ev.request_id = in->request_id;
	ev.address = in->address;
	ev.detail = in->detail;
	ev.prev_hash = prev;
	if ((err = audit_canonical(&ev, &canon, d)) != QJ_OK ||
	    (err = audit_detail_canonical(in->detail, &detail, d)) != QJ_OK)
		goto out;
	audit_chain_hash(prev, canon.data, canon.len, hash);
	(void)audit_time_format(ev.at, at);	/* checked by audit_canonical */
	err = qj_buf_puts(&docs, "{");
	for (i = 0; err == QJ_OK && i < in->ndocs; i++)
		err = qj_buf_printf(&docs, "%s%s", i ? "," : "", in->docs[i]);
	if (err != QJ_OK || (err = qj_buf_puts(&docs, "}")) != QJ_OK)
		goto out;

	qj_p_init(&p);
	qj_p_str(&p, ev.stream);
	qj_p_i64(&p, ev.seq);
	if (case_id != 0)
		qj_p_i64(&p, case_id);
	else
		qj_p_str(&p, NULL);
	qj_p_str(&p, at);
	if (ev.actor_id != 0)
		qj_p_i64(&p, ev.actor_id);
	else
		qj_p_str(&p, NULL);
	p_opt(&p, ev.actor_login);
	qj_p_str(&p, ev.action);
	p_opt(&p, ev.state_before);
	p_opt(&p, ev.state_after);
	qj_p_str(&p, docs.data);
	p_opt(&p, ev.request_id);
	p_opt(&p, ev.address);
	qj_p_str(&p, detail.data);
	qj_p_str(&p, prev);
	qj_p_str(&p, hash);
	/* Both writes are deferred (sent with the transaction's next read or
	 * its commit): the head row is locked, so nothing can overtake them,
	 * and a failure fails that later call and so the transaction. */
	if ((err = qj_db_defer(db, "INSERT INTO audit_event (stream, seq, "
	    "case_id, at, actor_id, actor_login, action, state_before, "
	    "state_after, document_hashes, request_id, address, detail, "
	    "prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, "
	    "$10::text[], $11, $12, $13::jsonb, $14, $15)", &p, d)) != QJ_OK)
		goto out;
	qj_p_init(&p);
	qj_p_str(&p, ev.stream);
	qj_p_i64(&p, ev.seq);
	qj_p_str(&p, hash);
	if ((err = qj_db_defer(db, "UPDATE audit_head SET seq = $2, "
	    "hash = $3 WHERE stream = $1", &p, d)) != QJ_OK)
		goto out;
	if (hash_out != NULL)
		memcpy(hash_out, hash, sizeof(hash));
out:
	qj_buf_free(&canon);
	qj_buf_free(&detail);
	qj_buf_free(&docs);
	return (err);
}

/* --- verification ------------------------------------------------------ */

/*
 * A keyset-paged scan: events ordered by (stream, seq), or heads ordered
 * by stream; of every stream, or of one.
 */
struct scan {
	struct qj_db	*db;
	int		 heads;		/* 1: audit_head, 0: audit_event */
	const char	*only;		/* one stream, or NULL for all */
	PGresult	*res;		/* the current page */
	int		 row;		/* next row of the page */
	int		 done;		/* no more pages */
	char		*key_stream;	/* owned; last row's stream */
	int64_t		 key_seq;	/* last row's seq (events) */
};

static void
scan_init(struct scan *s, struct qj_db *db, int heads, const char *only)
{
	memset(s, 0, sizeof(*s));
	s->db = db;
	s->heads = heads;
	s->only = only;
}

static void
scan_free(struct scan *s)
{
	PQclear(s->res);
	free(s->key_stream);
	memset(s, 0, sizeof(*s));
}

static enum qj_err
scan_page(struct scan *s, struct qj_diag *d)
{
	struct qj_params	 p;
	const char		*sql;
	enum qj_err		 err;
	int			 n;

	qj_p_init(&p);
	if (s->heads && s->only != NULL) {
		qj_p_str(&p, s->only);
		sql = "SELECT stream, seq, hash FROM audit_head "
		    "WHERE stream = $1";
	} else if (s->heads) {
		qj_p_str(&p, s->key_stream ? s->key_stream : "");
		qj_p_i64(&p, PAGE);
		sql = "SELECT stream, seq, hash FROM audit_head "
		    "WHERE stream > $1 ORDER BY stream LIMIT $2";
	} else if (s->only != NULL) {
		qj_p_str(&p, s->only);
		qj_p_i64(&p, s->key_seq);
		qj_p_i64(&p, PAGE);
		sql = "SELECT " EVENT_COLS ", stream, case_id FROM audit_event "
		    "WHERE stream = $1 AND seq > $2 ORDER BY seq LIMIT $3";
	} else {
		qj_p_str(&p, s->key_stream ? s->key_stream : "");
		qj_p_i64(&p, s->key_seq);
		qj_p_i64(&p, PAGE);
		sql = "SELECT " EVENT_COLS ", stream, case_id FROM audit_event "
		    "WHERE (stream, seq) > ($1, $2) ORDER BY stream, seq "
		    "LIMIT $3";
	}
	PQclear(s->res);
	s->res = NULL;
	s->row = 0;
	if ((err = qj_db_exec(s->db, &s->res, sql, &p, d)) != QJ_OK)
		return (err);
	n = PQntuples(s->res);
	if (n < PAGE || (s->heads && s->only != NULL))
		s->done = 1;
	if (n > 0) {
		free(s->key_stream);
		if ((s->key_stream = strdup(qj_db_str(s->res, n - 1,
		    s->heads ? 0 : C_STREAM))) == NULL)
			return (qj_fail(d, QJ_ENOMEM, "unavailable", "",
			    "out of memory"));
		s->key_seq = qj_db_i64(s->res, n - 1, s->heads ? 1 : 0);
	}
	return (QJ_OK);
}

/*
 * The stream of the scan's current row, fetching a page when needed; NULL
 * at the end (or on error, with *err set).
 */
static const char *
scan_peek(struct scan *s, enum qj_err *err, struct qj_diag *d)
{
	*err = QJ_OK;
	if (s->res != NULL && s->row < PQntuples(s->res))
		return (qj_db_str(s->res, s->row, s->heads ? 0 : C_STREAM));
	if (s->done)
		return (NULL);
	if ((*err = scan_page(s, d)) != QJ_OK)
		return (NULL);
	if (s->row < PQntuples(s->res))
		return (qj_db_str(s->res, s->row, s->heads ? 0 : C_STREAM));
	return (NULL);
}

/* Skips the rest of `stream` (once it is known to be broken). */
static void
scan_skip_stream(struct scan *s, const char *stream)
{
	char	*copy;

	if (s->only != NULL) {
		s->done = 1;
		s->row = s->res != NULL ? PQntuples(s->res) : 0;
		return;
	}
	if ((copy = strdup(stream)) == NULL)
		return;		/* keep reading row by row instead */
	PQclear(s->res);
	s->res = NULL;
	s->row = 0;
	free(s->key_stream);
	s->key_stream = copy;
	s->key_seq = INT32_MAX;
	s->done = 0;
}

/*
 * The stored event in row r as an audit_event pointing into the result.
 * The docs array comes from JSON so that every element, even a tampered
 * one with a comma or a NULL, is seen exactly; docs[AUDIT_MAX_DOCS] and
 * *hold (freed by the caller with json_decref) back it.  0, or -1 with
 * the reason in why.
 */
static int
row_event(PGresult *res, int r, struct audit_event *ev,
    const char **docs, json_t **hold, char *why, size_t wlen)
{
	json_t	*arr, *el;
	size_t	 i;

	memset(ev, 0, sizeof(*ev));
	*hold = NULL;
	ev->stream = qj_db_str(res, r, C_STREAM);
	ev->seq = qj_db_i64(res, r, 0);
	if (audit_time_parse(qj_db_str(res, r, 1), &ev->at) != QJ_OK) {
		snprintf(why, wlen, "time %.40s is out of range",
		    qj_db_str(res, r, 1));
		return (-1);
	}
	ev->actor_id = qj_db_isnull(res, r, 2) ? 0 : qj_db_i64(res, r, 2);
	if (!qj_db_isnull(res, r, 2) && ev->actor_id <= 0) {
		snprintf(why, wlen, "actor_id %lld is not a person",
		    (long long)ev->actor_id);
		return (-1);
	}
	ev->actor_login = qj_db_isnull(res, r, 3) ? NULL : qj_db_str(res, r, 3);
	ev->action = qj_db_str(res, r, 4);
	ev->state_before = qj_db_isnull(res, r, 5) ? NULL :
	    qj_db_str(res, r, 5);
	ev->state_after = qj_db_isnull(res, r, 6) ? NULL :
	    qj_db_str(res, r, 6);
	ev->request_id = qj_db_isnull(res, r, 8) ? NULL : qj_db_str(res, r, 8);
	ev->address = qj_db_isnull(res, r, 9) ? NULL : qj_db_str(res, r, 9);
	ev->detail = qj_db_str(res, r, 10);
	ev->prev_hash = qj_db_str(res, r, 11);
	ev->hash = qj_db_str(res, r, 12);
	arr = json_loads(qj_db_str(res, r, 7), 0, NULL);
	if (arr == NULL || !json_is_array(arr) ||
	    json_array_size(arr) > AUDIT_MAX_DOCS) {
		json_decref(arr);
		snprintf(why, wlen, "document_hashes is unreadable");
		return (-1);
	}
	json_array_foreach(arr, i, el) {
		if ((docs[i] = json_string_value(el)) == NULL) {
			json_decref(arr);
			snprintf(why, wlen, "document_hashes holds a NULL");
			return (-1);
		}
	}
	ev->docs = docs;
	ev->ndocs = json_array_size(arr);
	*hold = arr;
	return (0);
}

/* Feeds the event in row r to the verifier. */
static void
verify_row(struct audit_verify *v, PGresult *res, int r)
{
	const char		*docs[AUDIT_MAX_DOCS];
	struct audit_event	 ev;
	json_t			*hold;
	int64_t			 case_id = 0;
	char			 why[128];

	if (row_event(res, r, &ev, docs, &hold, why, sizeof(why)) != 0) {
		audit_verify_fail(v, AUDIT_F_MALFORMED, ev.seq, "seq %lld: %s",
		    (long long)ev.seq, why);
		return;
	}
	if (audit_verify_next(v, &ev) == 0) {
		/* case_id is outside the hash; it must agree with stream. */
		(void)audit_stream_check(ev.stream, &case_id, NULL);
		if (qj_db_isnull(res, r, C_CASE) ? case_id != 0 :
		    qj_db_i64(res, r, C_CASE) != case_id)
			audit_verify_fail(v, AUDIT_F_MALFORMED, ev.seq, "seq "
			    "%lld: case_id does not match the stream",
			    (long long)ev.seq);
	}
	json_decref(hold);
}

/*
 * Verifies the next stream of the two scans: its events, then its head.
 * *more is 0 when both scans are exhausted.
 */
static enum qj_err
verify_next_stream(struct scan *ev, struct scan *hd, struct audit_verify *v,
    int *more, struct qj_diag *d)
{
	const char	*es, *hs;
	char		*name = NULL;
	enum qj_err	 err;
	PGresult	*h;

	*more = 0;
	if ((es = scan_peek(ev, &err, d)) == NULL && err != QJ_OK)
		return (err);
	if ((hs = scan_peek(hd, &err, d)) == NULL && err != QJ_OK)
		return (err);
	if (es == NULL && hs == NULL)
		return (QJ_OK);
	*more = 1;
	if ((name = strdup(es != NULL && (hs == NULL || strcmp(es, hs) <= 0) ?
	    es : hs)) == NULL)
		return (qj_fail(d, QJ_ENOMEM, "unavailable", "",
		    "out of memory"));
	audit_verify_init(v, name);
	while ((es = scan_peek(ev, &err, d)) != NULL && strcmp(es, name) == 0) {
		if (v->fault != AUDIT_F_NONE) {
			scan_skip_stream(ev, name);
			continue;
		}
		verify_row(v, ev->res, ev->row);
		ev->row++;
	}
	if (err != QJ_OK)
		goto out;
	if ((hs = scan_peek(hd, &err, d)) != NULL && strcmp(hs, name) == 0) {
		h = hd->res;
		(void)audit_verify_head(v, 1, qj_db_i64(h, hd->row, 1),
		    qj_db_str(h, hd->row, 2));
		hd->row++;
	} else if (err == QJ_OK)
		(void)audit_verify_head(v, 0, 0, NULL);
out:
	free(name);
	return (err);
}

/* One read-only snapshot for the whole verification. */
static enum qj_err
snapshot_begin(struct qj_db *db, struct qj_diag *d)
{
	enum qj_err	err;

	if (QJ_NEVER(qj_db_in_tx(db)))
		return (qj_fail(d, QJ_EINTERNAL, "internal", "",
		    "audit verification runs its own transaction"));
	if ((err = qj_db_begin(db, d)) != QJ_OK)
		return (err);
	return (qj_db_exec(db, NULL, "SET TRANSACTION ISOLATION LEVEL "
	    "REPEATABLE READ, READ ONLY", NULL, d));
}

enum qj_err
audit_verify_stream(struct qj_db *db, const char *stream,
    struct audit_verify *out, struct qj_diag *d)
{
	struct scan	ev, hd;
	enum qj_err	err;
	int		more;

	if ((err = audit_stream_check(stream, NULL, d)) != QJ_OK)
		return (err);
	scan_init(&ev, db, 0, stream);
	scan_init(&hd, db, 1, stream);
	if ((err = snapshot_begin(db, d)) != QJ_OK)
		goto out;
	if ((err = verify_next_stream(&ev, &hd, out, &more, d)) != QJ_OK)
		goto out;
	if (!more) {
		/* Neither events nor head: an empty, valid stream. */
		audit_verify_init(out, stream);
		(void)audit_verify_head(out, 0, 0, NULL);
	}
out:
	qj_db_rollback(db);
	scan_free(&ev);
	scan_free(&hd);
	return (err);
}

enum qj_err
audit_verify_all(struct qj_db *db, audit_stream_cb cb, void *arg,
    struct audit_summary *sum, struct qj_diag *d)
{
	struct audit_verify	v;
	struct scan		ev, hd;
	enum qj_err		err;
	int			more = 1;

	memset(sum, 0, sizeof(*sum));
	scan_init(&ev, db, 0, NULL);
	scan_init(&hd, db, 1, NULL);
	if ((err = snapshot_begin(db, d)) != QJ_OK)
		goto out;
	for (;;) {
		if ((err = verify_next_stream(&ev, &hd, &v, &more, d)) !=
		    QJ_OK || !more)
			break;
		sum->streams++;
		sum->events += v.events;
		if (v.fault != AUDIT_F_NONE && sum->broken++ == 0)
			sum->first = v;
		if (cb != NULL)
			cb(&v, arg);
	}
out:
	qj_db_rollback(db);
	scan_free(&ev);
	scan_free(&hd);
	return (err);
}

enum qj_err
audit_case_scope(struct qj_db *db, int64_t case_id, int64_t *applicant_id,
    char unit_path[192], struct qj_diag *d)
{
	struct qj_params	 p;
	PGresult		*res;
	enum qj_err		 err;

	qj_p_init(&p);
	qj_p_i64(&p, case_id);
	if ((err = qj_db_exec(db, &res, "SELECT applicant_id, unit_path FROM "
	    "wf_case WHERE id = $1", &p, d)) != QJ_OK)
		return (err);
	if (PQntuples(res) != 1) {
		PQclear(res);
		return (qj_fail(d, QJ_ENOTFOUND, "not-found", "id",
		    "no case %lld", (long long)case_id));
	}
	*applicant_id = qj_db_isnull(res, 0, 0) ? 0 : qj_db_i64(res, 0, 0);
	snprintf(unit_path, 192, "%s", qj_db_str(res, 0, 1));
	PQclear(res);
	return (QJ_OK);
}

enum qj_err
audit_events_page(struct qj_db *db, const char *stream, int64_t after_seq,
    int limit, PGresult **res, struct qj_diag *d)
{
	struct qj_params	p;

	qj_p_init(&p);
	qj_p_str(&p, stream);
	qj_p_i64(&p, after_seq);
	qj_p_i64(&p, limit);
	return (qj_db_exec(db, res, "SELECT " EVENT_COLS " FROM audit_event "
	    "WHERE stream = $1 AND seq > $2 ORDER BY seq LIMIT $3", &p, d));
}

enum qj_err
audit_export_stream(struct qj_db *db, const char *stream, struct qj_buf *out,
    struct audit_verify *v, struct qj_diag *d)
{
	const char		*docs[AUDIT_MAX_DOCS];
	struct audit_event	 ev;
	struct scan		 evs, hd;
	json_t			*hold;
	enum qj_err		 err;
	char			 why[128];
	int			 more;

	if ((err = audit_stream_check(stream, NULL, d)) != QJ_OK)
		return (err);
	scan_init(&evs, db, 0, stream);
	scan_init(&hd, db, 1, stream);
	if ((err = snapshot_begin(db, d)) != QJ_OK)
		goto out;
	/* The lines, as stored; then the verdict on them from one snapshot. */
	while (scan_peek(&evs, &err, d) != NULL) {
		if (row_event(evs.res, evs.row, &ev, docs, &hold, why,
		    sizeof(why)) != 0) {
			err = qj_fail(d, QJ_EUNPROC, "audit-unreadable", "seq",
			    "%s seq %lld: %s", stream, (long long)ev.seq, why);
			goto out;
		}
		err = audit_canonical(&ev, out, d);
		json_decref(hold);
		if (err != QJ_OK || (err = qj_buf_append(out, "\n", 1)) !=
		    QJ_OK)
			goto out;
		evs.row++;
	}
	if (err != QJ_OK)
		goto out;
	scan_free(&evs);
	scan_init(&evs, db, 0, stream);
	if ((err = verify_next_stream(&evs, &hd, v, &more, d)) == QJ_OK &&
	    !more) {
		audit_verify_init(v, stream);
		(void)audit_verify_head(v, 0, 0, NULL);
	}
out:
	qj_db_rollback(db);
	scan_free(&evs);
	scan_free(&hd);
	return (err);
}
