/*
 * archive.h (store): sealing terminal cases into their packages, exactly
 * once, and the archive's records (search, legal holds, disposition); the
 * tables are migrations/0008_archive.sql's, the queue 0005_seal_queue.sql's,
 * the package format app/core/archive_case.h's.
 *
 * SEALING.  A case that becomes terminal gets a seal_job row in the same
 * transaction (app/flow/flow.c).  archive_seal_pending() works the queue:
 *
 *   1. claim: one due job, FOR UPDATE SKIP LOCKED, in its own short
 *      transaction that bumps `attempts` (the claim's token) and pushes
 *      next_try_at a lease ahead, so no other sealer takes it meanwhile;
 *   2. build: the case's data from one REPEATABLE READ snapshot, its audit
 *      stream (store/audit.h's export), the blobs; the package is made and
 *      sealed in memory (core/archive_case.h) and, with cfg->trust, read
 *      back and its seal verified (an expired seal certificate or a stale
 *      CRL fails the attempt rather than recording a package that does not
 *      verify; the signers' signatures are the case's record and are kept
 *      as they are);
 *   3. commit: the package is written to a temporary file in the archive
 *      directory and fsynced; then, in one transaction that holds the job
 *      row and the case's audit head, the claim is checked (the job still
 *      exists and `attempts` is still the token), the case's audit stream
 *      must not have moved since the export, the file is renamed to its
 *      fixed name case-<id>.zip (never over an existing file unless it is a
 *      stray: see below) and the directory fsynced, and the archive row,
 *      the deletion of the job and an "archive.seal" audit event commit
 *      together;
 *   4. a failure records last_error and backs off (next_try_at).
 *
 * Exactly once: the job row is the lock and the claim token the fence, so
 * of two sealers only the one holding a current claim can commit; the
 * archive row's primary key is the second fence.  A crash between the
 * rename and the commit leaves case-<id>.zip without an archive row (a
 * stray); the job survives, and the next attempt, holding the job row with
 * no archive row, replaces the stray with its own package before it
 * commits.  A recorded package is never overwritten: its job is gone, so no
 * sealer ever reaches the rename again.
 *
 * Every function runs its own transactions (call outside one), except
 * where a comment says otherwise.
 */
#ifndef QJ_STORE_ARCHIVE_H
#define QJ_STORE_ARCHIVE_H

#include <stdint.h>

#include "core/archive.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/qj.h"
#include "core/trust.h"
#include "store/db.h"

#define ARCHIVE_LEASE		300	/* seconds a claim holds a job */
#define ARCHIVE_BLOB_MAX	(256u * 1024 * 1024)

struct archive_cfg {
	const char			*dir;		/* QUJAT_VAR/archive */
	const char			*blobs;		/* the blob store root */
	const struct qj_arc_sealer	*sealer;
	struct qj_trust			*trust;		/* when set, every new
							   package's seal is
							   verified before it is
							   written (or NULL) */
	int				 lease;		/* 0: ARCHIVE_LEASE */
};

/* What the archive row records besides the package (filled by build). */
struct archive_meta {
	int64_t	 case_id;
	char	 workflow[64];
	char	 unit_path[192];
	char	 applicant_iin[13];	/* "" if none */
	char	 applicant_name[1024];	/* kk, ru and en names */
	char	 state[64];
	char	 closed_at[32];		/* RFC 3339 */
	int	 retention_years;
	char	 retention_rule[64];
	char	 retain_until[16];	/* YYYY-MM-DD */
	int64_t	 head_seq;		/* the audit head the package holds */
};

/*
 * Seals up to `limit` due jobs, one at a time; *sealed receives how many
 * were sealed.  A job that fails is recorded (last_error, backoff) and the
 * next one is tried.  QJ_OK unless the database itself failed.  Safe to run
 * from any number of threads, processes and hosts sharing the database and
 * the archive directory.
 */
enum qj_err	archive_seal_pending(struct qj_db *, const struct archive_cfg *,
		    qj_time now, int limit, int *sealed, struct qj_diag *);

/* The three steps, for tests and tools (the order above). */
enum qj_err	archive_claim(struct qj_db *, qj_time now, int lease,
		    int64_t *case_id, int *token, struct qj_diag *);
enum qj_err	archive_build(struct qj_db *, const struct archive_cfg *,
		    int64_t case_id, qj_time now, struct qj_buf *zip,
		    char sha256[65], struct archive_meta *, struct qj_diag *);
/*
 * QJ_ECONFLICT "seal-claim-lost" when the job is gone or claimed again
 * since `token` (nothing written), "seal-audit-moved" when the case's audit
 * stream moved since the build; QJ_EIO "archive-io".
 */
enum qj_err	archive_commit(struct qj_db *, const struct archive_cfg *,
		    int64_t case_id, int token, const struct qj_buf *zip,
		    const char *sha256, const struct archive_meta *,
		    qj_time now, struct qj_diag *);
/* Records a failed attempt of the claim `token` and backs off. */
enum qj_err	archive_fail(struct qj_db *, int64_t case_id, int token,
		    const char *why, qj_time now, struct qj_diag *);

/* The package's path: <dir>/case-<id>.zip. */
void		archive_path(const char *dir, int64_t case_id, char *out,
		    size_t len);

/* --- the archive's records ------------------------------------------------ */

struct archive_query {
	const char	*iin;		/* exact applicant IIN, or NULL */
	const char	*name;		/* part of a name (>= 3 chars), or NULL */
	const char	*workflow;	/* case type, or NULL */
	int		 order_number;	/* an order's number, or 0 */
	const char	*order_series;	/* with order_number, or NULL */
	int		 order_year;	/* with order_number, or 0 */
	const char	*from, *to;	/* closed in [from, to), RFC 3339 or
					   YYYY-MM-DD, or NULL */
	const char	*units;		/* PostgreSQL text[] literal of the
					   unit path prefixes in scope */
	qj_time		 after_closed;	/* keyset cursor; 0: first page */
	int64_t		 after_id;
	int		 limit;
};

/*
 * Archived cases matching the query, newest closed first: case_id,
 * workflow, applicant_iin, applicant_name, unit_path, closed_at, sealed_at,
 * sha256, size, retain_until, disposed_at, held (bool), closed epoch.
 * Each query shape has its own statement, so each filter is an index scan
 * (see the migration).
 */
enum qj_err	archive_search(struct qj_db *, const struct archive_query *,
		    PGresult **, struct qj_diag *);

/*
 * One package: the columns of archive_search plus path, seal_cert_sha256,
 * retention_years, retention_rule; zero rows when unknown.  Works inside or
 * outside a transaction; `lock` (inside one) takes the row FOR UPDATE.
 */
enum qj_err	archive_get(struct qj_db *, int64_t case_id, int lock,
		    PGresult **, struct qj_diag *);

/* Holds of a package, oldest first: id, reason, set_by login, set_at,
 * lift_reason, lifted_by login, lifted_at. */
enum qj_err	archive_holds(struct qj_db *, int64_t case_id, PGresult **,
		    struct qj_diag *);
/* In the caller's transaction.  *id receives the new hold. */
enum qj_err	archive_hold_set(struct qj_db *, int64_t case_id,
		    const char *reason, int64_t by, qj_time now, int64_t *id,
		    struct qj_diag *);
/* In the caller's transaction; QJ_ENOTFOUND when no such active hold. */
enum qj_err	archive_hold_lift(struct qj_db *, int64_t case_id,
		    int64_t hold_id, const char *reason, int64_t by,
		    qj_time now, struct qj_diag *);

struct disposition_new {
	int64_t		 case_id;
	const char	*act_sha256;	/* stored in `document` already */
	const char	*sig;		/* the signature XML, NUL-terminated */
	size_t		 sig_len;
	int64_t		 signer_id;
	const char	*cert_sha256;
	qj_time		 signing_time;
	const char	*package_sha256;
	qj_time		 now;
};
/*
 * In the caller's transaction: records the act and marks the package
 * disposed (the database refuses it on hold or before retain_until:
 * QJ_EINVAL naming the check).  The file is the caller's to remove after
 * the commit.
 */
enum qj_err	archive_dispose(struct qj_db *, const struct disposition_new *,
		    struct qj_diag *);

#endif
