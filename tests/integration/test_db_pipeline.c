/*
 * test_db_pipeline.c: deferred statements (qj_db_defer, store/db.c).  BEGIN
 * and writes nobody reads wait in a queue and reach the server in one
 * pipeline with the next statement that needs an answer; what they do, in
 * order, and the first error they meet, must be exactly what running them
 * one by one would give.  On a connection of its own, against a scratch
 * table.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "store/db.h"
#include "tests/lib/harness.h"

static struct qj_db	*db;

static void
setup(void)
{
	struct qj_diag	d;

	if (db == NULL)
		ck_assert_int_eq(qj_db_connect(H.dsn, &db, &d), QJ_OK);
	ck_assert_int_eq(qj_db_script(db, "DROP TABLE IF EXISTS pipe_t; "
	    "CREATE TABLE pipe_t (id int PRIMARY KEY, v text NOT NULL "
	    "CONSTRAINT pipe_t_not_bad CHECK (v <> 'bad'))", &d), QJ_OK);
}

static void
put(int id, const char *v)
{
	struct qj_params	p;
	struct qj_diag		d;

	qj_p_init(&p);
	qj_p_i64(&p, id);
	qj_p_str(&p, v);
	ck_assert_int_eq(qj_db_defer(db, "INSERT INTO pipe_t (id, v) VALUES "
	    "($1, $2)", &p, &d), QJ_OK);
}

static int64_t
count(void)
{
	struct qj_diag	 d;
	PGresult	*res;
	int64_t		 n;

	ck_assert_int_eq(qj_db_exec(db, &res, "SELECT count(*) FROM pipe_t",
	    NULL, &d), QJ_OK);
	n = qj_db_i64(res, 0, 0);
	PQclear(res);
	return (n);
}

static void
assert_idle(void)
{
	ck_assert(!qj_db_in_tx(db));
	ck_assert_int_eq(PQtransactionStatus(qj_db_conn(db)), PQTRANS_IDLE);
}

/* A read sees the deferred writes before it, in order; COMMIT keeps them. */
START_TEST(t_deferred_before_read)
{
	struct qj_diag	 d;
	PGresult	*res;

	ck_assert_int_eq(qj_db_begin(db, &d), QJ_OK);
	put(1, "a");
	put(2, "b");
	ck_assert_int_eq(qj_db_exec(db, &res, "SELECT string_agg(v, '' ORDER "
	    "BY id) FROM pipe_t", NULL, &d), QJ_OK);
	ck_assert_str_eq(qj_db_str(res, 0, 0), "ab");
	PQclear(res);
	put(3, "c");
	ck_assert_int_eq(qj_db_commit(db, &d), QJ_OK);
	assert_idle();
	ck_assert_int_eq(count(), 3);
}
END_TEST

/* More than the queue holds: the first ones go out early, none is lost. */
START_TEST(t_deferred_many)
{
	struct qj_diag	d;
	int		i;

	ck_assert_int_eq(qj_db_begin(db, &d), QJ_OK);
	for (i = 1; i <= 100; i++)
		put(i, "x");
	ck_assert_int_eq(qj_db_commit(db, &d), QJ_OK);
	ck_assert_int_eq(count(), 100);
}
END_TEST

/*
 * A deferred write that fails is reported by the next statement sent, with
 * the same error and constraint as when run alone; the statements after it
 * in the pipeline do not run, and the transaction rolls back whole.
 */
START_TEST(t_deferred_error_at_next_read)
{
	struct qj_diag	 d;
	PGresult	*res = NULL;

	ck_assert_int_eq(qj_db_begin(db, &d), QJ_OK);
	put(1, "a");
	put(2, "bad");
	put(3, "c");
	ck_assert_int_eq(qj_db_exec(db, &res, "SELECT 1", NULL, &d),
	    QJ_EINVAL);
	ck_assert_ptr_null(res);
	ck_assert_str_eq(d.type, "constraint-violation");
	ck_assert_str_eq(d.field, "pipe_t_not_bad");
	qj_db_rollback(db);
	assert_idle();
	ck_assert_int_eq(count(), 0);
}
END_TEST

/* COMMIT after a failed deferred write fails, and leaves nothing open. */
START_TEST(t_deferred_error_at_commit)
{
	struct qj_diag	d;

	ck_assert_int_eq(qj_db_begin(db, &d), QJ_OK);
	put(1, "a");
	put(1, "again");
	ck_assert_int_eq(qj_db_commit(db, &d), QJ_ECONFLICT);
	ck_assert_str_eq(d.type, "duplicate");
	assert_idle();
	ck_assert_int_eq(count(), 0);
	/* The connection works on. */
	ck_assert_int_eq(qj_db_begin(db, &d), QJ_OK);
	put(1, "a");
	ck_assert_int_eq(qj_db_commit(db, &d), QJ_OK);
	ck_assert_int_eq(count(), 1);
}
END_TEST

/*
 * A failure met by a call whose error was ignored (a read that carried the
 * failing write) still fails COMMIT: PostgreSQL would answer COMMIT of the
 * failed transaction with a silent ROLLBACK.
 */
START_TEST(t_ignored_failure_fails_commit)
{
	struct qj_diag	d;

	ck_assert_int_eq(qj_db_begin(db, &d), QJ_OK);
	put(1, "bad");
	(void)qj_db_exec(db, NULL, "SELECT 1", NULL, NULL);
	put(2, "b");
	memset(&d, 0, sizeof(d));
	ck_assert_int_eq(qj_db_commit(db, &d), QJ_EINVAL);
	ck_assert_str_eq(d.type, "constraint-violation");
	assert_idle();
	ck_assert_int_eq(count(), 0);
}
END_TEST

/* Rolling back what was never sent sends nothing, BEGIN included. */
START_TEST(t_rollback_unsent)
{
	struct qj_diag	d;

	ck_assert_int_eq(qj_db_begin(db, &d), QJ_OK);
	put(1, "a");
	ck_assert_int_eq(PQtransactionStatus(qj_db_conn(db)), PQTRANS_IDLE);
	qj_db_rollback(db);
	assert_idle();
	ck_assert_int_eq(count(), 0);
	/* A read opens the transaction on the server; rollback ends it. */
	ck_assert_int_eq(qj_db_begin(db, &d), QJ_OK);
	put(2, "b");
	ck_assert_int_eq(count(), 1);
	ck_assert_int_eq(PQtransactionStatus(qj_db_conn(db)), PQTRANS_INTRANS);
	qj_db_rollback(db);
	assert_idle();
	ck_assert_int_eq(count(), 0);
}
END_TEST

static Suite *
pipeline_suite(void)
{
	Suite	*s = suite_create("db_pipeline");
	TCase	*tc = tcase_create("defer");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, t_deferred_before_read);
	tcase_add_test(tc, t_deferred_many);
	tcase_add_test(tc, t_deferred_error_at_next_read);
	tcase_add_test(tc, t_deferred_error_at_commit);
	tcase_add_test(tc, t_ignored_failure_fails_commit);
	tcase_add_test(tc, t_rollback_unsent);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	harness_start();
	sr = srunner_create(pipeline_suite());
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	qj_db_free(db);
	failed += harness_stop();
	return (failed == 0 ? 0 : 1);
}
