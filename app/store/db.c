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
 *
 * Deferred statements (qj_db_defer) save round trips: a write whose result
 * nobody reads, and BEGIN, wait in a queue and go to the server in one
 * libpq pipeline together with the next statement that does need an
 * answer (a read, or COMMIT).  Each round trip costs a sleep and a wake-up
 * on both sides, which on a loaded server is most of what a simple
 * statement costs; a transition needed ten.  The first failing statement
 * of a pipeline makes the server skip the rest up to the sync, so its
 * error is the one reported, by the call that sent the pipeline.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "store/db.h"

#define STMT_CACHE	256
#define DEFER_MAX	32

struct stmt {
	const char	*sql;		/* the caller's constant */
	char		 name[16];	/* "q<n>" */
};

/* A statement waiting to be sent, with its own copy of the values. */
struct deferred {
	const char	*name;		/* prepared statement, or NULL: */
	const char	*sql;		/* sent unprepared (cache full) */
	int		 n;
	char		*v[QJ_DB_MAXP];	/* NULL is SQL NULL */
};

struct qj_db {
	PGconn		*conn;
	int		 in_tx;
	int		 broken;	/* left in an unknown state: reconnect */
	int		 nstmt;
	struct stmt	 stmts[STMT_CACHE];
	int		 ndefer;
	struct deferred	 defer[DEFER_MAX];
	/* The transaction's first failure: COMMIT reports it even when the
	 * call that met it (a read carrying deferred writes) was ignored. */
	enum qj_err	 tx_err;
	struct qj_diag	 tx_diag;
};

static char		*db_dsn;		/* set once before threads */
static _Thread_local struct qj_db *db_mine;	/* this thread's connection */

static void	defer_clear(struct qj_db *);

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
	defer_clear(db);
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
	if (db_mine != NULL && (PQstatus(db_mine->conn) != CONNECTION_OK ||
	    db_mine->broken)) {
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

/* Remembers the open transaction's first failure (see tx_err). */
static enum qj_err
tx_fail(struct qj_db *db, enum qj_err err, const struct qj_diag *d)
{
	if (db->in_tx && db->tx_err == QJ_OK) {
		db->tx_err = err;
		if (d != NULL)
			db->tx_diag = *d;
		else
			qj_fail(&db->tx_diag, err, "database-error", "",
			    "an earlier statement of the transaction failed");
	}
	return (err);
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

static void
defer_clear(struct qj_db *db)
{
	int	i, j;

	for (i = 0; i < db->ndefer; i++)
		for (j = 0; j < db->defer[i].n; j++)
			free(db->defer[i].v[j]);
	db->ndefer = 0;
}

/* Sends one statement into the pipeline (no waiting). */
static int
pipe_send(struct qj_db *db, const char *name, const char *sql, int n,
    const char *const *v)
{
	if (name != NULL)
		return (PQsendQueryPrepared(db->conn, name, n, v, NULL, NULL,
		    0));
	return (PQsendQueryParams(db->conn, sql, n, NULL, v, NULL, NULL, 0));
}

/*
 * Sends the deferred statements and then `name`/`sql` (when not NULL) in
 * one pipeline, and reads every result.  The first failure is returned;
 * the last statement's result goes to *out.  The queue is empty after.
 */
static enum qj_err
pipe_run(struct qj_db *db, PGresult **out, const char *name, const char *sql,
    const struct qj_params *p, struct qj_diag *d)
{
	PGresult	*res, *x;
	ExecStatusType	 st;
	enum qj_err	 err = QJ_OK;
	int		 i, nsent = 0, total, synced = 0;

	total = db->ndefer + (name != NULL || sql != NULL);
	if (PQenterPipelineMode(db->conn) != 1) {
		defer_clear(db);
		return (db_error(db->conn, NULL, d));
	}
	for (i = 0; i < db->ndefer; i++, nsent++)
		if (!pipe_send(db, db->defer[i].name, db->defer[i].sql,
		    db->defer[i].n, (const char *const *)db->defer[i].v))
			break;
	if (nsent == db->ndefer && total > db->ndefer &&
	    pipe_send(db, name, sql, p ? p->n : 0, p ? p->v : NULL))
		nsent++;
	defer_clear(db);
	if (nsent < total || PQpipelineSync(db->conn) != 1) {
		/* The connection failed while sending: drop it. */
		err = db_error(db->conn, NULL, d);
		db->broken = 1;
		return (err);
	}
	for (i = 0; i < nsent; i++) {
		if ((res = PQgetResult(db->conn)) == NULL)
			break;		/* the connection is gone */
		st = PQresultStatus(res);
		if (st == PGRES_PIPELINE_SYNC) {
			synced = 1;
			PQclear(res);
			break;
		}
		if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK &&
		    st != PGRES_PIPELINE_ABORTED && err == QJ_OK)
			err = db_error(db->conn, res, d);
		if (i == nsent - 1 && out != NULL && err == QJ_OK)
			*out = res;
		else
			PQclear(res);
		/* Up to the NULL that ends each query's results. */
		while (!synced && (x = PQgetResult(db->conn)) != NULL) {
			synced = PQresultStatus(x) == PGRES_PIPELINE_SYNC;
			PQclear(x);
		}
		if (synced)
			break;
	}
	while (!synced && (res = PQgetResult(db->conn)) != NULL) {
		synced = PQresultStatus(res) == PGRES_PIPELINE_SYNC;
		PQclear(res);
	}
	if (!synced || PQexitPipelineMode(db->conn) != 1) {
		if (err == QJ_OK)
			err = db_error(db->conn, NULL, d);
		db->broken = 1;
	}
	if (err != QJ_OK && out != NULL && *out != NULL) {
		PQclear(*out);
		*out = NULL;
	}
	return (err == QJ_OK ? err : tx_fail(db, err, d));
}

enum qj_err
qj_db_exec(struct qj_db *db, PGresult **out, const char *sql,
    const struct qj_params *p, struct qj_diag *d)
{
	PGresult	*res;
	const char	*name;
	ExecStatusType	 st;
	struct qj_diag	 local;
	enum qj_err	 err;
	int		 n = p ? p->n : 0;

	/* The transaction keeps its first failure even when the caller
	 * does not ask for the diagnostic. */
	if (d == NULL)
		d = &local;
	if (out != NULL)
		*out = NULL;
	name = stmt_name(db, sql, n, d, &err);
	if (err != QJ_OK)
		return (tx_fail(db, err, d));
	if (db->ndefer > 0)
		return (pipe_run(db, out, name, name ? NULL : sql, p, d));
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
		return (tx_fail(db, err, d));
	}
	if (out != NULL)
		*out = res;
	else
		PQclear(res);
	return (QJ_OK);
}

enum qj_err
qj_db_defer(struct qj_db *db, const char *sql, const struct qj_params *p,
    struct qj_diag *d)
{
	struct deferred	*q;
	struct qj_diag	 local;
	const char	*name;
	enum qj_err	 err;
	int		 i, n = p ? p->n : 0;

	if (d == NULL)
		d = &local;
	if (QJ_NEVER(!db->in_tx))
		return (QJ_EINTERNAL);
	/* Prepared now (once per connection), so the pipeline only binds. */
	name = stmt_name(db, sql, n, d, &err);
	if (err != QJ_OK)
		return (tx_fail(db, err, d));
	if (db->ndefer == DEFER_MAX &&
	    (err = pipe_run(db, NULL, NULL, NULL, NULL, d)) != QJ_OK)
		return (err);
	q = &db->defer[db->ndefer];
	q->name = name;
	q->sql = sql;
	q->n = 0;
	for (i = 0; i < n; i++) {
		if (p->v[i] != NULL && (q->v[i] = strdup(p->v[i])) == NULL) {
			while (--i >= 0)
				free(q->v[i]);
			return (QJ_ENOMEM);
		}
		if (p->v[i] == NULL)
			q->v[i] = NULL;
	}
	q->n = n;
	db->ndefer++;
	return (QJ_OK);
}

enum qj_err
qj_db_flush(struct qj_db *db, struct qj_diag *d)
{
	struct qj_diag	local;

	if (d == NULL)
		d = &local;
	if (db->ndefer == 0)
		return (QJ_OK);
	return (pipe_run(db, NULL, NULL, NULL, NULL, d));
}

enum qj_err
qj_db_script(struct qj_db *db, const char *sql, struct qj_diag *d)
{
	PGresult	*res;
	enum qj_err	 err = QJ_OK;

	if ((err = qj_db_flush(db, d)) != QJ_OK)
		return (err);
	res = PQexec(db->conn, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK)
		err = db_error(db->conn, res, d);
	PQclear(res);
	return (err);
}

/* BEGIN waits for the transaction's first statement that needs an answer. */
enum qj_err
qj_db_begin(struct qj_db *db, struct qj_diag *d)
{
	enum qj_err	err;

	if (QJ_NEVER(db->in_tx))
		return (QJ_EINTERNAL);
	db->in_tx = 1;
	db->tx_err = QJ_OK;
	if ((err = qj_db_defer(db, "BEGIN", NULL, d)) != QJ_OK)
		db->in_tx = 0;
	return (err);
}

/*
 * A transaction with a failed statement is not committed, whoever saw the
 * failure: PostgreSQL answers COMMIT of such a transaction with ROLLBACK
 * and no error, so the failure is reported here, as the first one met.
 */
enum qj_err
qj_db_commit(struct qj_db *db, struct qj_diag *d)
{
	PGresult	*res = NULL;
	enum qj_err	 err;

	if ((err = db->tx_err) == QJ_OK) {
		err = qj_db_exec(db, &res, "COMMIT", NULL, d);
		if (err == QJ_OK && strcmp(PQcmdStatus(res), "COMMIT") != 0)
			err = qj_fail(d, QJ_EDB, "database-error", "",
			    "the transaction was rolled back (%s)",
			    PQcmdStatus(res));
		PQclear(res);
	} else if (d != NULL)
		*d = db->tx_diag;
	/* A failed deferred statement kept COMMIT from running: the server
	 * still holds the failed transaction. */
	if (err != QJ_OK) {
		defer_clear(db);
		if (!db->broken &&
		    PQtransactionStatus(db->conn) != PQTRANS_IDLE)
			(void)qj_db_exec(db, NULL, "ROLLBACK", NULL, NULL);
	}
	db->in_tx = 0;
	db->tx_err = QJ_OK;
	return (err);
}

void
qj_db_rollback(struct qj_db *db)
{
	if (db == NULL || !db->in_tx)
		return;
	/* Statements never sent need no undoing; BEGIN may be among them. */
	defer_clear(db);
	if (!db->broken && PQtransactionStatus(db->conn) != PQTRANS_IDLE)
		(void)qj_db_exec(db, NULL, "ROLLBACK", NULL, NULL);
	db->in_tx = 0;
	db->tx_err = QJ_OK;
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
