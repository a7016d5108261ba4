/*
 * accounts.c: SQL for logins, throttling, sessions and tokens (see
 * accounts.h).  People, units and grants are managed in people.c.
 */
#include <string.h>

#include "store/accounts.h"

enum qj_err
acct_login_lookup(struct qj_db *db, const char *login, struct acct_login *out,
    struct qj_diag *d)
{
	struct qj_params	 p;
	PGresult		*res;
	enum qj_err		 err;

	memset(out, 0, sizeof(*out));
	qj_p_init(&p);
	qj_p_str(&p, login);
	err = qj_db_exec(db, &res,
	    "SELECT p.id, p.disabled, coalesce(c.password_hash, '') "
	    "FROM person p LEFT JOIN credential c ON c.person_id = p.id "
	    "WHERE p.login = $1", &p, d);
	if (err != QJ_OK)
		return (err);
	if (PQntuples(res) == 1) {
		out->person_id = qj_db_i64(res, 0, 0);
		out->disabled = qj_db_bool(res, 0, 1);
		snprintf(out->password_hash, sizeof(out->password_hash), "%s",
		    qj_db_str(res, 0, 2));
	}
	PQclear(res);
	return (QJ_OK);
}

enum qj_err
acct_failures(struct qj_db *db, const char *login, const char *address,
    qj_time since, int *by_login, int *by_address, struct qj_diag *d)
{
	struct qj_params	 p;
	PGresult		*res;
	enum qj_err		 err;

	qj_p_init(&p);
	qj_p_str(&p, login);
	qj_p_str(&p, address);
	qj_p_i64(&p, since);
	err = qj_db_exec(db, &res,
	    "SELECT (SELECT count(*) FROM login_failure WHERE login = $1 "
	    "  AND at > to_timestamp($3)), "
	    "(SELECT count(*) FROM login_failure WHERE address = $2 "
	    "  AND at > to_timestamp($3))", &p, d);
	if (err != QJ_OK)
		return (err);
	*by_login = (int)qj_db_i64(res, 0, 0);
	*by_address = (int)qj_db_i64(res, 0, 1);
	PQclear(res);
	return (QJ_OK);
}

enum qj_err
acct_failure_record(struct qj_db *db, const char *login, const char *address,
    qj_time at, struct qj_diag *d)
{
	struct qj_params	p;

	qj_p_init(&p);
	qj_p_str(&p, login);
	qj_p_str(&p, address);
	qj_p_i64(&p, at);
	return (qj_db_exec(db, NULL, "INSERT INTO login_failure "
	    "(login, address, at) VALUES ($1, $2, to_timestamp($3))", &p, d));
}

enum qj_err
acct_failure_clear(struct qj_db *db, const char *login, struct qj_diag *d)
{
	struct qj_params	p;

	qj_p_init(&p);
	qj_p_str(&p, login);
	return (qj_db_exec(db, NULL,
	    "DELETE FROM login_failure WHERE login = $1", &p, d));
}

enum qj_err
acct_session_create(struct qj_db *db, const char *token_hash,
    int64_t person_id, const char *csrf, qj_time now, qj_time expires,
    const char *address, const char *user_agent, struct qj_diag *d)
{
	struct qj_params	p;

	qj_p_init(&p);
	qj_p_str(&p, token_hash);
	qj_p_i64(&p, person_id);
	qj_p_str(&p, csrf);
	qj_p_i64(&p, now);
	qj_p_i64(&p, expires);
	qj_p_str(&p, address);
	qj_p_str(&p, user_agent);
	return (qj_db_exec(db, NULL, "INSERT INTO session (token_hash, "
	    "person_id, csrf_token, created_at, last_seen_at, expires_at, "
	    "address, user_agent) VALUES ($1, $2, $3, to_timestamp($4), "
	    "to_timestamp($4), to_timestamp($5), $6, left($7, 512))", &p, d));
}

enum qj_err
acct_session_revoke(struct qj_db *db, const char *token_hash, qj_time now,
    struct qj_diag *d)
{
	struct qj_params	p;

	qj_p_init(&p);
	qj_p_str(&p, token_hash);
	qj_p_i64(&p, now);
	return (qj_db_exec(db, NULL, "UPDATE session SET revoked_at = "
	    "to_timestamp($2) WHERE token_hash = $1 AND revoked_at IS NULL",
	    &p, d));
}

/*
 * last_seen_at is rewritten at most every 30 seconds, so a busy client does
 * not turn every read into a write.
 */
enum qj_err
acct_actor_by_session(struct qj_db *db, const char *token_hash, qj_time now,
    int64_t idle, PGresult **res, struct qj_diag *d)
{
	struct qj_params	p;

	qj_p_init(&p);
	qj_p_str(&p, token_hash);
	qj_p_i64(&p, now);
	qj_p_i64(&p, idle);
	return (qj_db_exec(db, res,
	    "WITH s AS (SELECT token_hash, person_id, csrf_token, last_seen_at "
	    "  FROM session WHERE token_hash = $1 AND revoked_at IS NULL "
	    "  AND expires_at > to_timestamp($2) "
	    "  AND last_seen_at > to_timestamp($2 - $3)), "
	    "touch AS (UPDATE session SET last_seen_at = to_timestamp($2) "
	    "  FROM s WHERE session.token_hash = s.token_hash "
	    "  AND s.last_seen_at < to_timestamp($2 - 30) RETURNING 1) "
	    "SELECT p.id, p.login, p.iin, coalesce(p.org_id, 0), s.csrf_token, "
	    "  g.id, g.role, g.unit_id, u.code, u.path, coalesce(o.bin, '') "
	    "FROM s JOIN person p ON p.id = s.person_id AND NOT p.disabled "
	    "LEFT JOIN organisation o ON o.id = p.org_id "
	    "LEFT JOIN role_grant g ON g.person_id = p.id "
	    "  AND g.revoked_at IS NULL "
	    "LEFT JOIN unit u ON u.id = g.unit_id ORDER BY g.id", &p, d));
}

enum qj_err
acct_actor_by_token(struct qj_db *db, const char *token_hash, qj_time now,
    PGresult **res, struct qj_diag *d)
{
	struct qj_params	p;

	qj_p_init(&p);
	qj_p_str(&p, token_hash);
	qj_p_i64(&p, now);
	return (qj_db_exec(db, res,
	    "WITH t AS (UPDATE api_token SET last_used_at = to_timestamp($2) "
	    "  WHERE token_hash = $1 AND revoked_at IS NULL "
	    "  AND (expires_at IS NULL OR expires_at > to_timestamp($2)) "
	    "  RETURNING person_id) "
	    "SELECT p.id, p.login, p.iin, coalesce(p.org_id, 0), '', "
	    "  g.id, g.role, g.unit_id, u.code, u.path, coalesce(o.bin, '') "
	    "FROM t JOIN person p ON p.id = t.person_id AND NOT p.disabled "
	    "LEFT JOIN organisation o ON o.id = p.org_id "
	    "LEFT JOIN role_grant g ON g.person_id = p.id "
	    "  AND g.revoked_at IS NULL "
	    "LEFT JOIN unit u ON u.id = g.unit_id ORDER BY g.id", &p, d));
}
