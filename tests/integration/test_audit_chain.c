/*
 * test_audit_chain.c: the audit log end to end — account administration over
 * HTTP produces a verifying "accounts" chain; the database refuses edits;
 * a row tampered with by the superuser, or the last event deleted, is
 * reported with its stream and seq by GET /api/audit/verify and by `qujat
 * verify-audit`; 50 concurrent appends to one stream get seq 1..50; who may
 * read a case's events.
 *
 * Tests run in order in forked children against one server and database;
 * each one that tampers restores what it changed before it ends, so the
 * "every stream" checks of later tests see only their own damage.
 */
#include <sys/wait.h>

#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/audit.h"
#include "store/audit.h"
#include "tests/lib/harness.h"
#include "tests/lib/http.h"

#define T0		1767225600000000LL	/* 2026-01-01T00:00:00Z */
#define NTHREADS	50
#define DOC_A	"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
#define DOC_B	"60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752"

static void
login_as(struct tclient *c, const char *login)
{
	memset(c, 0, sizeof(*c));
	ck_assert_int_eq(t_login(c, login, demo_password(login)), 201);
}

/* Runs SQL as the superuser with the audit triggers switched off. */
static void
tamper(const char *sql)
{
	char	buf[2048];

	snprintf(buf, sizeof(buf), "BEGIN; SET LOCAL session_replication_role "
	    "= replica; %s; COMMIT", sql);
	db_run(buf);
}

/* 1 when `sql` fails (the database refused it). */
static int
refused(const char *sql)
{
	PGresult	*res;
	int		 st;

	(void)db_int("SELECT 1");	/* opens the connection */
	res = PQexec(qj_db_conn(harness_db()), sql);
	st = PQresultStatus(res);
	PQclear(res);
	return (st == PGRES_FATAL_ERROR);
}

/* A case of the demo faculty whose applicant is `applicant`. */
static int64_t
make_case(void)
{
	db_run("INSERT INTO workflow_def (id, version, sha256, source) VALUES "
	    "('audit-test', 1, repeat('0', 64), 'x') ON CONFLICT DO NOTHING");
	return (db_int("INSERT INTO wf_case (workflow, wf_version, unit_id, "
	    "unit_path, applicant_id, state, created_at, updated_at) SELECT "
	    "'audit-test', 1, u.id, u.path, p.id, 'submitted', now(), now() "
	    "FROM unit u, person p WHERE u.code = 'fpe' AND p.login = "
	    "'applicant' RETURNING id"));
}

static struct qj_db *
connect_db(void)
{
	struct qj_db	*db;
	struct qj_diag	 d;

	ck_assert_msg(qj_db_connect(H.dsn, &db, &d) == QJ_OK, "%s", d.detail);
	return (db);
}

/* Appends one event in its own transaction; returns the error. */
static enum qj_err
append1(struct qj_db *db, const struct audit_in *in, char hash[65])
{
	struct qj_diag	d;
	enum qj_err	err;

	if ((err = qj_db_begin(db, &d)) == QJ_OK &&
	    (err = audit_append(db, in, hash, &d)) == QJ_OK)
		err = qj_db_commit(db, &d);
	if (err != QJ_OK) {
		fprintf(stderr, "append: %s\n", d.detail);
		qj_db_rollback(db);
	}
	return (err);
}

static const char *const docs_ab[] = { DOC_A, DOC_B };

/* Event i (1-based) of the test streams: fields known to the test. */
static void
event_in(struct audit_in *in, const char *stream, int i)
{
	static char	detail[64];

	memset(in, 0, sizeof(*in));
	in->stream = stream;
	in->at = T0 + i * 1000001LL;
	in->action = i % 2 ? "transition.submit" : "transition.review";
	in->state_before = "draft";
	in->state_after = "submitted";
	in->docs = docs_ab;
	in->ndocs = (size_t)(i % 3);
	in->request_id = "req-test";
	in->address = "192.0.2.7";
	snprintf(detail, sizeof(detail), "{\"i\": %d, \"note\": \"шаг\"}", i);
	in->detail = detail;
}

static void
append_events(const char *stream, int n)
{
	struct qj_db	*db = connect_db();
	struct audit_in	 in;
	int		 i;

	for (i = 1; i <= n; i++) {
		event_in(&in, stream, i);
		ck_assert_int_eq(append1(db, &in, NULL), QJ_OK);
	}
	qj_db_free(db);
}

/* GET /api/audit/verify?<query> as `c`; returns the status. */
static long
verify_api(struct tclient *c, const char *query, struct tresp *r)
{
	char	path[256];

	snprintf(path, sizeof(path), "/api/audit/verify?%s", query);
	return (t_json(c, "GET", path, NULL, r));
}

static long long
broken_seq(const struct tresp *r)
{
	return (json_integer_value(json_object_get(json_object_get(r->json,
	    "first_broken"), "seq")));
}

static const char *
broken_reason(const struct tresp *r)
{
	const char	*s = json_string_value(json_object_get(json_object_get(
	    r->json, "first_broken"), "reason"));

	return (s != NULL ? s : "");
}

/* Runs `bin/qujat verify-audit ARGS`; its output into out; exit status. */
static int
cli(const char *args, char *out, size_t outlen)
{
	char	 cmd[1024];
	FILE	*p;
	size_t	 n;
	int	 st;

	snprintf(cmd, sizeof(cmd), "bin/qujat verify-audit --db '%s' %s 2>&1",
	    H.dsn, args);
	ck_assert_ptr_nonnull(p = popen(cmd, "r"));
	n = fread(out, 1, outlen - 1, p);
	out[n] = '\0';
	st = pclose(p);
	return (WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

static int
count_lines_with(const char *text, const char *needle)
{
	int	n = 0;

	while ((text = strstr(text, needle)) != NULL) {
		n++;
		text += strlen(needle);
	}
	return (n);
}

/* Verifies every stream through the store; the number of broken ones. */
static long long
all_broken(struct audit_verify *first)
{
	struct audit_summary	 s;
	struct qj_diag		 d;
	struct qj_db		*db = connect_db();

	ck_assert_int_eq(audit_verify_all(db, NULL, NULL, &s, &d), QJ_OK);
	qj_db_free(db);
	if (first != NULL)
		*first = s.first;
	return (s.broken);
}

/* --- account administration ---------------------------------------------- */

START_TEST(t_accounts_chain)
{
	struct tclient	admin, aud, dean;
	struct tresp	r;
	char		body[512], path[128], rid[64], out[4096];
	long long	pid, gid, before, fpe;

	before = db_int("SELECT count(*) FROM audit_event WHERE stream = "
	    "'accounts'");
	fpe = db_int("SELECT id FROM unit WHERE code = 'fpe'");
	login_as(&admin, "admin");
	snprintf(body, sizeof(body), "{\"iin\":\"950615310008\",\"login\":"
	    "\"audited\",\"name_kk\":\"А\",\"name_ru\":\"А\",\"name_en\":\"A\","
	    "\"home_unit_id\":%lld}", fpe);
	ck_assert_int_eq(t_json(&admin, "POST", "/api/admin/people", body, &r),
	    201);
	pid = t_int(&r, "id");
	ck_assert_ptr_nonnull(t_header(&r, "X-Request-Id", rid, sizeof(rid)));
	tresp_free(&r);
	snprintf(path, sizeof(path), "/api/admin/people/%lld", pid);
	ck_assert_int_eq(t_json(&admin, "PATCH", path, "{\"name_en\":\"B\","
	    "\"password\":\"secret-pass-1234\"}", &r), 200);
	tresp_free(&r);
	snprintf(path, sizeof(path), "/api/admin/people/%lld/roles", pid);
	snprintf(body, sizeof(body), "{\"role\":\"dean_office\",\"unit_id\":"
	    "%lld}", fpe);
	ck_assert_int_eq(t_json(&admin, "POST", path, body, &r), 201);
	gid = t_int(&r, "grant_id");
	tresp_free(&r);
	/* A refused grant (already active) records nothing. */
	ck_assert_int_eq(t_json(&admin, "POST", path, body, &r), 409);
	tresp_free(&r);
	snprintf(path, sizeof(path), "/api/admin/people/%lld/roles/%lld", pid,
	    gid);
	ck_assert_int_eq(t_json(&admin, "DELETE", path, NULL, &r), 204);
	tresp_free(&r);

	ck_assert_int_eq(db_int("SELECT count(*) FROM audit_event WHERE "
	    "stream = 'accounts'"), before + 4);
	snprintf(body, sizeof(body), "SELECT count(*) FROM audit_event e JOIN "
	    "person p ON p.id = e.actor_id WHERE e.stream = 'accounts' AND "
	    "e.seq > %lld AND p.login = 'admin' AND e.actor_login = 'admin' "
	    "AND e.address IS NOT NULL AND e.action = (ARRAY['person.create', "
	    "'person.update', 'role.grant', 'role.revoke'])[e.seq - %lld] AND "
	    "(e.detail->>'person_id')::bigint = %lld", before, before, pid);
	ck_assert_int_eq(db_int(body), 4);
	snprintf(body, sizeof(body), "SELECT count(*) FROM audit_event WHERE "
	    "stream = 'accounts' AND seq = %lld AND request_id = '%s'",
	    before + 1, rid);
	ck_assert_int_eq(db_int(body), 1);
	/* Field names of the update are logged, the password never. */
	ck_assert_int_eq(db_int("SELECT count(*) FROM audit_event WHERE "
	    "stream = 'accounts' AND action = 'person.update' AND detail->"
	    "'fields' = '[\"name_en\", \"password\"]' AND detail::text NOT "
	    "LIKE '%secret-pass%'"), 1);

	login_as(&aud, "auditor");
	ck_assert_int_eq(verify_api(&aud, "stream=accounts", &r), 200);
	ck_assert(json_is_true(json_object_get(r.json, "valid")));
	ck_assert_int_eq(t_int(&r, "events"), before + 4);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(
	    r.json, "head"), "seq")), before + 4);
	ck_assert(json_is_null(json_object_get(r.json, "first_broken")));
	tresp_free(&r);
	ck_assert_int_eq(verify_api(&admin, "stream=accounts", &r), 200);
	tresp_free(&r);
	login_as(&dean, "dean");
	ck_assert_int_eq(verify_api(&dean, "stream=accounts", &r), 403);
	ck_assert(t_is_problem(&r, 403, "forbidden-role"));
	tresp_free(&r);

	ck_assert_int_eq(cli("--stream accounts", out, sizeof(out)), 0);
	ck_assert_ptr_nonnull(strstr(out, "the chain verifies"));
	ck_assert_int_eq(cli("", out, sizeof(out)), 0);
	ck_assert_ptr_nonnull(strstr(out, "every chain verifies"));
}
END_TEST

/* --- the database refuses edits ------------------------------------------- */

START_TEST(t_append_only)
{
	ck_assert_int_gt(db_int("SELECT count(*) FROM audit_event"), 0);
	ck_assert(refused("UPDATE audit_event SET action = 'x' WHERE seq = 1"));
	ck_assert(refused("DELETE FROM audit_event WHERE seq = 1"));
	ck_assert(refused("TRUNCATE audit_event"));
	ck_assert(refused("DELETE FROM audit_head"));
	ck_assert(refused("UPDATE audit_head SET seq = seq + 1"));
	ck_assert(refused("UPDATE audit_head SET seq = seq - 1"));
	ck_assert(refused("INSERT INTO audit_head VALUES ('system', 3, "
	    "repeat('a', 64))"));
	/* An event that does not extend its chain. */
	ck_assert(refused("INSERT INTO audit_event (stream, seq, at, action, "
	    "prev_hash, hash) VALUES ('accounts', 1000, now(), 'x', "
	    "repeat('b', 64), repeat('c', 64))"));
	ck_assert_int_eq(all_broken(NULL), 0);
}
END_TEST

/* --- tampering ------------------------------------------------------------ */

/*
 * One row changed by the superuser is reported with its stream and seq by
 * the API and by the command, and an attacker who also recomputes that
 * row's hash is caught at the next link.
 */
START_TEST(t_tampered_row_reported)
{
	struct tclient		 aud;
	struct tresp		 r;
	struct audit_in		 in;
	struct audit_event	 ev;
	struct audit_verify	 first;
	struct qj_diag		 d;
	char			 stream[AUDIT_STREAM_MAX], q[512], out[4096];
	char			 prev[65], forged[65], want[128];
	int64_t			 cid = make_case();

	audit_stream_of_case(cid, stream);
	append_events(stream, 5);
	login_as(&aud, "auditor");
	snprintf(q, sizeof(q), "case=%lld", (long long)cid);
	ck_assert_int_eq(verify_api(&aud, q, &r), 200);
	ck_assert(json_is_true(json_object_get(r.json, "valid")));
	ck_assert_int_eq(t_int(&r, "events"), 5);
	tresp_free(&r);

	snprintf(q, sizeof(q), "UPDATE audit_event SET state_after = "
	    "'approved' WHERE stream = '%s' AND seq = 3", stream);
	tamper(q);
	snprintf(q, sizeof(q), "case=%lld", (long long)cid);
	ck_assert_int_eq(verify_api(&aud, q, &r), 200);
	ck_assert(json_is_false(json_object_get(r.json, "valid")));
	ck_assert_int_eq(broken_seq(&r), 3);
	ck_assert_str_eq(broken_reason(&r), "hash-mismatch");
	ck_assert_str_eq(t_str(&r, "stream"), stream);
	tresp_free(&r);
	snprintf(q, sizeof(q), "stream=%s", stream);
	ck_assert_int_eq(verify_api(&aud, q, &r), 200);
	ck_assert_int_eq(broken_seq(&r), 3);
	tresp_free(&r);

	snprintf(q, sizeof(q), "--case %lld", (long long)cid);
	ck_assert_int_eq(cli(q, out, sizeof(out)), 1);
	snprintf(want, sizeof(want), "BROKEN stream %s at seq 3: "
	    "hash-mismatch", stream);
	ck_assert_msg(strstr(out, want) != NULL, "%s", out);
	/* Every stream: exactly this one is broken, and it is named. */
	ck_assert_int_eq(cli("", out, sizeof(out)), 1);
	ck_assert_msg(strstr(out, want) != NULL, "%s", out);
	ck_assert_int_eq(count_lines_with(out, "BROKEN stream"), 1);
	snprintf(want, sizeof(want), "first broken: stream %s at seq 3",
	    stream);
	ck_assert_msg(strstr(out, want) != NULL, "%s", out);
	ck_assert_int_eq(all_broken(&first), 1);
	ck_assert_str_eq(first.stream, stream);
	ck_assert_int_eq(first.fault_seq, 3);

	/* Forge: the edited row with its hash recomputed. */
	snprintf(q, sizeof(q), "SELECT hash FROM audit_event WHERE stream = "
	    "'%s' AND seq = 2", stream);
	{
		PGresult	*res = PQexec(qj_db_conn(harness_db()), q);

		ck_assert_int_eq(PQntuples(res), 1);
		snprintf(prev, sizeof(prev), "%s", PQgetvalue(res, 0, 0));
		PQclear(res);
	}
	event_in(&in, stream, 3);
	memset(&ev, 0, sizeof(ev));
	ev.stream = stream;
	ev.seq = 3;
	ev.at = in.at;
	ev.action = in.action;
	ev.state_before = in.state_before;
	ev.state_after = "approved";
	ev.docs = in.docs;
	ev.ndocs = in.ndocs;
	ev.request_id = in.request_id;
	ev.address = in.address;
	ev.detail = in.detail;
	ev.prev_hash = prev;
	ck_assert_int_eq(audit_hash(&ev, forged, &d), QJ_OK);
	snprintf(q, sizeof(q), "UPDATE audit_event SET hash = '%s' WHERE "
	    "stream = '%s' AND seq = 3", forged, stream);
	tamper(q);
	snprintf(q, sizeof(q), "case=%lld", (long long)cid);
	ck_assert_int_eq(verify_api(&aud, q, &r), 200);
	ck_assert_int_eq(broken_seq(&r), 4);
	ck_assert_str_eq(broken_reason(&r), "prev-hash-mismatch");
	tresp_free(&r);

	/* Put the row back: the chain verifies again. */
	snprintf(q, sizeof(q), "UPDATE audit_event SET state_after = "
	    "'submitted', hash = (SELECT prev_hash FROM audit_event WHERE "
	    "stream = '%s' AND seq = 4) WHERE stream = '%s' AND seq = 3",
	    stream, stream);
	tamper(q);
	snprintf(q, sizeof(q), "case=%lld", (long long)cid);
	ck_assert_int_eq(verify_api(&aud, q, &r), 200);
	ck_assert(json_is_true(json_object_get(r.json, "valid")));
	tresp_free(&r);
	ck_assert_int_eq(all_broken(NULL), 0);
}
END_TEST

/*
 * Deleting the last event leaves a chain that is valid in itself; the head
 * catches it.  Deleting one from the middle is a gap.
 */
START_TEST(t_deleted_events_reported)
{
	struct tclient	aud;
	struct tresp	r;
	char		stream[AUDIT_STREAM_MAX], q[1024], out[4096];
	char		want[128];
	int64_t		cid = make_case();

	audit_stream_of_case(cid, stream);
	append_events(stream, 3);
	db_run("DROP TABLE IF EXISTS audit_saved");
	snprintf(q, sizeof(q), "CREATE TABLE audit_saved AS SELECT * FROM "
	    "audit_event WHERE stream = '%s'", stream);
	db_run(q);

	snprintf(q, sizeof(q), "DELETE FROM audit_event WHERE stream = '%s' "
	    "AND seq = 3", stream);
	tamper(q);
	login_as(&aud, "auditor");
	snprintf(q, sizeof(q), "case=%lld", (long long)cid);
	ck_assert_int_eq(verify_api(&aud, q, &r), 200);
	ck_assert(json_is_false(json_object_get(r.json, "valid")));
	ck_assert_int_eq(broken_seq(&r), 3);
	ck_assert_str_eq(broken_reason(&r), "truncated");
	ck_assert_int_eq(t_int(&r, "events"), 2);
	tresp_free(&r);
	snprintf(q, sizeof(q), "--case %lld", (long long)cid);
	ck_assert_int_eq(cli(q, out, sizeof(out)), 1);
	snprintf(want, sizeof(want), "BROKEN stream %s at seq 3: truncated",
	    stream);
	ck_assert_msg(strstr(out, want) != NULL, "%s", out);
	ck_assert_int_eq(cli("", out, sizeof(out)), 1);
	ck_assert_msg(strstr(out, want) != NULL, "%s", out);

	/* Restore seq 3, then remove seq 2 instead. */
	snprintf(q, sizeof(q), "INSERT INTO audit_event OVERRIDING SYSTEM "
	    "VALUE SELECT * FROM audit_saved WHERE seq = 3; DELETE FROM "
	    "audit_event WHERE stream = '%s' AND seq = 2", stream);
	tamper(q);
	snprintf(q, sizeof(q), "case=%lld", (long long)cid);
	ck_assert_int_eq(verify_api(&aud, q, &r), 200);
	ck_assert_int_eq(broken_seq(&r), 2);
	ck_assert_str_eq(broken_reason(&r), "gap");
	tresp_free(&r);

	tamper("INSERT INTO audit_event OVERRIDING SYSTEM VALUE SELECT * FROM "
	    "audit_saved WHERE seq = 2");
	db_run("DROP TABLE audit_saved");
	ck_assert_int_eq(verify_api(&aud, q, &r), 200);
	ck_assert(json_is_true(json_object_get(r.json, "valid")));
	ck_assert_int_eq(t_int(&r, "events"), 3);
	tresp_free(&r);
	ck_assert_int_eq(all_broken(NULL), 0);
}
END_TEST

/* --- concurrency and transactions ------------------------------------------ */

struct appender {
	pthread_barrier_t	*start;
	const char		*stream;
	int			 n;
	struct qj_db		*db;
	enum qj_err		 err;
};

static void *
appender_run(void *arg)
{
	struct appender	*a = arg;
	struct audit_in	 in;
	struct qj_diag	 d;
	char		 detail[32];

	memset(&in, 0, sizeof(in));
	in.stream = a->stream;
	in.action = "test.concurrent";
	snprintf(detail, sizeof(detail), "{\"thread\":%d}", a->n);
	in.detail = detail;
	pthread_barrier_wait(a->start);
	if ((a->err = qj_db_begin(a->db, &d)) == QJ_OK &&
	    (a->err = audit_append(a->db, &in, NULL, &d)) == QJ_OK)
		a->err = qj_db_commit(a->db, &d);
	if (a->err != QJ_OK)
		qj_db_rollback(a->db);
	return (NULL);
}

START_TEST(t_concurrent_appends)
{
	struct appender		 a[NTHREADS];
	pthread_t		 th[NTHREADS];
	pthread_barrier_t	 start;
	struct audit_verify	 v;
	struct qj_diag		 d;
	struct qj_db		*db;
	char			 stream[AUDIT_STREAM_MAX], q[256];
	int			 i;

	audit_stream_of_case(make_case(), stream);
	pthread_barrier_init(&start, NULL, NTHREADS);
	for (i = 0; i < NTHREADS; i++) {
		a[i].start = &start;
		a[i].stream = stream;
		a[i].n = i;
		a[i].db = connect_db();
		ck_assert_int_eq(pthread_create(&th[i], NULL, appender_run,
		    &a[i]), 0);
	}
	for (i = 0; i < NTHREADS; i++) {
		pthread_join(th[i], NULL);
		ck_assert_int_eq(a[i].err, QJ_OK);
		qj_db_free(a[i].db);
	}
	pthread_barrier_destroy(&start);

	snprintf(q, sizeof(q), "SELECT count(DISTINCT seq) * 10000 + min(seq) "
	    "* 100 + max(seq) - count(*) FROM audit_event WHERE stream = '%s'",
	    stream);
	ck_assert_int_eq(db_int(q), 50 * 10000 + 100 + 50 - 50);
	snprintf(q, sizeof(q), "SELECT count(DISTINCT detail->>'thread') FROM "
	    "audit_event WHERE stream = '%s'", stream);
	ck_assert_int_eq(db_int(q), NTHREADS);
	db = connect_db();
	ck_assert_int_eq(audit_verify_stream(db, stream, &v, &d), QJ_OK);
	ck_assert_msg(v.fault == AUDIT_F_NONE, "%s", v.why);
	ck_assert_int_eq(v.events, NTHREADS);
	ck_assert_int_eq(v.head_seq, NTHREADS);
	qj_db_free(db);
}
END_TEST

/* A rolled-back append leaves neither an event nor a gap. */
START_TEST(t_rollback_leaves_nothing)
{
	struct qj_db		*db = connect_db();
	struct audit_verify	 v;
	struct audit_in		 in;
	struct qj_diag		 d;
	char			 stream[AUDIT_STREAM_MAX], h[65], q[256];

	audit_stream_of_case(make_case(), stream);
	event_in(&in, stream, 1);
	/* Outside a transaction the append is refused. */
	ck_assert_int_eq(audit_append(db, &in, h, &d), QJ_EINTERNAL);
	ck_assert_int_eq(append1(db, &in, h), QJ_OK);
	ck_assert_int_eq(qj_db_begin(db, &d), QJ_OK);
	event_in(&in, stream, 2);
	ck_assert_int_eq(audit_append(db, &in, h, &d), QJ_OK);
	qj_db_rollback(db);
	/* An invalid event fails and leaves the stream as it was. */
	in.action = "Not An Action";
	ck_assert_int_eq(qj_db_begin(db, &d), QJ_OK);
	ck_assert_int_eq(audit_append(db, &in, h, &d), QJ_EINVAL);
	ck_assert_str_eq(d.field, "action");
	qj_db_rollback(db);
	event_in(&in, stream, 2);
	ck_assert_int_eq(append1(db, &in, h), QJ_OK);
	snprintf(q, sizeof(q), "SELECT max(seq) * 10 + count(*) FROM "
	    "audit_event WHERE stream = '%s'", stream);
	ck_assert_int_eq(db_int(q), 22);
	snprintf(q, sizeof(q), "SELECT count(*) FROM audit_head WHERE stream = "
	    "'%s' AND seq = 2 AND hash = '%s'", stream, h);
	ck_assert_int_eq(db_int(q), 1);
	ck_assert_int_eq(audit_verify_stream(db, stream, &v, &d), QJ_OK);
	ck_assert_int_eq(v.fault, AUDIT_F_NONE);
	qj_db_free(db);
}
END_TEST

/*
 * More events and more streams than one page of the verifier (1000 rows):
 * a stream of 2500 events, and 1100 case streams, all verified by walking
 * the pages, with a fault found beyond the first page in each.
 */
START_TEST(t_paged_verification)
{
	struct qj_db		*db = connect_db();
	struct audit_verify	 v, first;
	struct audit_summary	 sum;
	struct audit_in		 in;
	struct qj_diag		 d;
	PGresult		*res;
	char			 stream[AUDIT_STREAM_MAX], q[512], out[4096];
	int64_t			 victim = 0;
	int			 i, n;

	ck_assert_int_eq(qj_db_begin(db, &d), QJ_OK);
	for (i = 1; i <= 2500; i++) {
		event_in(&in, "system", i);
		ck_assert_int_eq(audit_append(db, &in, NULL, &d), QJ_OK);
	}
	ck_assert_int_eq(qj_db_commit(db, &d), QJ_OK);
	ck_assert_int_eq(audit_verify_stream(db, "system", &v, &d), QJ_OK);
	ck_assert_msg(v.fault == AUDIT_F_NONE, "%s", v.why);
	ck_assert_int_eq(v.events, 2500);
	tamper("UPDATE audit_event SET request_id = 'req-forged' WHERE "
	    "stream = 'system' AND seq = 2200");
	ck_assert_int_eq(audit_verify_stream(db, "system", &v, &d), QJ_OK);
	ck_assert_int_eq(v.fault, AUDIT_F_HASH);
	ck_assert_int_eq(v.fault_seq, 2200);
	ck_assert_int_eq(v.events, 2199);
	tamper("UPDATE audit_event SET request_id = 'req-test' WHERE "
	    "stream = 'system' AND seq = 2200");

	db_run("INSERT INTO workflow_def (id, version, sha256, source) VALUES "
	    "('audit-test', 1, repeat('0', 64), 'x') ON CONFLICT DO NOTHING");
	db_run("INSERT INTO wf_case (workflow, wf_version, unit_id, unit_path, "
	    "state, created_at, updated_at) SELECT 'audit-test', 1, u.id, "
	    "u.path, 'many', now(), now() FROM unit u, generate_series(1, "
	    "1100) WHERE u.code = 'fpe'");
	res = PQexec(qj_db_conn(db), "SELECT id FROM wf_case WHERE state = "
	    "'many' ORDER BY id");
	ck_assert_int_eq(n = PQntuples(res), 1100);
	ck_assert_int_eq(qj_db_begin(db, &d), QJ_OK);
	for (i = 0; i < n; i++) {
		audit_stream_of_case(strtoll(PQgetvalue(res, i, 0), NULL, 10),
		    stream);
		event_in(&in, stream, 1);
		ck_assert_int_eq(audit_append(db, &in, NULL, &d), QJ_OK);
	}
	ck_assert_int_eq(qj_db_commit(db, &d), QJ_OK);
	victim = strtoll(PQgetvalue(res, 1050, 0), NULL, 10);
	PQclear(res);
	ck_assert_int_eq(audit_verify_all(db, NULL, NULL, &sum, &d), QJ_OK);
	ck_assert_int_eq(sum.broken, 0);
	ck_assert_int_ge(sum.streams, 1102);
	ck_assert_int_ge(sum.events, 2500 + 1100 + 4);
	ck_assert_int_eq(sum.events, db_int("SELECT count(*) FROM audit_event"));
	ck_assert_int_eq(sum.streams, db_int("SELECT count(*) FROM audit_head"));

	snprintf(q, sizeof(q), "UPDATE audit_event SET detail = '{\"i\": 1, "
	    "\"note\": \"шаг!\"}' WHERE stream = 'case:%lld'", (long long)victim);
	tamper(q);
	ck_assert_int_eq(all_broken(&first), 1);
	snprintf(stream, sizeof(stream), "case:%lld", (long long)victim);
	ck_assert_str_eq(first.stream, stream);
	ck_assert_int_eq(first.fault_seq, 1);
	ck_assert_int_eq(cli("", out, sizeof(out)), 1);
	ck_assert_int_eq(count_lines_with(out, "BROKEN stream"), 1);
	ck_assert_ptr_nonnull(strstr(out, stream));
	snprintf(q, sizeof(q), "UPDATE audit_event SET detail = '{\"i\": 1, "
	    "\"note\": \"шаг\"}' WHERE stream = 'case:%lld'", (long long)victim);
	tamper(q);
	ck_assert_int_eq(all_broken(NULL), 0);
	qj_db_free(db);
}
END_TEST

/*
 * What an auditor gets (one canonical line per event) checks out with sh,
 * sed and sha256sum alone, as docs/audit.md describes; an edited line does
 * not.
 */
static const char chain_sh[] =
    "prev=0000000000000000000000000000000000000000000000000000000000000000\n"
    "n=0\n"
    "while IFS= read -r line; do\n"
    "  n=$((n + 1))\n"
    "  s=$(printf '%s' \"$line\" | sed 's/.*\"seq\":\\([0-9]*\\),.*/\\1/')\n"
    "  p=$(printf '%s' \"$line\" | sed 's/.*\"prev_hash\":\"\\([0-9a-f]*\\)\".*/\\1/')\n"
    "  [ \"$s\" = \"$n\" ] && [ \"$p\" = \"$prev\" ] || { echo \"BROKEN $n\"; exit 1; }\n"
    "  prev=$(printf '%s%s' \"$prev\" \"$line\" | sha256sum | cut -c1-64)\n"
    "done < \"$1\"\n"
    "echo \"$prev\"\n";

static int
run_chain_sh(const char *file, char *out, size_t outlen)
{
	char	 cmd[700];
	FILE	*p;
	size_t	 n;

	snprintf(cmd, sizeof(cmd), "sh %s/chain.sh %s", H.root, file);
	ck_assert_ptr_nonnull(p = popen(cmd, "r"));
	n = fread(out, 1, outlen - 1, p);
	out[n] = '\0';
	out[strcspn(out, "\n")] = '\0';
	return (pclose(p));
}

START_TEST(t_export_standard_tools)
{
	struct qj_db		*db = connect_db();
	struct qj_buf		 b = QJ_BUF_INIT;
	struct audit_verify	 v;
	struct qj_diag		 d;
	char			 stream[AUDIT_STREAM_MAX], path[320], cmd[1024];
	char			 out[128];
	FILE			*f;

	audit_stream_of_case(make_case(), stream);
	append_events(stream, 4);
	ck_assert_int_eq(audit_export_stream(db, stream, &b, &v, &d), QJ_OK);
	ck_assert_int_eq(v.fault, AUDIT_F_NONE);
	ck_assert_int_eq(v.head_seq, 4);
	ck_assert_int_eq(count_lines_with(b.data, "\n"), 4);
	ck_assert_ptr_nonnull(strstr(b.data, "\"note\":\"шаг\""));

	snprintf(path, sizeof(path), "%s/chain.sh", H.root);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs(chain_sh, f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/audit.jsonl", H.root);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fwrite(b.data, 1, b.len, f);
	fclose(f);
	ck_assert_int_eq(run_chain_sh(path, out, sizeof(out)), 0);
	ck_assert_str_eq(out, v.head_hash);

	/* One character of the third line changed. */
	snprintf(cmd, sizeof(cmd), "sed -i '3s/шаг/шак/' %s", path);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_ne(run_chain_sh(path, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "BROKEN 4");
	/* The last line dropped: the chain holds, the head does not match. */
	snprintf(path, sizeof(path), "%s/audit3.jsonl", H.root);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	b.data[b.len - 1] = '\0';
	fwrite(b.data, 1, strrchr(b.data, '\n') + 1 - b.data, f);
	fclose(f);
	ck_assert_int_eq(run_chain_sh(path, out, sizeof(out)), 0);
	ck_assert_str_ne(out, v.head_hash);
	qj_buf_free(&b);
	qj_db_free(db);
}
END_TEST

/* --- reading a case's audit -------------------------------------------------- */

START_TEST(t_case_audit_access)
{
	static const char *const allowed[] = { "dean", "registrar", "auditor",
	    "admin" };
	static const char *const denied[] = { "applicant2", "customer" };
	struct tclient	c;
	struct tresp	r;
	json_t		*evs, *e1, *e2;
	char		stream[AUDIT_STREAM_MAX], path[128];
	int64_t		cid = make_case();
	size_t		i;

	audit_stream_of_case(cid, stream);
	append_events(stream, 2);
	snprintf(path, sizeof(path), "/api/cases/%lld/audit", (long long)cid);

	login_as(&c, "applicant");
	ck_assert_int_eq(t_json(&c, "GET", path, NULL, &r), 200);
	evs = json_object_get(r.json, "events");
	ck_assert_int_eq(json_array_size(evs), 2);
	e1 = json_array_get(evs, 0);
	e2 = json_array_get(evs, 1);
	ck_assert_int_eq(json_integer_value(json_object_get(e1, "seq")), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(e2, "seq")), 2);
	ck_assert_str_eq(json_string_value(json_object_get(e1, "prev_hash")),
	    AUDIT_ZERO_HASH);
	ck_assert_str_eq(json_string_value(json_object_get(e2, "prev_hash")),
	    json_string_value(json_object_get(e1, "hash")));
	ck_assert_str_eq(json_string_value(json_object_get(e1, "at")),
	    "2026-01-01T00:00:01.000001Z");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(e1,
	    "detail"), "note")), "шаг");
	ck_assert_int_eq(json_array_size(json_object_get(e2,
	    "document_hashes")), 2);
	/* The applicant does not see staff addresses. */
	ck_assert(json_is_null(json_object_get(e1, "address")));
	ck_assert_ptr_nonnull(json_object_get(e1, "redacted"));
	ck_assert(json_is_null(json_object_get(r.json, "next_after")));
	tresp_free(&r);

	for (i = 0; i < QJ_NELEM(allowed); i++) {
		login_as(&c, allowed[i]);
		ck_assert_msg(t_json(&c, "GET", path, NULL, &r) == 200, "%s",
		    allowed[i]);
		e1 = json_array_get(json_object_get(r.json, "events"), 0);
		ck_assert_str_eq(json_string_value(json_object_get(e1,
		    "address")), "192.0.2.7");
		tresp_free(&r);
	}
	for (i = 0; i < QJ_NELEM(denied); i++) {
		login_as(&c, denied[i]);
		ck_assert_msg(t_json(&c, "GET", path, NULL, &r) == 404, "%s",
		    denied[i]);
		ck_assert(t_is_problem(&r, 404, "not-found"));
		tresp_free(&r);
	}

	/* Pages. */
	login_as(&c, "dean");
	snprintf(path, sizeof(path), "/api/cases/%lld/audit?limit=1",
	    (long long)cid);
	ck_assert_int_eq(t_json(&c, "GET", path, NULL, &r), 200);
	ck_assert_int_eq(json_array_size(json_object_get(r.json, "events")), 1);
	ck_assert_int_eq(t_int(&r, "next_after"), 1);
	tresp_free(&r);
	snprintf(path, sizeof(path), "/api/cases/%lld/audit?after=1",
	    (long long)cid);
	ck_assert_int_eq(t_json(&c, "GET", path, NULL, &r), 200);
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(
	    json_object_get(r.json, "events"), 0), "seq")), 2);
	tresp_free(&r);
	snprintf(path, sizeof(path), "/api/cases/%lld/audit?limit=0",
	    (long long)cid);
	ck_assert_int_eq(t_json(&c, "GET", path, NULL, &r), 400);
	tresp_free(&r);
	snprintf(path, sizeof(path), "/api/cases/%lld/audit?x=1",
	    (long long)cid);
	ck_assert_int_eq(t_json(&c, "GET", path, NULL, &r), 400);
	tresp_free(&r);
	ck_assert_int_eq(t_json(&c, "GET", "/api/cases/999999999/audit", NULL,
	    &r), 404);
	tresp_free(&r);
	ck_assert_int_eq(t_json(NULL, "GET", "/api/cases/1/audit", NULL, &r),
	    401);
	tresp_free(&r);
}
END_TEST

START_TEST(t_verify_parameters)
{
	struct tclient	aud;
	struct tresp	r;

	login_as(&aud, "auditor");
	ck_assert_int_eq(t_json(&aud, "GET", "/api/audit/verify", NULL, &r),
	    400);
	tresp_free(&r);
	ck_assert_int_eq(verify_api(&aud, "stream=accounts&case=1", &r), 400);
	tresp_free(&r);
	ck_assert_int_eq(verify_api(&aud, "stream=orders", &r), 400);
	tresp_free(&r);
	ck_assert_int_eq(verify_api(&aud, "case=abc", &r), 400);
	tresp_free(&r);
	ck_assert_int_eq(verify_api(&aud, "case=999999999", &r), 404);
	tresp_free(&r);
	/* A stream nobody wrote to verifies, with nothing in it. */
	ck_assert_int_eq(verify_api(&aud, "stream=calendar", &r), 200);
	ck_assert(json_is_true(json_object_get(r.json, "valid")));
	ck_assert_int_eq(t_int(&r, "events"), 0);
	ck_assert(json_is_null(json_object_get(r.json, "head")));
	tresp_free(&r);
}
END_TEST

static Suite *
audit_suite(void)
{
	Suite	*s = suite_create("audit");
	TCase	*tc = tcase_create("audit");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, t_accounts_chain);
	tcase_add_test(tc, t_append_only);
	tcase_add_test(tc, t_tampered_row_reported);
	tcase_add_test(tc, t_deleted_events_reported);
	tcase_add_test(tc, t_concurrent_appends);
	tcase_add_test(tc, t_rollback_leaves_nothing);
	tcase_add_test(tc, t_paged_verification);
	tcase_add_test(tc, t_export_standard_tools);
	tcase_add_test(tc, t_case_audit_access);
	tcase_add_test(tc, t_verify_parameters);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	harness_start();
	sr = srunner_create(audit_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	failed += harness_stop();
	return (failed == 0 ? 0 : 1);
}
