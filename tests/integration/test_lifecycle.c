/*
 * test_lifecycle.c: the server under stress of its own lifetime — stopped
 * while requests run, and clients hanging up on running requests.  Runs
 * without forking, because tests here stop and start Kore, which must stay
 * a child of the harness's process.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <check.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/db.h"
#include "tests/lib/harness.h"
#include "tests/lib/http.h"

static void
login_as(struct tclient *c, const char *login)
{
	ck_assert_int_eq(t_login(c, login, demo_password(login)), 201);
}

static void *
login_in_thread(void *arg)
{
	struct tclient	c = { "", "", "" };

	*(long *)arg = t_login(&c, "registrar", demo_password("registrar"));
	t_http_cleanup();
	return (NULL);
}

static long long
log_lines(const char *needle)
{
	char	q[512];

	snprintf(q, sizeof(q), "SELECT count(*) FROM regexp_split_to_table("
	    "pg_read_file('%s/kore.log'), E'\\n') l WHERE strpos(l, '%s') > 0",
	    H.root, needle);
	return (db_int(q));
}

/*
 * A request still running when the server is told to stop (SIGTERM)
 * finishes and commits before the worker unloads the module: Kore does
 * not wait for task threads, and unloading under one crashed the worker
 * (the sanitizer build reports that as a SEGV).  The login is held on a
 * table lock until after the signal.
 */
START_TEST(t_stop_drains_running_requests)
{
	PGconn		*c = qj_db_conn(harness_db());
	PGresult	*res;
	pthread_t	 th;
	long		 status = -1;
	long long	 sessions, drained;
	int		 i;

	sessions = db_int("SELECT count(*) FROM session");
	drained = log_lines("drained ");
	res = PQexec(c, "BEGIN; LOCK TABLE session IN EXCLUSIVE MODE");
	ck_assert_int_eq(PQresultStatus(res), PGRES_COMMAND_OK);
	PQclear(res);
	ck_assert_int_eq(pthread_create(&th, NULL, login_in_thread, &status),
	    0);
	for (i = 0; i < 200; i++) {
		res = PQexec(c, "SELECT count(*) FROM pg_locks WHERE NOT "
		    "granted AND relation = 'session'::regclass");
		ck_assert_int_eq(PQresultStatus(res), PGRES_TUPLES_OK);
		if (atoi(PQgetvalue(res, 0, 0)) > 0) {
			PQclear(res);
			break;
		}
		PQclear(res);
		usleep(50 * 1000);
	}
	ck_assert_msg(i < 200, "the login never waited on the lock");
	kill(H.kore, SIGTERM);
	usleep(500 * 1000);
	res = PQexec(c, "COMMIT");
	ck_assert_int_eq(PQresultStatus(res), PGRES_COMMAND_OK);
	PQclear(res);
	harness_stop_kore();
	pthread_join(th, NULL);
	/* Its transaction committed, though the client saw the connection
	 * close rather than the 201. */
	ck_assert_int_eq(db_int("SELECT count(*) FROM session"), sessions + 1);
	ck_assert_msg(status == 0 || status == 201, "login got %ld", status);
	ck_assert_int_eq(log_lines("drained "), drained + 1);
	ck_assert_int_eq(log_lines("drained 1 running request"), 1);
	harness_start_kore();
}
END_TEST

/* A connected socket to the server with a login request sent on it. */
static int
send_login_raw(const char *login)
{
	struct sockaddr_in	sa;
	char			body[256], req[512];
	int			fd, n;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)H.port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_ge(fd = socket(AF_INET, SOCK_STREAM, 0), 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	snprintf(body, sizeof(body), "{\"login\":\"%s\",\"password\":\"%s\"}",
	    login, demo_password(login));
	n = snprintf(req, sizeof(req), "POST /api/session HTTP/1.1\r\n"
	    "Host: 127.0.0.1\r\nContent-Type: application/json\r\n"
	    "Content-Length: %zu\r\n\r\n%s", strlen(body), body);
	ck_assert_int_eq(write(fd, req, (size_t)n), n);
	return (fd);
}

/*
 * Clients that hang up while their requests run or wait for a task thread
 * do not take the worker down: Kore calls the request's free hook while
 * its task still runs (and again on every pass until it ends), so the
 * task's request and response must outlive the request.  More logins than
 * task threads wait on a table lock; every client hangs up; the lock goes.
 * Each login still completes, and the server keeps answering.
 */
START_TEST(t_client_hangup_during_request)
{
	PGconn		*c = qj_db_conn(harness_db());
	PGresult	*res;
	long long	 sessions;
	int		 fds[40], i, waiting = 0;
	struct tclient	 cl;

	sessions = db_int("SELECT count(*) FROM session");
	res = PQexec(c, "BEGIN; LOCK TABLE session IN EXCLUSIVE MODE");
	ck_assert_int_eq(PQresultStatus(res), PGRES_COMMAND_OK);
	PQclear(res);
	for (i = 0; i < 40; i++)
		fds[i] = send_login_raw("dean");
	/* A worker accepts many connections at once: the eight task threads
	 * of one are stuck on the lock, the other logins queued behind. */
	for (i = 0; i < 600 && waiting < 8; i++) {
		res = PQexec(c, "SELECT count(*) FROM pg_locks WHERE NOT "
		    "granted AND relation = 'session'::regclass");
		ck_assert_int_eq(PQresultStatus(res), PGRES_TUPLES_OK);
		waiting = atoi(PQgetvalue(res, 0, 0));
		PQclear(res);
		usleep(50 * 1000);
	}
	ck_assert_msg(waiting >= 8, "only %d logins waited on the lock",
	    waiting);
	for (i = 0; i < 40; i++)
		close(fds[i]);
	usleep(500 * 1000);
	res = PQexec(c, "COMMIT");
	ck_assert_int_eq(PQresultStatus(res), PGRES_COMMAND_OK);
	PQclear(res);
	for (i = 0; i < 600; i++) {
		if (db_int("SELECT count(*) FROM session") == sessions + 40)
			break;
		usleep(50 * 1000);
	}
	ck_assert_int_eq(db_int("SELECT count(*) FROM session"), sessions + 40);
	for (i = 0; i < 4; i++)
		login_as(&cl, "registrar");
	ck_assert_int_eq(db_int("SELECT count(*) FROM session"), sessions + 44);
}
END_TEST

/* A test that failed half-way may have left the server stopped. */
static void
ensure_kore(void)
{
	if (H.kore == 0)
		harness_start_kore();
}

static Suite *
lifecycle_suite(void)
{
	Suite	*s = suite_create("lifecycle");
	TCase	*tc = tcase_create("server");

	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, NULL, ensure_kore);
	tcase_add_test(tc, t_stop_drains_running_requests);
	tcase_add_test(tc, t_client_hangup_during_request);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	harness_start();
	sr = srunner_create(lifecycle_suite());
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	failed += harness_stop();
	return (failed == 0 ? 0 : 1);
}
