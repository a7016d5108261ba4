/*
 * test_leave_rules.c: the rules of SPEC 2.1 (seed 000 L1023-L1109) one by
 * one through the API, each refusal naming its rule and clause: evidence
 * by ground, maximum durations by ground, the registrar sending a case
 * back, the return application's evidence by the ground of the leave, and
 * that leaves are not limited in number.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/lib/casekit.h"
#include "tests/lib/flowkit.h"
#include "tests/lib/harness.h"
#include "tests/lib/http.h"
#include "tests/lib/signer.h"

/* Opens a leave case with the given ground and evidence kind. */
static long
open_with(struct tclient *app, const char *ground, const char *kind,
    const char *end, const char *child_birth, int64_t *id, struct tresp *r)
{
	char	 sha[65], *doc, *body;
	long	 st;

	kit_upload_pdf(app, kind, sha);
	doc = kit_leave_application(ground, "2026-12-01", end, child_birth,
	    sha, kind);
	body = malloc(strlen(doc) + 64);
	sprintf(body, "{\"workflow\":\"academic-leave\",\"document\":%s}", doc);
	st = t_json(app, "POST", "/api/cases", body, r);
	*id = st == 201 ? t_int(r, "id") : 0;
	free(doc);
	free(body);
	return (st);
}

static void
submit_refused(struct tclient *app, int64_t id, const char *rule,
    const char *cite)
{
	struct tresp	r;

	t_fire(app, "applicant", "rsa", id, "submit", "", &r);
	ck_assert_msg(t_is_problem(&r, 422, "guard-failed"), "%s", r.body);
	ck_assert_str_eq(json_string_value(json_object_get(r.json, "field")),
	    rule);
	ck_assert_msg(strstr(t_str(&r, "detail"), cite) != NULL, "%s", r.body);
	tresp_free(&r);
	kit_expect_state(app, id, "draft");
}

/* Each ground needs its own evidence (seed 000 L1029-L1049). */
START_TEST(t_evidence_by_ground)
{
	struct tclient	app;
	struct tresp	r;
	int64_t		id;

	kit_login_as(&app, "applicant");
	ck_assert_int_eq(open_with(&app, "medical", "call-up-notice",
	    "2027-03-01", NULL, &id, &r), 422);
	ck_assert_msg(t_is_problem(&r, 422, "form-rule"), "%s", r.body);
	ck_assert_ptr_nonnull(strstr(t_str(&r, "detail"),
	    "evidence-matches-ground"));
	tresp_free(&r);
	ck_assert_int_eq(open_with(&app, "military", "call-up-notice",
	    "2027-12-01", NULL, &id, &r), 201);
	tresp_free(&r);
	ck_assert_int_eq(open_with(&app, "child", "birth-certificate",
	    "2027-03-01", NULL, &id, &r), 422);	/* child's birth date */
	tresp_free(&r);
}
END_TEST

/*
 * Funding during the leave (seed 000 L1043-L1071): the Registrar Office
 * states the basis; the leave order stops the state-order funding or the
 * paid tuition, and the stipend continues on maternity leave.
 */
START_TEST(t_funding_during_leave)
{
	struct tclient	 app, dean, reg;
	struct tresp	 r;
	int64_t		 ids[2], order;
	char		 v[64];
	int		 i;

	kit_set_clock(0);
	kit_login_as(&app, "applicant");
	kit_login_as(&dean, "dean");
	kit_login_as(&reg, "registrar");
	ck_assert_int_eq(open_with(&app, "medical", "dkk-conclusion",
	    "2027-05-31", NULL, &ids[0], &r), 201);
	tresp_free(&r);
	ck_assert_int_eq(open_with(&app, "maternity", "dkk-conclusion",
	    "2027-05-31", NULL, &ids[1], &r), 201);
	tresp_free(&r);
	for (i = 0; i < 2; i++) {
		kit_fire_ok(&app, "applicant", ids[i], "submit", "");
		kit_fire_ok(&dean, "dean", ids[i], "approve", "");
	}
	/* The basis is required, and is one of the two the rules know. */
	t_fire(&reg, "registrar", "rsa", ids[0], "confirm-record", "", &r);
	ck_assert_msg(cs_refused(&r, 422, "bad-input", "funding-basis", NULL),
	    "%s", r.body);
	tresp_free(&r);
	t_fire(&reg, "registrar", "rsa", ids[0], "confirm-record",
	    "\"data\":{\"funding-basis\":\"grant\"}", &r);
	ck_assert_msg(cs_refused(&r, 422, "guard-failed", "funding-basis-known",
	    "seed 000 L1051-L1061"), "%s", r.body);
	tresp_free(&r);
	kit_expect_state(&reg, ids[0], "registrar-check");
	kit_fire_ok(&reg, "registrar", ids[0], "confirm-record",
	    "\"data\":{\"funding-basis\":\"state-order\"}");
	kit_fire_ok(&reg, "registrar", ids[1], "confirm-record",
	    "\"data\":{\"funding-basis\":\"paid\"}");
	ck_assert_str_eq(cs_var(ids[0], "funding", v, sizeof(v)), "");
	/* One order for both: registered, the funding stops. */
	order = kit_draft_order(&reg, ids, 2);
	kit_sign_order(order);
	kit_expect_state(&reg, ids[0], "on-leave");
	ck_assert_str_eq(cs_var(ids[0], "funding", v, sizeof(v)),
	    "state-order-funding-suspended");
	ck_assert_str_eq(cs_var(ids[0], "stipend", v, sizeof(v)),
	    "as-the-law-provides");
	ck_assert_str_eq(cs_var(ids[1], "funding", v, sizeof(v)),
	    "tuition-payment-suspended");
	ck_assert_str_eq(cs_var(ids[1], "stipend", v, sizeof(v)), "continues");
}
END_TEST

/* Maximum durations (seed 000 L1029-L1041): medical 12 months, TB 36,
 * child care until three, military as long as the service. */
START_TEST(t_durations_by_ground)
{
	struct tclient	app;
	struct tresp	r;
	int64_t		id;

	kit_login_as(&app, "applicant");
	ck_assert_int_eq(open_with(&app, "medical", "dkk-conclusion",
	    "2027-12-02", NULL, &id, &r), 201);
	tresp_free(&r);
	submit_refused(&app, id, "medical-max-12-months",
	    "seed 000 L1029-L1033");
	ck_assert_int_eq(open_with(&app, "tuberculosis", "central-dkk-decision",
	    "2029-12-02", NULL, &id, &r), 201);
	tresp_free(&r);
	submit_refused(&app, id, "tuberculosis-max-36-months",
	    "seed 000 L1035-L1037");
	/* Born 2025-02-10: child care ends 2028-02-10. */
	ck_assert_int_eq(open_with(&app, "child", "birth-certificate",
	    "2028-02-11", "2025-02-10", &id, &r), 201);
	tresp_free(&r);
	submit_refused(&app, id, "child-until-three", "seed 000 L1039-L1041");
	ck_assert_int_eq(open_with(&app, "child", "birth-certificate",
	    "2028-02-10", "2025-02-10", &id, &r), 201);
	tresp_free(&r);
	kit_fire_ok(&app, "applicant", id, "submit", "");
	/* Military service: no fixed maximum. */
	ck_assert_int_eq(open_with(&app, "military", "call-up-notice",
	    "2028-12-01", NULL, &id, &r), 201);
	tresp_free(&r);
	kit_fire_ok(&app, "applicant", id, "submit", "");
}
END_TEST

/* The Registrar Office sends a case whose record does not match back to
 * the dean's office, with a reason. */
START_TEST(t_registrar_sends_back)
{
	struct tclient	app, dean, reg;
	struct tresp	r;
	int64_t		id;

	kit_login_as(&app, "applicant");
	kit_login_as(&dean, "dean");
	kit_login_as(&reg, "registrar");
	id = kit_open_leave(&app, "medical", "2026-12-01", "2027-03-01");
	kit_fire_ok(&app, "applicant", id, "submit", "");
	kit_fire_ok(&dean, "dean", id, "approve", "");
	t_fire(&reg, "registrar", "rsa", id, "record-mismatch", "", &r);
	ck_assert(t_is_problem(&r, 422, "reason-required"));
	tresp_free(&r);
	kit_fire_ok(&reg, "registrar", id, "record-mismatch",
	    "\"reason\":\"Оқу жылы сәйкес емес\"");
	kit_expect_state(&dean, id, "dean-review");
	/* The dean cannot confirm the record; the registrar cannot endorse. */
	t_fire(&reg, "registrar", "rsa", id, "approve", "", &r);
	ck_assert(t_is_problem(&r, 403, "wrong-actor"));
	tresp_free(&r);
}
END_TEST

/* A return application with the documents its leave's ground needs
 * (seed 000 L1081-L1091). */
START_TEST(t_return_evidence_by_ground)
{
	struct tclient	app, dean, reg;
	struct tresp	r;
	int64_t		id, order;
	json_t		*o;
	char		sha[65], *doc, extra[8192];

	kit_set_clock(0);
	kit_login_as(&app, "applicant");
	kit_login_as(&dean, "dean");
	kit_login_as(&reg, "registrar");
	ck_assert_int_eq(open_with(&app, "military", "call-up-notice",
	    "2027-12-01", NULL, &id, &r), 201);
	tresp_free(&r);
	kit_approve_leave(&app, &dean, &reg, id);
	order = kit_draft_order(&reg, &id, 1);
	kit_sign_order(order);
	kit_expect_state(&app, id, "on-leave");
	/* The ground must be the leave's, and a military leave needs the
	 * military ID copy. */
	kit_upload_pdf(&app, "health", sha);
	doc = kit_return_application(sha);	/* ground "medical" */
	snprintf(extra, sizeof(extra), "\"document\":%s", doc);
	free(doc);
	t_fire(&app, "applicant", "rsa", id, "file-return", extra, &r);
	ck_assert_msg(t_is_problem(&r, 422, "guard-failed"), "%s", r.body);
	ck_assert_str_eq(json_string_value(json_object_get(r.json, "field")),
	    "same-ground");
	tresp_free(&r);
	doc = kit_return_application(sha);
	o = json_loads(doc, 0, NULL);
	free(doc);
	json_object_set_new(o, "leaveGround", json_string("military"));
	doc = json_dumps(o, 0);
	json_decref(o);
	snprintf(extra, sizeof(extra), "\"document\":%s", doc);
	free(doc);
	t_fire(&app, "applicant", "rsa", id, "file-return", extra, &r);
	ck_assert_msg(r.status == 422, "%s", r.body);
	ck_assert_msg(strstr(r.body, "military") != NULL, "%s", r.body);
	tresp_free(&r);
	kit_expect_state(&app, id, "on-leave");
	ck_assert_int_eq(db_int("SELECT count(*) FROM case_document WHERE "
	    "role = 'return-application'"), 0);
}
END_TEST

/* The number of leaves is not limited (seed 000 L1063). */
START_TEST(t_leaves_unlimited)
{
	struct tclient	app, dean, reg;
	int64_t		first, second;
	char		sha[65], *doc, extra[8192];

	kit_set_clock(0);
	kit_login_as(&app, "applicant");
	kit_login_as(&dean, "dean");
	kit_login_as(&reg, "registrar");
	first = kit_case_on_leave("2027-02-01");
	kit_upload_pdf(&app, "health-2", sha);
	doc = kit_return_application(sha);
	snprintf(extra, sizeof(extra), "\"document\":%s", doc);
	free(doc);
	kit_fire_ok(&app, "applicant", first, "file-return", extra);
	kit_fire_ok(&dean, "dean", first, "approve-return", "");
	kit_sign_order(kit_draft_order(&reg, &first, 1));
	kit_expect_state(&app, first, "studying");
	second = kit_case_on_leave("2027-06-01");
	ck_assert_int_ne(first, second);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("leave-rules");
	TCase	*tc = tcase_create("rules");
	SRunner	*sr;
	int	 failed;

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, t_evidence_by_ground);
	tcase_add_test(tc, t_funding_during_leave);
	tcase_add_test(tc, t_durations_by_ground);
	tcase_add_test(tc, t_registrar_sends_back);
	tcase_add_test(tc, t_return_evidence_by_ground);
	tcase_add_test(tc, t_leaves_unlimited);
	suite_add_tcase(s, tc);
	harness_start();
	sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	failed += harness_stop();
	return (failed == 0 ? 0 : 1);
}
