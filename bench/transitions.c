/*
 * transitions.c: the engine's throughput and the inbox's latency, measured
 * through the real HTTP API (bench/transitions runs it).
 *
 * Throughput: CLIENTS threads, each owning an order case in the approval
 * loop, alternate send-for-approval (registrar) and decline (legal, with a
 * reason) for SECONDS: every request is a full transition — session
 * lookup, case row lock and version check, engine decision, audit event
 * appended to the case's hash chain, inbox rows rebuilt, commit.  Printed
 * beside pgbench's simple-update (-N) at the same concurrency against the
 * same database, measured in the same run by the script.
 *
 * Inbox: CASES cases and EVENTS audit events are bulk-loaded (the load
 * bypasses the engine: it only gives the tables a realistic size), then
 * the dean's and the registrar's GET /api/inbox?limit=50 are timed,
 * sequentially, for p50/p99.
 *
 *	build/bench/transitions CLIENTS SECONDS CASES EVENTS
 */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/lib/flowkit.h"
#include "tests/lib/harness.h"
#include "tests/lib/http.h"

struct worker {
	int64_t		 order;
	int		 version;
	int		 seconds;
	struct tclient	 reg, legal;
	long		 done, failed;
};

static double
now_s(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

static void *
loop(void *arg)
{
	struct worker	*w = arg;
	struct tresp	 r;
	char		 path[96], body[160];
	double		 end = now_s() + w->seconds;
	int		 back = 0;

	snprintf(path, sizeof(path), "/api/cases/%lld/transitions",
	    (long long)w->order);
	while (now_s() < end) {
		if (!back)
			snprintf(body, sizeof(body), "{\"event\":\"send-for-"
			    "approval\",\"version\":%d}", w->version);
		else
			snprintf(body, sizeof(body), "{\"event\":\"decline\","
			    "\"version\":%d,\"reason\":\"bench\"}", w->version);
		t_json(back ? &w->legal : &w->reg, "POST", path, body, &r);
		if (r.status == 200) {
			w->version = (int)t_int(&r, "version");
			w->done++;
			back = !back;
		} else
			w->failed++;
		tresp_free(&r);
	}
	return (NULL);
}

/* pgbench simple-update (-N) on the same database, same concurrency. */
static double
pgbench_tps(int clients, int seconds)
{
	char	 cmd[1024], line[256];
	double	 tps = 0;
	FILE	*p;

	snprintf(cmd, sizeof(cmd), "pgbench -h %s/pg/sock -p 5433 -U postgres "
	    "-i -q -s 10 qujat >/dev/null 2>&1", H.root);
	if (system(cmd) != 0)
		return (0);
	snprintf(cmd, sizeof(cmd), "pgbench -h %s/pg/sock -p 5433 -U postgres "
	    "-N -c %d -j 2 -T %d qujat 2>/dev/null", H.root, clients, seconds);
	if ((p = popen(cmd, "r")) == NULL)
		return (0);
	while (fgets(line, sizeof(line), p) != NULL)
		if (strncmp(line, "tps = ", 6) == 0)
			tps = atof(line + 6);
	pclose(p);
	return (tps);
}

static int
cmp_double(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return (x < y ? -1 : x > y);
}

static void
inbox_latency(const char *login, int n)
{
	struct tclient	 c;
	struct tresp	 r;
	double		*t = malloc(sizeof(double) * (size_t)n), t0;
	long		 items = 0;
	int		 i;

	kit_login_as(&c, login);
	for (i = 0; i < 20; i++) {	/* warm the caches */
		t_json(&c, "GET", "/api/inbox?limit=50", NULL, &r);
		tresp_free(&r);
	}
	for (i = 0; i < n; i++) {
		t0 = now_s();
		t_json(&c, "GET", "/api/inbox?limit=50", NULL, &r);
		t[i] = (now_s() - t0) * 1000;
		if (r.status != 200)
			fprintf(stderr, "inbox: %ld %s\n", r.status, r.body);
		items = (long)json_array_size(json_object_get(r.json, "items"));
		tresp_free(&r);
	}
	qsort(t, (size_t)n, sizeof(double), cmp_double);
	printf("inbox %-10s items=%ld  p50 %.2f ms  p99 %.2f ms  max %.2f ms\n",
	    login, items, t[n / 2], t[n * 99 / 100], t[n - 1]);
	free(t);
}

/* Gives the tables a realistic size; the engine never sees these rows. */
static void
bulk_load(long cases, long events)
{
	char	sql[2048];
	double	t0 = now_s();

	snprintf(sql, sizeof(sql),
	    "SET session_replication_role = replica; "
	    "INSERT INTO wf_case (workflow, wf_version, unit_id, unit_path, "
	    "applicant_id, state, version, vars, created_at, updated_at) "
	    "SELECT 'academic-leave', 1, u.id, u.path, "
	    "(SELECT id FROM person WHERE login = 'applicant2'), "
	    "(ARRAY['dean-review','registrar-check','on-leave'])[1 + g %% 3], "
	    "2, '{}', now(), now() FROM generate_series(1, %ld) g, unit u "
	    "WHERE u.code = 'fpe'; "
	    "INSERT INTO case_pending (case_id, role, scope_unit, event, "
	    "due_at, since) SELECT c.id, CASE c.state WHEN 'dean-review' THEN "
	    "'dean_office' ELSE 'registrar' END, s.unit, 'approve', "
	    "now() + (c.id %% 1000) * interval '1 hour', now() FROM wf_case c, "
	    "LATERAL (SELECT id AS unit FROM unit WHERE code IN ('univ', "
	    "'fpe')) s WHERE c.state IN ('dean-review', 'registrar-check') "
	    "AND c.applicant_id = (SELECT id FROM person WHERE login = "
	    "'applicant2'); "
	    "INSERT INTO audit_event (stream, seq, case_id, at, actor_id, "
	    "actor_login, action, state_before, state_after, prev_hash, hash) "
	    "SELECT 'case:' || c.id, s, c.id, now(), NULL, 'system', 'bulk', "
	    "NULL, NULL, lpad(to_hex(s - 1), 64, '0'), "
	    "encode(sha256(convert_to(c.id || ':' || s, 'UTF8')), 'hex') "
	    "FROM (SELECT id FROM wf_case ORDER BY id DESC LIMIT %ld) c, "
	    "generate_series(1, 10) s; "
	    "SET session_replication_role = origin; ANALYZE;",
	    cases, events / 10);
	db_run(sql);
	printf("loaded %ld cases, %lld pending rows, %lld audit events in "
	    "%.0f s\n", cases, (long long)db_int("SELECT count(*) FROM "
	    "case_pending"), (long long)db_int("SELECT count(*) FROM "
	    "audit_event"), now_s() - t0);
}

static int	clients = 32, seconds = 20;
static long	cases = 1000000, events = 10000000;

/*
 * The bench runs as a Check test so that the shared workflow steps
 * (tests/lib/flowkit), which assert with Check, can be used as they are.
 */
START_TEST(bench)
{
	struct tclient	 app, dean, reg;
	struct worker	*w;
	pthread_t	*th;
	long		 total = 0, failed = 0;
	int64_t		 id;
	int		 i;

	kit_login_as(&app, "applicant");
	kit_login_as(&dean, "dean");
	kit_login_as(&reg, "registrar");
	w = calloc((size_t)clients, sizeof(*w));
	th = calloc((size_t)clients, sizeof(*th));
	for (i = 0; i < clients; i++) {
		id = kit_open_leave(&app, "medical", "2026-12-01",
		    "2027-02-01");
		kit_approve_leave(&app, &dean, &reg, id);
		w[i].order = kit_draft_order(&reg, &id, 1);
		w[i].seconds = seconds;
		kit_login_as(&w[i].reg, "registrar");
		kit_login_as(&w[i].legal, "legal");
	}
	for (i = 0; i < clients; i++) {
		struct tresp r;
		char path[64];

		snprintf(path, sizeof(path), "/api/cases/%lld",
		    (long long)w[i].order);
		t_json(&w[i].reg, "GET", path, NULL, &r);
		w[i].version = (int)t_int(&r, "version");
		tresp_free(&r);
	}
	for (i = 0; i < clients; i++)
		pthread_create(&th[i], NULL, loop, &w[i]);
	for (i = 0; i < clients; i++) {
		pthread_join(th[i], NULL);
		total += w[i].done;
		failed += w[i].failed;
	}
	printf("transitions %d clients %d s: %ld ok, %ld failed, %.1f/s\n",
	    clients, seconds, total, failed, (double)total / seconds);
	fflush(stdout);
	{
		double tps = pgbench_tps(clients, seconds);

		printf("pgbench simple-update %d clients %d s: %.1f tps\n",
		    clients, seconds, tps);
		printf("ratio transitions/pgbench: %.2f (goal >= 0.50) %s\n",
		    tps > 0 ? total / seconds / tps : 0, tps > 0 &&
		    total / seconds / tps >= 0.5 ? "met" : "MISSED");
		fflush(stdout);
	}
	if (cases > 0) {
		bulk_load(cases, events);
		inbox_latency("dean", 1000);
		inbox_latency("registrar", 1000);
	}
	free(w);
	free(th);
}
END_TEST

int
main(int argc, char **argv)
{
	Suite	*s = suite_create("bench");
	TCase	*tc = tcase_create("transitions");
	SRunner	*sr;
	int	 failed;

	if (argc > 1)
		clients = atoi(argv[1]);
	if (argc > 2)
		seconds = atoi(argv[2]);
	if (argc > 3)
		cases = atol(argv[3]);
	if (argc > 4)
		events = atol(argv[4]);
	tcase_set_timeout(tc, 7200);
	tcase_add_test(tc, bench);
	suite_add_tcase(s, tc);
	harness_start();
	printf("dsn: %s\n", H.dsn);
	fflush(stdout);
	sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_SILENT);
	failed = srunner_ntests_failed(sr);
	if (failed)
		srunner_print(sr, CK_VERBOSE);
	srunner_free(sr);
	failed += harness_stop();
	return (failed ? 1 : 0);
}
