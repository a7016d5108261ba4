/*
 * test_orders.c: orders (бұйрық, SPEC 2.5) under concurrency — twenty
 * orders signed at the same moment get twenty consecutive numbers, and
 * the registration counter stays gap-free when transactions roll back;
 * an order lists many learners and moves every case it lists; a signed
 * order cannot be changed.
 */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/cases.h"
#include "tests/lib/flowkit.h"
#include "tests/lib/harness.h"
#include "tests/lib/http.h"
#include "tests/lib/signer.h"

#define NORDERS	20

static int64_t
leave_case(struct tclient *app, const char *who, int i)
{
	struct tresp	 r;
	json_t		*o;
	char		 pdf[128], sha[65], *s;
	const char	*iin = strcmp(who, "applicant") == 0 ? "980412410006" :
			    "970930310004";
	int64_t		 id;

	snprintf(pdf, sizeof(pdf), "case %d %s", i, who);
	kit_upload_pdf(app, pdf, sha);
	o = json_pack("{s:s, s:{s:s, s:{s:s, s:{s:s}}, s:{s:s, s:{s:s}}, "
	    "s:{s:s, s:{s:s}}, s:i, s:s, s:s, s:s, s:[{s:s, s:s, s:s, s:s, "
	    "s:s}], s:s, s:s, s:s}}",
	    "workflow", "academic-leave",
	    "document", "version", "1.0", "addressee", "role",
	    "head-of-university", "organisation", "kk", "Qujat",
	    "applicant", "iin", iin, "fullName", "kk", who,
	    "programme", "code", "7R01114", "name", "kk", "Кардиология",
	    "yearOfStudy", 1,
	    "ground", "medical",
	    "requestedStartDate", "2026-12-01",
	    "requestedEndDate", "2027-03-31",
	    "evidence", "sha256", sha, "kind", "dkk-conclusion",
	    "description", "ДКК", "mediaType", "application/pdf",
	    "fileName", "dkk.pdf",
	    "statement", "Демалыс сұраймын.", "language", "kk",
	    "date", "2026-11-23");
	s = json_dumps(o, 0);
	json_decref(o);
	t_json(app, "POST", "/api/cases", s, &r);
	free(s);
	ck_assert_msg(r.status == 201, "%ld %s", r.status, r.body);
	id = t_int(&r, "id");
	tresp_free(&r);
	return (id);
}

struct signer_job {
	int64_t		 order;
	struct tclient	*rector;
	long		 status;
};

static void *
sign_job(void *arg)
{
	struct signer_job	*j = arg;
	struct tresp		 r;

	j->status = t_fire(j->rector, "rector", "rsa", j->order, "sign", "",
	    &r);
	tresp_free(&r);
	return (NULL);
}

START_TEST(t_twenty_orders_signed_at_once)
{
	struct tclient		app, app2, dean, reg, legal, vr, rector;
	struct signer_job	jobs[NORDERS];
	pthread_t		th[NORDERS];
	int64_t			cases[NORDERS + 1], orders[NORDERS];
	int64_t			before, n;
	char			q[256];
	int			i;

	kit_login_as(&app, "applicant");
	kit_login_as(&app2, "applicant2");
	kit_login_as(&dean, "dean");
	kit_login_as(&reg, "registrar");
	kit_login_as(&legal, "legal");
	kit_login_as(&vr, "vicerector");
	kit_login_as(&rector, "rector");
	before = db_int("SELECT coalesce(max(reg_number), 0) FROM wf_case "
	    "WHERE series = 'student' AND reg_year = extract(year FROM now())");
	for (i = 0; i < NORDERS; i++) {
		cases[i] = leave_case(&app, "applicant", i);
		kit_fire_ok(&app, "applicant", cases[i], "submit", "");
		kit_fire_ok(&dean, "dean", cases[i], "approve", "");
		kit_fire_ok(&reg, "registrar", cases[i], "confirm-record",
		    "\"data\":{\"funding-basis\":\"state-order\"}");
		orders[i] = kit_draft_order(&reg, &cases[i], 1);
		kit_fire_ok(&reg, "registrar", orders[i], "send-for-approval", "");
		kit_fire_ok(&legal, "legal", orders[i], "endorse", "");
		kit_fire_ok(&dean, "dean", orders[i], "endorse", "");
		kit_fire_ok(&vr, "vicerector", orders[i], "endorse", "");
	}
	for (i = 0; i < NORDERS; i++) {
		jobs[i].order = orders[i];
		jobs[i].rector = &rector;
		pthread_create(&th[i], NULL, sign_job, &jobs[i]);
	}
	for (i = 0; i < NORDERS; i++) {
		pthread_join(th[i], NULL);
		ck_assert_msg(jobs[i].status == 200, "order %lld: %ld",
		    (long long)orders[i], jobs[i].status);
	}
	/* Twenty numbers, consecutive after the ones before, no duplicate. */
	snprintf(q, sizeof(q), "SELECT count(DISTINCT reg_number) FROM wf_case "
	    "WHERE workflow = 'order' AND id BETWEEN %lld AND %lld",
	    (long long)orders[0], (long long)orders[NORDERS - 1]);
	ck_assert_int_eq(db_int(q), NORDERS);
	snprintf(q, sizeof(q), "SELECT min(reg_number) FROM wf_case WHERE "
	    "workflow = 'order' AND id BETWEEN %lld AND %lld",
	    (long long)orders[0], (long long)orders[NORDERS - 1]);
	ck_assert_int_eq(db_int(q), before + 1);
	snprintf(q, sizeof(q), "SELECT max(reg_number) FROM wf_case WHERE "
	    "workflow = 'order' AND id BETWEEN %lld AND %lld",
	    (long long)orders[0], (long long)orders[NORDERS - 1]);
	ck_assert_int_eq(db_int(q), before + NORDERS);
	/* Each order moved its case. */
	for (i = 0; i < NORDERS; i++) {
		snprintf(q, sizeof(q), "SELECT count(*) FROM wf_case WHERE id = "
		    "%lld AND state = 'on-leave'", (long long)cases[i]);
		ck_assert_int_eq(db_int(q), 1);
	}
	n = db_int("SELECT last_number FROM order_counter WHERE series = "
	    "'student' AND year = extract(year FROM now())");
	ck_assert_int_eq(n, before + NORDERS);
	(void)app2;
}
END_TEST

struct counter_job {
	int	rollback;
	int	number;
	int	ok;
};

/* A transaction that takes a number and commits or rolls back. */
static void *
counter_job(void *arg)
{
	struct counter_job	*j = arg;
	struct qj_diag		 d;
	struct qj_db		*db;

	if (qj_db_connect(H.dsn, &db, &d) != QJ_OK)
		return (NULL);
	if (qj_db_begin(db, &d) == QJ_OK &&
	    counter_next(db, "gap-test", 2026, &j->number, &d) == QJ_OK) {
		usleep((useconds_t)(rand() % 20000));
		if (j->rollback)
			qj_db_rollback(db);
		else
			j->ok = qj_db_commit(db, &d) == QJ_OK;
	}
	qj_db_free(db);
	return (NULL);
}

/* Rolled-back registrations return their numbers: no gaps. */
START_TEST(t_counter_gap_free_under_rollbacks)
{
	struct counter_job	jobs[40];
	pthread_t		th[40];
	int			i, committed = 0;

	srand(11);
	for (i = 0; i < 40; i++) {
		memset(&jobs[i], 0, sizeof(jobs[i]));
		jobs[i].rollback = i % 3 == 0;
		pthread_create(&th[i], NULL, counter_job, &jobs[i]);
	}
	for (i = 0; i < 40; i++) {
		pthread_join(th[i], NULL);
		committed += jobs[i].ok;
	}
	ck_assert_int_eq(committed, 26);
	ck_assert_int_eq(db_int("SELECT last_number FROM order_counter WHERE "
	    "series = 'gap-test' AND year = 2026"), committed);
	/* The committed numbers are exactly 1..committed. */
	{
		int	seen[64] = { 0 };

		for (i = 0; i < 40; i++)
			if (jobs[i].ok) {
				ck_assert(jobs[i].number >= 1 &&
				    jobs[i].number <= committed);
				ck_assert(!seen[jobs[i].number]);
				seen[jobs[i].number] = 1;
			}
	}
}
END_TEST

/* One order lists several learners and moves every listed case. */
START_TEST(t_order_lists_many)
{
	struct tclient	app, app2, dean, reg, legal, vr, rector;
	struct tresp	r;
	int64_t		cases[3], order;
	char		path[256];

	kit_login_as(&app, "applicant");
	kit_login_as(&app2, "applicant2");
	kit_login_as(&dean, "dean");
	kit_login_as(&reg, "registrar");
	kit_login_as(&legal, "legal");
	kit_login_as(&vr, "vicerector");
	kit_login_as(&rector, "rector");
	cases[0] = leave_case(&app, "applicant", 100);
	cases[1] = leave_case(&app2, "applicant2", 101);
	cases[2] = leave_case(&app2, "applicant2", 102);
	kit_fire_ok(&app, "applicant", cases[0], "submit", "");
	kit_fire_ok(&app2, "applicant2", cases[1], "submit", "");
	kit_fire_ok(&app2, "applicant2", cases[2], "submit", "");
	kit_fire_ok(&dean, "dean", cases[0], "approve", "");
	kit_fire_ok(&dean, "dean", cases[1], "approve", "");
	/* Case 2 is not ready: an order cannot list it. */
	kit_fire_ok(&reg, "registrar", cases[0], "confirm-record",
	    "\"data\":{\"funding-basis\":\"state-order\"}");
	kit_fire_ok(&reg, "registrar", cases[1], "confirm-record",
	    "\"data\":{\"funding-basis\":\"state-order\"}");
	snprintf(path, sizeof(path), "/api/orders");
	t_json(&reg, "POST", path, "{\"series\":\"student\",\"case_ids\":[1],"
	    "\"language\":\"kk\"}", &r);
	ck_assert_int_eq(r.status, 400);	/* title, preamble, signatory */
	tresp_free(&r);
	{
		int64_t three[] = { cases[0], cases[1], cases[2] };
		char body[2048];

		snprintf(body, sizeof(body), "{\"series\":\"student\","
		    "\"case_ids\":[%lld,%lld,%lld],\"language\":\"kk\","
		    "\"title\":{\"kk\":\"Т\"},\"preamble\":{\"text\":{\"kk\":"
		    "\"Б\"},\"legalBasis\":[{\"act\":{\"kk\":\"Қ\"}}]},"
		    "\"signatory\":{\"fullName\":{\"surname\":\"Ш\","
		    "\"givenName\":\"М\"},\"iin\":\"680224310005\",\"role\":"
		    "\"rector\",\"position\":{\"kk\":\"Ректор\"}}}",
		    (long long)three[0], (long long)three[1],
		    (long long)three[2]);
		t_json(&reg, "POST", "/api/orders", body, &r);
		ck_assert_msg(t_is_problem(&r, 409, "not-awaiting-order"), "%s",
		    r.body);
		tresp_free(&r);
	}
	order = kit_draft_order(&reg, cases, 2);
	/* A case on a live order cannot go on another. */
	{
		struct tresp r2;
		char body[2048];

		snprintf(body, sizeof(body), "{\"series\":\"student\","
		    "\"case_ids\":[%lld],\"language\":\"kk\",\"title\":{\"kk\":"
		    "\"Т\"},\"preamble\":{\"text\":{\"kk\":\"Б\"},\"legalBasis\":"
		    "[{\"act\":{\"kk\":\"Қ\"}}]},\"signatory\":{\"fullName\":{"
		    "\"surname\":\"Ш\",\"givenName\":\"М\"},\"iin\":"
		    "\"680224310005\",\"role\":\"rector\",\"position\":{\"kk\":"
		    "\"Ректор\"}}}", (long long)cases[0]);
		t_json(&reg, "POST", "/api/orders", body, &r2);
		ck_assert_msg(t_is_problem(&r2, 409, "already-in-order"), "%s",
		    r2.body);
		tresp_free(&r2);
	}
	kit_fire_ok(&reg, "registrar", order, "send-for-approval", "");
	kit_fire_ok(&legal, "legal", order, "endorse", "");
	/* One person, one visa. */
	t_fire(&legal, "legal", "rsa", order, "endorse", "", &r);
	ck_assert_msg(t_is_problem(&r, 403, "not-your-step"), "%s", r.body);
	tresp_free(&r);
	kit_fire_ok(&dean, "dean", order, "endorse", "");
	kit_fire_ok(&vr, "vicerector", order, "endorse", "");
	kit_fire_ok(&rector, "rector", order, "sign", "");
	/* Both listed cases moved. */
	snprintf(path, sizeof(path), "SELECT count(*) FROM wf_case WHERE id IN "
	    "(%lld, %lld) AND state = 'on-leave'", (long long)cases[0],
	    (long long)cases[1]);
	ck_assert_int_eq(db_int(path), 2);
	/* Both learners must acknowledge before the order is in force. */
	kit_fire_ok(&app, "applicant", order, "acknowledge", "");
	snprintf(path, sizeof(path), "SELECT count(*) FROM wf_case WHERE id = "
	    "%lld AND state = 'registered'", (long long)order);
	ck_assert_int_eq(db_int(path), 1);
	kit_fire_ok(&app2, "applicant2", order, "acknowledge", "");
	snprintf(path, sizeof(path), "SELECT count(*) FROM wf_case WHERE id = "
	    "%lld AND state = 'in-force'", (long long)order);
	ck_assert_int_eq(db_int(path), 1);
	/* A signed order's document never changes: the database refuses. */
	{
		struct qj_diag d;
		char sql[256];

		snprintf(sql, sizeof(sql), "UPDATE document SET form = 'order' "
		    "WHERE sha256 = (SELECT sha256 FROM case_document WHERE "
		    "case_id = %lld LIMIT 1)", (long long)order);
		ck_assert_int_ne(qj_db_script(harness_db(), sql, &d), QJ_OK);
	}
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("orders");
	TCase	*tc = tcase_create("orders");
	SRunner	*sr;
	int	 failed;

	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, t_twenty_orders_signed_at_once);
	tcase_add_test(tc, t_counter_gap_free_under_rollbacks);
	tcase_add_test(tc, t_order_lists_many);
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
