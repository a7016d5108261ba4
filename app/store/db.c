/*
 * db.c: PostgreSQL connections, prepared statements and error mapping.
 *
 * Each connection keeps a small cache from statement text to prepared
 * statement name, so the hot paths (session lookup, transitions) are parsed
 * and planned once per connection.  The cache is keyed by the text's
 * address and confirmed by comparing the text, since only string constants
 * are passed in.  A connection found broken is reset once before a
 * statement; a statement that fails because the server went away is not
 * retried (the caller's transaction is lost and must be redone).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "store/db.h"

#define STMT_CACHE	256

struct stmt {
	const char	*sql;		/* the caller's constant */
	char		 name[16];	/* "q<n>" */
};

struct qj_db {
	PGconn		*conn;
	int		 in_tx;
	int		 nstmt;
	struct stmt	 stmts[STMT_CACHE];
};

static char		*db_dsn;		/* set once before threads */
static _Thread_local struct qj_db *db_mine;	/* this thread's connection */

static void
db_notice(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;	/* NOTICEs from migrations are not interesting */
}

enum qj_err
qj_db_connect(const char *dsn, struct qj_db **out, struct qj_diag *d)
{
	struct qj_db	*db;

	if ((db = calloc(1, sizeof(*db))) == NULL)
		return (QJ_ENOMEM);
	db->conn = PQconnectdb(dsn);
	if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK) {
		qj_fail(d, QJ_EDB, "database-unavailable", "",
		    "cannot connect to PostgreSQL: %s",
		    db->conn ? PQerrorMessage(db->conn) : "out of memory");
		qj_db_free(db);
		return (QJ_EDB);
	}
	PQsetNoticeProcessor(db->conn, db_notice, NULL);
	*out = db;
	return (QJ_OK);
}

void
qj_db_free(struct qj_db *db)
{
	if (db == NULL)
		return;
	if (db->conn != NULL)
		PQfinish(db->conn);
	free(db);
}

void
qj_db_set_dsn(const char *dsn)
{
	free(db_dsn);
	db_dsn = strdup(dsn);
}

struct qj_db *
qj_db_thread(struct qj_diag *d)
{
	if (db_mine != NULL && PQstatus(db_mine->conn) != CONNECTION_OK) {
		qj_log(QJ_LOG_WARN, "db", "connection broken; reconnecting");
		qj_db_free(db_mine);
		db_mine = NULL;
	}
	if (db_mine == NULL) {
		if (db_dsn == NULL) {
			qj_fail(d, QJ_EDB, "database-unavailable", "",
			    "no database configured");
			return (NULL);
		}
		if (qj_db_connect(db_dsn, &db_mine, d) != QJ_OK)
			return (NULL);
	}
	return (db_mine);
}

PGconn *
qj_db_conn(struct qj_db *db)
{
	return (db->conn);
}

void
qj_p_init(struct qj_params *p)
{
	p->n = 0;
}

void
qj_p_str(struct qj_params *p, const char *s)
{
	if (QJ_NEVER(p->n >= QJ_DB_MAXP))
		return;
	p->v[p->n++] = s;
}

void
qj_p_i64(struct qj_params *p, int64_t v)
{
	if (QJ_NEVER(p->n >= QJ_DB_MAXP))
		return;
	snprintf(p->num[p->n], sizeof(p->num[0]), "%" PRId64, v);
	p->v[p->n] = p->num[p->n];
	p->n++;
}

void
qj_p_bool(struct qj_params *p, int v)
{
	qj_p_str(p, v ? "true" : "false");
}

/* Maps a failed result to an error code and diagnostic. */
static enum qj_err
db_error(PGconn *conn, PGresult *res, struct qj_diag *d)
{
	const char	*state, *cons, *msg;

	state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	cons = res ? PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME) : NULL;
	msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	if (msg == NULL)
		msg = PQerrorMessage(conn);
	if (cons == NULL)
		cons = "";
	if (state == NULL)
		return (qj_fail(d, QJ_EDB, "database-unavailable", "",
		    "database error: %s", msg));
	if (strcmp(state, "23505") == 0)
		return (qj_fail(d, QJ_ECONFLICT, "duplicate", cons,
		    "already exists (%s)", cons));
	if (strcmp(state, "23503") == 0)
		return (qj_fail(d, QJ_EUNPROC, "reference-not-found", cons,
		    "a referenced object does not exist (%s)", cons));
	if (strcmp(state, "23514") == 0 || strcmp(state, "23502") == 0 ||
	    strncmp(state, "22", 2) == 0)
		return (qj_fail(d, QJ_EINVAL, "constraint-violation", cons,
		    "value rejected by the database: %s", msg));
	if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0)
		return (qj_fail(d, QJ_ECONFLICT, "retry", "",
		    "concurrent update; retry the request"));
	if (strncmp(state, "P0", 2) == 0)
		return (qj_fail(d, QJ_EUNPROC, "rule-violation", cons,
		    "%s", msg));
	qj_log(QJ_LOG_ERR, "db", "sqlstate=%s %s", state, msg);
	return (qj_fail(d, QJ_EDB, "database-error", "",
	    "database error (sqlstate %s)", state));
}

static const char *
stmt_name(struct qj_db *db, const char *sql, int nparams, struct qj_diag *d,
    enum qj_err *err)
{
	PGresult	*res;
	struct stmt	*s;
	int		 i;

	*err = QJ_OK;
	for (i = 0; i < db->nstmt; i++)
		if (db->stmts[i].sql == sql && strcmp(db->stmts[i].sql, sql) == 0)
			return (db->stmts[i].name);
	if (db->nstmt == STMT_CACHE)
		return (NULL);	/* cache full: run unprepared */
	s = &db->stmts[db->nstmt];
	snprintf(s->name, sizeof(s->name), "q%d", db->nstmt);
	res = PQprepare(db->conn, s->name, sql, nparams, NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		*err = db_error(db->conn, res, d);
		PQclear(res);
		return (NULL);
	}
	PQclear(res);
	s->sql = sql;
	db->nstmt++;
	return (s->name);
}

enum qj_err
qj_db_exec(struct qj_db *db, PGresult **out, const char *sql,
    const struct qj_params *p, struct qj_diag *d)
{
	PGresult	*res;
	const char	*name;
	ExecStatusType	 st;
	enum qj_err	 err;
	int		 n = p ? p->n : 0;

	if (out != NULL)
		*out = NULL;
	name = stmt_name(db, sql, n, d, &err);
	if (err != QJ_OK)
		return (err);
	if (name != NULL)
		res = PQexecPrepared(db->conn, name, n, p ? p->v : NULL,
		    NULL, NULL, 0);
	else
		res = PQexecParams(db->conn, sql, n, NULL, p ? p->v : NULL,
		    NULL, NULL, 0);
	st = PQresultStatus(res);
	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
		err = db_error(db->conn, res, d);
		PQclear(res);
		return (err);
	}
	if (out != NULL)
		*out = res;
	else
		PQclear(res);
	return (QJ_OK);
}

enum qj_err
qj_db_script(struct qj_db *db, const char *sql, struct qj_diag *d)
{
	PGresult	*res;
	enum qj_err	 err = QJ_OK;

	res = PQexec(db->conn, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK)
		err = db_error(db->conn, res, d);
	PQclear(res);
	return (err);
}

enum qj_err
qj_db_begin(struct qj_db *db, struct qj_diag *d)
{
	enum qj_err	err;

	if (QJ_NEVER(db->in_tx))
		return (QJ_EINTERNAL);
	if ((err = qj_db_exec(db, NULL, "BEGIN", NULL, d)) == QJ_OK)
		db->in_tx = 1;
	return (err);
}

enum qj_err
qj_db_commit(struct qj_db *db, struct qj_diag *d)
{
	enum qj_err	err;

	err = qj_db_exec(db, NULL, "COMMIT", NULL, d);
	db->in_tx = 0;
	return (err);
}

void
qj_db_rollback(struct qj_db *db)
{
	if (db == NULL || !db->in_tx)
		return;
	(void)qj_db_exec(db, NULL, "ROLLBACK", NULL, NULL);
	db->in_tx = 0;
}

int
qj_db_in_tx(const struct qj_db *db)
{
	return (db->in_tx);
}

const char *
qj_db_str(PGresult *res, int row, int col)
{
	if (res == NULL || row >= PQntuples(res) || col >= PQnfields(res))
		return ("");
	return (PQgetvalue(res, row, col));
}

int64_t
qj_db_i64(PGresult *res, int row, int col)
{
	return (strtoll(qj_db_str(res, row, col), NULL, 10));
}

int
qj_db_bool(PGresult *res, int row, int col)
{
	return (qj_db_str(res, row, col)[0] == 't');
}

int
qj_db_isnull(PGresult *res, int row, int col)
{
	if (res == NULL || row >= PQntuples(res) || col >= PQnfields(res))
		return (1);
	return (PQgetisnull(res, row, col));
}
