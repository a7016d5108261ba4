/*
 * test_contract_api.c: the tripartite contract (SPEC 2.3; seed 001 Annex 2
 * §25 and Form 5) end to end through the HTTP API with the demo users and
 * their keys: the Registrar Office opens the case for the admitted
 * resident, the Customer is informed within 10 calendar days (a deadline
 * that fires when missed), the contract is drafted and signed by the
 * resident, the rector and the Customer's representative (certificate
 * with the Customer's BIN) — in force only after the third signature, in
 * each of the six orders; then the later events on the same case: notices
 * of changed personal data (3 days), graduation with three annual reports
 * (a reminder and a deadline a year), referral, employment, no vacancy
 * and the release sheet within 10 working days, reimbursement with the
 * inflation, termination by agreement (three signatures) or on legal
 * grounds, and fulfilment with the sealing queue.
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
#define CUSTOMER_BIN	"010340010009"

static const char *
today(int days, char out[11])
{
	return (cs_date(cs_now(), days, out));
}

static qj_time
midnight(const char *d)
{
	return (cs_local(atoi(d), atoi(d + 5), atoi(d + 8), 0, 0, 0));
}

static char *
contract(const char *customer_bin)
{
	return (cs_sample("tripartite-contract.valid.xml", (const char *[]){
	    "950404300888", APPLICANT_IIN,
	    "120340008765", customer_bin,
	    NULL }));
}

/* Opened by the Registrar Office, admitted two days ago, the Customer's
 * representative recorded and informed: the case is drafting. */
static int64_t
to_drafting(void)
{
	struct tclient	reg;
	char		body[256], data[96], d[11];
	int64_t		id;

	kit_login_as(&reg, "registrar");
	snprintf(body, sizeof(body), "{\"workflow\":\"tripartite-contract\","
	    "\"unit_id\":%lld,\"applicant_id\":%lld}",
	    (long long)db_int("SELECT id FROM unit WHERE code = 'fpe'"),
	    (long long)cs_person("applicant"));
	id = cs_open(&reg, body);
	cs_expect(id, "admitted");
	snprintf(data, sizeof(data), "{\"admitted-on\":\"%s\"}", today(-2, d));
	cs_fire_ok(&reg, "registrar", id, "record-admission",
	    &(struct cs_event){ NULL, data, NULL, NULL });
	cs_expect(id, "informing");
	cs_assign_ok(&reg, "registrar", id, "customer", "customer_rep");
	cs_fire_ok(&reg, "registrar", id, "inform-customer", NULL);
	cs_expect(id, "drafting");
	return (id);
}

static int64_t
to_signing(const char *customer_bin)
{
	struct tclient	 reg;
	char		*doc = contract(customer_bin);
	int64_t		 id = to_drafting();

	kit_login_as(&reg, "registrar");
	cs_fire_ok(&reg, "registrar", id, "draft-contract",
	    &(struct cs_event){ doc, NULL, NULL, NULL });
	free(doc);
	cs_expect(id, "signing");
	return (id);
}

static void
sign_as(const char *login, int64_t id, const char *event)
{
	struct tclient	c;

	kit_login_as(&c, login);
	cs_fire_ok(&c, login, id, event, NULL);
}

static int64_t
in_force(void)
{
	int64_t	id = to_signing(CUSTOMER_BIN);

	sign_as("customer", id, "sign");
	sign_as("applicant", id, "sign");
	sign_as("rector", id, "sign");
	cs_expect(id, "in-force");
	return (id);
}

/* In force only when the third signature lands, whatever the order. */
START_TEST(t_in_force_after_three_signatures_any_order)
{
	static const char *const perm[6][3] = {
		{ "applicant", "rector", "customer" },
		{ "applicant", "customer", "rector" },
		{ "rector", "applicant", "customer" },
		{ "rector", "customer", "applicant" },
		{ "customer", "applicant", "rector" },
		{ "customer", "rector", "applicant" },
	};
	char	v[64], q[160];
	int64_t	id;
	int	i, j;

	cs_set_now((qj_time)time(NULL) + 60);
	for (i = 0; i < 6; i++) {
		id = to_signing(CUSTOMER_BIN);
		for (j = 0; j < 3; j++) {
			cs_expect(id, "signing");
			ck_assert_str_eq(cs_var(id, "in-force-since", v,
			    sizeof(v)), "");
			sign_as(perm[i][j], id, "sign");
		}
		cs_expect(id, "in-force");
		ck_assert_str_ne(cs_var(id, "in-force-since", v, sizeof(v)), "");
		snprintf(q, sizeof(q), "SELECT count(DISTINCT signer_id) FROM "
		    "signature WHERE case_id = %lld AND event = 'sign' AND "
		    "commitment = 'origin'", (long long)id);
		ck_assert_int_eq(db_int(q), 3);
	}
}
END_TEST

/* The Customer's representative signs only for the Customer the contract
 * names (the BIN of the certificate); nobody else takes a party's step. */
START_TEST(t_customer_signs_for_its_organisation)
{
	struct tclient	c;
	struct tresp	r;
	int64_t		id;

	cs_set_now((qj_time)time(NULL) + 60);
	id = to_signing("120340008765");
	kit_login_as(&c, "customer");
	cs_fire(&c, "customer", id, "sign", NULL, &r);
	ck_assert_msg(cs_refused(&r, 422, "guard-failed",
	    "signs-for-the-customer", "seed 001 L1369-L1407"), "%s", r.body);
	tresp_free(&r);
	kit_login_as(&c, "applicant2");
	cs_fire(&c, "applicant2", id, "sign", NULL, &r);
	ck_assert_msg(r.status == 403, "%s", r.body);
	tresp_free(&r);
	sign_as("applicant", id, "sign");
	sign_as("rector", id, "sign");
	cs_expect(id, "signing");
}
END_TEST

/* §25: the Customer informed within 10 calendar days after admission. */
START_TEST(t_customer_information_deadline)
{
	struct tclient	reg;
	char		body[256], data[96], d[11], st[16];
	int64_t		id;
	qj_time		due;

	cs_set_now((qj_time)time(NULL) + 60);
	kit_login_as(&reg, "registrar");
	snprintf(body, sizeof(body), "{\"workflow\":\"tripartite-contract\","
	    "\"unit_id\":%lld,\"applicant_id\":%lld}",
	    (long long)db_int("SELECT id FROM unit WHERE code = 'fpe'"),
	    (long long)cs_person("applicant"));
	id = cs_open(&reg, body);
	/* An admission date in the future is refused. */
	{
		struct tresp r;

		snprintf(data, sizeof(data), "{\"admitted-on\":\"%s\"}",
		    today(1, d));
		cs_fire(&reg, "registrar", id, "record-admission",
		    &(struct cs_event){ NULL, data, NULL, NULL }, &r);
		ck_assert_msg(cs_refused(&r, 422, "guard-failed",
		    "admission-not-in-future", NULL), "%s", r.body);
		tresp_free(&r);
	}
	snprintf(data, sizeof(data), "{\"admitted-on\":\"%s\"}", today(-3, d));
	cs_fire_ok(&reg, "registrar", id, "record-admission",
	    &(struct cs_event){ NULL, data, NULL, NULL });
	due = cs_due(id, "inform-customer-by");
	ck_assert_int_eq(due, midnight(d) + 11 * 86400);
	ck_assert_int_eq(due, cs_expected_due("10 calendar-days", midnight(d)));
	cs_set_now(due - 60);
	ck_assert(!cs_wait_deadline(id, "inform-customer-by", 1));
	cs_set_now(due + 60);
	ck_assert(cs_wait_deadline(id, "inform-customer-by", 10));
	ck_assert_str_eq(cs_deadline_state(id, "inform-customer-by", st),
	    "fired");
	ck_assert_int_eq(cs_audit_count(id, "customer-information-overdue"), 1);
	cs_expect(id, "informing");
}
END_TEST

static char *
notice(struct tclient *app, const char *changed, const char *on)
{
	char	sha[65], cd[40], nd[40];

	cs_relogin(app, "applicant");
	kit_upload_pdf(app, "notice", sha);
	snprintf(cd, sizeof(cd), "<changeDate>%s</changeDate>", changed);
	snprintf(nd, sizeof(nd), "<noticeDate>%s</noticeDate>", on);
	return (cs_sample("change-of-personal-data-notice.valid.xml",
	    (const char *[]){
	    "980114400531", APPLICANT_IIN,
	    "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb",
	    sha,
	    "<changeDate>2026-02-14</changeDate>", cd,
	    "<changeDate>2026-02-15</changeDate>", cd,
	    "<noticeDate>2026-02-16</noticeDate>", nd,
	    NULL }));
}

static char *
report(int year)
{
	char	y[40];

	snprintf(y, sizeof(y), "<reportYear>%d</reportYear>", year);
	return (cs_sample("employment-report.valid.xml", (const char *[]){
	    "980114400531", APPLICANT_IIN, "<reportYear>1</reportYear>", y,
	    NULL }));
}

/* Later events: notices, graduation and the yearly reports (a reminder
 * and a deadline each year), referral, no vacancy, release sheet. */
/*
 * Completion of studies: the Registrar Office puts the resident forward
 * and the head's order (expulsion on completion, seed 000 L1639) graduates
 * them.  The order's item carries the ground, the final year as a number
 * and the contract's specialty.
 */
static void
graduate(int64_t id, const char *on)
{
	struct tclient	 reg;
	struct tresp	 r;
	char		 data[96], q[512];
	int64_t		 order;

	kit_login_as(&reg, "registrar");
	/* The year is a number; the date not in the future. */
	cs_fire(&reg, "registrar", id, "request-completion-order",
	    &(struct cs_event){ NULL, "{\"completed-on\":\"2999-01-01\","
	    "\"final-year\":3}", NULL, NULL }, &r);
	ck_assert_msg(cs_refused(&r, 422, "guard-failed",
	    "graduation-not-in-future", NULL), "%s", r.body);
	tresp_free(&r);
	snprintf(data, sizeof(data), "{\"completed-on\":\"%s\","
	    "\"final-year\":\"three\"}", on);
	cs_fire(&reg, "registrar", id, "request-completion-order",
	    &(struct cs_event){ NULL, data, NULL, NULL }, &r);
	ck_assert_msg(cs_refused(&r, 422, "bad-input", "final-year", NULL),
	    "%s", r.body);
	tresp_free(&r);
	snprintf(data, sizeof(data), "{\"completed-on\":\"%s\","
	    "\"final-year\":3}", on);
	cs_fire_ok(&reg, "registrar", id, "request-completion-order",
	    &(struct cs_event){ NULL, data, NULL, NULL });
	cs_expect(id, "awaiting-graduation-order");
	order = cs_order("student", &id, 1, "Оқуды аяқтауына байланысты",
	    (const char *const[]){ "applicant", NULL });
	cs_expect(order, "in-force");
	cs_expect(id, "graduated");
	snprintf(q, sizeof(q), "SELECT count(*) FROM case_document cd JOIN "
	    "document d ON d.sha256 = cd.sha256 WHERE cd.case_id = %lld AND "
	    "cd.role = 'order' AND convert_from(d.bytes, 'UTF8') LIKE "
	    "'%%<yearOfStudy>3</yearOfStudy><action>expelled</action>"
	    "<effectiveDate>%s</effectiveDate><expulsionGround>completion"
	    "</expulsionGround>%%'", (long long)order, on);
	ck_assert_int_gt(db_int(q), 0);
}

START_TEST(t_later_events)
{
	struct tclient	 app, reg, cust;
	char		*doc, d[11], g[11], data[160], v[16], st[16];
	qj_time		 grad, due;
	int64_t		 id;
	int		 k;

	cs_set_now((qj_time)time(NULL) + 60);
	id = in_force();
	kit_login_as(&app, "applicant");
	kit_login_as(&reg, "registrar");
	/* 2.2.2: a change three days ago is notified on time, four is late. */
	doc = notice(&app, today(-3, d), today(0, g));
	cs_fire_ok(&app, "applicant", id, "notify-change",
	    &(struct cs_event){ doc, NULL, NULL, NULL });
	free(doc);
	ck_assert_str_eq(cs_var(id, "last-notice-on-time", v, sizeof(v)),
	    "true");
	doc = notice(&app, today(-4, d), today(0, g));
	cs_fire_ok(&app, "applicant", id, "notify-change",
	    &(struct cs_event){ doc, NULL, NULL, NULL });
	free(doc);
	ck_assert_str_eq(cs_var(id, "last-notice-on-time", v, sizeof(v)),
	    "false");
	cs_expect(id, "in-force");
	/* Graduation by the completion order: three yearly reports, each
	 * with a reminder, counted from the order's date. */
	graduate(id, today(0, g));
	grad = midnight(g);
	for (k = 1; k <= 3; k++) {
		char name[48], rule[24];

		snprintf(name, sizeof(name), "employment-report-%d", k);
		snprintf(rule, sizeof(rule), "%d months", 12 * k);
		ck_assert_int_eq(cs_due(id, name), cs_expected_due(rule, grad));
		snprintf(name, sizeof(name), "employment-report-reminder-%d",
		    k);
		snprintf(rule, sizeof(rule), "%d months", 12 * k - 1);
		ck_assert_int_eq(cs_due(id, name), cs_expected_due(rule, grad));
	}
	/* The first year's report closes its deadline and its reminder. */
	doc = report(1);
	cs_fire_ok(&app, "applicant", id, "file-report",
	    &(struct cs_event){ doc, NULL, NULL, NULL });
	free(doc);
	ck_assert_str_eq(cs_deadline_state(id, "employment-report-1", st),
	    "cancelled");
	ck_assert_str_eq(cs_deadline_state(id, "employment-report-reminder-1",
	    st), "cancelled");
	ck_assert_str_eq(cs_deadline_state(id, "employment-report-2", st),
	    "pending");
	/* Referral, then no vacancy on arrival: a release sheet within 10
	 * working days. */
	kit_login_as(&cust, "customer");
	cs_fire_ok(&cust, "customer", id, "refer", &(struct cs_event){ NULL,
	    "{\"referral-number\":\"Ж-17\",\"medical-organisation\":"
	    "\"№ 7 қалалық емхана\"}", NULL, NULL });
	cs_expect(id, "referred");
	snprintf(data, sizeof(data), "{\"arrived-on\":\"%s\"}", today(0, d));
	cs_fire_ok(&app, "applicant", id, "report-no-vacancy",
	    &(struct cs_event){ NULL, data, NULL, NULL });
	cs_expect(id, "awaiting-release");
	due = cs_due(id, "release-sheet-by");
	ck_assert_int_eq(due, cs_expected_due("10 working-days", midnight(d)));
	ck_assert_int_ge(due, midnight(d) + 14 * 86400);
	cs_set_now(due - 60);
	ck_assert(!cs_wait_deadline(id, "release-sheet-by", 1));
	cs_set_now(due + 60);
	ck_assert(cs_wait_deadline(id, "release-sheet-by", 10));
	ck_assert_int_eq(cs_audit_count(id, "release-sheet-overdue"), 1);
	/* The Customer issues the sheet (late, but issued). */
	doc = cs_sample("release-sheet.valid.xml", (const char *[]){
	    "950404300888", APPLICANT_IIN, "120340008765", CUSTOMER_BIN,
	    "2028-08-01", d, "2028-08-08", today(0, g), NULL });
	kit_login_as(&cust, "customer");
	cs_fire_ok(&cust, "customer", id, "issue-release-sheet",
	    &(struct cs_event){ doc, NULL, NULL, NULL });
	free(doc);
	cs_expect(id, "released");
	/* A year (less a month) after graduation the second reminder fires,
	 * then the second report's deadline; nothing moves the case. */
	due = cs_due(id, "employment-report-reminder-2");
	cs_set_now(due + 60);
	ck_assert(cs_wait_deadline(id, "employment-report-reminder-2", 10));
	ck_assert_int_eq(cs_audit_count(id, "employment-report-reminder"), 1);
	due = cs_due(id, "employment-report-2");
	cs_set_now(due + 60);
	ck_assert(cs_wait_deadline(id, "employment-report-2", 10));
	ck_assert_int_eq(cs_audit_count(id, "employment-report-overdue"), 1);
	ck_assert_str_eq(cs_deadline_state(id, "employment-report-3", st),
	    "pending");
	cs_expect(id, "released");
}
END_TEST

/* From admission to the sealed archive: fulfilled after the third year's
 * report. */
START_TEST(t_contract_end_to_end)
{
	struct tclient	 app, reg, cust;
	struct tresp	 r;
	char		*doc, data[96], g[11], q[160];
	int64_t		 id;
	int		 k;

	cs_set_now((qj_time)time(NULL) + 60);
	id = in_force();
	kit_login_as(&app, "applicant");
	kit_login_as(&reg, "registrar");
	kit_login_as(&cust, "customer");
	graduate(id, today(0, g));
	cs_fire_ok(&cust, "customer", id, "refer", &(struct cs_event){ NULL,
	    "{\"referral-number\":\"Ж-18\",\"medical-organisation\":"
	    "\"№ 7 қалалық емхана\"}", NULL, NULL });
	/* Unknown or ill-typed data is refused. */
	cs_fire(&cust, "customer", id, "employ", &(struct cs_event){ NULL,
	    "{\"employed-on\":\"soon\"}", NULL, NULL }, &r);
	ck_assert(cs_refused(&r, 422, "bad-input", "employed-on", NULL));
	tresp_free(&r);
	snprintf(data, sizeof(data), "{\"employed-on\":\"%s\"}", g);
	cs_fire_ok(&cust, "customer", id, "employ",
	    &(struct cs_event){ NULL, data, NULL, NULL });
	cs_expect(id, "working-off");
	cs_fire(&reg, "registrar", id, "complete", NULL, &r);
	ck_assert_msg(cs_refused(&r, 422, "guard-failed", NULL, NULL), "%s",
	    r.body);
	tresp_free(&r);
	for (k = 1; k <= 3; k++) {
		doc = report(k);
		cs_fire_ok(&app, "applicant", id, "file-report",
		    &(struct cs_event){ doc, NULL, NULL, NULL });
		free(doc);
	}
	cs_fire_ok(&reg, "registrar", id, "complete", NULL);
	cs_expect(id, "fulfilled");
	snprintf(q, sizeof(q), "SELECT count(*) FROM deadline WHERE case_id = "
	    "%lld AND state = 'pending'", (long long)id);
	ck_assert_int_eq(db_int(q), 0);
	/* A closed case is sealed into its archive by the server. */
	ck_assert_msg(cs_wait_sealed(id, 30), "case %lld not sealed",
	    (long long)id);
}
END_TEST

/* 6.2 termination by agreement (three signatures) or on legal grounds;
 * 2.2.6 / 4.1 reimbursement with the inflation. */
START_TEST(t_termination_and_reimbursement)
{
	struct tclient	 reg, legal, app;
	struct tresp	 r;
	char		*doc;
	int64_t		 id;

	cs_set_now((qj_time)time(NULL) + 60);
	id = in_force();
	kit_login_as(&reg, "registrar");
	doc = cs_sample("decision.valid.xml", (const char *[]){
	    "<caseKind>reinstatement</caseKind>",
	    "<caseKind>tripartite-contract</caseKind>", NULL });
	cs_fire_ok(&reg, "registrar", id, "propose-termination",
	    &(struct cs_event){ doc, NULL, NULL, NULL });
	free(doc);
	cs_expect(id, "termination-signing");
	sign_as("rector", id, "sign-termination");
	sign_as("applicant", id, "sign-termination");
	cs_expect(id, "termination-signing");
	sign_as("customer", id, "sign-termination");
	cs_expect(id, "terminated-by-agreement");
	/* Reimbursement: claimed by the Legal Department, with a reason. */
	id = in_force();
	kit_login_as(&legal, "legal");
	cs_fire(&legal, "legal", id, "claim-reimbursement", &(struct cs_event){
	    NULL, "{\"amount\":0}", "Жолдама бойынша келмеді", NULL }, &r);
	ck_assert_msg(cs_refused(&r, 422, "guard-failed", "amount-positive",
	    "seed 001 L1277-L1279"), "%s", r.body);
	tresp_free(&r);
	kit_login_as(&app, "applicant");
	cs_fire(&app, "applicant", id, "claim-reimbursement", &(struct cs_event){
	    NULL, "{\"amount\":1}", "x", NULL }, &r);
	ck_assert_int_eq(r.status, 403);
	tresp_free(&r);
	cs_fire_ok(&legal, "legal", id, "claim-reimbursement", &(struct cs_event){
	    NULL, "{\"amount\":4812500}", "Жолдама бойынша келмеді", NULL });
	cs_expect(id, "reimbursement-due");
	cs_fire_ok(&legal, "legal", id, "record-reimbursement",
	    &(struct cs_event){ NULL, "{\"paid-on\":\"2027-01-10\"}", NULL,
	    NULL });
	cs_expect(id, "reimbursed");
	/* On legal grounds, with the ground given. */
	id = in_force();
	cs_fire(&legal, "legal", id, "terminate-on-legal-grounds", NULL, &r);
	ck_assert(cs_refused(&r, 422, "reason-required", NULL, NULL));
	tresp_free(&r);
	cs_fire_ok(&legal, "legal", id, "terminate-on-legal-grounds",
	    &(struct cs_event){ NULL, NULL, "Заңның 41-бабы", NULL });
	cs_expect(id, "terminated-by-law");
}
END_TEST

static Suite *
contract_suite(void)
{
	Suite	*s = suite_create("tripartite-contract");
	TCase	*tc = tcase_create("api");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, t_in_force_after_three_signatures_any_order);
	tcase_add_test(tc, t_customer_signs_for_its_organisation);
	tcase_add_test(tc, t_customer_information_deadline);
	tcase_add_test(tc, t_contract_end_to_end);
	tcase_add_test(tc, t_termination_and_reimbursement);
	tcase_add_test(tc, t_later_events);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	harness_start();
	sr = srunner_create(contract_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	failed += harness_stop();
	return (failed == 0 ? 0 : 1);
}
