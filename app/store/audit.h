/*
 * audit.h (store): appending audit events to PostgreSQL and verifying the
 * stored chains.  The canonical form and the hash are app/core/audit.h's;
 * the tables are migrations/0004_audit.sql's.
 *
 * Appending happens inside the caller's transaction, next to the change it
 * records, so an event exists exactly when its change was committed.  It
 * locks the stream's head row: appends to one stream queue on that row,
 * appends to different streams do not meet.  A transaction that appends to
 * several streams should take them in byte order of their names; in any
 * other order two such transactions can deadlock, which PostgreSQL breaks
 * by failing one (QJ_ECONFLICT "retry").
 *
 * Verification reads events in seq order a page at a time (memory does not
 * grow with the log), inside one read-only REPEATABLE READ transaction of
 * its own, so the heads and the events come from one snapshot even while
 * other sessions append.
 */
#ifndef QJ_STORE_AUDIT_H
#define QJ_STORE_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "core/audit.h"
#include "core/buf.h"
#include "core/qj.h"
#include "store/db.h"

struct audit_in {
	const char	*stream;	/* "case:<id>", "accounts", ... */
	int64_t		 at;		/* usec; 0: now, taken under the lock */
	int64_t		 actor_id;	/* 0: none */
	const char	*actor_login;	/* or NULL */
	const char	*action;	/* e.g. "person.create" */
	const char	*state_before;	/* or NULL */
	const char	*state_after;	/* or NULL */
	const char *const *docs;	/* ndocs SHA-256 hex strings */
	size_t		 ndocs;
	const char	*request_id;	/* or NULL */
	const char	*address;	/* or NULL */
	const char	*detail;	/* JSON object text, or NULL for {} */
};

/*
 * Appends one event to in->stream and moves the stream's head to it.  Must
 * run inside an open transaction (QJ_EINTERNAL otherwise); the event
 * becomes visible when the caller commits and vanishes if it rolls back.
 * On success hash_out (may be NULL) holds the new event's hash.  Errors:
 * QJ_EINVAL "invalid-audit-event" naming the member (see core/audit.h),
 * QJ_EUNPROC when a case stream names no case or actor_id no person,
 * QJ_EDB.  After an error the caller's transaction is unusable: roll back.
 */
enum qj_err	audit_append(struct qj_db *, const struct audit_in *,
		    char hash_out[AUDIT_HASH_HEX + 1], struct qj_diag *);

/*
 * Verifies one stream against its head.  Runs its own transaction, so it
 * must be called outside one.  QJ_OK whether or not the chain holds: the
 * verdict is in *out (out->fault == AUDIT_F_NONE when it verifies; a
 * stream with neither events nor head verifies, with zero events).
 * QJ_EINVAL for a malformed stream name, QJ_EDB.
 */
enum qj_err	audit_verify_stream(struct qj_db *, const char *stream,
		    struct audit_verify *out, struct qj_diag *);

/* Called once per stream by audit_verify_all, in byte order of names. */
typedef void	(*audit_stream_cb)(const struct audit_verify *, void *arg);

struct audit_summary {
	int64_t			streams;	/* streams verified */
	int64_t			events;		/* events that verified */
	int64_t			broken;		/* streams that did not */
	struct audit_verify	first;		/* first broken; if broken */
};

/*
 * Verifies every stream that has events or a head.  `cb` (may be NULL)
 * sees each stream's verdict.  QJ_OK with the summary filled whether or
 * not every chain holds; QJ_EDB.  Like audit_verify_stream, outside a
 * transaction.
 */
enum qj_err	audit_verify_all(struct qj_db *, audit_stream_cb, void *arg,
		    struct audit_summary *, struct qj_diag *);

/*
 * The stream's events as an auditor receives them (the archive's audit
 * file): each event's canonical bytes (core/audit.h) as one line ending in
 * "\n", in seq order, appended to `out`; and in *v the verdict on the
 * same snapshot, whose head_hash is the hash the last line must chain to.
 * Outside a transaction.  QJ_EUNPROC "audit-unreadable" when a stored row
 * cannot be put in canonical form (tampered beyond that), QJ_EDB.
 */
enum qj_err	audit_export_stream(struct qj_db *, const char *stream,
		    struct qj_buf *out, struct audit_verify *v,
		    struct qj_diag *);

/*
 * What access to a case's audit depends on: its applicant (0 if none) and
 * its unit path.  QJ_ENOTFOUND when there is no such case.
 */
enum qj_err	audit_case_scope(struct qj_db *, int64_t case_id,
		    int64_t *applicant_id, char unit_path[192],
		    struct qj_diag *);

/*
 * Up to `limit` events of `stream` with seq > after_seq, in seq order.
 * Columns: seq, at (audit time format), actor_id, actor_login, action,
 * state_before, state_after, document_hashes (JSON array text),
 * request_id, address, detail (JSON text), prev_hash, hash.
 */
enum qj_err	audit_events_page(struct qj_db *, const char *stream,
		    int64_t after_seq, int limit, PGresult **,
		    struct qj_diag *);

#endif
