/*
 * test_wf_lang.c: the workflow language's general features, each with a
 * case that must pass and one that must fail — time-of-day deadlines
 * against the injected clock (qj:now, qj:instant, qj:deadline,
 * qj:before-deadline), the academic calendar (qj:in-period), branches
 * (`when`) on event data and documents, transitions that stay, event
 * inputs, steps generated from participants, applicant steps and step
 * guards, declared capacities with their assigners and exclusive sets,
 * value references, people functions, early vote majorities, and the
 * loader's refusals of each feature misused.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/calendar.h"
#include "core/wf.h"
#include "core/xmlsafe.h"

static struct qj_calendar	*cal;

static void
setup(void)
{
	qj_day	d;

	qj_xml_init();
	cal = qj_calendar_new();
	ck_assert_ptr_nonnull(cal);
	/* Kazakhstan: UTC+6 until 2024-03-01, UTC+5 since (0002_calendar). */
	ck_assert_int_eq(qj_day_parse("2004-10-31", &d), QJ_OK);
	ck_assert_int_eq(qj_calendar_add_zone_rule(cal, d, 360), QJ_OK);
	ck_assert_int_eq(qj_day_parse("2024-03-01", &d), QJ_OK);
	ck_assert_int_eq(qj_calendar_add_zone_rule(cal, d, 300), QJ_OK);
}

static void
teardown(void)
{
	qj_calendar_free(cal);
	cal = NULL;
}

static const char *const head =
    "<?xml version=\"1.0\"?>\n"
    "<workflow xmlns=\"urn:qujat:workflow:1\" xmlns:t=\"urn:t\" "
    "xmlns:qj=\"urn:qujat:fn\" id=\"t\" version=\"1\">\n"
    "<title kk=\"a\" ru=\"a\" en=\"a\"/>\n"
    "<opens cite=\"test\"><actor applicant=\"true\"/></opens>\n";

#define TITLE	"<title kk=\"a\" ru=\"a\" en=\"a\"/>"
#define MSG	"<message kk=\"a\" ru=\"a\" en=\"m\"/>"
#define STATE(id, extra, inner) "<state id=\"" id "\"" extra ">" TITLE \
	inner "</state>\n"
#define TR(ev, from, to, attrs, actor, inner) "<transition event=\"" ev \
	"\" from=\"" from "\" to=\"" to "\"" attrs ">" TITLE actor inner \
	"</transition>\n"
#define OITEM(fields) "<order-item series=\"s\" action=\"x\" " \
	"event=\"ordered\" cite=\"x y z\">" fields "</order-item>"
#define APPLICANT	"<actor applicant=\"true\"/>"
#define SYSTEM		"<actor system=\"true\"/>"

/* Loads head + body; the definition or NULL with *d filled. */
static struct wf_def *
load(const char *body, struct qj_diag *d)
{
	struct wf_def	*def = NULL;
	size_t		 n = strlen(head) + strlen(body) + 32;
	char		*buf = malloc(n);

	snprintf(buf, n, "%s%s</workflow>\n", head, body);
	if (wf_load_mem("lang.xml", buf, strlen(buf), "workflows/workflow.xsd",
	    &def, d) != QJ_OK)
		def = NULL;
	free(buf);
	return (def);
}

static struct wf_def *
load_ok(const char *body)
{
	struct qj_diag	 d;
	struct wf_def	*def = load(body, &d);

	ck_assert_msg(def != NULL, "%s", d.detail);
	return (def);
}

static xmlDocPtr
parse(const char *xml)
{
	struct qj_diag	d;
	xmlDocPtr	doc;

	ck_assert_int_eq(qj_xml_parse(xml, strlen(xml), 0, &doc, &d), QJ_OK);
	return (doc);
}

static xmlDocPtr
one_doc(void *arg, const char *role)
{
	return (strcmp(role, "doc") == 0 ? arg : NULL);
}

static void
case_view(struct wf_case_view *cv, const char *state, xmlDocPtr doc)
{
	memset(cv, 0, sizeof(*cv));
	cv->state = state;
	cv->applicant_id = 10;
	cv->applicant_iin = "980412410006";
	cv->unit_path = "/1/3/";
	cv->vars_json = "{}";
	cv->doc = one_doc;
	cv->doc_arg = doc;
}

static void
person(struct wf_actor_view *av, int64_t id, const char *iin)
{
	memset(av, 0, sizeof(*av));
	av->person_id = id;
	av->iin = iin;
}

static qj_time
at(const char *rfc3339)
{
	qj_time	t;

	ck_assert_int_eq(qj_rfc3339_parse(rfc3339, &t), QJ_OK);
	return (t);
}

static void
genv(struct wf_guard_env *g, const char *now)
{
	memset(g, 0, sizeof(*g));
	g->cal = cal;
	g->now = at(now);
	g->lang = "en";
	ck_assert_int_eq(qj_cal_local_day(cal, g->now, &g->today), QJ_OK);
}

/* ---- time of day ---------------------------------------------------------- */

#define DEADLINE_DEF \
	STATE("a", " initial=\"true\"", "") STATE("z", " terminal=\"true\"", "") \
	TR("file", "a", "z", "", APPLICANT, \
	    "<guard id=\"by-13\" document=\"doc\" test=\"qj:before-deadline(" \
	    "t:published, 'next-day 13:00')\" cite=\"seed 001 L884-L886\">" \
	    MSG "</guard>")

START_TEST(t_before_deadline_next_day_13)
{
	struct wf_def			*def = load_ok(DEADLINE_DEF);
	const struct wf_transition	*t;
	struct wf_case_view		 cv;
	struct wf_actor_view		 av;
	struct wf_guard_env		 g;
	struct qj_diag			 d;
	xmlDocPtr			 doc = parse("<r xmlns=\"urn:t\">"
					    "<published>2026-08-12T18:00:00+05:00"
					    "</published></r>");

	case_view(&cv, "a", doc);
	person(&av, 10, "980412410006");
	/* 12:59:59 Almaty on the next day: on time. */
	genv(&g, "2026-08-13T12:59:59+05:00");
	ck_assert_msg(wf_decide(def, &cv, &av, "file", &g, &t, &d) == QJ_OK,
	    "%s", d.detail);
	/* 13:00:00 sharp is late (deadlines are exclusive). */
	genv(&g, "2026-08-13T13:00:00+05:00");
	ck_assert_int_eq(wf_decide(def, &cv, &av, "file", &g, &t, &d),
	    QJ_EUNPROC);
	ck_assert_str_eq(d.type, "guard-failed");
	ck_assert_str_eq(d.field, "by-13");
	ck_assert_ptr_nonnull(strstr(d.detail, "seed 001 L884-L886"));
	/* 13:00 is Almaty time: 12:30 UTC is 17:30 there, too late; the same
	 * wall-clock reading in UTC would have passed. */
	genv(&g, "2026-08-13T08:30:00Z");
	ck_assert_int_eq(wf_decide(def, &cv, &av, "file", &g, &t, &d),
	    QJ_EUNPROC);
	genv(&g, "2026-08-13T07:59:00Z");
	ck_assert_int_eq(wf_decide(def, &cv, &av, "file", &g, &t, &d), QJ_OK);
	/* Published late in the evening: still the next calendar day. */
	xmlFreeDoc(doc);
	doc = parse("<r xmlns=\"urn:t\"><published>2026-08-12T23:59:00+05:00"
	    "</published></r>");
	cv.doc_arg = doc;
	genv(&g, "2026-08-13T12:00:00+05:00");
	ck_assert_int_eq(wf_decide(def, &cv, &av, "file", &g, &t, &d), QJ_OK);
	/* A bad date-time never passes. */
	xmlFreeDoc(doc);
	doc = parse("<r xmlns=\"urn:t\"><published>2026-08-12 18:00"
	    "</published></r>");
	cv.doc_arg = doc;
	ck_assert_int_eq(wf_decide(def, &cv, &av, "file", &g, &t, &d),
	    QJ_EUNPROC);
	xmlFreeDoc(doc);
	wf_def_free(def);
}
END_TEST

/* Evaluates `expr` (as a value reference over an empty-rooted doc). */
static const char *
value(struct wf_def *def, struct wf_case_view *cv, struct wf_actor_view *av,
    struct wf_guard_env *g, const char *expr, char *out, size_t len)
{
	struct qj_diag	d;
	char		ref[512];

	snprintf(ref, sizeof(ref), "doc:doc:%s", expr);
	if (wf_ref_value(def, ref, cv, av, g, out, len, &d) != QJ_OK)
		snprintf(out, len, "<%s>", d.type);
	return (out);
}

START_TEST(t_clock_functions)
{
	struct wf_def		*def = load_ok(DEADLINE_DEF);
	struct wf_case_view	 cv;
	struct wf_actor_view	 av;
	struct wf_guard_env	 g;
	char			 out[128];
	xmlDocPtr		 doc = parse("<r xmlns=\"urn:t\"><d>2026-08-31"
				    "</d></r>");

	case_view(&cv, "a", doc);
	person(&av, 10, NULL);
	genv(&g, "2026-08-13T07:05:09Z");
	ck_assert_str_eq(value(def, &cv, &av, &g, "qj:now()", out,
	    sizeof(out)), "2026-08-13T12:05:09+05:00");
	ck_assert_str_eq(value(def, &cv, &av, &g, "qj:today()", out,
	    sizeof(out)), "2026-08-13");
	ck_assert_str_eq(value(def, &cv, &av, &g,
	    "qj:deadline('2026-08-12T18:00:00+05:00', 'next-day 13:00')", out,
	    sizeof(out)), "2026-08-13T13:00:00+05:00");
	/* A date counts from its local midnight: 4 weeks = the end of the
	 * 28th day after it. */
	ck_assert_str_eq(value(def, &cv, &av, &g,
	    "qj:deadline('2025-07-07', '4 weeks')", out, sizeof(out)),
	    "2025-08-05T00:00:00+05:00");
	ck_assert_str_eq(value(def, &cv, &av, &g,
	    "qj:instant('2026-08-13') = qj:instant('2026-08-12T19:00:00Z')",
	    out, sizeof(out)), "true");
	ck_assert_str_eq(value(def, &cv, &av, &g,
	    "qj:instant(t:d) > qj:instant(qj:now())", out, sizeof(out)),
	    "true");
	ck_assert_str_eq(value(def, &cv, &av, &g, "string(qj:instant('x'))",
	    out, sizeof(out)), "NaN");
	ck_assert_str_eq(value(def, &cv, &av, &g,
	    "qj:before-deadline('2026-08-12', 'soon')", out, sizeof(out)),
	    "false");
	ck_assert_str_eq(value(def, &cv, &av, &g,
	    "qj:deadline('2026-08-12', 'soon')", out, sizeof(out)),
	    "<no-value>");
	xmlFreeDoc(doc);
	wf_def_free(def);
}
END_TEST

/* ---- the academic calendar ------------------------------------------------ */

START_TEST(t_in_period)
{
	struct wf_def		*def = load_ok(DEADLINE_DEF);
	struct wf_period	 p[2];
	struct wf_case_view	 cv;
	struct wf_actor_view	 av;
	struct wf_guard_env	 g;
	char			 out[64];
	xmlDocPtr		 doc = parse("<r/>");

	memset(p, 0, sizeof(p));
	snprintf(p[0].kind, sizeof(p[0].kind), "summer-vacation");
	qj_day_parse("2026-07-01", &p[0].from);
	qj_day_parse("2026-08-31", &p[0].to);
	snprintf(p[1].kind, sizeof(p[1].kind), "exam-session");
	p[1].unit_path = "/1/4/";
	qj_day_parse("2026-06-01", &p[1].from);
	qj_day_parse("2026-06-20", &p[1].to);
	case_view(&cv, "a", doc);
	person(&av, 10, NULL);
	genv(&g, "2026-07-01T00:00:00+05:00");
	g.periods = p;
	g.nperiods = 2;
	ck_assert_str_eq(value(def, &cv, &av, &g,
	    "qj:in-period('summer-vacation')", out, sizeof(out)), "true");
	/* The day before and the day after are outside (local days). */
	genv(&g, "2026-06-30T23:59:59+05:00");
	g.periods = p;
	g.nperiods = 2;
	ck_assert_str_eq(value(def, &cv, &av, &g,
	    "qj:in-period('summer-vacation')", out, sizeof(out)), "false");
	ck_assert_str_eq(value(def, &cv, &av, &g,
	    "qj:in-period('summer-vacation', '2026-08-31')", out,
	    sizeof(out)), "true");
	ck_assert_str_eq(value(def, &cv, &av, &g,
	    "qj:in-period('summer-vacation', '2026-09-01')", out,
	    sizeof(out)), "false");
	/* A period of another unit does not cover this case's unit. */
	ck_assert_str_eq(value(def, &cv, &av, &g,
	    "qj:in-period('exam-session', '2026-06-10')", out, sizeof(out)),
	    "false");
	cv.unit_path = "/1/4/7/";
	ck_assert_str_eq(value(def, &cv, &av, &g,
	    "qj:in-period('exam-session', '2026-06-10')", out, sizeof(out)),
	    "true");
	/* No calendar data: never in a period. */
	g.nperiods = 0;
	ck_assert_str_eq(value(def, &cv, &av, &g,
	    "qj:in-period('summer-vacation', '2026-08-01')", out,
	    sizeof(out)), "false");
	xmlFreeDoc(doc);
	wf_def_free(def);
}
END_TEST

/* ---- branches and transitions that stay ---------------------------------- */

#define BRANCH_DEF \
	STATE("a", " initial=\"true\"", "") STATE("b", "", "") \
	STATE("c", " terminal=\"true\"", "") STATE("d", " terminal=\"true\"", "") \
	TR("go", "a", "b", " when=\"qj:event('outcome') = 'uphold'\"", SYSTEM, \
	    "") \
	TR("go", "a", "c", " when=\"qj:doc('doc')/t:kind = 'final'\"", \
	    SYSTEM, "") \
	TR("go", "a", "d", "", SYSTEM, "") \
	TR("only", "b", "c", " when=\"qj:var('x') = '1'\"", SYSTEM, "") \
	"<transition event=\"note\" from=\"a b\" stay=\"true\">" TITLE SYSTEM \
	"</transition>\n"

START_TEST(t_when_branches)
{
	struct wf_def			*def = load_ok(BRANCH_DEF);
	const struct wf_transition	*t;
	struct wf_case_view		 cv;
	struct wf_actor_view		 av;
	struct wf_guard_env		 g;
	struct qj_diag			 d;
	xmlDocPtr			 doc = parse("<r xmlns=\"urn:t\"><kind>"
					    "final</kind></r>");

	case_view(&cv, "a", doc);
	memset(&av, 0, sizeof(av));
	av.system = 1;
	genv(&g, "2026-08-13T12:00:00+05:00");
	/* The event's data chooses the first branch. */
	cv.event_json = "{\"outcome\":\"uphold\"}";
	ck_assert_int_eq(wf_decide(def, &cv, &av, "go", &g, &t, &d), QJ_OK);
	ck_assert_str_eq(t->to, "b");
	/* Otherwise the document decides. */
	cv.event_json = "{\"outcome\":\"dismiss\"}";
	ck_assert_int_eq(wf_decide(def, &cv, &av, "go", &g, &t, &d), QJ_OK);
	ck_assert_str_eq(t->to, "c");
	/* Otherwise the last branch, which has no condition. */
	xmlFreeDoc(doc);
	doc = parse("<r xmlns=\"urn:t\"><kind>admission</kind></r>");
	cv.doc_arg = doc;
	cv.event_json = NULL;
	ck_assert_int_eq(wf_decide(def, &cv, &av, "go", &g, &t, &d), QJ_OK);
	ck_assert_str_eq(t->to, "d");
	/* A single conditional transition whose condition fails: refused. */
	cv.state = "b";
	ck_assert_int_eq(wf_decide(def, &cv, &av, "only", &g, &t, &d),
	    QJ_EUNPROC);
	ck_assert_str_eq(d.type, "no-branch");
	cv.vars_json = "{\"x\":\"1\"}";
	ck_assert_int_eq(wf_decide(def, &cv, &av, "only", &g, &t, &d), QJ_OK);
	/* A transition that stays is possible from every state it names. */
	ck_assert_int_eq(wf_decide(def, &cv, &av, "note", &g, &t, &d), QJ_OK);
	ck_assert(t->stay);
	ck_assert_str_eq(t->to, "");
	cv.state = "a";
	ck_assert_int_eq(wf_decide(def, &cv, &av, "note", &g, &t, &d), QJ_OK);
	ck_assert_ptr_eq(wf_find_next(def, wf_find(def, "a", "go"), "a"),
	    &def->transitions[1]);
	xmlFreeDoc(doc);
	wf_def_free(def);
}
END_TEST

/* ---- inputs ----------------------------------------------------------------- */

START_TEST(t_inputs)
{
	struct wf_def	*def = load_ok(
	    STATE("a", " initial=\"true\"", "") STATE("z", " terminal=\"true\"",
	    "") TR("admit", "a", "z", "", "<actor role=\"registrar\"/>",
	    "<input name=\"on\" type=\"date\" required=\"true\">" TITLE
	    "</input><input name=\"n\" type=\"integer\">" TITLE "</input>"
	    "<input name=\"ok\" type=\"boolean\">" TITLE "</input>"
	    "<input name=\"at\" type=\"datetime\">" TITLE "</input>"
	    "<input name=\"s\" type=\"string\">" TITLE "</input>"));
	const struct wf_transition *t = &def->transitions[0];
	struct qj_diag	 d;

	ck_assert_int_eq(wf_inputs_check(t, "{\"on\":\"2026-09-01\",\"n\":3,"
	    "\"ok\":true,\"at\":\"2026-09-01T10:00:00+05:00\",\"s\":\"x\"}", &d),
	    QJ_OK);
	/* Missing, unknown, or of the wrong type: refused, naming it. */
	ck_assert_int_eq(wf_inputs_check(t, NULL, &d), QJ_EUNPROC);
	ck_assert_str_eq(d.type, "bad-input");
	ck_assert_str_eq(d.field, "on");
	ck_assert_int_eq(wf_inputs_check(t, "{\"on\":\"2026-09-01\","
	    "\"extra\":1}", &d), QJ_EUNPROC);
	ck_assert_str_eq(d.field, "extra");
	ck_assert_int_eq(wf_inputs_check(t, "{\"on\":\"2026-02-30\"}", &d),
	    QJ_EUNPROC);
	ck_assert_str_eq(d.field, "on");
	ck_assert_int_eq(wf_inputs_check(t, "{\"on\":\"2026-02-03\","
	    "\"n\":\"3\"}", &d), QJ_EUNPROC);
	ck_assert_str_eq(d.field, "n");
	ck_assert_int_eq(wf_inputs_check(t, "{\"on\":\"2026-02-03\","
	    "\"ok\":\"yes\"}", &d), QJ_EUNPROC);
	ck_assert_int_eq(wf_inputs_check(t, "{\"on\":\"2026-02-03\","
	    "\"at\":\"2026-02-03T10:00\"}", &d), QJ_EUNPROC);
	ck_assert_int_eq(wf_inputs_check(t, "{\"on\":\"2026-02-03\","
	    "\"s\":\"\"}", &d), QJ_EUNPROC);
	/* A transition without inputs takes no data at all. */
	wf_def_free(def);
	def = load_ok(DEADLINE_DEF);
	ck_assert_int_eq(wf_inputs_check(&def->transitions[0], "{}", &d),
	    QJ_OK);
	ck_assert_int_eq(wf_inputs_check(&def->transitions[0],
	    "{\"x\":\"1\"}", &d), QJ_EUNPROC);
	wf_def_free(def);
}
END_TEST

/* ---- participants: capacities, exclusive sets, steps, functions --------- */

#define PEOPLE_DEF \
	"<capacity id=\"chair\" max=\"1\" cite=\"seed 001 L876-L877\">" TITLE \
	"<actor role=\"registrar\"/></capacity>" \
	"<capacity id=\"member\" cite=\"seed 001 L876-L877\">" TITLE \
	"<actor role=\"registrar\"/></capacity>" \
	"<capacity id=\"examiner\" cite=\"SPEC 1\">" TITLE \
	"<actor role=\"registrar\"/></capacity>" \
	"<exclusive capacities=\"examiner chair member\" " \
	"cite=\"SPEC 1 (the examiner never sits on the commission)\"/>" \
	STATE("a", " initial=\"true\"", "") \
	STATE("s", "", "<parallel id=\"sig\" mode=\"all\" event=\"sign\" " \
	    "document=\"doc\" commitment=\"origin\" steps-from=\"participants\" " \
	    "capacities=\"chair member\" on-complete=\"done\"/>") \
	STATE("z", " terminal=\"true\"", "") \
	TR("go", "a", "s", "", "<actor participant=\"chair\"/>", \
	    "<guard id=\"formed\" test=\"qj:participants('chair') = 1 and " \
	    "qj:participants('member chair') &gt;= 3\" cite=\"x y z\">" MSG \
	    "</guard>") \
	TR("done", "s", "z", "", SYSTEM, "")

static const struct wf_grant registrar[] = { { "registrar", "/1/" } };
static const struct wf_grant dean_grant[] = { { "dean_office", "/1/" } };

START_TEST(t_assign_check)
{
	struct wf_def		*def = load_ok(PEOPLE_DEF);
	struct wf_participant	 parts[4] = {
		{ 21, "examiner", "850315310006" },
		{ 22, "chair", "790508410008" },
	};
	struct wf_case_view	 cv;
	struct wf_actor_view	 av;
	struct qj_diag		 d;

	case_view(&cv, "a", NULL);
	cv.parts = parts;
	cv.nparts = 2;
	person(&av, 30, "801105310008");
	av.grants = registrar;
	av.ngrants = 1;
	ck_assert_int_eq(wf_assign_check(def, &cv, &av, 23, "member", &d),
	    QJ_OK);
	/* The examiner cannot join the commission, in either order. */
	ck_assert_int_eq(wf_assign_check(def, &cv, &av, 21, "member", &d),
	    QJ_EDENIED);
	ck_assert_str_eq(d.type, "segregation-of-duties");
	ck_assert_ptr_nonnull(strstr(d.detail, "SPEC 1"));
	ck_assert_int_eq(wf_assign_check(def, &cv, &av, 22, "examiner", &d),
	    QJ_EDENIED);
	ck_assert_str_eq(d.type, "segregation-of-duties");
	/* The chair is one person, and nobody holds a capacity twice. */
	ck_assert_int_eq(wf_assign_check(def, &cv, &av, 23, "chair", &d),
	    QJ_ECONFLICT);
	ck_assert_str_eq(d.type, "capacity-full");
	ck_assert_int_eq(wf_assign_check(def, &cv, &av, 21, "examiner", &d),
	    QJ_ECONFLICT);
	ck_assert_str_eq(d.type, "already-assigned");
	/* Undeclared capacities, other assigners, the applicant: refused. */
	ck_assert_int_eq(wf_assign_check(def, &cv, &av, 23, "observer", &d),
	    QJ_EUNPROC);
	ck_assert_str_eq(d.type, "unknown-capacity");
	ck_assert_int_eq(wf_assign_check(def, &cv, &av, 10, "member", &d),
	    QJ_EDENIED);
	ck_assert_str_eq(d.type, "segregation-of-duties");
	av.grants = dean_grant;
	ck_assert_int_eq(wf_assign_check(def, &cv, &av, 23, "member", &d),
	    QJ_EDENIED);
	ck_assert_str_eq(d.type, "wrong-actor");
	wf_def_free(def);
}
END_TEST

START_TEST(t_participant_steps)
{
	struct wf_def		*def = load_ok(PEOPLE_DEF);
	const struct wf_state	*st = wf_state(def, "s");
	struct wf_participant	 parts[4] = {
		{ 21, "examiner", "850315310006" },
		{ 22, "chair", "790508410008" },
		{ 23, "member", "880722410000" },
		{ 24, "member", "831226310001" },
	};
	const char		*done[] = { "person-22" };
	int64_t			 by[] = { 22 }, who[8];
	struct wf_case_view	 cv;
	struct wf_actor_view	 av;
	struct wf_guard_env	 g;
	struct qj_diag		 d;
	const struct wf_transition *t;
	char			 step[WF_ID_MAX], out[64];
	xmlDocPtr		 doc = parse("<r/>");

	case_view(&cv, "a", doc);
	cv.parts = parts;
	cv.nparts = 4;
	genv(&g, "2026-08-13T12:00:00+05:00");
	/* People functions: distinct persons per capacity; IINs. */
	person(&av, 22, "790508410008");
	av.capacities = (const char *[]){ "chair" };
	av.ncapacities = 1;
	ck_assert_int_eq(wf_decide(def, &cv, &av, "go", &g, &t, &d), QJ_OK);
	ck_assert_str_eq(value(def, &cv, &av, &g,
	    "qj:is-participant('880722410000', 'member chair')", out,
	    sizeof(out)), "true");
	ck_assert_str_eq(value(def, &cv, &av, &g,
	    "qj:is-participant('850315310006', 'member chair')", out,
	    sizeof(out)), "false");
	ck_assert_str_eq(value(def, &cv, &av, &g, "qj:applicant-iin()", out,
	    sizeof(out)), "980412410006");
	cv.nparts = 3;	/* without member 24: not formed */
	ck_assert_int_eq(wf_decide(def, &cv, &av, "go", &g, &t, &d),
	    QJ_EUNPROC);
	ck_assert_str_eq(d.field, "formed");
	cv.nparts = 4;
	/* The steps: one per chair or member, never the examiner. */
	ck_assert_int_eq(wf_parallel_people(st->parallel, &cv, who, 8), 3);
	cv.listed = who;
	cv.nlisted = 3;
	cv.state = "s";
	ck_assert_int_eq(wf_step_for(def, st, &cv, &av, step, &d), QJ_OK);
	ck_assert_str_eq(step, "person-22");
	person(&av, 21, "850315310006");
	ck_assert_int_eq(wf_step_for(def, st, &cv, &av, step, &d), QJ_EDENIED);
	ck_assert_str_eq(d.type, "not-your-step");
	/* The chair signed; again is refused; two more complete the set. */
	cv.steps_done = done;
	cv.steps_done_by = by;
	cv.nsteps_done = 1;
	person(&av, 22, "790508410008");
	ck_assert_int_eq(wf_step_for(def, st, &cv, &av, step, &d), QJ_EDENIED);
	ck_assert(!wf_parallel_complete(st->parallel, &cv, 2));
	ck_assert(wf_parallel_complete(st->parallel, &cv, 3));
	/* Nobody assigned: never complete. */
	cv.nlisted = 0;
	ck_assert(!wf_parallel_complete(st->parallel, &cv, 0));
	xmlFreeDoc(doc);
	wf_def_free(def);
}
END_TEST

#define PARTY_DEF \
	"<capacity id=\"rep\" max=\"1\" cite=\"seed 001 L945-L948\">" TITLE \
	"<actor role=\"registrar\"/></capacity>" \
	STATE("s", " initial=\"true\"", "<parallel id=\"p\" mode=\"all\" " \
	    "event=\"sign\" document=\"doc\" commitment=\"origin\" " \
	    "on-complete=\"done\">" \
	    "<step id=\"resident\">" TITLE APPLICANT "</step>" \
	    "<step id=\"head\">" TITLE "<actor role=\"rector\"/></step>" \
	    "<step id=\"customer\">" TITLE "<actor participant=\"rep\"/>" \
	    "<guard id=\"bin\" document=\"doc\" test=\"qj:actor-bin() = " \
	    "t:customer\" cite=\"seed 001 L1369-L1407\">" MSG "</guard>" \
	    "</step></parallel>") \
	STATE("z", " terminal=\"true\"", "") \
	TR("done", "s", "z", "", SYSTEM, "")

START_TEST(t_party_steps)
{
	struct wf_def		*def = load_ok(PARTY_DEF);
	const struct wf_state	*st = wf_state(def, "s");
	static const struct wf_grant rector[] = { { "rector", "/1/" } };
	struct wf_participant	 parts[1] = { { 40, "rep", "860505310000" } };
	struct wf_case_view	 cv;
	struct wf_actor_view	 av;
	struct wf_guard_env	 g;
	struct qj_diag		 d;
	char			 step[WF_ID_MAX];
	xmlDocPtr		 doc = parse("<r xmlns=\"urn:t\"><customer>"
				    "010340010009</customer></r>");

	case_view(&cv, "s", doc);
	cv.parts = parts;
	cv.nparts = 1;
	genv(&g, "2026-08-13T12:00:00+05:00");
	/* The applicant takes the applicant's step. */
	person(&av, 10, "980412410006");
	ck_assert_int_eq(wf_step_for(def, st, &cv, &av, step, &d), QJ_OK);
	ck_assert_str_eq(step, "resident");
	/* ...but never an official's step on their own case (SPEC 1). */
	cv.steps_done = (const char *[]){ "resident" };
	cv.steps_done_by = (const int64_t[]){ 99 };
	cv.nsteps_done = 1;
	av.grants = rector;
	av.ngrants = 1;
	ck_assert_int_eq(wf_step_for(def, st, &cv, &av, step, &d), QJ_EDENIED);
	ck_assert_str_eq(d.type, "segregation-of-duties");
	person(&av, 11, "680224310005");
	av.grants = rector;
	av.ngrants = 1;
	ck_assert_int_eq(wf_step_for(def, st, &cv, &av, step, &d), QJ_OK);
	ck_assert_str_eq(step, "head");
	/* The Customer's representative signs for the BIN in the document. */
	person(&av, 40, "860505310000");
	av.capacities = (const char *[]){ "rep" };
	av.ncapacities = 1;
	av.bin = "010340010009";
	ck_assert_int_eq(wf_step_for(def, st, &cv, &av, step, &d), QJ_OK);
	ck_assert_str_eq(step, "customer");
	ck_assert_int_eq(wf_step_guards(def, st, step, &cv, &av, &g, &d),
	    QJ_OK);
	av.bin = "990440010005";
	ck_assert_int_eq(wf_step_guards(def, st, step, &cv, &av, &g, &d),
	    QJ_EUNPROC);
	ck_assert_str_eq(d.field, "bin");
	av.bin = NULL;
	ck_assert_int_eq(wf_step_guards(def, st, step, &cv, &av, &g, &d),
	    QJ_EUNPROC);
	ck_assert_int_eq(wf_step_guards(def, st, "head", &cv, &av, &g, &d),
	    QJ_OK);
	xmlFreeDoc(doc);
	wf_def_free(def);
}
END_TEST

/* ---- value references ------------------------------------------------------ */

START_TEST(t_value_references)
{
	struct wf_def		*def = load_ok(DEADLINE_DEF);
	struct wf_case_view	 cv;
	struct wf_actor_view	 av;
	struct wf_guard_env	 g;
	struct qj_diag		 d;
	char			 out[64];
	xmlDocPtr		 doc = parse("<r xmlns=\"urn:t\"><year>2</year>"
				    "</r>");

	case_view(&cv, "a", doc);
	cv.vars_json = "{\"v\":\"x\",\"n\":3}";
	cv.event_json = "{\"on\":\"2026-09-01\",\"b\":true}";
	person(&av, 10, NULL);
	genv(&g, "2026-08-13T12:00:00+05:00");
	ck_assert_int_eq(wf_ref_value(def, "event:on", &cv, &av, &g, out,
	    sizeof(out), &d), QJ_OK);
	ck_assert_str_eq(out, "2026-09-01");
	ck_assert_int_eq(wf_ref_value(def, "event:b", &cv, &av, &g, out,
	    sizeof(out), &d), QJ_OK);
	ck_assert_str_eq(out, "true");
	ck_assert_int_eq(wf_ref_value(def, "var:n", &cv, &av, &g, out,
	    sizeof(out), &d), QJ_OK);
	ck_assert_str_eq(out, "3");
	ck_assert_int_eq(wf_ref_value(def, "doc:doc:t:year", &cv, &av, &g, out,
	    sizeof(out), &d), QJ_OK);
	ck_assert_str_eq(out, "2");
	ck_assert_int_eq(wf_ref_value(def, "doc:doc:t:nothing", &cv, &av, &g,
	    out, sizeof(out), &d), QJ_ENOTFOUND);
	ck_assert_int_eq(wf_ref_value(def, "doc:other:t:year", &cv, &av, &g,
	    out, sizeof(out), &d), QJ_ENOTFOUND);
	ck_assert_int_eq(wf_ref_value(def, "event:none", &cv, &av, &g, out,
	    sizeof(out), &d), QJ_ENOTFOUND);
	ck_assert(wf_ref_valid("doc:application:f:expulsion/f:date"));
	ck_assert(!wf_ref_valid("doc::x"));
	ck_assert(!wf_ref_valid("doc:Bad:x"));
	ck_assert(!wf_ref_valid("doc:a:((("));
	ck_assert(!wf_ref_valid("now"));
	xmlFreeDoc(doc);
	wf_def_free(def);
}
END_TEST

/* ---- votes ------------------------------------------------------------------ */

START_TEST(t_vote_majority_of_all)
{
	char		 opt[2][WF_ID_MAX] = { "uphold", "dismiss" };
	struct wf_vote	 v;
	struct qj_diag	 d;
	char		 out[WF_ID_MAX];
	/* Chair first, then three members. */
	const char	*three_of_four[] = { "uphold", "uphold", NULL, "uphold" };
	const char	*two_of_four[] = { "uphold", "uphold", NULL, "dismiss" };
	const char	*tie[] = { "dismiss", "uphold", "uphold", "dismiss" };
	const char	*tie_other_chair[] = { "uphold", "dismiss", "uphold",
			    "dismiss" };

	memset(&v, 0, sizeof(v));
	snprintf(v.id, sizeof(v.id), "decision");
	v.options = opt;
	v.noptions = 2;
	v.cite = (char *)"seed 001 L893-L895";
	/* 3 of 4 is a majority of all: decided before the 4th votes. */
	ck_assert_int_eq(wf_vote_outcome(&v, 4, three_of_four, 0, out, &d),
	    QJ_OK);
	ck_assert_str_eq(out, "uphold");
	/* 2 of 4 is not; the member who has not voted holds the decision. */
	ck_assert_int_eq(wf_vote_outcome(&v, 4, two_of_four, 0, out, &d),
	    QJ_EUNPROC);
	ck_assert_str_eq(d.type, "vote-incomplete");
	ck_assert_ptr_nonnull(strstr(d.detail, "3 of 4"));
	/* 2:2 with everyone voted: the chair's vote decides. */
	ck_assert_int_eq(wf_vote_outcome(&v, 4, tie, 0, out, &d), QJ_OK);
	ck_assert_str_eq(out, "dismiss");
	ck_assert_int_eq(wf_vote_outcome(&v, 4, tie_other_chair, 0, out, &d),
	    QJ_OK);
	ck_assert_str_eq(out, "uphold");
}
END_TEST

/* ---- the loader refuses each feature misused -------------------------------- */

START_TEST(t_loader_refusals)
{
	static const struct {
		const char	*body;
		const char	*expect;
	} bad[] = {
		{ STATE("a", " initial=\"true\"", "") STATE("b", "", "")
		    TR("go", "a", "b", "", APPLICANT, "")
		    TR("go", "a", "a", " when=\"true()\"", APPLICANT, ""),
		    "only a branch with `when` may come first" },
		{ STATE("a", " initial=\"true\"", "") STATE("b", "", "")
		    TR("go", "a", "b", " when=\"true()\"", APPLICANT,
		    "<document role=\"x\" form=\"f\"/>")
		    TR("go", "a", "a", "", APPLICANT, ""),
		    "bring different documents" },
		{ STATE("a", " initial=\"true\"", "")
		    TR("go", "a", "a", " when=\"(((\"", APPLICANT, ""),
		    "when is not XPath" },
		{ STATE("a", " initial=\"true\"", "")
		    TR("go", "a", "a", " when=\"nope:x()\"", APPLICANT, ""),
		    "does not evaluate" },
		{ STATE("a", " initial=\"true\"", "")
		    "<transition event=\"go\" from=\"a\" to=\"a\" stay=\"true\">"
		    TITLE APPLICANT "</transition>", "exactly one of to and" },
		{ "<capacity id=\"chair\" cite=\"x y z\">" TITLE
		    "<actor role=\"registrar\"/></capacity>"
		    STATE("a", " initial=\"true\"", "")
		    TR("go", "a", "a", "", "<actor participant=\"member\"/>", ""),
		    "capacity member, which the definition does not declare" },
		{ "<exclusive capacities=\"examiner\" cite=\"x y z\"/>"
		    STATE("a", " initial=\"true\"", "")
		    TR("go", "a", "a", "", APPLICANT, ""), "two capacities" },
		{ STATE("a", " initial=\"true\"", "")
		    TR("go", "a", "a", "", APPLICANT, "<set-deadline id=\"d\" "
		    "at=\"event:x\" repeat=\"2\" on-expiry=\"go\" cite=\"x y z\">"
		    TITLE "</set-deadline>"), "repeat must be 1..60" },
		{ STATE("a", " initial=\"true\"", "")
		    TR("go", "a", "a", "", APPLICANT, "<set-deadline id=\"d\" "
		    "rule=\"3 calendar-days\" every=\"1 months\" on-expiry=\"go\" "
		    "cite=\"x y z\">" TITLE "</set-deadline>"),
		    "every needs repeat" },
		{ STATE("a", " initial=\"true\"", "")
		    TR("go", "a", "a", "", APPLICANT, "<set-deadline id=\"d\" "
		    "rule=\"3 calendar-days\" from=\"doc:x:(((\" "
		    "on-expiry=\"go\" cite=\"x y z\">" TITLE "</set-deadline>"),
		    "from needs a rule" },
		{ STATE("a", " initial=\"true\"", "")
		    TR("go", "a", "a", "", APPLICANT, "<cancel-deadline id=\"d\" "
		    "occurrence=\"event:n\"/>"), "does not repeat" },
		{ STATE("a", " initial=\"true\"", "")
		    TR("go", "a", "a", "", APPLICANT, "<input name=\"n\" "
		    "type=\"date\">" TITLE "</input><input name=\"n\" "
		    "type=\"date\">" TITLE "</input>"), "declared twice" },
		{ STATE("a", " initial=\"true\"", "<parallel id=\"p\" mode=\"all\" "
		    "event=\"s\" steps-from=\"participants\" "
		    "on-complete=\"go\"/>") TR("go", "a", "a", "", SYSTEM, ""),
		    "goes with capacities" },
		{ STATE("a", " initial=\"true\"", "<parallel id=\"p\" "
		    "mode=\"sequence\" event=\"s\" steps-from=\"participants\" "
		    "capacities=\"xy\" on-complete=\"go\"/>")
		    TR("go", "a", "a", "", SYSTEM, ""), "have no order" },
		{ STATE("a", " initial=\"true\"", "")
		    TR("go", "a", "a", "", APPLICANT, "<guard id=\"g\" "
		    "test=\"qj:nonesuch()\" cite=\"x y z\">" MSG "</guard>"),
		    "does not evaluate" },
		{ STATE("a", " initial=\"true\"", OITEM("<field name=\"x\" "
		    "value=\"c\" document=\"var\" select=\"v\"/>"))
		    TR("ordered", "a", "a", "", SYSTEM, ""),
		    "a constant value takes no document" },
		{ STATE("a", " initial=\"true\"", OITEM("<field name=\"x\" "
		    "document=\"application\"/>"))
		    TR("ordered", "a", "a", "", SYSTEM, ""),
		    "needs document and select, or a value" },
		{ STATE("a", " initial=\"true\"", OITEM("<field name=\"x\"/>"))
		    TR("ordered", "a", "a", "", SYSTEM, ""),
		    "needs document and select, or a value" },
		{ STATE("a", " initial=\"true\"", OITEM("<field name=\"x\" "
		    "document=\"application\" select=\"t:a[\"/>"))
		    TR("ordered", "a", "a", "", SYSTEM, ""),
		    "select is not XPath 1.0" },
		{ STATE("a", " initial=\"true\"", OITEM("<field name=\"x\" "
		    "value=\"1\"/><field name=\"x\" value=\"2\"/>"))
		    TR("ordered", "a", "a", "", SYSTEM, ""), "is given twice" },
	};
	struct wf_def	*def;
	struct qj_diag	 d;
	size_t		 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		def = load(bad[i].body, &d);
		ck_assert_msg(def == NULL, "case %zu loaded", i);
		ck_assert_str_eq(d.type, "bad-definition");
		ck_assert_msg(strstr(d.detail, bad[i].expect) != NULL,
		    "case %zu: %s", i, d.detail);
		ck_assert_msg(strncmp(d.detail, "lang.xml", 8) == 0,
		    "case %zu: no file: %s", i, d.detail);
	}
}
END_TEST

START_TEST(t_loads_the_new_definitions)
{
	struct wf_set	*set = NULL;
	struct qj_diag	 d;
	const struct wf_def *al, *ap, *rs, *tc;

	ck_assert_msg(wf_load_dir("workflows", &set, &d) == QJ_OK, "%s",
	    d.detail);
	ck_assert_ptr_nonnull(al = wf_set_find(set, "academic-leave"));
	ck_assert_ptr_nonnull(ap = wf_set_find(set, "appeal"));
	ck_assert_ptr_nonnull(rs = wf_set_find(set, "reinstatement"));
	ck_assert_ptr_nonnull(tc = wf_set_find(set, "tripartite-contract"));
	/* Order items read documents, variables (typed) and constants. */
	{
		const struct wf_order_item *oi = wf_state(tc,
		    "awaiting-graduation-order")->order_item;

		ck_assert_ptr_nonnull(oi);
		ck_assert_int_eq(oi->nfields, 4);
		ck_assert_str_eq(oi->fields[0].document, "contract");
		ck_assert_int_eq(oi->fields[0].integer, 0);
		ck_assert_str_eq(oi->fields[1].document, "var");
		ck_assert_int_eq(oi->fields[1].integer, 1);
		ck_assert_ptr_null(oi->fields[3].document);
		ck_assert_str_eq(oi->fields[3].value, "completion");
		ck_assert_str_eq(wf_state(ap, "awaiting-order")->order_item->
		    action, "appeal-outcome");
	}
	/* Only definitions that read people make the runtime load them. */
	ck_assert(!al->uses_people);
	ck_assert(ap->uses_people);
	ck_assert(rs->uses_people);
	ck_assert(tc->uses_people);
	ck_assert_int_eq(ap->ncapacities, 3);
	ck_assert_int_eq(ap->nexclusives, 1);
	ck_assert_ptr_nonnull(wf_capacity(tc, "customer_rep"));
	ck_assert_int_eq(wf_state(ap, "protocol-signing")->parallel->steps_from,
	    WF_STEPS_PARTICIPANTS);
	wf_set_free(set);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("workflow-language");
	TCase	*tc = tcase_create("features");
	SRunner	*sr;
	int	 failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, t_before_deadline_next_day_13);
	tcase_add_test(tc, t_clock_functions);
	tcase_add_test(tc, t_in_period);
	tcase_add_test(tc, t_when_branches);
	tcase_add_test(tc, t_inputs);
	tcase_add_test(tc, t_assign_check);
	tcase_add_test(tc, t_participant_steps);
	tcase_add_test(tc, t_party_steps);
	tcase_add_test(tc, t_value_references);
	tcase_add_test(tc, t_vote_majority_of_all);
	tcase_add_test(tc, t_loader_refusals);
	tcase_add_test(tc, t_loads_the_new_definitions);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? 0 : 1);
}
