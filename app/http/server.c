/*
 * server.c: the Kore module — the only file that includes Kore headers.
 *
 * One catch-all route hands every request to qj_http(), which copies what
 * the API needs into a struct api_req, runs api_handle() on one of the
 * worker's task threads, and writes the struct api_resp back when the task
 * finishes.  Request code therefore runs plain sequential PostgreSQL
 * transactions on its thread's own connection and never blocks the event
 * loop (guide kore.md section 5: sync pgsql on the loop stalls a worker).
 *
 * Start-up work that touches files or the network (configuration, library
 * initialisation, the schema check) happens in kore_parent_configure(),
 * before the workers fork and install their seccomp filters.
 *
 * A request's work (struct job) lives apart from Kore's request, because
 * Kore frees a request whose client hung up while its task still runs.
 *
 * A stopping worker would unload this module without waiting for its task
 * threads, which would then run unmapped code mid-transaction; so
 * kore_worker_teardown() first lets every started request finish
 * (QUJAT_DRAIN_MS, default 30 s) and then leaves with _exit().  Each
 * transaction commits or rolls back whole; the client sees the connection
 * close and may retry.
 */
#include <sys/queue.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <kore/kore.h>
#include <kore/http.h>
#include <kore/seccomp.h>
#include <kore/tasks.h>

#include "api/api.h"
#include "core/log.h"
#include "core/xmlsafe.h"
#include "store/db.h"
#include "store/migrate.h"

int	qj_http(struct http_request *);
int	qj_worker_init(int);
void	kore_parent_configure(int, char **);
void	kore_worker_teardown(void);
void	kore_parent_teardown(void);

/*
 * The sanitizer runtimes of the test build (build/san/qujat.so, see
 * tests/lib/harness.c) need a few more: thread ids and CPU sets at start,
 * and a pipe to probe memory when a report dumps it.  A refused syscall
 * kills only the calling thread, so a missing entry here hangs the request
 * instead of reporting the error.
 */
#ifdef QJ_TEST
#define SANITIZER_SYSCALLS						\
	KORE_SYSCALL_ALLOW(gettid),					\
	KORE_SYSCALL_ALLOW(sched_getaffinity),				\
	KORE_SYSCALL_ALLOW(pipe2),
#else
#define SANITIZER_SYSCALLS
#endif

/*
 * Syscalls glibc 2.36, libpq, OpenSSL, libxml2 and the task threads need
 * beyond Kore's own allow-list (guide kore.md section 7).
 */
KORE_SECCOMP_FILTER("qujat",
	SANITIZER_SYSCALLS
	KORE_SYSCALL_ALLOW(newfstatat),
	KORE_SYSCALL_DENY(clone3, ENOSYS),	/* glibc falls back to clone */
	KORE_SYSCALL_ALLOW(rseq),
	KORE_SYSCALL_ALLOW(getpeername),
	KORE_SYSCALL_ALLOW(uname),
	KORE_SYSCALL_ALLOW(mkdir),
	KORE_SYSCALL_ALLOW(rename),
	KORE_SYSCALL_ALLOW(fsync),
	KORE_SYSCALL_ALLOW(fdatasync),
	KORE_SYSCALL_ALLOW(fchmod),
	KORE_SYSCALL_ALLOW(chmod),
	KORE_SYSCALL_ALLOW(getdents64),
	KORE_SYSCALL_ALLOW(statx),
	KORE_SYSCALL_ALLOW(sched_yield),
	KORE_SYSCALL_ALLOW(madvise),
	KORE_SYSCALL_ALLOW(renameat2),	/* archive: rename, never replace */
	KORE_SYSCALL_ALLOW(link),	/* ... where renameat2 cannot */
);

/*
 * A request's work, owned apart from the request: Kore frees a request
 * whose client hung up while its task still runs (and calls the free hook
 * on every pass until then), so the task's input and output live here and
 * the job is freed by whichever ends last, the request or the task.
 */
struct job {
	struct kore_task	 task;		/* first: the entry casts back */
	struct http_request	*req;		/* NULL once the request is gone */
	int			 done;		/* the task has finished */
	struct api_req		 in;
	struct api_resp		 out;
	LIST_ENTRY(job)		 jobs;
};

/* This worker's jobs handed to task threads and not yet freed. */
static LIST_HEAD(, job)	jobs = LIST_HEAD_INITIALIZER(jobs);

static const char	*trusted_proxy;	/* QUJAT_TRUSTED_PROXY, or NULL */

/*
 * The deadline timer: every QUJAT_TICK_MS each worker hands api_tick() to
 * a task thread, unless its previous tick is still running.  Workers and
 * hosts claim deadlines with FOR UPDATE SKIP LOCKED, so each fires once.
 */
static struct kore_task	tick_task;
static int		tick_running;

static int
tick_entry(struct kore_task *t)
{
	(void)t;
	(void)api_tick(100);
	return (KORE_RESULT_OK);
}

static void
tick_done(struct kore_task *t)
{
	if (!kore_task_finished(t))
		return;
	kore_task_destroy(t);
	tick_running = 0;
}

static void
tick_timer(void *arg, u_int64_t now)
{
	(void)arg;
	(void)now;
	if (tick_running)
		return;
	tick_running = 1;
	kore_task_create(&tick_task, tick_entry);
	kore_task_bind_callback(&tick_task, tick_done);
	kore_task_run(&tick_task);
}

/*
 * Stops the server before it serves anything.  _exit, not exit: the
 * libraries' exit handlers have nothing to do yet, and under the sanitizer
 * runtime of test builds they deadlock.
 */
static void
refuse(void)
{
	fflush(stderr);
	fflush(stdout);
	_exit(1);
}

void
kore_parent_configure(int argc, char **argv)
{
	struct qj_diag	 d;
	struct qj_db	*db;
	const char	*dsn = getenv("QUJAT_DB");
	int		 version;

	(void)argc;
	(void)argv;
	if (dsn == NULL || *dsn == '\0') {
		fprintf(stderr, "qujat: QUJAT_DB is not set\n");
		refuse();
	}
	qj_xml_init();
	if (api_init() != 0)
		refuse();
	if (qj_db_connect(dsn, &db, &d) != QJ_OK) {
		fprintf(stderr, "qujat: %s\n", d.detail);
		refuse();
	}
	if (qj_migrate_check(db, &version, &d) != QJ_OK) {
		fprintf(stderr, "qujat: refusing to start: %s\n", d.detail);
		qj_db_free(db);
		refuse();
	}
	if (version < qj_migrate_code_version())
		qj_log(QJ_LOG_WARN, "startup", "database schema %d is behind "
		    "code %d; /readyz will fail until `qujat migrate` runs",
		    version, qj_migrate_code_version());
	else if (api_register_definitions(db, &d) != 0) {
		fprintf(stderr, "qujat: refusing to start: %s\n", d.detail);
		qj_db_free(db);
		refuse();
	}
	qj_db_free(db);
	qj_db_set_dsn(dsn);
	trusted_proxy = getenv("QUJAT_TRUSTED_PROXY");
	qj_log(QJ_LOG_INFO, "startup", "schema=%d", version);
}

int
qj_worker_init(int state)
{
	const char	*ms = getenv("QUJAT_TICK_MS");
	long		 interval = ms != NULL ? strtol(ms, NULL, 10) : 1000;

	if (state != KORE_MODULE_LOAD)
		return (KORE_RESULT_OK);
	if (interval < 50 || interval > 3600000)
		interval = 1000;
	kore_timer_add(tick_timer, (u_int64_t)interval, NULL, 0);
	return (KORE_RESULT_OK);
}

static char *
header_dup(struct http_request *req, const char *name)
{
	const char	*v;

	if (!http_request_header(req, name, &v))
		return (NULL);
	return (strdup(v));
}

static enum api_method
map_method(int m)
{
	switch (m) {
	case HTTP_METHOD_GET:
		return (API_GET);
	case HTTP_METHOD_HEAD:
		return (API_HEAD);
	case HTTP_METHOD_POST:
		return (API_POST);
	case HTTP_METHOD_PUT:
		return (API_PUT);
	case HTTP_METHOD_PATCH:
		return (API_PATCH);
	case HTTP_METHOD_DELETE:
		return (API_DELETE);
	default:
		return (API_OTHER);
	}
}

static void
client_address(struct http_request *req, char *out, size_t len)
{
	struct connection	*c = req->owner;
	const char		*real;

	out[0] = '\0';
	if (c->family == AF_INET)
		inet_ntop(AF_INET, &c->addr.ipv4.sin_addr, out, len);
	else if (c->family == AF_INET6)
		inet_ntop(AF_INET6, &c->addr.ipv6.sin6_addr, out, len);
	else
		snprintf(out, len, "unix");
	/* Behind the TLS proxy, believe X-Real-IP from that proxy only. */
	if (trusted_proxy != NULL && strcmp(out, trusted_proxy) == 0 &&
	    http_request_header(req, "x-real-ip", &real) &&
	    strlen(real) < len && strspn(real, "0123456789abcdef.:ABCDEF") ==
	    strlen(real))
		snprintf(out, len, "%s", real);
}

static int
copy_request(struct http_request *req, struct api_req *ar)
{
	ar->method = map_method(req->method);
	ar->path = strdup(req->path);
	if (req->query_string != NULL)
		ar->query = strdup(req->query_string);
	/* After the body is read Kore rewinds the buffer: the length is in
	 * http_body_length, not in the buffer's offset. */
	if (req->http_body != NULL && req->http_body_length > 0) {
		ar->body_len = req->http_body_length;
		if ((ar->body = malloc(ar->body_len + 1)) == NULL)
			return (-1);
		memcpy(ar->body, req->http_body->data, ar->body_len);
		ar->body[ar->body_len] = '\0';
	}
	ar->content_type = header_dup(req, "content-type");
	ar->cookie = header_dup(req, "cookie");
	ar->authorization = header_dup(req, "authorization");
	ar->csrf_token = header_dup(req, "x-csrf-token");
	ar->idempotency_key = header_dup(req, "idempotency-key");
	ar->if_match = header_dup(req, "if-match");
	ar->accept_language = header_dup(req, "accept-language");
	ar->user_agent = header_dup(req, "user-agent");
	ar->request_id_in = header_dup(req, "x-request-id");
	client_address(req, ar->address, sizeof(ar->address));
	return (ar->path == NULL ? -1 : 0);
}

static void
send_response(struct http_request *req, struct api_resp *resp)
{
	int	i;

	for (i = 0; i < resp->nheaders; i++)
		http_response_header(req, resp->hname[i], resp->hvalue[i]);
	http_response_header(req, "x-content-type-options", "nosniff");
	if (resp->content_type != NULL)
		http_response_header(req, "content-type", resp->content_type);
	http_response(req, resp->status, resp->body.data, resp->body.len);
}

static int
job_run(struct kore_task *t)
{
	struct job	*job = (struct job *)t;

	api_handle(&job->in, &job->out);
	return (KORE_RESULT_OK);
}

static void
job_destroy(struct job *job)
{
	LIST_REMOVE(job, jobs);
	kore_task_destroy(&job->task);
	api_req_free(&job->in);
	api_resp_free(&job->out);
	free(job);
}

/* On the event loop, when the task's thread is done with the job. */
static void
job_finished(struct kore_task *t)
{
	struct job	*job = (struct job *)t;

	if (!kore_task_finished(t) || job->done)
		return;
	job->done = 1;
	if (job->req != NULL)
		http_request_wakeup(job->req);
	else
		job_destroy(job);
}

/* The request's free hook: Kore may call it more than once. */
static void
request_gone(struct http_request *req)
{
	struct job	**slot = http_state_get(req), *job;

	if (slot == NULL || (job = *slot) == NULL)
		return;
	*slot = NULL;
	job->req = NULL;
	if (job->done)
		job_destroy(job);
}

int
qj_http(struct http_request *req)
{
	struct job	**slot, *job;
	int		  copied;

	if (!http_state_exists(req)) {
		slot = http_state_create(req, sizeof(*slot), request_gone);
		if ((job = calloc(1, sizeof(*job))) == NULL) {
			http_response(req, 503, NULL, 0);
			return (KORE_RESULT_OK);
		}
		api_resp_init(&job->out);
		copied = copy_request(req, &job->in) == 0;
		if (!copied || api_is_inline(&job->in)) {
			if (copied)
				api_handle(&job->in, &job->out);
			else
				job->out.status = 503;
			send_response(req, &job->out);
			api_req_free(&job->in);
			api_resp_free(&job->out);
			free(job);
			return (KORE_RESULT_OK);
		}
		job->req = req;
		*slot = job;
		LIST_INSERT_HEAD(&jobs, job, jobs);
		kore_task_create(&job->task, job_run);
		kore_task_bind_callback(&job->task, job_finished);
		kore_task_run(&job->task);
		http_request_sleep(req);
		return (KORE_RESULT_RETRY);
	}
	slot = http_state_get(req);
	if ((job = *slot) == NULL || !job->done) {
		http_request_sleep(req);
		return (KORE_RESULT_RETRY);
	}
	send_response(req, &job->out);
	return (KORE_RESULT_OK);
}

/*
 * True once the task's thread has left its entry function: Kore's thread
 * closes the task's write end right after (kore_task_finish), still under
 * the task's lock; only the event loop, which has stopped, would mark it
 * finished.
 */
static int
task_left_module(struct kore_task *t)
{
	int	left;

	pthread_rwlock_rdlock(&t->lock);
	left = t->fds[1] == -1;
	pthread_rwlock_unlock(&t->lock);
	return (left);
}

static int
tasks_in_module(void)
{
	struct job	*job;
	int		 n = 0;

	LIST_FOREACH(job, &jobs, jobs)
		n += !task_left_module(&job->task);
	if (tick_running && !task_left_module(&tick_task))
		n++;
	return (n);
}

void
kore_worker_teardown(void)
{
	const char	*ms = getenv("QUJAT_DRAIN_MS");
	long		 limit = ms != NULL ? strtol(ms, NULL, 10) : 30000;
	struct timespec	 pause = { 0, 10 * 1000 * 1000 };
	long		 waited;
	int		 n, started = tasks_in_module();

	for (waited = 0; (n = tasks_in_module()) > 0 && waited < limit;
	    waited += 10)
		nanosleep(&pause, NULL);
	if (n == 0 && started > 0)
		qj_log(QJ_LOG_INFO, "shutdown", "drained %d running "
		    "request(s) in %ld ms", started, waited);
	else if (n > 0)
		qj_log(QJ_LOG_ERR, "shutdown", "%d request(s) still running "
		    "after %ld ms; their transactions roll back", n, waited);
	/*
	 * Leave now rather than through Kore's cleanup and exit(): with the
	 * module unloaded a thread still inside it would crash, and the
	 * libraries' exit handlers can deadlock against the task threads
	 * (p11-kit's freelocale() waits forever for glibc's locale lock).
	 * Nothing is lost: every acknowledged write is committed.
	 */
	fflush(stdout);
	fflush(stderr);
	_exit(n == 0 ? 0 : 1);
}

/*
 * The parent's last step once every worker has stopped.  It, too, leaves
 * with _exit(): under the sanitizer runtime the libraries' exit handlers
 * deadlock (see kore_worker_teardown), and there is nothing left to flush
 * but the pidfile, which Kore would remove next.
 */
void
kore_parent_teardown(void)
{
	if (kore_pidfile != NULL)
		(void)unlink(kore_pidfile);
	qj_log(QJ_LOG_INFO, "shutdown", "stopped");
	fflush(stdout);
	fflush(stderr);
	_exit(0);
}
