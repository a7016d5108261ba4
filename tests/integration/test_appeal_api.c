/*
 * test_appeal_api.c: the appeal (SPEC 2.4; seed 001 Annex 2 §§15-20) end
 * to end through the HTTP API with the demo users and their keys — filing
 * by 13:00 Almaty the day after the results (and refused after, with the
 * rule cited), the commission and the examiner recorded by the Registrar
 * Office, the hearing with the applicant's identity checked, the vote
 * (clear majority, a tie the chair decides, a member who has not voted,
 * an examiner who may not sit), the protocol signed by the chair and every
 * member, the outcome, the sealing queue; and the other rules one by one:
 * absence, grounds, addressee, the hearing and final-protocol deadlines.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "tests/lib/casekit.h"
#include "tests/lib/flowkit.h"
#include "tests/lib/harness.h"
#include "tests/lib/http.h"

#define APPLICANT_IIN	"980412410006"

struct member {
	const char	*login;
	const char	*iin;
	const char	*surname;
	const char	*role;		/* "chair" or "member" */
};

static const struct member commission[] = {
	{ "chair", "790508410008", "Ибраева", "chair" },
	{ "member1", "850315310006", "Тоқтаров", "member" },
	{ "member2", "880722410000", "Әлиева", "member" },
	{ "member3", "831226310001", "Нұрпейісов", "member" },
};

/* The moment results were published: tomorrow 18:00 Almaty. */
static qj_time
published(void)
{
	char	d[11];
	int	y, m, dd;

	cs_date((qj_time)time(NULL), 1, d);
	sscanf(d, "%d-%d-%d", &y, &m, &dd);
	return (cs_local(y, m, dd, 18, 0, 0));
}

static void
rfc3339_local(qj_time t, char out[32])
{
	ck_assert_int_eq(qj_rfc3339_format(t, 300, out), QJ_OK);
}

/* The appeal application (the sample, made the demo applicant's). */
static char *
application(qj_time pub, const char *kind, const char *ground,
    const char *addressee)
{
	char	when[32], date[11], datel[40];

	rfc3339_local(pub, when);
	snprintf(datel, sizeof(datel), "<date>%s</date>", cs_date(pub, 1,
	    date));
	{
		const char *ft[] = {
			"000229600321", APPLICANT_IIN,
			"2025-08-12T18:00:00+05:00", when,
			"<kind>admission</kind>", kind,
			"<code>content</code>", ground,
			"<c:role>appeal-commission-chair</c:role>", addressee,
			"<date>2025-08-13</date>", datel,
			NULL };

		return (cs_sample("appeal-application.valid.xml", ft));
	}
}

static int64_t
open_appeal(struct tclient *app, qj_time pub, const char *kind)
{
	char	*doc = application(pub, kind, "<code>content</code>",
		    "<c:role>appeal-commission-chair</c:role>");
	json_t	*o = json_pack("{s:s, s:s}", "workflow", "appeal",
		    "document_xml", doc);
	char	*body = json_dumps(o, 0);
	int64_t	 id = cs_open(app, body);

	json_decref(o);
	free(body);
	free(doc);
	cs_expect(id, "draft");
	return (id);
}

/* Filed at 12:59 the next day. */
static int64_t
filed_appeal(struct tclient *app, const char *kind)
{
	qj_time	pub = published();
	int64_t	id = open_appeal(app, pub, kind);

	cs_set_now(pub + 19 * 3600 - 60);
	cs_fire_ok(app, "applicant", id, "file", NULL);
	cs_expect(id, "filed");
	return (id);
}

/* The commission (n members from the list) and the examiner. */
static void
form_commission(int64_t id, int n, const char *examiner)
{
	struct tclient	reg;
	int		i;

	kit_login_as(&reg, "registrar");
	for (i = 0; i < n; i++)
		cs_assign_ok(&reg, "registrar", id, commission[i].login,
		    strcmp(commission[i].role, "chair") == 0 ?
		    "commission_chair" : "commission_member");
	cs_assign_ok(&reg, "registrar", id, examiner, "examiner");
}

static void
to_voting(int64_t id, int n)
{
	struct tclient		chair;
	const struct cs_event	present = { NULL,
				    "{\"identity-checked\":true}", NULL, NULL };

	form_commission(id, n, "dean");
	kit_login_as(&chair, "chair");
	cs_fire_ok(&chair, "chair", id, "open-hearing", NULL);
	cs_expect(id, "hearing");
	cs_fire_ok(&chair, "chair", id, "applicant-present", &present);
	cs_expect(id, "voting");
}

static long
vote(const char *login, int64_t id, const char *option, struct tresp *r)
{
	struct tclient		c;
	const struct cs_event	ev = { NULL, NULL, NULL, option };

	kit_login_as(&c, login);
	return (cs_fire(&c, login, id, "vote", &ev, r));
}

static void
vote_ok(const char *login, int64_t id, const char *option)
{
	struct tresp	r;

	vote(login, id, option, &r);
	ck_assert_msg(r.status == 200, "%s votes %s: %ld %s", login, option,
	    r.status, r.body);
	tresp_free(&r);
}

/*
 * The protocol: the commission's first n people with their votes
 * (NULL: absent), the decision, and the outcome section for points.
 */
static char *
protocol(int n, const char *const *votes, const char *decision)
{
	struct qj_buf	 m = QJ_BUF_INIT;
	char		*s, *a, *b, *out;
	int		 i;

	s = cs_sample("commission-protocol.valid.xml", (const char *[]){
	    "000229600321", APPLICANT_IIN,
	    "<decision>points-added</decision>", decision, NULL });
	qj_buf_puts(&m, "<members>");
	for (i = 0; i < n; i++) {
		qj_buf_printf(&m, "<member><fullName><c:surname>%s</c:surname>"
		    "<c:givenName>А</c:givenName></fullName><iin>%s</iin>"
		    "<role>%s</role><present>%s</present>",
		    commission[i].surname, commission[i].iin,
		    commission[i].role, votes[i] ? "true" : "false");
		if (votes[i] != NULL)
			qj_buf_printf(&m, "<vote>%s</vote>", votes[i]);
		qj_buf_puts(&m, "</member>");
	}
	qj_buf_puts(&m, "</members>");
	a = strstr(s, "<members>");
	b = strstr(s, "</members>") + strlen("</members>");
	out = malloc(strlen(s) + m.len + 1);
	sprintf(out, "%.*s%s%s", (int)(a - s), s, m.data, b);
	if (strstr(decision, "dismissed") != NULL) {
		/* No points: drop the outcome section. */
		a = strstr(out, "<appealOutcome>");
		b = strstr(out, "</appealOutcome>");
		memmove(a, b + strlen("</appealOutcome>"),
		    strlen(b + strlen("</appealOutcome>")) + 1);
	}
	qj_buf_free(&m);
	free(s);
	return (out);
}

START_TEST(t_appeal_end_to_end)
{
	struct tclient	 app, chair, aud;
	struct tresp	 r;
	const char	*votes[] = { "for", "for", "for", "against" };
	struct cs_event	 ev;
	char		*doc, path[96], due[16];
	qj_time		 pub = published();
	int64_t		 id, order;
	int		 i;

	kit_login_as(&app, "applicant");
	id = open_appeal(&app, pub, "<kind>admission</kind>");
	/* Filed at 12:59 Almaty the next day; heard within a day. */
	cs_set_now(pub + 19 * 3600 - 60);
	cs_fire_ok(&app, "applicant", id, "file", NULL);
	cs_expect(id, "filed");
	ck_assert_int_eq(cs_due(id, "hearing-by"), cs_expected_due(
	    "1 calendar-days", cs_now()));
	cs_date(pub, 3, due);
	ck_assert_int_eq(cs_due(id, "hearing-by"), cs_local(atoi(due),
	    atoi(due + 5), atoi(due + 8), 0, 0, 0));
	snprintf(path, sizeof(path), "/api/cases/%lld", (long long)id);
	t_json(&app, "GET", path, NULL, &r);
	ck_assert_ptr_nonnull(strstr(r.body, "seed 001 L886-L887"));
	tresp_free(&r);
	/* The Registrar Office records the commission and the examiner;
	 * the chair hears the applicant, who shows an identity document. */
	to_voting(id, 4);
	ck_assert_str_eq(cs_deadline_state(id, "hearing-by", due), "cancelled");
	vote_ok("chair", id, "uphold");
	vote_ok("member1", id, "uphold");
	vote_ok("member2", id, "uphold");
	/* Three of four: decided without the fourth, who can vote no more. */
	cs_expect(id, "protocol-drafting");
	ck_assert_int_eq(vote("member3", id, "dismiss", &r), 409);
	tresp_free(&r);
	/* The chair drafts the protocol; the chair and every member sign. */
	votes[3] = NULL;
	doc = protocol(4, votes, "<decision>points-added</decision>");
	memset(&ev, 0, sizeof(ev));
	ev.doc_xml = doc;
	kit_login_as(&chair, "chair");
	cs_fire_ok(&chair, "chair", id, "draft-protocol", &ev);
	free(doc);
	cs_expect(id, "protocol-signing");
	for (i = 0; i < 4; i++) {
		struct tclient c;

		ck_assert_str_eq(cs_state(id, path), "protocol-signing");
		kit_login_as(&c, commission[i].login);
		cs_fire_ok(&c, commission[i].login, id, "sign-protocol", NULL);
	}
	/* Points added to an entrance-exam result reach the admission by the
	 * head's order (SPEC 2.5): listed, signed, the appeal closes. */
	cs_expect(id, "awaiting-order");
	ck_assert(!cs_wait_sealed(id, 1));
	order = cs_order("admission", &id, 1, "Апелляция нәтижелері бойынша",
	    (const char *const[]){ "applicant", NULL });
	cs_expect(order, "in-force");
	cs_expect(id, "points-added");
	{
		char	q[512], v[32];

		/* The item: the new score from the signed protocol, the
		 * programme from the application, no year of study. */
		snprintf(q, sizeof(q), "SELECT count(*) FROM case_document cd "
		    "JOIN document d ON d.sha256 = cd.sha256 WHERE cd.case_id "
		    "= %lld AND cd.role = 'order' AND convert_from(d.bytes, "
		    "'UTF8') LIKE '%%<action>appeal-outcome</action>%%' AND "
		    "convert_from(d.bytes, 'UTF8') LIKE '%%<newScore>76.5%%' AND convert_from(d.bytes, 'UTF8') LIKE "
		    "'%%7R01114%%' AND convert_from(d.bytes, 'UTF8') NOT LIKE "
		    "'%%yearOfStudy%%'", (long long)order);
		ck_assert_int_gt(db_int(q), 0);
		ck_assert_str_ne(cs_var(id, "appeal-order", v, sizeof(v)), "");
	}
	ck_assert_int_eq(db_int("SELECT count(*) FROM signature s JOIN "
	    "case_document d ON d.id = s.case_document_id WHERE d.role = "
	    "'protocol' AND s.commitment = 'origin' AND s.case_id = "
	    "(SELECT max(id) FROM wf_case WHERE workflow = 'appeal' AND state "
	    "= 'points-added')"), 4);
	/* A closed case is sealed into its archive by the server. */
	ck_assert_msg(cs_wait_sealed(id, 30), "case %lld not sealed",
	    (long long)id);
	kit_login_as(&aud, "auditor");
	snprintf(path, sizeof(path), "/api/audit/verify?case=%lld",
	    (long long)id);
	t_json(&aud, "GET", path, NULL, &r);
	ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
	ck_assert(json_is_true(json_object_get(r.json, "valid")));
	tresp_free(&r);
}
END_TEST

/* §18: by 13:00 the day after the results; 13:00:30 is too late. */
START_TEST(t_filing_deadline)
{
	struct tclient	app;
	struct tresp	r;
	qj_time		pub = published();
	int64_t		id;

	kit_login_as(&app, "applicant");
	id = open_appeal(&app, pub, "<kind>admission</kind>");
	cs_set_now(pub + 19 * 3600 + 30);
	cs_fire(&app, "applicant", id, "file", NULL, &r);
	ck_assert_msg(cs_refused(&r, 422, "guard-failed", "filed-by-13-next-day",
	    "seed 001 L884-L886"), "%s", r.body);
	tresp_free(&r);
	cs_expect(id, "draft");
	/* Before the results are out there is nothing to appeal. */
	cs_set_now(pub - 600);
	cs_fire(&app, "applicant", id, "file", NULL, &r);
	ck_assert_msg(cs_refused(&r, 422, "guard-failed", "results-published",
	    NULL), "%s", r.body);
	tresp_free(&r);
	/* 12:59:30 the next day is on time. */
	cs_set_now(pub + 19 * 3600 - 30);
	cs_fire(&app, "applicant", id, "file", NULL, &r);
	ck_assert_msg(r.status == 200, "%s", r.body);
	tresp_free(&r);
	cs_expect(id, "filed");
}
END_TEST

/* §17 (grounds), §18 (addressed to the chair). */
START_TEST(t_grounds_and_addressee)
{
	struct tclient	app;
	struct tresp	r;
	qj_time		pub = published();
	char		*doc, *body;
	json_t		*o;
	int64_t		id;

	kit_login_as(&app, "applicant");
	doc = application(pub, "<kind>admission</kind>",
	    "<code>procedure</code>", "<c:role>appeal-commission-chair</c:role>");
	o = json_pack("{s:s, s:s}", "workflow", "appeal", "document_xml", doc);
	body = json_dumps(o, 0);
	t_json(&app, "POST", "/api/cases", body, &r);
	ck_assert_msg(cs_refused(&r, 422, "schema-violation", NULL, NULL), "%s",
	    r.body);
	tresp_free(&r);
	free(body);
	free(doc);
	json_decref(o);
	doc = application(pub, "<kind>admission</kind>", "<code>technical</code>",
	    "<c:role>dean</c:role>");
	o = json_pack("{s:s, s:s}", "workflow", "appeal", "document_xml", doc);
	body = json_dumps(o, 0);
	id = cs_open(&app, body);
	free(body);
	free(doc);
	json_decref(o);
	cs_set_now(pub + 3600);
	cs_fire(&app, "applicant", id, "file", NULL, &r);
	ck_assert_msg(cs_refused(&r, 422, "guard-failed", "addressed-to-the-chair",
	    "seed 001 L883-L884"), "%s", r.body);
	tresp_free(&r);
}
END_TEST

/* The commission vote: a tie the chair decides, a member who has not
 * voted, someone who is not a member. */
START_TEST(t_vote_tie_and_missing_member)
{
	struct tclient	app, m3;
	struct tresp	r;
	char		v[32], path[96];
	int64_t		id;

	kit_login_as(&app, "applicant");
	id = filed_appeal(&app, "<kind>admission</kind>");
	to_voting(id, 4);
	ck_assert_int_eq(vote("legal", id, "uphold", &r), 403);
	ck_assert(cs_refused(&r, 403, "not-a-member", NULL, NULL));
	tresp_free(&r);
	vote_ok("chair", id, "dismiss");
	vote_ok("member1", id, "uphold");
	vote_ok("member2", id, "uphold");
	/* 2:1 of four members is no majority of all: member3 is awaited. */
	cs_expect(id, "voting");
	ck_assert_str_eq(cs_var(id, "outcome", v, sizeof(v)), "");
	kit_login_as(&m3, "member3");
	t_json(&m3, "GET", "/api/inbox", NULL, &r);
	snprintf(path, sizeof(path), "\"case_id\":%lld", (long long)id);
	ck_assert_msg(strstr(r.body, path) != NULL, "%s", r.body);
	tresp_free(&r);
	ck_assert_int_eq(vote("member1", id, "dismiss", &r), 409);
	ck_assert(cs_refused(&r, 409, "already-voted", NULL, NULL));
	tresp_free(&r);
	/* 2:2 — the chair voted dismiss, so dismiss. */
	vote_ok("member3", id, "dismiss");
	cs_expect(id, "protocol-drafting");
	ck_assert_str_eq(cs_var(id, "outcome", v, sizeof(v)), "dismiss");
	/* The protocol says so; signed by all, the appeal is dismissed. */
	{
		const char	*votes[] = { "against", "for", "for", "against" };
		char		*doc = protocol(4, votes,
				    "<decision>dismissed</decision>");
		struct tclient	 c;
		int		 i;

		kit_login_as(&c, "chair");
		cs_fire_ok(&c, "chair", id, "draft-protocol",
		    &(struct cs_event){ doc, NULL, NULL, NULL });
		free(doc);
		for (i = 0; i < 4; i++) {
			kit_login_as(&c, commission[i].login);
			cs_fire_ok(&c, commission[i].login, id,
			    "sign-protocol", NULL);
		}
		cs_expect(id, "dismissed");
	}
}
END_TEST

/* Points added on a final-attestation appeal go into the final protocol
 * (seed 000 L887-L891): no order, the appeal closes when the protocol is
 * signed.  Only an entrance-exam result waits for the head's order. */
START_TEST(t_final_attestation_needs_no_order)
{
	struct tclient	 app, c;
	const char	*votes[] = { "for", "for", "for" };
	char		*doc;
	int64_t		 id;
	int		 i;

	kit_login_as(&app, "applicant");
	id = filed_appeal(&app, "<kind>final-attestation</kind>");
	to_voting(id, 3);
	vote_ok("chair", id, "uphold");
	vote_ok("member1", id, "uphold");
	cs_expect(id, "protocol-drafting");
	doc = protocol(3, votes, "<decision>points-added</decision>");
	kit_login_as(&c, "chair");
	cs_fire_ok(&c, "chair", id, "draft-protocol",
	    &(struct cs_event){ doc, NULL, NULL, NULL });
	free(doc);
	for (i = 0; i < 3; i++) {
		kit_login_as(&c, commission[i].login);
		cs_fire_ok(&c, commission[i].login, id, "sign-protocol", NULL);
	}
	cs_expect(id, "points-added");
	ck_assert_msg(cs_wait_sealed(id, 30), "case %lld not sealed",
	    (long long)id);
}
END_TEST

/* SPEC 1: the examiner of the disputed exam never sits on the commission. */
START_TEST(t_examiner_cannot_sit)
{
	struct tclient	app, reg, dean;
	struct tresp	r;
	int64_t		id;

	kit_login_as(&app, "applicant");
	kit_login_as(&reg, "registrar");
	id = filed_appeal(&app, "<kind>admission</kind>");
	cs_assign_ok(&reg, "registrar", id, "member1", "examiner");
	cs_assign(&reg, "registrar", id, "member1", "commission_member", &r);
	ck_assert_msg(cs_refused(&r, 403, "segregation-of-duties", "person_id",
	    "SPEC 1"), "%s", r.body);
	tresp_free(&r);
	/* The other way round. */
	cs_assign_ok(&reg, "registrar", id, "member2", "commission_member");
	cs_assign(&reg, "registrar", id, "member2", "examiner", &r);
	ck_assert_msg(cs_refused(&r, 403, "segregation-of-duties", NULL,
	    "SPEC 1"), "%s", r.body);
	tresp_free(&r);
	/* The applicant sits on nothing; only the Registrar Office assigns;
	 * one chair. */
	cs_assign(&reg, "registrar", id, "applicant", "commission_member", &r);
	ck_assert(cs_refused(&r, 403, "segregation-of-duties", NULL, NULL));
	tresp_free(&r);
	kit_login_as(&dean, "dean");
	cs_assign(&dean, "dean", id, "member3", "commission_member", &r);
	ck_assert_msg(cs_refused(&r, 403, "wrong-actor", NULL, NULL), "%s",
	    r.body);
	tresp_free(&r);
	cs_assign_ok(&reg, "registrar", id, "chair", "commission_chair");
	cs_assign(&reg, "registrar", id, "member3", "commission_chair", &r);
	ck_assert(cs_refused(&r, 409, "capacity-full", NULL, NULL));
	tresp_free(&r);
	{
		char q[256];

		snprintf(q, sizeof(q), "SELECT count(*) FROM case_participant "
		    "WHERE case_id = %lld AND person_id = (SELECT id FROM "
		    "person WHERE login = 'member1')", (long long)id);
		ck_assert_int_eq(db_int(q), 1);
	}
}
END_TEST

/* §18 L888-L890 absent -> not considered; §19 identity; the protocol must
 * state the vote; no hearing without the commission and the examiner. */
START_TEST(t_hearing_rules)
{
	struct tclient		 app, chair, reg;
	struct tresp		 r;
	const struct cs_event	 no_id = { NULL, "{\"identity-checked\":false}",
				    NULL, NULL };
	const char		*votes[] = { "for", "for", "for" };
	struct cs_event		 ev;
	char			*doc;
	int64_t			 id;

	kit_login_as(&app, "applicant");
	kit_login_as(&chair, "chair");
	kit_login_as(&reg, "registrar");
	id = filed_appeal(&app, "<kind>admission</kind>");
	cs_assign_ok(&reg, "registrar", id, "chair", "commission_chair");
	cs_assign_ok(&reg, "registrar", id, "member1", "commission_member");
	cs_assign_ok(&reg, "registrar", id, "member2", "commission_member");
	cs_fire(&chair, "chair", id, "open-hearing", NULL, &r);
	ck_assert_msg(cs_refused(&r, 422, "guard-failed", "examiner-recorded",
	    "SPEC 1"), "%s", r.body);
	tresp_free(&r);
	cs_assign_ok(&reg, "registrar", id, "dean", "examiner");
	cs_fire_ok(&chair, "chair", id, "open-hearing", NULL);
	cs_fire(&chair, "chair", id, "applicant-present", &no_id, &r);
	ck_assert_msg(cs_refused(&r, 422, "guard-failed",
	    "identity-document-shown", "seed 001 L891-L892"), "%s", r.body);
	tresp_free(&r);
	cs_fire(&chair, "chair", id, "applicant-present", NULL, &r);
	ck_assert_msg(cs_refused(&r, 422, "bad-input", "identity-checked",
	    NULL), "%s", r.body);
	tresp_free(&r);
	cs_fire_ok(&chair, "chair", id, "applicant-present", &(struct cs_event){
	    NULL, "{\"identity-checked\":true}", NULL, NULL });
	vote_ok("chair", id, "uphold");
	vote_ok("member1", id, "uphold");
	cs_expect(id, "protocol-drafting");
	/* A protocol that says "dismissed" after an "uphold" vote. */
	doc = protocol(3, (const char *[]){ "against", "against", "for" },
	    "<decision>dismissed</decision>");
	memset(&ev, 0, sizeof(ev));
	ev.doc_xml = doc;
	cs_fire(&chair, "chair", id, "draft-protocol", &ev, &r);
	ck_assert_msg(cs_refused(&r, 422, "guard-failed",
	    "protocol-states-the-vote", "seed 001 L881-L882"), "%s", r.body);
	tresp_free(&r);
	free(doc);
	/* A protocol that leaves a member out. */
	doc = protocol(2, votes, "<decision>points-added</decision>");
	ev.doc_xml = doc;
	cs_fire(&chair, "chair", id, "draft-protocol", &ev, &r);
	ck_assert_msg(cs_refused(&r, 422, "guard-failed",
	    "protocol-lists-the-commission", NULL), "%s", r.body);
	tresp_free(&r);
	free(doc);
	cs_expect(id, "protocol-drafting");
	/* Another appeal: the applicant does not attend. */
	id = filed_appeal(&app, "<kind>admission</kind>");
	form_commission(id, 3, "dean");
	cs_fire_ok(&chair, "chair", id, "open-hearing", NULL);
	cs_fire_ok(&chair, "chair", id, "applicant-absent", NULL);
	cs_expect(id, "not-considered");
}
END_TEST

/* The hearing within one day of filing; the final protocol the day after
 * the session of a final-attestation appeal.  Both fire from the timer. */
START_TEST(t_hearing_and_final_protocol_deadlines)
{
	struct tclient	app, chair;
	int64_t		late, fa;
	qj_time		due;

	kit_login_as(&app, "applicant");
	kit_login_as(&chair, "chair");
	late = filed_appeal(&app, "<kind>admission</kind>");
	fa = filed_appeal(&app, "<kind>final-attestation</kind>");
	form_commission(fa, 3, "dean");
	cs_fire_ok(&chair, "chair", fa, "open-hearing", NULL);
	cs_expect(fa, "hearing");
	/* The admission appeal has no final-protocol clock. */
	ck_assert_int_eq(cs_due(late, "final-protocol-by"), 0);
	due = cs_due(fa, "final-protocol-by");
	ck_assert_int_eq(due, cs_expected_due("1 calendar-days", cs_now()));
	ck_assert_int_eq(cs_due(late, "hearing-by"), due);
	/* A minute before: nothing. */
	cs_set_now(due - 60);
	ck_assert(!cs_wait_deadline(late, "hearing-by", 1));
	ck_assert_int_eq(cs_audit_count(late, "hearing-overdue"), 0);
	/* Past due: both marked, once, the cases stay where they were. */
	cs_set_now(due + 60);
	ck_assert(cs_wait_deadline(late, "hearing-by", 10));
	ck_assert(cs_wait_deadline(fa, "final-protocol-by", 10));
	ck_assert_int_eq(cs_audit_count(late, "hearing-overdue"), 1);
	ck_assert_int_eq(cs_audit_count(fa, "final-protocol-overdue"), 1);
	cs_expect(late, "filed");
	cs_expect(fa, "hearing");
}
END_TEST

static Suite *
appeal_suite(void)
{
	Suite	*s = suite_create("appeal");
	TCase	*tc = tcase_create("api");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, t_appeal_end_to_end);
	tcase_add_test(tc, t_filing_deadline);
	tcase_add_test(tc, t_grounds_and_addressee);
	tcase_add_test(tc, t_vote_tie_and_missing_member);
	tcase_add_test(tc, t_final_attestation_needs_no_order);
	tcase_add_test(tc, t_examiner_cannot_sit);
	tcase_add_test(tc, t_hearing_rules);
	tcase_add_test(tc, t_hearing_and_final_protocol_deadlines);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	harness_start();
	sr = srunner_create(appeal_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	failed += harness_stop();
	return (failed == 0 ? 0 : 1);
}
