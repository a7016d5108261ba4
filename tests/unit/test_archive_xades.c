/*
 * test_archive_xades.c: the multi-reference XAdES signatures of
 * app/core/xades.c (qj_xades_sign_objects, qj_xades_verify_objects), the
 * form the archive seal takes: a signature over several named objects
 * inside an asic:XAdESSignatures container.  Each refusal asserts the
 * exact slug; xmlsec1 on the command line verifies what we sign.
 * Certificates come from certs/dev (make certs); run from the repository
 * root.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/x509.h>

#include "core/codec.h"
#include "core/trust.h"
#include "core/xades.h"
#include "tests/lib/sigvec.h"

#define CERTS	SV_CERTS

static struct qj_trust	*T;
static char		 last[700];

/* Three objects like those of a package. */
static const char A[] = "<a xmlns=\"urn:x\">first</a>\n";
static const char B[] = "%PDF-1.4\n% scan\n%%EOF\n";
static const char C[] = "e3b0c442  documents/x.xml\n";

static void
objects(struct qj_xades_obj o[3], const char *a, const char *b)
{
	memset(o, 0, 3 * sizeof(*o));
	o[0].uri = "documents/a.xml";
	o[0].data = a;
	o[0].len = strlen(a);
	o[0].mime = "text/xml";
	o[1].uri = "attachments/b.pdf";
	o[1].data = b;
	o[1].len = strlen(b);
	o[1].mime = "application/pdf";
	o[2].uri = "SHA256SUMS";
	o[2].data = C;
	o[2].len = strlen(C);
	o[2].mime = "text/plain";
}

/* Signs the three objects with `who`'s key and certificate (certs/dev). */
static void
sign3(const char *who, struct qj_buf *out)
{
	struct qj_xades_obj	 o[3];
	struct qj_diag		 d;
	EVP_PKEY		*k = sv_load_key(who);
	X509			*x = sv_load_cert(who);

	objects(o, A, B);
	ck_assert_msg(qj_xades_sign_objects(k, x, o, 3, QJ_COMMIT_ORIGIN,
	    "archive-seal", time(NULL) - 60, out, &d) == QJ_OK, "%s",
	    d.detail);
	EVP_PKEY_free(k);
	X509_free(x);
}

static void
sign_seal(struct qj_buf *out)
{
	sign3("seal/seal", out);
}

/* Verifies `xml` over the objects; returns the slug ("ok" when valid). */
static const char *
verify(const struct qj_buf *xml, const struct qj_xades_obj *o, size_t n)
{
	struct qj_sig_expect	ex;
	struct qj_sig_result	r;
	struct qj_diag		d;
	enum qj_err		err;

	memset(&ex, 0, sizeof(ex));
	memset(&r, 0, sizeof(r));
	qj_diag_clear(&d);
	err = qj_xades_verify_objects(T, xml->data, xml->len, o, n, &ex, &r,
	    &d);
	snprintf(last, sizeof(last), "%s", d.detail);
	if (err == QJ_OK) {
		qj_sig_result_free(&r);
		return ("ok");
	}
	return (d.type != NULL ? d.type : "?");
}

/* Replaces the first `from` in b by `to` (same buffer, new length). */
static void
replace(struct qj_buf *b, const char *from, const char *to)
{
	struct qj_buf	 n = QJ_BUF_INIT;
	char		*p = strstr(b->data, from);

	ck_assert_msg(p != NULL, "no %s", from);
	qj_buf_append(&n, b->data, (size_t)(p - b->data));
	qj_buf_puts(&n, to);
	qj_buf_puts(&n, p + strlen(from));
	qj_buf_free(b);
	*b = n;
}

START_TEST(sign_and_verify)
{
	struct qj_buf		 xml = QJ_BUF_INIT;
	struct qj_xades_obj	 o[3];
	struct qj_sig_expect	 ex;
	struct qj_sig_result	 r;
	struct qj_diag		 d;

	sign_seal(&xml);
	ck_assert_ptr_nonnull(strstr(xml.data, "<asic:XAdESSignatures"));
	ck_assert_ptr_nonnull(strstr(xml.data, "URI=\"attachments/b.pdf\""));
	ck_assert_ptr_nonnull(strstr(xml.data, "AllSignedDataObjects"));
	objects(o, A, B);
	memset(&ex, 0, sizeof(ex));
	memset(&r, 0, sizeof(r));
	ex.commitment = QJ_COMMIT_ORIGIN;
	ex.bin = "990440010005";
	ck_assert_msg(qj_xades_verify_objects(T, xml.data, xml.len, o, 3, &ex,
	    &r, &d) == QJ_OK, "%s: %s", d.type, d.detail);
	ck_assert_str_eq(r.role, "archive-seal");
	ck_assert_str_eq(r.signer.bin, "990440010005");
	ck_assert_int_eq(r.commitment, QJ_COMMIT_ORIGIN);
	ck_assert_str_eq(r.uri, "");
	qj_sig_result_free(&r);
	/* The expected commitment and organisation are enforced. */
	ex.commitment = QJ_COMMIT_APPROVAL;
	ck_assert_int_eq(qj_xades_verify_objects(T, xml.data, xml.len, o, 3,
	    &ex, NULL, &d), QJ_EUNPROC);
	ck_assert_str_eq(d.type, "sig-commitment");
	ex.commitment = QJ_COMMIT_ANY;
	ex.bin = "010340010009";
	ck_assert_int_eq(qj_xades_verify_objects(T, xml.data, xml.len, o, 3,
	    &ex, NULL, &d), QJ_EUNPROC);
	ck_assert_str_eq(d.type, "sig-signer");
	qj_buf_free(&xml);
}
END_TEST

START_TEST(ecdsa_key)
{
	struct qj_buf		xml = QJ_BUF_INIT;
	struct qj_xades_obj	o[3];

	sign3("users/registrar-ec", &xml);
	ck_assert_ptr_nonnull(strstr(xml.data, "ecdsa-sha256"));
	objects(o, A, B);
	ck_assert_str_eq(verify(&xml, o, 3), "ok");
	qj_buf_free(&xml);
}
END_TEST

/* One byte of one object: sig-digest naming that object. */
START_TEST(changed_object)
{
	struct qj_buf		 xml = QJ_BUF_INIT;
	struct qj_xades_obj	 o[3];
	char			 b2[sizeof(B)];

	sign_seal(&xml);
	memcpy(b2, B, sizeof(B));
	b2[10] ^= 1;
	objects(o, A, b2);
	ck_assert_str_eq(verify(&xml, o, 3), "sig-digest");
	ck_assert_ptr_nonnull(strstr(last, "attachments/b.pdf"));
	/* A precomputed digest that lies is caught by xmlsec's own pass. */
	{
		unsigned char md[32];

		qj_sha256(B, strlen(B), md);
		o[1].sha256 = md;
		ck_assert_str_eq(verify(&xml, o, 3), "sig-digest");
	}
	qj_buf_free(&xml);
}
END_TEST

/* Exactly the expected objects: none missing, none extra. */
START_TEST(object_set)
{
	struct qj_buf		 xml = QJ_BUF_INIT;
	struct qj_xades_obj	 o[4];

	sign_seal(&xml);
	objects(o, A, B);
	/* An object the signature does not cover. */
	o[3] = o[0];
	o[3].uri = "case.xml";
	ck_assert_str_eq(verify(&xml, o, 4), "sig-references");
	ck_assert_ptr_nonnull(strstr(last, "case.xml"));
	/* A signed object that is no longer expected (a removed file). */
	ck_assert_str_eq(verify(&xml, o + 1, 2), "sig-references");
	ck_assert_ptr_nonnull(strstr(last, "documents/a.xml"));
	qj_buf_free(&xml);
}
END_TEST

START_TEST(sign_arguments)
{
	struct qj_buf		 xml = QJ_BUF_INIT;
	struct qj_xades_obj	 o[3];
	struct qj_diag		 d;
	EVP_PKEY		*k = sv_load_key("seal/seal");
	X509			*x = sv_load_cert("seal/seal");
	X509			*other = sv_load_cert("users/dean-rsa");

	objects(o, A, B);
	o[2].uri = o[0].uri;
	ck_assert_int_eq(qj_xades_sign_objects(k, x, o, 3, QJ_COMMIT_ORIGIN,
	    NULL, time(NULL), &xml, &d), QJ_EINVAL);
	ck_assert_str_eq(d.type, "sig-prepare");
	ck_assert_ptr_nonnull(strstr(d.detail, "twice"));
	objects(o, A, B);
	o[1].uri = "../etc/passwd";
	ck_assert_int_eq(qj_xades_sign_objects(k, x, o, 3, QJ_COMMIT_ORIGIN,
	    NULL, time(NULL), &xml, &d), QJ_EINVAL);
	objects(o, A, B);
	o[1].uri = "/abs";
	ck_assert_int_eq(qj_xades_sign_objects(k, x, o, 3, QJ_COMMIT_ORIGIN,
	    NULL, time(NULL), &xml, &d), QJ_EINVAL);
	objects(o, A, B);
	ck_assert_int_eq(qj_xades_sign_objects(k, other, o, 3,
	    QJ_COMMIT_ORIGIN, NULL, time(NULL), &xml, &d), QJ_EINVAL);
	ck_assert_int_eq(qj_xades_sign_objects(k, x, o, 0, QJ_COMMIT_ORIGIN,
	    NULL, time(NULL), &xml, &d), QJ_EINVAL);
	ck_assert_int_eq(qj_xades_sign_objects(k, x, o, 3, QJ_COMMIT_ANY,
	    NULL, time(NULL), &xml, &d), QJ_EINVAL);
	ck_assert_uint_eq(xml.len, 0);
	EVP_PKEY_free(k);
	X509_free(x);
	X509_free(other);
}
END_TEST

/* Edits the policy must refuse even where the crypto would fail too. */
START_TEST(tampered_structure)
{
	struct qj_buf		 xml = QJ_BUF_INIT, t = QJ_BUF_INIT;
	struct qj_xades_obj	 o[3];
	char			*p, *q;

	objects(o, A, B);
	sign_seal(&xml);
	/* SignedProperties changed after signing. */
	qj_buf_append(&t, xml.data, xml.len);
	replace(&t, "archive-seal", "archive-SEAL");
	ck_assert_str_eq(verify(&t, o, 3), "sig-xades");
	qj_buf_free(&t);
	/* The SignatureValue. */
	qj_buf_append(&t, xml.data, xml.len);
	p = strstr(t.data, "<ds:SignatureValue");
	p = strchr(p, '>') + 5;
	*p = *p == 'A' ? 'B' : 'A';
	ck_assert_str_eq(verify(&t, o, 3), "sig-value");
	qj_buf_free(&t);
	/* The bare ds:Signature, not in a container. */
	p = strstr(xml.data, "<ds:Signature ");
	q = strstr(xml.data, "</ds:Signature>") + strlen("</ds:Signature>");
	qj_buf_append(&t, p, (size_t)(q - p));
	ck_assert_str_eq(verify(&t, o, 3), "sig-wrapping");
	qj_buf_free(&t);
	/* A second signature in the container. */
	qj_buf_append(&t, xml.data, (size_t)(q - xml.data));
	qj_buf_append(&t, p, (size_t)(q - p));
	qj_buf_puts(&t, q);
	ck_assert_str_eq(verify(&t, o, 3), "sig-count");
	qj_buf_free(&t);
	/* A transform on a data reference. */
	qj_buf_append(&t, xml.data, xml.len);
	replace(&t, "URI=\"SHA256SUMS\">", "URI=\"SHA256SUMS\"><ds:Transforms>"
	    "<ds:Transform Algorithm=\"http://www.w3.org/2001/10/"
	    "xml-exc-c14n#\"/></ds:Transforms>");
	ck_assert_str_eq(verify(&t, o, 3), "sig-transform");
	qj_buf_free(&t);
	/* SHA-1 on a data reference. */
	qj_buf_append(&t, xml.data, xml.len);
	replace(&t, "URI=\"SHA256SUMS\"><ds:DigestMethod Algorithm=\""
	    "http://www.w3.org/2001/04/xmlenc#sha256\"", "URI=\"SHA256SUMS\">"
	    "<ds:DigestMethod Algorithm=\"http://www.w3.org/2000/09/"
	    "xmldsig#sha1\"");
	ck_assert_str_eq(verify(&t, o, 3), "sig-algorithm");
	qj_buf_free(&t);
	/* A DOCTYPE. */
	qj_buf_puts(&t, "<!DOCTYPE x [<!ENTITY e \"e\">]>");
	qj_buf_puts(&t, strstr(xml.data, "<asic:"));
	ck_assert_str_eq(verify(&t, o, 3), "xml-doctype");
	qj_buf_free(&t);
	qj_buf_free(&xml);
}
END_TEST

/* Not under our anchor: a chain failure, not a crypto one. */
START_TEST(foreign_trust)
{
	struct qj_buf		 xml = QJ_BUF_INIT;
	struct qj_xades_obj	 o[3];
	struct qj_trust		*saved = T, *other = NULL;
	struct qj_diag		 d;

	sign3("vectors/lookalike/applicant-rsa", &xml);
	objects(o, A, B);
	ck_assert_str_eq(verify(&xml, o, 3), "sig-chain");
	qj_buf_free(&xml);
	/* Our seal, checked without CRLs: fails closed. */
	ck_assert_int_eq(qj_trust_load(CERTS "/trust", CERTS "/chain", NULL,
	    &other, &d), QJ_OK);
	sign_seal(&xml);
	T = other;
	ck_assert_str_eq(verify(&xml, o, 3), "sig-crl-missing");
	T = saved;
	qj_trust_free(other);
	qj_buf_free(&xml);
}
END_TEST

static void
write_file(const char *dir, const char *name, const void *data, size_t len)
{
	char	 path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	sv_spit(path, data, len);
}

/* xmlsec1, run from the directory holding the objects, verifies it. */
START_TEST(interop_xmlsec1)
{
	struct qj_buf	 xml = QJ_BUF_INIT;
	char		 dir[] = "/tmp/qj-arcx-XXXXXX", cmd[2048], cwd[512],
			 path[600];
	int		 rc;

	if (system("command -v xmlsec1 >/dev/null 2>&1") != 0) {
		fprintf(stderr, "interop_xmlsec1: xmlsec1 missing, skipped\n");
		return;
	}
	ck_assert(getcwd(cwd, sizeof(cwd)) != NULL);
	ck_assert(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/documents", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/attachments", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/META-INF", dir);
	mkdir(path, 0755);
	write_file(dir, "documents/a.xml", A, strlen(A));
	write_file(dir, "attachments/b.pdf", B, strlen(B));
	write_file(dir, "SHA256SUMS", C, strlen(C));
	sign_seal(&xml);
	write_file(dir, "META-INF/signatures-seal.xml", xml.data, xml.len);
	snprintf(cmd, sizeof(cmd), "cd %s && xmlsec1 --verify --trusted-pem "
	    "%s/" CERTS "/trust/root.pem --untrusted-pem %s/" CERTS
	    "/chain/intermediate.pem --enabled-key-data x509 "
	    "META-INF/signatures-seal.xml >/dev/null 2>&1", dir, cwd, cwd);
	rc = system(cmd);
	ck_assert_msg(rc == 0, "xmlsec1 refused our container (%d)", rc);
	/* ... and refuses it when an object changes. */
	write_file(dir, "attachments/b.pdf", "x", 1);
	ck_assert_int_ne(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
	qj_buf_free(&xml);
}
END_TEST

static Suite *
suite(void)
{
	Suite	*s = suite_create("archive-xades");
	TCase	*tc = tcase_create("objects");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, sign_and_verify);
	tcase_add_test(tc, ecdsa_key);
	tcase_add_test(tc, changed_object);
	tcase_add_test(tc, object_set);
	tcase_add_test(tc, sign_arguments);
	tcase_add_test(tc, tampered_structure);
	tcase_add_test(tc, foreign_trust);
	tcase_add_test(tc, interop_xmlsec1);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	struct qj_diag	 d;
	SRunner		*sr;
	int		 failed;

	qj_sig_init();
	if (qj_trust_load(CERTS "/trust", CERTS "/chain", CERTS "/crl", &T,
	    &d) != QJ_OK) {
		fprintf(stderr, "trust: %s (run make certs)\n", d.detail);
		return (1);
	}
	sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	qj_trust_free(T);
	return (failed == 0 ? 0 : 1);
}
