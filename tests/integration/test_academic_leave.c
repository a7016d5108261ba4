/*
 * test_academic_leave.c: academic leave end to end through the HTTP API
 * with the demo users and their keys (SPEC 2.1, 2.5): application with
 * evidence, dean's office, registrar, leave order with visas and the
 * rector's signature, acknowledgment, return application, return order;
 * then the rules one by one, the deadline that opens an expulsion case
 * (also across a restart), conflicts, idempotency, gap-free numbers.
 */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tests/lib/flowkit.h"
#include "tests/lib/harness.h"
#include "tests/lib/http.h"
#include "tests/lib/signer.h"


START_TEST(t_end_to_end)
{
	struct tclient	app, dean, reg, aud;
	struct tresp	r;
	int64_t		id, order, rorder;
	char		sha[65], *doc, extra[8192], path[96];

	kit_set_clock(0);
	kit_login_as(&app, "applicant");
	kit_login_as(&dean, "dean");
	kit_login_as(&reg, "registrar");
	id = kit_open_leave(&app, "medical", "2026-12-01", "2027-05-31");
	kit_approve_leave(&app, &dean, &reg, id);
	order = kit_draft_order(&reg, &id, 1);
	kit_sign_order(order);
	/* The order moved the case: on leave until the end date. */
	kit_expect_state(&app, id, "on-leave");
	snprintf(path, sizeof(path), "/api/cases/%lld", (long long)order);
	t_json(&reg, "GET", path, NULL, &r);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(
	    r.json, "registration"), "number")), db_int("SELECT max(reg_number) "
	    "FROM wf_case WHERE series = 'student'"));
	tresp_free(&r);
	snprintf(path, sizeof(path), "/api/cases/%lld", (long long)id);
	t_json(&app, "GET", path, NULL, &r);
	ck_assert_ptr_nonnull(strstr(r.body, "\"return-by\""));
	ck_assert_ptr_nonnull(strstr(r.body, "seed 000 L1107-L1109"));
	tresp_free(&r);
	/* The learner acknowledges the order (ProofOfReceipt). */
	kit_fire_ok(&app, "applicant", order, "acknowledge", "");
	kit_expect_state(&reg, order, "in-force");
	/* Return: application with the health certificate, then the order. */
	kit_upload_pdf(&app, "health", sha);
	doc = kit_return_application(sha);
	snprintf(extra, sizeof(extra), "\"document\":%s", doc);
	free(doc);
	kit_fire_ok(&app, "applicant", id, "file-return", extra);
	kit_fire_ok(&dean, "dean", id, "approve-return", "");
	kit_expect_state(&app, id, "awaiting-return-order");
	rorder = kit_draft_order(&reg, &id, 1);
	kit_sign_order(rorder);
	kit_expect_state(&app, id, "studying");
	/* The state-order funding stopped by the leave order resumes
	 * (seed 000 L1051-L1061). */
	ck_assert_int_eq(db_int("SELECT count(*) FROM wf_case WHERE vars ->> "
	    "'funding' = 'resumed'"), 1);
	/* The return-by deadline is cancelled, not fired. */
	ck_assert_int_eq(db_int("SELECT count(*) FROM deadline WHERE state = "
	    "'fired'"), 0);
	/* Signatures: applicant x2 (origin), dean x2, registrar, and the
	 * orders' receipt. */
	ck_assert_int_ge(db_int("SELECT count(*) FROM signature"), 5);
	/* The audit chain of the case verifies. */
	kit_login_as(&aud, "auditor");
	snprintf(path, sizeof(path), "/api/audit/verify?case=%lld",
	    (long long)id);
	t_json(&aud, "GET", path, NULL, &r);
	ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
	ck_assert(json_is_true(json_object_get(r.json, "valid")));
	ck_assert_int_ge(json_integer_value(json_object_get(r.json, "events")),
	    8);
	tresp_free(&r);
}
END_TEST

START_TEST(t_guards_and_actors)
{
	struct tclient	app, dean, legal;
	struct tresp	r;
	int64_t		id;

	kit_set_clock(0);
	kit_login_as(&app, "applicant");
	kit_login_as(&dean, "dean");
	kit_login_as(&legal, "legal");
	/* 13 months of medical leave: refused with the rule cited. */
	id = kit_open_leave(&app, "medical", "2026-12-01", "2028-01-02");
	t_fire(&app, "applicant", "rsa", id, "submit", "", &r);
	ck_assert_msg(t_is_problem(&r, 422, "guard-failed"), "%s", r.body);
	ck_assert_str_eq(json_string_value(json_object_get(r.json, "field")),
	    "medical-max-12-months");
	ck_assert_ptr_nonnull(strstr(t_str(&r, "detail"),
	    "seed 000 L1029-L1033"));
	tresp_free(&r);
	kit_expect_state(&app, id, "draft");
	/* The same length of TB leave is fine. */
	id = kit_open_leave(&app, "tuberculosis", "2026-12-01", "2028-01-02");
	kit_fire_ok(&app, "applicant", id, "submit", "");
	/* Legal cannot approve; the dean can. */
	t_fire(&legal, "legal", "rsa", id, "approve", "", &r);
	ck_assert_msg(t_is_problem(&r, 403, "wrong-actor"), "%s", r.body);
	tresp_free(&r);
	/* Rejection needs a reason. */
	t_fire(&dean, "dean", "rsa", id, "reject", "", &r);
	ck_assert(t_is_problem(&r, 422, "reason-required"));
	tresp_free(&r);
	/* Return for changes, then the applicant resubmits. */
	kit_fire_ok(&dean, "dean", id, "return-for-changes",
	    "\"reason\":\"ДКК шешімінің көшірмесі анық емес\"");
	kit_expect_state(&app, id, "returned");
	kit_fire_ok(&app, "applicant", id, "submit", "");
	kit_fire_ok(&dean, "dean", id, "reject", "\"reason\":\"Негіз расталмады\"");
	kit_expect_state(&app, id, "rejected");
	/* A closed case takes nothing more. */
	t_fire(&dean, "dean", "rsa", id, "approve", "", &r);
	ck_assert_int_eq(r.status, 409);
	tresp_free(&r);
}
END_TEST

/* Another user's certificate, or a signature made with the wrong key. */
START_TEST(t_signature_must_be_the_actors)
{
	struct tclient	app;
	struct tresp	r;
	int64_t		id;
	json_t		*b;
	char		*s, path[96];

	kit_set_clock(0);
	kit_login_as(&app, "applicant");
	id = kit_open_leave(&app, "medical", "2026-12-01", "2027-03-01");
	snprintf(path, sizeof(path), "/api/cases/%lld/signing", (long long)id);
	b = json_pack("{s:s, s:s}", "event", "submit", "certificate",
	    t_cert_pem("applicant2", "rsa"));
	s = json_dumps(b, 0);
	json_decref(b);
	t_json(&app, "POST", path, s, &r);
	free(s);
	ck_assert_msg(t_is_problem(&r, 422, "sig-signer"), "%s", r.body);
	tresp_free(&r);
	/* Without a signature the transition is refused. */
	snprintf(path, sizeof(path), "/api/cases/%lld/transitions",
	    (long long)id);
	t_json(&app, "POST", path, "{\"event\":\"submit\",\"version\":1}", &r);
	ck_assert_msg(t_is_problem(&r, 422, "signature-required"), "%s",
	    r.body);
	tresp_free(&r);
	/* ECDSA keys work as well as RSA. */
	t_fire(&app, "applicant", "ec", id, "submit", "", &r);
	ck_assert_msg(r.status == 200, "%s", r.body);
	tresp_free(&r);
	ck_assert_int_eq(db_int("SELECT count(*) FROM signature WHERE case_id "
	    "IN (SELECT id FROM wf_case WHERE applicant_id = (SELECT id FROM "
	    "person WHERE login = 'applicant')) AND commitment = 'origin'") >
	    0, 1);
}
END_TEST

struct race {
	int64_t		 id;
	int		 version;
	struct tclient	*c;
	long		 status;
};

static void *
race_withdraw(void *arg)
{
	struct race	*rc = arg;
	struct tresp	 r;
	char		 path[96], body[96];

	snprintf(path, sizeof(path), "/api/cases/%lld/transitions",
	    (long long)rc->id);
	snprintf(body, sizeof(body), "{\"event\":\"withdraw\",\"version\":%d}",
	    rc->version);
	rc->status = t_json(rc->c, "POST", path, body, &r);
	tresp_free(&r);
	return (NULL);
}

START_TEST(t_concurrent_conflicting_transitions)
{
	struct tclient	app, aud;
	struct race	rc[50];
	pthread_t	th[50];
	struct tresp	r;
	int64_t		id;
	int		i, ok = 0, conflict = 0, v;
	char		path[96];

	kit_set_clock(0);
	kit_login_as(&app, "applicant");
	id = kit_open_leave(&app, "medical", "2026-12-01", "2027-03-01");
	kit_fire_ok(&app, "applicant", id, "submit", "");
	v = t_case_version(&app, id);
	for (i = 0; i < 50; i++) {
		rc[i].id = id;
		rc[i].version = v;
		rc[i].c = &app;
		pthread_create(&th[i], NULL, race_withdraw, &rc[i]);
	}
	for (i = 0; i < 50; i++) {
		pthread_join(th[i], NULL);
		ok += rc[i].status == 200;
		conflict += rc[i].status == 409;
	}
	ck_assert_int_eq(ok, 1);
	ck_assert_int_eq(conflict, 49);
	kit_expect_state(&app, id, "withdrawn");
	kit_login_as(&aud, "auditor");
	snprintf(path, sizeof(path), "/api/audit/verify?case=%lld",
	    (long long)id);
	t_json(&aud, "GET", path, NULL, &r);
	ck_assert(json_is_true(json_object_get(r.json, "valid")));
	tresp_free(&r);
	ck_assert_int_eq(db_int("SELECT count(*) FROM audit_event WHERE "
	    "action = 'withdraw'"), 1);
}
END_TEST

START_TEST(t_stale_version_and_idempotency)
{
	struct tclient	app;
	struct tresp	r, r2;
	const char	*hdr[] = { "Idempotency-Key: e2e-withdraw-1", NULL };
	int64_t		id;
	char		path[96], body[96];
	int		v;

	kit_set_clock(0);
	kit_login_as(&app, "applicant");
	id = kit_open_leave(&app, "medical", "2026-12-01", "2027-03-01");
	v = t_case_version(&app, id);
	snprintf(path, sizeof(path), "/api/cases/%lld/transitions",
	    (long long)id);
	snprintf(body, sizeof(body), "{\"event\":\"withdraw\",\"version\":%d}",
	    v + 1);
	ck_assert_int_eq(t_json(&app, "POST", path, body, &r), 409);
	ck_assert(t_is_problem(&r, 409, "stale-version"));
	tresp_free(&r);
	/* Without a version: 428. */
	ck_assert_int_eq(t_json(&app, "POST", path, "{\"event\":\"withdraw\"}",
	    &r), 428);
	tresp_free(&r);
	/* A retried request with the same key is applied once. */
	snprintf(body, sizeof(body), "{\"event\":\"withdraw\",\"version\":%d}",
	    v);
	t_req(&app, "POST", path, body, strlen(body), NULL, hdr, &r);
	ck_assert_int_eq(r.status, 200);
	t_req(&app, "POST", path, body, strlen(body), NULL, hdr, &r2);
	ck_assert_int_eq(r2.status, 200);
	ck_assert_str_eq(r.body, r2.body);
	tresp_free(&r);
	tresp_free(&r2);
	/* The same key with another request is refused. */
	snprintf(body, sizeof(body), "{\"event\":\"submit\",\"version\":1}");
	t_req(&app, "POST", path, body, strlen(body), NULL, hdr, &r);
	ck_assert(t_is_problem(&r, 422, "idempotency-key-reused"));
	tresp_free(&r);
}
END_TEST

START_TEST(t_return_overdue_opens_expulsion)
{
	char		q[256];
	int64_t		id;
	long long	off;

	kit_set_clock(0);
	id = kit_case_on_leave("2027-01-31");
	/* Due at the end of 31 January 2027 in Asia/Almaty (UTC+5). */
	snprintf(q, sizeof(q), "SELECT extract(epoch FROM due_at)::bigint FROM "
	    "deadline WHERE case_id = %lld AND name = 'return-by'",
	    (long long)id);
	ck_assert_int_eq(db_int(q), 1801422000LL);	/* 2027-01-31T19:00Z */
	/* One hour before: nothing happens. */
	off = kit_offset_after(q, -3600);
	kit_set_clock(off);
	sleep(1);
	ck_assert(kit_wait_state(id, "on-leave", 1));
	/* Past due: the case closes and an expulsion case opens by itself. */
	kit_set_clock(kit_offset_after(q, 60));
	ck_assert_msg(kit_wait_state(id, "not-returned", 10), "deadline did not "
	    "fire");
	snprintf(q, sizeof(q), "SELECT count(*) FROM wf_case WHERE parent_id = "
	    "%lld AND workflow = 'expulsion' AND state = 'awaiting-order' AND "
	    "vars->>'ground' = 'not-returned-from-leave'", (long long)id);
	ck_assert_int_eq(db_int(q), 1);
	snprintf(q, sizeof(q), "SELECT count(*) FROM deadline WHERE case_id = "
	    "%lld AND state = 'fired'", (long long)id);
	ck_assert_int_eq(db_int(q), 1);
	/* It stays fired once: more ticks change nothing. */
	sleep(1);
	snprintf(q, sizeof(q), "SELECT count(*) FROM wf_case WHERE parent_id = "
	    "%lld", (long long)id);
	ck_assert_int_eq(db_int(q), 1);
	kit_set_clock(0);
}
END_TEST

/* The server is down when the deadline passes: it fires once on start. */
START_TEST(t_deadline_fires_once_across_restart)
{
	char		q[256], sql[256];
	int64_t		id;
	int		round;

	kit_set_clock(0);
	id = kit_case_on_leave("2027-02-28");
	snprintf(q, sizeof(q), "SELECT extract(epoch FROM due_at)::bigint FROM "
	    "deadline WHERE case_id = %lld AND name = 'return-by'",
	    (long long)id);
	harness_stop_kore();
	snprintf(sql, sizeof(sql), "INSERT INTO test_clock (id, offset_seconds) "
	    "VALUES (1, %lld) ON CONFLICT (id) DO UPDATE SET offset_seconds = "
	    "excluded.offset_seconds", kit_offset_after(q, 120));
	db_run(sql);
	ck_assert(kit_wait_state(id, "on-leave", 1));
	for (round = 0; round < 3; round++) {
		harness_start_kore();
		if (round == 0)
			ck_assert_msg(kit_wait_state(id, "not-returned", 10),
			    "deadline did not fire after the restart");
		sleep(1);
		harness_stop_kore();
	}
	harness_start_kore();
	snprintf(q, sizeof(q), "SELECT count(*) FROM wf_case WHERE parent_id = "
	    "%lld", (long long)id);
	ck_assert_int_eq(db_int(q), 1);
	snprintf(q, sizeof(q), "SELECT count(*) FROM audit_event WHERE "
	    "case_id = %lld AND action = 'return-overdue'", (long long)id);
	ck_assert_int_eq(db_int(q), 1);
	kit_set_clock(0);
}
END_TEST

static Suite *
leave_suite(void)
{
	Suite	*s = suite_create("academic-leave");
	TCase	*tc = tcase_create("api");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, t_end_to_end);
	tcase_add_test(tc, t_guards_and_actors);
	tcase_add_test(tc, t_signature_must_be_the_actors);
	tcase_add_test(tc, t_concurrent_conflicting_transitions);
	tcase_add_test(tc, t_stale_version_and_idempotency);
	tcase_add_test(tc, t_return_overdue_opens_expulsion);
	tcase_add_test(tc, t_deadline_fires_once_across_restart);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	harness_start();
	sr = srunner_create(leave_suite());
	/* One process: some tests restart the server the harness owns. */
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	failed += harness_stop();
	return (failed == 0 ? 0 : 1);
}
