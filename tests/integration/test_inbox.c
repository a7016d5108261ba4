/*
 * test_inbox.c: GET /api/inbox — the cases waiting for the caller, by role
 * (and its unit scope) or in person, ordered by deadline (cases without a
 * deadline last), paginated with a cursor that neither repeats nor skips.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/lib/flowkit.h"
#include "tests/lib/harness.h"
#include "tests/lib/http.h"

/* Whether the inbox answer lists the case; its events into ev. */
static int
lists(const struct tresp *r, int64_t id, char *ev, size_t evlen)
{
	json_t	*items = json_object_get(r->json, "items"), *it, *e;
	size_t	 i, j;

	for (i = 0; i < json_array_size(items); i++) {
		it = json_array_get(items, i);
		if (json_integer_value(json_object_get(it, "case_id")) != id)
			continue;
		if (ev != NULL) {
			ev[0] = '\0';
			e = json_object_get(it, "events");
			for (j = 0; j < json_array_size(e); j++)
				snprintf(ev + strlen(ev), evlen - strlen(ev),
				    "%s%s", j ? "," : "", json_string_value(
				    json_array_get(e, j)));
		}
		return (1);
	}
	return (0);
}

START_TEST(t_who_waits)
{
	struct tclient	app, dean, reg, legal;
	struct tresp	r;
	int64_t		a, b, c;
	char		ev[256];

	kit_set_clock(0);
	kit_login_as(&app, "applicant");
	kit_login_as(&dean, "dean");
	kit_login_as(&reg, "registrar");
	kit_login_as(&legal, "legal");
	a = kit_open_leave(&app, "medical", "2026-12-01", "2027-01-15");
	b = kit_open_leave(&app, "medical", "2026-12-01", "2027-01-15");
	c = kit_open_leave(&app, "medical", "2026-12-01", "2027-01-15");
	kit_fire_ok(&app, "applicant", b, "submit", "");
	kit_fire_ok(&app, "applicant", c, "submit", "");
	kit_fire_ok(&dean, "dean", c, "approve", "");
	/* The applicant waits on the draft only. */
	ck_assert_int_eq(t_json(&app, "GET", "/api/inbox?limit=200", NULL, &r),
	    200);
	ck_assert(lists(&r, a, ev, sizeof(ev)));
	ck_assert_ptr_nonnull(strstr(ev, "submit"));
	ck_assert(!lists(&r, b, NULL, 0));
	ck_assert(!lists(&r, c, NULL, 0));
	tresp_free(&r);
	/* The dean's office waits on the submitted one, with its choices. */
	ck_assert_int_eq(t_json(&dean, "GET", "/api/inbox?limit=200", NULL,
	    &r), 200);
	ck_assert(lists(&r, b, ev, sizeof(ev)));
	ck_assert_ptr_nonnull(strstr(ev, "approve"));
	ck_assert_ptr_nonnull(strstr(ev, "reject"));
	ck_assert_ptr_nonnull(strstr(ev, "return-for-changes"));
	ck_assert(!lists(&r, a, NULL, 0));
	ck_assert(!lists(&r, c, NULL, 0));
	tresp_free(&r);
	/* The registrar waits on the endorsed one. */
	ck_assert_int_eq(t_json(&reg, "GET", "/api/inbox?limit=200", NULL, &r),
	    200);
	ck_assert(lists(&r, c, ev, sizeof(ev)));
	ck_assert_str_eq(ev, "confirm-record,record-mismatch");
	ck_assert(!lists(&r, b, NULL, 0));
	tresp_free(&r);
	/* Legal waits on none of them. */
	ck_assert_int_eq(t_json(&legal, "GET", "/api/inbox?limit=200", NULL,
	    &r), 200);
	ck_assert(!lists(&r, a, NULL, 0) && !lists(&r, b, NULL, 0) &&
	    !lists(&r, c, NULL, 0));
	tresp_free(&r);
	/* Bad parameters are 400s. */
	ck_assert_int_eq(t_json(&dean, "GET", "/api/inbox?limit=0", NULL, &r),
	    400);
	tresp_free(&r);
	ck_assert_int_eq(t_json(&dean, "GET", "/api/inbox?cursor=x", NULL, &r),
	    400);
	tresp_free(&r);
}
END_TEST

/* The learners an order names wait to acknowledge it, earliest due first. */
START_TEST(t_ordered_by_deadline_and_paged)
{
	struct tclient	app, dean, reg;
	struct tresp	r;
	int64_t		ids[2], orders[2];
	char		path[96], cursor[64];
	int		i, seen_first = 0, seen_second = 0, pages = 0;
	long long	due1, due2;

	kit_set_clock(0);
	kit_login_as(&app, "applicant");
	kit_login_as(&dean, "dean");
	kit_login_as(&reg, "registrar");
	for (i = 0; i < 2; i++) {
		ids[i] = kit_open_leave(&app, "medical", "2026-12-01",
		    "2027-01-31");
		kit_approve_leave(&app, &dean, &reg, ids[i]);
	}
	/* The second order is signed two days later: it is due later. */
	orders[1] = kit_draft_order(&reg, &ids[1], 1);
	orders[0] = kit_draft_order(&reg, &ids[0], 1);
	kit_sign_order(orders[0]);
	kit_set_clock(2 * 86400);
	kit_sign_order(orders[1]);
	kit_login_as(&app, "applicant");	/* two days: a new session */
	snprintf(path, sizeof(path), "SELECT extract(epoch FROM due_at)::bigint "
	    "FROM deadline WHERE case_id = %lld", (long long)orders[0]);
	due1 = db_int(path);
	snprintf(path, sizeof(path), "SELECT extract(epoch FROM due_at)::bigint "
	    "FROM deadline WHERE case_id = %lld", (long long)orders[1]);
	due2 = db_int(path);
	ck_assert(due1 < due2);
	/* Page through the applicant's inbox one case at a time. */
	cursor[0] = '\0';
	for (;;) {
		snprintf(path, sizeof(path), "/api/inbox?limit=1%s%s",
		    cursor[0] ? "&cursor=" : "", cursor);
		ck_assert_int_eq(t_json(&app, "GET", path, NULL, &r), 200);
		ck_assert_int_le(json_array_size(json_object_get(r.json,
		    "items")), 1);
		if (lists(&r, orders[0], NULL, 0)) {
			ck_assert(!seen_first && !seen_second);
			seen_first = 1;
		}
		if (lists(&r, orders[1], NULL, 0)) {
			ck_assert(seen_first && !seen_second);
			seen_second = 1;
		}
		pages++;
		if (json_is_null(json_object_get(r.json, "next_cursor"))) {
			tresp_free(&r);
			break;
		}
		snprintf(cursor, sizeof(cursor), "%s", t_str(&r,
		    "next_cursor"));
		tresp_free(&r);
		ck_assert_int_lt(pages, 100);
	}
	ck_assert(seen_first && seen_second);
	/* Acknowledging takes the order out of the inbox. */
	kit_fire_ok(&app, "applicant", orders[0], "acknowledge", "");
	ck_assert_int_eq(t_json(&app, "GET", "/api/inbox?limit=200", NULL, &r),
	    200);
	ck_assert(!lists(&r, orders[0], NULL, 0));
	ck_assert(lists(&r, orders[1], NULL, 0));
	tresp_free(&r);
	kit_set_clock(0);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("inbox");
	TCase	*tc = tcase_create("inbox");
	SRunner	*sr;
	int	 failed;

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, t_who_waits);
	tcase_add_test(tc, t_ordered_by_deadline_and_paged);
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
