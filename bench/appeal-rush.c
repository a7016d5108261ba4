/*
 * appeal-rush.c: the appeal day (SPEC 6: thousands of filings, all due by
 * 13:00) through the real HTTP API; bench/appeal-rush runs it.
 *
 * Set-up (not timed): ON_TIME + LATE + STRAGGLERS applicants are seeded
 * in one transaction — person, applicant grant at the faculty, a bearer
 * token — and each gets its own ECDSA P-256 key and an NCA-RK-shaped
 * certificate for its IIN, issued by the development CA's intermediate
 * (certs/dev/ca), so every signature verified is a distinct signer's.
 * The results were published yesterday (in the injected clock) at 18:00
 * Asia/Almaty; the clock is set to 12:50 on the appeal day.
 *
 * Rush (timed): CLIENTS threads file the ON_TIME appeals — for each, open
 * the case with the appeal application (POST /api/cases), phase one of
 * signing (POST .../signing), sign locally, phase two with the
 * transition (POST .../transitions); every POST carries an
 * Idempotency-Key, and every tenth filing is sent twice (a client that
 * lost the answer retries).  STRAGGLERS prepare their signature too, but
 * complete only after 13:00.
 *
 * After 13:00 (the clock moved past it): the STRAGGLERS complete, and LATE
 * applicants open and file; every one must be refused with the rule cited.
 *
 * Proof, from the database: every acknowledged filing (200) is exactly
 * one filed case of its applicant, with one "file" audit event and one
 * origin signature, and the retried ones changed nothing; every refused
 * filing left its case in draft with no "file" event or signature.
 *
 *	build/bench/appeal-rush CLIENTS ON_TIME LATE STRAGGLERS
 */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "core/buf.h"
#include "core/calendar.h"
#include "core/codec.h"
#include "core/iin.h"
#include "tests/lib/casekit.h"
#include "tests/lib/flowkit.h"
#include "tests/lib/harness.h"
#include "tests/lib/http.h"

#define ALMATY	(5 * 3600)

enum { K_OPEN, K_PREPARE, K_FILE, K_RETRY, K_FILING, K_NKINDS };
static const char *const kind_name[K_NKINDS] = { "open", "signing",
    "transition", "retry", "filing (3 requests)" };

struct applicant {
	char		 iin[13];
	char		 token[48];	/* the secret after "qjt_" */
	EVP_PKEY	*key;
	char		*cert_pem;
	int64_t		 case_id;
	long		 status;	/* of the filing */
	char		 slug[48];	/* of a refusal */
	int		 retried;
	long		 retry_status;
	char		 prepare_id[80];
	int		 version;
	char		 sig[256];	/* base64 of the signature value */
};

static struct applicant	*A;
static int		 clients = 32, on_time = 2000, late = 200, stragglers = 100;
static qj_time		 published;
static char		*app_template;

/* Latencies in microseconds, per kind. */
static pthread_mutex_t	 lat_lock = PTHREAD_MUTEX_INITIALIZER;
static double		*lat[K_NKINDS];
static int		 nlat[K_NKINDS];

static double
now_s(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

static void
record(int kind, double seconds)
{
	pthread_mutex_lock(&lat_lock);
	lat[kind][nlat[kind]++] = seconds * 1e6;
	pthread_mutex_unlock(&lat_lock);
}

static int
cmp_double(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return (x < y ? -1 : x > y);
}

static void
report(int kind)
{
	int	n = nlat[kind];

	if (n == 0)
		return;
	qsort(lat[kind], (size_t)n, sizeof(double), cmp_double);
	printf("  %-20s n=%5d  p50 %7.1f ms  p99 %7.1f ms  max %7.1f ms\n",
	    kind_name[kind], n, lat[kind][n / 2] / 1000,
	    lat[kind][(n * 99) / 100] / 1000, lat[kind][n - 1] / 1000);
}

/* ---- applicants, keys, certificates ---------------------------------------- */

static EVP_PKEY	*ca_key;
static X509	*ca_cert, *tmpl;

static void *
read_pem(const char *path, int key)
{
	FILE	*f = fopen(path, "r");
	void	*p;

	ck_assert_msg(f != NULL, "cannot read %s (make certs)", path);
	p = key ? (void *)PEM_read_PrivateKey(f, NULL, NULL, NULL) :
	    (void *)PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	ck_assert_ptr_nonnull(p);
	return (p);
}

/* An IIN: born 1999-01-01, male, serial n, with its check digit. */
static int
make_iin(int n, char out[13])
{
	int	c;

	snprintf(out, 13, "9901013%04d", n % 10000);
	if ((c = qj_id_check_digit(out)) < 0)
		return (-1);
	out[11] = (char)('0' + c);
	out[12] = '\0';
	return (0);
}

/* The applicant's certificate: the demo applicant's, re-keyed for IIN. */
static void
make_cert(struct applicant *a)
{
	X509_NAME	*name;
	X509		*c;
	ASN1_INTEGER	*serial;
	BIGNUM		*bn;
	BIO		*bio;
	char		 ser[32], *data;
	long		 len;
	int		 loc;

	a->key = EVP_EC_gen("P-256");
	ck_assert_ptr_nonnull(a->key);
	c = X509_dup(tmpl);
	bn = BN_new();
	BN_rand(bn, 120, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY);
	serial = BN_to_ASN1_INTEGER(bn, NULL);
	X509_set_serialNumber(c, serial);
	ASN1_INTEGER_free(serial);
	BN_free(bn);
	name = X509_NAME_dup(X509_get_subject_name(tmpl));
	loc = X509_NAME_get_index_by_NID(name, NID_serialNumber, -1);
	ck_assert_int_ge(loc, 0);
	X509_NAME_ENTRY_free(X509_NAME_delete_entry(name, loc));
	snprintf(ser, sizeof(ser), "IIN%s", a->iin);
	X509_NAME_add_entry_by_NID(name, NID_serialNumber, MBSTRING_ASC,
	    (unsigned char *)ser, -1, loc, 0);
	X509_set_subject_name(c, name);
	X509_NAME_free(name);
	if ((loc = X509_get_ext_by_NID(c, NID_subject_key_identifier, -1)) >=
	    0)
		X509_EXTENSION_free(X509_delete_ext(c, loc));
	X509_set_pubkey(c, a->key);
	ck_assert_int_gt(X509_sign(c, ca_key, EVP_sha256()), 0);
	bio = BIO_new(BIO_s_mem());
	PEM_write_bio_X509(bio, c);
	len = BIO_get_mem_data(bio, &data);
	a->cert_pem = malloc((size_t)len + 1);
	memcpy(a->cert_pem, data, (size_t)len);
	a->cert_pem[len] = '\0';
	BIO_free(bio);
	X509_free(c);
}

struct range {
	int	from, to;
};

static void *
certs_thread(void *arg)
{
	struct range	*r = arg;
	int		 i;

	for (i = r->from; i < r->to; i++)
		make_cert(&A[i]);
	return (NULL);
}

/* People, grants, tokens: one multi-row statement each. */
static void
seed(int n)
{
	struct qj_buf	 sql = QJ_BUF_INIT;
	unsigned char	 rnd[43];
	char		 hash[65];
	int		 i, s = 0;
	size_t		 k;
	static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
	    "qrstuvwxyz0123456789-_";

	for (i = 0; i < n; i++) {
		while (make_iin(s, A[i].iin) != 0)
			s++;
		s++;
		RAND_bytes(rnd, sizeof(rnd));
		for (k = 0; k < sizeof(rnd); k++)
			A[i].token[k] = b64url[rnd[k] % 64];
		A[i].token[sizeof(rnd)] = '\0';
	}
	qj_buf_puts(&sql, "BEGIN; INSERT INTO person (iin, login, name_kk, "
	    "name_ru, name_en, home_unit_id) VALUES ");
	for (i = 0; i < n; i++)
		qj_buf_printf(&sql, "%s('%s', 'rush%05d', 'Өтініш беруші %d', "
		    "'Заявитель %d', 'Applicant %d', (SELECT id FROM unit WHERE "
		    "code = 'fpe'))", i ? "," : "", A[i].iin, i, i, i, i);
	qj_buf_puts(&sql, "; INSERT INTO role_grant (person_id, role, "
	    "unit_id) SELECT id, 'applicant', home_unit_id FROM person WHERE "
	    "login LIKE 'rush%'; INSERT INTO api_token (person_id, name, "
	    "token_hash, created_by, created_at) VALUES ");
	for (i = 0; i < n; i++) {
		qj_sha256_hex(A[i].token, strlen(A[i].token), hash);
		qj_buf_printf(&sql, "%s((SELECT id FROM person WHERE iin = '%s'), "
		    "'rush', '%s', (SELECT id FROM person WHERE login = "
		    "'admin'), now())", i ? "," : "", A[i].iin, hash);
	}
	qj_buf_puts(&sql, "; COMMIT; ANALYZE person; ANALYZE api_token;");
	db_run(sql.data);
	qj_buf_free(&sql);
}

/*
 * Sets the injected clock to `t`.  The main thread's kept-alive connection
 * has been idle through the rush; Kore answers 408 on an idle connection,
 * so a first 408 is retried on a new one.
 */
static void
set_clock(qj_time t)
{
	struct tresp	r;
	char		body[64];
	long		st = 0;
	int		i;

	snprintf(body, sizeof(body), "{\"offset_seconds\":%lld}",
	    (long long)(t - (qj_time)time(NULL)));
	for (i = 0; i < 3 && st != 200; i++) {
		st = t_json(NULL, "PUT", "/api/test/clock", body, &r);
		tresp_free(&r);
	}
	ck_assert_msg(st == 200, "PUT /api/test/clock: %ld", st);
}

/* ---- one filing ----------------------------------------------------------- */

static void
client_of(struct applicant *a, struct tclient *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->bearer, sizeof(c->bearer), "qjt_%s", a->token);
}

static long
post(struct tclient *c, const char *path, json_t *o, const char *key,
    struct tresp *r, int kind)
{
	char		 hdr[96], *s = json_dumps(o, JSON_COMPACT);
	const char	*extra[] = { hdr, NULL };
	double		 t0 = now_s();
	long		 st;

	json_decref(o);
	snprintf(hdr, sizeof(hdr), "Idempotency-Key: %s", key);
	st = t_req(c, "POST", path, s, strlen(s), NULL, key ? extra : NULL, r);
	record(kind, now_s() - t0);
	free(s);
	return (st);
}

static char *
application(const struct applicant *a)
{
	char	*s = strdup(app_template);

	return (cs_replace(s, "000229600321", a->iin));
}

/* Opens the case; 0 on success. */
static int
open_case(struct applicant *a, struct tclient *c, int idx)
{
	struct tresp	 r;
	char		*doc = application(a), key[48];

	snprintf(key, sizeof(key), "open-%d", idx);
	post(c, "/api/cases", json_pack("{s:s, s:s}", "workflow", "appeal",
	    "document_xml", doc), key, &r, K_OPEN);
	free(doc);
	a->case_id = r.status == 201 ? t_int(&r, "id") : 0;
	if (r.status != 201)
		fprintf(stderr, "open %s: %ld %s\n", a->iin, r.status, r.body);
	tresp_free(&r);
	return (a->case_id != 0 ? 0 : -1);
}

/* Phase one and the local signature; 0 when there is something to send,
 * -1 with a->status/slug set when the server refused. */
static int
prepare(struct applicant *a, struct tclient *c)
{
	struct qj_buf	 tbs = QJ_BUF_INIT, b64 = QJ_BUF_INIT;
	struct tresp	 r;
	unsigned char	 sig[256];
	size_t		 siglen = sizeof(sig);
	EVP_MD_CTX	*md;
	char		 path[96];

	snprintf(path, sizeof(path), "/api/cases/%lld/signing",
	    (long long)a->case_id);
	post(c, path, json_pack("{s:s, s:s}", "event", "file", "certificate",
	    a->cert_pem), NULL, &r, K_PREPARE);
	if (r.status != 201) {
		a->status = r.status;
		snprintf(a->slug, sizeof(a->slug), "%s", t_str(&r, "field"));
		tresp_free(&r);
		return (-1);
	}
	snprintf(a->prepare_id, sizeof(a->prepare_id), "%s",
	    t_str(&r, "prepare_id"));
	a->version = (int)t_int(&r, "case_version");
	ck_assert_int_eq(qj_base64_decode(t_str(&r, "to_sign"),
	    strlen(t_str(&r, "to_sign")), &tbs), QJ_OK);
	tresp_free(&r);
	md = EVP_MD_CTX_new();
	ck_assert_int_eq(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL,
	    a->key), 1);
	ck_assert_int_eq(EVP_DigestSign(md, sig, &siglen,
	    (unsigned char *)tbs.data, tbs.len), 1);
	EVP_MD_CTX_free(md);
	ck_assert_int_eq(qj_base64_encode(sig, siglen, &b64), QJ_OK);
	snprintf(a->sig, sizeof(a->sig), "%s", b64.data);
	qj_buf_free(&tbs);
	qj_buf_free(&b64);
	return (0);
}

static long
complete(struct applicant *a, struct tclient *c, int idx, int kind,
    struct tresp *r)
{
	char	path[96], key[48];

	snprintf(path, sizeof(path), "/api/cases/%lld/transitions",
	    (long long)a->case_id);
	snprintf(key, sizeof(key), "file-%d", idx);
	return (post(c, path, json_pack("{s:s, s:i, s:s, s:s}", "event",
	    "file", "version", a->version, "prepare_id", a->prepare_id,
	    "signature_value", a->sig), key, r, kind));
}

/* The whole filing of applicant idx. */
static void
file_one(int idx)
{
	struct applicant	*a = &A[idx];
	struct tclient		 c;
	struct tresp		 r, again;
	double			 t0 = now_s();

	client_of(a, &c);
	if (open_case(a, &c, idx) != 0 || prepare(a, &c) != 0)
		return;
	complete(a, &c, idx, K_FILE, &r);
	a->status = r.status;
	if (r.status != 200)
		snprintf(a->slug, sizeof(a->slug), "%s", t_str(&r, "field"));
	else
		record(K_FILING, now_s() - t0);
	/* A client that lost the answer sends the same request again. */
	if (idx % 10 == 0) {
		complete(a, &c, idx, K_RETRY, &again);
		a->retried = 1;
		a->retry_status = again.status;
		if (again.status != r.status || strcmp(again.body, r.body) != 0)
			a->retry_status = -again.status;
		tresp_free(&again);
	}
	tresp_free(&r);
}

struct work {
	int		 next, end;
	pthread_mutex_t	 lock;
	int		 stage;		/* 0 file, 1 prepare only, 2 complete */
};

static void *
worker(void *arg)
{
	struct work	*w = arg;
	struct tclient	 c;
	struct tresp	 r;
	int		 i;

	for (;;) {
		pthread_mutex_lock(&w->lock);
		i = w->next < w->end ? w->next++ : -1;
		pthread_mutex_unlock(&w->lock);
		if (i < 0)
			break;
		if (w->stage == 0) {
			file_one(i);
			continue;
		}
		client_of(&A[i], &c);
		if (w->stage == 1) {
			if (open_case(&A[i], &c, i) == 0 &&
			    prepare(&A[i], &c) != 0)
				A[i].version = -1;
			continue;
		}
		if (A[i].version < 0)
			continue;
		complete(&A[i], &c, i, K_FILE, &r);
		A[i].status = r.status;
		snprintf(A[i].slug, sizeof(A[i].slug), "%s", t_str(&r,
		    "field"));
		tresp_free(&r);
	}
	return (NULL);
}

static void
run(int from, int to, int stage)
{
	struct work	 w;
	pthread_t	*th = calloc((size_t)clients, sizeof(*th));
	int		 i;

	w.next = from;
	w.end = to;
	w.stage = stage;
	pthread_mutex_init(&w.lock, NULL);
	for (i = 0; i < clients; i++)
		pthread_create(&th[i], NULL, worker, &w);
	for (i = 0; i < clients; i++)
		pthread_join(th[i], NULL);
	pthread_mutex_destroy(&w.lock);
	free(th);
}

/* ---- the proof ---------------------------------------------------------------- */

static long long
count_for(const char *fmt, int64_t case_id)
{
	char	q[512];

	snprintf(q, sizeof(q), fmt, (long long)case_id);
	return (db_int(q));
}

START_TEST(rush)
{
	int		 n = on_time + late + stragglers, i, ack = 0, refused = 0;
	int		 late_ok = 0, late_refused = 0, retries_ok = 0, other = 0;
	int		 dup = 0, bad_ack = 0, bad_ref = 0;
	struct range	 rg[8];
	pthread_t	 th[8];
	double		 t0, t_rush;
	char		 d[11], when[32], whenl[48];
	int		 y, m, dd;

	A = calloc((size_t)n, sizeof(*A));
	for (i = 0; i < K_NKINDS; i++)
		lat[i] = calloc((size_t)n * 2 + 16, sizeof(double));
	/* Results published yesterday 18:00 (in the injected clock). */
	cs_date((qj_time)time(NULL), 1, d);
	sscanf(d, "%d-%d-%d", &y, &m, &dd);
	published = cs_local(y, m, dd, 18, 0, 0);
	ck_assert_int_eq(qj_rfc3339_format(published, 300, when), QJ_OK);
	snprintf(whenl, sizeof(whenl), "%s", when);
	app_template = cs_sample("appeal-application.valid.xml",
	    (const char *[]){ "2025-08-12T18:00:00+05:00", whenl, NULL });
	t0 = now_s();
	ca_key = read_pem("certs/dev/ca/intermediate.key", 1);
	ca_cert = read_pem("certs/dev/ca/intermediate.pem", 0);
	tmpl = read_pem("certs/dev/users/applicant-ec.pem", 0);
	seed(n);
	for (i = 0; i < 8; i++) {
		rg[i].from = n * i / 8;
		rg[i].to = n * (i + 1) / 8;
		pthread_create(&th[i], NULL, certs_thread, &rg[i]);
	}
	for (i = 0; i < 8; i++)
		pthread_join(th[i], NULL);
	printf("seeded %d applicants with keys and certificates in %.1f s\n",
	    n, now_s() - t0);
	/* 12:50 Almaty on the appeal day. */
	set_clock(published + 19 * 3600 - 600);
	printf("clock: 12:50 on the day after the results (published %s)\n",
	    when);
	fflush(stdout);
	/* The rush, and the stragglers' preparations. */
	t0 = now_s();
	run(0, on_time, 0);
	t_rush = now_s() - t0;
	run(on_time, on_time + stragglers, 1);
	printf("rush: %d filings by %d clients in %.1f s: %.1f filings/s, "
	    "%.1f requests/s\n", on_time, clients, t_rush, on_time / t_rush,
	    (nlat[K_OPEN] + nlat[K_PREPARE] + nlat[K_FILE] + nlat[K_RETRY]) /
	    t_rush);
	for (i = 0; i < K_NKINDS; i++)
		report(i);
	/* 13:00:01: the stragglers complete, the latecomers file. */
	set_clock(published + 19 * 3600 + 1);
	run(on_time, on_time + stragglers, 2);
	run(on_time + stragglers, n, 0);
	/* The proof. */
	for (i = 0; i < n; i++) {
		struct applicant *a = &A[i];
		long long files, sigs, cases;
		char q[256];

		snprintf(q, sizeof(q), "SELECT count(*) FROM wf_case WHERE "
		    "workflow = 'appeal' AND applicant_id = (SELECT id FROM "
		    "person WHERE iin = '%s')", a->iin);
		cases = db_int(q);
		dup += cases != 1;
		files = count_for("SELECT count(*) FROM audit_event WHERE "
		    "case_id = %lld AND action = 'file'", a->case_id);
		sigs = count_for("SELECT count(*) FROM signature WHERE case_id "
		    "= %lld AND event = 'file'", a->case_id);
		if (i < on_time) {
			if (a->status == 200) {
				ack++;
				bad_ack += files != 1 || sigs != 1 ||
				    count_for("SELECT count(*) FROM wf_case "
				    "WHERE id = %lld AND state = 'filed'",
				    a->case_id) != 1;
			} else if (a->status == 422) {
				refused++;
				bad_ref += files != 0 || sigs != 0;
			} else
				other++;
			if (a->retried)
				retries_ok += a->retry_status == a->status;
			continue;
		}
		if (a->status == 200)
			late_ok++;
		else if (a->status == 422 && strcmp(a->slug,
		    "filed-by-13-next-day") == 0) {
			late_refused++;
			bad_ref += files != 0 || sigs != 0 || count_for(
			    "SELECT count(*) FROM wf_case WHERE id = %lld AND "
			    "state = 'draft'", a->case_id) != 1;
		} else
			other++;
	}
	printf("before 13:00: %d acknowledged, %d refused (%d retries "
	    "answered identically of %d)\n", ack, refused, retries_ok,
	    (on_time + 9) / 10);
	printf("after 13:00: %d stragglers and latecomers refused with "
	    "filed-by-13-next-day (seed 001 L884-L886), %d accepted\n",
	    late_refused, late_ok);
	printf("database: %lld appeals filed, %lld 'file' audit events, "
	    "%lld filing signatures; applicants with other than one case: %d; "
	    "acknowledged filings not stored exactly once: %d; refused "
	    "filings that left a trace: %d; other answers: %d\n",
	    (long long)db_int("SELECT count(*) FROM wf_case WHERE workflow = "
	    "'appeal' AND state = 'filed'"),
	    (long long)db_int("SELECT count(*) FROM audit_event WHERE action = "
	    "'file'"), (long long)db_int("SELECT count(*) FROM signature WHERE "
	    "event = 'file'"), dup, bad_ack, bad_ref, other);
	ck_assert_int_eq(dup, 0);
	ck_assert_int_eq(bad_ack, 0);
	ck_assert_int_eq(bad_ref, 0);
	ck_assert_int_eq(late_ok, 0);
	ck_assert_int_eq(other, 0);
	ck_assert_int_eq(late_refused, late + stragglers);
	ck_assert_int_eq(retries_ok, (on_time + 9) / 10);
	ck_assert_int_eq(db_int("SELECT count(*) FROM wf_case WHERE workflow "
	    "= 'appeal' AND state = 'filed'"), ack);
	ck_assert_int_eq(db_int("SELECT count(*) FROM audit_event WHERE action "
	    "= 'file'"), ack);
	printf("PROOF: every acknowledged filing stored exactly once, every "
	    "filing after 13:00 refused\n");
	for (i = 0; i < n; i++) {
		EVP_PKEY_free(A[i].key);
		free(A[i].cert_pem);
	}
	for (i = 0; i < K_NKINDS; i++)
		free(lat[i]);
	free(A);
	free(app_template);
	EVP_PKEY_free(ca_key);
	X509_free(ca_cert);
	X509_free(tmpl);
}
END_TEST

int
main(int argc, char **argv)
{
	Suite	*s = suite_create("bench");
	TCase	*tc = tcase_create("appeal-rush");
	SRunner	*sr;
	int	 failed;

	if (argc > 1)
		clients = atoi(argv[1]);
	if (argc > 2)
		on_time = atoi(argv[2]);
	if (argc > 3)
		late = atoi(argv[3]);
	if (argc > 4)
		stragglers = atoi(argv[4]);
	tcase_set_timeout(tc, 7200);
	tcase_add_test(tc, rush);
	suite_add_tcase(s, tc);
	harness_start();
	sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_SILENT);
	failed = srunner_ntests_failed(sr);
	if (failed)
		srunner_print(sr, CK_VERBOSE);
	srunner_free(sr);
	failed += harness_stop();
	return (failed ? 1 : 0);
}
