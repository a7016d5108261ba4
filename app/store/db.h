/*
 * db.h: the one place that talks to PostgreSQL (libpq).
 *
 * A struct qj_db is one connection, used by one thread at a time.  The
 * server gives each Kore task thread its own connection (qj_db_thread()),
 * so request code runs plain sequential transactions without ever blocking
 * Kore's event loop.  Every statement is parameterised and prepared once
 * per connection; values travel as text.
 *
 * Errors: QJ_EDB when the database is unreachable or fails; constraint
 * violations map to QJ_ECONFLICT (unique, serialization), QJ_EUNPROC
 * (foreign key) or QJ_EINVAL (check, not-null, bad value), with the
 * constraint named in the diagnostic.
 */
#ifndef QJ_DB_H
#define QJ_DB_H

#include <stdint.h>

#include <libpq-fe.h>

#include "core/qj.h"

#define QJ_DB_MAXP	24

struct qj_db;

struct qj_params {
	int		 n;
	const char	*v[QJ_DB_MAXP];		/* NULL is SQL NULL */
	char		 num[QJ_DB_MAXP][24];	/* storage for numbers */
};

/* Opens a connection; QJ_EDB with the libpq message (no password) on failure. */
enum qj_err	 qj_db_connect(const char *dsn, struct qj_db **, struct qj_diag *);
void		 qj_db_free(struct qj_db *);

/*
 * The DSN for qj_db_thread(); set once at start-up, before threads exist.
 * qj_db_thread() returns the calling thread's connection, opening it (or
 * reopening a broken one) on demand; NULL with QJ_EDB in the diagnostic.
 */
void		 qj_db_set_dsn(const char *);
struct qj_db	*qj_db_thread(struct qj_diag *);

void		 qj_p_init(struct qj_params *);
void		 qj_p_str(struct qj_params *, const char *);
void		 qj_p_i64(struct qj_params *, int64_t);
void		 qj_p_bool(struct qj_params *, int);

/*
 * Runs one statement.  On success *res (when res is not NULL) holds the
 * result, which the caller frees with PQclear; with res NULL the result is
 * discarded.  The statement text must be a string constant: it keys the
 * per-connection cache of prepared statements.
 */
enum qj_err	 qj_db_exec(struct qj_db *, PGresult **res, const char *sql,
		    const struct qj_params *, struct qj_diag *);

/*
 * Queues a statement inside the open transaction instead of running it:
 * it goes to the server, in one pipeline, with the next qj_db_exec() or
 * qj_db_commit() (or qj_db_flush()), and an error it meets is returned by
 * that call.  For writes whose result nobody reads and whose errors need
 * no handling of their own (a duplicate key would be reported by the later
 * call as its own conflict).  The values are copied; the text, as for
 * qj_db_exec(), must be a string constant.
 */
enum qj_err	 qj_db_defer(struct qj_db *, const char *sql,
		    const struct qj_params *, struct qj_diag *);
/* Sends whatever is deferred now; the first error it met, if any. */
enum qj_err	 qj_db_flush(struct qj_db *, struct qj_diag *);

/* Runs a script of several statements without parameters (migrations). */
enum qj_err	 qj_db_script(struct qj_db *, const char *sql, struct qj_diag *);

/* BEGIN is deferred: it travels with the transaction's first statement. */
enum qj_err	 qj_db_begin(struct qj_db *, struct qj_diag *);
enum qj_err	 qj_db_commit(struct qj_db *, struct qj_diag *);
/* Rolls back if a transaction is open; never fails. */
void		 qj_db_rollback(struct qj_db *);
int		 qj_db_in_tx(const struct qj_db *);

/* Value accessors: NULL-safe, 0/"" for SQL NULL. */
const char	*qj_db_str(PGresult *, int row, int col);
int64_t		 qj_db_i64(PGresult *, int row, int col);
int		 qj_db_bool(PGresult *, int row, int col);
int		 qj_db_isnull(PGresult *, int row, int col);

/*
 * The raw libpq connection, for the few callers that need it.  Deferred
 * statements have not reached it yet: qj_db_flush() first.
 */
PGconn		*qj_db_conn(struct qj_db *);

#endif
