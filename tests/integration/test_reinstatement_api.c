/*
 * test_reinstatement_api.c: reinstatement (SPEC 2.2; seed 000 L948-L1020)
 * end to end through the HTTP API with the demo users and their keys —
 * the general route (application in the summer vacation, the
 * credit-recount commission the vice-rector forms, its vote and its
 * protocol signed by all, the vice-rector's signed decision, the
 * individual study plan, the reinstatement order with it signed by the
 * rector) and the fast path after non-payment (four weeks from the
 * expulsion, any time of year), then each rule alone: summer vacation
 * only (the academic calendar as data), never after academic dishonesty,
 * the first academic period completed, the paid basis, the four-week
 * window and its deadline, the commission formed by the vice-rector, the
 * order only after a positive recount.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/lib/casekit.h"
#include "tests/lib/flowkit.h"
#include "tests/lib/harness.h"
#include "tests/lib/http.h"

#define APPLICANT_IIN	"980412410006"

/* The next summer vacation's year (seeded 2025-2027; made sure of). */
static int
summer_year(void)
{
	char	d[11], sql[512];
	int	y, m;

	cs_date((qj_time)time(NULL), 0, d);
	sscanf(d, "%d-%d", &y, &m);
	if (m >= 7)
		y++;
	snprintf(sql, sizeof(sql), "INSERT INTO academic_period (kind, "
	    "academic_year, starts_on, ends_on, title_kk, title_ru, title_en, "
	    "source) SELECT 'summer-vacation', '%d-%d', '%d-07-01', "
	    "'%d-08-31', 'Жазғы каникул', 'Летние каникулы', 'Summer "
	    "vacation', 'test' WHERE NOT EXISTS (SELECT 1 FROM academic_period "
	    "WHERE kind = 'summer-vacation' AND starts_on = '%d-07-01')",
	    y - 1, y, y, y, y);
	db_run(sql);
	return (y);
}

static void
in_summer(void)
{
	cs_set_now(cs_local(summer_year(), 7, 15, 10, 0, 0));
}

/* After the summer vacation: October. */
static void
in_autumn(void)
{
	cs_set_now(cs_local(summer_year(), 10, 15, 10, 0, 0));
}

static void
pdf(struct tclient *c, const char *tag, char sha[65])
{
	cs_relogin(c, "applicant");
	kit_upload_pdf(c, tag, sha);
}

/*
 * The application: the general sample or the fast-path sample, expelled
 * on `expelled` on `ground`, with the first period `first` and the given
 * package; caller frees.
 */
static char *
application(struct tclient *app, int fast, const char *expelled,
    const char *ground, const char *first, const char *isp)
{
	char	 id_sha[65], debt_sha[65], grd[64], fp[96], pkg[512];
	char	*s;

	pdf(app, "identity", id_sha);
	pdf(app, "debt", debt_sha);
	snprintf(grd, sizeof(grd), "<ground>%s</ground>", ground);
	snprintf(fp, sizeof(fp), "<firstAcademicPeriodCompleted>%s"
	    "</firstAcademicPeriodCompleted>", first);
	snprintf(pkg, sizeof(pkg), "%s</documentPackage>", isp == NULL ? "" :
	    isp);
	{
		const char *ft[] = {
			"970712450789", APPLICANT_IIN,
			"2025-07-07", expelled,
			fast ? "<ground>contract-breach</ground>" :
			    "<ground>not-returned-from-leave</ground>", grd,
			"<firstAcademicPeriodCompleted>true"
			    "</firstAcademicPeriodCompleted>", fp,
			"fcde2b2edba56bf408601fb721fe9b5c338d10ee429ea04fae5511b"
			    "68fbf8fb9", debt_sha,
			"b5bb9d8014a0f9b1d61e21e796d78dccdf1352f23cd32812f4850b"
			    "878ae4944c", id_sha,
			"image/png", "application/pdf",
			"</documentPackage>", pkg,
			NULL };

		s = cs_sample(fast ? "reinstatement-application.valid.xml" :
		    "reinstatement-application.valid-general.xml", ft);
	}
	return (s);
}

static int64_t
open_case(struct tclient *app, const char *doc)
{
	json_t	*o = json_pack("{s:s, s:s}", "workflow", "reinstatement",
		    "document_xml", doc);
	char	*body = json_dumps(o, 0);
	int64_t	 id = cs_open(app, body);

	json_decref(o);
	free(body);
	cs_expect(id, "draft");
	return (id);
}

/* A general-route application, opened; expelled well before. */
static int64_t
open_general(struct tclient *app, const char *ground, const char *first)
{
	char	*doc = application(app, 0, "2025-07-07", ground, first, NULL);
	int64_t	 id = open_case(app, doc);

	free(doc);
	return (id);
}

static const char *
days_ago(int n, char out[11])
{
	return (cs_date(cs_now(), -n, out));
}

/* The credit-recount protocol of the demo commission. */
static char *
recount_protocol(const char *decision)
{
	return (cs_sample("commission-protocol.valid-credit-recount.xml",
	    (const char *[]){
	    "700505300111", "790508410008",
	    "750818400222", "850315310006",
	    "680130300333", "880722410000",
	    "950404300888", APPLICANT_IIN,
	    "<decision>positive</decision>", decision,
	    NULL }));
}

static char *
decision(const char *code)
{
	return (cs_sample("decision.valid.xml", (const char *[]){
	    "720615400999", "710711310000",
	    "<decisionCode>approved</decisionCode>", code,
	    NULL }));
}

/* Submitted, the commission formed, referred: the case is voting. */
static int64_t
to_commission(struct tclient *app)
{
	struct tclient	vr;
	int64_t		id;

	in_summer();
	id = open_general(app, "not-returned-from-leave", "true");
	cs_fire_ok(app, "applicant", id, "submit", NULL);
	cs_expect(id, "vice-rector-review");
	kit_login_as(&vr, "vicerector");
	cs_assign_ok(&vr, "vicerector", id, "chair", "commission_chair");
	cs_assign_ok(&vr, "vicerector", id, "member1", "commission_member");
	cs_assign_ok(&vr, "vicerector", id, "member2", "commission_member");
	cs_fire_ok(&vr, "vicerector", id, "refer-to-commission", NULL);
	cs_expect(id, "commission-voting");
	return (id);
}

static void
vote_ok(const char *login, int64_t id, const char *option)
{
	struct tclient		c;
	const struct cs_event	ev = { NULL, NULL, NULL, option };

	kit_login_as(&c, login);
	cs_fire_ok(&c, login, id, "vote", &ev);
}

static void
protocol_signed(int64_t id, const char *decision_xml)
{
	static const char *const who[] = { "chair", "member1", "member2" };
	struct tclient		 c;
	struct cs_event		 ev;
	int			 i;

	memset(&ev, 0, sizeof(ev));
	ev.doc_xml = decision_xml;
	kit_login_as(&c, "chair");
	cs_fire_ok(&c, "chair", id, "draft-protocol", &ev);
	cs_expect(id, "protocol-signing");
	for (i = 0; i < 3; i++) {
		kit_login_as(&c, who[i]);
		cs_fire_ok(&c, who[i], id, "sign-protocol", NULL);
	}
	cs_expect(id, "vice-rector-decision");
}

START_TEST(t_general_route_end_to_end)
{
	struct tclient	 app, vr, aud;
	struct tresp	 r;
	struct cs_event	 ev;
	char		*doc, isp_sha[65], item[512], q[512], path[96];
	const char	*ack[] = { "applicant", NULL };
	int64_t		 id, order;

	kit_login_as(&app, "applicant");
	id = to_commission(&app);
	vote_ok("chair", id, "positive");
	vote_ok("member1", id, "positive");
	cs_expect(id, "protocol-drafting");
	/* The protocol states the credit difference (L994-L1000). */
	doc = recount_protocol("<decision>positive</decision>");
	{
		char	*a = strstr(doc, "<creditRecount>");
		char	*b = strstr(doc, "</creditRecount>");

		memmove(a, b + strlen("</creditRecount>"),
		    strlen(b + strlen("</creditRecount>")) + 1);
		memset(&ev, 0, sizeof(ev));
		ev.doc_xml = doc;
		kit_login_as(&vr, "chair");
		cs_fire(&vr, "chair", id, "draft-protocol", &ev, &r);
		ck_assert_msg(cs_refused(&r, 422, "form-rule", NULL, NULL), "%s",
		    r.body);
		tresp_free(&r);
	}
	free(doc);
	doc = recount_protocol("<decision>positive</decision>");
	protocol_signed(id, doc);
	free(doc);
	/* The vice-rector decides and signs the decision. */
	kit_login_as(&vr, "vicerector");
	doc = decision("<decisionCode>approved</decisionCode>");
	memset(&ev, 0, sizeof(ev));
	ev.doc_xml = doc;
	cs_fire_ok(&vr, "vicerector", id, "decide", &ev);
	free(doc);
	cs_expect(id, "isp-pending");
	/* The order comes with the individual study plan: not without. */
	doc = application(&app, 0, "2025-07-07", "not-returned-from-leave",
	    "true", NULL);
	ev.doc_xml = doc;
	cs_fire(&app, "applicant", id, "attach-isp", &ev, &r);
	ck_assert_msg(cs_refused(&r, 422, "guard-failed", "isp-attached",
	    "seed 000 L996-L1000"), "%s", r.body);
	tresp_free(&r);
	free(doc);
	/* The individual study plan joins the package. */
	pdf(&app, "isp", isp_sha);
	snprintf(item, sizeof(item), "<item><c:sha256>%s</c:sha256><c:kind>"
	    "individual-study-plan</c:kind><c:mediaType>application/pdf"
	    "</c:mediaType></item>", isp_sha);
	doc = application(&app, 0, "2025-07-07", "not-returned-from-leave",
	    "true", item);
	ev.doc_xml = doc;
	cs_fire_ok(&app, "applicant", id, "attach-isp", &ev);
	free(doc);
	cs_expect(id, "awaiting-order");
	/* The reinstatement order, with the ISP, signed by the rector. */
	order = cs_order("student", &id, 1, "Қайта қабылдау туралы", ack);
	cs_expect(id, "reinstated");
	cs_expect(order, "in-force");
	snprintf(q, sizeof(q), "SELECT count(*) FROM case_document cd JOIN "
	    "document d ON d.sha256 = cd.sha256 WHERE cd.case_id = %lld AND "
	    "cd.role = 'order' AND convert_from(d.bytes, 'UTF8') LIKE "
	    "'%%<action>reinstated</action>%%<individualStudyPlan>"
	    "<c:sha256 xmlns:c=\"urn:qujat:form:common:1\">%s</c:sha256>%%'",
	    (long long)order, isp_sha);
	ck_assert_int_eq(db_int(q), 1);
	/* Signatures: applicant x2, three members, vice-rector. */
	snprintf(q, sizeof(q), "SELECT count(*) FROM signature WHERE case_id "
	    "= %lld", (long long)id);
	ck_assert_int_eq(db_int(q), 6);
	/* A closed case is sealed into its archive by the server. */
	ck_assert_msg(cs_wait_sealed(id, 30), "case %lld not sealed",
	    (long long)id);
	kit_login_as(&aud, "auditor");
	snprintf(path, sizeof(path), "/api/audit/verify?case=%lld",
	    (long long)id);
	t_json(&aud, "GET", path, NULL, &r);
	ck_assert(json_is_true(json_object_get(r.json, "valid")));
	tresp_free(&r);
}
END_TEST

/* seed 000 L950-L954: the summer vacation only (the calendar is data). */
START_TEST(t_summer_vacation_only)
{
	struct tclient	app;
	struct tresp	r;
	int64_t		id;

	kit_login_as(&app, "applicant");
	in_autumn();
	id = open_general(&app, "not-returned-from-leave", "true");
	cs_fire(&app, "applicant", id, "submit", NULL, &r);
	ck_assert_msg(cs_refused(&r, 422, "guard-failed", "summer-vacation-only",
	    "seed 000 L950-L954"), "%s", r.body);
	tresp_free(&r);
	cs_expect(id, "draft");
	/* The last day of the seeded vacation is still in it. */
	cs_set_now(cs_local(summer_year(), 8, 31, 23, 0, 0));
	cs_fire_ok(&app, "applicant", id, "submit", NULL);
	cs_expect(id, "vice-rector-review");
}
END_TEST

/* seed 000 L970-L972 and L988-L992, and the paid basis (L950-L954). */
START_TEST(t_dishonesty_first_period_paid_basis)
{
	struct tclient	 app;
	struct tresp	 r;
	char		*doc, *body;
	json_t		*o;
	int64_t		 id;

	kit_login_as(&app, "applicant");
	in_summer();
	id = open_general(&app, "academic-dishonesty", "true");
	cs_fire(&app, "applicant", id, "submit", NULL, &r);
	ck_assert_msg(cs_refused(&r, 422, "guard-failed",
	    "never-after-academic-dishonesty", "seed 000 L970-L972"), "%s",
	    r.body);
	tresp_free(&r);
	id = open_general(&app, "not-returned-from-leave", "false");
	cs_fire(&app, "applicant", id, "submit", NULL, &r);
	ck_assert_msg(cs_refused(&r, 422, "guard-failed",
	    "first-period-completed", "seed 000 L988-L992"), "%s", r.body);
	tresp_free(&r);
	/* The fast path is for non-payment only: the form's own rule
	 * (fast-path-ground) refuses "debt repaid" with any other ground,
	 * so academic dishonesty never reaches it. */
	/* Without the paid basis the application is not even a form. */
	doc = application(&app, 0, "2025-07-07", "not-returned-from-leave",
	    "true", NULL);
	doc = cs_replace(doc, "<paidBasisAcknowledged>true",
	    "<paidBasisAcknowledged>false");
	o = json_pack("{s:s, s:s}", "workflow", "reinstatement",
	    "document_xml", doc);
	body = json_dumps(o, 0);
	t_json(&app, "POST", "/api/cases", body, &r);
	ck_assert_msg(cs_refused(&r, 422, "schema-violation", NULL, NULL), "%s",
	    r.body);
	tresp_free(&r);
	free(body);
	free(doc);
	json_decref(o);
}
END_TEST

/* seed 000 L1002-L1012: non-payment, debt repaid, within four weeks of
 * the expulsion — any time of the year; then the order. */
START_TEST(t_fast_path)
{
	struct tclient	 app, reg;
	char		*doc, exp[11], q[160];
	const char	*ack[] = { "applicant", NULL };
	int64_t		 id;
	qj_time		 expelled;

	in_autumn();
	kit_login_as(&app, "applicant");
	kit_login_as(&reg, "registrar");
	days_ago(10, exp);
	doc = application(&app, 1, exp, "contract-breach", "true", NULL);
	id = open_case(&app, doc);
	free(doc);
	cs_fire_ok(&app, "applicant", id, "submit", NULL);
	cs_expect(id, "fast-review");
	/* Due at the end of the 28th day after the expulsion. */
	expelled = cs_local(atoi(exp), atoi(exp + 5), atoi(exp + 8), 0, 0, 0);
	ck_assert_int_eq(cs_due(id, "fast-path-by"), cs_expected_due("4 weeks",
	    expelled));
	ck_assert_int_eq(cs_due(id, "fast-path-by"), expelled + 29 * 86400);
	cs_fire_ok(&reg, "registrar", id, "confirm-debt-repaid", NULL);
	cs_expect(id, "awaiting-fast-order");
	cs_order("student", &id, 1, "Қайта қабылдау туралы", ack);
	cs_expect(id, "reinstated");
	snprintf(q, sizeof(q), "SELECT count(*) FROM deadline WHERE case_id = "
	    "%lld AND state = 'pending'", (long long)id);
	ck_assert_int_eq(db_int(q), 0);
}
END_TEST

/* The four-week window: past it the fast path is not taken (outside the
 * summer the application is then refused), and a fast case still open
 * when it ends lapses by itself. */
START_TEST(t_fast_path_window)
{
	struct tclient	 app;
	struct tresp	 r;
	char		*doc, exp[11];
	int64_t		 late, open_one;
	qj_time		 due;

	kit_login_as(&app, "applicant");
	in_autumn();
	doc = application(&app, 1, days_ago(29, exp), "contract-breach", "true",
	    NULL);
	late = open_case(&app, doc);
	free(doc);
	cs_fire(&app, "applicant", late, "submit", NULL, &r);
	ck_assert_msg(cs_refused(&r, 422, "guard-failed", "summer-vacation-only",
	    NULL), "%s", r.body);
	tresp_free(&r);
	/* 27 days after the expulsion: the fast path. */
	doc = application(&app, 1, days_ago(27, exp), "contract-breach", "true",
	    NULL);
	open_one = open_case(&app, doc);
	free(doc);
	cs_fire_ok(&app, "applicant", open_one, "submit", NULL);
	cs_expect(open_one, "fast-review");
	due = cs_due(open_one, "fast-path-by");
	cs_set_now(due - 60);
	ck_assert(!cs_wait_deadline(open_one, "fast-path-by", 1));
	cs_expect(open_one, "fast-review");
	cs_set_now(due + 60);
	ck_assert(cs_wait_deadline(open_one, "fast-path-by", 10));
	cs_expect(open_one, "fast-path-lapsed");
}
END_TEST

/* seed 000 L964-L966 and L994-L1000: the vice-rector forms the
 * commission; no approval without its positive decision. */
START_TEST(t_commission_and_negative_recount)
{
	struct tclient	 app, dean, vr;
	struct tresp	 r;
	struct cs_event	 ev;
	char		*doc;
	int64_t		 id;

	in_summer();
	kit_login_as(&app, "applicant");
	kit_login_as(&dean, "dean");
	kit_login_as(&vr, "vicerector");
	id = open_general(&app, "not-returned-from-leave", "true");
	cs_fire_ok(&app, "applicant", id, "submit", NULL);
	cs_assign(&dean, "dean", id, "member1", "commission_member", &r);
	ck_assert_msg(cs_refused(&r, 403, "wrong-actor", NULL,
	    "seed 000 L964-L966"), "%s", r.body);
	tresp_free(&r);
	cs_assign_ok(&vr, "vicerector", id, "chair", "commission_chair");
	cs_fire(&vr, "vicerector", id, "refer-to-commission", NULL, &r);
	ck_assert_msg(cs_refused(&r, 422, "guard-failed", "commission-formed",
	    "seed 000 L964-L966"), "%s", r.body);
	tresp_free(&r);
	cs_assign_ok(&vr, "vicerector", id, "member1", "commission_member");
	cs_assign_ok(&vr, "vicerector", id, "member2", "commission_member");
	cs_assign(&vr, "vicerector", id, "member1", "commission_chair", &r);
	ck_assert(cs_refused(&r, 409, "capacity-full", NULL, NULL));
	tresp_free(&r);
	cs_fire_ok(&vr, "vicerector", id, "refer-to-commission", NULL);
	/* 1:1 is no majority of all three: the vote waits for member2. */
	vote_ok("member1", id, "positive");
	vote_ok("chair", id, "negative");
	cs_expect(id, "commission-voting");
	vote_ok("member2", id, "negative");
	cs_expect(id, "protocol-drafting");
	doc = cs_sample("commission-protocol.valid-credit-recount.xml",
	    (const char *[]){
	    "700505300111", "790508410008", "750818400222", "850315310006",
	    "680130300333", "880722410000", "950404300888", APPLICANT_IIN,
	    "<decision>positive</decision>", "<decision>negative</decision>",
	    "<vote>for</vote>", "<vote>against</vote>", NULL });
	protocol_signed(id, doc);
	free(doc);
	doc = decision("<decisionCode>approved</decisionCode>");
	memset(&ev, 0, sizeof(ev));
	ev.doc_xml = doc;
	cs_fire(&vr, "vicerector", id, "decide", &ev, &r);
	ck_assert_msg(cs_refused(&r, 422, "guard-failed",
	    "approval-follows-positive-recount", "seed 000 L994-L1000"), "%s",
	    r.body);
	tresp_free(&r);
	free(doc);
	doc = decision("<decisionCode>rejected</decisionCode>");
	ev.doc_xml = doc;
	cs_fire_ok(&vr, "vicerector", id, "decide", &ev);
	free(doc);
	cs_expect(id, "rejected");
}
END_TEST

static Suite *
reinstatement_suite(void)
{
	Suite	*s = suite_create("reinstatement");
	TCase	*tc = tcase_create("api");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, t_general_route_end_to_end);
	tcase_add_test(tc, t_summer_vacation_only);
	tcase_add_test(tc, t_dishonesty_first_period_paid_basis);
	tcase_add_test(tc, t_fast_path);
	tcase_add_test(tc, t_fast_path_window);
	tcase_add_test(tc, t_commission_and_negative_recount);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	harness_start();
	sr = srunner_create(reinstatement_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	failed += harness_stop();
	return (failed == 0 ? 0 : 1);
}
