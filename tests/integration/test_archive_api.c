/*
 * test_archive_api.c: the auditor's archive API through the real server —
 * who may use it (401, 403 by role and by unit scope), search by IIN, name,
 * case type, dates and order number (and that each shape is an index
 * scan), download, verification by the server of a stored or uploaded
 * package, the audit record of every access, legal holds with their
 * history, and disposition: refused before the retention period ends and
 * while a hold is active, then a signed act (two-phase, or a complete XAdES
 * signature made elsewhere) after which the package is gone for good.
 */
#include <sys/wait.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "core/archive.h"
#include "core/codec.h"
#include "core/xades.h"
#include "tests/lib/flowkit.h"
#include "tests/lib/harness.h"
#include "tests/lib/http.h"
#include "tests/lib/signer.h"

static int64_t	A;		/* a withdrawn leave case, sealed */
static int64_t	ORDER;		/* a leave order in force, sealed */
static int	ORDER_NO;	/* its registration number */

static int64_t
q1(const char *fmt, long long a)
{
	char	sql[512];

	snprintf(sql, sizeof(sql), fmt, a);
	return (db_int(sql));
}

static int
wait_sealed(int64_t id)
{
	int	i;

	for (i = 0; i < 150; i++) {
		if (q1("SELECT count(*) FROM archive WHERE case_id = %lld",
		    (long long)id) == 1)
			return (1);
		usleep(100 * 1000);
	}
	return (0);
}

static int64_t
withdrawn_case(struct tclient *app)
{
	struct tresp	r;
	char		body[96], path[96];
	int64_t		id;

	id = kit_open_leave(app, "medical", "2026-12-01", "2027-03-01");
	kit_fire_ok(app, "applicant", id, "submit", "");
	snprintf(path, sizeof(path), "/api/cases/%lld/transitions",
	    (long long)id);
	snprintf(body, sizeof(body), "{\"event\":\"withdraw\",\"version\":%d}",
	    t_case_version(app, id));
	ck_assert_int_eq(t_json(app, "POST", path, body, &r), 200);
	tresp_free(&r);
	ck_assert_msg(wait_sealed(id), "case %lld not sealed", (long long)id);
	return (id);
}

static int64_t
accesses(const char *action)
{
	char	sql[256];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM audit_event WHERE "
	    "stream = 'system' AND action = '%s' AND actor_login = 'auditor'",
	    action);
	return (db_int(sql));
}

/* GET path as `c`; the status, response kept in r. */
static long
get(struct tclient *c, const char *fmt, long long a, struct tresp *r)
{
	char	path[512];

	snprintf(path, sizeof(path), fmt, a);
	return (t_json(c, "GET", path, NULL, r));
}

/* 1 when the search answer lists case `id`. */
static int
lists(const struct tresp *r, int64_t id)
{
	json_t	*items = json_object_get(r->json, "items");
	size_t	 i;

	for (i = 0; i < json_array_size(items); i++)
		if (json_integer_value(json_object_get(json_array_get(items, i),
		    "case_id")) == id)
			return (1);
	return (0);
}

static void
fixtures(void)
{
	struct tclient	app;

	kit_set_clock(0);
	kit_login_as(&app, "applicant");
	A = withdrawn_case(&app);
	{
		struct tclient	 app2;
		int64_t		 leave = kit_case_on_leave("2027-05-31");

		ORDER = q1("SELECT from_case FROM case_link WHERE to_case = "
		    "%lld", (long long)leave);
		ORDER_NO = (int)q1("SELECT reg_number FROM wf_case WHERE id = "
		    "%lld", (long long)ORDER);
		kit_login_as(&app2, "applicant");
		kit_fire_ok(&app2, "applicant", ORDER, "acknowledge", "");
		ck_assert_msg(wait_sealed(ORDER), "order not sealed");
	}
}

START_TEST(t_roles_and_scope)
{
	struct tclient	anon, reg, dean, aud;
	struct tresp	r;
	char		path[96];

	memset(&anon, 0, sizeof(anon));
	fixtures();
	ck_assert_int_eq(get(&anon, "/api/archive?limit=%lld", 5, &r), 401);
	tresp_free(&r);
	kit_login_as(&reg, "registrar");
	ck_assert_int_eq(get(&reg, "/api/archive?limit=%lld", 5, &r), 403);
	ck_assert(t_is_problem(&r, 403, "forbidden-role"));
	tresp_free(&r);
	ck_assert_int_eq(get(&reg, "/api/archive/%lld", A, &r), 403);
	tresp_free(&r);
	ck_assert_int_eq(get(&reg, "/api/archive/%lld/package", A, &r), 403);
	tresp_free(&r);
	ck_assert_int_eq(t_req(&reg, "POST", "/api/archive/verify", "PK", 2,
	    "application/zip", NULL, &r), 403);
	tresp_free(&r);
	snprintf(path, sizeof(path), "/api/archive/%lld/holds", (long long)A);
	ck_assert_int_eq(t_json(&reg, "POST", path, "{\"reason\":\"x\"}", &r),
	    403);
	tresp_free(&r);
	/* An auditor of another unit: the case is out of scope. */
	db_run("INSERT INTO role_grant (person_id, role, unit_id) SELECT p.id, "
	    "'auditor', u.id FROM person p, unit u WHERE p.login = 'dean' AND "
	    "u.code = 'legal'");
	kit_login_as(&dean, "dean");
	ck_assert_int_eq(get(&dean, "/api/archive/%lld", A, &r), 403);
	ck_assert(t_is_problem(&r, 403, "out-of-scope"));
	tresp_free(&r);
	ck_assert_int_eq(get(&dean, "/api/archive/%lld/package", A, &r), 403);
	tresp_free(&r);
	ck_assert_int_eq(t_json(&dean, "POST", path, "{\"reason\":\"x\"}", &r),
	    403);
	tresp_free(&r);
	ck_assert_int_eq(get(&dean, "/api/archive?workflow=academic-leave&"
	    "limit=%lld", 200, &r), 200);
	ck_assert(!lists(&r, A));
	tresp_free(&r);
	/* The university's auditor sees it; an unknown case is 404. */
	kit_login_as(&aud, "auditor");
	ck_assert_int_eq(get(&aud, "/api/archive/%lld", A, &r), 200);
	ck_assert_str_eq(t_str(&r, "workflow"), "academic-leave");
	ck_assert_int_eq(json_array_size(json_object_get(r.json, "holds")), 0);
	ck_assert(json_is_null(json_object_get(r.json, "disposition")));
	tresp_free(&r);
	ck_assert_int_eq(get(&aud, "/api/archive/%lld", 999999, &r), 404);
	ck_assert(t_is_problem(&r, 404, "not-archived"));
	tresp_free(&r);
}
END_TEST

/* The plan of a search statement uses `index`. */
static void
uses_index(const char *where, const char *index)
{
	char		 sql[1024];
	PGresult	*res;
	int		 i, hit = 0;

	db_run("SET enable_seqscan = off");
	snprintf(sql, sizeof(sql), "EXPLAIN SELECT a.case_id FROM archive a "
	    "WHERE %s ORDER BY a.closed_at DESC, a.case_id DESC LIMIT 50",
	    where);
	res = PQexec(qj_db_conn(harness_db()), sql);
	ck_assert_int_eq(PQresultStatus(res), PGRES_TUPLES_OK);
	for (i = 0; i < PQntuples(res); i++)
		hit |= strstr(PQgetvalue(res, i, 0), index) != NULL;
	PQclear(res);
	db_run("RESET enable_seqscan");
	ck_assert_msg(hit, "no %s in the plan of %s", index, where);
}

START_TEST(t_search)
{
	struct tclient	aud;
	struct tresp	r, r2;
	char		path[256], today[16], tomorrow[16], next[64];
	time_t		t = time(NULL);
	int64_t		before = accesses("archive.search");

	kit_login_as(&aud, "auditor");
	ck_assert_int_eq(get(&aud, "/api/archive?iin=980412410006&limit=%lld",
	    200, &r), 200);
	ck_assert(lists(&r, A));
	ck_assert(!lists(&r, ORDER));
	tresp_free(&r);
	/* Part of a name, in any case and script. */
	ck_assert_int_eq(get(&aud, "/api/archive?name=%%D0%%BD%%D2%%B1%%D1%%80"
	    "%%D0%%BB%%D0%%B0%%D0%%BD&limit=%lld", 200, &r), 200);
	ck_assert_msg(lists(&r, A), "%s", r.body);
	tresp_free(&r);
	ck_assert_int_eq(get(&aud, "/api/archive?name=nurlanova&limit=%lld",
	    200, &r), 200);
	ck_assert(lists(&r, A));
	tresp_free(&r);
	ck_assert_int_eq(get(&aud, "/api/archive?workflow=order&limit=%lld",
	    200, &r), 200);
	ck_assert(lists(&r, ORDER));
	ck_assert(!lists(&r, A));
	tresp_free(&r);
	/* Dates: closed today, not tomorrow. */
	strftime(today, sizeof(today), "%Y-%m-%d", gmtime(&t));
	t += 86400;
	strftime(tomorrow, sizeof(tomorrow), "%Y-%m-%d", gmtime(&t));
	snprintf(path, sizeof(path), "/api/archive?from=%s&to=%s&limit=200",
	    today, today);
	ck_assert_int_eq(t_json(&aud, "GET", path, NULL, &r), 200);
	ck_assert(lists(&r, A) && lists(&r, ORDER));
	tresp_free(&r);
	snprintf(path, sizeof(path), "/api/archive?from=%s&limit=200", tomorrow);
	ck_assert_int_eq(t_json(&aud, "GET", path, NULL, &r), 200);
	ck_assert(!lists(&r, A));
	tresp_free(&r);
	/* The order by its number (and series). */
	snprintf(path, sizeof(path), "/api/archive?order=%d&series=student",
	    ORDER_NO);
	ck_assert_int_eq(t_json(&aud, "GET", path, NULL, &r), 200);
	ck_assert(lists(&r, ORDER));
	ck_assert(!lists(&r, A));
	tresp_free(&r);
	/* Pages: one at a time, with a cursor. */
	ck_assert_int_eq(get(&aud, "/api/archive?limit=%lld", 1, &r), 200);
	ck_assert_int_eq(json_array_size(json_object_get(r.json, "items")), 1);
	snprintf(next, sizeof(next), "%s", t_str(&r, "next_cursor"));
	ck_assert(next[0] != '\0');
	snprintf(path, sizeof(path), "/api/archive?limit=1&cursor=%s", next);
	ck_assert_int_eq(t_json(&aud, "GET", path, NULL, &r2), 200);
	ck_assert_int_eq(json_array_size(json_object_get(r2.json, "items")), 1);
	ck_assert_int_ne(json_integer_value(json_object_get(json_array_get(
	    json_object_get(r.json, "items"), 0), "case_id")),
	    json_integer_value(json_object_get(json_array_get(
	    json_object_get(r2.json, "items"), 0), "case_id")));
	tresp_free(&r);
	tresp_free(&r2);
	/* Bad parameters: 400 naming the field, nothing recorded. */
	ck_assert_int_eq(get(&aud, "/api/archive?iin=%lld", 123, &r), 400);
	ck_assert_str_eq(t_str(&r, "field"), "iin");
	tresp_free(&r);
	ck_assert_int_eq(t_json(&aud, "GET", "/api/archive?from=2026-13-01",
	    NULL, &r), 400);
	ck_assert_str_eq(t_str(&r, "field"), "from");
	tresp_free(&r);
	ck_assert_int_eq(t_json(&aud, "GET", "/api/archive?name=ab", NULL, &r),
	    400);
	tresp_free(&r);
	ck_assert_int_eq(t_json(&aud, "GET", "/api/archive?series=student",
	    NULL, &r), 400);
	tresp_free(&r);
	ck_assert_int_eq(t_json(&aud, "GET", "/api/archive?color=red", NULL,
	    &r), 400);
	tresp_free(&r);
	/* Every search that answered was recorded. */
	ck_assert_int_eq(accesses("archive.search"), before + 9);
	ck_assert_int_eq(db_int("SELECT count(*) FROM audit_event WHERE stream "
	    "= 'system' AND action = 'archive.search' AND detail->'filters'->>"
	    "'iin' = '980412410006'"), 1);
	/* Each query shape is an index scan. */
	uses_index("a.applicant_iin = '980412410006'", "archive_iin");
	uses_index("lower(a.applicant_name) LIKE '%nurlanova%'",
	    "archive_name");
	uses_index("a.workflow = 'order'", "archive_workflow");
	uses_index("a.closed_at >= now() - interval '1 day'", "archive_closed");
	{
		PGresult	*res;
		int		 i, hit = 0;

		db_run("SET enable_seqscan = off");
		res = PQexec(qj_db_conn(harness_db()), "EXPLAIN SELECT o.id "
		    "FROM wf_case o WHERE o.reg_number = 1");
		for (i = 0; i < PQntuples(res); i++)
			hit |= strstr(PQgetvalue(res, i, 0),
			    "wf_case_reg_number") != NULL;
		PQclear(res);
		db_run("RESET enable_seqscan");
		ck_assert(hit);
	}
}
END_TEST

static void
save(const char *path, const void *data, size_t len)
{
	FILE	*f = fopen(path, "wb");

	ck_assert(f != NULL);
	ck_assert(fwrite(data, 1, len, f) == len);
	fclose(f);
}

START_TEST(t_download_and_verify)
{
	struct tclient	 aud;
	struct tresp	 r;
	struct qj_buf	 bad = QJ_BUF_INIT;
	char		 sha[65], hdr[128], path[400], cmd[700];
	int64_t		 dl = accesses("archive.download");
	int64_t		 ver = accesses("archive.verify");
	const char	*p;
	size_t		 i;

	kit_login_as(&aud, "auditor");
	ck_assert_int_eq(get(&aud, "/api/archive/%lld/package", A, &r), 200);
	ck_assert_ptr_nonnull(t_header(&r, "content-type", hdr, sizeof(hdr)));
	ck_assert_str_eq(hdr, QJ_ARC_MIMETYPE);
	qj_sha256_hex(r.body, r.len, sha);
	ck_assert_str_eq(t_header(&r, "x-content-sha256", hdr, sizeof(hdr)),
	    sha);
	{
		char sql[256];

		snprintf(sql, sizeof(sql), "SELECT count(*) FROM archive WHERE "
		    "case_id = %lld AND sha256 = '%s'", (long long)A, sha);
		ck_assert_int_eq(db_int(sql), 1);
	}
	ck_assert_int_eq(accesses("archive.download"), dl + 1);
	/* The downloaded bytes verify offline ... */
	snprintf(path, sizeof(path), "%s/dl.zip", H.root);
	save(path, r.body, r.len);
	snprintf(cmd, sizeof(cmd), "bin/qujat verify-archive %s --trust "
	    "certs/dev/trust/root.pem >/dev/null", path);
	ck_assert_int_eq(system(cmd), 0);
	/* ... and by the server, uploaded. */
	qj_buf_append(&bad, r.body, r.len);
	tresp_free(&r);
	ck_assert_int_eq(t_req(&aud, "POST", "/api/archive/verify", bad.data,
	    bad.len, "application/vnd.etsi.asic-e+zip", NULL, &r), 200);
	ck_assert_msg(json_is_true(json_object_get(r.json, "valid")), "%s",
	    r.body);
	ck_assert_int_eq(t_int(&r, "case_id"), A);
	ck_assert(json_is_true(json_object_get(json_object_get(r.json, "seal"),
	    "valid")));
	tresp_free(&r);
	/* One byte of the attachment (stored, not deflated, so the byte
	 * can be found in the ZIP) changed. */
	p = NULL;
	for (i = 0; i + 5 < bad.len; i++)
		if (memcmp(bad.data + i, "%PDF-", 5) == 0) {
			p = bad.data + i;
			break;
		}
	ck_assert_ptr_nonnull(p);
	bad.data[p - bad.data + 20] ^= 0x01;
	ck_assert_int_eq(t_req(&aud, "POST", "/api/archive/verify", bad.data,
	    bad.len, "application/zip", NULL, &r), 200);
	ck_assert(json_is_false(json_object_get(r.json, "valid")));
	ck_assert_ptr_nonnull(strstr(r.body, "attachments/"));
	tresp_free(&r);
	/* Not a ZIP at all: a verdict, not an error. */
	ck_assert_int_eq(t_req(&aud, "POST", "/api/archive/verify", "hello", 5,
	    "application/zip", NULL, &r), 200);
	ck_assert(json_is_false(json_object_get(r.json, "valid")));
	ck_assert_ptr_nonnull(strstr(r.body, "\"zip\""));
	tresp_free(&r);
	/* The stored package, verified where it lies. */
	ck_assert_int_eq(get(&aud, "/api/archive/%lld/verify", ORDER, &r), 200);
	ck_assert_msg(json_is_true(json_object_get(r.json, "valid")), "%s",
	    r.body);
	tresp_free(&r);
	ck_assert_int_eq(accesses("archive.verify"), ver + 4);
	ck_assert_int_eq(accesses("archive.read") >= 1, 1);
	qj_buf_free(&bad);
}
END_TEST

/* Phase one of disposition; the status; prepare id and bytes kept. */
static long
dispose_prepare(struct tclient *c, const char *login, int64_t id,
    struct tresp *r)
{
	char	path[96], *body;
	json_t	*o;
	long	st;

	o = json_pack("{s:s, s:s}", "certificate", t_cert_pem(login, "rsa"),
	    "reason", "Сақтау мерзімі өтті / retention period over");
	body = json_dumps(o, 0);
	json_decref(o);
	snprintf(path, sizeof(path), "/api/archive/%lld/disposition/signing",
	    (long long)id);
	st = t_json(c, "POST", path, body, r);
	free(body);
	return (st);
}

static long
dispose_two_phase(struct tclient *c, const char *login, int64_t id,
    struct tresp *out)
{
	struct tresp	 r;
	struct qj_buf	 tbs = QJ_BUF_INIT;
	char		 sig[2048], body[4096], path[96];
	long		 st;

	if ((st = dispose_prepare(c, login, id, &r)) != 201) {
		*out = r;
		return (st);
	}
	ck_assert(qj_base64_decode(t_str(&r, "to_sign"), strlen(t_str(&r,
	    "to_sign")), &tbs) == QJ_OK);
	ck_assert_int_eq(t_sign_bytes(login, "rsa", (unsigned char *)tbs.data,
	    tbs.len, sig, sizeof(sig)), 0);
	snprintf(body, sizeof(body), "{\"prepare_id\":\"%s\","
	    "\"signature_value\":\"%s\"}", t_str(&r, "prepare_id"), sig);
	tresp_free(&r);
	qj_buf_free(&tbs);
	snprintf(path, sizeof(path), "/api/archive/%lld/disposition",
	    (long long)id);
	return (t_json(c, "POST", path, body, out));
}

static void
set_clock_to(const char *day)
{
	struct tm	tm;
	time_t		t;

	memset(&tm, 0, sizeof(tm));
	strptime(day, "%Y-%m-%d", &tm);
	tm.tm_hour = 12;
	t = timegm(&tm);
	kit_set_clock((long long)(t - time(NULL)));
}

/* A complete XAdES over the act, made with the auditor's key here. */
static void
external_signature(const struct tresp *prep, struct qj_buf *out)
{
	struct qj_sig_prepared	 p;
	struct qj_buf		 doc = QJ_BUF_INIT, xml = QJ_BUF_INIT;
	struct qj_diag		 d;
	EVP_MD_CTX		*mc = EVP_MD_CTX_new();
	unsigned char		 sig[1024];
	size_t			 len = sizeof(sig);
	EVP_PKEY		*k;
	X509			*x;
	BIO			*b;
	time_t			 when = time(NULL);

	ck_assert(qj_base64_decode(t_str(prep, "document"), strlen(t_str(prep,
	    "document")), &doc) == QJ_OK);
	b = BIO_new_file("certs/dev/users/auditor-rsa.key", "r");
	k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	BIO_free(b);
	b = BIO_new_file("certs/dev/users/auditor-rsa.pem", "r");
	x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	ck_assert(k != NULL && x != NULL);
	ck_assert_msg(qj_xades_prepare(doc.data, doc.len, t_str(prep,
	    "document_uri"), x, QJ_COMMIT_ORIGIN, "auditor", when, &p, &d) ==
	    QJ_OK, "%s", d.detail);
	ck_assert(EVP_DigestSignInit(mc, NULL, EVP_sha256(), NULL, k) == 1);
	ck_assert(EVP_DigestSign(mc, sig, &len, p.tbs, p.tbs_len) == 1);
	ck_assert(qj_xades_assemble(p.skeleton, p.skeleton_len, sig, len, &xml,
	    &d) == QJ_OK);
	ck_assert(qj_base64_encode(xml.data, xml.len, out) == QJ_OK);
	qj_sig_prepared_free(&p);
	EVP_MD_CTX_free(mc);
	EVP_PKEY_free(k);
	X509_free(x);
	qj_buf_free(&doc);
	qj_buf_free(&xml);
}

START_TEST(t_hold_retention_and_disposition)
{
	struct tclient	 app, aud;
	struct tresp	 r;
	struct qj_buf	 ext = QJ_BUF_INIT, body = QJ_BUF_INIT;
	char		 path[160], file[400], next_jan[16];
	int64_t		 b, c, hold;
	PGresult	*res;
	time_t		 t = time(NULL);
	struct tm	 tm;

	kit_set_clock(0);
	kit_login_as(&app, "applicant");
	kit_login_as(&aud, "auditor");
	/* Two cases sealed while every period is 0 years: kept until the
	 * 1 January after they closed. */
	db_run("CREATE TEMP TABLE saved_rules AS SELECT * FROM retention_rule");
	db_run("UPDATE retention_rule SET years = 0");
	b = withdrawn_case(&app);
	c = withdrawn_case(&app);
	db_run("UPDATE retention_rule r SET years = s.years FROM saved_rules s "
	    "WHERE s.doc_type = r.doc_type");
	gmtime_r(&t, &tm);
	snprintf(next_jan, sizeof(next_jan), "%04d-01-01", tm.tm_year + 1901);
	ck_assert_int_eq(q1("SELECT count(*) FROM archive WHERE case_id = %lld "
	    "AND retention_years = 0 AND retain_until = (date_trunc('year', "
	    "now()) + interval '1 year')::date", (long long)b), 1);
	ck_assert_int_eq(q1("SELECT count(*) FROM archive WHERE case_id = %lld "
	    "AND retention_years = 75", (long long)A), 1);
	/* Before the period ends: refused, naming the rule. */
	ck_assert_int_eq(dispose_prepare(&aud, "auditor", b, &r), 422);
	ck_assert(t_is_problem(&r, 422, "retention-not-over"));
	ck_assert_ptr_nonnull(strstr(r.body, next_jan));
	tresp_free(&r);
	/* A year on (sessions expired meanwhile: log in again). */
	set_clock_to(next_jan);
	kit_login_as(&aud, "auditor");
	ck_assert_int_eq(dispose_prepare(&aud, "auditor", A, &r), 422);
	tresp_free(&r);
	/* A hold: reason required; then disposal is refused. */
	snprintf(path, sizeof(path), "/api/archive/%lld/holds", (long long)b);
	ck_assert_int_eq(t_json(&aud, "POST", path, "{}", &r), 400);
	tresp_free(&r);
	{
		/* A retried hold (same Idempotency-Key) is one hold. */
		static const char *const key[] = { "Idempotency-Key: hold-1",
		    NULL };
		const char *b1 = "{\"reason\":\"Сот ісі № 2-123 / court "
		    "case\"}";

		ck_assert_int_eq(t_req(&aud, "POST", path, b1, strlen(b1),
		    NULL, key, &r), 201);
		hold = t_int(&r, "hold_id");
		tresp_free(&r);
		ck_assert_int_eq(t_req(&aud, "POST", path, b1, strlen(b1),
		    NULL, key, &r), 201);
		ck_assert_int_eq(t_int(&r, "hold_id"), hold);
		tresp_free(&r);
		ck_assert_int_eq(q1("SELECT count(*) FROM legal_hold WHERE "
		    "case_id = %lld", (long long)b), 1);
	}
	ck_assert_int_eq(dispose_prepare(&aud, "auditor", b, &r), 409);
	ck_assert(t_is_problem(&r, 409, "legal-hold"));
	tresp_free(&r);
	/* The database refuses an act on a held package whatever the API. */
	res = PQexec(qj_db_conn(harness_db()), "INSERT INTO disposition_act "
	    "(case_id, act_sha256, signature, signature_sha256, signer_id, "
	    "cert_sha256, signing_time, package_sha256, recorded_at) SELECT "
	    "a.case_id, (SELECT sha256 FROM document LIMIT 1), '\\x00', "
	    "repeat('a', 64), 1, repeat('b', 64), now(), a.sha256, now() + "
	    "interval '2 years' FROM archive a WHERE a.case_id = (SELECT "
	    "case_id FROM legal_hold WHERE lifted_at IS NULL LIMIT 1)");
	ck_assert_int_ne(PQresultStatus(res), PGRES_COMMAND_OK);
	ck_assert_ptr_nonnull(strstr(PQresultErrorMessage(res), "legal hold"));
	PQclear(res);
	/* Lift it (the history stays). */
	snprintf(path, sizeof(path), "/api/archive/%lld/holds/%lld/lift",
	    (long long)b, (long long)hold);
	ck_assert_int_eq(t_json(&aud, "POST", path, "{\"reason\":\"the case "
	    "is closed\"}", &r), 200);
	tresp_free(&r);
	ck_assert_int_eq(t_json(&aud, "POST", path, "{\"reason\":\"again\"}",
	    &r), 404);
	tresp_free(&r);
	ck_assert_int_eq(get(&aud, "/api/archive/%lld", b, &r), 200);
	ck_assert_int_eq(json_array_size(json_object_get(r.json, "holds")), 1);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(
	    json_object_get(r.json, "holds"), 0), "lifted_by")), "auditor");
	tresp_free(&r);
	/* Someone else's certificate cannot sign the act. */
	ck_assert_int_eq(dispose_prepare(&aud, "registrar", b, &r), 422);
	ck_assert(t_is_problem(&r, 422, "sig-signer"));
	tresp_free(&r);
	/* The signed act: the package goes. */
	snprintf(file, sizeof(file), "%s/archive/case-%lld.zip", H.root,
	    (long long)b);
	ck_assert_int_eq(access(file, F_OK), 0);
	ck_assert_int_eq(dispose_two_phase(&aud, "auditor", b, &r), 200);
	ck_assert_msg(r.status == 200, "%s", r.body);
	tresp_free(&r);
	ck_assert_int_ne(access(file, F_OK), 0);
	ck_assert_int_eq(q1("SELECT count(*) FROM archive WHERE case_id = %lld "
	    "AND disposed_at IS NOT NULL", (long long)b), 1);
	ck_assert_int_eq(q1("SELECT count(*) FROM disposition_act a JOIN "
	    "document d ON d.sha256 = a.act_sha256 WHERE a.case_id = %lld AND "
	    "d.form = 'disposition-act' AND convert_from(d.bytes, 'UTF8') LIKE "
	    "'%%retention period over%%'", (long long)b), 1);
	ck_assert_int_eq(q1("SELECT count(*) FROM audit_event WHERE stream = "
	    "'case:%lld' AND action IN ('archive.hold.set', 'archive.hold.lift', "
	    "'archive.dispose')", (long long)b), 3);
	/* Gone for good: no download, no second act, no hold. */
	ck_assert_int_eq(get(&aud, "/api/archive/%lld/package", b, &r), 404);
	ck_assert(t_is_problem(&r, 404, "disposed"));
	tresp_free(&r);
	ck_assert_int_eq(dispose_prepare(&aud, "auditor", b, &r), 409);
	tresp_free(&r);
	snprintf(path, sizeof(path), "/api/archive/%lld/holds", (long long)b);
	ck_assert_int_eq(t_json(&aud, "POST", path, "{\"reason\":\"late\"}",
	    &r), 409);
	tresp_free(&r);
	ck_assert_int_eq(get(&aud, "/api/archive/%lld", b, &r), 200);
	ck_assert(!json_is_null(json_object_get(r.json, "disposition")));
	tresp_free(&r);
	/* A complete signature made elsewhere over the prepared act. */
	ck_assert_int_eq(dispose_prepare(&aud, "auditor", c, &r), 201);
	external_signature(&r, &ext);
	qj_buf_printf(&body, "{\"prepare_id\":\"%s\",\"signature_xml\":\"%s\"}",
	    t_str(&r, "prepare_id"), ext.data);
	tresp_free(&r);
	snprintf(path, sizeof(path), "/api/archive/%lld/disposition",
	    (long long)c);
	ck_assert_int_eq(t_json(&aud, "POST", path, body.data, &r), 200);
	tresp_free(&r);
	/* The prepared act is used once. */
	ck_assert_int_eq(t_json(&aud, "POST", path, body.data, &r), 409);
	tresp_free(&r);
	ck_assert_int_eq(q1("SELECT count(*) FROM archive WHERE case_id = %lld "
	    "AND disposed_at IS NOT NULL", (long long)c), 1);
	kit_set_clock(0);
	qj_buf_free(&ext);
	qj_buf_free(&body);
}
END_TEST

static int
shell(const char *cmd)
{
	int	st = system(cmd);

	return (WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

/*
 * qujat export: every package not disposed of, copied intact, with a
 * SHA256SUMS that sha256sum accepts; again, nothing changes; a package
 * whose bytes are not the recorded ones is refused, named, not copied; a
 * different file already in the way is never overwritten.
 */
START_TEST(t_export)
{
	char		cmd[8192], out[400], copy[400];
	long long	live = db_int("SELECT count(*) FROM archive WHERE "
			    "disposed_at IS NULL");
	long long	gone = db_int("SELECT count(*) FROM archive WHERE "
			    "disposed_at IS NOT NULL");

	ck_assert_int_ge(live, 2);
	snprintf(out, sizeof(out), "%s/export", H.root);
	ck_assert_int_eq(shell("bin/qujat export >/dev/null 2>&1"), 2);
	snprintf(cmd, sizeof(cmd), "bin/qujat export --dir %s --archive-dir "
	    "%s/archive --db '%s' >/dev/null", out, H.root, H.dsn);
	ck_assert_int_eq(shell(cmd), 0);
	snprintf(cmd, sizeof(cmd), "cd %s && sha256sum --quiet -c SHA256SUMS "
	    "&& test $(ls case-*.zip | wc -l) -eq %lld && test $(wc -l < "
	    "SHA256SUMS) -eq %lld", out, live, live);
	ck_assert_int_eq(shell(cmd), 0);
	/* Disposed of (by the test before): not exported. */
	ck_assert_int_ge(gone, 1);
	snprintf(cmd, sizeof(cmd), "! test -e %s/case-%lld.zip", out,
	    (long long)db_int("SELECT min(case_id) FROM archive WHERE "
	    "disposed_at IS NOT NULL"));
	ck_assert_int_eq(shell(cmd), 0);
	snprintf(cmd, sizeof(cmd), "bin/qujat export --dir %s --archive-dir "
	    "%s/archive --db '%s' >/dev/null", out, H.root, H.dsn);
	ck_assert_int_eq(shell(cmd), 0);
	/* A changed byte in the source: refused and named. */
	snprintf(copy, sizeof(copy), "%s/archive-copy", H.root);
	snprintf(cmd, sizeof(cmd), "rm -rf %s %s/x && cp -r %s/archive %s && "
	    "printf 'X' | dd of=%s/case-%lld.zip bs=1 seek=100 conv=notrunc "
	    "2>/dev/null", copy, H.root, H.root, copy, copy, (long long)A);
	ck_assert_int_eq(shell(cmd), 0);
	snprintf(cmd, sizeof(cmd), "bin/qujat export --dir %s/x --archive-dir "
	    "%s --db '%s' 2>%s/x.err >/dev/null", H.root, copy, H.dsn, H.root);
	ck_assert_int_eq(shell(cmd), 1);
	snprintf(cmd, sizeof(cmd), "grep -q 'case %lld: .*not exported' %s/x.err "
	    "&& ! test -e %s/x/case-%lld.zip && ! ls %s/x/*.tmp >/dev/null "
	    "2>&1", (long long)A, H.root, H.root, (long long)A, H.root);
	ck_assert_int_eq(shell(cmd), 0);
	/* Something else in the way is left alone. */
	snprintf(cmd, sizeof(cmd), "cp %s/archive/case-%lld.zip %s/x/ && "
	    "printf 'Y' | dd of=%s/x/case-%lld.zip bs=1 seek=100 conv=notrunc "
	    "2>/dev/null && bin/qujat export --dir %s/x --archive-dir "
	    "%s/archive --db '%s' 2>%s/x.err >/dev/null; test $? -eq 1 && "
	    "grep -q 'not overwritten' %s/x.err && printf 'Y' | cmp -s - "
	    "%s/x/case-%lld.zip -i 0:100 -n 1", H.root, (long long)A, H.root,
	    H.root, (long long)A, H.root, H.root, H.dsn, H.root, H.root, H.root,
	    (long long)A);
	ck_assert_int_eq(shell(cmd), 0);
}
END_TEST

static Suite *
api_suite(void)
{
	Suite	*s = suite_create("archive-api");
	TCase	*tc = tcase_create("api");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, t_roles_and_scope);
	tcase_add_test(tc, t_search);
	tcase_add_test(tc, t_download_and_verify);
	tcase_add_test(tc, t_hold_retention_and_disposition);
	tcase_add_test(tc, t_export);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	harness_start();
	qj_sig_init();
	sr = srunner_create(api_suite());
	/* One process: the tests share the cases they make, in order. */
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	failed += harness_stop();
	return (failed == 0 ? 0 : 1);
}
