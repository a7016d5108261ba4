/*
 * accounts.h: organisations, units, people, credentials, role grants,
 * sessions, API tokens and login throttling in PostgreSQL.
 *
 * Functions take an open connection and run one or a few statements; the
 * caller owns the transaction.  Times are qj_time (seconds, UTC).
 * Secrets never reach this layer: sessions and tokens are looked up by the
 * SHA-256 hex of the secret.
 */
#ifndef QJ_STORE_ACCOUNTS_H
#define QJ_STORE_ACCOUNTS_H

#include <stdint.h>

#include "core/clock.h"
#include "core/qj.h"
#include "store/db.h"

struct acct_login {
	int64_t	person_id;		/* 0 when no such login */
	int	disabled;
	char	password_hash[160];	/* "" when no credential */
};

enum qj_err	acct_login_lookup(struct qj_db *, const char *login,
		    struct acct_login *, struct qj_diag *);

/* Counts failures since `since` for the login and for the address. */
enum qj_err	acct_failures(struct qj_db *, const char *login,
		    const char *address, qj_time since, int *by_login,
		    int *by_address, struct qj_diag *);
enum qj_err	acct_failure_record(struct qj_db *, const char *login,
		    const char *address, qj_time, struct qj_diag *);
enum qj_err	acct_failure_clear(struct qj_db *, const char *login,
		    struct qj_diag *);

enum qj_err	acct_session_create(struct qj_db *, const char *token_hash,
		    int64_t person_id, const char *csrf, qj_time now,
		    qj_time expires, const char *address,
		    const char *user_agent, struct qj_diag *);
enum qj_err	acct_session_revoke(struct qj_db *, const char *token_hash,
		    qj_time now, struct qj_diag *);

/*
 * The person behind a live session (idle window `idle` seconds) or API
 * token, with their active grants: one row per grant (grant columns NULL
 * when the person has none).  Columns: person id, login, iin, org id,
 * csrf (sessions only), grant id, role, unit id, unit code, unit path,
 * organisation BIN ("" if none).
 * Zero rows when the secret is unknown, expired, revoked or the person is
 * disabled.  Refreshes last_seen_at / last_used_at.
 */
enum qj_err	acct_actor_by_session(struct qj_db *, const char *token_hash,
		    qj_time now, int64_t idle, PGresult **, struct qj_diag *);
enum qj_err	acct_actor_by_token(struct qj_db *, const char *token_hash,
		    qj_time now, PGresult **, struct qj_diag *);

#endif
