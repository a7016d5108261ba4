/*
 * harness.h: a throwaway Qujat for integration tests.
 *
 * harness_start() makes a temporary directory (under $QUJAT_TEST_ROOT when
 * set, so tools/test.sh can clean up after a crash), starts a private
 * PostgreSQL in it, migrates and seeds the demo university, and starts a
 * real Kore with build/qujat.so (build/san/qujat.so, the sanitizer build,
 * under QUJAT_HARNESS_SAN=1) on a free loopback port with the test clock
 * enabled.  harness_stop() stops both, removes the directory and returns
 * the number of sanitizer reports the server logged plus the Kore
 * instances that did not stop cleanly (hung, crashed, or left a worker
 * behind): count them as failures.  Call both from main(), around
 * srunner_run_all().  In fork mode the tests' children share the one
 * server; a test that stops or restarts Kore needs CK_NOFORK, since Kore
 * must stay a child of the process that started it.
 */
#ifndef QJ_TEST_HARNESS_H
#define QJ_TEST_HARNESS_H

#include <stdint.h>
#include <sys/types.h>

#include "store/db.h"

struct harness {
	char	root[256];	/* temporary directory */
	char	dsn[512];	/* libpq DSN of the test database */
	int	port;		/* Kore's port */
	pid_t	kore;		/* Kore's parent process */
	char	base[64];	/* "http://127.0.0.1:<port>" */
};

extern struct harness H;

void		 harness_start(void);
int		 harness_stop(void);
/* Stops Kore (SIGTERM) and starts it again on the same port and database. */
void		 harness_restart_kore(void);
/* Stops Kore only (the database stays up); harness_start_kore() again. */
void		 harness_stop_kore(void);
void		 harness_start_kore(void);

/* The demo password of `login` (from seed-demo's output). */
const char	*demo_password(const char *login);

/* A direct database connection for assertions (opened on first use). */
struct qj_db	*harness_db(void);
/* The single integer a query returns (e.g. "SELECT count(*) FROM x"). */
int64_t		 db_int(const char *sql);
/* Runs a statement; aborts the test on failure. */
void		 db_run(const char *sql);

/*
 * Starts another Kore against `dsn` and returns its exit status if it exits
 * within `wait_ms`, or -1 if it is still running (then it is killed).
 */
int		 kore_exit_status(const char *dsn, int wait_ms, char *log,
		    size_t loglen);

/*
 * Starts one more Kore on the harness database, on a free port, with `env`
 * ("NAME=value" strings, NULL-terminated; NULL for none) added to the
 * environment harness_start() gives Kore, e.g. another QUJAT_TRUST_CRLS.
 * Waits up to `wait_ms` for /readyz.  Returns its pid and fills `base`
 * ("http://127.0.0.1:<port>"); -1 when it exited or did not become ready
 * (it is stopped then) and, if `log` is not NULL, the start of its log.
 * Stop it with harness_stop_extra_kore().
 */
pid_t		 harness_start_extra_kore(const char *const *env, int wait_ms,
		    char *base, size_t baselen, char *log, size_t loglen);
void		 harness_stop_extra_kore(pid_t);

#endif
