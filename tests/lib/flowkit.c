/*
 * flowkit.c: see flowkit.h.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tests/lib/flowkit.h"
#include "tests/lib/harness.h"
#include "tests/lib/signer.h"

#define APPLICANT_IIN	KIT_APPLICANT_IIN

void
kit_login_as(struct tclient *c, const char *login)
{
	ck_assert_int_eq(t_login(c, login, demo_password(login)), 201);
}

void
kit_set_clock(long long offset)
{
	struct tresp	r;
	char		body[64];

	snprintf(body, sizeof(body), "{\"offset_seconds\":%lld}", offset);
	ck_assert_int_eq(t_json(NULL, "PUT", "/api/test/clock", body, &r), 200);
	tresp_free(&r);
}

/* Uploads a small PDF; returns its SHA-256 in out. */
void
kit_upload_pdf(struct tclient *c, const char *tag, char out[65])
{
	struct tresp	r;
	char		body[256];
	int		n;

	n = snprintf(body, sizeof(body), "%%PDF-1.4\n%% %s\n1 0 obj <<>> "
	    "endobj\ntrailer <<>>\n%%%%EOF\n", tag);
	ck_assert_int_eq(t_req(c, "POST", "/api/attachments?name=scan.pdf",
	    body, (size_t)n, "application/pdf", NULL, &r), 201);
	snprintf(out, 65, "%s", t_str(&r, "sha256"));
	ck_assert_str_eq(t_str(&r, "media_type"), "application/pdf");
	tresp_free(&r);
}

/* The application as JSON, with the ground and dates given. */
char *
kit_leave_application(const char *ground, const char *start, const char *end,
    const char *child_birth, const char *evidence_sha, const char *kind)
{
	json_t	*o;
	char	*s;

	o = json_pack("{s:s, s:{s:s, s:{s:s}}, s:{s:s, s:{s:s, s:s}}, "
	    "s:{s:s, s:{s:s}}, s:i, s:s, s:s, s:s, s:[{s:s, s:s, s:s, s:s, "
	    "s:s}], s:s, s:s, s:s}",
	    "version", "1.0",
	    "addressee", "role", "head-of-university", "organisation", "kk",
	    "Qujat демо медицина университеті",
	    "applicant", "iin", APPLICANT_IIN, "fullName", "kk",
	    "Нұрланова Айгерім Серікқызы", "en", "Aigerim Nurlanova",
	    "programme", "code", "7R01114", "name", "kk",
	    "Кардиология (ересектер, балалар)",
	    "yearOfStudy", 2,
	    "ground", ground,
	    "requestedStartDate", start,
	    "requestedEndDate", end,
	    "evidence", "sha256", evidence_sha, "kind", kind, "description",
	    "ДКК қорытындысы", "mediaType", "application/pdf", "fileName",
	    "scan.pdf",
	    "statement", "Академиялық демалыс беруіңізді сұраймын.",
	    "language", "kk",
	    "date", "2026-11-23");
	if (child_birth != NULL)
		json_object_set_new(o, "childBirthDate",
		    json_string(child_birth));
	s = json_dumps(o, 0);
	json_decref(o);
	return (s);
}

/* Opens a leave case as the applicant; returns its id. */
int64_t
kit_open_leave(struct tclient *app, const char *ground, const char *start,
    const char *end)
{
	struct tresp	 r;
	char		 sha[65], *doc, *body;
	int64_t		 id;

	kit_upload_pdf(app, ground, sha);
	doc = kit_leave_application(ground, start, end, NULL, sha, ground[0] == 't' ?
	    "central-dkk-decision" : "dkk-conclusion");
	body = malloc(strlen(doc) + 64);
	sprintf(body, "{\"workflow\":\"academic-leave\",\"document\":%s}", doc);
	t_json(app, "POST", "/api/cases", body, &r);
	ck_assert_msg(r.status == 201, "open: %ld %s", r.status, r.body);
	id = t_int(&r, "id");
	ck_assert_str_eq(t_str(&r, "state"), "draft");
	tresp_free(&r);
	free(doc);
	free(body);
	return (id);
}

void
kit_expect_state(struct tclient *c, int64_t id, const char *state)
{
	char	s[64];

	ck_assert_str_eq(t_case_state(c, id, s, sizeof(s)), state);
}

void
kit_fire_ok(struct tclient *c, const char *login, int64_t id, const char *event,
    const char *extra)
{
	struct tresp	r;

	t_fire(c, login, "rsa", id, event, extra, &r);
	ck_assert_msg(r.status == 200, "%s by %s on %lld: %ld %s", event,
	    login, (long long)id, r.status, r.body);
	tresp_free(&r);
}

/* Takes a leave case from draft to awaiting-order. */
void
kit_approve_leave(struct tclient *app, struct tclient *dean, struct tclient *reg,
    int64_t id)
{
	kit_fire_ok(app, "applicant", id, "submit", "");
	kit_fire_ok(dean, "dean", id, "approve", "");
	kit_fire_ok(reg, "registrar", id, "confirm-record",
	    "\"data\":{\"funding-basis\":\"state-order\"}");
	kit_expect_state(reg, id, "awaiting-order");
}

int64_t
kit_draft_order(struct tclient *reg, const int64_t *ids, int n)
{
	struct tresp	r;
	char		body[4096], list[1024] = "";
	int		i;
	int64_t		id;

	for (i = 0; i < n; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list),
		    "%s%lld", i ? "," : "", (long long)ids[i]);
	snprintf(body, sizeof(body), "{\"series\":\"student\",\"case_ids\":"
	    "[%s],\"language\":\"kk\",\"title\":{\"kk\":\"Академиялық "
	    "демалыс туралы\",\"ru\":\"Об академическом отпуске\"},"
	    "\"preamble\":{\"text\":{\"kk\":\"ДКК қорытындысы негізінде "
	    "БҰЙЫРАМЫН:\"},\"legalBasis\":[{\"act\":{\"kk\":\"Резидентурада "
	    "оқу қағидалары, 4.4\"},\"citation\":\"seed 000 L1023-L1049\"}]},"
	    "\"signatory\":{\"fullName\":{\"surname\":\"Шоқанов\","
	    "\"givenName\":\"Марат\",\"patronymic\":\"Ерланұлы\"},\"iin\":"
	    "\"680224310005\",\"role\":\"rector\",\"position\":{\"kk\":"
	    "\"Басқарма төрағасы – Ректор\"}}}", list);
	t_json(reg, "POST", "/api/orders", body, &r);
	ck_assert_msg(r.status == 201, "order: %ld %s", r.status, r.body);
	id = t_int(&r, "id");
	ck_assert_str_eq(t_str(&r, "workflow"), "order");
	tresp_free(&r);
	return (id);
}

/* Visas and signature: the order from draft to registered. */
void
kit_sign_order(int64_t order)
{
	struct tclient	reg, legal, dean, vr, rector;

	kit_login_as(&reg, "registrar");
	kit_login_as(&legal, "legal");
	kit_login_as(&dean, "dean");
	kit_login_as(&vr, "vicerector");
	kit_login_as(&rector, "rector");
	kit_fire_ok(&reg, "registrar", order, "send-for-approval", "");
	kit_fire_ok(&legal, "legal", order, "endorse", "");
	kit_fire_ok(&dean, "dean", order, "endorse", "");
	kit_expect_state(&reg, order, "approval");
	kit_fire_ok(&vr, "vicerector", order, "endorse", "");
	kit_expect_state(&reg, order, "signing");
	kit_fire_ok(&rector, "rector", order, "sign", "");
	kit_expect_state(&reg, order, "registered");
}

char *
kit_return_application(const char *cert_sha)
{
	json_t	*o = json_pack("{s:s, s:{s:s, s:{s:s}}, s:{s:s, s:{s:s}}, "
	    "s:{s:s, s:{s:s}}, s:i, s:{s:s, s:s}, s:s, s:s, s:{s:{s:s, s:s, "
	    "s:s, s:s, s:s}}, s:s, s:s, s:s}",
	    "version", "1.0",
	    "addressee", "role", "head-of-university", "organisation", "kk",
	    "Qujat демо медицина университеті",
	    "applicant", "iin", APPLICANT_IIN, "fullName", "kk",
	    "Нұрланова Айгерім Серікқызы",
	    "programme", "code", "7R01114", "name", "kk", "Кардиология",
	    "yearOfStudy", 2,
	    "leaveOrder", "number", "1", "date", "2026-11-23",
	    "leaveGround", "medical",
	    "requestedReturnDate", "2027-06-01",
	    "evidence", "dkkHealthCertificate", "sha256", cert_sha, "kind",
	    "dkk-health-certificate", "description", "ДКК анықтамасы",
	    "mediaType", "application/pdf", "fileName", "scan.pdf",
	    "statement", "Оқуға оралуға рұқсат сұраймын.",
	    "language", "kk",
	    "date", "2027-05-20");
	char	*s = json_dumps(o, 0);

	json_decref(o);
	return (s);
}

/* Takes a new case to on-leave, ending on `end`. */
int64_t
kit_case_on_leave(const char *end)
{
	struct tclient	app, dean, reg;
	int64_t		id, order;

	kit_login_as(&app, "applicant");
	kit_login_as(&dean, "dean");
	kit_login_as(&reg, "registrar");
	id = kit_open_leave(&app, "medical", "2026-12-01", end);
	kit_approve_leave(&app, &dean, &reg, id);
	order = kit_draft_order(&reg, &id, 1);
	kit_sign_order(order);
	kit_expect_state(&app, id, "on-leave");
	return (id);
}

/* Offset that puts the injected clock `delta` seconds after `due`. */
long long
kit_offset_after(const char *due_sql, long long delta)
{
	return (db_int(due_sql) - (long long)time(NULL) + delta);
}

int
kit_wait_state(int64_t id, const char *state, int seconds)
{
	char	q[160];
	int	i;

	snprintf(q, sizeof(q), "SELECT count(*) FROM wf_case WHERE id = %lld "
	    "AND state = '%s'", (long long)id, state);
	for (i = 0; i < seconds * 10; i++) {
		if (db_int(q) == 1)
			return (1);
		usleep(100 * 1000);
	}
	return (0);
}
