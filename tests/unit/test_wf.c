/*
 * test_wf.c: the workflow engine's core — loading definitions (and
 * refusing bad ones with file and line), actors and scopes, segregation of
 * duties, guards with citations, parallel steps, votes.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/calendar.h"
#include "core/wf.h"
#include "core/xmlsafe.h"

static struct wf_set	*set;

static void
setup(void)
{
	struct qj_diag	d;

	qj_xml_init();
	ck_assert_msg(wf_load_dir("workflows", &set, &d) == QJ_OK, "%s",
	    d.detail);
}

static void
teardown(void)
{
	wf_set_free(set);
	set = NULL;
}

static char *
slurp(const char *path, size_t *len)
{
	FILE	*f = fopen(path, "rb");
	char	*buf;
	long	 n;

	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	ck_assert_int_eq(fread(buf, 1, (size_t)n, f), n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return (buf);
}

/* The sample application with some text replaced. */
static xmlDocPtr
application(const char *from, const char *to, const char *from2,
    const char *to2)
{
	struct qj_diag	 d;
	xmlDocPtr	 doc;
	size_t		 len;
	char		*s = slurp("tests/data/forms/"
			    "academic-leave-application.valid.xml", &len);
	char		*p, *out;

	out = malloc(len + 256);
	strcpy(out, s);
	if (from != NULL && (p = strstr(out, from)) != NULL) {
		memmove(p + strlen(to), p + strlen(from),
		    strlen(p + strlen(from)) + 1);
		memcpy(p, to, strlen(to));
	}
	if (from2 != NULL && (p = strstr(out, from2)) != NULL) {
		memmove(p + strlen(to2), p + strlen(from2),
		    strlen(p + strlen(from2)) + 1);
		memcpy(p, to2, strlen(to2));
	}
	ck_assert_int_eq(qj_xml_parse(out, strlen(out), 0, &doc, &d), QJ_OK);
	free(s);
	free(out);
	return (doc);
}

static xmlDocPtr
doc_of(void *arg, const char *role)
{
	return (strcmp(role, "application") == 0 ? arg : NULL);
}

#define APPLICANT_IIN	"960315400123"	/* as in the sample */

static const struct wf_grant dean_grants[] = { { "dean_office", "/1/3/" } };
static const struct wf_grant other_dean[] = { { "dean_office", "/1/4/" } };
static const struct wf_grant legal_grants[] = { { "legal", "/1/" } };

static void
views(struct wf_case_view *cv, xmlDocPtr doc, const char *state)
{
	memset(cv, 0, sizeof(*cv));
	cv->state = state;
	cv->applicant_id = 10;
	cv->unit_path = "/1/3/";
	cv->vars_json = "{}";
	cv->doc = doc_of;
	cv->doc_arg = doc;
}

static void
applicant(struct wf_actor_view *av)
{
	memset(av, 0, sizeof(*av));
	av->person_id = 10;
	av->iin = APPLICANT_IIN;
}

static void
dean(struct wf_actor_view *av, const struct wf_grant *g)
{
	memset(av, 0, sizeof(*av));
	av->person_id = 20;
	av->iin = "750321410004";
	av->grants = g;
	av->ngrants = 1;
}

static enum qj_err
decide(const struct wf_case_view *cv, const struct wf_actor_view *av,
    const char *event, struct qj_diag *d)
{
	const struct wf_def		*def = wf_set_find(set,
					    "academic-leave");
	const struct wf_transition	*t;
	struct wf_guard_env		 env;

	memset(&env, 0, sizeof(env));
	env.lang = "en";
	ck_assert_ptr_nonnull(def);
	qj_day_parse("2025-09-25", &env.today);
	return (wf_decide(def, cv, av, event, &env, &t, d));
}

START_TEST(t_loads_every_definition)
{
	const struct wf_def	*al = wf_set_find(set, "academic-leave");

	ck_assert_int_ge(set->ndefs, 3);
	ck_assert_ptr_nonnull(al);
	ck_assert_ptr_nonnull(wf_set_find(set, "order"));
	ck_assert_ptr_nonnull(wf_set_find(set, "expulsion"));
	ck_assert_str_eq(wf_initial(al)->id, "draft");
	ck_assert_int_eq(strlen(al->sha256), 64);
	ck_assert_ptr_nonnull(wf_find(al, "returned", "submit"));
	ck_assert_ptr_null(wf_find(al, "on-leave", "submit"));
	ck_assert(wf_state(al, "studying")->terminal);
}
END_TEST

START_TEST(t_applicant_submits)
{
	struct wf_case_view	cv;
	struct wf_actor_view	av;
	struct qj_diag		d;
	xmlDocPtr		doc = application(NULL, NULL, NULL, NULL);

	views(&cv, doc, "draft");
	applicant(&av);
	ck_assert_msg(decide(&cv, &av, "submit", &d) == QJ_OK, "%s", d.detail);
	xmlFreeDoc(doc);
}
END_TEST

START_TEST(t_guard_medical_12_months)
{
	struct wf_case_view	cv;
	struct wf_actor_view	av;
	struct qj_diag		d;
	xmlDocPtr		doc;

	/* 2025-10-01 + 12 months = 2026-10-01: allowed; a day more is not. */
	doc = application("<requestedEndDate>2026-06-30", "<requestedEndDate>"
	    "2026-10-01", NULL, NULL);
	views(&cv, doc, "draft");
	applicant(&av);
	ck_assert_msg(decide(&cv, &av, "submit", &d) == QJ_OK, "%s", d.detail);
	xmlFreeDoc(doc);
	doc = application("<requestedEndDate>2026-06-30", "<requestedEndDate>"
	    "2026-10-02", NULL, NULL);
	cv.doc_arg = doc;
	ck_assert_int_eq(decide(&cv, &av, "submit", &d), QJ_EUNPROC);
	ck_assert_str_eq(d.type, "guard-failed");
	ck_assert_str_eq(d.field, "medical-max-12-months");
	ck_assert_ptr_nonnull(strstr(d.detail, "seed 000 L1029-L1033"));
	xmlFreeDoc(doc);
}
END_TEST

START_TEST(t_guard_tuberculosis_36_months)
{
	struct wf_case_view	cv;
	struct wf_actor_view	av;
	struct qj_diag		d;
	xmlDocPtr		doc;

	/* 30 months of medical leave is refused; of TB leave, allowed. */
	doc = application("<requestedEndDate>2026-06-30", "<requestedEndDate>"
	    "2028-04-01", NULL, NULL);
	views(&cv, doc, "draft");
	applicant(&av);
	ck_assert_int_eq(decide(&cv, &av, "submit", &d), QJ_EUNPROC);
	xmlFreeDoc(doc);
	doc = application("<requestedEndDate>2026-06-30", "<requestedEndDate>"
	    "2028-04-01", "<ground>medical", "<ground>tuberculosis");
	cv.doc_arg = doc;
	ck_assert_msg(decide(&cv, &av, "submit", &d) == QJ_OK, "%s", d.detail);
	xmlFreeDoc(doc);
	doc = application("<requestedEndDate>2026-06-30", "<requestedEndDate>"
	    "2028-10-02", "<ground>medical", "<ground>tuberculosis");
	cv.doc_arg = doc;
	ck_assert_int_eq(decide(&cv, &av, "submit", &d), QJ_EUNPROC);
	ck_assert_str_eq(d.field, "tuberculosis-max-36-months");
	xmlFreeDoc(doc);
}
END_TEST

START_TEST(t_guard_child_until_three)
{
	struct wf_case_view	cv;
	struct wf_actor_view	av;
	struct qj_diag		d;
	xmlDocPtr		doc;

	/* Child born 2024-01-15: leave may last until 2027-01-15. */
	doc = application("<requestedEndDate>2026-06-30</requestedEndDate>",
	    "<requestedEndDate>2027-01-15</requestedEndDate><childBirthDate>"
	    "2024-01-15</childBirthDate>", "<ground>medical", "<ground>child");
	views(&cv, doc, "draft");
	applicant(&av);
	ck_assert_msg(decide(&cv, &av, "submit", &d) == QJ_OK, "%s", d.detail);
	xmlFreeDoc(doc);
	doc = application("<requestedEndDate>2026-06-30</requestedEndDate>",
	    "<requestedEndDate>2027-01-16</requestedEndDate><childBirthDate>"
	    "2024-01-15</childBirthDate>", "<ground>medical", "<ground>child");
	cv.doc_arg = doc;
	ck_assert_int_eq(decide(&cv, &av, "submit", &d), QJ_EUNPROC);
	ck_assert_str_eq(d.field, "child-until-three");
	xmlFreeDoc(doc);
}
END_TEST

START_TEST(t_only_the_learner_files)
{
	struct wf_case_view	cv;
	struct wf_actor_view	av;
	struct qj_diag		d;
	xmlDocPtr		doc = application(NULL, NULL, NULL, NULL);

	views(&cv, doc, "draft");
	applicant(&av);
	av.iin = "980412410006";	/* not the IIN in the application */
	ck_assert_int_eq(decide(&cv, &av, "submit", &d), QJ_EUNPROC);
	ck_assert_str_eq(d.field, "applicant-is-the-learner");
	xmlFreeDoc(doc);
}
END_TEST

START_TEST(t_actors_and_scope)
{
	struct wf_case_view	cv;
	struct wf_actor_view	av;
	struct qj_diag		d;
	xmlDocPtr		doc = application(NULL, NULL, NULL, NULL);

	views(&cv, doc, "dean-review");
	dean(&av, dean_grants);
	ck_assert_msg(decide(&cv, &av, "approve", &d) == QJ_OK, "%s",
	    d.detail);
	/* The applicant cannot approve; a dean of another faculty neither. */
	applicant(&av);
	ck_assert_int_eq(decide(&cv, &av, "approve", &d), QJ_EDENIED);
	ck_assert_str_eq(d.type, "wrong-actor");
	dean(&av, other_dean);
	ck_assert_int_eq(decide(&cv, &av, "approve", &d), QJ_EDENIED);
	dean(&av, legal_grants);
	ck_assert_int_eq(decide(&cv, &av, "approve", &d), QJ_EDENIED);
	/* Not in this state. */
	dean(&av, dean_grants);
	ck_assert_int_eq(decide(&cv, &av, "confirm-record", &d), QJ_ECONFLICT);
	ck_assert_str_eq(d.type, "not-in-this-state");
	/* The system fires only system transitions. */
	memset(&av, 0, sizeof(av));
	av.system = 1;
	ck_assert_int_eq(decide(&cv, &av, "approve", &d), QJ_EDENIED);
	cv.state = "on-leave";
	ck_assert_int_eq(decide(&cv, &av, "return-overdue", &d), QJ_OK);
	/* A closed case takes no event. */
	cv.state = "studying";
	ck_assert_int_eq(decide(&cv, &av, "return-overdue", &d), QJ_ECONFLICT);
	ck_assert_str_eq(d.type, "case-closed");
	xmlFreeDoc(doc);
}
END_TEST

START_TEST(t_segregation_of_duties)
{
	struct wf_case_view	cv;
	struct wf_actor_view	av;
	struct qj_diag		d;
	xmlDocPtr		doc = application(NULL, NULL, NULL, NULL);

	/* A dean's office employee who is also the applicant of this case. */
	views(&cv, doc, "dean-review");
	dean(&av, dean_grants);
	av.person_id = cv.applicant_id;
	ck_assert_int_eq(decide(&cv, &av, "approve", &d), QJ_EDENIED);
	ck_assert_str_eq(d.type, "segregation-of-duties");
	/* ...who may still withdraw it, as the applicant. */
	ck_assert_int_eq(decide(&cv, &av, "withdraw", &d), QJ_OK);
	xmlFreeDoc(doc);
}
END_TEST

START_TEST(t_parallel_visas)
{
	const struct wf_def	*def = wf_set_find(set, "order");
	const struct wf_state	*st = wf_state(def, "approval");
	static const struct wf_grant legal[] = { { "legal", "/1/" } };
	static const struct wf_grant two[] = { { "legal", "/1/" },
					    { "vice_rector", "/1/" } };
	const char		*done[] = { "legal" };
	int64_t			 by[] = { 20 };
	struct wf_case_view	 cv;
	struct wf_actor_view	 av;
	struct qj_diag		 d;
	char			 step[WF_ID_MAX];

	memset(&cv, 0, sizeof(cv));
	cv.state = "approval";
	cv.unit_path = "/1/3/";
	dean(&av, legal);
	ck_assert_int_eq(wf_step_for(def, st, &cv, &av, step, &d), QJ_OK);
	ck_assert_str_eq(step, "legal");
	ck_assert(!wf_parallel_complete(st->parallel, &cv, 1));
	ck_assert(wf_parallel_complete(st->parallel, &cv, 3));
	/* Once legal has endorsed, the same person cannot endorse again,
	 * not even through a second role. */
	cv.steps_done = done;
	cv.steps_done_by = by;
	cv.nsteps_done = 1;
	dean(&av, two);
	av.ngrants = 2;
	ck_assert_int_eq(wf_step_for(def, st, &cv, &av, step, &d), QJ_EDENIED);
	ck_assert_str_eq(d.type, "not-your-step");
	av.person_id = 21;
	ck_assert_int_eq(wf_step_for(def, st, &cv, &av, step, &d), QJ_OK);
	ck_assert_str_eq(step, "vice-rector");
}
END_TEST

START_TEST(t_acknowledgments_by_listed)
{
	const struct wf_def	*def = wf_set_find(set, "order");
	const struct wf_state	*st = wf_state(def, "registered");
	const int64_t		 listed[] = { 10, 11 };
	struct wf_case_view	 cv;
	struct wf_actor_view	 av;
	struct qj_diag		 d;
	char			 step[WF_ID_MAX];

	memset(&cv, 0, sizeof(cv));
	cv.state = "registered";
	cv.unit_path = "/1/3/";
	cv.listed = listed;
	cv.nlisted = 2;
	applicant(&av);
	ck_assert_int_eq(wf_step_for(def, st, &cv, &av, step, &d), QJ_OK);
	ck_assert_str_eq(step, "person-10");
	av.person_id = 12;
	ck_assert_int_eq(wf_step_for(def, st, &cv, &av, step, &d), QJ_EDENIED);
	ck_assert(!wf_parallel_complete(st->parallel, &cv, 1));
	ck_assert(wf_parallel_complete(st->parallel, &cv, 2));
}
END_TEST

START_TEST(t_votes)
{
	char			 opt[4][WF_ID_MAX] = { "uphold", "dismiss",
				    "abstain", "" };
	struct wf_vote		 v;
	struct qj_diag		 d;
	char			 out[WF_ID_MAX];
	const char		*clear[] = { "uphold", "uphold", "dismiss",
				    "uphold", "dismiss" };
	const char		*tie[] = { "dismiss", "uphold", "dismiss",
				    "uphold" };
	const char		*missing[] = { "uphold", NULL, "dismiss" };
	const char		*early[] = { "uphold", NULL, "uphold" };
	const char		*split[] = { "uphold", "uphold", "dismiss",
				    "abstain", "abstain" };

	memset(&v, 0, sizeof(v));
	snprintf(v.id, sizeof(v.id), "decision");
	v.options = opt;
	v.noptions = 3;
	v.cite = (char *)"seed 001 L881";
	/* Clear majority of all five members. */
	ck_assert_int_eq(wf_vote_outcome(&v, 5, clear, 0, out, &d), QJ_OK);
	ck_assert_str_eq(out, "uphold");
	/* 2:2, the chair (index 0) voted dismiss: dismiss. */
	ck_assert_int_eq(wf_vote_outcome(&v, 4, tie, 0, out, &d), QJ_OK);
	ck_assert_str_eq(out, "dismiss");
	/* Same tie, the chair is member 1, who voted uphold. */
	ck_assert_int_eq(wf_vote_outcome(&v, 4, tie, 1, out, &d), QJ_OK);
	ck_assert_str_eq(out, "uphold");
	/* A member has not voted and nothing has a majority: no decision. */
	ck_assert_int_eq(wf_vote_outcome(&v, 3, missing, 0, out, &d),
	    QJ_EUNPROC);
	ck_assert_str_eq(d.type, "vote-incomplete");
	/* Two of three is a majority of all, whatever the third votes. */
	ck_assert_int_eq(wf_vote_outcome(&v, 3, early, 0, out, &d), QJ_OK);
	ck_assert_str_eq(out, "uphold");
	/* 2 of 5 is not a majority of ALL members, and it is no tie. */
	ck_assert_int_eq(wf_vote_outcome(&v, 5, split, 0, out, &d), QJ_EUNPROC);
	ck_assert_str_eq(d.type, "no-majority");
}
END_TEST

/* ---- bad definitions ------------------------------------------------------ */

static const char *const good_head =
    "<?xml version=\"1.0\"?>\n"
    "<workflow xmlns=\"urn:qujat:workflow:1\" id=\"t\" version=\"1\">\n"
    "<title kk=\"a\" ru=\"a\" en=\"a\"/>\n"
    "<opens cite=\"test\"><actor applicant=\"true\"/></opens>\n";

static enum qj_err
load_text(const char *body, struct qj_diag *d)
{
	struct wf_def	*def = NULL;
	char		 buf[4096];
	enum qj_err	 err;

	snprintf(buf, sizeof(buf), "%s%s</workflow>\n", good_head, body);
	err = wf_load_mem("bad.xml", buf, strlen(buf), "workflows/workflow.xsd",
	    &def, d);
	wf_def_free(def);
	return (err);
}

#define STATE(id, extra) "<state id=\"" id "\"" extra "><title kk=\"a\" " \
	"ru=\"a\" en=\"a\"/></state>\n"
#define TR(ev, from, to, inner) "<transition event=\"" ev "\" from=\"" from \
	"\" to=\"" to "\"><title kk=\"a\" ru=\"a\" en=\"a\"/>" \
	"<actor applicant=\"true\"/>" inner "</transition>\n"

START_TEST(t_bad_definitions)
{
	static const struct {
		const char	*body;
		const char	*expect;	/* substring of the detail */
	} bad[] = {
		{ STATE("a", "") STATE("b", "") TR("go", "a", "b", ""),
		    "exactly one initial" },
		{ STATE("a", " initial=\"true\"") TR("go", "a", "nowhere", ""),
		    "unknown state nowhere" },
		{ STATE("a", " initial=\"true\"") STATE("b", "")
		    TR("go", "a", "b", "") TR("go", "a", "a", ""),
		    "handled twice" },
		{ STATE("a", " initial=\"true\"") STATE("z", " terminal=\"true\"")
		    TR("go", "a", "z", "") TR("back", "z", "a", ""),
		    "leaves terminal state z" },
		{ STATE("a", " initial=\"true\"")
		    TR("go", "a", "a", "<guard id=\"g\" document=\"d\" "
		    "test=\"(((\" cite=\"x y z\"><message kk=\"a\" ru=\"a\" "
		    "en=\"a\"/></guard>"), "not XPath" },
		{ STATE("a", " initial=\"true\"")
		    TR("go", "a", "a", "<guard id=\"g\" document=\"d\" "
		    "test=\"nope:x = 1\" cite=\"x y z\"><message kk=\"a\" "
		    "ru=\"a\" en=\"a\"/></guard>"), "does not evaluate" },
		{ STATE("a", " initial=\"true\"")
		    TR("go", "a", "a", "<set-deadline id=\"d\" rule=\"soon\" "
		    "on-expiry=\"go\" cite=\"x y z\"><title kk=\"a\" ru=\"a\" "
		    "en=\"a\"/></set-deadline>"), "bad rule" },
		{ STATE("a", " initial=\"true\"")
		    TR("go", "a", "a", "<set-deadline id=\"d\" "
		    "rule=\"3 calendar-days\" on-expiry=\"missing\" "
		    "cite=\"x y z\"><title kk=\"a\" ru=\"a\" en=\"a\"/>"
		    "</set-deadline>"), "unknown event missing" },
		{ STATE("a", " initial=\"true\"") "<frobnicate/>",
		    "frobnicate" },
		{ STATE("Bad Id", " initial=\"true\""), "Bad Id" },
	};
	struct qj_diag	d;
	size_t		i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(load_text(bad[i].body, &d) == QJ_EINVAL,
		    "case %zu loaded", i);
		ck_assert_str_eq(d.type, "bad-definition");
		ck_assert_msg(strstr(d.detail, bad[i].expect) != NULL,
		    "case %zu: %s", i, d.detail);
		ck_assert_msg(strncmp(d.detail, "bad.xml:", 8) == 0,
		    "case %zu: no file:line: %s", i, d.detail);
	}
	/* And a well-formed minimal one loads. */
	ck_assert_int_eq(load_text(STATE("a", " initial=\"true\"")
	    STATE("b", " terminal=\"true\"") TR("go", "a", "b", ""), &d),
	    QJ_OK);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("workflow");
	TCase	*tc = tcase_create("engine");
	SRunner	*sr;
	int	 failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, t_loads_every_definition);
	tcase_add_test(tc, t_applicant_submits);
	tcase_add_test(tc, t_guard_medical_12_months);
	tcase_add_test(tc, t_guard_tuberculosis_36_months);
	tcase_add_test(tc, t_guard_child_until_three);
	tcase_add_test(tc, t_only_the_learner_files);
	tcase_add_test(tc, t_actors_and_scope);
	tcase_add_test(tc, t_segregation_of_duties);
	tcase_add_test(tc, t_parallel_visas);
	tcase_add_test(tc, t_acknowledgments_by_listed);
	tcase_add_test(tc, t_votes);
	tcase_add_test(tc, t_bad_definitions);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? 0 : 1);
}
