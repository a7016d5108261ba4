/*
 * harness.c: see harness.h.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <curl/curl.h>

#include "tests/lib/harness.h"
#include "tests/lib/http.h"
#include "store/migrate.h"

struct harness H;

static struct qj_db	*test_db;

static void
die(const char *fmt, const char *arg)
{
	fprintf(stderr, "harness: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	harness_stop();
	exit(2);
}

static int
run(const char *cmd)
{
	int	st = system(cmd);

	return (WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

static int
free_port(void)
{
	struct sockaddr_in	sa;
	socklen_t		len = sizeof(sa);
	int			fd, port;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return (-1);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
		close(fd);
		return (-1);
	}
	port = ntohs(sa.sin_port);
	close(fd);
	return (port);
}

/*
 * With QUJAT_HARNESS_SAN=1 the server module is the sanitizer build
 * (build/san/qujat.so) and the ASan and UBSan runtimes are preloaded into
 * Kore, so memory errors in request code fail the tests too.  Leak
 * checking stays off in the server: LeakSanitizer stops the world with
 * ptrace, which Kore's seccomp sandbox refuses; so does symbolizing, which
 * runs a helper process (symbolize=0 keeps the report itself alive).
 */
static int
san_server(void)
{
	const char	*v = getenv("QUJAT_HARNESS_SAN");

	return (v != NULL && strcmp(v, "1") == 0);
}

/*
 * Writes a Kore configuration for `port` with paths inside `dir`; the
 * pidfile and access log are named after `name` ("kore": kore.pid).
 */
static void
write_conf_named(const char *dir, int port, const char *path,
    const char *name)
{
	char	 cwd[512];
	FILE	*f;

	if (getcwd(cwd, sizeof(cwd)) == NULL || (f = fopen(path, "w")) == NULL)
		die("cannot write %s", path);
	fprintf(f,
	    "server plain {\n\tbind 127.0.0.1 %d\n\ttls no\n}\n"
	    "load %s/build/%s/qujat.so qj_worker_init\n"
	    "workers 2\nworker_max_connections 512\n"
	    "worker_death_policy restart\n%s"
	    "pidfile %s/%s.pid\nhttp_body_max 12582912\n"
	    "http_server_version qujat\ntask_threads %d\n"
	    "domain * {\n\tattach plain\n\taccesslog %s/%s%s.log\n"
	    "\troute ^/ qj_http\n}\n", port, cwd, san_server() ? "san" : ".",
	    /* QUJAT_HARNESS_SECCOMP_TRACE=1 logs (and allows) syscalls the
	     * sandbox would refuse: for finding what to allow. */
	    getenv("QUJAT_HARNESS_SECCOMP_TRACE") ? "seccomp_tracing yes\n" :
	    "",
	    dir, name,
	    getenv("QUJAT_HARNESS_THREADS") ? atoi(getenv(
	    "QUJAT_HARNESS_THREADS")) : 8, dir,
	    strcmp(name, "kore") == 0 ? "access" : name,
	    strcmp(name, "kore") == 0 ? "" : "-access");
	fclose(f);
}

static void
write_conf(const char *dir, int port, const char *path)
{
	write_conf_named(dir, port, path, "kore");
}

/* Starts Kore; `env` adds "NAME=value" strings (NULL-terminated, or NULL). */
static pid_t
spawn_kore_env(const char *conf, const char *dsn, const char *log,
    const char *const *env)
{
	char	 cwd[512], name[128];
	pid_t	 pid;
	int	 fd;
	size_t	 n;

	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return (-1);
	if ((pid = fork()) != 0)
		return (pid);
	/* Its own process group, so that stopping it reaches the workers. */
	setpgid(0, 0);
	if ((fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644)) >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
		close(fd);
	}
	setenv("QUJAT_DB", dsn, 1);
	setenv("QUJAT_HOME", cwd, 1);
	setenv("QUJAT_VAR", H.root, 1);
	/* Benchmarks run without the per-request test-clock query. */
	if (getenv("QUJAT_HARNESS_REAL_CLOCK") == NULL)
		setenv("QUJAT_TEST_CLOCK", "1", 1);
	setenv("QUJAT_TRUSTED_PROXY", "127.0.0.1", 1);
	setenv("QUJAT_THROTTLE_ADDRESS", "30", 1);
	setenv("QUJAT_TICK_MS", "200", 1);
	for (; env != NULL && *env != NULL; env++) {
		n = strcspn(*env, "=");
		if ((*env)[n] == '=' && n < sizeof(name)) {
			snprintf(name, sizeof(name), "%.*s", (int)n, *env);
			setenv(name, *env + n + 1, 1);
		}
	}
	if (san_server()) {
		const char	*pre = getenv("QUJAT_HARNESS_SAN_PRELOAD");

		/* tools/test.sh asks the compiler where its runtimes are. */
		setenv("LD_PRELOAD", pre != NULL ? pre :
		    "/usr/lib/gcc/x86_64-linux-gnu/12/libasan.so "
		    "/usr/lib/gcc/x86_64-linux-gnu/12/libubsan.so", 1);
		setenv("ASAN_OPTIONS", "detect_leaks=0:abort_on_error=0:"
		    "halt_on_error=1:symbolize=0", 1);
	}
	execlp("kore", "kore", "-f", "-n", "-r", "-c", conf, (char *)NULL);
	_exit(127);
}

static pid_t
spawn_kore(const char *conf, const char *dsn, const char *log)
{
	return (spawn_kore_env(conf, dsn, log, NULL));
}

static size_t
discard(void *p, size_t sz, size_t n, void *u)
{
	(void)p;
	(void)u;
	return (sz * n);
}

static int
healthy_at(const char *base)
{
	CURL	*c = curl_easy_init();
	char	 url[128];
	long	 code = 0;

	snprintf(url, sizeof(url), "%s/readyz", base);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 1000L);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(c);
	return (code == 200);
}

static int
healthy(void)
{
	return (healthy_at(H.base));
}

void
harness_start(void)
{
	const char	*parent = getenv("QUJAT_TEST_ROOT");
	struct qj_diag	 d;
	char		 cmd[1024], conf[320];
	int		 applied;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	snprintf(H.root, sizeof(H.root), "%s/it-XXXXXX",
	    parent != NULL ? parent : "/tmp");
	if (parent != NULL)
		mkdir(parent, 0755);
	if (mkdtemp(H.root) == NULL)
		die("mkdtemp %s failed", H.root);
	chmod(H.root, 0755);
	snprintf(cmd, sizeof(cmd), "sh tools/pg.sh start %s/pg", H.root);
	if (run(cmd) != 0)
		die("%s failed", cmd);
	snprintf(H.dsn, sizeof(H.dsn),
	    "host=%s/pg/sock port=5433 dbname=qujat user=postgres", H.root);
	if (qj_db_connect(H.dsn, &test_db, &d) != QJ_OK ||
	    qj_migrate_apply(test_db, &applied, &d) != QJ_OK)
		die("migrate: %s", d.detail);
	snprintf(cmd, sizeof(cmd), "QUJAT_DB='%s' bin/qujat seed-demo "
	    "--people tools/demo-people.tsv --out %s/demo-users.txt "
	    ">/dev/null", H.dsn, H.root);
	if (run(cmd) != 0)
		die("%s failed", cmd);
	if ((H.port = free_port()) < 0)
		die("no free port%s", "");
	snprintf(H.base, sizeof(H.base), "http://127.0.0.1:%d", H.port);
	snprintf(conf, sizeof(conf), "%s/kore.conf", H.root);
	write_conf(H.root, H.port, conf);
	harness_start_kore();
}

void
harness_start_kore(void)
{
	char	conf[320], log[320];
	int	i;

	snprintf(conf, sizeof(conf), "%s/kore.conf", H.root);
	snprintf(log, sizeof(log), "%s/kore.log", H.root);
	if ((H.kore = spawn_kore(conf, H.dsn, log)) < 0)
		die("fork failed%s", "");
	for (i = 0; i < 100 && !healthy(); i++)
		usleep(100 * 1000);
	if (i == 100)
		die("Kore did not become ready; see %s", log);
}

/* Kore instances that did not stop cleanly: harness_stop() counts them. */
static int	unclean_stops;

/*
 * Stops a Kore started by spawn_kore(): SIGTERM, then up to 10 s for the
 * parent and its workers to leave.  One that hangs (or dies of a signal)
 * is a bug: it is killed with its whole process group and counted.
 */
static void
stop_kore_pid(pid_t pid)
{
	int	i, st = 0;

	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	for (i = 0; i < 200; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			break;
		usleep(50 * 1000);
	}
	/* Workers stop before their parent; none may be left behind. */
	if (i == 200 || kill(-pid, 0) == 0 || !WIFEXITED(st)) {
		fprintf(stderr, "harness: Kore %d did not stop cleanly "
		    "(%s)\n", (int)pid, i == 200 ? "still running after 10 s" :
		    !WIFEXITED(st) ? "killed by a signal" : "workers left");
		unclean_stops++;
		kill(-pid, SIGKILL);
		if (i == 200)
			waitpid(pid, &st, 0);
	}
}

void
harness_stop_kore(void)
{
	stop_kore_pid(H.kore);
	H.kore = 0;
}

void
harness_restart_kore(void)
{
	harness_stop_kore();
	harness_start_kore();
}

/*
 * Prints every sanitizer report the servers wrote into their logs in the
 * test directory and returns how many there were.  A report kills the
 * request that made it, but a test expecting an error status could still
 * pass; this makes the binary fail anyway.
 */
static int
server_sanitizer_reports(void)
{
	char	 cmd[1024];
	FILE	*p;
	char	 line[1024];
	int	 n = 0;

	snprintf(cmd, sizeof(cmd), "grep -h -A40 -e 'runtime error:' "
	    "-e 'ERROR: AddressSanitizer' %s/*.log 2>/dev/null", H.root);
	if ((p = popen(cmd, "r")) == NULL)
		return (0);
	while (fgets(line, sizeof(line), p) != NULL) {
		if (strstr(line, "runtime error:") != NULL ||
		    strstr(line, "ERROR: AddressSanitizer") != NULL)
			n++;
		fprintf(stderr, "server: %s", line);
	}
	pclose(p);
	if (n > 0)
		fprintf(stderr, "harness: %d sanitizer report(s) from the "
		    "server (frames are unsymbolized, the sandbox forbids "
		    "the symbolizer: addr2line -fe build/san/qujat.so "
		    "<offset>)\n", n);
	return (n);
}

int
harness_stop(void)
{
	char	cmd[1024];
	int	reports = 0;

	t_http_cleanup();
	harness_stop_kore();
	if (test_db != NULL) {
		qj_db_free(test_db);
		test_db = NULL;
	}
	reports = unclean_stops;
	unclean_stops = 0;
	if (H.root[0] != '\0') {
		reports += server_sanitizer_reports();
		snprintf(cmd, sizeof(cmd), "sh tools/pg.sh stop %s/pg", H.root);
		(void)run(cmd);
		if (getenv("QUJAT_KEEP_TEST_DIR") == NULL) {
			snprintf(cmd, sizeof(cmd), "rm -rf %s", H.root);
			(void)run(cmd);
		} else
			fprintf(stderr, "harness: kept %s\n", H.root);
		H.root[0] = '\0';
	}
	return (reports);
}

const char *
demo_password(const char *login)
{
	static char	pw[64];
	char		path[320], line[512], *tab;
	FILE		*f;

	snprintf(path, sizeof(path), "%s/demo-users.txt", H.root);
	if ((f = fopen(path, "r")) == NULL)
		return (NULL);
	while (fgets(line, sizeof(line), f) != NULL) {
		if ((tab = strchr(line, '\t')) == NULL)
			continue;
		*tab = '\0';
		if (strcmp(line, login) == 0) {
			snprintf(pw, sizeof(pw), "%.*s",
			    (int)strcspn(tab + 1, "\t\n"), tab + 1);
			fclose(f);
			return (pw);
		}
	}
	fclose(f);
	return (NULL);
}

struct qj_db *
harness_db(void)
{
	struct qj_diag	d;

	if (test_db == NULL && qj_db_connect(H.dsn, &test_db, &d) != QJ_OK)
		die("db: %s", d.detail);
	return (test_db);
}

int64_t
db_int(const char *sql)
{
	PGresult	*res;
	struct qj_diag	 d;
	int64_t		 v;

	if (qj_db_script(harness_db(), "SELECT 1", &d) != QJ_OK)
		die("db: %s", d.detail);
	res = PQexec(qj_db_conn(harness_db()), sql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		fprintf(stderr, "db_int(%s): %s\n", sql,
		    PQresultErrorMessage(res));
		PQclear(res);
		ck_abort_msg("db_int(%s) returned no single row", sql);
	}
	v = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return (v);
}

void
db_run(const char *sql)
{
	struct qj_diag	d;

	if (qj_db_script(harness_db(), sql, &d) != QJ_OK)
		ck_abort_msg("db_run(%s): %s", sql, d.detail);
}

int
kore_exit_status(const char *dsn, int wait_ms, char *log, size_t loglen)
{
	char	 conf[320], logpath[320];
	pid_t	 pid;
	int	 st, i, port = free_port();
	FILE	*f;
	size_t	 n;

	snprintf(conf, sizeof(conf), "%s/kore-other.conf", H.root);
	snprintf(logpath, sizeof(logpath), "%s/kore-other.log", H.root);
	unlink(logpath);
	write_conf(H.root, port, conf);
	/* Give the second instance its own pidfile. */
	{
		char	 cmd[1600];

		snprintf(cmd, sizeof(cmd), "sed -i 's#%s/kore.pid#%s/kore2.pid#' "
		    "%s", H.root, H.root, conf);
		(void)run(cmd);
	}
	if ((pid = spawn_kore(conf, dsn, logpath)) < 0)
		return (-2);
	for (i = 0; i < wait_ms / 50; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			break;
		usleep(50 * 1000);
	}
	if (i == wait_ms / 50) {
		kill(pid, SIGTERM);
		waitpid(pid, &st, 0);
		st = -1;
	} else
		st = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
	if (log != NULL && loglen > 0 && (f = fopen(logpath, "r")) != NULL) {
		n = fread(log, 1, loglen - 1, f);
		log[n] = '\0';
		fclose(f);
	}
	return (st);
}

pid_t
harness_start_extra_kore(const char *const *env, int wait_ms, char *base,
    size_t baselen, char *log, size_t loglen)
{
	char	 conf[320], logpath[320], name[32];
	pid_t	 pid;
	int	 i, st, port = free_port();
	FILE	*f;
	size_t	 n;

	if (port < 0)
		return (-1);
	snprintf(name, sizeof(name), "kore-%d", port);
	snprintf(conf, sizeof(conf), "%s/%s.conf", H.root, name);
	snprintf(logpath, sizeof(logpath), "%s/%s.log", H.root, name);
	write_conf_named(H.root, port, conf, name);
	snprintf(base, baselen, "http://127.0.0.1:%d", port);
	if ((pid = spawn_kore_env(conf, H.dsn, logpath, env)) < 0)
		return (-1);
	for (i = 0; i < wait_ms / 100; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid) {
			pid = -1;
			break;
		}
		if (healthy_at(base))
			break;
		usleep(100 * 1000);
	}
	if (pid > 0 && i == wait_ms / 100) {
		harness_stop_extra_kore(pid);
		pid = -1;
	}
	if (pid < 0 && log != NULL && loglen > 0 &&
	    (f = fopen(logpath, "r")) != NULL) {
		n = fread(log, 1, loglen - 1, f);
		log[n] = '\0';
		fclose(f);
	}
	return (pid);
}

void
harness_stop_extra_kore(pid_t pid)
{
	stop_kore_pid(pid);
}
