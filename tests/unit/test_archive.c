/*
 * test_archive.c: sealed case packages without a database — the ZIP layer
 * (app/core/archive_zip.c), the package (archive_pkg.c, archive_case.c)
 * and the offline verifier (archive_verify.c).
 *
 * A synthetic case with real signatures (the development users' keys
 * through two-phase signing), an attachment and a chained audit stream is
 * packaged and sealed with certs/dev/seal; the package must verify, pass
 * unzip -t, sha256sum -c and xmlsec1 --verify on every signature file; and
 * every kind of tampering (one byte of any file, a removed or added file,
 * a deleted or edited audit event, a foreign anchor) must fail verification
 * with a finding that names the file or event.  Run from the repository
 * root after `make certs`.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "core/archive.h"
#include "core/archive_case.h"
#include "core/audit.h"
#include "core/codec.h"
#include "core/trust.h"
#include "core/xades.h"
#include "tests/lib/sigvec.h"

#define CERTS		"certs/dev"
#define CASE_ID		7

static struct qj_arc_sealer	S;
static char			 scratch[64] = "/tmp/qj-arc-unit-XXXXXX";

/* --- a synthetic case -------------------------------------------------------- */

struct fixture {
	struct qj_arc_case	 c;
	struct qj_arc_doc	 docs[2];
	struct qj_arc_sig	 sigs[2];
	struct qj_arc_att	 att;
	struct qj_arc_deadline	 dl;
	struct qj_buf		 sig1, sig2, jsonl, pdf;
	char			 sha1[65], sha2[65], shaatt[65], shawf[65];
	char			 sigsha1[65], sigsha2[65], head[65];
	char			 cert1[65], cert2[65], when1[32], when2[32];
};

static const char DOC1[] = "<application xmlns=\"urn:qujat:form:academic-"
    "leave-application:1\" version=\"1.0\"><ground>medical</ground>"
    "</application>";
static const char DOC2[] = "<decision xmlns=\"urn:qujat:form:decision:1\" "
    "version=\"1.0\"><outcome>approve</outcome></decision>";
static const char WF[] = "<workflow id=\"academic-leave\" version=\"1\"/>\n";

static EVP_PKEY *
load_key(const char *path)
{
	EVP_PKEY	*k;
	BIO		*b = BIO_new_file(path, "r");

	ck_assert_msg(b != NULL, "%s", path);
	k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	BIO_free(b);
	ck_assert(k != NULL);
	return (k);
}

static X509 *
load_cert(const char *path)
{
	X509	*x;
	BIO	*b = BIO_new_file(path, "r");

	ck_assert_msg(b != NULL, "%s", path);
	x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	ck_assert(x != NULL);
	return (x);
}

/* A detached XAdES signature by `login` over doc at documents/<sha>.xml. */
static void
sign_doc(const char *login, const char *doc, const char *sha,
    enum qj_commitment cm, time_t when, struct qj_buf *out, char cert_hex[65])
{
	struct qj_sig_prepared	 p;
	struct qj_signer	 who;
	struct qj_diag		 d;
	EVP_MD_CTX		*mc = EVP_MD_CTX_new();
	unsigned char		 sig[1024];
	size_t			 len = sizeof(sig);
	char			 path[256], uri[96];
	EVP_PKEY		*k;
	X509			*x;

	snprintf(path, sizeof(path), CERTS "/users/%s-rsa.key", login);
	k = load_key(path);
	snprintf(path, sizeof(path), CERTS "/users/%s-rsa.pem", login);
	x = load_cert(path);
	snprintf(uri, sizeof(uri), "documents/%s.xml", sha);
	ck_assert_msg(qj_xades_prepare(doc, strlen(doc), uri, x, cm, login,
	    when, &p, &d) == QJ_OK, "%s", d.detail);
	ck_assert(EVP_DigestSignInit(mc, NULL, EVP_sha256(), NULL, k) == 1);
	ck_assert(EVP_DigestSign(mc, sig, &len, p.tbs, p.tbs_len) == 1);
	ck_assert_msg(qj_xades_assemble(p.skeleton, p.skeleton_len, sig, len,
	    out, &d) == QJ_OK, "%s", d.detail);
	ck_assert(qj_signer_from_cert(x, &who) == QJ_OK);
	qj_hex(who.cert_sha256, 32, cert_hex);
	qj_sig_prepared_free(&p);
	EVP_MD_CTX_free(mc);
	EVP_PKEY_free(k);
	X509_free(x);
}

/* Appends one canonical audit line; prev becomes its hash. */
static void
add_event(struct qj_buf *jsonl, char prev[65], int64_t seq, const char *action,
    const char *actor, const char *before, const char *after,
    const char *const *docs, size_t ndocs)
{
	struct audit_event	ev;
	struct qj_diag		d;
	char			stream[AUDIT_STREAM_MAX];

	audit_stream_of_case(CASE_ID, stream);
	memset(&ev, 0, sizeof(ev));
	ev.stream = stream;
	ev.seq = seq;
	ev.at = 1795000000000000LL + seq * 1000000;
	ev.actor_id = actor != NULL ? 40 + seq : 0;
	ev.actor_login = actor;
	ev.action = action;
	ev.state_before = before;
	ev.state_after = after;
	ev.docs = docs;
	ev.ndocs = ndocs;
	ev.request_id = "req-1";
	ev.address = "127.0.0.1";
	ev.detail = "{\"note\":\"x\"}";
	ev.prev_hash = prev;
	ck_assert(audit_canonical(&ev, jsonl, &d) == QJ_OK);
	ck_assert(qj_buf_append(jsonl, "\n", 1) == QJ_OK);
	ck_assert(audit_hash(&ev, prev, &d) == QJ_OK);
}

static void
rfc3339(time_t t, char out[32])
{
	struct tm	tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* When set, the dean's signature is NCALayer's enveloped format. */
static int	fixture_ncalayer;

static void
fixture_make(struct fixture *fx)
{
	const char	*d1[1], *d2[1], *d3[2];
	time_t		 t1 = time(NULL) - 7200, t2 = time(NULL) - 3600;
	size_t		 i;

	memset(fx, 0, sizeof(*fx));
	qj_sha256_hex(DOC1, strlen(DOC1), fx->sha1);
	qj_sha256_hex(DOC2, strlen(DOC2), fx->sha2);
	qj_sha256_hex(WF, strlen(WF), fx->shawf);
	sign_doc("applicant", DOC1, fx->sha1, QJ_COMMIT_ORIGIN, t1, &fx->sig1,
	    fx->cert1);
	if (fixture_ncalayer) {
		struct qj_signer	 who;
		size_t			 len;
		char			*env = sv_make_ncalayer(DOC2,
					    "users/dean-rsa", &len);
		X509			*x = load_cert(CERTS
					    "/users/dean-rsa.pem");

		qj_buf_append(&fx->sig2, env, len);
		free(env);
		ck_assert(qj_signer_from_cert(x, &who) == QJ_OK);
		qj_hex(who.cert_sha256, 32, fx->cert2);
		X509_free(x);
	} else
		sign_doc("dean", DOC2, fx->sha2, QJ_COMMIT_APPROVAL, t2,
		    &fx->sig2, fx->cert2);
	rfc3339(t1, fx->when1);
	rfc3339(t2, fx->when2);
	qj_sha256_hex(fx->sig1.data, fx->sig1.len, fx->sigsha1);
	qj_sha256_hex(fx->sig2.data, fx->sig2.len, fx->sigsha2);
	/* A scan: a PDF header and noise. */
	qj_buf_puts(&fx->pdf, "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n");
	for (i = 0; i < 4096; i++) {
		unsigned char r[16];

		qj_random(r, sizeof(r));
		qj_buf_append(&fx->pdf, r, sizeof(r));
	}
	qj_buf_puts(&fx->pdf, "\n%%EOF\n");
	qj_sha256_hex(fx->pdf.data, fx->pdf.len, fx->shaatt);
	/* The audit stream: open, submit (signed), approve (signed). */
	memset(fx->head, '0', 64);
	d1[0] = fx->sha1;
	d2[0] = fx->sigsha1;
	d3[0] = fx->sha2;
	d3[1] = fx->sigsha2;
	add_event(&fx->jsonl, fx->head, 1, "open", "applicant", NULL, "draft",
	    d1, 1);
	add_event(&fx->jsonl, fx->head, 2, "submit", "applicant", "draft",
	    "dean-review", d2, 1);
	add_event(&fx->jsonl, fx->head, 3, "approve", "dean", "dean-review",
	    "approved", d3, 2);

	fx->docs[0] = (struct qj_arc_doc){ CASE_ID, "application", 1,
	    "academic-leave-application", fx->sha1, "2026-11-23T10:00:00Z",
	    "applicant", DOC1, strlen(DOC1) };
	fx->docs[1] = (struct qj_arc_doc){ CASE_ID, "decision", 1, "decision",
	    fx->sha2, "2026-11-23T11:00:00Z", "dean", DOC2, strlen(DOC2) };
	fx->sigs[0] = (struct qj_arc_sig){ CASE_ID, fx->sha1, "submit",
	    "origin", "applicant", "980412410006", "applicant", fx->when1,
	    fx->cert1, fx->sig1.data, fx->sig1.len };
	fx->sigs[1] = (struct qj_arc_sig){ CASE_ID, fx->sha2, "approve",
	    "approval", "dean", NULL, "dean", fx->when2, fx->cert2,
	    fx->sig2.data, fx->sig2.len };
	fx->att = (struct qj_arc_att){ fx->shaatt, "application/pdf",
	    "scan.pdf", "2026-11-23T10:00:00Z", fx->pdf.data, fx->pdf.len };
	fx->dl = (struct qj_arc_deadline){ "return-by", { "Оралу мерзімі",
	    "Срок возвращения", "Return by" }, "2027-06-01T19:00:00Z",
	    "end-of-day", "seed 000 L1107-L1109", "return-overdue",
	    "cancelled", "2026-11-23T11:00:00Z", "2026-11-23T12:00:00Z" };
	fx->c.id = CASE_ID;
	fx->c.workflow = "academic-leave";
	fx->c.wf_version = 1;
	fx->c.wf_sha256 = fx->shawf;
	fx->c.wf_source = WF;
	fx->c.wf_len = strlen(WF);
	fx->c.unit_path = "/1/2/";
	fx->c.unit_code = "fpe";
	fx->c.applicant_iin = "980412410006";
	fx->c.applicant_name = (struct qj_arc_names){ "Нұрланова Айгерім",
	    "Нурланова Айгерим", "Aigerim Nurlanova" };
	fx->c.state = "approved";
	fx->c.version = 4;
	fx->c.created_at = "2026-11-23T10:00:00Z";
	fx->c.closed_at = "2026-11-23T12:00:00Z";
	fx->c.retention_years = 75;
	fx->c.retain_until = "2102-01-01";
	fx->c.retention_rule = "academic-leave-application";
	fx->c.retention_basis = "seed 004 L4956-L4958; period INFERRED";
	fx->c.docs = fx->docs;
	fx->c.ndocs = 2;
	fx->c.sigs = fx->sigs;
	fx->c.nsigs = 2;
	fx->c.atts = &fx->att;
	fx->c.natts = 1;
	fx->c.deadlines = &fx->dl;
	fx->c.ndeadlines = 1;
	fx->c.audit_jsonl = fx->jsonl.data;
	fx->c.audit_len = fx->jsonl.len;
	fx->c.head_seq = 3;
	fx->c.head_hash = fx->head;
}

static void
fixture_free(struct fixture *fx)
{
	qj_buf_free(&fx->sig1);
	qj_buf_free(&fx->sig2);
	qj_buf_free(&fx->jsonl);
	qj_buf_free(&fx->pdf);
}

static void
package(struct fixture *fx, time_t when, struct qj_buf *zip, char sha[65])
{
	struct qj_diag	d;

	ck_assert_msg(qj_arc_case_package(&fx->c, &S, when, zip, sha, &d) ==
	    QJ_OK, "%s: %s", d.type, d.detail);
}

/* --- verification helpers ----------------------------------------------------- */

static const char *anchors_dev[] = { CERTS "/trust" };

static void
verify_with(const struct qj_buf *zip, const char *const *anchors,
    struct qj_arc_report *rep)
{
	struct qj_arc_vopts	o;
	struct qj_diag		d;

	memset(&o, 0, sizeof(o));
	o.anchors = anchors;
	o.nanchors = 1;
	o.scratch = scratch;
	ck_assert_msg(qj_arc_verify(zip->data, zip->len, &o, rep, &d) ==
	    QJ_OK, "%s", d.detail);
}

static void
verify(const struct qj_buf *zip, struct qj_arc_report *rep)
{
	verify_with(zip, anchors_dev, rep);
}

static void
print_findings(const struct qj_arc_report *r)
{
	size_t	i;

	for (i = 0; i < r->nf; i++)
		fprintf(stderr, "  %s %s: %s\n", r->f[i].check,
		    r->f[i].subject, r->f[i].detail);
}

/* 1 when a finding of `check` (NULL: any) names `subject`. */
static int
names(const struct qj_arc_report *r, const char *check, const char *subject)
{
	size_t	i;

	for (i = 0; i < r->nf; i++)
		if ((check == NULL || strcmp(r->f[i].check, check) == 0) &&
		    (strcmp(r->f[i].subject, subject) == 0 ||
		    strstr(r->f[i].detail, subject) != NULL))
			return (1);
	return (0);
}

/* Re-zips `z` in its order, mimetype stored; replacing/dropping entries. */
static void
rezip(const struct qj_zip *z, const char *drop, const char *add_name,
    const struct qj_buf *add, struct qj_buf *out)
{
	struct qj_zip_in	*in = calloc(z->n + 1, sizeof(*in));
	struct qj_diag		 d;
	size_t			 i, n = 0;

	for (i = 0; i < z->n; i++) {
		if (drop != NULL && strcmp(z->e[i].name, drop) == 0)
			continue;
		in[n].name = z->e[i].name;
		in[n].data = z->e[i].data;
		in[n].len = z->e[i].len;
		if (add_name != NULL && strcmp(add_name, z->e[i].name) == 0) {
			in[n].data = add->data;
			in[n].len = add->len;
			add_name = NULL;
		}
		in[n].deflate = strcmp(z->e[i].name, "mimetype") != 0;
		n++;
	}
	if (add_name != NULL) {
		in[n].name = add_name;
		in[n].data = add->data;
		in[n].len = add->len;
		in[n++].deflate = 1;
	}
	qj_buf_reset(out);
	ck_assert_msg(qj_zip_write(in, n, time(NULL), out, &d) == QJ_OK, "%s",
	    d.detail);
	free(in);
}

/* Recomputes SHA256SUMS as an attacker would (the seal still breaks). */
static void
fix_sums(struct qj_zip *z)
{
	struct qj_buf		 s = QJ_BUF_INIT;
	struct qj_zip_entry	*e = NULL;
	char			 hex[65];
	size_t			 i;

	for (i = 0; i < z->n; i++) {
		if (strcmp(z->e[i].name, QJ_ARC_SUMS_NAME) == 0) {
			e = &z->e[i];
			continue;
		}
		if (strcmp(z->e[i].name, QJ_ARC_SEAL_NAME) == 0)
			continue;
		qj_sha256_hex(z->e[i].data, z->e[i].len, hex);
		qj_buf_printf(&s, "%s  %s\n", hex, z->e[i].name);
	}
	ck_assert(e != NULL);
	free(e->data);
	e->data = (unsigned char *)qj_buf_release(&s, &e->len);
}

static struct qj_zip_entry *
entry(struct qj_zip *z, const char *name)
{
	size_t	i;

	for (i = 0; i < z->n; i++)
		if (strcmp(z->e[i].name, name) == 0)
			return (&z->e[i]);
	ck_abort_msg("no entry %s", name);
	return (NULL);
}

/* --- tests ------------------------------------------------------------------- */

START_TEST(package_verifies)
{
	struct fixture		 fx;
	struct qj_buf		 zip = QJ_BUF_INIT, again = QJ_BUF_INIT;
	struct qj_arc_report	 rep;
	struct qj_zip		 z;
	struct qj_diag		 d;
	char			 sha[65], sha2[65];
	time_t			 when = time(NULL) - 60;

	fixture_make(&fx);
	package(&fx, when, &zip, sha);
	verify(&zip, &rep);
	print_findings(&rep);
	ck_assert_uint_eq(rep.nf, 0);
	ck_assert_int_eq(rep.case_id, CASE_ID);
	ck_assert_str_eq(rep.state, "approved");
	ck_assert_uint_eq(rep.signatures, 2);
	ck_assert_uint_eq(rep.signatures_ok, 2);
	ck_assert_int_eq(rep.events, 3);
	ck_assert(rep.seal_ok);
	ck_assert_int_eq(rep.sealed_at, when);
	ck_assert_ptr_nonnull(strstr(rep.seal_signer, "Qujat Archive Seal"));
	ck_assert_str_eq(rep.sha256, sha);
	qj_arc_report_free(&rep);
	/* ASiC-E: mimetype first, stored, its name at offset 30. */
	ck_assert(memcmp(zip.data + 30, "mimetype" QJ_ARC_MIMETYPE, 39) == 0);
	ck_assert(qj_zip_read(zip.data, zip.len, &z, &d) == QJ_OK);
	ck_assert_str_eq(z.e[0].name, "mimetype");
	ck_assert(z.e[0].stored && !z.e[0].extra);
	ck_assert_ptr_nonnull(qj_zip_find(&z, "case.xml"));
	ck_assert_ptr_nonnull(qj_zip_find(&z, QJ_ARC_MANIFEST_NAME));
	ck_assert_ptr_nonnull(qj_zip_find(&z, "META-INF/signatures-1.xml"));
	/* Signatures files are ASiC-E: asic:XAdESSignatures around the
	 * stored signature's element, byte for byte. */
	{
		const struct qj_zip_entry *e = qj_zip_find(&z,
		    "META-INF/signatures-1.xml");
		size_t	pro, epi, hl = strlen(QJ_ASIC_FILE_HEAD);

		ck_assert(qj_asic_split(fx.sigs[0].xml, fx.sigs[0].len, &pro,
		    &epi, &d) == QJ_OK);
		ck_assert_uint_eq(e->len, hl + fx.sigs[0].len - pro - epi +
		    strlen(QJ_ASIC_FILE_TAIL));
		ck_assert(memcmp(e->data, QJ_ASIC_FILE_HEAD, hl) == 0);
		ck_assert(memcmp((const char *)e->data + hl,
		    (const char *)fx.sigs[0].xml + pro, fx.sigs[0].len - pro -
		    epi) == 0);
	}
	ck_assert_ptr_nonnull(qj_zip_find(&z, "META-INF/trust/crls/"
	    "intermediate.crl.pem"));
	ck_assert_ptr_nonnull(qj_zip_find(&z, "workflow/academic-leave-v1.xml"));
	ck_assert(qj_zip_find(&z, "attachments/" "x") == NULL);
	/* The stored bytes, unchanged; the attachment stored, not deflated. */
	{
		char name[96];

		snprintf(name, sizeof(name), "documents/%s.xml", fx.sha1);
		ck_assert_mem_eq(qj_zip_find(&z, name)->data, DOC1,
		    strlen(DOC1));
		snprintf(name, sizeof(name), "attachments/%s.pdf", fx.shaatt);
		ck_assert(qj_zip_find(&z, name)->stored);
		ck_assert_mem_eq(qj_zip_find(&z, QJ_ARC_EVENTS_NAME)->data,
		    fx.jsonl.data, fx.jsonl.len);
	}
	ck_assert_ptr_nonnull(strstr((char *)qj_zip_find(&z, "case.xml")->data,
	    "seed 000 L1107-L1109"));
	ck_assert_ptr_nonnull(strstr((char *)qj_zip_find(&z,
	    "README.txt")->data, "sha256sum -c SHA256SUMS"));
	qj_zip_free(&z);
	/* Deterministic: the same inputs and time give the same bytes. */
	package(&fx, when, &again, sha2);
	ck_assert_str_eq(sha, sha2);
	qj_buf_free(&again);
	qj_buf_free(&zip);
	fixture_free(&fx);
}
END_TEST

static int
sh(const char *fmt, const char *a, const char *b)
{
	char	cmd[2048];

	snprintf(cmd, sizeof(cmd), fmt, a, b);
	return (system(cmd));
}

/* unzip -t, sha256sum -c and xmlsec1 --verify on every signature file. */
/*
 * An NCALayer signature is the signed document itself: a data file in
 * signed/, verified as enveloped, while detached ones stay ASiC-E
 * signatures files; both tie to their audit events.
 */
START_TEST(enveloped_signature_is_a_data_file)
{
	struct fixture		 fx;
	struct qj_buf		 zip = QJ_BUF_INIT;
	struct qj_arc_report	 rep;
	struct qj_zip		 z;
	struct qj_diag		 d;
	char			 sha[65];

	fixture_ncalayer = 1;
	fixture_make(&fx);
	fixture_ncalayer = 0;
	package(&fx, time(NULL) - 60, &zip, sha);
	verify(&zip, &rep);
	print_findings(&rep);
	ck_assert_uint_eq(rep.nf, 0);
	ck_assert_uint_eq(rep.signatures_ok, 2);
	qj_arc_report_free(&rep);
	ck_assert(qj_zip_read(zip.data, zip.len, &z, &d) == QJ_OK);
	ck_assert_ptr_nonnull(qj_zip_find(&z, "META-INF/signatures-1.xml"));
	ck_assert_ptr_null(qj_zip_find(&z, "META-INF/signatures-2.xml"));
	ck_assert_ptr_nonnull(qj_zip_find(&z, "signed/signature-2.xml"));
	ck_assert_mem_eq(qj_zip_find(&z, "signed/signature-2.xml")->data,
	    fx.sig2.data, fx.sig2.len);
	qj_zip_free(&z);
	qj_buf_free(&zip);
	fixture_free(&fx);
}
END_TEST

START_TEST(standard_tools)
{
	struct fixture	 fx;
	struct qj_buf	 zip = QJ_BUF_INIT;
	char		 sha[65], dir[600], cwd[512], path[700];
	FILE		*f;

	if (system("command -v unzip xmlsec1 sha256sum >/dev/null 2>&1")) {
		fprintf(stderr, "standard_tools: a tool is missing\n");
		ck_abort();
	}
	ck_assert(getcwd(cwd, sizeof(cwd)) != NULL);
	fixture_make(&fx);
	package(&fx, time(NULL), &zip, sha);
	snprintf(dir, sizeof(dir), "%s/tools", scratch);
	mkdir(dir, 0700);
	snprintf(path, sizeof(path), "%s/p.zip", dir);
	ck_assert((f = fopen(path, "wb")) != NULL);
	ck_assert(fwrite(zip.data, 1, zip.len, f) == zip.len);
	fclose(f);
	ck_assert_int_eq(sh("cd %s && unzip -tq p.zip >/dev/null", dir, ""), 0);
	ck_assert_int_eq(sh("cd %s && unzip -q p.zip -d x && cd x && "
	    "sha256sum --quiet -c SHA256SUMS", dir, ""), 0);
	ck_assert_int_eq(sh("cd %s/x && n=0; for s in META-INF/signatures-*.xml;"
	    " do xmlsec1 --verify --trusted-pem %s/" CERTS "/trust/root.pem "
	    "--untrusted-pem META-INF/trust/chain/intermediate.pem "
	    "--enabled-key-data x509 $s >/dev/null 2>&1 || exit 1; "
	    "n=$((n+1)); done; test $n -eq 3", dir, cwd), 0);
	/* The tools see a change too. */
	ck_assert_int_eq(sh("cd %s/x && printf x >> case.xml && "
	    "! sha256sum --quiet -c SHA256SUMS >/dev/null 2>&1", dir, ""), 0);
	ck_assert_int_eq(sh("cd %s/x && ! xmlsec1 --verify --trusted-pem "
	    "%s/" CERTS "/trust/root.pem --untrusted-pem "
	    "META-INF/trust/chain/intermediate.pem --enabled-key-data x509 "
	    "META-INF/signatures-seal.xml >/dev/null 2>&1", dir, cwd), 0);
	ck_assert_int_eq(sh("rm -rf %s", dir, ""), 0);
	qj_buf_free(&zip);
	fixture_free(&fx);
}
END_TEST

/* One byte of each file in turn: the finding names that file. */
START_TEST(tamper_one_byte_of_any_file)
{
	struct fixture		 fx;
	struct qj_buf		 zip = QJ_BUF_INIT, bad = QJ_BUF_INIT;
	struct qj_arc_report	 rep;
	struct qj_zip		 z;
	struct qj_diag		 d;
	char			 sha[65];
	size_t			 i, pos;

	fixture_make(&fx);
	package(&fx, time(NULL), &zip, sha);
	ck_assert(qj_zip_read(zip.data, zip.len, &z, &d) == QJ_OK);
	for (i = 0; i < z.n; i++) {
		pos = z.e[i].len / 2;
		z.e[i].data[pos] ^= 0x01;
		rezip(&z, NULL, NULL, NULL, &bad);
		z.e[i].data[pos] ^= 0x01;
		verify(&bad, &rep);
		ck_assert_msg(rep.nf > 0, "a changed %s verified", z.e[i].name);
		ck_assert_msg(names(&rep, NULL, z.e[i].name),
		    "no finding names %s", z.e[i].name);
		qj_arc_report_free(&rep);
	}
	/* Unchanged, the rezipped package still verifies. */
	rezip(&z, NULL, NULL, NULL, &bad);
	verify(&bad, &rep);
	print_findings(&rep);
	ck_assert_uint_eq(rep.nf, 0);
	qj_arc_report_free(&rep);
	qj_zip_free(&z);
	qj_buf_free(&bad);
	qj_buf_free(&zip);
	fixture_free(&fx);
}
END_TEST

START_TEST(tamper_remove_or_add_a_file)
{
	struct fixture		 fx;
	struct qj_buf		 zip = QJ_BUF_INIT, bad = QJ_BUF_INIT,
				 extra = QJ_BUF_INIT;
	struct qj_arc_report	 rep;
	struct qj_zip		 z;
	struct qj_diag		 d;
	char			 sha[65], name[4][96];
	size_t			 i;

	fixture_make(&fx);
	package(&fx, time(NULL), &zip, sha);
	ck_assert(qj_zip_read(zip.data, zip.len, &z, &d) == QJ_OK);
	snprintf(name[0], 96, "documents/%s.xml", fx.sha2);
	snprintf(name[1], 96, "attachments/%s.pdf", fx.shaatt);
	snprintf(name[2], 96, "META-INF/signatures-2.xml");
	snprintf(name[3], 96, QJ_ARC_EVENTS_NAME);
	for (i = 0; i < 4; i++) {
		rezip(&z, name[i], NULL, NULL, &bad);
		verify(&bad, &rep);
		ck_assert_msg(names(&rep, "sums", name[i]), "removing %s",
		    name[i]);
		ck_assert_msg(names(&rep, "seal", name[i]), "seal, %s",
		    name[i]);
		qj_arc_report_free(&rep);
	}
	/* Even with SHA256SUMS rewritten, the seal and case.xml object. */
	snprintf(name[0], 96, "documents/%s.xml", fx.sha1);
	for (i = 0; i < z.n && strcmp(z.e[i].name, name[0]) != 0; i++)
		;
	z.e[i].name[0] = 'D';		/* "Documents/..." sorts elsewhere */
	fix_sums(&z);
	rezip(&z, NULL, NULL, NULL, &bad);
	verify(&bad, &rep);
	ck_assert(rep.nf > 0);
	ck_assert(names(&rep, "seal", name[0]));
	ck_assert(names(&rep, "case", name[0]));
	qj_arc_report_free(&rep);
	z.e[i].name[0] = 'd';
	/* A file added. */
	qj_buf_puts(&extra, "<evil/>");
	rezip(&z, NULL, "documents/evil.xml", &extra, &bad);
	verify(&bad, &rep);
	ck_assert(names(&rep, "sums", "documents/evil.xml"));
	ck_assert(names(&rep, "case", "documents/evil.xml"));
	ck_assert(names(&rep, "seal", "documents/evil.xml"));
	qj_arc_report_free(&rep);
	/* mimetype compressed, or missing. */
	{
		struct qj_zip_in	in[64];
		size_t			k;

		ck_assert(z.n < 64);
		for (k = 0; k < z.n; k++)
			in[k] = (struct qj_zip_in){ z.e[k].name, z.e[k].data,
			    z.e[k].len, 1 };
		qj_buf_reset(&bad);
		ck_assert(qj_zip_write(in, z.n, time(NULL), &bad, &d) == QJ_OK);
		verify(&bad, &rep);
		ck_assert(names(&rep, "mimetype", "mimetype"));
		qj_arc_report_free(&rep);
	}
	rezip(&z, "mimetype", NULL, NULL, &bad);
	verify(&bad, &rep);
	ck_assert(names(&rep, "mimetype", "mimetype"));
	qj_arc_report_free(&rep);
	qj_zip_free(&z);
	qj_buf_free(&bad);
	qj_buf_free(&extra);
	qj_buf_free(&zip);
	fixture_free(&fx);
}
END_TEST

/* Lines of events.jsonl: drop line `del` or apply an edit. */
static void
edit_events(struct qj_zip *z, int del, const char *from, const char *to)
{
	struct qj_zip_entry	*e = entry(z, QJ_ARC_EVENTS_NAME);
	struct qj_buf		 out = QJ_BUF_INIT;
	char			*p = (char *)e->data, *nl, *hit;
	int			 line = 0;

	for (; *p != '\0'; p = nl + 1) {
		nl = strchr(p, '\n');
		line++;
		if (line == del)
			continue;
		if (from != NULL && (hit = strstr(p, from)) != NULL && hit < nl) {
			qj_buf_append(&out, p, (size_t)(hit - p));
			qj_buf_puts(&out, to);
			qj_buf_append(&out, hit + strlen(from),
			    (size_t)(nl + 1 - hit - strlen(from)));
			from = NULL;
			continue;
		}
		qj_buf_append(&out, p, (size_t)(nl + 1 - p));
	}
	free(e->data);
	e->data = (unsigned char *)qj_buf_release(&out, &e->len);
}

START_TEST(tamper_audit_event_deleted)
{
	struct fixture		 fx;
	struct qj_buf		 zip = QJ_BUF_INIT, bad = QJ_BUF_INIT;
	struct qj_arc_report	 rep;
	struct qj_zip		 z;
	struct qj_diag		 d;
	char			 sha[65];

	fixture_make(&fx);
	package(&fx, time(NULL), &zip, sha);
	ck_assert(qj_zip_read(zip.data, zip.len, &z, &d) == QJ_OK);
	edit_events(&z, 2, NULL, NULL);
	fix_sums(&z);
	rezip(&z, NULL, NULL, NULL, &bad);
	verify(&bad, &rep);
	ck_assert(names(&rep, "audit", "seq 2"));
	ck_assert(strstr(rep.f[0].detail, "gap") != NULL ||
	    names(&rep, "audit", "gap"));
	ck_assert(names(&rep, "seal", QJ_ARC_EVENTS_NAME));
	qj_arc_report_free(&rep);
	qj_zip_free(&z);
	/* The last event deleted: only the head shows it. */
	ck_assert(qj_zip_read(zip.data, zip.len, &z, &d) == QJ_OK);
	edit_events(&z, 3, NULL, NULL);
	fix_sums(&z);
	rezip(&z, NULL, NULL, NULL, &bad);
	verify(&bad, &rep);
	ck_assert(names(&rep, "audit", "seq 3"));
	ck_assert(names(&rep, "audit", "truncated"));
	qj_arc_report_free(&rep);
	qj_zip_free(&z);
	qj_buf_free(&bad);
	qj_buf_free(&zip);
	fixture_free(&fx);
}
END_TEST

START_TEST(tamper_audit_event_edited)
{
	struct fixture		 fx;
	struct qj_buf		 zip = QJ_BUF_INIT, bad = QJ_BUF_INIT;
	struct qj_arc_report	 rep;
	struct qj_zip		 z;
	struct qj_diag		 d;
	char			 sha[65];

	fixture_make(&fx);
	package(&fx, time(NULL), &zip, sha);
	/* The state of event 2, in canonical form (so only the chain tells). */
	ck_assert(qj_zip_read(zip.data, zip.len, &z, &d) == QJ_OK);
	edit_events(&z, 0, "\"state_after\":\"dean-review\"",
	    "\"state_after\":\"dean-reviex\"");
	fix_sums(&z);
	rezip(&z, NULL, NULL, NULL, &bad);
	verify(&bad, &rep);
	ck_assert(names(&rep, "audit", "seq 2"));
	ck_assert(names(&rep, "audit", "prev-hash-mismatch"));
	ck_assert(names(&rep, "seal", QJ_ARC_EVENTS_NAME));
	qj_arc_report_free(&rep);
	qj_zip_free(&z);
	/* The last event's actor: the head no longer matches. */
	ck_assert(qj_zip_read(zip.data, zip.len, &z, &d) == QJ_OK);
	edit_events(&z, 0, "\"actor_login\":\"dean\"",
	    "\"actor_login\":\"deam\"");
	fix_sums(&z);
	rezip(&z, NULL, NULL, NULL, &bad);
	verify(&bad, &rep);
	ck_assert(names(&rep, "audit", "seq 3"));
	qj_arc_report_free(&rep);
	qj_zip_free(&z);
	/* Not canonical any more (a space): named by line. */
	ck_assert(qj_zip_read(zip.data, zip.len, &z, &d) == QJ_OK);
	edit_events(&z, 0, "\"action\":\"open\"", "\"action\": \"open\"");
	fix_sums(&z);
	rezip(&z, NULL, NULL, NULL, &bad);
	verify(&bad, &rep);
	ck_assert(names(&rep, "audit", QJ_ARC_EVENTS_NAME " line 1"));
	qj_arc_report_free(&rep);
	qj_zip_free(&z);
	qj_buf_free(&bad);
	qj_buf_free(&zip);
	fixture_free(&fx);
}
END_TEST

/* case.xml that disagrees with the events, re-sealed by a foreign key. */
START_TEST(case_xml_must_match_events)
{
	struct fixture		 fx;
	struct qj_buf		 zip = QJ_BUF_INIT;
	struct qj_arc_report	 rep;
	char			 sha[65];

	fixture_make(&fx);
	fx.c.state = "rejected";
	package(&fx, time(NULL), &zip, sha);
	verify(&zip, &rep);
	ck_assert(names(&rep, "case", "seq 3"));
	ck_assert(names(&rep, "case", "rejected"));
	qj_arc_report_free(&rep);
	qj_buf_free(&zip);
	/* A document of the case that no event records. */
	fx.c.state = "approved";
	fx.docs[1].case_id = CASE_ID;
	fx.c.audit_len = strchr(strchr(fx.jsonl.data, '\n') + 1, '\n') + 1 -
	    fx.jsonl.data;
	fx.c.head_seq = 2;
	{
		/* The head after two events. */
		const char	*d1[1] = { fx.sha1 }, *d2[1] = { fx.sigsha1 };
		struct qj_buf	 j = QJ_BUF_INIT;
		char		 h[65];

		memset(h, '0', 64);
		h[64] = '\0';
		add_event(&j, h, 1, "open", "applicant", NULL, "draft", d1, 1);
		add_event(&j, h, 2, "submit", "applicant", "draft",
		    "dean-review", d2, 1);
		memcpy(fx.head, h, 65);
		qj_buf_free(&j);
	}
	fx.c.state = "dean-review";
	package(&fx, time(NULL), &zip, sha);
	verify(&zip, &rep);
	{
		char name[96];

		snprintf(name, sizeof(name), "documents/%s.xml", fx.sha2);
		ck_assert(names(&rep, "case", name));
		ck_assert(names(&rep, "case", "META-INF/signatures-2.xml"));
	}
	qj_arc_report_free(&rep);
	qj_buf_free(&zip);
	fixture_free(&fx);
}
END_TEST

START_TEST(foreign_anchor_and_usage)
{
	struct fixture		 fx;
	struct qj_buf		 zip = QJ_BUF_INIT;
	struct qj_arc_report	 rep;
	struct qj_arc_vopts	 o;
	struct qj_diag		 d;
	const char		*look[] = { CERTS "/vectors/lookalike/root.pem" };
	const char		*none[] = { "/nonexistent/root.pem" };
	char			 sha[65];

	fixture_make(&fx);
	package(&fx, time(NULL), &zip, sha);
	verify_with(&zip, look, &rep);
	ck_assert(names(&rep, "trust", "META-INF/trust/crls/root.crl.pem"));
	ck_assert(names(&rep, "signature", "META-INF/signatures-1.xml"));
	ck_assert(names(&rep, "seal", QJ_ARC_SEAL_NAME));
	ck_assert(!rep.seal_ok);
	qj_arc_report_free(&rep);
	/* No anchor, or an unreadable one: usage, not a verdict. */
	memset(&o, 0, sizeof(o));
	o.scratch = scratch;
	ck_assert_int_eq(qj_arc_verify(zip.data, zip.len, &o, &rep, &d),
	    QJ_EINVAL);
	o.anchors = none;
	o.nanchors = 1;
	ck_assert_int_eq(qj_arc_verify(zip.data, zip.len, &o, &rep, &d),
	    QJ_EINVAL);
	qj_arc_report_free(&rep);
	/* Nothing is left behind in the scratch directory. */
	ck_assert_int_eq(sh("test -z \"$(ls %s | grep qj-verify)\"", scratch,
	    ""), 0);
	qj_buf_free(&zip);
	fixture_free(&fx);
}
END_TEST

/* `qujat verify-archive`: exit 0 / 1 / 2, findings named on stdout. */
START_TEST(cli_verify_archive)
{
	struct fixture		 fx;
	struct qj_buf		 zip = QJ_BUF_INIT, bad = QJ_BUF_INIT;
	struct qj_zip		 z;
	struct qj_diag		 d;
	char			 sha[65], good[600], evil[600], out[600];
	FILE			*f;

	ck_assert_msg(access("bin/qujat", X_OK) == 0, "bin/qujat is not built");
	fixture_make(&fx);
	package(&fx, time(NULL), &zip, sha);
	snprintf(good, sizeof(good), "%s/good.zip", scratch);
	snprintf(evil, sizeof(evil), "%s/evil.zip", scratch);
	snprintf(out, sizeof(out), "%s/out.txt", scratch);
	ck_assert((f = fopen(good, "wb")) != NULL);
	ck_assert(fwrite(zip.data, 1, zip.len, f) == zip.len);
	fclose(f);
	ck_assert(qj_zip_read(zip.data, zip.len, &z, &d) == QJ_OK);
	entry(&z, "case.xml")->data[100] ^= 0x20;
	rezip(&z, NULL, NULL, NULL, &bad);
	ck_assert((f = fopen(evil, "wb")) != NULL);
	ck_assert(fwrite(bad.data, 1, bad.len, f) == bad.len);
	fclose(f);
	ck_assert_int_eq(sh("bin/qujat verify-archive %s --trust " CERTS
	    "/trust/root.pem > %s.1", good, out), 0);
	ck_assert_int_eq(sh("grep -q '^VALID' %s.1 && grep -q '^ok   seal' "
	    "%s.1", out, out), 0);
	ck_assert_int_eq(WEXITSTATUS(sh("bin/qujat verify-archive %s --trust "
	    CERTS "/trust > %s.2", evil, out)), 1);
	ck_assert_int_eq(sh("grep -q '^FAIL sums case.xml' %s.2 && "
	    "grep -q '^INVALID' %s.2", out, out), 0);
	/* No --trust, no package, an unreadable anchor: usage. */
	ck_assert_int_eq(WEXITSTATUS(sh("bin/qujat verify-archive %s "
	    "2>/dev/null%s", good, "")), 2);
	ck_assert_int_eq(WEXITSTATUS(sh("bin/qujat verify-archive %s --trust "
	    "/nonexistent.pem 2>/dev/null%s", good, "")), 2);
	ck_assert_int_eq(WEXITSTATUS(sh("bin/qujat verify-archive %s/none.zip "
	    "--trust " CERTS "/trust 2>/dev/null%s", scratch, "")), 2);
	qj_zip_free(&z);
	qj_buf_free(&bad);
	qj_buf_free(&zip);
	fixture_free(&fx);
}
END_TEST

/* --- the ZIP reader's limits and names --------------------------------------- */

static void
zip_of(const char *const *names, size_t n, struct qj_buf *out)
{
	struct qj_zip_in	in[8];
	struct qj_diag		d;
	size_t			i;

	for (i = 0; i < n; i++)
		in[i] = (struct qj_zip_in){ names[i], "x", 1, 0 };
	qj_buf_reset(out);
	ck_assert_msg(qj_zip_write(in, n, 0, out, &d) == QJ_OK, "%s", d.detail);
}

/* Replaces every occurrence of `from` by `to` (same length) in raw bytes. */
static void
patch(struct qj_buf *b, const char *from, const char *to)
{
	size_t	i, n = strlen(from), hits = 0;

	for (i = 0; i + n <= b->len; i++)
		if (memcmp(b->data + i, from, n) == 0) {
			memcpy(b->data + i, to, n);
			hits++;
		}
	ck_assert_uint_ge(hits, 2);	/* local and central headers */
}

static const char *
read_slug(const struct qj_buf *b)
{
	struct qj_zip	z;
	struct qj_diag	d;
	static char	slug[32];

	if (qj_zip_read(b->data, b->len, &z, &d) == QJ_OK) {
		qj_zip_free(&z);
		return ("ok");
	}
	snprintf(slug, sizeof(slug), "%s", d.type);
	return (slug);
}

START_TEST(zip_names)
{
	struct qj_buf	 b = QJ_BUF_INIT;
	const char	*two[] = { "aa/x", "bb/x" }, *one[] = { "zz" };
	struct qj_zip_in in[1] = { { "../x", "x", 1, 0 } };
	struct qj_diag	 d;

	ck_assert(qj_zip_name_ok("documents/ab.xml"));
	ck_assert(qj_zip_name_ok("META-INF/signatures-1.xml"));
	ck_assert(!qj_zip_name_ok("../x"));
	ck_assert(!qj_zip_name_ok("a/../x"));
	ck_assert(!qj_zip_name_ok("/etc/passwd"));
	ck_assert(!qj_zip_name_ok("a//b"));
	ck_assert(!qj_zip_name_ok("a/"));
	ck_assert(!qj_zip_name_ok("a\\b"));
	ck_assert(!qj_zip_name_ok(".hidden"));
	ck_assert(!qj_zip_name_ok("a/./b"));
	ck_assert(!qj_zip_name_ok(""));
	ck_assert_int_eq(qj_zip_write(in, 1, 0, &b, &d), QJ_EINVAL);
	/* Crafted archives: the writer refuses these, so patch bytes. */
	zip_of(two, 2, &b);
	ck_assert_str_eq(read_slug(&b), "ok");
	patch(&b, "bb/x", "aa/x");
	/* A duplicate: libzip's consistency check or ours refuses it. */
	ck_assert(strcmp(read_slug(&b), "zip-name") == 0 ||
	    strcmp(read_slug(&b), "zip-malformed") == 0);
	zip_of(two, 2, &b);
	patch(&b, "bb/x", "../x");
	ck_assert_str_eq(read_slug(&b), "zip-name");
	zip_of(one, 1, &b);
	patch(&b, "zz", "/z");
	ck_assert_str_eq(read_slug(&b), "zip-name");
	/* Not a ZIP; a truncated ZIP. */
	qj_buf_reset(&b);
	qj_buf_puts(&b, "PK\x03\x04 not really");
	ck_assert_str_eq(read_slug(&b), "zip-malformed");
	zip_of(two, 2, &b);
	b.len -= 10;
	ck_assert_str_eq(read_slug(&b), "zip-malformed");
	qj_buf_free(&b);
}
END_TEST

START_TEST(zip_limits)
{
	struct qj_buf		 b = QJ_BUF_INIT;
	struct qj_zip_in	*in;
	struct qj_diag		 d;
	char			(*nm)[16];
	char			*zeros;
	size_t			 i, n = QJ_ZIP_MAX_ENTRIES + 1;

	/* Too many entries. */
	in = calloc(n, sizeof(*in));
	nm = calloc(n, sizeof(*nm));
	for (i = 0; i < n; i++) {
		snprintf(nm[i], sizeof(nm[i]), "f%zu", i);
		in[i] = (struct qj_zip_in){ nm[i], "", 0, 0 };
	}
	ck_assert(qj_zip_write(in, n, 0, &b, &d) == QJ_OK);
	ck_assert_str_eq(read_slug(&b), "zip-limit");
	/* One entry over the entry limit (a small deflated bomb). */
	zeros = calloc(1, QJ_ZIP_MAX_ENTRY + 1);
	ck_assert(zeros != NULL);
	in[0] = (struct qj_zip_in){ "bomb", zeros, QJ_ZIP_MAX_ENTRY + 1, 1 };
	qj_buf_reset(&b);
	ck_assert(qj_zip_write(in, 1, 0, &b, &d) == QJ_OK);
	ck_assert_uint_lt(b.len, 2 * 1024 * 1024);
	ck_assert_str_eq(read_slug(&b), "zip-limit");
	/* Five entries at the entry limit: over the total. */
	for (i = 0; i < 5; i++)
		in[i] = (struct qj_zip_in){ nm[i], zeros, QJ_ZIP_MAX_ENTRY, 1 };
	qj_buf_reset(&b);
	ck_assert(qj_zip_write(in, 5, 0, &b, &d) == QJ_OK);
	ck_assert_str_eq(read_slug(&b), "zip-limit");
	free(zeros);
	free(in);
	free(nm);
	qj_buf_free(&b);
}
END_TEST

static Suite *
suite(void)
{
	Suite	*s = suite_create("archive");
	TCase	*tc = tcase_create("package");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, package_verifies);
	tcase_add_test(tc, enveloped_signature_is_a_data_file);
	tcase_add_test(tc, standard_tools);
	tcase_add_test(tc, tamper_one_byte_of_any_file);
	tcase_add_test(tc, tamper_remove_or_add_a_file);
	tcase_add_test(tc, tamper_audit_event_deleted);
	tcase_add_test(tc, tamper_audit_event_edited);
	tcase_add_test(tc, case_xml_must_match_events);
	tcase_add_test(tc, foreign_anchor_and_usage);
	tcase_add_test(tc, cli_verify_archive);
	tcase_add_test(tc, zip_names);
	tcase_add_test(tc, zip_limits);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	struct qj_diag	 d;
	SRunner		*sr;
	int		 failed;
	char		 cmd[128];

	qj_sig_init();
	if (qj_arc_sealer_load(CERTS "/seal/seal.key", CERTS "/seal/seal.pem",
	    CERTS "/trust", CERTS "/chain", CERTS "/crl", &S, &d) != QJ_OK) {
		fprintf(stderr, "sealer: %s (run make certs)\n", d.detail);
		return (1);
	}
	if (mkdtemp(scratch) == NULL)
		return (1);
	sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	qj_arc_sealer_free(&S);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", scratch);
	(void)system(cmd);
	return (failed == 0 ? 0 : 1);
}
