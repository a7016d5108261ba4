/*
 * test_calendar_api.c: the working-day calendar is data an administrator
 * edits over the API, with its legal source, audited; deadlines counted in
 * working days follow the edit.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/lib/flowkit.h"
#include "tests/lib/harness.h"
#include "tests/lib/http.h"

START_TEST(t_read_and_roles)
{
	struct tclient	app, admin;
	struct tresp	r;

	kit_login_as(&app, "applicant");
	kit_login_as(&admin, "admin");
	ck_assert_int_eq(t_json(&app, "GET",
	    "/api/calendar?from=2026-03-01&to=2026-03-31", NULL, &r), 200);
	/* Nauryz 21-23 March 2026 (Saturday to Monday) and its carry-over. */
	ck_assert_ptr_nonnull(strstr(r.body, "\"2026-03-23\""));
	ck_assert_ptr_nonnull(strstr(r.body, "holiday"));
	tresp_free(&r);
	ck_assert_int_eq(t_json(&app, "GET", "/api/calendar?from=2026-03-01",
	    NULL, &r), 400);
	tresp_free(&r);
	/* Only an administrator edits. */
	ck_assert_int_eq(t_json(&app, "PUT", "/api/calendar/days/2026-12-30",
	    "{\"working\":false,\"kind\":\"transfer-day-off\",\"name_kk\":\"a\","
	    "\"name_ru\":\"a\",\"name_en\":\"a\",\"source\":\"decree\"}", &r),
	    403);
	tresp_free(&r);
	/* A day off cannot be "working". */
	ck_assert(t_json(&admin, "PUT", "/api/calendar/days/2026-12-30",
	    "{\"working\":true,\"kind\":\"transfer-day-off\",\"name_kk\":\"a\","
	    "\"name_ru\":\"a\",\"name_en\":\"a\",\"source\":\"decree\"}", &r) ==
	    422);
	tresp_free(&r);
	ck_assert_int_eq(t_json(&admin, "PUT", "/api/calendar/days/2026-13-01",
	    "{}", &r), 404);
	tresp_free(&r);
	ck_assert_int_eq(t_json(&admin, "PUT", "/api/calendar/days/2026-12-30",
	    "{\"working\":false,\"kind\":\"bridge\",\"name_kk\":\"a\","
	    "\"name_ru\":\"a\",\"name_en\":\"a\",\"source\":\"decree\"}", &r),
	    400);
	tresp_free(&r);
	ck_assert_int_eq(db_int("SELECT count(*) FROM calendar_day WHERE day = "
	    "'2026-12-30'"), 0);
}
END_TEST

static long long
acknowledge_due(int64_t order)
{
	char	q[160];

	snprintf(q, sizeof(q), "SELECT extract(epoch FROM due_at)::bigint "
	    "FROM deadline WHERE case_id = %lld AND name = 'acknowledge-by'",
	    (long long)order);
	return (db_int(q));
}

/* Signs a new leave order now; returns its acknowledgment due time. */
static long long
order_due(void)
{
	struct tclient	app, dean, reg;
	int64_t		id, order;

	kit_login_as(&app, "applicant");
	kit_login_as(&dean, "dean");
	kit_login_as(&reg, "registrar");
	id = kit_open_leave(&app, "medical", "2026-12-01", "2027-02-01");
	kit_approve_leave(&app, &dean, &reg, id);
	order = kit_draft_order(&reg, &id, 1);
	kit_sign_order(order);
	return (acknowledge_due(order));
}

START_TEST(t_deadlines_follow_the_edit)
{
	struct tclient	admin, aud;
	struct tresp	r;
	char		num[24], day[16], path[96], q[512];
	long long	before, during, after;

	kit_set_clock(0);
	kit_login_as(&admin, "admin");
	/* A working day inside the next ten working days. */
	snprintf(q, sizeof(q), "SELECT to_char(d, 'YYYYMMDD')::bigint FROM "
	    "generate_series((now() AT TIME ZONE 'Asia/Almaty')::date + 1, "
	    "(now() AT TIME ZONE 'Asia/Almaty')::date + 9, '1 day') d WHERE "
	    "extract(isodow FROM d) < 6 AND d::date NOT IN (SELECT day FROM "
	    "calendar_day) ORDER BY d LIMIT 1");
	snprintf(num, sizeof(num), "%lld", (long long)db_int(q));
	snprintf(day, sizeof(day), "%.4s-%.2s-%.2s", num, num + 4, num + 6);
	before = order_due();
	snprintf(path, sizeof(path), "/api/calendar/days/%s", day);
	ck_assert_int_eq(t_json(&admin, "PUT", path, "{\"working\":false,"
	    "\"kind\":\"transfer-day-off\",\"name_kk\":\"Демалыс\",\"name_ru\":"
	    "\"Выходной\",\"name_en\":\"Day off\",\"source\":\"test decree\"}",
	    &r), 200);
	tresp_free(&r);
	sleep(6);	/* servers reload the calendar within five seconds */
	during = order_due();
	ck_assert_msg(during > before, "the new day off did not move the "
	    "deadline (%lld vs %lld)", during, before);
	ck_assert_int_ge(during - before, 86400);
	ck_assert_int_eq(t_json(&admin, "DELETE", path, NULL, &r), 204);
	tresp_free(&r);
	sleep(6);
	after = order_due();
	ck_assert_int_eq(after, before);
	/* Both edits are in the calendar stream, which verifies. */
	kit_login_as(&aud, "auditor");
	ck_assert_int_eq(t_json(&aud, "GET", "/api/audit/verify?stream=calendar",
	    NULL, &r), 200);
	ck_assert(json_is_true(json_object_get(r.json, "valid")));
	ck_assert_int_eq(json_integer_value(json_object_get(r.json, "events")),
	    2);
	tresp_free(&r);
}
END_TEST

/*
 * The academic calendar (summer vacation and the like, read by
 * qj:in-period): read by anyone signed in, edited by an administrator with
 * its source; bad input is refused naming the field and writes nothing;
 * periods of one kind and unit never overlap; every edit is audited.
 */
START_TEST(t_academic_periods)
{
	static const struct {
		const char	*body;
		long		 status;
		const char	*field;
	} bad[] = {
		{ "{\"kind\":\"Summer\",\"academic_year\":\"2029-2030\","
		    "\"starts_on\":\"2030-07-01\",\"ends_on\":\"2030-08-31\","
		    "\"title_kk\":\"a\",\"title_ru\":\"a\",\"title_en\":\"a\","
		    "\"source\":\"rector's order\"}", 400, "kind" },
		{ "{\"kind\":\"summer-vacation\",\"academic_year\":\"2029-2031\","
		    "\"starts_on\":\"2030-07-01\",\"ends_on\":\"2030-08-31\","
		    "\"title_kk\":\"a\",\"title_ru\":\"a\",\"title_en\":\"a\","
		    "\"source\":\"rector's order\"}", 400, "academic_year" },
		{ "{\"kind\":\"summer-vacation\",\"academic_year\":\"2029-2030\","
		    "\"starts_on\":\"2030-13-01\",\"ends_on\":\"2030-08-31\","
		    "\"title_kk\":\"a\",\"title_ru\":\"a\",\"title_en\":\"a\","
		    "\"source\":\"rector's order\"}", 400, "starts_on" },
		{ "{\"kind\":\"summer-vacation\",\"academic_year\":\"2029-2030\","
		    "\"starts_on\":\"2030-07-01\",\"ends_on\":\"2030-06-30\","
		    "\"title_kk\":\"a\",\"title_ru\":\"a\",\"title_en\":\"a\","
		    "\"source\":\"rector's order\"}", 422, "ends_on" },
		{ "{\"kind\":\"summer-vacation\",\"academic_year\":\"2029-2030\","
		    "\"starts_on\":\"2031-07-01\",\"ends_on\":\"2031-08-31\","
		    "\"title_kk\":\"a\",\"title_ru\":\"a\",\"title_en\":\"a\","
		    "\"source\":\"rector's order\"}", 422, "starts_on" },
		{ "{\"kind\":\"summer-vacation\",\"academic_year\":\"2029-2030\","
		    "\"starts_on\":\"2030-07-01\",\"ends_on\":\"2030-08-31\","
		    "\"title_kk\":\"a\",\"title_ru\":\"a\",\"title_en\":\"a\"}",
		    400, "source" },
		{ "{\"kind\":\"summer-vacation\",\"academic_year\":\"2029-2030\","
		    "\"starts_on\":\"2030-07-01\",\"ends_on\":\"2030-08-31\","
		    "\"title_kk\":\"a\",\"title_ru\":\"a\",\"title_en\":\"a\","
		    "\"source\":\"rector's order\",\"colour\":\"red\"}", 400,
		    "colour" },
		{ "{\"kind\":\"summer-vacation\",\"academic_year\":\"2029-2030\","
		    "\"starts_on\":\"2030-07-01\",\"ends_on\":\"2030-08-31\","
		    "\"title_kk\":\"a\",\"title_ru\":\"a\",\"title_en\":\"a\","
		    "\"source\":\"rector's order\",\"unit_id\":999999}", 422,
		    "unit_id" },
		{ "{\"kind\":\"summer-vacation\",\"academic_year\":\"2029-2030\","
		    "\"starts_on\":\"2030-07-01\",\"ends_on\":\"2030-08-31\","
		    "\"title_kk\":\"a\",\"title_ru\":\"a\",\"title_en\":\"a\","
		    "\"source\":\"rector's order\",\"unit_id\":\"1\"}", 400,
		    "unit_id" },
		/* The seeded summer vacation of 2025-2026. */
		{ "{\"kind\":\"summer-vacation\",\"academic_year\":\"2025-2026\","
		    "\"starts_on\":\"2026-08-15\",\"ends_on\":\"2026-09-15\","
		    "\"title_kk\":\"a\",\"title_ru\":\"a\",\"title_en\":\"a\","
		    "\"source\":\"rector's order\"}", 409, "starts_on" },
	};
	struct tclient	 app, admin, aud;
	struct tresp	 r;
	char		 path[96];
	long long	 rows, events, id;
	size_t		 i;

	kit_login_as(&app, "applicant");
	kit_login_as(&admin, "admin");
	ck_assert_int_eq(t_json(&app, "GET", "/api/calendar/periods?"
	    "academic_year=2025-2026", NULL, &r), 200);
	ck_assert_ptr_nonnull(strstr(r.body, "\"2026-07-01\""));
	ck_assert_ptr_nonnull(strstr(r.body, "summer-vacation"));
	tresp_free(&r);
	ck_assert_int_eq(t_json(&app, "GET", "/api/calendar/periods?"
	    "academic_year=2025", NULL, &r), 400);
	tresp_free(&r);
	rows = db_int("SELECT count(*) FROM academic_period");
	events = db_int("SELECT count(*) FROM audit_event WHERE stream = "
	    "'calendar'");
	ck_assert_int_eq(t_json(&app, "POST", "/api/calendar/periods",
	    bad[0].body, &r), 403);
	tresp_free(&r);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		t_json(&admin, "POST", "/api/calendar/periods", bad[i].body, &r);
		ck_assert_msg(r.status == bad[i].status && t_is_problem(&r,
		    bad[i].status, NULL) && json_is_string(json_object_get(
		    r.json, "field")) && strcmp(t_str(&r, "field"),
		    bad[i].field) == 0, "case %zu: %ld %s", i, r.status, r.body);
		tresp_free(&r);
	}
	ck_assert_int_eq(db_int("SELECT count(*) FROM academic_period"), rows);
	/* Added, listed, removed once. */
	ck_assert_int_eq(t_json(&admin, "POST", "/api/calendar/periods",
	    "{\"kind\":\"summer-vacation\",\"academic_year\":\"2029-2030\","
	    "\"starts_on\":\"2030-07-01\",\"ends_on\":\"2030-08-31\","
	    "\"title_kk\":\"Жазғы каникул\",\"title_ru\":\"Летние каникулы\","
	    "\"title_en\":\"Summer vacation\",\"source\":\"Academic calendar "
	    "2029-2030, rector's order\"}", &r), 201);
	id = t_int(&r, "id");
	tresp_free(&r);
	ck_assert_int_eq(db_int("SELECT count(*) FROM academic_period"),
	    rows + 1);
	ck_assert_int_eq(t_json(&app, "GET", "/api/calendar/periods?"
	    "academic_year=2029-2030", NULL, &r), 200);
	ck_assert_ptr_nonnull(strstr(r.body, "\"2030-08-31\""));
	tresp_free(&r);
	snprintf(path, sizeof(path), "/api/calendar/periods/%lld", id);
	ck_assert_int_eq(t_json(&app, "DELETE", path, NULL, &r), 403);
	tresp_free(&r);
	ck_assert_int_eq(t_json(&admin, "DELETE", path, NULL, &r), 204);
	tresp_free(&r);
	ck_assert_int_eq(t_json(&admin, "DELETE", path, NULL, &r), 404);
	tresp_free(&r);
	ck_assert_int_eq(db_int("SELECT count(*) FROM academic_period"), rows);
	/* Two edits, in the calendar stream, which verifies. */
	ck_assert_int_eq(db_int("SELECT count(*) FROM audit_event WHERE stream "
	    "= 'calendar'"), events + 2);
	kit_login_as(&aud, "auditor");
	ck_assert_int_eq(t_json(&aud, "GET", "/api/audit/verify?stream=calendar",
	    NULL, &r), 200);
	ck_assert(json_is_true(json_object_get(r.json, "valid")));
	tresp_free(&r);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("calendar-api");
	TCase	*tc = tcase_create("calendar");
	SRunner	*sr;
	int	 failed;

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, t_read_and_roles);
	tcase_add_test(tc, t_deadlines_follow_the_edit);
	tcase_add_test(tc, t_academic_periods);
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
